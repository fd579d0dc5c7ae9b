//! # A faithful fake of the WeCom (企业微信) server API
//!
//! Serves the directory-read and OAuth endpoints a self-built app (自建应用) uses, with the real
//! paths, JSON shapes, errcodes and errmsg wording (see `/work/shared/wecom-api.md`), so a client
//! written against `https://qyapi.weixin.qq.com` works unchanged against
//! [`FakeWecom::base_url`]. Used by the `host-sim` CLI, the integration tests and the benchmarks.
//!
//! ## Behaviour
//!
//! Every answer is HTTP 200 with `errcode`/`errmsg` in the body (unless a fault is injected, see
//! below); error messages carry the tail
//! the real service appends: `<text>, hint: [<request id>], from ip: <peer>, more info at
//! https://open.work.weixin.qq.com/devtool/query?e=<errcode>`. Unknown `/cgi-bin/` paths are a
//! bare HTTP 404, as on the real host.
//!
//! | path (`/cgi-bin/…`) | notes |
//! |---|---|
//! | `gettoken?corpid&corpsecret` | 41002 / 41004 missing, 40013 wrong corp, 40001 unknown secret. A live token is returned again until it expires (`expires_in` = seconds left). Any IP |
//! | `agent/get?agentid` | 41011 missing, 40056 not a number / no such app, 301002 another app's token. Answers for a disabled app too (`close: 1`) |
//! | `department/list`, `department/simplelist` `?id` | sub-tree of `id`, or every visible department; 60123 unknown (also missing/non-numeric where required), 60011 outside the range |
//! | `department/get?id` | single `department` object |
//! | `user/simplelist`, `user/list` `?department_id` | direct members only (`fetch_child` ignored) |
//! | `user/get?userid` | case-insensitive; 41009 missing, 60111 unknown, 60011 outside the range |
//! | `POST user/list_id` | 48002: app secrets may not call it |
//! | `tag/list`, `tag/get?tagid` | all corp tags; `tag/get` lists only visible users and departments; 41017 missing, 40068 invalid |
//! | `auth/getuserinfo?code` | `userid` for a member's code, `openid` otherwise; 41008 missing, 40029 unknown / used / expired / another app's |
//!
//! Checks before every call but `gettoken`, in this order: frequency limit 45009 (per API, per
//! one-minute window, [`FakeConfig::rate_limit_per_min`]; `auth/getuserinfo` counts only failed
//! exchanges), token 41001 / 40014 / 42001, trusted IPs 60020 (`from ip:` = the TCP peer), and
//! for all business calls except `agent/get` a disabled app 50003. Member objects omit mobile,
//! email, avatar and gender, as for any self-built app created after 2022-06-20.
//!
//! Visible range of an app: `allow_departments` with their sub-trees; members of those
//! departments, `allow_users`, and the members of `allow_tags` (tag users plus the members of
//! the tag's departments and their sub-trees). Only `allow_departments` make departments visible.
//!
//! ## OAuth login pages (WeCom's web pages, on the same base URL under their real paths)
//!
//! A client that builds the real URLs on a custom base (`{base}/connect/oauth2/authorize?…`
//! instead of `https://open.weixin.qq.com/connect/oauth2/authorize?…`) gets these pages. They are
//! counted (under the keys below) and get the configured latency like API calls, never faults.
//!
//! | path | parameters | notes |
//! |---|---|---|
//! | `GET /connect/oauth2/authorize` | `appid` `redirect_uri` `response_type=code` `scope` `state` `agentid` | in-client web authorization (8a); `scope` `snsapi_base` or `snsapi_privateinfo` (no `user_ticket` is modelled). The real URL's `#wechat_redirect` never reaches a server. `agentid` is required: the fake must know whose code it mints |
//! | `GET /wwlogin/sso/login` | `login_type=CorpApp` `appid` `agentid` `redirect_uri` `state` `lang` | browser QR / web login (8b); `lang=en` only sets the page's `lang` (pages are bilingual) |
//!
//! Checks, in this order: `response_type`/`scope` or `login_type` (`bad_request`), `appid` = the
//! corp id (`invalid_appid`), `agentid` names an app (`invalid_agentid`), the app is not disabled
//! (`app_disabled`), `redirect_uri` is an absolute http(s) URL (`bad_request`) whose host — with
//! its port when it has one — is exactly the app's `redirect_domain` (可信域名), host compared
//! case-insensitively; an empty domain refuses everything (`redirect_uri_untrusted`). A failed
//! check shows WeCom's error page: HTTP 200, no redirect, a marker element
//! `<div … data-wecom-error="<code>">` and the reason in zh-CN and en.
//!
//! A good request shows a page standing in for the phone's confirmation, with exactly one
//! `<form method="post" action="/_sim/oauth/authorize">` holding
//! `<input type="hidden" name="…" value="…">` fields `agentid`, `redirect_uri`, `state`, `flow`
//! (`in_client` / `web_login`) and a `<select name="userid">` of the app's visible members
//! (`<option value="userid">name (userid)</option>`, directory order; everything HTML-escaped).
//! A script picks a `userid` and posts the fields back (see the controls below), which
//! answers like WeCom after the tap: `302 Found` to `redirect_uri` with `code=…&state=…`
//! appended to its query (before any `#fragment`; `state` left out when empty), plus
//! `&appid=<corp id>` for `web_login` (observed real behaviour). The code is single use and
//! expires after [`FakeConfig::code_ttl_secs`].
//!
//! ## Fault injection (for hardening tests of a client)
//!
//! [`FakeWecom::set_faults`] / `POST /_sim/faults` install a [`Faults`]: a list of rules, each
//! a [`FaultKind`] for `/cgi-bin/…` calls, optionally only one API (`endpoint`), only the next N
//! matching calls (`times`) and/or every n-th one (`every_nth`). Faulted calls are still counted;
//! the configured latency comes first. Kinds (JSON: `"http_500"` or `{"stall": {"ms": 500}}`):
//! `http_500` (an HTML 500 page), `close_connection` (dropped, no answer), `stall {ms}` (answer
//! later), `slow_body {ms}` (headers and half the body, a pause, the rest), `truncated_body`
//! (full `Content-Length`, half the body, closed), `garbage` (200 with `<html>gateway error</html>`), `empty_object` (200 with `{}`),
//! `errcode {errcode, errmsg}` (a WeCom error envelope with the real tail; an empty `errmsg` gets
//! WeCom's text for -1, 45009, 45033, …), `invalidate_tokens_after {calls}` (after that many more
//! matching calls every token answers 40014 until a new `gettoken`; fires once). Several rules
//! can fire on one call: stalls add up; the first answer-replacing and the first
//! delivery-altering rule win. [`FakeWecom::clear_faults`] / `DELETE /_sim/faults` remove them.
//!
//! ## Switchable behaviours ([`Behaviour`], [`FakeWecom::set_behaviour`])
//!
//! What the real WeCom is reported to do but is not confirmed, so that tests can run against
//! either reading. All off by default (the table above): `agent_get_ignores_trusted_ip`
//! (`agent/get` answers from any IP while the directory calls answer 60020),
//! `agent_get_other_app_is_60011` (60011 instead of 301002 for another app's token),
//! `department_list_refused_without_departments` (an errcode for an app whose visible range
//! holds only members or tags), `department_list_refused` / `user_list_refused` (an errcode for
//! every app, while `department/simplelist`, `department/get`, `user/simplelist`, `user/get` still
//! answer), `user_get_out_of_range_is_60111` (60111 instead of 60011 for a member outside the
//! range), `member_extattr_bytes` (members carry a custom attribute that large, so one
//! department's `user/list` can outgrow a client's size cap).
//!
//! ## Simulator controls (`/_sim/…`, not WeCom; not counted, no latency)
//!
//! | request | effect |
//! |---|---|
//! | `GET /_sim/stats` | `{"requests": {"user/get": 3, …}, "total": n, "peak_in_flight": n, "in_flight_secs": s}` (`in_flight_secs`: seconds of calls in flight summed over finished calls, never reset) |
//! | `POST /_sim/stats/reset` | zero the counters |
//! | `POST /_sim/oauth/code` `{"agent_id":1000002,"userid":"zhangsan"}` | `{"code":"…"}`, as after the member taps; `"openid"` instead of `"userid"` for a non-member |
//! | `POST /_sim/tokens/expire` | every issued token answers 42001 |
//! | `POST /_sim/tokens/invalidate` | every issued token answers 40014 |
//! | `POST /_sim/oauth/authorize` (form: `agentid`, `redirect_uri`, `state`, `flow`, and `userid` — or `openid` for a non-member) | the login page's confirmation: re-checks the app and `redirect_uri` (WeCom's error page), mints a code for anyone (unknown or out-of-range userids too: the exchange and `user/get` decide), answers the `302`. A malformed post (no `flow`, neither or both of `userid`/`openid`) is an error page with HTTP 400 |
//! | `POST /_sim/faults` `{"rules": [{"kind": "http_500", "endpoint": "user/list", "times": 1}]}` | replaces the faults in force (counters restart); 400 on a bad body |
//! | `DELETE /_sim/faults` | no faults |
//! | `POST /_sim/callback/target` `{"url": "…", "token": "…", "aes_key": "…"}` (+ optional `"receiver": "contact_sync" \| "app" \| "app_all_events"`, `"agent_id"`) | a callback setting as the admin saves it (by default 通讯录同步 → 设置接收事件服务器; `app` = the app's 接收消息 → 设置API接收, which is sent no leavers): WeCom verifies the URL at once; `{"ok": true, "verified": bool, "status": n}` |
//! | `POST /_sim/callback/member-left` `{"userid": "…"}` | the admin deletes the member and WeCom pushes `delete_user` to the target (`"ok": false` with an `error` when that receiver is sent no leavers); `{"ok": bool, "status": n, "elapsed_ms": n}`, 404 for an unknown member, 409 without a target |
//!
//! Every access token and OAuth code a fake issues is also remembered (bounded) for leak tests:
//! [`FakeWecom::issued_credentials`] for one fake, [`issued_in_this_process`] for all of them
//! (e.g. the fake that `demo::run` starts out of the caller's reach).
//!
//! ## Contact-change callbacks (通讯录回调, the fake calling the platform)
//!
//! [`CallbackPusher`] is WeCom's side of a callback URL: given the URL, the Token and the
//! EncodingAESKey the admin set, and under which setting ([`Receiver`]: 通讯录同步 → 设置接收事件服务器
//! by default, which gets every contact event with an empty `AgentID`; or the app's own
//! 接收消息 → 设置API接收, which gets only `update_user` on a userid change, or every event with
//! `Receiver::AppAllEvents`, the two readings of doc 96302), it verifies the URL (`GET` with an encrypted `echostr`; the
//! answer must be the plaintext within 1 s) and pushes `change_contact` events (`POST` of
//! `<xml><ToUserName/><Encrypt/><AgentID/></xml>`), signed and encrypted as WeCom does by the
//! fake's own implementation of the scheme (`wxcrypt`, pinned to the official vectors and
//! independent of the plugin's). [`contact_events`] holds the events ([`ContactEvent`], written as
//! WeCom writes them) and the console edits that produce them (`delete_member`, `add_member`,
//! `change_userid`, `set_status`, `tag_members`, `add_department`, …), to use through
//! [`FakeWecom::with_org`]; [`CallbackPusher::member_leaves`] does both for a leaver. For tests,
//! requests can be built and tampered with before sending ([`SignedRequest`]).
//!
//! ## Organisation file (`host-sim wecom-sim --org FILE`)
//!
//! ```json
//! { "corp_id": "ww8f3a1c2d4e5b6a70", "corp_name": "万象科技",
//!   "apps": [ { "agent_id": 1000002, "name": "万象智维", "secret": "…", "square_logo_url": "https://…",
//!               "description": "", "close": 0, "home_url": "", "redirect_domain": "", "trusted_ips": [],
//!               "allow_departments": [1], "allow_users": [], "allow_tags": [] } ],
//!   "departments": [ { "id": 1, "name": "万象科技", "parent_id": 0, "order": 100000000, "name_en": null } ],
//!   "users": [ { "userid": "zhangsan", "name": "张三", "departments": [2], "main_department": 2,
//!                "position": "", "status": 1, "alias": "" } ],
//!   "tags": [ { "tag_id": 1, "name": "骨干", "users": ["zhangsan"], "departments": [5] } ] }
//! ```
//!
//! Every field but `corp_id` and an app's `secret` may be left out (defaults: empty, 0,
//! `status` 1, `main_department` = first department). WeCom spellings are accepted as aliases
//! (`corpid`, `agentid`, `allow_partys`, `parentid`, `department`, `tagid`, `tagname`); any other
//! unknown field is an error. `close`: 1 = disabled. `trusted_ips`: empty = unrestricted;
//! entries may hold several addresses separated by `;` as in the console. `status`: 1 active,
//! 2 disabled, 4 not activated, 5 left. [`Org::from_json_file`] also checks that ids are unique
//! (userids case-insensitively), every referenced department, user and tag exists, no
//! department is its own ancestor, and no two apps share a secret.
//!
//! ## The sample organisation ([`Org::sample`])
//!
//! Corp `ww8f3a1c2d4e5b6a70` 万象科技. Departments: 1 万象科技 ⊃ {2 研发部 ⊃ {4 测试部门,
//! 5 平台组}, 3 市场部门}. Apps: 1000002 万象智维 (sees 1), 1000003 考勤打卡 (sees 3), 1000004
//! 旧版门户 (disabled, sees 1). Members: baikaishui 白开水 \[2\], renshengruxi 人生如戏 \[3\],
//! cuncaoxin 寸草心 \[4\], wangxiaokai 王晓楷 \[2,5\], clear Clear \[3\], zhangxu 张旭 \[4\],
//! xiaoyueyue 小岳岳 \[5\], liqiang 李强 \[3\] disabled, zhoumin 周敏 \[4\] left. Tags: 1 骨干
//! (wangxiaokai, clear; department 5), 2 新员工 (xiaoyueyue).

mod api;
mod behaviour;
mod callback_controls;
mod callback_push;
pub mod contact_events;
mod credentials;
mod faults;
mod lag;
mod login_pages;
mod org;
mod reply;
mod sample;
mod server;
mod sim_controls;
mod state;
mod stats;
mod view;
mod wire;
mod wxcrypt;

#[cfg(test)]
mod tests;

pub use behaviour::Behaviour;
pub use callback_push::{unix_now, CallbackPusher, Delivery, Receiver, SignedRequest};
pub use contact_events::ContactEvent;
pub use credentials::{issued_in_this_process, IssuedCredentials};
pub use faults::{FaultKind, FaultRule, Faults};
pub use lag::DirectoryLag;
pub use org::{App, Department, Org, Tag, User};
pub use server::{serve, FakeWecom};

/// Knobs of the fake. Defaults are the real service's numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeConfig {
    /// Token lifetime reported as `expires_in` (7200).
    pub token_ttl_secs: u64,
    /// Calls per API per minute before 45009 (10 000, the current per-corp per-API limit).
    pub rate_limit_per_min: u32,
    /// Added before answering each WeCom call, to model the network (0).
    pub latency_ms: u64,
    /// OAuth code lifetime (300: five minutes).
    pub code_ttl_secs: u64,
}

impl Default for FakeConfig {
    fn default() -> Self {
        FakeConfig { token_ttl_secs: 7200, rate_limit_per_min: 10_000, latency_ms: 0, code_ttl_secs: 300 }
    }
}

/// Locks a std mutex, carrying on after a panic elsewhere: every guarded value stays
/// consistent between statements, and the fake must keep answering.
pub(crate) fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
