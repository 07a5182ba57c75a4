//! The set check: every selected hash set is verified whole (its file
//! checksum and structure, `CompiledSet::verify`) on a thread of its own
//! while the walk runs, since opening a set does not read its body. The
//! hashing stage waits for it before it uses the first hit, so a damaged
//! set fails the scan (`ScanError::SetDamaged`) and never labels a file.
//!
//! It costs one read of each set, overlapped with the walk: a scan whose
//! walk takes longer than that waits for nothing.

use std::sync::{Mutex, OnceLock};
use std::thread::JoinHandle;

use crate::hashsets::{HashSetCatalog, SetDamage};
use crate::job::CancelToken;

/// How the check ended: `Ok(true)` every set is sound, `Ok(false)` stopped
/// by a cancel before the end, or the first damage found.
pub(super) type Checked = Result<bool, SetDamage>;

/// The check of a scan's sets, running or done.
pub(super) struct SetCheck {
    running: Mutex<Option<JoinHandle<Checked>>>,
    done: OnceLock<Checked>,
}

impl SetCheck {
    /// Starts checking `catalog`'s sets (nothing to do for none); a cancel
    /// of the scan stops it.
    pub(super) fn start(catalog: &HashSetCatalog, cancel: &CancelToken) -> SetCheck {
        let check = SetCheck {
            running: Mutex::new(None),
            done: OnceLock::new(),
        };
        if catalog.is_empty() {
            let _ = check.done.set(Ok(true));
            return check;
        }
        let (sets, stop) = (catalog.clone(), cancel.clone());
        let spawned = std::thread::Builder::new()
            .name("ferret-setcheck".into())
            .spawn(move || sets.verify(&|| stop.is_cancelled()));
        match spawned {
            Ok(handle) => {
                if let Ok(mut running) = check.running.lock() {
                    *running = Some(handle);
                }
            }
            // No thread to spare: check here, before the walk, instead.
            Err(_) => {
                let _ = check.done.set(catalog.verify(&|| cancel.is_cancelled()));
            }
        }
        check
    }

    /// The outcome, waiting for the check to end (every caller waits for
    /// the one check; later calls cost an atomic load).
    pub(super) fn wait(&self) -> &Checked {
        self.done.get_or_init(|| {
            let handle = self.running.lock().ok().and_then(|mut r| r.take());
            match handle.map(JoinHandle::join) {
                Some(Ok(checked)) => checked,
                Some(Err(_)) => Err(SetDamage {
                    name: "(unknown)".into(),
                    reason: "the set check panicked".into(),
                }),
                // Only one caller runs this (`get_or_init`), and `start`
                // either stored a handle or set the outcome, so this is
                // never reached; were it, the sets are not known sound.
                None => Err(SetDamage {
                    name: "(unknown)".into(),
                    reason: "the set check was lost".into(),
                }),
            }
        })
    }
}
