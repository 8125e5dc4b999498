//! Reading list-of-string columns (hashtags, URLs, mentions) row by row without building a
//! polars Series per row, which dominated the cost of the coordination, graph and spread
//! stages on millions of posts.

use anyhow::{Context, Result};
use polars::prelude::*;
use polars_arrow::array::{Array, Utf8ViewArray};

/// A datetime column as Unix milliseconds (null stays null).
pub fn times_ms(df: &DataFrame, name: &str) -> Result<Vec<Option<i64>>> {
    let physical = df.column(name)?.as_materialized_series().to_physical_repr();
    Ok(physical.i64()?.iter().collect())
}

/// A string column's values, borrowed from the frame.
pub fn strs<'a>(df: &'a DataFrame, name: &str) -> Result<Vec<Option<&'a str>>> {
    Ok(df.column(name)?.str()?.iter().collect())
}

/// The strings of a `List(String)` column, borrowed from its buffers: `row(i)` is row i's
/// strings (empty for null lists; null strings inside a list are left out).
pub struct StringLists<'a> {
    /// Start of each row in `values`; `starts[i + 1]` is the end of row i.
    starts: Vec<usize>,
    values: Vec<&'a str>,
}

impl<'a> StringLists<'a> {
    /// Borrows the strings of a `List(String)` column; an error if the column is not a list
    /// of strings.
    pub fn new(column: &'a Column) -> Result<Self> {
        let list = column
            .list()
            .map_err(|e| anyhow::anyhow!("column `{}` is not a list: {e}", column.name()))?;
        let mut starts = Vec::with_capacity(list.len() + 1);
        let mut values = Vec::new();
        starts.push(0);
        for array in list.downcast_iter() {
            let strings = array
                .values()
                .as_any()
                .downcast_ref::<Utf8ViewArray>()
                .with_context(|| format!("column `{}` is not a list of strings", column.name()))?;
            let offsets = array.offsets().as_slice();
            for row in 0..array.len() {
                if array.is_valid(row) {
                    for j in offsets[row] as usize..offsets[row + 1] as usize {
                        if strings.is_valid(j) {
                            values.push(strings.value(j));
                        }
                    }
                }
                starts.push(values.len());
            }
        }
        Ok(StringLists { starts, values })
    }

    /// Row `i`'s strings, in list order (empty for a null list). Panics if `i` is out of range.
    pub fn row(&self, i: usize) -> &[&'a str] {
        &self.values[self.starts[i]..self.starts[i + 1]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_match_the_column() {
        let mut builder = ListStringChunkedBuilder::new("tags".into(), 3, 3);
        builder.append_values_iter(["a", "b"].into_iter());
        builder.append_null();
        builder.append_values_iter(["c"].into_iter());
        let column: Column = builder.finish().into_series().into();
        let lists = StringLists::new(&column).unwrap();
        assert_eq!(lists.row(0), ["a", "b"]);
        assert!(lists.row(1).is_empty());
        assert_eq!(lists.row(2), ["c"]);
    }
}
