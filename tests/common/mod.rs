//! Helpers for the integration tests: run the binary, read its outputs.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use polars::prelude::*;
use serde_json::Value;

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The shared real export samples. Missing is a failure, never a skip: CI clones the
/// project with `shared/` beside it.
pub fn real(name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/real");
    assert!(
        root.is_dir(),
        "the real export fixtures are missing: expected {} (shared/ beside the checkout)",
        root.display()
    );
    root.join(name)
}

pub fn tagscope() -> Command {
    Command::cargo_bin("tagscope").expect("binary built")
}

/// Runs `tagscope ingest ARGS -o OUT` and expects success.
pub fn ingest_ok(args: &[&str], out: &Path) {
    let mut cmd = tagscope();
    cmd.arg("-q").arg("ingest").args(args).arg("-o").arg(out);
    cmd.assert().success();
}

/// Runs `tagscope -q COMMAND TABLES -o OUT EXTRA...` and expects success.
pub fn stage_ok(command: &str, tables: &Path, out: &Path, extra: &[&str]) {
    tagscope()
        .args(["-q", command])
        .args(extra)
        .arg(tables)
        .arg("-o")
        .arg(out)
        .assert()
        .success();
}

pub fn report(out: &Path) -> Value {
    let text = std::fs::read_to_string(out.join("ingest_report.json"))
        .expect("ingest_report.json written");
    serde_json::from_str(&text).expect("report is JSON")
}

pub fn posts(out: &Path) -> DataFrame {
    tagscope::export::read_parquet(&out.join("posts.parquet")).expect("posts.parquet readable")
}

pub fn accounts(out: &Path) -> DataFrame {
    tagscope::export::read_parquet(&out.join("accounts.parquet"))
        .expect("accounts.parquet readable")
}

/// The record balance every report must satisfy.
pub fn assert_balanced(report: &Value) {
    let n = |k: &str| report[k].as_u64().unwrap_or_else(|| panic!("{k} missing"));
    assert_eq!(
        n("records_read"),
        n("posts") + n("duplicates") + n("filtered_out") + n("skipped"),
        "records_read = posts + duplicates + filtered_out + skipped: {report}"
    );
    let by_reason: u64 = report["skipped_by_reason"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(by_reason, n("skipped"));
}

pub fn count_kind(df: &DataFrame, kind: &str) -> usize {
    df.column("kind")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .filter(|k| *k == Some(kind))
        .count()
}

pub fn str_values(df: &DataFrame, column: &str) -> Vec<Option<String>> {
    df.column(column)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|v| v.map(str::to_string))
        .collect()
}

/// A column of non-null unsigned integers (e.g. `source_line`).
pub fn u64_values(df: &DataFrame, column: &str) -> Vec<u64> {
    df.column(column)
        .unwrap()
        .u64()
        .unwrap()
        .into_no_null_iter()
        .collect()
}

/// The row whose `post_id` is `id`, as (column name -> displayed value).
pub fn row(df: &DataFrame, id: &str) -> std::collections::BTreeMap<String, String> {
    let ids = str_values(df, "post_id");
    let index = ids
        .iter()
        .position(|v| v.as_deref() == Some(id))
        .unwrap_or_else(|| panic!("no post {id}"));
    df.columns()
        .iter()
        .map(|c| {
            let value = c.get(index).unwrap();
            let shown = match value {
                AnyValue::String(s) => s.to_string(),
                AnyValue::StringOwned(s) => s.to_string(),
                other => other.to_string(),
            };
            (c.name().to_string(), shown)
        })
        .collect()
}
