//! Whole-app actions: panels queue a [`Command`] during the frame; it is
//! applied after every panel is drawn. Scans go through the workflow layer
//! (`crate::workflow`), the same path the command line takes.

use std::path::PathBuf;
use std::sync::Arc;

use eframe::egui;

use super::{CHECKING, FerretApp, ReasonCounts, Running, Screen};
use crate::case::CaseStore;
use crate::case::review::{FlagFilter, FlagReason, ReviewStatus, SortKey};
use crate::workflow::{self, EvidenceSpec, NewCase, ScanPlan, ScanRequest};

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
    /// Put a picture's near-duplicate group in the multi-selection, so that
    /// one review mark applies to the picture and all its variants.
    MarkGroup(Vec<i64>),
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
    /// Set the examiner's category of the selected items and of every
    /// copy of them (`None`: clear it).
    SetCategory(Option<i64>),
    /// Open the export window for a VICS file of the categorised items.
    ShowExportVics,
}

impl FerretApp {
    pub(super) fn apply(&mut self, c: Command, ctx: &egui::Context) {
        if self.checking.is_some()
            && matches!(
                c,
                Command::SetStatus(_)
                    | Command::SetCategory(_)
                    | Command::ToggleBookmark
                    | Command::SaveNote
                    | Command::ShowExport
                    | Command::ShowExportVics
                    | Command::ExportReport
                    | Command::ResumeScan
            )
        {
            self.message = Some(CHECKING.into());
            return;
        }
        if self.case.as_ref().is_some_and(CaseStore::is_read_only)
            && matches!(
                c,
                Command::SetStatus(_)
                    | Command::SetCategory(_)
                    | Command::ToggleBookmark
                    | Command::SaveNote
                    | Command::ResumeScan
            )
        {
            self.message = Some(super::READ_ONLY.into());
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
                let ids = self.chosen();
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
            Command::SetCategory(category) => {
                let ids = self.chosen();
                if let Some(store) = &self.case
                    && !ids.is_empty()
                {
                    match store.set_category(&ids, category, &self.examiner) {
                        Ok(changed) => {
                            let what = match category {
                                Some(c) => format!(
                                    "category {}",
                                    crate::case::category_text(&self.category_labels, c)
                                ),
                                None => "no examiner category".into(),
                            };
                            self.message = Some(format!(
                                "{} item(s) set to {what}{}.",
                                changed.len(),
                                match changed.len().saturating_sub(ids.len()) {
                                    0 => String::new(),
                                    n => format!(" ({n} of them copies)"),
                                }
                            ));
                            self.reload();
                        }
                        Err(e) => self.message = Some(e.to_string()),
                    }
                }
            }
            Command::ShowExportVics => {
                self.show_export();
                for (f, on) in &mut self.export.formats {
                    *on = *f == crate::report::ReportFormat::Vics;
                }
                self.export.scope = crate::case::Scope::Categorised;
            }
            Command::ToggleMark(id) => {
                if !self.marked.remove(&id) {
                    self.marked.insert(id);
                }
            }
            Command::MarkAllShown => self.marked = self.rows.iter().map(|r| r.file_id).collect(),
            Command::ClearMarks => self.marked.clear(),
            Command::MarkGroup(ids) => self.marked.extend(ids),
            Command::ShowExport => self.show_export(),
            Command::ExportReport => match super::panels::export::start_export(self) {
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
                self.rows_generation += 1;
                self.selected = None;
                self.screen = Screen::Home;
            }
        }
    }

    /// What a review action applies to: the multi-selection when there is
    /// one, else the selected item.
    fn chosen(&self) -> Vec<i64> {
        if self.marked.is_empty() {
            self.selected.into_iter().collect()
        } else {
            self.marked.iter().copied().collect()
        }
    }

    /// Resumes the open case's unfinished scan (the workflow's one rule
    /// says which) with the settings and hash sets it ran with, skipping
    /// what the case already holds.
    pub(super) fn resume(&mut self, ctx: &egui::Context) {
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

    pub(super) fn start_new_case(&mut self, ctx: &egui::Context) {
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

    pub(super) fn begin(&mut self, plan: ScanPlan, ctx: &egui::Context) {
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

    /// Opens (or, with `None`, closes) the case shown.
    pub(super) fn set_case(&mut self, store: Option<CaseStore>) {
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

    /// Opens a case file. A large one is shown read-only at once while a
    /// worker checks every page; only a file that passes is reopened for
    /// writing (a damaged one is closed again, unchanged).
    pub(super) fn open_case(&mut self, path: PathBuf) {
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let opened = if size <= self.defer_check_over {
            self.checking = None;
            match CaseStore::open(&path) {
                // Read-only media: shown read-only, with a banner.
                Err(crate::case::CaseError::ReadOnlyMedia(_)) => CaseStore::open_read_only(&path),
                other => other,
            }
        } else {
            CaseStore::open_read_only_unverified(&path).inspect(|_| {
                let (tx, rx) = std::sync::mpsc::channel();
                let p = path.clone();
                std::thread::spawn(move || {
                    let checked =
                        CaseStore::verify_integrity(&p).and_then(
                            |()| match CaseStore::open_checked(&p) {
                                Err(crate::case::CaseError::ReadOnlyMedia(_)) => {
                                    CaseStore::open_read_only_unverified(&p)
                                }
                                other => other,
                            },
                        );
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

    /// Opens the export window with a fresh, never-existing folder name.
    pub(super) fn show_export(&mut self) {
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

    /// Reloads the review table from the case.
    pub(crate) fn reload(&mut self) {
        self.detail = None;
        if let Some(store) = &self.case {
            let mut filter = FlagFilter {
                reasons: self.view.reasons(),
                status: self.view.status,
                media: self.view.media.clone(),
                bookmarked: self.view.bookmarked,
                all_media: self.view.all_media,
                categorised: self.view.category,
                set: self.view.set.clone(),
                ..Default::default()
            };
            let mut sets: Vec<String> = store
                .hash_sets_used()
                .unwrap_or_default()
                .into_iter()
                .map(|s| s.name)
                .collect();
            sets.sort();
            sets.dedup();
            self.set_names = sets;
            self.category_counts = store.category_counts().unwrap_or_default();
            self.category_labels = store.category_labels().unwrap_or_default();
            let text = self.view.search.trim();
            if !text.is_empty() {
                filter.text = Some(text.to_string());
            }
            self.counts = Self::count(store, &filter);
            // No chip on: nothing is shown (an empty filter would mean all).
            let rows = if filter.reasons.is_empty() && !filter.all_media {
                Ok(Vec::new())
            } else {
                store.flagged(
                    &filter,
                    self.view.sort,
                    self.view.descending,
                    0,
                    self.table_rows,
                )
            };
            match rows {
                Ok(rows) => {
                    self.rows = rows;
                    self.rows_generation += 1;
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
    pub(super) fn count(store: &CaseStore, filter: &FlagFilter) -> ReasonCounts {
        // The chips count flagged items (with the other filters), also
        // while every picture is shown.
        let n = |reason: FlagReason| {
            let f = FlagFilter {
                reasons: vec![reason],
                all_media: false,
                ..filter.clone()
            };
            store.count_flagged(&f).unwrap_or(0)
        };
        ReasonCounts {
            alert: n(FlagReason::Alert),
            mismatch: n(FlagReason::Mismatch),
            info: n(FlagReason::Info),
            changed: n(FlagReason::ChangedDuringRead),
            archive: n(FlagReason::Archive),
            known_good: n(FlagReason::KnownGood),
            total: if filter.reasons.is_empty() && !filter.all_media {
                0
            } else {
                store.count_flagged(filter).unwrap_or(0)
            },
        }
    }
}
