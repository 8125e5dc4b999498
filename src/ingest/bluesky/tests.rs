//! Unit tests of `src/ingest/bluesky.rs`.

use super::*;
use crate::ingest::record::RecordFilter;

#[test]
fn thread_posts_at_any_depth_in_one_pass() {
    let thread = r#"{"post":{"uri":"a","record":{"text":"\"post\": {"}},"parent":{"post":{"uri":"b"},"parent":{"notFound":true}},"replies":[{"post":{"uri":"c","embed":{"post":{"uri":"x"}}}}]}"#;
    let found: Vec<&str> = thread_posts(thread.as_bytes())
        .into_iter()
        .map(|r| &thread[r])
        .collect();
    assert_eq!(
        found,
        [
            r#"{"uri":"a","record":{"text":"\"post\": {"}}"#,
            r#"{"uri":"b"}"#,
            r#"{"uri":"c","embed":{"post":{"uri":"x"}}}"#
        ]
    );
    // Cut short: the open post runs to the end.
    assert_eq!(thread_posts(br#"{"post":{"uri":"a""#), vec![8..18]);
}

#[test]
fn dids_from_uris() {
    assert_eq!(
        did_of_uri("at://did:plc:abc/app.bsky.feed.post/3k"),
        Some("did:plc:abc")
    );
    assert_eq!(did_of_uri("https://x"), None);
}

#[test]
fn mention_handles_come_from_utf8_byte_ranges() {
    // "é " is 3 bytes: the mention starts at byte 3.
    let line = r#"{"did":"did:plc:a","time_us":1700000000000000,"kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"r1","record":{"text":"é @Bob.bsky.social #Tag","createdAt":"2023-11-14T22:13:20Z","facets":[{"index":{"byteStart":3,"byteEnd":19},"features":[{"$type":"app.bsky.richtext.facet#mention","did":"did:plc:b"}]},{"index":{"byteStart":20,"byteEnd":24},"features":[{"$type":"app.bsky.richtext.facet#tag","tag":"Tag"}]},{"index":{"byteStart":2,"byteEnd":99},"features":[{"$type":"app.bsky.richtext.facet#mention","did":"did:plc:c"}]}]}}}"#;
    let filter = RecordFilter::default();
    let mut collector = Collector::new(&filter, 0, "t");
    parse_line(line.as_bytes(), 1, &mut collector);
    let df = collector.posts.into_dataframe().unwrap();
    let mentions = df.column("mentions").unwrap().get(0).unwrap().to_string();
    assert!(mentions.contains("bob.bsky.social"), "{mentions}");
    // A range past the text's end falls back to the DID.
    assert!(mentions.contains("did:plc:c"), "{mentions}");
    let tags = df.column("hashtags").unwrap().get(0).unwrap().to_string();
    assert!(tags.contains("tag"));
}
