//! Findings 8, 9 and 10: a control byte in the evidence folder's name keeps
//! the DFXML well-formed; `ferret verify` never follows a link or opens a
//! FIFO; a report or an inventory that fails leaves nothing behind.

use std::time::Duration;

use crate::util;

/// A case of `n` small files in an evidence folder named `name`.
fn case_of(dir: &std::path::Path, name: &[u8], n: usize) -> std::path::PathBuf {
    let ev = dir.join(util::bpath(name));
    std::fs::create_dir(&ev).unwrap();
    for i in 0..n {
        std::fs::write(ev.join(format!("f{i:04}.txt")), format!("file {i}")).unwrap();
    }
    let case = dir.join("c.ferret");
    util::new_case_scan(&case, &ev, "R-1", &[]);
    case
}

#[cfg(unix)]
#[test]
fn a_control_byte_in_the_evidence_name_keeps_dfxml_well_formed() {
    let dir = tempfile::tempdir().unwrap();
    let case = case_of(dir.path(), b"ev\x0bname\x1b", 3);
    let r = dir.path().join("r");
    util::run_ok(
        util::ferret()
            .arg("report")
            .arg(&case)
            .arg("-o")
            .arg(&r)
            .args(["--format", "dfxml", "--scope", "all"]),
    );
    let xml = std::fs::read_to_string(r.join("report.dfxml")).unwrap();
    assert!(!xml.contains('\x0b') && !xml.contains('\x1b'));
    assert!(xml.contains("ev\\x0bname\\x1b"), "{xml}");
    if util::have_tool("xmllint") {
        util::run_ok(
            std::process::Command::new("xmllint")
                .arg("--noout")
                .arg(r.join("report.dfxml")),
        );
    }
}

/// `ferret verify DIR`, failing the test past 20 s (a FIFO would hang it).
fn verify_bounded(dir: &std::path::Path) -> std::process::Output {
    util::output_within(
        util::ferret().arg("verify").arg(dir),
        Duration::from_secs(20),
    )
}

/// Replaces a file with a named pipe of the same name.
#[cfg(unix)]
fn replace_with_fifo(path: &std::path::Path) {
    std::fs::remove_file(path).unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        path,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o644),
        0,
    )
    .unwrap();
}

#[cfg(unix)]
#[test]
fn verify_never_follows_a_link_nor_opens_a_fifo() {
    let dir = tempfile::tempdir().unwrap();
    let case = case_of(dir.path(), b"ev", 3);
    let r = dir.path().join("r");
    util::run_ok(
        util::ferret()
            .arg("report")
            .arg(&case)
            .arg("-o")
            .arg(&r)
            .args(["--format", "csv,json"]),
    );
    util::run_ok(util::ferret().arg("verify").arg(&r));
    // items.csv becomes a FIFO: refused at once, not waited on.
    replace_with_fifo(&r.join("items.csv"));
    let out = verify_bounded(&r);
    assert_eq!(out.status.code(), Some(3));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("items.csv: not a regular file"), "{text}");
    // report.json becomes a link to an endless device: not followed.
    std::fs::remove_file(r.join("report.json")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", r.join("report.json")).unwrap();
    let out = verify_bounded(&r);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("report.json: a symbolic link (not followed)"),
        "{text}"
    );
    // A manifest that is itself a FIFO: a clear error, no wait.
    replace_with_fifo(&r.join("manifest.sha256"));
    let out = verify_bounded(&r);
    assert_eq!(out.status.code(), Some(3));
}

/// Runs `ferret ARGS` with files limited to `kib` KiB and SIGXFSZ ignored:
/// a write past the limit fails as on a full disk.
#[cfg(unix)]
fn ferret_with_small_disk(kib: u64, args: &[&std::ffi::OsStr]) -> std::process::Output {
    std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(r#"trap '' XFSZ; ulimit -f {kib}; exec "$@""#))
        .arg("bash")
        .arg(env!("CARGO_BIN_EXE_ferret"))
        .args(args)
        .output()
        .unwrap()
}

#[cfg(unix)]
#[test]
fn a_report_or_inventory_that_fails_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let case = case_of(dir.path(), b"ev", 2000);
    let out_parent = dir.path().join("out");
    std::fs::create_dir(&out_parent).unwrap();
    let r = out_parent.join("r");
    // Room for the case to be read and its audit appended to, not for the
    // CASE/UCO export of 2,000 files (several KiB each).
    let case_kib = std::fs::metadata(&case).unwrap().len() / 1024;
    let out = ferret_with_small_disk(
        case_kib + 512,
        &[
            "report".as_ref(),
            case.as_os_str(),
            "-o".as_ref(),
            r.as_os_str(),
            "--scope".as_ref(),
            "all".as_ref(),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("File too large") || err.contains("too large"),
        "{err}"
    );
    let left: Vec<_> = std::fs::read_dir(&out_parent).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    // An inventory that cannot be written whole is removed, and says so.
    let inv = out_parent.join("inv.jsonl");
    let ev = dir.path().join("ev");
    let out = ferret_with_small_disk(
        16,
        &[
            "inventory".as_ref(),
            "-q".as_ref(),
            "-f".as_ref(),
            "jsonl".as_ref(),
            "-o".as_ref(),
            inv.as_os_str(),
            ev.as_os_str(),
        ],
    );
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("removed the incomplete"), "{err}");
    assert!(!inv.exists());
}
