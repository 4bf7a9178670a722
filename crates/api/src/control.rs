//! Wire types of orgusers' own control endpoints (`/_orgusers/…`): the organization's clock,
//! its reset and its snapshots. They follow the API's conventions (an `object` field, Unix
//! seconds) but are no part of the OpenAI API.

use serde::{Deserialize, Serialize};

/// `object` of [`Clock`].
pub const CLOCK_OBJECT: &str = "orgusers.clock";
/// `object` of [`Snapshot`].
pub const SNAPSHOT_OBJECT: &str = "orgusers.snapshot";
/// `object` of [`SnapshotDeleted`].
pub const SNAPSHOT_DELETED_OBJECT: &str = "orgusers.snapshot.deleted";
/// `object` of [`Reset`].
pub const RESET_OBJECT: &str = "orgusers.reset";

/// An organization's clock: `GET` and `POST /_orgusers/clock`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    /// Always `orgusers.clock`.
    pub object: String,
    /// The organization's time, Unix seconds.
    pub now: i64,
    /// Whether the clock stands still (it moves only when advanced).
    pub frozen: bool,
}

impl Clock {
    /// The clock reading `now`.
    pub fn new(now: i64, frozen: bool) -> Self {
        Self {
            object: CLOCK_OBJECT.to_owned(),
            now,
            frozen,
        }
    }
}

/// A saved state of an organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Always `orgusers.snapshot`.
    pub object: String,
    /// Its name.
    pub name: String,
    /// When it was saved, by the organization's clock (Unix seconds).
    pub created_at: i64,
}

impl Snapshot {
    /// The snapshot `name` saved at `created_at`.
    pub fn new(name: impl Into<String>, created_at: i64) -> Self {
        Self {
            object: SNAPSHOT_OBJECT.to_owned(),
            name: name.into(),
            created_at,
        }
    }
}

/// The answer to deleting a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotDeleted {
    /// Always `orgusers.snapshot.deleted`.
    pub object: String,
    /// The deleted snapshot's name.
    pub name: String,
    /// Always true.
    pub deleted: bool,
}

impl SnapshotDeleted {
    /// The answer for the snapshot `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            object: SNAPSHOT_DELETED_OBJECT.to_owned(),
            name: name.into(),
            deleted: true,
        }
    }
}

/// The answer to a reset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reset {
    /// Always `orgusers.reset`.
    pub object: String,
    /// The organization that was reset.
    pub organization: String,
}

impl Reset {
    /// The answer for `organization`.
    pub fn new(organization: impl Into<String>) -> Self {
        Self {
            object: RESET_OBJECT.to_owned(),
            organization: organization.into(),
        }
    }
}

/// A list of control objects: `{"object":"list","data":[…]}`, whole (no pages).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlList<T> {
    /// Always `list`.
    pub object: String,
    /// Every item.
    pub data: Vec<T>,
}

impl<T> ControlList<T> {
    /// The list of `data`.
    pub fn new(data: Vec<T>) -> Self {
        Self {
            object: "list".to_owned(),
            data,
        }
    }
}
