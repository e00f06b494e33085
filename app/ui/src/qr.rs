//! Reading an enrolment code from an image of its QR code (PNG), and drawing
//! a QR code as SVG for a team member's new device to scan.

use std::path::Path;

/// Why no code could be read from an image, or drawn (the words are in
/// [`crate::i18n::qr_error`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QrError {
    /// The file could not be opened.
    Open(String),
    /// Not a PNG image.
    NotPng(String),
    /// The image is too large to read.
    TooLarge,
    /// The PNG does not decode.
    Unreadable(String),
    /// No QR code in the image.
    NoCode,
    /// The text does not fit in a QR code.
    Draw(String),
}

/// Reads the text of the QR code in a PNG file.
pub fn read_png(path: &Path) -> Result<String, QrError> {
    let file =
        std::fs::File::open(path).map_err(|e| QrError::Open(format!("{}: {e}", path.display())))?;
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder
        .read_info()
        .map_err(|e| QrError::NotPng(e.to_string()))?;
    let size = reader.output_buffer_size().ok_or(QrError::TooLarge)?;
    if size > 64 * 1024 * 1024 {
        return Err(QrError::TooLarge);
    }
    let mut buf = vec![0; size];
    let info = reader
        .next_frame(&mut buf)
        .map_err(|e| QrError::Unreadable(e.to_string()))?;
    let channels = info.color_type.samples();
    let (w, h) = (info.width as usize, info.height as usize);
    let luma = |x: usize, y: usize| -> u8 {
        let i = (y * w + x) * channels;
        match channels {
            1 | 2 => buf[i],
            _ => ((buf[i] as u32 * 3 + buf[i + 1] as u32 * 6 + buf[i + 2] as u32) / 10) as u8,
        }
    };
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, luma);
    for grid in img.detect_grids() {
        if let Ok((_, text)) = grid.decode() {
            return Ok(text);
        }
    }
    Err(QrError::NoCode)
}

/// A QR code as an SVG document.
pub fn svg(text: &str) -> Result<String, QrError> {
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(|e| QrError::Draw(e.to_string()))?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(280, 280)
        .build())
}
