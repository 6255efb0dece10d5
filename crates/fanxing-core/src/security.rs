//! Secrets: password hashes, session and API tokens, and the field cipher
//! that keeps ID numbers unreadable to anyone holding only the database.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Minimum password length accepted when an account is created.
pub const PASSWORD_MIN: usize = 8;

/// Hashes a password with argon2id (the crate's default parameters, which
/// follow the OWASP recommendation) and a random salt, in PHC string form.
pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::encode_b64(&random_bytes::<16>())
        .map_err(|e| Error::Store(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Store(format!("argon2: {e}")))
}

/// Checks a password against a stored PHC hash. A malformed hash never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash that costs as much to check as a real one, used when the login
/// name is unknown so that timing does not reveal which accounts exist.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hash_password("fanxing-timing-equaliser").unwrap_or_default());
    &DUMMY
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    rand::rng().fill_bytes(&mut b);
    b
}

/// A new random bearer secret (256 bits, URL-safe).
pub fn new_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// What the database keeps of a token: its SHA-256, so a stolen database
/// yields no usable session or API token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares two strings in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// AES-256-GCM over single fields. Each value gets a fresh 96-bit nonce,
/// stored in front of the ciphertext.
#[derive(Clone)]
pub struct FieldCipher {
    cipher: Aes256Gcm,
    /// For deriving per-purpose secrets (e.g. calendar feed links) without
    /// storing them: never the encryption key itself.
    derive_key: [u8; 32],
}

impl std::fmt::Debug for FieldCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FieldCipher(..)")
    }
}

impl FieldCipher {
    pub fn new(key: &[u8; 32]) -> FieldCipher {
        let mut h = Sha256::new();
        h.update(b"fanxing derive v1");
        h.update(key);
        FieldCipher {
            cipher: Aes256Gcm::new(key.into()),
            derive_key: h.finalize().into(),
        }
    }

    /// A stable secret for `context` (e.g. `calendar:42`), URL-safe, that
    /// can be recomputed to check a link but not guessed without the key.
    pub fn derive(&self, context: &str) -> String {
        let mut h = Sha256::new();
        h.update(self.derive_key);
        h.update(context.as_bytes());
        hex::encode(&h.finalize()[..16])
    }

    /// The keyed hash an ID number is found by: equal numbers give equal
    /// keys, and a key tells nothing of its number without the data key.
    pub fn id_number_key(&self, id_number: &str) -> String {
        self.derive(&format!("id_number:{id_number}"))
    }

    /// Parses a key given as 64 hex characters.
    pub fn from_hex(hex_key: &str) -> Result<FieldCipher> {
        let bytes = hex::decode(hex_key.trim())
            .map_err(|_| Error::Message("the data key must be 64 hex characters".into()))?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| Error::Message("the data key must be 64 hex characters".into()))?;
        Ok(FieldCipher::new(&key))
    }

    pub fn encrypt(&self, plaintext: &str) -> Vec<u8> {
        self.encrypt_bytes(plaintext.as_bytes())
    }

    pub fn encrypt_bytes(&self, plaintext: &[u8]) -> Vec<u8> {
        let nonce = random_bytes::<12>();
        let mut out = nonce.to_vec();
        // Encryption with a valid key and nonce cannot fail for in-memory data.
        let ct = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext)
            .unwrap_or_default();
        out.extend(ct);
        out
    }

    pub fn decrypt(&self, blob: &[u8]) -> Result<String> {
        String::from_utf8(self.decrypt_bytes(blob)?)
            .map_err(|_| Error::Store("encrypted field is not UTF-8".into()))
    }

    pub fn decrypt_bytes(&self, blob: &[u8]) -> Result<Vec<u8>> {
        if blob.len() < 12 + 16 {
            return Err(Error::Store("encrypted field too short".into()));
        }
        let (nonce, ct) = blob.split_at(12);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), ct)
            .map_err(|_| Error::Store("encrypted field does not decrypt with this key".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_round_trip_with_argon2id() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
        assert!(constant_time_eq(&a, &a.clone()));
        assert!(!constant_time_eq(&a, &b));
    }

    #[test]
    fn cipher_round_trips_and_hides_plaintext() {
        let c = FieldCipher::new(&[7u8; 32]);
        let blob = c.encrypt("11010519491231002X");
        assert!(!String::from_utf8_lossy(&blob).contains("19491231"));
        assert_eq!(c.decrypt(&blob).unwrap(), "11010519491231002X");
        assert_ne!(
            blob,
            c.encrypt("11010519491231002X"),
            "fresh nonce each time"
        );
        let other = FieldCipher::new(&[8u8; 32]);
        assert!(other.decrypt(&blob).is_err());
        assert_eq!(c.derive("calendar:1"), c.derive("calendar:1"));
        assert_ne!(c.derive("calendar:1"), c.derive("calendar:2"));
        assert_ne!(c.derive("calendar:1"), other.derive("calendar:1"));
    }
}
