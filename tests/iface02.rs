//! What interface 0.2 moved into the plugin, through the loaded library and host-sim:
//! - a host restarted while WeCom is down activates the stored configuration (no WeCom call):
//!   login URLs and callbacks work at once, a hook that needs WeCom fails with `network.*`;
//! - the one name rule applies to callbacks too: a newcomer "王　晓楷" (ideographic space) beside a
//!   waiting account "王 晓楷" gets no second account, `plan_change` leaves the pair to the operator;
//! - departments removed in WeCom leave the mirrored tree (a `delete_party` callback, and a
//!   complete reconcile read), and `host-sim departments list --json` shows it;
//! - a bound member gone from a complete read beside one new member of the same name and
//!   departments is a `rename_proposed` row; `confirm_rename` moves the binding (evidence `rename`).

use crate::util::{self, ok};
use host_sim::cli::callback_options::CallbackOptions;
use host_sim::cli::serve::{open_platform, open_platform_full, OpenPlatform};
use host_sim::cli::session::WecomArgs;
use host_sim::fake_wecom::{contact_events, CallbackPusher, FakeWecom, User};
use host_sim::host::callbacks::{Outcome, Verdict};
use host_sim::store::Store;
use interface::{
    Binding, CommitInput, Edit, EditKind, Evidence, PersonalData, PlatformAccount, ProposalInput, RowKind,
    ScopeSelection,
};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A folder of its own under the system's temp folder, removed at the end.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let path = std::env::temp_dir().join(format!("wx-iface02-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).expect("temp dir");
        TempDir(path)
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

fn account(id: &str, name: &str, departments: &[&str]) -> PlatformAccount {
    PlatformAccount {
        id: id.into(),
        name: name.into(),
        departments: departments.iter().map(|d| (*d).into()).collect(),
        enabled: true,
        mobile: PersonalData::default(),
        email: PersonalData::default(),
        ext: Default::default(),
    }
}

/// Waits for the platform to follow every accepted change; the outcomes of the changes.
fn followed(open: &OpenPlatform, count: usize) -> Vec<Outcome> {
    assert!(open.platform.follower.wait_idle(Duration::from_secs(20)), "the platform keeps following");
    let outcomes: Vec<Outcome> =
        open.platform.follower.journal.entries().into_iter().filter(|o| o.what != "reconcile").collect();
    assert!(outcomes.len() >= count, "only {} of {count} changes followed: {outcomes:#?}", outcomes.len());
    outcomes
}

fn push(pusher: &CallbackPusher, event: &host_sim::fake_wecom::ContactEvent) {
    let delivery = pusher.push(event).expect("push");
    assert_eq!((delivery.status, delivery.body.as_str()), (200, ""), "acknowledged with an empty 200");
}

/// A free port on 127.0.0.1 (bound, read, released).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind");
    listener.local_addr().expect("addr").port()
}

/// The connection options of an external WeCom (the fake, reached by URL as any WeCom would be).
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

#[test]
fn a_host_restarted_while_wecom_is_down_serves_logins_and_callbacks_at_once() {
    let dir = TempDir::new("restart");
    let port = free_port();
    let platform_base = format!("http://127.0.0.1:{port}");
    let fake = util::fake();
    // The admin set the app up for this platform (homepage, trusted domain).
    fake.with_org(|org| {
        let app = &mut org.apps[0];
        app.home_url = format!("{platform_base}/");
        app.redirect_domain = format!("127.0.0.1:{port}");
    });
    let fake_base = fake.base_url();
    let args = external(&fake);
    let options = CallbackOptions {
        token: Some("RestartToken42".into()),
        aes_key: Some(host_sim::cli::callback_options::random_encoding_aes_key()),
        ..Default::default()
    };
    let corp_id = fake.with_org(|org| org.corp_id.clone());

    // First start: WeCom is up; configure checks for real and the store keeps what it accepted.
    {
        let store = Store::open(&dir.db()).expect("store");
        let open = open_platform_full(&args, port, store, None, false, &options).expect("first start");
        assert!(!open.session.activated, "configured on the first start");
        assert!(open.session.report.accepted, "{:#?}", open.session.report.findings);
    }
    let stored = Store::open(&dir.db()).expect("store").connection().expect("read").expect("configuration stored");
    assert_eq!(stored.settings.api_base_url.as_str(), fake_base);
    assert_eq!(stored.settings.callback_token.expose(), "RestartToken42");

    // WeCom goes down (the fake stops: its address refuses connections), and the host restarts.
    drop(fake);
    let started = Instant::now();
    let store = Store::open(&dir.db()).expect("store");
    let open = open_platform_full(&args, port, store, None, false, &options).expect("restart without WeCom");
    let restart = started.elapsed();
    assert!(open.session.activated, "the stored configuration is activated, not configured again");
    assert!(open.session.report.accepted, "{:#?}", open.session.report.findings);
    assert!(restart < Duration::from_secs(5), "no WeCom call at start: {restart:?}");

    // The login URL is served at once, pointing at the configured login page.
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let start = rt
        .block_on(
            client
                .get(format!("{}/oauth/wecom/start", open.server.base_url))
                .header("user-agent", host_sim::cli::login_flow::IN_CLIENT_UA)
                .send(),
        )
        .expect("start");
    assert_eq!(start.status().as_u16(), 302);
    let location = start.headers()["location"].to_str().expect("location").to_string();
    assert!(location.starts_with(&format!("{fake_base}/connect/oauth2/authorize?")), "{location}");
    assert!(location.contains(&format!("redirect_uri={}", "http%3A%2F%2F127.0.0.1%3A")), "{location}");

    // A callback is verified and answered at once.
    let pusher = CallbackPusher::new(
        &open.platform.callback_url(),
        "RestartToken42",
        options.aes_key.as_deref().unwrap_or(""),
        &corp_id,
    )
    .expect("pusher");
    let (verified, delivery) = pusher.verify_url().expect("verify");
    assert!(verified, "the decrypted echo: {delivery:?}");
    assert!(delivery.elapsed < Duration::from_secs(1), "{:?}", delivery.elapsed);

    // A hook that needs WeCom fails with a network error (and would recover when WeCom returns).
    let error = util::err(open.session.instance.oauth_login(&interface::LoginRequest {
        code: interface::SecretString::new("a-code-from-wecom"),
        ..Default::default()
    }));
    assert!(error.code.as_str().starts_with(interface::codes::NETWORK_PREFIX), "{error}");
    // A read says what it could not reach, and is incomplete (it drives no removal).
    let snapshot =
        ok(open.session.instance.fetch_scope(&ScopeSelection { department_ids: vec![1].into(), ..Default::default() }));
    assert!(!snapshot.complete, "{snapshot:?}");
    assert!(snapshot.problems.iter().any(|p| p.kind == interface::ProblemKind::ReadFailed), "{:?}", snapshot.problems);
}

#[test]
fn host_sim_callback_needs_only_token_key_and_corp_id_and_ignores_an_unrelated_secret() {
    use host_sim::cli::callback::{callback, CallbackArgs, CallbackOutcome};
    let key = host_sim::cli::callback_options::random_encoding_aes_key();
    let pusher = CallbackPusher::new("http://127.0.0.1:9/wecom/callback", "Tok3n", &key, "wwcorp0001").expect("pusher");
    let request = pusher.verification_request("echo-42", host_sim::fake_wecom::unix_now(), "n42");
    let query: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(request.query.as_bytes()).into_owned().collect();
    let args = CallbackArgs {
        wecom: WecomArgs {
            corp_id: Some("wwcorp0001".into()),
            // As if WECOM_SECRET were set for something else: not used, not checked.
            secret: Some("an-unrelated-secret".into()),
            wecom_base_url: Some("http://127.0.0.1:9".into()),
            plugin: Some(util::plugin_path()),
            ..Default::default()
        },
        token: "Tok3n".into(),
        aes_key: key,
        msg_signature: query["msg_signature"].clone(),
        timestamp: query["timestamp"].clone(),
        nonce: query["nonce"].clone(),
        echostr: Some(query["echostr"].clone()),
        body: None,
        now: None,
        lang: host_sim::render::table::Lang::En,
        json: false,
    };
    let mut out = Vec::new();
    let outcome = callback(&args, &mut out).expect("runs");
    let text = String::from_utf8_lossy(&out);
    match outcome {
        CallbackOutcome::Reply(reply) => assert_eq!(reply.body.as_str(), "echo-42", "{text}"),
        other => panic!("{other:?}: {text}"),
    }
}

#[test]
fn a_newcomer_whose_name_differs_only_by_an_ideographic_space_is_left_to_the_operator() {
    let open = open_platform(
        &WecomArgs { plugin: Some(util::plugin_path()), ..Default::default() },
        0,
        Store::in_memory().expect("store"),
        None,
    )
    .expect("platform starts");
    let pusher = open.pusher().expect("pusher");
    let fake = open.session.fake.as_ref().expect("fake");
    // An account typed by hand with an ASCII space waits, unbound, for its person.
    open.platform
        .store
        .lock()
        .expect("store")
        .import_accounts(&[account("u-3001", "王 晓楷", &["测试部门"])])
        .expect("import");

    let newcomer =
        User { userid: "wangxk2".into(), name: "王\u{3000}晓楷".into(), departments: vec![4], ..User::default() };
    push(&pusher, &fake.with_org(|org| contact_events::add_member(org, newcomer)));
    let outcomes = followed(&open, 1);
    let created = &outcomes[0];
    assert_eq!(created.what, "create_user");
    assert_eq!(created.verdict, Verdict::Operator, "the same normalised name waits for the operator: {outcomes:#?}");
    assert!(created.applied.is_none_or(|a| a.accounts_created == 0), "{outcomes:#?}");
    let store = open.platform.store.lock().expect("store");
    assert!(store.account_for_userid("wangxk2").expect("query").is_none(), "no binding for the newcomer");
    assert!(store.account(&host_sim::store::new_account_id("wangxk2")).expect("query").is_none(), "no second account");
    assert!(
        store.bindings().expect("bindings").iter().all(|b| b.account_id.as_str() != "u-3001"),
        "the waiting account is not bound silently either"
    );
}

#[test]
fn departments_removed_in_wecom_leave_the_mirrored_tree_and_departments_list_shows_it() {
    let dir = TempDir::new("departments");
    let open = open_platform(
        &WecomArgs { plugin: Some(util::plugin_path()), ..Default::default() },
        0,
        Store::open(&dir.db()).expect("store"),
        None,
    )
    .expect("platform starts");
    let pusher = open.pusher().expect("pusher");
    let fake = open.session.fake.as_ref().expect("fake");
    let ids = || -> Vec<u32> {
        open.platform.store.lock().expect("store").departments().expect("read").iter().map(|d| d.wecom_id).collect()
    };
    assert_eq!(ids(), [1, 2, 3, 4, 5], "the seed sync mirrored the tree");

    // A department created and deleted by callbacks.
    push(&pusher, &fake.with_org(|org| contact_events::add_department(org, 6, "运维部", 2)));
    followed(&open, 1);
    assert!(ids().contains(&6));
    open.platform
        .store
        .lock()
        .expect("store")
        .import_accounts(&[account("u-4001", "运维同事", &["运维部", "研发部"])])
        .expect("an account that carries the department");
    push(&pusher, &fake.with_org(|org| contact_events::delete_department(org, 6)).expect("department"));
    let outcomes = followed(&open, 2);
    assert_eq!((outcomes[1].what.as_str(), outcomes[1].verdict), ("delete_party", Verdict::Apply), "{outcomes:#?}");
    assert!(!ids().contains(&6), "removed by delete_party");
    let carrier = open.platform.store.lock().expect("store").account("u-4001").expect("read").expect("kept");
    let departments: Vec<&str> = carrier.departments.iter().map(|d| d.as_str()).collect();
    assert_eq!(departments, ["研发部"], "the account stays, without the removed department");

    // A department gone from a complete read (its callback lost) goes at the reconcile.
    fake.with_org(|org| {
        org.departments.retain(|d| d.id != 5);
        for user in org.users.iter_mut() {
            user.departments.retain(|&d| d != 5);
            if user.departments.is_empty() {
                user.departments.push(2);
            }
        }
        for tag in org.tags.iter_mut() {
            tag.departments.retain(|&d| d != 5);
        }
    });
    let reconciled = open.platform.reconcile();
    assert!(reconciled.iter().all(|o| o.error.is_none()), "{reconciled:#?}");
    assert!(reconciled.iter().any(|o| o.applied.is_some_and(|a| a.departments_removed == 1)), "{reconciled:#?}");
    assert_eq!(ids(), [1, 2, 3, 4], "平台组 (5) removed after a complete read");

    // `host-sim departments list --json` shows the mirrored tree, parents first.
    let args = host_sim::cli::workflow::departments::DepartmentsArgs {
        command: host_sim::cli::workflow::departments::DepartmentsCommand::List(
            host_sim::cli::workflow::departments::DepartmentsListArgs {
                db: dir.db(),
                lang: host_sim::render::table::Lang::En,
                json: true,
            },
        ),
    };
    let mut out = Vec::new();
    assert!(host_sim::cli::workflow::departments::run(&args, &mut out).expect("runs"));
    let listed: serde_json::Value = serde_json::from_slice(&out).expect("json");
    let rows: Vec<(u64, String, u64)> = listed
        .as_array()
        .expect("array")
        .iter()
        .map(|d| {
            (
                d["wecom_id"].as_u64().unwrap_or(0),
                d["name"].as_str().unwrap_or("").to_string(),
                d["depth"].as_u64().unwrap_or(9),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [(1, "万象科技".into(), 0), (2, "研发部".into(), 1), (4, "测试部门".into(), 2), (3, "市场部门".into(), 1)],
        "{listed:#}"
    );
}

#[test]
fn a_bound_member_renamed_in_wecom_is_proposed_as_a_rename_and_confirm_rename_moves_the_binding() {
    let fake = util::fake();
    let (plugin, _) = util::configured(&fake);
    let snapshot = ok(plugin.fetch_scope(&ScopeSelection { department_ids: vec![1].into(), ..Default::default() }));
    assert!(snapshot.complete, "{:?}", snapshot.problems);
    // The platform bound 王晓楷's account to a userid WeCom no longer has ("wxk-before"); WeCom now
    // lists wangxiaokai, one new member with the same name and departments.
    let mut store = Store::in_memory().expect("store");
    store.import_accounts(&[account("u-9001", "王晓楷", &["研发部", "平台组"])]).expect("accounts");
    store
        .import_bindings(&[Binding {
            userid: "wxk-before".into(),
            account_id: "u-9001".into(),
            evidence: Evidence::Operator,
        }])
        .expect("binding");
    let input = ProposalInput {
        snapshot,
        accounts: store.accounts().expect("accounts").into(),
        bindings: store.bindings().expect("bindings").into(),
        departments: store.departments().expect("departments").into(),
        ..Default::default()
    };
    let proposal = ok(plugin.propose_bindings(&input));
    let row = proposal.rows.iter().find(|r| r.userid.as_str() == "wangxiaokai").expect("row");
    assert_eq!(row.kind, RowKind::RenameProposed, "{row:#?}");
    assert_eq!(row.kind.name(), Some("rename_proposed"));
    assert_eq!(row.previous_userid.as_str(), "wxk-before");
    assert_eq!(row.account.as_ref().map(|a| a.account_id.as_str()).into_option(), Some("u-9001"));
    assert_eq!(proposal.counts.renames, 1);
    assert!(
        proposal.rows.iter().all(|r| r.kind != RowKind::LeftWecom || r.userid.as_str() != "wxk-before"),
        "the old userid is not proposed for removal beside the rename"
    );

    // Without a decision the rename waits; confirmed, the binding moves (evidence `rename`).
    let plain =
        ok(plugin.commit(&CommitInput { input: input.clone(), proposal: proposal.clone(), ..Default::default() }));
    assert!(plain.create_bindings.iter().all(|b| b.account_id.as_str() != "u-9001"), "{plain:#?}");
    assert!(plain.create_accounts.iter().all(|a| a.userid.as_str() != "wangxiaokai"), "no second account");
    let confirm = Edit {
        kind: EditKind::ConfirmRename,
        userid: "wangxiaokai".into(),
        account_id: None.into(),
        evidence: Evidence::Operator,
    };
    let changes =
        ok(plugin.commit(&CommitInput { input, proposal, edits: vec![confirm].into(), ..Default::default() }));
    assert!(
        changes.create_bindings.iter().any(|b| b.userid.as_str() == "wangxiaokai"
            && b.account_id.as_str() == "u-9001"
            && b.evidence == Evidence::Rename),
        "{changes:#?}"
    );
    assert!(changes.remove_bindings.iter().all(|u| !u.disable_account), "a rename disables nothing: {changes:#?}");
    store
        .apply(&changes, &host_sim::store::Audit::new(host_sim::store::Actor::Operator, interface::Text::default()))
        .expect("apply");
    let moved = store.binding_for_userid("wangxiaokai").expect("query").expect("bound");
    assert_eq!((moved.account_id.as_str(), moved.evidence), ("u-9001", Evidence::Rename));
    assert!(store.binding_for_userid("wxk-before").expect("query").is_none(), "the old userid's binding is gone");
    assert!(store.account("u-9001").expect("read").expect("kept").enabled);
}

#[test]
fn accounts_carry_contact_fields_shown_masked_in_text_and_clear_in_json_with_their_binding() {
    use host_sim::cli::workflow::accounts::{AccountsImportArgs, AccountsListArgs};
    let dir = TempDir::new("accounts");
    let db = dir.db();
    let file = dir.0.join("accounts.json");
    std::fs::write(
        &file,
        r#"[{"id":"p-1","name":"王晓楷","departments":["研发部"],"mobile":"13800000000","email":"wang@example.com"},
            {"id":"p-2","name":"赵六"}]"#,
    )
    .expect("write");
    let args = AccountsImportArgs { file, db: db.clone(), json: false };
    assert!(host_sim::cli::workflow::run_accounts_import(&args, &mut Vec::new()).expect("imports"));
    Store::open(&db)
        .expect("store")
        .import_bindings(&[Binding {
            userid: "wangxiaokai".into(),
            account_id: "p-1".into(),
            evidence: Evidence::Contact,
        }])
        .expect("bind");

    let list = |json: bool| {
        let mut out = Vec::new();
        let args = AccountsListArgs { db: db.clone(), lang: host_sim::render::table::Lang::En, json };
        assert!(host_sim::cli::workflow::run_accounts_list(&args, &mut out).expect("list"));
        String::from_utf8(out).expect("utf-8")
    };
    let text = list(false);
    assert!(text.contains("138****0000") && text.contains("w***@example.com"), "masked in text:\n{text}");
    assert!(!text.contains("13800000000") && !text.contains("wang@example.com"), "never clear in text:\n{text}");
    assert!(text.contains("wangxiaokai") && text.contains("contact"), "{text}");

    let json: serde_json::Value = serde_json::from_str(&list(true)).expect("json");
    let first = &json[0];
    assert_eq!((first["mobile"].as_str(), first["email"].as_str()), (Some("13800000000"), Some("wang@example.com")));
    assert_eq!((first["bound_userid"].as_str(), first["evidence"].as_str()), (Some("wangxiaokai"), Some("contact")));
    assert!(json[1]["bound_userid"].is_null() && json[1]["evidence"].is_null(), "{json:#}");
    // The --json output imports as it is.
    let again = dir.0.join("again.json");
    std::fs::write(&again, list(true)).expect("write");
    let args = AccountsImportArgs { file: again, db: db.clone(), json: false };
    assert!(host_sim::cli::workflow::run_accounts_import(&args, &mut Vec::new()).expect("re-imports its own export"));
}

#[test]
fn a_name_binding_is_confirmed_by_the_members_consented_mobile_on_a_second_hop() {
    let open = open_platform(
        &WecomArgs { plugin: Some(util::plugin_path()), ..Default::default() },
        0,
        Store::in_memory().expect("store"),
        None,
    )
    .expect("platform starts");
    let fake = open.session.fake.as_ref().expect("fake");
    {
        let mut store = open.platform.store.lock().expect("store");
        let provisional = store.binding_for_userid("wangxiaokai").expect("q").map(|b| b.evidence);
        assert!(matches!(provisional, Some(Evidence::Name | Evidence::NameDepartment)), "{provisional:?}");
        // The platform knows 王晓楷's mobile (the fake's member shares the same one when consenting),
        // and clear's account (u-1005) an email that the member's does not match.
        let mut wang = store.account("u-1004").expect("read").expect("account");
        wang.mobile = PersonalData::new("13800000000");
        let mut clear = store.account("u-1005").expect("read").expect("account");
        clear.email = PersonalData::new("someone-else@wanxiang.example");
        store.import_accounts(&[wang, clear]).expect("contact fields");
    }
    fake.with_org(|org| {
        if let Some(u) = org.users.iter_mut().find(|u| u.userid == "clear") {
            u.email = "clear@wanxiang.example".into();
        }
    });
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let base = open.server.base_url.clone();

    let trip = rt
        .block_on(host_sim::cli::login_flow::drive(&base, "wangxiaokai", host_sim::cli::login_flow::IN_CLIENT_UA))
        .expect("trip");
    assert_eq!((trip.outcome.as_str(), trip.account_id.as_deref()), ("signed-in", Some("u-1004")), "{trip:#?}");
    assert!(trip.visited.iter().any(|u| u.contains("scope=snsapi_privateinfo")), "the consent hop: {trip:#?}");
    assert!(trip.visited.iter().filter(|u| u.contains("/connect/oauth2/authorize?")).count() == 2, "{trip:#?}");
    let store = open.platform.store.lock().expect("store");
    assert_eq!(
        store.binding_for_userid("wangxiaokai").expect("q").map(|b| b.evidence),
        Some(Evidence::Contact),
        "confirmed by the consented mobile: the next login needs no consent"
    );
    drop(store);
    let again = rt
        .block_on(host_sim::cli::login_flow::drive(&base, "wangxiaokai", host_sim::cli::login_flow::IN_CLIENT_UA))
        .expect("trip");
    assert_eq!(again.outcome, "signed-in", "{again:#?}");
    assert!(again.visited.iter().all(|u| !u.contains("snsapi_privateinfo")), "one click now: {again:#?}");

    // A consented email that contradicts the bound account: refused, the binding goes back to the operator.
    let clear = rt
        .block_on(host_sim::cli::login_flow::drive(&base, "clear", host_sim::cli::login_flow::IN_CLIENT_UA))
        .expect("trip");
    assert_ne!(clear.outcome, "signed-in", "{clear:#?}");
    let store = open.platform.store.lock().expect("store");
    assert!(
        store.binding_for_userid("clear").expect("q").is_none_or(|b| b.evidence != Evidence::Contact),
        "never confirmed by a contradicting email"
    );
}

#[test]
fn login_code_reports_signed_in_evidence_and_needs_and_answers_a_password_request() {
    use host_sim::cli::login::{run, LoginArgs, Via};
    use host_sim::cli::workflow::{commit::CommitArgs, sync::SyncArgs, ScopeArgs, WorkflowArgs};
    let fake = util::fake();
    let dir = TempDir::new("login-code");
    let db = dir.db();
    // The sample platform (accounts with the demo password) synced against a WeCom given by URL.
    host_sim::host::sample::seed(&mut Store::open(&db).expect("store")).expect("seed");
    let common =
        WorkflowArgs { wecom: external(&fake), db: db.clone(), lang: host_sim::render::table::Lang::En, json: true };
    let sync = SyncArgs {
        common: common.clone(),
        platform_url: util::PLATFORM.into(),
        scope: ScopeArgs { scope_departments: vec![1], ..Default::default() },
        ..Default::default()
    };
    assert!(host_sim::cli::workflow::sync::sync(&sync, &mut Vec::new()).expect("sync").is_some(), "accepted");
    let mut out = Vec::new();
    let committed =
        host_sim::cli::workflow::commit::commit(&CommitArgs { common, dry_run: false, ..Default::default() }, &mut out)
            .expect("commit");
    assert!(
        matches!(committed, host_sim::cli::workflow::commit::CommitOutcome::Applied(..)),
        "{}",
        String::from_utf8_lossy(&out)
    );

    let login = |userid: &str, password: Option<&str>, not_mine: bool| {
        let args = LoginArgs {
            wecom: external(&fake),
            as_user: None,
            code: Some(fake.mint_code(1000002, userid)),
            via: Via::InClient,
            db: Some(db.clone()),
            port: 0,
            json: true,
            password: password.map(str::to_string),
            not_mine,
            policy: Default::default(),
        };
        let mut out = Vec::new();
        let signed_in = run(&args, &mut out).expect("runs");
        let json: serde_json::Value = serde_json::from_slice(&out).expect("one JSON object");
        assert_eq!(json["signed_in"].as_bool(), Some(signed_in), "{json:#}");
        json
    };
    // Bound on the name alone: not signed in, the platform password is asked for.
    let asked = login("wangxiaokai", None, false);
    assert_eq!((asked["signed_in"].as_bool(), asked["needs"].as_str()), (Some(false), Some("password")), "{asked:#}");
    assert!(asked["account"].is_null(), "{asked:#}");
    let wrong = login("wangxiaokai", Some("not-the-password"), false);
    assert_eq!(wrong["signed_in"].as_bool(), Some(false), "{wrong:#}");
    let proved = login("wangxiaokai", Some(host_sim::host::sample::DEMO_PASSWORD), false);
    assert_eq!(
        (proved["signed_in"].as_bool(), proved["account"]["id"].as_str(), proved["evidence"].as_str()),
        (Some(true), Some("u-1004"), Some("password")),
        "{proved:#}"
    );
    let again = login("wangxiaokai", None, false);
    assert_eq!((again["signed_in"].as_bool(), again["evidence"].as_str()), (Some(true), Some("password")), "{again:#}");
    // A departed member: refused with its error, never signed in.
    let left = login("zhoumin", None, false);
    assert_eq!(
        (left["signed_in"].as_bool(), left["error"]["code"].as_str()),
        (Some(false), Some("login.member_left")),
        "{left:#}"
    );
}

#[test]
fn a_reconcile_that_missed_a_userid_change_neither_unbinds_nor_creates_a_second_account() {
    let open = open_platform(
        &WecomArgs { plugin: Some(util::plugin_path()), ..Default::default() },
        0,
        Store::in_memory().expect("store"),
        None,
    )
    .expect("platform starts");
    let fake = open.session.fake.as_ref().expect("fake");
    assert_eq!(
        open.platform
            .store
            .lock()
            .expect("store")
            .account_for_userid("baikaishui")
            .expect("q")
            .map(|a| a.id.to_string()),
        Some("u-1003".into())
    );
    // The admin changes 白开水's userid; the callback is lost.
    fake.with_org(|org| contact_events::change_userid(org, "baikaishui", "bai.kaishui")).expect("member");
    let outcomes = open.platform.reconcile();
    assert!(outcomes.iter().all(|o| o.error.is_none()), "{outcomes:#?}");
    // (周敏, who left, is unbound as ever; 白开水's account is not.)
    assert!(
        outcomes.iter().all(|o| !o.unbound_accounts.iter().any(|a| a == "u-1003")),
        "nothing unbound on a probable rename: {outcomes:#?}"
    );
    let store = open.platform.store.lock().expect("store");
    assert!(store.account(&host_sim::store::new_account_id("bai.kaishui")).expect("q").is_none(), "no second account");
    let account = store.account("u-1003").expect("q").expect("kept");
    assert!(account.enabled, "the account stays enabled");
    assert_eq!(
        store.binding_for_userid("baikaishui").expect("q").map(|b| b.account_id.to_string()),
        Some("u-1003".into()),
        "the binding waits for the operator's confirm-rename"
    );
}

#[test]
fn a_reconcile_that_would_remove_a_quarter_of_the_bindings_applies_nothing_until_the_count_is_confirmed() {
    use host_sim::host::callbacks::{Follower, Policy};
    use std::sync::{Arc, Mutex};
    let fake = util::fake();
    let members: Vec<String> = (0..30).map(|i| format!("m{i:02}")).collect();
    fake.with_org(|org| {
        for (i, userid) in members.iter().enumerate() {
            org.users.push(User {
                userid: userid.clone(),
                name: format!("成员{i:02}"),
                departments: vec![4],
                ..User::default()
            });
        }
    });
    let (plugin, _) = util::configured(&fake);
    let plugin = Arc::new(plugin);
    let mut store = Store::in_memory().expect("store");
    let accounts: Vec<PlatformAccount> = members
        .iter()
        .enumerate()
        .map(|(i, _)| account(&format!("a{i:02}"), &format!("成员{i:02}"), &["测试部门"]))
        .collect();
    store.import_accounts(&accounts).expect("accounts");
    let bindings: Vec<Binding> = members
        .iter()
        .enumerate()
        .map(|(i, m)| Binding {
            userid: m.as_str().into(),
            account_id: format!("a{i:02}").into(),
            evidence: Evidence::Operator,
        })
        .collect();
    store.import_bindings(&bindings).expect("bindings");
    let store = Arc::new(Mutex::new(store));
    let scope = ScopeSelection { department_ids: vec![1].into(), ..Default::default() };
    // A read that lost most of a department: 25 of the 30 bound members are gone.
    fake.with_org(|org| org.users.retain(|u| !members[..25].contains(&u.userid)));

    let refused = Follower::new(plugin.clone(), store.clone(), scope.clone(), Policy::default()).reconcile();
    let error = refused.iter().find_map(|o| o.error.clone()).unwrap_or_else(|| panic!("refused: {refused:#?}"));
    assert!(error.contains("binding.mass_removal"), "{error}");
    assert_eq!(store.lock().expect("store").bindings().expect("read").len(), 30, "nothing applied");

    let mut confirmed = Follower::new(plugin, store.clone(), scope, Policy::default());
    confirmed.removal_guard = interface::RemovalGuard { max_removals: 0, confirmed_removals: 25 };
    let applied = confirmed.reconcile();
    assert!(applied.iter().all(|o| o.error.is_none()), "{applied:#?}");
    let left: Vec<String> = store
        .lock()
        .expect("store")
        .bindings()
        .expect("read")
        .iter()
        .filter(|b| b.userid.starts_with('m'))
        .map(|b| b.userid.to_string())
        .collect();
    assert_eq!(left, members[25..].to_vec(), "the confirmed 25 removals went through: {applied:#?}");
}
