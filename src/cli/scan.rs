//! `ferret scan`: a scan into a case file (new, added evidence, or resumed),
//! through the workflow every front end uses.

use std::path::PathBuf;
use std::sync::Arc;

use super::common::{
    drive, fail, install_ctrlc, print_digest_union, print_rebuilds, print_sets, print_summary,
    progress_bar,
};
use super::{EXIT_FAILED, EXIT_OK, EXIT_UNREADABLE};
use crate::case::{CaseInfo, CaseStore, ScanStatus};
use crate::hashing::AlgorithmSet;
use crate::hashsets::HashLibrary;
use crate::job::{ScanError, ScanSettings};
use crate::workflow::{self, EvidenceSpec, NewCase, Runtime, ScanRequest};

/// Arguments of `ferret scan`.
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Evidence folder; with --resume, the case file may be given here.
    pub source: Option<PathBuf>,
    /// Case file to create (--new) or add to.
    #[arg(long, short = 'c', value_name = "CASE")]
    pub case: Option<PathBuf>,
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
    /// Continue the case's newest scan if it did not finish, with the
    /// settings it ran with, skipping entries already recorded (same path,
    /// size and mtime): `ferret scan --resume CASE` or `--case CASE --resume`.
    #[arg(long, conflicts_with_all = [
        "new", "hashsets", "algorithms", "cross_filesystems", "read_link_targets", "order", "no_archives", "no_pdq",
        "device", "exhibit", "case_number", "examiner", "title", "agency", "description",
    ])]
    pub resume: bool,
    /// Hash sets of the library to match (repeatable).
    #[arg(long = "hashset", short = 's', value_name = "NAME")]
    pub hashsets: Vec<String>,
    /// Hash library folder [default: $FERRET_LIBRARY, else the platform data folder].
    #[arg(long)]
    pub library: Option<PathBuf>,
    /// Digests to compute [default: all four]. Digests a selected set lists
    /// are always computed too.
    #[arg(long, short = 'a', value_parser = super::parse_algorithms)]
    pub algorithms: Option<AlgorithmSet>,
    /// Descend into other filesystems mounted below SOURCE.
    #[arg(long)]
    pub cross_filesystems: bool,
    /// Read symbolic link targets even on a writable mount.
    #[arg(long)]
    pub read_link_targets: bool,
    /// Do not look inside archives (ZIP, TAR, 7z, RAR, gzip/bzip2/xz/zstd):
    /// their members then go unmatched.
    #[arg(long)]
    pub no_archives: bool,
    /// Do not compute perceptual hashes (PDQ) of pictures: re-encoded,
    /// resized or mirrored copies of known pictures then go unmatched.
    #[arg(long)]
    pub no_pdq: bool,
    /// Limits inside each archive.
    #[command(flatten)]
    pub archive: super::common::ArchiveArgs,
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

/// The request the arguments make.
fn request(args: &ScanArgs) -> Result<ScanRequest, String> {
    if args.resume {
        let case = match (&args.case, &args.source) {
            (Some(c), None) | (None, Some(c)) => c.clone(),
            (Some(c), Some(s)) if c == s => c.clone(),
            (Some(c), Some(s)) => {
                return Err(format!(
                    "--resume takes one case file, and no evidence folder (given: {} and {})",
                    crate::pathfmt::escape_path(c),
                    crate::pathfmt::escape_path(s)
                ));
            }
            (None, None) => {
                return Err("--resume needs the case file: ferret scan --resume CASE".into());
            }
        };
        return Ok(ScanRequest::Resume { case });
    }
    let case = args
        .case
        .clone()
        .ok_or("--case CASE is required (or --resume CASE)")?;
    let root = args
        .source
        .clone()
        .ok_or("SOURCE is required (or --resume CASE)")?;
    let settings = ScanSettings {
        digests: args.algorithms.unwrap_or(AlgorithmSet::ALL),
        hash_sets: args.hashsets.clone(),
        order: args.read.order,
        device: args.read.device_kind(),
        cross_filesystems: args.cross_filesystems,
        read_link_targets: args.read_link_targets.then_some(true),
        archives: !args.no_archives,
        archive_limits: args.archive.limits(),
        pdq: !args.no_pdq,
    };
    let evidence = EvidenceSpec {
        root,
        exhibit: args.exhibit.clone(),
        description: args.description.clone(),
    };
    Ok(if args.new {
        ScanRequest::NewCase {
            case: NewCase {
                path: case,
                info: CaseInfo {
                    case_number: args.case_number.clone().unwrap_or_default(),
                    title: args.title.clone(),
                    examiner: args.examiner.clone().unwrap_or_default(),
                    agency: args.agency.clone(),
                    ..Default::default()
                },
            },
            evidence,
            settings,
        }
    } else {
        ScanRequest::AddEvidence {
            case,
            evidence,
            settings,
        }
    })
}

fn library_dir(library: &Option<PathBuf>) -> PathBuf {
    library.clone().unwrap_or_else(HashLibrary::default_dir)
}

/// Runs `ferret scan`.
pub(super) fn run(args: ScanArgs) -> u8 {
    let plan = match request(&args).and_then(|r| {
        workflow::plan_scan(r, &library_dir(&args.library)).map_err(|e| e.to_string())
    }) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    print_rebuilds(&plan.catalog);
    if let Some(id) = plan.resumes {
        eprintln!("ferret: resuming scan {id}");
    }
    print_digest_union(plan.settings.digests, &plan.catalog);
    super::common::print_pdq_forced(&plan.pdq_added_for_sets());
    let link_targets = plan.settings.read_link_targets == Some(true);
    let catalog = plan.catalog.clone();
    let runtime = Runtime {
        threads: args.threads,
        cancel: Some(install_ctrlc()),
        split_min: args.read.split_threshold(),
    };
    let running = match plan.start(runtime, Arc::new(|| {})) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let bar = progress_bar(args.quiet);
    let result = drive(&running.job, &bar, link_targets);
    bar.finish_and_clear();
    let finished = running.finish(result);
    if let Err(e) = &finished.recorded {
        return fail(format!("cannot record the scan's end: {e}"));
    }
    let summary = match &finished.result {
        Ok(s) => s,
        Err(ScanError::Cancelled { summary }) => summary,
        Err(e) => return fail(e),
    };
    let label = if finished.status == ScanStatus::Complete {
        "complete"
    } else {
        "cancelled (resume with --resume)"
    };
    print_summary(summary, label);
    print_sets(summary, &catalog);
    print_alert_categories(&finished.store);
    match (finished.status, summary.errors) {
        (ScanStatus::Complete, 0) => EXIT_OK,
        (ScanStatus::Complete, _) => EXIT_UNREADABLE,
        _ => EXIT_FAILED,
    }
}

fn print_alert_categories(store: &CaseStore) {
    for c in store.alert_categories().unwrap_or_default() {
        let cat = c
            .category
            .map_or("uncategorised".to_string(), |c| format!("category {c}"));
        eprintln!(
            "ferret: alerts in case: {}, {cat}: {} files",
            c.set, c.files
        );
    }
}
