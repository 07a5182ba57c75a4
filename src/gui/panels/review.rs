//! Review: the flagged-item table and the detail pane with review actions.

use eframe::egui;
use egui_extras::{Column, TableBuilder};

use crate::case::review::{CategoryChoice, ReviewStatus, SortKey};
use crate::gui::{Command, FerretApp};

/// The review screen.
pub fn review_ui(ui: &mut egui::Ui, app: &mut FerretApp) {
    // The table keeps at least half the window, at any text size.
    let half = (ui.available_width() * 0.5).max(260.0);
    egui::Panel::right("detail")
        .default_size(440.0_f32.min(half))
        .min_size(260.0)
        .max_size(520.0_f32.min(half))
        .show(ui, |ui| {
            egui::ScrollArea::both()
                .auto_shrink([false, false])
                .show(ui, |ui| detail_ui(ui, app));
        });
    egui::CentralPanel::default().show(ui, |ui| {
        if app.checking_case() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.colored_label(ui.visuals().warn_fg_color, crate::gui::CHECKING);
            });
        }
        let read_only = app.case().is_some_and(|c| c.is_read_only()) && !app.checking_case();
        if read_only {
            ui.colored_label(ui.visuals().warn_fg_color, crate::gui::READ_ONLY);
        }
        if let Some(m) = &app.message
            && (m != crate::gui::CHECKING || !app.checking_case())
            && (m != crate::gui::READ_ONLY || !read_only)
        {
            ui.label(m);
        }
        if let Some(id) = app.resumable {
            ui.horizontal(|ui| {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!("Scan {id} of this case did not finish; what it recorded is kept."),
                );
                if ui
                    .button("Resume scan")
                    .on_hover_text("Continue it, skipping the entries already recorded")
                    .clicked()
                {
                    app.queue(Command::ResumeScan);
                }
            });
        }
        keyboard(ui, app);
        ui.horizontal_wrapped(|ui| {
            let mut changed = false;
            let c = &app.counts;
            for (label, n, on) in [
                ("Alerts", c.alert, &mut app.view.alert),
                ("Mismatches", c.mismatch, &mut app.view.mismatch),
                ("Info", c.info, &mut app.view.info),
                ("Changed while read", c.changed, &mut app.view.changed),
                ("Archives", c.archive, &mut app.view.archive),
                ("Known-good", c.known_good, &mut app.view.known_good),
            ] {
                // While every picture is shown the chips only count.
                let chip = ui
                    .add_enabled(
                        !app.view.all_media,
                        egui::Button::selectable(*on, format!("{label} ({n})")),
                    )
                    .on_hover_text(format!("Show or hide {label}"));
                if chip.clicked() {
                    *on = !*on;
                    changed = true;
                }
            }
            if changed {
                app.queue(Command::Reload);
            }
        });
        ui.horizontal_wrapped(|ui| {
            let mut changed = false;
            let label = ui.label("Search path");
            let search = ui.add(
                egui::TextEdit::singleline(&mut app.view.search)
                    .id(egui::Id::unique(SEARCH_ID))
                    .desired_width(180.0)
                    .hint_text("/ to focus"),
            );
            let search = search.labelled_by(label.id);
            changed |= search.changed();
            let status_label = |s: Option<ReviewStatus>| match s {
                None => "any",
                Some(ReviewStatus::Unreviewed) => "unreviewed",
                Some(ReviewStatus::Confirmed) => "confirmed",
                Some(ReviewStatus::FalsePositive) => "false positive",
                Some(ReviewStatus::SecondLook) => "needs second look",
            };
            ui.label("Review status");
            egui::ComboBox::from_id_salt("status-filter")
                .selected_text(status_label(app.view.status))
                .show_ui(ui, |ui| {
                    for s in [
                        None,
                        Some(ReviewStatus::Unreviewed),
                        Some(ReviewStatus::Confirmed),
                        Some(ReviewStatus::FalsePositive),
                        Some(ReviewStatus::SecondLook),
                    ] {
                        changed |= ui
                            .selectable_value(&mut app.view.status, s, status_label(s))
                            .changed();
                    }
                });
            ui.label("Media");
            egui::ComboBox::from_id_salt("media-filter")
                .selected_text(app.view.media.as_deref().unwrap_or("any"))
                .show_ui(ui, |ui| {
                    for m in [
                        None,
                        Some("image"),
                        Some("video"),
                        Some("audio"),
                        Some("archive"),
                        Some("document"),
                        Some("executable"),
                        Some("text"),
                        Some("high_entropy"),
                        Some("unknown"),
                        Some("other"),
                    ] {
                        changed |= ui
                            .selectable_value(
                                &mut app.view.media,
                                m.map(str::to_string),
                                m.unwrap_or("any"),
                            )
                            .changed();
                    }
                });
            changed |= ui
                .toggle_value(&mut app.view.bookmarked, "Bookmarked only")
                .changed();
            if changed {
                app.queue(Command::Reload);
            }
        });
        ui.horizontal_wrapped(|ui| {
            let mut changed = false;
            ui.label("Show");
            changed |= ui
                .selectable_value(&mut app.view.all_media, false, "Flagged items")
                .changed();
            changed |= ui
                .selectable_value(&mut app.view.all_media, true, "All pictures and videos")
                .on_hover_text("Every picture and video of the case, flagged or not: the unknown ones are where new victims are found")
                .changed();
            ui.label("Category");
            let labels = app.category_labels.clone();
            let text = |c: Option<CategoryChoice>| match c {
                None => "any".to_string(),
                Some(CategoryChoice::Uncategorised) => "uncategorised".to_string(),
                Some(CategoryChoice::Is(n)) => crate::case::category_text(&labels, n),
            };
            egui::ComboBox::from_id_salt("category-filter")
                .selected_text(text(app.view.category))
                .show_ui(ui, |ui| {
                    let choices = [None, Some(CategoryChoice::Uncategorised)]
                        .into_iter()
                        .chain((0..=4).map(|n| Some(CategoryChoice::Is(n))));
                    for c in choices {
                        changed |= ui
                            .selectable_value(&mut app.view.category, c, text(c))
                            .changed();
                    }
                });
            ui.label("Hash set");
            egui::ComboBox::from_id_salt("set-filter")
                .selected_text(
                    app.view
                        .set
                        .as_deref()
                        .map_or_else(|| "any".into(), crate::pathfmt::display_safe),
                )
                .show_ui(ui, |ui| {
                    let names = app.set_names.clone();
                    changed |= ui.selectable_value(&mut app.view.set, None, "any").changed();
                    for n in names {
                        let shown = crate::pathfmt::display_safe(&n).into_owned();
                        changed |= ui
                            .selectable_value(&mut app.view.set, Some(n), shown)
                            .changed();
                    }
                });
            ui.label("Sort");
            let sort_label = |k: SortKey| match k {
                SortKey::Path => "path",
                SortKey::Name => "name",
                SortKey::Size => "size",
                SortKey::Modified => "modified",
                SortKey::Type => "type",
                SortKey::Status => "review status",
                SortKey::Reason => "reason",
                SortKey::Set => "set",
                SortKey::Category => "category",
                SortKey::Group => "group (copies, near-duplicates)",
            };
            egui::ComboBox::from_id_salt("sort")
                .selected_text(sort_label(app.view.sort))
                .show_ui(ui, |ui| {
                    for k in [
                        SortKey::Path,
                        SortKey::Size,
                        SortKey::Modified,
                        SortKey::Type,
                        SortKey::Category,
                        SortKey::Group,
                    ] {
                        changed |= ui
                            .selectable_value(&mut app.view.sort, k, sort_label(k))
                            .changed();
                    }
                });
            if changed {
                app.queue(Command::Reload);
            }
            let c = &app.category_counts;
            ui.label(format!(
                "{} of {} pictures and videos categorised",
                thousands(c.categorised),
                thousands(c.media)
            ));
        });
        ui.horizontal(|ui| {
            if ui.button("Select all shown").clicked() {
                app.queue(Command::MarkAllShown);
            }
            if !app.marked.is_empty() {
                ui.label(format!("{} selected:", app.marked.len()));
                for (label, status) in [
                    ("Confirm all", ReviewStatus::Confirmed),
                    ("False positive all", ReviewStatus::FalsePositive),
                    ("Second look all", ReviewStatus::SecondLook),
                ] {
                    if ui.button(label).clicked() {
                        app.queue(Command::SetStatus(status));
                    }
                }
                if ui.button("Clear selection").clicked() {
                    app.queue(Command::ClearMarks);
                }
            }
        });
        ui.horizontal(|ui| {
            let shown = app.rows.len() as u64;
            if shown < app.counts.total {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!(
                        "{shown} of {} items shown: narrow the filters or search to see the rest",
                        app.counts.total
                    ),
                );
            } else if app.view.all_media {
                ui.label(format!("{shown} pictures and videos"));
            } else {
                ui.label(format!("{shown} flagged items"));
            }
            ui.separator();
            ui.selectable_value(&mut app.view.gallery, false, "Table");
            ui.selectable_value(&mut app.view.gallery, true, "Gallery (g)")
                .on_hover_text("Thumbnails, greyscale and blurred; copies stacked in one tile");
            if ui
                .button("Export report...")
                .on_hover_text("Choose formats, scope and folder")
                .clicked()
            {
                app.queue(Command::ShowExport);
            }
        });
        ui.style_mut().interaction.selectable_labels = false;
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
        if app.view.gallery {
            super::gallery::gallery_ui(ui, app);
            return;
        }
        let mut clicked = None;
        let mut toggled = None;
        let mut sort_by = None;
        let ctrl = ui.input(|i| i.modifiers.command || i.modifiers.ctrl);
        // Wider than the space beside the detail pane: scrolls sideways.
        egui::ScrollArea::horizontal().show(ui, |ui| {
            TableBuilder::new(ui)
                .striped(true)
                .sense(egui::Sense::click())
                // Widths are dragged by the header edges and kept between
                // runs (egui memory, persisted by eframe).
                .resizable(true)
                .column(Column::initial(100.0).at_least(60.0))
                .column(Column::initial(70.0).at_least(40.0))
                .column(Column::initial(110.0).at_least(60.0))
                .column(Column::initial(110.0).at_least(60.0))
                .column(Column::initial(150.0).at_least(60.0))
                .column(Column::initial(64.0).at_least(40.0))
                .column(Column::initial(150.0).at_least(60.0))
                .column(Column::initial(90.0).at_least(40.0))
                .column(Column::remainder().at_least(220.0))
                .header(20.0, |mut h| {
                    for (t, key) in [
                        ("Status", SortKey::Status),
                        ("Category", SortKey::Category),
                        ("Reason", SortKey::Reason),
                        ("Set / category", SortKey::Set),
                        ("Name", SortKey::Name),
                        ("Size", SortKey::Size),
                        ("Modified (UTC)", SortKey::Modified),
                        ("Type", SortKey::Type),
                        ("Path", SortKey::Path),
                    ] {
                        h.col(|ui| {
                            let arrow = match (app.view.sort == key, app.view.descending) {
                                (true, false) => " ^",
                                (true, true) => " v",
                                _ => "",
                            };
                            if ui
                                .button(format!("{t}{arrow}"))
                                .on_hover_text(format!("Sort by {t}"))
                                .clicked()
                            {
                                sort_by = Some(key);
                            }
                        });
                    }
                })
                .body(|body| {
                    body.rows(20.0, app.rows.len(), |mut row| {
                        let r = &app.rows[row.index()];
                        let marked = app.marked.contains(&r.file_id);
                        row.set_selected(app.selected == Some(r.file_id) || marked);
                        row.col(|ui| {
                            let mark = match (marked, r.bookmark) {
                                (true, true) => "[x] * ",
                                (true, false) => "[x] ",
                                (false, true) => "* ",
                                (false, false) => "",
                            };
                            let (sign, colour) = status_icon(ui, r.status);
                            ui.colored_label(
                                colour,
                                format!("{mark}{sign} {}", r.status.as_str().replace('_', " ")),
                            );
                        });
                        row.col(|ui| {
                            let text = super::gallery::badge_text(r).unwrap_or_default();
                            let copies = if r.copies > 1 {
                                format!(" x{}", r.copies)
                            } else {
                                String::new()
                            };
                            ui.label(format!("{text}{copies}")).on_hover_text(
                                r.category.map_or_else(
                                    || "Uncategorised".to_string(),
                                    |c| {
                                        crate::case::category_text(&app.category_labels, c)
                                            + if r.precategorised {
                                                " (from a hash set)"
                                            } else {
                                                " (examiner)"
                                            }
                                    },
                                ),
                            );
                        });
                        row.col(|ui| {
                            ui.label(r.reasons_text()).on_hover_text(&r.details);
                        });
                        row.col(|ui| {
                            ui.label(&r.sets);
                        });
                        row.col(|ui| {
                            ui.label(crate::gui::fonts::legible(ui.ctx(), &r.name));
                        });
                        row.col(|ui| {
                            ui.label(r.size.map(|s| s.to_string()).unwrap_or_default());
                        });
                        row.col(|ui| {
                            ui.label(
                                r.mtime_ns
                                    .map(crate::gui::time::utc_seconds)
                                    .unwrap_or_default(),
                            );
                        });
                        row.col(|ui| {
                            ui.label(r.mime.as_deref().unwrap_or(""));
                        });
                        row.col(|ui| {
                            ui.label(crate::gui::fonts::legible(ui.ctx(), &r.path));
                        });
                        if row.response().clicked() {
                            if ctrl {
                                toggled = Some(r.file_id);
                            } else {
                                clicked = Some(r.file_id);
                            }
                        }
                    });
                });
        });
        if let Some(id) = clicked {
            app.queue(Command::Select(id));
        }
        if let Some(id) = toggled {
            app.queue(Command::ToggleMark(id));
        }
        if let Some(key) = sort_by {
            app.queue(Command::SortBy(key));
        }
    });
}

/// Most near-duplicates of an item listed in the detail pane.
const GROUP_SHOWN: usize = 8;

/// Most copies of an item listed in the detail pane.
const COPIES_SHOWN: usize = 20;

/// `n` with thin thousands separators (`40,112`).
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The item's category (the examiner's and the sets', both shown), the
/// keys that set it, and its copies (the duplicate stack, opened).
fn category_ui(ui: &mut egui::Ui, app: &mut FerretApp, detail: &Detail) {
    let labels = app.category_labels.clone();
    let labels = &labels;
    let c = &detail.category;
    let text = |n: i64| crate::case::category_text(labels, n);
    let line = match (c.examiner, &c.preset) {
        (Some(e), Some((p, set))) => format!(
            "Category: {} (examiner); hash set {set} says {}",
            text(e),
            text(*p)
        ),
        (Some(e), None) => format!("Category: {} (examiner)", text(e)),
        (None, Some((p, set))) => format!("Category: {} (from hash set {set})", text(*p)),
        (None, None) => "Category: uncategorised".to_string(),
    };
    ui.strong(line);
    ui.horizontal_wrapped(|ui| {
        for n in 0..=4 {
            let label = labels
                .iter()
                .find(|(k, _)| *k == n)
                .and_then(|(_, l)| l.clone())
                .unwrap_or_default();
            if ui
                .button(format!("{n}"))
                .on_hover_text(format!("Category {n} {label} (key {n})"))
                .clicked()
            {
                app.queue(Command::SetCategory(Some(n)));
            }
        }
        if ui
            .button("Clear")
            .on_hover_text("Remove the examiner's category (Backspace)")
            .clicked()
        {
            app.queue(Command::SetCategory(None));
        }
    });
    if detail.copies.len() > 1 {
        ui.label(format!(
            "{} copies (every digest equal); a category applies to all:",
            detail.copies.len()
        ));
        for p in detail.copies.iter().take(COPIES_SHOWN) {
            ui.label(format!("    {}", crate::gui::fonts::legible(ui.ctx(), p)));
        }
        if detail.copies.len() > COPIES_SHOWN {
            ui.label(format!(
                "    and {} more",
                detail.copies.len() - COPIES_SHOWN
            ));
        }
    }
}

/// The selected item as the detail pane shows it, read once per selection
/// (and again after the table is reloaded), not every frame.
pub struct Detail {
    id: i64,
    row: crate::case::ReportRow,
    hits: Vec<crate::case::review::HitRow>,
    /// Its near-duplicate group (itself first), empty when in none.
    group: Vec<crate::case::similar::SimilarItem>,
    /// Its category, the examiner's and the sets'.
    category: crate::case::ItemCategory,
    /// The paths of its copies (itself included), by file id.
    copies: Vec<String>,
}

fn detail_ui(ui: &mut egui::Ui, app: &mut FerretApp) {
    ui.heading("Detail");
    let cached = app.detail.take();
    let (Some(id), Some(store)) = (app.selected, app.case()) else {
        ui.label("Nothing selected");
        return;
    };
    let detail = match cached.filter(|d| d.id == id) {
        Some(d) => Some(d),
        None => store.report_row(id).ok().flatten().map(|row| Detail {
            id,
            row,
            hits: store.hits_of(id).unwrap_or_default(),
            group: store.similar_to(id).unwrap_or_default(),
            category: store.item_category(id).unwrap_or_default(),
            copies: store
                .copies_of(id)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|c| store.report_row(c).ok().flatten())
                .map(|r| format!("{}: {}", r.exhibit, r.item_path()))
                .collect(),
        }),
    };
    let Some(detail) = detail else {
        ui.label("Item not found");
        return;
    };
    detail_body(ui, app, &detail);
    app.detail = Some(detail);
}

fn detail_body(ui: &mut egui::Ui, app: &mut FerretApp, detail: &Detail) {
    let (row, hits) = (&detail.row, &detail.hits);
    ui.horizontal_wrapped(|ui| {
        super::copy_button(
            ui,
            "Copy the path (escaped form: reversible for any bytes)",
            &row.item_path(),
        );
        ui.label(format!(
            "Selected: {}",
            crate::gui::fonts::legible(ui.ctx(), &row.item_path())
        ));
    });
    if let Some(chain) = row.members_raw().filter(|c| !c.is_empty()) {
        // Innermost first: the member, then each archive holding it.
        let mut lines: Vec<String> = chain
            .iter()
            .rev()
            .map(|(m, nth)| match nth {
                1 => row.style.escape(m),
                n => format!("{} (member #{n} of that name)", row.style.escape(m)),
            })
            .collect();
        lines.push(row.path.clone());
        let first = lines.remove(0);
        ui.label(format!("Archive member {first}"));
        for container in lines {
            ui.label(format!("    inside {container}"));
        }
    }
    if let Some(archive) = &row.archive {
        ui.label(format!("Archive: {archive}"));
    }
    if let Some(stream) = &row.stream {
        ui.label(format!(
            "Hidden in a named data stream (NTFS alternate data stream) {stream} of {}",
            row.path
        ));
    }
    if let Some(a) = &row.attributes {
        ui.label(format!("Windows attributes: {a}"));
    }
    ui.label(format!(
        "Size: {}",
        row.size.map(|s| s.to_string()).unwrap_or_default()
    ));
    ui.label(format!("Type: {}", row.mime.clone().unwrap_or_default()));
    for (name, v) in [
        ("MD5", &row.md5),
        ("SHA-1", &row.sha1),
        ("SHA-256", &row.sha256),
        ("BLAKE3", &row.blake3),
    ] {
        if let Some(h) = v {
            ui.horizontal(|ui| {
                super::copy_button(ui, &format!("Copy {name}"), h);
                ui.label(
                    egui::RichText::new(format!("{name}: {h}"))
                        .monospace()
                        .small(),
                );
            });
        }
    }
    if let Some(h) = &row.pdq {
        ui.horizontal(|ui| {
            super::copy_button(ui, "Copy PDQ", h);
            ui.label(egui::RichText::new(format!("PDQ: {h}")).monospace().small())
                .on_hover_text(
                    "Perceptual hash: resized or re-saved copies hash within a few bits",
                );
        });
        ui.label(format!(
            "PDQ quality: {} of 100",
            row.pdq_quality.unwrap_or_default()
        ));
        if let Some(note) = &row.pdq_note {
            ui.label(note);
        }
    } else if let Some(why) = &row.pdq_note {
        ui.label(format!("PDQ: none ({why})"));
    }
    if detail.group.len() > 1 {
        ui.horizontal_wrapped(|ui| {
            ui.strong(format!(
                "Near-duplicates: {} pictures in its group",
                detail.group.len()
            ))
            .on_hover_text(
                "Pictures of the case whose PDQ hashes are within 31 bits of this one \
                 (or of another in the group): resized, re-encoded or edited copies",
            );
            if ui
                .button("Select the group")
                .on_hover_text("Add every picture of the group to the selection, so that one review mark applies to all")
                .clicked()
            {
                app.queue(Command::MarkGroup(
                    detail.group.iter().map(|g| g.id).collect(),
                ));
            }
        });
        for g in detail.group.iter().skip(1).take(GROUP_SHOWN) {
            ui.label(format!("    distance {:>3}: {}", g.distance, g.path));
        }
        if detail.group.len() > GROUP_SHOWN + 1 {
            ui.label(format!(
                "    and {} more (ferret case similar lists them all)",
                detail.group.len() - GROUP_SHOWN - 1
            ));
        }
    }
    let tz = &app.display_tz;
    for (name, t) in [
        ("Modified (M)", &row.mtime),
        ("Accessed (A)", &row.atime),
        ("Changed (C)", &row.ctime),
        ("Created (B)", &row.crtime),
    ] {
        let Some(t) = t else {
            ui.label(format!("{name}: not recorded"));
            continue;
        };
        match crate::gui::time::in_zone(t, tz) {
            Some(local) => ui.label(format!("{name}: {t} = {local}")),
            None => ui.label(format!("{name}: {t}")),
        };
    }
    if !hits.is_empty() {
        ui.strong(format!("Hash-set hits ({})", hits.len()));
    }
    for h in hits {
        let mut line = format!("{} ({}): entry {}, {}", h.set, h.kind, h.entry, h.basis());
        if let Some(c) = h.category {
            line.push_str(&format!(", category {c}"));
            if let Some(l) = &h.category_label {
                line.push_str(&format!(" ({l})"));
            }
        }
        if let Some(m) = h.media_id {
            line.push_str(&format!(", media {m}"));
        }
        if let Some(n) = &h.entry_name {
            line.push_str(&format!(", {n}"));
        }
        let about = h.provenance.as_ref().map_or_else(
            || "provenance not recorded".to_string(),
            |p| {
                format!(
                    "Source {} ({}, {} entries)\nSHA-256 {}\nImported {}",
                    p.source_path.display(),
                    p.format,
                    p.entries,
                    p.source_sha256,
                    p.imported_at
                )
            },
        );
        ui.label(line).on_hover_text(about);
    }
    if let Some(reason) = &row.reason {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            format!("Not hashed ({}): {reason}", row.status),
        );
    }
    ui.label(format!("Flags: {}", row.flags));
    ui.label(format!("Review: {}", row.review));
    category_ui(ui, app, detail);
    ui.separator();
    let (store, examiner) = (app.case.as_ref(), app.examiner.clone());
    if let Some(store) = store {
        let timeout = match app.settings.reveal_timeout_secs {
            0 => None,
            s => Some(std::time::Duration::from_secs(u64::from(s))),
        };
        super::preview::preview_ui(ui, &mut app.preview, row, store, &examiner, timeout);
    }
    ui.separator();
    ui.horizontal(|ui| {
        let label = ui.label("Note");
        let width = (ui.available_width() - 190.0).max(120.0);
        ui.add(egui::TextEdit::singleline(&mut app.view.note).desired_width(width))
            .labelled_by(label.id);
        if ui.button("Save note").clicked() {
            app.queue(Command::SaveNote);
        }
        if ui.button("Bookmark (b)").clicked() {
            app.queue(Command::ToggleBookmark);
        }
    });
    ui.horizontal(|ui| {
        for (label, status) in [
            ("Confirm", ReviewStatus::Confirmed),
            ("False positive", ReviewStatus::FalsePositive),
            ("Needs second look", ReviewStatus::SecondLook),
        ] {
            if ui.button(label).clicked() {
                app.queue(Command::SetStatus(status));
            }
        }
    });
}

const SEARCH_ID: &str = "review-search";

/// A sign and a colour per review status (ASCII: egui's bundled fonts
/// have no check-mark glyphs).
fn status_icon(ui: &egui::Ui, s: ReviewStatus) -> (&'static str, egui::Color32) {
    let v = ui.visuals();
    match s {
        ReviewStatus::Unreviewed => ("o", v.weak_text_color()),
        ReviewStatus::Confirmed => ("+", v.error_fg_color),
        ReviewStatus::FalsePositive => ("-", v.weak_text_color()),
        ReviewStatus::SecondLook => ("?", v.warn_fg_color),
    }
}

/// Keyboard: Up/Down or k/j move, c/f/n set Confirmed / False positive /
/// Needs second look, 0-4 set the category (Backspace clears it), b
/// bookmarks, g switches table and gallery, `/` focuses the search, Space
/// reveals the preview (audit-logged like the button). Ignored while
/// typing.
fn keyboard(ui: &mut egui::Ui, app: &mut FerretApp) {
    let typing = ui.ctx().egui_wants_keyboard_input();
    if typing {
        return;
    }
    let pressed = |k: egui::Key| ui.input(|i| i.key_pressed(k));
    // In the gallery the arrows move between tiles (its own keys).
    let arrows = !app.view.gallery;
    if (arrows && pressed(egui::Key::ArrowDown)) || pressed(egui::Key::J) {
        app.queue(Command::MoveSelection(1));
    }
    if (arrows && pressed(egui::Key::ArrowUp)) || pressed(egui::Key::K) {
        app.queue(Command::MoveSelection(-1));
    }
    for (key, n) in [
        (egui::Key::Num0, 0),
        (egui::Key::Num1, 1),
        (egui::Key::Num2, 2),
        (egui::Key::Num3, 3),
        (egui::Key::Num4, 4),
    ] {
        if pressed(key) {
            app.queue(Command::SetCategory(Some(n)));
        }
    }
    if pressed(egui::Key::Backspace) {
        app.queue(Command::SetCategory(None));
    }
    if pressed(egui::Key::G) {
        app.view.gallery = !app.view.gallery;
    }
    for (key, status) in [
        (egui::Key::C, ReviewStatus::Confirmed),
        (egui::Key::F, ReviewStatus::FalsePositive),
        (egui::Key::N, ReviewStatus::SecondLook),
    ] {
        if pressed(key) {
            app.queue(Command::SetStatus(status));
        }
    }
    if pressed(egui::Key::B) {
        app.queue(Command::ToggleBookmark);
    }
    if pressed(egui::Key::X)
        && let Some(id) = app.selected
    {
        app.queue(Command::ToggleMark(id));
    }
    if pressed(egui::Key::Slash) {
        ui.memory_mut(|m| m.request_focus(egui::Id::unique(SEARCH_ID)));
    }
    // Space asks first; a second Space (or Enter) reveals; Escape cancels.
    let p = &mut app.preview;
    if p.confirming && (pressed(egui::Key::Space) || pressed(egui::Key::Enter)) {
        p.confirming = false;
        p.reveal_requested = true;
        ui.ctx().request_repaint();
    } else if pressed(egui::Key::Space) && p.ready() && !p.revealed {
        p.confirming = true;
        ui.ctx().request_repaint();
    } else if pressed(egui::Key::Escape) {
        p.confirming = false;
    }
}
