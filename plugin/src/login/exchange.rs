//! Code → userid (`auth/getuserinfo`, with the cached token: no `gettoken` per login), then the
//! member's status re-checked with `user/get`, so `decide_login` refuses a disabled or departed
//! member even before the next sync. Two WeCom calls in all; a third (`auth/getuserdetail`) only
//! when the member went through the consent page (`snsapi_privateinfo`) and the code came with a
//! `user_ticket`. Who the member is, not whether they may sign in: that is `decide_login`.

use crate::directory::fetch_status;
use crate::host_log::Host;
use crate::settings::Accepted;
use crate::wecom::{CodeIdentity, WecomError};
use crate::wecom_text;
use interface::{LoginOutcome, LoginRequest, PersonalData, PluginError, Text};

/// Exchanges a login code for the member.
pub async fn exchange(accepted: &Accepted, request: &LoginRequest, host: &Host) -> Result<LoginOutcome, PluginError> {
    let code = checked_code(request.code.expose())?;
    let client = &accepted.client;
    let (userid, ticket) = match client.user_info_by_code(code).await {
        Ok(CodeIdentity::Member { userid, user_ticket }) => (userid, user_ticket),
        Ok(CodeIdentity::NonMember { .. }) => {
            return Err(PluginError::new(
                "login.not_member",
                Text::new(
                    "登录者不是本企业成员，无法登录平台。",
                    "The person logging in is not a member of this corp and cannot sign in.",
                ),
                Text::new("请使用本企业的企业微信账号登录。", "Log in with a WeCom account of this corp."),
            ))
        }
        Err(error) => return Err(map_code_error(&error)),
    };

    let member = client.get_user(&userid).await.map_err(|error| match error.errcode() {
        Some(60111) => not_found(&userid),
        Some(60011) | Some(60021) | Some(50002) => out_of_scope(&userid),
        _ => wecom_text::to_plugin_error(&error),
    })?;
    let status = fetch_status(member.status);
    let mut outcome = LoginOutcome {
        userid: member.userid.into(),
        name: member.name.into(),
        status,
        department_ids: member.department.into(),
        ..Default::default()
    };
    if let Some(ticket) = ticket {
        // Consent is evidence, never a requirement: a failed detail read leaves the login to the
        // other paths (a password proof), it does not fail it.
        match client.user_detail_by_ticket(&ticket).await {
            Ok(detail) if detail.userid.eq_ignore_ascii_case(outcome.userid.as_str()) => {
                outcome.consented = true;
                outcome.mobile = PersonalData::new(detail.mobile.trim());
                outcome.email = PersonalData::new(detail.email.trim());
            }
            Ok(_) => host.warn("auth/getuserdetail answered for another userid; consent ignored"),
            Err(error) => host.warn(&format!("auth/getuserdetail failed; consent ignored: {error}")),
        }
    }
    Ok(outcome)
}

/// The pre-network check of the `code` query parameter: trimmed, 1 to 512 bytes. `pub(crate)`
/// for the property tests.
pub(crate) fn checked_code(raw: &str) -> Result<&str, PluginError> {
    let code = raw.trim();
    if code.is_empty() || code.len() > 512 {
        return Err(code_invalid(None));
    }
    Ok(code)
}

fn map_code_error(error: &WecomError) -> PluginError {
    match error.errcode() {
        Some(40029) | Some(42003) | Some(42022) | Some(40163) | Some(41008) => code_invalid(error.errcode()),
        Some(50001) => PluginError::new(
            "login.redirect_domain_untrusted",
            Text::new(
                "登录码来自未登记为可信域名的回调地址。",
                "The code came through a redirect URL that is not a trusted domain of the app.",
            ),
            Text::new(
                "把平台回调地址的域名设为应用的可信域名。",
                "Set the platform redirect URL's domain as the app's trusted domain.",
            ),
        )
        .with_errcode(50001)
        .with_field("redirect_url"),
        _ => wecom_text::to_plugin_error(error),
    }
}

fn code_invalid(errcode: Option<i64>) -> PluginError {
    let e = PluginError::new(
        "login.code_invalid",
        Text::new(
            "登录码无效、已过期（5 分钟）或已被使用。",
            "The login code is invalid, expired (5 minutes) or already used.",
        ),
        Text::new("请重新从企业微信发起登录。", "Start the login from WeCom again."),
    )
    .with_field("code");
    match errcode {
        Some(c) => e.with_errcode(c),
        None => e,
    }
}

/// 60111 "userid not found": WeCom's text for it (doc 90313 via go-workwx's errcode list) also
/// covers a member outside the app's visible range, and a linked corp's `CorpId/userid` form
/// (doc 91023), so it is not read as "the member left". Which of the three it was WeCom does not
/// say.
fn not_found(userid: &str) -> PluginError {
    PluginError::new(
        "login.member_not_found",
        Text::new(
            format!("企业微信找不到成员 {userid}，或该成员不在应用的可见范围内（互联企业成员的 CorpId/userid 也会如此），不能登录。"),
            format!("WeCom cannot find member {userid}, or the member is outside the app's visible range (as is a linked corp's CorpId/userid), so they cannot log in."),
        ),
        Text::new(
            "请管理员在 管理后台 → 应用管理 → 自建 → 选择应用 → 可见范围 中添加该成员或其部门；若成员已离职或被删除，则无需处理。",
            "Ask the admin to add the member or their department under 可见范围 (visible range) in admin console → 应用管理 (App Management) → 自建 (Self-built) → your app; if the member left or was deleted, nothing needs doing.",
        ),
    )
    .with_errcode(60111)
    .with_field("userid")
}

fn out_of_scope(userid: &str) -> PluginError {
    PluginError::new(
        "login.out_of_scope",
        Text::new(
            format!("成员 {userid} 不在同步范围内，不能登录。"),
            format!("Member {userid} is outside the synced scope and cannot log in."),
        ),
        Text::new(
            "请管理员把该成员加入应用可见范围和同步范围后重新同步。",
            "Ask the admin to add the member to the app's visible range and the sync scope, then sync again.",
        ),
    )
    .with_field("userid")
}
