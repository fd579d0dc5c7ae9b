//! Writes the organisation and the `accounts.json` that `host-sim bench --e2e` generates, so the
//! operator's path can be run by hand, as `bench --e2e` runs it (each command its own process
//! against `host-sim wecom-sim`):
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
use host_sim::bench::e2e::write_files;
use host_sim::bench::generate::Spec;
use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: e2e_files MEMBERS FOLDER";
    let users: usize = args.next().context(usage)?.parse().context(usage)?;
    let dir = PathBuf::from(args.next().context(usage)?);
    std::fs::create_dir_all(&dir).with_context(|| format!("could not create {}", dir.display()))?;
    let spec = Spec { users, departments: (users / 20).max(1), tags: 50, seed: 42 };
    let written = write_files(spec, &dir, true)?;
    println!("{} members, {} accounts written to {}", written.org.users.len(), written.accounts, dir.display());
    Ok(())
}
