//! Events: the compact plan of every tweet (times, kinds, targets).

use super::*;

pub(super) const TWITTER_EPOCH_MS: i64 = 1_288_834_974_657;
pub(super) const NO_TARGET: u32 = u32::MAX;
pub(super) const KIND_SHIFT: u32 = 29;
pub(super) const AUTHOR_MASK: u32 = (1 << KIND_SHIFT) - 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PostKind {
    Original,
    Retweet,
    Quote,
    Reply,
    /// A coordinated retweet whose target is `bursts[target]`, resolved
    /// into `Retweet` once the events are in time order.
    BurstRetweet,
}

impl PostKind {
    pub(super) fn from_bits(bits: u32) -> PostKind {
        match bits {
            0 => PostKind::Original,
            1 => PostKind::Retweet,
            2 => PostKind::Quote,
            3 => PostKind::Reply,
            _ => PostKind::BurstRetweet,
        }
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            PostKind::Original => "original",
            PostKind::Retweet | PostKind::BurstRetweet => "retweet",
            PostKind::Quote => "quote",
            PostKind::Reply => "reply",
        }
    }
}

/// One tweet in 16 bytes. `key` is the time in ms while planning and the
/// tweet id afterwards (the id encodes the time, like a snowflake).
#[derive(Debug, Clone, Copy)]
pub(super) struct Event {
    pub(super) key: u64,
    pub(super) packed: u32,
    /// Index of the retweeted/quoted/replied-to event, or `NO_TARGET`.
    pub(super) target: u32,
}

impl Event {
    pub(super) fn new(t_ms: i64, author: usize, kind: PostKind, target: u32) -> Event {
        Event {
            key: t_ms as u64,
            packed: (author as u32) | ((kind as u32) << KIND_SHIFT),
            target,
        }
    }

    pub(super) fn author(&self) -> usize {
        (self.packed & AUTHOR_MASK) as usize
    }

    pub(super) fn kind(&self) -> PostKind {
        PostKind::from_bits(self.packed >> KIND_SHIFT)
    }

    pub(super) fn set_kind(&mut self, kind: PostKind) {
        self.packed = (self.packed & AUTHOR_MASK) | ((kind as u32) << KIND_SHIFT);
    }

    /// Creation time, valid once ids are assigned.
    pub(super) fn time_ms(&self) -> i64 {
        (self.key >> 22) as i64 + TWITTER_EPOCH_MS
    }
}

/// A coordinated burst: the source original (time, author) its members retweet.
pub(super) type Burst = (i64, usize);

pub(super) fn draw_post_kind(rng: &mut impl Rng, kind: AccountKind) -> PostKind {
    // (original, retweet, quote, reply)
    let mix: [f64; 4] = match kind {
        AccountKind::Human => [0.14, 0.68, 0.08, 0.10],
        AccountKind::HyperactiveHuman => [0.28, 0.45, 0.14, 0.13],
        AccountKind::Amplifier => [0.03, 0.95, 0.02, 0.0],
        AccountKind::Coordinated => [0.1, 0.9, 0.0, 0.0],
        AccountKind::Scheduled => [0.75, 0.25, 0.0, 0.0],
        AccountKind::LowVolume => [0.0, 1.0, 0.0, 0.0],
    };
    [
        PostKind::Original,
        PostKind::Retweet,
        PostKind::Quote,
        PostKind::Reply,
    ][weighted(rng, &mix)]
}

/// Human posting: sessions placed by intensity × circadian, short gaps inside.
pub(super) fn human_times(
    rng: &mut impl Rng,
    timeline: &Timeline,
    region: Region,
    n: usize,
    (mean_session, gap_median): (f64, f64),
    (from, to): (i64, i64),
) -> Vec<i64> {
    let mut times = Vec::with_capacity(n);
    let session_len = Exp::new(1.0 / mean_session).unwrap();
    while times.len() < n {
        let mut t = timeline.sample(rng, Some(region));
        if t < from || t > to {
            continue;
        }
        let len = (1.0 + session_len.sample(rng)) as usize;
        for _ in 0..len.min(n - times.len()) {
            times.push(timeline.clamp(t).clamp(from, to));
            t += lognormal(rng, gap_median, 1.0) as i64;
        }
    }
    times
}

/// Lay out every tweet (time, author, kind) without targets yet.
pub(super) fn plan_posts(
    rng: &mut ChaCha8Rng,
    cfg: &SimConfig,
    behaviour: &Behaviour,
    population: &Population,
    timeline: &Timeline,
) -> (Vec<Event>, Vec<Burst>) {
    let accounts = &population.accounts;
    let days = cfg.duration_hours / 24.0;
    let span_ms = (timeline.end_ms - timeline.first_ms) as f64;

    // Unscaled volumes of non-ordinary accounts; coordinated groups in bursts. A
    // scheduled account's clock: its style and period (ms) or rate (posts per ms).
    let b = behaviour;
    let mut clocks: Vec<(ScheduleStyle, f64)> =
        vec![(ScheduleStyle::WholeMinutes, 0.0); accounts.len()];
    let volumes: Vec<f64> = accounts
        .iter()
        .enumerate()
        .map(|(i, a)| match a.kind {
            AccountKind::HyperactiveHuman => {
                rng.random_range(b.hyperactive_rate.0..b.hyperactive_rate.1) * days
            }
            AccountKind::Amplifier => {
                rng.random_range(b.amplifier_rate.0..b.amplifier_rate.1) * days
            }
            AccountKind::Scheduled => match b.schedule_style(rng) {
                ScheduleStyle::WholeMinutes => {
                    span_ms / 60_000.0 / *pick(rng, &[5.0, 10.0, 15.0, 20.0, 30.0])
                }
                style @ (ScheduleStyle::Period | ScheduleStyle::Mixture) => {
                    let period =
                        rng.random_range(b.schedule_period_s.0..b.schedule_period_s.1) * 1000.0;
                    clocks[i] = (style, period);
                    let share = if style == ScheduleStyle::Mixture {
                        1.0 - b.mixture_human_share
                    } else {
                        1.0
                    };
                    span_ms / period / share
                }
                ScheduleStyle::FixedSecond => {
                    let per_ms = rng
                        .random_range(b.fixed_second_per_hour.0..b.fixed_second_per_hour.1)
                        / 3_600_000.0;
                    clocks[i] = (ScheduleStyle::FixedSecond, per_ms);
                    span_ms * per_ms
                }
            },
            AccountKind::LowVolume => {
                rng.random_range(b.low_volume_posts.0..=b.low_volume_posts.1) as f64
            }
            _ => 0.0,
        })
        .collect();
    let bursts_per_group = b.bursts_per_group_per_day * days;
    let coordinated: f64 = population
        .groups
        .iter()
        .map(|g| g.members.len() as f64 * bursts_per_group * 0.85)
        .sum();
    let bot_total = volumes.iter().sum::<f64>() + coordinated;
    let cap = cfg.max_bot_post_share * cfg.posts as f64;
    let scale = if bot_total > cap {
        cap / bot_total
    } else {
        1.0
    };

    let mut events = Vec::with_capacity(cfg.posts as usize + 64);
    // Patient zero: the first hyperactive human posts the leak.
    events.push(Event::new(
        timeline.first_ms,
        0,
        PostKind::Original,
        NO_TARGET,
    ));

    for (a, acct) in accounts.iter().enumerate() {
        let n = if volumes[a] > 0.0 {
            ((volumes[a] * scale).round() as usize).max(1)
        } else {
            0
        };
        let times: Vec<i64> = match acct.kind {
            AccountKind::HyperactiveHuman => human_times(
                rng,
                timeline,
                acct.region,
                n,
                (b.hyper_session_mean, b.hyper_gap_median_ms),
                timeline.window(acct.has(FRENCH)),
            ),
            AccountKind::Amplifier => {
                // Regular clock, 24/7, switched on some hours into the cascade.
                let on = timeline.first_ms + (rng.random_range(0.0..0.2) * span_ms) as i64;
                let period = (timeline.end_ms - on) as f64 / n as f64;
                (0..n)
                    .map(|i| {
                        let jitter =
                            rng.random_range(-b.amplifier_jitter..b.amplifier_jitter) * period;
                        timeline.clamp(on + ((i as f64 + 0.5) * period + jitter) as i64)
                    })
                    .collect()
            }
            AccountKind::Scheduled => scheduled_times(rng, timeline, b, clocks[a], acct.region, n),
            AccountKind::LowVolume => (0..n).map(|_| timeline.sample(rng, None)).collect(),
            _ => Vec::new(),
        };
        for t in times {
            events.push(Event::new(t, a, draw_post_kind(rng, acct.kind), NO_TARGET));
        }
    }

    // Coordinated bursts: a source posts, the group retweets within seconds.
    let mut bursts: Vec<Burst> = Vec::new();
    let n_bursts = ((bursts_per_group * scale).round() as usize).max(2);
    let latency = Exp::new(1.0 / b.coordinated_latency_mean_ms).unwrap();
    for group in &population.groups {
        for _ in 0..n_bursts {
            let source = *pick(rng, &group.sources);
            let t_source = timeline
                .sample(rng, Some(accounts[source].region))
                .min(timeline.end_ms - 120_000);
            events.push(Event::new(t_source, source, PostKind::Original, NO_TARGET));
            let burst = bursts.len() as u32;
            bursts.push((t_source, source));
            let lead = rng.random_range(2000..6000);
            for &member in &group.members {
                if rng.random_bool(0.85) {
                    let t = t_source + lead + (latency.sample(rng) as i64).min(60_000);
                    events.push(Event::new(t, member, PostKind::BurstRetweet, burst));
                }
            }
        }
    }

    // Ordinary humans share what is left, heavy-tailed but capped.
    let humans: Vec<usize> = (0..accounts.len())
        .filter(|&a| accounts[a].kind == AccountKind::Human)
        .collect();
    let budget = (cfg.posts as usize).saturating_sub(events.len());
    let active = humans.len().min(budget);
    if active > 0 {
        let pareto: Pareto<f64> = Pareto::new(1.0, 1.7).unwrap();
        let weights: Vec<f64> = (0..active)
            .map(|i| {
                if accounts[humans[i]].has(DORMANT) {
                    1.0
                } else {
                    pareto.sample(rng).min(25.0)
                }
            })
            .collect();
        let total: f64 = weights.iter().sum();
        let spare = budget - active;
        let mut counts: Vec<usize> = weights
            .iter()
            .map(|w| 1 + (w / total * spare as f64) as usize)
            .collect();
        let mut missing = budget - counts.iter().sum::<usize>();
        while missing > 0 {
            counts[rng.random_range(0..active)] += 1;
            missing -= 1;
        }
        for (i, &n) in counts.iter().enumerate() {
            let a = humans[i];
            let window = timeline.window(accounts[a].has(FRENCH));
            let rhythm = (b.human_session_mean, b.human_gap_median_ms);
            for t in human_times(rng, timeline, accounts[a].region, n, rhythm, window) {
                events.push(Event::new(
                    t,
                    a,
                    draw_post_kind(rng, AccountKind::Human),
                    NO_TARGET,
                ));
            }
        }
    }
    (events, bursts)
}

/// Retweet/quote/reply delay (ms) and the shortest allowed delay.
pub(super) fn reaction_delay(rng: &mut impl Rng, kind: AccountKind, b: &Behaviour) -> (i64, i64) {
    match kind {
        AccountKind::Human => (
            lognormal(rng, b.human_latency_median_ms, 1.3).clamp(20_000.0, 12.0 * 3.6e6) as i64,
            20_000,
        ),
        AccountKind::HyperactiveHuman => (
            lognormal(rng, b.hyper_latency_median_ms, 1.1).clamp(15_000.0, 6.0 * 3.6e6) as i64,
            15_000,
        ),
        AccountKind::Amplifier | AccountKind::Coordinated => (
            (2000.0 + lognormal(rng, b.bot_latency_median_ms, 0.6))
                .min((10.0 * b.bot_latency_median_ms).max(60_000.0)) as i64,
            1500,
        ),
        AccountKind::Scheduled => (rng.random_range(60_000..1_200_000), 30_000),
        AccountKind::LowVolume => (
            (3000.0 + lognormal(rng, b.low_volume_latency_median_ms, 0.7))
                .min(10.0 * b.low_volume_latency_median_ms) as i64,
            2000,
        ),
    }
}

/// One scheduled account's post times. `clock` is its style with the period (ms) of
/// `Period`/`Mixture` or the rate (posts per ms) of `FixedSecond`; `WholeMinutes` derives
/// its period from `n`.
pub(super) fn scheduled_times(
    rng: &mut impl Rng,
    timeline: &Timeline,
    b: &Behaviour,
    (style, param): (ScheduleStyle, f64),
    region: Region,
    n: usize,
) -> Vec<i64> {
    let span_ms = (timeline.end_ms - timeline.first_ms) as f64;
    let jitter = b.schedule_jitter_ms;
    let missed = |rng: &mut dyn rand::RngCore| {
        b.randomised && b.schedule_missed_share > 0.0 && rng.random_bool(b.schedule_missed_share)
    };
    match style {
        ScheduleStyle::WholeMinutes => {
            // Every `period` whole minutes, at second :00.
            let period_min = ((span_ms / 60_000.0 / n as f64).floor() as i64).max(1);
            let first_minute = timeline.first_ms / 60_000 + 1 + rng.random_range(0..period_min);
            let upto = if b.randomised {
                jitter.max(1.0) as i64
            } else {
                900
            };
            let mut times = Vec::with_capacity(n);
            for i in 0..n as i64 {
                let t = (first_minute + i * period_min) * 60_000 + rng.random_range(0..upto);
                if t < timeline.end_ms && !missed(rng) {
                    times.push(t);
                }
            }
            times
        }
        ScheduleStyle::Period | ScheduleStyle::Mixture => {
            let period = param;
            let start = timeline.first_ms as f64 + rng.random_range(0.0..period);
            let slots = ((timeline.end_ms as f64 - start) / period).floor().max(0.0) as usize;
            let mut times = Vec::with_capacity(slots + n);
            for i in 0..slots {
                let t = (start + i as f64 * period + rng.random_range(-jitter..=jitter)) as i64;
                if !missed(rng) {
                    times.push(timeline.clamp(t));
                }
            }
            if style == ScheduleStyle::Mixture {
                let human = ((n as f64) * b.mixture_human_share).round() as usize;
                let window = (timeline.first_ms + 1000, timeline.end_ms - 1);
                let rhythm = (b.human_session_mean, b.human_gap_median_ms);
                times.extend(human_times(rng, timeline, region, human, rhythm, window));
            }
            times
        }
        ScheduleStyle::FixedSecond => {
            // Random minutes (a Poisson process at `param` posts per ms), always at the same
            // second of the minute.
            let second_ms = rng.random_range(0..60) * 1000;
            let gaps = Exp::new(param.max(1e-9)).unwrap();
            let mut times = Vec::new();
            let mut t = timeline.first_ms as f64;
            loop {
                t += gaps.sample(rng).max(60_000.0);
                if t >= timeline.end_ms as f64 {
                    break;
                }
                let minute = (t as i64).div_euclid(60_000) * 60_000;
                let at = minute + second_ms + rng.random_range(-jitter..=jitter) as i64;
                times.push(timeline.clamp(at));
            }
            times
        }
    }
}

/// Per-event and per-account totals gathered while resolving targets.
pub(super) struct Tallies {
    pub(super) retweets: Vec<u32>,
    pub(super) replies: Vec<u16>,
    pub(super) quotes: Vec<u16>,
    pub(super) posts_by_account: Vec<u32>,
}

/// Walk the events in time order and pick what each retweet, quote and
/// reply points at: a retweetable tweet posted about one reaction delay
/// earlier, chosen by preferential attachment (author attention × retweets
/// so far). Reactions with nothing to react to become originals.
pub(super) fn resolve_targets(
    rng: &mut ChaCha8Rng,
    events: &mut [Event],
    accounts: &[Account],
    bursts: &[Burst],
    behaviour: &Behaviour,
) -> Tallies {
    let n = events.len();
    let mut tallies = Tallies {
        retweets: vec![0; n],
        replies: vec![0; n],
        quotes: vec![0; n],
        posts_by_account: vec![0; accounts.len()],
    };
    let mut pool: Vec<u32> = Vec::new();
    let mut pool_t: Vec<i64> = Vec::new();
    let mut last_target = vec![NO_TARGET; accounts.len()];
    for i in 0..n {
        let e = events[i];
        let t = e.key as i64;
        let author = e.author();
        tallies.posts_by_account[author] += 1;
        let target = match e.kind() {
            PostKind::Original => None,
            PostKind::BurstRetweet => {
                let (src_t, src_author) = bursts[e.target as usize];
                let from = pool_t.partition_point(|&x| x < src_t);
                (from..pool.len())
                    .take_while(|&p| pool_t[p] == src_t)
                    .map(|p| pool[p])
                    .find(|&j| events[j as usize].author() == src_author)
            }
            kind => {
                let (delay, min_delay) = reaction_delay(rng, accounts[author].kind, behaviour);
                let chosen = choose_target(
                    rng,
                    &pool,
                    &pool_t,
                    events,
                    accounts,
                    &tallies.retweets,
                    t,
                    delay,
                    min_delay,
                    author,
                    last_target[author],
                );
                // Quotes point at originals: a quote of a quote becomes a quote of its source.
                match (kind, chosen) {
                    (PostKind::Quote, Some(j)) if events[j as usize].kind() == PostKind::Quote => {
                        Some(events[j as usize].target)
                    }
                    _ => chosen,
                }
            }
        };
        let kind = match (e.kind(), target) {
            (PostKind::BurstRetweet, Some(_)) => PostKind::Retweet,
            (_, None) => PostKind::Original,
            (kind, Some(_)) => kind,
        };
        events[i].set_kind(kind);
        events[i].target = target.unwrap_or(NO_TARGET);
        if let Some(j) = target {
            last_target[author] = j;
            let j = j as usize;
            match kind {
                PostKind::Retweet => tallies.retweets[j] += 1,
                PostKind::Quote => tallies.quotes[j] = tallies.quotes[j].saturating_add(1),
                PostKind::Reply => tallies.replies[j] = tallies.replies[j].saturating_add(1),
                _ => {}
            }
        }
        if matches!(kind, PostKind::Original | PostKind::Quote) {
            pool.push(i as u32);
            pool_t.push(t);
        }
    }
    tallies
}

/// Pick among a few random retweetable tweets from around `t - delay`,
/// weighted by attention × (1 + retweets so far).
#[allow(clippy::too_many_arguments)]
pub(super) fn choose_target(
    rng: &mut impl Rng,
    pool: &[u32],
    pool_t: &[i64],
    events: &[Event],
    accounts: &[Account],
    retweets: &[u32],
    t: i64,
    delay: i64,
    min_delay: i64,
    author: usize,
    avoid: u32,
) -> Option<u32> {
    let latest = t - min_delay;
    let centre = t - delay;
    let half_window = (delay / 2).max(5000);
    let end = pool_t.partition_point(|&x| x <= latest.min(centre + half_window));
    if end == 0 {
        return None;
    }
    let begin = pool_t
        .partition_point(|&x| x < centre - half_window)
        .min(end - 1);
    let mut best: Option<(u32, f64)> = None;
    let mut total = 0.0;
    for _ in 0..(end - begin).min(6) {
        let j = pool[rng.random_range(begin..end)];
        let target_author = events[j as usize].author();
        if target_author == author || j == avoid {
            continue;
        }
        let w =
            f64::from(accounts[target_author].attention) * (1.0 + f64::from(retweets[j as usize]));
        // Weighted reservoir choice of one candidate.
        total += w;
        if best.is_none() || rng.random::<f64>() * total < w {
            best = Some((j, w));
        }
    }
    best.map(|(j, _)| j)
        .or_else(|| Some(pool[end - 1]).filter(|&j| events[j as usize].author() != author))
}

/// Snowflake-like ids: (ms since Twitter epoch) << 22 | sequence within the ms.
pub(super) fn assign_tweet_ids(events: &mut [Event]) {
    let mut last_ms = i64::MIN;
    let mut seq = 0u64;
    for e in events.iter_mut() {
        let t = e.key as i64;
        if t == last_ms {
            seq += 1;
        } else {
            last_ms = t;
            seq = 0;
        }
        debug_assert!(seq < (1 << 22));
        e.key = (((t - TWITTER_EPOCH_MS) as u64) << 22) | seq;
    }
}
