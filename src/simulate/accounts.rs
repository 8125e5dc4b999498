//! Accounts: kinds, profiles and the population of a world.

use super::*;

/// Ground-truth class of a Twitter account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum AccountKind {
    Human,
    HyperactiveHuman,
    Amplifier,
    Coordinated,
    Scheduled,
    LowVolume,
}

impl AccountKind {
    pub(super) fn name(self) -> &'static str {
        match self {
            AccountKind::Human => "human",
            AccountKind::HyperactiveHuman => "hyperactive_human",
            AccountKind::Amplifier => "amplifier",
            AccountKind::Coordinated => "coordinated",
            AccountKind::Scheduled => "scheduled",
            AccountKind::LowVolume => "low_volume",
        }
    }

    pub(super) fn is_bot(self) -> bool {
        !matches!(self, AccountKind::Human | AccountKind::HyperactiveHuman)
    }
}

pub(super) const VERIFIED: u8 = 1;
pub(super) const DEFAULT_PROFILE: u8 = 2;
pub(super) const DEFAULT_IMAGE: u8 = 4;
pub(super) const DORMANT: u8 = 8;
pub(super) const FRENCH: u8 = 16;

/// Compact account record; strings (handle, name, bio) are re-derived.
#[derive(Debug, Clone)]
pub(super) struct Account {
    pub(super) id: u64,
    pub(super) created_ms: i64,
    pub(super) followers: u32,
    pub(super) friends: u32,
    pub(super) statuses_base: u32,
    pub(super) favourites: u32,
    pub(super) listed: u32,
    /// How likely others are to retweet this account.
    pub(super) attention: f32,
    pub(super) kind: AccountKind,
    pub(super) region: Region,
    pub(super) client: u8,
    pub(super) flags: u8,
    /// Bumped until the handle is unique.
    pub(super) handle_variant: u8,
}

impl Account {
    pub(super) fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

/// A coordinated group and the accounts whose tweets it amplifies.
pub(super) struct Group {
    pub(super) members: Vec<usize>,
    pub(super) sources: Vec<usize>,
}

pub(super) struct Population {
    pub(super) accounts: Vec<Account>,
    pub(super) groups: Vec<Group>,
}

/// (client name, link) pairs for the `source` field.
pub(super) const CLIENTS: [(&str, &str); 13] = [
    ("Twitter for Android", "http://twitter.com/download/android"),
    ("Twitter for iPhone", "http://twitter.com/download/iphone"),
    ("Twitter Web Client", "http://twitter.com"),
    ("TweetDeck", "https://about.twitter.com/products/tweetdeck"),
    ("Twitter for iPad", "http://twitter.com/#!/download/ipad"),
    ("Mobile Web (M5)", "https://mobile.twitter.com"),
    ("Hootsuite", "https://hootsuite.com"),
    ("Buffer", "https://buffer.com"),
    ("IFTTT", "https://ifttt.com"),
    ("dlvr.it", "https://dlvr.it"),
    ("RoundTeam", "https://roundteam.co"),
    ("twittbot.net", "http://twittbot.net/"),
    ("Botize", "https://botize.com"),
];

pub(super) fn client_for(rng: &mut impl Rng, kind: AccountKind) -> u8 {
    let weights: [f64; 13] = match kind {
        AccountKind::Human | AccountKind::LowVolume => {
            [40., 35., 15., 1., 5., 4., 0., 0., 0., 0., 0., 0., 0.]
        }
        AccountKind::HyperactiveHuman => [10., 30., 20., 40., 0., 0., 0., 0., 0., 0., 0., 0., 0.],
        AccountKind::Amplifier => [30., 0., 20., 0., 0., 0., 0., 0., 0., 0., 20., 20., 10.],
        AccountKind::Coordinated => [0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 40., 30., 30.],
        AccountKind::Scheduled => [0., 0., 0., 0., 0., 0., 30., 30., 20., 20., 0., 0., 0.],
    };
    weighted(rng, &weights) as u8
}

/// Draw every Twitter account. Order: hyperactive humans (the first one is
/// patient zero), humans, then bots by kind.
pub(super) fn build_accounts(
    rng: &mut ChaCha8Rng,
    cfg: &SimConfig,
    behaviour: &Behaviour,
    timeline: &Timeline,
) -> Population {
    let n_total = if cfg.accounts > 0 {
        cfg.accounts
    } else {
        (cfg.posts / 5).max(60)
    } as f64;
    let count = |share: f64| ((n_total * share).round() as usize).max(1);
    let group_size = cfg.coordinated_group_size.max(2);
    let n_groups = ((n_total * cfg.coordinated_share / group_size as f64).round() as usize).max(1);
    let group_sizes: Vec<usize> = (0..n_groups)
        .map(|_| ((group_size as f64 * rng.random_range(0.8..1.2)).round() as usize).max(2))
        .collect();
    let n_hyper = count(cfg.hyperactive_share);
    let n_amp = count(cfg.amplifier_share);
    let n_sched = count(cfg.scheduled_share);
    let n_low = count(cfg.low_volume_share);
    let n_bots_etc = n_hyper + n_amp + n_sched + n_low + group_sizes.iter().sum::<usize>();
    let n_human = (n_total as usize).saturating_sub(n_bots_etc).max(1);

    let mut kinds = Vec::new();
    kinds.extend(std::iter::repeat_n(AccountKind::HyperactiveHuman, n_hyper));
    kinds.extend(std::iter::repeat_n(AccountKind::Human, n_human));
    kinds.extend(std::iter::repeat_n(AccountKind::Amplifier, n_amp));
    let first_coord = kinds.len();
    kinds.extend(std::iter::repeat_n(
        AccountKind::Coordinated,
        group_sizes.iter().sum(),
    ));
    kinds.extend(std::iter::repeat_n(AccountKind::Scheduled, n_sched));
    kinds.extend(std::iter::repeat_n(AccountKind::LowVolume, n_low));

    let start_ms = timeline.first_ms;
    let day = 86_400_000i64;
    let group_created: Vec<i64> = (0..n_groups)
        .map(|_| start_ms - rng.random_range(60..200) * day)
        .collect();
    let mut group_of = vec![usize::MAX; kinds.len()];
    let mut groups = Vec::new();
    let mut next = first_coord;
    for size in &group_sizes {
        let members: Vec<usize> = (next..next + size).collect();
        for &m in &members {
            group_of[m] = groups.len();
        }
        next += size;
        let n_sources = rng.random_range(2..=3).min(n_hyper + n_human);
        let sources = (0..n_sources)
            .map(|s| {
                if s < n_hyper {
                    rng.random_range(0..n_hyper)
                } else {
                    rng.random_range(0..n_hyper + n_human)
                }
            })
            .collect();
        groups.push(Group { members, sources });
    }
    let group_client: Vec<u8> = (0..n_groups)
        .map(|_| client_for(rng, AccountKind::Coordinated))
        .collect();

    // Batch registration days of low-volume accounts (randomised worlds only).
    let cohort_days: Vec<i64> = if behaviour.low_volume_cohort_share > 0.0 {
        let n = ((n_low as f64 * behaviour.low_volume_cohort_share / 20.0).round() as usize).max(1);
        (0..n)
            .map(|_| rng.random_range(ymd_ms(2016, 1, 1)..ymd_ms(2017, 4, 1)))
            .collect()
    } else {
        Vec::new()
    };
    let mut seen_ids = HashSet::new();
    let mut seen_handles = HashSet::new();
    let mut accounts = Vec::with_capacity(kinds.len());
    for (idx, &kind) in kinds.iter().enumerate() {
        let region = match rng.random::<f64>() {
            x if x < 0.55 => Region::Paris,
            x if x < 0.88 => Region::UsEast,
            _ => Region::UsWest,
        };
        let mut flags = 0;
        let french = match kind {
            AccountKind::Amplifier | AccountKind::Coordinated | AccountKind::Scheduled => {
                rng.random_bool(0.6)
            }
            _ => region == Region::Paris && rng.random_bool(0.9),
        };
        if french {
            flags |= FRENCH;
        }
        let dormant = match kind {
            AccountKind::Human => rng.random_bool(cfg.dormant_share),
            AccountKind::LowVolume => rng.random_bool(behaviour.low_volume_dormant_share),
            _ => false,
        };
        let (created_ms, followers, friends, statuses, verified, default_profile, default_image) =
            match kind {
                AccountKind::Human if dormant => (
                    rng.random_range(ymd_ms(2016, 1, 1)..ymd_ms(2016, 12, 31)),
                    lognormal(rng, 15.0, 1.0),
                    lognormal(rng, 60.0, 0.8),
                    rng.random_range(0.0..30.0),
                    0.0,
                    0.5,
                    0.3,
                ),
                AccountKind::Human => (
                    rng.random_range(ymd_ms(2008, 1, 1)..ymd_ms(2016, 12, 31)),
                    lognormal(rng, 180.0, 1.5),
                    lognormal(rng, 250.0, 1.0),
                    lognormal(rng, 4000.0, 1.3),
                    0.003,
                    0.15,
                    0.02,
                ),
                AccountKind::HyperactiveHuman => (
                    rng.random_range(ymd_ms(2008, 1, 1)..ymd_ms(2013, 12, 31)),
                    lognormal(rng, 25_000.0, 1.0),
                    lognormal(rng, 1500.0, 0.8),
                    lognormal(rng, 60_000.0, 0.6),
                    0.35,
                    0.02,
                    0.0,
                ),
                AccountKind::Amplifier => {
                    let age_days = rng.random_range(14..60);
                    (
                        start_ms - age_days * day - rng.random_range(0..day),
                        lognormal(rng, 35.0, 1.0),
                        lognormal(rng, 900.0, 0.6),
                        age_days as f64 * rng.random_range(100.0..300.0),
                        0.0,
                        0.85,
                        0.65,
                    )
                }
                AccountKind::Coordinated => (
                    group_created[group_of[idx]] + rng.random_range(-3 * day..3 * day),
                    lognormal(rng, 250.0, 0.7),
                    lognormal(rng, 600.0, 0.5),
                    lognormal(rng, 5000.0, 0.5),
                    0.0,
                    0.4,
                    0.2,
                ),
                AccountKind::Scheduled => (
                    rng.random_range(ymd_ms(2013, 1, 1)..ymd_ms(2016, 12, 31)),
                    lognormal(rng, 1200.0, 1.0),
                    lognormal(rng, 300.0, 0.8),
                    lognormal(rng, 40_000.0, 0.7),
                    0.0,
                    0.1,
                    0.0,
                ),
                AccountKind::LowVolume if dormant => (
                    rng.random_range(ymd_ms(2016, 1, 1)..ymd_ms(2016, 12, 31)),
                    lognormal(rng, 40.0, 1.0),
                    lognormal(rng, 150.0, 0.8),
                    rng.random_range(0.0..40.0),
                    0.0,
                    0.3,
                    0.05,
                ),
                AccountKind::LowVolume => (
                    rng.random_range(ymd_ms(2012, 1, 1)..ymd_ms(2017, 4, 1)),
                    lognormal(rng, 90.0, 1.0),
                    lognormal(rng, 200.0, 0.8),
                    lognormal(rng, 800.0, 1.0),
                    0.0,
                    0.3,
                    0.05,
                ),
            };
        let created_ms = if kind == AccountKind::LowVolume
            && !cohort_days.is_empty()
            && rng.random_bool(behaviour.low_volume_cohort_share)
        {
            *pick(rng, &cohort_days) + rng.random_range(0..day)
        } else {
            created_ms
        };
        if dormant {
            flags |= DORMANT;
        }
        if rng.random_bool(verified) {
            flags |= VERIFIED;
        }
        if rng.random_bool(default_profile) {
            flags |= DEFAULT_PROFILE;
        }
        if rng.random_bool(default_image) {
            flags |= DEFAULT_IMAGE;
        }
        let boost = match kind {
            AccountKind::HyperactiveHuman => 4.0,
            AccountKind::Human => 1.0,
            AccountKind::Amplifier => 0.15,
            AccountKind::Coordinated => 0.3,
            AccountKind::Scheduled | AccountKind::LowVolume => 0.5,
        } * if flags & VERIFIED != 0 { 2.0 } else { 1.0 };
        let client = if kind == AccountKind::Coordinated {
            group_client[group_of[idx]]
        } else {
            client_for(rng, kind)
        };
        let mut id = user_id(created_ms, idx);
        while !seen_ids.insert(id) {
            id += 1;
        }
        let mut account = Account {
            id,
            created_ms,
            followers: followers as u32,
            friends: friends as u32,
            statuses_base: statuses as u32,
            favourites: (lognormal(rng, 800.0, 1.5) * if dormant { 0.01 } else { 1.0 }) as u32,
            listed: (followers / rng.random_range(40.0..120.0)) as u32,
            attention: (boost * (followers + 1.0).sqrt()) as f32,
            kind,
            region,
            client,
            flags,
            handle_variant: 0,
        };
        while !seen_handles.insert(fnv(&profile(cfg.seed, idx, &account)
            .handle
            .to_ascii_lowercase()))
        {
            account.handle_variant += 1;
        }
        accounts.push(account);
    }
    Population { accounts, groups }
}

/// Legacy sequential ids before mid-2013, snowflake ids afterwards.
pub(super) fn user_id(created_ms: i64, idx: usize) -> u64 {
    let snowflake_era = ymd_ms(2013, 6, 1);
    if created_ms < snowflake_era {
        let from = ymd_ms(2006, 3, 1);
        let frac = (created_ms - from).max(0) as f64 / (snowflake_era - from) as f64;
        12_000 + (frac * 1_500_000_000.0) as u64
    } else {
        (((created_ms - TWITTER_EPOCH_MS) as u64) << 22) | (idx as u64 & 0x3F_FFFF)
    }
}

pub(super) fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Strings of an account, re-derived from its index so they need no storage.
pub(super) struct Profile {
    pub(super) handle: String,
    pub(super) name: String,
    pub(super) description: String,
    pub(super) location: String,
}

pub(super) const FR_FIRST: [&str; 20] = [
    "Marie",
    "Jean",
    "Pierre",
    "Sophie",
    "Camille",
    "Julien",
    "Nicolas",
    "Isabelle",
    "Thomas",
    "Léa",
    "Hélène",
    "François",
    "Céline",
    "Antoine",
    "Chloé",
    "Éric",
    "Amélie",
    "Benoît",
    "Nathalie",
    "Mathieu",
];
pub(super) const FR_LAST: [&str; 16] = [
    "Dubois",
    "Martin",
    "Bernard",
    "Durand",
    "Lefèvre",
    "Moreau",
    "Laurent",
    "Girard",
    "Roux",
    "Fournier",
    "Mercier",
    "Lambert",
    "Bonnet",
    "Chevalier",
    "Leroy",
    "Gauthier",
];
pub(super) const EN_FIRST: [&str; 16] = [
    "John", "Mike", "Sarah", "Jessica", "David", "Chris", "Emily", "Matt", "Ashley", "Ryan",
    "Karen", "Brian", "Amanda", "Kevin", "Laura", "Jason",
];
pub(super) const EN_LAST: [&str; 16] = [
    "Smith", "Johnson", "Miller", "Davis", "Wilson", "Anderson", "Taylor", "Thomas", "Moore",
    "Jackson", "White", "Harris", "Clark", "Lewis", "Walker", "Hall",
];

/// ASCII-only, alphanumeric version of a name for handles.
pub(super) fn ascii_fold(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            'é' | 'è' | 'ê' | 'ë' | 'É' => Some('e'),
            'à' | 'â' => Some('a'),
            'ç' => Some('c'),
            'î' | 'ï' => Some('i'),
            'ô' => Some('o'),
            'û' | 'ù' => Some('u'),
            c if c.is_ascii_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

pub(super) fn digits(rng: &mut impl Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

pub(super) fn profile(seed: u64, idx: usize, account: &Account) -> Profile {
    let mut rng = ChaCha8Rng::seed_from_u64(mix(
        seed ^ SALT_PROFILE,
        ((idx as u64) << 8) | account.handle_variant as u64,
    ));
    let french = account.has(FRENCH);
    let (first, last) = if french {
        (*pick(&mut rng, &FR_FIRST), *pick(&mut rng, &FR_LAST))
    } else {
        (*pick(&mut rng, &EN_FIRST), *pick(&mut rng, &EN_LAST))
    };
    let (f, l) = (ascii_fold(first), ascii_fold(last));
    let mut handle = match account.kind {
        AccountKind::Amplifier | AccountKind::Coordinated => {
            let base: String = f.to_lowercase().chars().take(7).collect();
            format!("{base}{}", digits(&mut rng, 15 - base.len().max(7) + 1))
        }
        AccountKind::Scheduled => {
            let a = pick(
                &mut rng,
                &[
                    "Info",
                    "News",
                    "Leak",
                    "Actu",
                    "Daily",
                    "Alert",
                    "Politique",
                ],
            );
            let b = pick(
                &mut rng,
                &["France", "Feed", "Watch", "Direct", "Wire", "24", "Now"],
            );
            format!(
                "{a}{b}{}",
                if rng.random_bool(0.5) {
                    digits(&mut rng, 2)
                } else {
                    String::new()
                }
            )
        }
        _ => match rng.random_range(0..6) {
            0 => format!("{f}{l}"),
            1 => format!("{f}_{l}"),
            2 => format!("{}{l}", &f[..1]),
            3 => format!("{f}{l}{}", digits(&mut rng, 2)),
            4 => format!("{}{}", l.to_lowercase(), f.to_lowercase()),
            _ => format!("{f}{}", rng.random_range(1960..2002)),
        },
    };
    handle.truncate(15);
    if account.handle_variant > 0 {
        handle.truncate(12);
        handle.push_str(&digits(&mut rng, 3));
    }
    let name = match account.kind {
        AccountKind::Scheduled => format!("{} 24/7", &handle),
        AccountKind::Amplifier if rng.random_bool(0.5) => first.to_string(),
        _ if rng.random_bool(0.1) => format!("{first} {last} 🇫🇷"),
        _ if rng.random_bool(0.1) => format!("{first} {}.", &l[..1]),
        _ => format!("{first} {last}"),
    };
    let description = if account.has(DEFAULT_PROFILE) && rng.random_bool(0.7) {
        String::new()
    } else {
        let options: &[&str] = match (account.kind, french) {
            (AccountKind::HyperactiveHuman, true) => &[
                "Journaliste politique. Désinformation, médias, élections. Avis perso.",
                "Militante associative. Démocratie, transparence, laïcité.",
                "Reporter indépendant. Tous les jours sur le terrain.",
            ],
            (AccountKind::HyperactiveHuman, false) => &[
                "Reporter covering European politics. DMs open.",
                "Activist. Free speech, open data, accountability.",
                "Political analyst. Retweets are not endorsements.",
            ],
            (AccountKind::Scheduled, _) => &[
                "Automated news feed. Latest updates 24/7.",
                "Fil d'actualité automatique — politique et élections.",
            ],
            (AccountKind::Amplifier | AccountKind::Coordinated, _) => &[
                "🇫🇷 Patriote 🇫🇷",
                "Réveillez-vous ! #Frexit",
                "MAGA 🇺🇸 Europe next",
                "Truth seeker. No DMs.",
                "Je suis un citoyen libre",
            ],
            (_, true) => &[
                "Citoyenne engagée. Avis personnels.",
                "Papa, ingénieur, amateur de café ☕",
                "Supporter de l'OM ⚽ et de la République",
                "Étudiant en droit à Lyon",
                "Prof d'histoire. Curieuse de tout.",
            ],
            (_, false) => &[
                "Dad, engineer, coffee addict ☕",
                "Just a guy with opinions.",
                "Nurse. Dog mom. Texas born 🤠",
                "Sports, politics, bad jokes.",
                "Proud American. God, family, country.",
            ],
        };
        pick(&mut rng, options).to_string()
    };
    let location = if rng.random_bool(0.3) {
        String::new()
    } else {
        let options: &[&str] = match account.region {
            Region::Paris => &[
                "Paris, France",
                "Lyon",
                "Marseille, France",
                "France",
                "Île-de-France",
                "Bordeaux",
            ],
            Region::UsEast => &[
                "New York, NY",
                "Florida, USA",
                "Washington, DC",
                "Ohio",
                "Atlanta, GA",
            ],
            Region::UsWest => &[
                "California, USA",
                "Seattle, WA",
                "Arizona",
                "Los Angeles, CA",
            ],
        };
        pick(&mut rng, options).to_string()
    };
    Profile {
        handle,
        name,
        description,
        location,
    }
}
