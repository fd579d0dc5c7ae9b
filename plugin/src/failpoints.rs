//! Deliberate panics, so that the tests can prove through the loaded library that no panic reaches
//! the host (issue 8). Compiled in only with the `failpoints` feature, which only the integration
//! tests enable: a release build (`cargo build -p plugin --release`) has none, and there
//! [`Failpoints`] is an empty type whose checks compile to nothing.
//!
//! A test build is armed per instance, never per process, so tests running in parallel do not
//! disturb each other: at construction the instance asks its own host for the reserved token-store
//! key [`HOST_KEY`] (the only per-instance channel the interface offers without an ABI change), and
//! the answer lists the points to panic at, comma-separated:
//! - `new_instance`, or a hook name (`configure`, `fetch_scope`, ...): at the start of the hook's body;
//! - `<hook>@runtime`: inside the future the hook runs on the plugin's own tokio runtime;
//! - `configure@locked`: while `configure` holds the instance's state lock (poisons it);
//! - `fetch_scope@task`: in a read task of `fetch_scope` on a worker thread of the plugin runtime.
//!
//! Each armed point fires once, so a test can show the same instance working afterwards.

use interface::HostServicesBox;

/// The token-store key a host answers to arm failpoints (only asked in `failpoints` builds).
pub const HOST_KEY: &str = "wanxiang-test-failpoints";

/// The points armed for one instance.
#[derive(Debug, Default)]
pub struct Failpoints {
    #[cfg(feature = "failpoints")]
    armed: std::sync::Mutex<Vec<String>>,
}

impl Failpoints {
    /// Asks the host which points to arm (no call at all without the feature).
    pub fn from_services(host: &HostServicesBox) -> Self {
        #[cfg(feature = "failpoints")]
        {
            let answer = host.load_token(HOST_KEY.into()).into_option();
            let armed = answer
                .map(|t| t.token.expose().split(',').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect())
                .unwrap_or_default();
            Failpoints { armed: std::sync::Mutex::new(armed) }
        }
        #[cfg(not(feature = "failpoints"))]
        {
            let _ = host;
            Failpoints {}
        }
    }

    /// Panics if `point` is armed (once). A no-op without the feature.
    #[inline]
    pub fn hit(&self, point: &str) {
        #[cfg(feature = "failpoints")]
        if self.disarm(point) {
            // The one deliberate panic in the plugin: what the guard must turn into an error.
            #[allow(clippy::panic)]
            {
                panic!("failpoint {point} (test build)");
            }
        }
        #[cfg(not(feature = "failpoints"))]
        let _ = point;
    }

    /// True once for an armed point. The lock is released before the panic, so it never poisons.
    #[cfg(feature = "failpoints")]
    fn disarm(&self, point: &str) -> bool {
        let Ok(mut armed) = self.armed.lock() else { return false };
        match armed.iter().position(|p| p == point) {
            Some(i) => {
                armed.remove(i);
                true
            }
            None => false,
        }
    }

    /// Panics if `<hook>@<place>` is armed (the name is only built in `failpoints` builds).
    #[inline]
    pub fn hit_at(&self, hook: &str, place: &str) {
        #[cfg(feature = "failpoints")]
        self.hit(&format!("{hook}@{place}"));
        #[cfg(not(feature = "failpoints"))]
        let _ = (hook, place);
    }
}
