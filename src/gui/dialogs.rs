//! Native file and folder dialogs (rfd, xdg-portal backend on Linux).
//!
//! A dialog runs on its own thread so the window keeps painting; the answer
//! comes back through a channel that the frame loop polls. Every path can
//! also be typed, so the app works where no portal is running. Tests swap
//! the native picker for a scripted one ([`FerretApp::picker`]).
//!
//! [`FerretApp::picker`]: crate::gui::FerretApp::picker

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};

/// What a dialog asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// A case file to open (`*.ferret`).
    CaseFile,
    /// The evidence folder of a new case.
    EvidenceFolder,
    /// A hash-set file to import.
    HashSetFile,
    /// The folder a report is written into.
    ExportFolder,
}

impl Pick {
    /// The dialog's title.
    pub fn title(self) -> &'static str {
        match self {
            Pick::CaseFile => "Open a Ferret case",
            Pick::EvidenceFolder => "Choose the evidence folder (mounted read-only)",
            Pick::HashSetFile => "Choose a hash-set file to import",
            Pick::ExportFolder => "Choose where to write the report",
        }
    }
}

/// Shows a dialog and returns the chosen path (`None`: cancelled, or no
/// dialog could be shown). Called on a worker thread.
pub type Picker = Arc<dyn Fn(Pick, Option<PathBuf>) -> Option<PathBuf> + Send + Sync>;

/// The native dialogs.
pub fn native() -> Picker {
    Arc::new(|pick, start| {
        let mut d = rfd::FileDialog::new().set_title(pick.title());
        if let Some(dir) = start.as_deref().and_then(existing_folder) {
            d = d.set_directory(dir);
        }
        match pick {
            Pick::CaseFile => d
                .add_filter("Ferret case", &["ferret"])
                .add_filter("All files", &["*"])
                .pick_file(),
            Pick::HashSetFile => d.pick_file(),
            Pick::EvidenceFolder | Pick::ExportFolder => d.pick_folder(),
        }
    })
}

/// The nearest existing folder at or above `p` (dialogs open there).
fn existing_folder(p: &Path) -> Option<&Path> {
    p.ancestors().find(|a| a.is_dir())
}

/// A dialog on screen, waiting for the user.
pub struct PendingPick {
    /// What it asks for.
    pub pick: Pick,
    answer: Receiver<Option<PathBuf>>,
    opened: std::time::Instant,
}

impl PendingPick {
    /// Opens the dialog on a worker thread.
    pub fn start(picker: &Picker, pick: Pick, start: Option<PathBuf>) -> PendingPick {
        let (tx, answer) = channel();
        let picker = Arc::clone(picker);
        std::thread::spawn(move || {
            let _ = tx.send(picker(pick, start));
        });
        PendingPick {
            pick,
            answer,
            opened: std::time::Instant::now(),
        }
    }

    /// No answer this soon means no dialog was shown (no desktop portal):
    /// nobody cancels a dialog within this time.
    pub fn never_shown(&self) -> bool {
        self.opened.elapsed() < std::time::Duration::from_millis(300)
    }

    /// `Some(answer)` once the dialog closed (the inner `None`: cancelled).
    pub fn poll(&self) -> Option<Option<PathBuf>> {
        match self.answer.try_recv() {
            Ok(a) => Some(a),
            // The thread ended without an answer: treat as cancelled.
            Err(std::sync::mpsc::TryRecvError::Disconnected) => Some(None),
            Err(std::sync::mpsc::TryRecvError::Empty) => None,
        }
    }
}
