//! Every real export sample in ../shared/fixtures/real loads with the right counts, or is
//! refused with a clear message.

mod common;
use common::*;

fn ingest_file(name: &str) -> (tempfile::TempDir, serde_json::Value) {
    let out = tempfile::tempdir().unwrap();
    ingest_ok(&[real(name).to_str().unwrap()], out.path());
    let report = report(out.path());
    assert_balanced(&report);
    (out, report)
}

#[test]
fn twarc2_blm_network_pages() {
    let (out, report) = ingest_file("twitter_v2/blm_network.jsonl");
    assert_eq!(report["records_read"], 500);
    assert_eq!(report["posts"], 500);
    assert_eq!(report["posts_by_kind"]["retweet"], 367);
    let posts = posts(out.path());
    // Every retweet resolves its original's author and time through `includes`.
    let retweets = polars::prelude::IntoLazy::lazy(posts.clone())
        .filter(polars::prelude::col("kind").eq(polars::prelude::lit("retweet")))
        .collect()
        .unwrap();
    assert_eq!(retweets.column("parent_author_id").unwrap().null_count(), 0);
    assert_eq!(
        retweets.column("parent_created_at").unwrap().null_count(),
        0
    );
    assert!(
        str_values(&retweets, "text")
            .iter()
            .all(|t| t.as_deref().unwrap().starts_with("RT @"))
    );
    // Authors: 401 distinct posters (README), plus the authors of referenced tweets.
    let authors: std::collections::BTreeSet<_> =
        str_values(&posts, "author_id").into_iter().collect();
    assert_eq!(authors.len(), 401);
    let accounts = accounts(out.path());
    assert!(accounts.height() > 401);
    // v2 has no favourites count nor default-profile flags: null, never zero.
    assert_eq!(
        accounts.column("favourites_count").unwrap().null_count(),
        accounts.height()
    );
    assert_eq!(
        accounts.column("default_profile").unwrap().null_count(),
        accounts.height()
    );
    assert!(accounts.column("followers").unwrap().null_count() < accounts.height());
}

#[test]
fn v1_search_response_burst() {
    let (out, report) = ingest_file("twitter_v1/search_response.json");
    assert_eq!(report["posts"], 100);
    assert_eq!(report["posts_by_kind"]["retweet"], 74);
    let posts = posts(out.path());
    let authors: std::collections::BTreeSet<_> =
        str_values(&posts, "author_id").into_iter().collect();
    assert_eq!(authors.len(), 99);
    assert_eq!(report["files"][0]["format"], "twitter-v1");
}

#[test]
fn v1_streaming_lines_with_a_duplicate() {
    let (_out, report) = ingest_file("twitter_v1/streaming_lines.jsonl");
    assert_eq!(report["records_read"], 72);
    assert_eq!(report["posts"], 71);
    assert_eq!(report["duplicates"], 1);
}

#[test]
fn v1_arrays() {
    let (out, report) = ingest_file("twitter_v1/user_timeline_array.json");
    assert_eq!(report["posts"], 63);
    assert_eq!(report["posts_by_kind"]["retweet"], 35);
    let posts = posts(out.path());
    let authors: std::collections::BTreeSet<_> =
        str_values(&posts, "author_id").into_iter().collect();
    assert_eq!(authors.len(), 1);
    // The array is written on one line: every status is on line 1.
    let lines = u64_values(&posts, "source_line");
    assert!(lines.iter().all(|&l| l == 1));

    let (out, report) = ingest_file("twitter_v1/retweets_array.json");
    assert_eq!(report["posts"], 14);
    assert_eq!(report["posts_by_kind"]["retweet"], 14);
    let parents: std::collections::BTreeSet<_> = str_values(&posts_of(&out), "parent_post_id")
        .into_iter()
        .collect();
    assert_eq!(parents.len(), 1, "14 retweets of one tweet");
}

fn posts_of(out: &tempfile::TempDir) -> polars::prelude::DataFrame {
    posts(out.path())
}

#[test]
fn flat_and_noflat_give_the_same_posts() {
    let (flat_out, flat_report) = ingest_file("twitter_v2/flat.jsonl");
    let (noflat_out, noflat_report) = ingest_file("twitter_v2/noflat.jsonl");
    assert_eq!(flat_report["posts"], 100);
    assert_eq!(flat_report["posts_by_kind"], noflat_report["posts_by_kind"]);
    let columns = [
        "platform",
        "post_id",
        "author_id",
        "author_handle",
        "created_at",
        "kind",
        "parent_post_id",
        "parent_author_id",
        "parent_created_at",
        "text",
        "hashtags",
        "urls",
        "mentions",
        "lang",
    ];
    let flat = posts(flat_out.path()).select(columns).unwrap();
    let noflat = posts(noflat_out.path()).select(columns).unwrap();
    assert!(
        flat.equals_missing(&noflat),
        "flat:\n{flat}\nnoflat:\n{noflat}"
    );
}

#[test]
fn twarc2_small_files() {
    for (name, posts) in [
        ("twitter_v2/2sets.jsonl", 200),
        ("twitter_v2/brexit.jsonl", 100),
        ("twitter_v2/two_tweets.jsonl", 1),
        ("twitter_v2/many_urls.jsonl", 1),
        ("twitter_v2/mentions_tweet.jsonl", 1),
        ("twitter_v2/quoted_edit.jsonl", 1),
    ] {
        let (_out, report) = ingest_file(name);
        assert_eq!(report["posts"], posts, "{name}");
    }
    let (out, _) = ingest_file("twitter_v2/many_urls.jsonl");
    let posts = posts(out.path());
    let tweet = row(&posts, &str_values(&posts, "post_id")[0].clone().unwrap());
    assert_eq!(
        tweet["urls"],
        "[\"https://uiadrian.gumroad.com/l/web-design-guide/?offer_code=twk0uc9f7\"]",
        "the unwound URL, not the t.co link"
    );
}

#[test]
fn stream_with_a_broken_line_keeps_the_rest() {
    let (_out, report) = ingest_file("twitter_v2/streaming_output_with_error.jsonl");
    assert_eq!(report["records_read"], 8);
    assert_eq!(report["posts"], 7);
    assert_eq!(report["skipped"], 1);
    let example = &report["skip_examples"][0];
    assert_eq!(example["line"], 8);
    assert!(
        example["file"]
            .as_str()
            .unwrap()
            .ends_with("streaming_output_with_error.jsonl")
    );
}

#[test]
fn fourchan_thread_with_wrapper_keys() {
    let (out, report) = ingest_file("fourchan/thread_c_4356869.json");
    assert_eq!(report["posts"], 1);
    let posts = posts(out.path());
    let row = row(&posts, "c/1990691");
    assert_eq!(row["kind"], "thread");
    assert_eq!(row["board"], "c");
    assert_eq!(row["platform"], "4chan");
    assert!(row["text"].starts_with("/c/ board rules and guidelines\nGreetings"));
    assert!(
        row["text"].contains("aren't"),
        "entities decoded: {}",
        row["text"]
    );
    assert!(!row["text"].contains("<br>"));
    assert_eq!(row["created_at"], "2013-02-24 03:43:59 UTC");
}

#[test]
fn files_that_are_not_posts_are_refused_by_name() {
    for (name, what) in [
        ("twitter_v2/users.jsonl", "user objects"),
        ("twitter_v2/counts.jsonl", "tweet counts"),
    ] {
        let out = tempfile::tempdir().unwrap();
        let assert = tagscope()
            .args(["-q", "ingest", real(name).to_str().unwrap(), "-o"])
            .arg(out.path())
            .assert()
            .failure();
        let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
        assert!(
            stderr.contains(name.split('/').next_back().unwrap()) && stderr.contains(what),
            "{stderr}"
        );
        assert_eq!(stderr.trim().lines().count(), 1, "one-line error: {stderr}");
    }
}

#[test]
fn the_whole_folder_at_once() {
    let out = tempfile::tempdir().unwrap();
    ingest_ok(&[real("").to_str().unwrap()], out.path());
    let report = report(out.path());
    assert_balanced(&report);
    let files = report["files"].as_array().unwrap();
    let status = |suffix: &str| {
        files
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(suffix))
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status("users.jsonl"), "refused");
    assert_eq!(status("counts.jsonl"), "refused");
    assert_eq!(status("empty.json"), "empty");
    assert_eq!(status("blm_network.jsonl"), "read");
    // flat.jsonl and noflat.jsonl hold the same 100 tweets: deduplicated.
    assert!(report["duplicates"].as_u64().unwrap() >= 100);
    assert_eq!(report["posts_by_platform"]["4chan"], 1);
}

#[test]
fn empty_file_is_not_an_error() {
    let (_out, report) = ingest_file("twitter_v2/empty.json");
    assert_eq!(report["records_read"], 0);
    assert_eq!(report["files"][0]["status"], "empty");
}
