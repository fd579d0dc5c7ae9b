//! `tag/list` and `tag/get` (docs 90216, 90213). Self-built apps see every corp tag; a tag's
//! members are filtered to the app's visible range.

use super::{authorize, numeric_param, require_enabled, Answer};
use crate::fake_wecom::reply::{ok, Call};
use crate::fake_wecom::state::Shared;
use axum::extract::State;
use axum::Extension;
use serde_json::{json, Value};
use std::sync::Arc;

pub(crate) async fn list(State(shared): State<Arc<Shared>>, Extension(call): Extension<Call>) -> Answer {
    let caller = authorize(&shared, &call)?;
    require_enabled(&caller, &call)?;
    let rows: Vec<Value> =
        caller.view.org.tags.iter().map(|t| json!({ "tagid": t.tag_id, "tagname": t.name })).collect();
    Ok(ok(json!({ "taglist": rows })))
}

pub(crate) async fn get(State(shared): State<Arc<Shared>>, Extension(call): Extension<Call>) -> Answer {
    let caller = authorize(&shared, &call)?;
    require_enabled(&caller, &call)?;
    let tag_id = match numeric_param::<u32>(&call, "tagid") {
        Ok(Some(id)) => id,
        Ok(None) => return Err(call.error(41017, "tagid missing")),
        Err(()) => return Err(call.error(40068, "invalid tagid")),
    };
    let Some(tag) = caller.view.tag(tag_id) else {
        return Err(call.error(40068, "invalid tagid"));
    };
    let scope = caller.scope();
    let users: Vec<Value> = caller
        .view
        .visible_tag_users(tag, scope)
        .into_iter()
        .filter_map(|i| caller.view.user(i))
        .map(|u| json!({ "userid": u.userid, "name": u.name }))
        .collect();
    // Departments outside the range are hidden like members are.
    let mut parties: Vec<u32> = Vec::new();
    for d in &tag.departments {
        if scope.depts.contains(d) && !parties.contains(d) {
            parties.push(*d);
        }
    }
    Ok(ok(json!({ "tagname": tag.name, "userlist": users, "partylist": parties })))
}
