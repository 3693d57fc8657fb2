//! Password hashing, random tokens and the master key that encrypts provider credentials.

use crate::error::{Error, Result};
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

pub fn fill_random(buf: &mut [u8]) {
    // The OS random source failing leaves nothing safe to do; it never fails on Linux
    // after boot.
    #[allow(clippy::expect_used)]
    getrandom::fill(buf).expect("the operating system's random source is unavailable");
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A URL-safe random token with 256 bits of entropy (session CSRF tokens, invitation links).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    fill_random(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Tokens are stored only as their SHA-256, so a database leak does not leak live links.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Hex SHA-256 of any bytes (file fingerprints).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Constant-time comparison for secrets.
pub fn secure_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// HMAC-SHA256 (RFC 2104).
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

fn argon2id() -> Argon2<'static> {
    // OWASP's minimum for argon2id: 19 MiB of memory, 2 passes, 1 lane.
    #[allow(clippy::expect_used)]
    let params = Params::new(19_456, 2, 1, None).expect("constant argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash_password(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    fill_random(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| Error::internal(format!("salt: {e}")))?;
    argon2id()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::internal(format!("password hash: {e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            argon2id()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Argon2 costs tens of milliseconds of CPU and 19 MiB per hash. On the async worker
/// threads a burst of logins would stall every other request, so hashing runs on the
/// blocking pool, at most this many at once; the rest wait their turn without holding a
/// thread.
const CONCURRENT_HASHES: usize = 2;
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(CONCURRENT_HASHES);

static IN_FLIGHT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static PEAK: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The most password hashes this process has ever computed at the same moment; never more
/// than the cap (tests check that a burst of logins keeps to it).
pub fn peak_concurrent_hashes() -> usize {
    PEAK.load(std::sync::atomic::Ordering::SeqCst)
}

async fn off_the_async_threads<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    use std::sync::atomic::Ordering::SeqCst;
    let _permit = HASHING
        .acquire()
        .await
        .map_err(|_| Error::internal("password hashing is shut down"))?;
    let now = IN_FLIGHT.fetch_add(1, SeqCst) + 1;
    PEAK.fetch_max(now, SeqCst);
    let done = tokio::task::spawn_blocking(work).await;
    IN_FLIGHT.fetch_sub(1, SeqCst);
    done.map_err(|e| Error::internal(format!("password hashing task: {e}")))
}

/// [`hash_password`] on the blocking pool, within the concurrency cap.
pub async fn hash_password_async(password: String) -> Result<String> {
    off_the_async_threads(move || hash_password(&password)).await?
}

/// [`verify_password`] on the blocking pool, within the concurrency cap. `None` verifies
/// against [`dummy_password_hash`], so an unknown account costs the same time.
pub async fn verify_password_async(password: String, hash: Option<String>) -> Result<bool> {
    off_the_async_threads(move || match hash {
        Some(hash) => verify_password(&password, &hash),
        None => {
            let _ = verify_password(&password, dummy_password_hash());
            false
        }
    })
    .await
}

/// A hash of a password nobody has, verified against when an email is unknown so a failed
/// login takes as long whether or not the account exists.
pub fn dummy_password_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password(&random_token()).unwrap_or_default())
}

/// AES-256-GCM keys by id. New ciphertexts use the current key; old ones name the key they
/// were made with, so a key can be rotated by adding a new current key and keeping the old.
#[derive(Clone)]
pub struct MasterKeys {
    current: String,
    keys: Vec<(String, [u8; 32])>,
}

impl std::fmt::Debug for MasterKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MasterKeys")
            .field("current", &self.current)
            .finish_non_exhaustive()
    }
}

impl MasterKeys {
    /// Parses `id:base64key[,id:base64key...]`; the first key is the current one.
    pub fn parse(spec: &str) -> Result<Self> {
        let mut keys = Vec::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (id, b64) = part.split_once(':').ok_or_else(|| {
                Error::internal("a master key is written as id:base64 (32 bytes)")
            })?;
            let bytes = STANDARD
                .decode(b64.trim())
                .map_err(|_| Error::internal(format!("master key `{id}` is not valid base64")))?;
            let key: [u8; 32] = bytes
                .try_into()
                .map_err(|_| Error::internal(format!("master key `{id}` must be 32 bytes")))?;
            keys.push((id.trim().to_owned(), key));
        }
        let current = keys
            .first()
            .map(|(id, _)| id.clone())
            .ok_or_else(|| Error::internal("no master key given"))?;
        Ok(Self { current, keys })
    }

    /// A fresh key spec with one random key, for first runs.
    pub fn generate_spec() -> String {
        let mut key = [0u8; 32];
        fill_random(&mut key);
        let mut id = [0u8; 4];
        fill_random(&mut id);
        format!("k{}:{}", hex(&id), STANDARD.encode(key))
    }

    pub fn current_id(&self) -> &str {
        &self.current
    }

    fn key(&self, id: &str) -> Option<&[u8; 32]> {
        self.keys.iter().find(|(k, _)| k == id).map(|(_, key)| key)
    }

    /// Encrypts to `keyid:base64(nonce || ciphertext)`.
    pub fn encrypt(&self, plaintext: &[u8]) -> Result<String> {
        let key = self
            .key(&self.current)
            .ok_or_else(|| Error::internal("current key missing"))?;
        let cipher = Aes256Gcm::new(key.into());
        let mut nonce = [0u8; 12];
        fill_random(&mut nonce);
        let sealed = cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext)
            .map_err(|_| Error::internal("encryption failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{}:{}", self.current, STANDARD.encode(out)))
    }

    /// A hex HMAC-SHA256 of `message` under a key derived from the current master key for
    /// `purpose`, so signatures for one use (media links, say) never verify for another.
    pub fn mac(&self, purpose: &str, message: &[u8]) -> String {
        let key = self.key(&self.current).map(|k| k.as_slice()).unwrap_or(&[]);
        let derived = hmac_sha256(key, format!("msgbuddy:{purpose}").as_bytes());
        hex(&hmac_sha256(&derived, message))
    }

    /// Whether `signature` is [`MasterKeys::mac`] of `message`, compared in constant time.
    pub fn verify_mac(&self, purpose: &str, message: &[u8], signature: &str) -> bool {
        secure_eq(self.mac(purpose, message).as_bytes(), signature.as_bytes())
    }

    pub fn decrypt(&self, stored: &str) -> Result<Vec<u8>> {
        let (id, b64) = stored
            .split_once(':')
            .ok_or_else(|| Error::internal("ciphertext has no key id"))?;
        let key = self
            .key(id)
            .ok_or_else(|| Error::internal(format!("ciphertext uses unknown key `{id}`")))?;
        let raw = STANDARD
            .decode(b64)
            .map_err(|_| Error::internal("ciphertext is not base64"))?;
        if raw.len() < 12 {
            return Err(Error::internal("ciphertext is too short"));
        }
        let (nonce, sealed) = raw.split_at(12);
        Aes256Gcm::new(key.into())
            .decrypt(Nonce::from_slice(nonce), sealed)
            .map_err(|_| Error::internal("ciphertext failed authentication"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_the_rfc_4231_vectors() {
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // A key longer than the block is hashed first (test case 6).
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn a_mac_verifies_only_for_its_purpose_message_and_key() {
        let keys = MasterKeys::parse(&MasterKeys::generate_spec()).expect("keys");
        let other = MasterKeys::parse(&MasterKeys::generate_spec()).expect("keys");
        let sig = keys.mac("media", b"med_1:100");
        assert!(keys.verify_mac("media", b"med_1:100", &sig));
        assert!(!keys.verify_mac("media", b"med_1:101", &sig));
        assert!(!keys.verify_mac("export", b"med_1:100", &sig));
        assert!(!other.verify_mac("media", b"med_1:100", &sig));
    }

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let hash = hash_password("correct horse").expect("hashes");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn ciphertexts_name_their_key_and_survive_rotation() {
        let old = MasterKeys::parse(&MasterKeys::generate_spec()).expect("old key");
        let sealed = old.encrypt(b"EAAG-token").expect("encrypts");
        assert!(sealed.starts_with(&format!("{}:", old.current_id())));
        let old_spec = format!("{}:{}", old.current_id(), STANDARD.encode(old.keys[0].1));
        let rotated = MasterKeys::parse(&format!("{},{old_spec}", MasterKeys::generate_spec()))
            .expect("both");
        assert_ne!(rotated.current_id(), old.current_id());
        assert_eq!(
            rotated
                .decrypt(&sealed)
                .expect("old ciphertext still opens"),
            b"EAAG-token"
        );
        let resealed = rotated.encrypt(b"x").expect("encrypts");
        assert!(resealed.starts_with(rotated.current_id()));
    }

    #[test]
    fn tampered_or_foreign_ciphertexts_are_rejected() {
        let keys = MasterKeys::parse(&MasterKeys::generate_spec()).expect("key");
        let sealed = keys.encrypt(b"secret").expect("encrypts");
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(keys.decrypt(&tampered).is_err());
        let other = MasterKeys::parse(&MasterKeys::generate_spec()).expect("key");
        assert!(other.decrypt(&sealed).is_err());
        assert!(MasterKeys::parse("k1:dG9vIHNob3J0").is_err());
        assert!(MasterKeys::parse("").is_err());
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a).len(), 64);
        assert!(secure_eq(b"abc", b"abc"));
        assert!(!secure_eq(b"abc", b"abd"));
    }
}
