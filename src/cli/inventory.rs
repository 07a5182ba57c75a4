//! `ferret inventory`: scan a tree and stream an inventory.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;

use indicatif::ProgressBar;

use super::common::{
    drive, fail, install_ctrlc, load_catalog, print_digest_union, print_sets, print_summary,
    progress_bar,
};
use super::{EXIT_FAILED, EXIT_OK, EXIT_UNREADABLE, FormatArg, InventoryArgs};
use crate::ScanError;
use crate::evidence::{OutputTarget, guard};
use crate::hashing::{Algorithm, AlgorithmSet};
use crate::hashsets::HashSetCatalog;
use crate::job::{FileRecord, RecordSink, ScanJob, ScanOptions};
use crate::pathfmt::PathStyle;
use crate::report::hashdeep::{HashdeepWriter, hashdeep_columns};
use crate::report::jsonl::JsonlWriter;
use crate::report::sums::SumsWriter;

/// Which records reach the output (hashdeep `-m` / `-x`).
#[derive(Clone, Copy, PartialEq)]
enum Select {
    All,
    Matching,
    NotMatching,
}

/// Prints each unreadable entry to stderr as it is recorded, filters by
/// match, then passes the record on.
struct ReportErrors {
    inner: Box<dyn RecordSink>,
    bar: ProgressBar,
    select: Select,
    /// The format names files only (hashdeep, sums): named data streams
    /// cannot be listed in it and are counted instead.
    files_only: bool,
    streams_left_out: u64,
}

impl RecordSink for ReportErrors {
    fn accept(&mut self, rec: FileRecord) -> io::Result<()> {
        if let Some(e) = rec.error() {
            let stream = rec
                .stream
                .as_ref()
                .map(|s| {
                    format!(
                        " (stream {})",
                        PathStyle::native().escape_stream(s.as_encoded_bytes())
                    )
                })
                .unwrap_or_default();
            self.bar.suspend(|| eprintln!("ferret: {e}{stream}"));
        }
        if self.files_only && !rec.members.is_empty() {
            // hashdeep and sums audit the drive: members are not files on it.
            return Ok(());
        }
        if self.files_only && rec.stream.is_some() && rec.digests().is_some() {
            self.streams_left_out += 1;
            return Ok(());
        }
        let keep = match self.select {
            Select::All => true,
            Select::Matching => rec.digests().is_some() && !rec.hits.is_empty(),
            Select::NotMatching => rec.digests().is_some() && rec.hits.is_empty(),
        };
        if keep { self.inner.accept(rec) } else { Ok(()) }
    }

    fn finish(&mut self) -> io::Result<()> {
        if self.streams_left_out > 0 {
            let n = self.streams_left_out;
            self.bar.suspend(|| {
                eprintln!(
                    "ferret: {n} named data stream(s) (NTFS alternate data streams) were hashed \
                     but are not in this output, which names files only; use -f jsonl or a case"
                )
            });
        }
        self.inner.finish()
    }
}

/// The output: standard output, `-`, `/dev/null`, or a new file that the
/// engine's guard checks (never inside the evidence, never through a link,
/// never over an existing file without `--force`).
fn open_output(args: &InventoryArgs) -> Result<Box<dyn Write + Send>, String> {
    let Some(path) = &args.output else {
        return Ok(Box::new(BufWriter::new(io::stdout())));
    };
    let out = guard::open_output(path, &[&args.source], args.force).map_err(|e| e.to_string())?;
    Ok(Box::new(BufWriter::with_capacity(1 << 20, out)))
}

fn build_sink(
    args: &InventoryArgs,
    algorithms: AlgorithmSet,
    catalog: &HashSetCatalog,
    out: Box<dyn Write + Send>,
) -> Result<Box<dyn RecordSink>, String> {
    Ok(match args.format {
        FormatArg::Hashdeep => {
            // hashdeep -a compares names as it computes them: the real path
            // of the source (links and `..` resolved), then the walk below it.
            let root = std::fs::canonicalize(&args.source)
                .or_else(|_| std::path::absolute(&args.source))
                .map_err(|e| e.to_string())?;
            let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("?"));
            let cmd: Vec<String> = std::env::args_os()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            Box::new(
                HashdeepWriter::new(out, &root, algorithms, &cwd, &cmd.join(" "))
                    .map_err(|e| e.to_string())?,
            )
        }
        FormatArg::Sums => {
            let algo = algorithms.iter().next().unwrap_or(Algorithm::Sha256);
            Box::new(SumsWriter::new(out, &args.source, algo))
        }
        FormatArg::Jsonl => Box::new(
            JsonlWriter::new(out, &args.source)
                .with_catalog(catalog.clone())
                .with_algorithms(algorithms),
        ),
    })
}

fn algorithms_for(args: &InventoryArgs) -> Result<AlgorithmSet, String> {
    match (args.format, args.algorithms) {
        (FormatArg::Sums, None) => Ok(AlgorithmSet::of(&[Algorithm::Sha256])),
        (FormatArg::Sums, Some(a)) if a.len() != 1 => {
            Err("--format sums takes exactly one algorithm (e.g. -a md5)".into())
        }
        (FormatArg::Hashdeep, Some(a)) if hashdeep_columns(a).is_empty() => {
            Err("--format hashdeep needs md5, sha1 or sha256 (hashdeep has no BLAKE3)".into())
        }
        (_, Some(a)) => Ok(a),
        (_, None) => Ok(AlgorithmSet::ALL),
    }
}

/// Runs the command; returns the exit code.
pub(super) fn run(args: InventoryArgs) -> u8 {
    let algorithms = match algorithms_for(&args) {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    let catalog = match load_catalog(&args.hashsets, &args.library) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let out = match open_output(&args) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    let bar = progress_bar(args.quiet);
    let select = match (args.matches_only, args.non_matches_only) {
        (true, _) => Select::Matching,
        (_, true) => Select::NotMatching,
        _ => Select::All,
    };
    let sink = match build_sink(&args, algorithms, &catalog, out) {
        Ok(s) => Box::new(ReportErrors {
            inner: s,
            bar: bar.clone(),
            select,
            files_only: !matches!(args.format, FormatArg::Jsonl),
            streams_left_out: 0,
        }),
        Err(e) => return fail(e),
    };
    if !args.quiet {
        print_digest_union(algorithms, &catalog);
        if !args.pdq {
            super::common::print_pdq_forced(&catalog.pdq_sets());
        }
    }
    let cancel = install_ctrlc();
    let mut options = ScanOptions::new(&args.source)
        .algorithms(algorithms)
        .cross_filesystems(args.cross_filesystems)
        .hash_sets(catalog.clone())
        .archives(args.archives.then(|| args.archive.limits()))
        .pdq(args.pdq)
        .with_cancel_token(cancel);
    if args.read_link_targets {
        options = options.read_link_targets(true);
    }
    if let Some(n) = args.threads {
        options = options.threads(n);
    }
    let options = args.read.apply(options);
    let job = match ScanJob::spawn(options, sink, Arc::new(|| {})) {
        Ok(j) => j,
        Err(e) => return fail(e),
    };
    let result = drive(&job, &bar, args.read_link_targets);
    bar.finish_and_clear();
    match result {
        Ok(s) => {
            if !args.quiet {
                print_summary(&s, "complete");
                print_sets(&s, &catalog);
            }
            if s.errors > 0 {
                EXIT_UNREADABLE
            } else {
                EXIT_OK
            }
        }
        Err(ScanError::Cancelled { summary }) => {
            print_summary(&summary, "cancelled (output is partial)");
            EXIT_FAILED
        }
        Err(e) => {
            // A failed write (a full disk) leaves no truncated inventory
            // that could pass for a whole one.
            if let Some(path) = &args.output
                && let OutputTarget::File(_) = OutputTarget::parse(path)
                && std::fs::remove_file(path).is_ok()
            {
                eprintln!(
                    "ferret: removed the incomplete {}",
                    crate::pathfmt::escape_path(path)
                );
            }
            fail(e)
        }
    }
}
