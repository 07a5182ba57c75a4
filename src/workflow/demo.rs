//! The bundled demo: harmless generated evidence and two demo hash sets
//! (`assets/demo/`), turned into an ordinary new-case request so the demo
//! runs exactly the path a real case does.

use std::path::{Path, PathBuf};

use super::{EvidenceSpec, NewCase, ScanRequest, WorkflowError};
use crate::case::CaseInfo;
use crate::hashsets::SetKind;
use crate::hashsets::library::{HashLibrary, ImportOptions};
use crate::job::ScanSettings;

/// The demo folder of this source tree.
pub fn demo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/demo")
}

/// Imports the demo sets into `workspace/demo-library` and returns the
/// request for a fresh demo case under `workspace`, with that library.
pub fn demo_request(workspace: &Path) -> Result<(ScanRequest, PathBuf), WorkflowError> {
    let demo = demo_dir();
    let root = demo.join("evidence");
    if !root.is_dir() {
        return Err(WorkflowError::DemoMissing(root));
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| WorkflowError::Io { path, source }
    };
    std::fs::create_dir_all(workspace).map_err(io(workspace))?;
    let library = workspace.join("demo-library");
    let lib = HashLibrary::open(&library).map_err(|source| WorkflowError::Library {
        dir: library.clone(),
        source,
    })?;
    let mut names = Vec::new();
    for (file, kind) in [
        ("demo-alert.txt", SetKind::Alert),
        ("demo-ignore.txt", SetKind::Ignore),
    ] {
        let out = lib
            .import(&demo.join(file), &ImportOptions::new(kind), &mut |_| {})
            .map_err(|source| WorkflowError::HashSet {
                name: file.into(),
                source,
            })?;
        names.push(out.provenance.name);
    }
    let stamp = crate::evidence::UtcTime::now();
    let request = ScanRequest::NewCase {
        case: NewCase {
            path: workspace.join(format!("demo-{}-{:09}.ferret", stamp.secs, stamp.nanos)),
            info: CaseInfo {
                case_number: "DEMO-0001".into(),
                title: "Demo case (generated files)".into(),
                examiner: "Demo Examiner".into(),
                agency: "Ferret".into(),
                ..Default::default()
            },
        },
        evidence: EvidenceSpec {
            root,
            exhibit: "DEMO-1".into(),
            description: "bundled demo evidence".into(),
        },
        settings: ScanSettings {
            hash_sets: names,
            ..Default::default()
        },
    };
    Ok((request, library))
}
