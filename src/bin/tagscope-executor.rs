//! A Ballista executor for tagscope's distributed path (`--features distributed`): the
//! library's executor process, with DataFusion's array functions registered (Ballista's
//! default executor registry lacks them, and the reductions unnest hashtag, URL and mention
//! lists). Started by `scripts/local-cluster.sh`.

use std::sync::Arc;

use ballista_core::object_store::{runtime_env_with_s3_support, session_config_with_s3_support};
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use clap::Parser;

/// Ballista executor for `tagscope reduce --engine df://HOST:PORT`.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to bind and to give the scheduler.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Arrow Flight port (shuffle and result fetches).
    #[arg(long)]
    port: u16,
    /// gRPC port the scheduler sends tasks to.
    #[arg(long)]
    grpc_port: u16,
    /// Scheduler host.
    #[arg(long, default_value = "127.0.0.1")]
    scheduler_host: String,
    /// Scheduler port.
    #[arg(long, default_value_t = 50050)]
    scheduler_port: u16,
    /// Folder for shuffle files (created if missing; Ballista's default temporary folder is
    /// removed as soon as it is made).
    #[arg(long)]
    work_dir: String,
    /// Tasks run at once.
    #[arg(long, default_value_t = 1)]
    concurrent_tasks: usize,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    std::fs::create_dir_all(&args.work_dir)?;
    let mut registry = BallistaFunctionRegistry::default();
    for function in datafusion::functions_nested::all_default_nested_functions() {
        registry
            .scalar_functions
            .insert(function.name().to_string(), function);
    }
    let config = ExecutorProcessConfig {
        bind_host: args.host.clone(),
        external_host: Some(args.host),
        port: args.port,
        grpc_port: args.grpc_port,
        scheduler_host: args.scheduler_host,
        scheduler_port: args.scheduler_port,
        // Any value above 0 retries every 500 ms until the scheduler answers.
        scheduler_connect_timeout_seconds: 30,
        vcores: args.concurrent_tasks,
        work_dir: Some(args.work_dir),
        override_function_registry: Some(Arc::new(registry)),
        // Ballista's S3 object-store registry (`--store s3://...`; credentials and endpoint
        // from the AWS_* variables), as Ballista's own executor binary has it.
        override_config_producer: Some(Arc::new(session_config_with_s3_support)),
        override_runtime_producer: Some(Arc::new(runtime_env_with_s3_support)),
        ..ExecutorProcessConfig::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(32 << 20)
        .build()?;
    runtime.block_on(start_executor_process(Arc::new(config)))?;
    Ok(())
}
