//! Growing the hash library from a case: "Add categorised to hash
//! library" (GUI) and `ferret case to-library` (CLI).
//!
//! The case's categorised pictures become a VICS 2.0 case export (the
//! same file `ferret report --format vics --scope categorised` writes),
//! kept in the library's `cases/` folder and imported as a categorised
//! set: the US profile makes categories 1–3 alert, 0 ignore (known
//! non-pertinent), 4 and the rest informational, so the next scan anywhere
//! finds these files. A set grown before is updated: its source's other
//! cases are kept and this case's media replace what this case gave it
//! before (the newest categories of a case win; a case is known by its
//! `CaseID`, its own UUID). One addition runs at a time per library (a lock
//! file). The library is never inside the case's evidence, and only the US
//! profile is mapped to kinds. The set's provenance names every case it
//! holds (the export's `CaseNumber`s), and the case's audit log records the
//! addition.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::WorkflowError;
use crate::case::{CaseStore, Scope};
use crate::hashsets::library::{ImportOptions, ImportOutcome, sanitize_name};
use crate::hashsets::{Format, HashLibrary, SetKind};

/// Largest set source read back to be updated (a Ferret-written file).
const MAX_SOURCE_BYTES: u64 = 2 << 30;

/// What adding a case's categorised items to the library did.
#[derive(Debug)]
pub struct GrowOutcome {
    /// This case's media (one per MD5) now in the set.
    pub media: u64,
    /// The source file written and imported.
    pub source: PathBuf,
    /// The import (provenance, counts).
    pub import: ImportOutcome,
}

/// Adds the categorised items of `store`'s case to set `set` of the
/// library at `library` (created or updated), and logs it in the case.
pub fn add_categorised_to_library(
    store: &CaseStore,
    library: &Path,
    set: &str,
    actor: &str,
) -> Result<GrowOutcome, WorkflowError> {
    let fail = |reason: String| WorkflowError::Grow(reason);
    // The library is written: never inside the case's evidence.
    let evidence = store.evidence()?;
    let roots: Vec<&Path> = evidence.iter().map(|e| e.root.as_path()).collect();
    crate::evidence::guard::check_outside(library, &roots)?;
    // Categories become kinds by the US profile's rules; another profile's
    // numbers may mean other things.
    let profile = store.category_profile()?;
    if profile != "US" {
        return Err(fail(format!(
            "the case uses the {profile} category profile: only the US profile's categories              are made alert (1-3), known-good (0) and information (4); export VICS instead"
        )));
    }
    let lib = HashLibrary::open(library).map_err(|source| WorkflowError::Library {
        dir: library.to_path_buf(),
        source,
    })?;
    let name = sanitize_name(set);
    let folder = lib.dir().join("cases");
    std::fs::create_dir_all(&folder).map_err(|e| fail(format!("{}: {e}", folder.display())))?;
    // One addition at a time per library: two at once would each merge
    // into the set as it was and one would lose the other's case.
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(folder.join(".lock"))
        .map_err(|e| fail(format!("{}: {e}", folder.display())))?;
    lock.lock()
        .map_err(|e| fail(format!("{}: cannot lock: {e}", folder.display())))?;
    let (bytes, media) = crate::report::vics::vics_of_case(store, Scope::Categorised)
        .map_err(|e| fail(e.to_string()))?;
    if media == 0 {
        return Err(fail(
            "the case has no categorised item with an MD5: nothing to add".into(),
        ));
    }
    let doc: Value = serde_json::from_slice(&bytes).map_err(|e| fail(e.to_string()))?;
    let this = doc
        .get("value")
        .and_then(|v| v.get(0))
        .cloned()
        .ok_or_else(|| fail("the case export has no case".into()))?;
    // A case is known by its own identifier (two cases may share a number).
    let id = this.get("CaseID").cloned().unwrap_or(Value::Null);
    // The cases the set holds already, but this one.
    let mut cases: Vec<Value> = match existing_source(&lib, &name)? {
        Some(old) => old
            .get("value")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|c| c.get("CaseID") != Some(&id))
            .collect(),
        None => Vec::new(),
    };
    cases.push(this);
    let context = doc.get("@odata.context").cloned().unwrap_or(Value::Null);
    let merged = serde_json::json!({ "@odata.context": context, "value": cases });
    let text = serde_json::to_vec(&merged).map_err(|e| fail(e.to_string()))?;
    let stamp = crate::evidence::UtcTime::now().to_iso8601();
    let stamp: String = stamp
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(15)
        .collect();
    // A new file every time (two additions in one second get -2, -3 …):
    // the sources of earlier versions of the set are never overwritten.
    let mut source = folder.join(format!("{name}-{stamp}Z.vics.json"));
    let mut n = 1;
    loop {
        match write_new(&source, &text) {
            Ok(()) => break,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 1000 => {
                n += 1;
                source = folder.join(format!("{name}-{stamp}Z-{n}.vics.json"));
            }
            Err(e) => return Err(fail(format!("{}: {e}", source.display()))),
        }
    }
    let mut opts = ImportOptions::new(SetKind::Alert);
    opts.name = Some(name.clone());
    opts.format = Some(Format::Vics);
    opts.categories = Some(crate::hashsets::index::CategoryProfile::us());
    let import =
        lib.import(&source, &opts, &mut |_| {})
            .map_err(|source| WorkflowError::HashSet {
                name: name.clone(),
                source,
            })?;
    store
        .log_added_to_library(
            &name,
            media,
            &import.provenance.source_sha256,
            &lib.dir().display().to_string(),
            actor,
        )
        .map_err(|e| fail(e.to_string()))?;
    Ok(GrowOutcome {
        media,
        source,
        import,
    })
}

/// The source of set `name` when it was grown from cases before (a VICS
/// file in the library's `cases/` folder); an error when a set of that
/// name exists and is anything else.
fn existing_source(lib: &HashLibrary, name: &str) -> Result<Option<Value>, WorkflowError> {
    let fail = |reason: String| WorkflowError::Grow(reason);
    let Some(set) = lib
        .list()
        .into_iter()
        .flatten()
        .find(|s| s.provenance().name == name)
    else {
        return Ok(None);
    };
    let p = set.provenance();
    let cases = std::fs::canonicalize(lib.dir().join("cases")).ok();
    let parent = p
        .source_path
        .parent()
        .and_then(|d| std::fs::canonicalize(d).ok());
    let grown = p.format == Format::Vics && parent.is_some() && parent == cases;
    if !grown {
        return Err(fail(format!(
            "the library has a set named {name} that was not grown from cases; choose another name"
        )));
    }
    let len = std::fs::metadata(&p.source_path)
        .map_err(|e| fail(format!("{}: {e}", p.source_path.display())))?
        .len();
    if len > MAX_SOURCE_BYTES {
        return Err(fail(format!(
            "{}: larger than {} GiB",
            p.source_path.display(),
            MAX_SOURCE_BYTES >> 30
        )));
    }
    let bytes = std::fs::read(&p.source_path)
        .map_err(|e| fail(format!("{}: {e}", p.source_path.display())))?;
    let sha256 = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&bytes))
    };
    if sha256 != p.source_sha256 {
        return Err(fail(format!(
            "{}: changed since set {name} was built from it; re-import or remove the set first",
            p.source_path.display()
        )));
    }
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| fail(format!("{}: {e}", p.source_path.display())))
}

/// Writes `bytes` to a new file `path` (never over an existing one),
/// synced before it is used.
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}
