//! Plan of the campaign on the other platforms (issue 17): Telegram, Bluesky, Mastodon and
//! Reddit each get a smaller campaign that starts after the 4chan leak post with a
//! platform lag, with its own accounts (humans, an account that first shares the leak,
//! amplifier bots that repost within seconds, and a coordinated group posting the same
//! text in bursts). One writer per platform renders the plan in its real export format.
//!
//! The plan draws from its own `ChaCha8Rng` per platform (seed and a salt), never from the
//! main generator, so a world without other platforms is byte-identical to one made
//! before they existed, and adding one platform does not change another.

use super::*;

/// A platform the simulator can add beside Twitter and 4chan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SimPlatform {
    /// Telegram, written as a Telegram Desktop chat export (`result.json`).
    Telegram,
    /// Bluesky, written as Jetstream lines.
    Bluesky,
    /// Mastodon, written as API statuses.
    Mastodon,
    /// Reddit, written as a Pushshift NDJSON dump.
    Reddit,
}

impl SimPlatform {
    /// Every platform, in order of their lag after the 4chan post.
    pub const ALL: [SimPlatform; 4] = [
        SimPlatform::Telegram,
        SimPlatform::Bluesky,
        SimPlatform::Mastodon,
        SimPlatform::Reddit,
    ];

    /// The `platform` value the readers give its posts.
    pub fn name(self) -> &'static str {
        match self {
            SimPlatform::Telegram => "telegram",
            SimPlatform::Bluesky => "bluesky",
            SimPlatform::Mastodon => "mastodon",
            SimPlatform::Reddit => "reddit",
        }
    }

    /// The platform named `name` (as [`SimPlatform::name`] gives it, any case, surrounding
    /// spaces ignored).
    pub fn parse(name: &str) -> Option<SimPlatform> {
        SimPlatform::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name.trim()))
    }

    /// Range of the lag (minutes) between the 4chan leak post and the platform's first
    /// post. The ranges do not overlap (and Twitter's default 14 minutes lies between
    /// Telegram and Bluesky): imageboard → Telegram → X → Bluesky → Mastodon → Reddit.
    fn lag_minutes(self) -> (f64, f64) {
        match self {
            SimPlatform::Telegram => (3.0, 8.0),
            SimPlatform::Bluesky => (25.0, 45.0),
            SimPlatform::Mastodon => (55.0, 85.0),
            SimPlatform::Reddit => (100.0, 140.0),
        }
    }

    /// Posts on the platform as a share of the tweets.
    fn post_share(self) -> f64 {
        match self {
            SimPlatform::Telegram => 0.06,
            SimPlatform::Bluesky => 0.08,
            SimPlatform::Mastodon => 0.05,
            SimPlatform::Reddit => 0.04,
        }
    }

    /// Human posts: shares of originals, reposts (Telegram: forwards of the channel's
    /// posts; Reddit has none) and replies.
    fn human_kinds(self) -> [f64; 3] {
        match self {
            SimPlatform::Telegram => [0.35, 0.35, 0.30],
            SimPlatform::Bluesky | SimPlatform::Mastodon => [0.45, 0.30, 0.25],
            SimPlatform::Reddit => [0.08, 0.0, 0.92],
        }
    }

    fn salt(self) -> u64 {
        0x706c_6174_0000 + self as u64
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PKind {
    /// A post of its own (Reddit: a submission).
    Original,
    /// Repost, forward (Telegram), reblog (Mastodon) or crosspost (Reddit) of `target`.
    Repost,
    /// Reply to `target` (Reddit: a comment).
    Reply,
}

pub(super) struct PAccount {
    /// The id the platform's reader keys the account by.
    pub(super) key: String,
    pub(super) handle: String,
    pub(super) display_name: String,
    /// Ground-truth kind: `human`, `seeder` (first to share the leak), `channel`
    /// (Telegram), `amplifier`, `coordinated`.
    pub(super) kind: &'static str,
    pub(super) is_bot: bool,
    pub(super) created_ms: i64,
    pub(super) followers: u32,
    pub(super) following: u32,
    pub(super) statuses: u32,
    pub(super) french: bool,
}

pub(super) struct PPost {
    pub(super) time_ms: i64,
    pub(super) author: usize,
    pub(super) kind: PKind,
    /// Index of an earlier post (reposts and replies).
    pub(super) target: Option<usize>,
    /// The author's words (empty for reposts).
    pub(super) body: String,
    /// A link shared in the post.
    pub(super) url: Option<String>,
    /// Whether the post carries the campaign hashtag.
    pub(super) tagged: bool,
}

/// A piece of a post's text, so that every writer can place its own entities.
pub(super) enum Piece<'a> {
    Plain(&'a str),
    Link(&'a str),
    Tag,
}

impl PPost {
    /// Body, then the link, then the hashtag, separated by spaces.
    pub(super) fn pieces(&self) -> Vec<Piece<'_>> {
        let mut pieces = Vec::new();
        let mut sep = false;
        if !self.body.is_empty() {
            pieces.push(Piece::Plain(&self.body));
            sep = true;
        }
        if let Some(url) = &self.url {
            if sep {
                pieces.push(Piece::Plain(" "));
            }
            pieces.push(Piece::Link(url));
            sep = true;
        }
        if self.tagged {
            if sep {
                pieces.push(Piece::Plain(" "));
            }
            pieces.push(Piece::Tag);
        }
        pieces
    }

    /// The text as plain characters.
    pub(super) fn plain_text(&self, tag: &str) -> String {
        self.pieces()
            .iter()
            .map(|p| match p {
                Piece::Plain(s) | Piece::Link(s) => s.to_string(),
                Piece::Tag => format!("#{tag}"),
            })
            .collect()
    }
}

pub(super) struct PlatformPlan {
    pub(super) platform: SimPlatform,
    /// Seed for the writer's own draws (ids, scores, subreddits...).
    pub(super) seed: u64,
    pub(super) accounts: Vec<PAccount>,
    /// In time order; the first is the seeder's leak post.
    pub(super) posts: Vec<PPost>,
    pub(super) start_ms: i64,
}

impl PlatformPlan {
    pub(super) fn first_ms(&self) -> i64 {
        self.posts[0].time_ms
    }

    pub(super) fn writer_rng(&self) -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(mix(self.seed, 0x7772_6974))
    }

    /// Accounts with at least one post.
    pub(super) fn posting(&self) -> Vec<bool> {
        let mut posting = vec![false; self.accounts.len()];
        for p in &self.posts {
            posting[p.author] = true;
        }
        posting
    }
}

/// What the manifest records of one platform (its ground truth).
#[derive(Debug, Clone, Serialize)]
pub struct PlatformSummary {
    /// The platform's `platform` value (`telegram`, `bluesky`, `mastodon`, `reddit`).
    pub platform: &'static str,
    /// Time of the platform's first post, ISO 8601 UTC to the second.
    pub first_post_time: String,
    /// Minutes between the 4chan leak post and the platform's first post.
    pub lag_minutes: f64,
    /// Posts generated on the platform.
    pub posts: u64,
    /// Posts per kind as planned (`original`, `repost`, `reply`).
    pub posts_by_kind: BTreeMap<String, u64>,
    /// Accounts with at least one post.
    pub accounts: u64,
    /// Of those, the planted bots (amplifiers and coordinated members).
    pub bots: u64,
    /// Accounts with at least one post, per ground-truth kind (`channel` or `seeder`,
    /// `human`, `amplifier`, `coordinated`).
    pub accounts_by_kind: BTreeMap<String, u64>,
}

impl PlatformPlan {
    pub(super) fn summary(&self) -> PlatformSummary {
        let mut posts_by_kind = BTreeMap::new();
        for p in &self.posts {
            let kind = match p.kind {
                PKind::Original => "original",
                PKind::Repost => "repost",
                PKind::Reply => "reply",
            };
            *posts_by_kind.entry(kind.to_string()).or_insert(0) += 1;
        }
        let mut accounts_by_kind = BTreeMap::new();
        let mut bots = 0;
        for (a, posting) in self.posting().into_iter().enumerate() {
            if posting {
                let acct = &self.accounts[a];
                *accounts_by_kind.entry(acct.kind.to_string()).or_insert(0) += 1;
                bots += u64::from(acct.is_bot);
            }
        }
        PlatformSummary {
            platform: self.platform.name(),
            first_post_time: iso_seconds(self.first_ms()),
            lag_minutes: ((self.first_ms() - self.start_ms) as f64 / 60_000.0 * 100.0).round()
                / 100.0,
            posts: self.posts.len() as u64,
            posts_by_kind,
            accounts: accounts_by_kind.values().sum(),
            bots,
            accounts_by_kind,
        }
    }
}

const FIRST_NAMES: [&str; 16] = [
    "marie", "jean", "lucie", "paul", "camille", "hugo", "chloe", "louis", "emma", "jack", "sarah",
    "mike", "anna", "tom", "julie", "max",
];
const SECOND_NAMES: [&str; 12] = [
    "dupont", "martin", "patriote", "libre", "news", "watch", "fr", "info", "veritas", "moreau",
    "smith", "nord",
];
const COPYPASTA: [&str; 4] = [
    "Les médias se taisent, nous non. Lisez et partagez",
    "Tout est dans les documents. Faites tourner avant minuit",
    "The mainstream media won't cover this. We will",
    "Read the files before they disappear. Share everywhere",
];
const CHANNEL_POSTS: [&str; 5] = [
    "Mirror of the leaked files is up",
    "Nouveaux documents ajoutés à l'archive",
    "Partagez ce lien partout",
    "Index of the dump, sorted by folder",
    "Les médias vont parler de faux. Vérifiez vous-mêmes",
];

fn unique_name(rng: &mut ChaCha8Rng, seen: &mut HashSet<String>) -> (String, String) {
    loop {
        let first = *pick(rng, &FIRST_NAMES);
        let second = *pick(rng, &SECOND_NAMES);
        let handle = if rng.random_bool(0.5) {
            format!("{first}_{second}{}", rng.random_range(1..999))
        } else {
            format!("{first}{second}{}", rng.random_range(10..99))
        };
        if seen.insert(handle.clone()) {
            let mut name = first[..1].to_uppercase();
            name.push_str(&first[1..]);
            name.push(' ');
            name.push_str(&second[..1].to_uppercase());
            name.push_str(&second[1..]);
            return (handle, name);
        }
    }
}

/// The account key the platform's reader uses, unique within the plan.
fn account_key(
    platform: SimPlatform,
    rng: &mut ChaCha8Rng,
    handle: &str,
    created_ms: i64,
    channel: bool,
    seen: &mut HashSet<String>,
) -> String {
    loop {
        let key = match platform {
            SimPlatform::Telegram if channel => {
                format!(
                    "channel{}",
                    rng.random_range(1_000_000_000..1_999_999_999u64)
                )
            }
            SimPlatform::Telegram => {
                format!("user{}", rng.random_range(100_000_000..999_999_999u64))
            }
            SimPlatform::Bluesky => {
                const B32: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
                let tail: String = (0..24)
                    .map(|_| B32[rng.random_range(0..32)] as char)
                    .collect();
                format!("did:plc:{tail}")
            }
            // Mastodon 2.0+ ids: milliseconds << 16 plus a sequence.
            SimPlatform::Mastodon => {
                ((created_ms as u64) << 16 | rng.random_range(0..65_536u64)).to_string()
            }
            SimPlatform::Reddit => handle.to_string(),
        };
        if seen.insert(key.clone()) {
            return key;
        }
    }
}

/// A post time of the platform's human activity: gamma-shaped after its first post.
fn human_time(rng: &mut ChaCha8Rng, first_ms: i64, end_ms: i64) -> i64 {
    let span = (end_ms - first_ms) as f64;
    let gamma = Gamma::new(1.3, span / 4.0 / 1.3).unwrap();
    (first_ms + 1000 + gamma.sample(rng) as i64).min(end_ms)
}

/// Plans the campaign on `platform`.
pub(super) fn plan_platform(
    platform: SimPlatform,
    cfg: &SimConfig,
    links: &[String],
) -> PlatformPlan {
    let seed = mix(cfg.seed, platform.salt());
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let start_ms = cfg.start.timestamp_millis();
    let (lo, hi) = platform.lag_minutes();
    let first_ms = start_ms + (rng.random_range(lo..hi) * 60_000.0) as i64;
    let end_ms = first_ms + (cfg.duration_hours * 0.8 * 3_600_000.0).max(3_600_000.0) as i64;
    let total = ((cfg.posts as f64 * platform.post_share()).round() as usize).clamp(120, 500_000);
    let n_humans = (total / 4).max(30);

    // Accounts: the seeder (Telegram: the leak channel), humans, amplifiers, one group.
    let mut handles = HashSet::new();
    let mut keys = HashSet::new();
    let mut accounts = Vec::new();
    let n_amplifiers = 3;
    let n_group = rng.random_range(6..=9);
    let campaign_day = start_ms - start_ms.rem_euclid(86_400_000);
    for a in 0..1 + n_humans + n_amplifiers + n_group {
        let (kind, is_bot) = if a == 0 {
            if platform == SimPlatform::Telegram {
                ("channel", false)
            } else {
                ("seeder", false)
            }
        } else if a <= n_humans {
            ("human", false)
        } else if a <= n_humans + n_amplifiers {
            ("amplifier", true)
        } else {
            ("coordinated", true)
        };
        let (mut handle, mut display_name) = unique_name(&mut rng, &mut handles);
        if kind == "channel" {
            handle = "Macron Leaks".to_string();
            display_name = handle.clone();
        }
        // Bots are young accounts (the group registered on one day); humans 2012–2017.
        let created_ms = match kind {
            "amplifier" => campaign_day - rng.random_range(2..40) * 86_400_000,
            "coordinated" => campaign_day - 9 * 86_400_000 + rng.random_range(0..86_400_000),
            _ => ymd_ms(2012, 1, 1) + rng.random_range(0..(campaign_day - ymd_ms(2012, 1, 1))),
        };
        let created_ms = created_ms - created_ms.rem_euclid(1000);
        let key = account_key(
            platform,
            &mut rng,
            &handle,
            created_ms,
            kind == "channel",
            &mut keys,
        );
        let followers = if is_bot {
            rng.random_range(0..40)
        } else {
            lognormal(&mut rng, 150.0, 1.4).min(2e6) as u32
        };
        accounts.push(PAccount {
            key,
            handle,
            display_name,
            kind,
            is_bot,
            created_ms,
            followers,
            following: if is_bot {
                rng.random_range(200..2000)
            } else {
                lognormal(&mut rng, 180.0, 1.0).min(5000.0) as u32
            },
            statuses: if is_bot {
                rng.random_range(500..5000)
            } else {
                lognormal(&mut rng, 800.0, 1.5).min(2e5) as u32
            },
            french: rng.random_bool(0.6),
        });
    }
    let seeder = 0;
    let humans = 1..=n_humans;
    let amplifiers = n_humans + 1..=n_humans + n_amplifiers;
    let group: Vec<usize> = (n_humans + n_amplifiers + 1..accounts.len()).collect();
    let leak_url = &links[0];

    // Drafts: (time, author, kind, planned target draft, body, url, tagged).
    struct Draft {
        time_ms: i64,
        author: usize,
        kind: PKind,
        target: Option<usize>,
        body: String,
        url: Option<String>,
        tagged: bool,
    }
    let mut drafts: Vec<Draft> = Vec::new();
    let leak_body = match platform {
        SimPlatform::Reddit => "9GB of Macron campaign emails leaked hours before the blackout",
        _ => "Macron campaign emails leaked: 9 GB of documents, contracts and accounting",
    };
    drafts.push(Draft {
        time_ms: first_ms,
        author: seeder,
        kind: PKind::Original,
        target: None,
        body: leak_body.to_string(),
        url: Some(leak_url.clone()),
        tagged: true,
    });
    // The seeder keeps posting (Telegram: the channel's posts, the only ones forwarded).
    let seeder_posts = if platform == SimPlatform::Telegram {
        rng.random_range(8..=14)
    } else {
        rng.random_range(1..=3)
    };
    for _ in 0..seeder_posts {
        drafts.push(Draft {
            time_ms: human_time(&mut rng, first_ms + 60_000, end_ms),
            author: seeder,
            kind: PKind::Original,
            target: None,
            body: pick(&mut rng, &CHANNEL_POSTS).to_string(),
            url: Some(pick(&mut rng, links).clone()),
            tagged: true,
        });
    }
    // Humans: skewed activity.
    let n_human_posts = total.saturating_sub(drafts.len()) * 7 / 10;
    let weights = platform.human_kinds();
    for _ in 0..n_human_posts {
        let author = *humans.start() + (n_humans as f64 * rng.random::<f64>().powf(1.8)) as usize;
        let author = author.min(*humans.end());
        let kind = [PKind::Original, PKind::Repost, PKind::Reply][weighted(&mut rng, &weights)];
        let french = accounts[author].french;
        let body = match kind {
            PKind::Repost => String::new(),
            PKind::Original if french => pick(&mut rng, &FR_ORIGINALS).to_string(),
            PKind::Original => pick(&mut rng, &EN_ORIGINALS).to_string(),
            PKind::Reply if french => pick(&mut rng, &FR_COMMENTS).to_string(),
            PKind::Reply => pick(&mut rng, &EN_COMMENTS).to_string(),
        };
        let url = (kind == PKind::Original && rng.random_bool(0.35))
            .then(|| pick(&mut rng, links).clone());
        let tagged = match kind {
            PKind::Original => rng.random_bool(0.85),
            _ => rng.random_bool(0.5),
        };
        drafts.push(Draft {
            time_ms: human_time(&mut rng, first_ms, end_ms),
            author,
            kind,
            target: None,
            body,
            url,
            tagged,
        });
    }
    // Coordinated group: the same text and link from every member within seconds, in
    // bursts over the first half of the campaign (Reddit: comments under the leak post).
    // Each burst has its own text (a slogan and a line), so that the group meets on
    // several objects, as detection needs.
    let n_bursts = rng.random_range(5..=8);
    let burst_gap = Exp::new(1.0 / 4_000.0).unwrap();
    for _ in 0..n_bursts {
        let t0 = first_ms + 15 * 60_000 + rng.random_range(0..(end_ms - first_ms) / 2);
        let line = if rng.random_bool(0.5) {
            pick(&mut rng, &FR_ORIGINALS)
        } else {
            pick(&mut rng, &EN_ORIGINALS)
        };
        let body = format!("{} {line}", pick(&mut rng, &COPYPASTA));
        let url = pick(&mut rng, links).clone();
        for &member in &group {
            drafts.push(Draft {
                time_ms: t0 + 500 + burst_gap.sample(&mut rng) as i64,
                author: member,
                kind: if platform == SimPlatform::Reddit {
                    PKind::Reply
                } else {
                    PKind::Original
                },
                target: (platform == SimPlatform::Reddit).then_some(0),
                body: body.clone(),
                url: Some(url.clone()),
                tagged: true,
            });
        }
    }
    // Amplifiers repost the shareable posts within seconds (Telegram: forward the
    // channel's posts into the chat; Reddit: crosspost submissions).
    let p_amplify = match platform {
        SimPlatform::Telegram => 0.9,
        SimPlatform::Reddit => 0.6,
        _ => 0.35,
    };
    let n_drafts = drafts.len();
    for d in 0..n_drafts {
        let shareable = drafts[d].kind == PKind::Original
            && match platform {
                SimPlatform::Telegram => drafts[d].author == seeder,
                _ => !group.contains(&drafts[d].author),
            };
        if !shareable {
            continue;
        }
        for amplifier in amplifiers.clone() {
            if rng.random_bool(p_amplify) {
                let delay = 2000 + lognormal(&mut rng, 5000.0, 0.6).min(40_000.0) as i64;
                drafts.push(Draft {
                    time_ms: drafts[d].time_ms + delay,
                    author: amplifier,
                    kind: PKind::Repost,
                    target: Some(d),
                    body: String::new(),
                    url: None,
                    tagged: false,
                });
            }
        }
    }

    // Time order (the leak post first), then targets of human reposts and replies.
    let mut order: Vec<usize> = (0..drafts.len()).collect();
    order.sort_by_key(|&d| (drafts[d].time_ms, d));
    let mut position = vec![0; drafts.len()];
    for (i, &d) in order.iter().enumerate() {
        position[d] = i;
    }
    let mut posts: Vec<PPost> = Vec::with_capacity(drafts.len());
    let mut shareable: Vec<usize> = Vec::new();
    let mut replyable: Vec<usize> = Vec::new();
    let choose = |rng: &mut ChaCha8Rng, from: &[usize]| -> usize {
        if rng.random_bool(0.3) {
            from[0]
        } else {
            from[from.len() - 1 - rng.random_range(0..from.len().min(40))]
        }
    };
    for &d in &order {
        let draft = &drafts[d];
        let mut kind = draft.kind;
        let mut target = draft.target.map(|t| position[t]);
        let mut body = draft.body.clone();
        if target.is_none() && kind != PKind::Original {
            let from = if kind == PKind::Repost {
                &shareable
            } else {
                &replyable
            };
            if from.is_empty() {
                kind = PKind::Original;
                if body.is_empty() {
                    body = pick(&mut rng, &EN_ORIGINALS).to_string();
                }
            } else {
                target = Some(choose(&mut rng, from));
            }
        }
        let i = posts.len();
        let author = draft.author;
        match (platform, kind) {
            (SimPlatform::Telegram, PKind::Original) if author == seeder => shareable.push(i),
            (SimPlatform::Telegram, _) => replyable.push(i),
            (SimPlatform::Reddit, PKind::Original) => {
                shareable.push(i);
                replyable.push(i);
            }
            (_, PKind::Original) => {
                shareable.push(i);
                replyable.push(i);
            }
            (_, PKind::Reply) => replyable.push(i),
            (_, PKind::Repost) => {}
        }
        posts.push(PPost {
            time_ms: draft.time_ms,
            author,
            kind,
            target,
            body,
            url: draft.url.clone(),
            tagged: draft.tagged || kind == PKind::Original && author == seeder,
        });
    }
    PlatformPlan {
        platform,
        seed,
        accounts,
        posts,
        start_ms,
    }
}

/// Writes the platform's files; returns their paths relative to `out_dir`.
pub(super) fn write_platform(
    plan: &PlatformPlan,
    tag: &str,
    out_dir: &Path,
) -> Result<Vec<String>> {
    match plan.platform {
        SimPlatform::Telegram => super::telegram::write_telegram(plan, tag, out_dir),
        SimPlatform::Bluesky => super::bluesky::write_bluesky(plan, tag, out_dir),
        SimPlatform::Mastodon => super::mastodon::write_mastodon(plan, tag, out_dir),
        SimPlatform::Reddit => super::reddit::write_reddit(plan, tag, out_dir),
    }
}

/// ISO 8601 with milliseconds (`2017-05-05T18:49:12.345Z`).
pub(super) fn iso_millis(ms: i64) -> String {
    crate::ingest::text::iso_millis(ms).unwrap_or_default()
}
