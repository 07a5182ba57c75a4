//! New case: case details, the evidence folder (with what Ferret detects
//! about it), hash sets from the library; validated inline before the scan.

use std::path::{Path, PathBuf};

use eframe::egui;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, channel};

use crate::gui::{Command, FerretApp};
use crate::hashsets::SetKind;

/// What the new-case form holds.
#[derive(Debug, Clone, Default)]
pub struct SetupForm {
    /// Case number.
    pub case_number: String,
    /// Title.
    pub title: String,
    /// Examiner.
    pub examiner: String,
    /// Agency.
    pub agency: String,
    /// Exhibit number.
    pub exhibit: String,
    /// Notes.
    pub notes: String,
    /// Time zone times are also shown in (IANA name; UTC is always shown).
    pub display_tz: String,
    /// Evidence folder.
    pub evidence: String,
    /// Hash library folder (empty: the default).
    pub library: String,
    /// Library sets: (name, kind, entries, chosen).
    pub sets: Vec<(String, String, u64, bool)>,
    /// Library folder the set list was read from.
    pub sets_from: Option<PathBuf>,
    /// Hash-set file to import into the library.
    pub import_path: String,
    /// Kind of the set to import (`alert`, `ignore`, `info`).
    pub import_kind: String,
    /// Name of the set to import (empty: the file name).
    pub import_name: String,
}

/// A hash-set import running on its own thread.
pub struct ImportJob {
    entries: Arc<AtomicU64>,
    done: Receiver<Result<String, String>>,
}

impl ImportJob {
    /// Starts importing `path` into the library at `library`.
    fn start(library: PathBuf, path: PathBuf, kind: SetKind, name: Option<String>) -> ImportJob {
        let entries = Arc::new(AtomicU64::new(0));
        let (tx, done) = channel();
        let seen = Arc::clone(&entries);
        std::thread::spawn(move || {
            let result = crate::hashsets::HashLibrary::open(&library)
                .and_then(|lib| {
                    let mut opts = crate::hashsets::library::ImportOptions::new(kind);
                    opts.name = name;
                    lib.import(&path, &opts, &mut |n| seen.store(n, Ordering::Relaxed))
                })
                .map(|o| {
                    let p = &o.provenance;
                    let mut msg = format!(
                        "Imported {} ({}, {}): {} entries",
                        p.name, p.kind, p.format, p.entries
                    );
                    if o.unchanged {
                        msg.push_str(" (unchanged source: nothing to do)");
                    }
                    if o.report.rejected > 0 {
                        msg.push_str(&format!("; {} lines rejected", o.report.rejected));
                        if let Some(r) = o.report.first_rejects.first() {
                            msg.push_str(&format!(
                                ", first: {}:{}: {}",
                                o.report.source.display(),
                                r.line,
                                r.reason
                            ));
                        }
                    }
                    msg
                })
                .map_err(|e| format!("Import failed: {e}"));
            let _ = tx.send(result);
        });
        ImportJob { entries, done }
    }
}

/// Problems that block the scan (errors) and that only warn.
pub fn validate(form: &SetupForm) -> (Vec<String>, Vec<String>) {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    if form.case_number.trim().is_empty() {
        errors.push("Enter a case number.".into());
    }
    if form.examiner.trim().is_empty() {
        errors.push("Enter the examiner's name.".into());
    }
    let tz = form.display_tz.trim();
    if !tz.is_empty() && !crate::gui::time::valid_zone(tz) {
        errors.push(format!(
            "Unknown time zone {tz:?}: use an IANA name such as Europe/Berlin, or UTC."
        ));
    }
    let ev = form.evidence.trim();
    if ev.is_empty() {
        errors.push("Choose the evidence folder.".into());
    } else {
        match crate::evidence::EvidenceRoot::open(Path::new(ev)) {
            Err(e) => errors.push(format!("The evidence folder cannot be read: {e}")),
            Ok(root) => match root.mount_state() {
                Ok(m) if !m.read_only => warnings.push(
                    "WARNING: the evidence is mounted READ-WRITE. Mount it read-only before scanning \
                     (Ferret never writes to it, but the OS may)."
                        .into(),
                ),
                _ => {}
            },
        }
    }
    if !form.sets.iter().any(|s| s.3) {
        warnings.push(
            "No hash set chosen: files will be hashed and classified, but nothing matched.".into(),
        );
    }
    (errors, warnings)
}

fn field(ui: &mut egui::Ui, label: &str, value: &mut String) {
    ui.horizontal(|ui| {
        let l = ui.add_sized([140.0, 20.0], egui::Label::new(label));
        ui.add_sized([420.0, 20.0], egui::TextEdit::singleline(value))
            .labelled_by(l.id);
    });
}

/// The new-case screen.
pub fn setup_ui(ui: &mut egui::Ui, app: &mut FerretApp) {
    let library = app.library_dir();
    if app.setup.sets_from.as_deref() != Some(library.as_path()) {
        app.setup.sets = crate::hashsets::HashLibrary::open(&library)
            .map(|lib| {
                lib.list()
                    .into_iter()
                    .flatten()
                    .map(|s| {
                        let p = s.provenance();
                        (p.name.clone(), p.kind.to_string(), p.entries, false)
                    })
                    .collect()
            })
            .unwrap_or_default();
        app.setup.sets_from = Some(library.clone());
    }
    egui::CentralPanel::default().show(ui, |ui| {
        ui.heading("New case");
        let f = &mut app.setup;
        field(ui, "Case number", &mut f.case_number);
        field(ui, "Title", &mut f.title);
        field(ui, "Examiner", &mut f.examiner);
        field(ui, "Agency", &mut f.agency);
        field(ui, "Exhibit", &mut f.exhibit);
        field(ui, "Notes", &mut f.notes);
        field(ui, "Display time zone", &mut f.display_tz);
        field(ui, "Evidence folder", &mut f.evidence);
        field(ui, "Hash library", &mut f.library);
        ui.label(format!("Hash sets in {}:", library.display()));
        if f.sets.is_empty() {
            ui.label("(none yet: import one below, or with `ferret hashset import`)");
        }
        for (name, kind, entries, chosen) in &mut f.sets {
            ui.checkbox(chosen, format!("{name} ({kind}, {entries} entries)"));
        }
        ui.add_space(6.0);
        ui.strong("Import a hash set into this library");
        field(ui, "Hash set file", &mut f.import_path);
        ui.horizontal(|ui| {
            ui.label("Kind");
            if f.import_kind.is_empty() {
                f.import_kind = "alert".into();
            }
            for k in ["alert", "ignore", "info"] {
                ui.radio_value(&mut f.import_kind, k.to_string(), k);
            }
            let label = ui.label("Name");
            ui.add(
                egui::TextEdit::singleline(&mut f.import_name)
                    .hint_text("the file name")
                    .desired_width(180.0),
            )
            .labelled_by(label.id);
        });
        let running = app.import_job.is_some();
        if let Some(job) = &app.import_job {
            match job.done.try_recv() {
                Ok(result) => {
                    app.message = Some(result.unwrap_or_else(|e| e));
                    app.import_job = None;
                    // Read the set list again.
                    f.sets_from = None;
                }
                Err(_) => {
                    ui.label(format!(
                        "Importing: {} entries read...",
                        job.entries.load(Ordering::Relaxed)
                    ));
                    ui.ctx()
                        .request_repaint_after(std::time::Duration::from_millis(100));
                }
            }
        }
        let can_import = !running && !f.import_path.trim().is_empty();
        if ui
            .add_enabled(can_import, egui::Button::new("Import hash set"))
            .on_hover_text("Any supported format; the format is recognised from the content")
            .clicked()
        {
            let kind = f.import_kind.parse().unwrap_or(SetKind::Alert);
            let name = Some(f.import_name.trim().to_string()).filter(|n| !n.is_empty());
            app.import_job = Some(ImportJob::start(
                library.clone(),
                PathBuf::from(f.import_path.trim()),
                kind,
                name,
            ));
        }
        let (errors, warnings) = validate(f);
        for w in &warnings {
            ui.colored_label(ui.visuals().warn_fg_color, w);
        }
        for e in &errors {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        ui.horizontal(|ui| {
            let start = ui.add_enabled(errors.is_empty(), egui::Button::new("Start scan"));
            if start.clicked() {
                app.queue(Command::StartNewCase);
            }
            if ui.button("Back").clicked() {
                app.queue(Command::CloseCase);
            }
        });
        if let Some(m) = &app.message {
            ui.label(m);
        }
    });
}
