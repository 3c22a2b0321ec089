//! Social cards: the share image (`og:image`) funnelcake draws for an
//! indexable page that has no image of its own and no site `image`.
//!
//! The theme's `social.svg` is a Tera template, rendered with the page's
//! context like a layout; the SVG is drawn with `resvg` into a 1200×630
//! PNG. Text is set only in the fonts compiled into the binary (Noto Sans
//! for Latin, Greek and Cyrillic, Noto Sans Arabic for Persian and Arabic),
//! never in the machine's fonts, so a card has the same bytes everywhere.
//!
//! A card's file name carries a hash of its SVG text and of [`ENGINE`]:
//! the same SVG always draws the same PNG, so the hash names the PNG's
//! content before it is drawn. Drawn cards are kept in
//! `SITE/.funnelcake/cache/cards/HASH.png`, so a rebuild draws only the
//! cards whose SVG changed.

use crate::base::diagnostics::Diagnostic;
use resvg::tiny_skia::{Color, Pixmap, Transform};
use resvg::usvg::{self, fontdb};
use skrifa::instance::{LocationRef, Size};
use skrifa::{FontRef, MetadataProvider};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

/// The theme template a card is drawn from.
pub(crate) const TEMPLATE: &str = "social.svg";
/// The size of every card, the one Open Graph and X recommend.
pub(crate) const WIDTH: u32 = 1200;
pub(crate) const HEIGHT: u32 = 630;
/// Everything besides the SVG text that decides a card's pixels; part of
/// its hash, so a new renderer, font or encoder never reuses an old card.
const ENGINE: &str = "resvg 0.49.0; noto 20201225; png up ultrafast palette or rgb; 3";
/// Where drawn cards are kept, relative to the site folder.
pub(crate) const CACHE_DIR: &str = ".funnelcake/cache/cards";

/// The embedded fonts: (family, bold, bytes).
const FONTS: &[(&str, bool, &[u8])] = &[
    (
        "Noto Sans",
        false,
        include_bytes!("../../assets/fonts/NotoSans-Regular.ttf"),
    ),
    (
        "Noto Sans",
        true,
        include_bytes!("../../assets/fonts/NotoSans-Bold.ttf"),
    ),
    (
        "Noto Sans Arabic",
        false,
        include_bytes!("../../assets/fonts/NotoSansArabic-Regular.ttf"),
    ),
    (
        "Noto Sans Arabic",
        true,
        include_bytes!("../../assets/fonts/NotoSansArabic-Bold.ttf"),
    ),
];

/// The font database every card is drawn with, made once per process.
static FONT_DB: LazyLock<Arc<fontdb::Database>> = LazyLock::new(|| {
    let mut db = fontdb::Database::new();
    for (_, _, bytes) in FONTS {
        db.load_font_source(fontdb::Source::Binary(Arc::new(*bytes)));
    }
    // Generic families (`sans-serif`, `serif`) name an embedded font too.
    db.set_sans_serif_family("Noto Sans");
    db.set_serif_family("Noto Sans");
    db.set_monospace_family("Noto Sans");
    db.set_cursive_family("Noto Sans");
    db.set_fantasy_family("Noto Sans");
    Arc::new(db)
});

/// What a run does with each card.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `build`: draw it (or take it from the cache).
    #[default]
    Draw,
    /// `check`: parse it to report its errors; draw nothing.
    Parse,
    /// `serve`: keep its SVG, and draw it when its file is asked for.
    Defer,
}

/// Draws cards (or, for `check`, only parses them; for the dev server,
/// keeps them to draw on request) and keeps them in the cache folder;
/// counts the cards it drew.
#[derive(Debug, Default)]
pub(crate) struct Cards {
    cache: Option<PathBuf>,
    mode: Mode,
    drawn: Arc<AtomicUsize>,
    /// The dev server's cards by file path (relative to OUT), to draw when
    /// asked for. A card's name carries the hash of its SVG, so each edit
    /// of a title adds an entry: the session drops those no page names any
    /// more after each rebuild ([`Cards::retain`]).
    deferred: Mutex<HashMap<String, Arc<Deferred>>>,
}

impl Cards {
    /// `draw` false parses each card's SVG (to report its errors) and draws
    /// nothing; `cache` is the folder of drawn cards, if there is one.
    pub(crate) fn new(cache: Option<PathBuf>, draw: bool) -> Cards {
        Cards {
            cache,
            mode: if draw { Mode::Draw } else { Mode::Parse },
            ..Cards::default()
        }
    }

    /// For the dev server: no card is drawn while pages render; each is
    /// drawn the first time its file is asked for ([`Cards::deferred`]),
    /// then kept in memory and in the cache folder.
    pub(crate) fn on_request(cache: Option<PathBuf>) -> Cards {
        Cards {
            cache,
            mode: Mode::Defer,
            ..Cards::default()
        }
    }

    /// How many cards were drawn (not taken from the cache).
    pub(crate) fn drawn(&self) -> usize {
        self.drawn.load(Ordering::Relaxed)
    }

    /// The PNG of the card `svg` (whose [`key`] is `key`, written to
    /// `file`): from the cache, or drawn; `None` when this run draws
    /// nothing. For the dev server the PNG is an empty placeholder and the
    /// card is drawn when [`Cards::deferred`] is asked for `file`. `origin`
    /// names the template in messages.
    pub(crate) fn png(
        &self,
        file: &str,
        svg: String,
        key: u64,
        origin: &str,
    ) -> Result<Option<Vec<u8>>, Diagnostic> {
        match self.mode {
            Mode::Parse => {
                parse(&svg).map_err(|e| svg_error(&e, origin))?;
                Ok(None)
            }
            Mode::Defer => {
                // Malformed XML is still an error of the rebuild, as in a
                // build: reading the XML costs microseconds, unlike drawing.
                well_formed(&svg).map_err(|e| svg_error(&e, origin))?;
                let card = Deferred {
                    svg,
                    key,
                    origin: origin.to_string(),
                    cache: self.cache.clone(),
                    drawn: Arc::clone(&self.drawn),
                    png: OnceLock::new(),
                };
                let mut deferred = self.deferred.lock().unwrap_or_else(|e| e.into_inner());
                deferred
                    .entry(file.to_string())
                    .or_insert_with(|| Arc::new(card));
                Ok(Some(Vec::new()))
            }
            Mode::Draw => {
                let cached = self.cache.as_deref().map(|dir| cache_file(dir, key));
                draw_cached(&svg, cached.as_deref(), &self.drawn)
                    .map(Some)
                    .map_err(|e| svg_error(&e, origin))
            }
        }
    }

    /// The dev server's card at `file` (relative to OUT), to draw.
    pub(crate) fn deferred(&self, file: &str) -> Option<Arc<Deferred>> {
        let deferred = self.deferred.lock().unwrap_or_else(|e| e.into_inner());
        deferred.get(file).cloned()
    }

    /// Forgets the dev server's cards of these files (relative to OUT),
    /// which no page names any more.
    pub(crate) fn forget<'a>(&self, files: impl IntoIterator<Item = &'a String>) {
        let mut deferred = self.deferred.lock().unwrap_or_else(|e| e.into_inner());
        for file in files {
            deferred.remove(file);
        }
    }

    /// How many cards the dev server keeps to draw or has drawn.
    pub(crate) fn deferred_count(&self) -> usize {
        let deferred = self.deferred.lock().unwrap_or_else(|e| e.into_inner());
        deferred.len()
    }
}

/// A card of the dev server, drawn the first time it is asked for.
#[derive(Debug)]
pub(crate) struct Deferred {
    svg: String,
    key: u64,
    origin: String,
    cache: Option<PathBuf>,
    drawn: Arc<AtomicUsize>,
    png: OnceLock<Result<Arc<Vec<u8>>, Diagnostic>>,
}

impl Deferred {
    /// The card's PNG: from memory, the cache folder, or drawn now (once,
    /// however many ask at the same time); the error names the template.
    pub(crate) fn png(&self) -> Result<Arc<Vec<u8>>, Diagnostic> {
        self.png
            .get_or_init(|| {
                let cached = self.cache.as_deref().map(|dir| cache_file(dir, self.key));
                draw_cached(&self.svg, cached.as_deref(), &self.drawn)
                    .map(Arc::new)
                    .map_err(|e| svg_error(&e, &self.origin))
            })
            .clone()
    }
}

/// The cache file of the card whose key is `key`.
fn cache_file(dir: &Path, key: u64) -> PathBuf {
    dir.join(format!("{key:016x}.png"))
}

/// The card `svg` from `cached` when it is there, else drawn (counted in
/// `drawn`) and written there.
fn draw_cached(
    svg: &str,
    cached: Option<&Path>,
    drawn: &AtomicUsize,
) -> Result<Vec<u8>, usvg::Error> {
    if let Some(bytes) = cached.and_then(read_cached) {
        return Ok(bytes);
    }
    let bytes = draw(svg)?;
    drawn.fetch_add(1, Ordering::Relaxed);
    if let Some(path) = cached {
        // A cache that cannot be written only makes the next build slower.
        let _ = write_atomic(path, &bytes);
    }
    Ok(bytes)
}

/// Whether `svg` is well-formed XML, as usvg reads it (without drawing).
fn well_formed(svg: &str) -> Result<(), usvg::Error> {
    let options = usvg::roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    usvg::roxmltree::Document::parse_with_options(svg, options)
        .map(drop)
        .map_err(usvg::Error::ParsingFailed)
}

/// The hash of a card: of its SVG text and of [`ENGINE`].
pub(crate) fn key(svg: &str) -> u64 {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    hasher.update(ENGINE.as_bytes());
    hasher.update(&[0]);
    hasher.update(svg.as_bytes());
    hasher.digest()
}

/// Where the card of the page at `path` (`/offers/kit/`) is written,
/// relative to OUT: `social/offers/kit.HASH8.png`, `social/index.HASH8.png`
/// for the home page.
pub(crate) fn file_path(path: &str, key: u64) -> String {
    let name = path.trim_matches('/');
    let name = if name.is_empty() { "index" } else { name };
    format!("social/{name}.{:08x}.png", key >> 32)
}

/// A cached card, when it is there and looks like a PNG (a build that was
/// killed while writing leaves at most a temporary file).
fn read_cached(path: &Path) -> Option<Vec<u8>> {
    let bytes = std::fs::read(path).ok()?;
    bytes.starts_with(b"\x89PNG\r\n\x1a\n").then_some(bytes)
}

/// Writes `bytes` to `path` through a temporary file and one rename, so a
/// reader never sees half a card.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let unique = format!(
        ".{name}.{}.{:?}.tmp",
        std::process::id(),
        std::thread::current().id()
    );
    let temporary = dir.join(unique.replace(['(', ')'], ""));
    std::fs::write(&temporary, bytes)?;
    std::fs::rename(&temporary, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })
}

fn options() -> usvg::Options<'static> {
    usvg::Options {
        font_family: "Noto Sans".into(),
        fontdb: Arc::clone(&FONT_DB),
        font_resolver: usvg::FontResolver {
            select_font: usvg::FontResolver::default_font_selector(),
            select_fallback: Box::new(fallback),
        },
        // A card reads nothing from disk: only images inlined as data URLs.
        image_href_resolver: usvg::ImageHrefResolver {
            resolve_data: usvg::ImageHrefResolver::default_data_resolver(),
            resolve_string: Box::new(|_, _| None),
        },
        ..usvg::Options::default()
    }
}

/// The embedded font for a character the chosen font (`tried[0]`, then
/// the others tried) lacks: one that has it, in the same style, of the
/// nearest weight. usvg's own choice takes the first font with the
/// character whenever the style matches, so a bold Persian title fell back
/// to Noto Sans Arabic Regular.
fn fallback(c: char, tried: &[fontdb::ID], db: &mut Arc<fontdb::Database>) -> Option<fontdb::ID> {
    let base = db.face(*tried.first()?)?;
    let (style, weight) = (base.style, base.weight.0);
    db.faces()
        .filter(|face| !tried.contains(&face.id) && face.style == style)
        .filter(|face| has_char(db, face.id, c))
        .min_by_key(|face| face.weight.0.abs_diff(weight))
        .map(|face| face.id)
}

/// Whether the font `id` maps `c` to a glyph (usvg's own test is private).
fn has_char(db: &fontdb::Database, id: fontdb::ID, c: char) -> bool {
    db.with_face_data(id, |data, index| {
        let font = FontRef::from_index(data, index).ok()?;
        font.charmap().map(c)
    })
    .flatten()
    .is_some()
}

fn parse(svg: &str) -> Result<usvg::Tree, usvg::Error> {
    usvg::Tree::from_str(svg, &options())
}

/// Draws `svg`, scaled to 1200×630, over white, into a PNG.
pub(crate) fn draw(svg: &str) -> Result<Vec<u8>, usvg::Error> {
    let tree = parse(svg)?;
    // Each thread draws card after card into one pixmap and one buffer of
    // palette indexes: new ones are 3.8 MB of fresh memory, whose page
    // faults and zeroing took a quarter of a card's time.
    thread_local! {
        static CANVAS: RefCell<Option<(Pixmap, Vec<u8>)>> = const { RefCell::new(None) };
    }
    CANVAS.with_borrow_mut(|canvas| {
        let (pixmap, indexes) = canvas.get_or_insert_with(|| (new_pixmap(), Vec::new()));
        raster_into(&tree, pixmap);
        Ok(encode(pixmap, indexes))
    })
}

fn new_pixmap() -> Pixmap {
    Pixmap::new(WIDTH, HEIGHT).expect("a card's size is not zero")
}

/// The pixels of `svg`, scaled to 1200×630, over white.
#[cfg(test)]
fn raster(svg: &str) -> Result<Pixmap, usvg::Error> {
    let mut pixmap = new_pixmap();
    raster_into(&parse(svg)?, &mut pixmap);
    Ok(pixmap)
}

/// Draws `tree`, scaled to 1200×630, over white, over all of `pixmap`.
fn raster_into(tree: &usvg::Tree, pixmap: &mut Pixmap) {
    // Opaque, so the PNG needs no alpha channel.
    pixmap.fill(Color::WHITE);
    let size = tree.size();
    let scale = Transform::from_scale(WIDTH as f32 / size.width(), HEIGHT as f32 / size.height());
    resvg::render(tree, scale, &mut pixmap.as_mut());
}

/// A PNG of `pixmap` with the encoder's fastest setting (each row
/// filtered against the one above, then fdeflate's ultra-fast mode): a
/// card is flat colour and text, so rows repeat the one above and compress
/// well without trying every filter on every row, which the fast setting
/// does and which took about as long as drawing the card. A card of at
/// most 256 colours (flat colours and anti-aliased text usually have under
/// a hundred) is written with a palette: a third of the bytes to compress,
/// and a file a third the size, which is most of what a cached card costs
/// a build (reading it and writing it to OUT).
/// `indexes` is a buffer for the palette indexes, kept between cards.
fn encode(pixmap: &Pixmap, indexes: &mut Vec<u8>) -> Vec<u8> {
    match palette(pixmap.data(), indexes) {
        Some(palette) => write_png(indexes, png::ColorType::Indexed, Some(palette)),
        None => write_png(&rgb(pixmap.data()), png::ColorType::Rgb, None),
    }
}

/// The pixels of opaque premultiplied RGBA as RGB (premultiplied opaque
/// RGBA is plain RGBA, and alpha is dropped).
fn rgb(rgba: &[u8]) -> Vec<u8> {
    let mut rgb = vec![0; rgba.len() / 4 * 3];
    for (to, from) in rgb.chunks_exact_mut(3).zip(rgba.chunks_exact(4)) {
        to.copy_from_slice(&from[..3]);
    }
    rgb
}

/// The palette (RGB triples, in order of first appearance, so the same
/// pixels always give the same bytes), with each pixel's index in it put
/// in `indexes`, or `None` past 256 colours.
fn palette(rgba: &[u8], indexes: &mut Vec<u8>) -> Option<Vec<u8>> {
    // An open-addressed table, four times the palette's size, and a check
    // of the previous pixel first: most pixels repeat it. A row the same as
    // the one above (most of a card's background) has its indexes.
    const SLOTS: usize = 1024;
    let mut colours = [u32::MAX; SLOTS];
    let mut slot_index = [0u8; SLOTS];
    let mut palette = Vec::with_capacity(256 * 3);
    indexes.clear();
    indexes.resize(rgba.len() / 4, 0);
    let (mut last, mut last_index) = (u32::MAX, 0);
    let (width, row) = (WIDTH as usize, WIDTH as usize * 4);
    for (start, line) in (0..).step_by(width).zip(rgba.chunks(row)) {
        if start > 0 && line == &rgba[(start - width) * 4..start * 4] {
            indexes.copy_within(start - width..start, start);
            continue;
        }
        let slots = (indexes[start..].iter_mut()).zip(line.chunks_exact(4));
        for (index, pixel) in slots {
            let colour = u32::from_le_bytes([pixel[0], pixel[1], pixel[2], 0]);
            if colour != last {
                let mut slot = (colour.wrapping_mul(0x9E37_79B1) >> 22) as usize;
                while colours[slot] != colour && colours[slot] != u32::MAX {
                    slot = (slot + 1) % SLOTS;
                }
                if colours[slot] == u32::MAX {
                    if palette.len() == 256 * 3 {
                        return None;
                    }
                    colours[slot] = colour;
                    slot_index[slot] = (palette.len() / 3) as u8;
                    palette.extend_from_slice(&pixel[..3]);
                }
                (last, last_index) = (colour, slot_index[slot]);
            }
            *index = last_index;
        }
    }
    Some(palette)
}

/// The PNG of 8-bit `pixels` of `color` (with `palette` when indexed).
fn write_png(pixels: &[u8], color: png::ColorType, palette: Option<Vec<u8>>) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(pixels.len() / 8);
    let mut encoder = png::Encoder::new(&mut bytes, WIDTH, HEIGHT);
    encoder.set_color(color);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fastest);
    if let Some(palette) = palette {
        encoder.set_palette(palette);
    }
    let mut writer = encoder.write_header().expect("writing into memory");
    writer
        .write_image_data(pixels)
        .expect("writing into memory");
    writer.finish().expect("writing into memory");
    bytes
}

/// The error for a card whose SVG cannot be read, at the template.
fn svg_error(error: &usvg::Error, origin: &str) -> Diagnostic {
    let (message, line) = match error {
        usvg::Error::ParsingFailed(e) => (format!("the social card is not valid SVG: {e}"), None),
        usvg::Error::InvalidSize => (
            "the social card's <svg> needs a width and height or a viewBox".to_string(),
            Some(1),
        ),
        other => (format!("the social card cannot be drawn: {other}"), None),
    };
    let diagnostic = Diagnostic::error("social-card", origin, message).with_hint(
        "social.svg must render to a well-formed SVG document; check the markup around the error",
    );
    match line {
        Some(line) => diagnostic.at(line, 1),
        None => diagnostic,
    }
}

/// Splits `text` into lines no wider than `width` pixels at `size` pixels
/// in the bold face (a long word gets a line of its own); past `max_lines`
/// the last line ends with `…`. For the `wrap_lines` filter of `social.svg`:
/// SVG text does not wrap by itself.
pub(crate) fn wrap(text: &str, width: f32, size: f32, max_lines: usize) -> Vec<String> {
    let advances = Advances::at(size);
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut current_width = 0.0;
    for word in text.split_whitespace() {
        if current.is_empty() {
            current = word.to_string();
            current_width = advances.width(word);
            continue;
        }
        // The width of `current word`, added up character by character in
        // the order `width` adds them, so the sum is the same to the bit.
        let candidate =
            (" ".chars().chain(word.chars())).fold(current_width, |w, c| w + advances.of(c));
        if candidate <= width {
            current.push(' ');
            current.push_str(word);
            current_width = candidate;
        } else {
            lines.push(std::mem::replace(&mut current, word.to_string()));
            current_width = advances.width(word);
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    if lines.len() > max_lines.max(1) {
        lines.truncate(max_lines.max(1));
        let last = lines.last_mut().expect("at least one line");
        while !last.is_empty() && advances.width(&format!("{last} …")) > width {
            last.pop();
        }
        *last = format!("{} …", last.trim_end());
    }
    lines
}

/// The width of `text` in pixels at `size` in the bold faces: each
/// character's advance in the first font that has it (no kerning or
/// shaping, close enough to break lines).
#[cfg(test)]
fn text_width(text: &str, size: f32) -> f32 {
    Advances::at(size).width(text)
}

/// The characters below this have their advances looked up once per size:
/// Latin, Greek, Cyrillic, Arabic and the punctuation of titles (dashes,
/// quotes, `…`, `€`). Others are rare enough to look up each time.
const TABLED: u32 = 0x2100;

/// Advances of the bold faces at one size. Looking one up means reading a
/// font's metric tables, which was most of what a page spent on its card;
/// the templates use a few sizes, so each size gets a table once.
struct Advances {
    size: f32,
    table: Arc<[f32]>,
    /// The fonts' metrics for characters past the table, read on the
    /// first one (once per text, not once per character).
    others: std::cell::OnceCell<Vec<FaceMetrics>>,
}

impl Advances {
    fn at(size: f32) -> Advances {
        static TABLES: LazyLock<Mutex<HashMap<u32, Arc<[f32]>>>> = LazyLock::new(Mutex::default);
        let mut tables = TABLES.lock().unwrap_or_else(|e| e.into_inner());
        let table = tables.entry(size.to_bits()).or_insert_with(|| {
            let fonts = bold_metrics(size);
            (0..TABLED)
                .map(|u| char::from_u32(u).map_or(0.0, |c| advance(&fonts, size, c)))
                .collect()
        });
        Advances {
            size,
            table: Arc::clone(table),
            others: std::cell::OnceCell::new(),
        }
    }

    fn of(&self, c: char) -> f32 {
        match self.table.get(c as usize) {
            Some(width) => *width,
            None => {
                let fonts = self.others.get_or_init(|| bold_metrics(self.size));
                advance(fonts, self.size, c)
            }
        }
    }

    fn width(&self, text: &str) -> f32 {
        text.chars().map(|c| self.of(c)).sum()
    }
}

type FaceMetrics = (
    skrifa::charmap::Charmap<'static>,
    skrifa::metrics::GlyphMetrics<'static>,
);

/// The character maps and metrics at `size` of the bold faces.
fn bold_metrics(size: f32) -> Vec<FaceMetrics> {
    static BOLD: LazyLock<Vec<FontRef<'static>>> = LazyLock::new(|| {
        FONTS
            .iter()
            .filter(|(_, bold, _)| *bold)
            .filter_map(|(_, _, bytes)| FontRef::new(bytes).ok())
            .collect()
    });
    (BOLD.iter())
        .map(|font| {
            (
                font.charmap(),
                font.glyph_metrics(Size::new(size), LocationRef::default()),
            )
        })
        .collect()
}

/// The advance of `c` in the first of `fonts` that has it; a character no
/// font has counts as 0.6 of the size.
fn advance(fonts: &[FaceMetrics], size: f32, c: char) -> f32 {
    (fonts.iter())
        .find_map(|(charmap, metrics)| metrics.advance_width(charmap.map(c)?))
        .unwrap_or(size * 0.6)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A card of one Persian line in `family` at `weight`, as pixels.
    fn persian(family: &str, weight: u32) -> Vec<u8> {
        let svg = format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="630"><text x="1116" y="300" text-anchor="end" direction="rtl" font-family="{family}" font-size="68" font-weight="{weight}">قهوه را در خانه برشته کنید</text></svg>"#
        );
        let tree = parse(&svg).unwrap();
        let mut pixmap = Pixmap::new(WIDTH, HEIGHT).unwrap();
        resvg::render(&tree, Transform::default(), &mut pixmap.as_mut());
        pixmap.data().to_vec()
    }

    #[test]
    fn bold_persian_falls_back_to_the_bold_arabic_font() {
        // Noto Sans has no Arabic letters: they come from Noto Sans Arabic
        // in the weight asked for, as if it had been named.
        let bold = persian("Noto Sans, Noto Sans Arabic", 700);
        assert!(
            bold == persian("Noto Sans Arabic", 700),
            "bold, not regular"
        );
        assert!(persian("Noto Sans", 400) == persian("Noto Sans Arabic", 400));
        assert!(bold != persian("Noto Sans", 400));
    }

    /// The colour type of a PNG and its pixels as RGB.
    fn decode(bytes: &[u8]) -> (png::ColorType, Vec<u8>) {
        let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        decoder.set_transformations(png::Transformations::EXPAND);
        let mut reader = decoder.read_info().unwrap();
        let color = reader.info().color_type;
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut pixels).unwrap();
        pixels.truncate(info.buffer_size());
        (color, pixels)
    }

    #[test]
    fn a_card_of_few_colours_has_a_palette_and_others_are_rgb() {
        let flat = r##"<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="630"><rect width="1200" height="18" fill="#1f5f99"/><text x="84" y="300" font-size="68" font-weight="700" fill="#1b1b1f">Καφές at home</text></svg>"##;
        let pixmap = raster(flat).unwrap();
        let png = draw(flat).unwrap();
        assert_eq!(decode(&png), (png::ColorType::Indexed, rgb(pixmap.data())));
        assert_eq!(png, draw(flat).unwrap(), "the same bytes every time");
        // A gradient over all of a channel and a hue: over 256 colours.
        let gradient = r##"<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="630"><defs><linearGradient id="g"><stop offset="0" stop-color="#000"/><stop offset="1" stop-color="#fff"/></linearGradient><linearGradient id="h" x2="0" y2="1"><stop offset="0" stop-color="#f00" stop-opacity="0"/><stop offset="1" stop-color="#f00"/></linearGradient></defs><rect width="1200" height="630" fill="url(#g)"/><rect width="1200" height="630" fill="url(#h)"/></svg>"##;
        let pixmap = raster(gradient).unwrap();
        let png = draw(gradient).unwrap();
        assert_eq!(decode(&png), (png::ColorType::Rgb, rgb(pixmap.data())));
        // The thread's pixmap and index buffer, reused: nothing of the
        // gradient card is left in the next one.
        let again = draw(flat).unwrap();
        assert_eq!(
            decode(&again),
            (png::ColorType::Indexed, rgb(raster(flat).unwrap().data()))
        );
    }

    #[test]
    fn file_paths() {
        assert_eq!(
            file_path("/", 0x1234_5678_9abc_def0),
            "social/index.12345678.png"
        );
        assert_eq!(
            file_path("/offers/kit/", 0xff << 32),
            "social/offers/kit.000000ff.png"
        );
    }

    #[test]
    fn wraps_by_width_and_ends_with_an_ellipsis() {
        let title = "Roast your own coffee at home in ten minutes a week";
        let lines = wrap(title, 500.0, 64.0, 3);
        assert!(lines.len() > 1 && lines.len() <= 3, "{lines:?}");
        assert!(
            lines.iter().all(|l| text_width(l, 64.0) <= 500.0),
            "{lines:?}"
        );
        let short = wrap(title, 300.0, 64.0, 2);
        assert_eq!(short.len(), 2);
        assert!(short[1].ends_with(" …"), "{short:?}");
        assert_eq!(wrap("Καφές", 1000.0, 64.0, 3), ["Καφές"]);
        assert!(text_width("قهوه", 64.0) > 40.0);
    }

    #[test]
    fn tabled_advances_are_the_fonts_own_at_each_size() {
        for size in [68.0, 32.0] {
            let fonts = bold_metrics(size);
            // Latin, Greek, Persian, punctuation, and a CJK character past the table.
            let text = "Coffee Καφές قهوه – “€9” … 珈";
            let slow: f32 = text.chars().map(|c| advance(&fonts, size, c)).sum();
            assert_eq!(text_width(text, size), slow);
        }
    }

    #[test]
    fn keys_change_with_the_svg() {
        assert_ne!(key("<svg/>"), key("<svg />"));
        assert_eq!(key("<svg/>"), key("<svg/>"));
    }
}
