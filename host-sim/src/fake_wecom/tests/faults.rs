use super::*;
use crate::fake_wecom::{FaultKind, FaultRule, Faults};
use std::time::{Duration, Instant};

fn client(timeout: Option<Duration>) -> reqwest::Client {
    let builder = reqwest::Client::builder().no_proxy();
    let builder = match timeout {
        Some(t) => builder.timeout(t),
        None => builder,
    };
    builder.build().expect("client")
}

/// A fake with a live token for app 1000002 and the URL of a `user/get` with it.
async fn setup() -> (Harness, String) {
    let h = Harness::new();
    let token = h.token(1000002).await;
    let url = format!("{}/cgi-bin/user/get?userid=clear&access_token={token}", h.fake.base_url());
    (h, url)
}

async fn errcode_at(http: &reqwest::Client, url: &str) -> i64 {
    let body: Value = http.get(url).send().await.expect("send").json().await.expect("json");
    errcode(&body)
}

#[tokio::test]
async fn http_500_answers_an_html_page_for_the_next_calls_only() {
    let (h, url) = setup().await;
    h.fake.set_faults(FaultRule::new(FaultKind::Http500).times(2).into());
    let http = client(None);
    for _ in 0..2 {
        let response = http.get(&url).send().await.expect("send");
        assert_eq!(response.status(), 500);
        assert!(response.headers()["content-type"].to_str().expect("ascii").starts_with("text/html"));
        let body = response.text().await.expect("body");
        assert!(body.contains("500 Internal Server Error"), "{body}");
        assert!(serde_json::from_str::<Value>(&body).is_err());
    }
    assert_eq!(errcode_at(&http, &url).await, 0, "spent after two");
    assert_eq!(h.fake.request_counts().get("user/get"), Some(&3), "faulted calls are counted");
}

#[tokio::test]
async fn close_connection_drops_the_connection_without_an_answer() {
    let (h, url) = setup().await;
    h.fake.set_faults(FaultRule::new(FaultKind::CloseConnection).into());
    let http = client(Some(Duration::from_secs(5)));
    for _ in 0..2 {
        let err = http.get(&url).send().await.expect_err("no answer");
        assert!(!err.is_timeout() && err.status().is_none(), "{err:?}");
    }
    h.fake.clear_faults();
    assert_eq!(errcode_at(&http, &url).await, 0);
}

#[tokio::test]
async fn stall_delays_the_answer_past_a_client_timeout() {
    let (h, url) = setup().await;
    h.fake.set_faults(FaultRule::new(FaultKind::Stall { ms: 800 }).times(1).into());
    let err = client(Some(Duration::from_millis(100))).get(&url).send().await.expect_err("times out");
    assert!(err.is_timeout(), "{err:?}");
    h.fake.set_faults(FaultRule::new(FaultKind::Stall { ms: 120 }).into());
    let started = Instant::now();
    assert_eq!(errcode_at(&client(None), &url).await, 0, "a stall still answers");
    assert!(started.elapsed() >= Duration::from_millis(120));
}

#[tokio::test]
async fn slow_body_sends_half_the_body_then_pauses() {
    let (h, url) = setup().await;
    h.fake.set_faults(FaultRule::new(FaultKind::SlowBody { ms: 300 }).into());
    let started = Instant::now();
    let response = client(None).get(&url).send().await.expect("headers come at once");
    let headers_at = started.elapsed();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("the whole body in the end");
    let done_at = started.elapsed();
    assert_eq!(body["userid"], "clear");
    assert!(done_at >= Duration::from_millis(300), "{done_at:?}");
    assert!(done_at - headers_at >= Duration::from_millis(200), "headers {headers_at:?}, body {done_at:?}");
    let err = client(Some(Duration::from_millis(150))).get(&url).send().await.expect("headers").bytes().await;
    assert!(err.expect_err("body times out").is_timeout());
    h.fake.clear_faults();
}

#[tokio::test]
async fn truncated_body_promises_more_than_it_sends() {
    let (h, url) = setup().await;
    let http = client(Some(Duration::from_secs(5)));
    let full = http.get(&url).send().await.expect("send").bytes().await.expect("body").len() as u64;
    h.fake.set_faults(FaultRule::new(FaultKind::TruncatedBody).on("user/get").into());
    let response = http.get(&url).send().await.expect("headers");
    assert_eq!(response.status(), 200);
    assert_eq!(response.content_length(), Some(full));
    let err = response.bytes().await.expect_err("body breaks off");
    assert!(!err.is_timeout(), "{err:?}");
    h.fake.clear_faults();
    assert_eq!(errcode_at(&http, &url).await, 0);
}

#[tokio::test]
async fn garbage_is_a_200_that_is_not_json() {
    let (h, url) = setup().await;
    h.fake.set_faults(FaultRule::new(FaultKind::Garbage).into());
    let response = client(None).get(&url).send().await.expect("send");
    assert_eq!(response.status(), 200);
    let body = response.text().await.expect("body");
    assert_eq!(body, "<html>gateway error</html>");
    assert!(serde_json::from_str::<Value>(&body).is_err());
}

#[tokio::test]
async fn errcode_answers_a_wecom_error_envelope() {
    let (h, url) = setup().await;
    let http = client(None);
    h.fake.set_faults(FaultRule::new(FaultKind::Errcode { errcode: -1, errmsg: String::new() }).into());
    let body: Value = http.get(&url).send().await.expect("send").json().await.expect("json");
    assert_error(&body, -1, "system busy");
    let concurrent = FaultKind::Errcode { errcode: 45033, errmsg: "api concurrent out of limit".into() };
    h.fake.set_faults(FaultRule::new(concurrent).into());
    let body: Value = http.get(&url).send().await.expect("send").json().await.expect("json");
    assert_error(&body, 45033, "api concurrent out of limit");
}

#[tokio::test]
async fn tokens_are_invalidated_after_the_given_number_of_calls() {
    let (h, url) = setup().await;
    let http = client(None);
    h.fake.set_faults(FaultRule::new(FaultKind::InvalidateTokensAfter { calls: 2 }).into());
    assert_eq!(errcode_at(&http, &url).await, 0);
    assert_eq!(errcode_at(&http, &url).await, 0);
    let body: Value = http.get(&url).send().await.expect("send").json().await.expect("json");
    assert_error(&body, 40014, "invalid access_token");
    assert_eq!(errcode_at(&http, &url).await, 40014, "until a new gettoken");
    let fresh = h.token(1000002).await;
    assert_eq!(h.get(&format!("user/get?userid=clear&access_token={fresh}")).await["errcode"], 0);
    assert_eq!(h.get(&format!("tag/list?access_token={fresh}")).await["errcode"], 0, "fires once");
}

#[tokio::test]
async fn rules_can_be_scoped_to_an_endpoint_and_every_nth_call() {
    let h = Harness::new();
    let token = h.token(1000002).await;
    h.fake.set_faults(Faults {
        rules: vec![
            FaultRule::new(FaultKind::Garbage).on("tag/list").every_nth(2),
            FaultRule::new(FaultKind::Errcode { errcode: 45009, errmsg: String::new() }).on("user/list").times(1),
        ],
    });
    let http = client(None);
    let tag_list = format!("{}/cgi-bin/tag/list?access_token={token}", h.fake.base_url());
    let mut seen = Vec::new();
    for _ in 0..4 {
        let text = http.get(&tag_list).send().await.expect("send").text().await.expect("body");
        seen.push(serde_json::from_str::<Value>(&text).is_ok());
    }
    assert_eq!(seen, [true, false, true, false]);
    assert_error(
        &h.get(&format!("user/list?department_id=2&access_token={token}")).await,
        45009,
        "api freq out of limit",
    );
    assert_eq!(h.get(&format!("user/list?department_id=2&access_token={token}")).await["errcode"], 0);
    assert_eq!(h.get(&format!("user/get?userid=clear&access_token={token}")).await["errcode"], 0, "other APIs");
    h.fake.clear_faults();
    assert_eq!(h.get(&format!("tag/list?access_token={token}")).await["errcode"], 0);
    assert_eq!(h.get(&format!("tag/list?access_token={token}")).await["errcode"], 0);
}

#[tokio::test]
async fn faults_are_set_over_http_and_spare_the_sim_controls_and_pages() {
    let h = Harness::new();
    let token = h.token(1000002).await;
    let rules = serde_json::json!({"rules": [
        {"kind": "http_500", "endpoint": "tag/list"},
        {"kind": {"errcode": {"errcode": -1, "errmsg": "system busy"}}, "endpoint": "user/get", "times": 1},
    ]});
    let (status, answer) = h.post_json("/_sim/faults", rules).await;
    assert_eq!((status, answer["rules"].clone()), (200, Value::from(2)));
    let (status, _) = h.status_of(reqwest::Method::GET, &format!("/cgi-bin/tag/list?access_token={token}")).await;
    assert_eq!(status, 500);
    assert_eq!(errcode(&h.get(&format!("user/get?userid=clear&access_token={token}")).await), -1);
    assert_eq!(h.status_of(reqwest::Method::GET, "/_sim/stats").await.0, 200);
    h.fake.set_faults(FaultRule::new(FaultKind::Http500).into());
    assert_eq!(h.status_of(reqwest::Method::GET, "/_sim/stats").await.0, 200, "not a WeCom API call");
    let page = format!("/wwlogin/sso/login?login_type=CorpApp&appid={CORP}&agentid=1000002&redirect_uri=x");
    assert_eq!(h.status_of(reqwest::Method::GET, &page).await.0, 200, "pages are not /cgi-bin/ calls");

    assert_eq!(h.status_of(reqwest::Method::DELETE, "/_sim/faults").await.0, 200);
    assert_eq!(h.get(&format!("tag/list?access_token={token}")).await["errcode"], 0);
    let (status, _) = h.post_json("/_sim/faults", serde_json::json!({"rules": [{"kind": "http500"}]})).await;
    assert_eq!(status, 400);
    assert_eq!(h.get(&format!("tag/list?access_token={token}")).await["errcode"], 0, "a refused body changes nothing");
}
