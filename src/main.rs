//! Ferret's binary: no command opens the desktop app, a command runs the CLI.

fn main() -> std::process::ExitCode {
    let cli = ferret::cli::parse();
    match cli.command {
        None => desktop(cli.demo),
        Some(command) => ferret::cli::run(command),
    }
}

#[cfg(feature = "gui")]
fn desktop(demo: bool) -> std::process::ExitCode {
    ferret::gui::run(demo)
}

#[cfg(not(feature = "gui"))]
fn desktop(_demo: bool) -> std::process::ExitCode {
    eprintln!(
        "ferret: this build has no desktop app (built without the `gui` feature); see --help"
    );
    std::process::ExitCode::from(3)
}
