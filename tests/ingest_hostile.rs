//! Hostile input never takes the run down (issue 13): deep nesting, records over
//! `--max-record-bytes`, crashes found by the fuzzer (minimised inputs in
//! tests/fixtures/hostile), and a short deterministic slice of the fuzzer
//! (examples/fuzz_readers.rs) over every reader.

mod common;
use common::*;

use std::io::Write;

#[path = "../examples/fuzz_readers.rs"]
#[allow(dead_code)]
mod fuzz_readers;

fn reasons(report: &serde_json::Value) -> Vec<(String, u64)> {
    report["skipped_by_reason"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
        .collect()
}

fn example_lines(report: &serde_json::Value) -> Vec<u64> {
    report["skip_examples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect()
}

/// Regression: a v1.1 line of 5,000 nested arrays overflowed the stack (abort, exit 134,
/// nothing written). It is one skipped record now, and the other statuses are kept.
#[test]
fn a_line_of_5000_nested_arrays_is_one_counted_skip() {
    let out = tempfile::tempdir().unwrap();
    let input = fixture("hostile/v1_nested_5000.jsonl");
    ingest_ok(&[input.to_str().unwrap()], out.path());
    let report = report(out.path());
    assert_balanced(&report);
    assert_eq!(report["records_read"], 8);
    assert_eq!(report["posts"], 7);
    assert_eq!(reasons(&report), vec![("nesting too deep".to_string(), 1)]);
    assert_eq!(example_lines(&report), vec![5]);
}

/// Regression: search responses nested in search responses recursed once per level.
#[test]
fn nested_search_responses_are_one_counted_skip() {
    let out = tempfile::tempdir().unwrap();
    let input = fixture("hostile/v1_nested_statuses.jsonl");
    ingest_ok(&[input.to_str().unwrap()], out.path());
    let report = report(out.path());
    assert_balanced(&report);
    assert_eq!(report["posts"], 7);
    assert_eq!(reasons(&report), vec![("nesting too deep".to_string(), 1)]);
    assert_eq!(example_lines(&report), vec![5]);
}

/// Nesting within serde_json's limit is read; one level deeper is `nesting too deep`
/// (not `invalid JSON`), in every JSON reader.
#[test]
fn nesting_at_the_limit_is_read_and_beyond_it_named() {
    let dir = tempfile::tempdir().unwrap();
    // A chain of retweets of retweets: `levels` objects in all.
    let chain = |levels: usize, id: usize| {
        let open = format!(
            r#"{{"id_str":"{id}","created_at":"Fri May 05 19:00:00 +0000 2017","text":"x","user":{{"id_str":"2"}},"retweeted_status":"#
        );
        format!("{}{{}}{}", open.repeat(levels - 1), "}".repeat(levels - 1))
    };
    let v1 = dir.path().join("v1.jsonl");
    // 127 levels: the deepest serde_json reads; 128: one too many.
    std::fs::write(&v1, format!("{}\n{}\n", chain(127, 1), chain(128, 2))).unwrap();
    let thread = r#"{"posts":[{"no":1,"time":1494000000,"com":"hello"}]}"#;
    let pol = dir.path().join("pol.ndjson");
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    std::fs::write(&pol, format!("{thread}\n{deep}\n")).unwrap();
    let out = tempfile::tempdir().unwrap();
    ingest_ok(
        &[v1.to_str().unwrap(), "--format", "twitter-v1"],
        &out.path().join("v1"),
    );
    let report_v1 = report(&out.path().join("v1"));
    assert_balanced(&report_v1);
    assert_eq!(report_v1["posts"], 1);
    assert_eq!(
        reasons(&report_v1),
        vec![("nesting too deep".to_string(), 1)]
    );
    assert_eq!(example_lines(&report_v1), vec![2]);
    ingest_ok(
        &[pol.to_str().unwrap(), "--format", "fourchan"],
        &out.path().join("pol"),
    );
    let report_pol = report(&out.path().join("pol"));
    assert_balanced(&report_pol);
    assert_eq!(report_pol["posts"], 1);
    assert_eq!(
        reasons(&report_pol),
        vec![("nesting too deep".to_string(), 1)]
    );
}

/// Regression (seen in the code while writing the fuzzer, whose hostile values include it):
/// a 4chan `time` of i64::MAX overflowed `time * 1000` (a panic with overflow checks, as in
/// debug builds; a wrong time without).
#[test]
fn a_4chan_time_out_of_range_is_a_counted_skip() {
    let out = tempfile::tempdir().unwrap();
    let input = fixture("hostile/fourchan_time_overflow.json");
    ingest_ok(&[input.to_str().unwrap()], out.path());
    let report = report(out.path());
    assert_balanced(&report);
    assert_eq!(report["posts"], 2);
    assert_eq!(
        reasons(&report),
        vec![("bad or missing created_at".to_string(), 1)]
    );
}

fn statuses(n: usize, first_id: u64) -> String {
    (0..n)
        .map(|i| {
            format!(
                "{{\"id_str\":\"{}\",\"created_at\":\"Fri May 05 19:00:00 +0000 2017\",\"text\":\"#MacronLeaks {i}\",\"user\":{{\"id_str\":\"7\"}}}}\n",
                first_id + i as u64
            )
        })
        .collect()
}

/// A line longer than `--max-record-bytes` is one `record too large` at its line, in plain
/// and gzip files, in the middle of the file or at its end without a newline, whatever its
/// size against the 32 MB blocks the reader cuts.
#[test]
fn a_line_over_the_bound_is_skipped_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let huge = 40 << 20; // over a block: read past, never held
    let mut plain = statuses(60, 1000).into_bytes();
    plain.extend(std::iter::repeat_n(b'x', huge));
    plain.push(b'\n');
    plain.extend_from_slice(statuses(5, 2000).as_bytes());
    plain.extend(std::iter::repeat_n(b'{', 3 << 20)); // over the bound, within a block
    plain.push(b'\n');
    plain.extend_from_slice(statuses(1, 3000).as_bytes());
    plain.extend(std::iter::repeat_n(b'[', 2 << 20)); // last line, no newline
    let path = dir.path().join("big.jsonl");
    std::fs::write(&path, &plain).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&plain).unwrap();
    let gz_path = dir.path().join("big.jsonl.gz");
    std::fs::write(&gz_path, gz.finish().unwrap()).unwrap();
    for input in [&path, &gz_path] {
        let out = tempfile::tempdir().unwrap();
        ingest_ok(
            &[
                input.to_str().unwrap(),
                "--format",
                "twitter-v1",
                "--max-record-bytes",
                "1M",
            ],
            out.path(),
        );
        let report = report(out.path());
        assert_balanced(&report);
        assert_eq!(report["posts"], 66, "{}", input.display());
        assert_eq!(reasons(&report), vec![("record too large".to_string(), 3)]);
        assert_eq!(example_lines(&report), vec![61, 67, 69]);
        let first = report["skip_examples"][0]["reason"].as_str().unwrap();
        assert!(first.contains(&format!("{huge} bytes")), "{first}");
    }
}

/// Documents: one under the bound is read whole as before; a top-level array over it
/// streams item by item (same posts), an item over the bound is skipped, and a document
/// over the bound that is not an array is one skipped record.
#[test]
fn documents_over_the_bound_stream_or_are_skipped() {
    let array = real("twitter_v1/user_timeline_array.json");
    let whole = tempfile::tempdir().unwrap();
    ingest_ok(&[array.to_str().unwrap()], whole.path());
    let streamed = tempfile::tempdir().unwrap();
    ingest_ok(
        &[array.to_str().unwrap(), "--max-record-bytes", "100K"],
        streamed.path(),
    );
    let (a, b) = (report(whole.path()), report(streamed.path()));
    assert_eq!(a["posts"], 63);
    assert_eq!(b["posts"], 63);
    assert_eq!(b["skipped"], 0);
    assert!(posts(whole.path()).equals_missing(&posts(streamed.path())));

    let dir = tempfile::tempdir().unwrap();
    let items: Vec<String> = statuses(3, 10)
        .lines()
        .map(str::to_string)
        .chain([format!("\"{}\"", "y".repeat(300_000))])
        .chain(statuses(2, 20).lines().map(str::to_string))
        .collect();
    let doc = dir.path().join("array.json");
    std::fs::write(&doc, format!("[\n{}\n]\n", items.join(",\n"))).unwrap();
    let out = tempfile::tempdir().unwrap();
    ingest_ok(
        &[
            doc.to_str().unwrap(),
            "--format",
            "twitter-v1",
            "--max-record-bytes",
            "64K",
        ],
        out.path(),
    );
    let report_array = report(out.path());
    assert_balanced(&report_array);
    assert_eq!(report_array["posts"], 5);
    assert_eq!(
        reasons(&report_array),
        vec![("record too large".to_string(), 1)]
    );
    assert_eq!(example_lines(&report_array), vec![5]);

    let response = dir.path().join("response.json");
    let statuses_json: Vec<&str> = items.iter().map(String::as_str).collect();
    std::fs::write(
        &response,
        format!("{{\"statuses\": [\n{}\n]}}\n", statuses_json.join(",\n")),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    ingest_ok(
        &[
            response.to_str().unwrap(),
            "--format",
            "twitter-v1",
            "--max-record-bytes",
            "64K",
        ],
        out.path(),
    );
    let report_response = report(out.path());
    assert_balanced(&report_response);
    assert_eq!(report_response["records_read"], 1);
    assert_eq!(
        reasons(&report_response),
        vec![("record too large".to_string(), 1)]
    );
}

/// A CSV record over the bound (a quoted cell with newlines in it) is one skipped record at
/// the line it starts on; the rows after it keep their lines.
#[test]
fn a_csv_record_over_the_bound_is_skipped_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("message_id,user_id,timestamp,message\n");
    csv.push_str("1,u1,2017-05-05 19:00:00,first\n");
    csv.push_str(&format!(
        "2,u2,2017-05-05 19:01:00,\"{}\"\n",
        "long\nline ".repeat(20_000)
    ));
    csv.push_str("3,u3,2017-05-05 19:02:00,third\n");
    let path = dir.path().join("rows.csv");
    std::fs::write(&path, csv).unwrap();
    let out = tempfile::tempdir().unwrap();
    ingest_ok(
        &[
            path.to_str().unwrap(),
            "--map",
            "id=message_id,author=user_id,time=timestamp,text=message",
            "--max-record-bytes",
            "64K",
        ],
        out.path(),
    );
    let report = report(out.path());
    assert_balanced(&report);
    assert_eq!(report["posts"], 2);
    assert_eq!(reasons(&report), vec![("record too large".to_string(), 1)]);
    assert_eq!(example_lines(&report), vec![3]);
    let lines: Vec<Option<u64>> = posts(out.path())
        .column("source_line")
        .unwrap()
        .u64()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(lines, vec![Some(2), Some(20_004)]);
}

#[test]
fn max_record_bytes_must_be_a_size() {
    for bad in ["0", "-1", "lots", "99999999999999999999G"] {
        tagscope()
            .args(["ingest", "x.jsonl", "-o", "out"])
            .arg(format!("--max-record-bytes={bad}"))
            .assert()
            .failure()
            .stderr(predicates::str::contains("--max-record-bytes"));
    }
}

/// A deterministic slice of the fuzzer: every reader, 1,000 mutated records each, through
/// `ingest::ingest` (the CLI's entry point); no panic, the balance holds, every error is
/// one line naming the file. (An abort would end this test process: a failure too.)
#[test]
fn fuzz_slice_over_every_reader() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let _ = real("README.md");
    let scratch = tempfile::tempdir().unwrap();
    let mut problems = Vec::new();
    for reader in fuzz_readers::READERS {
        let corpus = fuzz_readers::Corpus::load(reader, root).unwrap();
        let mut records = 0;
        for index in 0..4 {
            let batch = fuzz_readers::generate(&corpus, 13, index, 250);
            match fuzz_readers::check(&corpus, &batch, scratch.path()) {
                Ok(checked) => records += checked.records,
                Err(problem) => problems.push(format!("{reader} batch {index}: {problem}")),
            }
        }
        assert!(records > 0, "{reader}: nothing read");
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
