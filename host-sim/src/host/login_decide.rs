//! The host's side of a login after WeCom said who came back (`oauth_login`): gather what the
//! store knows about the member ([`facts`]), let the plugin decide (`decide_login`, pure), apply
//! the decision's changes in one transaction, and only then sign in to the account it names.
//! host-sim holds no rule about who may sign in where; it runs its own password check (the
//! platform's part) when the plugin asks for one ([`crate::host::password`]).

use crate::store::{Actor, Applied, Audit, Store};
use anyhow::Context;
use interface::{
    ChangePolicy, LoginDecision, LoginFacts, LoginNeed, LoginOutcome, LoginProof, PlatformAccount, PluginBox,
    ScopeSelection,
};

/// What the store knows about the member, as `decide_login` takes it.
pub fn facts(
    store: &Store,
    member: LoginOutcome,
    fallback_scope: &ScopeSelection,
    policy: ChangePolicy,
    proof: LoginProof,
) -> anyhow::Result<LoginFacts> {
    let userid = member.userid.to_string();
    let binding = store.binding_for_userid(&userid)?;
    let account = match &binding {
        Some(b) => store.account(b.account_id.as_str())?,
        None => None,
    };
    // The pending sync's row (one lookup, not the whole proposal), else the last commit's.
    let pending = store.pending_roster_entry(&userid)?;
    let committed = store.roster_entry(&userid)?;
    let member_synced = binding.is_some() || pending.is_some() || committed.is_some();
    // The row's accounts, for a bound member too (alternatives listed beside a name match, offered
    // if they say the bound one is not theirs). An account bound since the row was made (the
    // member's own binding included) belongs to someone now: never offered.
    let mut candidates: Vec<PlatformAccount> = Vec::new();
    let mut held = 0u64;
    for id in pending.or(committed).unwrap_or_default() {
        if candidates.iter().any(|c| c.id.as_str() == id) {
            continue;
        }
        if store.account_is_bound(&id)? {
            held += 1;
            continue;
        }
        if let Some(a) = store.account(&id)? {
            candidates.push(a);
        }
    }
    let scope = store.synced_scope()?.unwrap_or_else(|| fallback_scope.clone());
    // For a bound member too: a declined account is never offered to them again.
    let declined = store.declined_accounts(&userid)?;
    let mut facts = LoginFacts {
        member,
        scope,
        scope_department_ids: store.departments()?.iter().map(|d| d.wecom_id).collect(),
        member_synced,
        binding: binding.into(),
        account: account.into(),
        candidates: candidates.into(),
        proof,
        policy,
        ext: Default::default(),
    };
    if !declined.is_empty() {
        facts.set_declined_account_ids(&declined);
    }
    // Only for a member without a binding (a bound member's own account is among them).
    if held > 0 && facts.binding.is_none() {
        facts.set_offered_accounts_held(held);
    }
    Ok(facts)
}

/// A decided login.
#[derive(Debug, Clone)]
pub struct Decided {
    /// The plugin's decision.
    pub decision: LoginDecision,
    /// The account signed into (when `decision.signed_in`), as stored after the changes.
    pub account: Option<PlatformAccount>,
    /// What applying the decision's changes wrote.
    pub applied: Option<Applied>,
}

impl Decided {
    /// The `needs` name (`none`, `consent`, `password`, `operator`), or the raw value.
    pub fn needs(&self) -> String {
        self.decision.needs.name().map(str::to_string).unwrap_or_else(|| format!("{}", self.decision.needs.raw()))
    }
}

/// Gathers the facts, asks the plugin, applies its changes; signs in nobody (the caller does,
/// with `account`, only when `decision.signed_in`).
pub fn decide(
    plugin: &PluginBox,
    store: &mut Store,
    member: LoginOutcome,
    fallback_scope: &ScopeSelection,
    policy: ChangePolicy,
    proof: LoginProof,
) -> anyhow::Result<Decided> {
    decide_answering(plugin, store, member, fallback_scope, policy, proof, false)
}

/// [`decide`], with the member's answer "none of these is mine" to the candidates they were
/// offered (`declines_candidates`). The accounts the decision says were declined are recorded
/// with its changes, in one transaction.
pub fn decide_answering(
    plugin: &PluginBox,
    store: &mut Store,
    member: LoginOutcome,
    fallback_scope: &ScopeSelection,
    policy: ChangePolicy,
    proof: LoginProof,
    declines_candidates: bool,
) -> anyhow::Result<Decided> {
    let mut facts = facts(store, member, fallback_scope, policy, proof)?;
    if declines_candidates {
        facts.set_declines_candidates(true);
    }
    decide_on(plugin, store, facts)
}

/// Asks the plugin with facts already read (by [`facts`], possibly a while ago) and applies its
/// changes only if the bindings they describe are still the store's; otherwise the decision is
/// turned into a refusal ("changed, sign in again") and nothing is written.
pub fn decide_on(plugin: &PluginBox, store: &mut Store, facts: LoginFacts) -> anyhow::Result<Decided> {
    let facts_userid = facts.member.userid.to_string();
    let decision = plugin.decide_login(&facts).into_result().context("decide_login")?;
    let changes = &decision.changes;
    let has_changes = !(changes.departments.is_empty()
        && changes.create_accounts.is_empty()
        && changes.create_bindings.is_empty()
        && changes.remove_bindings.is_empty());
    let audit = Audit {
        actor: Actor::Member,
        reason: decision.reason.clone(),
        // A binding the member's login takes away goes back to the operator: suspended.
        suspends: decision.needs == LoginNeed::Operator,
    };
    let declined = decision.declined_account_ids();
    let applied = if !declined.is_empty() || has_changes {
        // Applied only to the bindings it was decided on: an operator's `bind` or `commit` in
        // another process between the facts and this transaction makes the member sign in again.
        let basis = facts.binding.as_ref().into_option();
        match store.apply_login_if_unchanged(changes, &audit, &facts_userid, basis, &declined)? {
            Some(applied) => Some(applied),
            None => {
                tracing::warn!("登录期间绑定已变化，未应用 / the bindings changed during the login; nothing applied");
                return Ok(Decided { decision: changed_since(decision), account: None, applied: None });
            }
        }
    } else {
        None
    };
    // A decision from a newer plugin that says "signed in" while also needing something is not
    // a sign-in.
    let signs_in = decision.signed_in && decision.needs == LoginNeed::Nothing;
    // The host's own check before a session is made: the account must be the member's binding
    // as stored after the changes. A member with no bound account is never signed in.
    let userid = facts_userid;
    let account = match decision.account_id.as_ref().into_option() {
        Some(id) if signs_in => match store.binding_for_userid(&userid)? {
            Some(b) if b.account_id.as_str() == id.as_str() => store.account(id.as_str())?,
            _ => {
                tracing::error!(
                    "decide_login 要求登录到未绑定给该成员的账号，已拒绝 / decide_login named an account not bound to the member; not signed in"
                );
                None
            }
        },
        _ => None,
    };
    Ok(Decided { decision, account, applied })
}

/// The decision, refused: the bindings it was made on changed before it could be applied.
fn changed_since(mut decision: LoginDecision) -> LoginDecision {
    decision.signed_in = false;
    decision.needs = LoginNeed::Nothing;
    decision.refusal = Some(interface::PluginError::new(
        "login.bindings_changed",
        interface::Text::new(
            "登录期间您的账号绑定已被更改，请重新登录。",
            "Your account binding changed during the login; sign in again.",
        ),
        interface::Text::new("重新登录即可。", "Sign in again."),
    ))
    .into();
    decision
}
