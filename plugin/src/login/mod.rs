//! One-click login: the authorize URL (pure) and the code exchange (`auth/getuserinfo`, then
//! `user/get` to re-check the member's status).

mod authorize;
mod exchange;
#[cfg(test)]
mod proptests;

pub use authorize::{authorize_url, pick_mode, LoginPages};
pub use exchange::exchange;
