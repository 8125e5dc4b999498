//! Unit tests of `src/coordination/sweep.rs`.

use super::*;
use rand::Rng;

fn act(account: u32, object: u32, time_ms: i64) -> Action {
    Action {
        account,
        object,
        time_ms,
    }
}

fn config(window_ms: i64, min_coactions: u32, min_objects: u32) -> SweepConfig {
    SweepConfig {
        window_ms,
        min_coactions,
        min_objects_per_account: min_objects,
        max_accounts_in_window: 500,
    }
}

/// The previous implementation, kept as a reference for the cap (which the all-pairs
/// brute force does not model): every co-action record of every object packed, sorted
/// and reduced at once. Returns (edges, distinct pairs, records, truncated windows).
fn materialised(actions: &[Action], config: &SweepConfig) -> (Vec<PairStats>, usize, usize, u64) {
    let prepared = prepare(actions, config);
    let (window, cap) = (config.window_ms as u64, config.max_accounts_in_window);
    let mut records = Vec::new();
    let mut truncated = 0;
    for r in &prepared.groups {
        truncated += for_each_coaction(prepared.group(r), window, cap, |e, l| {
            records.push(encode(e, l))
        });
    }
    records.sort_unstable();
    let mut edges = Vec::new();
    let mut distinct = 0;
    for run in records.chunk_by(|x, y| (x >> 64) == (y >> 64)) {
        distinct += 1;
        if run.len() >= config.min_coactions as usize {
            let mut e = pair_stats(run);
            e.a = prepared.original(e.a);
            e.b = prepared.original(e.b);
            edges.push(e);
        }
    }
    (edges, distinct, records.len(), truncated)
}

/// All-pairs reference implementation of the documented rules.
fn brute_force(actions: &[Action], config: &SweepConfig) -> Vec<PairStats> {
    let mut first: HashMap<(u32, u32), i64> = HashMap::new();
    for a in actions {
        let t = first.entry((a.object, a.account)).or_insert(a.time_ms);
        *t = (*t).min(a.time_ms);
    }
    let mut objects: HashMap<u32, u32> = HashMap::new();
    for &(_, account) in first.keys() {
        *objects.entry(account).or_default() += 1;
    }
    let kept: Vec<(u32, u32, i64)> = first
        .iter()
        .filter(|((_, acc), _)| objects[acc] >= config.min_objects_per_account)
        .map(|(&(o, acc), &t)| (o, acc, t))
        .collect();
    let mut per_pair: HashMap<(u32, u32), Vec<(i64, u64)>> = HashMap::new();
    for x in &kept {
        for y in &kept {
            if x.0 == y.0 && x.1 < y.1 && x.2.abs_diff(y.2) <= config.window_ms as u64 {
                let who = match x.2.cmp(&y.2) {
                    std::cmp::Ordering::Less => A_FIRST,
                    std::cmp::Ordering::Equal => TIE,
                    std::cmp::Ordering::Greater => B_FIRST,
                };
                per_pair
                    .entry((x.1, y.1))
                    .or_default()
                    .push((x.2.abs_diff(y.2) as i64, who));
            }
        }
    }
    let mut edges: Vec<PairStats> = per_pair
        .into_iter()
        .filter(|(_, v)| v.len() >= config.min_coactions as usize)
        .map(|((a, b), mut v)| {
            v.sort_unstable();
            let n = v.len();
            let median = if n % 2 == 1 {
                v[n / 2].0
            } else {
                (v[n / 2 - 1].0 + v[n / 2].0) / 2
            };
            PairStats {
                a,
                b,
                coactions: n as u32,
                a_first: v.iter().filter(|x| x.1 == A_FIRST).count() as u32,
                b_first: v.iter().filter(|x| x.1 == B_FIRST).count() as u32,
                min_dt_ms: v[0].0,
                median_dt_ms: median,
            }
        })
        .collect();
    edges.sort_unstable_by_key(|e| (e.a, e.b));
    edges
}

#[test]
fn matches_brute_force_on_random_small_cases() {
    let mut rng = ChaCha8Rng::seed_from_u64(20_170_505);
    let (mut cases_with_edges, mut truncated_cases) = (0, 0);
    for case in 0..200 {
        let n_accounts = rng.random_range(1..=30u32);
        let n_objects = rng.random_range(1..=10u32);
        let n_actions = rng.random_range(0..=150usize);
        let span_ms = rng.random_range(1..=300_000i64);
        let window_ms = [0, 1_000, 10_000, 60_000][case % 4];
        // Coarse times in some cases so ties and exact-window distances occur.
        let step = if case % 3 == 0 { 1_000 } else { 1 };
        let actions: Vec<Action> = (0..n_actions)
            .map(|_| {
                act(
                    rng.random_range(0..n_accounts),
                    rng.random_range(0..n_objects),
                    rng.random_range(0..=span_ms) / step * step,
                )
            })
            .collect();
        for min_coactions in [1, 2] {
            let cfg = config(window_ms, min_coactions, (case % 3) as u32);
            let report = sweep(&actions, &cfg).unwrap();
            assert_eq!(report.truncated_windows, 0);
            let expected = brute_force(&actions, &cfg);
            assert_eq!(report.edges, expected, "case {case}");
            cases_with_edges += usize::from(!report.edges.is_empty());
            let reference = materialised(&actions, &cfg);
            assert_eq!(
                (
                    report.distinct_pairs,
                    report.pair_records,
                    report.truncated_windows
                ),
                (reference.1, reference.2, 0),
                "case {case}"
            );
            assert!(report.peak_pairs <= report.pair_records);
            // A small cap truncates windows: the row-wise sweep must keep exactly the
            // pairs the materialised sweep kept.
            let capped = SweepConfig {
                max_accounts_in_window: 1 + case % 4,
                ..cfg
            };
            let report = sweep(&actions, &capped).unwrap();
            let reference = materialised(&actions, &capped);
            assert_eq!(report.edges, reference.0, "case {case}, capped");
            assert_eq!(
                (
                    report.distinct_pairs,
                    report.pair_records,
                    report.truncated_windows
                ),
                (reference.1, reference.2, reference.3),
                "case {case}, capped"
            );
            truncated_cases += usize::from(report.truncated_windows > 0);
        }
    }
    assert!(
        cases_with_edges > 150,
        "only {cases_with_edges} non-trivial cases"
    );
    assert!(
        truncated_cases > 60,
        "only {truncated_cases} cases with truncated windows"
    );
}

/// The time-shift null model as it was (one merge per edge and shuffle), kept as the
/// reference for the one-merge-per-edge version.
fn shift_null_reference(
    actions: &[Action],
    config: &SweepConfig,
    observed: &[PairStats],
    shuffles: u32,
    seed: u64,
) -> Result<Vec<EdgeSignificance>> {
    validate(config)?;
    ensure!(shuffles >= 1, "the null model needs at least one shuffle");
    let (Some(start), Some(end)) = (
        actions.iter().map(|a| a.time_ms).min(),
        actions.iter().map(|a| a.time_ms).max(),
    ) else {
        return significance_from_counts(
            observed,
            &vec![0; observed.len()],
            &vec![0; observed.len()],
            shuffles,
        );
    };
    let span = (end - start + 1).max(1);
    // Each account's first action per object, sorted by object (the sweep's rule).
    let n_accounts = actions
        .iter()
        .map(|a| a.account as usize + 1)
        .max()
        .unwrap_or(0);
    let mut per_account: Vec<Vec<(u32, i64)>> = vec![Vec::new(); n_accounts];
    for action in actions {
        per_account[action.account as usize].push((action.object, action.time_ms));
    }
    for list in &mut per_account {
        list.sort_unstable();
        list.dedup_by_key(|(object, _)| *object);
    }
    let window = config.window_ms;
    let mut sum = vec![0u64; observed.len()];
    let mut at_least_observed = vec![0u32; observed.len()];
    for shuffle in 0..shuffles {
        let mut rng = ChaCha8Rng::seed_from_u64(
            seed ^ (u64::from(shuffle) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        );
        let offsets: Vec<i64> = (0..n_accounts).map(|_| rng.random_range(0..span)).collect();
        let shifted =
            |account: u32, t: i64| start + (t - start + offsets[account as usize]).rem_euclid(span);
        let counts: Vec<u32> = observed
            .par_iter()
            .map(|edge| {
                let (list_a, list_b) =
                    (&per_account[edge.a as usize], &per_account[edge.b as usize]);
                let (mut i, mut j, mut count) = (0, 0, 0u32);
                while i < list_a.len() && j < list_b.len() {
                    match list_a[i].0.cmp(&list_b[j].0) {
                        std::cmp::Ordering::Less => i += 1,
                        std::cmp::Ordering::Greater => j += 1,
                        std::cmp::Ordering::Equal => {
                            let dt =
                                (shifted(edge.a, list_a[i].1) - shifted(edge.b, list_b[j].1)).abs();
                            count += u32::from(dt <= window);
                            i += 1;
                            j += 1;
                        }
                    }
                }
                count
            })
            .collect();
        tally(&counts, observed, &mut sum, &mut at_least_observed);
    }
    significance_from_counts(observed, &sum, &at_least_observed, shuffles)
}

#[test]
fn shift_null_model_matches_reference() {
    let mut rng = ChaCha8Rng::seed_from_u64(1505);
    let mut compared = 0;
    for case in 0..60 {
        let actions: Vec<Action> = if case == 0 {
            planted_campaign()
        } else {
            let n_accounts = rng.random_range(2..=25u32);
            let n_objects = rng.random_range(1..=8u32);
            let span_ms = rng.random_range(1..=120_000i64);
            (0..rng.random_range(0..=200usize))
                .map(|_| {
                    act(
                        rng.random_range(0..n_accounts),
                        rng.random_range(0..n_objects),
                        1_494_000_000_000 + rng.random_range(0..=span_ms) / 500 * 500,
                    )
                })
                .collect()
        };
        let cfg = config([0, 1_000, 10_000][case % 3], 1, 1);
        let edges = sweep(&actions, &cfg).unwrap().edges;
        for shuffles in [1, 7, 20] {
            let ours = shift_null_model(&actions, &cfg, &edges, shuffles, case as u64).unwrap();
            let reference =
                shift_null_reference(&actions, &cfg, &edges, shuffles, case as u64).unwrap();
            assert_eq!(ours, reference, "case {case}, {shuffles} shuffles");
            compared += edges.len();
        }
    }
    assert!(compared > 1_000, "{compared}");
}

#[test]
fn empty_input() {
    let report = sweep(&[], &SweepConfig::default()).unwrap();
    assert!(report.edges.is_empty());
    assert_eq!(
        (report.objects, report.actions_used, report.peak_pairs),
        (0, 0, 0)
    );
    let sig = null_model(&[], &SweepConfig::default(), &[], 3, 1).unwrap();
    assert!(sig.is_empty());
    assert!(clusters(0, &[], &[]).unwrap().is_empty());
}

#[test]
fn one_account_acting_many_times_has_no_edges() {
    let actions: Vec<Action> = (0..1_000).map(|i| act(7, i % 3, i64::from(i))).collect();
    let report = sweep(&actions, &config(10_000, 1, 1)).unwrap();
    assert!(report.edges.is_empty());
    // Only the first action per object is kept.
    assert_eq!(report.actions_used, 3);
}

#[test]
fn repeated_actions_count_once_per_object() {
    // Account 1 retweets object 0 three times; only its first (t=0) counts.
    let actions = [
        act(1, 0, 0),
        act(1, 0, 5_000),
        act(1, 0, 9_000),
        act(2, 0, 4_000),
        act(1, 1, 0),
        act(2, 1, 50_000),
    ];
    let e = sweep(&actions, &config(10_000, 1, 1)).unwrap().edges;
    assert_eq!(e.len(), 1);
    assert_eq!(
        (e[0].coactions, e[0].a_first, e[0].min_dt_ms),
        (1, 1, 4_000)
    );
}

#[test]
fn identical_timestamps_and_zero_window() {
    let actions: Vec<Action> = (0..4)
        .flat_map(|o| [act(3, o, 100), act(1, o, 100), act(2, o, 101)])
        .collect();
    let e = sweep(&actions, &config(0, 2, 2)).unwrap().edges;
    assert_eq!(e.len(), 1);
    let p = e[0];
    assert_eq!((p.a, p.b, p.coactions), (1, 3, 4));
    assert_eq!(
        (p.a_first, p.b_first, p.min_dt_ms, p.median_dt_ms),
        (0, 0, 0, 0)
    );
    assert_eq!(p.symmetry(), 0.0);
    // A 1 ms window links the t=101 account as well.
    assert_eq!(sweep(&actions, &config(1, 2, 2)).unwrap().edges.len(), 3);
    assert!(sweep(&actions, &config(-1, 2, 2)).is_err());
}

#[test]
fn sparse_account_ids_are_remapped() {
    let actions: Vec<Action> = (0..3)
        .flat_map(|o| {
            [
                act(u32::MAX, o, 0),
                act(4_000_000_000, o, 10),
                act(5, o, 20),
            ]
        })
        .collect();
    let e = sweep(&actions, &config(10_000, 3, 1)).unwrap().edges;
    let pairs: Vec<(u32, u32)> = e.iter().map(|p| (p.a, p.b)).collect();
    assert_eq!(
        pairs,
        [(5, 4_000_000_000), (5, u32::MAX), (4_000_000_000, u32::MAX)]
    );
    let sig = null_model(&actions, &config(10_000, 3, 1), &e, 5, 9).unwrap();
    // Every shuffle keeps all three accounts within 20 ms on every object.
    assert!(sig.iter().all(|s| s.expected == 3.0));
}

#[test]
fn viral_object_stays_bounded() {
    let cap = 500;
    let actions: Vec<Action> = (0..5_000)
        .map(|i| act(i, 0, i64::from(i % 1_000)))
        .collect();
    let cfg = SweepConfig {
        window_ms: 10_000,
        min_coactions: 1,
        min_objects_per_account: 1,
        max_accounts_in_window: cap,
    };
    let report = sweep(&actions, &cfg).unwrap();
    assert_eq!(report.truncated_windows, 5_000 - cap as u64 - 1);
    assert!(report.peak_pairs <= 5_000 * cap);
    assert!(report.peak_pairs < 5_000 * 4_999 / 2);
    assert_eq!(report.edges.len(), report.pair_records);
}

/// Planted group of 10 accounts acting within 2 s on 50 objects, plus 1,000 accounts acting
/// at random times (within the object's 30 min of activity) on 8 of those objects each.
fn planted_campaign() -> Vec<Action> {
    let mut rng = ChaCha8Rng::seed_from_u64(2017);
    let mut actions = Vec::new();
    for object in 0..50u32 {
        let base = i64::from(object) * 7_200_000;
        let burst = base + rng.random_range(0..1_800_000);
        for account in 0..10 {
            actions.push(act(account, object, burst + rng.random_range(0..2_000)));
        }
    }
    for account in 10..1_010u32 {
        for _ in 0..8 {
            let object = rng.random_range(0..50u32);
            let base = i64::from(object) * 7_200_000;
            actions.push(act(account, object, base + rng.random_range(0..1_800_000)));
        }
    }
    actions
}

#[test]
fn null_model_separates_planted_group_and_clusters_recover_it() {
    let actions = planted_campaign();
    let cfg = SweepConfig::default();
    let report = sweep(&actions, &cfg).unwrap();
    let sig = null_model(&actions, &cfg, &report.edges, 200, 42).unwrap();
    assert_eq!(sig.len(), report.edges.len());
    let planted = |e: &PairStats| e.b < 10;
    assert_eq!(report.edges.iter().filter(|e| planted(e)).count(), 45);
    let mut random_edges = 0;
    for (e, s) in report.edges.iter().zip(&sig) {
        if planted(e) {
            assert_eq!(e.coactions, 50);
            assert!(s.expected < 5.0, "{e:?} {s:?}");
            assert!(s.p_value < 1e-12 && s.p_empirical < 0.01, "{e:?} {s:?}");
            assert!(s.z > 20.0);
        } else {
            random_edges += 1;
            assert!(!(s.p_value < 0.01 && e.coactions >= 3), "{e:?} {s:?}");
        }
    }
    assert!(random_edges > 0, "background should produce chance edges");
    let keep: Vec<bool> = report
        .edges
        .iter()
        .zip(&sig)
        .map(|(e, s)| s.p_value < 0.01 && e.coactions >= 3)
        .collect();
    let found = clusters(1_010, &report.edges, &keep).unwrap();
    assert_eq!(
        found,
        [Cluster {
            id: 0,
            members: (0..10).collect()
        }]
    );
    let of = cluster_of(1_010, &found);
    assert_eq!(of.iter().filter(|c| c.is_some()).count(), 10);
    assert_eq!(of[3], Some(0));
    assert_eq!(of[500], None);
}

#[test]
fn deterministic_across_thread_counts() {
    let actions = planted_campaign();
    let cfg = SweepConfig {
        max_accounts_in_window: 4,
        ..SweepConfig::default()
    };
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                let report = sweep(&actions, &cfg).unwrap();
                let sig = null_model(&actions, &cfg, &report.edges, 20, 7).unwrap();
                (report, sig)
            })
    };
    let (one, two) = (run(1), run(2));
    assert!(one.0.truncated_windows > 0);
    assert_eq!(one, two);
    assert_eq!(one, run(3));
}

#[test]
fn clusters_are_ordered_by_size_then_smallest_member() {
    let edge = |a, b| PairStats {
        a,
        b,
        coactions: 3,
        a_first: 0,
        b_first: 0,
        min_dt_ms: 0,
        median_dt_ms: 0,
    };
    let edges = [edge(5, 6), edge(0, 9), edge(1, 2), edge(2, 3), edge(7, 8)];
    let found = clusters(10, &edges, &[true, true, true, true, false]).unwrap();
    let members: Vec<Vec<u32>> = found.iter().map(|c| c.members.clone()).collect();
    assert_eq!(members, [vec![1, 2, 3], vec![0, 9], vec![5, 6]]);
    assert_eq!(found.iter().map(|c| c.id).collect::<Vec<_>>(), [0, 1, 2]);
    assert!(clusters(5, &edges, &[true; 5]).is_err());
    assert!(clusters(10, &edges, &[true]).is_err());
}

#[test]
fn smallest_p_value_bounds_every_edge_p_value() {
    let actions = planted_campaign();
    let cfg = SweepConfig::default();
    let report = sweep(&actions, &cfg).unwrap();
    for shuffles in [1, 20, 200] {
        for null in [null_model, shift_null_model] {
            let sig = null(&actions, &cfg, &report.edges, shuffles, 7).unwrap();
            for (e, s) in report.edges.iter().zip(&sig) {
                let floor = smallest_p_value(e.coactions, shuffles).unwrap();
                assert!(s.p_value >= floor, "{e:?} {s:?} {floor}");
            }
        }
    }
    // Falls with the co-actions, and equals the p-value of an edge the null never meets.
    let p: Vec<f64> = (1..8).map(|c| smallest_p_value(c, 20).unwrap()).collect();
    assert!(p.windows(2).all(|w| w[1] < w[0]), "{p:?}");
    assert_eq!(smallest_p_value(0, 20).unwrap(), 1.0);
}

#[test]
fn null_models_give_an_edge_the_same_result_whatever_else_is_tested() {
    let actions = planted_campaign();
    let cfg = SweepConfig::default();
    let report = sweep(&actions, &cfg).unwrap();
    // Every third edge, as when the stage leaves out edges that cannot pass the test.
    let subset: Vec<PairStats> = report.edges.iter().step_by(3).copied().collect();
    assert!(subset.len() > 10);
    for null in [null_model, shift_null_model] {
        let all = null(&actions, &cfg, &report.edges, 20, 3).unwrap();
        let some = null(&actions, &cfg, &subset, 20, 3).unwrap();
        let expected: Vec<EdgeSignificance> = all.iter().step_by(3).copied().collect();
        assert_eq!(some, expected);
    }
}
