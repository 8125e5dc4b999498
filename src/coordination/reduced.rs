//! Candidate pairs counted elsewhere — the `coaction_pairs` table a Ballista cluster reduces
//! (`run --engine`, issue 18) — taken in place of the local sweep, so that the null model,
//! significance, clusters and tables run on them as on the sweep's own pairs.
//!
//! Accounts are named by `(platform, account_id)`, not by number: the cluster numbers them
//! as the stage does (first post order), but a name cannot silently point at another account.

use anyhow::{Result, bail};

use super::ObjectKind;
use super::sweep::{PairStats, SweepReport};

/// One candidate edge as the cluster wrote it: a pair of accounts with at least
/// `min_coactions` co-actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReducedPair {
    /// First account's platform.
    pub platform_a: String,
    /// First account's id.
    pub account_a: String,
    /// Second account's platform.
    pub platform_b: String,
    /// Second account's id.
    pub account_b: String,
    /// Distinct objects both acted on within the window.
    pub coactions: u32,
    /// Co-actions where the first account acted strictly first.
    pub a_first: u32,
    /// Co-actions where the second account acted strictly first.
    pub b_first: u32,
    /// Smallest |Δt|, ms.
    pub min_dt_ms: i64,
    /// Median |Δt|, ms (mean of the two middle values, rounded down).
    pub median_dt_ms: i64,
}

/// One sweep (object kind and window) counted elsewhere.
#[derive(Debug, Clone, Default)]
pub struct ReducedSweep {
    /// The candidate edges.
    pub pairs: Vec<ReducedPair>,
    /// Distinct account pairs with at least one co-action (the Bonferroni denominator).
    pub distinct_pairs: usize,
    /// Actions whose window held more than `max_accounts_in_window` earlier actions.
    pub truncated_windows: u64,
}

/// Every sweep counted elsewhere, by object kind and window in ms (one with nothing to pair
/// is there, empty: a missing sweep was not counted, and asking for it is an error).
#[derive(Debug, Clone, Default)]
pub struct ReducedPairs {
    /// The sweeps.
    pub sweeps: std::collections::BTreeMap<(ObjectKind, i64), ReducedSweep>,
}

/// Where the coordination stage takes its candidate pairs from.
#[derive(Clone, Copy)]
pub enum PairSource<'a> {
    /// The windowed sweep on this machine ([`super::sweep::sweep`]).
    Sweep,
    /// Pairs counted elsewhere.
    Reduced(&'a ReducedPairs),
}

impl ReducedPairs {
    /// The sweep of `kind` in `window_ms` as the local sweep reports it: accounts as the
    /// stage's numbers (`id_of`), each pair `a < b` (the first-mover counts swapped with
    /// the pair), edges sorted by `(a, b)`.
    pub fn report(
        &self,
        kind: ObjectKind,
        window_ms: i64,
        id_of: &impl Fn(&str, &str) -> Option<u32>,
    ) -> Result<SweepReport> {
        let Some(sweep) = self.sweeps.get(&(kind, window_ms)) else {
            bail!(
                "no {} pairs in a {} s window were reduced (the cluster reduces one window)",
                kind.as_str(),
                window_ms as f64 / 1000.0
            );
        };
        let mut edges = Vec::with_capacity(sweep.pairs.len());
        for pair in &sweep.pairs {
            let find = |platform: &str, account: &str| {
                id_of(platform, account).ok_or_else(|| {
                    anyhow::anyhow!(
                        "the reduced {} pairs name account {platform}:{account}, which has no \
                         post here (tables of another dataset?)",
                        kind.as_str()
                    )
                })
            };
            let (x, y) = (
                find(&pair.platform_a, &pair.account_a)?,
                find(&pair.platform_b, &pair.account_b)?,
            );
            if x == y {
                bail!(
                    "the reduced {} pairs pair account {}:{} with itself",
                    kind.as_str(),
                    pair.platform_a,
                    pair.account_a
                );
            }
            let (a, b, a_first, b_first) = if x < y {
                (x, y, pair.a_first, pair.b_first)
            } else {
                (y, x, pair.b_first, pair.a_first)
            };
            edges.push(PairStats {
                a,
                b,
                coactions: pair.coactions,
                a_first,
                b_first,
                min_dt_ms: pair.min_dt_ms,
                median_dt_ms: pair.median_dt_ms,
            });
        }
        edges.sort_unstable_by_key(|e| (e.a, e.b));
        if let Some(twice) = edges
            .windows(2)
            .find(|w| (w[0].a, w[0].b) == (w[1].a, w[1].b))
        {
            bail!(
                "the reduced {} pairs list accounts {} and {} twice",
                kind.as_str(),
                twice[0].a,
                twice[0].b
            );
        }
        Ok(SweepReport {
            edges,
            distinct_pairs: sweep.distinct_pairs,
            truncated_windows: sweep.truncated_windows,
            // Not counted on the cluster; the stage's summary takes actions and objects
            // from its own action lists.
            objects: 0,
            actions_used: 0,
            pair_records: 0,
            peak_pairs: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(a: &str, b: &str, a_first: u32, b_first: u32) -> ReducedPair {
        ReducedPair {
            platform_a: "twitter".into(),
            account_a: a.into(),
            platform_b: "twitter".into(),
            account_b: b.into(),
            coactions: 3,
            a_first,
            b_first,
            min_dt_ms: 100,
            median_dt_ms: 2000,
        }
    }

    fn id_of(platform: &str, account: &str) -> Option<u32> {
        (platform == "twitter")
            .then(|| ["u0", "u1", "u2", "u3"].iter().position(|a| *a == account))
            .flatten()
            .map(|i| i as u32)
    }

    #[test]
    fn pairs_become_the_sweeps_edges_in_its_order() {
        let mut reduced = ReducedPairs::default();
        reduced.sweeps.insert(
            (ObjectKind::CoRetweet, 10_000),
            ReducedSweep {
                pairs: vec![pair("u3", "u1", 2, 1), pair("u0", "u2", 0, 3)],
                distinct_pairs: 7,
                truncated_windows: 1,
            },
        );
        let report = reduced
            .report(ObjectKind::CoRetweet, 10_000, &id_of)
            .unwrap();
        assert_eq!(report.distinct_pairs, 7);
        assert_eq!(report.truncated_windows, 1);
        let got: Vec<_> = report
            .edges
            .iter()
            .map(|e| (e.a, e.b, e.a_first, e.b_first))
            .collect();
        // u3–u1 becomes (1, 3) with who-acted-first swapped along.
        assert_eq!(got, vec![(0, 2, 0, 3), (1, 3, 1, 2)]);
        // Another window or kind was not counted: an error, not an empty sweep.
        assert!(reduced.report(ObjectKind::CoLink, 10_000, &id_of).is_err());
        assert!(
            reduced
                .report(ObjectKind::CoRetweet, 1_000, &id_of)
                .is_err()
        );
    }

    #[test]
    fn unknown_repeated_or_self_pairs_are_errors() {
        for pairs in [
            vec![pair("u0", "nobody", 1, 1)],
            vec![pair("u0", "u1", 1, 1), pair("u1", "u0", 1, 1)],
            vec![pair("u2", "u2", 1, 1)],
        ] {
            let mut reduced = ReducedPairs::default();
            reduced.sweeps.insert(
                (ObjectKind::CoTweet, 10_000),
                ReducedSweep {
                    pairs,
                    ..Default::default()
                },
            );
            assert!(reduced.report(ObjectKind::CoTweet, 10_000, &id_of).is_err());
        }
    }
}
