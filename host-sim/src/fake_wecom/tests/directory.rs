use super::*;
use serde_json::json;

fn ids(list: &Value) -> Vec<u64> {
    list.as_array().expect("array").iter().map(|d| d["id"].as_u64().expect("id")).collect()
}

#[tokio::test]
async fn department_list_is_recursive_and_bounded_by_the_visible_range() {
    let h = Harness::new();
    let all = h.call(1000002, "department/list").await;
    assert_eq!(ids(&all["department"]), vec![1, 2, 4, 5, 3], "tree order, larger order first");
    let rd = h.call(1000002, "department/list?id=2").await;
    assert_eq!(ids(&rd["department"]), vec![2, 4, 5]);
    assert_eq!(
        rd["department"][0],
        json!({"id": 2, "name": "研发部", "parentid": 1, "order": 100000000, "department_leader": []})
    );
    let simple = h.call(1000002, "department/simplelist?id=2").await;
    assert_eq!(simple["department_id"][1], json!({"id": 4, "parentid": 2, "order": 100000000}));
    let one = h.call(1000002, "department/get?id=5").await;
    assert_eq!(one["department"]["name"], "平台组");

    assert_eq!(ids(&h.call(1000003, "department/list").await["department"]), vec![3]);
    let outside = h.call(1000003, "department/list?id=2").await;
    assert_error(&outside, 60011, "no privilege to access/modify contact/party/agent");
    assert_error(&h.call(1000002, "department/list?id=99").await, 60123, "invalid party id");
    assert_error(&h.call(1000002, "department/get").await, 60123, "invalid party id");
}

#[tokio::test]
async fn user_list_returns_direct_members_only() {
    let h = Harness::new();
    let list = h.call(1000002, "user/list?department_id=2&fetch_child=1").await;
    assert_eq!(userids(&list["userlist"]), vec!["baikaishui", "wangxiaokai"]);
    let wang = &list["userlist"][1];
    assert_eq!(wang["department"], json!([2, 5]));
    assert_eq!(wang["order"], json!([0, 0]));
    assert_eq!(wang["is_leader_in_dept"], json!([0, 0]));
    assert_eq!(wang["main_department"], 2);
    assert_eq!(wang["status"], 1);
    assert_eq!(wang["extattr"], json!({"attrs": []}));
    for hidden in ["mobile", "email", "avatar", "gender"] {
        assert!(wang.get(hidden).is_none(), "{hidden} is not given to a new self-built app");
    }
    let simple = h.call(1000002, "user/simplelist?department_id=3").await;
    assert_eq!(userids(&simple["userlist"]), vec!["renshengruxi", "clear", "liqiang"]);
    assert_eq!(simple["userlist"][0], json!({"userid": "renshengruxi", "name": "人生如戏", "department": [3]}));

    assert_error(
        &h.call(1000003, "user/list?department_id=2").await,
        60011,
        "no privilege to access/modify contact/party/agent",
    );
    assert_error(&h.call(1000002, "user/list?department_id=42").await, 60123, "invalid party id");
}

#[tokio::test]
async fn user_get_is_case_insensitive_and_scoped() {
    let h = Harness::new();
    let wang = h.call(1000002, "user/get?userid=WangXiaoKai").await;
    assert_eq!(wang["errcode"], 0);
    assert_eq!(wang["userid"], "wangxiaokai");
    assert_eq!(wang["name"], "王晓楷");
    assert_eq!(h.call(1000002, "user/get?userid=zhoumin").await["status"], 5);
    assert_error(&h.call(1000002, "user/get?userid=nobody").await, 60111, "userid not found");
    assert_error(
        &h.call(1000003, "user/get?userid=baikaishui").await,
        60011,
        "no privilege to access/modify contact/party/agent",
    );

    // Visible one by one: the member is readable, but departments outside the range are hidden.
    h.fake.with_org(|org| org.apps[1].allow_users = vec!["WANGXIAOKAI".into()]);
    let single = h.call(1000003, "user/get?userid=wangxiaokai").await;
    assert_eq!(single["department"], json!([]));
    assert!(single.get("main_department").is_none());
    let agent = h.call(1000003, "agent/get?agentid=1000003").await;
    assert_eq!(agent["allow_userinfos"]["user"], json!([{"userid": "wangxiaokai"}]));
}

#[tokio::test]
async fn tags_are_all_listed_but_their_members_filtered_to_the_range() {
    let h = Harness::new();
    let tags = h.call(1000003, "tag/list").await;
    assert_eq!(tags["taglist"], json!([{"tagid": 1, "tagname": "骨干"}, {"tagid": 2, "tagname": "新员工"}]));
    let full = h.call(1000002, "tag/get?tagid=1").await;
    assert_eq!(full["tagname"], "骨干");
    assert_eq!(userids(&full["userlist"]), vec!["wangxiaokai", "clear"]);
    assert_eq!(full["partylist"], json!([5]));
    let scoped = h.call(1000003, "tag/get?tagid=1").await;
    assert_eq!(scoped["userlist"], json!([{"userid": "clear", "name": "Clear"}]));
    assert_eq!(scoped["partylist"], json!([]));
    assert_error(&h.call(1000002, "tag/get?tagid=99").await, 40068, "invalid tagid");
    assert_error(&h.call(1000002, "tag/get?tagid=x").await, 40068, "invalid tagid");
}

#[tokio::test]
async fn a_tag_in_the_range_makes_its_department_members_visible() {
    let h = Harness::new();
    h.fake.with_org(|org| org.apps[1].allow_tags = vec![1]);
    assert_eq!(h.call(1000003, "user/get?userid=xiaoyueyue").await["errcode"], 0, "in 平台组, a department of tag 1");
    assert_eq!(errcode(&h.call(1000003, "user/get?userid=baikaishui").await), 60011);
    assert_eq!(errcode(&h.call(1000003, "department/get?id=5").await), 60011, "tags do not open departments");
}

#[tokio::test]
async fn user_list_id_is_forbidden_for_app_secrets() {
    let h = Harness::new();
    let token = h.token(1000002).await;
    let (status, body) =
        h.post_json(&format!("/cgi-bin/user/list_id?access_token={token}"), json!({"limit": 100})).await;
    assert_eq!(status, 200);
    assert_error(&body, 48002, "api forbidden");
}

#[tokio::test]
async fn garbage_parameters_get_wecom_errors_not_failures() {
    let h = Harness::new();
    let cases = [
        ("department/list?id=99999999999999", 60123),
        ("department/list?id=-1", 60123),
        ("department/get?id=%20", 60123),
        ("user/list?department_id=abc", 60123),
        ("user/get?userid=%FF%FE%00", 60111),
        ("user/get?userid=", 41009),
        ("tag/get?tagid=-1", 40068),
        ("tag/get?tagid=", 41017),
        ("agent/get?agentid=9223372036854775808", 40056),
        ("auth/getuserinfo?code=%E4%B8%AD", 40029),
    ];
    for (path, code) in cases {
        assert_eq!(errcode(&h.call(1000002, path).await), code, "{path}");
    }
    assert_eq!(errcode(&h.get("gettoken?corpid=%FF&corpsecret=%00").await), 40013);
}
