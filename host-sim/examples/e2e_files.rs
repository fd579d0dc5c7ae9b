//! Writes the organisation and the `accounts.json` that `host-sim bench --e2e` generates, so the
//! operator's path can be run as separate `host-sim` processes against `host-sim wecom-sim` (each
//! step's peak then is that command's alone, without the fake in the same process):
//!
//! ```sh
//! cargo run --release -p host-sim --example e2e_files -- 100000 /tmp/e2e   # org.json, accounts.json
//! target/release/host-sim wecom-sim --org /tmp/e2e/org.json --port 18931 --latency-ms 20 &
//! W="--wecom-base-url http://127.0.0.1:18931 --corp-id ww5e1b2c3d4f6a7b80 --agent-id 1000002 \
//!    --secret wanxiang-bench-secret-00000000000000000042 --db /tmp/e2e/host-sim.db"
//! /usr/bin/time -v target/release/host-sim accounts import /tmp/e2e/accounts.json --db /tmp/e2e/host-sim.db
//! /usr/bin/time -v target/release/host-sim sync $W
//! /usr/bin/time -v target/release/host-sim commit --dry-run $W
//! /usr/bin/time -v target/release/host-sim commit $W
//! ```
//!
//! Same generator, seed (42), departments (members / 20) and tags (50) as the bench; the app's
//! home page and trusted domain are set as `sync` sets them on its built-in fake.

use anyhow::Context;
use host_sim::bench::generate::{generate, Spec};
use host_sim::host::session::PlatformUrls;
use std::io::Write;
use std::path::{Path, PathBuf};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: e2e_files MEMBERS FOLDER";
    let users: usize = args.next().context(usage)?.parse().context(usage)?;
    let dir = PathBuf::from(args.next().context(usage)?);
    std::fs::create_dir_all(&dir).with_context(|| format!("could not create {}", dir.display()))?;
    let platform = PlatformUrls::at(host_sim::defaults::DEMO_PLATFORM);
    let generated = generate(Spec { users, departments: (users / 20).max(1), tags: 50, seed: 42 }, &platform);
    let mut org = generated.org;
    if let Some(app) = org.apps.first_mut() {
        app.home_url = platform.homepage.clone();
        app.redirect_domain = platform.trusted_domain();
    }
    let accounts: Vec<serde_json::Value> = generated
        .accounts
        .iter()
        .map(|a| {
            serde_json::json!({
                "id": a.id.as_str(),
                "name": a.name.as_str(),
                "departments": a.departments.iter().map(|d| d.as_str()).collect::<Vec<_>>(),
                "enabled": a.enabled,
            })
        })
        .collect();
    write_json(&dir.join("accounts.json"), &accounts)?;
    write_json(&dir.join("org.json"), &org)?;
    println!("{} members, {} accounts written to {}", org.users.len(), accounts.len(), dir.display());
    Ok(())
}

fn write_json(path: &Path, value: &impl serde::Serialize) -> anyhow::Result<()> {
    let file = std::fs::File::create(path).with_context(|| format!("could not create {}", path.display()))?;
    let mut writer = std::io::BufWriter::new(file);
    serde_json::to_writer(&mut writer, value)?;
    writer.flush()?;
    Ok(())
}
