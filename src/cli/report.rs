//! `ferret report` (export a report folder from a case) and `ferret verify`
//! (re-check one against its manifest).

use super::common::{fail, outln, progress_bar};
use super::{EXIT_FAILED, EXIT_OK};
use crate::case::CaseStore;

/// Runs `ferret report`.
pub(super) fn run(
    case: &std::path::Path,
    out: &std::path::Path,
    format: &str,
    scope: &str,
    thumbnails: bool,
) -> u8 {
    use crate::report::{ReportFormat, ReportOptions, ReportProgress, Scope, write_report_with};
    let Some(scope) = Scope::parse(scope) else {
        return fail(format!("unknown scope '{scope}' (flagged, reviewed, all)"));
    };
    let mut formats = Vec::new();
    for f in format.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        match ReportFormat::parse(f) {
            Some(x) => formats.push(x),
            None => {
                return fail(format!(
                    "unknown report format '{f}' (html, csv, json, dfxml, case, hashdeep)"
                ));
            }
        }
    }
    // Read-write only to append the export to the audit log.
    let store = match CaseStore::open(case) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let who = crate::workflow::actor_of(&store);
    let progress = ReportProgress::default();
    let total_files = formats.len() as u64 + 1;
    let bar = progress_bar(false);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        bar.set_style(style);
    }
    // The report is written on a worker thread; this one shows progress.
    let result = std::thread::scope(|s| {
        let (progress, formats, who) = (&progress, &formats, &who);
        let writer = s.spawn(move || {
            let store = store;
            let options = ReportOptions {
                thumbnails,
                progress: Some(progress),
            };
            write_report_with(&store, out, formats, scope, who, options)
        });
        while !writer.is_finished() {
            bar.set_message(format!(
                "report: {} rows, {}/{total_files} files",
                progress.rows.load(std::sync::atomic::Ordering::Relaxed),
                progress
                    .files_done
                    .load(std::sync::atomic::Ordering::Relaxed)
            ));
            bar.tick();
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        writer.join()
    });
    bar.finish_and_clear();
    let result = match result {
        Ok(r) => r,
        Err(_) => return fail("internal error: report writer panicked"),
    };
    match result {
        Ok(o) => {
            for f in &o.files {
                outln!("{}", o.dir.join(f).display());
            }
            outln!("manifest.sha256 SHA-256: {}", o.manifest_sha256);
            EXIT_OK
        }
        Err(e) => fail(e),
    }
}

/// Runs `ferret verify`.
pub(super) fn run_verify(dir: &std::path::Path) -> u8 {
    match crate::report::verify_report(dir) {
        Ok(problems) if problems.is_empty() => {
            outln!("{}: every file matches manifest.sha256", dir.display());
            EXIT_OK
        }
        Ok(problems) => {
            for p in problems {
                outln!("{p}");
            }
            EXIT_FAILED
        }
        Err(e) => fail(e),
    }
}
