//! UI strings in the site's language: form labels, "step 3 of 8", the
//! countdown, the 404 text, month names and digits, and dates in the
//! site's calendar (`months`, or `persian_months` for `calendar: persian`).
//!
//! A theme ships `i18n/LANG.yaml` files (the built-in themes ship `en`, `fa`
//! and `el`); a site's own `i18n/LANG.yaml` overrides any key of them. For
//! `language: fa-IR` the keys are merged from `en`, then `fa`, then `fa-IR`,
//! each from the parent theme, the theme and the site, so a missing string
//! falls back to English rather than failing the build. Templates see the
//! result as `t` (`{{ t.skip_link }}`), plus the filters `localdate` and
//! `localnum`.

use crate::base::date::Calendar;
use crate::base::diagnostics::Diagnostics;
use crate::base::yaml::Source;
use crate::base::yaml::{Mapping, Value};
use crate::input::theme::Theme;

/// The merged strings of one language.
#[derive(Debug, Clone)]
pub(crate) struct Strings {
    values: Value,
    digits: Option<Vec<char>>,
    calendar: Calendar,
}

impl Strings {
    /// A stage's title: a preset's English title in the site's language
    /// (`stage_ID` in the strings file); a site's own title as written.
    pub(crate) fn stage_title(&self, stage: &crate::input::config::Stage) -> String {
        match crate::input::config::preset_stage_title(&stage.id) {
            Some(preset) if preset == stage.title => self
                .get(&format!("stage_{}", stage.id))
                .unwrap_or(preset)
                .to_string(),
            _ => stage.title.clone(),
        }
    }

    /// An offer type's title in the site's language (`offer_ID` in the
    /// strings file), or as the site names it.
    pub(crate) fn offer_title(&self, offer: &crate::input::config::OfferType) -> String {
        self.get(&format!("offer_{}", offer.id))
            .unwrap_or(&offer.title)
            .to_string()
    }

    /// Merges the theme's and the site's string files for `language`.
    pub(crate) fn load(
        theme: &Theme,
        language: &str,
        calendar: Calendar,
    ) -> Result<Strings, Diagnostics> {
        let mut chain = vec!["en".to_string()];
        let base = language
            .split(['-', '_'])
            .next()
            .unwrap_or(language)
            .to_lowercase();
        for lang in [base, language.to_string()] {
            if !chain.contains(&lang) {
                chain.push(lang);
            }
        }
        let mut merged = Mapping::new();
        let mut errors = Diagnostics::new();
        for lang in &chain {
            for (file_lang, file) in &theme.strings {
                if !file_lang.eq_ignore_ascii_case(lang) {
                    continue;
                }
                let text = match crate::base::text::utf8(&file.bytes, &file.origin) {
                    Ok(text) => text,
                    Err(e) => {
                        errors.push(e);
                        continue;
                    }
                };
                match Source::new(text, &file.origin, 1).parse_mapping("a strings file") {
                    Ok(map) => merged.extend(map),
                    Err(e) => errors.push(e),
                }
            }
        }
        if errors.has_errors() {
            return Err(errors);
        }
        let digits = merged
            .get("digits")
            .and_then(Value::as_str)
            .map(|d| d.chars().collect::<Vec<_>>())
            .filter(|d| d.len() == 10);
        Ok(Strings {
            values: Value::Mapping(merged),
            digits,
            calendar,
        })
    }

    /// English strings only, for tests.
    #[cfg(test)]
    pub(crate) fn empty() -> Strings {
        Strings {
            values: Value::Mapping(Mapping::new()),
            digits: None,
            calendar: Calendar::Gregorian,
        }
    }

    /// All strings, for templates (`t`).
    pub(crate) fn as_value(&self) -> &Value {
        &self.values
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).and_then(Value::as_str)
    }

    /// String `key` with `{name}` placeholders filled, or `fallback` (also
    /// filled) when the theme has no such string.
    pub(crate) fn format(&self, key: &str, fallback: &str, args: &[(&str, String)]) -> String {
        fill(self.get(key).unwrap_or(fallback), args)
    }

    /// Writes the ASCII digits of `text` in the language's digits.
    pub(crate) fn digits(&self, text: &str) -> String {
        match &self.digits {
            Some(digits) => text
                .chars()
                .map(|c| c.to_digit(10).map_or(c, |d| digits[d as usize]))
                .collect(),
            None => text.to_string(),
        }
    }

    /// A price in the language: the amount with the language's separators
    /// (`thousands`, `decimal`) and digits, and the currency's symbol
    /// (`currency_EUR`, else a built-in symbol, else the code) placed by
    /// `price_format` (`{symbol}{amount}` in English).
    pub(crate) fn price(&self, amount: f64, currency: &str) -> String {
        let fixed = if amount.fract() == 0.0 {
            format!("{amount:.0}")
        } else {
            format!("{amount:.2}")
        };
        let (whole, fraction) = match fixed.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (fixed.as_str(), None),
        };
        let (sign, digits) = match whole.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", whole),
        };
        let thousands = self.get("thousands").unwrap_or(",");
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push_str(thousands);
            }
            grouped.push(c);
        }
        let mut number = format!("{sign}{grouped}");
        if let Some(fraction) = fraction {
            number.push_str(self.get("decimal").unwrap_or("."));
            number.push_str(fraction);
        }
        let symbol = self
            .get(&format!("currency_{currency}"))
            .map(str::to_string)
            .unwrap_or_else(|| currency_symbol(currency).to_string());
        let mut format = self
            .get("price_format")
            .unwrap_or("{symbol}{amount}")
            .to_string();
        if symbol.chars().all(|c| c.is_ascii_alphabetic()) {
            // A code, not a sign: `CHF 15`, never `CHF15`.
            format = format.replace("{symbol}{amount}", "{symbol}\u{a0}{amount}");
        }
        self.digits(&fill(&format, &[("symbol", symbol), ("amount", number)]))
    }

    /// `2026-12-01` (or an RFC 3339 time) as a date in the language and
    /// the site's calendar: `1 December 2026`, `۱ دسامبر ۲۰۲۶`,
    /// `1 Δεκεμβρίου 2026`, or with `calendar: persian` `۱۰ آذر ۱۴۰۵`.
    pub(crate) fn date(&self, iso: &str) -> Option<String> {
        let (year, month, day) = self.calendar.day(crate::base::date::parse_day(iso)?)?;
        let index = month as usize - 1;
        let (key, fallback) = match self.calendar {
            Calendar::Gregorian => ("months", ENGLISH_MONTHS),
            Calendar::Persian => ("persian_months", PERSIAN_MONTHS_LATIN),
        };
        let month_name = self
            .values
            .get(key)
            .and_then(Value::as_sequence)
            .and_then(|m| m.get(index))
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| fallback[index].to_string());
        let text = self.format(
            "date_format",
            "{day} {month} {year}",
            &[
                ("day", day.to_string()),
                ("month", month_name),
                ("year", year.to_string()),
            ],
        );
        Some(self.digits(&text))
    }
}

/// `template` with each `{name}` replaced by its value.
fn fill(template: &str, args: &[(&str, String)]) -> String {
    let mut text = template.to_string();
    for (name, value) in args {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

/// Symbols of common currencies; any other is written as its code.
fn currency_symbol(code: &str) -> &str {
    match code {
        "EUR" => "€",
        "USD" => "$",
        "GBP" => "£",
        "JPY" => "¥",
        "INR" => "₹",
        _ => code,
    }
}

const ENGLISH_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The Solar Hijri months as English writes them, for a language whose
/// strings have no `persian_months`.
const PERSIAN_MONTHS_LATIN: [&str; 12] = [
    "Farvardin",
    "Ordibehesht",
    "Khordad",
    "Tir",
    "Mordad",
    "Shahrivar",
    "Mehr",
    "Aban",
    "Azar",
    "Dey",
    "Bahman",
    "Esfand",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::theme::ThemeFile;
    use std::borrow::Cow;

    fn theme(files: &[(&str, &str)]) -> Theme {
        Theme {
            name: "t".into(),
            title: "T".into(),
            description: String::new(),
            options: Value::Mapping(Mapping::new()),
            files: Default::default(),
            strings: files
                .iter()
                .map(|(lang, text)| {
                    (
                        lang.to_string(),
                        ThemeFile {
                            bytes: Cow::Owned(text.as_bytes().to_vec()),
                            origin: format!("i18n/{lang}.yaml"),
                        },
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn falls_back_to_english_key_by_key() {
        let t = theme(&[
            ("en", "submit: Send\nstep: \"Step {index} of {total}\"\n"),
            ("fa", "submit: ارسال\ndigits: \"۰۱۲۳۴۵۶۷۸۹\"\nmonths: [ژانویه, فوریه, مارس, آوریل, مه, ژوئن, ژوئیه, اوت, سپتامبر, اکتبر, نوامبر, دسامبر]\n"),
            ("fa", "submit: بفرست\n"),
        ]);
        let fa = Strings::load(&t, "fa-IR", Calendar::Gregorian).unwrap();
        assert_eq!(fa.get("submit"), Some("بفرست"));
        let step = fa.format("step", "", &[("index", "3".into()), ("total", "8".into())]);
        assert_eq!(fa.digits(&step), "Step ۳ of ۸");
        assert_eq!(fa.date("2026-12-01T00:00:00Z").unwrap(), "۱ دسامبر ۲۰۲۶");
        let en = Strings::load(&t, "en", Calendar::Gregorian).unwrap();
        assert_eq!(en.date("2026-02-09").unwrap(), "9 February 2026");
        assert_eq!(en.date("not a date"), None);
    }

    #[test]
    fn persian_calendar_dates() {
        let t = theme(&[
            ("en", "step: \"Step {index} of {total}\"\n"),
            ("fa", "digits: \"۰۱۲۳۴۵۶۷۸۹\"\npersian_months: [فروردین, اردیبهشت, خرداد, تیر, مرداد, شهریور, مهر, آبان, آذر, دی, بهمن, اسفند]\n"),
        ]);
        let fa = Strings::load(&t, "fa", Calendar::Persian).unwrap();
        assert_eq!(fa.date("2026-03-21").unwrap(), "۱ فروردین ۱۴۰۵");
        assert_eq!(fa.date("2026-12-01T00:00:00Z").unwrap(), "۱۰ آذر ۱۴۰۵");
        assert_eq!(fa.date("2026-03-20").unwrap(), "۲۹ اسفند ۱۴۰۴");
        // A language without Persian month names writes them in Latin letters.
        let en = Strings::load(&t, "en", Calendar::Persian).unwrap();
        assert_eq!(en.date("2026-03-21").unwrap(), "1 Farvardin 1405");
        assert_eq!(en.date("2026-02-30"), None);
    }

    #[test]
    fn prices_follow_the_language() {
        let en = Strings::empty();
        assert_eq!(en.price(9.0, "EUR"), "€9");
        assert_eq!(en.price(1234.5, "USD"), "$1,234.50");
        assert_eq!(en.price(15.0, "CHF"), "CHF\u{a0}15");
        let t = theme(&[
            ("fa", "thousands: \"٬\"\ndecimal: \"٫\"\nprice_format: \"{amount} {symbol}\"\ncurrency_IRR: ریال\ndigits: \"۰۱۲۳۴۵۶۷۸۹\"\n"),
            ("el", "thousands: \".\"\ndecimal: \",\"\nprice_format: \"{amount} {symbol}\"\n"),
        ]);
        let fa = Strings::load(&t, "fa", Calendar::Gregorian).unwrap();
        assert_eq!(fa.price(8_900_000.0, "IRR"), "۸٬۹۰۰٬۰۰۰ ریال");
        let el = Strings::load(&t, "el", Calendar::Gregorian).unwrap();
        assert_eq!(el.price(1234.5, "EUR"), "1.234,50 €");
    }

    #[test]
    fn a_broken_file_is_an_error_at_the_file() {
        let t = theme(&[("en", "submit: [\n")]);
        let errors = Strings::load(&t, "en", Calendar::Gregorian).unwrap_err();
        assert_eq!(
            errors.iter().next().unwrap().to_string(),
            "error: i18n/en.yaml:2:1: invalid YAML: did not find expected node content"
        );
    }
}
