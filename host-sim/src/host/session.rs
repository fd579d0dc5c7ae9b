//! What every host start needs: the loaded plugin and an instance configured with connection
//! settings (checked against WeCom) or activated from the configuration the store holds (no
//! WeCom call). Which WeCom, and whether it is the built-in fake, is the caller's business
//! ([`crate::cli::session`] starts the fake and fills in its sample app).

use crate::host::plugin_host::{default_plugin_path, LoadedPlugin, SimHost};
use crate::store::{Store, StoredConnection};
use anyhow::Context;
use interface::{Activation, ConfigReport, ConnectionSettings, PluginBox, ScopeSelection, SecretString};
use std::path::Path;

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

/// A loaded, configured (or activated) plugin instance.
pub struct Session {
    /// Where the configuration came from ([`ORIGIN_BUILTIN_FAKE`] or [`ORIGIN_EXTERNAL`]): what
    /// [`Session::store_in`] records, so that the next start knows whether it can be activated.
    pub origin: &'static str,
    /// The plugin library.
    pub plugin: LoadedPlugin,
    /// The instance.
    pub instance: std::sync::Arc<PluginBox>,
    /// The settings passed to configure.
    pub settings: ConnectionSettings,
    /// Configure's (or activate's) report.
    pub report: ConfigReport,
    /// True when the stored configuration was activated (no WeCom call), false after configure.
    pub activated: bool,
}

/// Where a stored configuration came from: the built-in fake (a new one, at a new address,
/// starts with every command, so it is configured again) or a WeCom given by URL.
pub const ORIGIN_BUILTIN_FAKE: &str = "builtin_fake";
/// See [`ORIGIN_BUILTIN_FAKE`].
pub const ORIGIN_EXTERNAL: &str = "external";

impl Session {
    /// Loads the plugin (`plugin`, or the workspace's built library) and configures an instance
    /// with `settings`, which `origin` names ([`ORIGIN_BUILTIN_FAKE`] or [`ORIGIN_EXTERNAL`]).
    pub fn configure(
        plugin: LoadedPlugin,
        settings: ConnectionSettings,
        host: SimHost,
        origin: &'static str,
    ) -> anyhow::Result<Session> {
        let instance = std::sync::Arc::new(plugin.instance(host)?);
        let report = instance.configure(&settings).into_result()?;
        Ok(Session { origin, plugin, instance, settings, report, activated: false })
    }

    /// Stores this session's configuration when it was accepted by `configure`.
    pub fn store_in(&self, store: &mut Store) -> anyhow::Result<()> {
        if self.report.accepted && !self.activated {
            let origin = self.origin;
            let mut settings = self.settings.clone();
            // A command without callback options (sync, configure) keeps the callback settings
            // stored for the same corp (serve's), so the next start still receives callbacks.
            if let Some(stored) = store.connection()?.filter(|s| s.settings.corp_id == settings.corp_id) {
                if settings.callback_token.is_empty() && settings.callback_aes_key.is_empty() {
                    settings.callback_token = stored.settings.callback_token;
                    settings.callback_aes_key = stored.settings.callback_aes_key;
                    if settings.callback_url.is_empty() {
                        settings.callback_url = stored.settings.callback_url;
                    }
                }
            }
            store.save_connection(&settings, self.report.app.as_ref().into_option(), origin)?;
        }
        Ok(())
    }

    /// What a host does at every start once it has a usable stored configuration: activates it
    /// without any WeCom call (so logins and callbacks work while WeCom is unreachable).
    /// `adjust` completes the settings (the platform's own callback settings).
    pub fn activate(
        plugin: LoadedPlugin,
        stored: StoredConnection,
        platform: &PlatformUrls,
        host: SimHost,
        adjust: impl FnOnce(&mut ConnectionSettings),
    ) -> anyhow::Result<Session> {
        let mut settings = stored.settings;
        // The platform's URLs as accepted; the command's own only where none was stored
        // (`login --code` and `reconcile` have no platform of their own).
        if settings.homepage_url.is_empty() {
            settings.homepage_url = platform.homepage.as_str().into();
        }
        if settings.redirect_url.is_empty() {
            settings.redirect_url = platform.redirect.as_str().into();
        }
        adjust(&mut settings);
        let instance = std::sync::Arc::new(plugin.instance(host)?);
        let activation = Activation { settings: settings.clone(), app: stored.app.into(), ext: Default::default() };
        let report = instance.activate(&activation).into_result()?;
        Ok(Session { origin: ORIGIN_EXTERNAL, plugin, instance, settings, report, activated: true })
    }

    /// A session that only receives callbacks: `corp_id`, Token and EncodingAESKey activated,
    /// no Secret, no WeCom.
    pub fn callback_only(
        plugin: LoadedPlugin,
        host: SimHost,
        corp_id: &str,
        token: &str,
        aes_key: &str,
    ) -> anyhow::Result<Session> {
        let settings = ConnectionSettings {
            corp_id: corp_id.trim().into(),
            callback_token: SecretString::new(token),
            callback_aes_key: SecretString::new(aes_key),
            ..Default::default()
        };
        let instance = std::sync::Arc::new(plugin.instance(host)?);
        let activation = Activation { settings: settings.clone(), ..Default::default() };
        let report = instance.activate(&activation).into_result()?;
        Ok(Session { origin: ORIGIN_EXTERNAL, plugin, instance, settings, report, activated: true })
    }
}

/// Loads the plugin library at `path`, or the workspace's built library beside this executable.
pub fn load_plugin(path: Option<&Path>) -> anyhow::Result<LoadedPlugin> {
    let plugin_path = path.map(Path::to_path_buf).unwrap_or_else(default_plugin_path);
    LoadedPlugin::load(&plugin_path).with_context(|| {
        format!(
            "加载插件失败 / could not load the plugin (build it first: cargo build -p plugin): {}",
            plugin_path.display()
        )
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
