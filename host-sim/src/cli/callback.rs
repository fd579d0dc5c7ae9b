//! `host-sim callback`: one callback request, as WeCom would send it to the platform, run through
//! the loaded plugin's `handle_callback`; prints the decoded change (or the echo) or the error.
//! Made for checking against WeCom's own samples, whose timestamps are old: `--now` judges the
//! timestamp's freshness as of that time.
//!
//! `handle_callback` needs an active configuration. Verifying and decrypting call no WeCom API, so
//! only `--corp-id` (the receiver id the message must carry), `--token` and `--aes-key` are
//! activated (`activate`, offline): no Secret, no WeCom, no fake.

use crate::cli::session::{Session, WecomArgs};
use crate::host::plugin_host::SimHost;
use crate::render::table::{self, Lang};
use anyhow::Context;
use interface::{CallbackKind, CallbackReply, CallbackRequest, PluginError};
use std::io::Write;
use std::path::PathBuf;

/// `host-sim callback` options. Debug masks the Token and the EncodingAESKey.
#[derive(clap::Args, Clone)]
pub struct CallbackArgs {
    /// Connection options; `--corp-id` is the receiver id the message must be addressed to.
    #[command(flatten)]
    pub wecom: WecomArgs,
    /// The callback Token (or env WECOM_CALLBACK_TOKEN).
    #[arg(long, env = "WECOM_CALLBACK_TOKEN", hide_env_values = true)]
    pub token: String,
    /// The callback EncodingAESKey, 43 characters (or env WECOM_CALLBACK_AES_KEY).
    #[arg(long, env = "WECOM_CALLBACK_AES_KEY", hide_env_values = true)]
    pub aes_key: String,
    /// `msg_signature` of the request.
    #[arg(long)]
    pub msg_signature: String,
    /// `timestamp` of the request (Unix seconds).
    #[arg(long)]
    pub timestamp: String,
    /// `nonce` of the request.
    #[arg(long)]
    pub nonce: String,
    /// URL verification (GET): the `echostr` parameter, decoded (as printed in WeCom's docs).
    #[arg(long, conflicts_with = "body", required_unless_present = "body")]
    pub echostr: Option<String>,
    /// An event (POST): a file holding the request body (the XML with `<Encrypt>`).
    #[arg(long)]
    pub body: Option<PathBuf>,
    /// Judge the timestamp's freshness as of this time (Unix seconds) instead of now.
    #[arg(long)]
    pub now: Option<i64>,
    /// Output language.
    #[arg(long, value_enum, default_value_t = Lang::Zh)]
    pub lang: Lang,
    /// Print `{"ok": true, "reply": …}` or `{"ok": false, "error": …}`.
    #[arg(long)]
    pub json: bool,
}

impl std::fmt::Debug for CallbackArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackArgs")
            .field("corp_id", &self.wecom.corp_id)
            .field("token", &"***")
            .field("aes_key", &"***")
            .field("msg_signature", &self.msg_signature)
            .field("timestamp", &self.timestamp)
            .field("nonce", &self.nonce)
            .field("echostr", &self.echostr)
            .field("body", &self.body)
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

/// What a run gave.
#[derive(Debug, Clone)]
pub enum CallbackOutcome {
    /// The configuration was not accepted (e.g. a malformed Token or EncodingAESKey).
    NotConfigured,
    /// The plugin answered.
    Reply(Box<CallbackReply>),
    /// The plugin refused the request.
    Refused(Box<PluginError>),
}

/// `host-sim callback`; `Ok(false)` when the request was refused.
pub fn run(args: &CallbackArgs, out: &mut dyn Write) -> anyhow::Result<bool> {
    Ok(matches!(callback(args, out)?, CallbackOutcome::Reply(_)))
}

/// The query string WeCom would send, percent-encoded (`+`, `/`, `=` of the base64 `echostr`
/// included, as WeCom encodes them).
pub fn query_string(msg_signature: &str, timestamp: &str, nonce: &str, echostr: Option<&str>) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("msg_signature", msg_signature).append_pair("timestamp", timestamp).append_pair("nonce", nonce);
    if let Some(echostr) = echostr {
        query.append_pair("echostr", echostr);
    }
    query.finish()
}

/// Runs the request and writes the outcome.
pub fn callback(args: &CallbackArgs, out: &mut dyn Write) -> anyhow::Result<CallbackOutcome> {
    let lang = args.lang;
    let body = match &args.body {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("读取请求体失败 / could not read the body file {}", path.display()))?,
        None => String::new(),
    };
    // Verifying and decrypting need only the corp id, the Token and the key: they are activated
    // without a Secret and without WeCom (an unrelated WECOM_SECRET in the environment is ignored).
    let corp_id = args.wecom.corp_id.clone().unwrap_or_default();
    anyhow::ensure!(
        !corp_id.trim().is_empty(),
        "请给出 --corp-id（消息的接收方）/ give --corp-id (the receiver the message must carry)"
    );
    let session = Session::callback_only(&args.wecom, SimHost::default(), &corp_id, &args.token, &args.aes_key)?;
    if !session.report.accepted {
        if args.json {
            writeln!(out, "{}", serde_json::json!({ "ok": false, "report": session.report }))?;
        } else {
            write!(out, "{}", table::checklist(&session.report, lang))?;
        }
        return Ok(CallbackOutcome::NotConfigured);
    }
    let request = CallbackRequest {
        method: if args.echostr.is_some() { "GET" } else { "POST" }.into(),
        query: query_string(&args.msg_signature, &args.timestamp, &args.nonce, args.echostr.as_deref()).into(),
        body: body.into(),
        now_unix: args.now.unwrap_or(0),
        ..Default::default()
    };
    match session.instance.handle_callback(&request).into_result() {
        Ok(reply) => {
            if args.json {
                writeln!(out, "{}", serde_json::to_string_pretty(&serde_json::json!({ "ok": true, "reply": reply }))?)?;
            } else {
                write_reply(out, &reply, lang)?;
            }
            Ok(CallbackOutcome::Reply(Box::new(reply)))
        }
        Err(error) => {
            if args.json {
                writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({ "ok": false, "error": error }))?
                )?;
            } else {
                writeln!(out, "{}{error}", lang.pick("回调被拒绝：", "Callback refused: "))?;
            }
            Ok(CallbackOutcome::Refused(Box::new(error)))
        }
    }
}

fn write_reply(out: &mut dyn Write, reply: &CallbackReply, lang: Lang) -> anyhow::Result<()> {
    let kind = match reply.kind {
        CallbackKind::UrlVerification => lang.pick("URL 验证", "URL verification"),
        CallbackKind::ContactChange => lang.pick("通讯录变更", "contact change"),
        CallbackKind::OtherEvent => lang.pick("其他消息（忽略）", "another message (ignored)"),
        CallbackKind::Duplicate => lang.pick("重复投递（忽略）", "a repeated delivery (ignored)"),
        _ => lang.pick("未知类型（忽略）", "a kind this host does not know (ignored)"),
    };
    writeln!(out, "{}{kind}", lang.pick("签名与解密通过：", "Signature and decryption OK: "))?;
    if reply.kind == CallbackKind::UrlVerification {
        writeln!(out, "{}{}", lang.pick("应答（解密后的 echostr）：", "Answer (the decrypted echostr): "), reply.body)?;
    }
    if let Some(change) = reply.change.as_ref().into_option() {
        writeln!(out, "{}", serde_json::to_string_pretty(change)?)?;
    }
    Ok(())
}
