//! Ingest throughput on simulated Twitter v1.1 JSONL (criterion). The end-to-end figure
//! with peak memory comes from `scripts/bench.sh`; this one isolates parsing + columns.
//!
//! The `parse_ceiling` group measures, on the same bytes, how far ingest (the `ingest`
//! group: every core, deduplication, parents, accounts; no Parquet) is from the JSON parser
//! itself: serde_json skipping every record whole on one thread (the least any reader of
//! these bytes does), and the v1.1 reader turning them into canonical records and columns
//! on one thread.
//!
//! Run: `cargo bench --bench ingest` (release profile).

use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tagscope::ingest::record::{Collector, RecordFilter};
use tagscope::ingest::{IngestOptions, ingest, twitter_v1};
use tagscope::simulate::{SimConfig, simulate};

/// The binary's allocator, so that the figures are the binary's (glibc's malloc and free
/// were a fifth of the records benchmark's samples).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn v1_sample(posts: u64) -> (tempfile::TempDir, PathBuf, u64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = SimConfig {
        seed: 11,
        posts,
        gzip: false,
        ..SimConfig::default()
    };
    simulate(&config, dir.path()).expect("simulate");
    let file = dir.path().join("twitter_v1/tweets.jsonl");
    let bytes = std::fs::metadata(&file).expect("v1 file").len();
    (dir, file, bytes)
}

fn bench_ingest(c: &mut Criterion) {
    let (_dir, file, bytes) = v1_sample(20_000);
    let mut group = c.benchmark_group("ingest");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("twitter_v1_jsonl_20k", |b| {
        b.iter(|| ingest(std::slice::from_ref(&file), &IngestOptions::default()).expect("ingest"))
    });
    let tagged = IngestOptions {
        tags: vec!["MacronLeaks".into()],
        ..IngestOptions::default()
    };
    group.bench_function("twitter_v1_jsonl_20k_tag_filter", |b| {
        b.iter(|| ingest(std::slice::from_ref(&file), &tagged).expect("ingest"))
    });
    group.finish();
    bench_parse_ceiling(c, &std::fs::read(&file).expect("v1 file"));
}

/// The same bytes as `ingest/twitter_v1_jsonl_20k`, read on one thread without it.
fn bench_parse_ceiling(c: &mut Criterion, data: &[u8]) {
    let lines = || data.split(|&b| b == b'\n').filter(|line| !line.is_empty());
    let mut group = c.benchmark_group("parse_ceiling");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.bench_function("serde_json_skip_one_thread", |b| {
        b.iter(|| {
            lines()
                .filter(|line| serde_json::from_slice::<serde::de::IgnoredAny>(line).is_ok())
                .count()
        })
    });
    let filter = RecordFilter::default();
    group.bench_function("v1_records_and_columns_one_thread", |b| {
        b.iter(|| {
            let mut collector = Collector::new(&filter, 0, "tweets.jsonl");
            for (i, line) in lines().enumerate() {
                twitter_v1::parse_status(line, i as u64 + 1, &mut collector);
            }
            collector.posts.into_dataframe().expect("columns").height()
        })
    });
    group.finish();
}

criterion_group!(benches, bench_ingest);
criterion_main!(benches);
