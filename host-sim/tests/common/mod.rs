//! What the binary tests share: where the built binary and plugin library are, and a temporary
//! folder removed when dropped.
#![allow(dead_code)] // each test file uses a different part

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The `host-sim` binary cargo built for this test run.
pub const EXE: &str = env!("CARGO_BIN_EXE_host-sim");

/// The plugin library cargo built as a dev-dependency: `deps/` holds the copy of this build (the
/// one in `target/<profile>/` may be left from an earlier `cargo build -p plugin`).
pub fn plugin_path() -> PathBuf {
    let name = interface::plugin_file_name();
    let profile_dir = Path::new(EXE).parent().expect("binary has a folder").to_path_buf();
    [profile_dir.join("deps").join(&name), profile_dir.join(&name)]
        .into_iter()
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("plugin library {name} not found under {}", profile_dir.display()))
}

/// A fresh folder under the system's temporary folder, unique per process and call.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// `prefix` names the test file, `name` the test.
    pub fn new(prefix: &str, name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("{prefix}-{}-{n}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    /// A file in the folder.
    pub fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
