//! The Brug launcher. Desktop: `brug [--home DIR] [brug://enrol?...]`.
//! Everything platform-specific lives here; the screens are portable.

use std::path::PathBuf;

use brug_app::app::{App, Launch};
use clap::Parser;

/// De Brug-app. Met een inschrijvingscode opent het inschrijvingsscherm
/// ingevuld. / The Brug app. With an enrolment code the enrolment screen
/// opens filled in.
#[derive(Parser)]
#[command(name = "brug", version)]
struct Args {
    /// De gegevensmap / the data folder (default: the platform's data
    /// folder, the same as brug-cli's).
    #[arg(long, env = "BRUG_HOME")]
    home: Option<PathBuf>,
    /// Een inschrijvingscode / an enrolment code (brug://enrol?...).
    #[arg(value_parser = enrol_code)]
    enrol_url: Option<String>,
    /// Vensterformaat in CSS-pixels / window size in CSS pixels, e.g.
    /// 390x844 (a phone) [default: 1000x820].
    #[arg(long, value_parser = window_size)]
    window: Option<(f64, f64)>,
    /// Meldt op stderr elke keer dat de pagina breder is dan het venster /
    /// reports on stderr each time the page is wider than the window.
    #[arg(long)]
    check_layout: bool,
}

fn window_size(text: &str) -> Result<(f64, f64), String> {
    let (w, h) = text
        .split_once('x')
        .ok_or("schrijf BREEDTExHOOGTE, bv. 390x844 / write WIDTHxHEIGHT, e.g. 390x844")?;
    let side = |t: &str| match t.trim().parse::<u32>() {
        Ok(n) if (200..=8000).contains(&n) => Ok(f64::from(n)),
        _ => Err(format!("{t}: 200 tot 8000 pixels / 200 to 8000 pixels")),
    };
    Ok((side(w)?, side(h)?))
}

fn enrol_code(text: &str) -> Result<String, String> {
    if text.starts_with("brug://") {
        Ok(text.to_owned())
    } else {
        Err(
            "een inschrijvingscode begint met brug:// / an enrolment code starts with brug://"
                .into(),
        )
    }
}

fn main() {
    let args = Args::parse();
    let home = args.home.unwrap_or_else(default_home);
    launch(
        Launch {
            home,
            enrol_url: args.enrol_url,
            check_layout: args.check_layout,
        },
        args.window.unwrap_or((1000.0, 820.0)),
    );
}

#[cfg(feature = "desktop")]
fn default_home() -> PathBuf {
    brug_device::default_home()
}

#[cfg(not(feature = "desktop"))]
fn default_home() -> PathBuf {
    // On a phone the app's private data folder is the working directory's
    // sandbox; Dioxus mobile sets it for us.
    PathBuf::from("brug-data")
}

#[cfg(feature = "desktop")]
fn launch(launch: Launch, (width, height): (f64, f64)) {
    use dioxus::desktop::{Config, LogicalSize, WindowBuilder};
    let window = WindowBuilder::new()
        .with_title("Brug")
        .with_inner_size(LogicalSize::new(width, height));
    dioxus::LaunchBuilder::desktop()
        .with_cfg(Config::new().with_window(window).with_menu(None))
        .with_context(launch)
        .launch(App);
}

#[cfg(not(feature = "desktop"))]
fn launch(launch: Launch, _window: (f64, f64)) {
    dioxus::LaunchBuilder::new()
        .with_context(launch)
        .launch(App);
}
