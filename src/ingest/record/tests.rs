//! Unit tests of `src/ingest/record.rs`.

use super::*;

fn snapshot(followers: i64, time: i64, flags: Option<bool>) -> AccountRecord {
    AccountRecord {
        platform: TWITTER,
        account_id: "1".into(),
        followers: Some(followers),
        default_profile: flags,
        favourites_count: flags.map(|_| 7),
        observed_at_ms: time,
        input_order: (0, time as u64),
        has_profile_flags: flags.is_some(),
        flags_stamp: flags.map(|_| (time, (0, time as u64))),
        ..AccountRecord::default()
    }
}

#[test]
fn merge_takes_each_field_from_its_latest_provider_in_any_order() {
    let v1_old = snapshot(10, 1, Some(true));
    let v1_newer = snapshot(20, 2, Some(false));
    let v2_latest = snapshot(30, 3, None);
    let orders = [
        [v1_old.clone(), v1_newer.clone(), v2_latest.clone()],
        [v2_latest.clone(), v1_old.clone(), v1_newer.clone()],
        [v1_newer.clone(), v2_latest.clone(), v1_old.clone()],
    ];
    for order in orders {
        let mut map = AccountMap::default();
        for s in order {
            map.add(Box::new(s));
        }
        let merged = &map.0[TWITTER]["1"];
        assert_eq!(merged.followers, Some(30), "latest snapshot wins");
        assert_eq!(
            merged.default_profile,
            Some(false),
            "flags from the latest v1.1 snapshot"
        );
        assert_eq!(merged.favourites_count, Some(7));
    }
    // Skipping older snapshots cannot change the result.
    assert!(!v2_latest.would_take(v1_old.stamp(), false));
    let mut only_v2 = v2_latest.clone();
    assert!(
        only_v2.would_take(v1_newer.stamp(), true),
        "an older v1.1 snapshot still brings flags"
    );
    only_v2.merge(v1_newer);
    assert_eq!(only_v2.default_profile, Some(false));
    assert_eq!(only_v2.followers, Some(30));
}

/// Absorbing merges the smaller map into the larger and moves a platform only one side
/// has: whichever side is larger, the merged accounts are the same.
#[test]
fn absorb_gives_the_same_accounts_whichever_map_is_larger() {
    let account = |id: &str, followers: i64, time: i64, flags: Option<bool>| AccountRecord {
        account_id: id.into(),
        ..snapshot(followers, time, flags)
    };
    let small = || {
        let mut map = AccountMap::default();
        map.add(Box::new(account("1", 30, 3, None)));
        map
    };
    let large = || {
        let mut map = AccountMap::default();
        map.add(Box::new(account("1", 20, 2, Some(false))));
        map.add(Box::new(account("2", 5, 1, Some(true))));
        map.add(Box::new(AccountRecord {
            platform: FOURCHAN,
            ..account("x", 1, 1, None)
        }));
        map
    };
    let summary = |map: &AccountMap| {
        let mut rows: Vec<_> = map
            .0
            .values()
            .flat_map(|by_id| by_id.values())
            .map(|a| {
                (
                    a.platform,
                    a.account_id.clone(),
                    a.followers,
                    a.default_profile,
                )
            })
            .collect();
        rows.sort();
        rows
    };
    let mut into_small = small();
    into_small.absorb(large());
    let mut into_large = large();
    into_large.absorb(small());
    let mut into_empty = AccountMap::default();
    into_empty.absorb(large());
    assert_eq!(summary(&into_small), summary(&into_large));
    assert_eq!(summary(&into_empty), summary(&large()));
    assert_eq!(
        summary(&into_small),
        vec![
            (FOURCHAN, "x".to_string(), Some(1), None),
            (TWITTER, "1".to_string(), Some(30), Some(false)),
            (TWITTER, "2".to_string(), Some(5), Some(true)),
        ]
    );
}
