//! `summary.json` (stable keys, documented in README) and `report.md`, a report that reads
//! on its own: data quality, spread, suspicious accounts with reasons, coordination, the
//! amplification network, methods with sources, limitations.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::Result;
use polars::prelude::*;
use serde::Serialize;

use crate::coordination::{CoordOptions, CoordSummary};
use crate::features::SIGNALS;
use crate::graph::{GraphOptions, GraphSummary};
use crate::ingest::IngestReport;
use crate::languages::{LanguageSummary, language_name};
use crate::score::ScoredAccount;
use crate::spread::{SpreadSummary, duration_text};

/// The dataset and its data quality (`dataset` in `summary.json`), from the ingest report.
#[derive(Debug, Clone, Serialize)]
pub struct DatasetSummary {
    /// Input files read (count).
    pub files_read: usize,
    /// Paths of files in input folders passed over as not posts.
    pub files_refused: Vec<String>,
    /// Input records met in all files (count).
    pub records_read: u64,
    /// Posts kept: unique (platform, post_id) pairs (count).
    pub posts: u64,
    /// Repeats of a (platform, post_id) already seen, dropped (count).
    pub duplicates: u64,
    /// Posts dropped by `--tag`, `--since` or `--until` (count).
    pub filtered_out: u64,
    /// Records that gave no post (count).
    pub skipped: u64,
    /// Skipped records by reason (`invalid JSON`, `delete notice`, …).
    pub skipped_by_reason: BTreeMap<String, u64>,
    /// Accounts in the accounts table (count).
    pub accounts: u64,
    /// Posts per platform.
    pub posts_by_platform: BTreeMap<String, u64>,
    /// Posts per kind (`original`, `retweet`, …).
    pub posts_by_kind: BTreeMap<String, u64>,
    /// Time of the earliest post (ISO 8601 UTC, to the second); null without posts.
    pub first_post_at: Option<String>,
    /// Time of the latest post (ISO 8601 UTC, to the second); null without posts.
    pub last_post_at: Option<String>,
}

/// One of the highest-scoring accounts in `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct TopAccount {
    /// Rank by score among all scored accounts, from 1.
    pub rank: usize,
    /// The account's platform.
    pub platform: String,
    /// The account's id on its platform.
    pub account_id: String,
    /// The account's handle, when known.
    pub handle: Option<String>,
    /// Combined score (0–1, rounded to 6 decimals): a ranking, not a probability.
    pub score: f64,
    /// Posts by the account in the data (count).
    pub posts: u32,
    /// The strongest reasons (at most `score::MAX_REASONS`), strongest first.
    pub reasons: Vec<String>,
    /// Coordination cluster the account belongs to, if any.
    pub cluster_id: Option<u32>,
}

/// The scores (`scores` in `summary.json`).
#[derive(Debug, Clone, Serialize)]
pub struct ScoreSummary {
    /// Accounts scored (count).
    pub accounts_scored: usize,
    /// Score at or above which an account counts as suspicious.
    pub threshold: f64,
    /// Accounts scoring at or above `threshold` (count).
    pub accounts_at_or_above_threshold: usize,
    /// Weight of every signal in this run.
    pub weights: BTreeMap<String, f64>,
    /// The 20 highest-scoring accounts, whatever their number of posts.
    pub top_accounts: Vec<TopAccount>,
}

/// One coordination cluster, as in `clusters.csv`.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterRow {
    /// The cluster's id (clusters are numbered largest first).
    pub cluster_id: u32,
    /// Member accounts (count).
    pub size: u32,
    /// Kinds of object the members shared, `;`-separated.
    pub object_kinds: String,
    /// Up to three objects shared by the most members, each with its member count,
    /// ` | `-separated.
    pub example_objects: String,
}

/// The coordination (`coordination` in `summary.json`).
#[derive(Debug, Clone, Serialize)]
pub struct CoordinationSummary {
    /// Clusters found (count).
    pub clusters: usize,
    /// Accounts in any cluster (count).
    pub accounts_in_clusters: usize,
    /// Accounts in the largest cluster (0 without clusters).
    pub largest_cluster: usize,
    /// Significant edges summed over every sweep (count).
    pub significant_edges: usize,
    /// Settings and per-sweep counts of the coordination stage.
    pub details: CoordSummary,
    /// The first ten rows of `clusters.csv`: the largest clusters.
    pub top_clusters: Vec<ClusterRow>,
}

/// "English 62.0 %, French 30.1 %, ..." for (code, count) pairs.
fn language_mix(languages: &[(String, u64)], counted: u64) -> String {
    languages
        .iter()
        .take(4)
        .map(|(code, n)| {
            format!(
                "{} {:.0} %",
                language_name(code),
                100.0 * *n as f64 / counted.max(1) as f64
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Options as recorded in `manifest.json` and `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct RecordedOptions {
    /// `--tag` values as given; empty when posts are not filtered by tag.
    pub tags: Vec<String>,
    /// `--since`, in Unix ms (posts at or after it kept); null when unset.
    pub since_ms: Option<i64>,
    /// `--until`, in Unix ms (posts before it kept); null when unset.
    pub until_ms: Option<i64>,
    /// Format forced with `--format` (`twitter-v1`, …); null when recognised per file.
    pub format: Option<&'static str>,
    /// Whether any skipped record or unrecognised file fails the run (`--strict`).
    pub strict: bool,
    /// Requested width of the timeline bins, in s (the one used is in the spread summary).
    pub bin_s: f64,
    /// Time zone of the figures' time axis (IANA name).
    pub time_zone: String,
    /// Score at or above which an account counts as suspicious.
    pub threshold: f64,
    /// Fewest posts an account needs to be listed in `suspicious_accounts.csv`.
    pub min_posts: u32,
    /// Most accounts listed in `suspicious_accounts.csv`; null lists them all.
    pub top: Option<usize>,
    /// Path of the `--weights` file; null with the default weights.
    pub weights_file: Option<String>,
    /// Path of the `--calibrate` labels file; left out when not calibrated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calibrate: Option<String>,
    /// Settings of the coordination stage.
    pub coordination: CoordOptions,
    /// Settings of the amplification network.
    pub graph: GraphOptions,
}

/// "## Languages and origin": who carried the tag, by language and 4chan country flag.
fn languages_markdown(md: &mut String, l: &LanguageSummary) {
    let _ = writeln!(md, "## Languages and origin\n");
    let _ = writeln!(
        md,
        "Language as tagged in the export for {} posts, identified from the text (whatlang) for {}, undetermined for {} (text too short or identification unreliable). A retweet counts in its retweeter's language (that of most of the account's own posts), not the original's. Profile locations and time zones are not used.\n",
        l.from_export, l.identified_from_text, l.undetermined
    );
    if l.languages.is_empty() {
        let _ = writeln!(md, "No posts.\n");
        return;
    }
    let _ = writeln!(md, "![languages over time](languages.png)\n");
    for switch in &l.majority_switches {
        let _ = writeln!(
            md,
            "- Majority language on {}: {} → {} around {} (change point of the language sequence; in the {} bin starting {}).",
            if switch.platform == "all" {
                "all platforms together".to_string()
            } else {
                switch.platform.clone()
            },
            language_name(&switch.from),
            language_name(&switch.to),
            switch.at,
            duration_text(switch.bin_s, 1),
            switch.bin_start
        );
    }
    if l.majority_switches.is_empty() {
        let _ = writeln!(
            md,
            "- The majority language did not change (change point of the language sequence, at least 100 posts of known language on each side and a 20-point drop of the first language's share)."
        );
    }
    for (first, early) in l.first_posts.iter().zip(&l.early_amplifiers) {
        let _ = writeln!(
            md,
            "- {}: first {} posts: {}; first {} accounts (each by its majority language): {}.",
            first.platform,
            first.counted,
            language_mix(&first.languages, first.counted),
            early.counted,
            language_mix(&early.languages, early.counted)
        );
    }
    let scored = l.languages.iter().any(|g| g.suspicious_share.is_some());
    let _ = writeln!(
        md,
        "\n| language | posts | share | accounts |{}\n|---|---|---|---|{}",
        if scored {
            " from suspected accounts |"
        } else {
            ""
        },
        if scored { "---|" } else { "" }
    );
    for g in l.languages.iter().take(10) {
        let _ = writeln!(
            md,
            "| {} ({}) | {} | {:.1} % | {} |{}",
            cell(&g.name),
            cell(&g.code),
            g.posts,
            100.0 * g.share,
            g.accounts,
            g.suspicious_share
                .map(|s| format!(" {:.1} % |", 100.0 * s))
                .unwrap_or_default()
        );
    }
    if !l.countries.is_empty() {
        let _ = writeln!(
            md,
            "\n4chan country flags (posts with a flag):\n\n| flag | posts | share |\n|---|---|---|"
        );
        for g in l.countries.iter().take(10) {
            let _ = writeln!(
                md,
                "| {} | {} | {:.1} % |",
                cell(&g.code),
                g.posts,
                100.0 * g.share
            );
        }
    }
    let _ = writeln!(
        md,
        "\nPer bin, platform and language (and country flag): `languages.csv`.\n"
    );
}

/// `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Always `tagscope`.
    pub tool: &'static str,
    /// tagscope's version (from `Cargo.toml`).
    pub version: &'static str,
    /// What the run is about, as in the report's title (`run`: the tags, or `All posts`).
    pub subject: String,
    /// The options of the run.
    pub options: RecordedOptions,
    /// The dataset and its data quality.
    pub dataset: DatasetSummary,
    /// How the posts spread across platforms and time.
    pub spread: SpreadSummary,
    /// Languages and 4chan country flags of the posts.
    pub languages: LanguageSummary,
    /// The scores and the highest-scoring accounts.
    pub scores: ScoreSummary,
    /// Coordination clusters and sweeps.
    pub coordination: CoordinationSummary,
    /// The amplification network.
    pub graph: GraphSummary,
    /// With `--calibrate` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calibration: Option<crate::calibrate::CalibrationSummary>,
}

/// What [`summarise`] builds the summary from: the results of every stage.
pub struct Parts<'a> {
    /// What the run is about, for the report's title.
    pub subject: &'a str,
    /// The options of the run.
    pub options: RecordedOptions,
    /// The ingest report.
    pub ingest: &'a IngestReport,
    /// The scores' summary ([`score_summary`]).
    pub scores: ScoreSummary,
    /// The coordination stage's summary.
    pub coordination: &'a CoordSummary,
    /// The clusters table (`clusters.csv`), largest cluster first.
    pub clusters: &'a DataFrame,
    /// The amplification network's summary.
    pub graph: GraphSummary,
    /// The spread summary.
    pub spread: SpreadSummary,
    /// The language summary.
    pub languages: LanguageSummary,
    /// The calibration report, with `--calibrate` only.
    pub calibration: Option<&'a crate::calibrate::CalibrationReport>,
}

/// The scores' part of the summary: counts and the 20 highest-scored accounts of `scored`
/// (highest score first, the order `score::score` returns). Built as soon as the scores
/// are, so that `run` can free the scored accounts before the graph stage.
pub fn score_summary(
    scored: &[ScoredAccount],
    threshold: f64,
    weights: &crate::score::Weights,
) -> ScoreSummary {
    ScoreSummary {
        accounts_scored: scored.len(),
        threshold,
        accounts_at_or_above_threshold: scored.iter().filter(|s| s.score >= threshold).count(),
        weights: weights.0.clone(),
        top_accounts: scored
            .iter()
            .take(20)
            .enumerate()
            .map(|(i, s)| TopAccount {
                rank: i + 1,
                platform: s.features.platform.clone(),
                account_id: s.features.account_id.clone(),
                handle: s.features.handle.clone(),
                score: rounded(s.score),
                posts: s.features.posts,
                reasons: s
                    .reasons
                    .iter()
                    .take(crate::score::MAX_REASONS)
                    .cloned()
                    .collect(),
                cluster_id: s.cluster_id,
            })
            .collect(),
    }
}

fn rounded(value: f64) -> f64 {
    crate::rounding::rounded(value, crate::rounding::MICRO)
}

/// Builds `summary.json` from the stages' results: dataset counts from the ingest report,
/// the 20 highest-scoring accounts and the ten largest clusters. An error when the
/// clusters table lacks its columns.
pub fn summarise(parts: Parts<'_>) -> Result<Summary> {
    let ingest = parts.ingest;
    let top_clusters = {
        let c = parts.clusters;
        let ids = c.column("cluster_id")?.u32()?;
        let sizes = c.column("size")?.u32()?;
        let kinds = c.column("object_kinds")?.str()?;
        let examples = c.column("example_objects")?.str()?;
        (0..c.height().min(10))
            .map(|i| ClusterRow {
                cluster_id: ids.get(i).unwrap_or_default(),
                size: sizes.get(i).unwrap_or_default(),
                object_kinds: kinds.get(i).unwrap_or_default().to_string(),
                example_objects: examples.get(i).unwrap_or_default().to_string(),
            })
            .collect()
    };
    Ok(Summary {
        tool: "tagscope",
        version: env!("CARGO_PKG_VERSION"),
        subject: parts.subject.to_string(),
        options: parts.options,
        dataset: DatasetSummary {
            files_read: ingest.files.iter().filter(|f| f.status == "read").count(),
            files_refused: ingest
                .files
                .iter()
                .filter(|f| f.status == "refused")
                .map(|f| f.path.clone())
                .collect(),
            records_read: ingest.records_read,
            posts: ingest.posts,
            duplicates: ingest.duplicates,
            filtered_out: ingest.filtered_out,
            skipped: ingest.skipped,
            skipped_by_reason: ingest.skipped_by_reason.clone(),
            accounts: ingest.accounts,
            posts_by_platform: ingest.posts_by_platform.clone(),
            posts_by_kind: ingest.posts_by_kind.clone(),
            first_post_at: ingest.first_post_at.clone(),
            last_post_at: ingest.last_post_at.clone(),
        },
        spread: parts.spread,
        languages: parts.languages,
        scores: parts.scores,
        coordination: CoordinationSummary {
            clusters: parts.coordination.clusters,
            accounts_in_clusters: parts.coordination.accounts_in_clusters,
            largest_cluster: parts.coordination.largest_cluster,
            significant_edges: parts
                .coordination
                .sweeps
                .iter()
                .map(|s| s.significant_edges)
                .sum(),
            details: parts.coordination.clone(),
            top_clusters,
        },
        graph: parts.graph,
        calibration: parts
            .calibration
            .map(crate::calibrate::CalibrationSummary::of),
    })
}

/// Markdown table cell: no pipes or newlines.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// `report.md`.
pub fn markdown(summary: &Summary) -> String {
    let mut md = String::new();
    let d = &summary.dataset;
    let s = &summary.spread;
    let _ = writeln!(md, "# tagscope report: {}\n", summary.subject);
    let _ = writeln!(
        md,
        "Made by tagscope {} from {} file(s). Same inputs and options give the same tables and figures; `manifest.json` lists the inputs with their SHA-256 and the options.\n",
        summary.version, d.files_read
    );

    let _ = writeln!(md, "## Dataset and data quality\n");
    let _ = writeln!(md, "| | |\n|---|---|");
    let _ = writeln!(md, "| posts | {} |", d.posts);
    for (platform, n) in &d.posts_by_platform {
        let _ = writeln!(md, "| posts on {platform} | {n} |");
    }
    for (kind, n) in &d.posts_by_kind {
        let _ = writeln!(md, "| {kind} posts | {n} |");
    }
    let _ = writeln!(md, "| accounts | {} |", d.accounts);
    let _ = writeln!(
        md,
        "| first / last post | {} / {} |",
        d.first_post_at.as_deref().unwrap_or("–"),
        d.last_post_at.as_deref().unwrap_or("–")
    );
    let _ = writeln!(md, "| input records read | {} |", d.records_read);
    let _ = writeln!(md, "| duplicates removed | {} |", d.duplicates);
    let _ = writeln!(md, "| filtered out (tags, time) | {} |", d.filtered_out);
    let _ = writeln!(md, "| skipped records | {} |", d.skipped);
    let _ = writeln!(md);
    if !d.skipped_by_reason.is_empty() {
        let reasons: Vec<String> = d
            .skipped_by_reason
            .iter()
            .map(|(r, n)| format!("{r}: {n}"))
            .collect();
        let _ = writeln!(
            md,
            "Skipped records by reason: {}. Details and the first offending `file:line` are in `ingest_report.json`.\n",
            reasons.join("; ")
        );
    }
    if !d.files_refused.is_empty() {
        let _ = writeln!(
            md,
            "Files passed over as not posts: {}.\n",
            d.files_refused.join(", ")
        );
    }

    let _ = writeln!(md, "## How it spread\n");
    let _ = writeln!(
        md,
        "![posts per bin by platform](timeline.png)\n\n![cumulative posts by platform](spread.png)\n"
    );
    let _ = writeln!(
        md,
        "| platform | first post (UTC) | author | post | posts | accounts | peak bin | time to half of its posts |\n|---|---|---|---|---|---|---|---|"
    );
    for first in &s.first_posts {
        let volume = s.platforms.iter().find(|p| p.platform == first.platform);
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            first.platform,
            first.at,
            cell(
                first
                    .author_handle
                    .as_deref()
                    .or(first.author_id.as_deref())
                    .unwrap_or("–")
            ),
            cell(&first.post_id),
            volume.map_or(0, |v| v.posts),
            volume.map_or(0, |v| v.accounts),
            volume.and_then(|v| v.peak_bin.clone()).unwrap_or_default(),
            volume
                .and_then(|v| v.time_to_half_s)
                .map(|seconds| duration_text(seconds, 1))
                .unwrap_or_default()
        );
    }
    let _ = writeln!(md);
    if s.first_posts.len() > 2 {
        lead_lag_matrix(&mut md, s);
    }
    for lag in s.lead_lag.iter().filter(|_| s.first_posts.len() <= 2) {
        let _ = writeln!(
            md,
            "- {} posted first, {} before {}{}.",
            lag.leader,
            duration_text(lag.first_post_lead_s, 1),
            lag.follower,
            match (lag.xcorr_lag_bins, lag.xcorr) {
                (Some(bins), Some(r)) if r >= 0.5 => format!(
                    "; per-bin volumes correlate best with {} lagging by {bins} bin(s) of {} (r = {r:.2})",
                    lag.follower,
                    duration_text(s.bin_s, 1)
                ),
                _ => String::new(),
            }
        );
    }
    if let Some(first) = &s.first_tweet {
        let _ = writeln!(
            md,
            "- The first tweet in the data that is not a retweet ({} by @{}, {}) was retweeted {} times within 1 minute, {} within 5 minutes and {} within 60 minutes ({} in all). DFRLab counted 15 and 87 at 1 and 5 minutes for the first #MacronLeaks tweet.",
            first.post_id,
            cell(first.author_handle.as_deref().unwrap_or("?")),
            first.at,
            first.retweets_after_1_min,
            first.retweets_after_5_min,
            first.retweets_after_60_min,
            first.retweets_total
        );
    }
    if !s.cross_platform_urls.is_empty() {
        let _ = writeln!(
            md,
            "\nURLs seen on more than one platform (first seen on each):\n\n| URL | posts | first seen |\n|---|---|---|"
        );
        for url in s.cross_platform_urls.iter().take(10) {
            let seen: Vec<String> = url
                .first_seen
                .iter()
                .map(|(p, t)| format!("{p} {t}"))
                .collect();
            let _ = writeln!(
                md,
                "| {} | {} | {} |",
                cell(&url.url),
                url.posts,
                seen.join("; ")
            );
        }
    }
    let _ = writeln!(md);

    languages_markdown(&mut md, &summary.languages);

    let sc = &summary.scores;
    let _ = writeln!(md, "## Accounts that look automated\n");
    let _ = writeln!(
        md,
        "{} accounts scored; {} at or above {:.2}{}. The score ranks accounts by weighted published signals (see Methods); it is not a probability.\n",
        sc.accounts_scored,
        sc.accounts_at_or_above_threshold,
        sc.threshold,
        s.suspicious_share
            .map(|share| format!(", posting {:.1} % of all posts", share * 100.0))
            .unwrap_or_default()
    );
    let _ = writeln!(
        md,
        "![share of posts from suspected accounts](bot_share.png)\n\n![score distribution](score_distribution.png)\n"
    );
    let _ = writeln!(
        md,
        "| rank | account | posts | score | cluster | reasons |\n|---|---|---|---|---|---|"
    );
    for top in &sc.top_accounts {
        let name = top
            .handle
            .clone()
            .map_or_else(|| top.account_id.clone(), |h| format!("@{h}"));
        let _ = writeln!(
            md,
            "| {} | {} ({}) | {} | {:.3} | {} | {} |",
            top.rank,
            cell(&name),
            top.platform,
            top.posts,
            top.score,
            top.cluster_id.map(|c| c.to_string()).unwrap_or_default(),
            cell(&top.reasons.join("; "))
        );
    }
    let _ = writeln!(
        md,
        "\nEvery account, every signal's value and suspicion: `suspicious_accounts.csv` and `features.parquet`.\n"
    );

    if let Some(calibration) = &summary.calibration {
        md.push_str(&calibration.markdown());
    }

    let c = &summary.coordination;
    let _ = writeln!(md, "## Coordination\n");
    let _ = writeln!(
        md,
        "{} significant co-action edges; {} clusters holding {} accounts (largest {}). Window {} s; an edge needs ≥ {} shared objects and a p-value below {} / candidate pairs against the {:?} null model ({} shuffles).\n",
        c.significant_edges,
        c.clusters,
        c.accounts_in_clusters,
        c.largest_cluster,
        c.details
            .options
            .windows_s
            .first()
            .copied()
            .unwrap_or_default(),
        c.details.options.min_coactions,
        c.details.options.alpha,
        c.details.options.null,
        c.details.options.shuffles
    );
    if !c.top_clusters.is_empty() {
        let _ = writeln!(
            md,
            "| cluster | size | objects | examples |\n|---|---|---|---|"
        );
        for row in &c.top_clusters {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                row.cluster_id,
                row.size,
                cell(&row.object_kinds),
                cell(&row.example_objects)
            );
        }
        let _ = writeln!(
            md,
            "\nMembers and time spans: `coordination/clusters.csv`; significant edges: `coordination/edges.csv`; every candidate edge with its expected count and p-value: `coordination/edges.parquet`.\n"
        );
    }

    let g = &summary.graph;
    let _ = writeln!(md, "## Amplification network\n");
    let _ = writeln!(md, "{} accounts. {}\n", g.nodes, g.edge_direction);
    let layers: Vec<String> = g
        .layers
        .iter()
        .map(|l| {
            format!(
                "{}: {} edges, {} interactions",
                l.layer, l.edges, l.interactions
            )
        })
        .collect();
    let _ = writeln!(
        md,
        "Layers: {}. Retweet layer: {} components of 2+ accounts (largest {}), {} communities, modularity {:.3} ({}).\n",
        layers.join("; "),
        g.retweet_components,
        g.largest_retweet_component,
        g.communities,
        g.modularity,
        g.community_method
    );
    let _ = writeln!(
        md,
        "| top amplifiers (retweets made) | | top amplified (retweets received) | |\n|---|---|---|---|"
    );
    for i in 0..10 {
        let left = g.top_amplifiers.get(i);
        let right = g.top_amplified.get(i);
        if left.is_none() && right.is_none() {
            break;
        }
        let name = |n: Option<&crate::graph::RankedNode>| {
            n.map(|n| {
                cell(
                    &n.handle
                        .clone()
                        .map_or_else(|| n.account_id.clone(), |h| format!("@{h}")),
                )
            })
            .unwrap_or_default()
        };
        let value = |n: Option<&crate::graph::RankedNode>| {
            n.map(|n| format!("{:.0}", n.value)).unwrap_or_default()
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
            name(left),
            value(left),
            name(right),
            value(right)
        );
    }
    let gephi = match &g.gephi {
        Some(x) if x.limited => format!(
            " ({} accounts and {} edges: the {} accounts of highest PageRank of {}, isolated ones dropped; `--gephi-max-nodes 0` writes all)",
            x.nodes,
            x.edges,
            x.max_nodes.unwrap_or(x.nodes),
            x.layer_nodes
        ),
        Some(x) => format!(" ({} accounts, {} edges)", x.nodes, x.edges),
        None => String::new(),
    };
    let _ = writeln!(
        md,
        "\nGephi files: `graph/retweets.gexf`, `graph/retweets.graphml`{gephi} (node attributes include score and cluster); all layers: `graph/edges.csv`; metrics: `graph/nodes.csv`.\n"
    );

    let _ = writeln!(md, "## Methods and sources\n");
    let _ = writeln!(
        md,
        "Each signal becomes a 0–1 suspicion by linear interpolation between the knots below (value → suspicion); the score is the weighted mean of the available suspicions, with the denominator floored at half the total weight so that thin evidence cannot rank first. A signal without enough data is null, never zero.\n"
    );
    let _ = writeln!(
        md,
        "| signal | needs | knots | weight | source |\n|---|---|---|---|---|"
    );
    for spec in SIGNALS {
        let knots: Vec<String> = spec
            .knots
            .iter()
            .map(|(x, y)| {
                if spec.log10 {
                    format!("p=1e{x}→{y}")
                } else {
                    format!("{x}→{y}")
                }
            })
            .collect();
        let weight = summary
            .scores
            .weights
            .get(spec.name)
            .copied()
            .unwrap_or(spec.weight);
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            spec.name,
            cell(spec.description),
            knots.join(", "),
            weight,
            cell(spec.source)
        );
    }
    let _ = writeln!(
        md,
        "\nThe weights are those of this run (defaults unless a `--weights` file was given); `signals.json` has the full specification.\n"
    );

    let _ = writeln!(md, "## Limitations\n");
    let _ = writeln!(
        md,
        "- Signals see only the posts in this dataset: an account's rate and timing outside the collection are unknown (lifetime rates come from the profile snapshot)."
    );
    let _ = writeln!(
        md,
        "- Twitter API v2 exports lack default-profile flags and favourites counts; those signals are unavailable there and the score uses the others."
    );
    let _ = writeln!(
        md,
        "- Scores are not calibrated probabilities. Hyperactive humans (journalists, activists) can post at bot-like rates; read the reasons before calling an account automated."
    );
    let _ = writeln!(
        md,
        "- 4chan posters are anonymous: an author is a per-thread poster id (or tripcode), so 4chan accounts are not people."
    );
    let _ = writeln!(
        md,
        "- Coordination means acting together beyond chance under the null model, not proof of common control."
    );
    md
}

/// Lead-lag of three or more platforms as a table: rows lead, columns follow, in order of
/// first post; a cell is how long before the column's platform the row's posted first, and
/// the cross-correlation lag when the per-bin volumes correlate at r ≥ 0.5.
fn lead_lag_matrix(md: &mut String, s: &SpreadSummary) {
    let order: Vec<&str> = s.first_posts.iter().map(|f| f.platform.as_str()).collect();
    let _ = writeln!(
        md,
        "Lead of the row's first post over the column's (per-bin cross-correlation in brackets when r ≥ 0.5):\n"
    );
    let _ = writeln!(md, "| first ↓ then → | {} |", order.join(" | "));
    let _ = writeln!(md, "|---|{}", "---|".repeat(order.len()));
    for leader in &order {
        let cells: Vec<String> = order
            .iter()
            .map(|follower| {
                let found = s
                    .lead_lag
                    .iter()
                    .find(|l| l.leader == *leader && l.follower == *follower);
                match found {
                    None => "–".to_string(),
                    Some(lag) => {
                        let mut cell = duration_text(lag.first_post_lead_s, 1);
                        if let (Some(bins), Some(r)) = (lag.xcorr_lag_bins, lag.xcorr)
                            && r >= 0.5
                        {
                            cell.push_str(&format!(" ({bins:+} bins, r {r:.2})"));
                        }
                        cell
                    }
                }
            })
            .collect();
        let _ = writeln!(md, "| **{leader}** | {} |", cells.join(" | "));
    }
    let _ = writeln!(md);
}
