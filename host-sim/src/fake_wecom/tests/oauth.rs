use super::*;
use serde_json::json;

#[tokio::test]
async fn a_code_is_exchanged_once_by_its_own_app() {
    let h = Harness::new();
    let code = h.fake.mint_code(1000002, "Clear");
    assert_error(&h.call(1000003, &format!("auth/getuserinfo?code={code}")).await, 40029, "invalid code");
    let first = h.call(1000002, &format!("auth/getuserinfo?code={code}")).await;
    assert_eq!(first, json!({"errcode": 0, "errmsg": "ok", "userid": "clear"}));
    assert_error(&h.call(1000002, &format!("auth/getuserinfo?code={code}")).await, 40029, "invalid code");
    assert_error(&h.call(1000002, "auth/getuserinfo?code=made-up").await, 40029, "invalid code");
    assert_error(&h.call(1000002, "auth/getuserinfo").await, 41008, "code missing");

    let visitor = h.fake.mint_code_for_non_member(1000002, "o-visitor");
    let answer = h.call(1000002, &format!("auth/getuserinfo?code={visitor}")).await;
    assert_eq!(answer, json!({"errcode": 0, "errmsg": "ok", "openid": "o-visitor"}));
}

#[tokio::test]
async fn codes_expire() {
    let h = Harness::with(FakeConfig { code_ttl_secs: 0, ..FakeConfig::default() });
    let code = h.fake.mint_code(1000002, "clear");
    assert_error(&h.call(1000002, &format!("auth/getuserinfo?code={code}")).await, 40029, "invalid code");
}
