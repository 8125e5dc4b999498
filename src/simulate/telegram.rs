//! Writer: Telegram Desktop "Export chat history" JSON (`result.json`), one file per chat:
//! the leak channel (its own posts, `from_id` the channel) and the public group where users
//! post, reply (`reply_to_message_id`) and forward the channel's posts (`forwarded_from`,
//! `forwarded_from_id`). Times as `date` (Paris local time, as a French exporter's
//! computer writes it) and `date_unixtime`; text as a mixed array with `text_entities`.

use super::platforms::{PKind, Piece, PlatformPlan};
use super::*;

#[derive(Serialize)]
struct Export<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    id: u64,
    messages: Vec<Message>,
}

#[derive(Serialize)]
struct Message {
    id: u64,
    #[serde(rename = "type")]
    kind: &'static str,
    date: String,
    date_unixtime: String,
    from: String,
    from_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    forwarded_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    forwarded_from_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_to_message_id: Option<u64>,
    text: Vec<serde_json::Value>,
    text_entities: Vec<Entity>,
}

#[derive(Serialize)]
struct Entity {
    #[serde(rename = "type")]
    kind: &'static str,
    text: String,
}

fn text_of(pieces: &[Piece<'_>], tag: &str) -> (Vec<serde_json::Value>, Vec<Entity>) {
    let mut text = Vec::new();
    let mut entities = Vec::new();
    for piece in pieces {
        let (kind, s) = match piece {
            Piece::Plain(s) => ("plain", s.to_string()),
            Piece::Link(s) => ("link", s.to_string()),
            Piece::Tag => ("hashtag", format!("#{tag}")),
        };
        if kind == "plain" {
            text.push(serde_json::Value::String(s.clone()));
        } else {
            text.push(serde_json::json!({"type": kind, "text": s}));
        }
        entities.push(Entity { kind, text: s });
    }
    (text, entities)
}

fn dates(ms: i64) -> (String, String) {
    let local = utc(ms).with_timezone(&chrono_tz::Europe::Paris);
    (
        local.format("%Y-%m-%dT%H:%M:%S").to_string(),
        (ms.div_euclid(1000)).to_string(),
    )
}

pub(super) fn write_telegram(
    plan: &PlatformPlan,
    tag: &str,
    out_dir: &Path,
) -> Result<Vec<String>> {
    let mut rng = plan.writer_rng();
    let channel = &plan.accounts[0];
    let channel_id: u64 = channel.key.trim_start_matches("channel").parse()?;
    let group_id: u64 = rng.random_range(1_000_000_000..1_999_999_999u64);
    // Message ids, per chat, in time order.
    let mut channel_no = rng.random_range(2..60u64);
    let mut group_no = rng.random_range(1_000..90_000u64);
    let mut ids = vec![0u64; plan.posts.len()];
    let mut channel_messages = Vec::new();
    let mut group_messages = Vec::new();
    for (i, post) in plan.posts.iter().enumerate() {
        let author = &plan.accounts[post.author];
        let (date, date_unixtime) = dates(post.time_ms);
        let in_channel = post.author == 0 && post.kind == PKind::Original;
        // A forward carries the forwarded message's text and entities.
        let source = match post.kind {
            PKind::Repost => &plan.posts[post.target.expect("a forward has a source")],
            _ => post,
        };
        let (text, text_entities) = text_of(&source.pieces(), tag);
        let message = Message {
            id: 0,
            kind: "message",
            date,
            date_unixtime,
            from: author.display_name.clone(),
            from_id: author.key.clone(),
            forwarded_from: (post.kind == PKind::Repost).then(|| channel.display_name.clone()),
            forwarded_from_id: (post.kind == PKind::Repost).then(|| channel.key.clone()),
            reply_to_message_id: match post.kind {
                PKind::Reply => post.target.map(|t| ids[t]),
                _ => None,
            },
            text,
            text_entities,
        };
        if in_channel {
            channel_no += rng.random_range(1..3);
            ids[i] = channel_no;
            channel_messages.push(Message {
                id: channel_no,
                ..message
            });
        } else {
            group_no += 1;
            ids[i] = group_no;
            group_messages.push(Message {
                id: group_no,
                ..message
            });
        }
    }
    let mut files = Vec::new();
    for (dir, name, kind, id, messages) in [
        (
            "telegram/ChatExport_channel",
            channel.display_name.as_str(),
            "public_channel",
            channel_id,
            channel_messages,
        ),
        (
            "telegram/ChatExport_group",
            "Macron Leaks Chat",
            "public_supergroup",
            group_id,
            group_messages,
        ),
    ] {
        std::fs::create_dir_all(out_dir.join(dir))?;
        let rel = format!("{dir}/result.json");
        let mut writer = BufWriter::new(create_new(&out_dir.join(&rel))?);
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b" ");
        let mut serializer = serde_json::Serializer::with_formatter(&mut writer, formatter);
        Export {
            name,
            kind,
            id,
            messages,
        }
        .serialize(&mut serializer)?;
        writer.write_all(b"\n")?;
        writer.flush()?;
        files.push(rel);
    }
    Ok(files)
}
