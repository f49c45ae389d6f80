//! Dates as newspapers print them: ISO 8601, RFC 2822, `dd/mm/yyyy`, and day-month-year lines
//! in English or Arabic, with any of the three regional sets of Arabic month names.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use serde::{Serialize, Serializer};

/// A date as found in an article: the text as printed, and what it means when it parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArticleDate {
    /// The text as printed (sanitized).
    pub original: String,
    /// The parsed value, when the text is a date qari understands.
    pub value: Option<DateValue>,
}

/// A parsed date: an instant with its offset, or a calendar day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateValue {
    /// A moment, with the offset it was written in.
    Instant(DateTime<FixedOffset>),
    /// A day without a time.
    Day(NaiveDate),
}

impl DateValue {
    /// The calendar day (in the date's own offset).
    pub fn day(self) -> NaiveDate {
        match self {
            Self::Instant(t) => t.date_naive(),
            Self::Day(d) => d,
        }
    }

    /// A key that sorts dates in time order: seconds since the epoch (a bare day counts from
    /// its midnight, UTC).
    pub fn sort_key(self) -> i64 {
        match self {
            Self::Instant(t) => t.timestamp(),
            Self::Day(d) => d.and_time(NaiveTime::MIN).and_utc().timestamp(),
        }
    }

    /// ISO 8601: `2017-11-16` for a day, RFC 3339 for an instant.
    pub fn to_iso(self) -> String {
        match self {
            Self::Instant(t) => t.to_rfc3339(),
            Self::Day(d) => d.format("%Y-%m-%d").to_string(),
        }
    }
}

impl Serialize for DateValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_iso())
    }
}

/// Month names, keyed by their folded spelling (see [`fold_name`]). Egyptian/Gulf, Levantine
/// (two-word names are joined by one space), Maghrebi and Moroccan sets, then English.
const MONTHS: &[(&str, u32)] = &[
    // Egypt and the Gulf.
    ("يناير", 1),
    ("فبراير", 2),
    ("مارس", 3),
    ("ابريل", 4),
    ("ابريال", 4),
    ("مايو", 5),
    ("يونيو", 6),
    ("يونيه", 6),
    ("يوليو", 7),
    ("يوليه", 7),
    ("اغسطس", 8),
    ("سبتمبر", 9),
    ("اكتوبر", 10),
    ("نوفمبر", 11),
    ("ديسمبر", 12),
    // The Levant and Iraq.
    ("كانون الثاني", 1),
    ("شباط", 2),
    ("اذار", 3),
    ("نيسان", 4),
    ("ايار", 5),
    ("حزيران", 6),
    ("تموز", 7),
    ("اب", 8),
    ("ايلول", 9),
    ("تشرين الاول", 10),
    ("تشرين الثاني", 11),
    ("كانون الاول", 12),
    // Tunisia and Algeria.
    ("جانفي", 1),
    ("فيفري", 2),
    ("افريل", 4),
    ("ماي", 5),
    ("جوان", 6),
    ("جويليه", 7),
    ("جويلة", 7),
    ("اوت", 8),
    // Morocco.
    ("يوليوز", 7),
    ("غشت", 8),
    ("شتنبر", 9),
    ("نونبر", 11),
    ("دجنبر", 12),
    // English.
    ("january", 1),
    ("february", 2),
    ("march", 3),
    ("april", 4),
    ("may", 5),
    ("june", 6),
    ("july", 7),
    ("august", 8),
    ("september", 9),
    ("sept", 9),
    ("october", 10),
    ("november", 11),
    ("december", 12),
];

/// Day names (folded) and other words a date line may hold that carry no value.
const NOISE: &[&str] = &[
    "الاحد",
    "الاثنين",
    "الثلاثاء",
    "الاربعاء",
    "الخميس",
    "الجمعه",
    "السبت",
    "يوم",
    "في",
    "م",
    "ه",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "mon",
    "tue",
    "tues",
    "wed",
    "thu",
    "thur",
    "thurs",
    "fri",
    "sat",
    "sun",
    "on",
    "at",
    "the",
    "of",
    "gmt",
    "utc",
    "am",
    "pm",
    "published",
    "updated",
];

/// Parses a date line. Returns `None` unless the whole text is a date: a paragraph that merely
/// mentions a date is not one.
pub fn parse_date(text: &str) -> Option<DateValue> {
    let s = normalize_digits(text);
    let s = s.trim();
    if s.is_empty() || s.len() > 80 {
        return None;
    }
    parse_standard(s).or_else(|| parse_words(s))
}

/// Arabic-Indic and extended Arabic-Indic digits to ASCII; bidi marks removed.
fn normalize_digits(s: &str) -> String {
    s.chars()
        .filter(|&c| !super::is_bidi_control(c))
        .map(|c| match c {
            '\u{0660}'..='\u{0669}' => char::from(b'0' + (u32::from(c) - 0x0660) as u8),
            '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (u32::from(c) - 0x06F0) as u8),
            '\u{066B}' => '.',
            '\u{066C}' | '\u{060C}' => ',',
            '\u{00A0}' | '\u{202F}' => ' ',
            _ => c,
        })
        .collect()
}

fn parse_standard(s: &str) -> Option<DateValue> {
    // Every standard form starts with a digit, but RFC 2822's optional day name.
    let first = s.bytes().next()?;
    if first.is_ascii_alphabetic() {
        return DateTime::parse_from_rfc2822(s).ok().map(DateValue::Instant);
    }
    if !first.is_ascii_digit() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(DateValue::Instant(t));
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S %z",
        "%Y-%m-%d %H:%M:%S%z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M %z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Some(DateValue::Instant(t));
        }
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(s) {
        return Some(DateValue::Instant(t));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(DateValue::Instant(
                FixedOffset::east_opt(0)?.from_utc_datetime(&t),
            ));
        }
    }
    for fmt in ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
            return Some(DateValue::Day(d));
        }
    }
    None
}

/// Folds a word for lookup: Latin lower-cased, hamza carriers and taa marbuta unified, tashkeel
/// and tatweel dropped.
fn fold_name(w: &str) -> String {
    w.chars()
        .filter(|&c| !matches!(c, '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}'))
        .map(|c| match c {
            'أ' | 'إ' | 'آ' | 'ٱ' => 'ا',
            'ة' => 'ه',
            'ى' => 'ي',
            _ => c.to_ascii_lowercase(),
        })
        .collect()
}

fn month_of(word: &str) -> Option<u32> {
    if let Some(&(_, m)) = MONTHS.iter().find(|(name, _)| *name == word) {
        return Some(m);
    }
    // Three-letter English abbreviations: "Nov", "Sep".
    if word.len() == 3 && word.is_ascii() {
        return MONTHS
            .iter()
            .find(|(name, _)| name.is_ascii() && name.starts_with(word))
            .map(|&(_, m)| m);
    }
    None
}

/// Day, month name and year in any order, with day names and time allowed around them.
fn parse_words(s: &str) -> Option<DateValue> {
    let spaced: String = s
        .chars()
        .map(|c| {
            if matches!(c, '-' | ',' | '/' | '–' | '—' | '|' | '(' | ')') {
                ' '
            } else {
                c
            }
        })
        .collect();
    let words: Vec<String> = spaced
        .split_whitespace()
        .map(|w| fold_name(w.trim_end_matches('.')))
        .collect();
    let (mut day, mut month, mut year, mut time) = (None, None, None, None);
    let mut i = 0;
    while i < words.len() {
        let w = words[i].as_str();
        if let Some(next) = words.get(i + 1) {
            let two = format!("{w} {next}");
            if let Some(m) = month_of(&two) {
                month = month.or(Some(m));
                i += 2;
                continue;
            }
        }
        if let Some(m) = month_of(w) {
            if month.is_some() {
                return None;
            }
            month = Some(m);
        } else if w.bytes().all(|b| b.is_ascii_digit()) {
            let n: u32 = w.parse().ok()?;
            if w.len() == 4 && year.is_none() {
                year = Some(i32::try_from(n).ok()?);
            } else if w.len() <= 2 && day.is_none() && (1..=31).contains(&n) {
                day = Some(n);
            } else {
                return None;
            }
        } else if w.contains(':') && time.is_none() {
            time = NaiveTime::parse_from_str(w, "%H:%M:%S")
                .or_else(|_| NaiveTime::parse_from_str(w, "%H:%M"))
                .ok();
            time?;
        } else if !NOISE.contains(&w) {
            return None;
        }
        i += 1;
    }
    let date = NaiveDate::from_ymd_opt(year?, month?, day?)?;
    Some(match time {
        Some(t) => {
            DateValue::Instant(FixedOffset::east_opt(0)?.from_utc_datetime(&date.and_time(t)))
        }
        None => DateValue::Day(date),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Option<String> {
        parse_date(s).map(|d| d.day().to_string())
    }

    #[test]
    fn standard_forms() {
        assert_eq!(
            parse_date("2017-06-18T13:50:00+01:00")
                .map(DateValue::to_iso)
                .as_deref(),
            Some("2017-06-18T13:50:00+01:00")
        );
        assert_eq!(
            parse_date("2025-01-07 11:33:25 +1300")
                .map(DateValue::to_iso)
                .as_deref(),
            Some("2025-01-07T11:33:25+13:00")
        );
        assert_eq!(
            parse_date("Fri, 27 Apr 2018 00:39:34 GMT")
                .map(DateValue::to_iso)
                .as_deref(),
            Some("2018-04-27T00:39:34+00:00")
        );
        assert_eq!(day("23/09/2016").as_deref(), Some("2016-09-23"));
        assert_eq!(day("2016-09-23").as_deref(), Some("2016-09-23"));
    }

    #[test]
    fn the_seed_dates() {
        assert_eq!(
            day("الخميس - 16 نوفمبر 2017").as_deref(),
            Some("2017-11-16")
        );
        assert_eq!(day("Thu - 16 Nov 2017").as_deref(), Some("2017-11-16"));
    }

    #[test]
    fn english_month_names() {
        assert_eq!(day("2025 January 07").as_deref(), Some("2025-01-07"));
        assert_eq!(day("January 7, 2025").as_deref(), Some("2025-01-07"));
        assert_eq!(day("Tuesday, 7 Jan. 2025").as_deref(), Some("2025-01-07"));
    }

    #[test]
    fn arabic_month_sets_and_digits() {
        assert_eq!(day("5 جوان 2017").as_deref(), Some("2017-06-05"));
        assert_eq!(day("12 جانفي 2016").as_deref(), Some("2016-01-12"));
        assert_eq!(day("3 فيفري 2016").as_deref(), Some("2016-02-03"));
        assert_eq!(day("1 أفريل 2017").as_deref(), Some("2017-04-01"));
        assert_eq!(day("9 ماي 2017").as_deref(), Some("2017-05-09"));
        assert_eq!(day("14 جويلية 2017").as_deref(), Some("2017-07-14"));
        assert_eq!(day("2 أوت 2016").as_deref(), Some("2016-08-02"));
        assert_eq!(day("16 تشرين الثاني 2017").as_deref(), Some("2017-11-16"));
        assert_eq!(day("1 كانون الثاني 2018").as_deref(), Some("2018-01-01"));
        assert_eq!(day("31 كانون الأول 2017").as_deref(), Some("2017-12-31"));
        assert_eq!(day("السبت 4 آذار 2017").as_deref(), Some("2017-03-04"));
        assert_eq!(day("10 يوليوز 2019").as_deref(), Some("2019-07-10"));
        assert_eq!(day("20 غشت 2019").as_deref(), Some("2019-08-20"));
        assert_eq!(day("3 نونبر 2019").as_deref(), Some("2019-11-03"));
        assert_eq!(day("25 دجنبر 2019").as_deref(), Some("2019-12-25"));
        assert_eq!(day("7 يونيو 2019").as_deref(), Some("2019-06-07"));
        assert_eq!(day("الأربعاء ١٦ نوفمبر ٢٠١٧").as_deref(), Some("2017-11-16"));
        assert_eq!(day("۱۶ نوفمبر ۲۰۱۷").as_deref(), Some("2017-11-16"));
        assert_eq!(day("١٦/١١/٢٠١٧").as_deref(), Some("2017-11-16"));
    }

    #[test]
    fn sentences_are_not_dates() {
        assert_eq!(day("ويليام الثالث (1650 م - 1702 م) ."), None);
        assert_eq!(day("The war began on 7 January 2025 in the north"), None);
        assert_eq!(day("31 February 2017"), None);
        assert_eq!(day(""), None);
        assert_eq!(day("2017"), None);
    }
}
