//! `user/simplelist`, `user/list`, `user/get`, `user/list_id` (docs 90200, 90201, 90196, 96067).
//!
//! Member objects are what a self-built app created after 2022-06-20 gets: no mobile, email,
//! avatar, gender, biz_mail, qr_code or address (§4.4 of the API notes).

use super::department::{refusal_text, visible_department};
use super::{authorize, numeric_param, require_enabled, Answer, Caller};
use crate::fake_wecom::org::User;
use crate::fake_wecom::reply::{ok, ok_bytes, Call, Rejection};
use crate::fake_wecom::state::Shared;
use axum::extract::State;
use axum::Extension;
use serde::Serialize;
use serde_json::{json, Value};
use std::sync::Arc;

/// The member's departments the app may see: WeCom hides the others.
fn visible_departments(caller: &Caller, user: &User) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::new();
    for d in &user.departments {
        if caller.scope().depts.contains(d) && !out.contains(d) {
            out.push(*d);
        }
    }
    out
}

/// A member object as WeCom sends it. The fields are in the order serde_json's maps keep keys
/// (alphabetical), so the bytes are exactly those of the same object built as a `json!` map, without
/// building a map per member: a page of `user/list` is written straight from the organisation.
#[derive(Serialize)]
struct MemberOut<'a> {
    alias: &'a str,
    department: Vec<u32>,
    direct_leader: [&'a str; 0],
    extattr: &'a Value,
    is_leader_in_dept: Vec<u8>,
    /// Present only when the app may see that department.
    #[serde(skip_serializing_if = "Option::is_none")]
    main_department: Option<u32>,
    name: &'a str,
    order: Vec<u8>,
    position: &'a str,
    status: i32,
    telephone: &'a str,
    userid: &'a str,
}

/// `user/list`'s answer: the success envelope around the members, keys in serde_json's order.
#[derive(Serialize)]
struct ListPage<'a> {
    errcode: i64,
    errmsg: &'a str,
    userlist: Vec<MemberOut<'a>>,
}

/// `extattr` as built by [`extattr_object`], shared by every member of one answer.
fn member_out<'a>(caller: &Caller, user: &'a User, extattr: &'a Value) -> MemberOut<'a> {
    let departments = visible_departments(caller, user);
    let main = if user.main_department != 0 { Some(user.main_department) } else { user.departments.first().copied() };
    let main_department = main.filter(|m| departments.contains(m));
    MemberOut {
        alias: &user.alias,
        is_leader_in_dept: vec![0; departments.len()],
        order: vec![0; departments.len()],
        department: departments,
        direct_leader: [],
        extattr,
        main_department,
        name: &user.name,
        position: &user.position,
        status: user.status,
        telephone: "",
        userid: &user.userid,
    }
}

fn extattr_object(extattr_bytes: usize) -> Value {
    json!({ "attrs": extattr(extattr_bytes) })
}

fn member(caller: &Caller, user: &User, extattr_bytes: usize) -> Value {
    let extattr = extattr_object(extattr_bytes);
    serde_json::to_value(member_out(caller, user, &extattr)).unwrap_or(Value::Null)
}

/// One text attribute of `bytes` bytes, or none.
fn extattr(bytes: usize) -> Value {
    if bytes == 0 {
        return json!([]);
    }
    json!([{ "type": 0, "name": "备注", "text": { "value": "x".repeat(bytes) } }])
}

/// Members directly in the department (`fetch_child` is accepted and ignored, as the current
/// docs no longer list it).
/// Members the directory does not show yet ([`crate::fake_wecom::DirectoryLag`]) are left out.
fn direct_members<'a>(shared: &Shared, caller: &'a Caller, call: &Call) -> Result<Vec<&'a User>, Rejection> {
    let id = numeric_param::<u32>(call, "department_id").ok().flatten();
    let dept = visible_department(caller, call, id)?;
    let members = caller.view.direct_members(dept.id).iter().filter_map(|i| caller.view.user(*i));
    if shared.lag.is_empty() {
        return Ok(members.collect());
    }
    Ok(members.filter(|u| !shared.lag.hides(&u.userid)).collect())
}

pub(crate) async fn simplelist(State(shared): State<Arc<Shared>>, Extension(call): Extension<Call>) -> Answer {
    let caller = authorize(&shared, &call)?;
    require_enabled(&caller, &call)?;
    let rows: Vec<Value> = direct_members(&shared, &caller, &call)?
        .into_iter()
        .map(|u| json!({ "userid": u.userid, "name": u.name, "department": visible_departments(&caller, u) }))
        .collect();
    Ok(ok(json!({ "userlist": rows })))
}

pub(crate) async fn list(State(shared): State<Arc<Shared>>, Extension(call): Extension<Call>) -> Answer {
    let caller = authorize(&shared, &call)?;
    require_enabled(&caller, &call)?;
    let behaviour = shared.behaviour();
    if let Some(errcode) = behaviour.user_list_refused {
        return Err(call.error(errcode, refusal_text(errcode)));
    }
    let extattr = extattr_object(behaviour.member_extattr_bytes);
    let members = direct_members(&shared, &caller, &call)?;
    let page = ListPage {
        errcode: 0,
        errmsg: "ok",
        userlist: members.into_iter().map(|u| member_out(&caller, u, &extattr)).collect(),
    };
    Ok(ok_bytes(serde_json::to_vec(&page).unwrap_or_default()))
}

pub(crate) async fn get(State(shared): State<Arc<Shared>>, Extension(call): Extension<Call>) -> Answer {
    let caller = authorize(&shared, &call)?;
    require_enabled(&caller, &call)?;
    let Some(userid) = call.param("userid") else {
        return Err(call.error(41009, "userid missing"));
    };
    let Some(index) = caller.view.user_index(userid) else {
        return Err(call.error(60111, "userid not found"));
    };
    if shared.lag.refuses_get(userid) {
        return Err(call.error(60111, "userid not found"));
    }
    if !caller.scope().users.contains(&index) {
        if shared.behaviour().user_get_out_of_range_is_60111 {
            return Err(call.error(60111, "userid not found"));
        }
        return Err(call.error(60011, "no privilege to access/modify contact/party/agent"));
    }
    let Some(user) = caller.view.user(index) else {
        return Err(call.error(60111, "userid not found"));
    };
    Ok(ok(member(&caller, user, shared.behaviour().member_extattr_bytes)))
}

/// Only the 通讯录同步 secret may call it; the fake issues app tokens only.
pub(crate) async fn list_id(State(shared): State<Arc<Shared>>, Extension(call): Extension<Call>) -> Answer {
    let caller = authorize(&shared, &call)?;
    require_enabled(&caller, &call)?;
    Err(call.error(48002, "api forbidden"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The page written from structs is byte for byte the page the `json!` maps gave.
    #[test]
    fn a_page_is_written_as_its_json_map_would_be() {
        for (bytes, main) in [(0, Some(2)), (3, None)] {
            let extattr = extattr_object(bytes);
            let out = MemberOut {
                alias: "a",
                department: vec![2, 3],
                direct_leader: [],
                extattr: &extattr,
                is_leader_in_dept: vec![0, 0],
                main_department: main,
                name: "张三",
                order: vec![0, 0],
                position: "p\"",
                status: 4,
                telephone: "",
                userid: "zhangsan",
            };
            let mut map = json!({
                "userid": "zhangsan",
                "name": "张三",
                "department": [2, 3],
                "order": [0, 0],
                "position": "p\"",
                "status": 4,
                "alias": "a",
                "is_leader_in_dept": [0, 0],
                "direct_leader": [],
                "telephone": "",
                "extattr": extattr,
            });
            if let (Some(d), Value::Object(m)) = (main, &mut map) {
                m.insert("main_department".into(), Value::from(d));
            }
            let page = ListPage { errcode: 0, errmsg: "ok", userlist: vec![out] };
            let mut want = serde_json::Map::new();
            want.insert("errcode".into(), Value::from(0));
            want.insert("errmsg".into(), Value::from("ok"));
            want.insert("userlist".into(), json!([map]));
            assert_eq!(
                String::from_utf8(serde_json::to_vec(&page).expect("page")).expect("utf-8"),
                serde_json::to_string(&Value::Object(want)).expect("map")
            );
        }
    }
}
