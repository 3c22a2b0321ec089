//! The pages as one funnel: `next`, thank-you and `@/` links resolved into a
//! link graph (resolve), the journey warnings over that graph (checks), and
//! the conversion warnings over its pages (conversion).

pub(crate) mod checks;
pub(crate) mod conversion;
pub(crate) mod resolve;

pub(crate) use resolve::*;
