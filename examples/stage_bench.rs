//! Times the analysis stages on a synthetic canonical posts table of N posts from N/10
//! accounts (default 10,000,000 and 1,000,000), built directly in memory so that the
//! figure measures the stages, not JSON parsing. Prints seconds per stage and the peak
//! resident memory (Linux).
//!
//!   cargo run --release --example stage_bench -- [POSTS] [ACCOUNTS]

use std::time::Instant;

use polars::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use tagscope::coordination::{self, CoordOptions, ObjectKind};
use tagscope::{features, graph, score, spread};

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM")).map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse::<f64>()
                    .unwrap_or(0.0)
            })
        })
        .unwrap_or(0.0)
        / 1024.0
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let n_posts: usize = args.next().map_or(Ok(10_000_000), |s| s.parse())?;
    let n_accounts: usize = args.next().map_or(Ok(n_posts / 10), |s| s.parse())?;
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let start_ms = 1_494_009_300_000i64;
    let span_ms = 48 * 3_600_000i64;

    let began = Instant::now();
    // Heavy-tailed activity: account index drawn as a power of a uniform.
    let authors: Vec<u32> = (0..n_posts)
        .map(|_| ((rng.random::<f64>().powf(2.0)) * n_accounts as f64) as u32)
        .collect();
    let mut times: Vec<i64> = (0..n_posts)
        .map(|_| start_ms + rng.random_range(0..span_ms))
        .collect();
    times.sort_unstable();
    let originals = n_posts / 4;
    let mut kind = Vec::with_capacity(n_posts);
    let mut parent_id: Vec<Option<String>> = Vec::with_capacity(n_posts);
    let mut parent_author: Vec<Option<String>> = Vec::with_capacity(n_posts);
    let mut parent_time: Vec<Option<i64>> = Vec::with_capacity(n_posts);
    for i in 0..n_posts {
        if i < originals || rng.random_bool(0.2) {
            kind.push("original");
            parent_id.push(None);
            parent_author.push(None);
            parent_time.push(None);
        } else {
            // Retweet a popular earlier original (Zipf-like).
            let target = ((rng.random::<f64>().powf(3.0)) * (i.min(originals) as f64)) as usize;
            kind.push("retweet");
            parent_id.push(Some(format!("p{target}")));
            parent_author.push(Some(format!("a{}", authors[target])));
            parent_time.push(Some(times[target].min(times[i])));
        }
    }
    let datetime = DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC));
    let empty_lists = || {
        let mut builder = ListStringChunkedBuilder::new("x".into(), n_posts, 0);
        for _ in 0..n_posts {
            builder.append_values_iter(std::iter::empty());
        }
        builder.finish().into_series()
    };
    let posts = DataFrame::new(
        n_posts,
        vec![
            Column::new("platform".into(), vec!["twitter"; n_posts]),
            Column::new(
                "post_id".into(),
                (0..n_posts).map(|i| format!("p{i}")).collect::<Vec<_>>(),
            ),
            Column::new(
                "author_id".into(),
                authors.iter().map(|a| format!("a{a}")).collect::<Vec<_>>(),
            ),
            Column::new(
                "author_handle".into(),
                authors
                    .iter()
                    .map(|a| format!("user{a}"))
                    .collect::<Vec<_>>(),
            ),
            Column::new("created_at".into(), times.clone()).cast(&datetime)?,
            Column::new("kind".into(), kind),
            Column::new("parent_post_id".into(), parent_id),
            Column::new("parent_author_id".into(), parent_author),
            Column::new("parent_created_at".into(), parent_time).cast(&datetime)?,
            Column::new("text".into(), vec![Option::<&str>::None; n_posts]),
            empty_lists().with_name("hashtags".into()).into(),
            empty_lists().with_name("urls".into()).into(),
            empty_lists().with_name("mentions".into()).into(),
        ],
    )?;
    let accounts = DataFrame::new(
        n_accounts,
        vec![
            Column::new("platform".into(), vec!["twitter"; n_accounts]),
            Column::new(
                "account_id".into(),
                (0..n_accounts).map(|a| format!("a{a}")).collect::<Vec<_>>(),
            ),
            Column::new(
                "handle".into(),
                (0..n_accounts)
                    .map(|a| format!("user{a}"))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "account_created_at".into(),
                vec![Some(1_300_000_000_000i64); n_accounts],
            )
            .cast(&datetime)?,
            Column::new(
                "profile_observed_at".into(),
                vec![Some(start_ms + span_ms); n_accounts],
            )
            .cast(&datetime)?,
            Column::new(
                "followers".into(),
                (0..n_accounts)
                    .map(|a| Some((a % 5000) as i64))
                    .collect::<Vec<_>>(),
            ),
            Column::new("friends".into(), vec![Some(300i64); n_accounts]),
            Column::new("statuses_count".into(), vec![Some(5000i64); n_accounts]),
            Column::new("default_profile".into(), vec![Some(false); n_accounts]),
            Column::new(
                "default_profile_image".into(),
                vec![Some(false); n_accounts],
            ),
        ],
    )?;
    println!(
        "built {n_posts} posts / {n_accounts} accounts in {:.1} s; peak RSS {:.0} MB",
        began.elapsed().as_secs_f64(),
        peak_rss_mb()
    );

    let t = Instant::now();
    let mut account_features = features::compute(&posts, &accounts)?;
    println!(
        "features: {:.1} s ({} accounts); peak RSS {:.0} MB",
        t.elapsed().as_secs_f64(),
        account_features.len(),
        peak_rss_mb()
    );

    let t = Instant::now();
    let options = CoordOptions {
        windows_s: vec![60.0],
        kinds: vec![ObjectKind::CoRetweet],
        ..CoordOptions::default()
    };
    let found = coordination::detect(&posts, &options)?;
    println!(
        "coordination (co-retweet, 60 s, {} shuffles): {:.1} s; {} edges, {} clusters; peak RSS {:.0} MB",
        options.shuffles,
        t.elapsed().as_secs_f64(),
        found.edges.height(),
        found.summary.clusters,
        peak_rss_mb()
    );

    let t = Instant::now();
    features::apply_coordination(&mut account_features, &found.by_account);
    let scored = score::score(account_features, &score::Weights::defaults());
    let _table = score::table(&scored)?;
    println!(
        "score + table: {:.1} s; peak RSS {:.0} MB",
        t.elapsed().as_secs_f64(),
        peak_rss_mb()
    );

    let t = Instant::now();
    let network = graph::build(&posts, &accounts, &graph::GraphOptions::default())?;
    println!(
        "graph (build + PageRank, k-core, components, Louvain): {:.1} s, {} nodes; peak RSS {:.0} MB",
        t.elapsed().as_secs_f64(),
        network.keys.len(),
        peak_rss_mb()
    );

    let t = Instant::now();
    let index = tagscope::account_index::AccountIndex::build(&posts)?;
    let result = spread::compute(&posts, &index, 600_000, None, spread::first_posts(&posts)?)?;
    println!(
        "spread (10 min bins): {:.1} s, {} rows; peak RSS {:.0} MB",
        t.elapsed().as_secs_f64(),
        result.bins.height(),
        peak_rss_mb()
    );
    Ok(())
}
