//! Unit tests of `src/simulate/mod.rs`.

use super::*;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;

fn small(gzip: bool) -> SimConfig {
    SimConfig {
        posts: 3000,
        seed: 7,
        gzip,
        ..SimConfig::default()
    }
}

fn run(name: &str, cfg: &SimConfig) -> (PathBuf, SimSummary) {
    let dir = std::env::temp_dir().join(format!("simulate-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let summary = simulate(cfg, &dir).unwrap();
    (dir, summary)
}

fn read_lines(path: &Path) -> Vec<Value> {
    BufReader::new(File::open(path).unwrap())
        .lines()
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect()
}

fn v1_ms(s: &Value) -> i64 {
    DateTime::parse_from_str(s.as_str().unwrap(), "%a %b %d %H:%M:%S %z %Y")
        .unwrap()
        .timestamp_millis()
}

#[test]
fn same_seed_same_bytes() {
    let (a, sa) = run("det-a", &small(true));
    let (b, _) = run("det-b", &small(true));
    let mut names: Vec<String> = sa.files.iter().map(|f| f.path.clone()).collect();
    names.push("sim_manifest.json".into());
    for name in names {
        assert_eq!(
            std::fs::read(a.join(&name)).unwrap(),
            std::fs::read(b.join(&name)).unwrap(),
            "{name} differs"
        );
    }
}

#[test]
fn randomised_worlds_repeat_and_record_their_behaviour() {
    let cfg = SimConfig {
        randomise: true,
        ..small(false)
    };
    let (a, sa) = run("rand-a", &cfg);
    let (b, _) = run("rand-b", &cfg);
    for name in ["twitter_v1/tweets.jsonl", "truth.csv", "sim_manifest.json"] {
        assert_eq!(
            std::fs::read(a.join(name)).unwrap(),
            std::fs::read(b.join(name)).unwrap(),
            "{name} differs"
        );
    }
    let drawn = sa.behaviour.expect("randomised behaviour recorded");
    assert!(drawn.randomised);
    let shares = drawn.shares.unwrap();
    let fixed = SimConfig::default();
    assert_ne!(shares.amplifier, fixed.amplifier_share);
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(a.join("sim_manifest.json")).unwrap()).unwrap();
    assert!(manifest["summary"]["behaviour"]["schedule_jitter_ms"].is_number());
    let other = run(
        "rand-c",
        &SimConfig {
            seed: 8,
            ..cfg.clone()
        },
    );
    assert_ne!(
        other.1.behaviour.unwrap().amplifier_rate,
        drawn.amplifier_rate
    );
}

#[test]
fn cascades_too_short_to_hold_a_tweet_are_refused() {
    for hours in [0.0, 1e-4, f64::NAN] {
        let cfg = SimConfig {
            duration_hours: hours,
            ..small(false)
        };
        let dir = std::env::temp_dir().join(format!("simulate-short-{}", std::process::id()));
        let err = simulate(&cfg, &dir).unwrap_err().to_string();
        assert!(err.contains("duration_hours"), "{err}");
    }
}

#[test]
fn files_are_consistent_with_truth_and_summary() {
    let (dir, summary) = run("consistency", &small(false));
    let v1 = read_lines(&dir.join("twitter_v1/tweets.jsonl"));
    let tweets: Vec<&Value> = v1.iter().filter(|l| l.get("delete").is_none()).collect();
    assert_eq!(tweets.len() as u64, summary.tweets);
    assert_eq!(v1.len() as u64 - summary.delete_notices, summary.tweets);
    assert!(summary.tweets.abs_diff(3000) <= 30, "{}", summary.tweets);

    // v2 pages hold the same ids.
    let v2 = read_lines(&dir.join("twitter_v2/pages.jsonl"));
    let v2_ids: BTreeSet<String> = v2
        .iter()
        .flat_map(|p| {
            p["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_str().unwrap().to_string())
        })
        .collect();
    let v1_ids: BTreeSet<String> = tweets
        .iter()
        .map(|t| t["id_str"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(v1_ids.len() as u64, summary.tweets, "ids must be unique");
    assert_eq!(v1_ids, v2_ids);

    // Ids increase with time; retweets point at earlier tweets in the file.
    let mut seen: HashMap<u64, i64> = HashMap::new();
    let mut last_id = 0;
    let mut authors = BTreeSet::new();
    for t in &tweets {
        let id = t["id"].as_u64().unwrap();
        assert!(id > last_id);
        last_id = id;
        authors.insert(t["user"]["id_str"].as_str().unwrap().to_string());
        if let Some(reply_to) = t["in_reply_to_user_id_str"].as_str() {
            authors.insert(reply_to.to_string());
        }
        for embedded in ["retweeted_status", "quoted_status"] {
            if let Some(orig) = t.get(embedded) {
                let orig_id = orig["id"].as_u64().unwrap();
                let orig_ms = *seen
                    .get(&orig_id)
                    .expect("embedded tweet appears earlier as its own line");
                assert!(orig_ms < v1_ms(&t["created_at"]));
                assert_eq!(orig_ms, v1_ms(&orig["created_at"]));
                authors.insert(orig["user"]["id_str"].as_str().unwrap().to_string());
            }
        }
        if t.get("retweeted_status").is_some() {
            assert!(t["full_text"].as_str().unwrap().starts_with("RT @"));
            assert!(t["full_text"].as_str().unwrap().chars().count() <= 140);
        }
        seen.insert(id, v1_ms(&t["created_at"]));
    }

    // Truth covers every author and has every bot kind.
    let truth = std::fs::read_to_string(dir.join("truth.csv")).unwrap();
    let mut twitter_ids = BTreeSet::new();
    let mut kinds = BTreeSet::new();
    for line in truth.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f[0] == "twitter" {
            twitter_ids.insert(f[1].to_string());
        }
        kinds.insert((f[3].to_string(), f[4].to_string()));
    }
    assert!(authors.is_subset(&twitter_ids));
    for kind in ["amplifier", "coordinated", "scheduled", "low_volume"] {
        assert!(
            kinds.contains(&("true".to_string(), kind.to_string())),
            "missing {kind}"
        );
    }
    assert!(kinds.contains(&("false".to_string(), "hyperactive_human".to_string())));
    assert!(truth.lines().any(|l| l.starts_with("4chan,pol/")));

    // The 4chan opener is the first post of the campaign, ~14 min before the first tweet.
    let mut chan_times = Vec::new();
    for no in &summary.fourchan_threads {
        let thread: Value =
            serde_json::from_reader(File::open(dir.join(format!("4chan/pol_{no}.json"))).unwrap())
                .unwrap();
        for p in thread["posts"].as_array().unwrap() {
            chan_times.push((p["time"].as_i64().unwrap(), p["no"].as_u64().unwrap()));
        }
    }
    let first_chan = chan_times.iter().min().unwrap();
    assert_eq!(first_chan.1, summary.first_4chan_post_no);
    let leak: Value = serde_json::from_reader(
        File::open(dir.join(format!("4chan/pol_{}.json", first_chan.1))).unwrap(),
    )
    .unwrap();
    assert!(
        leak["posts"][0]["com"]
            .as_str()
            .unwrap()
            .contains("pastebin.com")
    );
    assert!(leak["posts"][0]["sub"].is_string());
    let first_tweet_ms = v1_ms(&tweets[0]["created_at"]);
    let gap_min = (first_tweet_ms / 1000 - first_chan.0) as f64 / 60.0;
    assert!((13.0..15.0).contains(&gap_min), "{gap_min}");
    assert!(chan_times.iter().any(|t| t.0 * 1000 > first_tweet_ms));
}

#[test]
fn other_platforms_leave_twitter_and_4chan_alone() {
    let (plain, plain_summary) = run("platforms-none", &small(false));
    let cfg = SimConfig {
        platforms: vec![SimPlatform::Reddit, SimPlatform::Telegram],
        ..small(false)
    };
    let (with, summary) = run("platforms-two", &cfg);
    let (again, _) = run("platforms-two-again", &cfg);
    for entry in &plain_summary.files {
        if entry.path != "truth.csv" {
            assert_eq!(
                std::fs::read(plain.join(&entry.path)).unwrap(),
                std::fs::read(with.join(&entry.path)).unwrap(),
                "{} changed",
                entry.path
            );
        }
    }
    for entry in &summary.files {
        assert_eq!(
            std::fs::read(with.join(&entry.path)).unwrap(),
            std::fs::read(again.join(&entry.path)).unwrap(),
            "{} differs between two runs",
            entry.path
        );
    }
    // The truth of Twitter and 4chan is unchanged; the new platforms' rows are added.
    let truth = std::fs::read_to_string(with.join("truth.csv")).unwrap();
    let old: Vec<&str> = truth
        .lines()
        .filter(|l| !l.starts_with("reddit,") && !l.starts_with("telegram,"))
        .collect();
    let plain_truth = std::fs::read_to_string(plain.join("truth.csv")).unwrap();
    assert_eq!(old, plain_truth.lines().collect::<Vec<_>>());
    assert!(truth.lines().any(|l| l.starts_with("telegram,user")));
    assert!(
        truth
            .lines()
            .any(|l| l.starts_with("reddit,") && l.ends_with(",true,amplifier"))
    );
    // Planted order and lags: Telegram minutes after 4chan, Reddit hours.
    let names: Vec<&str> = summary.platforms.iter().map(|p| p.platform).collect();
    assert_eq!(names, ["telegram", "reddit"]);
    assert!((3.0..8.0).contains(&summary.platforms[0].lag_minutes));
    assert!((100.0..140.0).contains(&summary.platforms[1].lag_minutes));
    // The leak link is shared on every platform.
    for rel in [
        "telegram/ChatExport_channel/result.json",
        "reddit/RS_2017-05.ndjson",
    ] {
        let text = std::fs::read_to_string(with.join(rel)).unwrap();
        assert!(text.contains(&summary.pastebin_url), "{rel}");
    }
    let manifest = std::fs::read_to_string(plain.join("sim_manifest.json")).unwrap();
    assert!(
        !manifest.contains("platforms"),
        "no platforms key by default"
    );

    // Simulating again into the folder without them removes their files.
    simulate(&small(false), &with).unwrap();
    for dir in ["telegram", "reddit"] {
        assert!(!with.join(dir).exists(), "{dir} left behind");
    }
    assert_eq!(
        std::fs::read(with.join("truth.csv")).unwrap(),
        std::fs::read(plain.join("truth.csv")).unwrap()
    );
}

#[test]
fn snowflake_ids_fit_and_sort() {
    let mut events = vec![
        Event::new(1_494_010_152_000, 0, PostKind::Original, NO_TARGET),
        Event::new(1_494_010_152_000, 1, PostKind::Original, NO_TARGET),
        Event::new(1_494_010_152_001, 2, PostKind::Original, NO_TARGET),
    ];
    assign_tweet_ids(&mut events);
    assert!(events[0].key < events[1].key && events[1].key < events[2].key);
    assert_eq!(events[0].time_ms(), 1_494_010_152_000);
    assert_eq!(
        v1_time(events[2].time_ms()),
        "Fri May 05 18:49:12 +0000 2017"
    );
}
