//! The committed case study in notebooks-export/ is what `tagscope run` makes today: its
//! summary, report and CSVs are regenerated into a temporary folder and compared byte for
//! byte (regenerate with scripts/export-notebook.sh). manifest.json (timings) is not compared.

mod common;
use common::*;

#[test]
fn notebook_export_is_current() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let fresh = tempfile::tempdir().unwrap();
    let out = fresh.path().join("demo");
    tagscope()
        .current_dir(root)
        .args([
            "-q",
            "run",
            "data/demo",
            "--tag",
            "MacronLeaks",
            "--tz",
            "Europe/Paris",
            "-o",
        ])
        .arg(&out)
        .assert()
        .success();
    let committed = root.join("notebooks-export/demo");
    for file in [
        "summary.json",
        "report.md",
        "ingest_report.json",
        "signals.json",
        "suspicious_accounts.csv",
        "spread.csv",
        "coordination/clusters.csv",
        "coordination/edges.csv",
        "graph/nodes.csv",
        "graph/edges.csv",
    ] {
        let expected = std::fs::read(committed.join(file))
            .unwrap_or_else(|_| panic!("notebooks-export/demo/{file} is missing"));
        let actual = std::fs::read(out.join(file)).unwrap();
        assert!(
            expected == actual,
            "notebooks-export/demo/{file} is stale: run scripts/export-notebook.sh and commit the result"
        );
    }
    let notebook =
        std::fs::read_to_string(root.join("notebooks-export/macronleaks_demo.ipynb")).unwrap();
    let notebook: serde_json::Value = serde_json::from_str(&notebook).unwrap();
    let executed = notebook["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["cell_type"] == "code")
        .all(|c| !c["outputs"].as_array().unwrap().is_empty());
    assert!(executed, "the notebook is saved without outputs");
}
