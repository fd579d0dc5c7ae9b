//! Platform state: the plugin instance, the store, and login sessions. A login `state` is bound to
//! the browser session that started the login, used once, and expires.

use crate::host::callbacks::Follower;
use crate::store::Store;
use interface::{LoginOutcome, PluginBox, ScopeSelection};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The file WeCom fetches to verify the trusted domain (`WW_verify_<code>.txt`), as the admin
/// downloaded it from the WeCom console.
#[derive(Clone, Debug)]
pub struct VerifyFile {
    /// File name, e.g. `WW_verify_abc123.txt`.
    pub name: String,
    /// Its content.
    pub content: String,
}

/// One browser session's pending login.
#[derive(Debug, Clone)]
struct PendingLogin {
    state: String,
    started: Instant,
}

/// A member asked to prove a platform account: who (as WeCom said at login), which accounts the
/// plugin offered (only those are checked), since when (the WeCom login; never extended), the
/// form's anti-forgery token, and the wrong passwords given so far.
#[derive(Clone)]
struct PendingProof {
    member: LoginOutcome,
    offered: Vec<String>,
    since: Instant,
    token: String,
    failures: u32,
}

impl std::fmt::Debug for PendingProof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingProof")
            .field("userid", &self.member.userid)
            .field("offered", &self.offered)
            .field("failures", &self.failures)
            .field("token", &"***")
            .finish()
    }
}

/// What the password endpoint needs of a pending proof.
#[derive(Clone)]
pub struct ProofTicket {
    /// The member, as WeCom said at login.
    pub member: LoginOutcome,
    /// The accounts offered to the member.
    pub offered: Vec<String>,
    /// When the member logged in with WeCom.
    pub since: Instant,
    token: String,
}

impl ProofTicket {
    /// True when `given` is this proof's form token (constant time).
    pub fn token_matches(&self, given: &str) -> bool {
        constant_time_eq(self.token.as_bytes(), given.as_bytes())
    }
}

/// Why a session has no pending proof to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofProblem {
    /// None was asked (or it ended).
    Missing,
    /// The WeCom login it came from is older than [`LoginSessions::PROOF_WINDOW`]: the member
    /// logs in with WeCom again (which re-reads their status). The proof is dropped.
    Stale,
}

/// A wrong password given to a pending proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofFailure {
    /// Wrong; the member may try again.
    Wrong,
    /// That was the last allowed one: the pending proof ended.
    Ended,
}

/// One session the server issued: before login it carries the pending login (and, while the
/// plugin asks the member to prove an account, the member), after it the account.
#[derive(Debug, Clone)]
struct SessionEntry {
    created: Instant,
    last_seen: Instant,
    pending: Option<PendingLogin>,
    awaiting_proof: Option<PendingProof>,
    account: Option<String>,
}

impl SessionEntry {
    fn new(now: Instant) -> SessionEntry {
        SessionEntry { created: now, last_seen: now, pending: None, awaiting_proof: None, account: None }
    }
}

/// How long sessions live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    /// A signed-in session unused this long is signed out.
    pub idle: Duration,
    /// A signed-in session is signed out this long after the login, used or not.
    pub absolute: Duration,
    /// Sessions held at most (pending logins included); past it, expired ones are dropped and
    /// then new logins are refused until some expire.
    pub max_sessions: usize,
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits {
            idle: Duration::from_secs(30 * 60),
            absolute: Duration::from_secs(8 * 3600),
            max_sessions: 100_000,
        }
    }
}

/// Login sessions. Only ids this server issued are accepted: a login starts a fresh session
/// whatever cookie the browser sent, and signing in replaces that id with another one (no
/// fixation). A signed-in session ends after [`SessionLimits::idle`] without use, after
/// [`SessionLimits::absolute`] in any case, at logout, and when its account is disabled or
/// unbound.
pub struct LoginSessions {
    limits: SessionLimits,
    sessions: Mutex<HashMap<String, SessionEntry>>,
    /// Wrong passwords per platform account across sessions: (count, first in this window).
    account_failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl Default for LoginSessions {
    fn default() -> Self {
        LoginSessions::with_limits(SessionLimits::default())
    }
}

/// Why a callback's state was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateProblem {
    /// No session cookie, or no login started in this session.
    NoSession,
    /// The state does not match the one issued to this session (forged or from another session).
    Mismatch,
    /// The state was already used, or expired.
    Expired,
    /// No state in the callback.
    Missing,
}

/// Too many sessions are open to start another login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("会话过多，请稍后再试 / too many sessions, try again later")]
pub struct SessionsFull;

impl LoginSessions {
    /// How long a started login may take.
    pub const TTL: Duration = Duration::from_secs(600);
    /// How long after the WeCom login a pending proof may be answered. Never extended by an
    /// answer: past it the member logs in with WeCom again, so a status change there (disabled,
    /// left) is seen before any binding is made.
    pub const PROOF_WINDOW: Duration = Duration::from_secs(300);
    /// Wrong passwords one pending proof accepts; the last one ends it.
    pub const MAX_PROOF_FAILURES: u32 = 5;
    /// Wrong passwords one platform account accepts across all sessions within
    /// [`Self::ACCOUNT_COOLDOWN`]; past it the account's password is not checked until the window ends.
    pub const MAX_ACCOUNT_FAILURES: u32 = 10;
    /// The per-account window and cool-down.
    pub const ACCOUNT_COOLDOWN: Duration = Duration::from_secs(900);

    /// Sessions with these limits.
    pub fn with_limits(limits: SessionLimits) -> LoginSessions {
        LoginSessions { limits, sessions: Mutex::new(HashMap::new()), account_failures: Mutex::new(HashMap::new()) }
    }

    /// The limits in force.
    pub fn limits(&self) -> SessionLimits {
        self.limits
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, SessionEntry>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn alive(&self, entry: &SessionEntry, now: Instant) -> bool {
        let awaiting = entry.awaiting_proof.as_ref().is_some_and(|p| now.duration_since(p.since) < Self::PROOF_WINDOW);
        match (&entry.account, &entry.pending) {
            (Some(_), _) => {
                now.duration_since(entry.last_seen) < self.limits.idle
                    && now.duration_since(entry.created) < self.limits.absolute
            }
            (None, Some(p)) => now.duration_since(p.started) < Self::TTL || awaiting,
            // A login whose state was used: alive while the decision may still need it.
            (None, None) => awaiting || now.duration_since(entry.last_seen) < Self::TTL,
        }
    }

    /// Starts a login in a new session; returns (session id, state). Any id the browser sent is
    /// ignored: ids come only from here.
    pub fn begin(&self) -> Result<(String, String), SessionsFull> {
        let now = Instant::now();
        let mut sessions = self.lock();
        if sessions.len() >= self.limits.max_sessions {
            sessions.retain(|_, e| self.alive(e, now));
            if sessions.len() >= self.limits.max_sessions {
                return Err(SessionsFull);
            }
        }
        let id = random_token(32);
        let state = random_token(32);
        let mut entry = SessionEntry::new(now);
        entry.pending = Some(PendingLogin { state: state.clone(), started: now });
        sessions.insert(id.clone(), entry);
        Ok((id, state))
    }

    /// Checks and consumes the state of `session`: one use only.
    pub fn finish(&self, session: Option<&str>, state: Option<&str>) -> Result<(), StateProblem> {
        let state = state.filter(|s| !s.is_empty()).ok_or(StateProblem::Missing)?;
        let session = session.ok_or(StateProblem::NoSession)?;
        let mut sessions = self.lock();
        let Some(p) = sessions.get(session).and_then(|e| e.pending.clone()) else {
            return Err(StateProblem::NoSession);
        };
        if !constant_time_eq(p.state.as_bytes(), state.as_bytes()) {
            return Err(StateProblem::Mismatch);
        }
        let fresh = p.started.elapsed() < Self::TTL;
        // The state is used up; the session stays for what the login may still need (a password
        // proof, the consent hop) and is dropped when it expires or signs in under a new id.
        if let Some(entry) = sessions.get_mut(session) {
            entry.pending = None;
            entry.last_seen = Instant::now();
        }
        if fresh {
            Ok(())
        } else {
            Err(StateProblem::Expired)
        }
    }

    /// A new state for a pre-login session this server issued (the consent hop: the same login
    /// goes through WeCom's page once more). `None` for an id it never issued.
    pub fn restart(&self, session: &str) -> Option<String> {
        let now = Instant::now();
        let mut sessions = self.lock();
        let entry = sessions.get_mut(session).filter(|e| e.account.is_none())?;
        let state = random_token(32);
        entry.pending = Some(PendingLogin { state: state.clone(), started: now });
        Some(state)
    }

    /// Keeps the member of a pre-login session who must prove one of `offered` next; `since` is
    /// the WeCom login it follows (an answer that asks again keeps it). Returns the form's token.
    pub fn await_proof(
        &self,
        session: &str,
        member: LoginOutcome,
        offered: Vec<String>,
        since: Instant,
    ) -> Option<String> {
        let mut sessions = self.lock();
        let entry = sessions.get_mut(session).filter(|e| e.account.is_none())?;
        let failures = entry.awaiting_proof.as_ref().map_or(0, |p| p.failures);
        let token = random_token(32);
        entry.awaiting_proof = Some(PendingProof { member, offered, since, token: token.clone(), failures });
        Some(token)
    }

    /// The pending proof of a session, while its WeCom login is recent enough (a stale one is dropped).
    pub fn pending_proof(&self, session: &str) -> Result<ProofTicket, ProofProblem> {
        let mut sessions = self.lock();
        let entry = sessions.get_mut(session).ok_or(ProofProblem::Missing)?;
        let p = entry.awaiting_proof.as_ref().ok_or(ProofProblem::Missing)?;
        if p.since.elapsed() >= Self::PROOF_WINDOW {
            entry.awaiting_proof = None;
            return Err(ProofProblem::Stale);
        }
        Ok(ProofTicket { member: p.member.clone(), offered: p.offered.clone(), since: p.since, token: p.token.clone() })
    }

    /// Counts a wrong password (or an account not offered) against the session's pending proof,
    /// and against `account` across sessions when it is one of those offered.
    pub fn proof_failed(&self, session: &str, account: Option<&str>) -> ProofFailure {
        if let Some(account) = account {
            let now = Instant::now();
            let mut failures = self.account_failures.lock().unwrap_or_else(PoisonError::into_inner);
            failures.retain(|_, (_, first)| now.duration_since(*first) < Self::ACCOUNT_COOLDOWN);
            failures.entry(account.to_string()).or_insert((0, now)).0 += 1;
        }
        let mut sessions = self.lock();
        let Some(p) = sessions.get_mut(session).and_then(|e| e.awaiting_proof.as_mut()) else {
            return ProofFailure::Ended;
        };
        p.failures += 1;
        if p.failures >= Self::MAX_PROOF_FAILURES {
            if let Some(e) = sessions.get_mut(session) {
                e.awaiting_proof = None;
            }
            return ProofFailure::Ended;
        }
        ProofFailure::Wrong
    }

    /// True while `account` had too many wrong passwords across sessions to be checked again.
    pub fn account_locked(&self, account: &str) -> bool {
        let failures = self.account_failures.lock().unwrap_or_else(PoisonError::into_inner);
        failures
            .get(account)
            .is_some_and(|(n, first)| *n >= Self::MAX_ACCOUNT_FAILURES && first.elapsed() < Self::ACCOUNT_COOLDOWN)
    }

    /// Drops a session's pending proof (done, or declined).
    pub fn proof_done(&self, session: &str) {
        if let Some(entry) = self.lock().get_mut(session) {
            entry.awaiting_proof = None;
        }
    }

    /// Ages a session (tests of expiry): its pending login, its login and its last use.
    pub fn age(&self, session: &str, by: Duration) {
        if let Some(e) = self.lock().get_mut(session) {
            if let Some(p) = e.pending.as_mut() {
                p.started = p.started.checked_sub(by).unwrap_or(p.started);
            }
            e.created = e.created.checked_sub(by).unwrap_or(e.created);
            e.last_seen = e.last_seen.checked_sub(by).unwrap_or(e.last_seen);
            if let Some(p) = e.awaiting_proof.as_mut() {
                p.since = p.since.checked_sub(by).unwrap_or(p.since);
            }
        }
    }

    /// Signs `account_id` in under a new session id, which it returns; the id the login was
    /// started under is dropped (whoever knew it learns nothing).
    pub fn sign_in(&self, previous: &str, account_id: &str) -> String {
        let now = Instant::now();
        let mut sessions = self.lock();
        sessions.remove(previous);
        let id = random_token(32);
        let mut entry = SessionEntry::new(now);
        entry.account = Some(account_id.to_string());
        sessions.insert(id.clone(), entry);
        id
    }

    /// The account signed in for a session, if it is still valid (and marks it used). An expired
    /// session is dropped.
    pub fn account(&self, session: &str) -> Option<String> {
        let now = Instant::now();
        let mut sessions = self.lock();
        let entry = sessions.get(session)?;
        entry.account.as_ref()?;
        if !self.alive(entry, now) {
            sessions.remove(session);
            return None;
        }
        let entry = sessions.get_mut(session)?;
        entry.last_seen = now;
        entry.account.clone()
    }

    /// Ends one session (logout).
    pub fn sign_out(&self, session: &str) -> bool {
        self.lock().remove(session).is_some()
    }

    /// Signs every session of an account out (the member left, or the account was disabled).
    pub fn sign_out_account(&self, account_id: &str) {
        self.lock().retain(|_, e| e.account.as_deref() != Some(account_id));
    }

    /// Sessions held (pending logins included).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when no session is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What the platform server needs.
pub struct Platform {
    /// This platform's base URL (`http://127.0.0.1:PORT`).
    pub base_url: String,
    /// The configured plugin instance.
    pub plugin: Arc<PluginBox>,
    /// The store.
    pub store: Arc<Mutex<Store>>,
    /// Login sessions (shared with the follower, which signs leavers out).
    pub sessions: Arc<LoginSessions>,
    /// The synced scope when the store holds none (the plugin refuses members outside it).
    pub scope: ScopeSelection,
    /// The trusted-domain verification file, if the admin uploaded one.
    pub verify_file: Option<VerifyFile>,
    /// Applies contact changes after their callback was answered, and runs the reconcile.
    pub follower: Arc<Follower>,
    /// What the server allows its clients.
    pub limits: super::ServerLimits,
}

impl Platform {
    /// The OAuth redirect URL.
    pub fn redirect_url(&self) -> String {
        format!("{}/oauth/wecom/callback", self.base_url)
    }
}

/// A random alphanumeric token (WeCom carries only `a-zA-Z0-9` in `state` intact), from the
/// operating system's CSPRNG (`getrandom`): session ids, login states and form tokens must not be
/// predictable from earlier ones, which a fast PRNG such as `fastrand` (wyrand) does not promise.
/// Bytes at or above 248 (= 4 × 62) are redrawn so every character is equally likely.
pub fn random_token(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        if getrandom::getrandom(&mut buf).is_err() {
            // No OS randomness: never hand out a guessable id.
            panic!("操作系统随机数不可用 / the OS random source failed");
        }
        for b in buf.iter().filter(|b| **b < 248) {
            if out.len() == len {
                break;
            }
            out.push(ALPHABET[usize::from(*b) % ALPHABET.len()] as char);
        }
    }
    out
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_alphanumeric_of_the_length_asked_and_distinct() {
        let tokens: std::collections::HashSet<String> = (0..1000).map(|_| random_token(32)).collect();
        assert_eq!(tokens.len(), 1000);
        assert!(tokens.iter().all(|t| t.len() == 32 && t.chars().all(|c| c.is_ascii_alphanumeric())));
        assert_eq!(random_token(100).len(), 100, "more than one buffer's worth");
    }

    #[test]
    fn a_state_is_bound_to_its_session_used_once_and_expires() {
        let s = LoginSessions::default();
        let (a, state) = s.begin().expect("begin");
        let (b, _) = s.begin().expect("begin");
        assert_ne!(a, b);
        assert_eq!(s.finish(Some(&b), Some(&state)), Err(StateProblem::Mismatch), "another session's state");
        assert_eq!(s.finish(Some("sid-never-issued"), Some(&state)), Err(StateProblem::NoSession));
        assert_eq!(s.finish(Some(&a), Some("forged")), Err(StateProblem::Mismatch));
        assert_eq!(s.finish(Some(&a), None), Err(StateProblem::Missing));
        assert_eq!(s.finish(Some(&a), Some(&state)), Ok(()));
        assert_eq!(s.finish(Some(&a), Some(&state)), Err(StateProblem::NoSession), "replayed");
        let (c, state) = s.begin().expect("begin");
        s.age(&c, LoginSessions::TTL + Duration::from_secs(1));
        assert_eq!(s.finish(Some(&c), Some(&state)), Err(StateProblem::Expired));
    }

    #[test]
    fn signing_in_issues_a_new_id_and_sessions_expire() {
        let s = LoginSessions::with_limits(SessionLimits {
            idle: Duration::from_secs(60),
            absolute: Duration::from_secs(600),
            max_sessions: 2,
        });
        let (pre, _) = s.begin().expect("begin");
        let sid = s.sign_in(&pre, "u-1");
        assert_ne!(sid, pre);
        assert_eq!(s.account(&pre), None, "the pre-login id is gone");
        assert_eq!(s.account(&sid).as_deref(), Some("u-1"));
        s.age(&sid, Duration::from_secs(61));
        assert_eq!(s.account(&sid), None, "idle");
        let sid = s.sign_in("x", "u-1");
        for _ in 0..12 {
            s.age(&sid, Duration::from_secs(50));
            // Used just now, so never idle; the absolute limit still ends it.
            if s.account(&sid).is_none() {
                break;
            }
            if let Some(e) = s.lock().get_mut(&sid) {
                e.last_seen = Instant::now();
            }
        }
        assert_eq!(s.account(&sid), None, "absolute");
        let _ = s.begin().expect("one");
        let _ = s.begin().expect("two");
        assert_eq!(s.begin(), Err(SessionsFull), "bounded");
        let sid = s.sign_in("y", "u-2");
        assert!(s.sign_out(&sid));
        assert_eq!(s.account(&sid), None, "logged out");
    }
}
