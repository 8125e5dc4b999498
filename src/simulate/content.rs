//! Tweet text and entities.

use super::*;

pub(super) struct Mention {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) account: usize,
    pub(super) handle: String,
    pub(super) name: String,
}

pub(super) struct Link {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) tco: String,
    pub(super) expanded: String,
    pub(super) display: String,
}

/// Text plus entities; offsets count Unicode code points, as Twitter does.
pub(super) struct Content {
    pub(super) text: String,
    pub(super) chars: usize,
    pub(super) display_start: usize,
    pub(super) hashtags: Vec<(usize, usize, String)>,
    pub(super) links: Vec<Link>,
    pub(super) mentions: Vec<Mention>,
    pub(super) lang: &'static str,
}

pub(super) const MAX_CHARS: usize = 140;
pub(super) const TCO_CHARS: usize = 23;

impl Content {
    pub(super) fn new(lang: &'static str) -> Content {
        Content {
            text: String::new(),
            chars: 0,
            display_start: 0,
            hashtags: Vec::new(),
            links: Vec::new(),
            mentions: Vec::new(),
            lang,
        }
    }

    pub(super) fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.chars += s.chars().count();
    }

    pub(super) fn fits(&self, extra: usize) -> bool {
        self.chars + extra <= MAX_CHARS
    }

    pub(super) fn push_hashtag(&mut self, sign: &str, tag: &str) {
        let start = self.chars;
        self.push(sign);
        self.push(tag);
        self.hashtags.push((start, self.chars, tag.to_string()));
    }

    pub(super) fn push_link(&mut self, expanded: &str, salt: u64) {
        let mut rng = ChaCha8Rng::seed_from_u64(salt);
        let tco = format!("https://t.co/{}", random_token(&mut rng, 10));
        let bare = expanded
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_start_matches("www.");
        let display = if bare.chars().count() > 25 {
            format!("{}…", bare.chars().take(24).collect::<String>())
        } else {
            bare.to_string()
        };
        let start = self.chars;
        self.push(&tco);
        self.links.push(Link {
            start,
            end: self.chars,
            tco,
            expanded: expanded.to_string(),
            display,
        });
    }

    pub(super) fn push_mention(&mut self, account: usize, profile: Profile) {
        let start = self.chars;
        self.push("@");
        self.push(&profile.handle);
        self.mentions.push(Mention {
            start,
            end: self.chars,
            account,
            handle: profile.handle,
            name: profile.name,
        });
    }
}

pub(super) const FR_ORIGINALS: [&str; 8] = [
    "Les documents de la campagne sont en ligne, à partager avant le silence électoral",
    "Ce que les médias ne vous diront pas… lisez les mails",
    "Énorme fuite de données de la campagne, 9 Go de mails",
    "Vérifiez vous-mêmes, tout est là",
    "Pourquoi personne n'en parle à la télé ?",
    "Les comptes de campagne, les contrats, tout a fuité",
    "Partagez avant minuit, après c'est la réserve électorale",
    "Ils vont dire que c'est faux. Lisez d'abord.",
];
pub(super) const EN_ORIGINALS: [&str; 8] = [
    "Massive leak of campaign emails just dropped",
    "Huge document dump from En Marche, read before it gets deleted",
    "French media are silent about this",
    "The election is on Sunday. Spread the word",
    "Thousands of emails, contracts and accounting files leaked",
    "Media blackout starts at midnight in France. Share now",
    "They will call it fake. Read it yourself.",
    "This is the biggest story of the French election",
];
pub(super) const FR_COMMENTS: [&str; 6] = [
    "Attention, beaucoup de faux mélangés aux vrais documents",
    "Prudence avec ces documents, rien n'est vérifié",
    "Incroyable",
    "Voilà qui explique beaucoup de choses",
    "C'est faux, ces documents sont truqués",
    "Source ?",
];
pub(super) const EN_COMMENTS: [&str; 6] = [
    "Thread: what we know so far about the leak",
    "Careful, fakes are mixed in with real files",
    "Wow. Just wow",
    "This changes everything",
    "Fake news, read the analysis first",
    "Thanks for sharing!",
];
pub(super) const SCHEDULED_TEMPLATES: [&str; 4] = [
    "[Actu] Dernières infos",
    "BREAKING: latest update",
    "Fil info : la fuite en direct",
    "Live updates",
];
pub(super) const OTHER_TAGS: [&str; 9] = [
    "FrenchElection",
    "Macron",
    "Presidentielle2017",
    "Presidentielle",
    "MarineLePen",
    "EnMarche",
    "Elysee2017",
    "FakeNews",
    "7mai",
];
pub(super) const EMOJI: [&str; 6] = ["🔥", "🇫🇷", "⚠️", "👇", "😱", "‼️"];

/// Full-width form of an ASCII string, as in `＃ＭａｃｒｏｎＬｅａｋｓ`.
pub(super) fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| {
            if ('!'..='~').contains(&c) {
                char::from_u32(c as u32 + 0xFEE0).unwrap()
            } else {
                c
            }
        })
        .collect()
}

/// Everything the renderers need, borrowed from `simulate`.
pub(super) struct World<'a> {
    pub(super) seed: u64,
    pub(super) tag: &'a str,
    pub(super) accounts: &'a [Account],
    pub(super) events: &'a [Event],
    pub(super) tallies: &'a Tallies,
    pub(super) pastebin_url: &'a str,
    pub(super) archive_url: String,
}

impl World<'_> {
    pub(super) fn profile(&self, account: usize) -> Profile {
        profile(self.seed, account, &self.accounts[account])
    }

    pub(super) fn content(&self, i: usize) -> Content {
        let e = self.events[i];
        match e.kind() {
            PostKind::Retweet | PostKind::BurstRetweet => self.retweet_content(e.target as usize),
            kind => self.authored_content(i, kind),
        }
    }

    /// "RT @handle: " + original text, cut to 140 chars like Twitter does.
    pub(super) fn retweet_content(&self, target: usize) -> Content {
        let original = self.content(target);
        let mut c = Content::new(original.lang);
        c.push("RT ");
        c.push_mention(
            self.events[target].author(),
            self.profile(self.events[target].author()),
        );
        c.push(": ");
        let shift = c.chars;
        let cut = original.chars + shift > MAX_CHARS;
        let keep = if cut {
            MAX_CHARS - 1 - shift
        } else {
            original.chars
        };
        let body: String = original.text.chars().take(keep).collect();
        c.push(&body);
        if cut {
            c.push("…");
        }
        c.hashtags.extend(
            original
                .hashtags
                .into_iter()
                .filter(|h| h.1 <= keep)
                .map(|(s, e, t)| (s + shift, e + shift, t)),
        );
        for mut m in original.mentions.into_iter().filter(|m| m.end <= keep) {
            (m.start, m.end) = (m.start + shift, m.end + shift);
            c.mentions.push(m);
        }
        for mut l in original.links.into_iter().filter(|l| l.end <= keep) {
            (l.start, l.end) = (l.start + shift, l.end + shift);
            c.links.push(l);
        }
        c
    }

    pub(super) fn authored_content(&self, i: usize, kind: PostKind) -> Content {
        let e = self.events[i];
        let author = &self.accounts[e.author()];
        let mut rng = ChaCha8Rng::seed_from_u64(mix(self.seed ^ SALT_TEXT, e.key));
        let french = author.has(FRENCH);
        let mut c = Content::new(if french { "fr" } else { "en" });
        if i == 0 {
            c.push_hashtag("#", self.tag);
            c.push(" Massive leak of Macron campaign emails and documents, 9GB: ");
            c.push_link(self.pastebin_url, mix(e.key, 1));
            c.lang = "en";
            return c;
        }
        if kind == PostKind::Reply {
            let to = self.events[e.target as usize].author();
            c.push_mention(to, self.profile(to));
            c.push(" ");
            c.display_start = c.chars;
        }
        let sentence = match (author.kind, kind, french) {
            (AccountKind::Scheduled, _, _) => pick(&mut rng, &SCHEDULED_TEMPLATES),
            (_, PostKind::Original, true) => pick(&mut rng, &FR_ORIGINALS),
            (_, PostKind::Original, false) => pick(&mut rng, &EN_ORIGINALS),
            (_, _, true) => pick(&mut rng, &FR_COMMENTS),
            (_, _, false) => pick(&mut rng, &EN_COMMENTS),
        };
        let with_tag = kind == PostKind::Original || rng.random_bool(0.85);
        let (sign, tag) = match rng.random::<f64>() {
            _ if !with_tag => ("#", String::new()),
            x if x < 0.65 => ("#", self.tag.to_string()),
            x if x < 0.85 => ("#", self.tag.to_lowercase()),
            x if x < 0.96 => ("#", self.tag.to_uppercase()),
            x if x < 0.97 => ("＃", full_width(self.tag)),
            _ => (
                "#",
                format!("{}{}", &self.tag[..1], self.tag[1..].to_lowercase()),
            ),
        };
        let tag_first = !tag.is_empty() && rng.random_bool(0.3);
        if tag_first {
            c.push_hashtag(sign, &tag);
            c.push(if french { " : " } else { ": " });
        }
        c.push(sentence);
        if !tag.is_empty() && !tag_first && c.fits(tag.chars().count() + 2) {
            c.push(" ");
            c.push_hashtag(sign, &tag);
        }
        for _ in 0..rng.random_range(0..=2) {
            let other = pick(&mut rng, &OTHER_TAGS);
            if c.fits(other.len() + 2) {
                c.push(" ");
                c.push_hashtag("#", other);
            }
        }
        if kind != PostKind::Reply && rng.random_bool(0.1) && c.fits(20) {
            let someone = self.events[rng.random_range(0..i)].author();
            let p = self.profile(someone);
            if c.fits(p.handle.len() + 5) {
                c.push(" cc ");
                c.push_mention(someone, p);
            }
        }
        if rng.random_bool(0.15) && c.fits(3) {
            c.push(" ");
            c.push(pick::<&str>(&mut rng, &EMOJI));
        }
        let url = match (author.kind, kind, rng.random::<f64>()) {
            (AccountKind::Scheduled | AccountKind::Amplifier, PostKind::Original, x) if x < 0.7 => {
                Some(self.pastebin_url.to_string())
            }
            (_, PostKind::Original, x) if x < 0.45 => Some(self.pastebin_url.to_string()),
            (_, PostKind::Original | PostKind::Quote, x) if x < 0.6 => {
                Some(self.archive_url.clone())
            }
            (AccountKind::Scheduled, _, _) | (_, PostKind::Original, _) if rng.random_bool(0.5) => {
                Some(news_url(&mut rng))
            }
            _ => None,
        };
        if let Some(url) = url
            && c.fits(TCO_CHARS + 1)
        {
            c.push(" ");
            c.push_link(&url, mix(e.key, 1));
        }
        c
    }
}

pub(super) fn news_url(rng: &mut impl Rng) -> String {
    let n = rng.random_range(1_000_000..9_999_999);
    match rng.random_range(0..5) {
        0 => {
            format!("https://www.lemonde.fr/pixels/article/2017/05/06/macronleaks_{n}_4408996.html")
        }
        1 => format!(
            "https://www.bbc.com/news/world-europe-{}",
            n / 100 + 39_000_000
        ),
        2 => format!("https://www.france24.com/en/20170506-macron-leaks-{n}"),
        3 => format!("https://www.liberation.fr/france/2017/05/06/macronleaks_{n}"),
        _ => format!("https://wikileaks.org/macron-emails/emailid/{}", n % 70_000),
    }
}
