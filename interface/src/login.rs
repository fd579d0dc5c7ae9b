use crate::{MemberStatus, ScopeSelection, SecretString};
use abi_stable::{
    std_types::{RString, RVec},
    StableAbi,
};
use serde::{Deserialize, Serialize};

/// Which WeCom login page to send the member to.
#[repr(u8)]
#[derive(StableAbi, Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginMode {
    /// Decide from the User-Agent: inside the WeCom client web authorization, else web login.
    #[default]
    Auto,
    /// Inside the WeCom client: `open.weixin.qq.com/connect/oauth2/authorize` (网页授权).
    InClient,
    /// In a desktop browser: QR code / desktop-client login (`login.work.weixin.qq.com/wwlogin/sso/login`).
    WebLogin,
}

/// Asks for the URL that starts a login.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizeRequest {
    /// Where WeCom sends the member back (host must be the app's trusted domain).
    pub redirect_url: RString,
    /// The CSRF state the host generated and keeps (a-z, A-Z, 0-9, at most 128 bytes).
    pub state: RString,
    /// Which login page; `Auto` decides from `user_agent`.
    pub mode: LoginMode,
    /// The member's browser User-Agent (for `Auto`).
    pub user_agent: RString,
}

/// The URL to redirect the member's browser to.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizeUrl {
    /// Full authorize URL.
    pub url: RString,
    /// The mode it was built for (never `Auto`).
    pub mode: LoginMode,
}

/// The code WeCom returned to the redirect URL, to exchange for the member.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    /// The `code` query parameter (single use, five minutes).
    pub code: SecretString,
    /// The synced scope; a member outside it is refused. Empty = do not check.
    pub scope: ScopeSelection,
}

/// Who logged in. The host maps `userid` to the bound platform account.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginOutcome {
    /// WeCom userid.
    pub userid: RString,
    /// Display name.
    pub name: RString,
    /// Status as re-checked at login.
    pub status: MemberStatus,
    /// Department ids the app may see.
    pub department_ids: RVec<u32>,
}
