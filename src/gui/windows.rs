//! The menu bar and the windows over the screens (shortcuts, settings,
//! about, hash-set import), native dialogs' answers, and the question
//! asked before quitting mid-scan.

use std::path::PathBuf;
use std::time::Duration;

use eframe::egui;

use super::{Command, FerretApp, SHORTCUTS, panels};

impl FerretApp {
    /// The menu bar and whichever windows are open.
    pub(super) fn menu_and_windows_ui(&mut self, ui: &mut egui::Ui) {
        egui::Panel::top("menu").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.strong("Ferret");
                ui.menu_button("File", |ui| self.file_menu(ui));
                ui.menu_button("View", |ui| {
                    if ui.button("Dark theme").clicked() {
                        self.settings.dark = true;
                        self.apply_settings(ui.ctx());
                    }
                    if ui.button("Light theme").clicked() {
                        self.settings.dark = false;
                        self.apply_settings(ui.ctx());
                    }
                    for (label, zoom) in
                        [("Text 100%", 1.0), ("Text 150%", 1.5), ("Text 200%", 2.0)]
                    {
                        if ui.button(label).clicked() {
                            self.settings.zoom = zoom;
                            self.apply_settings(ui.ctx());
                        }
                    }
                    if ui.button("Settings...").clicked() {
                        self.show_settings = true;
                        ui.close();
                    }
                    if ui
                        .add_enabled(self.case.is_some(), egui::Button::new("Category labels..."))
                        .clicked()
                    {
                        self.open_labels();
                        ui.close();
                    }
                });
                ui.menu_button("Help", |ui| {
                    if ui.button("Keyboard shortcuts").clicked() {
                        self.show_shortcuts = true;
                        ui.close();
                    }
                    if ui.button("About Ferret").clicked() {
                        self.show_about = true;
                        ui.close();
                    }
                });
                if let Some(label) = &self.case_label {
                    ui.label(label);
                }
            });
        });
        if self.show_shortcuts {
            egui::Window::new("Keyboard shortcuts")
                .default_pos([320.0, 120.0])
                .open(&mut self.show_shortcuts)
                .show(ui.ctx(), |ui| {
                    for (k, what) in SHORTCUTS {
                        ui.label(format!("{k}: {what}"));
                    }
                });
        }
        if self.show_settings {
            egui::Window::new("Settings")
                .default_pos([320.0, 120.0])
                .open(&mut self.show_settings)
                .show(ui.ctx(), |ui| {
                    ui.horizontal(|ui| {
                        let label =
                            ui.label("Blur a revealed preview again after (seconds, 0 = never)");
                        ui.add(
                            egui::DragValue::new(&mut self.settings.reveal_timeout_secs)
                                .range(0..=3600),
                        )
                        .labelled_by(label.id);
                    });
                    ui.label("Settings are kept between runs.");
                });
        }
        if self.show_about {
            egui::Window::new("About Ferret")
                .default_pos([320.0, 120.0])
                .open(&mut self.show_about)
                .show(ui.ctx(), |ui| {
                    ui.label(format!("Ferret {} (build {})", crate::VERSION, crate::BUILD));
                    ui.label("Forensic disk triage. Licence: MIT OR Apache-2.0.");
                    ui.label("Built on eframe/egui, rusqlite (SQLite), RustCrypto, BLAKE3, infer, image and others,");
                    ui.label("each under its own open-source licence (MIT, Apache-2.0, BSD, Zlib, public domain).");
                });
        }
        if self.labels.open {
            let mut open = true;
            egui::Window::new("Category labels")
                .default_pos([320.0, 120.0])
                .open(&mut open)
                .show(ui.ctx(), |ui| self.labels_ui(ui));
            self.labels.open &= open;
        }
        if self.grow.open {
            let library = self.library_dir();
            let mut open = true;
            egui::Window::new("Add categorised to hash library")
                .default_pos([300.0, 110.0])
                .open(&mut open)
                .show(ui.ctx(), |ui| self.grow_ui(ui, &library));
            self.grow.open &= open;
        }
        if self.show_import {
            let library = self.library_dir();
            let mut open = true;
            egui::Window::new("Import hash set")
                .default_pos([300.0, 110.0])
                .vscroll(true)
                .open(&mut open)
                .show(ui.ctx(), |ui| {
                    ui.label(format!("Into the hash library {}", library.display()));
                    panels::setup::import_ui(ui, self, &library);
                });
            self.show_import &= open;
        }
    }

    /// Fills the category labels window from the open case.
    fn open_labels(&mut self) {
        let Some(store) = &self.case else { return };
        self.labels.profile = store.category_profile().unwrap_or_else(|_| "US".into());
        let labels = store.category_labels().unwrap_or_default();
        for (n, slot) in self.labels.labels.iter_mut().enumerate() {
            *slot = labels
                .iter()
                .find(|(k, _)| *k == n as i64)
                .and_then(|(_, l)| l.clone())
                .unwrap_or_default();
        }
        self.labels.message = None;
        self.labels.open = true;
    }

    /// The case's category profile and the labels of its categories, as a
    /// table the examiner edits (US labels to start with; a UK/CAID or
    /// other profile's are typed here). Each change is an audit row.
    fn labels_ui(&mut self, ui: &mut egui::Ui) {
        ui.label("Categories keep their numbers; the labels are the case's, per profile.");
        ui.horizontal(|ui| {
            let label = ui.label("Profile");
            ui.text_edit_singleline(&mut self.labels.profile)
                .labelled_by(label.id);
        });
        for (n, text) in self.labels.labels.iter_mut().enumerate() {
            ui.horizontal(|ui| {
                let label = ui.label(format!("Category {n}"));
                ui.text_edit_singleline(text).labelled_by(label.id);
            });
        }
        let writable =
            self.case.as_ref().is_some_and(|c| !c.is_read_only()) && self.checking.is_none();
        if ui
            .add_enabled(writable, egui::Button::new("Save labels"))
            .clicked()
        {
            self.labels.message = Some(self.save_labels());
            self.reload();
        }
        if let Some(m) = &self.labels.message {
            ui.label(crate::pathfmt::display_safe(m));
        }
    }

    /// Writes the window's profile and labels to the case (only what
    /// changed); what was done, or why not.
    fn save_labels(&mut self) -> String {
        let Some(store) = &self.case else {
            return "No case is open.".into();
        };
        let profile = self.labels.profile.trim().to_string();
        let before = store.category_profile().unwrap_or_default();
        if profile != before
            && let Err(e) = store.set_category_profile(&profile, &self.examiner)
        {
            return e.to_string();
        }
        let current = store.category_labels().unwrap_or_default();
        let mut changed = 0;
        for (n, text) in self.labels.labels.iter().enumerate() {
            let n = n as i64;
            let had = current
                .iter()
                .find(|(k, _)| *k == n)
                .and_then(|(_, l)| l.clone())
                .unwrap_or_default();
            if text.trim() == had {
                continue;
            }
            if let Err(e) = store.set_category_label(&profile, n, text, &self.examiner) {
                return e.to_string();
            }
            changed += 1;
        }
        format!("Saved: profile {profile}, {changed} label(s) changed.")
    }

    /// The form of "Add categorised to hash library": the set's name, then
    /// the addition on a worker thread with a second connection.
    fn grow_ui(&mut self, ui: &mut egui::Ui, library: &std::path::Path) {
        ui.label(format!("Hash library {}", library.display()));
        ui.label(format!(
            "{} of {} pictures and videos are categorised. Categories 1-3 become alerts, 0 known-good, 4 information.",
            self.category_counts.categorised, self.category_counts.media
        ));
        ui.horizontal(|ui| {
            let label = ui.label("Set");
            ui.text_edit_singleline(&mut self.grow.set)
                .labelled_by(label.id);
        });
        if let Some(rx) = &self.grow.running {
            match rx.try_recv() {
                Ok(result) => {
                    self.grow.result = Some(result);
                    self.grow.running = None;
                }
                Err(std::sync::mpsc::TryRecvError::Empty) => {
                    ui.spinner();
                    ui.ctx()
                        .request_repaint_after(std::time::Duration::from_millis(100));
                }
                Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                    self.grow.result = Some(Err("the worker stopped without an answer".into()));
                    self.grow.running = None;
                }
            }
        }
        let ready = self.grow.running.is_none() && !self.grow.set.trim().is_empty();
        if ui.add_enabled(ready, egui::Button::new("Add")).clicked() {
            match self.case().map(crate::case::CaseStore::second_connection) {
                Some(Ok(store)) => {
                    let (tx, rx) = std::sync::mpsc::channel();
                    let (set, library, actor) = (
                        self.grow.set.trim().to_string(),
                        library.to_path_buf(),
                        self.examiner.clone(),
                    );
                    let ctx = ui.ctx().clone();
                    std::thread::spawn(move || {
                        let result = crate::workflow::add_categorised_to_library(
                            &store, &library, &set, &actor,
                        )
                        .map(|o| {
                            format!(
                                "Added {} media to {}: it holds {} entries from {}.",
                                o.media,
                                o.import.provenance.name,
                                o.import.provenance.entries,
                                o.import
                                    .provenance
                                    .embedded_name
                                    .as_deref()
                                    .unwrap_or("this case")
                            )
                        })
                        .map_err(|e| e.to_string());
                        let _ = tx.send(result);
                        ctx.request_repaint();
                    });
                    self.grow.running = Some(rx);
                    self.grow.result = None;
                }
                Some(Err(e)) => self.grow.result = Some(Err(e.to_string())),
                None => self.grow.result = Some(Err("No case is open.".into())),
            }
        }
        match &self.grow.result {
            Some(Ok(text)) => {
                ui.label(crate::pathfmt::display_safe(text));
            }
            Some(Err(e)) => {
                ui.colored_label(ui.visuals().error_fg_color, crate::pathfmt::display_safe(e));
            }
            None => {}
        }
    }

    pub(super) fn file_menu(&mut self, ui: &mut egui::Ui) {
        use super::dialogs::Pick;
        let idle = self.running.is_none();
        if ui
            .add_enabled(idle, egui::Button::new("New case..."))
            .clicked()
        {
            self.queue(Command::NewCase);
            ui.close();
        }
        if ui
            .add_enabled(idle, egui::Button::new("Open case..."))
            .clicked()
        {
            self.queue(Command::Browse(Pick::CaseFile));
            ui.close();
        }
        ui.add_enabled_ui(idle && !self.settings.recent_cases.is_empty(), |ui| {
            ui.menu_button("Recent cases", |ui| {
                for p in self.settings.recent_cases.clone() {
                    if ui.button(p.display().to_string()).clicked() {
                        self.queue(Command::OpenCase(p));
                        ui.close();
                    }
                }
            });
        });
        let open = self.case.is_some() && idle;
        if ui
            .add_enabled(open, egui::Button::new("Close case"))
            .clicked()
        {
            self.queue(Command::CloseCase);
            ui.close();
        }
        ui.separator();
        if ui.button("Import hash set...").clicked() {
            self.show_import = true;
            ui.close();
        }
        if ui
            .add_enabled(open, egui::Button::new("Export report..."))
            .clicked()
        {
            self.queue(Command::ShowExport);
            ui.close();
        }
        if ui
            .add_enabled(open, egui::Button::new("Add categorised to hash library..."))
            .on_hover_text("The categorised pictures become an agency set (1-3 alert, 0 ignore), so the next scan anywhere finds them")
            .clicked()
        {
            self.grow.open = true;
            ui.close();
        }
        if ui
            .add_enabled(open, egui::Button::new("Export VICS..."))
            .on_hover_text("The categorised pictures as a Project VIC VICS 2.0 file")
            .clicked()
        {
            self.queue(Command::ShowExportVics);
            ui.close();
        }
        ui.separator();
        if ui.button("Quit").clicked() {
            self.queue(Command::Quit);
            ui.close();
        }
    }

    /// Takes the answer of a native dialog once it closes.
    pub(super) fn poll_pick(&mut self, ctx: &egui::Context) {
        use super::dialogs::Pick;
        let Some(pending) = &self.pending_pick else {
            return;
        };
        let Some(answer) = pending.poll() else {
            ctx.request_repaint_after(Duration::from_millis(150));
            return;
        };
        let pick = pending.pick;
        let never_shown = pending.never_shown();
        self.pending_pick = None;
        let Some(path) = answer else {
            if never_shown {
                self.message = Some(
                    "No file dialog could be shown (is a desktop portal running?): type the path instead."
                        .into(),
                );
            }
            return;
        };
        let text = path.display().to_string();
        match pick {
            Pick::CaseFile => self.queue(Command::OpenCase(path)),
            Pick::EvidenceFolder => self.setup.evidence = text,
            Pick::HashSetFile => self.setup.import_path = text,
            Pick::ExportFolder => {
                self.settings.last_export_dir = text.clone();
                self.export.parent = text;
            }
        }
    }

    /// Where a dialog opens: the folder of what the field holds now.
    pub(super) fn pick_start(&self, pick: super::dialogs::Pick) -> Option<PathBuf> {
        use super::dialogs::Pick;
        let typed = match pick {
            Pick::CaseFile => self
                .settings
                .recent_cases
                .first()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            Pick::EvidenceFolder => self.setup.evidence.clone(),
            Pick::HashSetFile => self.setup.import_path.clone(),
            Pick::ExportFolder => self.export.parent.clone(),
        };
        Some(PathBuf::from(typed.trim())).filter(|p| !p.as_os_str().is_empty())
    }

    /// Leaving mid-scan asks first; leaving then cancels the scan, waits
    /// for it to be recorded (resumable), and only then closes.
    pub(super) fn guard_quit(&mut self, ctx: &egui::Context) {
        if self.running.is_some()
            && !self.quit_after_scan
            && ctx.input(|i| i.viewport().close_requested())
        {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.confirm_quit = true;
        }
        if !self.confirm_quit {
            return;
        }
        if self.running.is_none() {
            self.confirm_quit = false;
            return;
        }
        egui::Window::new("A scan is running")
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
            .show(ctx, |ui| {
                ui.label("Quit now? The scan is cancelled; everything recorded so far is kept");
                ui.label("in the case, and the scan can be resumed when the case is opened again.");
                ui.horizontal(|ui| {
                    if ui.button("Keep scanning").clicked() {
                        self.confirm_quit = false;
                    }
                    if ui.button("Cancel the scan and quit").clicked() {
                        self.confirm_quit = false;
                        self.quit_after_scan = true;
                        self.queue(Command::CancelScan);
                    }
                });
            });
    }
}
