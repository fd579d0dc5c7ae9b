//! Drives a login round trip over real HTTP, as a member's browser would: the platform's start
//! endpoint, WeCom's login page (where the member says who they are), the redirect back with a
//! code, the platform's callback. Redirects are followed here, by hand, so the platform's session
//! cookie is carried exactly as a browser carries it (to the platform's host only).

use anyhow::{bail, Context};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE, USER_AGENT};
use reqwest::{Client, Response, StatusCode};
use url::Url;

/// How the round trip ended.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LoginTrace {
    /// Every URL visited, in order (query strings with `code` masked).
    pub visited: Vec<String>,
    /// HTTP status of the platform's final page.
    pub status: u16,
    /// `signed-in`, `unbound`, `account-created` or `refused` (from the page's `data-outcome`).
    pub outcome: String,
    /// The signed-in platform account, if any.
    pub account_id: Option<String>,
    /// The final page's text.
    pub page: String,
}

/// A user agent of the WeCom desktop client's browser, and of an ordinary browser.
pub const IN_CLIENT_UA: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 wxwork/4.1.30 MicroMessenger/7.0.1";
/// An ordinary desktop browser.
pub const BROWSER_UA: &str = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0";

/// Who confirms on WeCom's page.
#[derive(Debug, Clone)]
pub enum Visitor {
    /// A corp member, by userid.
    Member(String),
    /// Someone who is not a member of the corp (WeCom gives an openid).
    NonMember(String),
}

/// What the member answers when the platform asks them to prove a platform account
/// (`needs: password`).
#[derive(Debug, Clone)]
pub enum Proof {
    /// Nothing: the round trip ends on the platform's question.
    None,
    /// The platform password of the (first) account asked for.
    Password(String),
    /// "This is not my account"; for a member without a binding offered candidates, "none of these
    /// is mine" (the page's `none-mine` action).
    NotMine,
}

/// Logs `userid` in through the platform at `platform_base`.
pub async fn drive(platform_base: &str, userid: &str, user_agent: &str) -> anyhow::Result<LoginTrace> {
    drive_visitor(platform_base, &Visitor::Member(userid.to_string()), user_agent).await
}

/// Logs `userid` in, answering a password question with `proof`.
pub async fn drive_proving(
    platform_base: &str,
    userid: &str,
    user_agent: &str,
    proof: &Proof,
) -> anyhow::Result<LoginTrace> {
    drive_full(platform_base, &Visitor::Member(userid.to_string()), user_agent, proof).await
}

/// Runs the round trip for any visitor.
pub async fn drive_visitor(platform_base: &str, visitor: &Visitor, user_agent: &str) -> anyhow::Result<LoginTrace> {
    drive_full(platform_base, visitor, user_agent, &Proof::None).await
}

/// Runs the round trip for any visitor: WeCom's page (again, when the platform sends the member
/// back for consent), and the platform's password question when `proof` answers it.
pub async fn drive_full(
    platform_base: &str,
    visitor: &Visitor,
    user_agent: &str,
    proof: &Proof,
) -> anyhow::Result<LoginTrace> {
    let client = Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let platform = Url::parse(platform_base)?;
    let mut visited = Vec::new();
    let mut cookie: Option<String> = None;

    // 1. Platform start → redirect to WeCom's login page, with the session cookie.
    let start = platform.join("/oauth/wecom/start")?;
    visited.push(start.to_string());
    let response = client.get(start.clone()).header(USER_AGENT, user_agent).send().await?;
    if let Some(c) = response.headers().get(SET_COOKIE).and_then(|v| v.to_str().ok()) {
        cookie = c.split(';').next().map(str::to_string);
    }
    let authorize = location(&start, &response)
        .context("平台的登录入口没有跳转到企业微信 / the platform's start endpoint did not redirect to WeCom")?;

    // 2. WeCom's page: a form asking who is logging in.
    visited.push(authorize.to_string());
    let page = client.get(authorize.clone()).header(USER_AGENT, user_agent).send().await?;
    let status = page.status();
    let html = page.text().await?;
    let Some(form) = Form::parse(&html) else {
        bail!("企业微信登录页拒绝了请求 / WeCom's login page refused ({status}): {}", text_of(&html));
    };

    // 3. The member confirms → WeCom redirects back with a code.
    let action = authorize.join(&form.action)?;
    let mut fields = form.hidden;
    fields.push(match visitor {
        Visitor::Member(userid) => ("userid".to_string(), userid.clone()),
        Visitor::NonMember(openid) => ("openid".to_string(), openid.clone()),
    });
    visited.push(action.to_string());
    let confirmed = client.post(action.clone()).header(USER_AGENT, user_agent).form(&fields).send().await?;
    let mut next = location(&action, &confirmed)
        .with_context(|| format!("WeCom did not redirect back ({})", confirmed.status()))?;

    // 4. Follow redirects to the platform's final page, sending the cookie only to the platform.
    //    A redirect back to WeCom's page (the consent hop) is confirmed again as in step 3.
    let mut proved = false;
    for _ in 0..8 {
        visited.push(mask_code(&next));
        let mut request = client.get(next.clone()).header(USER_AGENT, user_agent);
        let to_platform = same_origin(&next, &platform);
        if to_platform {
            if let Some(c) = &cookie {
                request = request.header(COOKIE, c.as_str());
            }
        }
        let response = request.send().await?;
        if same_origin(&next, &platform) {
            // Signing in replaces the session id, as a browser would take it.
            if let Some(c) = response.headers().get(SET_COOKIE).and_then(|v| v.to_str().ok()) {
                cookie = c.split(';').next().map(str::to_string);
            }
        }
        if response.status().is_redirection() {
            next = location(&next, &response).context("跳转缺少 Location / redirect without a location")?;
            continue;
        }
        let status = response.status();
        let html = response.text().await?;
        if !to_platform {
            // WeCom's page again: the member confirms (and consents) once more.
            let Some(form) = Form::parse(&html) else {
                bail!("WeCom's login page refused ({status}): {}", text_of(&html));
            };
            let action = next.join(&form.action)?;
            let mut fields = form.hidden;
            fields.push(match visitor {
                Visitor::Member(userid) => ("userid".to_string(), userid.clone()),
                Visitor::NonMember(openid) => ("openid".to_string(), openid.clone()),
            });
            visited.push(action.to_string());
            let confirmed = client.post(action.clone()).header(USER_AGENT, user_agent).form(&fields).send().await?;
            next = location(&action, &confirmed)
                .with_context(|| format!("WeCom did not redirect back ({})", confirmed.status()))?;
            continue;
        }
        let outcome = attribute(&html, "data-outcome").unwrap_or_else(|| "unknown".into());
        if outcome == "needs-password" && !proved && !matches!(proof, Proof::None) {
            proved = true;
            let account = attribute(&html, "data-accounts").unwrap_or_default();
            let account = account.split(',').next().unwrap_or_default().to_string();
            let mut fields = vec![("account_id".to_string(), account), ("csrf".to_string(), form_token(&html))];
            match proof {
                Proof::Password(password) => fields.push(("password".to_string(), password.clone())),
                // A member without a binding is offered candidates: "none of these is mine".
                Proof::NotMine if html.contains("data-action=\"none-mine\"") => {
                    fields.push(("none_mine".to_string(), "1".to_string()))
                }
                Proof::NotMine => fields.push(("not_mine".to_string(), "1".to_string())),
                Proof::None => {}
            }
            let action = platform.join("/oauth/wecom/password")?;
            visited.push(action.to_string());
            let mut request = client.post(action.clone()).header(USER_AGENT, user_agent).form(&fields);
            if let Some(c) = &cookie {
                request = request.header(COOKIE, c.as_str());
            }
            let response = request.send().await?;
            if response.status().is_redirection() {
                next = location(&action, &response).context("redirect without a location")?;
                continue;
            }
            let status = response.status();
            let html = response.text().await?;
            return Ok(trace_of(visited, status, &html));
        }
        return Ok(trace_of(visited, status, &html));
    }
    bail!("跳转次数过多 / too many redirects")
}

fn trace_of(visited: Vec<String>, status: StatusCode, html: &str) -> LoginTrace {
    LoginTrace {
        visited,
        status: status.as_u16(),
        outcome: attribute(html, "data-outcome").unwrap_or_else(|| "unknown".into()),
        account_id: attribute(html, "data-account").filter(|_| status == StatusCode::OK),
        page: text_of(html),
    }
}

fn location(base: &Url, response: &Response) -> Option<Url> {
    if !response.status().is_redirection() {
        return None;
    }
    let value = response.headers().get(LOCATION)?.to_str().ok()?;
    base.join(value).ok()
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme() && a.host_str() == b.host_str() && a.port_or_known_default() == b.port_or_known_default()
}

fn mask_code(url: &Url) -> String {
    let mut masked = url.clone();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.to_string(), if k == "code" { "***".to_string() } else { v.to_string() }))
        .collect();
    if !pairs.is_empty() {
        masked.query_pairs_mut().clear().extend_pairs(pairs);
    }
    masked.to_string()
}

/// The login form of WeCom's page: its action and hidden fields.
struct Form {
    action: String,
    hidden: Vec<(String, String)>,
}

impl Form {
    fn parse(html: &str) -> Option<Form> {
        let start = html.find("<form")?;
        let form_tag_end = start + html[start..].find('>')?;
        let action = attribute(&html[start..=form_tag_end], "action")?;
        let mut hidden = Vec::new();
        let mut rest = &html[form_tag_end..];
        while let Some(i) = rest.find("<input") {
            let end = i + rest[i..].find('>').unwrap_or(rest.len() - i - 1);
            let tag = &rest[i..=end.min(rest.len() - 1)];
            if attribute(tag, "type").as_deref() == Some("hidden") {
                if let (Some(name), Some(value)) = (attribute(tag, "name"), attribute(tag, "value")) {
                    hidden.push((name, value));
                }
            }
            rest = &rest[(end + 1).min(rest.len())..];
        }
        Some(Form { action, hidden })
    }
}

/// The value of the first `name="value"` attribute in `html`, HTML entities decoded.
fn attribute(html: &str, name: &str) -> Option<String> {
    let needle = format!("{name}=\"");
    let start = html.find(&needle)? + needle.len();
    let end = start + html[start..].find('"')?;
    Some(
        html[start..end]
            .replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&#39;", "'")
            .replace("&amp;", "&"),
    )
}

/// The page's text without tags, collapsed.
fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The password form's anti-forgery token (its hidden `csrf` field).
fn form_token(html: &str) -> String {
    html.split("name=\"csrf\" value=\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_and_attributes_are_read() {
        let html = r#"<h1>x</h1><form method="post" action="/_sim/oauth/authorize"><input type="hidden" name="state" value="a&amp;b"><input type="hidden" name="agentid" value="1000002"/><select name="userid"></select></form>"#;
        let form = Form::parse(html).expect("form");
        assert_eq!(form.action, "/_sim/oauth/authorize");
        assert_eq!(form.hidden, vec![("state".into(), "a&b".into()), ("agentid".into(), "1000002".into())]);
        assert_eq!(text_of("<p>已登录 <b>x</b></p>"), "已登录 x");
    }

    #[test]
    fn codes_are_masked_in_the_trace() {
        let url = Url::parse("http://127.0.0.1:1/cb?code=SECRETCODE&state=s").expect("url");
        assert_eq!(mask_code(&url), "http://127.0.0.1:1/cb?code=***&state=s");
    }
}
