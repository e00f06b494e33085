//! The Brug launcher. Desktop: `brug [--home DIR] [brug://enrol?...]`.
//! Everything platform-specific lives here; the screens are portable.

use std::path::PathBuf;

use brug_app::app::{App, Launch};

fn main() {
    let mut home = std::env::var_os("BRUG_HOME").map(PathBuf::from);
    let mut enrol_url = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--home" => home = args.next().map(PathBuf::from),
            "-h" | "--help" => {
                println!(
                    "brug [--home MAP] [brug://enrol?...]\n\nDe Brug-app. Met een inschrijvingscode opent het inschrijvingsscherm ingevuld.\nThe Brug app. With an enrolment code the enrolment screen opens filled in.\nBRUG_HOME: de gegevensmap / the data folder."
                );
                return;
            }
            a if a.starts_with("brug://") => enrol_url = Some(a.to_owned()),
            other => {
                eprintln!("onbekend argument / unknown argument: {other} (zie / see brug --help)");
                std::process::exit(2);
            }
        }
    }
    let home = home.unwrap_or_else(default_home);
    launch(Launch { home, enrol_url });
}

#[cfg(feature = "desktop")]
fn default_home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".local/share/brug")
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
