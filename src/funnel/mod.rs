//! The pages as one funnel: `next`, thank-you and `@/` links resolved into a
//! link graph (resolve), the journey warnings over that graph (checks), and
//! the conversion warnings over its pages (conversion).

pub(crate) mod checks;
pub(crate) mod conversion;
pub(crate) mod resolve;

pub(crate) use resolve::*;

use crate::base::diagnostics::{Diagnostic, Diagnostics};
use crate::input::config::CONVERSION_CODES;
use crate::page::content::Page;
use rayon::prelude::*;
use std::sync::Arc;

/// The warnings of a build, kept apart so that the dev server's next
/// build can reuse those a save cannot have changed.
#[derive(Debug, Default)]
pub(crate) struct Found {
    /// Each page's own journey and conversion warnings, by page index.
    pub(crate) by_page: Vec<Arc<[Diagnostic]>>,
    /// The others: the site's journey, its links, images and plans.
    pub(crate) rest: Diagnostics,
    /// What the pages' warnings depend on besides the pages: the day
    /// `expired` compared with and the privacy page.
    pub(crate) today: String,
    pub(crate) privacy_page: Option<usize>,
}

impl Found {
    /// Every warning of the funnel's `pages`, in the order they are
    /// reported.
    pub(crate) fn all(&self, pages: &[Arc<Page>]) -> Diagnostics {
        let by_page = self.by_page.iter().flat_map(|w| w.iter().cloned());
        gather(self.rest.iter().cloned(), by_page, pages)
    }

    /// [`Found::all`], emptying `self` as it goes: each page's warnings
    /// are let go once copied, so a build never holds them twice (at
    /// 100,000 pages, 350,000 warnings are over 100 MB).
    pub(crate) fn take_all(&mut self, pages: &[Arc<Page>]) -> Diagnostics {
        let rest = std::mem::take(&mut self.rest);
        let by_page = std::mem::take(&mut self.by_page).into_iter();
        let by_page = by_page.flat_map(|w| (0..w.len()).map(move |i| w[i].clone()));
        gather(rest.into_iter(), by_page, pages)
    }

    /// True when `self` holds the same warnings as `earlier`, found with
    /// the same inputs: pages reused from it compare by pointer.
    pub(crate) fn same_as(&self, earlier: &Found) -> bool {
        self.by_page.len() == earlier.by_page.len()
            && self.rest == earlier.rest
            && (self.by_page.iter().zip(&earlier.by_page)).all(|(a, b)| Arc::ptr_eq(a, b) || a == b)
    }
}

/// The `rest` of the warnings and the pages' own, as they are reported.
fn gather(
    rest: impl Iterator<Item = Diagnostic>,
    by_page: impl Iterator<Item = Diagnostic>,
    pages: &[Arc<Page>],
) -> Diagnostics {
    let (conversion, journey): (Vec<Diagnostic>, Vec<Diagnostic>) =
        by_page.partition(|w| CONVERSION_CODES.contains(&w.code));
    // A variant's journey warning about a field it inherits has no line
    // in its own file: it is reported once, at the control's line.
    let journey = fold_inherited(pages, journey.into_iter().collect());
    let mut all: Diagnostics = rest.chain(conversion).chain(journey).collect();
    all.sort();
    all
}

/// The build that a dev-server rebuild replaces, when only some pages
/// changed and the others' links resolve as before.
pub(crate) struct Previous<'a> {
    pub(crate) funnel: &'a Funnel,
    /// The indexes of the pages read again.
    pub(crate) touched: &'a [usize],
    /// Its warnings: a page whose warnings cannot have changed keeps them.
    pub(crate) found: &'a Found,
    /// ... and all of them, sorted: kept when none changed.
    pub(crate) all: &'a Arc<Diagnostics>,
}

/// Each page's journey and conversion warnings, by page index. With
/// `earlier`, only the pages whose warnings a save may have changed are
/// checked again (see [`checks::page_warnings`]): the pages read again,
/// the pages they link or linked to, and the pages that link to them.
pub(crate) fn page_warnings(
    journey: &checks::Journey,
    earlier: Option<&Previous>,
) -> Vec<Arc<[Diagnostic]>> {
    let funnel = journey.funnel;
    let again = earlier.and_then(|earlier| check_again(journey, earlier));
    (0..funnel.pages.len())
        .into_par_iter()
        .map(|index| match (&again, earlier) {
            (Some(again), Some(earlier)) if !again[index] => {
                Arc::clone(&earlier.found.by_page[index])
            }
            _ => {
                let mut warnings = checks::page_warnings(journey, index);
                warnings.extend(conversion::page_warnings(journey.config, funnel, index));
                warnings.into()
            }
        })
        .collect()
}

/// Which pages to check again after `earlier`; `None` for every page.
fn check_again(journey: &checks::Journey, earlier: &Previous) -> Option<Vec<bool>> {
    let (funnel, old) = (journey.funnel, earlier.funnel);
    let found = earlier.found;
    let same_inputs = found.today == journey.today
        && found.privacy_page == journey.privacy_page
        && found.by_page.len() == funnel.pages.len()
        && old.pages.len() == funnel.pages.len();
    if !same_inputs {
        return None;
    }
    let mut again = vec![false; funnel.pages.len()];
    for &touched in earlier.touched {
        again[touched] = true;
        let linked = (funnel.links[touched].iter().chain(&old.links[touched])).map(|l| l.to);
        let linking = funnel.incoming[touched]
            .iter()
            .chain(&old.incoming[touched]);
        for index in linked.chain(linking.copied()) {
            again[index] = true;
        }
    }
    Some(again)
}
