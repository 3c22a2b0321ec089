//! Files for the host a site deploys to (`deploy:` in site.yaml).
//!
//! - `netlify` and `cloudflare`: `_headers`, in the format both hosts read:
//!   a year of immutable caching for each content-hashed CSS file, security headers on
//!   every response, and `X-Robots-Tag: noindex` on thank-you pages and the
//!   funnel map, which no search engine should list.
//! - `github-pages`: `.nojekyll`, so GitHub serves the files as they are
//!   (Jekyll would hide files and folders starting with `_`).
//! - `none`: nothing.

use crate::base::url::encode_path;
use crate::base::yaml::Choice;
use crate::input::config::{Config, Deploy};
use crate::page::content::Page;
use crate::render::OutputFile;
use std::fmt::Write;
use std::sync::Arc;

/// Security headers sent with every response.
const SECURITY_HEADERS: &[(&str, &str)] = &[
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("X-Frame-Options", "DENY"),
    (
        "Permissions-Policy",
        "camera=(), microphone=(), geolocation=()",
    ),
];

/// The files `config.deploy` asks for.
/// `hashed` lists the content-hashed files (`css/main.1a2b3c4d.css`).
pub(crate) fn files(config: &Config, pages: &[Arc<Page>], hashed: &[&str]) -> Vec<OutputFile> {
    match config.deploy {
        Deploy::Netlify | Deploy::Cloudflare => vec![OutputFile {
            path: "_headers".into(),
            bytes: headers(config, pages, hashed).into_bytes(),
        }],
        Deploy::GithubPages => vec![OutputFile {
            path: ".nojekyll".into(),
            bytes: Vec::new(),
        }],
        Deploy::None => Vec::new(),
    }
}

fn headers(config: &Config, pages: &[Arc<Page>], hashed: &[&str]) -> String {
    let base = config.base_path();
    let mut out = String::from("# Written by funnelcake for deploy: ");
    out.push_str(config.deploy.name());
    out.push_str("\n/*\n");
    for (name, value) in SECURITY_HEADERS {
        let _ = writeln!(out, "  {name}: {value}");
    }
    // Each hashed file by name: a static file that happens to sit in the
    // same folder must not be cached for a year.
    for path in hashed {
        let _ = writeln!(
            out,
            "{base}/{}\n  Cache-Control: public, max-age=31536000, immutable",
            encode_path(path)
        );
    }
    let mut hidden: Vec<String> = pages
        .iter()
        .filter(|p| p.is_noindex())
        .map(|p| format!("{base}{}", encode_path(&p.path)))
        .collect();
    if config.funnel_map {
        hidden.push(format!("{base}/funnel/"));
    }
    hidden.sort();
    for path in hidden {
        let _ = writeln!(out, "{path}\n  X-Robots-Tag: noindex");
    }
    out
}
