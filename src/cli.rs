//! Command-line interface definitions (clap). `main.rs` only dispatches.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use tagscope::ingest::source::Format;

#[derive(Parser, Debug)]
#[command(
    name = "tagscope",
    version,
    about = "How a hashtag campaign spread across Twitter and 4chan exports, and who pushed it.",
    long_about = None
)]
pub struct Cli {
    /// No progress output on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Everything at once: ingest, coordination, scores, graph, spread figures, summary,
    /// report and manifest in one folder (replaced atomically; --force to overwrite).
    #[command(
        after_help = "Example:\n  tagscope run data/demo --tag MacronLeaks -o out/demo --tz Europe/Paris\n  \
        tagscope run exports/ --tag MacronLeaks --tag MacronGate --bin 5m --since 2017-05-05 -o out/macronleaks --force"
    )]
    Run(RunArgs),
    /// Many runs from one TOML file (datasets × tag sets, or explicit jobs), each into its
    /// own folder, compared in batch_summary.csv; a failing job does not stop the others.
    #[command(
        after_help = "Example:\n  tagscope batch batch.toml --force\n\nbatch.toml:\n  out = \"out/batch\"\n  [options]\n  bin = \"10m\"\n  [[dataset]]\n  name = \"demo\"\n  inputs = [\"data/demo\"]\n  [[tagset]]\n  name = \"macronleaks\"\n  tags = [\"MacronLeaks\"]"
    )]
    Batch(BatchArgs),
    /// Read exports into the canonical posts.parquet, accounts.parquet and ingest_report.json.
    #[command(
        after_help = "Example:\n  tagscope ingest data/demo --tag MacronLeaks -o out/ingest\n  \
        tagscope ingest qut.csv --map id=message_id,author=user_id,time=timestamp,retweet_of=repost_id,text=message -o out"
    )]
    Ingest(IngestArgs),
    /// Score every account for bot-like timing, amplification and profile signals, with
    /// reasons: features.parquet, suspicious_accounts.csv, signals.json.
    #[command(after_help = "Example:\n  tagscope ingest data/demo -o out/tables\n  \
        tagscope score out/tables -o out/score --min-posts 5 --top 500\n  \
        tagscope evaluate --truth data/demo/truth.csv out/score/suspicious_accounts.csv")]
    Score(ScoreArgs),
    /// Build the amplification network (edge = amplifier → amplified; retweet, quote,
    /// reply and mention layers): graph/retweets.graphml and .gexf for Gephi, edges.csv,
    /// nodes.csv with PageRank, k-core, components, Louvain communities.
    #[command(
        after_help = "Example:\n  tagscope graph out/tables -o out --top-n 5000 --min-weight 2"
    )]
    Graph(GraphArgs),
    /// How it spread: posts per bin per platform, cumulative curves, first posts and
    /// lead-lag, the first tweet's early retweets, cross-platform URLs; PNG figures.
    #[command(
        after_help = "Example:\n  tagscope timeline out/tables -o out/spread --bin 10m --tz Europe/Paris --title '#MacronLeaks' --scores out/score/suspicious_accounts.csv"
    )]
    Timeline(TimelineArgs),
    /// Find coordinated accounts: pairs acting on the same retweeted post, URL, text or
    /// hashtag sequence within seconds, beyond a null model; clusters of them.
    #[command(
        after_help = "Example:\n  tagscope coord out/tables -o out/coord --window 10 --window 60"
    )]
    Coord(CoordArgs),
    /// Write a synthetic leak campaign in the real export formats, with planted bots and
    /// ground truth (truth.csv).
    #[command(
        after_help = "Example:\n  tagscope simulate -o sim --seed 7 --posts 100000\n  \
        tagscope ingest sim/twitter_v1 sim/4chan -o sim-tables"
    )]
    Simulate(SimulateArgs),
    /// Measure a ranking of accounts against ground truth: ROC AUC, average precision,
    /// precision@k and recall of each bot kind in the top k.
    #[command(
        after_help = "Example:\n  tagscope evaluate --truth sim/truth.csv out/suspicious_accounts.csv --json"
    )]
    Evaluate(EvaluateArgs),
    /// The heavy reductions (per-account activity, amplification edges, spread bins,
    /// co-retweet pairs) as DataFusion plans on a Ballista cluster, written back as Parquet;
    /// with --check, each compared with the single-machine results of the run folder.
    #[cfg(feature = "distributed")]
    #[command(
        after_help = "Example:\n  tagscope run data/demo --tag MacronLeaks -o out/demo\n  \
        tagscope reduce out/demo --engine df://127.0.0.1:50050 -o out/demo-reduced --check"
    )]
    Reduce(ReduceArgs),
}

/// `tagscope reduce`.
#[cfg(feature = "distributed")]
#[derive(Args, Debug)]
pub struct ReduceArgs {
    /// Folder with posts.parquet and accounts.parquet (a `tagscope ingest` or `run` folder),
    /// at a path every executor can read.
    pub tables: PathBuf,
    /// The Ballista scheduler: df://HOST:PORT.
    #[arg(long, value_name = "URL")]
    pub engine: String,
    /// Output folder (the reduced tables go to OUT/reduced/).
    #[arg(short, long)]
    pub out: PathBuf,
    /// Compare every reduced table with the single-machine results in TABLES (a `tagscope
    /// run` folder made with the same --bin and --window); exit 1 if any differs.
    #[arg(long)]
    pub check: bool,
    /// Time bin of the spread counts, as `run --bin`.
    #[arg(long = "bin", value_name = "BIN", default_value = "10m", value_parser = parse_bin)]
    pub bin_ms: i64,
    /// Co-retweet window in seconds, as the first `run --window`.
    #[arg(long = "window", value_name = "SECONDS", default_value_t = 10.0)]
    pub window: f64,
    /// Partitions of each scan and shuffle.
    #[arg(long, default_value_t = 4)]
    pub partitions: usize,
    /// Hand the tables to the cluster through this object store (s3://BUCKET/PREFIX;
    /// credentials and endpoint from the AWS_* variables of every process): TABLES and OUT
    /// then need not be visible to the executors.
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
}

#[derive(Args, Debug)]
pub struct SimulateArgs {
    /// Output folder.
    #[arg(short, long)]
    pub out: PathBuf,
    /// Random seed: the same seed and options give byte-identical files.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Number of tweets.
    #[arg(long, default_value_t = 100_000)]
    pub posts: u64,
    /// Twitter accounts (0: posts / 5).
    #[arg(long, default_value_t = 0)]
    pub accounts: u64,
    /// Campaign hashtag, without '#'.
    #[arg(long, default_value = "MacronLeaks")]
    pub tag: String,
    /// Time of the 4chan leak post (ISO 8601).
    #[arg(long, default_value = "2017-05-05T18:35:00Z")]
    pub start: String,
    /// Hours the Twitter cascade runs after the first tweet.
    #[arg(long, default_value_t = 48.0)]
    pub duration_hours: f64,
    /// Minutes between the 4chan leak post and the first tweet.
    #[arg(long, default_value_t = 14.0)]
    pub first_tweet_delay_minutes: f64,
    /// Share of accounts that are high-volume amplifier bots.
    #[arg(long)]
    pub amplifier_share: Option<f64>,
    /// Share of accounts in coordinated retweet groups.
    #[arg(long)]
    pub coordinated_share: Option<f64>,
    /// Mean size of a coordinated group.
    #[arg(long)]
    pub coordinated_group_size: Option<usize>,
    /// Share of accounts posting on a clock.
    #[arg(long)]
    pub scheduled_share: Option<f64>,
    /// Share of accounts that are low-volume bots.
    #[arg(long)]
    pub low_volume_share: Option<f64>,
    /// Share of accounts that are hyperactive humans (hard negatives).
    #[arg(long)]
    pub hyperactive_share: Option<f64>,
    /// Hours after the first tweet at which English-writing humans stop and French-writing
    /// humans start posting (a language switch with ground truth in sim_manifest.json).
    #[arg(long)]
    pub language_switch_hours: Option<f64>,
    /// Draw rates, clocks (whole-minute, fixed-period, fixed-second and mixed schedules),
    /// latencies and account shares from broad ranges with the seed, for choosing and
    /// checking detection defaults on many different worlds; the drawn values go to
    /// sim_manifest.json (`behaviour`).
    #[arg(long)]
    pub randomise: bool,
    /// Other platforms, comma-separated (telegram, bluesky, mastodon, reddit, or all): each
    /// gets a smaller campaign of its own after the 4chan post, with a platform lag, humans
    /// and bots, written in its real export format; first posts and lags in
    /// sim_manifest.json, its accounts in truth.csv. Default: none (Twitter and 4chan only).
    #[arg(long, value_delimiter = ',', value_name = "PLATFORM,...")]
    pub platforms: Vec<String>,
    /// Write plain JSONL instead of gzip.
    #[arg(long)]
    pub no_gzip: bool,
}

#[derive(Args, Debug)]
pub struct EvaluateArgs {
    /// Ground truth CSV: platform, account_id, handle, is_bot, kind.
    #[arg(long)]
    pub truth: PathBuf,
    /// Scores CSV with an id and a score column, and a platform column when ids may repeat
    /// across platforms (e.g. suspicious_accounts.csv, a Botometer or pandas export).
    pub scores: PathBuf,
    /// Column of the scores file holding the account id (matched to the truth's account_id).
    #[arg(long, default_value = "account_id")]
    pub id_col: String,
    /// Column of the scores file holding the score (higher = more bot-like).
    #[arg(long, default_value = "score")]
    pub score_col: String,
    /// Column of the scores file holding the platform; default: `platform` if present, else
    /// ids are matched on their own (an error only when an id is on several platforms).
    #[arg(long)]
    pub platform_col: Option<String>,
    /// k for precision@k (default: the number of true bots).
    #[arg(long)]
    pub k: Option<usize>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Options shared by every command that reads exports.
#[derive(Args, Debug, Clone)]
pub struct InputArgs {
    /// Export files or folders (read recursively); gzip and zstd are decompressed.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Force a format instead of recognising each file from its content.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Keep posts carrying this hashtag (any case or width; a retweet counts if the original
    /// carries it; a 4chan post if its text contains it). Repeat for several.
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Keep posts at or after this time (ISO 8601, e.g. 2017-05-05T00:00:00Z, or a date).
    #[arg(long, value_name = "TIME", value_parser = parse_time_bound)]
    pub since: Option<i64>,
    /// Keep posts before this time (ISO 8601 or a date).
    #[arg(long, value_name = "TIME", value_parser = parse_time_bound)]
    pub until: Option<i64>,
    /// Fail if any input record is skipped or any file in a folder is not recognised.
    #[arg(long)]
    pub strict: bool,
    /// Column mapping for a generic CSV: FIELD=COLUMN pairs, comma-separated. Fields: id,
    /// time (required), author, handle, text, parent, retweet_of, quote_of, parent_author,
    /// kind, hashtags, urls, mentions, lang, thread, platform.
    #[arg(long, value_name = "FIELD=COLUMN,...")]
    pub map: Option<String>,
    /// 4chan board for thread files that do not name it (else taken from the path).
    #[arg(long)]
    pub board: Option<String>,
    /// Longest record read (a JSON line or document, an item of a large JSON array, a CSV
    /// record), in bytes or with a K/M/G suffix (powers of 1024). A longer one is skipped as
    /// `record too large` while it streams past, never held in memory.
    #[arg(long, value_name = "BYTES", default_value = "64M", value_parser = parse_byte_size)]
    pub max_record_bytes: usize,
    /// Time zone of Telegram exports' `date` (local time without offset, used when a message
    /// has no `date_unixtime`): IANA name, e.g. Europe/Moscow. Default: read as UTC.
    #[arg(long, value_name = "ZONE", value_parser = parse_time_zone)]
    pub telegram_tz: Option<chrono_tz::Tz>,
}

/// A `--since`/`--until` value as Unix ms.
pub fn parse_time_bound(text: &str) -> Result<i64, String> {
    tagscope::ingest::text::parse_time_bound(text).ok_or_else(|| {
        format!("{text}: not a date or ISO 8601 time (e.g. 2017-05-05 or 2017-05-05T18:35:00Z)")
    })
}

/// An IANA time zone name.
pub fn parse_time_zone(text: &str) -> Result<chrono_tz::Tz, String> {
    text.parse()
        .map_err(|_| format!("{text}: not an IANA time zone name (e.g. Europe/Paris)"))
}

/// A time bin (`30s`, `10m`, `1h`, `1d`) as ms.
pub fn parse_bin(text: &str) -> Result<i64, String> {
    tagscope::spread::parse_duration_ms(text).map_err(|e| format!("{e:#}"))
}

/// `123`, `64K`, `64M`, `1G` (powers of 1024) as bytes, at least 1.
pub fn parse_byte_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let (digits, shift) = match text.chars().last().map(|c| c.to_ascii_uppercase()) {
        Some('K') => (&text[..text.len() - 1], 10),
        Some('M') => (&text[..text.len() - 1], 20),
        Some('G') => (&text[..text.len() - 1], 30),
        _ => (text, 0),
    };
    let number: usize = digits
        .trim()
        .parse()
        .map_err(|_| format!("{text}: not a size in bytes (e.g. 1048576, 512K, 64M, 1G)"))?;
    number
        .checked_mul(1usize << shift)
        .filter(|&bytes| bytes > 0)
        .ok_or_else(|| format!("{text}: must be between 1 byte and {} bytes", usize::MAX))
}

#[derive(Args, Debug)]
pub struct IngestArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output folder.
    #[arg(short, long)]
    pub out: PathBuf,
}

#[derive(Args, Debug)]
pub struct ScoreArgs {
    /// Folder with posts.parquet and accounts.parquet (from `tagscope ingest`).
    pub tables: PathBuf,
    /// Output folder.
    #[arg(short, long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub options: ScoreOptions,
    #[command(flatten)]
    pub coord: CoordFlags,
}

/// Options of the scoring stage.
#[derive(Args, Debug, Clone)]
pub struct ScoreOptions {
    /// Signal weights overriding the defaults: a JSON object or TOML table {signal = weight}.
    #[arg(long)]
    pub weights: Option<PathBuf>,
    /// Leave accounts with fewer posts than this out of suspicious_accounts.csv.
    #[arg(long, default_value_t = 1)]
    pub min_posts: u32,
    /// Keep only the N highest-scoring accounts in suspicious_accounts.csv.
    #[arg(long)]
    pub top: Option<usize>,
    /// Fit the combination of signals on labelled accounts (CSV: platform, account_id,
    /// is_bot[, kind], as simulate's truth.csv): adds a calibrated `probability` column,
    /// calibration.json (5-fold cross-validated ROC AUC, AP, P@k), calibrated_weights.toml
    /// (for --weights) and reliability.png.
    #[arg(long, value_name = "LABELS.csv")]
    pub calibrate: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct CoordArgs {
    /// Folder with posts.parquet (from `tagscope ingest`).
    pub tables: PathBuf,
    /// Output folder (coordination/edges.parquet with every candidate edge, coordination/edges.csv
    /// with the significant ones, coordination/clusters.csv, coordination/summary.json).
    #[arg(short, long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub options: CoordFlags,
}

/// Options of the coordination stage.
#[derive(Args, Debug, Clone)]
pub struct CoordFlags {
    /// Co-action window in seconds; repeat for several (the first drives clusters and scores).
    /// 10 s is CooRTweet's default.
    #[arg(long = "window", value_name = "SECONDS", default_values_t = vec![10.0])]
    pub windows: Vec<f64>,
    /// Object kinds to use (default: all).
    #[arg(long = "object", value_enum)]
    pub objects: Vec<tagscope::coordination::ObjectKind>,
    /// Distinct shared objects a pair needs to be an edge.
    #[arg(long, default_value_t = 3)]
    pub min_coactions: u32,
    /// Null-model shuffles.
    #[arg(long, default_value_t = 20)]
    pub shuffles: u32,
    /// Null model: shift each account's timeline (default) or permute times within objects.
    #[arg(long, value_enum, default_value = "time-shift")]
    pub null: tagscope::coordination::NullModel,
    /// Family-wise error rate for significant edges (Bonferroni over candidate pairs).
    #[arg(long, default_value_t = 0.05)]
    pub alpha: f64,
    /// Seed of the null model.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Memory guard: each action pairs with at most this many earlier actions of its
    /// window; past it counts are lower bounds (`truncated_windows` in summary.json).
    #[arg(long, value_name = "N", default_value_t = 500)]
    pub max_accounts_in_window: usize,
}

impl CoordFlags {
    pub fn to_options(&self) -> tagscope::coordination::CoordOptions {
        let defaults = tagscope::coordination::CoordOptions::default();
        tagscope::coordination::CoordOptions {
            windows_s: self.windows.clone(),
            kinds: if self.objects.is_empty() {
                defaults.kinds.clone()
            } else {
                self.objects.clone()
            },
            min_coactions: self.min_coactions,
            shuffles: self.shuffles,
            null: self.null,
            alpha: self.alpha,
            seed: self.seed,
            max_accounts_in_window: self.max_accounts_in_window,
            ..defaults
        }
    }
}

#[derive(Args, Debug)]
pub struct GraphArgs {
    /// Folder with posts.parquet and accounts.parquet (from `tagscope ingest`).
    pub tables: PathBuf,
    /// Output folder (files go to OUT/graph/).
    #[arg(short, long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub options: GraphFlags,
}

/// Options of the graph stage.
#[derive(Args, Debug, Clone)]
pub struct GraphFlags {
    /// Gephi files only: when the retweet layer has more accounts, keep the N with the
    /// highest PageRank and the edges among them (metrics, edges.csv and nodes.csv use all);
    /// 0 keeps every account.
    #[arg(long = "gephi-max-nodes", visible_alias = "top-n", value_name = "N",
          default_value_t = tagscope::graph::DEFAULT_GEPHI_MAX_NODES)]
    pub top_n: usize,
    /// Gephi files only: drop edges with fewer interactions (metrics use all).
    #[arg(long, default_value_t = 1)]
    pub min_weight: u32,
    /// Seed of the Louvain community detection.
    #[arg(long, default_value_t = 1)]
    pub graph_seed: u64,
}

impl GraphFlags {
    pub fn to_options(&self) -> tagscope::graph::GraphOptions {
        tagscope::graph::GraphOptions {
            seed: self.graph_seed,
            min_weight: self.min_weight,
            top_n: (self.top_n > 0).then_some(self.top_n),
        }
    }
}

#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output folder.
    #[arg(short, long)]
    pub out: PathBuf,
    /// Replace the output folder if it exists.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub score: ScoreOptions,
    #[command(flatten)]
    pub coord: CoordFlags,
    #[command(flatten)]
    pub graph: GraphFlags,
    #[command(flatten)]
    pub figures: FigureFlags,
    /// Count the co-action pairs on a Ballista cluster (df://HOST:PORT) that reads this
    /// run's canonical tables: the output folder must be at a path every executor sees; the
    /// cluster's tables go to OUT/reduced/, the results are the same as without it.
    #[cfg(feature = "distributed")]
    #[arg(long, value_name = "URL")]
    pub engine: Option<String>,
    /// Partitions of each scan and shuffle on the cluster.
    #[cfg(feature = "distributed")]
    #[arg(long, default_value_t = 4, requires = "engine")]
    pub partitions: usize,
    /// Hand the tables to the cluster through this object store (s3://BUCKET/PREFIX;
    /// credentials and endpoint from the AWS_* variables of every process) when its
    /// executors do not see the output folder.
    #[cfg(feature = "distributed")]
    #[arg(long, value_name = "URL", requires = "engine")]
    pub store: Option<String>,
}

/// Options of the spread stage and its figures.
#[derive(Args, Debug, Clone)]
pub struct FigureFlags {
    /// Time bin for timelines: 30s, 10m, 1h, 1d.
    #[arg(long = "bin", value_name = "BIN", default_value = "10m", value_parser = parse_bin)]
    pub bin_ms: i64,
    /// Time zone of the figures' time axis (IANA name, e.g. Europe/Paris).
    #[arg(long, default_value = "UTC", value_parser = parse_time_zone)]
    pub tz: chrono_tz::Tz,
    /// Figure width in pixels.
    #[arg(long, default_value_t = 1600)]
    pub width: u32,
    /// Figure height in pixels.
    #[arg(long, default_value_t = 900)]
    pub height: u32,
    /// Logarithmic count axis.
    #[arg(long)]
    pub log: bool,
    /// Accounts with a score at or above this are "suspected" in the bot-share figure.
    #[arg(long, default_value_t = tagscope::pipeline::DEFAULT_THRESHOLD)]
    pub threshold: f64,
}

impl FigureFlags {
    pub fn style(&self) -> tagscope::plot::FigureStyle {
        tagscope::plot::FigureStyle {
            width: self.width,
            height: self.height,
            tz: self.tz,
            log_y: self.log,
        }
    }
}

#[derive(Args, Debug)]
pub struct TimelineArgs {
    /// Folder with posts.parquet (from `tagscope ingest`).
    pub tables: PathBuf,
    /// Output folder (spread.csv, spread.json, timeline.png, spread.png; with --scores also
    /// bot_share.png and score_distribution.png).
    #[arg(short, long)]
    pub out: PathBuf,
    /// suspicious_accounts.csv from `tagscope score`, for the bot-share figure.
    #[arg(long)]
    pub scores: Option<PathBuf>,
    /// Title subject, e.g. "#MacronLeaks".
    #[arg(long, default_value = "All posts")]
    pub title: String,
    #[command(flatten)]
    pub figures: FigureFlags,
}

#[derive(Args, Debug)]
pub struct BatchArgs {
    /// The batch file (TOML).
    pub file: PathBuf,
    /// Replace job folders that exist.
    #[arg(long)]
    pub force: bool,
}
