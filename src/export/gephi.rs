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
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by(|&a, &b| finite[b].total_cmp(&finite[a]).then(a.cmp(&b)));
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

        let node_ids: Vec<Cow<'a, str>> = node_ids.iter().map(|s| xml_escape(s)).collect();
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
    w.write_record([
        "source",
        "target",
        "layer",
        "count",
        "first_time",
        "last_time",
    ])?;
    for layer in layers {
        let name = layer.layer.to_string();
        for (s, t, e) in layer.edges() {
            w.write_record([
                node_ids[s].as_str(),
                node_ids[t].as_str(),
                &name,
                &e.count.to_string(),
                &format_utc_ms(e.first_ms),
                &format_utc_ms(e.last_ms),
            ])?;
        }
    }
    w.flush()?;
    Ok(())
}

/// Whether `c` may appear in an XML 1.0 document (production `Char`).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Escapes text for XML content and attribute values and removes characters illegal in
/// XML 1.0. Tab/newline/CR become character references so that attribute-value
/// normalisation does not turn them into spaces.
fn xml_escape(s: &str) -> Cow<'_, str> {
    let needs_work = s
        .chars()
        .any(|c| matches!(c, '&' | '<' | '>' | '"' | '\'' | '\t' | '\n' | '\r') || !is_xml_char(c));
    if !needs_work {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if is_xml_char(c) => out.push(c),
            _ => {}
        }
    }
    Cow::Owned(out)
}

/// Formats Unix milliseconds as ISO-8601 UTC, `YYYY-MM-DDTHH:MM:SS.sssZ` (years beyond
/// 0000–9999 signed, as ISO 8601 extends them); a time outside chrono's range (±262,000
/// years, only from a damaged input) as its milliseconds.
pub fn format_utc_ms(ms: i64) -> String {
    iso_millis(ms).unwrap_or_else(|| ms.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::attributes::{AttrColumn, AttrType};
    use crate::graph::network::tests::rt;
    use crate::graph::network::{Interaction, Layer, build_layers};

    #[test]
    fn iso_times() {
        assert_eq!(format_utc_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_utc_ms(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(format_utc_ms(1_493_923_200_000), "2017-05-04T18:40:00.000Z");
        assert_eq!(format_utc_ms(1_493_929_876_123), "2017-05-04T20:31:16.123Z");
        assert_eq!(format_utc_ms(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(
            format_utc_ms(253_402_300_800_000),
            "+10000-01-01T00:00:00.000Z"
        );
        assert_eq!(
            format_utc_ms(-62_198_755_200_000),
            "-0001-01-01T00:00:00.000Z"
        );
        assert_eq!(format_utc_ms(i64::MAX), i64::MAX.to_string());
    }

    #[test]
    fn xml_escaping_removes_illegal_characters() {
        assert_eq!(xml_escape("plain"), Cow::Borrowed("plain"));
        assert_eq!(
            xml_escape("<&>\"'\u{1}\u{FFFE}\tx\u{1F600}"),
            "&lt;&amp;&gt;&quot;&apos;&#9;x\u{1F600}"
        );
    }

    // ----- export round trips ---------------------------------------------------------

    const HOSTILE: &str = "<&>\"'\u{1}evil\tname";
    const HOSTILE_CLEAN: &str = "<&>\"'evil\tname";

    #[derive(Debug, Default)]
    struct XmlElement {
        name: String,
        attrs: Vec<(String, String)>,
        text: String,
    }

    impl XmlElement {
        fn attr(&self, key: &str) -> Option<&str> {
            self.attrs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        }
    }

    /// Parses with quick-xml (checks well-formedness), flattening elements in document
    /// order; `text` is the unescaped direct text of each element.
    fn parse_xml(xml: &str) -> Vec<XmlElement> {
        use quick_xml::Reader;
        use quick_xml::events::{BytesStart, Event};
        assert!(
            xml.chars().all(is_xml_char),
            "illegal XML character in output"
        );
        fn element(e: &BytesStart<'_>) -> XmlElement {
            XmlElement {
                name: String::from_utf8(e.name().as_ref().to_vec()).unwrap(),
                attrs: e
                    .attributes()
                    .map(|a| {
                        let a = a.expect("valid attribute");
                        let key = String::from_utf8(a.key.as_ref().to_vec()).unwrap();
                        (key, a.unescape_value().expect("escaped value").into_owned())
                    })
                    .collect(),
                text: String::new(),
            }
        }
        let mut reader = Reader::from_str(xml);
        let mut out: Vec<XmlElement> = Vec::new();
        let mut open: Vec<usize> = Vec::new();
        loop {
            match reader.read_event().expect("well-formed XML") {
                Event::Start(e) => {
                    out.push(element(&e));
                    open.push(out.len() - 1);
                }
                Event::Empty(e) => out.push(element(&e)),
                Event::End(_) => {
                    open.pop();
                }
                Event::Text(t) => {
                    if let Some(&top) = open.last() {
                        out[top].text.push_str(&t.decode().unwrap());
                    }
                }
                Event::GeneralRef(r) => {
                    let text = match r.resolve_char_ref().unwrap() {
                        Some(c) => c.to_string(),
                        None => {
                            let name = r.decode().unwrap();
                            quick_xml::escape::resolve_predefined_entity(&name)
                                .expect("predefined entity")
                                .to_string()
                        }
                    };
                    let top = *open.last().expect("reference inside an element");
                    out[top].text.push_str(&text);
                }
                Event::Eof => break,
                _ => {}
            }
        }
        assert!(open.is_empty());
        out
    }

    struct Fixture {
        layer: LayerGraph,
        node_ids: Vec<String>,
        attrs: NodeAttributes,
        pagerank: Vec<f64>,
    }

    fn fixture() -> Fixture {
        let at = |source, target, time_ms| Interaction {
            source,
            target,
            layer: Layer::Retweet,
            time_ms,
        };
        let interactions = [
            at(0, 1, 1_493_923_200_000),
            at(0, 1, 1_493_929_876_123),
            at(2, 1, 1_493_923_200_000),
            at(3, 2, 0),
        ];
        let layer = build_layers(4, &interactions).unwrap().swap_remove(0);
        let node_ids = (0..4).map(|i| format!("twitter:{i}")).collect();
        let attrs = NodeAttributes {
            columns: vec![
                AttrColumn::new("handle", AttrType::String),
                AttrColumn::new("followers", AttrType::Long),
                AttrColumn::new("bot_score", AttrType::Double),
                AttrColumn::new("verified", AttrType::Boolean),
                AttrColumn::new(format!("desc{HOSTILE}"), AttrType::String),
            ],
            rows: vec![
                vec![
                    AttrValue::Str(HOSTILE.into()),
                    AttrValue::Int(10),
                    AttrValue::Float(f64::NAN),
                    AttrValue::Bool(true),
                    AttrValue::Str("line1\nline2 & more".into()),
                ],
                vec![
                    AttrValue::Str("macron_fan".into()),
                    AttrValue::Int(-3),
                    AttrValue::Float(0.25),
                    AttrValue::Bool(false),
                    AttrValue::Null,
                ],
                vec![
                    AttrValue::Null,
                    AttrValue::Null,
                    AttrValue::Int(1),
                    AttrValue::Null,
                    AttrValue::Null,
                ],
                vec![
                    AttrValue::Str(String::new()),
                    AttrValue::Int(i64::MAX),
                    AttrValue::Float(f64::INFINITY),
                    AttrValue::Bool(true),
                    AttrValue::Null,
                ],
            ],
        };
        let pagerank = vec![0.1, 0.5, 0.3, 0.1];
        Fixture {
            layer,
            node_ids,
            attrs,
            pagerank,
        }
    }

    fn export(f: &Fixture, gexf: bool, filter: &ExportFilter) -> String {
        let mut out = Vec::new();
        if gexf {
            write_gexf(
                &mut out,
                &f.layer,
                &f.node_ids,
                &f.attrs,
                &f.pagerank,
                filter,
            )
            .unwrap();
        } else {
            write_graphml(
                &mut out,
                &f.layer,
                &f.node_ids,
                &f.attrs,
                &f.pagerank,
                filter,
            )
            .unwrap();
        }
        String::from_utf8(out).unwrap()
    }

    fn count(elements: &[XmlElement], name: &str) -> usize {
        elements.iter().filter(|e| e.name == name).count()
    }

    #[test]
    fn graphml_round_trips_hostile_strings() {
        let f = fixture();
        let xml = export(&f, false, &ExportFilter::default());
        assert_eq!(
            xml,
            export(&f, false, &ExportFilter::default()),
            "deterministic"
        );
        let doc = parse_xml(&xml);
        assert_eq!(count(&doc, "node"), 4);
        assert_eq!(count(&doc, "edge"), 3);
        let desc = doc.iter().find(|e| e.name == "desc").unwrap();
        assert!(desc.text.contains("source = amplifier"), "{}", desc.text);
        let direction = doc
            .iter()
            .find(|e| e.name == "data" && e.attr("key") == Some("edge_direction"))
            .unwrap();
        assert_eq!(direction.text, EDGE_DIRECTION);
        let key_names: Vec<&str> = doc
            .iter()
            .filter(|e| e.name == "key")
            .filter_map(|e| e.attr("attr.name"))
            .collect();
        assert!(key_names.contains(&format!("desc{HOSTILE_CLEAN}").as_str()));
        assert!(doc.iter().any(|e| e.name == "key"
            && e.attr("attr.name") == Some("followers")
            && e.attr("attr.type") == Some("long")));

        // Data of node twitter:0 (labels from the handle column, escaped text round-trips).
        let node0 = doc
            .iter()
            .position(|e| e.name == "node" && e.attr("id") == Some("twitter:0"))
            .unwrap();
        let data_of = |start: usize, key: &str| -> Option<String> {
            doc[start + 1..]
                .iter()
                .take_while(|e| e.name == "data")
                .find(|e| e.attr("key") == Some(key))
                .map(|e| e.text.clone())
        };
        assert_eq!(data_of(node0, "label").as_deref(), Some(HOSTILE_CLEAN));
        assert_eq!(data_of(node0, "a0").as_deref(), Some(HOSTILE_CLEAN));
        assert_eq!(data_of(node0, "a1").as_deref(), Some("10"));
        assert_eq!(data_of(node0, "a2"), None, "NaN is skipped");
        assert_eq!(data_of(node0, "a3").as_deref(), Some("true"));
        assert_eq!(data_of(node0, "a4").as_deref(), Some("line1\nline2 & more"));
        assert_eq!(data_of(node0, "pagerank").as_deref(), Some("0.1"));
        // Empty handle falls back to the id; infinity is skipped.
        let node3 = doc
            .iter()
            .position(|e| e.name == "node" && e.attr("id") == Some("twitter:3"))
            .unwrap();
        assert_eq!(data_of(node3, "label").as_deref(), Some("twitter:3"));
        assert_eq!(data_of(node3, "a2"), None);

        let edge = doc.iter().position(|e| e.name == "edge").unwrap();
        assert_eq!(doc[edge].attr("source"), Some("twitter:0"));
        assert_eq!(doc[edge].attr("target"), Some("twitter:1"));
        assert_eq!(data_of(edge, "weight").as_deref(), Some("2"));
        assert_eq!(
            data_of(edge, "last_time").as_deref(),
            Some("2017-05-04T20:31:16.123Z")
        );
        assert!(!xml.contains("NaN") && !xml.contains("inf"));
    }

    #[test]
    fn gexf_round_trips_hostile_strings() {
        let f = fixture();
        let xml = export(&f, true, &ExportFilter::default());
        assert_eq!(
            xml,
            export(&f, true, &ExportFilter::default()),
            "deterministic"
        );
        let doc = parse_xml(&xml);
        assert_eq!(doc[0].name, "gexf");
        assert_eq!(doc[0].attr("version"), Some("1.3"));
        assert_eq!(count(&doc, "node"), 4);
        assert_eq!(count(&doc, "edge"), 3);
        let description = doc.iter().find(|e| e.name == "description").unwrap();
        assert!(description.text.contains(EDGE_DIRECTION));
        let graph = doc.iter().find(|e| e.name == "graph").unwrap();
        assert_eq!(graph.attr("defaultedgetype"), Some("directed"));
        assert!(doc.iter().any(|e| e.name == "attribute"
            && e.attr("title") == Some(format!("desc{HOSTILE_CLEAN}").as_str())));

        let node0 = doc
            .iter()
            .position(|e| e.name == "node" && e.attr("id") == Some("twitter:0"))
            .unwrap();
        assert_eq!(doc[node0].attr("label"), Some(HOSTILE_CLEAN));
        let values_of = |start: usize| -> Vec<(String, String)> {
            doc[start + 2..]
                .iter()
                .take_while(|e| e.name == "attvalue")
                .map(|e| {
                    (
                        e.attr("for").unwrap().into(),
                        e.attr("value").unwrap().into(),
                    )
                })
                .collect()
        };
        let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        assert_eq!(
            values_of(node0),
            pairs(&[
                ("pagerank", "0.1"),
                ("a0", HOSTILE_CLEAN),
                ("a1", "10"),
                ("a3", "true"),
                ("a4", "line1\nline2 & more"),
            ])
        );
        let edge = doc.iter().position(|e| e.name == "edge").unwrap();
        assert_eq!(doc[edge].attr("weight"), Some("2"));
        assert_eq!(
            values_of(edge),
            pairs(&[
                ("count", "2"),
                ("first_time", "2017-05-04T18:40:00.000Z"),
                ("last_time", "2017-05-04T20:31:16.123Z"),
                ("first_ms", "1493923200000"),
                ("last_ms", "1493929876123"),
            ])
        );
    }

    #[test]
    fn export_filter_applies_to_gephi_files() {
        let f = fixture();
        let ids_of = |xml: &str, name: &str| -> Vec<String> {
            parse_xml(xml)
                .iter()
                .filter(|e| e.name == name)
                .map(|e| e.attr("id").unwrap().to_string())
                .collect()
        };
        let heavy = ExportFilter {
            min_weight: 2,
            drop_isolated: true,
            ..ExportFilter::default()
        };
        for gexf in [false, true] {
            let xml = export(&f, gexf, &heavy);
            assert_eq!(ids_of(&xml, "node"), vec!["twitter:0", "twitter:1"]);
            assert_eq!(ids_of(&xml, "edge"), vec!["e0"]);
            // Top 2 by PageRank are accounts 1 and 2; only edge 2 -> 1 (index 1) survives.
            let top = ExportFilter {
                top_n_by_pagerank: Some(2),
                ..ExportFilter::default()
            };
            let xml = export(&f, gexf, &top);
            assert_eq!(ids_of(&xml, "node"), vec!["twitter:1", "twitter:2"]);
            assert_eq!(ids_of(&xml, "edge"), vec!["e1"]);
        }
    }

    #[test]
    fn exports_reject_inconsistent_input() {
        let f = fixture();
        let filter = ExportFilter::default();
        let mut sink = std::io::sink();
        let short_ids = &f.node_ids[..3];
        let ids: Vec<String> = short_ids.to_vec();
        assert!(write_graphml(&mut sink, &f.layer, &ids, &f.attrs, &f.pagerank, &filter).is_err());
        let dup_ids = vec!["x".to_string(); 4];
        assert!(
            write_gexf(
                &mut sink,
                &f.layer,
                &dup_ids,
                &f.attrs,
                &f.pagerank,
                &filter
            )
            .is_err()
        );
        let mut bad = f.attrs.clone();
        bad.rows[1][1] = AttrValue::Str("ten".into());
        assert!(write_gexf(&mut sink, &f.layer, &f.node_ids, &bad, &f.pagerank, &filter).is_err());
        let mut reserved = f.attrs.clone();
        reserved.columns[1].name = "pagerank".into();
        assert!(reserved.validate(4).is_err());
        let top = ExportFilter {
            top_n_by_pagerank: Some(1),
            ..filter
        };
        let empty = NodeAttributes::default();
        assert!(write_graphml(&mut sink, &f.layer, &f.node_ids, &empty, &[], &top).is_err());
        assert!(write_graphml(&mut sink, &f.layer, &f.node_ids, &empty, &[], &filter).is_ok());
    }

    #[test]
    fn edges_csv_quotes_and_formats_times() {
        let mut layers = build_layers(
            3,
            &[
                Interaction {
                    source: 1,
                    target: 0,
                    layer: Layer::Quote,
                    time_ms: 1_493_923_200_000,
                },
                rt(0, 2),
            ],
        )
        .unwrap();
        layers.truncate(2);
        let ids = vec![
            "twitter:1".to_string(),
            "4chan:\"a,b\"".to_string(),
            "twitter:3".to_string(),
        ];
        let mut out = Vec::new();
        write_edges_csv(&mut out, &layers, &ids).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "source,target,layer,count,first_time,last_time\n\
             twitter:1,twitter:3,retweet,1,1970-01-01T00:00:00.000Z,1970-01-01T00:00:00.000Z\n\
             \"4chan:\"\"a,b\"\"\",twitter:1,quote,1,2017-05-04T18:40:00.000Z,2017-05-04T18:40:00.000Z\n"
        );
    }
}
