//! GUI timings, headless (egui_kittest, no GPU: layout and tessellation
//! on the CPU, the work egui does every frame; painting is left out).
//!
//! `cargo run --release --example gui_frames -- CASE [FRAMES] [SCAN_TREE]`
//!
//! Prints the time from "Open case" to the first frame that shows the
//! review table, then the frame time of the review screen while scrolling
//! the table (mouse wheel every frame): median, 95th percentile and worst.
//! With `SCAN_TREE`, the same again while a scan of that tree runs on the
//! engine's threads (one hasher per core, competing with the UI for the
//! CPU), and then the frame time of the scan screen itself while the app
//! scans the tree into a new case.

use std::time::{Duration, Instant};

use std::sync::{Arc, Mutex};

use egui_kittest::Harness;
use ferret::gui::{Command, FerretApp, Screen};
use ferret::job::{MemorySink, ScanJob, ScanOptions, Stage};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let case = std::path::PathBuf::from(args.get(1).expect("usage: gui_frames CASE [FRAMES]"));
    let frames: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(300);
    let scan_tree = args.get(3).map(std::path::PathBuf::from);
    let work = tempfile::tempdir().expect("tempdir");
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_ui_state(
            |ui, app: &mut FerretApp| app.ui(ui),
            FerretApp::new(work.path().into()),
        );
    h.step();
    let t = Instant::now();
    h.state_mut().queue(Command::OpenCase(case.clone()));
    h.step(); // applies the command: opens the case, reads the rows
    let applied = t.elapsed();
    h.step(); // first frame with the table
    let open = t.elapsed();
    eprintln!(
        "(open command applied after {:.0} ms)",
        applied.as_secs_f64() * 1e3
    );
    assert_eq!(h.state().screen, Screen::Review, "{:?}", h.state().message);
    let rows = h.state().rows.len();
    println!(
        "{}: open to first frame of the table {:.0} ms ({rows} flagged rows)",
        case.display(),
        open.as_secs_f64() * 1e3
    );
    if h.state().checking_case() {
        let t = Instant::now();
        while h.state().checking_case() {
            h.step();
            std::thread::sleep(Duration::from_millis(5));
        }
        println!(
            "large case: shown read-only at once; its integrity check made it writable {:.0} ms later",
            t.elapsed().as_secs_f64() * 1e3
        );
    }
    h.event(egui::Event::PointerMoved(egui::pos2(300.0, 400.0)));
    let times = scroll(&mut h, frames);
    report("review screen while scrolling", &times);
    let Some(tree) = scan_tree else { return };
    // The same, with a scan hashing `tree` on every core.
    let records = Arc::new(Mutex::new(Vec::new()));
    let job = ScanJob::spawn(
        ScanOptions::new(&tree),
        Box::new(MemorySink(Arc::clone(&records))),
        Arc::new(|| {}),
    )
    .expect("scan");
    let t = Instant::now();
    let mut times = Vec::new();
    while job.progress().stage != Stage::Done && times.len() < 20 * frames {
        times.extend(scroll(&mut h, 50));
    }
    let scanned = t.elapsed();
    while job.try_event().is_some() {}
    report(
        &format!(
            "review screen while scrolling during a scan ({:.1} s of it)",
            scanned.as_secs_f64()
        ),
        &times,
    );
    // The scan screen while the app scans the tree into a new case.
    let app = h.state_mut();
    app.queue(Command::CloseCase);
    h.step();
    let app = h.state_mut();
    app.setup.case_number = "BENCH-1".into();
    app.setup.examiner = "bench".into();
    app.setup.evidence = tree.display().to_string();
    app.setup.library = work.path().join("lib").display().to_string();
    app.queue(Command::StartNewCase);
    h.step();
    assert_eq!(
        h.state().screen,
        Screen::Scanning,
        "{:?}",
        h.state().message
    );
    let mut times = Vec::new();
    let t = Instant::now();
    while h.state().screen == Screen::Scanning {
        let s = Instant::now();
        h.step();
        times.push(s.elapsed());
        // The app asks for a repaint every 150 ms while a scan runs.
        std::thread::sleep(Duration::from_millis(150));
    }
    report(
        &format!(
            "scan screen during the app's scan ({:.1} s)",
            t.elapsed().as_secs_f64()
        ),
        &times,
    );
}

fn scroll(h: &mut Harness<'static, FerretApp>, frames: usize) -> Vec<Duration> {
    let mut times = Vec::with_capacity(frames);
    for i in 0..frames {
        let down = if (i / 100) % 2 == 0 { -120.0 } else { 120.0 };
        h.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, down),
            modifiers: egui::Modifiers::NONE,
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Wheel,
        });
        let t = Instant::now();
        h.step();
        times.push(t.elapsed());
    }
    times
}

fn report(what: &str, times: &[Duration]) {
    let mut times = times.to_vec();
    times.sort();
    let n = times.len();
    if n == 0 {
        println!("{what}: no frames");
        return;
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{what}, {n} frames: median {:.2} ms, p95 {:.2} ms, worst {:.2} ms",
        ms(times[n / 2]),
        ms(times[n * 95 / 100]),
        ms(times[n - 1])
    );
}
