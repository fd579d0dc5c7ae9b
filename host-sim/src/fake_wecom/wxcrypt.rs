//! WeCom's callback encryption (WXBizMsgCrypt, wecom-api.md §10.4) as WeCom's servers apply it,
//! written here independently of the plugin's `callback::crypto` so that each checks the other:
//! the fake encrypts with this, the plugin decrypts with its own, and both are pinned to the
//! official vectors.
//!
//! `base64(AES-256-CBC(key, iv = key[..16], random(16) ‖ len(msg) as u32 BE ‖ msg ‖ receiveid ‖ pad))`
//! with a PKCS#7-style pad to a multiple of 32 bytes, and the signature
//! `sha1_hex(sorted(token, timestamp, nonce, encrypt).concat())`.

use aes::cipher::generic_array::GenericArray;
use aes::cipher::{BlockEncryptMut, KeyIvInit};
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use sha1::{Digest, Sha1};

/// The block WeCom pads to (not AES's 16).
const PAD_TO: usize = 32;

/// Keys copied from the console may carry non-zero trailing bits (the official sample's does).
const KEY_DECODER: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The 32-byte AES key of an EncodingAESKey (43 characters). Debug prints nothing of it.
#[derive(Clone)]
pub struct Key([u8; 32]);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(***)")
    }
}

impl Key {
    /// From the console's EncodingAESKey; `None` unless it is 43 characters decoding to 32 bytes.
    pub fn from_encoding_aes_key(encoding_aes_key: &str) -> Option<Key> {
        if encoding_aes_key.len() != 43 {
            return None;
        }
        let bytes = KEY_DECODER.decode(format!("{encoding_aes_key}=")).ok()?;
        Some(Key(bytes.try_into().ok()?))
    }
}

/// Encrypts `msg` for `receive_id` with the given 16 random bytes (fixed in tests, random otherwise).
pub fn encrypt_with(key: &Key, random: &[u8; 16], msg: &str, receive_id: &str) -> String {
    let mut plain = Vec::with_capacity(20 + msg.len() + receive_id.len() + PAD_TO);
    plain.extend_from_slice(random);
    plain.extend_from_slice(&(msg.len() as u32).to_be_bytes());
    plain.extend_from_slice(msg.as_bytes());
    plain.extend_from_slice(receive_id.as_bytes());
    let pad = PAD_TO - plain.len() % PAD_TO;
    plain.resize(plain.len() + pad, pad as u8);
    let mut iv = [0u8; 16];
    iv.copy_from_slice(&key.0[..16]);
    let mut cipher = cbc::Encryptor::<aes::Aes256>::new(&key.0.into(), &iv.into());
    // `plain` is a whole number of 32-byte pad blocks, so of 16-byte AES blocks.
    for block in plain.chunks_exact_mut(16) {
        cipher.encrypt_block_mut(GenericArray::from_mut_slice(block));
    }
    STANDARD.encode(plain)
}

/// Encrypts `msg` for `receive_id` with fresh random bytes, as WeCom does.
pub fn encrypt(key: &Key, msg: &str, receive_id: &str) -> String {
    let mut random = [0u8; 16];
    random.iter_mut().for_each(|b| *b = fastrand::alphanumeric() as u8);
    encrypt_with(key, &random, msg, receive_id)
}

/// The `msg_signature` of a request.
pub fn signature(token: &str, timestamp: &str, nonce: &str, encrypt: &str) -> String {
    let mut parts = [token, timestamp, nonce, encrypt];
    parts.sort_unstable();
    let digest = Sha1::digest(parts.concat().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFICIAL_KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

    #[test]
    fn the_official_signature_vectors() {
        let echostr = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==";
        assert_eq!(signature("QDG6eK", "1409659589", "263014780", echostr), "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3");
    }

    #[test]
    fn the_official_echostr_is_reproduced_from_its_random_bytes() {
        let key = Key::from_encoding_aes_key(OFFICIAL_KEY).expect("key");
        let encrypted = encrypt_with(&key, b"c41b64491c2468d0", "1616140317555161061", "wx5823bf96d3bd56c7");
        assert_eq!(
            encrypted,
            "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
        );
    }

    #[test]
    fn the_self_generated_change_contact_vector() {
        // wecom-api.md §11.4: random "0123456789abcdef", the official key and receiver.
        let key = Key::from_encoding_aes_key(OFFICIAL_KEY).expect("key");
        let msg = "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_contact]]></Event><ChangeType><![CDATA[update_user]]></ChangeType><UserID><![CDATA[zhangsan]]></UserID><NewUserID><![CDATA[zhangsan001]]></NewUserID><Department><![CDATA[1,2]]></Department></xml>";
        let encrypted = encrypt_with(&key, b"0123456789abcdef", msg, "wx5823bf96d3bd56c7");
        assert!(
            encrypted.starts_with("sKqRbbiSUnDhFHOvPjtUMU7PQ9TlPGz58MfN2PRnefTgAiGuZs4K+bohrAgEHdk1"),
            "{encrypted}"
        );
        assert!(encrypted.ends_with("kNmNWX0koQd6w=="), "{encrypted}");
        assert_eq!(
            signature("QDG6eK", "1700000000", "1234567890", &encrypted),
            "d401266b317d97ead229b8566c650485cc775fe4"
        );
    }

    #[test]
    fn malformed_keys_are_refused() {
        assert!(Key::from_encoding_aes_key("short").is_none());
        assert!(Key::from_encoding_aes_key(&"*".repeat(43)).is_none());
    }
}
