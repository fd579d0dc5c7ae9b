//! Property tests of the pre-network configuration checks (issue 8): whatever an admin pastes,
//! cleaning and validation never panic, and every value ends up either clean or as a field error
//! with a readable message in both languages that names the right field and never quotes a
//! secret.
//!
//! CI case counts: 512 for the pure paste functions, 256 for whole settings, 64 for building the
//! client from arbitrary base and proxy URLs (each builds a TLS client). `PROPTEST_CASES`
//! overrides all of them (see `proptest_support`).

use super::checks::clean_settings;
use super::paste::{self, Malformed};
use crate::callback::crypto::{check_encoding_aes_key, check_token};
use crate::proptest_support::{config, is_clear_text, nasty_string, pasted};
use crate::wecom::{self, Client, ClientConfig, Secret, WecomError};
use interface::{ConnectionSettings, Finding, FindingStatus, SecretString};
use proptest::prelude::*;
use std::collections::BTreeSet;
use url::Url;

const FIELDS: [&str; 10] = [
    "corp_id",
    "agent_id",
    "secret",
    "homepage_url",
    "redirect_url",
    "callback_url",
    "callback_token",
    "callback_aes_key",
    "api_base_url",
    "proxy_url",
];

fn corp_id() -> impl Strategy<Value = String> {
    prop_oneof![pasted("w[wx][0-9a-f]{16}".boxed()), pasted("[A-Za-z0-9]{1,30}".boxed()), nasty_string()]
}

fn agent_id() -> impl Strategy<Value = String> {
    prop_oneof![
        pasted("[1-9][0-9]{0,9}".boxed()),
        pasted("[0-9]{1,25}".boxed()),
        pasted("[-+]?[0-9]{1,5}".boxed()),
        nasty_string()
    ]
}

fn secret() -> impl Strategy<Value = String> {
    prop_oneof![pasted("[A-Za-z0-9_-]{8,64}".boxed()), nasty_string()]
}

fn url_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        pasted("https?://[a-z0-9.-]{1,20}(:[0-9]{1,6})?(/[a-z0-9/?=&#%.-]{0,20})?".boxed()),
        pasted("[a-z]{2,8}:[!-~]{0,24}".boxed()),
        nasty_string()
    ]
}

fn callback_token() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), pasted("[A-Za-z0-9]{1,40}".boxed()), nasty_string()]
}

fn callback_key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        pasted("[A-Za-z0-9+/]{43}".boxed()),
        pasted("[A-Za-z0-9+/=_-]{40,46}".boxed()),
        nasty_string()
    ]
}

fn settings() -> impl Strategy<Value = ConnectionSettings> {
    (
        corp_id(),
        agent_id(),
        secret(),
        url_value(),
        url_value(),
        url_value(),
        url_value(),
        url_value(),
        any::<bool>(),
        callback_token(),
        callback_key(),
    )
        .prop_map(|(corp, agent, secret, api, home, redirect, callback, proxy, plain, token, key)| {
            ConnectionSettings {
                corp_id: corp.into(),
                agent_id: agent.into(),
                secret: SecretString::new(secret),
                api_base_url: api.into(),
                homepage_url: home.into(),
                redirect_url: redirect.into(),
                callback_url: callback.into(),
                proxy_url: proxy.into(),
                allow_plain_http: plain,
                callback_token: SecretString::new(token),
                callback_aes_key: SecretString::new(key),
                ..Default::default()
            }
        })
}

/// The fields an independent reading of the rules says are wrong.
fn expected_invalid(raw: &ConnectionSettings) -> BTreeSet<&'static str> {
    let cleaned = |s: &str| paste::clean(s).value;
    let mut bad = BTreeSet::new();
    if paste::check_corp_id(&cleaned(raw.corp_id.as_str())).is_err() {
        bad.insert("corp_id");
    }
    if paste::parse_agent_id(&cleaned(raw.agent_id.as_str())).is_err() {
        bad.insert("agent_id");
    }
    if paste::check_secret(&cleaned(raw.secret.expose())).is_err() {
        bad.insert("secret");
    }
    for (field, value) in [
        ("homepage_url", raw.homepage_url.as_str()),
        ("redirect_url", raw.redirect_url.as_str()),
        ("callback_url", raw.callback_url.as_str()),
    ] {
        let value = cleaned(value);
        let usable = Url::parse(&value)
            .map(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .unwrap_or(false);
        if !value.is_empty() && !usable {
            bad.insert(field);
        }
    }
    let token = cleaned(raw.callback_token.expose());
    let key = cleaned(raw.callback_aes_key.expose());
    if !(token.is_empty() && key.is_empty()) {
        if key.is_empty() || check_encoding_aes_key(&key).is_err() {
            bad.insert("callback_aes_key");
        }
        if token.is_empty() || check_token(&token).is_err() {
            bad.insert("callback_token");
        }
    }
    bad
}

fn texts(f: &Finding) -> [&str; 4] {
    [f.message.zh.as_str(), f.message.en.as_str(), f.fix.zh.as_str(), f.fix.en.as_str()]
}

fn no_edge_whitespace(value: &str) -> bool {
    value.trim() == value && !value.starts_with('\u{3000}') && !value.ends_with('\u{3000}')
}

fn check_whole_settings(raw: &ConnectionSettings) -> Result<(), TestCaseError> {
    let mut findings = Vec::new();
    let clean = clean_settings(raw, crate::configure::Credentials::Required, &mut findings);
    let expected = expected_invalid(raw);

    let error_fields: BTreeSet<&str> = findings
        .iter()
        .filter(|f| f.status == FindingStatus::Error)
        .filter_map(|f| f.field.as_ref().map(|s| s.as_str()).into_option())
        .collect();
    prop_assert_eq!(&error_fields, &expected, "errors name exactly the wrong fields");
    prop_assert_eq!(clean.is_some(), expected.is_empty(), "accepted iff nothing is wrong");

    for f in &findings {
        let field = f.field.as_ref().map(|s| s.as_str()).into_option();
        prop_assert!(field.is_some_and(|name| FIELDS.contains(&name)), "finding without a known field: {f:?}");
        prop_assert!(!f.code.is_empty() && !f.message.zh.is_empty() && !f.message.en.is_empty(), "{f:?}");
        if f.status == FindingStatus::Error {
            prop_assert!(!f.fix.zh.is_empty() && !f.fix.en.is_empty(), "an error says what to do: {f:?}");
        }
        for text in texts(f) {
            prop_assert!(is_clear_text(text), "control or invisible character in {text:?}");
            prop_assert!(text.chars().count() < 1_000, "message of {} characters", text.chars().count());
        }
    }
    for (field, value) in [
        ("corp_id", raw.corp_id.as_str()),
        ("agent_id", raw.agent_id.as_str()),
        ("secret", raw.secret.expose()),
        ("callback_token", raw.callback_token.expose()),
        ("callback_aes_key", raw.callback_aes_key.expose()),
    ] {
        let noticed = findings.iter().any(|f| {
            f.status == FindingStatus::Notice && f.field.as_ref().map(|s| s.as_str()).into_option() == Some(field)
        });
        prop_assert_eq!(noticed, paste::clean(value).changed, "cleaning of {} reported", field);
    }

    // Secrets: neither as pasted nor as cleaned in any finding or Debug output. Short values are
    // skipped (a 3-letter secret may well be a word of a message).
    let shown: Vec<String> = findings.iter().flat_map(|f| texts(f).map(str::to_string)).collect();
    let debug = clean.as_ref().map(|c| format!("{c:?}")).unwrap_or_default();
    for secret in [raw.secret.expose(), raw.callback_token.expose(), raw.callback_aes_key.expose()] {
        for form in [secret.to_string(), paste::clean(secret).value] {
            if form.chars().count() >= 8 {
                prop_assert!(!shown.iter().any(|t| t.contains(&form)), "secret in a finding");
                prop_assert!(!debug.contains(&form), "secret in Debug");
            }
        }
    }

    if let Some(c) = clean {
        prop_assert!(paste::check_corp_id(&c.corp_id).is_ok());
        prop_assert!(c.agent_id > 0);
        prop_assert!(paste::check_secret(c.secret.expose()).is_ok());
        prop_assert!(!c.api_base_url.is_empty() && no_edge_whitespace(&c.api_base_url));
        if let Some(proxy) = &c.proxy_url {
            prop_assert!(!proxy.is_empty() && no_edge_whitespace(proxy));
        }
        for url in [&c.homepage_url, &c.redirect_url, &c.callback_url].into_iter().flatten() {
            prop_assert!(matches!(url.scheme(), "http" | "https") && url.host_str().is_some());
        }
        prop_assert_eq!(c.callback_token.is_some(), c.callback_aes_key.is_some());
        if let (Some(t), Some(k)) = (&c.callback_token, &c.callback_aes_key) {
            prop_assert!(check_token(t.expose()).is_ok() && check_encoding_aes_key(k.expose()).is_ok());
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn proptest_cleaning_is_idempotent_and_trims(raw in nasty_string()) {
        let once = paste::clean(&raw);
        let twice = paste::clean(&once.value);
        prop_assert_eq!(&twice.value, &once.value);
        prop_assert!(!twice.changed);
        prop_assert_eq!(once.changed, once.value != raw);
        prop_assert!(no_edge_whitespace(&once.value), "{:?}", once.value);
        let removed = ['\n', '\r', '\u{200B}', '\u{200C}', '\u{200D}', '\u{200E}', '\u{200F}', '\u{202E}', '\u{2060}', '\u{2067}', '\u{AD}', '\u{FEFF}'];
        prop_assert!(!once.value.contains(removed), "line break or zero-width character left");
        prop_assert!(once.value.len() <= raw.len());
    }

    #[test]
    fn proptest_format_checks_never_panic_and_agree(raw in nasty_string()) {
        let value = paste::clean(&raw).value;
        let corp = paste::check_corp_id(&value);
        prop_assert_eq!(corp.is_ok(), !value.is_empty() && value.chars().all(|c| c.is_ascii_alphanumeric()));
        let secret = paste::check_secret(&value);
        prop_assert_eq!(
            secret.is_ok(),
            !value.is_empty() && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        match paste::parse_agent_id(&value) {
            Ok(n) => prop_assert!(n > 0 && value.parse::<i64>() == Ok(n)),
            Err(m) => prop_assert!(matches!(m, Malformed::Empty | Malformed::InnerSpace | Malformed::NotANumber)),
        }
        if let Err(Malformed::BadCharacter(c)) = corp {
            prop_assert!(value.contains(c) && !c.is_ascii_alphanumeric());
        }
        let _ = (check_token(&value), check_encoding_aes_key(&value));
    }

    #[test]
    fn proptest_base_url_validation_never_panics(raw in url_value(), plain in any::<bool>()) {
        match wecom::validate_base_url(&raw, plain) {
            Ok(url) => {
                prop_assert!(matches!(url.scheme(), "http" | "https") && url.host().is_some());
                prop_assert!(url.query().is_none() && url.fragment().is_none() && url.username().is_empty());
                prop_assert!(!url.path().ends_with("/cgi-bin"));
            }
            Err(e) => prop_assert!(
                matches!(e, WecomError::InvalidBaseUrl { .. } | WecomError::InsecureBaseUrl { .. }),
                "{:?}",
                e
            ),
        }
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn proptest_settings_are_clean_or_named_field_errors(raw in settings()) {
        check_whole_settings(&raw)?;
    }
}

proptest! {
    #![proptest_config(config(64))]

    /// Building the client is the last check before the network: arbitrary base and proxy URLs
    /// are refused with the typed error, and a proxy password never shows in it.
    #[test]
    fn proptest_client_construction_never_panics(
        base in url_value(),
        proxy in prop_oneof![Just(None), url_value().prop_map(Some), "http://u:hunter2pw@[a-z.]{1,12}(:[0-9]{1,6})?".prop_map(Some)],
        plain in any::<bool>(),
    ) {
        let cfg = ClientConfig { base_url: base, proxy_url: proxy, allow_plain_http: plain, ..ClientConfig::new("ww1", 1, Secret::new("THE-SECRET-VALUE")) };
        if let Err(e) = Client::new(cfg) {
            let text = format!("{e} {e:?}");
            prop_assert!(!text.contains("hunter2pw") && !text.contains("THE-SECRET-VALUE"), "{}", text);
            prop_assert!(matches!(
                e,
                WecomError::InvalidBaseUrl { .. } | WecomError::InsecureBaseUrl { .. } | WecomError::InvalidProxyUrl { .. }
            ), "{:?}", e);
        }
    }
}

/// Regression cases the properties found: invisible characters in a pasted value are named, not
/// printed raw.
#[test]
fn invisible_bad_characters_are_shown_escaped() {
    let raw = ConnectionSettings {
        corp_id: "ww12\u{7F}34".into(),
        agent_id: "1000002".into(),
        secret: "abc\u{1B}[2Kdef".into(),
        redirect_url: "https://x\u{7}y/".into(),
        ..ConnectionSettings::default()
    };
    let mut findings = Vec::new();
    assert!(clean_settings(&raw, crate::configure::Credentials::Required, &mut findings).is_none());
    for f in &findings {
        for text in texts(f) {
            assert!(is_clear_text(text), "{text:?}");
        }
    }
    let corp = findings.iter().find(|f| f.field.as_ref().map(|s| s.as_str()).into_option() == Some("corp_id"));
    assert!(corp.is_some_and(|f| f.message.en.contains("\\u{007F}")), "{findings:?}");
}
