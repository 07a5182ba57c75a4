//! `ferret case …`: inspect a case file read-only (info, hits, verify).

use std::path::PathBuf;

use super::common::{fail, outln};
use super::{EXIT_FAILED, EXIT_OK};
use crate::case::review::{FlagFilter, FlagReason, SortKey};
use crate::case::{CaseStore, ScanStatus};
use crate::pathfmt::display_safe as t;

/// `ferret case` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum CaseCommand {
    /// Case, evidence, scans and counts.
    Info {
        /// Case file.
        case: PathBuf,
    },
    /// Flagged items (alerts, informational hits, mismatches).
    Hits {
        /// Case file.
        case: PathBuf,
        /// Only these reasons (alert, info, mismatch, changed_during_read,
        /// known_good); repeatable.
        #[arg(long = "reason")]
        reasons: Vec<FlagReason>,
    },
    /// The near-duplicate group of a picture: every picture of the case
    /// whose PDQ hash is within 31 bits of it (or of another member), with
    /// its distance from the item.
    Similar {
        /// Case file.
        case: PathBuf,
        /// The item: its id, or its path as reports and `case hits` print it.
        item: String,
    },
    /// Recompute the audit log's hash chain, each evidence item's results
    /// against the digest recorded when its scan ended, and the review
    /// marks from the log; with --report, check the case still matches the
    /// audit anchor that report carries.
    Verify {
        /// Case file.
        case: PathBuf,
        /// A report folder of this case: its anchor (in manifest.sha256)
        /// must still be in the case.
        #[arg(long, value_name = "DIR")]
        report: Option<PathBuf>,
    },
}

/// Runs `ferret case …`.
pub(super) fn run(cmd: CaseCommand) -> u8 {
    match cmd {
        CaseCommand::Info { case } => {
            let store = match CaseStore::open_read_only(&case) {
                Ok(s) => s,
                Err(e) => return fail(e),
            };
            let info = match store.info() {
                Ok(i) => i,
                Err(e) => return fail(e),
            };
            // Every string read from the case is shown escaped if it holds a
            // control or bidi character: a crafted case cannot drive the terminal.
            outln!("case:       {} {}", t(&info.case_number), t(&info.title));
            outln!("examiner:   {} {}", t(&info.examiner), t(&info.examiner_id));
            outln!("agency:     {}", t(&info.agency));
            // A case whose rows cannot be read is an error, never a shorter
            // answer.
            let evidence = match store.evidence() {
                Ok(e) => e,
                Err(e) => return fail(e),
            };
            let scans = match store.scans() {
                Ok(s) => s,
                Err(e) => return fail(e),
            };
            for ev in evidence {
                let ro = match ev.read_only {
                    Some(true) => "read-only",
                    Some(false) => "READ-WRITE",
                    None => "mount state unknown",
                };
                let fs = crate::evidence::MountInfo::describe_or_unknown(ev.mount.as_ref());
                outln!(
                    "evidence:   exhibit {} {} ({ro}; {}) {}",
                    t(&ev.exhibit),
                    ev.root_text(),
                    t(&fs),
                    t(&ev.description)
                );
            }
            for s in scans {
                let status = match s.status {
                    ScanStatus::Running => "running or interrupted",
                    other => other.as_str(),
                };
                outln!(
                    "scan {}:     {status}, started {}, finished {}, ferret {}",
                    s.id,
                    t(&s.started),
                    t(s.finished.as_deref().unwrap_or("-")),
                    t(&s.tool_version)
                );
            }
            let a = match store.audit_anchor() {
                Ok(a) => a,
                Err(e) => return fail(e),
            };
            outln!(
                "audit:      {} rows; anchor row {} BLAKE3 {} (reports carry it; `ferret case verify --report DIR` checks it)",
                a.rows,
                a.row,
                a.hash
            );
            let c = match store.counts(None) {
                Ok(c) => c,
                Err(e) => return fail(e),
            };
            outln!(
                "files:      {} entries: {} hashed ({} bytes), {} not hashed, {} unreadable",
                c.entries,
                c.hashed,
                c.bytes,
                c.not_hashed,
                c.errors
            );
            outln!(
                "flags:      {} alert, {} known-good, {} extension mismatches",
                c.alerts,
                c.known_good,
                c.mismatches
            );
            EXIT_OK
        }
        CaseCommand::Hits { case, reasons } => {
            let store = match CaseStore::open_read_only(&case) {
                Ok(s) => s,
                Err(e) => return fail(e),
            };
            let filter = FlagFilter {
                reasons,
                ..Default::default()
            };
            let mut offset = 0;
            loop {
                let page = match store.flagged(&filter, SortKey::Path, false, offset, 500) {
                    Ok(p) => p,
                    Err(e) => return fail(e),
                };
                for r in &page {
                    outln!(
                        "{}\t{}\t{}\t{}",
                        t(&r.path),
                        r.reasons_text(),
                        r.status.as_str(),
                        t(&r.details)
                    );
                }
                if page.len() < 500 {
                    break;
                }
                offset += 500;
            }
            EXIT_OK
        }
        CaseCommand::Similar { case, item } => similar(&case, &item),
        CaseCommand::Verify { case, report } => {
            let store = match CaseStore::open_read_only(&case) {
                Ok(s) => s,
                Err(e) => return fail(e),
            };
            let anchor = match report.as_deref().map(crate::report::read_anchor) {
                None => None,
                Some(Ok(a)) => Some(a),
                Some(Err(e)) => return fail(e),
            };
            let checked = store.verify(anchor.as_ref().map(|(row, hash)| (*row, hash.as_str())));
            let v = match checked {
                Ok(v) => v,
                Err(e) => return fail(e),
            };
            for c in &v.checks {
                match &c.problem {
                    None => outln!("ok:      {}", c.what),
                    Some(p) => outln!("FAILED:  {}: {}", c.what, t(p)),
                }
            }
            if let Ok(Ok(n)) = store.verify_audit() {
                outln!("audit log intact: {n} rows");
            }
            if let Some((row, _)) = &anchor {
                let after = store.changes_after(*row).unwrap_or_default();
                if after.is_empty() {
                    outln!("since the report: no change to the case");
                } else {
                    let list: Vec<String> = after
                        .iter()
                        .map(|(a, n)| format!("{} x{n}", t(a)))
                        .collect();
                    outln!("since the report: {}", list.join(", "));
                }
            }
            if v.intact() { EXIT_OK } else { EXIT_FAILED }
        }
    }
}

/// `ferret case similar CASE ITEM`: one line per picture of the item's
/// group, `id TAB distance TAB quality TAB pdq TAB exhibit TAB path`, the
/// item first. Exit 0 with its group (or a note that it has none), 1 when
/// the item is not in the case or names several.
fn similar(case: &std::path::Path, item: &str) -> u8 {
    let store = match CaseStore::open_read_only(case) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let id = match store.find_item(item).as_deref() {
        Ok([id]) => *id,
        Ok([]) => return fail(format!("no item {} in the case", t(item))),
        Ok(many) => {
            return fail(format!(
                "{} names {} items (a file id, or a path in several exhibits): give its id ({})",
                t(item),
                many.len(),
                many.iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        Err(e) => return fail(e),
    };
    let group = match store.similar_to(id) {
        Ok(g) => g,
        Err(e) => return fail(e),
    };
    if group.is_empty() {
        eprintln!(
            "ferret: item {id} is in no near-duplicate group (no picture of the case is within \
             {} bits of its PDQ hash, or it has none of quality {} or more)",
            crate::perceptual::DEFAULT_THRESHOLD,
            crate::perceptual::MIN_QUALITY
        );
        return EXIT_OK;
    }
    outln!("id\tdistance\tquality\tpdq\texhibit\tpath");
    for g in &group {
        outln!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            g.id,
            g.distance,
            g.quality,
            g.pdq,
            g.exhibit,
            g.path
        );
    }
    EXIT_OK
}
