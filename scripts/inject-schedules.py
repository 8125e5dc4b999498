#!/usr/bin/env python3
"""Adds accounts from a second, independent generator to a simulated world, to test
schedule detection on data the tool was never tuned on.

    scripts/inject-schedules.py SIM_DIR SEED [N_PER_KIND]

Writes SIM_DIR/twitter_v1/injected.jsonl (Twitter v1.1 lines) and appends to
SIM_DIR/truth.csv. Kinds (N_PER_KIND each, default 15), all with ordinary human-looking
profiles (so only timing can give them away), 6-40 posts each, inside the campaign window:
  injected_period   originals every P seconds (P uniform 4-90 min), +-0-2 s jitter per
                    post, each slot missed with probability 0-0.4
  injected_clock    at one fixed second of the minute (+-1 s) at random minutes
  injected_mixture  a human-like Poisson poster with half of its posts on a period
  injected_human    not bots: Poisson posting while awake (08-23 UTC) with bursts
"""
import csv
import json
import random
import sys
from datetime import datetime, timezone

FMT = "%a %b %d %H:%M:%S +0000 %Y"


def campaign_window(sim):
    import gzip
    import glob
    lo = hi = None
    for path in glob.glob(f"{sim}/twitter_v1/*.jsonl*"):
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt") as f:
            for line in f:
                t = json.loads(line).get("created_at")
                if not t:
                    continue
                ts = datetime.strptime(t, FMT).replace(tzinfo=timezone.utc).timestamp()
                lo = ts if lo is None else min(lo, ts)
                hi = ts if hi is None else max(hi, ts)
    return lo, hi


def period_times(rng, start, end, n):
    period = rng.uniform(4 * 60, 90 * 60)
    miss = rng.uniform(0.0, 0.4)
    jitter = rng.choice([0, 1, 2])
    t0 = rng.uniform(start, start + period)
    times, slot = [], 0
    while len(times) < n:
        t = t0 + slot * period
        slot += 1
        if t > end + 30 * 86400:
            break
        if rng.random() < miss:
            continue
        times.append(round(t) + rng.randint(-jitter, jitter))
    return times


def clock_times(rng, start, end, n):
    second = rng.randrange(60)
    minutes = sorted(rng.sample(range(int((end - start) // 60) + 1), n))
    base = int(start // 60) * 60
    return [base + m * 60 + second + rng.randint(-1, 1) for m in minutes]


def human_times(rng, start, end, n):
    times, t = [], start + rng.uniform(0, 3600)
    while len(times) < n:
        hour = datetime.fromtimestamp(t, timezone.utc).hour
        if hour < 8 or hour >= 23:
            t += 3600
            continue
        times.append(round(t))
        t += rng.expovariate(1 / 20) if rng.random() < 0.3 else rng.expovariate(1 / 1800)
    return times


def main():
    sim, seed = sys.argv[1], int(sys.argv[2])
    per_kind = int(sys.argv[3]) if len(sys.argv) > 3 else 15
    rng = random.Random(seed)
    start, end = campaign_window(sim)
    next_id = 990_000_000_000_000_000
    user_id = 77_000_000_000
    rows, lines = [], []
    for kind in ["injected_period", "injected_clock", "injected_mixture", "injected_human"]:
        for i in range(per_kind):
            n = rng.randint(6, 40)
            if kind == "injected_period":
                times = period_times(rng, start, end, n)
            elif kind == "injected_clock":
                times = clock_times(rng, start, end, n)
            elif kind == "injected_mixture":
                times = period_times(rng, start, end, n // 2 + 3) + human_times(rng, start, end, n // 2 + 3)
            else:
                times = human_times(rng, start, end, n)
            user_id += 1
            handle = f"{kind.split('_')[1]}{''.join(rng.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(6))}"
            created = datetime.fromtimestamp(start - rng.uniform(400, 3000) * 86400, timezone.utc)
            user = {
                "id": user_id, "id_str": str(user_id), "name": handle.title(), "screen_name": handle,
                "location": "", "description": "Avis perso.", "url": None, "protected": False,
                "followers_count": rng.randint(100, 3000), "friends_count": rng.randint(100, 1500),
                "listed_count": rng.randint(0, 20), "created_at": created.strftime(FMT),
                "favourites_count": rng.randint(100, 5000), "verified": False,
                "statuses_count": rng.randint(2000, 20000), "lang": "fr",
                "default_profile": False, "default_profile_image": False,
            }
            for t in sorted(times):
                next_id += 1
                text = f"#MacronLeaks update {next_id % 100000}"
                lines.append(json.dumps({
                    "created_at": datetime.fromtimestamp(t, timezone.utc).strftime(FMT),
                    "id": next_id, "id_str": str(next_id), "full_text": text, "truncated": False,
                    "entities": {"hashtags": [{"text": "MacronLeaks", "indices": [0, 12]}],
                                 "symbols": [], "user_mentions": [], "urls": []},
                    "source": "<a href=\"http://twitter.com\" rel=\"nofollow\">Twitter Web Client</a>",
                    "user": user, "retweet_count": 0, "favorite_count": 0, "lang": "fr",
                }))
            rows.append(["twitter", str(user_id), handle, "false" if kind == "injected_human" else "true", kind])
    with open(f"{sim}/twitter_v1/injected.jsonl", "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(f"{sim}/truth.csv", "a", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


if __name__ == "__main__":
    main()
