//! What every WeCom command needs: the WeCom to talk to (a server given by `--wecom-base-url`, or
//! the built-in fake with its sample organisation, started here), the loaded plugin, and a
//! configured instance ([`crate::host::session::Session`]).

use crate::fake_wecom::{FakeConfig, FakeWecom, Org};
use crate::host::plugin_host::SimHost;
use crate::host::session::{self as host, load_plugin, PlatformUrls, ORIGIN_BUILTIN_FAKE, ORIGIN_EXTERNAL};
use crate::store::Store;
use anyhow::Context;
use interface::{ConnectionSettings, SecretString};
use std::path::PathBuf;

/// The connection options every WeCom command takes. Debug masks the Secret.
#[derive(clap::Args, Clone, Default)]
pub struct WecomArgs {
    /// WeCom API base URL (e.g. https://qyapi.weixin.qq.com). Without it, the built-in fake WeCom
    /// with the sample organisation is started and used.
    #[arg(long)]
    pub wecom_base_url: Option<String>,
    /// Base of WeCom's in-client OAuth page (default: https://open.weixin.qq.com; with the
    /// built-in fake, the fake's address).
    #[arg(long)]
    pub authorize_base_url: Option<String>,
    /// Base of WeCom's web (QR) login page (default: https://login.work.weixin.qq.com; with the
    /// built-in fake, the fake's address).
    #[arg(long)]
    pub web_login_base_url: Option<String>,
    /// The app's web-login callback domain when it is not the trusted domain (授权回调域).
    #[arg(long)]
    pub web_login_domain: Option<String>,
    /// CorpID (default with the built-in fake: the sample corp).
    #[arg(long)]
    pub corp_id: Option<String>,
    /// AgentID of the self-built app (default with the built-in fake: 1000002).
    #[arg(long)]
    pub agent_id: Option<String>,
    /// The app's Secret (or env WECOM_SECRET, which keeps it out of the process list).
    #[arg(long, env = "WECOM_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
    /// Outbound proxy for WeCom calls (e.g. http://proxy.corp:3128); WeCom then sees the proxy's egress IP.
    #[arg(long)]
    pub proxy_url: Option<String>,
    /// Accept plain http:// for a non-loopback WeCom base URL (an internal gateway).
    #[arg(long)]
    pub allow_plain_http: bool,
    /// Plugin library to load (default: the workspace's built library beside this executable).
    #[arg(long)]
    pub plugin: Option<PathBuf>,
}

/// A connection option the user gave that cannot be used; names its field.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ArgsError {
    /// `--wecom-base-url ""`: empty would silently mean "the real WeCom" to the plugin.
    #[error("--wecom-base-url 为空（不填此项则使用内置模拟企业微信）/ --wecom-base-url is empty (leave it out to use the built-in fake WeCom)")]
    EmptyBaseUrl,
    /// `--proxy-url` empty or not a URL.
    #[error("--proxy-url 不是有效的 URL（应形如 http://proxy.corp:3128）/ --proxy-url is not a valid URL (expected e.g. http://proxy.corp:3128)")]
    BadProxyUrl,
    /// `--proxy-url` with a scheme the HTTP client cannot use (the Secret would go out directly).
    #[error("--proxy-url 的协议「{0}」不受支持，仅支持 http 和 https / --proxy-url scheme \"{0}\" is not supported, only http and https")]
    UnsupportedProxyScheme(String),
}

impl WecomArgs {
    /// Checks the options that would otherwise be ignored or misread silently.
    pub fn check(&self) -> Result<(), ArgsError> {
        if self.wecom_base_url.as_deref().is_some_and(|u| u.trim().is_empty()) {
            return Err(ArgsError::EmptyBaseUrl);
        }
        if let Some(proxy) = self.proxy_url.as_deref() {
            let url = url::Url::parse(proxy.trim()).map_err(|_| ArgsError::BadProxyUrl)?;
            if !matches!(url.scheme(), "http" | "https") {
                let scheme: String = url.scheme().chars().take(32).collect();
                return Err(ArgsError::UnsupportedProxyScheme(scheme));
            }
        }
        Ok(())
    }
}

impl std::fmt::Debug for WecomArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WecomArgs")
            .field("wecom_base_url", &self.wecom_base_url)
            .field("authorize_base_url", &self.authorize_base_url)
            .field("web_login_base_url", &self.web_login_base_url)
            .field("web_login_domain", &self.web_login_domain)
            .field("corp_id", &self.corp_id)
            .field("agent_id", &self.agent_id)
            .field("secret", &self.secret.as_ref().map(|_| "***"))
            .field("proxy_url", &self.proxy_url)
            .field("allow_plain_http", &self.allow_plain_http)
            .field("plugin", &self.plugin)
            .finish()
    }
}

/// A host session and the built-in fake WeCom it talks to, when no base URL was given. Derefs to
/// the host's [`host::Session`].
pub struct Session {
    /// The built-in fake, when no base URL was given.
    pub fake: Option<FakeWecom>,
    /// The host's session.
    pub host: host::Session,
}

impl std::ops::Deref for Session {
    type Target = host::Session;
    fn deref(&self) -> &host::Session {
        &self.host
    }
}

impl Session {
    /// Starts the fake if needed, loads the plugin and configures an instance.
    /// `prepare_fake` lets the caller set the fake organisation up as an admin would (homepage,
    /// trusted domain) before configure runs.
    pub fn open(
        args: &WecomArgs,
        platform: &PlatformUrls,
        host: SimHost,
        prepare_fake: impl FnOnce(&FakeWecom),
    ) -> anyhow::Result<Session> {
        Session::open_with(args, platform, host, prepare_fake, |_| {})
    }

    /// As [`Session::open`]; `adjust` completes the settings before configure runs (the callback
    /// Token, EncodingAESKey and URL, which only some commands take).
    pub fn open_with(
        args: &WecomArgs,
        platform: &PlatformUrls,
        host: SimHost,
        prepare_fake: impl FnOnce(&FakeWecom),
        adjust: impl FnOnce(&mut ConnectionSettings),
    ) -> anyhow::Result<Session> {
        args.check()?;
        let plugin = load_plugin(args.plugin.as_deref())?;
        let (fake, base_url) = match &args.wecom_base_url {
            Some(url) => (None, url.clone()),
            None => {
                let fake = FakeWecom::start(Org::sample(), FakeConfig::default(), 0)
                    .context("启动模拟企业微信失败 / could not start the fake WeCom")?;
                prepare_fake(&fake);
                let url = fake.base_url();
                (Some(fake), url)
            }
        };
        let sample = Org::sample();
        let default_app = sample.apps.first();
        let using_fake = fake.is_some();
        let pick = |given: &Option<String>, fallback: String| {
            given.clone().or_else(|| using_fake.then_some(fallback)).unwrap_or_default()
        };
        let fake_base = fake.as_ref().map(|f| f.base_url());
        // The fake serves WeCom's login pages at their real paths under its own address.
        let login_base =
            |given: &Option<String>| given.clone().or_else(|| fake_base.clone()).unwrap_or_default().into();
        let mut settings = ConnectionSettings {
            corp_id: pick(&args.corp_id, sample.corp_id.clone()).into(),
            agent_id: pick(&args.agent_id, default_app.map(|a| a.agent_id.to_string()).unwrap_or_default()).into(),
            secret: SecretString::new(pick(&args.secret, default_app.map(|a| a.secret.clone()).unwrap_or_default())),
            api_base_url: base_url.into(),
            authorize_base_url: login_base(&args.authorize_base_url),
            web_login_base_url: login_base(&args.web_login_base_url),
            web_login_domain: args.web_login_domain.clone().unwrap_or_default().into(),
            homepage_url: platform.homepage.as_str().into(),
            redirect_url: platform.redirect.as_str().into(),
            proxy_url: args.proxy_url.clone().unwrap_or_default().into(),
            allow_plain_http: args.allow_plain_http,
            ..Default::default()
        };
        adjust(&mut settings);
        let origin = if using_fake { ORIGIN_BUILTIN_FAKE } else { ORIGIN_EXTERNAL };
        let host = host::Session::configure(plugin, settings, host, origin)?;
        Ok(Session { fake, host })
    }

    /// As [`Session::open_with`], and the accepted configuration is stored in `store` for the
    /// next start ([`Session::start`]).
    pub fn open_and_store(
        args: &WecomArgs,
        platform: &PlatformUrls,
        host: SimHost,
        store: &mut Store,
        prepare_fake: impl FnOnce(&FakeWecom),
        adjust: impl FnOnce(&mut ConnectionSettings),
    ) -> anyhow::Result<Session> {
        let session = Session::open_with(args, platform, host, prepare_fake, adjust)?;
        session.store_in(store)?;
        Ok(session)
    }

    /// What a host does at every start: activates the configuration `store` holds, without any
    /// WeCom call (so logins and callbacks work while WeCom is unreachable), and configures (and
    /// stores) only when nothing usable is stored: nothing at all, a configuration of the built-in
    /// fake (a new fake starts with each command), or connection options that name another WeCom.
    /// `adjust` completes the settings either way (the platform's own callback settings).
    pub fn start(
        args: &WecomArgs,
        platform: &PlatformUrls,
        host: SimHost,
        store: &mut Store,
        prepare_fake: impl FnOnce(&FakeWecom),
        adjust: impl FnOnce(&mut ConnectionSettings),
    ) -> anyhow::Result<Session> {
        let stored = store.connection()?.filter(|s| s.origin == ORIGIN_EXTERNAL && args.agrees_with(&s.settings));
        let Some(stored) = stored else {
            return Session::open_and_store(args, platform, host, store, prepare_fake, adjust);
        };
        let plugin = load_plugin(args.plugin.as_deref())?;
        Ok(Session { fake: None, host: host::Session::activate(plugin, stored, platform, host, adjust)? })
    }

    /// A session that only receives callbacks: `corp_id`, Token and EncodingAESKey activated,
    /// no Secret (an unrelated `WECOM_SECRET` is ignored), no WeCom, no fake.
    pub fn callback_only(
        args: &WecomArgs,
        host: SimHost,
        corp_id: &str,
        token: &str,
        aes_key: &str,
    ) -> anyhow::Result<Session> {
        let plugin = load_plugin(args.plugin.as_deref())?;
        Ok(Session { fake: None, host: host::Session::callback_only(plugin, host, corp_id, token, aes_key)? })
    }
}

impl WecomArgs {
    /// True when the options given (if any) name the same WeCom, corp and app as `settings`.
    pub fn agrees_with(&self, settings: &ConnectionSettings) -> bool {
        let same = |given: &Option<String>, stored: &str| {
            given.as_deref().map(str::trim).filter(|g| !g.is_empty()).is_none_or(|g| g == stored.trim())
        };
        same(&self.wecom_base_url, settings.api_base_url.as_str())
            && same(&self.corp_id, settings.corp_id.as_str())
            && same(&self.agent_id, settings.agent_id.as_str())
            && same(&self.secret, settings.secret.expose())
            && same(&self.authorize_base_url, settings.authorize_base_url.as_str())
            && same(&self.web_login_base_url, settings.web_login_base_url.as_str())
            && same(&self.web_login_domain, settings.web_login_domain.as_str())
            && same(&self.proxy_url, settings.proxy_url.as_str())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn debug_masks_the_secret() {
        let args = super::WecomArgs { secret: Some("s3cr3t-value".into()), ..Default::default() };
        let shown = format!("{args:?}");
        assert!(!shown.contains("s3cr3t-value") && shown.contains("***"), "{shown}");
    }

    #[test]
    fn an_empty_base_url_and_an_unusable_proxy_are_errors_on_their_field() {
        use super::{ArgsError, WecomArgs};
        let args = |base: Option<&str>, proxy: Option<&str>| WecomArgs {
            wecom_base_url: base.map(Into::into),
            proxy_url: proxy.map(Into::into),
            ..Default::default()
        };
        assert_eq!(args(Some(" "), None).check(), Err(ArgsError::EmptyBaseUrl));
        assert_eq!(args(None, Some("ftp://proxy:21")).check(), Err(ArgsError::UnsupportedProxyScheme("ftp".into())));
        assert_eq!(args(None, Some("")).check(), Err(ArgsError::BadProxyUrl));
        assert_eq!(args(Some("https://qyapi.weixin.qq.com"), Some("http://proxy.corp:3128")).check(), Ok(()));
        assert_eq!(args(None, None).check(), Ok(()));
    }
}
