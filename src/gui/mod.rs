//! The desktop front end (eframe/egui 0.37).
//!
//! `FerretApp` lives in the library so tests drive it headless with
//! egui_kittest. Panels are `*_ui` functions; whole-app actions are queued
//! as [`Command`]s during the frame and applied after all panels are drawn.
//! Heavy work (scans) runs on engine threads; the UI polls and asks for a
//! repaint every 150 ms while a job runs, never every frame.

mod app;
mod commands;
pub mod dialogs;
pub mod fonts;
mod panels;
mod settings;
mod state;
mod time;
mod windows;

pub use commands::Command;
pub use panels::export::ExportForm;
pub use panels::gallery;
pub use settings::Settings;
pub(crate) use state::Running;
pub use state::{
    CHECKING, DEFER_CHECK_OVER, FerretApp, GrowForm, LabelsForm, READ_ONLY, ReasonCounts,
    ReviewView, SHORTCUTS, Screen, TABLE_ROWS, default_workspace,
};

use eframe::egui;

/// Opens the main window and runs until it is closed. `demo`: open straight
/// into the scanned demo case.
pub fn run(demo: bool) -> std::process::ExitCode {
    let options = eframe::NativeOptions {
        renderer: eframe::Renderer::Glow,
        viewport: egui::ViewportBuilder::default()
            .with_title("Ferret")
            .with_inner_size([1280.0, 800.0]),
        ..Default::default()
    };
    match eframe::run_native(
        "Ferret",
        options,
        Box::new(move |cc| {
            let mut app = FerretApp::new(state::default_workspace());
            if let Some(s) = cc
                .storage
                .and_then(|st| eframe::get_value::<Settings>(st, eframe::APP_KEY))
            {
                app.settings = s;
            }
            app.apply_settings(&cc.egui_ctx);
            if demo {
                app.queue(Command::OpenDemo);
            }
            Ok(Box::new(app))
        }),
    ) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ferret: cannot open the window: {e}");
            // 3: the same "failed" code as the command line's.
            std::process::ExitCode::from(3)
        }
    }
}
