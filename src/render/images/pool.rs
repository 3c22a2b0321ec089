//! The thread pools every image is encoded on, in a build and in the dev
//! server's background alike, so an AVIF has the same bytes on any
//! machine.
//!
//! ravif splits an AVIF into as many tiles as the rayon pool it runs on
//! has threads (`rayon::current_num_threads()`), and the tiles change the
//! bytes: on rayon's global pool, one thread per core, a 2-core host and
//! an 8-core laptop made different files from the same photo. Here each
//! pool has [`THREADS`] threads whatever the machine; a machine with more
//! cores gets more pools, one image to a pool, so its cores still work.
//!
//! ravif has no setting for the tiles themselves (rav1e's `tiles` is set
//! from the thread count), and its `with_num_threads` is no way out: rav1e
//! then builds a pool per encode and enters it with `install`, and a rayon
//! worker waiting in another pool's `install` runs other jobs of its own
//! pool meanwhile. A build's worker encodes an image inside the once-only
//! slot of that image (see `Images::get`); the job it picks up while it
//! waits may render a page that asks for an image whose slot it, or
//! another worker stuck the same way, holds lower on its stack: nobody can
//! finish. A first build of the example site hung so (in a debugger: both
//! workers waiting on a slot, each holding one below). So no rayon worker
//! waits here: [`run`] enters a pool from a plain thread of its own, which
//! waits without running anything else, and the pools run only encoding
//! work, which never waits for a slot.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::LazyLock;

/// Threads per pool, and so the tiles of an AVIF (fewer for a small one:
/// ravif keeps a tile's area at least 128 × 128 pixels at our speed). Two
/// is what a 2-core host made before; each tile more makes an AVIF a
/// little larger (see README, Images), and one would leave a small site's
/// one image on one core.
pub(crate) const THREADS: usize = 2;

/// As many pools as the machine has cores for, at least one.
static POOLS: LazyLock<Result<Vec<rayon::ThreadPool>, String>> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(THREADS, |n| n.get());
    (0..(cores / THREADS).max(1))
        .map(|i| {
            let builder = rayon::ThreadPoolBuilder::new().num_threads(THREADS);
            let named = builder.thread_name(move |t| format!("images-{i}-{t}"));
            named.build().map_err(|e| e.to_string())
        })
        .collect()
});

/// Which pool the next image goes to: each in turn.
static NEXT: AtomicUsize = AtomicUsize::new(0);

/// Runs `work` on one of the pools and returns its result, or why the
/// pools could not be started. The calling thread only waits; a panic in
/// `work` goes on in the caller.
pub(super) fn run<R: Send>(work: impl FnOnce() -> R + Send) -> Result<R, String> {
    let failed = |e: &dyn std::fmt::Display| {
        format!("the image encoder's threads could not be started: {e}")
    };
    let pools = POOLS.as_ref().map_err(|e| failed(e))?;
    let pool = &pools[NEXT.fetch_add(1, Ordering::Relaxed) % pools.len()];
    // `install` from a thread outside every pool blocks it (nothing else
    // runs on it meanwhile); from a rayon worker it would not.
    let waited = std::thread::scope(|scope| {
        let waiter = std::thread::Builder::new().name("images-wait".into());
        (waiter.spawn_scoped(scope, || pool.install(work))).map(|thread| thread.join())
    });
    match waited {
        Ok(Ok(result)) => Ok(result),
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(e) => Err(failed(&e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_sees_a_pool_of_the_same_size_from_any_thread() {
        let threads = || run(rayon::current_num_threads).unwrap();
        assert_eq!(threads(), THREADS);
        let global = rayon::ThreadPoolBuilder::new().num_threads(5).build();
        assert_eq!(global.unwrap().install(threads), THREADS);
    }
}
