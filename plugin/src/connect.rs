//! Builds the WeCom client for a configuration: the one place that turns settings into
//! timeouts, limits and the token store.

use crate::host_log::Host;
use crate::settings::CleanSettings;
use crate::token_store::HostTokenStore;
use crate::wecom::{self, Client, ClientConfig, WecomError};
use std::sync::Arc;
use std::time::Duration;

/// The real WeCom API.
pub const DEFAULT_API_BASE: &str = "https://qyapi.weixin.qq.com";

/// A client for these settings, sharing tokens through the host's store.
pub fn client_for(settings: &CleanSettings, host: &Host) -> Result<Client, WecomError> {
    let config = ClientConfig {
        base_url: settings.api_base_url.clone(),
        corp_id: settings.corp_id.clone(),
        agent_id: settings.agent_id,
        secret: settings.secret.clone(),
        proxy_url: settings.proxy_url.clone(),
        allow_plain_http: settings.allow_plain_http,
        request_timeout: Duration::from_secs(10),
        connect_timeout: Duration::from_secs(5),
        max_body_bytes: 16 * 1024 * 1024,
        // Adaptive: from 32 requests in flight up to 64 while WeCom answers at its idle speed.
        max_in_flight: wecom::pacing::ADAPTIVE_MAX_IN_FLIGHT,
        initial_in_flight: wecom::pacing::ADAPTIVE_INITIAL_IN_FLIGHT,
        calls_per_minute: 8_000,
        retry: wecom::RetryPolicy::default(),
        on_call: Some(trace_calls(host.clone())),
    };
    Client::with_store(config, Arc::new(HostTokenStore::new(host.clone())))
}

/// One trace line per WeCom request, so an operator can follow a read or a login call by call.
fn trace_calls(host: Host) -> wecom::CallObserver {
    Arc::new(move |call: &wecom::CallRecord<'_>| {
        let outcome = match (call.errcode, call.error) {
            (Some(errcode), _) => format!("errcode {errcode}"),
            (None, Some(error)) => error.to_string(),
            (None, None) => "no answer".to_string(),
        };
        host.log(
            interface::LogLevel::Trace,
            &format!("wecom {}: {outcome} in {} ms", call.endpoint, call.elapsed.as_millis()),
        );
    })
}

/// True for `http://127.x.x.x`, `http://[::1]` and `http://localhost` URLs.
pub fn is_loopback_url(url: &str) -> bool {
    url::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host().map(|h| match h {
                url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
                url::Host::Ipv4(ip) => ip.is_loopback(),
                url::Host::Ipv6(ip) => ip.is_loopback(),
            })
        })
        .unwrap_or(false)
}
