//! Web identity tokens (OpenID Connect JWTs) for `AssumeRoleWithWebIdentity`: the issuers' signing
//! keys given offline (JWKS files), and the verification AWS STS does before it weighs the role's
//! trust policy: the signature by the key the header's `kid` names, the algorithm among those AWS
//! accepts, and the token's times (decision D100).
//!
//! The signature is checked by `jsonwebtoken`; the times are checked here against the caller's
//! clock, because the crate reads the system clock and the server's clock is injectable.

use std::collections::BTreeMap;

use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

/// The longest `WebIdentityToken` AWS takes (characters).
pub const MAX_TOKEN_LENGTH: usize = 20_000;
/// How far in the future a token's `nbf` or `iat` may be (seconds): clocks drift. An expired token
/// gets no grace (decision D100).
pub const FUTURE_TOLERANCE: i64 = 300;

/// Why a web identity token was not accepted. [`TokenError::code`] gives AWS's error code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenError {
    /// Not a JWT (three base64url parts, JSON header and claims), or a claim of the wrong type.
    Malformed(String),
    /// The token names an algorithm AWS STS does not accept, or one iamspect cannot verify.
    Algorithm(String),
    /// No keys were given for the token's issuer (`iamspect serve --oidc-jwks`).
    NoKeys(String),
    /// The issuer's keys hold no key the token's `kid` names (or, without a `kid`, not exactly one
    /// key of the algorithm's type).
    NoKey(String),
    /// The signature does not verify with the issuer's key.
    Signature,
    /// `exp` is at or before now.
    Expired,
    /// `nbf` or `iat` is further in the future than [`FUTURE_TOLERANCE`].
    NotYetValid(String),
}

impl TokenError {
    /// AWS's error code and HTTP status for the failure.
    pub fn code(&self) -> (&'static str, u16) {
        match self {
            TokenError::Expired => ("ExpiredTokenException", 400),
            TokenError::NoKeys(_) => ("IDPCommunicationError", 400),
            _ => ("InvalidIdentityToken", 400),
        }
    }
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenError::Malformed(m) => write!(f, "the web identity token is not a valid JWT: {m}"),
            TokenError::Algorithm(m) => f.write_str(m),
            TokenError::NoKeys(issuer) => write!(
                f,
                "iamspect holds no signing keys for the issuer `{issuer}`; give them with `iamspect serve --oidc-jwks {issuer}=JWKS.json`"
            ),
            TokenError::NoKey(m) => f.write_str(m),
            TokenError::Signature => f.write_str("the web identity token's signature does not verify"),
            TokenError::Expired => f.write_str(
                "Token expired: the web identity token that was passed is expired. Get a new identity token from the identity provider and then retry the request.",
            ),
            TokenError::NotYetValid(m) => f.write_str(m),
        }
    }
}

/// A token whose signature and times verified.
#[derive(Clone, Debug, PartialEq)]
pub struct VerifiedToken {
    /// The issuer as AWS names providers: the `iss` claim without `https://`.
    pub issuer: String,
    /// All the claims.
    pub claims: Map<String, Value>,
}

struct IssuerKey {
    kid: Option<String>,
    algorithm: Option<Algorithm>,
    key: DecodingKey,
}

/// The signing keys of OIDC issuers, by issuer (without `https://`).
#[derive(Default)]
pub struct OidcKeys {
    by_issuer: BTreeMap<String, Vec<IssuerKey>>,
}

impl std::fmt::Debug for OidcKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.by_issuer.iter().map(|(k, v)| (k, v.len()))).finish()
    }
}

/// An issuer as AWS names providers (ARNs, context keys): without `https://`, trailing `/` kept.
pub fn issuer_name(iss: &str) -> &str {
    iss.strip_prefix("https://").unwrap_or(iss)
}

/// The algorithms AWS STS accepts for web identity tokens and iamspect verifies.
fn accepted(alg: Algorithm) -> Result<(), TokenError> {
    match alg {
        Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512 | Algorithm::ES256 | Algorithm::ES384 => Ok(()),
        other => Err(TokenError::Algorithm(format!(
            "the web identity token is signed with {other:?}; AWS STS accepts RS256, RS384, RS512, ES256, ES384 and ES512 (ES512 is not verified by iamspect)"
        ))),
    }
}

impl OidcKeys {
    /// No keys.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether keys were given for `issuer` (with or without `https://`).
    pub fn has_issuer(&self, issuer: &str) -> bool {
        self.by_issuer.contains_key(issuer_name(issuer))
    }

    /// The issuers keys were given for.
    pub fn issuers(&self) -> impl Iterator<Item = &str> {
        self.by_issuer.keys().map(String::as_str)
    }

    /// Adds the keys of a JWKS document (`{"keys": [...]}`, as an issuer's `jwks_uri` serves) for
    /// `issuer`; how many. Keys marked for encryption (`"use": "enc"`) are not signing keys and are
    /// refused, as is any key the verifier cannot use, so nothing in the file is silently dropped.
    ///
    /// # Errors
    /// When the text is not a JWKS, holds no key, or holds a key that cannot verify signatures.
    pub fn add_jwks(&mut self, issuer: &str, text: &str) -> Result<usize, String> {
        let issuer = issuer_name(issuer.trim());
        if issuer.is_empty() {
            return Err("the issuer is empty".to_string());
        }
        let set: JwkSet = serde_json::from_str(text).map_err(|e| format!("not a JWKS (`{{\"keys\": [...]}}`): {e}"))?;
        if set.keys.is_empty() {
            return Err("the JWKS holds no keys".to_string());
        }
        let mut keys = Vec::with_capacity(set.keys.len());
        for (i, jwk) in set.keys.iter().enumerate() {
            keys.push(issuer_key(jwk).map_err(|e| format!("key {} ({}): {e}", i + 1, describe(jwk)))?);
        }
        let n = keys.len();
        self.by_issuer.entry(issuer.to_string()).or_default().extend(keys);
        Ok(n)
    }

    /// Verifies `token` at `now` (seconds since the epoch): the signature with the key of its
    /// issuer that its `kid` names, then `exp` (required), `nbf` and `iat`. The `iss`, `aud` and
    /// `sub` claims are the caller's to weigh against the account's providers.
    ///
    /// # Errors
    /// Why the token is not accepted.
    pub fn verify(&self, token: &str, now: i64) -> Result<VerifiedToken, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| TokenError::Malformed(e.to_string()))?;
        accepted(header.alg)?;
        let iss = peek_issuer(token)?;
        let issuer = issuer_name(&iss).to_string();
        let keys = self.by_issuer.get(&issuer).ok_or_else(|| TokenError::NoKeys(issuer.clone()))?;
        let key = pick(keys, header.kid.as_deref(), header.alg, &issuer)?;
        let mut validation = Validation::new(header.alg);
        // Times are checked below against the server's clock; `aud` and `iss` by the caller.
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        let data =
            jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &validation).map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature => TokenError::Signature,
                jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => TokenError::NoKey(format!(
                    "the key `{}` of `{issuer}` does not verify {:?} signatures",
                    key.kid.as_deref().unwrap_or("(no kid)"),
                    header.alg
                )),
                _ => TokenError::Malformed(e.to_string()),
            })?;
        let claims = data.claims;
        let time = |name: &str| -> Result<Option<i64>, TokenError> {
            match claims.get(name) {
                None => Ok(None),
                Some(v) => v
                    .as_i64()
                    .or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f.floor() as i64))
                    .map(Some)
                    .ok_or_else(|| TokenError::Malformed(format!("the `{name}` claim is not a number"))),
            }
        };
        let exp = time("exp")?.ok_or_else(|| TokenError::Malformed("the token has no `exp` claim".to_string()))?;
        if exp <= now {
            return Err(TokenError::Expired);
        }
        for name in ["nbf", "iat"] {
            if let Some(t) = time(name)?
                && t > now.saturating_add(FUTURE_TOLERANCE)
            {
                return Err(TokenError::NotYetValid(format!(
                    "the web identity token's `{name}` is {} seconds in the future (at most {FUTURE_TOLERANCE} are tolerated)",
                    t - now
                )));
            }
        }
        Ok(VerifiedToken { issuer, claims })
    }
}

/// The `iss` claim of a token, read before its signature is checked (to find its keys and provider).
///
/// # Errors
/// When the token is not a JWT or has no string `iss`.
pub fn peek_issuer(token: &str) -> Result<String, TokenError> {
    let claims: Map<String, Value> =
        jsonwebtoken::dangerous::insecure_decode_claims(token).map_err(|e| TokenError::Malformed(e.to_string()))?;
    match claims.get("iss") {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(_) => Err(TokenError::Malformed("the `iss` claim is not a string".to_string())),
        None => Err(TokenError::Malformed("the token has no `iss` claim".to_string())),
    }
}

fn describe(jwk: &Jwk) -> String {
    jwk.common.key_id.as_deref().map_or_else(|| "no kid".to_string(), |k| format!("kid `{k}`"))
}

fn issuer_key(jwk: &Jwk) -> Result<IssuerKey, String> {
    if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return Err("an encryption key (`\"use\": \"enc\"`), not a signing key".to_string());
    }
    let algorithm = match jwk.common.key_algorithm {
        None => None,
        Some(a) => {
            Some(signing_algorithm(a).ok_or_else(|| format!("`alg` {a:?} is not a signing algorithm AWS accepts"))?)
        }
    };
    if let Some(a) = algorithm {
        accepted(a).map_err(|e| e.to_string())?;
    }
    let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("not a usable public key: {e}"))?;
    if matches!(key.family(), jsonwebtoken::AlgorithmFamily::Hmac) {
        return Err("a symmetric key; AWS STS verifies web identity tokens with public keys only".to_string());
    }
    Ok(IssuerKey { kid: jwk.common.key_id.clone(), algorithm, key })
}

fn signing_algorithm(a: KeyAlgorithm) -> Option<Algorithm> {
    Some(match a {
        KeyAlgorithm::RS256 => Algorithm::RS256,
        KeyAlgorithm::RS384 => Algorithm::RS384,
        KeyAlgorithm::RS512 => Algorithm::RS512,
        KeyAlgorithm::ES256 => Algorithm::ES256,
        KeyAlgorithm::ES384 => Algorithm::ES384,
        _ => return None,
    })
}

/// The key a token names: by `kid`; without one, the only key whose type fits the algorithm.
fn pick<'k>(
    keys: &'k [IssuerKey],
    kid: Option<&str>,
    alg: Algorithm,
    issuer: &str,
) -> Result<&'k IssuerKey, TokenError> {
    let fits = |k: &&IssuerKey| k.algorithm.is_none_or(|a| a == alg) && k.key.family() == alg.family();
    match kid {
        Some(kid) => {
            let key = keys
                .iter()
                .find(|k| k.kid.as_deref() == Some(kid))
                .ok_or_else(|| TokenError::NoKey(format!("the keys of `{issuer}` hold no key with kid `{kid}`")))?;
            if !fits(&key) {
                return Err(TokenError::NoKey(format!("the key `{kid}` of `{issuer}` is not a {alg:?} key")));
            }
            Ok(key)
        }
        None => {
            let mut fitting = keys.iter().filter(fits);
            match (fitting.next(), fitting.next()) {
                (Some(k), None) => Ok(k),
                (None, _) => Err(TokenError::NoKey(format!("the keys of `{issuer}` hold no {alg:?} key"))),
                (Some(_), Some(_)) => Err(TokenError::NoKey(format!(
                    "the token has no `kid` and the keys of `{issuer}` hold several {alg:?} keys"
                ))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    const EC_JWK: &str = r#"{"kty": "EC", "kid": "k1", "crv": "P-256", "alg": "ES256",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;

    /// An unsigned-looking JWT with `header` and `claims` (the signature is not valid).
    fn jwt(header: &str, claims: &str) -> String {
        use base64::Engine as _;
        let e = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.{}", e(header), e(claims), e("sig"))
    }

    #[test]
    fn issuers_are_named_without_the_scheme() {
        assert_eq!(issuer_name("https://token.actions.githubusercontent.com"), "token.actions.githubusercontent.com");
        assert_eq!(issuer_name("https://auth.example.com/"), "auth.example.com/");
    }

    #[test]
    fn jwks_keys_that_cannot_verify_are_refused() {
        let mut keys = OidcKeys::new();
        assert_eq!(keys.add_jwks("https://oidc.example.com", &format!("{{\"keys\": [{EC_JWK}]}}")), Ok(1));
        assert!(keys.has_issuer("oidc.example.com"));
        let oct = r#"{"keys": [{"kty": "oct", "kid": "s", "k": "c2VjcmV0"}]}"#;
        assert!(keys.add_jwks("https://x", oct).unwrap_err().contains("symmetric"));
        let enc = EC_JWK.replace("\"alg\": \"ES256\",", "\"use\": \"enc\",");
        assert!(keys.add_jwks("https://x", &format!("{{\"keys\": [{enc}]}}")).unwrap_err().contains("encryption key"));
        assert!(keys.add_jwks("https://x", r#"{"keys": []}"#).unwrap_err().contains("no keys"));
        assert!(keys.add_jwks("https://x", "[]").unwrap_err().contains("not a JWKS"));
    }

    #[test]
    fn tokens_fail_with_awss_codes() {
        let mut keys = OidcKeys::new();
        keys.add_jwks("https://oidc.example.com", &format!("{{\"keys\": [{EC_JWK}]}}")).unwrap();
        let claims = r#"{"iss": "https://oidc.example.com", "sub": "u", "aud": "a", "exp": 2000}"#;
        // A symmetric algorithm AWS does not accept.
        let e = keys.verify(&jwt(r#"{"alg": "HS256", "kid": "k1"}"#, claims), 1000).unwrap_err();
        assert!(matches!(e, TokenError::Algorithm(_)), "{e:?}");
        assert_eq!(e.code(), ("InvalidIdentityToken", 400));
        // An issuer without keys.
        let other = claims.replace("oidc.example.com", "other.example.com");
        let e = keys.verify(&jwt(r#"{"alg": "ES256", "kid": "k1"}"#, &other), 1000).unwrap_err();
        assert_eq!(e, TokenError::NoKeys("other.example.com".to_string()));
        assert_eq!(e.code(), ("IDPCommunicationError", 400));
        // A kid the issuer does not have; a key of the wrong type.
        let e = keys.verify(&jwt(r#"{"alg": "ES256", "kid": "k9"}"#, claims), 1000).unwrap_err();
        assert!(matches!(e, TokenError::NoKey(_)), "{e:?}");
        let e = keys.verify(&jwt(r#"{"alg": "RS256", "kid": "k1"}"#, claims), 1000).unwrap_err();
        assert!(matches!(e, TokenError::NoKey(_)), "{e:?}");
        // The signature is checked before the times.
        let e = keys.verify(&jwt(r#"{"alg": "ES256", "kid": "k1"}"#, claims), 3000).unwrap_err();
        assert!(matches!(e, TokenError::Signature | TokenError::Malformed(_)), "{e:?}");
        assert_eq!(TokenError::Expired.code(), ("ExpiredTokenException", 400));
        // Not a JWT.
        assert!(matches!(keys.verify("abc", 1000), Err(TokenError::Malformed(_))));
        assert!(matches!(peek_issuer(&jwt(r#"{"alg": "ES256"}"#, r#"{"sub": "u"}"#)), Err(TokenError::Malformed(_))));
    }
}
