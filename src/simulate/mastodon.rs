//! Writer: Mastodon API statuses (`mastodon/public_timeline.json`), one array newest first
//! as a timeline returns them: HTML `content` (links with Mastodon's hidden `https://`
//! part, hashtag links), `tags[]`, `mentions[]` on replies (`in_reply_to_id`,
//! `in_reply_to_account_id`), reblogs with the original nested in `reblog`, and each
//! status's `account` (profile counts, `created_at`, the `bot` flag). Local accounts of
//! `mastodon.social` and remote ones (`user@instance`).

use super::platforms::{PAccount, PKind, Piece, PlatformPlan, iso_millis};
use super::*;

const INSTANCE: &str = "mastodon.social";
const REMOTE: [&str; 4] = [
    "framapiaf.org",
    "mamot.fr",
    "octodon.social",
    "mastodon.xyz",
];

#[derive(Serialize, Clone)]
struct Account {
    id: String,
    username: String,
    acct: String,
    display_name: String,
    locked: bool,
    bot: bool,
    created_at: String,
    note: String,
    url: String,
    followers_count: u32,
    following_count: u32,
    statuses_count: u32,
}

#[derive(Serialize, Clone)]
struct Tag {
    name: String,
    url: String,
}

#[derive(Serialize, Clone)]
struct Mention {
    id: String,
    username: String,
    url: String,
    acct: String,
}

#[derive(Serialize, Clone)]
struct Application {
    name: &'static str,
    website: Option<&'static str>,
}

#[derive(Serialize, Clone)]
struct Status {
    id: String,
    created_at: String,
    in_reply_to_id: Option<String>,
    in_reply_to_account_id: Option<String>,
    sensitive: bool,
    spoiler_text: &'static str,
    visibility: &'static str,
    language: Option<&'static str>,
    uri: String,
    url: Option<String>,
    replies_count: u32,
    reblogs_count: u32,
    favourites_count: u32,
    content: String,
    reblog: Option<Box<Status>>,
    application: Option<Application>,
    account: Account,
    media_attachments: Vec<serde_json::Value>,
    mentions: Vec<Mention>,
    tags: Vec<Tag>,
    emojis: Vec<serde_json::Value>,
    card: Option<serde_json::Value>,
    poll: Option<serde_json::Value>,
}

/// Text as Mastodon's HTML escapes it: html-escape's quoted-attribute set (`& < > " '`),
/// with the apostrophe as Mastodon (Rails) writes it (`&#39;`, not `&#x27;`).
fn escape_html(s: &str) -> String {
    html_escape::encode_quoted_attribute(s).replace("&#x27;", "&#39;")
}

/// A link as Mastodon renders it: the scheme hidden, the rest visible.
fn link_html(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    format!(
        "<a href=\"{}\" target=\"_blank\" rel=\"nofollow noopener noreferrer\"><span class=\"invisible\">{scheme}://</span><span class=\"\">{}</span><span class=\"invisible\"></span></a>",
        escape_html(url),
        escape_html(rest)
    )
}

fn account_json(acct: &PAccount, remote: Option<&str>) -> Account {
    let host = remote.unwrap_or(INSTANCE);
    Account {
        id: acct.key.clone(),
        username: acct.handle.clone(),
        acct: match remote {
            Some(host) => format!("{}@{host}", acct.handle),
            None => acct.handle.clone(),
        },
        display_name: acct.display_name.clone(),
        locked: false,
        // Some amplifiers set the flag (about half, by their status count); the others and
        // the coordinated group hide it.
        bot: acct.kind == "amplifier" && acct.statuses.is_multiple_of(2),
        created_at: iso_millis(acct.created_ms - acct.created_ms.rem_euclid(86_400_000)),
        note: String::new(),
        url: format!("https://{host}/@{}", acct.handle),
        followers_count: acct.followers,
        following_count: acct.following,
        statuses_count: acct.statuses,
    }
}

pub(super) fn write_mastodon(
    plan: &PlatformPlan,
    tag: &str,
    out_dir: &Path,
) -> Result<Vec<String>> {
    let mut rng = plan.writer_rng();
    let remote: Vec<Option<&str>> = plan
        .accounts
        .iter()
        .map(|_| rng.random_bool(0.4).then(|| *pick(&mut rng, &REMOTE)))
        .collect();
    let accounts: Vec<Account> = plan
        .accounts
        .iter()
        .zip(&remote)
        .map(|(a, r)| account_json(a, *r))
        .collect();
    let clients = [
        Application {
            name: "Web",
            website: None,
        },
        Application {
            name: "Tusky",
            website: Some("https://tusky.app"),
        },
        Application {
            name: "Amaroq",
            website: None,
        },
    ];
    let mut statuses: Vec<Status> = Vec::with_capacity(plan.posts.len());
    let mut reblogs = vec![0u32; plan.posts.len()];
    let mut replies = vec![0u32; plan.posts.len()];
    for post in &plan.posts {
        match post.kind {
            PKind::Repost => reblogs[post.target.unwrap()] += 1,
            PKind::Reply => replies[post.target.unwrap()] += 1,
            PKind::Original => {}
        }
    }
    let mut ids: Vec<u64> = Vec::with_capacity(plan.posts.len());
    let mut last_id = 0;
    for (i, post) in plan.posts.iter().enumerate() {
        let id = (((post.time_ms as u64) << 16) | rng.random_range(0..65_536u64)).max(last_id + 1);
        last_id = id;
        ids.push(id);
        let account = accounts[post.author].clone();
        let id_s = id.to_string();
        let uri = format!(
            "https://{}/users/{}/statuses/{id_s}",
            remote[post.author].unwrap_or(INSTANCE),
            account.username
        );
        let status = if post.kind == PKind::Repost {
            let target = post.target.unwrap();
            Status {
                id: id_s,
                created_at: iso_millis(post.time_ms),
                in_reply_to_id: None,
                in_reply_to_account_id: None,
                sensitive: false,
                spoiler_text: "",
                visibility: "public",
                language: None,
                uri: format!("{uri}/activity"),
                url: None,
                replies_count: 0,
                reblogs_count: 0,
                favourites_count: 0,
                content: String::new(),
                reblog: Some(Box::new(statuses[target].clone())),
                application: None,
                account,
                media_attachments: Vec::new(),
                mentions: Vec::new(),
                tags: Vec::new(),
                emojis: Vec::new(),
                card: None,
                poll: None,
            }
        } else {
            let reply_to = (post.kind == PKind::Reply).then(|| post.target.unwrap());
            let mut html = String::from("<p>");
            let mut mentions = Vec::new();
            if let Some(t) = reply_to {
                let parent = &accounts[plan.posts[t].author];
                html.push_str(&format!(
                    "<span class=\"h-card\"><a href=\"{}\" class=\"u-url mention\">@<span>{}</span></a></span> ",
                    parent.url, parent.username
                ));
                mentions.push(Mention {
                    id: parent.id.clone(),
                    username: parent.username.clone(),
                    url: parent.url.clone(),
                    acct: parent.acct.clone(),
                });
            }
            for piece in post.pieces() {
                match piece {
                    Piece::Plain(s) => html.push_str(&escape_html(s)),
                    Piece::Link(url) => html.push_str(&link_html(url)),
                    Piece::Tag => html.push_str(&format!(
                        "<a href=\"https://{INSTANCE}/tags/{}\" class=\"mention hashtag\" rel=\"tag\">#<span>{tag}</span></a>",
                        tag.to_lowercase()
                    )),
                }
            }
            html.push_str("</p>");
            let tags = if post.tagged {
                vec![Tag {
                    name: tag.to_lowercase(),
                    url: format!("https://{INSTANCE}/tags/{}", tag.to_lowercase()),
                }]
            } else {
                Vec::new()
            };
            Status {
                id: id_s.clone(),
                created_at: iso_millis(post.time_ms),
                in_reply_to_id: reply_to.map(|t| ids[t].to_string()),
                in_reply_to_account_id: reply_to.map(|t| accounts[plan.posts[t].author].id.clone()),
                sensitive: false,
                spoiler_text: "",
                visibility: "public",
                language: Some(if plan.accounts[post.author].french {
                    "fr"
                } else {
                    "en"
                }),
                uri,
                url: Some(format!("{}/{id_s}", account.url)),
                replies_count: replies[i],
                reblogs_count: reblogs[i],
                favourites_count: rng.random_range(0..3 + 2 * reblogs[i]),
                content: html,
                reblog: None,
                application: remote[post.author]
                    .is_none()
                    .then(|| pick(&mut rng, &clients).clone()),
                account,
                media_attachments: Vec::new(),
                mentions,
                tags,
                emojis: Vec::new(),
                card: None,
                poll: None,
            }
        };
        statuses.push(status);
    }
    statuses.reverse();
    std::fs::create_dir_all(out_dir.join("mastodon"))?;
    let rel = "mastodon/public_timeline.json".to_string();
    let mut writer = BufWriter::new(create_new(&out_dir.join(&rel))?);
    serde_json::to_writer(&mut writer, &statuses)?;
    writer.write_all(b"\n")?;
    writer.flush()?;
    Ok(vec![rel])
}
