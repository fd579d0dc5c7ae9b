//! Access-token cache (doc 91039: tokens must be cached server-side; `gettoken` is rate-limited
//! and repeated failures get the caller's IP blocked).
//!
//! - A token is reused until `now > obtained_at + expires_in - margin`, with margin = 300 s but at
//!   most half the lifetime, so a short-lived token is still used for a while.
//! - Single flight: the state sits behind a `tokio::sync::Mutex` held across the `gettoken`
//!   call, so concurrent callers wait for the one fetch instead of stampeding.
//! - [`TokenCache::invalidate`] drops a token only while it is still the current one: a burst of
//!   42001s from requests that all used the same stale token costs one refetch, not one each.
//! - A [`TokenStore`] lets replicas share a token (WeCom may or may not hand out the same token to
//!   a second `gettoken` while one is valid — the docs changed on that — so sharing is the only
//!   way to be sure replicas do not invalidate each other's work). Keyed by
//!   `corp_id:agent_id`, never by the secret.

use super::error::WecomError;
use super::secret::AccessToken;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

/// Refresh this long before expiry (doc 91039 suggests 5–10 minutes).
pub const DEFAULT_REFRESH_MARGIN_SECS: i64 = 300;
/// WeCom's usual `expires_in`, assumed when an answer omits it or sends nonsense.
pub const DEFAULT_TOKEN_TTL_SECS: i64 = 7200;

/// Wall-clock seconds since the Unix epoch. Wall time (not `Instant`) because stored tokens are
/// shared between processes and replicas.
pub trait Clock: Send + Sync {
    /// Now, in Unix seconds.
    fn now_unix(&self) -> i64;
}

/// The real clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_unix(&self) -> i64 {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            // A clock before 1970 is broken; treating it as the epoch makes every token look
            // expired, which costs extra gettoken calls but never uses a dead token.
            Err(_) => 0,
        }
    }
}

/// A token as kept in a [`TokenStore`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredToken {
    /// The token.
    pub token: AccessToken,
    /// When WeCom said it expires (Unix seconds; `obtained_at + expires_in`).
    pub expires_at_unix: i64,
}

/// Where tokens live between calls. The host may supply a store shared by replicas; the default
/// keeps them in this process.
pub trait TokenStore: Send + Sync {
    /// The token saved under `key`, if any (possibly expired: the cache checks).
    fn load(&self, key: &str) -> Option<StoredToken>;
    /// Saves `token` under `key`, replacing any previous one.
    fn save(&self, key: &str, token: &StoredToken);
    /// Forgets the token under `key`.
    fn clear(&self, key: &str);
}

/// In-process [`TokenStore`].
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    tokens: Mutex<HashMap<String, StoredToken>>,
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl TokenStore for MemoryTokenStore {
    fn load(&self, key: &str) -> Option<StoredToken> {
        // A poisoned lock only means another thread panicked mid-update of a plain map; the data
        // is still a valid map, so keep going rather than failing every call.
        let map = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        map.get(key).cloned()
    }

    fn save(&self, key: &str, token: &StoredToken) {
        let mut map = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        map.insert(key.to_string(), token.clone());
    }

    fn clear(&self, key: &str) {
        let mut map = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(key);
    }
}

/// What `gettoken` returned.
#[derive(Clone, Debug)]
pub struct FetchedToken {
    /// The new token.
    pub token: AccessToken,
    /// Lifetime in seconds as WeCom sent it (normally 7200); `<= 0` means "not sent".
    pub expires_in: i64,
}

/// The store key for an app: `corp_id:agent_id`.
pub fn store_key(corp_id: &str, agent_id: i64) -> String {
    format!("{corp_id}:{agent_id}")
}

#[derive(Clone, Debug)]
struct Entry {
    token: AccessToken,
    refresh_at: i64,
}

#[derive(Debug, Default)]
struct State {
    current: Option<Entry>,
    /// The last token WeCom rejected; never adopted again from the store (a shared store may
    /// still hold it after we cleared it, e.g. when another replica re-saves it).
    rejected: Option<AccessToken>,
    /// The error of the last fetch, tagged with its number, if it failed.
    last_failure: Option<(u64, WecomError)>,
}

/// The cache for one app's token.
pub struct TokenCache {
    key: String,
    margin_secs: i64,
    clock: Arc<dyn Clock>,
    store: Arc<dyn TokenStore>,
    state: tokio::sync::Mutex<State>,
    /// Fetches completed (successful or not); read before queueing on the lock.
    fetches_done: AtomicU64,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("key", &self.key)
            .field("margin_secs", &self.margin_secs)
            .finish_non_exhaustive()
    }
}

impl TokenCache {
    /// A cache for `key` (see [`store_key`]) with the default margin.
    pub fn new(key: String, clock: Arc<dyn Clock>, store: Arc<dyn TokenStore>) -> Self {
        TokenCache {
            key,
            margin_secs: DEFAULT_REFRESH_MARGIN_SECS,
            clock,
            store,
            state: tokio::sync::Mutex::new(State::default()),
            fetches_done: AtomicU64::new(0),
        }
    }

    /// The store key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// A valid token: the cached one, one from the store, or a new one from `fetch`. Concurrent
    /// callers share one `fetch`.
    pub async fn get<F, Fut>(&self, fetch: F) -> Result<AccessToken, WecomError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<FetchedToken, WecomError>>,
    {
        let seen = self.fetches_done.load(Ordering::SeqCst);
        let mut state = self.state.lock().await;
        let now = self.clock.now_unix();
        if let Some(entry) = &state.current {
            if now <= entry.refresh_at {
                return Ok(entry.token.clone());
            }
        }
        // A fetch failed while we were queued: share its error. Repeating it at once would only
        // multiply failing gettoken calls, and repeated bad-secret calls get the IP blocked.
        if let Some((number, err)) = &state.last_failure {
            if *number > seen {
                return Err(err.clone());
            }
        }

        if let Some(stored) = self.store.load(&self.key) {
            let is_rejected = state.rejected.as_ref() == Some(&stored.token);
            // The stale current token may still be in the store; it is stale by our own (better
            // informed) margin, so it must not be re-adopted with a freshly computed one.
            let is_stale_current = state.current.as_ref().is_some_and(|e| e.token == stored.token);
            let remaining = stored.expires_at_unix.saturating_sub(now);
            if !is_rejected && !is_stale_current && remaining > 0 && !stored.token.is_empty() {
                // The original lifetime is unknown for a stored token; what is left of it is a
                // lower bound, so the half-lifetime cap uses that.
                let refresh_at = stored.expires_at_unix - self.margin_for(remaining);
                if now <= refresh_at {
                    state.current = Some(Entry { token: stored.token.clone(), refresh_at });
                    return Ok(stored.token);
                }
            }
        }

        // The lifetime starts at WeCom when it answers; counting from before the request is the
        // conservative choice.
        let obtained_at = now;
        let result = fetch().await;
        let number = self.fetches_done.fetch_add(1, Ordering::SeqCst) + 1;
        let fetched = match result {
            Ok(fetched) => {
                state.last_failure = None;
                fetched
            }
            Err(err) => {
                state.last_failure = Some((number, err.clone()));
                return Err(err);
            }
        };
        let ttl = if fetched.expires_in > 0 { fetched.expires_in } else { DEFAULT_TOKEN_TTL_SECS };
        let expires_at = obtained_at.saturating_add(ttl);
        let refresh_at = expires_at - self.margin_for(ttl);
        self.store.save(&self.key, &StoredToken { token: fetched.token.clone(), expires_at_unix: expires_at });
        state.current = Some(Entry { token: fetched.token.clone(), refresh_at });
        Ok(fetched.token)
    }

    /// Drops `token` if it is still the current one (WeCom rejected it with 40014/42001).
    /// Returns whether anything was dropped.
    pub async fn invalidate(&self, token: &AccessToken) -> bool {
        let mut state = self.state.lock().await;
        state.rejected = Some(token.clone());
        // There is a window in which another replica replaces the stored token between our load
        // and clear; that replica's token is then fetched again once, which is harmless.
        if self.store.load(&self.key).is_some_and(|stored| &stored.token == token) {
            self.store.clear(&self.key);
        }
        if state.current.as_ref().is_some_and(|e| &e.token == token) {
            state.current = None;
            true
        } else {
            false
        }
    }

    fn margin_for(&self, ttl: i64) -> i64 {
        self.margin_secs.min(ttl / 2).max(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

    #[derive(Default)]
    struct FakeClock(AtomicI64);
    impl FakeClock {
        fn set(&self, t: i64) {
            self.0.store(t, Ordering::SeqCst);
        }
    }
    impl Clock for FakeClock {
        fn now_unix(&self) -> i64 {
            self.0.load(Ordering::SeqCst)
        }
    }

    struct Harness {
        clock: Arc<FakeClock>,
        store: Arc<MemoryTokenStore>,
        cache: Arc<TokenCache>,
        fetches: Arc<AtomicUsize>,
    }

    fn harness() -> Harness {
        let clock = Arc::new(FakeClock::default());
        clock.set(1_000_000);
        let store = Arc::new(MemoryTokenStore::new());
        let cache = Arc::new(TokenCache::new(store_key("ww123", 1000002), clock.clone(), store.clone()));
        Harness { clock, store, cache, fetches: Arc::new(AtomicUsize::new(0)) }
    }

    impl Harness {
        async fn get(&self, ttl: i64) -> Result<AccessToken, WecomError> {
            let fetches = self.fetches.clone();
            self.cache
                .get(|| async move {
                    let n = fetches.fetch_add(1, Ordering::SeqCst) + 1;
                    // Yield so that concurrent callers really overlap with the fetch.
                    tokio::task::yield_now().await;
                    Ok(FetchedToken { token: AccessToken::new(format!("T{n}")), expires_in: ttl })
                })
                .await
        }
        fn fetches(&self) -> usize {
            self.fetches.load(Ordering::SeqCst)
        }
    }

    #[tokio::test]
    async fn reuses_within_ttl_and_refreshes_near_expiry() {
        let h = harness();
        let t1 = h.get(7200).await.unwrap();
        assert_eq!(t1.expose(), "T1");
        h.clock.set(1_000_000 + 7200 - 300);
        assert_eq!(h.get(7200).await.unwrap().expose(), "T1");
        assert_eq!(h.fetches(), 1);
        h.clock.set(1_000_000 + 7200 - 299);
        assert_eq!(h.get(7200).await.unwrap().expose(), "T2");
        assert_eq!(h.fetches(), 2);
    }

    #[tokio::test]
    async fn margin_is_at_most_half_the_ttl() {
        let h = harness();
        h.get(100).await.unwrap();
        h.clock.set(1_000_000 + 50);
        assert_eq!(h.get(100).await.unwrap().expose(), "T1");
        h.clock.set(1_000_000 + 51);
        assert_eq!(h.get(100).await.unwrap().expose(), "T2");
    }

    #[tokio::test]
    async fn missing_expires_in_assumes_7200() {
        let h = harness();
        h.get(0).await.unwrap();
        h.clock.set(1_000_000 + 6000);
        assert_eq!(h.get(0).await.unwrap().expose(), "T1");
        assert_eq!(h.store.load(h.cache.key()).map(|s| s.expires_at_unix), Some(1_000_000 + 7200));
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_fetch() {
        let h = Arc::new(harness());
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let h = h.clone();
            tasks.push(tokio::spawn(async move { h.get(7200).await }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap().expose(), "T1");
        }
        assert_eq!(h.fetches(), 1);
    }

    #[tokio::test]
    async fn burst_of_42001_causes_one_refetch() {
        let h = Arc::new(harness());
        let stale = h.get(7200).await.unwrap();
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let h = h.clone();
            let stale = stale.clone();
            tasks.push(tokio::spawn(async move {
                h.cache.invalidate(&stale).await;
                h.get(7200).await
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap().expose(), "T2");
        }
        assert_eq!(h.fetches(), 2, "one initial fetch plus exactly one refetch");
        // A late invalidate of the old token does not drop the new one.
        assert!(!h.cache.invalidate(&stale).await);
        assert_eq!(h.get(7200).await.unwrap().expose(), "T2");
        assert_eq!(h.fetches(), 2);
    }

    #[tokio::test]
    async fn fetch_error_is_returned_and_nothing_cached() {
        let h = harness();
        let err = h
            .cache
            .get(|| async {
                Err(WecomError::Api { endpoint: "gettoken", errcode: 40001, errmsg: "invalid credential".into() })
            })
            .await;
        assert_eq!(err.err().and_then(|e| e.errcode()), Some(40001));
        assert!(h.store.load(h.cache.key()).is_none());
        assert_eq!(h.get(7200).await.unwrap().expose(), "T1");
    }

    #[tokio::test]
    async fn callers_queued_behind_a_failed_fetch_share_its_error() {
        let h = Arc::new(harness());
        let attempts = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let h = h.clone();
            let attempts = attempts.clone();
            tasks.push(tokio::spawn(async move {
                h.cache
                    .get(|| async move {
                        attempts.fetch_add(1, Ordering::SeqCst);
                        tokio::task::yield_now().await;
                        Err(WecomError::Api {
                            endpoint: "gettoken",
                            errcode: 40001,
                            errmsg: "invalid credential".into(),
                        })
                    })
                    .await
            }));
        }
        for t in tasks {
            let err = t.await.unwrap().unwrap_err();
            assert_eq!(err.errcode(), Some(40001));
        }
        // All ten queued while the first fetch was running, so none of them repeats it.
        assert_eq!(attempts.load(Ordering::SeqCst), 1);
        // A later call tries again.
        assert_eq!(h.get(7200).await.unwrap().expose(), "T1");
    }

    #[tokio::test]
    async fn store_round_trip_and_sharing() {
        let h = harness();
        assert_eq!(h.cache.key(), "ww123:1000002");
        let t1 = h.get(7200).await.unwrap();
        let stored = h.store.load("ww123:1000002").unwrap();
        assert_eq!(stored.token, t1);
        assert_eq!(stored.expires_at_unix, 1_000_000 + 7200);

        // A second cache (another replica) on the same store adopts the token without fetching.
        let other = TokenCache::new("ww123:1000002".into(), h.clock.clone(), h.store.clone());
        let got = other.get(|| async { panic!("must not fetch while the shared token is valid") }).await.unwrap();
        assert_eq!(got, t1);

        // Invalidating clears the store too, and the rejected token is never re-adopted.
        assert!(other.invalidate(&t1).await);
        assert!(h.store.load("ww123:1000002").is_none());
        h.store.save("ww123:1000002", &stored);
        let fresh =
            other.get(|| async { Ok(FetchedToken { token: AccessToken::new("R2"), expires_in: 7200 }) }).await.unwrap();
        assert_eq!(fresh.expose(), "R2");
        assert_eq!(h.store.load("ww123:1000002").unwrap().token.expose(), "R2");
    }

    #[tokio::test]
    async fn expired_stored_token_is_not_used() {
        let h = harness();
        h.store.save("ww123:1000002", &StoredToken { token: AccessToken::new("OLD"), expires_at_unix: 1_000_000 - 1 });
        assert_eq!(h.get(7200).await.unwrap().expose(), "T1");
        // A stored token close to expiry is used for half of what is left, then refreshed.
        h.store.save(
            "ww123:1000002",
            &StoredToken { token: AccessToken::new("SHORT"), expires_at_unix: 1_000_000 + 7200 + 100 },
        );
        h.clock.set(1_000_000 + 7200); // T1 is past its refresh point now
        assert_eq!(h.get(7200).await.unwrap().expose(), "SHORT");
        h.clock.set(1_000_000 + 7200 + 51);
        assert_eq!(h.get(7200).await.unwrap().expose(), "T2");
    }
}
