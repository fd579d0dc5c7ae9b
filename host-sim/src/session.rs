//! What every WeCom command needs: the WeCom to talk to (a server given by `--wecom-base-url`, or
//! the built-in fake with its sample organisation), the loaded plugin, and a configured instance.

use crate::fake_wecom::{FakeConfig, FakeWecom, Org};
use crate::plugin_host::{default_plugin_path, LoadedPlugin, SimHost};
use anyhow::Context;
use interface::{ConfigReport, ConnectionSettings, PluginBox, SecretString};
use std::path::PathBuf;

/// The connection options every WeCom command takes. Debug masks the Secret.
#[derive(clap::Args, Clone, Default)]
pub struct WecomArgs {
    /// WeCom API base URL (e.g. https://qyapi.weixin.qq.com). Without it, the built-in fake WeCom
    /// with the sample organisation is started and used.
    #[arg(long)]
    pub wecom_base_url: Option<String>,
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
            .field("corp_id", &self.corp_id)
            .field("agent_id", &self.agent_id)
            .field("secret", &self.secret.as_ref().map(|_| "***"))
            .field("proxy_url", &self.proxy_url)
            .field("allow_plain_http", &self.allow_plain_http)
            .field("plugin", &self.plugin)
            .finish()
    }
}

/// The platform's own URLs that WeCom must know.
#[derive(Clone, Debug)]
pub struct PlatformUrls {
    /// Homepage (应用主页).
    pub homepage: String,
    /// OAuth redirect URL (its host is the trusted domain).
    pub redirect: String,
}

impl PlatformUrls {
    /// The URLs of a platform served at `base` (e.g. `http://127.0.0.1:18080`).
    pub fn at(base: &str) -> Self {
        let base = base.trim_end_matches('/');
        PlatformUrls { homepage: format!("{base}/"), redirect: format!("{base}/oauth/wecom/callback") }
    }

    /// `host:port` of the redirect URL, as WeCom's trusted domain.
    pub fn trusted_domain(&self) -> String {
        url::Url::parse(&self.redirect)
            .ok()
            .map(|u| match (u.host_str(), u.port()) {
                (Some(h), Some(p)) => format!("{h}:{p}"),
                (Some(h), None) => h.to_string(),
                _ => String::new(),
            })
            .unwrap_or_default()
    }
}

/// A loaded, configured plugin instance and the WeCom it talks to.
pub struct Session {
    /// The built-in fake, when no base URL was given.
    pub fake: Option<FakeWecom>,
    /// The plugin library.
    pub plugin: LoadedPlugin,
    /// The instance.
    pub instance: std::sync::Arc<PluginBox>,
    /// The settings passed to configure.
    pub settings: ConnectionSettings,
    /// Configure's report.
    pub report: ConfigReport,
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
        let plugin_path = args.plugin.clone().unwrap_or_else(default_plugin_path);
        let plugin = LoadedPlugin::load(&plugin_path).with_context(|| {
            format!(
                "加载插件失败 / could not load the plugin (build it first: cargo build -p plugin): {}",
                plugin_path.display()
            )
        })?;
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
        let mut settings = ConnectionSettings {
            corp_id: pick(&args.corp_id, sample.corp_id.clone()).into(),
            agent_id: pick(&args.agent_id, default_app.map(|a| a.agent_id.to_string()).unwrap_or_default()).into(),
            secret: SecretString::new(pick(&args.secret, default_app.map(|a| a.secret.clone()).unwrap_or_default())),
            api_base_url: base_url.into(),
            homepage_url: platform.homepage.as_str().into(),
            redirect_url: platform.redirect.as_str().into(),
            proxy_url: args.proxy_url.clone().unwrap_or_default().into(),
            allow_plain_http: args.allow_plain_http,
            ..Default::default()
        };
        adjust(&mut settings);
        let instance = std::sync::Arc::new(plugin.instance(host)?);
        let report = instance.configure(&settings).into_result()?;
        Ok(Session { fake, plugin, instance, settings, report })
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
