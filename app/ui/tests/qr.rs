//! Reading an enrolment code from an image of its QR code.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up

use std::path::Path;

use brug_app::i18n::Lang;

const URL: &str = "brug://enrol?server=https%3A%2F%2F127.0.0.1%3A8443&code=L6TF-FDWF-8WR3-4SJ2-RCJ5&fp=109a2f0d2511f7cc8ac027aab093ac9d5629f020a0f889f370a2d8db85d743d1";

/// Draws `text` as a QR code PNG (8 px per module, quiet zone of 4), in
/// grey or RGB like a photo or screenshot would be.
fn write_png(path: &Path, text: &str, rgb: bool) {
    let code = qrcode::QrCode::new(text.as_bytes()).unwrap();
    let n = code.width();
    let colors = code.to_colors();
    let (scale, quiet) = (8, 4);
    let size = (n + 2 * quiet) * scale;
    let channels = if rgb { 3 } else { 1 };
    let mut pixels = vec![255u8; size * size * channels];
    for y in 0..size {
        for x in 0..size {
            let (mx, my) = (
                (x / scale) as isize - quiet as isize,
                (y / scale) as isize - quiet as isize,
            );
            let dark = mx >= 0
                && my >= 0
                && (mx as usize) < n
                && (my as usize) < n
                && colors[my as usize * n + mx as usize] == qrcode::Color::Dark;
            if dark {
                for c in 0..channels {
                    pixels[(y * size + x) * channels + c] = 0;
                }
            }
        }
    }
    let file = std::fs::File::create(path).unwrap();
    let mut enc = png::Encoder::new(file, size as u32, size as u32);
    enc.set_color(if rgb {
        png::ColorType::Rgb
    } else {
        png::ColorType::Grayscale
    });
    enc.set_depth(png::BitDepth::Eight);
    enc.write_header()
        .unwrap()
        .write_image_data(&pixels)
        .unwrap();
}

#[test]
fn the_enrolment_code_is_read_from_a_png_of_its_qr_code() {
    let dir = tempfile::tempdir().unwrap();
    for rgb in [false, true] {
        let path = dir.path().join(format!("enrol-{rgb}.png"));
        write_png(&path, URL, rgb);
        assert_eq!(brug_app::qr::read_png(&path).unwrap(), URL);
    }
}

#[test]
fn a_file_that_is_not_a_png_or_has_no_code_gets_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("code.txt");
    std::fs::write(&text, URL).unwrap();
    assert!(
        brug_app::i18n::qr_error(Lang::Nl, &brug_app::qr::read_png(&text).unwrap_err())
            .contains("geen PNG")
    );

    let blank = dir.path().join("blank.png");
    let file = std::fs::File::create(&blank).unwrap();
    let mut enc = png::Encoder::new(file, 64, 64);
    enc.set_color(png::ColorType::Grayscale);
    enc.write_header()
        .unwrap()
        .write_image_data(&[255u8; 64 * 64])
        .unwrap();
    assert!(
        brug_app::i18n::qr_error(Lang::En, &brug_app::qr::read_png(&blank).unwrap_err())
            .contains("no QR code")
    );

    let missing = dir.path().join("missing.png");
    assert!(brug_app::qr::read_png(&missing).is_err());
}
