//! One account's signal values (or suspicions), one per [`super::SIGNALS`] entry, with NaN
//! standing for "no value".
//!
//! Why not `Vec<Option<f64>>`: an `Option<f64>` takes 16 bytes, so an account's 32 values
//! and 32 suspicions took 1 KB, 2 GB of the 1.97 M accounts of 10 M simulated posts, held
//! while the features table is built (the run's peak). Only finite values are ever
//! stored ([`SignalValues::set`] turns NaN and infinities into "no value", as the signals
//! always did), so NaN is free to mean "none": 8 bytes a value.

/// Values in [`super::SIGNALS`] order; `None` = insufficient data or unavailable.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SignalValues(Box<[f64]>);

impl SignalValues {
    /// `len` values, all absent.
    pub fn absent(len: usize) -> Self {
        SignalValues(vec![f64::NAN; len].into_boxed_slice())
    }

    /// Value `i`, if there is one. Panics if `i` is out of range.
    pub fn get(&self, i: usize) -> Option<f64> {
        let value = self.0[i];
        (!value.is_nan()).then_some(value)
    }

    /// Sets value `i`; a non-finite value is stored as absent. Panics if `i` is out of range.
    pub fn set(&mut self, i: usize, value: Option<f64>) {
        self.0[i] = stored(value);
    }

    /// The values in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Option<f64>> + '_ {
        (0..self.0.len()).map(|i| self.get(i))
    }

    /// How many values (present or not) it holds.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it holds no values at all (not even absent ones).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<Option<f64>> for SignalValues {
    /// Non-finite values are stored as absent, as [`SignalValues::set`] does.
    fn from_iter<I: IntoIterator<Item = Option<f64>>>(values: I) -> Self {
        SignalValues(values.into_iter().map(stored).collect())
    }
}

/// How a value is stored: itself when finite, else NaN ("no value").
fn stored(value: Option<f64>) -> f64 {
    value.filter(|v| v.is_finite()).unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_and_non_finite_values_read_as_none() {
        let mut values = SignalValues::absent(4);
        assert_eq!(values.iter().collect::<Vec<_>>(), vec![None; 4]);
        values.set(0, Some(1.5));
        values.set(1, Some(f64::NAN));
        values.set(2, Some(f64::INFINITY));
        values.set(3, Some(-0.0));
        assert_eq!(values.get(0), Some(1.5));
        assert_eq!(values.get(1), None);
        assert_eq!(values.get(2), None);
        assert_eq!(values.get(3).map(f64::to_bits), Some((-0.0f64).to_bits()));
        let collected: SignalValues = [Some(2.0), None, Some(f64::NEG_INFINITY)]
            .into_iter()
            .collect();
        assert_eq!(
            collected.iter().collect::<Vec<_>>(),
            vec![Some(2.0), None, None]
        );
        assert_eq!(collected.len(), 3);
        assert!(SignalValues::default().is_empty());
    }
}
