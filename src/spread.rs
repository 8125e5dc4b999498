//! Stage 2: how the campaign spread — per-platform timelines, first posts and lead-lag,
//! the first tweet's early retweets, URLs that crossed platforms, and the share of posts
//! from suspicious accounts over time (DFRLab's #MacronLeaks reconstruction: the leak on
//! 4chan /pol/, the first tweet 14 minutes later, 15 and 87 retweets of it after 1 and
//! 5 minutes... see DESIGN.md "Spread").

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::{Result, bail};
use polars::prelude::*;

use crate::account_index::AccountIndex;
use crate::ingest::record::RETWEET;
use crate::ingest::text::{iso_seconds, normalise_url};

/// Parses a bin width such as `30s`, `10m`, `1h`, `1d` into milliseconds.
pub fn parse_duration_ms(text: &str) -> Result<i64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| anyhow::anyhow!("`{text}`: expected a number and a unit, e.g. 10m"))?;
    let unit_ms = match unit.trim() {
        "s" | "sec" => 1_000.0,
        "m" | "min" => 60_000.0,
        "h" => 3_600_000.0,
        "d" => 86_400_000.0,
        "w" => 7.0 * 86_400_000.0,
        other => bail!("`{text}`: unknown unit `{other}` (use s, m, h, d or w)"),
    };
    let ms = (value * unit_ms).round() as i64;
    if ms <= 0 {
        bail!("`{text}`: the bin must be longer than zero");
    }
    Ok(ms)
}

/// A duration in the unit a reader takes in at a glance, for the report and the figures:
/// "45 s", "14.1 min" (minutes to `minute_decimals` places), "19.1 h", "12.5 d", then years
/// (of 365.25 days) from two years on, so that leads over a multi-year archive read
/// "11.1 years", not "97051.9 h". The sign is kept.
pub fn duration_text(seconds: f64, minute_decimals: usize) -> String {
    const DAY: f64 = 86_400.0;
    let s = seconds.abs();
    if s < 120.0 {
        format!("{seconds:.0} s")
    } else if s < 7_200.0 {
        format!("{:.*} min", minute_decimals, seconds / 60.0)
    } else if s < 2.0 * DAY {
        format!("{:.1} h", seconds / 3_600.0)
    } else if s < 730.0 * DAY {
        format!("{:.1} d", seconds / DAY)
    } else {
        format!("{:.1} years", seconds / (365.25 * DAY))
    }
}

/// Most bins a timeline may have; a wider bin is chosen beyond it (data spanning years at
/// minute bins would otherwise make millions of empty rows). Figures sum bins into at most
/// 500 steps on their own (`figures::display_bin_ms`), so this bounds only the table:
/// six years of hourly bins (52,560) stay as asked.
pub const MAX_BINS: i64 = 100_000;

/// Bin widths tried, in order, when the requested one gives more than [`MAX_BINS`] bins.
const NICE_BINS_MS: &[i64] = &[
    60_000,
    300_000,
    600_000,
    1_800_000,
    3_600_000,
    10_800_000,
    21_600_000,
    43_200_000,
    86_400_000,
    604_800_000,
    2_592_000_000,
    31_536_000_000,
];

/// The requested bin, or the first nice width at least as wide that keeps the timeline
/// within [`MAX_BINS`].
pub fn effective_bin_ms(requested_ms: i64, span_ms: i64) -> i64 {
    if span_ms / requested_ms < MAX_BINS {
        return requested_ms;
    }
    NICE_BINS_MS
        .iter()
        .copied()
        .find(|&w| w >= requested_ms && span_ms / w < MAX_BINS)
        .unwrap_or_else(|| span_ms / MAX_BINS + 1)
}

/// The bin a computed spread used (the requested one, widened for long spans).
pub fn effective_bin_ms_of(spread: &Spread) -> i64 {
    (spread.summary.bin_s * 1000.0).round() as i64
}

/// Suspicion scores to split posts by, from the score stage.
pub struct Suspicion<'a> {
    /// Score per account, keyed by (platform, account_id).
    pub scores: &'a HashMap<crate::account_index::AccountKey, f64>,
    /// Accounts scoring at or above this count as suspicious.
    pub threshold: f64,
}

impl Suspicion<'_> {
    /// Whether each account of `index` (by rank) scores at or above the threshold.
    pub fn flags(&self, index: &AccountIndex<'_>) -> Vec<bool> {
        let mut flags = vec![false; index.len()];
        for (key, score) in self.scores {
            let key = (key.platform.as_str(), key.account_id.as_str());
            if *score >= self.threshold
                && let Ok(rank) = index.keys.binary_search(&key)
            {
                flags[rank] = true;
            }
        }
        flags
    }
}

/// The earliest post of one platform in the data.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FirstPost {
    /// The platform (`twitter`, `4chan`, …).
    pub platform: String,
    /// Time of the post (ISO 8601 UTC, to the second).
    pub at: String,
    /// Time of the post, in Unix ms.
    pub at_ms: i64,
    /// The post's id on its platform.
    pub post_id: String,
    /// Author's account id, when known.
    pub author_id: Option<String>,
    /// Author's handle, when known.
    pub author_handle: Option<String>,
    /// Kind of post (`original`, `retweet`, …).
    pub kind: String,
    /// Its text, cut to the first 280 characters.
    pub text: Option<String>,
}

/// Which of two platforms came first, and how their per-bin counts line up.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LeadLag {
    /// Platform whose first post came first.
    pub leader: String,
    /// Platform whose first post came later.
    pub follower: String,
    /// Seconds from the leader's first post to the follower's.
    pub first_post_lead_s: f64,
    /// Lag (in bins, positive = follower later) that maximises the correlation of the two
    /// platforms' per-bin counts, within ±24 bins; null when either series is flat.
    pub xcorr_lag_bins: Option<i64>,
    /// Pearson correlation (−1 to 1) of the per-bin counts at that lag; null when either
    /// series is flat or has fewer than 3 bins.
    pub xcorr: Option<f64>,
}

/// The first tweet that is not a retweet, and how fast it was retweeted.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FirstTweetCascade {
    /// The tweet's id.
    pub post_id: String,
    /// Its author's handle, when known.
    pub author_handle: Option<String>,
    /// Time of the tweet (ISO 8601 UTC, to the second).
    pub at: String,
    /// Retweets of it in the data within 1, 5 and 60 minutes (DFRLab counted 15 and 87 at
    /// 1 and 5 minutes for the first #MacronLeaks tweet).
    pub retweets_after_1_min: u64,
    /// Retweets of it in the data within 5 minutes (count).
    pub retweets_after_5_min: u64,
    /// Retweets of it in the data within 60 minutes (count).
    pub retweets_after_60_min: u64,
    /// Retweets of it in the data with a time, at any delay (count).
    pub retweets_total: u64,
}

/// How much one platform carried, and when it peaked.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PlatformVolume {
    /// The platform (`twitter`, `4chan`, …).
    pub platform: String,
    /// Posts on the platform with a time (count).
    pub posts: u64,
    /// Distinct authors of those posts (count).
    pub accounts: u64,
    /// Start of the bin with the most posts (ISO 8601 UTC; the earliest on a tie).
    pub peak_bin: Option<String>,
    /// Posts in that bin (count).
    pub peak_posts: u64,
    /// Seconds from the platform's first post until half of its posts were made.
    pub time_to_half_s: Option<f64>,
}

/// A URL posted on two or more platforms.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CrossPlatformUrl {
    /// The URL, normalised.
    pub url: String,
    /// First time seen per platform (ISO 8601 UTC).
    pub first_seen: BTreeMap<String, String>,
    /// Times it was posted, all platforms together (count).
    pub posts: u64,
}

/// What `summary.json` and the report say about the spread.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SpreadSummary {
    /// Width of the timeline bins, in s (the requested width, or a wider one for long spans).
    pub bin_s: f64,
    /// The bin asked for, when the data's span forced a wider one (see [`MAX_BINS`]).
    pub requested_bin_s: Option<f64>,
    /// First post of each platform, earliest first.
    pub first_posts: Vec<FirstPost>,
    /// One entry per pair of platforms, the leader being the one that posted first.
    pub lead_lag: Vec<LeadLag>,
    /// The first original tweet and its retweets; null without one.
    pub first_tweet: Option<FirstTweetCascade>,
    /// Volume per platform, platforms in alphabetical order.
    pub platforms: Vec<PlatformVolume>,
    /// URLs seen on two or more platforms, most posted first (at most 50).
    pub cross_platform_urls: Vec<CrossPlatformUrl>,
    /// Share of all posts made by accounts at or above the suspicion threshold.
    pub suspicious_share: Option<f64>,
    /// The score threshold `suspicious_share` used; null without scores.
    pub suspicion_threshold: Option<f64>,
}

/// Per-bin table and summary.
pub struct Spread {
    /// `spread.csv`: bin_start, platform, posts, accounts, new_accounts, cumulative_posts,
    /// suspicious_posts, suspicious_share.
    pub bins: DataFrame,
    /// First posts, lead-lag, the first tweet, volumes and cross-platform URLs.
    pub summary: SpreadSummary,
    /// The first hours around the first posts at fine resolution (for the zoomed panel of
    /// the spread figure), whatever the bin width of the timeline.
    pub early: Option<EarlyWindow>,
}

/// Cumulative posts per platform over the window around the first posts, in steps of
/// `step_ms`: `cumulative[p][k]` counts the platform's posts before
/// `start_ms + (k + 1) * step_ms`.
#[derive(Debug, Clone, PartialEq)]
pub struct EarlyWindow {
    /// Start of the window, in Unix ms (a whole multiple of `step_ms`).
    pub start_ms: i64,
    /// End of the window (exclusive), in Unix ms.
    pub end_ms: i64,
    /// Width of a step, in ms.
    pub step_ms: i64,
    /// Per platform (alphabetical): its name and cumulative post count at the end of each step.
    pub cumulative: Vec<(String, Vec<u64>)>,
}

/// Steps for the early window: the finest that keeps it within [`EARLY_MAX_STEPS`].
const EARLY_STEPS_MS: &[i64] = &[
    1_000, 5_000, 10_000, 30_000, 60_000, 300_000, 600_000, 1_800_000, 3_600_000, 10_800_000,
    21_600_000, 43_200_000, 86_400_000,
];
const EARLY_MAX_STEPS: i64 = 1_000;

/// The window a reader needs to see who came first: from a little before the earliest first
/// post to well after the latest one (at least 3 hours, the span in which #MacronLeaks went
/// from 4chan to ~47,000 tweets; at least twice the gap between first posts), clipped to
/// the data. `None` without posts.
pub fn early_window(first_ms: &[i64], data_end_ms: i64) -> Option<(i64, i64, i64)> {
    let (lo, hi) = (*first_ms.iter().min()?, *first_ms.iter().max()?);
    let gap = hi - lo;
    let before = (gap / 10).max(5 * 60_000);
    let after = (2 * gap).max(3 * 3_600_000);
    let start = lo - before;
    let end = (hi + after)
        .min(data_end_ms.max(hi) + before)
        .max(start + 60_000);
    let step = EARLY_STEPS_MS
        .iter()
        .copied()
        .find(|s| (end - start) / s <= EARLY_MAX_STEPS)
        .unwrap_or((end - start) / EARLY_MAX_STEPS + 1);
    let start = start.div_euclid(step) * step;
    let end = start + ((end - start) + step - 1) / step * step;
    Some((start, end, step))
}

struct Row<'a> {
    platform: &'a str,
    /// The author's rank in the posts' [`AccountIndex`]: accounts are counted on integers.
    account: Option<u32>,
    time_ms: i64,
}

#[derive(Default, Clone)]
struct Bin {
    posts: u64,
    accounts: foldhash::HashSet<u32>,
    new_accounts: u64,
    suspicious: u64,
}

/// Pearson correlation of `a[t]` with `b[t + lag]`.
fn lagged_correlation(a: &[f64], b: &[f64], lag: i64) -> Option<f64> {
    let pairs: Vec<(f64, f64)> = (0..a.len() as i64)
        .filter_map(|t| {
            let u = t + lag;
            (u >= 0 && (u as usize) < b.len()).then(|| (a[t as usize], b[u as usize]))
        })
        .collect();
    if pairs.len() < 3 {
        return None;
    }
    let n = pairs.len() as f64;
    let (ma, mb) = (
        pairs.iter().map(|p| p.0).sum::<f64>() / n,
        pairs.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let cov: f64 = pairs.iter().map(|p| (p.0 - ma) * (p.1 - mb)).sum();
    let va: f64 = pairs.iter().map(|p| (p.0 - ma).powi(2)).sum();
    let vb: f64 = pairs.iter().map(|p| (p.1 - mb).powi(2)).sum();
    (va > 0.0 && vb > 0.0).then(|| cov / (va * vb).sqrt())
}

/// The first post of each platform, in the order of the rows (`posts` comes sorted by time
/// from ingest), with its text cut to 280 characters. Apart from [`compute`] so that `run`
/// can take it while the text is still in memory (see [`crate::languages::PostLanguages`]).
pub fn first_posts(posts: &DataFrame) -> Result<Vec<FirstPost>> {
    let platform = posts.column("platform")?.str()?;
    let author = posts.column("author_id")?.str()?;
    let handle = posts.column("author_handle")?.str()?;
    let post_id = posts.column("post_id")?.str()?;
    let kind = posts.column("kind")?.str()?;
    let text = posts.column("text")?.str()?;
    let times = crate::columns::times_ms(posts, "created_at")?;
    let mut first_posts: Vec<FirstPost> = Vec::new();
    for (i, &time) in times.iter().enumerate() {
        let (Some(p), Some(t)) = (platform.get(i), time) else {
            continue;
        };
        if first_posts.iter().any(|f| f.platform == p) {
            continue;
        }
        first_posts.push(FirstPost {
            platform: p.to_string(),
            at: iso_seconds(t).unwrap_or_default(),
            at_ms: t,
            post_id: post_id.get(i).unwrap_or_default().to_string(),
            author_id: author.get(i).map(str::to_string),
            author_handle: handle.get(i).map(str::to_string),
            kind: kind.get(i).unwrap_or_default().to_string(),
            text: text.get(i).map(|s| s.chars().take(280).collect()),
        });
    }
    Ok(first_posts)
}

/// Computes the spread tables from the posts (sorted by time, as ingest writes them);
/// `index` numbers their authors ([`AccountIndex::build`] of the same table) and
/// `first_posts` are [`first_posts`] of the same table.
pub fn compute(
    posts: &DataFrame,
    index: &AccountIndex<'_>,
    bin_ms: i64,
    suspicion: Option<&Suspicion<'_>>,
    first_posts: Vec<FirstPost>,
) -> Result<Spread> {
    let platform = posts.column("platform")?.str()?;
    let handle = posts.column("author_handle")?.str()?;
    let post_id = posts.column("post_id")?.str()?;
    anyhow::ensure!(
        index.rank_of_row.len() == posts.height(),
        "the account index has {} rows, the posts table {}: build it from the same table",
        index.rank_of_row.len(),
        posts.height()
    );
    let kind = posts.column("kind")?.str()?;
    let parent = posts.column("parent_post_id")?.str()?;
    let urls = crate::columns::StringLists::new(posts.column("urls")?)?;
    let times = crate::columns::times_ms(posts, "created_at")?;

    let rows: Vec<Row> = (0..posts.height())
        .filter_map(|i| {
            Some(Row {
                platform: platform.get(i)?,
                account: index.rank_of_row[i],
                time_ms: times[i]?,
            })
        })
        .collect();
    let start_ms = rows.iter().map(|r| r.time_ms).min().unwrap_or(0);
    let end_ms = rows.iter().map(|r| r.time_ms).max().unwrap_or(0);
    let requested_bin_ms = bin_ms;
    let bin_ms = effective_bin_ms(bin_ms, end_ms - start_ms);
    // Bins start at whole multiples of the bin width (10-minute bins at :00, :10, ...).
    let bin_of = |t: i64| t.div_euclid(bin_ms) * bin_ms;

    // Per platform, per bin.
    let suspicious_accounts: Option<Vec<bool>> = suspicion.map(|s| s.flags(index));
    // Hashed: only looked up by key and scanned for platforms and the time range (a
    // B-tree compared platform strings on every row).
    let mut bins: foldhash::HashMap<(&str, i64), Bin> = Default::default();
    let mut seen_accounts = vec![false; index.len()];
    let mut suspicious_total = 0u64;
    for row in &rows {
        let bin = bins.entry((row.platform, bin_of(row.time_ms))).or_default();
        bin.posts += 1;
        if let Some(account) = row.account {
            bin.accounts.insert(account);
            if !std::mem::replace(&mut seen_accounts[account as usize], true) {
                bin.new_accounts += 1;
            }
            if suspicious_accounts
                .as_ref()
                .is_some_and(|flags| flags[account as usize])
            {
                bin.suspicious += 1;
                suspicious_total += 1;
            }
        }
    }
    let platforms: Vec<&str> = bins
        .keys()
        .map(|(p, _)| *p)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let (first_bin, last_bin) = (
        bins.keys().map(|k| k.1).min().unwrap_or(0),
        bins.keys().map(|k| k.1).max().unwrap_or(0),
    );
    let bin_starts: Vec<i64> = if rows.is_empty() {
        Vec::new()
    } else {
        (0..=((last_bin - first_bin) / bin_ms))
            .map(|k| first_bin + k * bin_ms)
            .collect()
    };

    // Dense per-bin table: every platform has every bin, so curves and CSVs line up.
    let mut table = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    let mut counts: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut volumes = Vec::new();
    for p in &platforms {
        let mut cumulative = 0u64;
        let mut series = Vec::with_capacity(bin_starts.len());
        let mut peak: Option<(i64, u64)> = None;
        for &b in &bin_starts {
            let empty = Bin::default();
            let bin = bins.get(&(*p, b)).unwrap_or(&empty);
            cumulative += bin.posts;
            if peak.is_none_or(|(_, n)| bin.posts > n) {
                peak = Some((b, bin.posts));
            }
            series.push(bin.posts as f64);
            table.0.push(b);
            table.1.push(p.to_string());
            table.2.push(bin.posts);
            table.3.push(bin.accounts.len() as u64);
            table.4.push(bin.new_accounts);
            table.5.push(cumulative);
            table.6.push(suspicion.map(|_| bin.suspicious));
            table.7.push(
                suspicion.and_then(|_| {
                    (bin.posts > 0).then(|| bin.suspicious as f64 / bin.posts as f64)
                }),
            );
        }
        let platform_rows: Vec<&Row> = rows.iter().filter(|r| r.platform == *p).collect();
        let half = platform_rows
            .get(platform_rows.len().saturating_sub(1) / 2)
            .map(|r| r.time_ms);
        let accounts: foldhash::HashSet<u32> =
            platform_rows.iter().filter_map(|r| r.account).collect();
        volumes.push(PlatformVolume {
            platform: p.to_string(),
            posts: platform_rows.len() as u64,
            accounts: accounts.len() as u64,
            peak_bin: peak.map(|(b, _)| iso_seconds(b).unwrap_or_default()),
            peak_posts: peak.map_or(0, |(_, n)| n),
            time_to_half_s: match (platform_rows.first(), half) {
                (Some(first), Some(half)) => Some((half - first.time_ms) as f64 / 1000.0),
                _ => None,
            },
        });
        counts.insert(p.to_string(), series);
    }
    let datetime = DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC));
    let bins_df = DataFrame::new(
        table.0.len(),
        vec![
            Column::new("bin_start".into(), table.0).cast(&datetime)?,
            Column::new("platform".into(), table.1),
            Column::new("posts".into(), table.2),
            Column::new("accounts".into(), table.3),
            Column::new("new_accounts".into(), table.4),
            Column::new("cumulative_posts".into(), table.5),
            Column::new("suspicious_posts".into(), table.6),
            Column::new(
                "suspicious_share".into(),
                table
                    .7
                    .into_iter()
                    .map(|v| v.map(|x| crate::rounding::rounded(x, crate::rounding::MICRO)))
                    .collect::<Vec<_>>(),
            ),
        ],
    )?;

    let mut lead_lag = Vec::new();
    for (i, leader) in first_posts.iter().enumerate() {
        for follower in &first_posts[i + 1..] {
            let (a, b) = (&counts[&leader.platform], &counts[&follower.platform]);
            let best = (-24..=24)
                .filter_map(|lag| lagged_correlation(a, b, lag).map(|r| (lag, r)))
                .max_by(|x, y| x.1.total_cmp(&y.1).then_with(|| y.0.abs().cmp(&x.0.abs())));
            lead_lag.push(LeadLag {
                leader: leader.platform.clone(),
                follower: follower.platform.clone(),
                first_post_lead_s: (follower.at_ms - leader.at_ms) as f64 / 1000.0,
                xcorr_lag_bins: best.map(|b| b.0),
                xcorr: best.map(|b| crate::rounding::rounded(b.1, crate::rounding::MICRO)),
            });
        }
    }

    // The first tweet that is not itself a retweet, and its retweets in the data.
    let first_tweet = (0..posts.height()).find(|&i| {
        platform.get(i) == Some(crate::ingest::record::TWITTER) && kind.get(i) != Some(RETWEET)
    });
    let first_tweet = first_tweet.map(|i| {
        let id = post_id.get(i).unwrap_or_default();
        let t0 = times[i].unwrap_or(0);
        let delays: Vec<i64> = (0..posts.height())
            .filter(|&j| kind.get(j) == Some(RETWEET) && parent.get(j) == Some(id))
            .filter_map(|j| times[j].map(|t| t - t0))
            .collect();
        let within = |ms: i64| delays.iter().filter(|&&d| d <= ms).count() as u64;
        FirstTweetCascade {
            post_id: id.to_string(),
            author_handle: handle.get(i).map(str::to_string),
            at: iso_seconds(t0).unwrap_or_default(),
            retweets_after_1_min: within(60_000),
            retweets_after_5_min: within(300_000),
            retweets_after_60_min: within(3_600_000),
            retweets_total: delays.len() as u64,
        }
    });

    // URLs seen on two or more platforms, first seen on each: counted in a hash map (a
    // B-tree of every URL, with a platform string made per occurrence, was a fifth of the
    // stage); the order is set by the sort below, a total order (URLs are unique).
    let mut url_seen: foldhash::HashMap<String, (BTreeMap<&str, i64>, u64)> = Default::default();
    for (i, &time) in times.iter().enumerate() {
        let (Some(p), Some(t)) = (platform.get(i), time) else {
            continue;
        };
        for url in urls.row(i) {
            let entry = url_seen.entry(normalise_url(url)).or_default();
            let first = entry.0.entry(p).or_insert(t);
            *first = (*first).min(t);
            entry.1 += 1;
        }
    }
    let mut cross_platform_urls: Vec<CrossPlatformUrl> = url_seen
        .into_iter()
        .filter(|(_, (platforms, _))| platforms.len() >= 2)
        .map(|(url, (platforms, posts))| CrossPlatformUrl {
            url,
            first_seen: platforms
                .into_iter()
                .map(|(p, t)| (p.to_string(), iso_seconds(t).unwrap_or_default()))
                .collect(),
            posts,
        })
        .collect();
    cross_platform_urls.sort_by(|a, b| b.posts.cmp(&a.posts).then_with(|| a.url.cmp(&b.url)));
    cross_platform_urls.truncate(50);

    // Cumulative counts over the early window (rows are in time order per platform or not:
    // each post lands in its step, then a prefix sum).
    let early = early_window(
        &first_posts.iter().map(|f| f.at_ms).collect::<Vec<_>>(),
        end_ms,
    )
    .map(|(start, end, step)| {
        let steps = ((end - start) / step) as usize;
        let cumulative = platforms
            .iter()
            .map(|p| {
                let mut per_step = vec![0u64; steps];
                for row in rows.iter().filter(|r| r.platform == *p) {
                    if row.time_ms < end {
                        let k = ((row.time_ms - start).max(0) / step) as usize;
                        per_step[k.min(steps - 1)] += 1;
                    }
                }
                let mut total = 0;
                for n in &mut per_step {
                    total += *n;
                    *n = total;
                }
                (p.to_string(), per_step)
            })
            .collect();
        EarlyWindow {
            start_ms: start,
            end_ms: end,
            step_ms: step,
            cumulative,
        }
    });

    Ok(Spread {
        early,
        bins: bins_df,
        summary: SpreadSummary {
            bin_s: bin_ms as f64 / 1000.0,
            requested_bin_s: (requested_bin_ms != bin_ms)
                .then_some(requested_bin_ms as f64 / 1000.0),
            first_posts,
            lead_lag,
            first_tweet,
            platforms: volumes,
            cross_platform_urls,
            suspicious_share: suspicion.map(|_| {
                if rows.is_empty() {
                    0.0
                } else {
                    suspicious_total as f64 / rows.len() as f64
                }
            }),
            suspicion_threshold: suspicion.map(|s| s.threshold),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn early_window_frames_the_first_posts() {
        const MIN: i64 = 60_000;
        let t0 = 1_494_009_300_000; // 2017-05-05 18:35 UTC
        // 4chan at t0, Twitter 14 minutes later, data for four days.
        let (start, end, step) = early_window(&[t0, t0 + 14 * MIN], t0 + 4 * 1440 * MIN).unwrap();
        assert!(start <= t0 - 5 * MIN && start > t0 - 6 * MIN, "{start}");
        assert!(end >= t0 + 14 * MIN + 3 * 60 * MIN && end < t0 + 4 * 60 * MIN);
        assert_eq!(step, 30_000);
        // The two first posts fall far apart across the window (≥ 5% of its width).
        let frac = |t: i64| (t - start) as f64 / (end - start) as f64;
        assert!(frac(t0 + 14 * MIN) - frac(t0) > 0.05);
        // Data ending sooner clips the window; a slow spread widens it.
        let (_, end2, _) = early_window(&[t0], t0 + 30 * MIN).unwrap();
        assert!(end2 <= t0 + 36 * MIN);
        let (s3, e3, step3) =
            early_window(&[t0, t0 + 2 * 1440 * MIN], t0 + 30 * 1440 * MIN).unwrap();
        assert!(e3 - s3 >= 6 * 1440 * MIN && (e3 - s3) / step3 <= 1000);
        assert!(early_window(&[], 0).is_none());
    }

    #[test]
    fn bins_widen_for_long_spans() {
        assert_eq!(effective_bin_ms(600_000, 48 * 3_600_000), 600_000);
        let six_years = 6 * 31_536_000_000;
        assert_eq!(effective_bin_ms(3_600_000, six_years), 3_600_000);
        let eight_years = 8 * 31_536_000_000;
        let widened = effective_bin_ms(60_000, eight_years);
        assert!(eight_years / widened < MAX_BINS && widened >= 3_600_000);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("10m").unwrap(), 600_000);
        assert_eq!(parse_duration_ms("1h").unwrap(), 3_600_000);
        assert_eq!(parse_duration_ms("30s").unwrap(), 30_000);
        assert!(parse_duration_ms("10").is_err());
        assert!(parse_duration_ms("0m").is_err());
    }

    #[test]
    fn durations_in_the_unit_a_reader_takes_in() {
        // The report's minutes, to one place.
        let cases = [
            (45.0, "45 s"),
            (846.0, "14.1 min"),
            (68_760.0, "19.1 h"),
            (172_799.0, "48.0 h"),
            (172_800.0, "2.0 d"),
            (1_080_000.0, "12.5 d"),
            (63_071_999.0, "730.0 d"),
            (63_115_200.0, "2.0 years"),
            (349_386_840.0, "11.1 years"),
            (-846.0, "-14.1 min"),
            (-350_000_000.0, "-11.1 years"),
        ];
        for (seconds, text) in cases {
            assert_eq!(duration_text(seconds, 1), text, "{seconds} s");
        }
        // The figures' whole minutes.
        let cases = [
            (45.0, "45 s"),
            (846.0, "14 min"),
            (9_000.0, "2.5 h"),
            (172_800.0, "2.0 d"),
            (349_386_840.0, "11.1 years"),
        ];
        for (seconds, text) in cases {
            assert_eq!(duration_text(seconds, 0), text, "{seconds} s");
        }
        // The figures pass a lead's magnitude: its direction is in the words around it.
        assert_eq!(duration_text(f64::abs(-846.0), 0), "14 min");
    }

    #[test]
    fn correlation_finds_the_lag() {
        let a = [0.0, 1.0, 5.0, 2.0, 0.0, 0.0, 0.0, 0.0];
        let b = [0.0, 0.0, 0.0, 1.0, 5.0, 2.0, 0.0, 0.0];
        let best = (-3..=3)
            .filter_map(|lag| lagged_correlation(&a, &b, lag).map(|r| (lag, r)))
            .max_by(|x, y| x.1.total_cmp(&y.1))
            .unwrap();
        assert_eq!(best.0, 2);
    }
}
