//! The platform's server against clients that dawdle, pile up connections or send what the
//! framework refuses: head and body read timeouts, a cap on open connections, and the
//! framework's refusals as the platform's own bilingual pages. Loopback only, bounded waits.

use crate::util;
use host_sim::cli::serve::{open_platform, OpenPlatform};
use host_sim::cli::session::WecomArgs;
use host_sim::store::Store;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn platform() -> OpenPlatform {
    let args = WecomArgs { plugin: Some(util::plugin_path()), ..Default::default() };
    open_platform(&args, 0, Store::in_memory().expect("store"), None).expect("platform starts")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
}

fn addr(open: &OpenPlatform) -> String {
    open.server.base_url.trim_start_matches("http://").to_string()
}

/// True when the server closed the connection (EOF or reset) within `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            // A response (hyper may answer 408) before the close: keep reading.
            Ok(Ok(_)) => continue,
        }
    }
}

#[test]
fn a_client_sending_half_a_header_or_nothing_is_cut_off() {
    let open = platform();
    let limit = open.platform.limits.header_timeout;
    let addr = addr(&open);
    runtime().block_on(async {
        let mut slow = TcpStream::connect(&addr).await.expect("connect");
        slow.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ").await.expect("half a header");
        let mut silent = TcpStream::connect(&addr).await.expect("connect");
        let started = Instant::now();
        // Keep dribbling one byte a second, as a slowloris client does; the head's deadline holds.
        let mut cut = false;
        while started.elapsed() < limit + Duration::from_secs(5) {
            if closed_within(&mut slow, Duration::from_secs(1)).await {
                cut = true;
                break;
            }
            if slow.write_all(b"a").await.is_err() {
                cut = true;
                break;
            }
        }
        assert!(cut, "the slow-header client is still connected after {:?}", started.elapsed());
        assert!(started.elapsed() >= limit - Duration::from_secs(1), "not before the limit: {:?}", started.elapsed());
        assert!(closed_within(&mut silent, Duration::from_secs(3)).await, "the silent client too");
    });
}

#[test]
fn two_thousand_half_open_connections_hold_at_most_the_cap_and_the_server_recovers() {
    let open = platform();
    let limits = open.platform.limits;
    let addr = addr(&open);
    let base = open.server.base_url.clone();
    runtime().block_on(async {
        let mut streams = Vec::new();
        for _ in 0..2000 {
            if let Ok(Ok(mut s)) = tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(&addr)).await {
                let _ = s.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n").await;
                streams.push(s);
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut still_open = 0;
        for s in streams.iter_mut() {
            if !closed_within(s, Duration::from_millis(5)).await {
                still_open += 1;
            }
        }
        assert!(still_open <= limits.max_connections, "{still_open} connections held, cap {}", limits.max_connections);
        assert!(still_open > 0, "the first ones are held until their deadline");
        // Once their head deadline passes, they are cut and the server answers again.
        tokio::time::sleep(limits.header_timeout + Duration::from_secs(1)).await;
        let mut answered = false;
        for _ in 0..10 {
            if let Ok(r) = reqwest::get(format!("{base}/")).await {
                answered = r.status().as_u16() == 200;
                if answered {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        assert!(answered, "the server recovers");
    });
}

#[test]
fn a_callback_body_sent_too_slowly_is_dropped_with_a_bilingual_page() {
    let open = platform();
    let limits = open.platform.limits;
    let addr = addr(&open);
    runtime().block_on(async {
        let mut s = TcpStream::connect(&addr).await.expect("connect");
        s.write_all(b"POST /wecom/callback?msg_signature=a&timestamp=1&nonce=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n<xml>")
            .await
            .expect("head");
        let started = Instant::now();
        let mut answer = Vec::new();
        let read = tokio::time::timeout(limits.body_timeout + Duration::from_secs(5), async {
            let mut buf = [0u8; 4096];
            loop {
                match s.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        answer.extend_from_slice(&buf[..n]);
                        if answer.windows(7).any(|w| w == b"</html>") {
                            break;
                        }
                    }
                }
            }
        })
        .await;
        assert!(read.is_ok(), "the slow body is still being waited for after {:?}", started.elapsed());
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("请求体发送过慢") && answer.contains("too slowly"), "{answer}");
    });
}

#[test]
fn framework_refusals_are_the_platforms_bilingual_pages() {
    let open = platform();
    let base = open.server.base_url.clone();
    runtime().block_on(async {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        let cases = [
            (client.get(format!("{base}/oauth/wecom/start?mode=in_client&mode=web_login")), 400),
            (client.get(format!("{base}/oauth/wecom/callback?code=a&code=b&state=s")), 400),
            (client.get(format!("{base}/no/such/page")), 404),
            (client.get(format!("{base}/WW_verify_nothing.txt")), 404),
            (client.delete(format!("{base}/me")), 405),
            (client.post(format!("{base}/wecom/callback?x=1")).body(vec![0xff, 0xfe, 0x00]), 400),
        ];
        for (request, status) in cases {
            let r = request.send().await.expect("answered");
            let got = r.status().as_u16();
            let content_type = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            let page = r.text().await.expect("page");
            assert_eq!(got, status, "{page}");
            assert!(content_type.starts_with("text/html"), "{content_type}: {page}");
            assert!(page.contains("data-outcome=\"error\""), "{page}");
            assert!(page.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "zh-CN: {page}");
            assert!(!page.contains("Failed to deserialize") && !page.contains("duplicate field"), "{page}");
        }
    });
}
