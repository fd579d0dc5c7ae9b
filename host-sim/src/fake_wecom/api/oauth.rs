//! `auth/getuserinfo` (doc 91023): exchanges a code minted by the simulator's "tap".

use super::{authorize_unmetered, check_rate, require_enabled, Answer};
use crate::fake_wecom::credentials::CodeSubject;
use crate::fake_wecom::reply::{ok, Call};
use crate::fake_wecom::state::Shared;
use axum::extract::State;
use axum::Extension;
use serde_json::json;
use std::sync::Arc;

/// "A valid code does not count against frequency limits": only failed exchanges are metered.
pub(crate) async fn getuserinfo(State(shared): State<Arc<Shared>>, Extension(call): Extension<Call>) -> Answer {
    let caller = authorize_unmetered(&shared, &call).map_err(|e| check_rate(&shared, &call).err().unwrap_or(e))?;
    require_enabled(&caller, &call).map_err(|e| check_rate(&shared, &call).err().unwrap_or(e))?;
    let Some(code) = call.param("code") else {
        check_rate(&shared, &call)?;
        return Err(call.error(41008, "code missing"));
    };
    match shared.redeem_code(code, caller.agent_id) {
        Some(CodeSubject::Member(userid)) => {
            // As the directory spells it; a member deleted since the tap keeps the minted id.
            let userid = caller
                .view
                .user_index(&userid)
                .and_then(|i| caller.view.user(i))
                .map_or(userid.clone(), |u| u.userid.clone());
            Ok(ok(json!({ "userid": userid })))
        }
        Some(CodeSubject::NonMember(openid)) => Ok(ok(json!({ "openid": openid }))),
        None => {
            check_rate(&shared, &call)?;
            Err(call.error(40029, "invalid code"))
        }
    }
}
