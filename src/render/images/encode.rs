//! Resizing (fast_image_resize, Lanczos3 with SIMD) and encoding one
//! variant. Encoders are given bare pixels, so no metadata (EXIF, GPS,
//! profiles) reaches the output; each is deterministic for its input.

use super::decode::Pixels;
use super::OutFormat;
use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

/// rav1e's speed (1 slowest to 10 fastest); chosen by measuring size
/// against time on a 12 MP photograph (see README, Images).
pub(crate) const AVIF_SPEED: u8 = 9;

/// 8 bits per channel, as the sources have (ravif's default is 10): files
/// of the same size and look in less time, far less with rav1e's
/// assembly (the `fast-avif` feature); see README, Images.
const AVIF_DEPTH: ravif::BitDepth = ravif::BitDepth::Eight;

/// libwebp's `method` (0 fastest to 6 smallest); see README, Images.
const WEBP_METHOD: i32 = 4;

/// `pixels` scaled to `width` (and the height that keeps its proportions).
pub(crate) fn resize(pixels: &Pixels, width: u32) -> Result<Pixels, String> {
    let height = scaled_height(pixels.width, pixels.height, width);
    if width == pixels.width {
        return Ok(Pixels {
            bytes: pixels.bytes.clone(),
            ..*pixels
        });
    }
    let kind = if pixels.alpha {
        PixelType::U8x4
    } else {
        PixelType::U8x3
    };
    // Borrowed, not copied: a 12 MP source is 36 MB, resized once per width.
    let source = ImageRef::new(pixels.width, pixels.height, &pixels.bytes, kind)
        .map_err(|e| e.to_string())?;
    let mut target = Image::new(width, height, kind);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    Resizer::new()
        .resize(&source, &mut target, &options)
        .map_err(|e| e.to_string())?;
    Ok(Pixels {
        width,
        height,
        alpha: pixels.alpha,
        bytes: target.into_vec(),
    })
}

/// The height of an image `width` × `height` scaled to `target` wide.
pub(crate) fn scaled_height(width: u32, height: u32, target: u32) -> u32 {
    let scaled = (u64::from(height) * u64::from(target) + u64::from(width) / 2) / u64::from(width);
    (scaled as u32).max(1)
}

/// Encodes `pixels` as `format` at `quality` (1 to 100).
pub(crate) fn encode(pixels: &Pixels, format: OutFormat, quality: u8) -> Result<Vec<u8>, String> {
    match format {
        OutFormat::Avif => avif(pixels, quality),
        OutFormat::Webp => webp(pixels, quality),
        OutFormat::Jpeg => jpeg(pixels, quality),
        OutFormat::Png => png(pixels),
        OutFormat::Gif | OutFormat::Svg => Err("not an encoded format".into()),
    }
}

fn avif(pixels: &Pixels, quality: u8) -> Result<Vec<u8>, String> {
    avif_with(pixels, quality, AVIF_SPEED, AVIF_DEPTH)
}

/// AVIF at rav1e's `speed`, in `depth` bits per channel.
pub(super) fn avif_with(
    pixels: &Pixels,
    quality: u8,
    speed: u8,
    depth: ravif::BitDepth,
) -> Result<Vec<u8>, String> {
    use ravif::{Img, RGB8, RGBA8};
    let (w, h) = (pixels.width as usize, pixels.height as usize);
    let encoder = ravif::Encoder::new()
        .with_quality(f32::from(quality))
        .with_alpha_quality(f32::from(quality))
        .with_speed(speed)
        .with_bit_depth(depth);
    let encoded = if pixels.alpha {
        let rgba: Vec<RGBA8> = (pixels.bytes.chunks_exact(4))
            .map(|p| RGBA8::new(p[0], p[1], p[2], p[3]))
            .collect();
        encoder.encode_rgba(Img::new(&rgba[..], w, h))
    } else {
        let rgb: Vec<RGB8> = (pixels.bytes.chunks_exact(3))
            .map(|p| RGB8::new(p[0], p[1], p[2]))
            .collect();
        encoder.encode_rgb(Img::new(&rgb[..], w, h))
    };
    encoded.map(|e| e.avif_file).map_err(|e| e.to_string())
}

/// The largest width or height a WebP image can have.
const WEBP_MAX_SIDE: u32 = 16383;

fn webp(pixels: &Pixels, quality: u8) -> Result<Vec<u8>, String> {
    webp_with(pixels, quality, WEBP_METHOD)
}

/// Lossy WebP with libwebp's `method`.
pub(super) fn webp_with(pixels: &Pixels, quality: u8, method: i32) -> Result<Vec<u8>, String> {
    // libwebp refuses a larger image, and the binding panics when it does.
    if pixels.width.max(pixels.height) > WEBP_MAX_SIDE {
        return Err(format!(
            "at {}×{} pixels it is too large for WebP, which allows at most {WEBP_MAX_SIDE} pixels a side",
            pixels.width, pixels.height
        ));
    }
    let encoder = if pixels.alpha {
        webp::Encoder::from_rgba(&pixels.bytes, pixels.width, pixels.height)
    } else {
        webp::Encoder::from_rgb(&pixels.bytes, pixels.width, pixels.height)
    };
    let mut config =
        webp::WebPConfig::new().map_err(|()| "libwebp cannot be set up".to_string())?;
    config.quality = f32::from(quality);
    config.method = method;
    (encoder.encode_advanced(&config))
        .map(|memory| memory.to_vec())
        .map_err(|e| format!("WebP encoding failed: {e:?}"))
}

/// Baseline JPEG without chroma subsampling (4:4:4), as the `image`
/// crate's encoder wrote it, through jpeg-encoder (SIMD): libjpeg's
/// quantisation and standard Huffman tables, in half the CPU time (see
/// README, Images). Not its optimised Huffman tables: the `image` crate's
/// decoder (zune-jpeg 0.5) reads those wrongly. JPEG sources never have
/// alpha; an image with alpha falls back to PNG.
pub(super) fn jpeg(pixels: &Pixels, quality: u8) -> Result<Vec<u8>, String> {
    use jpeg_encoder::{ColorType, Encoder, SamplingFactor};
    let too_large = |_| {
        format!(
            "at {}×{} pixels it is too large for JPEG",
            pixels.width, pixels.height
        )
    };
    let width = u16::try_from(pixels.width).map_err(too_large)?;
    let height = u16::try_from(pixels.height).map_err(too_large)?;
    let kind = if pixels.alpha {
        ColorType::Rgba
    } else {
        ColorType::Rgb
    };
    let mut out = Vec::new();
    let mut encoder = Encoder::new(&mut out, quality);
    encoder.set_sampling_factor(SamplingFactor::F_1_1);
    (encoder.encode(&pixels.bytes, width, height, kind)).map_err(|e| e.to_string())?;
    Ok(out)
}

fn png(pixels: &Pixels) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    write_image(image::codecs::png::PngEncoder::new(&mut out), pixels)?;
    Ok(out)
}

/// Writes `pixels` with one of the `image` crate's encoders.
fn write_image(encoder: impl image::ImageEncoder, pixels: &Pixels) -> Result<(), String> {
    let (width, height) = (pixels.width, pixels.height);
    (encoder.write_image(&pixels.bytes, width, height, color(pixels).into()))
        .map_err(|e| e.to_string())
}

fn color(pixels: &Pixels) -> image::ColorType {
    if pixels.alpha {
        image::ColorType::Rgba8
    } else {
        image::ColorType::Rgb8
    }
}
