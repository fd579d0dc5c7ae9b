//! Turns every hook's outcome, panics included, into a boundary result. A panic must never unwind
//! into the host (abi_stable's guard would exit the whole host process).

use abi_stable::std_types::RResult;
use interface::{PluginError, Text};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs one hook body; a panic becomes a `plugin.panic` error naming the hook.
pub fn guard<T>(hook: &str, body: impl FnOnce() -> Result<T, PluginError>) -> RResult<T, PluginError> {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(value)) => RResult::ROk(value),
        Ok(Err(error)) => RResult::RErr(error),
        Err(payload) => RResult::RErr(panic_error(hook, payload.as_ref())),
    }
}

fn panic_error(hook: &str, payload: &(dyn std::any::Any + Send)) -> PluginError {
    let detail = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-text panic payload".to_string());
    PluginError::new(
        "plugin.panic",
        Text::new(
            format!("插件内部错误（{hook}）：{detail}"),
            format!("internal plugin fault in {hook}: {detail}"),
        ),
        Text::new(
            "主机未受影响，可重试；若反复出现请把此信息报告给插件维护者。",
            "The host is unaffected and the call may be retried; if it repeats, report this message to the plugin maintainers.",
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_value() {
        let result: RResult<(), PluginError> = guard("fetch_scope", || panic!("boom"));
        let error = result.into_result().expect_err("panic must be an error");
        assert_eq!(error.code.as_str(), "plugin.panic");
        assert!(error.message.en.contains("fetch_scope") && error.message.en.contains("boom"));
    }

    #[test]
    fn values_and_errors_pass_through() {
        assert_eq!(guard("x", || Ok::<_, PluginError>(7)).into_result().ok(), Some(7));
        let e = PluginError::new("config.x", Text::default(), Text::default());
        let result: RResult<(), PluginError> = guard("x", || Err(e.clone()));
        assert_eq!(result.into_result().err(), Some(e));
    }
}
