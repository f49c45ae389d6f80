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

fn iso(s: &str) -> Option<String> {
    parse_date(s).map(DateValue::to_iso)
}

#[test]
fn dual_month_names() {
    assert_eq!(day("13 أيار/مايو 2024").as_deref(), Some("2024-05-13"));
    assert_eq!(day("13 تموز (يوليو) 2024").as_deref(), Some("2024-07-13"));
    assert_eq!(
        day("الاثنين 1 كانون الثاني/يناير 2024").as_deref(),
        Some("2024-01-01")
    );
    assert_eq!(day("13 أيار/يونيو 2024"), None, "two months that disagree");
}

#[test]
fn day_names_with_numeric_dates() {
    assert_eq!(day("الخميس 13/06/2024").as_deref(), Some("2024-06-13"));
    assert_eq!(day("الخميس، 13/06/2024").as_deref(), Some("2024-06-13"));
    assert_eq!(day("Thursday 13.06.2024").as_deref(), Some("2024-06-13"));
    assert_eq!(
        iso("الخميس 13/06/2024 - 10:30").as_deref(),
        Some("2024-06-13T10:30:00+00:00")
    );
}

#[test]
fn twelve_hour_times() {
    assert_eq!(
        iso("13 يونيو 2024 ١٠:٣٠ ص").as_deref(),
        Some("2024-06-13T10:30:00+00:00")
    );
    assert_eq!(
        iso("13 يونيو 2024 ١٠:٣٠ م").as_deref(),
        Some("2024-06-13T22:30:00+00:00")
    );
    assert_eq!(
        iso("الخميس 13/06/2024 12:05 ص").as_deref(),
        Some("2024-06-13T00:05:00+00:00")
    );
    assert_eq!(
        iso("June 13, 2024 10:30 pm").as_deref(),
        Some("2024-06-13T22:30:00+00:00")
    );
    assert_eq!(
        iso("June 13, 2024 at 9:05am").as_deref(),
        Some("2024-06-13T09:05:00+00:00")
    );
    // `م` after a year is "AD", not "pm".
    assert_eq!(day("13 يونيو 2024 م").as_deref(), Some("2024-06-13"));
}

#[test]
fn labels() {
    assert_eq!(day("نشر في: 13 يونيو 2024").as_deref(), Some("2024-06-13"));
    assert_eq!(
        day("تاريخ النشر: 13/06/2024").as_deref(),
        Some("2024-06-13")
    );
    assert_eq!(day("تاريخ النشر 2024-06-13").as_deref(), Some("2024-06-13"));
    assert_eq!(
        iso("Published: 2024-06-13T10:00:00Z").as_deref(),
        Some("2024-06-13T10:00:00+00:00")
    );
    assert_eq!(day("Updated: June 14, 2024").as_deref(), Some("2024-06-14"));
    assert_eq!(
        day("Published: June 13, 2024 | Updated: June 14, 2024").as_deref(),
        Some("2024-06-13")
    );
    assert_eq!(
        day("آخر تحديث: الخميس 13 يونيو 2024").as_deref(),
        Some("2024-06-13")
    );
}

#[test]
fn english_ordinals() {
    assert_eq!(day("June 13th, 2024").as_deref(), Some("2024-06-13"));
    assert_eq!(day("1st March 2024").as_deref(), Some("2024-03-01"));
    assert_eq!(
        day("Sunday, the 22nd of September 2024").as_deref(),
        Some("2024-09-22")
    );
    assert_eq!(day("3rd of May, 2024").as_deref(), Some("2024-05-03"));
    assert_eq!(day("June 13xx, 2024"), None);
}

#[test]
fn lines_that_look_like_dates() {
    assert!(looks_like_date(
        "نشر في: 13 يونيو 2024 الساعة 10:30 بتوقيت مكة"
    ));
    assert!(looks_like_date("Posted 13/06/2024 by the desk"));
    assert!(!looks_like_date("ويليام الثالث (1650 م - 1702 م) ."));
    assert!(!looks_like_date(
        "بريا راي ممثلة أفلام هندو-أمريكية مولودة بتاريخ 25 ديسمبر 1980"
    ));
    assert!(!looks_like_date("June was warm"));
}

#[test]
fn hijri_beside_gregorian() {
    assert_eq!(
        day("الخميس 7 ذو الحجة 1445 هـ الموافق 13 يونيو 2024 م").as_deref(),
        Some("2024-06-13")
    );
    assert_eq!(
        day("13 يونيو 2024 - 7 ذو الحجة 1445").as_deref(),
        Some("2024-06-13")
    );
    assert_eq!(
        day("١٣/٠٦/٢٠٢٤ م | ٧/١٢/١٤٤٥ هـ").as_deref(),
        Some("2024-06-13")
    );
    assert_eq!(
        day("7 ذو الحجة 1445 هـ"),
        None,
        "a Hijri date alone is not taken"
    );
    assert_eq!(day("7 ذو الحجة 1445 هـ - وقال الوزير"), None);
}

#[test]
fn iso_text_reads_back_as_the_same_date() {
    for text in [
        "2017-11-16",
        "2024-06-13T10:00:00+03:00",
        "1999-12-31T23:59:59-05:30",
    ] {
        let d = DateValue::from_iso(text).unwrap();
        assert_eq!(d.to_iso(), text);
        assert_eq!(DateValue::from_iso(&d.to_iso()), Some(d));
    }
    assert_eq!(DateValue::from_iso("16/11/2017"), None);
    assert_eq!(DateValue::from_iso(""), None);
}
