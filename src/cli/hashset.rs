//! `ferret hashset …`: import, list, inspect, verify, remove and export
//! sets of the examiner's hash library.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::common::outln;
use super::{EXIT_FAILED, EXIT_OK};
use crate::hashing::Algorithm;
use crate::hashsets::index::CategoryProfile;
use crate::hashsets::library::{HashLibrary, ImportOptions};
use crate::hashsets::{CompiledSet, Format, Hex64, SetKind};
use crate::pathfmt::{display_safe as t, escape_path};
use crate::workflow::{ImportRequest, import_set};

/// `ferret hashset` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum HashsetCommand {
    /// Import hash-set files (format sniffed from content) into the library.
    Import(ImportArgs),
    /// List the library's sets.
    List,
    /// Show one set's provenance and counts.
    Info {
        /// Set name.
        name: String,
    },
    /// Check sets whole (file checksum, every record and entry); a damaged
    /// one is rebuilt from its source when that is unchanged. Exit 0 when
    /// every set is sound (rebuilt or not), 3 otherwise.
    #[command(group(clap::ArgGroup::new("which").required(true).args(["name", "all"])))]
    Verify {
        /// Set name.
        name: Option<String>,
        /// Every set in the library.
        #[arg(long)]
        all: bool,
    },
    /// Remove a set from the library.
    Remove {
        /// Set name.
        name: String,
    },
    /// Write a set (or a subset) out as hashdeep, *sum lines or plain hex.
    Export(ExportArgs),
}

/// Arguments of `ferret hashset import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Source files: VICS JSON, hashdeep, NSRL (txt, zip, RDS v3 SQLite),
    /// HashKeeper, EnCase .hash, CSV/TSV, md5sum/sha*sum/b3sum, plain hex.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// What a match means: alert (known-bad), ignore (known-good), info.
    #[arg(long, short = 'k')]
    pub kind: SetKind,
    /// Set name [default: the file name without extension]; one path only.
    #[arg(long, short = 'n')]
    pub name: Option<String>,
    /// Category profile for VICS sets: `us` (1-3 alert, 0 ignore, 4 and
    /// uncategorised info) or a JSON file with the same shape.
    #[arg(long)]
    pub profile: Option<String>,
    /// Force a format instead of sniffing it.
    #[arg(long, value_parser = parse_format)]
    pub format: Option<Format>,
    /// What a bare 64-hex digest is: sha256, blake3, or either [default].
    #[arg(long, value_parser = parse_hex64, default_value = "either")]
    pub hex64: Hex64,
    /// `pdq`: the source lists PDQ perceptual hashes (plain 64-hex lines,
    /// pdq-photo-hasher `hash,quality[,name]` CSV or `--details` lines).
    /// A 64-hex value is never taken for PDQ unless this says so (or a CSV
    /// column is named `pdq`).
    #[arg(long, short = 'a', value_parser = ["pdq"])]
    pub algorithm: Option<String>,
    /// PDQ: largest Hamming distance (of 256 bits) that matches, 0-64.
    #[arg(long, default_value_t = crate::perceptual::DEFAULT_THRESHOLD)]
    pub pdq_threshold: u32,
    /// PDQ: lowest quality (of the picture and of the entry) that is matched.
    #[arg(long, default_value_t = crate::perceptual::MIN_QUALITY)]
    pub pdq_min_quality: u8,
}

/// Arguments of `ferret hashset export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Set name.
    pub name: String,
    /// Output format: hashdeep, sums, plain; or pdq for the set's PDQ
    /// hashes, as pdq-photo-hasher's `hash,quality,name` CSV (what
    /// `import --algorithm pdq` reads).
    #[arg(long, short = 'f', default_value = "hashdeep")]
    pub format: String,
    /// Digest to write [default: the first the set has of md5, sha1, sha256, blake3].
    #[arg(long, short = 'a')]
    pub algorithm: Option<Algorithm>,
    /// Keep entries whose field matches: `KEY=VALUE` (exact) or `KEY~TEXT`
    /// (contains, any case). Keys: name, category, media_id, and extra fields
    /// such as os, product, package, Series. Repeat to require several.
    #[arg(long = "where", value_name = "FILTER")]
    pub filters: Vec<String>,
    /// Output file [default: stdout].
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
}

fn parse_format(s: &str) -> Result<Format, String> {
    let all = [
        Format::Plain,
        Format::Sums,
        Format::Hashdeep,
        Format::NsrlLegacy,
        Format::NsrlZip,
        Format::NsrlV3,
        Format::Vics,
        Format::HashKeeper,
        Format::Encase,
        Format::Csv,
        Format::Pdq,
    ];
    all.into_iter()
        .find(|f| f.name() == s)
        .ok_or_else(|| format!("unknown format '{s}'"))
}

fn parse_hex64(s: &str) -> Result<Hex64, String> {
    match s {
        "sha256" => Ok(Hex64::Sha256),
        "blake3" => Ok(Hex64::Blake3),
        "either" => Ok(Hex64::Either),
        _ => Err("sha256, blake3 or either".into()),
    }
}

fn fail(msg: impl std::fmt::Display) -> u8 {
    eprintln!("ferret: {msg}");
    EXIT_FAILED
}

fn profile(arg: &Option<String>) -> Result<Option<CategoryProfile>, String> {
    match arg.as_deref() {
        None => Ok(None),
        Some("us" | "US") => Ok(Some(CategoryProfile::us())),
        Some(path) => {
            let text = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
            serde_json::from_slice(&text)
                .map(Some)
                .map_err(|e| format!("{path}: {e}"))
        }
    }
}

/// Says on stderr that the library rebuilt `set` from its source.
pub(super) fn note_rebuild(set: &CompiledSet) {
    if let Some(r) = set.rebuilt() {
        eprintln!("ferret: {r}");
    }
}

fn hex64_name(h: Hex64) -> &'static str {
    match h {
        Hex64::Sha256 => "sha256",
        Hex64::Blake3 => "blake3",
        Hex64::Either => "either (indexed as both SHA-256 and BLAKE3)",
        Hex64::Pdq => "pdq (PDQ perceptual hashes)",
    }
}

fn counts(set: &CompiledSet) -> String {
    set.provenance()
        .counts
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs a `hashset` subcommand.
pub(super) fn run(library: Option<PathBuf>, cmd: HashsetCommand) -> u8 {
    let lib = match HashLibrary::open(library.unwrap_or_else(HashLibrary::default_dir)) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    match cmd {
        HashsetCommand::Import(args) => import(&lib, args),
        HashsetCommand::List => {
            for set in lib.list() {
                match set {
                    Ok(s) => {
                        note_rebuild(&s);
                        let p = s.provenance();
                        outln!(
                            "{:<24} {:<6} {:<11} {:>10} entries ({}), imported {}",
                            t(&p.name),
                            p.kind,
                            p.format,
                            p.entries,
                            counts(&s),
                            t(&p.imported_at)
                        );
                    }
                    Err(e) => outln!("unusable: {e}"),
                }
            }
            EXIT_OK
        }
        HashsetCommand::Info { name } => match lib.load(&name) {
            Ok(s) => {
                note_rebuild(&s);
                let p = s.provenance();
                // Strings from a set's header are shown escaped when they
                // hold control or bidi characters (a crafted set or source).
                outln!("name:          {}", t(&p.name));
                outln!("kind:          {}", p.kind);
                outln!("format:        {}", p.format);
                outln!("entries:       {} ({})", p.entries, counts(&s));
                outln!("rejected:      {}", p.rejected);
                outln!("source:        {}", escape_path(&p.source_path));
                outln!("source sha256: {}", t(&p.source_sha256));
                outln!("source bytes:  {}", p.source_len);
                outln!(
                    "imported:      {} by ferret {}",
                    t(&p.imported_at),
                    t(&p.tool_version)
                );
                if let Some(h) = p.hex64.filter(|_| p.format != Format::Pdq) {
                    outln!("hex64:         {}", hex64_name(h));
                }
                if let Some(m) = p.pdq {
                    outln!(
                        "pdq:           {} hashes; match within {} bits, quality at least {}",
                        s.pdq_count(),
                        m.threshold,
                        m.min_quality
                    );
                }
                if let Some(n) = &p.embedded_name {
                    outln!("embedded name: {}", t(n));
                }
                if let Some(prof) = &p.source_profile {
                    outln!("VICS profile:  {}", t(prof));
                }
                if let Some(c) = &p.categories {
                    let map: Vec<String> =
                        c.kinds.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    outln!(
                        "categories:    {} ({}; otherwise {})",
                        t(&c.name),
                        map.join(", "),
                        c.otherwise
                    );
                }
                outln!("index:         {}", escape_path(s.path()));
                EXIT_OK
            }
            Err(e) => fail(e),
        },
        HashsetCommand::Verify { name, all } => verify(&lib, name, all),
        HashsetCommand::Remove { name } => match lib.remove(&name) {
            Ok(()) => {
                eprintln!("ferret: removed {name}");
                EXIT_OK
            }
            Err(e) => fail(e),
        },
        HashsetCommand::Export(args) => export(&lib, args),
    }
}

fn import(lib: &HashLibrary, args: ImportArgs) -> u8 {
    if args.name.is_some() && args.paths.len() > 1 {
        return fail("--name takes one path");
    }
    let categories = match profile(&args.profile) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let format = match (args.algorithm.as_deref(), args.format) {
        (Some(_), None | Some(Format::Pdq)) => Some(Format::Pdq),
        // A CSV's PDQ column is named; other formats hold no PDQ hashes.
        (Some(_), Some(Format::Csv)) => Some(Format::Csv),
        (Some(_), Some(f)) => {
            return fail(format!(
                "--algorithm pdq reads PDQ lists or CSV; format {f} holds no PDQ hashes"
            ));
        }
        (None, f) => f,
    };
    // Named PDQ: an untyped 64-hex column of a CSV is read as PDQ too.
    let hex64 = if args.algorithm.is_some() {
        Hex64::Pdq
    } else {
        args.hex64
    };
    let pdq = crate::hashsets::PdqMatch {
        threshold: args.pdq_threshold,
        min_quality: args.pdq_min_quality,
    };
    let mut code = EXIT_OK;
    for path in &args.paths {
        let opts = ImportOptions {
            name: args.name.clone(),
            kind: args.kind,
            format,
            hex64,
            categories: categories.clone(),
            pdq,
        };
        let bar = if io::IsTerminal::is_terminal(&io::stderr()) {
            let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            b.set_style(
                ProgressStyle::with_template("{spinner} {msg} {pos} entries ({per_sec})")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            b.set_message(path.display().to_string());
            b
        } else {
            ProgressBar::hidden()
        };
        let started = Instant::now();
        let request = ImportRequest {
            library: lib.dir().to_path_buf(),
            source: path.clone(),
            options: opts,
        };
        let result = import_set(&request, &mut |n| bar.set_position(n));
        bar.finish_and_clear();
        match result {
            Ok(out) if out.unchanged => {
                eprintln!(
                    "ferret: {}: unchanged since import; nothing to do",
                    out.provenance.name
                );
            }
            Ok(out) => {
                let p = &out.provenance;
                let secs = started.elapsed().as_secs_f64();
                for line in out.report.reject_lines() {
                    eprintln!("ferret: {line}");
                }
                for w in &out.report.warnings {
                    eprintln!("ferret: warning: {w}");
                }
                let listed = out.report.first_rejects.len() as u64;
                if out.report.rejected > listed {
                    eprintln!(
                        "ferret: … and {} more rejected lines",
                        out.report.rejected - listed
                    );
                }
                let c: Vec<String> = p.counts.iter().map(|(k, v)| format!("{k} {v}")).collect();
                eprintln!(
                    "ferret: imported {} ({}, {}): {} entries ({}), {} rejected, {:.2} s, {:.0} entries/s",
                    p.name,
                    p.kind,
                    p.format,
                    p.entries,
                    c.join(", "),
                    p.rejected,
                    secs,
                    p.entries as f64 / secs.max(1e-9)
                );
            }
            Err(e) => code = fail(e),
        }
    }
    code
}

fn verify(lib: &HashLibrary, name: Option<String>, all: bool) -> u8 {
    let names = if all {
        let names = lib.names();
        if names.is_empty() {
            eprintln!("ferret: the library holds no set");
        }
        names
    } else {
        name.into_iter().collect()
    };
    let mut code = EXIT_OK;
    for n in &names {
        match lib.load_verified(n) {
            Ok(set) => {
                note_rebuild(&set);
                outln!("{n}: OK, {} entries ({})", set.entry_count(), counts(&set));
            }
            Err(e) => {
                eprintln!("ferret: {n}: {e}");
                code = EXIT_FAILED;
            }
        }
    }
    code
}

fn matches_filter(info: &crate::hashsets::index::EntryInfo, filter: &str) -> bool {
    let (key, value, contains) = match filter.split_once('~') {
        Some((k, v)) if !filter.contains('=') || filter.find('~') < filter.find('=') => {
            (k, v, true)
        }
        _ => match filter.split_once('=') {
            Some((k, v)) => (k, v, false),
            None => return false,
        },
    };
    let field: Option<String> = match key {
        "name" => info.name.clone(),
        "category" => info.category.map(|c| c.to_string()),
        "media_id" => info.media_id.map(|c| c.to_string()),
        k => info
            .extra
            .iter()
            .find(|(ek, _)| ek.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone()),
    };
    match field {
        Some(f) if contains => f.to_lowercase().contains(&value.to_lowercase()),
        Some(f) => f == value,
        None => false,
    }
}

fn export(lib: &HashLibrary, args: ExportArgs) -> u8 {
    if !matches!(args.format.as_str(), "hashdeep" | "sums" | "plain" | "pdq") {
        return fail(format!(
            "unknown export format '{}' (hashdeep, sums, plain, pdq)",
            args.format
        ));
    }
    // Every digest is read, so the set is checked whole first (one more
    // read of it): an export never copies a damaged set's contents.
    let set = match lib.load_verified(&args.name) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    note_rebuild(&set);
    if args.format == "pdq" {
        return export_pdq(&set, &args);
    }
    let algo = match args.algorithm.or_else(|| {
        Algorithm::ALL
            .into_iter()
            .find(|a| set.provenance().counts.contains_key(a.name()))
    }) {
        Some(a) if set.provenance().counts.contains_key(a.name()) => a,
        Some(a) => return fail(format!("{} has no {a} digests", args.name)),
        None if set.pdq_count() > 0 => {
            return fail(format!(
                "{} holds PDQ hashes only: use --format pdq",
                args.name
            ));
        }
        None => return fail("empty set"),
    };
    if args.format == "hashdeep" && algo == Algorithm::Blake3 {
        return fail("hashdeep files cannot hold BLAKE3; use --format sums or plain");
    }
    let out = match export_output(&args.output) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let mut w = BufWriter::new(out);
    let result = (|| -> io::Result<u64> {
        if args.format == "hashdeep" {
            writeln!(w, "%%%% HASHDEEP-1.0\n%%%% size,{},filename", algo.name())?;
            writeln!(
                w,
                "## exported by ferret {} from set {}",
                crate::VERSION,
                args.name
            )?;
            writeln!(w, "## ")?;
        }
        let mut n = 0;
        for (digest, id) in set.digests(algo) {
            let Some(info) = set.entry(id) else {
                return Err(io::Error::other(format!("{}: no entry {id}", args.name)));
            };
            if !args.filters.iter().all(|f| matches_filter(&info, f)) {
                continue;
            }
            let hex = hex::encode(&digest);
            let name = info
                .name
                .clone()
                .unwrap_or_default()
                .replace(['\n', '\r'], " ");
            match args.format.as_str() {
                "hashdeep" => writeln!(
                    w,
                    "{},{hex},{}",
                    info.size.map(|s| s.to_string()).unwrap_or_default(),
                    name
                )?,
                "sums" => writeln!(w, "{hex}  {name}")?,
                _ => writeln!(w, "{hex}")?,
            }
            n += 1;
        }
        w.flush()?;
        Ok(n)
    })();
    match result {
        Ok(n) => {
            eprintln!("ferret: exported {n} {algo} digests from {}", args.name);
            EXIT_OK
        }
        Err(e) => fail(e),
    }
}

/// `hashset export --format pdq`: the set's PDQ hashes as
/// `hash,quality,name` lines (quality empty where the source stated none).
fn export_pdq(set: &CompiledSet, args: &ExportArgs) -> u8 {
    if set.pdq_count() == 0 {
        return fail(format!("{} holds no PDQ hashes", args.name));
    }
    let out = match export_output(&args.output) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let mut w = BufWriter::new(out);
    let result = (|| -> io::Result<u64> {
        let mut n = 0;
        for (hash, id, quality) in set.pdq_entries() {
            let Some(info) = set.entry(id) else {
                return Err(io::Error::other(format!("{}: no entry {id}", args.name)));
            };
            if !args.filters.iter().all(|f| matches_filter(&info, f)) {
                continue;
            }
            let name = info.name.unwrap_or_default().replace(['\n', '\r'], " ");
            let quality = quality.map(|q| q.to_string()).unwrap_or_default();
            writeln!(w, "{},{quality},{name}", hex::encode(hash))?;
            n += 1;
        }
        w.flush()?;
        Ok(n)
    })();
    match result {
        Ok(n) => {
            eprintln!("ferret: exported {n} PDQ hashes from {}", args.name);
            EXIT_OK
        }
        Err(e) => fail(e),
    }
}

/// Where an export goes: a new file (never over an existing one), or
/// standard output; the exit code when the file cannot be made.
fn export_output(output: &Option<PathBuf>) -> Result<Box<dyn Write>, u8> {
    match output {
        Some(p) => match std::fs::File::create_new(p) {
            Ok(f) => Ok(Box::new(f)),
            Err(e) => Err(fail(format!("{}: {e}", p.display()))),
        },
        None => Ok(Box::new(io::stdout())),
    }
}
