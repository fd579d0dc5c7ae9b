//! `agent/get` (doc 90227): the token's own app and its visible range.

use super::{authorize, authorize_any_ip, numeric_param, Answer};
use crate::fake_wecom::reply::{ok, Call};
use crate::fake_wecom::state::Shared;
use axum::extract::State;
use axum::Extension;
use serde_json::json;
use std::sync::Arc;

/// Answers for a disabled app too: `close` is how the admin's self-test learns it is disabled.
pub(crate) async fn get(State(shared): State<Arc<Shared>>, Extension(call): Extension<Call>) -> Answer {
    let behaviour = shared.behaviour();
    let caller = if behaviour.agent_get_ignores_trusted_ip {
        authorize_any_ip(&shared, &call)?
    } else {
        authorize(&shared, &call)?
    };
    let agent_id = match numeric_param::<i64>(&call, "agentid") {
        Ok(Some(id)) => id,
        Ok(None) => return Err(call.error(41011, "agentid missing")),
        Err(()) => return Err(call.error(40056, "invalid agentid")),
    };
    let Some(app) = caller.view.app(agent_id) else {
        return Err(call.error(40056, "invalid agentid"));
    };
    if agent_id != caller.agent_id {
        if behaviour.agent_get_other_app_is_60011 {
            return Err(call.error(60011, "no privilege to access/modify contact/party/agent"));
        }
        return Err(call.error(301002, "not allow operate another agent with this accesstoken."));
    }
    let users: Vec<_> = app
        .allow_users
        .iter()
        .map(|u| {
            // Spelled as the directory has it, whatever case the app setting used.
            let userid = caller.view.user_index(u).and_then(|i| caller.view.user(i)).map_or(u.as_str(), |m| &m.userid);
            json!({ "userid": userid })
        })
        .collect();
    Ok(ok(json!({
        "agentid": app.agent_id,
        "name": app.name,
        "square_logo_url": app.square_logo_url,
        "description": app.description,
        "allow_userinfos": { "user": users },
        "allow_partys": { "partyid": app.allow_departments },
        "allow_tags": { "tagid": app.allow_tags },
        "close": app.close,
        "redirect_domain": app.redirect_domain,
        "report_location_flag": 0,
        "isreportenter": 0,
        "home_url": app.home_url,
    })))
}
