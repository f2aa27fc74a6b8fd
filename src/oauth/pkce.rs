//! Random values of the authorization request: `state` and `nonce`, and
//! their constant-time check. The PKCE pair (RFC 7636, S256) is the
//! `oauth2` crate's `PkceCodeChallenge::new_random_sha256`.
//!
//! `nonce` is our own [`Secret`]: the crate has no type for it (it is
//! OpenID Connect's, not OAuth's).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauth2::CsrfToken;
use rand::RngCore;

use crate::secret::Secret;

/// `n` random bytes from the OS, base64url without padding.
pub fn random_b64(n: usize) -> String {
    let mut b = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// 256-bit `state` (the spec asks for at least 122 bits of entropy).
pub fn new_state() -> CsrfToken {
    CsrfToken::new(random_b64(32))
}

pub fn new_nonce() -> Secret {
    Secret::new(random_b64(32))
}

/// Constant-time comparison, for `state` and `nonce` checks.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use oauth2::{PkceCodeChallenge, PkceCodeVerifier};

    #[test]
    fn rfc7636_appendix_b_example() {
        let v = PkceCodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
        let c = PkceCodeChallenge::from_code_verifier_sha256(&v);
        assert_eq!(c.as_str(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert_eq!(c.method().as_str(), "S256");
    }

    #[test]
    fn verifiers_and_states_are_long_random_and_url_safe() {
        let (_, a) = PkceCodeChallenge::new_random_sha256();
        let (_, b) = PkceCodeChallenge::new_random_sha256();
        assert_eq!(a.secret().len(), 43);
        assert_ne!(a.secret(), b.secret());
        let url_safe = |s: &str| {
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        assert!(url_safe(a.secret()));
        let (s1, s2) = (new_state(), new_state());
        assert_eq!(s1.secret().len(), 43, "256 bits");
        assert!(url_safe(s1.secret()));
        assert_ne!(s1.secret(), s2.secret());
    }

    #[test]
    fn same_compares_exactly() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
    }
}
