//! The device's network: TLS pinned to the certificate fingerprint from the
//! enrolment code, the enrolment request, and the sync WebSocket.

pub mod blobs;
mod pin;

pub use pin::client_config;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use brug_shared::protocol::enrol::{EnrolRequest, EnrolResponse, EnrolUrl, ErrorBody};
use brug_shared::protocol::limits::MAX_FRAME_BYTES;
use brug_shared::protocol::{self, ClientFrame, ServerFrame};
use futures_util::{FutureExt, SinkExt, StreamExt};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use rustls_pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// How long to wait for the server to answer anything.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

/// Why talking to the server failed, in words a social worker understands.
#[derive(Debug)]
pub enum NetError {
    /// The server address is not usable.
    BadUrl(String),
    /// No connection (no network, server down).
    Connect(String),
    /// The server's certificate is not the pinned one.
    FingerprintMismatch,
    /// The server refused, with its reason.
    Refused {
        /// HTTP status.
        status: u16,
        /// Stable code ("code-used", "revoked", ...).
        code: String,
        /// The server's words.
        message: String,
    },
    /// The server's answer does not make sense.
    Protocol(String),
    /// The server took too long.
    Timeout,
    /// The connection closed.
    Closed,
}

impl NetError {
    /// Whether the server said this device was revoked.
    pub fn is_revoked(&self) -> bool {
        matches!(self, Self::Refused { code, .. } if code == "revoked")
    }
}

/// Where the server is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Pinned SHA-256 fingerprint of the server certificate (hex).
    pub fingerprint: String,
    /// The next certificate's fingerprint, announced by the server ahead
    /// of a rotation: trusted too.
    pub next: Option<String>,
}

impl Endpoint {
    /// The endpoint of an `https://` base URL with a pinned fingerprint.
    pub fn new(server: &str, fingerprint: &str) -> Result<Self, NetError> {
        let url = url::Url::parse(server).map_err(|e| NetError::BadUrl(e.to_string()))?;
        if url.scheme() != "https" {
            return Err(NetError::BadUrl("alleen https:// is toegestaan".into()));
        }
        let host = url
            .host_str()
            .ok_or_else(|| NetError::BadUrl("geen host".into()))?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        Ok(Self {
            host,
            port: url.port().unwrap_or(443),
            fingerprint: fingerprint.to_ascii_lowercase(),
            next: None,
        })
    }

    /// The same endpoint, also trusting the announced `next` certificate.
    pub fn with_next(mut self, next: Option<&str>) -> Self {
        self.next = next.map(str::to_ascii_lowercase);
        self
    }

    /// Opens a TLS connection that only succeeds if the server presents the
    /// pinned certificate.
    pub async fn connect(&self) -> Result<TlsStream<TcpStream>, NetError> {
        let mismatch = Arc::new(AtomicBool::new(false));
        let mut pins = vec![self.fingerprint.as_str()];
        pins.extend(self.next.as_deref());
        let config = client_config(&pins, Arc::clone(&mismatch))?;
        let tcp = tokio::time::timeout(
            Duration::from_secs(15),
            TcpStream::connect((self.host.as_str(), self.port)),
        )
        .await
        .map_err(|_| NetError::Timeout)?
        .map_err(|e| NetError::Connect(e.to_string()))?;
        // A sync is many small frames each way: sent at once, not held back
        // (Nagle) until the peer's delayed acknowledgement, 40 ms later.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY not set");
        }
        let name =
            ServerName::try_from(self.host.clone()).map_err(|e| NetError::BadUrl(e.to_string()))?;
        let tls = TlsConnector::from(config).connect(name, tcp).await;
        match tls {
            Ok(stream) => Ok(stream),
            Err(_) if mismatch.load(Ordering::SeqCst) => Err(NetError::FingerprintMismatch),
            Err(e) => Err(NetError::Connect(e.to_string())),
        }
    }

    fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// Trades a one-time enrolment code for a device token.
pub async fn enrol(url: &EnrolUrl, device_name: &str) -> Result<EnrolResponse, NetError> {
    let endpoint = Endpoint::new(&url.server, &url.fingerprint)?;
    let body = serde_json::to_vec(&EnrolRequest {
        code: url.code.clone(),
        device_name: device_name.into(),
    })
    .map_err(|e| NetError::Protocol(e.to_string()))?;
    let (status, bytes) = post(&endpoint, "/v1/enrol", None, body).await?;
    if status == 200 {
        serde_json::from_slice(&bytes).map_err(|e| NetError::Protocol(e.to_string()))
    } else {
        Err(refusal(status, &bytes))
    }
}

/// Asks the server for this device's unlock secret with a one-time code
/// (no token: the token is in the store that is locked).
pub async fn unlock(endpoint: &Endpoint, device_id: &str, code: &str) -> Result<Vec<u8>, NetError> {
    let body = serde_json::to_vec(&brug_shared::protocol::enrol::UnlockRequest {
        device_id: device_id.into(),
        code: code.trim().into(),
    })
    .map_err(|e| NetError::Protocol(e.to_string()))?;
    let (status, bytes) = post(endpoint, "/v1/device/unlock", None, body).await?;
    if status != 200 {
        return Err(refusal(status, &bytes));
    }
    let resp: brug_shared::protocol::enrol::UnlockResponse =
        serde_json::from_slice(&bytes).map_err(|e| NetError::Protocol(e.to_string()))?;
    hex::decode(&resp.secret).map_err(|e| NetError::Protocol(e.to_string()))
}

fn refusal(status: u16, body: &[u8]) -> NetError {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(e) => NetError::Refused {
            status,
            code: e.code,
            message: e.message,
        },
        Err(_) => NetError::Refused {
            status,
            code: "http".into(),
            message: format!("de server weigerde (HTTP {status})"),
        },
    }
}

/// A supervisor's team request (`/v1/team/...`): JSON in, JSON out, with
/// the device token.
pub async fn team_request<Req: serde::Serialize, Resp: serde::de::DeserializeOwned>(
    endpoint: &Endpoint,
    token: &str,
    path: &str,
    request: &Req,
) -> Result<Resp, NetError> {
    let body = serde_json::to_vec(request).map_err(|e| NetError::Protocol(e.to_string()))?;
    let (status, bytes) = post(endpoint, path, Some(token), body).await?;
    if status == 200 {
        serde_json::from_slice(&bytes).map_err(|e| NetError::Protocol(e.to_string()))
    } else {
        Err(refusal(status, &bytes))
    }
}

/// A plain HTTP/1.1 POST of JSON over the pinned TLS connection.
async fn post(
    endpoint: &Endpoint,
    path: &str,
    token: Option<&str>,
    body: Vec<u8>,
) -> Result<(u16, Bytes), NetError> {
    exchange(
        endpoint,
        hyper::Method::POST,
        path,
        token,
        body,
        1024 * 1024,
    )
    .await
}

/// An authenticated GET (`path` with its query) whose answer may hold up
/// to `limit` bytes; anything but 200 is the server's refusal.
pub async fn get(
    endpoint: &Endpoint,
    token: &str,
    path: &str,
    limit: usize,
) -> Result<Bytes, NetError> {
    let (status, bytes) = exchange(
        endpoint,
        hyper::Method::GET,
        path,
        Some(token),
        Vec::new(),
        limit,
    )
    .await?;
    if status == 200 {
        Ok(bytes)
    } else {
        Err(refusal(status, &bytes))
    }
}

/// One HTTP/1.1 request over the pinned TLS connection.
async fn exchange(
    endpoint: &Endpoint,
    method: hyper::Method,
    path: &str,
    token: Option<&str>,
    body: Vec<u8>,
    limit: usize,
) -> Result<(u16, Bytes), NetError> {
    let tls = endpoint.connect().await?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
            .await
            .map_err(|e| NetError::Connect(e.to_string()))?;
    tokio::spawn(conn);
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header(hyper::header::HOST, endpoint.authority())
        .header(hyper::header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        request = request.header(hyper::header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let request = request
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| NetError::Protocol(e.to_string()))?;
    let response = tokio::time::timeout(ANSWER_TIMEOUT, sender.send_request(request))
        .await
        .map_err(|_| NetError::Timeout)?
        .map_err(|e| NetError::Connect(e.to_string()))?;
    let status = response.status().as_u16();
    let bytes = Limited::new(response.into_body(), limit)
        .collect()
        .await
        .map_err(|e| NetError::Protocol(e.to_string()))?
        .to_bytes();
    Ok((status, bytes))
}

/// An open sync session.
#[derive(Debug)]
pub struct SyncConnection {
    ws: WebSocketStream<TlsStream<TcpStream>>,
    /// Bytes received so far.
    pub bytes_in: u64,
    /// Bytes sent so far.
    pub bytes_out: u64,
}

impl SyncConnection {
    /// Opens `/v1/sync` with the device token.
    pub async fn open(endpoint: &Endpoint, token: &str) -> Result<Self, NetError> {
        let tls = endpoint.connect().await?;
        let mut request = format!("wss://{}/v1/sync", endpoint.authority())
            .into_client_request()
            .map_err(|e| NetError::BadUrl(e.to_string()))?;
        let auth = format!("Bearer {token}")
            .parse()
            .map_err(|_| NetError::Protocol("token is geen geldige header".into()))?;
        request.headers_mut().insert("Authorization", auth);
        let config = WebSocketConfig::default()
            .max_message_size(Some(2 * MAX_FRAME_BYTES))
            .max_frame_size(Some(2 * MAX_FRAME_BYTES));
        match tokio_tungstenite::client_async_with_config(request, tls, Some(config)).await {
            Ok((ws, _)) => Ok(Self {
                ws,
                bytes_in: 0,
                bytes_out: 0,
            }),
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                let status = resp.status().as_u16();
                let body = resp.body().clone().unwrap_or_default();
                Err(refusal(status, &body))
            }
            Err(e) => Err(NetError::Connect(e.to_string())),
        }
    }

    /// Sends one frame.
    pub async fn send(&mut self, frame: &ClientFrame) -> Result<(), NetError> {
        self.send_raw(protocol::encode(frame)).await
    }

    /// Sends frames one after the other, written out together.
    pub async fn send_all(&mut self, frames: &[ClientFrame]) -> Result<(), NetError> {
        if frames.is_empty() {
            return Ok(());
        }
        for frame in frames {
            let bytes = protocol::encode(frame);
            self.bytes_out += bytes.len() as u64;
            self.ws
                .feed(Message::Binary(bytes.into()))
                .await
                .map_err(|_| NetError::Closed)?;
        }
        self.ws.flush().await.map_err(|_| NetError::Closed)
    }

    /// Sends raw bytes as one frame (tests send malformed ones).
    pub async fn send_raw(&mut self, bytes: Vec<u8>) -> Result<(), NetError> {
        self.bytes_out += bytes.len() as u64;
        self.ws
            .send(Message::Binary(bytes.into()))
            .await
            .map_err(|_| NetError::Closed)
    }

    /// Keeps an idle connection alive.
    pub async fn ping(&mut self) -> Result<(), NetError> {
        self.ws
            .send(Message::Ping(Vec::new().into()))
            .await
            .map_err(|_| NetError::Closed)
    }

    /// Waits for the next frame (up to `wait`).
    pub async fn recv_within(&mut self, wait: Duration) -> Result<ServerFrame, NetError> {
        loop {
            let next = tokio::time::timeout(wait, self.ws.next())
                .await
                .map_err(|_| NetError::Timeout)?;
            if let Some(frame) = self.frame_of(next) {
                return frame;
            }
        }
    }

    /// The next frame if it is already here (`None`: nothing is), without
    /// waiting.
    pub fn try_recv(&mut self) -> Option<Result<ServerFrame, NetError>> {
        loop {
            let next = self.ws.next().now_or_never()?;
            if let Some(frame) = self.frame_of(next) {
                return Some(frame);
            }
        }
    }

    /// What a WebSocket message says: a frame, the end of the connection,
    /// or nothing for the session (`None`: a ping or pong).
    fn frame_of(
        &mut self,
        next: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
    ) -> Option<Result<ServerFrame, NetError>> {
        match next {
            Some(Ok(Message::Binary(bytes))) => {
                self.bytes_in += bytes.len() as u64;
                Some(protocol::decode(&bytes).map_err(|e| NetError::Protocol(e.to_string())))
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => None,
            Some(Ok(Message::Text(_))) => Some(Err(NetError::Protocol("tekstbericht".into()))),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => Some(Err(NetError::Closed)),
        }
    }

    /// Waits for the next frame.
    pub async fn recv(&mut self) -> Result<ServerFrame, NetError> {
        self.recv_within(ANSWER_TIMEOUT).await
    }

    /// Closes the session politely.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}
