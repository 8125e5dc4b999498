//! `tagscope run` end to end on a simulated campaign: every output of DESIGN.md, figures
//! that decode at the requested size, Gephi files that parse, the planted coordinated group
//! found as a cluster, byte-identical outputs with 1 or 2 threads, and a refused overwrite.

mod common;
use common::*;

use std::collections::BTreeSet;
use std::path::Path;

const OUTPUTS: &[&str] = &[
    "posts.parquet",
    "accounts.parquet",
    "features.parquet",
    "ingest_report.json",
    "suspicious_accounts.csv",
    "signals.json",
    "coordination/edges.parquet",
    "coordination/edges.csv",
    "coordination/clusters.csv",
    "graph/retweets.graphml",
    "graph/retweets.gexf",
    "graph/nodes.csv",
    "graph/edges.csv",
    "spread.csv",
    "timeline.png",
    "spread.png",
    "bot_share.png",
    "score_distribution.png",
    "summary.json",
    "report.md",
    "manifest.json",
];

fn read_parquet(path: &Path) -> polars::prelude::DataFrame {
    use polars::prelude::SerReader;
    polars::prelude::ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap()
}

fn run(sim: &Path, out: &Path, threads: &str, extra: &[&str]) {
    tagscope()
        .env("RAYON_NUM_THREADS", threads)
        .env("POLARS_MAX_THREADS", threads)
        .args(["-q", "run"])
        .arg(sim.join("twitter_v1"))
        .arg(sim.join("4chan"))
        .args([
            "--tag",
            "MacronLeaks",
            "--width",
            "800",
            "--height",
            "450",
            "-o",
        ])
        .arg(out)
        .args(extra)
        .assert()
        .success();
}

#[test]
fn run_writes_every_output_deterministically() {
    let sim = tempfile::tempdir().unwrap();
    tagscope()
        .args(["-q", "simulate", "--seed", "33", "--posts", "2500", "-o"])
        .arg(sim.path())
        .assert()
        .success();
    let work = tempfile::tempdir().unwrap();
    let (one, two) = (work.path().join("one"), work.path().join("two"));
    run(sim.path(), &one, "1", &[]);
    run(sim.path(), &two, "2", &[]);

    for file in OUTPUTS {
        assert!(one.join(file).is_file(), "missing {file}");
        if *file != "manifest.json" {
            assert_eq!(
                std::fs::read(one.join(file)).unwrap(),
                std::fs::read(two.join(file)).unwrap(),
                "{file} differs between 1 and 2 threads"
            );
        }
    }

    // Parquet every common reader opens: the stored Arrow schema carries plain large
    // strings and lists, never the string views pandas (pyarrow) cannot convert.
    for file in OUTPUTS.iter().filter(|f| f.ends_with(".parquet")) {
        let types =
            tagscope::export::stored_arrow_types(&std::fs::read(one.join(file)).unwrap()).unwrap();
        assert!(types.len() > 5, "{file}: {types:?}");
        for t in &types {
            assert!(!t.contains("View"), "{file} stores a view type: {t}");
        }
    }
    let posts_types =
        tagscope::export::stored_arrow_types(&std::fs::read(one.join("posts.parquet")).unwrap())
            .unwrap();
    assert!(
        posts_types.contains(&"hashtags: LargeList(Field { name: \"item\", dtype: LargeUtf8, is_nullable: true, metadata: None })".to_string()),
        "{posts_types:?}"
    );

    // Figures: PNGs of the requested size, not blank.
    for figure in [
        "timeline.png",
        "spread.png",
        "bot_share.png",
        "score_distribution.png",
    ] {
        let image = image::open(one.join(figure)).unwrap().to_rgb8();
        assert_eq!(image.dimensions(), (800, 450), "{figure}");
        let colours: BTreeSet<[u8; 3]> = image.pixels().map(|p| p.0).collect();
        assert!(colours.len() > 10, "{figure} looks blank");
    }

    // Gephi files parse back with the right node and edge counts.
    let graphml = std::fs::read_to_string(one.join("graph/retweets.graphml")).unwrap();
    let gexf = std::fs::read_to_string(one.join("graph/retweets.gexf")).unwrap();
    let count = |xml: &str, element: &[u8]| {
        let mut reader = quick_xml::Reader::from_str(xml);
        let mut n = 0;
        loop {
            match reader.read_event().expect("well-formed XML") {
                quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)
                    if e.name().as_ref() == element =>
                {
                    n += 1
                }
                quick_xml::events::Event::Eof => break,
                _ => {}
            }
        }
        n
    };
    assert_eq!(count(&graphml, b"node"), count(&gexf, b"node"));
    assert_eq!(count(&graphml, b"edge"), count(&gexf, b"edge"));
    let nodes_csv = std::fs::read_to_string(one.join("graph/nodes.csv")).unwrap();
    assert_eq!(count(&graphml, b"node"), nodes_csv.lines().count() - 1);
    let retweet_edges = std::fs::read_to_string(one.join("graph/edges.csv"))
        .unwrap()
        .lines()
        .filter(|l| l.contains(",retweet,"))
        .count();
    assert_eq!(count(&graphml, b"edge"), retweet_edges);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(one.join("summary.json")).unwrap()).unwrap();
    let gephi = &summary["graph"]["gephi"];
    assert_eq!(gephi["limited"], false, "{gephi}");
    assert_eq!(gephi["nodes"], count(&graphml, b"node"));
    assert_eq!(gephi["max_nodes"], 5000);

    // Coordination: every candidate edge in Parquet, only the significant ones in CSV.
    let candidates = read_parquet(&one.join("coordination/edges.parquet"));
    let flags = candidates.column("significant").unwrap().bool().unwrap();
    let significant = flags.sum().unwrap_or(0) as usize;
    assert!(significant > 0 && significant <= candidates.height());
    let csv = std::fs::read_to_string(one.join("coordination/edges.csv")).unwrap();
    assert_eq!(csv.lines().count() - 1, significant);
    assert!(csv.lines().skip(1).all(|l| l.ends_with(",true")));
    // Edges too weak to pass the test whatever the null counts are not run through it: their
    // significance columns are null, and they are never significant.
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(one.join("summary.json")).unwrap()).unwrap();
    let sweeps = summary["coordination"]["details"]["sweeps"]
        .as_array()
        .unwrap();
    let tested: u64 = sweeps
        .iter()
        .map(|s| s["tested_edges"].as_u64().unwrap())
        .sum();
    let p_values = candidates.column("p_value").unwrap();
    assert_eq!(p_values.len() - p_values.null_count(), tested as usize);
    assert!(tested > 0);
    let untested = p_values.is_null();
    assert!(!(flags & &untested).any());

    // Pairs with two shared objects are candidates too with `--min-coactions 2`: the
    // Parquet file then holds edges that are not significant, some too weak to be tested.
    let loose = work.path().join("loose");
    run(sim.path(), &loose, "2", &["--min-coactions", "2"]);
    let candidates = read_parquet(&loose.join("coordination/edges.parquet"));
    let flags = candidates.column("significant").unwrap().bool().unwrap();
    let significant = flags.sum().unwrap_or(0) as usize;
    assert!(significant > 0 && significant < candidates.height());
    let untested = candidates.column("p_value").unwrap().is_null();
    assert!(untested.any() && !(flags & &untested).any());
    let csv = std::fs::read_to_string(loose.join("coordination/edges.csv")).unwrap();
    assert_eq!(csv.lines().count() - 1, significant);

    // A Gephi limit below the graph's size: the top accounts by PageRank only, every
    // metric and the full tables unchanged, the limit stated in the summary and report.
    let limited = work.path().join("limited");
    run(sim.path(), &limited, "2", &["--gephi-max-nodes", "30"]);
    let small = std::fs::read_to_string(limited.join("graph/retweets.graphml")).unwrap();
    assert!(count(&small, b"node") <= 30 && count(&small, b"node") > 0);
    for file in [
        "graph/nodes.csv",
        "graph/edges.csv",
        "coordination/edges.csv",
    ] {
        assert_eq!(
            std::fs::read(one.join(file)).unwrap(),
            std::fs::read(limited.join(file)).unwrap(),
            "{file}"
        );
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(limited.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["graph"]["gephi"]["limited"], true);
    assert_eq!(summary["graph"]["gephi"]["nodes"], count(&small, b"node"));
    let report = std::fs::read_to_string(limited.join("report.md")).unwrap();
    assert!(
        report.contains("the 30 accounts of highest PageRank"),
        "{report}"
    );

    // The planted coordinated group is one cluster with no humans in it.
    let mut truth = csv::Reader::from_path(sim.path().join("truth.csv")).unwrap();
    let coordinated: BTreeSet<String> = truth
        .records()
        .map(Result::unwrap)
        .filter(|r| &r[4] == "coordinated")
        .map(|r| format!("twitter:{}", &r[1]))
        .collect();
    let mut clusters = csv::Reader::from_path(one.join("coordination/clusters.csv")).unwrap();
    let header = clusters.headers().unwrap().clone();
    let members_column = header.iter().position(|h| h == "members").unwrap();
    let best = clusters
        .records()
        .map(Result::unwrap)
        .map(|r| {
            r[members_column]
                .split(';')
                .map(str::to_string)
                .collect::<BTreeSet<_>>()
        })
        .max_by_key(|members| members.intersection(&coordinated).count())
        .expect("at least one cluster");
    let found = best.intersection(&coordinated).count();
    assert!(
        found * 10 >= coordinated.len() * 9,
        "recall {found}/{}",
        coordinated.len()
    );
    let mut truth = csv::Reader::from_path(sim.path().join("truth.csv")).unwrap();
    let humans: BTreeSet<String> = truth
        .records()
        .map(Result::unwrap)
        .filter(|r| &r[3] == "false")
        .map(|r| format!("{}:{}", &r[0], &r[1]))
        .collect();
    assert_eq!(
        best.intersection(&humans).count(),
        0,
        "humans in the coordinated cluster"
    );

    // summary.json: stable keys, the spread facts.
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(one.join("summary.json")).unwrap()).unwrap();
    for key in [
        "dataset",
        "spread",
        "scores",
        "coordination",
        "graph",
        "options",
    ] {
        assert!(summary.get(key).is_some(), "summary.json lacks {key}");
    }
    assert_eq!(summary["spread"]["first_posts"][0]["platform"], "4chan");
    let lead = summary["spread"]["lead_lag"][0]["first_post_lead_s"]
        .as_f64()
        .unwrap();
    assert!(
        (13.0 * 60.0..=15.0 * 60.0).contains(&lead),
        "4chan led by {lead} s"
    );
    assert!(
        summary["spread"]["cross_platform_urls"][0]["url"]
            .as_str()
            .unwrap()
            .contains("pastebin.com")
    );
    let report = std::fs::read_to_string(one.join("report.md")).unwrap();
    for section in [
        "## Dataset and data quality",
        "## How it spread",
        "## Accounts that look automated",
        "## Coordination",
        "## Amplification network",
        "## Methods and sources",
        "## Limitations",
    ] {
        assert!(report.contains(section), "report.md lacks {section}");
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(one.join("manifest.json")).unwrap()).unwrap();
    // Each input's checksum, taken as ingest read it, is the file's SHA-256.
    let inputs = manifest["inputs"].as_array().unwrap();
    assert!(!inputs.is_empty());
    for input in inputs {
        use sha2::Digest;
        let bytes = std::fs::read(input["path"].as_str().unwrap()).unwrap();
        let expected = format!("{:x}", sha2::Sha256::digest(&bytes));
        assert_eq!(input["sha256"].as_str().unwrap(), expected, "{input}");
        assert_eq!(input["bytes"].as_u64().unwrap(), bytes.len() as u64);
    }

    // An existing folder is refused without --force and replaced with it.
    let refused = tagscope()
        .args(["-q", "run"])
        .arg(sim.path().join("4chan"))
        .arg("-o")
        .arg(&one)
        .assert()
        .failure();
    assert!(String::from_utf8_lossy(&refused.get_output().stderr).contains("--force"));
    run(sim.path(), &one, "2", &["--force", "--tz", "Europe/Paris"]);
    assert!(one.join("report.md").is_file());
}

#[test]
fn run_on_real_exports() {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("real");
    tagscope()
        .args(["-q", "run"])
        .arg(real("twitter_v2/blm_network.jsonl"))
        .arg(real("twitter_v1/search_response.json"))
        .arg(real("fourchan/thread_c_4356869.json"))
        .args(["--bin", "1m", "-o"])
        .arg(&target)
        .assert()
        .success();
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(target.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["dataset"]["posts"], 601);
    assert_eq!(summary["graph"]["layers"][0]["layer"], "retweet");
    assert!(summary["graph"]["layers"][0]["edges"].as_u64().unwrap() > 300);
}
