//! Attachments on records: a photo or a PDF. The case document holds only
//! the reference ([`AttachmentRef`]); the bytes live beside the document,
//! named by the SHA-256 of the stored bytes ([`BlobHash`]), so the same
//! photo attached twice, or on two devices, is stored and sent once.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The root key of the attachment references in a case document.
pub const ATTACHMENTS: &str = "attachments";

/// The SHA-256 of a stored attachment's bytes, 64 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BlobHash(String);

impl BlobHash {
    /// The hash of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self(hex::encode(Sha256::digest(bytes)))
    }

    /// Parses a hash as text; `None` unless it is 64 hex digits.
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim().to_ascii_lowercase();
        (t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit())).then_some(Self(t))
    }

    /// The hash as hex.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A short form for screens (the first 12 digits).
    pub fn short(&self) -> &str {
        &self.0[..12]
    }
}

impl std::fmt::Display for BlobHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for BlobHash {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s).ok_or_else(|| format!("'{s}' is geen SHA-256-hash"))
    }
}

impl From<BlobHash> for String {
    fn from(h: BlobHash) -> String {
        h.0
    }
}

/// What an attachment is, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StoredType {
    /// A photo, re-encoded on the device.
    #[serde(rename = "image/jpeg")]
    Jpeg,
    /// A PDF, kept as it was.
    #[serde(rename = "application/pdf")]
    Pdf,
}

impl StoredType {
    /// The MIME type.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Pdf => "application/pdf",
        }
    }

    /// The usual file name extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Pdf => "pdf",
        }
    }

    /// Whether it is a photo (counts for the rules that ask for one).
    pub fn is_photo(self) -> bool {
        self == Self::Jpeg
    }
}

/// What a file handed to Brug turns out to be, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    /// A JPEG.
    Jpeg,
    /// A PNG.
    Png,
    /// A PDF.
    Pdf,
}

/// Tells a JPEG, PNG or PDF by its magic bytes; anything else is `None`
/// (refused: the name or a claimed type is never trusted).
pub fn sniff(bytes: &[u8]) -> Option<Sniffed> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Sniffed::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Sniffed::Png)
    } else if bytes.starts_with(b"%PDF-") {
        Some(Sniffed::Pdf)
    } else {
        None
    }
}

/// One attachment on a record: what the case document holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttachmentRef {
    /// The record or the item in a record (a defect, a reading) it is on.
    pub on: Uuid,
    /// The stored bytes.
    pub hash: BlobHash,
    /// Photo or PDF.
    #[serde(rename = "type")]
    pub stored: StoredType,
    /// Size of the stored bytes.
    pub size: u64,
    /// Width in pixels (photos).
    #[serde(default)]
    pub width: Option<u32>,
    /// Height in pixels (photos).
    #[serde(default)]
    pub height: Option<u32>,
    /// The small picture for lists (photos).
    #[serde(default)]
    pub thumb: Option<BlobHash>,
    /// What it shows.
    #[serde(default)]
    pub caption: String,
    /// Who added it (user id).
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

impl AttachmentRef {
    /// The stored blobs it needs: the bytes and, for a photo, the thumbnail.
    pub fn blobs(&self) -> impl Iterator<Item = &BlobHash> {
        std::iter::once(&self.hash).chain(self.thumb.as_ref())
    }
}

/// The limits on attachments. Defaults are ours (DOMAIN.md asks for photos,
/// not for sizes) and configurable per deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AttachmentLimits {
    /// Largest file accepted, before re-encoding (15 MiB).
    pub max_file_bytes: u64,
    /// Largest image accepted, in pixels, read from the header before any
    /// decoding (a decompression bomb is refused, memory stays bounded):
    /// 64 million, twice a 32-megapixel phone camera.
    pub max_pixels: u64,
    /// The long side of a stored photo (2,048 px).
    pub long_side: u32,
    /// The long side of a thumbnail (320 px).
    pub thumb_side: u32,
    /// JPEG quality of a stored photo (0–100).
    pub jpeg_quality: u8,
    /// Stored bytes of all attachments of one case (200 MiB).
    pub max_case_bytes: u64,
    /// Stored bytes one device may add in a day (500 MiB).
    pub max_device_day_bytes: u64,
    /// Bytes of one upload or download chunk (256 KiB).
    pub chunk_bytes: u32,
    /// Days an attachment nobody references any more is kept (30).
    pub grace_days: u32,
    /// Bytes of full images fetched from the server a device keeps for
    /// offline use (100 MiB); beyond it, those shown longest ago go
    /// (thumbnails and what was made on the device always stay).
    pub device_cache_bytes: u64,
    /// The most attachment bytes a device sends in one sync (a metered
    /// connection); `None`: all. What is left goes with the next sync,
    /// resumed where it stopped.
    pub sync_budget_bytes: Option<u64>,
}

impl Default for AttachmentLimits {
    fn default() -> Self {
        Self {
            max_file_bytes: 15 * 1024 * 1024,
            max_pixels: 64_000_000,
            long_side: 2048,
            thumb_side: 320,
            jpeg_quality: 82,
            max_case_bytes: 200 * 1024 * 1024,
            max_device_day_bytes: 500 * 1024 * 1024,
            chunk_bytes: 256 * 1024,
            grace_days: 30,
            device_cache_bytes: 100 * 1024 * 1024,
            sync_budget_bytes: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_64_hex_digits() {
        let h = BlobHash::of(b"brug");
        assert_eq!(h.as_str().len(), 64);
        assert_eq!(BlobHash::parse(&h.as_str().to_uppercase()), Some(h.clone()));
        assert_eq!(BlobHash::parse("abc"), None);
        assert_eq!(BlobHash::parse(&"g".repeat(64)), None);
        assert_eq!(BlobHash::parse("../../etc/passwd"), None);
    }

    #[test]
    fn only_jpeg_png_and_pdf_are_recognised() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(Sniffed::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some(Sniffed::Png));
        assert_eq!(sniff(b"%PDF-1.7"), Some(Sniffed::Pdf));
        assert_eq!(sniff(b"GIF89a"), None);
        assert_eq!(sniff(b"<html>"), None);
        assert_eq!(sniff(b""), None);
    }
}
