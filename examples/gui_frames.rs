//! GUI timings, headless (egui_kittest, no GPU: layout and tessellation
//! on the CPU, the work egui does every frame; painting is left out).
//!
//! `cargo run --release --example gui_frames -- CASE [FRAMES]`
//!
//! Prints the time from "Open case" to the first frame that shows the
//! review table, then the frame time of the review screen while scrolling
//! the table (mouse wheel every frame): median, 95th percentile and worst.

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use ferret::gui::{Command, FerretApp, Screen};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let case = std::path::PathBuf::from(args.get(1).expect("usage: gui_frames CASE [FRAMES]"));
    let frames: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(300);
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
    h.event(egui::Event::PointerMoved(egui::pos2(300.0, 400.0)));
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
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "review screen while scrolling, {frames} frames: median {:.2} ms, p95 {:.2} ms, worst {:.2} ms",
        ms(times[frames / 2]),
        ms(times[frames * 95 / 100]),
        ms(times[frames - 1])
    );
}
