//! The platform's own password check, which host-sim plays when `decide_login` asks a member to
//! prove an account (`needs: password`). Passwords are stored only as salted slow hashes:
//! PBKDF2-HMAC-SHA256 with 600,000 iterations (OWASP's 2023 figure for it) and a 16-byte random
//! salt, as `pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>`. PBKDF2 rather than Argon2: it is
//! built from the SHA-2 and HMAC crates of the same RustCrypto family the build already carries
//! for WeCom's SHA-1 signatures (two small crates instead of Argon2's tree), and its cost is
//! stored with each hash, so it can be raised later without invalidating stored passwords.

use hmac::Hmac;
use sha2::Sha256;

/// Iterations for new hashes.
pub const ITERATIONS: u32 = 600_000;
const PREFIX: &str = "pbkdf2-sha256";

/// A new salted hash of `password`.
pub fn hash(password: &str) -> String {
    // From the OS random source like the platform's session ids: salts must never repeat across
    // processes, which a PRNG seeded per process does not promise.
    let mut salt = [0u8; 16];
    if getrandom::getrandom(&mut salt).is_err() {
        panic!("操作系统随机数不可用 / the OS random source failed");
    }
    hash_with(password, &salt, ITERATIONS)
}

/// A salted hash at a given cost (the sample organisation's public demo passwords use a low one,
/// see [`crate::host::sample::password_hashes`]).
pub(crate) fn hash_with(password: &str, salt: &[u8], iterations: u32) -> String {
    let mut out = [0u8; 32];
    // Only fails for an output length HMAC cannot give; 32 bytes always works.
    let _ = pbkdf2::pbkdf2::<Hmac<Sha256>>(password.as_bytes(), salt, iterations, &mut out);
    format!("{PREFIX}${iterations}${}${}", hex(salt), hex(&out))
}

/// True when `password` matches the stored hash (compared in constant time).
pub fn verify(password: &str, stored: &str) -> bool {
    let mut parts = stored.split('$');
    let (Some(PREFIX), Some(iterations), Some(salt), Some(expected), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let (Ok(iterations), Some(salt)) = (iterations.parse::<u32>(), unhex(salt)) else { return false };
    if iterations == 0 {
        return false;
    }
    let computed = hash_with(password, &salt, iterations);
    let computed = computed.rsplit('$').next().unwrap_or_default();
    computed.len() == expected.len()
        && computed.bytes().zip(expected.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only_and_is_salted() {
        let a = hash_with("correct horse", b"0123456789abcdef", 1000);
        assert!(verify("correct horse", &a));
        assert!(!verify("correct horsE", &a));
        assert!(!verify("correct horse", "garbage"));
        let b = hash_with("correct horse", b"fedcba9876543210", 1000);
        assert_ne!(a, b, "another salt, another hash");
        assert!(!a.contains("correct horse"));
    }
}
