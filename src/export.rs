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

/// Parquet with zstd compression and statistics.
pub fn write_parquet(df: &mut DataFrame, path: &Path) -> Result<()> {
    write_atomic(path, |writer| {
        ParquetWriter::new(writer)
            .with_compression(ParquetCompression::Zstd(None))
            .finish(df)?;
        Ok(())
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
