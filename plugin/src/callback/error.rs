//! The callback errors, one stable code each. Messages carry the official sample's return code
//! (-400xx) where there is one, so an admin comparing with WeCom's own tooling finds the same
//! failure; they never carry the Token, the key or decrypted content.

use super::crypto::CryptoError;
use interface::{PluginError, Text};

use super::{CONSOLE_RECEIVERS as CONSOLE_CALLBACK, CONSOLE_RECEIVERS_EN as CONSOLE_CALLBACK_EN};

fn error(code: &str, field: &str, zh: String, en: String, fix_zh: String, fix_en: String) -> PluginError {
    PluginError::new(code, Text::new(zh, en), Text::new(fix_zh, fix_en)).with_field(field)
}

/// No Token or EncodingAESKey in the accepted configuration (or the key is unusable, -40004).
/// `field` names the first missing setting; `what_zh`/`what_en` say what is missing or wrong.
pub fn not_configured(field: &str, what_zh: &str, what_en: &str) -> PluginError {
    error(
        "callback.not_configured",
        field,
        format!("回调所需的 {what_zh}，无法校验和解密企业微信的回调。"),
        format!("The callback {what_en}: WeCom callbacks cannot be verified or decrypted."),
        format!("在设置回调的页面（{CONSOLE_CALLBACK}）复制 Token 和 EncodingAESKey，填入对接设置后重新保存（configure）。"),
        format!("Copy the Token and EncodingAESKey from the page where the callback is set ({CONSOLE_CALLBACK_EN}) into the connection settings and save them again (configure)."),
    )
}

/// A required parameter is missing or unusable, the method is wrong, or the body is too large.
pub fn bad_request(field: &str, zh: impl Into<String>, en: impl Into<String>) -> PluginError {
    error(
        "callback.bad_request",
        field,
        zh.into(),
        en.into(),
        "该请求不是企业微信发出的有效回调；若回调地址前有代理，确认代理原样转发了查询参数和请求体。".to_string(),
        "This is not a valid WeCom callback; if a proxy sits in front of the callback URL, make sure it forwards the query string and body unchanged.".to_string(),
    )
}

/// A required query parameter is absent or empty.
pub fn missing_parameter(name: &str) -> PluginError {
    bad_request(name, format!("回调请求缺少参数 {name}。"), format!("The callback request lacks the {name} parameter."))
}

/// The signature does not match (-40001).
pub fn signature_mismatch() -> PluginError {
    error(
        "callback.signature_mismatch",
        "callback_token",
        "回调签名校验失败（官方示例返回码 -40001）：请求不是用已配置的 Token 签名的。".to_string(),
        "The callback signature does not match (official sample code -40001): the request was not signed with the configured Token.".to_string(),
        format!("确认对接设置中的 Token 与设置回调的页面（{CONSOLE_CALLBACK}）中的 Token 完全一致；在企业微信后台修改后须在平台重新保存。"),
        format!("Make sure the Token in the connection settings equals the one on the page where the callback is set ({CONSOLE_CALLBACK_EN}); after changing it in WeCom, save it in the platform again."),
    )
}

/// The timestamp is outside the accepted window.
pub fn stale_timestamp(timestamp: i64, now: i64, window: i64) -> PluginError {
    let diff = now.saturating_sub(timestamp);
    error(
        "callback.stale_timestamp",
        "timestamp",
        format!("回调时间戳 {timestamp} 与服务器时间相差 {diff} 秒，超出允许的 ±{window} 秒，已拒绝（可能是重放的旧请求）。"),
        format!("The callback timestamp {timestamp} is {diff} s away from the server's clock, beyond the accepted ±{window} s; refused (possibly a replayed request)."),
        "检查服务器时钟是否准确（启用 NTP 时间同步）；若时钟正确，可忽略此次请求。".to_string(),
        "Check that the server clock is correct (enable NTP); if it is, this request can be ignored.".to_string(),
    )
}

/// A crypto failure, by kind. `field` is the parameter that carried the ciphertext.
pub fn crypto(error: CryptoError, field: &str) -> PluginError {
    let key_fix_zh = format!("确认对接设置中的 EncodingAESKey 与设置回调的页面（{CONSOLE_CALLBACK}）中的完全一致（43 个字符）；在企业微信后台重新生成后须在平台重新保存。");
    let key_fix_en = format!("Make sure the EncodingAESKey in the connection settings equals the one on the page where the callback is set ({CONSOLE_CALLBACK_EN}) (43 characters); after regenerating it in WeCom, save it in the platform again.");
    match error {
        CryptoError::IllegalKey => not_configured(
            "callback_aes_key",
            "EncodingAESKey 无效（官方示例返回码 -40004）",
            "EncodingAESKey is invalid (official sample code -40004)",
        ),
        CryptoError::BadBase64 => self::error(
            "callback.bad_base64",
            field,
            format!("回调中的密文 {field} 不是有效的 Base64（官方示例返回码 -40010）。"),
            format!("The ciphertext {field} of the callback is not valid base64 (official sample code -40010)."),
            "若回调地址前有代理，确认它没有改写查询参数（例如把 + 变成空格）。".to_string(),
            "If a proxy sits in front of the callback URL, make sure it does not rewrite the query (e.g. turn + into a space).".to_string(),
        ),
        CryptoError::BadPadding => self::error(
            "callback.bad_padding",
            "callback_aes_key",
            "回调解密后的填充不正确（官方示例返回码 -40007），通常是 EncodingAESKey 不一致。".to_string(),
            "The padding of the decrypted callback is wrong (official sample code -40007), usually because the EncodingAESKey differs.".to_string(),
            key_fix_zh,
            key_fix_en,
        ),
        CryptoError::BadLength => self::error(
            "callback.decrypt_failed",
            field,
            "回调密文长度不是 AES 分组的整数倍，无法解密（官方示例返回码 -40007）。".to_string(),
            "The callback ciphertext is not a whole number of AES blocks and cannot be decrypted (official sample code -40007).".to_string(),
            key_fix_zh,
            key_fix_en,
        ),
        CryptoError::IllegalBuffer => self::error(
            "callback.decrypt_failed",
            "callback_aes_key",
            "回调解密后的内容格式不正确（官方示例返回码 -40008）：长度字段越界或消息不是 UTF-8。".to_string(),
            "The decrypted callback is malformed (official sample code -40008): the length field runs past the end or the message is not UTF-8.".to_string(),
            key_fix_zh,
            key_fix_en,
        ),
    }
}

/// The trailing receiveid is not the CorpID (-40005).
pub fn receiver_mismatch(received: &[u8], corp_id: &str) -> PluginError {
    let shown = printable(received);
    error(
        "callback.receiver_mismatch",
        "corp_id",
        format!("回调的接收方 ID「{shown}」不是本企业的 CorpID {corp_id}（官方示例返回码 -40005）。"),
        format!("The callback's receiver id \"{shown}\" is not this corp's CorpID {corp_id} (official sample code -40005)."),
        "该回调是发给其他企业或第三方应用的（receiveid 为 suiteid 时）；确认回调地址只配置在本企业的自建应用或通讯录同步中，且 CorpID 填写正确。".to_string(),
        "The callback was meant for another corp or a third-party suite (a suiteid as receiveid); make sure the callback URL is set only in this corp's self-built app or contact sync, and that the CorpID is right.".to_string(),
    )
}

/// The body or the decrypted message is not the expected XML (-40002).
pub fn bad_xml(field: &str, detail_zh: &str, detail_en: &str) -> PluginError {
    error(
        "callback.bad_xml",
        field,
        format!("回调内容不是预期的 XML（官方示例返回码 -40002）：{detail_zh}"),
        format!("The callback content is not the expected XML (official sample code -40002): {detail_en}"),
        "若回调地址前有代理，确认它原样转发请求体；否则该请求不是企业微信发出的。".to_string(),
        "If a proxy sits in front of the callback URL, make sure it forwards the body unchanged; otherwise the request did not come from WeCom.".to_string(),
    )
}

/// Up to 64 characters of an untrusted id, with anything unprintable escaped.
pub(super) fn printable(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).chars().take(64).flat_map(char::escape_default).collect()
}
