//! Seeded synthetic leak campaign modelled on #MacronLeaks (5 May 2017),
//! written in real export formats (twarc 1 v1.1 JSONL, twarc2 v2 pages,
//! 4chan API thread JSON) with planted bots and a ground-truth CSV.
//!
//! Design notes:
//! * Determinism: one `ChaCha8Rng` seeded from `cfg.seed` drives the plan;
//!   texts and profiles are re-derived on demand from per-event / per-account
//!   seeds, so the same config yields byte-identical files and nothing is
//!   read from the wall clock.
//! * Memory: the plan is a `Vec` of 16-byte events (id, author+kind,
//!   target) plus a few counters per event; JSON is rendered one line at a
//!   time and streamed to disk.
//! * Time model: every account draws post times from a campaign intensity
//!   (gamma-shaped rise and decay after the first tweet) modulated by a
//!   circadian curve in its own time zone; bots replace this with their
//!   own clocks (regular, scheduled, burst).
//!
//! Files: `behaviour` (rates, clocks, latencies, shares; fixed or randomised), `clock`
//! (zones, circadian curve, cascade timeline), `accounts` (kinds, profiles, population),
//! `plan` (every tweet's time, kind and target), `content` (text and entities), and one
//! writer each: `twitter_v1`, `twitter_v2`, `fourchan` (plan and threads), `truth`.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};
use chrono::{DateTime, TimeZone, Utc};
use flate2::Compression;
use flate2::write::GzEncoder;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, Gamma, LogNormal, Pareto};
use serde::Serialize;

mod behaviour;
pub use behaviour::{Behaviour, ScheduleStyle, Shares};
mod accounts;
mod bluesky;
mod clock;
mod content;
mod fourchan;
mod mastodon;
mod plan;
mod platforms;
pub use platforms::{PlatformSummary, SimPlatform};
mod reddit;
mod telegram;
mod truth;
mod twitter_v1;
mod twitter_v2;
use accounts::*;
use clock::*;
use content::*;
use fourchan::*;
use plan::*;
use truth::*;
use twitter_v1::*;
use twitter_v2::*;

/// Parameters of the simulated campaign. Account shares are fractions of
/// all Twitter accounts.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Seed of every random draw: the same config gives byte-identical files.
    pub seed: u64,
    /// Number of tweets to generate (exact unless the account budget is tiny).
    pub posts: u64,
    /// Twitter accounts; 0 = `posts / 5`.
    pub accounts: u64,
    /// Campaign hashtag, without `#`.
    pub tag: String,
    /// Time of the 4chan leak post.
    pub start: DateTime<Utc>,
    /// Delay between the 4chan leak post and the first tweet.
    pub first_tweet_delay_minutes: f64,
    /// Length of the Twitter cascade after the first tweet.
    pub duration_hours: f64,
    /// Write the Twitter files gzip-compressed (`.jsonl.gz`) rather than plain `.jsonl`.
    pub gzip: bool,
    /// Share (0–1) of amplifier bots: high-rate retweeters on a jittered clock.
    pub amplifier_share: f64,
    /// Share (0–1) of accounts in coordinated groups that retweet the same post in bursts.
    pub coordinated_share: f64,
    /// Mean size of a coordinated group (actual sizes vary ±20%).
    pub coordinated_group_size: usize,
    /// Share (0–1) of scheduled bots, posting mostly originals on a clock.
    pub scheduled_share: f64,
    /// Share (0–1) of low-volume bots: a few fast retweets each.
    pub low_volume_share: f64,
    /// Share (0–1) of hyperactive humans: many posts a day, in sessions.
    pub hyperactive_share: f64,
    /// Share of ordinary humans that are dormant (created 2016, few statuses).
    pub dormant_share: f64,
    /// Bot and hyperactive volumes are scaled down to stay under this share
    /// of `posts` (matters only for small runs).
    pub max_bot_post_share: f64,
    /// Streaming delete notices per v1 line.
    pub delete_notice_rate: f64,
    /// Hours after the first tweet at which the campaign changes language: ordinary and
    /// hyperactive humans who write English post only before it, those who write French
    /// only after it (bots keep posting throughout). `None`: no switch. The ground truth
    /// is `language_switch_at` in the manifest.
    pub language_switch_hours: Option<f64>,
    /// Draw rates, clocks, latencies and account shares from broad ranges with the seed
    /// ([`Behaviour::randomised`]); the shares above are then ignored.
    pub randomise: bool,
    /// Other platforms, each with a smaller campaign of its own that starts after the 4chan
    /// post with a platform lag, written in its real export format (Telegram Desktop
    /// `result.json`, Bluesky Jetstream lines, Mastodon API statuses, Reddit Pushshift
    /// NDJSON). Drawn from their own generators: an empty list leaves the files as before.
    pub platforms: Vec<SimPlatform>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 42,
            posts: 100_000,
            accounts: 0,
            tag: "MacronLeaks".to_string(),
            start: Utc.with_ymd_and_hms(2017, 5, 5, 18, 35, 0).unwrap(),
            first_tweet_delay_minutes: 14.0,
            duration_hours: 48.0,
            gzip: true,
            amplifier_share: 0.004,
            coordinated_share: 0.005,
            coordinated_group_size: 30,
            scheduled_share: 0.002,
            low_volume_share: 0.03,
            hyperactive_share: 0.003,
            dormant_share: 0.03,
            max_bot_post_share: 0.5,
            delete_notice_rate: 0.001,
            language_switch_hours: None,
            randomise: false,
            platforms: Vec::new(),
        }
    }
}

/// One output file and its size.
#[derive(Debug, Clone, Serialize)]
pub struct FileEntry {
    /// Path relative to `out_dir`.
    pub path: String,
    /// Size of the file as written, in bytes.
    pub bytes: u64,
}

/// What was generated; also written (with the config) to `sim_manifest.json`.
#[derive(Debug, Clone, Serialize)]
pub struct SimSummary {
    /// The seed used.
    pub seed: u64,
    /// Tweets generated (each in both the v1.1 and the v2 file).
    pub tweets: u64,
    /// Tweets per post kind (`original`, `retweet`, `quote`, `reply`).
    pub tweets_by_kind: BTreeMap<String, u64>,
    /// Twitter accounts with at least one tweet.
    pub twitter_accounts: u64,
    /// Of those, the planted bots (amplifier, coordinated, scheduled, low-volume).
    pub twitter_bots: u64,
    /// Twitter accounts with at least one tweet, per ground-truth kind (`human`,
    /// `hyperactive_human`, `amplifier`, `coordinated`, `scheduled`, `low_volume`).
    pub accounts_by_kind: BTreeMap<String, u64>,
    /// Tweets per ground-truth kind of their author.
    pub tweets_by_account_kind: BTreeMap<String, u64>,
    /// Members of each coordinated group.
    pub coordinated_group_sizes: Vec<usize>,
    /// Lines of the v1.1 file: tweets plus delete notices.
    pub v1_lines: u64,
    /// Streaming delete notices among the v1.1 lines.
    pub delete_notices: u64,
    /// twarc2 response pages in the v2 file.
    pub v2_pages: u64,
    /// Thread numbers of the 4chan threads, the leak thread first.
    pub fourchan_threads: Vec<u64>,
    /// 4chan posts in all threads.
    pub fourchan_posts: u64,
    /// Distinct 4chan poster ids, summed over threads.
    pub fourchan_posters: u64,
    /// Post number of the 4chan leak post (the opener of the first thread).
    pub first_4chan_post_no: u64,
    /// Time of the first 4chan post, ISO 8601 UTC to the second.
    pub first_4chan_post_time: String,
    /// Id of the first tweet.
    pub first_tweet_id: String,
    /// Time of the first tweet, ISO 8601 UTC to the second.
    pub first_tweet_time: String,
    /// Time of the last tweet, ISO 8601 UTC to the second.
    pub last_tweet_time: String,
    /// The leak's pastebin link, shared on every platform.
    pub pastebin_url: String,
    /// With a language switch: when English-writing humans stop and French-writing humans
    /// start (ISO 8601 UTC).
    pub language_switch_at: Option<String>,
    /// The other platforms' campaigns (ground truth: first post and lag of each).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<PlatformSummary>,
    /// The drawn behaviour of a randomised world (`--randomise`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub behaviour: Option<Behaviour>,
    /// Data files (the manifest itself is not listed).
    pub files: Vec<FileEntry>,
}

/// Generate the campaign into `out_dir` (created if needed).
pub fn simulate(cfg: &SimConfig, out_dir: &Path) -> Result<SimSummary> {
    anyhow::ensure!(cfg.posts > 0, "posts must be positive");
    // Shorter cascades leave Timeline::sample no room after the first tweet (it would
    // loop forever) and clamp bounds crossing.
    anyhow::ensure!(
        cfg.duration_hours.is_finite() && cfg.duration_hours >= 0.1,
        "duration_hours must be at least 0.1 ({} given)",
        cfg.duration_hours
    );
    anyhow::ensure!(
        cfg.first_tweet_delay_minutes.is_finite() && cfg.first_tweet_delay_minutes >= 0.0,
        "first_tweet_delay_minutes must be a number ≥ 0"
    );
    let shares = [
        ("amplifier_share", cfg.amplifier_share),
        ("coordinated_share", cfg.coordinated_share),
        ("scheduled_share", cfg.scheduled_share),
        ("low_volume_share", cfg.low_volume_share),
        ("hyperactive_share", cfg.hyperactive_share),
        ("dormant_share", cfg.dormant_share),
    ];
    for (name, share) in shares {
        anyhow::ensure!(
            share.is_finite() && (0.0..=1.0).contains(&share),
            "{name} must be a share between 0 and 1 ({share} given)"
        );
    }
    let total: f64 = shares.iter().map(|(_, share)| share).sum();
    anyhow::ensure!(
        total <= 1.0,
        "the account shares add up to {total}: more than every account"
    );
    if let Some(h) = cfg.language_switch_hours {
        anyhow::ensure!(
            h.is_finite() && h >= 0.1 && h <= cfg.duration_hours - 0.1,
            "language_switch_hours must lie between 0.1 and duration_hours - 0.1 ({h} given)"
        );
    }
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    let previous_files = previous_data_files(out_dir);
    let behaviour = if cfg.randomise {
        Behaviour::randomised(cfg.seed)
    } else {
        Behaviour::default()
    };
    let drawn;
    let cfg = match behaviour.shares {
        Some(shares) => {
            drawn = SimConfig {
                amplifier_share: shares.amplifier,
                coordinated_share: shares.coordinated,
                coordinated_group_size: shares.coordinated_group_size,
                scheduled_share: shares.scheduled,
                low_volume_share: shares.low_volume,
                hyperactive_share: shares.hyperactive,
                dormant_share: shares.dormant,
                ..cfg.clone()
            };
            &drawn
        }
        None => cfg,
    };
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let tag = cfg.tag.trim_start_matches('#').to_string();
    let start_ms = cfg.start.timestamp_millis();
    let first_ms = start_ms
        + (cfg.first_tweet_delay_minutes * 60_000.0) as i64
        + rng.random_range(-20_000..20_000);
    let end_ms = first_ms + (cfg.duration_hours * 3_600_000.0) as i64;
    let pastebin_url = format!("https://pastebin.com/{}", random_token(&mut rng, 8));

    let chan = plan_4chan(&mut rng, start_ms, first_ms);
    let timeline = Timeline {
        first_ms,
        end_ms,
        tau_h: cfg.duration_hours / 7.0,
        language_switch_ms: cfg
            .language_switch_hours
            .map(|h| first_ms + (h * 3_600_000.0) as i64),
    };
    let population = build_accounts(&mut rng, cfg, &behaviour, &timeline);
    let (mut events, bursts) = plan_posts(&mut rng, cfg, &behaviour, &population, &timeline);
    events.sort_unstable_by_key(|e| (e.key, e.packed, e.target));
    let tallies = resolve_targets(
        &mut rng,
        &mut events,
        &population.accounts,
        &bursts,
        &behaviour,
    );
    assign_tweet_ids(&mut events);

    let world = World {
        seed: cfg.seed,
        tag: &tag,
        accounts: &population.accounts,
        events: &events,
        tallies: &tallies,
        pastebin_url: &pastebin_url,
        archive_url: format!(
            "https://archive.4plebs.org/pol/thread/{}/",
            chan.threads[0].no
        ),
    };

    let mut files = Vec::new();
    let ext = if cfg.gzip { "jsonl.gz" } else { "jsonl" };
    let v1_rel = format!("twitter_v1/tweets.{ext}");
    let (v1_lines, delete_notices) = write_v1(&world, &mut rng, cfg, &out_dir.join(&v1_rel))?;
    files.push(file_entry(out_dir, &v1_rel)?);
    let v2_rel = format!("twitter_v2/pages.{ext}");
    let v2_pages = write_v2(&world, cfg, &timeline, &out_dir.join(&v2_rel))?;
    files.push(file_entry(out_dir, &v2_rel)?);
    for rel in write_4chan(&chan, &mut rng, &tag, &pastebin_url, out_dir)? {
        files.push(file_entry(out_dir, &rel)?);
    }
    // The other platforms share the leak and archive links (cross-platform first-seen).
    let links = [pastebin_url.clone(), world.archive_url.clone()];
    let mut platform_list = cfg.platforms.clone();
    platform_list.sort_unstable();
    platform_list.dedup();
    let others: Vec<platforms::PlatformPlan> = platform_list
        .iter()
        .map(|&p| platforms::plan_platform(p, cfg, &links))
        .collect();
    for other in &others {
        for rel in platforms::write_platform(other, &tag, out_dir)? {
            files.push(file_entry(out_dir, &rel)?);
        }
    }
    write_truth(&world, &chan, &others, &out_dir.join("truth.csv"))?;
    files.push(file_entry(out_dir, "truth.csv")?);

    let mut tweets_by_kind = BTreeMap::new();
    let mut tweets_by_account_kind = BTreeMap::new();
    for e in &events {
        *tweets_by_kind
            .entry(e.kind().name().to_string())
            .or_insert(0) += 1;
        let kind = population.accounts[e.author()].kind.name().to_string();
        *tweets_by_account_kind.entry(kind).or_insert(0) += 1;
    }
    let mut accounts_by_kind = BTreeMap::new();
    let mut twitter_bots = 0;
    for (a, acct) in population.accounts.iter().enumerate() {
        if tallies.posts_by_account[a] > 0 {
            *accounts_by_kind
                .entry(acct.kind.name().to_string())
                .or_insert(0) += 1;
            twitter_bots += u64::from(acct.kind.is_bot());
        }
    }
    let first = events[0];
    let summary = SimSummary {
        seed: cfg.seed,
        tweets: events.len() as u64,
        tweets_by_kind,
        twitter_accounts: accounts_by_kind.values().sum(),
        twitter_bots,
        accounts_by_kind,
        tweets_by_account_kind,
        coordinated_group_sizes: population.groups.iter().map(|g| g.members.len()).collect(),
        v1_lines,
        delete_notices,
        v2_pages,
        fourchan_threads: chan.threads.iter().map(|t| t.no).collect(),
        fourchan_posts: chan.posts.len() as u64,
        fourchan_posters: chan.threads.iter().map(|t| t.poster_ids.len() as u64).sum(),
        first_4chan_post_no: chan.threads[0].no,
        first_4chan_post_time: iso_seconds(chan.posts[0].time_s * 1000),
        first_tweet_id: first.key.to_string(),
        first_tweet_time: iso_seconds(first.time_ms()),
        last_tweet_time: iso_seconds(events[events.len() - 1].time_ms()),
        pastebin_url: pastebin_url.clone(),
        language_switch_at: timeline.language_switch_ms.map(iso_seconds),
        platforms: others.iter().map(|o| o.summary()).collect(),
        behaviour: behaviour.randomised.then_some(behaviour),
        files,
    };
    remove_stale(out_dir, &previous_files, &summary.files)?;
    let manifest = Manifest {
        config: ConfigRecord::from(cfg),
        summary: &summary,
    };
    let manifest_file = create_new(&out_dir.join("sim_manifest.json"))?;
    serde_json::to_writer_pretty(BufWriter::new(manifest_file), &manifest)?;
    Ok(summary)
}

#[derive(Serialize)]
struct Manifest<'a> {
    config: ConfigRecord,
    summary: &'a SimSummary,
}

/// `SimConfig` as written to the manifest (chrono has no serde here).
#[derive(Serialize)]
struct ConfigRecord {
    seed: u64,
    posts: u64,
    accounts: u64,
    tag: String,
    start: String,
    first_tweet_delay_minutes: f64,
    duration_hours: f64,
    gzip: bool,
    amplifier_share: f64,
    coordinated_share: f64,
    coordinated_group_size: usize,
    scheduled_share: f64,
    low_volume_share: f64,
    hyperactive_share: f64,
    dormant_share: f64,
    max_bot_post_share: f64,
    delete_notice_rate: f64,
    language_switch_hours: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    platforms: Vec<&'static str>,
}

impl From<&SimConfig> for ConfigRecord {
    fn from(c: &SimConfig) -> Self {
        ConfigRecord {
            seed: c.seed,
            posts: c.posts,
            accounts: c.accounts,
            tag: c.tag.clone(),
            start: iso_seconds(c.start.timestamp_millis()),
            first_tweet_delay_minutes: c.first_tweet_delay_minutes,
            duration_hours: c.duration_hours,
            gzip: c.gzip,
            amplifier_share: c.amplifier_share,
            coordinated_share: c.coordinated_share,
            coordinated_group_size: c.coordinated_group_size,
            scheduled_share: c.scheduled_share,
            low_volume_share: c.low_volume_share,
            hyperactive_share: c.hyperactive_share,
            dormant_share: c.dormant_share,
            max_bot_post_share: c.max_bot_post_share,
            delete_notice_rate: c.delete_notice_rate,
            language_switch_hours: c.language_switch_hours,
            platforms: c.platforms.iter().map(|p| p.name()).collect(),
        }
    }
}

/// Creates `path` as a new file. The output folder may be a staged copy whose files are
/// hard links to the previous dataset ([`crate::staged`]): truncating one in place would
/// change the previous dataset too, so an existing file is unlinked first.
fn create_new(path: &Path) -> std::io::Result<File> {
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
        _ => {}
    }
    File::create(path)
}

/// The data files a previous run listed in `out_dir/sim_manifest.json` (relative paths
/// inside the folder only).
fn previous_data_files(out_dir: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(out_dir.join("sim_manifest.json")) else {
        return Vec::new();
    };
    let Ok(manifest) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Vec::new();
    };
    manifest["summary"]["files"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["path"].as_str())
        .filter(|p| {
            Path::new(p)
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_)))
        })
        .map(str::to_string)
        .collect()
}

/// Removes the data files of a previous dataset in the folder that this one did not write
/// (another seed's 4chan threads, a platform no longer asked for), and folders they leave
/// empty, so that a `run` over the folder reads only files `truth.csv` covers. The folder
/// is a staged copy: the previous dataset keeps its files until the swap.
fn remove_stale(out_dir: &Path, previous: &[String], written: &[FileEntry]) -> Result<()> {
    let written: HashSet<&str> = written.iter().map(|f| f.path.as_str()).collect();
    for rel in previous {
        if written.contains(rel.as_str()) {
            continue;
        }
        let path = out_dir.join(rel);
        match std::fs::remove_file(&path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                return Err(error).with_context(|| format!("cannot remove {}", path.display()));
            }
            _ => {}
        }
        let mut dir = path.parent();
        while let Some(d) = dir {
            if d == out_dir || std::fs::remove_dir(d).is_err() {
                break;
            }
            dir = d.parent();
        }
    }
    Ok(())
}

fn file_entry(out_dir: &Path, rel: &str) -> Result<FileEntry> {
    let bytes = std::fs::metadata(out_dir.join(rel))?.len();
    Ok(FileEntry {
        path: rel.to_string(),
        bytes,
    })
}

// ---------------------------------------------------------------------------
// Small helpers: hashing, random tokens, time formatting.

/// SplitMix64 finaliser: turns (seed, salt, index) into independent seeds.
fn mix(a: u64, b: u64) -> u64 {
    let mut z = a ^ b
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(0x632B_E59B_D9B4_E019);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

const SALT_TEXT: u64 = 0x7465_7874;
const SALT_PROFILE: u64 = 0x7072_6f66;

fn pick<'a, T>(rng: &mut impl Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// Index drawn with probability proportional to `weights`.
fn weighted(rng: &mut impl Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn random_token(rng: &mut impl Rng, len: usize) -> String {
    (0..len)
        .map(|_| BASE62[rng.random_range(0..62)] as char)
        .collect()
}

fn lognormal(rng: &mut impl Rng, median: f64, sigma: f64) -> f64 {
    LogNormal::new(median.ln(), sigma).unwrap().sample(rng)
}

fn utc(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).unwrap()
}

/// Twitter v1.1 time format: `Fri May 05 18:49:12 +0000 2017`.
fn v1_time(ms: i64) -> String {
    utc(ms).format("%a %b %d %H:%M:%S +0000 %Y").to_string()
}

/// Twitter v2 time format: `2017-05-05T18:49:12.000Z`.
fn v2_time(ms: i64) -> String {
    utc(ms).format("%Y-%m-%dT%H:%M:%S.000Z").to_string()
}

/// ISO 8601 UTC to the second, as the summaries write it (simulated times are always in
/// chrono's range).
fn iso_seconds(ms: i64) -> String {
    crate::ingest::text::iso_seconds(ms).unwrap_or_default()
}

fn ymd_ms(y: i32, m: u32, d: u32) -> i64 {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0)
        .unwrap()
        .timestamp_millis()
}

#[cfg(test)]
mod tests;
