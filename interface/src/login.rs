use crate::{ext_keys, PluginError, ScopeSelection, SecretString, Text};
use crate::{Binding, ChangePolicy, ChangeSet, Evidence, Extensions, MemberStatus, PersonalData, PlatformAccount};
use abi_stable::{
    std_types::{ROption, RString, RVec},
    StableAbi,
};
use serde::{Deserialize, Serialize};

crate::open_enum! {
    /// Which WeCom login page to send the member to. A value the plugin does not know is refused.
    pub enum LoginMode {
        /// Decide from the User-Agent: inside the WeCom client web authorization, else web login.
        Auto = 0 => "auto",
        /// Inside the WeCom client: the OAuth page (网页授权), `snsapi_base` or, with consent,
        /// `snsapi_privateinfo`.
        InClient = 1 => "in_client",
        /// In a desktop browser: QR code / desktop-client login (`wwlogin/sso/login`).
        WebLogin = 2 => "web_login",
    }
}

impl Default for LoginMode {
    fn default() -> Self {
        LoginMode::Auto
    }
}

/// Asks for the URL that starts a login.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthorizeRequest {
    /// Where WeCom sends the member back (its host must be the app's trusted domain, or for a
    /// browser login the web-login domain).
    pub redirect_url: RString,
    /// The CSRF state the host generated and keeps (a-z, A-Z, 0-9, at most 128 bytes).
    pub state: RString,
    /// Which login page; `Auto` decides from `user_agent`.
    pub mode: LoginMode,
    /// The member's browser User-Agent (for `Auto`).
    pub user_agent: RString,
    /// Ask for the member's consent to share mobile and email (`snsapi_privateinfo`, in-client
    /// only): the second hop, when `decide_login` answered `needs: consent`.
    pub consent: bool,
    /// Fields added in later 0.2.x releases.
    #[serde(skip_serializing_if = "Extensions::is_empty")]
    pub ext: Extensions,
}

/// The URL to redirect the member's browser to.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizeUrl {
    /// Full authorize URL.
    pub url: RString,
    /// The mode it was built for (never `Auto`).
    pub mode: LoginMode,
    /// Fields added in later 0.2.x releases.
    #[serde(default, skip_serializing_if = "Extensions::is_empty")]
    pub ext: Extensions,
}

/// The code WeCom returned to the redirect URL, to exchange for the member.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LoginRequest {
    /// The `code` query parameter (single use, five minutes).
    pub code: SecretString,
    /// Fields added in later 0.2.x releases.
    #[serde(skip_serializing_if = "Extensions::is_empty")]
    pub ext: Extensions,
}

/// Who came back from WeCom: the member behind the code, as WeCom says now. Not a sign-in:
/// the host passes it to `decide_login` with what it stores about the member.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LoginOutcome {
    /// WeCom userid.
    pub userid: RString,
    /// Display name.
    pub name: RString,
    /// Status as re-checked at login (`user/get`).
    pub status: MemberStatus,
    /// Department ids the app may see.
    pub department_ids: RVec<u32>,
    /// True when the member consented to share mobile and email (`snsapi_privateinfo`) and
    /// WeCom answered `auth/getuserdetail`; `mobile` and `email` are then what WeCom knows
    /// (either may still be empty).
    pub consented: bool,
    /// The consented mobile (personal data).
    pub mobile: PersonalData,
    /// The consented email (personal data).
    pub email: PersonalData,
    /// Fields added in later 0.2.x releases.
    #[serde(skip_serializing_if = "Extensions::is_empty")]
    pub ext: Extensions,
}

/// What the platform itself proved about the member during this login.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LoginProof {
    /// The account whose platform password the member just entered correctly (the host ran
    /// its own credential check); empty when none.
    pub password_account_id: RString,
    /// The member declined the account `decide_login` named ("this is not my account").
    pub not_mine_account_id: RString,
}

/// What the host knows about the member who came back from WeCom, for `decide_login`.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LoginFacts {
    /// The member, from `oauth_login`.
    pub member: LoginOutcome,
    /// The synced scope as the host stores it. Empty: nothing synced yet, nobody signs in.
    pub scope: ScopeSelection,
    /// For a department scope: the WeCom ids of every department the platform mirrors for it.
    pub scope_department_ids: RVec<u32>,
    /// True when the host's mirror of the synced scope lists this member (last sync, callbacks).
    /// It wins over `scope`: a member the host lists is in scope whatever their live departments.
    pub member_synced: bool,
    /// The member's binding, when there is one.
    pub binding: ROption<Binding>,
    /// The bound account as stored, when there is one.
    pub account: ROption<PlatformAccount>,
    /// The accounts the last binding table offered the member (an ambiguous, skipped or spacing
    /// row's candidates; a name match's proposed account and the alternatives listed beside it)
    /// that are still enabled and held by no binding. A member without a binding may prove one of
    /// them; a member with a binding is offered them only after saying the bound account is not
    /// theirs (`LoginProof::not_mine_account_id`). A host that passes none for a bound member (as
    /// before 0.2.x) only loses those alternatives.
    pub candidates: RVec<PlatformAccount>,
    /// What the platform proved in this login.
    pub proof: LoginProof,
    /// The host's policy (`new_members` decides what "not mine" leads to).
    pub policy: ChangePolicy,
    /// Fields added in later 0.2.x releases: [`ext_keys::DECLINE_CANDIDATES`],
    /// [`ext_keys::DECLINED_ACCOUNT_IDS`], [`ext_keys::OFFERED_ACCOUNTS_HELD`].
    #[serde(skip_serializing_if = "Extensions::is_empty")]
    pub ext: Extensions,
}

impl LoginFacts {
    /// The member answered "none of these is mine" to the candidates they were offered
    /// ([`ext_keys::DECLINE_CANDIDATES`]).
    pub fn declines_candidates(&self) -> bool {
        self.ext.get(ext_keys::DECLINE_CANDIDATES).unwrap_or(false)
    }

    /// Sets [`LoginFacts::declines_candidates`].
    pub fn set_declines_candidates(&mut self, declines: bool) {
        self.ext.set(ext_keys::DECLINE_CANDIDATES, &declines);
    }

    /// The accounts this member declined at an earlier login, as the host recorded them
    /// ([`ext_keys::DECLINED_ACCOUNT_IDS`]); never offered to them again.
    pub fn declined_account_ids(&self) -> Vec<String> {
        self.ext.get(ext_keys::DECLINED_ACCOUNT_IDS).unwrap_or_default()
    }

    /// Sets [`LoginFacts::declined_account_ids`].
    pub fn set_declined_account_ids(&mut self, ids: &[String]) {
        self.ext.set(ext_keys::DECLINED_ACCOUNT_IDS, &ids);
    }

    /// How many accounts the last binding table offered this member are now held by another
    /// member's binding ([`ext_keys::OFFERED_ACCOUNTS_HELD`]); 0 when the host does not say.
    pub fn offered_accounts_held(&self) -> u64 {
        self.ext.get(ext_keys::OFFERED_ACCOUNTS_HELD).unwrap_or(0)
    }

    /// Sets [`LoginFacts::offered_accounts_held`].
    pub fn set_offered_accounts_held(&mut self, held: u64) {
        self.ext.set(ext_keys::OFFERED_ACCOUNTS_HELD, &held);
    }
}

crate::open_enum! {
    /// What a login needs before the member can be signed in. A value from a newer plugin: do
    /// not sign in; show the decision's reason.
    pub enum LoginNeed {
        /// Nothing: signed in, or refused (see `refusal`).
        Nothing = 0 => "none",
        /// The member's consent to share mobile and email: send them to the authorize URL with
        /// `consent: true` and call `oauth_login` + `decide_login` again with the new code.
        Consent = 1 => "consent",
        /// Proof of a platform account: the host asks for that account's platform password (or
        /// lets the member pick among `candidate_account_ids`) and calls `decide_login` again
        /// with `proof`.
        Password = 2 => "password",
        /// An operator must decide (no candidate, or the evidence contradicts the binding).
        Operator = 3 => "operator",
    }
}

impl Default for LoginNeed {
    fn default() -> Self {
        LoginNeed::Nothing
    }
}

/// The plugin's decision about one login. Apply `changes` (one transaction) before signing in.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginDecision {
    /// Sign the member in to `account_id`.
    pub signed_in: bool,
    /// The account signed into, or the account to prove for `needs: password` with one candidate.
    pub account_id: ROption<RString>,
    /// The evidence the binding rests on after this decision.
    pub evidence: Evidence,
    /// What is needed first, when not signed in.
    pub needs: LoginNeed,
    /// For `needs: password`: every account the member may prove.
    pub candidate_account_ids: RVec<RString>,
    /// Changes to apply: evidence confirmed, a binding suspended or removed, a new account.
    pub changes: ChangeSet,
    /// Why the member is refused, when refused (out of scope, disabled, left, ...).
    pub refusal: ROption<PluginError>,
    /// Why, for the log, the audit and the member's page.
    pub reason: Text,
    /// Fields added in later 0.2.x releases: [`ext_keys::DECLINED_ACCOUNT_IDS`].
    #[serde(default, skip_serializing_if = "Extensions::is_empty")]
    pub ext: Extensions,
}

impl LoginDecision {
    /// The accounts the member has just declined ([`ext_keys::DECLINED_ACCOUNT_IDS`]): the host
    /// records them for this member (with an audit entry, actor `member`, in the transaction of
    /// `changes`) and passes them back in [`LoginFacts::declined_account_ids`] at later logins.
    pub fn declined_account_ids(&self) -> Vec<String> {
        self.ext.get(ext_keys::DECLINED_ACCOUNT_IDS).unwrap_or_default()
    }

    /// Sets [`LoginDecision::declined_account_ids`].
    pub fn set_declined_account_ids(&mut self, ids: &[String]) {
        self.ext.set(ext_keys::DECLINED_ACCOUNT_IDS, &ids);
    }
}
