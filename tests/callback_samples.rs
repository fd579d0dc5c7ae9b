//! WeCom's own sample vectors (wecom-api.md §11) through `host-sim callback`'s library function,
//! i.e. through the loaded plugin's `handle_callback`: URL verification, a POST message, the
//! change_contact vector, and the ways they must fail (stale timestamp, wrong nonce, wrong corp).

use crate::util;
use host_sim::cli::callback::{callback, CallbackArgs, CallbackOutcome};
use host_sim::cli::session::WecomArgs;
use host_sim::render::table::Lang;
use interface::{CallbackKind, ChangeKind};

const OFFICIAL_TOKEN: &str = "QDG6eK";
const OFFICIAL_KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
const OFFICIAL_CORP: &str = "wx5823bf96d3bd56c7";

fn sample_args(signature: &str, timestamp: &str, nonce: &str) -> CallbackArgs {
    CallbackArgs {
        wecom: WecomArgs {
            plugin: Some(util::plugin_path()),
            corp_id: Some(OFFICIAL_CORP.into()),
            ..Default::default()
        },
        token: OFFICIAL_TOKEN.into(),
        aes_key: OFFICIAL_KEY.into(),
        msg_signature: signature.into(),
        timestamp: timestamp.into(),
        nonce: nonce.into(),
        echostr: None,
        body: None,
        now: timestamp.parse().ok(),
        lang: Lang::En,
        json: false,
    }
}

fn run_callback(args: &CallbackArgs) -> (CallbackOutcome, String) {
    let mut out = Vec::new();
    let outcome = callback(args, &mut out).unwrap_or_else(|e| panic!("host-sim callback failed: {e:#}"));
    (outcome, String::from_utf8(out).expect("utf-8"))
}

fn body_file(name: &str, content: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("wecom-callback-{}-{name}.xml", std::process::id()));
    std::fs::write(&path, content).expect("write body");
    path
}

#[test]
fn the_official_samples_pass_through_host_sim_callback() {
    // §11.1 (a): URL verification.
    let mut args = sample_args("5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "1409659589", "263014780");
    args.echostr =
        Some("P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==".into());
    let (outcome, text) = run_callback(&args);
    match outcome {
        CallbackOutcome::Reply(reply) => {
            assert_eq!((reply.kind, reply.body.as_str()), (CallbackKind::UrlVerification, "1616140317555161061"))
        }
        other => panic!("{other:?}\n{text}"),
    }
    assert!(text.contains("1616140317555161061"), "{text}");

    // Without --now, the sample's 2014 timestamp is stale.
    let (outcome, text) = run_callback(&CallbackArgs { now: None, ..args.clone() });
    assert!(matches!(&outcome, CallbackOutcome::Refused(e) if e.code.as_str() == "callback.stale_timestamp"), "{text}");

    assert!(!format!("{args:?}").contains(OFFICIAL_KEY), "Debug masks the key");

    // §11.1 (b): a valid POST of a text message: decrypted, acknowledged, not a contact change.
    let encrypt = "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==";
    let body = format!(
        "<xml><ToUserName><![CDATA[{OFFICIAL_CORP}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>"
    );
    let mut args = sample_args("477715d11cdb4164915debcba66cb864d751f3e6", "1409659813", "1372623149");
    args.body = Some(body_file("official", &body));
    let (outcome, text) = run_callback(&args);
    assert!(matches!(&outcome, CallbackOutcome::Reply(r) if r.kind == CallbackKind::OtherEvent), "{outcome:?}\n{text}");

    // §11.4: a change_contact event with a changed userid.
    let encrypt = "sKqRbbiSUnDhFHOvPjtUMU7PQ9TlPGz58MfN2PRnefTgAiGuZs4K+bohrAgEHdk1CQhY5d8TEw85qKjAb/YbjTQsodp2qQcoJTjWkcD0nAIXApP4lrR5nOkRrS+ceEr8QX6CeoFFXLEaRYt/OkXLYWTjYA0EbcHzUv3KM2825XqgL5PWIHUwB07RkMrQe979LkgOQrBqsU7sOkLb2BPA8BXGN+jZEjZekjc2Y8f3XC7ZS5t8KEOx7I68o0/XrmdG+SRptZnRGWjt+b9uewtJwcE0LIzYqgYI/SEJrONYg7RVFgRk1FVU+Ux4ZK0cUDaThQOFividxBSzINt3mdDBfRNVq4Z7CaiNuA2mdOvmGj+kAGOeB9sgb3D0xiUX24W1JfVSdQ7vdlLCqlCTqqTRNqMKob8axciS0mkoqVgEAPtp0DLeudgO57SEYY3Cg++uNe4Fkqjb9xs7WMG8lui5GLA/wlDYZ7CeTco0qDSKfT3i2MVoyeEIysZ3Uru9uUbiLHNHxOoxsTZdPUzLe6fjhn2d8CZVXrLM9zJuzcQoiKdkD6Zto0SUIopAyuu/Yl1d9SMPOiczmkNmNWX0koQd6w==";
    let body = format!(
        "<xml><ToUserName><![CDATA[{OFFICIAL_CORP}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    );
    let mut args = sample_args("d401266b317d97ead229b8566c650485cc775fe4", "1700000000", "1234567890");
    args.body = Some(body_file("change", &body));
    args.json = true;
    let (outcome, text) = run_callback(&args);
    let CallbackOutcome::Reply(reply) = outcome else { panic!("{text}") };
    let change = reply.change.into_option().expect("a change");
    assert_eq!(change.kind, ChangeKind::MemberUpdated);
    assert_eq!((change.userid.as_str(), change.new_userid.as_str()), ("zhangsan", "zhangsan001"));
    let json: serde_json::Value = serde_json::from_str(&text).expect("--json prints JSON");
    assert_eq!(json["reply"]["change"]["new_userid"], "zhangsan001");

    // The same request with one digit of the nonce changed: refused, as the samples require.
    let mut args = sample_args("d401266b317d97ead229b8566c650485cc775fe4", "1700000000", "1234567891");
    args.body = Some(body_file("change", &body));
    let (outcome, text) = run_callback(&args);
    assert!(
        matches!(&outcome, CallbackOutcome::Refused(e) if e.code.as_str() == "callback.signature_mismatch"),
        "{text}"
    );
    assert!(!text.contains(OFFICIAL_KEY) && !text.contains(OFFICIAL_TOKEN), "no secret in the output: {text}");

    // §11.2 (a): wechatpy's verification vector (another corp).
    let mut args = sample_args("dd6b9c95b495b3f7e2901bfbc76c664930ffdb96", "1411443780", "437374425");
    args.token = "123456".into();
    args.aes_key = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR".into();
    args.wecom.corp_id = Some("wx49f0ab532d5d035a".into());
    args.echostr =
        Some("4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q==".into());
    let (outcome, text) = run_callback(&args);
    assert!(matches!(&outcome, CallbackOutcome::Reply(r) if r.body.as_str() == "5927782489442352469"), "{text}");

    // The official vector checked against the wrong corp: the receiver id does not match.
    let mut args = sample_args("5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "1409659589", "263014780");
    args.wecom.corp_id = Some("ww8f3a1c2d4e5b6a70".into());
    args.echostr =
        Some("P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==".into());
    let (outcome, text) = run_callback(&args);
    assert!(
        matches!(&outcome, CallbackOutcome::Refused(e) if e.code.as_str() == "callback.receiver_mismatch"),
        "{text}"
    );

    // A malformed EncodingAESKey (42 characters): the configuration names it, nothing is decrypted.
    let mut args = sample_args("5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "1409659589", "263014780");
    args.aes_key = OFFICIAL_KEY[..42].into();
    args.echostr =
        Some("P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==".into());
    let (outcome, text) = run_callback(&args);
    assert!(matches!(outcome, CallbackOutcome::NotConfigured), "{outcome:?}\n{text}");
    assert!(text.contains("callback_aes_key") && text.contains("43"), "{text}");
    assert!(!text.contains(&OFFICIAL_KEY[..42]), "the key is not echoed: {text}");
}
