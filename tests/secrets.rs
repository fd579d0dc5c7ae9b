//! No secret leaks (issue 8, "Secrets and trust"): the whole demo, and every other step that
//! handles a credential (callbacks with a Token and EncodingAESKey, OAuth codes, token expiry and
//! revocation, errors of each kind), run with every host-side log line captured at TRACE: the
//! host's `tracing` subscriber (which receives the plugin's lines through `HostServices::log`,
//! the only way out of the library), `log` records (reqwest), the demo's output, and the Debug,
//! Display and JSON of every value and error involved. The Secrets, every access token and OAuth
//! code the fakes issued, and the callback Token and EncodingAESKey must appear in none of it.
//!
//! A global subscriber is process-wide, so the capture runs in a child process (this test binary
//! again, running only `trace_capture_child`) where nothing else logs or installs one.

use abi_stable::std_types::RStr;
use host_sim::fake_wecom::{self, FaultKind, FaultRule, Org};
use host_sim::host::plugin_host::SimHost;
use interface::{
    CallbackRequest, ConfigReport, ConnectionSettings, HostServices, LogLevel, LoginRequest, ScopeSelection,
    SecretString,
};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "WX_SECRETS_CAPTURE_CHILD";
const CHILD_TEST: &str = "secrets::trace_capture_child";
const SUMMARY_PREFIX: &str = "SECRETS-CAPTURE-SUMMARY ";

#[test]
fn the_whole_demo_at_trace_level_leaks_no_secret() {
    let exe = std::env::current_exe().expect("test binary");
    let mut child = Command::new(exe)
        .args(["--exact", CHILD_TEST, "--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("child test process");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(300) {
            let _ = child.kill();
            panic!("the capture child ran for over 5 minutes");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    use std::io::Read;
    if let Some(mut out) = child.stdout.take() {
        let _ = out.read_to_string(&mut stdout);
    }
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_string(&mut stderr);
    }
    assert!(status.success(), "capture child failed ({status}):\n{stdout}\n{stderr}");
    let summary = stdout
        .lines()
        .find_map(|l| l.find(SUMMARY_PREFIX).map(|at| &l[at + SUMMARY_PREFIX.len()..]))
        .unwrap_or_else(|| panic!("the child ran no capture (filter {CHILD_TEST} matched nothing?):\n{stdout}"));
    let summary: serde_json::Value = serde_json::from_str(summary).expect("summary JSON");
    println!("{summary:#}");
    assert!(summary["log_lines"].as_u64().unwrap_or(0) > 0);
    assert!(summary["secrets"]["access_tokens"].as_u64().unwrap_or(0) >= 2, "{summary}");
    assert!(summary["secrets"]["oauth_codes"].as_u64().unwrap_or(0) >= 2, "{summary}");
}

// ------------------------------------------------------------------ the capture (child only)

static CAPTURE: Mutex<Vec<u8>> = Mutex::new(Vec::new());

fn captured() -> String {
    String::from_utf8_lossy(&CAPTURE.lock().unwrap_or_else(|p| p.into_inner())).to_string()
}

/// The writer of the `tracing` fmt layer: appends to [`CAPTURE`].
struct CaptureWriter;

impl std::io::Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURE.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `log` records (reqwest logs through `log`, not `tracing`), written in the fmt layer's shape.
struct LogCapture;

impl log::Log for LogCapture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        let line = format!("log-crate {} {}: {}\n", record.level(), record.target(), record.args());
        CAPTURE.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(line.as_bytes());
    }
    fn flush(&self) {}
}

static LOG_CAPTURE: LogCapture = LogCapture;

fn install_capture() {
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_target(true)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .with_writer(|| CaptureWriter)
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the child installs the only subscriber");
    log::set_logger(&LOG_CAPTURE).expect("the child installs the only logger");
    log::set_max_level(log::LevelFilter::Trace);
}

/// The level of a captured line: the fmt layer writes `<time> <LEVEL> <target>: ...`, the log
/// capture `log-crate <LEVEL> <target>: ...`.
fn level_of(line: &str) -> Option<&str> {
    let level = line.split_whitespace().nth(1)?;
    ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"].contains(&level).then_some(level)
}

fn target_of(line: &str) -> Option<&str> {
    line.split_whitespace().nth(2).map(|t| t.trim_end_matches(':'))
}

// ------------------------------------------------------------------ what counts as a leak

/// A secret and the forms in which it could show up.
struct Needle {
    kind: &'static str,
    forms: Vec<String>,
}

fn percent_encoded(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

impl Needle {
    /// As given, and as a query parameter would carry it.
    fn plain(kind: &'static str, value: &str) -> Needle {
        let mut forms = vec![value.to_string(), percent_encoded(value)];
        forms.dedup();
        Needle { kind, forms }
    }

    /// A random value (token, code): also any 16-character window at either end, so a
    /// truncated or partly masked copy counts too.
    fn random(kind: &'static str, value: &str) -> Needle {
        let mut needle = Needle::plain(kind, value);
        let chars: Vec<char> = value.chars().collect();
        if chars.len() > 24 {
            needle.forms.push(chars[..16].iter().collect());
            needle.forms.push(chars[chars.len() - 16..].iter().collect());
        }
        needle
    }

    /// An EncodingAESKey: also the 32 key bytes as Debug prints them and as hex.
    fn aes_key(value: &str) -> Needle {
        let mut needle = Needle::random("EncodingAESKey", value);
        if let Ok(key) = wanxiang_wecom::callback::crypto::AesKey::from_encoding_aes_key(value) {
            let bytes = key.bytes();
            needle.forms.push(format!("{bytes:?}"));
            needle.forms.push(format!("{:?}", &bytes[..8]).trim_end_matches(']').to_string());
            needle.forms.push(bytes.iter().map(|b| format!("{b:02x}")).collect());
        }
        needle
    }
}

/// Every (kind, source, line) where some form of some needle appears.
fn leaks(sources: &[(&str, &str)], needles: &[Needle]) -> Vec<String> {
    let mut found = Vec::new();
    for (source, text) in sources {
        for (n, line) in text.lines().enumerate() {
            for needle in needles {
                if needle.forms.iter().any(|form| !form.is_empty() && line.contains(form.as_str())) {
                    let shown: String = line.chars().take(300).collect();
                    found.push(format!("{} in {source} line {}: {shown}", needle.kind, n + 1));
                }
            }
        }
    }
    found
}

/// Random text from `alphabet` (std only: a keyed hash per position).
fn random_text(len: usize, alphabet: &[u8]) -> String {
    use std::hash::{BuildHasher, Hasher};
    let state = std::collections::hash_map::RandomState::new();
    (0..len)
        .map(|i| {
            let mut h = state.build_hasher();
            h.write_usize(i);
            alphabet[(h.finish() % alphabet.len() as u64) as usize] as char
        })
        .collect()
}

const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

// ------------------------------------------------------------------ the child

/// Debug, Display and JSON of the values involved, collected as the steps run.
#[derive(Default)]
struct Dump(String);

impl Dump {
    fn debug(&mut self, label: &str, value: &dyn std::fmt::Debug) {
        let _ = writeln!(self.0, "== {label}\n{value:?}\n{value:#?}");
    }
    fn display(&mut self, label: &str, value: &dyn std::fmt::Display) {
        let _ = writeln!(self.0, "== {label}\n{value}");
    }
    fn json(&mut self, label: &str, value: &ConfigReport) {
        let _ = writeln!(self.0, "== {label}\n{}", serde_json::to_string(value).unwrap_or_default());
    }
    fn result<T: std::fmt::Debug>(&mut self, label: &str, result: &Result<T, interface::PluginError>) {
        match result {
            Ok(value) => self.debug(label, value),
            Err(error) => {
                self.debug(label, error);
                self.display(label, error);
            }
        }
    }
}

fn demo_args(extra: &[&str]) -> host_sim::cli::demo::DemoArgs {
    use clap::{Args, FromArgMatches};
    let plugin = crate::util::plugin_path();
    let mut argv = vec!["demo".to_string(), "--plugin".to_string(), plugin.display().to_string()];
    argv.extend(extra.iter().map(|s| s.to_string()));
    let matches = host_sim::cli::demo::DemoArgs::augment_args(clap::Command::new("demo"))
        .try_get_matches_from(argv)
        .expect("args");
    host_sim::cli::demo::DemoArgs::from_arg_matches(&matches).expect("demo args")
}

fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

#[test]
#[ignore = "run in a child process by the_whole_demo_at_trace_level_leaks_no_secret"]
fn trace_capture_child() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    install_capture();
    let mut dump = Dump::default();
    let host = SimHost::default();

    // Self-check 1: a planted secret sent through the host's log service at the lowest level
    // reaches the capture, and the scan finds it, in plain and in percent-encoded form.
    let canary = format!("CANARY-{}", random_text(40, ALNUM));
    let canary_key = random_text(43, BASE64);
    host.log(LogLevel::Trace, RStr::from(format!("planted {canary}").as_str()));
    host.log(LogLevel::Trace, RStr::from(format!("planted ?k={}", percent_encoded(&canary_key)).as_str()));
    let planted = captured();
    let canary_line = planted.lines().find(|l| l.contains(&canary)).expect("the planted line was captured");
    assert_eq!(level_of(canary_line), Some("TRACE"), "captured at TRACE: {canary_line}");
    assert_eq!(target_of(canary_line), Some("plugin"), "{canary_line}");
    let planted_hits =
        leaks(&[("capture", &planted)], &[Needle::random("canary", &canary), Needle::aes_key(&canary_key)]);
    assert_eq!(planted_hits.len(), 2, "the scan detects planted secrets: {planted_hits:?}");
    CAPTURE.lock().unwrap_or_else(|p| p.into_inner()).clear();

    // 1. The whole demo, as `host-sim demo` runs it (its own fake WeCom, platform, login).
    let mut demo_out = Vec::new();
    let outcome = host_sim::cli::demo::run(&demo_args(&[]), &mut demo_out);
    match &outcome {
        Ok(outcome) => dump.debug("demo outcome", outcome),
        Err(error) => panic!("demo failed: {error:#}"),
    }
    // …and in English, and once with a wrong Secret (the demo's error path).
    let wrong_secret = format!("WrongSecret{}", random_text(32, ALNUM));
    let english = host_sim::cli::demo::run(&demo_args(&["--lang", "en"]), &mut demo_out);
    dump.debug("demo en", &english.map(|o| o.summary));
    let refused = host_sim::cli::demo::run(&demo_args(&["--secret", &wrong_secret]), &mut demo_out);
    match refused {
        Ok(_) => panic!("the demo accepted a wrong Secret"),
        Err(error) => {
            let _ = writeln!(dump.0, "== demo with a wrong Secret\n{error:#}\n{error:?}");
        }
    }
    let demo_issued = fake_wecom::issued_in_this_process();
    assert!(!demo_issued.access_tokens.is_empty(), "the demo's fake issued tokens");
    assert!(!demo_issued.oauth_codes.is_empty(), "the demo's login minted a code");

    // 2. Callbacks: a Token and EncodingAESKey in the settings, a verification and an event.
    let fake = crate::util::fake();
    let callback_token = random_text(32, ALNUM);
    let aes_key = random_text(43, BASE64);
    let plugin = crate::util::plugin().instance(host.clone()).expect("instance");
    let settings = ConnectionSettings {
        callback_url: format!("{}/wecom/callback", crate::util::PLATFORM).into(),
        callback_token: SecretString::new(callback_token.clone()),
        callback_aes_key: SecretString::new(aes_key.clone()),
        ..crate::util::settings(&fake)
    };
    dump.debug("settings", &settings);
    let report = plugin.configure(&settings).into_result();
    dump.result("configure with callbacks", &report);
    if let Ok(report) = &report {
        dump.json("configure report", report);
        assert!(report.accepted, "{:#?}", report.findings);
    }
    let corp_id = settings.corp_id.to_string();
    let pusher = fake_wecom::CallbackPusher::new(settings.callback_url.as_str(), &callback_token, &aes_key, &corp_id)
        .expect("pusher");
    dump.debug("callback pusher", &pusher);
    dump.debug("pushed event", &pusher.event_request("<xml/>", unix_now(), "n0"));
    let key = wanxiang_wecom::callback::crypto::AesKey::from_encoding_aes_key(&aes_key).expect("key");
    dump.debug("aes key", &key);
    let sign = |encrypted: &str, timestamp: i64, nonce: &str| {
        wanxiang_wecom::callback::crypto::signature(&callback_token, &timestamp.to_string(), nonce, encrypted)
    };
    let now = unix_now();
    let echo = wanxiang_wecom::callback::crypto::encrypt(&key, b"0123456789abcdef", "8861723468913", &corp_id)
        .expect("encrypt");
    let verification = CallbackRequest {
        method: "GET".into(),
        query: format!(
            "msg_signature={}&timestamp={now}&nonce=n1&echostr={}",
            sign(&echo, now, "n1"),
            percent_encoded(&echo)
        )
        .into(),
        body: "".into(),
        now_unix: now,
        ..Default::default()
    };
    dump.debug("verification request", &verification);
    let reply = plugin.handle_callback(&verification).into_result();
    dump.result("verification", &reply);
    assert_eq!(reply.as_ref().map(|r| r.body.to_string()).ok().as_deref(), Some("8861723468913"), "{reply:?}");
    let event = format!(
        "<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>\
         <CreateTime>{now}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_contact]]></Event>\
         <ChangeType><![CDATA[update_user]]></ChangeType><UserID><![CDATA[wangxiaokai]]></UserID></xml>"
    );
    let encrypted =
        wanxiang_wecom::callback::crypto::encrypt(&key, b"fedcba9876543210", &event, &corp_id).expect("encrypt");
    let post = |encrypted: &str, nonce: &str, signature: Option<String>| {
        CallbackRequest {
        method: "POST".into(),
        query: format!(
            "msg_signature={}&timestamp={now}&nonce={nonce}",
            signature.unwrap_or_else(|| sign(encrypted, now, nonce))
        )
        .into(),
        body: format!(
            "<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>"
        )
        .into(),
        now_unix: now,
        ..Default::default()
    }
    };
    let change = plugin.handle_callback(&post(&encrypted, "n2", None)).into_result();
    dump.result("event", &change);
    let change = change.expect("event accepted").change.into_option().expect("a contact change");
    let completed = plugin.complete_change(&change).into_result();
    dump.result("complete_change", &completed);
    assert!(completed.is_ok(), "{completed:?}");
    // Replayed, forged and mis-keyed callbacks: a duplicate or an error, naming nothing secret.
    let replay = plugin.handle_callback(&post(&encrypted, "n2", None)).into_result();
    assert_eq!(replay.as_ref().map(|r| r.kind).ok(), Some(interface::CallbackKind::Duplicate), "{replay:?}");
    dump.result("replay", &replay);
    let forged = plugin.handle_callback(&post(&encrypted, "n4", Some("0".repeat(40)))).into_result();
    assert!(forged.is_err(), "{forged:?}");
    dump.result("forged", &forged);
    let other_key =
        wanxiang_wecom::callback::crypto::AesKey::from_encoding_aes_key(&random_text(43, BASE64)).expect("other key");
    let miskeyed =
        wanxiang_wecom::callback::crypto::encrypt(&other_key, b"fedcba9876543210", &event, &corp_id).expect("encrypt");
    let miskeyed = plugin.handle_callback(&post(&miskeyed, "n3", None)).into_result();
    assert!(miskeyed.as_ref().is_err_and(|e| !e.code.contains("signature")), "a decryption error: {miskeyed:?}");
    dump.result("another key", &miskeyed);
    // A malformed key and token in the settings: findings name the field, never the value.
    let mut bad = settings.clone();
    bad.callback_aes_key = SecretString::new(format!("{}!", &aes_key[..42]));
    bad.callback_token = SecretString::new(format!("{callback_token}-"));
    dump.result("malformed callback settings", &crate::util::instance().configure(&bad).into_result());
    bad.callback_aes_key = SecretString::new(format!("{aes_key}A"));
    dump.result("long callback key", &crate::util::instance().configure(&bad).into_result());

    // 3. OAuth codes: a login, the same code again (used), another app's code, a non-member.
    let code = fake.mint_code(1000002, "wangxiaokai");
    let login = |code: &str| plugin.oauth_login(&LoginRequest { code: SecretString::new(code), ..Default::default() });
    let request = LoginRequest { code: SecretString::new(code.clone()), ..Default::default() };
    dump.debug("login request", &request);
    let first = login(&code).into_result();
    assert!(first.is_ok(), "{first:?}");
    dump.result("login", &first);
    dump.result("code used twice", &login(&code).into_result());
    dump.result("another app's code", &login(&fake.mint_code(1000003, "renshengruxi")).into_result());
    dump.result("non-member", &login(&fake.mint_code_for_non_member(1000002, "oAbCdEf")).into_result());
    let expired_fake = crate::util::fake_with(
        Org::sample(),
        fake_wecom::FakeConfig { code_ttl_secs: 0, ..fake_wecom::FakeConfig::default() },
    );
    let (late_plugin, _) = crate::util::configured(&expired_fake);
    let late = late_plugin
        .oauth_login(&LoginRequest {
            code: SecretString::new(expired_fake.mint_code(1000002, "wangxiaokai")),
            ..Default::default()
        })
        .into_result();
    assert!(late.is_err(), "{late:?}");
    dump.result("expired code", &late);

    // 4. Tokens: expiry, revocation mid-read, token errors that never recover, broken answers.
    let whole = ScopeSelection { department_ids: vec![1].into(), ..Default::default() };
    dump.result("read", &plugin.fetch_scope(&whole).into_result());
    fake.expire_all_tokens();
    dump.result("read after expiry", &plugin.fetch_scope(&whole).into_result());
    fake.set_faults(FaultRule::new(FaultKind::InvalidateTokensAfter { calls: 2 }).into());
    dump.result("read with revocation", &plugin.fetch_scope(&whole).into_result());
    for kind in [
        FaultKind::Errcode { errcode: 40014, errmsg: String::new() },
        FaultKind::Errcode { errcode: 42001, errmsg: String::new() },
        FaultKind::Http500,
        FaultKind::Garbage,
        FaultKind::TruncatedBody,
        FaultKind::CloseConnection,
    ] {
        fake.set_faults(FaultRule::new(kind.clone()).on("user/list").into());
        dump.result(&format!("read under {kind:?}"), &plugin.fetch_scope(&whole).into_result());
        fake.set_faults(FaultRule::new(kind.clone()).on("user/get").into());
        let code = fake.mint_code(1000002, "wangxiaokai");
        dump.result(&format!("login under {kind:?}"), &login(&code).into_result());
    }
    fake.clear_faults();
    fake.invalidate_all_tokens();
    dump.result("login after revocation", &login(&fake.mint_code(1000002, "zhangxu")).into_result());
    // A wrong Secret and another app's Secret at configure.
    let mut wrong = crate::util::settings(&fake);
    wrong.secret = SecretString::new(wrong_secret.clone());
    dump.result("configure with a wrong Secret", &crate::util::instance().configure(&wrong).into_result());
    let org = Org::sample();
    if let Some(other) = org.apps.iter().find(|a| a.agent_id == 1000003) {
        wrong.secret = SecretString::new(other.secret.clone());
        dump.result("configure with another app's Secret", &crate::util::instance().configure(&wrong).into_result());
    }

    // 5. The plugin's own types holding the real values: client configuration (with a proxy
    // password), the client, a token fetched from the fake, and errors of calls that carried a
    // token and a code in their query. Linked into this process (the rlib), so that its reqwest
    // and hyper log into the capture too, as they would in a host that linked the client.
    let before_linked_client = captured().len();
    let proxy_password = random_text(24, ALNUM);
    let app_secret = settings.secret.expose().to_string();
    let config = wanxiang_wecom::wecom::ClientConfig {
        base_url: fake.base_url(),
        ..wanxiang_wecom::wecom::ClientConfig::new(
            corp_id.clone(),
            1000002,
            wanxiang_wecom::wecom::Secret::new(app_secret.clone()),
        )
    };
    let with_proxy = wanxiang_wecom::wecom::ClientConfig {
        proxy_url: Some(format!("http://wanxiang:{proxy_password}@127.0.0.1:9")),
        ..config.clone()
    };
    dump.debug("client config", &with_proxy);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let client = wanxiang_wecom::wecom::Client::new(config).expect("client");
    dump.debug("client", &client);
    let token = runtime.block_on(client.access_token()).expect("token");
    assert!(fake.issued_credentials().access_tokens.iter().any(|t| t == token.expose()), "a real token");
    dump.debug("access token", &token);
    dump.display("access token", &token);
    let used_code = fake.mint_code(1000002, "zhangxu");
    let _ = runtime.block_on(client.user_info_by_code(&used_code));
    for (label, result) in [
        ("user/get unknown", runtime.block_on(client.get_user("nobody")).map(|m| m.userid)),
        ("code used twice (client)", runtime.block_on(client.user_info_by_code(&used_code)).map(|_| String::new())),
    ] {
        match result {
            Ok(value) => panic!("{label}: expected an error, got {value}"),
            Err(error) => {
                dump.debug(label, &error);
                dump.display(label, &error);
            }
        }
    }
    dump.debug("client stats", &client.stats());

    // The secrets: every app Secret of the sample corp, the wrong one pasted, every token and code
    // issued by every fake in this process, the callback Token and EncodingAESKey.
    let issued = fake_wecom::issued_in_this_process();
    let mine = fake.issued_credentials();
    assert!(mine.access_tokens.len() >= 3, "expiry and revocation issued new tokens: {}", mine.access_tokens.len());
    assert!(mine.access_tokens.iter().all(|t| issued.access_tokens.contains(t)));
    let mut needles: Vec<Needle> = org.apps.iter().map(|a| Needle::plain("Secret", &a.secret)).collect();
    needles.push(Needle::random("wrong Secret", &wrong_secret));
    needles.extend(issued.access_tokens.iter().map(|t| Needle::random("access token", t)));
    needles.extend(issued.oauth_codes.iter().map(|c| Needle::random("OAuth code", c)));
    needles.push(Needle::random("callback Token", &callback_token));
    // The demo's step 6 generates its own pair and hands it to the fake's pusher.
    assert!(!issued.callback_aes_keys.is_empty(), "the demo's callback step ran with a pair the fake knows");
    needles.extend(issued.callback_tokens.iter().map(|t| Needle::random("callback Token", t)));
    needles.extend(issued.callback_aes_keys.iter().map(|k| Needle::aes_key(k)));
    needles.push(Needle::random("proxy password", &proxy_password));
    needles.push(Needle::aes_key(&aes_key));

    let log_text = captured();
    // The plugin's own HTTP stack (reqwest/hyper linked into the library) has no logger: no line
    // names the fakes only the plugin talks to. A figure for the report, not a rule.
    let plugin_only = [fake.base_url(), expired_fake.base_url()];
    let plugin_http_lines = log_text[..before_linked_client.min(log_text.len())]
        .lines()
        .filter(|l| plugin_only.iter().any(|b| l.contains(b.trim_start_matches("http://"))))
        .count();
    let linked_client_lines = log_text[before_linked_client.min(log_text.len())..].lines().count();
    assert!(linked_client_lines > 0, "the linked client's reqwest/hyper lines reached the capture");
    // For a person to read what was captured: WX_SECRETS_CAPTURE_DUMP=<file>.
    if let Some(path) = std::env::var_os("WX_SECRETS_CAPTURE_DUMP") {
        let _ = std::fs::write(
            path,
            format!("{log_text}\n===== demo output\n{}\n===== debug\n{}", String::from_utf8_lossy(&demo_out), dump.0),
        );
    }
    let demo_text = String::from_utf8_lossy(&demo_out).to_string();
    let sources = [("log", log_text.as_str()), ("demo output", demo_text.as_str()), ("debug", dump.0.as_str())];
    let found = leaks(&sources, &needles);
    assert!(found.is_empty(), "{} leak(s):\n{}", found.len(), found.join("\n"));

    // Self-check 2: the capture did see the run, at every level the run produced, the plugin's
    // lines included, and the scan is not vacuous: the demo's own visible text is in the output.
    let mut by_level: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_target: BTreeMap<String, u64> = BTreeMap::new();
    for line in log_text.lines() {
        if let Some(level) = level_of(line) {
            *by_level.entry(level.to_string()).or_default() += 1;
            let target = target_of(line).unwrap_or("?");
            let crate_name = target.split("::").next().unwrap_or(target).to_string();
            let source = if line.starts_with("log-crate") { format!("log:{crate_name}") } else { crate_name };
            *by_target.entry(source).or_default() += 1;
        }
    }
    assert!(by_target.get("plugin").copied().unwrap_or(0) > 0, "the plugin's lines reached the capture: {by_target:?}");
    assert!(demo_text.contains("同步企业微信用户") && demo_text.contains("WeCom users synced"), "{demo_text}");
    let forms: usize = needles.iter().map(|n| n.forms.len()).sum();
    let count = |kind: &str| needles.iter().filter(|n| n.kind == kind).count();
    let summary = serde_json::json!({
        "log_lines": log_text.lines().count(),
        "log_bytes": log_text.len(),
        "log_lines_by_level": by_level,
        "log_lines_by_source": by_target,
        "demo_output_lines": demo_text.lines().count(),
        "debug_display_json_bytes": dump.0.len(),
        "debug_display_json_lines": dump.0.lines().count(),
        "secrets": {
            "total": needles.len(),
            "forms_searched": forms,
            "app_secrets": count("Secret") + count("wrong Secret"),
            "access_tokens": count("access token"),
            "oauth_codes": count("OAuth code"),
            "callback_tokens": count("callback Token"),
            "encoding_aes_keys": count("EncodingAESKey"),
        },
        "demo_runs": 3,
        "log_lines_naming_plugin_only_fakes": plugin_http_lines,
        "log_lines_of_the_linked_client": linked_client_lines,
        "planted_secrets_detected": planted_hits.len(),
    });
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "{SUMMARY_PREFIX}{summary}");
    let _ = stdout.flush();
}
