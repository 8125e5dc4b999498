//! Unit tests of `src/export/gephi.rs`.

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
