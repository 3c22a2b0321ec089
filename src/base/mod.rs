//! What every stage needs, and nothing of the site's own meaning:
//! diagnostics, file helpers whose errors name their path, YAML with
//! positions, URL building, dates and HTML escaping.

pub(crate) mod date;
pub(crate) mod diagnostics;
pub(crate) mod fs;
pub(crate) mod html;
pub(crate) mod text;
pub(crate) mod url;
pub(crate) mod yaml;
