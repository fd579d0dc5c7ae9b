use super::*;

#[tokio::test]
async fn gettoken_answers_a_token_or_the_real_error_codes() {
    let h = Harness::new();
    let ok = h.get(&format!("gettoken?corpid={CORP}&corpsecret={}", secret(1000002))).await;
    assert_eq!(ok["errcode"], 0);
    assert_eq!(ok["errmsg"], "ok");
    assert_eq!(ok["expires_in"], 7200);
    assert!(ok["access_token"].as_str().expect("token").len() >= 64);

    let wrong_corp = h.get(&format!("gettoken?corpid=ww0000&corpsecret={}", secret(1000002))).await;
    assert_error(&wrong_corp, 40013, "invalid corpid");
    let wrong_secret = h.get(&format!("gettoken?corpid={CORP}&corpsecret=nope")).await;
    assert_error(&wrong_secret, 40001, "invalid credential");
    assert_error(&h.get("gettoken?corpsecret=x").await, 41002, "corpid missing");
    assert_error(&h.get(&format!("gettoken?corpid={CORP}&corpsecret=")).await, 41004, "corpsecret missing");
}

#[tokio::test]
async fn a_token_is_reused_until_it_expires_or_is_revoked() {
    let h = Harness::new();
    let first = h.token(1000002).await;
    assert_eq!(h.token(1000002).await, first, "same token while valid");
    assert_ne!(h.token(1000003).await, first, "tokens are per app");
    for _ in 0..3 {
        assert_eq!(h.get(&format!("agent/get?agentid=1000002&access_token={first}")).await["errcode"], 0);
    }

    h.fake.expire_all_tokens();
    assert_error(&h.get(&format!("user/get?userid=clear&access_token={first}")).await, 42001, "access_token expired");
    let second = h.token(1000002).await;
    assert_ne!(second, first);
    assert_eq!(h.get(&format!("user/get?userid=clear&access_token={second}")).await["errcode"], 0);

    h.fake.invalidate_all_tokens();
    assert_error(&h.get(&format!("user/get?userid=clear&access_token={second}")).await, 40014, "invalid access_token");
    assert_error(&h.get("user/get?userid=clear").await, 41001, "access_token missing");
    assert_error(&h.get("user/get?userid=clear&access_token=garbage%00%ff").await, 40014, "invalid access_token");
}

#[tokio::test]
async fn untrusted_ips_get_60020_with_the_ip_but_gettoken_still_works() {
    let h = Harness::new();
    h.fake.with_org(|org| org.apps[0].trusted_ips = vec!["10.1.2.3".into()]);
    let token = h.token(1000002).await;
    let refused = h.get(&format!("agent/get?agentid=1000002&access_token={token}")).await;
    assert_error(&refused, 60020, "not allow to access from your ip");

    h.fake.with_org(|org| org.apps[0].trusted_ips = vec!["10.1.2.3; 127.0.0.1".into()]);
    assert_eq!(h.get(&format!("agent/get?agentid=1000002&access_token={token}")).await["errcode"], 0);
}

#[tokio::test]
async fn agent_get_describes_only_the_tokens_own_app() {
    let h = Harness::new();
    let agent = h.call(1000002, "agent/get?agentid=1000002").await;
    assert_eq!(agent["errcode"], 0);
    assert_eq!(agent["agentid"], 1000002);
    assert_eq!(agent["name"], "万象智维");
    assert_eq!(agent["allow_partys"]["partyid"], serde_json::json!([1]));
    assert_eq!(agent["allow_userinfos"]["user"], serde_json::json!([]));
    assert_eq!(agent["allow_tags"]["tagid"], serde_json::json!([]));
    assert_eq!(agent["close"], 0);
    assert_eq!(agent["isreportenter"], 0);

    let other = h.call(1000003, "agent/get?agentid=1000002").await;
    assert_error(&other, 301002, "not allow operate another agent with this accesstoken.");
    assert_error(&h.call(1000002, "agent/get?agentid=abc").await, 40056, "invalid agentid");
    assert_error(&h.call(1000002, "agent/get?agentid=999").await, 40056, "invalid agentid");
    assert_error(&h.call(1000002, "agent/get").await, 41011, "agentid missing");
}

#[tokio::test]
async fn a_disabled_app_authenticates_but_its_business_calls_get_50003() {
    let h = Harness::new();
    let agent = h.call(1000004, "agent/get?agentid=1000004").await;
    assert_eq!(agent["close"], 1);
    assert_eq!(errcode(&h.call(1000004, "department/list").await), 50003);
    assert_eq!(errcode(&h.call(1000004, "user/get?userid=clear").await), 50003);
}
