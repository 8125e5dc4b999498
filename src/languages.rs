//! Stage 2: who carried the tag — the language mix of the campaign over time, the 4chan
//! country flags, the languages of the first posts and of the accounts that first pushed
//! the tag on each platform, and when the majority language switched.
//!
//! The 2017 reports on #MacronLeaks describe a French leak pushed first by American
//! far-right accounts in English before French accounts took it up (DFRLab, "Hashtag
//! Campaign: #MacronLeaks", 2017; Ferrara, "Disinformation and social bot operations in the
//! run up to the 2017 French presidential election", First Monday 2017). This stage makes
//! that reading reproducible.
//!
//! A post's language is the export's own `lang` (Twitter's machine-detected language tag)
//! when there is one; otherwise it is identified from the text with `whatlang` (trigram
//! models, 69 languages) and left `und` (undetermined) when the text is shorter than
//! [`MIN_TEXT_CHARS`] letters or the identification is not reliable. A retweet counts in
//! its retweeter's language — the language of most of the account's own posts (originals,
//! replies, quotes) in the data — because Twitter tags a retweet with the original's
//! language, which says what was amplified, not who amplified it; a retweeter with no own
//! post of known language keeps the original's language. Profile `location` and time zones
//! are not used: they are free text and far noisier than the post language.

use foldhash::{HashMap, HashMapExt, HashSet};

use anyhow::Result;
use polars::prelude::*;

use crate::ingest::record::RETWEET;
use crate::ingest::text::iso_seconds;
use crate::spread::Suspicion;

mod post_languages;

pub use post_languages::PostLanguages;

/// Letters a text needs before its language is identified from it: below this, trigram
/// identification of tweets is unreliable (Lui & Baldwin, "Accurate language identification
/// of Twitter messages", EACL LASM workshop 2014, report accuracy falling sharply for
/// messages under ~20–30 characters).
pub const MIN_TEXT_CHARS: usize = 20;

/// Undetermined language (ISO 639-2 `und`, Twitter's own tag for it).
pub const UND: &str = "und";

/// Options of the language analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct LanguageOptions {
    /// Languages named in the figure and the series; the rest are grouped as `other`.
    pub top: usize,
    /// First posts per platform whose languages are counted.
    pub first_posts: usize,
    /// First accounts per platform (by their first post) counted as early amplifiers.
    pub early_accounts: usize,
    /// Posts of known language on each side of a majority switch (and in the sample that
    /// fixes the initial language).
    pub min_switch_posts: u64,
}

impl Default for LanguageOptions {
    fn default() -> Self {
        Self {
            top: 6,
            first_posts: 100,
            early_accounts: 50,
            min_switch_posts: 100,
        }
    }
}

/// A language or country with its counts.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GroupTotal {
    /// ISO 639-1 code where one exists (`en`), else the export's tag; `und` for undetermined.
    /// For countries, the 4chan flag code (`US`, `FR`).
    pub code: String,
    /// English name ("English"); the country flag's name as 4chan gives it.
    pub name: String,
    /// Posts in this language (retweets in their retweeter's language) or with this flag.
    pub posts: u64,
    /// `posts` as a share (0–1) of all posts counted (for countries, of flagged posts).
    pub share: f64,
    /// Distinct accounts (platform, author) with at least one of these posts.
    pub accounts: u64,
    /// Posts from accounts at or above the suspicion threshold (null without scores).
    pub suspicious_posts: Option<u64>,
    /// `suspicious_posts` as a share (0–1) of this group's posts (null without scores).
    pub suspicious_share: Option<f64>,
}

/// Language counts of a platform's first posts or first accounts.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PlatformLanguages {
    /// The platform (`twitter`, `4chan`, …).
    pub platform: String,
    /// How many posts (or accounts) were counted.
    pub counted: u64,
    /// (language code, count), most frequent first.
    pub languages: Vec<(String, u64)>,
}

/// A change of the majority language (see `majority_switch`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MajoritySwitch {
    /// A platform, or `all` for every platform together.
    pub platform: String,
    /// Majority language code before the change point.
    pub from: String,
    /// Majority language code after the change point.
    pub to: String,
    /// The estimated change point: the first post after it (ISO 8601 UTC).
    pub at: String,
    /// The same time as `at`, in Unix ms.
    pub at_ms: i64,
    /// Start of the figure's bin holding the change point, and that bin's width.
    pub bin_start: String,
    /// Width of that bin, in s.
    pub bin_s: f64,
}

/// Share of posts per language and bin (all platforms), as drawn in `languages.png`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LanguageSeries {
    /// Width of a bin, in s (the figure's bin).
    pub bin_s: f64,
    /// Start of each bin (ISO 8601 UTC), from the first post's bin to the last's.
    pub bin_start: Vec<String>,
    /// Start of each bin, in Unix ms (not serialised).
    #[serde(skip)]
    pub bin_start_ms: Vec<i64>,
    /// Languages in band order: the top languages, then `other`, then `und`.
    pub languages: Vec<String>,
    /// `share[l][b]`: share of bin b's posts in language l (null for an empty bin).
    pub share: Vec<Vec<Option<f64>>>,
    /// Posts per bin (all languages).
    pub posts: Vec<u64>,
}

/// What `summary.json` and the report say about languages and origin.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LanguageSummary {
    /// How each post's language was found.
    pub from_export: u64,
    /// Posts whose language was identified from their text (count).
    pub identified_from_text: u64,
    /// Posts whose language stayed undetermined (`und`) (count).
    pub undetermined: u64,
    /// Posts per language over all platforms, most posts first.
    pub languages: Vec<GroupTotal>,
    /// 4chan country flags (posts without a flag are not counted).
    pub countries: Vec<GroupTotal>,
    /// Per platform (in order of its first post): languages of its first posts.
    pub first_posts: Vec<PlatformLanguages>,
    /// Per platform: majority languages of the first accounts to post.
    pub early_amplifiers: Vec<PlatformLanguages>,
    /// Changes of majority language: for all platforms together (when there are several),
    /// then per platform.
    pub majority_switches: Vec<MajoritySwitch>,
    /// Language shares per bin, as drawn in `languages.png`.
    pub series: LanguageSeries,
}

/// Per-bin table (`languages.csv`) and summary.
pub struct Languages {
    /// bin_start, platform, dimension (`language` or `country`), value, posts, accounts,
    /// suspicious_posts, suspicious_share; only non-empty cells.
    pub bins: DataFrame,
    /// Totals, first posts, early amplifiers, switches and the series.
    pub summary: LanguageSummary,
}

/// Twitter's pseudo-language tags for posts without language: hashtags only (`qht`),
/// media links (`qme`), mentions (`qam`), cashtags (`qct`), very short (`qst`), no
/// linguistic content (`zxx`).
fn is_pseudo_language(tag: &str) -> bool {
    matches!(
        tag,
        "und" | "qht" | "qme" | "qam" | "qct" | "qst" | "zxx" | ""
    )
}

/// A language tag as stored: lower case, region dropped (`en-gb` → `en`), Twitter's
/// pseudo-languages as `und`.
pub fn normalise_language_tag(tag: &str) -> String {
    let tag = tag.trim().to_ascii_lowercase();
    let base = tag.split(['-', '_']).next().unwrap_or("");
    match base {
        b if is_pseudo_language(b) => UND.to_string(),
        // Twitter still uses the withdrawn ISO 639-1 codes for Indonesian, Hebrew, Yiddish.
        "in" => "id".to_string(),
        "iw" => "he".to_string(),
        "ji" => "yi".to_string(),
        // Archives that spell languages out ("English", "Russian").
        b if b.len() > 3 => {
            let mut name: Vec<char> = b.chars().collect();
            name[0] = name[0].to_ascii_uppercase();
            let name: String = name.into_iter().collect();
            isolang::Language::from_name(&name)
                .and_then(|l| l.to_639_1())
                .map_or_else(|| b.to_string(), str::to_string)
        }
        b => b.to_string(),
    }
}

/// English name of a language code (ISO 639-1 or 639-3); the code itself when unknown.
pub fn language_name(code: &str) -> String {
    match code {
        UND => "undetermined".into(),
        "other" => "other".into(),
        _ => isolang::Language::from_639_1(code)
            .or_else(|| isolang::Language::from_639_3(code))
            .map(|l| l.to_name().to_string())
            .unwrap_or_else(|| code.to_string()),
    }
}

/// The text with URLs, @mentions, #hashtags, `>>123` quotelinks and a leading `RT @x:`
/// removed: they are not language and mislead trigram models.
fn linguistic_text(text: &str) -> String {
    let text = text.strip_prefix("RT @").map_or(text, |rest| {
        rest.split_once(':').map_or(rest, |(_, after)| after)
    });
    text.split_whitespace()
        .filter(|w| {
            !(w.starts_with("http://")
                || w.starts_with("https://")
                || w.starts_with('@')
                || w.starts_with('#')
                || w.starts_with("＃")
                || w.starts_with(">>"))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The language of a text, or `und`.
pub fn identify(text: &str) -> String {
    let clean = linguistic_text(text);
    if clean.chars().filter(|c| c.is_alphabetic()).count() < MIN_TEXT_CHARS {
        return UND.to_string();
    }
    match whatlang::detect(&clean) {
        Some(info) if info.is_reliable() => {
            let code = info.lang().code();
            isolang::Language::from_639_3(code)
                .and_then(|l| l.to_639_1())
                .unwrap_or(code)
                .to_string()
        }
        _ => UND.to_string(),
    }
}

struct Post<'a> {
    platform: &'a str,
    /// The author's rank in the posts' [`AccountIndex`](crate::account_index::AccountIndex)
    /// (one per platform and author id): accounts are counted on integers, not strings.
    account: Option<u32>,
    time_ms: i64,
    lang: &'a str,
    country: Option<&'a str>,
    suspicious: bool,
}

/// The value counted most often; ties: the alphabetically first. `None` for no counts.
fn most_common<'a>(counts: impl IntoIterator<Item = (&'a str, u64)>) -> Option<&'a str> {
    counts
        .into_iter()
        .max_by(|x, y| x.1.cmp(&y.1).then_with(|| y.0.cmp(x.0)))
        .map(|(l, _)| l)
}

fn ranked(counts: HashMap<String, u64>) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

/// Counts per group value over `posts`, with accounts and suspicious posts.
fn totals<'a>(
    posts: impl Iterator<Item = (&'a Post<'a>, &'a str)>,
    scored: bool,
    name: impl Fn(&str) -> String,
) -> Vec<GroupTotal> {
    // Per value: posts, accounts, suspicious posts (hashed per post, ordered once).
    type Tally = (u64, HashSet<u32>, u64);
    let mut by: HashMap<&str, Tally> = HashMap::new();
    let mut all = 0u64;
    for (post, value) in posts {
        let entry = by.entry(value).or_default();
        entry.0 += 1;
        all += 1;
        if let Some(account) = post.account {
            entry.1.insert(account);
        }
        entry.2 += u64::from(post.suspicious);
    }
    let mut by: Vec<(&str, Tally)> = by.into_iter().collect();
    by.sort_unstable_by_key(|(code, _)| *code);
    let mut out: Vec<GroupTotal> = by
        .into_iter()
        .map(|(code, (posts, accounts, suspicious))| GroupTotal {
            name: name(code),
            code: code.to_string(),
            posts,
            share: round(posts as f64 / all.max(1) as f64),
            accounts: accounts.len() as u64,
            suspicious_posts: scored.then_some(suspicious),
            suspicious_share: scored.then(|| round(suspicious as f64 / posts.max(1) as f64)),
        })
        .collect();
    out.sort_by(|a, b| b.posts.cmp(&a.posts).then_with(|| a.code.cmp(&b.code)));
    out
}

fn round(x: f64) -> f64 {
    crate::rounding::rounded(x, crate::rounding::MICRO)
}

/// Share of all posts the initial language must lose across the change point for it to
/// count as a switch (tagscope heuristic: smaller changes are within the swing of a
/// day's rhythm between communities in different time zones).
pub const MIN_SWITCH_DROP: f64 = 0.2;

/// The change of majority language, as a single change point in the sequence of posts of
/// known language (time order): the split that maximises the likelihood of a multinomial
/// language distribution on each side against one for the whole sequence (the maximum
/// likelihood estimator of a single change point; Hinkley, Biometrika 1970; as in binary
/// segmentation, Scott & Knott, Biometrics 1974). It is a switch when both sides have at
/// least `min_posts` posts, their majority languages differ and the earlier majority's
/// share falls by at least [`MIN_SWITCH_DROP`]. Returns (from, to, time of the first post
/// after the change). Using every post, not bins, the estimate does not depend on how many
/// posts a bin holds, nor on which language the very first posts happen to be in.
fn majority_switch(posts: &[&Post<'_>], min_posts: u64) -> Option<(String, String, i64)> {
    let known: Vec<&Post> = posts.iter().copied().filter(|p| p.lang != UND).collect();
    let n = known.len();
    let min = (min_posts as usize).max(1);
    if n < 2 * min {
        return None;
    }
    let mut codes: Vec<&str> = Vec::new();
    let index: Vec<usize> = known
        .iter()
        .map(|p| match codes.iter().position(|c| *c == p.lang) {
            Some(i) => i,
            None => {
                codes.push(p.lang);
                codes.len() - 1
            }
        })
        .collect();
    let mut total = vec![0u64; codes.len()];
    for &i in &index {
        total[i] += 1;
    }
    // Σ n_l ln(n_l / m) for a side with counts n and m posts.
    let loglik = |counts: &[u64], m: u64| -> f64 {
        counts
            .iter()
            .filter(|c| **c > 0)
            .map(|&c| c as f64 * (c as f64 / m as f64).ln())
            .sum()
    };
    let mut before = vec![0u64; codes.len()];
    let mut best: Option<(f64, usize)> = None;
    for (k, &i) in index.iter().enumerate() {
        before[i] += 1;
        let left = k + 1;
        if left < min || n - left < min {
            continue;
        }
        let after: Vec<u64> = total.iter().zip(&before).map(|(t, b)| t - b).collect();
        let ll = loglik(&before, left as u64) + loglik(&after, (n - left) as u64);
        if best.is_none_or(|(b, _)| ll > b + 1e-9) {
            best = Some((ll, left));
        }
    }
    let (_, split) = best?;
    let counts = |range: std::ops::Range<usize>| {
        let mut c = vec![0u64; codes.len()];
        for &i in &index[range] {
            c[i] += 1;
        }
        c
    };
    let (b, a) = (counts(0..split), counts(split..n));
    let top = |c: &[u64]| {
        (0..c.len())
            .max_by(|&x, &y| c[x].cmp(&c[y]).then_with(|| codes[y].cmp(codes[x])))
            .unwrap_or(0)
    };
    let (from, to) = (top(&b), top(&a));
    let share = |c: &[u64], l: usize| c[l] as f64 / c.iter().sum::<u64>().max(1) as f64;
    (from != to && share(&b, from) - share(&a, from) >= MIN_SWITCH_DROP).then(|| {
        (
            codes[from].to_string(),
            codes[to].to_string(),
            known[split].time_ms,
        )
    })
}

fn switch(platform: &str, from: String, to: String, at: i64, bin_ms: i64) -> MajoritySwitch {
    MajoritySwitch {
        platform: platform.to_string(),
        from,
        to,
        at: iso_seconds(at).unwrap_or_default(),
        at_ms: at,
        bin_start: iso_seconds(at.div_euclid(bin_ms) * bin_ms).unwrap_or_default(),
        bin_s: bin_ms as f64 / 1000.0,
    }
}

/// Computes the language and origin tables from the posts (any order). `figure_bin_ms` is
/// the bin of the figure and the summary series (see `figures::display_bin_ms`); the CSV
/// uses `bin_ms`, the timeline's bin; `index` numbers the posts' authors
/// ([`AccountIndex::build`](crate::account_index::AccountIndex::build) of the same table).
pub fn compute(
    posts: &DataFrame,
    index: &crate::account_index::AccountIndex<'_>,
    bin_ms: i64,
    figure_bin_ms: i64,
    suspicion: Option<&Suspicion<'_>>,
    options: &LanguageOptions,
    post_languages: &PostLanguages,
) -> Result<Languages> {
    let platform = posts.column("platform")?.str()?;
    anyhow::ensure!(
        post_languages.len() == posts.height(),
        "the post languages cover {} rows, the posts table {}: identify them in the same table",
        post_languages.len(),
        posts.height()
    );
    anyhow::ensure!(
        index.rank_of_row.len() == posts.height(),
        "the account index has {} rows, the posts table {}: build it from the same table",
        index.rank_of_row.len(),
        posts.height()
    );
    let kind = posts.column("kind")?.str()?;
    let country = posts.column("country")?.str()?;
    let times = crate::columns::times_ms(posts, "created_at")?;
    let suspicious_accounts: Option<Vec<bool>> = suspicion.map(|s| s.flags(index));
    // Each account's language: the majority over its own (non-retweet) posts.
    // Per account (by rank) its languages and their counts: mostly one.
    let mut own: Vec<Vec<(&str, u64)>> = vec![Vec::new(); index.len()];
    for i in 0..posts.height() {
        let (l, _) = post_languages.get(i);
        if let (Some(_), Some(a), false) = (
            platform.get(i),
            index.rank_of_row[i],
            kind.get(i) == Some(RETWEET) || l == UND,
        ) {
            let counts = &mut own[a as usize];
            match counts.iter_mut().find(|(language, _)| *language == l) {
                Some((_, n)) => *n += 1,
                None => counts.push((l, 1)),
            }
        }
    }
    let account_language: Vec<Option<&str>> = own.into_iter().map(most_common).collect();
    let mut from_export = 0;
    let mut identified = 0;
    let mut undetermined = 0;
    let mut rows: Vec<Post> = Vec::with_capacity(posts.height());
    for (i, &time) in times.iter().enumerate() {
        let (lang, from_text) = post_languages.get(i);
        let (Some(p), Some(t)) = (platform.get(i), time) else {
            continue;
        };
        if lang == UND {
            undetermined += 1;
        } else if from_text {
            identified += 1;
        } else {
            from_export += 1;
        }
        let a = index.rank_of_row[i];
        let lang = match (kind.get(i), a) {
            (Some(RETWEET), Some(a)) => account_language[a as usize].unwrap_or(lang),
            _ => lang,
        };
        rows.push(Post {
            platform: p,
            account: a,
            time_ms: t,
            lang,
            country: country.get(i).filter(|c| !c.is_empty()),
            suspicious: match (&suspicious_accounts, a) {
                (Some(flags), Some(a)) => flags[a as usize],
                _ => false,
            },
        });
    }
    rows.sort_by_key(|r| r.time_ms);
    let scored = suspicion.is_some();

    // languages.csv: per bin, platform, dimension and value.
    // Hashed per row, sorted once at the end (a B-tree compared the key's strings about
    // ten times per post).
    type Cell = (u64, HashSet<u32>, u64);
    let mut cells: HashMap<(i64, &str, &str, &str), Cell> = HashMap::new();
    for r in &rows {
        let bin = r.time_ms.div_euclid(bin_ms) * bin_ms;
        let keys = [
            Some(("language", r.lang)),
            r.country.map(|c| ("country", c)),
        ];
        for (dimension, value) in keys.into_iter().flatten() {
            let cell = cells
                .entry((bin, r.platform, dimension, value))
                .or_default();
            cell.0 += 1;
            if let Some(a) = r.account {
                cell.1.insert(a);
            }
            cell.2 += u64::from(r.suspicious);
        }
    }
    let datetime = DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC));
    let mut table = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    let mut cells: Vec<_> = cells.into_iter().collect();
    cells.sort_unstable_by(|x, y| x.0.cmp(&y.0));
    for ((bin, p, dimension, value), (n, accounts, suspicious)) in &cells {
        table.0.push(*bin);
        table.1.push(*p);
        table.2.push(*dimension);
        table.3.push(*value);
        table.4.push(*n);
        table.5.push(accounts.len() as u64);
        table.6.push(scored.then_some(*suspicious));
        table
            .7
            .push(scored.then(|| round(*suspicious as f64 / (*n).max(1) as f64)));
    }
    let bins = DataFrame::new(
        table.0.len(),
        vec![
            Column::new("bin_start".into(), table.0).cast(&datetime)?,
            Column::new("platform".into(), table.1),
            Column::new("dimension".into(), table.2),
            Column::new("value".into(), table.3),
            Column::new("posts".into(), table.4),
            Column::new("accounts".into(), table.5),
            Column::new("suspicious_posts".into(), table.6),
            Column::new("suspicious_share".into(), table.7),
        ],
    )?;

    let languages = totals(rows.iter().map(|r| (r, r.lang)), scored, |c| {
        language_name(c)
    });
    let countries = totals(
        rows.iter().filter_map(|r| r.country.map(|c| (r, c))),
        scored,
        str::to_string,
    );

    // Platforms in order of their first post.
    let mut platforms: Vec<&str> = Vec::new();
    for r in &rows {
        if !platforms.contains(&r.platform) {
            platforms.push(r.platform);
        }
    }
    let mut first_posts = Vec::new();
    let mut early_amplifiers = Vec::new();
    let mut majority_switches = Vec::new();
    let all: Vec<&Post> = rows.iter().collect();
    if platforms.len() > 1
        && let Some((from, to, at)) = majority_switch(&all, options.min_switch_posts)
    {
        majority_switches.push(switch("all", from, to, at, figure_bin_ms));
    }
    for p in &platforms {
        let own: Vec<&Post> = rows.iter().filter(|r| r.platform == *p).collect();
        let mut counts: HashMap<String, u64> = HashMap::new();
        for r in own.iter().take(options.first_posts) {
            *counts.entry(r.lang.to_string()).or_default() += 1;
        }
        first_posts.push(PlatformLanguages {
            platform: p.to_string(),
            counted: own.len().min(options.first_posts) as u64,
            languages: ranked(counts),
        });
        // Early amplifiers: the first accounts to post, each with its majority language
        // over all its posts (ties: the alphabetically first).
        // Only the first accounts are found and their languages counted, not every account's.
        let mut early: HashSet<u32> = HashSet::default();
        let mut order: Vec<u32> = Vec::new();
        for a in own.iter().filter_map(|r| r.account) {
            if order.len() == options.early_accounts {
                break;
            }
            if early.insert(a) {
                order.push(a);
            }
        }
        let mut by_account: HashMap<u32, HashMap<&str, u64>> = HashMap::new();
        for r in &own {
            if let Some(a) = r.account.filter(|a| early.contains(a)) {
                *by_account.entry(a).or_default().entry(r.lang).or_default() += 1;
            }
        }
        let mut counts: HashMap<String, u64> = HashMap::new();
        for a in &order {
            let language = by_account
                .get(a)
                .and_then(|c| most_common(c.iter().map(|(l, n)| (*l, *n))));
            if let Some(language) = language {
                *counts.entry(language.to_string()).or_default() += 1;
            }
        }
        early_amplifiers.push(PlatformLanguages {
            platform: p.to_string(),
            counted: order.len() as u64,
            languages: ranked(counts),
        });
        if let Some((from, to, at)) = majority_switch(&own, options.min_switch_posts) {
            majority_switches.push(switch(p, from, to, at, figure_bin_ms));
        }
    }

    // Series: top languages (never `und`), then other, then und; all platforms together.
    let mut bands: Vec<String> = languages
        .iter()
        .filter(|l| l.code != UND)
        .take(options.top)
        .map(|l| l.code.clone())
        .collect();
    let named = bands.len();
    if languages.iter().filter(|l| l.code != UND).count() > named {
        bands.push("other".into());
    }
    if languages.iter().any(|l| l.code == UND) {
        bands.push(UND.into());
    }
    let band_of = |lang: &str| -> usize {
        bands[..named]
            .iter()
            .position(|b| b == lang)
            .unwrap_or_else(|| if lang == UND { bands.len() - 1 } else { named })
    };
    let (first_bin, last_bin) = match (rows.first(), rows.last()) {
        (Some(f), Some(l)) => (
            f.time_ms.div_euclid(figure_bin_ms) * figure_bin_ms,
            l.time_ms.div_euclid(figure_bin_ms) * figure_bin_ms,
        ),
        _ => (0, -1),
    };
    let n_bins = if last_bin >= first_bin {
        ((last_bin - first_bin) / figure_bin_ms + 1) as usize
    } else {
        0
    };
    let mut counts = vec![vec![0u64; n_bins]; bands.len()];
    let mut per_bin = vec![0u64; n_bins];
    for r in &rows {
        let b = ((r.time_ms.div_euclid(figure_bin_ms) * figure_bin_ms - first_bin) / figure_bin_ms)
            as usize;
        counts[band_of(r.lang)][b] += 1;
        per_bin[b] += 1;
    }
    let bin_start_ms: Vec<i64> = (0..n_bins)
        .map(|b| first_bin + b as i64 * figure_bin_ms)
        .collect();
    let series = LanguageSeries {
        bin_s: figure_bin_ms as f64 / 1000.0,
        bin_start: bin_start_ms
            .iter()
            .map(|t| iso_seconds(*t).unwrap_or_default())
            .collect(),
        bin_start_ms,
        share: counts
            .iter()
            .map(|c| {
                c.iter()
                    .zip(&per_bin)
                    .map(|(n, all)| (*all > 0).then(|| round(*n as f64 / *all as f64)))
                    .collect()
            })
            .collect(),
        languages: bands,
        posts: per_bin,
    };

    Ok(Languages {
        bins,
        summary: LanguageSummary {
            from_export,
            identified_from_text: identified,
            undetermined,
            languages,
            countries,
            first_posts,
            early_amplifiers,
            majority_switches,
            series,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_normalised_and_named() {
        assert_eq!(normalise_language_tag("en-GB"), "en");
        assert_eq!(normalise_language_tag(" FR "), "fr");
        assert_eq!(normalise_language_tag("in"), "id");
        assert_eq!(normalise_language_tag("English"), "en");
        assert_eq!(normalise_language_tag("RUSSIAN"), "ru");
        assert_eq!(normalise_language_tag("Klingonese"), "klingonese");
        assert_eq!(language_name("id"), "Indonesian");
        for pseudo in ["qht", "qme", "zxx", "und", ""] {
            assert_eq!(normalise_language_tag(pseudo), UND);
        }
        assert_eq!(language_name("en"), "English");
        assert_eq!(language_name("fra"), "French");
        assert_eq!(language_name("und"), "undetermined");
        assert_eq!(language_name("xx"), "xx");
    }

    #[test]
    fn identification_needs_enough_text() {
        assert_eq!(
            identify(
                "RT @someone: The leaked documents show the campaign lied to voters about everything"
            ),
            "en"
        );
        assert_eq!(
            identify(
                ">>123456 Les documents montrent que la campagne a menti aux électeurs sur tout https://t.co/x"
            ),
            "fr"
        );
        assert_eq!(identify("#MacronLeaks https://pastebin.com/abc @user"), UND);
        assert_eq!(identify("lol ok"), UND);
    }

    fn post(t: i64, lang: &'static str) -> Post<'static> {
        Post {
            platform: "twitter",
            account: Some(0),
            time_ms: t,
            lang,
            country: None,
            suspicious: false,
        }
    }

    #[test]
    fn a_change_point_is_found_and_a_daily_swing_is_not() {
        // 600 posts, one a minute: 80 % English, then from post 400 on 80 % French.
        let posts: Vec<Post> = (0..600i64)
            .map(|i| {
                let french = if i < 400 { i % 5 == 0 } else { i % 5 != 0 };
                post(i * 60_000, if french { "fr" } else { "en" })
            })
            .collect();
        let refs: Vec<&Post> = posts.iter().collect();
        let (from, to, at) = majority_switch(&refs, 100).unwrap();
        assert_eq!((from.as_str(), to.as_str()), ("en", "fr"));
        assert!(
            (at - 400 * 60_000).abs() <= 5 * 60_000,
            "change point at minute {}",
            at / 60_000
        );
        // Undetermined posts do not count.
        let mut with_und = posts.clone_posts();
        with_und.extend((0..300).map(|i| post(i * 60_000 + 30_000, UND)));
        with_und.sort_by_key(|p| p.time_ms);
        let refs: Vec<&Post> = with_und.iter().collect();
        assert_eq!(majority_switch(&refs, 100).unwrap().1, "fr");
        // A swing back and forth (day and night) around a steady English majority: no switch.
        let swing: Vec<Post> = (0..1440i64)
            .map(|i| {
                let night = (i / 120) % 2 == 1;
                let french = if night { i % 5 < 2 } else { i % 5 == 0 };
                post(i * 60_000, if french { "fr" } else { "en" })
            })
            .collect();
        let refs: Vec<&Post> = swing.iter().collect();
        assert_eq!(majority_switch(&refs, 100), None);
        // Too few posts: nothing to say.
        let refs: Vec<&Post> = posts[..150].iter().collect();
        assert_eq!(majority_switch(&refs, 100), None);
    }

    trait ClonePosts {
        fn clone_posts(&self) -> Vec<Post<'static>>;
    }

    impl ClonePosts for Vec<Post<'static>> {
        fn clone_posts(&self) -> Vec<Post<'static>> {
            self.iter().map(|p| post(p.time_ms, p.lang)).collect()
        }
    }
}
