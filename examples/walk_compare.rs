//! Walks one tree with Ferret's walker and with two public walkers, each
//! collecting the metadata a scan needs (size, inode, times) for every
//! entry, and prints medians and entry counts. Every walker must see the
//! same number of entries.
//!
//! `cargo run --release --example walk_compare -- DIR [RUNS]`
//!
//! - ferret: handle-relative `openat`/getdents/`statx`, one thread (what
//!   the scan uses: it never follows a link and opens nothing by path);
//! - walkdir 2: one thread, `metadata()` per entry;
//! - jwalk 0.9: rayon-parallel directory reads, metadata fetched on the
//!   worker threads (`process_read_dir`), hidden files included.

use std::path::Path;
use std::time::Instant;

use ferret::evidence::{EvidenceRoot, WalkEntry, WalkOptions, walk};

fn ferret_walk(dir: &Path) -> usize {
    let root = EvidenceRoot::open(dir).expect("open root");
    let opts = WalkOptions {
        cross_filesystems: false,
        read_link_targets: false,
    };
    let mut n = 0usize;
    walk(&root, &opts, &|| false, &mut |e| {
        if let WalkEntry::Item(item) = e {
            std::hint::black_box(item.meta.size);
        }
        n += 1;
    })
    .expect("walk");
    n
}

fn walkdir_walk(dir: &Path) -> usize {
    let mut n = 0usize;
    for e in walkdir::WalkDir::new(dir)
        .min_depth(1)
        .same_file_system(true)
    {
        let e = e.expect("walkdir entry");
        std::hint::black_box(e.metadata().map(|m| m.len()).ok());
        n += 1;
    }
    n
}

fn jwalk_walk(dir: &Path) -> usize {
    type Meta = Option<std::fs::Metadata>;
    let walker = jwalk::WalkDirGeneric::<((), Meta)>::new(dir)
        .skip_hidden(false)
        .follow_links(false)
        .min_depth(1)
        .process_read_dir(|_, _, _, children| {
            for c in children.iter_mut().flatten() {
                c.client_state = c.metadata().ok();
            }
        });
    let mut n = 0usize;
    for e in walker {
        let e = e.expect("jwalk entry");
        std::hint::black_box(e.client_state.as_ref().map(|m| m.len()));
        n += 1;
    }
    n
}

/// Whether a walker changes directory access times: a fresh tree whose
/// directories' atimes are set to 2001, walked once, then compared.
fn touches_atimes(f: Walker) -> bool {
    use rustix::fs::{AtFlags, CWD, Timespec, Timestamps, utimensat};
    let dir = tempfile::tempdir().expect("tempdir");
    let mut dirs = vec![dir.path().to_path_buf()];
    for i in 0..3 {
        let d = dir.path().join(format!("d{i}"));
        std::fs::create_dir(&d).expect("mkdir");
        std::fs::write(d.join("f"), b"x").expect("write");
        dirs.push(d);
    }
    let old = Timespec {
        tv_sec: 1_000_000_000,
        tv_nsec: 0,
    };
    for d in &dirs {
        let t = Timestamps {
            last_access: old,
            last_modification: old,
        };
        utimensat(CWD, d, &t, AtFlags::empty()).expect("utimensat");
    }
    f(dir.path());
    dirs.iter().any(|d| {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(d).expect("stat").atime() != 1_000_000_000
    })
}

type Walker = fn(&Path) -> usize;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = Path::new(args.get(1).map(String::as_str).unwrap_or("."));
    let runs: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(5);
    let walkers: [(&str, Walker); 3] = [
        ("ferret", ferret_walk),
        ("walkdir", walkdir_walk),
        ("jwalk", jwalk_walk),
    ];
    // One untimed pass warms the dentry and inode caches.
    let want = ferret_walk(dir);
    for (name, f) in walkers {
        let mut times = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            let n = f(dir);
            times.push(t.elapsed().as_secs_f64());
            assert_eq!(n, want, "{name} saw {n} entries, ferret {want}");
        }
        times.sort_by(f64::total_cmp);
        let m = times[times.len() / 2];
        println!(
            "{name:8} {want} entries: median {m:.3} s = {:.0} entries/s; changes directory atimes: {}",
            want as f64 / m,
            if touches_atimes(f) { "YES" } else { "no" }
        );
    }
}
