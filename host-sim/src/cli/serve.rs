//! `host-sim serve`: the platform's web server (homepage, `WW_verify_*.txt`, one-click login)
//! connected to WeCom through the loaded plugin, and the setup that `login --as` shares with it.

use crate::cli::callback_options::{CallbackOptions, CallbackSecrets};
use crate::cli::session::{Session, WecomArgs};
use crate::fake_wecom::CallbackPusher;
use crate::host::callbacks::schedule::reconcile_every;
use crate::host::callbacks::Follower;
use crate::host::plugin_host::SimHost;
use crate::host::session::{visible_scope, PlatformUrls};
use crate::host::sync::seed_and_sync;
use crate::platform::{LoginSessions, Platform, RunningPlatform, VerifyFile, CALLBACK_PATH};
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
    /// SQLite store (default: in memory, synced from the sample organisation). The accepted
    /// configuration is stored in it and activated at the next start without calling WeCom.
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// WeCom contact-change callbacks: Token, EncodingAESKey and the host's policy.
    #[command(flatten)]
    pub callbacks: CallbackOptions,
    /// Run the reconcile (a full read of the synced scope compared with the store) every SECS
    /// seconds, to catch callbacks that were lost, after retrying what the callback journal still
    /// holds; 0 = never.
    #[arg(long, default_value_t = 3600, value_name = "SECS")]
    pub reconcile_every: u64,
}

/// Reads a `WW_verify_*.txt` file as the admin downloaded it.
pub fn read_verify_file(path: &Path) -> anyhow::Result<VerifyFile> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .context("校验文件没有文件名 / the verification file has no name")?
        .to_string();
    if !(name.starts_with("WW_verify_") && name.ends_with(".txt")) {
        bail!("企业微信的校验文件名形如 WW_verify_xxxx.txt / WeCom's verification file is named WW_verify_xxxx.txt: {name}");
    }
    let content = std::fs::read_to_string(path)
        .with_context(|| format!("读取校验文件失败 / could not read the verification file {}", path.display()))?;
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
    /// The callback Token and EncodingAESKey configured (empty when callbacks are not set up).
    pub callback_secrets: CallbackSecrets,
}

impl OpenPlatform {
    /// The built-in fake WeCom's pusher to this platform's callback URL, with the app's Token
    /// and EncodingAESKey (`None` without the built-in fake or without callbacks).
    pub fn pusher(&self) -> Option<CallbackPusher> {
        let fake = self.session.fake.as_ref()?;
        let corp_id = fake.with_org(|org| org.corp_id.clone());
        let s = &self.callback_secrets;
        CallbackPusher::new(&self.platform.callback_url(), s.token.expose(), s.aes_key.expose(), &corp_id).ok()
    }
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
    store: Store,
    verify_file: Option<VerifyFile>,
    seed: bool,
) -> anyhow::Result<OpenPlatform> {
    open_platform_full(wecom, port, store, verify_file, seed, &CallbackOptions::default())
}

/// As [`open_platform_with`], with the callback Token, EncodingAESKey and policy (with the
/// built-in fake and none given, a generated pair).
pub fn open_platform_full(
    wecom: &WecomArgs,
    port: u16,
    mut store: Store,
    verify_file: Option<VerifyFile>,
    seed: bool,
    callbacks: &CallbackOptions,
) -> anyhow::Result<OpenPlatform> {
    let window = callbacks.timestamp_window;
    let secrets = callbacks.secrets(
        wecom.wecom_base_url.is_none()
            && store.connection()?.is_none_or(|c| c.origin != crate::host::session::ORIGIN_EXTERNAL),
    );
    let mut opened: Option<(Session, Arc<Platform>)> = None;
    let server = RunningPlatform::start(port, |base| {
        let urls = PlatformUrls::at(base);
        let trusted = urls.trusted_domain();
        let homepage = urls.homepage.clone();
        let callback_url = format!("{base}{CALLBACK_PATH}");
        let prepare = |fake: &crate::fake_wecom::FakeWecom| {
            fake.with_org(|org| {
                if let Some(app) = org.apps.first_mut() {
                    app.home_url = homepage.clone();
                    app.redirect_domain = trusted.clone();
                }
            })
        };
        // The stored configuration is activated without WeCom; configure runs only when none is
        // stored (or the options name another WeCom). Token and key given now replace the stored.
        let session = Session::start(wecom, &urls, SimHost::default(), &mut store, prepare, |settings| {
            settings.callback_url = callback_url.as_str().into();
            settings.callback_timestamp_window_secs = window;
            if !secrets.token.is_empty() {
                settings.callback_token = secrets.token.clone();
            }
            if !secrets.aes_key.is_empty() {
                settings.callback_aes_key = secrets.aes_key.clone();
            }
        })?;
        if !session.report.accepted {
            bail!("{}", crate::render::table::checklist(&session.report, crate::render::table::Lang::Zh));
        }
        if seed && session.fake.is_some() {
            seed_and_sync(&session, &mut store, &visible_scope(&session))?;
        }
        let scope = store.synced_scope()?.unwrap_or_else(|| visible_scope(&session));
        let store = Arc::new(Mutex::new(std::mem::replace(&mut store, Store::in_memory()?)));
        let sessions = Arc::new(LoginSessions::default());
        let signed_in = sessions.clone();
        let mut follower =
            Follower::new(session.instance.clone(), store.clone(), scope.clone(), callbacks.policy.into());
        follower.removal_guard = callbacks.removals.into();
        let follower = follower.on_unbound(move |account| signed_in.sign_out_account(account));
        let follower = Arc::new(follower);
        // What the journal still holds from before this start is applied first.
        match follower.resume() {
            Ok(0) => {}
            Ok(n) => tracing::warn!(target: "callback", "{n} journaled change(s) from before this start queued again"),
            Err(error) => tracing::error!(target: "callback", "could not read the callback journal: {error}"),
        }
        let platform = Arc::new(Platform {
            base_url: base.to_string(),
            plugin: session.instance.clone(),
            store,
            sessions,
            scope,
            verify_file: verify_file.clone(),
            follower,
            limits: Default::default(),
        });
        opened = Some((session, platform.clone()));
        Ok(platform)
    })?;
    let (session, platform) = opened.context("平台未能启动 / the platform did not start")?;
    let callback_secrets = CallbackSecrets {
        token: session.settings.callback_token.clone(),
        aes_key: session.settings.callback_aes_key.clone(),
    };
    Ok(OpenPlatform { server, session, platform, callback_secrets })
}

/// Serves until interrupted.
pub fn run(args: &ServeArgs, out: &mut dyn Write) -> anyhow::Result<bool> {
    let store = match &args.db {
        Some(path) => Store::open(path)?,
        None => Store::in_memory()?,
    };
    let verify = args.verify_file.as_deref().map(read_verify_file).transpose()?;
    let open = open_platform_full(&args.wecom, args.port, store, verify.clone(), true, &args.callbacks)?;
    writeln!(out, "万象智维（模拟）已启动 / platform listening on {}", open.server.base_url)?;
    writeln!(out, "  {}/oauth/wecom/start   企业微信登录 / WeCom login", open.server.base_url)?;
    writeln!(out, "  {}   通讯录回调 / contact-change callbacks", open.platform.callback_url())?;
    let policy = open.platform.follower.policy;
    writeln!(
        out,
        "  回调策略 / policy: --on-leave {} --new-members {}; 定期核对 / reconcile every: {}",
        format!("{:?}", policy.on_leave).to_lowercase(),
        format!("{:?}", policy.new_members).to_lowercase(),
        if args.reconcile_every > 0 {
            format!("{} s", args.reconcile_every)
        } else {
            "关闭 / off (--reconcile-every 0)".to_string()
        }
    )?;
    if let Some(v) = &verify {
        writeln!(out, "  {}/{}   可信域名校验文件 / trusted-domain verification file", open.server.base_url, v.name)?;
    }
    if let Some(fake) = &open.session.fake {
        writeln!(out, "  模拟企业微信 / fake WeCom: {}", fake.base_url())?;
    }
    if let Some(pusher) = open.pusher() {
        // As WeCom does when the admin saves the callback URL in the console.
        let (ok, _) = pusher.verify_url()?;
        writeln!(out, "  回调 URL 验证 / callback URL verification: {}", if ok { "✓" } else { "✗" })?;
    }
    write!(out, "\n{}", crate::render::table::setup_sheet(&open.session.report, crate::render::table::Lang::Zh))?;
    out.flush()?;
    // A batch the safeguard held back at an earlier run is planned again under this run's flags.
    if let Some(outcome) = open.platform.follower.retry_held() {
        let error = outcome.error.map(|e| format!(" ({e})")).unwrap_or_default();
        writeln!(out, "暂缓的回调 / held callbacks: {} / {}{error}", outcome.reason.zh, outcome.reason.en)?;
    }
    if args.reconcile_every > 0 {
        let every = std::time::Duration::from_secs(args.reconcile_every);
        reconcile_every(open.platform.follower.clone(), every, |outcome| {
            let error = outcome.error.map(|e| format!(" ({e})")).unwrap_or_default();
            println!("定期核对 / reconcile: {} / {}{error}", outcome.reason.zh, outcome.reason.en);
        })?;
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let _ = tokio::signal::ctrl_c().await;
    });
    Ok(true)
}
