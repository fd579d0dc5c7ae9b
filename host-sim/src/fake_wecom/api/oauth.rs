//! `auth/getuserinfo` (doc 91023): exchanges a code minted by the simulator's "tap"; with the
//! member's consent (`snsapi_privateinfo`) it also gives a `user_ticket`, which
//! `auth/getuserdetail` (doc 95833) exchanges for the mobile and email the member shared.

use super::{authorize_unmetered, check_rate, require_enabled, Answer};
use crate::fake_wecom::credentials::{CodeSubject, TicketProblem, TICKET_TTL};
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
    match shared.redeem_code_with_consent(code, caller.agent_id) {
        Some((CodeSubject::Member(userid), consented)) => {
            // As the directory spells it; a member deleted since the tap keeps the minted id.
            let index = caller.view.user_index(&userid);
            let userid = index.and_then(|i| caller.view.user(i)).map_or(userid.clone(), |u| u.userid.clone());
            // A ticket only for a consenting member inside the app's scope, as WeCom does.
            let in_scope = index.is_some_and(|i| caller.scope().users.contains(&i));
            if consented && in_scope {
                let ticket = shared.issue_ticket(caller.agent_id, &userid);
                return Ok(ok(json!({ "userid": userid, "user_ticket": ticket, "expires_in": TICKET_TTL.as_secs() })));
            }
            Ok(ok(json!({ "userid": userid })))
        }
        Some((CodeSubject::NonMember(openid), _)) => Ok(ok(json!({ "openid": openid }))),
        None => {
            check_rate(&shared, &call)?;
            Err(call.error(40029, "invalid code"))
        }
    }
}

/// `auth/getuserdetail`: the sensitive fields a consenting member shared, by `user_ticket`
/// (POST `{"user_ticket": ...}`). Metered like any call.
pub(crate) async fn getuserdetail(
    State(shared): State<Arc<Shared>>,
    Extension(call): Extension<Call>,
    body: axum::body::Bytes,
) -> Answer {
    let caller = super::authorize(&shared, &call)?;
    require_enabled(&caller, &call)?;
    let ticket = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("user_ticket").and_then(|t| t.as_str()).map(str::to_owned))
        .filter(|t| !t.is_empty());
    let Some(ticket) = ticket else { return Err(call.error(84090, "missing user_ticket")) };
    let userid = match shared.check_ticket(&ticket, caller.agent_id) {
        Ok(userid) => userid,
        Err(TicketProblem::Expired) => return Err(call.error(84014, "user_ticket expired")),
        Err(TicketProblem::Invalid) => return Err(call.error(84015, "invalid user_ticket")),
    };
    let user = caller.view.user_index(&userid).and_then(|i| caller.view.user(i));
    let (mobile, email) = user.map(|u| (u.mobile.clone(), u.email.clone())).unwrap_or_default();
    Ok(ok(json!({
        "userid": userid,
        "gender": "0",
        "avatar": "",
        "qr_code": "",
        "mobile": mobile,
        "email": email,
        "biz_mail": "",
        "address": "",
    })))
}
