//! Writer: Twitter v1.1 JSONL as twarc 1 writes it (tweet_mode=extended).

use super::*;

#[derive(Serialize)]
pub(super) struct V1Hashtag {
    pub(super) text: String,
    pub(super) indices: [usize; 2],
}

#[derive(Serialize)]
pub(super) struct V1Url {
    pub(super) url: String,
    pub(super) expanded_url: String,
    pub(super) display_url: String,
    pub(super) indices: [usize; 2],
}

#[derive(Serialize)]
pub(super) struct V1Mention {
    pub(super) screen_name: String,
    pub(super) name: String,
    pub(super) id: u64,
    pub(super) id_str: String,
    pub(super) indices: [usize; 2],
}

#[derive(Serialize)]
pub(super) struct V1Entities {
    pub(super) hashtags: Vec<V1Hashtag>,
    pub(super) symbols: [(); 0],
    pub(super) user_mentions: Vec<V1Mention>,
    pub(super) urls: Vec<V1Url>,
}

#[derive(Serialize)]
pub(super) struct V1User {
    pub(super) id: u64,
    pub(super) id_str: String,
    pub(super) name: String,
    pub(super) screen_name: String,
    pub(super) location: String,
    pub(super) description: String,
    pub(super) url: Option<()>,
    pub(super) protected: bool,
    pub(super) followers_count: u32,
    pub(super) friends_count: u32,
    pub(super) listed_count: u32,
    pub(super) created_at: String,
    pub(super) favourites_count: u32,
    pub(super) utc_offset: Option<i64>,
    pub(super) time_zone: Option<&'static str>,
    pub(super) geo_enabled: bool,
    pub(super) verified: bool,
    pub(super) statuses_count: u32,
    pub(super) lang: &'static str,
    pub(super) profile_image_url_https: String,
    pub(super) default_profile: bool,
    pub(super) default_profile_image: bool,
}

#[derive(Serialize)]
pub(super) struct V1Permalink {
    pub(super) url: String,
    pub(super) expanded: String,
    pub(super) display: String,
}

#[derive(Serialize)]
pub(super) struct V1Status {
    pub(super) created_at: String,
    pub(super) id: u64,
    pub(super) id_str: String,
    pub(super) full_text: String,
    pub(super) truncated: bool,
    pub(super) display_text_range: [usize; 2],
    pub(super) entities: V1Entities,
    pub(super) source: String,
    pub(super) in_reply_to_status_id: Option<u64>,
    pub(super) in_reply_to_status_id_str: Option<String>,
    pub(super) in_reply_to_user_id: Option<u64>,
    pub(super) in_reply_to_user_id_str: Option<String>,
    pub(super) in_reply_to_screen_name: Option<String>,
    pub(super) user: V1User,
    pub(super) geo: Option<()>,
    pub(super) coordinates: Option<()>,
    pub(super) place: Option<()>,
    pub(super) contributors: Option<()>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) retweeted_status: Option<Box<V1Status>>,
    pub(super) is_quote_status: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) quoted_status_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) quoted_status_id_str: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) quoted_status_permalink: Option<V1Permalink>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) quoted_status: Option<Box<V1Status>>,
    pub(super) retweet_count: u32,
    pub(super) favorite_count: u32,
    pub(super) favorited: bool,
    pub(super) retweeted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) possibly_sensitive: Option<bool>,
    pub(super) lang: &'static str,
}

#[derive(Serialize)]
pub(super) struct DeleteNotice {
    pub(super) delete: DeleteBody,
}

#[derive(Serialize)]
pub(super) struct DeleteBody {
    pub(super) status: DeletedStatus,
    pub(super) timestamp_ms: String,
}

#[derive(Serialize)]
pub(super) struct DeletedStatus {
    pub(super) id: u64,
    pub(super) id_str: String,
    pub(super) user_id: u64,
    pub(super) user_id_str: String,
}

/// Deterministic like count derived from retweets.
pub(super) fn likes(id: u64, retweets: u32) -> u32 {
    retweets + retweets / 2 + (mix(id, 7) % 3) as u32
}

impl World<'_> {
    pub(super) fn v1_user(&self, a: usize, statuses_count: u32) -> V1User {
        let acct = &self.accounts[a];
        let p = self.profile(a);
        let default_image = acct.has(DEFAULT_IMAGE);
        V1User {
            id: acct.id,
            id_str: acct.id.to_string(),
            name: p.name,
            screen_name: p.handle,
            location: p.location,
            description: p.description,
            url: None,
            protected: false,
            followers_count: acct.followers,
            friends_count: acct.friends,
            listed_count: acct.listed,
            created_at: v1_time(acct.created_ms),
            favourites_count: acct.favourites,
            utc_offset: (!acct.kind.is_bot())
                .then(|| acct.region.offset_s(self.events[0].time_ms() / 1000)),
            time_zone: (!acct.kind.is_bot()).then(|| acct.region.time_zone()),
            geo_enabled: !acct.kind.is_bot() && acct.id.is_multiple_of(3),
            verified: acct.has(VERIFIED),
            statuses_count: acct.statuses_base + statuses_count,
            lang: if acct.has(FRENCH) { "fr" } else { "en" },
            profile_image_url_https: if default_image {
                "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png"
                    .to_string()
            } else {
                format!(
                    "https://pbs.twimg.com/profile_images/{}/{:x}_normal.jpg",
                    acct.id % 900_000_000_000 + 1000,
                    mix(acct.id, 3) >> 24
                )
            },
            default_profile: acct.has(DEFAULT_PROFILE),
            default_profile_image: default_image,
        }
    }

    pub(super) fn v1_entities(&self, c: Content) -> (String, V1Entities) {
        let entities = V1Entities {
            hashtags: c
                .hashtags
                .into_iter()
                .map(|(s, e, text)| V1Hashtag {
                    text,
                    indices: [s, e],
                })
                .collect(),
            symbols: [],
            user_mentions: c
                .mentions
                .into_iter()
                .map(|m| {
                    let id = self.accounts[m.account].id;
                    V1Mention {
                        screen_name: m.handle,
                        name: m.name,
                        id,
                        id_str: id.to_string(),
                        indices: [m.start, m.end],
                    }
                })
                .collect(),
            urls: c
                .links
                .into_iter()
                .map(|l| V1Url {
                    url: l.tco,
                    expanded_url: l.expanded,
                    display_url: l.display,
                    indices: [l.start, l.end],
                })
                .collect(),
        };
        (c.text, entities)
    }

    /// A v1.1 status. `statuses` holds running per-account post counts and
    /// `retweets_so_far` running retweet counts (stream semantics); the
    /// top-level tweet of a stream line always has zero counts.
    pub(super) fn v1_status(
        &self,
        i: usize,
        statuses: &[u32],
        retweets_so_far: &[u32],
        top_level: bool,
    ) -> V1Status {
        let e = self.events[i];
        let c = self.content(i);
        let (chars, display_start, lang) = (c.chars, c.display_start, c.lang);
        let has_links = !c.links.is_empty();
        let (full_text, entities) = self.v1_entities(c);
        let (name, link) = CLIENTS[self.accounts[e.author()].client as usize];
        let retweets = if top_level { 0 } else { retweets_so_far[i] };
        let mut s = V1Status {
            created_at: v1_time(e.time_ms()),
            id: e.key,
            id_str: e.key.to_string(),
            full_text,
            truncated: false,
            display_text_range: [display_start, chars],
            entities,
            source: format!("<a href=\"{link}\" rel=\"nofollow\">{name}</a>"),
            in_reply_to_status_id: None,
            in_reply_to_status_id_str: None,
            in_reply_to_user_id: None,
            in_reply_to_user_id_str: None,
            in_reply_to_screen_name: None,
            user: self.v1_user(e.author(), statuses[e.author()]),
            geo: None,
            coordinates: None,
            place: None,
            contributors: None,
            retweeted_status: None,
            is_quote_status: false,
            quoted_status_id: None,
            quoted_status_id_str: None,
            quoted_status_permalink: None,
            quoted_status: None,
            retweet_count: retweets,
            favorite_count: if top_level { 0 } else { likes(e.key, retweets) },
            favorited: false,
            retweeted: false,
            possibly_sensitive: has_links.then_some(false),
            lang,
        };
        let target = e.target as usize;
        match e.kind() {
            PostKind::Retweet | PostKind::BurstRetweet => {
                s.retweeted_status = Some(Box::new(self.v1_status(
                    target,
                    statuses,
                    retweets_so_far,
                    false,
                )));
            }
            PostKind::Quote => {
                let quoted = self.v1_status(target, statuses, retweets_so_far, false);
                let url = format!(
                    "https://twitter.com/{}/status/{}",
                    quoted.user.screen_name, quoted.id
                );
                s.is_quote_status = true;
                s.quoted_status_id = Some(quoted.id);
                s.quoted_status_id_str = Some(quoted.id_str.clone());
                s.quoted_status_permalink = Some(V1Permalink {
                    url: format!(
                        "https://t.co/{}",
                        random_token(&mut ChaCha8Rng::seed_from_u64(mix(e.key, 2)), 10)
                    ),
                    display: format!("twitter.com/{}/status/…", quoted.user.screen_name),
                    expanded: url,
                });
                s.quoted_status = Some(Box::new(quoted));
            }
            PostKind::Reply => {
                let parent = self.events[target];
                let to = &self.accounts[parent.author()];
                s.in_reply_to_status_id = Some(parent.key);
                s.in_reply_to_status_id_str = Some(parent.key.to_string());
                s.in_reply_to_user_id = Some(to.id);
                s.in_reply_to_user_id_str = Some(to.id.to_string());
                s.in_reply_to_screen_name = Some(self.profile(parent.author()).handle);
            }
            PostKind::Original => {}
        }
        s
    }
}

/// Buffered file, optionally gzip-compressed (fast level: speed over size).
pub(super) enum Sink {
    Plain(BufWriter<File>),
    Gzip(Box<BufWriter<GzEncoder<File>>>),
}

impl Sink {
    pub(super) fn create(path: &Path, gzip: bool) -> Result<Sink> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = create_new(path).with_context(|| format!("cannot create {}", path.display()))?;
        Ok(if gzip {
            Sink::Gzip(Box::new(BufWriter::with_capacity(
                1 << 18,
                GzEncoder::new(file, Compression::fast()),
            )))
        } else {
            Sink::Plain(BufWriter::with_capacity(1 << 18, file))
        })
    }

    pub(super) fn line<T: Serialize>(&mut self, value: &T) -> Result<()> {
        serde_json::to_writer(&mut *self, value)?;
        self.write_all(b"\n")?;
        Ok(())
    }

    pub(super) fn finish(self) -> Result<()> {
        match self {
            Sink::Plain(mut w) => w.flush()?,
            Sink::Gzip(w) => {
                (*w).into_inner()
                    .map_err(|e| e.into_error())?
                    .finish()?
                    .flush()?;
            }
        }
        Ok(())
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Sink::Plain(w) => w.write(buf),
            Sink::Gzip(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Plain(w) => w.flush(),
            Sink::Gzip(w) => w.flush(),
        }
    }
}

/// Returns (lines written, delete notices among them).
pub(super) fn write_v1(
    world: &World,
    rng: &mut ChaCha8Rng,
    cfg: &SimConfig,
    path: &Path,
) -> Result<(u64, u64)> {
    let mut sink = Sink::create(path, cfg.gzip)?;
    let mut statuses = vec![0u32; world.accounts.len()];
    let mut retweets_so_far = vec![0u32; world.events.len()];
    let mut deletes = 0;
    for (i, e) in world.events.iter().enumerate() {
        statuses[e.author()] += 1;
        if e.kind() == PostKind::Retweet {
            retweets_so_far[e.target as usize] += 1;
        }
        sink.line(&world.v1_status(i, &statuses, &retweets_so_far, true))?;
        if rng.random_bool(cfg.delete_notice_rate) {
            let victim = world.events[rng.random_range(0..=i)];
            let user_id = world.accounts[victim.author()].id;
            sink.line(&DeleteNotice {
                delete: DeleteBody {
                    status: DeletedStatus {
                        id: victim.key,
                        id_str: victim.key.to_string(),
                        user_id,
                        user_id_str: user_id.to_string(),
                    },
                    timestamp_ms: (e.time_ms() + rng.random_range(1..5000)).to_string(),
                },
            })?;
            deletes += 1;
        }
    }
    sink.finish()?;
    Ok((world.events.len() as u64 + deletes, deletes))
}
