//! The emulator's saved states of an organization, and its reset: every table that holds an
//! organization's data, copied row for row (snapshots) or emptied (reset). Admin keys are not
//! part of the state: the key that saves a snapshot still opens the organization after a
//! restore.
//!
//! Rows are copied as they are stored, not through the import format, so a restore gives back
//! exactly what was saved (an export after a restore is byte for byte the export at the save)
//! and takes one statement per table.

mod postgres;
pub(crate) mod sqlite;

use async_trait::async_trait;

use crate::clock::OrgClock;
use crate::{InvalidValue, Kind, OrgId, StoreError};

/// The tables that hold an organization's data, in the order they are filled: a table comes
/// after those its rows refer to, and is emptied before them. A test checks that every table
/// with an organization column is here or in [`NOT_STATE`].
pub(crate) const STATE_TABLES: &[&str] = &[
    "users",
    "roles",
    "groups",
    "group_users",
    "user_roles",
    "group_roles",
    "projects",
    "project_users",
    "service_accounts",
    "project_api_keys",
    "project_groups",
    "invites",
    "invite_projects",
    "list_departures",
    "audit_log",
];

/// Tables with an organization column that are not part of its state. `console_sessions`:
/// who is signed in to the web console is not the organization's data; a reset or a restore
/// leaves them signed in (their keys are authenticated on every request anyway).
/// `audit_log_pending` (SQLite): entries waiting to be moved into `audit_log`, which a reset
/// or a snapshot moves first and then works on with the rest of the state.
#[cfg(test)]
pub(crate) const NOT_STATE: &[&str] = &[
    "admin_keys",
    "audit_log_pending",
    "snapshots",
    "snapshot_tables",
    "console_sessions",
];

/// The prefix of SQLite's mirror tables, which hold the snapshots' rows of each state table.
pub(crate) const MIRROR_PREFIX: &str = "snapshot_rows_";

/// A snapshot's name: 1 to 128 of `[A-Za-z0-9_.-]`, so that it can stand in a path as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotName(String);

impl SnapshotName {
    /// Parses a name as a body or a path gives it.
    pub fn parse(name: &str) -> Result<Self, InvalidValue> {
        let valid = (1..=128).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if valid {
            Ok(Self(name.to_owned()))
        } else {
            Err(InvalidValue(format!(
                "Invalid snapshot name '{name}': use 1 to 128 letters, digits, '_', '.' or '-'."
            )))
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A saved snapshot, as the control endpoints show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotInfo {
    /// Its name.
    pub name: String,
    /// When it was saved, by the organization's clock.
    pub created_at: i64,
}

/// The organization's clock after a reset: real time again, never reading earlier than what
/// the organization keeps (its admin keys' creation).
pub(crate) fn clock_after_reset(kept_latest: i64) -> OrgClock {
    OrgClock {
        frozen_at: None,
        offset: 0,
        floor: kept_latest.max(0),
    }
}

/// The organization's clock after restoring a snapshot: the snapshot's, never reading earlier
/// than the moment the snapshot was saved.
pub(crate) fn clock_after_restore(saved: &OrgClock, saved_at: i64) -> OrgClock {
    OrgClock {
        floor: saved.floor.max(saved_at),
        ..*saved
    }
}

/// The 404 of a snapshot name the organization has none of.
pub(crate) fn no_such_snapshot(name: &SnapshotName) -> StoreError {
    StoreError::not_found(Kind::Snapshot, name.as_str())
}

/// Reset and snapshots of an organization's whole state (the control endpoints).
#[async_trait]
pub trait SnapshotStore: Send + Sync + 'static {
    /// Empties the organization's state (users, projects, invites, roles, groups, memberships,
    /// service accounts, keys of projects, the audit log), gives it a fresh Default project and
    /// returns its clock to real time. Its admin keys stay.
    async fn reset(&self, org: &OrgId) -> Result<(), StoreError>;

    /// Saves the organization's state under `name`, replacing a snapshot of that name.
    async fn save_snapshot(
        &self,
        org: &OrgId,
        name: &SnapshotName,
    ) -> Result<SnapshotInfo, StoreError>;

    /// The organization's snapshots, oldest first.
    async fn list_snapshots(&self, org: &OrgId) -> Result<Vec<SnapshotInfo>, StoreError>;

    /// Makes the organization's state the snapshot's (admin keys excepted), its clock included.
    async fn restore_snapshot(
        &self,
        org: &OrgId,
        name: &SnapshotName,
    ) -> Result<SnapshotInfo, StoreError>;

    /// Deletes a snapshot.
    async fn delete_snapshot(&self, org: &OrgId, name: &SnapshotName) -> Result<(), StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stand_in_paths() {
        assert!(SnapshotName::parse("before-test_1.2").is_ok());
        for bad in ["", "a/b", "a b", "é", &"x".repeat(129)] {
            assert!(SnapshotName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_restored_clock_reads_no_earlier_than_the_save() {
        let saved = OrgClock {
            frozen_at: Some(100),
            offset: 0,
            floor: 0,
        };
        let restored = clock_after_restore(&saved, 150);
        assert_eq!(restored.reading(10), 150);
        assert!(restored.is_frozen());
    }
}
