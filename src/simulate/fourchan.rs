//! 4chan /pol/ threads: plan and writer (API thread JSON).

use super::*;

pub(super) struct ChanThread {
    pub(super) no: u64,
    /// Indices into `ChanPlan::posts`, opener first.
    pub(super) posts: Vec<usize>,
    pub(super) poster_ids: Vec<String>,
}

pub(super) struct ChanPost {
    pub(super) no: u64,
    pub(super) time_s: i64,
    pub(super) poster: usize,
    pub(super) country: usize,
    pub(super) image: bool,
}

pub(super) struct ChanPlan {
    /// All posts in time order.
    pub(super) posts: Vec<ChanPost>,
    pub(super) threads: Vec<ChanThread>,
}

pub(super) const COUNTRIES: [(&str, &str, f64); 10] = [
    ("FR", "France", 30.0),
    ("US", "United States", 35.0),
    ("GB", "United Kingdom", 6.0),
    ("DE", "Germany", 5.0),
    ("CA", "Canada", 5.0),
    ("NL", "Netherlands", 3.0),
    ("SE", "Sweden", 3.0),
    ("AU", "Australia", 3.0),
    ("BE", "Belgium", 3.0),
    ("CH", "Switzerland", 2.0),
];

/// Threads, post times and numbers. The leak opener is the very first post.
pub(super) fn plan_4chan(rng: &mut ChaCha8Rng, start_ms: i64, first_tweet_ms: i64) -> ChanPlan {
    let start_s = start_ms.div_euclid(1000);
    let n_threads = rng.random_range(3..=6);
    let mut starts = vec![start_s];
    for _ in 1..n_threads {
        starts.push(start_s + rng.random_range(25 * 60..12 * 3600));
    }
    starts[1..].sort_unstable();
    let mut raw: Vec<(i64, usize, usize, bool)> = Vec::new(); // (time, thread, poster, image)
    let mut poster_counts = Vec::new();
    let country_weights: Vec<f64> = COUNTRIES.iter().map(|c| c.2).collect();
    let mut countries: Vec<Vec<usize>> = Vec::new();
    for (thread, &t0) in starts.iter().enumerate() {
        let n_posts = if thread == 0 {
            rng.random_range(180..=310)
        } else {
            rng.random_range(50..=220)
        };
        let n_posters = (n_posts / 3).max(3);
        let spread = Gamma::new(1.3, 45.0 * 60.0).unwrap();
        raw.push((t0, thread, 0, true));
        for k in 1..n_posts {
            let mut dt = (spread.sample(rng) as i64).clamp(3, 10 * 3600);
            // Make sure the leak thread is still busy when Twitter picks up the tag.
            if thread == 0 && k < 10 {
                dt = dt.max((first_tweet_ms / 1000 - start_s) + k as i64 * 30);
            }
            let poster = ((n_posters as f64) * rng.random::<f64>().powf(1.6)) as usize;
            raw.push((t0 + dt, thread, poster, rng.random_bool(0.15)));
        }
        poster_counts.push(n_posters);
        countries.push(
            (0..n_posters)
                .map(|_| weighted(rng, &country_weights))
                .collect(),
        );
    }
    raw.sort_by_key(|p| (p.0, p.1 != 0 || p.0 != start_s, p.1, p.2));
    let mut no = 124_069_000 + rng.random_range(0..1000u64);
    let mut last_t = start_s;
    let mut posts = Vec::with_capacity(raw.len());
    let mut threads: Vec<ChanThread> = (0..n_threads)
        .map(|_| ChanThread {
            no: 0,
            posts: Vec::new(),
            poster_ids: Vec::new(),
        })
        .collect();
    for (time_s, thread, poster, image) in raw {
        no += 1 + ((time_s - last_t) as f64 * rng.random_range(0.8..2.0)) as u64;
        last_t = time_s;
        if threads[thread].posts.is_empty() {
            threads[thread].no = no;
        }
        threads[thread].posts.push(posts.len());
        posts.push(ChanPost {
            no,
            time_s,
            poster,
            country: countries[thread][poster],
            image,
        });
    }
    for (thread, n_posters) in threads.iter_mut().zip(poster_counts) {
        let mut seen = HashSet::new();
        while thread.poster_ids.len() < n_posters {
            let id: String = (0..8)
                .map(|_| {
                    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                        [rng.random_range(0..64)] as char
                })
                .collect();
            if seen.insert(id.clone()) {
                thread.poster_ids.push(id);
            }
        }
    }
    ChanPlan { posts, threads }
}

#[derive(Serialize)]
pub(super) struct ChanJsonPost {
    pub(super) no: u64,
    pub(super) now: String,
    pub(super) name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) sub: Option<String>,
    pub(super) com: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) filename: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) ext: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) w: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) h: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) tn_w: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) tn_h: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) tim: Option<u64>,
    pub(super) time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) md5: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) fsize: Option<u32>,
    pub(super) resto: u64,
    pub(super) id: String,
    pub(super) country: &'static str,
    pub(super) country_name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) bumplimit: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) imagelimit: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) semantic_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) replies: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) images: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) unique_ips: Option<usize>,
}

#[derive(Serialize)]
pub(super) struct ChanThreadJson {
    pub(super) posts: Vec<ChanJsonPost>,
}

/// 4chan's escaping of user text inside `com`: html-escape's quoted-attribute set
/// (`& < > " '`), with the apostrophe as 4chan writes it (`&#039;`, not `&#x27;`).
pub(super) fn chan_escape(s: &str) -> String {
    html_escape::encode_quoted_attribute(s).replace("&#x27;", "&#039;")
}

/// Long URLs get `<wbr>` every 35 characters, as 4chan renders them.
pub(super) fn chan_url(url: &str) -> String {
    let chars: Vec<char> = url.chars().collect();
    chars
        .chunks(35)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("<wbr>")
}

pub(super) fn quotelink(no: u64, thread_no: Option<u64>) -> String {
    match thread_no {
        Some(t) => {
            format!("<a href=\"/pol/thread/{t}#p{no}\" class=\"quotelink\">&gt;&gt;{no}</a>")
        }
        None => format!("<a href=\"#p{no}\" class=\"quotelink\">&gt;&gt;{no}</a>"),
    }
}

pub(super) const CHAN_LINES: [&str; 14] = [
    "Is this real?",
    "Spread it before the media blackout",
    "French here, nobody is talking about this on TV",
    "Already on twitter, the tag is trending",
    "Archive everything",
    "Check the accounting files",
    "This is going to change the election",
    "The metadata is in Cyrillic, this is fake",
    "Post it on twitter with the hashtag",
    "C'est énorme, les médias vont tout étouffer",
    "Français ici, personne n'en parle",
    "Le silence électoral commence à minuit",
    "Screencap this thread",
    "They said \"nothing to see here\" lol",
];
pub(super) const GREENTEXT: [&str; 5] = [
    ">implying the media will report on this",
    ">he thinks this will change anything",
    ">2017\n>still trusting the press",
    ">tfw the leak drops hours before the blackout",
    ">it's fake because they say so",
];

/// Writes one pretty-printed JSON file per thread; returns relative paths.
pub(super) fn write_4chan(
    plan: &ChanPlan,
    rng: &mut ChaCha8Rng,
    tag: &str,
    pastebin_url: &str,
    out_dir: &Path,
) -> Result<Vec<String>> {
    std::fs::create_dir_all(out_dir.join("4chan"))?;
    let leak_no = plan.threads[0].no;
    let mut files = Vec::new();
    for (ti, thread) in plan.threads.iter().enumerate() {
        let mut json_posts = Vec::with_capacity(thread.posts.len());
        let images = thread.posts[1..]
            .iter()
            .filter(|&&p| plan.posts[p].image)
            .count();
        for (k, &pi) in thread.posts.iter().enumerate() {
            let post = &plan.posts[pi];
            let op = k == 0;
            let mut lines: Vec<String> = Vec::new();
            let sub = if op && ti == 0 {
                lines.push(chan_escape(
                    "Macron campaign emails leaked. 9GB of documents, contracts and accounting.",
                ));
                lines.push(chan_url(pastebin_url));
                lines.push(String::new());
                lines.push(chan_escape(
                    "Spread it before the French election blackout tonight.",
                ));
                lines.push(format!("#{tag}"));
                Some("Macron Leaks".to_string())
            } else if op {
                lines.push(format!(
                    "Previous thread: {}",
                    quotelink(leak_no, Some(leak_no))
                ));
                lines.push(chan_escape("Dump is here:"));
                lines.push(chan_url(pastebin_url));
                lines.push(format!("Twitter tag: #{tag}"));
                Some(format!("/mlg/ - Macron Leaks General #{}", ti + 1))
            } else {
                None
            };
            if !op {
                let earlier = &thread.posts[..k];
                let n_quotes = weighted(rng, &[0.25, 0.6, 0.15]);
                for _ in 0..n_quotes {
                    // Mostly recent posts, sometimes the opener.
                    let target = if rng.random_bool(0.2) {
                        earlier[0]
                    } else {
                        earlier[earlier.len() - 1 - rng.random_range(0..earlier.len().min(8))]
                    };
                    lines.push(quotelink(plan.posts[target].no, None));
                }
                if rng.random_bool(0.2) {
                    for g in pick(rng, &GREENTEXT).split('\n') {
                        lines.push(format!("<span class=\"quote\">{}</span>", chan_escape(g)));
                    }
                }
                lines.push(chan_escape(pick::<&str>(rng, &CHAN_LINES)));
                if rng.random_bool(0.15) {
                    lines.push(format!("#{tag}"));
                }
                if rng.random_bool(0.1) {
                    lines.push(chan_url(pastebin_url));
                }
                if rng.random_bool(0.05) {
                    lines.push(chan_url(&format!(
                        "https://archive.4plebs.org/pol/thread/{leak_no}/"
                    )));
                }
            }
            let image = op || post.image;
            let (w, h) = if image {
                (rng.random_range(400..2000), rng.random_range(300..1500))
            } else {
                (0, 0)
            };
            let scale = 250.0 / f64::from(w.max(h).max(1));
            let (country, country_name, _) = COUNTRIES[post.country];
            let eastern = post.time_s + Region::UsEast.offset_s(post.time_s);
            let n_unique = thread
                .posts
                .iter()
                .map(|&p| plan.posts[p].poster)
                .collect::<HashSet<_>>()
                .len();
            json_posts.push(ChanJsonPost {
                no: post.no,
                now: utc(eastern * 1000)
                    .format("%m/%d/%y(%a)%H:%M:%S")
                    .to_string(),
                name: "Anonymous",
                sub,
                com: lines.join("<br>"),
                filename: image.then(|| {
                    if op {
                        "macron_leaks".to_string()
                    } else {
                        format!("{}", post.time_s * 1000 + rng.random_range(0..999))
                    }
                }),
                ext: image.then(|| if rng.random_bool(0.6) { ".png" } else { ".jpg" }),
                w: image.then_some(w),
                h: image.then_some(h),
                tn_w: image.then(|| (f64::from(w) * scale) as u32),
                tn_h: image.then(|| (f64::from(h) * scale) as u32),
                tim: image.then(|| (post.time_s * 1000) as u64 + rng.random_range(0..999)),
                time: post.time_s,
                md5: image.then(|| md5_like(rng)),
                fsize: image.then(|| rng.random_range(20_000..3_000_000)),
                resto: if op { 0 } else { thread.no },
                id: thread.poster_ids[post.poster].clone(),
                country,
                country_name,
                bumplimit: op.then_some(u8::from(thread.posts.len() > 300)),
                imagelimit: op.then_some(0),
                semantic_url: op.then(|| {
                    if ti == 0 {
                        "macron-leaks".to_string()
                    } else {
                        format!("mlg-macron-leaks-general-{}", ti + 1)
                    }
                }),
                replies: op.then_some(thread.posts.len() - 1),
                images: op.then_some(images),
                unique_ips: op.then_some(n_unique),
            });
        }
        let rel = format!("4chan/pol_{}.json", thread.no);
        let file = create_new(&out_dir.join(&rel))?;
        let mut writer = BufWriter::new(file);
        serde_json::to_writer_pretty(&mut writer, &ChanThreadJson { posts: json_posts })?;
        writer.flush()?;
        files.push(rel);
    }
    Ok(files)
}

/// 4chan's md5 field: base64 of 16 bytes.
pub(super) fn md5_like(rng: &mut impl Rng) -> String {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s: String = (0..21)
        .map(|_| B64[rng.random_range(0..64)] as char)
        .collect();
    s.push(B64[rng.random_range(0..4) * 16] as char);
    s.push_str("==");
    s
}
