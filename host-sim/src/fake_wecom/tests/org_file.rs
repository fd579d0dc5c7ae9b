use super::*;

fn write(name: &str, text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("fake-wecom-{}-{name}.json", std::process::id()));
    std::fs::write(&path, text).expect("write");
    path
}

#[test]
fn the_sample_is_consistent_and_round_trips_through_a_file() {
    let sample = Org::sample();
    sample.validate().expect("sample is consistent");
    let path = write("sample", &serde_json::to_string_pretty(&sample).expect("json"));
    assert_eq!(Org::from_json_file(&path).expect("loads"), sample);
    let _ = std::fs::remove_file(path);
}

#[test]
fn a_small_hand_written_file_gets_defaults() {
    let path = write(
        "small",
        r#"{"corp_id": "wwx", "apps": [{"agentid": 1, "secret": "s", "allow_partys": [1]}],
            "departments": [{"id": 1, "name": "Root"}, {"id": 2, "name": "Dev", "parentid": 1}],
            "users": [{"userid": "a", "name": "A", "department": [2]}]}"#,
    );
    let org = Org::from_json_file(&path).expect("loads");
    assert_eq!(org.users[0].status, 1);
    assert_eq!(org.departments[1].parent_id, 1);
    assert_eq!(org.apps[0].allow_departments, vec![1]);
    let _ = std::fs::remove_file(path);
}

#[test]
fn bad_files_are_refused_with_a_reason() {
    let cases = [
        ("syntax", "{", "not valid organisation JSON"),
        ("typo", r#"{"corp_id": "ww", "departmnets": []}"#, "departmnets"),
        ("dangling", r#"{"corp_id": "ww", "users": [{"userid": "a", "departments": [7]}]}"#, "department 7"),
        (
            "cycle",
            r#"{"corp_id": "ww", "departments": [{"id": 2, "parent_id": 3}, {"id": 3, "parent_id": 2}]}"#,
            "cycle",
        ),
        ("dup", r#"{"corp_id": "ww", "users": [{"userid": "A"}, {"userid": "a"}]}"#, "twice"),
    ];
    for (name, text, expected) in cases {
        let path = write(name, text);
        let err = format!("{:#}", Org::from_json_file(&path).expect_err(name));
        assert!(err.contains(expected), "{name}: {err}");
        assert!(err.contains(&path.display().to_string()), "{name} names the file: {err}");
        let _ = std::fs::remove_file(path);
    }
    let missing = Org::from_json_file(std::path::Path::new("/nonexistent/org.json")).expect_err("missing");
    assert!(format!("{missing:#}").contains("cannot read"));
}
