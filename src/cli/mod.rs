//! The command-line front end: clap definitions turned into engine options,
//! indicatif progress on stderr, and documented exit codes.
//!
//! Exit codes: 0 complete; 2 complete, but some entries could not be read
//! (each is listed on stderr and recorded in the output); 3 failed, cancelled
//! or bad usage.

mod case;
mod common;
mod hashset;
mod inventory;
mod report;
mod scan;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::hashing::AlgorithmSet;

/// Exit code: everything was read.
pub const EXIT_OK: u8 = 0;
/// Exit code: the scan completed but some entries could not be read.
pub const EXIT_UNREADABLE: u8 = 2;
/// Exit code: the scan failed or was cancelled, or the command line was wrong.
pub const EXIT_FAILED: u8 = 3;

const EXIT_CODES_HELP: &str = "Exit codes:
  0  complete: every entry was examined
  2  complete, but some entries could not be read (listed on stderr and in the output)
  3  failed or cancelled (Ctrl-C), or bad usage";

/// Ferret: forensic disk triage. Without a command, opens the desktop app.
#[derive(Debug, Parser)]
#[command(name = "ferret", version = crate::VERSION, long_version = long_version(),
          about, after_help = EXIT_CODES_HELP)]
pub struct Cli {
    /// What to do; none opens the desktop app.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Open the desktop app straight into the scanned demo case.
    #[arg(long)]
    pub demo: bool,
}

fn long_version() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| {
        format!(
            "{} (build {})\ndigest CPU features: {}\n{}",
            crate::VERSION,
            crate::BUILD,
            crate::hashing::cpu_features().join(", "),
            crate::hashing::DigestPaths::detect().describe().join("\n")
        )
    })
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Walk SOURCE read-only, hash every file once, and write an inventory.
    #[command(after_help = EXIT_CODES_HELP)]
    Inventory(InventoryArgs),
    /// Scan SOURCE into a case file (create it with --new), or --resume.
    #[command(after_help = EXIT_CODES_HELP)]
    Scan(scan::ScanArgs),
    /// Inspect a case file: info, hits, verify.
    Case {
        /// What to do.
        #[command(subcommand)]
        command: case::CaseCommand,
    },
    /// Export a report folder from a case (HTML, CSV, JSON, DFXML, CASE/UCO,
    /// hashdeep) with a manifest.sha256 of every file.
    Report {
        /// Case file.
        case: PathBuf,
        /// Report folder to create (must not exist, or be empty) [default:
        /// beside the case, CASE-report-<UTC time>].
        #[arg(long, short = 'o')]
        out: Option<PathBuf>,
        /// Formats, comma-separated: html, csv, json, dfxml, case, hashdeep,
        /// vics (Project VIC VICS 2.0; only when named).
        #[arg(long, short = 'f', default_value = "html,csv,json,dfxml,case,hashdeep")]
        format: String,
        /// Which items: flagged, reviewed, all or categorised (the hashdeep
        /// inventory is always all).
        #[arg(long, default_value = "flagged")]
        scope: String,
        /// Embed thumbnails of flagged images in the HTML, greyscale and
        /// blurred (read from the evidence, which must be mounted).
        #[arg(long)]
        thumbnails: bool,
    },
    /// Re-check a report folder against its manifest.sha256.
    Verify {
        /// Report folder.
        dir: PathBuf,
    },
    /// Manage the hash library: import, list, info, remove, export.
    Hashset {
        /// Hash library folder [default: $FERRET_LIBRARY, else the platform data folder].
        #[arg(long, global = true)]
        library: Option<PathBuf>,
        /// What to do.
        #[command(subcommand)]
        command: hashset::HashsetCommand,
    },
}

/// Output formats of `ferret inventory`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// hashdeep file (size, md5, sha1, sha256): `hashdeep -r -a -k FILE SOURCE` audits it.
    Hashdeep,
    /// `sha256sum -c` (or md5sum/sha1sum/b3sum) lines for one algorithm (default sha256).
    Sums,
    /// One JSON object per entry, with everything Ferret records.
    Jsonl,
}

/// Arguments of `ferret inventory`.
#[derive(Debug, clap::Args)]
pub struct InventoryArgs {
    /// Evidence folder (a mounted drive, read-only).
    pub source: PathBuf,
    /// Digests to compute, comma-separated: md5, sha1, sha256, blake3 [default: all;
    /// sums: sha256].
    #[arg(long, short = 'a', value_parser = parse_algorithms)]
    pub algorithms: Option<AlgorithmSet>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = FormatArg::Hashdeep)]
    pub format: FormatArg,
    /// Write to FILE instead of stdout (never inside SOURCE; never overwritten without --force).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace FILE if it exists.
    #[arg(long)]
    pub force: bool,
    /// Look inside archives (ZIP, TAR, 7z, RAR, gzip/bzip2/xz/zstd): each
    /// member is a line of its own in jsonl (hashdeep and sums list files
    /// of the drive only).
    #[arg(long)]
    pub archives: bool,
    /// Perceptual hashes of still pictures: `pdq` and `pdq_quality` (or
    /// `pdq_error`) in jsonl.
    #[arg(long)]
    pub pdq: bool,
    /// Limits inside each archive (with --archives).
    #[command(flatten)]
    pub archive: common::ArchiveArgs,
    /// Descend into other filesystems mounted below SOURCE.
    #[arg(long)]
    pub cross_filesystems: bool,
    /// Read symbolic link targets even on a writable mount (this updates the
    /// links' access times; on a read-only mount targets are always read).
    #[arg(long)]
    pub read_link_targets: bool,
    /// Match every file against these sets of the hash library (repeatable).
    #[arg(long = "hashset", short = 's', value_name = "NAME")]
    pub hashsets: Vec<String>,
    /// Hash library folder [default: $FERRET_LIBRARY, else the platform data folder].
    #[arg(long)]
    pub library: Option<PathBuf>,
    /// Only files matching a set (hashdeep/md5deep -m).
    #[arg(
        long,
        short = 'm',
        conflicts_with = "non_matches_only",
        requires = "hashsets"
    )]
    pub matches_only: bool,
    /// Only files matching no set (hashdeep/md5deep -x).
    #[arg(long, short = 'x', requires = "hashsets")]
    pub non_matches_only: bool,
    /// Hashing threads [default: one per core].
    #[arg(long, short = 'j')]
    pub threads: Option<usize>,
    /// How the evidence is read (order, device).
    #[command(flatten)]
    pub read: common::ReadArgs,
    /// No progress bar and no summary line.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

pub(crate) fn parse_algorithms(s: &str) -> Result<AlgorithmSet, String> {
    s.parse()
        .map_err(|e: crate::hashing::ParseAlgorithmError| e.to_string())
}

/// Parses the process arguments. Help and version print and exit 0; usage
/// errors print and exit [`EXIT_FAILED`].
pub fn parse() -> Cli {
    parse_from(std::env::args_os())
}

/// Parses the given arguments (see [`parse`]).
pub fn parse_from<I: IntoIterator<Item = T>, T: Into<OsString> + Clone>(args: I) -> Cli {
    match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                i32::from(EXIT_FAILED)
            } else {
                0
            };
            let _ = e.print();
            std::process::exit(code);
        }
    }
}

/// Runs a subcommand and returns the process exit code.
pub fn run(command: Command) -> ExitCode {
    let code = match command {
        Command::Inventory(args) => inventory::run(args),
        Command::Hashset { library, command } => hashset::run(library, command),
        Command::Scan(args) => scan::run(args),
        Command::Case { command } => case::run(command),
        Command::Report {
            case,
            out,
            format,
            scope,
            thumbnails,
        } => report::run(&case, out.as_deref(), &format, &scope, thumbnails),
        Command::Verify { dir } => report::run_verify(&dir),
    };
    ExitCode::from(code)
}
