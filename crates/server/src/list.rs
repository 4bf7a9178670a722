//! The answer of every list but users': a store page turned into the API's envelope, a
//! cursor-style list's `next` signed for the list it belongs to, a first/last list's ids taken
//! from its items.

use orgusers_api::list::{FirstList, NextList};
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

/// The envelope of a first/last page, each item written by `wire`, `id` naming its id.
pub fn first_list<T, W>(
    page: NextPage<T>,
    wire: impl Fn(&T) -> W,
    id: impl Fn(&W) -> &str,
) -> FirstList<W> {
    FirstList::new(page.items.iter().map(wire).collect(), page.has_more, id)
}
