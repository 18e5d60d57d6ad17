//! Unguessable identifiers from the operating system's (or, on wasm32, the JavaScript
//! host's) cryptographic random source.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// `n` random bytes. Fails only when the platform has no random source at all.
pub fn bytes<const N: usize>() -> Result<[u8; N], getrandom::Error> {
    let mut buf = [0u8; N];
    getrandom::getrandom(&mut buf)?;
    Ok(buf)
}

/// A URL-safe token of 128 random bits (22 characters): cart ids, request ids, lock ids.
/// 128 bits is above the contract's 122 for capability ids.
pub fn token() -> Result<String, getrandom::Error> {
    Ok(URL_SAFE_NO_PAD.encode(bytes::<16>()?))
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_url_safe_and_distinct() {
        let a = super::token().expect("random");
        let b = super::token().expect("random");
        assert_eq!(a.len(), 22);
        assert_ne!(a, b);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    }
}
