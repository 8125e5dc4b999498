//! Writing outputs. Every file is written to a temporary name in the destination folder
//! and renamed into place, so a crash never leaves a half-written table behind.

pub mod gephi;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};
use polars::prelude::*;

/// Writes `path` atomically through `write`.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let name = path
        .file_name()
        .context("output path has no file name")?
        .to_string_lossy();
    let temporary = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| -> Result<()> {
        let file = File::create(&temporary)
            .with_context(|| format!("creating {}", temporary.display()))?;
        let mut writer = BufWriter::new(file);
        write(&mut writer)?;
        writer.flush()?;
        crate::staged::test_disk_full(writer.get_ref())?;
        writer.get_ref().sync_all()?;
        Ok(())
    })();
    if let Err(error) = result {
        let _ = std::fs::remove_file(&temporary);
        return Err(error.context(format!("writing {}", path.display())));
    }
    std::fs::rename(&temporary, path).with_context(|| format!("renaming into {}", path.display()))
}

/// The column types of the Arrow schema stored in a Parquet file (its `ARROW:schema`
/// metadata, which pandas, R arrow and Spark read), as `name: type` lines. Read raw:
/// polars' own reader turns large strings back into views when it loads the file.
pub fn stored_arrow_types(bytes: &[u8]) -> Result<Vec<String>> {
    use base64::Engine as _;
    let meta = polars_parquet::read::read_metadata(&mut std::io::Cursor::new(bytes))?;
    let encoded = meta
        .key_value_metadata()
        .as_ref()
        .and_then(|kv| kv.iter().find(|k| k.key == "ARROW:schema"))
        .and_then(|k| k.value.clone())
        .context("no ARROW:schema in the Parquet metadata")?;
    let raw = base64::engine::general_purpose::STANDARD.decode(encoded)?;
    let ipc = if raw.len() >= 8 && raw[..4] == [255u8; 4] {
        &raw[8..]
    } else {
        &raw[..]
    };
    let (schema, ..) = polars_arrow::io::ipc::read::deserialize_schema(ipc)?;
    Ok(schema
        .iter_values()
        .map(|f| format!("{}: {:?}", f.name, f.dtype))
        .collect())
}

/// Rows per Parquet row group: polars' default.
const ROW_GROUP_ROWS: usize = 512 * 512;

/// Parquet with zstd compression and statistics, in polars' `ParquetWriter` layout (same
/// row groups, same encodings), with two differences:
/// - the Arrow schema stored in the file uses plain `large_string` / `large_list` types
///   ([`CompatLevel::oldest`]), not polars' newest string *views*: pandas (pyarrow) cannot
///   convert `list<string_view>` ("Not implemented type for Arrow list to pandas"), and
///   older pyarrow, R arrow and Spark do not know view types at all. The Parquet pages are
///   the same either way (BYTE_ARRAY with the String logical type);
/// - every column chunk of every row group is encoded and compressed in parallel: polars
///   0.55 compresses them one after another, 1.1 s of one core for a million posts.
pub fn write_parquet(df: &mut DataFrame, path: &Path) -> Result<()> {
    write_atomic(path, |writer| write_parquet_to(df, writer, ROW_GROUP_ROWS))
}

fn write_parquet_to(
    df: &mut DataFrame,
    writer: &mut impl Write,
    row_group_rows: usize,
) -> Result<()> {
    let mut stream = ParquetStream::new(writer, df, row_group_rows)?;
    stream.write(df)?;
    stream.finish()
}

/// polars' `chunk_df_for_writing` (same row groups), one row group at a time: many small
/// chunks are gathered into groups of `rows` (a slice, copied into one chunk), one group
/// after the other; otherwise polars' own split, which does not copy large chunks.
fn for_each_row_group(
    df: &mut DataFrame,
    rows: usize,
    mut f: impl FnMut(DataFrame) -> Result<()>,
) -> Result<()> {
    df.align_chunks_par();
    let lengths: Vec<usize> = match df.columns().first() {
        Some(column) => column.as_materialized_series().chunk_lengths().collect(),
        None => Vec::new(),
    };
    if lengths.is_empty() || !lengths.iter().take(5).all(|&l| l < rows) {
        let grouped = polars::frame::chunk_df_for_writing(df, rows)?;
        return f(grouped.into_owned());
    }
    let (mut offset, mut len, mut remaining) = (0usize, 0usize, rows);
    for l in lengths {
        remaining = remaining.saturating_sub(l);
        len += l;
        if remaining == 0 {
            let mut group = df.slice(offset as i64, len);
            group.rechunk_mut_par();
            f(group)?;
            (offset, len, remaining) = (offset + len, 0, rows);
        }
    }
    if len > 0 {
        let mut group = df.slice(offset as i64, len);
        group.rechunk_mut_par();
        f(group)?;
    }
    Ok(())
}

/// A Parquet file written table by table ([`write_parquet`]'s layout and encoding): each
/// table given to [`ParquetStream::write`] becomes row groups of at most `row_group_rows`,
/// so a long table need never be in memory whole. Every table must have the schema the
/// stream was opened with.
pub struct ParquetStream<W: Write> {
    batched: polars::io::parquet::write::BatchedWriter<W>,
    arrow_schema: ArrowSchema,
    parquet_schema: polars_parquet::write::SchemaDescriptor,
    encodings: Vec<Vec<polars_parquet::write::Encoding>>,
    options: polars_parquet::write::WriteOptions,
    row_group_rows: usize,
}

impl<W: Write> ParquetStream<W> {
    /// Opens the stream with the schema of `like` (its rows are not written).
    pub fn new(writer: W, like: &DataFrame, row_group_rows: usize) -> Result<Self> {
        use polars::io::parquet::write::{BatchedWriter, StatisticsOptions, get_encodings};
        use polars_parquet::write::{
            CompressionOptions, FileWriter, Version, WriteOptions, to_parquet_schema,
        };
        let options = WriteOptions {
            statistics: StatisticsOptions::default(),
            version: Version::V1,
            compression: CompressionOptions::Zstd(None),
            data_page_size: None,
        };
        let arrow_schema = like.schema().to_arrow(CompatLevel::oldest());
        let parquet_schema = to_parquet_schema(&arrow_schema)?;
        let encodings = get_encodings(&arrow_schema);
        let file = FileWriter::new_with_parquet_schema(
            writer,
            arrow_schema.clone(),
            parquet_schema.clone(),
            options,
        );
        let batched = BatchedWriter::new(
            std::sync::Mutex::new(file),
            encodings.clone(),
            options,
            false,
            None,
        );
        Ok(ParquetStream {
            batched,
            arrow_schema,
            parquet_schema,
            encodings: encodings.iter().cloned().collect(),
            options,
            row_group_rows,
        })
    }

    /// Appends the rows of `df` in polars' row groups, one row group at a time, its column
    /// chunks encoded and compressed in parallel, then written in order. Row groups are
    /// gathered from `df`'s chunks one by one: polars' `chunk_df_for_writing` would copy a
    /// table of many small chunks whole (and its Arrow conversion a second time), which was
    /// 2.5 GB of transient memory for 3 M posts.
    pub fn write(&mut self, df: &mut DataFrame) -> Result<()> {
        for_each_row_group(df, self.row_group_rows, |group| {
            let lengths: Vec<usize> = match group.columns().first() {
                Some(column) => column.as_materialized_series().chunk_lengths().collect(),
                None => Vec::new(),
            };
            for (chunk, &rows) in lengths.iter().enumerate() {
                if rows > 0 {
                    self.write_row_group(&group, chunk, rows)?;
                }
            }
            Ok(())
        })
    }

    /// Writes chunk `chunk` of `group`'s columns as one row group. Each column is converted
    /// to Arrow's large types (a copy of its strings) inside its own encoding task and freed
    /// once encoded: converting the whole row group first (polars' `iter_chunks`, as
    /// before) held a copy of all its columns at once, a quarter of a million posts' text
    /// and lists, beside the analysis. The bytes written are the same.
    fn write_row_group(&mut self, group: &DataFrame, chunk: usize, rows: usize) -> Result<()> {
        use polars_parquet::parquet::error::{ParquetError, ParquetResult};
        use polars_parquet::write::{CompressedPage, Compressor, array_to_columns};
        use rayon::prelude::*;

        let (parquet_schema, options, encodings) =
            (&self.parquet_schema, self.options, &self.encodings);
        let encode = |column: usize| -> Result<Vec<Vec<CompressedPage>>> {
            let series = group.columns()[column].as_materialized_series();
            let array = match series.dtype() {
                DataType::List(_) => {
                    list_chunk_with_own_values(series, chunk)?.to_arrow(0, CompatLevel::oldest())
                }
                _ => series.to_arrow(chunk, CompatLevel::oldest()),
            };
            let mut leaves = Vec::new();
            for pages in array_to_columns(
                &array,
                parquet_schema.fields()[column].clone(),
                options,
                &encodings[column],
            )? {
                let pages = pages.map(|page| {
                    page.map_err(|e| ParquetError::FeatureNotSupported(format!("{e}")))
                });
                let compressed = Compressor::new_from_vec(pages, options.compression, vec![])
                    .collect::<ParquetResult<Vec<CompressedPage>>>()?;
                leaves.push(compressed);
            }
            Ok(leaves)
        };
        let row_group: Vec<Vec<CompressedPage>> = (0..self.arrow_schema.len())
            .into_par_iter()
            .map(encode)
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect();
        self.batched.write_row_group(rows as u64, &row_group)?;
        Ok(())
    }

    /// Writes the footer.
    pub fn finish(self) -> Result<()> {
        self.batched.finish()?;
        Ok(())
    }
}

/// Chunk `chunk` of a list column as a one-chunk series holding only its own rows' values.
/// A row group is a slice of the table, and a sliced list array keeps the values of every
/// row: polars' Arrow conversion converted them all (a copy of the whole column's strings)
/// for each row group, so writing grew with rows × row groups (10 M posts: 36 row groups,
/// each converting every hashtag, URL and mention). The values and offsets written are the
/// same.
fn list_chunk_with_own_values(series: &Series, chunk: usize) -> Result<Series> {
    use polars_arrow::array::{Array, ListArray};
    use polars_arrow::offset::OffsetsBuffer;
    let array = series.chunks()[chunk]
        .as_any()
        .downcast_ref::<ListArray<i64>>()
        .with_context(|| format!("column `{}` is not a large list", series.name()))?;
    let offsets = array.offsets().as_slice();
    let (start, end) = (offsets[0], offsets[offsets.len() - 1]);
    let values = array
        .values()
        .sliced(start as usize, (end - start) as usize);
    let rebased: Vec<i64> = offsets.iter().map(|o| o - start).collect();
    let list = ListArray::<i64>::try_new(
        array.dtype().clone(),
        OffsetsBuffer::try_from(rebased)?,
        values,
        array.validity().cloned(),
    )?;
    // SAFETY: the same list type as the column's, its values a slice of the column's.
    Ok(unsafe {
        Series::from_chunks_and_dtype_unchecked(
            series.name().clone(),
            vec![Box::new(list)],
            series.dtype(),
        )
    })
}

/// Pretty JSON with a final newline.
pub fn write_json<T: serde::Serialize>(value: &T, path: &Path) -> Result<()> {
    write_atomic(path, |writer| {
        serde_json::to_writer_pretty(&mut *writer, value)?;
        writer.write_all(b"\n")?;
        Ok(())
    })
}

/// Reads a Parquet table written by an earlier stage.
pub fn read_parquet(path: &Path) -> Result<DataFrame> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let df = ParquetReader::new(file).finish();
    anyhow::Context::with_context(df, || format!("reading {} as Parquet", path.display()))
}

/// CSV with a header, times as ISO 8601 UTC, floats as polars writes them (shortest
/// round-trip form of values already rounded by the stage that made them).
pub fn write_csv(df: &mut DataFrame, path: &Path) -> Result<()> {
    write_atomic(path, |writer| {
        CsvWriter::new(writer)
            .include_header(true)
            .with_datetime_format(Some("%Y-%m-%dT%H:%M:%S%.3fZ".into()))
            .finish(df)?;
        Ok(())
    })
}

/// Runs the coordination stage and writes its files in `dir`: `edges.parquet` (every
/// candidate edge, i.e. every pair with `min_coactions`, with its expected count and p-value,
/// streamed as the sweeps produce them), `edges.csv` (the significant edges only: the
/// candidates were 3.4 GB of CSV for 10 M posts) and `clusters.csv`.
pub fn write_coordination(
    posts: &DataFrame,
    index: &crate::account_index::AccountIndex,
    options: &crate::coordination::CoordOptions,
    source: crate::coordination::reduced::PairSource,
    dir: &Path,
) -> Result<crate::coordination::Coordination> {
    let mut found = None;
    write_atomic(&dir.join("edges.parquet"), |writer| {
        let like = crate::coordination::empty_edges()?;
        let mut stream = ParquetStream::new(writer, &like, ROW_GROUP_ROWS)?;
        found = Some(crate::coordination::detect_from(
            posts,
            index,
            options,
            source,
            &mut |mut candidates| stream.write(&mut candidates),
        )?);
        stream.finish()
    })?;
    let mut found = found.context("coordination did not run")?;
    write_csv(&mut found.edges, &dir.join("edges.csv"))?;
    write_csv(&mut found.clusters, &dir.join("clusters.csv"))?;
    Ok(found)
}

/// The amplification network's files in `dir`: `retweets.graphml` and `retweets.gexf` for
/// Gephi (filtered by `options.min_weight`, and cut to the `options.top_n` accounts of highest
/// PageRank when the layer has more), `edges.csv` (every layer, unfiltered) and `nodes.csv`
/// (every metric). Returns what the Gephi files hold.
pub fn write_graph(
    graph: &crate::graph::AmplificationGraph,
    extra: Option<&crate::graph::ExtraAttributes>,
    options: &crate::graph::GraphOptions,
    dir: &Path,
) -> Result<crate::graph::GephiSummary> {
    use crate::graph::network::{self, Layer};
    use gephi::ExportFilter;
    let retweets =
        network::find_layer(&graph.layers, Layer::Retweet).context("no retweet layer")?;
    let attributes = crate::graph::node_attributes(graph, extra);
    let limit = options.top_n.filter(|&n| retweets.n_accounts() > n);
    let filter = ExportFilter {
        min_weight: options.min_weight,
        top_n_by_pagerank: limit,
        drop_isolated: limit.is_some() || options.min_weight > 1,
    };
    let pagerank = &graph.metrics.pagerank;
    let (nodes, edges) =
        gephi::export_size(retweets, &graph.node_ids, &attributes, pagerank, &filter)?;
    let gephi = crate::graph::GephiSummary {
        max_nodes: options.top_n,
        layer_nodes: retweets.n_accounts(),
        nodes,
        edges,
        limited: limit.is_some(),
    };
    // The four files are independent: written side by side (each writer is sequential).
    type GephiWriter = fn(
        &mut BufWriter<File>,
        &network::LayerGraph,
        &[String],
        &crate::graph::attributes::NodeAttributes,
        &[f64],
        &ExportFilter,
    ) -> Result<()>;
    let gephi_file = |name: &str, write: GephiWriter| {
        write_atomic(&dir.join(name), |w| {
            write(w, retweets, &graph.node_ids, &attributes, pagerank, &filter)
        })
    };
    let ((graphml, gexf), (edges, nodes)) = rayon::join(
        || {
            rayon::join(
                || {
                    gephi_file("retweets.graphml", |w, l, n, a, p, f| {
                        gephi::write_graphml(w, l, n, a, p, f)
                    })
                },
                || {
                    gephi_file("retweets.gexf", |w, l, n, a, p, f| {
                        gephi::write_gexf(w, l, n, a, p, f)
                    })
                },
            )
        },
        || {
            rayon::join(
                || {
                    write_atomic(&dir.join("edges.csv"), |w| {
                        gephi::write_edges_csv(w, &graph.layers, &graph.node_ids)
                    })
                },
                || {
                    write_csv(
                        &mut crate::graph::nodes_table(graph)?,
                        &dir.join("nodes.csv"),
                    )
                },
            )
        },
    );
    graphml?;
    gexf?;
    edges?;
    nodes?;
    Ok(gephi)
}

/// Raw bytes (PNG figures).
pub fn write_bytes(bytes: &[u8], path: &Path) -> Result<()> {
    write_atomic(path, |writer| Ok(writer.write_all(bytes)?))
}

/// Text (Markdown report).
pub fn write_text(text: &str, path: &Path) -> Result<()> {
    write_bytes(text.as_bytes(), path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A slice of a list column, trimmed: only its rows' values, the same lists.
    #[test]
    fn list_chunks_keep_only_their_rows_values() {
        let mut tags = ListStringChunkedBuilder::new("tags".into(), 100, 300);
        for i in 0..100 {
            if i % 9 == 0 {
                tags.append_null();
            } else {
                let row: Vec<String> = (0..i % 4).map(|j| format!("tag{i}-{j}")).collect();
                tags.append_values_iter(row.iter().map(String::as_str));
            }
        }
        let column = tags.finish().into_series();
        let slice = column.slice(40, 30);
        let trimmed = list_chunk_with_own_values(&slice, 0).unwrap();
        assert!(trimmed.equals_missing(&slice));
        let values_held = |s: &Series| {
            s.list()
                .unwrap()
                .downcast_iter()
                .next()
                .unwrap()
                .values()
                .len()
        };
        let values = values_held(&trimmed);
        let expected: usize = (40..70).filter(|i| i % 9 != 0).map(|i| i % 4).sum();
        assert_eq!(values, expected);
        let full = values_held(&slice);
        assert!(
            full > values,
            "the untrimmed slice keeps every row's values"
        );
    }

    #[test]
    fn parquet_has_polars_layout_without_view_types() {
        let rows = 2_500;
        let ids: Vec<String> = (0..rows).map(|i| format!("post-{i:07}")).collect();
        let texts: Vec<Option<String>> = (0..rows)
            .map(|i| (i % 7 != 0).then(|| format!("text {i} #MacronLeaks é")))
            .collect();
        let times: Vec<i64> = (0..rows).map(|i| 1_494_000_000_000 + i * 1000).collect();
        let mut tags =
            ListStringChunkedBuilder::new("hashtags".into(), rows as usize, rows as usize);
        for i in 0..rows {
            if i % 5 == 0 {
                tags.append_null();
            } else {
                tags.append_values_iter(["macronleaks", "france"].into_iter().take(i as usize % 3));
            }
        }
        let datetime = DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC));
        let mut df = DataFrame::new_infer_height(vec![
            Column::new("post_id".into(), ids),
            Column::new("text".into(), texts),
            Column::new("created_at".into(), times)
                .cast(&datetime)
                .unwrap(),
            tags.finish().into_series().into(),
        ])
        .unwrap();
        for row_group_rows in [1_000, 10_000] {
            let mut ours = Vec::new();
            write_parquet_to(&mut df, &mut ours, row_group_rows).unwrap();
            let mut theirs = Vec::new();
            ParquetWriter::new(&mut theirs)
                .with_compression(ParquetCompression::Zstd(None))
                .with_row_group_size(Some(row_group_rows))
                .finish(&mut df)
                .unwrap();
            // Same Parquet layout as polars' writer: physical schema and row groups.
            let meta = |bytes: &[u8]| {
                polars_parquet::read::read_metadata(&mut std::io::Cursor::new(bytes)).unwrap()
            };
            let (m_ours, m_theirs) = (meta(&ours), meta(&theirs));
            assert_eq!(
                format!("{:?}", m_ours.schema().fields()),
                format!("{:?}", m_theirs.schema().fields())
            );
            let rows = |m: &polars_parquet::read::FileMetadata| {
                m.row_groups
                    .iter()
                    .map(|g| g.num_rows())
                    .collect::<Vec<_>>()
            };
            assert_eq!(rows(&m_ours), rows(&m_theirs));
            // ... but the stored Arrow schema has no view types (pandas rejects them).
            let text = stored_arrow_types(&ours).unwrap().join("\n");
            assert!(!text.contains("View"), "{text}");
            assert!(
                text.contains("LargeUtf8") && text.contains("LargeList"),
                "{text}"
            );
            let back = ParquetReader::new(std::io::Cursor::new(ours.clone()))
                .finish()
                .unwrap();
            assert!(back.equals_missing(&df));
            let mut again = Vec::new();
            write_parquet_to(&mut df, &mut again, row_group_rows).unwrap();
            assert_eq!(ours, again, "reruns are byte-identical");
        }
        // Many small chunks (a table concatenated from ingest pieces) are gathered into the
        // row groups polars' writer makes, one group at a time.
        let mut pieces = df.slice(0, 300);
        for offset in (300..2_500).step_by(300) {
            pieces.vstack_mut(&df.slice(offset, 300)).unwrap();
        }
        assert!(pieces.first_col_n_chunks() > 5);
        let mut ours = Vec::new();
        write_parquet_to(&mut pieces.clone(), &mut ours, 1_000).unwrap();
        let mut theirs = Vec::new();
        ParquetWriter::new(&mut theirs)
            .with_compression(ParquetCompression::Zstd(None))
            .with_row_group_size(Some(1_000))
            .finish(&mut pieces.clone())
            .unwrap();
        let groups = |bytes: &[u8]| -> Vec<u64> {
            polars_parquet::read::read_metadata(&mut std::io::Cursor::new(bytes))
                .unwrap()
                .row_groups
                .iter()
                .map(|g| g.num_rows() as u64)
                .collect()
        };
        assert_eq!(groups(&ours), groups(&theirs));
        assert_eq!(groups(&ours), [1_200, 1_200, 100]);
        let back = ParquetReader::new(std::io::Cursor::new(ours))
            .finish()
            .unwrap();
        assert!(back.equals_missing(&df));

        // Streamed in pieces: the same rows, row groups cut at the pieces at least.
        let mut streamed = Vec::new();
        let mut stream = ParquetStream::new(&mut streamed, &df, 1_000).unwrap();
        for (offset, len) in [(0, 700), (700, 1_800), (2_500, 0)] {
            stream.write(&mut df.slice(offset, len)).unwrap();
        }
        stream.finish().unwrap();
        let back = ParquetReader::new(std::io::Cursor::new(streamed.clone()))
            .finish()
            .unwrap();
        assert!(back.equals_missing(&df));
        let groups: Vec<u64> =
            polars_parquet::read::read_metadata(&mut std::io::Cursor::new(&streamed))
                .unwrap()
                .row_groups
                .iter()
                .map(|g| g.num_rows() as u64)
                .collect();
        assert!(
            groups.len() >= 2 && groups.iter().sum::<u64>() == 2_500,
            "{groups:?}"
        );
        let mut empty = df.head(Some(0));
        let mut bytes = Vec::new();
        write_parquet_to(&mut empty, &mut bytes, 1_000).unwrap();
        let back = ParquetReader::new(std::io::Cursor::new(bytes))
            .finish()
            .unwrap();
        assert_eq!(back.height(), 0);
        assert_eq!(back.schema(), empty.schema());
    }
}
