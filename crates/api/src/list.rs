//! The list envelope of the cursor-style lists (`next`): roles, groups, group users, role
//! assignments, project groups. Users' envelope (`first_id`/`last_id`) is [`crate::UserList`].

use serde::{Deserialize, Serialize};

use crate::LIST_OBJECT;

/// A page of a cursor-style list: `{"object":"list","data":[…],"has_more":…,"next":…}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NextList<T> {
    /// Always `list`.
    pub object: String,
    /// The items of this page.
    pub data: Vec<T>,
    /// Whether another page follows.
    pub has_more: bool,
    /// The cursor of the next page (`after`), `null` on the last page.
    #[serde(default)]
    pub next: Option<String>,
}

impl<T> NextList<T> {
    /// Builds the envelope of one page.
    pub fn new(data: Vec<T>, has_more: bool, next: Option<String>) -> Self {
        Self {
            object: LIST_OBJECT.to_owned(),
            data,
            has_more,
            next,
        }
    }
}

/// The answer to removing an assignment or membership: `{"object":…,"deleted":true}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unassigned {
    /// `user.role.deleted`, `group.role.deleted` or `group.user.deleted`.
    pub object: String,
    /// Always true.
    pub deleted: bool,
}

impl Unassigned {
    /// The answer of the given `object`.
    pub fn new(object: &str) -> Self {
        Self {
            object: object.to_owned(),
            deleted: true,
        }
    }
}

/// The answer to deleting an object that has an id: `{"object":…,"id":…,"deleted":true}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deleted {
    /// `role.deleted`, `group.deleted`, …
    pub object: String,
    /// The id of the deleted object.
    pub id: String,
    /// Always true.
    pub deleted: bool,
}

impl Deleted {
    /// The answer for `id` of the given `object`.
    pub fn new(object: &str, id: impl Into<String>) -> Self {
        Self {
            object: object.to_owned(),
            id: id.into(),
            deleted: true,
        }
    }
}

/// A page of a first/last list (projects, project users, service accounts, project API keys):
/// `{"object":"list","data":[…],"first_id":…,"last_id":…,"has_more":…}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FirstList<T> {
    /// Always `list`.
    pub object: String,
    /// The items of this page.
    pub data: Vec<T>,
    /// The id of the first item of `data`, `null` on an empty page.
    #[serde(default)]
    pub first_id: Option<String>,
    /// The id of the last item of `data`, `null` on an empty page; the `after` of the next page.
    #[serde(default)]
    pub last_id: Option<String>,
    /// Whether another page follows.
    pub has_more: bool,
}

impl<T> FirstList<T> {
    /// Builds the envelope of one page; `id` gives each item's id.
    pub fn new(data: Vec<T>, has_more: bool, id: impl Fn(&T) -> &str) -> Self {
        Self {
            object: LIST_OBJECT.to_owned(),
            first_id: data.first().map(|item| id(item).to_owned()),
            last_id: data.last().map(|item| id(item).to_owned()),
            data,
            has_more,
        }
    }
}
