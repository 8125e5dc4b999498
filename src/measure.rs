//! Measuring the run itself: phase timings for benchmarks (`TAGSCOPE_TIMINGS`) and the
//! process's resident memory for `manifest.json`.

/// With `TAGSCOPE_TIMINGS` set, a phase of a stage goes to stderr as
/// `stage: phase: seconds (RSS now / peak so far, MB)`.
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
