//! Constructors for checklist lines, so each check reads as one statement.

use interface::{Finding, FindingStatus, Text};

/// A checklist line.
pub fn finding(status: FindingStatus, code: &str, field: Option<&str>, message: Text, fix: Text) -> Finding {
    Finding { status, code: code.into(), field: field.map(Into::into).into(), wecom_errcode: None.into(), message, fix }
}

/// A passed check.
pub fn ok(code: &str, field: Option<&str>, zh: impl Into<String>, en: impl Into<String>) -> Finding {
    finding(FindingStatus::Ok, code, field, Text::new(zh.into(), en.into()), Text::default())
}

/// Attaches WeCom's errcode.
pub fn with_errcode(mut finding: Finding, errcode: Option<i64>) -> Finding {
    finding.wecom_errcode = errcode.into();
    finding
}

/// True when any line is an error.
pub fn has_error(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.status == FindingStatus::Error)
}
