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
    launch(Launch {
        home,
        enrol_url: args.enrol_url,
    });
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
fn launch(launch: Launch) {
    use dioxus::desktop::{Config, LogicalSize, WindowBuilder};
    let window = WindowBuilder::new()
        .with_title("Brug")
        .with_inner_size(LogicalSize::new(1000.0, 820.0));
    dioxus::LaunchBuilder::desktop()
        .with_cfg(Config::new().with_window(window).with_menu(None))
        .with_context(launch)
        .launch(App);
}

#[cfg(not(feature = "desktop"))]
fn launch(launch: Launch) {
    dioxus::LaunchBuilder::new()
        .with_context(launch)
        .launch(App);
}
