//! Libraries built against another interface, as a host meets them after a partial upgrade.
//!
//! The libraries are real cdylibs built in this test run from `fixtures/abi/*` (dev-dependencies of
//! this crate): each is the current `interface/src`, copied by a build script with one change, plus
//! a tiny plugin. abi_stable identifies a root module by its version string, then by the layout of
//! every type reachable from it (names, package `interface`, fields, the hook vtables), so:
//! - `changed`: interface 0.2.2 with a field inserted into `ConnectionSettings` → layout refused;
//! - `old_version`: interface 0.1.0 → refused by version, before any layout is looked at;
//! - `new_version`: interface 0.3.0 → refused by version too (found in the layout check);
//! - `older`: interface 0.2.1 without the last prefix hook (`complete_change`) → this host,
//!   which calls it, refuses the library as older than its interface;
//! - `newer`: interface 0.2.3 with a field appended to the root module and a defaulted hook
//!   appended to the trait, answering with a login mode and an extension field this host does not
//!   know → this (older) host loads it, calls it, and reads both intact.

use crate::util;
use abi_stable::sabi_trait::TD_Opaque;
use host_sim::host::plugin_host::SimHost;
use interface::{load_plugin, AuthorizeRequest, HostServices_TO, LoadError, LoginMode, PluginModuleRef};
use serde_json::json;
use std::path::PathBuf;

/// A fixture library, beside this test binary (`target/<profile>/deps/`) where cargo put it.
fn fixture(kind: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().expect("test binary folder");
    let name = format!("{}wx_abi_fixture_{kind}{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX);
    let path = dir.join(name);
    assert!(path.is_file(), "fixture {kind} not built at {} (is it a dev-dependency of tests?)", path.display());
    path
}

/// The host-facing message must be one short line that a person can act on, not abi_stable's
/// thousand-line report.
fn assert_short(error: &LoadError) -> String {
    let text = error.to_string();
    assert_eq!(text.lines().count(), 1, "one line: {text}");
    assert!(text.len() < 600, "short ({} bytes): {text}", text.len());
    eprintln!("{text}"); // what a host operator would read (visible with --nocapture)
    text
}

fn load(kind: &str) -> Result<PluginModuleRef, LoadError> {
    load_plugin(&fixture(kind))
}

#[test]
fn a_library_built_against_a_changed_interface_is_refused_with_a_short_layout_error() {
    let error = load("changed").err().expect("a changed layout must not load");
    let text = assert_short(&error);
    let LoadError::IncompatibleLayout { summary } = &error else { panic!("IncompatibleLayout expected: {error}") };
    // Names the type that differs and what abi_stable compared.
    assert!(text.contains("incompatible plugin interface layout"), "{text}");
    assert!(summary.starts_with("ConnectionSettings (interface::config): "), "{summary}");
    // (Sizes and counts follow the interface as it grows; the inserted u64 adds 8 bytes.)
    assert!(summary.contains("incompatible type size (expected "), "{summary}");
    assert!(summary.contains("extra fields (expected "), "{summary}");
    assert!(summary.contains("unexpected field (expected corp_id, found fixture_inserted)"), "{summary}");
}

#[test]
fn a_library_built_against_an_older_interface_version_is_refused_by_version() {
    let error = load("old_version").err().expect("interface 0.1.0 must not load in a 0.2 host");
    let text = assert_short(&error);
    match &error {
        LoadError::IncompatibleVersion { expected, found } => {
            assert_eq!(expected, env!("CARGO_PKG_VERSION"), "the host's interface version");
            assert_eq!(found, "0.1.0");
        }
        other => panic!("IncompatibleVersion expected: {other}"),
    }
    assert!(text.contains("0.1.0") && text.contains("incompatible plugin interface version"), "{text}");
}

#[test]
fn a_library_built_against_a_newer_interface_version_is_refused_by_version() {
    // abi_stable's own version check lets a newer minor through and its layout check fails on
    // every type's package version (a 16,000-line report); the loader says it in one line.
    let error = load("new_version").err().expect("interface 0.3.0 must not load in a 0.2 host");
    let text = assert_short(&error);
    match &error {
        LoadError::IncompatibleVersion { expected, found } => {
            assert_eq!((expected.as_str(), found.as_str()), (env!("CARGO_PKG_VERSION"), "0.3.0"));
        }
        other => panic!("IncompatibleVersion expected: {other}"),
    }
    assert!(text.contains("library has 0.3.0"), "{text}");
}

#[test]
fn a_newer_plugin_with_an_appended_root_field_and_hook_loads_and_works_in_this_host() {
    let module = load("newer").unwrap_or_else(|e| panic!("a newer plugin must load in an older host: {e}"));
    let info = module.info()();
    assert_eq!(info.name.as_str(), "fixture-newer");
    let plugin = (module.new_instance())(HostServices_TO::from_value(SimHost::default(), TD_Opaque))
        .into_result()
        .expect("instance");
    let url = util::ok(plugin.oauth_authorize_url(&AuthorizeRequest {
        state: "s42".into(),
        mode: LoginMode::Auto,
        ..Default::default()
    }));
    assert_eq!(url.url.as_str(), "fixture-newer:s42");
    // A login mode this host does not know arrives intact: not one of ours, its raw value kept.
    assert!(!url.mode.is_known(), "{:?}", url.mode);
    assert_eq!((url.mode.raw(), url.mode.name()), (9, None));
    assert_eq!(format!("{:?}", url.mode), "LoginMode(9)");
    assert_eq!(serde_json::to_value(url.mode).expect("json"), json!(9), "serialised as its number");
    // An extension field this host does not know: readable by name, ignored otherwise.
    assert_eq!(url.ext.get::<String>("fixture_note").as_deref(), Some("newer"));
    assert_eq!(url.ext.keys(), vec!["fixture_note".to_string()]);
    assert_eq!(url.ext.get::<u32>("fixture_note"), None, "a field of another shape is absent, not an error");
    // Every hook of this host's prefix is there (the fixture refuses them with its own code).
    let e = util::err(plugin.handle_callback(&Default::default()));
    assert_eq!(e.code.as_str(), "fixture.newer");
    let e = util::err(plugin.plan_change(&Default::default()));
    assert_eq!(e.code.as_str(), "fixture.newer");
}

#[test]
fn an_older_plugin_lacking_the_last_prefix_hook_is_refused_by_this_newer_host() {
    let error = load("older").err().expect("a plugin older than the host's interface must not load");
    let text = assert_short(&error);
    let LoadError::IncompatibleLayout { summary } = &error else { panic!("IncompatibleLayout expected: {error}") };
    assert!(summary.contains("IntegrationPlugin hooks") && summary.contains("missing fields"), "{summary}");
    assert!(summary.contains("the library is older than this host's interface"), "{summary}");
    assert!(text.contains("incompatible plugin interface layout"), "{text}");
}

#[test]
fn refused_libraries_leave_the_loader_usable_for_the_real_plugin() {
    // `RootModule::load_from_file` would cache the first failure for the whole process; the
    // project's loader goes through `lib_header_from_path`, so each file is judged on its own.
    for kind in ["changed", "old_version", "new_version", "older", "changed"] {
        assert!(load(kind).is_err(), "{kind}");
        let module = load_plugin(&util::plugin_path()).unwrap_or_else(|e| panic!("real plugin after {kind}: {e}"));
        assert_eq!(module.info()().name.as_str(), "wecom");
    }
    assert!(load("newer").is_ok(), "and a compatible one still loads");
}
