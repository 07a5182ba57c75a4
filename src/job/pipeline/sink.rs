//! The sink stage: one thread hands every record to the job's
//! [`RecordSink`] and counts what it accepted, so the summary always agrees
//! with the output, and tallies set matches with hashdeep audit semantics.

use std::io;
use std::thread::JoinHandle;

use crate::hashsets::HashSetCatalog;
use crate::job::{CancelToken, FileRecord, RecordSink, ScanSummary};

/// The sink thread: accepts records, counts them, and remembers the first
/// error (after which it drains the channel so workers never block).
pub(super) fn sink_thread(
    mut sink: Box<dyn RecordSink>,
    rx: crossbeam_channel::Receiver<FileRecord>,
    cancel: CancelToken,
    catalog: HashSetCatalog,
) -> io::Result<JoinHandle<(ScanSummary, Option<io::Error>)>> {
    std::thread::Builder::new()
        .name("ferret-sink".into())
        .spawn(move || {
            let mut summary = ScanSummary::default();
            let mut tally = MatchTally::new(&catalog);
            let mut error = None;
            for rec in rx {
                if error.is_some() {
                    continue;
                }
                let mut counted = summary.clone();
                counted.count(&rec);
                let hits = rec.hits.clone();
                match sink.accept(rec) {
                    Ok(()) => {
                        summary = counted;
                        tally.add(&hits);
                    }
                    Err(e) => {
                        error = Some(e);
                        cancel.cancel();
                    }
                }
            }
            if let Err(e) = sink.finish() {
                error.get_or_insert(e);
            }
            summary.sets = tally.finish();
            (summary, error)
        })
}

/// Per-set counters with hashdeep audit semantics: files matched, and which
/// entries were matched at least once (the rest are "unused").
struct MatchTally {
    files: Vec<u64>,
    used: Vec<Vec<u64>>,
    entries: Vec<u64>,
}

impl MatchTally {
    fn new(catalog: &HashSetCatalog) -> Self {
        let entries: Vec<u64> = catalog.sets().iter().map(|s| s.entry_count()).collect();
        MatchTally {
            files: vec![0; entries.len()],
            used: entries
                .iter()
                .map(|&n| vec![0u64; n.div_ceil(64) as usize])
                .collect(),
            entries,
        }
    }

    /// Counts one file's hits. A hit naming a set or entry the catalog
    /// does not have (none can: the catalog gives only entries its sets
    /// hold, and a damaged set fails the scan) is not counted, never a
    /// panic of the sink.
    fn add(&mut self, hits: &[crate::hashsets::Hit]) {
        let mut last = None;
        for h in hits {
            let s = usize::from(h.set);
            if last != Some(s) {
                if let Some(n) = self.files.get_mut(s) {
                    *n += 1;
                }
                last = Some(s);
            }
            let e = h.entry as usize;
            if let Some(word) = self.used.get_mut(s).and_then(|u| u.get_mut(e / 64)) {
                *word |= 1 << (e % 64);
            }
        }
    }

    fn finish(self) -> Vec<crate::job::SetTally> {
        self.files
            .iter()
            .zip(&self.used)
            .zip(&self.entries)
            .map(|((&files, used), &entries)| {
                let matched: u64 = used.iter().map(|w| u64::from(w.count_ones())).sum();
                crate::job::SetTally {
                    matched_files: files,
                    matched_entries: matched,
                    unused_entries: entries.saturating_sub(matched),
                }
            })
            .collect()
    }
}
