//! `host-sim wecom-sim`: the fake WeCom alone, for a host or a test to point at.

use crate::fake_wecom::{self, FakeConfig, Org};
use std::path::PathBuf;

/// `host-sim wecom-sim`: the fake WeCom alone.
#[derive(clap::Args, Clone, Debug)]
pub struct WecomSimArgs {
    /// Organisation JSON file (default: the built-in sample organisation).
    #[arg(long)]
    pub org: Option<PathBuf>,
    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 8089)]
    pub port: u16,
    /// Per-API calls per minute before 45009.
    #[arg(long, default_value_t = 10_000)]
    pub rate_limit_per_min: u32,
    /// Latency added to every API call.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
}

/// Runs the fake until interrupted.
pub fn wecom_sim(args: &WecomSimArgs) -> anyhow::Result<()> {
    let org = match &args.org {
        Some(path) => Org::from_json_file(path)?,
        None => Org::sample(),
    };
    let config = FakeConfig {
        rate_limit_per_min: args.rate_limit_per_min,
        latency_ms: args.latency_ms,
        ..FakeConfig::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await?;
        let addr = listener.local_addr()?;
        println!(
            "模拟企业微信已启动 / fake WeCom listening on http://{addr}  (corp {}, {} apps, {} members)",
            org.corp_id,
            org.apps.len(),
            org.users.len()
        );
        tokio::select! {
            served = fake_wecom::serve(org, config, listener) => served,
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    })
}
