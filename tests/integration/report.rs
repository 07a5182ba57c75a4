//! Reports: validators accept them, the manifest catches any change, hostile
//! names stay inert, two reports of one case are identical but for the
//! generation time.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util;

fn hostile_case(dir: &Path) -> (PathBuf, PathBuf) {
    let ev = dir.join("ev");
    std::fs::create_dir(&ev).unwrap();
    let jpeg = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00";
    for name in [
        &b"<script>alert(1)</script>.jpg"[..],
        b"quote\"s & 'amps'.jpg",
        b"=cmd|' /C calc'!A0.jpg",
        b"new\nline.jpg",
        b"caf\xe9.jpg",
        b"+plus.exe",
    ] {
        // Names with '/' become folders: the relative path still reads as given.
        let p = ev.join(util::bpath(name));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, [&jpeg[..], name].concat()).unwrap();
    }
    std::fs::write(ev.join("plain.txt"), b"nothing to see").unwrap();
    let case = dir.join("c.ferret");
    let out = util::ferret()
        .args([
            "scan",
            "-q",
            "--new",
            "--case-number",
            "R-1",
            "--examiner",
            "E",
            "--case",
        ])
        .arg(&case)
        .arg(&ev)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (case, ev)
}

const ALL_FORMATS: &str = "html,csv,json,dfxml,case,hashdeep";

/// `case_validate` from case-utils: on PATH, or in `.ci/venv` as CI installs it.
fn case_validate() -> Option<PathBuf> {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/venv/bin/case_validate");
    if venv.exists() {
        return Some(venv);
    }
    if Command::new("case_validate").arg("--help").output().is_ok() {
        return Some(PathBuf::from("case_validate"));
    }
    eprintln!("SKIP: case_validate (PyPI case-utils) is not installed; .ci/run installs it");
    None
}

fn report(case: &Path, out: &Path, scope: &str) -> String {
    let o = util::ferret()
        .arg("report")
        .arg(case)
        .arg("-o")
        .arg(out)
        .args(["--scope", scope, "--format", ALL_FORMATS])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn validators_accept_the_report_and_the_manifest_catches_any_change() {
    let dir = tempfile::tempdir().unwrap();
    let (case, ev) = hostile_case(dir.path());
    let out = dir.path().join("report");
    let stdout = report(&case, &out, "all");
    let sha = stdout
        .lines()
        .last()
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(sha.len(), 64);
    // The manifest's SHA-256 is in the audit log.
    let c = rusqlite::Connection::open(&case).unwrap();
    let detail: String = c
        .query_row(
            "SELECT detail FROM audit WHERE action = 'report_exported'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(detail.contains(&sha));
    if util::have_tool("sha256sum") {
        let o = Command::new("sha256sum")
            .current_dir(&out)
            .args(["-c", "manifest.sha256"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    }
    if let Some(corpus) = util::corpus().filter(|_| util::have_tool("xmllint")) {
        let o = Command::new("xmllint")
            .args(["--noout", "--schema"])
            .arg(corpus.join("dfxml/schema/dfxml.xsd"))
            .arg(out.join("report.dfxml"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    if util::have_tool("hashdeep") {
        let o = Command::new("hashdeep")
            .args(["-r", "-a", "-k"])
            .arg(out.join("inventory.hashdeep"))
            .arg(&ev)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        // hashdeep cannot hold the newline name: it is listed escaped and
        // reported "moved"; every other file must match exactly.
        assert!(text.contains("Audit"), "{text}");
        let o = Command::new("hashdeep")
            .args(["-r", "-a", "-vv", "-k"])
            .arg(out.join("inventory.hashdeep"))
            .arg(&ev)
            .output()
            .unwrap();
        let v = String::from_utf8_lossy(&o.stdout);
        assert!(
            v.contains("Files matched: 6")
                && v.contains("Files moved: 1")
                && v.contains("New files found: 0"),
            "{v}"
        );
    }
    if let Some(cv) = case_validate() {
        let o = Command::new(cv)
            .arg("--allow-info")
            .arg(out.join("case-uco.jsonld"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success() && text.contains("Conforms: True"),
            "{text}"
        );
        assert!(
            !text.contains("sh:Violation") && !text.contains("sh:Warning"),
            "{text}"
        );
    }
    let verify = |d: &Path| util::ferret().arg("verify").arg(d).output().unwrap();
    assert!(verify(&out).status.success());
    for f in [
        "items.csv",
        "report.json",
        "report.dfxml",
        "inventory.hashdeep",
    ] {
        let copy = dir.path().join(format!("copy-{f}"));
        copy_dir(&out, &copy);
        let p = copy.join(f);
        let mut bytes = std::fs::read(&p).unwrap();
        let i = bytes.len() / 2;
        bytes[i] ^= 0x01;
        std::fs::write(&p, bytes).unwrap();
        let o = verify(&copy);
        assert_eq!(o.status.code(), Some(3), "{f}");
        assert!(String::from_utf8_lossy(&o.stdout).contains(&format!("{f}: changed")));
    }
    // Never overwrites.
    let o = util::ferret()
        .arg("report")
        .arg(&case)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("exists and is not empty"));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

#[test]
fn hostile_names_are_inert_in_csv_and_dfxml() {
    let dir = tempfile::tempdir().unwrap();
    let (case, _) = hostile_case(dir.path());
    let out = dir.path().join("r");
    report(&case, &out, "all");
    let mut rdr = csv::Reader::from_path(out.join("items.csv")).unwrap();
    let paths: Vec<String> = rdr.records().map(|r| r.unwrap()[1].to_string()).collect();
    assert!(
        paths.contains(&"'=cmd|' /C calc'!A0.jpg".to_string()),
        "{paths:?}"
    );
    assert!(paths.contains(&"'+plus.exe".to_string()), "{paths:?}");
    assert!(
        paths.contains(&"new\\nline.jpg".to_string()),
        "escaped, reversible: {paths:?}"
    );
    assert!(paths.contains(&"caf\\xe9.jpg".to_string()));
    assert!(paths.iter().all(|p| !p.starts_with(['=', '+', '-', '@'])));
    let xml = std::fs::read_to_string(out.join("report.dfxml")).unwrap();
    assert!(xml.contains("&lt;script&gt;alert(1)&lt;/script&gt;.jpg"));
    assert!(!xml.contains("<script>"));
    assert!(
        xml.contains("quote&quot;s &amp; &apos;amps&apos;.jpg")
            || xml.contains("quote\"s &amp; 'amps'.jpg")
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(json["schema_version"], 1);
    let items = json["items"].as_array().unwrap();
    assert_eq!(
        items.len(),
        9,
        "7 files and the 2 folders the '/' in names made"
    );
    let flagged = dir.path().join("f");
    report(&case, &flagged, "flagged");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(flagged.join("report.json")).unwrap())
            .unwrap();
    let items = json["items"].as_array().unwrap();
    assert_eq!(
        items.len(),
        1,
        "only the JPEG named .exe is flagged (mismatch)"
    );
    assert_eq!(items[0]["flags"], "mismatch");
}

#[test]
fn two_reports_of_one_case_differ_only_in_generation_time() {
    let dir = tempfile::tempdir().unwrap();
    let (case, _) = hostile_case(dir.path());
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    report(&case, &a, "all");
    std::thread::sleep(std::time::Duration::from_millis(20));
    report(&case, &b, "all");
    for f in ["items.csv", "report.dfxml", "inventory.hashdeep"] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f}"
        );
    }
    let strip = |p: &Path| -> Vec<String> {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .filter(|l| !l.contains("\"generated\""))
            .map(String::from)
            .collect()
    };
    assert_eq!(strip(&a.join("report.json")), strip(&b.join("report.json")));
}
