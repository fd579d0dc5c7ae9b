//! `host-sim login`: `--as USERID` drives the whole round trip over HTTP (platform ↔ WeCom login
//! page) and prints the signed-in account; `--code CODE` exchanges a code obtained elsewhere,
//! against any WeCom-compatible server.

use crate::login_flow::{self, BROWSER_UA, IN_CLIENT_UA};
use crate::plugin_host::SimHost;
use crate::session::{PlatformUrls, Session, WecomArgs};
use crate::store::Store;
use crate::term::printable;
use anyhow::{bail, Context};
use interface::{CommitInput, LoginRequest, ProposalInput, ScopeSelection, SecretString};
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
    /// SQLite store with the platform's accounts and bindings (default: in memory, synced from the sample).
    #[arg(long)]
    pub db: Option<PathBuf>,
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

/// The app's whole visible range as a scope.
pub fn visible_scope(session: &Session) -> ScopeSelection {
    session
        .report
        .app
        .as_ref()
        .into_option()
        .map(|a| ScopeSelection {
            department_ids: a.visible.department_ids.clone(),
            user_ids: a.visible.user_ids.clone(),
            tag_ids: a.visible.tag_ids.clone(),
        })
        .unwrap_or_default()
}

/// Seeds an empty store with the sample accounts and runs one sync with no edits, so members have accounts.
pub fn seed_and_sync(session: &Session, store: &mut Store, scope: &ScopeSelection) -> anyhow::Result<()> {
    if !store.accounts()?.is_empty() {
        return Ok(());
    }
    store.import_accounts(&crate::sample::accounts())?;
    store.import_bindings(&crate::sample::bindings())?;
    let snapshot = session.instance.fetch_scope(scope).into_result()?;
    let input = ProposalInput {
        snapshot,
        accounts: store.accounts()?.into(),
        bindings: store.bindings()?.into(),
        departments: store.departments()?.into(),
    };
    let proposal = session.instance.propose_bindings(&input).into_result()?;
    let changes = session.instance.commit(&CommitInput { input, proposal, edits: Default::default() }).into_result()?;
    store.apply(&changes)?;
    Ok(())
}

fn round_trip(args: &LoginArgs, userid: &str, out: &mut dyn Write) -> anyhow::Result<bool> {
    let open = crate::serve_cmd::open_platform(&args.wecom, args.port, open_store(&args.db)?, None)?;
    let ua = match args.via {
        Via::InClient => IN_CLIENT_UA,
        Via::Browser => BROWSER_UA,
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let trace = runtime.block_on(login_flow::drive(&open.server.base_url, userid, ua))?;
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
    let session =
        Session::open(&args.wecom, &PlatformUrls::at(crate::demo::DEMO_PLATFORM), SimHost::default(), |_| {})?;
    if !session.report.accepted {
        write!(out, "{}", crate::table::checklist(&session.report, crate::table::Lang::Zh))?;
        return Ok(false);
    }
    let result = session
        .instance
        .oauth_login(&LoginRequest { code: SecretString::new(code), scope: Default::default() })
        .into_result();
    let store = match &args.db {
        Some(_) => Some(open_store(&args.db)?),
        None => None,
    };
    match result {
        Ok(outcome) => {
            let account = match &store {
                Some(s) => s.account_for_userid(outcome.userid.as_str())?,
                None => None,
            };
            if args.json {
                writeln!(out, "{}", serde_json::json!({ "ok": true, "member": outcome, "account": account }))?;
            } else {
                writeln!(
                    out,
                    "企业微信成员 / WeCom member: {} <{}> ({:?})",
                    printable(&outcome.name),
                    printable(&outcome.userid),
                    outcome.status
                )?;
                if let Some(a) = account {
                    writeln!(out, "平台账号 / platform account: {} ({})", printable(&a.name), printable(&a.id))?;
                }
            }
            Ok(true)
        }
        Err(error) => {
            if args.json {
                writeln!(out, "{}", serde_json::json!({ "ok": false, "error": error }))?;
            } else {
                writeln!(out, "登录被拒绝 / login refused: {error}")?;
            }
            Ok(false)
        }
    }
}
