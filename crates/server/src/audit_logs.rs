//! Handler of `GET /v1/organization/audit_logs`: parse the query, read one page, answer.

use axum::extract::State;
use orgusers_store::audit_logs::{AuditCursor, AuditLogQuery, TimeRange, rules::is_event_type};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Authenticated, QueryString};
use crate::params;
use crate::users::JsonBytes;

/// One page of the organization's audit log, newest first, as the store writes it.
pub async fn list(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    QueryString(query): QueryString,
) -> Result<JsonBytes, ApiError> {
    let query = audit_log_query(query.as_deref())?;
    Ok(JsonBytes(
        state.store.list_audit_logs_json(&org, &query).await?,
    ))
}

/// Parses the query of the list: `limit` and `after` as every first/last list, `before`, the
/// `effective_at[…]` bounds (the last value of each counts) and the array filters, each given as
/// `name[]` or `name` (percent-encoded brackets too), repeated; empty values are ignored, but for
/// `event_types`, where the empty string is no value of the enum and is refused as any other.
pub fn audit_log_query(raw: Option<&str>) -> Result<AuditLogQuery, ApiError> {
    let first = params::first_query(raw)?;
    let mut query = AuditLogQuery::newest(first.limit);
    let mut before = None;
    let mut effective_at = TimeRange::default();
    for (name, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        let name = name.as_ref();
        let bound = match name {
            "effective_at[gt]" => Some(("effective_at[gt]", &mut effective_at.gt)),
            "effective_at[gte]" => Some(("effective_at[gte]", &mut effective_at.gte)),
            "effective_at[lt]" => Some(("effective_at[lt]", &mut effective_at.lt)),
            "effective_at[lte]" => Some(("effective_at[lte]", &mut effective_at.lte)),
            _ => None,
        };
        if let Some((param, slot)) = bound {
            let at = value
                .trim()
                .parse::<i64>()
                .map_err(|_| ApiError::QueryNotInteger {
                    param,
                    got: value.clone().into_owned(),
                })?;
            *slot = Some(at);
            continue;
        }
        if name == "before" {
            before = Some(value.into_owned());
            continue;
        }
        let list = match name.strip_suffix("[]").unwrap_or(name) {
            "event_types" => &mut query.event_types,
            "actor_ids" => &mut query.actor_ids,
            "actor_emails" => &mut query.actor_emails,
            "resource_ids" => &mut query.resource_ids,
            "project_ids" => &mut query.project_ids,
            _ => continue,
        };
        if value.is_empty() && name.strip_suffix("[]").unwrap_or(name) != "event_types" {
            continue;
        }
        list.get_or_insert_with(Vec::new).push(value.into_owned());
    }
    if let Some(unknown) = query
        .event_types
        .iter()
        .flatten()
        .find(|event_type| !is_event_type(event_type))
    {
        return Err(ApiError::UnknownEventType(unknown.clone()));
    }
    query.effective_at = effective_at;
    query.tenant_only = params::flag(raw, "tenant_only")?;
    query.cursor = match (first.after, before.filter(|b| !b.is_empty())) {
        (Some(after), _) => Some(AuditCursor::After(after)),
        (None, Some(before)) => Some(AuditCursor::Before(before)),
        (None, None) => None,
    };
    Ok(query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_in_every_encoding() {
        let query = audit_log_query(Some(
            "event_types[]=project.created&event_types=user.added&event_types%5B%5D=group.updated\
             &resource_ids=proj_a&effective_at%5Bgte%5D=10&effective_at[lt]=20&before=audit_log-x",
        ))
        .unwrap();
        assert_eq!(
            query.event_types.unwrap(),
            ["project.created", "user.added", "group.updated"]
        );
        assert_eq!(query.resource_ids.unwrap(), ["proj_a"]);
        assert_eq!(query.effective_at.gte, Some(10));
        assert_eq!(query.effective_at.lt, Some(20));
        assert_eq!(
            query.cursor,
            Some(AuditCursor::Before("audit_log-x".into()))
        );
        assert!(query.project_ids.is_none());
        assert_eq!(query.limit, 20);
    }

    #[test]
    fn refusals_name_their_parameter() {
        assert!(matches!(
            audit_log_query(Some("effective_at[gt]=soon")),
            Err(ApiError::QueryNotInteger {
                param: "effective_at[gt]",
                ..
            })
        ));
        assert!(matches!(
            audit_log_query(Some("event_types[]=project.exploded")),
            Err(ApiError::UnknownEventType(got)) if got == "project.exploded"
        ));
        assert!(matches!(
            audit_log_query(Some("event_types[]=")),
            Err(ApiError::UnknownEventType(got)) if got.is_empty()
        ));
        assert!(
            audit_log_query(Some("resource_ids[]=&actor_ids="))
                .unwrap()
                .resource_ids
                .is_none()
        );
        assert!(matches!(
            audit_log_query(Some("limit=0")),
            Err(ApiError::LimitBelowMin { .. })
        ));
    }
}
