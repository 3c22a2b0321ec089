//! `sitemap.xml`, the per-stage sitemaps and `robots.txt`.
//!
//! `sitemap.xml` is a sitemap index linking `sitemaps/STAGE.xml` for each
//! stage with indexable pages and `sitemaps/pages.xml` for support pages
//! (no stage), so search consoles report indexing per journey stage. Only
//! indexable pages appear: no drafts, no thank-you or noindex pages, no
//! A/B variants.

use crate::base::html::escape_xml;
use crate::input::config::Config;
use crate::page::content::Page;
use crate::render::OutputFile;
use std::fmt::Write;
use std::sync::Arc;

const SUPPORT: &str = "pages";

/// The sitemap index, one sitemap per stage plus support pages, and robots.txt.
pub(crate) fn build(config: &Config, pages: &[Arc<Page>]) -> Vec<OutputFile> {
    let indexable: Vec<&Page> = pages
        .iter()
        .map(|p| &**p)
        .filter(|p| !p.is_noindex() && !p.meta.draft && p.variant.is_none())
        .collect();
    let mut groups: Vec<(&str, Vec<&Page>)> = config
        .journey
        .iter()
        .map(|s| {
            (
                s.id.as_str(),
                indexable
                    .iter()
                    .copied()
                    .filter(|p| p.meta.stage.as_deref() == Some(s.id.as_str()))
                    .collect(),
            )
        })
        .collect();
    groups.push((
        SUPPORT,
        indexable
            .iter()
            .copied()
            .filter(|p| p.meta.stage.is_none())
            .collect(),
    ));
    groups.retain(|(_, pages)| !pages.is_empty());

    let mut files: Vec<OutputFile> = groups
        .iter()
        .map(|(name, pages)| OutputFile {
            path: format!("sitemaps/{name}.xml"),
            bytes: urlset(config, pages).into_bytes(),
        })
        .collect();
    files.push(OutputFile {
        path: "sitemap.xml".into(),
        bytes: index(config, &groups).into_bytes(),
    });
    files.push(OutputFile {
        path: "robots.txt".into(),
        bytes: robots(config).into_bytes(),
    });
    files
}

fn urlset(config: &Config, pages: &[&Page]) -> String {
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for page in pages {
        let _ = write!(
            xml,
            "  <url>\n    <loc>{}</loc>\n",
            escape_xml(&config.permalink(&page.path))
        );
        if let Some(date) = &page.meta.date {
            let _ = writeln!(xml, "    <lastmod>{}</lastmod>", escape_xml(date));
        }
        xml.push_str("  </url>\n");
    }
    xml.push_str("</urlset>\n");
    xml
}

fn index(config: &Config, groups: &[(&str, Vec<&Page>)]) -> String {
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for (name, pages) in groups {
        let _ = write!(
            xml,
            "  <sitemap>\n    <loc>{}/sitemaps/{name}.xml</loc>\n",
            escape_xml(&config.base_url)
        );
        // The newest page date of the group; ISO dates compare as text.
        if let Some(date) = pages.iter().filter_map(|p| p.meta.date.as_deref()).max() {
            let _ = writeln!(xml, "    <lastmod>{}</lastmod>", escape_xml(date));
        }
        xml.push_str("  </sitemap>\n");
    }
    xml.push_str("</sitemapindex>\n");
    xml
}

fn robots(config: &Config) -> String {
    format!(
        "User-agent: *\nAllow: /\n\nSitemap: {}/sitemap.xml\n",
        config.base_url
    )
}
