//! `decide_login`: whether the member who came back from WeCom signs in, to which account, on what
//! evidence — pure, from what WeCom said (`oauth_login`) and what the host stores.
//!
//! The rule: **no one signs in to an account on a name alone.** A binding made by name
//! (`name`, `name_department`, or an evidence value this version does not know) is provisional:
//! the first login confirms it by the member's consented WeCom mobile or email (`contact`), or by
//! the platform's own password (`password`). Contact that contradicts the account suspends the
//! binding and returns it to the operator. A member without a binding may prove one of the
//! candidates the binding table offered them, or decline them all ("none of these is mine"): they
//! then get a new account or wait for the operator, by the new-member policy, and the declined
//! accounts are never offered to them again (the host records them from the decision). A member
//! whose offered accounts were all bound to others since is treated alike without being asked,
//! and "not mine" to a name-bound account offers the alternatives listed beside it first. Scope and status are re-checked at every login, from
//! the host's stored scope: nothing synced means nobody signs in.

use crate::binding::evidence::is_confirmed;
use interface::{
    Binding, ChangeSet, Evidence, LoginDecision, LoginFacts, LoginNeed, MemberStatus, NewAccount, NewMembers,
    PlatformAccount, PluginError, Text, Unbinding,
};

/// Decides one login.
pub fn decide(f: &LoginFacts) -> LoginDecision {
    let userid = f.member.userid.as_str();
    if let Some(refusal) = status_refusal(f.member.status, userid).or_else(|| scope_refusal(f)) {
        return refused(refusal);
    }
    match (f.binding.as_ref().into_option(), f.account.as_ref().into_option()) {
        (Some(b), Some(a)) => bound(f, b, a),
        (Some(b), None) => needs_operator(Text::new(
            format!("成员 {userid} 绑定的账号 {} 已不存在：请管理员处理。", b.account_id),
            format!(
                "Member {userid} is bound to account {}, which no longer exists: the operator decides.",
                b.account_id
            ),
        )),
        (None, _) => unbound(f),
    }
}

fn bound(f: &LoginFacts, b: &Binding, a: &PlatformAccount) -> LoginDecision {
    let userid = f.member.userid.as_str();
    // The host's lookup must describe this member's binding; anything else is not signed into.
    if a.id.is_empty() || a.id != b.account_id || !b.userid.as_str().eq_ignore_ascii_case(userid) {
        return needs_operator(Text::new(
            format!("成员 {userid} 的绑定与平台提供的账号不一致：请管理员处理。"),
            format!("Member {userid}'s binding does not match the account the platform gave: the operator decides."),
        ));
    }
    if !a.enabled {
        return refused(account_disabled(userid, a.id.as_str()));
    }
    if !f.proof.not_mine_account_id.is_empty() && f.proof.not_mine_account_id.as_str() == a.id.as_str() {
        // "Not mine" answers a name-only binding. One the member (or the operator) confirmed is
        // never removed at login: a stale tab or a forged form must not undo a proof.
        if is_confirmed(b.evidence) {
            return needs_operator(Text::new(
                format!("成员 {userid} 与账号 {} 的绑定已确认，登录时不能解除：如不是本人的账号，请联系管理员。", a.id),
                format!(
                    "Member {userid}'s binding to account {} is confirmed and cannot be removed at login: if the \
                     account is not theirs, contact the operator.",
                    a.id
                ),
            ));
        }
        return declined(f, b);
    }
    if is_confirmed(b.evidence) {
        return signed_in(
            a.id.as_str(),
            b.evidence,
            ChangeSet::default(),
            Text::new(
                format!("成员 {userid} 已绑定账号 {}（{:?}）：登录。", a.id, b.evidence),
                format!("Member {userid} is bound to account {} ({:?}): signed in.", a.id, b.evidence),
            ),
        );
    }
    if !f.proof.password_account_id.is_empty() && f.proof.password_account_id.as_str() == a.id.as_str() {
        return confirmed(f, a, Evidence::Password);
    }
    if f.member.consented {
        match contact(f, a) {
            Contact::Agrees => return confirmed(f, a, Evidence::Contact),
            Contact::Differs => return contact_mismatch(f, b),
            Contact::Unknown => {}
        }
    }
    let has_contact = !a.mobile.is_empty() || !a.email.is_empty();
    if has_contact && !f.member.consented {
        return needs(LoginNeed::Consent, Some(a.id.as_str()), Vec::new(), Text::new(
            "该绑定仅依据姓名：请同意企业微信共享手机号或邮箱以确认是本人账号。",
            "This binding rests on the name only: consent to share your WeCom mobile or email to confirm the account is yours.",
        ));
    }
    needs(LoginNeed::Password, Some(a.id.as_str()), vec![a.id.to_string()], Text::new(
        format!("该绑定仅依据姓名：请输入平台账号 {} 的密码确认是本人账号，或选择「不是我的账号」。", a.id),
        format!("This binding rests on the name only: enter the platform password of account {} to confirm it is yours, or choose \"not my account\".", a.id),
    ))
}

fn unbound(f: &LoginFacts) -> LoginDecision {
    let userid = f.member.userid.as_str();
    let declined = f.declined_account_ids();
    let candidates: Vec<&PlatformAccount> = f
        .candidates
        .iter()
        .filter(|a| a.enabled && !a.id.is_empty() && !declined.iter().any(|d| d.as_str() == a.id.as_str()))
        .collect();
    if candidates.is_empty() && !declined.is_empty() {
        return needs_operator(Text::new(
            format!("成员 {userid} 已声明所列账号都不是本人的：请等待管理员为其绑定或新建账号。"),
            format!(
                "Member {userid} said none of the accounts offered is theirs: wait for the operator to bind or create \
                 their account."
            ),
        ));
    }
    if candidates.is_empty() && f.offered_accounts_held() > 0 {
        return all_taken(f);
    }
    if candidates.is_empty() {
        return needs_operator(Text::new(
            format!("成员 {userid} 尚未绑定平台账号：请等待管理员完成同步。"),
            format!("Member {userid} has no platform account yet: wait for the operator's sync."),
        ));
    }
    let proved = f.proof.password_account_id.as_str();
    if let Some(a) = candidates.iter().find(|a| !proved.is_empty() && a.id.as_str() == proved) {
        return bind_new(f, a, Evidence::Password);
    }
    if f.declines_candidates() {
        return declined_all(f, &candidates);
    }
    if f.member.consented {
        let agreeing: Vec<&&PlatformAccount> = candidates.iter().filter(|a| contact(f, a) == Contact::Agrees).collect();
        if let [only] = agreeing.as_slice() {
            return bind_new(f, only, Evidence::Contact);
        }
    }
    let any_contact = candidates.iter().any(|a| !a.mobile.is_empty() || !a.email.is_empty());
    if any_contact && !f.member.consented {
        return needs(
            LoginNeed::Consent,
            None,
            ids(&candidates),
            Text::new(
                "平台上有多个可能属于您的账号：请同意企业微信共享手机号或邮箱以找到您的账号。",
                "Several platform accounts may be yours: consent to share your WeCom mobile or email to find yours.",
            ),
        );
    }
    needs(
        LoginNeed::Password,
        None,
        ids(&candidates),
        Text::new(
            "平台上有多个可能属于您的账号：请选择您的账号并输入其平台密码。",
            "Several platform accounts may be yours: choose yours and enter its platform password.",
        ),
    )
}

#[derive(PartialEq, Eq)]
enum Contact {
    Agrees,
    Differs,
    Unknown,
}

/// Compares the consented mobile and email with the account's: any equal value agrees; a value
/// known on both sides that differs (and none equal) differs.
fn contact(f: &LoginFacts, a: &PlatformAccount) -> Contact {
    let pairs = [
        (normal_mobile(f.member.mobile.expose()), normal_mobile(a.mobile.expose())),
        (ascii_email(f.member.email.expose()), ascii_email(a.email.expose())),
    ];
    let known: Vec<&(String, String)> = pairs.iter().filter(|(m, a)| !m.is_empty() && !a.is_empty()).collect();
    // One contradiction outweighs any agreement: WeCom's email is typed by people, not verified.
    if known.is_empty() {
        Contact::Unknown
    } else if known.iter().all(|(m, a)| m == a) {
        Contact::Agrees
    } else {
        Contact::Differs
    }
}

/// An email compared case-insensitively in ASCII only; a non-ASCII address is not compared (Unicode
/// case folding would let two different addresses meet, e.g. the Kelvin sign and `k`).
fn ascii_email(raw: &str) -> String {
    let email = raw.trim();
    if email.is_ascii() {
        email.to_ascii_lowercase()
    } else {
        String::new()
    }
}

/// Digits only, without a +86 / 0086 country prefix.
fn normal_mobile(raw: &str) -> String {
    let digits: String = raw.chars().filter(|c| c.is_ascii_digit()).collect();
    match digits.strip_prefix("0086").or_else(|| digits.strip_prefix("86").filter(|rest| rest.len() == 11)) {
        Some(rest) => rest.to_string(),
        None => digits,
    }
}

fn confirmed(f: &LoginFacts, a: &PlatformAccount, evidence: Evidence) -> LoginDecision {
    let mut changes = ChangeSet::default();
    changes.create_bindings.push(Binding { userid: f.member.userid.clone(), account_id: a.id.clone(), evidence });
    changes.summary.bindings_updated = 1;
    signed_in(
        a.id.as_str(),
        evidence,
        changes,
        Text::new(
            format!("成员 {} 在首次登录时确认了账号 {}（{:?}）。", f.member.userid, a.id, evidence),
            format!("Member {} confirmed account {} at first login ({:?}).", f.member.userid, a.id, evidence),
        ),
    )
}

fn bind_new(f: &LoginFacts, a: &PlatformAccount, evidence: Evidence) -> LoginDecision {
    let mut changes = ChangeSet::default();
    changes.create_bindings.push(Binding { userid: f.member.userid.clone(), account_id: a.id.clone(), evidence });
    changes.summary.bindings_made = 1;
    signed_in(
        a.id.as_str(),
        evidence,
        changes,
        Text::new(
            format!("成员 {} 证明了账号 {}（{:?}）：绑定并登录。", f.member.userid, a.id, evidence),
            format!("Member {} proved account {} ({:?}): bound and signed in.", f.member.userid, a.id, evidence),
        ),
    )
}

/// "Not my account": the binding goes and the account is recorded as declined. When the binding
/// table listed alternatives beside it (accounts whose names differ only by spacing), the member is
/// offered those at once, exactly as a member without a binding is offered candidates; otherwise,
/// by policy, the member gets a new account (sign in again once it is applied) or waits for the
/// operator.
fn declined(f: &LoginFacts, b: &Binding) -> LoginDecision {
    let mut changes = unbind(b, Text::new("成员声明该账号不是本人的", "the member said the account is not theirs"));
    let mut declined = f.declined_account_ids();
    declined.push(b.account_id.to_string());
    let alternatives = f.candidates.iter().any(|a| {
        a.enabled && !a.id.is_empty() && a.id != b.account_id && !declined.iter().any(|d| d.as_str() == a.id.as_str())
    });
    if alternatives {
        let mut rest = f.clone();
        rest.binding = None.into();
        rest.account = None.into();
        rest.proof = Default::default();
        rest.set_declines_candidates(false);
        rest.set_declined_account_ids(&declined);
        let mut decision = unbound(&rest);
        changes.create_bindings = std::mem::take(&mut decision.changes.create_bindings);
        changes.summary.bindings_made = decision.changes.summary.bindings_made;
        decision.changes = changes;
        decision.set_declined_account_ids(&[b.account_id.to_string()]);
        return decision;
    }
    let create = f.policy.new_members == NewMembers::Create;
    if create {
        create_own_account(&mut changes, f);
    }
    let reason = if create {
        Text::new(
            "已解除该绑定并为您新建账号：请重新登录。",
            "The binding was removed and a new account created for you: sign in again.",
        )
    } else {
        Text::new(
            "已解除该绑定：请等待管理员为您绑定账号。",
            "The binding was removed: wait for the operator to bind your account.",
        )
    };
    let need = if create { LoginNeed::Nothing } else { LoginNeed::Operator };
    let mut decision = LoginDecision { changes, ..needs(need, None, Vec::new(), reason) };
    // Recorded whatever follows: never offered to this member again, never bound automatically.
    decision.set_declined_account_ids(&[b.account_id.to_string()]);
    decision
}

/// Adds a new account of the member's own to `changes` (the host names it with an id no account
/// has, never binding an existing one).
fn create_own_account(changes: &mut ChangeSet, f: &LoginFacts) {
    changes.create_accounts.push(NewAccount {
        userid: f.member.userid.clone(),
        name: f.member.name.clone(),
        departments: Default::default(),
        department_wecom_ids: Default::default(),
    });
    changes.summary.accounts_created = 1;
}

/// A member without a binding whose offered accounts were all bound to other members since the
/// table was made: nothing is left for them to prove or decline. By policy a new account of their
/// own (`created`: the host creates a fresh account under an id no account has, never binding an
/// existing one, as `commit` does for a member whose name's accounts all went to others) or the
/// operator.
fn all_taken(f: &LoginFacts) -> LoginDecision {
    let userid = f.member.userid.as_str();
    if f.policy.new_members != NewMembers::Create {
        return needs_operator(Text::new(
            format!("成员 {userid} 的候选账号都已绑定给其他成员：请等待管理员为其绑定或新建账号。"),
            format!(
                "Every account offered to member {userid} has since been bound to another member: wait for the \
                 operator to bind or create their account."
            ),
        ));
    }
    let mut changes = ChangeSet::default();
    create_own_account(&mut changes, f);
    LoginDecision {
        changes,
        evidence: Evidence::Created,
        ..needs(
            LoginNeed::Nothing,
            None,
            Vec::new(),
            Text::new(
                format!("成员 {userid} 的候选账号都已绑定给其他成员：已为其新建账号，请重新登录。"),
                format!(
                    "Every account offered to member {userid} has since been bound to another member: a new account \
                     was created for them; sign in again."
                ),
            ),
        )
    }
}

/// "None of these is mine" from a member without a binding: every candidate still offered is
/// declined (the host records them; they are never offered to this member again), and by policy
/// the member gets a new account of their own (`created`: the host creates it under an id no
/// account has, never binding an existing one, so this is not a sign-in on a name) or waits for
/// the operator.
fn declined_all(f: &LoginFacts, candidates: &[&PlatformAccount]) -> LoginDecision {
    let userid = f.member.userid.as_str();
    let create = f.policy.new_members == NewMembers::Create;
    let mut changes = ChangeSet::default();
    let mut decision = if create {
        create_own_account(&mut changes, f);
        LoginDecision {
            changes,
            evidence: Evidence::Created,
            ..needs(
                LoginNeed::Nothing,
                None,
                Vec::new(),
                Text::new(
                    format!("成员 {userid} 声明所列账号都不是本人的：已为其新建账号，请重新登录。"),
                    format!(
                        "Member {userid} said none of the accounts offered is theirs: a new account was created for \
                         them; sign in again."
                    ),
                ),
            )
        }
    } else {
        needs_operator(Text::new(
            format!("成员 {userid} 声明所列账号都不是本人的：请等待管理员为其绑定或新建账号。"),
            format!(
                "Member {userid} said none of the accounts offered is theirs: wait for the operator to bind or create \
                 their account."
            ),
        ))
    };
    decision.set_declined_account_ids(&ids(candidates));
    decision
}

fn contact_mismatch(f: &LoginFacts, b: &Binding) -> LoginDecision {
    let reason = Text::new(
        "企业微信中的手机号或邮箱与所绑定账号的不一致：绑定已暂停，交由管理员处理",
        "the WeCom mobile or email differs from the bound account's: binding suspended for the operator",
    );
    let changes = unbind(b, reason.clone());
    let refusal = PluginError::new(
        interface::codes::LOGIN_CONTACT_MISMATCH,
        Text::new(
            format!("成员 {} 的企业微信手机号或邮箱与绑定的平台账号不一致，不能登录。", f.member.userid),
            format!(
                "Member {}'s WeCom mobile or email differs from the bound account's; sign-in refused.",
                f.member.userid
            ),
        ),
        Text::new(
            "请管理员在绑定表中为该成员选择正确的账号。",
            "Ask the operator to choose the right account in the binding table.",
        ),
    )
    .with_field("userid");
    LoginDecision { changes, refusal: Some(refusal).into(), ..needs(LoginNeed::Operator, None, Vec::new(), reason) }
}

fn unbind(b: &Binding, reason: Text) -> ChangeSet {
    let mut changes = ChangeSet::default();
    changes.remove_bindings.push(Unbinding {
        userid: b.userid.clone(),
        account_id: b.account_id.clone(),
        disable_account: false,
        reason,
    });
    changes.summary.bindings_removed = 1;
    changes
}

fn status_refusal(status: MemberStatus, userid: &str) -> Option<PluginError> {
    let (code, zh, en) = match status {
        MemberStatus::Disabled => (interface::codes::LOGIN_MEMBER_DISABLED, "已被停用", "is disabled"),
        MemberStatus::Left => (interface::codes::LOGIN_MEMBER_LEFT, "已离职", "has left the corp"),
        MemberStatus::Inactive => {
            (interface::codes::LOGIN_MEMBER_DISABLED, "尚未激活企业微信", "has not activated WeCom")
        }
        // `Unknown` is a status `user/get` did not send (WeCom documents it as always sent; a
        // leaver answers 60111 before this): let the other checks decide. A value from a newer
        // version is not known to be active: refused.
        MemberStatus::Active | MemberStatus::Unknown => return None,
        _ => (interface::codes::LOGIN_MEMBER_DISABLED, "状态未知", "has a status this version does not know"),
    };
    Some(
        PluginError::new(
            code,
            Text::new(format!("成员 {userid} {zh}，不能登录。"), format!("Member {userid} {en} and cannot sign in.")),
            Text::new("如有疑问请联系管理员。", "Contact the admin if this is unexpected."),
        )
        .with_field("userid"),
    )
}

/// In scope when the host's mirror lists the member, the scope names them, or one of their live
/// departments is in the synced departments. An empty scope lets nobody in.
fn scope_refusal(f: &LoginFacts) -> Option<PluginError> {
    let userid = f.member.userid.as_str();
    let scope = &f.scope;
    let nothing_synced = scope.department_ids.is_empty() && scope.user_ids.is_empty() && scope.tag_ids.is_empty();
    let listed = f.member_synced
        || scope.user_ids.iter().any(|u| u.as_str().eq_ignore_ascii_case(userid))
        || f.member
            .department_ids
            .iter()
            .any(|d| scope.department_ids.contains(d) || f.scope_department_ids.contains(d));
    let in_scope = !nothing_synced && listed;
    (!in_scope).then(|| {
        PluginError::new(
            interface::codes::LOGIN_OUT_OF_SCOPE,
            Text::new(
                format!("成员 {userid} 不在同步范围内，不能登录。"),
                format!("Member {userid} is outside the synced scope and cannot log in."),
            ),
            Text::new(
                "请管理员把该成员加入同步范围后重新同步。",
                "Ask the admin to add the member to the sync scope and sync again.",
            ),
        )
        .with_field("userid")
    })
}

fn account_disabled(userid: &str, account: &str) -> PluginError {
    PluginError::new(
        interface::codes::LOGIN_ACCOUNT_DISABLED,
        Text::new(
            format!("成员 {userid} 绑定的平台账号 {account} 已停用。"),
            format!("Platform account {account} of member {userid} is disabled."),
        ),
        Text::new("请管理员启用该账号或重新绑定。", "Ask the admin to enable the account or bind another one."),
    )
    .with_field("userid")
}

fn ids(accounts: &[&PlatformAccount]) -> Vec<String> {
    accounts.iter().map(|a| a.id.to_string()).collect()
}

fn signed_in(account: &str, evidence: Evidence, changes: ChangeSet, reason: Text) -> LoginDecision {
    LoginDecision {
        signed_in: true,
        account_id: Some(account.into()).into(),
        evidence,
        needs: LoginNeed::Nothing,
        candidate_account_ids: Default::default(),
        changes,
        refusal: None.into(),
        reason,
        ext: Default::default(),
    }
}

fn needs(need: LoginNeed, account: Option<&str>, candidates: Vec<String>, reason: Text) -> LoginDecision {
    LoginDecision {
        signed_in: false,
        account_id: account.map(Into::into).into(),
        evidence: Evidence::Name,
        needs: need,
        candidate_account_ids: candidates.into_iter().map(Into::into).collect(),
        changes: ChangeSet::default(),
        refusal: None.into(),
        reason,
        ext: Default::default(),
    }
}

fn needs_operator(reason: Text) -> LoginDecision {
    needs(LoginNeed::Operator, None, Vec::new(), reason)
}

fn refused(error: PluginError) -> LoginDecision {
    let reason = error.message.clone();
    LoginDecision { refusal: Some(error).into(), ..needs(LoginNeed::Nothing, None, Vec::new(), reason) }
}

#[cfg(test)]
mod tests_support {
    use super::*;
    use interface::{LoginOutcome, ScopeSelection};

    pub fn account(id: &str, mobile: &str, email: &str) -> PlatformAccount {
        PlatformAccount {
            id: id.into(),
            name: "王晓楷".into(),
            departments: Default::default(),
            enabled: true,
            mobile: mobile.into(),
            email: email.into(),
            ext: Default::default(),
        }
    }

    pub fn facts(evidence: Option<Evidence>, a: Option<PlatformAccount>) -> LoginFacts {
        LoginFacts {
            member: LoginOutcome {
                userid: "wangxk".into(),
                name: "王晓楷".into(),
                status: MemberStatus::Active,
                department_ids: vec![2].into(),
                ..Default::default()
            },
            scope: ScopeSelection { department_ids: vec![1].into(), ..Default::default() },
            scope_department_ids: vec![1, 2].into(),
            member_synced: true,
            binding: evidence
                .zip(a.as_ref())
                .map(|(evidence, a)| Binding { userid: "wangxk".into(), account_id: a.id.clone(), evidence })
                .into(),
            account: a.into(),
            ..Default::default()
        }
    }

    pub fn consented(mut f: LoginFacts, mobile: &str, email: &str) -> LoginFacts {
        f.member.consented = true;
        f.member.mobile = mobile.into();
        f.member.email = email.into();
        f
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::*;
    use super::*;
    use interface::{LoginProof, ScopeSelection};

    #[test]
    fn a_name_binding_never_signs_in_by_itself() {
        for evidence in [Evidence::Name, Evidence::NameDepartment, Evidence::from_raw(200)] {
            let d = decide(&facts(Some(evidence), Some(account("a1", "", ""))));
            assert!(!d.signed_in, "{evidence:?}");
            assert_eq!(d.needs, LoginNeed::Password);
            assert_eq!(d.account_id.as_ref().into_option().map(|a| a.as_str()), Some("a1"));
        }
        let d = decide(&facts(Some(Evidence::Name), Some(account("a1", "13800000000", ""))));
        assert_eq!((d.signed_in, d.needs), (false, LoginNeed::Consent), "consent first when it can decide");
    }

    #[test]
    fn confirmed_evidence_signs_in_without_changes() {
        for evidence in
            [Evidence::Operator, Evidence::Contact, Evidence::Password, Evidence::Imported, Evidence::Created]
        {
            let d = decide(&facts(Some(evidence), Some(account("a1", "", ""))));
            assert!(d.signed_in, "{evidence:?}");
            assert!(d.changes.create_bindings.is_empty());
        }
    }

    #[test]
    fn consented_contact_confirms_or_suspends() {
        let a = account("a1", "138-0000-0000", "Wang@Example.com");
        let d = decide(&consented(facts(Some(Evidence::Name), Some(a.clone())), "+86 13800000000", ""));
        assert!(d.signed_in);
        assert_eq!(d.evidence, Evidence::Contact);
        assert_eq!(d.changes.create_bindings[0].evidence, Evidence::Contact);
        let d = decide(&consented(facts(Some(Evidence::Name), Some(a.clone())), "", "wang@example.com"));
        assert!(d.signed_in, "emails compare case-insensitively");
        let d = decide(&consented(facts(Some(Evidence::Name), Some(a)), "13911111111", ""));
        assert!(!d.signed_in);
        assert_eq!(d.refusal.as_ref().into_option().map(|e| e.code.as_str()), Some("login.contact_mismatch"));
        assert_eq!(d.changes.remove_bindings.len(), 1, "suspended for the operator");
        assert_eq!(d.needs, LoginNeed::Operator);
    }

    #[test]
    fn a_password_proof_confirms_and_not_mine_unbinds() {
        let mut f = facts(Some(Evidence::Name), Some(account("a1", "", "")));
        f.proof = LoginProof { password_account_id: "a1".into(), ..Default::default() };
        let d = decide(&f);
        assert!(d.signed_in);
        assert_eq!(d.changes.create_bindings[0].evidence, Evidence::Password);
        f.proof = LoginProof { not_mine_account_id: "a1".into(), ..Default::default() };
        let d = decide(&f);
        assert!(!d.signed_in);
        assert_eq!(d.changes.remove_bindings.len(), 1);
        assert_eq!(d.changes.create_accounts.len(), 1, "a new account by the default policy");
        f.policy.new_members = NewMembers::Ignore;
        let d = decide(&f);
        assert!(d.changes.create_accounts.is_empty());
        assert_eq!(d.needs, LoginNeed::Operator);
    }

    #[test]
    fn a_waiting_member_proves_one_candidate() {
        let mut f = facts(None, None);
        f.candidates = vec![account("c1", "13800000000", ""), account("c2", "13900000000", "")].into();
        let d = decide(&f);
        assert_eq!(d.needs, LoginNeed::Consent);
        let d = decide(&consented(f.clone(), "13900000000", ""));
        assert!(d.signed_in);
        assert_eq!(d.account_id.as_ref().into_option().map(|a| a.as_str()), Some("c2"));
        assert_eq!(d.changes.create_bindings[0].evidence, Evidence::Contact);
        let d = decide(&consented(f.clone(), "13700000000", ""));
        assert_eq!(d.needs, LoginNeed::Password);
        assert_eq!(d.candidate_account_ids.len(), 2);
        f.proof.password_account_id = "c1".into();
        assert!(decide(&f).signed_in);
        let none = decide(&facts(None, None));
        assert_eq!(none.needs, LoginNeed::Operator);
    }

    #[test]
    fn none_of_these_is_mine_creates_or_waits_by_policy() {
        let mut f = facts(None, None);
        f.candidates = vec![account("c1", "", ""), account("c2", "13800000000", "")].into();
        f.set_declines_candidates(true);
        let d = decide(&f);
        assert!(!d.signed_in, "never signed into a candidate");
        assert_eq!(d.needs, LoginNeed::Nothing, "sign in again to the new account");
        assert_eq!(d.evidence, Evidence::Created);
        assert_eq!(d.changes.create_accounts.len(), 1);
        assert_eq!(d.changes.create_accounts[0].userid.as_str(), "wangxk");
        assert!(d.changes.create_bindings.is_empty());
        assert_eq!(d.declined_account_ids(), ["c1", "c2"]);
        f.policy.new_members = NewMembers::Ignore;
        let d = decide(&f);
        assert!(d.changes.create_accounts.is_empty());
        assert_eq!(d.needs, LoginNeed::Operator);
        assert!(d.reason.en.contains("none of the accounts offered is theirs"), "{:?}", d.reason);
        assert_eq!(d.declined_account_ids(), ["c1", "c2"]);
        // A password proof of a candidate wins over a stray decline.
        f.proof.password_account_id = "c1".into();
        assert!(decide(&f).signed_in);
        // Without the answer, nothing is declined.
        let mut f = facts(None, None);
        f.candidates = vec![account("c1", "", "")].into();
        assert!(decide(&f).declined_account_ids().is_empty());
    }

    #[test]
    fn not_mine_to_a_name_match_offers_the_alternatives_listed_beside_it() {
        let mut f = facts(Some(Evidence::Name), Some(account("a1", "", "")));
        // The table listed a spacing variant beside the name match (the host passes it).
        f.candidates = vec![account("a1", "", ""), account("s1", "", "")].into();
        f.proof.not_mine_account_id = "a1".into();
        let d = decide(&f);
        assert!(!d.signed_in);
        assert_eq!(d.needs, LoginNeed::Password, "{:?}", d.reason);
        assert_eq!(d.candidate_account_ids.iter().map(|c| c.as_str()).collect::<Vec<_>>(), ["s1"]);
        assert_eq!(d.changes.remove_bindings.len(), 1, "the name binding goes");
        assert_eq!(d.changes.remove_bindings[0].account_id.as_str(), "a1");
        assert!(d.changes.create_accounts.is_empty(), "no new account while an alternative may be theirs");
        assert!(d.changes.create_bindings.is_empty(), "nothing bound on a name");
        assert_eq!(d.declined_account_ids(), ["a1"], "never offered to this member again");
        // Consented, and exactly one alternative's contact agrees: bound on that evidence at once.
        f.member.consented = true;
        f.member.mobile = interface::PersonalData::new("13800000000");
        f.candidates = vec![account("s1", "13800000000", "")].into();
        let d = decide(&f);
        assert!(d.signed_in);
        assert_eq!(d.account_id.as_ref().into_option().map(|s| s.as_str()), Some("s1"));
        assert_eq!(d.evidence, Evidence::Contact);
        assert_eq!(d.changes.remove_bindings.len(), 1);
        assert_eq!(d.changes.create_bindings.len(), 1);
        // Nothing listed beside it (or only what was declined): as before, a new account.
        let mut f = facts(Some(Evidence::Name), Some(account("a1", "", "")));
        f.candidates = vec![account("s1", "", "")].into();
        f.set_declined_account_ids(&["s1".to_string()]);
        f.proof.not_mine_account_id = "a1".into();
        let d = decide(&f);
        assert_eq!(d.changes.create_accounts.len(), 1);
        assert_eq!(d.declined_account_ids(), ["a1"], "recorded as declined too");
    }

    #[test]
    fn not_mine_never_removes_a_confirmed_binding() {
        for evidence in [Evidence::Password, Evidence::Contact, Evidence::Operator, Evidence::Created] {
            let mut f = facts(Some(evidence), Some(account("a1", "", "")));
            f.proof.not_mine_account_id = "a1".into();
            let d = decide(&f);
            assert!(!d.signed_in);
            assert_eq!(d.needs, LoginNeed::Operator, "{evidence:?}");
            assert_eq!(d.changes, ChangeSet::default(), "{evidence:?}");
            assert!(d.declined_account_ids().is_empty());
            assert!(d.reason.en.contains("contact the operator") && d.reason.zh.contains("联系管理员"));
        }
        // A name-only binding: "not mine" is honoured.
        let mut f = facts(Some(Evidence::NameDepartment), Some(account("a1", "", "")));
        f.proof.not_mine_account_id = "a1".into();
        assert_eq!(decide(&f).changes.remove_bindings.len(), 1);
    }

    #[test]
    fn a_member_whose_offered_accounts_were_all_taken_gets_a_new_account_by_policy() {
        let mut f = facts(None, None);
        f.set_offered_accounts_held(2);
        let d = decide(&f);
        assert!(!d.signed_in, "never signed in to anything existing");
        assert_eq!((d.needs, d.evidence), (LoginNeed::Nothing, Evidence::Created));
        assert_eq!(d.changes.create_accounts.len(), 1);
        assert!(d.changes.create_bindings.is_empty() && d.changes.remove_bindings.is_empty());
        f.policy.new_members = NewMembers::Ignore;
        let d = decide(&f);
        assert_eq!(d.needs, LoginNeed::Operator);
        assert!(d.changes.create_accounts.is_empty());
        assert!(d.reason.en.contains("bound to another member"), "{:?}", d.reason);
        // A candidate still open: offered, nothing created.
        f.policy.new_members = NewMembers::Create;
        f.candidates = vec![account("c1", "", "")].into();
        assert_eq!(decide(&f).needs, LoginNeed::Password);
        // The host did not say (or nothing was offered): the operator, as before.
        let d = decide(&facts(None, None));
        assert_eq!(d.needs, LoginNeed::Operator);
        assert!(d.changes.create_accounts.is_empty());
        // Declined earlier (under `ignore`), the rest taken since: still the operator.
        let mut f = facts(None, None);
        f.set_offered_accounts_held(1);
        f.set_declined_account_ids(&["c9".to_string()]);
        assert_eq!(decide(&f).needs, LoginNeed::Operator);
    }

    #[test]
    fn declined_accounts_are_never_offered_again() {
        let mut f = facts(None, None);
        f.candidates = vec![account("c1", "", ""), account("c2", "", "")].into();
        f.set_declined_account_ids(&["c1".to_string()]);
        let d = decide(&f);
        assert_eq!(d.needs, LoginNeed::Password);
        assert_eq!(d.candidate_account_ids.iter().map(|c| c.as_str()).collect::<Vec<_>>(), ["c2"]);
        f.proof.password_account_id = "c1".into();
        assert!(!decide(&f).signed_in, "a declined account cannot be proved either");
        f.set_declined_account_ids(&["c1".to_string(), "c2".to_string()]);
        f.proof = Default::default();
        let d = decide(&f);
        assert_eq!(d.needs, LoginNeed::Operator);
        assert!(d.candidate_account_ids.is_empty());
        assert!(d.reason.en.contains("none of the accounts offered is theirs"));
    }

    #[test]
    fn status_scope_and_a_disabled_account_refuse() {
        let mut f = facts(Some(Evidence::Operator), Some(account("a1", "", "")));
        f.member.status = MemberStatus::Left;
        assert_eq!(decide(&f).refusal.into_option().map(|e| e.code.to_string()).as_deref(), Some("login.member_left"));
        let mut f = facts(Some(Evidence::Operator), Some(account("a1", "", "")));
        f.member_synced = false;
        f.scope = ScopeSelection::default();
        f.scope_department_ids = Default::default();
        let d = decide(&f);
        assert!(!d.signed_in, "an empty scope never widens");
        assert_eq!(d.refusal.into_option().map(|e| e.code.to_string()).as_deref(), Some("login.out_of_scope"));
        let mut f = facts(Some(Evidence::Operator), Some(account("a1", "", "")));
        f.member_synced = false;
        assert!(decide(&f).signed_in, "a live department in the synced departments");
        let mut a = account("a1", "", "");
        a.enabled = false;
        let d = decide(&facts(Some(Evidence::Operator), Some(a)));
        assert_eq!(d.refusal.into_option().map(|e| e.code.to_string()).as_deref(), Some("login.account_disabled"));
    }
}

#[cfg(test)]
mod review_tests {
    use super::tests_support::*;
    use super::*;

    #[test]
    fn one_contradicting_contact_outweighs_an_agreeing_one() {
        let a = account("a1", "13800000000", "wang@example.com");
        let d = decide(&consented(facts(Some(Evidence::Name), Some(a)), "13911111111", "wang@example.com"));
        assert!(!d.signed_in);
        assert_eq!(d.needs, LoginNeed::Operator);
    }

    #[test]
    fn an_empty_scope_lets_nobody_in_even_a_member_the_host_lists() {
        let mut f = facts(Some(Evidence::Operator), Some(account("a1", "", "")));
        f.scope = Default::default();
        f.member_synced = true;
        assert!(!decide(&f).signed_in);
    }

    #[test]
    fn an_account_that_is_not_the_bindings_is_never_signed_into() {
        let mut f = facts(Some(Evidence::Operator), Some(account("a1", "", "")));
        f.account = Some(account("a2", "", "")).into();
        let d = decide(&f);
        assert!(!d.signed_in);
        assert_eq!(d.needs, LoginNeed::Operator);
    }

    #[test]
    fn an_empty_proof_proves_nothing() {
        let mut f = facts(None, None);
        f.candidates = vec![account("", "", "")].into();
        assert!(!decide(&f).signed_in);
    }

    #[test]
    fn an_inactive_or_unknown_future_status_is_refused() {
        for status in [MemberStatus::Inactive, MemberStatus::from_raw(99)] {
            let mut f = facts(Some(Evidence::Operator), Some(account("a1", "", "")));
            f.member.status = status;
            assert!(!decide(&f).signed_in, "{status:?}");
        }
    }
}
