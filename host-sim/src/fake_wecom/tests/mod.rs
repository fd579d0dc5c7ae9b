//! Black-box tests: a started `FakeWecom`, spoken to over real HTTP.

mod behaviour;
mod controls;
mod directory;
mod faults;
mod limits;
mod login_pages;
mod oauth;
mod org_file;
mod tokens;

use super::{FakeConfig, FakeWecom, Org};
use serde_json::Value;

pub(super) const CORP: &str = "ww8f3a1c2d4e5b6a70";

pub(super) fn secret(agent_id: i64) -> String {
    Org::sample().apps.into_iter().find(|a| a.agent_id == agent_id).map(|a| a.secret).expect("sample app")
}

/// A fake plus an HTTP client pointed at it.
pub(super) struct Harness {
    pub fake: FakeWecom,
    http: reqwest::Client,
}

impl Harness {
    pub fn new() -> Harness {
        Harness::with(FakeConfig::default())
    }

    pub fn with(config: FakeConfig) -> Harness {
        let fake = FakeWecom::start(Org::sample(), config, 0).expect("fake starts");
        // No proxy: a developer's HTTP_PROXY must not swallow 127.0.0.1.
        let http = reqwest::Client::builder().no_proxy().build().expect("client");
        Harness { fake, http }
    }

    /// GET `{base}/cgi-bin/{path}`; panics unless the answer is HTTP 200 JSON.
    pub async fn get(&self, path: &str) -> Value {
        let response = self.http.get(format!("{}/cgi-bin/{path}", self.fake.base_url())).send().await.expect("send");
        assert_eq!(response.status(), 200, "{path}");
        response.json().await.expect("json")
    }

    pub async fn status_of(&self, method: reqwest::Method, url_path: &str) -> (u16, String) {
        let response =
            self.http.request(method, format!("{}{url_path}", self.fake.base_url())).send().await.expect("send");
        (response.status().as_u16(), response.text().await.expect("body"))
    }

    pub async fn post_json(&self, url_path: &str, body: Value) -> (u16, Value) {
        let response =
            self.http.post(format!("{}{url_path}", self.fake.base_url())).json(&body).send().await.expect("send");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn token(&self, agent_id: i64) -> String {
        let body = self.get(&format!("gettoken?corpid={CORP}&corpsecret={}", secret(agent_id))).await;
        assert_eq!(body["errcode"], 0, "{body}");
        body["access_token"].as_str().expect("token").to_owned()
    }

    /// GET with the app's token appended.
    pub async fn call(&self, agent_id: i64, path_and_query: &str) -> Value {
        let token = self.token(agent_id).await;
        let sep = if path_and_query.contains('?') { '&' } else { '?' };
        self.get(&format!("{path_and_query}{sep}access_token={token}")).await
    }
}

pub(super) fn errcode(body: &Value) -> i64 {
    body["errcode"].as_i64().unwrap_or_else(|| panic!("no errcode in {body}"))
}

/// The real tail: `<text>, hint: [<digits>], from ip: 127.0.0.1, more info at …?e=<code>`.
pub(super) fn assert_error(body: &Value, code: i64, text: &str) {
    assert_eq!(errcode(body), code, "{body}");
    let msg = body["errmsg"].as_str().expect("errmsg");
    let rest = msg
        .strip_prefix(&format!("{text}, hint: ["))
        .unwrap_or_else(|| panic!("errmsg {msg:?} should start with {text:?}"));
    let (hint, tail) = rest.split_once("], ").expect("hint closes");
    assert!(hint.len() >= 20 && hint.chars().all(|c| c.is_ascii_digit()), "hint {hint:?}");
    assert_eq!(
        tail,
        format!("from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e={code}")
    );
}

pub(super) fn userids(list: &Value) -> Vec<String> {
    list.as_array().expect("array").iter().map(|u| u["userid"].as_str().expect("userid").to_owned()).collect()
}
