//! Organization users: the one resource of the users spec, and the owner of the fast read path
//! (`UserStore::list_users_json`, `UserStore::get_user_json`).

pub(crate) mod postgres;
pub(crate) mod sqlite;

use anyhow::Context as _;
use async_trait::async_trait;
use orgusers_api::{User, UserList};

use crate::{EmailFilter, ImportSource, ImportSummary, OrgId, Role, StoreError, audit};

/// What one list request asks for, already validated.
#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    /// Page size; the store fetches one more to tell whether another page follows.
    pub limit: usize,
    /// The id of the user the page starts after.
    pub after: Option<String>,
    /// Only users whose folded email is one of these.
    pub emails: Option<EmailFilter>,
}

/// What the console's people search asks for: users whose name or email holds `text`
/// (case-insensitive), of one role, a page after or before a user. The API's list has no such
/// filter: it stays [`UserQuery`].
#[derive(Debug, Clone, Default)]
pub struct UserSearch {
    /// Page size; the store fetches one more to tell whether another page follows.
    pub limit: usize,
    /// The id of the user the page starts after (list order).
    pub after: Option<String>,
    /// The id of the user the page ends before (list order); ignored when `after` is given.
    pub before: Option<String>,
    /// Text the name or the email holds, any case; `None` or empty for every user.
    pub text: Option<String>,
    /// Only users of this role.
    pub role: Option<Role>,
}

impl UserSearch {
    /// The `LIKE` pattern of [`Self::text`], lowercased, with `\`, `%` and `_` escaped by `\`
    /// (statements say `ESCAPE '\'`); `%%` when there is no text.
    pub fn like_pattern(&self) -> String {
        let text = self.text.as_deref().unwrap_or_default().to_lowercase();
        let mut pattern = String::with_capacity(text.len() + 2);
        pattern.push('%');
        for c in text.chars() {
            if matches!(c, '\\' | '%' | '_') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('%');
        pattern
    }

    /// The role, as stored, or `None` for any.
    pub(crate) fn role_str(&self) -> Option<&'static str> {
        self.role.map(Role::as_str)
    }

    /// Rows to fetch: one more than the page.
    pub(crate) fn fetch(&self) -> i64 {
        i64::try_from(self.limit)
            .unwrap_or(i64::MAX)
            .saturating_add(1)
    }

    /// Whether the page is read backwards, from `before`.
    pub fn backwards(&self) -> bool {
        self.after.is_none() && self.before.is_some()
    }

    /// Cuts rows fetched (in list order, or reversed when [`Self::backwards`]) to the page, in
    /// list order: `has_more` says whether more follow in the direction read.
    pub(crate) fn page(&self, mut users: Vec<User>) -> UserPage {
        let has_more = users.len() > self.limit;
        users.truncate(self.limit);
        if self.backwards() {
            users.reverse();
        }
        UserPage { users, has_more }
    }
}

/// One page of users, in list order.
#[derive(Debug, Clone, PartialEq)]
pub struct UserPage {
    /// The users.
    pub users: Vec<User>,
    /// Whether another page follows.
    pub has_more: bool,
}

/// A change to a user; `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserChange {
    /// The new role.
    pub role: Option<Role>,
    /// New technical level metadata.
    pub technical_level: Option<Option<String>>,
    /// New developer persona metadata.
    pub developer_persona: Option<Option<String>>,
}

/// Whether `user` is one of its organization's owners.
pub(crate) fn is_owner(user: &User) -> bool {
    user.role.as_deref() == Some(Role::Owner.as_str())
}

impl UserChange {
    /// Whether applying this to `user` takes an owner away (the last-owner guard's question).
    pub(crate) fn demotes_owner(&self, user: &User) -> bool {
        self.role == Some(Role::Reader) && is_owner(user)
    }

    /// The audit event of this change applied to `user`.
    pub(crate) fn event(&self, user: &User) -> audit::AuditEvent {
        let mut changes = serde_json::Map::new();
        if self.role.is_some() {
            changes.insert("role".into(), user.role.clone().into());
        }
        if self.technical_level.is_some() {
            changes.insert(
                "technical_level".into(),
                user.technical_level.clone().into(),
            );
        }
        if self.developer_persona.is_some() {
            changes.insert(
                "developer_persona".into(),
                user.developer_persona.clone().into(),
            );
        }
        audit::AuditEvent::new(
            "user.updated",
            user.id.as_str(),
            serde_json::json!({ "changes_requested": changes }),
        )
    }

    /// Applies this change to `user`, which is then what the store writes and answers.
    pub(crate) fn apply_to(&self, user: &mut User) {
        if let Some(role) = self.role {
            user.role = Some(role.as_str().to_owned());
        }
        if let Some(level) = &self.technical_level {
            user.technical_level.clone_from(level);
        }
        if let Some(persona) = &self.developer_persona {
            user.developer_persona.clone_from(persona);
        }
    }
}

/// Decisions about users that do not depend on the backend; each backend calls them inside
/// its transaction, on what it read there.
pub mod rules {
    use orgusers_api::User;

    use super::{UserChange, is_owner};
    use crate::StoreError;

    /// Whether `change` applied to `user` takes an owner away; `None` is the user's deletion.
    pub fn takes_an_owner(user: &User, change: Option<&UserChange>) -> bool {
        match change {
            Some(change) => change.demotes_owner(user),
            None => is_owner(user),
        }
    }

    /// Refuses to take one of `owners` owners away when it is the last one.
    pub fn keeps_an_owner(owners: i64) -> Result<(), StoreError> {
        if owners <= 1 {
            Err(StoreError::LastOwner)
        } else {
            Ok(())
        }
    }
}

/// The live user of `org` that `given` names: its id, or else its email (compared as the
/// `emails` filter compares them, case-insensitively). What a form or a command line names a
/// user by.
pub async fn find_user(
    store: &(impl UserStore + ?Sized),
    org: &OrgId,
    given: &str,
) -> Result<Option<User>, StoreError> {
    let given = given.trim();
    match store.get_user(org, given).await {
        Ok(found) => return Ok(Some(found)),
        Err(StoreError::NotFound { .. }) => {}
        Err(e) => return Err(e),
    }
    let Ok(emails) = EmailFilter::new([given]) else {
        return Ok(None);
    };
    let query = UserQuery {
        limit: 1,
        after: None,
        emails: Some(emails),
    };
    Ok(store
        .list_users(org, &query)
        .await?
        .users
        .into_iter()
        .next())
}

/// Users per backend.
#[async_trait]
pub trait UserStore: Send + Sync + 'static {
    /// One page of the organization's users in list order.
    async fn list_users(&self, org: &OrgId, query: &UserQuery) -> Result<UserPage, StoreError>;

    /// One user.
    async fn get_user(&self, org: &OrgId, id: &str) -> Result<User, StoreError>;

    /// [`Self::list_users`] as the JSON of the API's list object.
    ///
    /// A store that can write the JSON straight from its rows overrides this (and
    /// [`Self::get_user_json`]): building owned [`User`]s only to serialize them was most of the
    /// cost of a large page.
    async fn list_users_json(&self, org: &OrgId, query: &UserQuery) -> Result<Vec<u8>, StoreError> {
        let page = self.list_users(org, query).await?;
        let list = UserList::new(page.users, page.has_more);
        Ok(serde_json::to_vec(&list).context("cannot encode a page of users")?)
    }

    /// [`Self::get_user`] as the JSON of the API's user object.
    async fn get_user_json(&self, org: &OrgId, id: &str) -> Result<Vec<u8>, StoreError> {
        let user = self.get_user(org, id).await?;
        Ok(serde_json::to_vec(&user).context("cannot encode a user")?)
    }

    /// One page of the console's people search ([`UserSearch`]), in list order; `has_more`
    /// says whether more follow in the direction read (after the page, or before it when read
    /// from `before`). A cursor naming a user the organization never had is an unknown cursor.
    async fn search_users(&self, org: &OrgId, search: &UserSearch) -> Result<UserPage, StoreError>;

    /// Applies `change` and returns the user as it now is.
    async fn update_user(
        &self,
        org: &OrgId,
        id: &str,
        change: &UserChange,
    ) -> Result<User, StoreError>;

    /// Deletes a user, erasing its personal data but keeping its list position.
    async fn delete_user(&self, org: &OrgId, id: &str) -> Result<(), StoreError>;

    /// Writes every record of `source` in one transaction, or nothing.
    async fn import_users(
        &self,
        org: &OrgId,
        source: ImportSource,
    ) -> Result<ImportSummary, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: &str) -> User {
        serde_json::from_value(serde_json::json!({
            "object": "organization.user", "id": "u", "role": role, "added_at": 1,
            "technical_level": "old", "developer_persona": "kept"
        }))
        .unwrap()
    }

    #[test]
    fn search_patterns_escape_like_wildcards() {
        let search = |text: &str| UserSearch {
            text: Some(text.to_owned()),
            ..UserSearch::default()
        };
        assert_eq!(search("Ada").like_pattern(), "%ada%");
        assert_eq!(search("50%_off\\").like_pattern(), "%50\\%\\_off\\\\%");
        assert_eq!(UserSearch::default().like_pattern(), "%%");
    }

    #[test]
    fn changes_apply_field_by_field() {
        let mut u = user("owner");
        let change = UserChange {
            role: Some(Role::Reader),
            technical_level: Some(None),
            developer_persona: None,
        };
        assert!(change.demotes_owner(&u));
        assert!(!change.demotes_owner(&user("reader")));
        assert!(!UserChange::default().demotes_owner(&u));
        change.apply_to(&mut u);
        assert_eq!(u.role.as_deref(), Some("reader"));
        assert_eq!(u.technical_level, None);
        assert_eq!(u.developer_persona.as_deref(), Some("kept"));
        assert!(is_owner(&user("owner")) && !is_owner(&user("reader")));
    }
}
