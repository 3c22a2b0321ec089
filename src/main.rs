//! The `funnelcake` command: parses the command line, runs the library, and
//! is the only place that prints and picks the exit code (0 success, 1 the
//! site has errors, 2 the command line is wrong).

use clap::{Parser, Subcommand, ValueEnum};
use funnelcake::{BuildOptions, Diagnostics};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// mimalloc: a build allocates and frees millions of small strings from
/// every rayon thread at once, where it is markedly faster than glibc's
/// allocator (see benches/).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc 3's `mimalloc.h` (the sixteenth
/// option; libmimalloc-sys names no constant for it). The test
/// `the_purge_delay_option_is_the_one_mimalloc_reads` checks the number.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// `mi_option_allow_thp` in the same enum (the forty-fourth option); the
/// test `the_thp_option_is_the_one_mimalloc_reads` checks the number.
const ALLOW_THP: libmimalloc_sys::mi_option_t = 43;

/// mimalloc 3 keeps freed memory for a second before it gives it back to
/// the system. Each stage of a build frees most of what the one before
/// made, so a 100,000-page build peaked over 100 MB higher than the memory
/// it was using; given back at once, the build is no slower.
///
/// It also asks for transparent huge pages: memory given back and taken
/// again then costs a fault that clears 2 MB, and a page partly used holds
/// all of it. Without them a 10,000-page build peaks 10 % lower (169
/// against 188 MiB, paired runs) and is no slower.
#[allow(unsafe_code)]
fn give_freed_memory_back_at_once() {
    // SAFETY: stores two integer options of the allocator; mimalloc reads
    // its options atomically, and this runs before any other thread.
    unsafe {
        libmimalloc_sys::mi_option_set(PURGE_DELAY, 0);
        libmimalloc_sys::mi_option_set(ALLOW_THP, 0);
    }
    // mimalloc asked for huge pages for its first arena before `main`; the
    // option stops it asking again, this stops the kernel giving them.
    #[cfg(target_os = "linux")]
    // SAFETY: sets one flag of this process; no memory is touched.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// A static site generator for marketing funnels.
#[derive(Debug, Parser)]
#[command(name = "funnelcake", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a new site that builds and checks clean at once.
    New {
        /// The folder to create; it must not exist or be empty.
        dir: PathBuf,
        /// The built-in theme to use.
        #[arg(long, default_value = "starter", value_name = "NAME",
              value_parser = clap::builder::PossibleValuesParser::new(funnelcake::builtin_themes()))]
        theme: String,
    },
    /// Build the site into its output folder.
    Build {
        /// The site folder, holding site.yaml.
        #[arg(default_value = ".")]
        site: PathBuf,
        /// Output folder [default: SITE/public]
        #[arg(short, long, value_name = "OUT")]
        output: Option<PathBuf>,
        /// Base URL to use instead of site.yaml's `base_url`.
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
        /// Include pages marked `draft: true`.
        #[arg(long)]
        drafts: bool,
        /// Build into a non-empty OUT that funnelcake did not build: same-named
        /// files are overwritten, nothing is deleted.
        #[arg(long)]
        force: bool,
    },
    /// Check the site for errors and funnel warnings without writing anything.
    Check {
        /// The site folder, holding site.yaml.
        #[arg(default_value = ".")]
        site: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Serve the site with live reload, rebuilding as files change.
    Serve {
        /// The site folder, holding site.yaml.
        #[arg(default_value = ".")]
        site: PathBuf,
        /// Port to listen on; the next free one is used when it is busy.
        #[arg(short, long, default_value_t = 1111)]
        port: u16,
        /// Address to listen on (0.0.0.0 for every interface).
        #[arg(short, long, default_value = "127.0.0.1", value_name = "ADDR")]
        interface: std::net::IpAddr,
        /// Include pages marked `draft: true`.
        #[arg(long)]
        drafts: bool,
        /// Open the site in the default browser.
        #[arg(long)]
        open: bool,
    },
    /// Print the journey map: stages, their pages, and where each page leads.
    Funnel {
        /// The site folder, holding site.yaml.
        #[arg(default_value = ".")]
        site: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// `eprintln!` that never panics: a closed stderr (`2>&1 | head`) is no
/// reason to crash, and nothing is left to tell.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// `print!` that never panics: a reader that stops reading
/// (`funnelcake check --format json | head`) ends the output, not the run.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}

fn main() -> ExitCode {
    give_freed_memory_back_at_once();
    let cli = Cli::parse();
    match cli.command {
        Command::New { dir, theme } => new(&dir, &theme),
        Command::Build {
            site,
            output,
            base_url,
            drafts,
            force,
        } => build(BuildOptions {
            site,
            out: output,
            base_url,
            drafts,
            dev: false,
            force,
        }),
        Command::Check { site, format } => check(BuildOptions::new(site), format),
        Command::Funnel { site } => funnel(BuildOptions::new(site)),
        Command::Serve {
            site,
            port,
            interface,
            drafts,
            open,
        } => serve(
            funnelcake::serve::ServeOptions {
                site,
                port,
                interface,
                drafts,
            },
            open,
        ),
    }
}

fn serve(options: funnelcake::serve::ServeOptions, open: bool) -> ExitCode {
    if !options.site.join("site.yaml").is_file() {
        say!(
            "error: no site.yaml in {}\n  = help: pass the site folder (`funnelcake serve my-site`)",
            options.site.display()
        );
        return ExitCode::from(1);
    }
    let site = options.site.display().to_string();
    let server = match funnelcake::serve::DevServer::start(options, |line| say!("{line}")) {
        Ok(server) => server,
        Err(message) => {
            say!("error: {message}");
            return ExitCode::from(1);
        }
    };
    // Requests and rebuilds run on their own threads; the main thread waits
    // for Ctrl-C (or SIGTERM), then stops the watcher, closes the reload
    // channels and the listener. There is no output folder to leave
    // half-written. A second Ctrl-C ends the process at once. The handler is
    // set before the "serving" line, so a Ctrl-C right after it is caught.
    let (stop_tx, stop_rx) = std::sync::mpsc::channel();
    let signals = std::sync::atomic::AtomicUsize::new(0);
    let handler = ctrlc::set_handler(move || {
        if signals.fetch_add(1, std::sync::atomic::Ordering::SeqCst) > 0 {
            std::process::exit(130);
        }
        let _ = stop_tx.send(());
    });
    if let Err(e) = handler {
        say!("warning: cannot catch Ctrl-C ({e}); stop the server by ending the process");
    }
    say!("serving {site} at {}/ (Ctrl-C to stop)", server.url);
    if open && open::that_detached(format!("{}/", server.url)).is_err() {
        say!("could not open a browser; visit {}/", server.url);
    }
    let _ = stop_rx.recv();
    say!("stopping the server");
    server.stop();
    say!("stopped");
    ExitCode::SUCCESS
}

fn new(dir: &std::path::Path, theme: &str) -> ExitCode {
    match funnelcake::new_site(dir, theme) {
        Ok(files) => {
            say!("created {} with the {theme} theme:", dir.display());
            for file in files {
                say!("  {}", file.display());
            }
            say!(
                "\nnext: funnelcake serve {0}    (preview with live reload)\n      funnelcake build {0}    (write the site to {0}/public)",
                dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(message) => {
            say!("error: {message}");
            ExitCode::from(1)
        }
    }
}

fn funnel(options: BuildOptions) -> ExitCode {
    use std::io::IsTerminal;
    let colour = std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    match funnelcake::funnel_text(&options, colour) {
        Ok((text, warnings)) => {
            out!("{text}");
            if !warnings.is_empty() {
                say!();
                print_diagnostics(&warnings);
            }
            ExitCode::SUCCESS
        }
        Err(diagnostics) => {
            print_diagnostics(&diagnostics);
            say!("{}", summary(&diagnostics));
            ExitCode::from(1)
        }
    }
}

fn build(options: BuildOptions) -> ExitCode {
    let started = Instant::now();
    match funnelcake::build(&options) {
        Ok(report) => {
            print_diagnostics(&report.diagnostics);
            let files = report.files;
            let plural = |n: usize, one: &str, many: &str| {
                format!("{n} {}", if n == 1 { one } else { many })
            };
            say!(
                "built {} into {} in {} ms ({} written, {} unchanged, {} removed)",
                plural(report.pages, "page", "pages"),
                report.out.display(),
                started.elapsed().as_millis(),
                plural(files.written, "file", "files"),
                files.unchanged,
                files.removed,
            );
            ExitCode::SUCCESS
        }
        Err(diagnostics) => {
            print_diagnostics(&diagnostics);
            // A commit that could not be undone has said which files changed.
            if diagnostics.iter().any(|d| d.code == "output-partial") {
                say!("{}", summary(&diagnostics));
            } else {
                say!("{}; nothing was written", summary(&diagnostics));
            }
            ExitCode::from(1)
        }
    }
}

fn check(options: BuildOptions, format: Format) -> ExitCode {
    let diagnostics = funnelcake::check(&options);
    match format {
        Format::Json => out!("{}\n", diagnostics.to_json()),
        Format::Text => {
            print_diagnostics(&diagnostics);
            say!("{}", summary(&diagnostics));
        }
    }
    if diagnostics.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Prints through one buffered lock: a big site can have many thousands.
fn print_diagnostics(diagnostics: &Diagnostics) {
    use std::io::Write;
    let mut err = std::io::BufWriter::new(std::io::stderr().lock());
    for diagnostic in diagnostics.iter() {
        let _ = writeln!(err, "{diagnostic}");
    }
}

fn summary(diagnostics: &Diagnostics) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {}",
        plural(diagnostics.errors().count(), "error"),
        plural(diagnostics.warnings().count(), "warning")
    )
}

#[cfg(test)]
mod allocator_tests {
    use super::{ALLOW_THP, PURGE_DELAY};

    /// Of mimalloc 3's options only `purge_delay` defaults to 1000, so the
    /// number is the right one as long as this test process left it alone.
    #[test]
    #[allow(unsafe_code)]
    fn the_purge_delay_option_is_the_one_mimalloc_reads() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        // SAFETY: reads one integer option of the allocator.
        let delay = unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) };
        assert_eq!(delay, 1000);
    }

    /// `allow_thp` defaults to 1, and the two options before it to -1
    /// (`page_max_reclaim`) and 32 (`page_cross_thread_max_reclaim`): a
    /// shifted number would read one of those.
    #[test]
    #[allow(unsafe_code)]
    fn the_thp_option_is_the_one_mimalloc_reads() {
        if std::env::var_os("MIMALLOC_ALLOW_THP").is_some() {
            return;
        }
        // SAFETY: reads three integer options of the allocator.
        let read = |option| unsafe { libmimalloc_sys::mi_option_get(option) };
        assert_eq!(read(ALLOW_THP - 2), -1);
        assert_eq!(read(ALLOW_THP - 1), 32);
        assert_eq!(read(ALLOW_THP), 1);
    }
}
