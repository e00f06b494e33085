//! `/v1/sync`: the WebSocket that carries one device's sync session.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::StatusCode;
use axum::response::Response;
use brug_shared::protocol::limits::MAX_FRAME_BYTES;
use brug_shared::protocol::{self, ClientFrame, ErrorCode, FrameError, ServerFrame};
use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio::sync::broadcast::error::RecvError;

use super::AppState;
use super::auth::{DeviceAuth, error_response};
use crate::db::AdminEvent;
use crate::hub::{HubEvent, SessionGuard};
use crate::session::{self, Outcome, Session};

pub(super) async fn upgrade(
    State(state): State<AppState>,
    auth: DeviceAuth,
    ws: WebSocketUpgrade,
) -> Response {
    if !auth.user.role.holds_cases() {
        return error_response(
            StatusCode::FORBIDDEN,
            "forbidden",
            "deze rol houdt geen dossiers bij / this role holds no cases",
        );
    }
    let Some(guard) = state.hub.open_session(&auth.device.id) else {
        state.metrics.error("busy");
        return error_response(
            StatusCode::TOO_MANY_REQUESTS,
            "busy",
            ErrorCode::Busy.message_nl(),
        );
    };
    // Frames up to twice the limit are read and answered with a clear
    // error; anything larger is cut off by the WebSocket layer itself.
    ws.max_message_size(2 * MAX_FRAME_BYTES)
        .max_frame_size(2 * MAX_FRAME_BYTES)
        .read_buffer_size(READ_BUFFER_BYTES)
        .on_upgrade(move |socket| run(socket, state, auth, guard))
}

/// How much the WebSocket layer reads from a session's socket at a time.
/// Its default (128 KiB) is zeroed again before every read: with many
/// sessions sending small frames that zeroing was a tenth of the server's
/// CPU. 16 KiB is one TLS record, the most one decrypted read gives.
const READ_BUFFER_BYTES: usize = 16 * 1024;

fn frame(f: &ServerFrame) -> Message {
    Message::Binary(protocol::encode(f).into())
}

fn fatal(code: ErrorCode) -> ServerFrame {
    ServerFrame::Error {
        code,
        message: code.message_nl().into(),
    }
}

async fn run(socket: WebSocket, state: AppState, auth: DeviceAuth, guard: SessionGuard) {
    session::session_started(&state.metrics);
    let session = Arc::new(Mutex::new(Session::new(
        guard.id,
        auth.device.clone(),
        auth.user.clone(),
        state.max_future_ms,
    )));
    tracing::info!(session = guard.id, device = %auth.device.id, user = %auth.user.id, "sync session opened");
    let mut events = state.hub.subscribe();
    let mut shutdown = state.shutdown.clone();
    let (mut sink, mut stream) = socket.split();
    let timeout = state.send_timeout;
    let hello_deadline = tokio::time::Instant::now() + state.hello_timeout;

    loop {
        let greeted = lock(&session).greeted();
        let wait = if greeted {
            state.idle_timeout
        } else {
            hello_deadline.saturating_duration_since(tokio::time::Instant::now())
        };
        tokio::select! {
            incoming = tokio::time::timeout(wait, stream.next()) => {
                let message = match incoming {
                    Err(_) => {
                        state.metrics.error("timeout");
                        send(&mut sink, timeout, frame(&fatal(ErrorCode::Timeout))).await;
                        break;
                    }
                    Ok(None) | Ok(Some(Err(_))) => break,
                    Ok(Some(Ok(m))) => m,
                };
                let mut batch = Vec::new();
                let mut after = match message {
                    Message::Binary(b) => {
                        batch.push(b.to_vec());
                        None
                    }
                    Message::Ping(_) | Message::Pong(_) => continue,
                    other => Some(Some(Ok(other))),
                };
                // The frames that are here already (a device sends a
                // window of cases at once) are handled together: one
                // blocking task and one flush of the answers, instead of a
                // hand-over to a thread and a write to the socket each.
                let mut bytes: usize = batch.iter().map(Vec::len).sum();
                while after.is_none() && batch.len() < BATCH_FRAMES && bytes < MAX_FRAME_BYTES {
                    match stream.next().now_or_never() {
                        None => break,
                        Some(Some(Ok(Message::Binary(b)))) => {
                            bytes += b.len();
                            batch.push(b.to_vec());
                        }
                        Some(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => {}
                        Some(next) => after = Some(next),
                    }
                }
                let mut open = true;
                if !batch.is_empty() {
                    let answers = handle_frames(&state, &session, batch).await;
                    for (_, stored) in &answers {
                        if let Some(doc) = stored {
                            state.hub.publish(HubEvent::changed(*doc, guard.id));
                        }
                    }
                    open = deliver_all(&mut sink, timeout, answers.into_iter().map(|a| a.0)).await;
                }
                // What came after the frames: the end, or a text frame.
                match after {
                    _ if !open => break,
                    None => {}
                    Some(Some(Ok(Message::Text(_)))) => {
                        state.metrics.error("bad-frame");
                        send(&mut sink, timeout, frame(&fatal(ErrorCode::BadFrame))).await;
                        break;
                    }
                    Some(_) => break,
                }
            }
            event = events.recv() => {
                let out = match event {
                    Ok(e) => notice(&state, &session, e).await,
                    // Fell behind the hub's backlog: catch up from the
                    // change feed, as a hello would, and go on.
                    Err(RecvError::Lagged(missed)) => {
                        state.metrics.error("lagged");
                        tracing::info!(session = guard.id, missed, "session fell behind; catching up from the feed");
                        let caught = Arc::clone(&session);
                        match state.backend.with(move |store| lock(&caught).catch_up(store)).await {
                            Ok(frames) => {
                                let mut open = true;
                                for f in frames {
                                    let last = matches!(f, ServerFrame::Revoked);
                                    let outcome = if last { Outcome::Close(f) } else { Outcome::Reply(f) };
                                    if !deliver(&mut sink, timeout, outcome).await {
                                        open = false;
                                        break;
                                    }
                                }
                                if !open {
                                    break;
                                }
                                None
                            }
                            Err(e) => {
                                tracing::error!(error = %e, "catching up failed");
                                Some(Outcome::Close(fatal(ErrorCode::Internal)))
                            }
                        }
                    }
                    Err(RecvError::Closed) => None,
                };
                if let Some(outcome) = out
                    && !deliver(&mut sink, timeout, outcome).await
                {
                    break;
                }
            }
            _ = shutdown.changed() => {
                send(&mut sink, timeout, Message::Close(None)).await;
                break;
            }
        }
    }

    let done = Arc::clone(&session);
    let docs = Arc::clone(&state.docs);
    let _ = state
        .backend
        .with(move |store| {
            let s = lock(&done);
            s.drop_waiting(store, &docs)?;
            if s.greeted() { s.audit(store) } else { Ok(()) }
        })
        .await;
    session::session_ended(&state.metrics);
    tracing::info!(session = guard.id, "sync session closed");
    drop(guard);
}

/// At most this many frames are handled together (and at most a frame's
/// limit of bytes, [`MAX_FRAME_BYTES`]): a device's window is 32 cases.
const BATCH_FRAMES: usize = 64;

/// Sends the answers to a batch of frames in order and flushes them once;
/// `false` when the session must end (an answer closes it, or the device
/// does not take them within `timeout`).
async fn deliver_all(
    sink: &mut futures_util::stream::SplitSink<WebSocket, Message>,
    timeout: Duration,
    outcomes: impl Iterator<Item = Outcome>,
) -> bool {
    let mut open = true;
    let fed = tokio::time::timeout(timeout, async {
        for outcome in outcomes {
            let (f, last) = match outcome {
                Outcome::Reply(f) => (f, false),
                Outcome::Close(f) => (f, true),
            };
            sink.feed(frame(&f)).await?;
            if last {
                open = false;
                break;
            }
        }
        sink.flush().await
    })
    .await;
    open && matches!(fed, Ok(Ok(())))
}

/// Sends what an outcome says; `false` when the session must end (also
/// when the device does not take the frame within `timeout`).
async fn deliver(
    sink: &mut futures_util::stream::SplitSink<WebSocket, Message>,
    timeout: Duration,
    outcome: Outcome,
) -> bool {
    deliver_all(sink, timeout, std::iter::once(outcome)).await
}

/// Sends one message within `timeout` (`Limits::send`, default
/// [`brug_shared::protocol::limits::SEND_TIMEOUT_SECS`]); `false` when it failed or the device did not
/// take it in time (a device that stops reading is cut off, and what waits
/// for it is let go).
async fn send(
    sink: &mut futures_util::stream::SplitSink<WebSocket, Message>,
    timeout: Duration,
    message: Message,
) -> bool {
    matches!(
        tokio::time::timeout(timeout, sink.send(message)).await,
        Ok(Ok(()))
    )
}

fn lock(session: &Arc<Mutex<Session>>) -> std::sync::MutexGuard<'_, Session> {
    session.lock().unwrap_or_else(|p| p.into_inner())
}

/// Decodes and handles a batch of frames, in order, on one blocking
/// thread; one answer per frame, up to the first that ends the session.
async fn handle_frames(
    state: &AppState,
    session: &Arc<Mutex<Session>>,
    batch: Vec<Vec<u8>>,
) -> Vec<(Outcome, Option<uuid::Uuid>)> {
    // Background work waits while frames come in.
    state.metrics.frame_handled();
    // Decoded first: a frame that does not decode ends the session after
    // the answers to the frames before it.
    let mut frames = Vec::with_capacity(batch.len());
    let mut bad = None;
    for bytes in &batch {
        match protocol::decode::<ClientFrame>(bytes) {
            Ok(f) => frames.push(f),
            Err(FrameError::TooLarge(_)) => {
                state.metrics.error("frame-too-large");
                bad = Some(fatal(ErrorCode::FrameTooLarge));
                break;
            }
            Err(FrameError::Decode(_)) => {
                state.metrics.error("bad-frame");
                bad = Some(fatal(ErrorCode::BadFrame));
                break;
            }
        }
    }
    drop(batch);
    let session = Arc::clone(session);
    let docs = Arc::clone(&state.docs);
    let metrics = Arc::clone(&state.metrics);
    let data_dir = state.data_dir.clone();
    let served = state.served_fingerprint.clone();
    let result = state
        .backend
        .with(move |store| {
            let mut s = lock(&session);
            // Revocation takes effect on the very next frame: checked
            // before the frames that came in together are handled.
            if store.device_revoked(&s.device.id)? {
                return Ok(vec![(Outcome::Close(ServerFrame::Revoked), None)]);
            }
            let mut answers = Vec::with_capacity(frames.len());
            for frame in frames {
                let answer = handle_one(store, &mut s, &docs, &metrics, &data_dir, &served, frame)
                    .unwrap_or_else(|e| {
                        metrics.error("internal");
                        tracing::error!(error = %e, "sync frame failed");
                        (Outcome::Close(fatal(ErrorCode::Internal)), None)
                    });
                let last = matches!(answer.0, Outcome::Close(_));
                answers.push(answer);
                if last {
                    break;
                }
            }
            Ok(answers)
        })
        .await;
    let mut answers = match result {
        Ok(r) => r,
        Err(e) => {
            state.metrics.error("internal");
            tracing::error!(error = %e, "sync frames failed");
            vec![(Outcome::Close(fatal(ErrorCode::Internal)), None)]
        }
    };
    if let Some(f) = bad
        && !answers.iter().any(|a| matches!(a.0, Outcome::Close(_)))
    {
        answers.push((Outcome::Close(f), None));
    }
    answers
}

/// Handles one decoded frame (on the blocking thread, the session locked).
fn handle_one(
    store: &dyn crate::storage::ServerStore,
    s: &mut Session,
    docs: &Arc<crate::docs::DocCache>,
    metrics: &Arc<crate::metrics::Metrics>,
    data_dir: &std::path::Path,
    served: &str,
    frame: ClientFrame,
) -> Result<(Outcome, Option<uuid::Uuid>), crate::db::DbError> {
    match frame {
        ClientFrame::Hello { v, cursor, held } => {
            let next = crate::tls::next_fingerprint(data_dir).filter(|n| n != served);
            let certificates = brug_shared::protocol::Certificates {
                served: Some(served.to_owned()),
                next,
            };
            Ok((
                s.hello(store, metrics, v, cursor, held.as_deref(), certificates)?,
                None,
            ))
        }
        ClientFrame::Sync {
            doc,
            create,
            msg,
            generation,
        } => {
            match s.sync(
                store,
                docs,
                metrics,
                doc,
                create,
                generation,
                msg.as_deref().map(|b| b.as_ref()),
            ) {
                Ok((outcome, stored)) => Ok((outcome, stored.map(|st| st.doc))),
                // One case that fails (it no longer loads, say) is set
                // apart: this case errors, the session and every other
                // case go on, the administrator sees its id in the audit
                // log.
                Err(e) => {
                    metrics.error("unavailable");
                    tracing::error!(doc = %doc, error = %e, "case unavailable; set apart");
                    let _ = store.audit(
                        Some(&s.user.id),
                        Some(&s.device.id),
                        "case-unavailable",
                        &[doc],
                        "the case failed on the server; see the server log",
                    );
                    Ok((
                        Outcome::Reply(ServerFrame::DocError {
                            doc,
                            code: ErrorCode::Unavailable,
                            message: ErrorCode::Unavailable.message_nl().into(),
                        }),
                        None,
                    ))
                }
            }
        }
    }
}

/// What a hub event means for this session's device, if anything.
async fn notice(
    state: &AppState,
    session: &Arc<Mutex<Session>>,
    event: HubEvent,
) -> Option<Outcome> {
    let (id, device, user, greeted) = {
        let s = lock(session);
        (s.id, s.device.id.clone(), s.user.clone(), s.greeted())
    };
    match event {
        HubEvent::Admin(AdminEvent::Revoke { device: d }) if d == device => {
            Some(Outcome::Close(ServerFrame::Revoked))
        }
        _ if !greeted => None,
        HubEvent::DocChanged { origin, .. } if origin == id => None,
        HubEvent::DocChanged { doc, audience, .. } => {
            let backend = state.backend.clone();
            let visible = audience
                .get_or_try_init(
                    || async move { backend.with(move |store| store.audience(doc)).await },
                )
                .await
                .is_ok_and(|a| a.admits(&user));
            visible.then(|| Outcome::Reply(ServerFrame::Changed { docs: vec![doc] }))
        }
        HubEvent::Admin(AdminEvent::Assign { user: u, case }) if u == user.id => {
            Some(Outcome::Reply(ServerFrame::Changed { docs: vec![case] }))
        }
        HubEvent::Admin(AdminEvent::Erase { case }) => {
            let visible = state
                .backend
                .with(move |store| store.may_access(&user, case))
                .await
                .unwrap_or(false);
            visible.then(|| Outcome::Reply(ServerFrame::Changed { docs: vec![case] }))
        }
        HubEvent::Admin(AdminEvent::Unassign { user: u, case }) if u == user.id => {
            let still = state
                .backend
                .with(move |store| store.may_access(&user, case))
                .await
                .unwrap_or(false);
            (!still).then(|| Outcome::Reply(ServerFrame::Purge { docs: vec![case] }))
        }
        HubEvent::Admin(_) => None,
    }
}
