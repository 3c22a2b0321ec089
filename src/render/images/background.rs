//! Encoding in the background, for the dev server: a rebuild decodes a
//! new or changed image (so a broken file is still an error at the page's
//! line), names its variants and renders the pages at once; the variants
//! are encoded on a pool of their own, apart from the one rendering runs
//! on, and whoever asks for one of their files waits for this [`Job`].

use super::decode::Pixels;
use super::{cache, encode, pool, Data, Variant};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};

/// The variants of one source being encoded: when done, each variant's
/// data by its site path, or the reason encoding failed.
#[derive(Debug, Default)]
pub(super) struct Job {
    done: Mutex<Option<Result<BTreeMap<String, Data>, String>>>,
    ready: Condvar,
}

impl Job {
    /// Runs `work` and finishes the job with its result, or with an error
    /// if it panics: whoever waits for the files is never left waiting.
    fn run(&self, work: impl FnOnce() -> Result<BTreeMap<String, Data>, String>) {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work))
            .unwrap_or_else(|_| Err("the image encoder stopped on an internal error".to_string()));
        self.finish(result);
    }

    fn finish(&self, result: Result<BTreeMap<String, Data>, String>) {
        *self.done.lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
        self.ready.notify_all();
    }

    /// Finished, well or not.
    pub(super) fn is_done(&self) -> bool {
        (self.done.lock().unwrap_or_else(|e| e.into_inner())).is_some()
    }

    /// Finished and failed.
    pub(super) fn failed(&self) -> bool {
        let done = self.done.lock().unwrap_or_else(|e| e.into_inner());
        matches!(*done, Some(Err(_)))
    }

    /// The data of the variant at site path `path`, once it is encoded.
    pub(super) fn wait(&self, path: &str) -> Result<Data, String> {
        let mut done = self.done.lock().unwrap_or_else(|e| e.into_inner());
        while done.is_none() {
            done = self.ready.wait(done).unwrap_or_else(|e| e.into_inner());
        }
        match done.as_ref().expect("finished") {
            Ok(data) => (data.get(path).cloned()).ok_or_else(|| format!("{path} was not encoded")),
            Err(reason) => Err(reason.clone()),
        }
    }
}

/// Encodes `variants` of `pixels` in the background; each of them is
/// marked as waiting for the returned job.
pub(super) fn start(pixels: Pixels, variants: Vec<&mut Variant>, quality: u8) -> Arc<Job> {
    let job = Arc::new(Job::default());
    let mut todo: Vec<Variant> = variants.iter().map(|v| (*v).clone()).collect();
    for variant in variants {
        variant.data = Data::Pending(Arc::clone(&job));
    }
    let finished = Arc::clone(&job);
    std::thread::spawn(move || {
        finished.run(|| {
            let counter = AtomicUsize::new(0);
            let encode = || encode_all(&pixels, todo.iter_mut().collect(), quality, &counter);
            let result = pool::run(encode).and_then(|encoded| encoded);
            let data = todo.into_iter().map(|v| (v.path, v.data));
            result.map(|()| data.collect())
        });
    });
    job
}

/// Encodes `variants` of `pixels` (resized once per width, in parallel)
/// into the cache, or into memory when the cache cannot be written;
/// counts each in `encoded`. Call it through [`pool::run`], never on
/// rayon's global pool: there an AVIF's bytes would depend on the
/// machine's cores, and a worker waiting inside an image's slot could
/// take on a page that waits for that slot (see [`pool`]).
pub(super) fn encode_all(
    pixels: &Pixels,
    variants: Vec<&mut Variant>,
    quality: u8,
    encoded: &AtomicUsize,
) -> Result<(), String> {
    let mut by_width: BTreeMap<u32, Vec<&mut Variant>> = BTreeMap::new();
    for variant in variants {
        by_width.entry(variant.width).or_default().push(variant);
    }
    by_width
        .into_par_iter()
        .try_for_each(|(width, group)| -> Result<(), String> {
            let resized = encode::resize(pixels, width)?;
            group.into_par_iter().try_for_each(|variant| {
                let bytes = encode::encode(&resized, variant.format, quality)?;
                encoded.fetch_add(1, Ordering::Relaxed);
                if let Data::Cached(path) = &variant.data {
                    cache::write(path, &bytes);
                    if !path.is_file() {
                        variant.data = Data::Bytes(Arc::new(bytes));
                    }
                }
                Ok(())
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_whose_encoder_panics_fails_instead_of_hanging() {
        let job = Arc::new(Job::default());
        let running = Arc::clone(&job);
        let thread = std::thread::spawn(move || running.run(|| panic!("an encoder bug")));
        let waited = job.wait("/img/hero.480.webp");
        assert_eq!(
            waited.unwrap_err(),
            "the image encoder stopped on an internal error"
        );
        assert!(job.failed());
        thread.join().expect("the panic stays inside the job");
    }
}
