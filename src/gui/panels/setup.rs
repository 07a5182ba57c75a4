//! New case: case details, the evidence folder (with what Ferret detects
//! about it), hash sets from the library; validated inline before the scan.

use std::path::{Path, PathBuf};

use eframe::egui;

use crate::gui::dialogs::Pick;
use crate::gui::{Command, FerretApp};
use crate::hashing::{Algorithm, AlgorithmSet};
use crate::hashsets::SetKind;
use crate::hashsets::library::{ImportOptions, ImportOutcome};
use crate::job::{Order, ScanSettings};
use crate::workflow::{ImportJob, ImportRequest};

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
    /// The sets of the library.
    pub sets: Vec<LibrarySet>,
    /// Library folder the set list was read from.
    pub sets_from: Option<PathBuf>,
    /// Hash-set file to import into the library.
    pub import_path: String,
    /// Kind of the set to import (`alert`, `ignore`, `info`).
    pub import_kind: String,
    /// Name of the set to import (empty: the file name).
    pub import_name: String,
    /// What the last import did.
    pub import_result: String,
    /// Digests to compute, in [`ALGORITHMS`] order; all off means all on.
    pub algorithms: [bool; 4],
    /// Enter other filesystems mounted below the evidence folder.
    pub cross_filesystems: bool,
    /// Do not look inside archives (on by default).
    pub no_archives: bool,
    /// Do not compute perceptual hashes of pictures (on by default).
    pub no_pdq: bool,
    /// Hash in the walk's order instead of likely hits first.
    pub walk_order: bool,
    /// `auto`, `hdd` or `ssd`.
    pub device: String,
    /// What was found about the evidence folder, and for which text.
    pub evidence_check: Option<(String, EvidenceCheck)>,
    /// The system's drives for the picker, and when they were listed.
    pub drives: Option<(std::time::Instant, Vec<crate::evidence::Drive>)>,
    /// Where the drive list is read (`None`: this system; tests give
    /// fixture files).
    pub drive_sources: Option<crate::evidence::DriveSources>,
}

/// A set of the hash library, as the form lists it.
#[derive(Debug, Clone, Default)]
pub struct LibrarySet {
    /// Name.
    pub name: String,
    /// `alert`, `ignore` or `info`.
    pub kind: String,
    /// Entries.
    pub entries: u64,
    /// Chosen for the scan.
    pub chosen: bool,
    /// Provenance (shown on hover).
    pub provenance: String,
    /// The digests it holds: a scan matching it computes them.
    pub digests: AlgorithmSet,
    /// True when it holds PDQ hashes: a scan matching it computes PDQ.
    pub pdq: bool,
}

/// What Ferret detects about an evidence folder before the scan.
#[derive(Debug, Clone, Default)]
pub struct EvidenceCheck {
    /// Why it cannot be read, if it cannot.
    pub error: Option<String>,
    /// Mounted read-only (`None`: unknown).
    pub read_only: Option<bool>,
    /// Filesystem, device and mount options.
    pub mount: Option<crate::evidence::MountInfo>,
    /// Disk kind and how it was decided.
    pub device: Option<String>,
    /// How its filesystem shows named data streams (NTFS).
    pub streams: Option<crate::evidence::StreamInterface>,
}

impl EvidenceCheck {
    /// Looks at the folder (opens it like a scan does; reads nothing in it).
    pub fn of(path: &Path) -> EvidenceCheck {
        match crate::evidence::EvidenceRoot::open(path) {
            Err(e) => EvidenceCheck {
                error: Some(e.to_string()),
                ..Default::default()
            },
            Ok(root) => {
                let mount = crate::evidence::mount_info(path);
                let device = crate::job::DeviceProfile::detect(
                    path,
                    mount.as_ref().map(|m| m.device.as_str()),
                );
                EvidenceCheck {
                    error: None,
                    read_only: root.mount_state().ok().map(|m| m.read_only),
                    device: Some(format!("{} ({})", device.kind.name(), device.source)),
                    mount,
                    streams: Some(root.stream_interface()),
                }
            }
        }
    }

    /// One line for the form.
    pub fn summary(&self) -> String {
        if let Some(e) = &self.error {
            return format!("Cannot be read: {e}");
        }
        let ro = match self.read_only {
            Some(true) => "mounted read-only",
            Some(false) => "mounted READ-WRITE",
            None => "mount state unknown",
        };
        let fs = crate::evidence::MountInfo::describe_or_unknown(self.mount.as_ref());
        let dev = self.device.as_deref().unwrap_or("disk kind unknown");
        let streams = match self.streams {
            Some(s) if s.warning().is_some() => {
                format!("; WARNING: {}", s.warning().unwrap_or_default())
            }
            Some(s) if s != crate::evidence::StreamInterface::None => {
                format!("; named data streams read ({})", s.as_str())
            }
            _ => String::new(),
        };
        format!("Detected: {fs}, {ro}; disk: {dev}{streams}")
    }
}

impl SetupForm {
    /// The evidence check for the folder typed now (fresh if the cached one
    /// is for other text).
    fn evidence_now(&self) -> std::borrow::Cow<'_, EvidenceCheck> {
        let ev = self.evidence.trim();
        match &self.evidence_check {
            Some((text, c)) if text == ev => std::borrow::Cow::Borrowed(c),
            _ => std::borrow::Cow::Owned(EvidenceCheck::of(Path::new(ev))),
        }
    }
}

/// The digests the form offers, in [`Algorithm::ALL`] order.
pub const ALGORITHMS: [(&str, Algorithm); 4] = [
    ("MD5", Algorithm::Md5),
    ("SHA-1", Algorithm::Sha1),
    ("SHA-256", Algorithm::Sha256),
    ("BLAKE3", Algorithm::Blake3),
];

impl SetupForm {
    /// The digests ticked (all when none is).
    pub fn digests(&self) -> AlgorithmSet {
        let chosen = ALGORITHMS
            .iter()
            .zip(self.algorithms)
            .filter(|(_, on)| *on)
            .fold(AlgorithmSet::EMPTY, |s, ((_, a), _)| s.with(*a));
        if chosen.is_empty() {
            AlgorithmSet::ALL
        } else {
            chosen
        }
    }

    /// The chosen sets that hold `a` digests (they need it computed).
    pub fn sets_needing(&self, a: Algorithm) -> Vec<&str> {
        self.sets
            .iter()
            .filter(|s| s.chosen && s.digests.contains(a))
            .map(|s| s.name.as_str())
            .collect()
    }

    /// The scan settings the form describes.
    pub fn settings(&self) -> ScanSettings {
        ScanSettings {
            digests: self.digests(),
            hash_sets: self
                .sets
                .iter()
                .filter(|s| s.chosen)
                .map(|s| s.name.clone())
                .collect(),
            order: if self.walk_order {
                Order::Walk
            } else {
                Order::HitsFirst
            },
            device: self.device.parse().ok(),
            cross_filesystems: self.cross_filesystems,
            read_link_targets: None,
            archives: !self.no_archives,
            archive_limits: crate::archive::Limits::default(),
            pdq: !self.no_pdq,
        }
    }
}

/// The line the form shows for a finished import.
fn import_message(result: Result<ImportOutcome, crate::workflow::WorkflowError>) -> String {
    let o = match result {
        Ok(o) => o,
        Err(e) => return format!("Import failed: {e}"),
    };
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
        let check = form.evidence_now();
        if let Some(e) = &check.error {
            errors.push(format!("The evidence folder cannot be read: {e}"));
        } else if check.read_only == Some(false) {
            warnings.push(
                "WARNING: the evidence is mounted READ-WRITE. Mount it read-only before scanning \
                 (Ferret never writes to it, but the OS may)."
                    .into(),
            );
        }
    }
    let pdq_sets: Vec<&str> = form
        .sets
        .iter()
        .filter(|s| s.chosen && s.pdq)
        .map(|s| s.name.as_str())
        .collect();
    if form.no_pdq && !pdq_sets.is_empty() {
        warnings.push(format!(
            "Perceptual hashes are off, but {} holds PDQ hashes: they will be computed anyway, \
             or its near-duplicates would be missed.",
            pdq_sets.join(", ")
        ));
    }
    if !form.sets.iter().any(|s| s.chosen) {
        warnings.push(
            "No hash set chosen: files will be hashed and classified, but nothing matched.".into(),
        );
    }
    (errors, warnings)
}

fn field(ui: &mut egui::Ui, label: &str, value: &mut String) {
    ui.horizontal(|ui| labelled_edit(ui, label, value));
}

fn labelled_edit(ui: &mut egui::Ui, label: &str, value: &mut String) {
    let l = ui.add_sized([140.0, 20.0], egui::Label::new(label));
    // Room for a Browse button beside it, at any text size.
    let width = (ui.available_width() - 110.0).clamp(160.0, 420.0);
    ui.add_sized([width, 20.0], egui::TextEdit::singleline(value))
        .labelled_by(l.id);
}

/// A typed path with a "Browse..." button for the system dialog; true when
/// the button was clicked.
fn browse_field(ui: &mut egui::Ui, label: &str, value: &mut String) -> bool {
    ui.horizontal(|ui| {
        labelled_edit(ui, label, value);
        ui.button("Browse...")
            .on_hover_text(format!(
                "Choose the {} with the system dialog",
                label.to_lowercase()
            ))
            .clicked()
    })
    .inner
}

/// The new-case screen.
pub fn setup_ui(ui: &mut egui::Ui, app: &mut FerretApp) {
    let library = app.library_dir();
    if app.setup.sets_from.as_deref() != Some(library.as_path()) {
        // Listing only: a folder typed key by key is never created.
        app.setup.sets = crate::hashsets::HashLibrary::open_existing(&library)
            .map(|lib| {
                lib.list()
                    .into_iter()
                    .flatten()
                    .map(|s| {
                        let p = s.provenance();
                        LibrarySet {
                            name: p.name.clone(),
                            kind: p.kind.to_string(),
                            entries: p.entries,
                            chosen: false,
                            provenance: serde_json::to_string_pretty(p).unwrap_or_default(),
                            digests: crate::hashsets::catalog::set_algorithms(&s),
                            pdq: s.pdq_count() > 0,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        app.setup.sets_from = Some(library.clone());
    }
    // What Ferret detects about the evidence folder: looked at once per
    // change of the typed path (the form and the validation both read it).
    let ev = app.setup.evidence.trim().to_string();
    if app
        .setup
        .evidence_check
        .as_ref()
        .is_none_or(|(t, _)| *t != ev)
    {
        app.setup.evidence_check = Some((ev.clone(), EvidenceCheck::of(Path::new(&ev))));
    }
    // What blocks or warns, and Start, stay in sight at any text size.
    // Laid out from the bottom up, so the buttons keep their place while
    // the messages above them come and go.
    egui::Panel::bottom("setup-actions").show(ui, |ui| {
        ui.with_layout(egui::Layout::bottom_up(egui::Align::Min), |ui| {
            ui.add_space(4.0);
            let (errors, warnings) = validate(&app.setup);
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
            for e in errors.iter().rev() {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
            for w in warnings.iter().rev() {
                ui.colored_label(ui.visuals().warn_fg_color, w);
            }
            ui.add_space(4.0);
        });
    });
    egui::CentralPanel::default().show(ui, |ui| {
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| form_ui(ui, app, &library));
    });
}

/// The system's drives (volumes on Windows; removable and foreign mounts
/// on Linux, with sysfs's facts), listed again every few seconds (so a
/// drive plugged in appears) and on Refresh; Use makes one the evidence.
fn drive_picker(ui: &mut egui::Ui, f: &mut SetupForm) {
    let stale = f
        .drives
        .as_ref()
        .is_none_or(|(at, _)| at.elapsed() > std::time::Duration::from_secs(3));
    let mut refresh = stale;
    ui.horizontal(|ui| {
        ui.strong("Drives");
        refresh |= ui
            .button("Refresh")
            .on_hover_text("List the drives and mounted filesystems again")
            .clicked();
    });
    if refresh {
        let list = match &f.drive_sources {
            Some(src) => crate::evidence::drives_from(src),
            None => crate::evidence::drives(),
        };
        f.drives = Some((std::time::Instant::now(), list));
    }
    let Some((_, drives)) = &f.drives else {
        return;
    };
    if drives.is_empty() {
        ui.label("No removable or foreign drive is mounted (type the evidence folder above).");
        return;
    }
    let mut chosen = None;
    let warn = ui.visuals().warn_fg_color;
    egui::Grid::new("drives")
        .striped(true)
        .num_columns(8)
        .show(ui, |ui| {
            for h in [
                "Mount point",
                "Device",
                "Model / label",
                "Size",
                "Filesystem",
                "Access",
                "Removable",
                "",
            ] {
                ui.strong(h);
            }
            ui.end_row();
            for d in drives {
                let root = crate::pathfmt::PathStyle::native().escape_path(&d.root);
                ui.label(&root);
                ui.label(&d.device);
                let names: Vec<&str> = [d.model.as_deref(), d.label.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect();
                ui.label(if names.is_empty() {
                    "-".to_string()
                } else {
                    names.join(" / ")
                });
                ui.label(d.size.map_or_else(|| "-".to_string(), size_text));
                ui.label(if d.fs_type.is_empty() {
                    "-"
                } else {
                    &d.fs_type
                });
                if d.read_only {
                    ui.label("read-only");
                } else {
                    ui.colored_label(warn, "read-write")
                        .on_hover_text("Mount the evidence read-only before scanning it");
                }
                ui.label(match d.removable {
                    Some(true) => "removable",
                    Some(false) => "fixed",
                    None => "-",
                });
                if ui
                    .button("Use")
                    .on_hover_text(format!("Scan {root}"))
                    .clicked()
                {
                    chosen = Some(d.root.display().to_string());
                }
                ui.end_row();
            }
        });
    if let Some(root) = chosen {
        f.evidence = root;
    }
}

/// A size as people read it: `14.9 GiB`, `512 MiB`.
fn size_text(bytes: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    match u {
        0 => format!("{bytes} B"),
        _ => format!("{v:.1} {}", units.get(u).copied().unwrap_or("B")),
    }
}

fn form_ui(ui: &mut egui::Ui, app: &mut FerretApp, library: &Path) {
    {
        ui.heading("New case");
        let f = &mut app.setup;
        field(ui, "Case number", &mut f.case_number);
        field(ui, "Title", &mut f.title);
        field(ui, "Examiner", &mut f.examiner);
        field(ui, "Agency", &mut f.agency);
        field(ui, "Exhibit", &mut f.exhibit);
        field(ui, "Notes", &mut f.notes);
        field(ui, "Display time zone", &mut f.display_tz);
        if browse_field(ui, "Evidence folder", &mut f.evidence) {
            app.queue(Command::Browse(Pick::EvidenceFolder));
        }
        let f = &mut app.setup;
        drive_picker(ui, f);
        if let Some((typed, c)) = &f.evidence_check
            && !typed.is_empty()
        {
            let line = c.summary();
            if c.error.is_some()
                || c.read_only == Some(false)
                || c.streams.and_then(|s| s.warning()).is_some()
            {
                ui.colored_label(ui.visuals().warn_fg_color, line);
            } else {
                ui.label(line);
            }
        }
        field(ui, "Hash library", &mut f.library);
        ui.label(format!("Hash sets in {}:", library.display()));
        if f.sets.is_empty() {
            ui.label("(none yet: import one below, or with `ferret hashset import`)");
        }
        for s in &mut f.sets {
            ui.checkbox(
                &mut s.chosen,
                format!("{} ({}, {} entries)", s.name, s.kind, s.entries),
            )
            .on_hover_text(s.provenance.as_str());
        }
        ui.horizontal_wrapped(|ui| {
            ui.label("Digests");
            for (i, (label, a)) in ALGORITHMS.iter().enumerate() {
                let needed_by = f.sets_needing(*a);
                if needed_by.is_empty() {
                    ui.checkbox(&mut f.algorithms[i], *label);
                } else {
                    // A chosen set lists this digest: it is computed
                    // whatever is ticked, so the box says so and is locked.
                    let by = match needed_by.as_slice() {
                        [one] => (*one).to_string(),
                        many => format!("{} sets", many.len()),
                    };
                    ui.add_enabled(
                        false,
                        egui::Checkbox::new(&mut true, format!("{label} (needed by {by})")),
                    )
                    .on_disabled_hover_text(format!(
                        "Always computed: hash set {} lists {} digests",
                        needed_by.join(", "),
                        label
                    ));
                }
            }
            ui.label("(a chosen set's digests are always computed)");
        });
        ui.horizontal_wrapped(|ui| {
            ui.checkbox(&mut f.walk_order, "Hash in walk order")
                .on_hover_text(
                    "Off: likely pictures and videos are hashed first, so alerts come early",
                );
            ui.checkbox(
                &mut f.cross_filesystems,
                "Enter other filesystems mounted inside",
            );
            let mut inside = !f.no_archives;
            ui.checkbox(&mut inside, "Look inside archives")
                .on_hover_text(
                    "ZIP, TAR, 7z, RAR and gzip/bzip2/xz/zstd: every member is hashed and \
                     matched, nested archives too, under limits against bombs. Off: members \
                     inside archives are not matched.",
                );
            f.no_archives = !inside;
            let mut pdq = !f.no_pdq;
            ui.checkbox(&mut pdq, "Perceptual hashes of pictures (PDQ)")
                .on_hover_text(
                    "Every still picture gets a PDQ hash, so resized, re-saved and mirrored \
                     copies of known pictures are found by PDQ hash sets. Off: only \
                     byte-identical copies match.",
                );
            f.no_pdq = !pdq;
            ui.label("Disk");
            egui::ComboBox::from_id_salt("device")
                .selected_text(f.device.as_str())
                .show_ui(ui, |ui| {
                    for d in ["auto", "hdd", "ssd"] {
                        ui.selectable_value(&mut f.device, d.to_string(), d);
                    }
                })
                .response
                .on_hover_text(
                    "auto: detected; hdd: one reader in disk order; ssd: parallel readers",
                );
        });
        ui.add_space(6.0);
        ui.strong("Import a hash set into this library");
        import_ui(ui, app, library);
    }
}

/// Import a hash-set file into the library at `library`: file (typed or
/// chosen), kind, name, progress, and the result with rejected lines.
pub fn import_ui(ui: &mut egui::Ui, app: &mut FerretApp, library: &Path) {
    if browse_field(ui, "Hash set file", &mut app.setup.import_path) {
        app.queue(Command::Browse(Pick::HashSetFile));
    }
    let f = &mut app.setup;
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
        match job.poll() {
            Some(result) => {
                let m = import_message(result);
                f.import_result = m.clone();
                app.message = Some(m);
                app.import_job = None;
                // Read the set list again.
                f.sets_from = None;
            }
            None => {
                ui.label(format!("Importing: {} entries read...", job.entries()));
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
        let mut options = ImportOptions::new(kind);
        options.name = Some(f.import_name.trim().to_string()).filter(|n| !n.is_empty());
        app.import_job = Some(ImportJob::start(ImportRequest {
            library: library.to_path_buf(),
            source: PathBuf::from(f.import_path.trim()),
            options,
        }));
    }
    if !app.setup.import_result.is_empty() {
        ui.label(&app.setup.import_result);
    }
}
