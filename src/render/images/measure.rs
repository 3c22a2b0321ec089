//! Encoder settings, measured: the CPU time and bytes of each step of one
//! photograph's processing (decode, resize to each width, each encoder at
//! each setting considered), on the photograph named by
//! `FUNNELCAKE_IMAGE_SAMPLE`. Run by hand on a release build, one thread
//! so that CPU time is not blurred by idle workers spinning:
//!
//! ```sh
//! FUNNELCAKE_IMAGE_SAMPLE=photo.jpg RAYON_NUM_THREADS=1 \
//!   cargo test --release --lib encoder_settings -- --ignored --nocapture
//! ```

use super::decode::{self, Pixels};
use super::encode;

/// CPU seconds used by this process so far, every thread of it (Linux:
/// the threads' scheduler statistics, in nanoseconds).
fn cpu_seconds() -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    let nanos: u64 = (tasks.filter_map(|task| {
        let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        stat.split(' ').next()?.parse::<u64>().ok()
    }))
    .sum();
    nanos as f64 / 1e9
}

/// `work`'s result and the CPU seconds it took.
fn timed<T>(work: impl FnOnce() -> T) -> (T, f64) {
    let before = cpu_seconds();
    let result = work();
    (result, cpu_seconds() - before)
}

type Candidate = (&'static str, fn(&Pixels) -> Vec<u8>);

/// The encoders and settings compared, at quality 75.
fn candidates() -> Vec<Candidate> {
    use encode::{avif_with, webp_with};
    use ravif::BitDepth::{Eight, Ten};
    vec![
        ("AVIF speed 9, 10-bit", |p| {
            avif_with(p, 75, 9, Ten).unwrap()
        }),
        ("AVIF speed 8, 8-bit", |p| {
            avif_with(p, 75, 8, Eight).unwrap()
        }),
        ("AVIF speed 9, 8-bit", |p| {
            avif_with(p, 75, 9, Eight).unwrap()
        }),
        ("AVIF speed 10, 8-bit", |p| {
            avif_with(p, 75, 10, Eight).unwrap()
        }),
        ("WebP method 4", |p| webp_with(p, 75, 4).unwrap()),
        ("WebP method 3", |p| webp_with(p, 75, 3).unwrap()),
        ("WebP method 2", |p| webp_with(p, 75, 2).unwrap()),
        ("JPEG, image crate", image_jpeg),
        ("JPEG, jpeg-encoder 4:4:4", |p| encode::jpeg(p, 75).unwrap()),
        ("JPEG, jpeg-encoder 4:2:0", subsampled_jpeg),
    ]
}

/// The JPEG encoder of the `image` crate (funnelcake's before, Zola's).
fn image_jpeg(pixels: &Pixels) -> Vec<u8> {
    use image::ImageEncoder;
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 75);
    let (w, h) = (pixels.width, pixels.height);
    let kind = image::ExtendedColorType::Rgb8;
    encoder.write_image(&pixels.bytes, w, h, kind).unwrap();
    out
}

/// jpeg-encoder at its own default for quality 75: chroma at half
/// resolution (4:2:0), as libjpeg writes it.
fn subsampled_jpeg(pixels: &Pixels) -> Vec<u8> {
    let mut out = Vec::new();
    let (w, h) = (pixels.width as u16, pixels.height as u16);
    let encoder = jpeg_encoder::Encoder::new(&mut out, 75);
    encoder
        .encode(&pixels.bytes, w, h, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

#[test]
#[ignore = "a measurement, run by hand"]
#[allow(clippy::print_stdout)] // its figures are its output
fn encoder_settings() {
    let path = std::env::var("FUNNELCAKE_IMAGE_SAMPLE").expect("FUNNELCAKE_IMAGE_SAMPLE");
    let bytes = std::fs::read(path).unwrap();
    let (pixels, cpu) = timed(|| decode::decode(&bytes).unwrap());
    println!("decode {}x{}: {cpu:.3} s", pixels.width, pixels.height);
    let mut totals = vec![0.0; candidates().len()];
    for width in [480, 960, 1440, 1920] {
        let (resized, cpu) = timed(|| encode::resize(&pixels, width).unwrap());
        println!("{width} px: resize {cpu:.3} s");
        for (i, (name, run)) in candidates().into_iter().enumerate() {
            let (out, cpu) = timed(|| run(&resized));
            totals[i] += cpu;
            println!("{width} px: {name}: {} bytes, {cpu:.3} s", out.len());
        }
    }
    for ((name, _), total) in candidates().iter().zip(totals) {
        println!("all widths: {name}: {total:.3} s");
    }
}
