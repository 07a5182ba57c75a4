//! The desktop app, driven headless with egui_kittest (no GPU, no window).

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use ferret::case::review::{FlagFilter, ReviewStatus, SortKey};
use ferret::case::{CaseStore, ScanStatus};
use ferret::gui::{FerretApp, Screen};

pub(crate) fn harness(workspace: &std::path::Path) -> Harness<'static, FerretApp> {
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_ui_state(
            |ui, app: &mut FerretApp| app.ui(ui),
            FerretApp::new(workspace.to_path_buf()),
        )
}

/// Steps the UI until `done` holds (the scan runs on engine threads).
pub(crate) fn step_until(h: &mut Harness<'static, FerretApp>, done: impl Fn(&FerretApp) -> bool) {
    let start = Instant::now();
    while !done(h.state()) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out; message: {:?}",
            h.state().message
        );
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    h.step();
}

#[test]
fn demo_flow_scan_review_confirm_and_the_status_persists() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    h.step();
    h.get_by_label("Open demo case").click();
    step_until(&mut h, |a| a.screen == Screen::Review);
    // Exactly the expected demo items, with their reasons.
    let rows: Vec<(String, String)> = h
        .state()
        .rows
        .iter()
        .map(|r| (r.name.clone(), r.reasons_text()))
        .collect();
    assert_eq!(
        rows,
        [
            ("invoice.pdf".to_string(), "alert,mismatch".to_string()),
            ("photo.dat".to_string(), "mismatch".to_string()),
            ("beach.png".to_string(), "alert".to_string()),
        ]
    );
    h.get_by_label("3 flagged items");
    h.get_by_label("beach.png").click();
    h.step();
    h.step();
    h.get_by_label("Selected: Pictures/beach.png");
    // The path's Copy button (the first in the pane) puts it on the clipboard.
    h.get_all_by_label("Copy").next().unwrap().click_accesskit();
    h.step();
    let copied: Vec<String> = h
        .output()
        .platform_output
        .commands
        .iter()
        .filter_map(|c| match c {
            egui::OutputCommand::CopyText(t) => Some(t.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(copied, ["Pictures/beach.png"]);
    let md5 = ferret::hashing::hash_bytes(
        &std::fs::read(ferret_demo().join("evidence/Pictures/beach.png")).unwrap(),
        ferret::AlgorithmSet::ALL,
    )
    .hex(ferret::Algorithm::Md5)
    .unwrap();
    h.get_by_label(&format!("MD5: {md5}"));
    // Safe preview: blurred by default; Reveal is deliberate and audited.
    step_until(&mut h, |a| {
        a.preview.ready() || a.preview.unavailable.is_some()
    });
    assert!(
        h.state().preview.ready(),
        "{:?}",
        h.state().preview.unavailable
    );
    assert!(!h.state().preview.revealed, "blurred by default");
    h.get_by_label("blurred greyscale preview");
    h.get_by_label("Reveal preview").click_accesskit();
    h.step();
    h.step();
    assert!(h.state().preview.revealed);
    h.get_by_label("revealed preview");
    assert_eq!(reveals(h.state()), 1);
    // Another selection starts blurred again; a non-image is never shown.
    h.get_by_label("invoice.pdf").click();
    h.step();
    h.step();
    assert!(!h.state().preview.revealed);
    h.get_by_label("beach.png").click();
    h.step();
    h.step();
    assert!(
        !h.state().preview.revealed,
        "re-blurred after the selection changed"
    );
    h.get_by_label("Confirm").click_accesskit();
    h.step();
    h.step();
    assert_eq!(
        h.state()
            .rows
            .iter()
            .find(|r| r.name == "beach.png")
            .map(|r| r.status),
        Some(ReviewStatus::Confirmed),
        "message: {:?}",
        h.state().message
    );
    // Export from the GUI: a report folder whose manifest verifies.
    h.get_by_label("Export report...").click_accesskit();
    h.run_steps(3); // the command, then the window's sizing frame
    h.get_by_label("Write report").click_accesskit();
    step_until(&mut h, |a| a.last_export.is_some());
    let (dir, sha) = h.state().last_export.clone().expect("exported");
    assert!(dir.starts_with(h.state().workspace()));
    h.get_by_label_contains(&format!("manifest.sha256 SHA-256: {sha}"));
    assert_eq!(sha.len(), 64);
    assert!(ferret::report::verify_report(&dir).unwrap().is_empty());
    assert!(dir.join("report.html").exists() && dir.join("manifest.sha256").exists());
    let case_path = h.state().case().unwrap().path().to_path_buf();
    drop(h);
    // Reopened from disk: confirmed, and audit-logged.
    let store = CaseStore::open_read_only(&case_path).unwrap();
    let confirmed = FlagFilter {
        status: Some(ReviewStatus::Confirmed),
        ..Default::default()
    };
    let rows = store
        .flagged(&confirmed, SortKey::Path, false, 0, 10)
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].name, "beach.png");
    let audit = store.audit_rows().unwrap();
    assert!(audit.iter().any(|r| r.action == "review_status"));
    assert!(store.verify_audit().unwrap().is_ok());
}

/// Imports the MD5 list `text` as alert set `name` into `dir/lib`.
fn alert_library(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let src = dir.join(format!("{name}.txt"));
    std::fs::write(&src, text).unwrap();
    let lib = dir.join("lib");
    ferret::hashsets::HashLibrary::open(&lib)
        .unwrap()
        .import(
            &src,
            &ferret::hashsets::library::ImportOptions::new(ferret::hashsets::SetKind::Alert),
            &mut |_| {},
        )
        .unwrap();
    lib
}

/// Evidence with one known-bad file (and one other), and a library whose
/// alert set `bad` lists it: (evidence folder, library folder).
fn contraband(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let ev = dir.join("evidence");
    std::fs::create_dir(&ev).unwrap();
    std::fs::write(ev.join("known-bad.bin"), b"pretend contraband").unwrap();
    std::fs::write(ev.join("other.txt"), b"nothing").unwrap();
    let md5 = ferret::hashing::hash_bytes(b"pretend contraband", ferret::AlgorithmSet::ALL)
        .hex(ferret::Algorithm::Md5)
        .unwrap();
    (ev, alert_library(dir, "bad", &format!("{md5}\n")))
}

/// Preview reveals written to the open case's audit log.
fn reveals(a: &FerretApp) -> usize {
    crate::gallery::reveals(a).len()
}

/// The app with the demo case scanned and shown: (harness, case file).
fn demo_case(workspace: &std::path::Path) -> (Harness<'static, FerretApp>, std::path::PathBuf) {
    let mut h = harness(workspace);
    h.step();
    h.get_by_label("Open demo case").click_accesskit();
    step_until(&mut h, |a| a.screen == Screen::Review);
    let case_path = h.state().case().unwrap().path().to_path_buf();
    (h, case_path)
}

/// Opens the new-case form from Home (the harness's first screen).
pub(crate) fn open_new_case_form(h: &mut Harness<'static, FerretApp>) {
    h.step();
    h.get_by_label("New case").click_accesskit();
    h.step();
    h.step();
    assert_eq!(h.state().screen, Screen::Setup);
}

fn ferret_demo() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo")
}

#[test]
fn opening_something_that_is_not_a_case_shows_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("notes.ferret");
    std::fs::write(&bogus, b"not a database").unwrap();
    let mut h = harness(dir.path());
    h.step();
    h.get_by_label("Case file").focus();
    h.step();
    h.get_by_label("Case file")
        .type_text(bogus.to_str().unwrap());
    h.step();
    h.get_by_label("Open case").click();
    h.step();
    h.step();
    assert_eq!(h.state().screen, Screen::Home);
    let msg = h.state().message.clone().unwrap_or_default();
    assert!(msg.contains("not a Ferret case file"), "{msg}");
    h.get_by_label(&msg);
}

#[test]
fn keyboard_filters_search_and_sort_select_exactly_the_expected_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, _) = demo_case(dir.path());
    let names = |a: &FerretApp| a.rows.iter().map(|r| r.name.clone()).collect::<Vec<_>>();
    // Keyboard: Down selects the first row, j the next; c confirms; b bookmarks.
    h.key_press(egui::Key::ArrowDown);
    h.step();
    h.step();
    assert_eq!(h.state().selected, Some(h.state().rows[0].file_id));
    h.key_press(egui::Key::J);
    h.step();
    h.step();
    let second = h.state().rows[1].file_id;
    assert_eq!(h.state().selected, Some(second));
    h.key_press(egui::Key::C);
    h.step();
    h.step();
    h.key_press(egui::Key::B);
    h.step();
    h.step();
    let r = h.state().rows.iter().find(|r| r.file_id == second).unwrap();
    assert_eq!((r.status, r.bookmark), (ReviewStatus::Confirmed, true));
    // Chips: without mismatches, only the alerts remain.
    h.get_by_label("Mismatches (2)").click_accesskit();
    h.step();
    h.step();
    assert_eq!(names(h.state()), ["invoice.pdf", "beach.png"]);
    h.get_by_label("Mismatches (2)").click_accesskit();
    h.step();
    h.step();
    assert_eq!(h.state().rows.len(), 3);
    // Search over the path.
    h.get_by_label("Search path").focus();
    h.step();
    h.get_by_label("Search path").type_text("pictures");
    h.step();
    h.step();
    assert_eq!(names(h.state()), ["beach.png"]);
    h.get_by_label("Search path").focus();
    h.step();
    for _ in 0.."pictures".len() {
        h.key_press(egui::Key::Backspace);
        h.step();
    }
    h.step();
    assert_eq!(
        h.state().rows.len(),
        3,
        "search cleared: {:?}",
        h.state().view.search
    );
    // Sort by size, then descending.
    h.get_by_label("Size").click_accesskit();
    h.step();
    h.step();
    assert_eq!(names(h.state()), ["photo.dat", "beach.png", "invoice.pdf"]);
    h.get_by_label("Size ^").click_accesskit();
    h.step();
    h.step();
    assert_eq!(names(h.state()), ["invoice.pdf", "beach.png", "photo.dat"]);
    // Bookmarked only: the one bookmarked above.
    h.get_by_label("Bookmarked only").click_accesskit();
    h.step();
    h.step();
    let ids: Vec<i64> = h.state().rows.iter().map(|r| r.file_id).collect();
    assert_eq!(ids, [second]);
    h.get_by_label("Bookmarked only").click_accesskit();
    h.step();
    h.step();
    assert_eq!(h.state().rows.len(), 3);
    // Review status and media kind (what the combo boxes set).
    h.state_mut().view.status = Some(ReviewStatus::Confirmed);
    h.state_mut().queue(ferret::gui::Command::Reload);
    h.step();
    h.step();
    let ids: Vec<i64> = h.state().rows.iter().map(|r| r.file_id).collect();
    assert_eq!(ids, [second]);
    h.state_mut().view.status = Some(ReviewStatus::Unreviewed);
    h.state_mut().queue(ferret::gui::Command::Reload);
    h.step();
    h.step();
    assert_eq!(h.state().rows.len(), 2);
    h.state_mut().view.status = None;
    h.state_mut().view.media = Some("image".into());
    h.state_mut().queue(ferret::gui::Command::Reload);
    h.step();
    h.step();
    // All three demo items are pictures by signature (invoice.pdf is a
    // JPEG); none is a document.
    let mut images = names(h.state());
    images.sort();
    assert_eq!(images, ["beach.png", "invoice.pdf", "photo.dat"]);
    h.state_mut().view.media = Some("document".into());
    h.state_mut().queue(ferret::gui::Command::Reload);
    h.step();
    h.step();
    assert!(h.state().rows.is_empty());
    h.state_mut().view.media = None;
    h.state_mut().queue(ferret::gui::Command::Reload);
    h.run_steps(2);
    // Known-good: hidden by default, listed (with its set) when asked for.
    h.get_by_label("Known-good (2)").click_accesskit();
    h.step();
    h.step();
    let mut good: Vec<(String, String)> = h
        .state()
        .rows
        .iter()
        .filter(|r| r.reasons_text() == "known_good")
        .map(|r| (r.name.clone(), r.details.clone()))
        .collect();
    good.sort();
    assert_eq!(
        good,
        [
            ("notepad.exe".into(), "known_good: in demo-ignore".into()),
            ("notes.txt".into(), "known_good: in demo-ignore".into()),
        ]
    );
    assert_eq!(h.state().rows.len(), 5);
    assert_eq!(h.state().counts.total, 5);
    // Counts per chip, with the other filters applied.
    let c = h.state().counts.clone();
    assert_eq!((c.alert, c.mismatch, c.info, c.changed), (2, 2, 0, 0));
    // More items than the table loads: it says so.
    h.state_mut().table_rows = 2;
    h.state_mut().queue(ferret::gui::Command::Reload);
    h.step();
    h.step();
    assert_eq!(h.state().rows.len(), 2);
    h.get_by_label("2 of 5 items shown: narrow the filters or search to see the rest");
}

/// A picker that answers each dialog with a fixed path (no window).
fn scripted_picker(
    answers: Vec<(ferret::gui::dialogs::Pick, std::path::PathBuf)>,
) -> ferret::gui::dialogs::Picker {
    std::sync::Arc::new(move |pick, _start| {
        answers
            .iter()
            .find(|(p, _)| *p == pick)
            .map(|(_, path)| path.clone())
    })
}

/// Opens the File menu and clicks `item` in it.
pub(crate) fn file_menu(h: &mut Harness<'static, FerretApp>, item: &str) {
    h.get_by_label("File").click();
    h.run_steps(2);
    if h.query_all_by_label(item).next().is_none() {
        // A menu closed by an accessibility click can still count as open
        // for one more click (egui keeps the popup's state per id).
        h.get_by_label("File").click();
        h.run_steps(2);
    }
    // The menu is drawn above the screen: its item is the last of the name.
    h.get_all_by_label(item).last().unwrap().click_accesskit();
    h.run_steps(3);
}

#[test]
fn file_menu_and_dialogs_open_a_case_choose_folders_and_export_chosen_formats() {
    use ferret::gui::dialogs::Pick;
    let dir = tempfile::tempdir().unwrap();
    let (mut h, case_path) = demo_case(dir.path());
    file_menu(&mut h, "Close case");
    assert_eq!(h.state().screen, Screen::Home);
    let out = dir.path().join("reports");
    std::fs::create_dir(&out).unwrap();
    let evidence = ferret_demo().join("evidence");
    let set_file = ferret_demo().join("demo-alert.txt");
    h.state_mut().picker = scripted_picker(vec![
        (Pick::CaseFile, case_path.clone()),
        (Pick::ExportFolder, out.clone()),
        (Pick::EvidenceFolder, evidence.clone()),
        (Pick::HashSetFile, set_file.clone()),
    ]);
    // File > Open case... : the dialog's answer opens the case.
    file_menu(&mut h, "Open case...");
    step_until(&mut h, |a| a.screen == Screen::Review);
    assert_eq!(h.state().case().unwrap().path(), case_path);
    // File > Export report... : Browse picks the folder; two formats, all entries.
    file_menu(&mut h, "Export report...");
    h.get_by_label("Browse...").click_accesskit();
    step_until(&mut h, |a| a.export.parent == out.display().to_string());
    for label in [
        "HTML report for reading (report.html)",
        "JSON (report.json)",
        "DFXML (report.dfxml)",
        "CASE/UCO JSON-LD (case-uco.jsonld)",
    ] {
        h.get_by_label(label).click_accesskit();
        h.step();
    }
    h.get_by_label("every entry of the case").click_accesskit();
    h.run_steps(2);
    h.get_by_label("Write report").click_accesskit();
    step_until(&mut h, |a| a.last_export.is_some());
    let (report, sha) = h.state().last_export.clone().unwrap();
    assert_eq!(report.parent(), Some(out.as_path()));
    let mut files: Vec<String> = std::fs::read_dir(&report)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        ["inventory.hashdeep", "items.csv", "manifest.sha256"]
    );
    assert!(ferret::report::verify_report(&report).unwrap().is_empty());
    h.get_by_label_contains(&format!("manifest.sha256 SHA-256: {sha}"));
    // Scope "all": every entry of the demo evidence (6 files and 5 folders
    // below the root, plus the root) is a CSV row.
    let csv = std::fs::read_to_string(report.join("items.csv")).unwrap();
    let entries: i64 = super::util::db(&case_path)
        .query_row("SELECT count(*) FROM files", [], |r| r.get(0))
        .unwrap();
    assert_eq!(csv.lines().count() as i64, entries + 1, "{csv}");
    // The same name again would overwrite: refused before writing.
    // (the window no longer shows it as just written)
    h.state_mut().last_export = None;
    h.run_steps(2);
    h.get_by_label_contains("exists and is not empty; reports never overwrite");
    h.state_mut().export.open = false;
    // File > New case... : Browse fills the evidence folder (with what was
    // detected about it) and the hash-set file.
    file_menu(&mut h, "Close case");
    file_menu(&mut h, "New case...");
    assert_eq!(h.state().screen, Screen::Setup);
    h.get_all_by_label("Browse...")
        .next()
        .unwrap()
        .click_accesskit();
    step_until(&mut h, |a| {
        a.setup.evidence == evidence.display().to_string()
    });
    h.run_steps(2);
    h.get_by_label_contains("Detected: ");
    // A library folder being typed is listed, never created.
    let typed = dir.path().join("typo/lib");
    h.state_mut().setup.library = typed.display().to_string();
    h.run_steps(2);
    assert!(!dir.path().join("typo").exists());
    h.state_mut().setup.library.clear();
    h.get_all_by_label("Browse...")
        .nth(1)
        .unwrap()
        .click_accesskit();
    step_until(&mut h, |a| {
        a.setup.import_path == set_file.display().to_string()
    });
    // A dialog that answers nothing changes nothing; one that could not
    // even be shown (answered at once) says to type the path.
    h.state_mut().picker = scripted_picker(Vec::new());
    h.get_all_by_label("Browse...")
        .next()
        .unwrap()
        .click_accesskit();
    h.run_steps(5);
    assert_eq!(h.state().setup.evidence, evidence.display().to_string());
    let msg = h.state().message.clone().unwrap_or_default();
    assert!(msg.contains("No file dialog could be shown"), "{msg}");
}

#[test]
fn review_column_widths_are_dragged_and_kept_in_the_persisted_memory() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, case_path) = demo_case(dir.path());
    let size_x = |h: &Harness<'static, FerretApp>| h.get_by_label("Size").rect().left();
    let before = size_x(&h);
    // Drag the edge between Name and Size 80 px to the right.
    let y = h.get_by_label("Size").rect().center().y;
    let from = egui::pos2(before - 4.0, y);
    let to = from + egui::vec2(80.0, 0.0);
    h.hover_at(from);
    h.step();
    h.drag_at(from);
    h.step();
    for i in 1..=8 {
        h.hover_at(from + egui::vec2(10.0 * i as f32, 0.0));
        h.step();
    }
    h.drop_at(to);
    h.run_steps(3);
    let after = size_x(&h);
    assert!(
        (after - before - 80.0).abs() < 2.0,
        "Size column moved from {before} to {after}"
    );
    // eframe saves egui's memory between runs; a new window given that
    // memory lays the table out with the dragged width.
    let saved = h.ctx.memory(|m| ron::to_string(m).unwrap());
    drop(h);
    let mut h = harness(dir.path());
    h.ctx.memory_mut(|m| *m = ron::from_str(&saved).unwrap());
    h.state_mut()
        .queue(ferret::gui::Command::OpenCase(case_path));
    h.run_steps(4);
    assert_eq!(h.state().screen, Screen::Review);
    assert!(
        (size_x(&h) - after).abs() < 2.0,
        "{} vs {after}",
        size_x(&h)
    );
}

#[test]
fn help_lists_the_keyboard_shortcuts_and_about_names_the_build() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    h.step();
    h.get_by_label("Help").click();
    h.run_steps(3);
    h.get_by_label("Keyboard shortcuts").click_accesskit();
    h.step();
    h.step();
    assert!(h.state().show_shortcuts);
    h.get_by_label("c: mark Confirmed");
    h.get_by_label(
        "Space: reveal the preview: asks first, Space or Enter again reveals (written to the audit log)",
    );
    h.get_by_label("Help").click();
    h.run_steps(3);
    h.get_by_label("About Ferret").click_accesskit();
    h.step();
    h.step();
    h.get_by_label(&format!(
        "Ferret {} (build {})",
        ferret::VERSION,
        ferret::BUILD
    ));
}

#[test]
fn new_case_form_validates_then_scans_the_chosen_folder_with_the_chosen_sets() {
    let dir = tempfile::tempdir().unwrap();
    let (ev, lib) = contraband(dir.path());
    let mut h = harness(dir.path());
    open_new_case_form(&mut h);
    // Missing fields are named, and Start is refused.
    h.state_mut().setup.examiner.clear();
    h.step();
    h.get_by_label("Enter a case number.");
    h.get_by_label("Enter the examiner's name.");
    h.get_by_label("Choose the evidence folder.");
    // A folder that cannot be read: a clear error, and no scan starts.
    for bad in [dir.path().join("missing"), ev.join("other.txt")] {
        h.state_mut().setup.case_number = "X".into();
        h.state_mut().setup.evidence = bad.display().to_string();
        h.run_steps(2);
        h.get_by_label_contains("The evidence folder cannot be read: ");
        h.get_by_label_contains("Cannot be read: ");
        h.get_by_label("Start scan").click_accesskit();
        h.run_steps(2);
        assert_eq!(h.state().screen, Screen::Setup);
        assert!(h.state().case().is_none());
    }
    {
        let f = &mut h.state_mut().setup;
        f.case_number = "2026-0007".into();
        f.examiner = "J. Doe".into();
        f.evidence = ev.display().to_string();
        f.library = lib.display().to_string();
        f.display_tz = "Nowhere/Else".into();
    }
    h.step();
    h.step();
    h.get_by_label_contains("Unknown time zone \"Nowhere/Else\"");
    h.state_mut().setup.display_tz = "Europe/Berlin".into();
    h.step();
    h.step();
    h.get_by_label("WARNING: the evidence is mounted READ-WRITE. Mount it read-only before scanning (Ferret never writes to it, but the OS may).");
    h.get_by_label("bad (alert, 1 entries)").click_accesskit();
    h.step();
    h.step();
    assert!(h.state().setup.sets.iter().any(|s| s.chosen), "set chosen");
    // Options: MD5 only (the set lists MD5s), walk order, spinning disk.
    for label in ["SHA-1", "SHA-256", "BLAKE3", "Hash in walk order"] {
        h.get_by_label(label).click_accesskit();
        h.step();
    }
    h.state_mut().setup.device = "hdd".into();
    h.get_by_label("Start scan").click_accesskit();
    step_until(&mut h, |a| a.screen == Screen::Review);
    let names: Vec<String> = h.state().rows.iter().map(|r| r.name.clone()).collect();
    assert_eq!(names, ["known-bad.bin"]);
    let store = h.state().case().unwrap();
    assert_eq!(store.info().unwrap().case_number, "2026-0007");
    assert_eq!(store.info().unwrap().examiner, "J. Doe");
    assert_eq!(store.info().unwrap().display_tz, "Europe/Berlin");
    let scan = store.scans().unwrap().pop().unwrap();
    let stored = scan.settings().unwrap();
    assert_eq!(
        (
            stored.digests.to_string().as_str(),
            stored.order,
            stored.device
        ),
        (
            "md5",
            ferret::job::Order::Walk,
            Some(ferret::job::DeviceKind::Rotational)
        )
    );
    let (md5, sha256): (Option<Vec<u8>>, Option<Vec<u8>>) = super::util::db(store.path())
        .query_row(
            "SELECT md5, sha256 FROM files WHERE name_text = 'known-bad.bin'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(md5.is_some() && sha256.is_none(), "{md5:?} {sha256:?}");
    // MACB in UTC and in the case's display time zone.
    let id = h.state().rows[0].file_id;
    h.state_mut().queue(ferret::gui::Command::Select(id));
    h.step();
    h.step();
    h.get_by_label_contains("Modified (M): ");
    h.get_by_label_contains("Created (B): ");
    let local = h.get_all_by_label_contains("(Europe/Berlin)").count();
    assert!(local >= 3, "M, A and C in the display zone: {local}");
}

#[test]
fn bulk_marking_updates_every_selected_row_and_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, _) = demo_case(dir.path());
    let ids: Vec<i64> = h.state().rows.iter().map(|r| r.file_id).collect();
    assert_eq!(ids.len(), 3);
    // x toggles the selected row into the multi-selection.
    h.key_press(egui::Key::ArrowDown);
    h.step();
    h.step();
    h.key_press(egui::Key::X);
    h.step();
    h.step();
    assert_eq!(
        h.state().marked.iter().copied().collect::<Vec<_>>(),
        [ids[0]]
    );
    h.key_press(egui::Key::X);
    h.step();
    h.step();
    assert!(h.state().marked.is_empty());
    // Select all shown, then one bulk action marks all three.
    h.get_by_label("Select all shown").click_accesskit();
    h.step();
    h.step();
    assert_eq!(h.state().marked.len(), 3);
    h.get_by_label("False positive all").click_accesskit();
    h.step();
    h.step();
    assert!(
        h.state()
            .rows
            .iter()
            .all(|r| r.status == ReviewStatus::FalsePositive),
        "{:?}",
        h.state().rows.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    // Filtered to confirmed items, nothing is shown, and the selection
    // follows what is shown (a bulk action never reaches hidden rows).
    h.state_mut().view.status = Some(ReviewStatus::Confirmed);
    h.state_mut().queue(ferret::gui::Command::Reload);
    h.step();
    h.step();
    assert!(h.state().rows.is_empty());
    assert!(h.state().marked.is_empty());
    // Persisted, one audit row per item.
    let store = h.state().case().unwrap();
    let all = store
        .flagged(&FlagFilter::default(), SortKey::Path, false, 0, 100)
        .unwrap();
    assert!(all.iter().all(|r| r.status == ReviewStatus::FalsePositive));
    let audited = store
        .audit_rows()
        .unwrap()
        .iter()
        .filter(|a| a.action == "review_status" && a.detail.contains("false_positive"))
        .count();
    assert_eq!(audited, 3, "one audit row per item");
}

#[test]
fn malformed_images_show_cannot_preview_and_never_crash_the_app() {
    let Some(corpus) = crate::util::corpus() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("evidence");
    std::fs::create_dir(&ev).unwrap();
    // Every malformed image, flagged through an alert set of their MD5s.
    let mut list = String::new();
    for sub in std::fs::read_dir(corpus.join("malformed-images")).unwrap() {
        let sub = sub.unwrap().path();
        if !sub.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&sub).unwrap() {
            let f = f.unwrap().path();
            let ext = f.extension().and_then(|e| e.to_str()).unwrap_or("");
            if !["jpg", "png", "tif", "tiff", "gif", "bmp", "webp"].contains(&ext) {
                continue;
            }
            let bytes = std::fs::read(&f).unwrap();
            let name = format!(
                "{}-{}",
                sub.file_name().unwrap().to_string_lossy(),
                f.file_name().unwrap().to_string_lossy()
            );
            std::fs::write(ev.join(name), &bytes).unwrap();
            let md5 = ferret::hashing::hash_bytes(&bytes, ferret::AlgorithmSet::ALL)
                .hex(ferret::Algorithm::Md5)
                .unwrap();
            list.push_str(&format!("{md5}\n"));
        }
    }
    let lib = alert_library(dir.path(), "malformed", &list);
    let mut h = harness(dir.path());
    open_new_case_form(&mut h);
    {
        let f = &mut h.state_mut().setup;
        f.case_number = "MALFORMED-1".into();
        f.examiner = "Tester".into();
        f.evidence = ev.display().to_string();
        f.library = lib.display().to_string();
    }
    h.step();
    h.step();
    h.get_by_label("malformed (alert, 51 entries)")
        .click_accesskit();
    h.step();
    h.get_by_label("Start scan").click_accesskit();
    step_until(&mut h, |a| a.screen == Screen::Review);
    let ids: Vec<i64> = h.state().rows.iter().map(|r| r.file_id).collect();
    assert!(ids.len() >= 30, "{} flagged", ids.len());
    let (mut shown, mut refused, mut not_images) = (0, 0, 0);
    for id in ids {
        h.state_mut().queue(ferret::gui::Command::Select(id));
        h.step();
        h.step();
        step_until(&mut h, |a| !a.preview.loading());
        let p = &h.state().preview;
        assert!(!p.revealed, "a new selection starts blurred");
        match &p.unavailable {
            None => {
                assert!(p.ready(), "item {id}: neither a preview nor a reason");
                shown += 1;
            }
            Some(why) if why.starts_with("Cannot preview") => refused += 1,
            Some(why) if why.starts_with("No preview for") => not_images += 1,
            Some(why) => panic!("item {id}: unexpected {why}"),
        }
    }
    eprintln!(
        "GUI preview of malformed images: {shown} shown blurred, {refused} 'cannot preview', {not_images} not recognised as images"
    );
    assert!(refused > 0);
}

#[test]
fn reveal_blurs_again_after_the_timeout_and_recent_cases_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, case_path) = demo_case(dir.path());
    assert_eq!(h.state().settings.recent_cases.first(), Some(&case_path));
    // The timeout is a setting (View > Settings...).
    h.state_mut().settings.reveal_timeout_secs = 1;
    h.get_by_label("beach.png").click();
    h.step();
    h.step();
    step_until(&mut h, |a| {
        a.preview.ready() || a.preview.unavailable.is_some()
    });
    // Space asks first; Escape keeps it blurred; nothing is logged.
    h.key_press(egui::Key::Space);
    h.run_steps(2);
    assert!(h.state().preview.confirming && !h.state().preview.revealed);
    h.get_by_label_contains("Reveal this image in colour?");
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    assert!(!h.state().preview.confirming && !h.state().preview.revealed);
    assert_eq!(reveals(h.state()), 0);
    // Space, then Space again: revealed, and logged once.
    h.key_press(egui::Key::Space);
    h.run_steps(2);
    h.key_press(egui::Key::Space);
    h.run_steps(3);
    assert!(h.state().preview.revealed);
    assert_eq!(reveals(h.state()), 1);
    std::thread::sleep(Duration::from_millis(1100));
    h.step();
    h.step();
    assert!(!h.state().preview.revealed, "blurred again after 1 s");
    h.get_by_label("blurred greyscale preview");
    // Close the case: Home lists it under Recent cases; one click reopens it.
    file_menu(&mut h, "Close case");
    h.step();
    h.step();
    assert_eq!(h.state().screen, Screen::Home);
    let name = case_path
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    h.get_by_label(&format!("Open {name}")).click_accesskit();
    h.step();
    h.step();
    assert_eq!(h.state().screen, Screen::Review);
    assert_eq!(h.state().case().unwrap().path(), case_path);
    assert_eq!(h.state().rows.len(), 3);
    // Settings survive a restart through eframe's storage (serde).
    let saved = serde_json::to_string(&h.state().settings).unwrap();
    let back: ferret::gui::Settings = serde_json::from_str(&saved).unwrap();
    assert_eq!(back, h.state().settings);
}

#[test]
fn a_case_with_an_unfinished_scan_offers_resume_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let (ev, lib) = contraband(dir.path());
    // A case whose only scan was cancelled before it recorded anything.
    let case_path = dir.path().join("r.ferret");
    {
        let info = ferret::case::CaseInfo {
            case_number: "R-1".into(),
            examiner: "T".into(),
            ..Default::default()
        };
        let store = CaseStore::create(&case_path, &info, "T").unwrap();
        let evidence = store.add_evidence("1", "", &ev, None, "T").unwrap();
        let stored = ferret::ScanSettings {
            hash_sets: vec!["bad".into()],
            ..Default::default()
        };
        let set = ferret::hashsets::HashLibrary::open(&lib)
            .unwrap()
            .load("bad")
            .unwrap();
        let catalog = ferret::hashsets::HashSetCatalog::new(vec![set]);
        let (scan, _) = store
            .begin_scan(evidence, &stored, &catalog, None, "T")
            .unwrap();
        store
            .finish_scan(
                scan,
                ferret::case::ScanStatus::Cancelled,
                &serde_json::json!({}),
                "T",
            )
            .unwrap();
    }
    let mut h = harness(dir.path());
    h.state_mut().settings.last_library = lib.display().to_string();
    h.state_mut()
        .queue(ferret::gui::Command::OpenCase(case_path.clone()));
    h.step();
    h.step();
    assert_eq!(h.state().screen, Screen::Review);
    assert!(h.state().rows.is_empty());
    h.get_by_label("Scan 1 of this case did not finish; what it recorded is kept.");
    h.get_by_label("Resume scan").click_accesskit();
    h.step();
    assert_eq!(h.state().screen, Screen::Scanning);
    step_until(&mut h, |a| a.screen == Screen::Review);
    let names: Vec<String> = h.state().rows.iter().map(|r| r.name.clone()).collect();
    assert_eq!(names, ["known-bad.bin"]);
    assert!(h.state().resumable.is_none());
    let scans = h.state().case().unwrap().scans().unwrap();
    assert_eq!(scans.len(), 2);
    assert_eq!(
        (scans[0].status, scans[1].status),
        (ScanStatus::Superseded, ScanStatus::Complete)
    );
}

#[test]
fn a_hash_set_imported_from_the_form_is_listed_with_its_rejects() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("partner-list.txt");
    std::fs::write(
        &list,
        "900150983cd24fb0d6963f7d28e17f72\nnot-a-digest\nd41d8cd98f00b204e9800998ecf8427e\n",
    )
    .unwrap();
    let lib = dir.path().join("lib");
    let mut h = harness(dir.path());
    open_new_case_form(&mut h);
    h.state_mut().setup.library = lib.display().to_string();
    h.step();
    h.step();
    h.get_by_label("(none yet: import one below, or with `ferret hashset import`)");
    {
        let f = &mut h.state_mut().setup;
        f.import_path = list.display().to_string();
        f.import_name = "Partner list".into();
    }
    h.step();
    h.get_by_label("ignore").click_accesskit();
    h.step();
    h.get_by_label("Import hash set").click_accesskit();
    step_until(&mut h, |a| {
        a.message
            .as_deref()
            .is_some_and(|m| m.starts_with("Import"))
    });
    let msg = h.state().message.clone().unwrap();
    // The name is made safe for a file name; the format is sniffed.
    assert!(msg.starts_with("Imported Partner_list (ignore, "), "{msg}");
    assert!(
        msg.contains("): 2 entries; 1 lines rejected, first: "),
        "{msg}"
    );
    assert!(msg.contains("partner-list.txt:2: "), "{msg}");
    h.step();
    h.step();
    h.get_by_label("Partner_list (ignore, 2 entries)");
}

#[test]
fn a_large_case_shows_at_once_read_only_and_a_damaged_one_is_closed_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, case_path) = demo_case(dir.path());
    file_menu(&mut h, "Close case");
    // Every case counts as large: shown first, checked on a worker.
    h.state_mut().defer_check_over = 0;
    h.state_mut()
        .queue(ferret::gui::Command::OpenCase(case_path.clone()));
    // Queued in the same frame: applied before the check can answer.
    h.state_mut()
        .queue(ferret::gui::Command::SetStatus(ReviewStatus::Confirmed));
    h.step();
    assert_eq!(h.state().screen, Screen::Review);
    assert!(h.state().checking_case());
    assert_eq!(h.state().rows.len(), 3, "the table is there at once");
    assert_eq!(
        h.state().message.as_deref(),
        Some(ferret::gui::CHECKING),
        "writes wait for the check"
    );
    step_until(&mut h, |a| !a.checking_case());
    assert_eq!(h.state().screen, Screen::Review);
    // Checked: writable now.
    h.get_by_label("beach.png").click();
    h.run_steps(2);
    h.get_by_label("Confirm").click_accesskit();
    h.run_steps(2);
    let beach = h.state().rows.iter().find(|r| r.name == "beach.png");
    assert_eq!(beach.map(|r| r.status), Some(ReviewStatus::Confirmed));
    file_menu(&mut h, "Close case");
    // A damaged copy: shown read-only, then closed with a clear message,
    // and never written to.
    let cut = dir.path().join("cut.ferret");
    let mut bytes = std::fs::read(&case_path).unwrap();
    let mid = bytes.len() / 2 / 4096 * 4096;
    bytes[mid..mid + 4096].fill(0x55);
    std::fs::write(&cut, &bytes).unwrap();
    let before = std::fs::read(&cut).unwrap();
    h.state_mut()
        .queue(ferret::gui::Command::OpenCase(cut.clone()));
    h.step();
    assert!(h.state().checking_case());
    step_until(&mut h, |a| !a.checking_case());
    assert_eq!(h.state().screen, Screen::Home);
    assert!(h.state().case().is_none());
    let msg = h.state().message.clone().unwrap_or_default();
    assert!(
        msg.contains("damaged and was closed without writing"),
        "{msg}"
    );
    drop(h);
    assert_eq!(std::fs::read(&cut).unwrap(), before, "byte-identical");
}

#[test]
fn the_detail_pane_lists_each_hit_with_its_category_label_and_provenance() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("evidence");
    std::fs::create_dir(&ev).unwrap();
    std::fs::write(ev.join("known-bad.bin"), b"pretend contraband").unwrap();
    let md5 = ferret::hashing::hash_bytes(b"pretend contraband", ferret::AlgorithmSet::ALL)
        .hex(ferret::Algorithm::Md5)
        .unwrap()
        .to_uppercase();
    // A VICS 2.0 set (US profile): category 1 is an alert.
    let lib = alert_library(
        dir.path(),
        "vics",
        &format!(
            r#"{{"@odata.context":"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media",
 "value":[{{"MediaID":7,"Category":1,"MD5":"{md5}","MediaSize":18}}]}}"#
        ),
    );
    let mut h = harness(dir.path());
    open_new_case_form(&mut h);
    {
        let f = &mut h.state_mut().setup;
        f.case_number = "2026-0008".into();
        f.evidence = ev.display().to_string();
        f.library = lib.display().to_string();
    }
    h.run_steps(2);
    h.get_by_label("vics (alert, 1 entries)").click_accesskit();
    h.run_steps(2);
    h.get_by_label("Start scan").click_accesskit();
    step_until(&mut h, |a| a.screen == Screen::Review);
    let id = h.state().rows[0].file_id;
    assert_eq!(
        h.state().rows[0].sets,
        "vics cat 1",
        "the Set / category column"
    );
    h.get_by_label("vics cat 1");
    h.state_mut().queue(ferret::gui::Command::Select(id));
    h.run_steps(2);
    h.get_by_label("Hash-set hits (1)");
    // Its provenance on hover: the source file and its SHA-256.
    h.get_by_label("vics (alert): entry 0, md5, category 1 (Child abuse material), media 7")
        .hover();
    h.run_steps(60); // tooltips wait for the pointer to rest
    let source = dir.path().join("vics.txt");
    let sha =
        ferret::hashing::hash_bytes(&std::fs::read(&source).unwrap(), ferret::AlgorithmSet::ALL)
            .hex(ferret::Algorithm::Sha256)
            .unwrap();
    h.get_by_label_contains(&format!("SHA-256 {sha}"));
}
