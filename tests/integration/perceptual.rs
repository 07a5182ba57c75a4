//! Perceptual hashes in scans: every still picture gets a PDQ hash and
//! quality (the reference's value for a lossless corpus picture), a picture
//! that cannot be decoded says why, and nothing else gets one.

use crate::util;

/// `c.png` of the ThreatExchange corpus and its hash by Meta's C++
/// reference (`expected-cpp.tsv`).
const C_PNG: &str = "pdq/data/misc-images/c.png";
const C_PNG_PDQ: &str = "e64cc9d91c623882f8d1f1d9a398e78c9f199b3bd83924f2b7e11e0bf861b064";

fn tree() -> Option<tempfile::TempDir> {
    let Some(corpus) = util::corpus() else {
        eprintln!("SKIP perceptual scan: ../shared/corpus absent");
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    std::fs::create_dir(&ev).unwrap();
    std::fs::copy(corpus.join(C_PNG), ev.join("c.png")).unwrap();
    // A JPEG signature followed by rubbish: a picture that cannot be decoded.
    let mut bad = vec![
        0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0,
    ];
    bad.extend(std::iter::repeat_n(0x55, 4000));
    std::fs::write(ev.join("broken.jpg"), bad).unwrap();
    std::fs::write(ev.join("notes.txt"), b"no picture here").unwrap();
    // The same picture inside a zip: members are hashed too.
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    z.start_file("pics/c.png", zip::write::SimpleFileOptions::default())
        .unwrap();
    std::io::Write::write_all(&mut z, &std::fs::read(corpus.join(C_PNG)).unwrap()).unwrap();
    std::fs::write(ev.join("album.zip"), z.finish().unwrap().into_inner()).unwrap();
    Some(dir)
}

#[test]
fn inventory_pdq_gives_the_reference_hash_and_says_why_a_picture_has_none() {
    let Some(dir) = tree() else { return };
    let out = util::run_ok(
        util::ferret()
            .args(["inventory", "-q", "--pdq", "-f", "jsonl", "-a", "sha256"])
            .arg(dir.path().join("ev")),
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let of = |name: &str| {
        lines
            .iter()
            .find(|o| o["path"].as_str().unwrap().ends_with(name))
            .unwrap()
            .clone()
    };
    let png = of("c.png");
    assert_eq!(png["pdq"], C_PNG_PDQ);
    assert_eq!(png["pdq_quality"], 100);
    let broken = of("broken.jpg");
    assert!(broken["pdq"].is_null());
    assert!(
        broken["pdq_error"].as_str().is_some_and(|e| !e.is_empty()),
        "{broken}"
    );
    let text = of("notes.txt");
    assert!(
        text["pdq"].is_null() && text["pdq_error"].is_null(),
        "{text}"
    );
    // Without --pdq, no picture is decoded.
    let out = util::run_ok(
        util::ferret()
            .args(["inventory", "-q", "-f", "jsonl", "-a", "sha256"])
            .arg(dir.path().join("ev")),
    );
    assert!(!String::from_utf8(out.stdout).unwrap().contains("pdq"));
}

#[test]
fn a_scan_records_pdq_in_the_case_unless_told_not_to() {
    let Some(dir) = tree() else { return };
    let ev = dir.path().join("ev");
    let case = dir.path().join("case.ferret");
    util::new_case_scan(&case, &ev, "PDQ-1", &[]);
    let conn = util::db(&case);
    let (pdq, quality): (Vec<u8>, i64) = conn
        .query_row(
            "SELECT pdq, pdq_quality FROM files WHERE name_text = 'c.png'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(hex::encode(pdq), C_PNG_PDQ);
    assert_eq!(quality, 100);
    let note: Option<String> = conn
        .query_row(
            "SELECT pdq_note FROM files WHERE name_text = 'broken.jpg'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(note.is_some_and(|n| !n.is_empty()));
    let member: Vec<u8> = conn
        .query_row(
            "SELECT pdq FROM files WHERE member_text LIKE '%c.png'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(hex::encode(member), C_PNG_PDQ);
    let hashed: i64 = conn
        .query_row("SELECT count(pdq) FROM files", [], |r| r.get(0))
        .unwrap();
    assert_eq!(hashed, 2);
    // Reports carry it: CSV and JSON.
    let out = dir.path().join("report");
    util::run_ok(
        util::ferret()
            .args(["report", "--scope", "all", "--out"])
            .arg(&out)
            .arg(&case),
    );
    let csv = std::fs::read_to_string(out.join("items.csv")).unwrap();
    assert_eq!(
        csv.matches(&format!(",{C_PNG_PDQ},100")).count(),
        2,
        "{csv}"
    );
    let json = std::fs::read_to_string(out.join("report.json")).unwrap();
    assert_eq!(json.matches(C_PNG_PDQ).count(), 2);

    let off = dir.path().join("off.ferret");
    util::new_case_scan(&off, &ev, "PDQ-2", &["--no-pdq"]);
    let any: i64 = util::db(&off)
        .query_row(
            "SELECT count(*) FROM files WHERE pdq IS NOT NULL OR pdq_note IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(any, 0);
}

/// A harmless generated "photo": a smooth background and a dozen
/// rectangles and discs of colours and places drawn from `seed`.
fn picture(seed: u64, w: u32, h: u32) -> image::RgbImage {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let base = [next() as u8, next() as u8, next() as u8];
    let mut img = image::RgbImage::from_fn(w, h, |x, y| {
        let t = (x + y) as f32 / (w + h) as f32;
        image::Rgb(base.map(|c| (f32::from(c) * (1.0 - t) + 128.0 * t) as u8))
    });
    for _ in 0..12 {
        let (cx, cy) = (
            (next() % u64::from(w)) as i64,
            (next() % u64::from(h)) as i64,
        );
        let r = (40 + next() % 120) as i64;
        let colour = image::Rgb([next() as u8, next() as u8, next() as u8]);
        let disc = next() % 2 == 0;
        for y in (cy - r).max(0)..(cy + r).min(i64::from(h)) {
            for x in (cx - r).max(0)..(cx + r).min(i64::from(w)) {
                let (dx, dy) = (x - cx, y - cy);
                if !disc || dx * dx + dy * dy <= r * r {
                    img.put_pixel(x as u32, y as u32, colour);
                }
            }
        }
    }
    img
}

fn jpeg(img: &image::RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(img)
        .unwrap();
    out
}

fn png(img: &image::RgbImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// The issue's end-to-end acceptance: a PDQ alert set built from harmless
/// generated originals (their hashes as `ferret inventory --pdq` gives
/// them, written as pdq-photo-hasher's `hash,quality,name` CSV and imported
/// with `--algorithm pdq`) flags their resized, re-compressed, mirrored and
/// rotated copies in an evidence tree (one inside a zip), each with its
/// distance, and none of the unrelated pictures; copies of one original
/// share a near-duplicate group; reports say "PDQ near-duplicate" with the
/// distance, and DFXML and CASE/UCO carry the hashes and validate.
#[test]
fn a_pdq_alert_set_flags_resized_recompressed_and_mirrored_copies_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let originals = dir.path().join("originals");
    let ev = dir.path().join("ev");
    std::fs::create_dir_all(&originals).unwrap();
    std::fs::create_dir_all(ev.join("copies")).unwrap();
    std::fs::create_dir_all(ev.join("other")).unwrap();
    let mut copies = Vec::new();
    for i in 0..3u64 {
        let img = picture(i + 1, 800, 600);
        std::fs::write(originals.join(format!("o{i}.png")), png(&img)).unwrap();
        let small = image::imageops::resize(&img, 400, 300, image::imageops::FilterType::Triangle);
        let named = [
            (format!("o{i}-small.jpg"), jpeg(&small, 80)),
            (format!("o{i}-q30.jpg"), jpeg(&img, 30)),
            (
                format!("o{i}-mirror.png"),
                png(&image::imageops::flip_horizontal(&img)),
            ),
            (
                format!("o{i}-rot90.jpg"),
                jpeg(&image::imageops::rotate90(&img), 85),
            ),
        ];
        for (name, bytes) in named {
            std::fs::write(ev.join("copies").join(&name), bytes).unwrap();
            copies.push(name);
        }
    }
    // The same resized copy inside a zip: members are matched too.
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    z.start_file(
        "inner/o0-small.jpg",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    std::io::Write::write_all(
        &mut z,
        &std::fs::read(ev.join("copies/o0-small.jpg")).unwrap(),
    )
    .unwrap();
    std::fs::write(ev.join("album.zip"), z.finish().unwrap().into_inner()).unwrap();
    // A flat picture: quality 0, too featureless to match; the case says so.
    let flat = image::RgbImage::from_pixel(640, 480, image::Rgb([90, 90, 90]));
    std::fs::write(ev.join("other/flat.png"), png(&flat)).unwrap();
    for i in 0..6u64 {
        let img = picture(100 + i, 640, 480);
        std::fs::write(ev.join("other").join(format!("u{i}.jpg")), jpeg(&img, 85)).unwrap();
    }

    // The set, as pdq-photo-hasher writes it (hash,quality,name).
    let out = util::run_ok(
        util::ferret()
            .args(["inventory", "-q", "--pdq", "-f", "jsonl", "-a", "md5"])
            .arg(&originals),
    );
    let mut csv = String::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let o: serde_json::Value = serde_json::from_str(line).unwrap();
        let q = o["pdq_quality"].as_i64().unwrap();
        assert!(q >= 50, "a generated original of quality {q}: {o}");
        csv.push_str(&format!(
            "{},{q},{}\n",
            o["pdq"].as_str().unwrap(),
            o["path"].as_str().unwrap()
        ));
    }
    assert_eq!(csv.lines().count(), 3);
    let set = dir.path().join("known.csv");
    std::fs::write(&set, &csv).unwrap();
    let lib = dir.path().join("lib");
    // Without --algorithm pdq the same list is no PDQ set: 64-hex values
    // are never guessed to be PDQ.
    util::run_ok(
        util::ferret()
            .args(["hashset", "--library"])
            .arg(&lib)
            .args([
                "import", "-k", "alert", "-n", "guessed", "--format", "plain",
            ])
            .arg(&set),
    );
    let info = util::run_ok(
        util::ferret()
            .args(["hashset", "--library"])
            .arg(&lib)
            .args(["info", "guessed"]),
    );
    let info = String::from_utf8(info.stdout).unwrap();
    assert!(!info.contains("pdq"), "{info}");
    util::run_ok(
        util::ferret()
            .args(["hashset", "--library"])
            .arg(&lib)
            .args(["remove", "guessed"]),
    );
    util::run_ok(
        util::ferret()
            .args(["hashset", "--library"])
            .arg(&lib)
            .args(["import", "-k", "alert", "-n", "known", "--algorithm", "pdq"])
            .arg(&set),
    );
    let info = util::run_ok(
        util::ferret()
            .args(["hashset", "--library"])
            .arg(&lib)
            .args(["info", "known"]),
    );
    let info = String::from_utf8(info.stdout).unwrap();
    assert!(
        info.contains("pdq:           3 hashes; match within 31 bits, quality at least 50"),
        "{info}"
    );
    // Exported as pdq-photo-hasher CSV, the set is its source again.
    let exported = util::run_ok(
        util::ferret()
            .args(["hashset", "--library"])
            .arg(&lib)
            .args(["export", "known", "--format", "pdq"]),
    );
    assert_eq!(String::from_utf8(exported.stdout).unwrap(), csv);

    let case = dir.path().join("c.ferret");
    let lib_arg = lib.to_str().unwrap();
    util::new_case_scan(
        &case,
        &ev,
        "PDQ-E2E",
        &["--library", lib_arg, "--hashset", "known"],
    );
    let conn = util::db(&case);
    let mut st = conn
        .prepare(
            "SELECT f.path_text || coalesce(f.member_text, ''), h.algorithm, h.distance, h.entry_name
             FROM hits h JOIN files f ON f.id = h.file_id ORDER BY 1",
        )
        .unwrap();
    let hits: Vec<(String, String, i64, String)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut want: Vec<String> = copies.iter().map(|c| format!("copies/{c}")).collect();
    want.push(r"album.zip\>inner/o0-small.jpg".into());
    want.sort();
    let got: Vec<String> = hits.iter().map(|h| h.0.clone()).collect();
    assert_eq!(got, want, "{hits:#?}");
    for (path, algorithm, distance, entry) in &hits {
        assert_eq!(algorithm, "pdq");
        assert!((0..=31).contains(distance), "{path}: distance {distance}");
        // Each copy matched its own original.
        let stem = path.rsplit('/').next().unwrap().split('-').next().unwrap();
        assert!(
            entry.ends_with(&format!("{stem}.png")),
            "{path} matched {entry}"
        );
    }
    let (quality, note): (i64, String) = conn
        .query_row(
            "SELECT pdq_quality, pdq_note FROM files WHERE name_text = 'flat.png'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(quality, 0);
    assert_eq!(
        note,
        "PDQ quality 0 is too low to match on: not matched against known (minimum 50)"
    );
    let flagged: Vec<(String, String)> = conn
        .prepare("SELECT f.name_text, g.detail FROM flags g JOIN files f ON f.id = g.file_id WHERE g.reason = 'alert'")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(flagged.len(), want.len(), "{flagged:?}");
    assert!(
        flagged.iter().all(
            |(n, d)| !n.starts_with('u') && d.starts_with("near-duplicate of known (distance ")
        )
    );
    eprintln!(
        "PDQ distances of the copies: {:?}",
        hits.iter().map(|h| (&h.0, h.2)).collect::<Vec<_>>()
    );

    // Copies of one original share a group, rotated and mirrored ones
    // too (through their dihedral views); unrelated pictures are in none.
    let group = |name: &str| -> Option<i64> {
        conn.query_row(
            "SELECT similar_group FROM files WHERE path_text = ?1",
            [name],
            |r| r.get(0),
        )
        .unwrap()
    };
    for i in 0..3 {
        let g = group(&format!("copies/o{i}-small.jpg"));
        assert!(g.is_some());
        assert_eq!(g, group(&format!("copies/o{i}-q30.jpg")));
        assert_eq!(g, group(&format!("copies/o{i}-mirror.png")));
        assert_eq!(g, group(&format!("copies/o{i}-rot90.jpg")));
        assert_ne!(g, group(&format!("copies/o{}-small.jpg", (i + 1) % 3)));
    }
    for i in 0..6 {
        assert_eq!(group(&format!("other/u{i}.jpg")), None);
    }
    let similar = util::run_ok(
        util::ferret()
            .args(["case", "similar"])
            .arg(&case)
            .arg("copies/o1-small.jpg"),
    );
    let similar = String::from_utf8(similar.stdout).unwrap();
    let lines: Vec<&str> = similar.lines().collect();
    assert_eq!(lines[0], "id\tdistance\tquality\tpdq\texhibit\tpath");
    assert!(
        lines[1].ends_with("\tcopies/o1-small.jpg") && lines[1].contains("\t0\t"),
        "{similar}"
    );
    assert!(
        lines[2..]
            .iter()
            .any(|l| l.ends_with("\tcopies/o1-q30.jpg")),
        "{similar}"
    );
    // The mirrored copy is listed at its distance through the item's
    // mirrored view: near, not 100-odd bits.
    let mirror = lines
        .iter()
        .find(|l| l.ends_with("\tcopies/o1-mirror.png"))
        .unwrap();
    let d: u32 = mirror.split('\t').nth(1).unwrap().parse().unwrap();
    assert!(d <= 31, "{similar}");
    assert!(
        lines
            .iter()
            .all(|l| !l.contains("/o0-") && !l.contains("/o2-")),
        "{similar}"
    );

    // Reports: the hit with its distance (CSV, HTML, JSON); DFXML and
    // CASE/UCO carry the PDQ hash and validate.
    let rep = dir.path().join("report");
    util::run_ok(
        util::ferret()
            .args([
                "report",
                "--scope",
                "all",
                "--format",
                "html,csv,json,dfxml,case",
                "--out",
            ])
            .arg(&rep)
            .arg(&case),
    );
    for f in ["items.csv", "report.html", "report.json"] {
        let text = std::fs::read_to_string(rep.join(f)).unwrap();
        assert_eq!(
            text.matches("PDQ near-duplicate, distance ").count(),
            want.len(),
            "{f}"
        );
    }
    let dfxml = std::fs::read_to_string(rep.join("report.dfxml")).unwrap();
    assert!(dfxml.contains("<ferret:pdq quality=\""), "{dfxml}");
    if let Some(corpus) = util::corpus().filter(|_| util::have_tool("xmllint")) {
        let o = std::process::Command::new("xmllint")
            .args(["--noout", "--schema"])
            .arg(corpus.join("dfxml/schema/dfxml.xsd"))
            .arg(rep.join("report.dfxml"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let uco = std::fs::read_to_string(rep.join("case-uco.jsonld")).unwrap();
    let pdq_hashes = uco.matches("\"PDQ\"").count();
    assert!(
        pdq_hashes >= want.len(),
        "{pdq_hashes} PDQ hashes in CASE/UCO"
    );
    crate::report::assert_case_conforms(&rep.join("case-uco.jsonld"));
}

/// PDQ lists in CSV form: with `--algorithm pdq`, pdq-photo-hasher's
/// `hash,quality,filename` CSV is read as PDQ even when forced through the
/// CSV reader; without it the 64-hex column is read as SHA-256/BLAKE3 and a
/// warning says what to do; a bad PDQ cell beside a good MD5 is listed,
/// never dropped without a word.
#[test]
fn pdq_csv_imports_say_what_they_did() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    let h = "f8f8f0cce0f4e84d0e370a22028f67f0b36e2ed596623e1d33e6339c4e9c9b22";
    let hasher = dir.path().join("hasher.csv");
    std::fs::write(&hasher, format!("hash,quality,filename\n{h},77,a.jpg\n")).unwrap();
    let import = |name: &str, extra: &[&str], src: &std::path::Path| {
        util::run_ok(
            util::ferret()
                .args(["hashset", "--library"])
                .arg(&lib)
                .args(["import", "-k", "alert", "-n", name])
                .args(extra)
                .arg(src),
        )
    };
    let info = |name: &str| {
        let o = util::run_ok(
            util::ferret()
                .args(["hashset", "--library"])
                .arg(&lib)
                .args(["info", name]),
        );
        String::from_utf8(o.stdout).unwrap()
    };
    import(
        "forced",
        &["--algorithm", "pdq", "--format", "csv"],
        &hasher,
    );
    assert!(
        info("forced").contains("entries:       1 (pdq 1)"),
        "{}",
        info("forced")
    );
    let exported = util::run_ok(
        util::ferret()
            .args(["hashset", "--library"])
            .arg(&lib)
            .args(["export", "forced", "--format", "pdq"]),
    );
    assert_eq!(
        String::from_utf8(exported.stdout).unwrap(),
        format!("{h},77,a.jpg\n")
    );
    let plain = import("unnamed", &[], &hasher);
    let err = String::from_utf8(plain.stderr).unwrap();
    assert!(
        err.contains("if they are PDQ hashes, import with --algorithm pdq"),
        "{err}"
    );
    assert!(!info("unnamed").contains("pdq 1"));

    let both = dir.path().join("both.csv");
    std::fs::write(
        &both,
        format!(
            "md5,pdq,quality,filename\n\
             d41d8cd98f00b204e9800998ecf8427e,{},50,short.jpg\n\
             0cc175b9c0f1b6a831c399e269772661,{h},101,badq.jpg\n\
             92eb5ffee6ae2fec3ad71c777531578f,{h},90,good.jpg\n",
            &h[..63]
        ),
    )
    .unwrap();
    let low = dir.path().join("low.txt");
    std::fs::write(&low, format!("{h},20,flat.jpg\n{h},90,fine.jpg\n")).unwrap();
    let out = import("low", &["--algorithm", "pdq"], &low);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("1 PDQ entries have a quality below the set's minimum of 50"),
        "{err}"
    );
    let out = import("both", &[], &both);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("both.csv:2: not a PDQ hash"), "{err}");
    assert!(err.contains("both.csv:3: bad PDQ quality '101'"), "{err}");
    assert!(
        info("both").contains("entries:       3 (md5 3, pdq 1)"),
        "{}",
        info("both")
    );
}
