//! `--calibrate LABELS.csv` end to end on a simulated campaign: cross-validated figures,
//! a weights file that `--weights` accepts, a reliability diagram, a `probability` column,
//! deterministic outputs, and one-line errors for bad labels.

mod common;
use common::*;

fn simulate(dir: &std::path::Path) {
    tagscope()
        .args(["-q", "simulate", "--seed", "41", "--posts", "3000", "-o"])
        .arg(dir)
        .assert()
        .success();
}

fn tables(sim: &std::path::Path, out: &std::path::Path) {
    ingest_ok(
        &[
            sim.join("twitter_v1").to_str().unwrap(),
            sim.join("4chan").to_str().unwrap(),
        ],
        out,
    );
}

#[test]
fn calibrate_on_simulated_truth_end_to_end() {
    let sim = tempfile::tempdir().unwrap();
    simulate(sim.path());
    let tables_dir = tempfile::tempdir().unwrap();
    tables(sim.path(), tables_dir.path());
    let truth = sim.path().join("truth.csv");
    let out = tempfile::tempdir().unwrap();
    stage_ok(
        "score",
        tables_dir.path(),
        out.path(),
        &["--calibrate", truth.to_str().unwrap()],
    );

    let calibration: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("calibration.json")).unwrap(),
    )
    .unwrap();
    let cv = &calibration["cross_validation"];
    assert_eq!(cv["folds"], 5);
    assert_eq!(cv["per_fold"].as_array().unwrap().len(), 5);
    let auc = cv["pooled"]["roc_auc"].as_f64().unwrap();
    assert!(auc > 0.85 && auc <= 1.0, "{cv}");
    assert!(
        cv["pooled"]["precision_at_k"].as_f64().unwrap() > 0.5,
        "{cv}"
    );
    // Every labelled account in the data is in exactly one fold.
    let fold_total: u64 = cv["per_fold"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["held_out"]["accounts"].as_u64().unwrap())
        .sum();
    assert_eq!(
        fold_total,
        calibration["labelled_in_data"].as_u64().unwrap()
    );
    let bins = calibration["reliability"].as_array().unwrap();
    assert_eq!(bins.len(), 10);
    let binned: u64 = bins.iter().map(|b| b["accounts"].as_u64().unwrap()).sum();
    assert_eq!(binned, fold_total);
    assert!(
        calibration["coefficients"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["feature"] == "retweet_latency_median_s_suspicion")
    );

    // The CSV has a calibrated probability for every account.
    let mut reader = csv::Reader::from_path(out.path().join("suspicious_accounts.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let at = header.iter().position(|h| h == "probability").unwrap();
    assert_eq!(at, header.iter().position(|h| h == "score").unwrap() + 1);
    for record in reader.records() {
        let p: f64 = record.unwrap()[at].parse().unwrap();
        assert!((0.0..=1.0).contains(&p));
    }
    let png = std::fs::read(out.path().join("reliability.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG"));

    // The weights file is accepted by --weights, and every weight is ≥ 0.
    let weights = out.path().join("calibrated_weights.toml");
    let text = std::fs::read_to_string(&weights).unwrap();
    let table: toml::Table = toml::from_str(&text).unwrap();
    assert!(
        table.values().all(|v| v.as_float().unwrap() >= 0.0),
        "{text}"
    );
    let reweighted = tempfile::tempdir().unwrap();
    stage_ok(
        "score",
        tables_dir.path(),
        reweighted.path(),
        &["--weights", weights.to_str().unwrap()],
    );
    let signals: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(reweighted.path().join("signals.json")).unwrap(),
    )
    .unwrap();
    let latency = signals["signals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "retweet_latency_median_s")
        .unwrap();
    assert_eq!(
        latency["weight_used"].as_f64().unwrap(),
        table["retweet_latency_median_s"].as_float().unwrap()
    );

    // Deterministic: the same inputs give the same bytes, whatever the thread count.
    let again = tempfile::tempdir().unwrap();
    tagscope()
        .env("RAYON_NUM_THREADS", "1")
        .env("POLARS_MAX_THREADS", "1")
        .args(["-q", "score", "--calibrate"])
        .arg(&truth)
        .arg(tables_dir.path())
        .arg("-o")
        .arg(again.path())
        .assert()
        .success();
    for name in [
        "calibration.json",
        "calibrated_weights.toml",
        "reliability.png",
        "suspicious_accounts.csv",
    ] {
        assert_eq!(
            std::fs::read(out.path().join(name)).unwrap(),
            std::fs::read(again.path().join(name)).unwrap(),
            "{name}"
        );
    }

    // `run --calibrate`: the same files, and the report says the probability is calibrated.
    let run = tempfile::tempdir().unwrap();
    let run_out = run.path().join("out");
    tagscope()
        .args(["-q", "run", "--tag", "MacronLeaks", "--calibrate"])
        .arg(&truth)
        .arg(sim.path().join("twitter_v1"))
        .arg(sim.path().join("4chan"))
        .arg("-o")
        .arg(&run_out)
        .assert()
        .success();
    for name in [
        "calibration.json",
        "calibrated_weights.toml",
        "reliability.png",
    ] {
        assert!(run_out.join(name).is_file(), "{name}");
    }
    let md = std::fs::read_to_string(run_out.join("report.md")).unwrap();
    assert!(md.contains("### Calibration on labelled accounts"), "{md}");
    assert!(md.contains("cross-validated"), "{md}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run_out.join("summary.json")).unwrap())
            .unwrap();
    assert!(summary["calibration"]["cross_validated"]["roc_auc"].is_f64());
}

#[test]
fn bad_labels_are_one_line_errors_naming_file_and_line() {
    let sim = tempfile::tempdir().unwrap();
    simulate(sim.path());
    let tables_dir = tempfile::tempdir().unwrap();
    tables(sim.path(), tables_dir.path());
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &str, &str); 4] = [
        (
            "bad_bool.csv",
            "platform,account_id,is_bot\ntwitter,1,true\ntwitter,2,maybe\n",
            "bad_bool.csv line 3: is_bot `maybe`",
        ),
        (
            "no_column.csv",
            "platform,account_id,label\ntwitter,1,true\n",
            "no_column.csv: missing column `is_bot`",
        ),
        (
            "duplicate.csv",
            "platform,account_id,is_bot\ntwitter,1,true\ntwitter,1,false\n",
            "duplicate.csv line 3: duplicate account twitter/1",
        ),
        (
            "unknown.csv",
            "platform,account_id,is_bot\ntwitter,nobody,true\ntwitter,noone,false\n",
            "5-fold cross-validation needs at least 5 of each",
        ),
    ];
    for (name, text, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let out = tempfile::tempdir().unwrap();
        let assert = tagscope()
            .args(["-q", "score", "--calibrate"])
            .arg(&path)
            .arg(tables_dir.path())
            .arg("-o")
            .arg(out.path().join("o"))
            .assert()
            .failure();
        let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert!(!out.path().join("o").exists(), "{name}: output left behind");
    }
}
