//! The reference host: what a Wanxiang team copies. Loads the plugin and implements its host
//! services ([`plugin_host`]), opens a configured or activated instance ([`session`]), gathers
//! what the store knows for the plugin's hooks and applies the change sets they return
//! ([`sync`], [`login_decide`]), follows contact-change callbacks and runs the reconcile
//! ([`callbacks`]), and hashes platform passwords ([`password`]); [`sample`] is the sample
//! organisation's platform accounts.
//!
//! Imports only [`crate::store`] and the leaf [`crate::term`]: no clap, no stdout, no fake WeCom.
//! The command line ([`crate::cli`]) and the web server ([`crate::platform`]) are built on it.

pub mod callbacks;
pub mod login_decide;
pub mod password;
pub mod plugin_host;
pub mod sample;
pub mod session;
pub mod sync;
