//! `handle` end to end on the vectors of wecom-api.md §11, and every error code provoked.

use super::*;
use abi_stable::std_types::RVec;
use interface::{ChangeKind, DirectoryChange};

const OFFICIAL_TOKEN: &str = "QDG6eK";
const OFFICIAL_KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
const OFFICIAL_CORP: &str = "wx5823bf96d3bd56c7";

const OFFICIAL_POST_ENCRYPT: &str = "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==";

/// §11.4, shared with the crypto tests (which re-derive it with `encrypt`).
pub(super) const VECTOR_11_4_ENCRYPT: &str = "sKqRbbiSUnDhFHOvPjtUMU7PQ9TlPGz58MfN2PRnefTgAiGuZs4K+bohrAgEHdk1CQhY5d8TEw85qKjAb/YbjTQsodp2qQcoJTjWkcD0nAIXApP4lrR5nOkRrS+ceEr8QX6CeoFFXLEaRYt/OkXLYWTjYA0EbcHzUv3KM2825XqgL5PWIHUwB07RkMrQe979LkgOQrBqsU7sOkLb2BPA8BXGN+jZEjZekjc2Y8f3XC7ZS5t8KEOx7I68o0/XrmdG+SRptZnRGWjt+b9uewtJwcE0LIzYqgYI/SEJrONYg7RVFgRk1FVU+Ux4ZK0cUDaThQOFividxBSzINt3mdDBfRNVq4Z7CaiNuA2mdOvmGj+kAGOeB9sgb3D0xiUX24W1JfVSdQ7vdlLCqlCTqqTRNqMKob8axciS0mkoqVgEAPtp0DLeudgO57SEYY3Cg++uNe4Fkqjb9xs7WMG8lui5GLA/wlDYZ7CeTco0qDSKfT3i2MVoyeEIysZ3Uru9uUbiLHNHxOoxsTZdPUzLe6fjhn2d8CZVXrLM9zJuzcQoiKdkD6Zto0SUIopAyuu/Yl1d9SMPOiczmkNmNWX0koQd6w==";

fn official() -> CallbackConfig {
    CallbackConfig::new(OFFICIAL_TOKEN, OFFICIAL_KEY, OFFICIAL_CORP).expect("config")
}

fn get(query: &str, now: i64) -> CallbackRequest {
    CallbackRequest {
        method: "GET".into(),
        query: query.into(),
        body: "".into(),
        now_unix: now,
        ext: Default::default(),
    }
}

fn post(query: &str, body: &str, now: i64) -> CallbackRequest {
    CallbackRequest {
        method: "POST".into(),
        query: query.into(),
        body: body.into(),
        now_unix: now,
        ext: Default::default(),
    }
}

fn envelope(encrypt: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{OFFICIAL_CORP}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>"
    )
}

fn run(config: &CallbackConfig, request: &CallbackRequest) -> Result<CallbackReply, PluginError> {
    handle(config, request, request.now_unix, &ReplayGuard::new())
}

fn code(result: Result<CallbackReply, PluginError>) -> String {
    match result {
        Ok(reply) => panic!("expected an error, got {reply:?}"),
        Err(e) => e.code.to_string(),
    }
}

/// A signed POST of `msg` encrypted for `receive_id` with the official key and token.
fn signed_post(msg: &str, receive_id: &str, timestamp: i64, nonce: &str) -> CallbackRequest {
    let key = AesKey::from_encoding_aes_key(OFFICIAL_KEY).expect("key");
    let encrypted = crypto::encrypt(&key, b"fedcba9876543210", msg, receive_id).expect("encrypt");
    signed_post_raw(&encrypted, timestamp, nonce)
}

fn signed_post_raw(encrypted: &str, timestamp: i64, nonce: &str) -> CallbackRequest {
    let sig = crypto::signature(OFFICIAL_TOKEN, &timestamp.to_string(), nonce, encrypted);
    post(&format!("msg_signature={sig}&timestamp={timestamp}&nonce={nonce}"), &envelope(encrypted), timestamp)
}

const CHANGE_11_4: &str = "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_contact]]></Event><ChangeType><![CDATA[update_user]]></ChangeType><UserID><![CDATA[zhangsan]]></UserID><NewUserID><![CDATA[zhangsan001]]></NewUserID><Department><![CDATA[1,2]]></Department></xml>";

#[test]
fn official_url_verification_11_1_a() {
    // The vector as published: `+` and `/` unencoded, which must survive as themselves.
    let query = "msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589&nonce=263014780&echostr=P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==";
    let reply = run(&official(), &get(query, 1409659589)).expect("verified");
    assert_eq!(reply.kind, CallbackKind::UrlVerification);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body.as_str(), "1616140317555161061");
    assert!(reply.change.is_none());
    // The same, percent-encoded as WeCom sends it.
    let encoded = "msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589&nonce=263014780&echostr=P9nAzCzyDtyTWESHep1vC5X9xho%2FqYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp%2B4RPcs8TgAE7OaBO%2BFZXvnaqQ%3D%3D";
    assert_eq!(run(&official(), &get(encoded, 1409659589)).expect("verified").body.as_str(), "1616140317555161061");
}

#[test]
fn official_post_11_1_b_is_another_event() {
    let query = "msg_signature=477715d11cdb4164915debcba66cb864d751f3e6&timestamp=1409659813&nonce=1372623149";
    let reply = run(&official(), &post(query, &envelope(OFFICIAL_POST_ENCRYPT), 1409659813)).expect("accepted");
    assert_eq!(reply.kind, CallbackKind::OtherEvent);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body.as_str(), "");
    assert!(reply.change.is_none());
}

#[test]
fn wechatpy_11_2() {
    let config = CallbackConfig::new("123456", "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR", "wx49f0ab532d5d035a")
        .expect("config");
    let echostr = "4ByGGj%2BsVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1%2BbXFXDQQb1o6co6Yh9Bv41n7hOchLF6p%2BQ%3D%3D";
    let query = |nonce: &str| {
        format!(
            "msg_signature=dd6b9c95b495b3f7e2901bfbc76c664930ffdb96&timestamp=1411443780&nonce={nonce}&echostr={echostr}"
        )
    };
    let reply = run(&config, &get(&query("437374425"), 1411443780)).expect("verified");
    assert_eq!(reply.body.as_str(), "5927782489442352469");
    assert_eq!(code(run(&config, &get(&query("437374424"), 1411443780))), "callback.signature_mismatch");

    let encrypted = "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0=";
    let body = format!(
        "<xml><ToUserName><![CDATA[wx49f0ab532d5d035a]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    );
    let query = "msg_signature=74d92dfeb87ba7c714f89d98870ae5eb62dff26d&timestamp=1411525903&nonce=461056294";
    assert_eq!(run(&config, &post(query, &body, 1411525903)).expect("accepted").kind, CallbackKind::OtherEvent);

    // 11.2 c: the deterministic encrypt, delivered.
    let encrypted = "9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGsL8GqxlhZgURnAtObvesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2Q1qvSUCUld+/WIXrx0oyKQmpB6o8NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0nTYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3";
    let body = format!("<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>");
    let query = "msg_signature=407518b7649e86ef23978113f92d27afa9296533&timestamp=1411525903&nonce=461056294";
    assert_eq!(run(&config, &post(query, &body, 1411525903)).expect("accepted").kind, CallbackKind::OtherEvent);
}

#[test]
fn go_workwx_11_3_percent_encoded_echostr() {
    let config = CallbackConfig::new(
        "kjr2TKI8umCBfVF3wAHk8JiPwma5VBme",
        "4Ma3YBrSBbX2aez8MJpXGBne5LSDwgGqHbhM9WPYIws",
        "ww6a112864f8022910",
    )
    .expect("config");
    let query = "msg_signature=1ba3cb09c0d2c2b3ed6900d37f91a6efae6cb011&timestamp=1583940690&nonce=VHh7ymSeb0jc4lSb&echostr=6KmUQuPVu7UhjyVqRdbo5SfcRqaHvbUlKSHFvBV2ZuR6TIlKsygcfeSd1GDplg1C5KSKr6UPHCaC%2FnIX3ZNt9w%3D%3D";
    let reply = run(&config, &get(query, 1583940690)).expect("verified");
    assert_eq!(reply.kind, CallbackKind::UrlVerification);
    assert_eq!(reply.body.as_str(), "94966531020182955848408");

    let config =
        CallbackConfig::new("kz7Yx62CH8SaLN", "cD0d7jx4tYvVtzqrmh3Dm3QFCXe6f8SlHoMtMh3qQEP", "wwf181555a13a31443")
            .expect("config");
    let encrypted = "fyVN9BUnH6xNl0/VCHTCg6XGxxvoFdyZ7VQbAbBcQ79dVccYvdIyJYZSMMhkPy8LPaoe+V27qjoQ553fXavmrPOgxzHrKKf3YIu63pB4/nN0LY4S+GzUFi/LLFj1TI1sOh0q2jT5u1nYz5G3HFNLd3DFUvJVLtZl8mVMwUOzBpzKZhhmCvIJLVlvym9tt+VYwG06MSbmnf9AzYFKhm1BIy+95Q824ilY6Wy8l+vkFqEdASl2k83jMXvlkVRSB3hmNptWTbq8ygDdLtkCyA4UEiZvfTskqqVkbYwLptRl/1F+DVL9SH/TWt2j3dCm4rzY5jQG+fA+2xh2Kk+OrVgafqtQCfhjq8C38A2IwCcg2BONKk8s5ijFxQoszmXvJQ3zLYbjzRWQ40xhryDyPNNse7/slKVW2QMBEUPNOxUcX9k=";
    let body = format!("<xml><ToUserName>wwf181555a13a31443</ToUserName><Encrypt>{encrypted}</Encrypt></xml>");
    let query = "msg_signature=a44d1b7dc3dc4b02edd99dc32afa6a26be7c92f6&timestamp=1583995625&nonce=1584392382";
    assert_eq!(run(&config, &post(query, &body, 1583995625)).expect("accepted").kind, CallbackKind::OtherEvent);
}

fn expected_11_4() -> DirectoryChange {
    DirectoryChange {
        kind: ChangeKind::MemberUpdated,
        change_type: "update_user".into(),
        event_time_unix: 1700000000,
        dedup_key: "sys|1700000000|update_user|zhangsan".into(),
        userid: "zhangsan".into(),
        new_userid: "zhangsan001".into(),
        name: ROption::RNone,
        department_ids: ROption::RSome(RVec::from(vec![1, 2])),
        status: ROption::RNone,
        department_id: 0,
        department_name: ROption::RNone,
        parent_id: ROption::RNone,
        order: ROption::RNone,
        tag_id: 0,
        added_userids: RVec::new(),
        removed_userids: RVec::new(),
        added_department_ids: RVec::new(),
        removed_department_ids: RVec::new(),
        ext: Default::default(),
    }
}

#[test]
fn change_contact_11_4_then_duplicate() {
    let query = "msg_signature=d401266b317d97ead229b8566c650485cc775fe4&timestamp=1700000000&nonce=1234567890";
    let request = post(query, &envelope(VECTOR_11_4_ENCRYPT), 1700000000);
    let replay = ReplayGuard::new();
    let reply = handle(&official(), &request, request.now_unix, &replay).expect("accepted");
    assert_eq!(reply.kind, CallbackKind::ContactChange);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body.as_str(), "");
    assert_eq!(reply.change, ROption::RSome(expected_11_4()));

    // WeCom's retry of the same delivery: acknowledged, nothing to apply.
    let again = handle(&official(), &request, request.now_unix + 10, &replay).expect("acknowledged");
    assert_eq!(again.kind, CallbackKind::Duplicate);
    assert_eq!(again.status, 200);
    assert_eq!(again.body.as_str(), "");
    assert!(again.change.is_none());
    assert_eq!(replay.len(), 1);

    // The same event re-sent with a new nonce is a new delivery here; dedup_key tells the host.
    let resent = signed_post_raw(VECTOR_11_4_ENCRYPT, 1700000005, "99");
    let reply = handle(&official(), &resent, resent.now_unix, &replay).expect("accepted");
    assert_eq!(reply.kind, CallbackKind::ContactChange);
    assert_eq!(reply.change.map(|c| c.dedup_key), ROption::RSome("sys|1700000000|update_user|zhangsan".into()));
}

#[test]
fn repeated_verification_is_answered_again() {
    let query = "msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589&nonce=263014780&echostr=P9nAzCzyDtyTWESHep1vC5X9xho%2FqYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp%2B4RPcs8TgAE7OaBO%2BFZXvnaqQ%3D%3D";
    let replay = ReplayGuard::new();
    for _ in 0..2 {
        let reply = handle(&official(), &get(query, 0), 1409659589, &replay).expect("verified");
        assert_eq!(reply.kind, CallbackKind::UrlVerification);
    }
    assert!(replay.is_empty());
}

#[test]
fn freshness_window() {
    let query = "msg_signature=d401266b317d97ead229b8566c650485cc775fe4&timestamp=1700000000&nonce=1234567890";
    let body = envelope(VECTOR_11_4_ENCRYPT);
    for now in [1700000000 - 300, 1700000000 + 300] {
        assert!(run(&official(), &post(query, &body, now)).is_ok(), "{now}");
    }
    for now in [1700000000 - 301, 1700000000 + 301] {
        let error = run(&official(), &post(query, &body, now)).expect_err("stale");
        assert_eq!(error.code.as_str(), "callback.stale_timestamp");
        assert_eq!(error.field, ROption::RSome("timestamp".into()));
    }
    // now_unix = 0 means the system clock, against which a 2023 timestamp is stale.
    assert_eq!(code(run(&official(), &post(query, &body, 0))), "callback.stale_timestamp");
}

#[test]
fn the_freshness_window_is_a_parameter_with_the_same_message() {
    let query = "msg_signature=d401266b317d97ead229b8566c650485cc775fe4&timestamp=1700000000&nonce=1234567890";
    let body = envelope(VECTOR_11_4_ENCRYPT);
    // A server clock ten minutes ahead: refused by the default window, accepted by a 15-minute one.
    let now = 1700000000 + 600;
    let refused = run(&official(), &post(query, &body, now)).expect_err("stale by default");
    assert!(refused.message.zh.contains("±300 秒"), "{}", refused.message.zh);
    let replay = ReplayGuard::new();
    let accepted = handle_with_window(&official(), &post(query, &body, now), now, &replay, 900).expect("in window");
    assert_eq!(accepted.kind, CallbackKind::ContactChange);
    // The replay guard keeps the delivery for as long as the wider window could let it in again.
    let again = handle_with_window(&official(), &post(query, &body, now + 200), now + 200, &replay, 900);
    assert_eq!(again.expect("acknowledged").kind, CallbackKind::Duplicate);
    let beyond = handle_with_window(&official(), &post(query, &body, now + 301), now + 301, &ReplayGuard::new(), 900)
        .expect_err("beyond 900 s");
    assert_eq!(beyond.code.as_str(), "callback.stale_timestamp");
    assert!(beyond.message.zh.contains("±900 秒") && beyond.message.en.contains("±900 s"), "{:?}", beyond.message);
    assert!(refused.message.en.contains("the server's clock"), "the message names the clock: {}", refused.message.en);
}

#[test]
fn the_configured_window_is_the_one_handle_applies() {
    let query = "msg_signature=d401266b317d97ead229b8566c650485cc775fe4&timestamp=1700000000&nonce=1234567890";
    let body = envelope(VECTOR_11_4_ENCRYPT);
    let now = 1700000000 + 600;
    let wide = official().with_window(900);
    let accepted = handle(&wide, &post(query, &body, now), now, &ReplayGuard::new()).expect("the setting widens it");
    assert_eq!(accepted.kind, CallbackKind::ContactChange);
    assert!(
        handle(&official().with_window(0), &post(query, &body, now), now, &ReplayGuard::new()).is_err(),
        "0 = 300 s"
    );
}

#[test]
fn events_from_either_receiver_decode() {
    let query = "msg_signature=d401266b317d97ead229b8566c650485cc775fe4&timestamp=1700000000&nonce=1234567890";
    // The contact-sync receiver: AgentID empty or absent; the app's own receiver: its AgentID.
    for agent in ["<AgentID><![CDATA[]]></AgentID>", "<AgentID/>", "", "<AgentID><![CDATA[1000002]]></AgentID>"] {
        let body = format!(
            "<xml><ToUserName><![CDATA[{OFFICIAL_CORP}]]></ToUserName><Encrypt><![CDATA[{VECTOR_11_4_ENCRYPT}]]></Encrypt>{agent}</xml>"
        );
        let reply = run(&official(), &post(query, &body, 1700000000)).unwrap_or_else(|e| panic!("{agent}: {e}"));
        assert_eq!(reply.kind, CallbackKind::ContactChange, "{agent}");
        let change = reply.change.into_option().expect("change");
        assert_eq!((change.userid.as_str(), change.new_userid.as_str()), ("zhangsan", "zhangsan001"));
    }
}

#[test]
fn not_configured() {
    let error = CallbackConfig::new("", OFFICIAL_KEY, OFFICIAL_CORP).expect_err("no token");
    assert_eq!(
        (error.code.as_str(), error.field.clone()),
        ("callback.not_configured", ROption::RSome("callback_token".into()))
    );
    let error = CallbackConfig::new(OFFICIAL_TOKEN, "", OFFICIAL_CORP).expect_err("no key");
    assert_eq!(error.field, ROption::RSome("callback_aes_key".into()));
    let error = CallbackConfig::new(OFFICIAL_TOKEN, "tooshort", OFFICIAL_CORP).expect_err("bad key");
    assert_eq!(error.code.as_str(), "callback.not_configured");
    // Nothing secret in the debug output.
    let shown = format!("{:?}", official());
    assert!(!shown.contains(OFFICIAL_TOKEN) && !shown.contains(OFFICIAL_KEY), "{shown}");
}

#[test]
fn bad_requests() {
    let config = official();
    let ok_get =
        "msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589&nonce=263014780&echostr=P9nA";
    let cases: Vec<(CallbackRequest, &str)> = vec![
        (CallbackRequest { method: "PUT".into(), ..get(ok_get, 1) }, "method"),
        (CallbackRequest { method: "".into(), ..get(ok_get, 1) }, "method"),
        (get("timestamp=1&nonce=2&echostr=x", 1), "msg_signature"),
        (get("msg_signature=a&nonce=2&echostr=x", 1), "timestamp"),
        (get("msg_signature=a&timestamp=1&echostr=x", 1), "nonce"),
        (get("msg_signature=a&timestamp=1&nonce=2", 1), "echostr"),
        (get("msg_signature=a&timestamp=1&nonce=2&echostr=", 1), "echostr"),
        (get("msg_signature=a&timestamp=12x&nonce=2&echostr=x", 1), "timestamp"),
        (get("msg_signature=a&timestamp=-5&nonce=2&echostr=x", 1), "timestamp"),
        (get("msg_signature=a&timestamp=99999999999999999999&nonce=2&echostr=x", 1), "timestamp"),
        (get("msg_signature=a&msg_signature=b&timestamp=1&nonce=2&echostr=x", 1), "msg_signature"),
        (get("msg_signature=a&timestamp=1&nonce=%FF&echostr=x", 1), "nonce"),
        (get(&"a".repeat(MAX_QUERY_BYTES + 1), 1), "query"),
        (get("", 1), "msg_signature"),
        (post("msg_signature=a&timestamp=1&nonce=2", "", 1), "Encrypt"),
        (post("msg_signature=a&timestamp=1&nonce=2", "<xml><AgentID>1</AgentID></xml>", 1), "Encrypt"),
        (post("msg_signature=a&timestamp=1&nonce=2", &"x".repeat(MAX_BODY_BYTES + 1), 1), "body"),
    ];
    for (request, field) in cases {
        let error = run(&config, &request).expect_err("bad request");
        assert_eq!(error.code.as_str(), "callback.bad_request", "{request:?}");
        assert_eq!(error.field, ROption::RSome(field.into()), "{request:?}");
        assert!(!error.message.zh.is_empty() && !error.fix.en.is_empty());
    }
    // Lower-case methods and a leading `?` are tolerated.
    let query = "?msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589&nonce=263014780&echostr=P9nAzCzyDtyTWESHep1vC5X9xho%2FqYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp%2B4RPcs8TgAE7OaBO%2BFZXvnaqQ%3D%3D";
    assert!(run(&config, &CallbackRequest { method: "get".into(), ..get(query, 1409659589) }).is_ok());
}

#[test]
fn plus_is_never_a_space() {
    // A `+` turned into a space (form decoding) breaks the signature: `%20` must not verify.
    let query = "msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589&nonce=263014780&echostr=P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp%204RPcs8TgAE7OaBO%20FZXvnaqQ==";
    assert_eq!(code(run(&official(), &get(query, 1409659589))), "callback.signature_mismatch");
}

#[test]
fn signature_mismatch() {
    let mut request = signed_post(CHANGE_11_4, OFFICIAL_CORP, 1700000000, "1");
    request.query = request.query.replace("nonce=1", "nonce=2").into();
    assert_eq!(code(run(&official(), &request)), "callback.signature_mismatch");
    // Another token.
    let other = CallbackConfig::new("other", OFFICIAL_KEY, OFFICIAL_CORP).expect("config");
    let request = signed_post(CHANGE_11_4, OFFICIAL_CORP, 1700000000, "1");
    let error = run(&other, &request).expect_err("mismatch");
    assert_eq!(error.code.as_str(), "callback.signature_mismatch");
    assert_eq!(error.field, ROption::RSome("callback_token".into()));
    assert!(error.message.en.contains("-40001"));
    assert!(!error.message.en.contains(OFFICIAL_TOKEN) && !error.fix.en.contains(OFFICIAL_TOKEN));
}

/// A signed POST whose ciphertext is `plain` encrypted with the official key, no padding added.
fn signed_raw_plaintext(plain: Vec<u8>) -> CallbackRequest {
    use aes::cipher::{BlockEncryptMut, KeyIvInit};
    let key = AesKey::from_encoding_aes_key(OFFICIAL_KEY).expect("key");
    let mut buf = plain;
    let mut cipher =
        cbc::Encryptor::<aes::Aes256>::new_from_slices(key.bytes(), &key.bytes()[..16]).expect("key and iv");
    for block in buf.chunks_exact_mut(16) {
        cipher.encrypt_block_mut(block.into());
    }
    use base64::Engine as _;
    signed_post_raw(&base64::engine::general_purpose::STANDARD.encode(buf), 1700000000, "7")
}

fn padded(mut buf: Vec<u8>) -> Vec<u8> {
    let pad = 32 - buf.len() % 32;
    buf.resize(buf.len() + pad, pad as u8);
    buf
}

#[test]
fn crypto_errors() {
    let config = official();
    assert_eq!(code(run(&config, &signed_post_raw("%%%not-base64%%%", 1700000000, "7"))), "callback.bad_base64");
    let error = run(&config, &signed_post_raw("@@@@", 1700000000, "7")).expect_err("bad base64");
    assert_eq!(error.field, ROption::RSome("Encrypt".into()));
    assert!(error.message.en.contains("-40010"));

    // Pad length 0 and 33, and a pad length the other pad bytes contradict.
    for last in [0u8, 33] {
        let mut plain = vec![b'x'; 64];
        plain[63] = last;
        assert_eq!(code(run(&config, &signed_raw_plaintext(plain))), "callback.bad_padding");
    }
    let mut plain = vec![b'x'; 64];
    plain[61..].copy_from_slice(&[9, 3, 3]);
    let error = run(&config, &signed_raw_plaintext(plain)).expect_err("bad padding");
    assert_eq!(error.code.as_str(), "callback.bad_padding");
    assert_eq!(error.field, ROption::RSome("callback_aes_key".into()));

    // Not whole AES blocks; msg_len larger than the buffer; a message that is not UTF-8.
    use base64::Engine as _;
    let short = base64::engine::general_purpose::STANDARD.encode([1u8; 20]);
    assert_eq!(code(run(&config, &signed_post_raw(&short, 1700000000, "7"))), "callback.decrypt_failed");
    let mut plain = b"0123456789abcdef".to_vec();
    plain.extend_from_slice(&1000u32.to_be_bytes());
    plain.extend_from_slice(b"<xml/>wx5823bf96d3bd56c7");
    assert_eq!(code(run(&config, &signed_raw_plaintext(padded(plain)))), "callback.decrypt_failed");
    let mut plain = b"0123456789abcdef".to_vec();
    plain.extend_from_slice(&3u32.to_be_bytes());
    plain.extend_from_slice(&[0xc3, 0x28, 0xff]);
    plain.extend_from_slice(OFFICIAL_CORP.as_bytes());
    let error = run(&config, &signed_raw_plaintext(padded(plain))).expect_err("not UTF-8");
    assert_eq!(error.code.as_str(), "callback.decrypt_failed");
    assert!(error.message.en.contains("-40008"));

    // Encrypted with another key: fails on the padding or the buffer, never decrypts.
    let other_key = AesKey::from_encoding_aes_key("kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR").expect("key");
    let foreign = crypto::encrypt(&other_key, b"fedcba9876543210", CHANGE_11_4, OFFICIAL_CORP).expect("encrypt");
    let failed = code(run(&config, &signed_post_raw(&foreign, 1700000000, "7")));
    assert!(["callback.bad_padding", "callback.decrypt_failed"].contains(&failed.as_str()), "{failed}");
}

#[test]
fn receiver_mismatch() {
    let error = run(&official(), &signed_post(CHANGE_11_4, "ww_other_corp", 1700000000, "5")).expect_err("mismatch");
    assert_eq!(error.code.as_str(), "callback.receiver_mismatch");
    assert_eq!(error.field, ROption::RSome("corp_id".into()));
    assert!(error.message.en.contains("ww_other_corp") && error.message.en.contains("-40005"));
    // An empty receiveid (bot callbacks) is not this corp either.
    assert_eq!(code(run(&official(), &signed_post(CHANGE_11_4, "", 1700000000, "5"))), "callback.receiver_mismatch");
}

#[test]
fn bad_xml() {
    let config = official();
    let query = "msg_signature=a&timestamp=1700000000&nonce=2";
    for body in ["not xml at all", "<xml><Encrypt>abc</Encrypt>", "<xml></y>"] {
        let error = run(&config, &post(query, body, 1700000000)).expect_err("bad xml");
        assert_eq!(error.code.as_str(), "callback.bad_xml", "{body}");
        assert_eq!(error.field, ROption::RSome("body".into()));
    }
    // Signed and decrypted, but the message is not XML, or an event lacks its subject.
    for msg in [
        "plain text",
        "<xml><MsgType>event</MsgType>",
        "<xml><MsgType>event</MsgType><Event>change_contact</Event><ChangeType>create_party</ChangeType></xml>",
    ] {
        let error = run(&config, &signed_post(msg, OFFICIAL_CORP, 1700000000, "3")).expect_err("bad xml");
        assert_eq!(error.code.as_str(), "callback.bad_xml", "{msg}");
        assert_eq!(error.field, ROption::RSome("event".into()));
        assert!(error.message.en.contains("-40002"));
    }
}

#[test]
fn each_change_type_through_handle() {
    let cases = [
        (
            "<ChangeType>create_user</ChangeType><UserID>a</UserID><Name>A</Name><Department>1</Department>",
            ChangeKind::MemberCreated,
        ),
        ("<ChangeType><![CDATA[update_user]]></ChangeType><UserID>a</UserID>", ChangeKind::MemberUpdated),
        ("<ChangeType>delete_user</ChangeType><UserID>a</UserID>", ChangeKind::MemberDeleted),
        (
            "<ChangeType>create_party</ChangeType><Id>5</Id><Name>X</Name><ParentId>1</ParentId><Order>1</Order>",
            ChangeKind::DepartmentCreated,
        ),
        ("<ChangeType>update_party</ChangeType><Id>5</Id><Name>Y</Name>", ChangeKind::DepartmentUpdated),
        ("<ChangeType>delete_party</ChangeType><Id>5</Id>", ChangeKind::DepartmentDeleted),
        (
            "<ChangeType>update_tag</ChangeType><TagId>3</TagId><DelPartyItems>5,6</DelPartyItems>",
            ChangeKind::TagMembersChanged,
        ),
    ];
    let replay = ReplayGuard::new();
    for (i, (rest, kind)) in cases.into_iter().enumerate() {
        let msg = format!(
            "<xml><ToUserName>{OFFICIAL_CORP}</ToUserName><FromUserName>sys</FromUserName><CreateTime>1700000000</CreateTime>\
             <MsgType>event</MsgType><Event>change_contact</Event>{rest}</xml>"
        );
        let request = signed_post(&msg, OFFICIAL_CORP, 1700000000, &i.to_string());
        let reply = handle(&official(), &request, 1700000000, &replay).expect("accepted");
        assert_eq!(reply.kind, CallbackKind::ContactChange);
        assert_eq!(reply.change.map(|c| c.kind), ROption::RSome(kind));
    }
}

#[test]
fn replay_guard_is_bounded() {
    let guard = ReplayGuard::with_capacity(3);
    for (i, sig) in ["a", "b", "c", "d"].into_iter().enumerate() {
        assert!(guard.first_delivery(sig, 1000 + i as i64, 1000));
    }
    assert_eq!(guard.len(), 3);
    // "a" was evicted by capacity; "d" is remembered (case-insensitively).
    assert!(!guard.first_delivery("D", 1003, 1000));
    assert!(guard.first_delivery("a", 1000, 1000));
    // Entries older than the window are forgotten: they could not pass the freshness check.
    assert!(guard.first_delivery("z", 2000, 2000));
    assert_eq!(guard.len(), 1);
}

#[test]
fn hostile_inputs_never_panic() {
    let config = official();
    let replay = ReplayGuard::with_capacity(16);
    let mut rng = fastrand::Rng::with_seed(0x5eed);
    let valid_query = "msg_signature=d401266b317d97ead229b8566c650485cc775fe4&timestamp=1700000000&nonce=1234567890";
    let valid_body = envelope(VECTOR_11_4_ENCRYPT);
    let alphabet: Vec<char> = "<>/=&%+?![]CDATAxml 0123456789abcdefABCDEF\u{0}\u{feff}张\n".chars().collect();
    for round in 0..400 {
        let mut random = |max: usize| -> String {
            let len = rng.usize(..max);
            (0..len).map(|_| alphabet[rng.usize(..alphabet.len())]).collect()
        };
        let query = if round % 2 == 0 { random(200) } else { valid_query[..round % valid_query.len()].to_string() };
        let body = if round % 3 == 0 { random(400) } else { valid_body[..(round * 7) % valid_body.len()].to_string() };
        let method = if round % 5 == 0 { "GET" } else { "POST" };
        let request = CallbackRequest {
            method: method.into(),
            query: query.into(),
            body: body.into(),
            now_unix: 0,
            ext: Default::default(),
        };
        let _ = handle(&config, &request, 1700000000, &replay);
    }
    // Truncated and bit-flipped ciphertexts, signed so that they reach decryption.
    for cut in (0..VECTOR_11_4_ENCRYPT.len()).step_by(13) {
        let _ = handle(&config, &signed_post_raw(&VECTOR_11_4_ENCRYPT[..cut], 1700000000, "9"), 1700000000, &replay);
    }
    let raw = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, VECTOR_11_4_ENCRYPT).expect("b64");
    for i in (0..raw.len()).step_by(7) {
        let mut flipped = raw.clone();
        flipped[i] ^= 0x5a;
        let encoded = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &flipped);
        let _ = handle(&config, &signed_post_raw(&encoded, 1700000000, "9"), 1700000000, &replay);
    }
}
