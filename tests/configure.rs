//! The connection check through the loaded library: each mistake gets its code, field and fix.

use crate::util::{self, ok};
use interface::{ConfigReport, FindingStatus, SecretString};

fn error_of(report: &ConfigReport) -> &interface::Finding {
    report
        .findings
        .iter()
        .find(|f| f.status == FindingStatus::Error)
        .unwrap_or_else(|| panic!("no error finding: {:#?}", report.findings))
}

#[test]
fn the_sample_app_is_accepted_with_its_name_and_visible_range() {
    let fake = util::fake();
    let (_, report) = util::configured(&fake);
    let app = report.app.as_ref().into_option().expect("app info");
    assert_eq!(app.name.as_str(), "万象智维");
    assert!(app.enabled);
    assert_eq!(app.visible.department_ids.as_slice(), &[1]);
    assert_eq!(report.corp_id.as_str(), "ww8f3a1c2d4e5b6a70");
    assert_eq!(report.agent_id, 1000002);
    assert!(report.findings.iter().all(|f| f.status == FindingStatus::Ok), "{:#?}", report.findings);
}

#[test]
fn pasted_whitespace_is_removed_and_reported() {
    let fake = util::fake();
    let mut settings = util::settings(&fake);
    settings.corp_id = format!("\u{3000} {}\u{200B}\n", settings.corp_id).into();
    settings.agent_id = " 1000002 ".into();
    let report = ok(util::instance().configure(&settings));
    assert!(report.accepted, "{:#?}", report.findings);
    let notices: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.status == FindingStatus::Notice)
        .map(|f| f.field.clone().unwrap_or_default().to_string())
        .collect();
    assert_eq!(notices, vec!["corp_id", "agent_id"]);
}

#[test]
fn a_malformed_agent_id_fails_before_any_network_call() {
    let fake = util::fake();
    let mut settings = util::settings(&fake);
    settings.agent_id = "10000O2".into();
    let report = ok(util::instance().configure(&settings));
    assert!(!report.accepted);
    let e = error_of(&report);
    assert_eq!(
        (e.code.as_str(), e.field.as_ref().map(|f| f.as_str())),
        ("config.not_a_number", Some("agent_id").into())
    );
    assert_eq!(fake.total_requests(), 0, "no WeCom call for a malformed value");
}

#[test]
fn a_wrong_corp_id_is_reported_on_the_corp_id_field() {
    let fake = util::fake();
    let mut settings = util::settings(&fake);
    settings.corp_id = "ww0000000000000000".into();
    let report = ok(util::instance().configure(&settings));
    let e = error_of(&report);
    assert_eq!(e.code.as_str(), "config.corp_id_invalid");
    assert_eq!(e.field.as_ref().map(|f| f.as_str()), Some("corp_id").into());
    assert_eq!(e.wecom_errcode.into_option(), Some(40013));
    assert!(e.fix.zh.contains("企业ID"));
}

#[test]
fn a_wrong_secret_is_reported_on_the_secret_field_and_never_echoed() {
    let fake = util::fake();
    let mut settings = util::settings(&fake);
    settings.secret = SecretString::new("ThisIsNotTheRightSecretAtAll0000000000000000");
    let report = ok(util::instance().configure(&settings));
    let e = error_of(&report);
    assert_eq!(e.code.as_str(), "config.secret_invalid");
    assert_eq!(e.wecom_errcode.into_option(), Some(40001));
    let json = serde_json::to_string(&report).expect("json");
    assert!(!json.contains("ThisIsNotTheRightSecret"), "the Secret must not appear in the report");
}

#[test]
fn a_secret_of_another_app_is_reported_as_exactly_that() {
    let fake = util::fake();
    let mut settings = util::settings(&fake);
    let other =
        host_sim::fake_wecom::Org::sample().apps.into_iter().find(|a| a.agent_id == 1000003).expect("second app");
    settings.secret = SecretString::new(other.secret);
    let report = ok(util::instance().configure(&settings));
    let e = error_of(&report);
    assert_eq!(e.code.as_str(), "config.secret_agent_mismatch");
    assert_eq!(e.wecom_errcode.into_option(), Some(301002));
    assert!(e.message.en.contains("two different apps"));
}

#[test]
fn an_unreachable_server_is_a_connection_error_not_a_credential_error() {
    let fake = util::fake();
    let mut settings = util::settings(&fake);
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port");
    settings.api_base_url = format!("http://127.0.0.1:{port}").into();
    let report = ok(util::instance().configure(&settings));
    let e = error_of(&report);
    assert!(e.code.starts_with("network."), "{}", e.code);
    assert!(e.message.en.contains(&format!("127.0.0.1:{port}")), "names the URL tried: {}", e.message.en);
    assert!(!e.message.en.contains("corpsecret"), "no query string in errors");
}
