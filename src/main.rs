//! Ferret's binary: no command opens the desktop app, a command runs the CLI.

fn main() -> std::process::ExitCode {
    let cli = ferret::cli::parse();
    match cli.command {
        None => ferret::gui::run(cli.demo),
        Some(command) => ferret::cli::run(command),
    }
}
