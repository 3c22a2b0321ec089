//! Dates as the build needs them, in one small module: today in UTC, days
//! since 1970 as a calendar date, checking a front-matter date or time, and
//! the day of one, in the site's calendar. No time-zone database is needed:
//! the build only compares and writes out days.

use crate::base::yaml::Choice;
use icu_calendar::cal::Persian;
use icu_calendar::Date;
use serde::Serialize;
use std::time::{SystemTime, UNIX_EPOCH};

/// The calendar a site's dates are written in (`calendar:` in site.yaml).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Calendar {
    #[default]
    Gregorian,
    /// The Solar Hijri calendar of Iran and Afghanistan.
    Persian,
}

impl Choice for Calendar {
    const NAMES: &'static [(&'static str, Self)] = &[
        ("gregorian", Calendar::Gregorian),
        ("persian", Calendar::Persian),
    ];
}

impl Calendar {
    /// A Gregorian day as (year, month 1-12, day) in this calendar. The
    /// conversion is icu_calendar's, so the build carries no hand-written
    /// leap-year rules of its own.
    pub(crate) fn day(self, (year, month, day): (u32, u32, u32)) -> Option<(i32, u32, u32)> {
        match self {
            Calendar::Gregorian => Some((year as i32, month, day)),
            Calendar::Persian => {
                let iso =
                    Date::try_new_iso(i32::try_from(year).ok()?, month as u8, day as u8).ok()?;
                let date = iso.to_calendar(Persian);
                Some((
                    date.era_year().year,
                    u32::from(date.month().ordinal),
                    u32::from(date.day_of_month().0),
                ))
            }
        }
    }
}

/// Today's date in UTC as `YYYY-MM-DD`.
pub(crate) fn today() -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (y, m, d) = civil_from_days((seconds / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Accepts `YYYY-MM-DD`, optionally followed by `THH:MM[:SS][.frac]` and `Z` or `±HH:MM`.
pub(crate) fn is_date(text: &str) -> bool {
    let (date, time) = match text.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (text, None),
    };
    valid_calendar_date(date) && time.is_none_or(valid_time)
}

fn valid_calendar_date(date: &str) -> bool {
    let parts: Vec<&str> = date.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    let digits = |s: &str, n: usize| s.len() == n && s.chars().all(|c| c.is_ascii_digit());
    if !digits(y, 4) || !digits(m, 2) || !digits(d, 2) {
        return false;
    }
    let (year, month, day): (u32, u32, u32) = (
        y.parse().unwrap_or(0),
        m.parse().unwrap_or(0),
        d.parse().unwrap_or(0),
    );
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

fn valid_time(time: &str) -> bool {
    let (clock, zone) = if let Some(t) = time.strip_suffix(['Z', 'z']) {
        (t, None)
    } else if let Some(i) = time.rfind(['+', '-']) {
        (&time[..i], Some(&time[i + 1..]))
    } else {
        (time, None)
    };
    let clock = clock.split('.').next().unwrap_or("");
    let two_digits = |s: &str, max: u32| s.len() == 2 && s.parse::<u32>().is_ok_and(|v| v <= max);
    let parts: Vec<&str> = clock.split(':').collect();
    let clock_ok = match parts.as_slice() {
        [h, m] => two_digits(h, 23) && two_digits(m, 59),
        [h, m, s] => two_digits(h, 23) && two_digits(m, 59) && two_digits(s, 60),
        _ => false,
    };
    let zone_ok = zone.is_none_or(
        |z| matches!(z.split_once(':'), Some((h, m)) if two_digits(h, 23) && two_digits(m, 59)),
    );
    clock_ok && zone_ok
}

/// The date part of `YYYY-MM-DD...`.
pub(crate) fn parse_day(text: &str) -> Option<(u32, u32, u32)> {
    let date = text.get(..10)?;
    let mut parts = date.split('-');
    let year = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some((year, month, day))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_from_days() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(today().len(), 10);
    }

    #[test]
    fn persian_days() {
        let persian = |d| Calendar::Persian.day(d).unwrap();
        // Nowruz: the first day of Farvardin falls on the March equinox.
        assert_eq!(persian((2026, 3, 21)), (1405, 1, 1));
        assert_eq!(persian((2026, 3, 20)), (1404, 12, 29));
        assert_eq!(persian((2025, 3, 21)), (1404, 1, 1));
        // 1403 is a leap year: Esfand has 30 days.
        assert_eq!(persian((2025, 3, 20)), (1403, 12, 30));
        assert_eq!(persian((2026, 12, 1)), (1405, 9, 10));
        assert_eq!(persian((1979, 2, 11)), (1357, 11, 22));
        assert_eq!(Calendar::Gregorian.day((2026, 3, 21)), Some((2026, 3, 21)));
        assert_eq!(Calendar::Persian.day((2026, 2, 31)), None);
    }

    #[test]
    fn dates() {
        for good in [
            "2026-11-01",
            "2024-02-29",
            "2026-12-01T00:00:00Z",
            "2026-12-01T10:30+02:00",
            "2026-12-01 10:30:15.5Z",
        ] {
            assert!(is_date(good), "{good}");
        }
        for bad in [
            "2026-13-01",
            "2023-02-29",
            "26-1-1",
            "2026-12-01T25:00Z",
            "tomorrow",
            "",
        ] {
            assert!(!is_date(bad), "{bad}");
        }
    }
}
