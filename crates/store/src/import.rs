//! Import records: one JSON Lines line in the API's own user shape, checked field by field so that
//! every refusal names its line and its field.

use std::fmt;

use serde::Deserialize;
use serde_json::Value;

use crate::body::{BodyError, BodyObject};

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
    /// Whether the line carried `projects` (any value): such a user joins no project by itself,
    /// its memberships are the file's `organization.project.user` lines. A new user without it
    /// joins the Default project.
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
    pub fn count(&mut self, existing: Option<(i64, bool)>) {
        match existing {
            Some((_, false)) => self.replaced += 1,
            _ => self.created += 1,
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
pub type ImportSource =
    Box<dyn Iterator<Item = Result<crate::transfer::ImportRecord, ImportError>> + Send>;

/// The user records of one import, in file order, as a backend's user import reads them.
pub type UserSource = Box<dyn Iterator<Item = Result<ImportedUser, ImportError>> + Send>;

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Users that did not exist (or had been deleted).
    pub created: usize,
    /// Users replaced by id.
    pub replaced: usize,
    /// What the lines of the directory's other kinds wrote.
    pub directory: crate::transfer::DirectorySummary,
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

/// A line's fields once their JSON types are checked, before the rules: `None` is absent,
/// `Some(None)` is `null`. Two readers produce it: a typed parse, and, when that fails, the
/// shared field reader of request bodies and import lines (`crate::body`), which names what is
/// wrong in CONTRACT.md's words.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LineFields {
    #[serde(default, deserialize_with = "given")]
    object: Option<String>,
    #[serde(default, deserialize_with = "given")]
    id: Option<String>,
    #[serde(default, deserialize_with = "present")]
    name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    email: Option<Option<String>>,
    #[serde(default, deserialize_with = "given")]
    role: Option<String>,
    #[serde(default, deserialize_with = "given")]
    added_at: Option<i64>,
    #[serde(default, deserialize_with = "given")]
    is_default: Option<bool>,
    #[serde(default, deserialize_with = "given")]
    created: Option<i64>,
    #[serde(default, deserialize_with = "given")]
    user: Option<NestedFields>,
    #[serde(default, deserialize_with = "given")]
    is_service_account: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    is_scale_tier_authorized_purchaser: Option<Option<bool>>,
    #[serde(default, deserialize_with = "given")]
    is_scim_managed: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    api_key_last_used_at: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present")]
    technical_level: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    developer_persona: Option<Option<String>>,
    /// Any value, `null` included: only its presence counts.
    #[serde(default, deserialize_with = "present")]
    projects: Option<Option<serde::de::IgnoredAny>>,
}

/// The nested `user` object's fields, as [`LineFields`].
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NestedFields {
    #[serde(default, deserialize_with = "given")]
    object: Option<String>,
    #[serde(default, deserialize_with = "given")]
    id: Option<String>,
    #[serde(default, deserialize_with = "present")]
    email: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    picture: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    enabled: Option<Option<bool>>,
    #[serde(default, deserialize_with = "present")]
    banned: Option<Option<bool>>,
    #[serde(default, deserialize_with = "present")]
    banned_at: Option<Option<i64>>,
}

/// The refusal of a timestamp that is not Unix seconds, showing the value as the line gave it.
fn not_unix_seconds(got: impl fmt::Display) -> String {
    format!("expected Unix seconds (a non-negative integer), got {got}")
}

/// A timestamp's rule: Unix seconds are not negative.
fn unix_seconds(t: Option<i64>) -> Result<Option<i64>, String> {
    match t {
        Some(t) if t < 0 => Err(not_unix_seconds(t)),
        t => Ok(t),
    }
}

/// An `object` field's rule: absent, or the one name its object has.
fn object_is(got: Option<&str>, want: &str) -> Result<(), String> {
    match got {
        Some(s) if s != want => Err(format!("expected \"{want}\", got {s:?}")),
        _ => Ok(()),
    }
}

/// A field that may not be `null`: present means a value of its type.
fn given<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A field that may be `null`: present means `Some`, whatever it holds.
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

impl LineFields {
    /// A line's fields through the shared reader, which names the field at fault.
    fn read(body: &BodyObject) -> Result<Self, BodyError> {
        body.only(TOP_LEVEL_FIELDS)?;
        let owned = |v: Option<Option<&str>>| v.map(|v| v.map(str::to_owned));
        let user = match body.object("user")? {
            Some(nested) => Some(NestedFields::read(&nested).map_err(|e| e.within("user"))?),
            None => None,
        };
        Ok(Self {
            object: body.present_str("object")?.map(str::to_owned),
            id: body.present_str("id")?.map(str::to_owned),
            name: owned(body.nullable_str("name")?),
            email: owned(body.nullable_str("email")?),
            role: match body.get("role") {
                None => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(other) => {
                    return Err(BodyError::WrongType {
                        field: "role".into(),
                        expected: "\"owner\" or \"reader\"",
                        got: json_type(other),
                    });
                }
            },
            added_at: body.present_i64("added_at")?,
            is_default: body.present_bool("is_default")?,
            created: body.present_i64("created")?,
            user,
            is_service_account: body.present_bool("is_service_account")?,
            is_scale_tier_authorized_purchaser: body
                .nullable_bool("is_scale_tier_authorized_purchaser")?,
            is_scim_managed: body.present_bool("is_scim_managed")?,
            api_key_last_used_at: body.nullable_i64("api_key_last_used_at")?,
            technical_level: owned(body.nullable_str("technical_level")?),
            developer_persona: owned(body.nullable_str("developer_persona")?),
            projects: body
                .get("projects")
                .is_some()
                .then_some(Some(serde::de::IgnoredAny)),
        })
    }
}

impl NestedFields {
    fn read(body: &BodyObject) -> Result<Self, BodyError> {
        body.only(NESTED_FIELDS)?;
        let owned = |v: Option<Option<&str>>| v.map(|v| v.map(str::to_owned));
        Ok(Self {
            object: body.present_str("object")?.map(str::to_owned),
            id: body.present_str("id")?.map(str::to_owned),
            email: owned(body.nullable_str("email")?),
            name: owned(body.nullable_str("name")?),
            picture: owned(body.nullable_str("picture")?),
            enabled: body.nullable_bool("enabled")?,
            banned: body.nullable_bool("banned")?,
            banned_at: body.nullable_i64("banned_at")?,
        })
    }
}

impl ImportedUser {
    /// Parses one non-blank line of an import file.
    ///
    /// A typed parse reads the line in one pass; when it fails, the line is read again field by
    /// field, which names the line and the field at fault. Both lead to the same rules, in
    /// [`ImportedUser::from_fields`], so a line means the same whichever reader took it.
    pub fn from_json_line(line: usize, text: &str) -> Result<Self, ImportError> {
        Self::from_typed_line(line, text)
            .unwrap_or_else(|| Self::from_json_line_by_field(line, text))
    }

    /// The fast typed parse of a line: `None` when its fields do not have a user line's JSON
    /// types (or names), which the field-by-field reader then explains.
    pub(crate) fn from_typed_line(line: usize, text: &str) -> Option<Result<Self, ImportError>> {
        serde_json::from_str::<LineFields>(text)
            .ok()
            .map(|fields| Self::from_fields(line, fields))
    }

    /// [`ImportedUser::from_json_line`] through the field-by-field reader alone.
    pub(crate) fn from_json_line_by_field(line: usize, text: &str) -> Result<Self, ImportError> {
        let value: Value = serde_json::from_str(text).map_err(|e| ImportError {
            line,
            field: None,
            message: format!("not valid JSON: {e}"),
        })?;
        let body = BodyObject::from_value(value).map_err(|_| ImportError {
            line,
            field: None,
            message: "expected a JSON object".into(),
        })?;
        let fields = LineFields::read(&body).map_err(|e| ImportError {
            line,
            field: e.field().map(str::to_owned),
            message: e.message(),
        })?;
        Self::from_fields(line, fields)
    }

    /// The rules every line follows once its fields have their JSON types.
    fn from_fields(line: usize, fields: LineFields) -> Result<Self, ImportError> {
        let error = |field: &str, message: String| ImportError {
            line,
            field: Some(field.to_owned()),
            message,
        };
        let timestamp = |field: &str, t: Option<i64>| unix_seconds(t).map_err(|m| error(field, m));
        object_is(fields.object.as_deref(), orgusers_api::USER_OBJECT)
            .map_err(|m| error("object", m))?;
        let id = fields
            .id
            .map(|s| UserId::parse(&s).map_err(|e| error("id", e.0)))
            .transpose()?;
        let name = fields.name.flatten();
        let email = fields
            .email
            .flatten()
            .map(|s| EmailAddress::parse(&s).map_err(|e| error("email", e.0)))
            .transpose()?;
        let role = match fields.role {
            None => Role::Reader,
            Some(s) => Role::parse(&s).ok_or_else(|| {
                error(
                    "role",
                    format!("expected \"owner\" or \"reader\", got {s:?}"),
                )
            })?,
        };
        let mut user = Self {
            line,
            id,
            added_at: timestamp("added_at", fields.added_at)?,
            created: timestamp("created", fields.created)?,
            name,
            email,
            role,
            is_default: fields.is_default.unwrap_or(false),
            picture: None,
            enabled: Some(true),
            banned: Some(false),
            banned_at: None,
            is_service_account: fields.is_service_account.unwrap_or(false),
            is_scale_tier_authorized_purchaser: fields.is_scale_tier_authorized_purchaser.flatten(),
            is_scim_managed: fields.is_scim_managed.unwrap_or(false),
            api_key_last_used_at: timestamp(
                "api_key_last_used_at",
                fields.api_key_last_used_at.flatten(),
            )?,
            technical_level: fields.technical_level.flatten(),
            developer_persona: fields.developer_persona.flatten(),
            had_projects: fields.projects.is_some(),
        };
        if let Some(nested) = fields.user {
            user.apply_nested(nested)?;
        }
        Ok(user)
    }

    /// Applies the nested `user`: its own fields, and its copies of the top-level ones, which
    /// must agree with them.
    fn apply_nested(&mut self, nested: NestedFields) -> Result<(), ImportError> {
        let line = self.line;
        let error = |field: &str, message: String| ImportError {
            line,
            field: Some(format!("user.{field}")),
            message,
        };
        object_is(nested.object.as_deref(), orgusers_api::NESTED_USER_OBJECT)
            .map_err(|m| error("object", m))?;
        if let Some(id) = nested.id {
            if self.id.as_ref().is_some_and(|top| top.as_str() != id) {
                return Err(error("id", "differs from the top-level id".into()));
            }
            if self.id.is_none() {
                self.id = Some(UserId::parse(&id).map_err(|e| error("id", e.0))?);
            }
        }
        if let Some(email) = nested.email
            && email.as_deref() != self.email.as_ref().map(EmailAddress::as_str)
        {
            return Err(error("email", "differs from the top-level email".into()));
        }
        if let Some(name) = nested.name
            && name != self.name
        {
            return Err(error("name", "differs from the top-level name".into()));
        }
        if let Some(picture) = nested.picture {
            self.picture = picture;
        }
        if let Some(enabled) = nested.enabled {
            self.enabled = enabled;
        }
        if let Some(banned) = nested.banned {
            self.banned = banned;
        }
        if let Some(banned_at) = nested.banned_at {
            self.banned_at = unix_seconds(banned_at).map_err(|m| error("banned_at", m))?;
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

    /// Lines meant to reach every branch of both readers: each is read by the typed parse
    /// (falling back when it fails) and by the field-by-field reader alone, with the same
    /// outcome, refusals included.
    #[test]
    fn both_readers_agree() {
        let fields = [
            r#""object":"organization.user""#,
            r#""object":"user""#,
            r#""object":null"#,
            r#""id":"user-1""#,
            r#""id":"a b""#,
            r#""id":null"#,
            r#""id":7"#,
            r#""name":"Zoë""#,
            r#""name":null"#,
            r#""name":1"#,
            r#""email":"Zoe@X.io""#,
            r#""email":null"#,
            r#""email":"nope""#,
            r#""email":[]"#,
            r#""role":"owner""#,
            r#""role":"admin""#,
            r#""role":null"#,
            r#""role":1"#,
            r#""added_at":5"#,
            r#""added_at":-1"#,
            r#""added_at":1.5"#,
            r#""added_at":9223372036854775808"#,
            r#""added_at":null"#,
            r#""created":4"#,
            r#""is_default":true"#,
            r#""is_default":null"#,
            r#""is_default":"yes""#,
            r#""is_scale_tier_authorized_purchaser":null"#,
            r#""is_scale_tier_authorized_purchaser":false"#,
            r#""is_scim_managed":true"#,
            r#""is_service_account":0"#,
            r#""api_key_last_used_at":null"#,
            r#""api_key_last_used_at":-3"#,
            r#""api_key_last_used_at":8"#,
            r#""technical_level":"high""#,
            r#""developer_persona":null"#,
            r#""projects":null"#,
            r#""projects":{"object":"list","data":[]}"#,
            r#""bogus":1"#,
            r#""user":null"#,
            r#""user":{}"#,
            r#""user":{"object":"user","id":"user-1","email":"Zoe@X.io","name":"Zoë"}"#,
            r#""user":{"id":"user-2"}"#,
            r#""user":{"email":"b@x.io"}"#,
            r#""user":{"picture":"p","enabled":null,"banned":true,"banned_at":9}"#,
            r#""user":{"banned_at":-9}"#,
            r#""user":{"enabled":"no"}"#,
            r#""user":{"object":"organization.user"}"#,
            r#""user":{"x":1}"#,
        ];
        let mut lines = vec![
            "{}".to_owned(),
            "[1]".to_owned(),
            "{".to_owned(),
            "null".to_owned(),
        ];
        for (i, a) in fields.iter().enumerate() {
            lines.push(format!("{{{a}}}"));
            for b in fields.iter().skip(i + 1).step_by(5) {
                lines.push(format!("{{{a},{b}}}"));
            }
        }
        // Repeated keys: the field-by-field reader keeps the last.
        lines.push(r#"{"role":"owner","role":"reader"}"#.to_owned());
        let mut typed = 0;
        for text in &lines {
            let reference = ImportedUser::from_json_line_by_field(3, text);
            assert_eq!(ImportedUser::from_json_line(3, text), reference, "{text}");
            typed += usize::from(serde_json::from_str::<LineFields>(text).is_ok());
        }
        assert!(
            typed > lines.len() / 3,
            "the typed parse takes most valid lines"
        );
    }

    #[test]
    fn refusals_name_line_and_field() {
        let err = parse(r#"{"email":5}"#).unwrap_err();
        assert_eq!(err.line, 7);
        assert_eq!(err.field.as_deref(), Some("email"));
        assert_eq!(
            err.to_string(),
            "line 7: field 'email': Invalid type for 'email': expected a string or null, but got an integer instead."
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
