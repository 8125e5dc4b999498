//! Measuring the run itself: phase timings for benchmarks (`TAGSCOPE_TIMINGS`) and the
//! process's resident memory for `manifest.json`.

/// With `TAGSCOPE_TIMINGS` set, a phase of a stage goes to stderr as
/// `stage: phase: seconds (RSS now / the process's peak so far, MB)`.
pub fn stage_timing(stage: &str, phase: &str, since: std::time::Instant) {
    if std::env::var_os("TAGSCOPE_TIMINGS").is_some() {
        let seconds = since.elapsed().as_secs_f64();
        match resident_mb() {
            (Some(rss), Some(peak)) => {
                eprintln!("{stage}: {phase}: {seconds:.2} s ({rss} / {peak} MB)")
            }
            _ => eprintln!("{stage}: {phase}: {seconds:.2} s"),
        }
    }
}

/// `VmRSS` and `VmHWM` of this process in MB, from /proc/self/status (`None` where there is
/// no such file).
pub fn resident_mb() -> (Option<f64>, Option<f64>) {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return (None, None);
    };
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map(|kb| (kb / 1024.0).round())
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Resident memory of this process in bytes, from /proc/self/statm (its second field, in
/// pages): cheaper to read than /proc/self/status, for sampling.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * u64::try_from(page).ok()?)
}

/// Each stage's own peak resident memory, which the process's peak (`VmHWM`) hides once an
/// earlier stage peaked higher: a thread samples the resident memory every
/// [`PeakSampler::INTERVAL`] and keeps the highest reading since the last
/// [`PeakSampler::take`] (a peak shorter than the interval can be missed). The process's
/// peak is left alone, so `time -v` still reports the whole run's.
pub struct PeakSampler {
    highest: std::sync::Arc<std::sync::atomic::AtomicU64>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl PeakSampler {
    /// Time between two readings.
    pub const INTERVAL: std::time::Duration = std::time::Duration::from_millis(20);

    /// Starts sampling; `None` where resident memory cannot be read (not Linux).
    pub fn start() -> Option<PeakSampler> {
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
        let first = resident_bytes()?;
        let highest = std::sync::Arc::new(AtomicU64::new(first));
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let (highest_in, stop_in) = (highest.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("peak-sampler".into())
            .spawn(move || {
                while !stop_in.load(Ordering::Relaxed) {
                    if let Some(now) = resident_bytes() {
                        highest_in.fetch_max(now, Ordering::Relaxed);
                    }
                    std::thread::sleep(Self::INTERVAL);
                }
            })
            .ok()?;
        Some(PeakSampler {
            highest,
            stop,
            thread: Some(thread),
        })
    }

    /// The highest resident memory (MB, rounded) since the start or the last call, which
    /// starts the next period at the resident memory now.
    pub fn take(&self) -> Option<f64> {
        use std::sync::atomic::Ordering;
        let now = resident_bytes()?;
        let highest = self.highest.swap(now, Ordering::Relaxed).max(now);
        Some((highest as f64 / 1_048_576.0).round())
    }
}

impl Drop for PeakSampler {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A period's peak includes an allocation made and freed within it, and the next
    /// period's does not. Resident memory is the whole test process's, which other tests
    /// change as they run: 1 GB and wide margins keep their small tables out of the result.
    #[test]
    fn each_period_has_its_own_peak() {
        let Some(sampler) = PeakSampler::start() else {
            return; // no /proc: nothing to sample
        };
        let before = sampler.take().unwrap();
        let big: Vec<u8> = vec![1; 1 << 30];
        std::hint::black_box(&big);
        std::thread::sleep(PeakSampler::INTERVAL * 5);
        drop(big);
        let with_big = sampler.take().unwrap();
        std::thread::sleep(PeakSampler::INTERVAL * 5);
        let after = sampler.take().unwrap();
        assert!(
            with_big >= before + 700.0,
            "{before} MB, then {with_big} MB"
        );
        assert!(after < with_big - 500.0, "{with_big} MB, then {after} MB");
    }
}
