//! Loading the library as a host does: a good library, distinct errors for bad ones, and several
//! instances side by side.

use crate::util::{self, ok};
use host_sim::fake_wecom::{FakeConfig, Org};
use interface::{load_plugin, LoadError, ScopeSelection};

#[test]
fn the_built_library_loads_and_names_itself() {
    let info = util::plugin().info();
    assert_eq!(info.name.as_str(), "wecom");
    assert!(!info.version.is_empty());
}

#[test]
fn a_missing_file_is_reported_as_missing() {
    let error = load_plugin("/nonexistent/libwanxiang_wecom.so".as_ref()).err().expect("must fail");
    assert!(matches!(error, LoadError::NotFound { .. }), "{error}");
}

#[test]
fn a_file_that_is_not_a_plugin_is_reported_as_such() {
    let dir = std::env::temp_dir().join(format!("wx-notaplugin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(interface::plugin_file_name());
    std::fs::write(&path, b"this is not a shared library").expect("write");
    let error = load_plugin(&path).err().expect("must fail");
    assert!(matches!(error, LoadError::NotAPlugin { .. }), "{error}");
    assert!(error.to_string().lines().count() == 1, "short message: {error}");
}

#[test]
fn a_real_library_of_another_kind_is_not_a_plugin() {
    // The test binary's own C library is a loadable shared object without our root module.
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
    let Some(libc) = maps.split_whitespace().find(|w| w.contains("/libc.so") || w.contains("/libc-")) else {
        eprintln!("no libc found in /proc/self/maps; skipped");
        return;
    };
    let error = load_plugin(libc.as_ref()).err().expect("must fail");
    assert!(matches!(error, LoadError::NotAPlugin { .. }), "{error}");
}

#[test]
fn two_instances_with_their_own_corps_live_side_by_side() {
    let fake_a = util::fake();
    let mut org_b = Org::sample();
    org_b.corp_id = "wwbbbbbbbbbbbbbbbb".into();
    org_b.users.retain(|u| u.userid == "clear");
    let fake_b = util::fake_with(org_b.clone(), FakeConfig::default());

    let (a, _) = util::configured(&fake_a);
    let b = util::instance();
    let mut settings_b = util::settings(&fake_b);
    settings_b.corp_id = org_b.corp_id.clone().into();
    assert!(ok(b.configure(&settings_b)).accepted);

    let scope = ScopeSelection { department_ids: vec![1].into(), ..Default::default() };
    let snap_a = ok(a.fetch_scope(&scope));
    let snap_b = ok(b.fetch_scope(&scope));
    assert_eq!(snap_a.corp_id.as_str(), "ww8f3a1c2d4e5b6a70");
    assert_eq!(snap_b.corp_id.as_str(), "wwbbbbbbbbbbbbbbbb");
    assert_eq!(snap_b.members.len(), 1);
    assert!(snap_a.members.len() > 1);
}
