use crate::{HostServicesBox, PluginBox, PluginError};
use abi_stable::{
    declare_root_module_statics,
    library::RootModule,
    package_version_strings,
    sabi_types::VersionStrings,
    std_types::{RResult, RString},
    StableAbi,
};
use serde::{Deserialize, Serialize};

/// Who the plugin is.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginInfo {
    /// Machine name, e.g. `wecom`.
    pub name: RString,
    /// Human name, e.g. 企业微信 / WeCom.
    pub display_name: RString,
    /// The plugin's own version.
    pub version: RString,
}

/// The root module a plugin library exports and a host loads: a factory of plugin instances.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginModuleRef)))]
#[sabi(missing_field(panic))]
pub struct PluginModule {
    /// Name and version of the plugin.
    pub info: extern "C" fn() -> PluginInfo,

    /// Creates an instance with its own state (configuration, token cache, runtime, HTTP client).
    /// Several instances (one per organisation) live side by side.
    #[sabi(last_prefix_field)]
    pub new_instance: extern "C" fn(host: HostServicesBox) -> RResult<PluginBox, PluginError>,
}

impl RootModule for PluginModuleRef {
    declare_root_module_statics! {PluginModuleRef}
    /// The library file is `libwanxiang_wecom.so` on Linux, `wanxiang_wecom.dll` on Windows.
    const BASE_NAME: &'static str = "wanxiang_wecom";
    const NAME: &'static str = "wanxiang integration plugin";
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}
