//! The simulator's files load through the readers with ground truth covering every
//! account; `evaluate` on hand-computed cases, through the binary.

mod common;
use common::*;

use std::collections::BTreeSet;

fn simulate(dir: &std::path::Path, seed: &str) {
    tagscope()
        .args(["-q", "simulate", "--seed", seed, "--posts", "1500", "-o"])
        .arg(dir)
        .assert()
        .success();
}

#[test]
fn simulated_campaign_loads_with_truth_for_every_account() {
    let sim = tempfile::tempdir().unwrap();
    simulate(sim.path(), "5");
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(sim.path().join("sim_manifest.json")).unwrap(),
    )
    .unwrap();
    let tweets = manifest["summary"]["tweets"].as_u64().unwrap();
    assert_eq!(tweets, 1500);

    let out = tempfile::tempdir().unwrap();
    ingest_ok(&[sim.path().to_str().unwrap()], out.path());
    let report = report(out.path());
    assert_balanced(&report);
    assert_eq!(
        report["posts_by_platform"]["twitter"].as_u64().unwrap(),
        tweets
    );
    assert_eq!(
        report["duplicates"].as_u64().unwrap(),
        tweets,
        "v1 and v2 hold the same tweets"
    );
    assert_eq!(
        report["skipped"],
        report["skipped_by_reason"]["delete notice"]
    );

    // First post order: the 4chan leak thread comes before the first tweet.
    let posts = posts(out.path());
    assert_eq!(str_values(&posts, "platform")[0].as_deref(), Some("4chan"));
    assert_eq!(str_values(&posts, "kind")[0].as_deref(), Some("thread"));

    // Ground truth covers every account, and nothing else.
    let accounts = accounts(out.path());
    let ingested: BTreeSet<(String, String)> = str_values(&accounts, "platform")
        .into_iter()
        .zip(str_values(&accounts, "account_id"))
        .map(|(p, a)| (p.unwrap(), a.unwrap()))
        .collect();
    let mut truth = csv::Reader::from_path(sim.path().join("truth.csv")).unwrap();
    let truth: BTreeSet<(String, String)> = truth
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r[1].to_string())
        })
        .collect();
    assert_eq!(ingested, truth);

    // The campaign tag, in all its spellings, is on most tweets.
    let tagged = tempfile::tempdir().unwrap();
    ingest_ok(
        &[
            sim.path().join("twitter_v1").to_str().unwrap(),
            "--tag",
            "macronleaks",
        ],
        tagged.path(),
    );
    let tagged_report = common::report(tagged.path());
    assert!(tagged_report["posts"].as_u64().unwrap() > tweets / 2);
}

#[test]
fn simulation_is_deterministic_for_a_seed() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    simulate(a.path(), "9");
    simulate(b.path(), "9");
    for file in [
        "twitter_v1/tweets.jsonl.gz",
        "twitter_v2/pages.jsonl.gz",
        "truth.csv",
        "sim_manifest.json",
    ] {
        assert_eq!(
            std::fs::read(a.path().join(file)).unwrap(),
            std::fs::read(b.path().join(file)).unwrap(),
            "{file}"
        );
    }
    let c = tempfile::tempdir().unwrap();
    simulate(c.path(), "10");
    assert_ne!(
        std::fs::read(a.path().join("truth.csv")).unwrap(),
        std::fs::read(c.path().join("truth.csv")).unwrap()
    );
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn evaluate_hand_computed() {
    let dir = tempfile::tempdir().unwrap();
    let truth = write(
        dir.path(),
        "truth.csv",
        "platform,account_id,handle,is_bot,kind\ntwitter,1,a,true,amplifier\ntwitter,2,b,true,coordinated\ntwitter,3,c,false,human\ntwitter,4,d,false,human\n",
    );
    // Ranking: 1 (bot), 3 (human), 2 (bot), 4 (human): AUC = 3/4; AP = (1/1 + 2/3) / 2.
    let scores = write(
        dir.path(),
        "scores.csv",
        "rank,platform,account_id,score\n1,twitter,1,0.9\n2,twitter,3,0.8\n3,twitter,2,0.7\n4,twitter,4,0.1\n",
    );
    let output = tagscope()
        .args(["evaluate", "--json", "--truth"])
        .arg(&truth)
        .arg(&scores)
        .assert()
        .success();
    let report: serde_json::Value = serde_json::from_slice(&output.get_output().stdout).unwrap();
    assert!((report["roc_auc"].as_f64().unwrap() - 0.75).abs() < 1e-9);
    assert!((report["average_precision"].as_f64().unwrap() - (1.0 + 2.0 / 3.0) / 2.0).abs() < 1e-9);
    assert_eq!(report["k"], 2);
    assert!((report["precision_at_k"].as_f64().unwrap() - 0.5).abs() < 1e-9);

    // The table form names the metrics.
    let table = tagscope()
        .args(["evaluate", "--truth"])
        .arg(&truth)
        .arg(&scores)
        .assert()
        .success();
    let table = String::from_utf8_lossy(&table.get_output().stdout).to_string();
    assert!(
        table.contains("ROC AUC") || table.contains("roc_auc"),
        "{table}"
    );

    // Missing column: a clear one-line error naming the file.
    let bad = write(dir.path(), "bad.csv", "platform,account_id\ntwitter,1\n");
    let failed = tagscope()
        .args(["evaluate", "--truth"])
        .arg(&truth)
        .arg(&bad)
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&failed.get_output().stderr).to_string();
    assert!(
        stderr.contains("bad.csv") && stderr.contains("score"),
        "{stderr}"
    );
}
