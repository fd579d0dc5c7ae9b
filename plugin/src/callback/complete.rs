//! `complete_change`: fills in what an id-only event left out. Contact-sync callbacks set up
//! after 2022-08-15 send only `UserID`/`Department`/`NewUserID`, and `update_party` sends only
//! what changed, so a member without a name or departments is read with `user/get` and a
//! department without a name with `department/get`. What the event did carry is kept: it is
//! newer than nothing and as new as the read.
//!
//! Deletes are returned as they are (there is nothing left to read). Tag events too: the official
//! advice is to re-read the tag rather than trust the Items fields (a department deletion may
//! produce a tag event without `DelPartyItems`), and a tag's members are a scope question the
//! host answers with a reconcile (`fetch_scope`), not a single read here.

use crate::wecom::{Client, Department, Member, WecomError};
use crate::{directory::fetch_status, wecom_text};
use abi_stable::std_types::{ROption, RString};
use interface::{ChangeKind, DirectoryChange, PluginError, Unresolved};

/// userid not found (`user/get`); also said of a member outside the app's visible range.
const USER_NOT_FOUND: i64 = 60111;
/// Outside the app's visible range (`user/get`): the contact-sync receiver sends events about
/// every member of the corp (doc 96302), the app's token sees only its range.
const OUT_OF_RANGE: [i64; 2] = [60011, 60021];
/// department not found (`department/get`).
const DEPARTMENT_NOT_FOUND: i64 = 60003;

/// The read a change needs, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// `user/get` for this userid (the new one when the event changed it).
    User(String),
    /// `department/get` for this id.
    Department(u32),
}

/// Which read would complete `change`; `None` when it is complete or cannot be completed.
pub fn lookup_for(change: &DirectoryChange) -> Option<Lookup> {
    match change.kind {
        ChangeKind::MemberCreated | ChangeKind::MemberUpdated => {
            let missing_name = !matches!(&change.name, ROption::RSome(name) if !name.is_empty());
            let missing_departments = change.department_ids.is_none();
            if !(missing_name || missing_departments) {
                return None;
            }
            let userid = if change.new_userid.is_empty() { &change.userid } else { &change.new_userid };
            (!userid.is_empty()).then(|| Lookup::User(userid.to_string()))
        }
        ChangeKind::DepartmentCreated | ChangeKind::DepartmentUpdated => {
            let missing_name = !matches!(&change.department_name, ROption::RSome(name) if !name.is_empty());
            (missing_name && change.department_id != 0).then_some(Lookup::Department(change.department_id))
        }
        _ => None,
    }
}

/// `change` with the fields it lacks taken from `user/get`.
pub fn merge_member(change: &DirectoryChange, member: &Member) -> DirectoryChange {
    let mut out = change.clone();
    if !matches!(&out.name, ROption::RSome(name) if !name.is_empty()) && !member.name.is_empty() {
        out.name = ROption::RSome(RString::from(member.name.as_str()));
    }
    if out.department_ids.is_none() {
        out.department_ids = ROption::RSome(member.department.clone().into());
    }
    // 0 means user/get did not send a status.
    if out.status.is_none() && member.status != 0 {
        out.status = ROption::RSome(fetch_status(member.status));
    }
    out
}

/// `change` with the fields it lacks taken from `department/get`.
pub fn merge_department(change: &DirectoryChange, department: &Department) -> DirectoryChange {
    let mut out = change.clone();
    if !matches!(&out.department_name, ROption::RSome(name) if !name.is_empty()) && !department.name.is_empty() {
        out.department_name = ROption::RSome(RString::from(department.name.as_str()));
    }
    if out.parent_id.is_none() {
        out.parent_id = ROption::RSome(department.parentid);
    }
    if out.order.is_none() {
        out.order = ROption::RSome(department.order);
    }
    out
}

/// Reads what `change` lacks. A member or department that no longer exists (deleted since the
/// event, or the event and its delete arrived out of order), or a member outside the app's
/// visible range (sent by the contact-sync receiver), is not an error: the change is returned as
/// it came, and the host's next reconcile settles it.
pub async fn complete(client: &Client, change: &DirectoryChange) -> Result<DirectoryChange, PluginError> {
    match lookup_for(change) {
        None => Ok(change.clone()),
        Some(Lookup::User(userid)) => match client.get_user(&userid).await {
            Ok(member) => Ok(merge_member(change, &member)),
            Err(error) if is(&error, USER_NOT_FOUND) || error.errcode().is_some_and(|c| OUT_OF_RANGE.contains(&c)) => {
                Ok(unresolved(change, error.errcode().unwrap_or_default()))
            }
            Err(error) => Err(wecom_text::to_plugin_error(&error)),
        },
        Some(Lookup::Department(id)) => match client.get_department(id).await {
            Ok(department) => Ok(merge_department(change, &department)),
            Err(error) if is(&error, DEPARTMENT_NOT_FOUND) => Ok(change.clone()),
            Err(error) => Err(wecom_text::to_plugin_error(&error)),
        },
    }
}

/// `change` as it came, saying what WeCom answered. A member WeCom does not find may be one it
/// shows a moment later (the directory catches up after a `create_user`, or after an `update_user`
/// that brings a member into the app's range): worth completing again before planning, which would
/// otherwise ask for a full read. A member outside the app's range is not (60011/60021).
fn unresolved(change: &DirectoryChange, errcode: i64) -> DirectoryChange {
    let mut out = change.clone();
    let retry =
        errcode == USER_NOT_FOUND && matches!(change.kind, ChangeKind::MemberCreated | ChangeKind::MemberUpdated);
    out.set_unresolved(&Unresolved { errcode, retry });
    out
}

fn is(error: &WecomError, errcode: i64) -> bool {
    error.errcode() == Some(errcode)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callback::event::{parse_event, Parsed};
    use abi_stable::std_types::RVec;
    use interface::MemberStatus;

    fn parsed(change_type: &str, rest: &str) -> DirectoryChange {
        let xml = format!(
            "<xml><FromUserName>sys</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType>\
             <Event>change_contact</Event><ChangeType>{change_type}</ChangeType>{rest}</xml>"
        );
        match parse_event(&xml) {
            Ok(Parsed::Change(c)) => *c,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn what_needs_a_read() {
        let id_only = parsed("update_user", "<UserID>zhangsan</UserID><NewUserID>zhangsan001</NewUserID>");
        assert_eq!(lookup_for(&id_only), Some(Lookup::User("zhangsan001".into())));
        let departments_only = parsed("update_user", "<UserID>a</UserID><Department>1,2</Department>");
        assert_eq!(lookup_for(&departments_only), Some(Lookup::User("a".into())));
        let full = parsed("create_user", "<UserID>a</UserID><Name>A</Name><Department>1</Department>");
        assert_eq!(lookup_for(&full), None);
        assert_eq!(
            lookup_for(&parsed("update_party", "<Id>3</Id><ParentId>1</ParentId>")),
            Some(Lookup::Department(3))
        );
        assert_eq!(lookup_for(&parsed("create_party", "<Id>3</Id><Name>研发</Name>")), None);
        assert_eq!(lookup_for(&parsed("delete_user", "<UserID>a</UserID>")), None);
        assert_eq!(lookup_for(&parsed("delete_party", "<Id>3</Id>")), None);
        assert_eq!(lookup_for(&parsed("update_tag", "<TagId>3</TagId>")), None);
    }

    #[test]
    fn merging_keeps_what_the_event_said() {
        let change = parsed(
            "update_user",
            "<UserID>zhangsan</UserID><NewUserID>zhangsan001</NewUserID><Department>1,2</Department>",
        );
        let member = Member {
            userid: "zhangsan001".into(),
            name: "张三".into(),
            department: vec![9],
            status: 2,
            ..Member::default()
        };
        let merged = merge_member(&change, &member);
        assert_eq!(merged.name, ROption::RSome(RString::from("张三")));
        assert_eq!(merged.department_ids, ROption::RSome(RVec::from(vec![1, 2])));
        assert_eq!(merged.status, ROption::RSome(MemberStatus::Disabled));
        assert_eq!(merged.userid.as_str(), "zhangsan");
        assert_eq!(merged.new_userid.as_str(), "zhangsan001");

        let change = parsed("update_party", "<Id>3</Id><ParentId>1</ParentId>");
        let department = Department { id: 3, name: "研发".into(), parentid: 2, order: 5, ..Department::default() };
        let merged = merge_department(&change, &department);
        assert_eq!(merged.department_name, ROption::RSome(RString::from("研发")));
        assert_eq!(merged.parent_id, ROption::RSome(1));
        assert_eq!(merged.order, ROption::RSome(5));
    }
}
