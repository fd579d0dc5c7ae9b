//! `user/simplelist`, `user/list`, `user/get`, `user/list_id` (docs 90200, 90201, 90196, 96067).
//!
//! Member objects are what a self-built app created after 2022-06-20 gets: no mobile, email,
//! avatar, gender, biz_mail, qr_code or address (§4.4 of the API notes).

use super::department::{refusal_text, visible_department};
use super::{authorize, numeric_param, require_enabled, Answer, Caller};
use crate::fake_wecom::org::User;
use crate::fake_wecom::reply::{ok, Call, Rejection};
use crate::fake_wecom::state::Shared;
use axum::extract::State;
use axum::Extension;
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

fn member(caller: &Caller, user: &User, extattr_bytes: usize) -> Value {
    let departments = visible_departments(caller, user);
    let zeros = vec![0; departments.len()];
    let mut obj = json!({
        "userid": user.userid,
        "name": user.name,
        "department": departments,
        "order": zeros,
        "position": user.position,
        "status": user.status,
        "alias": user.alias,
        "is_leader_in_dept": zeros,
        "direct_leader": [],
        "telephone": "",
        "extattr": { "attrs": extattr(extattr_bytes) },
    });
    let main = if user.main_department != 0 { Some(user.main_department) } else { user.departments.first().copied() };
    // Present only when the app may see that department.
    if let (Some(main), Value::Object(map)) = (main.filter(|m| departments.contains(m)), &mut obj) {
        map.insert("main_department".into(), Value::from(main));
    }
    obj
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
    let bytes = behaviour.member_extattr_bytes;
    let rows: Vec<Value> =
        direct_members(&shared, &caller, &call)?.into_iter().map(|u| member(&caller, u, bytes)).collect();
    Ok(ok(json!({ "userlist": rows })))
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
