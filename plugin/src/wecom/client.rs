//! The HTTP client: one private generic call path, and one short method per endpoint.
//!
//! Success is decided by WeCom's `errcode`, never by the HTTP status (wecom-api.md §1): API
//! errors arrive as HTTP 200 with a non-zero errcode, and whether WeCom ever answers non-200
//! with an envelope is unknown (§13.13), so a non-2xx with an envelope is read as the envelope
//! says and a non-2xx without one is [`WecomError::HttpStatus`].

use super::error::{TransportKind, WecomError};
use super::models::{
    Agent, CodeIdentity, Department, DepartmentGetResponse, DepartmentId, DepartmentListResponse,
    DepartmentSimpleListResponse, ListedMember, Member, SimpleMember, TagListResponse, TagMembers, TagSummary,
    TokenResponse, UserDetail, UserListResponse,
};
use super::pacing::{
    GaveUp, Pacer, RetryPolicy, DEFAULT_CALLS_PER_MINUTE, DEFAULT_MAX_IN_FLIGHT, HOUR_PER_MINUTE_QUOTA_RATIO,
};
use super::secret::{AccessToken, Secret};
use super::token::{store_key, Clock, FetchedToken, MemoryTokenStore, SystemClock, TokenCache, TokenStore};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use url::Url;

/// WeCom's API origin.
pub const DEFAULT_BASE_URL: &str = "https://qyapi.weixin.qq.com";
/// Whole-request timeout (connect + send + body). WeCom publishes none; 5–10 s is customary.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest answer read. A 30 000-member `user/list` page is a few MiB; 16 MiB leaves room without
/// letting a broken proxy exhaust the host's memory.
pub const DEFAULT_MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Everything the client needs.
#[derive(Clone)]
pub struct ClientConfig {
    /// API origin (optionally with a path prefix for a gateway); `https://qyapi.weixin.qq.com`
    /// by default. A trailing `/cgi-bin/` (as WeCom's docs write it) is accepted and removed.
    pub base_url: String,
    /// 企业ID.
    pub corp_id: String,
    /// The self-built app's AgentID.
    pub agent_id: i64,
    /// The self-built app's Secret.
    pub secret: Secret,
    /// Outbound proxy (`http://`, `https://`), used for every request; `None` = direct (system
    /// proxy variables are deliberately ignored so the configured value is the whole truth).
    pub proxy_url: Option<String>,
    /// Accept plain `http://` to a non-loopback host (an internal gateway).
    pub allow_plain_http: bool,
    /// Whole-request timeout; zero means the default.
    pub request_timeout: Duration,
    /// Connect timeout; zero means the default.
    pub connect_timeout: Duration,
    /// Largest answer read; zero means the default.
    pub max_body_bytes: usize,
    /// Requests in flight at once; with `initial_in_flight`, the adaptive bound's ceiling.
    pub max_in_flight: usize,
    /// Non-zero: the bound adapts (see `pacing::adaptive`), starting here; 0: fixed at
    /// `max_in_flight`.
    pub initial_in_flight: usize,
    /// Per-endpoint pace per minute (0 = unpaced). The hourly pace follows as 15× this, the
    /// ratio of WeCom's own quotas (10 000/min, 150 000/hour): without it, a sustained full
    /// minute pace would hit the hour quota (and a 60-minute block) within 20 minutes.
    pub calls_per_minute: u32,
    /// Retries of -1 / 45009 / 45033.
    pub retry: RetryPolicy,
    /// Told about every request once its outcome is known (for the host's trace log).
    pub on_call: Option<CallObserver>,
}

/// Receives a [`CallRecord`] per request sent.
pub type CallObserver = Arc<dyn Fn(&CallRecord<'_>) + Send + Sync>;

/// One request and its outcome, without URL or query (those carry credentials).
#[derive(Debug)]
pub struct CallRecord<'a> {
    /// Endpoint name, e.g. `user/list`.
    pub endpoint: &'static str,
    /// WeCom's errcode, when an envelope was decoded (0 = success).
    pub errcode: Option<i64>,
    /// The error otherwise (already free of credentials).
    pub error: Option<&'a WecomError>,
    /// Time from sending to the decoded answer (pacing waits excluded).
    pub elapsed: Duration,
}

impl ClientConfig {
    /// Defaults for everything but the three values the admin pastes.
    pub fn new(corp_id: impl Into<String>, agent_id: i64, secret: Secret) -> Self {
        ClientConfig { corp_id: corp_id.into(), agent_id, secret, ..ClientConfig::default() }
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            base_url: DEFAULT_BASE_URL.to_string(),
            corp_id: String::new(),
            agent_id: 0,
            secret: Secret::default(),
            proxy_url: None,
            allow_plain_http: false,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            initial_in_flight: 0,
            calls_per_minute: DEFAULT_CALLS_PER_MINUTE,
            retry: RetryPolicy::default(),
            on_call: None,
        }
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A proxy URL may carry `user:password@`; print it without credentials.
        let proxy = self.proxy_url.as_deref().map(|p| match Url::parse(p) {
            Ok(u) => safe_url(&u),
            Err(_) => "<unparseable>".to_string(),
        });
        f.debug_struct("ClientConfig")
            .field("base_url", &self.base_url)
            .field("corp_id", &self.corp_id)
            .field("agent_id", &self.agent_id)
            .field("secret", &self.secret)
            .field("proxy_url", &proxy)
            .field("allow_plain_http", &self.allow_plain_http)
            .field("request_timeout", &self.request_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_in_flight", &self.max_in_flight)
            .field("initial_in_flight", &self.initial_in_flight)
            .field("calls_per_minute", &self.calls_per_minute)
            .field("retry", &self.retry)
            .field("on_call", &self.on_call.is_some())
            .finish()
    }
}

/// Counters for diagnostics and tests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallStats {
    /// HTTP requests sent per endpoint (e.g. `gettoken`, `user/get`), retries included.
    pub calls: BTreeMap<&'static str, u64>,
    /// Requests repeated after -1 / 45009 / 45033 / a token refresh.
    pub retries: u64,
    /// Tokens dropped after 40014 / 42001 / 41001 / 40001.
    pub token_refreshes: u64,
    /// Most requests in flight at once.
    pub in_flight_peak: usize,
}

impl CallStats {
    /// Requests sent to all endpoints, `gettoken` included.
    pub fn total_calls(&self) -> u64 {
        self.calls.values().sum()
    }

    /// Requests sent to `endpoint`.
    pub fn calls_to(&self, endpoint: &str) -> u64 {
        self.calls.get(endpoint).copied().unwrap_or(0)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Method {
    Get,
    Post,
}

#[derive(Clone, Copy, Debug)]
struct Endpoint {
    /// Path below `/cgi-bin/`, also the name in errors and stats.
    name: &'static str,
    method: Method,
    /// Sends `access_token` (all but `gettoken`).
    auth: bool,
    /// The answer carries a credential (token, user_ticket) or consented personal data: decode
    /// errors must not quote it.
    sensitive_answer: bool,
    /// Repeat after -1. Not for the code exchange: whether a "busy" answer consumed the
    /// single-use code is unknown, and a repeat would turn a transient error into 40029.
    retry_busy: bool,
}

const fn ep(name: &'static str) -> Endpoint {
    Endpoint { name, method: Method::Get, auth: true, sensitive_answer: false, retry_busy: true }
}

const GETTOKEN: Endpoint = Endpoint { auth: false, sensitive_answer: true, ..ep("gettoken") };
const AGENT_GET: Endpoint = ep("agent/get");
const DEPARTMENT_LIST: Endpoint = ep("department/list");
const DEPARTMENT_SIMPLELIST: Endpoint = ep("department/simplelist");
const DEPARTMENT_GET: Endpoint = ep("department/get");
const USER_LIST: Endpoint = ep("user/list");
const USER_SIMPLELIST: Endpoint = ep("user/simplelist");
const USER_GET: Endpoint = ep("user/get");
const TAG_LIST: Endpoint = ep("tag/list");
const TAG_GET: Endpoint = ep("tag/get");
const AUTH_GETUSERINFO: Endpoint = Endpoint { sensitive_answer: true, retry_busy: false, ..ep("auth/getuserinfo") };
const AUTH_GETUSERDETAIL: Endpoint =
    Endpoint { method: Method::Post, sensitive_answer: true, ..ep("auth/getuserdetail") };

/// Query parameters whose values are credentials: redacted from any error detail.
const SENSITIVE_PARAMS: [&str; 3] = ["corpsecret", "access_token", "code"];

#[derive(Debug, Default)]
struct Counters {
    calls: BTreeMap<&'static str, u64>,
    retries: u64,
    token_refreshes: u64,
}

struct Inner {
    http: reqwest::Client,
    base: Url,
    /// The base URL's path without trailing slash ("" for WeCom itself).
    prefix: String,
    corp_id: String,
    agent_id: i64,
    secret: Secret,
    max_body_bytes: usize,
    retry: RetryPolicy,
    on_call: Option<CallObserver>,
    pacer: Pacer,
    tokens: TokenCache,
    counters: Mutex<Counters>,
}

/// The WeCom client for one self-built app. Cheap to clone; clones share the token, the pace
/// and the counters.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &safe_url(&self.inner.base))
            .field("corp_id", &self.inner.corp_id)
            .field("agent_id", &self.inner.agent_id)
            .finish_non_exhaustive()
    }
}

type TokenFuture<'a> = Pin<Box<dyn Future<Output = Result<FetchedToken, WecomError>> + Send + 'a>>;

impl Client {
    /// A client with an in-process token store.
    pub fn new(config: ClientConfig) -> Result<Client, WecomError> {
        Client::with_store(config, Arc::new(MemoryTokenStore::new()))
    }

    /// A client whose tokens live in `store` (e.g. one shared by the host's replicas).
    pub fn with_store(config: ClientConfig, store: Arc<dyn TokenStore>) -> Result<Client, WecomError> {
        Client::with_parts(config, store, Arc::new(SystemClock))
    }

    /// A client with an explicit token store and clock.
    pub fn with_parts(
        config: ClientConfig,
        store: Arc<dyn TokenStore>,
        clock: Arc<dyn Clock>,
    ) -> Result<Client, WecomError> {
        let base = validate_base_url(&config.base_url, config.allow_plain_http)?;
        let prefix = base.path().trim_end_matches('/').to_string();
        let or_default = |d: Duration, default: Duration| if d.is_zero() { default } else { d };

        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            // A redirect from the API is never legitimate; following it could carry the query
            // (with credentials) to another host.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(or_default(config.request_timeout, DEFAULT_REQUEST_TIMEOUT))
            .connect_timeout(or_default(config.connect_timeout, DEFAULT_CONNECT_TIMEOUT))
            .user_agent(concat!("wanxiang-wecom/", env!("CARGO_PKG_VERSION")));
        builder = match config.proxy_url.as_deref().map(str::trim) {
            Some(proxy) if !proxy.is_empty() => {
                let proxy = reqwest::Proxy::all(proxy)
                    .map_err(|e| WecomError::InvalidProxyUrl { detail: error_chain(&e.without_url()) })?;
                builder.proxy(proxy)
            }
            _ => builder.no_proxy(),
        };
        let http = builder.build().map_err(|e| WecomError::ClientBuild { detail: error_chain(&e.without_url()) })?;

        let max_body_bytes = if config.max_body_bytes == 0 { DEFAULT_MAX_BODY_BYTES } else { config.max_body_bytes };
        let tokens = TokenCache::new(store_key(&config.corp_id, config.agent_id), clock, store);
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                prefix,
                corp_id: config.corp_id,
                agent_id: config.agent_id,
                secret: config.secret,
                max_body_bytes,
                pacer: {
                    let hour = config.calls_per_minute.saturating_mul(HOUR_PER_MINUTE_QUOTA_RATIO);
                    match config.initial_in_flight {
                        0 => Pacer::new(config.max_in_flight, config.calls_per_minute, hour),
                        initial => Pacer::adaptive(initial, config.max_in_flight, config.calls_per_minute, hour),
                    }
                },
                retry: config.retry,
                on_call: config.on_call,
                tokens,
                counters: Mutex::new(Counters::default()),
            }),
        })
    }

    /// The corp id this client works for.
    pub fn corp_id(&self) -> &str {
        &self.inner.corp_id
    }

    /// The AgentID this client works for.
    pub fn agent_id(&self) -> i64 {
        self.inner.agent_id
    }

    /// The validated base URL (`scheme://host[:port]/prefix`).
    pub fn base_url(&self) -> String {
        safe_url(&self.inner.base)
    }

    /// Counters since the client was created.
    pub fn stats(&self) -> CallStats {
        let c = self.counters();
        CallStats {
            calls: c.calls.clone(),
            retries: c.retries,
            token_refreshes: c.token_refreshes,
            in_flight_peak: self.inner.pacer.in_flight_peak(),
        }
    }

    /// A valid access token (cached; fetched with `gettoken` when needed).
    pub async fn access_token(&self) -> Result<AccessToken, WecomError> {
        self.inner.tokens.get(|| self.fetch_token()).await
    }

    /// `agent/get`: the app's details and visible range. Use it as the configuration
    /// self-test: it fails with 301002 when the Secret belongs to another app.
    pub async fn get_agent(&self, agent_id: i64) -> Result<Agent, WecomError> {
        self.call(AGENT_GET, &[("agentid", agent_id.to_string())], None).await
    }

    /// `department/list`: `id` and all its descendants, or the whole visible tree.
    pub async fn list_departments(&self, id: Option<u32>) -> Result<Vec<Department>, WecomError> {
        let query: Vec<_> = id.map(|id| ("id", id.to_string())).into_iter().collect();
        let r: DepartmentListResponse = self.call(DEPARTMENT_LIST, &query, None).await?;
        Ok(r.department)
    }

    /// `department/simplelist`: ids only, same recursion as `list_departments`.
    pub async fn simple_list_departments(&self, id: Option<u32>) -> Result<Vec<DepartmentId>, WecomError> {
        let query: Vec<_> = id.map(|id| ("id", id.to_string())).into_iter().collect();
        let r: DepartmentSimpleListResponse = self.call(DEPARTMENT_SIMPLELIST, &query, None).await?;
        Ok(r.department_id)
    }

    /// `department/get`: one department.
    pub async fn get_department(&self, id: u32) -> Result<Department, WecomError> {
        let r: DepartmentGetResponse = self.call(DEPARTMENT_GET, &[("id", id.to_string())], None).await?;
        Ok(r.department)
    }

    /// `user/list`: full members directly in `department_id`. `fetch_child` is not sent: the
    /// current docs dropped it and whether the server still honours it is unknown (§13.4), so
    /// callers recurse over departments themselves.
    pub async fn list_users(&self, department_id: u32) -> Result<Vec<Member>, WecomError> {
        let r: UserListResponse<Member> =
            self.call(USER_LIST, &[("department_id", department_id.to_string())], None).await?;
        Ok(r.userlist)
    }

    /// `user/list` as [`Client::list_users`], each row read only for the fields a directory
    /// snapshot keeps ([`ListedMember`]).
    pub async fn list_users_brief(&self, department_id: u32) -> Result<Vec<ListedMember>, WecomError> {
        let r: UserListResponse<ListedMember> =
            self.call(USER_LIST, &[("department_id", department_id.to_string())], None).await?;
        Ok(r.userlist)
    }

    /// `user/simplelist`: userid, name and departments of the members directly in
    /// `department_id` (no `fetch_child`, as for `list_users`).
    pub async fn simple_list_users(&self, department_id: u32) -> Result<Vec<SimpleMember>, WecomError> {
        let r: UserListResponse<SimpleMember> =
            self.call(USER_SIMPLELIST, &[("department_id", department_id.to_string())], None).await?;
        Ok(r.userlist)
    }

    /// `user/get`: one member.
    pub async fn get_user(&self, userid: &str) -> Result<Member, WecomError> {
        self.call(USER_GET, &[("userid", userid.to_string())], None).await
    }

    /// `tag/list`: all tags of the corp.
    pub async fn list_tags(&self) -> Result<Vec<TagSummary>, WecomError> {
        let r: TagListResponse = self.call(TAG_LIST, &[], None).await?;
        Ok(r.taglist)
    }

    /// `tag/get`: a tag's members and departments (within the app's scope).
    pub async fn get_tag(&self, tag_id: u32) -> Result<TagMembers, WecomError> {
        let mut r: TagMembers = self.call(TAG_GET, &[("tagid", tag_id.to_string())], None).await?;
        r.tagid = tag_id;
        Ok(r)
    }

    /// `auth/getuserinfo`: who an OAuth / web-login code belongs to. The code is single-use; a
    /// failed exchange is never repeated except after a token refresh (the token was rejected
    /// before the code was looked at).
    pub async fn user_info_by_code(&self, code: &str) -> Result<CodeIdentity, WecomError> {
        self.call(AUTH_GETUSERINFO, &[("code", code.to_string())], None).await
    }

    /// `auth/getuserdetail`: the sensitive fields a member consented to share, from the
    /// `user_ticket` of a `snsapi_privateinfo` login.
    pub async fn user_detail_by_ticket(&self, user_ticket: &Secret) -> Result<UserDetail, WecomError> {
        let body = serde_json::json!({ "user_ticket": user_ticket.expose() });
        self.call(AUTH_GETUSERDETAIL, &[], Some(&body)).await
    }

    // ---- internals ----

    fn fetch_token(&self) -> TokenFuture<'_> {
        // Boxed: call → access_token → fetch_token → call would otherwise be an infinitely
        // sized future type.
        Box::pin(async move {
            let query =
                [("corpid", self.inner.corp_id.clone()), ("corpsecret", self.inner.secret.expose().to_string())];
            let r: TokenResponse = self.call(GETTOKEN, &query, None).await?;
            if r.access_token.is_empty() {
                return Err(WecomError::Decode {
                    endpoint: GETTOKEN.name,
                    detail: "errcode 0 but no access_token".into(),
                });
            }
            Ok(FetchedToken { token: AccessToken::new(r.access_token), expires_in: r.expires_in })
        })
    }

    /// The one call path: pace, authenticate, send, decode, and retry per policy.
    async fn call<T: DeserializeOwned>(
        &self,
        ep: Endpoint,
        query: &[(&'static str, String)],
        body: Option<&Value>,
    ) -> Result<T, WecomError> {
        let policy = &self.inner.retry;
        let pacer = &self.inner.pacer;
        let mut token_refreshed = false;
        let mut busy_retries = 0u32;
        let mut concurrency_retries = 0u32;
        loop {
            let token = if ep.auth { Some(self.access_token().await?) } else { None };
            // The slot is taken after the token (a refresh needs a slot of its own) and held
            // until the outcome is known, so a probe after 45009 ends only once judged.
            let slot = pacer
                .acquire(ep.name)
                .await
                .map_err(|GaveUp| WecomError::RateLimitedGaveUp { endpoint: ep.name, errcode: 45009 })?;
            let sent = std::time::Instant::now();
            let err = match self.send_once(ep, query, body, token.as_ref()).await {
                Ok(answer) => {
                    // WeCom's part is over once the envelope says success: the latency the
                    // adaptive bound judges ends here, and the slot is free for the next request
                    // while this task decodes the payload (this process's CPU, not WeCom's load).
                    slot.succeeded();
                    pacer.endpoint_ok(ep.name);
                    drop(slot);
                    let decoded = decode_payload(ep.name, ep.sensitive_answer, &answer);
                    self.observe(ep, decoded.as_ref().err(), sent);
                    return decoded;
                }
                Err(err) => err,
            };
            self.observe(ep, Some(&err), sent);
            let WecomError::Api { errcode, .. } = &err else {
                if matches!(err, WecomError::Transport { kind: TransportKind::Timeout, .. }) {
                    pacer.overloaded();
                }
                return Err(err);
            };
            if *errcode == 45009 {
                let paced = pacer.rate_limited(ep.name, policy);
                drop(slot);
                paced.map_err(|GaveUp| WecomError::RateLimitedGaveUp { endpoint: ep.name, errcode: 45009 })?;
                self.count(|c| c.retries += 1);
                continue;
            }
            drop(slot);
            match *errcode {
                // 41001 too: if an empty token was ever sent, a fresh one is the cure. 40001
                // ("invalid credential") from a call other than `gettoken` means the token was
                // refused, not the Secret: WxJava (`ACCESS_TOKEN_ERROR_CODES`) and wechatpy refresh
                // on it as on 42001 (wecom-api.md §14). From `gettoken` itself (`auth` false) it
                // is the Secret and is never retried; a Secret reset since the token was issued
                // shows up as the refresh's own 40001.
                40014 | 42001 | 41001 | 40001 if ep.auth && !token_refreshed => {
                    token_refreshed = true;
                    if let Some(token) = &token {
                        self.inner.tokens.invalidate(token).await;
                    }
                    self.count(|c| {
                        c.retries += 1;
                        c.token_refreshes += 1;
                    });
                }
                -1 if ep.retry_busy && busy_retries < policy.busy_max_retries => {
                    pacer.overloaded();
                    let delay = policy.busy_delay(busy_retries);
                    busy_retries += 1;
                    self.count(|c| c.retries += 1);
                    tokio::time::sleep(delay).await;
                }
                45033 => {
                    pacer.reduce_concurrency();
                    if concurrency_retries >= policy.concurrency_max_retries {
                        return Err(WecomError::RateLimitedGaveUp { endpoint: ep.name, errcode: 45033 });
                    }
                    let delay = policy.concurrency_delay(concurrency_retries);
                    concurrency_retries += 1;
                    self.count(|c| c.retries += 1);
                    tokio::time::sleep(delay).await;
                }
                _ => return Err(err),
            }
        }
    }

    /// Reports one request to the observer, if any: `error` `None` is errcode 0.
    fn observe(&self, ep: Endpoint, error: Option<&WecomError>, sent: std::time::Instant) {
        if let Some(observe) = &self.inner.on_call {
            let (errcode, error) = match error {
                None => (Some(0), None),
                Some(WecomError::Api { errcode, .. }) => (Some(*errcode), None),
                Some(other) => (None, Some(other)),
            };
            observe(&CallRecord { endpoint: ep.name, errcode, error, elapsed: sent.elapsed() });
        }
    }

    /// One request: the answer's bytes once its envelope says success (errcode 0), else the
    /// error. The payload is left to the caller, to decode after the slot is freed.
    async fn send_once(
        &self,
        ep: Endpoint,
        query: &[(&'static str, String)],
        body: Option<&Value>,
        token: Option<&AccessToken>,
    ) -> Result<Vec<u8>, WecomError> {
        let mut url = self.inner.base.clone();
        url.set_path(&format!("{}/cgi-bin/{}", self.inner.prefix, ep.name));
        {
            let mut pairs = url.query_pairs_mut();
            if let Some(token) = token {
                pairs.append_pair("access_token", token.expose());
            }
            for (name, value) in query {
                pairs.append_pair(name, value);
            }
        }
        let shown_url = safe_url(&url);
        // Values to scrub from transport details, should any layer ever echo them.
        let mut secrets: Vec<&str> =
            query.iter().filter(|(name, _)| SENSITIVE_PARAMS.contains(name)).map(|(_, value)| value.as_str()).collect();
        if let Some(token) = token {
            secrets.push(token.expose());
        }

        self.count(|c| *c.calls.entry(ep.name).or_insert(0) += 1);
        let request = match (ep.method, body) {
            (Method::Post, Some(body)) => self.inner.http.post(url).json(body),
            (Method::Post, None) => self.inner.http.post(url),
            (Method::Get, _) => self.inner.http.get(url),
        };
        let mut response = request.send().await.map_err(|e| transport_error(e, &shown_url, &secrets))?;
        let status = response.status().as_u16();
        let limit = self.inner.max_body_bytes;
        let too_large = WecomError::BodyTooLarge { endpoint: ep.name, limit };
        if response.content_length().is_some_and(|len| len > limit as u64) {
            return Err(too_large);
        }
        let mut buf: Vec<u8> = Vec::with_capacity(response.content_length().map_or(8 * 1024, |len| len as usize));
        while let Some(chunk) = response.chunk().await.map_err(|e| transport_error(e, &shown_url, &secrets))? {
            if buf.len() + chunk.len() > limit {
                return Err(too_large);
            }
            buf.extend_from_slice(&chunk);
        }
        read_envelope(ep.name, status, &shown_url, &buf)?;
        Ok(buf)
    }

    fn counters(&self) -> std::sync::MutexGuard<'_, Counters> {
        // Plain counters: still meaningful after a panic elsewhere.
        self.inner.counters.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn count(&self, f: impl FnOnce(&mut Counters)) {
        f(&mut self.counters());
    }
}

/// Checks and normalises a base URL. Public so that configuration checks can report it before
/// any call: https (always certificate-verified) is accepted; plain http only to a loopback
/// host (127.0.0.0/8, ::1, localhost) or with `allow_plain_http`. Empty means the default.
pub fn validate_base_url(base_url: &str, allow_plain_http: bool) -> Result<Url, WecomError> {
    let trimmed = base_url.trim();
    let raw = if trimmed.is_empty() { DEFAULT_BASE_URL } else { trimmed };
    let invalid = |detail: &str| WecomError::InvalidBaseUrl { detail: detail.to_string() };
    let mut url = Url::parse(raw).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("the scheme must be https (or http)"));
    }
    let Some(host) = url.host() else {
        return Err(invalid("no host"));
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("credentials in the URL are not supported"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("the URL must not have a query or fragment"));
    }
    if url.scheme() == "http" && !allow_plain_http && !is_loopback(&host) {
        return Err(WecomError::InsecureBaseUrl { url: safe_url(&url) });
    }
    // WeCom's docs write the base as `https://qyapi.weixin.qq.com/cgi-bin/`; the client adds
    // `/cgi-bin/` itself.
    let path = url.path().trim_end_matches('/');
    let path = path.strip_suffix("/cgi-bin").unwrap_or(path).to_string();
    url.set_path(&path);
    Ok(url)
}

fn is_loopback(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => {
            let d = d.trim_end_matches('.');
            d.eq_ignore_ascii_case("localhost")
        }
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
    }
}

/// `scheme://host[:port]/path` — what may appear in errors and logs.
pub(crate) fn safe_url(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port() {
        Some(port) => format!("{}://{}:{}{}", url.scheme(), host, port, url.path()),
        None => format!("{}://{}{}", url.scheme(), host, url.path()),
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        // hyper and reqwest often repeat the inner message in the outer one.
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

fn transport_error(e: reqwest::Error, shown_url: &str, secrets: &[&str]) -> WecomError {
    let e = e.without_url();
    let mut detail = error_chain(&e);
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        detail = detail.replace(secret, "***");
    }
    let lower = detail.to_ascii_lowercase();
    let tls_hint = ["certificate", "tls", "handshake", "rustls"].iter().any(|h| lower.contains(h));
    // reqwest exposes timeout/connect/body as predicates; DNS and TLS failures are connect
    // errors whose inner messages are the only way to tell them apart.
    let kind = if e.is_timeout() {
        TransportKind::Timeout
    } else if lower.contains("dns error") {
        TransportKind::Dns
    } else if tls_hint {
        TransportKind::Tls
    } else if e.is_connect() {
        TransportKind::Connect
    } else if e.is_body() || e.is_decode() {
        TransportKind::Body
    } else {
        TransportKind::Other
    };
    WecomError::Transport { url: shown_url.to_string(), kind, detail }
}

/// Longest `errmsg` kept. WeCom's are under 200 characters (`from ip:` included); a proxy or a
/// broken server may send megabytes, which must not travel on into every error and log line.
pub(crate) const MAX_ERRMSG_CHARS: usize = 1024;

/// Reads an answer: the `{errcode, errmsg}` envelope first, then the payload, as a call does in
/// two steps (`send_once`, then [`decode_payload`] once the slot is freed). For the tests and
/// the property tests, which feed it arbitrary bodies.
#[cfg(test)]
pub(crate) fn decode<T: DeserializeOwned>(
    endpoint: &'static str,
    sensitive: bool,
    status: u16,
    shown_url: &str,
    body: &[u8],
) -> Result<T, WecomError> {
    read_envelope(endpoint, status, shown_url, body)?;
    decode_payload(endpoint, sensitive, body)
}

/// The envelope's outcome: `Ok` when WeCom answered errcode 0 (or none, as legacy answers did).
///
/// Reads only `errcode` and `errmsg` and skips the rest without building it, so the outcome of a
/// call is known (and its slot freed) before the payload, the costly part of a large page, is
/// decoded.
pub(crate) fn read_envelope(
    endpoint: &'static str,
    status: u16,
    shown_url: &str,
    body: &[u8],
) -> Result<(), WecomError> {
    let success_status = (200..300).contains(&status);
    let body = without_bom(body);
    let not_wecom = || WecomError::HttpStatus { url: shown_url.to_string(), status };
    let decode_err = |detail: String| WecomError::Decode { endpoint, detail };
    let envelope = match serde_json::from_slice::<Envelope>(body) {
        Ok(Envelope::Object { errcode, errmsg }) => (errcode, errmsg),
        _ if !success_status => return Err(not_wecom()),
        Ok(Envelope::NotAnObject) => return Err(decode_err("expected a JSON object".into())),
        // serde_json's syntax errors name a position, never the content.
        Err(e) => return Err(decode_err(format!("not JSON: {e}"))),
    };
    let errcode = match envelope.0 {
        None if !success_status => return Err(not_wecom()),
        // Legacy answers omitted errcode on success (wecom-api.md §1).
        None | Some(Value::Null) => 0,
        Some(Value::Number(n)) => n.as_i64().ok_or_else(|| decode_err(format!("errcode {n} is not an integer")))?,
        // Old 企业号 samples sent "errcode":"0".
        Some(Value::String(s)) => {
            s.trim().parse::<i64>().map_err(|_| decode_err("errcode is a non-numeric string".into()))?
        }
        Some(_) => return Err(decode_err("errcode has an unexpected type".into())),
    };
    if errcode != 0 {
        return Err(WecomError::Api { endpoint, errcode, errmsg: shown_errmsg(envelope.1) });
    }
    Ok(())
}

/// The payload of an answer whose envelope said success, decoded straight from the bytes into
/// `T` (no intermediate `Value` tree: a `user/list` page would otherwise be built twice).
pub(crate) fn decode_payload<T: DeserializeOwned>(
    endpoint: &'static str,
    sensitive: bool,
    body: &[u8],
) -> Result<T, WecomError> {
    serde_json::from_slice(without_bom(body)).map_err(|e| {
        let detail = if sensitive {
            "the answer does not have the documented shape".into()
        } else {
            let mut detail = e.to_string();
            // serde may quote a value; keep it short in case it is personal data.
            if detail.len() > 200 {
                let cut = (0..=200).rev().find(|i| detail.is_char_boundary(*i)).unwrap_or(0);
                detail.truncate(cut);
                detail.push('…');
            }
            detail
        };
        WecomError::Decode { endpoint, detail }
    })
}

fn without_bom(body: &[u8]) -> &[u8] {
    body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body)
}

/// `errmsg` as shown in errors: any JSON type, cut to [`MAX_ERRMSG_CHARS`].
fn shown_errmsg(errmsg: Option<Value>) -> String {
    let mut errmsg = match errmsg {
        Some(Value::String(s)) => s,
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    if let Some((cut, _)) = errmsg.char_indices().nth(MAX_ERRMSG_CHARS) {
        errmsg.truncate(cut);
        errmsg.push('…');
    }
    errmsg
}

/// An answer's envelope: its `errcode` and `errmsg` as sent (the last of each, as a JSON object
/// read whole would keep), every other member skipped.
enum Envelope {
    Object { errcode: Option<Value>, errmsg: Option<Value> },
    NotAnObject,
}

impl<'de> serde::Deserialize<'de> for Envelope {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Envelope, D::Error> {
        d.deserialize_any(EnvelopeVisitor)
    }
}

struct EnvelopeVisitor;

impl<'de> serde::de::Visitor<'de> for EnvelopeVisitor {
    type Value = Envelope;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Envelope, A::Error> {
        let (mut errcode, mut errmsg) = (None, None);
        while let Some(key) = map.next_key::<EnvelopeKey>()? {
            match key {
                EnvelopeKey::Errcode => errcode = Some(map.next_value()?),
                EnvelopeKey::Errmsg => errmsg = Some(map.next_value()?),
                EnvelopeKey::Other => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(Envelope::Object { errcode, errmsg })
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Envelope, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(Envelope::NotAnObject)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Envelope, E> {
        Ok(Envelope::NotAnObject)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Envelope, E> {
        Ok(Envelope::NotAnObject)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Envelope, E> {
        Ok(Envelope::NotAnObject)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Envelope, E> {
        Ok(Envelope::NotAnObject)
    }

    fn visit_str<E>(self, _: &str) -> Result<Envelope, E> {
        Ok(Envelope::NotAnObject)
    }

    fn visit_unit<E>(self) -> Result<Envelope, E> {
        Ok(Envelope::NotAnObject)
    }
}

/// The two envelope members, told apart from the others without allocating their names.
enum EnvelopeKey {
    Errcode,
    Errmsg,
    Other,
}

impl<'de> serde::Deserialize<'de> for EnvelopeKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<EnvelopeKey, D::Error> {
        d.deserialize_identifier(EnvelopeKeyVisitor)
    }
}

struct EnvelopeKeyVisitor;

impl serde::de::Visitor<'_> for EnvelopeKeyVisitor {
    type Value = EnvelopeKey;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E>(self, name: &str) -> Result<EnvelopeKey, E> {
        Ok(match name {
            "errcode" => EnvelopeKey::Errcode,
            "errmsg" => EnvelopeKey::Errmsg,
            _ => EnvelopeKey::Other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::net::SocketAddr;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    // ---------- pure: envelope ----------

    fn dec(status: u16, body: &str) -> Result<Value, WecomError> {
        decode("user/get", false, status, "https://h/cgi-bin/user/get", body.as_bytes())
    }

    #[test]
    fn envelope_errcode_absent_string_int() {
        assert!(dec(200, r#"{"userid":"a"}"#).is_ok());
        assert!(dec(200, r#"{"errcode":0,"errmsg":"ok"}"#).is_ok());
        assert!(dec(200, r#"{"errcode":"0","errmsg":"ok"}"#).is_ok());
        assert!(dec(200, r#"{"errcode":null}"#).is_ok());
        assert!(dec(200, "\u{feff}{\"errcode\":0}").is_ok());
        match dec(200, r#"{"errcode":"40014","errmsg":"invalid access_token"}"#) {
            Err(WecomError::Api { errcode: 40014, errmsg, endpoint: "user/get" }) => {
                assert_eq!(errmsg, "invalid access_token")
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            dec(200, r#"{"errcode":60011}"#),
            Err(WecomError::Api { errcode: 60011, ref errmsg, .. }) if errmsg.is_empty()
        ));
        assert!(matches!(dec(200, r#"{"errcode":"abc"}"#), Err(WecomError::Decode { .. })));
        assert!(matches!(dec(200, r#"{"errcode":true}"#), Err(WecomError::Decode { .. })));
        assert!(matches!(dec(200, r#"{"errcode":1.5}"#), Err(WecomError::Decode { .. })));
    }

    #[test]
    fn error_bodies_with_empty_lists_are_errors() {
        let r: Result<DepartmentListResponse, _> = decode(
            "department/list",
            false,
            200,
            "u",
            br#"{"errcode":60011,"errmsg":"no privilege to access/modify contact/party/agent ","department":[]}"#,
        );
        assert!(matches!(r, Err(WecomError::Api { errcode: 60011, .. })));
        let ok: DepartmentListResponse =
            decode("department/list", false, 200, "u", br#"{"errcode":0,"errmsg":"ok","department":[]}"#).unwrap();
        assert!(ok.department.is_empty());
    }

    #[test]
    fn garbage_and_wrong_types() {
        assert!(matches!(dec(200, "<html>hi</html>"), Err(WecomError::Decode { .. })));
        assert!(matches!(dec(200, ""), Err(WecomError::Decode { .. })));
        assert!(matches!(dec(200, "[1,2]"), Err(WecomError::Decode { .. })));
        let r: Result<DepartmentListResponse, _> =
            decode("department/list", false, 200, "u", br#"{"errcode":0,"department":"x"}"#);
        assert!(matches!(r, Err(WecomError::Decode { endpoint: "department/list", .. })));
        let r: Result<Member, _> = decode("user/get", false, 200, "u", br#"{"errcode":0,"name":"x"}"#);
        assert!(matches!(r, Err(WecomError::Decode { .. })));
        // Gettoken's decode error must not quote the answer.
        let r: Result<DepartmentGetResponse, _> =
            decode("gettoken", true, 200, "u", br#"{"errcode":0,"department":"SECRET-TOKEN"}"#);
        match r {
            Err(WecomError::Decode { detail, .. }) => assert!(!detail.contains("SECRET")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn non_2xx_with_and_without_envelope() {
        assert!(matches!(
            dec(500, r#"{"errcode":-1,"errmsg":"system busy"}"#),
            Err(WecomError::Api { errcode: -1, .. })
        ));
        assert!(matches!(dec(502, "<html>Bad Gateway</html>"), Err(WecomError::HttpStatus { status: 502, .. })));
        assert!(matches!(dec(403, r#"{"error":"forbidden"}"#), Err(WecomError::HttpStatus { status: 403, .. })));
        assert!(matches!(dec(302, ""), Err(WecomError::HttpStatus { status: 302, .. })));
    }

    // ---------- pure: base URL ----------

    #[test]
    fn base_url_rules() {
        let ok = |u: &str, allow| validate_base_url(u, allow).map(|u| safe_url(&u));
        assert_eq!(ok("", false).unwrap(), "https://qyapi.weixin.qq.com/");
        assert_eq!(ok("https://qyapi.weixin.qq.com", false).unwrap(), "https://qyapi.weixin.qq.com/");
        assert_eq!(ok(" https://qyapi.weixin.qq.com/cgi-bin/ ", false).unwrap(), "https://qyapi.weixin.qq.com/");
        assert_eq!(ok("https://gw.example.com/wecom/", false).unwrap(), "https://gw.example.com/wecom");
        for loopback in [
            "http://127.0.0.1:8080",
            "http://127.8.9.10",
            "http://[::1]:9000",
            "http://localhost:3000",
            "http://LOCALHOST",
        ] {
            assert!(ok(loopback, false).is_ok(), "{loopback}");
        }
        assert!(matches!(
            validate_base_url("http://qyapi.weixin.qq.com", false),
            Err(WecomError::InsecureBaseUrl { .. })
        ));
        assert!(matches!(validate_base_url("http://10.0.0.5:8080", false), Err(WecomError::InsecureBaseUrl { .. })));
        assert!(matches!(
            validate_base_url("http://localhost.evil.com", false),
            Err(WecomError::InsecureBaseUrl { .. })
        ));
        assert!(ok("http://10.0.0.5:8080", true).is_ok());
        for bad in [
            "ftp://qyapi.weixin.qq.com",
            "qyapi.weixin.qq.com",
            "https://user:pw@qyapi.weixin.qq.com",
            "https://qyapi.weixin.qq.com/?corpsecret=x",
            "https://qyapi.weixin.qq.com/#x",
        ] {
            match validate_base_url(bad, true) {
                Err(WecomError::InvalidBaseUrl { detail }) => {
                    assert!(!detail.contains("pw") && !detail.contains("corpsecret=x"), "{detail}")
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn safe_url_drops_query_and_credentials() {
        let u = Url::parse("https://u:p@qyapi.weixin.qq.com:8443/cgi-bin/gettoken?corpid=a&corpsecret=S").unwrap();
        assert_eq!(safe_url(&u), "https://qyapi.weixin.qq.com:8443/cgi-bin/gettoken");
        let cfg = ClientConfig {
            proxy_url: Some("http://alice:hunter2@proxy.corp:3128".into()),
            ..ClientConfig::new("ww1", 1, Secret::new("TOPSECRET"))
        };
        let shown = format!("{cfg:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("TOPSECRET"), "{shown}");
    }

    #[test]
    fn client_construction() {
        assert!(Client::new(ClientConfig::new("ww1", 1, Secret::new("s"))).is_ok());
        let insecure =
            ClientConfig { base_url: "http://wecom.internal".into(), ..ClientConfig::new("ww1", 1, Secret::new("s")) };
        assert!(matches!(Client::new(insecure.clone()), Err(WecomError::InsecureBaseUrl { .. })));
        assert!(Client::new(ClientConfig { allow_plain_http: true, ..insecure }).is_ok());
        let bad_proxy =
            ClientConfig { proxy_url: Some("::not a url::".into()), ..ClientConfig::new("ww1", 1, Secret::new("s")) };
        assert!(matches!(Client::new(bad_proxy), Err(WecomError::InvalidProxyUrl { .. })));
    }

    #[test]
    fn futures_are_send() {
        fn assert_send<T: Send>(_: &T) {}
        fn assert_shareable<T: Send + Sync + Clone + 'static>() {}
        assert_shareable::<Client>();
        if let Ok(c) = Client::new(ClientConfig::new("ww1", 1, Secret::new("s"))) {
            assert_send(&c.get_user("u"));
            assert_send(&c.access_token());
            assert_send(&c.user_info_by_code("c"));
        }
    }

    // ---------- HTTP: a few-line canned responder ----------

    /// Answers each connection with `handler(path_and_query, nth call to that path)`;
    /// `None` keeps the connection open without answering.
    struct Responder {
        addr: SocketAddr,
        seen: Arc<Mutex<Vec<String>>>,
    }

    impl Responder {
        async fn start<F>(handler: F) -> Responder
        where
            F: Fn(&str, usize) -> Option<String> + Send + Sync + 'static,
        {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let seen = Arc::new(Mutex::new(Vec::<String>::new()));
            let handler = Arc::new(handler);
            let log = seen.clone();
            tokio::spawn(async move {
                while let Ok((mut sock, _)) = listener.accept().await {
                    let handler = handler.clone();
                    let log = log.clone();
                    tokio::spawn(async move {
                        let mut buf = Vec::new();
                        let mut tmp = [0u8; 4096];
                        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                            match sock.read(&mut tmp).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buf.extend_from_slice(&tmp[..n]),
                            }
                        }
                        let head = String::from_utf8_lossy(&buf).to_string();
                        let target = head.split(' ').nth(1).unwrap_or("").to_string();
                        let path = target.split('?').next().unwrap_or("").to_string();
                        let nth = {
                            let mut log = log.lock().unwrap();
                            log.push(target.clone());
                            log.iter().filter(|t| t.split('?').next() == Some(&path)).count()
                        };
                        match handler(&target, nth) {
                            Some(resp) => {
                                let _ = sock.write_all(resp.as_bytes()).await;
                                let _ = sock.shutdown().await;
                            }
                            None => tokio::time::sleep(Duration::from_secs(30)).await,
                        }
                    });
                }
            });
            Responder { addr, seen }
        }

        fn seen(&self) -> Vec<String> {
            self.seen.lock().unwrap().clone()
        }

        fn client(&self, tweak: impl FnOnce(&mut ClientConfig)) -> Client {
            let mut cfg = ClientConfig {
                base_url: format!("http://{}", self.addr),
                calls_per_minute: 600,
                retry: fast_retry(),
                ..ClientConfig::new("wwcorp", 1000002, Secret::new("THE-SECRET"))
            };
            tweak(&mut cfg);
            Client::new(cfg).unwrap()
        }
    }

    fn fast_retry() -> RetryPolicy {
        let ms = Duration::from_millis;
        RetryPolicy {
            busy_max_retries: 3,
            busy_base_delay: ms(1),
            busy_max_delay: ms(5),
            rate_limit_base_delay: ms(2),
            rate_limit_max_delay: ms(20),
            rate_limit_budget: ms(50),
            concurrency_max_retries: 2,
            concurrency_base_delay: ms(1),
            concurrency_max_delay: ms(5),
        }
    }

    fn http(status: u16, body: &str) -> Option<String> {
        Some(format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ))
    }

    fn token_answer(nth: usize) -> Option<String> {
        http(200, &json!({"errcode":0,"errmsg":"ok","access_token":format!("T{nth}"),"expires_in":7200}).to_string())
    }

    const MEMBER: &str = r#"{"errcode":0,"errmsg":"ok","userid":"zhangsan","name":"张三","gender":"1","status":1}"#;

    #[tokio::test]
    async fn expired_token_refetched_once_and_call_retried_once() {
        let srv = Responder::start(|target, nth| {
            if target.starts_with("/cgi-bin/gettoken") {
                token_answer(nth)
            } else if target.contains("access_token=T1") {
                http(200, r#"{"errcode":42001,"errmsg":"access_token expired"}"#)
            } else {
                http(200, MEMBER)
            }
        })
        .await;
        let c = srv.client(|_| {});
        let m = c.get_user("zhangsan").await.unwrap();
        assert_eq!(m.userid, "zhangsan");
        let stats = c.stats();
        assert_eq!(stats.calls_to("gettoken"), 2);
        assert_eq!(stats.calls_to("user/get"), 2);
        assert_eq!(stats.retries, 1);
        assert_eq!(stats.token_refreshes, 1);
        let seen = srv.seen();
        assert!(seen[0].starts_with("/cgi-bin/gettoken?corpid=wwcorp&corpsecret=THE-SECRET"));
        assert!(seen.iter().any(|t| t.contains("/cgi-bin/user/get?access_token=T2&userid=zhangsan")));
    }

    #[tokio::test]
    async fn token_error_twice_is_not_retried_forever() {
        let srv = Responder::start(|target, nth| {
            if target.starts_with("/cgi-bin/gettoken") {
                token_answer(nth)
            } else {
                http(200, r#"{"errcode":40014,"errmsg":"invalid access_token"}"#)
            }
        })
        .await;
        let c = srv.client(|_| {});
        let err = c.list_tags().await.unwrap_err();
        assert_eq!(err.errcode(), Some(40014));
        assert_eq!(c.stats().calls_to("gettoken"), 2);
        assert_eq!(c.stats().calls_to("tag/list"), 2);
    }

    #[tokio::test]
    async fn invalid_credential_from_a_business_call_refreshes_the_token_once() {
        let srv = Responder::start(|target, nth| {
            if target.starts_with("/cgi-bin/gettoken") {
                token_answer(nth)
            } else if target.contains("access_token=T1") {
                http(200, r#"{"errcode":40001,"errmsg":"invalid credential"}"#)
            } else {
                http(200, MEMBER)
            }
        })
        .await;
        let c = srv.client(|_| {});
        let m = c.get_user("zhangsan").await.unwrap();
        assert_eq!(m.userid, "zhangsan");
        assert_eq!(c.stats().calls_to("gettoken"), 2);
        assert_eq!(c.stats().token_refreshes, 1);
    }

    #[tokio::test]
    async fn invalid_credential_from_gettoken_is_not_retried() {
        let srv = Responder::start(|target, _| {
            if target.starts_with("/cgi-bin/gettoken") {
                http(200, r#"{"errcode":40001,"errmsg":"invalid credential"}"#)
            } else {
                http(200, MEMBER)
            }
        })
        .await;
        let c = srv.client(|_| {});
        assert_eq!(c.get_user("zhangsan").await.unwrap_err().errcode(), Some(40001));
        assert_eq!(c.stats().calls_to("gettoken"), 1);
        assert_eq!(c.stats().calls_to("user/get"), 0);
    }

    #[tokio::test]
    async fn burst_of_42001_costs_one_gettoken() {
        let srv = Responder::start(|target, nth| {
            if target.starts_with("/cgi-bin/gettoken") {
                token_answer(nth)
            } else if target.contains("access_token=T1") {
                http(200, r#"{"errcode":42001,"errmsg":"access_token expired"}"#)
            } else {
                http(200, MEMBER)
            }
        })
        .await;
        let c = srv.client(|_| {});
        c.access_token().await.unwrap();
        let mut tasks = Vec::new();
        for _ in 0..12 {
            let c = c.clone();
            tasks.push(tokio::spawn(async move { c.get_user("zhangsan").await }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(c.stats().calls_to("gettoken"), 2);
        assert!(c.stats().in_flight_peak >= 1);
    }

    /// The slot is freed on the envelope's success, before the payload is decoded: a payload of
    /// the wrong shape is still the call's error (reported as such), and leaves no slot held.
    #[tokio::test]
    async fn a_bad_payload_after_a_successful_envelope_is_a_decode_error_and_frees_its_slot() {
        let srv = Responder::start(|target, nth| {
            if target.starts_with("/cgi-bin/gettoken") {
                token_answer(nth)
            } else {
                http(200, r#"{"errcode":0,"errmsg":"ok","userlist":"not a list"}"#)
            }
        })
        .await;
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let sink = seen.clone();
        let c = srv.client(|cfg| {
            // One slot, so a slot left held would make the second call wait forever.
            cfg.max_in_flight = 1;
            cfg.initial_in_flight = 1;
            cfg.on_call = Some(Arc::new(move |call: &CallRecord<'_>| {
                sink.lock().unwrap().push(format!("{} {:?} {}", call.endpoint, call.errcode, call.error.is_some()));
            }))
        });
        let both = async {
            let brief = c.list_users_brief(1).await;
            (brief, c.list_users(1).await)
        };
        let (brief, full) = tokio::time::timeout(Duration::from_secs(10), both).await.expect("no slot left held");
        assert!(matches!(brief, Err(WecomError::Decode { endpoint: "user/list", .. })), "{brief:?}");
        assert!(matches!(full, Err(WecomError::Decode { endpoint: "user/list", .. })), "{full:?}");
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen, ["gettoken Some(0) false", "user/list None true", "user/list None true"]);
    }

    #[tokio::test]
    async fn every_request_is_reported_to_the_observer_without_credentials() {
        let srv = Responder::start(|target, nth| {
            if target.starts_with("/cgi-bin/gettoken") {
                token_answer(nth)
            } else if nth == 1 {
                http(200, r#"{"errcode":45009,"errmsg":"api freq out of limit"}"#)
            } else if nth == 2 {
                http(200, r#"{"errcode":0,"errmsg":"ok","taglist":[]}"#)
            } else {
                http(500, "<html>oops</html>")
            }
        })
        .await;
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let sink = seen.clone();
        let c = srv.client(|cfg| {
            cfg.on_call = Some(Arc::new(move |call: &CallRecord<'_>| {
                let line = format!("{} {:?} {:?}", call.endpoint, call.errcode, call.error.map(|e| e.to_string()));
                sink.lock().unwrap().push(line);
            }))
        });
        c.list_tags().await.unwrap();
        assert!(c.list_tags().await.is_err());
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 4, "gettoken, 45009, retry, 500: {seen:?}");
        assert!(seen[0].starts_with("gettoken Some(0)"), "{seen:?}");
        assert!(seen[1].starts_with("tag/list Some(45009)"), "{seen:?}");
        assert!(seen[2].starts_with("tag/list Some(0)"), "{seen:?}");
        assert!(seen[3].starts_with("tag/list None Some(") && seen[3].contains("500"), "{seen:?}");
        assert!(!seen.iter().any(|l| l.contains("THE-SECRET") || l.contains("T0")), "{seen:?}");
    }

    #[tokio::test]
    async fn rate_limit_then_success_is_retried() {
        let srv = Responder::start(|target, nth| {
            if target.starts_with("/cgi-bin/gettoken") {
                token_answer(nth)
            } else if nth == 1 {
                http(200, r#"{"errcode":45009,"errmsg":"api freq out of limit"}"#)
            } else {
                http(200, r#"{"errcode":0,"errmsg":"ok","taglist":[{"tagid":1,"tagname":"a"}]}"#)
            }
        })
        .await;
        let c = srv.client(|_| {});
        let tags = c.list_tags().await.unwrap();
        assert_eq!(tags.len(), 1);
        assert_eq!(c.stats().calls_to("tag/list"), 2);
        assert_eq!(c.stats().retries, 1);
    }

    #[tokio::test]
    async fn rate_limit_forever_gives_up_within_budget() {
        let srv = Responder::start(|target, nth| {
            if target.starts_with("/cgi-bin/gettoken") {
                token_answer(nth)
            } else {
                http(200, r#"{"errcode":45009,"errmsg":"api freq out of limit"}"#)
            }
        })
        .await;
        let c = srv.client(|_| {});
        let err = c.list_tags().await.unwrap_err();
        assert!(matches!(err, WecomError::RateLimitedGaveUp { endpoint: "tag/list", errcode: 45009 }));
        // Delays ≥ 2 ms within a 50 ms budget: bounded number of attempts.
        let n = c.stats().calls_to("tag/list");
        assert!((2..=26).contains(&n), "{n}");
    }

    #[tokio::test]
    async fn busy_retried_three_times_and_concurrency_limit_lowers_parallelism() {
        let srv = Responder::start(|target, nth| {
            if target.starts_with("/cgi-bin/gettoken") {
                token_answer(nth)
            } else if target.starts_with("/cgi-bin/user/get") {
                http(200, r#"{"errcode":-1,"errmsg":"system busy"}"#)
            } else if target.starts_with("/cgi-bin/tag/list") && nth == 1 {
                http(200, r#"{"errcode":45033,"errmsg":"api concurrent out of limit"}"#)
            } else if target.starts_with("/cgi-bin/auth/getuserinfo") {
                http(200, r#"{"errcode":-1,"errmsg":"system busy"}"#)
            } else {
                http(200, r#"{"errcode":0,"taglist":[]}"#)
            }
        })
        .await;
        let c = srv.client(|cfg| cfg.max_in_flight = 8);
        let err = c.get_user("u").await.unwrap_err();
        assert_eq!(err.errcode(), Some(-1));
        assert_eq!(c.stats().calls_to("user/get"), 4);
        assert!(c.list_tags().await.unwrap().is_empty());
        assert_eq!(c.inner.pacer.concurrency_limit(), 4);
        // The single-use code is never re-sent after -1.
        let err = c.user_info_by_code("CODE-123").await.unwrap_err();
        assert_eq!(err.errcode(), Some(-1));
        assert_eq!(c.stats().calls_to("auth/getuserinfo"), 1);
    }

    #[tokio::test]
    async fn body_over_the_limit() {
        let srv = Responder::start(|target, nth| {
            if target.starts_with("/cgi-bin/gettoken") {
                token_answer(nth)
            } else if target.starts_with("/cgi-bin/user/list") {
                // Declared length over the limit.
                let big = format!(r#"{{"errcode":0,"userlist":[],"pad":"{}"}}"#, "x".repeat(5000));
                http(200, &big)
            } else {
                // No Content-Length: only streaming reveals the size.
                let big = format!(r#"{{"errcode":0,"userlist":[],"pad":"{}"}}"#, "x".repeat(5000));
                Some(format!("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{big}"))
            }
        })
        .await;
        let c = srv.client(|cfg| cfg.max_body_bytes = 1024);
        assert!(matches!(c.list_users(1).await, Err(WecomError::BodyTooLarge { endpoint: "user/list", limit: 1024 })));
        assert!(matches!(
            c.simple_list_users(1).await,
            Err(WecomError::BodyTooLarge { endpoint: "user/simplelist", .. })
        ));
        assert!(srv.seen().iter().all(|t| !t.contains("fetch_child")));
    }

    #[tokio::test]
    async fn redirect_is_not_followed() {
        let srv = Responder::start(|target, nth| {
            if target.starts_with("/cgi-bin/gettoken") {
                token_answer(nth)
            } else if target.starts_with("/elsewhere") {
                http(200, MEMBER)
            } else {
                Some(
                    "HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .into(),
                )
            }
        })
        .await;
        let c = srv.client(|_| {});
        match c.get_user("zhangsan").await {
            Err(WecomError::HttpStatus { url, status: 302 }) => {
                assert_eq!(url, format!("http://{}/cgi-bin/user/get", srv.addr));
            }
            other => panic!("{other:?}"),
        }
        assert!(srv.seen().iter().all(|t| !t.starts_with("/elsewhere")));
    }

    #[tokio::test]
    async fn timeout_is_transport_timeout_without_query() {
        let srv = Responder::start(|_, _| None).await;
        let c = srv.client(|cfg| cfg.request_timeout = Duration::from_millis(200));
        match c.access_token().await {
            Err(WecomError::Transport { url, kind, detail }) => {
                assert_eq!(kind, TransportKind::Timeout);
                assert_eq!(url, format!("http://{}/cgi-bin/gettoken", srv.addr));
                let all = format!("{url} {detail}");
                assert!(!all.contains('?') && !all.contains("THE-SECRET") && !all.contains("corpsecret"), "{all}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn connection_refused_is_transport_connect() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let c = Client::new(ClientConfig {
            base_url: format!("http://127.0.0.1:{port}"),
            ..ClientConfig::new("wwcorp", 1, Secret::new("THE-SECRET"))
        })
        .unwrap();
        match c.get_agent(1).await {
            Err(e @ WecomError::Transport { kind: TransportKind::Connect, .. }) => {
                let text = format!("{e} {e:?}");
                assert!(!text.contains("THE-SECRET") && !text.contains('?'), "{text}");
                assert!(e.is_retryable());
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn endpoints_send_documented_paths_and_parse() {
        let srv = Responder::start(|target, nth| {
            let path = target.split('?').next().unwrap_or("");
            let body = match path {
                "/cgi-bin/gettoken" => return token_answer(nth),
                "/cgi-bin/agent/get" => json!({"errcode":0,"agentid":1000002,"name":"App","allow_partys":{"partyid":[1]},"allow_userinfos":{"user":[{"userid":"a"}]},"allow_tags":{"tagid":[3]}}),
                "/cgi-bin/department/list" => json!({"errcode":0,"department":[{"id":2,"name":"R&D","parentid":1,"order":10}]}),
                "/cgi-bin/department/simplelist" => json!({"errcode":0,"department_id":[{"id":2,"parentid":1,"order":10}]}),
                "/cgi-bin/department/get" => json!({"errcode":0,"department":{"id":2,"name":"R&D","parentid":1}}),
                "/cgi-bin/user/simplelist" => json!({"errcode":0,"userlist":[{"userid":"a","name":"A","department":[2]}]}),
                "/cgi-bin/tag/get" => json!({"errcode":0,"tagname":"t","userlist":[{"userid":"a","name":"A"}],"partylist":[2]}),
                "/cgi-bin/auth/getuserinfo" => json!({"errcode":0,"errmsg":"ok","UserId":"legacy"}),
                _ => json!({"errcode":404404,"errmsg":"unknown path"}),
            };
            http(200, &body.to_string())
        })
        .await;
        let c = srv.client(|_| {});
        let agent = c.get_agent(1000002).await.unwrap();
        assert_eq!(agent.allow_partys, vec![1]);
        assert_eq!(agent.allow_userinfos, vec!["a"]);
        assert_eq!(c.list_departments(Some(1)).await.unwrap()[0].id, 2);
        assert_eq!(c.list_departments(None).await.unwrap().len(), 1);
        assert_eq!(c.simple_list_departments(None).await.unwrap()[0].parentid, 1);
        assert_eq!(c.get_department(2).await.unwrap().name, "R&D");
        assert_eq!(c.simple_list_users(2).await.unwrap()[0].userid, "a");
        let tag = c.get_tag(3).await.unwrap();
        assert_eq!((tag.tagid, tag.partylist.clone()), (3, vec![2]));
        assert!(matches!(
            c.user_info_by_code("C0DE").await.unwrap(),
            CodeIdentity::Member { ref userid, .. } if userid == "legacy"
        ));
        let seen = srv.seen();
        for want in [
            "/cgi-bin/agent/get?access_token=T1&agentid=1000002",
            "/cgi-bin/department/list?access_token=T1&id=1",
            "/cgi-bin/department/list?access_token=T1",
            "/cgi-bin/department/get?access_token=T1&id=2",
            "/cgi-bin/user/simplelist?access_token=T1&department_id=2",
            "/cgi-bin/tag/get?access_token=T1&tagid=3",
            "/cgi-bin/auth/getuserinfo?access_token=T1&code=C0DE",
        ] {
            assert!(seen.iter().any(|t| t == want), "{want} not in {seen:?}");
        }
        assert_eq!(c.stats().calls_to("gettoken"), 1, "token reused");
    }

    #[tokio::test]
    async fn shared_store_avoids_gettoken() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let srv = Responder::start(move |target, nth| {
            if target.starts_with("/cgi-bin/gettoken") {
                counter.fetch_add(1, Ordering::SeqCst);
                token_answer(nth)
            } else {
                http(200, r#"{"errcode":0,"taglist":[]}"#)
            }
        })
        .await;
        let store: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new());
        let cfg = ClientConfig {
            base_url: format!("http://{}", srv.addr),
            ..ClientConfig::new("wwcorp", 7, Secret::new("S"))
        };
        let a = Client::with_store(cfg.clone(), store.clone()).unwrap();
        let b = Client::with_store(cfg, store.clone()).unwrap();
        a.list_tags().await.unwrap();
        b.list_tags().await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(store.load("wwcorp:7").is_some());
    }
}
