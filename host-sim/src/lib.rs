//! # host-sim: the Wanxiang host, simulated
//!
//! Loads the WeCom plugin library the way the Wanxiang host does ([`host`]), keeps the
//! organisation's platform accounts and bindings in SQLite ([`store`]), serves the platform's
//! login and callback endpoints ([`platform`]), and carries a faithful fake of the WeCom server
//! API ([`fake_wecom`]) used by the CLI, the tests and the benchmarks alike. The binary
//! (`host-sim`) exposes it as commands ([`cli`]); [`cli::demo::run`] is the whole guide end to end.

pub mod bench;
pub mod cli;
pub mod defaults;
pub mod fake_wecom;
pub mod host;
pub mod platform;
pub mod render;
pub mod store;
pub mod term;
