use super::render::parse_width;
use super::*;

#[test]
fn json_output_escapes_what_serde_json_leaves_raw() {
    let title = "a\u{7f}b\u{85}c\u{9b}2J\u{2028}\u{202e}x\u{2067}y\u{2069} عربي \u{200f}";
    let mut out = Vec::new();
    write_json(&mut out, &[title]).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(
        text,
        "[\n  \"a\\u007fb\\u0085c\\u009b2J\\u2028\\u202ex\\u2067y\\u2069 عربي \u{200f}\"\n]\n"
    );
    let back: Vec<String> = serde_json::from_str(&text).unwrap();
    assert_eq!(back, [title]);
}

#[test]
fn widths_beyond_the_cap_are_usage_errors() {
    assert_eq!(parse_width("0"), Ok(0));
    assert_eq!(parse_width("10000"), Ok(10_000));
    assert_eq!(
        parse_width("4294967296"),
        Err(BadValue("the width is at most 10000 columns".to_owned()))
    );
    assert!(parse_width("\u{1b}[2J").unwrap_err().0.contains("'␛[2J'"));
}
