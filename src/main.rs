use std::process::ExitCode;

use clap::Parser;

mod cli;
mod commands;

use cli::Cli;

/// mimalloc: ingest allocates many small strings from several threads, where glibc's
/// allocator spent about a sixth of the time (measured with perf on 200,000 tweets). Built
/// with `no_thp` (Cargo.toml): with transparent huge pages its purged 2 MB pages were zeroed
/// again on reuse, 15% of ingest samples in `clear_page`; `run` on a million tweets took
/// 28.6–29.5 s with them and 26.0–26.2 s without.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Stack of each rayon worker. The readers parse JSON on these threads, and serde_json
/// recurses once per nesting level up to its limit of 128: an unoptimised build needs more
/// than the default 2 MiB for that (`nesting_at_the_limit_is_read_and_beyond_it_named`
/// overflowed it at opt-level 0). Stacks are reserved, not committed: untouched pages cost
/// no memory.
const WORKER_STACK_BYTES: usize = 16 << 20;

/// mimalloc's `mi_option_purge_delay` (its place in `mi_option_e`, mimalloc.h; the Rust
/// bindings name no constant for it).
const MI_OPTION_PURGE_DELAY: libc::c_int = 15;

/// How long freed memory stays with the allocator before it goes back to the system, in ms.
/// mimalloc's default, 1000, let the stages' freed tables pile up (1M run: peak 1,003 MB);
/// 0 returns it at once but faults every reused page in again (10M run: 110 s of system
/// time); 10 keeps the peak of 0 (678 MB) and the time of 1000 (13.6 s, system time 3.4 s;
/// measured 2026-12-02, README "Performance"). `MIMALLOC_PURGE_DELAY` still overrides it.
const PURGE_DELAY_MS: libc::c_long = 10;

fn main() -> ExitCode {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one documented option of the allocator this binary links; mimalloc
        // reads options atomically, so a change while it runs is allowed.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) };
    }
    // Fails only if a pool was built already, which nothing in the binary does before this.
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(WORKER_STACK_BYTES)
        .build_global();
    let cli = Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let chain: Vec<String> = error.chain().map(ToString::to_string).collect();
            eprintln!("tagscope: error: {}", chain.join(": "));
            ExitCode::FAILURE
        }
    }
}
