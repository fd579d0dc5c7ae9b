//! The stable error codes a host acts on (`PluginError::code`). Codes are never renamed or reused;
//! new ones are added. `wecom.<errcode>` codes (WeCom errors not mapped to a field) are formed
//! from WeCom's errcode and are not listed here; `config.*` finding codes are in the report.

/// A panic inside the plugin, caught at the boundary; the instance stays usable.
pub const PLUGIN_PANIC: &str = "plugin.panic";
/// The instance's state is unusable after an earlier fault: create a new instance.
pub const PLUGIN_STATE_POISONED: &str = "plugin.state_poisoned";
/// A hook that calls WeCom was called from inside a host callback.
pub const PLUGIN_REENTRANT_CALL: &str = "plugin.reentrant_call";
/// No configuration is active: call `configure` or `activate` first.
pub const PLUGIN_NOT_CONFIGURED: &str = "plugin.not_configured";
/// The host cancelled the operation (`progress` answered false).
pub const PLUGIN_CANCELLED: &str = "plugin.cancelled";
/// The plugin predates a hook this host calls.
pub const PLUGIN_UNSUPPORTED: &str = "plugin.unsupported";
/// The plugin's runtime could not start or has shut down.
pub const PLUGIN_RUNTIME: &str = "plugin.runtime";

/// A setting is missing for what was asked (e.g. the Secret, for a WeCom call after a
/// callback-only activation); `field` names it.
pub const CONFIG_MISSING: &str = "config.missing";

/// WeCom could not be reached (prefix; `network.timeout`, `network.connect`, `network.dns`, ...).
pub const NETWORK_PREFIX: &str = "network.";
/// WeCom refused calls for a while (45009) and the read gave up.
pub const WECOM_RATE_LIMITED: &str = "wecom.rate_limited";

/// The proposal was made from another snapshot or host state: propose again.
pub const BINDING_STALE: &str = "binding.stale";
/// The account is already bound to another member, or chosen twice.
pub const BINDING_ACCOUNT_TAKEN: &str = "binding.account_taken";
/// An edit names a row that is not in the proposal.
pub const BINDING_UNKNOWN_ROW: &str = "binding.unknown_row";
/// An edit names an account that does not exist.
pub const BINDING_UNKNOWN_ACCOUNT: &str = "binding.unknown_account";
/// An edit of a kind this plugin does not know.
pub const BINDING_EDIT_UNKNOWN: &str = "binding.edit_unknown";
/// The change would remove more bindings than the safeguard allows: confirm the exact count.
pub const BINDING_MASS_REMOVAL: &str = "binding.mass_removal";

/// The OAuth code is invalid, used or expired.
pub const LOGIN_CODE_INVALID: &str = "login.code_invalid";
/// The member is outside the synced scope.
pub const LOGIN_OUT_OF_SCOPE: &str = "login.out_of_scope";
/// The member is disabled in WeCom.
pub const LOGIN_MEMBER_DISABLED: &str = "login.member_disabled";
/// The member left the corp.
pub const LOGIN_MEMBER_LEFT: &str = "login.member_left";
/// The bound platform account is disabled.
pub const LOGIN_ACCOUNT_DISABLED: &str = "login.account_disabled";
/// The member's consented mobile or email contradicts the bound account: binding suspended.
pub const LOGIN_CONTACT_MISMATCH: &str = "login.contact_mismatch";
/// The redirect URL's host is not a domain WeCom accepts for this app and mode.
pub const LOGIN_REDIRECT_DOMAIN_UNTRUSTED: &str = "login.redirect_domain_untrusted";

/// The callback's signature does not match the Token.
pub const CALLBACK_SIGNATURE_MISMATCH: &str = "callback.signature_mismatch";
/// The callback's timestamp is outside the window (check the server clock).
pub const CALLBACK_STALE_TIMESTAMP: &str = "callback.stale_timestamp";
/// No callback Token and EncodingAESKey are active.
pub const CALLBACK_NOT_CONFIGURED: &str = "callback.not_configured";
