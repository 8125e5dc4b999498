#!/usr/bin/env python3
"""Inputs for scripts/bench-platforms.sh: the real samples of ../shared/fixtures/real (and
the Reddit fixtures) repeated with fresh ids until each file holds about MB megabytes, so
that every reader is timed on the same record shapes as its real sample, and the v1.1
reader on its own real sample the same way.

    scripts/bench-platforms.py OUT_DIR [MB]
"""
import copy
import json
import os
import sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
real = os.path.join(root, "..", "shared", "fixtures", "real")
fixtures = os.path.join(root, "tests", "fixtures", "platforms")
out = sys.argv[1]
target = int(sys.argv[2] if len(sys.argv) > 2 else 300) * 1_000_000
os.makedirs(out, exist_ok=True)


def lines(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_jsonl(name, make):
    """make(copy_number) -> list of JSON values; repeated until the file is big enough."""
    path = os.path.join(out, name)
    size = 0
    n = 0
    with open(path, "w", encoding="utf-8") as f:
        while size < target:
            for value in make(n):
                text = json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n"
                f.write(text)
                size += len(text.encode("utf-8"))
            n += 1
    print(f"{path}: {size / 1e6:.0f} MB, {n} copies", file=sys.stderr)


# Twitter v1.1: the streaming sample, ids made unique per copy.
v1 = lines(os.path.join(real, "twitter_v1", "streaming_lines.jsonl"))


def v1_copy(n):
    for status in v1:
        s = copy.deepcopy(status)
        for obj in (s, s.get("retweeted_status"), s.get("quoted_status")):
            if isinstance(obj, dict) and "id_str" in obj:
                obj["id_str"] = f"{obj['id_str']}{n:07d}"
                obj["id"] = int(obj["id_str"]) % (1 << 62)
        yield s


write_jsonl("twitter_v1.jsonl", v1_copy)

# Jetstream: the real mix (most events are likes), and posts and reposts only.
jetstream = lines(os.path.join(real, "bluesky", "jetstream_v1.jsonl"))


def jetstream_copy(n, only_posts=False):
    for event in jetstream:
        commit = event.get("commit")
        if only_posts and not (
            commit and commit.get("collection") in ("app.bsky.feed.post", "app.bsky.feed.repost")
        ):
            continue
        e = copy.deepcopy(event)
        e["time_us"] += n * 1_000_000
        if e.get("commit"):
            e["commit"]["rkey"] = f"{e['commit']['rkey']}{n:07d}"
        yield e


write_jsonl("bluesky_jetstream.jsonl", jetstream_copy)
write_jsonl("bluesky_jetstream_posts.jsonl", lambda n: jetstream_copy(n, True))

# getAuthorFeed pages, one response a line.
with open(os.path.join(real, "bluesky", "get_author_feed.json"), encoding="utf-8") as f:
    feed = json.load(f)


def feed_copy(n):
    page = copy.deepcopy(feed)
    for item in page["feed"]:
        item["post"]["uri"] += f"{n:07d}"
    yield page


write_jsonl("bluesky_feed_pages.jsonl", feed_copy)

# Mastodon statuses, one a line (1.x tag timeline and 4.x home timeline).
statuses = []
for name in ("tag_timeline_2017.json", "home_timeline_v4.json", "status_reblog_v4.json"):
    with open(os.path.join(real, "mastodon", name), encoding="utf-8") as f:
        value = json.load(f)
    statuses.extend(value if isinstance(value, list) else [value])


def mastodon_copy(n):
    for status in statuses:
        s = copy.deepcopy(status)
        s["id"] = f"{s['id']}{n:07d}"
        yield s


write_jsonl("mastodon_statuses.jsonl", mastodon_copy)

# Reddit: Pushshift-shaped comments and submissions (the fixtures padded with the fields
# real dumps carry, so lines are as long as real ones, ~1-2 KB).
padding = {
    "all_awardings": [], "approved_at_utc": None, "associated_award": None,
    "author_flair_background_color": None, "author_flair_css_class": None,
    "author_flair_richtext": [], "author_flair_template_id": None,
    "author_flair_text": None, "author_flair_text_color": None,
    "author_flair_type": "text", "author_patreon_flair": False, "author_premium": False,
    "awarders": [], "banned_at_utc": None, "can_gild": True, "can_mod_post": False,
    "collapsed": False, "collapsed_because_crowd_control": None, "collapsed_reason": None,
    "controversiality": 0, "distinguished": None, "edited": False, "gilded": 0,
    "gildings": {}, "is_submitter": False, "locked": False, "no_follow": True,
    "permalink": "/r/france/comments/6998aa/macronleaks/dh3aaa1/", "retrieved_on": 1496000000,
    "send_replies": True, "stickied": False, "subreddit_name_prefixed": "r/france",
    "subreddit_type": "public", "top_awarded_type": None, "total_awards_received": 0,
    "treatment_tags": [],
}
reddit = lines(os.path.join(fixtures, "RC_2017-05.ndjson")) + lines(
    os.path.join(fixtures, "RS_2017-05.ndjson")
)


def reddit_copy(n):
    for item in reddit:
        r = dict(padding)
        r.update(item)
        r["id"] = f"{item['id']}{n:07d}"
        yield r


write_jsonl("reddit_RC_RS.ndjson", reddit_copy)

# Telegram: one result.json document (read whole: kept under the 64 MiB record bound).
with open(os.path.join(real, "telegram", "channel_export_2021.json"), encoding="utf-8") as f:
    export = json.load(f)
messages = []
n = 0
size = 0
while size < min(target, 60_000_000):
    for m in export["messages"]:
        m = copy.deepcopy(m)
        m["id"] = n * 100 + m["id"]
        text = json.dumps(m, ensure_ascii=False, indent=1)
        size += len(text.encode("utf-8"))
        messages.append(m)
    n += 1
doc = dict(export)
doc["messages"] = messages
path = os.path.join(out, "telegram_result.json")
with open(path, "w", encoding="utf-8") as f:
    json.dump(doc, f, ensure_ascii=False, indent=1)
print(f"{path}: {os.path.getsize(path) / 1e6:.0f} MB", file=sys.stderr)
