//! Scan progress: bytes and files, rate, ETA, stage, live counts and the
//! latest alert hits; Cancel (confirmed) keeps what was done.

use eframe::egui;

use crate::gui::{Command, FerretApp};
use crate::pathfmt::escape_path;

/// Bytes for people: 1.2 GB, 340 MB, 12 KB.
fn human(bytes: u64) -> String {
    let b = bytes as f64;
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{:.0} KB", b / 1e3),
        1_000_000..1_000_000_000 => format!("{:.0} MB", b / 1e6),
        _ => format!("{:.2} GB", b / 1e9),
    }
}

/// The scan screen.
pub fn scan_ui(ui: &mut egui::Ui, app: &mut FerretApp) {
    egui::CentralPanel::default().show(ui, |ui| {
        ui.heading("Scanning");
        let Some(run) = &app.running else { return };
        let progress = run.scan.job.progress_handle();
        let (p, first, alerts) = (
            progress.snapshot(),
            progress.first_alert(),
            progress.recent_alerts(),
        );
        let fraction = p.fraction().unwrap_or(0.0) as f32;
        ui.add(egui::ProgressBar::new(fraction).show_percentage());
        let secs = p.elapsed.as_secs_f64();
        let rate = if secs > 0.0 {
            p.bytes_hashed as f64 / secs
        } else {
            0.0
        };
        let eta = if rate > 0.0 && p.bytes_total >= p.bytes_hashed && p.fraction().is_some() {
            format!(
                "{:.0} s left",
                (p.bytes_total - p.bytes_hashed) as f64 / rate
            )
        } else {
            "estimating".into()
        };
        ui.label(format!("Stage: {}", p.stage.label()));
        ui.label(format!(
            "{} of {} files · {} of {} · {}/s · {:.0} s elapsed, {eta}",
            p.files_done,
            p.files_total,
            human(p.bytes_hashed),
            human(p.bytes_total),
            human(rate as u64),
            secs
        ));
        ui.label(format!(
            "Alerts: {} · known-good filtered: {} · extension mismatches: {} · unreadable: {}",
            p.alerts, p.known_good, p.mismatches, p.errors
        ));
        if let Some(f) = first {
            ui.label(format!(
                "First alert after {:.1} s, {} read (likely matches are hashed first).",
                f.after.as_secs_f64(),
                human(f.bytes_read)
            ));
        }
        if app.confirm_cancel {
            ui.label(
                "Cancel the scan? Everything recorded so far is kept, and the scan can be resumed.",
            );
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
        ui.separator();
        ui.strong(format!(
            "Latest alert hits ({} shown, newest first)",
            alerts.len()
        ));
        if alerts.is_empty() {
            ui.label(
                "None yet. Hits appear here as they are found; review them when the scan ends.",
            );
        }
        egui::ScrollArea::vertical()
            .auto_shrink([false, true])
            .show(ui, |ui| {
                for a in &alerts {
                    ui.label(format!(
                        "{:>7.1} s  {}  [{}]",
                        a.after.as_secs_f64(),
                        escape_path(&a.rel_path),
                        a.sets.join(", ")
                    ));
                }
            });
    });
}
