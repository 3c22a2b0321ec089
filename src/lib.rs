//! funnelcake: a static site generator for marketing funnels.
//!
//! The build is a pipeline of plain data, each stage a function from data to
//! data; only the last one touches the disk:
//!
//! ```text
//! site.yaml ─▶ Config                  config, yaml
//! themes/, templates/, css/, static/
//!           ─▶ Theme                   theme
//! data/     ─▶ data.NAME               data
//! content/  ─▶ Vec<Page>               content, front_matter, markdown (scan),
//!                                      experiments (A/B variants over their control)
//!           ─▶ Funnel                  funnel: next, thank-you and @/ links resolved
//!           ─▶ warnings                checks: gaps, dead ends, orphans, ...
//!           ─▶ CSS bundles             assets (lightningcss, content-hashed)
//!           ─▶ rendered files          render, forms, markdown (render), sitemap,
//!                                      map (funnel.json, funnel/index.html),
//!                                      experiments (experiments.json, edge worker),
//!                                      deploy (_headers, .nojekyll)
//!           ─▶ OUT                     output: staged, then swapped in
//! ```
//!
//! [`site::build`] calls the stages in order; [`site::check`] runs the same
//! stages and writes nothing. Problems in the user's files travel as
//! [`diagnostics::Diagnostic`]s; the library never prints.

#![warn(clippy::print_stdout, clippy::print_stderr)]
// A `Diagnostic` (about 130 bytes) only travels on the error path, once per
// problem in the user's files; boxing it in every stage buys nothing.
#![allow(clippy::result_large_err)]

pub mod assets;
pub mod checks;
pub mod components;
pub mod config;
pub mod content;
pub mod data;
pub mod deploy;
pub mod diagnostics;
pub mod experiments;
pub mod forms;
pub mod front_matter;
pub mod fs;
pub mod funnel;
pub mod i18n;
pub mod map;
pub mod markdown;
pub mod output;
pub mod render;
pub mod scaffold;
pub mod serve;
pub mod session;
pub mod site;
pub mod sitemap;
pub mod theme;
mod yaml;

pub use diagnostics::{Diagnostic, Diagnostics};
pub use site::{build, check, funnel_text, BuildOptions, BuildReport};
