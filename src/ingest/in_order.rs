//! Parsed pieces put back in file order as they finish, their frames concatenated into runs
//! of at least [`RUN_ROWS`] rows while the file is still being read.
//!
//! Why runs: a piece is a few thousand rows, so each of its string columns holds a view
//! array of some tens of KB, in the allocator's small pages beside the piece's other
//! allocations. Concatenating hundreds of such pieces only at the end freed those arrays
//! into pages that stayed partly used, while the new arrays took fresh memory: at the
//! peak, the views of every string column (16 bytes a row each, 2.6 GB at 10M posts) were
//! held twice. Runs concatenated during the read free the small arrays while later pieces
//! can reuse them, and the run's own arrays are large allocations that go back to the
//! system when the last concatenation frees them. The rows, and their order, are the same.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use polars::prelude::{DataFrame, PolarsResult};

/// Rows per run: a string column's views in a run take 1 MB (16 bytes a row), an
/// allocation of its own.
pub const RUN_ROWS: usize = 1 << 16;

/// Pieces numbered from 0 in file order, received in any order; `R` is what a piece hands
/// back besides its frames.
pub struct InOrder<R> {
    next: usize,
    waiting: BTreeMap<usize, (Vec<DataFrame>, R)>,
    rest: Vec<R>,
    run: Vec<DataFrame>,
    run_rows: usize,
    frames: Vec<DataFrame>,
    error: Option<polars::prelude::PolarsError>,
}

impl<R> Default for InOrder<R> {
    fn default() -> Self {
        InOrder {
            next: 0,
            waiting: BTreeMap::new(),
            rest: Vec::new(),
            run: Vec::new(),
            run_rows: 0,
            frames: Vec::new(),
            error: None,
        }
    }
}

impl<R> InOrder<R> {
    /// Takes piece `number` (its frames, none or more, in order); every piece now next in
    /// file order is taken in.
    pub fn push(&mut self, number: usize, frames: impl IntoIterator<Item = DataFrame>, rest: R) {
        self.waiting
            .insert(number, (frames.into_iter().collect(), rest));
        while let Some((frames, rest)) = self.waiting.remove(&self.next) {
            self.next += 1;
            self.rest.push(rest);
            for frame in frames {
                self.run_rows += frame.height();
                self.run.push(frame);
            }
            if self.run_rows >= RUN_ROWS {
                self.close_run();
            }
        }
    }

    /// [`InOrder::push`] through the lock the parsing threads share.
    pub fn push_shared(
        shared: &Mutex<Self>,
        number: usize,
        frames: impl IntoIterator<Item = DataFrame>,
        rest: R,
    ) {
        shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(number, frames, rest);
    }

    /// [`InOrder::finish`] once the parsing threads are done.
    pub fn finish_shared(shared: Mutex<Self>) -> PolarsResult<(Vec<DataFrame>, Vec<R>)> {
        shared
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
            .finish()
    }

    /// The frames (runs, in file order) and the rest of every piece, in file order.
    pub fn finish(mut self) -> PolarsResult<(Vec<DataFrame>, Vec<R>)> {
        debug_assert!(self.waiting.is_empty(), "a piece number was never pushed");
        for (_, (frames, rest)) in std::mem::take(&mut self.waiting) {
            self.rest.push(rest);
            self.run.extend(frames);
        }
        self.close_run();
        match self.error {
            Some(error) => Err(error),
            None => Ok((self.frames, self.rest)),
        }
    }

    /// The run as one frame, each column in one chunk and each string column's bytes in one
    /// exact buffer ([`super::compact`]; done on this thread: it holds the lock, and the
    /// other thread is parsing).
    fn close_run(&mut self) {
        let mut frames = std::mem::take(&mut self.run).into_iter();
        self.run_rows = 0;
        let Some(first) = frames.next() else {
            return;
        };
        if self.error.is_some() {
            return;
        }
        match stacked(first, frames) {
            Ok(mut joined) => {
                joined.rechunk_mut();
                match super::compact::compacted(joined) {
                    Ok(compacted) => self.frames.push(compacted),
                    Err(error) => self.error = Some(error),
                }
            }
            Err(error) => self.error = Some(error),
        }
    }
}

/// `first` with the rows of `rest` after it, their chunks appended (not yet rechunked).
pub(super) fn stacked(
    mut first: DataFrame,
    rest: impl IntoIterator<Item = DataFrame>,
) -> PolarsResult<DataFrame> {
    for frame in rest {
        first.vstack_mut_owned(frame)?;
    }
    Ok(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    fn piece(first: i64, rows: usize) -> DataFrame {
        let values: Vec<i64> = (first..first + rows as i64).collect();
        let labels: Vec<String> = values.iter().map(|v| format!("row {v}")).collect();
        DataFrame::new_infer_height(vec![
            Column::new("n".into(), values),
            Column::new("label".into(), labels),
        ])
        .unwrap()
    }

    /// Pieces pushed in any order come out in number order, rows and all, in runs of at
    /// least RUN_ROWS rows (the last may be shorter), each column in one chunk.
    #[test]
    fn pieces_in_any_order_come_out_in_file_order() {
        let sizes = [30_000, 0, 50_000, 1, 70_000, 20_000, 5];
        let mut first = 0;
        let mut pieces = Vec::new();
        for (number, &rows) in sizes.iter().enumerate() {
            let frame = (rows > 0).then(|| piece(first, rows));
            pieces.push((number, frame, number * 10));
            first += rows as i64;
        }
        for order in [vec![6, 5, 4, 3, 2, 1, 0], vec![2, 0, 1, 6, 3, 5, 4]] {
            let mut in_order = InOrder::default();
            for &i in &order {
                let (number, frame, rest) = pieces[i].clone();
                in_order.push(number, frame, rest);
            }
            let (frames, rest) = in_order.finish().unwrap();
            assert_eq!(rest, vec![0, 10, 20, 30, 40, 50, 60]);
            let heights: Vec<usize> = frames.iter().map(DataFrame::height).collect();
            assert_eq!(heights, vec![80_000, 70_001, 20_005]);
            let mut all = frames[0].clone();
            for frame in &frames[1..] {
                all.vstack_mut(frame).unwrap();
            }
            let n: Vec<i64> = all
                .column("n")
                .unwrap()
                .i64()
                .unwrap()
                .into_no_null_iter()
                .collect();
            assert_eq!(n, (0..first).collect::<Vec<_>>());
            assert_eq!(
                all.column("label").unwrap().str().unwrap().get(80_001),
                Some("row 80001")
            );
            for frame in &frames {
                assert!(frame.columns().iter().all(|c| c.n_chunks() == 1));
            }
        }
    }
}
