//! The fake WeCom's side of contact-change callbacks: it calls the app's callback URL as WeCom
//! does, verifying the URL (GET with an encrypted `echostr`, which must come back decrypted) and
//! pushing events (POST of the encrypted XML), signed with the app's Token and encrypted with its
//! EncodingAESKey ([`super::wxcrypt`]).
//!
//! ```no_run
//! # use host_sim::fake_wecom::{contact_events, CallbackPusher, FakeWecom};
//! # fn demo(fake: &FakeWecom, pusher: &CallbackPusher) -> anyhow::Result<()> {
//! // "王晓楷 left": the admin deletes the member, WeCom pushes delete_user.
//! let delivery = pusher.member_leaves(fake, "wangxiaokai")?;
//! assert_eq!(delivery.status, 200);
//! # Ok(()) }
//! ```

use super::contact_events::ContactEvent;
use super::wxcrypt::{self, Key};
use anyhow::Context;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long WeCom waits for an answer to an event (§10.3); the fake waits as long.
pub const EVENT_DEADLINE: Duration = Duration::from_secs(5);

/// Which console setting the URL, Token and EncodingAESKey were saved under: it decides which
/// contact events WeCom sends there and how the envelope looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Receiver {
    /// 管理工具 → 通讯录同步 → 设置接收事件服务器: every member, department and tag event
    /// (doc 96302, 96303, 96304); `ToUserName` is the corp id and `AgentID` is empty.
    ContactSync,
    /// The self-built app's own 接收消息 → 设置API接收. Doc 96302-96304 do not list self-built
    /// apps as receivers; a WeCom staff answer says they get `update_user` when a userid
    /// changes, so only that event is sent (unconfirmed, wecom-api.md §13.1, §14).
    /// `AgentID` is the app's.
    App {
        /// The app's AgentID, sent in the envelope.
        agent_id: i64,
    },
    /// The other reading of the same uncertainty: the app's own receiver gets every contact
    /// event of members in its visible range.
    AppAllEvents {
        /// The app's AgentID, sent in the envelope.
        agent_id: i64,
    },
}

impl Receiver {
    /// Whether WeCom sends `event` to this receiver.
    pub fn carries(&self, event: &ContactEvent) -> bool {
        match self {
            Receiver::ContactSync | Receiver::AppAllEvents { .. } => true,
            Receiver::App { .. } => matches!(event, ContactEvent::UpdateUser { new_userid: Some(_), .. }),
        }
    }

    fn agent_id(&self) -> String {
        match self {
            Receiver::ContactSync => String::new(),
            Receiver::App { agent_id } | Receiver::AppAllEvents { agent_id } => agent_id.to_string(),
        }
    }
}

/// Where and how to push: the callback URL, Token, EncodingAESKey, the corp (the receiver id
/// inside every message) and which console setting they belong to ([`Receiver`], the contact-sync
/// receiver unless [`CallbackPusher::with_receiver`] says otherwise). Debug shows the URL and the
/// corp only.
#[derive(Clone)]
pub struct CallbackPusher {
    url: String,
    token: String,
    key: Key,
    corp_id: String,
    receiver: Receiver,
    /// Seconds added to the fake's clock when stamping requests (WeCom's clock against a
    /// platform whose clock drifted the other way).
    clock_offset_secs: i64,
    /// Member events carry ids only (a contact-sync receiver set up after 2022-08-15).
    ids_only: bool,
}

impl std::fmt::Debug for CallbackPusher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackPusher").field("url", &self.url).field("corp_id", &self.corp_id).finish_non_exhaustive()
    }
}

/// A signed request, ready to send (and for tests, to tamper with).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    /// The query string: `msg_signature`, `timestamp`, `nonce` (and `echostr` for a verification).
    pub query: String,
    /// The POST body (the `<xml><Encrypt>…` envelope); empty for a verification.
    pub body: String,
    /// For a verification: the plaintext the URL must answer with.
    pub expected_echo: Option<String>,
}

/// What the callback URL answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// HTTP status.
    pub status: u16,
    /// Body.
    pub body: String,
    /// Time to the answer.
    pub elapsed: Duration,
}

impl Delivery {
    /// WeCom's view of success: HTTP 200 (for a verification, also the exact echo; see
    /// [`CallbackPusher::verify_url`]).
    pub fn accepted(&self) -> bool {
        self.status == 200
    }
}

impl CallbackPusher {
    /// Push to `url` with the app's callback Token and EncodingAESKey, as corp `corp_id`.
    pub fn new(url: &str, token: &str, encoding_aes_key: &str, corp_id: &str) -> anyhow::Result<CallbackPusher> {
        let key = Key::from_encoding_aes_key(encoding_aes_key)
            .context("EncodingAESKey 须为 43 个字符的 base64 / the EncodingAESKey must be 43 base64 characters")?;
        // Known to the leak tests, as the tokens and codes the fake issues are.
        super::credentials::record_callback_secrets(token, encoding_aes_key);
        Ok(CallbackPusher {
            url: url.to_string(),
            token: token.to_string(),
            key,
            corp_id: corp_id.to_string(),
            receiver: Receiver::ContactSync,
            clock_offset_secs: 0,
            ids_only: false,
        })
    }

    /// Stamps every request `secs` away from this machine's clock: a platform whose clock is
    /// `secs` behind WeCom's sees exactly these timestamps.
    pub fn with_clock_offset(mut self, secs: i64) -> CallbackPusher {
        self.clock_offset_secs = secs;
        self
    }

    fn now(&self) -> i64 {
        unix_now().saturating_add(self.clock_offset_secs)
    }

    /// Member events carry `UserID`, `NewUserID` and `Department` only, as the contact-sync
    /// receiver sends them when it was set up after 2022-08-15
    /// ([`ContactEvent::to_xml_ids_only`]); the platform reads the rest with `user/get`.
    pub fn with_ids_only(mut self, ids_only: bool) -> CallbackPusher {
        self.ids_only = ids_only;
        self
    }

    /// The same URL and secrets saved under another console setting.
    pub fn with_receiver(mut self, receiver: Receiver) -> CallbackPusher {
        self.receiver = receiver;
        self
    }

    /// The console setting this pusher plays.
    pub fn receiver(&self) -> Receiver {
        self.receiver
    }

    /// The callback URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The POST WeCom sends for `event_xml` (the decrypted event).
    pub fn event_request(&self, event_xml: &str, timestamp: i64, nonce: &str) -> SignedRequest {
        self.event_request_for(event_xml, &self.corp_id, timestamp, nonce)
    }

    /// As [`CallbackPusher::event_request`], encrypted for another receiver id (tests of the receiver check).
    pub fn event_request_for(&self, event_xml: &str, receive_id: &str, timestamp: i64, nonce: &str) -> SignedRequest {
        let encrypt = wxcrypt::encrypt(&self.key, event_xml, receive_id);
        let timestamp = timestamp.to_string();
        let signature = wxcrypt::signature(&self.token, &timestamp, nonce, &encrypt);
        let body = format!(
            "<xml><ToUserName><![CDATA[{}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt><AgentID><![CDATA[{}]]></AgentID></xml>",
            self.corp_id,
            self.receiver.agent_id()
        );
        SignedRequest { query: query(&signature, &timestamp, nonce, None), body, expected_echo: None }
    }

    /// A POST whose `<Encrypt>` is `encrypt` as given, correctly signed (tests of broken
    /// ciphertexts: the signature passes, decryption must fail).
    pub fn raw_request(&self, encrypt: &str, timestamp: i64, nonce: &str) -> SignedRequest {
        let timestamp = timestamp.to_string();
        let signature = wxcrypt::signature(&self.token, &timestamp, nonce, encrypt);
        let body = format!(
            "<xml><ToUserName><![CDATA[{}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>",
            self.corp_id
        );
        SignedRequest { query: query(&signature, &timestamp, nonce, None), body, expected_echo: None }
    }

    /// The GET WeCom sends when the admin saves the callback URL: `echo` encrypted as `echostr`.
    pub fn verification_request(&self, echo: &str, timestamp: i64, nonce: &str) -> SignedRequest {
        let echostr = wxcrypt::encrypt(&self.key, echo, &self.corp_id);
        let timestamp = timestamp.to_string();
        let signature = wxcrypt::signature(&self.token, &timestamp, nonce, &echostr);
        SignedRequest {
            query: query(&signature, &timestamp, nonce, Some(&echostr)),
            body: String::new(),
            expected_echo: Some(echo.to_string()),
        }
    }

    /// Verifies the URL as WeCom does when the admin saves it; `Ok(true)` when the answer came
    /// within 1 s, with HTTP 200 and exactly the echo.
    pub fn verify_url(&self) -> anyhow::Result<(bool, Delivery)> {
        let echo = fastrand::u64(1_000_000_000_000_000..u64::MAX).to_string();
        let request = self.verification_request(&echo, self.now(), &nonce());
        let delivery = self.send(&request)?;
        let ok = delivery.status == 200 && delivery.body == echo && delivery.elapsed <= Duration::from_secs(1);
        Ok((ok, delivery))
    }

    /// Pushes one event now, as WeCom does. An event WeCom does not send to this receiver
    /// ([`Receiver::carries`]) is an error: nothing is sent.
    pub fn push(&self, event: &ContactEvent) -> anyhow::Result<Delivery> {
        if !self.receiver.carries(event) {
            anyhow::bail!(
                "企业微信不向此接收地址推送该事件 / WeCom does not send this event to the {:?} receiver",
                self.receiver
            );
        }
        let now = self.now();
        let xml =
            if self.ids_only { event.to_xml_ids_only(&self.corp_id, now) } else { event.to_xml(&self.corp_id, now) };
        self.send(&self.event_request(&xml, now, &nonce()))
    }

    /// Sends a request (GET for a verification, POST otherwise) and waits for the answer, at most
    /// WeCom's 5 s. Blocking; runs its own small runtime on a separate thread, so it may be called
    /// from anywhere (but blocks the calling thread).
    pub fn send(&self, request: &SignedRequest) -> anyhow::Result<Delivery> {
        let url = format!("{}?{}", self.url, request.query);
        let verification = request.expected_echo.is_some();
        let body = request.body.clone();
        let sent = std::thread::spawn(move || -> anyhow::Result<Delivery> {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async move {
                let client = reqwest::Client::builder().timeout(EVENT_DEADLINE).build()?;
                let started = Instant::now();
                let request = if verification { client.get(&url) } else { client.post(&url).body(body) };
                let response = request.send().await.context("回调地址无应答 / the callback URL did not answer")?;
                let status = response.status().as_u16();
                let body = response.text().await.unwrap_or_default();
                Ok(Delivery { status, body, elapsed: started.elapsed() })
            })
        });
        sent.join().map_err(|_| anyhow::anyhow!("回调推送线程失败 / callback push thread failed"))?
    }
}

fn query(signature: &str, timestamp: &str, nonce: &str, echostr: Option<&str>) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("msg_signature", signature).append_pair("timestamp", timestamp).append_pair("nonce", nonce);
    if let Some(echostr) = echostr {
        q.append_pair("echostr", echostr);
    }
    q.finish()
}

fn nonce() -> String {
    fastrand::u32(100_000_000..u32::MAX).to_string()
}

/// The current Unix time, as WeCom stamps its requests.
pub fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

    fn pusher(receiver: Receiver) -> CallbackPusher {
        // Port 9 (discard): nothing listens, so a push that is sent fails to connect.
        CallbackPusher::new("http://127.0.0.1:9/wecom/callback", "QDG6eK", KEY, "wwcorp")
            .expect("pusher")
            .with_receiver(receiver)
    }

    #[test]
    fn each_receiver_carries_its_events_and_names_its_agent() {
        let leaver = ContactEvent::DeleteUser { userid: "a".into() };
        let renamed = ContactEvent::UpdateUser {
            userid: "a".into(),
            new_userid: Some("b".into()),
            name: None,
            departments: None,
            status: None,
        };
        let moved = ContactEvent::UpdateUser {
            userid: "a".into(),
            new_userid: None,
            name: None,
            departments: Some(vec![2]),
            status: None,
        };
        let sync = pusher(Receiver::ContactSync);
        assert_eq!(sync.receiver(), Receiver::ContactSync);
        assert!([&leaver, &renamed, &moved].iter().all(|e| Receiver::ContactSync.carries(e)));
        assert!(sync.event_request("<xml/>", 1, "n").body.ends_with("<AgentID><![CDATA[]]></AgentID></xml>"));

        let app = Receiver::App { agent_id: 1000002 };
        assert!(!app.carries(&leaver) && !app.carries(&moved) && app.carries(&renamed));
        let err = pusher(app).push(&leaver).expect_err("not sent");
        assert!(format!("{err:#}").contains("does not send"), "{err:#}");
        assert!(pusher(app).event_request("<xml/>", 1, "n").body.contains("<AgentID><![CDATA[1000002]]></AgentID>"));

        let all = Receiver::AppAllEvents { agent_id: 1000002 };
        assert!([&leaver, &renamed, &moved].iter().all(|e| all.carries(e)));
    }
}
