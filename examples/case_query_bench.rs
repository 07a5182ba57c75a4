//! Page-query time of the flagged-item table on a synthetic 1M-file case
//! with 10k flagged items: `cargo run --release --example case_query_bench [FILES]`.

use std::time::Instant;

use ferret::case::review::{FlagFilter, ReviewStatus, SortKey};
use ferret::case::{CaseInfo, CaseStore};
use ferret::report::{ReportFormat, Scope, write_report};

fn main() {
    let n: i64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("big.ferret");
    let store = CaseStore::create(
        &path,
        &CaseInfo {
            case_number: "B".into(),
            ..Default::default()
        },
        "bench",
    )
    .expect("create");
    let t = Instant::now();
    // The example's own connection: the store keeps its connection private.
    let c = &rusqlite::Connection::open(store.path()).expect("open");
    c.execute_batch(
        "BEGIN;
         INSERT INTO evidence (id, exhibit, root_path, root_text, added) VALUES (1, 'E', x'2f', '/', 'now');
         INSERT INTO scans (id, evidence_id, options, started, host, os, user, tool_version, command_line, status)
           VALUES (1, 1, '{}', 'now', 'h', 'o', 'u', 'v', 'c', 'complete');
         INSERT INTO hash_sets (id, scan_id, position, name, kind, provenance) VALUES (1, 1, 0, 'vics', 'alert', '{}');",
    )
    .expect("setup");
    {
        let mut st = c
            .prepare(
                "INSERT INTO files (id, evidence_id, scan_id, path, path_text, name_text, kind, size, mtime_ns, md5, sha1,
                   sha256, blake3, mime, media, status, verdict) VALUES (?1, 1, 1, ?2, ?3, ?4, 'file', ?5, ?6, randomblob(16),
                   randomblob(20), randomblob(32), randomblob(32), 'image/jpeg', 'image', 'hashed', ?7)",
            )
            .expect("prepare");
        let mut hit = c
            .prepare("INSERT INTO hits (file_id, hash_set_id, kind, algorithm, entry, category) VALUES (?1, 1, 'alert', 'md5', ?1, ?2)")
            .expect("prepare");
        let mut flag = c
            .prepare("INSERT INTO flags (file_id, reason, detail) VALUES (?1, 'alert', 'vics')")
            .expect("prepare");
        for i in 1..=n {
            let p = format!("Users/u{}/Pictures/dir{}/IMG_{i:07}.jpg", i % 50, i % 1000);
            let flagged = i % (n / 10_000).max(1) == 0;
            st.execute(rusqlite::params![
                i,
                p.as_bytes(),
                p,
                format!("IMG_{i:07}.jpg"),
                (i * 7919) % 5_000_000,
                1_600_000_000_000_000_000i64 + i,
                if flagged { "alert" } else { "none" }
            ])
            .expect("insert");
            if flagged {
                hit.execute(rusqlite::params![i, i % 4]).expect("hit");
                flag.execute([i]).expect("flag");
            }
        }
    }
    c.execute_batch("COMMIT; ANALYZE;").expect("commit");
    let built = t.elapsed();
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "built {n} files in {:.1} s; case file {:.1} MB ({:.0} bytes/row incl. hits)",
        built.as_secs_f64(),
        size as f64 / 1e6,
        size as f64 / n as f64
    );
    let all = FlagFilter::default();
    let ids: Vec<i64> = store
        .flagged(&all, SortKey::Path, false, 0, 50)
        .expect("q")
        .iter()
        .map(|r| r.file_id)
        .collect();
    store
        .set_status(&ids, ReviewStatus::Confirmed, "bench")
        .expect("review");
    let cases: Vec<(&str, FlagFilter, SortKey, bool, u64)> = vec![
        ("first page, by path", all.clone(), SortKey::Path, false, 0),
        (
            "page 25, by size desc",
            all.clone(),
            SortKey::Size,
            true,
            5000,
        ),
        (
            "by modified, last page",
            all.clone(),
            SortKey::Modified,
            false,
            9800,
        ),
        (
            "status=confirmed",
            FlagFilter {
                status: Some(ReviewStatus::Confirmed),
                ..Default::default()
            },
            SortKey::Path,
            false,
            0,
        ),
        (
            "text 'dir42' by name",
            FlagFilter {
                text: Some("dir42".into()),
                ..Default::default()
            },
            SortKey::Name,
            false,
            0,
        ),
        (
            "category 2",
            FlagFilter {
                category: Some(2),
                ..Default::default()
            },
            SortKey::Path,
            false,
            0,
        ),
    ];
    for (label, f, sort, desc, off) in cases {
        let mut times = Vec::new();
        let mut rows = 0;
        for _ in 0..7 {
            let t = Instant::now();
            rows = store
                .flagged(&f, sort, desc, off, 200)
                .expect("query")
                .len();
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "page of 200 ({label}): {rows} rows, median {:.2} ms, max {:.2} ms",
            times[3], times[6]
        );
    }
    drop(store);
    // Report generation: every format, flagged scope (10k items); the
    // hashdeep inventory always lists every hashed file (1M).
    let store = CaseStore::open(&path).expect("reopen");
    let out = dir.path().join("report");
    let formats = ReportFormat::ALL;
    let t = Instant::now();
    let o = write_report(&store, &out, &formats, Scope::Flagged, "bench").expect("report");
    let sizes: Vec<String> = o
        .files
        .iter()
        .map(|f| {
            let len = std::fs::metadata(out.join(f)).map(|m| m.len()).unwrap_or(0);
            format!("{f} {:.1} MB", len as f64 / 1e6)
        })
        .collect();
    println!(
        "report, all formats, {} flagged of {n}: {:.1} s ({})",
        o.rows,
        t.elapsed().as_secs_f64(),
        sizes.join(", ")
    );
}
