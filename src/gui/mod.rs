//! The desktop front end (eframe/egui). For now a window that says what
//! Ferret is; the examiner workflow arrives with the GUI issue.

use eframe::egui;

/// The application state.
#[derive(Debug, Default)]
pub struct FerretApp {}

impl FerretApp {
    /// Draws the whole UI (called by eframe, and by tests directly).
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        egui::CentralPanel::default().show(ui, |ui| {
            ui.heading(format!("Ferret {}", crate::VERSION));
            ui.label("Forensic disk triage: walk a mounted drive read-only, hash every file once,");
            ui.label("match known hash sets, review flagged items, and export an evidence report.");
            ui.add_space(12.0);
            ui.label("Use the command line for now: ferret inventory SOURCE --format hashdeep");
            ui.label(format!(
                "Digest CPU features: {}",
                crate::hashing::cpu_features().join(", ")
            ));
        });
    }
}

impl eframe::App for FerretApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        FerretApp::ui(self, ui);
    }
}

/// Opens the main window and runs until it is closed.
pub fn run() -> std::process::ExitCode {
    let options = eframe::NativeOptions {
        renderer: eframe::Renderer::Glow,
        viewport: egui::ViewportBuilder::default()
            .with_title("Ferret")
            .with_inner_size([1100.0, 720.0]),
        ..Default::default()
    };
    match eframe::run_native(
        "Ferret",
        options,
        Box::new(|_cc| Ok(Box::new(FerretApp::default()))),
    ) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ferret: cannot open the window: {e}");
            std::process::ExitCode::from(crate::cli::EXIT_FAILED)
        }
    }
}
