//! The CLI against bad input and unlucky admins, through the real binary: names that try to
//! drive the terminal, oversized and BOM-prefixed import files, a mistyped or read-only `--db`,
//! an empty base URL or an unusable proxy, the log switches, and what `serve` says at start.

mod common;

use common::{plugin_path, TempDir, EXE};

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn run(args: &[&str]) -> Output {
    Command::new(EXE)
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("HOST_SIM_LOG")
        .env_remove("WECOM_SECRET")
        .output()
        .expect("host-sim runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

fn import(db: &Path, file: &Path) -> Output {
    run(&["accounts", "import", &file.to_string_lossy(), "--db", &db.to_string_lossy()])
}

#[test]
fn names_that_would_drive_the_terminal_are_printed_escaped() {
    let dir = TempDir::new("host-sim-cli", "escape");
    let (db, file) = (dir.path("store.db"), dir.path("accounts.json"));
    let evil = "张三\u{1b}[2J\u{1b}[H\r\n| u-9999 | 管理员 | | 启用 | admin |";
    let accounts = serde_json::json!([
        { "id": "u-1", "name": evil, "departments": ["研发部\u{1b}[31m"] },
        { "id": "u-2", "name": "李四" },
    ]);
    std::fs::write(&file, accounts.to_string()).expect("write");
    let out = import(&db, &file);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(&["accounts", "list", "--db", &db.to_string_lossy()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(!shown.contains('\u{1b}') && !shown.contains('\r'), "raw control characters: {shown:?}");
    assert!(shown.contains("\\u{1b}[2J") && shown.contains("\\r\\n"), "{shown}");
    assert_eq!(shown.lines().count(), 2 + 2 + 1, "header, rule, two rows, total; no forged row:\n{shown}");
}

#[test]
fn import_files_are_bounded_and_a_bom_is_accepted() {
    let dir = TempDir::new("host-sim-cli", "import");
    let (db, file) = (dir.path("store.db"), dir.path("accounts.json"));

    std::fs::write(&file, "\u{feff}[{\"id\":\"u-1\",\"name\":\"张\u{200b}三\"}]").expect("write");
    let out = import(&db, &file);
    assert!(out.status.success(), "a BOM is accepted: {}", text(&out.stderr));
    let out = run(&["accounts", "list", "--db", &db.to_string_lossy(), "--json"]);
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(listed[0]["name"], "张三", "zero-width characters removed");

    let huge_id = "i".repeat(1024 * 1024);
    std::fs::write(&file, format!("[{{\"id\":\"{huge_id}\",\"name\":\"x\"}}]")).expect("write");
    let out = import(&db, &file);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("id 过长") && err.contains("id too long") && err.contains("128"), "{err}");
    assert!(err.len() < 2000, "the id is not echoed back: {} bytes", err.len());

    std::fs::write(&file, format!("[{{\"id\":\"u-2\",\"name\":\"{}\"}}]", "名".repeat(257))).expect("write");
    let out = import(&db, &file);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));

    let big = std::fs::File::create(&file).expect("create");
    big.set_len(64 * 1024 * 1024 + 1).expect("sparse file");
    let out = import(&db, &file);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("64 MB") && err.contains("超过"), "{err}");
    let out = run(&["accounts", "list", "--db", &db.to_string_lossy(), "--json"]);
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "nothing else imported");
}

#[test]
fn read_commands_refuse_a_store_that_does_not_exist() {
    let dir = TempDir::new("host-sim-cli", "typo");
    let typo = dir.path("typo.db");
    let mapping = dir.path("mapping.csv");
    std::fs::write(&mapping, "zhangxu,u-1006\n").expect("mapping");
    let mapping = mapping.to_string_lossy().to_string();
    // (arguments before --db, whether the command loads the plugin)
    let cases: [(Vec<&str>, bool); 9] = [
        (vec!["accounts", "list"], false),
        (vec!["audit"], false),
        (vec!["departments", "list"], false),
        (vec!["bind", "zhangxu", "u-1006"], true),
        (vec!["skip", "zhangxu"], true),
        (vec!["bind", "--file", &mapping], true),
        (vec!["decide", "--accept", "name"], true),
        (vec!["decide", "--create-new"], true),
        (vec!["commit"], true),
    ];
    for (before, loads_plugin) in cases {
        let mut args: Vec<String> = before.into_iter().map(String::from).collect();
        args.extend(["--db".to_string(), typo.to_string_lossy().to_string()]);
        if loads_plugin {
            args.extend(["--plugin".to_string(), plugin_path().to_string_lossy().to_string()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("数据库文件不存在") && err.contains("no store at"), "{args:?}: {err}");
        assert!(!typo.exists(), "{args:?} created {}", typo.display());
    }
}

#[test]
fn a_store_the_user_cannot_write_still_serves_reads() {
    let dir = TempDir::new("host-sim-cli", "readonly");
    let folder = dir.path("ro");
    std::fs::create_dir_all(&folder).expect("folder");
    let (db, file) = (folder.join("store.db"), dir.path("accounts.json"));
    std::fs::write(&file, r#"[{"id":"u-1","name":"张三"}]"#).expect("write");
    assert!(import(&db, &file).status.success());
    // The store's folder and file made read-only, as on a read-only disk or for another user.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o444)).expect("chmod");
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o555)).expect("chmod");
    let privileged = std::fs::File::create(folder.join("probe")).is_ok();
    let mut cmd = Command::new(EXE);
    cmd.args(["accounts", "list", "--json", "--db"]).arg(&db).env_remove("RUST_LOG").env_remove("HOST_SIM_LOG");
    if privileged {
        // Root writes anywhere: run as nobody, for whom the folder really is read-only.
        use std::os::unix::process::CommandExt;
        let _ = std::fs::remove_file(folder.join("probe"));
        cmd.uid(65534).gid(65534);
    }
    let out = cmd.output().expect("runs");
    let _ = std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(listed[0]["id"], "u-1");
}

#[test]
fn an_empty_base_url_and_an_unsupported_proxy_are_errors_naming_their_field() {
    let plugin = plugin_path();
    let plugin = plugin.to_string_lossy();
    let out = run(&["configure", "--plugin", &plugin, "--wecom-base-url", ""]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--wecom-base-url 为空") && err.contains("is empty"), "{err}");

    let out = run(&["configure", "--plugin", &plugin, "--proxy-url", "ftp://proxy.corp:21"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--proxy-url") && err.contains("ftp") && err.contains("不受支持"), "{err}");
}

#[test]
fn rust_log_switches_logging_host_sim_log_still_does_and_a_pipe_gets_no_colour() {
    let plugin = plugin_path();
    for var in ["RUST_LOG", "HOST_SIM_LOG"] {
        let out = Command::new(EXE)
            .args(["fetch", "--plugin"])
            .arg(&plugin)
            .env_remove("RUST_LOG")
            .env_remove("HOST_SIM_LOG")
            .env(var, "info")
            .stderr(Stdio::piped())
            .output()
            .expect("runs");
        assert!(out.status.success(), "{}", text(&out.stderr));
        let log = text(&out.stderr);
        assert!(log.contains("INFO") && log.contains("fetch_scope"), "{var}: {log}");
        assert!(!log.contains('\u{1b}'), "{var}: colour codes in a pipe: {log:?}");
    }
}

#[test]
fn serve_reconciles_hourly_by_default_and_says_so() {
    for (extra, expected) in [(None, "reconcile every: 3600 s"), (Some("0"), "off")] {
        let mut cmd = Command::new(EXE);
        cmd.args(["serve", "--port", "0", "--plugin"]).arg(plugin_path());
        if let Some(every) = extra {
            cmd.args(["--reconcile-every", every]);
        }
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut found = None;
        while let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            if line.contains("定期核对 / reconcile every") {
                found = Some(line);
                break;
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        let line = found.expect("serve prints its reconcile schedule");
        assert!(line.contains(expected), "{line}");
    }
}

#[test]
fn a_wecom_member_name_cannot_clear_the_screen_or_forge_rows_of_the_binding_table() {
    let dir = TempDir::new("host-sim-cli", "wecom-name");
    let mut org = host_sim::fake_wecom::Org::sample();
    let member = org.users.iter_mut().find(|u| u.userid == "wangxiaokai").expect("member");
    member.name = "王晓楷\u{1b}[2J\u{1b}[H\n| 管理员 (研发部) | admin <admin> | 已绑定 |".into();
    let (corp_id, agent_id, secret) =
        (org.corp_id.clone(), org.apps[0].agent_id.to_string(), org.apps[0].secret.clone());
    let org_file = dir.path("org.json");
    std::fs::write(&org_file, serde_json::to_string(&org).expect("json")).expect("write");

    let mut fake = Command::new(EXE)
        .args(["wecom-sim", "--port", "0", "--org"])
        .arg(&org_file)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("fake starts");
    let mut first = String::new();
    BufReader::new(fake.stdout.take().expect("stdout")).read_line(&mut first).expect("banner");
    let url = first.split_whitespace().find(|w| w.starts_with("http://")).expect("URL").to_string();

    let db = dir.path("store.db");
    let out = Command::new(EXE)
        .args(["sync", "--db"])
        .arg(&db)
        .args(["--plugin"])
        .arg(plugin_path())
        .args(["--wecom-base-url", &url, "--corp-id", &corp_id, "--agent-id", &agent_id])
        .env("WECOM_SECRET", &secret)
        .env_remove("RUST_LOG")
        .env_remove("HOST_SIM_LOG")
        .output()
        .expect("sync runs");
    let _ = fake.kill();
    let _ = fake.wait();
    let shown = text(&out.stdout);
    assert!(out.status.success(), "{shown}\n{}", text(&out.stderr));
    assert!(shown.contains("王晓楷\\u{1b}[2J"), "{shown}");
    assert!(!shown.contains('\u{1b}'), "raw escape sequences: {shown:?}");
    assert!(!shown.lines().any(|l| l.starts_with("| 管理员")), "a forged row: {shown}");
}

/// A process whose stdout lines arrive on a channel; killed when dropped.
struct Running {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
    errors: std::sync::mpsc::Receiver<String>,
}

impl Running {
    fn spawn(cmd: &mut Command) -> Running {
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("starts");
        let forward = |reader: Box<dyn std::io::Read + Send>| {
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                for line in BufReader::new(reader).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
            rx
        };
        let lines = forward(Box::new(child.stdout.take().expect("stdout")));
        let errors = forward(Box::new(child.stderr.take().expect("stderr")));
        Running { child, lines, errors }
    }

    /// The first line of `from` containing `needle`, waiting at most `within`.
    fn wait_for(from: &std::sync::mpsc::Receiver<String>, needle: &str, within: Duration) -> Option<String> {
        let deadline = Instant::now() + within;
        while let Ok(line) = from.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            if line.contains(needle) {
                return Some(line);
            }
        }
        None
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn url_in(line: &str) -> String {
    line.split_whitespace().find(|w| w.starts_with("http://")).expect("URL").to_string()
}

#[test]
fn a_leaver_the_store_refuses_is_logged_as_an_error_kept_and_applied_on_the_next_start() {
    let dir = TempDir::new("host-sim-cli", "serve-journal");
    let db = dir.path("store.db");
    let fake = Running::spawn(Command::new(EXE).args(["wecom-sim", "--port", "0"]));
    let fake_url = url_in(&Running::wait_for(&fake.lines, "http://", Duration::from_secs(20)).expect("fake banner"));
    let org = host_sim::fake_wecom::Org::sample();
    let (corp_id, agent_id, secret) =
        (org.corp_id.clone(), org.apps[0].agent_id.to_string(), org.apps[0].secret.clone());
    let wecom = |cmd: &mut Command| {
        cmd.args(["--wecom-base-url", &fake_url, "--corp-id", &corp_id, "--agent-id", &agent_id, "--plugin"])
            .arg(plugin_path())
            .env("WECOM_SECRET", &secret)
            .env_remove("RUST_LOG")
            .env_remove("HOST_SIM_LOG");
    };
    for step in ["sync", "commit"] {
        let mut cmd = Command::new(EXE);
        cmd.args([step, "--db"]).arg(&db);
        wecom(&mut cmd);
        let out = cmd.output().expect("runs");
        assert!(out.status.success(), "{step}: {}", text(&out.stderr));
    }
    // Something outside host-sim refuses every change to accounts.
    let conn = rusqlite::Connection::open(&db).expect("open");
    conn.execute_batch(
        "CREATE TRIGGER refuse BEFORE UPDATE ON accounts BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;",
    )
    .expect("trigger");
    let (token, key) = ("JournalToken", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG");
    let serve = |db: &Path| {
        let mut cmd = Command::new(EXE);
        cmd.args(["serve", "--port", "0", "--callback-token", token, "--callback-aes-key", key, "--db"]).arg(db);
        wecom(&mut cmd);
        let running = Running::spawn(&mut cmd);
        let line = Running::wait_for(&running.lines, "/wecom/callback", Duration::from_secs(30)).expect("serve banner");
        (running, url_in(&line))
    };
    let (platform, callback_url) = serve(&db);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let left: serde_json::Value = runtime.block_on(async {
        let client = reqwest::Client::new();
        let set = client
            .post(format!("{fake_url}/_sim/callback/target"))
            .json(&serde_json::json!({ "url": callback_url, "token": token, "aes_key": key }))
            .send()
            .await
            .expect("target");
        assert!(set.status().is_success());
        let left = client
            .post(format!("{fake_url}/_sim/callback/member-left"))
            .json(&serde_json::json!({ "userid": "wangxiaokai" }))
            .send()
            .await
            .expect("member left");
        left.json().await.expect("json")
    });
    assert_eq!(left["status"], 200, "{left}");
    let logged = Running::wait_for(&platform.errors, "ERROR", Duration::from_secs(30)).expect("an error is logged");
    assert!(logged.contains("wangxiaokai") && logged.contains("refused by the test"), "{logged}");
    assert!(logged.contains("未能应用") && logged.contains("left in the journal"), "{logged}");
    assert!(!logged.contains('\u{1b}'), "no colour into a pipe: {logged:?}");
    drop(platform);

    conn.execute_batch("DROP TRIGGER refuse").expect("drop");
    let (platform, _) = serve(&db);
    let deadline = Instant::now() + Duration::from_secs(30);
    let disabled = loop {
        let out = run(&["accounts", "list", "--json", "--db", &db.to_string_lossy()]);
        let listed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let enabled = listed
            .as_array()
            .and_then(|a| a.iter().find(|x| x["id"] == "wecom-wangxiaokai"))
            .map(|x| x["enabled"].clone());
        if enabled == Some(serde_json::json!(false)) || Instant::now() > deadline {
            break enabled;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    drop(platform);
    assert_eq!(disabled, Some(serde_json::json!(false)), "applied from the journal at the next start");
}
