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
            map.add(s);
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
