//! A native [`Transport`] for the HTTP adapter (reqwest on tokio): the tests drive the
//! Workers' adapter code through it, and `omnicanal table create` uses it.

use std::time::Duration;

use super::http::Transport;

/// Sends with one shared reqwest client.
#[derive(Clone, Debug, Default)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    /// A transport with a 10 s timeout per request.
    pub fn new() -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Self { client })
    }
}

impl Transport for ReqwestTransport {
    async fn post(&self, url: &str, headers: &[(String, String)], body: Vec<u8>) -> Result<(u16, Vec<u8>), String> {
        let mut request = self.client.post(url).body(body);
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let response = request.send().await.map_err(|e| format!("POST {url}: {e}"))?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.map_err(|e| format!("reading answer: {e}"))?;
        Ok((status, bytes.to_vec()))
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}
