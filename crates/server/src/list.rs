//! The answer of every cursor-style list: a store page turned into the API's envelope, its
//! `next` signed for the list it belongs to.

use orgusers_api::list::NextList;
use orgusers_store::page::{CursorKey, ListScope, NextPage};

/// The envelope of `page`, each item written by `wire`.
pub fn next_list<T, W>(
    page: NextPage<T>,
    scope: &ListScope<'_>,
    key: &CursorKey,
    wire: impl Fn(&T) -> W,
) -> NextList<W> {
    let next = page
        .next
        .as_ref()
        .map(|position| key.issue(scope, position));
    NextList::new(page.items.iter().map(wire).collect(), page.has_more, next)
}
