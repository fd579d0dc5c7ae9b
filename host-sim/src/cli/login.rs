//! `host-sim login`: `--as USERID` drives the whole round trip over HTTP (platform ↔ WeCom login
//! page) and prints the signed-in account; `--code CODE` exchanges a code obtained elsewhere,
//! against any WeCom-compatible server.

use crate::cli::login_flow::{self, BROWSER_UA, IN_CLIENT_UA};
use crate::cli::session::{Session, WecomArgs};
use crate::host::login_decide;
use crate::host::plugin_host::SimHost;
use crate::host::session::{visible_scope, PlatformUrls};
use crate::store::Store;
use crate::term::printable;
use anyhow::{bail, Context};
use interface::{LoginNeed, LoginProof, LoginRequest, SecretString};
use std::io::Write;
use std::path::PathBuf;

/// Which login page the simulated member uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Via {
    /// Inside the WeCom client (web authorization).
    #[default]
    InClient,
    /// A desktop browser (QR / web login).
    Browser,
}

/// `host-sim login` options.
#[derive(clap::Args, Clone, Debug)]
pub struct LoginArgs {
    /// Connection options (default: the built-in fake WeCom).
    #[command(flatten)]
    pub wecom: WecomArgs,
    /// Log this WeCom member in through the full HTTP round trip.
    #[arg(long = "as", conflicts_with = "code")]
    pub as_user: Option<String>,
    /// Exchange this code (obtained elsewhere) and print the outcome.
    #[arg(long)]
    pub code: Option<String>,
    /// Where the member starts the login.
    #[arg(long, value_enum, default_value_t = Via::InClient)]
    pub via: Via,
    /// SQLite store with the platform's accounts, bindings and stored configuration (default
    /// for `--code`: host-sim.db, like every other command; for `--as`: in memory, synced from
    /// the sample).
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// The platform password of the account the plugin asks the member to prove (a binding made
    /// on the name alone is confirmed once at the first login; the sample accounts' demo password
    /// is `wanxiang-demo`).
    #[arg(long)]
    pub password: Option<String>,
    /// Decline the account the plugin named ("this is not my account"), or, for a member without
    /// a binding, every candidate offered ("none of these is mine").
    #[arg(long, conflicts_with = "password")]
    pub not_mine: bool,
    /// With `--code`: the host's policy (`--new-members` decides what "not mine" leads to).
    #[command(flatten)]
    pub policy: crate::cli::callback_options::PolicyArgs,
    /// Port for the platform's web server (0 = any).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Print the outcome as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs the command; `Ok(false)` when the login was refused.
pub fn run(args: &LoginArgs, out: &mut dyn Write) -> anyhow::Result<bool> {
    match (&args.as_user, &args.code) {
        (Some(userid), _) => round_trip(args, userid, out),
        (None, Some(code)) => exchange(args, code, out),
        (None, None) => bail!("请指定 --as USERID（完整登录流程）或 --code CODE（兑换登录码）/ give --as USERID (full round trip) or --code CODE (exchange a code)"),
    }
}

fn open_store(db: &Option<PathBuf>) -> anyhow::Result<Store> {
    Ok(match db {
        Some(path) => Store::open(path)
            .with_context(|| format!("打开数据库失败 / could not open the store {}", path.display()))?,
        None => Store::in_memory()?,
    })
}

/// The member as `login --json` prints it: who, never their consented mobile or email.
fn member_json(member: &interface::LoginOutcome) -> serde_json::Value {
    serde_json::json!({
        "userid": member.userid,
        "name": member.name,
        "status": member.status,
        "consented": member.consented,
    })
}

fn round_trip(args: &LoginArgs, userid: &str, out: &mut dyn Write) -> anyhow::Result<bool> {
    let open = crate::cli::serve::open_platform(&args.wecom, args.port, open_store(&args.db)?, None)?;
    let ua = match args.via {
        Via::InClient => IN_CLIENT_UA,
        Via::Browser => BROWSER_UA,
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let proof = match (&args.password, args.not_mine) {
        (Some(password), _) => login_flow::Proof::Password(password.clone()),
        (None, true) => login_flow::Proof::NotMine,
        (None, false) => login_flow::Proof::None,
    };
    let trace = runtime.block_on(login_flow::drive_proving(&open.server.base_url, userid, ua, &proof))?;
    let signed_in = trace.outcome == "signed-in";
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&trace)?)?;
    } else {
        for url in &trace.visited {
            writeln!(out, "→ {url}")?;
        }
        writeln!(out, "{} ({})", printable(&trace.page), trace.status)?;
    }
    Ok(signed_in)
}

fn exchange(args: &LoginArgs, code: &str, out: &mut dyn Write) -> anyhow::Result<bool> {
    let db = args.db.clone().unwrap_or_else(|| PathBuf::from(crate::defaults::DEFAULT_DB));
    let mut store = Store::open(&db).with_context(|| format!("open {}", db.display()))?;
    // The stored configuration is activated without WeCom; configure runs only when none is stored.
    let session = Session::start(
        &args.wecom,
        &PlatformUrls::at(crate::defaults::DEMO_PLATFORM),
        SimHost::default(),
        &mut store,
        |_| {},
        |_| {},
    )?;
    if !session.report.accepted {
        if args.json {
            writeln!(
                out,
                "{}",
                serde_json::json!({ "ok": false, "signed_in": false, "account": null, "report": session.report })
            )?;
        } else {
            write!(out, "{}", crate::render::table::checklist(&session.report, crate::render::table::Lang::Zh))?;
        }
        return Ok(false);
    }
    let member = match session
        .instance
        .oauth_login(&LoginRequest { code: SecretString::new(code), ..Default::default() })
        .into_result()
    {
        Ok(member) => member,
        Err(error) => {
            if args.json {
                writeln!(
                    out,
                    "{}",
                    serde_json::json!({ "ok": false, "signed_in": false, "account": null, "error": error })
                )?;
            } else {
                writeln!(out, "登录被拒绝 / login refused: {error}")?;
            }
            return Ok(false);
        }
    };
    let fallback_scope = visible_scope(&session);
    let policy: interface::ChangePolicy = args.policy.into();
    let mut decided = login_decide::decide(
        &session.instance,
        &mut store,
        member.clone(),
        &fallback_scope,
        policy,
        LoginProof::default(),
    )?;
    // `--not-mine` from a member without a binding who was offered candidates: "none of these is
    // mine" (the plugin decides what follows; the declined accounts are recorded with it).
    let offered_candidates = decided.decision.account_id.is_none()
        && !decided.decision.candidate_account_ids.is_empty()
        && matches!(decided.decision.needs, LoginNeed::Password | LoginNeed::Consent);
    if args.not_mine && args.password.is_none() && offered_candidates {
        decided = login_decide::decide_answering(
            &session.instance,
            &mut store,
            member.clone(),
            &fallback_scope,
            policy,
            LoginProof::default(),
            true,
        )?;
    // `--password` / `--not-mine` answer a password request for the account the plugin named.
    } else if decided.decision.needs == LoginNeed::Password && (args.password.is_some() || args.not_mine) {
        let named: Vec<String> = decided
            .decision
            .account_id
            .as_ref()
            .into_option()
            .map(|a| a.to_string())
            .into_iter()
            .chain(decided.decision.candidate_account_ids.iter().map(|a| a.to_string()))
            .collect();
        let mut proof = LoginProof::default();
        if args.not_mine {
            proof.not_mine_account_id = named.first().cloned().unwrap_or_default().into();
        } else if let Some(password) = &args.password {
            let proved = named.iter().find(|id| {
                store.password_hash(id).ok().flatten().is_some_and(|h| crate::host::password::verify(password, &h))
            });
            match proved {
                Some(id) => proof.password_account_id = id.as_str().into(),
                None => {
                    let error = interface::PluginError::new(
                        "login.password_invalid",
                        interface::Text::new(
                            "平台密码不正确，未登录。",
                            "The platform password is not correct; not signed in.",
                        ),
                        interface::Text::new(
                            "请输入该平台账号的密码；不是你的账号请用 --not-mine。",
                            "Enter that platform account's password; if it is not your account, use --not-mine.",
                        ),
                    );
                    if args.json {
                        writeln!(
                            out,
                            "{}",
                            serde_json::json!({ "ok": false, "signed_in": false, "account": null,
                                "member": member_json(&member), "evidence": decided.decision.evidence,
                                "needs": "password", "error": error })
                        )?;
                    } else {
                        writeln!(out, "未登录 / not signed in: {error}")?;
                    }
                    return Ok(false);
                }
            }
        }
        decided = login_decide::decide(&session.instance, &mut store, member.clone(), &fallback_scope, policy, proof)?;
    }
    let signed_in = decided.account.is_some();
    let d = &decided.decision;
    if args.json {
        // Ids and names only: the account's and the member's mobile and email are personal data.
        let account = decided.account.as_ref().map(|a| serde_json::json!({ "id": a.id, "name": a.name }));
        let mut json = serde_json::json!({
            "ok": signed_in,
            "signed_in": signed_in,
            "member": member_json(&member),
            "account": account,
            "evidence": d.evidence,
            "reason": d.reason,
        });
        if !signed_in {
            if d.needs != LoginNeed::Nothing {
                json["needs"] = serde_json::json!(decided.needs());
            }
            json["candidate_account_ids"] = serde_json::json!(d.candidate_account_ids);
            if let Some(error) = d.refusal.as_ref().into_option() {
                json["error"] = serde_json::json!(error);
            }
            if let Some(id) = d.account_id.as_ref().into_option() {
                json["account_id"] = serde_json::json!(id);
            }
        }
        writeln!(out, "{json}")?;
    } else {
        writeln!(
            out,
            "企业微信成员 / WeCom member: {} <{}> ({:?})",
            printable(&member.name),
            printable(&member.userid),
            member.status
        )?;
        match &decided.account {
            Some(a) => writeln!(
                out,
                "已登录平台账号 / signed in to: {} ({}) [{:?}]",
                printable(&a.name),
                printable(&a.id),
                d.evidence
            )?,
            None => {
                writeln!(out, "未登录 / not signed in ({}): {} / {}", decided.needs(), d.reason.zh, d.reason.en)?;
                if let Some(error) = d.refusal.as_ref().into_option() {
                    writeln!(out, "  {error}")?;
                }
            }
        }
    }
    Ok(signed_in)
}
