//! Review: the flagged-item table and the detail pane with review actions.

use eframe::egui;
use egui_extras::{Column, TableBuilder};

use crate::case::review::ReviewStatus;
use crate::gui::{Command, FerretApp};

/// The review screen.
pub fn review_ui(ui: &mut egui::Ui, app: &mut FerretApp) {
    egui::Panel::right("detail")
        .default_size(420.0)
        .show(ui, |ui| detail_ui(ui, app));
    egui::CentralPanel::default().show(ui, |ui| {
        if let Some(m) = &app.message {
            ui.label(m);
        }
        ui.horizontal(|ui| {
            ui.label(format!("{} flagged items", app.rows.len()));
            if ui.button("Export report").clicked() {
                app.queue(Command::ExportReport);
            }
        });
        if let Some((dir, sha)) = app.last_export.clone() {
            ui.horizontal(|ui| {
                ui.label(format!("manifest.sha256 SHA-256: {sha}"));
                if ui
                    .small_button("Copy")
                    .on_hover_text("Copy the manifest SHA-256")
                    .clicked()
                {
                    ui.ctx().copy_text(sha.clone());
                }
            });
            ui.label(format!("Folder: {}", dir.display()));
        }
        ui.style_mut().interaction.selectable_labels = false;
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
        let mut clicked = None;
        TableBuilder::new(ui)
            .striped(true)
            .sense(egui::Sense::click())
            .column(Column::exact(110.0))
            .column(Column::exact(140.0))
            .column(Column::initial(220.0).at_least(120.0).resizable(true))
            .column(Column::exact(70.0))
            .column(Column::remainder())
            .header(20.0, |mut h| {
                for t in ["Status", "Reason", "Name", "Size", "Path"] {
                    h.col(|ui| {
                        ui.strong(t);
                    });
                }
            })
            .body(|body| {
                body.rows(20.0, app.rows.len(), |mut row| {
                    let r = &app.rows[row.index()];
                    row.set_selected(app.selected == Some(r.file_id));
                    row.col(|ui| {
                        ui.label(r.status.as_str());
                    });
                    row.col(|ui| {
                        ui.label(&r.reasons);
                    });
                    row.col(|ui| {
                        ui.label(&r.name);
                    });
                    row.col(|ui| {
                        ui.label(r.size.map(|s| s.to_string()).unwrap_or_default());
                    });
                    row.col(|ui| {
                        ui.label(&r.path);
                    });
                    if row.response().clicked() {
                        clicked = Some(r.file_id);
                    }
                });
            });
        if let Some(id) = clicked {
            app.queue(Command::Select(id));
        }
    });
}

fn detail_ui(ui: &mut egui::Ui, app: &mut FerretApp) {
    ui.heading("Detail");
    let (Some(id), Some(store)) = (app.selected, app.case()) else {
        ui.label("Nothing selected");
        return;
    };
    let row = match crate::report::rows::report_row(store, id) {
        Ok(Some(r)) => r,
        _ => {
            ui.label("Item not found");
            return;
        }
    };
    ui.label(format!("Selected: {}", row.path));
    ui.label(format!(
        "Size: {}",
        row.size.map(|s| s.to_string()).unwrap_or_default()
    ));
    ui.label(format!("Type: {}", row.mime.clone().unwrap_or_default()));
    for (name, v) in [
        ("MD5", &row.md5),
        ("SHA-1", &row.sha1),
        ("SHA-256", &row.sha256),
        ("BLAKE3", &row.blake3),
    ] {
        if let Some(h) = v {
            ui.horizontal(|ui| {
                ui.label(format!("{name}: {h}"));
                if ui
                    .small_button("Copy")
                    .on_hover_text(format!("Copy {name}"))
                    .clicked()
                {
                    ui.ctx().copy_text(h.clone());
                }
            });
        }
    }
    ui.label(format!(
        "Modified: {}",
        row.mtime.clone().unwrap_or_default()
    ));
    if !row.matches.is_empty() {
        ui.label(format!("Matches: {}", row.matches));
    }
    ui.label(format!("Flags: {}", row.flags));
    ui.label(format!("Review: {}", row.review));
    ui.separator();
    let (store, examiner) = (app.case.as_ref(), app.examiner.clone());
    if let Some(store) = store {
        super::preview::preview_ui(ui, &mut app.preview, &row, store, &examiner);
    }
    ui.separator();
    ui.horizontal(|ui| {
        for (label, status) in [
            ("Confirm", ReviewStatus::Confirmed),
            ("False positive", ReviewStatus::FalsePositive),
            ("Needs second look", ReviewStatus::SecondLook),
        ] {
            if ui.button(label).clicked() {
                app.queue(Command::SetStatus(status));
            }
        }
    });
}
