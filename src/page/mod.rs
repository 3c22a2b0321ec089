//! One page at a time: front matter (with its `checkout:`), the A/B `experiment:` block, Markdown
//! (links and heading ids scanned, HTML rendered), component calls, and the
//! walk over `content/` that turns files into pages with clean URLs.

pub(crate) mod checkout;
pub(crate) mod components;
pub(crate) mod content;
pub(crate) mod evergreen;
pub(crate) mod experiment;
pub(crate) mod form;
pub(crate) mod front_matter;
pub(crate) mod markdown;
pub(crate) mod plans;
