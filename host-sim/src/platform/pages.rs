//! The platform's small HTML pages: how a login ended, and the bilingual error page.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// What a login ended in.
pub enum Outcome {
    /// Signed in.
    SignedIn {
        /// Platform account id.
        account_id: String,
        /// Its name.
        account_name: String,
        /// WeCom userid.
        userid: String,
    },
    /// A member without a platform account.
    Unbound {
        /// WeCom userid.
        userid: String,
        /// WeCom name.
        name: String,
    },
    /// Refused, with the reason in both languages.
    Refused(String, String),
    /// Not signed in, but the member's answer made them an account: sign in again (the reason
    /// in both languages).
    AccountCreated(String, String),
    /// The member must prove a platform account with its password (or decline it).
    NeedsPassword {
        /// WeCom userid.
        userid: String,
        /// The accounts the member may prove.
        account_ids: Vec<String>,
        /// Why, in both languages.
        reason: (String, String),
        /// A member without a binding choosing among candidates: the page also offers "none of
        /// these is mine".
        declinable: bool,
        /// The pending proof's anti-forgery token (a hidden field of the form).
        token: String,
    },
    /// An operator must decide first.
    Operator {
        /// WeCom userid.
        userid: String,
        /// Why, in both languages.
        reason: (String, String),
    },
}

pub(super) fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Renders an outcome page. The markers `data-outcome` and `data-account` let scripts read it.
pub fn page(status: StatusCode, outcome: Outcome) -> Response {
    let body = match outcome {
        Outcome::SignedIn { account_id, account_name, userid } => format!(
            "<h1 data-outcome=\"signed-in\" data-account=\"{}\">已登录 / Signed in</h1><p>平台账号 / account: {} ({})</p><p>企业微信成员 / WeCom member: {}</p>",
            escape(&account_id), escape(&account_name), escape(&account_id), escape(&userid)
        ),
        Outcome::Unbound { userid, name } => format!(
            "<h1 data-outcome=\"unbound\">尚未开通平台账号 / No platform account yet</h1><p>{} ({}) 还没有绑定万象智维账号。请联系管理员在「企业微信对接」中同步通讯录后再登录。</p><p>{} ({}) has no Wanxiang account yet. Ask your admin to sync the WeCom directory, then log in again.</p>",
            escape(&name), escape(&userid), escape(&name), escape(&userid)
        ),
        Outcome::NeedsPassword { userid, account_ids, reason, declinable, token } => {
            let none_mine = if declinable {
                " <button type=\"submit\" name=\"none_mine\" value=\"1\" data-action=\"none-mine\">这些都不是我的账号 / None of these is mine</button>"
            } else {
                ""
            };
            let options: String = account_ids
                .iter()
                .map(|id| format!("<option value=\"{0}\">{0}</option>", escape(id)))
                .collect();
            format!(
                "<h1 data-outcome=\"needs-password\" data-accounts=\"{}\">请确认您的平台账号 / Confirm your platform account</h1><p>{}</p><p>{}</p>\
                 <form method=\"post\" action=\"/oauth/wecom/password\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><p>{} <select name=\"account_id\">{options}</select></p>\
                 <p>平台密码 / platform password: <input type=\"password\" name=\"password\"></p>\
                 <button type=\"submit\">确认 / Confirm</button> <button type=\"submit\" name=\"not_mine\" value=\"1\">这不是我的账号 / This is not my account</button>{none_mine}</form>",
                escape(&account_ids.join(",")),
                escape(&reason.0),
                escape(&reason.1),
                escape(&token),
                escape(&userid)
            )
        }
        Outcome::Operator { userid, reason } => format!(
            "<h1 data-outcome=\"operator\">需要管理员确认 / An operator must confirm</h1><p>{} 的平台账号需要管理员在「企业微信对接」中确认后才能登录。{}</p><p>An operator must confirm the platform account of {} before it can sign in. {}</p>",
            escape(&userid), escape(&reason.0), escape(&userid), escape(&reason.1)
        ),
        Outcome::AccountCreated(zh, en) => format!("<h1 data-outcome=\"account-created\">已为您开通平台账号，请重新登录 / Your platform account was created; sign in again</h1><p>{}</p><p>{}</p><p><a href=\"/oauth/wecom/start\">重新登录 / Sign in again</a></p>", escape(&zh), escape(&en)),
        Outcome::Refused(zh, en) => format!("<h1 data-outcome=\"refused\">无法登录 / Login refused</h1><p>{}</p><p>{}</p>", escape(&zh), escape(&en)),
    };
    (status, Html(format!("<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>万象智维</title><body>{body}</body></html>"))).into_response()
}

/// A page for a request the platform refuses (not found, wrong method, a query it cannot read,
/// a body too slow or too large): the reason in zh-CN and en, marked `data-outcome="error"`.
pub fn error_page(status: StatusCode, zh: &str, en: &str) -> Response {
    let body = format!(
        "<h1 data-outcome=\"error\">请求有误 / Bad request ({})</h1><p>{}</p><p>{}</p>",
        status.as_u16(),
        escape(zh),
        escape(en)
    );
    (status, Html(format!("<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>万象智维</title><body>{body}</body></html>"))).into_response()
}
