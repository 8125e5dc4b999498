//! Writing outputs. Every file is written to a temporary name in the destination folder
//! and renamed into place, so a crash never leaves a half-written table behind.

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
        writer.get_ref().sync_all()?;
        Ok(())
    })();
    if let Err(error) = result {
        let _ = std::fs::remove_file(&temporary);
        return Err(error.context(format!("writing {}", path.display())));
    }
    std::fs::rename(&temporary, path).with_context(|| format!("renaming into {}", path.display()))
}

/// Rows per Parquet row group: polars' default.
const ROW_GROUP_ROWS: usize = 512 * 512;

/// Parquet with zstd compression and statistics, as polars' `ParquetWriter` writes it
/// (same row groups, same encodings), but with every column chunk of every row group
/// encoded and compressed in parallel: polars 0.55 compresses them one after another,
/// 1.1 s of one core for a million posts.
pub fn write_parquet(df: &mut DataFrame, path: &Path) -> Result<()> {
    write_atomic(path, |writer| write_parquet_to(df, writer, ROW_GROUP_ROWS))
}

fn write_parquet_to(
    df: &mut DataFrame,
    writer: &mut impl Write,
    row_group_rows: usize,
) -> Result<()> {
    use polars::io::parquet::write::{BatchedWriter, StatisticsOptions, get_encodings};
    use polars_parquet::parquet::error::{ParquetError, ParquetResult};
    use polars_parquet::write::{
        CompressedPage, CompressionOptions, Compressor, FileWriter, Version, WriteOptions,
        array_to_columns, to_parquet_schema,
    };
    use rayon::prelude::*;

    let options = WriteOptions {
        statistics: StatisticsOptions::default(),
        version: Version::V1,
        compression: CompressionOptions::Zstd(None),
        data_page_size: None,
    };
    let arrow_schema = df.schema().to_arrow(CompatLevel::newest());
    let parquet_schema = to_parquet_schema(&arrow_schema)?;
    let encodings = get_encodings(&arrow_schema);
    let grouped = polars::frame::chunk_df_for_writing(df, row_group_rows)?;
    let batches: Vec<_> = grouped
        .iter_chunks(CompatLevel::newest(), false)
        .filter(|batch| !batch.is_empty())
        .collect();
    let width = arrow_schema.len();
    let encode = |task: usize| -> Result<Vec<Vec<CompressedPage>>> {
        let (batch, column) = (&batches[task / width], task % width);
        let mut leaves = Vec::new();
        for pages in array_to_columns(
            &batch.columns()[column],
            parquet_schema.fields()[column].clone(),
            options,
            &encodings[column],
        )? {
            let pages = pages
                .map(|page| page.map_err(|e| ParquetError::FeatureNotSupported(format!("{e}"))));
            let compressed = Compressor::new_from_vec(pages, options.compression, vec![])
                .collect::<ParquetResult<Vec<CompressedPage>>>()?;
            leaves.push(compressed);
        }
        Ok(leaves)
    };
    let mut encoded = (0..batches.len() * width)
        .into_par_iter()
        .map(encode)
        .collect::<Result<Vec<_>>>()?
        .into_iter();
    let file = FileWriter::new_with_parquet_schema(writer, arrow_schema, parquet_schema, options);
    let mut batched =
        BatchedWriter::new(std::sync::Mutex::new(file), encodings, options, false, None);
    for batch in &batches {
        let row_group: Vec<Vec<CompressedPage>> = encoded.by_ref().take(width).flatten().collect();
        batched.write_row_group(batch.len() as u64, &row_group)?;
    }
    batched.finish()?;
    Ok(())
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

/// The amplification network's files in `dir`: `retweets.graphml` and `retweets.gexf` for
/// Gephi (filtered by `options.min_weight` / `options.top_n`), `edges.csv` (every layer,
/// unfiltered) and `nodes.csv` (every metric).
pub fn write_graph(
    graph: &crate::graph::AmplificationGraph,
    extra: Option<&crate::graph::ExtraAttributes>,
    options: &crate::graph::GraphOptions,
    dir: &Path,
) -> Result<()> {
    use crate::graph::network::{self, ExportFilter, Layer};
    let retweets =
        network::find_layer(&graph.layers, Layer::Retweet).context("no retweet layer")?;
    let attributes = crate::graph::node_attributes(graph, extra);
    let filter = ExportFilter {
        min_weight: options.min_weight,
        top_n_by_pagerank: options.top_n,
        drop_isolated: options.top_n.is_some() || options.min_weight > 1,
    };
    let pagerank = &graph.metrics.pagerank;
    write_atomic(&dir.join("retweets.graphml"), |w| {
        network::write_graphml(w, retweets, &graph.node_ids, &attributes, pagerank, &filter)
    })?;
    write_atomic(&dir.join("retweets.gexf"), |w| {
        network::write_gexf(w, retweets, &graph.node_ids, &attributes, pagerank, &filter)
    })?;
    write_atomic(&dir.join("edges.csv"), |w| {
        network::write_edges_csv(w, &graph.layers, &graph.node_ids)
    })?;
    let mut nodes = crate::graph::nodes_table(graph)?;
    write_csv(&mut nodes, &dir.join("nodes.csv"))
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

    #[test]
    fn parallel_parquet_is_byte_identical_to_polars_writer() {
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
            assert_eq!(ours, theirs, "row groups of {row_group_rows}");
            let back = ParquetReader::new(std::io::Cursor::new(ours))
                .finish()
                .unwrap();
            assert!(back.equals_missing(&df));
        }
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
