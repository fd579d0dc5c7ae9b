//! `host-sim bench --callbacks N`: a burst of N `create_user` and N `delete_user` callbacks
//! posted over [`WINDOW`] to the platform's callback URL (`serve`'s own
//! [`crate::cli::serve::open_platform_full`], real HTTP, encrypted and signed by the fake's own
//! WXBizMsgCrypt) on the generated organisation at `--latency-ms`.
//!
//! Events carry ids only (a contact-sync receiver set up after 2022-08-15), so every create is
//! completed with `user/get`; [`LAGGING_SHARE`] of the creates arrive [`LAG`] before WeCom shows
//! the member (`user/get` answers 60111 and the lists leave it out until then). The leavers are
//! bound members. The directory edits are made in the fake before the first post (one edit of a
//! 100,000-member organisation, instead of one per event), so a leaver is already gone from WeCom
//! when its event arrives and a newcomer is there, lag aside.
//!
//! Measured per event: arrival (the post) to applied (the follower's outcome recorded), p50/p99
//! for deletes and creates; full reads (reconciles); WeCom calls by path. Judged: every delete
//! applied within [`DELETE_TARGET`], at most [`READS_TARGET`] full reads, every create settled.

use super::generate::{generate, Spec, AGENT_ID, CORP_ID, SECRET};
use super::BenchArgs;
use crate::cli::callback_options::CallbackOptions;
use crate::cli::serve::open_platform_full;
use crate::cli::session::WecomArgs;
use crate::fake_wecom::{CallbackPusher, ContactEvent, DirectoryLag, FakeConfig, FakeWecom, User};
use crate::host::session::PlatformUrls;
use crate::store::Store;
use anyhow::{bail, Context};
use interface::ScopeSelection;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::time::{Duration, Instant};

/// The posts are spread evenly over this long.
pub const WINDOW: Duration = Duration::from_secs(60);
/// The share of creates that arrive before WeCom shows the member.
pub const LAGGING_SHARE: f64 = 0.1;
/// How long after its event such a member shows.
pub const LAG: Duration = Duration::from_secs(3);
/// Every delete applied within this long of its arrival.
pub const DELETE_TARGET: Duration = Duration::from_secs(5);
/// Full reads allowed for the whole burst.
pub const READS_TARGET: usize = 2;
/// One post: the member, whether it is a delete, when it was sent, how long WeCom's answer took,
/// and whether it was accepted (200).
type Post = (String, bool, Instant, Duration, bool);

/// Threads posting at once (WeCom's deliveries overlap when the platform is slow to answer).
const POSTERS: usize = 8;

const TOKEN: &str = "BenchCallbackToken17";
const AES_KEY: &str = "benchCallbackKey0123456789abcdefghijklmnopq";

/// `host-sim bench --callbacks N`.
pub fn run(args: &BenchArgs, n: usize, out: &mut dyn Write) -> anyhow::Result<bool> {
    let port = {
        let probe = std::net::TcpListener::bind(("127.0.0.1", 0)).context("no free port")?;
        probe.local_addr()?.port()
    };
    let urls = PlatformUrls::at(&format!("http://127.0.0.1:{port}"));
    let spec = Spec { users: args.users, departments: args.departments, tags: args.tags, seed: args.seed };
    let mut generated = generate(spec, &urls);
    // The leavers: bound members WeCom still has.
    let present: std::collections::HashSet<String> =
        generated.org.users.iter().filter(|u| u.status == 1).map(|u| u.userid.to_lowercase()).collect();
    let leavers: Vec<String> = generated
        .bindings
        .iter()
        .map(|b| b.userid.to_string())
        .filter(|u| present.contains(&u.to_lowercase()))
        .take(n)
        .collect();
    if leavers.len() < n {
        bail!("only {} bound active members to leave; raise --users", leavers.len());
    }
    let newcomers: Vec<User> = (0..n)
        .map(|i| User {
            userid: format!("burst-new-{i:05}"),
            name: format!("新员工{i:05}"),
            departments: vec![1],
            status: 1,
            ..User::default()
        })
        .collect();

    let mut store = Store::in_memory()?;
    store.import_accounts(&generated.accounts)?;
    store.import_bindings(&generated.bindings)?;
    store.set_synced_scope(&ScopeSelection { department_ids: vec![1].into(), ..Default::default() })?;
    let bindings_before = generated.bindings.len();

    // The admin's edits, made before the first post (see the module doc).
    let gone: std::collections::HashSet<String> = leavers.iter().map(|u| u.to_lowercase()).collect();
    generated.org.users.retain(|u| !gone.contains(&u.userid.to_lowercase()));
    generated.org.users.extend(newcomers.iter().cloned());
    let users = generated.org.users.len();
    let config = FakeConfig {
        latency_ms: args.latency_ms,
        rate_limit_per_min: args.rate_limit_per_min,
        ..FakeConfig::default()
    };
    let fake = FakeWecom::start(generated.org, config, 0).context("could not start the fake WeCom")?;
    let wecom = WecomArgs {
        wecom_base_url: Some(fake.base_url()),
        corp_id: Some(CORP_ID.into()),
        agent_id: Some(AGENT_ID.to_string()),
        secret: Some(SECRET.into()),
        plugin: args.plugin.clone(),
        ..WecomArgs::default()
    };
    let options =
        CallbackOptions { token: Some(TOKEN.into()), aes_key: Some(AES_KEY.into()), ..CallbackOptions::default() };
    let open = open_platform_full(&wecom, port, store, None, false, &options).context("the platform did not start")?;
    let pusher = CallbackPusher::new(&open.platform.callback_url(), TOKEN, AES_KEY, CORP_ID)?.with_ids_only(true);

    // Creates and deletes interleaved, each lagging create hidden until LAG after its post.
    let mut events: Vec<(ContactEvent, bool)> = Vec::with_capacity(2 * n);
    let lag_every = (1.0 / LAGGING_SHARE).round().max(1.0) as usize;
    for i in 0..n {
        let user = &newcomers[i];
        let event = ContactEvent::CreateUser {
            userid: user.userid.clone(),
            name: user.name.clone(),
            departments: user.departments.clone(),
        };
        events.push((event, i % lag_every == lag_every / 2));
        events.push((ContactEvent::DeleteUser { userid: leavers[i].clone() }, false));
    }
    let gap = WINDOW / (events.len().max(1) as u32);
    fake.reset_counts();
    // WeCom does not wait for one answer before sending the next event: each post goes at its
    // time from one of POSTERS threads, whatever the answers before it took.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let started = Instant::now();
    let posts: std::sync::Mutex<Vec<Post>> = Default::default();
    std::thread::scope(|scope| {
        for _ in 0..POSTERS {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some((event, lagging)) = events.get(i) else { break };
                let due = started + gap * (i as u32);
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
                let (userid, is_delete) = match event {
                    ContactEvent::CreateUser { userid, .. } => (userid.clone(), false),
                    ContactEvent::DeleteUser { userid } => (userid.clone(), true),
                    _ => continue,
                };
                if *lagging {
                    fake.lag_member(&userid, DirectoryLag::Until(Instant::now() + LAG));
                }
                let at = Instant::now();
                let accepted = pusher.push(event).is_ok_and(|d| d.accepted());
                let answered = at.elapsed();
                if let Ok(mut posts) = posts.lock() {
                    posts.push((userid, is_delete, at, answered, accepted));
                }
            });
        }
    });
    let posts = posts.into_inner().unwrap_or_default();
    let refused = posts.iter().filter(|p| !p.4).count();
    let mut answers: Vec<f64> = posts.iter().map(|p| p.3.as_secs_f64()).collect();
    answers.sort_by(f64::total_cmp);
    let arrived: HashMap<String, (Instant, bool)> =
        posts.iter().map(|(userid, is_delete, at, _, _)| (userid.to_lowercase(), (*at, *is_delete))).collect();
    let posted = started.elapsed();
    let idle = open.platform.follower.wait_idle(Duration::from_secs(300));
    let finished = started.elapsed();
    let counts: BTreeMap<String, u64> = fake.request_counts();
    let entries = open.platform.follower.journal.entries_timed();
    let bindings_after = open.platform.store.lock().map(|s| s.bindings().map(|b| b.len()).unwrap_or(0)).unwrap_or(0);
    drop(open);
    drop(fake);

    // Arrival to the outcome recorded, per event (the first outcome naming its member).
    let mut deletes = Vec::new();
    let mut creates = Vec::new();
    let mut verdicts: BTreeMap<String, usize> = BTreeMap::new();
    let mut seen = std::collections::HashSet::new();
    let mut reads = 0usize;
    for (at, outcome) in &entries {
        if outcome.what == "reconcile" {
            reads += 1;
            continue;
        }
        let key = outcome.subject.to_lowercase();
        let Some((arrival, is_delete)) = arrived.get(&key) else { continue };
        if !seen.insert(key) {
            continue;
        }
        let took = at.saturating_duration_since(*arrival).as_secs_f64();
        let kind = if *is_delete { "delete_user" } else { "create_user" };
        *verdicts.entry(format!("{kind} {:?}", outcome.verdict)).or_default() += 1;
        if *is_delete {
            deletes.push(took);
        } else {
            creates.push(took);
        }
    }
    let settled_creates = creates.len();
    let late_deletes = deletes.iter().filter(|t| **t > DELETE_TARGET.as_secs_f64()).count();
    deletes.sort_by(f64::total_cmp);
    creates.sort_by(f64::total_cmp);
    let pct =
        |v: &[f64], p: f64| v.get(((v.len() as f64 * p).ceil() as usize).saturating_sub(1)).copied().unwrap_or(0.0);
    let lagging = events.iter().filter(|(_, l)| *l).count();
    let ok = idle
        && refused == 0
        && deletes.len() == n
        && late_deletes == 0
        && reads <= READS_TARGET
        && settled_creates == n;

    let json = serde_json::json!({
        "users": users,
        "callbacks_each": n,
        "lagging_creates": lagging,
        "lag_secs": LAG.as_secs_f64(),
        "latency_ms": args.latency_ms,
        "posted_secs": posted.as_secs_f64(),
        "all_followed_secs": finished.as_secs_f64(),
        "refused_posts": refused,
        "answer_p50_secs": pct(&answers, 0.50),
        "answer_p99_secs": pct(&answers, 0.99),
        "answer_max_secs": answers.last().copied().unwrap_or(0.0),
        "delete_p50_secs": pct(&deletes, 0.50),
        "delete_p99_secs": pct(&deletes, 0.99),
        "delete_max_secs": deletes.last().copied().unwrap_or(0.0),
        "deletes_applied": deletes.len(),
        "deletes_over_target": late_deletes,
        "create_p50_secs": pct(&creates, 0.50),
        "create_p99_secs": pct(&creates, 0.99),
        "create_max_secs": creates.last().copied().unwrap_or(0.0),
        "creates_settled": settled_creates,
        "verdicts": verdicts,
        "full_reads": reads,
        "bindings_before": bindings_before,
        "bindings_after": bindings_after,
        "wecom_calls": counts,
        "ok": ok,
    });
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
        return Ok(ok);
    }
    let met = |yes: bool| if yes { "met" } else { "MISSED" };
    writeln!(
        out,
        "回调突发 / callback burst: {n} create_user + {n} delete_user in {:.0} s on {users} members, WeCom latency {} ms",
        WINDOW.as_secs_f64(),
        args.latency_ms
    )?;
    writeln!(
        out,
        "  events             ids only; {lagging} creates arrive {:.0} s before WeCom shows the member",
        LAG.as_secs_f64()
    )?;
    writeln!(
        out,
        "  posted             {:.1} s ({refused} refused); all followed after {:.1} s",
        posted.as_secs_f64(),
        finished.as_secs_f64()
    )?;
    writeln!(
        out,
        "  answer to WeCom    p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms (journaled before the 200; WeCom waits 5 s)",
        pct(&answers, 0.50) * 1000.0,
        pct(&answers, 0.99) * 1000.0,
        answers.last().copied().unwrap_or(0.0) * 1000.0
    )?;
    writeln!(
        out,
        "  delete_user        p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms; {} applied, {late_deletes} over {} s — {}",
        pct(&deletes, 0.50) * 1000.0,
        pct(&deletes, 0.99) * 1000.0,
        deletes.last().copied().unwrap_or(0.0) * 1000.0,
        deletes.len(),
        DELETE_TARGET.as_secs(),
        met(late_deletes == 0 && deletes.len() == n)
    )?;
    writeln!(
        out,
        "  create_user        p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms; {settled_creates} of {n} settled — {}",
        pct(&creates, 0.50) * 1000.0,
        pct(&creates, 0.99) * 1000.0,
        creates.last().copied().unwrap_or(0.0) * 1000.0,
        met(settled_creates == n)
    )?;
    writeln!(out, "  full reads         {reads} (target ≤ {READS_TARGET}) — {}", met(reads <= READS_TARGET))?;
    for (verdict, count) in &verdicts {
        writeln!(out, "  verdict            {verdict}: {count}")?;
    }
    writeln!(out, "  bindings           {bindings_before} before, {bindings_after} after")?;
    for (endpoint, calls) in &counts {
        writeln!(out, "  WeCom {endpoint:<22} {calls:>6} calls")?;
    }
    Ok(ok)
}
