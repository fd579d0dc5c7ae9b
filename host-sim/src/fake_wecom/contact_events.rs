//! Contact-change events (`change_contact`, wecom-api.md §10.5) as WeCom writes them, and the
//! edits of the fake organisation an admin makes in the console that produce them.

use super::org::{Org, User};

/// One contact change, with the fields WeCom sends for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactEvent {
    /// `create_user`.
    CreateUser { userid: String, name: String, departments: Vec<u32> },
    /// `update_user`; `None` fields are not sent (events carry only what changed).
    UpdateUser {
        userid: String,
        new_userid: Option<String>,
        name: Option<String>,
        departments: Option<Vec<u32>>,
        status: Option<i32>,
    },
    /// `delete_user`.
    DeleteUser { userid: String },
    /// `create_party`.
    CreateParty { id: u32, name: String, parent_id: u32, order: u32 },
    /// `update_party`; `None` fields are not sent.
    UpdateParty { id: u32, name: Option<String>, parent_id: Option<u32> },
    /// `delete_party`.
    DeleteParty { id: u32 },
    /// `update_tag`.
    UpdateTag {
        tag_id: u32,
        add_users: Vec<String>,
        del_users: Vec<String>,
        add_parties: Vec<u32>,
        del_parties: Vec<u32>,
    },
}

impl ContactEvent {
    /// The decrypted event XML, as WeCom sends it to `corp_id` at `create_time`.
    pub fn to_xml(&self, corp_id: &str, create_time: i64) -> String {
        self.xml(corp_id, create_time, false)
    }

    /// As [`ContactEvent::to_xml`], as the contact-sync receiver sends member events when it was
    /// set up after 2022-08-15 (wecom-api.md §4.4): `UserID`, `NewUserID` and `Department` only;
    /// the name and status come from `user/get`.
    pub fn to_xml_ids_only(&self, corp_id: &str, create_time: i64) -> String {
        self.xml(corp_id, create_time, true)
    }

    fn xml(&self, corp_id: &str, create_time: i64, ids_only: bool) -> String {
        let mut x = format!(
            "<xml><ToUserName>{}</ToUserName><FromUserName>{}</FromUserName><CreateTime>{create_time}</CreateTime>\
             <MsgType>{}</MsgType><Event>{}</Event>",
            cdata(corp_id),
            cdata("sys"),
            cdata("event"),
            cdata("change_contact")
        );
        let mut el = |name: &str, value: &str| x.push_str(&format!("<{name}>{}</{name}>", cdata(value)));
        match self {
            ContactEvent::CreateUser { userid, name, departments } => {
                el("ChangeType", "create_user");
                el("UserID", userid);
                if !ids_only {
                    el("Name", name);
                }
                el("Department", &join(departments));
                if !ids_only {
                    el("Status", "1");
                }
            }
            ContactEvent::UpdateUser { userid, new_userid, name, departments, status } => {
                el("ChangeType", "update_user");
                el("UserID", userid);
                if let Some(v) = new_userid {
                    el("NewUserID", v);
                }
                if let Some(v) = name.as_ref().filter(|_| !ids_only) {
                    el("Name", v);
                }
                if let Some(v) = departments {
                    el("Department", &join(v));
                }
                if let Some(v) = status.filter(|_| !ids_only) {
                    el("Status", &v.to_string());
                }
            }
            ContactEvent::DeleteUser { userid } => {
                el("ChangeType", "delete_user");
                el("UserID", userid);
            }
            ContactEvent::CreateParty { id, name, parent_id, order } => {
                el("ChangeType", "create_party");
                el("Id", &id.to_string());
                el("Name", name);
                el("ParentId", &parent_id.to_string());
                el("Order", &order.to_string());
            }
            ContactEvent::UpdateParty { id, name, parent_id } => {
                el("ChangeType", "update_party");
                el("Id", &id.to_string());
                if let Some(v) = name {
                    el("Name", v);
                }
                if let Some(v) = parent_id {
                    el("ParentId", &v.to_string());
                }
            }
            ContactEvent::DeleteParty { id } => {
                el("ChangeType", "delete_party");
                el("Id", &id.to_string());
            }
            ContactEvent::UpdateTag { tag_id, add_users, del_users, add_parties, del_parties } => {
                el("ChangeType", "update_tag");
                el("TagId", &tag_id.to_string());
                for (name, items) in [("AddUserItems", add_users.join(",")), ("DelUserItems", del_users.join(","))] {
                    if !items.is_empty() {
                        el(name, &items);
                    }
                }
                for (name, items) in [("AddPartyItems", add_parties), ("DelPartyItems", del_parties)] {
                    if !items.is_empty() {
                        el(name, &join(items));
                    }
                }
            }
        }
        x.push_str("</xml>");
        x
    }
}

fn join(ids: &[u32]) -> String {
    ids.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

/// A CDATA section; a `]]>` inside is split across two sections, as XML writers do.
fn cdata(value: &str) -> String {
    format!("<![CDATA[{}]]>", value.replace("]]>", "]]]]><![CDATA[>"))
}

/// The admin deletes a member (离职): gone from the directory and from every tag. `None` when
/// there is no such member.
pub fn delete_member(org: &mut Org, userid: &str) -> Option<ContactEvent> {
    let at = org.users.iter().position(|u| u.userid.eq_ignore_ascii_case(userid))?;
    let user = org.users.remove(at);
    for tag in &mut org.tags {
        tag.users.retain(|u| !u.eq_ignore_ascii_case(&user.userid));
    }
    for app in &mut org.apps {
        app.allow_users.retain(|u| !u.eq_ignore_ascii_case(&user.userid));
    }
    Some(ContactEvent::DeleteUser { userid: user.userid })
}

/// The admin adds a member.
pub fn add_member(org: &mut Org, user: User) -> ContactEvent {
    let event = ContactEvent::CreateUser {
        userid: user.userid.clone(),
        name: user.name.clone(),
        departments: user.departments.clone(),
    };
    org.users.push(user);
    event
}

/// The admin changes a member's userid (allowed once for a system-generated one); tags follow.
pub fn change_userid(org: &mut Org, userid: &str, new_userid: &str) -> Option<ContactEvent> {
    let user = org.users.iter_mut().find(|u| u.userid.eq_ignore_ascii_case(userid))?;
    let old = std::mem::replace(&mut user.userid, new_userid.to_string());
    let departments = user.departments.clone();
    for tag in &mut org.tags {
        tag.users.iter_mut().filter(|u| u.eq_ignore_ascii_case(&old)).for_each(|u| *u = new_userid.to_string());
    }
    Some(ContactEvent::UpdateUser {
        userid: old,
        new_userid: Some(new_userid.to_string()),
        name: None,
        departments: Some(departments),
        status: None,
    })
}

/// The admin disables a member (status 2) or marks them as left (5).
pub fn set_status(org: &mut Org, userid: &str, status: i32) -> Option<ContactEvent> {
    let user = org.users.iter_mut().find(|u| u.userid.eq_ignore_ascii_case(userid))?;
    user.status = status;
    Some(ContactEvent::UpdateUser {
        userid: user.userid.clone(),
        new_userid: None,
        name: None,
        departments: None,
        status: Some(status),
    })
}

/// The admin adds members to a tag.
pub fn tag_members(org: &mut Org, tag_id: u32, add: &[&str]) -> Option<ContactEvent> {
    let tag = org.tags.iter_mut().find(|t| t.tag_id == tag_id)?;
    tag.users.extend(add.iter().map(|u| u.to_string()));
    Some(ContactEvent::UpdateTag {
        tag_id,
        add_users: add.iter().map(|u| u.to_string()).collect(),
        del_users: Vec::new(),
        add_parties: Vec::new(),
        del_parties: Vec::new(),
    })
}

/// The admin creates a department.
pub fn add_department(org: &mut Org, id: u32, name: &str, parent_id: u32) -> ContactEvent {
    org.departments.push(super::org::Department { id, name: name.to_string(), parent_id, order: 0, name_en: None });
    ContactEvent::CreateParty { id, name: name.to_string(), parent_id, order: 0 }
}

/// The admin renames a department.
pub fn rename_department(org: &mut Org, id: u32, name: &str) -> Option<ContactEvent> {
    let department = org.departments.iter_mut().find(|d| d.id == id)?;
    department.name = name.to_string();
    Some(ContactEvent::UpdateParty { id, name: Some(name.to_string()), parent_id: None })
}

/// The admin deletes an empty department.
pub fn delete_department(org: &mut Org, id: u32) -> Option<ContactEvent> {
    let at = org.departments.iter().position(|d| d.id == id)?;
    org.departments.remove(at);
    Some(ContactEvent::DeleteParty { id })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_read_as_wecom_writes_them() {
        let xml = ContactEvent::UpdateUser {
            userid: "zhangsan".into(),
            new_userid: Some("zhangsan001".into()),
            name: None,
            departments: Some(vec![1, 2]),
            status: None,
        }
        .to_xml("wx5823bf96d3bd56c7", 1700000000);
        assert_eq!(
            xml,
            "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_contact]]></Event><ChangeType><![CDATA[update_user]]></ChangeType><UserID><![CDATA[zhangsan]]></UserID><NewUserID><![CDATA[zhangsan001]]></NewUserID><Department><![CDATA[1,2]]></Department></xml>",
            "the §11.4 plaintext"
        );
        assert!(ContactEvent::CreateUser { userid: "a".into(), name: "x]]>y".into(), departments: vec![] }
            .to_xml("c", 1)
            .contains("<Name><![CDATA[x]]]]><![CDATA[>y]]></Name>"));
    }

    #[test]
    fn a_deleted_member_leaves_every_tag() {
        let mut org = Org::sample();
        assert_eq!(
            delete_member(&mut org, "WangXiaoKai"),
            Some(ContactEvent::DeleteUser { userid: "wangxiaokai".into() })
        );
        assert!(org.users.iter().all(|u| u.userid != "wangxiaokai"));
        assert!(org.tags.iter().all(|t| !t.users.iter().any(|u| u == "wangxiaokai")));
        assert_eq!(delete_member(&mut org, "wangxiaokai"), None);
    }
}
