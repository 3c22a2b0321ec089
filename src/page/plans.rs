//! Pricing plans given as data (`{{<pricing plans={data.plans.monthly} />}}`,
//! or a `plans` key of a data map spread into the call) with checkouts of
//! their own. A plan in a data file takes a `checkout:` block like a
//! page's (`provider`, `url`, `success`, `label`), read and checked here
//! at its line in the data file; the pages whose `pricing` calls take the
//! list carry the checkouts, so the funnel stage resolves their success
//! pages and checks the ladder as it does a page's own.

use crate::base::diagnostics::Diagnostic;
use crate::base::yaml::{Fields, Value};
use crate::input::data::Data;
use crate::page::checkout::{self, Checkout};
use crate::page::components::{self, ArgValue, Call};
use crate::page::content::Page;
use std::collections::HashMap;
use std::sync::Arc;

/// The checkout of one plan of a data file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlanCheckout {
    /// The data file (`data/plans.yaml`), where the positions are.
    pub file: String,
    /// The plan's `name`.
    pub plan: String,
    /// Where a page finds the plan: `data.plans.club.0`.
    pub path: String,
    pub checkout: Checkout,
}

impl PlanCheckout {
    /// The plan as a message names it: `plan "Monthly" (`data.plans.club.0`)`.
    pub(crate) fn label(&self) -> String {
        label(&self.plan, &self.path)
    }
}

fn label(plan: &str, path: &str) -> String {
    if plan.is_empty() {
        format!("plan `{path}`")
    } else {
        format!("plan \"{plan}\" (`{path}`)")
    }
}

/// `pages` with their data plans' checkouts (a page that has some, or had
/// some, is copied), and the errors of those checkouts, once per list
/// however many pages show it.
pub(crate) fn attach(pages: Vec<Arc<Page>>, data: &Data) -> (Vec<Arc<Page>>, Vec<Diagnostic>) {
    let mut lists: HashMap<Vec<String>, Vec<PlanCheckout>> = HashMap::new();
    let mut errors = Vec::new();
    let pages = (pages.into_iter())
        .map(|page| {
            let mut found = Vec::new();
            for path in plan_lists(&page, &data.value) {
                let list = (lists.entry(path.clone()))
                    .or_insert_with(|| read_list(data, &path, &mut errors));
                // A list shown twice on a page is one set of checkouts.
                for plan in list.iter() {
                    if !found.contains(plan) {
                        found.push(plan.clone());
                    }
                }
            }
            if found == page.plan_checkouts {
                return page;
            }
            let mut copy = (*page).clone();
            copy.plan_checkouts = found;
            Arc::new(copy)
        })
        .collect();
    (pages, errors)
}

/// The data paths (`plans.monthly`) the page's `pricing` calls take their
/// `plans` from.
fn plan_lists<'a>(page: &'a Page, data: &'a Value) -> impl Iterator<Item = Vec<String>> + 'a {
    (page.calls.iter().filter(|c| c.name == "pricing")).filter_map(|call| plans_source(call, data))
}

/// The data path of the list a call's `plans` argument is, when it comes
/// from a data file: `plans={data.NAME}`, or the `plans` key of a data map
/// spread into the call (`{...data.NAME}`). `None` when the plans are
/// written in the call, or not given. As with every argument, the last
/// one given wins.
pub(crate) fn plans_source(call: &Call, data: &Value) -> Option<Vec<String>> {
    let mut source = None;
    for arg in &call.args {
        match (arg.name.as_deref(), &arg.value) {
            (Some("plans"), ArgValue::Data(path)) => source = Some(path.clone()),
            (Some("plans"), ArgValue::Literal(_)) => source = None,
            (None, ArgValue::Data(path)) => {
                let spread = components::lookup(data, path).ok();
                if spread.and_then(|map| map.get("plans")).is_some() {
                    source = Some(path.iter().cloned().chain(["plans".into()]).collect());
                }
            }
            _ => {}
        }
    }
    source
}

/// The checkouts of the plans in the list at `path`, read from its file;
/// a path that names no list is the `pricing` call's error, not this.
fn read_list(data: &Data, path: &[String], errors: &mut Vec<Diagnostic>) -> Vec<PlanCheckout> {
    let (Some(stem), Ok(Value::Sequence(items))) =
        (path.first(), components::lookup(&data.value, path))
    else {
        return Vec::new();
    };
    let Some(source) = data.source(stem) else {
        return Vec::new();
    };
    let at = yaml_path(&data.value, path);
    let mut found = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Value::Mapping(map) = item else { continue };
        if !map.contains_key("checkout") {
            continue;
        }
        let segments: Vec<String> = at.iter().cloned().chain([format!("[{i}]")]).collect();
        let mut fields = Fields::at(map, source, segments.iter().map(String::as_str).collect());
        let checkout = checkout::read(&mut fields);
        let plan = map.get("name").and_then(Value::as_str).unwrap_or_default();
        let data_path = format!("data.{}.{i}", path.join("."));
        // The messages name the fields from the plan on: say which plan.
        errors.extend(fields.errors.into_iter().map(|mut error| {
            error.message = format!("{}: {}", label(plan, &data_path), error.message);
            error
        }));
        if let Some(checkout) = checkout {
            found.push(PlanCheckout {
                file: source.file.to_string(),
                plan: plan.to_string(),
                path: data_path,
                checkout,
            });
        }
    }
    found
}

/// The data path `plans.monthly.0` inside its file, as [`Source::locate`]
/// takes it: the file's own name left out, list items as `[N]`.
///
/// [`Source::locate`]: crate::base::yaml::Source::locate
fn yaml_path(data: &Value, path: &[String]) -> Vec<String> {
    let mut value = data.get(path[0].as_str());
    let mut segments = Vec::new();
    for key in &path[1..] {
        let in_list = matches!(value, Some(Value::Sequence(_)));
        segments.push(if in_list {
            format!("[{key}]")
        } else {
            key.clone()
        });
        value = value.and_then(|v| match v {
            Value::Sequence(items) => key.parse::<usize>().ok().and_then(|n| items.get(n)),
            _ => v.get(key.as_str()),
        });
    }
    segments
}
