//! The list's orders over the catalog.

use serde::Serialize;

use super::{Entry, Library};
use crate::article::DateValue;

/// Sort orders of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortKey {
    /// Newest first; undated articles last.
    #[default]
    Date,
    /// By title.
    Title,
    /// By source, then newest first.
    Source,
}

impl SortKey {
    /// The next order in the cycle date → title → source.
    #[must_use]
    pub fn next(self) -> Self {
        match self {
            Self::Date => Self::Title,
            Self::Title => Self::Source,
            Self::Source => Self::Date,
        }
    }

    /// The order a name of [`Self::name`] names.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Date, Self::Title, Self::Source]
            .into_iter()
            .find(|k| k.name() == name)
    }

    /// A short name for the status line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Date => "date",
            Self::Title => "title",
            Self::Source => "source",
        }
    }
}

impl Library {
    /// The indices of every article, in `sort` order. Made once per order and kept: the
    /// watcher makes the newest library's date order on its own thread, so the reader taking
    /// it in only copies it.
    pub fn view(&self, sort: SortKey) -> Vec<usize> {
        let slot = match sort {
            SortKey::Date => 0,
            SortKey::Title => 1,
            SortKey::Source => 2,
        };
        self.views[slot]
            .get_or_init(|| self.make_view(sort))
            .clone()
    }

    /// Whether the articles listed (not those kept open after their file went) are in
    /// strictly increasing id order, as a library walked or read from the catalog nearly
    /// always is: then the list's ties and a comparison with another library go by index.
    /// Looked at once.
    pub(super) fn in_id_order(&self) -> bool {
        *self.id_ordered.get_or_init(|| {
            let mut listed = self.items.iter().filter(|i| !i.gone).map(|i| &i.entry.id);
            let Some(mut last) = listed.next() else {
                return true;
            };
            listed.all(|id| std::mem::replace(&mut last, id) < id)
        })
    }

    fn make_view(&self, sort: SortKey) -> Vec<usize> {
        let v: Vec<usize> = (0..self.items.len())
            .filter(|&i| !self.items[i].gone)
            .collect();
        // Keys are computed once per article, not once per comparison; ties go by id.
        let newest = |e: &Entry| {
            let t = e.date.map(DateValue::sort_key);
            (t.is_none(), std::cmp::Reverse(t.unwrap_or(0)))
        };
        match sort {
            SortKey::Date => self.sorted_by_key(v, newest),
            SortKey::Title => self.sorted_by_key(v, |e| e.title.to_lowercase()),
            SortKey::Source => self.sorted_by_key(v, |e| {
                (
                    e.source.is_none(),
                    e.source.clone().unwrap_or_default(),
                    newest(e),
                )
            }),
        }
    }

    fn sorted_by_key<K: Ord>(&self, v: Vec<usize>, key: impl Fn(&Entry) -> K) -> Vec<usize> {
        let mut keyed: Vec<(K, usize)> = v
            .into_iter()
            .map(|i| (key(&self.items[i].entry), i))
            .collect();
        // Ties go by id: by index when the articles are in id order already, which spares a
        // million string comparisons where many articles share a date.
        if self.in_id_order() {
            keyed.sort_unstable();
        } else {
            keyed.sort_unstable_by(|(ka, a), (kb, b)| {
                ka.cmp(kb)
                    .then_with(|| self.items[*a].entry.id.cmp(&self.items[*b].entry.id))
            });
        }
        keyed.into_iter().map(|(_, i)| i).collect()
    }
}
