use super::*;

const TRUSTED: &str = "app.example.com";

/// A fake whose app 1000002 trusts `app.example.com`, 1000003 trusts `127.0.0.1:8080`, and the
/// disabled 1000004 trusts `app.example.com` too; plus a client that does not follow redirects.
struct Login {
    h: Harness,
    http: reqwest::Client,
}

/// What a page or the form post answered.
struct Page {
    status: u16,
    location: Option<String>,
    body: String,
}

impl Login {
    fn new() -> Login {
        Login::with(FakeConfig::default())
    }

    fn with(config: FakeConfig) -> Login {
        let h = Harness::with(config);
        h.fake.with_org(|org| {
            for app in &mut org.apps {
                app.redirect_domain = match app.agent_id {
                    1000003 => "127.0.0.1:8080".into(),
                    _ => TRUSTED.into(),
                };
            }
        });
        let http =
            reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        Login { h, http }
    }

    async fn page(&self, path_and_query: &str) -> Page {
        let response = self.http.get(format!("{}{path_and_query}", self.h.fake.base_url())).send().await.expect("send");
        Page::from(response).await
    }

    /// Posts the form's hidden fields plus `extra`, as the page's submit (or a script) would.
    async fn submit(&self, form: &[(String, String)], extra: &[(&str, &str)]) -> Page {
        let mut fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        fields.extend_from_slice(extra);
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let response = self
            .http
            .post(format!("{}/_sim/oauth/authorize", self.h.fake.base_url()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("send");
        Page::from(response).await
    }

    /// Opens the page, checks the form, and logs in as `userid`; returns the redirect.
    async fn log_in(&self, path_and_query: &str, userid: &str) -> String {
        let page = self.page(path_and_query).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let posted = self.submit(&page.hidden_fields(), &[("userid", userid)]).await;
        assert_eq!(posted.status, 302, "{}", posted.body);
        posted.location.expect("Location")
    }

    async fn exchange(&self, agent_id: i64, code: &str) -> Value {
        self.h.call(agent_id, &format!("auth/getuserinfo?code={code}")).await
    }
}

impl Page {
    async fn from(response: reqwest::Response) -> Page {
        let status = response.status().as_u16();
        let location = response.headers().get("location").map(|l| l.to_str().expect("ascii Location").to_owned());
        Page { status, location, body: response.text().await.expect("body") }
    }

    /// The `<input type="hidden" name="…" value="…">` fields of the one form, unescaped.
    fn hidden_fields(&self) -> Vec<(String, String)> {
        assert_eq!(self.body.matches("<form").count(), 1, "{}", self.body);
        assert_eq!(self.body.matches(r#"<form method="post" action="/_sim/oauth/authorize">"#).count(), 1);
        let mut out = Vec::new();
        let mut rest = self.body.as_str();
        while let Some(at) = rest.find(r#"<input type="hidden" name=""#) {
            rest = &rest[at + r#"<input type="hidden" name=""#.len()..];
            let (name, tail) = rest.split_once(r#"" value=""#).expect("value");
            let (value, tail) = tail.split_once(r#"">"#).expect("end");
            out.push((name.to_owned(), unescape(value)));
            rest = tail;
        }
        out
    }

    fn field(&self, name: &str) -> String {
        self.hidden_fields().into_iter().find(|(k, _)| k == name).map(|(_, v)| v).expect("field")
    }

    /// The userids offered in `<select name="userid">`.
    fn offered(&self) -> Vec<String> {
        let (_, select) = self.body.split_once(r#"<select name="userid">"#).expect("select");
        let (select, _) = select.split_once("</select>").expect("select ends");
        select.split(r#"<option value=""#).skip(1).map(|o| unescape(o.split_once('"').expect("value ends").0)).collect()
    }

    fn assert_refused(&self, code: &str) {
        assert_eq!(self.status, 200, "{}", self.body);
        assert_eq!(self.location, None, "no redirect on failure");
        assert!(self.body.contains(&format!(r#"data-wecom-error="{code}""#)), "expected {code}: {}", self.body);
        assert!(!self.body.contains("<form"), "{}", self.body);
    }
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

fn enc(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn in_client(agentid: &str, redirect: &str, state: &str) -> String {
    format!(
        "/connect/oauth2/authorize?appid={CORP}&redirect_uri={}&response_type=code&scope=snsapi_base&state={state}&agentid={agentid}",
        enc(redirect)
    )
}

fn web_login(agentid: &str, redirect: &str, state: &str) -> String {
    format!(
        "/wwlogin/sso/login?login_type=CorpApp&appid={CORP}&agentid={agentid}&redirect_uri={}&state={state}&lang=en",
        enc(redirect)
    )
}

/// `code` and the other query pairs of a redirect.
fn query(location: &str) -> Vec<(String, String)> {
    let url = url::Url::parse(location).expect("absolute Location");
    url.query_pairs().into_owned().collect()
}

fn code_of(location: &str) -> String {
    query(location).into_iter().find(|(k, _)| k == "code").map(|(_, v)| v).expect("code")
}

#[tokio::test]
async fn the_in_client_page_asks_who_logs_in_and_redirects_with_a_single_use_code() {
    let l = Login::new();
    let redirect = "https://app.example.com/wecom/callback?from=menu&x=1";
    let page = l.page(&in_client("1000002", redirect, "Xyz123")).await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.hidden_fields(),
        [
            ("agentid", "1000002"),
            ("redirect_uri", redirect),
            ("state", "Xyz123"),
            ("flow", "in_client"),
            ("scope", "snsapi_base")
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
    let offered = page.offered();
    assert_eq!(offered.len(), 9, "app 1000002 sees the whole corp: {offered:?}");
    assert!(page.body.contains(r#"<option value="clear">Clear (clear)</option>"#), "{}", page.body);
    assert!(page.body.contains("白开水 (baikaishui)"));

    let posted = l.submit(&page.hidden_fields(), &[("userid", "clear")]).await;
    assert_eq!(posted.status, 302);
    let location = posted.location.expect("Location");
    let prefix = format!("{redirect}&code=");
    assert!(location.starts_with(&prefix), "{location}");
    assert!(location.ends_with("&state=Xyz123"), "{location}");
    let code = code_of(&location);
    assert_eq!(l.exchange(1000002, &code).await["userid"], "clear");
    assert_error(&l.exchange(1000002, &code).await, 40029, "invalid code");

    let counts = l.h.fake.request_counts();
    assert_eq!(counts.get("connect/oauth2/authorize"), Some(&1), "{counts:?}");
    assert!(counts.keys().all(|k| !k.contains("_sim")), "the form post is not a WeCom call: {counts:?}");

    // snsapi_privateinfo is accepted; the host compares case-insensitively; no state, no state.
    let private = in_client("1000002", "https://APP.example.com/cb", "").replace("snsapi_base", "snsapi_privateinfo");
    let location = l.log_in(&private, "zhangxu").await;
    assert!(location.starts_with("https://APP.example.com/cb?code="), "{location}");
    assert_eq!(query(&location).len(), 1, "{location}");
    // An SPA hash route keeps its fragment after the query.
    let location = l.log_in(&in_client("1000002", "https://app.example.com/#/login", "s1"), "zhangxu").await;
    assert!(location.starts_with("https://app.example.com/?code=") && location.ends_with("&state=s1#/login"));
    // A trusted domain with a port matches that port exactly.
    let location = l.log_in(&in_client("1000003", "http://127.0.0.1:8080/cb", "p"), "clear").await;
    assert_eq!(l.exchange(1000003, &code_of(&location)).await["userid"], "clear");
}

#[tokio::test]
async fn the_web_login_page_adds_the_corp_id_to_the_redirect() {
    let l = Login::new();
    let page = l.page(&web_login("1000002", "https://app.example.com/login/wecom", "web42")).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.field("flow"), "web_login");
    assert!(page.body.contains(r#"<html lang="en">"#));
    let posted = l.submit(&page.hidden_fields(), &[("userid", "wangxiaokai")]).await;
    assert_eq!(posted.status, 302);
    let location = posted.location.expect("Location");
    let pairs = query(&location);
    let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["code", "state", "appid"], "{location}");
    assert_eq!(pairs[1].1, "web42");
    assert_eq!(pairs[2].1, CORP);
    assert!(location.starts_with("https://app.example.com/login/wecom?code="));
    assert_eq!(l.exchange(1000002, &pairs[0].1).await["userid"], "wangxiaokai");
    assert_eq!(l.h.fake.request_counts().get("wwlogin/sso/login"), Some(&1));
}

#[tokio::test]
async fn bad_requests_get_wecoms_error_page_and_no_redirect() {
    let l = Login::new();
    let good = in_client("1000002", "https://app.example.com/cb", "s");
    let cases: Vec<(String, &str)> = vec![
        (in_client("1000002", "https://evil.example.com/cb", "s"), "redirect_uri_untrusted"),
        (in_client("1000002", "https://app.example.com:8443/cb", "s"), "redirect_uri_untrusted"),
        (in_client("1000002", "https://sub.app.example.com/cb", "s"), "redirect_uri_untrusted"),
        (in_client("1000003", "http://127.0.0.1/cb", "s"), "redirect_uri_untrusted"),
        (in_client("1000002", "not a url", "s"), "bad_request"),
        (in_client("1000002", "ftp://app.example.com/cb", "s"), "bad_request"),
        (good.replace(&format!("appid={CORP}"), "appid=wwsomeoneelse"), "invalid_appid"),
        (good.replace(&format!("appid={CORP}&"), ""), "invalid_appid"),
        (good.replace("agentid=1000002", "agentid=999"), "invalid_agentid"),
        (good.replace("agentid=1000002", "agentid=abc"), "invalid_agentid"),
        (good.replace("&agentid=1000002", ""), "invalid_agentid"),
        (good.replace("agentid=1000002", "agentid=1000004"), "app_disabled"),
        (good.replace("response_type=code", "response_type=token"), "bad_request"),
        (good.replace("scope=snsapi_base", "scope=snsapi_userinfo"), "bad_request"),
        (web_login("1000002", "https://evil.example.com/cb", "s"), "redirect_uri_untrusted"),
        (web_login("1000002", "https://app.example.com/cb", "s").replace("CorpApp", "ServiceApp"), "bad_request"),
        (web_login("1000004", "https://app.example.com/cb", "s"), "app_disabled"),
        (web_login("7", "https://app.example.com/cb", "s"), "invalid_agentid"),
    ];
    for (path, code) in &cases {
        l.page(path).await.assert_refused(code);
    }
    let page = l.page(&cases[0].0).await;
    assert!(page.body.contains("redirect_uri 需使用应用可信域名"), "{}", page.body);
    assert!(page.body.contains("redirect_uri must be on the app&#39;s trusted domain"), "{}", page.body);

    // An app without a trusted domain can never be redirected to.
    l.h.fake.with_org(|org| org.apps[0].redirect_domain.clear());
    l.page(&good).await.assert_refused("redirect_uri_untrusted");
    let counts = l.h.fake.request_counts();
    assert_eq!(counts.get("connect/oauth2/authorize"), Some(&16), "14 cases and 2 more: {counts:?}");
    assert_eq!(counts.get("wwlogin/sso/login"), Some(&4));
}

#[tokio::test]
async fn the_form_post_rechecks_the_redirect_and_mints_codes_for_anyone() {
    let l = Login::new();
    let page = l.page(&in_client("1000003", "http://127.0.0.1:8080/cb", "s")).await;
    assert_eq!(page.offered(), ["renshengruxi", "clear", "liqiang"], "app 1000003 sees department 3");
    let mut form = page.hidden_fields();

    // WeCom issues codes to any corp member; the exchange and user/get decide later.
    let out_of_range = l.submit(&form, &[("userid", "zhangxu")]).await;
    assert_eq!(l.exchange(1000003, &code_of(&out_of_range.location.expect("302"))).await["userid"], "zhangxu");
    let unknown = l.submit(&form, &[("userid", "nobody")]).await;
    assert_eq!(l.exchange(1000003, &code_of(&unknown.location.expect("302"))).await["userid"], "nobody");
    let visitor = l.submit(&form, &[("openid", "o-visitor-1")]).await;
    let answer = l.exchange(1000003, &code_of(&visitor.location.expect("302"))).await;
    assert_eq!(answer, serde_json::json!({"errcode": 0, "errmsg": "ok", "openid": "o-visitor-1"}));

    // Tampered hidden fields are refused as the page would.
    for (name, value, code) in [
        ("redirect_uri", "http://evil.example.com:8080/cb", "redirect_uri_untrusted"),
        ("redirect_uri", "http://127.0.0.1:8081/cb", "redirect_uri_untrusted"),
        ("agentid", "1000004", "app_disabled"),
        ("agentid", "42", "invalid_agentid"),
    ] {
        let mut tampered = form.clone();
        tampered.iter_mut().filter(|(k, _)| k == name).for_each(|(_, v)| *v = value.to_owned());
        l.submit(&tampered, &[("userid", "clear")]).await.assert_refused(code);
    }
    // Malformed posts are the caller's mistake.
    assert_eq!(l.submit(&form, &[]).await.status, 400);
    assert_eq!(l.submit(&form, &[("userid", "clear"), ("openid", "o")]).await.status, 400);
    form.retain(|(k, _)| k != "flow");
    assert_eq!(l.submit(&form, &[("userid", "clear")]).await.status, 400);
    assert!(l.h.fake.request_counts().keys().all(|k| !k.contains("_sim")));
}

#[tokio::test]
async fn everything_shown_is_html_escaped_and_odd_states_round_trip() {
    let l = Login::new();
    l.h.fake.with_org(|org| {
        if let Some(user) = org.users.iter_mut().find(|u| u.userid == "clear") {
            user.name = "<b>Clear & \"Co\"</b>".into();
        }
    });
    let state = r#""><script>alert(1)</script>&x=1"#;
    let page = l.page(&in_client("1000002", "https://app.example.com/cb", &enc(state))).await;
    assert!(!page.body.contains("<script>") && !page.body.contains("<b>"), "{}", page.body);
    assert!(page.body.contains("&lt;b&gt;Clear &amp; &quot;Co&quot;&lt;/b&gt; (clear)"), "{}", page.body);
    assert_eq!(page.field("state"), state);
    let location = l.submit(&page.hidden_fields(), &[("userid", "clear")]).await.location.expect("302");
    assert_eq!(query(&location)[1], ("state".to_owned(), state.to_owned()));
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let l = Login::with(FakeConfig { code_ttl_secs: 0, ..FakeConfig::default() });
    let location = l.log_in(&in_client("1000002", "https://app.example.com/cb", "s"), "clear").await;
    assert_error(&l.exchange(1000002, &code_of(&location)).await, 40029, "invalid code");
}

#[tokio::test]
async fn a_consenting_member_gets_a_user_ticket_that_getuserdetail_exchanges_for_mobile_and_email() {
    let l = Login::new();
    let redirect = "https://app.example.com/wecom/callback";
    let url = in_client("1000002", redirect, "S1").replace("scope=snsapi_base", "scope=snsapi_privateinfo");
    let page = l.page(&url).await;
    assert_eq!(page.status, 200);
    let posted = l.submit(&page.hidden_fields(), &[("userid", "wangxiaokai")]).await;
    let code = code_of(posted.location.as_deref().expect("302"));
    let secret = l.h.fake.with_org(|o| o.apps[0].secret.clone());
    let token = l.h.get(&format!("gettoken?corpid={CORP}&corpsecret={secret}")).await;
    let token = token["access_token"].as_str().expect("token").to_string();
    let who = l.h.get(&format!("auth/getuserinfo?access_token={token}&code={code}")).await;
    assert_eq!(who["userid"], "wangxiaokai", "{who}");
    let ticket = who["user_ticket"].as_str().expect("a ticket with consent").to_string();
    let path = format!("/cgi-bin/auth/getuserdetail?access_token={token}");
    let (_, detail) = l.h.post_json(&path, serde_json::json!({ "user_ticket": ticket })).await;
    assert_eq!((detail["errcode"].as_i64(), detail["mobile"].as_str()), (Some(0), Some("13800000000")), "{detail}");
    let (_, bad) = l.h.post_json(&path, serde_json::json!({ "user_ticket": "not-a-ticket" })).await;
    assert_eq!(bad["errcode"].as_i64(), Some(84015), "{bad}");

    // Without consent (snsapi_base): no ticket.
    let page = l.page(&in_client("1000002", redirect, "S2")).await;
    let posted = l.submit(&page.hidden_fields(), &[("userid", "wangxiaokai")]).await;
    let code = code_of(posted.location.as_deref().expect("302"));
    let who = l.h.get(&format!("auth/getuserinfo?access_token={token}&code={code}")).await;
    assert!(who.get("user_ticket").is_none(), "{who}");
}
