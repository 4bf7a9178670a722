//! One reader of JSON objects, for request bodies and for the lines of an import: the same
//! missing-field, wrong-type and unknown-field answers for both (CONTRACT.md "Not found, and
//! other errors"), each caller only saying how it reports them.

use serde_json::{Map, Value};

use crate::import::json_type;

/// What is wrong with an object, and with which field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// Not valid JSON, or not an object.
    NotAnObject,
    /// A required field is absent.
    Missing(String),
    /// A field of the wrong JSON type.
    WrongType {
        /// The field (`permissions[2]` for an item).
        field: String,
        /// `a string`, `an array`, …
        expected: &'static str,
        /// The JSON type that came.
        got: &'static str,
    },
    /// A field whose value breaks its rule.
    Invalid {
        /// The field.
        field: String,
        /// What is wrong, in one sentence.
        message: String,
    },
    /// A field the object does not take (the first such, in body order).
    Unrecognized(String),
}

impl BodyError {
    /// The field at fault, when one is.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::NotAnObject => None,
            Self::Missing(field) | Self::Unrecognized(field) => Some(field),
            Self::WrongType { field, .. } | Self::Invalid { field, .. } => Some(field),
        }
    }

    /// The same refusal of a field of the object held by `outer` (`user.email`).
    pub fn within(self, outer: &str) -> Self {
        let nest = |field: String| format!("{outer}.{field}");
        match self {
            Self::NotAnObject => Self::NotAnObject,
            Self::Missing(field) => Self::Missing(nest(field)),
            Self::Unrecognized(field) => Self::Unrecognized(nest(field)),
            Self::WrongType {
                field,
                expected,
                got,
            } => Self::WrongType {
                field: nest(field),
                expected,
                got,
            },
            Self::Invalid { field, message } => Self::Invalid {
                field: nest(field),
                message,
            },
        }
    }

    /// The machine-readable code of the OpenAI envelope.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            Self::NotAnObject | Self::Unrecognized(_) => None,
            Self::Missing(_) => Some("missing_required_parameter"),
            Self::WrongType { .. } => Some("invalid_type"),
            Self::Invalid { .. } => Some("invalid_value"),
        }
    }

    /// CONTRACT.md's sentence for this refusal.
    pub fn message(&self) -> String {
        match self {
            Self::NotAnObject => {
                "We could not parse the JSON body of your request. The API expects a JSON payload."
                    .into()
            }
            Self::Missing(field) => format!("Missing required parameter: '{field}'."),
            Self::WrongType {
                field,
                expected,
                got,
            } => format!("Invalid type for '{field}': expected {expected}, but got {got} instead."),
            Self::Invalid { field, message } => format!("Invalid '{field}': {message}."),
            Self::Unrecognized(field) => format!("Unrecognized request argument supplied: {field}"),
        }
    }
}

/// A JSON object, read field by field.
#[derive(Debug, Clone, PartialEq)]
pub struct BodyObject(Map<String, Value>);

impl BodyObject {
    /// Parses a body: it must be a JSON object.
    pub fn parse(bytes: &[u8]) -> Result<Self, BodyError> {
        match serde_json::from_slice::<Value>(bytes) {
            Ok(value) => Self::from_value(value),
            Err(_) => Err(BodyError::NotAnObject),
        }
    }

    /// Takes an already parsed value.
    pub fn from_value(value: Value) -> Result<Self, BodyError> {
        match value {
            Value::Object(fields) => Ok(Self(fields)),
            _ => Err(BodyError::NotAnObject),
        }
    }

    /// Refuses the first field (in body order) not in `known`.
    pub fn only(&self, known: &[&str]) -> Result<(), BodyError> {
        match self.0.keys().find(|k| !known.contains(&k.as_str())) {
            Some(unknown) => Err(BodyError::Unrecognized(unknown.clone())),
            None => Ok(()),
        }
    }

    fn wrong(field: &str, expected: &'static str, got: &Value) -> BodyError {
        BodyError::WrongType {
            field: field.to_owned(),
            expected,
            got: json_type(got),
        }
    }

    /// The raw value of a field, for rules that quote it.
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.0.get(field)
    }

    /// A string field where `null` means something (clearing it): absent is `None`, `null` is
    /// `Some(None)`.
    pub fn nullable_str(&self, field: &str) -> Result<Option<Option<&str>>, BodyError> {
        match self.0.get(field) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::String(s)) => Ok(Some(Some(s))),
            Some(other) => Err(Self::wrong(field, "a string or null", other)),
        }
    }

    /// A string field that may be absent but not `null`.
    pub fn present_str(&self, field: &str) -> Result<Option<&str>, BodyError> {
        match self.0.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(Self::wrong(field, "a string", other)),
        }
    }

    /// A boolean field that may be absent but not `null`.
    pub fn present_bool(&self, field: &str) -> Result<Option<bool>, BodyError> {
        match self.0.get(field) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(Self::wrong(field, "a boolean", other)),
        }
    }

    /// A boolean field that may be absent or `null` (both `None`), as a request body's optional
    /// flags are.
    pub fn optional_bool(&self, field: &str) -> Result<Option<bool>, BodyError> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(Self::wrong(field, "a boolean", other)),
        }
    }

    /// A boolean field where `null` is a value: absent is `None`, `null` is `Some(None)`.
    pub fn nullable_bool(&self, field: &str) -> Result<Option<Option<bool>>, BodyError> {
        match self.0.get(field) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::Bool(b)) => Ok(Some(Some(*b))),
            Some(other) => Err(Self::wrong(field, "a boolean or null", other)),
        }
    }

    /// An integer field that may be absent but not `null`.
    pub fn present_i64(&self, field: &str) -> Result<Option<i64>, BodyError> {
        match self.0.get(field) {
            None => Ok(None),
            Some(value) => value
                .as_i64()
                .map(Some)
                .ok_or_else(|| Self::wrong(field, "an integer", value)),
        }
    }

    /// An integer field where `null` is a value: absent is `None`, `null` is `Some(None)`.
    pub fn nullable_i64(&self, field: &str) -> Result<Option<Option<i64>>, BodyError> {
        match self.0.get(field) {
            Some(Value::Null) => Ok(Some(None)),
            _ => self.present_i64(field).map(|v| v.map(Some)),
        }
    }

    /// A field holding an object, read with the same rules; its refusals name `field.inner`.
    pub fn object(&self, field: &str) -> Result<Option<BodyObject>, BodyError> {
        match self.0.get(field) {
            None => Ok(None),
            Some(Value::Object(inner)) => Ok(Some(Self(inner.clone()))),
            Some(other) => Err(Self::wrong(field, "an object", other)),
        }
    }

    /// A string field that may be absent or `null`.
    pub fn optional_str(&self, field: &str) -> Result<Option<&str>, BodyError> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(Self::wrong(field, "a string", other)),
        }
    }

    /// A string field that must be present.
    pub fn required_str(&self, field: &str) -> Result<&str, BodyError> {
        match self.0.get(field) {
            None => Err(BodyError::Missing(field.to_owned())),
            Some(Value::String(s)) => Ok(s),
            Some(other) => Err(Self::wrong(field, "a string", other)),
        }
    }

    /// An integer field that may be absent or `null`.
    pub fn optional_i64(&self, field: &str) -> Result<Option<i64>, BodyError> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => value
                .as_i64()
                .map(Some)
                .ok_or_else(|| Self::wrong(field, "an integer", value)),
        }
    }

    /// An array of strings that may be absent or `null`.
    pub fn optional_strings(&self, field: &str) -> Result<Option<Vec<String>>, BodyError> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(Self::wrong(&format!("{field}[{i}]"), "a string", other)),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(Self::wrong(field, "an array", other)),
        }
    }

    /// An array of strings that must be present.
    pub fn required_strings(&self, field: &str) -> Result<Vec<String>, BodyError> {
        match self.0.get(field) {
            None => Err(BodyError::Missing(field.to_owned())),
            Some(Value::Null) => Err(Self::wrong(field, "an array", &Value::Null)),
            Some(_) => Ok(self.optional_strings(field)?.unwrap_or_default()),
        }
    }
}

/// The allowed values of an enumeration as messages list them: `'a' or 'b'`, `'a', 'b' or 'c'`.
pub fn one_of(allowed: &[&str]) -> String {
    let quoted: Vec<String> = allowed.iter().map(|value| format!("'{value}'")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

impl BodyObject {
    /// A string field that must be one of `allowed`, if present and not null.
    pub fn optional_enum(
        &self,
        field: &str,
        allowed: &[&'static str],
    ) -> Result<Option<&'static str>, BodyError> {
        match self.optional_str(field)? {
            None => Ok(None),
            Some(value) => match allowed.iter().find(|a| **a == value) {
                Some(found) => Ok(Some(found)),
                None => Err(invalid(
                    field,
                    format!(
                        "expected one of {}, but got '{value}' instead",
                        one_of(allowed)
                    ),
                )),
            },
        }
    }

    /// A string field that must be present and one of `allowed`.
    pub fn required_enum(
        &self,
        field: &str,
        allowed: &[&'static str],
    ) -> Result<&'static str, BodyError> {
        self.required_str(field)?;
        self.optional_enum(field, allowed)?
            .ok_or_else(|| BodyError::Missing(field.to_owned()))
    }
}

/// A rule's refusal of `field`'s value as a [`BodyError`].
pub fn invalid(field: &str, why: impl std::fmt::Display) -> BodyError {
    BodyError::Invalid {
        field: field.to_owned(),
        message: why.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_read_with_their_errors() {
        let body = BodyObject::parse(br#"{"name":"x","n":3,"p":["a",2],"z":null}"#).unwrap();
        assert_eq!(body.required_str("name"), Ok("x"));
        assert_eq!(body.optional_str("z"), Ok(None));
        assert_eq!(body.optional_str("absent"), Ok(None));
        assert_eq!(body.optional_i64("n"), Ok(Some(3)));
        assert_eq!(
            body.required_str("missing"),
            Err(BodyError::Missing("missing".into()))
        );
        assert_eq!(
            body.required_str("n"),
            Err(BodyError::WrongType {
                field: "n".into(),
                expected: "a string",
                got: "an integer"
            })
        );
        assert_eq!(
            body.required_strings("p"),
            Err(BodyError::WrongType {
                field: "p[1]".into(),
                expected: "a string",
                got: "an integer"
            })
        );
        assert_eq!(
            body.only(&["name", "n", "p"]),
            Err(BodyError::Unrecognized("z".into()))
        );
        assert_eq!(BodyObject::parse(b"[1]"), Err(BodyError::NotAnObject));
        let roles = BodyObject::parse(br#"{"role":"admin","ok":"member"}"#).unwrap();
        assert_eq!(
            roles
                .required_enum("role", &["owner", "member"])
                .map_err(|e| e.message()),
            Err(
                "Invalid 'role': expected one of 'owner' or 'member', but got 'admin' instead."
                    .into()
            )
        );
        assert_eq!(
            roles.required_enum("ok", &["owner", "member"]),
            Ok("member")
        );
        assert_eq!(one_of(&["a", "b", "c"]), "'a', 'b' or 'c'");
        assert_eq!(BodyObject::parse(b""), Err(BodyError::NotAnObject));
    }
}
