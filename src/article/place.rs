//! A place in an article: which of its texts (the title, the metadata line, a block of the
//! body). Laid-out lines, search matches and reading positions all name their text with it,
//! and byte offsets count from the start of that text.

/// One text of an article. Ordered as the article reads: the title, then its metadata (dates,
/// byline), then the body's blocks in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Place {
    /// The title.
    #[default]
    Title,
    /// The metadata line(s) under the title: the dates and the byline.
    Meta,
    /// Block `n` of the body.
    Block(usize),
}

impl Place {
    /// The block of the body, if the place is in one.
    #[must_use]
    pub fn block(self) -> Option<usize> {
        match self {
            Self::Block(b) => Some(b),
            Self::Title | Self::Meta => None,
        }
    }

    /// In the head (the title or its metadata), not the body.
    #[must_use]
    pub fn in_head(self) -> bool {
        self.block().is_none()
    }
}

impl Place {
    /// The text of `article` at this place: the title or a block's text (`None` for the
    /// metadata line, which is made of several texts, and for a block the article lacks).
    #[must_use]
    pub fn text(self, article: &super::Article) -> Option<&str> {
        match self {
            Self::Title => Some(&article.title),
            Self::Meta => None,
            Self::Block(b) => article.blocks.get(b).map(|b| b.text.as_str()),
        }
    }
}
