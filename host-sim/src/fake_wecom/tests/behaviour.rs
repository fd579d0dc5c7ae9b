//! The switchable behaviours ([`crate::fake_wecom::Behaviour`]): off, the fake answers as it
//! always did; on, as the other reading of WeCom's docs says.

use super::{assert_error, errcode, Harness};
use crate::fake_wecom::Behaviour;

#[tokio::test]
async fn agent_get_can_answer_from_an_untrusted_ip_while_directory_calls_cannot() {
    let h = Harness::new();
    h.fake.with_org(|org| org.apps[0].trusted_ips = vec!["10.1.2.3".into()]);
    let token = h.token(1000002).await;
    let agent = format!("agent/get?agentid=1000002&access_token={token}");
    assert_error(&h.get(&agent).await, 60020, "not allow to access from your ip");

    h.fake.set_behaviour(Behaviour { agent_get_ignores_trusted_ip: true, ..Behaviour::default() });
    assert_eq!(errcode(&h.get(&agent).await), 0);
    for gated in ["department/simplelist?id=1", "department/list?id=1", "user/get?userid=zhangxu", "tag/get?tagid=1"] {
        assert_error(&h.get(&format!("{gated}&access_token={token}")).await, 60020, "not allow to access from your ip");
    }
}

#[tokio::test]
async fn agent_get_with_another_apps_token_can_answer_60011() {
    let h = Harness::new();
    h.fake.set_behaviour(Behaviour { agent_get_other_app_is_60011: true, ..Behaviour::default() });
    assert_error(
        &h.call(1000003, "agent/get?agentid=1000002").await,
        60011,
        "no privilege to access/modify contact/party/agent",
    );
    assert_eq!(errcode(&h.call(1000002, "agent/get?agentid=1000002").await), 0);
}

#[tokio::test]
async fn department_list_can_be_refused_to_an_app_without_departments_in_range() {
    let h = Harness::new();
    h.fake.with_org(|org| {
        org.apps[0].allow_departments.clear();
        org.apps[0].allow_users = vec!["zhangxu".into()];
    });
    let list = h.call(1000002, "department/list").await;
    assert_eq!(errcode(&list), 0);
    assert_eq!(list["department"], serde_json::json!([]));

    h.fake
        .set_behaviour(Behaviour { department_list_refused_without_departments: Some(60011), ..Behaviour::default() });
    assert_error(&h.call(1000002, "department/list").await, 60011, "no privilege to access/modify contact/party/agent");
    assert_eq!(errcode(&h.call(1000002, "user/get?userid=zhangxu").await), 0);
    // An app that does see departments still gets its list.
    assert_eq!(errcode(&h.call(1000003, "department/list").await), 0);
}

#[tokio::test]
async fn list_calls_can_be_refused_while_their_fallbacks_answer() {
    let h = Harness::new();
    h.fake.set_behaviour(Behaviour {
        department_list_refused: Some(48009),
        user_list_refused: Some(60011),
        ..Behaviour::default()
    });
    assert_error(&h.call(1000002, "department/list").await, 48009, "api forbidden for contact assistant");
    assert_error(
        &h.call(1000002, "user/list?department_id=4").await,
        60011,
        "no privilege to access/modify contact/party/agent",
    );
    assert_eq!(errcode(&h.call(1000002, "department/simplelist").await), 0);
    assert_eq!(errcode(&h.call(1000002, "department/get?id=4").await), 0);
    assert_eq!(errcode(&h.call(1000002, "user/simplelist?department_id=4").await), 0);
}

#[tokio::test]
async fn members_can_carry_large_custom_attributes() {
    let h = Harness::new();
    h.fake.set_behaviour(Behaviour { member_extattr_bytes: 1000, ..Behaviour::default() });
    let member = h.call(1000002, "user/get?userid=zhangxu").await;
    let value = member["extattr"]["attrs"][0]["text"]["value"].as_str().expect("attribute");
    assert_eq!(value.len(), 1000);
    let simple = h.call(1000002, "user/simplelist?department_id=4").await;
    assert!(simple["userlist"][0].get("extattr").is_none());
}
