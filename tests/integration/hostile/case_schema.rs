//! Finding 5: a crafted case file (a table replaced by a recursive view, an
//! extra trigger or table) is refused before any query, so no reader hangs.

use std::time::Duration;

use crate::util;

/// `ferret ARGS`, failing the test past 20 s.
fn run_bounded(args: &[&std::ffi::OsStr]) -> std::process::Output {
    util::output_within(util::ferret().args(args), Duration::from_secs(20))
}

#[test]
fn a_case_whose_schema_was_altered_is_refused_before_any_query() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    std::fs::create_dir(&ev).unwrap();
    std::fs::write(ev.join("a.txt"), "a").unwrap();
    let good = dir.path().join("good.ferret");
    util::new_case_scan(&good, &ev, "S-1", &[]);
    let crafted = [
        "DROP TABLE flags; CREATE VIEW flags AS WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) \
         SELECT x AS file_id, 'alert' AS reason, '' AS detail FROM r;",
        "CREATE TRIGGER t AFTER INSERT ON audit BEGIN DELETE FROM audit; END;",
        "CREATE TABLE extra (x);",
        "DROP INDEX flags_reason;",
    ];
    for (i, sql) in crafted.iter().enumerate() {
        let case = dir.path().join(format!("crafted{i}.ferret"));
        std::fs::copy(&good, &case).unwrap();
        util::db(&case).execute_batch(sql).unwrap();
        let before = std::fs::read(&case).unwrap();
        for cmd in [
            &["case", "hits"][..],
            &["case", "info"],
            &["case", "verify"],
        ] {
            let mut args: Vec<&std::ffi::OsStr> = cmd.iter().map(std::ffi::OsStr::new).collect();
            args.push(case.as_os_str());
            let out = run_bounded(&args);
            assert_eq!(out.status.code(), Some(3), "{cmd:?} on crafted case {i}");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                err.contains("its schema is not Ferret's"),
                "{cmd:?} {i}: {err}"
            );
        }
        let r = dir.path().join(format!("r{i}"));
        let out = run_bounded(&[
            "report".as_ref(),
            case.as_os_str(),
            "-o".as_ref(),
            r.as_os_str(),
        ]);
        assert_eq!(out.status.code(), Some(3));
        assert!(!r.exists());
        assert_eq!(
            std::fs::read(&case).unwrap(),
            before,
            "the case is never written"
        );
    }
}
