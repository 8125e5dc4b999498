//! Writer: Reddit Pushshift NDJSON, one line per item in time order:
//! `reddit/RS_YYYY-MM.ndjson` submissions (link posts to the leak with `url` and `domain`,
//! self posts, crossposts with `crosspost_parent`) and `reddit/RC_YYYY-MM.ndjson` comments
//! (`link_id` the submission, `parent_id` a `t3_` or `t1_` fullname). Text is escaped as the
//! dumps escape it (`&amp;`, `&lt;`, `&gt;`).

use super::platforms::{PKind, PlatformPlan};
use super::*;

const SUBREDDITS: [(&str, &str); 5] = [
    ("The_Donald", "t5_38unr"),
    ("france", "t5_2qhjz"),
    ("europe", "t5_2qh4j"),
    ("worldnews", "t5_2qh13"),
    ("politics", "t5_2cneq"),
];

#[derive(Serialize)]
struct Submission<'a> {
    archived: bool,
    author: &'a str,
    author_created_utc: i64,
    author_fullname: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    crosspost_parent: Option<String>,
    created_utc: i64,
    domain: String,
    id: String,
    is_self: bool,
    name: String,
    num_comments: u32,
    permalink: String,
    score: i64,
    selftext: String,
    subreddit: &'a str,
    subreddit_id: &'a str,
    title: String,
    url: String,
}

#[derive(Serialize)]
struct Comment<'a> {
    author: &'a str,
    author_created_utc: i64,
    author_fullname: String,
    body: String,
    created_utc: i64,
    id: String,
    link_id: String,
    parent_id: String,
    score: i64,
    subreddit: &'a str,
    subreddit_id: &'a str,
}

/// Text as the dumps escape it (`& < >`).
fn escape(s: &str) -> String {
    html_escape::encode_text(s).into_owned()
}

fn base36(mut n: u64) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap()
}

pub(super) fn write_reddit(plan: &PlatformPlan, tag: &str, out_dir: &Path) -> Result<Vec<String>> {
    let mut rng = plan.writer_rng();
    let fullnames: Vec<String> = plan
        .accounts
        .iter()
        .map(|_| format!("t2_{}", base36(rng.random_range(1_000_000..60_000_000u64))))
        .collect();
    // Ids: base36 counters of the time (submissions 6998aa-ish in May 2017, comments dh3…).
    let mut next_submission = 14_150_000_000u64 / 36 + rng.random_range(0..1000u64);
    let mut next_comment = 29_000_000_000u64 / 36 + rng.random_range(0..1000u64);
    let mut ids: Vec<String> = Vec::with_capacity(plan.posts.len());
    // The submission each post belongs to, and its subreddit.
    let mut roots: Vec<usize> = Vec::with_capacity(plan.posts.len());
    let mut subs: Vec<usize> = Vec::with_capacity(plan.posts.len());
    let mut comments_under = vec![0u32; plan.posts.len()];
    let mut submissions = Vec::new();
    let mut comments = Vec::new();
    for (i, post) in plan.posts.iter().enumerate() {
        match post.kind {
            PKind::Reply => {
                let target = post.target.expect("a comment has a parent");
                next_comment += rng.random_range(1..40);
                ids.push(base36(next_comment));
                roots.push(roots[target]);
                subs.push(subs[target]);
                comments_under[roots[target]] += 1;
            }
            _ => {
                next_submission += rng.random_range(1..20);
                ids.push(base36(next_submission));
                roots.push(i);
                let sub = if i == 0 {
                    0
                } else {
                    let mut sub = weighted(&mut rng, &[4.0, 3.0, 2.0, 1.0, 1.0]);
                    if let Some(t) = post.target
                        && sub == subs[t]
                    {
                        sub = (sub + 1) % SUBREDDITS.len();
                    }
                    sub
                };
                subs.push(sub);
            }
        }
    }
    for (i, post) in plan.posts.iter().enumerate() {
        let author = &plan.accounts[post.author];
        let (subreddit, subreddit_id) = SUBREDDITS[subs[i]];
        let created_utc = post.time_ms.div_euclid(1000);
        let score = if author.is_bot {
            rng.random_range(-3..5)
        } else {
            lognormal(&mut rng, 6.0, 1.3).min(50_000.0) as i64
        };
        match post.kind {
            PKind::Reply => {
                let target = post.target.unwrap();
                let parent_id = if plan.posts[target].kind == PKind::Reply {
                    format!("t1_{}", ids[target])
                } else {
                    format!("t3_{}", ids[target])
                };
                let line = serde_json::to_string(&Comment {
                    author: &author.handle,
                    author_created_utc: author.created_ms.div_euclid(1000),
                    author_fullname: fullnames[post.author].clone(),
                    body: escape(&post.plain_text(tag)),
                    created_utc,
                    id: ids[i].clone(),
                    link_id: format!("t3_{}", ids[roots[i]]),
                    parent_id,
                    score,
                    subreddit,
                    subreddit_id,
                })?;
                comments.push(line);
            }
            _ => {
                // A crosspost copies the original's title and link.
                let source = match post.kind {
                    PKind::Repost => &plan.posts[post.target.unwrap()],
                    _ => post,
                };
                let title = if source.tagged {
                    format!("#{tag}: {}", source.body)
                } else {
                    source.body.clone()
                };
                let slug: String = source
                    .body
                    .to_lowercase()
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .take(6)
                    .collect::<Vec<_>>()
                    .join("_");
                let permalink = format!("/r/{subreddit}/comments/{}/{slug}/", ids[i]);
                let (is_self, url, domain) = match &source.url {
                    Some(url) => {
                        let domain = url
                            .split("://")
                            .nth(1)
                            .and_then(|r| r.split('/').next())
                            .unwrap_or("")
                            .trim_start_matches("www.")
                            .to_string();
                        (false, url.clone(), domain)
                    }
                    None => (
                        true,
                        format!("https://www.reddit.com{permalink}"),
                        format!("self.{subreddit}"),
                    ),
                };
                let line = serde_json::to_string(&Submission {
                    archived: false,
                    author: &author.handle,
                    author_created_utc: author.created_ms.div_euclid(1000),
                    author_fullname: fullnames[post.author].clone(),
                    crosspost_parent: (post.kind == PKind::Repost)
                        .then(|| format!("t3_{}", ids[post.target.unwrap()])),
                    created_utc,
                    domain,
                    id: ids[i].clone(),
                    is_self,
                    name: format!("t3_{}", ids[i]),
                    num_comments: comments_under[i],
                    permalink,
                    score,
                    selftext: String::new(),
                    subreddit,
                    subreddit_id,
                    title: escape(&title),
                    url,
                })?;
                submissions.push(line);
            }
        }
    }
    let month = utc(plan.first_ms()).format("%Y-%m").to_string();
    std::fs::create_dir_all(out_dir.join("reddit"))?;
    let mut files = Vec::new();
    for (prefix, lines) in [("RS", submissions), ("RC", comments)] {
        let rel = format!("reddit/{prefix}_{month}.ndjson");
        let mut writer = BufWriter::new(create_new(&out_dir.join(&rel))?);
        for line in lines {
            writer.write_all(line.as_bytes())?;
            writer.write_all(b"\n")?;
        }
        writer.flush()?;
        files.push(rel);
    }
    Ok(files)
}
