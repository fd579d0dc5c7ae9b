//! # The Wanxiang integration-plugin contract (stable ABI)
//!
//! This crate is the one thing the Wanxiang host and an integration plugin (here: WeCom / 企业微信)
//! share. It holds types and the hook contract only; all behaviour lives in the plugin, all storage
//! in the host. Everything that crosses the boundary is `#[derive(StableAbi)]`, so a host and a
//! plugin built separately (even by different compilers) check each other's layout at load time.
//!
//! ## How a host uses a plugin
//! ```no_run
//! use interface::{load_plugin, HostServices_TO, HostServices, LogLevel, ConnectionSettings};
//! use abi_stable::{sabi_trait::TD_Opaque, std_types::{RBox, RStr}};
//!
//! struct MyHost;
//! impl HostServices for MyHost {
//!     fn log(&self, level: LogLevel, message: RStr<'_>) { println!("[{level:?}] {message}") }
//!     fn progress(&self, stage: RStr<'_>, done: u64, total: u64) -> bool { true /* false cancels */ }
//! }
//!
//! let module = load_plugin("target/debug/libwanxiang_wecom.so".as_ref())?;      // checked load
//! let host = HostServices_TO::from_value(MyHost, TD_Opaque);
//! let plugin = module.new_instance()(host).into_result()?;  // one instance per organisation
//! let report = plugin.configure(&ConnectionSettings::default()).into_result()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//! Hooks are blocking calls, safe to call from several host threads at once. A host that is itself
//! async calls them through `spawn_blocking` (they block the calling thread while the plugin's own
//! runtime does the I/O). No hook panics or unwinds into the host: a panic comes back as a
//! [`PluginError`] with code `plugin.panic`.
//!
//! ## How the contract grows (compatibly)
//! - New hooks are appended to [`IntegrationPlugin`] after the `#[sabi(last_prefix_field)]` method,
//!   with a default body, so an older host still loads a newer plugin (the older host never calls them).
//! - New host services are appended to [`HostServices`] the same way: a newer plugin calling a service
//!   an older host lacks gets the default answer.
//! - New fields go after `last_prefix_field` of [`PluginModule`].
//! - Data structs and enums are closed `#[repr(C)]` types: changing one is a new interface version
//!   (the minor of this crate while it is 0.x), which the loader reports as
//!   [`LoadError::IncompatibleVersion`]. New data arrives through new hooks and new types.
//! - A newer host refuses an older plugin: deploy the plugin at least as new as the host's interface.
#![deny(missing_docs)]
// abi_stable's derive and sabi_trait expansions trigger these lints inside generated code.
#![allow(non_local_definitions, clippy::too_many_arguments, non_camel_case_types)]

mod binding;
mod callback;
mod config;
mod directory;
mod error;
mod host;
mod loading;
mod login;
mod module;
mod plugin;
mod text;

pub use binding::*;
pub use callback::*;
pub use config::*;
pub use directory::*;
pub use error::*;
pub use host::*;
pub use loading::*;
pub use login::*;
pub use module::*;
pub use plugin::*;
pub use text::*;
