//! The operator's path through the real `host-sim` binary, against the built-in fake WeCom and the
//! sample organisation: `sync`'s paged table (`--limit`, `--offset`), `sync --export FILE.csv`,
//! and `commit`'s bounded change list (`--limit`, `--verbose`).

mod common;

use common::{plugin_path, TempDir, EXE};

use std::process::{Command, Output};

const PLATFORM: &str = "https://wanxiang.example.com";

fn host_sim(dir: &TempDir, command: &str, args: &[&str]) -> Output {
    Command::new(EXE)
        .arg(command)
        .arg("--plugin")
        .arg(plugin_path())
        .arg("--db")
        .arg(dir.path("host-sim.db"))
        .args(args)
        .current_dir(&dir.0)
        .output()
        .expect("host-sim runs")
}

fn ok_text(output: &Output) -> String {
    let stdout = String::from_utf8(output.stdout.clone()).expect("utf-8");
    assert_eq!(output.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    stdout
}

fn sync(dir: &TempDir, args: &[&str]) -> String {
    ok_text(&host_sim(dir, "sync", &[&["--platform-url", PLATFORM], args].concat()))
}

fn sync_json(dir: &TempDir) -> serde_json::Value {
    serde_json::from_str(&sync(dir, &["--json"])).expect("JSON")
}

/// The table's data lines: every `| ... |` line after the header and its rule.
fn table_rows(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.starts_with('|')).skip(2).collect()
}

#[test]
fn sync_shows_one_page_of_the_table_and_says_how_many_rows_there_are() {
    let dir = TempDir::new("wx-operator-cli", "page");
    let all = sync_json(&dir);
    let total = all["total_rows"].as_u64().expect("total") as usize;
    assert!(total >= 6, "the sample table has rows to page through: {total}");
    let userids: Vec<&str> =
        all["rows"].as_array().expect("rows").iter().map(|r| r["userid"].as_str().expect("id")).collect();

    let page = sync(&dir, &["--limit", "2", "--offset", "3"]);
    let rows = table_rows(&page);
    assert_eq!(rows.len(), 2, "{page}");
    // The rows shown are rows 4 and 5 of the whole table, in its order.
    assert!(rows[0].contains(&format!("<{}>", userids[3])), "{page}");
    assert!(rows[1].contains(&format!("<{}>", userids[4])), "{page}");
    assert!(page.contains(&format!("显示 2 / {total} 行（第 4–5 行）")), "{page}");
    assert!(page.contains("--export FILE.csv"), "says how to get the rest: {page}");

    let en = sync(&dir, &["--limit", "2", "--lang", "en"]);
    assert!(en.contains(&format!("showing 2 of {total} rows (1–2)")), "{en}");

    // By default, up to 50 rows: the whole sample table, with no paging hint.
    let whole = sync(&dir, &[]);
    assert_eq!(table_rows(&whole).len(), total, "{whole}");
    assert!(whole.contains(&format!("显示 {total} / {total} 行")) && !whole.contains("翻页"), "{whole}");

    // An offset past the end shows an empty page, not an error.
    let past = sync(&dir, &["--offset", "1000"]);
    assert_eq!(table_rows(&past).len(), 0, "{past}");
    assert!(past.contains(&format!("显示 0 / {total} 行")), "{past}");
}

#[test]
fn sync_exports_the_whole_table_as_csv_that_excel_opens_safely() {
    let dir = TempDir::new("wx-operator-cli", "export");
    sync(&dir, &[]);
    // Account names an attacker could type on the platform: a formula, a comma and quotes.
    let accounts = dir.path("accounts.json");
    std::fs::write(
        &accounts,
        r#"[{"id":"u-1003","name":"=HYPERLINK(\"http://evil\",\"x\")","departments":["研发部"],"enabled":true},
            {"id":"u-1008","name":"周敏, \"QA\"","departments":["测试部门"],"enabled":true}]"#,
    )
    .expect("write");
    let import = Command::new(EXE)
        .args(["accounts", "import"])
        .arg(&accounts)
        .arg("--db")
        .arg(dir.path("host-sim.db"))
        .output()
        .expect("host-sim runs");
    ok_text(&import);
    let csv_path = dir.path("table.csv");
    let text = sync(&dir, &["--limit", "1", "--export", csv_path.to_str().expect("path")]);
    let json = sync_json(&dir);
    let total = json["total_rows"].as_u64().expect("total") as usize;
    assert!(text.contains(&format!("已导出全部 {total} 行")), "{text}");

    let bytes = std::fs::read(&csv_path).expect("exported");
    assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "UTF-8 BOM first");
    let csv = std::str::from_utf8(&bytes[3..]).expect("utf-8");
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), total + 1, "a header and every row, not the one shown: {csv}");
    // Every field of the JSON rows has its column(s).
    let header = lines[0];
    for field in json["rows"][0].as_object().expect("row").keys() {
        assert!(header.split(',').any(|c| c == field || c.starts_with(&format!("{field}_"))), "{field} in {header}");
    }
    for row in json["rows"].as_array().expect("rows") {
        let userid = row["userid"].as_str().expect("userid");
        assert!(lines.iter().any(|l| l.starts_with(&format!("{userid},"))), "{userid} exported");
    }
    assert!(csv.contains(r#","'=HYPERLINK(""http://evil"",""x"")","#), "formula neutralised and quoted: {csv}");
    assert!(!csv.contains(",=HYPERLINK"), "no cell starts with a formula: {csv}");
    assert!(csv.contains(r#","周敏, ""QA""","#), "comma and quotes escaped: {csv}");
}

#[test]
fn commit_prints_the_summary_and_at_most_limit_changes_unless_verbose() {
    let dir = TempDir::new("wx-operator-cli", "commit");
    sync(&dir, &[]);
    let json: serde_json::Value =
        serde_json::from_str(&ok_text(&host_sim(&dir, "commit", &["--dry-run", "--json"]))).expect("JSON");
    let set = &json["change_set"];
    let changes: usize = ["departments", "remove_bindings", "create_accounts", "create_bindings"]
        .iter()
        .map(|k| set[k].as_array().expect("list").len())
        .sum();
    assert!(changes > 3, "the sample commit has several changes: {changes}");
    let change_lines = |text: &str| {
        text.lines().filter(|l| l.starts_with("  ~ ") || l.starts_with("  - ") || l.starts_with("  + ")).count()
    };

    let short = ok_text(&host_sim(&dir, "commit", &["--dry-run", "--limit", "2"]));
    assert!(short.starts_with("同步企业微信用户 "), "{short}");
    assert_eq!(change_lines(&short), 2, "{short}");
    assert!(short.contains(&format!("另有 {} 项变更未列出（共 {changes} 项", changes - 2)), "{short}");

    let verbose = ok_text(&host_sim(&dir, "commit", &["--dry-run", "--limit", "2", "--verbose"]));
    assert_eq!(change_lines(&verbose), changes, "{verbose}");
    assert!(!verbose.contains("未列出"), "{verbose}");
    // The change lines carry the member's name from the table.
    assert!(verbose.contains("白开水 <baikaishui>") || verbose.contains("王晓楷 <wangxiaokai>"), "{verbose}");

    // The real commit lists at most the limit too, then applies everything.
    let applied = ok_text(&host_sim(&dir, "commit", &["--limit", "1", "--lang", "en"]));
    assert_eq!(change_lines(&applied), 1, "{applied}");
    assert!(applied.contains(&format!("{} more changes not listed ({changes} in all", changes - 1)), "{applied}");
    assert!(applied.contains("Applied in one transaction"), "{applied}");
}

#[test]
fn bench_e2e_in_process_runs_every_step_of_the_operator_path_and_counts_the_api_calls() {
    // The one-process mode; `--e2e` (one process per command) is tested in tests/e2e_bench.rs.
    let output = Command::new(EXE)
        .args([
            "bench",
            "--e2e-in-process",
            "--users",
            "300",
            "--departments",
            "20",
            "--tags",
            "3",
            "--latency-ms",
            "0",
            "--json",
        ])
        .arg("--plugin")
        .arg(plugin_path())
        .output()
        .expect("host-sim runs");
    let json: serde_json::Value = serde_json::from_str(&ok_text(&output)).expect("JSON");
    let steps = json["steps"].as_array().expect("steps");
    let commands: Vec<&str> = steps.iter().map(|s| s["command"].as_str().expect("command")).collect();
    assert_eq!(commands.len(), 5, "{commands:?}");
    assert!(commands[1].starts_with("host-sim accounts import") && commands[2] == "host-sim sync", "{commands:?}");
    assert_eq!(commands[3..], ["host-sim commit --dry-run", "host-sim commit"]);
    // Only sync talks to WeCom: the 20 departments' user/list and the configure/read overhead.
    assert!(steps[2]["api_calls"].as_u64().expect("calls") >= 20, "{}", steps[2]);
    assert!(steps.iter().enumerate().all(|(i, s)| i == 2 || s["api_calls"] == 0), "{steps:?}");
    assert!(json["table_rows"].as_u64().expect("rows") >= 300);
    assert!(json["changes"].as_u64().expect("changes") > 0, "the commit applied a change set");
}

/// The read bench against the fake WeCom in its own process: the same least calls and complete
/// snapshot as in-process, counters read over `/_sim/stats`. The child inherits the bench's
/// stderr, so `output()` returns only once the child is gone too.
#[test]
fn bench_fake_process_reads_everything_from_a_separate_fake_and_stops_it() {
    let output = Command::new(EXE)
        .args(["bench", "--users", "300", "--departments", "20", "--tags", "0", "--scope", "departments"])
        .args(["--latency-ms", "0", "--binding-runs", "1", "--fake-process", "--json", "--plugin"])
        .arg(plugin_path())
        .output()
        .expect("host-sim runs");
    let json: serde_json::Value = serde_json::from_str(&ok_text(&output)).expect("JSON");
    let read = &json["read"];
    assert_eq!(read["fake_process"], true, "{read}");
    assert_eq!(read["total_calls"], read["least_calls"], "{read}");
    assert_eq!(read["read_calls"], 21, "1 department/list and 20 user/list: {read}");
    assert_eq!(read["snapshot"]["missing"], 0, "{read}");
    assert!(read["snapshot"]["complete"].as_bool().expect("complete"), "{read}");
    assert!(read["mean_in_flight"].as_f64().expect("mean") > 0.0, "{read}");
}

#[test]
fn bench_logins_signs_every_member_in_with_one_exchange_and_one_status_check_each() {
    let output = Command::new(EXE)
        .args(["bench", "--logins", "12", "--users", "100", "--departments", "5", "--tags", "1", "--latency-ms", "0"])
        .arg("--plugin")
        .arg(plugin_path())
        .arg("--json")
        .output()
        .expect("host-sim runs");
    let json: serde_json::Value = serde_json::from_str(&ok_text(&output)).expect("JSON");
    assert_eq!(json["signed_in"], 12, "{json}");
    let calls = &json["wecom_calls"];
    assert_eq!(calls["auth/getuserinfo"], 12, "{json}");
    assert_eq!(calls["user/get"], 12, "{json}");
    assert!(calls.get("gettoken").is_none_or(|n| n.as_u64() <= Some(1)), "no token refresh storm: {json}");
}

/// Issue 16, "Measured, in a benchmark": on a platform with hand-typed accounts and namesakes who
/// are not members, nobody signs in to an account that is not theirs, even though `commit` with
/// the defaults bound some members by name to a namesake's account (the run checks that it did,
/// so a `decide_login` that signed in on a name alone would show here as wrong sign-ins).
#[test]
fn bench_trust_signs_nobody_in_to_an_account_not_theirs_and_counts_every_login_once() {
    let output = Command::new(EXE)
        .args(["bench", "--trust", "--users", "2000", "--departments", "100", "--tags", "5", "--latency-ms", "0"])
        .args(["--binding-runs", "1", "--json", "--plugin"])
        .arg(plugin_path())
        .output()
        .expect("host-sim runs");
    let json: serde_json::Value = serde_json::from_str(&ok_text(&output)).expect("JSON");
    let t = &json["trust"];
    let n = |k: &str| t[k].as_u64().unwrap_or_else(|| panic!("{k} in {t}"));
    assert!(n("bound_not_own_at_commit") > 0, "the run must contain name bindings to someone else's account: {t}");
    assert!(json["namesake_accounts"].as_u64() > Some(0) && json["hand_typed_name_variants"].as_u64() > Some(0));
    assert_eq!(n("wrong_sign_ins"), 0, "{t}");
    assert_eq!(n("members"), json["active_members"].as_u64().expect("active"), "every active member logs in");
    let outcomes = [
        "wrong_sign_ins",
        "own_one_click",
        "own_one_confirmation",
        "own_more_steps",
        "new_account",
        "new_account_despite_own",
        "operator",
        "refused",
        "stuck",
    ];
    assert_eq!(outcomes.iter().map(|k| n(k)).sum::<u64>(), n("members"), "{t}");
    // No binding was confirmed before these logins: nobody signs in without one confirmation.
    assert_eq!(n("own_one_click"), 0, "{t}");
    assert!(n("own_one_confirmation") > n("members") / 2, "{t}");
    assert_eq!(n("stuck"), 0, "{t}");
    // Waiting members offered only others' accounts answer "none of these is mine" and, by the
    // default policy, get their own account instead of waiting for the operator; members whose
    // account name differs only by spacing are offered it and prove it.
    assert!(n("none_mine") > 0, "{t}");
    assert_eq!((n("operator_none_theirs_had_none"), n("operator_none_theirs_had_one")), (0, 0), "{t}");
    assert!(json["name_spacing_differs"].as_u64() > Some(0), "{json}");
    assert!(n("own_via_spacing_row") > 0, "{t}");
    let targets = json["targets"].as_array().expect("targets");
    assert!(targets
        .iter()
        .any(|x| x["what"].as_str().is_some_and(|w| w.starts_with("wrong sign-ins")) && x["met"] == true));
}
