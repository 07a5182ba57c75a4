//! The application state and the frame loop.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use eframe::egui;

use super::panels;
use crate::case::CaseStore;
use crate::case::review::{FlagFilter, FlaggedRow, ReviewStatus, SortKey};
use crate::job::ScanEvent;
use crate::workflow::{self, EvidenceSpec, NewCase, RunningScan, ScanPlan, ScanRequest};

/// Where the app keeps demo cases and libraries: the platform data folder.
pub fn default_workspace() -> PathBuf {
    directories::ProjectDirs::from("", "", "ferret")
        .map(|d| d.data_dir().join("workspace"))
        .unwrap_or_else(|| std::env::temp_dir().join("ferret-workspace"))
}

/// The keyboard shortcuts, as shown in Help.
pub const SHORTCUTS: [(&str, &str); 8] = [
    ("Up / Down, k / j", "previous / next item"),
    (
        "x, Ctrl+click",
        "add the item to / remove it from the multi-selection",
    ),
    ("c", "mark Confirmed"),
    ("f", "mark False positive"),
    ("n", "mark Needs second look"),
    ("b", "bookmark on / off"),
    ("/", "search the paths"),
    (
        "Space",
        "reveal the preview: asks first, Space or Enter again reveals (written to the audit log)",
    ),
];

/// Which screen is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// Start: open the demo or a case.
    Home,
    /// New case: details, evidence, hash sets.
    Setup,
    /// A scan is running.
    Scanning,
    /// Reviewing a case's flagged items.
    Review,
}

/// Whole-app actions, queued by panels and applied after the frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Scan the bundled demo evidence into a new case.
    OpenDemo,
    /// Show the new-case form.
    NewCase,
    /// Create the case from the form and start scanning.
    StartNewCase,
    /// Open an existing case file.
    OpenCase(PathBuf),
    /// Ask the running scan to stop (what was done is kept).
    CancelScan,
    /// Select a row of the review table.
    Select(i64),
    /// Set the review status of the selected items (the multi-selection
    /// when there is one, else the selected item).
    SetStatus(ReviewStatus),
    /// Add an item to the multi-selection, or take it out.
    ToggleMark(i64),
    /// Put every item the table shows in the multi-selection.
    MarkAllShown,
    /// Empty the multi-selection.
    ClearMarks,
    /// Back to the home screen.
    CloseCase,
    /// Open the export window, filled for the open case.
    ShowExport,
    /// Write the report the export window describes (on a worker thread).
    ExportReport,
    /// Open a native file or folder dialog; the answer fills the field it
    /// was asked for (or, for a case file, opens it).
    Browse(super::dialogs::Pick),
    /// Close the window (asks first while a scan runs).
    Quit,
    /// Move the selection by this many rows (keyboard).
    MoveSelection(i32),
    /// Toggle the bookmark of the selected item.
    ToggleBookmark,
    /// Save the note being edited for the selected item.
    SaveNote,
    /// Re-read the table (filters, search or sort changed).
    Reload,
    /// Sort by a column (again: reverse).
    SortBy(SortKey),
    /// Continue the open case's unfinished scan.
    ResumeScan,
}

/// What the review table shows: reason chips, search text, sort.
#[derive(Debug, Clone)]
pub struct ReviewView {
    /// Show alert hits.
    pub alert: bool,
    /// Show extension mismatches.
    pub mismatch: bool,
    /// Show informational hits.
    pub info: bool,
    /// Show files that changed while read.
    pub changed: bool,
    /// Show items a known-good set matched (off by default: they are what
    /// a reviewer does not need to see).
    pub known_good: bool,
    /// Text contained in the path.
    pub search: String,
    /// Only this review status (`None`: any).
    pub status: Option<crate::case::review::ReviewStatus>,
    /// Only this media kind (`image`, `video`, …; `None`: any).
    pub media: Option<String>,
    /// Only bookmarked items.
    pub bookmarked: bool,
    /// Sort column.
    pub sort: SortKey,
    /// Sort descending.
    pub descending: bool,
    /// The note being edited.
    pub note: String,
}

impl Default for ReviewView {
    fn default() -> Self {
        ReviewView {
            alert: true,
            mismatch: true,
            info: true,
            changed: true,
            known_good: false,
            search: String::new(),
            status: None,
            media: None,
            bookmarked: false,
            sort: SortKey::Path,
            descending: false,
            note: String::new(),
        }
    }
}

impl ReviewView {
    fn reasons(&self) -> Vec<String> {
        let mut r = Vec::new();
        for (on, name) in [
            (self.alert, "alert"),
            (self.mismatch, "mismatch"),
            (self.info, "info"),
            (self.changed, "changed_during_read"),
            (self.known_good, crate::case::review::KNOWN_GOOD),
        ] {
            if on {
                r.push(name.to_string());
            }
        }
        if r.is_empty() {
            r.push("none".into()); // nothing selected shows nothing
        }
        r
    }
}

/// Shown while a case is checked in the background.
pub const CHECKING: &str = "Checking the case file's integrity: read-only until it is done (a few seconds for a large case).";

/// Case files up to this size are checked before they are shown; larger
/// ones are shown read-only at once and checked on a worker thread.
pub const DEFER_CHECK_OVER: u64 = 8 << 20;

/// Rows the review table loads at most; narrower filters show the rest.
pub const TABLE_ROWS: u64 = 200_000;

/// Counts shown beside the review filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReasonCounts {
    /// Alert hits.
    pub alert: u64,
    /// Extension mismatches.
    pub mismatch: u64,
    /// Informational hits.
    pub info: u64,
    /// Changed while read.
    pub changed: u64,
    /// Known-good hits.
    pub known_good: u64,
    /// Items matching every filter.
    pub total: u64,
}

/// The running scan, if any.
pub(crate) struct Running {
    pub(crate) scan: RunningScan,
}

/// The application.
pub struct FerretApp {
    workspace: PathBuf,
    /// Current screen.
    pub screen: Screen,
    pub(crate) running: Option<Running>,
    pub(crate) case: Option<CaseStore>,
    /// Flagged rows shown in the review table.
    pub rows: Vec<FlaggedRow>,
    /// The selected item (file id).
    pub selected: Option<i64>,
    /// What is remembered between runs (eframe storage).
    pub settings: super::Settings,
    /// The settings window is open.
    pub show_settings: bool,
    /// A hash-set import started from the new-case form.
    pub(crate) import_job: Option<super::panels::setup::ImportJob>,
    /// The open case's last scan did not finish (its id): Resume is offered.
    pub resumable: Option<i64>,
    /// The multi-selection for bulk marking (file ids).
    pub marked: std::collections::BTreeSet<i64>,
    /// A message for the user (errors, what just happened).
    pub message: Option<String>,
    pub(crate) case_path_input: String,
    /// Cancel was clicked: asking for confirmation.
    pub confirm_cancel: bool,
    /// The shortcuts sheet is open.
    pub show_shortcuts: bool,
    /// The About window is open.
    pub show_about: bool,
    /// The window was asked to close while a scan runs: asking first.
    pub confirm_quit: bool,
    /// Close the window once the cancelled scan has been recorded.
    quit_after_scan: bool,
    title: String,
    case_number: Option<String>,
    case_label: Option<String>,
    /// The open case's display time zone (read once when the case opens).
    pub(crate) display_tz: String,
    /// The new-case form.
    pub setup: super::panels::setup::SetupForm,
    /// Filters, search and sort of the review table.
    pub view: ReviewView,
    /// The safe preview of the selected item.
    pub preview: super::panels::preview::PreviewState,
    /// The last export: folder and manifest SHA-256.
    pub last_export: Option<(PathBuf, String)>,
    /// The export window.
    pub export: super::panels::export::ExportForm,
    pub(crate) export_job: Option<super::panels::export::ExportJob>,
    /// Shows native dialogs (tests put a scripted one here).
    pub picker: super::dialogs::Picker,
    pending_pick: Option<super::dialogs::PendingPick>,
    /// The "Import hash set" window is open.
    pub show_import: bool,
    /// Items per reason chip (with the other filters applied), and how many
    /// match all filters (the table holds at most [`TABLE_ROWS`]).
    pub counts: ReasonCounts,
    /// The detail pane's item, read when the selection or the table changes.
    pub(crate) detail: Option<super::panels::review::Detail>,
    /// Rows the table loads at most (default [`TABLE_ROWS`]).
    pub table_rows: u64,
    /// Case files larger than this are checked in the background (default
    /// [`DEFER_CHECK_OVER`]).
    pub defer_check_over: u64,
    /// The background check of the open case: the writable store, or why
    /// the file is damaged.
    checking: Option<std::sync::mpsc::Receiver<Result<CaseStore, String>>>,
    commands: Vec<Command>,
    pub(crate) examiner: String,
}

impl FerretApp {
    /// An app keeping its working files under `workspace`.
    pub fn new(workspace: PathBuf) -> Self {
        FerretApp {
            workspace,
            screen: Screen::Home,
            running: None,
            case: None,
            rows: Vec::new(),
            selected: None,
            marked: Default::default(),
            settings: Default::default(),
            show_settings: false,
            import_job: None,
            resumable: None,
            message: None,
            case_path_input: String::new(),
            confirm_cancel: false,
            show_shortcuts: false,
            show_about: false,
            confirm_quit: false,
            quit_after_scan: false,
            title: String::new(),
            case_number: None,
            case_label: None,
            display_tz: String::new(),
            last_export: None,
            export: Default::default(),
            export_job: None,
            picker: super::dialogs::native(),
            pending_pick: None,
            show_import: false,
            counts: ReasonCounts::default(),
            detail: None,
            table_rows: TABLE_ROWS,
            defer_check_over: DEFER_CHECK_OVER,
            checking: None,
            preview: Default::default(),
            view: ReviewView::default(),
            setup: Default::default(),
            commands: Vec::new(),
            examiner: std::env::var("USER").unwrap_or_else(|_| "examiner".into()),
        }
    }

    /// Queues a command (applied after the current frame).
    pub fn queue(&mut self, c: Command) {
        self.commands.push(c);
    }

    /// Where demo cases, new cases and (by default) reports go.
    pub fn workspace(&self) -> &std::path::Path {
        &self.workspace
    }

    /// The open case, if any.
    pub fn case(&self) -> Option<&CaseStore> {
        self.case.as_ref()
    }

    /// Draws the whole UI (called by eframe, and by tests directly).
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        self.poll_scan(ui.ctx());
        self.update_title(ui.ctx());
        self.guard_quit(ui.ctx());
        self.poll_pick(ui.ctx());
        self.poll_checking(ui.ctx());
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
        panels::export::export_ui(ui.ctx(), self);
        match self.screen {
            Screen::Home => panels::home::home_ui(ui, self),
            Screen::Setup => panels::setup::setup_ui(ui, self),
            Screen::Scanning => panels::scan::scan_ui(ui, self),
            Screen::Review => panels::review::review_ui(ui, self),
        }
        for c in std::mem::take(&mut self.commands) {
            self.apply(c, ui.ctx());
        }
    }

    fn file_menu(&mut self, ui: &mut egui::Ui) {
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
        ui.separator();
        if ui.button("Quit").clicked() {
            self.queue(Command::Quit);
            ui.close();
        }
    }

    /// Takes the answer of a native dialog once it closes.
    fn poll_pick(&mut self, ctx: &egui::Context) {
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
    fn pick_start(&self, pick: super::dialogs::Pick) -> Option<PathBuf> {
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
    fn guard_quit(&mut self, ctx: &egui::Context) {
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

    /// Resumes the open case's unfinished scan (the workflow's one rule
    /// says which) with the settings and hash sets it ran with, skipping
    /// what the case already holds.
    fn resume(&mut self, ctx: &egui::Context) {
        let Some(store) = self.case.take() else {
            return;
        };
        let path = store.path().to_path_buf();
        drop(store);
        let mut library = self.library_dir();
        if self.setup.library.trim().is_empty() && !self.settings.last_library.is_empty() {
            library = PathBuf::from(&self.settings.last_library);
        }
        match workflow::plan_scan(ScanRequest::Resume { case: path.clone() }, &library) {
            Ok(plan) => {
                self.resumable = None;
                self.begin(plan, ctx);
            }
            Err(e) => {
                self.open_case(path);
                self.message = Some(format!("Cannot resume: {e}"));
            }
        }
    }

    fn poll_scan(&mut self, ctx: &egui::Context) {
        let Some(run) = &self.running else { return };
        let mut finished = None;
        while let Some(ev) = run.scan.job.try_event() {
            if let ScanEvent::Finished(r) = ev {
                finished = Some(r);
            }
        }
        match finished {
            None => ctx.request_repaint_after(Duration::from_millis(150)),
            Some(result) => {
                let Some(run) = self.running.take() else {
                    return;
                };
                let done = run.scan.finish(result);
                self.message = Some(match (&done.result, &done.recorded) {
                    (_, Err(e)) => format!("Could not record the scan's end: {e}"),
                    (Ok(s), Ok(())) => format!(
                        "Scan complete: {} files hashed, {} flagged (alert), {} known-good, {} unreadable.",
                        s.files_hashed, s.alerts, s.known_good, s.errors
                    ),
                    (Err(e), Ok(())) => format!("Scan ended: {e}"),
                });
                self.set_case(Some(done.store));
                self.screen = Screen::Review;
                self.reload();
                if self.quit_after_scan {
                    ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                }
            }
        }
    }

    /// The hash library the new-case form reads.
    pub(crate) fn library_dir(&self) -> PathBuf {
        let typed = self.setup.library.trim();
        if typed.is_empty() {
            crate::hashsets::HashLibrary::default_dir()
        } else {
            PathBuf::from(typed)
        }
    }

    fn start_new_case(&mut self, ctx: &egui::Context) {
        let (errors, _) = super::panels::setup::validate(&self.setup);
        if let Some(e) = errors.first() {
            self.message = Some(e.clone());
            return;
        }
        let f = &self.setup;
        let safe = crate::hashsets::library::sanitize_name(&f.case_number);
        let stamp = crate::evidence::UtcTime::now();
        let request = ScanRequest::NewCase {
            case: NewCase {
                path: self.workspace.join(format!("{safe}-{}.ferret", stamp.secs)),
                info: crate::case::CaseInfo {
                    case_number: f.case_number.trim().into(),
                    title: f.title.trim().into(),
                    examiner: f.examiner.trim().into(),
                    agency: f.agency.trim().into(),
                    notes: f.notes.clone(),
                    display_tz: match f.display_tz.trim() {
                        "" => "UTC".into(),
                        tz => tz.into(),
                    },
                    ..Default::default()
                },
            },
            evidence: EvidenceSpec {
                root: PathBuf::from(f.evidence.trim()),
                exhibit: f.exhibit.trim().into(),
                description: String::new(),
            },
            settings: f.settings(),
        };
        let examiner = f.examiner.trim().to_string();
        let made = std::fs::create_dir_all(&self.workspace)
            .map_err(|e| format!("{}: {e}", self.workspace.display()))
            .and_then(|()| {
                workflow::plan_scan(request, &self.library_dir()).map_err(|e| e.to_string())
            });
        match made {
            Ok(plan) => {
                self.examiner = examiner;
                self.begin(plan, ctx);
            }
            Err(e) => self.message = Some(format!("Cannot start: {e}")),
        }
    }

    fn begin(&mut self, plan: ScanPlan, ctx: &egui::Context) {
        let ctx = ctx.clone();
        let notify: crate::job::Notify = Arc::new(move || ctx.request_repaint());
        match plan.start(workflow::Runtime::default(), notify) {
            Ok(scan) => {
                self.running = Some(Running { scan });
                self.screen = Screen::Scanning;
                self.message = None;
            }
            Err(e) => self.message = Some(format!("Cannot start the scan: {e}")),
        }
    }

    /// Applies theme and text size from the settings.
    pub fn apply_settings(&self, ctx: &egui::Context) {
        ctx.set_theme(if self.settings.dark {
            egui::Theme::Dark
        } else {
            egui::Theme::Light
        });
        ctx.set_zoom_factor(self.settings.zoom.clamp(0.5, 3.0));
    }

    /// Opens (or, with `None`, closes) the case shown.
    fn set_case(&mut self, store: Option<CaseStore>) {
        self.detail = None;
        // The workflow's one rule: the newest scan, if it did not finish.
        self.resumable = store
            .as_ref()
            .and_then(|s| workflow::resumable_scan(s).ok())
            .map(|scan| scan.id);
        if let Some(s) = &store {
            self.settings.remember_case(s.path());
        }
        let info = store.as_ref().and_then(|s| s.info().ok());
        self.display_tz = info
            .as_ref()
            .map(|i| i.display_tz.clone())
            .unwrap_or_default();
        self.case_number = info.as_ref().map(|i| i.case_number.clone());
        self.case_label = info.map(|i| format!("Case {} — {}", i.case_number, i.title));
        self.case = store;
    }

    /// The window title names the open case.
    fn update_title(&mut self, ctx: &egui::Context) {
        let title = match &self.case_number {
            Some(n) => format!("Ferret — case {n}"),
            None => "Ferret".to_string(),
        };
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
    }

    /// Reloads the review table from the case.
    pub(crate) fn reload(&mut self) {
        self.detail = None;
        if let Some(store) = &self.case {
            let mut filter = FlagFilter {
                reasons: self.view.reasons(),
                status: self.view.status,
                media: self.view.media.clone(),
                bookmarked: self.view.bookmarked,
                ..Default::default()
            };
            let text = self.view.search.trim();
            if !text.is_empty() {
                filter.text = Some(text.to_string());
            }
            self.counts = Self::count(store, &filter);
            match store.flagged(
                &filter,
                self.view.sort,
                self.view.descending,
                0,
                self.table_rows,
            ) {
                Ok(rows) => {
                    self.rows = rows;
                    // Bulk actions apply only to what the table shows.
                    if !self.marked.is_empty() {
                        let shown: std::collections::HashSet<i64> =
                            self.rows.iter().map(|r| r.file_id).collect();
                        self.marked.retain(|id| shown.contains(id));
                    }
                }
                Err(e) => self.message = Some(format!("Cannot read the case: {e}")),
            }
        }
    }

    /// Items per reason (the other filters applied) and in all.
    fn count(store: &CaseStore, filter: &FlagFilter) -> ReasonCounts {
        let n = |reason: &str| {
            let f = FlagFilter {
                reasons: vec![reason.to_string()],
                ..filter.clone()
            };
            store.count_flagged(&f).unwrap_or(0)
        };
        ReasonCounts {
            alert: n("alert"),
            mismatch: n("mismatch"),
            info: n("info"),
            changed: n("changed_during_read"),
            known_good: n(crate::case::review::KNOWN_GOOD),
            total: store.count_flagged(filter).unwrap_or(0),
        }
    }

    /// Opens a case file. A large one is shown read-only at once while a
    /// worker checks every page; only a file that passes is reopened for
    /// writing (a damaged one is closed again, unchanged).
    fn open_case(&mut self, path: PathBuf) {
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let opened = if size <= self.defer_check_over {
            self.checking = None;
            CaseStore::open(&path)
        } else {
            CaseStore::open_read_only_unverified(&path).inspect(|_| {
                let (tx, rx) = std::sync::mpsc::channel();
                let p = path.clone();
                std::thread::spawn(move || {
                    let checked =
                        CaseStore::verify_integrity(&p).and_then(|()| CaseStore::open_checked(&p));
                    let _ = tx.send(checked.map_err(|e| e.to_string()));
                });
                self.checking = Some(rx);
            })
        };
        match opened {
            Ok(store) => {
                self.set_case(Some(store));
                self.screen = Screen::Review;
                self.selected = None;
                self.reload();
            }
            Err(e) => self.message = Some(e.to_string()),
        }
    }

    /// Takes the result of the background check of the open case.
    fn poll_checking(&mut self, ctx: &egui::Context) {
        let Some(rx) = &self.checking else { return };
        let result = match rx.try_recv() {
            Ok(r) => r,
            Err(std::sync::mpsc::TryRecvError::Empty) => {
                ctx.request_repaint_after(Duration::from_millis(150));
                return;
            }
            Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                Err("the check stopped without an answer".into())
            }
        };
        self.checking = None;
        match result {
            Ok(store) => {
                // Same case, now writable (scans left running were marked
                // interrupted, so Resume may be offered now).
                self.set_case(Some(store));
                self.message = None;
            }
            Err(e) => {
                self.apply(Command::CloseCase, ctx);
                self.message = Some(format!(
                    "The case file is damaged and was closed without writing to it: {e}"
                ));
            }
        }
    }

    /// The open case is still being checked (shown read-only until then).
    pub fn checking_case(&self) -> bool {
        self.checking.is_some()
    }

    fn apply(&mut self, c: Command, ctx: &egui::Context) {
        if self.checking.is_some()
            && matches!(
                c,
                Command::SetStatus(_)
                    | Command::ToggleBookmark
                    | Command::SaveNote
                    | Command::ShowExport
                    | Command::ExportReport
                    | Command::ResumeScan
            )
        {
            self.message = Some(CHECKING.into());
            return;
        }
        match c {
            Command::OpenDemo => match workflow::demo_request(&self.workspace)
                .and_then(|(request, library)| workflow::plan_scan(request, &library))
            {
                Ok(plan) => self.begin(plan, ctx),
                Err(e) => self.message = Some(format!("Cannot prepare the demo: {e}")),
            },
            Command::OpenCase(path) => self.open_case(path),
            Command::ResumeScan => self.resume(ctx),
            Command::CancelScan => {
                if let Some(r) = &self.running {
                    r.scan.job.cancel();
                }
            }
            Command::Select(id) => {
                self.selected = Some(id);
                self.view.note = self
                    .rows
                    .iter()
                    .find(|r| r.file_id == id)
                    .map(|r| r.note.clone())
                    .unwrap_or_default();
            }
            Command::SetStatus(status) => {
                let ids: Vec<i64> = if self.marked.is_empty() {
                    self.selected.into_iter().collect()
                } else {
                    self.marked.iter().copied().collect()
                };
                if let Some(store) = &self.case
                    && !ids.is_empty()
                {
                    match store.set_status(&ids, status, &self.examiner) {
                        Ok(()) => {
                            if ids.len() > 1 {
                                self.message = Some(format!(
                                    "{} items marked {}.",
                                    ids.len(),
                                    status.as_str().replace('_', " ")
                                ));
                            }
                            self.reload();
                        }
                        Err(e) => self.message = Some(e.to_string()),
                    }
                }
            }
            Command::ToggleMark(id) => {
                if !self.marked.remove(&id) {
                    self.marked.insert(id);
                }
            }
            Command::MarkAllShown => self.marked = self.rows.iter().map(|r| r.file_id).collect(),
            Command::ClearMarks => self.marked.clear(),
            Command::ShowExport => self.show_export(),
            Command::ExportReport => match super::panels::export::ExportJob::start(self) {
                Ok(job) => {
                    self.last_export = None;
                    self.export_job = Some(job);
                }
                Err(e) => self.message = Some(format!("Export failed: {e}")),
            },
            Command::Browse(pick) => {
                if self.pending_pick.is_none() {
                    let start = self.pick_start(pick);
                    self.pending_pick = Some(super::dialogs::PendingPick::start(
                        &self.picker,
                        pick,
                        start,
                    ));
                }
            }
            Command::Quit => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
            Command::NewCase => {
                self.setup.examiner = self.examiner.clone();
                self.setup.exhibit = "1".into();
                if self.setup.evidence.is_empty() {
                    self.setup.evidence = self.settings.last_evidence.clone();
                }
                if self.setup.library.is_empty() {
                    self.setup.library = self.settings.last_library.clone();
                }
                if self.setup.display_tz.is_empty() {
                    self.setup.display_tz = super::time::system_zone();
                }
                if !self.setup.algorithms.contains(&true) {
                    self.setup.algorithms = [true; 4];
                }
                if self.setup.device.is_empty() {
                    self.setup.device = "auto".into();
                }
                self.screen = Screen::Setup;
                self.message = None;
            }
            Command::StartNewCase => {
                self.settings.last_evidence = self.setup.evidence.trim().to_string();
                self.settings.last_library = self.setup.library.trim().to_string();
                self.start_new_case(ctx)
            }
            Command::Reload => self.reload(),
            Command::SortBy(key) => {
                if self.view.sort == key {
                    self.view.descending = !self.view.descending;
                } else {
                    self.view.sort = key;
                    self.view.descending = false;
                }
                self.reload();
            }
            Command::MoveSelection(delta) => {
                if self.rows.is_empty() {
                    return;
                }
                let at = self
                    .selected
                    .and_then(|id| self.rows.iter().position(|r| r.file_id == id));
                let next = match at {
                    None => 0,
                    Some(i) => {
                        (i as i64 + i64::from(delta)).clamp(0, self.rows.len() as i64 - 1) as usize
                    }
                };
                self.selected = Some(self.rows[next].file_id);
            }
            Command::ToggleBookmark => {
                if let (Some(store), Some(id)) = (&self.case, self.selected) {
                    let on = !self.rows.iter().any(|r| r.file_id == id && r.bookmark);
                    match store.set_bookmark(&[id], on, &self.examiner) {
                        Ok(()) => self.reload(),
                        Err(e) => self.message = Some(e.to_string()),
                    }
                }
            }
            Command::SaveNote => {
                if let (Some(store), Some(id)) = (&self.case, self.selected) {
                    match store.set_note(&[id], self.view.note.trim(), &self.examiner) {
                        Ok(()) => self.reload(),
                        Err(e) => self.message = Some(e.to_string()),
                    }
                }
            }
            Command::CloseCase => {
                self.checking = None;
                self.set_case(None);
                self.rows.clear();
                self.selected = None;
                self.screen = Screen::Home;
            }
        }
    }
}

impl FerretApp {
    /// Opens the export window with a fresh, never-existing folder name.
    fn show_export(&mut self) {
        let Some(store) = &self.case else { return };
        let number = store.info().map(|i| i.case_number).unwrap_or_default();
        let safe = crate::hashsets::library::sanitize_name(&number);
        let stamp = crate::evidence::UtcTime::now().to_iso8601();
        // 2026-11-29T03:04:05.123Z -> 20261129T030405Z (safe in any file system)
        let stamp: String = stamp
            .chars()
            .take(19)
            .filter(|c| c.is_ascii_alphanumeric())
            .chain(['Z'])
            .collect();
        self.export.name = format!("report-{safe}-{stamp}");
        if self.export.parent.trim().is_empty() {
            self.export.parent = if self.settings.last_export_dir.is_empty() {
                self.workspace.display().to_string()
            } else {
                self.settings.last_export_dir.clone()
            };
        }
        self.last_export = None;
        self.export.open = true;
    }
}

impl eframe::App for FerretApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        FerretApp::ui(self, ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.settings);
    }
}
