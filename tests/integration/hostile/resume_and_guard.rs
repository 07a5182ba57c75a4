//! What an adversarial review of the workflow layer found (issue 12's
//! guarantees under attack): a resume that skipped files an earlier scan
//! recorded, a resume of another drive mounted at the exhibit's folder, a
//! resume that wrote a case inside the evidence before refusing it, two
//! resumes of one scan, edited resume settings, a bind mount, links and
//! hard links that the output guard read or removed, a link loop, `--force`
//! on devices and FIFOs, an index edited to hide alerts, and `case info`
//! answering short when a row cannot be read.

use std::path::{Path, PathBuf};

use ferret::case::{CaseStore, ScanStatus};

use crate::util;

/// Five listed files and an MD5 alert set `md5set` listing them.
fn listed(dir: &Path) -> (PathBuf, PathBuf) {
    let ev = dir.join("ev");
    std::fs::create_dir_all(ev.join("sub")).unwrap();
    let mut md5s = String::new();
    for i in 0..5 {
        let data = format!("listed {i}");
        std::fs::write(ev.join(format!("sub/f{i}.bin")), &data).unwrap();
        let d = ferret::hashing::hash_bytes(data.as_bytes(), ferret::AlgorithmSet::ALL);
        md5s.push_str(&format!("{}\n", d.hex(ferret::Algorithm::Md5).unwrap()));
    }
    let lib = dir.join("lib");
    std::fs::write(dir.join("md5set.txt"), md5s).unwrap();
    util::run_ok(
        util::ferret()
            .args(["hashset", "--library"])
            .arg(&lib)
            .args(["import", "-k", "alert", "-n", "md5set"])
            .arg(dir.join("md5set.txt")),
    );
    (ev, lib)
}

/// Adds a scan of evidence 1 with `md5set` that was cancelled at once.
fn cancelled_scan_with_set(case: &Path, lib: &Path) -> i64 {
    let store = CaseStore::open(case).unwrap();
    let set = ferret::hashsets::HashLibrary::open(lib)
        .unwrap()
        .load("md5set")
        .unwrap();
    let settings = ferret::ScanSettings {
        hash_sets: vec!["md5set".into()],
        ..Default::default()
    };
    let (scan, _) = store
        .begin_scan(
            1,
            &settings,
            &ferret::hashsets::HashSetCatalog::new(vec![set]),
            None,
            "T",
        )
        .unwrap();
    store
        .finish_scan(scan, ScanStatus::Cancelled, &serde_json::json!({}), "T")
        .unwrap();
    scan
}

fn alerts(case: &Path) -> u64 {
    CaseStore::open_read_only(case)
        .unwrap()
        .counts(None)
        .unwrap()
        .alerts
}

fn resume(case: &Path, lib: &Path) -> std::process::Output {
    util::ferret()
        .args(["scan", "-q", "--library"])
        .arg(lib)
        .arg("--resume")
        .arg(case)
        .output()
        .unwrap()
}

#[test]
fn a_resume_reads_again_what_an_earlier_separate_scan_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let (ev, lib) = listed(dir.path());
    let case = dir.path().join("c.ferret");
    // Scan 1: no set, complete; scan 2: with the set, cancelled at once.
    util::new_case_scan(&case, &ev, "R-1", &[]);
    cancelled_scan_with_set(&case, &lib);
    let out = resume(&case, &lib);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        alerts(&case),
        5,
        "every listed file matched by the resumed scan"
    );
}

#[test]
fn a_resume_refuses_another_drive_an_edited_setting_and_a_second_taker() {
    let dir = tempfile::tempdir().unwrap();
    let (ev, lib) = listed(dir.path());
    let case = dir.path().join("c.ferret");
    util::new_case_scan(&case, &ev, "R-2", &[]);
    let scan = cancelled_scan_with_set(&case, &lib);
    let copy = |name: &str, sql: &str| {
        let p = dir.path().join(name);
        std::fs::copy(&case, &p).unwrap();
        util::db(&p).execute_batch(sql).unwrap();
        p
    };
    // Another drive at the exhibit's folder (as recorded, another device).
    let other = copy("other.ferret", "UPDATE evidence SET device = '/dev/sdz9'");
    util::assert_refused(&resume(&other, &lib), "exhibit 1: ", "another drive");
    util::assert_refused(&resume(&other, &lib), "/dev/sdz9", "another drive");
    // A relative root from a crafted case.
    let rel = copy(
        "rel.ferret",
        "UPDATE evidence SET root_path = CAST('ev' AS BLOB), root_text = 'ev'",
    );
    util::assert_refused(&resume(&rel, &lib), "not an absolute path", "relative root");
    // Settings edited to drop the set: refused, not resumed without it.
    let edited = copy(
        "edited.ferret",
        &format!("UPDATE scans SET options = replace(options, '\"md5set\"', '') WHERE id = {scan}"),
    );
    util::assert_refused(
        &resume(&edited, &lib),
        "differ from the audit log",
        "edited",
    );
    // Two resumes of one scan: the second is refused by the case itself.
    let store = CaseStore::open(&case).unwrap();
    let settings = store.scans().unwrap().pop().unwrap().settings().unwrap();
    let cat = ferret::hashsets::HashSetCatalog::default();
    store
        .begin_scan(1, &settings, &cat, Some(scan), "T")
        .unwrap();
    let again = store.begin_scan(1, &settings, &cat, Some(scan), "T");
    assert!(
        matches!(again, Err(ferret::case::CaseError::NotResumable(s)) if s == scan),
        "{again:?}"
    );
}

#[cfg(unix)]
#[test]
fn a_case_inside_the_evidence_is_refused_before_it_is_written() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let (ev, lib) = listed(dir.path());
    let case = dir.path().join("c.ferret");
    util::new_case_scan(&case, &ev, "R-3", &[]);
    cancelled_scan_with_set(&case, &lib);
    let inside = ev.join("sub/c.ferret");
    std::fs::copy(&case, &inside).unwrap();
    let before = std::fs::read(&inside).unwrap();
    let stats = util::stat_snapshot(&ev);
    util::assert_refused(
        &resume(&inside, &lib),
        "inside the evidence folder",
        "resume",
    );
    assert_eq!(std::fs::read(&inside).unwrap(), before);
    assert_eq!(
        util::stat_snapshot(&ev),
        stats,
        "nothing in the evidence moved"
    );
    let _ = std::fs::metadata(&inside).unwrap().mtime();
}

#[cfg(unix)]
#[test]
fn the_guard_sees_bind_mounts_and_never_touches_links_inside_the_evidence() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let (ev, _) = listed(dir.path());
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    // Links inside the evidence: one to a folder outside, one dangling.
    symlink(&out, ev.join("outlink")).unwrap();
    symlink(out.join("nothing"), ev.join("dang")).unwrap();
    // A hard link, outside, to the evidence's link; a loop; a FIFO.
    std::fs::hard_link(ev.join("outlink"), out.join("hard")).unwrap();
    symlink(out.join("b"), out.join("a")).unwrap();
    symlink(out.join("a"), out.join("b")).unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        out.join("fifo"),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o644),
        0,
    )
    .unwrap();
    let stats = util::stat_snapshot(&ev);
    let inv = |target: &Path, force: bool| {
        let mut c = util::ferret();
        c.args(["inventory", "-q", "-o"]).arg(target).arg(&ev);
        if force {
            c.arg("--force");
        }
        util::output_within(&mut c, std::time::Duration::from_secs(20))
    };
    for t in [
        ev.join("outlink/x.txt"),
        ev.join("dang/x.txt"),
        ev.join("dang"),
    ] {
        util::assert_refused(
            &inv(&t, true),
            "inside the evidence folder",
            &format!("{t:?}"),
        );
    }
    util::assert_refused(&inv(&out.join("hard"), true), "hard links", "hard link");
    util::assert_refused(
        &inv(&out.join("a"), false),
        "too many levels of symbolic links",
        "loop",
    );
    util::assert_refused(
        &inv(&out.join("fifo"), true),
        "not a regular file or a link",
        "fifo",
    );
    assert!(out.join("fifo").exists());
    assert_eq!(util::stat_snapshot(&ev), stats, "no access time moved");
    // A bind mount of the evidence is the evidence (as root; else skipped).
    let bind = dir.path().join("bind");
    std::fs::create_dir(&bind).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["--bind"])
        .arg(&ev)
        .arg(&bind)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("SKIP: bind mount not permitted here");
        return;
    }
    let refused = inv(&bind.join("planted.txt"), false);
    let case = util::ferret()
        .args([
            "scan",
            "-q",
            "--new",
            "--case-number",
            "B",
            "--examiner",
            "T",
            "--case",
        ])
        .arg(bind.join("planted.ferret"))
        .arg(&ev)
        .output()
        .unwrap();
    let _ = std::process::Command::new("umount").arg(&bind).status();
    util::assert_refused(&refused, "inside the evidence folder", "bind mount");
    util::assert_refused(&case, "inside the evidence folder", "bind mount case");
    assert!(!ev.join("planted.txt").exists() && !ev.join("planted.ferret").exists());
    // A bind mount of a folder below the evidence root is evidence too.
    let sub = dir.path().join("subbind");
    std::fs::create_dir(&sub).unwrap();
    let mounted = std::process::Command::new("mount")
        .arg("--bind")
        .arg(ev.join("sub"))
        .arg(&sub)
        .status()
        .is_ok_and(|s| s.success());
    assert!(mounted, "a second bind mount failed after the first worked");
    let refused = inv(&sub.join("planted.txt"), false);
    let _ = std::process::Command::new("umount").arg(&sub).status();
    util::assert_refused(
        &refused,
        "inside the evidence folder",
        "bind mount of a subfolder",
    );
    assert!(!ev.join("sub/planted.txt").exists());
}

#[cfg(unix)]
#[test]
fn a_path_that_climbs_out_of_a_folder_not_made_yet_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (ev, _) = listed(dir.path());
    std::os::unix::fs::symlink(&ev, dir.path().join("lnk")).unwrap();
    let case = dir.path().join("c.ferret");
    util::new_case_scan(&case, &ev, "R-5", &[]);
    // `nonex` does not exist: the OS would make it, climb out, and follow
    // the link into the evidence.
    let sneaky = dir.path().join("nonex/../lnk/rep");
    let out = util::ferret()
        .arg("report")
        .arg(&case)
        .arg("-o")
        .arg(&sneaky)
        .output()
        .unwrap();
    util::assert_refused(&out, "does not exist yet", "report through nonex/..");
    assert!(!ev.join("rep").exists());
    let out = util::ferret()
        .args(["inventory", "-q", "-o"])
        .arg(dir.path().join("nonex/../lnk/inv.txt"))
        .arg(&ev)
        .output()
        .unwrap();
    util::assert_refused(&out, "does not exist yet", "inventory through nonex/..");
    assert!(!ev.join("inv.txt").exists());
}

#[test]
fn an_index_edited_to_hide_alerts_and_unreadable_rows_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (ev, lib) = listed(dir.path());
    let case = dir.path().join("c.ferret");
    util::new_case_scan(
        &case,
        &ev,
        "R-4",
        &["--library", lib.to_str().unwrap(), "-s", "md5set"],
    );
    assert_eq!(alerts(&case), 5);
    // The index rebuilt over other values, its SQL put back as Ferret's.
    let hidden = dir.path().join("hidden.ferret");
    std::fs::copy(&case, &hidden).unwrap();
    util::db(&hidden)
        .execute_batch(
            "DROP INDEX flags_reason;
             CREATE INDEX flags_reason ON flags(replace(reason, 'alert', 'info'), file_id);
             PRAGMA writable_schema = ON;
             UPDATE sqlite_master SET sql = 'CREATE INDEX flags_reason ON flags(reason, file_id)'
               WHERE name = 'flags_reason';
             PRAGMA writable_schema = OFF;",
        )
        .unwrap();
    let out = util::ferret()
        .args(["case", "verify"])
        .arg(&hidden)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(
        text.contains("FAILED:  database pages and indexes"),
        "{text}"
    );
    // A row that cannot be read is an error, not a shorter answer.
    let bogus = dir.path().join("bogus.ferret");
    std::fs::copy(&case, &bogus).unwrap();
    util::db(&bogus)
        .execute_batch("PRAGMA ignore_check_constraints = ON; UPDATE scans SET status = 'bogus';")
        .unwrap();
    let out = util::ferret()
        .args(["case", "info"])
        .arg(&bogus)
        .output()
        .unwrap();
    util::assert_refused(&out, "unknown scan status", "bogus status");
}
