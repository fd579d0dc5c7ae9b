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
//! ## What a host may expect of a newer or an older plugin (interface 0.2)
//! The library's interface version is checked at load ([`load_plugin`]); for 0.x the minor is the
//! compatibility line. Each promise below is proved by a fixture library in `tests/abi_compat.rs`.
//! - **Same 0.2, newer patch plugin: loads and works.** It may fill [`Extensions`] fields this
//!   host does not know (ignored), send open-enum values this host does not know (each type says
//!   what a receiver does: e.g. an unknown [`RowKind`] waits for the operator), and carry hooks
//!   appended after `last_prefix_field` (this host never calls them), and fields appended to the
//!   root module [`PluginModule`].
//! - **Same 0.2, older patch plugin in a newer host: refused at load.** By version
//!   ([`LoadError::IncompatibleVersion`], "deploy a plugin at least as new as the host"): abi_stable
//!   checks `host patch <= library patch`. And should a build carry a version it does not match,
//!   by layout: a plugin lacking a hook this host's trait has is [`LoadError::IncompatibleLayout`]
//!   ("missing fields … older than this host's interface", the `older` fixture). Either way a
//!   host never meets a plugin lacking a hook it was built to call.
//! - **Another minor (0.1, 0.3): refused at load** with [`LoadError::IncompatibleVersion`].
//! - **Same version string, changed layout** (a rebuilt interface that was edited without a version
//!   bump): refused with [`LoadError::IncompatibleLayout`] naming the type.
//!
//! ## How the contract grows within 0.2 (what a release may add)
//! - Hooks: appended to [`IntegrationPlugin`] after `last_prefix_field`, with a default body that
//!   answers [`unsupported`]; services likewise on [`HostServices`]; fields after the last prefix
//!   field of [`PluginModule`].
//! - Values of open enums (`open_enum!` types such as [`RowKind`], [`Evidence`], [`ChangeKind`]);
//!   `match` on them always has a `_` arm. [`FindingStatus`] and [`LogLevel`] are closed.
//! - Optional fields: in the `ext` [`Extensions`] of each request and response, with a typed
//!   accessor added beside the type; every key name is a documented constant in [`ext_keys`], so
//!   a host and a plugin never spell it twice. No struct gains or loses a field within 0.2.
//! - Error codes: new constants in [`codes`]; existing codes keep their meaning.
#![deny(missing_docs)]
// abi_stable's derive and sabi_trait expansions trigger these lints inside generated code.
#![allow(non_local_definitions, clippy::too_many_arguments, non_camel_case_types)]

mod binding;
mod callback;
pub mod codes;
mod config;
mod directory;
mod error;
pub mod ext_keys;
mod growth;
mod host;
mod loading;
mod login;
mod module;
mod plan;
mod plugin;
mod text;

pub use binding::*;
pub use callback::*;
pub use config::*;
pub use directory::*;
pub use error::*;
pub use growth::*;
pub use host::*;
pub use loading::*;
pub use login::*;
pub use module::*;
pub use plan::*;
pub use plugin::*;
pub use text::*;
