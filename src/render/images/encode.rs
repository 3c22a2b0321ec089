//! Resizing (fast_image_resize, Lanczos3 with SIMD) and encoding one
//! variant. Encoders are given bare pixels, so no metadata (EXIF, GPS,
//! profiles) reaches the output; each is deterministic for its input.

use super::decode::Pixels;
use super::OutFormat;
use fast_image_resize::images::Image;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

/// rav1e's speed (1 slowest to 10 fastest); chosen by measuring size
/// against time on a 12 MP photograph (see README, Images).
pub(crate) const AVIF_SPEED: u8 = 9;

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
    let source = Image::from_vec_u8(pixels.width, pixels.height, pixels.bytes.clone(), kind)
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
    use ravif::{Img, RGB8, RGBA8};
    let (w, h) = (pixels.width as usize, pixels.height as usize);
    let encoder = ravif::Encoder::new()
        .with_quality(f32::from(quality))
        .with_alpha_quality(f32::from(quality))
        .with_speed(AVIF_SPEED);
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
    (encoder.encode_simple(false, f32::from(quality)))
        .map(|memory| memory.to_vec())
        .map_err(|e| format!("WebP encoding failed: {e:?}"))
}

fn jpeg(pixels: &Pixels, quality: u8) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
    write_image(encoder, pixels)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Size against time for AVIF speeds and WebP, on the photograph named
    /// by `FUNNELCAKE_IMAGE_SAMPLE` resized to 1920 px (the widest default):
    /// `FUNNELCAKE_IMAGE_SAMPLE=photo.jpg cargo test --release --lib
    /// encoder_speeds -- --ignored --nocapture`.
    #[test]
    #[ignore = "a measurement, run by hand"]
    #[allow(clippy::print_stdout)] // its figures are its output
    fn encoder_speeds() {
        let path = std::env::var("FUNNELCAKE_IMAGE_SAMPLE").expect("FUNNELCAKE_IMAGE_SAMPLE");
        let bytes = std::fs::read(path).unwrap();
        let started = std::time::Instant::now();
        let pixels = super::super::decode::decode(&bytes).unwrap();
        println!(
            "decode {}x{}: {:?}",
            pixels.width,
            pixels.height,
            started.elapsed()
        );
        let started = std::time::Instant::now();
        let resized = resize(&pixels, 1920).unwrap();
        println!("resize to 1920: {:?}", started.elapsed());
        for speed in [6u8, 7, 8, 9, 10] {
            let started = std::time::Instant::now();
            let rgb: Vec<ravif::RGB8> = (resized.bytes.chunks_exact(3))
                .map(|p| ravif::RGB8::new(p[0], p[1], p[2]))
                .collect();
            let img = ravif::Img::new(&rgb[..], 1920, resized.height as usize);
            let encoder = ravif::Encoder::new().with_quality(75.0).with_speed(speed);
            let out = encoder.encode_rgb(img).unwrap().avif_file;
            println!(
                "avif speed {speed}: {} bytes, {:?}",
                out.len(),
                started.elapsed()
            );
        }
        for format in [OutFormat::Webp, OutFormat::Jpeg] {
            let started = std::time::Instant::now();
            let out = encode(&resized, format, 75).unwrap();
            println!("{format:?}: {} bytes, {:?}", out.len(), started.elapsed());
        }
    }
}
