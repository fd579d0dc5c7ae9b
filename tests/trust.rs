//! Trust rules through the loaded library (issue 8, "Secrets and trust"): https always verifies the
//! certificate; plain http only to loopback or with an explicit opt-in (reported as a warning);
//! answers are read up to a bound; redirects are never followed. Every server here listens on
//! 127.0.0.1: a non-loopback base URL is only ever *named*, its traffic goes to a local relay.

use crate::util::{self, ok};
use interface::{ConfigReport, Finding, FindingStatus};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn error_of(report: &ConfigReport) -> &Finding {
    report
        .findings
        .iter()
        .find(|f| f.status == FindingStatus::Error)
        .unwrap_or_else(|| panic!("no error finding: {:#?}", report.findings))
}

fn finding<'a>(report: &'a ConfigReport, code: &str) -> Option<&'a Finding> {
    report.findings.iter().find(|f| f.code.as_str() == code)
}

/// Everything a person could read of a finding, for "never names the secret" checks.
fn shown(f: &Finding) -> String {
    format!("{f:?} {} {} {} {}", f.message.zh, f.message.en, f.fix.zh, f.fix.en)
}

fn assert_no_credentials(text: &str) {
    let org = host_sim::fake_wecom::Org::sample();
    let secrets = org.apps.iter().map(|a| a.secret.as_str());
    for needle in secrets.chain(["corpsecret", "access_token=", "GATEWAY-TOKEN", "TLS-SERVER-TOKEN"]) {
        assert!(!text.contains(needle), "{needle:?} in {text}");
    }
}

// ---------------------------------------------------------------- https: always verified

/// An HTTPS server on 127.0.0.1 with a freshly generated self-signed certificate (for `localhost`
/// and `127.0.0.1`), answering any request it gets with a valid `gettoken` answer.
struct TlsServer {
    addr: SocketAddr,
    cert_der: Vec<u8>,
    /// TLS handshakes that failed (the client hung up on the certificate).
    handshakes_failed: Arc<AtomicUsize>,
    /// HTTP requests read after a completed handshake.
    requests: Arc<AtomicUsize>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl TlsServer {
    fn start() -> TlsServer {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        use tokio_rustls::rustls;

        let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .expect("self-signed certificate");
        let cert_der = generated.cert.der().to_vec();
        let key = rustls::pki_types::PrivatePkcs8KeyDer::from(generated.key_pair.serialize_der());
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(vec![generated.cert.der().clone()], key.into())
            .expect("server config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));

        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let handshakes_failed = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let (failed, served) = (handshakes_failed.clone(), requests.clone());
        let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                loop {
                    let (tcp, _) = tokio::select! {
                        accepted = listener.accept() => match accepted { Ok(a) => a, Err(_) => return },
                        _ = &mut stop_rx => return,
                    };
                    let (acceptor, failed, served) = (acceptor.clone(), failed.clone(), served.clone());
                    tokio::spawn(async move {
                        let Ok(mut tls) = acceptor.accept(tcp).await else {
                            failed.fetch_add(1, Ordering::SeqCst);
                            return;
                        };
                        let mut head = Vec::new();
                        let mut buf = [0u8; 4096];
                        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                            match tls.read(&mut buf).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => head.extend_from_slice(&buf[..n]),
                            }
                        }
                        served.fetch_add(1, Ordering::SeqCst);
                        let body = r#"{"errcode":0,"errmsg":"ok","access_token":"TLS-SERVER-TOKEN","expires_in":7200}"#;
                        let answer = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            body.len()
                        );
                        let _ = tls.write_all(answer.as_bytes()).await;
                        let _ = tls.shutdown().await;
                    });
                }
            });
        });
        TlsServer { addr, cert_der, handshakes_failed, requests, _stop: stop_tx }
    }

    /// A GET with a client that trusts this server's certificate: proves the server is a working
    /// HTTPS server, so that a refusal by the plugin can only be the certificate check.
    fn get_trusting_its_certificate(&self, host: &str) -> String {
        let cert = reqwest::Certificate::from_der(&self.cert_der).expect("certificate");
        let url = format!("https://{host}:{}/cgi-bin/gettoken", self.addr.port());
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async move {
            let client = reqwest::Client::builder()
                .use_rustls_tls()
                .tls_built_in_root_certs(false)
                .add_root_certificate(cert)
                .no_proxy()
                .build()
                .expect("client");
            let response = client.get(url).send().await.expect("a client that trusts the certificate connects");
            response.text().await.expect("body")
        })
    }
}

#[test]
fn https_with_an_untrusted_certificate_is_a_tls_error_never_a_credential_error() {
    let server = TlsServer::start();
    // Control: with the certificate trusted, the same server answers over HTTPS.
    assert!(server.get_trusting_its_certificate("127.0.0.1").contains("TLS-SERVER-TOKEN"));
    assert!(server.get_trusting_its_certificate("localhost").contains("TLS-SERVER-TOKEN"));
    let answered_before = server.requests.load(Ordering::SeqCst);

    let fake = util::fake();
    let port = server.addr.port();
    // Verification stays on whatever else is set: opting in to plain http changes nothing for https.
    for (host, allow_plain_http) in [("127.0.0.1", false), ("localhost", false), ("127.0.0.1", true)] {
        let mut settings = util::settings(&fake);
        settings.api_base_url = format!("https://{host}:{port}").into();
        settings.allow_plain_http = allow_plain_http;
        let failed_before = server.handshakes_failed.load(Ordering::SeqCst);
        let report = ok(util::instance().configure(&settings));
        assert!(!report.accepted, "{host} allow_plain_http={allow_plain_http}: {:#?}", report.findings);
        let e = error_of(&report);
        assert_eq!(e.code.as_str(), "network.tls", "{e:#?}");
        assert_eq!(e.field.as_ref().map(|f| f.as_str()), Some("api_base_url").into());
        assert!(
            e.message.en.contains(&format!("https://{host}:{port}/cgi-bin/gettoken")),
            "names the URL tried: {}",
            e.message.en
        );
        assert!(e.message.en.to_ascii_lowercase().contains("certificate"), "says why: {}", e.message.en);
        assert!(e.fix.en.contains("not a CorpID or Secret problem"), "{}", e.fix.en);
        assert!(report.findings.iter().all(|f| !f.code.starts_with("config.secret")), "{:#?}", report.findings);
        assert_no_credentials(&shown(e));
        // The server sees the refused handshake end a moment after the client gave up.
        let deadline = Instant::now() + Duration::from_secs(5);
        while server.handshakes_failed.load(Ordering::SeqCst) <= failed_before && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(
            server.handshakes_failed.load(Ordering::SeqCst) > failed_before,
            "the plugin reached the server and refused its certificate"
        );
        assert!(finding(&report, "config.plain_http").is_none(), "https is never reported as plain http");
    }
    assert_eq!(server.requests.load(Ordering::SeqCst), answered_before, "no request was sent over the untrusted TLS");
    assert_eq!(fake.total_requests(), 0);
}

// ---------------------------------------------------------------- plain http: loopback or opt-in

/// A forward proxy on 127.0.0.1 that relays every request, whatever host it names, to `upstream`
/// (also on 127.0.0.1), and records the absolute targets it was asked for. It lets the plugin
/// address a non-loopback host while every byte stays on this machine.
fn relay_to(upstream: SocketAddr) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let targets = Arc::new(Mutex::new(Vec::new()));
    let seen = targets.clone();
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
                let mut request_line = lines.next().unwrap_or_default().split_whitespace();
                let (method, target) = (request_line.next().unwrap_or("GET"), request_line.next().unwrap_or("/"));
                let Ok(url) = url::Url::parse(target) else { return };
                seen.lock().unwrap_or_else(|p| p.into_inner()).push(format!(
                    "{}://{}{}",
                    url.scheme(),
                    url.host_str().unwrap_or(""),
                    url.path()
                ));
                let origin_form = match url.query() {
                    Some(q) => format!("{}?{q}", url.path()),
                    None => url.path().to_string(),
                };
                let mut forwarded = format!("{method} {origin_form} HTTP/1.1\r\n");
                for line in lines.filter(|l| {
                    let l = l.to_ascii_lowercase();
                    !l.is_empty() && !l.starts_with("connection") && !l.starts_with("proxy-")
                }) {
                    forwarded.push_str(line);
                    forwarded.push_str("\r\n");
                }
                forwarded.push_str("Connection: close\r\n\r\n");
                let Ok(mut upstream) = TcpStream::connect(upstream) else { return };
                let _ = upstream.write_all(forwarded.as_bytes());
                let mut response = Vec::new();
                let _ = upstream.read_to_end(&mut response);
                let _ = client.write_all(&response);
            });
        }
    });
    (format!("http://{addr}"), targets)
}

#[test]
fn plain_http_is_for_loopback_and_otherwise_only_with_the_opt_in_and_a_warning() {
    let fake = util::fake();
    let fake_addr: SocketAddr = fake.base_url().trim_start_matches("http://").parse().expect("fake address");
    let (relay, relayed) = relay_to(fake_addr);
    // `.invalid` never resolves (RFC 6761), and with the relay as proxy nothing resolves it anyway.
    let gateway = "http://wecom-gateway.example.invalid:8080";

    // Loopback plain http (the fake): accepted, nothing to warn about.
    let report = ok(util::instance().configure(&util::settings(&fake)));
    assert!(report.accepted, "{:#?}", report.findings);
    assert!(finding(&report, "config.plain_http").is_none(), "{:#?}", report.findings);
    fake.reset_counts();

    // A non-loopback plain-http URL without the opt-in: refused before any call, even to the proxy.
    let mut settings = util::settings(&fake);
    settings.api_base_url = gateway.into();
    settings.proxy_url = relay.as_str().into();
    let report = ok(util::instance().configure(&settings));
    assert!(!report.accepted);
    let e = error_of(&report);
    assert_eq!(e.code.as_str(), "config.insecure_base_url", "{e:#?}");
    assert_eq!(e.field.as_ref().map(|f| f.as_str()), Some("api_base_url").into());
    assert!(e.message.en.contains("wecom-gateway.example.invalid"), "{}", e.message.en);
    assert_no_credentials(&shown(e));
    assert!(relayed.lock().expect("relay log").is_empty(), "refused before any network call");
    assert_eq!(fake.total_requests(), 0);

    // With the opt-in: the same URL is used (through the relay, to the fake) and reported as a warning.
    settings.allow_plain_http = true;
    let report = ok(util::instance().configure(&settings));
    assert!(report.accepted, "the opt-in makes it usable: {:#?}", report.findings);
    let warning = finding(&report, "config.plain_http").unwrap_or_else(|| panic!("{:#?}", report.findings));
    assert_eq!(warning.status, FindingStatus::Warning);
    assert_eq!(warning.field.as_ref().map(|f| f.as_str()), Some("api_base_url").into());
    assert!(warning.message.en.contains("wecom-gateway.example.invalid:8080"), "{}", warning.message.en);
    assert!(warning.fix.en.contains("unencrypted"), "{}", warning.fix.en);
    let targets = relayed.lock().expect("relay log").clone();
    assert!(
        targets.iter().any(|t| t == "http://wecom-gateway.example.invalid/cgi-bin/gettoken")
            && targets.iter().any(|t| t == "http://wecom-gateway.example.invalid/cgi-bin/agent/get"),
        "the plugin addressed the gateway it was given: {targets:?}"
    );
    assert!(fake.total_requests() >= 2, "and the calls reached the fake through the relay");
}

// ---------------------------------------------------------------- redirects and body bound

/// A plain-http server on 127.0.0.1 answering by path (`None`: drop the connection). Counts
/// connections.
fn canned(answer: impl Fn(&str) -> Option<Vec<u8>> + Send + Sync + 'static) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let connections = Arc::new(AtomicUsize::new(0));
    let count = connections.clone();
    let answer = Arc::new(answer);
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            count.fetch_add(1, Ordering::SeqCst);
            let answer = answer.clone();
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head).to_string();
                let target = head.split(' ').nth(1).unwrap_or("/").to_string();
                if let Some(bytes) = answer(&target) {
                    let _ = stream.write_all(&bytes);
                }
            });
        }
    });
    (format!("http://{addr}"), connections)
}

fn http(status: &str, headers: &str, body: &str) -> Vec<u8> {
    format!("HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
        .into_bytes()
}

#[test]
fn redirects_are_never_followed_so_no_credential_is_carried_elsewhere() {
    // Where a followed redirect would go: another server on loopback that must see nobody.
    let (trap, trap_connections) = canned(|_| Some(http("200 OK", "", r#"{"errcode":0,"access_token":"TRAP"}"#)));
    let trap_for_server = trap.clone();
    let (server, _) = canned(move |target| {
        let token = r#"{"errcode":0,"errmsg":"ok","access_token":"GATEWAY-TOKEN","expires_in":7200}"#;
        let to_trap = |status: &str| {
            Some(http(status, &format!("Location: {trap_for_server}/collect?from={}\r\n", target.len()), ""))
        };
        if target.starts_with("/on-gettoken/") {
            // Following this would hand `corpsecret` to the trap.
            to_trap("302 Found")
        } else if target.starts_with("/on-agent-get/cgi-bin/gettoken") {
            Some(http("200 OK", "Content-Type: application/json\r\n", token))
        } else if target.starts_with("/on-agent-get/") {
            // Following this would hand `access_token` to the trap (307 keeps the method).
            to_trap("307 Temporary Redirect")
        } else {
            Some(http("404 Not Found", "", ""))
        }
    });
    let fake = util::fake();
    for (prefix, status, endpoint) in [("on-gettoken", 302, "gettoken"), ("on-agent-get", 307, "agent/get")] {
        let mut settings = util::settings(&fake);
        settings.api_base_url = format!("{server}/{prefix}").into();
        let report = ok(util::instance().configure(&settings));
        assert!(!report.accepted);
        let e = error_of(&report);
        assert_eq!(e.code.as_str(), "network.http_status", "{prefix}: {e:#?}");
        assert!(
            e.message.en.contains(&format!("HTTP {status} from {server}/{prefix}/cgi-bin/{endpoint}")),
            "names the status and the URL without its query: {}",
            e.message.en
        );
        assert!(!e.message.en.contains("/collect"), "the redirect target is not echoed: {}", e.message.en);
        assert_no_credentials(&shown(e));
    }
    assert_eq!(trap_connections.load(Ordering::SeqCst), 0, "the redirect target was never contacted");
}

#[test]
fn an_endless_or_oversized_answer_is_cut_at_the_bound_with_a_clear_error() {
    const LIMIT: usize = 16 * 1024 * 1024; // the plugin's DEFAULT_MAX_BODY_BYTES
    const SERVER_GIVES_UP_AT: usize = 64 * 1024 * 1024;
    let written = Arc::new(AtomicUsize::new(0));
    let stopped_early = Arc::new(AtomicBool::new(false));
    let (w, s) = (written.clone(), stopped_early.clone());
    let (listener_url, _) = canned(move |target| {
        if target.starts_with("/declared/") {
            // A declared length over the bound: refused without reading.
            return Some(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1073741824\r\nConnection: close\r\n\r\n{\"errcode\":0,".to_vec());
        }
        None
    });
    // The endless body needs the stream itself, so it gets its own server.
    let endless = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let (w, s) = (w.clone(), s.clone());
                std::thread::spawn(move || {
                    let mut buf = [0u8; 4096];
                    let _ = stream.read(&mut buf);
                    // No Content-Length: only counting while reading reveals the size.
                    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"errcode\":0,\"access_token\":\"";
                    if stream.write_all(head.as_bytes()).is_err() {
                        return;
                    }
                    let chunk = vec![b'A'; 64 * 1024];
                    while w.load(Ordering::SeqCst) < SERVER_GIVES_UP_AT {
                        if stream.write_all(&chunk).is_err() {
                            s.store(true, Ordering::SeqCst);
                            return;
                        }
                        w.fetch_add(chunk.len(), Ordering::SeqCst);
                    }
                });
            }
        });
        format!("http://{addr}")
    };
    let fake = util::fake();
    for base in [format!("{listener_url}/declared"), endless] {
        let mut settings = util::settings(&fake);
        settings.api_base_url = base.as_str().into();
        let started = Instant::now();
        let report = ok(util::instance().configure(&settings));
        let e = error_of(&report);
        assert_eq!(e.code.as_str(), "network.body_too_large", "{base}: {e:#?}");
        assert_eq!(e.field.as_ref().map(|f| f.as_str()), Some("api_base_url").into());
        assert!(
            e.message.en.contains("gettoken") && e.message.en.contains(&LIMIT.to_string()),
            "names the call and the bound: {}",
            e.message.en
        );
        assert!(started.elapsed() < Duration::from_secs(10), "{base}: took {:?}", started.elapsed());
    }
    // The plugin stopped reading at the bound: the server's writes failed long before it gave up.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !stopped_early.load(Ordering::SeqCst) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let sent = written.load(Ordering::SeqCst);
    assert!(stopped_early.load(Ordering::SeqCst), "the client hung up (sent {sent} bytes)");
    // Whole chunks written; the client read past the bound, less at most a chunk in flight.
    assert!(sent >= LIMIT - 256 * 1024, "it did read up to the bound ({sent} bytes)");
    assert!(sent < SERVER_GIVES_UP_AT, "and not on and on ({sent} bytes)");
}
