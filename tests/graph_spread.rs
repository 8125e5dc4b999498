//! The graph and timeline commands alone: the real twarc2 fixture's retweet network, and
//! spread numbers on crafted data with known answers.

mod common;
use common::*;

#[test]
fn blm_network_retweet_edges() {
    let tables = tempfile::tempdir().unwrap();
    ingest_ok(
        &[real("twitter_v2/blm_network.jsonl").to_str().unwrap()],
        tables.path(),
    );
    let out = tempfile::tempdir().unwrap();
    stage_ok("graph", tables.path(), out.path(), &[]);
    // 367 retweets, 21 of them self-retweets; 335 distinct (retweeter, retweeted author)
    // pairs without self-retweets: counted independently from the raw pages with Python.
    let edges = std::fs::read_to_string(out.path().join("graph/edges.csv")).unwrap();
    let retweet_edges: Vec<&str> = edges.lines().filter(|l| l.contains(",retweet,")).collect();
    assert_eq!(retweet_edges.len(), 335);
    let weight: u32 = retweet_edges
        .iter()
        .map(|l| l.split(',').nth(3).unwrap().parse::<u32>().unwrap())
        .sum();
    assert_eq!(
        weight,
        367 - 21,
        "21 self-retweets are not amplification and are dropped"
    );
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("graph/summary.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(summary["layers"][0]["edges"], 335);
    assert!(
        summary["edge_direction"]
            .as_str()
            .unwrap()
            .contains("amplifier")
    );
    assert!(!summary["top_amplified"].as_array().unwrap().is_empty());
    // Gephi filters never change the metrics.
    let filtered = tempfile::tempdir().unwrap();
    tagscope()
        .args(["-q", "graph", "--top-n", "20"])
        .arg(tables.path())
        .arg("-o")
        .arg(filtered.path())
        .assert()
        .success();
    assert_eq!(
        std::fs::read(out.path().join("graph/nodes.csv")).unwrap(),
        std::fs::read(filtered.path().join("graph/nodes.csv")).unwrap()
    );
    let gexf = std::fs::read_to_string(filtered.path().join("graph/retweets.gexf")).unwrap();
    assert!(gexf.matches("<node ").count() <= 20);
}

#[test]
fn spread_numbers_on_crafted_data() {
    // 4chan opener 18:35:12 with the Pastebin link; first tweet 18:49:12 with the same link,
    // retweeted at 18:49:20, :21 and :22.
    let tables = tempfile::tempdir().unwrap();
    ingest_ok(
        &[
            fixture("pol_thread_124205675.json").to_str().unwrap(),
            fixture("v1_hostile.jsonl").to_str().unwrap(),
        ],
        tables.path(),
    );
    let out = tempfile::tempdir().unwrap();
    tagscope()
        .args([
            "-q",
            "timeline",
            "--bin",
            "5m",
            "--title",
            "#MacronLeaks",
            "--width",
            "800",
            "--height",
            "450",
        ])
        .arg(tables.path())
        .arg("-o")
        .arg(out.path())
        .assert()
        .success();
    let spread: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("spread.json")).unwrap())
            .unwrap();
    assert_eq!(spread["first_posts"][0]["platform"], "4chan");
    assert_eq!(spread["first_posts"][0]["at"], "2017-05-05T18:35:12Z");
    assert_eq!(spread["first_posts"][1]["platform"], "twitter");
    assert_eq!(spread["first_posts"][1]["at"], "2017-05-05T18:49:12Z");
    assert_eq!(spread["lead_lag"][0]["first_post_lead_s"], 840.0);
    let first = &spread["first_tweet"];
    assert_eq!(first["post_id"], "860000000000000001");
    assert_eq!(first["retweets_after_1_min"], 3);
    assert_eq!(first["retweets_after_5_min"], 3);
    assert_eq!(first["retweets_total"], 3);
    let url = &spread["cross_platform_urls"][0];
    assert_eq!(url["url"], "http://pastebin.com/Kp3Dx8z1");
    assert_eq!(url["first_seen"]["4chan"], "2017-05-05T18:35:12Z");
    assert_eq!(url["first_seen"]["twitter"], "2017-05-05T18:49:12Z");
    let twitter = spread["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["platform"] == "twitter")
        .unwrap();
    assert_eq!(twitter["posts"], 7);
    assert_eq!(
        twitter["peak_posts"], 4,
        "the original and its three retweets share the 18:45 bin"
    );

    // spread.csv: dense bins per platform, cumulative counts ending at each platform's total.
    let mut reader = csv::Reader::from_path(out.path().join("spread.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let last_twitter = rows.iter().rev().find(|r| &r[1] == "twitter").unwrap();
    assert_eq!(&last_twitter[5], "7");
    let last_4chan = rows.iter().rev().find(|r| &r[1] == "4chan").unwrap();
    assert_eq!(&last_4chan[5], "4");
    for figure in ["timeline.png", "spread.png"] {
        let image = image::open(out.path().join(figure)).unwrap();
        assert_eq!((image.width(), image.height()), (800, 450));
    }
    assert!(
        !out.path().join("bot_share.png").exists(),
        "no scores given"
    );
}

/// Distinct rows and columns of `png` holding exactly `rgb` (lines are drawn without
/// anti-aliasing, so a series' own pixels have its colour exactly).
fn colour_extent(png: &std::path::Path, rgb: [u8; 3]) -> (usize, usize) {
    let image = image::open(png).unwrap().to_rgb8();
    let mut rows = std::collections::BTreeSet::new();
    let mut cols = std::collections::BTreeSet::new();
    for (x, y, p) in image.enumerate_pixels() {
        if p.0 == rgb {
            rows.insert(y);
            cols.insert(x);
        }
    }
    (rows.len(), cols.len())
}

#[test]
fn figures_show_a_platform_with_a_thousandth_of_the_posts() {
    // 5 /pol/ posts from 18:35 and 5,000 tweets from 18:49 over four days (1:1000).
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("campaign.csv");
    let t0 = 1_494_009_300i64; // 2017-05-05 18:35:00 UTC
    let mut text = String::from("id,platform,author,time,text\n");
    for i in 0..5 {
        text.push_str(&format!(
            "p{i},4chan,anon{i},{},#MacronLeaks dump\n",
            t0 + i * 120
        ));
    }
    for i in 0..5_000i64 {
        let t = t0 + 14 * 60 + i * 69; // 14 minutes later, then every 69 s for four days
        text.push_str(&format!("t{i},twitter,u{},{t},#MacronLeaks\n", i % 700));
    }
    std::fs::write(&csv, text).unwrap();
    let tables = dir.path().join("tables");
    ingest_ok(
        &[
            csv.to_str().unwrap(),
            "--map",
            "id=id,platform=platform,author=author,time=time,text=text",
        ],
        &tables,
    );
    let out = dir.path().join("out");
    stage_ok("timeline", &tables, &out, &["--bin", "10m"]);
    let spread: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("spread.json")).unwrap()).unwrap();
    assert_eq!(spread["lead_lag"][0]["first_post_lead_s"], 840.0);
    // 4chan's colour (Okabe–Ito vermillion) rises through the plot height, not a flat line
    // on the x axis and a legend swatch: on a shared linear axis its 5 posts would be
    // under one pixel tall against 5,000.
    const FOURCHAN: [u8; 3] = [0xD5, 0x5E, 0x00];
    const TWITTER: [u8; 3] = [0x00, 0x72, 0xB2];
    for figure in ["timeline.png", "spread.png"] {
        let (rows, cols) = colour_extent(&out.join(figure), FOURCHAN);
        assert!(rows >= 150, "{figure}: 4chan colour in only {rows} rows");
        assert!(cols >= 20, "{figure}: 4chan colour in only {cols} columns");
        let (rows, _) = colour_extent(&out.join(figure), TWITTER);
        assert!(rows >= 150, "{figure}: Twitter colour in only {rows} rows");
    }
}

#[test]
fn a_simulated_language_switch_is_found_within_one_bin() {
    // English-writing humans post for the first 6 hours, French-writing humans after.
    let sim = tempfile::tempdir().unwrap();
    tagscope()
        .args([
            "-q",
            "simulate",
            "--seed",
            "21",
            "--posts",
            "8000",
            "--language-switch-hours",
            "6",
            "-o",
        ])
        .arg(sim.path())
        .assert()
        .success();
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(sim.path().join("sim_manifest.json")).unwrap(),
    )
    .unwrap();
    let truth = manifest["summary"]["language_switch_at"]
        .as_str()
        .unwrap()
        .to_string();
    let truth_ms = chrono::DateTime::parse_from_rfc3339(&truth)
        .unwrap()
        .timestamp_millis();
    let out = tempfile::tempdir().unwrap();
    let out = out.path().join("run");
    tagscope()
        .args(["-q", "run"])
        .arg(sim.path().join("twitter_v1"))
        .arg(sim.path().join("4chan"))
        .args([
            "--tag",
            "MacronLeaks",
            "--width",
            "800",
            "--height",
            "450",
            "-o",
        ])
        .arg(&out)
        .assert()
        .success();
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let switches = summary["languages"]["majority_switches"]
        .as_array()
        .unwrap();
    let twitter = switches
        .iter()
        .find(|s| s["platform"] == "twitter")
        .expect("a switch on twitter");
    assert_eq!(
        (twitter["from"].as_str(), twitter["to"].as_str()),
        (Some("en"), Some("fr"))
    );
    let at = twitter["at_ms"].as_i64().unwrap();
    let bin = (twitter["bin_s"].as_f64().unwrap() * 1000.0) as i64;
    // Within one bin of the truth (the estimate is the first post after the change point).
    assert!(
        (at - truth_ms).abs() <= bin,
        "switch at {at}, truth {truth} (bin {bin} ms)"
    );
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains("English → French"),
        "the report names the switch"
    );
    let image = image::open(out.join("languages.png")).unwrap();
    assert_eq!((image.width(), image.height()), (800, 450));
    // languages.csv accounts for every post once in the language dimension.
    let mut reader = csv::Reader::from_path(out.join("languages.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    assert_eq!(
        header.iter().collect::<Vec<_>>(),
        [
            "bin_start",
            "platform",
            "dimension",
            "value",
            "posts",
            "accounts",
            "suspicious_posts",
            "suspicious_share"
        ]
    );
    let posts: u64 = reader
        .records()
        .map(Result::unwrap)
        .filter(|r| &r[2] == "language")
        .map(|r| r[4].parse::<u64>().unwrap())
        .sum();
    assert_eq!(posts, summary["dataset"]["posts"].as_u64().unwrap());
}
