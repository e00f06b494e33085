//! Photos and PDFs made ready to store: what a worker picks is never kept
//! as it came. A photo is decoded and encoded again, so nothing of the
//! original file but its pixels survives: no EXIF (the GPS position of a
//! family's home, the camera's serial number, the owner's name), no XMP,
//! no comments, no embedded thumbnail. Its orientation is applied to the
//! pixels, it is downscaled to the configured long side and a thumbnail
//! is made for lists. A PDF is kept as it is, within the size limit.
//!
//! All of it happens in memory: the bytes reach the disk only inside the
//! encrypted store. Portable (no platform API): the camera on a phone hands
//! its bytes to the same function.

use std::io::Cursor;

use brug_shared::model::{AttachmentLimits, BlobHash, Sniffed, StoredType, sniff};
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

/// A file made ready to store.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Photo or PDF.
    pub stored: StoredType,
    /// The bytes to store.
    pub bytes: Vec<u8>,
    /// Their hash.
    pub hash: BlobHash,
    /// Width and height of a photo.
    pub size_px: Option<(u32, u32)>,
    /// A photo's thumbnail and its hash.
    pub thumb: Option<(BlobHash, Vec<u8>)>,
}

/// Why a file cannot be attached. Each says what to do, in Dutch.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PhotoError {
    /// Larger than the limit.
    #[error("het bestand is {size} bytes; het maximum is {max} bytes")]
    TooLarge {
        /// The file's size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// Not a JPEG, PNG or PDF.
    #[error("alleen foto's (JPEG, PNG) en PDF-bestanden kunnen toegevoegd worden")]
    UnknownType,
    /// More pixels than the limit (a decompression bomb, or a scan far
    /// larger than a photo needs).
    #[error("de afbeelding is {width} × {height} pixels; het maximum is {max} pixels")]
    TooManyPixels {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
        /// The limit.
        max: u64,
    },
    /// The image does not decode.
    #[error("de afbeelding is beschadigd of onleesbaar: {0}")]
    Unreadable(String),
}

/// Makes `input` ready to store under `limits`.
pub fn prepare(input: &[u8], limits: &AttachmentLimits) -> Result<Prepared, PhotoError> {
    let size = input.len() as u64;
    if size > limits.max_file_bytes {
        return Err(PhotoError::TooLarge {
            size,
            max: limits.max_file_bytes,
        });
    }
    let format = match sniff(input).ok_or(PhotoError::UnknownType)? {
        Sniffed::Pdf => {
            return Ok(Prepared {
                stored: StoredType::Pdf,
                hash: BlobHash::of(input),
                bytes: input.to_vec(),
                size_px: None,
                thumb: None,
            });
        }
        Sniffed::Jpeg => ImageFormat::Jpeg,
        Sniffed::Png => ImageFormat::Png,
    };
    let image = decode(input, format, limits)?;
    let photo = fit(&image, limits.long_side);
    let bytes = jpeg(&photo, limits.jpeg_quality)?;
    let thumb = jpeg(&fit(&photo, limits.thumb_side), 75)?;
    Ok(Prepared {
        stored: StoredType::Jpeg,
        hash: BlobHash::of(&bytes),
        size_px: Some((photo.width(), photo.height())),
        thumb: Some((BlobHash::of(&thumb), thumb)),
        bytes,
    })
}

/// Decodes with the pixel count checked from the header first, and every
/// allocation bounded, so a small file claiming 50,000 × 50,000 pixels is
/// refused before a byte of it is inflated. The EXIF orientation is
/// applied to the pixels.
fn decode(
    input: &[u8],
    format: ImageFormat,
    limits: &AttachmentLimits,
) -> Result<DynamicImage, PhotoError> {
    let unreadable = |e: image::ImageError| PhotoError::Unreadable(e.to_string());
    let mut reader = ImageReader::with_format(Cursor::new(input), format);
    let mut bounds = Limits::default();
    // Four bytes a pixel (RGBA) plus room for the decoder's own buffers.
    bounds.max_alloc = Some(limits.max_pixels.saturating_mul(4).saturating_add(64 << 20));
    reader.limits(bounds);
    let mut decoder = reader.into_decoder().map_err(|e| match e {
        image::ImageError::Limits(_) => PhotoError::TooManyPixels {
            width: 0,
            height: 0,
            max: limits.max_pixels,
        },
        e => unreadable(e),
    })?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > limits.max_pixels || width == 0 || height == 0 {
        return Err(PhotoError::TooManyPixels {
            width,
            height,
            max: limits.max_pixels,
        });
    }
    let orientation = decoder.orientation().map_err(unreadable)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// The image with its long side at most `side`, in RGB (JPEG has no alpha).
fn fit(image: &DynamicImage, side: u32) -> DynamicImage {
    let (w, h) = (image.width(), image.height());
    let scaled = if w.max(h) > side {
        image.resize(side, side, image::imageops::FilterType::Triangle)
    } else {
        image.clone()
    };
    DynamicImage::ImageRgb8(scaled.into_rgb8())
}

fn jpeg(image: &DynamicImage, quality: u8) -> Result<Vec<u8>, PhotoError> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality.clamp(1, 100))
        .encode_image(image)
        .map_err(|e| PhotoError::Unreadable(e.to_string()))?;
    Ok(out)
}
