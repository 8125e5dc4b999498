//! Unit tests of `src/features.rs`.

use super::*;

#[test]
fn every_signal_variant_names_its_spec() {
    assert_eq!(Signal::ALL.len(), SIGNALS.len());
    for (i, &signal) in Signal::ALL.iter().enumerate() {
        assert_eq!(signal as usize, i);
        // CamelCase → snake_case; a run of digits after a letter starts a word.
        let mut snake = String::new();
        let mut previous: Option<char> = None;
        for c in signal.identifier().chars() {
            let starts_word = c.is_ascii_uppercase()
                || (c.is_ascii_digit() && previous.is_some_and(|p| p.is_ascii_alphabetic()));
            if starts_word && previous.is_some() {
                snake.push('_');
            }
            snake.push(c.to_ascii_lowercase());
            previous = Some(c);
        }
        assert_eq!(snake, signal.spec().name);
        assert_eq!(signal_index(signal.spec().name), Some(i));
    }
}

#[test]
fn a_batch_created_together_stands_out_from_its_background() {
    // One account created every other day for a year, and a batch of 12 on day 200.
    let mut days: Vec<Option<i64>> = (0..365).step_by(2).map(Some).collect();
    days.extend(std::iter::repeat_n(Some(200), 12));
    days.push(None);
    let ratios = creation_cohorts(&days);
    assert_eq!(ratios[days.len() - 1], None);
    assert_eq!(ratios[0], Some(0.0), "a lone account is no cohort");
    let batch = ratios[days.len() - 2].unwrap();
    // 13 accounts within a day against 1.5 expected from the ±60 days around.
    assert!(batch > 8.0, "{batch}");
}

#[test]
fn burstiness_extremes() {
    // Clockwork gaps: CV 0, B = −1; entropy 0.
    let periodic = vec![60.0; 20];
    let (m, s) = mean_sd(&periodic);
    assert_eq!(s / m, 0.0);
    assert_eq!((s - m) / (s + m), -1.0);
    let mut bins = [0u32; 21];
    bins[6] = 20;
    // +0, not -0: the value is printed in reasons ("gap_entropy 0").
    assert_eq!(normalised_entropy(&bins, 21).to_bits(), 0.0f64.to_bits());
    assert!((normalised_entropy(&[5, 5, 5, 5], 4) - 1.0).abs() < 1e-12);
}

#[test]
fn chi_square_uniformity() {
    assert!(uniformity_p(&[10; 60]).unwrap() > 0.99);
    let mut clock = [0u32; 60];
    clock[0] = 60;
    assert!(uniformity_p(&clock).unwrap() < 1e-20);
}

#[test]
fn memory_of_alternating_gaps_is_negative() {
    let gaps: Vec<f64> = (0..20)
        .map(|i| if i % 2 == 0 { 1.0 } else { 100.0 })
        .collect();
    assert!(memory_coefficient(&gaps).unwrap() < -0.9);
    assert!(memory_coefficient(&[5.0; 10]).is_none());
}

#[test]
fn every_signal_has_increasing_knots() {
    for spec in SIGNALS {
        assert!(
            spec.knots.windows(2).all(|w| w[0].0 < w[1].0),
            "{}",
            spec.name
        );
        assert!(
            spec.knots.iter().all(|k| (0.0..=1.0).contains(&k.1)),
            "{}",
            spec.name
        );
    }
}

/// Random retweet tables: in time order the one-pass ranking is taken and equals the sort;
/// shuffled, it gives up (or agrees) and the result is still the sort's.
#[test]
fn early_retweets_ranked_in_table_order_equal_the_sort() {
    use rand::seq::SliceRandom;
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(17);
    for case in 0..60 {
        let n = rng.random_range(0..400);
        let parents = ["a", "b", "c", "d"];
        let ids: Vec<String> = (0..n)
            .map(|i| format!("{}", rng.random_range(0..n.max(1) * 2) + i))
            .collect();
        // (platform, post id, original, time, is a retweet)
        type Row<'a> = (
            Option<&'a str>,
            Option<&'a str>,
            Option<&'a str>,
            Option<i64>,
            bool,
        );
        let mut rows: Vec<Row> = (0..n)
            .map(|i| {
                let platform = if rng.random_bool(0.8) {
                    Some("twitter")
                } else {
                    None
                };
                let parent = rng
                    .random_bool(0.95)
                    .then(|| parents[rng.random_range(0..parents.len())]);
                let time = rng.random_bool(0.97).then(|| rng.random_range(0..50));
                let id = rng.random_bool(0.97).then_some(ids[i].as_str());
                (platform, id, parent, time, rng.random_bool(0.9))
            })
            .collect();
        // As ingest writes it: by time (nulls first), then post id.
        rows.sort_by(|a, b| (a.3, a.1).cmp(&(b.3, b.1)));
        for shuffled in [false, true] {
            if shuffled {
                rows.shuffle(&mut rng);
            }
            let platform: Vec<_> = rows.iter().map(|r| r.0).collect();
            let post_id: Vec<_> = rows.iter().map(|r| r.1).collect();
            let parent: Vec<_> = rows.iter().map(|r| r.2).collect();
            let time: Vec<_> = rows.iter().map(|r| r.3).collect();
            let is_retweet: Vec<_> = rows.iter().map(|r| r.4).collect();
            let sorted =
                early_retweet_flags_sorted(&platform, &post_id, &parent, &time, &is_retweet);
            let one_pass = early_retweet_flags_in_table_order(
                &platform,
                &post_id,
                &parent,
                &time,
                &is_retweet,
            );
            if !shuffled {
                assert_eq!(one_pass.as_ref(), Some(&sorted), "case {case}");
            } else if let Some(one_pass) = one_pass {
                assert_eq!(one_pass, sorted, "case {case}, shuffled");
            }
            assert_eq!(
                early_retweet_flags(&platform, &post_id, &parent, &time, &is_retweet),
                sorted
            );
        }
    }
}

/// Profiles are found by merging key orders: sorted or not, the last duplicate wins, and rows
/// without a platform or id match nothing.
#[test]
fn profile_rows_by_rank_merge_any_order() {
    let keys = [
        ("4chan", "z"),
        ("twitter", "a"),
        ("twitter", "b"),
        ("twitter", "c"),
    ];
    let sorted_platform = [
        Some("4chan"),
        Some("twitter"),
        Some("twitter"),
        Some("twitter"),
        None,
    ];
    let sorted_id = [Some("z"), Some("a"), Some("a"), Some("c"), Some("b")];
    assert_eq!(
        rows_by_rank(&sorted_platform, &sorted_id, &keys),
        vec![Some(0), Some(2), None, Some(3)]
    );
    let platform = [
        Some("twitter"),
        Some("twitter"),
        Some("4chan"),
        Some("twitter"),
        Some("twitter"),
    ];
    let id = [Some("c"), Some("a"), Some("y"), Some("a"), None];
    assert_eq!(
        rows_by_rank(&platform, &id, &keys),
        vec![None, Some(3), None, Some(0)]
    );
}
