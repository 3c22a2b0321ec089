//! The `funnelcake` command: parses the command line, runs the library, and
//! is the only place that prints and picks the exit code (0 success, 1 the
//! site has errors, 2 the command line is wrong).

use clap::{Parser, Subcommand, ValueEnum};
use funnelcake::{BuildOptions, Diagnostics};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// A static site generator for marketing funnels.
#[derive(Debug, Parser)]
#[command(name = "funnelcake", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Build {
            site,
            output,
            base_url,
            drafts,
        } => build(BuildOptions {
            site,
            out: output,
            base_url,
            drafts,
        }),
        Command::Check { site, format } => check(BuildOptions::new(site), format),
        Command::Funnel { site } => funnel(BuildOptions::new(site)),
    }
}

fn funnel(options: BuildOptions) -> ExitCode {
    use std::io::IsTerminal;
    let colour = std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    match funnelcake::funnel_text(&options, colour) {
        Ok((text, warnings)) => {
            print!("{text}");
            if !warnings.is_empty() {
                eprintln!();
                print_diagnostics(&warnings);
            }
            ExitCode::SUCCESS
        }
        Err(diagnostics) => {
            print_diagnostics(&diagnostics);
            eprintln!("{}", summary(&diagnostics));
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
            eprintln!(
                "built {} pages into {} in {} ms ({} files written, {} unchanged, {} removed)",
                report.pages,
                report.out.display(),
                started.elapsed().as_millis(),
                files.written,
                files.unchanged,
                files.removed,
            );
            ExitCode::SUCCESS
        }
        Err(diagnostics) => {
            print_diagnostics(&diagnostics);
            eprintln!("{}; nothing was written", summary(&diagnostics));
            ExitCode::from(1)
        }
    }
}

fn check(options: BuildOptions, format: Format) -> ExitCode {
    let diagnostics = funnelcake::check(&options);
    match format {
        Format::Json => println!("{}", diagnostics.to_json()),
        Format::Text => {
            print_diagnostics(&diagnostics);
            eprintln!("{}", summary(&diagnostics));
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
