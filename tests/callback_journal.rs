//! Callbacks are never lost: each change is written to the store's journal before WeCom gets
//! its 200, applied from there with retries, waited for (never dropped) while another process
//! holds the store's write lock, applied on the next start when the process stopped first, and
//! a delivery replayed after a restart is not applied twice.

use crate::util;
use host_sim::cli::callback_options::CallbackOptions;
use host_sim::cli::serve::{open_platform_full, OpenPlatform};
use host_sim::cli::session::WecomArgs;
use host_sim::fake_wecom::{contact_events, unix_now, CallbackPusher, SignedRequest};
use host_sim::host::callbacks::Outcome;
use host_sim::store::Store;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("wx-journal-{}-{n}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    fn db(&self) -> PathBuf {
        self.0.join("host-sim.db")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The same Token and key across restarts, as an admin configures them once.
fn options() -> CallbackOptions {
    CallbackOptions {
        token: Some("JournalTestToken".into()),
        aes_key: Some("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG".into()),
        ..Default::default()
    }
}

fn platform(db: &Path) -> OpenPlatform {
    let args = WecomArgs { plugin: Some(util::plugin_path()), ..Default::default() };
    open_platform_full(&args, 0, Store::open(db).expect("store"), None, true, &options()).expect("platform starts")
}

fn pusher(open: &OpenPlatform) -> CallbackPusher {
    open.pusher().expect("pusher")
}

/// Another process (a long `accounts import`, a slow `commit`) holds the store's write lock for
/// `held`; returns once the lock is taken.
fn hold_write_lock(db: &Path, held: Duration) -> std::thread::JoinHandle<()> {
    let db = db.to_path_buf();
    let (taken, wait) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        let conn = rusqlite::Connection::open(&db).expect("open");
        conn.execute_batch("BEGIN IMMEDIATE; UPDATE accounts SET name = name WHERE id = 'u-1001';").expect("lock");
        let _ = taken.send(());
        std::thread::sleep(held);
        conn.execute_batch("COMMIT").expect("release");
    });
    wait.recv_timeout(Duration::from_secs(10)).expect("lock taken");
    holder
}

fn account(open: &OpenPlatform, id: &str) -> (bool, bool) {
    let store = open.platform.store.lock().expect("store");
    let enabled =
        store.accounts().expect("accounts").into_iter().find(|a| a.id.as_str() == id).expect("account").enabled;
    let bound = store.bindings().expect("bindings").iter().any(|b| b.account_id.as_str() == id);
    (bound, enabled)
}

fn outcomes(open: &OpenPlatform) -> Vec<Outcome> {
    assert!(open.platform.follower.wait_idle(Duration::from_secs(60)), "the platform keeps following");
    open.platform.follower.journal.entries().into_iter().filter(|o| o.what != "reconcile").collect()
}

#[test]
fn a_leaver_is_applied_while_another_process_holds_the_store_for_6_s() {
    let dir = TempDir::new("locked");
    let open = platform(&dir.db());
    let pusher = pusher(&open);
    let fake = open.session.fake.as_ref().expect("fake");
    assert_eq!(account(&open, "u-1004"), (true, true));
    let corp_id = fake.with_org(|org| org.corp_id.clone());
    let event = fake.with_org(|org| contact_events::delete_member(org, "wangxiaokai")).expect("member");
    let xml = event.to_xml(&corp_id, unix_now());

    let holder = hold_write_lock(&dir.db(), Duration::from_secs(6));
    let started = Instant::now();
    // WeCom delivers the event, and delivers it again (fresh nonce, same event) until it gets a
    // 200: a 503 means "not written down yet", never "dropped".
    let mut statuses = Vec::new();
    for attempt in 0..4 {
        let request: SignedRequest = pusher.event_request(&xml, unix_now(), &format!("98765{attempt}"));
        let delivery = pusher.send(&request).expect("delivered");
        statuses.push(delivery.status);
        if delivery.status == 200 {
            break;
        }
        assert_eq!(delivery.status, 503, "only a 503 while the store is locked: {statuses:?}");
    }
    assert_eq!(statuses.last(), Some(&200), "{statuses:?}");
    assert_eq!(statuses[0], 503, "no 200 before the change is written down, and the store is locked: {statuses:?}");
    holder.join().expect("holder");
    let followed = outcomes(&open);
    assert!(started.elapsed() >= Duration::from_secs(5), "the lock was held");
    assert_eq!(followed.len(), 1, "applied once: {followed:#?}");
    assert!(followed[0].error.is_none(), "{followed:#?}");
    assert_eq!(account(&open, "u-1004"), (false, false), "unbound and disabled");
    assert!(open.platform.store.lock().expect("store").journal_pending().expect("journal").is_empty());
}

#[test]
fn a_journaled_change_is_applied_on_the_next_start_even_with_the_store_busy() {
    let dir = TempDir::new("restart");
    let open = platform(&dir.db());
    let fake = open.session.fake.as_ref().expect("fake");
    let corp_id = fake.with_org(|org| org.corp_id.clone());
    let event = fake.with_org(|org| contact_events::delete_member(org, "wangxiaokai")).expect("member");
    // The process stops after answering WeCom and before applying: the journal holds the change.
    let request = pusher(&open).event_request(&event.to_xml(&corp_id, unix_now()), unix_now(), "123456");
    let reply = open.platform.plugin.handle_callback(&interface::CallbackRequest {
        method: "POST".into(),
        query: request.query.as_str().into(),
        body: request.body.as_str().into(),
        now_unix: 0,
        ext: Default::default(),
    });
    let change = reply.into_result().expect("accepted").change.into_option().expect("a change");
    drop(open);
    Store::open(&dir.db()).expect("store").journal_callback(&change, unix_now()).expect("journaled");

    // Another process holds the store for 2 s while the platform starts again.
    let holder = hold_write_lock(&dir.db(), Duration::from_secs(2));
    let open = platform(&dir.db());
    holder.join().expect("holder");
    let followed = outcomes(&open);
    assert_eq!(followed.len(), 1, "{followed:#?}");
    assert!(followed[0].error.is_none(), "{followed:#?}");
    assert_eq!(account(&open, "u-1004"), (false, false), "applied after the restart");
}

#[test]
fn a_journaled_leaver_waits_out_a_store_locked_for_6_s_and_is_applied() {
    let dir = TempDir::new("busy-apply");
    let open = platform(&dir.db());
    let fake = open.session.fake.as_ref().expect("fake");
    let corp_id = fake.with_org(|org| org.corp_id.clone());
    let event = fake.with_org(|org| contact_events::delete_member(org, "wangxiaokai")).expect("member");
    let request = pusher(&open).event_request(&event.to_xml(&corp_id, unix_now()), unix_now(), "777777");
    let reply = open.platform.plugin.handle_callback(&interface::CallbackRequest {
        method: "POST".into(),
        query: request.query.as_str().into(),
        body: request.body.as_str().into(),
        now_unix: 0,
        ext: Default::default(),
    });
    let change = reply.into_result().expect("accepted").change.into_option().expect("a change");
    let change = serde_json::to_string(&change).expect("json");
    // Another process journals the change (as another platform node would) and at once takes
    // the write lock for 6 s: the follower finds the change and a store it cannot write.
    let db = dir.db();
    let (taken, wait) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        let conn = rusqlite::Connection::open(&db).expect("open");
        conn.execute(
            "INSERT INTO callback_journal (dedup_key, change, received) VALUES ('busy-apply', ?1, 0)",
            [change],
        )
        .expect("journal");
        conn.execute_batch("BEGIN IMMEDIATE; UPDATE accounts SET name = name WHERE id = 'u-1001';").expect("lock");
        let _ = taken.send(());
        std::thread::sleep(Duration::from_secs(6));
        conn.execute_batch("COMMIT").expect("release");
    });
    wait.recv_timeout(Duration::from_secs(10)).expect("lock taken");
    let started = Instant::now();
    assert_eq!(open.platform.follower.resume().expect("journal read while locked"), 1);
    let followed = outcomes(&open);
    holder.join().expect("holder");
    assert!(started.elapsed() >= Duration::from_secs(5), "applied only once the lock was gone");
    assert_eq!(followed.len(), 1, "{followed:#?}");
    assert!(followed[0].error.is_none(), "waited, not dropped: {followed:#?}");
    assert_eq!(account(&open, "u-1004"), (false, false), "unbound and disabled");
}

#[test]
fn a_change_that_fails_stays_in_the_journal_with_its_reason_and_is_applied_later() {
    let dir = TempDir::new("failing");
    let open = platform(&dir.db());
    let pusher = pusher(&open);
    let fake = open.session.fake.as_ref().expect("fake");
    // Something outside host-sim refuses every change to accounts (here: a trigger).
    let conn = rusqlite::Connection::open(dir.db()).expect("open");
    conn.execute_batch(
        "CREATE TRIGGER refuse BEFORE UPDATE ON accounts BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;",
    )
    .expect("trigger");
    let delivery = pusher.member_leaves(fake, "wangxiaokai").expect("push");
    assert_eq!(delivery.status, 200);
    let followed = outcomes(&open);
    assert_eq!(followed.len(), 1, "{followed:#?}");
    assert!(followed[0].error.as_deref().is_some_and(|e| e.contains("refused by the test")), "{followed:#?}");
    assert_eq!(followed[0].subject, "wangxiaokai", "the member is named");
    let pending = open.platform.store.lock().expect("store").journal_pending().expect("journal");
    assert_eq!(pending.len(), 1, "left in the journal");
    assert!(pending[0].attempts >= 3, "retried: {}", pending[0].attempts);
    assert_eq!(account(&open, "u-1004"), (true, true), "nothing half applied");

    conn.execute_batch("DROP TRIGGER refuse").expect("drop");
    assert_eq!(open.platform.follower.resume().expect("resume"), 1);
    let followed = outcomes(&open);
    assert!(followed.last().is_some_and(|o| o.error.is_none()), "{followed:#?}");
    assert_eq!(account(&open, "u-1004"), (false, false), "applied at the next attempt");
    assert!(open.platform.store.lock().expect("store").journal_pending().expect("journal").is_empty());
}

#[test]
fn a_delivery_replayed_after_a_restart_is_not_applied_again() {
    let dir = TempDir::new("replay");
    let open = platform(&dir.db());
    let fake = open.session.fake.as_ref().expect("fake");
    let corp_id = fake.with_org(|org| org.corp_id.clone());
    let event = fake.with_org(|org| contact_events::delete_member(org, "wangxiaokai")).expect("member");
    let request = pusher(&open).event_request(&event.to_xml(&corp_id, unix_now()), unix_now(), "424242");
    assert_eq!(pusher(&open).send(&request).expect("delivered").status, 200);
    assert_eq!(outcomes(&open).len(), 1);
    drop(open);

    // Restarted: the plugin's in-memory guard is empty; an attacker replays the captured request.
    let open = platform(&dir.db());
    let delivery = pusher(&open).send(&request).expect("delivered");
    assert_eq!(delivery.status, 200, "acknowledged: WeCom may retry");
    assert!(outcomes(&open).is_empty(), "not applied a second time");
}
