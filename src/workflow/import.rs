//! Importing a hash-set file into the hash library, for both front ends:
//! [`import_set`] runs on the caller's thread (the command line draws its
//! own progress), [`ImportJob`] on a worker with progress to sample (the
//! desktop app).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, channel};

use super::WorkflowError;
use crate::hashsets::HashLibrary;
use crate::hashsets::library::{ImportOptions, ImportOutcome};

/// A hash-set file to import.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    /// The hash library folder (created if missing).
    pub library: PathBuf,
    /// The source file (format sniffed from its content unless the options
    /// name one).
    pub source: PathBuf,
    /// Kind, name, format, category profile.
    pub options: ImportOptions,
}

/// Imports on this thread; `entries` is called with the count read so far.
pub fn import_set(
    request: &ImportRequest,
    entries: &mut dyn FnMut(u64),
) -> Result<ImportOutcome, WorkflowError> {
    let lib = HashLibrary::open(&request.library).map_err(|source| WorkflowError::Library {
        dir: request.library.clone(),
        source,
    })?;
    lib.import(&request.source, &request.options, entries)
        .map_err(|source| WorkflowError::HashSet {
            name: crate::pathfmt::escape_path(&request.source),
            source,
        })
}

/// An import running on its own thread.
pub struct ImportJob {
    entries: Arc<AtomicU64>,
    done: Receiver<Result<ImportOutcome, WorkflowError>>,
}

impl ImportJob {
    /// Starts importing.
    pub fn start(request: ImportRequest) -> ImportJob {
        let entries = Arc::new(AtomicU64::new(0));
        let (tx, done) = channel();
        let seen = Arc::clone(&entries);
        std::thread::spawn(move || {
            let result = import_set(&request, &mut |n| seen.store(n, Ordering::Relaxed));
            let _ = tx.send(result);
        });
        ImportJob { entries, done }
    }

    /// Entries read so far.
    pub fn entries(&self) -> u64 {
        self.entries.load(Ordering::Relaxed)
    }

    /// The result, once the import ended (`None` while it runs).
    pub fn poll(&self) -> Option<Result<ImportOutcome, WorkflowError>> {
        super::poll_worker(&self.done, "import")
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
        let job = ImportJob {
            entries: Arc::default(),
            done,
        };
        let err = job.poll().expect("ended").unwrap_err();
        assert_eq!(
            err.to_string(),
            "internal error: the import worker stopped without an answer"
        );
    }
}
