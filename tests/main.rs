//! Integration tests: the real plugin library, loaded through host-sim's loader, driven through
//! every hook against the fake WeCom. One binary; a module per area; shared setup in `util`.

mod abi_compat;
mod abi_panics;
mod binding;
mod callback_bursts;
mod callback_journal;
mod callback_samples;
mod callbacks;
mod concurrency;
mod configure;
mod decline;
mod demo;
mod directory;
mod faults;
mod iface02;
mod loading;
mod login;
mod login_http;
mod password_page;
mod secrets;
mod server_limits;
mod sessions;
mod trust;
mod util;
mod wecom_edges;
mod workflow;
