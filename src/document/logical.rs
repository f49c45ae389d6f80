//! An article as text in logical order, for pipes and other programs (`qari render
//! --logical`): the text as stored, never reordered, shaped or padded, Arabic presentation
//! forms put back as letters ([`crate::text::unshape`]).

use std::io::Write;

use crate::article::{Article, BlockKind};
use crate::text::unshape;

/// Writes `article` in logical order: the head (title, dates, byline, source, address), a
/// blank line, each block (a list item after its number or `• `, indented two spaces for each
/// list it is nested in; each line of a quote after `> `) with a
/// blank line between blocks, then the links, numbered as `L` numbers them.
pub fn write_logical(article: &Article, out: &mut impl Write) -> std::io::Result<()> {
    let line = |out: &mut dyn Write, prefix: &str, text: &str| -> std::io::Result<()> {
        for l in text.split('\n') {
            writeln!(out, "{prefix}{}", unshape(l))?;
        }
        Ok(())
    };
    line(out, "", &article.title)?;
    for d in &article.dates {
        line(out, "", &d.original)?;
    }
    for field in [&article.byline, &article.source, &article.url]
        .into_iter()
        .flatten()
    {
        line(out, "", field)?;
    }
    for b in &article.blocks {
        writeln!(out)?;
        let prefix = match (b.kind, b.item) {
            (BlockKind::ListItem, Some(item)) => {
                let indent = "  ".repeat(usize::from(item.depth.saturating_sub(1)));
                match item.number {
                    Some(n) => format!("{indent}{n}. "),
                    None => format!("{indent}• "),
                }
            }
            (BlockKind::ListItem, None) => "• ".to_owned(),
            (BlockKind::Quote, _) => "> ".to_owned(),
            _ => String::new(),
        };
        line(out, &prefix, &b.text)?;
    }
    if !article.links.is_empty() {
        writeln!(out)?;
        for (n, l) in article.links.iter().enumerate() {
            line(out, "", &format!("[{}] {} <{}>", n + 1, l.text, l.target))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::article::{Format, parse};

    fn logical(md: &str) -> String {
        let a = &parse(md.as_bytes(), Format::Markdown, "x.md")
            .unwrap()
            .articles[0];
        let mut out = Vec::new();
        write_logical(a, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_text_as_stored_with_its_links() {
        let md = "---\ntitle: عنوان الخبر\ndate: 2024-03-16\nauthor: كاتب\nurl: https://x.example/a\n---\n\n\
                  قال [المتحدث](/who) إن الاجتماع انتهى.\n\n- بند أول\n  1. داخل\n\n> قول\n> ثان\n";
        assert_eq!(
            logical(md),
            "عنوان الخبر\n2024-03-16\nكاتب\nhttps://x.example/a\n\n\
             قال المتحدث إن الاجتماع انتهى.\n\n• بند أول\n\n  1. داخل\n\n> قول ثان\n\n\
             [1] المتحدث <https://x.example/who>\n"
        );
    }

    #[test]
    fn presentation_forms_in_the_file_come_out_as_letters() {
        let md = "# T\n\n\u{FE91}\u{FEF4}\u{FE96} \u{FEFB}\n";
        assert_eq!(logical(md), "T\n\nبيت لا\n");
    }
}
