//! Each reader on hand-made fixtures in tests/fixtures: hostile lines, compression, 4chan
//! HTML and quotelinks, twarc-csv, generic CSV, filters, strict mode.

mod common;
use common::*;

use std::io::Write;

#[test]
fn hostile_v1_lines_are_counted_and_the_rest_kept() {
    let out = tempfile::tempdir().unwrap();
    ingest_ok(&[fixture("v1_hostile.jsonl").to_str().unwrap()], out.path());
    let report = report(out.path());
    assert_balanced(&report);
    assert_eq!(report["records_read"], 12);
    assert_eq!(report["posts"], 7);
    assert_eq!(report["duplicates"], 1);
    assert_eq!(report["skipped"], 4);
    let reasons = &report["skipped_by_reason"];
    assert_eq!(reasons["delete notice"], 1);
    assert_eq!(reasons["truncated JSON"], 1);
    assert_eq!(reasons["invalid UTF-8"], 1);
    assert_eq!(reasons["wrong field type"], 1);
    assert_eq!(report["files"][0]["blank_lines"], 1);
    let lines: Vec<u64> = report["skip_examples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![5, 8, 9, 10]);

    let posts = posts(out.path());
    let retweet = row(&posts, "860000000000000010");
    assert_eq!(retweet["kind"], "retweet");
    assert_eq!(retweet["parent_post_id"], "860000000000000001");
    assert_eq!(retweet["parent_author_id"], "101");
    assert_eq!(
        retweet["text"],
        "RT @jackposobiec: Macron campaign emails leaked #MacronLeaks https://t.co/abc"
    );
    assert!(retweet["hashtags"].contains("macronleaks"));
    assert!(retweet["urls"].contains("https://pastebin.com/Kp3Dx8z1"));
    assert_eq!(
        retweet["retweet_count"], "null",
        "a retweet never carries the original's counts"
    );
    assert_eq!(retweet["source_app"], "Twitter for Android");

    let quote = row(&posts, "860000000000000200");
    assert_eq!(quote["kind"], "quote");
    assert!(
        quote["text"].starts_with("Ceci est une longue citation avec accents é à ç"),
        "full text from extended_tweet"
    );
    assert!(quote["hashtags"].contains("macronleaks") && quote["hashtags"].contains("macrongate"));

    // The reply's parent time is not in v1.1's reply fields: filled from the collected quote.
    let reply = row(&posts, "860000000000000300");
    assert_eq!(reply["kind"], "reply");
    assert_eq!(reply["parent_author_id"], "300");
    assert_eq!(reply["parent_created_at"], "2017-05-05 19:05:00 UTC");

    // Time-sorted output.
    let times = posts
        .column("created_at")
        .unwrap()
        .as_materialized_series()
        .to_physical_repr();
    let times: Vec<i64> = times.i64().unwrap().into_no_null_iter().collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));

    let accounts = accounts(out.path());
    let handles = str_values(&accounts, "handle");
    assert!(handles.contains(&Some("jackposobiec".into())));
}

#[test]
fn tag_and_time_filters() {
    let out = tempfile::tempdir().unwrap();
    ingest_ok(
        &[
            fixture("v1_hostile.jsonl").to_str().unwrap(),
            "--tag",
            "#MACRONLEAKS",
        ],
        out.path(),
    );
    let report = report(out.path());
    assert_balanced(&report);
    assert_eq!(
        report["posts"], 5,
        "original, three retweets, and the quote with the full-width tag"
    );
    assert_eq!(report["filtered_out"], 2);
    let accounts = accounts(out.path());
    assert!(
        !str_values(&accounts, "handle").contains(&Some("fan".into())),
        "accounts of filtered posts are not kept"
    );

    let out = tempfile::tempdir().unwrap();
    ingest_ok(
        &[
            fixture("v1_hostile.jsonl").to_str().unwrap(),
            "--since",
            "2017-05-05T19:00:00Z",
            "--until",
            "2017-05-05T19:06:30Z",
        ],
        out.path(),
    );
    let filtered = common::report(out.path());
    assert_eq!(filtered["posts"], 2);
}

#[test]
fn strict_fails_on_skipped_lines() {
    let out = tempfile::tempdir().unwrap();
    let assert = tagscope()
        .args([
            "-q",
            "ingest",
            "--strict",
            fixture("v1_hostile.jsonl").to_str().unwrap(),
            "-o",
        ])
        .arg(out.path())
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains("v1_hostile.jsonl:5"), "{stderr}");
}

#[test]
fn gzip_and_zstd_are_transparent() {
    let dir = tempfile::tempdir().unwrap();
    let raw = std::fs::read(fixture("v1_hostile.jsonl")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&raw).unwrap();
    std::fs::write(dir.path().join("a.jsonl.gz"), gz.finish().unwrap()).unwrap();
    std::fs::write(
        dir.path().join("b.data"),
        zstd::encode_all(&raw[..], 3).unwrap(),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    ingest_ok(&[dir.path().to_str().unwrap()], out.path());
    let report = report(out.path());
    assert_balanced(&report);
    let compressions: Vec<&str> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["compression"].as_str().unwrap())
        .collect();
    assert_eq!(compressions, vec!["gzip", "zstd"]);
    assert_eq!(report["posts"], 7);
    assert_eq!(
        report["duplicates"], 9,
        "each copy has one in-file duplicate, and the second copy's 7 posts are all seen before"
    );
}

#[test]
fn truncated_gzip_keeps_what_was_read() {
    let dir = tempfile::tempdir().unwrap();
    let raw = std::fs::read(fixture("v1_hostile.jsonl")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&raw).unwrap();
    let bytes = gz.finish().unwrap();
    let path = dir.path().join("cut.jsonl.gz");
    std::fs::write(&path, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let out = tempfile::tempdir().unwrap();
    ingest_ok(&[path.to_str().unwrap()], out.path());
    let report = report(out.path());
    assert_balanced(&report);
    assert!(report["skipped"].as_u64().unwrap() >= 1);
}

#[test]
fn fourchan_thread_html_quotelinks_and_authors() {
    let out = tempfile::tempdir().unwrap();
    ingest_ok(
        &[fixture("pol_thread_124205675.json").to_str().unwrap()],
        out.path(),
    );
    let report = report(out.path());
    assert_balanced(&report);
    assert_eq!(report["posts"], 4);
    let posts = posts(out.path());
    let opener = row(&posts, "pol/124205675");
    assert_eq!(opener["kind"], "thread");
    assert_eq!(opener["author_id"], "pol/124205675/Xk3bT9aa");
    assert_eq!(opener["thread_id"], "pol/124205675");
    assert_eq!(opener["country"], "FR");
    assert!(
        opener["urls"].contains("https://pastebin.com/Kp3Dx8z1"),
        "<wbr> removed inside the URL: {}",
        opener["urls"]
    );
    assert!(opener["hashtags"].contains("macronleaks"));
    assert_eq!(
        opener["created_at"], "2017-05-05 18:35:12 UTC",
        "from `time` (UTC), not `now` (US Eastern)"
    );

    let reply = row(&posts, "pol/124205701");
    assert_eq!(reply["kind"], "reply");
    assert_eq!(reply["parent_post_id"], "pol/124205675");
    assert_eq!(reply["parent_author_id"], "pol/124205675/Xk3bT9aa");
    assert_eq!(
        reply["text"],
        ">>124205675\n>implying the media will report it\nIt's happening \"frens\""
    );

    let tripped = row(&posts, "pol/124205733");
    assert_eq!(
        tripped["parent_post_id"], "pol/124205701",
        "quotelink to the second post"
    );
    assert_eq!(
        tripped["author_id"], "pol/trip/!!Fr3nchAnon",
        "tripcodes identify across threads"
    );
    // Line numbers point into the pretty-printed thread: each post's opening line.
    let lines = u64_values(&posts, "source_line");
    assert_eq!(lines, vec![3, 28, 39, 51]);
    let bump = row(&posts, "pol/124205790");
    assert_eq!(
        bump["parent_post_id"], "pol/124205675",
        "no quotelink: replies to the opener"
    );
}

#[test]
fn pol_ndjson_dump_with_a_broken_thread() {
    let out = tempfile::tempdir().unwrap();
    ingest_ok(
        &[
            fixture("pol_dump.ndjson").to_str().unwrap(),
            "--board",
            "pol",
        ],
        out.path(),
    );
    let report = report(out.path());
    assert_balanced(&report);
    assert_eq!(report["posts"], 4);
    assert_eq!(report["skipped"], 1);
    assert_eq!(report["skip_examples"][0]["line"], 2);
    let posts = posts(out.path());
    assert_eq!(
        row(&posts, "pol/124300002")["author_id"],
        "pol/124300001/bbbb2222"
    );
    assert_eq!(
        row(&posts, "pol/124300100")["author_id"],
        "pol/124300100",
        "no poster id: the post itself"
    );
    assert_eq!(
        row(&posts, "pol/124300101")["parent_post_id"],
        "pol/124300100"
    );
}

#[test]
fn twarc_csv_merged_retweets() {
    let out = tempfile::tempdir().unwrap();
    ingest_ok(&[fixture("twarc.csv").to_str().unwrap()], out.path());
    let report = report(out.path());
    assert_balanced(&report);
    assert_eq!(report["files"][0]["format"], "twarc-csv");
    assert_eq!(report["posts"], 3);
    assert_eq!(report["skipped_by_reason"]["bad or missing created_at"], 1);
    let posts = posts(out.path());
    let original = row(&posts, "1390000000000000001");
    assert_eq!(original["retweet_count"], "15");
    assert_eq!(original["text"], "Original with #MacronLeaks\nsecond line");
    assert_eq!(original["urls"], "[\"https://pastebin.com/Kp3Dx8z1\"]");
    let retweet = row(&posts, "1390000000000000002");
    assert_eq!(retweet["kind"], "retweet");
    assert_eq!(retweet["parent_author_id"], "11");
    assert_eq!(
        retweet["retweet_count"], "null",
        "merged metrics are the original's, not the retweet's"
    );
    assert!(retweet["text"].starts_with("RT @origuser: Original"));
    assert_eq!(retweet["parent_created_at"], "2021-05-05 18:49:12 UTC");
    let reply = row(&posts, "1390000000000000003");
    assert_eq!(reply["mentions"], "[\"origuser\"]");
    let accounts = accounts(out.path());
    assert_eq!(accounts.height(), 3);
}

#[test]
fn generic_csv_needs_and_uses_a_map() {
    let out = tempfile::tempdir().unwrap();
    let assert = tagscope()
        .args([
            "-q",
            "ingest",
            fixture("qut_style.csv").to_str().unwrap(),
            "-o",
        ])
        .arg(out.path())
        .assert()
        .failure();
    assert!(String::from_utf8_lossy(&assert.get_output().stderr).contains("--map"));

    let bad_map = tagscope()
        .args([
            "-q",
            "ingest",
            fixture("qut_style.csv").to_str().unwrap(),
            "--map",
            "id=message_id,time=when",
            "-o",
        ])
        .arg(out.path())
        .assert()
        .failure();
    assert!(String::from_utf8_lossy(&bad_map.get_output().stderr).contains("no column `when`"));

    ingest_ok(
        &[
            fixture("qut_style.csv").to_str().unwrap(),
            "--map",
            "id=message_id,author=user_id,handle=username,retweet_of=repost_id,parent=reply_id,text=message,time=timestamp",
        ],
        out.path(),
    );
    let report = report(out.path());
    assert_balanced(&report);
    assert_eq!(report["posts"], 3);
    assert_eq!(report["skipped"], 1);
    let posts = posts(out.path());
    let repost = row(&posts, "m2");
    assert_eq!(repost["kind"], "retweet");
    assert_eq!(
        repost["parent_author_id"], "u1",
        "parent author filled from the collected posts"
    );
    assert_eq!(row(&posts, "m3")["kind"], "reply");
    assert!(row(&posts, "m1")["hashtags"].contains("macronleaks"));
}

#[test]
fn unrecognised_named_file_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "just some words\n").unwrap();
    let out = tempfile::tempdir().unwrap();
    let assert = tagscope()
        .args(["-q", "ingest", path.to_str().unwrap(), "-o"])
        .arg(out.path())
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains("notes.txt"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1);
}

#[test]
fn outputs_are_byte_identical_across_runs_and_thread_counts() {
    let inputs = [
        fixture("v1_hostile.jsonl"),
        fixture("pol_thread_124205675.json"),
        fixture("twarc.csv"),
    ];
    let mut outputs = Vec::new();
    for threads in ["1", "2", "2"] {
        let out = tempfile::tempdir().unwrap();
        tagscope()
            .env("RAYON_NUM_THREADS", threads)
            .env("POLARS_MAX_THREADS", threads)
            .arg("-q")
            .arg("ingest")
            .args(&inputs)
            .arg("-o")
            .arg(out.path())
            .assert()
            .success();
        let files: Vec<Vec<u8>> = ["posts.parquet", "accounts.parquet", "ingest_report.json"]
            .iter()
            .map(|f| std::fs::read(out.path().join(f)).unwrap())
            .collect();
        outputs.push(files);
    }
    assert!(outputs.windows(2).all(|w| w[0] == w[1]));
}

/// Cuts a JSON document halfway through item `keep` (0-based) of its array (top level, or
/// under `key`); also returns the same document made whole with only the items before it.
fn cut_document(bytes: &[u8], key: Option<&str>, keep: usize) -> (Vec<u8>, Vec<u8>) {
    use serde_json::value::RawValue;
    let items: Vec<&RawValue> = match key {
        None => serde_json::from_slice(bytes).unwrap(),
        Some(key) => {
            let object: std::collections::HashMap<String, &RawValue> =
                serde_json::from_slice(bytes).unwrap();
            serde_json::from_str(object[key].get()).unwrap()
        }
    };
    let start = items[keep].get().as_ptr() as usize - bytes.as_ptr() as usize;
    let cut = bytes[..start + items[keep].get().len() / 2].to_vec();
    let kept: Vec<&str> = items[..keep].iter().map(|item| item.get()).collect();
    let array = format!("[{}]", kept.join(","));
    let whole = match key {
        None => array,
        Some(key) => format!("{{\"{key}\": {array}}}"),
    };
    (cut, whole.into_bytes())
}

#[test]
fn a_cut_json_document_keeps_the_records_before_the_cut() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (real("twitter_v1/retweets_array.json"), None, 7),
        (
            real("twitter_v1/search_response.json"),
            Some("statuses"),
            60,
        ),
        (fixture("pol_thread_124205675.json"), Some("posts"), 3),
    ];
    for (index, (source, key, keep)) in cases.into_iter().enumerate() {
        let bytes = std::fs::read(&source).unwrap();
        let (cut, whole) = cut_document(&bytes, key, keep);
        // Same file name in both folders (4chan takes the board from it).
        let name = source.file_name().unwrap();
        let cut_dir = dir.path().join(format!("cut{index}"));
        let whole_dir = dir.path().join(format!("whole{index}"));
        std::fs::create_dir_all(&cut_dir).unwrap();
        std::fs::create_dir_all(&whole_dir).unwrap();
        std::fs::write(cut_dir.join(name), &cut).unwrap();
        std::fs::write(whole_dir.join(name), &whole).unwrap();

        let (cut_out, whole_out) = (
            dir.path().join(format!("o{index}c")),
            dir.path().join(format!("o{index}w")),
        );
        ingest_ok(&[cut_dir.join(name).to_str().unwrap()], &cut_out);
        ingest_ok(&[whole_dir.join(name).to_str().unwrap()], &whole_out);
        let (cut_report, whole_report) = (report(&cut_out), report(&whole_out));
        assert_balanced(&cut_report);
        assert!(whole_report["posts"].as_u64().unwrap() > 0);
        assert_eq!(whole_report["skipped"], 0);
        assert_eq!(cut_report["posts"], whole_report["posts"], "{source:?}");
        assert_eq!(
            cut_report["records_read"].as_u64().unwrap(),
            whole_report["records_read"].as_u64().unwrap() + 1,
            "the cut counts as one skipped record"
        );
        assert_eq!(cut_report["skipped_by_reason"]["truncated JSON"], 1);
        let last_line = cut.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        assert_eq!(cut_report["skip_examples"][0]["line"], last_line);
        assert_eq!(
            str_values(&posts(&cut_out), "post_id"),
            str_values(&posts(&whole_out), "post_id")
        );
    }
}

#[test]
fn progress_reports_each_file_and_every_byte_read() {
    use tagscope::ingest::{IngestOptions, IngestProgress, ingest_with_progress};
    let dir = tempfile::tempdir().unwrap();
    let plain = fixture("v1_hostile.jsonl");
    let packed = dir.path().join("again.jsonl.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&packed).unwrap(),
        flate2::Compression::default(),
    );
    gz.write_all(&std::fs::read(&plain).unwrap()).unwrap();
    gz.finish().unwrap();
    let inputs = vec![plain.clone(), packed.clone()];
    let total =
        std::fs::metadata(&plain).unwrap().len() + std::fs::metadata(&packed).unwrap().len();
    let seen = std::sync::Mutex::new(Vec::<IngestProgress>::new());
    let ingested = ingest_with_progress(&inputs, &IngestOptions::default(), &|now| {
        seen.lock().unwrap().push(now)
    })
    .unwrap();
    assert_eq!(ingested.report.posts, 7);
    let seen = seen.into_inner().unwrap();
    let last = *seen.last().unwrap();
    assert!(
        last.assembling,
        "the last report comes once every file is read"
    );
    assert_eq!((last.bytes_read, last.bytes_total), (total, total));
    assert!(seen.iter().all(|p| p.files == 2 && p.bytes_total == total));
    assert!(seen.iter().any(|p| p.file == 0) && seen.iter().any(|p| p.file == 1));
    // The gzip file counts its compressed bytes: progress never runs past the total, and
    // the second file starts where the first one's bytes end.
    let second_start = seen.iter().find(|p| p.file == 1).unwrap();
    assert_eq!(
        second_start.bytes_read,
        std::fs::metadata(&plain).unwrap().len()
    );
    assert!(seen.iter().all(|p| p.bytes_read <= total));
}
