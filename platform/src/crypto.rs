//! Sealing of secrets at rest: session records and IdP tokens are stored encrypted and
//! authenticated (XChaCha20-Poly1305) with keys derived from the session secret per purpose
//! (HKDF-SHA256, RFC 5869), so the database never holds a token in clear and a value sealed
//! for one purpose never opens as another.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

#[derive(Clone)]
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
}

#[derive(Debug, thiserror::Error)]
#[error("a sealed value could not be opened (wrong session secret or tampered data)")]
pub struct OpenError;

/// Encryption refused the value (only a plaintext beyond the cipher's length limit, about
/// 256 GiB, can cause it).
#[derive(Debug, thiserror::Error)]
#[error("a value could not be sealed")]
pub struct SealError;

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

/// What a key seals: each purpose has its own key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SealPurpose {
    /// tower-sessions records (`sessions` table).
    SessionRecords,
    /// The IdP's access, refresh and ID tokens (`auth_tokens` table).
    IdpTokens,
    /// A sign-in under way (state, nonce, PKCE verifier), kept in a short-lived cookie.
    SignInState,
}

impl SealPurpose {
    /// HKDF's `info`: names the purpose and the key's version.
    fn info(self) -> &'static [u8] {
        match self {
            SealPurpose::SessionRecords => b"dezky/seal/session-records/v1",
            SealPurpose::IdpTokens => b"dezky/seal/idp-tokens/v1",
            SealPurpose::SignInState => b"dezky/seal/sign-in-state/v1",
        }
    }
}

impl SecretBox {
    /// A 256-bit key from `HKDF-SHA256(salt = "dezky-console", ikm = secret, info = purpose)`.
    pub fn new(secret: &SecretString, purpose: SealPurpose) -> Self {
        let hkdf =
            hkdf::Hkdf::<Sha256>::new(Some(b"dezky-console"), secret.expose_secret().as_bytes());
        let mut key = chacha20poly1305::Key::default();
        // 32 bytes is far below HKDF-SHA256's 8160-byte limit: expand cannot fail.
        let _ = hkdf.expand(purpose.info(), &mut key);
        Self {
            cipher: XChaCha20Poly1305::new(&key),
        }
    }

    /// Base64url(nonce ‖ ciphertext ‖ tag), a fresh random 24-byte nonce each time.
    pub fn seal(&self, plain: &[u8]) -> Result<String, SealError> {
        let mut nonce = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), plain)
            .map_err(|_| SealError)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(URL_SAFE_NO_PAD.encode(out))
    }

    pub fn open(&self, sealed: &str) -> Result<Vec<u8>, OpenError> {
        let raw = URL_SAFE_NO_PAD.decode(sealed).map_err(|_| OpenError)?;
        if raw.len() < 24 {
            return Err(OpenError);
        }
        let (nonce, body) = raw.split_at(24);
        self.cipher
            .decrypt(XNonce::from_slice(nonce), body)
            .map_err(|_| OpenError)
    }

    pub fn seal_str(&self, plain: &SecretString) -> Result<String, SealError> {
        self.seal(plain.expose_secret().as_bytes())
    }

    pub fn open_str(&self, sealed: &str) -> Result<SecretString, OpenError> {
        let bytes = self.open(sealed)?;
        String::from_utf8(bytes)
            .map(SecretString::from)
            .map_err(|_| OpenError)
    }
}

/// A random URL-safe token of `bytes` bytes of entropy.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// A new OAuth client secret: 128 letters and digits (about 762 bits), the shape Authentik
/// generates (`generate_client_secret`, authentik/providers/oauth2/models.py). Held in a
/// `SecretString`: shown once to the admin, never stored or printed.
pub fn client_secret() -> SecretString {
    use rand::distributions::{Alphanumeric, DistString};
    SecretString::from(Alphanumeric.sample_string(&mut rand::thread_rng(), 128))
}

/// A one-time password for a new member or a reset: 4 groups of 5 characters from an
/// alphabet without look-alikes (about 114 bits), each group mixing cases and digits, so it
/// passes Stalwart's strength check (zxcvbn score 3 or more, 8 to 128 characters). Held in a
/// `SecretString`: it never prints in `Debug`, logs or audit details.
pub fn one_time_password() -> SecretString {
    const LOWER: &[u8] = b"abcdefghijkmnpqrstuvwxyz";
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const DIGITS: &[u8] = b"23456789";
    let all: Vec<u8> = [LOWER, UPPER, DIGITS].concat();
    let mut rng = rand::thread_rng();
    let mut pick = |set: &[u8]| set[(rng.next_u32() as usize) % set.len()] as char;
    let groups: Vec<String> = (0..4)
        .map(|_| {
            let mut g: Vec<char> = vec![pick(LOWER), pick(UPPER), pick(DIGITS)];
            g.extend((0..2).map(|_| pick(&all)));
            // Rotate so the classes do not always sit at the same positions.
            let r = (g[3] as usize) % 5;
            g.rotate_left(r);
            g.into_iter().collect()
        })
        .collect();
    SecretString::from(groups.join("-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_time_passwords_are_strong_and_different() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..300 {
            let p = one_time_password();
            let s = p.expose_secret();
            assert_eq!(s.len(), 23);
            assert!(s.chars().any(|c| c.is_ascii_uppercase()));
            assert!(s.chars().any(|c| c.is_ascii_digit()));
            let score = zxcvbn::zxcvbn(s, &[]).score();
            assert!(u8::from(score) >= 3, "{s} scored {score:?}");
            assert!(seen.insert(s.to_string()), "repeated {s}");
            assert!(!format!("{p:?}").contains(s), "Debug shows the secret");
        }
    }

    #[test]
    fn sealed_values_round_trip_and_hide_the_plain_text() {
        let b = SecretBox::new(&SecretString::from("k".repeat(32)), SealPurpose::IdpTokens);
        let sealed = b.seal(b"refresh-token-value").unwrap();
        assert!(!sealed.contains("refresh"));
        assert_eq!(b.open(&sealed).unwrap(), b"refresh-token-value");
    }

    #[test]
    fn each_purpose_has_its_own_key() {
        let secret = SecretString::from("s".repeat(40));
        let sessions = SecretBox::new(&secret, SealPurpose::SessionRecords);
        let tokens = SecretBox::new(&secret, SealPurpose::IdpTokens);
        let sealed = sessions.seal(b"record").unwrap();
        assert!(
            tokens.open(&sealed).is_err(),
            "a session record opens only as one"
        );
        assert_eq!(sessions.open(&sealed).unwrap(), b"record");
        // Not the bare hash of the secret the first version used.
        use sha2::Digest;
        let bare = XChaCha20Poly1305::new(&sha2::Sha256::digest(secret.expose_secret().as_bytes()));
        let raw = URL_SAFE_NO_PAD.decode(&sealed).unwrap();
        let (nonce, body) = raw.split_at(24);
        assert!(bare.decrypt(XNonce::from_slice(nonce), body).is_err());
    }

    #[test]
    fn a_tampered_or_foreign_value_does_not_open() {
        let b = SecretBox::new(&SecretString::from("one"), SealPurpose::IdpTokens);
        let other = SecretBox::new(&SecretString::from("two"), SealPurpose::IdpTokens);
        let sealed = b.seal(b"x").unwrap();
        assert!(other.open(&sealed).is_err());
        let mut tampered = sealed.into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert!(b.open(std::str::from_utf8(&tampered).unwrap()).is_err());
    }
}
