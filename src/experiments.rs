//! A/B experiments: a page's `experiment:` block, its variants, and what the
//! build makes of them.
//!
//! A page (the control, arm `a`) names one or more variant files. Each
//! variant is a page file whose front matter holds only what differs; the
//! rest comes from the control ([`crate::content`] merges them). A variant
//! is built at `/<control>/<id>/`, with a canonical link to the control and
//! `noindex`, and is left out of the journey, the sitemaps and the map's
//! columns.
//!
//! Visitors are assigned once, by weight, and kept in their arm by a
//! first-party cookie `fc_exp_<id>` holding only the arm's id. A cookie
//! rather than localStorage, because the edge adapter ([`cloudflare_files`]) reads
//! the same cookie on the server: a site can move from the page script to
//! Cloudflare and back without reshuffling its visitors.

use crate::config::Config;
use crate::content::Page;
use crate::diagnostics::{suggestion, Diagnostic, Pos};
use crate::front_matter::Located;
use crate::funnel::Funnel;
use crate::render::{encode_path, href, is_noindex, script_json};
use crate::yaml::Fields;
use serde::Serialize;
use serde_yaml::Value;

const KEYS: &[&str] = &["id", "variants", "weights"];

/// The control's arm id.
pub const CONTROL: &str = "a";

/// Where visitors are assigned (`experiments.adapter` in site.yaml).
pub const ADAPTERS: &[&str] = &["script", "cloudflare"];

/// A page's `experiment:` block, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Experiment {
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
pub struct VariantSpec {
    pub id: String,
    pub file: Located<String>,
}

/// What makes a page a variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantOf {
    /// The control's content path.
    pub control: String,
    /// The arm id (`b`).
    pub id: String,
}

impl Experiment {
    /// Arm ids with their weights, the control first.
    pub fn arms(&self) -> impl Iterator<Item = (&str, u32)> {
        std::iter::once(CONTROL)
            .chain(self.variants.iter().map(|v| v.id.as_str()))
            .zip(self.weights.iter().copied())
    }

    /// The cookie that keeps a visitor in their arm.
    pub fn cookie(&self) -> String {
        format!("fc_exp_{}", self.id)
    }
}

/// The URL path of variant `id` of the page at `control_path`.
pub fn variant_path(control_path: &str, id: &str) -> String {
    format!("{control_path}{id}/")
}

/// An id that can go in a URL segment, a cookie name and an event:
/// lowercase ASCII letters and digits, with `-` or `_` inside.
pub fn is_word(id: &str) -> bool {
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
        let mut path = vec!["experiment", "variants"];
        path.push(&id);
        let key_pos = nested.source().locate_key(&path).or(nested.pos(&id));
        let fail = |message: String, hint: &str, pos: Option<Pos>| {
            Diagnostic::error("invalid-experiment", nested.source().file, message)
                .at_pos(pos.or_else(|| block.pos("variants")))
                .with_hint(hint)
        };
        if id == CONTROL {
            let message = "variant id \"a\" is the control: the page itself".to_string();
            errors.push(fail(
                message,
                "name the variants `b`, `c` and so on",
                key_pos,
            ));
        } else if !is_word(&id) {
            let message = format!("variant id \"{id}\" is not a URL-safe word");
            errors.push(fail(message, WORD_HINT, key_pos));
        } else if let Some(file) = value.as_str().filter(|f| !f.trim().is_empty()) {
            variants.push(VariantSpec {
                id: id.clone(),
                file: Located {
                    value: file.to_string(),
                    pos: nested.pos(&id),
                },
            });
        } else {
            let message =
                format!("variant \"{id}\" must name its page file, such as `{id}: page-{id}.md`");
            errors.push(fail(
                message,
                "the path is relative to `content/`",
                nested.pos(&id),
            ));
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
    let mut weights = vec![None; sorted.len()];
    let mut ok = true;
    for (key, value) in map {
        let name = key.as_str().unwrap_or_default();
        let Some(slot) = sorted.iter().position(|a| *a == name) else {
            let message = format!(
                "weight for unknown arm \"{name}\"{}",
                suggestion(name, sorted.iter().copied())
            );
            nested.error("invalid-experiment", name, message).hint = Some(format!(
                "the arms are {} (`a` is this page)",
                sorted.join(", ")
            ));
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
    block.errors.append(&mut nested.errors);
    if !ok {
        return None;
    }
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

/// One arm as the page script and the manifest see it.
#[derive(Debug, Clone, Serialize)]
pub struct ArmContext {
    pub id: String,
    /// Root-relative href of the arm's page.
    pub url: String,
    pub weight: u32,
}

/// `page.experiment` in templates.
#[derive(Debug, Clone, Serialize)]
pub struct ExperimentContext {
    pub id: String,
    /// The arm this page is (`a` on the control).
    pub variant: String,
    pub control: bool,
    pub cookie: String,
    pub arms: Vec<ArmContext>,
    /// The data of the assignment script, as JSON that is safe inside a
    /// `<script>` element.
    pub json: String,
}

/// The experiment page `index` takes part in, as control or variant.
pub fn context(config: &Config, funnel: &Funnel, index: usize) -> Option<ExperimentContext> {
    let page = &funnel.pages[index];
    let (control, variant) = match &page.variant {
        Some(of) => (funnel.page(&of.control)?, of.id.as_str()),
        None => (&**page, CONTROL),
    };
    let experiment = control.meta.experiment.as_ref()?;
    let arms: Vec<ArmContext> = experiment
        .arms()
        .map(|(id, weight)| ArmContext {
            url: href(config, &arm_path(control, id)),
            id: id.to_string(),
            weight,
        })
        .collect();
    let json = serde_json::json!({
        "id": experiment.id,
        "variant": variant,
        "cookie": experiment.cookie(),
        "arms": arms,
    });
    Some(ExperimentContext {
        id: experiment.id.clone(),
        variant: variant.to_string(),
        control: variant == CONTROL,
        cookie: experiment.cookie(),
        arms,
        json: script_json(&json),
    })
}

fn arm_path(control: &Page, id: &str) -> String {
    if id == CONTROL {
        control.path.clone()
    } else {
        variant_path(&control.path, id)
    }
}

/// `OUT/experiments.json`: every experiment with its arms, for analytics
/// pipelines that join results to pages.
pub fn manifest(config: &Config, funnel: &Funnel) -> String {
    let experiments: Vec<serde_json::Value> = funnel
        .pages
        .iter()
        .filter_map(|page| Some((page, page.meta.experiment.as_ref()?)))
        .map(|(page, experiment)| {
            let variants: Vec<serde_json::Value> = experiment
                .variants
                .iter()
                .zip(experiment.weights.iter().skip(1))
                .map(|(variant, weight)| {
                    let source = funnel
                        .page(&variant.file.value)
                        .map_or_else(String::new, |p| p.file.clone());
                    serde_json::json!({
                        "id": variant.id,
                        "url": href(config, &variant_path(&page.path, &variant.id)),
                        "source": source,
                        "weight": weight,
                    })
                })
                .collect();
            serde_json::json!({
                "id": experiment.id,
                "cookie": experiment.cookie(),
                "control": {
                    "id": CONTROL,
                    "url": href(config, &page.path),
                    "source": page.file,
                    "weight": experiment.weights[0],
                },
                "variants": variants,
            })
        })
        .collect();
    let manifest = serde_json::json!({
        "assignment": config.experiments_adapter,
        "experiments": experiments,
    });
    let mut text = serde_json::to_string_pretty(&manifest).unwrap_or_default();
    text.push('\n');
    text
}

/// The Cloudflare Pages adapter (`experiments.adapter: cloudflare`):
/// `_worker.js` and `_routes.json` for the output folder, or nothing when
/// no page runs an experiment.
///
/// The worker runs only on the controls' URLs (`_routes.json`), so every
/// other file is served by Pages as it is, `_headers` included. It assigns
/// a visitor by weight, sets the same cookie as the page script, and serves
/// the arm's page at the control's URL, with the control's indexing: no
/// redirect at all. Crawlers and `?variant=` previews are handled as the
/// page script does; the page script stays in the pages as the fallback
/// when the worker does not run. `assets` lists the output files that are
/// not pages (styles, static files), for the widest `_routes.json`.
///
/// Pages reads `functions/` from the project's root, not from the build
/// output, so generated middleware there would never deploy; a `_worker.js`
/// in the output folder (Pages' "advanced mode") is the supported way for
/// a build to ship code.
pub fn cloudflare_files(
    config: &Config,
    funnel: &Funnel,
    assets: &[&str],
) -> Vec<(String, String)> {
    let mut table = serde_json::Map::new();
    let mut controls = Vec::new();
    for page in funnel.pages.iter() {
        let Some(experiment) = &page.meta.experiment else {
            continue;
        };
        let url = href(config, &page.path);
        let arms: Vec<serde_json::Value> = experiment
            .arms()
            .map(|(id, weight)| {
                serde_json::json!({
                    "id": id,
                    "path": href(config, &arm_path(page, id)),
                    "weight": weight,
                })
            })
            .collect();
        let entry = serde_json::json!({
            "cookie": experiment.cookie(),
            "noindex": is_noindex(page),
            "arms": arms,
        });
        table.insert(url.clone(), entry);
        controls.push(url);
    }
    if table.is_empty() {
        return Vec::new();
    }
    let routes = routes(config.base_path(), &controls, assets);
    let mut routes = serde_json::to_string_pretty(&routes).unwrap_or_default();
    routes.push('\n');
    let table = serde_json::to_string_pretty(&serde_json::Value::Object(table)).unwrap_or_default();
    let worker = WORKER
        .replace("__EXPERIMENTS__", &table)
        .replace("__CRAWLERS__", CRAWLERS);
    vec![
        ("_worker.js".into(), worker),
        ("_routes.json".into(), routes),
    ]
}

/// Cloudflare's limits on `_routes.json`: past them it refuses the deploy
/// (and `wrangler pages dev` refuses to start).
const MAX_RULES: usize = 100;
const MAX_RULE_LENGTH: usize = 100;

/// `_routes.json` for the controls at `controls` (encoded URL paths ending
/// in `/`): each control's URL with and without its slash; a URL too long
/// for a rule as a shorter prefix with a wildcard; and past the rule limit,
/// every path but the assets. The worker passes any request that is not a
/// control's on to the files, so a wider rule costs invocations, not
/// correctness.
fn routes(base: &str, controls: &[String], assets: &[&str]) -> serde_json::Value {
    let mut include = Vec::new();
    for url in controls {
        let bare = url.trim_end_matches('/');
        for rule in [bare, url.as_str()].into_iter().filter(|r| !r.is_empty()) {
            include.push(if rule.len() <= MAX_RULE_LENGTH {
                rule.to_string()
            } else {
                wildcard(bare)
            });
        }
    }
    let mut include = consolidate(include);
    let mut exclude = Vec::new();
    if include.len() > MAX_RULES {
        include = vec![wildcard(&format!("{base}/"))];
        exclude = asset_rules(base, controls, assets);
    }
    serde_json::json!({ "version": 1, "include": include, "exclude": exclude })
}

/// A rule for every path that starts with `stem`, or with as much of it as
/// a rule can hold: it may match more paths, never fewer.
fn wildcard(stem: &str) -> String {
    format!("{}*", prefix(stem, MAX_RULE_LENGTH - 1))
}

/// The longest start of `path` of at most `max` characters that does not
/// cut a `%XX` escape in two.
fn prefix(path: &str, max: usize) -> &str {
    let mut end = max.min(path.len());
    if let Some(cut) = path[..end].rfind('%').filter(|at| at + 3 > end) {
        end = cut;
    }
    &path[..end]
}

/// Sorted rules without duplicates and without a rule that a wildcard rule
/// already covers: Cloudflare refuses overlapping rules.
fn consolidate(mut rules: Vec<String>) -> Vec<String> {
    rules.sort();
    rules.dedup();
    let stems: Vec<String> = rules
        .iter()
        .filter_map(|r| r.strip_suffix('*'))
        .map(String::from)
        .collect();
    rules.retain(|rule| {
        !stems
            .iter()
            .any(|stem| rule.starts_with(stem.as_str()) && *rule != format!("{stem}*"))
    });
    rules
}

/// Exclude rules for the top-level asset files and folders (styles, a
/// theme's and the site's static files) that hold no control, within the
/// rule limits.
fn asset_rules(base: &str, controls: &[String], assets: &[&str]) -> Vec<String> {
    let mut rules: Vec<String> = assets
        .iter()
        .map(|path| match path.split_once('/') {
            Some((folder, _)) => format!("{base}/{}/*", encode_path(folder)),
            None => format!("{base}/{}", encode_path(path)),
        })
        .filter(|rule| {
            let stem = rule.trim_end_matches('*');
            rule.len() <= MAX_RULE_LENGTH && !controls.iter().any(|c| c.starts_with(stem))
        })
        .collect();
    rules.sort();
    rules.dedup();
    rules.truncate(MAX_RULES - 1);
    rules
}

/// Search engines, their inspection and shopping tools, and the link
/// previews of messengers and social networks: they get the control, as a
/// JavaScript pattern shared by the worker and the page script
/// (`_experiment.html`). In-app browsers (`Twitter for iPhone`,
/// `LinkedInApp`, `Telegram-Android`) are people and are not matched.
pub const CRAWLERS: &str = r"/bot|crawl|spider|slurp|google-inspectiontool|googleother|storebot-google|google-read-aloud|mediapartners-google|adsbot|apis-google|feedfetcher|facebookexternalhit|facebookcatalog|meta-externalagent|^whatsapp\/|slack-imgproxy|embedly|iframely|preview|vkshare|pinterest\/|^mastodon\/|cardyb|lighthouse/i";

const WORKER: &str = r#"// funnelcake: A/B assignment at the edge, for Cloudflare Pages.
// Generated by `funnelcake build` (experiments.adapter: cloudflare); do not edit.
const EXPERIMENTS = __EXPERIMENTS__;
const CRAWLERS = __CRAWLERS__;
const MAX_AGE = 7776000;

function pick(arms) {
  let r = Math.random() * 100;
  for (const arm of arms) {
    r -= arm.weight;
    if (r < 0) return arm;
  }
  return arms[0];
}

// Any arm's page, served at the control's URL, carries the control's
// indexing: a variant is noindex on its own URL only (its canonical names
// the control already), so search engines never see the control's URL as
// noindex, whichever arm they get.
function asControl(asset, experiment) {
  const response = new Response(asset.body, asset);
  if (experiment.noindex) {
    response.headers.set("X-Robots-Tag", "noindex");
  } else {
    response.headers.delete("X-Robots-Tag");
  }
  response.headers.set("Cache-Control", "private, no-store");
  response.headers.append("Vary", "Cookie");
  if (!(response.headers.get("Content-Type") || "").startsWith("text/html")) {
    return response;
  }
  return new HTMLRewriter()
    .on('meta[name="robots"]', {
      element(meta) {
        if (experiment.noindex) {
          meta.setAttribute("content", "noindex");
        } else {
          meta.remove();
        }
      },
    })
    .transform(response);
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    // Only a control's own URL, with its slash: `/guide` is left to Pages,
    // which redirects it to `/guide/` as it does for every page.
    const experiment = EXPERIMENTS[url.pathname];
    if (!experiment || (request.method !== "GET" && request.method !== "HEAD")) {
      return env.ASSETS.fetch(request);
    }
    const { arms, cookie } = experiment;
    const find = (id) => arms.find((arm) => arm.id === id);
    const jar = request.headers.get("Cookie") || "";
    const kept = jar.split(/;\s*/).find((c) => c.startsWith(cookie + "="));
    let arm = find(url.searchParams.get("variant"));
    let assigned = false;
    if (!arm) {
      if (CRAWLERS.test(request.headers.get("User-Agent") || "")) {
        arm = arms[0];
      } else {
        arm = kept && find(kept.slice(cookie.length + 1));
        if (!arm || !arm.weight) {
          arm = pick(arms);
          assigned = true;
        }
      }
    }
    const target = new URL(arm.path + url.search, url);
    const asset = await env.ASSETS.fetch(new Request(target, request));
    const response = asControl(asset, experiment);
    if (assigned) {
      response.headers.append(
        "Set-Cookie",
        `${cookie}=${arm.id}; Max-Age=${MAX_AGE}; Path=/; SameSite=Lax; Secure`,
      );
    }
    return response;
  },
};
"#;

/// Whether any page runs an experiment.
pub fn any(funnel: &Funnel) -> bool {
    funnel.pages.iter().any(|p| p.meta.experiment.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn experiment(yaml: &str) -> Experiment {
        let config = crate::config::parse("title: t\nbase_url: https://t.example\n").unwrap();
        let text = format!("---\ntitle: T\n{yaml}---\n");
        let split = crate::front_matter::split(&text, "content/p.md").unwrap();
        let meta = crate::front_matter::parse(&split, "content/p.md", &config).unwrap();
        meta.experiment.unwrap()
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
        let config = crate::config::parse("title: t\nbase_url: https://t.example\n").unwrap();
        let control = "title: Control\ndescription: Same\nstage: subscribe\ncta: Go\nexperiment: { id: x, variants: { b: b.md } }\n";
        let control: serde_yaml::Mapping = serde_yaml::from_str(control).unwrap();
        let text = "---\ntitle: Variant\ncta: Go now\n---\n";
        let split = crate::front_matter::split(text, "content/b.md").unwrap();
        let meta =
            crate::front_matter::parse_variant(&split, "content/b.md", &config, &control).unwrap();
        assert_eq!(meta.title, "Variant");
        assert_eq!(meta.cta.as_deref(), Some("Go now"));
        assert_eq!(meta.description.as_deref(), Some("Same"));
        assert_eq!(meta.stage.as_deref(), Some("subscribe"));
        assert!(meta.experiment.is_none());
    }

    #[test]
    fn the_page_script_knows_the_same_crawlers_as_the_worker() {
        let script = include_str!("../themes/starter/templates/_experiment.html");
        assert!(script.contains(&format!("if({CRAWLERS}.test(navigator.userAgent))")));
        assert!(WORKER.contains("const CRAWLERS = __CRAWLERS__;"));
    }

    #[test]
    fn long_control_urls_become_prefix_rules_within_cloudflare_limits() {
        let persian = crate::render::encode_path("/راهنمای-رایگان-دم-کردن-چای-بهاره-در-خانه/");
        assert!(persian.len() > 150);
        let controls = vec![persian.clone(), "/guide/".to_string()];
        let routes = routes("", &controls, &[]);
        let include: Vec<&str> = routes["include"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        assert_eq!(include.len(), 3, "{include:?}");
        assert_eq!(&include[1..], ["/guide", "/guide/"]);
        let long = include[0];
        assert_eq!(long.len(), 98, "{long}");
        assert!(long.ends_with("-%DA*"), "a cut before an escape: {long}");
        assert!(persian.starts_with(long.trim_end_matches('*')));
        assert_eq!(routes["exclude"], serde_json::json!([]));
        // A cut never splits an escape.
        assert_eq!(prefix("/a%D8%B1", 4), "/a");
        assert_eq!(prefix("/a%D8%B1", 5), "/a%D8");
        assert_eq!(prefix("/ab", 99), "/ab");
    }

    #[test]
    fn past_a_hundred_rules_every_path_but_the_assets_runs_the_worker() {
        let controls: Vec<String> = (0..60).map(|i| format!("/shop/p{i}/")).collect();
        let assets = [
            "css/main.1a2b3c4d.css",
            "favicon.svg",
            "p1/photo.jpg",
            "img/a b.png",
        ];
        let routes = routes("/shop", &controls, &assets);
        assert_eq!(
            routes,
            serde_json::json!({
                "version": 1,
                "include": ["/shop/*"],
                "exclude": ["/shop/css/*", "/shop/favicon.svg", "/shop/img/*"]
            })
        );
        // Wildcard rules swallow the rules they cover (Cloudflare refuses
        // overlapping rules).
        let rules = ["/a/", "/a*", "/ab", "/b/*", "/b/c/", "/b/*"].map(String::from);
        assert_eq!(consolidate(rules.to_vec()), ["/a*", "/b/*"]);
    }

    #[test]
    fn a_base_path_too_long_for_a_rule_still_gets_a_valid_one() {
        let base = format!("/{}", "x".repeat(120));
        let controls: Vec<String> = (0..101).map(|i| format!("{base}/p{i}/")).collect();
        let routes = routes(&base, &controls, &["css/main.css"]);
        assert_eq!(
            routes["include"],
            serde_json::json!([format!("{}*", &base[..99])])
        );
        assert_eq!(routes["exclude"], serde_json::json!([]));
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
