//! Wire types of orgusers' own control endpoints (`/_orgusers/…`): the organization's clock,
//! its reset, its snapshots, injected faults and the request journal. They follow the API's conventions (an `object` field, Unix
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

/// An injected fault: later `/v1` requests of the organization that match `method` and `path`
/// wait `latency_ms` and, with a `status`, fail with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    /// Always `orgusers.fault`.
    pub object: String,
    /// `fault_` + 24 alphanumerics.
    pub id: String,
    /// `*` or a method name.
    pub method: String,
    /// A path, or a prefix ending in `*`.
    pub path: String,
    /// The status matching requests are answered with; `None`: they only wait.
    pub status: Option<u16>,
    /// How long matching requests wait first.
    pub latency_ms: u64,
    /// The chance that the fault fires on a matching request, 0 to 1.
    pub probability: f64,
    /// How many requests it was created to fire on; `None`: unlimited.
    pub count: Option<u64>,
    /// How many more requests it fires on; `None`: unlimited.
    pub remaining: Option<u64>,
    /// When it was created, in Unix seconds.
    pub created_at: i64,
}

/// What `POST /_orgusers/faults` takes. Only `path` is required.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct FaultCreate {
    /// A method name or `*` (the default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// A `/v1/…` path, or a prefix ending in `*`.
    pub path: String,
    /// 400 to 599; none: matching requests only wait.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// 0 (the default) to 60000.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// 0 to 1 (the default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// At least 1; none: unlimited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

impl FaultCreate {
    /// A fault on `path` with every other field at its default.
    pub fn new(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            ..Self::default()
        }
    }
}

/// The answer to removing every fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultsDeleted {
    /// Always `orgusers.faults.deleted`.
    pub object: String,
    /// How many were removed.
    pub deleted: u64,
}

/// The answer to removing one fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultDeleted {
    /// Always `orgusers.fault.deleted`.
    pub object: String,
    /// The fault's id.
    pub id: String,
    /// Always `true`.
    pub deleted: bool,
}

/// One request of the journal. It holds no header and no body, so never a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// Always `orgusers.request`.
    pub object: String,
    /// The HTTP method.
    pub method: String,
    /// The path as sent, without the query.
    pub path: String,
    /// The query as sent, without `?`.
    pub query: Option<String>,
    /// The status it was answered with.
    pub status: u16,
    /// The `x-request-id` of the answer.
    pub request_id: String,
    /// When it arrived, in Unix seconds.
    pub created_at: i64,
    /// From arrival to answer.
    pub latency_ms: u64,
}
