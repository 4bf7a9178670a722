//! Typed ids of the directory's resources and the kinds that "No such …" errors name.

use std::fmt;

use crate::domain::random_alphanumeric;

/// The kinds of object a path names, as CONTRACT.md's `No such <kind>: <id>` spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An organization user.
    User,
    /// An organization role.
    Role,
    /// A group.
    Group,
    /// A project.
    Project,
    /// A service account of a project.
    ServiceAccount,
    /// A project API key.
    ApiKey,
    /// An admin API key of the organization.
    AdminApiKey,
    /// An invite to join the organization.
    Invite,
    /// A saved state of an organization (control endpoints).
    Snapshot,
}

impl Kind {
    /// The noun of the message.
    pub fn noun(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Role => "role",
            Self::Group => "group",
            Self::Project => "project",
            Self::ServiceAccount => "service account",
            Self::ApiKey => "API key",
            Self::AdminApiKey => "admin API key",
            Self::Invite => "invite",
            Self::Snapshot => "snapshot",
        }
    }

    /// The path parameter that names an object of this kind.
    pub fn path_param(self) -> &'static str {
        match self {
            Self::User => "user_id",
            Self::Role => "role_id",
            Self::Group => "group_id",
            Self::Project => "project_id",
            Self::ServiceAccount => "service_account_id",
            Self::ApiKey => "api_key_id",
            Self::AdminApiKey => "key_id",
            Self::Invite => "invite_id",
            Self::Snapshot => "name",
        }
    }
}

macro_rules! generated_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The prefix of generated ids.
            pub const PREFIX: &'static str = $prefix;

            /// A fresh id: the prefix and 24 random alphanumerics.
            pub fn generate() -> Self {
                Self(format!("{}{}", $prefix, random_alphanumeric(24)))
            }

            /// An id as a path or a body gives it. Any text may name an object; one that names
            /// none is answered as not found, never as malformed.
            pub fn from_request(s: &str) -> Self {
                Self(s.to_owned())
            }

            /// An id read back from the store.
            pub fn from_stored(s: String) -> Self {
                Self(s)
            }

            /// The id.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

generated_id!(
    /// A role's id: `role_` + 24 for custom roles, the predefined ones' own form for those.
    RoleId,
    "role_"
);
generated_id!(
    /// A group's id: `group_` + 24.
    GroupId,
    "group_"
);

generated_id!(
    /// A project's id: `proj_` + 24.
    ProjectId,
    "proj_"
);
generated_id!(
    /// A service account's id: `svc_acct_` + 24.
    ServiceAccountId,
    "svc_acct_"
);
generated_id!(
    /// A project API key's id: `key_` + 24.
    ApiKeyId,
    "key_"
);
generated_id!(
    /// An invite's id: `invite-` + 24.
    InviteId,
    "invite-"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_have_the_contract_shape() {
        for (id, prefix) in [
            (RoleId::generate().0, "role_"),
            (GroupId::generate().0, "group_"),
            (ProjectId::generate().0, "proj_"),
            (ServiceAccountId::generate().0, "svc_acct_"),
            (ApiKeyId::generate().0, "key_"),
            (InviteId::generate().0, "invite-"),
        ] {
            let tail = id.strip_prefix(prefix).unwrap();
            assert_eq!(tail.len(), 24, "{id}");
            assert!(tail.chars().all(|c| c.is_ascii_alphanumeric()), "{id}");
        }
        assert_eq!(Kind::Group.noun(), "group");
        assert_eq!(Kind::Role.path_param(), "role_id");
        assert_eq!(Kind::Invite.path_param(), "invite_id");
    }
}
