//! New case: case details, the evidence folder (with what Ferret detects
//! about it), hash sets from the library; validated inline before the scan.

use std::path::{Path, PathBuf};

use eframe::egui;

use crate::gui::{Command, FerretApp};

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
            ui.label("(none: import sets with `ferret hashset import`)");
        }
        for (name, kind, entries, chosen) in &mut f.sets {
            ui.checkbox(chosen, format!("{name} ({kind}, {entries} entries)"));
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
