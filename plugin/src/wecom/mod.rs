//! WeCom (企业微信) server API client for one self-built app (自建应用).
//!
//! Reference: `/work/shared/wecom-api.md` ("doc N" = `developer.work.weixin.qq.com/document/path/N`).
//! The client talks to the real `https://qyapi.weixin.qq.com` as is; nothing in it is shaped
//! for a fake.
//!
//! | function | method + path (below `/cgi-bin/`) | doc |
//! |---|---|---|
//! | (token cache, internal) | `GET gettoken?corpid=&corpsecret=` | 91039 |
//! | [`Client::get_agent`] | `GET agent/get?agentid=` | 90227 |
//! | [`Client::list_departments`] | `GET department/list[?id=]` | 90208 |
//! | [`Client::simple_list_departments`] | `GET department/simplelist[?id=]` | 95350 |
//! | [`Client::get_department`] | `GET department/get?id=` | 95351 |
//! | [`Client::list_users`] | `GET user/list?department_id=` (no `fetch_child`) | 90201 |
//! | [`Client::list_users_brief`] | the same, rows read only for a snapshot's fields | 90201 |
//! | [`Client::simple_list_users`] | `GET user/simplelist?department_id=` (no `fetch_child`) | 90200 |
//! | [`Client::get_user`] | `GET user/get?userid=` | 90196 |
//! | [`Client::list_tags`] | `GET tag/list` | 90216 |
//! | [`Client::get_tag`] | `GET tag/get?tagid=` | 90213 |
//! | [`Client::user_info_by_code`] | `GET auth/getuserinfo?code=` | 91023 |
//! | [`Client::user_detail_by_ticket`] | `POST auth/getuserdetail` `{"user_ticket"}` | 95833 |
//!
//! Every call but `gettoken` carries `access_token` from the [`token`] cache. Every call goes
//! through one path (`client.rs`): [`pacing`] (bounded concurrency + per-endpoint pace), the
//! request, a size-limited body read, the `{errcode, errmsg}` envelope, then the payload.
//! 40014 / 42001 (and 40001 from any call but `gettoken`) drop the token and retry once; -1, 45009 and 45033 are retried per
//! [`RetryPolicy`]; everything else is returned as [`WecomError`], whose
//! [`errcodes::lookup`] entry says which setting to fix and where in the admin console.
//!
//! Cancellation: dropping a call's future cancels it cleanly (slots, locks and the token
//! single-flight are released on drop); callers that race a call against a cancel signal report
//! [`WecomError::Cancelled`].
//!
//! Secrets: the Secret, tokens and user tickets are [`Secret`] / [`AccessToken`] values that
//! print as `***`; URLs in errors are `scheme://host/path` without the query.

pub mod client;
pub mod errcodes;
pub mod error;
pub mod models;
pub mod pacing;
pub mod secret;
pub mod token;

#[cfg(test)]
mod proptests;

pub use client::{validate_base_url, CallObserver, CallRecord, CallStats, Client, ClientConfig, DEFAULT_BASE_URL};
pub use errcodes::{lookup as lookup_errcode, ErrcodeInfo, Retry};
pub use error::{TransportKind, WecomError};
pub use models::{
    Agent, CodeIdentity, Department, DepartmentId, Gender, ListedMember, Member, MemberStatus, SimpleMember,
    TagMembers, TagSummary, TagUser, UserDetail,
};
pub use pacing::RetryPolicy;
pub use secret::{AccessToken, Secret};
pub use token::{Clock, MemoryTokenStore, StoredToken, SystemClock, TokenStore};
