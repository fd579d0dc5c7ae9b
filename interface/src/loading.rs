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
    #[error(
        "插件接口布局不兼容 / incompatible plugin interface layout: {summary}; deploy a plugin built against \
         interface {host}",
        host = env!("CARGO_PKG_VERSION")
    )]
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
            let report = error.to_string();
            // A library of a NEWER minor passes abi_stable's version check (it only refuses older
            // ones) and fails on every type's package version instead: report it as a version.
            match package_versions(&report) {
                Some((expected, found)) => LoadError::IncompatibleVersion { expected, found },
                None => LoadError::IncompatibleLayout { summary: layout_summary(&report) },
            }
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

/// abi_stable's layout report runs to a thousand lines: the layouts of every type on the way from
/// the root module to the one that differs (each after `Layout of expected type:`), then the
/// differences (`Error:<what>` / `Expected:` / `Found:` blocks). The host gets one line: the
/// innermost type that differs and, for the first few differences, what was expected and found,
/// e.g. `ConnectionSettings (interface::config): incompatible type size (expected 328, found 336); ...`.
fn layout_summary(report: &str) -> String {
    const SHOWN: usize = 3;
    let lines: Vec<&str> = report.lines().collect();
    let mut current_type: Option<String> = None;
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    let mut total = 0usize;
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("Layout of expected type:") {
            current_type = describe_type(&lines[i + 1..]);
        } else if let Some(what) = line.strip_prefix("Error:") {
            total += 1;
            let expected = block_value(&lines[i + 1..], "Expected:");
            let found = block_value(&lines[i + 1..], "Found:");
            let difference = describe_difference(what.trim(), expected, found);
            let owner = current_type.clone().unwrap_or_else(|| "root module".to_string());
            match groups.iter_mut().find(|(t, _)| *t == owner) {
                Some((_, list)) => list.push(difference),
                None => groups.push((owner, vec![difference])),
            }
        }
    }
    if groups.is_empty() {
        return first_line(report);
    }
    let mut parts = Vec::new();
    let mut shown = 0usize;
    for (owner, list) in &groups {
        let take = list.len().min(SHOWN.saturating_sub(shown));
        if take == 0 {
            break;
        }
        shown += take;
        parts.push(format!("{owner}: {}", list[..take].join("; ")));
    }
    let mut summary = parts.join(" | ");
    if total > shown {
        summary.push_str(&format!(" (+{} more)", total - shown));
    }
    summary.chars().take(500).collect()
}

/// One difference in words. abi_stable says "too many fields" whichever side has more; a library
/// with fewer fields than the host is the common deployment mistake (a plugin older than the host),
/// so that case says so.
fn describe_difference(what: &str, expected: Option<String>, found: Option<String>) -> String {
    let (Some(e), Some(f)) = (expected, found) else { return what.to_string() };
    let counts = (e.parse::<usize>(), f.parse::<usize>());
    match counts {
        (Ok(host), Ok(library)) if what == "too many fields" && library < host => {
            format!("missing fields (expected {e}, found {f}: the library is older than this host's interface)")
        }
        (Ok(host), Ok(library)) if what == "too many fields" && library > host => {
            format!("extra fields (expected {e}, found {f})")
        }
        _ => format!("{what} (expected {e}, found {f})"),
    }
}

/// The host's and the library's interface versions, when the layout report says the types come
/// from incompatible versions of the interface package.
fn package_versions(report: &str) -> Option<(String, String)> {
    let lines: Vec<&str> = report.lines().collect();
    let at = lines.iter().position(|l| l.trim_end() == "Error:incompatible package versions")?;
    Some((block_value(&lines[at + 1..], "Expected:")?, block_value(&lines[at + 1..], "Found:")?))
}

/// `Name (module path)` from the lines after `Layout of expected type:` (`type:..`, `line:N mod:..`);
/// a sabi_trait vtable is named after its trait.
fn describe_type(after: &[&str]) -> Option<String> {
    let mut name = None;
    let mut module = None;
    for line in after.iter().take(8).map(|l| l.trim()) {
        if let Some(t) = line.strip_prefix("type:") {
            name.get_or_insert_with(|| t.trim().to_string());
        } else if let Some((_, m)) = line.split_once("mod:") {
            module.get_or_insert_with(|| m.trim().to_string());
        }
    }
    let name = name?;
    Some(match module {
        Some(m) => match m.rsplit("::").next().and_then(|last| last.strip_suffix("_trait")) {
            Some(trait_name) if name == "VTable" => format!("the {trait_name} hooks ({m})"),
            _ => format!("{name} ({m})"),
        },
        None => name,
    })
}

/// The first line of the `Expected:` / `Found:` block of one difference, without `field_name:`.
fn block_value(after: &[&str], header: &str) -> Option<String> {
    let mut lines = after.iter().take_while(|l| !l.starts_with("Error:"));
    lines.by_ref().find(|l| l.trim() == header)?;
    let value = lines.map(|l| l.trim()).find(|l| !l.is_empty())?;
    let value = value.strip_prefix("field_name:").unwrap_or(value);
    Some(value.chars().take(80).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "Compared <this>:\n    type:PrefixRef<'a, PluginModule>\n\
Layout of expected type:\n    --- Type Layout ---\n    type:PluginModule\n    line:26 mod:interface::module\n\
Layout of expected type:\n    --- Type Layout ---\n    type:VTable\n    size:64 align:8\n    line:17 mod:interface::plugin::IntegrationPlugin_trait\n\n\
Error:too many fields\nExpected:\n    11\nFound:\n    9\n\n\
Error:unexpected field\nExpected:\n    field_name:corp_id\n    type:RString\nFound:\n    field_name:extra\n    type:u64\n";

    #[test]
    fn the_layout_summary_names_the_type_and_what_differs_on_one_line() {
        let summary = layout_summary(REPORT);
        assert_eq!(
            summary,
            "the IntegrationPlugin hooks (interface::plugin::IntegrationPlugin_trait): missing fields (expected 11, \
             found 9: the library is older than this host's interface); unexpected field (expected corp_id, found extra)"
        );
    }

    #[test]
    fn only_the_first_differences_are_listed() {
        let many = format!("{REPORT}{}", "Error:unexpected field\nExpected:\n    a\nFound:\n    b\n".repeat(5));
        let summary = layout_summary(&many);
        assert!(summary.ends_with("(+4 more)"), "{summary}");
        assert_eq!(summary.lines().count(), 1);
    }

    #[test]
    fn package_versions_are_read_from_the_report() {
        let report = format!("{REPORT}Error:incompatible package versions\nExpected:\n    0.1.0\nFound:\n    0.2.0\n");
        assert_eq!(package_versions(&report), Some(("0.1.0".into(), "0.2.0".into())));
        assert_eq!(package_versions(REPORT), None);
    }

    #[test]
    fn a_report_without_differences_falls_back_to_its_first_line() {
        assert_eq!(layout_summary("\n  something else\nmore"), "something else");
    }
}
