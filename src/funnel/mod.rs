//! The pages as one funnel: `next`, thank-you and `@/` links resolved into a
//! link graph (resolve), and the journey warnings over that graph (checks).

pub(crate) mod checks;
pub(crate) mod resolve;

pub(crate) use resolve::*;
