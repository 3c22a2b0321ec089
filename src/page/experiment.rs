//! A page's `experiment:` block: its id, variants and weights, checked
//! where the front matter is read. What the build makes of an experiment
//! (the assignment script's data, `experiments.json`, the edge worker)
//! is [`crate::render::experiments`].
//!
//! A page (the control, arm `a`) names one or more variant files. Each
//! variant is a page file whose front matter holds only what differs; the
//! rest comes from the control ([`crate::page::content`] merges them).

use crate::base::diagnostics::{suggestion, Diagnostic, Pos};
use crate::base::yaml::Fields;
use crate::base::yaml::Located;
use crate::base::yaml::{Mapping, Value};

const KEYS: &[&str] = &["id", "variants", "weights"];

/// The control's arm id.
pub(crate) const CONTROL: &str = "a";

/// A page's `experiment:` block, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Experiment {
    pub id: String,
    /// The variants, sorted by id, each with its content path.
    pub variants: Vec<VariantSpec>,
    /// Weights in percent of every arm: the control first, then the
    /// variants in the same order; they add up to 100.
    pub weights: Vec<u32>,
    /// Where `experiment:` is written.
    pub pos: Option<Pos>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VariantSpec {
    pub id: String,
    pub file: Located<String>,
}

/// What makes a page a variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VariantOf {
    /// The control's content path.
    pub control: String,
    /// The arm id (`b`).
    pub id: String,
    /// The front-matter keys the variant's file sets; it inherits the
    /// others from the control.
    pub own_keys: Vec<String>,
    /// False when the variant's body is blank and it shows the control's.
    pub own_body: bool,
}

/// Adds to `diagnostic` (at its control's line) the variant files that
/// have it only because they inherit its cause; they report it no more.
pub(crate) fn name_inheritors(diagnostic: &mut Diagnostic, files: &[&str]) {
    if files.is_empty() {
        return;
    }
    diagnostic.message = format!(
        "{} (also in {}, a variant that inherits it)",
        diagnostic.message,
        files.join(", ")
    );
}

impl VariantOf {
    /// True when the variant's file sets `key` itself.
    pub(crate) fn sets(&self, key: &str) -> bool {
        self.own_keys.iter().any(|k| k == key)
    }
}

impl Experiment {
    /// Arm ids with their weights, the control first.
    pub(crate) fn arms(&self) -> impl Iterator<Item = (&str, u32)> {
        std::iter::once(CONTROL)
            .chain(self.variants.iter().map(|v| v.id.as_str()))
            .zip(self.weights.iter().copied())
    }

    /// The cookie that keeps a visitor in their arm.
    pub(crate) fn cookie(&self) -> String {
        format!("fc_exp_{}", self.id)
    }
}

/// The URL path of variant `id` of the page at `control_path`.
pub(crate) fn variant_path(control_path: &str, id: &str) -> String {
    format!("{control_path}{id}/")
}

/// An id that can go in a URL segment, a cookie name and an event:
/// lowercase ASCII letters and digits, with `-` or `_` inside.
pub(crate) fn is_word(id: &str) -> bool {
    let bytes = id.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 40
        && bytes[0].is_ascii_lowercase() | bytes[0].is_ascii_digit()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-' || *b == b'_')
        && !id.ends_with(['-', '_'])
}

const WORD_HINT: &str = "use lowercase letters and digits, with `-` or `_` between words";

/// Reads `experiment:` from a page's front matter; problems go into `fields`.
pub(crate) fn read(fields: &mut Fields) -> Option<Experiment> {
    let raw = fields.raw("experiment")?;
    let Value::Mapping(map) = raw else {
        let message = "`experiment` must be a mapping with `id`, `variants` and `weights`";
        fields
            .error("invalid-experiment", "experiment", message)
            .hint = Some("write `experiment: { id: headline, variants: { b: page-b.md } }`".into());
        return None;
    };
    let pos = fields.source().locate_key(&["experiment"]);
    let mut block = fields.nested("experiment", map);
    block.reject_unknown(KEYS);
    let experiment = read_block(&mut block, pos);
    fields.errors.append(&mut block.errors);
    experiment
}

fn read_block(block: &mut Fields, pos: Option<Pos>) -> Option<Experiment> {
    let id = block.required_string("id", "add `id: headline-test` (a short name for the test)");
    if let Some(id) = id.as_deref().filter(|id| !is_word(id)) {
        let message = format!("experiment id \"{id}\" is not a URL-safe word");
        block.error("invalid-experiment", "id", message).hint = Some(WORD_HINT.into());
    }
    let (arms, variants) = read_variants(block)?;
    let weights = read_weights(block, &arms);
    let id = id.filter(|id| is_word(id))?;
    Some(Experiment {
        id,
        weights: weights?,
        variants: variants?,
        pos,
    })
}

/// The arm ids as written (the control first) and, when every variant is
/// good, the variants sorted by id.
fn read_variants(block: &mut Fields) -> Option<(Vec<String>, Option<Vec<VariantSpec>>)> {
    let Some(raw) = block.raw("variants") else {
        block.required_string("variants", "add `variants: { b: page-b.md }`");
        return None;
    };
    let Value::Mapping(map) = raw else {
        let message = "`experiment.variants` must map each variant id to its page file, such as `{ b: page-b.md }`";
        block.error("invalid-experiment", "variants", message);
        return None;
    };
    if map.is_empty() {
        let message = "an experiment needs at least one variant";
        block.error("invalid-experiment", "variants", message);
        return None;
    }
    let nested = block.nested("variants", map);
    let mut arms = vec![CONTROL.to_string()];
    let mut variants = Vec::new();
    let mut errors = Vec::new();
    for (key, value) in map {
        let id = key
            .as_str()
            .map_or_else(|| format!("{key:?}"), String::from);
        match read_variant(&nested, block.pos("variants"), &id, value) {
            Ok(variant) => variants.push(variant),
            Err(error) => errors.push(error),
        }
        if id != CONTROL {
            arms.push(id);
        }
    }
    let ok = errors.is_empty();
    block.errors.append(&mut errors);
    variants.sort_by(|a, b| a.id.cmp(&b.id));
    Some((arms, ok.then_some(variants)))
}

/// One entry of `variants:`: a URL-safe id other than `a`, naming a page
/// file. Errors are at the entry's key, else at `variants`.
fn read_variant(
    nested: &Fields,
    block_pos: Option<Pos>,
    id: &str,
    value: &Value,
) -> Result<VariantSpec, Diagnostic> {
    let key_pos = (nested.source())
        .locate_key(&["experiment", "variants", id])
        .or(nested.pos(id));
    let fail = |message: String, hint: &str, pos: Option<Pos>| {
        Diagnostic::error("invalid-experiment", nested.source().file, message)
            .at_pos(pos.or(block_pos))
            .with_hint(hint.to_string())
    };
    if id == CONTROL {
        let message = "variant id \"a\" is the control: the page itself".to_string();
        return Err(fail(
            message,
            "name the variants `b`, `c` and so on",
            key_pos,
        ));
    }
    if !is_word(id) {
        let message = format!("variant id \"{id}\" is not a URL-safe word");
        return Err(fail(message, WORD_HINT, key_pos));
    }
    match value.as_str().filter(|f| !f.trim().is_empty()) {
        Some(file) => Ok(VariantSpec {
            id: id.to_string(),
            file: Located {
                value: file.to_string(),
                pos: nested.pos(id),
            },
        }),
        None => {
            let message =
                format!("variant \"{id}\" must name its page file, such as `{id}: page-{id}.md`");
            Err(fail(
                message,
                "the path is relative to `content/`",
                nested.pos(id),
            ))
        }
    }
}

/// Weights in the order of the sorted arms (the control first), as written
/// or, when there are none, an even split with the control taking what is
/// left.
fn read_weights(block: &mut Fields, arms: &[String]) -> Option<Vec<u32>> {
    let mut sorted: Vec<&str> = arms.iter().map(String::as_str).collect();
    sorted[1..].sort_unstable();
    let Some(raw) = block.raw("weights") else {
        let share = 100 / sorted.len() as u32;
        let mut weights = vec![share; sorted.len()];
        weights[0] = 100 - share * (sorted.len() as u32 - 1);
        return Some(weights);
    };
    let Value::Mapping(map) = raw else {
        let message =
            "`experiment.weights` must give each arm a percentage, such as `{ a: 50, b: 50 }`";
        block.error("invalid-experiment", "weights", message);
        return None;
    };
    let mut nested = block.nested("weights", map);
    let weights = weights_as_written(&mut nested, map, &sorted);
    block.errors.append(&mut nested.errors);
    complete_weights(block, &sorted, weights?)
}

/// Each weight under its arm's slot; `None` (with errors) when a key is
/// not an arm or a value not a percentage.
fn weights_as_written(
    nested: &mut Fields,
    map: &Mapping,
    sorted: &[&str],
) -> Option<Vec<Option<u32>>> {
    let mut weights = vec![None; sorted.len()];
    let mut ok = true;
    for (key, value) in map {
        let name = key.as_str().unwrap_or_default();
        let Some(slot) = sorted.iter().position(|a| *a == name) else {
            let message = format!(
                "weight for unknown arm \"{name}\"{}",
                suggestion(name, sorted.iter().copied())
            );
            nested.error("invalid-experiment", name, message).hint =
                Some(format!("the arms are {} (`a` is this page)", sorted.join(", ")).into());
            ok = false;
            continue;
        };
        match value.as_u64().filter(|w| *w <= 100) {
            Some(weight) => weights[slot] = Some(weight as u32),
            None => {
                let message = format!("weight of \"{name}\" must be a whole number from 0 to 100");
                nested.error("invalid-experiment", name, message);
                ok = false;
            }
        }
    }
    ok.then_some(weights)
}

/// Every arm has a weight and they add up to 100.
fn complete_weights(
    block: &mut Fields,
    sorted: &[&str],
    weights: Vec<Option<u32>>,
) -> Option<Vec<u32>> {
    let missing: Vec<&str> = sorted
        .iter()
        .zip(&weights)
        .filter(|(_, w)| w.is_none())
        .map(|(a, _)| *a)
        .collect();
    if !missing.is_empty() {
        let message = format!(
            "`experiment.weights` has no weight for {}",
            missing.join(", ")
        );
        block.error("invalid-experiment", "weights", message).hint =
            Some("give every arm a weight; `a` is this page".into());
        return None;
    }
    let weights: Vec<u32> = weights.into_iter().flatten().collect();
    let total: u32 = weights.iter().sum();
    if total != 100 {
        let message = format!("experiment weights add up to {total}, not 100");
        block.error("invalid-experiment", "weights", message).hint =
            Some("the weights are percentages of visitors; make them add up to 100".into());
        return None;
    }
    Some(weights)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn experiment(yaml: &str) -> Experiment {
        let config =
            crate::input::config::parse("title: t\nbase_url: https://t.example\n").unwrap();
        let text = format!("---\ntitle: T\n{yaml}---\n");
        let split = crate::page::front_matter::split(&text, "content/p.md").unwrap();
        let meta = crate::page::front_matter::parse(&split, "content/p.md", &config).unwrap();
        *meta.experiment.unwrap()
    }

    #[test]
    fn variants_are_sorted_and_an_even_split_leaves_the_rest_to_the_control() {
        let e = experiment("experiment:\n  id: three\n  variants:\n    c: c.md\n    b: b.md\n");
        let arms: Vec<(&str, u32)> = e.arms().collect();
        assert_eq!(arms, [("a", 34), ("b", 33), ("c", 33)]);
        assert_eq!(e.variants[0].file.value, "b.md");
        assert_eq!(e.variants[0].file.pos, Some(Pos::new(7, 8)));
        assert_eq!(e.cookie(), "fc_exp_three");

        let e = experiment(
            "experiment:\n  id: w\n  variants: { b: b.md }\n  weights: { b: 90, a: 10 }\n",
        );
        assert_eq!(e.arms().collect::<Vec<_>>(), [("a", 10), ("b", 90)]);
    }

    #[test]
    fn a_variant_takes_its_control_front_matter_key_by_key() {
        let config =
            crate::input::config::parse("title: t\nbase_url: https://t.example\n").unwrap();
        let control = "title: Control\ndescription: Same\nstage: subscribe\ncta: Go\nexperiment: { id: x, variants: { b: b.md } }\n";
        let control: crate::base::yaml::Mapping = crate::base::yaml::from_str(control).unwrap();
        let text = "---\ntitle: Variant\ncta: Go now\n---\n";
        let split = crate::page::front_matter::split(text, "content/b.md").unwrap();
        let (meta, own_keys) =
            crate::page::front_matter::parse_variant(&split, "content/b.md", &config, &control)
                .unwrap();
        assert_eq!(own_keys, ["title", "cta"]);
        assert_eq!(meta.title, "Variant");
        assert_eq!(meta.cta.as_deref(), Some("Go now"));
        assert_eq!(meta.description.as_deref(), Some("Same"));
        assert_eq!(meta.stage.as_deref(), Some("subscribe"));
        assert!(meta.experiment.is_none());
    }

    #[test]
    fn words() {
        for good in ["b", "guide-headline", "v2", "long_name"] {
            assert!(is_word(good), "{good}");
        }
        for bad in ["", "B", "-b", "b-", "a b", "b/c", "é", &"x".repeat(41)] {
            assert!(!is_word(bad), "{bad}");
        }
    }
}
