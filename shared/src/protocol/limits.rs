//! Every limit of the sync protocol, in one place. Anything over a limit is
//! answered with a clear error code, never with a panic or unbounded memory.

/// Largest WebSocket message (one frame of ours), in bytes. A sync message
/// for one case with years of visits is a few hundred KiB; 4 MiB leaves room
/// for a whole-document first sync of a large case.
pub const MAX_FRAME_BYTES: usize = 4 * 1024 * 1024;

/// Largest size the automerge data in one sync message may inflate to.
/// DEFLATE can expand ~1000×; this bound is checked before automerge
/// decompresses anything.
pub const MAX_DECOMPRESSED_BYTES: usize = 32 * 1024 * 1024;

/// Most automerge operations one sync message may add to a document. A
/// realistic case has tens of thousands after years of work.
pub const MAX_OPS_PER_BATCH: usize = 250_000;

/// Most chunks (changes) in one sync message.
pub const MAX_CHUNKS_PER_MESSAGE: usize = 20_000;

/// Most distinct documents one session may sync. A region's biggest
/// caseload is a few thousand cases.
pub const MAX_DOCS_PER_SESSION: usize = 20_000;

/// Most document ids a device may list as held in its hello.
pub const MAX_HELD_DOCS: usize = 50_000;

/// Most open sync sessions per device (a phone reconnecting while an old
/// connection is still being torn down needs more than one).
pub const MAX_SESSIONS_PER_DEVICE: usize = 4;

/// Largest body of any plain HTTP request (enrolment), in bytes.
pub const MAX_REQUEST_BODY_BYTES: usize = 64 * 1024;

/// Seconds a device has to say hello after connecting.
pub const HELLO_TIMEOUT_SECS: u64 = 10;

/// Seconds one frame may take to go out to a device: a device that stops
/// reading (its buffers full) holds no server task longer than this.
pub const SEND_TIMEOUT_SECS: u64 = 30;

/// Seconds a session may stay silent before the server closes it (a device
/// in `--watch` mode sends pings well within this).
pub const IDLE_TIMEOUT_SECS: u64 = 120;
