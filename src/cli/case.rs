//! `ferret case …`: inspect a case file read-only (info, hits, similar,
//! verify), and categorise its items.

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
    /// Set the category (Project VIC, 0–4) of items and of every copy of
    /// them (every digest equal, never an MD5 alone), audit-logged; --clear removes the
    /// examiner's category (a hash set's pre-category stays).
    Categorise {
        /// Case file.
        case: PathBuf,
        /// The items: ids, or paths as reports and `case hits` print them.
        #[arg(required = true)]
        items: Vec<String>,
        /// The category, 0–4 (US profile: 0 non-pertinent, 1 child abuse
        /// material, 2 child exploitive, 3 CGI/animation, 4 comparison).
        #[arg(long, short = 'c', value_parser = clap::value_parser!(i64).range(0..=4), required_unless_present = "clear", conflicts_with = "clear")]
        category: Option<i64>,
        /// Remove the examiner's category instead.
        #[arg(long)]
        clear: bool,
        /// Who does it, for the audit log [default: the case's examiner].
        #[arg(long)]
        examiner: Option<String>,
    },
    /// The case's category profile, its labels and how many items each
    /// category holds; --profile switches profile, --label N=TEXT sets a
    /// label of the case's profile (an empty TEXT removes it).
    Categories {
        /// Case file.
        case: PathBuf,
        /// Switch the case to this profile (US, UK, …).
        #[arg(long)]
        profile: Option<String>,
        /// Set a label: N=TEXT (repeatable).
        #[arg(long = "label", value_name = "N=TEXT")]
        labels: Vec<String>,
    },
    /// Add the case's categorised items to a hash-library set (created, or
    /// updated: this case's media replace what it gave the set before),
    /// as VICS: categories 1-3 alert, 0 ignore, 4 info. The set's
    /// provenance names the cases it holds; the case's audit log records it.
    ToLibrary {
        /// Case file.
        case: PathBuf,
        /// The set to create or update.
        #[arg(long)]
        set: String,
        /// Hash library folder [default: $FERRET_LIBRARY, else the platform data folder].
        #[arg(long)]
        library: Option<PathBuf>,
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
        CaseCommand::Categorise {
            case,
            items,
            category,
            clear: _,
            examiner,
        } => categorise(&case, &items, category, examiner),
        CaseCommand::ToLibrary { case, set, library } => to_library(&case, &set, library),
        CaseCommand::Categories {
            case,
            profile,
            labels,
        } => categories(&case, profile.as_deref(), &labels),
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
/// The one item `item` names (an id or a path), or why not.
fn one_item(store: &CaseStore, item: &str) -> Result<i64, String> {
    match store.find_item(item).as_deref() {
        Ok([id]) => Ok(*id),
        Ok([]) => Err(format!("no item {} in the case", t(item))),
        Ok(many) => Err(format!(
            "{} names {} items (a file id, or a path in several exhibits): give its id ({})",
            t(item),
            many.len(),
            many.iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Err(e) => Err(e.to_string()),
    }
}

fn categorise(
    case: &std::path::Path,
    items: &[String],
    category: Option<i64>,
    examiner: Option<String>,
) -> u8 {
    let store = match CaseStore::open(case) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let ids = match items
        .iter()
        .map(|i| one_item(&store, i))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(ids) => ids,
        Err(e) => return fail(e),
    };
    let examiner = examiner.unwrap_or_else(|| crate::workflow::actor_of(&store));
    let changed = match store.set_category(&ids, category, &examiner) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let what = match category {
        Some(c) => match store.category_text(c) {
            Ok(text) => format!("category {text}"),
            Err(e) => return fail(e),
        },
        None => "no examiner category".into(),
    };
    let copies = changed.len().saturating_sub(ids.len());
    outln!(
        "{} item(s) set to {what}{}",
        changed.len(),
        if copies > 0 {
            format!(" ({copies} of them copies: every digest equal)")
        } else {
            String::new()
        }
    );
    EXIT_OK
}

fn to_library(case: &std::path::Path, set: &str, library: Option<PathBuf>) -> u8 {
    let store = match CaseStore::open(case) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let library = library.unwrap_or_else(crate::hashsets::HashLibrary::default_dir);
    let actor = crate::workflow::actor_of(&store);
    match crate::workflow::add_categorised_to_library(&store, &library, set, &actor) {
        Ok(o) => {
            let p = &o.import.provenance;
            outln!(
                "{}: {} media of this case; the set now holds {} entries from {}",
                t(&p.name),
                o.media,
                p.entries,
                t(p.embedded_name.as_deref().unwrap_or("this case"))
            );
            outln!("source {}", crate::pathfmt::escape_path(&o.source));
            EXIT_OK
        }
        Err(e) => fail(e),
    }
}

fn categories(case: &std::path::Path, profile: Option<&str>, labels: &[String]) -> u8 {
    let changes = profile.is_some() || !labels.is_empty();
    let opened = if changes {
        CaseStore::open(case)
    } else {
        CaseStore::open_read_only(case)
    };
    let store = match opened {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let examiner = crate::workflow::actor_of(&store);
    if let Some(p) = profile
        && let Err(e) = store.set_category_profile(p, &examiner)
    {
        return fail(e);
    }
    for l in labels {
        let Some((n, text)) = l.split_once('=') else {
            return fail(format!("--label {}: give N=TEXT", t(l)));
        };
        let Some(n) = crate::case::parse_category(n) else {
            return fail(format!("--label {}: N is a category, 0 to 4", t(l)));
        };
        let set = store
            .category_profile()
            .and_then(|p| store.set_category_label(&p, n, text, &examiner));
        if let Err(e) = set {
            return fail(e);
        }
    }
    let (profile, labels, counts) = match (
        store.category_profile(),
        store.category_labels(),
        store.category_counts(),
    ) {
        (Ok(p), Ok(l), Ok(c)) => (p, l, c),
        (Err(e), ..) | (_, Err(e), _) | (.., Err(e)) => return fail(e),
    };
    outln!("profile	{}", t(&profile));
    outln!("category	items	label");
    for ((n, label), items) in labels.iter().zip(counts.per_category) {
        outln!("{n}	{items}	{}", label.as_deref().unwrap_or("(no label)"));
    }
    outln!(
        "{} of {} pictures and videos categorised",
        counts.categorised,
        counts.media
    );
    EXIT_OK
}

fn similar(case: &std::path::Path, item: &str) -> u8 {
    let store = match CaseStore::open_read_only(case) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let id = match one_item(&store, item) {
        Ok(id) => id,
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
