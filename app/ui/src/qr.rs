//! Reading an enrolment code from an image of its QR code (PNG), and drawing
//! a QR code as SVG for a team member's new device to scan.

use std::path::Path;

/// Reads the text of the QR code in a PNG file.
pub fn read_png(path: &Path) -> Result<String, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder
        .read_info()
        .map_err(|e| format!("geen PNG-afbeelding / not a PNG image: {e}"))?;
    let size = reader
        .output_buffer_size()
        .ok_or("afbeelding te groot / image too large")?;
    if size > 64 * 1024 * 1024 {
        return Err("afbeelding te groot / image too large".into());
    }
    let mut buf = vec![0; size];
    let info = reader
        .next_frame(&mut buf)
        .map_err(|e| format!("PNG onleesbaar / unreadable PNG: {e}"))?;
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
    Err("geen QR-code gevonden in de afbeelding / no QR code found in the image".into())
}

/// A QR code as an SVG document.
pub fn svg(text: &str) -> Result<String, String> {
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(|e| e.to_string())?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(280, 280)
        .build())
}
