//! Parsing of request inputs into validated values: the list query and the modify body.
//! Public for the benchmarks; the handlers are its only other callers.

use orgusers_store::body::BodyObject;
use orgusers_store::page::{FirstQuery, ListBounds, ListScope, NextQuery, SortOrder};
use orgusers_store::{
    EmailFilter, Kind, LimitError, OrgId, PageLimit, Role, UserChange, UserQuery, parse_limit,
};
use serde_json::Value;

use crate::error::ApiError;

/// Parses the query string of `GET /organization/users`.
///
/// `emails[]=`, `emails%5B%5D=` and repeated `emails=` all add to the filter; for other
/// parameters the last value counts; unknown parameters are ignored.
pub fn list_query(raw: Option<&str>) -> Result<UserQuery, ApiError> {
    let mut limit: Option<String> = None;
    let mut after: Option<String> = None;
    let mut emails: Option<Vec<String>> = None;
    for (key, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "limit" => limit = Some(value.into_owned()),
            "after" => after = Some(value.into_owned()),
            "emails" | "emails[]" => emails.get_or_insert_with(Vec::new).push(value.into_owned()),
            _ => {}
        }
    }
    let limit = page_limit(limit)?;
    let emails = emails
        .map(|values| EmailFilter::new(values.iter().map(String::as_str)))
        .transpose()
        .map_err(ApiError::TooManyEmails)?;
    Ok(UserQuery {
        limit,
        after: after.filter(|a| !a.is_empty()),
        emails,
    })
}

/// The last value of each query parameter named in `names` (a repeated parameter's last value
/// counts, as for users); other parameters are ignored.
fn last_values<const N: usize>(raw: Option<&str>, names: [&str; N]) -> [Option<String>; N] {
    let mut values: [Option<String>; N] = std::array::from_fn(|_| None);
    for (name, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        if let Some(i) = names.iter().position(|n| *n == name) {
            values[i] = Some(value.into_owned());
        }
    }
    values
}

/// `limit` of a first/last list: 1 to 100, 20 when absent, refused as users' is.
fn page_limit(text: Option<String>) -> Result<usize, ApiError> {
    let Some(text) = text else {
        return Ok(PageLimit::DEFAULT.get());
    };
    PageLimit::parse(&text)
        .map(PageLimit::get)
        .map_err(|e| match e {
            LimitError::NotAnInteger => ApiError::LimitNotInteger(text),
            LimitError::BelowMin => ApiError::LimitBelowMin {
                min: PageLimit::MIN,
                got: text,
            },
            LimitError::AboveMax => ApiError::LimitAboveMax {
                max: PageLimit::MAX,
                got: text,
            },
        })
}

/// Parses `limit` and `after` of a first/last list (projects and what lives in a project).
pub fn first_query(raw: Option<&str>) -> Result<FirstQuery, ApiError> {
    let [limit, after] = last_values(raw, ["limit", "after"]);
    Ok(FirstQuery {
        limit: page_limit(limit)?,
        after: after.filter(|a| !a.is_empty()),
    })
}

/// A boolean query parameter: `true`/`false` in any letter case, or `1`/`0`; `false` when
/// absent.
pub fn flag(raw: Option<&str>, name: &'static str) -> Result<bool, ApiError> {
    let [value] = last_values(raw, [name]);
    match value {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("true") || v == "1" => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") || v == "0" => Ok(false),
        Some(got) => Err(ApiError::NotABoolean { param: name, got }),
    }
}

/// A query parameter that must be one of `allowed`, if given.
pub fn choice(
    raw: Option<&str>,
    name: &'static str,
    allowed: &'static [&'static str],
) -> Result<Option<&'static str>, ApiError> {
    let [value] = last_values(raw, [name]);
    match value {
        None => Ok(None),
        Some(got) => match allowed.iter().find(|a| **a == got) {
            Some(found) => Ok(Some(found)),
            None => Err(ApiError::InvalidQueryValue {
                param: name,
                allowed,
                got,
            }),
        },
    }
}

/// Parses the query string of a cursor-style list (`limit`, `order`, `after`) within the
/// endpoint's `bounds`; `after` must be a cursor this server issued for `scope`.
pub fn next_query(
    raw: Option<&str>,
    bounds: ListBounds,
    scope: &ListScope<'_>,
    key: &orgusers_store::page::CursorKey,
) -> Result<NextQuery, ApiError> {
    let mut query = NextQuery::first(bounds);
    let (mut limit, mut order, mut after) = (None, None, None);
    // As for users: a repeated parameter's last value counts.
    for (name, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match name.as_ref() {
            "limit" => limit = Some(value.into_owned()),
            "order" => order = Some(value.into_owned()),
            "after" => after = Some(value.into_owned()),
            _ => {}
        }
    }
    if let Some(text) = limit {
        let max = i64::try_from(bounds.max_limit).unwrap_or(i64::MAX);
        query.limit = parse_limit(&text, 0, max).map_err(|e| match e {
            LimitError::NotAnInteger => ApiError::LimitNotInteger(text.clone()),
            LimitError::BelowMin => ApiError::LimitBelowMin {
                min: 0,
                got: text.clone(),
            },
            LimitError::AboveMax => ApiError::LimitAboveMax {
                max,
                got: text.clone(),
            },
        })?;
    }
    if let Some(text) = order {
        query.order = SortOrder::parse(&text).ok_or(ApiError::InvalidOrder(text))?;
    }
    if let Some(after) = after.filter(|a| !a.is_empty()) {
        query.after = Some(
            key.check(scope, &after)
                .map_err(|_| ApiError::ForeignCursor)?,
        );
    }
    Ok(query)
}

/// A value as an error message quotes it: strings in single quotes, anything else as JSON.
fn quoted(v: &Value) -> String {
    match v {
        Value::String(s) => format!("'{s}'"),
        other => other.to_string(),
    }
}

/// Parses the body of `POST /organization/users/{id}` into a change for `org`'s user.
pub fn user_change(body: &[u8], org: &OrgId) -> Result<UserChange, ApiError> {
    let body = BodyObject::parse(body)?;
    body.only(&["role", "role_id", "technical_level", "developer_persona"])?;
    let mut change = UserChange::default();
    if let Some(value) = body.get("role") {
        let role = value.as_str().and_then(Role::parse);
        change.role = Some(role.ok_or_else(|| ApiError::InvalidRole(quoted(value)))?);
    }
    // `role_id: null` asks for nothing.
    let role_from_id = match body.optional_str("role_id")? {
        None => None,
        Some(id) => {
            Some(
                Role::from_role_id(id, org).ok_or_else(|| ApiError::UnknownReference {
                    param: "role_id",
                    kind: Kind::Role,
                    id: id.to_owned(),
                })?,
            )
        }
    };
    let owned = |v: Option<Option<&str>>| v.map(|v| v.map(str::to_owned));
    change.technical_level = owned(body.nullable_str("technical_level")?);
    change.developer_persona = owned(body.nullable_str("developer_persona")?);
    match (change.role, role_from_id) {
        (Some(role), Some(named)) if role != named => {
            return Err(ApiError::RoleMismatch {
                role: role.as_str().to_owned(),
                role_id_role: named.as_str().to_owned(),
            });
        }
        (None, Some(named)) => change.role = Some(named),
        _ => {}
    }
    Ok(change)
}

#[cfg(test)]
mod tests {
    use orgusers_store::body::BodyError;

    use super::*;

    fn org() -> OrgId {
        OrgId::parse("org-test").unwrap()
    }

    #[test]
    fn emails_in_every_encoding() {
        for raw in [
            "emails[]=a@x.io&emails[]=B@x.io",
            "emails%5B%5D=a%40x.io&emails%5B%5D=b%40x.io",
            "emails=a@x.io&emails=b@x.io",
            "emails=a@x.io&emails[]=b@x.io&emails=A@X.IO",
        ] {
            let q = list_query(Some(raw)).unwrap();
            assert_eq!(q.emails.unwrap().addresses(), ["a@x.io", "b@x.io"], "{raw}");
        }
        let plus = list_query(Some("emails[]=a%2Bb@x.io")).unwrap();
        assert_eq!(plus.emails.unwrap().addresses(), ["a+b@x.io"]);
        let space = list_query(Some("emails[]=a+b@x.io")).unwrap();
        assert_eq!(space.emails.unwrap().addresses(), ["a b@x.io"]);
        let empty = list_query(Some("emails=")).unwrap();
        assert_eq!(empty.emails.map(|e| e.addresses().len()), Some(0));
        assert!(list_query(None).unwrap().emails.is_none());
    }

    #[test]
    fn limit_and_after_rules() {
        let q = list_query(Some("limit=5&limit=7&after=&unknown=1")).unwrap();
        assert_eq!(q.limit, 7);
        assert_eq!(q.after, None);
        assert_eq!(list_query(None).unwrap().limit, 20);
        assert!(
            matches!(list_query(Some("limit=")), Err(ApiError::LimitNotInteger(s)) if s.is_empty())
        );
        assert!(
            matches!(list_query(Some("limit=%2B5")), Err(ApiError::LimitNotInteger(s)) if s == "+5")
        );
        assert!(matches!(
            list_query(Some("limit=0")),
            Err(ApiError::LimitBelowMin { .. })
        ));
        assert!(matches!(
            list_query(Some("limit=101")),
            Err(ApiError::LimitAboveMax { .. })
        ));
        let many: String = (0..1001).map(|i| format!("emails[]=u{i}@x.io&")).collect();
        assert!(matches!(
            list_query(Some(&many)),
            Err(ApiError::TooManyEmails(1001))
        ));
    }

    #[test]
    fn first_lists_flags_and_choices() {
        let q = first_query(Some("limit=3&after=proj_a&after=proj_b")).unwrap();
        assert_eq!((q.limit, q.after.as_deref()), (3, Some("proj_b")));
        assert_eq!(first_query(None).unwrap(), FirstQuery::first());
        assert!(matches!(
            first_query(Some("limit=0")),
            Err(ApiError::LimitBelowMin { .. })
        ));
        for (raw, want) in [
            ("include_archived=True", true),
            ("include_archived=TRUE", true),
            ("include_archived=1", true),
            ("include_archived=False", false),
            ("include_archived=0", false),
            ("", false),
        ] {
            assert_eq!(flag(Some(raw), "include_archived").unwrap(), want, "{raw}");
        }
        assert!(matches!(
            flag(Some("include_archived=yes"), "include_archived"),
            Err(ApiError::NotABoolean { param: "include_archived", got }) if got == "yes"
        ));
        let access = &["active", "inactive"];
        assert_eq!(choice(Some("a=b"), "access", access).unwrap(), None);
        assert_eq!(
            choice(Some("access=inactive"), "access", access).unwrap(),
            Some("inactive")
        );
        assert!(choice(Some("access=all"), "access", access).is_err());
    }

    #[test]
    fn change_bodies() {
        let c = user_change(br#"{"role":"owner","technical_level":null}"#, &org()).unwrap();
        assert_eq!(c.role, Some(Role::Owner));
        assert_eq!(c.technical_level, Some(None));
        assert_eq!(c.developer_persona, None);
        assert_eq!(user_change(b"{}", &org()).unwrap(), UserChange::default());
        let by_id = format!(r#"{{"role_id":"{}"}}"#, Role::Reader.role_id(&org()));
        assert_eq!(
            user_change(by_id.as_bytes(), &org()).unwrap().role,
            Some(Role::Reader)
        );
    }

    #[test]
    fn bad_bodies() {
        let o = org();
        assert!(matches!(
            user_change(b"", &o),
            Err(ApiError::Body(BodyError::NotAnObject))
        ));
        assert!(matches!(
            user_change(b"[1]", &o),
            Err(ApiError::Body(BodyError::NotAnObject))
        ));
        assert!(matches!(
            user_change(b"\"x\"", &o),
            Err(ApiError::Body(BodyError::NotAnObject))
        ));
        assert!(matches!(
            user_change(br#"{"zeta":1,"alpha":2,"role":"owner"}"#, &o),
            Err(ApiError::Body(BodyError::Unrecognized(f))) if f == "zeta"
        ));
        assert!(matches!(
            user_change(br#"{"role":null}"#, &o),
            Err(ApiError::InvalidRole(got)) if got == "null"
        ));
        assert!(matches!(
            user_change(br#"{"role":"admin"}"#, &o),
            Err(ApiError::InvalidRole(got)) if got == "'admin'"
        ));
        assert!(matches!(
            user_change(br#"{"role_id":"role-nope"}"#, &o),
            Err(ApiError::UnknownReference { .. })
        ));
        let other_org = Role::Owner.role_id(&OrgId::parse("org-other").unwrap());
        assert!(matches!(
            user_change(format!(r#"{{"role_id":"{other_org}"}}"#).as_bytes(), &o),
            Err(ApiError::UnknownReference { .. })
        ));
        let mismatch = format!(
            r#"{{"role":"reader","role_id":"{}"}}"#,
            Role::Owner.role_id(&o)
        );
        assert!(matches!(
            user_change(mismatch.as_bytes(), &o),
            Err(ApiError::RoleMismatch { .. })
        ));
        assert!(matches!(
            user_change(br#"{"developer_persona":5}"#, &o),
            Err(ApiError::Body(BodyError::WrongType { field, .. })) if field == "developer_persona"
        ));
    }
}
