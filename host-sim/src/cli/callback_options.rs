//! The platform's callback settings: the Token and EncodingAESKey the admin enters in WeCom
//! (通讯录同步 → 设置接收事件服务器 first, which delivers leavers; or the app's 接收消息 → 设置API接收)
//! and the host's policy. With the built-in fake WeCom and none given,
//! a fresh pair is generated, as the console's "随机获取" buttons do, and shared with the fake.

use interface::{ChangePolicy, SecretString};

/// `--on-leave`: what happens to the account of a member who left, was deleted, or was disabled
/// in WeCom (the CLI's spelling of [`interface::OnLeave`]; the plugin applies it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum OnLeave {
    /// Remove the binding and disable the platform account.
    #[default]
    Disable,
    /// Only remove the binding; the account stays enabled.
    Unbind,
}

/// `--new-members`: what happens to a new member in the synced scope who has no account (the
/// CLI's spelling of [`interface::NewMembers`]; the plugin applies it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum NewMembers {
    /// Create an account bound to the member, unless a namesake account waits for the operator.
    #[default]
    Create,
    /// Leave new members to the operator's next sync.
    Ignore,
}

/// The policy options of `serve` and `reconcile`.
#[derive(clap::Args, Clone, Copy, Debug, Default)]
pub struct PolicyArgs {
    /// A member who left or was deleted: unbind and disable the account, or only unbind.
    #[arg(long, value_enum, default_value_t = OnLeave::Disable)]
    pub on_leave: OnLeave,
    /// A new member in the synced scope: create an account, or leave it to the operator.
    #[arg(long, value_enum, default_value_t = NewMembers::Create)]
    pub new_members: NewMembers,
}

impl From<PolicyArgs> for ChangePolicy {
    fn from(a: PolicyArgs) -> Self {
        ChangePolicy {
            on_leave: match a.on_leave {
                OnLeave::Disable => interface::OnLeave::Disable,
                OnLeave::Unbind => interface::OnLeave::Unbind,
            },
            new_members: match a.new_members {
                NewMembers::Create => interface::NewMembers::Create,
                NewMembers::Ignore => interface::NewMembers::Ignore,
            },
        }
    }
}

/// Callback options of `serve` (and the demo and tests, through [`crate::cli::serve`]).
#[derive(clap::Args, Clone, Default)]
pub struct CallbackOptions {
    /// The callback Token set in WeCom (or env WECOM_CALLBACK_TOKEN); generated with the built-in fake.
    #[arg(long = "callback-token", env = "WECOM_CALLBACK_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// The callback EncodingAESKey set in WeCom (or env WECOM_CALLBACK_AES_KEY); generated with the built-in fake.
    #[arg(long = "callback-aes-key", env = "WECOM_CALLBACK_AES_KEY", hide_env_values = true)]
    pub aes_key: Option<String>,
    /// How far a callback's timestamp may be from this server's clock, in seconds (the plugin's
    /// replay guard; WeCom sets no window). Widen it only while the clock cannot be fixed.
    #[arg(long = "callback-timestamp-window", default_value_t = 300, value_name = "SECS")]
    pub timestamp_window: u32,
    /// What callbacks and the reconcile do without an operator.
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// The mass-removal safeguard for callbacks and the reconcile.
    #[command(flatten)]
    pub removals: crate::cli::workflow::RemovalArgs,
}

/// Never prints the Token or the key.
impl std::fmt::Debug for CallbackOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackOptions")
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("aes_key", &self.aes_key.as_ref().map(|_| "***"))
            .field("timestamp_window", &self.timestamp_window)
            .field("policy", &self.policy)
            .field("removals", &self.removals)
            .finish()
    }
}

/// The Token and EncodingAESKey in force (empty when callbacks are not set up). Debug masks both.
#[derive(Clone, Debug, Default)]
pub struct CallbackSecrets {
    /// Token.
    pub token: SecretString,
    /// EncodingAESKey.
    pub aes_key: SecretString,
}

impl CallbackOptions {
    /// The pair to configure: as given, or generated when using the built-in fake.
    pub fn secrets(&self, using_fake: bool) -> CallbackSecrets {
        let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
        let (token, aes_key) = match (given(&self.token), given(&self.aes_key)) {
            (None, None) if using_fake => (random_token(), random_encoding_aes_key()),
            (token, key) => (token.unwrap_or_default(), key.unwrap_or_default()),
        };
        CallbackSecrets { token: SecretString::new(token), aes_key: SecretString::new(aes_key) }
    }
}

fn random_token() -> String {
    crate::platform::random_token(32)
}

/// 43 letters and digits that decode to 32 bytes: of the last character's six bits only the top
/// four are used, so it is one whose two low bits are zero (a strict decoder accepts it too).
pub fn random_encoding_aes_key() -> String {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const LAST: &[u8] = b"AEIMQUYcgkosw048";
    // The key decrypts every callback: drawn from the OS random source, never a fast PRNG.
    // Bytes at or above 248 (= 4 × 62) are redrawn so each character is equally likely.
    let mut key = String::with_capacity(43);
    let mut buf = [0u8; 64];
    while key.len() < 43 {
        if getrandom::getrandom(&mut buf).is_err() {
            panic!("操作系统随机数不可用 / the OS random source failed");
        }
        for b in buf.iter().filter(|b| **b < 248) {
            match key.len() {
                0..42 => key.push(ALNUM[usize::from(*b) % ALNUM.len()] as char),
                // 240 = 15 × 16: the last character unbiased too.
                42 if *b < 240 => key.push(LAST[usize::from(*b) % LAST.len()] as char),
                42 => {}
                _ => break,
            }
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::random_encoding_aes_key;
    use base64::Engine;

    #[test]
    fn a_generated_key_is_43_characters_that_decode_to_32_bytes_and_never_repeats() {
        let keys: Vec<String> = (0..64).map(|_| random_encoding_aes_key()).collect();
        for key in &keys {
            assert_eq!(key.len(), 43, "{key}");
            assert!(key.bytes().all(|b| b.is_ascii_alphanumeric()), "{key}");
            let bytes = base64::engine::general_purpose::STANDARD.decode(format!("{key}=")).expect("strict base64");
            assert_eq!(bytes.len(), 32);
        }
        let distinct: std::collections::HashSet<&String> = keys.iter().collect();
        assert_eq!(distinct.len(), keys.len(), "no key repeats");
    }
}
