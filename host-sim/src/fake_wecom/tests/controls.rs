use super::*;
use serde_json::json;

#[tokio::test]
async fn the_sim_controls_work_over_http_and_are_not_counted() {
    let h = Harness::new();
    let token = h.token(1000002).await;
    h.get(&format!("tag/list?access_token={token}")).await;

    let (status, stats) = h.status_of(reqwest::Method::GET, "/_sim/stats").await;
    assert_eq!(status, 200);
    let stats: Value = serde_json::from_str(&stats).expect("json");
    assert_eq!(stats["requests"], json!({"gettoken": 1, "tag/list": 1}));
    assert_eq!(stats["total"], 2);
    assert!(stats["peak_in_flight"].as_u64().expect("peak") >= 1);

    let (status, minted) = h.post_json("/_sim/oauth/code", json!({"agent_id": 1000002, "userid": "zhangxu"})).await;
    assert_eq!(status, 200);
    let code = minted["code"].as_str().expect("code");
    assert_eq!(h.get(&format!("auth/getuserinfo?code={code}&access_token={token}")).await["userid"], "zhangxu");
    let (status, _) = h.post_json("/_sim/oauth/code", json!({"agent": "x"})).await;
    assert_eq!(status, 400);

    assert_eq!(h.status_of(reqwest::Method::POST, "/_sim/tokens/expire").await.0, 200);
    assert_eq!(errcode(&h.get(&format!("tag/list?access_token={token}")).await), 42001);
    let fresh = h.token(1000002).await;
    assert_eq!(h.status_of(reqwest::Method::POST, "/_sim/tokens/invalidate").await.0, 200);
    assert_eq!(errcode(&h.get(&format!("tag/list?access_token={fresh}")).await), 40014);

    assert_eq!(h.status_of(reqwest::Method::POST, "/_sim/stats/reset").await.0, 200);
    assert_eq!(h.fake.total_requests(), 0);
}

#[tokio::test]
async fn serve_runs_on_a_callers_runtime() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(crate::fake_wecom::serve(Org::sample(), FakeConfig::default(), listener));
    let http = reqwest::Client::builder().no_proxy().build().expect("client");
    let body: Value = http
        .get(format!("http://{addr}/cgi-bin/gettoken?corpid={CORP}&corpsecret={}", secret(1000003)))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(body["errcode"], 0);
    server.abort();
}
