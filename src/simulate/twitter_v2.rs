//! Writer: Twitter v2 pages as twarc2 search/all writes them (newest first, like the API).

use super::*;

#[derive(Serialize)]
pub(super) struct V2Hashtag {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) tag: String,
}

#[derive(Serialize)]
pub(super) struct V2Url {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) url: String,
    pub(super) expanded_url: String,
    pub(super) display_url: String,
}

#[derive(Serialize)]
pub(super) struct V2Mention {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) username: String,
    pub(super) id: String,
}

#[derive(Serialize)]
pub(super) struct V2Entities {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) hashtags: Vec<V2Hashtag>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) mentions: Vec<V2Mention>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) urls: Vec<V2Url>,
}

#[derive(Serialize)]
pub(super) struct V2TweetMetrics {
    pub(super) retweet_count: u32,
    pub(super) reply_count: u32,
    pub(super) like_count: u32,
    pub(super) quote_count: u32,
}

#[derive(Serialize)]
pub(super) struct V2Ref {
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
    pub(super) id: String,
}

#[derive(Serialize)]
pub(super) struct V2Tweet {
    pub(super) id: String,
    pub(super) text: String,
    pub(super) created_at: String,
    pub(super) author_id: String,
    pub(super) conversation_id: String,
    pub(super) lang: &'static str,
    pub(super) source: &'static str,
    pub(super) possibly_sensitive: bool,
    pub(super) public_metrics: V2TweetMetrics,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) entities: Option<V2Entities>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) referenced_tweets: Option<Vec<V2Ref>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) in_reply_to_user_id: Option<String>,
    pub(super) edit_history_tweet_ids: [String; 1],
}

#[derive(Serialize)]
pub(super) struct V2UserMetrics {
    pub(super) followers_count: u32,
    pub(super) following_count: u32,
    pub(super) tweet_count: u32,
    pub(super) listed_count: u32,
}

#[derive(Serialize)]
pub(super) struct V2User {
    pub(super) id: String,
    pub(super) username: String,
    pub(super) name: String,
    pub(super) created_at: String,
    pub(super) description: String,
    pub(super) location: String,
    pub(super) profile_image_url: String,
    pub(super) public_metrics: V2UserMetrics,
    pub(super) verified: bool,
    pub(super) protected: bool,
}

#[derive(Serialize)]
pub(super) struct V2Includes {
    pub(super) users: Vec<V2User>,
    pub(super) tweets: Vec<V2Tweet>,
}

#[derive(Serialize)]
pub(super) struct V2Meta {
    pub(super) newest_id: String,
    pub(super) oldest_id: String,
    pub(super) result_count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) next_token: Option<String>,
}

#[derive(Serialize)]
pub(super) struct TwarcInfo {
    pub(super) url: String,
    pub(super) version: &'static str,
    pub(super) retrieved_at: String,
}

#[derive(Serialize)]
pub(super) struct V2Page {
    pub(super) data: Vec<V2Tweet>,
    pub(super) includes: V2Includes,
    pub(super) meta: V2Meta,
    #[serde(rename = "__twarc")]
    pub(super) twarc: TwarcInfo,
}

impl World<'_> {
    /// A v2 tweet with final (collection-time) metrics.
    pub(super) fn v2_tweet(&self, i: usize) -> V2Tweet {
        let e = self.events[i];
        let c = self.content(i);
        let lang = c.lang;
        let entities = V2Entities {
            hashtags: c
                .hashtags
                .into_iter()
                .map(|(start, end, tag)| V2Hashtag { start, end, tag })
                .collect(),
            mentions: c
                .mentions
                .into_iter()
                .map(|m| V2Mention {
                    start: m.start,
                    end: m.end,
                    username: m.handle,
                    id: self.accounts[m.account].id.to_string(),
                })
                .collect(),
            urls: c
                .links
                .into_iter()
                .map(|l| V2Url {
                    start: l.start,
                    end: l.end,
                    url: l.tco,
                    expanded_url: l.expanded,
                    display_url: l.display,
                })
                .collect(),
        };
        let has_entities = !(entities.hashtags.is_empty()
            && entities.mentions.is_empty()
            && entities.urls.is_empty());
        let target = e.target as usize;
        let t = self.tallies;
        let (metrics_of, referenced, conversation, reply_to) = match e.kind() {
            PostKind::Retweet | PostKind::BurstRetweet => (target, Some("retweeted"), e.key, None),
            PostKind::Quote => (i, Some("quoted"), e.key, None),
            PostKind::Reply => {
                let parent = self.events[target];
                (
                    i,
                    Some("replied_to"),
                    parent.key,
                    Some(self.accounts[parent.author()].id.to_string()),
                )
            }
            PostKind::Original => (i, None, e.key, None),
        };
        let retweets = t.retweets[metrics_of];
        let own = metrics_of == i;
        V2Tweet {
            id: e.key.to_string(),
            text: c.text,
            created_at: v2_time(e.time_ms()),
            author_id: self.accounts[e.author()].id.to_string(),
            conversation_id: conversation.to_string(),
            lang,
            source: CLIENTS[self.accounts[e.author()].client as usize].0,
            possibly_sensitive: false,
            public_metrics: V2TweetMetrics {
                retweet_count: retweets,
                reply_count: if own { u32::from(t.replies[i]) } else { 0 },
                like_count: if own { likes(e.key, retweets) } else { 0 },
                quote_count: if own { u32::from(t.quotes[i]) } else { 0 },
            },
            entities: has_entities.then_some(entities),
            referenced_tweets: referenced.map(|kind| {
                vec![V2Ref {
                    kind,
                    id: self.events[target].key.to_string(),
                }]
            }),
            in_reply_to_user_id: reply_to,
            edit_history_tweet_ids: [e.key.to_string()],
        }
    }

    pub(super) fn v2_user(&self, a: usize) -> V2User {
        let acct = &self.accounts[a];
        let p = self.profile(a);
        V2User {
            id: acct.id.to_string(),
            username: p.handle,
            name: p.name,
            created_at: v2_time(acct.created_ms),
            description: p.description,
            location: p.location,
            profile_image_url: if acct.has(DEFAULT_IMAGE) {
                "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png"
                    .to_string()
            } else {
                format!(
                    "https://pbs.twimg.com/profile_images/{}/{:x}_normal.jpg",
                    acct.id % 900_000_000_000 + 1000,
                    mix(acct.id, 3) >> 24
                )
            },
            public_metrics: V2UserMetrics {
                followers_count: acct.followers,
                following_count: acct.friends,
                tweet_count: acct.statuses_base + self.tallies.posts_by_account[a],
                listed_count: acct.listed,
            },
            verified: acct.has(VERIFIED),
            protected: false,
        }
    }
}

pub(super) const PAGE_SIZE: usize = 100;

pub(super) fn write_v2(
    world: &World,
    cfg: &SimConfig,
    timeline: &Timeline,
    path: &Path,
) -> Result<u64> {
    let mut sink = Sink::create(path, cfg.gzip)?;
    let query = format!(
        "https://api.twitter.com/2/tweets/search/all?expansions=author_id%2Creferenced_tweets.id%2Creferenced_tweets.id.author_id%2Cin_reply_to_user_id&tweet.fields=author_id%2Cconversation_id%2Ccreated_at%2Centities%2Cin_reply_to_user_id%2Clang%2Cpublic_metrics%2Creferenced_tweets%2Csource&user.fields=created_at%2Cdescription%2Clocation%2Cpublic_metrics%2Cverified&start_time={}&end_time={}&query=%23{}&max_results={PAGE_SIZE}",
        v2_time(timeline.first_ms - 60_000).replace(':', "%3A"),
        v2_time(timeline.end_ms + 60_000).replace(':', "%3A"),
        world.tag
    );
    // Collection runs a few days after the campaign; pages ~1.1 s apart.
    let collected_ms = (timeline.end_ms / 3_600_000 + 72) * 3_600_000;
    let n = world.events.len();
    let pages = n.div_ceil(PAGE_SIZE);
    for page in 0..pages {
        let newest = n - 1 - page * PAGE_SIZE;
        let oldest = newest + 1 - PAGE_SIZE.min(newest + 1);
        let mut data = Vec::with_capacity(PAGE_SIZE);
        let mut referenced: Vec<usize> = Vec::new();
        let mut users: Vec<usize> = Vec::new();
        for i in (oldest..=newest).rev() {
            let e = world.events[i];
            if e.kind() != PostKind::Original && !referenced.contains(&(e.target as usize)) {
                referenced.push(e.target as usize);
            }
            if !users.contains(&e.author()) {
                users.push(e.author());
            }
            data.push(world.v2_tweet(i));
        }
        for &r in &referenced {
            let a = world.events[r].author();
            if !users.contains(&a) {
                users.push(a);
            }
        }
        let token = |p: usize| format!("b26v89c19zqg8o3fo{:x}", mix(cfg.seed, p as u64) >> 16);
        let url = if page == 0 {
            query.clone()
        } else {
            format!("{query}&next_token={}", token(page))
        };
        sink.line(&V2Page {
            meta: V2Meta {
                newest_id: world.events[newest].key.to_string(),
                oldest_id: world.events[oldest].key.to_string(),
                result_count: data.len(),
                next_token: (page + 1 < pages).then(|| token(page + 1)),
            },
            data,
            includes: V2Includes {
                users: users.into_iter().map(|a| world.v2_user(a)).collect(),
                tweets: referenced.into_iter().map(|r| world.v2_tweet(r)).collect(),
            },
            twarc: TwarcInfo {
                url,
                version: "2.10.4",
                retrieved_at: utc(collected_ms + page as i64 * 1100)
                    .format("%Y-%m-%dT%H:%M:%S+00:00")
                    .to_string(),
            },
        })?;
    }
    sink.finish()?;
    Ok(pages as u64)
}
