//! The pages as one funnel: `next`, thank-you and `@/` links resolved into a
//! link graph (resolve), the journey warnings over that graph (checks), and
//! the conversion warnings over its pages (conversion).

pub(crate) mod checks;
pub(crate) mod conversion;
pub(crate) mod resolve;

pub(crate) use resolve::*;

use crate::base::diagnostics::Diagnostics;

/// The build that a dev-server rebuild replaces, when only some pages
/// changed and the others' links resolve as before.
pub(crate) struct Previous<'a> {
    pub(crate) funnel: &'a Funnel,
    /// The indexes of the pages read again.
    pub(crate) touched: &'a [usize],
    /// Its warnings: a page that was not read again, and whose links are
    /// the same, keeps its conversion warnings.
    pub(crate) warnings: &'a Diagnostics,
}
