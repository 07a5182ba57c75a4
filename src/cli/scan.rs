//! `ferret scan` (into a case file) and `ferret case …` (inspect one).

use std::path::PathBuf;
use std::sync::Arc;

use super::common::{drive, fail, load_catalog, outln, print_sets, print_summary, progress_bar};
use super::{EXIT_FAILED, EXIT_OK, EXIT_UNREADABLE};
use crate::case::review::{FlagFilter, SortKey};
use crate::case::{CaseInfo, CaseStore, StoredOptions, session};
use crate::evidence::EvidenceRoot;
use crate::hashing::AlgorithmSet;
use crate::job::ScanOptions;
use crate::{CancelToken, ScanError};

/// Arguments of `ferret scan`.
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Evidence folder (not needed with --resume).
    pub source: Option<PathBuf>,
    /// Case file to create (--new) or add to.
    #[arg(long, short = 'c', value_name = "CASE")]
    pub case: PathBuf,
    /// Create the case file.
    #[arg(long)]
    pub new: bool,
    /// Case number (with --new).
    #[arg(long, required_if_eq("new", "true"))]
    pub case_number: Option<String>,
    /// Examiner name (with --new; recorded as the actor of audit rows).
    #[arg(long, required_if_eq("new", "true"))]
    pub examiner: Option<String>,
    /// Case title.
    #[arg(long, default_value = "")]
    pub title: String,
    /// Agency.
    #[arg(long, default_value = "")]
    pub agency: String,
    /// Exhibit number of the evidence item.
    #[arg(long, default_value = "1")]
    pub exhibit: String,
    /// Evidence description.
    #[arg(long, default_value = "")]
    pub description: String,
    /// Continue the last interrupted or cancelled scan of the case, skipping
    /// entries already recorded (same path, size and mtime).
    #[arg(long, conflicts_with_all = ["new", "source"])]
    pub resume: bool,
    /// Hash sets of the library to match (repeatable).
    #[arg(long = "hashset", short = 's', value_name = "NAME")]
    pub hashsets: Vec<String>,
    /// Hash library folder.
    #[arg(long)]
    pub library: Option<PathBuf>,
    /// Digests to compute [default: all four].
    #[arg(long, short = 'a', value_parser = super::parse_algorithms)]
    pub algorithms: Option<AlgorithmSet>,
    /// Descend into other filesystems mounted below SOURCE.
    #[arg(long)]
    pub cross_filesystems: bool,
    /// Read symbolic link targets even on a writable mount.
    #[arg(long)]
    pub read_link_targets: bool,
    /// Hashing threads [default: one per core].
    #[arg(long, short = 'j')]
    pub threads: Option<usize>,
    /// How the evidence is read (order, device).
    #[command(flatten)]
    pub read: super::common::ReadArgs,
    /// No progress bar.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

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
        /// Only these reasons (alert, info, mismatch, changed_during_read).
        #[arg(long = "reason")]
        reasons: Vec<String>,
    },
    /// Recompute the audit log's hash chain.
    Verify {
        /// Case file.
        case: PathBuf,
    },
}

fn actor(store: &CaseStore) -> String {
    store
        .info()
        .ok()
        .map(|i| i.examiner)
        .filter(|e| !e.is_empty())
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "examiner".into())
}

struct Plan {
    store: CaseStore,
    root: PathBuf,
    evidence_id: i64,
    stored: StoredOptions,
    resumes: Option<i64>,
}

fn plan(args: &ScanArgs) -> Result<Plan, String> {
    if args.resume {
        let store = CaseStore::open(&args.case).map_err(|e| e.to_string())?;
        let scans = store.scans().map_err(|e| e.to_string())?;
        let last = scans
            .iter()
            .rev()
            .find(|s| s.status != "complete")
            .ok_or("nothing to resume: every scan of this case completed")?;
        if last.status == "running" {
            return Err(format!(
                "scan {} is still running (another ferret has it open)",
                last.id
            ));
        }
        let evidence = store.evidence().map_err(|e| e.to_string())?;
        let ev = evidence
            .iter()
            .find(|e| e.id == last.evidence_id)
            .ok_or("the scan's evidence item is missing")?;
        let stored: StoredOptions = serde_json::from_str(&last.options).unwrap_or_default();
        return Ok(Plan {
            root: ev.root.clone(),
            evidence_id: ev.id,
            stored,
            resumes: Some(last.id),
            store,
        });
    }
    let source = args
        .source
        .clone()
        .ok_or("SOURCE is required (or --resume)")?;
    let store = if args.new {
        let info = CaseInfo {
            case_number: args.case_number.clone().unwrap_or_default(),
            title: args.title.clone(),
            examiner: args.examiner.clone().unwrap_or_default(),
            agency: args.agency.clone(),
            ..Default::default()
        };
        CaseStore::create(&args.case, &info, &info.examiner).map_err(|e| e.to_string())?
    } else {
        CaseStore::open(&args.case).map_err(|e| e.to_string())?
    };
    let mount = EvidenceRoot::open(&source)
        .and_then(|r| r.mount_state())
        .map_err(|e| format!("cannot open evidence root {}: {e}", source.display()))?;
    let who = actor(&store);
    let evidence_id = store
        .add_evidence(&args.exhibit, &args.description, &source, Some(mount), &who)
        .map_err(|e| e.to_string())?;
    let stored = StoredOptions {
        algorithms: args.algorithms.unwrap_or(AlgorithmSet::ALL).to_string(),
        hash_sets: args.hashsets.clone(),
        cross_filesystems: args.cross_filesystems,
        ..Default::default()
    };
    Ok(Plan {
        store,
        root: source,
        evidence_id,
        stored,
        resumes: None,
    })
}

/// Runs `ferret scan`.
pub(super) fn run_scan(args: ScanArgs) -> u8 {
    let p = match plan(&args) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let catalog = match load_catalog(&p.stored.hash_sets, &args.library) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let who = actor(&p.store);
    let cancel = CancelToken::new();
    let on_signal = cancel.clone();
    if let Err(e) = ctrlc::set_handler(move || on_signal.cancel()) {
        eprintln!("ferret: warning: Ctrl-C will not cancel cleanly: {e}");
    }
    if let Some(id) = p.resumes {
        eprintln!("ferret: resuming scan {id}");
    }
    let configure = |mut o: ScanOptions| {
        o = o.with_cancel_token(cancel);
        if args.read_link_targets {
            o = o.read_link_targets(true);
        }
        if let Some(n) = args.threads {
            o = o.threads(n);
        }
        args.read.apply(o)
    };
    let scan = match session::start_scan(
        &p.store,
        p.evidence_id,
        &p.root,
        &p.stored,
        &catalog,
        p.resumes,
        &who,
        configure,
        Arc::new(|| {}),
    ) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let bar = progress_bar(args.quiet);
    let result = drive(&scan.job, &bar, args.read_link_targets);
    bar.finish_and_clear();
    let status = match session::finish_scan(&p.store, scan.scan_id, &result, &who) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let summary = match &result {
        Ok(s) => s,
        Err(ScanError::Cancelled { summary }) => summary,
        Err(e) => return fail(e),
    };
    let label = if status == "complete" {
        "complete"
    } else {
        "cancelled (resume with --resume)"
    };
    print_summary(summary, label);
    print_sets(summary, &catalog);
    print_alert_categories(&p.store);
    match (status, summary.errors) {
        ("complete", 0) => EXIT_OK,
        ("complete", _) => EXIT_UNREADABLE,
        _ => EXIT_FAILED,
    }
}

fn print_alert_categories(store: &CaseStore) {
    let q = "SELECT s.name, h.category, count(DISTINCT h.file_id) FROM hits h JOIN hash_sets s ON s.id = h.hash_set_id
             WHERE h.kind = 'alert' GROUP BY s.name, h.category ORDER BY s.name, h.category";
    let Ok(mut st) = store.conn().prepare(q) else {
        return;
    };
    let rows = st.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Option<i64>>(1)?,
            r.get::<_, i64>(2)?,
        ))
    });
    for (set, cat, n) in rows.into_iter().flatten().flatten() {
        let cat = cat.map_or("uncategorised".to_string(), |c| format!("category {c}"));
        eprintln!("ferret: alerts in case: {set}, {cat}: {n} files");
    }
}

/// Runs `ferret case …`.
pub(super) fn run_case(cmd: CaseCommand) -> u8 {
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
            outln!("case:       {} {}", info.case_number, info.title);
            outln!("examiner:   {} {}", info.examiner, info.examiner_id);
            outln!("agency:     {}", info.agency);
            for ev in store.evidence().unwrap_or_default() {
                let ro = match ev.read_only {
                    Some(true) => "read-only",
                    Some(false) => "READ-WRITE",
                    None => "mount state unknown",
                };
                let fs = crate::evidence::MountInfo::describe_or_unknown(ev.mount.as_ref());
                outln!(
                    "evidence:   exhibit {} {} ({ro}; {fs}) {}",
                    ev.exhibit,
                    crate::pathfmt::escape_path(&ev.root),
                    ev.description
                );
            }
            for s in store.scans().unwrap_or_default() {
                let status = if s.status == "running" {
                    "running or interrupted".to_string()
                } else {
                    s.status.clone()
                };
                outln!(
                    "scan {}:     {status}, started {}, finished {}, ferret {}",
                    s.id,
                    s.started,
                    s.finished.as_deref().unwrap_or("-"),
                    s.tool_version
                );
            }
            if let Ok(c) = store.counts(None) {
                let g = |k: &str| c.get(k).copied().unwrap_or(0);
                outln!(
                    "files:      {} entries: {} hashed ({} bytes), {} not hashed, {} unreadable",
                    g("entries"),
                    g("hashed"),
                    g("bytes"),
                    g("not_hashed"),
                    g("errors")
                );
                outln!(
                    "flags:      {} alert, {} known-good, {} extension mismatches",
                    g("alerts"),
                    g("known_good"),
                    g("mismatches")
                );
            }
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
                        r.path,
                        r.reasons,
                        r.status.as_str(),
                        r.details
                    );
                }
                if page.len() < 500 {
                    break;
                }
                offset += 500;
            }
            EXIT_OK
        }
        CaseCommand::Verify { case } => {
            let store = match CaseStore::open_read_only(&case) {
                Ok(s) => s,
                Err(e) => return fail(e),
            };
            match store.verify_audit() {
                Ok(Ok(n)) => {
                    outln!("audit log intact: {n} rows");
                    EXIT_OK
                }
                Ok(Err(broken)) => {
                    outln!("{broken}");
                    EXIT_FAILED
                }
                Err(e) => fail(e),
            }
        }
    }
}

/// Runs `ferret report`.
pub(super) fn run_report(
    case: &std::path::Path,
    out: &std::path::Path,
    format: &str,
    scope: &str,
    thumbnails: bool,
) -> u8 {
    use crate::report::export::{ReportFormat, ReportOptions, ReportProgress, write_report_with};
    use crate::report::rows::Scope;
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
    let who = actor(&store);
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
    match crate::report::export::verify_report(dir) {
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
