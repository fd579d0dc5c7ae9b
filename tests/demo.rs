//! The README's demo, run as a test: every kind of row, the summary, the login, and the member
//! who leaves in WeCom losing access through the contact-change callback.

use host_sim::cli::demo::{run, DemoArgs};
use host_sim::cli::session::WecomArgs;
use host_sim::render::table::Lang;
use interface::RowKind;

#[test]
fn the_demo_shows_every_kind_of_row_and_signs_a_member_in() {
    let args = DemoArgs {
        wecom: WecomArgs { plugin: Some(crate::util::plugin_path()), ..Default::default() },
        db: None,
        login_as: "wangxiaokai".into(),
        lang: Lang::Zh,
    };
    let mut out = Vec::new();
    let outcome = run(&args, &mut out).unwrap_or_else(|e| panic!("demo failed: {e:#}"));
    let text = String::from_utf8(out).expect("utf-8");
    for kind in [RowKind::AlreadyBound, RowKind::NameMatch, RowKind::Ambiguous, RowKind::NoMatch] {
        assert!(outcome.row_kinds.contains(&kind), "{kind:?} missing:\n{text}");
    }
    for heading in ["平台用户", "企业微信用户", "姓名匹配", "同步企业微信用户"] {
        assert!(text.contains(heading), "{heading} missing:\n{text}");
    }
    assert_eq!(outcome.signed_in_account, "u-1004", "王晓楷 signs in to the account matched by name:\n{text}");
    assert!(outcome.summary.accounts_created >= 3, "人生如戏, 寸草心, 小岳岳 get accounts:\n{text}");

    // Step 6: 王晓楷 leaves; the callback unbinds and disables the account; the next login is refused.
    let account = outcome.leaver_account.as_ref().unwrap_or_else(|| panic!("no step 6:\n{text}"));
    assert_eq!(account.id.as_str(), "u-1004");
    assert!(!account.enabled, "the leaver's account is disabled:\n{text}");
    assert_eq!(outcome.leaver_login.as_deref(), Some("refused"), "{text}");
    for line in [
        "成员离职：企业微信实时回调",
        "企业微信验证回调 URL",
        "平台立即应答 HTTP 200",
        "已停用，绑定已解除",
        "再次登录：已拒绝",
    ] {
        assert!(text.contains(line), "{line} missing:\n{text}");
    }
}

#[test]
fn the_demo_reads_in_english_too() {
    let args = DemoArgs {
        wecom: WecomArgs { plugin: Some(crate::util::plugin_path()), ..Default::default() },
        db: None,
        login_as: "wangxiaokai".into(),
        lang: Lang::En,
    };
    let mut out = Vec::new();
    run(&args, &mut out).unwrap_or_else(|e| panic!("demo failed: {e:#}"));
    let text = String::from_utf8(out).expect("utf-8");
    for line in ["A member leaves: WeCom's real-time callback", "disabled, binding removed", "logs in again: refused"] {
        assert!(text.contains(line), "{line} missing:\n{text}");
    }
}
