//! Categorisation (issue 17): pre-categories from a VICS set, an
//! examiner's categories on items and on every copy of them, kept apart and
//! audit-logged, in reports, and exported as VICS 2.0 that re-imports with
//! the same MD5 → category pairs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::util::{self, ferret, run_ok};

const JPEG: &[u8] = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00";

fn md5(d: &[u8]) -> String {
    hex::encode(
        ferret::hashing::hash_bytes(d, ferret::AlgorithmSet::ALL)
            .md5
            .unwrap(),
    )
}

fn sha1(d: &[u8]) -> String {
    hex::encode(
        ferret::hashing::hash_bytes(d, ferret::AlgorithmSet::ALL)
            .sha1
            .unwrap(),
    )
}

/// An evidence tree of five pictures (one with a copy) and a text file,
/// and a library with a VICS set that pre-categorises a (1), c (2) and
/// f (1). Returns the evidence, the library and the files' bytes by name.
fn evidence(dir: &Path) -> (PathBuf, PathBuf, BTreeMap<&'static str, Vec<u8>>) {
    let ev = dir.join("ev");
    let bytes: BTreeMap<&str, Vec<u8>> = [
        ("a", [JPEG, b"a"].concat()),
        ("c", [JPEG, b"cc"].concat()),
        ("d", [JPEG, b"ddd"].concat()),
        ("f", [JPEG, b"ffff"].concat()),
    ]
    .into_iter()
    .collect();
    for (path, name) in [
        ("Pictures/a.jpg", "a"),
        ("Copies/a copy.jpg", "a"),
        ("Pictures/c.jpg", "c"),
        ("Pictures/d.jpg", "d"),
        ("Pictures/f.jpg", "f"),
    ] {
        let p = ev.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, &bytes[name]).unwrap();
    }
    std::fs::write(ev.join("notes.txt"), b"not a picture").unwrap();
    let vics = format!(
        "{{\"@odata.context\":\"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media\",\"value\":[\
         {{\"MediaID\":1,\"Category\":1,\"MD5\":\"{}\"}},{{\"MediaID\":2,\"Category\":2,\"MD5\":\"{}\"}},\
         {{\"MediaID\":3,\"Category\":1,\"MD5\":\"{}\"}}]}}",
        md5(&bytes["a"]).to_uppercase(),
        md5(&bytes["c"]).to_uppercase(),
        md5(&bytes["f"]).to_uppercase()
    );
    std::fs::write(dir.join("agency.json"), vics).unwrap();
    let lib = dir.join("lib");
    run_ok(
        ferret()
            .args(["hashset", "--library"])
            .arg(&lib)
            .args(["import", "-k", "alert", "-n", "agency"])
            .arg(dir.join("agency.json")),
    );
    (ev, lib, bytes)
}

/// [`evidence`] scanned into a new case `file` numbered `number`, with the
/// agency set: (case, evidence, library, the files' bytes).
fn scanned(
    dir: &Path,
    file: &str,
    number: &str,
) -> (PathBuf, PathBuf, PathBuf, BTreeMap<&'static str, Vec<u8>>) {
    let (ev, lib, bytes) = evidence(dir);
    let case = dir.join(file);
    util::new_case_scan(
        &case,
        &ev,
        number,
        &["--library", lib.to_str().unwrap(), "-s", "agency"],
    );
    (case, ev, lib, bytes)
}

/// `ferret case to-library CASE --set SET --library LIB`, its output.
fn to_library(case: &Path, set: &str, lib: &Path) -> std::process::Output {
    ferret()
        .args(["case", "to-library"])
        .arg(case)
        .args(["--set", set, "--library"])
        .arg(lib)
        .output()
        .unwrap()
}

fn categorise(case: &Path, args: &[&str]) -> String {
    let out = run_ok(ferret().args(["case", "categorise"]).arg(case).args(args));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The MD5s a library set lists with category `c`, through `hashset
/// export --where category=C`.
fn md5s_with_category(lib: &Path, set: &str, c: i64) -> Vec<String> {
    let out = run_ok(
        ferret()
            .args(["hashset", "--library"])
            .arg(lib)
            .args(["export", set, "-f", "plain", "-a", "md5"])
            .arg(format!("--where=category={c}")),
    );
    let mut v: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(str::to_lowercase)
        .collect();
    v.sort();
    v
}

#[test]
fn categories_come_from_sets_and_examiners_and_travel_as_vics() {
    let dir = tempfile::tempdir().unwrap();
    let (case, ev, lib, bytes) = scanned(dir.path(), "c.ferret", "CAT-1");

    // Pre-categories: the set's, kept with the set's name.
    let id_of = |store: &ferret::case::CaseStore, p: &str| store.find_item(p).unwrap()[0];
    {
        let store = ferret::case::CaseStore::open_read_only(&case).unwrap();
        let a = store
            .item_category(id_of(&store, "Pictures/a.jpg"))
            .unwrap();
        assert_eq!(a.preset, Some((1, "agency".to_string())));
        assert_eq!(
            (a.examiner, a.effective(), a.precategorised()),
            (None, Some(1), true)
        );
        let d = store
            .item_category(id_of(&store, "Pictures/d.jpg"))
            .unwrap();
        assert_eq!(d, ferret::case::ItemCategory::default());
        let counts = store.category_counts().unwrap();
        // a, its copy, c, f of the five pictures.
        assert_eq!((counts.categorised, counts.media), (4, 5));
        assert_eq!(counts.per_category, [0, 3, 1, 0, 0]);
    }

    // The examiner: d gets 3; c's set category 2 is overridden by 4 (both
    // kept); a gets 2, and so does its copy.
    let said = categorise(&case, &["Pictures/d.jpg", "-c", "3"]);
    assert!(
        said.starts_with("1 item(s) set to category 3 CGI / animation"),
        "{said}"
    );
    categorise(&case, &["Pictures/c.jpg", "-c", "4"]);
    let said = categorise(&case, &["Pictures/a.jpg", "-c", "2"]);
    assert!(
        said.contains("2 item(s)") && said.contains("1 of them copies"),
        "{said}"
    );
    // Refused: a category outside 0-4, and no category at all.
    let out = ferret()
        .args(["case", "categorise"])
        .arg(&case)
        .args(["Pictures/d.jpg", "-c", "5"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let out = ferret()
        .args(["case", "categorise"])
        .arg(&case)
        .arg("Pictures/d.jpg")
        .output()
        .unwrap();
    assert!(!out.status.success());

    // Reopened: what each item holds, both values, and one audit row per
    // item changed (d, c, a and its copy).
    {
        let store = ferret::case::CaseStore::open_read_only(&case).unwrap();
        let c = store
            .item_category(id_of(&store, "Pictures/c.jpg"))
            .unwrap();
        assert_eq!(c.examiner, Some(4));
        assert_eq!(c.preset, Some((2, "agency".to_string())));
        assert_eq!(c.effective(), Some(4));
        let copy = store
            .item_category(id_of(&store, "Copies/a copy.jpg"))
            .unwrap();
        assert_eq!((copy.examiner, copy.effective()), (Some(2), Some(2)));
        let counts = store.category_counts().unwrap();
        assert_eq!((counts.categorised, counts.media), (5, 5));
        assert_eq!(counts.per_category, [0, 1, 2, 1, 1]);
        let rows: i64 = util::db(&case)
            .query_row(
                "SELECT count(*) FROM audit WHERE action = 'review_category'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(rows, 4);
    }
    // The review marks replay from the audit log, categories included.
    run_ok(ferret().args(["case", "verify"]).arg(&case));

    // Clearing the examiner's category falls back to the set's.
    categorise(&case, &["Pictures/c.jpg", "--clear"]);
    {
        let store = ferret::case::CaseStore::open_read_only(&case).unwrap();
        let c = store
            .item_category(id_of(&store, "Pictures/c.jpg"))
            .unwrap();
        assert_eq!(
            (c.examiner, c.effective(), c.precategorised()),
            (None, Some(2), true)
        );
    }
    run_ok(ferret().args(["case", "verify"]).arg(&case));

    // VICS export of the categorised items, as the issue writes it.
    let report = dir.path().join("r");
    run_ok(
        ferret()
            .arg("report")
            .arg(&case)
            .args(["--format", "vics", "--scope", "categorised", "-o"])
            .arg(&report),
    );
    run_ok(ferret().arg("verify").arg(&report));
    let text = std::fs::read_to_string(report.join("vics.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let keys = |v: &serde_json::Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&doc), ["@odata.context", "value"]);
    assert_eq!(
        doc["@odata.context"],
        "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Cases"
    );
    let cases = doc["value"].as_array().unwrap();
    assert_eq!(cases.len(), 1);
    let c0 = &cases[0];
    assert_eq!(
        keys(c0),
        [
            "CaseID",
            "CaseNumber",
            "Media",
            "SourceApplicationName",
            "SourceApplicationVersion",
            "TotalMediaFiles"
        ]
    );
    assert_eq!(c0["CaseNumber"], "CAT-1");
    assert_eq!(c0["SourceApplicationName"], "ferret");
    assert_eq!(c0["SourceApplicationVersion"], env!("CARGO_PKG_VERSION"));
    let guid = c0["CaseID"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(guid).is_ok(), "{guid}");
    let media = c0["Media"].as_array().unwrap();
    // a (two copies), c, d, f: one medium per MD5.
    assert_eq!(media.len(), 4);
    assert_eq!(c0["TotalMediaFiles"], 4);
    let mut by_md5 = BTreeMap::new();
    for (i, m) in media.iter().enumerate() {
        assert_eq!(
            keys(m),
            [
                "Category",
                "IsPrecategorized",
                "MD5",
                "MediaFiles",
                "MediaID",
                "MediaSize",
                "SHA1"
            ]
        );
        assert_eq!(m["MediaID"], i as u64 + 1);
        assert!(m["Category"].is_i64() && m["MediaSize"].is_u64());
        let md5 = m["MD5"].as_str().unwrap();
        assert_eq!(md5, md5.to_uppercase());
        assert_eq!(
            m["SHA1"].as_str().unwrap(),
            m["SHA1"].as_str().unwrap().to_uppercase()
        );
        for f in m["MediaFiles"].as_array().unwrap() {
            assert_eq!(keys(f), ["FileName", "FilePath", "MD5"]);
            assert_eq!(f["MD5"], md5);
        }
        by_md5.insert(md5.to_lowercase(), m.clone());
    }
    let a = &by_md5[&md5(&bytes["a"])];
    assert_eq!(a["Category"], 2);
    assert_eq!(a["IsPrecategorized"], "false");
    assert_eq!(a["SHA1"], sha1(&bytes["a"]).to_uppercase());
    assert_eq!(a["MediaSize"], bytes["a"].len() as u64);
    let mut names: Vec<String> = a["MediaFiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}{}",
                f["FilePath"].as_str().unwrap(),
                f["FileName"].as_str().unwrap()
            )
        })
        .collect();
    names.sort();
    let root = ev.display().to_string();
    assert_eq!(
        names,
        [
            format!("{root}/Copies/a copy.jpg"),
            format!("{root}/Pictures/a.jpg")
        ]
    );
    let c = &by_md5[&md5(&bytes["c"])];
    assert_eq!(
        (c["Category"].as_i64(), c["IsPrecategorized"].as_str()),
        (Some(2), Some("true"))
    );
    let d = &by_md5[&md5(&bytes["d"])];
    assert_eq!(
        (d["Category"].as_i64(), d["IsPrecategorized"].as_str()),
        (Some(3), Some("false"))
    );
    let f = &by_md5[&md5(&bytes["f"])];
    assert_eq!(
        (f["Category"].as_i64(), f["IsPrecategorized"].as_str()),
        (Some(1), Some("true"))
    );

    // It re-imports into Ferret with the same MD5 → category pairs.
    run_ok(
        ferret()
            .args(["hashset", "--library"])
            .arg(&lib)
            .args(["import", "-k", "alert", "-n", "back"])
            .arg(report.join("vics.json")),
    );
    for (cat, want) in [
        (1, vec![md5(&bytes["f"])]),
        (2, {
            let mut v = vec![md5(&bytes["a"]), md5(&bytes["c"])];
            v.sort();
            v
        }),
        (3, vec![md5(&bytes["d"])]),
        (0, vec![]),
        (4, vec![]),
    ] {
        assert_eq!(
            md5s_with_category(&lib, "back", cat),
            want,
            "category {cat}"
        );
    }

    // The other reports carry the category: CSV columns and JSON counts.
    let full = dir.path().join("full");
    run_ok(
        ferret()
            .arg("report")
            .arg(&case)
            .args([
                "--format",
                "csv,json,html,dfxml,case",
                "--scope",
                "all",
                "-o",
            ])
            .arg(&full),
    );
    // CASE/UCO tags the file with it, and stays valid.
    let uco = std::fs::read_to_string(full.join("case-uco.jsonld")).unwrap();
    assert!(
        uco.contains("\"uco-core:tag\":[\"Project VIC category 3 CGI / animation (US profile, from examiner)\"]"),
        "{uco}"
    );
    crate::report::assert_case_conforms(&full.join("case-uco.jsonld"));
    // DFXML carries it as a Ferret element the schema allows.
    let dfxml = std::fs::read_to_string(full.join("report.dfxml")).unwrap();
    assert!(
        dfxml.contains(
            "<ferret:category number=\"3\" profile=\"US\" source=\"examiner\">CGI / animation</ferret:category>"
        ),
        "{dfxml}"
    );
    match util::corpus().filter(|_| util::have_tool("xmllint")) {
        Some(corpus) => {
            let o = std::process::Command::new("xmllint")
                .args(["--noout", "--schema"])
                .arg(corpus.join("dfxml/schema/dfxml.xsd"))
                .arg(full.join("report.dfxml"))
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        }
        None => eprintln!("SKIP: DFXML schema check (no corpus or no xmllint)"),
    }
    let mut csv = csv::Reader::from_path(full.join("items.csv")).unwrap();
    let headers = csv.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (path, cat, label, profile, source) = (
        col("path"),
        col("category"),
        col("category_label"),
        col("category_profile"),
        col("category_source"),
    );
    let rows: BTreeMap<String, [String; 4]> = csv
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[path].to_string(),
                [
                    r[cat].to_string(),
                    r[label].to_string(),
                    r[profile].to_string(),
                    r[source].to_string(),
                ],
            )
        })
        .collect();
    assert_eq!(
        rows["Pictures/d.jpg"],
        ["3", "CGI / animation", "US", "examiner"]
    );
    assert_eq!(
        rows["Pictures/f.jpg"],
        ["1", "Child abuse material", "US", "hash set"]
    );
    assert_eq!(rows["notes.txt"], ["", "", "", ""]);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(full.join("report.json")).unwrap()).unwrap();
    let cats = &json["categories"];
    assert_eq!(cats["profile"], "US");
    assert_eq!(
        (
            cats["categorised"].as_u64(),
            cats["pictures_and_videos"].as_u64()
        ),
        (Some(5), Some(5))
    );
    let per: Vec<u64> = cats["per_category"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["items"].as_u64().unwrap())
        .collect();
    assert_eq!(per, [0, 1, 3, 1, 0]);
    let html = std::fs::read_to_string(full.join("report.html")).unwrap();
    assert!(html.contains("Category 3 CGI &#x2f; animation (examiner)"));
    assert!(html.contains("5 of 5"));
}

#[test]
fn a_vics_export_refuses_files_without_md5() {
    let dir = tempfile::tempdir().unwrap();
    let (ev, _lib, _) = evidence(dir.path());
    let case = dir.path().join("c.ferret");
    util::new_case_scan(&case, &ev, "CAT-2", &["-a", "sha256"]);
    categorise(&case, &["Pictures/d.jpg", "-c", "1"]);
    let out = ferret()
        .arg("report")
        .arg(&case)
        .args(["--format", "vics", "--scope", "categorised", "-o"])
        .arg(dir.path().join("r"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("1 file(s) of this scope have no MD5"), "{err}");
    assert!(!dir.path().join("r").exists());
}

#[test]
fn labels_are_the_cases_and_a_report_without_out_lands_beside_the_case() {
    let dir = tempfile::tempdir().unwrap();
    let (ev, _lib, _) = evidence(dir.path());
    let case = dir.path().join("c.ferret");
    util::new_case_scan(&case, &ev, "CAT-3", &[]);
    categorise(&case, &["Pictures/d.jpg", "-c", "1"]);
    let out = run_ok(ferret().args(["case", "categories"]).arg(&case).args([
        "--profile",
        "UK",
        "--label",
        "1=Category A",
    ]));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("profile\tUK\n"), "{text}");
    assert!(text.contains("1\t1\tCategory A\n"), "{text}");
    assert!(text.contains("2\t0\t(no label)\n"), "{text}");
    assert!(
        text.contains("1 of 5 pictures and videos categorised"),
        "{text}"
    );
    let out = run_ok(ferret().arg("report").arg(&case).args(["--format", "vics"]));
    let listed = String::from_utf8_lossy(&out.stdout);
    let vics = listed
        .lines()
        .find(|l| l.ends_with("vics.json"))
        .expect("the VICS file is listed");
    let vics = Path::new(vics);
    assert_eq!(vics.parent().unwrap().parent().unwrap(), dir.path());
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(vics).unwrap()).unwrap();
    assert_eq!(
        doc["@odata.context"],
        "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/UK/$metadata#Cases"
    );
    // The default scope (flagged) holds no flagged item here: no media.
    assert_eq!(doc["value"][0]["TotalMediaFiles"], 0);
    let actions: Vec<String> = util::db(&case)
        .prepare("SELECT action FROM audit WHERE action LIKE 'category_%' ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(actions, ["category_profile", "category_label"]);
}

#[test]
fn categorised_items_grow_the_library_and_the_next_scan_finds_them() {
    let dir = tempfile::tempdir().unwrap();
    let (case, _, lib, bytes) = scanned(dir.path(), "a.ferret", "CAT-G");
    categorise(&case, &["Pictures/d.jpg", "-c", "3"]);
    // The examiner says a is non-pertinent, over the agency's 1.
    categorise(&case, &["Pictures/a.jpg", "-c", "0"]);
    let grow = |case: &Path, set: &str| to_library(case, set, &lib);
    let out = grow(&case, "grown");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // a (with its copy), c, d, f: four media.
    assert!(
        said.starts_with(
            "grown: 4 media of this case; the set now holds 4 entries from case CAT-G"
        ),
        "{said}"
    );
    let rows: i64 = util::db(&case)
        .query_row(
            "SELECT count(*) FROM audit WHERE action = 'library_grown' AND detail LIKE '%\"set\":\"grown\"%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(rows, 1);
    // A set of that name that was not grown from cases is never replaced.
    let out = grow(&case, "agency");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("was not grown from cases"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The next scan, elsewhere, with only the grown set: d is an alert of
    // category 3, a is known-good (category 0), the new picture is nothing.
    let ev2 = dir.path().join("ev2");
    std::fs::create_dir_all(&ev2).unwrap();
    std::fs::write(ev2.join("seen again.jpg"), &bytes["d"]).unwrap();
    std::fs::write(ev2.join("harmless.jpg"), &bytes["a"]).unwrap();
    std::fs::write(ev2.join("new.jpg"), [JPEG, b"new"].concat()).unwrap();
    let case2 = dir.path().join("b.ferret");
    util::new_case_scan(
        &case2,
        &ev2,
        "CAT-H",
        &["--library", lib.to_str().unwrap(), "-s", "grown"],
    );
    let hits: BTreeMap<String, (String, Option<i64>)> = util::db(&case2)
        .prepare(
            "SELECT f.path_text, h.kind, h.category FROM hits h JOIN files f ON f.id = h.file_id",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        hits,
        BTreeMap::from([
            ("seen again.jpg".to_string(), ("alert".to_string(), Some(3))),
            ("harmless.jpg".to_string(), ("ignore".to_string(), Some(0))),
        ])
    );
    // That case categorises its new picture and grows the same set: both
    // cases are in it now, each with its own media.
    categorise(&case2, &["new.jpg", "-c", "2"]);
    let out = grow(&case2, "grown");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // CAT-H: new (2), seen again (3, from the set), harmless (0, from the set).
    assert!(
        said.starts_with(
            "grown: 3 media of this case; the set now holds 7 entries from cases CAT-G, CAT-H"
        ),
        "{said}"
    );
    let info = run_ok(
        ferret()
            .args(["hashset", "--library"])
            .arg(&lib)
            .args(["info", "grown"]),
    );
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("cases CAT-G, CAT-H"), "{info}");
    assert_eq!(md5s_with_category(&lib, "grown", 2), {
        let mut v = vec![md5(&bytes["c"]), md5(&[JPEG, b"new"].concat())];
        v.sort();
        v
    });
}

#[test]
fn every_picture_scope_category_and_set_filters_and_the_group_sort() {
    use ferret::case::review::{CategoryChoice, FlagFilter, SortKey};
    let dir = tempfile::tempdir().unwrap();
    let (case, _, _, _) = scanned(dir.path(), "c.ferret", "CAT-F");
    categorise(&case, &["Pictures/d.jpg", "-c", "4"]);
    let store = ferret::case::CaseStore::open_read_only(&case).unwrap();
    let paths = |f: &FlagFilter, sort: SortKey| -> Vec<String> {
        assert_eq!(
            store.count_flagged(f).unwrap() as usize,
            store.flagged(f, sort, false, 0, 100).unwrap().len()
        );
        store
            .flagged(f, sort, false, 0, 100)
            .unwrap()
            .into_iter()
            .map(|r| r.path)
            .collect()
    };
    let all = FlagFilter {
        all_media: true,
        ..Default::default()
    };
    // Every picture, flagged or not (d is not flagged), not the text file.
    assert_eq!(
        paths(&all, SortKey::Path),
        [
            "Copies/a copy.jpg",
            "Pictures/a.jpg",
            "Pictures/c.jpg",
            "Pictures/d.jpg",
            "Pictures/f.jpg"
        ]
    );
    // By group: the copies of a next to each other, whatever their paths.
    let grouped = paths(&all, SortKey::Group);
    let at = |p: &str| grouped.iter().position(|x| x == p).unwrap();
    assert_eq!(at("Copies/a copy.jpg").abs_diff(at("Pictures/a.jpg")), 1);
    let rows = store.flagged(&all, SortKey::Path, false, 0, 100).unwrap();
    assert_eq!(rows[0].copies, 2);
    assert_eq!(rows[2].copies, 1);
    assert_eq!(rows[0].md5, rows[1].md5);
    assert!(rows.iter().all(|r| r.picture));
    // The category filter: the sets' and the examiner's together.
    let with = |c: CategoryChoice| FlagFilter {
        categorised: Some(c),
        ..all.clone()
    };
    assert_eq!(
        paths(&with(CategoryChoice::Is(1)), SortKey::Path),
        ["Copies/a copy.jpg", "Pictures/a.jpg", "Pictures/f.jpg"]
    );
    assert_eq!(
        paths(&with(CategoryChoice::Is(4)), SortKey::Path),
        ["Pictures/d.jpg"]
    );
    categorise(&case, &["Pictures/d.jpg", "--clear"]);
    assert_eq!(
        paths(&with(CategoryChoice::Uncategorised), SortKey::Path),
        ["Pictures/d.jpg"]
    );
    // Per hash set, and by category (uncategorised first).
    let agency = FlagFilter {
        set: Some("agency".into()),
        ..all.clone()
    };
    assert_eq!(paths(&agency, SortKey::Path).len(), 4);
    assert_eq!(paths(&all, SortKey::Category)[0], "Pictures/d.jpg");
}

/// The two 128-byte blocks of Wang et al.'s 2004 MD5 collision: one MD5,
/// other SHA-1 and SHA-256 (harmless data).
fn md5_collision() -> (Vec<u8>, Vec<u8>) {
    let a = hex::decode(
        "d131dd02c5e6eec4693d9a0698aff95c2fcab58712467eab4004583eb8fb7f8955ad340609f4b30283e488832571415a085125e8f7cdc99fd91dbdf280373c5bd8823e3156348f5bae6dacd436c919c6dd53e2b487da03fd02396306d248cda0e99f33420f577ee8ce54b67080a80d1ec69821bcb6a8839396f9652b6ff72a70",
    )
    .unwrap();
    let b = hex::decode(
        "d131dd02c5e6eec4693d9a0698aff95c2fcab50712467eab4004583eb8fb7f8955ad340609f4b30283e4888325f1415a085125e8f7cdc99fd91dbd7280373c5bd8823e3156348f5bae6dacd436c919c6dd53e23487da03fd02396306d248cda0e99f33420f577ee8ce54b67080280d1ec69821bcb6a8839396f965ab6ff72a70",
    )
    .unwrap();
    assert_eq!(md5(&a), md5(&b));
    assert_ne!(sha1(&a), sha1(&b));
    (a, b)
}

#[test]
fn an_md5_collision_is_never_a_copy_nor_one_vics_medium() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    std::fs::create_dir_all(&ev).unwrap();
    let (a, b) = md5_collision();
    std::fs::write(ev.join("colA.bin"), &a).unwrap();
    std::fs::write(ev.join("colB.bin"), &b).unwrap();
    std::fs::write(ev.join("colA copy.bin"), &a).unwrap();
    for (n, algorithms) in [
        ("all", None),
        ("md5-sha1", Some("md5,sha1")),
        ("md5", Some("md5")),
    ] {
        let case = dir.path().join(format!("{n}.ferret"));
        let mut extra = vec![];
        if let Some(a) = algorithms {
            extra = vec!["-a", a];
        }
        util::new_case_scan(&case, &ev, &format!("COL-{n}"), &extra);
        let said = categorise(&case, &["colA.bin", "-c", "1"]);
        let store = ferret::case::CaseStore::open_read_only(&case).unwrap();
        let cat = |p: &str| {
            let id = store.find_item(p).unwrap()[0];
            store.item_category(id).unwrap().examiner
        };
        // colB shares colA's MD5 only: never categorised with it. Its real
        // copy is, unless only an MD5 was computed (then nothing proves it).
        assert_eq!(cat("colB.bin"), None, "{n}: {said}");
        let copy = if n == "md5" { None } else { Some(1) };
        assert_eq!(cat("colA copy.bin"), copy, "{n}: {said}");
        // VICS: colB is not in colA's medium, so it takes no category of it.
        let out = dir.path().join(format!("r-{n}"));
        run_ok(
            ferret()
                .arg("report")
                .arg(&case)
                .args(["--format", "vics", "--scope", "all", "-o"])
                .arg(&out),
        );
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("vics.json")).unwrap()).unwrap();
        let media = doc["value"][0]["Media"].as_array().unwrap();
        let with_b: Vec<&serde_json::Value> = media
            .iter()
            .filter(|m| {
                m["MediaFiles"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|f| f["FileName"] == "colB.bin")
            })
            .collect();
        assert_eq!(with_b.len(), 1, "{n}");
        assert_eq!(with_b[0]["MediaFiles"].as_array().unwrap().len(), 1, "{n}");
        assert!(with_b[0].get("Category").is_none(), "{n}: {}", with_b[0]);
        if n != "md5" {
            assert_eq!(with_b[0]["SHA1"], sha1(&b).to_uppercase());
        }
    }
}

#[test]
fn to_library_is_refused_inside_the_evidence_and_for_other_profiles_and_a_folder_is_no_medium() {
    let dir = tempfile::tempdir().unwrap();
    let (case, ev, _, _) = scanned(dir.path(), "c.ferret", "CAT-R");
    categorise(&case, &["Pictures/d.jpg", "-c", "3"]);
    let before = util::stat_snapshot(&ev);
    let out = to_library(&case, "x", &ev.join("lib"));
    assert!(!out.status.success());
    assert!(!ev.join("lib").exists());
    assert_eq!(util::stat_snapshot(&ev), before);
    // A folder is not a file: it cannot be categorised (it could never be
    // a VICS medium).
    let out = ferret()
        .args(["case", "categorise"])
        .arg(&case)
        .args(["Pictures", "-c", "1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a hashed file"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Another profile's numbers are not mapped to kinds.
    run_ok(
        ferret()
            .args(["case", "categories"])
            .arg(&case)
            .args(["--profile", "UK"]),
    );
    let out = to_library(&case, "x", &dir.path().join("lib2"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("UK category profile"));
    // A profile name is a URL segment: nothing else is taken.
    let out = ferret()
        .args(["case", "categories"])
        .arg(&case)
        .args(["--profile", "UK/$metadata#Media?x="])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn two_cases_with_one_number_both_stay_in_a_grown_set() {
    let dir = tempfile::tempdir().unwrap();
    let (case, _, lib, bytes) = scanned(dir.path(), "c.ferret", "SAME-1");
    categorise(&case, &["Pictures/d.jpg", "-c", "3"]);
    let ev2 = dir.path().join("ev2");
    std::fs::create_dir_all(&ev2).unwrap();
    std::fs::write(ev2.join("other.jpg"), [JPEG, b"other"].concat()).unwrap();
    let case2 = dir.path().join("d.ferret");
    util::new_case_scan(&case2, &ev2, "SAME-1", &[]);
    categorise(&case2, &["other.jpg", "-c", "2"]);
    for c in [&case, &case2] {
        let out = to_library(c, "grown", &lib);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(md5s_with_category(&lib, "grown", 3), [md5(&bytes["d"])]);
    assert_eq!(md5s_with_category(&lib, "grown", 2), {
        let mut v = vec![md5(&bytes["c"]), md5(&[JPEG, b"other"].concat())];
        v.sort();
        v
    });
}

#[cfg(unix)]
#[test]
fn vics_file_names_keep_their_escapes_whole() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    std::fs::create_dir_all(ev.join("sub")).unwrap();
    std::fs::write(ev.join("sub/back\\slash.jpg"), [JPEG, b"1"].concat()).unwrap();
    std::fs::write(ev.join("sub/new\nline.jpg"), [JPEG, b"2"].concat()).unwrap();
    let case = dir.path().join("c.ferret");
    util::new_case_scan(&case, &ev, "ESC-1", &[]);
    let store = ferret::case::CaseStore::open_read_only(&case).unwrap();
    let rows = store.flagged(
        &ferret::case::review::FlagFilter {
            all_media: true,
            ..Default::default()
        },
        ferret::case::review::SortKey::Path,
        false,
        0,
        10,
    );
    let paths: Vec<String> = rows.unwrap().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["sub/back\\\\slash.jpg", "sub/new\\nline.jpg"]);
    drop(store);
    for p in &paths {
        categorise(&case, &[p.as_str(), "-c", "2"]);
    }
    let out = dir.path().join("r");
    run_ok(
        ferret()
            .arg("report")
            .arg(&case)
            .args(["--format", "vics", "--scope", "categorised", "-o"])
            .arg(&out),
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("vics.json")).unwrap()).unwrap();
    let mut names: Vec<(String, String)> = doc["value"][0]["Media"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let f = &m["MediaFiles"][0];
            (
                f["FilePath"].as_str().unwrap().to_string(),
                f["FileName"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    names.sort();
    let folder = format!("{}/sub/", ev.display());
    assert_eq!(
        names,
        [
            (folder.clone(), "back\\\\slash.jpg".to_string()),
            (folder, "new\\nline.jpg".to_string())
        ]
    );
}
