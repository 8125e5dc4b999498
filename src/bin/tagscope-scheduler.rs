//! A Ballista scheduler for tagscope's distributed path (`--features distributed`): the
//! library's scheduler process with in-memory cluster state, gRPC and the `/readyz` probe on
//! one port. Started by `scripts/local-cluster.sh`; on a real cluster use Ballista's own
//! scheduler image (the protocol is the same crate version).

use std::net::SocketAddr;
use std::sync::Arc;

use ballista_core::object_store::{session_config_with_s3_support, session_state_with_s3_support};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::start_server;
use clap::Parser;

/// Ballista scheduler for `tagscope reduce --engine df://HOST:PORT`.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to bind and to give executors.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// gRPC (and `/readyz`) port.
    #[arg(long, default_value_t = 50050)]
    port: u16,
    /// `/readyz` answers 200 once this many executors are registered.
    #[arg(long, default_value_t = 1)]
    min_ready_executors: usize,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    // As Ballista's own scheduler main: physical plans are decoded recursively.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(32 << 20)
        .build()?;
    runtime.block_on(async {
        let address: SocketAddr = format!("{}:{}", args.host, args.port).parse()?;
        let config = SchedulerConfig {
            bind_host: args.host.clone(),
            min_ready_executors: args.min_ready_executors,
            ..SchedulerConfig::default()
        }
        .with_hostname(args.host.clone())
        .with_port(args.port)
        // Ballista's S3 object-store registry (`--store s3://...`), as its own scheduler
        // binary has it: the scheduler lists the tables' files when it plans.
        .with_override_config_producer(Arc::new(session_config_with_s3_support))
        .with_override_session_builder(Arc::new(session_state_with_s3_support));
        let cluster = BallistaCluster::new_from_config(&config).await?;
        start_server(cluster, address, Arc::new(config)).await?;
        Ok(())
    })
}
