//! Access tokens and OAuth codes: what WeCom issues, and how they stop working.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const TOKEN_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Random text in the character set of real tokens and codes (URL-safe base64).
pub(crate) fn random_text(len: usize) -> String {
    (0..len).map(|_| TOKEN_ALPHABET[fastrand::usize(..TOKEN_ALPHABET.len())] as char).collect()
}

/// Most recent tokens and codes remembered for [`IssuedCredentials`], per fake and per process.
const ISSUED_HISTORY: usize = 10_000;

/// Every access token and OAuth code a fake issued (the most recent 10 000 of each, oldest
/// first), expired, revoked and redeemed ones included. For tests that must prove these values
/// appear in no log line, error or report: they need the values to look for.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct IssuedCredentials {
    /// Tokens answered by `gettoken` (each once, however often it was returned again).
    pub access_tokens: Vec<String>,
    /// Codes minted for the login pages and `mint_code`.
    pub oauth_codes: Vec<String>,
    /// Callback Tokens the fake signs pushes with ([`super::CallbackPusher`]; process-wide only).
    pub callback_tokens: Vec<String>,
    /// Callback EncodingAESKeys the fake encrypts pushes with (process-wide only).
    pub callback_aes_keys: Vec<String>,
}

/// Counts only: the values are credentials.
impl std::fmt::Debug for IssuedCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedCredentials")
            .field("access_tokens", &self.access_tokens.len())
            .field("oauth_codes", &self.oauth_codes.len())
            .field("callback_tokens", &self.callback_tokens.len())
            .field("callback_aes_keys", &self.callback_aes_keys.len())
            .finish()
    }
}

/// A bounded record of issued values.
#[derive(Default)]
pub(crate) struct IssueLog(VecDeque<String>);

impl std::fmt::Debug for IssueLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IssueLog({} values)", self.0.len())
    }
}

impl IssueLog {
    const fn new() -> IssueLog {
        IssueLog(VecDeque::new())
    }

    fn push(&mut self, value: &str) {
        if self.0.len() >= ISSUED_HISTORY {
            self.0.pop_front();
        }
        self.0.push_back(value.to_owned());
    }

    pub fn values(&self) -> Vec<String> {
        self.0.iter().cloned().collect()
    }
}

/// Tokens and codes issued by every fake in this process: the fake started inside a
/// command (e.g. `demo::run`) is out of a test's reach, its credentials are not.
static PROCESS_TOKENS: Mutex<IssueLog> = Mutex::new(IssueLog::new());
static PROCESS_CODES: Mutex<IssueLog> = Mutex::new(IssueLog::new());
static PROCESS_CALLBACK_TOKENS: Mutex<IssueLog> = Mutex::new(IssueLog::new());
static PROCESS_CALLBACK_KEYS: Mutex<IssueLog> = Mutex::new(IssueLog::new());

/// Remembers a callback Token and EncodingAESKey the fake was given to push with.
pub(crate) fn record_callback_secrets(token: &str, encoding_aes_key: &str) {
    super::lock(&PROCESS_CALLBACK_TOKENS).push(token);
    super::lock(&PROCESS_CALLBACK_KEYS).push(encoding_aes_key);
}

/// Every token and code issued by any fake WeCom in this process (bounded as [`IssuedCredentials`]).
pub fn issued_in_this_process() -> IssuedCredentials {
    IssuedCredentials {
        access_tokens: super::lock(&PROCESS_TOKENS).values(),
        oauth_codes: super::lock(&PROCESS_CODES).values(),
        callback_tokens: super::lock(&PROCESS_CALLBACK_TOKENS).values(),
        callback_aes_keys: super::lock(&PROCESS_CALLBACK_KEYS).values(),
    }
}

/// `now + ttl`, capped: a configured ttl of `u64::MAX` means "never", not an overflow panic.
fn deadline(now: Instant, ttl: Duration) -> Instant {
    now.checked_add(ttl).or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 86_400))).unwrap_or(now)
}

#[derive(Debug, Clone)]
struct Token {
    agent_id: i64,
    expires_at: Instant,
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenProblem {
    /// 40014: never issued, mangled, or revoked early.
    Unknown,
    /// 42001.
    Expired,
}

/// Tokens issued so far. Expired ones are kept (bounded) so that a late caller gets 42001
/// rather than 40014, as from the real service.
#[derive(Debug, Default)]
pub(crate) struct TokenBook {
    tokens: HashMap<String, Token>,
    issued: IssueLog,
}

/// Expired tokens remembered for 42001 answers; older ones fall back to 40014.
const MAX_DEAD_TOKENS: usize = 1000;

impl TokenBook {
    /// The app's live token, or a new one. Old doc 91039: "有效期内重复获取返回相同结果".
    /// Returns the token and the seconds it has left.
    pub fn issue(&mut self, agent_id: i64, ttl: Duration, now: Instant) -> (String, u64) {
        let live = self
            .tokens
            .iter()
            .filter(|(_, t)| t.agent_id == agent_id && t.expires_at > now)
            .max_by_key(|(_, t)| t.expires_at);
        if let Some((token, t)) = live {
            let left = t.expires_at - now;
            // Round up so a fresh token reports the full lifetime (7200, not 7199).
            let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
            return (token.clone(), secs);
        }
        self.prune(now);
        let token = random_text(128);
        self.issued.push(&token);
        super::lock(&PROCESS_TOKENS).push(&token);
        self.tokens.insert(token.clone(), Token { agent_id, expires_at: deadline(now, ttl) });
        (token, ttl.as_secs())
    }

    /// Every token issued by this book, oldest first (bounded).
    pub fn issued(&self) -> Vec<String> {
        self.issued.values()
    }

    pub fn check(&self, token: &str, now: Instant) -> Result<i64, TokenProblem> {
        match self.tokens.get(token) {
            None => Err(TokenProblem::Unknown),
            Some(t) if t.expires_at <= now => Err(TokenProblem::Expired),
            Some(t) => Ok(t.agent_id),
        }
    }

    pub fn expire_all(&mut self, now: Instant) {
        for t in self.tokens.values_mut() {
            t.expires_at = t.expires_at.min(now);
        }
    }

    pub fn invalidate_all(&mut self) {
        self.tokens.clear();
    }

    fn prune(&mut self, now: Instant) {
        let mut dead: Vec<(Instant, String)> =
            self.tokens.iter().filter(|(_, t)| t.expires_at <= now).map(|(k, t)| (t.expires_at, k.clone())).collect();
        if dead.len() <= MAX_DEAD_TOKENS {
            return;
        }
        dead.sort();
        let excess = dead.len() - MAX_DEAD_TOKENS;
        for (_, key) in dead.into_iter().take(excess) {
            self.tokens.remove(&key);
        }
    }
}

/// Who tapped: a corp member, or a WeChat user outside the corp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CodeSubject {
    Member(String),
    NonMember(String),
}

#[derive(Debug, Clone)]
struct Code {
    agent_id: i64,
    subject: CodeSubject,
    /// Minted by the in-client page with `snsapi_privateinfo`: the member consented to share
    /// mobile and email, so the exchange also gives a `user_ticket`.
    consented: bool,
    expires_at: Instant,
}

/// A `user_ticket` (`auth/getuserinfo` of a consented login), for `auth/getuserdetail`.
#[derive(Debug, Clone)]
struct Ticket {
    agent_id: i64,
    userid: String,
    expires_at: Instant,
}

/// Why a `user_ticket` was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TicketProblem {
    /// 84015: never issued, or issued to another app.
    Invalid,
    /// 84014.
    Expired,
}

/// How long a `user_ticket` lives (WeCom: 1800 s).
pub(crate) const TICKET_TTL: Duration = Duration::from_secs(1800);

/// OAuth codes minted by the simulator and consumed by `auth/getuserinfo`.
#[derive(Debug, Default)]
pub(crate) struct CodeBook {
    codes: HashMap<String, Code>,
    tickets: HashMap<String, Ticket>,
    issued: IssueLog,
}

impl CodeBook {
    pub fn mint(&mut self, agent_id: i64, subject: CodeSubject, ttl: Duration, now: Instant) -> String {
        self.mint_with(agent_id, subject, false, ttl, now)
    }

    /// As [`CodeBook::mint`]; `consented` when the member agreed to share mobile and email.
    pub fn mint_with(
        &mut self,
        agent_id: i64,
        subject: CodeSubject,
        consented: bool,
        ttl: Duration,
        now: Instant,
    ) -> String {
        // Unconsumed codes die after their ttl anyway; dropping them keeps a long benchmark flat.
        self.codes.retain(|_, c| c.expires_at > now);
        let code = random_text(43);
        self.issued.push(&code);
        super::lock(&PROCESS_CODES).push(&code);
        self.codes.insert(code.clone(), Code { agent_id, subject, consented, expires_at: deadline(now, ttl) });
        code
    }

    /// A `user_ticket` for a consented member's login (recorded with the codes: it is a credential).
    pub fn issue_ticket(&mut self, agent_id: i64, userid: &str, now: Instant) -> String {
        self.tickets.retain(|_, t| t.expires_at > now);
        let ticket = random_text(43);
        self.issued.push(&ticket);
        super::lock(&PROCESS_CODES).push(&ticket);
        self.tickets.insert(
            ticket.clone(),
            Ticket { agent_id, userid: userid.to_owned(), expires_at: deadline(now, TICKET_TTL) },
        );
        ticket
    }

    /// The member a `user_ticket` was issued for, when the app is the one it was issued to.
    pub fn check_ticket(&self, ticket: &str, agent_id: i64, now: Instant) -> Result<String, TicketProblem> {
        let found = self.tickets.get(ticket).filter(|t| t.agent_id == agent_id).ok_or(TicketProblem::Invalid)?;
        if found.expires_at <= now {
            return Err(TicketProblem::Expired);
        }
        Ok(found.userid.clone())
    }

    /// Every code minted by this book, oldest first (bounded), redeemed ones included.
    pub fn issued(&self) -> Vec<String> {
        self.issued.values()
    }

    /// Consumes a code for an app. A code from another app's context stays usable by that app.
    #[cfg(test)]
    pub fn redeem(&mut self, code: &str, agent_id: i64, now: Instant) -> Option<CodeSubject> {
        self.redeem_with_consent(code, agent_id, now).map(|(subject, _)| subject)
    }

    /// As [`CodeBook::redeem`], with whether the member consented to share mobile and email.
    pub fn redeem_with_consent(&mut self, code: &str, agent_id: i64, now: Instant) -> Option<(CodeSubject, bool)> {
        let found = self.codes.get(code)?;
        if found.agent_id != agent_id {
            return None;
        }
        let found = self.codes.remove(code)?;
        (found.expires_at > now).then_some((found.subject, found.consented))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_token_is_reused_and_an_expired_one_replaced() {
        let mut book = TokenBook::default();
        let now = Instant::now();
        let ttl = Duration::from_secs(7200);
        let (a, secs) = book.issue(7, ttl, now);
        assert_eq!(secs, 7200);
        assert!(a.len() >= 64);
        assert_eq!(book.issue(7, ttl, now + Duration::from_secs(10)).0, a);
        assert_ne!(book.issue(8, ttl, now).0, a, "per app");
        book.expire_all(now);
        assert_eq!(book.check(&a, now), Err(TokenProblem::Expired));
        let (b, _) = book.issue(7, ttl, now);
        assert_ne!(a, b);
        assert_eq!(book.check(&b, now), Ok(7));
        book.invalidate_all();
        assert_eq!(book.check(&b, now), Err(TokenProblem::Unknown));
    }

    #[test]
    fn an_endless_ttl_does_not_overflow() {
        let mut book = TokenBook::default();
        let now = Instant::now();
        let (token, _) = book.issue(1, Duration::from_secs(u64::MAX), now);
        assert_eq!(book.check(&token, now + Duration::from_secs(86_400)), Ok(1));
    }

    #[test]
    fn issued_values_are_remembered_once_and_bounded() {
        let mut tokens = TokenBook::default();
        let mut codes = CodeBook::default();
        let now = Instant::now();
        let ttl = Duration::from_secs(7200);
        let (a, _) = tokens.issue(7, ttl, now);
        assert_eq!(tokens.issue(7, ttl, now).0, a, "a live token is returned again");
        tokens.invalidate_all();
        let (b, _) = tokens.issue(7, ttl, now);
        assert_eq!(tokens.issued(), vec![a.clone(), b.clone()], "revoked ones are still listed, each once");
        let c = codes.mint(7, CodeSubject::Member("a".into()), ttl, now);
        assert!(codes.redeem(&c, 7, now).is_some());
        assert_eq!(codes.issued(), vec![c.clone()], "redeemed codes are still listed");
        let process = issued_in_this_process();
        assert!(process.access_tokens.contains(&a) && process.access_tokens.contains(&b));
        assert!(process.oauth_codes.contains(&c));
        let mut log = IssueLog::new();
        for i in 0..ISSUED_HISTORY + 5 {
            log.push(&i.to_string());
        }
        let kept = log.values();
        assert_eq!((kept.len(), kept[0].as_str()), (ISSUED_HISTORY, "5"), "oldest dropped first");
        let shown = format!("{process:?} {log:?}");
        assert!(!shown.contains(&a) && !shown.contains(&c), "Debug prints counts only: {shown}");
    }

    #[test]
    fn codes_are_single_use_per_app_and_expire() {
        let mut book = CodeBook::default();
        let now = Instant::now();
        let ttl = Duration::from_secs(300);
        let c = book.mint(1, CodeSubject::Member("a".into()), ttl, now);
        assert_eq!(book.redeem(&c, 2, now), None, "another app's code");
        assert_eq!(book.redeem(&c, 1, now), Some(CodeSubject::Member("a".into())));
        assert_eq!(book.redeem(&c, 1, now), None, "used");
        let late = book.mint(1, CodeSubject::NonMember("o".into()), ttl, now);
        assert_eq!(book.redeem(&late, 1, now + ttl), None, "expired");
    }
}
