//! Building the binding table's rows once [`super::propose`] has decided what each one is.
//!
//! This is where the table's memory goes (every row owns copies of the member's and its
//! candidates' strings, as the ABI types require), so nothing here decides anything: each
//! function turns one decision into one row.

use super::reasons::{self, BoundAccount};
use super::solve::PairBy;
use interface::{Binding, Candidate, Evidence, Member, MemberStatus, PlatformAccount, ProposalRow, RowKind, Text};

/// An account as shown in a row.
pub(crate) fn candidate(account: &PlatformAccount, department_agrees: bool) -> Candidate {
    Candidate {
        account_id: account.id.clone(),
        account_name: account.name.clone(),
        departments: account.departments.clone(),
        department_agrees,
        has_contact: !account.mobile.is_empty() || !account.email.is_empty(),
    }
}

fn member_row(m: &Member, kind: RowKind, account: Option<Candidate>, label: Text, reason: Text) -> ProposalRow {
    ProposalRow {
        userid: m.userid.clone(),
        member_name: m.name.clone(),
        member_departments: m.department_names.clone(),
        member_status: m.status,
        kind,
        account: account.into(),
        candidates: Vec::new().into(),
        label,
        reason,
        evidence: Evidence::Name,
        previous_userid: Default::default(),
        ext: Default::default(),
    }
}

fn bound_account<'a>(b: &'a Binding, account: Option<&'a PlatformAccount>) -> BoundAccount<'a> {
    match account {
        Some(a) if a.enabled => BoundAccount::Enabled { id: a.id.as_str(), name: a.name.as_str() },
        Some(a) => BoundAccount::Disabled { id: a.id.as_str(), name: a.name.as_str() },
        None => BoundAccount::Missing { id: b.account_id.as_str() },
    }
}

/// The candidate shown for an existing binding; an account the host did not list is shown by id.
fn bound_candidate(b: &Binding, account: Option<&PlatformAccount>, department_agrees: bool) -> Candidate {
    match account {
        Some(a) => candidate(a, department_agrees),
        None => Candidate {
            account_id: b.account_id.clone(),
            account_name: "".into(),
            departments: Vec::new().into(),
            department_agrees: false,
            has_contact: false,
        },
    }
}

/// A member with a binding: kept, or proposed for removal when the member is disabled or left.
pub(crate) fn bound(m: &Member, b: &Binding, account: Option<&PlatformAccount>, agree: bool) -> ProposalRow {
    let shown = bound_account(b, account);
    let (kind, label, reason) = if matches!(m.status, MemberStatus::Disabled | MemberStatus::Left) {
        (RowKind::LeftWecom, reasons::label_to_unbind(), reasons::left_wecom(m.status, &shown))
    } else {
        (RowKind::AlreadyBound, reasons::label_bound(), reasons::already_bound(&shown))
    };
    let mut row = member_row(m, kind, Some(bound_candidate(b, account, agree)), label, reason);
    row.evidence = b.evidence;
    row
}

/// A member who appeared while a bound member of the same name and departments vanished from a
/// complete read: probably the same person under a changed userid.
pub(crate) fn rename(m: &Member, b: &Binding, account: &PlatformAccount) -> ProposalRow {
    let reason = reasons::rename_proposed(b.userid.as_str());
    let mut row =
        member_row(m, RowKind::RenameProposed, Some(candidate(account, true)), reasons::label_rename(), reason);
    row.evidence = super::evidence::after_rename(b.evidence);
    row.previous_userid = b.userid.clone();
    row
}

/// A binding whose member a complete snapshot no longer has. The member's name is unknown, so the
/// account's name stands in (the userid when the account is unknown too); see [`gone_name`].
pub(crate) fn gone(b: &Binding, account: Option<&PlatformAccount>) -> ProposalRow {
    ProposalRow {
        userid: b.userid.clone(),
        member_name: gone_name(b, account).into(),
        member_departments: Vec::new().into(),
        member_status: MemberStatus::Unknown,
        kind: RowKind::LeftWecom,
        account: Some(bound_candidate(b, account, false)).into(),
        candidates: Vec::new().into(),
        label: reasons::label_to_unbind(),
        reason: reasons::gone_from_scope(&bound_account(b, account)),
        evidence: b.evidence,
        previous_userid: Default::default(),
        ext: Default::default(),
    }
}

/// The name shown (and sorted by) for a binding whose member is gone.
pub(crate) fn gone_name<'a>(b: &'a Binding, account: Option<&'a PlatformAccount>) -> &'a str {
    account.map_or(b.userid.as_str(), |a| a.name.as_str())
}

/// An inactive member without a binding: nothing is created for them.
pub(crate) fn inactive(m: &Member) -> ProposalRow {
    member_row(m, RowKind::LeftWecom, None, reasons::label_no_action(), reasons::inactive_unbound())
}

/// A member who gets a new account: no account of the name is offered (`unavailable`: some
/// exist but are disabled or bound to someone else).
pub(crate) fn no_match(m: &Member, unavailable: bool) -> ProposalRow {
    let reason = if unavailable { reasons::no_match_unavailable() } else { reasons::no_match() };
    let mut row = member_row(m, RowKind::NoMatch, None, reasons::label_new_account(), reason);
    row.evidence = Evidence::Created;
    row
}

/// A member of a name group whose accounts all went to other members by department.
pub(crate) fn taken(m: &Member) -> ProposalRow {
    let mut row = member_row(m, RowKind::NoMatch, None, reasons::label_new_account(), reasons::no_match_taken());
    row.evidence = Evidence::Created;
    row
}

/// A member paired with one account. When both sides have departments and none agrees, the
/// pair is only offered to the operator (姓名匹配·部门不一致), never bound by itself.
pub(crate) fn pair(m: &Member, account: &PlatformAccount, agree: bool, by: PairBy) -> ProposalRow {
    let (kind, label, reason) = if departments_differ(m, account, agree) {
        (RowKind::NameMatchDepartmentsDiffer, reasons::label_departments_differ(), reasons::departments_differ())
    } else {
        let reason = match by {
            PairBy::Name { after_department } => reasons::name_match(agree, after_department),
            PairBy::Department { accounts, members } => reasons::resolved_by_department(accounts, members),
        };
        (RowKind::NameMatch, reasons::label_name_match(), reason)
    };
    let mut row = member_row(m, kind, Some(candidate(account, agree)), label, reason);
    row.evidence = if agree { Evidence::NameDepartment } else { Evidence::Name };
    row
}

/// Both the member and the account name departments, and none of them agrees.
pub(crate) fn departments_differ(m: &Member, account: &PlatformAccount, agree: bool) -> bool {
    !agree && !m.department_names.is_empty() && !account.departments.is_empty()
}

/// A member the operator has to decide for, with the likeliest candidates listed.
pub(crate) fn ambiguous(m: &Member, candidates: Vec<Candidate>, reason: Text) -> ProposalRow {
    let mut row = member_row(m, RowKind::Ambiguous, None, reasons::label_ambiguous(), reason);
    row.candidates = candidates.into();
    row
}

/// A member whose name no account has exactly (or whose name's accounts all went to other
/// members: `taken`), offered the accounts whose names differ only by spacing (姓名仅空格不同):
/// candidates, never a proposed pair; `total` of them in all, the likeliest listed.
pub(crate) fn name_spacing_differs(m: &Member, candidates: Vec<Candidate>, taken: bool, total: usize) -> ProposalRow {
    let reason = match taken {
        false => reasons::name_spacing_differs(total),
        true => reasons::name_spacing_differs_taken(total),
    };
    let mut row = member_row(m, RowKind::NameSpacingDiffers, None, reasons::label_name_spacing_differs(), reason);
    row.candidates = candidates.into();
    row
}
