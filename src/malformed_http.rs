//! Problem JSON for requests hyper cannot parse. A bad `Content-Length`, a control character
//! in a header or a malformed request line never reach the router: hyper answers them itself
//! with an empty `400` and closes the connection, and offers no hook to answer otherwise. So
//! the local server's connections go through [`ProblemOnMalformed`], which recognises that one
//! answer on its way out (a `400` with `content-length: 0`, which no route sends: every error
//! of ours carries a problem body) and writes the contract's problem JSON in its place.
//! API Gateway and Cloudflare parse requests before the functions on the other hosts.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use omnicanal_pipeline::error::ApiError;
use omnicanal_pipeline::problem::problem_response;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The problem code of a request that is not well-formed HTTP/1.1.
const CODE: &str = "malformed_request";

/// A connection whose hyper-made `400` becomes problem JSON (see the module docs).
pub(crate) struct ProblemOnMalformed<T> {
    inner: T,
    /// The replacement being written: its bytes, how many are out, and the length of the
    /// write it stands for (what hyper is told was written).
    replacing: Option<(Vec<u8>, usize, usize)>,
}

impl<T> ProblemOnMalformed<T> {
    /// Wraps a connection.
    pub(crate) fn new(inner: T) -> Self {
        Self { inner, replacing: None }
    }
}

/// Whether `buf` is hyper's own answer to a request it could not parse: exactly one head,
/// status 400, no body.
fn is_hypers_bad_request(buf: &[u8]) -> bool {
    let Some(head_end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else { return false };
    let head = &buf[..head_end + 2];
    head.starts_with(b"HTTP/1.1 400 ")
        && head_end + 4 == buf.len()
        && head.split(|b| *b == b'\n').any(|line| line.eq_ignore_ascii_case(b"content-length: 0\r"))
}

/// The answer written instead: problem JSON with a fresh request id; the connection closes,
/// as hyper closes it after a parse error.
fn problem_bytes() -> Vec<u8> {
    let request_id = omnicanal_pipeline::context::request_id(None);
    let err = ApiError::BadRequest {
        code: CODE,
        detail: "the request is not well-formed HTTP/1.1 (request line, a header's name or value, or Content-Length)"
            .to_owned(),
        errors: Vec::new(),
    };
    let response: http::Response<Bytes> = problem_response(&err, &request_id);
    let mut bytes = format!("HTTP/1.1 {}\r\n", response.status()).into_bytes();
    for (name, value) in response.headers() {
        bytes.extend_from_slice(name.as_str().as_bytes());
        bytes.extend_from_slice(b": ");
        bytes.extend_from_slice(value.as_bytes());
        bytes.extend_from_slice(b"\r\n");
    }
    let body = response.body();
    bytes.extend_from_slice(
        format!("x-request-id: {request_id}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", body.len()).as_bytes(),
    );
    bytes.extend_from_slice(body);
    bytes
}

impl<T: AsyncRead + Unpin> AsyncRead for ProblemOnMalformed<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for ProblemOnMalformed<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if self.replacing.is_none() {
            if !is_hypers_bad_request(buf) {
                return Pin::new(&mut self.inner).poll_write(cx, buf);
            }
            self.replacing = Some((problem_bytes(), 0, buf.len()));
        }
        let this = &mut *self;
        let Some((bytes, out, stands_for)) = this.replacing.as_mut() else { return Poll::Ready(Ok(0)) };
        while *out < bytes.len() {
            let n = ready!(Pin::new(&mut this.inner).poll_write(cx, &bytes[*out..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *out += n;
        }
        let stands_for = *stands_for;
        this.replacing = None;
        Poll::Ready(Ok(stands_for))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    #[test]
    fn only_an_empty_400_is_hypers() {
        assert!(is_hypers_bad_request(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\ndate: x\r\n\r\n"));
        assert!(!is_hypers_bad_request(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 12\r\n\r\n"), "ours has a body");
        assert!(!is_hypers_bad_request(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\nmore"));
        assert!(!is_hypers_bad_request(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"));
        assert!(!is_hypers_bad_request(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n"), "an incomplete head");
    }

    #[tokio::test]
    async fn hypers_400_goes_out_as_problem_json_and_anything_else_as_it_is() {
        let (near, mut far) = tokio::io::duplex(64);
        let mut wrapped = ProblemOnMalformed::new(near);
        let writer = tokio::spawn(async move {
            wrapped.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await.expect("a 200 passes");
            let hypers = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n";
            let n = wrapped.write(hypers).await.expect("replaced");
            assert_eq!(n, hypers.len(), "hyper is told its answer went out");
            wrapped.shutdown().await.expect("closed");
        });
        let mut seen = String::new();
        far.read_to_string(&mut seen).await.expect("read");
        writer.await.expect("writer");
        let (passed, problem) = seen.split_at(seen.find("HTTP/1.1 400").expect("a 400"));
        assert_eq!(passed, "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
        let (head, body) = problem.split_once("\r\n\r\n").expect("a head");
        assert!(head.contains("content-type: application/problem+json"), "{head}");
        assert!(head.contains(&format!("content-length: {}", body.len())), "{head}");
        let body: serde_json::Value = serde_json::from_str(body).expect("JSON");
        assert_eq!((body["status"].as_u64(), body["code"].as_str()), (Some(400), Some(CODE)));
    }
}
