//! What the build makes of A/B experiments (the `experiment:` block itself
//! is read in [`crate::page::experiment`]). A variant
//! is built at `/<control>/<id>/`, with a canonical link to the control and
//! `noindex`, and is left out of the journey, the sitemaps and the map's
//! columns.
//!
//! Visitors are assigned once, by weight, and kept in their arm by a
//! first-party cookie `fc_exp_<id>` holding only the arm's id. A cookie
//! rather than localStorage, because the edge adapter ([`cloudflare_files`]) reads
//! the same cookie on the server: a site can move from the page script to
//! Cloudflare and back without reshuffling its visitors.

use crate::base::html::script_json;
use crate::base::url::encode_path;
use crate::base::yaml::Choice;
use crate::funnel::Funnel;
use crate::input::config::Config;
use crate::page::content::Page;
use crate::page::experiment::{variant_path, CONTROL};
use serde::Serialize;

/// One arm as the page script and the manifest see it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ArmContext {
    pub id: String,
    /// Root-relative href of the arm's page.
    pub url: String,
    pub weight: u32,
}

/// `page.experiment` in templates.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ExperimentContext {
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
pub(crate) fn context(config: &Config, funnel: &Funnel, index: usize) -> Option<ExperimentContext> {
    let page = &funnel.pages[index];
    let (control, variant) = match &page.variant {
        Some(of) => (funnel.page(&of.control)?, of.id.as_str()),
        None => (&**page, CONTROL),
    };
    let experiment = control.meta.experiment.as_ref()?;
    let arms: Vec<ArmContext> = experiment
        .arms()
        .map(|(id, weight)| ArmContext {
            url: config.href(&arm_path(control, id)),
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
pub(crate) fn manifest(config: &Config, funnel: &Funnel) -> String {
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
                        "url": config.href(&variant_path(&page.path, &variant.id)),
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
                    "url": config.href(&page.path),
                    "source": page.file,
                    "weight": experiment.weights[0],
                },
                "variants": variants,
            })
        })
        .collect();
    let manifest = serde_json::json!({
        "assignment": config.experiments_adapter.name(),
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
pub(crate) fn cloudflare_files(
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
        let url = config.href(&page.path);
        let arms: Vec<serde_json::Value> = experiment
            .arms()
            .map(|(id, weight)| {
                serde_json::json!({
                    "id": id,
                    "path": config.href(&arm_path(page, id)),
                    "weight": weight,
                })
            })
            .collect();
        let entry = serde_json::json!({
            "cookie": experiment.cookie(),
            "noindex": page.is_noindex(),
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
pub(crate) const CRAWLERS: &str = r"/bot|crawl|spider|slurp|google-inspectiontool|googleother|storebot-google|google-read-aloud|mediapartners-google|adsbot|apis-google|feedfetcher|facebookexternalhit|facebookcatalog|meta-externalagent|^whatsapp\/|slack-imgproxy|embedly|iframely|preview|vkshare|pinterest\/|^mastodon\/|cardyb|lighthouse/i";

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_script_knows_the_same_crawlers_as_the_worker() {
        let script = include_str!("../../themes/starter/templates/_experiment.html");
        assert!(script.contains(&format!("if({CRAWLERS}.test(navigator.userAgent))")));
        assert!(WORKER.contains("const CRAWLERS = __CRAWLERS__;"));
    }

    #[test]
    fn long_control_urls_become_prefix_rules_within_cloudflare_limits() {
        let persian = crate::base::url::encode_path("/راهنمای-رایگان-دم-کردن-چای-بهاره-در-خانه/");
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
}
