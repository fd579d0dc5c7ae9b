//! The README's demo, run as a test: every kind of row, the summary, and the login.

use host_sim::demo::{run, DemoArgs};
use host_sim::session::WecomArgs;
use host_sim::table::Lang;
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
}
