//! Everything the build writes, made in memory: pages through the theme's
//! templates (context, renderer, forms), the A/B manifest and edge worker,
//! the funnel map, sitemaps, host files and the CSS bundles.

pub(crate) mod assets;
pub(crate) mod blocks;
pub(crate) mod cards;
pub(crate) mod context;
pub(crate) mod deploy;
pub(crate) mod experiments;
pub(crate) mod forms;
pub(crate) mod images;
pub(crate) mod map;
pub(crate) mod renderer;
pub(crate) mod sitemap;

/// One file of the build, relative to OUT with `/` separators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OutputFile {
    pub(crate) path: String,
    pub(crate) bytes: Vec<u8>,
}
