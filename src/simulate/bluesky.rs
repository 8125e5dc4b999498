//! Writer: Bluesky Jetstream v1 lines (`bluesky/jetstream.jsonl`): `app.bsky.feed.post`
//! creates (text, `langs`, facets with UTF-8 byte ranges for the tag and the link,
//! `reply.root`/`reply.parent` strong refs) and `app.bsky.feed.repost` creates whose
//! `subject.uri` names the original. Record keys are TIDs of the client's `createdAt`;
//! `time_us` (when Jetstream saw the event) is a little later.

use super::platforms::{PKind, Piece, PlatformPlan, iso_millis};
use super::*;

const B32_SORT: &[u8] = b"234567abcdefghijklmnopqrstuvwxyz";
const B32: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";

/// A TID: 53 bits of microseconds and 10 bits of clock id, base32-sortable.
fn tid(micros: i64, clock: u64) -> String {
    let v = ((micros as u64) << 10) | (clock & 0x3ff);
    (0..13)
        .rev()
        .map(|k| B32_SORT[((v >> (5 * k)) & 31) as usize] as char)
        .collect()
}

fn cid(rng: &mut ChaCha8Rng) -> String {
    let tail: String = (0..52)
        .map(|_| B32[rng.random_range(0..32)] as char)
        .collect();
    format!("bafyrei{tail}")
}

#[derive(Serialize, Clone)]
struct StrongRef {
    cid: String,
    uri: String,
}

#[derive(Serialize)]
struct Reply {
    parent: StrongRef,
    root: StrongRef,
}

#[derive(Serialize)]
struct Facet {
    features: Vec<serde_json::Value>,
    index: ByteSlice,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ByteSlice {
    byte_end: usize,
    byte_start: usize,
}

#[derive(Serialize)]
struct PostRecord {
    #[serde(rename = "$type")]
    kind: &'static str,
    #[serde(rename = "createdAt")]
    created_at: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    facets: Vec<Facet>,
    langs: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply: Option<Reply>,
    text: String,
}

#[derive(Serialize)]
struct RepostRecord {
    #[serde(rename = "$type")]
    kind: &'static str,
    #[serde(rename = "createdAt")]
    created_at: String,
    subject: StrongRef,
}

#[derive(Serialize)]
struct Commit<R> {
    rev: String,
    operation: &'static str,
    collection: &'static str,
    rkey: String,
    record: R,
    cid: String,
}

#[derive(Serialize)]
struct Event<R> {
    did: String,
    time_us: i64,
    kind: &'static str,
    commit: Commit<R>,
}

pub(super) fn write_bluesky(plan: &PlatformPlan, tag: &str, out_dir: &Path) -> Result<Vec<String>> {
    let mut rng = plan.writer_rng();
    std::fs::create_dir_all(out_dir.join("bluesky"))?;
    let rel = "bluesky/jetstream.jsonl".to_string();
    let mut writer = BufWriter::new(create_new(&out_dir.join(&rel))?);
    // Each post's strong ref and its thread root.
    let mut refs: Vec<StrongRef> = Vec::with_capacity(plan.posts.len());
    let mut roots: Vec<usize> = Vec::with_capacity(plan.posts.len());
    let mut last_us = 0;
    for (i, post) in plan.posts.iter().enumerate() {
        let author = &plan.accounts[post.author];
        // The client stamps createdAt a moment before Jetstream sees the commit.
        let time_us = (post.time_ms * 1000 + rng.random_range(0..1000)).max(last_us + 1);
        last_us = time_us;
        let created_us = time_us - rng.random_range(80_000..1_500_000);
        let created_at = iso_millis(created_us.div_euclid(1000));
        let rkey = tid(created_us, rng.random_range(0..1024));
        let rev = tid(time_us, rng.random_range(0..1024));
        let record_cid = cid(&mut rng);
        let line = if post.kind == PKind::Repost {
            let target = post.target.expect("a repost has a subject");
            refs.push(StrongRef {
                cid: record_cid.clone(),
                uri: format!("at://{}/app.bsky.feed.repost/{rkey}", author.key),
            });
            roots.push(i);
            serde_json::to_string(&Event {
                did: author.key.clone(),
                time_us,
                kind: "commit",
                commit: Commit {
                    rev,
                    operation: "create",
                    collection: "app.bsky.feed.repost",
                    rkey,
                    record: RepostRecord {
                        kind: "app.bsky.feed.repost",
                        created_at,
                        subject: refs[target].clone(),
                    },
                    cid: record_cid,
                },
            })?
        } else {
            let mut text = String::new();
            let mut facets = Vec::new();
            for piece in post.pieces() {
                let start = text.len();
                let feature = match piece {
                    Piece::Plain(s) => {
                        text.push_str(s);
                        continue;
                    }
                    Piece::Link(url) => {
                        text.push_str(url);
                        serde_json::json!({"$type": "app.bsky.richtext.facet#link", "uri": url})
                    }
                    Piece::Tag => {
                        text.push('#');
                        text.push_str(tag);
                        serde_json::json!({"$type": "app.bsky.richtext.facet#tag", "tag": tag})
                    }
                };
                facets.push(Facet {
                    features: vec![feature],
                    index: ByteSlice {
                        byte_end: text.len(),
                        byte_start: start,
                    },
                });
            }
            let reply = match (post.kind, post.target) {
                (PKind::Reply, Some(target)) => {
                    roots.push(roots[target]);
                    Some(Reply {
                        parent: refs[target].clone(),
                        root: refs[roots[target]].clone(),
                    })
                }
                _ => {
                    roots.push(i);
                    None
                }
            };
            refs.push(StrongRef {
                cid: record_cid.clone(),
                uri: format!("at://{}/app.bsky.feed.post/{rkey}", author.key),
            });
            serde_json::to_string(&Event {
                did: author.key.clone(),
                time_us,
                kind: "commit",
                commit: Commit {
                    rev,
                    operation: "create",
                    collection: "app.bsky.feed.post",
                    rkey,
                    record: PostRecord {
                        kind: "app.bsky.feed.post",
                        created_at,
                        facets,
                        langs: vec![if author.french { "fr" } else { "en" }],
                        reply,
                        text,
                    },
                    cid: record_cid,
                },
            })?
        };
        writer.write_all(line.as_bytes())?;
        writer.write_all(b"\n")?;
    }
    writer.flush()?;
    Ok(vec![rel])
}
