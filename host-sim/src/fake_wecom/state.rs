//! Everything one running fake holds, shared by the HTTP handlers and the in-process controls.
//! Only std mutexes, never held across an `.await`, so the synchronous controls can use them too.

use super::behaviour::Behaviour;
use super::credentials::{CodeBook, CodeSubject, TokenBook, TokenProblem};
use super::faults::{FaultBook, Faults, Verdict};
use super::lag::LagBook;
use super::lock;
use super::org::Org;
use super::stats::{RateLimiter, Stats};
use super::view::View;
use super::FakeConfig;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub(crate) struct Shared {
    pub config: FakeConfig,
    org: Mutex<Org>,
    /// Rebuilt lazily after an edit; `None` = stale.
    view: Mutex<Option<Arc<View>>>,
    tokens: Mutex<TokenBook>,
    codes: Mutex<CodeBook>,
    faults: Mutex<FaultBook>,
    behaviour: Mutex<Behaviour>,
    /// Members the directory does not show yet ([`super::DirectoryLag`]).
    pub lag: LagBook,
    pub stats: Stats,
    pub rate: RateLimiter,
}

impl Shared {
    pub fn new(org: Org, config: FakeConfig) -> Shared {
        Shared {
            rate: RateLimiter::new(config.rate_limit_per_min),
            config,
            org: Mutex::new(org),
            view: Mutex::new(None),
            tokens: Mutex::new(TokenBook::default()),
            codes: Mutex::new(CodeBook::default()),
            faults: Mutex::new(FaultBook::default()),
            behaviour: Mutex::new(Behaviour::default()),
            lag: LagBook::default(),
            stats: Stats::default(),
        }
    }

    /// The current organisation, indexed.
    pub fn view(&self) -> Arc<View> {
        let mut cached = lock(&self.view);
        if let Some(view) = cached.as_ref() {
            return Arc::clone(view);
        }
        let view = Arc::new(View::build(lock(&self.org).clone()));
        *cached = Some(Arc::clone(&view));
        view
    }

    pub fn with_org<R>(&self, f: impl FnOnce(&mut Org) -> R) -> R {
        // Hold the view lock across the edit so that no reader caches a half-old snapshot.
        let mut cached = lock(&self.view);
        let result = f(&mut lock(&self.org));
        *cached = None;
        result
    }

    pub fn issue_token(&self, agent_id: i64) -> (String, u64) {
        lock(&self.tokens).issue(agent_id, Duration::from_secs(self.config.token_ttl_secs), Instant::now())
    }

    pub fn check_token(&self, token: &str) -> Result<i64, TokenProblem> {
        lock(&self.tokens).check(token, Instant::now())
    }

    pub fn expire_all_tokens(&self) {
        lock(&self.tokens).expire_all(Instant::now());
    }

    pub fn invalidate_all_tokens(&self) {
        lock(&self.tokens).invalidate_all();
    }

    pub fn mint_code(&self, agent_id: i64, subject: CodeSubject) -> String {
        lock(&self.codes).mint(agent_id, subject, Duration::from_secs(self.config.code_ttl_secs), Instant::now())
    }

    pub fn mint_code_with_consent(&self, agent_id: i64, subject: CodeSubject, consented: bool) -> String {
        let ttl = Duration::from_secs(self.config.code_ttl_secs);
        lock(&self.codes).mint_with(agent_id, subject, consented, ttl, Instant::now())
    }

    pub fn redeem_code_with_consent(&self, code: &str, agent_id: i64) -> Option<(CodeSubject, bool)> {
        lock(&self.codes).redeem_with_consent(code, agent_id, Instant::now())
    }

    pub fn issue_ticket(&self, agent_id: i64, userid: &str) -> String {
        lock(&self.codes).issue_ticket(agent_id, userid, Instant::now())
    }

    pub fn check_ticket(&self, ticket: &str, agent_id: i64) -> Result<String, super::credentials::TicketProblem> {
        lock(&self.codes).check_ticket(ticket, agent_id, Instant::now())
    }

    pub fn issued(&self) -> super::IssuedCredentials {
        super::IssuedCredentials {
            access_tokens: lock(&self.tokens).issued(),
            oauth_codes: lock(&self.codes).issued(),
            ..Default::default()
        }
    }

    pub fn behaviour(&self) -> Behaviour {
        lock(&self.behaviour).clone()
    }

    pub fn set_behaviour(&self, behaviour: Behaviour) {
        *lock(&self.behaviour) = behaviour;
    }

    pub fn set_faults(&self, faults: Faults) {
        lock(&self.faults).set(faults);
    }

    /// What the faults in force make of one API call (counts it against every matching rule).
    pub fn fault_verdict(&self, endpoint: &str) -> Verdict {
        lock(&self.faults).verdict(endpoint)
    }
}
