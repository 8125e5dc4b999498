//! The amplification network's files: one layer as GraphML and as GEXF for Gephi (and
//! Cytoscape, igraph, networkx), every layer's edges as CSV.
//!
//! Edge direction, as everywhere: from the amplifier to the amplified account
//! ([`EDGE_DIRECTION`], written into every Gephi file). The edge CSV has the columns
//! `source,target,layer,count,first_time,last_time`, one row per aggregated edge; `source`
//! is the amplifier and `target` the amplified account (CSV has no place to say so, hence
//! this note). Times are ISO-8601 UTC with milliseconds.

use std::borrow::Cow;
use std::collections::HashSet;
use std::io::{BufWriter, Write};

use anyhow::{Result, ensure};
use rayon::prelude::*;

use crate::graph::attributes::{AttrValue, NodeAttributes};
use crate::graph::network::{EDGE_DIRECTION, EdgeData, LayerGraph};
use crate::ingest::text::iso_millis;

/// Which part of a layer goes into a Gephi file (GraphML/GEXF only; metrics and the edge
/// CSV always use the full graph).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExportFilter {
    /// Drop edges with fewer interactions than this.
    pub min_weight: u32,
    /// Keep only the N accounts with the highest PageRank (ties by smaller index) and the
    /// edges among them.
    pub top_n_by_pagerank: Option<usize>,
    /// Also drop accounts left without any edge after the above.
    pub drop_isolated: bool,
}

impl Default for ExportFilter {
    /// Everything: all edges, all accounts.
    fn default() -> Self {
        ExportFilter {
            min_weight: 1,
            top_n_by_pagerank: None,
            drop_isolated: false,
        }
    }
}

/// Accounts and edges the Gephi writers keep under `filter`.
pub fn export_size(
    layer: &LayerGraph,
    node_ids: &[String],
    attrs: &NodeAttributes,
    pagerank: &[f64],
    filter: &ExportFilter,
) -> Result<(usize, usize)> {
    let plan = ExportPlan::new(layer, node_ids, attrs, pagerank, filter)?;
    Ok((plan.nodes.len(), plan.edges.len()))
}
/// Validated selection of nodes and edges to export.
struct ExportPlan<'a> {
    layer: &'a LayerGraph,
    node_ids: Vec<Cow<'a, str>>,
    labels: Vec<Cow<'a, str>>,
    nodes: Vec<usize>,
    edges: Vec<usize>,
    description: String,
}

impl<'a> ExportPlan<'a> {
    fn new(
        layer: &'a LayerGraph,
        node_ids: &'a [String],
        attrs: &'a NodeAttributes,
        pagerank: &[f64],
        filter: &ExportFilter,
    ) -> Result<Self> {
        let n = layer.n_accounts();
        ensure!(
            node_ids.len() == n,
            "{} node ids for {n} accounts",
            node_ids.len()
        );
        ensure!(
            pagerank.is_empty() || pagerank.len() == n,
            "{} PageRank values for {n} accounts",
            pagerank.len()
        );
        attrs.validate(n)?;

        let mut keep = vec![true; n];
        if let Some(top_n) = filter.top_n_by_pagerank {
            ensure!(
                !pagerank.is_empty(),
                "top_n_by_pagerank needs PageRank values"
            );
            keep = vec![false; n];
            let finite: Vec<f64> = pagerank
                .iter()
                .map(|&p| if p.is_finite() { p } else { f64::NEG_INFINITY })
                .collect();
            // Highest first, ties by index: a total order, so the first `top_n` are one set
            // whichever way they are found; a selection, not a sort of every account.
            let mut order: Vec<usize> = (0..n).collect();
            if top_n < n {
                order.select_nth_unstable_by(top_n, |&a, &b| {
                    finite[b].total_cmp(&finite[a]).then(a.cmp(&b))
                });
            }
            for &v in order.iter().take(top_n) {
                keep[v] = true;
            }
        }
        let edges: Vec<usize> = layer
            .edges()
            .enumerate()
            .filter(|(_, (s, t, e))| e.count >= filter.min_weight && keep[*s] && keep[*t])
            .map(|(i, _)| i)
            .collect();
        if filter.drop_isolated {
            let mut touched = vec![false; n];
            let raw = layer.graph.raw_edges();
            for &i in &edges {
                touched[raw[i].source().index()] = true;
                touched[raw[i].target().index()] = true;
            }
            for (k, t) in keep.iter_mut().zip(touched) {
                *k &= t;
            }
        }
        let nodes: Vec<usize> = (0..n).filter(|&v| keep[v]).collect();

        // Escaped only for the accounts written (edges join kept accounts only).
        let node_ids: Vec<Cow<'a, str>> = node_ids
            .iter()
            .zip(&keep)
            .map(|(s, &kept)| {
                if kept {
                    xml_escape(s)
                } else {
                    Cow::Borrowed("")
                }
            })
            .collect();
        let mut seen = HashSet::with_capacity(nodes.len());
        for &v in &nodes {
            ensure!(
                seen.insert(node_ids[v].as_ref()),
                "duplicate node id {:?} (after removing characters illegal in XML)",
                node_ids[v]
            );
        }
        let handle = attrs.handle_column();
        let labels = (0..n)
            .map(|v| match handle.map(|c| &attrs.rows[v][c]) {
                _ if !keep[v] => Cow::Borrowed(""),
                Some(AttrValue::Str(h)) if !h.is_empty() => xml_escape(h),
                _ => node_ids[v].clone(),
            })
            .collect();
        let filter_text = format!(
            "export filter: min_weight={}, top_n_by_pagerank={}, drop_isolated={}",
            filter.min_weight,
            filter
                .top_n_by_pagerank
                .map_or_else(|| "none".to_string(), |k| k.to_string()),
            filter.drop_isolated
        );
        let description = xml_escape(&format!(
            "tagscope amplification graph, {layer} layer. Directed edges, {EDGE_DIRECTION}. \
             weight = count = number of interactions; first_time/last_time = first and last \
             interaction (UTC). pagerank is computed on the full retweet layer. {filter_text}.",
            layer = layer.layer,
        ))
        .into_owned();
        Ok(ExportPlan {
            layer,
            node_ids,
            labels,
            nodes,
            edges,
            description,
        })
    }

    fn edge(&self, i: usize) -> (&str, &str, &EdgeData) {
        let e = &self.layer.graph.raw_edges()[i];
        (
            &self.node_ids[e.source().index()],
            &self.node_ids[e.target().index()],
            &e.weight,
        )
    }
}

/// Text of a value for XML, already escaped; `None` for missing / non-finite.
fn attr_text(value: &AttrValue) -> Option<Cow<'_, str>> {
    match value {
        AttrValue::Str(s) => Some(xml_escape(s)),
        AttrValue::Int(i) => Some(Cow::Owned(i.to_string())),
        AttrValue::Float(x) => float_text(*x).map(Cow::Owned),
        AttrValue::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        AttrValue::Null => None,
    }
}

/// Shortest round-trip decimal (exponent form for very large/small values); `None` if not
/// finite, since NaN/inf are not valid in Gephi's parsers.
fn float_text(x: f64) -> Option<String> {
    x.is_finite().then(|| format!("{x:?}"))
}

/// Writes one layer as GraphML (directed), for Gephi, Cytoscape, igraph, networkx.
///
/// Node ids are `node_ids`; node data: `label` (the `handle` attribute, else the id),
/// `pagerank` (if `pagerank` is non-empty; normally [`NodeMetrics::pagerank`]) and every
/// column of `attrs`. Edge data: `weight` and `count` (interactions), `first_time`,
/// `last_time` (ISO-8601 UTC) and `first_ms`, `last_ms` (Unix ms). The edge direction is
/// stated in `<desc>` and in the graph data `edge_direction`. Edge ids are `e<index>` in the
/// unfiltered layer, so they are stable across filters.
pub fn write_graphml<W: Write>(
    writer: W,
    layer: &LayerGraph,
    node_ids: &[String],
    attrs: &NodeAttributes,
    pagerank: &[f64],
    filter: &ExportFilter,
) -> Result<()> {
    let plan = ExportPlan::new(layer, node_ids, attrs, pagerank, filter)?;
    let mut w = BufWriter::new(writer);
    writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        w,
        r#"<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">"#
    )?;
    writeln!(w, "  <desc>{}</desc>", plan.description)?;
    writeln!(
        w,
        r#"  <key id="layer" for="graph" attr.name="layer" attr.type="string"/>"#
    )?;
    writeln!(
        w,
        r#"  <key id="edge_direction" for="graph" attr.name="edge_direction" attr.type="string"/>"#
    )?;
    writeln!(
        w,
        r#"  <key id="label" for="node" attr.name="label" attr.type="string"/>"#
    )?;
    if !pagerank.is_empty() {
        writeln!(
            w,
            r#"  <key id="pagerank" for="node" attr.name="pagerank" attr.type="double"/>"#
        )?;
    }
    for (i, column) in attrs.columns.iter().enumerate() {
        writeln!(
            w,
            r#"  <key id="a{i}" for="node" attr.name="{}" attr.type="{}"/>"#,
            xml_escape(&column.name),
            column.kind.as_str()
        )?;
    }
    for (id, kind) in [
        ("weight", "double"),
        ("count", "long"),
        ("first_time", "string"),
        ("last_time", "string"),
        ("first_ms", "long"),
        ("last_ms", "long"),
    ] {
        writeln!(
            w,
            r#"  <key id="{id}" for="edge" attr.name="{id}" attr.type="{kind}"/>"#
        )?;
    }
    writeln!(
        w,
        r#"  <graph id="{}" edgedefault="directed">"#,
        layer.layer
    )?;
    writeln!(w, r#"    <data key="layer">{}</data>"#, layer.layer)?;
    writeln!(
        w,
        r#"    <data key="edge_direction">{}</data>"#,
        xml_escape(EDGE_DIRECTION)
    )?;
    for &v in &plan.nodes {
        write!(
            w,
            r#"    <node id="{}"><data key="label">{}</data>"#,
            plan.node_ids[v], plan.labels[v]
        )?;
        if let Some(p) = pagerank.get(v).and_then(|&p| float_text(p)) {
            write!(w, r#"<data key="pagerank">{p}</data>"#)?;
        }
        if let Some(row) = attrs.rows.get(v) {
            for (i, value) in row.iter().enumerate() {
                if let Some(text) = attr_text(value) {
                    write!(w, r#"<data key="a{i}">{text}</data>"#)?;
                }
            }
        }
        writeln!(w, "</node>")?;
    }
    for &i in &plan.edges {
        let (source, target, e) = plan.edge(i);
        writeln!(
            w,
            r#"    <edge id="e{i}" source="{source}" target="{target}"><data key="weight">{c}</data><data key="count">{c}</data><data key="first_time">{}</data><data key="last_time">{}</data><data key="first_ms">{}</data><data key="last_ms">{}</data></edge>"#,
            format_utc_ms(e.first_ms),
            format_utc_ms(e.last_ms),
            e.first_ms,
            e.last_ms,
            c = e.count,
        )?;
    }
    writeln!(w, "  </graph>")?;
    writeln!(w, "</graphml>")?;
    w.flush()?;
    Ok(())
}

/// Writes one layer as GEXF 1.3 (static, directed), Gephi's native format.
///
/// Same content as [`write_graphml`]: node `label`, typed node attributes (`pagerank` and
/// the columns of `attrs`; missing and non-finite values are omitted), edge `weight` plus
/// edge attributes `count`, `first_time`, `last_time`, `first_ms`, `last_ms`. The edge
/// direction is stated in `<meta><description>`.
pub fn write_gexf<W: Write>(
    writer: W,
    layer: &LayerGraph,
    node_ids: &[String],
    attrs: &NodeAttributes,
    pagerank: &[f64],
    filter: &ExportFilter,
) -> Result<()> {
    let plan = ExportPlan::new(layer, node_ids, attrs, pagerank, filter)?;
    let mut w = BufWriter::new(writer);
    writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        w,
        r#"<gexf xmlns="http://gexf.net/1.3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://gexf.net/1.3 http://gexf.net/1.3/gexf.xsd" version="1.3">"#
    )?;
    writeln!(w, "  <meta>")?;
    writeln!(w, "    <creator>tagscope</creator>")?;
    writeln!(w, "    <description>{}</description>", plan.description)?;
    writeln!(w, "  </meta>")?;
    writeln!(w, r#"  <graph mode="static" defaultedgetype="directed">"#)?;
    writeln!(w, r#"    <attributes class="node" mode="static">"#)?;
    if !pagerank.is_empty() {
        writeln!(
            w,
            r#"      <attribute id="pagerank" title="pagerank" type="double"/>"#
        )?;
    }
    for (i, column) in attrs.columns.iter().enumerate() {
        writeln!(
            w,
            r#"      <attribute id="a{i}" title="{}" type="{}"/>"#,
            xml_escape(&column.name),
            column.kind.as_str()
        )?;
    }
    writeln!(w, "    </attributes>")?;
    writeln!(w, r#"    <attributes class="edge" mode="static">"#)?;
    for (id, kind) in [
        ("count", "long"),
        ("first_time", "string"),
        ("last_time", "string"),
        ("first_ms", "long"),
        ("last_ms", "long"),
    ] {
        writeln!(
            w,
            r#"      <attribute id="{id}" title="{id}" type="{kind}"/>"#
        )?;
    }
    writeln!(w, "    </attributes>")?;
    writeln!(w, "    <nodes>")?;
    let mut values = String::new();
    for &v in &plan.nodes {
        values.clear();
        if let Some(p) = pagerank.get(v).and_then(|&p| float_text(p)) {
            values.push_str(&format!(r#"<attvalue for="pagerank" value="{p}"/>"#));
        }
        if let Some(row) = attrs.rows.get(v) {
            for (i, value) in row.iter().enumerate() {
                if let Some(text) = attr_text(value) {
                    values.push_str(&format!(r#"<attvalue for="a{i}" value="{text}"/>"#));
                }
            }
        }
        let (id, label) = (&plan.node_ids[v], &plan.labels[v]);
        if values.is_empty() {
            writeln!(w, r#"      <node id="{id}" label="{label}"/>"#)?;
        } else {
            writeln!(
                w,
                r#"      <node id="{id}" label="{label}"><attvalues>{values}</attvalues></node>"#
            )?;
        }
    }
    writeln!(w, "    </nodes>")?;
    writeln!(w, "    <edges>")?;
    for &i in &plan.edges {
        let (source, target, e) = plan.edge(i);
        writeln!(
            w,
            r#"      <edge id="e{i}" source="{source}" target="{target}" weight="{c}"><attvalues><attvalue for="count" value="{c}"/><attvalue for="first_time" value="{}"/><attvalue for="last_time" value="{}"/><attvalue for="first_ms" value="{}"/><attvalue for="last_ms" value="{}"/></attvalues></edge>"#,
            format_utc_ms(e.first_ms),
            format_utc_ms(e.last_ms),
            e.first_ms,
            e.last_ms,
            c = e.count,
        )?;
    }
    writeln!(w, "    </edges>")?;
    writeln!(w, "  </graph>")?;
    writeln!(w, "</gexf>")?;
    w.flush()?;
    Ok(())
}

/// The columns of `graph/edges.csv`, in order (also what the distributed check compares).
pub const EDGES_CSV_COLUMNS: [&str; 6] = [
    "source",
    "target",
    "layer",
    "count",
    "first_time",
    "last_time",
];

/// Writes every edge of every given layer as CSV with header
/// `source,target,layer,count,first_time,last_time`; `source` is the amplifier, `target`
/// the amplified account (ids from `node_ids`), times ISO-8601 UTC. Rows follow the layer
/// order, then `(source, target)`. Fields are quoted per RFC 4180 when needed (the csv
/// crate's default). Unfiltered.
pub fn write_edges_csv<W: Write>(
    writer: W,
    layers: &[LayerGraph],
    node_ids: &[String],
) -> Result<()> {
    for layer in layers {
        ensure!(
            layer.n_accounts() == node_ids.len(),
            "layer {} has {} nodes but {} node ids were given",
            layer.layer,
            layer.n_accounts(),
            node_ids.len()
        );
    }
    let mut w = csv::Writer::from_writer(writer);
    w.write_record(EDGES_CSV_COLUMNS)?;
    w.flush()?;
    let mut out = w.into_inner().map_err(|e| e.into_error())?;
    for layer in layers {
        let name = layer.layer.to_string();
        // Rows are formatted in parallel, a slice of edges per task, and written in order:
        // the csv writer quotes field by field, so the pieces join into the same bytes
        // (10 M posts: 8.3 M edges, two times each to format).
        let edges = layer.graph.raw_edges();
        for batch in edges.chunks(EDGE_ROWS_PER_TASK * 16) {
            let pieces: Vec<Vec<u8>> = batch
                .par_chunks(EDGE_ROWS_PER_TASK)
                .map(|slice| -> Result<Vec<u8>> {
                    let mut w = csv::WriterBuilder::new()
                        .has_headers(false)
                        .from_writer(Vec::new());
                    for e in slice {
                        w.write_record([
                            node_ids[e.source().index()].as_str(),
                            node_ids[e.target().index()].as_str(),
                            &name,
                            &e.weight.count.to_string(),
                            &format_utc_ms(e.weight.first_ms),
                            &format_utc_ms(e.weight.last_ms),
                        ])?;
                    }
                    Ok(w.into_inner().map_err(|e| e.into_error())?)
                })
                .collect::<Result<_>>()?;
            for piece in pieces {
                out.write_all(&piece)?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// Edges formatted by one task of [`write_edges_csv`].
const EDGE_ROWS_PER_TASK: usize = 16_384;

/// Whether `c` may appear in an XML 1.0 document (production `Char`).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Escapes text for XML content and attribute values: quick-xml's entity escaping
/// (`& < > " '`), after removing the characters XML 1.0 cannot carry at all (no escape can
/// hold them), and with tab, newline and CR as character references so that
/// attribute-value normalisation does not turn them into spaces.
fn xml_escape(s: &str) -> Cow<'_, str> {
    let legal: Cow<'_, str> = if s.chars().all(is_xml_char) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.chars().filter(|&c| is_xml_char(c)).collect())
    };
    let escaped = quick_xml::escape::escape(legal);
    if escaped.contains(['\t', '\n', '\r']) {
        Cow::Owned(
            escaped
                .replace('\t', "&#9;")
                .replace('\n', "&#10;")
                .replace('\r', "&#13;"),
        )
    } else {
        escaped
    }
}

/// Formats Unix milliseconds as ISO-8601 UTC, `YYYY-MM-DDTHH:MM:SS.sssZ` (years beyond
/// 0000–9999 signed, as ISO 8601 extends them); a time outside chrono's range (±262,000
/// years, only from a damaged input) as its milliseconds.
pub fn format_utc_ms(ms: i64) -> String {
    iso_millis(ms).unwrap_or_else(|| ms.to_string())
}

#[cfg(test)]
mod tests;
