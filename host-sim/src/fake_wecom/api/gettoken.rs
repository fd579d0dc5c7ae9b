//! `gettoken` (doc 91039): corp id + app secret → access token. Answers from any IP.

use super::{check_rate, Answer};
use crate::fake_wecom::reply::{ok, Call};
use crate::fake_wecom::state::Shared;
use axum::extract::State;
use axum::Extension;
use serde_json::json;
use std::sync::Arc;

pub(crate) async fn gettoken(State(shared): State<Arc<Shared>>, Extension(call): Extension<Call>) -> Answer {
    check_rate(&shared, &call)?;
    let Some(corpid) = call.param("corpid") else {
        return Err(call.error(41002, "corpid missing"));
    };
    let Some(secret) = call.param("corpsecret") else {
        return Err(call.error(41004, "corpsecret missing"));
    };
    let view = shared.view();
    if corpid != view.org.corp_id {
        return Err(call.error(40013, "invalid corpid"));
    }
    let Some(app) = view.app_by_secret(secret) else {
        return Err(call.error(40001, "invalid credential"));
    };
    let (token, expires_in) = shared.issue_token(app.agent_id);
    Ok(ok(json!({ "access_token": token, "expires_in": expires_in })))
}
