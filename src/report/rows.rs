//! The items a report lists: the case's report rows for one scope, each
//! counted into the live progress a front end samples. Every format writer
//! reads its items through here, so all of them list the same rows in the
//! same (exhibit, path) order.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::case::{CaseError, CaseStore, ReportRow, Scope};

/// The rows of one scope of a case, with where to count them.
#[derive(Clone, Copy)]
pub struct ScopedRows<'a> {
    store: &'a CaseStore,
    scope: Scope,
    progress: Option<&'a AtomicU64>,
}

impl<'a> ScopedRows<'a> {
    /// The rows of `scope`, counted into `progress` if given.
    pub fn new(store: &'a CaseStore, scope: Scope, progress: Option<&'a AtomicU64>) -> Self {
        ScopedRows {
            store,
            scope,
            progress,
        }
    }

    /// Which entries these are.
    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// Every entry of the case, whatever this scope (the hashdeep inventory
    /// audits the whole evidence), counted into the same progress.
    pub fn all(&self) -> ScopedRows<'a> {
        ScopedRows {
            scope: Scope::All,
            ..*self
        }
    }

    /// Calls `each` for every hashed file of the scope in MD5 order
    /// (without one last); returns how many there were.
    pub fn for_each_by_md5<E: From<CaseError>>(
        &self,
        mut each: impl FnMut(ReportRow) -> Result<(), E>,
    ) -> Result<u64, E> {
        self.store.for_each_report_row_by_md5(self.scope, |r| {
            each(r)?;
            if let Some(p) = self.progress {
                p.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        })
    }

    /// Calls `each` for every row, in (exhibit, path) order; returns how
    /// many were written.
    pub fn for_each<E: From<CaseError>>(
        &self,
        mut each: impl FnMut(ReportRow) -> Result<(), E>,
    ) -> Result<u64, E> {
        self.store.for_each_report_row(self.scope, |r| {
            each(r)?;
            if let Some(p) = self.progress {
                p.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        })
    }
}
