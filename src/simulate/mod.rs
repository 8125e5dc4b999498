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

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc, Weekday};
use flate2::Compression;
use flate2::write::GzEncoder;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, Gamma, LogNormal, Pareto};
use serde::Serialize;

mod behaviour;
pub use behaviour::{Behaviour, ScheduleStyle, Shares};

/// Parameters of the simulated campaign. Account shares are fractions of
/// all Twitter accounts.
#[derive(Debug, Clone)]
pub struct SimConfig {
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
    pub gzip: bool,
    pub amplifier_share: f64,
    pub coordinated_share: f64,
    /// Mean size of a coordinated group (actual sizes vary ±20%).
    pub coordinated_group_size: usize,
    pub scheduled_share: f64,
    pub low_volume_share: f64,
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
        }
    }
}

/// One output file and its size.
#[derive(Debug, Clone, Serialize)]
pub struct FileEntry {
    /// Path relative to `out_dir`.
    pub path: String,
    pub bytes: u64,
}

/// What was generated; also written (with the config) to `sim_manifest.json`.
#[derive(Debug, Clone, Serialize)]
pub struct SimSummary {
    pub seed: u64,
    pub tweets: u64,
    pub tweets_by_kind: BTreeMap<String, u64>,
    pub twitter_accounts: u64,
    pub twitter_bots: u64,
    pub accounts_by_kind: BTreeMap<String, u64>,
    pub tweets_by_account_kind: BTreeMap<String, u64>,
    pub coordinated_group_sizes: Vec<usize>,
    pub v1_lines: u64,
    pub delete_notices: u64,
    pub v2_pages: u64,
    pub fourchan_threads: Vec<u64>,
    pub fourchan_posts: u64,
    pub fourchan_posters: u64,
    pub first_4chan_post_no: u64,
    pub first_4chan_post_time: String,
    pub first_tweet_id: String,
    pub first_tweet_time: String,
    pub last_tweet_time: String,
    pub pastebin_url: String,
    /// With a language switch: when English-writing humans stop and French-writing humans
    /// start (ISO 8601 UTC).
    pub language_switch_at: Option<String>,
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
    if let Some(h) = cfg.language_switch_hours {
        anyhow::ensure!(
            h.is_finite() && h >= 0.1 && h <= cfg.duration_hours - 0.1,
            "language_switch_hours must lie between 0.1 and duration_hours - 0.1 ({h} given)"
        );
    }
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
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
    let clock = Clock::new(cfg.start.timestamp());
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
        clock,
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
        clock,
    };

    let mut files = Vec::new();
    let ext = if cfg.gzip { "jsonl.gz" } else { "jsonl" };
    let v1_rel = format!("twitter_v1/tweets.{ext}");
    let (v1_lines, delete_notices) = write_v1(&world, &mut rng, cfg, &out_dir.join(&v1_rel))?;
    files.push(file_entry(out_dir, &v1_rel)?);
    let v2_rel = format!("twitter_v2/pages.{ext}");
    let v2_pages = write_v2(&world, cfg, &timeline, &out_dir.join(&v2_rel))?;
    files.push(file_entry(out_dir, &v2_rel)?);
    for rel in write_4chan(&chan, &mut rng, &tag, &pastebin_url, &clock, out_dir)? {
        files.push(file_entry(out_dir, &rel)?);
    }
    write_truth(&world, &chan, &out_dir.join("truth.csv"))?;
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
        behaviour: behaviour.randomised.then_some(behaviour),
        files,
    };
    let manifest = Manifest {
        config: ConfigRecord::from(cfg),
        summary: &summary,
    };
    let manifest_file = File::create(out_dir.join("sim_manifest.json"))?;
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
        }
    }
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

fn iso_seconds(ms: i64) -> String {
    utc(ms).format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn ymd_ms(y: i32, m: u32, d: u32) -> i64 {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0)
        .unwrap()
        .timestamp_millis()
}

// ---------------------------------------------------------------------------
// Time zones and the campaign clock.

/// Where an account's audience lives; drives the circadian rhythm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Region {
    Paris,
    UsEast,
    UsWest,
}

impl Region {
    fn standard_offset_h(self) -> i64 {
        match self {
            Region::Paris => 1,
            Region::UsEast => -5,
            Region::UsWest => -8,
        }
    }

    fn time_zone(self) -> &'static str {
        match self {
            Region::Paris => "Paris",
            Region::UsEast => "Eastern Time (US & Canada)",
            Region::UsWest => "Pacific Time (US & Canada)",
        }
    }
}

/// Daylight-saving boundaries of one year, enough for a campaign of days.
#[derive(Debug, Clone, Copy)]
struct Clock {
    eu_dst: (i64, i64),
    us_dst: (i64, i64),
}

fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: u8) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, n).unwrap()
}

fn last_sunday(year: i32, month: u32) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Sun, 5)
        .unwrap_or_else(|| nth_weekday(year, month, Weekday::Sun, 4))
}

impl Clock {
    fn new(t_s: i64) -> Clock {
        let year = Utc.timestamp_opt(t_s, 0).unwrap().year();
        let at = |d: NaiveDate, hour_utc: u32| {
            d.and_hms_opt(hour_utc, 0, 0).unwrap().and_utc().timestamp()
        };
        Clock {
            eu_dst: (at(last_sunday(year, 3), 1), at(last_sunday(year, 10), 1)),
            us_dst: (
                at(nth_weekday(year, 3, Weekday::Sun, 2), 7),
                at(nth_weekday(year, 11, Weekday::Sun, 1), 6),
            ),
        }
    }

    fn offset_s(&self, region: Region, t_s: i64) -> i64 {
        let (from, to) = if region == Region::Paris {
            self.eu_dst
        } else {
            self.us_dst
        };
        let dst = i64::from(t_s >= from && t_s < to);
        (region.standard_offset_h() + dst) * 3600
    }

    fn local_hour(&self, region: Region, t_ms: i64) -> usize {
        let local_s = t_ms.div_euclid(1000) + self.offset_s(region, t_ms.div_euclid(1000));
        (local_s.rem_euclid(86_400) / 3600) as usize
    }
}

/// Relative activity by local hour (sleep trough, evening peak).
const CIRCADIAN: [f64; 24] = [
    0.35, 0.2, 0.12, 0.08, 0.06, 0.08, 0.2, 0.45, 0.7, 0.8, 0.85, 0.9, 0.95, 0.9, 0.85, 0.85, 0.9,
    0.95, 1.0, 1.0, 1.0, 0.95, 0.8, 0.55,
];

/// The Twitter cascade window and its intensity shape.
struct Timeline {
    first_ms: i64,
    end_ms: i64,
    clock: Clock,
    /// Gamma scale in hours: the cascade peaks at 1.5·tau and decays by 7·tau.
    tau_h: f64,
    /// See [`SimConfig::language_switch_hours`].
    language_switch_ms: Option<i64>,
}

impl Timeline {
    /// A time drawn from the cascade intensity (gamma shape 2.5), optionally
    /// thinned by the circadian curve of `region`. Never at or before the
    /// first tweet.
    fn sample(&self, rng: &mut impl Rng, region: Option<Region>) -> i64 {
        let gamma = Gamma::new(2.5, self.tau_h).unwrap();
        let span = (self.end_ms - self.first_ms - 1000) as f64;
        loop {
            let offset = gamma.sample(rng) * 3_600_000.0;
            if offset >= span {
                continue;
            }
            let t = self.first_ms + 1000 + offset as i64;
            match region {
                Some(r) if rng.random::<f64>() > CIRCADIAN[self.clock.local_hour(r, t)] => continue,
                _ => return t,
            }
        }
    }

    fn clamp(&self, t: i64) -> i64 {
        t.clamp(self.first_ms + 1000, self.end_ms - 1)
    }

    /// The times a human of this language may post at (the whole cascade without a
    /// language switch).
    fn window(&self, french: bool) -> (i64, i64) {
        match self.language_switch_ms {
            None => (self.first_ms + 1000, self.end_ms - 1),
            Some(s) if french => (s, self.end_ms - 1),
            Some(s) => (self.first_ms + 1000, s - 1),
        }
    }
}

// ---------------------------------------------------------------------------
// Accounts.

/// Ground-truth class of a Twitter account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum AccountKind {
    Human,
    HyperactiveHuman,
    Amplifier,
    Coordinated,
    Scheduled,
    LowVolume,
}

impl AccountKind {
    fn name(self) -> &'static str {
        match self {
            AccountKind::Human => "human",
            AccountKind::HyperactiveHuman => "hyperactive_human",
            AccountKind::Amplifier => "amplifier",
            AccountKind::Coordinated => "coordinated",
            AccountKind::Scheduled => "scheduled",
            AccountKind::LowVolume => "low_volume",
        }
    }

    fn is_bot(self) -> bool {
        !matches!(self, AccountKind::Human | AccountKind::HyperactiveHuman)
    }
}

const VERIFIED: u8 = 1;
const DEFAULT_PROFILE: u8 = 2;
const DEFAULT_IMAGE: u8 = 4;
const DORMANT: u8 = 8;
const FRENCH: u8 = 16;

/// Compact account record; strings (handle, name, bio) are re-derived.
#[derive(Debug, Clone)]
struct Account {
    id: u64,
    created_ms: i64,
    followers: u32,
    friends: u32,
    statuses_base: u32,
    favourites: u32,
    listed: u32,
    /// How likely others are to retweet this account.
    attention: f32,
    kind: AccountKind,
    region: Region,
    client: u8,
    flags: u8,
    /// Bumped until the handle is unique.
    handle_variant: u8,
}

impl Account {
    fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

/// A coordinated group and the accounts whose tweets it amplifies.
struct Group {
    members: Vec<usize>,
    sources: Vec<usize>,
}

struct Population {
    accounts: Vec<Account>,
    groups: Vec<Group>,
}

/// (client name, link) pairs for the `source` field.
const CLIENTS: [(&str, &str); 13] = [
    ("Twitter for Android", "http://twitter.com/download/android"),
    ("Twitter for iPhone", "http://twitter.com/download/iphone"),
    ("Twitter Web Client", "http://twitter.com"),
    ("TweetDeck", "https://about.twitter.com/products/tweetdeck"),
    ("Twitter for iPad", "http://twitter.com/#!/download/ipad"),
    ("Mobile Web (M5)", "https://mobile.twitter.com"),
    ("Hootsuite", "https://hootsuite.com"),
    ("Buffer", "https://buffer.com"),
    ("IFTTT", "https://ifttt.com"),
    ("dlvr.it", "https://dlvr.it"),
    ("RoundTeam", "https://roundteam.co"),
    ("twittbot.net", "http://twittbot.net/"),
    ("Botize", "https://botize.com"),
];

fn client_for(rng: &mut impl Rng, kind: AccountKind) -> u8 {
    let weights: [f64; 13] = match kind {
        AccountKind::Human | AccountKind::LowVolume => {
            [40., 35., 15., 1., 5., 4., 0., 0., 0., 0., 0., 0., 0.]
        }
        AccountKind::HyperactiveHuman => [10., 30., 20., 40., 0., 0., 0., 0., 0., 0., 0., 0., 0.],
        AccountKind::Amplifier => [30., 0., 20., 0., 0., 0., 0., 0., 0., 0., 20., 20., 10.],
        AccountKind::Coordinated => [0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 40., 30., 30.],
        AccountKind::Scheduled => [0., 0., 0., 0., 0., 0., 30., 30., 20., 20., 0., 0., 0.],
    };
    weighted(rng, &weights) as u8
}

/// Draw every Twitter account. Order: hyperactive humans (the first one is
/// patient zero), humans, then bots by kind.
fn build_accounts(
    rng: &mut ChaCha8Rng,
    cfg: &SimConfig,
    behaviour: &Behaviour,
    timeline: &Timeline,
) -> Population {
    let n_total = if cfg.accounts > 0 {
        cfg.accounts
    } else {
        (cfg.posts / 5).max(60)
    } as f64;
    let count = |share: f64| ((n_total * share).round() as usize).max(1);
    let group_size = cfg.coordinated_group_size.max(2);
    let n_groups = ((n_total * cfg.coordinated_share / group_size as f64).round() as usize).max(1);
    let group_sizes: Vec<usize> = (0..n_groups)
        .map(|_| ((group_size as f64 * rng.random_range(0.8..1.2)).round() as usize).max(2))
        .collect();
    let n_hyper = count(cfg.hyperactive_share);
    let n_amp = count(cfg.amplifier_share);
    let n_sched = count(cfg.scheduled_share);
    let n_low = count(cfg.low_volume_share);
    let n_bots_etc = n_hyper + n_amp + n_sched + n_low + group_sizes.iter().sum::<usize>();
    let n_human = (n_total as usize).saturating_sub(n_bots_etc).max(1);

    let mut kinds = Vec::new();
    kinds.extend(std::iter::repeat_n(AccountKind::HyperactiveHuman, n_hyper));
    kinds.extend(std::iter::repeat_n(AccountKind::Human, n_human));
    kinds.extend(std::iter::repeat_n(AccountKind::Amplifier, n_amp));
    let first_coord = kinds.len();
    kinds.extend(std::iter::repeat_n(
        AccountKind::Coordinated,
        group_sizes.iter().sum(),
    ));
    kinds.extend(std::iter::repeat_n(AccountKind::Scheduled, n_sched));
    kinds.extend(std::iter::repeat_n(AccountKind::LowVolume, n_low));

    let start_ms = timeline.first_ms;
    let day = 86_400_000i64;
    let group_created: Vec<i64> = (0..n_groups)
        .map(|_| start_ms - rng.random_range(60..200) * day)
        .collect();
    let mut group_of = vec![usize::MAX; kinds.len()];
    let mut groups = Vec::new();
    let mut next = first_coord;
    for size in &group_sizes {
        let members: Vec<usize> = (next..next + size).collect();
        for &m in &members {
            group_of[m] = groups.len();
        }
        next += size;
        let n_sources = rng.random_range(2..=3).min(n_hyper + n_human);
        let sources = (0..n_sources)
            .map(|s| {
                if s < n_hyper {
                    rng.random_range(0..n_hyper)
                } else {
                    rng.random_range(0..n_hyper + n_human)
                }
            })
            .collect();
        groups.push(Group { members, sources });
    }
    let group_client: Vec<u8> = (0..n_groups)
        .map(|_| client_for(rng, AccountKind::Coordinated))
        .collect();

    // Batch registration days of low-volume accounts (randomised worlds only).
    let cohort_days: Vec<i64> = if behaviour.low_volume_cohort_share > 0.0 {
        let n = ((n_low as f64 * behaviour.low_volume_cohort_share / 20.0).round() as usize).max(1);
        (0..n)
            .map(|_| rng.random_range(ymd_ms(2016, 1, 1)..ymd_ms(2017, 4, 1)))
            .collect()
    } else {
        Vec::new()
    };
    let mut seen_ids = HashSet::new();
    let mut seen_handles = HashSet::new();
    let mut accounts = Vec::with_capacity(kinds.len());
    for (idx, &kind) in kinds.iter().enumerate() {
        let region = match rng.random::<f64>() {
            x if x < 0.55 => Region::Paris,
            x if x < 0.88 => Region::UsEast,
            _ => Region::UsWest,
        };
        let mut flags = 0;
        let french = match kind {
            AccountKind::Amplifier | AccountKind::Coordinated | AccountKind::Scheduled => {
                rng.random_bool(0.6)
            }
            _ => region == Region::Paris && rng.random_bool(0.9),
        };
        if french {
            flags |= FRENCH;
        }
        let dormant = match kind {
            AccountKind::Human => rng.random_bool(cfg.dormant_share),
            AccountKind::LowVolume => rng.random_bool(behaviour.low_volume_dormant_share),
            _ => false,
        };
        let (created_ms, followers, friends, statuses, verified, default_profile, default_image) =
            match kind {
                AccountKind::Human if dormant => (
                    rng.random_range(ymd_ms(2016, 1, 1)..ymd_ms(2016, 12, 31)),
                    lognormal(rng, 15.0, 1.0),
                    lognormal(rng, 60.0, 0.8),
                    rng.random_range(0.0..30.0),
                    0.0,
                    0.5,
                    0.3,
                ),
                AccountKind::Human => (
                    rng.random_range(ymd_ms(2008, 1, 1)..ymd_ms(2016, 12, 31)),
                    lognormal(rng, 180.0, 1.5),
                    lognormal(rng, 250.0, 1.0),
                    lognormal(rng, 4000.0, 1.3),
                    0.003,
                    0.15,
                    0.02,
                ),
                AccountKind::HyperactiveHuman => (
                    rng.random_range(ymd_ms(2008, 1, 1)..ymd_ms(2013, 12, 31)),
                    lognormal(rng, 25_000.0, 1.0),
                    lognormal(rng, 1500.0, 0.8),
                    lognormal(rng, 60_000.0, 0.6),
                    0.35,
                    0.02,
                    0.0,
                ),
                AccountKind::Amplifier => {
                    let age_days = rng.random_range(14..60);
                    (
                        start_ms - age_days * day - rng.random_range(0..day),
                        lognormal(rng, 35.0, 1.0),
                        lognormal(rng, 900.0, 0.6),
                        age_days as f64 * rng.random_range(100.0..300.0),
                        0.0,
                        0.85,
                        0.65,
                    )
                }
                AccountKind::Coordinated => (
                    group_created[group_of[idx]] + rng.random_range(-3 * day..3 * day),
                    lognormal(rng, 250.0, 0.7),
                    lognormal(rng, 600.0, 0.5),
                    lognormal(rng, 5000.0, 0.5),
                    0.0,
                    0.4,
                    0.2,
                ),
                AccountKind::Scheduled => (
                    rng.random_range(ymd_ms(2013, 1, 1)..ymd_ms(2016, 12, 31)),
                    lognormal(rng, 1200.0, 1.0),
                    lognormal(rng, 300.0, 0.8),
                    lognormal(rng, 40_000.0, 0.7),
                    0.0,
                    0.1,
                    0.0,
                ),
                AccountKind::LowVolume if dormant => (
                    rng.random_range(ymd_ms(2016, 1, 1)..ymd_ms(2016, 12, 31)),
                    lognormal(rng, 40.0, 1.0),
                    lognormal(rng, 150.0, 0.8),
                    rng.random_range(0.0..40.0),
                    0.0,
                    0.3,
                    0.05,
                ),
                AccountKind::LowVolume => (
                    rng.random_range(ymd_ms(2012, 1, 1)..ymd_ms(2017, 4, 1)),
                    lognormal(rng, 90.0, 1.0),
                    lognormal(rng, 200.0, 0.8),
                    lognormal(rng, 800.0, 1.0),
                    0.0,
                    0.3,
                    0.05,
                ),
            };
        let created_ms = if kind == AccountKind::LowVolume
            && !cohort_days.is_empty()
            && rng.random_bool(behaviour.low_volume_cohort_share)
        {
            *pick(rng, &cohort_days) + rng.random_range(0..day)
        } else {
            created_ms
        };
        if dormant {
            flags |= DORMANT;
        }
        if rng.random_bool(verified) {
            flags |= VERIFIED;
        }
        if rng.random_bool(default_profile) {
            flags |= DEFAULT_PROFILE;
        }
        if rng.random_bool(default_image) {
            flags |= DEFAULT_IMAGE;
        }
        let boost = match kind {
            AccountKind::HyperactiveHuman => 4.0,
            AccountKind::Human => 1.0,
            AccountKind::Amplifier => 0.15,
            AccountKind::Coordinated => 0.3,
            AccountKind::Scheduled | AccountKind::LowVolume => 0.5,
        } * if flags & VERIFIED != 0 { 2.0 } else { 1.0 };
        let client = if kind == AccountKind::Coordinated {
            group_client[group_of[idx]]
        } else {
            client_for(rng, kind)
        };
        let mut id = user_id(created_ms, idx);
        while !seen_ids.insert(id) {
            id += 1;
        }
        let mut account = Account {
            id,
            created_ms,
            followers: followers as u32,
            friends: friends as u32,
            statuses_base: statuses as u32,
            favourites: (lognormal(rng, 800.0, 1.5) * if dormant { 0.01 } else { 1.0 }) as u32,
            listed: (followers / rng.random_range(40.0..120.0)) as u32,
            attention: (boost * (followers + 1.0).sqrt()) as f32,
            kind,
            region,
            client,
            flags,
            handle_variant: 0,
        };
        while !seen_handles.insert(fnv(&profile(cfg.seed, idx, &account)
            .handle
            .to_ascii_lowercase()))
        {
            account.handle_variant += 1;
        }
        accounts.push(account);
    }
    Population { accounts, groups }
}

/// Legacy sequential ids before mid-2013, snowflake ids afterwards.
fn user_id(created_ms: i64, idx: usize) -> u64 {
    let snowflake_era = ymd_ms(2013, 6, 1);
    if created_ms < snowflake_era {
        let from = ymd_ms(2006, 3, 1);
        let frac = (created_ms - from).max(0) as f64 / (snowflake_era - from) as f64;
        12_000 + (frac * 1_500_000_000.0) as u64
    } else {
        (((created_ms - TWITTER_EPOCH_MS) as u64) << 22) | (idx as u64 & 0x3F_FFFF)
    }
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Strings of an account, re-derived from its index so they need no storage.
struct Profile {
    handle: String,
    name: String,
    description: String,
    location: String,
}

const FR_FIRST: [&str; 20] = [
    "Marie",
    "Jean",
    "Pierre",
    "Sophie",
    "Camille",
    "Julien",
    "Nicolas",
    "Isabelle",
    "Thomas",
    "Léa",
    "Hélène",
    "François",
    "Céline",
    "Antoine",
    "Chloé",
    "Éric",
    "Amélie",
    "Benoît",
    "Nathalie",
    "Mathieu",
];
const FR_LAST: [&str; 16] = [
    "Dubois",
    "Martin",
    "Bernard",
    "Durand",
    "Lefèvre",
    "Moreau",
    "Laurent",
    "Girard",
    "Roux",
    "Fournier",
    "Mercier",
    "Lambert",
    "Bonnet",
    "Chevalier",
    "Leroy",
    "Gauthier",
];
const EN_FIRST: [&str; 16] = [
    "John", "Mike", "Sarah", "Jessica", "David", "Chris", "Emily", "Matt", "Ashley", "Ryan",
    "Karen", "Brian", "Amanda", "Kevin", "Laura", "Jason",
];
const EN_LAST: [&str; 16] = [
    "Smith", "Johnson", "Miller", "Davis", "Wilson", "Anderson", "Taylor", "Thomas", "Moore",
    "Jackson", "White", "Harris", "Clark", "Lewis", "Walker", "Hall",
];

/// ASCII-only, alphanumeric version of a name for handles.
fn ascii_fold(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            'é' | 'è' | 'ê' | 'ë' | 'É' => Some('e'),
            'à' | 'â' => Some('a'),
            'ç' => Some('c'),
            'î' | 'ï' => Some('i'),
            'ô' => Some('o'),
            'û' | 'ù' => Some('u'),
            c if c.is_ascii_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

fn digits(rng: &mut impl Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

fn profile(seed: u64, idx: usize, account: &Account) -> Profile {
    let mut rng = ChaCha8Rng::seed_from_u64(mix(
        seed ^ SALT_PROFILE,
        ((idx as u64) << 8) | account.handle_variant as u64,
    ));
    let french = account.has(FRENCH);
    let (first, last) = if french {
        (*pick(&mut rng, &FR_FIRST), *pick(&mut rng, &FR_LAST))
    } else {
        (*pick(&mut rng, &EN_FIRST), *pick(&mut rng, &EN_LAST))
    };
    let (f, l) = (ascii_fold(first), ascii_fold(last));
    let mut handle = match account.kind {
        AccountKind::Amplifier | AccountKind::Coordinated => {
            let base: String = f.to_lowercase().chars().take(7).collect();
            format!("{base}{}", digits(&mut rng, 15 - base.len().max(7) + 1))
        }
        AccountKind::Scheduled => {
            let a = pick(
                &mut rng,
                &[
                    "Info",
                    "News",
                    "Leak",
                    "Actu",
                    "Daily",
                    "Alert",
                    "Politique",
                ],
            );
            let b = pick(
                &mut rng,
                &["France", "Feed", "Watch", "Direct", "Wire", "24", "Now"],
            );
            format!(
                "{a}{b}{}",
                if rng.random_bool(0.5) {
                    digits(&mut rng, 2)
                } else {
                    String::new()
                }
            )
        }
        _ => match rng.random_range(0..6) {
            0 => format!("{f}{l}"),
            1 => format!("{f}_{l}"),
            2 => format!("{}{l}", &f[..1]),
            3 => format!("{f}{l}{}", digits(&mut rng, 2)),
            4 => format!("{}{}", l.to_lowercase(), f.to_lowercase()),
            _ => format!("{f}{}", rng.random_range(1960..2002)),
        },
    };
    handle.truncate(15);
    if account.handle_variant > 0 {
        handle.truncate(12);
        handle.push_str(&digits(&mut rng, 3));
    }
    let name = match account.kind {
        AccountKind::Scheduled => format!("{} 24/7", &handle),
        AccountKind::Amplifier if rng.random_bool(0.5) => first.to_string(),
        _ if rng.random_bool(0.1) => format!("{first} {last} 🇫🇷"),
        _ if rng.random_bool(0.1) => format!("{first} {}.", &l[..1]),
        _ => format!("{first} {last}"),
    };
    let description = if account.has(DEFAULT_PROFILE) && rng.random_bool(0.7) {
        String::new()
    } else {
        let options: &[&str] = match (account.kind, french) {
            (AccountKind::HyperactiveHuman, true) => &[
                "Journaliste politique. Désinformation, médias, élections. Avis perso.",
                "Militante associative. Démocratie, transparence, laïcité.",
                "Reporter indépendant. Tous les jours sur le terrain.",
            ],
            (AccountKind::HyperactiveHuman, false) => &[
                "Reporter covering European politics. DMs open.",
                "Activist. Free speech, open data, accountability.",
                "Political analyst. Retweets are not endorsements.",
            ],
            (AccountKind::Scheduled, _) => &[
                "Automated news feed. Latest updates 24/7.",
                "Fil d'actualité automatique — politique et élections.",
            ],
            (AccountKind::Amplifier | AccountKind::Coordinated, _) => &[
                "🇫🇷 Patriote 🇫🇷",
                "Réveillez-vous ! #Frexit",
                "MAGA 🇺🇸 Europe next",
                "Truth seeker. No DMs.",
                "Je suis un citoyen libre",
            ],
            (_, true) => &[
                "Citoyenne engagée. Avis personnels.",
                "Papa, ingénieur, amateur de café ☕",
                "Supporter de l'OM ⚽ et de la République",
                "Étudiant en droit à Lyon",
                "Prof d'histoire. Curieuse de tout.",
            ],
            (_, false) => &[
                "Dad, engineer, coffee addict ☕",
                "Just a guy with opinions.",
                "Nurse. Dog mom. Texas born 🤠",
                "Sports, politics, bad jokes.",
                "Proud American. God, family, country.",
            ],
        };
        pick(&mut rng, options).to_string()
    };
    let location = if rng.random_bool(0.3) {
        String::new()
    } else {
        let options: &[&str] = match account.region {
            Region::Paris => &[
                "Paris, France",
                "Lyon",
                "Marseille, France",
                "France",
                "Île-de-France",
                "Bordeaux",
            ],
            Region::UsEast => &[
                "New York, NY",
                "Florida, USA",
                "Washington, DC",
                "Ohio",
                "Atlanta, GA",
            ],
            Region::UsWest => &[
                "California, USA",
                "Seattle, WA",
                "Arizona",
                "Los Angeles, CA",
            ],
        };
        pick(&mut rng, options).to_string()
    };
    Profile {
        handle,
        name,
        description,
        location,
    }
}

// ---------------------------------------------------------------------------
// Events: the compact plan of every tweet.

const TWITTER_EPOCH_MS: i64 = 1_288_834_974_657;
const NO_TARGET: u32 = u32::MAX;
const KIND_SHIFT: u32 = 29;
const AUTHOR_MASK: u32 = (1 << KIND_SHIFT) - 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PostKind {
    Original,
    Retweet,
    Quote,
    Reply,
    /// A coordinated retweet whose target is `bursts[target]`, resolved
    /// into `Retweet` once the events are in time order.
    BurstRetweet,
}

impl PostKind {
    fn from_bits(bits: u32) -> PostKind {
        match bits {
            0 => PostKind::Original,
            1 => PostKind::Retweet,
            2 => PostKind::Quote,
            3 => PostKind::Reply,
            _ => PostKind::BurstRetweet,
        }
    }

    fn name(self) -> &'static str {
        match self {
            PostKind::Original => "original",
            PostKind::Retweet | PostKind::BurstRetweet => "retweet",
            PostKind::Quote => "quote",
            PostKind::Reply => "reply",
        }
    }
}

/// One tweet in 16 bytes. `key` is the time in ms while planning and the
/// tweet id afterwards (the id encodes the time, like a snowflake).
#[derive(Debug, Clone, Copy)]
struct Event {
    key: u64,
    packed: u32,
    /// Index of the retweeted/quoted/replied-to event, or `NO_TARGET`.
    target: u32,
}

impl Event {
    fn new(t_ms: i64, author: usize, kind: PostKind, target: u32) -> Event {
        Event {
            key: t_ms as u64,
            packed: (author as u32) | ((kind as u32) << KIND_SHIFT),
            target,
        }
    }

    fn author(&self) -> usize {
        (self.packed & AUTHOR_MASK) as usize
    }

    fn kind(&self) -> PostKind {
        PostKind::from_bits(self.packed >> KIND_SHIFT)
    }

    fn set_kind(&mut self, kind: PostKind) {
        self.packed = (self.packed & AUTHOR_MASK) | ((kind as u32) << KIND_SHIFT);
    }

    /// Creation time, valid once ids are assigned.
    fn time_ms(&self) -> i64 {
        (self.key >> 22) as i64 + TWITTER_EPOCH_MS
    }
}

/// A coordinated burst: the source original (time, author) its members retweet.
type Burst = (i64, usize);

fn draw_post_kind(rng: &mut impl Rng, kind: AccountKind) -> PostKind {
    // (original, retweet, quote, reply)
    let mix: [f64; 4] = match kind {
        AccountKind::Human => [0.14, 0.68, 0.08, 0.10],
        AccountKind::HyperactiveHuman => [0.28, 0.45, 0.14, 0.13],
        AccountKind::Amplifier => [0.03, 0.95, 0.02, 0.0],
        AccountKind::Coordinated => [0.1, 0.9, 0.0, 0.0],
        AccountKind::Scheduled => [0.75, 0.25, 0.0, 0.0],
        AccountKind::LowVolume => [0.0, 1.0, 0.0, 0.0],
    };
    [
        PostKind::Original,
        PostKind::Retweet,
        PostKind::Quote,
        PostKind::Reply,
    ][weighted(rng, &mix)]
}

/// Human posting: sessions placed by intensity × circadian, short gaps inside.
fn human_times(
    rng: &mut impl Rng,
    timeline: &Timeline,
    region: Region,
    n: usize,
    (mean_session, gap_median): (f64, f64),
    (from, to): (i64, i64),
) -> Vec<i64> {
    let mut times = Vec::with_capacity(n);
    let session_len = Exp::new(1.0 / mean_session).unwrap();
    while times.len() < n {
        let mut t = timeline.sample(rng, Some(region));
        if t < from || t > to {
            continue;
        }
        let len = (1.0 + session_len.sample(rng)) as usize;
        for _ in 0..len.min(n - times.len()) {
            times.push(timeline.clamp(t).clamp(from, to));
            t += lognormal(rng, gap_median, 1.0) as i64;
        }
    }
    times
}

/// Lay out every tweet (time, author, kind) without targets yet.
fn plan_posts(
    rng: &mut ChaCha8Rng,
    cfg: &SimConfig,
    behaviour: &Behaviour,
    population: &Population,
    timeline: &Timeline,
) -> (Vec<Event>, Vec<Burst>) {
    let accounts = &population.accounts;
    let days = cfg.duration_hours / 24.0;
    let span_ms = (timeline.end_ms - timeline.first_ms) as f64;

    // Unscaled volumes of non-ordinary accounts; coordinated groups in bursts. A
    // scheduled account's clock: its style and period (ms) or rate (posts per ms).
    let b = behaviour;
    let mut clocks: Vec<(ScheduleStyle, f64)> =
        vec![(ScheduleStyle::WholeMinutes, 0.0); accounts.len()];
    let volumes: Vec<f64> = accounts
        .iter()
        .enumerate()
        .map(|(i, a)| match a.kind {
            AccountKind::HyperactiveHuman => {
                rng.random_range(b.hyperactive_rate.0..b.hyperactive_rate.1) * days
            }
            AccountKind::Amplifier => {
                rng.random_range(b.amplifier_rate.0..b.amplifier_rate.1) * days
            }
            AccountKind::Scheduled => match b.schedule_style(rng) {
                ScheduleStyle::WholeMinutes => {
                    span_ms / 60_000.0 / *pick(rng, &[5.0, 10.0, 15.0, 20.0, 30.0])
                }
                style @ (ScheduleStyle::Period | ScheduleStyle::Mixture) => {
                    let period =
                        rng.random_range(b.schedule_period_s.0..b.schedule_period_s.1) * 1000.0;
                    clocks[i] = (style, period);
                    let share = if style == ScheduleStyle::Mixture {
                        1.0 - b.mixture_human_share
                    } else {
                        1.0
                    };
                    span_ms / period / share
                }
                ScheduleStyle::FixedSecond => {
                    let per_ms = rng
                        .random_range(b.fixed_second_per_hour.0..b.fixed_second_per_hour.1)
                        / 3_600_000.0;
                    clocks[i] = (ScheduleStyle::FixedSecond, per_ms);
                    span_ms * per_ms
                }
            },
            AccountKind::LowVolume => {
                rng.random_range(b.low_volume_posts.0..=b.low_volume_posts.1) as f64
            }
            _ => 0.0,
        })
        .collect();
    let bursts_per_group = b.bursts_per_group_per_day * days;
    let coordinated: f64 = population
        .groups
        .iter()
        .map(|g| g.members.len() as f64 * bursts_per_group * 0.85)
        .sum();
    let bot_total = volumes.iter().sum::<f64>() + coordinated;
    let cap = cfg.max_bot_post_share * cfg.posts as f64;
    let scale = if bot_total > cap {
        cap / bot_total
    } else {
        1.0
    };

    let mut events = Vec::with_capacity(cfg.posts as usize + 64);
    // Patient zero: the first hyperactive human posts the leak.
    events.push(Event::new(
        timeline.first_ms,
        0,
        PostKind::Original,
        NO_TARGET,
    ));

    for (a, acct) in accounts.iter().enumerate() {
        let n = if volumes[a] > 0.0 {
            ((volumes[a] * scale).round() as usize).max(1)
        } else {
            0
        };
        let times: Vec<i64> = match acct.kind {
            AccountKind::HyperactiveHuman => human_times(
                rng,
                timeline,
                acct.region,
                n,
                (b.hyper_session_mean, b.hyper_gap_median_ms),
                timeline.window(acct.has(FRENCH)),
            ),
            AccountKind::Amplifier => {
                // Regular clock, 24/7, switched on some hours into the cascade.
                let on = timeline.first_ms + (rng.random_range(0.0..0.2) * span_ms) as i64;
                let period = (timeline.end_ms - on) as f64 / n as f64;
                (0..n)
                    .map(|i| {
                        let jitter =
                            rng.random_range(-b.amplifier_jitter..b.amplifier_jitter) * period;
                        timeline.clamp(on + ((i as f64 + 0.5) * period + jitter) as i64)
                    })
                    .collect()
            }
            AccountKind::Scheduled => scheduled_times(rng, timeline, b, clocks[a], acct.region, n),
            AccountKind::LowVolume => (0..n).map(|_| timeline.sample(rng, None)).collect(),
            _ => Vec::new(),
        };
        for t in times {
            events.push(Event::new(t, a, draw_post_kind(rng, acct.kind), NO_TARGET));
        }
    }

    // Coordinated bursts: a source posts, the group retweets within seconds.
    let mut bursts: Vec<Burst> = Vec::new();
    let n_bursts = ((bursts_per_group * scale).round() as usize).max(2);
    let latency = Exp::new(1.0 / b.coordinated_latency_mean_ms).unwrap();
    for group in &population.groups {
        for _ in 0..n_bursts {
            let source = *pick(rng, &group.sources);
            let t_source = timeline
                .sample(rng, Some(accounts[source].region))
                .min(timeline.end_ms - 120_000);
            events.push(Event::new(t_source, source, PostKind::Original, NO_TARGET));
            let burst = bursts.len() as u32;
            bursts.push((t_source, source));
            let lead = rng.random_range(2000..6000);
            for &member in &group.members {
                if rng.random_bool(0.85) {
                    let t = t_source + lead + (latency.sample(rng) as i64).min(60_000);
                    events.push(Event::new(t, member, PostKind::BurstRetweet, burst));
                }
            }
        }
    }

    // Ordinary humans share what is left, heavy-tailed but capped.
    let humans: Vec<usize> = (0..accounts.len())
        .filter(|&a| accounts[a].kind == AccountKind::Human)
        .collect();
    let budget = (cfg.posts as usize).saturating_sub(events.len());
    let active = humans.len().min(budget);
    if active > 0 {
        let pareto: Pareto<f64> = Pareto::new(1.0, 1.7).unwrap();
        let weights: Vec<f64> = (0..active)
            .map(|i| {
                if accounts[humans[i]].has(DORMANT) {
                    1.0
                } else {
                    pareto.sample(rng).min(25.0)
                }
            })
            .collect();
        let total: f64 = weights.iter().sum();
        let spare = budget - active;
        let mut counts: Vec<usize> = weights
            .iter()
            .map(|w| 1 + (w / total * spare as f64) as usize)
            .collect();
        let mut missing = budget - counts.iter().sum::<usize>();
        while missing > 0 {
            counts[rng.random_range(0..active)] += 1;
            missing -= 1;
        }
        for (i, &n) in counts.iter().enumerate() {
            let a = humans[i];
            let window = timeline.window(accounts[a].has(FRENCH));
            let rhythm = (b.human_session_mean, b.human_gap_median_ms);
            for t in human_times(rng, timeline, accounts[a].region, n, rhythm, window) {
                events.push(Event::new(
                    t,
                    a,
                    draw_post_kind(rng, AccountKind::Human),
                    NO_TARGET,
                ));
            }
        }
    }
    (events, bursts)
}

/// Retweet/quote/reply delay (ms) and the shortest allowed delay.
fn reaction_delay(rng: &mut impl Rng, kind: AccountKind, b: &Behaviour) -> (i64, i64) {
    match kind {
        AccountKind::Human => (
            lognormal(rng, b.human_latency_median_ms, 1.3).clamp(20_000.0, 12.0 * 3.6e6) as i64,
            20_000,
        ),
        AccountKind::HyperactiveHuman => (
            lognormal(rng, b.hyper_latency_median_ms, 1.1).clamp(15_000.0, 6.0 * 3.6e6) as i64,
            15_000,
        ),
        AccountKind::Amplifier | AccountKind::Coordinated => (
            (2000.0 + lognormal(rng, b.bot_latency_median_ms, 0.6))
                .min((10.0 * b.bot_latency_median_ms).max(60_000.0)) as i64,
            1500,
        ),
        AccountKind::Scheduled => (rng.random_range(60_000..1_200_000), 30_000),
        AccountKind::LowVolume => (
            (3000.0 + lognormal(rng, b.low_volume_latency_median_ms, 0.7))
                .min(10.0 * b.low_volume_latency_median_ms) as i64,
            2000,
        ),
    }
}

/// One scheduled account's post times. `clock` is its style with the period (ms) of
/// `Period`/`Mixture` or the rate (posts per ms) of `FixedSecond`; `WholeMinutes` derives
/// its period from `n`.
fn scheduled_times(
    rng: &mut impl Rng,
    timeline: &Timeline,
    b: &Behaviour,
    (style, param): (ScheduleStyle, f64),
    region: Region,
    n: usize,
) -> Vec<i64> {
    let span_ms = (timeline.end_ms - timeline.first_ms) as f64;
    let jitter = b.schedule_jitter_ms;
    let missed = |rng: &mut dyn rand::RngCore| {
        b.randomised && b.schedule_missed_share > 0.0 && rng.random_bool(b.schedule_missed_share)
    };
    match style {
        ScheduleStyle::WholeMinutes => {
            // Every `period` whole minutes, at second :00.
            let period_min = ((span_ms / 60_000.0 / n as f64).floor() as i64).max(1);
            let first_minute = timeline.first_ms / 60_000 + 1 + rng.random_range(0..period_min);
            let upto = if b.randomised {
                jitter.max(1.0) as i64
            } else {
                900
            };
            let mut times = Vec::with_capacity(n);
            for i in 0..n as i64 {
                let t = (first_minute + i * period_min) * 60_000 + rng.random_range(0..upto);
                if t < timeline.end_ms && !missed(rng) {
                    times.push(t);
                }
            }
            times
        }
        ScheduleStyle::Period | ScheduleStyle::Mixture => {
            let period = param;
            let start = timeline.first_ms as f64 + rng.random_range(0.0..period);
            let slots = ((timeline.end_ms as f64 - start) / period).floor().max(0.0) as usize;
            let mut times = Vec::with_capacity(slots + n);
            for i in 0..slots {
                let t = (start + i as f64 * period + rng.random_range(-jitter..=jitter)) as i64;
                if !missed(rng) {
                    times.push(timeline.clamp(t));
                }
            }
            if style == ScheduleStyle::Mixture {
                let human = ((n as f64) * b.mixture_human_share).round() as usize;
                let window = (timeline.first_ms + 1000, timeline.end_ms - 1);
                let rhythm = (b.human_session_mean, b.human_gap_median_ms);
                times.extend(human_times(rng, timeline, region, human, rhythm, window));
            }
            times
        }
        ScheduleStyle::FixedSecond => {
            // Random minutes (a Poisson process at `param` posts per ms), always at the same
            // second of the minute.
            let second_ms = rng.random_range(0..60) * 1000;
            let gaps = Exp::new(param.max(1e-9)).unwrap();
            let mut times = Vec::new();
            let mut t = timeline.first_ms as f64;
            loop {
                t += gaps.sample(rng).max(60_000.0);
                if t >= timeline.end_ms as f64 {
                    break;
                }
                let minute = (t as i64).div_euclid(60_000) * 60_000;
                let at = minute + second_ms + rng.random_range(-jitter..=jitter) as i64;
                times.push(timeline.clamp(at));
            }
            times
        }
    }
}

/// Per-event and per-account totals gathered while resolving targets.
struct Tallies {
    retweets: Vec<u32>,
    replies: Vec<u16>,
    quotes: Vec<u16>,
    posts_by_account: Vec<u32>,
}

/// Walk the events in time order and pick what each retweet, quote and
/// reply points at: a retweetable tweet posted about one reaction delay
/// earlier, chosen by preferential attachment (author attention × retweets
/// so far). Reactions with nothing to react to become originals.
fn resolve_targets(
    rng: &mut ChaCha8Rng,
    events: &mut [Event],
    accounts: &[Account],
    bursts: &[Burst],
    behaviour: &Behaviour,
) -> Tallies {
    let n = events.len();
    let mut tallies = Tallies {
        retweets: vec![0; n],
        replies: vec![0; n],
        quotes: vec![0; n],
        posts_by_account: vec![0; accounts.len()],
    };
    let mut pool: Vec<u32> = Vec::new();
    let mut pool_t: Vec<i64> = Vec::new();
    let mut last_target = vec![NO_TARGET; accounts.len()];
    for i in 0..n {
        let e = events[i];
        let t = e.key as i64;
        let author = e.author();
        tallies.posts_by_account[author] += 1;
        let target = match e.kind() {
            PostKind::Original => None,
            PostKind::BurstRetweet => {
                let (src_t, src_author) = bursts[e.target as usize];
                let from = pool_t.partition_point(|&x| x < src_t);
                (from..pool.len())
                    .take_while(|&p| pool_t[p] == src_t)
                    .map(|p| pool[p])
                    .find(|&j| events[j as usize].author() == src_author)
            }
            kind => {
                let (delay, min_delay) = reaction_delay(rng, accounts[author].kind, behaviour);
                let chosen = choose_target(
                    rng,
                    &pool,
                    &pool_t,
                    events,
                    accounts,
                    &tallies.retweets,
                    t,
                    delay,
                    min_delay,
                    author,
                    last_target[author],
                );
                // Quotes point at originals: a quote of a quote becomes a quote of its source.
                match (kind, chosen) {
                    (PostKind::Quote, Some(j)) if events[j as usize].kind() == PostKind::Quote => {
                        Some(events[j as usize].target)
                    }
                    _ => chosen,
                }
            }
        };
        let kind = match (e.kind(), target) {
            (PostKind::BurstRetweet, Some(_)) => PostKind::Retweet,
            (_, None) => PostKind::Original,
            (kind, Some(_)) => kind,
        };
        events[i].set_kind(kind);
        events[i].target = target.unwrap_or(NO_TARGET);
        if let Some(j) = target {
            last_target[author] = j;
            let j = j as usize;
            match kind {
                PostKind::Retweet => tallies.retweets[j] += 1,
                PostKind::Quote => tallies.quotes[j] = tallies.quotes[j].saturating_add(1),
                PostKind::Reply => tallies.replies[j] = tallies.replies[j].saturating_add(1),
                _ => {}
            }
        }
        if matches!(kind, PostKind::Original | PostKind::Quote) {
            pool.push(i as u32);
            pool_t.push(t);
        }
    }
    tallies
}

/// Pick among a few random retweetable tweets from around `t - delay`,
/// weighted by attention × (1 + retweets so far).
#[allow(clippy::too_many_arguments)]
fn choose_target(
    rng: &mut impl Rng,
    pool: &[u32],
    pool_t: &[i64],
    events: &[Event],
    accounts: &[Account],
    retweets: &[u32],
    t: i64,
    delay: i64,
    min_delay: i64,
    author: usize,
    avoid: u32,
) -> Option<u32> {
    let latest = t - min_delay;
    let centre = t - delay;
    let half_window = (delay / 2).max(5000);
    let end = pool_t.partition_point(|&x| x <= latest.min(centre + half_window));
    if end == 0 {
        return None;
    }
    let begin = pool_t
        .partition_point(|&x| x < centre - half_window)
        .min(end - 1);
    let mut best: Option<(u32, f64)> = None;
    let mut total = 0.0;
    for _ in 0..(end - begin).min(6) {
        let j = pool[rng.random_range(begin..end)];
        let target_author = events[j as usize].author();
        if target_author == author || j == avoid {
            continue;
        }
        let w =
            f64::from(accounts[target_author].attention) * (1.0 + f64::from(retweets[j as usize]));
        // Weighted reservoir choice of one candidate.
        total += w;
        if best.is_none() || rng.random::<f64>() * total < w {
            best = Some((j, w));
        }
    }
    best.map(|(j, _)| j)
        .or_else(|| Some(pool[end - 1]).filter(|&j| events[j as usize].author() != author))
}

/// Snowflake-like ids: (ms since Twitter epoch) << 22 | sequence within the ms.
fn assign_tweet_ids(events: &mut [Event]) {
    let mut last_ms = i64::MIN;
    let mut seq = 0u64;
    for e in events.iter_mut() {
        let t = e.key as i64;
        if t == last_ms {
            seq += 1;
        } else {
            last_ms = t;
            seq = 0;
        }
        debug_assert!(seq < (1 << 22));
        e.key = (((t - TWITTER_EPOCH_MS) as u64) << 22) | seq;
    }
}

// ---------------------------------------------------------------------------
// Tweet text and entities.

struct Mention {
    start: usize,
    end: usize,
    account: usize,
    handle: String,
    name: String,
}

struct Link {
    start: usize,
    end: usize,
    tco: String,
    expanded: String,
    display: String,
}

/// Text plus entities; offsets count Unicode code points, as Twitter does.
struct Content {
    text: String,
    chars: usize,
    display_start: usize,
    hashtags: Vec<(usize, usize, String)>,
    links: Vec<Link>,
    mentions: Vec<Mention>,
    lang: &'static str,
}

const MAX_CHARS: usize = 140;
const TCO_CHARS: usize = 23;

impl Content {
    fn new(lang: &'static str) -> Content {
        Content {
            text: String::new(),
            chars: 0,
            display_start: 0,
            hashtags: Vec::new(),
            links: Vec::new(),
            mentions: Vec::new(),
            lang,
        }
    }

    fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.chars += s.chars().count();
    }

    fn fits(&self, extra: usize) -> bool {
        self.chars + extra <= MAX_CHARS
    }

    fn push_hashtag(&mut self, sign: &str, tag: &str) {
        let start = self.chars;
        self.push(sign);
        self.push(tag);
        self.hashtags.push((start, self.chars, tag.to_string()));
    }

    fn push_link(&mut self, expanded: &str, salt: u64) {
        let mut rng = ChaCha8Rng::seed_from_u64(salt);
        let tco = format!("https://t.co/{}", random_token(&mut rng, 10));
        let bare = expanded
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_start_matches("www.");
        let display = if bare.chars().count() > 25 {
            format!("{}…", bare.chars().take(24).collect::<String>())
        } else {
            bare.to_string()
        };
        let start = self.chars;
        self.push(&tco);
        self.links.push(Link {
            start,
            end: self.chars,
            tco,
            expanded: expanded.to_string(),
            display,
        });
    }

    fn push_mention(&mut self, account: usize, profile: Profile) {
        let start = self.chars;
        self.push("@");
        self.push(&profile.handle);
        self.mentions.push(Mention {
            start,
            end: self.chars,
            account,
            handle: profile.handle,
            name: profile.name,
        });
    }
}

const FR_ORIGINALS: [&str; 8] = [
    "Les documents de la campagne sont en ligne, à partager avant le silence électoral",
    "Ce que les médias ne vous diront pas… lisez les mails",
    "Énorme fuite de données de la campagne, 9 Go de mails",
    "Vérifiez vous-mêmes, tout est là",
    "Pourquoi personne n'en parle à la télé ?",
    "Les comptes de campagne, les contrats, tout a fuité",
    "Partagez avant minuit, après c'est la réserve électorale",
    "Ils vont dire que c'est faux. Lisez d'abord.",
];
const EN_ORIGINALS: [&str; 8] = [
    "Massive leak of campaign emails just dropped",
    "Huge document dump from En Marche, read before it gets deleted",
    "French media are silent about this",
    "The election is on Sunday. Spread the word",
    "Thousands of emails, contracts and accounting files leaked",
    "Media blackout starts at midnight in France. Share now",
    "They will call it fake. Read it yourself.",
    "This is the biggest story of the French election",
];
const FR_COMMENTS: [&str; 6] = [
    "Attention, beaucoup de faux mélangés aux vrais documents",
    "Prudence avec ces documents, rien n'est vérifié",
    "Incroyable",
    "Voilà qui explique beaucoup de choses",
    "C'est faux, ces documents sont truqués",
    "Source ?",
];
const EN_COMMENTS: [&str; 6] = [
    "Thread: what we know so far about the leak",
    "Careful, fakes are mixed in with real files",
    "Wow. Just wow",
    "This changes everything",
    "Fake news, read the analysis first",
    "Thanks for sharing!",
];
const SCHEDULED_TEMPLATES: [&str; 4] = [
    "[Actu] Dernières infos",
    "BREAKING: latest update",
    "Fil info : la fuite en direct",
    "Live updates",
];
const OTHER_TAGS: [&str; 9] = [
    "FrenchElection",
    "Macron",
    "Presidentielle2017",
    "Presidentielle",
    "MarineLePen",
    "EnMarche",
    "Elysee2017",
    "FakeNews",
    "7mai",
];
const EMOJI: [&str; 6] = ["🔥", "🇫🇷", "⚠️", "👇", "😱", "‼️"];

/// Full-width form of an ASCII string, as in `＃ＭａｃｒｏｎＬｅａｋｓ`.
fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| {
            if ('!'..='~').contains(&c) {
                char::from_u32(c as u32 + 0xFEE0).unwrap()
            } else {
                c
            }
        })
        .collect()
}

/// Everything the renderers need, borrowed from `simulate`.
struct World<'a> {
    seed: u64,
    tag: &'a str,
    accounts: &'a [Account],
    events: &'a [Event],
    tallies: &'a Tallies,
    pastebin_url: &'a str,
    archive_url: String,
    clock: Clock,
}

impl World<'_> {
    fn profile(&self, account: usize) -> Profile {
        profile(self.seed, account, &self.accounts[account])
    }

    fn content(&self, i: usize) -> Content {
        let e = self.events[i];
        match e.kind() {
            PostKind::Retweet | PostKind::BurstRetweet => self.retweet_content(e.target as usize),
            kind => self.authored_content(i, kind),
        }
    }

    /// "RT @handle: " + original text, cut to 140 chars like Twitter does.
    fn retweet_content(&self, target: usize) -> Content {
        let original = self.content(target);
        let mut c = Content::new(original.lang);
        c.push("RT ");
        c.push_mention(
            self.events[target].author(),
            self.profile(self.events[target].author()),
        );
        c.push(": ");
        let shift = c.chars;
        let cut = original.chars + shift > MAX_CHARS;
        let keep = if cut {
            MAX_CHARS - 1 - shift
        } else {
            original.chars
        };
        let body: String = original.text.chars().take(keep).collect();
        c.push(&body);
        if cut {
            c.push("…");
        }
        c.hashtags.extend(
            original
                .hashtags
                .into_iter()
                .filter(|h| h.1 <= keep)
                .map(|(s, e, t)| (s + shift, e + shift, t)),
        );
        for mut m in original.mentions.into_iter().filter(|m| m.end <= keep) {
            (m.start, m.end) = (m.start + shift, m.end + shift);
            c.mentions.push(m);
        }
        for mut l in original.links.into_iter().filter(|l| l.end <= keep) {
            (l.start, l.end) = (l.start + shift, l.end + shift);
            c.links.push(l);
        }
        c
    }

    fn authored_content(&self, i: usize, kind: PostKind) -> Content {
        let e = self.events[i];
        let author = &self.accounts[e.author()];
        let mut rng = ChaCha8Rng::seed_from_u64(mix(self.seed ^ SALT_TEXT, e.key));
        let french = author.has(FRENCH);
        let mut c = Content::new(if french { "fr" } else { "en" });
        if i == 0 {
            c.push_hashtag("#", self.tag);
            c.push(" Massive leak of Macron campaign emails and documents, 9GB: ");
            c.push_link(self.pastebin_url, mix(e.key, 1));
            c.lang = "en";
            return c;
        }
        if kind == PostKind::Reply {
            let to = self.events[e.target as usize].author();
            c.push_mention(to, self.profile(to));
            c.push(" ");
            c.display_start = c.chars;
        }
        let sentence = match (author.kind, kind, french) {
            (AccountKind::Scheduled, _, _) => pick(&mut rng, &SCHEDULED_TEMPLATES),
            (_, PostKind::Original, true) => pick(&mut rng, &FR_ORIGINALS),
            (_, PostKind::Original, false) => pick(&mut rng, &EN_ORIGINALS),
            (_, _, true) => pick(&mut rng, &FR_COMMENTS),
            (_, _, false) => pick(&mut rng, &EN_COMMENTS),
        };
        let with_tag = kind == PostKind::Original || rng.random_bool(0.85);
        let (sign, tag) = match rng.random::<f64>() {
            _ if !with_tag => ("#", String::new()),
            x if x < 0.65 => ("#", self.tag.to_string()),
            x if x < 0.85 => ("#", self.tag.to_lowercase()),
            x if x < 0.96 => ("#", self.tag.to_uppercase()),
            x if x < 0.97 => ("＃", full_width(self.tag)),
            _ => (
                "#",
                format!("{}{}", &self.tag[..1], self.tag[1..].to_lowercase()),
            ),
        };
        let tag_first = !tag.is_empty() && rng.random_bool(0.3);
        if tag_first {
            c.push_hashtag(sign, &tag);
            c.push(if french { " : " } else { ": " });
        }
        c.push(sentence);
        if !tag.is_empty() && !tag_first && c.fits(tag.chars().count() + 2) {
            c.push(" ");
            c.push_hashtag(sign, &tag);
        }
        for _ in 0..rng.random_range(0..=2) {
            let other = pick(&mut rng, &OTHER_TAGS);
            if c.fits(other.len() + 2) {
                c.push(" ");
                c.push_hashtag("#", other);
            }
        }
        if kind != PostKind::Reply && rng.random_bool(0.1) && c.fits(20) {
            let someone = self.events[rng.random_range(0..i)].author();
            let p = self.profile(someone);
            if c.fits(p.handle.len() + 5) {
                c.push(" cc ");
                c.push_mention(someone, p);
            }
        }
        if rng.random_bool(0.15) && c.fits(3) {
            c.push(" ");
            c.push(pick::<&str>(&mut rng, &EMOJI));
        }
        let url = match (author.kind, kind, rng.random::<f64>()) {
            (AccountKind::Scheduled | AccountKind::Amplifier, PostKind::Original, x) if x < 0.7 => {
                Some(self.pastebin_url.to_string())
            }
            (_, PostKind::Original, x) if x < 0.45 => Some(self.pastebin_url.to_string()),
            (_, PostKind::Original | PostKind::Quote, x) if x < 0.6 => {
                Some(self.archive_url.clone())
            }
            (AccountKind::Scheduled, _, _) | (_, PostKind::Original, _) if rng.random_bool(0.5) => {
                Some(news_url(&mut rng))
            }
            _ => None,
        };
        if let Some(url) = url
            && c.fits(TCO_CHARS + 1)
        {
            c.push(" ");
            c.push_link(&url, mix(e.key, 1));
        }
        c
    }
}

fn news_url(rng: &mut impl Rng) -> String {
    let n = rng.random_range(1_000_000..9_999_999);
    match rng.random_range(0..5) {
        0 => {
            format!("https://www.lemonde.fr/pixels/article/2017/05/06/macronleaks_{n}_4408996.html")
        }
        1 => format!(
            "https://www.bbc.com/news/world-europe-{}",
            n / 100 + 39_000_000
        ),
        2 => format!("https://www.france24.com/en/20170506-macron-leaks-{n}"),
        3 => format!("https://www.liberation.fr/france/2017/05/06/macronleaks_{n}"),
        _ => format!("https://wikileaks.org/macron-emails/emailid/{}", n % 70_000),
    }
}

// ---------------------------------------------------------------------------
// Twitter v1.1 (twarc 1, tweet_mode=extended).

#[derive(Serialize)]
struct V1Hashtag {
    text: String,
    indices: [usize; 2],
}

#[derive(Serialize)]
struct V1Url {
    url: String,
    expanded_url: String,
    display_url: String,
    indices: [usize; 2],
}

#[derive(Serialize)]
struct V1Mention {
    screen_name: String,
    name: String,
    id: u64,
    id_str: String,
    indices: [usize; 2],
}

#[derive(Serialize)]
struct V1Entities {
    hashtags: Vec<V1Hashtag>,
    symbols: [(); 0],
    user_mentions: Vec<V1Mention>,
    urls: Vec<V1Url>,
}

#[derive(Serialize)]
struct V1User {
    id: u64,
    id_str: String,
    name: String,
    screen_name: String,
    location: String,
    description: String,
    url: Option<()>,
    protected: bool,
    followers_count: u32,
    friends_count: u32,
    listed_count: u32,
    created_at: String,
    favourites_count: u32,
    utc_offset: Option<i64>,
    time_zone: Option<&'static str>,
    geo_enabled: bool,
    verified: bool,
    statuses_count: u32,
    lang: &'static str,
    profile_image_url_https: String,
    default_profile: bool,
    default_profile_image: bool,
}

#[derive(Serialize)]
struct V1Permalink {
    url: String,
    expanded: String,
    display: String,
}

#[derive(Serialize)]
struct V1Status {
    created_at: String,
    id: u64,
    id_str: String,
    full_text: String,
    truncated: bool,
    display_text_range: [usize; 2],
    entities: V1Entities,
    source: String,
    in_reply_to_status_id: Option<u64>,
    in_reply_to_status_id_str: Option<String>,
    in_reply_to_user_id: Option<u64>,
    in_reply_to_user_id_str: Option<String>,
    in_reply_to_screen_name: Option<String>,
    user: V1User,
    geo: Option<()>,
    coordinates: Option<()>,
    place: Option<()>,
    contributors: Option<()>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retweeted_status: Option<Box<V1Status>>,
    is_quote_status: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    quoted_status_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    quoted_status_id_str: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    quoted_status_permalink: Option<V1Permalink>,
    #[serde(skip_serializing_if = "Option::is_none")]
    quoted_status: Option<Box<V1Status>>,
    retweet_count: u32,
    favorite_count: u32,
    favorited: bool,
    retweeted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    possibly_sensitive: Option<bool>,
    lang: &'static str,
}

#[derive(Serialize)]
struct DeleteNotice {
    delete: DeleteBody,
}

#[derive(Serialize)]
struct DeleteBody {
    status: DeletedStatus,
    timestamp_ms: String,
}

#[derive(Serialize)]
struct DeletedStatus {
    id: u64,
    id_str: String,
    user_id: u64,
    user_id_str: String,
}

/// Deterministic like count derived from retweets.
fn likes(id: u64, retweets: u32) -> u32 {
    retweets + retweets / 2 + (mix(id, 7) % 3) as u32
}

impl World<'_> {
    fn v1_user(&self, a: usize, statuses_count: u32) -> V1User {
        let acct = &self.accounts[a];
        let p = self.profile(a);
        let default_image = acct.has(DEFAULT_IMAGE);
        V1User {
            id: acct.id,
            id_str: acct.id.to_string(),
            name: p.name,
            screen_name: p.handle,
            location: p.location,
            description: p.description,
            url: None,
            protected: false,
            followers_count: acct.followers,
            friends_count: acct.friends,
            listed_count: acct.listed,
            created_at: v1_time(acct.created_ms),
            favourites_count: acct.favourites,
            utc_offset: (!acct.kind.is_bot()).then(|| {
                self.clock
                    .offset_s(acct.region, self.events[0].time_ms() / 1000)
            }),
            time_zone: (!acct.kind.is_bot()).then(|| acct.region.time_zone()),
            geo_enabled: !acct.kind.is_bot() && acct.id.is_multiple_of(3),
            verified: acct.has(VERIFIED),
            statuses_count: acct.statuses_base + statuses_count,
            lang: if acct.has(FRENCH) { "fr" } else { "en" },
            profile_image_url_https: if default_image {
                "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png"
                    .to_string()
            } else {
                format!(
                    "https://pbs.twimg.com/profile_images/{}/{:x}_normal.jpg",
                    acct.id % 900_000_000_000 + 1000,
                    mix(acct.id, 3) >> 24
                )
            },
            default_profile: acct.has(DEFAULT_PROFILE),
            default_profile_image: default_image,
        }
    }

    fn v1_entities(&self, c: Content) -> (String, V1Entities) {
        let entities = V1Entities {
            hashtags: c
                .hashtags
                .into_iter()
                .map(|(s, e, text)| V1Hashtag {
                    text,
                    indices: [s, e],
                })
                .collect(),
            symbols: [],
            user_mentions: c
                .mentions
                .into_iter()
                .map(|m| {
                    let id = self.accounts[m.account].id;
                    V1Mention {
                        screen_name: m.handle,
                        name: m.name,
                        id,
                        id_str: id.to_string(),
                        indices: [m.start, m.end],
                    }
                })
                .collect(),
            urls: c
                .links
                .into_iter()
                .map(|l| V1Url {
                    url: l.tco,
                    expanded_url: l.expanded,
                    display_url: l.display,
                    indices: [l.start, l.end],
                })
                .collect(),
        };
        (c.text, entities)
    }

    /// A v1.1 status. `statuses` holds running per-account post counts and
    /// `retweets_so_far` running retweet counts (stream semantics); the
    /// top-level tweet of a stream line always has zero counts.
    fn v1_status(
        &self,
        i: usize,
        statuses: &[u32],
        retweets_so_far: &[u32],
        top_level: bool,
    ) -> V1Status {
        let e = self.events[i];
        let c = self.content(i);
        let (chars, display_start, lang) = (c.chars, c.display_start, c.lang);
        let has_links = !c.links.is_empty();
        let (full_text, entities) = self.v1_entities(c);
        let (name, link) = CLIENTS[self.accounts[e.author()].client as usize];
        let retweets = if top_level { 0 } else { retweets_so_far[i] };
        let mut s = V1Status {
            created_at: v1_time(e.time_ms()),
            id: e.key,
            id_str: e.key.to_string(),
            full_text,
            truncated: false,
            display_text_range: [display_start, chars],
            entities,
            source: format!("<a href=\"{link}\" rel=\"nofollow\">{name}</a>"),
            in_reply_to_status_id: None,
            in_reply_to_status_id_str: None,
            in_reply_to_user_id: None,
            in_reply_to_user_id_str: None,
            in_reply_to_screen_name: None,
            user: self.v1_user(e.author(), statuses[e.author()]),
            geo: None,
            coordinates: None,
            place: None,
            contributors: None,
            retweeted_status: None,
            is_quote_status: false,
            quoted_status_id: None,
            quoted_status_id_str: None,
            quoted_status_permalink: None,
            quoted_status: None,
            retweet_count: retweets,
            favorite_count: if top_level { 0 } else { likes(e.key, retweets) },
            favorited: false,
            retweeted: false,
            possibly_sensitive: has_links.then_some(false),
            lang,
        };
        let target = e.target as usize;
        match e.kind() {
            PostKind::Retweet | PostKind::BurstRetweet => {
                s.retweeted_status = Some(Box::new(self.v1_status(
                    target,
                    statuses,
                    retweets_so_far,
                    false,
                )));
            }
            PostKind::Quote => {
                let quoted = self.v1_status(target, statuses, retweets_so_far, false);
                let url = format!(
                    "https://twitter.com/{}/status/{}",
                    quoted.user.screen_name, quoted.id
                );
                s.is_quote_status = true;
                s.quoted_status_id = Some(quoted.id);
                s.quoted_status_id_str = Some(quoted.id_str.clone());
                s.quoted_status_permalink = Some(V1Permalink {
                    url: format!(
                        "https://t.co/{}",
                        random_token(&mut ChaCha8Rng::seed_from_u64(mix(e.key, 2)), 10)
                    ),
                    display: format!("twitter.com/{}/status/…", quoted.user.screen_name),
                    expanded: url,
                });
                s.quoted_status = Some(Box::new(quoted));
            }
            PostKind::Reply => {
                let parent = self.events[target];
                let to = &self.accounts[parent.author()];
                s.in_reply_to_status_id = Some(parent.key);
                s.in_reply_to_status_id_str = Some(parent.key.to_string());
                s.in_reply_to_user_id = Some(to.id);
                s.in_reply_to_user_id_str = Some(to.id.to_string());
                s.in_reply_to_screen_name = Some(self.profile(parent.author()).handle);
            }
            PostKind::Original => {}
        }
        s
    }
}

/// Buffered file, optionally gzip-compressed (fast level: speed over size).
enum Sink {
    Plain(BufWriter<File>),
    Gzip(Box<BufWriter<GzEncoder<File>>>),
}

impl Sink {
    fn create(path: &Path, gzip: bool) -> Result<Sink> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file =
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        Ok(if gzip {
            Sink::Gzip(Box::new(BufWriter::with_capacity(
                1 << 18,
                GzEncoder::new(file, Compression::fast()),
            )))
        } else {
            Sink::Plain(BufWriter::with_capacity(1 << 18, file))
        })
    }

    fn line<T: Serialize>(&mut self, value: &T) -> Result<()> {
        serde_json::to_writer(&mut *self, value)?;
        self.write_all(b"\n")?;
        Ok(())
    }

    fn finish(self) -> Result<()> {
        match self {
            Sink::Plain(mut w) => w.flush()?,
            Sink::Gzip(w) => {
                (*w).into_inner()
                    .map_err(|e| e.into_error())?
                    .finish()?
                    .flush()?;
            }
        }
        Ok(())
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Sink::Plain(w) => w.write(buf),
            Sink::Gzip(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Plain(w) => w.flush(),
            Sink::Gzip(w) => w.flush(),
        }
    }
}

/// Returns (lines written, delete notices among them).
fn write_v1(
    world: &World,
    rng: &mut ChaCha8Rng,
    cfg: &SimConfig,
    path: &Path,
) -> Result<(u64, u64)> {
    let mut sink = Sink::create(path, cfg.gzip)?;
    let mut statuses = vec![0u32; world.accounts.len()];
    let mut retweets_so_far = vec![0u32; world.events.len()];
    let mut deletes = 0;
    for (i, e) in world.events.iter().enumerate() {
        statuses[e.author()] += 1;
        if e.kind() == PostKind::Retweet {
            retweets_so_far[e.target as usize] += 1;
        }
        sink.line(&world.v1_status(i, &statuses, &retweets_so_far, true))?;
        if rng.random_bool(cfg.delete_notice_rate) {
            let victim = world.events[rng.random_range(0..=i)];
            let user_id = world.accounts[victim.author()].id;
            sink.line(&DeleteNotice {
                delete: DeleteBody {
                    status: DeletedStatus {
                        id: victim.key,
                        id_str: victim.key.to_string(),
                        user_id,
                        user_id_str: user_id.to_string(),
                    },
                    timestamp_ms: (e.time_ms() + rng.random_range(1..5000)).to_string(),
                },
            })?;
            deletes += 1;
        }
    }
    sink.finish()?;
    Ok((world.events.len() as u64 + deletes, deletes))
}

// ---------------------------------------------------------------------------
// Twitter v2 (twarc2 search/all pages, newest first like the API).

#[derive(Serialize)]
struct V2Hashtag {
    start: usize,
    end: usize,
    tag: String,
}

#[derive(Serialize)]
struct V2Url {
    start: usize,
    end: usize,
    url: String,
    expanded_url: String,
    display_url: String,
}

#[derive(Serialize)]
struct V2Mention {
    start: usize,
    end: usize,
    username: String,
    id: String,
}

#[derive(Serialize)]
struct V2Entities {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hashtags: Vec<V2Hashtag>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    mentions: Vec<V2Mention>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    urls: Vec<V2Url>,
}

#[derive(Serialize)]
struct V2TweetMetrics {
    retweet_count: u32,
    reply_count: u32,
    like_count: u32,
    quote_count: u32,
}

#[derive(Serialize)]
struct V2Ref {
    #[serde(rename = "type")]
    kind: &'static str,
    id: String,
}

#[derive(Serialize)]
struct V2Tweet {
    id: String,
    text: String,
    created_at: String,
    author_id: String,
    conversation_id: String,
    lang: &'static str,
    source: &'static str,
    possibly_sensitive: bool,
    public_metrics: V2TweetMetrics,
    #[serde(skip_serializing_if = "Option::is_none")]
    entities: Option<V2Entities>,
    #[serde(skip_serializing_if = "Option::is_none")]
    referenced_tweets: Option<Vec<V2Ref>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    in_reply_to_user_id: Option<String>,
    edit_history_tweet_ids: [String; 1],
}

#[derive(Serialize)]
struct V2UserMetrics {
    followers_count: u32,
    following_count: u32,
    tweet_count: u32,
    listed_count: u32,
}

#[derive(Serialize)]
struct V2User {
    id: String,
    username: String,
    name: String,
    created_at: String,
    description: String,
    location: String,
    profile_image_url: String,
    public_metrics: V2UserMetrics,
    verified: bool,
    protected: bool,
}

#[derive(Serialize)]
struct V2Includes {
    users: Vec<V2User>,
    tweets: Vec<V2Tweet>,
}

#[derive(Serialize)]
struct V2Meta {
    newest_id: String,
    oldest_id: String,
    result_count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

#[derive(Serialize)]
struct TwarcInfo {
    url: String,
    version: &'static str,
    retrieved_at: String,
}

#[derive(Serialize)]
struct V2Page {
    data: Vec<V2Tweet>,
    includes: V2Includes,
    meta: V2Meta,
    #[serde(rename = "__twarc")]
    twarc: TwarcInfo,
}

impl World<'_> {
    /// A v2 tweet with final (collection-time) metrics.
    fn v2_tweet(&self, i: usize) -> V2Tweet {
        let e = self.events[i];
        let c = self.content(i);
        let lang = c.lang;
        let entities = V2Entities {
            hashtags: c
                .hashtags
                .into_iter()
                .map(|(start, end, tag)| V2Hashtag { start, end, tag })
                .collect(),
            mentions: c
                .mentions
                .into_iter()
                .map(|m| V2Mention {
                    start: m.start,
                    end: m.end,
                    username: m.handle,
                    id: self.accounts[m.account].id.to_string(),
                })
                .collect(),
            urls: c
                .links
                .into_iter()
                .map(|l| V2Url {
                    start: l.start,
                    end: l.end,
                    url: l.tco,
                    expanded_url: l.expanded,
                    display_url: l.display,
                })
                .collect(),
        };
        let has_entities = !(entities.hashtags.is_empty()
            && entities.mentions.is_empty()
            && entities.urls.is_empty());
        let target = e.target as usize;
        let t = self.tallies;
        let (metrics_of, referenced, conversation, reply_to) = match e.kind() {
            PostKind::Retweet | PostKind::BurstRetweet => (target, Some("retweeted"), e.key, None),
            PostKind::Quote => (i, Some("quoted"), e.key, None),
            PostKind::Reply => {
                let parent = self.events[target];
                (
                    i,
                    Some("replied_to"),
                    parent.key,
                    Some(self.accounts[parent.author()].id.to_string()),
                )
            }
            PostKind::Original => (i, None, e.key, None),
        };
        let retweets = t.retweets[metrics_of];
        let own = metrics_of == i;
        V2Tweet {
            id: e.key.to_string(),
            text: c.text,
            created_at: v2_time(e.time_ms()),
            author_id: self.accounts[e.author()].id.to_string(),
            conversation_id: conversation.to_string(),
            lang,
            source: CLIENTS[self.accounts[e.author()].client as usize].0,
            possibly_sensitive: false,
            public_metrics: V2TweetMetrics {
                retweet_count: retweets,
                reply_count: if own { u32::from(t.replies[i]) } else { 0 },
                like_count: if own { likes(e.key, retweets) } else { 0 },
                quote_count: if own { u32::from(t.quotes[i]) } else { 0 },
            },
            entities: has_entities.then_some(entities),
            referenced_tweets: referenced.map(|kind| {
                vec![V2Ref {
                    kind,
                    id: self.events[target].key.to_string(),
                }]
            }),
            in_reply_to_user_id: reply_to,
            edit_history_tweet_ids: [e.key.to_string()],
        }
    }

    fn v2_user(&self, a: usize) -> V2User {
        let acct = &self.accounts[a];
        let p = self.profile(a);
        V2User {
            id: acct.id.to_string(),
            username: p.handle,
            name: p.name,
            created_at: v2_time(acct.created_ms),
            description: p.description,
            location: p.location,
            profile_image_url: if acct.has(DEFAULT_IMAGE) {
                "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png"
                    .to_string()
            } else {
                format!(
                    "https://pbs.twimg.com/profile_images/{}/{:x}_normal.jpg",
                    acct.id % 900_000_000_000 + 1000,
                    mix(acct.id, 3) >> 24
                )
            },
            public_metrics: V2UserMetrics {
                followers_count: acct.followers,
                following_count: acct.friends,
                tweet_count: acct.statuses_base + self.tallies.posts_by_account[a],
                listed_count: acct.listed,
            },
            verified: acct.has(VERIFIED),
            protected: false,
        }
    }
}

const PAGE_SIZE: usize = 100;

fn write_v2(world: &World, cfg: &SimConfig, timeline: &Timeline, path: &Path) -> Result<u64> {
    let mut sink = Sink::create(path, cfg.gzip)?;
    let query = format!(
        "https://api.twitter.com/2/tweets/search/all?expansions=author_id%2Creferenced_tweets.id%2Creferenced_tweets.id.author_id%2Cin_reply_to_user_id&tweet.fields=author_id%2Cconversation_id%2Ccreated_at%2Centities%2Cin_reply_to_user_id%2Clang%2Cpublic_metrics%2Creferenced_tweets%2Csource&user.fields=created_at%2Cdescription%2Clocation%2Cpublic_metrics%2Cverified&start_time={}&end_time={}&query=%23{}&max_results={PAGE_SIZE}",
        v2_time(timeline.first_ms - 60_000).replace(':', "%3A"),
        v2_time(timeline.end_ms + 60_000).replace(':', "%3A"),
        world.tag
    );
    // Collection runs a few days after the campaign; pages ~1.1 s apart.
    let collected_ms = (timeline.end_ms / 3_600_000 + 72) * 3_600_000;
    let n = world.events.len();
    let pages = n.div_ceil(PAGE_SIZE);
    for page in 0..pages {
        let newest = n - 1 - page * PAGE_SIZE;
        let oldest = newest + 1 - PAGE_SIZE.min(newest + 1);
        let mut data = Vec::with_capacity(PAGE_SIZE);
        let mut referenced: Vec<usize> = Vec::new();
        let mut users: Vec<usize> = Vec::new();
        for i in (oldest..=newest).rev() {
            let e = world.events[i];
            if e.kind() != PostKind::Original && !referenced.contains(&(e.target as usize)) {
                referenced.push(e.target as usize);
            }
            if !users.contains(&e.author()) {
                users.push(e.author());
            }
            data.push(world.v2_tweet(i));
        }
        for &r in &referenced {
            let a = world.events[r].author();
            if !users.contains(&a) {
                users.push(a);
            }
        }
        let token = |p: usize| format!("b26v89c19zqg8o3fo{:x}", mix(cfg.seed, p as u64) >> 16);
        let url = if page == 0 {
            query.clone()
        } else {
            format!("{query}&next_token={}", token(page))
        };
        sink.line(&V2Page {
            meta: V2Meta {
                newest_id: world.events[newest].key.to_string(),
                oldest_id: world.events[oldest].key.to_string(),
                result_count: data.len(),
                next_token: (page + 1 < pages).then(|| token(page + 1)),
            },
            data,
            includes: V2Includes {
                users: users.into_iter().map(|a| world.v2_user(a)).collect(),
                tweets: referenced.into_iter().map(|r| world.v2_tweet(r)).collect(),
            },
            twarc: TwarcInfo {
                url,
                version: "2.10.4",
                retrieved_at: utc(collected_ms + page as i64 * 1100)
                    .format("%Y-%m-%dT%H:%M:%S+00:00")
                    .to_string(),
            },
        })?;
    }
    sink.finish()?;
    Ok(pages as u64)
}

// ---------------------------------------------------------------------------
// 4chan /pol/ threads.

struct ChanThread {
    no: u64,
    /// Indices into `ChanPlan::posts`, opener first.
    posts: Vec<usize>,
    poster_ids: Vec<String>,
}

struct ChanPost {
    no: u64,
    time_s: i64,
    poster: usize,
    country: usize,
    image: bool,
}

struct ChanPlan {
    /// All posts in time order.
    posts: Vec<ChanPost>,
    threads: Vec<ChanThread>,
}

const COUNTRIES: [(&str, &str, f64); 10] = [
    ("FR", "France", 30.0),
    ("US", "United States", 35.0),
    ("GB", "United Kingdom", 6.0),
    ("DE", "Germany", 5.0),
    ("CA", "Canada", 5.0),
    ("NL", "Netherlands", 3.0),
    ("SE", "Sweden", 3.0),
    ("AU", "Australia", 3.0),
    ("BE", "Belgium", 3.0),
    ("CH", "Switzerland", 2.0),
];

/// Threads, post times and numbers. The leak opener is the very first post.
fn plan_4chan(rng: &mut ChaCha8Rng, start_ms: i64, first_tweet_ms: i64) -> ChanPlan {
    let start_s = start_ms.div_euclid(1000);
    let n_threads = rng.random_range(3..=6);
    let mut starts = vec![start_s];
    for _ in 1..n_threads {
        starts.push(start_s + rng.random_range(25 * 60..12 * 3600));
    }
    starts[1..].sort_unstable();
    let mut raw: Vec<(i64, usize, usize, bool)> = Vec::new(); // (time, thread, poster, image)
    let mut poster_counts = Vec::new();
    let country_weights: Vec<f64> = COUNTRIES.iter().map(|c| c.2).collect();
    let mut countries: Vec<Vec<usize>> = Vec::new();
    for (thread, &t0) in starts.iter().enumerate() {
        let n_posts = if thread == 0 {
            rng.random_range(180..=310)
        } else {
            rng.random_range(50..=220)
        };
        let n_posters = (n_posts / 3).max(3);
        let spread = Gamma::new(1.3, 45.0 * 60.0).unwrap();
        raw.push((t0, thread, 0, true));
        for k in 1..n_posts {
            let mut dt = (spread.sample(rng) as i64).clamp(3, 10 * 3600);
            // Make sure the leak thread is still busy when Twitter picks up the tag.
            if thread == 0 && k < 10 {
                dt = dt.max((first_tweet_ms / 1000 - start_s) + k as i64 * 30);
            }
            let poster = ((n_posters as f64) * rng.random::<f64>().powf(1.6)) as usize;
            raw.push((t0 + dt, thread, poster, rng.random_bool(0.15)));
        }
        poster_counts.push(n_posters);
        countries.push(
            (0..n_posters)
                .map(|_| weighted(rng, &country_weights))
                .collect(),
        );
    }
    raw.sort_by_key(|p| (p.0, p.1 != 0 || p.0 != start_s, p.1, p.2));
    let mut no = 124_069_000 + rng.random_range(0..1000u64);
    let mut last_t = start_s;
    let mut posts = Vec::with_capacity(raw.len());
    let mut threads: Vec<ChanThread> = (0..n_threads)
        .map(|_| ChanThread {
            no: 0,
            posts: Vec::new(),
            poster_ids: Vec::new(),
        })
        .collect();
    for (time_s, thread, poster, image) in raw {
        no += 1 + ((time_s - last_t) as f64 * rng.random_range(0.8..2.0)) as u64;
        last_t = time_s;
        if threads[thread].posts.is_empty() {
            threads[thread].no = no;
        }
        threads[thread].posts.push(posts.len());
        posts.push(ChanPost {
            no,
            time_s,
            poster,
            country: countries[thread][poster],
            image,
        });
    }
    for (thread, n_posters) in threads.iter_mut().zip(poster_counts) {
        let mut seen = HashSet::new();
        while thread.poster_ids.len() < n_posters {
            let id: String = (0..8)
                .map(|_| {
                    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                        [rng.random_range(0..64)] as char
                })
                .collect();
            if seen.insert(id.clone()) {
                thread.poster_ids.push(id);
            }
        }
    }
    ChanPlan { posts, threads }
}

#[derive(Serialize)]
struct ChanJsonPost {
    no: u64,
    now: String,
    name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<String>,
    com: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    filename: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ext: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    w: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    h: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tn_w: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tn_h: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tim: Option<u64>,
    time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    md5: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fsize: Option<u32>,
    resto: u64,
    id: String,
    country: &'static str,
    country_name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    bumplimit: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    imagelimit: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    semantic_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    replies: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    images: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unique_ips: Option<usize>,
}

#[derive(Serialize)]
struct ChanThreadJson {
    posts: Vec<ChanJsonPost>,
}

/// 4chan's escaping of user text inside `com`.
fn chan_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#039;"),
            c => out.push(c),
        }
    }
    out
}

/// Long URLs get `<wbr>` every 35 characters, as 4chan renders them.
fn chan_url(url: &str) -> String {
    let chars: Vec<char> = url.chars().collect();
    chars
        .chunks(35)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("<wbr>")
}

fn quotelink(no: u64, thread_no: Option<u64>) -> String {
    match thread_no {
        Some(t) => {
            format!("<a href=\"/pol/thread/{t}#p{no}\" class=\"quotelink\">&gt;&gt;{no}</a>")
        }
        None => format!("<a href=\"#p{no}\" class=\"quotelink\">&gt;&gt;{no}</a>"),
    }
}

const CHAN_LINES: [&str; 14] = [
    "Is this real?",
    "Spread it before the media blackout",
    "French here, nobody is talking about this on TV",
    "Already on twitter, the tag is trending",
    "Archive everything",
    "Check the accounting files",
    "This is going to change the election",
    "The metadata is in Cyrillic, this is fake",
    "Post it on twitter with the hashtag",
    "C'est énorme, les médias vont tout étouffer",
    "Français ici, personne n'en parle",
    "Le silence électoral commence à minuit",
    "Screencap this thread",
    "They said \"nothing to see here\" lol",
];
const GREENTEXT: [&str; 5] = [
    ">implying the media will report on this",
    ">he thinks this will change anything",
    ">2017\n>still trusting the press",
    ">tfw the leak drops hours before the blackout",
    ">it's fake because they say so",
];

/// Writes one pretty-printed JSON file per thread; returns relative paths.
fn write_4chan(
    plan: &ChanPlan,
    rng: &mut ChaCha8Rng,
    tag: &str,
    pastebin_url: &str,
    clock: &Clock,
    out_dir: &Path,
) -> Result<Vec<String>> {
    std::fs::create_dir_all(out_dir.join("4chan"))?;
    let leak_no = plan.threads[0].no;
    let mut files = Vec::new();
    for (ti, thread) in plan.threads.iter().enumerate() {
        let mut json_posts = Vec::with_capacity(thread.posts.len());
        let images = thread.posts[1..]
            .iter()
            .filter(|&&p| plan.posts[p].image)
            .count();
        for (k, &pi) in thread.posts.iter().enumerate() {
            let post = &plan.posts[pi];
            let op = k == 0;
            let mut lines: Vec<String> = Vec::new();
            let sub = if op && ti == 0 {
                lines.push(chan_escape(
                    "Macron campaign emails leaked. 9GB of documents, contracts and accounting.",
                ));
                lines.push(chan_url(pastebin_url));
                lines.push(String::new());
                lines.push(chan_escape(
                    "Spread it before the French election blackout tonight.",
                ));
                lines.push(format!("#{tag}"));
                Some("Macron Leaks".to_string())
            } else if op {
                lines.push(format!(
                    "Previous thread: {}",
                    quotelink(leak_no, Some(leak_no))
                ));
                lines.push(chan_escape("Dump is here:"));
                lines.push(chan_url(pastebin_url));
                lines.push(format!("Twitter tag: #{tag}"));
                Some(format!("/mlg/ - Macron Leaks General #{}", ti + 1))
            } else {
                None
            };
            if !op {
                let earlier = &thread.posts[..k];
                let n_quotes = weighted(rng, &[0.25, 0.6, 0.15]);
                for _ in 0..n_quotes {
                    // Mostly recent posts, sometimes the opener.
                    let target = if rng.random_bool(0.2) {
                        earlier[0]
                    } else {
                        earlier[earlier.len() - 1 - rng.random_range(0..earlier.len().min(8))]
                    };
                    lines.push(quotelink(plan.posts[target].no, None));
                }
                if rng.random_bool(0.2) {
                    for g in pick(rng, &GREENTEXT).split('\n') {
                        lines.push(format!("<span class=\"quote\">{}</span>", chan_escape(g)));
                    }
                }
                lines.push(chan_escape(pick::<&str>(rng, &CHAN_LINES)));
                if rng.random_bool(0.15) {
                    lines.push(format!("#{tag}"));
                }
                if rng.random_bool(0.1) {
                    lines.push(chan_url(pastebin_url));
                }
                if rng.random_bool(0.05) {
                    lines.push(chan_url(&format!(
                        "https://archive.4plebs.org/pol/thread/{leak_no}/"
                    )));
                }
            }
            let image = op || post.image;
            let (w, h) = if image {
                (rng.random_range(400..2000), rng.random_range(300..1500))
            } else {
                (0, 0)
            };
            let scale = 250.0 / f64::from(w.max(h).max(1));
            let (country, country_name, _) = COUNTRIES[post.country];
            let eastern = post.time_s + clock.offset_s(Region::UsEast, post.time_s);
            let n_unique = thread
                .posts
                .iter()
                .map(|&p| plan.posts[p].poster)
                .collect::<HashSet<_>>()
                .len();
            json_posts.push(ChanJsonPost {
                no: post.no,
                now: utc(eastern * 1000)
                    .format("%m/%d/%y(%a)%H:%M:%S")
                    .to_string(),
                name: "Anonymous",
                sub,
                com: lines.join("<br>"),
                filename: image.then(|| {
                    if op {
                        "macron_leaks".to_string()
                    } else {
                        format!("{}", post.time_s * 1000 + rng.random_range(0..999))
                    }
                }),
                ext: image.then(|| if rng.random_bool(0.6) { ".png" } else { ".jpg" }),
                w: image.then_some(w),
                h: image.then_some(h),
                tn_w: image.then(|| (f64::from(w) * scale) as u32),
                tn_h: image.then(|| (f64::from(h) * scale) as u32),
                tim: image.then(|| (post.time_s * 1000) as u64 + rng.random_range(0..999)),
                time: post.time_s,
                md5: image.then(|| md5_like(rng)),
                fsize: image.then(|| rng.random_range(20_000..3_000_000)),
                resto: if op { 0 } else { thread.no },
                id: thread.poster_ids[post.poster].clone(),
                country,
                country_name,
                bumplimit: op.then_some(u8::from(thread.posts.len() > 300)),
                imagelimit: op.then_some(0),
                semantic_url: op.then(|| {
                    if ti == 0 {
                        "macron-leaks".to_string()
                    } else {
                        format!("mlg-macron-leaks-general-{}", ti + 1)
                    }
                }),
                replies: op.then_some(thread.posts.len() - 1),
                images: op.then_some(images),
                unique_ips: op.then_some(n_unique),
            });
        }
        let rel = format!("4chan/pol_{}.json", thread.no);
        let file = File::create(out_dir.join(&rel))?;
        let mut writer = BufWriter::new(file);
        serde_json::to_writer_pretty(&mut writer, &ChanThreadJson { posts: json_posts })?;
        writer.flush()?;
        files.push(rel);
    }
    Ok(files)
}

/// 4chan's md5 field: base64 of 16 bytes.
fn md5_like(rng: &mut impl Rng) -> String {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s: String = (0..21)
        .map(|_| B64[rng.random_range(0..64)] as char)
        .collect();
    s.push(B64[rng.random_range(0..4) * 16] as char);
    s.push_str("==");
    s
}

// ---------------------------------------------------------------------------
// Ground truth.

fn write_truth(world: &World, chan: &ChanPlan, path: &Path) -> Result<()> {
    let mut rows: Vec<(&str, String, String, bool, &str)> = Vec::new();
    for (a, acct) in world.accounts.iter().enumerate() {
        if world.tallies.posts_by_account[a] > 0 {
            rows.push((
                "twitter",
                acct.id.to_string(),
                world.profile(a).handle,
                acct.kind.is_bot(),
                acct.kind.name(),
            ));
        }
    }
    for thread in &chan.threads {
        let posters: std::collections::BTreeSet<usize> =
            thread.posts.iter().map(|&p| chan.posts[p].poster).collect();
        for p in posters {
            let id = &thread.poster_ids[p];
            rows.push((
                "4chan",
                format!("pol/{}/{id}", thread.no),
                id.clone(),
                false,
                "human",
            ));
        }
    }
    rows.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let mut writer = csv::Writer::from_path(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    writer.write_record(["platform", "account_id", "handle", "is_bot", "kind"])?;
    for (platform, id, handle, is_bot, kind) in rows {
        writer.write_record([
            platform,
            &id,
            &handle,
            if is_bot { "true" } else { "false" },
            kind,
        ])?;
    }
    writer.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::collections::{BTreeSet, HashMap};
    use std::io::{BufRead, BufReader};
    use std::path::PathBuf;

    fn small(gzip: bool) -> SimConfig {
        SimConfig {
            posts: 3000,
            seed: 7,
            gzip,
            ..SimConfig::default()
        }
    }

    fn run(name: &str, cfg: &SimConfig) -> (PathBuf, SimSummary) {
        let dir = std::env::temp_dir().join(format!("simulate-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let summary = simulate(cfg, &dir).unwrap();
        (dir, summary)
    }

    fn read_lines(path: &Path) -> Vec<Value> {
        BufReader::new(File::open(path).unwrap())
            .lines()
            .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
            .collect()
    }

    fn v1_ms(s: &Value) -> i64 {
        DateTime::parse_from_str(s.as_str().unwrap(), "%a %b %d %H:%M:%S %z %Y")
            .unwrap()
            .timestamp_millis()
    }

    #[test]
    fn same_seed_same_bytes() {
        let (a, sa) = run("det-a", &small(true));
        let (b, _) = run("det-b", &small(true));
        let mut names: Vec<String> = sa.files.iter().map(|f| f.path.clone()).collect();
        names.push("sim_manifest.json".into());
        for name in names {
            assert_eq!(
                std::fs::read(a.join(&name)).unwrap(),
                std::fs::read(b.join(&name)).unwrap(),
                "{name} differs"
            );
        }
    }

    #[test]
    fn randomised_worlds_repeat_and_record_their_behaviour() {
        let cfg = SimConfig {
            randomise: true,
            ..small(false)
        };
        let (a, sa) = run("rand-a", &cfg);
        let (b, _) = run("rand-b", &cfg);
        for name in ["twitter_v1/tweets.jsonl", "truth.csv", "sim_manifest.json"] {
            assert_eq!(
                std::fs::read(a.join(name)).unwrap(),
                std::fs::read(b.join(name)).unwrap(),
                "{name} differs"
            );
        }
        let drawn = sa.behaviour.expect("randomised behaviour recorded");
        assert!(drawn.randomised);
        let shares = drawn.shares.unwrap();
        let fixed = SimConfig::default();
        assert_ne!(shares.amplifier, fixed.amplifier_share);
        let manifest: Value =
            serde_json::from_slice(&std::fs::read(a.join("sim_manifest.json")).unwrap()).unwrap();
        assert!(manifest["summary"]["behaviour"]["schedule_jitter_ms"].is_number());
        let other = run(
            "rand-c",
            &SimConfig {
                seed: 8,
                ..cfg.clone()
            },
        );
        assert_ne!(
            other.1.behaviour.unwrap().amplifier_rate,
            drawn.amplifier_rate
        );
    }

    #[test]
    fn cascades_too_short_to_hold_a_tweet_are_refused() {
        for hours in [0.0, 1e-4, f64::NAN] {
            let cfg = SimConfig {
                duration_hours: hours,
                ..small(false)
            };
            let dir = std::env::temp_dir().join(format!("simulate-short-{}", std::process::id()));
            let err = simulate(&cfg, &dir).unwrap_err().to_string();
            assert!(err.contains("duration_hours"), "{err}");
        }
    }

    #[test]
    fn files_are_consistent_with_truth_and_summary() {
        let (dir, summary) = run("consistency", &small(false));
        let v1 = read_lines(&dir.join("twitter_v1/tweets.jsonl"));
        let tweets: Vec<&Value> = v1.iter().filter(|l| l.get("delete").is_none()).collect();
        assert_eq!(tweets.len() as u64, summary.tweets);
        assert_eq!(v1.len() as u64 - summary.delete_notices, summary.tweets);
        assert!(summary.tweets.abs_diff(3000) <= 30, "{}", summary.tweets);

        // v2 pages hold the same ids.
        let v2 = read_lines(&dir.join("twitter_v2/pages.jsonl"));
        let v2_ids: BTreeSet<String> = v2
            .iter()
            .flat_map(|p| {
                p["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t["id"].as_str().unwrap().to_string())
            })
            .collect();
        let v1_ids: BTreeSet<String> = tweets
            .iter()
            .map(|t| t["id_str"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(v1_ids.len() as u64, summary.tweets, "ids must be unique");
        assert_eq!(v1_ids, v2_ids);

        // Ids increase with time; retweets point at earlier tweets in the file.
        let mut seen: HashMap<u64, i64> = HashMap::new();
        let mut last_id = 0;
        let mut authors = BTreeSet::new();
        for t in &tweets {
            let id = t["id"].as_u64().unwrap();
            assert!(id > last_id);
            last_id = id;
            authors.insert(t["user"]["id_str"].as_str().unwrap().to_string());
            if let Some(reply_to) = t["in_reply_to_user_id_str"].as_str() {
                authors.insert(reply_to.to_string());
            }
            for embedded in ["retweeted_status", "quoted_status"] {
                if let Some(orig) = t.get(embedded) {
                    let orig_id = orig["id"].as_u64().unwrap();
                    let orig_ms = *seen
                        .get(&orig_id)
                        .expect("embedded tweet appears earlier as its own line");
                    assert!(orig_ms < v1_ms(&t["created_at"]));
                    assert_eq!(orig_ms, v1_ms(&orig["created_at"]));
                    authors.insert(orig["user"]["id_str"].as_str().unwrap().to_string());
                }
            }
            if t.get("retweeted_status").is_some() {
                assert!(t["full_text"].as_str().unwrap().starts_with("RT @"));
                assert!(t["full_text"].as_str().unwrap().chars().count() <= 140);
            }
            seen.insert(id, v1_ms(&t["created_at"]));
        }

        // Truth covers every author and has every bot kind.
        let truth = std::fs::read_to_string(dir.join("truth.csv")).unwrap();
        let mut twitter_ids = BTreeSet::new();
        let mut kinds = BTreeSet::new();
        for line in truth.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            if f[0] == "twitter" {
                twitter_ids.insert(f[1].to_string());
            }
            kinds.insert((f[3].to_string(), f[4].to_string()));
        }
        assert!(authors.is_subset(&twitter_ids));
        for kind in ["amplifier", "coordinated", "scheduled", "low_volume"] {
            assert!(
                kinds.contains(&("true".to_string(), kind.to_string())),
                "missing {kind}"
            );
        }
        assert!(kinds.contains(&("false".to_string(), "hyperactive_human".to_string())));
        assert!(truth.lines().any(|l| l.starts_with("4chan,pol/")));

        // The 4chan opener is the first post of the campaign, ~14 min before the first tweet.
        let mut chan_times = Vec::new();
        for no in &summary.fourchan_threads {
            let thread: Value = serde_json::from_reader(
                File::open(dir.join(format!("4chan/pol_{no}.json"))).unwrap(),
            )
            .unwrap();
            for p in thread["posts"].as_array().unwrap() {
                chan_times.push((p["time"].as_i64().unwrap(), p["no"].as_u64().unwrap()));
            }
        }
        let first_chan = chan_times.iter().min().unwrap();
        assert_eq!(first_chan.1, summary.first_4chan_post_no);
        let leak: Value = serde_json::from_reader(
            File::open(dir.join(format!("4chan/pol_{}.json", first_chan.1))).unwrap(),
        )
        .unwrap();
        assert!(
            leak["posts"][0]["com"]
                .as_str()
                .unwrap()
                .contains("pastebin.com")
        );
        assert!(leak["posts"][0]["sub"].is_string());
        let first_tweet_ms = v1_ms(&tweets[0]["created_at"]);
        let gap_min = (first_tweet_ms / 1000 - first_chan.0) as f64 / 60.0;
        assert!((13.0..15.0).contains(&gap_min), "{gap_min}");
        assert!(chan_times.iter().any(|t| t.0 * 1000 > first_tweet_ms));
    }

    #[test]
    fn snowflake_ids_fit_and_sort() {
        let mut events = vec![
            Event::new(1_494_010_152_000, 0, PostKind::Original, NO_TARGET),
            Event::new(1_494_010_152_000, 1, PostKind::Original, NO_TARGET),
            Event::new(1_494_010_152_001, 2, PostKind::Original, NO_TARGET),
        ];
        assign_tweet_ids(&mut events);
        assert!(events[0].key < events[1].key && events[1].key < events[2].key);
        assert_eq!(events[0].time_ms(), 1_494_010_152_000);
        assert_eq!(
            v1_time(events[2].time_ms()),
            "Fri May 05 18:49:12 +0000 2017"
        );
    }
}
