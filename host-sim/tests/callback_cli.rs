//! `host-sim callback` as a person runs it: the real binary, WeCom's official sample vectors
//! (wecom-api.md §11.1), the exit codes, and no secret in the output.

mod common;

use common::{plugin_path, EXE};

use std::process::{Command, Output};

const TOKEN: &str = "QDG6eK";
const KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
const ECHOSTR: &str = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==";

fn host_sim(args: &[&str]) -> Output {
    Command::new(EXE)
        .arg("callback")
        .arg("--plugin")
        .arg(plugin_path())
        .args(["--token", TOKEN, "--aes-key", KEY, "--corp-id", "wx5823bf96d3bd56c7"])
        .args(args)
        .env_remove("WECOM_CALLBACK_TOKEN")
        .env_remove("WECOM_CALLBACK_AES_KEY")
        .output()
        .expect("host-sim runs")
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

#[test]
fn the_official_url_verification_vector_through_the_binary() {
    let signed = ["--msg-signature", "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "--timestamp", "1409659589"];
    let output = host_sim(
        &[&signed[..], &["--nonce", "263014780", "--echostr", ECHOSTR, "--now", "1409659600", "--json"]].concat(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["ok"], true);
    assert_eq!(json["reply"]["kind"], "url_verification");
    assert_eq!(json["reply"]["body"], "1616140317555161061");

    // A nonce that was not signed: refused, exit 1, and the output names the error, not the secrets.
    let output =
        host_sim(&[&signed[..], &["--nonce", "263014781", "--echostr", ECHOSTR, "--now", "1409659600"]].concat());
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let all = text(&output);
    assert!(all.contains("callback.signature_mismatch"), "{all}");
    assert!(!all.contains(KEY) && !all.contains(TOKEN), "no secret in the output: {all}");
}

fn run(args: &[&str]) -> Output {
    Command::new(EXE)
        .args(args)
        .arg("--plugin")
        .arg(plugin_path())
        .env_remove("WECOM_SECRET")
        .output()
        .expect("host-sim runs")
}

#[test]
fn host_sim_reconcile_applies_what_the_operator_left_and_then_finds_nothing() {
    let dir = std::env::temp_dir().join(format!("host-sim-reconcile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let db = dir.join("store.db");
    let db = db.to_str().expect("utf-8 path");

    let before = run(&["reconcile", "--db", db]);
    assert_eq!(before.status.code(), Some(0), "{}", text(&before));
    assert!(text(&before).contains("首次同步由管理员完成"), "no first sync by the reconcile: {}", text(&before));

    for step in [&["sync", "--db", db][..], &["commit", "--db", db][..]] {
        let output = run(step);
        assert_eq!(output.status.code(), Some(0), "{step:?}: {}", text(&output));
    }
    // 周敏 left WeCom before the sync; the commit kept her binding for the operator to confirm.
    let first = run(&["reconcile", "--db", db, "--json"]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    let outcomes: serde_json::Value = serde_json::from_slice(&first.stdout).expect("JSON");
    assert_eq!(outcomes[0]["verdict"], "apply", "{outcomes}");
    assert_eq!(outcomes[0]["unbound_accounts"], serde_json::json!(["u-1008"]), "{outcomes}");

    let second = run(&["reconcile", "--db", db, "--lang", "en"]);
    assert!(text(&second).contains("In step with WeCom"), "{}", text(&second));
    let _ = std::fs::remove_dir_all(&dir);
}
