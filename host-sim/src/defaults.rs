//! Values several layers share and that belong to none of them: the platform's address in the
//! demo and in commands that have no platform of their own, and the store file's default name.
//! A leaf: imports nothing of the crate.

/// The platform's address in the demo, and the platform URLs a command without a web server of
/// its own (`configure`, `fetch`, `sync`, `login --code`, `reconcile`, the benchmarks) configures.
pub const DEMO_PLATFORM: &str = "http://127.0.0.1:18080";

/// The store file when `--db` is not given.
pub const DEFAULT_DB: &str = "host-sim.db";
