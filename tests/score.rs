//! `tagscope score` end to end: on a simulated campaign with ground truth, and on a real
//! twarc2 export whose missing profile fields must stay unavailable.

mod common;
use common::*;

fn read_csv(path: &std::path::Path) -> (Vec<String>, Vec<csv::StringRecord>) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    (header, reader.records().map(Result::unwrap).collect())
}

#[test]
fn scores_rank_planted_bots_and_explain_themselves() {
    let sim = tempfile::tempdir().unwrap();
    tagscope()
        .args(["-q", "simulate", "--seed", "21", "--posts", "3000", "-o"])
        .arg(sim.path())
        .assert()
        .success();
    let tables = tempfile::tempdir().unwrap();
    ingest_ok(
        &[
            sim.path().join("twitter_v1").to_str().unwrap(),
            sim.path().join("4chan").to_str().unwrap(),
        ],
        tables.path(),
    );
    let out = tempfile::tempdir().unwrap();
    stage_ok("score", tables.path(), out.path(), &[]);

    let csv_path = out.path().join("suspicious_accounts.csv");
    let (header, rows) = read_csv(&csv_path);
    assert_eq!(
        &header[..8],
        [
            "rank",
            "platform",
            "account_id",
            "handle",
            "score",
            "posts",
            "reasons",
            "cluster_id"
        ]
    );
    assert!(
        header.contains(&"posts_per_day".to_string())
            && header.contains(&"posts_per_day_suspicion".to_string())
    );
    // Sorted by score, ranks 1..n.
    let scores: Vec<f64> = rows.iter().map(|r| r[4].parse().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]));
    assert_eq!(rows[0][0].to_string(), "1");
    // Every account above 0.5 says why.
    for row in rows.iter().filter(|r| r[4].parse::<f64>().unwrap() >= 0.5) {
        assert!(!row[6].is_empty(), "no reasons for {}", &row[2]);
    }
    assert!(out.path().join("features.parquet").is_file());
    let method: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("signals.json")).unwrap())
            .unwrap();
    assert!(
        method["signals"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "posts_per_day"
                && s["source"].as_str().unwrap().contains("DFRLab"))
    );

    // Detection quality on this small run (the figures on large runs are in the README).
    let evaluation = tagscope()
        .args(["evaluate", "--json", "--truth"])
        .arg(sim.path().join("truth.csv"))
        .arg(&csv_path)
        .assert()
        .success();
    let report: serde_json::Value =
        serde_json::from_slice(&evaluation.get_output().stdout).unwrap();
    assert!(report["roc_auc"].as_f64().unwrap() > 0.85, "{report}");
    let recall = |kind: &str| {
        report["per_kind"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kind"] == kind)
            .unwrap()["recall"]
            .as_f64()
            .unwrap()
    };
    assert!(recall("amplifier") >= 0.99, "{report}");
    assert!(recall("coordinated") >= 0.9, "{report}");

    // Deterministic, and --top / --min-posts cut the CSV only.
    let again = tempfile::tempdir().unwrap();
    tagscope()
        .env("RAYON_NUM_THREADS", "1")
        .env("POLARS_MAX_THREADS", "1")
        .args(["-q", "score"])
        .arg(tables.path())
        .arg("-o")
        .arg(again.path())
        .assert()
        .success();
    assert_eq!(
        std::fs::read(&csv_path).unwrap(),
        std::fs::read(again.path().join("suspicious_accounts.csv")).unwrap()
    );
    let top = tempfile::tempdir().unwrap();
    tagscope()
        .args(["-q", "score", "--top", "10", "--min-posts", "3"])
        .arg(tables.path())
        .arg("-o")
        .arg(top.path())
        .assert()
        .success();
    let (_, top_rows) = read_csv(&top.path().join("suspicious_accounts.csv"));
    assert_eq!(top_rows.len(), 10);
    assert!(top_rows.iter().all(|r| r[5].parse::<u32>().unwrap() >= 3));
}

#[test]
fn v2_profile_gaps_are_unavailable_not_zero() {
    let tables = tempfile::tempdir().unwrap();
    ingest_ok(
        &[real("twitter_v2/blm_network.jsonl").to_str().unwrap()],
        tables.path(),
    );
    let out = tempfile::tempdir().unwrap();
    stage_ok("score", tables.path(), out.path(), &[]);
    let features = tagscope::export::read_parquet(&out.path().join("features.parquet")).unwrap();
    assert_eq!(features.height(), 401);
    for column in [
        "default_profile",
        "default_profile_image",
        "default_profile_suspicion",
    ] {
        assert_eq!(
            features.column(column).unwrap().null_count(),
            features.height(),
            "{column}"
        );
    }
    assert!(features.column("account_age_days").unwrap().null_count() < features.height());
    // All 500 tweets are from one day: retweet latency is known for retweets.
    assert!(
        features
            .column("retweet_latency_median_s")
            .unwrap()
            .null_count()
            < features.height()
    );
}

#[test]
fn bad_weights_file_is_a_clear_error() {
    let tables = tempfile::tempdir().unwrap();
    ingest_ok(
        &[fixture("v1_hostile.jsonl").to_str().unwrap()],
        tables.path(),
    );
    let weights = tables.path().join("w.toml");
    std::fs::write(&weights, "speed = 2\n").unwrap();
    let out = tempfile::tempdir().unwrap();
    let failed = tagscope()
        .args(["-q", "score", "--weights"])
        .arg(&weights)
        .arg(tables.path())
        .arg("-o")
        .arg(out.path())
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&failed.get_output().stderr).to_string();
    assert!(stderr.contains("unknown signal `speed`"), "{stderr}");
}
