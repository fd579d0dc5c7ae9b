//! `host-sim configure`: the connection checklist and the setup sheet.

use crate::cli::session::{Session, WecomArgs};
use crate::host::plugin_host::SimHost;
use crate::host::session::PlatformUrls;
use crate::render::table::{self, Lang};
use std::io::Write;
use std::path::PathBuf;

/// `host-sim configure`.
#[derive(clap::Args, Clone, Debug)]
pub struct ConfigureArgs {
    /// Connection options.
    #[command(flatten)]
    pub wecom: WecomArgs,
    /// The platform's base URL (homepage; the OAuth redirect is under it).
    #[arg(long, default_value = crate::defaults::DEMO_PLATFORM)]
    pub platform_url: String,
    /// Output language.
    #[arg(long, value_enum, default_value_t = Lang::Zh)]
    pub lang: Lang,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Store the accepted configuration in this SQLite store, for `serve`, `login --code` and
    /// `reconcile` to activate at their start without calling WeCom.
    #[arg(long)]
    pub db: Option<PathBuf>,
}

/// Prints the checklist; `Ok(false)` when the configuration has an error.
pub fn configure(args: &ConfigureArgs, out: &mut dyn Write) -> anyhow::Result<bool> {
    let session = Session::open(&args.wecom, &PlatformUrls::at(&args.platform_url), SimHost::default(), |_| {})?;
    if let Some(db) = &args.db {
        session.store_in(&mut crate::cli::workflow::open_store(db)?)?;
    }
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&session.report)?)?;
    } else {
        write!(out, "{}", table::checklist(&session.report, args.lang))?;
        write!(out, "\n{}", table::setup_sheet(&session.report, args.lang))?;
    }
    Ok(session.report.accepted)
}
