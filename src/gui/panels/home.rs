//! Home: open the demo or an existing case.

use eframe::egui;

use crate::gui::{Command, FerretApp};

/// The home screen.
pub fn home_ui(ui: &mut egui::Ui, app: &mut FerretApp) {
    egui::CentralPanel::default().show(ui, |ui| {
        ui.heading(format!("Ferret {}", crate::VERSION));
        ui.label("Forensic disk triage: walk a mounted drive read-only, hash every file once,");
        ui.label("match known hash sets, review flagged items, and export an evidence report.");
        ui.add_space(16.0);
        if ui
            .button("Open demo case")
            .on_hover_text("Scan the bundled, harmless demo files against the demo hash sets")
            .clicked()
        {
            app.queue(Command::OpenDemo);
        }
        if ui.button("New case").clicked() {
            app.queue(Command::NewCase);
        }
        if ui
            .button("Open case...")
            .on_hover_text("Choose a case file with the system dialog")
            .clicked()
        {
            app.queue(Command::Browse(crate::gui::dialogs::Pick::CaseFile));
        }
        let recent: Vec<std::path::PathBuf> = app
            .settings
            .recent_cases
            .iter()
            .filter(|p| p.is_file())
            .cloned()
            .collect();
        if !recent.is_empty() {
            ui.add_space(12.0);
            ui.strong("Recent cases");
            for p in recent {
                ui.horizontal(|ui| {
                    let name = p
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    if ui
                        .button(format!("Open {name}"))
                        .on_hover_text(p.display().to_string())
                        .clicked()
                    {
                        app.queue(Command::OpenCase(p.clone()));
                    }
                    ui.label(
                        p.parent()
                            .map(|d| d.display().to_string())
                            .unwrap_or_default(),
                    );
                });
            }
        }
        ui.add_space(12.0);
        ui.horizontal(|ui| {
            let label = ui.label("Case file");
            ui.text_edit_singleline(&mut app.case_path_input)
                .labelled_by(label.id);
            if ui.button("Open case").clicked() && !app.case_path_input.trim().is_empty() {
                let p = std::path::PathBuf::from(app.case_path_input.trim());
                app.queue(Command::OpenCase(p));
            }
        });
        if let Some(m) = &app.message {
            ui.add_space(12.0);
            ui.colored_label(ui.visuals().warn_fg_color, m);
        }
    });
}
