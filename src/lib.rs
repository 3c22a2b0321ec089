//! funnelcake: a static site generator for marketing funnels.
//!
//! The build is a pipeline of plain data, each stage a function from data to
//! data; only `output` touches the disk. The folders of `src/` are the
//! stages, in order, and a module uses only its own folder and earlier ones
//! (`tests/layers.rs` checks it):
//!
//! ```text
//!                                base/    diagnostics, fs, yaml, url, date, html
//! site.yaml ─▶ Config            input/   config
//! themes/, templates/, css/ ─▶ Theme      theme, i18n (UI strings)
//! data/     ─▶ data.NAME                  data
//! content/  ─▶ Vec<Page>         page/    content, front_matter, experiment,
//!                                         form, markdown, components
//!           ─▶ Funnel            funnel/  resolve (next, thank-you, @/ links),
//!                                         checks (gaps, dead ends, orphans, ...)
//!           ─▶ rendered files    render/  context, renderer, forms, assets (CSS),
//!                                         map, sitemap, experiments, deploy
//!           ─▶ OUT               output   staged, then swapped in
//!                                site     the recipe: every stage in order
//!                                serve/   the dev server: session, server
//! ```
//!
//! [`site::build`] calls the stages in order; [`site::check`] runs the same
//! stages and writes nothing. Problems in the user's files travel as
//! [`Diagnostic`]s; the library never prints.

#![warn(clippy::print_stdout, clippy::print_stderr)]
// A `Diagnostic` (about 130 bytes) only travels on the error path, once per
// problem in the user's files; boxing it in every stage buys nothing.
#![allow(clippy::result_large_err)]

pub(crate) mod base;
pub(crate) mod funnel;
pub(crate) mod input;
pub(crate) mod output;
pub(crate) mod page;
pub(crate) mod render;
pub(crate) mod scaffold;
pub mod serve;
pub(crate) mod site;

pub use base::diagnostics::{Diagnostic, Diagnostics, Pos, Severity};
pub use input::theme::builtin_names as builtin_themes;
pub use scaffold::new_site;
pub use site::{build, check, funnel_text, BuildOptions, BuildReport};
