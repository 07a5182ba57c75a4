//! Scan progress: bytes and files, rate, stage; Cancel keeps what was done.

use eframe::egui;

use crate::gui::{Command, FerretApp};

/// The scan screen.
pub fn scan_ui(ui: &mut egui::Ui, app: &mut FerretApp) {
    egui::CentralPanel::default().show(ui, |ui| {
        ui.heading("Scanning");
        if let Some(run) = &app.running {
            let p = run.scan.job.progress();
            let fraction = p.fraction().unwrap_or(0.0) as f32;
            ui.add(egui::ProgressBar::new(fraction).show_percentage());
            ui.label(format!(
                "Stage: {} · {} of {} files · {} of {} bytes · {:.1} s",
                p.stage.label(),
                p.files_done,
                p.files_total,
                p.bytes_hashed,
                p.bytes_total,
                p.elapsed.as_secs_f64()
            ));
            ui.label(format!(
                "Alerts: {} · known-good filtered: {} · extension mismatches: {} · unreadable: {}",
                p.alerts, p.known_good, p.mismatches, p.errors
            ));
            if app.confirm_cancel {
                ui.label("Cancel the scan? Everything recorded so far is kept, and the scan can be resumed.");
                ui.horizontal(|ui| {
                    if ui.button("Yes, cancel the scan").clicked() {
                        app.queue(Command::CancelScan);
                        app.confirm_cancel = false;
                    }
                    if ui.button("Keep scanning").clicked() {
                        app.confirm_cancel = false;
                    }
                });
            } else if ui.button("Cancel scan").clicked() {
                app.confirm_cancel = true;
            }
        }
    });
}
