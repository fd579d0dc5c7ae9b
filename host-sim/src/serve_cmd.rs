//! `host-sim serve`: the platform's web server (homepage, `WW_verify_*.txt`, one-click login)
//! connected to WeCom through the loaded plugin, and the setup that `login --as` shares with it.

use crate::login_cmd::{seed_and_sync, visible_scope};
use crate::platform::{Platform, RunningPlatform, VerifyFile};
use crate::plugin_host::SimHost;
use crate::session::{PlatformUrls, Session, WecomArgs};
use crate::store::Store;
use anyhow::{bail, Context};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// `host-sim serve` options.
#[derive(clap::Args, Clone, Debug)]
pub struct ServeArgs {
    /// Connection options (default: the built-in fake WeCom).
    #[command(flatten)]
    pub wecom: WecomArgs,
    /// Port on 127.0.0.1.
    #[arg(long, default_value_t = 18080)]
    pub port: u16,
    /// The WW_verify_<code>.txt file downloaded from the WeCom console, served at the site root.
    #[arg(long)]
    pub verify_file: Option<PathBuf>,
    /// SQLite store (default: in memory, synced from the sample organisation).
    #[arg(long)]
    pub db: Option<PathBuf>,
}

/// Reads a `WW_verify_*.txt` file as the admin downloaded it.
pub fn read_verify_file(path: &Path) -> anyhow::Result<VerifyFile> {
    let name = path.file_name().and_then(|n| n.to_str()).context("verify file has no name")?.to_string();
    if !(name.starts_with("WW_verify_") && name.ends_with(".txt")) {
        bail!("企业微信的校验文件名形如 WW_verify_xxxx.txt / WeCom's verification file is named WW_verify_xxxx.txt: {name}");
    }
    let content = std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
    Ok(VerifyFile { name, content: content.trim().to_string() })
}

/// A running platform and the session behind it.
pub struct OpenPlatform {
    /// The web server (stops when dropped).
    pub server: RunningPlatform,
    /// The configured plugin session.
    pub session: Session,
    /// The platform state shared with the server.
    pub platform: Arc<Platform>,
}

/// Starts the platform web server on `port`, configures the plugin for its URLs (with the
/// built-in fake, its app is set up as the setup sheet says), and seeds an empty store from the
/// sample organisation when using the fake.
pub fn open_platform(
    wecom: &WecomArgs,
    port: u16,
    store: Store,
    verify_file: Option<VerifyFile>,
) -> anyhow::Result<OpenPlatform> {
    open_platform_with(wecom, port, store, verify_file, true)
}

/// As [`open_platform`]; `seed` = false leaves an empty store empty (the demo syncs step by step).
pub fn open_platform_with(
    wecom: &WecomArgs,
    port: u16,
    mut store: Store,
    verify_file: Option<VerifyFile>,
    seed: bool,
) -> anyhow::Result<OpenPlatform> {
    let mut opened: Option<(Session, Arc<Platform>)> = None;
    let server = RunningPlatform::start(port, |base| {
        let urls = PlatformUrls::at(base);
        let trusted = urls.trusted_domain();
        let homepage = urls.homepage.clone();
        let session = Session::open(wecom, &urls, SimHost::default(), |fake| {
            fake.with_org(|org| {
                if let Some(app) = org.apps.first_mut() {
                    app.home_url = homepage.clone();
                    app.redirect_domain = trusted.clone();
                }
            })
        })?;
        if !session.report.accepted {
            bail!("{}", crate::table::checklist(&session.report, crate::table::Lang::Zh));
        }
        let scope = visible_scope(&session);
        if seed && session.fake.is_some() {
            seed_and_sync(&session, &mut store, &scope)?;
        }
        let platform = Arc::new(Platform {
            base_url: base.to_string(),
            plugin: session.instance.clone(),
            store: Arc::new(Mutex::new(std::mem::replace(&mut store, Store::in_memory()?))),
            sessions: Default::default(),
            scope,
            verify_file: verify_file.clone(),
        });
        opened = Some((session, platform.clone()));
        Ok(platform)
    })?;
    let (session, platform) = opened.context("platform did not start")?;
    Ok(OpenPlatform { server, session, platform })
}

/// Serves until interrupted.
pub fn run(args: &ServeArgs, out: &mut dyn Write) -> anyhow::Result<bool> {
    let store = match &args.db {
        Some(path) => Store::open(path)?,
        None => Store::in_memory()?,
    };
    let verify = args.verify_file.as_deref().map(read_verify_file).transpose()?;
    let open = open_platform(&args.wecom, args.port, store, verify.clone())?;
    writeln!(out, "万象智维（模拟）已启动 / platform listening on {}", open.server.base_url)?;
    writeln!(out, "  {}/oauth/wecom/start   企业微信登录 / WeCom login", open.server.base_url)?;
    if let Some(v) = &verify {
        writeln!(out, "  {}/{}   可信域名校验文件 / trusted-domain verification file", open.server.base_url, v.name)?;
    }
    if let Some(fake) = &open.session.fake {
        writeln!(out, "  模拟企业微信 / fake WeCom: {}", fake.base_url())?;
    }
    out.flush()?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let _ = tokio::signal::ctrl_c().await;
    });
    Ok(true)
}
