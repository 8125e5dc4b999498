//! Axes: time axes for any span (minutes to years) and value axes, with their ticks
//! and labels.

use super::*;

// ---------------------------------------------------------------------------
// Axes

/// Tick label text for an axis (plotters' default is `Debug`).
pub(super) trait AxisLabels<V> {
    fn label(&self, v: &V) -> String;
    fn tick_values(&self) -> Vec<V>;
}

/// Time axis in Unix ms with ticks at round wall-clock times of the figure's
/// zone (so DST days still tick at 00:00, 06:00, ...).
#[derive(Clone)]
pub(super) struct TimeAxis {
    pub(super) range: Range<i64>,
    pub(super) ticks: Vec<i64>,
    pub(super) tz: Tz,
    pub(super) fmt: &'static str,
}

/// A tick step: minutes of wall-clock time (sub-day steps divide a day; day steps tick
/// at local midnight, weeks on Mondays), or calendar months (ticks on the 1st; twelve or
/// more months tick on 1 January), so that axes from minutes to decades get round ticks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum TickStep {
    Minutes(i64),
    Months(i64),
}

impl TickStep {
    /// Length used to space candidate ticks (a month counted as 30.44 days).
    pub(super) fn approx_ms(self) -> i64 {
        match self {
            TickStep::Minutes(m) => m * MINUTE_MS,
            TickStep::Months(n) => n * 2_629_746_000,
        }
    }
}

/// Candidate tick steps, finest first: 1 minute to 4 weeks, then months to decades.
pub(super) const TICK_STEPS: [TickStep; 26] = [
    TickStep::Minutes(1),
    TickStep::Minutes(2),
    TickStep::Minutes(5),
    TickStep::Minutes(10),
    TickStep::Minutes(15),
    TickStep::Minutes(30),
    TickStep::Minutes(60),
    TickStep::Minutes(120),
    TickStep::Minutes(180),
    TickStep::Minutes(360),
    TickStep::Minutes(720),
    TickStep::Minutes(1440),
    TickStep::Minutes(2880),
    TickStep::Minutes(10_080),
    TickStep::Minutes(20_160),
    TickStep::Months(1),
    TickStep::Months(2),
    TickStep::Months(3),
    TickStep::Months(6),
    TickStep::Months(12),
    TickStep::Months(24),
    TickStep::Months(60),
    TickStep::Months(120),
    TickStep::Months(240),
    TickStep::Months(600),
    TickStep::Months(1200),
];

impl TimeAxis {
    /// Picks the smallest step whose labels do not collide at `plot_w` pixels.
    /// `None` (no data) gives an axis without ticks.
    pub(super) fn new(
        root: &Area<'_>,
        ctx: &Ctx,
        range: Option<Range<i64>>,
        plot_w: i32,
    ) -> Result<Self> {
        let Some(range) = range else {
            return Ok(Self {
                range: 0..MIN_SPAN_MS,
                ticks: Vec::new(),
                tz: ctx.tz,
                fmt: "%H:%M",
            });
        };
        let span = (range.end - range.start).max(1) as f64;
        let font = ctx.tick_font();
        let gap = ctx.px(20.0);
        for step in TICK_STEPS {
            let fmt = time_format(ctx.tz, range.start, range.end, step);
            let spacing = step.approx_ms() as f64 / span * f64::from(plot_w);
            let sample = text_w(root, &fmt_time(ctx.tz, range.start, fmt), &font)?;
            if spacing < f64::from(sample + gap) {
                continue;
            }
            let ticks = time_ticks(ctx.tz, &range, step);
            let mut widest = 0;
            for t in &ticks {
                widest = widest.max(text_w(root, &fmt_time(ctx.tz, *t, fmt), &font)?);
            }
            // Months vary in length: leave them a little more room.
            let need = match step {
                TickStep::Minutes(_) => f64::from(widest + gap),
                TickStep::Months(_) => f64::from(widest + gap) * 1.1,
            };
            if spacing >= need {
                return Ok(Self {
                    range,
                    ticks,
                    tz: ctx.tz,
                    fmt,
                });
            }
        }
        Ok(Self {
            range,
            ticks: Vec::new(),
            tz: ctx.tz,
            fmt: "%Y",
        })
    }

    /// The tick labels as drawn.
    pub(super) fn labels(&self) -> Vec<String> {
        self.ticks
            .iter()
            .map(|t| fmt_time(self.tz, *t, self.fmt))
            .collect()
    }
}

impl Ranged for TimeAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = i64;
    fn map(&self, value: &i64, limit: (i32, i32)) -> i32 {
        let f = frac(*value, &self.range);
        limit.0 + (f * f64::from(limit.1 - limit.0)).round() as i32
    }
    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<i64> {
        // Light (minor) grid lines are not used.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }
    fn range(&self) -> Range<i64> {
        self.range.clone()
    }
}

impl AxisLabels<i64> for TimeAxis {
    fn label(&self, v: &i64) -> String {
        fmt_time(self.tz, *v, self.fmt)
    }
    fn tick_values(&self) -> Vec<i64> {
        self.ticks.clone()
    }
}

/// Linear or log value axis with "nice" ticks (1, 2, 5 × 10^k).
#[derive(Clone, Debug)]
pub(super) struct ValueAxis {
    pub(super) lo: f64,
    pub(super) hi: f64,
    pub(super) log: bool,
    pub(super) ticks: Vec<f64>,
    /// Decimals for linear tick labels; log labels pick per value.
    pub(super) decimals: usize,
}

impl ValueAxis {
    pub(super) fn empty() -> Self {
        Self {
            lo: 0.0,
            hi: 1.0,
            log: false,
            ticks: Vec::new(),
            decimals: 0,
        }
    }

    pub(super) fn fixed(lo: f64, hi: f64, step: f64) -> Self {
        let n = ((hi - lo) / step).round() as usize;
        Self {
            lo,
            hi,
            log: false,
            ticks: (0..=n).map(|i| lo + i as f64 * step).collect(),
            decimals: decimals_for(step),
        }
    }

    /// Axis for non-negative counts. Linear starts at 0; log starts just
    /// below the smallest positive value (0.5 when there are zeros, which
    /// are then drawn on the bottom edge).
    pub(super) fn for_counts(values: &[f64], log: bool, target: usize) -> Self {
        let finite = values.iter().copied().filter(|v| v.is_finite());
        let max = finite.clone().fold(f64::NEG_INFINITY, f64::max);
        let min = finite.clone().fold(f64::INFINITY, f64::min);
        if log {
            let min_pos = finite.filter(|v| *v > 0.0).fold(f64::INFINITY, f64::min);
            if !min_pos.is_finite() {
                return Self::log_axis(0.5, 10.0);
            }
            let lo = if min <= 0.0 {
                min_pos.min(1.0) * 0.5
            } else {
                min_pos / 1.5
            };
            let hi = (max * 1.5).max(lo * 10.0);
            let mut axis = Self::log_axis(lo, hi);
            // Counts: no "0.5" tick just because zeros sit on the floor.
            if min_pos >= 1.0 && axis.ticks.iter().filter(|v| **v >= 1.0).count() >= 2 {
                axis.ticks.retain(|v| *v >= 1.0);
            }
            axis
        } else {
            let lo = if min.is_finite() { min.min(0.0) } else { 0.0 };
            let hi = if max.is_finite() && max > lo {
                max
            } else {
                lo + 1.0
            };
            // Counts are whole: a panel with one post gets ticks 0, 1, 2, not 0.0, 0.5, 1.0, 1.5.
            let step = nice_step((hi - lo) / target.max(1) as f64).max(1.0);
            Self::linear_with_step(lo, hi, step)
        }
    }

    fn linear_with_step(lo: f64, hi: f64, step: f64) -> Self {
        let lo_t = (lo / step).floor() * step;
        let hi_t = (hi * 1.04 / step).ceil() * step;
        let n = ((hi_t - lo_t) / step).round() as usize;
        Self {
            lo: lo_t,
            hi: hi_t.max(lo_t + step),
            log: false,
            ticks: (0..=n).map(|i| lo_t + i as f64 * step).collect(),
            decimals: decimals_for(step),
        }
    }

    pub(super) fn log_axis(lo: f64, hi: f64) -> Self {
        let (d0, d1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
        let mults: &[f64] = if d1 - d0 > 4 {
            &[1.0]
        } else {
            &[1.0, 2.0, 5.0]
        };
        let mut ticks = Vec::new();
        for d in d0..=d1 {
            for m in mults {
                let v = m * 10f64.powi(d);
                if v >= lo * 0.999 && v <= hi * 1.001 {
                    ticks.push(v);
                }
            }
        }
        Self {
            lo,
            hi,
            log: true,
            ticks,
            decimals: 0,
        }
    }
}

impl Ranged for ValueAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;
    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let f = if self.log {
            let v = value.max(self.lo);
            (v.ln() - self.lo.ln()) / (self.hi.ln() - self.lo.ln())
        } else {
            (value - self.lo) / (self.hi - self.lo)
        };
        let f = if f.is_finite() {
            f.clamp(-0.05, 1.05)
        } else {
            0.0
        };
        limit.0 + (f * f64::from(limit.1 - limit.0)).round() as i32
    }
    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }
    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

impl AxisLabels<f64> for ValueAxis {
    fn label(&self, v: &f64) -> String {
        let d = if self.log {
            decimals_for(*v)
        } else {
            self.decimals
        };
        fmt_num(*v, d)
    }
    fn tick_values(&self) -> Vec<f64> {
        self.ticks.clone()
    }
}

pub(super) fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let m = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    m * mag
}

pub(super) fn decimals_for(step: f64) -> usize {
    if step >= 1.0 || step <= 0.0 || !step.is_finite() {
        0
    } else {
        (-step.log10() - 1e-9).ceil().clamp(0.0, 10.0) as usize
    }
}

/// Fixed decimals with thousands separators ("12,500").
pub(super) fn fmt_num(v: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (s, None),
    };
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(&f);
    }
    if v < 0.0 && out.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.insert(0, '-');
    }
    out
}

pub(super) fn group_int(v: u64) -> String {
    fmt_num(v as f64, 0)
}

pub(super) fn fmt_score(v: f64) -> String {
    format!("{v:.2}")
}

// ---------------------------------------------------------------------------
// Time helpers

pub(super) fn fmt_time(tz: Tz, ms: i64, fmt: &str) -> String {
    match tz.timestamp_millis_opt(ms).single() {
        Some(t) => t.format(fmt).to_string(),
        None => String::new(),
    }
}

pub(super) fn local_date(tz: Tz, ms: i64) -> Option<NaiveDate> {
    tz.timestamp_millis_opt(ms).single().map(|t| t.date_naive())
}

/// Tick label format: the year whenever the axis crosses a year ("%Y" for yearly
/// steps, "%b %Y" for monthly, "%d %b %Y" for days), else "%H:%M" within one local
/// day, "%d %b %H:%M" across days and "%d %b" for steps of a day or more.
pub(super) fn time_format(tz: Tz, lo: i64, hi: i64, step: TickStep) -> &'static str {
    let year = |ms| local_date(tz, ms).map(|d| d.year());
    let crosses_year = year(lo) != year(hi);
    match step {
        TickStep::Months(n) if n >= 12 => "%Y",
        TickStep::Months(_) => "%b %Y",
        TickStep::Minutes(m) if m >= DAY_MIN => {
            if crosses_year {
                "%d %b %Y"
            } else {
                "%d %b"
            }
        }
        TickStep::Minutes(_) => {
            if local_date(tz, lo) == local_date(tz, hi) {
                "%H:%M"
            } else if crosses_year {
                "%d %b %Y %H:%M"
            } else {
                "%d %b %H:%M"
            }
        }
    }
}

/// Ticks at multiples of the step in local wall-clock time: sub-day steps divide
/// 1440 minutes; day steps fall on local midnights (weeks on Mondays); month steps on
/// the 1st of months whose index (year × 12 + month) is a multiple of the step.
pub(super) fn time_ticks(tz: Tz, range: &Range<i64>, step: TickStep) -> Vec<i64> {
    let (Some(d0), Some(d1)) = (local_date(tz, range.start), local_date(tz, range.end)) else {
        return Vec::new();
    };
    let to_utc = |n: NaiveDateTime| {
        tz.from_local_datetime(&n)
            .earliest()
            .map(|t| t.timestamp_millis())
    };
    // Some zones skip midnight on DST days; 01:00 then stands in.
    let midnight_utc = |d: NaiveDate| {
        let midnight = d.and_hms_opt(0, 0, 0).expect("valid midnight");
        to_utc(midnight).or_else(|| to_utc(midnight + chrono::Duration::hours(1)))
    };
    let mut ticks = Vec::new();
    match step {
        TickStep::Months(n) => {
            let index = |d: NaiveDate| i64::from(d.year()) * 12 + i64::from(d.month0());
            let (first, last) = (index(d0), index(d1));
            let mut k = first.div_euclid(n) * n;
            while k <= last {
                let (y, m) = (k.div_euclid(12), k.rem_euclid(12) + 1);
                if let Some(t) = i32::try_from(y)
                    .ok()
                    .and_then(|y| NaiveDate::from_ymd_opt(y, m as u32, 1))
                    .and_then(midnight_utc)
                {
                    ticks.push(t);
                }
                k += n;
            }
        }
        TickStep::Minutes(step_min) => {
            let mut d = d0;
            let mut guard = 0;
            while d <= d1 && guard < 200_000 {
                guard += 1;
                if step_min < DAY_MIN {
                    let midnight = d.and_hms_opt(0, 0, 0).expect("valid midnight");
                    for k in 0..(DAY_MIN / step_min) {
                        if let Some(t) = to_utc(midnight + chrono::Duration::minutes(k * step_min))
                        {
                            ticks.push(t);
                        }
                    }
                } else {
                    let n = step_min / DAY_MIN;
                    if (i64::from(d.num_days_from_ce()) - 1).rem_euclid(n) == 0 {
                        ticks.extend(midnight_utc(d));
                    }
                }
                match d.succ_opt() {
                    Some(n) => d = n,
                    None => break,
                }
            }
        }
    }
    ticks.retain(|t| range.contains(t) || *t == range.end);
    ticks.sort_unstable();
    ticks.dedup();
    ticks
}

/// "time (Europe/Paris, UTC+02:00), 05 May 2017 – 07 May 2017": the zone and
/// the dates, since tick labels omit the year.
pub(super) fn time_desc(tz: Tz, lo: Option<i64>, hi: Option<i64>) -> String {
    let (Some(lo), Some(hi)) = (lo, hi) else {
        return format!("time ({})", tz.name());
    };
    let offset = |ms: i64| {
        tz.timestamp_millis_opt(ms)
            .single()
            .map(|t| t.offset().fix().local_minus_utc())
            .unwrap_or(0)
    };
    let fmt_off = |s: i32| {
        let sign = if s < 0 { '-' } else { '+' };
        let s = s.abs();
        format!("{sign}{:02}:{:02}", s / 3600, (s % 3600) / 60)
    };
    let zone = if tz == Tz::UTC {
        "UTC".to_string()
    } else if offset(lo) == offset(hi) {
        format!("{}, UTC{}", tz.name(), fmt_off(offset(lo)))
    } else {
        format!(
            "{}, UTC{}/{}",
            tz.name(),
            fmt_off(offset(lo)),
            fmt_off(offset(hi))
        )
    };
    let (a, b) = (fmt_time(tz, lo, "%d %b %Y"), fmt_time(tz, hi, "%d %b %Y"));
    if a == b {
        format!("time ({zone}), {a}")
    } else {
        format!("time ({zone}), {a} – {b}")
    }
}

/// Padded x range; at least `MIN_SPAN_MS` wide, centred on the data.
pub(super) fn time_range(lo: Option<i64>, hi: Option<i64>, pad_frac: f64) -> Option<Range<i64>> {
    let (lo, hi) = (lo?, hi?);
    let pad = ((hi - lo) as f64 * pad_frac) as i64;
    let (mut a, mut b) = (lo - pad, hi + pad);
    if b - a < MIN_SPAN_MS {
        let extra = MIN_SPAN_MS - (b - a);
        a -= extra / 2;
        b += extra - extra / 2;
    }
    Some(a..b)
}
