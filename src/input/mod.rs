//! The site's inputs besides its pages: `site.yaml` (config), the theme
//! and its overrides, the UI strings of each language, and `data/` files.

pub(crate) mod config;
pub(crate) mod data;
pub(crate) mod i18n;
pub(crate) mod theme;
