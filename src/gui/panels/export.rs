//! Export: choose formats, scope and folder, write the report on a worker
//! thread with progress, then show the folder and the manifest's SHA-256.

use std::path::PathBuf;
use std::sync::atomic::Ordering;

use eframe::egui;

use crate::gui::dialogs::Pick;
use crate::gui::{Command, FerretApp};
use crate::report::{ReportFormat, Scope};
use crate::workflow::{ExportJob, ExportRequest};

/// The export window's choices.
#[derive(Debug, Clone)]
pub struct ExportForm {
    /// The window is open.
    pub open: bool,
    /// Each format and whether it is written.
    pub formats: Vec<(ReportFormat, bool)>,
    /// Which items the report covers.
    pub scope: Scope,
    /// Blurred greyscale thumbnails of flagged images in the HTML.
    pub thumbnails: bool,
    /// The folder the report folder is created in.
    pub parent: String,
    /// The report folder's name (created; never overwritten).
    pub name: String,
}

impl Default for ExportForm {
    fn default() -> Self {
        ExportForm {
            open: false,
            formats: ReportFormat::ALL
                .iter()
                .map(|f| (*f, *f != ReportFormat::Vics))
                .collect(),
            scope: Scope::Flagged,
            thumbnails: false,
            parent: String::new(),
            name: String::new(),
        }
    }
}

impl ExportForm {
    /// The chosen formats.
    pub fn chosen(&self) -> Vec<ReportFormat> {
        self.formats
            .iter()
            .filter(|(_, on)| *on)
            .map(|(f, _)| *f)
            .collect()
    }

    /// The report folder that would be written.
    pub fn target(&self) -> PathBuf {
        PathBuf::from(self.parent.trim()).join(self.name.trim())
    }

    /// What stops the export, if anything.
    pub fn problem(&self) -> Option<String> {
        if self.chosen().is_empty() {
            return Some("Choose at least one format.".into());
        }
        if self.parent.trim().is_empty() {
            return Some("Choose the folder to write the report in.".into());
        }
        let name = self.name.trim();
        if name.is_empty() || name.contains('/') || name == "." || name == ".." {
            return Some("Give the report folder a name (no '/').".into());
        }
        let target = self.target();
        if std::fs::read_dir(&target).is_ok_and(|mut d| d.next().is_some()) {
            return Some(format!(
                "{} exists and is not empty; reports never overwrite.",
                target.display()
            ));
        }
        None
    }
}

fn format_label(f: ReportFormat) -> &'static str {
    match f {
        ReportFormat::Html => "HTML report for reading",
        ReportFormat::Csv => "CSV table",
        ReportFormat::Json => "JSON",
        ReportFormat::Dfxml => "DFXML",
        ReportFormat::CaseUco => "CASE/UCO JSON-LD",
        ReportFormat::Hashdeep => "hashdeep inventory, for hashdeep -a -k audits",
        ReportFormat::Vics => "VICS 2.0 (Project VIC) of the categorised pictures",
    }
}

fn scope_label(s: Scope) -> &'static str {
    match s {
        Scope::Flagged => "flagged items",
        Scope::Reviewed => "reviewed or bookmarked items",
        Scope::All => "every entry of the case",
        Scope::Categorised => "categorised items",
    }
}

/// Starts writing the report the form describes, from a second connection
/// to the open case.
pub fn start_export(app: &FerretApp) -> Result<ExportJob, String> {
    let form = &app.export;
    if let Some(p) = form.problem() {
        return Err(p);
    }
    let store = app
        .case()
        .ok_or("No case is open.")?
        .second_connection()
        .map_err(|e| format!("Cannot open the case for the export: {e}"))?;
    Ok(ExportJob::start(
        store,
        ExportRequest {
            out_dir: form.target(),
            formats: form.chosen(),
            scope: form.scope,
            thumbnails: form.thumbnails,
            actor: app.examiner.clone(),
        },
    ))
}

/// The export window (open from the review screen or File > Export).
pub fn export_ui(ctx: &egui::Context, app: &mut FerretApp) {
    if !app.export.open {
        return;
    }
    let mut open = true;
    egui::Window::new("Export report")
        .default_pos([260.0, 90.0])
        .vscroll(true)
        .open(&mut open)
        .show(ctx, |ui| {
            // The result first: the window scrolls at large text sizes, and
            // this is what the examiner must see and record.
            if let Some((dir, sha)) = app.last_export.clone() {
                ui.strong("Report written");
                copy_row(ui, "Folder", &dir.display().to_string());
                copy_row(ui, "manifest.sha256 SHA-256", &sha);
                ui.label("Record this digest in your notes: it seals every file of the report.");
                ui.separator();
            }
            let running = app.export_job.is_some();
            ui.add_enabled_ui(!running, |ui| form_ui(ui, app));
            ui.separator();
            if let Some(job) = &app.export_job {
                match job.poll() {
                    Some(result) => {
                        app.export_job = None;
                        match result {
                            Ok(o) => {
                                app.message =
                                    Some(format!("Report written to {}", o.dir.display()));
                                app.last_export = Some((o.dir, o.manifest_sha256));
                            }
                            Err(e) => app.message = Some(format!("Export failed: {e}")),
                        }
                    }
                    None => {
                        let files = job.progress().files_done.load(Ordering::Relaxed);
                        ui.add(
                            egui::ProgressBar::new(files as f32 / job.files() as f32)
                                .show_percentage(),
                        );
                        ui.label(format!(
                            "Writing: {} of {} files, {} rows",
                            files,
                            job.files(),
                            job.progress().rows.load(Ordering::Relaxed)
                        ));
                        ui.ctx()
                            .request_repaint_after(std::time::Duration::from_millis(100));
                    }
                }
            }
            // Just written: the result below says so; no warning that the
            // folder now exists.
            let written = app
                .last_export
                .as_ref()
                .is_some_and(|(d, _)| *d == app.export.target());
            let problem = if written {
                Some(String::new())
            } else {
                app.export.problem()
            };
            if let Some(p) = problem.as_ref().filter(|p| !p.is_empty()) {
                ui.colored_label(ui.visuals().warn_fg_color, p);
            }
            ui.horizontal(|ui| {
                let can = problem.is_none() && app.export_job.is_none();
                if ui
                    .add_enabled(can, egui::Button::new("Write report"))
                    .clicked()
                {
                    app.queue(Command::ExportReport);
                }
            });
            if let Some(m) = &app.message
                && m.starts_with("Export failed")
            {
                ui.colored_label(ui.visuals().error_fg_color, m);
            }
        });
    app.export.open = open;
}

fn form_ui(ui: &mut egui::Ui, app: &mut FerretApp) {
    let f = &mut app.export;
    ui.strong("Formats");
    for (format, on) in &mut f.formats {
        ui.checkbox(
            on,
            format!("{} ({})", format_label(*format), format.file_name()),
        );
    }
    ui.label("A manifest.sha256 listing every file is always written.");
    ui.horizontal(|ui| {
        ui.label("Scope");
        for s in [Scope::Flagged, Scope::Reviewed, Scope::All] {
            ui.radio_value(&mut f.scope, s, scope_label(s));
        }
    });
    ui.checkbox(
        &mut f.thumbnails,
        "Blurred greyscale thumbnails of flagged images in the HTML",
    );
    let mut browse = false;
    ui.horizontal(|ui| {
        let label = ui.label("Save in");
        ui.add(egui::TextEdit::singleline(&mut f.parent).desired_width(320.0))
            .labelled_by(label.id);
        browse = ui
            .button("Browse...")
            .on_hover_text("Choose the folder with the system dialog")
            .clicked();
    });
    ui.horizontal(|ui| {
        let label = ui.label("Report folder");
        ui.add(egui::TextEdit::singleline(&mut f.name).desired_width(320.0))
            .labelled_by(label.id);
    });
    ui.label(format!("Writes {}", f.target().display()));
    if browse {
        app.queue(Command::Browse(Pick::ExportFolder));
    }
}

/// A label with a value and a button that copies it.
fn copy_row(ui: &mut egui::Ui, what: &str, value: &str) {
    ui.horizontal(|ui| {
        super::copy_button(ui, &format!("Copy the {what}"), value);
        ui.label(egui::RichText::new(format!("{what}: {value}")).monospace());
    });
}
