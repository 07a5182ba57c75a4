//! `ferret report` (export a report folder from a case) and `ferret verify`
//! (re-check one against its manifest).

use super::common::{fail, outln, progress_bar};
use super::{EXIT_FAILED, EXIT_OK};
use crate::case::CaseStore;

/// Runs `ferret report`.
pub(super) fn run(
    case: &std::path::Path,
    out: Option<&std::path::Path>,
    format: &str,
    scope: &str,
    thumbnails: bool,
) -> u8 {
    use crate::report::{ReportFormat, Scope};
    use crate::workflow::{ExportJob, ExportRequest};
    let Some(scope) = Scope::parse(scope) else {
        return fail(format!(
            "unknown scope '{scope}' (flagged, reviewed, all, categorised)"
        ));
    };
    let mut formats = Vec::new();
    for f in format.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        match ReportFormat::parse(f) {
            Some(x) => formats.push(x),
            None => {
                return fail(format!(
                    "unknown report format '{f}' (html, csv, json, dfxml, case, hashdeep, vics)"
                ));
            }
        }
    }
    // Read-write only to append the export to the audit log; a case on
    // read-only media is reported from read-only, and says so.
    let store = match CaseStore::open(case) {
        Ok(s) => s,
        Err(crate::case::CaseError::ReadOnlyMedia(_)) => match CaseStore::open_read_only(case) {
            Ok(s) => {
                eprintln!(
                    "ferret: the case is on read-only media: opened read-only; this export is not written to its audit log"
                );
                s
            }
            Err(e) => return fail(e),
        },
        Err(e) => return fail(e),
    };
    let out = match out {
        Some(o) => o.to_path_buf(),
        None => default_out(case),
    };
    let actor = crate::workflow::actor_of(&store);
    let job = ExportJob::start(
        store,
        ExportRequest {
            out_dir: out,
            formats,
            scope,
            thumbnails,
            actor,
        },
    );
    let bar = progress_bar(false);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        bar.set_style(style);
    }
    let result = loop {
        if let Some(r) = job.poll() {
            break r;
        }
        let p = job.progress();
        bar.set_message(format!(
            "report: {} rows, {}/{} files",
            p.rows.load(std::sync::atomic::Ordering::Relaxed),
            p.files_done.load(std::sync::atomic::Ordering::Relaxed),
            job.files()
        ));
        bar.tick();
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    bar.finish_and_clear();
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

/// The report folder when none is named: beside the case, named after
/// it and the time (`c.ferret` → `c-report-20261130T184500Z`).
fn default_out(case: &std::path::Path) -> std::path::PathBuf {
    let stem = case
        .file_stem()
        .map_or_else(|| "case".into(), |s| s.to_string_lossy().into_owned());
    let time = jiff::Timestamp::now().strftime("%Y%m%dT%H%M%SZ");
    case.with_file_name(format!("{stem}-report-{time}"))
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
