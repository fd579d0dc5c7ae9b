//! The WXBizMsgCrypt scheme WeCom uses for callbacks (wecom-api.md §10.4), as pure functions.
//!
//! Plaintext layout: `random(16) ‖ msg_len (u32 BE) ‖ msg ‖ receiveid`, padded PKCS#7-style to a
//! multiple of **32** bytes (not AES's 16: the official vector carries 30 pad bytes), encrypted
//! with AES-256-CBC whose IV is the key's first 16 bytes, sent as standard base64. The signature
//! is the SHA-1 hex of the sorted concatenation of token, timestamp, nonce and the base64 text.

use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use aes::Aes256;
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use sha1::{Digest, Sha1};
use std::fmt;
use subtle::ConstantTimeEq;

/// WeCom's pad block: the pad length is 32 − (len mod 32), so 1..=32.
const PAD_BLOCK: usize = 32;
const AES_BLOCK: usize = 16;
const RANDOM_LEN: usize = 16;
const HEADER_LEN: usize = RANDOM_LEN + 4;
/// Length of an EncodingAESKey as the console shows it (base64 of 32 bytes without the `=`).
pub const ENCODING_AES_KEY_LEN: usize = 43;
/// Longest callback Token the console accepts.
pub const TOKEN_MAX_LEN: usize = 32;

/// Decoding as leniently as the official samples (which use the platform's base64 decoder):
/// the console's keys have non-zero trailing bits (the official `…B2C` does), which a strict
/// decoder rejects although every reference implementation accepts them.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a step of the scheme failed. Carries no key material and no plaintext.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CryptoError {
    /// The EncodingAESKey is not 43 base64 characters (official code -40004).
    IllegalKey,
    /// The ciphertext is not base64 (-40010).
    BadBase64,
    /// The ciphertext is empty or not a whole number of AES blocks (-40007).
    BadLength,
    /// The pad length or the pad bytes are wrong: most often the EncodingAESKey differs (-40007).
    BadPadding,
    /// The decrypted buffer is inconsistent: too short, `msg_len` past its end, or the message not
    /// UTF-8 (-40008).
    IllegalBuffer,
}

/// What is wrong with a pasted EncodingAESKey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyProblem {
    /// Not 43 characters (the count is given).
    Length(usize),
    /// A character outside the base64 alphabet (`=` included: the 43 characters carry no padding).
    BadCharacter(char),
}

/// What is wrong with a pasted Token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    /// Empty.
    Empty,
    /// Longer than 32 characters (the count is given).
    TooLong(usize),
    /// Not a letter or digit.
    BadCharacter(char),
}

/// Checks an EncodingAESKey's format: exactly 43 characters of the base64 alphabet, which then
/// decode (with the `=` appended) to the 32-byte AES key.
pub fn check_encoding_aes_key(value: &str) -> Result<(), KeyProblem> {
    if let Some(c) = value.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '+' || *c == '/')) {
        return Err(KeyProblem::BadCharacter(c));
    }
    // All ASCII from here, so bytes = characters.
    if value.len() != ENCODING_AES_KEY_LEN {
        return Err(KeyProblem::Length(value.len()));
    }
    Ok(())
}

/// Checks a Token's format: 1 to 32 letters or digits.
pub fn check_token(value: &str) -> Result<(), TokenProblem> {
    if value.is_empty() {
        return Err(TokenProblem::Empty);
    }
    if let Some(c) = value.chars().find(|c| !c.is_ascii_alphanumeric()) {
        return Err(TokenProblem::BadCharacter(c));
    }
    if value.len() > TOKEN_MAX_LEN {
        return Err(TokenProblem::TooLong(value.len()));
    }
    Ok(())
}

/// The 32-byte AES key. Prints as a mask.
#[derive(Clone, PartialEq, Eq)]
pub struct AesKey([u8; 32]);

impl AesKey {
    /// Derives the key from the console's 43-character EncodingAESKey.
    pub fn from_encoding_aes_key(value: &str) -> Result<AesKey, CryptoError> {
        check_encoding_aes_key(value).map_err(|_| CryptoError::IllegalKey)?;
        let mut padded = String::with_capacity(ENCODING_AES_KEY_LEN + 1);
        padded.push_str(value);
        padded.push('=');
        let bytes = LENIENT.decode(padded).map_err(|_| CryptoError::IllegalKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| CryptoError::IllegalKey)?;
        Ok(AesKey(key))
    }

    /// The raw key bytes (tests and the host's fake WeCom compare against vectors).
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    fn iv(&self) -> [u8; 16] {
        let mut iv = [0u8; 16];
        iv.copy_from_slice(&self.0[..16]);
        iv
    }
}

impl fmt::Debug for AesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AesKey(***)")
    }
}

/// A decrypted payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decrypted {
    /// The sender's 16 random bytes.
    pub random: [u8; 16],
    /// The message (UTF-8 XML for events, digits for URL verification).
    pub msg: String,
    /// The trailing receiveid (the CorpID for self-built apps and the contact-sync assistant),
    /// as bytes: it is compared, not trusted to be text.
    pub receive_id: Vec<u8>,
}

/// `sha1_hex(sorted(token, timestamp, nonce, encrypted).concat())`, lower-case.
pub fn signature(token: &str, timestamp: &str, nonce: &str, encrypted: &str) -> String {
    let mut parts = [token, timestamp, nonce, encrypted];
    parts.sort_unstable();
    let mut hasher = Sha1::new();
    for part in parts {
        hasher.update(part.as_bytes());
    }
    hex(&hasher.finalize())
}

/// True when `msg_signature` is the signature of the other four. Constant time over the digest,
/// so the comparison does not tell an attacker how many leading characters were right.
pub fn verify_signature(token: &str, timestamp: &str, nonce: &str, encrypted: &str, msg_signature: &str) -> bool {
    let expected = signature(token, timestamp, nonce, encrypted);
    let given = msg_signature.to_ascii_lowercase();
    expected.as_bytes().ct_eq(given.as_bytes()).into()
}

/// Decrypts a base64 ciphertext. The receiveid is returned, not checked: the caller compares it
/// with the CorpID so that the error can say which id arrived.
pub fn decrypt(key: &AesKey, encrypted: &str) -> Result<Decrypted, CryptoError> {
    let mut buf = LENIENT.decode(encrypted.as_bytes()).map_err(|_| CryptoError::BadBase64)?;
    if buf.is_empty() || buf.len() % AES_BLOCK != 0 {
        return Err(CryptoError::BadLength);
    }
    let mut cipher =
        cbc::Decryptor::<Aes256>::new_from_slices(key.bytes(), &key.iv()).map_err(|_| CryptoError::IllegalKey)?;
    for block in buf.chunks_exact_mut(AES_BLOCK) {
        cipher.decrypt_block_mut(block.into());
    }

    let pad = usize::from(buf.last().copied().unwrap_or(0));
    if pad == 0 || pad > PAD_BLOCK || pad > buf.len() {
        return Err(CryptoError::BadPadding);
    }
    let body_len = buf.len() - pad;
    if buf[body_len..].iter().any(|&b| usize::from(b) != pad) {
        return Err(CryptoError::BadPadding);
    }
    buf.truncate(body_len);

    if buf.len() < HEADER_LEN {
        return Err(CryptoError::IllegalBuffer);
    }
    let mut random = [0u8; RANDOM_LEN];
    random.copy_from_slice(&buf[..RANDOM_LEN]);
    let mut len_bytes = [0u8; 4];
    len_bytes.copy_from_slice(&buf[RANDOM_LEN..HEADER_LEN]);
    let msg_len = usize::try_from(u32::from_be_bytes(len_bytes)).map_err(|_| CryptoError::IllegalBuffer)?;
    let msg_end = HEADER_LEN.checked_add(msg_len).filter(|&end| end <= buf.len()).ok_or(CryptoError::IllegalBuffer)?;
    let receive_id = buf[msg_end..].to_vec();
    buf.truncate(msg_end);
    let msg = String::from_utf8(buf.split_off(HEADER_LEN)).map_err(|_| CryptoError::IllegalBuffer)?;
    Ok(Decrypted { random, msg, receive_id })
}

/// Encrypts `msg` for `receive_id` with the given random prefix; returns the base64 text. The
/// random prefix is a parameter so that the result is reproducible (vectors, the host's fake
/// WeCom); a real sender draws it afresh for every message.
pub fn encrypt(key: &AesKey, random: &[u8; 16], msg: &str, receive_id: &str) -> Result<String, CryptoError> {
    let msg_len = u32::try_from(msg.len()).map_err(|_| CryptoError::IllegalBuffer)?;
    let mut buf = Vec::with_capacity(HEADER_LEN + msg.len() + receive_id.len() + PAD_BLOCK);
    buf.extend_from_slice(random);
    buf.extend_from_slice(&msg_len.to_be_bytes());
    buf.extend_from_slice(msg.as_bytes());
    buf.extend_from_slice(receive_id.as_bytes());
    let pad = PAD_BLOCK - buf.len() % PAD_BLOCK;
    // pad is 1..=32, so it fits a byte.
    buf.resize(buf.len() + pad, pad as u8);

    let mut cipher =
        cbc::Encryptor::<Aes256>::new_from_slices(key.bytes(), &key.iv()).map_err(|_| CryptoError::IllegalKey)?;
    for block in buf.chunks_exact_mut(AES_BLOCK) {
        cipher.encrypt_block_mut(block.into());
    }
    Ok(STANDARD.encode(buf))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // §11.1 official sample.
    const OFFICIAL_TOKEN: &str = "QDG6eK";
    const OFFICIAL_KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
    const OFFICIAL_CORP: &str = "wx5823bf96d3bd56c7";

    fn key(value: &str) -> AesKey {
        AesKey::from_encoding_aes_key(value).expect("valid key")
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
    }

    #[test]
    fn official_key_and_iv() {
        let k = key(OFFICIAL_KEY);
        assert_eq!(k.bytes().to_vec(), unhex("8d69989bbaabe67328014c194631ad0719b3dca035b64023df292447aab60760"));
        assert_eq!(k.iv().to_vec(), unhex("8d69989bbaabe67328014c194631ad07"));
        assert_eq!(format!("{k:?}"), "AesKey(***)");
    }

    #[test]
    fn official_url_verification_11_1_a() {
        let echostr = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==";
        assert!(verify_signature(
            OFFICIAL_TOKEN,
            "1409659589",
            "263014780",
            echostr,
            "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"
        ));
        let d = decrypt(&key(OFFICIAL_KEY), echostr).expect("decrypts");
        assert_eq!(d.msg, "1616140317555161061");
        assert_eq!(&d.random, b"c41b64491c2468d0");
        assert_eq!(d.receive_id, OFFICIAL_CORP.as_bytes());
    }

    const OFFICIAL_POST_ENCRYPT: &str = "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==";

    #[test]
    fn official_post_11_1_b() {
        assert!(verify_signature(
            OFFICIAL_TOKEN,
            "1409659813",
            "1372623149",
            OFFICIAL_POST_ENCRYPT,
            "477715d11cdb4164915debcba66cb864d751f3e6"
        ));
        // Upper-case hex from a sloppy proxy still verifies.
        assert!(verify_signature(
            OFFICIAL_TOKEN,
            "1409659813",
            "1372623149",
            OFFICIAL_POST_ENCRYPT,
            "477715D11CDB4164915DEBCBA66CB864D751F3E6"
        ));
        assert_eq!(STANDARD.decode(OFFICIAL_POST_ENCRYPT).expect("b64").len(), 352);
        let d = decrypt(&key(OFFICIAL_KEY), OFFICIAL_POST_ENCRYPT).expect("decrypts");
        assert_eq!(&d.random, b"0960688932c47ef1");
        assert_eq!(d.msg.len(), 284);
        assert_eq!(
            d.msg,
            "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n<FromUserName><![CDATA[mycreate]]></FromUserName>\n<CreateTime>1409659813</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[hello]]></Content>\n<MsgId>4561255354251345929</MsgId>\n<AgentID>218</AgentID>\n</xml>"
        );
        assert_eq!(d.receive_id, OFFICIAL_CORP.as_bytes());
        // Re-encrypting with the same random reproduces the sample byte for byte (pad = 30).
        let again = encrypt(&key(OFFICIAL_KEY), &d.random, &d.msg, OFFICIAL_CORP).expect("encrypts");
        assert_eq!(again, OFFICIAL_POST_ENCRYPT);
    }

    // §11.2 wechatpy vectors.
    const WP_TOKEN: &str = "123456";
    const WP_KEY: &str = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";
    const WP_CORP: &str = "wx49f0ab532d5d035a";

    #[test]
    fn wechatpy_verify_11_2_a() {
        let echostr = "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q==";
        let sig = "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96";
        assert!(verify_signature(WP_TOKEN, "1411443780", "437374425", echostr, sig));
        assert!(!verify_signature(WP_TOKEN, "1411443780", "437374424", echostr, sig));
        let d = decrypt(&key(WP_KEY), echostr).expect("decrypts");
        assert_eq!(d.msg, "5927782489442352469");
        assert_eq!(d.receive_id, WP_CORP.as_bytes());
    }

    #[test]
    fn wechatpy_decrypt_11_2_b() {
        let encrypted = "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0=";
        assert!(verify_signature(
            WP_TOKEN,
            "1411525903",
            "461056294",
            encrypted,
            "74d92dfeb87ba7c714f89d98870ae5eb62dff26d"
        ));
        let d = decrypt(&key(WP_KEY), encrypted).expect("decrypts");
        assert_eq!(d.msg.len(), 281);
        assert_eq!(
            d.msg,
            "<xml><ToUserName><![CDATA[wx49f0ab532d5d035a]]></ToUserName>\n<FromUserName><![CDATA[messense]]></FromUserName>\n<CreateTime>1411525903</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[test]]></Content>\n<MsgId>4363689963896700987</MsgId>\n<AgentID>1</AgentID>\n</xml>"
        );
        assert_eq!(d.receive_id, WP_CORP.as_bytes());
    }

    #[test]
    fn wechatpy_deterministic_encrypt_11_2_c() {
        let msg = "<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[test]]></Content>\n<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>\n<ToUserName><![CDATA[messense]]></ToUserName>\n<AgentID>1</AgentID>\n<CreateTime>1411525903</CreateTime>\n</xml>";
        assert_eq!(msg.len(), 247);
        let encrypted = encrypt(&key(WP_KEY), b"1234567890123456", msg, WP_CORP).expect("encrypts");
        assert_eq!(
            encrypted,
            "9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGsL8GqxlhZgURnAtObvesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2Q1qvSUCUld+/WIXrx0oyKQmpB6o8NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0nTYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3"
        );
        assert_eq!(
            signature(WP_TOKEN, "1411525903", "461056294", &encrypted),
            "407518b7649e86ef23978113f92d27afa9296533"
        );
        let d = decrypt(&key(WP_KEY), &encrypted).expect("round trip");
        assert_eq!(d.msg, msg);
    }

    #[test]
    fn go_workwx_vectors_11_3() {
        let echostr = "6KmUQuPVu7UhjyVqRdbo5SfcRqaHvbUlKSHFvBV2ZuR6TIlKsygcfeSd1GDplg1C5KSKr6UPHCaC/nIX3ZNt9w==";
        let d = decrypt(&key("4Ma3YBrSBbX2aez8MJpXGBne5LSDwgGqHbhM9WPYIws"), echostr).expect("decrypts");
        assert_eq!(d.msg, "94966531020182955848408");
        assert_eq!(d.receive_id, b"ww6a112864f8022910");
        assert_eq!(
            signature("kjr2TKI8umCBfVF3wAHk8JiPwma5VBme", "1583940690", "VHh7ymSeb0jc4lSb", echostr),
            "1ba3cb09c0d2c2b3ed6900d37f91a6efae6cb011"
        );

        let encrypted = "fyVN9BUnH6xNl0/VCHTCg6XGxxvoFdyZ7VQbAbBcQ79dVccYvdIyJYZSMMhkPy8LPaoe+V27qjoQ553fXavmrPOgxzHrKKf3YIu63pB4/nN0LY4S+GzUFi/LLFj1TI1sOh0q2jT5u1nYz5G3HFNLd3DFUvJVLtZl8mVMwUOzBpzKZhhmCvIJLVlvym9tt+VYwG06MSbmnf9AzYFKhm1BIy+95Q824ilY6Wy8l+vkFqEdASl2k83jMXvlkVRSB3hmNptWTbq8ygDdLtkCyA4UEiZvfTskqqVkbYwLptRl/1F+DVL9SH/TWt2j3dCm4rzY5jQG+fA+2xh2Kk+OrVgafqtQCfhjq8C38A2IwCcg2BONKk8s5ijFxQoszmXvJQ3zLYbjzRWQ40xhryDyPNNse7/slKVW2QMBEUPNOxUcX9k=";
        assert!(verify_signature(
            "kz7Yx62CH8SaLN",
            "1583995625",
            "1584392382",
            encrypted,
            "a44d1b7dc3dc4b02edd99dc32afa6a26be7c92f6"
        ));
        let d = decrypt(&key("cD0d7jx4tYvVtzqrmh3Dm3QFCXe6f8SlHoMtMh3qQEP"), encrypted).expect("decrypts");
        assert_eq!(
            d.msg,
            "<xml><ToUserName><![CDATA[wwf181555a13a31443]]></ToUserName><FromUserName><![CDATA[xen0n]]></FromUserName><CreateTime>1583995625</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[x123]]></Content><MsgId>2018405441</MsgId><AgentID>1000002</AgentID></xml>"
        );
        assert_eq!(d.receive_id, b"wwf181555a13a31443");
    }

    #[test]
    fn self_generated_change_contact_11_4() {
        let msg = "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_contact]]></Event><ChangeType><![CDATA[update_user]]></ChangeType><UserID><![CDATA[zhangsan]]></UserID><NewUserID><![CDATA[zhangsan001]]></NewUserID><Department><![CDATA[1,2]]></Department></xml>";
        assert_eq!(msg.len(), 393);
        let encrypted = encrypt(&key(OFFICIAL_KEY), b"0123456789abcdef", msg, OFFICIAL_CORP).expect("encrypts");
        assert_eq!(encrypted, super::super::tests::VECTOR_11_4_ENCRYPT);
        assert_eq!(
            signature(OFFICIAL_TOKEN, "1700000000", "1234567890", &encrypted),
            "d401266b317d97ead229b8566c650485cc775fe4"
        );
    }

    #[test]
    fn key_format() {
        assert_eq!(check_encoding_aes_key(OFFICIAL_KEY), Ok(()));
        assert_eq!(check_encoding_aes_key(&OFFICIAL_KEY[..42]), Err(KeyProblem::Length(42)));
        assert_eq!(check_encoding_aes_key(&format!("{OFFICIAL_KEY}A")), Err(KeyProblem::Length(44)));
        assert_eq!(check_encoding_aes_key(&format!("{}=", &OFFICIAL_KEY[..42])), Err(KeyProblem::BadCharacter('=')));
        assert_eq!(check_encoding_aes_key(&format!("{}-", &OFFICIAL_KEY[..42])), Err(KeyProblem::BadCharacter('-')));
        assert_eq!(check_encoding_aes_key(&format!("{}键", &OFFICIAL_KEY[..42])), Err(KeyProblem::BadCharacter('键')));
        assert_eq!(check_encoding_aes_key(""), Err(KeyProblem::Length(0)));
        // `+` and `/` are base64 and decode to a key.
        assert!(AesKey::from_encoding_aes_key(&format!("{}+/", &OFFICIAL_KEY[..41])).is_ok());
        assert_eq!(AesKey::from_encoding_aes_key("short"), Err(CryptoError::IllegalKey));
    }

    #[test]
    fn token_format() {
        assert_eq!(check_token("QDG6eK"), Ok(()));
        assert_eq!(check_token("kjr2TKI8umCBfVF3wAHk8JiPwma5VBme"), Ok(()));
        assert_eq!(check_token(&"a".repeat(33)), Err(TokenProblem::TooLong(33)));
        assert_eq!(check_token(""), Err(TokenProblem::Empty));
        assert_eq!(check_token("ab_c"), Err(TokenProblem::BadCharacter('_')));
    }

    /// Encrypts a raw plaintext buffer (already padded or not) to provoke decrypt-side failures.
    fn raw_encrypt(k: &AesKey, mut buf: Vec<u8>) -> String {
        let mut cipher = cbc::Encryptor::<Aes256>::new_from_slices(k.bytes(), &k.iv()).expect("key");
        for block in buf.chunks_exact_mut(AES_BLOCK) {
            cipher.encrypt_block_mut(block.into());
        }
        STANDARD.encode(buf)
    }

    #[test]
    fn hostile_ciphertexts_fail_cleanly() {
        let k = key(OFFICIAL_KEY);
        assert_eq!(decrypt(&k, ""), Err(CryptoError::BadLength));
        assert_eq!(decrypt(&k, "not base64!"), Err(CryptoError::BadBase64));
        assert_eq!(decrypt(&k, "AAAA"), Err(CryptoError::BadLength));
        // Pad byte 0, 33, and inconsistent pad bytes.
        for last in [0u8, 33, 255] {
            let mut buf = vec![7u8; 32];
            buf[31] = last;
            assert_eq!(decrypt(&k, &raw_encrypt(&k, buf)), Err(CryptoError::BadPadding), "pad {last}");
        }
        // Pad length 3 but one of the three pad bytes says 4.
        let mut buf = vec![0u8; 32];
        buf[29..].copy_from_slice(&[4, 3, 3]);
        assert_eq!(decrypt(&k, &raw_encrypt(&k, buf)), Err(CryptoError::BadPadding));
        // A whole block of padding leaves nothing: too short for the header.
        assert_eq!(decrypt(&k, &raw_encrypt(&k, vec![32u8; 32])), Err(CryptoError::IllegalBuffer));
        // msg_len past the end of the buffer, and the largest msg_len.
        for len in [13u32, u32::MAX] {
            let mut buf = vec![b'r'; 16];
            buf.extend_from_slice(&len.to_be_bytes());
            buf.extend_from_slice(b"hello");
            let pad = 32 - buf.len() % 32;
            buf.resize(buf.len() + pad, pad as u8);
            assert_eq!(decrypt(&k, &raw_encrypt(&k, buf)), Err(CryptoError::IllegalBuffer), "len {len}");
        }
        // A message that is not UTF-8.
        let mut buf = vec![b'r'; 16];
        buf.extend_from_slice(&2u32.to_be_bytes());
        buf.extend_from_slice(&[0xff, 0xfe]);
        let pad = 32 - buf.len() % 32;
        buf.resize(buf.len() + pad, pad as u8);
        assert_eq!(decrypt(&k, &raw_encrypt(&k, buf)), Err(CryptoError::IllegalBuffer));
        // The wrong key almost always fails on the padding; it never panics or succeeds quietly.
        let other = key(WP_KEY);
        assert!(decrypt(&other, OFFICIAL_POST_ENCRYPT).is_err());
    }

    #[test]
    fn unicode_message_length_counts_bytes() {
        let k = key(OFFICIAL_KEY);
        let msg = "<xml><Name><![CDATA[张三]]></Name></xml>";
        let encrypted = encrypt(&k, b"0123456789abcdef", msg, OFFICIAL_CORP).expect("encrypts");
        let d = decrypt(&k, &encrypted).expect("decrypts");
        assert_eq!(d.msg, msg);
        assert_eq!(d.receive_id, OFFICIAL_CORP.as_bytes());
    }
}
