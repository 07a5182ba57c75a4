//! The bundled demo: harmless generated evidence and two demo hash sets
//! (`assets/demo/`), scanned into a fresh case so a newcomer sees the whole
//! workflow at once.

use std::path::{Path, PathBuf};

use crate::case::{CaseInfo, CaseStore, StoredOptions};
use crate::evidence::EvidenceRoot;
use crate::hashsets::library::{HashLibrary, ImportOptions};
use crate::hashsets::{HashSetCatalog, SetKind};

/// The demo folder of this source tree.
pub fn demo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/demo")
}

/// A new demo case, ready to scan: (store, evidence id, root, options, catalog).
pub fn prepare(
    workspace: &Path,
) -> Result<(CaseStore, i64, PathBuf, StoredOptions, HashSetCatalog), String> {
    let demo = demo_dir();
    let root = demo.join("evidence");
    if !root.is_dir() {
        return Err(format!("demo evidence not found at {}", root.display()));
    }
    std::fs::create_dir_all(workspace).map_err(|e| format!("{}: {e}", workspace.display()))?;
    let lib = HashLibrary::open(workspace.join("demo-library")).map_err(|e| e.to_string())?;
    let mut sets = Vec::new();
    for (file, kind) in [
        ("demo-alert.txt", SetKind::Alert),
        ("demo-ignore.txt", SetKind::Ignore),
    ] {
        let out = lib
            .import(&demo.join(file), &ImportOptions::new(kind), &mut |_| {})
            .map_err(|e| e.to_string())?;
        sets.push(lib.load(&out.provenance.name).map_err(|e| e.to_string())?);
    }
    let stamp = crate::evidence::UtcTime::now();
    let case_path = workspace.join(format!("demo-{}-{:09}.ferret", stamp.secs, stamp.nanos));
    let info = CaseInfo {
        case_number: "DEMO-0001".into(),
        title: "Demo case (generated files)".into(),
        examiner: "Demo Examiner".into(),
        agency: "Ferret".into(),
        ..Default::default()
    };
    let store = CaseStore::create(&case_path, &info, &info.examiner).map_err(|e| e.to_string())?;
    let mount = EvidenceRoot::open(&root).and_then(|r| r.mount_state()).ok();
    let evidence = store
        .add_evidence(
            "DEMO-1",
            "bundled demo evidence",
            &root,
            mount,
            &info.examiner,
        )
        .map_err(|e| e.to_string())?;
    let stored = StoredOptions {
        algorithms: "md5,sha1,sha256,blake3".into(),
        hash_sets: vec!["demo-alert".into(), "demo-ignore".into()],
        cross_filesystems: false,
        ..Default::default()
    };
    Ok((store, evidence, root, stored, HashSetCatalog::new(sets)))
}
