//! The attachment channel ([`brug_shared::protocol::blobs`]): one pinned
//! TLS connection kept alive for every chunk of a session, reopened once
//! when the server or the network closed it.

use brug_shared::model::BlobHash;
use brug_shared::protocol::blobs::{
    BlobStatus, BlobStatusRequest, CHUNK_HASH_HEADER, ChunkAck, MAX_CHUNK_BYTES, TOTAL_HEADER,
};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;

use super::{ANSWER_TIMEOUT, Endpoint, NetError, refusal};

/// A line to the server's attachment routes.
#[derive(Debug)]
pub struct BlobLine {
    endpoint: Endpoint,
    token: String,
    sender: Option<SendRequest<Full<Bytes>>>,
}

/// What the server said to a chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkAnswer {
    /// Taken; `received` bytes held, `complete` when the whole is stored.
    Taken(ChunkAck),
    /// The server holds another amount: go on from there.
    Resume(u64),
    /// The whole did not match its hash: nothing was kept.
    Mismatch,
}

impl BlobLine {
    /// A line to `endpoint` with the device token.
    pub fn new(endpoint: Endpoint, token: String) -> Self {
        Self {
            endpoint,
            token,
            sender: None,
        }
    }

    async fn sender(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, NetError> {
        let usable = match &mut self.sender {
            Some(s) => s.ready().await.is_ok(),
            None => false,
        };
        if !usable {
            let tls = self.endpoint.connect().await?;
            let (sender, conn) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
                    .await
                    .map_err(|e| NetError::Connect(e.to_string()))?;
            tokio::spawn(conn);
            self.sender = Some(sender);
        }
        self.sender.as_mut().ok_or(NetError::Closed)
    }

    async fn request(
        &mut self,
        method: hyper::Method,
        path: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
        limit: usize,
    ) -> Result<(u16, hyper::HeaderMap, Bytes), NetError> {
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, self.endpoint.authority())
            .header(
                hyper::header::AUTHORIZATION,
                format!("Bearer {}", self.token),
            );
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let request = request
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| NetError::Protocol(e.to_string()))?;
        let sender = self.sender().await?;
        let sent = tokio::time::timeout(ANSWER_TIMEOUT, sender.send_request(request)).await;
        let response = match sent {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                self.sender = None;
                return Err(NetError::Connect(e.to_string()));
            }
            Err(_) => {
                self.sender = None;
                return Err(NetError::Timeout);
            }
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = Limited::new(response.into_body(), limit)
            .collect()
            .await
            .map_err(|e| NetError::Protocol(e.to_string()))?
            .to_bytes();
        Ok((status, headers, bytes))
    }

    /// What the server holds of `hashes`.
    pub async fn status(&mut self, hashes: Vec<BlobHash>) -> Result<BlobStatus, NetError> {
        let body = serde_json::to_vec(&BlobStatusRequest { hashes })
            .map_err(|e| NetError::Protocol(e.to_string()))?;
        let headers = [("content-type", "application/json".to_owned())];
        let (status, _, bytes) = self
            .request(
                hyper::Method::POST,
                "/v1/blobs/status",
                &headers,
                body,
                1 << 20,
            )
            .await?;
        if status != 200 {
            return Err(refusal(status, &bytes));
        }
        serde_json::from_slice(&bytes).map_err(|e| NetError::Protocol(e.to_string()))
    }

    /// Sends one chunk of `hash` at `offset` of `total` bytes.
    pub async fn put_chunk(
        &mut self,
        hash: &BlobHash,
        offset: u64,
        total: u64,
        chunk: &[u8],
    ) -> Result<ChunkAnswer, NetError> {
        self.put_chunk_claiming(hash, offset, total, chunk, &BlobHash::of(chunk))
            .await
    }

    /// [`Self::put_chunk`] with the chunk's hash as given: the server
    /// checks it against the bytes it receives.
    pub async fn put_chunk_claiming(
        &mut self,
        hash: &BlobHash,
        offset: u64,
        total: u64,
        chunk: &[u8],
        claimed: &BlobHash,
    ) -> Result<ChunkAnswer, NetError> {
        let headers = [
            (CHUNK_HASH_HEADER, claimed.to_string()),
            ("content-type", "application/octet-stream".to_owned()),
        ];
        let path = format!("/v1/blobs/{hash}?offset={offset}&total={total}");
        let (status, _, bytes) = self
            .request(
                hyper::Method::PUT,
                &path,
                &headers,
                chunk.to_vec(),
                64 * 1024,
            )
            .await?;
        let ack = || -> Result<ChunkAck, NetError> {
            serde_json::from_slice(&bytes).map_err(|e| NetError::Protocol(e.to_string()))
        };
        match status {
            200 => Ok(ChunkAnswer::Taken(ack()?)),
            409 => Ok(ChunkAnswer::Resume(ack()?.received)),
            422 => Ok(ChunkAnswer::Mismatch),
            _ => Err(refusal(status, &bytes)),
        }
    }

    /// Up to `len` bytes of `hash` from `offset`, and its total size.
    pub async fn get_range(
        &mut self,
        hash: &BlobHash,
        offset: u64,
        len: u64,
    ) -> Result<(u64, Bytes), NetError> {
        let path = format!("/v1/blobs/{hash}?offset={offset}&len={len}");
        let (status, headers, bytes) = self
            .request(hyper::Method::GET, &path, &[], Vec::new(), MAX_CHUNK_BYTES)
            .await?;
        if status != 200 {
            return Err(refusal(status, &bytes));
        }
        let total = headers
            .get(TOTAL_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| NetError::Protocol("geen totale grootte".into()))?;
        Ok((total, bytes))
    }
}
