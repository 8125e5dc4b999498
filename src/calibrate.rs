//! `--calibrate LABELS.csv`: fits the combination of per-signal suspicions on labelled
//! accounts, so that the score can be read as a probability of being a bot *for data like
//! the labelled data*.
//!
//! * Model: L2-regularised logistic regression (linfa-logistic, L-BFGS) on one feature per
//!   scoring signal (its 0–1 suspicion) plus one availability indicator per signal. A
//!   missing suspicion (not enough events, field absent) is imputed as 0 — "no evidence of
//!   automation" — and its indicator is 0, so the model can tell "measured and
//!   unsuspicious" from "not measured". Features are already on a 0–1 scale, so they are
//!   not standardised and the coefficients compare directly.
//! * Loss: Σ log-loss + α/2·‖β‖² with α = [`ALPHA`] (intercept not penalised).
//! * Validation: stratified k-fold ([`FOLDS`] folds, bots and non-bots each shuffled with a
//!   seeded ChaCha8 generator ([`FOLD_SEED`]) and dealt round-robin), out-of-fold
//!   probabilities pooled for ROC AUC, average precision and precision@k (k = labelled
//!   bots) with [`crate::evaluate`]'s conventions; per-fold figures too.
//! * Final model: refitted on every labelled account; its probability is written for every
//!   account, labelled or not.
//! * Weights: `--weights` takes non-negative weights of a weighted *mean*, which is not the
//!   logistic model. The weights file carries each signal's suspicion coefficient clipped
//!   at 0 (a negative coefficient — the signal being *less* common among bots once the
//!   others are known — cannot be a weight and is listed as clipped); the intercept and the
//!   availability indicators have no place in it. Ranking by those weights approximates,
//!   and does not reproduce, the calibrated probability.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result, bail};
use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use serde::Serialize;

use crate::evaluate::{self, Ranked};
use crate::features::SIGNALS;
use crate::score::ScoredAccount;

/// Folds of the cross-validation.
pub const FOLDS: usize = 5;
/// Seed of the fold assignment.
pub const FOLD_SEED: u64 = 14;
/// L2 penalty on the coefficients (the loss is a sum over accounts, so its pull weakens as
/// labelled accounts grow in number; 1.0 is scikit-learn's default C = 1).
pub const ALPHA: f64 = 1.0;
/// Equal-width bins of the reliability diagram.
pub const RELIABILITY_BINS: usize = 10;
const MAX_ITERATIONS: u64 = 1000;
const GRADIENT_TOLERANCE: f64 = 1e-6;

/// Signals that enter the model: those with a non-zero default weight. The others are
/// descriptive (a transform of another signal, or knots that never rise above 0).
pub fn model_signals() -> Vec<usize> {
    (0..SIGNALS.len())
        .filter(|&i| SIGNALS[i].weight > 0.0)
        .collect()
}

/// Ranking figures of one set of predictions.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Metrics {
    /// Labelled accounts ranked (count).
    pub accounts: usize,
    /// Bots among them (count).
    pub bots: usize,
    /// Cut-off of precision@k: the number of bots, at least 1 and at most `accounts`.
    pub k: usize,
    /// Area under the ROC curve (0–1; 0.5 is chance), tied scores given mid-ranks.
    pub roc_auc: f64,
    /// Average precision (0–1), tied scores ordered non-bots first (pessimistic).
    pub average_precision: f64,
    /// Share of bots (0–1) among the `k` highest-ranked accounts, ties broken pessimistically.
    pub precision_at_k: f64,
}

/// One fold of the cross-validation.
#[derive(Debug, Clone, Serialize)]
pub struct Fold {
    /// Fold number, from 1.
    pub fold: usize,
    /// Held-out bots in this fold (count).
    pub bots: usize,
    /// Held-out non-bots in this fold (count).
    pub non_bots: usize,
    /// Figures on this fold's held-out accounts, from a model fitted on the other folds.
    pub held_out: Metrics,
}

/// How the calibrated model was cross-validated, and its out-of-fold figures.
#[derive(Debug, Clone, Serialize)]
pub struct CrossValidation {
    /// Number of folds ([`FOLDS`]).
    pub folds: usize,
    /// Seed of the fold assignment ([`FOLD_SEED`]).
    pub seed: u64,
    /// Whether bots and non-bots were dealt to the folds separately (always true).
    pub stratified: bool,
    /// Out-of-fold probabilities of all folds pooled.
    pub pooled: Metrics,
    /// Mean of the per-fold ROC AUCs.
    pub roc_auc_fold_mean: f64,
    /// Sample standard deviation (n − 1) of the per-fold ROC AUCs.
    pub roc_auc_fold_sd: f64,
    /// Each fold's counts and held-out figures, in fold order.
    pub per_fold: Vec<Fold>,
    /// Mean squared error of the out-of-fold probabilities.
    pub brier_score: f64,
    /// Expected calibration error over the reliability bins (Σ n_b/N · |observed − predicted|).
    pub expected_calibration_error: f64,
}

/// One coefficient of the final logistic model.
#[derive(Debug, Clone, Serialize)]
pub struct Coefficient {
    /// Model input: `<signal>_suspicion` or `<signal>_available`.
    pub feature: String,
    /// Its coefficient on the log-odds of being a bot (rounded to 6 decimals).
    pub coefficient: f64,
}

/// One signal's line of `calibrated_weights.toml`.
#[derive(Debug, Clone, Serialize)]
pub struct WeightEntry {
    /// Signal name, as in `--weights`.
    pub signal: String,
    /// The logistic coefficient of the signal's suspicion.
    pub coefficient: f64,
    /// The weight written: the coefficient clipped at 0.
    pub weight: f64,
    /// Whether the coefficient was negative and the weight set to 0.
    pub clipped: bool,
}

/// One bin of the reliability diagram (out-of-fold probabilities).
#[derive(Debug, Clone, Serialize)]
pub struct ReliabilityBin {
    /// Lower bound of the bin's probabilities (inclusive).
    pub lower: f64,
    /// Upper bound of the bin's probabilities (exclusive, except 1 in the last bin).
    pub upper: f64,
    /// Labelled accounts whose probability falls in the bin (count).
    pub accounts: usize,
    /// Bots among them (count).
    pub bots: usize,
    /// Mean out-of-fold probability in the bin (`None` when empty).
    pub mean_predicted: Option<f64>,
    /// Share of bots among the bin's accounts (`None` when empty).
    pub observed_bot_rate: Option<f64>,
}

/// `calibration.json`.
#[derive(Debug, Clone, Serialize)]
pub struct CalibrationReport {
    /// The model and validation, in words.
    pub method: &'static str,
    /// Path of the labels file given to `--calibrate`.
    pub labels_file: String,
    /// Labelled accounts found among the scored accounts (these are fitted on).
    pub labelled_in_data: usize,
    /// Bots among the labelled accounts in the data (count).
    pub bots: usize,
    /// Non-bots among the labelled accounts in the data (count).
    pub non_bots: usize,
    /// Labelled accounts with no post in the data (no signals: left out).
    pub labelled_not_in_data: usize,
    /// Model inputs in column order: every `<signal>_suspicion`, then every
    /// `<signal>_available`.
    pub features: Vec<String>,
    /// How a missing suspicion enters the model, in words.
    pub imputation: &'static str,
    /// Penalty, loss and solver settings of the fit.
    pub regularisation: Regularisation,
    /// Cross-validation settings and out-of-fold figures.
    pub cross_validation: CrossValidation,
    /// The uncalibrated score ranked on the same labelled accounts, for comparison.
    pub uncalibrated_score: Metrics,
    /// Intercept of the final model (log-odds of being a bot), fitted on every labelled account.
    pub intercept: f64,
    /// Coefficients of the final model, one per entry of `features`.
    pub coefficients: Vec<Coefficient>,
    /// Per model signal: its coefficient and the weight written to `calibrated_weights.toml`.
    pub weights: Vec<WeightEntry>,
    /// How the weights file relates to the model, in words.
    pub weights_note: &'static str,
    /// Reliability diagram of the out-of-fold probabilities ([`RELIABILITY_BINS`] equal-width bins).
    pub reliability: Vec<ReliabilityBin>,
}

/// Settings of the logistic-regression fit.
#[derive(Debug, Clone, Serialize)]
pub struct Regularisation {
    /// Kind of penalty (`"L2"`).
    pub penalty: &'static str,
    /// Strength of the L2 penalty ([`ALPHA`]).
    pub alpha: f64,
    /// The loss minimised, in words.
    pub loss: &'static str,
    /// The optimiser and its start, in words.
    pub solver: &'static str,
    /// Iteration limit of the solver.
    pub max_iterations: u64,
    /// Gradient norm at which the solver stops.
    pub gradient_tolerance: f64,
}

/// The calibration in `summary.json` and the report (details in `calibration.json`).
#[derive(Debug, Clone, Serialize)]
pub struct CalibrationSummary {
    /// Path of the labels file given to `--calibrate`.
    pub labels_file: String,
    /// Labelled accounts found among the scored accounts (count).
    pub labelled_in_data: usize,
    /// Bots among them (count).
    pub bots: usize,
    /// Non-bots among them (count).
    pub non_bots: usize,
    /// Number of cross-validation folds.
    pub folds: usize,
    /// Figures of the pooled out-of-fold probabilities.
    pub cross_validated: Metrics,
    /// Mean of the per-fold ROC AUCs.
    pub roc_auc_fold_mean: f64,
    /// Sample standard deviation of the per-fold ROC AUCs.
    pub roc_auc_fold_sd: f64,
    /// Mean squared error of the out-of-fold probabilities (0 is perfect).
    pub brier_score: f64,
    /// Expected calibration error of the out-of-fold probabilities (0–1).
    pub expected_calibration_error: f64,
    /// The uncalibrated score ranked on the same labelled accounts, for comparison.
    pub uncalibrated_score: Metrics,
    /// Signals whose negative coefficient was set to weight 0.
    pub clipped_signals: Vec<String>,
}

impl CalibrationSummary {
    /// The summary of a full calibration report.
    pub fn of(report: &CalibrationReport) -> Self {
        let cv = &report.cross_validation;
        CalibrationSummary {
            labels_file: report.labels_file.clone(),
            labelled_in_data: report.labelled_in_data,
            bots: report.bots,
            non_bots: report.non_bots,
            folds: cv.folds,
            cross_validated: cv.pooled.clone(),
            roc_auc_fold_mean: cv.roc_auc_fold_mean,
            roc_auc_fold_sd: cv.roc_auc_fold_sd,
            brier_score: cv.brier_score,
            expected_calibration_error: cv.expected_calibration_error,
            uncalibrated_score: report.uncalibrated_score.clone(),
            clipped_signals: report
                .weights
                .iter()
                .filter(|w| w.clipped)
                .map(|w| w.signal.clone())
                .collect(),
        }
    }

    /// The report's calibration section.
    pub fn markdown(&self) -> String {
        let cv = &self.cross_validated;
        let un = &self.uncalibrated_score;
        let mut md = String::new();
        let _ = writeln!(md, "### Calibration on labelled accounts\n");
        let _ = writeln!(
            md,
            "The combination of signals was fitted on `{}`: {} labelled accounts in the data ({} bots, {} non-bots), L2-regularised logistic regression on the per-signal suspicions. The `probability` column of `suspicious_accounts.csv` is that calibrated probability of being a bot, valid for accounts like the labelled ones; `score` and `rank` stay the uncalibrated ranking.\n",
            self.labels_file, self.labelled_in_data, self.bots, self.non_bots
        );
        let _ = writeln!(
            md,
            "| ranking of the labelled accounts | ROC AUC | average precision | P@k (k = {}) |\n|---|---|---|---|",
            cv.k
        );
        let _ = writeln!(
            md,
            "| calibrated probability, {}-fold cross-validated (out of fold) | {:.4} (folds {:.4} ± {:.4}) | {:.4} | {:.4} |",
            self.folds,
            cv.roc_auc,
            self.roc_auc_fold_mean,
            self.roc_auc_fold_sd,
            cv.average_precision,
            cv.precision_at_k
        );
        let _ = writeln!(
            md,
            "| uncalibrated score (not fitted on these labels) | {:.4} | {:.4} | {:.4} |\n",
            un.roc_auc, un.average_precision, un.precision_at_k
        );
        let _ = writeln!(
            md,
            "Brier score {:.4}, expected calibration error {:.4} (out of fold). Coefficients, folds and bins: `calibration.json`; weights for `--weights`: `calibrated_weights.toml`{}.\n",
            self.brier_score,
            self.expected_calibration_error,
            if self.clipped_signals.is_empty() {
                String::new()
            } else {
                format!(
                    " (negative coefficients set to 0: {})",
                    self.clipped_signals.join(", ")
                )
            }
        );
        let _ = writeln!(md, "![reliability diagram](reliability.png)\n");
        md
    }
}

/// The fitted calibration: report, a probability per scored account (same order as the
/// slice given to [`calibrate`]) and the weights for `--weights`.
#[derive(Debug, Clone)]
pub struct Calibrated {
    /// The contents of `calibration.json`.
    pub report: CalibrationReport,
    /// Final model's probability of being a bot (0–1) per scored account, labelled or not.
    pub probabilities: Vec<f64>,
    /// Weight per signal for `--weights`: clipped coefficient for model signals, 0 for the others.
    pub weights: BTreeMap<String, f64>,
}

/// The model's inputs for one account: suspicion (0 when missing), then availability.
fn row(account: &ScoredAccount, signals: &[usize]) -> Vec<f64> {
    let mut out = Vec::with_capacity(2 * signals.len());
    for &i in signals {
        out.push(account.suspicions.get(i).unwrap_or(0.0));
    }
    for &i in signals {
        out.push(f64::from(u8::from(account.suspicions.get(i).is_some())));
    }
    out
}

/// Fits the model; returns (coefficients for P(bot), intercept).
fn fit(x: &Array2<f64>, y: &[bool]) -> Result<(Array1<f64>, f64)> {
    let dataset = Dataset::new(x.clone(), Array1::from(y.to_vec()));
    let model = LogisticRegression::default()
        .alpha(ALPHA)
        .max_iterations(MAX_ITERATIONS)
        .gradient_tolerance(GRADIENT_TOLERANCE)
        .fit(&dataset)
        .context("fitting the logistic regression")?;
    // linfa models the probability of the larger class; bots are usually the smaller one.
    if model.labels().pos.class {
        Ok((model.params().clone(), model.intercept()))
    } else {
        Ok((-model.params().clone(), -model.intercept()))
    }
}

fn predict(x: &Array2<f64>, coefficients: &Array1<f64>, intercept: f64) -> Vec<f64> {
    x.dot(coefficients)
        .iter()
        .map(|z| 1.0 / (1.0 + (-(z + intercept)).exp()))
        .collect()
}

/// ROC AUC, AP and P@k (k = bots) with `evaluate`'s conventions (mid-ranks; ties broken
/// pessimistically for AP and P@k).
pub fn metrics(scores: &[f64], is_bot: &[bool]) -> Metrics {
    let mut ranked: Vec<Ranked> = scores
        .iter()
        .zip(is_bot)
        .map(|(&score, &is_bot)| Ranked {
            score,
            is_bot,
            kind: "",
        })
        .collect();
    let bots = is_bot.iter().filter(|&&b| b).count();
    let roc_auc = evaluate::mann_whitney_auc(&mut ranked);
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.is_bot.cmp(&b.is_bot)));
    let average_precision = evaluate::average_precision(&ranked, bots);
    let k = bots.max(1).min(ranked.len());
    let hits = ranked[..k].iter().filter(|r| r.is_bot).count();
    Metrics {
        accounts: scores.len(),
        bots,
        k,
        roc_auc,
        average_precision,
        precision_at_k: hits as f64 / k as f64,
    }
}

/// Stratified fold of each labelled account: bots and non-bots shuffled separately
/// (seeded) and dealt round-robin, so every fold has ⌊n/k⌋ or ⌈n/k⌉ of each.
pub fn stratified_folds(is_bot: &[bool], folds: usize, seed: u64) -> Vec<usize> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut assignment = vec![0; is_bot.len()];
    for class in [true, false] {
        let mut members: Vec<usize> = (0..is_bot.len()).filter(|&i| is_bot[i] == class).collect();
        members.shuffle(&mut rng);
        for (n, i) in members.into_iter().enumerate() {
            assignment[i] = n % folds;
        }
    }
    assignment
}

fn reliability(probabilities: &[f64], is_bot: &[bool]) -> Vec<ReliabilityBin> {
    let mut sums = vec![(0usize, 0usize, 0.0f64); RELIABILITY_BINS];
    for (&p, &bot) in probabilities.iter().zip(is_bot) {
        let b = ((p * RELIABILITY_BINS as f64) as usize).min(RELIABILITY_BINS - 1);
        sums[b].0 += 1;
        sums[b].1 += usize::from(bot);
        sums[b].2 += p;
    }
    sums.into_iter()
        .enumerate()
        .map(|(b, (n, bots, p))| ReliabilityBin {
            lower: b as f64 / RELIABILITY_BINS as f64,
            upper: (b + 1) as f64 / RELIABILITY_BINS as f64,
            accounts: n,
            bots,
            mean_predicted: (n > 0).then(|| p / n as f64),
            observed_bot_rate: (n > 0).then(|| bots as f64 / n as f64),
        })
        .collect()
}

/// Matches labels to scored accounts. With a platform column, on (platform, id).
fn match_labels(
    scored: &[ScoredAccount],
    labels: &HashMap<evaluate::AccountKey, evaluate::TruthRow>,
) -> (Vec<(usize, bool)>, usize) {
    let mut matched = Vec::new();
    for (i, account) in scored.iter().enumerate() {
        let key = evaluate::AccountKey::new(
            account.features.platform.clone(),
            account.features.account_id.clone(),
        );
        if let Some(label) = labels.get(&key) {
            matched.push((i, label.is_bot));
        }
    }
    let missing = labels.len() - matched.len();
    (matched, missing)
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

fn round_metrics(m: Metrics) -> Metrics {
    Metrics {
        roc_auc: round6(m.roc_auc),
        average_precision: round6(m.average_precision),
        precision_at_k: round6(m.precision_at_k),
        ..m
    }
}

/// Fits, cross-validates and applies the calibration. `scored` is every scored account.
pub fn calibrate(scored: &[ScoredAccount], labels_file: &Path) -> Result<Calibrated> {
    let labels = evaluate::read_truth(labels_file)?;
    let (matched, missing) = match_labels(scored, &labels);
    let is_bot: Vec<bool> = matched.iter().map(|m| m.1).collect();
    let bots = is_bot.iter().filter(|&&b| b).count();
    let non_bots = is_bot.len() - bots;
    if bots < FOLDS || non_bots < FOLDS {
        bail!(
            "{}: {} labelled accounts are in the data ({bots} bots, {non_bots} non-bots; {missing} labelled accounts have no post in it); {FOLDS}-fold cross-validation needs at least {FOLDS} of each",
            labels_file.display(),
            matched.len()
        );
    }
    let signals = model_signals();
    let width = 2 * signals.len();
    let all_rows: Vec<f64> = scored.iter().flat_map(|a| row(a, &signals)).collect();
    let x_all = Array2::from_shape_vec((scored.len(), width), all_rows)?;
    let labelled_rows: Vec<usize> = matched.iter().map(|m| m.0).collect();
    let x = x_all.select(ndarray::Axis(0), &labelled_rows);

    let fold_of = stratified_folds(&is_bot, FOLDS, FOLD_SEED);
    let mut out_of_fold = vec![0.0; is_bot.len()];
    let mut per_fold = Vec::new();
    for fold in 0..FOLDS {
        let train: Vec<usize> = (0..is_bot.len()).filter(|&i| fold_of[i] != fold).collect();
        let test: Vec<usize> = (0..is_bot.len()).filter(|&i| fold_of[i] == fold).collect();
        let y_train: Vec<bool> = train.iter().map(|&i| is_bot[i]).collect();
        let (beta, b0) = fit(&x.select(ndarray::Axis(0), &train), &y_train)
            .with_context(|| format!("cross-validation fold {}", fold + 1))?;
        let predicted = predict(&x.select(ndarray::Axis(0), &test), &beta, b0);
        for (&i, &p) in test.iter().zip(&predicted) {
            out_of_fold[i] = p;
        }
        let y_test: Vec<bool> = test.iter().map(|&i| is_bot[i]).collect();
        let held_out = round_metrics(metrics(&predicted, &y_test));
        per_fold.push(Fold {
            fold: fold + 1,
            bots: held_out.bots,
            non_bots: held_out.accounts - held_out.bots,
            held_out,
        });
    }
    let aucs: Vec<f64> = per_fold.iter().map(|f| f.held_out.roc_auc).collect();
    let mean = aucs.iter().sum::<f64>() / aucs.len() as f64;
    let sd =
        (aucs.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / (aucs.len() - 1) as f64).sqrt();
    let bins = reliability(&out_of_fold, &is_bot);
    let n = is_bot.len() as f64;
    let brier = out_of_fold
        .iter()
        .zip(&is_bot)
        .map(|(p, &b)| (p - f64::from(u8::from(b))).powi(2))
        .sum::<f64>()
        / n;
    let ece = bins
        .iter()
        .filter_map(|b| {
            Some(b.accounts as f64 / n * (b.observed_bot_rate? - b.mean_predicted?).abs())
        })
        .sum::<f64>();
    let cross_validation = CrossValidation {
        folds: FOLDS,
        seed: FOLD_SEED,
        stratified: true,
        pooled: round_metrics(metrics(&out_of_fold, &is_bot)),
        roc_auc_fold_mean: round6(mean),
        roc_auc_fold_sd: round6(sd),
        per_fold,
        brier_score: round6(brier),
        expected_calibration_error: round6(ece),
    };

    let (beta, b0) = fit(&x, &is_bot).context("fitting on every labelled account")?;
    let probabilities: Vec<f64> = predict(&x_all, &beta, b0).into_iter().map(round6).collect();
    let uncalibrated: Vec<f64> = labelled_rows.iter().map(|&i| scored[i].score).collect();

    let mut features = Vec::with_capacity(width);
    features.extend(
        signals
            .iter()
            .map(|&i| format!("{}_suspicion", SIGNALS[i].name)),
    );
    features.extend(
        signals
            .iter()
            .map(|&i| format!("{}_available", SIGNALS[i].name)),
    );
    let coefficients = features
        .iter()
        .zip(beta.iter())
        .map(|(f, &c)| Coefficient {
            feature: f.clone(),
            coefficient: round6(c),
        })
        .collect();
    let mut weights: BTreeMap<String, f64> =
        SIGNALS.iter().map(|s| (s.name.to_string(), 0.0)).collect();
    let mut entries = Vec::new();
    for (j, &i) in signals.iter().enumerate() {
        let c = round6(beta[j]);
        let weight = c.max(0.0);
        weights.insert(SIGNALS[i].name.to_string(), weight);
        entries.push(WeightEntry {
            signal: SIGNALS[i].name.to_string(),
            coefficient: c,
            weight,
            clipped: c < 0.0,
        });
    }
    let report = CalibrationReport {
        method: "L2-regularised logistic regression (linfa-logistic) on per-signal suspicions and availability indicators; stratified k-fold cross-validation",
        labels_file: labels_file.display().to_string(),
        labelled_in_data: is_bot.len(),
        bots,
        non_bots,
        labelled_not_in_data: missing,
        features,
        imputation: "a missing suspicion (too few events, field absent) enters as 0 with its `_available` indicator 0",
        regularisation: Regularisation {
            penalty: "L2",
            alpha: ALPHA,
            loss: "Σ log-loss over labelled accounts + α/2·‖coefficients‖² (intercept not penalised)",
            solver: "L-BFGS (argmin), zero start",
            max_iterations: MAX_ITERATIONS,
            gradient_tolerance: GRADIENT_TOLERANCE,
        },
        cross_validation,
        uncalibrated_score: round_metrics(metrics(&uncalibrated, &is_bot)),
        intercept: round6(b0),
        coefficients,
        weights: entries,
        weights_note: "calibrated_weights.toml: each signal's suspicion coefficient clipped at 0 (weights are ≥ 0); intercept and availability indicators left out. `--weights` uses them in a weighted mean of available suspicions, which approximates and does not reproduce the logistic model: the `probability` column is the model itself.",
        reliability: bins,
    };
    Ok(Calibrated {
        report,
        probabilities,
        weights,
    })
}

impl Calibrated {
    /// Sets each scored account's `probability` (same order as given to [`calibrate`]).
    pub fn apply(&self, scored: &mut [ScoredAccount]) {
        for (account, &p) in scored.iter_mut().zip(&self.probabilities) {
            account.probability = Some(p);
        }
    }

    /// `calibrated_weights.toml`, loadable with `--weights`.
    pub fn weights_toml(&self) -> String {
        let r = &self.report;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# Weights fitted by `--calibrate {}` ({} labelled accounts: {} bots, {} non-bots).",
            r.labels_file, r.labelled_in_data, r.bots, r.non_bots
        );
        let _ = writeln!(
            out,
            "# Cross-validated ({}-fold) ROC AUC of the calibrated model {:.4}, AP {:.4}, P@k {:.4}.",
            r.cross_validation.folds,
            r.cross_validation.pooled.roc_auc,
            r.cross_validation.pooled.average_precision,
            r.cross_validation.pooled.precision_at_k
        );
        let _ = writeln!(
            out,
            "# Logistic coefficients of the suspicions clipped at 0; see calibration.json."
        );
        let clipped: Vec<&str> = r
            .weights
            .iter()
            .filter(|w| w.clipped)
            .map(|w| w.signal.as_str())
            .collect();
        if !clipped.is_empty() {
            let _ = writeln!(
                out,
                "# Negative coefficients set to 0: {}.",
                clipped.join(", ")
            );
        }
        for (name, weight) in &self.weights {
            let _ = writeln!(out, "{name} = {weight:?}");
        }
        out
    }

    /// Writes `calibration.json`, `calibrated_weights.toml` and `reliability.png`.
    pub fn write(&self, dir: &Path, style: &crate::plot::FigureStyle) -> Result<()> {
        crate::export::write_json(&self.report, &dir.join("calibration.json"))?;
        crate::export::write_text(&self.weights_toml(), &dir.join("calibrated_weights.toml"))?;
        let png = crate::plot::reliability::reliability_png(
            "Reliability of the calibrated probability (out-of-fold)",
            &self.report.reliability,
            &format!(
                "{} labelled accounts ({} bots), {}-fold cross-validation: ROC AUC {:.3}, Brier {:.3}, ECE {:.3}",
                self.report.labelled_in_data,
                self.report.bots,
                self.report.cross_validation.folds,
                self.report.cross_validation.pooled.roc_auc,
                self.report.cross_validation.brier_score,
                self.report.cross_validation.expected_calibration_error
            ),
            style,
        )?;
        crate::export::write_bytes(&png, &dir.join("reliability.png"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_are_stratified_and_seeded() {
        let is_bot: Vec<bool> = (0..103).map(|i| i % 4 == 0).collect();
        let a = stratified_folds(&is_bot, 5, 1);
        assert_eq!(a, stratified_folds(&is_bot, 5, 1));
        assert_ne!(a, stratified_folds(&is_bot, 5, 2));
        for fold in 0..5 {
            let bots = (0..103).filter(|&i| a[i] == fold && is_bot[i]).count();
            let humans = (0..103).filter(|&i| a[i] == fold && !is_bot[i]).count();
            assert!((5..=6).contains(&bots), "{bots}");
            assert!((15..=16).contains(&humans), "{humans}");
        }
    }

    #[test]
    fn fit_finds_the_informative_feature_with_the_right_sign() {
        // Feature 0 separates bots; feature 1 is noise. Bots are the minority class, so
        // linfa's positive class is the non-bot one and the sign must be flipped back.
        let n = 200;
        let mut values = Vec::new();
        let mut y = Vec::new();
        for i in 0..n {
            let bot = i % 5 == 0;
            let informative = if bot { 0.8 } else { 0.2 } + (i % 7) as f64 * 0.02;
            values.push(informative);
            values.push(((i * 37) % 11) as f64 / 10.0);
            y.push(bot);
        }
        let x = Array2::from_shape_vec((n, 2), values).unwrap();
        let (beta, _) = fit(&x, &y).unwrap();
        assert!(beta[0] > 2.0, "{beta}");
        assert!(beta[1].abs() < beta[0] / 4.0, "{beta}");
        let p = predict(&x, &beta, fit(&x, &y).unwrap().1);
        let m = metrics(&p, &y);
        assert!(m.roc_auc > 0.99, "{m:?}");
    }

    #[test]
    fn metrics_follow_evaluate_conventions() {
        let m = metrics(&[0.9, 0.8, 0.3, 0.1], &[true, false, true, false]);
        assert_eq!(m.roc_auc, 0.75);
        assert_eq!(m.k, 2);
        assert_eq!(m.precision_at_k, 0.5);
        assert!((m.average_precision - (1.0 + 2.0 / 3.0) / 2.0).abs() < 1e-12);
        // All tied: AUC one half, pessimistic P@k 0.
        let tied = metrics(&[0.5; 4], &[true, false, true, false]);
        assert_eq!(tied.roc_auc, 0.5);
        assert_eq!(tied.precision_at_k, 0.0);
    }

    #[test]
    fn reliability_bins_count_and_rate() {
        let bins = reliability(
            &[0.05, 0.07, 0.95, 0.99, 1.0],
            &[false, true, true, true, false],
        );
        assert_eq!(bins.len(), RELIABILITY_BINS);
        assert_eq!(bins[0].accounts, 2);
        assert_eq!(bins[0].observed_bot_rate, Some(0.5));
        assert_eq!(bins[9].accounts, 3);
        assert_eq!(bins[9].bots, 2);
        assert_eq!(bins[5].mean_predicted, None);
    }
}
