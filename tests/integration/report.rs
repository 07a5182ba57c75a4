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
    util::run_ok(
        util::ferret()
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
            .arg(&ev),
    );
    (case, ev)
}

const ALL_FORMATS: &str = "html,csv,json,dfxml,case,hashdeep";

/// `case_validate` from case-utils: on PATH, or in `.ci/venv` as CI installs it.
/// `case_validate --allow-info` accepts `file` with no violation and no
/// warning (skipped where case-utils is not installed).
pub(crate) fn assert_case_conforms(file: &Path) {
    let Some(cv) = case_validate() else {
        return;
    };
    let o = Command::new(cv)
        .arg("--allow-info")
        .arg(file)
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
    assert_case_conforms(&out.join("case-uco.jsonld"));
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

/// A small case with fixed content, built directly, so exports are stable.
fn fixed_case(dir: &Path) -> PathBuf {
    let path = dir.join("fixed.ferret");
    let info = ferret::case::CaseInfo {
        case_number: "FIX-1".into(),
        title: "Snapshot".into(),
        examiner: "E. Xaminer".into(),
        agency: "Test Unit".into(),
        ..Default::default()
    };
    drop(ferret::case::CaseStore::create(&path, &info, "E. Xaminer").unwrap());
    util::db(&path)
        .execute_batch(
            "INSERT INTO evidence (id, exhibit, description, root_path, root_text, read_only, added)
               VALUES (1, 'EX1', 'USB stick', x'2f6d6e742f6576', '/mnt/ev', 1, '2024-05-01T09:59:00Z');
             INSERT INTO scans (id, evidence_id, options, started, finished, host, os, user, tool_version, command_line, status, counters)
               VALUES (1, 1, '{\"algorithms\":\"md5,sha1,sha256,blake3\",\"hash_sets\":[\"vics\"],\"cross_filesystems\":false}',
                       '2024-05-01T10:00:00Z', '2024-05-01T10:42:00Z', 'field-laptop', 'linux x86_64', 'ex', '0.1.0',
                       'ferret scan /mnt/ev', 'complete', '{\"entries\":3}');
             INSERT INTO hash_sets (id, scan_id, position, name, kind, provenance)
               VALUES (1, 1, 0, 'vics', 'alert', '{\"name\":\"vics\",\"format\":\"vics\",\"entries\":3,\"source_sha256\":\"ab\",\"imported_at\":\"2024-04-01T00:00:00Z\"}');
             INSERT INTO files (id, evidence_id, scan_id, path, path_text, name_text, kind, size, mtime_ns, atime_ns, ctime_ns, btime_ns,
                 md5, sha1, sha256, blake3, bytes_read, mime, media, mismatch, status, verdict)
               VALUES (1, 1, 1, x'412f696d672e6a7067', 'A/img.jpg', 'img.jpg', 'file', 4, 1262401496000000000, 1714464000000000000,
                 1262401496000000000, 1262401496000000000, x'098f6bcd4621d373cade4e832627b4f6', x'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3',
                 x'9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', x'4878ca0425c739fa427f7eda20fe845f6b2e46ba5fe2a14df5b1e32f50603215',
                 4, 'image/jpeg', 'image', 0, 'hashed', 'alert');
             INSERT INTO files (id, evidence_id, scan_id, path, path_text, name_text, kind, size, mtime_ns, md5, sha1, sha256, blake3,
                 bytes_read, mime, media, mismatch, status, verdict)
               VALUES (2, 1, 1, x'3d63616c632e646c6c', '=calc.dll', '=calc.dll', 'file', 5, 1262401496500000000,
                 x'5d41402abc4b2a76b9719d911017c592', x'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d',
                 x'2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824', x'ea8f163db38682925e4491c5e58d4bb3506ef8c14eb78a86e908c5624a67200f',
                 5, 'image/jpeg', 'image', 1, 'hashed', 'none');
             INSERT INTO files (id, evidence_id, scan_id, path, path_text, name_text, kind, status, error_op, error_kind, error_code, error_message, verdict)
               VALUES (3, 1, 1, x'6c6f636b6564', 'locked', 'locked', 'dir', 'error', 'open_dir', 'PermissionDenied', 13, 'Permission denied (os error 13)', 'none');
             INSERT INTO hits (file_id, hash_set_id, kind, algorithm, entry, category, entry_name, media_id)
               VALUES (1, 1, 'alert', 'md5', 0, 1, 'series-A/0001.jpg', 1001);
             INSERT INTO flags (file_id, reason, detail) VALUES (1, 'alert', 'vics'), (2, 'mismatch', 'image/jpeg named .dll');
             INSERT INTO review (file_id, status, bookmark, note, examiner, updated)
               VALUES (1, 'confirmed', 1, 'matches series A', 'E. Xaminer', '2024-05-02T08:00:00Z');",
        )
        .unwrap();
    path
}

#[test]
fn snapshots_of_csv_json_and_dfxml_for_a_fixed_case() {
    let dir = tempfile::tempdir().unwrap();
    let case = fixed_case(dir.path());
    let out = dir.path().join("r");
    report(&case, &out, "all");
    let read = |f: &str| std::fs::read_to_string(out.join(f)).unwrap();
    insta::assert_snapshot!("fixed_items_csv", read("items.csv"));
    let json: String = read("report.json")
        .lines()
        .map(|l| {
            if l.contains("\"generated\"") {
                "  \"generated\": \"[generated]\","
            } else if l.contains("\"anchor_blake3\"") {
                // The chain's first row carries the case's creation time.
                "    \"anchor_blake3\": \"[audit row hash]\","
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!("fixed_report_json", json);
    insta::assert_snapshot!("fixed_report_dfxml", read("report.dfxml"));
}

#[test]
fn html_loaded_in_headless_chromium_runs_nothing_and_fetches_nothing() {
    let Some(chromium) = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| {
            Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
    else {
        eprintln!("SKIP: no Chromium installed (optional check)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (case, _) = hostile_case(dir.path());
    let out = dir.path().join("r");
    report(&case, &out, "all");
    let profile = dir.path().join("profile");
    let o = Command::new("timeout")
        .args([
            "60",
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
        ])
        .args([
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--enable-logging=stderr", "--v=1", "--dump-dom"])
        .arg(format!("file://{}", out.join("report.html").display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&o.stdout);
    assert!(dom.contains("Ferret triage report"), "page rendered");
    // The payload is still text in the rendered DOM, and no element was made of it.
    assert!(
        dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;.jpg"),
        "payload stays text"
    );
    assert!(!dom.to_lowercase().contains("<script"), "no script element");
    // Chromium's own background calls (update, time, accounts) go to Google
    // hosts whatever the page; anything else would come from the report.
    let log = String::from_utf8_lossy(&o.stderr);
    let foreign: Vec<&str> = log
        .split(|c: char| c.is_whitespace() || c == '"' || c == '\'')
        .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
        .filter(|u| !u.contains(".google.com/") && !u.contains(".googleapis.com/"))
        .collect();
    assert!(
        foreign.is_empty(),
        "network requests from the report: {foreign:?}"
    );
}

#[test]
fn thumbnails_are_greyscale_blurred_and_only_when_asked() {
    use base64::Engine as _;
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    std::fs::create_dir(&ev).unwrap();
    // A colourful 8-px checkerboard: sharp edges everywhere.
    let img = image::RgbImage::from_fn(200, 200, |x, y| {
        if (x / 8 + y / 8) % 2 == 0 {
            image::Rgb([255, 0, 0])
        } else {
            image::Rgb([0, 0, 255])
        }
    });
    let png_path = ev.join("flagged.png");
    img.save(&png_path).unwrap();
    let bytes = std::fs::read(&png_path).unwrap();
    let md5 = hex::encode(
        ferret::hashing::hash_bytes(&bytes, ferret::AlgorithmSet::ALL)
            .md5
            .unwrap(),
    );
    std::fs::write(dir.path().join("set.txt"), format!("{md5}\n")).unwrap();
    let lib = dir.path().join("lib");
    assert!(
        util::ferret()
            .args(["hashset", "--library"])
            .arg(&lib)
            .args(["import", "-k", "alert", "-n", "s"])
            .arg(dir.path().join("set.txt"))
            .status()
            .unwrap()
            .success()
    );
    let case = dir.path().join("c.ferret");
    assert!(
        util::ferret()
            .args([
                "scan",
                "-q",
                "--new",
                "--case-number",
                "T",
                "--examiner",
                "E",
                "--library"
            ])
            .arg(&lib)
            .args(["-s", "s", "--case"])
            .arg(&case)
            .arg(&ev)
            .status()
            .unwrap()
            .success()
    );
    let plain = dir.path().join("plain");
    report(&case, &plain, "flagged");
    assert!(
        !std::fs::read_to_string(plain.join("report.html"))
            .unwrap()
            .contains("<img"),
        "off by default"
    );
    let with = dir.path().join("with");
    let o = util::ferret()
        .arg("report")
        .arg(&case)
        .arg("-o")
        .arg(&with)
        .args(["--format", "html", "--thumbnails"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(with.join("report.html")).unwrap();
    // Attribute values are HTML-escaped ('/' as &#x2f;), which browsers decode.
    let html = html.replace("&#x2f;", "/");
    let start = html
        .find("data:image/png;base64,")
        .expect("thumbnail embedded")
        + "data:image/png;base64,".len();
    let b64 = &html[start..start + html[start..].find('"').unwrap()];
    let thumb = image::load_from_memory(
        &base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap(),
    )
    .unwrap();
    assert!(
        matches!(thumb, image::DynamicImage::ImageLuma8(_)),
        "greyscale, never colour"
    );
    assert!(thumb.width() <= 160 && thumb.height() <= 160);
    let g = thumb.to_luma8();
    let edges: f64 = g
        .enumerate_pixels()
        .filter(|(x, _, _)| *x + 1 < g.width())
        .map(|(x, y, p)| (f64::from(p[0]) - f64::from(g.get_pixel(x + 1, y)[0])).abs())
        .sum::<f64>()
        / f64::from((g.width() - 1) * g.height());
    assert!(edges < 8.0, "blurred: mean neighbour difference {edges:.1}");
}

#[test]
fn malformed_images_never_crash_the_thumbnailer() {
    let Some(corpus) = util::corpus() else { return };
    let mut files = Vec::new();
    for sub in std::fs::read_dir(corpus.join("malformed-images")).unwrap() {
        let sub = sub.unwrap().path();
        if sub.is_dir() {
            files.extend(std::fs::read_dir(&sub).unwrap().map(|e| e.unwrap().path()));
        }
    }
    assert!(files.len() > 30);
    let (mut ok, mut refused) = (0, 0);
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let t = std::time::Instant::now();
        match ferret::thumbnail::safe_data_uri(&bytes, 160) {
            Ok(_) => ok += 1,
            Err(_) => refused += 1,
        }
        assert!(
            t.elapsed() < std::time::Duration::from_secs(10),
            "{} took {:?}",
            f.display(),
            t.elapsed()
        );
    }
    eprintln!("malformed-images: {ok} previewed, {refused} refused ('cannot preview')");
    assert!(refused > 0);
}
