//! # host-sim: the Wanxiang host, simulated
//!
//! Loads the WeCom plugin library the way the Wanxiang host does ([`plugin_host`]), keeps the
//! organisation's platform accounts and bindings in SQLite ([`store`]), and carries a faithful fake
//! of the WeCom server API ([`fake_wecom`]) used by the CLI, the tests and the benchmarks alike.
//! The binary (`host-sim`) exposes it as commands; [`demo::run`] is the whole guide end to end.

pub mod bench;
pub mod callbacks;
pub mod commands;
pub mod demo;
pub mod fake_wecom;
pub mod login_cmd;
pub mod login_decide;
pub mod login_flow;
pub mod password;
pub mod platform;
pub mod plugin_host;
pub mod sample;
pub mod serve_cmd;
pub mod session;
pub mod store;
pub mod table;
pub mod term;
pub mod workflow;
