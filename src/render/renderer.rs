//! Pages through the theme's Tera templates.
//!
//! [`Renderer::new`] loads every template of the theme (site overrides
//! included) and puts what all pages share into Tera's global context, once:
//! `site`, `journey`, `data` and `css`. Component calls are checked against
//! the theme's declarations before anything renders. Template errors, at
//! load or while rendering, are reported at the template's own file, line
//! and column.

use crate::base::diagnostics::Pos;
use crate::base::diagnostics::{suggestion, Diagnostic, Diagnostics};
use crate::base::yaml::Value;
use crate::funnel::Funnel;
use crate::input::i18n::Strings;
use crate::input::theme::Theme;
use crate::page::components::{self, ArgValue, Call};
use crate::page::content::Page;
use crate::page::markdown;
use crate::render::cards;
use crate::render::context::{PageContext, SiteContext, StageContext};
use crate::render::images::markup::{self, Placement};
use crate::render::images::Images;
use crate::render::map::MapContext;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tera::{Context, ErrorKind, Kwargs, State, Tera};

/// The template of the funnel map page; a theme without it gets a
/// built-in standalone one (see `input::theme`).
pub(crate) const MAP_TEMPLATE: &str = "funnel.html";

/// The `image(path, alt, sizes, class, priority)` function: the
/// `<picture>` of an image from `static/` (the site's or the theme's), as
/// a Markdown image gets it; or of a component's image argument, whose
/// value is already the URL of its processed file.
fn image_function(
    theme: &Theme,
    images: Arc<Images>,
    base_path: &str,
) -> impl Fn(Kwargs, &State) -> tera::TeraResult<tera::Value> + Send + Sync + 'static {
    let files: HashMap<String, Vec<u8>> = theme
        .layer("static")
        .map(|(path, file)| (path.to_string(), file.bytes.to_vec()))
        .collect();
    let base_path = base_path.to_string();
    move |args: Kwargs, _: &State| {
        let path: &str = args.must_get("path")?;
        let alt: &str = args.get("alt")?.unwrap_or("");
        let place = Placement {
            alt,
            sizes: args.get("sizes")?,
            class: args.get("class")?,
            priority: args.get("priority")?.unwrap_or(false),
        };
        let processed = match path
            .strip_prefix(base_path.as_str())
            .and_then(|p| images.at(p))
        {
            Some(processed) => processed,
            None => static_image(&images, &files, path)?,
        };
        let href = |p: &str| crate::base::url::href(&base_path, p);
        Ok(tera::Value::safe_string(&markup::picture(
            &processed, &href, &place,
        )))
    }
}

/// The processed image of `path`, a file of `static/` written from the
/// site's root.
fn static_image(
    images: &Images,
    files: &HashMap<String, Vec<u8>>,
    path: &str,
) -> tera::TeraResult<Arc<crate::render::images::Processed>> {
    let bytes = (path.strip_prefix('/'))
        .and_then(|key| files.get(key))
        .ok_or_else(|| {
            tera::Error::message(format!(
                "image \"{path}\" is not a file of static/ (write it from the site's root, such as `/images/logo.png`)"
            ))
        })?;
    let stem = path.rsplit('/').next().unwrap_or(path);
    let stem = stem.rsplit_once('.').map_or(stem, |(stem, _)| stem);
    images.get(stem, bytes.clone()).map_err(|reason| {
        tera::Error::message(format!("image \"{path}\" cannot be used: {reason}"))
    })
}

/// Turns an image argument (its value and position) into the URL of the
/// processed file; `None` leaves a web address as it is.
pub(crate) type ImageArg<'a> = dyn Fn(&str, Pos) -> Result<Option<String>, Diagnostic> + 'a;

/// Component arguments that name an image, processed like a Markdown image.
pub(crate) const IMAGE_ARGS: &[&str] = &["photo", "poster", "logo"];

/// The theme's templates, ready to render pages.
pub(crate) struct Renderer {
    tera: Tera,
    strings: Arc<Strings>,
    /// Template name to the file it came from, for error messages.
    origins: HashMap<String, String>,
}

/// `theme` in templates.
#[derive(Debug, Serialize)]
pub(crate) struct ThemeContext<'a> {
    pub name: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    /// `theme.yaml` options with the site's `theme_options` over them.
    pub options: &'a Value,
}

/// What every page shares, put once into Tera's global context.
pub(crate) struct Globals<'a> {
    pub site: SiteContext<'a>,
    pub strings: Strings,
    pub journey: Vec<StageContext>,
    pub data: &'a Value,
    pub css: &'a BTreeMap<String, String>,
    /// Only when rendering for the dev server: see [`crate::render::context::DevContext`].
    pub dev: Option<crate::render::context::DevContext>,
    /// The build's images, for the `image()` function.
    pub images: Arc<Images>,
}

impl Renderer {
    pub(crate) fn new(theme: &Theme, globals: &Globals) -> Result<Renderer, Diagnostics> {
        let templates = template_texts(theme)?;
        let origins: HashMap<String, String> = theme
            .layer("templates")
            .map(|(name, file)| (name.to_string(), file.origin.clone()))
            .collect();
        let mut tera = Tera::new();
        let strings = Arc::new(globals.strings.clone());
        register_filters(&mut tera, &strings);
        // A social card is XML: text in it is escaped like in a page.
        tera.autoescape_on([".html", ".htm", ".xml", ".svg"]);
        tera.register_function(
            "image",
            image_function(theme, Arc::clone(&globals.images), globals.site.base_path),
        );
        if let Err(first) = tera.add_raw_templates(templates.iter().map(|(n, t)| (*n, t.as_str())))
        {
            return Err(all_template_errors(&templates, first, &origins));
        }
        insert_globals(&mut tera, theme, globals, &strings);
        Ok(Renderer {
            tera,
            strings,
            origins,
        })
    }

    /// The UI strings of the site's language.
    pub(crate) fn strings(&self) -> &Strings {
        &self.strings
    }

    pub(crate) fn has_template(&self, name: &str) -> bool {
        self.tera.contains_template(name)
    }

    /// Template names usable as a `layout` (top-level `.html` files, no extension).
    pub(crate) fn layouts(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .tera
            .get_template_names()
            .filter(|n| !n.contains('/') && n.ends_with(".html") && !n.starts_with('_'))
            .map(|n| n.trim_end_matches(".html"))
            .filter(|n| !matches!(*n, "base" | "404" | "funnel"))
            .collect();
        names.sort_unstable();
        names
    }

    /// Renders `template` with `page`; `file` is the page's source, for messages.
    pub(crate) fn render(
        &self,
        template: &str,
        page: &PageContext,
        file: &str,
    ) -> Result<String, Diagnostic> {
        let mut context = Context::new();
        context.insert("page", page);
        self.tera
            .render(template, &context)
            .map_err(|e| self.error(&e, file))
    }

    /// Renders the theme's social card template (`social.svg`) for `page`.
    pub(crate) fn render_card(&self, page: &PageContext) -> Result<String, Diagnostic> {
        let mut context = Context::new();
        context.insert("page", page);
        self.tera
            .render(cards::TEMPLATE, &context)
            .map_err(|e| self.error(&e, page.source))
    }

    /// The file a template came from, for messages.
    pub(crate) fn origin(&self, name: &str) -> String {
        (self.origins.get(name).cloned()).unwrap_or_else(|| format!("templates/{name}"))
    }

    /// Renders the funnel map page: `funnel.html` with `page` and `map`.
    pub(crate) fn render_map(
        &self,
        page: &PageContext,
        map: &MapContext,
        icon: Option<&str>,
    ) -> Result<String, Diagnostic> {
        let mut context = Context::new();
        context.insert("page", page);
        context.insert("map", map);
        context.insert("icon", &icon);
        self.tera
            .render(MAP_TEMPLATE, &context)
            .map_err(|e| self.error(&e, page.source))
    }

    fn error(&self, error: &tera::Error, file: &str) -> Diagnostic {
        let mut diagnostic = template_error(error, &self.origins);
        diagnostic.message = format!("{} (while rendering {file})", diagnostic.message);
        diagnostic
    }

    /// Checks every component call of `page` against the components of the
    /// theme: the name, each argument's name and type, the required
    /// arguments, data references and the page links inside data values.
    pub(crate) fn check_calls(
        &self,
        page: &Page,
        data: &Value,
        funnel: &Funnel,
    ) -> Vec<Diagnostic> {
        let mut errors: Vec<Diagnostic> = crate::render::blocks::check_nesting(&page.calls)
            .into_iter()
            .map(|(pos, message, hint)| component_error(&page.file, pos, message).with_hint(hint))
            .collect();
        for call in &page.calls {
            errors.extend(self.check_call(call, page, data, funnel));
        }
        errors
    }

    /// The checks of [`Renderer::check_calls`] for one call. An unknown
    /// component or a broken data reference stops its other checks.
    fn check_call(
        &self,
        call: &Call,
        page: &Page,
        data: &Value,
        funnel: &Funnel,
    ) -> Vec<Diagnostic> {
        let Some(info) = self.tera.get_component_definition(&call.name) else {
            return vec![self.unknown_component(call, &page.file)];
        };
        let args = match call_args(call, data) {
            Ok(args) => args,
            Err((pos, message)) => {
                let error = component_error(&page.file, pos, message);
                return vec![error.with_hint("data files live in data/NAME.yaml")];
            }
        };
        let mut errors = Vec::new();
        for arg in &args {
            check_declared_arg(call, &info, arg, funnel, &page.file, &mut errors);
        }
        for arg in &args {
            let message = check_arg_value(call, arg);
            errors.extend(message.map(|m| component_error(&page.file, arg.pos, m)));
        }
        for arg in args.iter().filter(|a| a.name == "checkout") {
            errors.extend(checkout_error(arg, &page.file));
        }
        errors.extend(unread_plan_checkout(call, &args, data, &page.file));
        if let Some((message, hint)) = needs_front_matter(call, page, &args) {
            let error = component_error(&page.file, call.pos, message.to_string());
            errors.push(error.with_hint(hint));
        }
        errors.extend(missing_required(call, &info, &args, &page.file));
        errors
    }

    /// A call of a component the theme does not have, with the names it has.
    fn unknown_component(&self, call: &Call, file: &str) -> Diagnostic {
        let mut names: Vec<&str> = self.tera.get_component_names().collect();
        names.sort_unstable();
        let message = format!(
            "unknown component `{}`{}",
            call.name,
            suggestion(&call.name, names.iter().copied())
        );
        let hint = format!(
            "components of this theme: {}; a site adds its own in templates/components/{}.html",
            names.join(", "),
            call.name
        );
        component_error(file, call.pos, message).with_hint(hint)
    }

    /// Renders one component call of a page (checked by [`Renderer::check_calls`]).
    pub(crate) fn render_call(
        &self,
        call: &Call,
        body: Option<&str>,
        page: &PageContext,
        data: &Value,
        resolve: &dyn Fn(&str) -> Option<String>,
        image: &ImageArg,
    ) -> Result<String, Diagnostic> {
        let args = call_args(call, data).map_err(|(pos, message)| {
            Diagnostic::error("component", page.source, message).at(pos.line, pos.column)
        })?;
        let mut context = Context::new();
        for mut arg in args {
            resolve_links(&mut arg.value, resolve);
            if arg.name == "checkout" {
                arg.value = checkout_arg(&arg.value, page);
            }
            if arg.name == "plans" {
                plans_arg(&mut arg.value, page);
            }
            // An image argument names the processed file (its fallback at
            // the widest size) instead of the source.
            if let (true, Value::String(source)) =
                (IMAGE_ARGS.contains(&arg.name.as_str()), &arg.value)
            {
                if let Some(url) = image(source, arg.pos)? {
                    arg.value = Value::String(url);
                }
            }
            context.insert(arg.name, &arg.value);
        }
        let mut implicits = Context::new();
        implicits.insert("page", page);
        self.tera
            .render_component_with_implicits(&call.name, &context, &implicits, body, true)
            .map_err(|e| {
                let mut diagnostic = template_error(&e, &self.origins);
                diagnostic.message = format!(
                    "{} (in the `{}` component called at {}:{}:{})",
                    diagnostic.message, call.name, page.source, call.pos.line, call.pos.column
                );
                diagnostic
            })
    }

    /// The error for a page whose layout has no template.
    pub(crate) fn missing_layout(&self, page: &Page) -> Diagnostic {
        let layout = &page.meta.layout.value;
        let layouts = self.layouts();
        let message = format!(
            "no template for layout \"{layout}\"{}",
            suggestion(layout, layouts.iter().copied())
        );
        let hint = format!(
            "add templates/{layout}.html, or use one of: {}",
            layouts.join(", ")
        );
        Diagnostic::error("missing-template", &page.file, message)
            .at_pos(page.meta.layout.pos)
            .with_hint(hint)
    }
}

/// `wrap_lines(width, size, max)`: a title split into the lines of a
/// social card (see [`cards::wrap`]); SVG text does not wrap by itself.
fn register_card_filters(tera: &mut Tera) {
    tera.register_filter("wrap_lines", |value: &str, kwargs: Kwargs, _: &State| {
        let width = kwargs.get::<f64>("width")?.unwrap_or(1040.0);
        let size = kwargs.get::<f64>("size")?.unwrap_or(64.0);
        let max = kwargs.get::<i64>("max")?.unwrap_or(3).clamp(1, 20);
        Ok::<_, tera::Error>(cards::wrap(value, width as f32, size as f32, max as usize))
    });
}

/// A component's `checkout` argument (checked by [`Renderer::check_calls`])
/// as the link its button takes: the provider's link with the funnel
/// page's attribution, as the page's own checkout gets it.
fn checkout_arg(value: &Value, page: &PageContext) -> Value {
    let Ok((provider, url)) = crate::page::checkout::from_arg(value) else {
        return value.clone();
    };
    let arm = page.experiment.as_ref().map(|e| e.variant.as_str());
    let link = crate::page::checkout::button_link(provider, &url, page.step_path, arm);
    serde_yaml::to_value(link).unwrap_or(Value::Null)
}

/// The `checkout` of each plan of a `plans` list (read and checked with
/// its data file: see [`crate::page::plans`]) as the link its button
/// takes, like a `plan`'s `checkout` argument; the checkout's `label`
/// labels the button unless the plan has a `label` of its own.
fn plans_arg(value: &mut Value, page: &PageContext) {
    let Value::Sequence(items) = value else {
        return;
    };
    let arm = page.experiment.as_ref().map(|e| e.variant.as_str());
    for item in items {
        let Value::Mapping(plan) = item else { continue };
        let Some(Value::Mapping(checkout)) = plan.remove("checkout") else {
            continue;
        };
        let text = |key: &str| checkout.get(key).and_then(Value::as_str);
        let Some((provider, url)) = text("provider").zip(text("url")) else {
            continue;
        };
        let Some(provider) = crate::page::checkout::checked(provider, url) else {
            continue;
        };
        let link = crate::page::checkout::button_link(provider, url, page.step_path, arm);
        if let (None, Some(label)) = (plan.get("label"), text("label")) {
            plan.insert("label".into(), label.into());
        }
        plan.insert(
            "checkout".into(),
            serde_yaml::to_value(link).unwrap_or(Value::Null),
        );
    }
}

/// A plan with a `checkout` in a `plans` list that was not read with its
/// data file (`plans={data.NAME}`, or a data map spread into the call) but
/// written in the call: its success page would go unchecked.
fn unread_plan_checkout(
    call: &Call,
    args: &[CallArg],
    data: &Value,
    file: &str,
) -> Option<Diagnostic> {
    let arg = args.iter().find(|a| a.name == "plans")?;
    let Value::Sequence(items) = &arg.value else {
        return None;
    };
    let from_file = crate::page::plans::plans_source(call, data).is_some();
    if from_file || !items.iter().any(|item| item.get("checkout").is_some()) {
        return None;
    }
    let message = "a plan in `plans` takes a `checkout` only from a data file";
    let hint = "write the plans in data/NAME.yaml and pass them as `plans={data.NAME}`, or use `plan` calls with `checkout={{provider: ..., url: ...}}`";
    Some(component_error(file, arg.pos, message.to_string()).with_hint(hint))
}

/// An argument of a call, with spreads expanded and data looked up.
struct CallArg {
    name: String,
    value: Value,
    pos: Pos,
    from_data: bool,
}

fn call_args(call: &Call, data: &Value) -> Result<Vec<CallArg>, (Pos, String)> {
    let mut args: Vec<CallArg> = Vec::with_capacity(call.args.len());
    let mut push = |arg: CallArg| match args.iter_mut().find(|a| a.name == arg.name) {
        Some(existing) => *existing = arg,
        None => args.push(arg),
    };
    for arg in &call.args {
        let (value, from_data) = match &arg.value {
            ArgValue::Literal(value) => (value.clone(), false),
            ArgValue::Data(path) => (
                components::lookup(data, path)
                    .map_err(|m| (arg.pos, m))?
                    .clone(),
                true,
            ),
        };
        match &arg.name {
            Some(name) => push(CallArg {
                name: name.clone(),
                value,
                pos: arg.pos,
                from_data,
            }),
            None => {
                let Value::Mapping(map) = value else {
                    let message = format!(
                        "only a map can be spread into arguments, and this is {}",
                        crate::base::yaml::describe(&value)
                    );
                    return Err((arg.pos, message));
                };
                for (key, value) in map {
                    if let Some(name) = key.as_str() {
                        push(CallArg {
                            name: name.to_string(),
                            value,
                            pos: arg.pos,
                            from_data: true,
                        });
                    }
                }
            }
        }
    }
    Ok(args)
}

/// Built-in components that draw on the front matter: `form` places the
/// page's form, and `countdown` counts to `expires` unless given `until`.
/// Arguments (and keys of data values) that hold a URL.
const URL_ARGS: &[&str] = &[
    "to", "url", "href", "src", "poster", "photo", "image", "logo", "link",
];

/// The text of every template of the theme; a file that is not UTF-8 is an error.
/// Whether a template of `theme` may read the `journey` global: one names
/// it outside a comment, or dumps the whole context (`__tera_context`).
/// A word match is enough: a false yes only costs the memory.
pub(crate) fn uses_journey(theme: &Theme) -> bool {
    theme.layer("templates").any(|(_, file)| {
        let text = String::from_utf8_lossy(&file.bytes);
        let code = without_comments(&text);
        code.contains("__tera_context") || names_word(&code, "journey")
    })
}

/// `text` without its Tera comments (`{# … #}`).
fn without_comments(text: &str) -> String {
    let mut code = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{#") {
        code.push_str(&rest[..start]);
        match rest[start..].find("#}") {
            Some(end) => rest = &rest[start + end + 2..],
            // An unclosed comment is the compiler's error to report.
            None => return code + &rest[start..],
        }
    }
    code + rest
}

/// Whether `word` occurs in `code` as a whole identifier.
fn names_word(code: &str, word: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    code.match_indices(word).any(|(at, _)| {
        let before = code[..at].chars().next_back();
        let after = code[at + word.len()..].chars().next();
        !before.is_some_and(ident) && !after.is_some_and(ident)
    })
}

fn template_texts(theme: &Theme) -> Result<Vec<(&str, String)>, Diagnostics> {
    let mut templates: Vec<(&str, String)> = Vec::new();
    let mut not_text = Diagnostics::new();
    for (name, file) in theme.layer("templates") {
        match crate::base::text::utf8(&file.bytes, &file.origin) {
            Ok(text) => templates.push((name, text.to_string())),
            Err(e) => not_text.push(e),
        }
    }
    if not_text.has_errors() {
        return Err(not_text);
    }
    Ok(templates)
}

/// The filters templates use beyond Tera's own. Tera wants them before
/// any template is added.
fn register_filters(tera: &mut Tera, strings: &Arc<Strings>) {
    let for_dates = Arc::clone(strings);
    tera.register_filter("localdate", move |value: &str, _: Kwargs, _: &State| {
        for_dates.date(value).unwrap_or_else(|| value.to_string())
    });
    let for_numbers = Arc::clone(strings);
    tera.register_filter(
        "localnum",
        move |value: tera::Value, _: Kwargs, _: &State| for_numbers.digits(&value.to_string()),
    );
    tera.register_filter("luminance", |value: &str, _: Kwargs, _: &State| {
        crate::base::html::relative_luminance(value).unwrap_or(-1.0)
    });
    tera.register_filter("video_embed", |value: &str, _: Kwargs, _: &State| {
        video_embed(value).ok_or_else(|| {
            tera::Error::message(format!(
                "\"{value}\" is not a YouTube or Vimeo video address"
            ))
        })
    });
    register_card_filters(tera);
}

/// What every page shares, into Tera's global context once.
fn insert_globals(tera: &mut Tera, theme: &Theme, globals: &Globals, strings: &Strings) {
    let global = tera.global_context();
    global.insert("site", &globals.site);
    global.insert("journey", &globals.journey);
    global.insert("data", globals.data);
    global.insert("css", globals.css);
    global.insert("dev", &globals.dev);
    global.insert(
        "theme",
        &ThemeContext {
            name: &theme.name,
            title: &theme.title,
            description: &theme.description,
            options: &theme.options,
        },
    );
    global.insert("t", strings.as_value());
}

/// An error of a component call at `pos` of `file`.
fn component_error(file: &str, pos: Pos, message: String) -> Diagnostic {
    Diagnostic::error("component", file, message).at(pos.line, pos.column)
}

/// One argument against the component's declaration: its name, its type,
/// and the page links of a value taken from data. An argument the
/// component does not declare gets no further checks.
fn check_declared_arg(
    call: &Call,
    info: &tera::ComponentInfo,
    arg: &CallArg,
    funnel: &Funnel,
    file: &str,
    errors: &mut Vec<Diagnostic>,
) {
    let declared = info.args();
    let Some(spec) = declared.iter().find(|a| a.name() == arg.name) else {
        if info.rest_param().is_none() {
            let names = declared
                .iter()
                .filter(|a| !a.is_implicit())
                .map(|a| a.name());
            let message = format!(
                "the `{}` component has no argument `{}`{}",
                call.name,
                arg.name,
                suggestion(&arg.name, names.clone())
            );
            let hint = format!("its arguments: {}", names.collect::<Vec<_>>().join(", "));
            errors.push(component_error(file, arg.pos, message).with_hint(hint));
        }
        return;
    };
    if let Some(expected) = spec.arg_type() {
        if !type_matches(expected, &arg.value) {
            let message = format!(
                "`{}` of `{}` must be {} {expected}, not {}",
                arg.name,
                call.name,
                article(expected.as_str()),
                crate::base::yaml::describe(&arg.value)
            );
            errors.push(component_error(file, arg.pos, message));
        }
    }
    if arg.from_data {
        components::for_each_link(&arg.value, &mut |dest| {
            let path = markdown::content_target(dest).map(|(p, _)| p);
            if path.and_then(|p| funnel.page(p)).is_none() {
                let message = format!("`{}` links to {dest}, which is not a page", arg.name);
                errors.push(component_error(file, arg.pos, message));
            }
        });
    }
}

/// A `checkout` argument that does not describe a checkout.
fn checkout_error(arg: &CallArg, file: &str) -> Option<Diagnostic> {
    let problem = crate::page::checkout::from_arg(&arg.value).err()?;
    let diagnostic = Diagnostic::error(problem.code, file, problem.message);
    Some(
        diagnostic
            .at(arg.pos.line, arg.pos.column)
            .with_hint(problem.hint),
    )
}

/// The required arguments of the component that the call leaves out.
fn missing_required(
    call: &Call,
    info: &tera::ComponentInfo,
    args: &[CallArg],
    file: &str,
) -> Vec<Diagnostic> {
    let declared = info.args();
    let required = declared.iter().filter(|a| a.is_required());
    required
        .filter(|spec| !args.iter().any(|a| a.name == spec.name()))
        .map(|spec| {
            let message = format!("the `{}` component needs `{}`", call.name, spec.name());
            let hint = format!("add `{}=\"...\"` to the call", spec.name());
            component_error(file, call.pos, message).with_hint(hint)
        })
        .collect()
}

/// An argument value a template cannot be trusted with: a URL that runs
/// code (`javascript:`) in a link or image argument, or a `countdown`
/// date that is not a date (the clock would never start).
fn check_arg_value(call: &Call, arg: &CallArg) -> Option<String> {
    if call.name == "countdown" && arg.name == "until" {
        let text = arg.value.as_str().unwrap_or_default();
        if !crate::base::date::is_date(text) {
            return Some(format!(
                "`until` of `countdown` must be a date such as `2026-12-01` or `2026-12-01T00:00:00Z`, not {}",
                crate::base::yaml::describe(&arg.value)
            ));
        }
    }
    if let Some(message) = crate::render::blocks::check_value(&call.name, &arg.name, &arg.value) {
        return Some(message);
    }
    let mut found = None;
    find_unsafe_url(&arg.name, &arg.value, &mut found);
    found.map(|(key, scheme)| {
        format!(
            "`{key}` of `{}` is a {scheme} URL; links and images must be web addresses or paths",
            call.name
        )
    })
}

/// The first URL argument (or data key) in `value` with an unsafe scheme.
fn find_unsafe_url(key: &str, value: &Value, found: &mut Option<(String, &'static str)>) {
    match value {
        Value::String(text) if found.is_none() && URL_ARGS.contains(&key) => {
            *found = crate::base::url::unsafe_scheme(text).map(|scheme| (key.to_string(), scheme));
        }
        Value::Sequence(items) => items.iter().for_each(|v| find_unsafe_url(key, v, found)),
        Value::Mapping(map) => {
            for (k, v) in map {
                find_unsafe_url(k.as_str().unwrap_or_default(), v, found);
            }
        }
        Value::Tagged(tagged) => find_unsafe_url(key, &tagged.value, found),
        _ => {}
    }
}

fn needs_front_matter(
    call: &Call,
    page: &Page,
    args: &[CallArg],
) -> Option<(&'static str, &'static str)> {
    match call.name.as_str() {
        "form" if page.meta.form.is_none() => Some((
            "the `form` component places the page's form, and this page has no `form:`",
            "add `form:` with `fields` and `thank_you` to the front matter",
        )),
        "countdown"
            if page.meta.expires.is_none()
                && page.meta.evergreen.is_none()
                && !args.iter().any(|a| a.name == "until") =>
        {
            Some((
                "the `countdown` component needs a date: `until=\"2026-12-01\"` or `expires:` in the front matter",
                "add `until=\"YYYY-MM-DD\"` to the call",
            ))
        }
        _ => None,
    }
}

/// The embed URL of a YouTube or Vimeo video page, for a click-to-load
/// player (YouTube's no-cookie host; Vimeo with Do Not Track).
pub(crate) fn video_embed(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let rest = rest.strip_prefix("www.").unwrap_or(rest);
    let (host, path) = rest.split_once('/')?;
    let is_id = |id: &str| {
        !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    let youtube = |id: &str| {
        is_id(id).then(|| format!("https://www.youtube-nocookie.com/embed/{id}?autoplay=1"))
    };
    match host {
        "youtube.com" | "m.youtube.com" => {
            if let Some(query) = path.strip_prefix("watch?") {
                let id = query.split('&').find_map(|kv| kv.strip_prefix("v="))?;
                youtube(id)
            } else {
                let id = path
                    .strip_prefix("embed/")
                    .or_else(|| path.strip_prefix("shorts/"))?;
                youtube(id.split(['?', '/']).next()?)
            }
        }
        "youtu.be" => youtube(path.split(['?', '/']).next()?),
        "vimeo.com" | "player.vimeo.com" => {
            let id = path.trim_start_matches("video/").split(['?', '/']).next()?;
            (id.chars().all(|c| c.is_ascii_digit()) && !id.is_empty())
                .then(|| format!("https://player.vimeo.com/video/{id}?autoplay=1&dnt=1"))
        }
        _ => None,
    }
}

fn type_matches(expected: tera::ComponentArgType, value: &Value) -> bool {
    use tera::ComponentArgType as T;
    match expected {
        T::String => value.is_string(),
        T::Bool => value.is_bool(),
        T::Integer => value.is_i64() || value.is_u64(),
        T::Float | T::Number => value.is_number(),
        T::Array => value.is_sequence(),
        T::Map => value.is_mapping(),
        _ => true,
    }
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// Turns every `@/path.md#anchor` string into the page's URL.
fn resolve_links(value: &mut Value, resolve: &dyn Fn(&str) -> Option<String>) {
    match value {
        Value::String(s) => {
            if let Some(url) = markdown::resolve_content_link(s, resolve) {
                *s = url;
            }
        }
        Value::Sequence(items) => items.iter_mut().for_each(|v| resolve_links(v, resolve)),
        Value::Mapping(map) => map.values_mut().for_each(|v| resolve_links(v, resolve)),
        _ => {}
    }
}

/// Tera stops at the first broken template; this loads each one alone to
/// report the syntax errors of all of them.
fn all_template_errors(
    templates: &[(&str, String)],
    first: tera::Error,
    origins: &HashMap<String, String>,
) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    for (name, text) in templates {
        let mut alone = Tera::new();
        if let Err(e) = alone.add_raw_template(name, text) {
            if matches!(e.kind(), ErrorKind::SyntaxError(_)) {
                diagnostics.push(template_error(&e, origins));
            }
        }
    }
    if diagnostics.is_empty() {
        let mut diagnostic = template_error(&first, origins);
        if let Some((line, column)) = link_tag(templates, &first) {
            diagnostic = diagnostic.at(line, column);
        }
        diagnostics.push(diagnostic);
    }
    diagnostics
}

/// Where the `extends` or `include` tag behind a missing parent or a cycle
/// sits in its template, as tera reports neither's line.
fn link_tag(templates: &[(&str, String)], error: &tera::Error) -> Option<(usize, usize)> {
    let (name, keyword, target) = match error.kind() {
        ErrorKind::MissingParent { current, parent } => (current, "extends", parent),
        ErrorKind::CircularExtend {
            tpl,
            inheritance_chain,
        } => (tpl, "extends", inheritance_chain.first()?),
        ErrorKind::CircularInclude { tpl, include_chain } => {
            (tpl, "include", include_chain.get(1)?)
        }
        _ => return None,
    };
    let (_, text) = templates.iter().find(|(n, _)| n == name)?;
    let offset = find_tag(text, keyword, target)?;
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before[before.rfind('\n').map_or(0, |i| i + 1)..]
        .chars()
        .count()
        + 1;
    Some((line, column))
}

/// Offset of the first `{% keyword "target" %}` tag (any quote, any `-`
/// whitespace control) in `text`.
fn find_tag(text: &str, keyword: &str, target: &str) -> Option<usize> {
    let mut at = 0;
    while let Some(i) = text[at..].find("{%") {
        let start = at + i;
        let inner = text[start + 2..].trim_start_matches('-').trim_start();
        let end = inner.find("%}").unwrap_or(inner.len());
        let tag = &inner[..end];
        if let Some(rest) = tag.strip_prefix(keyword) {
            let rest = rest.trim_start();
            let quoted = |q: char| {
                rest.strip_prefix(q)
                    .is_some_and(|r| r.starts_with(target) && r[target.len()..].starts_with(q))
            };
            if quoted('"') || quoted('\'') {
                return Some(start);
            }
        }
        at = start + 2;
    }
    None
}

fn template_error(error: &tera::Error, origins: &HashMap<String, String>) -> Diagnostic {
    let origin = |name: &str| {
        origins
            .get(name)
            .cloned()
            .unwrap_or_else(|| format!("templates/{name}"))
    };
    match error.kind() {
        ErrorKind::SyntaxError(report) | ErrorKind::RenderingError(report) => {
            let span = report.span();
            Diagnostic::error(
                "template",
                origin(report.filename()),
                report.message().to_string(),
            )
            .at(span.start_line, span.start_col + 1)
        }
        ErrorKind::MissingParent { current, parent } => {
            let message =
                format!("extends \"{parent}\", which is not a template of the theme or the site");
            Diagnostic::error("template", origin(current), message)
                .with_hint("name a template of templates/ (or of the theme), or create it")
        }
        ErrorKind::CircularExtend {
            tpl,
            inheritance_chain,
        } => {
            let chain = inheritance_chain.join(" → ");
            let message = format!("{tpl} extends itself: {tpl} → {chain}");
            Diagnostic::error("template", origin(tpl), message)
                .with_hint("a base template must not extend the templates built on it")
        }
        ErrorKind::CircularInclude { include_chain, tpl } => {
            let message = format!("{tpl} includes itself: {}", include_chain.join(" → "));
            Diagnostic::error("template", origin(tpl), message).with_hint(
                "break the loop: a template cannot include itself, directly or through another",
            )
        }
        ErrorKind::TemplateNotFound(name) => Diagnostic::error(
            "template",
            origin(name),
            format!("template \"{name}\" not found"),
        ),
        _ => {
            let mut message = error.to_string();
            let mut source = std::error::Error::source(error);
            while let Some(cause) = source {
                message.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            Diagnostic::error("template", "templates", message)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_journey_is_used_when_a_template_names_it_outside_a_comment() {
        let uses = |text: &str| names_word(&without_comments(text), "journey");
        assert!(uses("{% for s in journey %}{{ s.id }}{% endfor %}"));
        assert!(uses("{{ journey | length }}"));
        assert!(uses("{# a comment #}{{ journey[0].title }}"));
        assert!(!uses(
            "{#- The journey's stages as columns -#}<p>{{ page.title }}</p>"
        ));
        assert!(!uses("{{ page.journey_step }} {{ my_journey }}"));
        assert!(!uses("no tags"));
        // An unclosed comment is left to Tera's compiler: counted as code.
        assert!(uses("{# journey"));
    }

    #[test]
    fn video_embeds() {
        let yt = "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1";
        assert_eq!(
            video_embed("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=3").as_deref(),
            Some(yt)
        );
        assert_eq!(
            video_embed("https://youtu.be/dQw4w9WgXcQ").as_deref(),
            Some(yt)
        );
        assert_eq!(
            video_embed("https://vimeo.com/76979871").as_deref(),
            Some("https://player.vimeo.com/video/76979871?autoplay=1&dnt=1")
        );
        assert_eq!(video_embed("https://example.com/v.mp4"), None);
        assert_eq!(video_embed("https://youtu.be/\"><script>"), None);
    }
}
