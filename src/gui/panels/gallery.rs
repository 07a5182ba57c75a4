//! The gallery: the review table's items as a virtualised grid of
//! thumbnails, greyscale and blurred, one tile per duplicate stack (copies
//! have every digest equal, never an MD5 alone; the tile shows how many).
//!
//! Thumbnails are read and decoded on worker threads, under the preview's
//! limits (`thumbnail`: input size, pixels, downscaled decode), only for the
//! tiles on screen (the newest request first, so fast scrolling never
//! queues a backlog), and kept in memory only, at most [`CACHE_TILES`] of
//! them: nothing is written to disk. A tile is never shown in colour: Space
//! asks to reveal the selected tile, through the detail pane's preview, with
//! its confirmation, timeout and audit row; moving to another tile blurs it
//! again. A picture that cannot be read or decoded shows "cannot preview"
//! and the reason.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Condvar, Mutex};

use eframe::egui;

use crate::case::ReportRow;
use crate::case::review::FlaggedRow;
use crate::gui::{Command, FerretApp};

/// Longest side of a decoded thumbnail, in pixels.
const THUMB_SIDE: u32 = 192;
/// Thumbnails kept in memory (192 px RGBA: at most ~144 KiB each).
const CACHE_TILES: usize = 1200;
/// Smallest and largest tile edge, in points.
pub const TILE_RANGE: std::ops::RangeInclusive<f32> = 64.0..=256.0;

/// A decoded tile, or why there is none.
enum Thumb {
    Ready(egui::TextureHandle),
    Failed(String),
}

/// One thing to decode: the item's row (where its bytes are).
struct Job {
    id: i64,
    row: ReportRow,
}

/// The work shared with the decoding threads: what to decode next (the
/// newest request last, taken first) and what came out.
#[derive(Default)]
struct Shared {
    jobs: Mutex<Vec<Job>>,
    ready: Condvar,
    /// The gallery is gone (another case opened): the threads end.
    closed: std::sync::atomic::AtomicBool,
    done: Mutex<Vec<(i64, Result<egui::ColorImage, String>)>>,
}

/// The gallery's memory: thumbnails, what is being decoded, the
/// selection anchor for Shift.
pub struct GalleryState {
    /// Thumbnails and the frame each was last drawn in.
    thumbs: HashMap<i64, (Thumb, u64)>,
    in_flight: HashSet<i64>,
    shared: Arc<Shared>,
    workers: usize,
    /// Where a Shift selection starts (a tile index).
    anchor: Option<usize>,
    /// Tiles per row in the last frame (for Up and Down).
    columns: usize,
    /// The case the thumbnails are of (cleared when another opens).
    case_key: Option<String>,
    /// The selection moved by keyboard: scroll it into view.
    follow: bool,
    /// The scroll offset and height of the last frame's view.
    viewport: (f32, f32),
    /// The tiles of the rows of generation `tiles_of`.
    tiles: Vec<usize>,
    tiles_of: Option<u64>,
    /// Frames drawn; each thumbnail remembers the last it was drawn in.
    frame: u64,
}

impl Default for GalleryState {
    fn default() -> Self {
        GalleryState {
            thumbs: HashMap::new(),
            in_flight: HashSet::new(),
            shared: Arc::new(Shared::default()),
            workers: 0,
            anchor: None,
            columns: 1,
            case_key: None,
            follow: false,
            viewport: (0.0, 0.0),
            tiles: Vec::new(),
            tiles_of: None,
            frame: 0,
        }
    }
}

impl Drop for GalleryState {
    fn drop(&mut self) {
        self.shared
            .closed
            .store(true, std::sync::atomic::Ordering::Relaxed);
        if let Ok(mut q) = self.shared.jobs.lock() {
            q.clear();
        }
        self.shared.ready.notify_all();
    }
}

impl GalleryState {
    /// Thumbnails held (for tests and the status line).
    pub fn cached(&self) -> usize {
        self.thumbs.len()
    }

    /// Whether every tile asked for so far is decoded.
    pub fn idle(&self) -> bool {
        self.in_flight.is_empty()
    }

    /// The reason shown on a tile that cannot be previewed, if it failed.
    pub fn failure(&self, id: i64) -> Option<&str> {
        match self.thumbs.get(&id) {
            Some((Thumb::Failed(why), _)) => Some(why),
            _ => None,
        }
    }

    fn start_workers(&mut self, ctx: &egui::Context) {
        let want = std::thread::available_parallelism()
            .map_or(2, usize::from)
            .clamp(1, 4);
        while self.workers < want {
            let shared = Arc::clone(&self.shared);
            let ctx = ctx.clone();
            let spawned = std::thread::Builder::new()
                .name("ferret-gallery".into())
                .spawn(move || worker(&shared, &ctx));
            if spawned.is_err() {
                break;
            }
            self.workers += 1;
        }
    }

    /// Takes decoded thumbnails into textures.
    fn collect(&mut self, ctx: &egui::Context) {
        let done = match self.shared.done.lock() {
            Ok(mut d) => std::mem::take(&mut *d),
            Err(_) => return,
        };
        for (id, result) in done {
            self.in_flight.remove(&id);
            let thumb = match result {
                Ok(img) => Thumb::Ready(ctx.load_texture(
                    format!("gallery-{id}"),
                    img,
                    egui::TextureOptions::LINEAR,
                )),
                Err(why) => Thumb::Failed(why),
            };
            self.thumbs.insert(id, (thumb, self.frame));
        }
        if self.thumbs.len() > CACHE_TILES {
            // The least recently drawn go, down to nine tenths of the cap.
            let mut drawn: Vec<u64> = self.thumbs.values().map(|(_, f)| *f).collect();
            drawn.sort_unstable();
            let cut = drawn
                .get(self.thumbs.len() - CACHE_TILES * 9 / 10)
                .copied()
                .unwrap_or(0);
            self.thumbs.retain(|_, (_, f)| *f >= cut);
        }
    }

    /// Replaces what waits to be decoded with `jobs` (the tiles now on
    /// screen that have no thumbnail): scrolled-past tiles are dropped.
    fn request(&mut self, jobs: Vec<Job>) {
        if let Ok(mut q) = self.shared.jobs.lock() {
            for j in q.drain(..) {
                self.in_flight.remove(&j.id);
            }
            for j in &jobs {
                self.in_flight.insert(j.id);
            }
            // Taken from the end: the first tile on screen first.
            let work = !jobs.is_empty();
            q.extend(jobs.into_iter().rev());
            if work {
                self.shared.ready.notify_all();
            }
        }
    }
}

/// A decoding thread: waits for jobs, decodes, hands the results back.
fn worker(shared: &Shared, ctx: &egui::Context) {
    loop {
        let job = {
            let Ok(mut q) = shared.jobs.lock() else {
                return;
            };
            loop {
                if shared.closed.load(std::sync::atomic::Ordering::Relaxed) {
                    return;
                }
                if let Some(j) = q.pop() {
                    break j;
                }
                q = match shared.ready.wait(q) {
                    Ok(q) => q,
                    Err(_) => return,
                };
            }
        };
        let result = std::panic::catch_unwind(|| thumbnail(&job.row))
            .unwrap_or_else(|_| Err("the decoder failed".into()));
        if let Ok(mut d) = shared.done.lock() {
            d.push((job.id, result));
        }
        ctx.request_repaint();
    }
}

/// The blurred greyscale thumbnail of an item, read from the evidence.
fn thumbnail(row: &ReportRow) -> Result<egui::ColorImage, String> {
    let bytes = super::preview::read_item(row)?;
    let img = crate::thumbnail::decode_downscaled(&bytes, THUMB_SIDE).map_err(|e| e.to_string())?;
    Ok(super::preview::to_color_image(
        &crate::thumbnail::safe_view(&img),
    ))
}

/// The gallery's tiles: the first row of each duplicate stack shown (rows
/// with every digest equal: never an MD5 alone), in the table's order.
pub fn tiles(rows: &[FlaggedRow]) -> Vec<usize> {
    let mut seen = HashSet::new();
    rows.iter()
        .enumerate()
        .filter(|(_, r)| r.stack.as_deref().is_none_or(|k| seen.insert(k)))
        .map(|(i, _)| i)
        .collect()
}

/// A category's badge text: the number always, so it never depends on
/// colour alone (`C1`, or `C1 set` for a hash set's pre-category).
pub fn badge_text(r: &FlaggedRow) -> Option<String> {
    let c = r.category?;
    Some(if r.precategorised {
        format!("C{c} set")
    } else {
        format!("C{c}")
    })
}

fn badge_colour(c: i64) -> egui::Color32 {
    match c {
        1 => egui::Color32::from_rgb(200, 40, 40),
        2 => egui::Color32::from_rgb(210, 120, 20),
        3 => egui::Color32::from_rgb(140, 60, 190),
        4 => egui::Color32::from_rgb(40, 110, 200),
        _ => egui::Color32::from_rgb(90, 90, 90),
    }
}

/// Draws the gallery in `ui` (the review screen's central area).
pub fn gallery_ui(ui: &mut egui::Ui, app: &mut FerretApp) {
    let ctx = ui.ctx().clone();
    let key = app.case().map(|c| c.path().display().to_string());
    if app.gallery.case_key != key {
        app.gallery = GalleryState::default();
        app.gallery.case_key = key;
    }
    app.gallery.start_workers(&ctx);
    app.gallery.collect(&ctx);
    app.gallery.frame += 1;
    if app.gallery.tiles_of != Some(app.rows_generation) {
        app.gallery.tiles = tiles(&app.rows);
        app.gallery.tiles_of = Some(app.rows_generation);
    }
    let tiles = std::mem::take(&mut app.gallery.tiles);
    ui.horizontal(|ui| {
        let label = ui.label("Tile size");
        ui.add(egui::Slider::new(&mut app.view.tile, TILE_RANGE).show_value(false))
            .labelled_by(label.id);
        ui.label(format!(
            "{} tiles ({} items; copies stacked)",
            tiles.len(),
            app.rows.len()
        ));
    });
    let side = app.view.tile.clamp(*TILE_RANGE.start(), *TILE_RANGE.end());
    let gap = 6.0;
    let caption = 16.0;
    let columns = ((ui.available_width() + gap) / (side + gap))
        .floor()
        .max(1.0) as usize;
    app.gallery.columns = columns;
    keyboard(ui, app, &tiles);
    let selected_tile = app.selected.and_then(|id| {
        tiles
            .iter()
            .position(|&i| app.rows.get(i).is_some_and(|r| r.file_id == id))
    });
    let rows_of_tiles = tiles.len().div_ceil(columns);
    let mut wanted = Vec::new();
    let mut clicked: Option<(usize, bool)> = None;
    let line_height = side + caption + gap;
    let mut scroll = egui::ScrollArea::vertical().auto_shrink([false, false]);
    // After a keyboard move, the selected tile's row is scrolled into view.
    if let (Some(t), true) = (selected_tile, std::mem::take(&mut app.gallery.follow)) {
        let top = (t / columns) as f32 * line_height;
        let (offset, height) = app.gallery.viewport;
        if top < offset {
            scroll = scroll.vertical_scroll_offset(top);
        } else if top + line_height > offset + height {
            scroll = scroll.vertical_scroll_offset(top + line_height - height);
        }
    }
    let (rows, selected, marked_set) = (&app.rows, app.selected, &app.marked);
    let (gallery, preview) = (&mut app.gallery, &app.preview);
    let output = scroll.show_rows(ui, line_height, rows_of_tiles, |ui, range| {
        for line in range {
            ui.horizontal(|ui| {
                for col in 0..columns {
                    let t = line * columns + col;
                    let Some(&row_index) = tiles.get(t) else {
                        break;
                    };
                    let Some(r) = rows.get(row_index) else {
                        break;
                    };
                    let (rect, response) = ui.allocate_exact_size(
                        egui::vec2(side, side + caption),
                        egui::Sense::click(),
                    );
                    let response =
                        response.on_hover_text(crate::gui::fonts::legible(ui.ctx(), &r.path));
                    let chosen = selected == Some(r.file_id);
                    let marked = marked_set.contains(&r.file_id);
                    let tile = Tile {
                        rect,
                        side,
                        chosen,
                        marked,
                    };
                    draw_tile(ui, gallery, preview, r, tile, &mut wanted);
                    if response.clicked() {
                        let ctrl = ui.input(|i| i.modifiers.command || i.modifiers.ctrl);
                        clicked = Some((t, ctrl));
                    }
                    ui.add_space(gap - ui.spacing().item_spacing.x);
                }
            });
        }
    });
    app.gallery.viewport = (output.state.clamped_offset().y, output.inner_rect.height());
    // Only on-screen tiles are decoded; the rest wait until shown.
    let jobs: Vec<Job> = wanted
        .into_iter()
        .filter_map(|id| {
            let row = app.case()?.report_row(id).ok().flatten()?;
            Some(Job { id, row })
        })
        .collect();
    app.gallery.request(jobs);
    if let Some((t, ctrl)) = clicked
        && let Some(id) = tiles
            .get(t)
            .and_then(|&i| app.rows.get(i))
            .map(|r| r.file_id)
    {
        if ctrl {
            app.queue(Command::ToggleMark(id));
        } else {
            app.gallery.anchor = Some(t);
            app.queue(Command::Select(id));
        }
    }
    app.gallery.tiles = tiles;
}

/// Where a tile is drawn and how it is selected.
struct Tile {
    rect: egui::Rect,
    side: f32,
    chosen: bool,
    marked: bool,
}

fn draw_tile(
    ui: &egui::Ui,
    gallery: &mut GalleryState,
    preview: &super::preview::PreviewState,
    r: &FlaggedRow,
    tile: Tile,
    wanted: &mut Vec<i64>,
) {
    let Tile {
        rect,
        side,
        chosen,
        marked,
    } = tile;
    let visuals = ui.visuals();
    let painter = ui.painter();
    let image_rect = egui::Rect::from_min_size(rect.min, egui::vec2(side, side));
    painter.rect_filled(image_rect, 4.0, visuals.extreme_bg_color);
    // The selected tile shows what the preview shows: in colour only after
    // a deliberate, logged reveal of this very item.
    let revealed = chosen && preview.revealed && preview.file_id == Some(r.file_id);
    let text_colour = visuals.text_color();
    let small = egui::FontId::proportional(11.0);
    if revealed && let Some(tex) = preview.colour_texture() {
        egui::Image::new(tex)
            .fit_to_exact_size(image_rect.size())
            .paint_at(ui, image_rect.shrink(2.0));
    } else if !r.picture {
        painter.text(
            image_rect.center(),
            egui::Align2::CENTER_CENTER,
            r.mime.as_deref().unwrap_or("no preview"),
            small.clone(),
            visuals.weak_text_color(),
        );
    } else {
        let frame = gallery.frame;
        match gallery.thumbs.get_mut(&r.file_id) {
            Some((Thumb::Ready(tex), drawn)) => {
                *drawn = frame;
                let size = tex.size_vec2();
                let scale = ((side - 4.0) / size.x.max(size.y)).min(4.0);
                let fit = egui::Rect::from_center_size(image_rect.center(), size * scale);
                egui::Image::new(&*tex)
                    .alt_text("blurred greyscale thumbnail")
                    .fit_to_exact_size(fit.size())
                    .paint_at(ui, fit);
            }
            Some((Thumb::Failed(why), drawn)) => {
                *drawn = frame;
                let galley = painter.layout(
                    format!("cannot preview: {}", shorten(why, 80)),
                    small.clone(),
                    visuals.warn_fg_color,
                    side - 12.0,
                );
                let at = image_rect.center() - galley.size() / 2.0;
                painter
                    .with_clip_rect(image_rect)
                    .galley(at, galley, visuals.warn_fg_color);
            }
            None => {
                if !gallery.in_flight.contains(&r.file_id) {
                    wanted.push(r.file_id);
                }
                painter.text(
                    image_rect.center(),
                    egui::Align2::CENTER_CENTER,
                    "loading…",
                    small.clone(),
                    visuals.weak_text_color(),
                );
            }
        }
    }
    if chosen || marked {
        let stroke = if chosen {
            egui::Stroke::new(3.0, visuals.selection.stroke.color)
        } else {
            egui::Stroke::new(2.0, visuals.selection.bg_fill)
        };
        painter.rect_stroke(image_rect, 4.0, stroke, egui::StrokeKind::Inside);
    }
    if let (Some(text), Some(c)) = (badge_text(r), r.category) {
        let galley = painter.layout_no_wrap(text, small.clone(), egui::Color32::WHITE);
        let badge = egui::Rect::from_min_size(
            image_rect.min + egui::vec2(4.0, 4.0),
            galley.size() + egui::vec2(8.0, 4.0),
        );
        painter.rect_filled(badge, 3.0, badge_colour(c));
        painter.galley(
            badge.min + egui::vec2(4.0, 2.0),
            galley,
            egui::Color32::WHITE,
        );
    }
    if r.copies > 1 {
        let galley = painter.layout_no_wrap(format!("x{}", r.copies), small.clone(), text_colour);
        let badge = egui::Rect::from_min_size(
            egui::pos2(
                image_rect.max.x - galley.size().x - 12.0,
                image_rect.min.y + 4.0,
            ),
            galley.size() + egui::vec2(8.0, 4.0),
        );
        painter.rect_filled(badge, 3.0, visuals.faint_bg_color);
        painter.galley(badge.min + egui::vec2(4.0, 2.0), galley, text_colour);
    }
    let name = shorten(
        &crate::gui::fonts::legible(ui.ctx(), &r.name),
        ((side / 6.5) as usize).max(6),
    );
    painter.text(
        egui::pos2(rect.min.x + 2.0, rect.max.y - 2.0),
        egui::Align2::LEFT_BOTTOM,
        name,
        small,
        text_colour,
    );
}

/// `s` cut to `max` characters, with an ellipsis.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Arrows move between tiles (Up and Down by a row), Shift extends the
/// multi-selection from the anchor. Ignored while typing.
fn keyboard(ui: &egui::Ui, app: &mut FerretApp, tiles: &[usize]) {
    if ui.ctx().egui_wants_keyboard_input() || tiles.is_empty() {
        return;
    }
    let columns = app.gallery.columns.max(1) as i64;
    let (step, shift) = ui.input(|i| {
        let step = if i.key_pressed(egui::Key::ArrowRight) {
            1
        } else if i.key_pressed(egui::Key::ArrowLeft) {
            -1
        } else if i.key_pressed(egui::Key::ArrowDown) {
            columns
        } else if i.key_pressed(egui::Key::ArrowUp) {
            -columns
        } else {
            0
        };
        (step, i.modifiers.shift)
    });
    if step == 0 {
        return;
    }
    let id_at = |t: usize| {
        tiles
            .get(t)
            .and_then(|&i| app.rows.get(i))
            .map(|r| r.file_id)
    };
    let now = app
        .selected
        .and_then(|id| (0..tiles.len()).find(|&t| id_at(t) == Some(id)));
    let next = match now {
        None => 0,
        Some(t) => (t as i64 + step).clamp(0, tiles.len() as i64 - 1) as usize,
    };
    if shift {
        let anchor = app
            .gallery
            .anchor
            .filter(|&a| a < tiles.len())
            .or(now)
            .unwrap_or(next);
        let (lo, hi) = (anchor.min(next), anchor.max(next));
        let ids: Vec<i64> = (lo..=hi).filter_map(id_at).collect();
        app.marked = ids.into_iter().collect();
        app.gallery.anchor = Some(anchor);
    } else {
        app.gallery.anchor = Some(next);
    }
    if let Some(id) = id_at(next) {
        app.gallery.follow = true;
        app.queue(Command::Select(id));
    }
}
