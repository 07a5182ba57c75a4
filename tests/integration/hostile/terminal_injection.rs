//! Finding 7: names from the evidence (newlines, tabs, ESC sequences, bidi
//! overrides) cannot forge output rows, drive a terminal, or reorder what
//! a report shows.

use crate::util;

const JPEG: &[u8] = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00 picture";

#[cfg(unix)]
#[test]
fn hostile_names_are_escaped_in_case_hits_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    std::fs::create_dir(&ev).unwrap();
    // A JPEG under a name whose extension forges a row and clears the screen,
    // and one that displays as `holidayexe.jpg`.
    let forged = util::bpath(b"x.d\nforged\trow\tconfirmed\t\x1b[2Jll");
    std::fs::write(ev.join(&forged), JPEG).unwrap();
    std::fs::write(ev.join("holiday\u{202e}gpj.exe"), JPEG).unwrap();
    let case = dir.path().join("c.ferret");
    util::new_case_scan(&case, &ev, "I-1", &[]);
    let out = util::run_ok(util::ferret().args(["case", "hits"]).arg(&case));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "one line per flagged item: {text:?}");
    for l in &lines {
        assert_eq!(l.matches('\t').count(), 3, "exactly four columns: {l:?}");
    }
    assert!(
        !text.contains('\x1b') && !text.contains('\u{202e}'),
        "{text:?}"
    );
    assert!(text.contains("\\x1b[2J"), "{text:?}");
    assert!(text.contains("holiday\\xe2\\x80\\xaegpj.exe"), "{text:?}");
    // Reports: the escaped form, never the raw override or escape.
    let report = dir.path().join("r");
    util::run_ok(
        util::ferret()
            .arg("report")
            .arg(&case)
            .args(["-o"])
            .arg(&report)
            .args(["--format", "html,csv,json,dfxml"]),
    );
    for f in ["report.html", "items.csv", "report.json", "report.dfxml"] {
        let mut body = std::fs::read_to_string(report.join(f)).unwrap();
        if f.ends_with(".json") {
            body = body.replace("\\\\", "\\"); // JSON doubles each backslash
        }
        assert!(!body.contains('\u{202e}'), "{f} holds a raw U+202E");
        assert!(!body.contains('\x1b'), "{f} holds a raw ESC");
        assert!(body.contains("holiday\\xe2\\x80\\xaegpj.exe"), "{f}");
    }
}
