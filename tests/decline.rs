//! "None of these is mine" and names that differ only by spacing, through the loaded library and
//! the `login --code` command's own function, on the sample organisation plus one hand-typed
//! account "小 岳岳" (with a space) for the member 小岳岳:
//! - a waiting member (张旭, offered two accounts of his name) declines them all: by the `create`
//!   policy he gets a new account of his own (evidence `created`), by `ignore` he waits for the
//!   operator with the reason; the declined accounts are recorded (store and audit, actor
//!   `member`) and never offered to him again;
//! - 小岳岳's row offers "小 岳岳" as a candidate (`name_spacing_differs`), never bound by `commit`;
//!   proved with its platform password at first login, it is bound with evidence `password`.

use crate::util;
use host_sim::cli::callback_options::{NewMembers, PolicyArgs};
use host_sim::cli::login::{run, LoginArgs, Via};
use host_sim::cli::session::WecomArgs;
use host_sim::cli::workflow::{commit::CommitArgs, sync::SyncArgs, ScopeArgs, WorkflowArgs};
use host_sim::fake_wecom::FakeWecom;
use host_sim::store::{AuditFilter, Store};
use interface::{Evidence, PlatformAccount, RowKind};
use std::path::{Path, PathBuf};

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let path = std::env::temp_dir().join(format!("wx-decline-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).expect("temp dir");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn external(fake: &FakeWecom) -> WecomArgs {
    let settings = util::settings(fake);
    WecomArgs {
        wecom_base_url: Some(fake.base_url()),
        authorize_base_url: Some(fake.base_url()),
        web_login_base_url: Some(fake.base_url()),
        corp_id: Some(settings.corp_id.to_string()),
        agent_id: Some(settings.agent_id.to_string()),
        secret: Some(settings.secret.expose().to_string()),
        plugin: Some(util::plugin_path()),
        ..Default::default()
    }
}

/// The sample platform plus "小 岳岳" (u-1010, the demo password), synced (department 1) and
/// committed with every default. Returns the store's path.
fn synced(fake: &FakeWecom, dir: &TempDir) -> PathBuf {
    synced_with(fake, dir, &[])
}

/// [`synced`] with more hand-typed accounts `(id, name)`, each with the demo password.
fn synced_with(fake: &FakeWecom, dir: &TempDir, more: &[(&str, &str)]) -> PathBuf {
    let db = dir.0.join("host-sim.db");
    let mut store = Store::open(&db).expect("store");
    host_sim::host::sample::seed(&mut store).expect("seed");
    // The demo password's hash (salted for another sample account; the salt travels in the hash).
    let hash = host_sim::host::sample::password_hashes().swap_remove(0).1;
    let (mut accounts, mut hashes) = (Vec::new(), Vec::new());
    for (id, name) in [("u-1010", "小 岳岳")].iter().chain(more) {
        accounts.push(PlatformAccount { id: (*id).into(), name: (*name).into(), ..Default::default() });
        hashes.push((id.to_string(), hash.clone()));
    }
    store.import_accounts_with_passwords(&accounts, &hashes).expect("import");
    drop(store);
    let common =
        WorkflowArgs { wecom: external(fake), db: db.clone(), lang: host_sim::render::table::Lang::En, json: true };
    let sync = SyncArgs {
        common: common.clone(),
        platform_url: util::PLATFORM.into(),
        scope: ScopeArgs { scope_departments: vec![1], ..Default::default() },
        ..Default::default()
    };
    assert!(host_sim::cli::workflow::sync::sync(&sync, &mut Vec::new()).expect("sync").is_some(), "accepted");
    let pending = Store::open(&db).expect("store").pending().expect("read").expect("pending");
    let row = |u: &str| pending.proposal.rows.iter().find(|r| r.userid.as_str() == u).cloned().expect("row");
    assert_eq!(row("zhangxu").kind, RowKind::Ambiguous);
    let spaced = row("xiaoyueyue");
    assert_eq!(spaced.kind, RowKind::NameSpacingDiffers, "{spaced:#?}");
    assert_eq!(spaced.candidates.iter().map(|c| c.account_id.as_str()).collect::<Vec<_>>(), ["u-1010"]);
    assert!(spaced.account.is_none(), "a candidate, never a proposed pair");
    assert_eq!(pending.proposal.name_spacing_differs(), 1);
    let mut out = Vec::new();
    let committed =
        host_sim::cli::workflow::commit::commit(&CommitArgs { common, dry_run: false, ..Default::default() }, &mut out)
            .expect("commit");
    assert!(
        matches!(committed, host_sim::cli::workflow::commit::CommitOutcome::Applied(..)),
        "{}",
        String::from_utf8_lossy(&out)
    );
    db
}

/// `host-sim login --code … --json [--password PW | --not-mine] [--new-members …]`.
fn login(
    fake: &FakeWecom,
    db: &Path,
    userid: &str,
    password: Option<&str>,
    not_mine: bool,
    policy: NewMembers,
) -> serde_json::Value {
    let args = LoginArgs {
        wecom: external(fake),
        as_user: None,
        code: Some(fake.mint_code(1000002, userid)),
        via: Via::InClient,
        db: Some(db.to_path_buf()),
        port: 0,
        json: true,
        password: password.map(str::to_string),
        not_mine,
        policy: PolicyArgs { new_members: policy, ..Default::default() },
    };
    let mut out = Vec::new();
    let signed_in = run(&args, &mut out).expect("runs");
    let json: serde_json::Value = serde_json::from_slice(&out).expect("one JSON object");
    assert_eq!(json["signed_in"].as_bool(), Some(signed_in), "{json:#}");
    json
}

fn ids(json: &serde_json::Value) -> Vec<String> {
    json["candidate_account_ids"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

#[test]
fn none_of_these_is_mine_creates_the_members_own_account_and_is_never_offered_again() {
    let fake = util::fake();
    let dir = TempDir::new("create");
    let db = synced(&fake, &dir);
    let asked = login(&fake, &db, "zhangxu", None, false, NewMembers::Create);
    assert_eq!(asked["needs"].as_str(), Some("password"), "{asked:#}");
    assert_eq!(ids(&asked), ["u-1006", "u-1007"]);

    let declined = login(&fake, &db, "zhangxu", None, true, NewMembers::Create);
    assert_eq!(declined["signed_in"].as_bool(), Some(false), "{declined:#}");
    assert_eq!(declined["evidence"].as_str(), Some("created"), "{declined:#}");
    let store = Store::open(&db).expect("store");
    let binding = store.binding_for_userid("zhangxu").expect("q").expect("a binding now");
    assert_eq!((binding.account_id.as_str(), binding.evidence), ("wecom-zhangxu", Evidence::Created));
    assert_eq!(store.declined_accounts("zhangxu").expect("q"), ["u-1006", "u-1007"]);
    let audit = store.audit(&AuditFilter { userid: Some("zhangxu".into()), ..Default::default() }).expect("audit");
    let declines: Vec<(&str, &str)> =
        audit.iter().filter(|e| e.action == "declined").map(|e| (e.actor.as_str(), e.account_id.as_str())).collect();
    assert_eq!(declines, [("member", "u-1006"), ("member", "u-1007")], "{audit:#?}");
    assert!(audit.iter().any(|e| e.action == "account_created" && e.actor == "member"), "{audit:#?}");
    assert!(!store.account_is_bound("u-1006").expect("q"), "nobody signs in to a declined account");
    drop(store);

    let again = login(&fake, &db, "zhangxu", None, false, NewMembers::Create);
    assert_eq!(
        (again["signed_in"].as_bool(), again["account"]["id"].as_str(), again["evidence"].as_str()),
        (Some(true), Some("wecom-zhangxu"), Some("created")),
        "{again:#}"
    );
}

#[test]
fn none_of_these_is_mine_waits_for_the_operator_under_the_ignore_policy() {
    let fake = util::fake();
    let dir = TempDir::new("ignore");
    let db = synced(&fake, &dir);
    let declined = login(&fake, &db, "zhangxu", None, true, NewMembers::Ignore);
    assert_eq!(
        (declined["signed_in"].as_bool(), declined["needs"].as_str()),
        (Some(false), Some("operator")),
        "{declined:#}"
    );
    let reason = declined["reason"]["en"].as_str().unwrap_or_default();
    assert!(reason.contains("none of the accounts offered is theirs"), "{declined:#}");
    let store = Store::open(&db).expect("store");
    assert!(store.binding_for_userid("zhangxu").expect("q").is_none());
    assert_eq!(store.declined_accounts("zhangxu").expect("q"), ["u-1006", "u-1007"]);
    drop(store);
    // Not offered again: neither to prove nor to decline.
    let again = login(&fake, &db, "zhangxu", Some(host_sim::host::sample::DEMO_PASSWORD), false, NewMembers::Ignore);
    assert_eq!((again["signed_in"].as_bool(), again["needs"].as_str()), (Some(false), Some("operator")), "{again:#}");
    assert!(ids(&again).is_empty(), "{again:#}");
}

#[test]
fn an_account_whose_name_differs_only_by_spacing_is_proved_by_password_never_bound_by_commit() {
    let fake = util::fake();
    let dir = TempDir::new("spacing");
    let db = synced(&fake, &dir);
    let store = Store::open(&db).expect("store");
    assert!(store.binding_for_userid("xiaoyueyue").expect("q").is_none(), "commit neither binds nor creates");
    assert!(!store.account_is_bound("u-1010").expect("q"));
    assert!(store.account("wecom-xiaoyueyue").expect("q").is_none(), "no second account for the member");
    drop(store);
    let asked = login(&fake, &db, "xiaoyueyue", None, false, NewMembers::Create);
    assert_eq!((asked["signed_in"].as_bool(), asked["needs"].as_str()), (Some(false), Some("password")), "{asked:#}");
    assert_eq!(ids(&asked), ["u-1010"]);
    let wrong = login(&fake, &db, "xiaoyueyue", Some("not-the-password"), false, NewMembers::Create);
    assert_eq!(wrong["signed_in"].as_bool(), Some(false), "{wrong:#}");
    let proved =
        login(&fake, &db, "xiaoyueyue", Some(host_sim::host::sample::DEMO_PASSWORD), false, NewMembers::Create);
    assert_eq!(
        (proved["signed_in"].as_bool(), proved["account"]["id"].as_str(), proved["evidence"].as_str()),
        (Some(true), Some("u-1010"), Some("password")),
        "{proved:#}"
    );
    let store = Store::open(&db).expect("store");
    let b = store.binding_for_userid("xiaoyueyue").expect("q").expect("bound");
    assert_eq!((b.account_id.as_str(), b.evidence), ("u-1010", Evidence::Password));
}

/// The sample plus "王 晓楷" (u-1011) and "张\u{3000}旭" (u-1012), typed with a space by hand:
/// both stay candidates beside the exact names (the ambiguous 张旭 row lists u-1012 after his two
/// namesakes; the 王晓楷 name match keeps u-1004 as its proposed pair and lists u-1011 beside it),
/// never bound by `commit`. 王晓楷 says the name-bound u-1004 is not his: the binding goes, u-1004
/// is recorded as declined, and he is offered u-1011 at once, which his password proves.
#[test]
fn spacing_variants_beside_exact_names_are_offered_and_proved_never_bound_by_name() {
    let fake = util::fake();
    let dir = TempDir::new("beside");
    let db = synced_with(&fake, &dir, &[("u-1011", "王 晓楷"), ("u-1012", "张\u{3000}旭")]);
    let store = Store::open(&db).expect("store");
    let roster = |u: &str| store.roster_entry(u).expect("q").expect("a row");
    // u-1012 names no department, u-1006 and u-1007 other departments than 张旭's: the one that
    // nothing says is someone else's comes first.
    assert_eq!(roster("zhangxu"), ["u-1012", "u-1006", "u-1007"]);
    assert_eq!(roster("wangxiaokai"), ["u-1004", "u-1011"]);
    let b = store.binding_for_userid("wangxiaokai").expect("q").expect("bound by name");
    assert_eq!(b.account_id.as_str(), "u-1004", "the unique exact name match stays what it is");
    assert!(!store.account_is_bound("u-1011").expect("q") && !store.account_is_bound("u-1012").expect("q"));
    drop(store);

    let asked = login(&fake, &db, "zhangxu", None, false, NewMembers::Create);
    assert_eq!(ids(&asked), ["u-1012", "u-1006", "u-1007"], "{asked:#}");

    let first = login(&fake, &db, "wangxiaokai", None, false, NewMembers::Create);
    assert_eq!(first["needs"].as_str(), Some("password"), "{first:#}");
    let not_mine = login(&fake, &db, "wangxiaokai", None, true, NewMembers::Create);
    assert_eq!(
        (not_mine["signed_in"].as_bool(), not_mine["needs"].as_str()),
        (Some(false), Some("password")),
        "{not_mine:#}"
    );
    assert_eq!(ids(&not_mine), ["u-1011"], "{not_mine:#}");
    let store = Store::open(&db).expect("store");
    assert!(store.binding_for_userid("wangxiaokai").expect("q").is_none());
    assert!(store.account("wecom-wangxiaokai").expect("q").is_none(), "no second account while u-1011 may be his");
    assert_eq!(store.declined_accounts("wangxiaokai").expect("q"), ["u-1004"]);
    drop(store);
    let proved =
        login(&fake, &db, "wangxiaokai", Some(host_sim::host::sample::DEMO_PASSWORD), false, NewMembers::Create);
    assert_eq!(
        (proved["signed_in"].as_bool(), proved["account"]["id"].as_str(), proved["evidence"].as_str()),
        (Some(true), Some("u-1011"), Some("password")),
        "{proved:#}"
    );
}

/// 张旭's row offered u-1006 and u-1007; both are bound to other members (proved by them) before he
/// logs in. The host no longer offers a held account and says how many of his were taken
/// (`offered_accounts_held`): by `create` he gets his own new account instead of waiting with
/// nothing to answer; by `ignore` the operator decides. Nobody is signed in to either account.
#[test]
fn a_member_whose_offered_accounts_were_all_taken_gets_a_new_account_by_policy() {
    use host_sim::store::{Actor, Audit};
    let fake = util::fake();
    let dir = TempDir::new("taken");
    let db = synced(&fake, &dir);
    let mut store = Store::open(&db).expect("store");
    let mut taken = interface::ChangeSet::default();
    for (userid, account) in [("other1", "u-1006"), ("other2", "u-1007")] {
        taken.create_bindings.push(interface::Binding {
            userid: userid.into(),
            account_id: account.into(),
            evidence: Evidence::Password,
        });
    }
    let audit = Audit { actor: Actor::Member, reason: interface::Text::new("测试", "test"), suspends: false };
    store.apply(&taken, &audit).expect("apply");
    drop(store);

    let waiting = login(&fake, &db, "zhangxu", None, false, NewMembers::Ignore);
    assert_eq!(
        (waiting["signed_in"].as_bool(), waiting["needs"].as_str()),
        (Some(false), Some("operator")),
        "{waiting:#}"
    );
    assert!(ids(&waiting).is_empty(), "{waiting:#}");
    assert!(waiting["reason"]["en"].as_str().unwrap_or_default().contains("bound to another member"), "{waiting:#}");

    let created = login(&fake, &db, "zhangxu", None, false, NewMembers::Create);
    assert_eq!(
        (created["signed_in"].as_bool(), created["evidence"].as_str()),
        (Some(false), Some("created")),
        "{created:#}"
    );
    let store = Store::open(&db).expect("store");
    let b = store.binding_for_userid("zhangxu").expect("q").expect("bound to a new account");
    assert_eq!((b.account_id.as_str(), b.evidence), ("wecom-zhangxu", Evidence::Created));
    for (userid, account) in [("other1", "u-1006"), ("other2", "u-1007")] {
        let held = store.binding_for_userid(userid).expect("q").expect("still theirs");
        assert_eq!(held.account_id.as_str(), account);
    }
    drop(store);
    let again = login(&fake, &db, "zhangxu", None, false, NewMembers::Create);
    assert_eq!(
        (again["signed_in"].as_bool(), again["account"]["id"].as_str()),
        (Some(true), Some("wecom-zhangxu")),
        "{again:#}"
    );
}

#[test]
fn the_web_candidate_page_offers_none_of_these_is_mine_and_it_creates_the_members_account() {
    use host_sim::cli::login_flow::{drive, drive_proving, Proof, IN_CLIENT_UA};
    let args = WecomArgs { plugin: Some(util::plugin_path()), ..Default::default() };
    let open = host_sim::cli::serve::open_platform(&args, 0, Store::in_memory().expect("store"), None)
        .expect("platform starts");
    let base = open.server.base_url.clone();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    // 张旭 waits with two candidates: the page offers the action; 王晓楷's bound account does not.
    let asked = rt.block_on(drive(&base, "zhangxu", IN_CLIENT_UA)).expect("trip");
    assert_eq!(asked.outcome, "needs-password", "{asked:?}");
    assert!(asked.page.contains("None of these is mine"), "{}", asked.page);
    let bound = rt.block_on(drive(&base, "wangxiaokai", IN_CLIENT_UA)).expect("trip");
    assert_eq!(bound.outcome, "needs-password", "{bound:?}");
    assert!(!bound.page.contains("None of these is mine"), "{}", bound.page);
    // The POST is checked against the session: without one, nothing is declined.
    let forged = rt.block_on(async {
        reqwest::Client::new()
            .post(format!("{base}/oauth/wecom/password"))
            .form(&[("account_id", "u-1006"), ("none_mine", "1")])
            .send()
            .await
            .expect("post")
            .status()
            .as_u16()
    });
    assert_eq!(forged, 403);
    assert!(open.platform.store.lock().expect("store").declined_accounts("zhangxu").expect("q").is_empty());

    let declined = rt.block_on(drive_proving(&base, "zhangxu", IN_CLIENT_UA, &Proof::NotMine)).expect("trip");
    assert_ne!(declined.outcome, "signed-in", "{declined:?}");
    assert!(declined.page.contains("new account"), "{}", declined.page);
    // The page says what happened: an account was made, not a refusal (both languages).
    assert_eq!(declined.outcome, "account-created", "{declined:?}");
    assert!(!declined.page.contains("Login refused") && !declined.page.contains("无法登录"), "{}", declined.page);
    assert!(declined.page.contains("已为您开通") && declined.page.contains("was created"), "{}", declined.page);
    let store = open.platform.store.lock().expect("store");
    assert_eq!(store.declined_accounts("zhangxu").expect("q"), ["u-1006", "u-1007"]);
    drop(store);
    let again = rt.block_on(drive(&base, "zhangxu", IN_CLIENT_UA)).expect("trip");
    assert_eq!(
        (again.outcome.as_str(), again.account_id.as_deref()),
        ("signed-in", Some("wecom-zhangxu")),
        "{again:?}"
    );
}

/// H1: an account whose id happens to be `wecom-<userid>` (a leaver's, kept unbound under
/// `on_leave: unbind`, whose userid WeCom gave to a new hire) is never taken over by "none of these
/// is mine": the member gets an account created for them, under another id, and never signs in to
/// the old one.
#[test]
fn none_of_these_is_mine_never_binds_an_account_that_already_existed() {
    let fake = util::fake();
    let dir = TempDir::new("h1-login");
    let db = synced_with(&fake, &dir, &[("wecom-zhangxu", "前员工")]);
    let declined = login(&fake, &db, "zhangxu", None, true, NewMembers::Create);
    assert_eq!(declined["evidence"].as_str(), Some("created"), "{declined:#}");
    let store = Store::open(&db).expect("store");
    assert!(!store.account_is_bound("wecom-zhangxu").expect("q"), "the old account stays unbound");
    let binding = store.binding_for_userid("zhangxu").expect("q").expect("a binding");
    assert_ne!(binding.account_id.as_str(), "wecom-zhangxu");
    assert_eq!(binding.evidence, Evidence::Created);
    let account = store.account(binding.account_id.as_str()).expect("q").expect("created");
    assert_eq!(account.name.as_str(), "张旭");
    let audit = store.audit(&AuditFilter { userid: Some("zhangxu".into()), ..Default::default() }).expect("audit");
    let created: Vec<&str> =
        audit.iter().filter(|e| e.action == "account_created").map(|e| e.account_id.as_str()).collect();
    assert_eq!(created, [binding.account_id.as_str()], "{audit:#?}");
    drop(store);
    let again = login(&fake, &db, "zhangxu", None, false, NewMembers::Create);
    assert_eq!(again["signed_in"].as_bool(), Some(true), "{again:#}");
    assert_ne!(again["account"]["id"].as_str(), Some("wecom-zhangxu"), "{again:#}");
    assert_eq!(again["account"]["name"].as_str(), Some("张旭"), "{again:#}");
}

/// H1 through `commit`: a member without a match (人生如戏) gets a new account even when
/// `wecom-renshengruxi` already exists unbound; the old account is neither bound nor audited as
/// created, and committing again changes nothing.
#[test]
fn commit_creates_a_new_account_beside_one_that_already_has_its_id() {
    let fake = util::fake();
    let dir = TempDir::new("h1-commit");
    let db = synced_with(&fake, &dir, &[("wecom-renshengruxi", "前员工")]);
    let check = |db: &Path| {
        let store = Store::open(db).expect("store");
        assert!(!store.account_is_bound("wecom-renshengruxi").expect("q"), "the old account stays unbound");
        let binding = store.binding_for_userid("renshengruxi").expect("q").expect("a binding");
        assert_ne!(binding.account_id.as_str(), "wecom-renshengruxi");
        assert_eq!(binding.evidence, Evidence::Created);
        let account = store.account(binding.account_id.as_str()).expect("q").expect("created");
        assert_eq!(account.name.as_str(), "人生如戏");
        let audit = store.audit(&AuditFilter { userid: Some("renshengruxi".into()), ..Default::default() }).expect("a");
        let created: Vec<&str> =
            audit.iter().filter(|e| e.action == "account_created").map(|e| e.account_id.as_str()).collect();
        assert_eq!(created, [binding.account_id.as_str()], "{audit:#?}");
        (store.accounts().expect("q").len(), binding.account_id.to_string())
    };
    let first = check(&db);
    let common =
        WorkflowArgs { wecom: external(&fake), db: db.clone(), lang: host_sim::render::table::Lang::En, json: true };
    let sync = SyncArgs {
        common: common.clone(),
        platform_url: util::PLATFORM.into(),
        scope: ScopeArgs { scope_departments: vec![1], ..Default::default() },
        ..Default::default()
    };
    assert!(host_sim::cli::workflow::sync::sync(&sync, &mut Vec::new()).expect("sync").is_some());
    host_sim::cli::workflow::commit::commit(
        &CommitArgs { common, dry_run: false, ..Default::default() },
        &mut Vec::new(),
    )
    .expect("commit");
    assert_eq!(check(&db), first, "no second account");
}

/// Drives a login over HTTP up to the platform's page for `userid`: (session cookie, html).
async fn to_platform_page(base: &str, userid: &str) -> (String, String) {
    use host_sim::cli::login_flow::IN_CLIENT_UA;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let r =
        client.get(format!("{base}/oauth/wecom/start")).header("user-agent", IN_CLIENT_UA).send().await.expect("start");
    let first_cookie = |r: &reqwest::Response| {
        r.headers()
            .get("set-cookie")
            .and_then(|c| c.to_str().ok())
            .and_then(|c| c.split(';').next())
            .map(str::to_string)
    };
    let mut cookie = first_cookie(&r).expect("cookie");
    let location = r.headers()["location"].to_str().expect("location").to_string();
    let mut next = url::Url::parse(&location).expect("url");
    for _ in 0..8 {
        let to_platform = next.as_str().starts_with(base);
        let mut req = client.get(next.clone()).header("user-agent", IN_CLIENT_UA);
        if to_platform {
            req = req.header("cookie", cookie.as_str());
        }
        let resp = req.send().await.expect("get");
        if to_platform {
            if let Some(c) = first_cookie(&resp) {
                cookie = c;
            }
        }
        if resp.status().is_redirection() {
            next = next.join(resp.headers()["location"].to_str().expect("location")).expect("join");
            continue;
        }
        let html = resp.text().await.expect("body");
        if to_platform {
            return (cookie, html);
        }
        // WeCom's confirm form: its action and hidden fields, plus the member.
        let unescape = |v: &str| v.replace("&amp;", "&");
        let action = unescape(html.split("action=\"").nth(1).and_then(|a| a.split('"').next()).expect("action"));
        let mut fields: Vec<(String, String)> = Vec::new();
        for part in html.split("<input").skip(1).filter(|p| p.contains("type=\"hidden\"")) {
            let attr = |a: &str| part.split(&format!("{a}=\"")).nth(1).and_then(|v| v.split('"').next()).map(unescape);
            if let (Some(n), Some(v)) = (attr("name"), attr("value")) {
                fields.push((n, v));
            }
        }
        fields.push(("userid".into(), userid.into()));
        let action = next.join(&action).expect("join");
        let confirmed =
            client.post(action.clone()).header("user-agent", IN_CLIENT_UA).form(&fields).send().await.expect("post");
        next = action.join(confirmed.headers()["location"].to_str().expect("location")).expect("join");
    }
    panic!("no platform page");
}

/// M4: "not mine" from a stale tab after the member proved the account by password in another
/// tab: the confirmed binding stays, and the member is told to contact the operator.
#[test]
fn not_mine_never_removes_a_binding_the_member_confirmed() {
    let args = WecomArgs { plugin: Some(util::plugin_path()), ..Default::default() };
    let open = host_sim::cli::serve::open_platform(&args, 0, Store::in_memory().expect("store"), None).expect("open");
    let base = open.server.base_url.clone();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    // Each tab posts its own page's form token, as its browser would.
    let token = |html: &str| {
        html.split("name=\"csrf\" value=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or_default().to_string()
    };
    let post = |cookie: String, mut fields: Vec<(&'static str, String)>, csrf: String| {
        let url = format!("{base}/oauth/wecom/password");
        fields.push(("csrf", csrf));
        async move {
            let r = reqwest::Client::new().post(url).header("cookie", cookie).form(&fields).send().await.expect("post");
            (r.status().as_u16(), r.text().await.expect("body"))
        }
    };
    rt.block_on(async {
        let (tab_a, page_a) = to_platform_page(&base, "wangxiaokai").await;
        let (tab_b, page_b) = to_platform_page(&base, "wangxiaokai").await;
        let proof =
            vec![("account_id", "u-1004".to_string()), ("password", host_sim::host::sample::DEMO_PASSWORD.to_string())];
        let (_, page) = post(tab_b, proof, token(&page_b)).await;
        assert!(page.contains("signed-in"), "{page}");
        let not_mine = vec![("account_id", "u-1004".to_string()), ("not_mine", "1".to_string())];
        let (_, page) = post(tab_a, not_mine, token(&page_a)).await;
        assert!(page.contains("contact the operator"), "{page}");
    });
    let store = open.platform.store.lock().expect("store");
    let after = store.binding_for_userid("wangxiaokai").expect("q").expect("still bound");
    assert_eq!((after.account_id.as_str(), after.evidence), ("u-1004", Evidence::Password));
    assert!(store.declined_accounts("wangxiaokai").expect("q").is_empty(), "nothing recorded as declined");
}

fn workflow(fake: &FakeWecom, db: &Path) -> WorkflowArgs {
    WorkflowArgs { wecom: external(fake), db: db.to_path_buf(), lang: host_sim::render::table::Lang::En, json: true }
}

/// The operator's sync, every default: the table stays pending in the store.
fn sync_only(fake: &FakeWecom, db: &Path) {
    let sync = SyncArgs {
        common: workflow(fake, db),
        platform_url: util::PLATFORM.into(),
        scope: ScopeArgs { scope_departments: vec![1], ..Default::default() },
        ..Default::default()
    };
    assert!(host_sim::cli::workflow::sync::sync(&sync, &mut Vec::new()).expect("sync").is_some());
}

/// The operator's commit of the pending table, every default; it must be applied.
fn commit_pending(fake: &FakeWecom, db: &Path) {
    let mut out = Vec::new();
    let args = CommitArgs { common: workflow(fake, db), dry_run: false, ..Default::default() };
    let committed = host_sim::cli::workflow::commit::commit(&args, &mut out).expect("commit");
    // A table made after members declined is the table commit recognises: applied, not stale.
    assert!(
        matches!(committed, host_sim::cli::workflow::commit::CommitOutcome::Applied(..)),
        "{}",
        String::from_utf8_lossy(&out)
    );
}

/// The pending table's row for `userid`.
fn pending_row(db: &Path, userid: &str) -> interface::ProposalRow {
    let pending = Store::open(db).expect("store").pending().expect("read").expect("pending");
    pending.proposal.rows.iter().find(|r| r.userid.as_str() == userid).cloned().expect("row")
}

/// M3: "not mine" to a name-bound account with nothing listed beside it is recorded as declined
/// (store and audit, actor `member`) and that account is not offered to the member again.
#[test]
fn not_mine_without_alternatives_is_recorded_and_never_offered_again() {
    let fake = util::fake();
    let dir = TempDir::new("m3-record");
    let db = synced(&fake, &dir);
    let first = login(&fake, &db, "wangxiaokai", None, false, NewMembers::Ignore);
    assert_eq!(first["needs"].as_str(), Some("password"), "{first:#}");
    let _ = login(&fake, &db, "wangxiaokai", None, true, NewMembers::Ignore);
    let store = Store::open(&db).expect("store");
    assert!(store.binding_for_userid("wangxiaokai").expect("q").is_none(), "unbound");
    assert_eq!(store.declined_accounts("wangxiaokai").expect("q"), ["u-1004"]);
    let audit = store.audit(&AuditFilter { userid: Some("wangxiaokai".into()), ..Default::default() }).expect("a");
    assert!(
        audit.iter().any(|e| e.action == "declined" && e.actor == "member" && e.account_id == "u-1004"),
        "{audit:#?}"
    );
    drop(store);
    let again = login(&fake, &db, "wangxiaokai", None, false, NewMembers::Ignore);
    assert!(!ids(&again).iter().any(|id| id == "u-1004"), "{again:#}");
    assert_ne!(again["signed_in"].as_bool(), Some(true), "{again:#}");
}

/// M3: the operator's next sync and commit never bind a pair a member declined: neither the
/// name match wangxiaokai said "not mine" to, nor 张旭's declined candidate that became his only
/// name match once the other was taken. The rows wait for the operator without those accounts.
#[test]
fn the_next_commit_never_binds_a_declined_pair() {
    let fake = util::fake();
    let dir = TempDir::new("m3-commit");
    let db = synced(&fake, &dir);
    let _ = login(&fake, &db, "wangxiaokai", None, true, NewMembers::Ignore);
    let _ = login(&fake, &db, "zhangxu", None, true, NewMembers::Ignore);
    {
        use host_sim::store::{Actor, Audit};
        let mut store = Store::open(&db).expect("store");
        let mut taken = interface::ChangeSet::default();
        taken.create_bindings.push(interface::Binding {
            userid: "other1".into(),
            account_id: "u-1006".into(),
            evidence: Evidence::Password,
        });
        let audit = Audit { actor: Actor::Member, reason: interface::Text::new("测试", "test"), suspends: false };
        store.apply(&taken, &audit).expect("taken");
        assert_eq!(store.declined_accounts("zhangxu").expect("q"), ["u-1006", "u-1007"]);
    }
    sync_only(&fake, &db);
    for (userid, declined) in [("wangxiaokai", "u-1004"), ("zhangxu", "u-1007")] {
        let row = pending_row(&db, userid);
        assert_eq!(row.kind, RowKind::Ambiguous, "{row:#?}");
        assert!(row.account.is_none(), "{row:#?}");
        assert!(row.candidates.iter().all(|c| c.account_id.as_str() != declined), "{row:#?}");
    }
    commit_pending(&fake, &db);
    let store = Store::open(&db).expect("store");
    assert!(store.binding_for_userid("wangxiaokai").expect("q").is_none(), "u-1004 not bound back by name");
    assert!(store.binding_for_userid("zhangxu").expect("q").is_none(), "u-1007 not bound by name");
}

/// A name many share: 张旭 twice more in WeCom and twelve more 张旭 accounts on the platform
/// (fourteen in all). Each 张旭 row lists the ten likeliest and counts fourteen; the member is
/// offered exactly the ten listed; after "none of these is mine" the next sync lists him the four
/// he has not seen, and the commit after it is applied.
#[test]
fn a_large_name_offers_the_listed_ten_and_the_rest_after_a_decline() {
    let fake = util::fake();
    fake.with_org(|org| {
        for userid in ["zhangxu2", "zhangxu3"] {
            org.users.push(host_sim::fake_wecom::User {
                userid: userid.into(),
                name: "张旭".into(),
                departments: vec![4],
                status: 1,
                ..Default::default()
            });
        }
    });
    let dir = TempDir::new("large-name");
    let more: Vec<(String, &str)> = (0..12).map(|n| (format!("u-2{n:03}"), "张旭")).collect();
    let more: Vec<(&str, &str)> = more.iter().map(|(id, name)| (id.as_str(), *name)).collect();
    let db = synced_with(&fake, &dir, &more);
    let listed = |db: &Path| {
        let row = pending_row(db, "zhangxu");
        (row.candidates.iter().map(|c| c.account_id.to_string()).collect::<Vec<_>>(), row.candidates_total())
    };
    sync_only(&fake, &db);
    let (first, total) = listed(&db);
    assert_eq!((first.len(), total), (10, 14), "{first:?}");

    let asked = login(&fake, &db, "zhangxu", None, false, NewMembers::Ignore);
    assert_eq!(ids(&asked), first, "offered exactly the listed accounts: {asked:#}");
    let _ = login(&fake, &db, "zhangxu", None, true, NewMembers::Ignore);
    assert_eq!(Store::open(&db).expect("store").declined_accounts("zhangxu").expect("q").len(), 10);

    sync_only(&fake, &db);
    let (next, total) = listed(&db);
    assert_eq!((next.len(), total), (4, 4), "{next:?}");
    assert!(next.iter().all(|id| !first.contains(id)), "{next:?} after {first:?}");
    commit_pending(&fake, &db);
}
