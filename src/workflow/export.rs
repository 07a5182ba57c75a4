//! Exporting a report folder from a case, for both front ends: the job
//! writes on a worker thread from its own connection to the case and
//! exposes progress to sample; a worker that dies is an error, never a
//! job that looks alive forever.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};

use super::WorkflowError;
use crate::case::{CaseStore, Scope};
use crate::report::{ReportError, ReportFormat, ReportOptions, ReportOutcome, ReportProgress};

/// A report to write.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    /// The report folder to create (never inside the evidence; never over a
    /// non-empty folder).
    pub out_dir: PathBuf,
    /// Formats (the manifest is always written).
    pub formats: Vec<ReportFormat>,
    /// Which items.
    pub scope: Scope,
    /// Embed blurred greyscale thumbnails of flagged pictures in the HTML.
    pub thumbnails: bool,
    /// Who exports (the audit row's actor).
    pub actor: String,
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The report could not be written.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// The worker ended without an answer (a bug).
    #[error(transparent)]
    Worker(#[from] WorkflowError),
}

/// A report being written on its own thread.
pub struct ExportJob {
    progress: Arc<ReportProgress>,
    files: u64,
    done: Receiver<Result<ReportOutcome, ExportError>>,
}

impl ExportJob {
    /// Starts writing from `store`, a connection of the job's own (the
    /// command line opens the case; the app passes a second connection).
    pub fn start(store: CaseStore, request: ExportRequest) -> ExportJob {
        let progress = Arc::new(ReportProgress::default());
        let files = request.formats.len() as u64 + 1;
        let seen = Arc::clone(&progress);
        let (tx, done) = channel();
        std::thread::spawn(move || {
            let options = ReportOptions {
                thumbnails: request.thumbnails,
                progress: Some(&seen),
            };
            let result = crate::report::write_report_with(
                &store,
                &request.out_dir,
                &request.formats,
                request.scope,
                &request.actor,
                options,
            );
            let _ = tx.send(result.map_err(ExportError::from));
        });
        ExportJob {
            progress,
            files,
            done,
        }
    }

    /// Rows and files written so far.
    pub fn progress(&self) -> &ReportProgress {
        &self.progress
    }

    /// Files the report will hold (formats and the manifest).
    pub fn files(&self) -> u64 {
        self.files
    }

    /// The result once the job ended (`None` while it runs).
    pub fn poll(&self) -> Option<Result<ReportOutcome, ExportError>> {
        super::poll_worker(&self.done, "report")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 13, finding 12: a worker that dies is an error, not a job
    /// that looks alive forever.
    #[test]
    fn a_dead_worker_is_an_error() {
        let (tx, done) = channel();
        drop(tx);
        let job = ExportJob {
            progress: Arc::default(),
            files: 2,
            done,
        };
        let err = job.poll().expect("ended").unwrap_err();
        assert_eq!(
            err.to_string(),
            "internal error: the report worker stopped without an answer"
        );
    }
}
