//! The gallery's timings, headless (egui_kittest: layout and tessellation
//! on the CPU, no GPU painting), for issue 17's targets.
//!
//! `cargo run --release --example gallery_bench -- CASE [FRAMES]`
//!
//! Prints, for a case: the time from "Open case" to the first gallery frame
//! of every picture and video (its tiles drawn, thumbnails still coming);
//! the thumbnail throughput (the first screen's tiles read, decoded,
//! downscaled, greyscaled and blurred on the worker threads: pictures per
//! second); and the frame time while the gallery scrolls back and forth
//! over pages whose thumbnails are cached (median, 95th percentile, worst).

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use ferret::gui::{Command, FerretApp, Screen};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let case = std::path::PathBuf::from(args.get(1).expect("usage: gallery_bench CASE [FRAMES]"));
    let frames: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(300);
    let work = tempfile::tempdir().expect("tempdir");
    let mut app = FerretApp::new(work.path().into());
    // The gallery of every picture, as the examiner would open it.
    app.view.all_media = true;
    app.view.gallery = true;
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_ui_state(|ui, app: &mut FerretApp| app.ui(ui), app);
    h.step();
    let t = Instant::now();
    h.state_mut().queue(Command::OpenCase(case.clone()));
    h.step(); // opens the case, reads the rows
    h.step(); // the first gallery frame
    let first = t.elapsed();
    assert_eq!(h.state().screen, Screen::Review, "{:?}", h.state().message);
    let tiles = ferret::gui::gallery::tiles(&h.state().rows).len();
    println!(
        "{}: open to the first gallery frame {:.0} ms ({} pictures and videos shown, {tiles} tiles)",
        case.display(),
        first.as_secs_f64() * 1e3,
        h.state().rows.len()
    );
    // Thumbnail throughput: the screen's tiles decoded.
    let t = Instant::now();
    while !(h.state().gallery.idle() && h.state().gallery.cached() > 0) {
        h.step();
        std::thread::sleep(Duration::from_millis(2));
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "thumbnails never came"
        );
    }
    let decoded = h.state().gallery.cached();
    let took = t.elapsed();
    println!(
        "thumbnails of the first screen: {decoded} in {:.0} ms ({:.0} pictures/s on {} worker threads)",
        took.as_secs_f64() * 1e3,
        decoded as f64 / took.as_secs_f64(),
        std::thread::available_parallelism()
            .map_or(1, usize::from)
            .clamp(1, 4)
    );
    // Scroll down a few pages (decoding them): the thumbnail throughput;
    // then time frames while scrolling back and forth over what is cached.
    h.event(egui::Event::PointerMoved(egui::pos2(300.0, 400.0)));
    let (before, t) = (h.state().gallery.cached(), Instant::now());
    for _ in 0..40 {
        wheel(&mut h, -120.0);
        h.step();
        while !h.state().gallery.idle() {
            h.step();
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    let cached = h.state().gallery.cached();
    let took = t.elapsed();
    println!(
        "thumbnails while scrolling 40 steps down: {} in {:.0} ms ({:.0} pictures/s, frames and queries included)",
        cached - before,
        took.as_secs_f64() * 1e3,
        (cached - before) as f64 / took.as_secs_f64()
    );
    let mut times = Vec::with_capacity(frames);
    for i in 0..frames {
        let down = if (i / 40) % 2 == 0 { 120.0 } else { -120.0 };
        wheel(&mut h, down);
        let t = Instant::now();
        h.step();
        times.push(t.elapsed());
    }
    report(
        &format!("gallery scrolling over cached thumbnails ({cached} cached)"),
        &times,
    );
    // And a fast fling far down (thumbnails not cached: frames must not wait).
    let mut times = Vec::with_capacity(frames);
    for _ in 0..frames {
        wheel(&mut h, -2400.0);
        let t = Instant::now();
        h.step();
        times.push(t.elapsed());
    }
    report("gallery flung down, thumbnails not cached", &times);
}

fn wheel(h: &mut Harness<'static, FerretApp>, dy: f32) {
    h.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(0.0, dy),
        modifiers: egui::Modifiers::NONE,
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Wheel,
    });
}

fn report(what: &str, times: &[Duration]) {
    let mut ms: Vec<f64> = times.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| {
        ms.get(((ms.len() as f64 - 1.0) * q) as usize)
            .copied()
            .unwrap_or(0.0)
    };
    println!(
        "{what}: {} frames, median {:.2} ms, p95 {:.2} ms, worst {:.2} ms",
        ms.len(),
        at(0.5),
        at(0.95),
        at(1.0)
    );
}
