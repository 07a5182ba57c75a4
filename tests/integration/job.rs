//! The job API: events, cancellation, progress, pool ownership.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ferret::{
    CancelToken, FileRecord, MemorySink, RecordSink, ScanError, ScanEvent, ScanJob, ScanOptions,
    Stage,
};

fn many_files(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..n {
        let sub = dir.path().join(format!("d{}", i % 10));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join(format!("f{i}.bin")), vec![i as u8; 1000 + i]).unwrap();
    }
    dir
}

/// Cancels the scan after it has accepted `after` records.
struct CancelAfter {
    inner: MemorySink,
    token: CancelToken,
    after: usize,
    seen: usize,
}

impl RecordSink for CancelAfter {
    fn accept(&mut self, rec: FileRecord) -> io::Result<()> {
        self.seen += 1;
        if self.seen == self.after {
            self.token.cancel();
        }
        self.inner.accept(rec)
    }
}

#[test]
fn cancel_mid_scan_finishes_with_cancelled_and_consistent_counts() {
    // More files than the record channel holds (4,096): workers must still
    // be running when the sink cancels, however the threads are scheduled.
    let dir = many_files(12_000);
    let token = CancelToken::new();
    let memory = MemorySink::default();
    let sink = CancelAfter {
        inner: memory.clone(),
        token: token.clone(),
        after: 200,
        seen: 0,
    };
    let wakes = Arc::new(AtomicUsize::new(0));
    let w = Arc::clone(&wakes);
    let job = ScanJob::spawn(
        ScanOptions::new(dir.path())
            .with_cancel_token(token)
            .threads(2),
        Box::new(sink),
        Arc::new(move || {
            w.fetch_add(1, Ordering::Relaxed);
        }),
    )
    .unwrap();
    let mut events = Vec::new();
    while let Some(ev) = job.next_event(std::time::Duration::from_secs(30)) {
        let last = matches!(ev, ScanEvent::Finished(_));
        events.push(ev);
        if last {
            break;
        }
    }
    let Some(ScanEvent::Finished(Err(ScanError::Cancelled { summary }))) = events.last() else {
        panic!("last event is not Finished(Err(Cancelled)): {events:?}");
    };
    let records = memory.take();
    assert_eq!(summary.entries, records.len() as u64);
    assert_eq!(
        summary.entries,
        summary.files_hashed + summary.not_hashed + summary.errors
    );
    assert!(
        summary.entries >= 200 && summary.entries < 12_010,
        "{}",
        summary.entries
    );
    assert_eq!(job.progress().stage, Stage::Done);
    // The job wakes the front end right after sending each event, so the
    // last wake may trail the last event by a moment.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while wakes.load(Ordering::Relaxed) < events.len() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert!(wakes.load(Ordering::Relaxed) >= events.len());
    assert!(job.try_event().is_none(), "nothing after Finished");
}

#[test]
fn finished_is_always_last_and_stages_are_in_order() {
    let dir = many_files(50);
    let job = ScanJob::spawn(
        ScanOptions::new(dir.path()),
        Box::new(MemorySink::default()),
        Arc::new(|| {}),
    )
    .unwrap();
    let mut stages = Vec::new();
    let mut mount = None;
    let summary = loop {
        match job
            .next_event(std::time::Duration::from_secs(30))
            .expect("event")
        {
            ScanEvent::EvidenceMount(m) => {
                assert!(stages.is_empty(), "mount state comes before the walk");
                mount = Some(m);
            }
            ScanEvent::StreamsHidden(w) => panic!("not NTFS: {w}"),
            ScanEvent::Stage(s) => stages.push(s),
            ScanEvent::Finished(r) => break r.expect("completes"),
        }
    };
    assert_eq!(
        stages,
        [
            Stage::Walking,
            Stage::Ordering,
            Stage::Hashing,
            Stage::Finishing
        ]
    );
    // A temp dir is on a writable mount.
    assert!(mount.is_some_and(|m| !m.read_only));
    assert_eq!(summary.files_hashed, 50);
    assert_eq!(summary.not_hashed, 10);
    let p = job.progress();
    assert_eq!((p.files_total, p.files_done), (50, 50));
    assert_eq!(p.bytes_total, p.bytes_hashed);
    assert_eq!(p.bytes_total, (0..50).map(|i| 1000 + i as u64).sum::<u64>());
}

#[test]
fn missing_root_fails_with_root_error() {
    let (records, result) = crate::util::scan(ScanOptions::new("/nonexistent/ferret/root"));
    assert!(records.is_empty());
    let err = result.unwrap_err();
    assert!(matches!(err, ScanError::Root { .. }), "{err}");
    assert!(err.to_string().contains("cannot open evidence root"));
}

/// A sink whose writes fail, like a full disk.
struct FullDisk;

impl RecordSink for FullDisk {
    fn accept(&mut self, _: FileRecord) -> io::Result<()> {
        Err(io::Error::new(io::ErrorKind::StorageFull, "no space left"))
    }
}

#[test]
fn failing_output_ends_the_scan_with_sink_error() {
    let dir = many_files(100);
    let job = ScanJob::spawn(
        ScanOptions::new(dir.path()),
        Box::new(FullDisk),
        Arc::new(|| {}),
    )
    .unwrap();
    let err = job.join().unwrap_err();
    assert!(matches!(err, ScanError::Sink(_)), "{err}");
}

#[test]
fn digests_are_identical_whatever_the_thread_count() {
    let dir = many_files(300);
    let run = |threads| {
        let (mut recs, r) = crate::util::scan(ScanOptions::new(dir.path()).threads(threads));
        r.unwrap();
        recs.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
        recs.iter()
            .map(|r| (r.rel_path.clone(), r.digests().copied()))
            .collect::<Vec<_>>()
    };
    assert_eq!(run(1), run(2));
}

/// A tree for ordering: pictures in user folders, system files, a renamed
/// picture, tiny files, and files large enough to be split.
fn triage_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let w = |rel: &str, len: usize, seed: u8| {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        let data: Vec<u8> = (0..len)
            .map(|i| (i as u8).wrapping_mul(31) ^ seed)
            .collect();
        std::fs::write(p, data).unwrap();
    };
    for i in 0..20u8 {
        w(&format!("Windows/System32/lib{i}.dll"), 40_000, i);
        w(&format!("Program Files/App/data{i}.bin"), 30_000, i ^ 0x40);
        w(&format!("usr/share/doc{i}.txt"), 2_000, i ^ 0x80);
        w(&format!("notes/n{i}.txt"), 100 + usize::from(i), i ^ 0xc0);
    }
    w("Users/kim/Pictures/beach.jpg", 200_000, 1);
    w("Users/kim/Videos/clip.mp4", 3_000_000, 2);
    w("Users/kim/Downloads/photo.dat", 150_000, 3);
    // A picture under a document's name: its first bytes lift it.
    let p = dir.path().join("Users/kim/Documents/old/scan.pdf");
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    let mut jpeg = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00".to_vec();
    jpeg.resize(60_000, 0x5a);
    std::fs::write(p, jpeg).unwrap();
    // Large files: split when few remain (split_min is lowered in the test).
    w("Users/kim/disk.img", (3 << 20) + 17, 4);
    w("Users/kim/exact.bin", 2 << 20, 5);
    dir
}

fn digests_of(options: ScanOptions) -> Vec<(std::path::PathBuf, Option<ferret::DigestSet>, u64)> {
    let (mut recs, r) = crate::util::scan(options);
    let summary = r.unwrap();
    assert_eq!(summary.errors, 0);
    recs.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
    recs.iter()
        .map(|r| {
            let len = match &r.outcome {
                ferret::Outcome::Hashed { len, .. } => *len,
                _ => u64::MAX,
            };
            (r.rel_path.clone(), r.digests().copied(), len)
        })
        .collect()
}

#[test]
fn digests_are_identical_under_every_order_device_and_split() {
    use ferret::job::{DeviceKind, Order};
    let dir = triage_tree();
    let base = || ScanOptions::new(dir.path());
    let reference = digests_of(
        base()
            .order(Order::Walk)
            .device(DeviceKind::SolidState)
            .split_min(u64::MAX),
    );
    assert_eq!(reference.iter().filter(|r| r.1.is_some()).count(), 86);
    for (name, options) in [
        (
            "hits-first ssd",
            base()
                .order(Order::HitsFirst)
                .device(DeviceKind::SolidState),
        ),
        (
            "hits-first hdd",
            base()
                .order(Order::HitsFirst)
                .device(DeviceKind::Rotational),
        ),
        (
            "walk hdd",
            base().order(Order::Walk).device(DeviceKind::Rotational),
        ),
        ("split everything, 1 thread", base().split_min(1).threads(1)),
        (
            "split 1 MiB up, 2 threads",
            base().split_min(1 << 20).threads(2),
        ),
        (
            "split, md5 only",
            base()
                .split_min(1)
                .algorithms(ferret::AlgorithmSet::of(&[ferret::Algorithm::Md5])),
        ),
    ] {
        let got = digests_of(options);
        if name == "split, md5 only" {
            let md5: Vec<_> = reference
                .iter()
                .map(|(p, d, l)| (p.clone(), d.map(|d| d.md5), *l))
                .collect();
            let got: Vec<_> = got
                .iter()
                .map(|(p, d, l)| (p.clone(), d.map(|d| d.md5), *l))
                .collect();
            assert_eq!(got, md5, "{name}");
        } else {
            assert_eq!(got, reference, "{name}");
        }
    }
}

#[test]
fn hits_first_hashes_likely_pictures_before_system_files() {
    use ferret::job::{DeviceKind, Order};
    let dir = triage_tree();
    let order_of = |order| {
        let (recs, r) = crate::util::scan(
            ScanOptions::new(dir.path())
                .threads(1)
                // One stream a file: records come in the order files are
                // taken (in lanes, as each of sixteen in flight ends).
                .digest_paths(ferret::hashing::DigestPaths::asked("single"))
                .order(order)
                .device(DeviceKind::SolidState),
        );
        let looks = r.unwrap().ordering;
        let order = recs
            .iter()
            .filter(|r| r.digests().is_some())
            .map(|r| r.rel_path.to_string_lossy().into_owned())
            .collect::<Vec<_>>();
        (order, looks)
    };
    let (first, looks) = order_of(Order::HitsFirst);
    assert_eq!(first.len(), 86);
    let pos = |name: &str| first.iter().position(|p| p.ends_with(name)).unwrap();
    // Band 0: the picture renamed to .pdf (lifted by its first bytes, to
    // tier 0: hidden on purpose), then the picture; band 1: the video.
    assert_eq!(
        first[..3],
        [
            "Users/kim/Documents/old/scan.pdf",
            "Users/kim/Pictures/beach.jpg",
            "Users/kim/Videos/clip.mp4"
        ]
    );
    // Looked at: the candidates of picture size named as neither picture
    // nor video outside system folders (scan.pdf, photo.dat, exact.bin,
    // disk.img); lifted: one.
    assert_eq!((looks.planned, looks.read, looks.lifted), (4, 4, 1));
    // Band 2 (no known extension, photo size): the renamed picture, before
    // any system file; DLLs (likely known-good) are the very last.
    assert!(pos("photo.dat") < pos("data0.bin"));
    assert!(pos("photo.dat") < pos("doc0.txt"));
    assert!(
        first[first.len() - 20..]
            .iter()
            .all(|p| p.ends_with(".dll")),
        "{first:?}"
    );
    // Tiny files come after the larger ones of their band.
    assert!(pos("disk.img") < pos("n0.txt"));
    // Walk order is the walk's: not this one, and nothing is looked at.
    let (walk, looks) = order_of(Order::Walk);
    assert_ne!(walk, first);
    assert_eq!((looks.planned, looks.read, looks.lifted), (0, 0, 0));
}

/// Issue 18: a picture renamed to `.pdf` in a user's old documents is
/// lifted by its first bytes and hashed with the downloaded picture,
/// before the camera roll, on either device; the summary says how many
/// bytes had been read when each alert was found.
#[test]
fn a_renamed_known_picture_is_found_before_the_camera_roll_on_either_device() {
    use ferret::job::{DeviceKind, Order};
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    let w = |rel: &str, data: &[u8]| {
        let p = ev.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    };
    let jpeg = |len: usize, seed: u8| {
        let mut v = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00".to_vec();
        v.extend((0..len - v.len()).map(|i| (i as u8).wrapping_mul(seed) ^ seed));
        v
    };
    // In walk order (by name) the camera roll comes first.
    for i in 0..20u8 {
        w(
            &format!("Users/kim/Camera Roll/IMG_{i:04}.JPG"),
            &jpeg(3 << 20, i + 1),
        );
    }
    for i in 0..5u8 {
        let mut pdf = b"%PDF-1.7\n".to_vec();
        pdf.resize(100_000 + usize::from(i), b'x');
        w(&format!("Users/kim/Documents/report{i}.pdf"), &pdf);
    }
    w("Users/kim/Pictures/me.jpg", &jpeg(200_000, 40));
    for i in 0..5u8 {
        w(&format!("Windows/System32/x{i}.dll"), &[i; 50_000]);
    }
    let (downloaded, renamed) = (jpeg(150_000, 77), jpeg(120_000, 99));
    w("Users/kim/Downloads/a.jpg", &downloaded);
    w("Users/kim/Documents/old/scan.pdf", &renamed);
    let md5 = |b: &[u8]| {
        ferret::hashing::hash_bytes(b, ferret::AlgorithmSet::ALL)
            .hex(ferret::Algorithm::Md5)
            .unwrap()
    };
    let set = dir.path().join("bad.txt");
    std::fs::write(&set, format!("{}\n{}\n", md5(&downloaded), md5(&renamed))).unwrap();
    let lib = dir.path().join("lib");
    crate::util::run_ok(
        crate::util::ferret()
            .args(["hashset", "--library"])
            .arg(&lib)
            .args(["import", "-k", "alert", "-n", "bad"])
            .arg(&set),
    );
    let scan = |order, device| {
        let (recs, r) = crate::util::scan(
            ScanOptions::new(&ev)
                .threads(1)
                // One stream a file: records come in the order files are
                // taken (in lanes, as each of sixteen in flight ends).
                .digest_paths(ferret::hashing::DigestPaths::asked("single"))
                .order(order)
                .device(device)
                .hash_sets(ferret::hashsets::HashSetCatalog::new(vec![
                    ferret::hashsets::HashLibrary::open(&lib)
                        .unwrap()
                        .load("bad")
                        .unwrap(),
                ])),
        );
        let s = r.unwrap();
        assert_eq!(s.files_hashed, 33);
        assert_eq!(recs.iter().filter(|r| r.digests().is_some()).count(), 33);
        assert_eq!(s.alerts, 2);
        assert_eq!(s.alert_bytes.len(), 2);
        assert_eq!(s.first_alert.unwrap().bytes_read, s.alert_bytes[0]);
        s
    };
    let both = (150_000 + 120_000) as u64;
    // Solid state, one thread: both alerts are the first two files.
    let ssd = scan(Order::HitsFirst, DeviceKind::SolidState);
    assert_eq!(ssd.alert_bytes, [120_000, both]);
    assert_eq!(ssd.ordering.lifted, 1);
    assert_eq!(ssd.ordering.read, 6);
    // A spinning disk: both come first too, but the reader runs ahead of
    // the hashing thread (how far depends on the scheduler), so the bound
    // is loose: within the first half of the bytes, where walk order has
    // found neither.
    let hdd = scan(Order::HitsFirst, DeviceKind::Rotational);
    // All six looked at once the downloaded picture is hashed: none is in
    // a distributed location.
    assert_eq!((hdd.ordering.read, hdd.ordering.lifted), (6, 1));
    assert!(
        hdd.alert_bytes[1] < hdd.bytes_hashed / 2,
        "{:?}",
        hdd.alert_bytes
    );
    // Walk order reads the whole camera roll first; nothing is looked at.
    for device in [DeviceKind::SolidState, DeviceKind::Rotational] {
        let walk = scan(Order::Walk, device);
        assert!(
            walk.alert_bytes[0] > walk.bytes_hashed / 2,
            "{:?}",
            walk.alert_bytes
        );
        assert_eq!(walk.ordering.read, 0);
    }
}

#[test]
fn an_archive_whose_directory_names_pictures_is_hashed_with_the_pictures() {
    use ferret::job::{DeviceKind, Order};
    let dir = tempfile::tempdir().unwrap();
    let w = |rel: &str, data: &[u8]| {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    };
    let zip_of = |name: &str| {
        use std::io::Write;
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        z.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(&[7u8; 2000]).unwrap();
        z.finish().unwrap().into_inner()
    };
    let mut rar = rars::Builder::new(rars::ArchiveVersion::Rar50);
    rar.add_bytes(b"clips/v.mp4".to_vec(), vec![9u8; 3000], None, None)
        .unwrap();
    let mut rar_bytes = Vec::new();
    rar.write_to(&mut rar_bytes, &rars::WriterResources::default(), None)
        .unwrap();
    // Walk order is by name: the archives come first, the picture and the
    // video after them, the documents in between.
    w("a/docs.zip", &zip_of("readme.txt"));
    w("a/holiday.zip", &zip_of("pics/IMG_0001.JPG"));
    w("a/movies.rar", &rar_bytes);
    for i in 0..5 {
        w(&format!("b/doc{i}.txt"), &vec![b'x'; 5000]);
    }
    w("c/beach.jpg", &vec![1u8; 100_000]);
    w("c/clip.mp4", &vec![2u8; 600_000]);
    let order_of = |archives: bool| {
        let mut options = ScanOptions::new(dir.path())
            .threads(1)
            // One stream a file: records come in the order files are
            // taken (in lanes, as each of sixteen in flight ends).
            .digest_paths(ferret::hashing::DigestPaths::asked("single"))
            .order(Order::HitsFirst)
            .device(DeviceKind::SolidState);
        if archives {
            options = options.archives(Some(ferret::archive::Limits::default()));
        }
        let (recs, r) = crate::util::scan(options);
        r.unwrap();
        recs.iter()
            .filter(|r| r.members.is_empty() && r.digests().is_some())
            .map(|r| r.rel_path.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        order_of(true)[..5],
        [
            "a/holiday.zip",
            "c/beach.jpg",
            "a/movies.rar",
            "c/clip.mp4",
            "a/docs.zip"
        ]
    );
    // Not looking inside archives, none is read to order them.
    assert_eq!(
        order_of(false)[..3],
        ["c/beach.jpg", "c/clip.mp4", "a/docs.zip"]
    );
}

#[test]
fn member_names_raise_an_archive_by_extension() {
    use ferret::job::order::member_band;
    assert_eq!(member_band(&["a/b.txt", "x/IMG_1.JPG"]), Some(0));
    assert_eq!(member_band(&["a\\b.MOV", "c.txt"]), Some(1));
    assert_eq!(member_band(&["v.mp4", "p.png"]), Some(0));
    assert_eq!(member_band(&["jpg", ".png", "dir.jpg/readme"]), None);
    assert_eq!(member_band::<&str>(&[]), None);
}

#[test]
fn bands_follow_extension_size_and_path() {
    use ferret::job::{FileTask, band};
    let task = |path: &str, size: u64| FileTask {
        rel_path: path.into(),
        stream: None,
        meta: ferret::evidence::Meta {
            size,
            ..Default::default()
        },
    };
    let cases = [
        ("Users/a/Pictures/IMG_0001.JPG", 2_500_000, 0),
        ("DCIM/100APPLE/IMG_0002.HEIC", 1_800_000, 0),
        ("home/a/Videos/v.mkv", 700_000_000, 1),
        ("Users/a/icon.png", 900, 2),
        ("Users/a/Pictures/scan.tif", 300 << 20, 2),
        ("Users/a/archive.zip", 10 << 20, 2),
        ("Users/a/no-extension", 400_000, 2),
        ("Users/a/report.pdf", 400_000, 3),
        ("Windows/Web/Wallpaper/img0.jpg", 400_000, 4),
        ("usr/share/pixmaps/logo.png", 40_000, 4),
        ("node_modules/x/index.js", 4_000, 4),
        ("Windows/System32/kernel32.dll", 800_000, 5),
        ("Users/a/Downloads/setup.exe", 8_000_000, 5),
    ];
    for (path, size, want) in cases {
        assert_eq!(band(&task(path, size)), want, "{path}");
    }
}

#[test]
fn device_detection_reads_sysfs_and_the_summary_reports_it() {
    use ferret::job::{DeviceKind, DeviceProfile};
    let dir = tempfile::tempdir().unwrap();
    let p = DeviceProfile::detect(dir.path(), None);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt;
        let dev = std::fs::metadata(dir.path()).unwrap().dev();
        let sys = format!(
            "/sys/dev/block/{}:{}",
            rustix::fs::major(dev),
            rustix::fs::minor(dev)
        );
        if std::path::Path::new(&sys).exists() {
            let flag = p.source.split_whitespace().next().unwrap();
            assert!(flag.ends_with("queue/rotational"), "{p:?}");
            let value = std::fs::read_to_string(flag).unwrap();
            // A virtual disk's flag is not believed (this VM's virtio disk
            // says rotational): the source says why.
            let disk = std::path::Path::new(flag)
                .parent()
                .unwrap()
                .parent()
                .unwrap();
            let name = disk.file_name().unwrap().to_string_lossy().into_owned();
            let driver = std::fs::read_link(disk.join("device/driver"))
                .map(|d| d.file_name().unwrap().to_string_lossy().into_owned())
                .unwrap_or_default();
            let vendor = std::fs::read_to_string(disk.join("device/vendor")).unwrap_or_default();
            let is_virtual = ferret::job::virtual_disk(&name, &driver, &vendor).is_some();
            let want = if value.trim() == "1" && !is_virtual {
                DeviceKind::Rotational
            } else {
                DeviceKind::SolidState
            };
            assert_eq!(p.kind, want, "{p:?}");
            assert_eq!(
                p.source.contains("its flag says nothing of the medium"),
                value.trim() == "1" && is_virtual,
                "{p:?}"
            );
        } else {
            println!("skip sysfs check: {sys} does not exist (not a block device here)");
        }
    }
    let (_, r) = crate::util::scan(ScanOptions::new(dir.path()).device(DeviceKind::Rotational));
    let device = r.unwrap().device.unwrap();
    assert_eq!(device, DeviceProfile::forced(DeviceKind::Rotational));
}
