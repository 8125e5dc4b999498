//! Stage 3: from signal values to an explainable score.
//!
//! Each signal's value becomes a 0–1 suspicion through a piecewise-linear map whose knots
//! are the published thresholds ([`crate::features::SIGNALS`]). The score is the weighted
//! mean of the available suspicions, with the denominator floored at
//! [`COVERAGE_FLOOR`] of the total weight so that an account with one suspicious signal
//! and nothing else known cannot reach the top on that alone — except a schedule test at
//! p ≤ [`DECISIVE_P`], whose suspicion the score never falls below. It is a ranking, not
//! a probability: it is not calibrated on labels (see [`crate::calibrate`]).
//!
//! Timing and amplification signals are also judged against the dataset's own accounts
//! ([`crate::population`]); their suspicion is `(1 − population_share) · published +
//! population_share · population`.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use polars::prelude::*;
use polars_arrow::array::PrimitiveArray;
use polars_arrow::bitmap::{Bitmap, MutableBitmap};
use polars_arrow::datatypes::ArrowDataType;
use rayon::prelude::*;

use crate::features::{AccountFeatures, SIGNALS, SignalSpec, SignalValues};
use crate::population::{self, PopulationScale};

/// Share of the total weight that the denominator never falls below.
pub const COVERAGE_FLOOR: f64 = 0.5;
/// Schedule tests whose p-value at or below [`DECISIVE_P`] decides the score on its own:
/// the score is at least their suspicion. A weighted mean would otherwise bury one
/// clock or period test under an account's unremarkable rate, profile and retweets.
/// Only tests robust to bursts: the χ² clock tests count every post, and a human's run of
/// retweets within a minute gives them p < 1e-6 (hyperactive humans in simulated worlds),
/// so they stay in the mean only.
pub const SCHEDULE_TESTS: &[&str] = &[
    "second_of_minute_rayleigh_p",
    "minute_of_hour_rayleigh_p",
    "schedule_period_p",
];
/// p-value from which a schedule test is decisive: over 10,000 accounts and the three
/// tests, a family-wise chance of 3% that any account without a schedule gets there
/// (Bonferroni).
pub const DECISIVE_P: f64 = 1e-6;
/// Suspicion from which a signal is named in `reasons`.
pub const REASON_THRESHOLD: f64 = 0.5;
/// Rules named in the `reasons` column: the strongest by contribution (weight × suspicion).
/// Enough to say why an account ranks high and short enough to read in a spreadsheet cell;
/// every fired rule stays in `all_reasons`.
pub const MAX_REASONS: usize = 5;

/// Key of a weights file that sets the population share rather than a signal's weight.
pub const POPULATION_SHARE: &str = "population_share";
/// How much of a timing or amplification signal's suspicion comes from the dataset's own
/// population rather than the published threshold. Chosen on randomised simulated worlds
/// (seeds 1–10) and reported on others (seeds 101–110): see README "Detection quality".
pub const DEFAULT_POPULATION_SHARE: f64 = 0.5;

/// Weight per signal name, plus [`POPULATION_SHARE`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Weights(pub BTreeMap<String, f64>);

impl Weights {
    /// Every signal's default weight (from [`SIGNALS`]) and the default population share
    /// ([`DEFAULT_POPULATION_SHARE`]).
    pub fn defaults() -> Self {
        let mut weights: BTreeMap<String, f64> = SIGNALS
            .iter()
            .map(|s| (s.name.to_string(), s.weight))
            .collect();
        weights.insert(POPULATION_SHARE.to_string(), DEFAULT_POPULATION_SHARE);
        Weights(weights)
    }

    /// Share of the population suspicion in a judged signal's suspicion (0–1).
    pub fn population_share(&self) -> f64 {
        self.0
            .get(POPULATION_SHARE)
            .copied()
            .unwrap_or(DEFAULT_POPULATION_SHARE)
    }

    /// Reads overrides from a JSON object or TOML table `{signal = weight}`; signals not
    /// named keep their defaults.
    pub fn load(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let overrides: BTreeMap<String, f64> = if text.trim_start().starts_with('{') {
            serde_json::from_str(&text)
                .with_context(|| format!("{}: not a JSON object of weights", path.display()))?
        } else {
            toml::from_str(&text)
                .with_context(|| format!("{}: not a TOML table of weights", path.display()))?
        };
        let mut weights = Self::defaults();
        for (name, weight) in overrides {
            if !weights.0.contains_key(&name) {
                let known: Vec<&str> = SIGNALS.iter().map(|s| s.name).collect();
                bail!(
                    "{}: unknown signal `{name}` (known: {})",
                    path.display(),
                    known.join(", ")
                );
            }
            if name == POPULATION_SHARE && !(0.0..=1.0).contains(&weight) {
                bail!("{}: `{name}` must lie between 0 and 1", path.display());
            }
            if !(weight.is_finite() && weight >= 0.0) {
                bail!(
                    "{}: weight of `{name}` must be a number ≥ 0",
                    path.display()
                );
            }
            weights.0.insert(name, weight);
        }
        Ok(weights)
    }

    fn of(&self, spec: &SignalSpec) -> f64 {
        self.0.get(spec.name).copied().unwrap_or(spec.weight)
    }
}

/// A signal's suspicion for a value: linear between knots, flat outside them.
pub fn suspicion(spec: &SignalSpec, value: f64) -> f64 {
    let x = if spec.log10 {
        value.max(f64::MIN_POSITIVE).log10()
    } else {
        value
    };
    let knots = spec.knots;
    if x <= knots[0].0 {
        return knots[0].1;
    }
    for pair in knots.windows(2) {
        let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
        if x <= x1 {
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0);
        }
    }
    knots[knots.len() - 1].1
}

fn format_value(value: f64) -> String {
    if value.abs() >= 100.0 || value.fract() == 0.0 {
        format!("{value:.0}")
    } else if value.abs() >= 1.0 {
        format!("{value:.1}")
    } else if value.abs() >= 0.001 || value == 0.0 {
        format!("{value:.3}")
    } else {
        format!("{value:.1e}")
    }
}

/// The knot value where the suspicion is highest (the threshold quoted in reasons).
fn full_threshold(spec: &SignalSpec) -> (f64, bool) {
    let increasing = spec.knots[spec.knots.len() - 1].1 >= spec.knots[0].1;
    let knot = if increasing {
        spec.knots.iter().find(|k| k.1 >= 1.0).or(spec.knots.last())
    } else {
        spec.knots
            .iter()
            .rev()
            .find(|k| k.1 >= 1.0)
            .or(spec.knots.first())
    };
    let x = knot.map_or(0.0, |k| k.0);
    (if spec.log10 { 10f64.powf(x) } else { x }, increasing)
}

/// The first source of a signal in short form for a `reasons` cell: "Chu et al.,
/// 'Detecting automation of Twitter accounts', IEEE TDSC 2012 (…); …" becomes
/// "Chu et al., IEEE TDSC 2012" (the full text is in `signals.json` and the report).
fn short_citation(source: &str) -> String {
    let first = source.split([':', ';', '(']).next().unwrap_or(source);
    let mut out = String::new();
    let mut quoted = false;
    for c in first.chars() {
        match c {
            '\'' | '‘' | '’' | '"' => quoted = !quoted,
            _ if !quoted => out.push(c),
            _ => {}
        }
    }
    let parts: Vec<&str> = out
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    parts.join(", ")
}

/// The reason a rule fired, in words: value, the threshold it is measured against, source.
pub fn reason(spec: &SignalSpec, value: f64) -> String {
    let (threshold, increasing) = full_threshold(spec);
    let comparison = match (
        increasing,
        if increasing {
            value >= threshold
        } else {
            value <= threshold
        },
    ) {
        (true, true) => "≥",
        (true, false) => "approaching",
        (false, true) => "≤",
        (false, false) => "approaching",
    };
    let source = short_citation(spec.source);
    let with_unit = |x: f64| {
        if spec.unit.is_empty() {
            format_value(x)
        } else {
            format!("{} {}", format_value(x), spec.unit)
        }
    };
    format!(
        "{} {} ({comparison} {}; {source})",
        spec.name,
        with_unit(value),
        with_unit(threshold)
    )
}

/// One account with its suspicions, score and reasons.
#[derive(Debug, Clone)]
pub struct ScoredAccount {
    /// The account's identity, counts and signal values.
    pub features: AccountFeatures,
    /// 0–1 suspicion per signal, in [`SIGNALS`] order; `None` where the signal has no value.
    pub suspicions: SignalValues,
    /// The combined score (0–1): a ranking, not a probability.
    pub score: f64,
    /// Every rule at suspicion ≥ [`REASON_THRESHOLD`], strongest contribution first.
    pub reasons: Vec<String>,
    /// Coordination cluster the account belongs to, if any.
    pub cluster_id: Option<u32>,
    /// Calibrated probability of being a bot (`--calibrate`); `None` when uncalibrated.
    pub probability: Option<f64>,
}

/// The strongest suspicion among schedule tests at p ≤ [`DECISIVE_P`] with a weight > 0
/// (0 when none).
fn decisive(values: &SignalValues, suspicions: &SignalValues, decisive_signals: &[usize]) -> f64 {
    decisive_signals
        .iter()
        .filter_map(|&i| match (values.get(i), suspicions.get(i)) {
            (Some(p), Some(s)) if p <= DECISIVE_P => Some(s),
            _ => None,
        })
        .fold(0.0, f64::max)
}

/// A signal's suspicion: the published threshold's, mixed with the population's where the
/// signal is judged against it.
fn mixed_suspicion(
    spec: &SignalSpec,
    value: f64,
    scale: Option<&PopulationScale>,
    share: f64,
) -> f64 {
    let published = suspicion(spec, value);
    match scale {
        Some(scale) if share > 0.0 => (1.0 - share) * published + share * scale.suspicion(value),
        _ => published,
    }
}

/// Scores every account; sorted by score (highest first), ties by platform and id.
pub fn score(features: Vec<AccountFeatures>, weights: &Weights) -> Vec<ScoredAccount> {
    // Looked up by name once, not per account.
    let weight: Vec<f64> = SIGNALS.iter().map(|s| weights.of(s)).collect();
    let decisive_signals: Vec<usize> = SIGNALS
        .iter()
        .enumerate()
        .filter(|&(i, spec)| SCHEDULE_TESTS.contains(&spec.name) && weight[i] > 0.0)
        .map(|(i, _)| i)
        .collect();
    let total_weight: f64 = weight.iter().sum();
    let share = weights.population_share();
    let rows: Vec<&SignalValues> = features.iter().map(|a| &a.values).collect();
    let scales = population::scales(&rows);
    // Each account on its own (order kept by the collect), so in parallel.
    let mut scored: Vec<ScoredAccount> = features
        .into_par_iter()
        .map(|features| {
            let suspicions: SignalValues = SIGNALS
                .iter()
                .zip(features.values.iter())
                .zip(&scales)
                .map(|((spec, value), scale)| {
                    value.map(|v| mixed_suspicion(spec, v, scale.as_ref(), share))
                })
                .collect();
            let mut weighted = 0.0;
            let mut available = 0.0;
            let mut fired: Vec<(f64, String)> = Vec::new();
            for ((((spec, value), s), scale), &w) in SIGNALS
                .iter()
                .zip(features.values.iter())
                .zip(suspicions.iter())
                .zip(&scales)
                .zip(&weight)
            {
                let (Some(value), Some(s)) = (value, s) else {
                    continue;
                };
                weighted += w * s;
                available += w;
                if w > 0.0 && s >= REASON_THRESHOLD {
                    let mut why = reason(spec, value);
                    if let Some(scale) = scale.as_ref().filter(|_| share > 0.0) {
                        let z = scale.z(value);
                        if z >= population::Z_KNOTS[0].0 {
                            why.push_str(&format!(" [robust z {z:.1} in this dataset]"));
                        }
                    }
                    fired.push((w * s, why));
                }
            }
            fired.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
            let denominator = available.max(COVERAGE_FLOOR * total_weight);
            let mean = if denominator > 0.0 {
                weighted / denominator
            } else {
                0.0
            };
            ScoredAccount {
                score: mean.max(decisive(&features.values, &suspicions, &decisive_signals)),
                reasons: fired.into_iter().map(|(_, r)| r).collect(),
                suspicions,
                features,
                cluster_id: None,
                probability: None,
            }
        })
        .collect();
    // (platform, account_id) is unique, so the order is total and an unstable sort stable.
    scored.par_sort_unstable_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.features.platform.cmp(&b.features.platform))
            .then_with(|| a.features.account_id.cmp(&b.features.account_id))
    });
    scored
}

/// Joins coordination cluster ids onto scored accounts.
pub fn attach_clusters(
    scored: &mut [ScoredAccount],
    coordination: &std::collections::HashMap<
        crate::account_index::AccountKey,
        crate::coordination::AccountCoordination,
    >,
) {
    let found_by_key = crate::coordination::borrowed_keys(coordination);
    for account in scored {
        let key = (
            account.features.platform.as_str(),
            account.features.account_id.as_str(),
        );
        account.cluster_id = found_by_key.get(&key).and_then(|c| c.cluster_id);
    }
}

/// Scores rounded for output, so that CSV and Parquet agree and stay byte-stable.
fn rounded(value: f64) -> f64 {
    crate::rounding::rounded(value, crate::rounding::MICRO)
}

/// The table of every account: identity, counts, every signal's value and suspicion,
/// score, reasons and cluster. `rank` follows the score order. When calibrated
/// (`--calibrate`), a `probability` column follows `score`.
pub fn table(scored: &[ScoredAccount]) -> Result<DataFrame> {
    let mut signals = SignalColumns::new(scored.len());
    for account in scored {
        signals.push(&account.features.values, &account.suspicions);
    }
    assemble(scored, signals)
}

/// [`table`], freeing each account's signal values and suspicions as they are copied into
/// the table: about 1 KB per account, the largest part of the scored accounts (2 GB of
/// 1.97 M accounts at 10 M simulated posts), which `run` no longer needs once the table,
/// [`method`] (which reads the values: call it first) and the calibration are made.
/// Afterwards every account's `features.values` and `suspicions` are empty.
pub fn table_releasing_signals(scored: &mut [ScoredAccount]) -> Result<DataFrame> {
    let mut signals = SignalColumns::new(scored.len());
    for account in scored.iter_mut() {
        signals.push(&account.features.values, &account.suspicions);
        account.features.values = SignalValues::default();
        account.suspicions = SignalValues::default();
    }
    assemble(scored, signals)
}

/// The table: [`leading_columns`] of `scored`, then the signal columns.
fn assemble(scored: &[ScoredAccount], signals: SignalColumns) -> Result<DataFrame> {
    let mut columns = leading_columns(scored)?;
    columns.extend(signals.into_columns());
    Ok(DataFrame::new(scored.len(), columns)?)
}

/// Every signal's value and suspicion columns, filled one account at a time (a pass per
/// column walked every account's heap-allocated values once per column: 0.9 s for 200,000
/// accounts), straight into Arrow buffers: 8 bytes and a validity bit per value, where
/// `Vec<Option<f64>>` columns took 16 and were copied again into the table.
struct SignalColumns {
    columns: Vec<(Vec<f64>, MutableBitmap)>,
}

impl SignalColumns {
    fn new(rows: usize) -> Self {
        SignalColumns {
            columns: (0..2 * SIGNALS.len())
                .map(|_| (Vec::with_capacity(rows), MutableBitmap::with_capacity(rows)))
                .collect(),
        }
    }

    /// One account's values and suspicions, in [`SIGNALS`] order, rounded for output.
    fn push(&mut self, values: &SignalValues, suspicions: &SignalValues) {
        for (i, (value, suspicion)) in values.iter().zip(suspicions.iter()).enumerate() {
            for (column, v) in [(2 * i, value), (2 * i + 1, suspicion)] {
                let (data, validity) = &mut self.columns[column];
                data.push(v.map_or(0.0, rounded));
                validity.push(v.is_some());
            }
        }
    }

    /// `NAME` and `NAME_suspicion` per signal; a column without nulls has no validity
    /// bitmap, as polars builds it from options.
    fn into_columns(self) -> Vec<Column> {
        self.columns
            .into_iter()
            .enumerate()
            .map(|(i, (data, validity))| {
                let spec = &SIGNALS[i / 2];
                let name = if i % 2 == 0 {
                    spec.name.to_string()
                } else {
                    format!("{}_suspicion", spec.name)
                };
                let validity: Bitmap = validity.into();
                let validity = (validity.unset_bits() > 0).then_some(validity);
                let array =
                    PrimitiveArray::<f64>::new(ArrowDataType::Float64, data.into(), validity);
                Float64Chunked::with_chunk(name.into(), array).into_column()
            })
            .collect()
    }
}

/// The identity, score, reason, cluster and count columns of [`table`], before the signals.
fn leading_columns(scored: &[ScoredAccount]) -> Result<Vec<Column>> {
    let datetime = DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC));
    let mut columns = vec![
        Column::new("rank".into(), (1..=scored.len() as u32).collect::<Vec<_>>()),
        Column::new(
            "platform".into(),
            scored
                .iter()
                .map(|s| s.features.platform.as_str())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "account_id".into(),
            scored
                .iter()
                .map(|s| s.features.account_id.as_str())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "handle".into(),
            scored
                .iter()
                .map(|s| s.features.handle.as_deref())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "score".into(),
            scored.iter().map(|s| rounded(s.score)).collect::<Vec<_>>(),
        ),
    ];
    if scored.iter().any(|s| s.probability.is_some()) {
        columns.push(Column::new(
            "probability".into(),
            scored
                .iter()
                .map(|s| s.probability.map(rounded))
                .collect::<Vec<_>>(),
        ));
    }
    columns.extend([
        Column::new(
            "posts".into(),
            scored.iter().map(|s| s.features.posts).collect::<Vec<_>>(),
        ),
        Column::new(
            "reasons".into(),
            scored
                .par_iter()
                .map(|s| {
                    s.reasons
                        .iter()
                        .take(MAX_REASONS)
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "cluster_id".into(),
            scored.iter().map(|s| s.cluster_id).collect::<Vec<_>>(),
        ),
        Column::new(
            "all_reasons".into(),
            scored
                .par_iter()
                .map(|s| s.reasons.join("; "))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "retweets".into(),
            scored
                .iter()
                .map(|s| s.features.retweets)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "first_post_at".into(),
            scored
                .iter()
                .map(|s| s.features.first_post_ms)
                .collect::<Vec<_>>(),
        )
        .cast(&datetime)?,
        Column::new(
            "last_post_at".into(),
            scored
                .iter()
                .map(|s| s.features.last_post_ms)
                .collect::<Vec<_>>(),
        )
        .cast(&datetime)?,
    ]);
    Ok(columns)
}

/// `suspicious_accounts.csv`: the rows of `all` (the [`table`] of `scored`) of accounts with
/// at least `min_posts` posts, the first `top` of them, ranked again from 1. Equal to the
/// table of those accounts, without building it a second time.
pub fn listed_table(
    all: &DataFrame,
    scored: &[ScoredAccount],
    min_posts: u32,
    top: Option<usize>,
) -> Result<DataFrame> {
    let mut left = top.unwrap_or(usize::MAX);
    let keep: BooleanChunked = scored
        .iter()
        .map(|s| {
            let kept = left > 0 && s.features.posts >= min_posts;
            left -= usize::from(kept);
            kept
        })
        .collect();
    let mut listed = all.filter(&keep)?;
    let rank = Column::new(
        "rank".into(),
        (1..=listed.height() as u32).collect::<Vec<_>>(),
    );
    listed.with_column(rank)?;
    // `table` has a probability column only when some listed account has a probability.
    if listed
        .column("probability")
        .is_ok_and(|p| p.null_count() == p.len())
    {
        listed.drop_in_place("probability")?;
    }
    Ok(listed)
}

/// What `signals.json` records: every signal with its unit, data needs, knots, weight and
/// source, and how they combine.
#[derive(Debug, serde::Serialize)]
pub struct ScoringMethod {
    /// The formula of the score, in words.
    pub combination: &'static str,
    /// How the dataset's own population enters timing and amplification suspicions.
    pub population: PopulationMethod,
    /// Share of the total weight below which the denominator never falls ([`COVERAGE_FLOOR`]).
    pub coverage_floor: f64,
    /// Schedule tests that can decide the score on their own ([`SCHEDULE_TESTS`]).
    pub schedule_tests: &'static [&'static str],
    /// p-value at or below which a schedule test is decisive ([`DECISIVE_P`]).
    pub decisive_p: f64,
    /// Suspicion from which a signal is named in `reasons` ([`REASON_THRESHOLD`]).
    pub reason_threshold: f64,
    /// Every signal, in [`SIGNALS`] order.
    pub signals: Vec<SignalEntry>,
}

/// How the population enters: the share, the z knots and the rule.
#[derive(Debug, serde::Serialize)]
pub struct PopulationMethod {
    /// Share (0–1) of the population suspicion in a judged signal's suspicion.
    pub share: f64,
    /// How the robust z is computed and which signals are judged, in words.
    pub rule: &'static str,
    /// (robust z, suspicion) knots of the population suspicion, linear between them.
    pub z_knots: [(f64, f64); 3],
    /// Fewest accounts with a value for a signal to be judged against the population.
    pub min_accounts: usize,
    /// Source of the robust z and its cut-off.
    pub source: &'static str,
}

/// One signal as recorded in `signals.json`.
#[derive(Debug, serde::Serialize)]
pub struct SignalEntry {
    /// The signal's definition: name, unit, knots, default weight, source (flattened).
    #[serde(flatten)]
    pub spec: SignalSpec,
    /// The weight this run gave it (default or from `--weights`).
    pub weight_used: f64,
    /// This dataset's median and robust scale of the signal, when it is judged against the
    /// population (timing and amplification signals without a p-value).
    pub population: Option<PopulationScale>,
}

/// What `signals.json` records for these weights and the scored accounts' population.
pub fn method(weights: &Weights, scored: &[ScoredAccount]) -> ScoringMethod {
    let rows: Vec<&SignalValues> = scored.iter().map(|s| &s.features.values).collect();
    let scales = population::scales(&rows);
    ScoringMethod {
        combination: "score = max(Σ weight·suspicion over available signals / max(Σ available weights, coverage_floor · Σ all weights), the highest suspicion among schedule_tests with weight > 0 at p ≤ decisive_p); a ranking, not a probability. A signal with a `population` entry has suspicion = (1 − population.share)·published + population.share·population, where published follows its knots and population follows z_knots of its robust z in this dataset",
        population: PopulationMethod {
            share: weights.population_share(),
            rule: "robust z = (value − median) / scale in the suspicious direction, on log10(1 + value) for rates, seconds and per-follower counts; scale = 1.4826·MAD, or 1.2533·mean absolute deviation when MAD = 0; only timing and amplification signals without a p-value, with ≥ min_accounts values",
            z_knots: population::Z_KNOTS,
            min_accounts: population::MIN_ACCOUNTS,
            source: "Iglewicz & Hoaglin, How to Detect and Handle Outliers (ASQC 1993): modified z-score, outliers beyond 3.5",
        },
        schedule_tests: SCHEDULE_TESTS,
        decisive_p: DECISIVE_P,
        coverage_floor: COVERAGE_FLOOR,
        reason_threshold: REASON_THRESHOLD,
        signals: SIGNALS
            .iter()
            .zip(scales)
            .map(|(spec, population)| SignalEntry {
                spec: spec.clone(),
                weight_used: weights.of(spec),
                population,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::signal_index;

    fn spec(name: &str) -> &'static SignalSpec {
        &SIGNALS[signal_index(name).unwrap()]
    }

    #[test]
    fn suspicion_follows_published_thresholds() {
        let rate = spec("posts_per_day");
        assert_eq!(suspicion(rate, 10.0), 0.0);
        assert_eq!(suspicion(rate, 50.0), 0.0);
        assert!((suspicion(rate, 72.0) - 0.5).abs() < 1e-12);
        assert_eq!(suspicion(rate, 144.0), 1.0);
        assert_eq!(suspicion(rate, 412.0), 1.0);
        let latency = spec("retweet_latency_median_s");
        assert_eq!(suspicion(latency, 3.0), 1.0);
        assert_eq!(suspicion(latency, 3600.0), 0.0);
        let clock = spec("second_of_minute_p");
        assert_eq!(suspicion(clock, 1e-12), 1.0);
        assert!((suspicion(clock, 1e-4) - 0.5).abs() < 1e-9);
        assert_eq!(suspicion(clock, 0.5), 0.0);
    }

    #[test]
    fn reasons_name_value_threshold_and_source() {
        let text = reason(spec("posts_per_day"), 412.0);
        assert_eq!(
            text,
            "posts_per_day 412 posts/day (≥ 144 posts/day; DFRLab #BotSpot)"
        );
        let text = reason(spec("retweet_latency_median_s"), 3.0);
        assert!(
            text.starts_with("retweet_latency_median_s 3 s (≤ 15 s; RTbust"),
            "{text}"
        );
        // Quoted titles are left to signals.json: the cell stays short.
        let text = reason(spec("gap_entropy"), 0.1);
        assert_eq!(
            text,
            "gap_entropy 0.100 (≤ 0.250; Chu et al., IEEE TDSC 2012)"
        );
        let text = reason(spec("top_source_share"), 1.0);
        assert!(text.ends_with("; tagscope heuristic)"), "{text}");
    }

    #[test]
    fn reasons_column_keeps_the_strongest_five_and_all_reasons_every_rule() {
        let strong = score(
            vec![account(&[
                ("posts_per_day", 400.0),
                ("retweet_share", 1.0),
                ("retweet_latency_median_s", 4.0),
                ("retweets_within_60s_share", 1.0),
                ("interval_cv", 0.1),
                ("gap_entropy", 0.1),
                ("account_age_days", 3.0),
                ("early_retweet_share", 1.0),
            ])],
            &Weights::defaults(),
        );
        assert!(strong[0].reasons.len() > MAX_REASONS);
        let table = table(&strong).unwrap();
        let cell = |name: &str| {
            table
                .column(name)
                .unwrap()
                .str()
                .unwrap()
                .get(0)
                .unwrap()
                .to_string()
        };
        let (short, all) = (cell("reasons"), cell("all_reasons"));
        assert_eq!(
            short.split("; ").filter(|r| r.contains('(')).count(),
            MAX_REASONS,
            "{short}"
        );
        assert_eq!(all.matches(" (").count(), strong[0].reasons.len(), "{all}");
        assert!(all.starts_with(&short));
        // The strongest contribution first: the retweet latency (weight 2.5) leads.
        assert!(short.starts_with("retweet_latency_median_s"), "{short}");
    }

    /// The signal columns filled straight into Arrow buffers equal columns built from
    /// options (nulls where a value is missing, rounded values, no validity bitmap when a
    /// column has no null), and the releasing table equals the table and empties the
    /// accounts' signals.
    #[test]
    fn signal_columns_equal_columns_from_options_and_release_the_signals() {
        let mut scored = score(
            vec![
                account(&[("posts_per_day", 400.123_456_789), ("retweet_share", 1.0)]),
                account(&[("posts_per_day", 3.0)]),
                account(&[]),
            ],
            &Weights::defaults(),
        );
        let built = table(&scored).unwrap();
        for (i, spec) in SIGNALS.iter().enumerate() {
            let values: Vec<Option<f64>> = scored
                .iter()
                .map(|s| s.features.values.get(i).map(rounded))
                .collect();
            let suspicions: Vec<Option<f64>> = scored
                .iter()
                .map(|s| s.suspicions.get(i).map(rounded))
                .collect();
            let expected = Column::new(spec.name.into(), values);
            let column = built.column(spec.name).unwrap();
            assert!(column.equals_missing(&expected), "{}", spec.name);
            assert_eq!(column.null_count(), expected.null_count(), "{}", spec.name);
            let name = format!("{}_suspicion", spec.name);
            let expected = Column::new(name.as_str().into(), suspicions);
            assert!(
                built.column(&name).unwrap().equals_missing(&expected),
                "{name}"
            );
        }
        let posts_per_day = built.column("posts_per_day").unwrap();
        assert_eq!(posts_per_day.null_count(), 1);
        assert_eq!(posts_per_day.f64().unwrap().get(0), Some(400.123457));
        let released = table_releasing_signals(&mut scored).unwrap();
        assert!(released.equals_missing(&built));
        assert!(
            scored
                .iter()
                .all(|s| s.features.values.is_empty() && s.suspicions.is_empty())
        );
    }

    fn account(values: &[(&str, f64)]) -> AccountFeatures {
        let mut all = SignalValues::absent(SIGNALS.len());
        for (name, v) in values {
            all.set(signal_index(name).unwrap(), Some(*v));
        }
        AccountFeatures {
            platform: "twitter".into(),
            account_id: format!("{}", values.len()),
            handle: None,
            posts: 10,
            retweets: 0,
            first_post_ms: 0,
            last_post_ms: 0,
            values: all,
        }
    }

    #[test]
    fn coverage_floor_keeps_thin_evidence_down() {
        let weights = Weights::defaults();
        let thin = score(vec![account(&[("handle_digits", 8.0)])], &weights);
        assert!(
            thin[0].score < 0.15,
            "one profile signal alone: {}",
            thin[0].score
        );
        let strong = score(
            vec![account(&[
                ("posts_per_day", 400.0),
                ("retweet_share", 1.0),
                ("retweet_latency_median_s", 4.0),
                ("retweets_within_60s_share", 1.0),
                ("interval_cv", 0.1),
                ("gap_entropy", 0.1),
                ("account_age_days", 3.0),
                ("early_retweet_share", 1.0),
                ("second_of_minute_p", 1e-10),
                ("lifetime_posts_per_day", 300.0),
                ("handle_digits", 8.0),
            ])],
            &weights,
        );
        assert!(strong[0].score > 0.9, "{}", strong[0].score);
        assert!(
            strong[0]
                .reasons
                .iter()
                .any(|r| r.starts_with("retweet_latency_median_s"))
        );
    }

    #[test]
    fn a_decisive_schedule_test_is_not_buried_by_unremarkable_signals() {
        let weights = Weights::defaults();
        let unremarkable = [
            ("posts_per_day", 5.0),
            ("retweet_share", 0.1),
            ("interval_cv", 1.2),
            ("gap_entropy", 0.8),
            ("account_age_days", 2000.0),
            ("handle_digits", 0.0),
            ("followers_friends_ratio", 2.0),
        ];
        let with = |p: f64| {
            let mut values = unremarkable.to_vec();
            values.push(("second_of_minute_rayleigh_p", p));
            // A χ² clock test at any p is never decisive (bursts break its independence).
            values.push(("minute_of_hour_p", 1e-12));
            score(vec![account(&values)], &weights)[0].score
        };
        // p = 1e-10: suspicion 1, decisive. p = 1e-5: suspicion 0.625, not decisive, so
        // the weighted mean rules and stays low.
        assert_eq!(with(1e-10), 1.0);
        assert!(with(1e-5) < 0.25, "{}", with(1e-5));
        // A weight of 0 switches the test off, decisive or not.
        let mut off = weights.clone();
        off.0.insert("second_of_minute_rayleigh_p".into(), 0.0);
        let mut values = unremarkable.to_vec();
        values.push(("second_of_minute_rayleigh_p", 1e-10));
        assert!(score(vec![account(&values)], &off)[0].score < 0.1);
    }

    #[test]
    fn weights_override_and_reject_unknown_signals() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.toml");
        std::fs::write(&path, "posts_per_day = 3.0\n").unwrap();
        let weights = Weights::load(&path).unwrap();
        assert_eq!(weights.0["posts_per_day"], 3.0);
        assert_eq!(weights.0["retweet_share"], 1.0);
        std::fs::write(&path, "{\"nonsense\": 1}").unwrap();
        assert!(
            Weights::load(&path)
                .unwrap_err()
                .to_string()
                .contains("unknown signal")
        );
    }
}
