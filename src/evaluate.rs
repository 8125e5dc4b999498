//! Detection quality of a bot score file against a ground-truth file
//! (the `truth.csv` written by `crate::simulate`, or a hand-labelled one).
//!
//! Ranking conventions, so that numbers are comparable between tools:
//! * Accounts present in the truth but absent from the scores get the lowest
//!   possible score (`-inf`): a detector cannot gain by skipping accounts.
//! * ROC AUC is rank based (Mann–Whitney U) with mid-ranks for ties, so a
//!   constant score gives exactly 0.5.
//! * Average precision, precision@k and recall@k rank by score descending
//!   and break ties *pessimistically*: within a group of equal scores all
//!   non-bots come before all bots. A detector therefore gets no credit for
//!   ties it did not resolve.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use serde::Serialize;

/// Recall of one account kind (bot or human) among the top `k` accounts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KindRecall {
    /// The truth file's `kind` value (`bot`/`human` when it has no `kind` column).
    pub kind: String,
    /// Whether accounts of this kind are labelled bots.
    pub is_bot: bool,
    /// Accounts of this kind in the truth file.
    pub total: usize,
    /// Accounts of this kind ranked in the top `k`.
    pub in_top_k: usize,
    /// `in_top_k / total`; for human kinds this is a false-positive share.
    pub recall: f64,
}

/// Summary of how well a score file separates bots from humans.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// Path of the truth file, as given.
    pub truth_file: String,
    /// Path of the scores file, as given.
    pub scores_file: String,
    /// Accounts in the truth file.
    pub n_accounts: usize,
    /// Bots in the truth file.
    pub n_bots: usize,
    /// Rows in the scores file.
    pub n_score_rows: usize,
    /// Truth accounts that have a score.
    pub n_scored: usize,
    /// Truth accounts without a score (ranked lowest).
    pub missing_from_scores: usize,
    /// Scored accounts that are not in the truth (ignored).
    pub unknown_in_scores: usize,
    /// Cut-off of the top-k figures: the `k` asked for (at most `n_accounts`), else `n_bots`.
    pub k: usize,
    /// Area under the ROC curve (0–1; 0.5 is chance), mid-ranks for ties.
    pub roc_auc: f64,
    /// Average precision (0–1), ties broken pessimistically.
    pub average_precision: f64,
    /// Share of bots (0–1) among the top `k` accounts.
    pub precision_at_k: f64,
    /// Share of the truth's bots (0–1) ranked in the top `k`.
    pub recall_at_k: f64,
    /// One entry per kind, bots first, then by name.
    pub per_kind: Vec<KindRecall>,
}

/// One labelled account of the truth file.
pub(crate) struct TruthRow {
    pub(crate) is_bot: bool,
    /// The `kind` column, or `bot`/`human` when the file has none.
    pub(crate) kind: String,
}

/// Scores one account was given, or `-inf` when the detector skipped it.
pub(crate) struct Ranked<'a> {
    pub(crate) score: f64,
    pub(crate) is_bot: bool,
    pub(crate) kind: &'a str,
}

/// Compare `scores_csv` (id and score columns named by `columns`, by default
/// `account_id` and `score`, plus `platform` when present) to `truth_csv` (columns
/// `platform`, `account_id`, `is_bot`, `kind`). `k` defaults to the number of true bots.
pub fn evaluate(
    truth_csv: &Path,
    scores_csv: &Path,
    k: Option<usize>,
    columns: &ScoreColumns,
) -> Result<EvalReport> {
    let truth = read_truth(truth_csv)?;
    let (scores, n_score_rows) = read_scores(scores_csv, columns, &truth)?;

    let n_bots = truth.values().filter(|t| t.is_bot).count();
    let n_humans = truth.len() - n_bots;
    if n_bots == 0 || n_humans == 0 {
        bail!(
            "{}: truth has {n_bots} bots and {n_humans} non-bots; ROC AUC needs both",
            truth_csv.display()
        );
    }

    let unknown_in_scores = scores
        .keys()
        .filter(|key| !truth.contains_key(*key))
        .count();
    if n_score_rows > 0 && unknown_in_scores == scores.len() {
        bail!(
            "id mismatch: none of {} scored accounts is in {} — check the id and platform columns (--id-col, --platform-col)",
            scores.len(),
            truth_csv.display()
        );
    }

    let mut ranked: Vec<Ranked> = truth
        .iter()
        .map(|(key, row)| Ranked {
            score: scores.get(key).copied().unwrap_or(f64::NEG_INFINITY),
            is_bot: row.is_bot,
            kind: &row.kind,
        })
        .collect();
    let n_scored = truth.keys().filter(|key| scores.contains_key(*key)).count();

    let k = match k {
        Some(0) => bail!("k must be at least 1"),
        Some(k) => k.min(ranked.len()),
        None => n_bots,
    };

    let roc_auc = mann_whitney_auc(&mut ranked);

    // Descending by score, non-bots first within ties (pessimistic).
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.is_bot.cmp(&b.is_bot)));
    let average_precision = average_precision(&ranked, n_bots);
    let bots_in_top_k = ranked[..k].iter().filter(|r| r.is_bot).count();

    let mut kinds: BTreeMap<(bool, &str), (usize, usize)> = BTreeMap::new();
    for (rank, r) in ranked.iter().enumerate() {
        let entry = kinds.entry((!r.is_bot, r.kind)).or_default();
        entry.0 += 1;
        if rank < k {
            entry.1 += 1;
        }
    }
    let per_kind = kinds
        .into_iter()
        .map(|((not_bot, kind), (total, in_top_k))| KindRecall {
            kind: kind.to_string(),
            is_bot: !not_bot,
            total,
            in_top_k,
            recall: in_top_k as f64 / total as f64,
        })
        .collect();

    Ok(EvalReport {
        truth_file: truth_csv.display().to_string(),
        scores_file: scores_csv.display().to_string(),
        n_accounts: truth.len(),
        n_bots,
        n_score_rows,
        n_scored,
        missing_from_scores: truth.len() - n_scored,
        unknown_in_scores,
        k,
        roc_auc,
        average_precision,
        precision_at_k: bots_in_top_k as f64 / k as f64,
        recall_at_k: bots_in_top_k as f64 / n_bots as f64,
        per_kind,
    })
}

/// Probability that a random bot outscores a random non-bot, ties counting
/// one half (mid-ranks). Sorts `ranked` ascending as a side effect.
pub(crate) fn mann_whitney_auc(ranked: &mut [Ranked]) -> f64 {
    ranked.sort_by(|a, b| a.score.total_cmp(&b.score));
    let n_bots = ranked.iter().filter(|r| r.is_bot).count() as f64;
    let n_humans = ranked.len() as f64 - n_bots;
    let mut bot_rank_sum = 0.0;
    let mut start = 0;
    while start < ranked.len() {
        let mut end = start;
        while end < ranked.len() && ranked[end].score == ranked[start].score {
            end += 1;
        }
        // 1-based ranks start+1 ..= end share their mean.
        let mid_rank = (start + 1 + end) as f64 / 2.0;
        let bots = ranked[start..end].iter().filter(|r| r.is_bot).count() as f64;
        bot_rank_sum += bots * mid_rank;
        start = end;
    }
    (bot_rank_sum - n_bots * (n_bots + 1.0) / 2.0) / (n_bots * n_humans)
}

/// Mean over bots of the precision at each bot's rank (`ranked` descending).
pub(crate) fn average_precision(ranked: &[Ranked], n_bots: usize) -> f64 {
    let mut hits = 0usize;
    let mut sum = 0.0;
    for (i, r) in ranked.iter().enumerate() {
        if r.is_bot {
            hits += 1;
            sum += hits as f64 / (i + 1) as f64;
        }
    }
    sum / n_bots as f64
}

pub(crate) use crate::account_index::AccountKey;

fn open_csv(path: &Path) -> Result<(csv::Reader<std::fs::File>, csv::StringRecord)> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let headers = reader
        .headers()
        .with_context(|| format!("{}: cannot read the header line", path.display()))?
        .clone();
    Ok((reader, headers))
}

fn column(path: &Path, headers: &csv::StringRecord, name: &str) -> Result<usize> {
    headers
        .iter()
        .position(|h| h.trim() == name)
        .ok_or_else(|| {
            anyhow!(
                "{}: missing column `{name}` (found: {})",
                path.display(),
                headers.iter().collect::<Vec<_>>().join(",")
            )
        })
}

fn line_of(record: &csv::StringRecord) -> u64 {
    record.position().map_or(0, |p| p.line())
}

fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

/// Reads a truth or labels file: `platform, account_id, is_bot` and optionally `kind`
/// (without it, kinds are `bot` and `human`). Errors name the file, line and reason.
pub(crate) fn read_truth(path: &Path) -> Result<HashMap<AccountKey, TruthRow>> {
    let (mut reader, headers) = open_csv(path)?;
    let platform = column(path, &headers, "platform")?;
    let account_id = column(path, &headers, "account_id")?;
    let is_bot = column(path, &headers, "is_bot")?;
    let kind = headers.iter().position(|h| h.trim() == "kind");
    let mut truth = HashMap::new();
    for record in reader.records() {
        let record = record.with_context(|| format!("{}: malformed CSV", path.display()))?;
        let line = line_of(&record);
        let key = AccountKey::new(record[platform].trim(), record[account_id].trim());
        let bot = parse_bool(&record[is_bot]).ok_or_else(|| {
            anyhow!(
                "{} line {line}: is_bot `{}` is not true/false/1/0/yes/no",
                path.display(),
                &record[is_bot]
            )
        })?;
        let row = TruthRow {
            is_bot: bot,
            kind: match kind {
                Some(kind) => record[kind].trim().to_string(),
                None => (if bot { "bot" } else { "human" }).to_string(),
            },
        };
        if truth.insert(key.clone(), row).is_some() {
            bail!(
                "{} line {line}: duplicate account {}/{}",
                path.display(),
                key.platform,
                key.account_id
            );
        }
    }
    Ok(truth)
}

/// Which columns of a scores file hold the account id, the score and (optionally) the
/// platform. Other tools' exports (Botometer, a pandas script) name them differently and
/// often carry no platform at all.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreColumns {
    /// Header of the account id column (default `account_id`).
    pub id: String,
    /// Header of the score column (default `score`); higher means more bot-like.
    pub score: String,
    /// `None`: use a `platform` column when the file has one, else join on the id alone.
    pub platform: Option<String>,
}

impl Default for ScoreColumns {
    fn default() -> Self {
        Self {
            id: "account_id".into(),
            score: "score".into(),
            platform: None,
        }
    }
}

/// The scores of a file with `platform`, `account_id` and `score` columns, such as
/// `suspicious_accounts.csv` (for the bot-share figure of `tagscope timeline --scores`):
/// read with the checks of [`evaluate`] (trimmed cells, numbers only, no account twice,
/// errors at the file's true line).
pub fn read_account_scores(path: &Path) -> Result<HashMap<AccountKey, f64>> {
    let columns = ScoreColumns {
        platform: Some("platform".into()),
        ..ScoreColumns::default()
    };
    read_scores(path, &columns, &HashMap::new()).map(|(scores, _)| scores)
}

/// Returns the scores by account and the number of data rows. Without a platform column,
/// each id is matched to the truth's platform for it; an id that the truth holds on two
/// platforms is an error (the file cannot say which one it scored).
fn read_scores(
    path: &Path,
    columns: &ScoreColumns,
    truth: &HashMap<AccountKey, TruthRow>,
) -> Result<(HashMap<AccountKey, f64>, usize)> {
    let (mut reader, headers) = open_csv(path)?;
    let platform = match &columns.platform {
        Some(name) => Some(column(path, &headers, name)?),
        None => headers.iter().position(|h| h.trim() == "platform"),
    };
    let account_id = column(path, &headers, &columns.id)?;
    let score = column(path, &headers, &columns.score)?;
    let mut platforms_of: HashMap<&str, Vec<&str>> = HashMap::new();
    if platform.is_none() {
        for key in truth.keys() {
            platforms_of
                .entry(key.account_id.as_str())
                .or_default()
                .push(key.platform.as_str());
        }
    }
    let mut scores = HashMap::new();
    let mut rows = 0;
    for record in reader.records() {
        let record = record.with_context(|| format!("{}: malformed CSV", path.display()))?;
        let line = line_of(&record);
        rows += 1;
        let raw = record[score].trim();
        let value: f64 = raw
            .parse()
            .ok()
            .filter(|v: &f64| !v.is_nan())
            .ok_or_else(|| {
                anyhow!(
                    "{} line {line}: score `{raw}` is not a number",
                    path.display()
                )
            })?;
        let id = record[account_id].trim().to_string();
        let key = match platform {
            Some(p) => AccountKey::new(record[p].trim(), id),
            None => match platforms_of.get(id.as_str()).map(Vec::as_slice) {
                Some([only]) => AccountKey::new(*only, id),
                Some(several) if several.len() > 1 => {
                    let mut names = several.to_vec();
                    names.sort_unstable();
                    bail!(
                        "{} line {line}: id `{id}` is on several platforms in the truth ({}); add a platform column (--platform-col)",
                        path.display(),
                        names.join(", ")
                    )
                }
                _ => AccountKey::new(String::new(), id),
            },
        };
        if scores.insert(key.clone(), value).is_some() {
            bail!(
                "{} line {line}: duplicate score for {}",
                path.display(),
                if key.platform.is_empty() {
                    key.account_id
                } else {
                    format!("{}/{}", key.platform, key.account_id)
                }
            );
        }
    }
    if rows == 0 {
        bail!("{}: no scores (only a header)", path.display());
    }
    Ok((scores, rows))
}

impl EvalReport {
    /// Aligned plain-text report for the terminal.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "truth:  {}", self.truth_file);
        let _ = writeln!(out, "scores: {}", self.scores_file);
        let rows: [(&str, String); 10] = [
            (
                "accounts in truth",
                format!("{} ({} bots)", self.n_accounts, self.n_bots),
            ),
            ("score rows", self.n_score_rows.to_string()),
            ("truth accounts scored", self.n_scored.to_string()),
            (
                "missing from scores",
                format!("{} (ranked lowest)", self.missing_from_scores),
            ),
            (
                "unknown in scores",
                format!("{} (ignored)", self.unknown_in_scores),
            ),
            ("ROC AUC", format!("{:.4}", self.roc_auc)),
            (
                "average precision",
                format!("{:.4}", self.average_precision),
            ),
            ("k", self.k.to_string()),
            ("precision@k", format!("{:.4}", self.precision_at_k)),
            ("recall@k", format!("{:.4}", self.recall_at_k)),
        ];
        for (label, value) in rows {
            let _ = writeln!(out, "  {label:<24}{value}");
        }
        let width = self
            .per_kind
            .iter()
            .map(|k| k.kind.len())
            .max()
            .unwrap_or(4)
            .max(4);
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "  {:<width$}  {:>4}  {:>8}  {:>8}  {:>8}",
            "kind", "bot", "total", "in top k", "share"
        );
        for kind in &self.per_kind {
            let _ = writeln!(
                out,
                "  {:<width$}  {:>4}  {:>8}  {:>8}  {:>8.4}",
                kind.kind,
                if kind.is_bot { "yes" } else { "no" },
                kind.total,
                kind.in_top_k,
                kind.recall
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// Writes `truth` and `scores` CSV text into a fresh temp dir.
    fn files(name: &str, truth: &str, scores: &str) -> (PathBuf, PathBuf) {
        let dir = std::env::temp_dir().join(format!("evaluate-test-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (t, s) = (dir.join("truth.csv"), dir.join("scores.csv"));
        std::fs::write(&t, truth).unwrap();
        std::fs::write(&s, scores).unwrap();
        (t, s)
    }

    const TRUTH: &str = "platform,account_id,handle,is_bot,kind\n\
        twitter,1,a,true,amplifier\n\
        twitter,2,b,yes,scheduled\n\
        twitter,3,c,false,human\n\
        twitter,4,d,0,human\n";

    fn run(name: &str, scores: &str, k: Option<usize>) -> Result<EvalReport> {
        let (t, s) = files(name, TRUTH, scores);
        evaluate(&t, &s, k, &ScoreColumns::default())
    }

    #[test]
    fn perfect_ranking() {
        let r = run("perfect", "account_id,score,platform\n1,0.9,twitter\n2,0.8,twitter\n3,0.2,twitter\n4,0.1,twitter\n", None)
            .unwrap();
        assert_eq!(r.roc_auc, 1.0);
        assert_eq!(r.average_precision, 1.0);
        assert_eq!((r.k, r.precision_at_k, r.recall_at_k), (2, 1.0, 1.0));
        let amp = r.per_kind.iter().find(|k| k.kind == "amplifier").unwrap();
        assert_eq!((amp.total, amp.in_top_k, amp.is_bot), (1, 1, true));
        assert!(r.to_table().contains("amplifier"));
    }

    #[test]
    fn reversed_ranking() {
        let r = run("reversed", "platform,account_id,score\ntwitter,1,0.1\ntwitter,2,0.2\ntwitter,3,0.8\ntwitter,4,0.9\n", None)
            .unwrap();
        assert_eq!(r.roc_auc, 0.0);
        // Bots at ranks 3 and 4: (1/3 + 2/4) / 2.
        assert!((r.average_precision - (1.0 / 3.0 + 0.5) / 2.0).abs() < 1e-12);
        assert_eq!(r.precision_at_k, 0.0);
        let human = r.per_kind.iter().find(|k| k.kind == "human").unwrap();
        assert_eq!(human.in_top_k, 2);
    }

    #[test]
    fn all_tied_is_half_and_pessimistic() {
        let r = run(
            "tied",
            "platform,account_id,score\ntwitter,1,1\ntwitter,2,1\ntwitter,3,1\ntwitter,4,1\n",
            None,
        )
        .unwrap();
        assert_eq!(r.roc_auc, 0.5);
        // Pessimistic ties put both bots last, like the reversed case.
        assert!((r.average_precision - (1.0 / 3.0 + 0.5) / 2.0).abs() < 1e-12);
        assert_eq!(r.precision_at_k, 0.0);
    }

    #[test]
    fn hand_computed_ap_and_missing_ranked_lowest() {
        // Order: 1 (bot), 3 (human), 2 (bot, missing -> -inf, after 4 by pessimism).
        // Ranks: 1:bot, 2:human(3), 3:human(4, -inf), 4:bot(2, -inf).
        let r = run("missing", "platform,account_id,score\ntwitter,1,0.9\ntwitter,3,0.5\ntwitter,4,-1e308\ntwitter,99,0.7\n", Some(3))
            .unwrap();
        assert_eq!(r.missing_from_scores, 1);
        assert_eq!(r.unknown_in_scores, 1);
        assert_eq!(r.n_scored, 3);
        assert!((r.average_precision - (1.0 + 2.0 / 4.0) / 2.0).abs() < 1e-12);
        // AUC pairs: bot1 beats both humans (2); bot2 (-inf) loses both (0) -> 2/4.
        assert_eq!(r.roc_auc, 0.5);
        assert_eq!(r.k, 3);
        assert!((r.precision_at_k - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(r.recall_at_k, 0.5);
    }

    #[test]
    fn errors_are_explicit() {
        let missing_col =
            run("nocol", "platform,account_id,value\ntwitter,1,0.5\n", None).unwrap_err();
        assert!(format!("{missing_col:#}").contains("missing column `score`"));

        let bad_value = run(
            "badval",
            "platform,account_id,score\ntwitter,1,0.5\ntwitter,2,high\n",
            None,
        )
        .unwrap_err();
        let msg = format!("{bad_value:#}");
        assert!(msg.contains("line 3") && msg.contains("`high`"), "{msg}");

        let mismatch =
            run("mismatch", "platform,account_id,score\n4chan,1,0.5\n", None).unwrap_err();
        assert!(format!("{mismatch:#}").contains("id mismatch: none of 1 scored accounts"));

        let (t, s) = files(
            "nobots",
            "platform,account_id,handle,is_bot,kind\ntwitter,1,a,false,human\n",
            "platform,account_id,score\ntwitter,1,0.5\n",
        );
        assert!(
            format!(
                "{:#}",
                evaluate(&t, &s, None, &ScoreColumns::default()).unwrap_err()
            )
            .contains("needs both")
        );

        let (t, s) = files(
            "badbool",
            "platform,account_id,handle,is_bot,kind\ntwitter,1,a,maybe,human\n",
            "platform,account_id,score\ntwitter,1,0.5\n",
        );
        assert!(
            format!(
                "{:#}",
                evaluate(&t, &s, None, &ScoreColumns::default()).unwrap_err()
            )
            .contains("line 2")
        );
    }

    #[test]
    fn other_tools_files_with_id_and_score_only() {
        // A Botometer-style export: its own column names, no platform.
        let (t, s) = files("idonly", TRUTH, "user_id,cap\n1,0.9\n2,0.8\n3,0.2\n4,0.1\n");
        let columns = ScoreColumns {
            id: "user_id".into(),
            score: "cap".into(),
            platform: None,
        };
        let r = evaluate(&t, &s, None, &columns).unwrap();
        assert_eq!((r.roc_auc, r.n_scored, r.unknown_in_scores), (1.0, 4, 0));
        // Default names without a platform column also work.
        let r = run(
            "idonly-default",
            "account_id,score\n1,0.1\n2,0.2\n3,0.8\n4,0.9\n",
            None,
        )
        .unwrap();
        assert_eq!(r.roc_auc, 0.0);
        // An id the truth holds on two platforms cannot be placed.
        let (t, s) = files(
            "ambiguous",
            "platform,account_id,handle,is_bot,kind\ntwitter,1,a,true,x\n4chan,1,,false,human\ntwitter,2,b,false,human\n",
            "account_id,score\n2,0.5\n1,0.9\n",
        );
        let msg = format!(
            "{:#}",
            evaluate(&t, &s, None, &ScoreColumns::default()).unwrap_err()
        );
        assert!(
            msg.contains("line 3") && msg.contains("`1`") && msg.contains("4chan, twitter"),
            "{msg}"
        );
        // ... unless the file names the platform column.
        let (t, s) = files(
            "ambiguous-platform",
            "platform,account_id,handle,is_bot,kind\ntwitter,1,a,true,x\n4chan,1,,false,human\n",
            "site,account_id,score\ntwitter,1,0.9\n4chan,1,0.1\n",
        );
        let columns = ScoreColumns {
            platform: Some("site".into()),
            ..ScoreColumns::default()
        };
        assert_eq!(evaluate(&t, &s, None, &columns).unwrap().roc_auc, 1.0);
        let missing = ScoreColumns {
            id: "uid".into(),
            ..ScoreColumns::default()
        };
        assert!(
            format!("{:#}", evaluate(&t, &s, None, &missing).unwrap_err())
                .contains("missing column `uid`")
        );
    }
}
