//! Loading the plugin the way the Wanxiang host does, and the host services it is given:
//! log lines go to `tracing` (target `plugin`), progress to an optional callback that may cancel.

use abi_stable::{sabi_trait::TD_Opaque, std_types::RStr};
use interface::{
    load_plugin, plugin_file_name, HostServices, HostServices_TO, LoadError, LogLevel, PluginBox, PluginError,
    PluginModuleRef,
};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Called with (stage, done, total) on progress.
pub type ProgressFn = Arc<dyn Fn(&str, u64, u64) + Send + Sync>;

/// What host-sim gives each plugin instance.
#[derive(Clone, Default)]
pub struct SimHost {
    /// Set to cancel the running read.
    pub cancel: Arc<AtomicBool>,
    /// Progress display, if any.
    pub on_progress: Option<ProgressFn>,
}

impl HostServices for SimHost {
    fn log(&self, level: LogLevel, message: RStr<'_>) {
        let message = message.as_str();
        match level {
            LogLevel::Trace => tracing::trace!(target: "plugin", "{message}"),
            LogLevel::Debug => tracing::debug!(target: "plugin", "{message}"),
            LogLevel::Info => tracing::info!(target: "plugin", "{message}"),
            LogLevel::Warn => tracing::warn!(target: "plugin", "{message}"),
            LogLevel::Error => tracing::error!(target: "plugin", "{message}"),
        }
    }

    fn progress(&self, stage: RStr<'_>, done: u64, total: u64) -> bool {
        if let Some(show) = &self.on_progress {
            show(stage.as_str(), done, total);
        }
        !self.cancel.load(Ordering::SeqCst)
    }
}

/// Why host-sim could not get a plugin instance.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The library did not load.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The plugin refused to create an instance.
    #[error("{0}")]
    Instance(PluginError),
}

/// A loaded plugin library.
pub struct LoadedPlugin {
    module: PluginModuleRef,
    /// Where it was loaded from.
    pub path: PathBuf,
}

impl LoadedPlugin {
    /// Loads the library at `path` (checked: a missing file, a foreign library and an
    /// incompatible interface are distinct errors).
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        Ok(LoadedPlugin { module: load_plugin(path)?, path: path.to_path_buf() })
    }

    /// Name and version the plugin reports.
    pub fn info(&self) -> interface::PluginInfo {
        (self.module.info())()
    }

    /// A new instance (one per organisation) with these host services.
    pub fn instance(&self, host: SimHost) -> Result<PluginBox, HostError> {
        let services = HostServices_TO::from_value(host, TD_Opaque);
        (self.module.new_instance())(services).into_result().map_err(HostError::Instance)
    }
}

/// Where host-sim looks for the plugin when `--plugin` is not given: `$WANXIANG_WECOM_PLUGIN`,
/// then beside the running executable (`target/<profile>/`), then its `deps/` folder.
pub fn default_plugin_path() -> PathBuf {
    if let Some(path) = std::env::var_os("WANXIANG_WECOM_PLUGIN") {
        return PathBuf::from(path);
    }
    let name = plugin_file_name();
    let exe_dir = std::env::current_exe().ok().and_then(|p| p.parent().map(Path::to_path_buf)).unwrap_or_default();
    let candidates = [exe_dir.join(&name), exe_dir.join("deps").join(&name), exe_dir.join("..").join(&name)];
    candidates.iter().find(|p| p.is_file()).cloned().unwrap_or_else(|| exe_dir.join(name))
}
