//! # WeCom (企业微信) integration plugin for Wanxiang
//!
//! The cdylib the Wanxiang host loads at run time (`libwanxiang_wecom.so` / `wanxiang_wecom.dll`).
//! It exports the root module of the [`interface`] crate; `abi::get_library` is the entry point.
//!
//! Map: `abi` (the boundary, thin) → `instance` (state: runtime, accepted configuration) →
//! `configure` (connection checks), `directory` (scope reads), `binding` (pure matching and change
//! sets), `login` (OAuth) → `settings` (cleaned settings, the accepted configuration), `shown` and
//! `wecom` (all HTTP: client, token cache, pacing, errcode catalogue).
//! Only `wecom` does I/O; `binding`, `directory::{DeptTree, MemberSet}` and `configure::paste` are
//! plain functions over plain data.

pub mod abi;
pub mod binding;
pub mod callback;
pub mod configure;
pub mod connect;
pub mod directory;
pub mod failpoints;
pub mod guard;
pub mod host_log;
pub mod instance;
pub mod login;
pub mod plan;
#[cfg(test)]
mod proptest_support;
pub mod settings;
pub mod shown;
pub mod token_store;
pub mod wecom;
pub mod wecom_text;
