//! Decimal rounding of output values, so that CSV and Parquet agree and stay byte-stable.
//!
//! `f64::round` is a call into libm on baseline x86-64 (no SSE4.1 `roundsd`); the tables of
//! a million-post run round tens of millions of values, and that call was 3.5 % of the
//! features stage's samples. [`round_half_away`] gives the same bits without it.

/// Six decimal places: scores, suspicions, coordination statistics, the summary.
pub const MICRO: f64 = 1e6;
/// Nine decimal places: graph metrics (PageRank of large graphs is small).
pub const NANO: f64 = 1e9;

/// `value` rounded to the decimal places of `scale` (`MICRO`, `NANO`): half away from zero,
/// as `(value * scale).round() / scale`, bit for bit, except that zero is never negative: a
/// tiny negative (or an entropy of `-0.0`) would otherwise be written `-0.0` in a CSV and
/// `-0` in a reason. Adding `+0.0` changes no other value.
pub fn rounded(value: f64, scale: f64) -> f64 {
    round_half_away(value * scale) / scale + 0.0
}

/// `x.round()` (half away from zero, the sign of zero kept), without libm: below 2^52 the
/// truncation `x as i64` is exact and so is `x - trunc(x)`; larger values, infinities and
/// NaN are already whole or not numbers and go to `f64::round`.
pub fn round_half_away(x: f64) -> f64 {
    const WHOLE_FROM: f64 = 4_503_599_627_370_496.0; // 2^52
    if x.abs() < WHOLE_FROM {
        let whole = x as i64 as f64;
        let fraction = x - whole;
        let rounded = if fraction >= 0.5 {
            whole + 1.0
        } else if fraction <= -0.5 {
            whole - 1.0
        } else {
            whole
        };
        rounded.copysign(x)
    } else {
        x.round()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same_bits(x: f64) {
        assert_eq!(
            round_half_away(x).to_bits(),
            x.round().to_bits(),
            "round({x:e})"
        );
    }

    #[test]
    fn agrees_with_libm_bit_for_bit() {
        let edges = [
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.5,
            2.5,
            -2.5,
            0.49999999999999994,
            -0.49999999999999994,
            4_503_599_627_370_495.5,
            4_503_599_627_370_496.0,
            -4_503_599_627_370_497.0,
            9.007_199_254_740_993e15,
            1e300,
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
        ];
        for x in edges {
            same_bits(x);
            same_bits(x.next_up());
            same_bits(x.next_down());
        }
        assert!(round_half_away(f64::NAN).is_nan());
        // A deterministic spread of magnitudes and fractions (xorshift).
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        for _ in 0..1_000_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let x = f64::from_bits(state);
            if !x.is_nan() {
                same_bits(x);
            }
            let scaled = (state >> 11) as f64 / (1u64 << 53) as f64 * 2e7 - 1e7;
            same_bits(scaled);
            same_bits(scaled * 1e6);
        }
    }

    #[test]
    fn rounded_zero_is_never_negative() {
        for x in [-0.0, -1e-9, -4.9e-7, 0.0, 1e-12] {
            let r = rounded(x, MICRO);
            assert_eq!(r.to_bits(), 0.0f64.to_bits(), "rounded({x:e}) = {r:e}");
        }
        assert_eq!(rounded(-6e-7, MICRO), -1e-6);
        assert_eq!(rounded(-2.6e-9, NANO), -3e-9);
        assert!(rounded(f64::NAN, MICRO).is_nan());
    }

    #[test]
    fn rounds_to_places() {
        assert_eq!(rounded(0.123_456_75, MICRO), 0.123_457);
        assert_eq!(rounded(1.000_000_000_6, NANO), 1.000_000_001);
    }
}
