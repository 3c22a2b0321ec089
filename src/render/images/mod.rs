//! Responsive images: every raster image a page names (front matter
//! `image`, a Markdown image, a component's `photo`, `poster` or `logo`) is
//! decoded once, resized to the configured widths and encoded in each
//! configured format plus its own (JPEG or PNG, the fallback), into
//! content-hashed names under `img/`. GIF and SVG are copied as they are,
//! under a content-hashed name too.
//!
//! [`Images`] is the build's image service: render code asks it for a
//! source, from any thread, and each source is processed once per build.
//! Encoded variants live in the cache ([`cache`]), so a rebuild with
//! unchanged images neither decodes nor encodes; after the pages are
//! rendered, [`Images::files`] gives every variant to write. The dev
//! server encodes in the background ([`background`]) and keeps what it
//! processed from one rebuild to the next ([`Images::next`]). Every
//! encode runs on pools of a fixed size ([`pool`]), so an AVIF has the
//! same bytes on any machine.

mod background;
mod cache;
mod decode;
mod encode;
pub(crate) mod markup;
#[cfg(test)]
mod measure;
mod pool;

use crate::base::diagnostics::{Diagnostic, Pos};
use crate::input::config::{ImageFormat, ImageSettings};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// A format of an output file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum OutFormat {
    Avif,
    Webp,
    Jpeg,
    Png,
    Gif,
    Svg,
}

impl OutFormat {
    pub(crate) fn extension(self) -> &'static str {
        match self {
            OutFormat::Avif => "avif",
            OutFormat::Webp => "webp",
            OutFormat::Jpeg => "jpg",
            OutFormat::Png => "png",
            OutFormat::Gif => "gif",
            OutFormat::Svg => "svg",
        }
    }

    pub(crate) fn mime(self) -> &'static str {
        match self {
            OutFormat::Avif => "image/avif",
            OutFormat::Webp => "image/webp",
            OutFormat::Jpeg => "image/jpeg",
            OutFormat::Png => "image/png",
            OutFormat::Gif => "image/gif",
            OutFormat::Svg => "image/svg+xml",
        }
    }

    fn from_setting(format: ImageFormat) -> Self {
        match format {
            ImageFormat::Avif => OutFormat::Avif,
            ImageFormat::Webp => OutFormat::Webp,
        }
    }
}

/// One output file of a source image.
#[derive(Debug, Clone)]
pub(crate) struct Variant {
    pub format: OutFormat,
    pub width: u32,
    pub height: u32,
    /// Site path, e.g. `/img/hero.960.1a2b3c4d.avif`.
    pub path: String,
    data: Data,
}

/// Where a variant's bytes are.
#[derive(Debug, Clone)]
enum Data {
    /// In the cache.
    Cached(PathBuf),
    /// In memory (a pass-through file, or the cache could not be written).
    Bytes(Arc<Vec<u8>>),
    /// Nowhere: `check` does not encode, but may weigh it ([`Images::weight`]).
    Unmade(Arc<Unmade>),
    /// Being encoded in the background (the dev server).
    Pending(Arc<background::Job>),
}

/// A variant `check` did not make: what it is made of, so that
/// `page-weight` can weigh the few a page loads in its first screen.
#[derive(Debug)]
pub(crate) struct Unmade {
    source: Arc<Vec<u8>>,
    /// Where a build keeps it: read when an earlier build made it.
    cached: PathBuf,
    /// Its size once weighed: each variant is weighed once per `check`.
    size: OnceLock<Option<usize>>,
}

impl Unmade {
    /// The bytes the variant has in the cache an earlier build left, else
    /// an estimate: the source's bytes scaled to the variant's pixels.
    /// `check` writes nothing and encodes nothing (encoding a site's
    /// heroes took a minute), so on a site no build has cached its
    /// first-screen images weigh about what their sources do.
    fn weigh(&self, _format: OutFormat, width: u32) -> Option<usize> {
        *self.size.get_or_init(|| {
            if let Ok(meta) = std::fs::metadata(&self.cached) {
                return Some(meta.len() as usize);
            }
            let source_width = decode::header(&self.source).ok()?.width.max(1);
            let scale = (f64::from(width) / f64::from(source_width)).min(1.0);
            Some((self.source.len() as f64 * scale * scale).round() as usize)
        })
    }
}

/// One output file of [`Images::files`].
#[derive(Debug)]
pub(crate) struct ImageFile {
    /// Relative to OUT: `img/hero.960.1a2b3c4d.avif`.
    pub path: String,
    data: Data,
}

impl ImageFile {
    /// The file's bytes, read from the cache when they are there; the
    /// error is a sentence naming the cache file.
    pub(crate) fn bytes(&self) -> Result<Vec<u8>, String> {
        match &self.data {
            Data::Cached(path) => std::fs::read(path)
                .map_err(|e| format!("cannot read the image cache {}: {e}", path.display())),
            Data::Bytes(bytes) => Ok(bytes.to_vec()),
            Data::Unmade(_) => Ok(Vec::new()),
            Data::Pending(job) => {
                let data = job.wait(&format!("/{}", self.path))?;
                ImageFile {
                    path: self.path.clone(),
                    data,
                }
                .bytes()
            }
        }
    }

    /// Whether the bytes are there without waiting for an encoder.
    fn ready(&self) -> bool {
        match &self.data {
            Data::Unmade(_) => false,
            Data::Pending(job) => job.is_done() && !job.failed(),
            _ => true,
        }
    }
}

/// An image file of the dev server that may still be being encoded, and
/// where a page uses its image.
pub struct PendingImage(ImageFile, Option<ImageUse>);

impl PendingImage {
    /// The file's bytes, once encoded; the error is at the page that uses
    /// the image, as a build's would be.
    pub fn wait(self) -> Result<Vec<u8>, Diagnostic> {
        self.0.bytes().map_err(|reason| match self.1 {
            Some(used) => used.error(&reason),
            None => Diagnostic::error("invalid-image", &self.0.path, reason),
        })
    }
}

/// Where a page uses an image: its file, the position of the image's path
/// in it, and the path as the page writes it (`hero.jpg`) or as a site
/// folder has it (`static/images/logo.png`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImageUse {
    pub file: String,
    pub pos: Option<Pos>,
    pub id: String,
}

impl ImageUse {
    /// Its place in file order.
    fn place(&self) -> (&str, Option<(usize, usize)>) {
        (&self.file, self.pos.map(|p| (p.line, p.column)))
    }

    /// The error of an image that cannot be used, for the `reason` given.
    pub(crate) fn error(&self, reason: &str) -> Diagnostic {
        let message = format!("image \"{}\" cannot be used: {reason}", self.id);
        Diagnostic::error("invalid-image", &self.file, message)
            .at_pos(self.pos)
            .with_hint("save it again as a JPEG, PNG, WebP, GIF or SVG file")
    }
}

/// A source image, processed.
#[derive(Debug)]
pub(crate) struct Processed {
    /// The format `<img src>` uses: JPEG, PNG, or a GIF or SVG as it is.
    pub fallback: OutFormat,
    /// Narrowest first; for each width, the formats in `<source>` order,
    /// then the fallback.
    pub variants: Vec<Variant>,
    /// A page that uses it, for the dev server's error when encoding in
    /// the background fails (see [`Processed::used_at`]).
    used: Mutex<Option<ImageUse>>,
}

impl Processed {
    /// The variants in `format`, narrowest first.
    pub(crate) fn of(&self, format: OutFormat) -> impl Iterator<Item = &Variant> {
        self.variants.iter().filter(move |v| v.format == format)
    }

    /// Notes that a page uses the image at `used`. The first use in file
    /// order is kept, and a page's own use is replaced when it is rendered
    /// again (its line may have moved).
    pub(crate) fn used_at(&self, used: ImageUse) {
        let mut kept = self.used.lock().unwrap_or_else(|e| e.into_inner());
        if kept
            .as_ref()
            .is_none_or(|old| old.file == used.file || used.place() < old.place())
        {
            *kept = Some(used);
        }
    }

    /// The widest fallback variant, which `<img src>` names.
    pub(crate) fn largest(&self) -> &Variant {
        self.of(self.fallback)
            .last()
            .expect("every image has a fallback")
    }

    /// The fallback for link previews: the narrowest at least 1200 px wide
    /// (what Open Graph asks for), else the widest.
    pub(crate) fn share(&self) -> &Variant {
        self.of(self.fallback)
            .find(|v| v.width >= 1200)
            .unwrap_or_else(|| self.largest())
    }
}

type Slot = Arc<OnceLock<Result<Arc<Processed>, String>>>;

/// The build's image service (see the module documentation).
pub(crate) struct Images {
    settings: ImageSettings,
    cache: PathBuf,
    /// Off for `check`: sources are read, nothing is encoded.
    encode: AtomicBool,
    /// Variants encoded by this service (not found in the cache), or in
    /// the background, handed to the encoder.
    encoded: AtomicUsize,
    /// Encode in the background (the dev server; see [`background`]).
    background: AtomicBool,
    slots: Mutex<BTreeMap<String, Slot>>,
    /// What the build this one follows processed (the dev server's last
    /// build), taken over as pages ask for it again: a rebuild neither
    /// reads nor hashes the cache for an image it already knows.
    earlier: Mutex<BTreeMap<String, Slot>>,
    /// Each processed image by the site path of its widest fallback, the
    /// URL a component's image argument becomes, so a template can turn
    /// that URL back into a `<picture>` (see [`Images::at`]).
    by_path: Mutex<BTreeMap<String, Arc<Processed>>>,
}

impl Images {
    pub(crate) fn new(site: &Path, settings: ImageSettings) -> Self {
        Images {
            settings,
            cache: cache::folder(site),
            encode: AtomicBool::new(true),
            encoded: AtomicUsize::new(0),
            background: AtomicBool::new(false),
            slots: Mutex::new(BTreeMap::new()),
            earlier: Mutex::new(BTreeMap::new()),
            by_path: Mutex::new(BTreeMap::new()),
        }
    }

    /// The service for the next build of the same site: it takes over what
    /// this one processed, when the settings are the same and its files
    /// are all still in the cache; anything else is processed again.
    pub(crate) fn next(&self, site: &Path, settings: ImageSettings) -> Self {
        let images = Images::new(site, settings);
        if images.settings != self.settings || !self.encode.load(Ordering::Relaxed) {
            return images;
        }
        let slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let kept = (slots.iter())
            .filter(|(_, slot)| slot.get().is_some_and(|p| p.as_ref().is_ok_and(all_there)))
            .map(|(key, slot)| (key.clone(), Arc::clone(slot)));
        *images.earlier.lock().unwrap_or_else(|e| e.into_inner()) = kept.collect();
        images
    }

    /// From now on, encode in the background: pages are rendered with the
    /// names of variants still being encoded, which [`Images::file`] waits
    /// for; [`Images::files`] leaves them out until they are done.
    pub(crate) fn in_background(&self) {
        self.background.store(true, Ordering::Relaxed);
    }

    /// From now on, read headers only and encode nothing (for `check`).
    pub(crate) fn without_encoding(&self) {
        self.encode.store(false, Ordering::Relaxed);
    }

    /// How many variants were encoded (not found in the cache).
    pub(crate) fn encoded(&self) -> usize {
        self.encoded.load(Ordering::Relaxed)
    }

    /// The processed image of `bytes`, whose file stem is `name` (for
    /// output names). Each distinct source is processed once, however many
    /// pages and threads ask; the error is a sentence about the file.
    pub(crate) fn get(&self, name: &str, bytes: Vec<u8>) -> Result<Arc<Processed>, String> {
        let name = slug(name);
        let source = cache::key(&[cache::ENGINE.as_bytes(), &bytes]);
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            let key = format!("{source}/{name}");
            let earlier = || {
                let mut earlier = self.earlier.lock().unwrap_or_else(|e| e.into_inner());
                earlier.remove(&key).unwrap_or_default()
            };
            slots.entry(key.clone()).or_insert_with(earlier).clone()
        };
        // Other threads asking for the same source wait here.
        let processed = slot
            .get_or_init(|| self.process(&bytes, &name, &source).map(Arc::new))
            .clone()?;
        let mut by_path = self.by_path.lock().unwrap_or_else(|e| e.into_inner());
        let url = crate::base::url::href("", &processed.largest().path);
        by_path.insert(url, Arc::clone(&processed));
        Ok(processed)
    }

    /// The image processed so far whose widest fallback is at `path`, a
    /// site path as links write it (percent-encoded), such as
    /// `/img/cup.480.1a2b3c4d.jpg`.
    pub(crate) fn at(&self, path: &str) -> Option<Arc<Processed>> {
        let by_path = self.by_path.lock().unwrap_or_else(|e| e.into_inner());
        by_path.get(path).cloned()
    }

    /// The size in bytes of the variant at site path `path` as links write
    /// it (`/img/hero.960.1a2b3c4d.avif`), for `page-weight`: `None` for
    /// a path no image of this build has, and for one the dev server is
    /// still encoding in the background. Under `check`, which encodes
    /// nothing, the variant's size is estimated (see [`Unmade::weigh`]).
    pub(crate) fn weight(&self, path: &str) -> Option<usize> {
        let variant = {
            let slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            let processed = slots.values().filter_map(|s| s.get()?.as_ref().ok());
            let mut variants = processed.flat_map(|p| &p.variants);
            variants
                .find(|v| crate::base::url::href("", &v.path) == path)?
                .clone()
        };
        match &variant.data {
            Data::Unmade(unmade) => unmade.weigh(variant.format, variant.width),
            Data::Cached(file) => std::fs::metadata(file).ok().map(|m| m.len() as usize),
            Data::Bytes(bytes) => Some(bytes.len()),
            // The dev server weighs an image once it is encoded, never
            // waiting for it: a save is served at once (see the serve
            // section of the README). Until then it is left out, and the
            // first rebuild after it is encoded weighs it.
            Data::Pending(job) if !job.is_done() => None,
            Data::Pending(_) => {
                let file = ImageFile {
                    path: path.trim_start_matches('/').to_string(),
                    data: variant.data.clone(),
                };
                file.bytes().ok().map(|b| b.len())
            }
        }
    }

    /// The variant at `path` (relative to OUT), done or being encoded.
    pub(crate) fn file(&self, path: &str) -> Option<PendingImage> {
        let slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let processed = slots.values().filter_map(|s| s.get()?.as_ref().ok());
        let (variant, processed) = (processed.flat_map(|p| p.variants.iter().map(move |v| (v, p))))
            .find(|(v, _)| {
                v.path.trim_start_matches('/') == path && !matches!(v.data, Data::Unmade(_))
            })?;
        let path = path.to_string();
        let used = processed.used.lock().unwrap_or_else(|e| e.into_inner());
        let file = ImageFile {
            path,
            data: variant.data.clone(),
        };
        Some(PendingImage(file, used.clone()))
    }

    /// Every variant of every image processed so far, sorted by path
    /// relative to OUT. The bytes are read by [`ImageFile::bytes`] one file
    /// at a time, so a build never holds every cached variant in memory.
    pub(crate) fn files(&self) -> Vec<ImageFile> {
        let slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let mut files = BTreeMap::new();
        for processed in slots.values().filter_map(|s| s.get()?.as_ref().ok()) {
            for variant in &processed.variants {
                let path = variant.path.trim_start_matches('/').to_string();
                let file = ImageFile {
                    path,
                    data: variant.data.clone(),
                };
                if file.ready() {
                    files.insert(file.path, file.data);
                }
            }
        }
        (files.into_iter())
            .map(|(path, data)| ImageFile { path, data })
            .collect()
    }

    fn process(&self, bytes: &[u8], name: &str, source: &str) -> Result<Processed, String> {
        let Some(format) = decode::raster_format(bytes) else {
            return pass_through(bytes, name, source);
        };
        let (width, height, alpha) = self.dimensions(bytes, source)?;
        let fallback = if alpha || format == image::ImageFormat::Png {
            OutFormat::Png
        } else {
            OutFormat::Jpeg
        };
        let mut formats: Vec<OutFormat> = (self.settings.formats.iter())
            .map(|f| OutFormat::from_setting(*f))
            .collect();
        formats.push(fallback);
        let mut variants = Vec::new();
        for target in select_widths(&self.settings.widths, width) {
            let target_height = encode::scaled_height(width, height, target);
            for &format in &formats {
                let key = self.variant_key(source, target, format);
                variants.push(Variant {
                    format,
                    width: target,
                    height: target_height,
                    path: format!("/img/{name}.{target}.{}.{}", &key[..8], format.extension()),
                    data: Data::Cached(self.cache.join(format!("{key}.{}", format.extension()))),
                });
            }
        }
        if self.encode.load(Ordering::Relaxed) {
            self.make_missing(bytes, &mut variants)?;
        } else {
            let source = Arc::new(bytes.to_vec());
            for variant in &mut variants {
                let Data::Cached(cached) = &variant.data else {
                    continue;
                };
                variant.data = Data::Unmade(Arc::new(Unmade {
                    source: Arc::clone(&source),
                    cached: cached.clone(),
                    size: OnceLock::new(),
                }));
            }
        }
        Ok(Processed {
            fallback,
            variants,
            used: Mutex::default(),
        })
    }

    fn variant_key(&self, source: &str, width: u32, format: OutFormat) -> String {
        cache::key(&[
            cache::ENGINE.as_bytes(),
            source.as_bytes(),
            &width.to_le_bytes(),
            format.extension().as_bytes(),
            &[self.settings.quality],
        ])
    }

    /// Upright width, height and alpha: from the cache, else the header.
    fn dimensions(&self, bytes: &[u8], source: &str) -> Result<(u32, u32, bool), String> {
        let path = self.cache.join(format!("{source}.size"));
        if let Some(found) = cache::read(&path).and_then(|t| cache::parse_dimensions(&t)) {
            return Ok(found);
        }
        let header = decode::header(bytes)?;
        if header.width == 0 || header.height == 0 {
            return Err("the image has no pixels".into());
        }
        let text = cache::dimensions_text(header.width, header.height, header.alpha);
        if self.encode.load(Ordering::Relaxed) {
            cache::write(&path, text.as_bytes());
        }
        Ok((header.width, header.height, header.alpha))
    }

    /// Encodes the variants the cache does not have, decoding the source
    /// once and resizing it once per width, in parallel; in the background
    /// when so asked (see [`background`]), after decoding here.
    fn make_missing(&self, bytes: &[u8], variants: &mut [Variant]) -> Result<(), String> {
        let missing: Vec<&mut Variant> = (variants.iter_mut())
            .filter(|v| matches!(&v.data, Data::Cached(p) if !p.is_file()))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let pixels = decode::decode(bytes)?;
        let quality = self.settings.quality;
        if self.background.load(Ordering::Relaxed) {
            self.encoded.fetch_add(missing.len(), Ordering::Relaxed);
            background::start(pixels, missing, quality);
            return Ok(());
        }
        pool::run(|| background::encode_all(&pixels, missing, quality, &self.encoded))?
    }
}

/// Whether every variant of `processed` can still be read: a cache file
/// deleted since is made again rather than missed.
fn all_there(processed: &Arc<Processed>) -> bool {
    processed.variants.iter().all(|v| match &v.data {
        Data::Cached(path) => path.is_file(),
        Data::Pending(job) => !job.failed(),
        Data::Bytes(_) | Data::Unmade(_) => true,
    })
}

/// A GIF or SVG, copied as it is under a content-hashed name.
fn pass_through(bytes: &[u8], name: &str, source: &str) -> Result<Processed, String> {
    let (format, width, height) =
        if matches!(image::guess_format(bytes), Ok(image::ImageFormat::Gif)) {
            let header = decode::header(bytes)?;
            (OutFormat::Gif, header.width, header.height)
        } else if looks_like_svg(bytes) {
            (OutFormat::Svg, 0, 0)
        } else {
            return Err("it is not a JPEG, PNG, WebP, GIF or SVG image".into());
        };
    let variant = Variant {
        format,
        width,
        height,
        path: format!("/img/{name}.{}.{}", &source[..8], format.extension()),
        data: Data::Bytes(Arc::new(bytes.to_vec())),
    };
    Ok(Processed {
        fallback: format,
        variants: vec![variant],
        used: Mutex::default(),
    })
}

fn looks_like_svg(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]);
    head.contains("<svg")
}

/// The widths (ascending, as the settings keep them) an image `original`
/// pixels wide is resized to: each configured width not larger than it,
/// and its own width too when a configured width above it was left out,
/// so a 600 px photo with widths 480 and 960 is offered at 480 and 600 and
/// a browser wanting more gets every pixel there is (never enlarged).
pub(crate) fn select_widths(widths: &[u32], original: u32) -> Vec<u32> {
    let mut chosen: Vec<u32> = widths.iter().copied().filter(|w| *w <= original).collect();
    if widths.iter().any(|w| *w > original) && chosen.last() != Some(&original) {
        chosen.push(original);
    }
    chosen
}

/// A file stem as a URL-safe name: letters and digits of any script kept,
/// lowercased; anything else becomes `-`.
fn slug(stem: &str) -> String {
    let mut out = String::new();
    for c in stem.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-');
    if out.is_empty() {
        "image".into()
    } else {
        out.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_not_larger_than_the_original() {
        let widths = [480, 960, 1440, 1920];
        assert_eq!(select_widths(&widths, 4000), vec![480, 960, 1440, 1920]);
        assert_eq!(select_widths(&widths, 1440), vec![480, 960, 1440]);
        assert_eq!(select_widths(&widths, 1000), vec![480, 960, 1000]);
        assert_eq!(select_widths(&widths, 600), vec![480, 600]);
        assert_eq!(select_widths(&widths, 300), vec![300]);
    }

    #[test]
    fn heights_keep_proportions() {
        assert_eq!(encode::scaled_height(4000, 3000, 480), 360);
        assert_eq!(encode::scaled_height(3, 2, 1), 1);
        assert_eq!(encode::scaled_height(1000, 1, 10), 1);
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("Guide Hero"), "guide-hero");
        assert_eq!(slug("راهنما"), "راهنما");
        assert_eq!(slug("..."), "image");
    }
}
