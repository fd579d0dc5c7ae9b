//! `department/list`, `department/simplelist`, `department/get` (docs 90208, 95350, 95351).

use super::{authorize, numeric_param, require_enabled, Answer, Caller};
use crate::fake_wecom::org::Department;
use crate::fake_wecom::reply::{ok, Call, Rejection};
use crate::fake_wecom::state::Shared;
use axum::extract::State;
use axum::Extension;
use serde_json::{json, Value};
use std::sync::Arc;

/// 60123 for an id the corp does not have (also a missing or non-numeric one: WeCom reads
/// those as department 0), 60011 for one outside the app's visible range.
pub(super) fn visible_department<'a>(
    caller: &'a Caller,
    call: &Call,
    raw: Option<u32>,
) -> Result<&'a Department, Rejection> {
    let Some(dept) = raw.and_then(|id| caller.view.department(id)) else {
        return Err(call.error(60123, "invalid party id"));
    };
    if !caller.scope().depts.contains(&dept.id) {
        return Err(call.error(60011, "no privilege to access/modify contact/party/agent"));
    }
    Ok(dept)
}

/// The departments a list call covers: the given one with its sub-tree, or every visible one.
fn listed(caller: &Caller, call: &Call) -> Result<Vec<u32>, Rejection> {
    match numeric_param::<u32>(call, "id") {
        Ok(None) => Ok(caller.view.visible_departments(caller.scope())),
        Ok(Some(id)) => {
            let dept = visible_department(caller, call, Some(id))?;
            Ok(caller.view.subtree(dept.id).into_iter().filter(|d| caller.scope().depts.contains(d)).collect())
        }
        Err(()) => Err(call.error(60123, "invalid party id")),
    }
}

fn full(dept: &Department) -> Value {
    let mut obj = json!({
        "id": dept.id,
        "name": dept.name,
        // Leaders are not modelled; WeCom lists only those in scope, so empty is a valid answer.
        "department_leader": [],
        "parentid": dept.parent_id,
        "order": dept.order,
    });
    if let (Some(name_en), Value::Object(map)) = (&dept.name_en, &mut obj) {
        map.insert("name_en".into(), Value::from(name_en.as_str()));
    }
    obj
}

pub(crate) async fn list(State(shared): State<Arc<Shared>>, Extension(call): Extension<Call>) -> Answer {
    let caller = authorize(&shared, &call)?;
    require_enabled(&caller, &call)?;
    let behaviour = shared.behaviour();
    if let Some(errcode) = behaviour.department_list_refused {
        return Err(call.error(errcode, refusal_text(errcode)));
    }
    if let Some(errcode) = behaviour.department_list_refused_without_departments {
        if caller.app().is_some_and(|app| app.allow_departments.is_empty()) {
            return Err(call.error(errcode, refusal_text(errcode)));
        }
    }
    let ids = listed(&caller, &call)?;
    let rows: Vec<Value> = ids.iter().filter_map(|id| caller.view.department(*id)).map(full).collect();
    Ok(ok(json!({ "department": rows })))
}

pub(crate) async fn simplelist(State(shared): State<Arc<Shared>>, Extension(call): Extension<Call>) -> Answer {
    let caller = authorize(&shared, &call)?;
    require_enabled(&caller, &call)?;
    let ids = listed(&caller, &call)?;
    let rows: Vec<Value> = ids
        .iter()
        .filter_map(|id| caller.view.department(*id))
        .map(|d| json!({ "id": d.id, "parentid": d.parent_id, "order": d.order }))
        .collect();
    Ok(ok(json!({ "department_id": rows })))
}

pub(crate) async fn get(State(shared): State<Arc<Shared>>, Extension(call): Extension<Call>) -> Answer {
    let caller = authorize(&shared, &call)?;
    require_enabled(&caller, &call)?;
    let id = numeric_param::<u32>(&call, "id").ok().flatten();
    let dept = visible_department(&caller, &call, id)?;
    Ok(ok(json!({ "department": full(dept) })))
}

/// WeCom's text for the errcodes a refused list call is configured with.
pub(super) fn refusal_text(errcode: i64) -> &'static str {
    match errcode {
        60011 => "no privilege to access/modify contact/party/agent",
        48002 => "api forbidden",
        48009 => "api forbidden for contact assistant",
        60020 => "not allow to access from your ip",
        _ => "system error",
    }
}
