//! `tagscope batch`: datasets × tag sets and explicit jobs, one folder each, a failing job
//! reported without stopping the others, and batch_summary.csv.

mod common;
use common::*;

#[test]
fn batch_runs_every_job_and_reports_failures() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("batch.toml");
    std::fs::write(
        &file,
        format!(
            r#"
out = "results"
[options]
bin = "30m"
[[dataset]]
name = "hostile"
inputs = ["{hostile}"]
[[dataset]]
name = "pol"
inputs = ["{pol}"]
[[tagset]]
name = "macronleaks"
tags = ["MacronLeaks"]
[[job]]
name = "missing"
inputs = ["does-not-exist.jsonl"]
"#,
            hostile = fixture("v1_hostile.jsonl").display(),
            pol = fixture("pol_thread_124205675.json").display()
        ),
    )
    .unwrap();
    let failed = tagscope()
        .args(["-q", "batch"])
        .arg(&file)
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&failed.get_output().stderr).to_string();
    assert!(stderr.contains("1 of 3 job(s) failed: missing"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1);

    let results = dir.path().join("results");
    assert!(results.join("hostile-macronleaks/report.md").is_file());
    assert!(results.join("pol-macronleaks/summary.json").is_file());
    let mut reader = csv::Reader::from_path(results.join("batch_summary.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(&rows[0][0], "hostile-macronleaks");
    assert_eq!(&rows[0][1], "ok");
    assert_eq!(&rows[0][3], "5");
    assert_eq!(&rows[1][0], "pol-macronleaks");
    assert_eq!(
        &rows[1][3], "2",
        "the opener and the tripcode post carry the tag"
    );
    assert_eq!(&rows[2][1], "failed");
    assert!(rows[2][2].contains("does-not-exist.jsonl"));

    // Existing job folders are refused without --force, replaced with it.
    let again = tagscope()
        .args(["-q", "batch"])
        .arg(&file)
        .assert()
        .failure();
    assert!(String::from_utf8_lossy(&again.get_output().stderr).contains("3 of 3"));
    tagscope()
        .args(["-q", "batch", "--force"])
        .arg(&file)
        .assert()
        .failure();
    let mut reader = csv::Reader::from_path(results.join("batch_summary.csv")).unwrap();
    assert_eq!(
        reader
            .records()
            .filter(|r| &r.as_ref().unwrap()[1] == "ok")
            .count(),
        2
    );
}

#[test]
fn bad_batch_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("batch.toml");
    std::fs::write(
        &file,
        "out = \"x\"\n[[dataset]]\nname = \"a\"\ninputs = [\"y\"]\ncolour = 1\n",
    )
    .unwrap();
    let failed = tagscope()
        .args(["-q", "batch"])
        .arg(&file)
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&failed.get_output().stderr).to_string();
    assert!(
        stderr.contains("batch.toml") && stderr.contains("colour"),
        "{stderr}"
    );
}
