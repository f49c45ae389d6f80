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

    /// The date [`Self::to_iso`] wrote.
    pub fn from_iso(text: &str) -> Option<Self> {
        if let Ok(t) = DateTime::parse_from_rfc3339(text) {
            return Some(Self::Instant(t));
        }
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .map(Self::Day)
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

/// Hijri month names (folded), which mark a part of a date line as a Hijri date.
const HIJRI_MONTHS: &[&str] = &[
    "محرم",
    "صفر",
    "ربيع",
    "جمادي",
    "جماد",
    "رجب",
    "شعبان",
    "رمضان",
    "شوال",
    "ذو",
    "ذي",
    "القعده",
    "الحجه",
];

/// Day names (folded), labels and other words a date line may hold that carry no value.
const NOISE: &[&str] = &[
    "الاحد",
    "الاثنين",
    "الإثنين",
    "الثلاثاء",
    "الاربعاء",
    "الخميس",
    "الجمعه",
    "السبت",
    "يوم",
    "في",
    "م",
    "الساعه",
    "نشر",
    "تاريخ",
    "النشر",
    "بتاريخ",
    "اخر",
    "تحديث",
    "التحديث",
    "تم",
    "محدث",
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
    "published",
    "updated",
    "last",
    "posted",
    "date",
    "modified",
    "first",
];

/// Words after a time that make it before noon.
const AM: &[&str] = &["am", "a.m", "ص", "صباحا", "صباحاً", "صباح"];
/// Words after a time that make it after noon (`م` after a year means AD instead).
const PM: &[&str] = &[
    "pm",
    "p.m",
    "م",
    "مساء",
    "مساءا",
    "مساءً",
    "ظهرا",
    "عصرا",
    "ليلا",
];

/// The longest date line looked at, in bytes.
const MAX_DATE_BYTES: usize = 200;

/// Parses a date line. Returns `None` unless the whole text is a date: a paragraph that merely
/// mentions a date is not one. Labels (`Published:`, `نشر في:`), day names, times (`10:30 pm`,
/// `١٠:٣٠ ص`) and a Hijri date beside the Gregorian one are allowed around it.
pub fn parse_date(text: &str) -> Option<DateValue> {
    if text.len() > MAX_DATE_BYTES * 4 {
        return None;
    }
    let s = normalize_digits(text);
    let s = s.trim();
    if s.is_empty() || s.len() > MAX_DATE_BYTES {
        return None;
    }
    parse_one(s)
        .or_else(|| parse_segments(s, false))
        .or_else(|| parse_segments(s, true))
}

/// Whether a line that did not parse looks like a date all the same: a year of our era (four
/// digits, 1800 to 2199) and a month name, a numeric date or a time.
pub(super) fn looks_like_date(text: &str) -> bool {
    if text.len() > MAX_DATE_BYTES {
        return false;
    }
    let s = normalize_digits(text);
    let (mut year, mut other, mut unknown) = (false, false, 0usize);
    for w in s.split(|c: char| {
        c.is_whitespace() || matches!(c, ',' | '،' | '(' | ')' | '|' | '-' | '/' | '.')
    }) {
        let w = ordinal(w).unwrap_or(w).trim_end_matches(':');
        let folded = fold_name(w);
        if w.is_empty() || w.bytes().all(|b| b.is_ascii_digit()) {
            year |= w.len() == 4 && ("1800".."2200").contains(&w);
        } else if month_of(&folded).is_some() || w.contains(':') {
            other = true;
        } else if !NOISE.contains(&folded.as_str()) && !HIJRI_MONTHS.contains(&folded.as_str()) {
            unknown += 1;
        }
    }
    let numeric = s.split_whitespace().any(|w| numeric_day(w).is_some());
    (numeric || (year && other)) && unknown <= 2
}

fn parse_one(s: &str) -> Option<DateValue> {
    parse_standard(s)
        .or_else(|| parse_standard(strip_leading_words(s)?))
        .or_else(|| parse_words(s).and_then(Part::gregorian))
}

/// The text after leading labels and day names (`Published: 2024-…`, `الخميس 13/06/2024`), when
/// there are any.
fn strip_leading_words(s: &str) -> Option<&str> {
    let mut rest = s;
    loop {
        let t = rest.trim_start_matches(|c: char| {
            c.is_whitespace() || matches!(c, ':' | ',' | '،' | '-' | '–' | '—' | '|')
        });
        let end = t.find(char::is_whitespace).unwrap_or(t.len());
        let word = t.get(..end)?;
        let bare = word.trim_end_matches([':', ',', '،']);
        if bare.is_empty() || !NOISE.contains(&fold_name(bare).as_str()) {
            return (t.len() < s.len()).then_some(t);
        }
        rest = t.get(end..)?;
    }
}

/// A line of parts joined by separators (`الموافق`, ` - `, `|`, `،`): each part a date, a Hijri
/// date or words without a value, and one of them Gregorian (the first is taken). Commas
/// separate parts only when `commas` is set (they also sit inside `June 13, 2024`).
fn parse_segments(s: &str, commas: bool) -> Option<DateValue> {
    let mut found = None;
    let mut any_date = false;
    let separators: &[char] = if commas {
        &['|', '•', '،', ',']
    } else {
        &['|', '•']
    };
    for part in s
        .split(separators)
        .flat_map(|p| p.split(" - "))
        .flat_map(|p| p.split(" – "))
        .flat_map(|p| p.split(" — "))
        .flat_map(|p| p.split(" / "))
        .flat_map(|p| p.split("الموافق"))
    {
        let part = part.trim().trim_start_matches(['ل', 'ـ']).trim();
        if part.is_empty() {
            continue;
        }
        let value = parse_standard(part)
            .or_else(|| strip_leading_words(part).and_then(parse_standard))
            .map(Part::Date)
            .or_else(|| parse_words(part))?;
        match value {
            Part::Date(d) => {
                any_date = true;
                found = found.or(Some(d));
            }
            Part::Hijri => any_date = true,
            Part::Noise => {}
        }
    }
    found.filter(|_| any_date)
}

/// What one run of words is.
#[derive(Debug, Clone, Copy)]
enum Part {
    /// A Gregorian date.
    Date(DateValue),
    /// A Hijri date (its value is not used).
    Hijri,
    /// Only words without a value.
    Noise,
}

impl Part {
    fn gregorian(self) -> Option<DateValue> {
        match self {
            Self::Date(d) => Some(d),
            _ => None,
        }
    }
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
        "%Y-%m-%dT%H:%M%z",
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
    numeric_day(s).map(DateValue::Day)
}

/// `2024-06-13`, `13/06/2024`, `13-06-2024`, `13.06.2024` or `2024/06/13`.
fn numeric_day(s: &str) -> Option<NaiveDate> {
    ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d"]
        .iter()
        .find_map(|fmt| NaiveDate::parse_from_str(s, fmt).ok())
        .filter(|_| s.len() >= 8)
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

/// One token of a date line.
#[derive(Debug)]
enum Token {
    /// A whole numeric date (`13/06/2024`).
    Day(NaiveDate),
    /// A time of day, with `am`/`pm` glued on if it was.
    Time(NaiveTime, Option<bool>),
    /// A number, with its digit count.
    Number(u32, usize),
    /// A word, folded.
    Word(String),
}

/// A time `10:30`, `10:30:15`, with an `am`/`pm` suffix glued on or not.
fn time_token(w: &str) -> Option<(NaiveTime, Option<bool>)> {
    let lower = w.to_ascii_lowercase();
    let (clock, half) = if let Some(c) = lower.strip_suffix("am") {
        (c, Some(false))
    } else if let Some(c) = lower.strip_suffix("pm") {
        (c, Some(true))
    } else {
        (lower.as_str(), None)
    };
    let t = NaiveTime::parse_from_str(clock, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(clock, "%H:%M"))
        .ok()?;
    Some((t, half))
}

/// `13th`, `1st`, `22nd`, `3rd` to the number.
fn ordinal(w: &str) -> Option<&str> {
    let lower = w.len().checked_sub(2)?;
    let (num, suffix) = (w.get(..lower)?, w.get(lower..)?);
    (["st", "nd", "rd", "th"].contains(&suffix.to_ascii_lowercase().as_str())
        && !num.is_empty()
        && num.bytes().all(|b| b.is_ascii_digit()))
    .then_some(num)
}

fn tokens(s: &str) -> Option<Vec<Token>> {
    let mut out = Vec::new();
    for raw in s.split(|c: char| {
        c.is_whitespace() || matches!(c, ',' | '(' | ')' | '|' | '–' | '—' | '[' | ']')
    }) {
        let raw = raw.trim_end_matches([':', '.']).trim_start_matches(':');
        if raw.is_empty() {
            continue;
        }
        if let Some(d) = numeric_day(raw) {
            out.push(Token::Day(d));
            continue;
        }
        if raw.contains(':') {
            let (t, half) = time_token(raw)?;
            out.push(Token::Time(t, half));
            continue;
        }
        for w in raw.split(['-', '/']) {
            let w = w.trim_end_matches('.');
            if w.is_empty() {
                continue;
            }
            let digits = ordinal(w).unwrap_or(w);
            if digits.bytes().all(|b| b.is_ascii_digit()) {
                out.push(Token::Number(digits.parse().ok()?, digits.len()));
            } else {
                out.push(Token::Word(fold_name(w)));
            }
        }
    }
    Some(out)
}

/// Day, month name and year in any order (a month may be named twice, as in `أيار/مايو`), or a
/// numeric date, with day names, labels and a time around them. `None` when a word is not
/// one of these.
fn parse_words(line: &str) -> Option<Part> {
    let toks = tokens(line)?;
    let (mut day, mut month, mut year, mut time) = (None, None, None, None);
    let mut full: Option<NaiveDate> = None;
    let mut hijri = false;
    let mut last_was_time = false;
    let mut i = 0;
    while i < toks.len() {
        let was_time = std::mem::take(&mut last_was_time);
        match &toks[i] {
            Token::Day(date) => {
                if full.is_some() {
                    return None;
                }
                full = Some(*date);
            }
            Token::Time(clock, half) => {
                if time.is_some() {
                    return None;
                }
                time = Some(apply_half(*clock, *half)?);
                last_was_time = half.is_none();
            }
            Token::Number(n, len) => {
                if *len == 4 && year.is_none() {
                    year = Some(i32::try_from(*n).ok()?);
                } else if *len <= 2 && day.is_none() && (1..=31).contains(n) {
                    day = Some(*n);
                } else {
                    return None;
                }
            }
            Token::Word(w) => {
                let two = match toks.get(i + 1) {
                    Some(Token::Word(next)) => month_of(&format!("{w} {next}")),
                    _ => None,
                };
                if let Some(m) = two {
                    if month.is_some_and(|old| old != m) {
                        return None;
                    }
                    month = Some(m);
                    i += 2;
                    continue;
                }
                if was_time && (AM.contains(&w.as_str()) || PM.contains(&w.as_str())) {
                    let clock = time.take()?;
                    time = Some(apply_half(clock, Some(PM.contains(&w.as_str())))?);
                } else if let Some(m) = month_of(w) {
                    // A month given twice (`أيار/مايو`, `تموز (يوليو)`) must agree.
                    if month.is_some_and(|old| old != m) {
                        return None;
                    }
                    month = Some(m);
                } else if HIJRI_MONTHS.contains(&w.as_str()) || w == "ه" || w == "هـ" || w == "ah"
                {
                    hijri = true;
                } else if !NOISE.contains(&w.as_str()) {
                    return None;
                }
            }
        }
        i += 1;
    }
    if hijri {
        return Some(Part::Hijri);
    }
    let date = match (full, day, month, year) {
        (Some(d), None, None, None) => d,
        (None, Some(dd), Some(mm), Some(yy)) => NaiveDate::from_ymd_opt(yy, mm, dd)?,
        (None, None, None, None) if time.is_none() => return Some(Part::Noise),
        _ => return None,
    };
    Some(Part::Date(match time {
        Some(clock) => {
            DateValue::Instant(FixedOffset::east_opt(0)?.from_utc_datetime(&date.and_time(clock)))
        }
        None => DateValue::Day(date),
    }))
}

/// A 12-hour time made 24-hour: `Some(true)` after noon, `Some(false)` before.
fn apply_half(t: NaiveTime, pm: Option<bool>) -> Option<NaiveTime> {
    use chrono::Timelike;
    let Some(pm) = pm else { return Some(t) };
    let h = t.hour();
    if h == 0 || h > 12 {
        // `14:00 م` says the same twice; `0:30 am` is plain.
        return Some(t);
    }
    let h24 = match (h, pm) {
        (12, false) => 0,
        (12, true) => 12,
        (h, false) => h,
        (h, true) => h + 12,
    };
    t.with_hour(h24)
}

#[cfg(test)]
mod tests;
