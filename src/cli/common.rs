//! Pieces shared by the scanning commands: progress display, the event
//! loop, summaries, loading hash sets.

use std::io::{self, IsTerminal};
use std::path::PathBuf;
use std::time::Duration;

use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::EXIT_FAILED;
use crate::ScanError;
use crate::hashing::AlgorithmSet;
use crate::hashsets::{HashLibrary, HashSetCatalog};
use crate::job::{DeviceKind, Order, ScanEvent, ScanJob, ScanOptions, ScanSummary, Stage};

/// How the evidence is read: order and device (shared by `inventory` and
/// `scan`).
#[derive(Debug, Clone, clap::Args)]
pub struct ReadArgs {
    /// Hashing order: hits-first (pictures and videos of typical sizes in
    /// user folders first, likely known-good files last; every file is
    /// hashed) or walk (the order the walk found them).
    #[arg(long, value_name = "ORDER", default_value = "hits-first", value_parser = parse_order)]
    pub order: Order,
    /// Evidence device: auto (detect from the system), hdd (one reader,
    /// inode order within each band) or ssd (one reader per thread).
    #[arg(long, value_name = "KIND", default_value = "auto", value_parser = parse_device)]
    pub device: DeviceChoice,
    /// Spread one file's digests over two threads from this size up, when
    /// few files remain (benchmarks; 0 = never).
    #[arg(long, value_name = "BYTES", hide = true)]
    pub split_min: Option<u64>,
}

/// The limits inside each archive (shared by `inventory` and `scan`); each
/// one reached is recorded on the archive and flags it.
#[derive(Debug, Clone, clap::Args)]
pub struct ArchiveArgs {
    /// Archives inside archives, at most this deep.
    #[arg(long, value_name = "N", default_value_t = crate::archive::Limits::default().max_depth)]
    pub archive_depth: u32,
    /// Bytes expanded out of one archive, all levels together.
    #[arg(long, value_name = "BYTES", default_value_t = crate::archive::Limits::default().max_expanded)]
    pub archive_max_bytes: u64,
    /// A member may expand to at most this many times its packed size
    /// (checked past 16 MiB).
    #[arg(long, value_name = "N", default_value_t = crate::archive::Limits::default().max_ratio)]
    pub archive_max_ratio: u64,
    /// Members of one archive, all levels together.
    #[arg(long, value_name = "N", default_value_t = crate::archive::Limits::default().max_members)]
    pub archive_max_members: u64,
    /// Seconds spent on one archive.
    #[arg(long, value_name = "SECONDS", default_value_t = crate::archive::Limits::default().time_budget_secs)]
    pub archive_time: u64,
}

impl ArchiveArgs {
    /// The limits these arguments set.
    pub fn limits(&self) -> crate::archive::Limits {
        crate::archive::Limits {
            max_depth: self.archive_depth.max(1),
            max_expanded: self.archive_max_bytes,
            max_ratio: self.archive_max_ratio.max(1),
            max_members: self.archive_max_members,
            time_budget_secs: self.archive_time,
            ..crate::archive::Limits::default()
        }
    }
}

/// `--device`: detected or chosen.
#[derive(Debug, Clone, Copy)]
pub enum DeviceChoice {
    /// Detect.
    Auto,
    /// Chosen.
    Kind(DeviceKind),
}

fn parse_order(s: &str) -> Result<Order, String> {
    s.parse()
}

fn parse_device(s: &str) -> Result<DeviceChoice, String> {
    if s.eq_ignore_ascii_case("auto") {
        Ok(DeviceChoice::Auto)
    } else {
        s.parse().map(DeviceChoice::Kind)
    }
}

impl ReadArgs {
    /// The device kind chosen (`None`: detect).
    pub fn device_kind(&self) -> Option<DeviceKind> {
        match self.device {
            DeviceChoice::Auto => None,
            DeviceChoice::Kind(k) => Some(k),
        }
    }

    /// `--split-min` as the engine takes it (0: never split).
    pub fn split_threshold(&self) -> Option<u64> {
        self.split_min.map(|n| if n == 0 { u64::MAX } else { n })
    }

    /// Applies the choices to scan options.
    pub fn apply(&self, o: ScanOptions) -> ScanOptions {
        let mut o = o.order(self.order);
        if let Some(n) = self.split_min {
            o = o.split_min(if n == 0 { u64::MAX } else { n });
        }
        match self.device {
            DeviceChoice::Auto => o,
            DeviceChoice::Kind(k) => o.device(k),
        }
    }
}

/// Writes one line to stdout; if stdout is gone (`ferret … | head`), ends
/// the process quietly instead of panicking as `println!` would.
pub(crate) fn out_line(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = io::stdout().lock();
    if writeln!(out, "{args}").is_err() {
        std::process::exit(0);
    }
}

/// `println!` for command output, safe on a closed pipe.
macro_rules! outln {
    ($($t:tt)*) => { $crate::cli::common::out_line(format_args!($($t)*)) };
}
pub(crate) use outln;

/// Prints an error and returns the failure exit code.
pub(super) fn fail(msg: impl std::fmt::Display) -> u8 {
    eprintln!("ferret: {msg}");
    EXIT_FAILED
}

/// Follows a job to its end, drawing progress and printing warnings.
pub(super) fn drive(
    job: &ScanJob,
    bar: &ProgressBar,
    read_link_targets: bool,
) -> Result<ScanSummary, ScanError> {
    loop {
        match job.next_event(Duration::from_millis(150)) {
            Some(ScanEvent::Finished(r)) => return r,
            Some(ScanEvent::EvidenceMount(m)) if !m.read_only => bar.suspend(|| {
                eprintln!(
                    "ferret: warning: the evidence is mounted read-write; mount it read-only{}",
                    if m.atime_updates && !read_link_targets {
                        " (symbolic link targets are not read, to keep their access times)"
                    } else {
                        ""
                    }
                )
            }),
            Some(ScanEvent::StreamsHidden(w)) => {
                bar.suspend(|| eprintln!("ferret: WARNING: {w}"));
            }
            Some(_) | None => {}
        }
        let p = job.progress();
        match p.stage {
            Stage::Walking => bar.set_message(format!("walking: {} entries", p.entries_seen)),
            Stage::Ordering => bar.set_message(format!("ordering {} files", p.files_total)),
            _ => {
                bar.set_length(p.bytes_total);
                bar.set_position(p.bytes_hashed);
                bar.set_message(format!("{}/{} files", p.files_done, p.files_total));
            }
        }
    }
}

/// Loads the named sets from the library (`--library`, else the default).
pub(super) fn load_catalog(
    names: &[String],
    library: &Option<PathBuf>,
) -> Result<HashSetCatalog, String> {
    let dir = library.clone().unwrap_or_else(HashLibrary::default_dir);
    let catalog = crate::workflow::load_sets(names, &dir).map_err(|e| e.to_string())?;
    print_rebuilds(&catalog);
    Ok(catalog)
}

/// Says on stderr (even with `--quiet`) which sets the library had to
/// rebuild from their source while loading them, and why.
pub(super) fn print_rebuilds(catalog: &HashSetCatalog) {
    for set in catalog.sets() {
        super::hashset::note_rebuild(set);
    }
}

/// A cancel token that Ctrl-C trips (a clean stop: what was done is kept).
pub(super) fn install_ctrlc() -> crate::CancelToken {
    let cancel = crate::CancelToken::new();
    let on_signal = cancel.clone();
    if let Err(e) = ctrlc::set_handler(move || on_signal.cancel()) {
        eprintln!("ferret: warning: Ctrl-C will not cancel cleanly: {e}");
    }
    cancel
}

/// Says which digests are computed beyond those asked for, because a
/// selected set lists them (they are matched, not printed).
pub(super) fn print_digest_union(asked: AlgorithmSet, catalog: &HashSetCatalog) {
    for set in catalog.sets() {
        let need = crate::hashsets::catalog::set_algorithms(set);
        let added = need.minus(asked);
        if !added.is_empty() {
            eprintln!(
                "ferret: also computing {added} for hash set {} (it lists {need}); matched, not printed",
                set.provenance().name
            );
        }
    }
}

/// Says that PDQ hashes are computed although they were turned off,
/// because the named sets hold PDQ hashes.
pub(super) fn print_pdq_forced(sets: &[String]) {
    if !sets.is_empty() {
        eprintln!(
            "ferret: computing PDQ hashes of pictures although they were turned off: hash set {} \
             holds PDQ hashes, whose near-duplicates would otherwise be missed",
            sets.iter()
                .map(|s| crate::pathfmt::display_safe(s).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
}

pub(super) fn progress_bar(quiet: bool) -> ProgressBar {
    if quiet || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar
}

pub(super) fn print_summary(s: &ScanSummary, label: &str) {
    eprintln!(
        "ferret: {label}: {} entries, {} files hashed ({}), {} not hashed, {} unreadable, \
         {} changed during read, {} extension mismatches, {:.1} s, {:.0} MB/s",
        s.entries,
        s.files_hashed,
        HumanBytes(s.bytes_hashed),
        s.not_hashed,
        s.errors,
        s.changed_during_read,
        s.mismatches,
        s.elapsed.as_secs_f64(),
        s.mb_per_sec()
    );
    if s.archive_members > 0 || s.archives_not_whole > 0 {
        eprintln!(
            "ferret: archives: {} of the entries are members read out of archives; \
             {} archive(s) not looked through to the end (a limit, damage or encryption: flagged)",
            s.archive_members, s.archives_not_whole
        );
    }
    if let Some(d) = &s.device {
        eprintln!("ferret: evidence device: {} ({})", d.kind.name(), d.source);
    }
    if let Some(f) = &s.first_alert {
        let share = if s.bytes_hashed == 0 {
            0.0
        } else {
            f.bytes_read as f64 * 100.0 / s.bytes_hashed as f64
        };
        eprintln!(
            "ferret: first alert after {:.2} s, {} read ({share:.1}% of the bytes), {} files done",
            f.after.as_secs_f64(),
            HumanBytes(f.bytes_read),
            f.files_done
        );
    }
    if s.alert_bytes.len() > 1 {
        let share = |b: u64| {
            if s.bytes_hashed == 0 {
                0.0
            } else {
                b as f64 * 100.0 / s.bytes_hashed as f64
            }
        };
        let n = s.alert_bytes.len();
        let half = s.alert_bytes.get(n.div_ceil(2) - 1).copied().unwrap_or(0);
        let all = s.alert_bytes.last().copied().unwrap_or(0);
        eprintln!(
            "ferret: {n} alerts found: half after {:.1}% of the bytes, all after {:.1}%",
            share(half),
            share(all)
        );
    }
    let h = &s.ordering;
    if let Some(d) = &s.device
        && d.kind == crate::job::DeviceKind::Rotational
    {
        eprintln!(
            "ferret: order: reading the files in this order takes {:.1} s on a spinning disk (modeled: \
             4 ms a seek, 150 MB/s)",
            h.order_modeled.as_secs_f64()
        );
    }
    if h.planned > 0 {
        eprintln!(
            "ferret: order: first bytes of {} of {} planned files looked at in {:.2} s, {} lifted \
             into the picture and video bands (modeled on this device kind: {:.2} s, {:.1}% of \
             the modeled scan; {:.2} s before hashing)",
            h.read,
            h.planned,
            h.elapsed.as_secs_f64(),
            h.lifted,
            h.modeled.as_secs_f64(),
            h.modeled.as_secs_f64() * 100.0 / h.scan_modeled.as_secs_f64().max(1e-9),
            h.modeled_before.as_secs_f64()
        );
    }
}

pub(super) fn print_sets(s: &ScanSummary, catalog: &HashSetCatalog) {
    if catalog.is_empty() {
        return;
    }
    eprintln!(
        "ferret: {} flagged (alert), {} known-good filtered, {} informational only",
        s.alerts, s.known_good, s.info_only
    );
    for (set, t) in catalog.sets().iter().zip(&s.sets) {
        let p = set.provenance();
        eprintln!(
            "ferret: set {} ({}): {} files matched; {} of {} entries matched, {} unused",
            crate::pathfmt::display_safe(&p.name),
            p.kind,
            t.matched_files,
            t.matched_entries,
            p.entries,
            t.unused_entries
        );
    }
}
