//! An evergreen deadline: `expires: { after_first_visit: 72h, then:
//! offers/kit-expired.md }` gives each visitor their own deadline, counted
//! from their first visit in their browser (a first-party cookie), instead
//! of one date for everyone.
//!
//! Only the duration is checked here; `then` keeps its position so the
//! funnel stage resolves it like `next`.

use crate::base::yaml::{Fields, Located};

const EVERGREEN_KEYS: &[&str] = &["after_first_visit", "then"];

/// A per-visitor deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Evergreen {
    /// How long after the first visit the offer lasts, in seconds.
    pub seconds: u64,
    /// Where a visitor goes once their deadline has passed (a content
    /// path); without it the page says the offer has ended.
    pub then: Option<Located<String>>,
}

/// Reads the mapping form of `expires:`; `None` (with errors) when it
/// cannot be used.
pub(crate) fn read(fields: &mut Fields) -> Option<Evergreen> {
    let shape = "(after_first_visit, then) or a date";
    fields
        .section("expires", shape, EVERGREEN_KEYS, |expires| {
            let hint = "add `after_first_visit: 72h` (minutes `m`, hours `h` or days `d`)";
            let written = expires.required_string("after_first_visit", hint);
            let seconds = written.and_then(|text| {
                let seconds = duration_seconds(&text);
                if seconds.is_none() {
                    let message =
                        format!("`expires.after_first_visit` \"{text}\" is not a duration");
                    expires
                        .error("invalid-duration", "after_first_visit", message)
                        .hint = Some(
                        "write a whole number of minutes, hours or days: `90m`, `72h`, `3d`".into(),
                    );
                }
                seconds
            });
            let pos = expires.pos("then");
            let then =
                expires.get::<String>("then", "a content path such as `offers/kit-expired.md`");
            Some(Evergreen {
                seconds: seconds?,
                then: then.map(|value| Located { value, pos }),
            })
        })
        .flatten()
}

/// `90m`, `72h`, `3d` in seconds: a whole number above zero and one unit,
/// at most a year (a longer "deadline" is no deadline).
pub(crate) fn duration_seconds(text: &str) -> Option<u64> {
    let text = text.trim();
    let unit = match text.chars().last()? {
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return None,
    };
    let number = &text[..text.len() - 1];
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let seconds = number.parse::<u64>().ok()?.checked_mul(unit)?;
    (seconds > 0 && seconds <= 366 * 86_400).then_some(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_minutes_hours_and_days() {
        assert_eq!(duration_seconds("90m"), Some(5400));
        assert_eq!(duration_seconds("72h"), Some(259_200));
        assert_eq!(duration_seconds("3d"), Some(259_200));
        for bad in [
            "0h",
            "72",
            "h",
            "1.5h",
            "-3d",
            "3 d",
            "72H",
            "400d",
            "99999999999999999999d",
        ] {
            assert_eq!(duration_seconds(bad), None, "{bad}");
        }
    }
}
