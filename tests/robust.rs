//! Hostile input: whatever a site's files hold, funnelcake answers with
//! errors at a file, line and column, in time and memory proportional to
//! the input, and never panics.

mod support;

use funnelcake::BuildOptions;
use std::path::Path;
use support::{copy_fixture, edit_file};

/// The errors `check` reports for `site`, as text.
fn errors(site: &Path) -> Vec<String> {
    let diagnostics = funnelcake::check(&BuildOptions::new(site));
    diagnostics.errors().map(|d| d.to_string()).collect()
}

fn write(site: &Path, file: &str, text: &str) {
    let path = site.join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn keys_that_are_not_text_are_errors_in_every_yaml_file() {
    let cases = [
        (
            "data/odd.yaml",
            "one: 1\nodd:\n  1.5: x\n",
            "data/odd.yaml:3:3: keys must be text, found the number 1.5",
        ),
        (
            "i18n/en.yaml",
            "skip_link: Skip\n~: nothing\n",
            "i18n/en.yaml:2:1: keys must be text, found nothing (`~` or `null`)",
        ),
        (
            "data/list.yaml",
            "items:\n  - ? [a, b]\n    : c\n",
            "data/list.yaml:2:7: keys must be text, found a list",
        ),
    ];
    for (file, text, expected) in cases {
        let (_dir, site) = copy_fixture("components");
        write(&site, file, text);
        assert_eq!(
            errors(&site),
            [format!(
                "error: {expected}\n  = help: quote the key, for example `\"1.5\": value`"
            )]
        );
    }
    let (_dir, site) = copy_fixture("components");
    edit_file(&site.join("site.yaml"), |t| t + "extra:\n  true: yes\n");
    assert_eq!(
        errors(&site)[0].lines().next().unwrap(),
        "error: site.yaml:8:3: keys must be text, found `true`"
    );
    let (_dir, site) = copy_fixture("components");
    edit_file(&site.join("content/next.md"), |t| {
        t.replacen("---\n", "---\nextra: { null: 1 }\n", 1)
    });
    assert_eq!(
        errors(&site)[0].lines().next().unwrap(),
        "error: content/next.md:2:10: keys must be text, found nothing (`~` or `null`)"
    );
}

#[test]
fn nesting_and_aliases_are_bounded_with_errors_at_their_line() {
    let (_dir, site) = copy_fixture("components");
    edit_file(&site.join("content/next.md"), |t| {
        format!("{t}\n> > quoted\n\n{}\n", ">".repeat(5_000_000))
    });
    let found = errors(&site);
    assert!(found[0].starts_with("error: content/next.md:"), "{found:?}");
    assert!(
        found[0].contains(": block quotes and lists nested more than 100 levels deep"),
        "{found:?}"
    );

    let (_dir, site) = copy_fixture("components");
    edit_file(&site.join("content/next.md"), |t| {
        t.replacen(
            "---\n",
            &format!("---\nextra:\n  x: {}\n", "[".repeat(100_000)),
            1,
        )
    });
    assert_eq!(
        errors(&site)[0].lines().next().unwrap(),
        "error: content/next.md:3:106: YAML nested more than 100 levels deep"
    );

    let (_dir, site) = copy_fixture("components");
    let mut laughs = format!("a: &a [\"{}\"]\n", "x".repeat(10_000));
    for (name, previous) in [
        ("b", "a"),
        ("c", "b"),
        ("d", "c"),
        ("e", "d"),
        ("f", "e"),
        ("g", "f"),
    ] {
        laughs.push_str(&format!(
            "{name}: &{name} [{}]\n",
            vec![format!("*{previous}"); 10].join(", ")
        ));
    }
    write(&site, "data/laughs.yaml", &laughs);
    let found = errors(&site);
    assert!(
        found[0].starts_with("error: data/laughs.yaml:"),
        "{found:?}"
    );
    assert!(
        found[0].contains("YAML aliases (`*name`) expand to far more than the file holds"),
        "{found:?}"
    );
}

#[test]
fn a_theme_colour_is_checked_where_site_yaml_sets_it() {
    let (_dir, site) = copy_fixture("components");
    edit_file(&site.join("site.yaml"), |t| {
        t + "theme_options:\n  accent: \"12px; color: red\"\n  accent_ink: \"#fff\"\n"
    });
    assert_eq!(
        errors(&site),
        ["error: site.yaml:8:11: theme option `accent` must be a colour such as \"#1f5f99\", found \"12px; color: red\"\n  = help: write a CSS colour: `#rrggbb`, `#rgb`, a name like `teal`, or `rgb(31 95 153)`"]
    );
    let (_dir, site) = copy_fixture("components");
    edit_file(&site.join("site.yaml"), |t| {
        t + "theme: launch\ntheme_options: { hero: [1], accent: \"rgb(255 92 53)\" }\n"
    });
    // At the option's value inside the flow mapping.
    assert_eq!(errors(&site)[0].lines().next().unwrap(), "error: site.yaml:8:24: theme option `hero` must be a colour such as \"#1f5f99\", found a list");
}

#[test]
fn urls_that_run_code_are_errors_at_their_argument() {
    let (_dir, site) = copy_fixture("components");
    edit_file(&site.join("content/next.md"), |t| {
        t + "\n{{<cta to=\" JavaScript:alert(1)\" label=\"Go\" />}}\n\n{{<video url=\"https://youtu.be/abc\" title=\"V\" poster=\"data:image/svg+xml,x\" />}}\n\n{{<testimonial quote=\"Q\" name=\"N\" photo=\"vb\tscript:x\" />}}\n\n{{<countdown until=\"31/01/2027\" />}}\n\n{{<cta to=\"https://ok.example/javascript:\" label=\"Fine\" />}}\n"
    });
    let found: Vec<String> = errors(&site)
        .iter()
        .map(|e| e.split(": ").skip(1).collect::<Vec<_>>().join(": "))
        .collect();
    let lines = std::fs::read_to_string(site.join("content/next.md"))
        .unwrap()
        .lines()
        .count();
    let at = |back: usize| format!("content/next.md:{}", lines - back);
    assert_eq!(
        found,
        [
            format!("{}:8: `to` of `cta` is a javascript: URL; links and images must be web addresses or paths", at(8)),
            format!("{}:47: `poster` of `video` is a data: URL; links and images must be web addresses or paths", at(6)),
            format!("{}:35: `photo` of `testimonial` is a vbscript: URL; links and images must be web addresses or paths", at(4)),
            format!("{}:14: `until` of `countdown` must be a date such as `2026-12-01` or `2026-12-01T00:00:00Z`, not \"31/01/2027\"", at(2)),
        ]
    );
    let (_dir, site) = copy_fixture("components");
    edit_file(&site.join("site.yaml"), |t| {
        t + "extra:\n  footer_links:\n    - { title: Imprint, url: /imprint/ }\n    - { title: Hi, url: \"javascript:alert(1)\" }\n"
    });
    assert_eq!(
        errors(&site),
        ["error: site.yaml:8:3: footer link \"javascript:alert(1)\" is a javascript: URL\n  = help: footer links must be web addresses or paths"]
    );
}
