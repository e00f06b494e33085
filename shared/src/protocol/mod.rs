//! The sync wire protocol: a small versioned CBOR envelope around automerge
//! sync messages, carried one frame per WebSocket binary message.
//!
//! # The session
//!
//! 1. The device sends [`ClientFrame::Hello`] with the protocol version and
//!    its change cursor. A device starting afresh (cursor 0) also lists the
//!    cases it holds; otherwise the server knows them from the sync states
//!    it keeps per device, so an idle hello costs the same few bytes and
//!    the same few lookups whatever the caseload.
//! 2. The server answers [`ServerFrame::Welcome`]: the visible cases that
//!    changed since the cursor (an assignment given or taken away counts as
//!    a change) or that the device does not hold yet, the held ids it must
//!    purge (access removed, case gone, or never visible: all get the same
//!    answer) and the new cursor.
//! 3. Per case, the device sends [`ClientFrame::Sync`] and the server
//!    answers exactly one [`ServerFrame::Sync`] (or a [`ServerFrame::DocError`])
//!    for the same case; `msg: None` means "nothing more from me". A case is
//!    in sync when both sides said `None` in one exchange. The device
//!    pipelines many cases at once. The server answers only after whatever
//!    the message carried is durably committed: the answer is the
//!    acknowledgement. A device that holds nothing of a case gets the
//!    stored document as it is (snapshot and chunks, in one message of
//!    automerge's second version), and one that holds exactly what is
//!    stored is told so, without the server loading the case.
//! 4. While connected, the server tells the device about changes by others
//!    ([`ServerFrame::Changed`]), access removed ([`ServerFrame::Purge`]) and
//!    revocation ([`ServerFrame::Revoked`]).

pub mod blobs;
pub mod enrol;
mod inspect;
pub mod limits;
pub mod quarantine;
pub mod team;

pub(crate) use inspect::push_uleb;
pub use inspect::{
    InspectError, MessageSize, bomb_sync_message, inspect_sync_message, is_one_document_chunk,
    op_bomb_sync_message, op_bomb_sync_message_with, zeros_deflated,
};

use serde::{Deserialize, Serialize};
pub use serde_bytes::ByteBuf;
use uuid::Uuid;

/// The protocol version this code speaks.
pub const PROTOCOL_VERSION: u32 = 1;

/// A frame from the device to the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "kebab-case")]
pub enum ClientFrame {
    /// Opens the session.
    Hello {
        /// Protocol version.
        v: u32,
        /// The cursor from the last completed session (0: never synced).
        cursor: u64,
        /// Ids of the cases the device holds: sent by a device starting
        /// afresh (cursor 0); `None` otherwise (the server knows).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        held: Option<Vec<Uuid>>,
    },
    /// One automerge sync message for one case.
    Sync {
        /// The case.
        doc: Uuid,
        /// Set when the device created the case and the server has never
        /// acknowledged it.
        #[serde(default)]
        create: bool,
        /// The encoded automerge sync message, or `None`: nothing to send.
        msg: Option<ByteBuf>,
        /// The generation of the device's copy (0 before any erasure). A
        /// copy of an older generation is answered with
        /// [`ServerFrame::Generation`], never merged.
        #[serde(default, skip_serializing_if = "is_zero")]
        generation: u64,
    },
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The server's certificates, by SHA-256 fingerprint (lower-case hex).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificates {
    /// The one served now.
    #[serde(default)]
    pub served: Option<String>,
    /// The one it will serve after a rotation, once announced.
    #[serde(default)]
    pub next: Option<String>,
}

/// A frame from the server to the device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "kebab-case")]
pub enum ServerFrame {
    /// The answer to hello.
    Welcome {
        /// The cursor to store once every listed case is in sync.
        cursor: u64,
        /// Cases to sync: changed since the cursor, or not held yet.
        changed: Vec<Uuid>,
        /// Held cases to remove from the device.
        purge: Vec<Uuid>,
        /// The user id the device is enrolled for.
        user: String,
        /// Other devices enrolled for this user since this device last
        /// synced: a device the user does not know is a warning sign.
        #[serde(default)]
        joined: Vec<JoinedDevice>,
        /// The fingerprints of the certificate the server serves now and
        /// of the one it will serve next (announced ahead of a rotation):
        /// the device pins both, so it follows the rotation without a new
        /// enrolment. Told over a connection already pinned.
        #[serde(default)]
        certificates: Certificates,
    },
    /// The answer to one [`ClientFrame::Sync`].
    Sync {
        /// The case.
        doc: Uuid,
        /// The server's next sync message, or `None`: nothing more.
        msg: Option<ByteBuf>,
    },
    /// The answer to a [`ClientFrame::Sync`] for a copy of an older
    /// generation: the case was renewed by an erasure. The device carries
    /// its unacknowledged work over onto `snapshot` (a whole document) and
    /// replaces its copy; its old copy is never merged.
    Generation {
        /// The case.
        doc: Uuid,
        /// The new generation's number.
        generation: u64,
        /// The new generation, saved whole.
        snapshot: ByteBuf,
    },
    /// Cases that others changed while this session is open.
    Changed {
        /// The cases.
        docs: Vec<Uuid>,
    },
    /// Cases this device may no longer hold.
    Purge {
        /// The cases.
        docs: Vec<Uuid>,
    },
    /// One case's sync was refused; nothing from that message was stored.
    DocError {
        /// The case.
        doc: Uuid,
        /// What went wrong.
        code: ErrorCode,
        /// Why, in Dutch.
        message: String,
    },
    /// The session is refused or ends; the server closes it after this.
    Error {
        /// What went wrong.
        code: ErrorCode,
        /// Why, in Dutch.
        message: String,
    },
    /// This device was revoked: it must wipe its data.
    Revoked,
}

/// Stable error codes on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorCode {
    /// The device speaks another protocol version.
    ProtocolVersion,
    /// A frame that does not decode, or came at the wrong moment.
    BadFrame,
    /// A frame over [`limits::MAX_FRAME_BYTES`].
    FrameTooLarge,
    /// Data that would inflate past the limits, or too many operations.
    TooLarge,
    /// More cases in one session than [`limits::MAX_DOCS_PER_SESSION`].
    TooManyDocuments,
    /// No such case, or not one this user may see: the same answer.
    NotFound,
    /// The changes do not make a valid case.
    Invalid,
    /// The device token is unknown.
    Unauthorized,
    /// The device was revoked.
    Revoked,
    /// Too many sessions for this device at once.
    Busy,
    /// The device did not say hello in time, or went silent.
    Timeout,
    /// Something went wrong on the server.
    Internal,
    /// The changes touch what this user may not change (the message names
    /// the field and why); nothing of them was stored.
    Refused,
    /// The case cannot be loaded on the server; it is set apart and the
    /// administrator was told. Other cases sync on.
    Unavailable,
}

impl ErrorCode {
    /// What the code means for a social worker, in Dutch.
    pub fn message_nl(self) -> &'static str {
        match self {
            Self::ProtocolVersion => {
                "Deze versie van de app past niet bij de server. Werk de app bij."
            }
            Self::BadFrame => {
                "De server begreep een bericht van het toestel niet. Probeer opnieuw te synchroniseren."
            }
            Self::FrameTooLarge => "Een bericht was te groot voor de server.",
            Self::TooLarge => "Een wijziging was te groot om te bewaren.",
            Self::TooManyDocuments => {
                "Te veel dossiers in één synchronisatie. Synchroniseer opnieuw."
            }
            Self::NotFound => "Dit dossier bestaat niet of u heeft er geen toegang toe.",
            Self::Invalid => "De wijzigingen vormen geen geldig dossier en werden niet bewaard.",
            Self::Unauthorized => {
                "Dit toestel is niet (meer) ingeschreven. Schrijf het opnieuw in."
            }
            Self::Revoked => {
                "Dit toestel werd ingetrokken. De gegevens op het toestel worden gewist."
            }
            Self::Busy => "Dit toestel heeft al te veel verbindingen. Probeer straks opnieuw.",
            Self::Timeout => "De verbinding bleef te lang stil en werd gesloten.",
            Self::Internal => "Er ging iets mis op de server. Probeer later opnieuw.",
            Self::Refused => {
                "De server weigerde deze wijzigingen: u mag dit veld niet wijzigen. Er werd niets van bewaard."
            }
            Self::Unavailable => {
                "Dit dossier is tijdelijk niet beschikbaar op de server; de beheerder werd verwittigd. Uw wijzigingen blijven op het toestel."
            }
        }
    }
}

/// A device enrolled for the same user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinedDevice {
    /// The name it gave itself ("tablet Ann").
    pub name: String,
    /// When it was enrolled (ms).
    pub at: i64,
}

/// Why a frame could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// Over the size limit.
    #[error("frame of {0} bytes is over the limit of {max} bytes", max = limits::MAX_FRAME_BYTES)]
    TooLarge(usize),
    /// Not a frame of this protocol.
    #[error("frame does not decode: {0}")]
    Decode(String),
}

/// Encodes a frame as CBOR.
pub fn encode<T: Serialize>(frame: &T) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing plain enums of strings, ids and bytes into a Vec cannot fail.
    let _ = ciborium::into_writer(frame, &mut out);
    out
}

/// Decodes a frame, refusing anything over the frame limit first.
pub fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, FrameError> {
    if bytes.len() > limits::MAX_FRAME_BYTES {
        return Err(FrameError::TooLarge(bytes.len()));
    }
    ciborium::from_reader(bytes).map_err(|e| FrameError::Decode(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let frames = vec![
            ClientFrame::Hello {
                v: PROTOCOL_VERSION,
                cursor: 0,
                held: Some(vec![Uuid::now_v7()]),
            },
            ClientFrame::Hello {
                v: PROTOCOL_VERSION,
                cursor: 7,
                held: None,
            },
            ClientFrame::Sync {
                doc: Uuid::now_v7(),
                create: true,
                msg: Some(ByteBuf::from(vec![1, 2, 3])),
                generation: 0,
            },
            ClientFrame::Sync {
                doc: Uuid::now_v7(),
                create: false,
                msg: Some(ByteBuf::from(vec![1, 2, 3])),
                generation: 2,
            },
            ClientFrame::Sync {
                doc: Uuid::now_v7(),
                create: false,
                msg: None,
                generation: 0,
            },
        ];
        for f in frames {
            assert_eq!(decode::<ClientFrame>(&encode(&f)).unwrap(), f);
        }
        let s = ServerFrame::DocError {
            doc: Uuid::now_v7(),
            code: ErrorCode::NotFound,
            message: "x".into(),
        };
        assert_eq!(decode::<ServerFrame>(&encode(&s)).unwrap(), s);
        let g = ServerFrame::Generation {
            doc: Uuid::now_v7(),
            generation: 1,
            snapshot: ByteBuf::from(vec![9; 40]),
        };
        assert_eq!(decode::<ServerFrame>(&encode(&g)).unwrap(), g);
    }

    #[test]
    fn garbage_and_oversize_frames_are_errors() {
        assert!(decode::<ClientFrame>(b"\xff\x00garbage").is_err());
        assert!(decode::<ClientFrame>(&[]).is_err());
        let big = vec![0u8; limits::MAX_FRAME_BYTES + 1];
        assert!(matches!(
            decode::<ClientFrame>(&big),
            Err(FrameError::TooLarge(_))
        ));
        // A server frame is not a client frame.
        assert!(decode::<ClientFrame>(&encode(&ServerFrame::Revoked)).is_err());
    }

    #[test]
    fn deeply_nested_cbor_is_refused_not_a_stack_overflow() {
        let nested = vec![0x81u8; 100_000]; // array of array of ...
        assert!(decode::<ClientFrame>(&nested).is_err());
    }
}
