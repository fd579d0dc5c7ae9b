//! One-click login: the authorize URL (pure), the code exchange (`auth/getuserinfo`, then
//! `user/get` to re-check the member's status, `auth/getuserdetail` after consent), and the
//! decision (pure: who signs in to which account, on what evidence).

mod authorize;
mod decide;
mod exchange;
#[cfg(test)]
mod proptests;

pub use authorize::{authorize_url, pick_mode, LoginPages, DEFAULT_AUTHORIZE_BASE, DEFAULT_WEB_LOGIN_BASE};
pub use decide::decide as decide_login;
pub use exchange::exchange;
