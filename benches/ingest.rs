//! Ingest throughput on simulated Twitter v1.1 JSONL (criterion). The end-to-end figure
//! with peak memory comes from `scripts/bench.sh`; this one isolates parsing + columns.
//!
//! Run: `cargo bench --bench ingest` (release profile).

use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tagscope::ingest::{IngestOptions, ingest};
use tagscope::simulate::{SimConfig, simulate};

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
}

criterion_group!(benches, bench_ingest);
criterion_main!(benches);
