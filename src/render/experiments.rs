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
/// the arm's page at the control's URL: no redirect at all. Crawlers and
/// `?variant=` previews are handled as the page script does; the page
/// script stays in the pages as the fallback when the worker does not run.
///
/// Pages reads `functions/` from the project's root, not from the build
/// output, so generated middleware there would never deploy; a `_worker.js`
/// in the output folder (Pages' "advanced mode") is the supported way for
/// a build to ship code.
pub(crate) fn cloudflare_files(config: &Config, funnel: &Funnel) -> Vec<(String, String)> {
    let mut table = serde_json::Map::new();
    let mut routes = Vec::new();
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
        table.insert(
            url.clone(),
            serde_json::json!({ "cookie": experiment.cookie(), "arms": arms }),
        );
        routes.push(serde_json::Value::String(
            url.trim_end_matches('/').to_string(),
        ));
        routes.push(serde_json::Value::String(url));
    }
    if table.is_empty() {
        return Vec::new();
    }
    routes.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    routes.dedup();
    routes.retain(|r| r.as_str().is_some_and(|r| !r.is_empty()));
    let routes = serde_json::json!({ "version": 1, "include": routes, "exclude": [] });
    let mut routes = serde_json::to_string_pretty(&routes).unwrap_or_default();
    routes.push('\n');
    let table = serde_json::to_string_pretty(&serde_json::Value::Object(table)).unwrap_or_default();
    let worker = WORKER.replace("__EXPERIMENTS__", &table);
    vec![
        ("_worker.js".into(), worker),
        ("_routes.json".into(), routes),
    ]
}

const WORKER: &str = r#"// funnelcake: A/B assignment at the edge, for Cloudflare Pages.
// Generated by `funnelcake build` (experiments.adapter: cloudflare); do not edit.
const EXPERIMENTS = __EXPERIMENTS__;
const BOTS = /bot|crawl|spider|slurp|facebookexternalhit|embedly|preview|lighthouse/i;
const MAX_AGE = 7776000;

function pick(arms) {
  let r = Math.random() * 100;
  for (const arm of arms) {
    r -= arm.weight;
    if (r < 0) return arm;
  }
  return arms[0];
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const path = url.pathname.endsWith("/") ? url.pathname : url.pathname + "/";
    const experiment = EXPERIMENTS[path];
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
      if (BOTS.test(request.headers.get("User-Agent") || "")) {
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
    const response = new Response(asset.body, asset);
    response.headers.set("Cache-Control", "private, no-store");
    response.headers.append("Vary", "Cookie");
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
