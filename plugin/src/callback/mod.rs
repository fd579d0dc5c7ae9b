//! Contact-change callbacks (通讯录回调, wecom-api.md §10): URL verification (GET with `echostr`)
//! and event delivery (POST with an encrypted XML body).
//!
//! [`handle`] is pure and fast: it checks the signature and the timestamp, decrypts, checks the
//! receiver and parses, with no WeCom call, so the host can answer within WeCom's deadlines (1 s
//! for verification, 5 s for events) and apply the change afterwards. [`complete::complete`] is
//! the part that reads WeCom (`complete_change`), called after answering.
//!
//! Two receivers can send contact changes to the platform's URL, and events from both decode the
//! same way (`ToUserName` and the decrypted receiver id are the corp id; `AgentID` is empty from
//! the contact-sync receiver, the app's id from the app's own):
//!
//! 1. 管理工具 → 通讯录同步 → 设置接收事件服务器 (the first choice): doc 96302, 96303, 96304 list the
//!    contact-sync assistant as the receiver of every member, department and tag event, leavers
//!    (`delete_user`) included. Only its Token and EncodingAESKey are used, to verify and decrypt;
//!    its Secret is never needed (nothing is read with it). It may send members outside the app's
//!    visible range; completing those through the app's token answers 60011 and they are left as
//!    they came ([`complete`]).
//! 2. The app's own 接收消息 → 设置API接收: those pages do not list self-built apps; a WeCom staff
//!    answer says such an app gets `update_user` when a userid changes. Unconfirmed (wecom-api.md
//!    §13.1, §14), so nothing relies on either reading.
//!
//! Callbacks are hints on top of the periodic full sync (the reconcile), never its replacement.

pub mod complete;
pub mod crypto;
mod error;
pub mod event;
#[cfg(test)]
mod proptests;

use crate::settings::CleanSettings;
use crate::wecom::Secret;
use abi_stable::std_types::{ROption, RString};
use crypto::AesKey;
use event::Parsed;
use interface::{CallbackKind, CallbackReply, CallbackRequest, PluginError};
use percent_encoding::percent_decode_str;
use std::collections::{HashSet, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

/// Where the admin sets the callback, first choice first (see the module doc).
pub(crate) const CONSOLE_RECEIVERS: &str =
    "管理后台 → 管理工具 → 通讯录同步 → 设置接收事件服务器；或 应用管理 → 自建 → 选择应用 → 接收消息 → 设置API接收";
/// [`CONSOLE_RECEIVERS`] in English.
pub(crate) const CONSOLE_RECEIVERS_EN: &str = "admin console → 管理工具 (Management Tools) → 通讯录同步 (Contact Sync) → 设置接收事件服务器 (Set event receiving server); or 应用管理 → 自建 → your app → 接收消息 (Receive messages) → 设置API接收 (Set API receiving)";

/// How far a callback's timestamp may be from our clock, either way, by default. WeCom documents
/// no window (the official samples check none); 5 minutes is our choice: wide enough for ordinary
/// clock skew and WeCom's retries, narrow enough that a captured request cannot be replayed
/// later, and it bounds what [`ReplayGuard`] must remember. A deployment whose clock cannot be
/// kept that close passes its own window to [`handle_with_window`].
pub const FRESHNESS_WINDOW_SECS: i64 = 300;
/// The default of the `callback_timestamp_window_secs` setting (see [`FRESHNESS_WINDOW_SECS`]).
pub const DEFAULT_TIMESTAMP_WINDOW_SECS: u32 = FRESHNESS_WINDOW_SECS as u32;
/// Largest POST body accepted. Real events are a few KiB (a create_user with every attribute).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Largest query string accepted (an `echostr` is a few hundred characters).
pub const MAX_QUERY_BYTES: usize = 64 * 1024;
/// Deliveries the replay guard remembers by default.
pub const REPLAY_CAPACITY: usize = 10_000;

/// What verifying and decrypting needs: the Token, the AES key and the CorpID (the expected
/// receiveid). Debug prints masks only.
#[derive(Debug, Clone)]
pub struct CallbackConfig {
    token: Secret,
    key: AesKey,
    corp_id: String,
    /// How far a timestamp may be from our clock, either way (the setting; default 300 s).
    window_secs: i64,
}

impl CallbackConfig {
    /// From the console's values. Errors are `callback.not_configured`.
    pub fn new(token: &str, encoding_aes_key: &str, corp_id: &str) -> Result<CallbackConfig, PluginError> {
        if token.is_empty() || encoding_aes_key.is_empty() {
            return Err(missing(token.is_empty(), encoding_aes_key.is_empty()));
        }
        let key = AesKey::from_encoding_aes_key(encoding_aes_key).map_err(|e| error::crypto(e, "callback_aes_key"))?;
        Ok(CallbackConfig {
            token: Secret::new(token),
            key,
            corp_id: corp_id.to_string(),
            window_secs: FRESHNESS_WINDOW_SECS,
        })
    }

    /// The same, judging timestamps within `secs` either way (0 keeps the default).
    pub fn with_window(mut self, secs: u32) -> CallbackConfig {
        if secs > 0 {
            self.window_secs = i64::from(secs);
        }
        self
    }

    /// From the accepted configuration.
    pub fn from_settings(settings: &CleanSettings) -> Result<CallbackConfig, PluginError> {
        let token = settings.callback_token.as_ref().map(Secret::expose).unwrap_or_default();
        let key = settings.callback_aes_key.as_ref().map(Secret::expose).unwrap_or_default();
        Ok(CallbackConfig::new(token, key, &settings.corp_id)?.with_window(settings.callback_window_secs))
    }

    /// The CorpID the callbacks must be addressed to.
    pub fn corp_id(&self) -> &str {
        &self.corp_id
    }
}

fn missing(token: bool, key: bool) -> PluginError {
    match (token, key) {
        (true, true) => error::not_configured(
            "callback_token",
            "Token 和 EncodingAESKey 均未配置",
            "Token and EncodingAESKey are not configured",
        ),
        (true, false) => error::not_configured("callback_token", "Token 未配置", "Token is not configured"),
        _ => error::not_configured("callback_aes_key", "EncodingAESKey 未配置", "EncodingAESKey is not configured"),
    }
}

/// Remembers recently accepted deliveries (by `msg_signature`) so that a repeat is acknowledged
/// without being applied twice. Bounded: entries older than the freshness window are dropped
/// (such a request fails the timestamp check anyway), and past `capacity` the oldest go first.
/// WeCom may also retry with a fresh nonce, which this cannot see; `DirectoryChange::dedup_key`
/// is there for the host to catch those.
pub struct ReplayGuard {
    capacity: usize,
    state: Mutex<ReplayState>,
}

#[derive(Default)]
struct ReplayState {
    seen: HashSet<String>,
    order: VecDeque<(i64, String)>,
}

impl ReplayState {
    fn forget_oldest(&mut self) {
        if let Some((_, key)) = self.order.pop_front() {
            self.seen.remove(&key);
        }
    }
}

impl ReplayGuard {
    /// A guard remembering [`REPLAY_CAPACITY`] deliveries.
    pub fn new() -> ReplayGuard {
        ReplayGuard::with_capacity(REPLAY_CAPACITY)
    }

    /// A guard remembering at most `capacity` deliveries (at least one).
    pub fn with_capacity(capacity: usize) -> ReplayGuard {
        ReplayGuard { capacity: capacity.max(1), state: Mutex::new(ReplayState::default()) }
    }

    /// Records a delivery; false when it was already recorded. Check and record are one step,
    /// so two concurrent copies of one delivery cannot both be applied.
    pub fn first_delivery(&self, msg_signature: &str, timestamp: i64, now: i64) -> bool {
        self.first_delivery_within(msg_signature, timestamp, now, FRESHNESS_WINDOW_SECS)
    }

    /// As [`ReplayGuard::first_delivery`] for a freshness window of `window_secs`: an entry is
    /// kept as long as its request could still pass that window.
    pub fn first_delivery_within(&self, msg_signature: &str, timestamp: i64, now: i64, window_secs: i64) -> bool {
        // Nothing below panics while holding the lock; were it ever poisoned, the worst left behind
        // is one stale entry, so the state stays usable rather than failing every callback.
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let horizon = now.saturating_sub(window_secs.max(0));
        while state.order.front().is_some_and(|(ts, _)| *ts < horizon) {
            state.forget_oldest();
        }
        let key = msg_signature.to_ascii_lowercase();
        if state.seen.contains(&key) {
            return false;
        }
        while state.order.len() >= self.capacity {
            state.forget_oldest();
        }
        state.seen.insert(key.clone());
        state.order.push_back((timestamp, key));
        true
    }

    /// How many deliveries are remembered.
    pub fn len(&self) -> usize {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).order.len()
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for ReplayGuard {
    fn default() -> Self {
        ReplayGuard::new()
    }
}

/// The current time in Unix seconds (0 if the clock is before 1970).
pub fn system_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).ok().and_then(|d| i64::try_from(d.as_secs()).ok()).unwrap_or(0)
}

/// Handles one callback request. `now_unix` is the time to judge freshness by (0 = the system
/// clock). URL verification answers with the decrypted `echostr`; an event answers with an empty
/// body (WeCom needs nothing else) and carries the parsed change.
pub fn handle(
    config: &CallbackConfig,
    request: &CallbackRequest,
    now_unix: i64,
    replay: &ReplayGuard,
) -> Result<CallbackReply, PluginError> {
    handle_with_window(config, request, now_unix, replay, config.window_secs)
}

/// As [`handle`], accepting timestamps up to `window_secs` from `now_unix` either way (the
/// window is ours, not WeCom's; see [`FRESHNESS_WINDOW_SECS`]). A negative window counts as 0.
pub fn handle_with_window(
    config: &CallbackConfig,
    request: &CallbackRequest,
    now_unix: i64,
    replay: &ReplayGuard,
    window_secs: i64,
) -> Result<CallbackReply, PluginError> {
    let window = window_secs.max(0);
    let now = if now_unix == 0 { system_now() } else { now_unix };
    let method = request.method.as_str().trim();
    let is_get = method.eq_ignore_ascii_case("GET");
    if !is_get && !method.eq_ignore_ascii_case("POST") {
        return Err(error::bad_request(
            "method",
            format!("回调请求方法应为 GET 或 POST，收到的是「{}」。", printable(method)),
            format!("A callback must be GET or POST, not \"{}\".", printable(method)),
        ));
    }
    if request.query.len() > MAX_QUERY_BYTES {
        return Err(error::bad_request("query", "回调请求的查询参数过长。", "The callback query string is too long."));
    }
    let params = Params::parse(request.query.as_str())?;
    let msg_signature = required("msg_signature", &params.msg_signature)?;
    let timestamp = required("timestamp", &params.timestamp)?;
    let nonce = required("nonce", &params.nonce)?;
    let ts = parse_timestamp(timestamp)?;

    if is_get {
        let echostr = required("echostr", &params.echostr)?;
        authenticate(config, timestamp, nonce, echostr, msg_signature, ts, now, window)?;
        let msg = open(config, echostr, "echostr")?;
        // A repeated verification is harmless (it only proves we hold the key) and WeCom repeats
        // it whenever the admin saves the setting, so it is not recorded as a delivery.
        return Ok(reply(CallbackKind::UrlVerification, msg, None));
    }

    if request.body.len() > MAX_BODY_BYTES {
        return Err(error::bad_request(
            "body",
            format!("回调请求体超过 {} 字节上限。", MAX_BODY_BYTES),
            format!("The callback body exceeds the {MAX_BODY_BYTES}-byte limit."),
        ));
    }
    if request.body.trim().is_empty() {
        return Err(error::missing_parameter("Encrypt"));
    }
    let encrypt = event::envelope_encrypt(request.body.as_str())
        .map_err(|e| xml_error(&e, "body"))?
        .ok_or_else(|| error::missing_parameter("Encrypt"))?;
    authenticate(config, timestamp, nonce, &encrypt, msg_signature, ts, now, window)?;
    let msg = open(config, &encrypt, "Encrypt")?;
    let parsed = event::parse_event(&msg).map_err(|e| xml_error(&e, "event"))?;
    if !replay.first_delivery_within(msg_signature, ts, now, window) {
        return Ok(reply(CallbackKind::Duplicate, String::new(), None));
    }
    Ok(match parsed {
        Parsed::Change(change) => reply(CallbackKind::ContactChange, String::new(), Some(*change)),
        Parsed::Other => reply(CallbackKind::OtherEvent, String::new(), None),
    })
}

fn reply(kind: CallbackKind, body: String, change: Option<interface::DirectoryChange>) -> CallbackReply {
    CallbackReply {
        kind,
        status: 200,
        body: RString::from(body),
        change: ROption::from(change),
        ext: Default::default(),
    }
}

/// Signature first, so that an unsigned request learns nothing about our clock.
#[allow(clippy::too_many_arguments)]
fn authenticate(
    config: &CallbackConfig,
    timestamp: &str,
    nonce: &str,
    encrypted: &str,
    msg_signature: &str,
    ts: i64,
    now: i64,
    window: i64,
) -> Result<(), PluginError> {
    if !crypto::verify_signature(config.token.expose(), timestamp, nonce, encrypted, msg_signature) {
        return Err(error::signature_mismatch());
    }
    let age = now.saturating_sub(ts);
    if !(-window..=window).contains(&age) {
        return Err(error::stale_timestamp(ts, now, window));
    }
    Ok(())
}

/// Decrypts and checks that the message was meant for this corp.
fn open(config: &CallbackConfig, encrypted: &str, field: &str) -> Result<String, PluginError> {
    let decrypted = crypto::decrypt(&config.key, encrypted).map_err(|e| error::crypto(e, field))?;
    if decrypted.receive_id != config.corp_id.as_bytes() {
        return Err(error::receiver_mismatch(&decrypted.receive_id, &config.corp_id));
    }
    Ok(decrypted.msg)
}

fn xml_error(error: &event::XmlError, field: &str) -> PluginError {
    let (zh, en) = error.describe();
    error::bad_xml(field, &zh, &en)
}

fn parse_timestamp(value: &str) -> Result<i64, PluginError> {
    let parsed = (value.len() <= 18 && value.bytes().all(|b| b.is_ascii_digit())).then(|| value.parse::<i64>().ok());
    parsed.flatten().ok_or_else(|| {
        error::bad_request(
            "timestamp",
            format!("回调参数 timestamp 不是 Unix 秒数：「{}」。", printable(value)),
            format!("The callback timestamp is not Unix seconds: \"{}\".", printable(value)),
        )
    })
}

/// The four query parameters WeCom sends, percent-decoded.
#[derive(Default)]
struct Params {
    msg_signature: Option<String>,
    timestamp: Option<String>,
    nonce: Option<String>,
    echostr: Option<String>,
}

impl Params {
    /// Percent-decodes every value but leaves `+` alone: the values are base64 and digits, and
    /// WeCom encodes a `+` as `%2B`, so a literal `+` can only be a `+` (form decoding would turn
    /// it into a space and break `echostr`).
    fn parse(query: &str) -> Result<Params, PluginError> {
        let mut params = Params::default();
        for pair in query.strip_prefix('?').unwrap_or(query).split('&').filter(|p| !p.is_empty()) {
            let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = decode(raw_name, "query")?;
            let slot = match name.as_str() {
                "msg_signature" => &mut params.msg_signature,
                "timestamp" => &mut params.timestamp,
                "nonce" => &mut params.nonce,
                "echostr" => &mut params.echostr,
                _ => continue,
            };
            // Two values for one signed parameter: which one a proxy or framework would pick is
            // anyone's guess, so neither is trusted.
            if slot.is_some() {
                return Err(error::bad_request(
                    &name,
                    format!("回调参数 {name} 出现了多次。"),
                    format!("The callback parameter {name} appears more than once."),
                ));
            }
            *slot = Some(decode(raw_value, &name)?);
        }
        Ok(params)
    }
}

fn required<'a>(name: &str, value: &'a Option<String>) -> Result<&'a str, PluginError> {
    value.as_deref().filter(|v| !v.is_empty()).ok_or_else(|| error::missing_parameter(name))
}

fn decode(raw: &str, field: &str) -> Result<String, PluginError> {
    percent_decode_str(raw).decode_utf8().map(|v| v.into_owned()).map_err(|_| {
        error::bad_request(
            field,
            format!("回调参数 {field} 解码后不是 UTF-8 文本。"),
            format!("The callback parameter {field} does not decode to UTF-8 text."),
        )
    })
}

fn printable(value: &str) -> String {
    error::printable(value.as_bytes())
}

#[cfg(test)]
mod tests;
