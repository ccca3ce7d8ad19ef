//! Random identifiers and secrets, from the operating system's generator.

use iamspect_auth::AwsError;

const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `len` characters drawn uniformly from `alphabet` (at most 256 characters).
fn draw(alphabet: &[u8], len: usize) -> Result<String, AwsError> {
    let n = alphabet.len();
    // Bytes at or above the largest multiple of `n` are dropped, so every character is as likely.
    let limit = 256 - 256 % n;
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        getrandom::fill(&mut buf).map_err(|e| {
            tracing::error!(error = %e, "no randomness");
            super::error("InternalFailure", 500, "An internal error occurred.")
        })?;
        for &b in &buf {
            if out.len() == len {
                break;
            }
            if usize::from(b) < limit {
                out.push(char::from(alphabet[usize::from(b) % n]));
            }
        }
    }
    Ok(out)
}

/// `ASIA` and 16 upper-case letters and digits.
pub(crate) fn access_key_id() -> Result<String, AwsError> {
    Ok(format!("ASIA{}", draw(UPPER_ALNUM, 16)?))
}

/// A 40-character secret access key.
pub(crate) fn secret() -> Result<String, AwsError> {
    draw(BASE64, 40)
}

/// A session token (opaque; shaped like AWS's base64 tokens).
pub(crate) fn session_token() -> Result<String, AwsError> {
    Ok(format!("IQoJb3JpZ2luX2Vj{}", draw(BASE64, 340)?))
}

/// A request id shaped like a UUID (random; all zeros if the generator fails).
pub fn request_id() -> String {
    let mut b = [0u8; 16];
    if getrandom::fill(&mut b).is_err() {
        b = [0; 16];
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}
