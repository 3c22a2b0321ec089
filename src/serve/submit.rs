//! The dev server's form endpoint: an opt-in form posted to
//! `/__funnelcake/submit` is appended as one JSON line to
//! `SITE/.funnelcake/submissions.jsonl`, and the browser goes on to the
//! form's thank-you page with a 303, so the journey can be clicked through
//! locally.

use crate::base::html::escape;
use crate::page::front_matter::FieldType;
use crate::render::context::DEV_PAGE_FIELD as PAGE_FIELD;
use crate::render::forms::FormContext;
use crate::serve::server::{html_response, redirect, respond, text_response, State};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};
use tiny_http::{Method, Request};

/// The largest form submission taken.
const MAX_SUBMISSION: usize = 64 * 1024;

/// A refused request: its status and the plain-text reason.
type Refusal = (u16, &'static str);

/// The form endpoint: one JSON line per submission, then a 303 to the
/// form's thank-you page. A submission a provider would refuse or drop is
/// still recorded, marked: `"spam": true` when the honeypot is filled,
/// `"consent": false` and its `problems` when the required consent is
/// missing; the latter is answered with a page that says so.
pub(crate) fn submit(state: &State, mut request: Request) {
    let fields = match read_form(&mut request) {
        Ok(fields) => fields,
        Err((status, why)) => return respond(request, text_response(status, why)),
    };
    let page = fields
        .iter()
        .find(|(k, _)| k == PAGE_FIELD)
        .map(|(_, v)| v.clone());
    let build = state.build.read().unwrap_or_else(|e| e.into_inner());
    let form = page
        .as_deref()
        .and_then(|p| build.session.as_ref()?.form(p));
    drop(build);
    let (Some(page), Some(form)) = (page, form) else {
        let why = "the form's page is not an opt-in page of this site";
        return respond(request, text_response(400, why));
    };
    let marks = Marks::of(&form, &fields);
    let line = format!("{}\n", record(&page, fields, &marks));
    if let Err(e) = append_submission(&state.site, &line) {
        (state.log)(format!("could not record a submission: {e}"));
        let why = "could not record the submission";
        return respond(request, text_response(500, why));
    }
    let thank_you = form.thank_you_url;
    (state.log)(format!(
        "form on {page} submitted{}: recorded in .funnelcake/submissions.jsonl, on to {thank_you}",
        marks.summary()
    ));
    if marks.problems.is_empty() {
        respond(request, redirect(303, &thank_you));
    } else {
        respond(
            request,
            html_response(422, problems_page(&marks, &thank_you)),
        );
    }
}

/// What the dev server notes about a submission that the form's provider
/// would treat differently from a good one.
#[derive(Debug, Default, PartialEq)]
struct Marks {
    /// The honeypot field, hidden from people, was filled: a bot.
    spam: bool,
    /// The form asks for consent, and the box was not ticked.
    no_consent: bool,
    /// Each problem, as a sentence.
    problems: Vec<String>,
}

impl Marks {
    fn of(form: &FormContext, fields: &[(String, String)]) -> Marks {
        let value = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v);
        let spam = value(&form.honeypot).is_some_and(|v| !v.is_empty());
        let no_consent =
            form.consent.is_some() && value(&form.consent_name) != Some(&form.consent_value);
        let mut problems = Vec::new();
        if no_consent {
            problems.push(format!(
                "the required consent (`{}`) was not given; a provider would not add this person to the list",
                form.consent_name
            ));
        }
        problems.extend(select_problems(form, fields));
        Marks {
            spam,
            no_consent,
            problems,
        }
    }

    /// For the terminal: `" (marked spam)"` and the like.
    fn summary(&self) -> String {
        let mut marks = Vec::new();
        if self.spam {
            marks.push("spam: the honeypot is filled");
        }
        if self.no_consent {
            marks.push("no consent");
        }
        match marks.is_empty() {
            true => String::new(),
            false => format!(" (marked {})", marks.join(", ")),
        }
    }
}

/// What is wrong with the answers to the form's selects: a required one
/// left on its empty "choose…" option, or a value that is none of its
/// options (a theme that mangles an option's text, or a hand-made post).
fn select_problems(form: &FormContext, fields: &[(String, String)]) -> Vec<String> {
    let selects = form.fields.iter().filter(|f| f.kind == FieldType::Select);
    selects
        .filter_map(|select| {
            let value = fields
                .iter()
                .find(|(k, _)| *k == select.name)
                .map(|(_, v)| v.as_str());
            match value.unwrap_or_default() {
                "" if select.required => Some(format!(
                    "the required choice `{}` was not made",
                    select.name
                )),
                "" => None,
                value if select.options.iter().any(|o| o == value) => None,
                value => Some(format!(
                    "`{}` is \"{value}\", which is not one of its options",
                    select.name
                )),
            }
        })
        .collect()
}

/// The answer to a submission with problems: recorded, and why it is marked.
fn problems_page(marks: &Marks, thank_you: &str) -> String {
    let items: String = marks
        .problems
        .iter()
        .map(|p| format!("<li>{}</li>", escape(p)))
        .collect();
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Submission marked · funnelcake</title></head><body><h1>The submission was recorded, marked</h1><p>In .funnelcake/submissions.jsonl, with these problems:</p><ul>{items}</ul><p><a href=\"{}\">Go on to the thank-you page</a></p></body></html>",
        escape(thank_you)
    )
}

/// The posted fields, or why the request is refused: not a POST, not a
/// urlencoded form, over [`MAX_SUBMISSION`], or not valid.
fn read_form(request: &mut Request) -> Result<Vec<(String, String)>, Refusal> {
    if request.method() != &Method::Post {
        return Err((405, "forms are posted here"));
    }
    let is_form = request
        .headers()
        .iter()
        .any(|h| h.field.equiv("Content-Type") && is_form_type(h.value.as_str()));
    if !is_form {
        return Err((415, "expected application/x-www-form-urlencoded"));
    }
    let too_big = (413, "a submission is at most 64 kB");
    if request.body_length().is_some_and(|n| n > MAX_SUBMISSION) {
        return Err(too_big);
    }
    let mut body = Vec::new();
    let read = request
        .as_reader()
        .take(MAX_SUBMISSION as u64 + 1)
        .read_to_end(&mut body);
    if read.is_err() {
        return Err((400, "could not read the body"));
    }
    if body.len() > MAX_SUBMISSION {
        return Err(too_big);
    }
    std::str::from_utf8(&body)
        .ok()
        .and_then(parse_form)
        .ok_or((400, "the body is not a valid form"))
}

/// The JSON record of one submission: time, page, the fields (without
/// the page field), and the marks when there are any.
fn record(page: &str, fields: Vec<(String, String)>, marks: &Marks) -> serde_json::Value {
    let mut record = serde_json::Map::new();
    record.insert("time".into(), now_rfc3339().into());
    record.insert("page".into(), page.into());
    let mut values = serde_json::Map::new();
    for (name, value) in fields.into_iter().filter(|(k, _)| k != PAGE_FIELD) {
        match values.get_mut(&name) {
            // A repeated name (checkboxes) keeps every value.
            Some(serde_json::Value::Array(list)) => list.push(value.into()),
            Some(existing) => {
                let first = existing.take();
                *existing = serde_json::Value::Array(vec![first, value.into()]);
            }
            None => {
                values.insert(name, value.into());
            }
        }
    }
    record.insert("fields".into(), values.into());
    if marks.spam {
        record.insert("spam".into(), true.into());
    }
    if marks.no_consent {
        record.insert("consent".into(), false.into());
    }
    if !marks.problems.is_empty() {
        record.insert("problems".into(), marks.problems.clone().into());
    }
    serde_json::Value::Object(record)
}

/// Whether a Content-Type is exactly `application/x-www-form-urlencoded`,
/// with parameters (`; charset=utf-8`) or none; not a type that merely
/// starts with it (`application/x-www-form-urlencoded-evil`).
fn is_form_type(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/x-www-form-urlencoded")
}

/// One whole line per write, appended, so a crash never leaves half a record.
fn append_submission(site: &Path, line: &str) -> std::io::Result<()> {
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = site.join(".funnelcake");
    std::fs::create_dir_all(&dir)?;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("submissions.jsonl"))?;
    file.write_all(line.as_bytes())?;
    file.flush()
}

/// Parses `application/x-www-form-urlencoded`; `None` when it is not valid
/// (a broken `%` escape, or bytes that are not UTF-8), so the endpoint can
/// answer 400 rather than record mangled text.
pub fn parse_form(body: &str) -> Option<Vec<(String, String)>> {
    if !valid_escapes(body) {
        return None;
    }
    let raw_pairs = body.split('&').filter(|pair| !pair.is_empty());
    for pair in raw_pairs {
        let bytes: Vec<u8> = pair
            .bytes()
            .map(|b| if b == b'+' { b' ' } else { b })
            .collect();
        let decoded: Vec<u8> = percent_encoding::percent_decode(&bytes).collect();
        std::str::from_utf8(&decoded).ok()?;
    }
    Some(
        form_urlencoded::parse(body.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
    )
}

/// Whether every `%` in `text` starts a two-digit hex escape.
pub(crate) fn valid_escapes(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().all(|(i, &b)| {
        b != b'%'
            || bytes
                .get(i + 1..i + 3)
                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    })
}

fn now_rfc3339() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs();
    let (y, m, d) = crate::base::date::civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_bodies() {
        assert_eq!(
            parse_form("email=a%40b.c&name=Ada+L&x=").unwrap(),
            [
                ("email".into(), "a@b.c".into()),
                ("name".into(), "Ada L".into()),
                ("x".into(), String::new())
            ]
        );
        assert_eq!(parse_form("a=%zz"), None);
        assert!(is_form_type("application/x-www-form-urlencoded"));
        assert!(is_form_type(
            "Application/X-WWW-Form-Urlencoded ; charset=UTF-8"
        ));
        assert!(!is_form_type("application/x-www-form-urlencodedx"));
        assert!(!is_form_type("application/x-www-form-urlencoded-evil; a=b"));
        assert_eq!(parse_form("a=%ff"), None);
    }
}
