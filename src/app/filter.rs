//! The field filters of the list's query line (`is:unread`, `lang:ar`, `source:`, …) and the
//! order titles sort in.
//!
//! A query such as `is:unread lang:ar داعش` is split into its fields, which filter the list,
//! and its words, which search the library as before. Every field must match.

use crate::article::Lang;
use crate::library::Entry;
use crate::search::fold;
use crate::store::ReadingState;

/// One field of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// `is:unread` (false) or `is:read` (true).
    Read(bool),
    /// `is:bookmarked`.
    Bookmarked,
    /// `lang:ar`, `lang:en`, `lang:mix`.
    Lang(Lang),
    /// `source:…`: the source contains it (folded).
    Source(String),
    /// `author:…`: the byline contains it (folded).
    Author(String),
    /// `tag:…`: a tag contains it (folded).
    Tag(String),
}

/// The fields of a query (all must match).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields(pub Vec<Field>);

/// A query split: its fields, its words (what is left, for the library search), and the
/// fields it could not read, to say so.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Split {
    /// The fields.
    pub fields: Fields,
    /// The words and phrases, as typed.
    pub words: String,
    /// A field of a known name with a value it cannot take (`lang:fr`, `is:new`).
    pub unknown: Option<String>,
}

impl Fields {
    /// Splits what was typed into fields and words. A `name:value` outside quotes is a field
    /// when the name is one of `is`, `lang`, `source`, `author`, `tag`; anything else is a
    /// word.
    pub fn split(text: &str) -> Split {
        let mut split = Split::default();
        let mut words: Vec<&str> = Vec::new();
        let mut quoted = false;
        for token in text.split(' ') {
            let starts_quote = token.starts_with(['"', '«', '“']);
            if quoted || starts_quote || token.is_empty() {
                words.push(token);
                let marks = token
                    .chars()
                    .filter(|c| matches!(c, '"' | '«' | '»' | '“' | '”'))
                    .count();
                if marks % 2 == 1 {
                    quoted = !quoted;
                }
                continue;
            }
            match parse_field(token) {
                Some(Ok(f)) => split.fields.0.push(f),
                Some(Err(())) => {
                    split.unknown.get_or_insert_with(|| token.to_owned());
                }
                None => words.push(token),
            }
        }
        words.join(" ").trim().clone_into(&mut split.words);
        split
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether an article with these facts passes every field.
    pub fn matches(&self, facts: &Facts<'_>, state: &ReadingState) -> bool {
        let has = |v: Option<&str>, s: &str| v.is_some_and(|v| fold(v).contains(s));
        self.0.iter().all(|f| match f {
            Field::Read(read) => state.read == *read,
            Field::Bookmarked => state.bookmark,
            Field::Lang(l) => facts.lang == Some(*l),
            Field::Source(s) => has(facts.source, s),
            Field::Author(s) => has(facts.author, s),
            Field::Tag(s) => facts.tags.iter().any(|t| fold(t).contains(s.as_str())),
        })
    }
}

/// What the fields look at of an article: its language, source, byline and tags (the list's
/// entry and the catalog's row hold them all, so no body is read to filter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts<'a> {
    /// Its language (none when a catalog row names one qari does not know).
    pub lang: Option<Lang>,
    /// Where it was published.
    pub source: Option<&'a str>,
    /// Who wrote it.
    pub author: Option<&'a str>,
    /// Its tags.
    pub tags: &'a [String],
}

impl<'a> From<&'a Entry> for Facts<'a> {
    fn from(e: &'a Entry) -> Self {
        Self {
            lang: Some(e.lang),
            source: e.source.as_deref(),
            author: e.byline.as_deref(),
            tags: &e.tags,
        }
    }
}

/// A token as a field: none when it is not one, an error when its name is known and its
/// value is not.
fn parse_field(token: &str) -> Option<Result<Field, ()>> {
    let (name, value) = token.split_once(':')?;
    let value = value.trim();
    let folded = fold(value);
    let field = match name.to_ascii_lowercase().as_str() {
        "is" => match folded.as_str() {
            "unread" | "new" => Ok(Field::Read(false)),
            "read" => Ok(Field::Read(true)),
            "bookmarked" | "bookmark" | "starred" => Ok(Field::Bookmarked),
            _ => Err(()),
        },
        "lang" => match folded.as_str() {
            "ar" | "arabic" => Ok(Field::Lang(Lang::Ar)),
            "en" | "english" => Ok(Field::Lang(Lang::En)),
            "mix" | "mx" | "mixed" => Ok(Field::Lang(Lang::Mixed)),
            _ => Err(()),
        },
        "source" | "author" | "tag" if folded.is_empty() => Err(()),
        "source" => Ok(Field::Source(folded)),
        "author" => Ok(Field::Author(folded)),
        "tag" => Ok(Field::Tag(folded)),
        _ => return None,
    };
    Some(field)
}

/// The key titles sort by: folded (case, tashkeel, tatweel) with every hamza form of alef
/// (آ أ إ ٱ) sorting as alef, ى as ي, ؤ as و, ئ as ي and ة as ه, so that Arabic titles
/// follow the alphabet (ا ب ت ث … ه و ي) and not the order of the code points.
pub fn title_key(title: &str) -> String {
    fold(title.trim())
        .chars()
        .map(|c| match c {
            'آ' | 'أ' | 'إ' | 'ٱ' => 'ا',
            'ى' | 'ئ' => 'ي',
            'ؤ' => 'و',
            'ة' => 'ه',
            c => c,
        })
        .filter(|c| !matches!(c, '\u{640}' | '\u{64b}'..='\u{65f}' | '\u{670}'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_words_split() {
        let s = Fields::split("is:unread داعش lang:ar \"is:read here\" source:BBC");
        assert_eq!(
            s.fields.0,
            vec![
                Field::Read(false),
                Field::Lang(Lang::Ar),
                Field::Source("bbc".into())
            ]
        );
        assert_eq!(s.words, "داعش \"is:read here\"");
        assert_eq!(s.unknown, None);
        let s = Fields::split("lang:fr http://x is:bookmarked");
        assert_eq!(s.unknown.as_deref(), Some("lang:fr"));
        assert_eq!(s.words, "http://x");
        assert_eq!(s.fields.0, vec![Field::Bookmarked]);
        let s = Fields::split("author:ماكغورك tag:Iraq");
        assert_eq!(
            s.fields.0,
            vec![Field::Author("ماكغورك".into()), Field::Tag("iraq".into())]
        );
        assert!(s.words.is_empty());
    }

    #[test]
    fn arabic_titles_sort_in_alphabetical_order() {
        let mut titles = vec![
            "بيت",
            "إيران",
            "آخر",
            "اليوم",
            "أمس",
            "تونس",
            "ءأ",
            "zebra",
            "Apple",
        ];
        titles.sort_by_key(|t| title_key(t));
        // Hamza forms sort with alef, not before it; Latin before Arabic; case folded.
        assert_eq!(
            titles,
            vec![
                "Apple",
                "zebra",
                "ءأ",
                "آخر",
                "اليوم",
                "أمس",
                "إيران",
                "بيت",
                "تونس"
            ]
        );
        assert_eq!(title_key("مدرسة"), title_key("مدرسه"));
        assert_eq!(title_key("مُدَرِّس"), title_key("مدرس"));
    }
}
