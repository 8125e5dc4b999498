//! The last step of ingest: the parsed pieces become one `posts` table, deduplicated on
//! `(platform, post_id)` keeping the first seen, with parent authors and times filled from
//! the collected posts where the export lacks them, sorted by time.
//!
//! Written as passes over borrowed columns rather than a polars plan (unique, self-join,
//! multi-column sort): each step does nothing when there is nothing to do (no duplicates,
//! no missing parent fields, rows already in order, the usual case for a stream or a
//! simulator file) and otherwise touches only what changes. The polars plan copied the
//! whole table three times, a second of the ingest of a million posts.

use foldhash::{HashMap, HashSet};
use polars::prelude::*;
use polars_arrow::array::{Array, ListArray, MutableBinaryViewArray, Utf8ViewArray};
use polars_arrow::bitmap::{Bitmap, MutableBitmap};
use polars_arrow::datatypes::ArrowDataType;
use polars_arrow::offset::OffsetsBuffer;
use rayon::prelude::*;

use super::IngestError;

/// Concatenates the pieces, names source files, deduplicates, fills parents and sorts.
pub fn finish_posts(frames: Vec<DataFrame>, paths: &[String]) -> Result<DataFrame, IngestError> {
    let started = std::time::Instant::now();
    let mut frames = frames.into_iter();
    let mut posts = match frames.next() {
        Some(first) => super::in_order::stacked(first, frames)?,
        None => super::record::PostColumns::default().into_dataframe()?,
    };
    posts.rechunk_mut_par();
    let file_indices: Vec<u32> = posts
        .column("source_file")?
        .u32()?
        .into_no_null_iter()
        .collect();
    posts.with_column(source_file_column(&file_indices, paths)?)?;
    drop(file_indices);
    super::timing("finish: concatenate", started);

    let started = std::time::Instant::now();
    if let Some(keep) = first_occurrences(&posts)? {
        posts = kept_rows(posts, &keep)?;
    }
    super::timing("finish: deduplicate", started);
    let started = std::time::Instant::now();
    fill_parents(&mut posts)?;
    super::timing("finish: parents", started);
    let started = std::time::Instant::now();
    if let Some(order) = time_order(&posts)? {
        posts = take_rows(posts, &order)?;
    }
    super::timing("finish: sort by time", started);
    Ok(posts)
}

/// The `source_file` column: each row's path, with every distinct path stored once (rows
/// point into one buffer) rather than once per row.
fn source_file_column(file_indices: &[u32], paths: &[String]) -> Result<Column, IngestError> {
    let mut distinct = MutableBinaryViewArray::<str>::with_capacity(paths.len());
    for path in paths {
        distinct.push_value(path.as_str());
    }
    let distinct: Utf8ViewArray = distinct.freeze();
    let views = distinct.views();
    let mut rows = MutableBinaryViewArray::<str>::with_capacity(file_indices.len());
    rows.extend_non_null_views(
        file_indices.iter().map(|&i| views[i as usize]),
        distinct.data_buffers(),
    );
    Ok(
        StringChunked::with_chunk("source_file".into(), rows.freeze())
            .into_series()
            .into(),
    )
}

/// A string column as one Arrow array, for O(1) access by row (polars' `get` finds the
/// chunk on every call, and its iterators were most of these passes' time).
fn string_array(posts: &DataFrame, name: &str) -> Result<Utf8ViewArray, IngestError> {
    let column = posts.column(name)?.str()?.rechunk();
    Ok(column
        .downcast_iter()
        .next()
        .cloned()
        .unwrap_or_else(|| Utf8ViewArray::new_empty(ArrowDataType::Utf8View)))
}

/// Which rows to keep so that each `(platform, post_id)` appears once, first seen first;
/// `None` when there are no duplicates. Keys are split by hash into one shard per thread,
/// each shard's rows met in row order, so the first of each key is kept whatever the
/// thread count.
fn first_occurrences(posts: &DataFrame) -> Result<Option<BooleanChunked>, IngestError> {
    use std::hash::BuildHasher;
    let platform = string_array(posts, "platform")?;
    let post_id = string_array(posts, "post_id")?;
    let key = |row: usize| (platform.get(row), post_id.get(row));
    let state = foldhash::fast::RandomState::default();
    let shards = rayon::current_num_threads().clamp(1, 64) as u64;
    let shard_of: Vec<u8> = (0..posts.height())
        .into_par_iter()
        .map(|row| (state.hash_one(key(row)) % shards) as u8)
        .collect();
    let duplicates: Vec<usize> = (0..shards as u8)
        .into_par_iter()
        .flat_map_iter(|shard| {
            let expected = shard_of.len() / shards as usize + 1;
            let mut seen = HashSet::with_capacity_and_hasher(expected, Default::default());
            shard_of
                .iter()
                .enumerate()
                .filter(move |&(_, &s)| s == shard)
                .filter_map(move |(row, _)| (!seen.insert(key(row))).then_some(row))
                .collect::<Vec<usize>>()
        })
        .collect();
    if duplicates.is_empty() {
        return Ok(None);
    }
    let mut keep = vec![true; posts.height()];
    for row in duplicates {
        keep[row] = false;
    }
    Ok(Some(BooleanChunked::from_slice("keep".into(), &keep)))
}

/// Fills `parent_author_id` and `parent_created_at` where a post names its parent but not
/// the parent's author or time (v1.1 replies carry no parent time, 4chan quotelinks carry
/// neither), from the parent when it is among the collected posts.
fn fill_parents(posts: &mut DataFrame) -> Result<(), IngestError> {
    let platform = posts.column("platform")?.str()?;
    let post_id = posts.column("post_id")?.str()?;
    let author_id = posts.column("author_id")?.str()?;
    let created_at = posts.column("created_at")?.to_physical_repr();
    let created_at = created_at.i64()?;
    let parent_id = posts.column("parent_post_id")?.str()?;
    let parent_author = posts.column("parent_author_id")?.str()?;
    let parent_created = posts.column("parent_created_at")?.to_physical_repr();
    let parent_created = parent_created.i64()?;

    let needing: Vec<usize> = (0..posts.height())
        .filter(|&row| {
            parent_id.get(row).is_some()
                && (parent_author.get(row).is_none() || parent_created.get(row).is_none())
        })
        .collect();
    if needing.is_empty() {
        return Ok(());
    }
    // Where each wanted parent is (posts are unique by now); None until found.
    let mut found: HashMap<(Option<&str>, &str), Option<usize>> = needing
        .iter()
        .filter_map(|&row| Some(((platform.get(row), parent_id.get(row)?), None)))
        .collect();
    for (row, key) in platform.iter().zip(post_id.iter()).enumerate() {
        if let (platform, Some(id)) = key
            && let Some(slot @ None) = found.get_mut(&(platform, id))
        {
            *slot = Some(row);
        }
    }
    let mut authors: Vec<Option<&str>> = parent_author.iter().collect();
    let mut times: Vec<Option<i64>> = parent_created.iter().collect();
    let mut changed = false;
    for &row in &needing {
        let Some(&Some(parent)) = parent_id
            .get(row)
            .and_then(|id| found.get(&(platform.get(row), id)))
        else {
            continue;
        };
        if authors[row].is_none() && author_id.get(parent).is_some() {
            authors[row] = author_id.get(parent);
            changed = true;
        }
        if times[row].is_none() {
            times[row] = created_at.get(parent);
            changed = true;
        }
    }
    if !changed {
        return Ok(());
    }
    let authors = Column::new("parent_author_id".into(), authors);
    let datetime = DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC));
    let times = Column::new("parent_created_at".into(), times).cast(&datetime)?;
    posts.with_column(authors)?;
    posts.with_column(times)?;
    Ok(())
}

/// Row order by (created_at, platform, post_id), keeping input order among equals; `None`
/// when the rows are already in that order.
fn time_order(posts: &DataFrame) -> Result<Option<Vec<IdxSize>>, IngestError> {
    let created_at = posts.column("created_at")?.to_physical_repr();
    let created_at: Vec<i64> = created_at
        .i64()?
        .iter()
        .map(|t| t.unwrap_or(i64::MIN))
        .collect();
    // Platform and id are read only where times are equal.
    let platform = string_array(posts, "platform")?;
    let post_id = string_array(posts, "post_id")?;
    let tail = |row: usize| (platform.get(row), post_id.get(row));
    let in_order = (1..posts.height()).into_par_iter().all(|row| {
        let (before, here) = (created_at[row - 1], created_at[row]);
        before < here || (before == here && tail(row - 1) <= tail(row))
    });
    if in_order {
        return Ok(None);
    }
    // By time first, on (time, row) pairs in one array (comparing keys gathered from three
    // columns per comparison was most of the sort's cost); then the rare runs of equal
    // times by platform and id. The row breaks the remaining ties: input order, as a
    // stable sort keeps it.
    let mut by_time: Vec<(i64, IdxSize)> = (0..posts.height())
        .map(|row| (created_at[row], row as IdxSize))
        .collect();
    by_time.par_sort_unstable();
    let mut start = 0;
    while start < by_time.len() {
        let time = by_time[start].0;
        let end = start + by_time[start..].partition_point(|&(t, _)| t == time);
        if end - start > 1 {
            by_time[start..end].sort_unstable_by_key(|&(_, row)| (tail(row as usize), row));
        }
        start = end;
    }
    Ok(Some(by_time.into_iter().map(|(_, row)| row).collect()))
}

/// The rows of `posts` where `keep` is true. Column by column, each source column freed
/// once filtered: the table is never held twice (`DataFrame::filter` holds both copies).
fn kept_rows(posts: DataFrame, keep: &BooleanChunked) -> Result<DataFrame, IngestError> {
    let height = keep.sum().unwrap_or(0) as usize;
    let columns = posts
        .into_columns()
        .into_par_iter()
        .map(|column| Ok(column.filter(keep)?))
        .collect::<Result<Vec<Column>, IngestError>>()?;
    Ok(DataFrame::new(height, columns)?)
}

/// The rows of `posts` in `order`, column by column in parallel, each source column freed
/// once gathered (the table is never held twice: 2× its size at the peak of an ingest of
/// rows not in time order). List columns are gathered through their offsets and one gather
/// of their values (polars' own gather of a list column builds it row by row: a sixth of
/// CSV ingest's time in perf).
fn take_rows(posts: DataFrame, order: &[IdxSize]) -> Result<DataFrame, IngestError> {
    let indices = IdxCa::from_slice("order".into(), order);
    let columns = posts
        .into_columns()
        .into_par_iter()
        .map(|column| match column.dtype() {
            DataType::List(_) => take_list_rows(&column, order),
            _ => Ok(column.take(&indices)?),
        })
        .collect::<Result<Vec<Column>, IngestError>>()?;
    Ok(DataFrame::new(order.len(), columns)?)
}

fn take_list_rows(column: &Column, order: &[IdxSize]) -> Result<Column, IngestError> {
    let list = column.list()?.rechunk();
    let Some(array) = list.downcast_iter().next() else {
        return Ok(column.clone());
    };
    let offsets = array.offsets().as_slice();
    let validity = array.validity();
    let mut value_rows: Vec<IdxSize> = Vec::with_capacity(array.values().len());
    let mut taken_offsets: Vec<i64> = Vec::with_capacity(order.len() + 1);
    taken_offsets.push(0);
    let mut taken_validity = validity.map(|_| MutableBitmap::with_capacity(order.len()));
    for &row in order {
        let row = row as usize;
        let (start, end) = (offsets[row], offsets[row + 1]);
        value_rows.extend(start as IdxSize..end as IdxSize);
        taken_offsets.push(taken_offsets[taken_offsets.len() - 1] + end - start);
        if let (Some(validity), Some(taken)) = (validity, taken_validity.as_mut()) {
            taken.push(validity.get_bit(row));
        }
    }
    let values = Series::try_from((PlSmallStr::from_static("values"), array.values().clone()))?
        .take_slice(&value_rows)?
        .rechunk();
    let taken = ListArray::<i64>::try_new(
        array.dtype().clone(),
        OffsetsBuffer::try_from(taken_offsets)?,
        values.chunks()[0].clone(),
        taken_validity.map(Bitmap::from),
    )?;
    Ok(ListChunked::with_chunk(column.name().clone(), taken)
        .into_series()
        .into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::record::{Collector, PostKind, PostRecord, RecordFilter, TWITTER};

    /// A test post: (id, time in seconds, parent id, parent author, text).
    type TestPost<'a> = (&'a str, i64, Option<&'a str>, Option<&'a str>, &'a str);

    fn frame(file_index: u32, posts: &[TestPost<'_>]) -> DataFrame {
        let filter = RecordFilter::default();
        let mut collector = Collector::new(&filter, file_index, "test");
        for (line, &(id, time_s, parent, parent_author, text)) in posts.iter().enumerate() {
            let kind = if parent.is_some() {
                PostKind::Reply
            } else {
                PostKind::Original
            };
            let mut post = PostRecord::new(TWITTER, id.to_string(), time_s * 1000, kind);
            post.author_id = Some(format!("author-of-{id}"));
            post.parent_post_id = parent.map(str::to_string);
            post.parent_author_id = parent_author.map(str::to_string);
            post.text = Some(text.to_string());
            collector.post(post, line as u64 + 1, Vec::new());
        }
        collector.posts.into_dataframe().unwrap()
    }

    fn strings(df: &DataFrame, name: &str) -> Vec<Option<String>> {
        df.column(name)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|s| s.map(str::to_string))
            .collect()
    }

    fn times(df: &DataFrame, name: &str) -> Vec<Option<i64>> {
        let physical = df.column(name).unwrap().to_physical_repr();
        physical.i64().unwrap().iter().collect()
    }

    #[test]
    fn keeps_first_copy_fills_parents_and_sorts_by_time_then_id() {
        let first_file = frame(
            0,
            &[
                ("b", 30, None, None, "b first copy"),
                // Reply to a post that only comes in the second file: author and time filled.
                ("r", 40, Some("p"), None, "reply"),
                // Reply whose parent was never collected: stays as it is.
                ("x", 20, Some("missing"), Some("given"), "orphan"),
            ],
        );
        let second_file = frame(
            1,
            &[
                ("b", 30, None, None, "b second copy"),
                ("p", 10, None, None, "parent"),
                // Same time as "b": ordered after it by post id.
                ("a", 30, None, None, "a"),
            ],
        );
        let paths = ["one.jsonl".to_string(), "two.jsonl".to_string()];
        let posts = finish_posts(vec![first_file, second_file], &paths).unwrap();

        let ids = strings(&posts, "post_id");
        let ids: Vec<&str> = ids.iter().map(|s| s.as_deref().unwrap()).collect();
        assert_eq!(ids, ["p", "x", "a", "b", "r"]);
        let text = strings(&posts, "text");
        assert_eq!(text[3].as_deref(), Some("b first copy"), "first copy kept");
        let files = strings(&posts, "source_file");
        let files: Vec<&str> = files.iter().map(|s| s.as_deref().unwrap()).collect();
        assert_eq!(
            files,
            [
                "two.jsonl",
                "one.jsonl",
                "two.jsonl",
                "one.jsonl",
                "one.jsonl"
            ]
        );
        let parent_authors = strings(&posts, "parent_author_id");
        assert_eq!(parent_authors[4].as_deref(), Some("author-of-p"));
        assert_eq!(parent_authors[1].as_deref(), Some("given"));
        let parent_times = times(&posts, "parent_created_at");
        assert_eq!(parent_times[4], Some(10_000));
        assert_eq!(parent_times[1], None, "parent not collected");
    }

    /// The first copy of each key is kept whatever the number of threads (one hash shard
    /// per thread): the same rows with 1, 2 and 7 threads, and the same as one set would.
    #[test]
    fn first_copies_whatever_the_thread_count() {
        let ids: Vec<String> = (0..5_000)
            .map(|i| format!("p{}", (i * 7919) % 1_500))
            .collect();
        let platforms: Vec<&str> = (0..5_000).map(|i| ["a", "b"][i % 2]).collect();
        let posts = df!("platform" => platforms.clone(), "post_id" => ids.clone()).unwrap();
        let mut seen = std::collections::HashSet::new();
        let expected: Vec<bool> = platforms
            .iter()
            .zip(&ids)
            .map(|(p, id)| seen.insert((*p, id.as_str())))
            .collect();
        for threads in [1, 2, 7] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let keep = pool.install(|| first_occurrences(&posts)).unwrap().unwrap();
            let keep: Vec<bool> = keep.iter().map(|k| k == Some(true)).collect();
            assert_eq!(keep, expected, "{threads} threads");
        }
        let unique = df!("platform" => ["a", "b", "a"], "post_id" => ["1", "1", "2"]).unwrap();
        assert!(first_occurrences(&unique).unwrap().is_none());
    }

    /// take_rows gathers list columns (with null, empty and sliced lists) and the others
    /// as polars' own gather does.
    #[test]
    fn rows_taken_as_polars_takes_them() {
        let tags: Vec<Option<Series>> = (0..50)
            .map(|i| match i % 4 {
                0 => None,
                1 => Some(Series::new("".into(), Vec::<String>::new())),
                _ => Some(Series::new(
                    "".into(),
                    (0..i % 5).map(|j| format!("t{i}-{j}")).collect::<Vec<_>>(),
                )),
            })
            .collect();
        let frame = df!(
            "id" => (0..50).map(|i| format!("p{i}")).collect::<Vec<_>>(),
            "n" => (0..50i64).map(|i| (i % 3 != 0).then_some(i)).collect::<Vec<_>>(),
            "tags" => tags,
        )
        .unwrap()
        .slice(3, 40);
        let order: Vec<IdxSize> = (0..40).rev().step_by(3).chain([0, 0, 7]).collect();
        let expected = frame
            .take(&IdxCa::from_slice("order".into(), &order))
            .unwrap();
        assert!(
            take_rows(frame.clone(), &order)
                .unwrap()
                .equals_missing(&expected)
        );
    }

    #[test]
    fn ordered_unique_complete_input_is_left_as_it_is() {
        let df = frame(
            0,
            &[("1", 1, None, None, "a"), ("2", 2, Some("1"), None, "b")],
        );
        let mut filled = df.clone();
        fill_parents(&mut filled).unwrap();
        assert_eq!(times(&filled, "parent_created_at"), [None, Some(1000)]);
        assert!(first_occurrences(&filled).unwrap().is_none());
        assert!(time_order(&filled).unwrap().is_none());
        let swapped = df.take(&IdxCa::from_vec("i".into(), vec![1, 0])).unwrap();
        let order = time_order(&swapped).unwrap().expect("out of order");
        assert_eq!(order, [1, 0]);
    }
}
