//! Time zones (IANA rules via chrono-tz), the circadian curve and the cascade timeline.

use super::*;

/// Where an account's audience lives; drives the circadian rhythm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Region {
    Paris,
    UsEast,
    UsWest,
}

impl Region {
    /// The IANA zone whose rules (daylight saving included) give local time.
    pub(super) fn zone(self) -> chrono_tz::Tz {
        match self {
            Region::Paris => chrono_tz::Europe::Paris,
            Region::UsEast => chrono_tz::America::New_York,
            Region::UsWest => chrono_tz::America::Los_Angeles,
        }
    }

    /// Offset from UTC in seconds at `t_s`.
    pub(super) fn offset_s(self, t_s: i64) -> i64 {
        use chrono::Offset;
        let utc = Utc.timestamp_opt(t_s, 0).unwrap();
        i64::from(
            utc.with_timezone(&self.zone())
                .offset()
                .fix()
                .local_minus_utc(),
        )
    }

    /// Local hour of day at `t_ms`.
    pub(super) fn local_hour(self, t_ms: i64) -> usize {
        let t_s = t_ms.div_euclid(1000);
        ((t_s + self.offset_s(t_s)).rem_euclid(86_400) / 3600) as usize
    }

    /// Twitter v1.1's `time_zone` name of the region.
    pub(super) fn time_zone(self) -> &'static str {
        match self {
            Region::Paris => "Paris",
            Region::UsEast => "Eastern Time (US & Canada)",
            Region::UsWest => "Pacific Time (US & Canada)",
        }
    }
}

/// Relative activity by local hour (sleep trough, evening peak).
pub(super) const CIRCADIAN: [f64; 24] = [
    0.35, 0.2, 0.12, 0.08, 0.06, 0.08, 0.2, 0.45, 0.7, 0.8, 0.85, 0.9, 0.95, 0.9, 0.85, 0.85, 0.9,
    0.95, 1.0, 1.0, 1.0, 0.95, 0.8, 0.55,
];

/// The Twitter cascade window and its intensity shape.
pub(super) struct Timeline {
    pub(super) first_ms: i64,
    pub(super) end_ms: i64,
    /// Gamma scale in hours: the cascade peaks at 1.5·tau and decays by 7·tau.
    pub(super) tau_h: f64,
    /// See [`SimConfig::language_switch_hours`].
    pub(super) language_switch_ms: Option<i64>,
}

impl Timeline {
    /// A time drawn from the cascade intensity (gamma shape 2.5), optionally
    /// thinned by the circadian curve of `region`. Never at or before the
    /// first tweet.
    pub(super) fn sample(&self, rng: &mut impl Rng, region: Option<Region>) -> i64 {
        let gamma = Gamma::new(2.5, self.tau_h).unwrap();
        let span = (self.end_ms - self.first_ms - 1000) as f64;
        loop {
            let offset = gamma.sample(rng) * 3_600_000.0;
            if offset >= span {
                continue;
            }
            let t = self.first_ms + 1000 + offset as i64;
            match region {
                Some(r) if rng.random::<f64>() > CIRCADIAN[r.local_hour(t)] => continue,
                _ => return t,
            }
        }
    }

    pub(super) fn clamp(&self, t: i64) -> i64 {
        t.clamp(self.first_ms + 1000, self.end_ms - 1)
    }

    /// The times a human of this language may post at (the whole cascade without a
    /// language switch).
    pub(super) fn window(&self, french: bool) -> (i64, i64) {
        match self.language_switch_ms {
            None => (self.first_ms + 1000, self.end_ms - 1),
            Some(s) if french => (s, self.end_ms - 1),
            Some(s) => (self.first_ms + 1000, s - 1),
        }
    }
}
