//! Web identity token verification: one RS256 and one ES256 GitHub-shaped token verified against
//! the issuer's JWKS (the test-only keys of `crates/iamspect-server/tests/federation_data/`).
#![allow(clippy::unwrap_used, reason = "benchmark setup")]

use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use iamspect_auth::oidc::OidcKeys;
use jsonwebtoken::{Algorithm, EncodingKey, Header};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../iamspect-server/tests/federation_data")
}

fn token(alg: Algorithm, file: &str, kid: &str) -> String {
    let pem = std::fs::read(data().join(file)).unwrap();
    let key = match alg {
        Algorithm::ES256 => EncodingKey::from_ec_pem(&pem).unwrap(),
        _ => EncodingKey::from_rsa_pem(&pem).unwrap(),
    };
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_string());
    let claims = serde_json::json!({"iss": "https://token.actions.githubusercontent.com",
        "sub": "repo:octo-org/app:ref:refs/heads/main", "aud": "sts.amazonaws.com", "iat": 1000, "exp": 2000,
        "repository": "octo-org/app", "ref": "refs/heads/main"});
    jsonwebtoken::encode(&header, &claims, &key).unwrap()
}

fn verify(c: &mut Criterion) {
    let mut keys = OidcKeys::new();
    let jwks = std::fs::read_to_string(data().join("github-jwks.json")).unwrap();
    keys.add_jwks("https://token.actions.githubusercontent.com", &jwks).unwrap();
    let rs = token(Algorithm::RS256, "test-rsa-key.pem", "rsa-1");
    let es = token(Algorithm::ES256, "test-ec-key.pem", "ec-1");
    assert!(keys.verify(&rs, 1500).is_ok() && keys.verify(&es, 1500).is_ok());
    c.bench_function("verify an RS256 web identity token (2048-bit key)", |b| b.iter(|| keys.verify(&rs, 1500)));
    c.bench_function("verify an ES256 web identity token (P-256)", |b| b.iter(|| keys.verify(&es, 1500)));
}

criterion_group!(benches, verify);
criterion_main!(benches);
