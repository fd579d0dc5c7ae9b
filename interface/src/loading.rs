use crate::PluginModuleRef;
use abi_stable::library::{lib_header_from_path, LibraryError, RootModule};
use std::path::{Path, PathBuf};

/// Why a plugin library could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// No file at the path.
    #[error("插件文件不存在 / plugin library not found: {path}")]
    NotFound {
        /// The path tried.
        path: PathBuf,
    },
    /// The file is not a library of this kind of plugin (or not a loadable library at all).
    #[error("不是万象集成插件 / not a Wanxiang integration plugin: {path}: {detail}")]
    NotAPlugin {
        /// The path tried.
        path: PathBuf,
        /// What the loader said.
        detail: String,
    },
    /// The library was built against another version of this interface.
    #[error(
        "插件接口版本不兼容 / incompatible plugin interface version: host expects {expected}, library has {found}; \
         deploy a plugin built against interface {expected}"
    )]
    IncompatibleVersion {
        /// The host's interface version.
        expected: String,
        /// The library's interface version.
        found: String,
    },
    /// Same version string, but the types differ (the library was built from a changed interface).
    #[error("插件接口布局不兼容 / incompatible plugin interface layout: {summary}")]
    IncompatibleLayout {
        /// The few lines of abi_stable's report that say what differs.
        summary: String,
    },
    /// Anything else the loader reported.
    #[error("插件加载失败 / plugin failed to load: {detail}")]
    Other {
        /// What the loader said.
        detail: String,
    },
}

/// Loads a plugin library from `path` and checks that its interface matches this host's.
///
/// Unlike `RootModule::load_from_file`, which caches the first library per process, this loads the
/// named file every time (a library already loaded is shared, never unloaded), so a host can load
/// several plugins and a bad file does not poison later loads.
pub fn load_plugin(path: &Path) -> Result<PluginModuleRef, LoadError> {
    if !path.is_file() {
        return Err(LoadError::NotFound { path: path.to_path_buf() });
    }
    let header = lib_header_from_path(path).map_err(|e| classify(path, e))?;
    header.init_root_module::<PluginModuleRef>().map_err(|e| classify(path, e))
}

/// The file name of the plugin library on this platform (`libwanxiang_wecom.so`, `wanxiang_wecom.dll`, ...).
pub fn plugin_file_name() -> String {
    let base = <PluginModuleRef as RootModule>::BASE_NAME;
    format!("{}{}{}", std::env::consts::DLL_PREFIX, base, std::env::consts::DLL_SUFFIX)
}

fn classify(path: &Path, error: LibraryError) -> LoadError {
    match error {
        LibraryError::OpenError { .. } | LibraryError::GetSymbolError { .. } => {
            LoadError::NotAPlugin { path: path.to_path_buf(), detail: first_line(&error.to_string()) }
        }
        LibraryError::IncompatibleVersionNumber { expected_version, actual_version, .. } => {
            LoadError::IncompatibleVersion { expected: expected_version.to_string(), found: actual_version.to_string() }
        }
        LibraryError::AbiInstability(_) => {
            LoadError::IncompatibleLayout { summary: layout_summary(&error.to_string()) }
        }
        LibraryError::InvalidAbiHeader(_) | LibraryError::InvalidCAbi { .. } => {
            LoadError::NotAPlugin { path: path.to_path_buf(), detail: first_line(&error.to_string()) }
        }
        other => LoadError::Other { detail: first_line(&other.to_string()) },
    }
}

fn first_line(text: &str) -> String {
    text.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim().chars().take(300).collect()
}

/// abi_stable's layout report runs to a thousand lines; the `Error:` lines and the two lines after
/// each (expected / found) say what differs.
fn layout_summary(report: &str) -> String {
    let lines: Vec<&str> = report.lines().collect();
    let mut picked = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.trim_start().starts_with("Error:") {
            picked.extend(lines[i..(i + 3).min(lines.len())].iter().map(|l| l.trim()));
        }
    }
    if picked.is_empty() {
        return first_line(report);
    }
    picked.truncate(12);
    picked.join(" | ")
}
