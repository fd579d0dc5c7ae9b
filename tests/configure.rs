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

fn warning<'a>(report: &'a ConfigReport, code: &str) -> &'a interface::Finding {
    report
        .findings
        .iter()
        .find(|f| f.code.as_str() == code)
        .unwrap_or_else(|| panic!("no finding {code}: {:#?}", report.findings))
}

fn configure_sample(fake: &host_sim::fake_wecom::FakeWecom) -> ConfigReport {
    ok(util::instance().configure(&util::settings(fake)))
}

#[test]
fn a_server_ip_missing_from_the_trusted_ips_names_the_ip_wecom_saw() {
    let fake = util::fake();
    fake.with_org(|org| org.apps[0].trusted_ips = vec!["203.0.113.7".into()]);
    let report = configure_sample(&fake);
    let e = error_of(&report);
    assert_eq!(e.code.as_str(), "config.trusted_ip_missing");
    assert_eq!(e.field.as_ref().map(|f| f.as_str()), Some("trusted_ip").into());
    assert_eq!(e.wecom_errcode.into_option(), Some(60020));
    assert!(
        e.message.zh.contains("127.0.0.1") && e.fix.zh.contains("企业可信IP") && e.fix.en.contains("127.0.0.1"),
        "{e:?}"
    );
    assert_eq!(report.setup.egress_ip.as_ref().map(|ip| ip.as_str()), Some("127.0.0.1").into());
    assert!(!report.accepted);
}

#[test]
fn a_disabled_app_is_an_error_on_the_agent_id() {
    let fake = util::fake();
    let app = host_sim::fake_wecom::Org::sample().apps.into_iter().find(|a| a.close == 1).expect("disabled sample app");
    let mut settings = util::settings(&fake);
    settings.agent_id = app.agent_id.to_string().into();
    settings.secret = SecretString::new(app.secret);
    let report = ok(util::instance().configure(&settings));
    let e = error_of(&report);
    assert_eq!(e.code.as_str(), "config.app_disabled");
    assert_eq!(e.field.as_ref().map(|f| f.as_str()), Some("agent_id").into());
    assert!(e.fix.zh.contains("启用"));
}

#[test]
fn an_agent_id_that_does_not_exist_is_named() {
    let fake = util::fake();
    let mut settings = util::settings(&fake);
    settings.agent_id = "1000009".into();
    let report = ok(util::instance().configure(&settings));
    let e = error_of(&report);
    assert_eq!(e.code.as_str(), "config.agent_id_not_found");
    assert_eq!(e.wecom_errcode.into_option(), Some(40056));
    assert!(e.message.en.contains("1000009"));
}

#[test]
fn a_revoked_secret_is_reported_as_a_wrong_secret() {
    let fake = util::fake();
    assert!(configure_sample(&fake).accepted);
    // The admin resets the Secret in the console: the old one stops working.
    fake.with_org(|org| org.apps[0].secret = "ResetSecret000000000000000000000000000000001".into());
    let report = configure_sample(&fake);
    assert_eq!(error_of(&report).code.as_str(), "config.secret_invalid");
}

#[test]
fn homepage_and_trusted_domain_not_set_as_the_platform_needs_are_warnings_with_the_expected_value() {
    let fake = util::fake();
    fake.with_org(|org| {
        org.apps[0].home_url = String::new();
        org.apps[0].redirect_domain = "old.example.com".into();
    });
    let report = configure_sample(&fake);
    assert!(report.accepted, "warnings do not block saving");
    let home = warning(&report, "config.homepage_mismatch");
    assert_eq!(home.status, FindingStatus::Warning);
    assert!(home.fix.zh.contains("http://127.0.0.1:18080/") && home.fix.en.contains("应用主页"));
    let domain = warning(&report, "config.trusted_domain_mismatch");
    assert_eq!(domain.field.as_ref().map(|f| f.as_str()), Some("redirect_url").into());
    assert!(domain.message.en.contains("old.example.com") && domain.fix.en.contains("127.0.0.1:18080"));
    assert_eq!(report.setup.trusted_domain.as_str(), "127.0.0.1:18080");

    fake.with_org(|org| org.apps[0].home_url = "https://portal.example.com/".into());
    let report = configure_sample(&fake);
    assert!(warning(&report, "config.homepage_mismatch").message.en.contains("https://portal.example.com/"));
}

#[test]
fn an_empty_visible_range_warns_that_nobody_can_sync_or_log_in() {
    let fake = util::fake();
    fake.with_org(|org| org.apps[0].allow_departments.clear());
    let report = configure_sample(&fake);
    let w = warning(&report, "config.visible_range_empty");
    assert_eq!(w.status, FindingStatus::Warning);
    assert!(w.fix.zh.contains("可见范围"));
}

#[test]
fn a_malformed_redirect_url_is_a_field_error() {
    let fake = util::fake();
    let mut settings = util::settings(&fake);
    settings.redirect_url = "wanxiang.example.com/callback".into();
    let report = ok(util::instance().configure(&settings));
    let e = error_of(&report);
    assert_eq!(
        (e.code.as_str(), e.field.as_ref().map(|f| f.to_string())),
        ("config.url_invalid", Some("redirect_url".to_string()).into())
    );
}

/// A one-shot HTTP server answering every connection with `response` (or never, for `None`).
fn canned_server(response: Option<&'static str>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            use std::io::{Read, Write};
            let mut stream = stream;
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            match response {
                Some(text) => {
                    let _ = stream.write_all(text.as_bytes());
                }
                None => held.push(stream), // never answer
            }
        }
    });
    format!("http://{addr}")
}

#[test]
fn a_non_json_answer_is_a_connection_problem_not_a_credential_error() {
    let fake = util::fake();
    let mut settings = util::settings(&fake);
    settings.api_base_url =
        canned_server(Some("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 27\r\nConnection: close\r\n\r\n<html>gateway error</html>\n")).into();
    let report = ok(util::instance().configure(&settings));
    let e = error_of(&report);
    assert_eq!(e.code.as_str(), "network.bad_response", "{e:?}");
    assert_eq!(e.field.as_ref().map(|f| f.as_str()), Some("api_base_url").into());
}

#[test]
fn a_server_that_never_answers_times_out_with_the_url_tried() {
    let fake = util::fake();
    let mut settings = util::settings(&fake);
    let base = canned_server(None);
    settings.api_base_url = base.clone().into();
    let report = ok(util::instance().configure(&settings));
    let e = error_of(&report);
    assert_eq!(e.code.as_str(), "network.timeout", "{e:?}");
    assert!(e.message.en.contains(base.trim_start_matches("http://")), "{}", e.message.en);
    assert!(!e.message.en.contains("corpsecret") && !e.message.en.contains(util::settings(&fake).secret.expose()));
}

#[test]
fn tls_to_a_server_that_does_not_speak_it_is_a_network_error() {
    let fake = util::fake();
    let mut settings = util::settings(&fake);
    // https to the fake's plain-HTTP port: the handshake fails.
    settings.api_base_url = fake.base_url().replace("http://", "https://").into();
    let report = ok(util::instance().configure(&settings));
    let e = error_of(&report);
    assert!(e.code.starts_with("network."), "{e:?}");
    assert!(!e.code.contains("secret"));
}

#[test]
fn plain_http_to_a_remote_gateway_needs_an_explicit_opt_in() {
    let fake = util::fake();
    let mut settings = util::settings(&fake);
    settings.api_base_url = "http://wecom-gateway.internal.example".into();
    let report = ok(util::instance().configure(&settings));
    assert_eq!(error_of(&report).code.as_str(), "config.insecure_base_url");
    assert_eq!(fake.total_requests(), 0);
}

#[test]
fn the_platform_serves_the_trusted_domain_verification_file() {
    let dir = std::env::temp_dir().join(format!("wx-verify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("WW_verify_Ab12Cd34.txt");
    std::fs::write(&path, "Ab12Cd34Ef56\n").expect("write");
    let verify = host_sim::cli::serve::read_verify_file(&path).expect("valid name");
    let args = host_sim::cli::session::WecomArgs { plugin: Some(util::plugin_path()), ..Default::default() };
    let open = host_sim::cli::serve::open_platform(
        &args,
        0,
        host_sim::store::Store::in_memory().expect("store"),
        Some(verify),
    )
    .expect("platform");
    let get = |path: &str| {
        let url = format!("{}{path}", open.server.base_url);
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
        rt.block_on(async move {
            let r = reqwest::get(url).await.expect("get");
            (r.status().as_u16(), r.text().await.unwrap_or_default())
        })
    };
    assert_eq!(get("/WW_verify_Ab12Cd34.txt"), (200, "Ab12Cd34Ef56".to_string()));
    assert_eq!(get("/WW_verify_other.txt").0, 404);
    assert!(
        host_sim::cli::serve::read_verify_file(&dir.join("verify.txt")).is_err(),
        "only WeCom's file name is accepted"
    );
}

/// A minimal HTTP forward proxy for plain-http targets: one request per connection. Counts requests.
fn forward_proxy() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for mut client in listener.incoming().flatten() {
            let seen = seen.clone();
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && client.read(&mut byte).map(|n| n == 1).unwrap_or(false) {
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).to_string();
                let mut lines = head.split("\r\n");
                let request_line = lines.next().unwrap_or_default();
                let mut parts = request_line.split_whitespace();
                let (method, target) = (parts.next().unwrap_or("GET"), parts.next().unwrap_or("/"));
                let Ok(url) = url::Url::parse(target) else { return };
                let host =
                    format!("{}:{}", url.host_str().unwrap_or("127.0.0.1"), url.port_or_known_default().unwrap_or(80));
                let Ok(mut upstream) = std::net::TcpStream::connect(&host) else { return };
                seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let path = &target[target.find(url.path()).unwrap_or(0)..];
                let mut forwarded = format!("{method} {path} HTTP/1.1\r\n");
                for line in lines.filter(|l| !l.is_empty() && !l.to_ascii_lowercase().starts_with("connection")) {
                    forwarded.push_str(line);
                    forwarded.push_str("\r\n");
                }
                forwarded.push_str("Connection: close\r\n\r\n");
                let _ = upstream.write_all(forwarded.as_bytes());
                let mut response = Vec::new();
                let _ = upstream.read_to_end(&mut response);
                let _ = client.write_all(&response);
            });
        }
    });
    (format!("http://{addr}"), count)
}

#[test]
fn calls_go_through_the_configured_proxy_and_the_report_says_so() {
    let fake = util::fake();
    let (proxy, proxied) = forward_proxy();
    let mut settings = util::settings(&fake);
    settings.proxy_url = proxy.as_str().into();
    let report = ok(util::instance().configure(&settings));
    assert!(report.accepted, "{:#?}", report.findings);
    assert!(report.setup.via_proxy);
    assert!(proxied.load(std::sync::atomic::Ordering::SeqCst) >= 2, "gettoken and agent/get went through the proxy");

    fake.with_org(|org| org.apps[0].trusted_ips = vec!["203.0.113.7".into()]);
    let report = ok(util::instance().configure(&settings));
    let e = error_of(&report);
    assert_eq!(e.code.as_str(), "config.trusted_ip_missing");
    assert!(e.message.en.contains("the proxy's egress IP"), "{}", e.message.en);
}
