//! Switchable behaviours: what the real WeCom is reported to do but what is not confirmed, or
//! what only some corps meet, so that a test can put the fake in either world
//! ([`super::FakeWecom::set_behaviour`]). Each default is the fake's long-standing behaviour; a
//! switch turned on is the other reading of the docs (wecom-api.md §13, §14).

/// Behaviours of one fake, changeable while it runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Behaviour {
    /// `agent/get` answers from any IP, while the directory calls (`department/*`, `user/*`,
    /// `tag/*`) and `auth/getuserinfo` still answer 60020 outside 企业可信IP. Whether `agent/get`
    /// is IP-gated is unconfirmed (wecom-api.md §14, WecomTeam/CodeSameples#9); off = every
    /// business call is gated.
    pub agent_get_ignores_trusted_ip: bool,
    /// `agent/get` with another app's token answers 60011 "no privilege to access/modify
    /// contact/party/agent" instead of the documented 301002 (seen in older logs, §14); off =
    /// 301002.
    pub agent_get_other_app_is_60011: bool,
    /// `department/list` answers this errcode when the app's visible range holds no
    /// departments (only members or tags). What WeCom answers there is unconfirmed (§14:
    /// "department/list for self-built apps"); `None` = an empty list. `department/simplelist`
    /// and `department/get` are not affected.
    pub department_list_refused_without_departments: Option<i64>,
    /// `department/list` answers this errcode to every app (a restricted or gated endpoint, e.g.
    /// the 2022-08-15 48009 rule applied more widely than documented); `None` = answered.
    pub department_list_refused: Option<i64>,
    /// `user/list` answers this errcode to every app while `user/simplelist` and `user/get`
    /// still answer; `None` = answered. Which errcode a self-built app would get is unconfirmed.
    pub user_list_refused: Option<i64>,
    /// `user/get` of a member outside the app's visible range answers 60111 "userid not found"
    /// instead of 60011: WeCom's text for 60111 covers that case too (doc 90313); off = 60011.
    pub user_get_out_of_range_is_60111: bool,
    /// Every member object in `user/list` and `user/get` carries a custom attribute (extattr
    /// text) of this many bytes: members with large custom fields, so that one department's
    /// `user/list` answer can outgrow a client's size cap while `user/simplelist` stays small.
    /// 0 = no attributes.
    pub member_extattr_bytes: usize,
}
