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

/// The person logging in is not a member of this corp.
pub const LOGIN_NOT_MEMBER: &str = "login.not_member";
/// WeCom does not know the userid, or the member is outside the app's visible range (60111).
pub const LOGIN_MEMBER_NOT_FOUND: &str = "login.member_not_found";
/// The login mode is not one this plugin knows.
pub const LOGIN_MODE_UNKNOWN: &str = "login.mode_unknown";
/// The redirect URL is not an http(s) URL.
pub const LOGIN_REDIRECT_INVALID: &str = "login.redirect_invalid";
/// The OAuth `state` is empty, too long or not alphanumeric.
pub const LOGIN_STATE_INVALID: &str = "login.state_invalid";

/// Two edits for one row.
pub const BINDING_DUPLICATE_EDIT: &str = "binding.duplicate_edit";
/// A bind edit names no account.
pub const BINDING_MISSING_ACCOUNT: &str = "binding.missing_account";
/// A bind edit names a disabled account.
pub const BINDING_ACCOUNT_DISABLED: &str = "binding.account_disabled";
/// A bind edit names an account this same commit disables.
pub const BINDING_ACCOUNT_BEING_DISABLED: &str = "binding.account_being_disabled";
/// A removal was confirmed from an incomplete snapshot.
pub const BINDING_INCOMPLETE_SNAPSHOT: &str = "binding.incomplete_snapshot";
/// A removal was confirmed on a row that proposes none.
pub const BINDING_NOT_REMOVABLE: &str = "binding.not_removable";
/// A rename was confirmed on a row that proposes none.
pub const BINDING_NOT_A_RENAME: &str = "binding.not_a_rename";
/// Bind or unbind on a member who is disabled, has left, or is out of scope.
pub const BINDING_MEMBER_INACTIVE: &str = "binding.member_inactive";
/// A bind edit claims evidence an operator edit cannot give.
pub const BINDING_EVIDENCE_REFUSED: &str = "binding.evidence_refused";

/// The callback request is malformed (method, query, body size).
pub const CALLBACK_BAD_REQUEST: &str = "callback.bad_request";
/// The callback's XML could not be read.
pub const CALLBACK_BAD_XML: &str = "callback.bad_xml";
/// The callback's ciphertext could not be decrypted with the EncodingAESKey.
pub const CALLBACK_DECRYPT_FAILED: &str = "callback.decrypt_failed";
/// The decrypted callback's padding is invalid (a wrong EncodingAESKey).
pub const CALLBACK_BAD_PADDING: &str = "callback.bad_padding";
/// The callback is addressed to another corp (receiveid is not this CorpID).
pub const CALLBACK_RECEIVER_MISMATCH: &str = "callback.receiver_mismatch";

/// WeCom did not answer in time.
pub const NETWORK_TIMEOUT: &str = "network.timeout";
/// WeCom's host name could not be resolved.
pub const NETWORK_DNS: &str = "network.dns";
/// No connection to WeCom (refused, unreachable, proxy).
pub const NETWORK_CONNECT: &str = "network.connect";
/// The TLS handshake with WeCom failed (certificate, TLS-inspecting proxy).
pub const NETWORK_TLS: &str = "network.tls";
/// WeCom (or a gateway) answered with an HTTP error status and no WeCom envelope.
pub const NETWORK_HTTP_STATUS: &str = "network.http_status";
/// The answer was not WeCom's JSON.
pub const NETWORK_BAD_RESPONSE: &str = "network.bad_response";
/// The answer was larger than the plugin reads.
pub const NETWORK_BODY_TOO_LARGE: &str = "network.body_too_large";
/// Any other transport failure.
pub const NETWORK_ERROR: &str = "network.error";
