//! The application's state: what is shown, what is open, what runs, and
//! the settings kept between runs. Behaviour lives beside it: the frame loop
//! in `app`, the commands in `commands`, menus and windows in `windows`.

use std::path::PathBuf;

use super::Command;
use crate::case::CaseStore;
use crate::case::review::{FlagReason, FlaggedRow, SortKey};
use crate::workflow::RunningScan;

/// Where the app keeps demo cases and libraries: the platform data folder.
pub fn default_workspace() -> PathBuf {
    directories::ProjectDirs::from("", "", "ferret")
        .map(|d| d.data_dir().join("workspace"))
        .unwrap_or_else(|| std::env::temp_dir().join("ferret-workspace"))
}

/// The keyboard shortcuts, as shown in Help.
pub const SHORTCUTS: [(&str, &str); 11] = [
    ("Up / Down, k / j", "previous / next item"),
    (
        "x, Ctrl+click",
        "add the item to / remove it from the multi-selection",
    ),
    ("c", "mark Confirmed"),
    ("f", "mark False positive"),
    ("n", "mark Needs second look"),
    ("b", "bookmark on / off"),
    (
        "0 - 4",
        "set the category (Project VIC) of the selection, and of every copy",
    ),
    ("Backspace", "clear the examiner's category"),
    ("g", "gallery on / off"),
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
    /// Show archives not read to their end and encrypted members.
    pub archive: bool,
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
    /// Every picture and video, not only flagged items.
    pub all_media: bool,
    /// Only items of this category.
    pub category: Option<crate::case::review::CategoryChoice>,
    /// The gallery instead of the table.
    pub gallery: bool,
    /// Gallery tile edge, in points.
    pub tile: f32,
    /// Only items hit by this hash set.
    pub set: Option<String>,
}

impl Default for ReviewView {
    fn default() -> Self {
        ReviewView {
            alert: true,
            mismatch: true,
            info: true,
            changed: true,
            archive: true,
            known_good: false,
            search: String::new(),
            status: None,
            media: None,
            bookmarked: false,
            sort: SortKey::Path,
            descending: false,
            note: String::new(),
            all_media: false,
            category: None,
            gallery: false,
            tile: 128.0,
            set: None,
        }
    }
}

impl ReviewView {
    /// The reasons whose chips are on (none: the table shows nothing).
    pub(super) fn reasons(&self) -> Vec<FlagReason> {
        [
            (self.alert, FlagReason::Alert),
            (self.mismatch, FlagReason::Mismatch),
            (self.info, FlagReason::Info),
            (self.changed, FlagReason::ChangedDuringRead),
            (self.archive, FlagReason::Archive),
            (self.known_good, FlagReason::KnownGood),
        ]
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, r)| r)
        .collect()
    }
}

/// The category labels window: the case's profile and its five labels.
#[derive(Debug, Clone, Default)]
pub struct LabelsForm {
    /// Shown.
    pub open: bool,
    /// The profile being edited.
    pub profile: String,
    /// The labels of categories 0-4 (empty: none).
    pub labels: [String; 5],
    /// What the last save did.
    pub message: Option<String>,
}

/// The "Add categorised to hash library" window.
pub struct GrowForm {
    /// Shown.
    pub open: bool,
    /// The set to create or update.
    pub set: String,
    /// The addition running on a worker thread.
    pub running: Option<std::sync::mpsc::Receiver<Result<String, String>>>,
    /// What the last addition did.
    pub result: Option<Result<String, String>>,
}

impl Default for GrowForm {
    fn default() -> Self {
        GrowForm {
            open: false,
            set: "agency-categorised".into(),
            running: None,
            result: None,
        }
    }
}

/// Shown while a case is checked in the background.
pub const CHECKING: &str = "Checking the case file's integrity: read-only until it is done (a few seconds for a large case).";

/// Shown while the open case is read-only (read-only or write-blocked media).
pub const READ_ONLY: &str = "This case is on read-only media and open read-only: it can be reviewed and exported, but review marks, notes and reveals cannot be recorded.";

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
    /// Archives not read to their end, encrypted members.
    pub archive: u64,
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
    pub(super) workspace: PathBuf,
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
    pub(crate) import_job: Option<crate::workflow::ImportJob>,
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
    pub(super) quit_after_scan: bool,
    pub(super) title: String,
    pub(super) case_number: Option<String>,
    pub(super) case_label: Option<String>,
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
    pub(crate) export_job: Option<crate::workflow::ExportJob>,
    /// Shows native dialogs (tests put a scripted one here).
    pub picker: super::dialogs::Picker,
    pub(super) pending_pick: Option<super::dialogs::PendingPick>,
    /// The "Import hash set" window is open.
    pub show_import: bool,
    /// Items per reason chip (with the other filters applied), and how many
    /// match all filters (the table holds at most [`TABLE_ROWS`]).
    pub counts: ReasonCounts,
    /// Categorisation over the case (pictures and videos categorised).
    pub category_counts: crate::case::CategoryCounts,
    /// The case's category labels, 0–4.
    pub category_labels: Vec<(i64, Option<String>)>,
    /// The names of the hash sets the case's scans used.
    pub set_names: Vec<String>,
    /// The gallery's thumbnails (memory only).
    pub gallery: super::panels::gallery::GalleryState,
    /// "Add categorised to hash library".
    pub grow: GrowForm,
    /// View > Category labels.
    pub labels: LabelsForm,
    /// Counts every change of `rows` (the gallery recomputes its tiles).
    pub rows_generation: u64,
    /// Where fallback fonts are looked for (`None`: the platform's font
    /// folders; tests give their own).
    pub font_dirs: Option<Vec<PathBuf>>,
    /// The fallback fonts loaded at start (`None` until the first frame).
    pub fonts: Option<Vec<PathBuf>>,
    /// The detail pane's item, read when the selection or the table changes.
    pub(crate) detail: Option<super::panels::review::Detail>,
    /// Rows the table loads at most (default [`TABLE_ROWS`]).
    pub table_rows: u64,
    /// Case files larger than this are checked in the background (default
    /// [`DEFER_CHECK_OVER`]).
    pub defer_check_over: u64,
    /// The background check of the open case: the writable store, or why
    /// the file is damaged.
    pub(super) checking: Option<std::sync::mpsc::Receiver<Result<CaseStore, String>>>,
    pub(super) commands: Vec<Command>,
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
            category_counts: Default::default(),
            category_labels: Vec::new(),
            set_names: Vec::new(),
            gallery: Default::default(),
            grow: GrowForm::default(),
            labels: LabelsForm::default(),
            rows_generation: 0,
            font_dirs: None,
            fonts: None,
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

    /// The hash library the new-case form reads.
    pub(crate) fn library_dir(&self) -> PathBuf {
        let typed = self.setup.library.trim();
        if typed.is_empty() {
            crate::hashsets::HashLibrary::default_dir()
        } else {
            PathBuf::from(typed)
        }
    }

    /// The open case is still being checked (shown read-only until then).
    pub fn checking_case(&self) -> bool {
        self.checking.is_some()
    }
}
