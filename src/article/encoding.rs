//! Bytes to text: the byte order mark, then valid UTF-8, then the encoding the file declares
//! (HTML `<meta charset>` / `http-equiv`, an XML declaration), then a guess from the bytes
//! (chardetng), over every encoding of the WHATWG Encoding Standard (`encoding_rs`).

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE};
use serde::{Serialize, Serializer};

use super::{ArticleError, Format};

/// How many bytes at the start of a file are looked at to tell a binary file (a NUL byte) or
/// UTF-16 without a byte order mark.
const SNIFF_BYTES: usize = 8 * 1024;

/// How far into a file a `<meta charset>` or an XML declaration is looked for (the HTML
/// standard's prescan reads 1,024 bytes; saved pages often put a long comment first).
const DECLARATION_BYTES: usize = 4 * 1024;

/// How many bytes the detector is given at most: enough for any article's letters to show.
const DETECT_BYTES: usize = 256 * 1024;

/// Fewer non-ASCII characters than this are too little to tell one legacy encoding from
/// another: such a file is read as damaged UTF-8.
const MIN_EVIDENCE: usize = 4;

/// How the encoding of a file was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Found {
    /// The file is valid UTF-8 (the usual case).
    Utf8,
    /// A byte order mark said so.
    Bom,
    /// The file declares it (`<meta charset>`, `http-equiv`, an XML declaration).
    Declared,
    /// Guessed from the bytes, the file declaring nothing (or something its bytes deny).
    Detected,
    /// No encoding explains the bytes: read as UTF-8, bad bytes replaced.
    Lossy,
}

/// The character encoding a file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TextEncoding {
    /// The encoding's WHATWG name: `UTF-8`, `windows-1256`, `ISO-8859-6`, `UTF-16LE`, …
    pub name: &'static str,
    /// How it was found.
    pub found: Found,
}

impl TextEncoding {
    /// Valid UTF-8, the default.
    pub const UTF8: Self = Self {
        name: "UTF-8",
        found: Found::Utf8,
    };

    /// Whether the file was read in another encoding than UTF-8, or with a byte order mark
    /// (worth telling in `check`; a lossy read has its own warning).
    pub fn is_notable(self) -> bool {
        !matches!(self.found, Found::Utf8 | Found::Lossy)
    }

    /// How it was found, as the end of a sentence: "read as windows-1256 (declared in the
    /// file)".
    pub fn describe(self) -> String {
        let how = match self.found {
            Found::Utf8 => "valid UTF-8",
            Found::Bom => "from its byte order mark",
            Found::Declared => "declared in the file",
            Found::Detected => "detected from its bytes",
            Found::Lossy => "with bad bytes replaced",
        };
        format!("read as {} ({how})", self.name)
    }
}

impl TextEncoding {
    /// The encoding as a database keeps it: its name and how it was found (0 to 4).
    pub fn to_stored(self) -> (&'static str, i64) {
        let found = match self.found {
            Found::Utf8 => 0,
            Found::Bom => 1,
            Found::Declared => 2,
            Found::Detected => 3,
            Found::Lossy => 4,
        };
        (self.name, found)
    }

    /// The encoding [`Self::to_stored`] gave; a name no encoding has is read as UTF-8.
    pub fn from_stored(name: &str, found: i64) -> Self {
        if name == Self::UTF8.name && found == 0 {
            return Self::UTF8;
        }
        let Some(encoding) = encoding_rs::Encoding::for_label(name.as_bytes()) else {
            return Self::UTF8;
        };
        let found = match found {
            1 => Found::Bom,
            2 => Found::Declared,
            3 => Found::Detected,
            4 => Found::Lossy,
            _ => Found::Utf8,
        };
        Self {
            name: encoding.name(),
            found,
        }
    }
}

impl Default for TextEncoding {
    fn default() -> Self {
        Self::UTF8
    }
}

impl Serialize for TextEncoding {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name)
    }
}

/// Checks and decodes the bytes of a file. Binary and empty files are errors; bytes that no
/// encoding explains are decoded as UTF-8 lossily, with a warning. A byte order mark is
/// dropped.
pub(super) fn decode<'a>(
    bytes: &'a [u8],
    format: Format,
    warnings: &mut Vec<String>,
) -> Result<(Cow<'a, str>, TextEncoding), ArticleError> {
    let (text, encoding) = decode_any(bytes, format, warnings)?;
    if text.trim().is_empty() {
        return Err(ArticleError::Empty);
    }
    Ok((text, encoding))
}

fn decode_any<'a>(
    bytes: &'a [u8],
    format: Format,
    warnings: &mut Vec<String>,
) -> Result<(Cow<'a, str>, TextEncoding), ArticleError> {
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let rest = bytes.get(bom_len..).unwrap_or_default();
        return Ok(decode_with(
            rest,
            enc,
            Found::Bom,
            warnings,
            "its byte order mark",
        ));
    }
    let sniff = &bytes[..bytes.len().min(SNIFF_BYTES)];
    if sniff.contains(&0) {
        // UTF-16 without a byte order mark: ASCII letters leave every other byte zero.
        return match utf16_without_bom(sniff) {
            Some(enc) => Ok(decode_with(
                bytes,
                enc,
                Found::Detected,
                warnings,
                "its bytes",
            )),
            None => Err(ArticleError::Binary),
        };
    }
    // SIMD validation (most files are valid), which also says where invalid text starts.
    let bad_at = match simdutf8::compat::from_utf8(bytes) {
        Ok(s) => return Ok((Cow::Borrowed(s), TextEncoding::UTF8)),
        Err(e) => e.valid_up_to(),
    };
    if let Some((enc, label)) = declared(bytes, format)
        && enc != UTF_8
        && enc != UTF_16LE
        && enc != UTF_16BE
    {
        if let Some(text) = enc.decode_without_bom_handling_and_without_replacement(bytes) {
            return Ok((
                text,
                TextEncoding {
                    name: enc.name(),
                    found: Found::Declared,
                },
            ));
        }
        // The declaration does not fit the bytes: a guess may do better.
        let guess = detect(bytes);
        if guess != enc
            && let Some(text) = guess.decode_without_bom_handling_and_without_replacement(bytes)
            && plausible(&text)
        {
            warnings.push(format!(
                "it declares the encoding {} but its bytes are not in it; it was read as {}",
                clip_label(&label),
                guess.name()
            ));
            return Ok((
                text,
                TextEncoding {
                    name: guess.name(),
                    found: Found::Detected,
                },
            ));
        }
        return Ok(decode_with(
            bytes,
            enc,
            Found::Declared,
            warnings,
            "its declaration",
        ));
    }
    if !mostly_utf8(bytes)
        && let guess = detect(bytes)
        && guess != UTF_8
        && let Some(text) = guess.decode_without_bom_handling_and_without_replacement(bytes)
        && plausible(&text)
    {
        return Ok((
            text,
            TextEncoding {
                name: guess.name(),
                found: Found::Detected,
            },
        ));
    }
    warnings.push(format!(
        "it is not valid UTF-8 (first bad byte at offset {bad_at}) and no other encoding explains it; bad bytes are shown as \u{FFFD}"
    ));
    Ok((
        Cow::Owned(String::from_utf8_lossy(bytes).into_owned()),
        TextEncoding {
            name: "UTF-8",
            found: Found::Lossy,
        },
    ))
}

/// Decodes with `enc`, replacing malformed sequences (with a warning when there were any).
fn decode_with<'a>(
    bytes: &'a [u8],
    enc: &'static Encoding,
    found: Found,
    warnings: &mut Vec<String>,
    from: &str,
) -> (Cow<'a, str>, TextEncoding) {
    let (text, had_errors) = enc.decode_without_bom_handling(bytes);
    if had_errors {
        warnings.push(format!(
            "it is not valid {} (the encoding given by {from}); bad bytes are shown as \u{FFFD}",
            enc.name()
        ));
    }
    let text = match text {
        Cow::Owned(mut s) if s.starts_with('\u{FEFF}') => {
            s.drain(..'\u{FEFF}'.len_utf8());
            Cow::Owned(s)
        }
        other => other,
    };
    (
        text,
        TextEncoding {
            name: enc.name(),
            found,
        },
    )
}

/// UTF-16 LE or BE told by where the zero bytes are: at least a third of the code units have
/// a zero high byte, and (nearly) no low byte is zero.
fn utf16_without_bom(sniff: &[u8]) -> Option<&'static Encoding> {
    let units = sniff.len() / 2;
    if units < 2 {
        return None;
    }
    let (mut even_zero, mut odd_zero) = (0usize, 0usize);
    for pair in sniff.chunks_exact(2) {
        even_zero += usize::from(pair[0] == 0);
        odd_zero += usize::from(pair[1] == 0);
    }
    if odd_zero * 3 >= units && even_zero * 50 <= units {
        Some(UTF_16LE)
    } else if even_zero * 3 >= units && odd_zero * 50 <= units {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// The encoding the file declares, and the label as written: an XML declaration at the start,
/// or for a web page a `charset` in a `<meta>` tag near the start.
fn declared(bytes: &[u8], format: Format) -> Option<(&'static Encoding, String)> {
    let head = &bytes[..bytes.len().min(DECLARATION_BYTES)];
    let trimmed = trim_ascii_start(head);
    if trimmed.starts_with(b"<?xml")
        && let Some(end) = find(trimmed, b"?>")
        && let Some(label) = attribute_value(&trimmed[..end], b"encoding")
        && let Some(enc) = Encoding::for_label(&label)
    {
        return Some((enc, String::from_utf8_lossy(&label).into_owned()));
    }
    if format != Format::Html {
        return None;
    }
    let lower = head.to_ascii_lowercase();
    let mut at = 0;
    while let Some(start) = find(&lower[at..], b"<meta") {
        let tag_start = at + start;
        let tag_end = find(&lower[tag_start..], b">").map_or(lower.len(), |e| tag_start + e);
        let tag = &lower[tag_start..tag_end];
        if let Some(pos) = find(tag, b"charset") {
            let mut rest = &tag[pos + b"charset".len()..];
            rest = trim_ascii_start(rest);
            if let Some(r) = rest.strip_prefix(b"=") {
                let label = read_label(trim_ascii_start(r));
                if let Some(enc) = Encoding::for_label(label) {
                    return Some((enc, String::from_utf8_lossy(label).into_owned()));
                }
            }
        }
        at = tag_end;
    }
    None
}

/// The value of `name="…"` (or `'…'`) in an XML declaration.
fn attribute_value(decl: &[u8], name: &[u8]) -> Option<Vec<u8>> {
    let pos = find(decl, name)?;
    let rest = trim_ascii_start(&decl[pos + name.len()..]);
    let rest = trim_ascii_start(rest.strip_prefix(b"=")?);
    let quote = *rest.first()?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let value = &rest[1..];
    let end = value.iter().position(|&b| b == quote)?;
    Some(value[..end].to_vec())
}

/// A charset label after `=`: optionally quoted, ended by a quote, space, `;` or `/`.
fn read_label(s: &[u8]) -> &[u8] {
    let s = s
        .strip_prefix(b"\"")
        .or_else(|| s.strip_prefix(b"'"))
        .unwrap_or(s);
    let end = s
        .iter()
        .position(|&b| matches!(b, b'"' | b'\'' | b';' | b'/' | b'>') || b.is_ascii_whitespace())
        .unwrap_or(s.len());
    &s[..end]
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn trim_ascii_start(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &s[n..]
}

/// A label from the file, made printable and short for a message.
fn clip_label(label: &str) -> String {
    label
        .chars()
        .filter(char::is_ascii_graphic)
        .take(40)
        .collect()
}

/// chardetng's guess over the start of the file.
fn detect(bytes: &[u8]) -> &'static Encoding {
    let sample = &bytes[..bytes.len().min(DETECT_BYTES)];
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(sample, sample.len() == bytes.len());
    detector.guess(None, chardetng::Utf8Detection::Allow)
}

/// Mostly valid UTF-8 with a few damaged bytes: more bytes of valid multi-byte sequences than
/// bytes that fit none (a UTF-8 file cut or corrupted, not a legacy one).
fn mostly_utf8(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(DETECT_BYTES)];
    let (mut good, mut bad) = (0usize, 0usize);
    for chunk in sample.utf8_chunks() {
        good += chunk.valid().len() - chunk.valid().chars().filter(char::is_ascii).count();
        bad += chunk.invalid().len();
    }
    good > bad
}

/// A decoded text that reads as text: enough non-ASCII characters, nearly all of them letters,
/// marks, digits, spaces or common punctuation (a wrong single-byte guess yields symbols).
fn plausible(text: &str) -> bool {
    let (mut wordish, mut total) = (0usize, 0usize);
    for c in text.chars().filter(|c| !c.is_ascii()).take(4096) {
        total += 1;
        let ok = c.is_alphanumeric()
            || c.is_whitespace()
            || matches!(c,
                '\u{0610}'..='\u{061A}' | '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{06D6}'..='\u{06ED}'
                | '\u{060C}' | '\u{061B}' | '\u{061F}' | '\u{066A}'..='\u{066D}' | '\u{200C}'..='\u{200F}'
                | '«' | '»' | '“' | '”' | '‘' | '’' | '–' | '—' | '…' | '°' | '·' | '•' | '€' | '£'
                | '©' | '®' | '™' | '§' | '×' | '÷' | '\u{0300}'..='\u{036F}');
        wordish += usize::from(ok);
    }
    total >= MIN_EVIDENCE && wordish * 10 >= total * 9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_encoding_reads_back_from_its_stored_form() {
        for e in [
            TextEncoding::UTF8,
            TextEncoding {
                name: "windows-1256",
                found: Found::Detected,
            },
            TextEncoding {
                name: "UTF-16LE",
                found: Found::Bom,
            },
            TextEncoding {
                name: "ISO-8859-6",
                found: Found::Declared,
            },
            TextEncoding {
                name: "UTF-8",
                found: Found::Lossy,
            },
        ] {
            let (name, found) = e.to_stored();
            assert_eq!(TextEncoding::from_stored(name, found), e);
        }
        assert_eq!(TextEncoding::from_stored("no-such", 3), TextEncoding::UTF8);
    }

    fn enc(bytes: &[u8], format: Format) -> (String, TextEncoding, Vec<String>) {
        let mut w = Vec::new();
        let (t, e) = decode(bytes, format, &mut w).unwrap();
        (t.into_owned(), e, w)
    }

    const ARABIC: &str =
        "عنوان الخبر\n\nقال المبعوث إن داعش فقد معظم الأراضي التي كان يسيطر عليها في العراق وسوريا.";

    #[test]
    fn utf8_is_borrowed_and_plain() {
        let mut w = Vec::new();
        let (t, e) = decode(ARABIC.as_bytes(), Format::Txt, &mut w).unwrap();
        assert!(matches!(t, Cow::Borrowed(_)));
        assert_eq!(e, TextEncoding::UTF8);
        assert!(!e.is_notable());
    }

    #[test]
    fn boms_for_utf8_and_utf16() {
        let mut b = vec![0xEF, 0xBB, 0xBF];
        b.extend_from_slice(ARABIC.as_bytes());
        let (t, e, _) = enc(&b, Format::Txt);
        assert_eq!(t, ARABIC);
        assert_eq!((e.name, e.found), ("UTF-8", Found::Bom));
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        for u in ARABIC.encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
            be.extend_from_slice(&u.to_be_bytes());
        }
        let (t, e, w) = enc(&le, Format::Txt);
        assert_eq!(
            (t.as_str(), e.name, e.found),
            (ARABIC, "UTF-16LE", Found::Bom)
        );
        assert!(w.is_empty());
        let (t, e, _) = enc(&be, Format::Txt);
        assert_eq!((t.as_str(), e.name), (ARABIC, "UTF-16BE"));
    }

    #[test]
    fn utf16_without_bom_is_told_from_binary() {
        let text = "Title\n\nAn English text with ASCII letters only.";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let (t, e, _) = enc(&le, Format::Txt);
        assert_eq!(
            (t.as_str(), e.name, e.found),
            (text, "UTF-16LE", Found::Detected)
        );
        let mut w = Vec::new();
        assert_eq!(
            decode(b"PK\x03\x04\0\0\x14\0binary\x08\x08", Format::Txt, &mut w).unwrap_err(),
            ArticleError::Binary
        );
    }

    #[test]
    fn declared_charset_in_meta_and_xml() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1256.encode(ARABIC);
        let mut page = b"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1256\"></head><body>".to_vec();
        page.extend_from_slice(&bytes);
        let (t, e, w) = enc(&page, Format::Html);
        assert!(t.contains("قال المبعوث"), "{t}");
        assert_eq!((e.name, e.found), ("windows-1256", Found::Declared));
        assert!(w.is_empty());
        let mut page = b"<meta charset='iso-8859-6'>".to_vec();
        let (bytes, _, _) = encoding_rs::ISO_8859_6.encode(ARABIC);
        page.extend_from_slice(&bytes);
        let (_, e, _) = enc(&page, Format::Html);
        assert_eq!((e.name, e.found), ("ISO-8859-6", Found::Declared));
        let mut xml = b"<?xml version=\"1.0\" encoding=\"windows-1256\"?><rss>".to_vec();
        xml.extend_from_slice(&encoding_rs::WINDOWS_1256.encode(ARABIC).0);
        let (t, e, _) = enc(&xml, Format::Txt);
        assert!(t.contains("داعش"));
        assert_eq!((e.name, e.found), ("windows-1256", Found::Declared));
    }

    #[test]
    fn undeclared_legacy_arabic_is_detected() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1256.encode(ARABIC);
        let (t, e, w) = enc(&bytes, Format::Txt);
        assert_eq!(t, ARABIC);
        assert_eq!((e.name, e.found), ("windows-1256", Found::Detected));
        assert!(w.is_empty());
    }

    #[test]
    fn other_legacy_encodings_are_detected() {
        let french = "Le conseil municipal a voté mardi : la bibliothèque sera installée dans l'ancien dépôt, à côté de la gare. Les travaux commenceront à l'été.";
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(french);
        let (t, e, _) = enc(&bytes, Format::Txt);
        assert_eq!((t.as_str(), e.name), (french, "windows-1252"));
        let russian = "Городской совет во вторник проголосовал за то, чтобы превратить старое трамвайное депо в публичную библиотеку.";
        for legacy in [encoding_rs::WINDOWS_1251, encoding_rs::KOI8_R] {
            let (bytes, _, _) = legacy.encode(russian);
            let (t, e, _) = enc(&bytes, Format::Txt);
            assert_eq!(t, russian);
            // KOI8-U reads KOI8-R's letters the same.
            assert_eq!(e.name.get(..4), legacy.name().get(..4));
        }
        let greek = "Το δημοτικό συμβούλιο ψήφισε την Τρίτη να γίνει το παλιό αμαξοστάσιο δημόσια βιβλιοθήκη.";
        let (bytes, _, _) = encoding_rs::ISO_8859_7.encode(greek);
        let (t, _, _) = enc(&bytes, Format::Txt);
        assert_eq!(t, greek);
    }

    #[test]
    fn a_wrong_declaration_gives_way_to_the_bytes() {
        let mut page = b"<meta charset=\"iso-8859-6\">".to_vec();
        page.extend_from_slice(&encoding_rs::WINDOWS_1256.encode("پنجره گچ ژاله چاپ ").0);
        page.extend_from_slice(&encoding_rs::WINDOWS_1256.encode(ARABIC).0);
        let (t, e, w) = enc(&page, Format::Html);
        // ISO-8859-6 has no Persian letters: the declaration cannot be right.
        assert_eq!(e.name, "windows-1256", "{w:?}");
        assert!(t.contains("پنجره") && t.contains("داعش"));
        assert!(w[0].contains("declares the encoding iso-8859-6"), "{w:?}");
    }

    #[test]
    fn damaged_utf8_stays_utf8_with_a_warning() {
        let mut b = ARABIC.as_bytes().to_vec();
        b.insert(11, 0xFF);
        let (t, e, w) = enc(&b, Format::Txt);
        assert_eq!(e.found, Found::Lossy);
        assert!(t.contains('\u{FFFD}'));
        assert!(w[0].contains("first bad byte at offset 11"), "{w:?}");
        // Two stray bytes are no evidence of any encoding.
        let (_, e, _) = enc(b"Title\n\nsome \xff\xfe text", Format::Txt);
        assert_eq!(e.found, Found::Lossy);
    }

    #[test]
    fn descriptions() {
        let e = TextEncoding {
            name: "windows-1256",
            found: Found::Declared,
        };
        assert_eq!(e.describe(), "read as windows-1256 (declared in the file)");
        assert_eq!(serde_json::to_string(&e).unwrap(), "\"windows-1256\"");
    }
}
