//! The decrypted event XML (wecom-api.md §10.5) as an `interface::DirectoryChange`, and the
//! envelope's `<Encrypt>`. Read with a real XML parser: WeCom sends the same element both as
//! CDATA and as plain text (`ChangeType` appears both ways in the official samples), and values
//! may carry entities.

use crate::directory::fetch_status;
use abi_stable::std_types::{ROption, RString, RVec};
use interface::{ChangeKind, DirectoryChange};
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;
use quick_xml::Reader;
use std::collections::HashMap;

/// Why the XML could not be read. The details are for the admin; they never quote the content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XmlError {
    /// Not well-formed XML, or not one root element.
    Malformed(String),
    /// A required element is absent or empty.
    Missing(&'static str),
    /// An element's value is not what it must be (e.g. a department id that is not a number).
    Invalid(&'static str),
}

impl XmlError {
    /// `(zh, en)` description.
    pub fn describe(&self) -> (String, String) {
        match self {
            XmlError::Malformed(detail) => {
                (format!("XML 格式错误（{detail}）。"), format!("malformed XML ({detail})."))
            }
            XmlError::Missing(name) => (format!("缺少元素 {name}。"), format!("the element {name} is missing.")),
            XmlError::Invalid(name) => {
                (format!("元素 {name} 的值无效。"), format!("the element {name} has an invalid value."))
            }
        }
    }
}

/// The text of the root element's direct children, by element name (the first occurrence wins).
/// Deeper elements (e.g. `ExtAttr/Item/Name`) are skipped so that they cannot shadow a
/// top-level element of the same name. Text and CDATA pieces are joined and trimmed.
pub fn top_level_fields(xml: &str) -> Result<HashMap<String, String>, XmlError> {
    let mut reader = Reader::from_str(xml);
    let mut fields = HashMap::new();
    let mut depth = 0usize;
    let mut roots = 0usize;
    let mut current: Option<(String, String)> = None;
    loop {
        let event = reader.read_event().map_err(|e| XmlError::Malformed(short(&e.to_string())))?;
        match event {
            Event::Start(start) => {
                depth += 1;
                if depth == 1 {
                    roots += 1;
                } else if depth == 2 {
                    current = Some((element_name(start.name().as_ref())?, String::new()));
                }
            }
            Event::Empty(start) => {
                if depth == 0 {
                    roots += 1;
                } else if depth == 1 {
                    fields.entry(element_name(start.name().as_ref())?).or_insert_with(String::new);
                }
            }
            Event::End(_) => {
                if depth == 2 {
                    if let Some((name, value)) = current.take() {
                        fields.entry(name).or_insert_with(|| value.trim().to_string());
                    }
                }
                depth = depth.checked_sub(1).ok_or_else(|| XmlError::Malformed("unmatched end tag".into()))?;
            }
            Event::Text(text) if depth == 2 => {
                let piece = text.decode().map_err(|e| XmlError::Malformed(short(&e.to_string())))?;
                push(&mut current, &piece);
            }
            Event::CData(data) if depth == 2 => {
                let piece = data.decode().map_err(|e| XmlError::Malformed(short(&e.to_string())))?;
                push(&mut current, &piece);
            }
            Event::GeneralRef(reference) if depth == 2 => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => {
                        let name = reference.decode().map_err(|e| XmlError::Malformed(short(&e.to_string())))?;
                        resolve_predefined_entity(&name)
                            .ok_or_else(|| XmlError::Malformed("unknown entity".into()))?
                            .to_string()
                    }
                    Err(_) => return Err(XmlError::Malformed("invalid character reference".into())),
                };
                push(&mut current, &resolved);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if depth != 0 {
        return Err(XmlError::Malformed("unclosed element".into()));
    }
    if roots != 1 {
        return Err(XmlError::Malformed(format!("{roots} root elements")));
    }
    Ok(fields)
}

fn push(current: &mut Option<(String, String)>, piece: &str) {
    if let Some((_, value)) = current {
        value.push_str(piece);
    }
}

fn element_name(raw: &[u8]) -> Result<String, XmlError> {
    std::str::from_utf8(raw).map(str::to_string).map_err(|_| XmlError::Malformed("element name is not UTF-8".into()))
}

/// Parser messages are bounded and escaped: they may echo input (a tag name with a control
/// character in it, say), and they end up in an error message.
fn short(detail: &str) -> String {
    crate::shown::shown(detail, 120)
}

/// The `<Encrypt>` text of a POST body.
pub fn envelope_encrypt(body: &str) -> Result<Option<String>, XmlError> {
    let fields = top_level_fields(body)?;
    Ok(fields.get("Encrypt").filter(|v| !v.is_empty()).cloned())
}

/// What a decrypted callback message is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// A `change_contact` event this plugin knows.
    Change(Box<DirectoryChange>),
    /// Anything else (a message, another event, an unknown `ChangeType`): acknowledged, ignored.
    Other,
}

/// Parses the decrypted XML.
pub fn parse_event(xml: &str) -> Result<Parsed, XmlError> {
    let fields = top_level_fields(xml)?;
    let get = |name: &str| fields.get(name).map(String::as_str).filter(|v| !v.is_empty());

    if get("MsgType") != Some("event") || get("Event") != Some("change_contact") {
        return Ok(Parsed::Other);
    }
    let change_type = get("ChangeType").ok_or(XmlError::Missing("ChangeType"))?;
    let kind = match change_type {
        "create_user" => ChangeKind::MemberCreated,
        "update_user" => ChangeKind::MemberUpdated,
        "delete_user" => ChangeKind::MemberDeleted,
        "create_party" => ChangeKind::DepartmentCreated,
        "update_party" => ChangeKind::DepartmentUpdated,
        "delete_party" => ChangeKind::DepartmentDeleted,
        "update_tag" => ChangeKind::TagMembersChanged,
        // A change type added after this version: a full sync will pick its effect up.
        _ => return Ok(Parsed::Other),
    };
    let event_time_unix = match get("CreateTime") {
        Some(v) => v.parse::<i64>().map_err(|_| XmlError::Invalid("CreateTime"))?,
        None => 0,
    };
    let mut change = DirectoryChange {
        kind,
        change_type: change_type.into(),
        event_time_unix,
        dedup_key: RString::new(),
        userid: RString::new(),
        new_userid: RString::new(),
        name: ROption::RNone,
        department_ids: ROption::RNone,
        status: ROption::RNone,
        department_id: 0,
        department_name: ROption::RNone,
        parent_id: ROption::RNone,
        order: ROption::RNone,
        tag_id: 0,
        added_userids: RVec::new(),
        removed_userids: RVec::new(),
        added_department_ids: RVec::new(),
        removed_department_ids: RVec::new(),
        ext: Default::default(),
    };

    // Empty elements read as "not sent": WeCom never empties a name or a member's departments, so
    // an empty value can only mean the field carries nothing.
    let subject = match kind {
        ChangeKind::MemberCreated | ChangeKind::MemberUpdated | ChangeKind::MemberDeleted => {
            let userid = get("UserID").ok_or(XmlError::Missing("UserID"))?;
            change.userid = userid.into();
            if kind != ChangeKind::MemberDeleted {
                change.new_userid = get("NewUserID").unwrap_or_default().into();
                change.name = get("Name").map(RString::from).into();
                change.department_ids = get("Department").map(|v| ids(v, "Department")).transpose()?.into();
                change.status = get("Status")
                    .map(|v| v.parse::<i64>().map(fetch_status).map_err(|_| XmlError::Invalid("Status")))
                    .transpose()?
                    .into();
            }
            userid
        }
        ChangeKind::DepartmentCreated | ChangeKind::DepartmentUpdated | ChangeKind::DepartmentDeleted => {
            let id = get("Id").ok_or(XmlError::Missing("Id"))?;
            change.department_id = id.parse().map_err(|_| XmlError::Invalid("Id"))?;
            if kind != ChangeKind::DepartmentDeleted {
                change.department_name = get("Name").map(RString::from).into();
                change.parent_id =
                    get("ParentId").map(|v| v.parse().map_err(|_| XmlError::Invalid("ParentId"))).transpose()?.into();
                change.order =
                    get("Order").map(|v| v.parse().map_err(|_| XmlError::Invalid("Order"))).transpose()?.into();
            }
            id
        }
        ChangeKind::TagMembersChanged => {
            let id = get("TagId").ok_or(XmlError::Missing("TagId"))?;
            change.tag_id = id.parse().map_err(|_| XmlError::Invalid("TagId"))?;
            change.added_userids = names(get("AddUserItems"));
            change.removed_userids = names(get("DelUserItems"));
            change.added_department_ids =
                get("AddPartyItems").map(|v| ids(v, "AddPartyItems")).transpose()?.unwrap_or_default();
            change.removed_department_ids =
                get("DelPartyItems").map(|v| ids(v, "DelPartyItems")).transpose()?.unwrap_or_default();
            id
        }
        // Only the kinds above are produced by the parser of this version.
        _ => return Err(XmlError::Invalid("ChangeType")),
    };
    // Events carry no MsgId; WeCom's retries repeat these fields (wecom-api.md §10.3).
    let from = get("FromUserName").unwrap_or_default();
    change.dedup_key = format!("{from}|{event_time_unix}|{change_type}|{subject}").into();
    Ok(Parsed::Change(Box::new(change)))
}

/// A comma-separated list of ids ("1,2,3"); blanks between commas are skipped.
fn ids(value: &str, element: &'static str) -> Result<RVec<u32>, XmlError> {
    items(value).map(|item| item.parse::<u32>().map_err(|_| XmlError::Invalid(element))).collect()
}

fn names(value: Option<&str>) -> RVec<RString> {
    value.map(|v| items(v).map(RString::from).collect()).unwrap_or_default()
}

fn items(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|item| !item.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use interface::MemberStatus;

    fn change(xml: &str) -> DirectoryChange {
        match parse_event(xml) {
            Ok(Parsed::Change(c)) => *c,
            other => panic!("not a change: {other:?}"),
        }
    }

    fn wrap(change_type_node: &str, rest: &str) -> String {
        format!(
            "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>\
             <CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]></MsgType>\
             <Event><![CDATA[change_contact]]></Event>{change_type_node}{rest}</xml>"
        )
    }

    #[test]
    fn official_update_user_example() {
        let xml = "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>\n\
<CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]></MsgType>\n\
<Event><![CDATA[change_contact]]></Event><ChangeType>update_user</ChangeType>\n\
<UserID><![CDATA[zhangsan]]></UserID><NewUserID><![CDATA[zhangsan001]]></NewUserID>\n\
<Department><![CDATA[1,2,3]]></Department><MainDepartment>1</MainDepartment>\n\
<IsLeaderInDept><![CDATA[1,0,0]]></IsLeaderInDept><Status>1</Status></xml>";
        let c = change(xml);
        assert_eq!(c.kind, ChangeKind::MemberUpdated);
        assert_eq!(c.change_type.as_str(), "update_user");
        assert_eq!(c.event_time_unix, 1403610513);
        assert_eq!(c.userid.as_str(), "zhangsan");
        assert_eq!(c.new_userid.as_str(), "zhangsan001");
        assert_eq!(c.department_ids, ROption::RSome(RVec::from(vec![1, 2, 3])));
        assert_eq!(c.status, ROption::RSome(MemberStatus::Active));
        assert_eq!(c.name, ROption::RNone);
        assert_eq!(c.dedup_key.as_str(), "sys|1403610513|update_user|zhangsan");
    }

    #[test]
    fn change_type_as_cdata_or_plain_text() {
        for node in ["<ChangeType>delete_user</ChangeType>", "<ChangeType><![CDATA[delete_user]]></ChangeType>"] {
            let c = change(&wrap(node, "<UserID>lisi</UserID>"));
            assert_eq!(c.kind, ChangeKind::MemberDeleted);
            assert_eq!(c.userid.as_str(), "lisi");
        }
    }

    #[test]
    fn create_user_with_everything() {
        let c = change(&wrap(
            "<ChangeType>create_user</ChangeType>",
            "<UserID><![CDATA[wangwu]]></UserID><Name><![CDATA[王五 &amp; Co]]></Name>\
             <Department><![CDATA[ 1, 2 ,,3 ]]></Department><MainDepartment>1</MainDepartment>\
             <IsLeaderInDept>1,0,0</IsLeaderInDept><DirectLeader>lisi,zhaoliu</DirectLeader>\
             <Status>4</Status><ExtAttr><Item><Name>爱好</Name><Type>0</Type><Text><Value>旅游</Value></Text></Item></ExtAttr>",
        ));
        assert_eq!(c.kind, ChangeKind::MemberCreated);
        assert_eq!(c.userid.as_str(), "wangwu");
        assert_eq!(c.new_userid.as_str(), "");
        // ExtAttr's nested Name does not shadow the member's name.
        assert_eq!(c.name, ROption::RSome(RString::from("王五 &amp; Co")));
        assert_eq!(c.department_ids, ROption::RSome(RVec::from(vec![1, 2, 3])));
        assert_eq!(c.status, ROption::RSome(MemberStatus::Inactive));
    }

    #[test]
    fn entities_in_plain_text_are_resolved() {
        let c =
            change(&wrap("<ChangeType>create_user</ChangeType>", "<UserID>a</UserID><Name>A &amp; B &#x5F20;</Name>"));
        assert_eq!(c.name, ROption::RSome(RString::from("A & B 张")));
    }

    #[test]
    fn member_statuses() {
        for (code, status) in [
            ("1", MemberStatus::Active),
            ("2", MemberStatus::Disabled),
            ("4", MemberStatus::Inactive),
            ("5", MemberStatus::Left),
            ("9", MemberStatus::Unknown),
        ] {
            let c = change(&wrap(
                "<ChangeType>update_user</ChangeType>",
                &format!("<UserID>a</UserID><Status>{code}</Status>"),
            ));
            assert_eq!(c.status, ROption::RSome(status), "{code}");
        }
    }

    #[test]
    fn id_only_update_leaves_everything_else_unset() {
        let c = change(&wrap("<ChangeType>update_user</ChangeType>", "<UserID>a</UserID><Name></Name><Department/>"));
        assert_eq!(c.name, ROption::RNone);
        assert_eq!(c.department_ids, ROption::RNone);
        assert_eq!(c.status, ROption::RNone);
        assert_eq!(c.new_userid.as_str(), "");
    }

    #[test]
    fn party_events() {
        let c = change(&wrap(
            "<ChangeType>create_party</ChangeType>",
            "<Id>2</Id><Name><![CDATA[研发部]]></Name><ParentId>1</ParentId><Order>100000000</Order>",
        ));
        assert_eq!(c.kind, ChangeKind::DepartmentCreated);
        assert_eq!(c.department_id, 2);
        assert_eq!(c.department_name, ROption::RSome(RString::from("研发部")));
        assert_eq!(c.parent_id, ROption::RSome(1));
        assert_eq!(c.order, ROption::RSome(100000000));
        assert_eq!(c.dedup_key.as_str(), "sys|1403610513|create_party|2");

        let c = change(&wrap("<ChangeType><![CDATA[update_party]]></ChangeType>", "<Id>2</Id><ParentId>3</ParentId>"));
        assert_eq!(c.kind, ChangeKind::DepartmentUpdated);
        assert_eq!(c.department_name, ROption::RNone);
        assert_eq!(c.parent_id, ROption::RSome(3));
        assert_eq!(c.order, ROption::RNone);

        let c = change(&wrap("<ChangeType>delete_party</ChangeType>", "<Id>2</Id>"));
        assert_eq!(c.kind, ChangeKind::DepartmentDeleted);
        assert_eq!(c.department_id, 2);
    }

    #[test]
    fn tag_event_lists() {
        let c = change(&wrap(
            "<ChangeType>update_tag</ChangeType>",
            "<TagId>7</TagId><AddUserItems><![CDATA[u1,u2]]></AddUserItems><DelUserItems>u3</DelUserItems>\
             <AddPartyItems><![CDATA[1,2]]></AddPartyItems>",
        ));
        assert_eq!(c.kind, ChangeKind::TagMembersChanged);
        assert_eq!(c.tag_id, 7);
        assert_eq!(c.added_userids, RVec::from(vec![RString::from("u1"), RString::from("u2")]));
        assert_eq!(c.removed_userids, RVec::from(vec![RString::from("u3")]));
        assert_eq!(c.added_department_ids, RVec::from(vec![1, 2]));
        assert!(c.removed_department_ids.is_empty());
        assert_eq!(c.dedup_key.as_str(), "sys|1403610513|update_tag|7");
    }

    #[test]
    fn other_messages_and_unknown_change_types() {
        let text = "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n<FromUserName><![CDATA[mycreate]]></FromUserName>\n<CreateTime>1409659813</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[hello]]></Content>\n<MsgId>4561255354251345929</MsgId>\n<AgentID>218</AgentID>\n</xml>";
        assert_eq!(parse_event(text), Ok(Parsed::Other));
        let job = "<xml><MsgType>event</MsgType><Event>batch_job_result</Event></xml>";
        assert_eq!(parse_event(job), Ok(Parsed::Other));
        assert_eq!(parse_event(&wrap("<ChangeType>merge_user</ChangeType>", "")), Ok(Parsed::Other));
    }

    #[test]
    fn broken_events() {
        assert_eq!(parse_event(&wrap("", "")), Err(XmlError::Missing("ChangeType")));
        assert_eq!(parse_event(&wrap("<ChangeType>create_user</ChangeType>", "")), Err(XmlError::Missing("UserID")));
        assert_eq!(
            parse_event(&wrap("<ChangeType>delete_party</ChangeType>", "<Id>x</Id>")),
            Err(XmlError::Invalid("Id"))
        );
        assert_eq!(parse_event(&wrap("<ChangeType>update_tag</ChangeType>", "")), Err(XmlError::Missing("TagId")));
        assert_eq!(
            parse_event(&wrap(
                "<ChangeType>update_user</ChangeType>",
                "<UserID>a</UserID><Department>1,x</Department>"
            )),
            Err(XmlError::Invalid("Department"))
        );
        assert_eq!(
            parse_event(&wrap(
                "<ChangeType>update_user</ChangeType>",
                "<UserID>a</UserID><Department>1,-2</Department>"
            )),
            Err(XmlError::Invalid("Department"))
        );
        for xml in ["", "not xml", "<xml>", "<xml></wrong>", "<a/><b/>", "<xml><Name>&bogus;</Name></xml>", "</xml>"] {
            assert!(matches!(top_level_fields(xml), Err(XmlError::Malformed(_))), "{xml:?}");
        }
    }

    #[test]
    fn envelope() {
        let body = "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[abc+/=]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>";
        assert_eq!(envelope_encrypt(body), Ok(Some("abc+/=".to_string())));
        assert_eq!(envelope_encrypt("<xml><Encrypt>plain</Encrypt></xml>"), Ok(Some("plain".to_string())));
        assert_eq!(envelope_encrypt("<xml><Encrypt></Encrypt></xml>"), Ok(None));
        assert_eq!(envelope_encrypt("<xml><AgentID/></xml>"), Ok(None));
        assert!(envelope_encrypt("<xml><Encrypt>").is_err());
    }
}
