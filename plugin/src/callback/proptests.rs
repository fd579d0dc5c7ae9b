//! Property tests of the callback path (issue 8): signature, base64, AES-CBC, WeCom's 32-byte
//! PKCS#7, the length prefix, the receiver id and the event XML, each fed arbitrary input, and
//! `handle` fed arbitrary requests, including signed ones whose ciphertext decrypts to arbitrary
//! plaintext (so that every check after the signature is reached). Nothing panics; every failure
//! is a `CryptoError` / `XmlError` / `callback.*` error whose message is non-empty, bounded and
//! readable; encrypt then decrypt gives back the message and receiver id.
//!
//! CI case counts: 256 per property. `PROPTEST_CASES` overrides them (see `proptest_support`).

use super::crypto::{self, check_encoding_aes_key, AesKey, CryptoError};
use super::event::{envelope_encrypt, parse_event, top_level_fields, Parsed, XmlError};
use super::{handle, CallbackConfig, ReplayGuard};
use crate::proptest_support::{config, is_clear_text, nasty_char, nasty_string};
use aes::cipher::{BlockEncryptMut, KeyIvInit};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use interface::{CallbackKind, CallbackReply, CallbackRequest, ChangeKind, PluginError};
use proptest::prelude::*;

const TOKEN: &str = "QDG6eK";
const KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
const CORP: &str = "wx5823bf96d3bd56c7";
const NOW: i64 = 1_700_000_000;

const CODES: [&str; 9] = [
    "callback.bad_request",
    "callback.signature_mismatch",
    "callback.stale_timestamp",
    "callback.bad_base64",
    "callback.bad_padding",
    "callback.decrypt_failed",
    "callback.receiver_mismatch",
    "callback.bad_xml",
    "callback.not_configured",
];

fn key() -> AesKey {
    AesKey::from_encoding_aes_key(KEY).expect("the official key")
}

fn encoding_aes_key() -> impl Strategy<Value = String> {
    "[A-Za-z0-9+/]{43}"
}

/// AES-256-CBC over a buffer already a whole number of blocks, as WeCom does, without adding
/// padding: the plaintext is the test's to shape.
fn raw_encrypt(key: &AesKey, mut buf: Vec<u8>) -> String {
    let mut cipher = cbc::Encryptor::<aes::Aes256>::new_from_slices(key.bytes(), &key.bytes()[..16]).expect("key");
    for block in buf.chunks_exact_mut(16) {
        cipher.encrypt_block_mut(block.into());
    }
    STANDARD.encode(buf)
}

fn pad32(mut buf: Vec<u8>) -> Vec<u8> {
    let pad = 32 - buf.len() % 32;
    buf.resize(buf.len() + pad, pad as u8);
    buf
}

/// A POST carrying `encrypted`, correctly signed and fresh, so that it reaches decryption.
fn signed_post(encrypted: &str, nonce: &str) -> CallbackRequest {
    let ts = NOW.to_string();
    let sig = crypto::signature(TOKEN, &ts, nonce, encrypted);
    let body =
        format!("<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>");
    CallbackRequest {
        method: "POST".into(),
        query: format!("msg_signature={sig}&timestamp={ts}&nonce={nonce}").into(),
        body: body.into(),
        now_unix: NOW,
        ext: Default::default(),
    }
}

fn official() -> CallbackConfig {
    CallbackConfig::new(TOKEN, KEY, CORP).expect("config")
}

/// The checks every outcome of `handle` must pass.
fn check_outcome(result: &Result<CallbackReply, PluginError>) -> Result<(), TestCaseError> {
    match result {
        Ok(reply) => {
            prop_assert_eq!(reply.status, 200);
            prop_assert_eq!(reply.change.is_some(), reply.kind == CallbackKind::ContactChange);
        }
        Err(e) => {
            prop_assert!(CODES.contains(&e.code.as_str()), "unknown code {}", e.code);
            prop_assert!(e.field.is_some(), "{e:?}");
            for text in [&e.message.zh, &e.message.en, &e.fix.zh, &e.fix.en] {
                prop_assert!(!text.is_empty(), "{e:?}");
                prop_assert!(is_clear_text(text), "control or invisible character in {text:?}");
                prop_assert!(text.chars().count() < 1_000, "message of {} characters", text.chars().count());
            }
            for secret in [TOKEN, KEY] {
                let debug = format!("{e:?}");
                prop_assert!(!debug.contains(secret), "a secret in the error");
            }
        }
    }
    Ok(())
}

fn check_xml_result(result: &Result<Parsed, XmlError>) -> Result<(), TestCaseError> {
    match result {
        Ok(Parsed::Change(c)) => {
            prop_assert!(!c.change_type.is_empty() && !c.dedup_key.is_empty());
            match c.kind {
                ChangeKind::MemberCreated | ChangeKind::MemberUpdated | ChangeKind::MemberDeleted => {
                    prop_assert!(!c.userid.is_empty())
                }
                _ => {}
            }
        }
        Ok(Parsed::Other) => {}
        Err(e) => {
            let (zh, en) = e.describe();
            for text in [&zh, &en] {
                prop_assert!(!text.is_empty() && text.chars().count() < 400, "{text:?}");
                prop_assert!(is_clear_text(text), "control or invisible character in {text:?}");
            }
        }
    }
    Ok(())
}

/// Pieces XML is made of, hostile ones included (entities, DOCTYPE, processing instructions).
fn xml_token() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "<xml>", "</xml>", "<", ">", "</", "/>", "<![CDATA[", "]]>", "&amp;", "&lt;", "&#x5F20;", "&#0;",
            "&#xD800;", "&#99999999;", "&bogus;", "&", "<?xml version=\"1.0\"?>", "<!DOCTYPE x [<!ENTITY e \"v\">]>",
            "&e;", "<!-- c -->", "<MsgType>", "</MsgType>", "event", "<Event>", "</Event>", "change_contact",
            "<ChangeType>", "</ChangeType>", "update_user", "create_party", "update_tag", "<UserID>", "</UserID>",
            "<Id>", "</Id>", "<TagId>", "</TagId>", "<Department>", "</Department>", "1,2,x", "<Encrypt>",
            "</Encrypt>", "<a b=\"c\">", "<a b='", "=", "\"", "'",
        ])
        .prop_map(str::to_string),
        2 => nasty_char().prop_map(String::from),
        1 => "[0-9,-]{1,12}",
    ]
}

fn xml_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(xml_token(), 0..64).prop_map(|t| t.concat())
}

/// Well-formed events of every kind the plugin reads.
fn event_samples() -> Vec<String> {
    let wrap = |change: &str, rest: &str| {
        format!(
            "<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>\
             <CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]></MsgType>\
             <Event><![CDATA[change_contact]]></Event><ChangeType>{change}</ChangeType>{rest}</xml>"
        )
    };
    vec![
        wrap("create_user", "<UserID><![CDATA[wangwu]]></UserID><Name>王五 &amp; Co</Name><Department>1,2</Department><Status>4</Status><ExtAttr><Item><Name>爱好</Name></Item></ExtAttr>"),
        wrap("update_user", "<UserID>zhangsan</UserID><NewUserID>zhangsan001</NewUserID><Department><![CDATA[1,2,3]]></Department><Status>1</Status>"),
        wrap("delete_user", "<UserID>lisi</UserID>"),
        wrap("create_party", "<Id>2</Id><Name><![CDATA[研发部]]></Name><ParentId>1</ParentId><Order>100000000</Order>"),
        wrap("update_party", "<Id>2</Id><Name>x</Name>"),
        wrap("delete_party", "<Id>2</Id>"),
        wrap("update_tag", "<TagId>1</TagId><AddUserItems>a,b</AddUserItems><DelUserItems>c</DelUserItems><AddPartyItems>1,2</AddPartyItems><DelPartyItems>3</DelPartyItems>"),
        "<xml><ToUserName><![CDATA[wx]]></ToUserName><MsgType><![CDATA[text]]></MsgType><Content>hi</Content></xml>".to_string(),
    ]
}

#[derive(Debug, Clone)]
enum Edit {
    Delete(prop::sample::Index, usize),
    Insert(prop::sample::Index, String),
    Duplicate(prop::sample::Index, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<prop::sample::Index>(), 1usize..24).prop_map(|(at, n)| Edit::Delete(at, n)),
        (any::<prop::sample::Index>(), prop_oneof![xml_token(), nasty_string()])
            .prop_map(|(at, s)| Edit::Insert(at, s)),
        (any::<prop::sample::Index>(), 1usize..40).prop_map(|(at, n)| Edit::Duplicate(at, n)),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for e in edits {
        let len = chars.len();
        match e {
            Edit::Delete(at, n) if len > 0 => {
                let i = at.index(len);
                chars.drain(i..(i + n).min(len));
            }
            Edit::Insert(at, s) => {
                let i = at.index(len + 1);
                chars.splice(i..i, s.chars());
            }
            Edit::Duplicate(at, n) if len > 0 => {
                let i = at.index(len);
                let piece: Vec<char> = chars[i..(i + n).min(len)].to_vec();
                chars.splice(i..i, piece);
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn proptest_round_trip(
        encoding_key in encoding_aes_key(),
        random in any::<[u8; 16]>(),
        msg in prop_oneof![nasty_string(), prop::sample::select(event_samples())],
        receive_id in prop_oneof![Just(CORP.to_string()), nasty_string()],
    ) {
        let key = AesKey::from_encoding_aes_key(&encoding_key).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        let encrypted = crypto::encrypt(&key, &random, &msg, &receive_id).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        let d = crypto::decrypt(&key, &encrypted).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        prop_assert_eq!(d.random, random);
        prop_assert_eq!(&d.msg, &msg);
        prop_assert_eq!(&d.receive_id, receive_id.as_bytes());
    }

    #[test]
    fn proptest_keys_and_tokens_never_panic(value in prop_oneof![encoding_aes_key(), nasty_string(), "[A-Za-z0-9+/=_-]{40,46}"]) {
        let format_ok = check_encoding_aes_key(&value).is_ok();
        prop_assert_eq!(format_ok, value.len() == 43 && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/'));
        let derived = AesKey::from_encoding_aes_key(&value);
        prop_assert_eq!(derived.is_ok(), format_ok);
        if let Err(e) = derived {
            prop_assert_eq!(e, CryptoError::IllegalKey);
        }
        let _ = crypto::check_token(&value);
        let built = CallbackConfig::new(&value, &value, CORP);
        if let Err(e) = built {
            let debug = format!("{e:?}");
            prop_assert_eq!(e.code.as_str(), "callback.not_configured");
            prop_assert!(value.chars().count() < 8 || !debug.contains(&value), "the key was quoted");
        }
    }

    #[test]
    fn proptest_arbitrary_ciphertext_is_a_crypto_error(
        text in prop_oneof![
            nasty_string(),
            "[A-Za-z0-9+/=]{0,200}",
            prop::collection::vec(any::<u8>(), 0..300).prop_map(|b| STANDARD.encode(b)),
        ],
    ) {
        match crypto::decrypt(&key(), &text) {
            Ok(d) => prop_assert!(d.msg.len() + d.receive_id.len() + 20 <= text.len()),
            Err(e) => prop_assert!(matches!(
                e,
                CryptoError::BadBase64 | CryptoError::BadLength | CryptoError::BadPadding | CryptoError::IllegalBuffer
            )),
        }
    }

    /// Plaintexts shaped by hand: any random prefix, any declared length (bigger than the buffer
    /// included), any message bytes (not UTF-8 included), any trailing receiver id.
    #[test]
    fn proptest_decrypted_buffers_are_checked(
        random in any::<[u8; 16]>(),
        declared in prop_oneof![any::<u32>(), 0u32..64, Just(u32::MAX)],
        body in prop::collection::vec(any::<u8>(), 0..96),
        bad_pad in prop::option::of((any::<u8>(), any::<prop::sample::Index>())),
    ) {
        let mut plain = random.to_vec();
        plain.extend_from_slice(&declared.to_be_bytes());
        plain.extend_from_slice(&body);
        let mut buf = pad32(plain);
        if let Some((byte, at)) = bad_pad {
            let i = at.index(buf.len());
            buf[i] = byte;
        }
        let tampered = bad_pad.is_some();
        let result = crypto::decrypt(&key(), &raw_encrypt(&key(), buf));
        let declared = declared as usize;
        match result {
            Ok(d) => {
                prop_assert!(declared <= body.len() || tampered);
                if !tampered {
                    prop_assert_eq!(d.random, random);
                    prop_assert_eq!(d.msg.as_bytes(), &body[..declared]);
                    prop_assert_eq!(&d.receive_id[..], &body[declared..]);
                }
            }
            Err(e) => {
                if !tampered {
                    prop_assert_eq!(e, CryptoError::IllegalBuffer);
                    prop_assert!(declared > body.len() || std::str::from_utf8(&body[..declared]).is_err());
                }
            }
        }
    }

    #[test]
    fn proptest_signature_checks(parts in prop::collection::vec(nasty_string(), 4), tweak in any::<prop::sample::Index>()) {
        let sig = crypto::signature(&parts[0], &parts[1], &parts[2], &parts[3]);
        prop_assert_eq!(sig.len(), 40);
        prop_assert!(crypto::verify_signature(&parts[0], &parts[1], &parts[2], &parts[3], &sig));
        prop_assert!(crypto::verify_signature(&parts[0], &parts[1], &parts[2], &parts[3], &sig.to_ascii_uppercase()));
        let mut wrong: Vec<char> = sig.chars().collect();
        let i = tweak.index(wrong.len());
        wrong[i] = if wrong[i] == '0' { '1' } else { '0' };
        let wrong: String = wrong.into_iter().collect();
        prop_assert!(!crypto::verify_signature(&parts[0], &parts[1], &parts[2], &parts[3], &wrong));
        prop_assert!(
            !crypto::verify_signature(&parts[0], &parts[1], &parts[2], &parts[3], &parts[3])
                || parts[3].to_ascii_lowercase() == sig
        );
    }

    #[test]
    fn proptest_arbitrary_xml_is_an_xml_error(xml in prop_oneof![xml_soup(), nasty_string()]) {
        check_xml_result(&parse_event(&xml))?;
        let _ = top_level_fields(&xml);
        match envelope_encrypt(&xml) {
            Ok(Some(v)) => prop_assert!(!v.is_empty()),
            Ok(None) => {}
            Err(e) => check_xml_result(&Err(e))?,
        }
    }

    #[test]
    fn proptest_mutated_events_are_read_or_refused(
        sample in prop::sample::select(event_samples()),
        edits in prop::collection::vec(edit(), 1..4),
    ) {
        let xml = apply(&sample, &edits);
        check_xml_result(&parse_event(&xml))?;
    }

    /// Arbitrary requests: method, query (percent-encoding of non-UTF-8 included) and body.
    #[test]
    fn proptest_arbitrary_requests_are_refused_cleanly(
        method in prop_oneof![Just("POST".to_string()), Just("GET".to_string()), nasty_string()],
        query in prop_oneof![
            nasty_string(),
            "(msg_signature|timestamp|nonce|echostr|x)=([0-9a-f]{0,40}|%[0-9A-Fa-f]{2}|%|[-+]?[0-9]{1,25})(&(msg_signature|timestamp|nonce|echostr)=[%0-9a-zA-Z+/=]{0,30}){0,5}",
        ],
        body in prop_oneof![nasty_string(), xml_soup()],
        now in prop_oneof![Just(NOW), any::<i64>()],
    ) {
        let request = CallbackRequest { method: method.into(), query: query.into(), body: body.into(), now_unix: now, ext: Default::default() };
        let result = handle(&official(), &request, now, &ReplayGuard::with_capacity(4));
        check_outcome(&result)?;
    }

    /// Signed, fresh requests whose ciphertext decrypts: arbitrary messages for arbitrary
    /// receivers, and arbitrary raw plaintext buffers.
    #[test]
    fn proptest_signed_requests_reach_every_check(
        msg in prop_oneof![nasty_string(), xml_soup(), prop::sample::select(event_samples())],
        edits in prop::collection::vec(edit(), 0..3),
        receive_id in prop_oneof![3 => Just(CORP.to_string()), 1 => nasty_string()],
        raw in prop::option::of(prop::collection::vec(any::<u8>(), 0..128)),
        nonce in "[0-9]{1,10}",
    ) {
        let msg = apply(&msg, &edits);
        let encrypted = match &raw {
            Some(bytes) => raw_encrypt(&key(), pad32(bytes.clone())),
            None => crypto::encrypt(&key(), b"0123456789abcdef", &msg, &receive_id)
                .map_err(|e| TestCaseError::fail(format!("{e:?}")))?,
        };
        let result = handle(&official(), &signed_post(&encrypted, &nonce), NOW, &ReplayGuard::with_capacity(4));
        check_outcome(&result)?;
        if raw.is_none() {
            match &result {
                Err(e) if receive_id != CORP => prop_assert_eq!(e.code.as_str(), "callback.receiver_mismatch"),
                Err(e) => prop_assert_eq!(e.code.as_str(), "callback.bad_xml"),
                Ok(_) => prop_assert_eq!(&receive_id, CORP),
            }
        }
    }
}

/// Regression: the XML parser's message echoes names from the input; a control character in
/// them reached the error message raw.
#[test]
fn parser_messages_are_escaped() {
    let e = parse_event("<xml></x\u{1B}[2K>").expect_err("mismatched end tag");
    let (zh, en) = e.describe();
    assert!(is_clear_text(&zh) && is_clear_text(&en), "{en:?}");
}
