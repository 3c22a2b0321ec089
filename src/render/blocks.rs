//! Checks of the built-in layout blocks (`section`, `columns`, `steps`,
//! `stats`, `logos`, `comparison`) that an argument's type cannot say: a
//! tone from a fixed list, the keys of each item, and which block belongs
//! inside which. Each problem is a message for the argument or the call.

use crate::base::diagnostics::Pos;
use crate::base::yaml::{describe, Value};
use crate::page::components::Call;

/// The tones of `section`.
pub(crate) const TONES: &[&str] = &["plain", "muted", "accent", "dark"];

/// What a key of an item may hold.
#[derive(Clone, Copy)]
enum Kind {
    /// Text or a number (`12000`, `4.9`).
    Text,
    /// `true`, `false` or text.
    Mark,
}

/// The keys of an item and what each holds.
type Keys = &'static [(&'static str, Kind)];

/// The keys each item of a list argument needs: (component, argument, keys).
const ITEM_KEYS: &[(&str, &str, Keys)] = &[
    ("steps", "items", &[("title", Kind::Text)]),
    (
        "stats",
        "items",
        &[("value", Kind::Text), ("label", Kind::Text)],
    ),
    (
        "logos",
        "items",
        &[("name", Kind::Text), ("logo", Kind::Text)],
    ),
    (
        "comparison",
        "rows",
        &[
            ("feature", Kind::Text),
            ("us", Kind::Mark),
            ("them", Kind::Mark),
        ],
    ),
];

/// The problem with argument `arg` of a call of `component`, if any.
pub(crate) fn check_value(component: &str, arg: &str, value: &Value) -> Option<String> {
    if (component, arg) == ("section", "tone") {
        let tone = value.as_str().unwrap_or_default();
        return (!TONES.contains(&tone)).then(|| {
            format!(
                "`tone` of `section` must be one of {}, not {}",
                TONES.join(", "),
                describe(value)
            )
        });
    }
    let (_, _, keys) = ITEM_KEYS
        .iter()
        .find(|(c, a, _)| (*c, *a) == (component, arg))?;
    let items = value.as_sequence()?;
    items.iter().enumerate().find_map(|(i, item)| {
        let problem = item_problem(item, keys)?;
        Some(format!(
            "item {} of `{arg}` of `{component}` {problem}",
            i + 1
        ))
    })
}

/// What is wrong with one item of a list argument.
fn item_problem(item: &Value, keys: &[(&str, Kind)]) -> Option<String> {
    let Some(map) = item.as_mapping() else {
        let names: Vec<_> = keys.iter().map(|(k, _)| *k).collect();
        return Some(format!(
            "must be a map with {}, not {}",
            names.join(", "),
            describe(item)
        ));
    };
    keys.iter()
        .find_map(|&(key, kind)| match (map.get(key), kind) {
            (None, _) => Some(format!("needs `{key}`")),
            (Some(v), Kind::Text) if v.is_string() || v.is_number() => None,
            (Some(v), Kind::Mark) if v.is_string() || v.is_number() || v.is_bool() => None,
            (Some(v), Kind::Text) => Some(format!("needs `{key}` as text, not {}", describe(v))),
            (Some(v), Kind::Mark) => Some(format!(
                "needs `{key}` as true, false or text, not {}",
                describe(v)
            )),
        })
}

/// Blocks that belong inside another, and how many of them it takes:
/// (child, parent, fewest, most).
const NESTING: &[(&str, &str, usize, usize)] = &[
    ("column", "columns", 2, 4),
    ("step", "steps", 0, usize::MAX),
];

/// Problems with where blocks stand: a `column` outside `columns`, a
/// `columns` with fewer than 2 or more than 4 columns. Each is the
/// position, the message and a hint.
pub(crate) fn check_nesting(calls: &[Call]) -> Vec<(Pos, String, String)> {
    let mut problems = Vec::new();
    for &(child, parent, fewest, most) in NESTING {
        for call in calls.iter().filter(|c| c.name == child) {
            let inside = call.parent.map(|p| calls[p].name.as_str());
            if inside != Some(parent) {
                problems.push((
                    call.pos,
                    format!("a `{child}` belongs inside `{parent}`"),
                    format!("wrap it in `{{% <{parent}> %}}` … `{{% </{parent}> %}}`"),
                ));
            }
        }
        for (index, call) in calls.iter().enumerate().filter(|(_, c)| c.name == parent) {
            let count = (calls.iter())
                .filter(|c| c.name == child && c.parent == Some(index))
                .count();
            if count < fewest || count > most {
                problems.push((
                    call.pos,
                    format!("`{parent}` holds {count} `{child}`, and it takes {fewest} to {most}"),
                    format!(
                        "write each one as `{{% <{child}> %}}` … `{{% </{child}> %}}` inside it"
                    ),
                ));
            }
        }
    }
    problems
}
