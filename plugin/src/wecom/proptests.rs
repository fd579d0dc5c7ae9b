//! Property tests of everything the client reads from WeCom (issue 8): arbitrary bytes, arbitrary
//! JSON, valid answers with fields deleted, retyped or replaced, numbers no integer type holds,
//! deep nesting and long strings go through the one decode path (`client::decode`) into every
//! response type. Nothing panics; a failure is always the typed `WecomError` (`Decode`, or `Api`
//! / `HttpStatus` when the envelope says so), bounded in size, and quoting nothing of an answer
//! that carries a credential. Plus: a body that never ends is cut at the limit.
//!
//! CI case counts: 256 per property (arbitrary bytes, arbitrary JSON, mutated answers, number
//! texts, envelopes), 64 for the token cache against arbitrary lifetimes and clocks.
//! `PROPTEST_CASES` overrides them (see `proptest_support`).

use super::client::{decode, MAX_ERRMSG_CHARS};
use super::error::parse_caller_ip;
use super::models::{
    Agent, CodeIdentity, DepartmentGetResponse, DepartmentListResponse, DepartmentSimpleListResponse, Member,
    SimpleMember, TagListResponse, TagMembers, TokenResponse, UserDetail, UserListResponse,
};
use super::secret::AccessToken;
use super::token::{Clock, FetchedToken, MemoryTokenStore, StoredToken, TokenCache, TokenStore};
use super::{Client, ClientConfig, Secret, WecomError};
use crate::proptest_support::{config, nasty_string};
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Number, Value};
use std::sync::Arc;

/// Longest error text any answer can produce: errmsg is capped, decode details are cut at 200.
const MAX_ERROR_CHARS: usize = MAX_ERRMSG_CHARS + 200;

/// One decode of `body` as `T`, checked for the properties every answer shares.
fn decode_as<T: DeserializeOwned>(
    endpoint: &'static str,
    sensitive: bool,
    status: u16,
    body: &[u8],
) -> Result<Option<T>, TestCaseError> {
    match decode::<T>(endpoint, sensitive, status, "https://h/cgi-bin/x", body) {
        Ok(v) => Ok(Some(v)),
        Err(e) => {
            let text = e.to_string();
            prop_assert!(
                matches!(e, WecomError::Decode { .. } | WecomError::Api { .. } | WecomError::HttpStatus { .. }),
                "{e:?}"
            );
            prop_assert!(text.chars().count() <= MAX_ERROR_CHARS + 80, "error of {} characters", text.len());
            if let WecomError::Decode { detail, .. } = &e {
                prop_assert!(!detail.is_empty());
                if sensitive {
                    prop_assert!(!detail.contains("SENSITIVE"), "a credential-bearing answer quoted: {detail}");
                }
            }
            let _ = (e.errcode(), e.caller_ip(), e.is_retryable());
            Ok(None)
        }
    }
}

/// Every response type the client decodes, with the invariants an accepted one must meet.
fn decode_every_type(status: u16, body: &[u8]) -> Result<(), TestCaseError> {
    if let Some(a) = decode_as::<Agent>("agent/get", false, status, body)? {
        prop_assert!(a.allow_userinfos.iter().all(|u| !u.is_empty()));
    }
    decode_as::<DepartmentListResponse>("department/list", false, status, body)?;
    decode_as::<DepartmentSimpleListResponse>("department/simplelist", false, status, body)?;
    decode_as::<DepartmentGetResponse>("department/get", false, status, body)?;
    if let Some(r) = decode_as::<UserListResponse<Member>>("user/list", false, status, body)? {
        prop_assert!(r.userlist.iter().all(|m| !m.userid.is_empty()));
    }
    if let Some(r) = decode_as::<UserListResponse<SimpleMember>>("user/simplelist", false, status, body)? {
        prop_assert!(r.userlist.iter().all(|m| !m.userid.is_empty()));
    }
    if let Some(m) = decode_as::<Member>("user/get", false, status, body)? {
        prop_assert!(!m.userid.is_empty());
        let _ = m.status_kind();
    }
    decode_as::<TagListResponse>("tag/list", false, status, body)?;
    if let Some(t) = decode_as::<TagMembers>("tag/get", false, status, body)? {
        prop_assert!(t.userlist.iter().all(|u| !u.userid.is_empty()));
    }
    match decode_as::<CodeIdentity>("auth/getuserinfo", true, status, body)? {
        Some(CodeIdentity::Member { userid, .. }) => prop_assert!(!userid.is_empty()),
        Some(CodeIdentity::NonMember { openid, .. }) => prop_assert!(!openid.is_empty()),
        None => {}
    }
    decode_as::<UserDetail>("auth/getuserdetail", true, status, body)?;
    decode_as::<TokenResponse>("gettoken", true, status, body)?;
    Ok(())
}

/// Field names of WeCom's answers, so that generated objects hit the typed fields.
const KEYS: &[&str] = &[
    "errcode",
    "errmsg",
    "access_token",
    "expires_in",
    "agentid",
    "name",
    "square_logo_url",
    "close",
    "redirect_domain",
    "home_url",
    "allow_userinfos",
    "user",
    "userid",
    "allow_partys",
    "partyid",
    "allow_tags",
    "tagid",
    "department",
    "id",
    "name_en",
    "department_leader",
    "parentid",
    "order",
    "department_id",
    "userlist",
    "mobile",
    "gender",
    "is_leader_in_dept",
    "direct_leader",
    "status",
    "main_department",
    "enable",
    "extattr",
    "taglist",
    "tagname",
    "partylist",
    "UserId",
    "OpenId",
    "openid",
    "user_ticket",
    "external_userid",
];

/// Numbers at and past the edges of every integer type the models use.
fn edge_number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::from),
        any::<u64>().prop_map(Number::from),
        prop::sample::select(vec![
            0i64,
            -1,
            1,
            i64::from(u32::MAX),
            i64::from(u32::MAX) + 1,
            i64::MAX,
            i64::MIN,
            i64::from(i32::MIN),
        ])
        .prop_map(Number::from),
        prop::sample::select(vec![1e308, -1e308, 5e-324, 1.5, -0.0, 1.8446744073709552e19, 4294967296.0])
            .prop_filter_map("finite", Number::from_f64),
        any::<f64>().prop_filter_map("finite", Number::from_f64),
    ]
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        edge_number().prop_map(Value::Number),
        nasty_string().prop_map(Value::String),
        "-?[0-9]{1,25}".prop_map(Value::String),
        Just(Value::String("SENSITIVE-TOKEN-VALUE".into())),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(6, 96, 8, |inner| {
        let key = prop_oneof![4 => prop::sample::select(KEYS).prop_map(str::to_string), 1 => nasty_string()];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((key, inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Valid answers of every endpoint, as in wecom-api.md.
fn samples() -> Vec<Value> {
    vec![
        json!({"errcode":0,"errmsg":"ok","access_token":"SENSITIVE-TOKEN-VALUE","expires_in":7200}),
        json!({"errcode":0,"errmsg":"ok","agentid":1000005,"name":"HR助手","square_logo_url":"https://p.qlogo.cn/x/0",
               "allow_userinfos":{"user":[{"userid":"zhangshan"},{"userid":"lisi","status":1}]},
               "allow_partys":{"partyid":[1]},"allow_tags":{"tagid":[1,2,3]},"close":0,
               "redirect_domain":"open.work.weixin.qq.com","home_url":"https://open.work.weixin.qq.com"}),
        json!({"errcode":0,"errmsg":"ok","department":[
               {"id":2,"name":"广州研发中心","name_en":"RDGZ","department_leader":["zhangsan","lisi"],"parentid":1,"order":10},
               {"id":3,"name":"邮箱产品部","parentid":2,"order":40}]}),
        json!({"errcode":0,"errmsg":"ok","department_id":[{"id":2,"parentid":1,"order":10},{"id":3,"parentid":2,"order":40}]}),
        json!({"errcode":0,"errmsg":"ok","department":{"id":2,"name":"R&D","parentid":1,"order":1}}),
        json!({"errcode":0,"errmsg":"ok","userlist":[
               {"userid":"zhangsan","name":"张三","department":[1,2],"order":[1,2],"gender":"1","status":1,
                "is_leader_in_dept":[1,0],"direct_leader":["lisi"],"main_department":1,
                "extattr":{"attrs":[{"type":0,"name":"文本名称","text":{"value":"文本"}}]}},
               {"userid":"lisi","name":"李四","department":["3"],"status":"5","enable":1}]}),
        json!({"errcode":0,"errmsg":"ok","userid":"zhangsan","name":"张三","department":[1],"gender":2,"status":4}),
        json!({"errcode":0,"errmsg":"ok","taglist":[{"tagid":1,"tagname":"a"},{"tagid":"2","tagname":"b"}]}),
        json!({"errcode":0,"errmsg":"ok","tagname":"乒乓球协会","userlist":[{"userid":"zhangsan","name":"李四"}],"partylist":[2]}),
        json!({"errcode":0,"errmsg":"ok","userid":"USERID","user_ticket":"SENSITIVE-TOKEN-VALUE"}),
        json!({"errcode":0,"errmsg":"ok","openid":"OPENID","external_userid":"EXT"}),
        json!({"errcode":0,"errmsg":"ok","userid":"lisi","gender":"1","avatar":"http://x/0","mobile":"13800000000"}),
        json!({"errcode":60020,"errmsg":"not allow to access from your ip, hint: [1655882753557010848204971], from ip: 1.2.3.4, more info at https://open.work.weixin.qq.com/devtool/query?e=60020"}),
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    Replace(Value),
    Remove,
    WrapInArray,
    WrapInObject,
    Stringify,
    Nest(usize),
    LongString(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => json_value().prop_map(Mutation::Replace),
        3 => Just(Mutation::Remove),
        1 => Just(Mutation::WrapInArray),
        1 => Just(Mutation::WrapInObject),
        2 => Just(Mutation::Stringify),
        1 => (1usize..200).prop_map(Mutation::Nest),
        1 => (1usize..100_000).prop_map(Mutation::LongString),
    ]
}

/// Every node of `value`, as paths of object keys / array indexes.
fn paths(value: &Value, here: &mut Vec<PathSeg>, out: &mut Vec<Vec<PathSeg>>) {
    out.push(here.clone());
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                here.push(PathSeg::Key(k.clone()));
                paths(v, here, out);
                here.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                here.push(PathSeg::Index(i));
                paths(v, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

#[derive(Debug, Clone)]
enum PathSeg {
    Key(String),
    Index(usize),
}

fn node_mut<'a>(value: &'a mut Value, path: &[PathSeg]) -> Option<&'a mut Value> {
    path.iter().try_fold(value, |v, seg| match seg {
        PathSeg::Key(k) => v.get_mut(k.as_str()),
        PathSeg::Index(i) => v.get_mut(*i),
    })
}

fn apply(root: &mut Value, at: prop::sample::Index, m: Mutation) {
    let mut all = Vec::new();
    paths(root, &mut Vec::new(), &mut all);
    let path = all[at.index(all.len())].clone();
    if let Mutation::Remove = m {
        if let Some((last, parent)) = path.split_last() {
            match (node_mut(root, parent), last) {
                (Some(Value::Object(map)), PathSeg::Key(k)) => {
                    map.remove(k);
                }
                (Some(Value::Array(items)), PathSeg::Index(i)) if *i < items.len() => {
                    items.remove(*i);
                }
                _ => {}
            }
        }
        return;
    }
    let Some(node) = node_mut(root, &path) else { return };
    let old = node.take();
    *node = match m {
        Mutation::Replace(v) => v,
        Mutation::Remove => old,
        Mutation::WrapInArray => Value::Array(vec![old]),
        Mutation::WrapInObject => json!({ "value": old }),
        Mutation::Stringify => Value::String(old.to_string()),
        Mutation::Nest(depth) => (0..depth).fold(old, |v, _| Value::Array(vec![v])),
        Mutation::LongString(n) => Value::String("长".repeat(n)),
    };
}

/// Raw number texts, including those no JSON number type holds.
fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "1e308",
            "-1e308",
            "1e309",
            "1e-400",
            "18446744073709551615",
            "18446744073709551616",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775809",
            "4294967295",
            "4294967296",
            "-1",
            "-0",
            "0.0",
            "1.5",
            "1E2",
            "123456789012345678901234567890",
        ])
        .prop_map(str::to_string),
        "-?[0-9]{1,40}(\\.[0-9]{1,5})?([eE][-+]?[0-9]{1,4})?",
        "\"-?[0-9]{1,25}\"",
    ]
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn proptest_arbitrary_bytes_decode_to_typed_errors(
        body in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..512),
            // Valid-looking starts with invalid UTF-8 spliced in.
            (prop::collection::vec(any::<u8>(), 0..64), 0usize..40).prop_map(|(junk, at)| {
                let mut b = br#"{"errcode":0,"userid":"zhangsan","name":"x","department":[1]}"#.to_vec();
                let at = at.min(b.len());
                b.splice(at..at, junk);
                b
            }),
        ],
        status in prop_oneof![Just(200u16), any::<u16>()],
    ) {
        decode_every_type(status, &body)?;
    }

    #[test]
    fn proptest_arbitrary_json_decodes_to_typed_errors(value in json_value(), status in prop_oneof![4 => Just(200u16), 1 => 100u16..600]) {
        let body = serde_json::to_vec(&value).unwrap_or_default();
        decode_every_type(status, &body)?;
    }

    #[test]
    fn proptest_mutated_answers_decode_to_typed_errors(
        sample in prop::sample::select(samples()),
        mutations in prop::collection::vec((any::<prop::sample::Index>(), mutation()), 1..4),
    ) {
        let mut value = sample;
        for (at, m) in mutations {
            apply(&mut value, at, m);
        }
        let body = serde_json::to_vec(&value).unwrap_or_default();
        decode_every_type(200, &body)?;
    }

    #[test]
    fn proptest_numbers_no_type_holds(
        template in prop::sample::select(vec![
            r#"{"errcode":#,"errmsg":"x"}"#,
            r#"{"errcode":0,"department":[{"id":#,"parentid":#,"order":#}]}"#,
            r#"{"errcode":0,"department_id":[{"id":#,"parentid":#,"order":#}]}"#,
            r#"{"errcode":0,"agentid":#,"close":#,"allow_partys":{"partyid":[#,#]}}"#,
            r#"{"errcode":0,"userlist":[{"userid":#,"department":[#],"order":[#],"status":#,"main_department":#,"gender":#}]}"#,
            r#"{"errcode":0,"taglist":[{"tagid":#}]}"#,
            r#"{"errcode":0,"access_token":"SENSITIVE-TOKEN-VALUE","expires_in":#}"#,
            r#"{"errcode":0,"userid":#,"user_ticket":#}"#,
        ]),
        numbers in prop::collection::vec(number_text(), 9),
    ) {
        let mut body = String::new();
        for (i, piece) in template.split('#').enumerate() {
            if i > 0 {
                body.push_str(&numbers[(i - 1) % numbers.len()]);
            }
            body.push_str(piece);
        }
        decode_every_type(200, body.as_bytes())?;
    }

    #[test]
    fn proptest_envelope_errcode_and_errmsg(errcode in prop_oneof![any::<i64>(), Just(0)], errmsg in prop_oneof![nasty_string(), json_value().prop_map(|v| v.to_string())], long in 0usize..3) {
        // Now and then far past the cap (a few thousand characters is enough to cross it).
        let errmsg = if long == 2 { errmsg.chars().cycle().take(5_000).collect() } else { errmsg };
        let body = json!({"errcode": errcode, "errmsg": errmsg}).to_string();
        match decode::<Value>("user/get", false, 200, "u", body.as_bytes()) {
            Ok(_) => prop_assert_eq!(errcode, 0),
            Err(WecomError::Api { errcode: got, errmsg: shown, .. }) => {
                prop_assert_eq!(got, errcode);
                prop_assert!(shown.chars().count() <= MAX_ERRMSG_CHARS + 1);
                let kept: String = errmsg.chars().take(MAX_ERRMSG_CHARS).collect();
                prop_assert!(shown.starts_with(&kept));
            }
            Err(other) => prop_assert!(false, "{other:?}"),
        }
        let _ = parse_caller_ip(&errmsg);
    }
}

/// A clock at a fixed, arbitrary instant.
struct FixedClock(i64);

impl Clock for FixedClock {
    fn now_unix(&self) -> i64 {
        self.0
    }
}

proptest! {
    #![proptest_config(config(64))]

    /// `expires_in` is WeCom's number and the stored expiry is the host's: any value, with any
    /// clock, gives a token or a typed error, never an overflow.
    #[test]
    fn proptest_token_lifetimes_never_overflow(
        expires_in in prop_oneof![any::<i64>(), Just(i64::MAX), Just(i64::MIN), -10i64..10_000],
        now in prop_oneof![any::<i64>(), Just(i64::MAX), Just(i64::MIN), 0i64..2_000_000_000],
        stored in prop::option::of(any::<i64>()),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().build().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let store = Arc::new(MemoryTokenStore::new());
        if let Some(expires_at_unix) = stored {
            store.save("k", &StoredToken { token: AccessToken::new("STORED"), expires_at_unix });
        }
        let cache = TokenCache::new("k".into(), Arc::new(FixedClock(now)), store);
        let got = rt.block_on(async {
            let first = cache.get(|| async { Ok(FetchedToken { token: AccessToken::new("T1"), expires_in }) }).await;
            let second = cache.get(|| async { Ok(FetchedToken { token: AccessToken::new("T2"), expires_in }) }).await;
            (first, second)
        });
        prop_assert!(got.0.is_ok() && got.1.is_ok());
    }
}

/// Regression: a megabyte-long `errmsg` (a broken gateway) is cut, not carried into every error.
#[test]
fn huge_errmsg_is_cut() {
    let body = json!({"errcode": 40013, "errmsg": "x".repeat(1 << 20)}).to_string();
    match decode::<Value>("gettoken", true, 200, "u", body.as_bytes()) {
        Err(WecomError::Api { errcode: 40013, errmsg, .. }) => {
            assert_eq!(errmsg.chars().count(), MAX_ERRMSG_CHARS + 1);
            assert!(errmsg.ends_with('…'));
        }
        other => panic!("{other:?}"),
    }
}

/// Deep nesting inside a list container is a decode error (serde_json's recursion limit), not a
/// stack overflow, at any depth.
#[test]
fn deeply_nested_arrays_are_decode_errors() {
    for depth in [127usize, 128, 129, 1_000, 100_000] {
        let body = format!(r#"{{"errcode":0,"department":{}{}}}"#, "[".repeat(depth), "]".repeat(depth));
        let r = decode::<DepartmentListResponse>("department/list", false, 200, "u", body.as_bytes());
        assert!(matches!(r, Err(WecomError::Decode { .. })), "depth {depth}");
    }
}

/// A 4 MiB answer (a corp of ~70 000 members in one page) decodes in one piece.
#[test]
fn large_answer_under_the_limit_decodes() {
    let member = r#"{"userid":"u","name":"张三","department":[1,2],"status":1},"#;
    let n = 4 * 1024 * 1024 / member.len();
    let mut body = String::from(r#"{"errcode":0,"userlist":["#);
    for _ in 0..n {
        body.push_str(member);
    }
    body.pop();
    body.push_str("]}");
    let r = decode::<UserListResponse<Member>>("user/list", false, 200, "u", body.as_bytes());
    assert!(r.is_ok_and(|r| r.userlist.len() == n));
}

/// A body that never ends (no Content-Length, chunks forever) is cut at `max_body_bytes`: the
/// read stops at the limit instead of buffering until memory runs out. A declared length past
/// the limit is refused before any of the body is read.
#[tokio::test]
async fn endless_body_is_cut_at_the_limit() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
        Ok(l) => l,
        Err(e) => panic!("bind: {e}"),
    };
    let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
    let sent = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = sent.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut tmp = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut tmp).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&tmp[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&head).to_string();
                if text.contains("/cgi-bin/gettoken") {
                    let body = r#"{"errcode":0,"access_token":"T","expires_in":7200}"#;
                    let resp =
                        format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
                    let _ = sock.write_all(resp.as_bytes()).await;
                    return;
                }
                if text.contains("/cgi-bin/tag/list") {
                    // Declares 64 GiB.
                    let _ = sock
                        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 68719476736\r\nConnection: close\r\n\r\n{\"errcode\":0,")
                        .await;
                    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                    return;
                }
                if sock
                    .write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{\"errcode\":0,\"userlist\":[")
                    .await
                    .is_err()
                {
                    return;
                }
                let chunk = br#"{"userid":"u","name":"x"},"#.repeat(1024);
                // Endless: stops only when the client hangs up.
                while sock.write_all(&chunk).await.is_ok() {
                    counter.fetch_add(chunk.len(), std::sync::atomic::Ordering::SeqCst);
                }
            });
        }
    });
    let limit = 256 * 1024;
    let client = Client::new(ClientConfig {
        base_url: format!("http://{addr}"),
        max_body_bytes: limit,
        calls_per_minute: 0,
        ..ClientConfig::new("wwcorp", 1, Secret::new("S"))
    });
    let Ok(client) = client else { panic!("client") };
    let started = std::time::Instant::now();
    assert!(
        matches!(client.list_users(1).await, Err(WecomError::BodyTooLarge { endpoint: "user/list", limit: l }) if l == limit)
    );
    assert!(matches!(client.list_tags().await, Err(WecomError::BodyTooLarge { endpoint: "tag/list", .. })));
    assert!(started.elapsed() < std::time::Duration::from_secs(4), "{:?}", started.elapsed());
    // What the server managed to push is the limit plus socket buffers, not an unbounded stream.
    let pushed = sent.load(std::sync::atomic::Ordering::SeqCst);
    assert!(pushed < 64 * 1024 * 1024, "{pushed} bytes pushed");
}
