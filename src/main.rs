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

fn main() -> ExitCode {
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
