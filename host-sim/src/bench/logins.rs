//! `host-sim bench --logins N`: N members logging in at once through the platform's web server
//! (`serve`'s own [`crate::cli::serve::open_platform`]) against the fake WeCom at `--latency-ms`.
//!
//! Each login is the full in-client round trip over HTTP ([`crate::cli::login_flow::drive`]): the
//! platform's start page, WeCom's authorize redirect (served by the fake), the platform's
//! callback, which exchanges the code through the plugin (`auth/getuserinfo`, then `user/get` for
//! the member's status). The first N active members of the generated organisation each have a
//! bound account, so every login should sign in. Reported: logins/s, p50/p99 of one login, and
//! WeCom calls per login by endpoint (a token refresh storm would show as many `gettoken`).

use super::generate::{generate, Spec, AGENT_ID, CORP_ID, SECRET};
use super::BenchArgs;
use crate::cli::login_flow::{drive, IN_CLIENT_UA};
use crate::cli::serve::open_platform;
use crate::cli::session::WecomArgs;
use crate::fake_wecom::{FakeConfig, FakeWecom};
use crate::host::session::PlatformUrls;
use crate::store::Store;
use anyhow::{bail, Context};
use interface::{Binding, PlatformAccount};
use std::io::Write;
use std::time::{Duration, Instant};

/// `host-sim bench --logins N`.
pub fn run(args: &BenchArgs, logins: usize, out: &mut dyn Write) -> anyhow::Result<bool> {
    // The platform's address must be known before the organisation is made: the app's homepage
    // and trusted domain name it, and configure checks them.
    let port = {
        let probe = std::net::TcpListener::bind(("127.0.0.1", 0)).context("no free port")?;
        probe.local_addr()?.port()
    };
    let platform = PlatformUrls::at(&format!("http://127.0.0.1:{port}"));
    let spec = Spec { users: args.users.max(logins), departments: args.departments, tags: args.tags, seed: args.seed };
    let generated = generate(spec, &platform);
    let members: Vec<(String, String)> = generated
        .org
        .users
        .iter()
        .filter(|u| u.status == 1)
        .take(logins)
        .map(|u| (u.userid.clone(), u.name.clone()))
        .collect();
    if members.len() < logins {
        bail!("only {} active members; raise --users", members.len());
    }
    let mut store = Store::in_memory()?;
    let accounts: Vec<PlatformAccount> = members
        .iter()
        .map(|(userid, name)| PlatformAccount {
            id: format!("acct-{userid}").into(),
            name: name.as_str().into(),
            ..Default::default()
        })
        .collect();
    store.import_accounts(&accounts)?;
    let bindings: Vec<Binding> = members
        .iter()
        // Confirmed bindings (an operator's): the steady state the bench measures, one click each.
        .map(|(userid, _)| Binding {
            userid: userid.as_str().into(),
            account_id: format!("acct-{userid}").into(),
            evidence: interface::Evidence::Operator,
        })
        .collect();
    store.import_bindings(&bindings)?;

    let config = FakeConfig {
        latency_ms: args.latency_ms,
        rate_limit_per_min: args.rate_limit_per_min,
        ..FakeConfig::default()
    };
    let fake = FakeWecom::start(generated.org, config, 0).context("could not start the fake WeCom")?;
    let wecom = WecomArgs {
        wecom_base_url: Some(fake.base_url()),
        // The fake serves WeCom's login pages too; the real pages are on WeCom's own hosts.
        authorize_base_url: Some(fake.base_url()),
        web_login_base_url: Some(fake.base_url()),
        corp_id: Some(CORP_ID.into()),
        agent_id: Some(AGENT_ID.to_string()),
        secret: Some(SECRET.into()),
        plugin: args.plugin.clone(),
        ..WecomArgs::default()
    };
    let open = open_platform(&wecom, port, store, None).context("the platform did not start")?;
    let base = open.server.base_url.clone();
    fake.reset_counts();

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let started = Instant::now();
    let results: Vec<(Duration, anyhow::Result<String>)> = runtime.block_on(async {
        let mut jobs = tokio::task::JoinSet::new();
        for (userid, _) in &members {
            let (base, userid) = (base.clone(), userid.clone());
            jobs.spawn(async move {
                let t = Instant::now();
                let outcome = drive(&base, &userid, IN_CLIENT_UA).await.map(|trace| trace.outcome);
                (t.elapsed(), outcome)
            });
        }
        let mut results = Vec::new();
        while let Some(joined) = jobs.join_next().await {
            results.push(joined.unwrap_or_else(|e| (Duration::ZERO, Err(anyhow::anyhow!("task: {e}")))));
        }
        results
    });
    let wall = started.elapsed().as_secs_f64();
    let counts = fake.request_counts();
    drop(open);
    drop(fake);

    let signed_in = results.iter().filter(|(_, r)| r.as_deref().ok() == Some("signed-in")).count();
    let errors: Vec<String> = results.iter().filter_map(|(_, r)| r.as_ref().err().map(|e| format!("{e:#}"))).collect();
    let mut times: Vec<f64> = results.iter().map(|(d, _)| d.as_secs_f64()).collect();
    times.sort_by(f64::total_cmp);
    let pct = |p: f64| times.get(((times.len() as f64 * p).ceil() as usize).saturating_sub(1)).copied().unwrap_or(0.0);
    let per_login = |n: u64| n as f64 / logins.max(1) as f64;
    let json = serde_json::json!({
        "logins": logins,
        "latency_ms": args.latency_ms,
        "signed_in": signed_in,
        "errors": errors.iter().take(5).collect::<Vec<_>>(),
        "wall_secs": wall,
        "logins_per_sec": logins as f64 / wall.max(f64::EPSILON),
        "p50_secs": pct(0.50),
        "p99_secs": pct(0.99),
        "max_secs": times.last().copied().unwrap_or(0.0),
        "wecom_calls": counts,
        "wecom_calls_per_login": counts.iter().map(|(k, v)| (k.clone(), per_login(*v))).collect::<std::collections::BTreeMap<_, _>>(),
    });
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
    } else {
        writeln!(
            out,
            "并发登录 / concurrent logins: {logins} 名成员同时登录 / members at once through the platform, WeCom latency {} ms",
            args.latency_ms
        )?;
        writeln!(out, "  signed in          {signed_in} of {logins} ({} errors)", errors.len())?;
        writeln!(out, "  wall time          {wall:.3} s, {:.1} logins/s", logins as f64 / wall.max(f64::EPSILON))?;
        writeln!(
            out,
            "  one login          p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
            pct(0.50) * 1000.0,
            pct(0.99) * 1000.0,
            times.last().copied().unwrap_or(0.0) * 1000.0
        )?;
        for (endpoint, n) in &counts {
            writeln!(out, "  WeCom {endpoint:<22} {n:>5} calls, {:.2} per login", per_login(*n))?;
        }
        for e in errors.iter().take(5) {
            writeln!(out, "  ! {e}")?;
        }
    }
    Ok(signed_in == logins)
}
