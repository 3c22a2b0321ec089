//! Reading a source image: its header alone (dimensions, orientation,
//! alpha) for `check` and cached builds, or its pixels, decoded once,
//! turned upright by its EXIF orientation and converted to sRGB.

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};
use std::io::Cursor;

/// What the header of a raster image says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    /// Upright dimensions (EXIF orientation applied).
    pub width: u32,
    pub height: u32,
    pub alpha: bool,
    pub format: ImageFormat,
}

/// Upright sRGB pixels, 3 or 4 bytes each.
pub(crate) struct Pixels {
    pub width: u32,
    pub height: u32,
    pub alpha: bool,
    pub bytes: Vec<u8>,
}

/// The formats funnelcake resizes; any other is copied as it is.
pub(crate) fn raster_format(bytes: &[u8]) -> Option<ImageFormat> {
    let format = image::guess_format(bytes).ok()?;
    matches!(
        format,
        ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP
    )
    .then_some(format)
}

fn decoder(bytes: &[u8]) -> Result<(impl ImageDecoder + '_, ImageFormat), String> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let format = reader.format().ok_or("not a JPEG, PNG or WebP image")?;
    let decoder = reader.into_decoder().map_err(|e| e.to_string())?;
    Ok((decoder, format))
}

/// Reads the header only: no pixel is decoded.
pub(crate) fn header(bytes: &[u8]) -> Result<Header, String> {
    let (mut decoder, format) = decoder(bytes)?;
    let (width, height) = decoder.dimensions();
    let orientation = decoder.orientation().map_err(|e| e.to_string())?;
    let alpha = decoder.color_type().has_alpha();
    let (width, height) = if swaps_axes(orientation) {
        (height, width)
    } else {
        (width, height)
    };
    Ok(Header {
        width,
        height,
        alpha,
        format,
    })
}

fn swaps_axes(orientation: image::metadata::Orientation) -> bool {
    use image::metadata::Orientation::*;
    matches!(
        orientation,
        Rotate90 | Rotate270 | Rotate90FlipH | Rotate270FlipH
    )
}

/// Decodes the pixels, upright and in sRGB.
pub(crate) fn decode(bytes: &[u8]) -> Result<Pixels, String> {
    let (mut decoder, _) = decoder(bytes)?;
    let orientation = decoder.orientation().map_err(|e| e.to_string())?;
    // A broken profile is ignored: the pixels are then taken as sRGB,
    // which is what browsers do with an untagged image.
    let icc = decoder.icc_profile().ok().flatten();
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| e.to_string())?;
    image.apply_orientation(orientation);
    let alpha = image.color().has_alpha();
    let (width, height) = (image.width(), image.height());
    let mut bytes = if alpha {
        image.into_rgba8().into_raw()
    } else {
        image.into_rgb8().into_raw()
    };
    if let Some(icc) = icc {
        to_srgb(&icc, alpha, &mut bytes);
    }
    Ok(Pixels {
        width,
        height,
        alpha,
        bytes,
    })
}

/// Converts pixels tagged with ICC profile `icc` to sRGB, in place; pixels
/// whose profile is already sRGB, or that moxcms cannot read, stay as they are.
fn to_srgb(icc: &[u8], alpha: bool, bytes: &mut [u8]) {
    use moxcms::{ColorProfile, Layout, TransformOptions};
    let Ok(profile) = ColorProfile::new_from_slice(icc) else {
        return;
    };
    let srgb = ColorProfile::new_srgb();
    if is_srgb(&profile) {
        return;
    }
    let layout = if alpha { Layout::Rgba } else { Layout::Rgb };
    let Ok(transform) =
        profile.create_transform_8bit(layout, &srgb, layout, TransformOptions::default())
    else {
        return;
    };
    let source = bytes.to_vec();
    // On failure the bytes are left as decoded.
    let _ = transform.transform(&source, bytes);
}

/// A profile that describes sRGB (what most cameras embed): converting
/// would only round the pixels.
fn is_srgb(profile: &moxcms::ColorProfile) -> bool {
    let name = profile
        .description
        .as_ref()
        .map(|d| format!("{d:?}"))
        .unwrap_or_default();
    name.contains("sRGB")
}
