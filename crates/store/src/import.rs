//! Import records: one JSON Lines line in the API's own user shape, checked field by field so that
//! every refusal names its line and its field.

use std::fmt;

use serde_json::{Map, Value};

use crate::domain::{EmailAddress, Role, UserId};

/// One user read from an import file, validated, with what was absent still absent so that the
/// store can apply the replace rules (a replaced user keeps its `added_at`).
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedUser {
    /// The 1-based line number in the file.
    pub line: usize,
    /// The id; generated when absent.
    pub id: Option<UserId>,
    /// `added_at`; kept from a replaced user, or now, when absent.
    pub added_at: Option<i64>,
    /// `created`; equal to `added_at` when absent.
    pub created: Option<i64>,
    /// `name`.
    pub name: Option<String>,
    /// `email`.
    pub email: Option<EmailAddress>,
    /// `role`; `reader` when absent.
    pub role: Role,
    /// `is_default`.
    pub is_default: bool,
    /// `user.picture`.
    pub picture: Option<String>,
    /// `user.enabled`; true when absent.
    pub enabled: Option<bool>,
    /// `user.banned`; false when absent.
    pub banned: Option<bool>,
    /// `user.banned_at`.
    pub banned_at: Option<i64>,
    /// `is_service_account`.
    pub is_service_account: bool,
    /// `is_scale_tier_authorized_purchaser`.
    pub is_scale_tier_authorized_purchaser: Option<bool>,
    /// `is_scim_managed`.
    pub is_scim_managed: bool,
    /// `api_key_last_used_at`.
    pub api_key_last_used_at: Option<i64>,
    /// `technical_level`.
    pub technical_level: Option<String>,
    /// `developer_persona`.
    pub developer_persona: Option<String>,
    /// Whether the line carried `projects`, which is ignored until projects exist.
    pub had_projects: bool,
}

impl ImportedUser {
    /// The `added_at` this record gets: the one it gives; else, when it replaces a live user,
    /// that user's; else (a new or deleted user) `now`. `existing` is `(added_at, deleted)`.
    pub fn resolved_added_at(&self, existing: Option<(i64, bool)>, now: i64) -> i64 {
        match (self.added_at, existing) {
            (Some(given), _) => given,
            (None, Some((kept, false))) => kept,
            (None, _) => now,
        }
    }

    /// The refusal of a record whose id an earlier line of the file already had.
    pub fn duplicate_id(&self, id: &str) -> ImportError {
        ImportError::duplicate_id(self.line, id)
    }

    /// The refusal of a record whose email another live user already has.
    pub fn email_taken(&self, holder: &str) -> ImportError {
        ImportError::email_taken(
            self.line,
            self.email.as_ref().map_or("", EmailAddress::as_str),
            holder,
        )
    }
}

impl ImportError {
    /// The refusal of line `line`, whose id `id` an earlier line of the file already had.
    pub fn duplicate_id(line: usize, id: &str) -> Self {
        Self {
            line,
            field: Some("id".into()),
            message: format!("user {id} appears earlier in the file"),
        }
    }

    /// The refusal of line `line`, whose email `email` (as the line gives it) the live user
    /// `holder` already has.
    pub fn email_taken(line: usize, email: &str, holder: &str) -> Self {
        Self {
            line,
            field: Some("email".into()),
            message: format!("{email} is already the email of user {holder}"),
        }
    }
}

impl ImportSummary {
    /// Counts one written record; `existing` is `(added_at, deleted)` of the row it replaces.
    pub fn count(&mut self, user: &ImportedUser, existing: Option<(i64, bool)>) {
        match existing {
            Some((_, false)) => self.replaced += 1,
            _ => self.created += 1,
        }
        if user.had_projects {
            self.projects_ignored += 1;
        }
    }
}

/// A refused import line. Nothing of the import is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ImportError {
    /// The 1-based line number.
    pub line: usize,
    /// The field at fault, when one is.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "line {}: field '{}': {}", self.line, field, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

/// The records of one import, in file order. An `Err` aborts the import.
pub type ImportSource = Box<dyn Iterator<Item = Result<ImportedUser, ImportError>> + Send>;

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Users that did not exist (or had been deleted).
    pub created: usize,
    /// Users replaced by id.
    pub replaced: usize,
    /// Lines whose `projects` was ignored.
    pub projects_ignored: usize,
}

const TOP_LEVEL_FIELDS: &[&str] = &[
    "object",
    "id",
    "name",
    "email",
    "role",
    "added_at",
    "is_default",
    "created",
    "user",
    "is_service_account",
    "is_scale_tier_authorized_purchaser",
    "is_scim_managed",
    "api_key_last_used_at",
    "technical_level",
    "developer_persona",
    "projects",
];

const NESTED_FIELDS: &[&str] = &[
    "object",
    "id",
    "email",
    "name",
    "picture",
    "enabled",
    "banned",
    "banned_at",
];

/// Reads fields of one JSON object, naming each refusal.
struct FieldReader<'a> {
    line: usize,
    prefix: &'a str,
    map: &'a Map<String, Value>,
}

impl FieldReader<'_> {
    fn error(&self, field: &str, message: impl Into<String>) -> ImportError {
        ImportError {
            line: self.line,
            field: Some(format!("{}{field}", self.prefix)),
            message: message.into(),
        }
    }

    fn check_known(&self, known: &[&str]) -> Result<(), ImportError> {
        match self.map.keys().find(|k| !known.contains(&k.as_str())) {
            Some(unknown) => Err(self.error(unknown, "unknown field")),
            None => Ok(()),
        }
    }

    /// `Ok(None)` when absent; `Ok(Some(None))` when `null`.
    fn nullable_string(&self, field: &str) -> Result<Option<Option<String>>, ImportError> {
        match self.map.get(field) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
            Some(other) => Err(self.error(field, expected("a string or null", other))),
        }
    }

    fn string(&self, field: &str) -> Result<Option<String>, ImportError> {
        match self.map.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(self.error(field, expected("a string", other))),
        }
    }

    fn nullable_bool(&self, field: &str) -> Result<Option<Option<bool>>, ImportError> {
        match self.map.get(field) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::Bool(b)) => Ok(Some(Some(*b))),
            Some(other) => Err(self.error(field, expected("a boolean or null", other))),
        }
    }

    fn bool(&self, field: &str) -> Result<Option<bool>, ImportError> {
        match self.map.get(field) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.error(field, expected("a boolean", other))),
        }
    }

    fn timestamp(&self, field: &str) -> Result<Option<i64>, ImportError> {
        match self.map.get(field) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(t) if t >= 0 => Ok(Some(t)),
                _ => Err(self.error(
                    field,
                    format!("expected Unix seconds (a non-negative integer), got {n}"),
                )),
            },
            Some(other) => Err(self.error(field, expected("an integer", other))),
        }
    }

    fn nullable_timestamp(&self, field: &str) -> Result<Option<Option<i64>>, ImportError> {
        match self.map.get(field) {
            Some(Value::Null) => Ok(Some(None)),
            _ => self.timestamp(field).map(|t| t.map(Some)),
        }
    }

    fn constant(&self, field: &str, value: &str) -> Result<(), ImportError> {
        match self.string(field)? {
            Some(s) if s != value => {
                Err(self.error(field, format!("expected \"{value}\", got {s:?}")))
            }
            _ => Ok(()),
        }
    }
}

/// The JSON type of a value as messages name it ("an integer", "a string", ...).
pub fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn expected(what: &str, got: &Value) -> String {
    format!("expected {what}, got {}", json_type(got))
}

impl ImportedUser {
    /// Parses one non-blank line of an import file.
    pub fn from_json_line(line: usize, text: &str) -> Result<Self, ImportError> {
        let value: Value = serde_json::from_str(text).map_err(|e| ImportError {
            line,
            field: None,
            message: format!("not valid JSON: {e}"),
        })?;
        let Value::Object(map) = value else {
            return Err(ImportError {
                line,
                field: None,
                message: "expected a JSON object".into(),
            });
        };
        Self::from_map(line, &map)
    }

    fn from_map(line: usize, map: &Map<String, Value>) -> Result<Self, ImportError> {
        let top = FieldReader {
            line,
            prefix: "",
            map,
        };
        top.check_known(TOP_LEVEL_FIELDS)?;
        top.constant("object", orgusers_api::USER_OBJECT)?;
        let id = top
            .string("id")?
            .map(|s| UserId::parse(&s).map_err(|e| top.error("id", e.0)))
            .transpose()?;
        let name = top.nullable_string("name")?.flatten();
        let email = top
            .nullable_string("email")?
            .flatten()
            .map(|s| EmailAddress::parse(&s).map_err(|e| top.error("email", e.0)))
            .transpose()?;
        let role = match map.get("role") {
            None => Role::Reader,
            Some(Value::String(s)) => Role::parse(s).ok_or_else(|| {
                top.error(
                    "role",
                    format!("expected \"owner\" or \"reader\", got {s:?}"),
                )
            })?,
            Some(other) => {
                return Err(top.error("role", expected("\"owner\" or \"reader\"", other)));
            }
        };

        let mut user = Self {
            line,
            id,
            added_at: top.timestamp("added_at")?,
            created: top.timestamp("created")?,
            name,
            email,
            role,
            is_default: top.bool("is_default")?.unwrap_or(false),
            picture: None,
            enabled: Some(true),
            banned: Some(false),
            banned_at: None,
            is_service_account: top.bool("is_service_account")?.unwrap_or(false),
            is_scale_tier_authorized_purchaser: top
                .nullable_bool("is_scale_tier_authorized_purchaser")?
                .flatten(),
            is_scim_managed: top.bool("is_scim_managed")?.unwrap_or(false),
            api_key_last_used_at: top.nullable_timestamp("api_key_last_used_at")?.flatten(),
            technical_level: top.nullable_string("technical_level")?.flatten(),
            developer_persona: top.nullable_string("developer_persona")?.flatten(),
            had_projects: map.contains_key("projects"),
        };

        match map.get("user") {
            None => {}
            Some(Value::Object(nested)) => user.read_nested(nested)?,
            Some(other) => return Err(top.error("user", expected("an object", other))),
        }
        Ok(user)
    }

    /// Reads the nested `user`: its own fields, and its copies of the top-level ones, which must
    /// agree with them.
    fn read_nested(&mut self, nested: &Map<String, Value>) -> Result<(), ImportError> {
        let reader = FieldReader {
            line: self.line,
            prefix: "user.",
            map: nested,
        };
        reader.check_known(NESTED_FIELDS)?;
        reader.constant("object", orgusers_api::NESTED_USER_OBJECT)?;
        if let Some(id) = reader.string("id")? {
            if self.id.as_ref().is_some_and(|top| top.as_str() != id) {
                return Err(reader.error("id", "differs from the top-level id"));
            }
            if self.id.is_none() {
                self.id = Some(UserId::parse(&id).map_err(|e| reader.error("id", e.0))?);
            }
        }
        if let Some(email) = reader.nullable_string("email")?
            && email.as_deref() != self.email.as_ref().map(EmailAddress::as_str)
        {
            return Err(reader.error("email", "differs from the top-level email"));
        }
        if let Some(name) = reader.nullable_string("name")?
            && name != self.name
        {
            return Err(reader.error("name", "differs from the top-level name"));
        }
        if let Some(picture) = reader.nullable_string("picture")? {
            self.picture = picture;
        }
        if let Some(enabled) = reader.nullable_bool("enabled")? {
            self.enabled = enabled;
        }
        if let Some(banned) = reader.nullable_bool("banned")? {
            self.banned = banned;
        }
        if let Some(banned_at) = reader.nullable_timestamp("banned_at")? {
            self.banned_at = banned_at;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ImportedUser, ImportError> {
        ImportedUser::from_json_line(7, text)
    }

    fn field_of(text: &str) -> Option<String> {
        parse(text).err().and_then(|e| e.field)
    }

    #[test]
    fn minimal_line_gets_defaults() {
        let u = parse("{}").unwrap();
        assert_eq!(u.id, None);
        assert_eq!(u.role, Role::Reader);
        assert_eq!(u.enabled, Some(true));
        assert_eq!(u.banned, Some(false));
        assert!(!u.is_default);
    }

    #[test]
    fn full_line_round_trips_fields() {
        let u = parse(
            r#"{"object":"organization.user","id":"user-1","name":"Zoë","email":"Zoe@X.io",
            "role":"owner","added_at":5,"created":4,"is_default":true,
            "user":{"object":"user","id":"user-1","email":"Zoe@X.io","name":"Zoë","picture":"p",
            "enabled":null,"banned":true,"banned_at":9},"technical_level":"high",
            "projects":{"object":"list","data":[]}}"#,
        )
        .unwrap();
        assert_eq!(u.id.as_ref().map(UserId::as_str), Some("user-1"));
        assert_eq!(u.email.as_ref().map(EmailAddress::folded), Some("zoe@x.io"));
        assert_eq!(u.role, Role::Owner);
        assert_eq!((u.added_at, u.created), (Some(5), Some(4)));
        assert_eq!(u.enabled, None);
        assert_eq!((u.banned, u.banned_at), (Some(true), Some(9)));
        assert_eq!(u.picture.as_deref(), Some("p"));
        assert!(u.had_projects);
    }

    #[test]
    fn refusals_name_line_and_field() {
        let err = parse(r#"{"email":5}"#).unwrap_err();
        assert_eq!(err.line, 7);
        assert_eq!(err.field.as_deref(), Some("email"));
        assert_eq!(
            err.to_string(),
            "line 7: field 'email': expected a string or null, got an integer"
        );
        assert_eq!(field_of(r#"{"bogus":1}"#).as_deref(), Some("bogus"));
        assert_eq!(field_of(r#"{"role":"admin"}"#).as_deref(), Some("role"));
        assert_eq!(field_of(r#"{"role":null}"#).as_deref(), Some("role"));
        assert_eq!(field_of(r#"{"added_at":"x"}"#).as_deref(), Some("added_at"));
        assert_eq!(field_of(r#"{"added_at":-1}"#).as_deref(), Some("added_at"));
        assert_eq!(
            field_of(r#"{"is_default":null}"#).as_deref(),
            Some("is_default")
        );
        assert_eq!(field_of(r#"{"id":"a b"}"#).as_deref(), Some("id"));
        assert_eq!(field_of(r#"{"object":"user"}"#).as_deref(), Some("object"));
        assert_eq!(field_of(r#"{"email":"nope"}"#).as_deref(), Some("email"));
        assert_eq!(field_of(r#"{"user":{"x":1}}"#).as_deref(), Some("user.x"));
        assert_eq!(
            field_of(r#"{"email":"a@x.io","user":{"email":"b@x.io"}}"#).as_deref(),
            Some("user.email")
        );
        let bad_json = parse("{").unwrap_err();
        assert_eq!(bad_json.field, None);
        assert!(bad_json.to_string().starts_with("line 7: not valid JSON"));
        assert!(parse("[1]").is_err());
    }
}
