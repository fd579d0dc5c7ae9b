//! The `host-sim` commands: one file per command (or family of commands) with its clap
//! arguments, built on [`crate::host`] and printing through [`crate::render`].

pub mod callback;
pub mod callback_options;
pub mod configure;
pub mod demo;
pub mod fetch;
pub mod login;
pub mod login_flow;
pub mod reconcile;
pub mod serve;
pub mod session;
pub mod wecom_sim;
pub mod workflow;
