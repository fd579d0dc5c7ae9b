//! `host-sim bench --trust`: does anyone sign in to someone else's account?
//!
//! On an organisation made the way a real platform has it ([`generate_trust`]: hand-typed
//! accounts, namesakes who are not members, contact fields on part of the accounts, no bindings
//! yet), the operator reads the scope through the loaded plugin, runs `propose_bindings` and
//! `commit` and accepts every default (no edits). Then every active member logs in once through
//! the plugin's `decide_login`, with [`LoginFacts`] built as [`crate::host::login_decide::facts`] builds
//! them from the store (binding, bound account, the committed table's candidates for an unbound
//! member, the synced scope), and the decision's changes applied between logins.
//!
//! The members act truthfully: asked for consent, they consent (WeCom reveals their mobile and
//! email, when they have them); asked for a password, they prove an account named only when it is
//! their own and they know its password ([`knows_password`]: the generator gives every account's
//! owner its password and nobody else), else they say "not mine" for a bound account, or "none of
//! these is mine" when they have no binding and none of the candidates offered is theirs (a
//! member recognises their own account; they never decline it). The decisions' declined accounts
//! are recorded as the store records them and passed back at later logins. Only the generator
//! knows whose each account really is; the figures compare the sign-ins with it.

use super::generate::{generate_trust, Spec, TrustGenerated, AGENT_ID, CORP_ID, SECRET};
use super::measure::phase;
use super::report::{utc_date, Target};
use super::{median, scope_for, unix_now, BenchArgs};
use crate::fake_wecom::{FakeConfig, FakeWecom, Org};
use crate::host::plugin_host::{default_plugin_path, LoadedPlugin, SimHost};
use crate::host::session::PlatformUrls;
use crate::store::{new_account_id, roster_of};
use anyhow::{bail, Context};
use interface::{
    Binding, ChangePolicy, ChangeSet, CommitInput, ConnectionSettings, LoginFacts, LoginNeed, LoginOutcome, LoginProof,
    MemberStatus, PlatformAccount, PluginBox, ProposalInput, RowKind, ScopeSelection, SecretString,
};
use serde::Serialize;
use std::collections::HashMap;
use std::io::Write;

/// Most `decide_login` calls one member's login may take before the bench calls it a loop.
const MAX_STEPS: usize = 8;

/// How every active member's one login ended. The outcome counts add up to `members`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct TrustFigures {
    /// Active members who logged in.
    pub members: usize,
    /// Signed in to an account that is not theirs: someone else's, or any account other than
    /// their own when they have one on the platform and it was not newly created for them.
    pub wrong_sign_ins: usize,
    /// Signed in to their own account without being asked anything.
    pub own_one_click: usize,
    /// Signed in to their own account after one consent or one password.
    pub own_one_confirmation: usize,
    /// Signed in to their own account after two or more answers.
    pub own_more_steps: usize,
    /// Had no account on the platform; signed in to one created for them.
    pub new_account: usize,
    /// Had an account on the platform but were signed in to one newly created for them (not a
    /// wrong sign-in: nobody else ever held it; the operator may merge them).
    pub new_account_despite_own: usize,
    /// Of `new_account_despite_own`: their own account was bound to another member when they
    /// logged in (a namesake's name binding at commit, not yet declined by that member).
    pub new_account_despite_own_held: usize,
    /// Of `new_account_despite_own` not held by another member: their own account's name differs
    /// from their WeCom name only by spaces (any whitespace), by the kind of their table row:
    /// a name match (departments agreeing or not), ambiguous, anything else.
    pub not_offered_spacing_name_match: usize,
    pub not_offered_spacing_ambiguous: usize,
    pub not_offered_spacing_other: usize,
    /// Not signed in: the operator decides (no candidate, none theirs, contact differs).
    pub operator: usize,
    /// Of `operator`: offered only accounts not theirs, and they have none on the platform: they
    /// said "none of these is mine" and the policy leaves them to the operator (`ignore`; with
    /// the default `create` they get a new account instead).
    pub operator_none_theirs_had_none: usize,
    /// Of `operator`: offered only accounts not theirs while they have one (theirs was not
    /// offered), declined them, and the policy leaves them to the operator.
    pub operator_none_theirs_had_one: usize,
    /// Of `operator`: the consented mobile or email differs from the bound account's (suspended).
    pub operator_contact_differs: usize,
    /// Of `operator`: their row offered accounts, and every one of them was bound to another
    /// member before they logged in (the host no longer offers a held account), so nothing is
    /// left to offer and they wait for the operator.
    pub operator_offered_all_taken: usize,
    /// Of `operator`: any other reason (no candidate at all, ...).
    pub operator_other: usize,
    /// Not signed in: refused (account disabled, out of scope, ...).
    pub refused: usize,
    /// Not signed in after [`MAX_STEPS`] decisions (a loop).
    pub stuck: usize,
    /// Consents given, passwords proven, "not mine" answers, over all members.
    pub consents: usize,
    pub passwords: usize,
    pub not_mine: usize,
    /// "None of these is mine" answers (members without a binding, none of the candidates theirs).
    pub none_mine: usize,
    /// Members whose row offered accounts whose names differ from theirs only by spacing
    /// (`name_spacing_differs`) and who signed in to their own account (proved or confirmed).
    pub own_via_spacing_row: usize,
    /// Members whose own account had a name match row that `commit` bound by name (provisional).
    pub bound_at_commit: usize,
    /// Members `commit` bound by name to an account that is not theirs (a namesake's, or another
    /// member's): the logins that a name-only sign-in would get wrong.
    pub bound_not_own_at_commit: usize,
}

impl TrustFigures {
    /// The outcomes' total: equals `members` when every login was counted once.
    pub fn outcomes(&self) -> usize {
        self.wrong_sign_ins
            + self.own_one_click
            + self.own_one_confirmation
            + self.own_more_steps
            + self.new_account
            + self.new_account_despite_own
            + self.operator
            + self.refused
            + self.stuck
    }

    /// Members left to the operator (needs operator, refused, stuck).
    pub fn left_to_operator(&self) -> usize {
        self.operator + self.refused + self.stuck
    }
}

/// The platform's state as a host keeps it, in memory.
#[derive(Default)]
struct State {
    accounts: HashMap<String, PlatformAccount>,
    /// Lower-cased userid → binding.
    by_userid: HashMap<String, Binding>,
    /// Account id → lower-cased userid.
    by_account: HashMap<String, String>,
    /// Lower-cased userid → the accounts the committed table offered the member.
    roster: HashMap<String, Vec<String>>,
    /// Lower-cased userid → the accounts the member declined (as the store records them).
    declined: HashMap<String, Vec<String>>,
    scope_department_ids: Vec<u32>,
}

impl State {
    fn bind(&mut self, b: &Binding) {
        let key = b.userid.as_str().to_lowercase();
        if let Some(old) = self.by_userid.remove(&key) {
            self.by_account.remove(old.account_id.as_str());
        }
        if let Some(other) = self.by_account.remove(b.account_id.as_str()) {
            self.by_userid.remove(&other);
        }
        self.by_account.insert(b.account_id.to_string(), key.clone());
        self.by_userid.insert(key, b.clone());
    }

    /// As `Store::apply_login_if_unchanged`: the decision's changes, and the accounts it says the member
    /// declined.
    fn apply_decision(&mut self, userid: &str, decision: &interface::LoginDecision) {
        self.apply(&decision.changes);
        let declined = decision.declined_account_ids();
        if !declined.is_empty() {
            let list = self.declined.entry(userid.to_lowercase()).or_default();
            for id in declined {
                if !list.contains(&id) {
                    list.push(id);
                }
            }
        }
    }

    /// As `Store::apply`: removals, then created accounts (bound), then bindings.
    fn apply(&mut self, changes: &ChangeSet) {
        for d in changes.departments.iter() {
            if d.removed {
                self.scope_department_ids.retain(|id| *id != d.wecom_id);
            } else if !self.scope_department_ids.contains(&d.wecom_id) {
                self.scope_department_ids.push(d.wecom_id);
            }
        }
        for u in changes.remove_bindings.iter() {
            let key = u.userid.as_str().to_lowercase();
            if self.by_userid.get(&key).is_some_and(|b| b.account_id == u.account_id) {
                self.by_userid.remove(&key);
                self.by_account.remove(u.account_id.as_str());
            }
            if u.disable_account {
                if let Some(a) = self.accounts.get_mut(u.account_id.as_str()) {
                    a.enabled = false;
                }
            }
        }
        for a in changes.create_accounts.iter() {
            // As the store: the same creation again is a member already holding a `created`
            // binding; a new account never takes an id some account has.
            let held = self.by_userid.get(&a.userid.as_str().to_lowercase());
            if held.is_some_and(|b| b.evidence == crate::store::created_evidence()) {
                continue;
            }
            let base = new_account_id(a.userid.as_str());
            let mut id = base.clone();
            let mut n = 1u64;
            while self.accounts.contains_key(id.as_str()) {
                n += 1;
                id = format!("{base}-{n}");
            }
            self.accounts.entry(id.clone()).or_insert_with(|| PlatformAccount {
                id: id.as_str().into(),
                name: a.name.clone(),
                departments: a.departments.clone(),
                enabled: true,
                ..Default::default()
            });
            self.bind(&Binding {
                userid: a.userid.clone(),
                account_id: id.into(),
                evidence: crate::store::created_evidence(),
            });
        }
        for b in changes.create_bindings.iter() {
            self.bind(b);
        }
    }

    /// What `login_decide::facts` gathers from the store.
    fn facts(
        &self,
        member: LoginOutcome,
        scope: &ScopeSelection,
        proof: LoginProof,
        policy: ChangePolicy,
        declines: bool,
    ) -> LoginFacts {
        let key = member.userid.as_str().to_lowercase();
        let binding = self.by_userid.get(&key).cloned();
        let account = binding.as_ref().and_then(|b| self.accounts.get(b.account_id.as_str()).cloned());
        let listed = self.roster.get(&key);
        // As the store: the row's accounts held by no binding, for a bound member too.
        let candidates: Vec<PlatformAccount> = listed
            .into_iter()
            .flatten()
            .filter(|id| !self.by_account.contains_key(id.as_str()))
            .filter_map(|id| self.accounts.get(id).cloned())
            .collect();
        let declined = match &binding {
            None => self.declined.get(&key).cloned().unwrap_or_default(),
            Some(_) => Vec::new(),
        };
        let mut facts = LoginFacts {
            member,
            scope: scope.clone(),
            scope_department_ids: self.scope_department_ids.clone().into(),
            member_synced: binding.is_some() || listed.is_some(),
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
        let held = listed.into_iter().flatten().filter(|id| self.by_account.contains_key(id.as_str())).count();
        if held > 0 && facts.binding.is_none() {
            facts.set_offered_accounts_held(held as u64);
        }
        if declines {
            facts.set_declines_candidates(true);
        }
        facts
    }
}

/// Whether two names are different but equal once every whitespace character is removed.
fn differs_only_by_spacing(a: &str, b: &str) -> bool {
    let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    a.trim() != b.trim() && squeeze(a) == squeeze(b)
}

/// Whether the member knows the platform password of `account_id`. The generator gives each
/// account its owner's password (the accounts are in use) and nobody else's; namesake accounts
/// belong to people outside WeCom.
fn knows_password(own: Option<&str>, account_id: &str) -> bool {
    own == Some(account_id)
}

/// The trust mode's whole report.
#[derive(Clone, Debug, Serialize)]
pub struct TrustReport {
    pub date: String,
    pub users: usize,
    pub departments: usize,
    pub tags: usize,
    pub seed: u64,
    pub plugin: String,
    pub active_members: usize,
    pub accounts: usize,
    pub namesake_accounts: usize,
    pub hand_typed_name_variants: usize,
    pub accounts_with_contact: usize,
    pub members_with_an_account: usize,
    pub members_with_mobile_or_email: usize,
    pub fetch_scope_secs: f64,
    pub table_rows: usize,
    pub counts: interface::ProposalCounts,
    /// Rows whose candidates differ from the member's name only by spacing (`Proposal.ext`).
    pub name_spacing_differs: u64,
    /// Candidates listed over all rows, and of them the accounts listed beside exact-name
    /// accounts (on ambiguous and name-match rows) whose names differ from the member's only by
    /// spaces.
    pub candidate_pairs: usize,
    pub spacing_candidates_beside_exact: usize,
    pub propose_runs: Vec<f64>,
    pub propose_median_secs: f64,
    pub commit_runs: Vec<f64>,
    pub commit_median_secs: f64,
    pub commit_bindings: usize,
    pub commit_accounts_created: usize,
    pub logins_secs: f64,
    pub trust: TrustFigures,
    pub targets: Vec<Target>,
}

/// `host-sim bench --trust`. `Ok(false)` when a member signed in to an account not theirs or the
/// counts do not add up.
pub fn run(args: &BenchArgs, out: &mut dyn Write) -> anyhow::Result<bool> {
    let platform = PlatformUrls::at(crate::defaults::DEMO_PLATFORM);
    let spec = Spec { users: args.users, departments: args.departments, tags: args.tags, seed: args.seed };
    let TrustGenerated { org, accounts, truth, namesakes, name_variants, with_contact, .. } =
        generate_trust(spec, &platform);
    let account_count = accounts.len();
    let scope = scope_for(args.scope, &org);
    let members: Vec<Member> = org.users.iter().filter(|u| u.status == 1).map(Member::of).collect();
    let members_with_contact = members.iter().filter(|m| !(m.mobile.is_empty() && m.email.is_empty())).count();
    let members_with_an_account = members.iter().filter(|m| truth.contains_key(&m.key)).count();

    let plugin_path = args.plugin.clone().unwrap_or_else(default_plugin_path);
    let plugin = LoadedPlugin::load(&plugin_path)
        .with_context(|| format!("加载插件失败 / could not load the plugin: {}", plugin_path.display()))?;
    let instance = plugin.instance(SimHost::default())?;
    let (snapshot, fetch_secs) = read(&instance, org, args, &platform, &scope)?;

    let input = ProposalInput { snapshot, accounts: accounts.clone().into(), ..Default::default() };
    let mut propose_runs = Vec::new();
    let mut proposal = None;
    for _ in 0..args.binding_runs {
        let (p, timed) = phase(|| instance.propose_bindings(&input).into_result());
        propose_runs.push(timed.secs);
        proposal = Some(p?);
    }
    let proposal = proposal.context("no propose run")?;
    let (table_rows, counts) = (proposal.rows.len(), proposal.counts);
    let roster = roster_of(&proposal);
    let spacing_count = proposal.name_spacing_differs();
    let candidate_pairs: usize = proposal.rows.iter().map(|r| r.candidates.len()).sum();
    let spacing_candidates_beside_exact: usize = proposal
        .rows
        .iter()
        .filter(|r| r.kind != RowKind::NameSpacingDiffers)
        .flat_map(|r| r.candidates.iter().map(move |c| (r, c)))
        .filter(|(r, c)| differs_only_by_spacing(c.account_name.as_str(), r.member_name.as_str()))
        .count();
    let row_kinds: HashMap<String, RowKind> =
        proposal.rows.iter().map(|r| (r.userid.as_str().to_lowercase(), r.kind)).collect();
    let commit_input = CommitInput { input, proposal, edits: Default::default(), ..Default::default() };
    let mut commit_runs = Vec::new();
    let mut changes = None;
    for _ in 0..args.binding_runs {
        let (c, timed) = phase(|| instance.commit(&commit_input).into_result());
        commit_runs.push(timed.secs);
        changes = Some(c?);
    }
    let changes = changes.context("no commit run")?;
    drop(commit_input);

    let mut state = State {
        accounts: accounts.into_iter().map(|a| (a.id.to_string(), a)).collect(),
        roster: roster.into_iter().map(|(u, ids)| (u.to_lowercase(), ids)).collect(),
        ..State::default()
    };
    state.apply(&changes);
    let policy = ChangePolicy::default();
    let (trust, logins) = phase(|| login_everyone(&instance, &mut state, &members, &truth, &scope, policy, &row_kinds));
    let mut trust = trust?;
    let own = |b: &&Binding| truth.get(&b.userid.as_str().to_lowercase()).is_some_and(|t| t == b.account_id.as_str());
    trust.bound_at_commit = changes.create_bindings.iter().filter(own).count();
    trust.bound_not_own_at_commit = changes.create_bindings.len() - trust.bound_at_commit;

    let left = trust.left_to_operator();
    let one_step = trust.own_one_click + trust.own_one_confirmation + trust.new_account;
    let pct = |n: usize| n as f64 * 100.0 / trust.members.max(1) as f64;
    let propose_median = median(&propose_runs);
    let targets = vec![
        Target {
            what: "wrong sign-ins (an account not the member's own) = 0".into(),
            measured: format!("{} of {} members", trust.wrong_sign_ins, trust.members),
            met: Some(trust.wrong_sign_ins == 0),
        },
        Target {
            what: "every login counted once".into(),
            measured: format!("{} outcomes for {} members", trust.outcomes(), trust.members),
            met: Some(trust.outcomes() == trust.members),
        },
        Target {
            what: "members left to the operator < 2 %".into(),
            measured: format!(
                "{left} ({:.2} %: {} operator, {} refused, {} stuck)",
                pct(left),
                trust.operator,
                trust.refused,
                trust.stuck
            ),
            met: Some(pct(left) < 2.0),
        },
        Target {
            what: "signed in with one click or one confirmation".into(),
            measured: format!(
                "{one_step} ({:.2} %: own account {} one click + {} one confirmation, {} new accounts)",
                pct(one_step),
                trust.own_one_click,
                trust.own_one_confirmation,
                trust.new_account
            ),
            met: None,
        },
        Target {
            what: "propose_bindings < 1 s (median of the runs)".into(),
            measured: format!("{propose_median:.3} s (commit {:.3} s)", median(&commit_runs)),
            met: Some(propose_median < 1.0),
        },
    ];
    let ok = trust.wrong_sign_ins == 0 && trust.outcomes() == trust.members;
    let report = TrustReport {
        date: utc_date(unix_now()),
        users: args.users,
        departments: args.departments,
        tags: args.tags,
        seed: args.seed,
        plugin: plugin.path.display().to_string(),
        active_members: members.len(),
        accounts: account_count,
        namesake_accounts: namesakes,
        hand_typed_name_variants: name_variants,
        accounts_with_contact: with_contact,
        members_with_an_account,
        members_with_mobile_or_email: members_with_contact,
        fetch_scope_secs: fetch_secs,
        table_rows,
        counts,
        name_spacing_differs: spacing_count,
        candidate_pairs,
        spacing_candidates_beside_exact,
        propose_median_secs: propose_median,
        propose_runs,
        commit_median_secs: median(&commit_runs),
        commit_runs,
        commit_bindings: changes.create_bindings.len(),
        commit_accounts_created: changes.create_accounts.len(),
        logins_secs: logins.secs,
        trust,
        targets,
    };
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        write!(out, "{}", render(&report))?;
    }
    Ok(ok)
}

/// `configure` and `fetch_scope` against the fake WeCom serving `org` (no added latency unless
/// `--latency-ms`); the fake is stopped before the binding phases.
fn read(
    instance: &PluginBox,
    org: Org,
    args: &BenchArgs,
    platform: &PlatformUrls,
    scope: &ScopeSelection,
) -> anyhow::Result<(interface::DirectorySnapshot, f64)> {
    let config = FakeConfig {
        latency_ms: args.latency_ms,
        rate_limit_per_min: args.rate_limit_per_min,
        ..FakeConfig::default()
    };
    let fake = FakeWecom::start(org, config, 0).context("启动模拟企业微信失败 / could not start the fake WeCom")?;
    let settings = ConnectionSettings {
        corp_id: CORP_ID.into(),
        agent_id: AGENT_ID.to_string().into(),
        secret: SecretString::new(SECRET.to_string()),
        api_base_url: fake.base_url().into(),
        homepage_url: platform.homepage.as_str().into(),
        redirect_url: platform.redirect.as_str().into(),
        ..Default::default()
    };
    let configured = instance.configure(&settings).into_result()?;
    if !configured.accepted {
        bail!("the generated app was not accepted by configure");
    }
    let (snapshot, timed) = phase(|| instance.fetch_scope(scope).into_result());
    let snapshot = snapshot?;
    if !snapshot.complete || !snapshot.problems.is_empty() {
        bail!("the read was incomplete or had {} problems", snapshot.problems.len());
    }
    Ok((snapshot, timed.secs))
}

/// An active member as `oauth_login` reports them, with what consent would reveal.
struct Member {
    key: String,
    outcome: LoginOutcome,
    mobile: String,
    email: String,
}

impl Member {
    fn of(u: &crate::fake_wecom::User) -> Member {
        Member {
            key: u.userid.to_lowercase(),
            outcome: LoginOutcome {
                userid: u.userid.as_str().into(),
                name: u.name.as_str().into(),
                status: if u.status == 1 { MemberStatus::Active } else { MemberStatus::Unknown },
                department_ids: u.departments.clone().into(),
                ..Default::default()
            },
            mobile: u.mobile.clone(),
            email: u.email.clone(),
        }
    }
}

/// Every member logs in once, in turn, truthfully; decisions' changes are applied in between.
fn login_everyone(
    plugin: &PluginBox,
    state: &mut State,
    members: &[Member],
    truth: &HashMap<String, String>,
    scope: &ScopeSelection,
    policy: ChangePolicy,
    row_kinds: &HashMap<String, RowKind>,
) -> anyhow::Result<TrustFigures> {
    let mut f = TrustFigures { members: members.len(), ..TrustFigures::default() };
    for m in members {
        let own = truth.get(&m.key).map(String::as_str);
        let mut outcome = m.outcome.clone();
        let mut proof = LoginProof::default();
        let mut declines = false;
        // Whether this member already answered "none of these is mine" (a "not mine" to a bound
        // account is recorded as declined too, and is not that answer).
        let mut said_none_mine = false;
        let mut answers = 0usize;
        let mut ended = false;
        for _ in 0..MAX_STEPS {
            let facts =
                state.facts(outcome.clone(), scope, std::mem::take(&mut proof), policy, std::mem::take(&mut declines));
            let decision = plugin.decide_login(&facts).into_result().context("decide_login")?;
            state.apply_decision(&m.key, &decision);
            let signs_in = decision.signed_in && decision.needs == LoginNeed::Nothing;
            if signs_in {
                let id = decision.account_id.as_ref().into_option().map(|s| s.to_string()).unwrap_or_default();
                // The host's own check (login_decide::decide): the account must be the member's binding.
                let bound = state.by_userid.get(&m.key).is_some_and(|b| b.account_id.as_str() == id);
                let created = state
                    .by_userid
                    .get(&m.key)
                    .is_some_and(|b| b.account_id.as_str() == id && b.evidence == crate::store::created_evidence());
                if !bound {
                    f.refused += 1;
                } else if own == Some(id.as_str()) {
                    if row_kinds.get(&m.key) == Some(&RowKind::NameSpacingDiffers) {
                        f.own_via_spacing_row += 1;
                    }
                    match answers {
                        0 => f.own_one_click += 1,
                        1 => f.own_one_confirmation += 1,
                        _ => f.own_more_steps += 1,
                    }
                } else if created && own.is_none() {
                    f.new_account += 1;
                } else if created {
                    f.new_account_despite_own += 1;
                    let holder = own.and_then(|o| state.by_account.get(o));
                    if holder.is_some_and(|h| *h != m.key) {
                        f.new_account_despite_own_held += 1;
                    } else if own
                        .and_then(|o| state.accounts.get(o))
                        .is_some_and(|a| differs_only_by_spacing(a.name.as_str(), m.outcome.name.as_str()))
                    {
                        match row_kinds.get(&m.key).copied() {
                            Some(RowKind::NameMatch | RowKind::NameMatchDepartmentsDiffer) => {
                                f.not_offered_spacing_name_match += 1
                            }
                            Some(RowKind::Ambiguous) => f.not_offered_spacing_ambiguous += 1,
                            _ => f.not_offered_spacing_other += 1,
                        }
                    }
                } else {
                    f.wrong_sign_ins += 1;
                }
                ended = true;
                break;
            }
            if decision.refusal.is_some() && decision.needs != LoginNeed::Operator {
                f.refused += 1;
                ended = true;
                break;
            }
            match decision.needs {
                LoginNeed::Consent if !outcome.consented => {
                    outcome.consented = true;
                    outcome.mobile = interface::PersonalData::new(m.mobile.as_str());
                    outcome.email = interface::PersonalData::new(m.email.as_str());
                    f.consents += 1;
                    answers += 1;
                }
                LoginNeed::Password => {
                    let mut named: Vec<String> = decision.candidate_account_ids.iter().map(|s| s.to_string()).collect();
                    if let Some(a) = decision.account_id.as_ref().into_option() {
                        named.push(a.to_string());
                    }
                    answers += 1;
                    let theirs = own.filter(|o| named.iter().any(|n| n == o));
                    if let Some(mine) = theirs.filter(|o| knows_password(own, o)) {
                        proof.password_account_id = mine.into();
                        f.passwords += 1;
                    } else if theirs.is_some() {
                        // Their own account, but they cannot prove it: the operator decides.
                        f.operator += 1;
                        f.operator_other += 1;
                        ended = true;
                        break;
                    } else if let Some(bound) = state.by_userid.get(&m.key) {
                        // "This is not my account."
                        proof.not_mine_account_id = bound.account_id.clone();
                        f.not_mine += 1;
                    } else if !said_none_mine {
                        // "None of these is mine": none of the candidates offered is theirs.
                        declines = true;
                        said_none_mine = true;
                        f.none_mine += 1;
                    } else {
                        // Declined once already and offered something again: the operator decides.
                        f.operator += 1;
                        f.operator_other += 1;
                        ended = true;
                        break;
                    }
                }
                // Nothing needed and not signed in (e.g. "not mine" made a new account): log in again.
                LoginNeed::Nothing => {}
                _ => {
                    f.operator += 1;
                    if decision.refusal.is_some() {
                        f.operator_contact_differs += 1;
                    } else if state.declined.contains_key(&m.key) && own.is_some() {
                        f.operator_none_theirs_had_one += 1;
                    } else if state.declined.contains_key(&m.key) {
                        f.operator_none_theirs_had_none += 1;
                    } else if !state.by_userid.contains_key(&m.key)
                        && state.roster.get(&m.key).is_some_and(|ids| {
                            !ids.is_empty() && ids.iter().all(|id| state.by_account.contains_key(id.as_str()))
                        })
                    {
                        f.operator_offered_all_taken += 1;
                    } else {
                        f.operator_other += 1;
                    }
                    ended = true;
                    break;
                }
            }
        }
        if !ended {
            f.stuck += 1;
        }
    }
    Ok(f)
}

fn render(r: &TrustReport) -> String {
    use std::fmt::Write as _;
    let t = &r.trust;
    let pct = |n: usize| n as f64 * 100.0 / t.members.max(1) as f64;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "信任基准 / trust bench {}: {} members ({} active), {} departments, {} tags, seed {}",
        r.date, r.users, r.active_members, r.departments, r.tags, r.seed
    );
    let _ = writeln!(
        s,
        "  platform          {} accounts typed by hand ({} name variants, {} namesakes not in WeCom, {} with mobile/email); {} active members have one, {} have a WeCom mobile or email",
        r.accounts,
        r.hand_typed_name_variants,
        r.namesake_accounts,
        r.accounts_with_contact,
        r.members_with_an_account,
        r.members_with_mobile_or_email
    );
    let c = &r.counts;
    let _ = writeln!(s, "  fetch_scope       {:.3} s", r.fetch_scope_secs);
    let _ = writeln!(
        s,
        "  propose_bindings  median {:.3} s (runs {:?}), {} rows: {c:?}",
        r.propose_median_secs, r.propose_runs, r.table_rows
    );
    let _ = writeln!(s, "                    rows whose names differ only by spacing: {}", r.name_spacing_differs);
    let _ = writeln!(
        s,
        "                    candidates listed: {} ({} differing only by spacing, beside exact-name accounts)",
        r.candidate_pairs, r.spacing_candidates_beside_exact
    );
    let _ = writeln!(
        s,
        "  commit (defaults) median {:.3} s: {} bindings, {} accounts created ({} members bound to their own account, {} to one not theirs)",
        r.commit_median_secs, r.commit_bindings, r.commit_accounts_created, t.bound_at_commit, t.bound_not_own_at_commit
    );
    let _ = writeln!(s, "  logins            {} members, {:.3} s", t.members, r.logins_secs);
    for (label, n) in [
        ("wrong sign-ins", t.wrong_sign_ins),
        ("own account, one click", t.own_one_click),
        ("own account, one confirmation", t.own_one_confirmation),
        ("own account, more steps", t.own_more_steps),
        ("new account (had none)", t.new_account),
        ("new account (had one)", t.new_account_despite_own),
        ("operator decides", t.operator),
        ("refused", t.refused),
        ("stuck", t.stuck),
    ] {
        let _ = writeln!(s, "    {label:<32} {n:>8} {:>7.2} %", pct(n));
    }
    let _ = writeln!(
        s,
        "    new account (had one): {} while their own was bound to another member, {} their own not offered",
        t.new_account_despite_own_held,
        t.new_account_despite_own - t.new_account_despite_own_held
    );
    let _ = writeln!(
        s,
        "      not offered, own account's name differs only by spaces: {} on a name-match row, {} on an ambiguous row, {} other",
        t.not_offered_spacing_name_match, t.not_offered_spacing_ambiguous, t.not_offered_spacing_other
    );
    let _ = writeln!(
        s,
        "    operator: {} offered only others' accounts (had none), {} offered only others' (had one), {} contact differs, {} every account offered since bound to another member, {} other",
        t.operator_none_theirs_had_none,
        t.operator_none_theirs_had_one,
        t.operator_contact_differs,
        t.operator_offered_all_taken,
        t.operator_other
    );
    let _ = writeln!(
        s,
        "    answers: {} consents, {} passwords, {} \"not mine\", {} \"none of these is mine\"; {} signed in to their own account from a names-differ-only-by-spacing row",
        t.consents, t.passwords, t.not_mine, t.none_mine, t.own_via_spacing_row
    );
    let _ = writeln!(s, "\nTargets");
    for target in &r.targets {
        let mark = match target.met {
            Some(true) => "met   ",
            Some(false) => "MISSED",
            None => "  -   ",
        };
        let _ = writeln!(s, "  [{mark}] {:<52} {}", target.what, target.measured);
    }
    s
}
