//! A run's string data copied into one buffer of exactly its size, each distinct value once.
//!
//! Why: a parsed piece builds each string column with Arrow's view builder, which grows its
//! data buffers by doubling (8 KB, 16 KB, … 16 MB) and freezes the last one with its unused
//! capacity; concatenating pieces keeps those buffers as they are (only the 16-byte views
//! are copied). So a column's strings are held in many part-filled buffers, each piece's
//! last one on average about a quarter empty, for the life of the run. Copying a run's
//! strings once, while its pieces are freed, keeps only the bytes the rows point at, and
//! each distinct value once: a retweet repeats its original's text, id and author, posts
//! repeat their author and client, so at 1M posts the runs' 196 MB of non-inline string
//! bytes hold 70 MB of distinct values per run. The values, nulls and row order are
//! unchanged; only where the bytes live changes.

use polars::prelude::*;
use polars_arrow::array::{Array, ListArray, Utf8ViewArray, View};

/// Above this many bytes in one column of one run the copy is skipped (a view addresses its
/// buffer with a 32-bit offset); a run of 65,536 rows stays far below it.
const ONE_BUFFER_LIMIT: usize = u32::MAX as usize;

/// `frame` with every `String` and `List(String)` column's bytes in one exact buffer per
/// chunk, each distinct value stored once.
pub fn compacted(frame: DataFrame) -> PolarsResult<DataFrame> {
    let height = frame.height();
    let columns = frame
        .into_columns()
        .into_iter()
        .map(compacted_column)
        .collect::<PolarsResult<Vec<Column>>>()?;
    DataFrame::new(height, columns)
}

fn compacted_column(column: Column) -> PolarsResult<Column> {
    match column.dtype() {
        DataType::String => {
            let name = column.name().clone();
            let chunks: Vec<ArrayRef> = column
                .str()?
                .downcast_iter()
                .map(|array| Box::new(compacted_strings(array)) as ArrayRef)
                .collect();
            // SAFETY: the chunks are Utf8View arrays, the physical type of `String`.
            let series =
                unsafe { Series::from_chunks_and_dtype_unchecked(name, chunks, &DataType::String) };
            Ok(series.into_column())
        }
        DataType::List(inner) if **inner == DataType::String => {
            let name = column.name().clone();
            let dtype = column.dtype().clone();
            let chunks = column
                .list()?
                .downcast_iter()
                .map(compacted_list)
                .collect::<PolarsResult<Vec<ArrayRef>>>()?;
            // SAFETY: list arrays of Utf8View values, as they were.
            let series = unsafe { Series::from_chunks_and_dtype_unchecked(name, chunks, &dtype) };
            Ok(series.into_column())
        }
        _ => Ok(column),
    }
}

fn compacted_list(array: &ListArray<i64>) -> PolarsResult<ArrayRef> {
    let Some(values) = array.values().as_any().downcast_ref::<Utf8ViewArray>() else {
        return Ok(array.to_boxed());
    };
    let list = ListArray::<i64>::try_new(
        array.dtype().clone(),
        array.offsets().clone(),
        Box::new(compacted_strings(values)),
        array.validity().cloned(),
    )?;
    Ok(Box::new(list))
}

/// The same strings with every distinct non-inline value copied once, in order of first
/// row, into one buffer of exactly their total length; repeats point at the first copy.
fn compacted_strings(array: &Utf8ViewArray) -> Utf8ViewArray {
    let buffers = array.data_buffers();
    if buffers.is_empty() {
        return array.clone();
    }
    // First pass: each non-inline value's offset in the new buffer, the first copy's for a
    // repeat, and the distinct values in order.
    let mut offset_of: foldhash::HashMap<&[u8], u32> = Default::default();
    let mut distinct: Vec<&[u8]> = Vec::new();
    let mut bytes = 0usize;
    let mut offsets: Vec<u32> = Vec::with_capacity(array.len());
    for view in array.views().iter() {
        if view.is_inline() {
            continue;
        }
        // SAFETY: a non-inline view of a valid array points into its buffers.
        let value = unsafe { view.get_external_slice_unchecked(buffers) };
        let offset = *offset_of.entry(value).or_insert_with(|| {
            let at = bytes;
            bytes += value.len();
            distinct.push(value);
            at as u32
        });
        offsets.push(offset);
        if bytes > ONE_BUFFER_LIMIT {
            return array.clone();
        }
    }
    let mut data: Vec<u8> = Vec::with_capacity(bytes);
    for value in &distinct {
        data.extend_from_slice(value);
    }
    let mut offsets = offsets.into_iter();
    let views: Vec<View> = array
        .views()
        .iter()
        .map(|view| match view.is_inline() {
            true => *view,
            false => {
                // SAFETY: as above; one offset was pushed per non-inline view, in order.
                let value = unsafe { view.get_external_slice_unchecked(buffers) };
                let offset = offsets.next().unwrap_or_default();
                View::new_from_bytes(value, 0, offset)
            }
        })
        .collect();
    let total_bytes_len = array.try_total_bytes_len();
    // SAFETY: every view is inline or points into `data` at a copy of the bytes it pointed at
    // before (valid UTF-8 then, so now); the validity is the array's own.
    unsafe {
        Utf8ViewArray::new_unchecked(
            array.dtype().clone(),
            views.into(),
            vec![data.into()].into(),
            array.validity().cloned(),
            total_bytes_len,
            bytes,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values, nulls and order survive; every string column ends in one buffer holding each
    /// distinct value its rows point at once.
    #[test]
    fn keeps_values_in_one_exact_buffer() {
        let long = |i: usize| format!("a string longer than twelve bytes, number {i}");
        // Every 5th long value repeats an earlier one (as retweets repeat their original).
        let texts: Vec<Option<String>> = (0..5_000)
            .map(|i| match i % 3 {
                0 => None,
                1 => Some(format!("s{i}")),
                _ if i % 5 == 0 => Some(long(0)),
                _ => Some(long(i)),
            })
            .collect();
        let mut first = DataFrame::new_infer_height(vec![
            Column::new("text".into(), texts[..2_500].to_vec()),
            Column::new("n".into(), (0..2_500i64).collect::<Vec<_>>()),
        ])
        .unwrap();
        let second = DataFrame::new_infer_height(vec![
            Column::new("text".into(), texts[2_500..].to_vec()),
            Column::new("n".into(), (2_500..5_000i64).collect::<Vec<_>>()),
        ])
        .unwrap();
        first.vstack_mut_owned(second).unwrap();
        first.rechunk_mut();
        let mut tags = ListStringChunkedBuilder::new("tags".into(), 5_000, 10_000);
        for i in 0..5_000 {
            if i % 7 == 0 {
                tags.append_null();
            } else {
                tags.append_values_iter([long(i).as_str(), "x"].into_iter());
            }
        }
        first.with_column(tags.finish().into_column()).unwrap();
        let before = first.clone();

        let after = compacted(first).unwrap();
        assert!(after.equals_missing(&before));
        let text = after.column("text").unwrap().str().unwrap();
        let array = text.downcast_iter().next().unwrap();
        assert_eq!(array.data_buffers().len(), 1);
        let distinct: std::collections::BTreeSet<String> = texts
            .iter()
            .flatten()
            .filter(|t| t.len() > 12)
            .cloned()
            .collect();
        let expected: usize = distinct.iter().map(String::len).sum();
        assert_eq!(array.data_buffers()[0].len(), expected);
        assert_eq!(array.total_buffer_len(), expected);
        let list = after.column("tags").unwrap().list().unwrap();
        let values = list.downcast_iter().next().unwrap().values();
        let values = values.as_any().downcast_ref::<Utf8ViewArray>().unwrap();
        assert_eq!(values.data_buffers().len(), 1);
    }
}
