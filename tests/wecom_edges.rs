//! What the real WeCom does at the edges (issue 15), each against the fake switched to behave so:
//! `agent/get` not IP-gated, another app's Secret answered with 60011, department and member
//! lists refused or too large, 60111, 40001 from a business call, and the two callback receivers.

use crate::util::{self, ok};
use host_sim::fake_wecom::{Behaviour, FakeWecom};
use interface::{ConfigReport, Finding, FindingStatus};

fn finding<'a>(report: &'a ConfigReport, code: &str) -> &'a Finding {
    report
        .findings
        .iter()
        .find(|f| f.code.as_str() == code)
        .unwrap_or_else(|| panic!("no finding {code}: {:#?}", report.findings))
}

fn configure(fake: &FakeWecom) -> ConfigReport {
    ok(util::instance().configure(&util::settings(fake)))
}

fn behaving(behaviour: Behaviour) -> FakeWecom {
    let fake = util::fake();
    fake.set_behaviour(behaviour);
    fake
}

#[test]
fn an_untrusted_ip_is_caught_even_when_agent_get_is_not_ip_gated() {
    let fake = behaving(Behaviour { agent_get_ignores_trusted_ip: true, ..Behaviour::default() });
    fake.with_org(|org| org.apps[0].trusted_ips = vec!["203.0.113.7".into()]);
    let report = configure(&fake);
    assert!(!report.accepted, "{:#?}", report.findings);
    assert!(report.findings.iter().all(|f| f.code.as_str() != "config.trusted_ip_ok"), "{:#?}", report.findings);
    let e = finding(&report, "config.trusted_ip_missing");
    assert_eq!(e.status, FindingStatus::Error);
    assert_eq!(e.wecom_errcode.into_option(), Some(60020));
    assert!(e.message.zh.contains("127.0.0.1") && e.fix.en.contains("127.0.0.1"), "{e:?}");
    assert_eq!(report.setup.egress_ip.as_ref().map(|ip| ip.as_str()), Some("127.0.0.1").into());
    // The app checks still ran on agent/get's answer.
    assert_eq!(finding(&report, "config.agent_ok").status, FindingStatus::Ok);
}

#[test]
fn a_trusted_ip_is_proved_with_a_directory_call() {
    let fake = behaving(Behaviour { agent_get_ignores_trusted_ip: true, ..Behaviour::default() });
    fake.with_org(|org| org.apps[0].trusted_ips = vec!["203.0.113.7; 127.0.0.1".into()]);
    let report = configure(&fake);
    assert!(report.accepted, "{:#?}", report.findings);
    assert!(finding(&report, "config.trusted_ip_ok").message.en.contains("department/list"));

    // A range of members only: proved with user/get.
    fake.with_org(|org| {
        org.apps[0].allow_departments.clear();
        org.apps[0].allow_users = vec!["zhangxu".into()];
    });
    fake.reset_counts();
    let report = configure(&fake);
    assert!(finding(&report, "config.trusted_ip_ok").message.en.contains("user/get"), "{:#?}", report.findings);
    assert_eq!(fake.request_counts().get("user/get").copied(), Some(1));
}

#[test]
fn a_probe_refused_for_another_reason_gives_way_to_the_next() {
    // A member put in the range one by one but deleted since: user/get answers 60111, and the
    // department in the range proves the IP instead.
    let fake = util::fake();
    fake.with_org(|org| org.apps[0].allow_users = vec!["ghost".into()]);
    let report = configure(&fake);
    assert!(report.accepted, "{:#?}", report.findings);
    assert!(finding(&report, "config.trusted_ip_ok").message.en.contains("department/list"), "{:#?}", report.findings);

    // Nothing else to try: the IP stays unconfirmed (a warning), not blamed.
    fake.with_org(|org| org.apps[0].allow_departments.clear());
    let report = configure(&fake);
    let line = finding(&report, "config.trusted_ip_unconfirmed");
    assert_eq!((line.status, line.wecom_errcode.into_option()), (FindingStatus::Warning, Some(60111)));
    assert!(report.findings.iter().all(|f| f.code.as_str() != "config.trusted_ip_missing"));
}

#[test]
fn another_apps_secret_answered_with_60011_is_named_as_such() {
    let fake = behaving(Behaviour { agent_get_other_app_is_60011: true, ..Behaviour::default() });
    let mut settings = util::settings(&fake);
    let other =
        host_sim::fake_wecom::Org::sample().apps.into_iter().find(|a| a.agent_id == 1000003).expect("second app");
    settings.secret = interface::SecretString::new(other.secret);
    let report = ok(util::instance().configure(&settings));
    assert!(!report.accepted);
    let e = finding(&report, "config.secret_agent_mismatch");
    assert_eq!(e.status, FindingStatus::Error);
    assert_eq!(e.wecom_errcode.into_option(), Some(60011));
    assert!(e.message.en.contains("does not belong to AgentID 1000002"), "{}", e.message.en);
    assert!(e.message.zh.contains("不属于 AgentID 1000002"), "{}", e.message.zh);
    assert!(e.fix.zh.contains("AgentId 和 Secret"), "{}", e.fix.zh);
}

fn login(code: String) -> interface::LoginRequest {
    interface::LoginRequest { code: interface::SecretString::new(code), ..Default::default() }
}

#[test]
fn userid_not_found_is_named_as_not_found_or_outside_the_range() {
    let fake = behaving(Behaviour { user_get_out_of_range_is_60111: true, ..Behaviour::default() });
    let (plugin, _) = util::configured(&fake);
    // zhangxu is in department 4; the app now sees department 3 only.
    fake.with_org(|org| org.apps[0].allow_departments = vec![3]);
    let e = util::err(plugin.oauth_login(&login(fake.mint_code(1000002, "zhangxu"))));
    assert_eq!(e.code.as_str(), "login.member_not_found");
    assert_eq!(e.wecom_errcode.into_option(), Some(60111));
    assert!(e.message.en.contains("outside the app's visible range"), "{}", e.message.en);
    assert!(e.message.zh.contains("不在应用的可见范围内"), "{}", e.message.zh);
    assert!(e.fix.zh.contains("可见范围") && e.fix.en.contains("visible range"), "{:?}", e.fix);
    assert!(!e.message.en.contains("left"), "not read as a leaver: {}", e.message.en);

    let scope = interface::ScopeSelection { user_ids: vec!["zhangxu".into()].into(), ..Default::default() };
    let snapshot = ok(plugin.fetch_scope(&scope));
    let problem = snapshot.problems.iter().find(|p| p.subject.as_str() == "user:zhangxu").expect("problem");
    assert_eq!(problem.wecom_errcode.into_option(), Some(60111));
    assert!(problem.message.en.contains("visible range"), "{}", problem.message.en);
}

#[test]
fn invalid_credential_from_a_business_call_refreshes_the_token_once() {
    use host_sim::fake_wecom::{FaultKind, FaultRule};
    let fake = util::fake();
    let (plugin, _) = util::configured(&fake);
    fake.reset_counts();
    fake.set_faults(
        FaultRule::new(FaultKind::Errcode { errcode: 40001, errmsg: "invalid credential".into() })
            .on("user/get")
            .times(1)
            .into(),
    );
    let outcome = ok(plugin.oauth_login(&login(fake.mint_code(1000002, "wangxiaokai"))));
    assert_eq!(outcome.userid.as_str(), "wangxiaokai");
    let counts = fake.request_counts();
    assert_eq!(counts.get("gettoken").copied(), Some(1), "one refresh: {counts:?}");
    assert_eq!(counts.get("user/get").copied(), Some(2), "one retry: {counts:?}");
}

fn whole() -> interface::ScopeSelection {
    interface::ScopeSelection { department_ids: vec![1].into(), ..Default::default() }
}

fn calls(fake: &FakeWecom, endpoint: &str) -> u64 {
    fake.request_counts().get(endpoint).copied().unwrap_or(0)
}

#[test]
fn a_refused_department_list_is_read_as_simplelist_and_get() {
    let fake = behaving(Behaviour { department_list_refused: Some(48009), ..Behaviour::default() });
    let (plugin, _) = util::configured(&fake);
    fake.reset_counts();
    let snap = ok(plugin.fetch_scope(&whole()));
    assert!(snap.complete, "{:#?}", snap.problems);
    assert!(snap.problems.is_empty(), "{:#?}", snap.problems);
    assert_eq!(snap.members.len(), 9);
    let names: Vec<&str> = snap.departments.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names.len(), 5);
    assert!(names.contains(&"研发部") && names.contains(&"万象科技"), "{names:?}");
    let zhangxu = snap.members.iter().find(|m| m.userid.as_str() == "zhangxu").expect("zhangxu");
    assert_eq!(zhangxu.department_names.iter().map(|n| n.as_str()).collect::<Vec<_>>(), ["测试部门"]);
    assert_eq!((calls(&fake, "department/list"), calls(&fake, "department/simplelist")), (1, 1));
    assert_eq!(calls(&fake, "department/get"), 5);
}

#[test]
fn a_range_without_departments_reads_no_department_list() {
    let fake = behaving(Behaviour { department_list_refused_without_departments: Some(60011), ..Behaviour::default() });
    fake.with_org(|org| {
        org.apps[0].allow_departments.clear();
        org.apps[0].allow_users = vec!["zhangxu".into(), "clear".into()];
        org.apps[0].allow_tags = vec![2];
    });
    let (plugin, report) = util::configured(&fake);
    assert!(report.accepted, "{:#?}", report.findings);
    fake.reset_counts();
    let scope = interface::ScopeSelection {
        user_ids: vec!["zhangxu".into(), "clear".into()].into(),
        tag_ids: vec![2].into(),
        ..Default::default()
    };
    let snap = ok(plugin.fetch_scope(&scope));
    assert!(snap.complete, "{:#?}", snap.problems);
    let mut userids: Vec<&str> = snap.members.iter().map(|m| m.userid.as_str()).collect();
    userids.sort_unstable();
    assert_eq!(userids, ["clear", "xiaoyueyue", "zhangxu"]);
    assert_eq!(calls(&fake, "department/list"), 0, "{:?}", fake.request_counts());
}

#[test]
fn a_refused_member_list_is_read_member_by_member_with_full_details() {
    for errcode in [48002, 48009, 60011] {
        let fake = behaving(Behaviour { user_list_refused: Some(errcode), ..Behaviour::default() });
        let (plugin, _) = util::configured(&fake);
        fake.reset_counts();
        let snap = ok(plugin.fetch_scope(&whole()));
        assert!(snap.complete, "{errcode}: {:#?}", snap.problems);
        assert!(snap.problems.is_empty(), "{errcode}: {:#?}", snap.problems);
        assert_eq!(snap.members.len(), 9);
        let zhoumin = snap.members.iter().find(|m| m.userid.as_str() == "zhoumin").expect("zhoumin");
        assert_eq!(zhoumin.status, interface::MemberStatus::Left, "user/get gives the status");
        assert_eq!(calls(&fake, "user/simplelist"), 5);
        assert_eq!(calls(&fake, "user/get"), 9, "each member once, though wangxiaokai is in two departments");
    }
}

#[test]
fn members_whose_details_are_refused_too_keep_their_names() {
    use host_sim::fake_wecom::{FaultKind, FaultRule};
    let fake = behaving(Behaviour { user_list_refused: Some(48002), ..Behaviour::default() });
    let (plugin, _) = util::configured(&fake);
    fake.set_faults(
        FaultRule::new(FaultKind::Errcode { errcode: 48002, errmsg: "api forbidden".into() }).on("user/get").into(),
    );
    let snap = ok(plugin.fetch_scope(&whole()));
    assert!(snap.complete, "{:#?}", snap.problems);
    assert_eq!(snap.members.len(), 9);
    assert!(snap.members.iter().all(|m| m.status == interface::MemberStatus::Unknown && !m.name.is_empty()));
    let kinds: Vec<_> = snap.problems.iter().map(|p| p.kind).collect();
    assert_eq!(kinds, [interface::ProblemKind::FieldsUnavailable], "{:#?}", snap.problems);
}

#[test]
fn a_department_answer_over_the_size_cap_is_read_by_the_fallback() {
    // Departments 3 and 4 have three direct members each: with 6 MiB of custom attributes per
    // member their user/list answers pass the plugin's 16 MiB cap; one member's user/get does not.
    let fake = behaving(Behaviour { member_extattr_bytes: 6 * 1024 * 1024, ..Behaviour::default() });
    let (plugin, _) = util::configured(&fake);
    fake.reset_counts();
    let snap = ok(plugin.fetch_scope(&whole()));
    assert!(snap.complete, "{:#?}", snap.problems);
    assert_eq!(snap.members.len(), 9);
    assert_eq!(calls(&fake, "user/simplelist"), 2, "{:?}", fake.request_counts());
    assert_eq!(calls(&fake, "user/get"), 6, "{:?}", fake.request_counts());
}

mod receivers {
    //! The two callback receivers: the contact-sync one carries leavers, the app's own (by the
    //! documented reading) only userid changes; events from both decode.

    use crate::util::{self, ok};
    use host_sim::cli::serve::{open_platform, OpenPlatform};
    use host_sim::cli::session::WecomArgs;
    use host_sim::fake_wecom::{contact_events, Receiver};
    use host_sim::store::Store;
    use interface::{ChangeKind, DirectoryChange};
    use std::time::Duration;

    fn platform() -> OpenPlatform {
        let args = WecomArgs { plugin: Some(util::plugin_path()), ..Default::default() };
        open_platform(&args, 0, Store::in_memory().expect("store"), None).expect("platform starts")
    }

    fn account_of(open: &OpenPlatform, userid: &str) -> Option<(String, bool)> {
        let store = open.platform.store.lock().expect("store");
        store.account_for_userid(userid).expect("query").map(|a| (a.id.to_string(), a.enabled))
    }

    fn settle(open: &OpenPlatform) {
        assert!(open.platform.follower.wait_idle(Duration::from_secs(20)), "the platform keeps following");
    }

    #[test]
    fn a_leaver_arrives_at_the_contact_sync_receiver_and_not_at_the_apps_own() {
        let open = platform();
        let fake = open.session.fake.as_ref().expect("fake");
        let sync = open.pusher().expect("pusher").with_receiver(Receiver::ContactSync);
        let app = open.pusher().expect("pusher").with_receiver(Receiver::App { agent_id: 1000002 });
        assert_eq!(account_of(&open, "wangxiaokai"), Some(("u-1004".into(), true)));

        let leaver = fake.with_org(|org| contact_events::delete_member(org, "wangxiaokai")).expect("member");
        assert!(!app.receiver().carries(&leaver));
        assert!(app.push(&leaver).is_err(), "WeCom sends the app's own receiver no leaver");
        settle(&open);
        assert_eq!(account_of(&open, "wangxiaokai"), Some(("u-1004".into(), true)), "nothing arrived");

        let delivery = sync.push(&leaver).expect("push");
        assert_eq!((delivery.status, delivery.body.as_str()), (200, ""));
        settle(&open);
        let state = host_sim::host::sync::StoreState::read(&open.platform.store.lock().expect("store")).expect("read");
        let account = state.accounts.into_iter().find(|a| a.id.as_str() == "u-1004").expect("account");
        assert!(!account.enabled, "the leaver's account is disabled");
        assert_eq!(account_of(&open, "wangxiaokai"), None, "and unbound");
    }

    #[test]
    fn a_userid_change_at_the_apps_own_receiver_decodes_with_its_agent_id() {
        let open = platform();
        let fake = open.session.fake.as_ref().expect("fake");
        let app = open.pusher().expect("pusher").with_receiver(Receiver::App { agent_id: 1000002 });
        let renamed = fake.with_org(|org| contact_events::change_userid(org, "wangxiaokai", "wxk")).expect("member");
        let request = app.event_request(&renamed.to_xml("ww8f3a1c2d4e5b6a70", 1), 1, "1");
        assert!(request.body.contains("<AgentID><![CDATA[1000002]]></AgentID>"), "{}", request.body);
        let delivery = app.push(&renamed).expect("push");
        assert_eq!(delivery.status, 200, "{delivery:?}");
        settle(&open);
        assert_eq!(account_of(&open, "wxk").map(|a| a.0), Some("u-1004".into()), "the binding follows the userid");
    }

    #[test]
    fn a_member_outside_the_range_is_left_as_the_event_sent_it() {
        // The contact-sync receiver also sends members the app cannot see: user/get answers 60011.
        let fake = util::fake();
        let (plugin, _) = util::configured(&fake);
        fake.with_org(|org| org.apps[0].allow_departments = vec![3]);
        let change = DirectoryChange {
            kind: ChangeKind::MemberUpdated,
            change_type: "update_user".into(),
            event_time_unix: 1,
            dedup_key: "k".into(),
            userid: "zhangxu".into(),
            new_userid: "".into(),
            name: None.into(),
            department_ids: None.into(),
            status: None.into(),
            department_id: 0,
            department_name: None.into(),
            parent_id: None.into(),
            order: None.into(),
            tag_id: 0,
            added_userids: Default::default(),
            removed_userids: Default::default(),
            added_department_ids: Default::default(),
            removed_department_ids: Default::default(),
            ext: Default::default(),
        };
        fake.reset_counts();
        let completed = ok(plugin.complete_change(&change));
        // Says what WeCom answered, and that asking again would not help.
        assert_eq!(completed.unresolved(), Some(interface::Unresolved { errcode: 60011, retry: false }));
        assert_eq!(DirectoryChange { ext: Default::default(), ..completed }, change);
        assert_eq!(fake.request_counts().get("user/get").copied(), Some(1));
    }
}

#[test]
fn configure_says_what_each_callback_receiver_carries() {
    let fake = util::fake();
    let mut settings = util::settings(&fake);
    settings.callback_token = interface::SecretString::new("QDG6eK");
    settings.callback_aes_key = interface::SecretString::new("jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C");
    settings.callback_url = format!("{}/wecom/callback", util::PLATFORM).into();
    let report = ok(util::instance().configure(&settings));
    assert!(report.accepted, "{:#?}", report.findings);
    let line = finding(&report, "config.callback_receivers");
    assert_eq!(line.status, FindingStatus::Notice);
    for text in [&line.message.zh, &line.fix.zh] {
        assert!(text.contains("通讯录同步 → 设置接收事件服务器"), "{text}");
    }
    assert!(line.message.zh.contains("delete_user") && line.message.zh.contains("定时完整核对"), "{}", line.message.zh);
    assert!(line.message.en.contains("reconcile") && line.message.en.contains("update_user"), "{}", line.message.en);
    assert!(line.fix.zh.contains("http://127.0.0.1:18080/wecom/callback"), "{}", line.fix.zh);
    let fix = line.fix.zh.as_str();
    assert!(
        fix.find("通讯录同步").is_some() && !fix.contains("设置API接收"),
        "the fix sends the admin to the contact-sync receiver: {fix}"
    );

    // A callback setting that fails points at the contact-sync receiver first.
    settings.callback_aes_key = interface::SecretString::new("short");
    let report = ok(util::instance().configure(&settings));
    let e = finding(&report, "config.callback_aes_key_invalid");
    let first = e.fix.zh.find("通讯录同步 → 设置接收事件服务器").expect("contact-sync receiver named");
    let second = e.fix.zh.find("接收消息 → 设置API接收").expect("app receiver named");
    assert!(first < second, "{}", e.fix.zh);
}

#[test]
fn a_platform_clock_five_minutes_off_fails_every_callback_and_the_message_names_the_clock() {
    use host_sim::cli::serve::open_platform;
    use host_sim::cli::session::WecomArgs;
    use host_sim::store::Store;
    let args = WecomArgs { plugin: Some(util::plugin_path()), ..Default::default() };
    let open = open_platform(&args, 0, Store::in_memory().expect("store"), None).expect("platform starts");
    let pusher = open.pusher().expect("pusher");
    assert!(pusher.verify_url().expect("verify").0, "in step: verified");
    // WeCom's clock 6 minutes ahead of the platform's: outside the default ±300 s window.
    let skewed = pusher.with_clock_offset(360);
    let (verified, delivery) = skewed.verify_url().expect("verify");
    assert!(!verified);
    assert_eq!(delivery.status, 400, "{delivery:?}");
    assert!(delivery.body.contains("callback.stale_timestamp"), "{}", delivery.body);
    assert!(delivery.body.contains("NTP"), "the fix names the clock: {}", delivery.body);
}

/// Point 3: the web-login callback domain (企业微信授权登录 → Web网页 → 授权回调域, doc 98171), which
/// `agent/get` does not report, is a setting; a browser login may return to it, an in-client login
/// only to the trusted domain the fake's `agent/get` reports.
#[test]
fn a_browser_login_may_return_to_the_web_login_domain_and_an_in_client_login_may_not() {
    use interface::{AuthorizeRequest, LoginMode};
    let fake = util::fake();
    let plugin = util::instance();
    let settings =
        interface::ConnectionSettings { web_login_domain: "sso.wanxiang.example.com".into(), ..util::settings(&fake) };
    let report = ok(plugin.configure(&settings));
    assert!(report.accepted, "{:#?}", report.findings);
    assert_eq!(report.setup.web_login_domain.as_str(), "sso.wanxiang.example.com");
    let request = |mode: LoginMode, redirect: &str| AuthorizeRequest {
        redirect_url: redirect.into(),
        state: "abc123".into(),
        mode,
        ..Default::default()
    };
    let sso = "https://sso.wanxiang.example.com/oauth/wecom/callback";
    let url = ok(plugin.oauth_authorize_url(&request(LoginMode::WebLogin, sso)));
    assert!(url.url.starts_with(&format!("{}/wwlogin/sso/login?", fake.base_url())), "{}", url.url);
    let refused = plugin.oauth_authorize_url(&request(LoginMode::InClient, sso)).into_result().expect_err("in-client");
    assert_eq!(refused.code.as_str(), "login.redirect_domain_untrusted");
    let trusted = format!("{}/oauth/wecom/callback", util::PLATFORM);
    assert!(plugin.oauth_authorize_url(&request(LoginMode::WebLogin, &trusted)).is_ok(), "the trusted domain too");
    assert!(plugin.oauth_authorize_url(&request(LoginMode::InClient, &trusted)).is_ok());
}
