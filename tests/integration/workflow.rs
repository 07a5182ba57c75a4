//! The workflow layer under both front ends (issue 12): the digest union
//! (a set is matched whatever digests were asked for), the one resume rule,
//! the evidence guard on every output, and CLI and GUI making the same case.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::util;
use ferret::case::{CaseStore, ScanStatus};

/// Five files in the evidence, an MD5-only and a SHA-1-only alert set that
/// list all five: (evidence, library).
fn listed_tree(dir: &Path) -> (PathBuf, PathBuf) {
    let ev = dir.join("evidence");
    std::fs::create_dir_all(ev.join("sub")).unwrap();
    let mut md5s = String::new();
    let mut sha1s = String::new();
    for i in 0..5 {
        let data = format!("listed file number {i}");
        std::fs::write(ev.join(format!("sub/f{i}.bin")), &data).unwrap();
        let d = ferret::hashing::hash_bytes(data.as_bytes(), ferret::AlgorithmSet::ALL);
        md5s.push_str(&format!("{}\n", d.hex(ferret::Algorithm::Md5).unwrap()));
        sha1s.push_str(&format!("{}\n", d.hex(ferret::Algorithm::Sha1).unwrap()));
    }
    std::fs::write(ev.join("unlisted.txt"), "not in any set").unwrap();
    let lib = dir.join("lib");
    for (name, text) in [("md5set", md5s), ("sha1set", sha1s)] {
        let src = dir.join(format!("{name}.txt"));
        std::fs::write(&src, text).unwrap();
        util::run_ok(
            util::ferret()
                .args(["hashset", "--library"])
                .arg(&lib)
                .args(["import", "-k", "alert", "-n", name])
                .arg(&src),
        );
    }
    (ev, lib)
}

fn stdout_lines(out: &std::process::Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn md5_and_sha1_sets_match_whatever_digests_are_asked_for_in_inventory() {
    let dir = tempfile::tempdir().unwrap();
    let (ev, lib) = listed_tree(dir.path());
    // The issue's command: SHA-256 sums, MD5 set, matches only.
    for extra in [&["-a", "sha256"][..], &[][..]] {
        let out = util::run_ok(
            util::ferret()
                .args(["inventory", "-q", "--library"])
                .arg(&lib)
                .args(["-s", "md5set", "-f", "sums", "-m"])
                .args(extra)
                .arg(&ev),
        );
        let lines = stdout_lines(&out);
        assert_eq!(lines.len(), 5, "{lines:?}");
        // Printed: SHA-256 only (64 hex digits), not the MD5 the set needed.
        for l in &lines {
            let hex = l.split_whitespace().next().unwrap();
            assert_eq!(hex.len(), 64, "{l}");
            assert!(l.contains("/sub/f"), "{l}");
        }
    }
    // A SHA-1 set with MD5 asked for, as JSON lines: found, SHA-1 not printed.
    let out = util::run_ok(
        util::ferret()
            .args(["inventory", "-q", "--library"])
            .arg(&lib)
            .args(["-s", "sha1set", "-a", "md5", "-f", "jsonl", "-m"])
            .arg(&ev),
    );
    let objs: Vec<serde_json::Value> = stdout_lines(&out)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objs.len(), 5);
    for o in &objs {
        assert!(o.get("md5").is_some() && o.get("sha1").is_none(), "{o}");
        assert_eq!(o["hits"][0]["set"], "sha1set");
    }
    // The summary says what was added and why, and that every entry matched.
    let out = util::run_ok(
        util::ferret()
            .args(["inventory", "--library"])
            .arg(&lib)
            .args([
                "-s",
                "md5set",
                "-a",
                "sha256",
                "-f",
                "sums",
                "-o",
                "/dev/null",
            ])
            .arg(&ev),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("also computing md5 for hash set md5set"),
        "{err}"
    );
    assert!(err.contains("5 of 5 entries matched, 0 unused"), "{err}");
}

fn alerts_in(case: &Path) -> u64 {
    CaseStore::open_read_only(case)
        .unwrap()
        .counts(None)
        .unwrap()
        .alerts
}

#[test]
fn md5_and_sha1_sets_match_whatever_digests_are_asked_for_in_a_case() {
    let dir = tempfile::tempdir().unwrap();
    let (ev, lib) = listed_tree(dir.path());
    for (i, (set, asked)) in [
        ("md5set", "sha256"),
        ("sha1set", "md5"),
        ("md5set", "blake3"),
    ]
    .iter()
    .enumerate()
    {
        let case = dir.path().join(format!("c{i}.ferret"));
        util::new_case_scan(
            &case,
            &ev,
            "U-1",
            &["--library", lib.to_str().unwrap(), "-s", set, "-a", asked],
        );
        assert_eq!(alerts_in(&case), 5, "{set} with -a {asked}");
        // The stored settings keep what was asked for.
        let store = CaseStore::open_read_only(&case).unwrap();
        let scan = store.scans().unwrap().pop().unwrap();
        assert_eq!(scan.settings().unwrap().digests.to_string(), *asked);
    }
}

fn scan_cmd(case: &Path, lib: &Path) -> std::process::Command {
    let mut c = util::ferret();
    c.args(["scan", "-q", "--library"])
        .arg(lib)
        .arg("--case")
        .arg(case);
    c
}

/// A case whose only scan was cancelled before it recorded anything.
fn cancelled_case(dir: &Path, ev: &Path) -> PathBuf {
    let case = dir.join("r.ferret");
    let info = ferret::case::CaseInfo {
        case_number: "R-1".into(),
        examiner: "T".into(),
        ..Default::default()
    };
    let store = CaseStore::create(&case, &info, "T").unwrap();
    let evidence = store.add_evidence("1", "", ev, None, "T").unwrap();
    let settings = ferret::ScanSettings {
        hash_sets: vec!["md5set".into()],
        ..Default::default()
    };
    let (scan, _) = store
        .begin_scan(
            evidence,
            &settings,
            &ferret::hashsets::HashSetCatalog::default(),
            None,
            "T",
        )
        .unwrap();
    store
        .finish_scan(scan, ScanStatus::Cancelled, &serde_json::json!({}), "T")
        .unwrap();
    case
}

#[test]
fn one_resume_rule_a_completed_resume_leaves_nothing_to_resume() {
    let dir = tempfile::tempdir().unwrap();
    let (ev, lib) = listed_tree(dir.path());
    let case = cancelled_case(dir.path(), &ev);
    // `ferret scan --resume CASE` (the README's form) resumes.
    let out = util::run_ok(
        util::ferret()
            .args(["scan", "-q", "--library"])
            .arg(&lib)
            .arg("--resume")
            .arg(&case),
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("resuming scan 1"));
    assert_eq!(alerts_in(&case), 5);
    let statuses: Vec<ScanStatus> = CaseStore::open_read_only(&case)
        .unwrap()
        .scans()
        .unwrap()
        .iter()
        .map(|s| s.status)
        .collect();
    assert_eq!(statuses, [ScanStatus::Superseded, ScanStatus::Complete]);
    // Again, in both forms: nothing to resume, nothing run, exit 3.
    for form in [true, false] {
        let mut cmd = if form {
            let mut c = util::ferret();
            c.args(["scan", "--library"])
                .arg(&lib)
                .arg("--resume")
                .arg(&case);
            c
        } else {
            let mut c = scan_cmd(&case, &lib);
            c.arg("--resume");
            c
        };
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(3));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("nothing to resume: the newest scan of this case completed"),
            "{err}"
        );
    }
    assert_eq!(
        CaseStore::open_read_only(&case)
            .unwrap()
            .scans()
            .unwrap()
            .len(),
        2
    );
    // The rule is the workflow's, and the GUI reads the same answer.
    let store = CaseStore::open(&case).unwrap();
    assert!(matches!(
        ferret::workflow::resumable_scan(&store),
        Err(ferret::workflow::WorkflowError::NothingToResume(_))
    ));
}

#[test]
fn gui_after_a_completed_resume_offers_no_resume() {
    let dir = tempfile::tempdir().unwrap();
    let (ev, lib) = listed_tree(dir.path());
    let case = cancelled_case(dir.path(), &ev);
    let mut h = super::gui::harness(dir.path());
    h.state_mut().settings.last_library = lib.display().to_string();
    h.state_mut()
        .queue(ferret::gui::Command::OpenCase(case.clone()));
    h.step();
    h.step();
    assert_eq!(h.state().resumable, Some(1));
    h.state_mut().queue(ferret::gui::Command::ResumeScan);
    h.step();
    super::gui::step_until(&mut h, |a| a.screen == ferret::gui::Screen::Review);
    assert_eq!(h.state().resumable, None);
    // Opened again (a later session): still nothing to resume.
    h.state_mut().queue(ferret::gui::Command::CloseCase);
    h.step();
    h.state_mut()
        .queue(ferret::gui::Command::OpenCase(case.clone()));
    h.step();
    h.step();
    assert_eq!(h.state().resumable, None);
    assert_eq!(alerts_in(&case), 5);
    // And the CLI agrees.
    let out = scan_cmd(&case, &lib).arg("--resume").output().unwrap();
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn gui_scan_with_an_md5_set_and_only_sha256_ticked_finds_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let (ev, lib) = listed_tree(dir.path());
    let mut h = super::gui::harness(dir.path());
    h.state_mut().queue(ferret::gui::Command::NewCase);
    h.step();
    {
        let f = &mut h.state_mut().setup;
        f.case_number = "G-1".into();
        f.examiner = "T".into();
        f.evidence = ev.display().to_string();
        f.library = lib.display().to_string();
        f.algorithms = [false, false, true, false];
    }
    h.step();
    h.step();
    for s in &mut h.state_mut().setup.sets {
        s.chosen = s.name == "md5set";
    }
    h.step();
    h.step();
    // The MD5 box is shown ticked and locked, and says why.
    use egui_kittest::kittest::{NodeT, Queryable};
    let md5 = h.get_by_label("MD5 (needed by md5set)");
    assert!(
        md5.accesskit_node().is_disabled(),
        "MD5 is locked while md5set is chosen"
    );
    h.state_mut().queue(ferret::gui::Command::StartNewCase);
    h.step();
    super::gui::step_until(&mut h, |a| a.screen == ferret::gui::Screen::Review);
    assert_eq!(h.state().rows.len(), 5, "{:?}", h.state().message);
}

/// Every file below `root` with its content: nothing may change.
fn contents(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(root).follow_links(false) {
        let e = e.unwrap();
        if e.file_type().is_file() {
            out.insert(e.path().to_path_buf(), std::fs::read(e.path()).unwrap());
        }
    }
    out
}

#[cfg(unix)]
#[test]
fn no_output_path_can_land_in_the_evidence() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let (ev, lib) = listed_tree(dir.path());
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    symlink(&ev, out.join("evlink")).unwrap(); // a folder link into the evidence
    symlink(ev.join("sub/f0.bin"), out.join("filelink")).unwrap(); // a file link
    symlink(ev.join("sub/new.bin"), out.join("dangling")).unwrap(); // would create inside
    // A case to report from, written outside.
    let case = out.join("ok.ferret");
    util::new_case_scan(
        &case,
        &ev,
        "G-1",
        &["--library", lib.to_str().unwrap(), "-s", "md5set"],
    );
    // Contents first: reading them moves access times, the snapshot then
    // holds the times every refusal below must leave alone.
    let bytes = contents(&ev);
    let stats = util::stat_snapshot(&ev);
    let targets: Vec<PathBuf> = vec![
        ev.join("out.txt"),               // direct
        ev.join("sub/../out2.txt"),       // through ..
        out.join("../evidence/out3.txt"), // through .. from outside
        out.join("evlink/out4.txt"),      // through a folder link
        out.join("filelink"),             // a link to an evidence file
        out.join("dangling"),             // a dangling link into the evidence
        ev.join("sub/f1.bin"),            // an evidence file itself
    ];
    for t in &targets {
        for force in [false, true] {
            let mut inv = util::ferret();
            inv.args(["inventory", "-q", "-o"]).arg(t).arg(&ev);
            if force {
                inv.arg("--force");
            }
            let o = inv.output().unwrap();
            assert_eq!(o.status.code(), Some(3), "inventory -o {t:?} force={force}");
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(err.contains("inside the evidence folder"), "{t:?}: {err}");
        }
        // A new case there.
        let o = util::ferret()
            .args([
                "scan",
                "-q",
                "--new",
                "--case-number",
                "X",
                "--examiner",
                "T",
                "--case",
            ])
            .arg(t)
            .arg(&ev)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(3), "scan --case {t:?}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("inside the evidence folder"),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        // A report folder there.
        let o = util::ferret()
            .arg("report")
            .arg(&case)
            .arg("-o")
            .arg(t)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(3), "report -o {t:?}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("inside the evidence folder"),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    // An existing case inside the evidence is not written either.
    let o = util::ferret()
        .args(["scan", "-q", "--case"])
        .arg(out.join("evlink/sub/f2.bin"))
        .arg(&ev)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    // Byte- and time-identical: contents, sizes, modes, inodes, MAC times.
    assert_eq!(util::stat_snapshot(&ev), stats);
    assert_eq!(contents(&ev), bytes);
    assert!(!out.join("dangling").exists());

    // stdout and /dev/null are fine.
    let o = util::run_ok(
        util::ferret()
            .args(["inventory", "-q", "-f", "sums", "-o", "-"])
            .arg(&ev),
    );
    assert_eq!(stdout_lines(&o).len(), 6);
    util::run_ok(
        util::ferret()
            .args(["inventory", "-q", "-o", "/dev/null"])
            .arg(&ev),
    );
    // --force replaces a link outside the evidence, never its target.
    let target = out.join("target.txt");
    std::fs::write(&target, "keep me").unwrap();
    symlink(&target, out.join("link2")).unwrap();
    let o = util::ferret()
        .args(["inventory", "-q", "-o"])
        .arg(out.join("link2"))
        .arg(&ev)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "exists without --force");
    util::run_ok(
        util::ferret()
            .args(["inventory", "-q", "--force", "-o"])
            .arg(out.join("link2"))
            .arg(&ev),
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
    let meta = std::fs::symlink_metadata(out.join("link2")).unwrap();
    assert!(meta.file_type().is_file());
    assert!(
        std::fs::read_to_string(out.join("link2"))
            .unwrap()
            .starts_with("%%%% HASHDEEP-1.0")
    );
    // A file with another hard link is not replaced (one may be evidence).
    std::fs::hard_link(&target, out.join("hard")).unwrap();
    let o = util::ferret()
        .args(["inventory", "-q", "--force", "-o"])
        .arg(out.join("hard"))
        .arg(&ev)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("hard links"));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
}

/// (settings JSON, files with digests, hits) of a case's newest scan.
type CaseShape = (
    String,
    Vec<(Vec<u8>, Option<Vec<u8>>, Option<Vec<u8>>)>,
    Vec<(Vec<u8>, String)>,
);

fn shape(case: &Path) -> CaseShape {
    let conn =
        rusqlite::Connection::open_with_flags(case, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let settings: String = conn
        .query_row(
            "SELECT options FROM scans ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let mut st = conn
        .prepare("SELECT path, md5, sha256 FROM files ORDER BY path")
        .unwrap();
    let files = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut st = conn
        .prepare(
            "SELECT f.path, s.name FROM hits h JOIN files f ON f.id = h.file_id
             JOIN hash_sets s ON s.id = h.hash_set_id ORDER BY f.path, s.name",
        )
        .unwrap();
    let hits = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    (settings, files, hits)
}

#[test]
fn cli_and_gui_make_the_same_case_for_the_same_request() {
    let dir = tempfile::tempdir().unwrap();
    let (ev, lib) = listed_tree(dir.path());
    let cli_case = dir.path().join("cli.ferret");
    util::new_case_scan(
        &cli_case,
        &ev,
        "S-1",
        &[
            "--library",
            lib.to_str().unwrap(),
            "-s",
            "md5set",
            "-s",
            "sha1set",
            "-a",
            "sha256",
            "--order",
            "walk",
            "--device",
            "hdd",
        ],
    );
    let ws = dir.path().join("ws");
    let mut h = super::gui::harness(&ws);
    h.state_mut().queue(ferret::gui::Command::NewCase);
    h.step();
    {
        let f = &mut h.state_mut().setup;
        f.case_number = "S-1".into();
        f.examiner = "T".into();
        f.evidence = ev.display().to_string();
        f.library = lib.display().to_string();
        f.algorithms = [false, false, true, false];
        f.walk_order = true;
        f.device = "hdd".into();
    }
    h.step();
    h.step();
    for s in &mut h.state_mut().setup.sets {
        s.chosen = true;
    }
    h.state_mut().queue(ferret::gui::Command::StartNewCase);
    h.step();
    super::gui::step_until(&mut h, |a| a.screen == ferret::gui::Screen::Review);
    let gui_case = h.state().case().unwrap().path().to_path_buf();
    let (cli, gui) = (shape(&cli_case), shape(&gui_case));
    assert_eq!(
        cli.0,
        r#"{"digests":["sha256"],"hash_sets":["md5set","sha1set"],"order":"walk","device":"hdd","cross_filesystems":false,"read_link_targets":null,"archives":true,"archive_limits":{"max_depth":8,"max_expanded":1099511627776,"max_ratio":250,"ratio_floor":16777216,"max_members":1000000,"time_budget_secs":600,"max_in_memory":268435456},"pdq":true}"#
    );
    assert_eq!(cli, gui);
    assert_eq!(cli.2.len(), 10, "5 files, each in both sets");
}

#[test]
fn a_version_1_case_is_migrated_and_its_cancelled_scan_resumed() {
    let dir = tempfile::tempdir().unwrap();
    let (ev, lib) = listed_tree(dir.path());
    let case = dir.path().join("v1.ferret");
    {
        // A case as Ferret 0.1 wrote it: schema 1, options as strings.
        let conn = rusqlite::Connection::open(&case).unwrap();
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA application_id = {};",
            ferret::case::schema::APPLICATION_ID
        ))
        .unwrap();
        conn.execute_batch(ferret::case::schema::MIGRATIONS[0])
            .unwrap();
        conn.execute_batch("PRAGMA user_version = 1").unwrap();
        let root = std::fs::canonicalize(&ev).unwrap();
        conn.execute(
            "INSERT INTO case_info (id, case_number, examiner, created) VALUES (1, 'V-1', 'T', '2026-01-01T00:00:00Z')",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO evidence (id, exhibit, root_path, root_text, added) VALUES (1, '1', ?1, ?2, '2026-01-01T00:00:00Z')",
            rusqlite::params![root.to_str().unwrap().as_bytes(), root.to_str().unwrap()],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO scans (id, evidence_id, options, started, host, os, user, tool_version, command_line, status)
             VALUES (1, 1, '{\"algorithms\":\"sha256\",\"hash_sets\":[\"md5set\"],\"cross_filesystems\":false,\"order\":\"walk\",\"device\":\"\"}',
                     '2026-01-01T00:00:00Z', 'h', 'linux', 'u', '0.1.0', 'ferret scan', 'cancelled')",
            [],
        )
        .unwrap();
        // Its audit log recorded the scan's start with those options.
        ferret::case::audit::append(
            &conn,
            "T",
            "scan_started",
            r#"{"scan":1,"evidence":1,"options":{"algorithms":"sha256","hash_sets":["md5set"],"cross_filesystems":false,"order":"walk","device":""},"resumes":null}"#,
        )
        .unwrap();
    }
    util::run_ok(scan_cmd(&case, &lib).arg("--resume"));
    let store = CaseStore::open_read_only(&case).unwrap();
    let scans = store.scans().unwrap();
    assert_eq!(
        scans.iter().map(|s| s.status).collect::<Vec<_>>(),
        [ScanStatus::Superseded, ScanStatus::Complete]
    );
    // The old settings were read strictly and repeated.
    let s = scans[1].settings().unwrap();
    assert_eq!(
        (s.digests.to_string(), s.order, s.hash_sets.clone()),
        (
            "sha256".to_string(),
            ferret::job::Order::Walk,
            vec!["md5set".to_string()]
        )
    );
    assert_eq!(store.counts(None).unwrap().alerts, 5);
}
