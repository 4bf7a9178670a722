//! The audit log (`GET /organization/audit_logs`): the query and its rules, the translation of
//! what the store modules record into the spec's entries, and the trait each backend implements.
//!
//! The store modules record events in their own words ([`AuditEvent`]); [`SpecEntry::of`] turns
//! each into the spec's event type, payload and project when the change appends it, so the table
//! holds entries as the API shows them and every filter is a column.

use async_trait::async_trait;
use orgusers_api::render::{AuditLogFields, AuditLogListWriter};
use serde_json::{Map, Value, json};

use crate::audit::AuditEvent;
use crate::domain::fold_email;
use crate::{OrgId, StoreError};

#[cfg(test)]
mod equivalence;
pub(crate) mod postgres;
pub(crate) mod sqlite;

/// Every value of the spec's `AuditLogEventType`, the only types an entry may have and the only
/// ones `event_types` accepts.
pub const EVENT_TYPES: &[&str] = &[
    "api_key.created",
    "api_key.updated",
    "api_key.deleted",
    "certificate.created",
    "certificate.updated",
    "certificate.deleted",
    "certificates.activated",
    "certificates.deactivated",
    "checkpoint.permission.created",
    "checkpoint.permission.deleted",
    "external_key.registered",
    "external_key.removed",
    "group.created",
    "group.updated",
    "group.deleted",
    "invite.sent",
    "invite.accepted",
    "invite.deleted",
    "ip_allowlist.created",
    "ip_allowlist.updated",
    "ip_allowlist.deleted",
    "ip_allowlist.config.activated",
    "ip_allowlist.config.deactivated",
    "login.succeeded",
    "login.failed",
    "logout.succeeded",
    "logout.failed",
    "organization.updated",
    "project.created",
    "project.updated",
    "project.archived",
    "project.deleted",
    "rate_limit.updated",
    "rate_limit.deleted",
    "resource.deleted",
    "tunnel.created",
    "tunnel.updated",
    "tunnel.deleted",
    "workload_identity_provider.created",
    "workload_identity_provider.updated",
    "workload_identity_provider.deleted",
    "workload_identity_provider_mapping.created",
    "workload_identity_provider_mapping.updated",
    "workload_identity_provider_mapping.deleted",
    "role.created",
    "role.updated",
    "role.deleted",
    "role.assignment.created",
    "role.assignment.deleted",
    "role.bound_to_resource",
    "role.unbound_from_resource",
    "scim.enabled",
    "scim.disabled",
    "service_account.created",
    "service_account.updated",
    "service_account.deleted",
    "user.added",
    "user.updated",
    "user.deleted",
    "tenant.metadata.updated",
    "tenant.microsoft_entra_mapping.upserted",
    "tenant.microsoft_entra_mapping.deleted",
    "tenant.workload_identity.provider.created",
    "tenant.workload_identity.provider.updated",
    "tenant.workload_identity.provider.archived",
    "tenant.workload_identity.mapping.created",
    "tenant.workload_identity.mapping.updated",
    "tenant.workload_identity.mapping.archived",
    "tenant.workload_identity.binding.created",
    "tenant.workload_identity.principal.provisioned",
    "tenant.workload_identity.access_token.issued",
    "tenant.admin_api_key.created",
    "tenant.admin_api_key.updated",
    "tenant.admin_api_key.deleted",
    "tenant.project_api_key.created",
    "tenant.chatgpt_access_token.revoked",
    "tenant.migration.completed",
    "tenant.sso.migrated",
    "tenant.domains.migrated",
    "tenant.sso_connection.created",
    "tenant.sso_connection.updated",
    "tenant.sso_connection.deleted",
    "tenant.sso_connection.setup.started",
    "tenant.policy.created",
    "tenant.policy.updated",
    "tenant.policy.deleted",
    "tenant.policy.attached",
    "tenant.policy.detached",
    "tenant.principal_authentication_policy.resolved",
    "tenant.scim.setup.started",
    "tenant.scim.deletion.requested",
    "tenant.scim.directory.created",
    "tenant.product_access_policy.updated",
    "tenant.resource_share_grant.created",
    "tenant.resource_share_grant.updated",
    "tenant.resource_share_grant.accepted",
    "tenant.resource_share_grant.declined",
    "tenant.resource_share_grant.revoked",
    "tenant.resource_share_grant.deleted",
    "tenant.service_account.updated",
    "tenant.service_account.deleted",
    "tenant.service_account.token.revoked",
    "tenant.billing.overage_limit.updated",
    "tenant.billing.alerts.updated",
    "tenant.billing.info.updated",
    "tenant.usage_limit.workspace.updated",
    "tenant.usage_limit.group.updated",
    "tenant.usage_limit.user.updated",
    "tenant.usage_limit.increase_request.updated",
    "tenant.usage_limit.increase_request.resolved",
    "tenant.group.created",
    "tenant.group.updated",
    "tenant.group.deleted",
    "tenant.group.member.added",
    "tenant.group.member.removed",
    "tenant.migration_rollout.status.updated",
    "tenant.migration_rollout.tier.updated",
    "tenant.role.metadata.updated",
    "tenant.custom_role.created",
    "tenant.custom_role.updated",
    "tenant.custom_role.deleted",
    "tenant.role_assignment.created",
    "tenant.role_assignment.deleted",
    "tenant.resource_role_assignment.created",
    "tenant.resource_role_assignment.deleted",
    "tenant.resource_access.updated",
    "tenant.resource_access.deleted",
    "tenant.ads_account.onboarding.redemption",
    "tenant.session_policy.created",
    "tenant.session_policy.updated",
    "tenant.session_policy.deleted",
    "tenant.session_revocation.started",
    "tenant.third_party_app_policy.updated",
    "tenant.user.added",
    "tenant.user.updated",
    "tenant.user.removed",
    "tenant.user.looked_up",
    "tenant.user.invited",
    "tenant.membership.revoked",
    "tenant.api_organization_invite.upserted",
    "tenant.api_organization_invite.deleted",
    "tenant.chatgpt_workspace_invite.upserted",
    "tenant.membership.accepted",
    "tenant.membership.declined",
    "tenant.workspace_invite_email_settings.updated",
];

/// A range of `effective_at` (Unix seconds); each bound is optional.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeRange {
    /// `effective_at[gt]`.
    pub gt: Option<i64>,
    /// `effective_at[gte]`.
    pub gte: Option<i64>,
    /// `effective_at[lt]`.
    pub lt: Option<i64>,
    /// `effective_at[lte]`.
    pub lte: Option<i64>,
}

/// Where a page starts: older than an entry (`after`) or newer than one (`before`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditCursor {
    /// The entries older than this entry id.
    After(String),
    /// The entries newer than this entry id.
    Before(String),
}

impl AuditCursor {
    /// The query parameter that named it, for a refusal.
    pub fn param(&self) -> &'static str {
        match self {
            Self::After(_) => "after",
            Self::Before(_) => "before",
        }
    }

    /// The entry id it names.
    pub fn id(&self) -> &str {
        match self {
            Self::After(id) | Self::Before(id) => id,
        }
    }
}

/// One request for a page of the audit log. Filters are ANDed; the values of one are ORed; a
/// filter that is `None` admits every entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditLogQuery {
    /// 1..=100.
    pub limit: usize,
    /// Where the page starts; the newest entries when `None`.
    pub cursor: Option<AuditCursor>,
    /// `effective_at[…]`.
    pub effective_at: TimeRange,
    /// `event_types[]`: values of [`EVENT_TYPES`].
    pub event_types: Option<Vec<String>>,
    /// `actor_ids[]`: acting admin key ids, or their owners' user ids.
    pub actor_ids: Option<Vec<String>>,
    /// `actor_emails[]`: emails of the acting keys' owners when they acted, compared
    /// case-insensitively.
    pub actor_emails: Option<Vec<String>>,
    /// `resource_ids[]`: what the entries are about.
    pub resource_ids: Option<Vec<String>>,
    /// `project_ids[]`: the project an entry is scoped to.
    pub project_ids: Option<Vec<String>>,
    /// `tenant_only`: only tenant-scoped events (`tenant.*`), which orgusers never writes.
    pub tenant_only: bool,
}

impl AuditLogQuery {
    /// The first page of the newest entries, unfiltered.
    pub fn newest(limit: usize) -> Self {
        Self {
            limit,
            cursor: None,
            effective_at: TimeRange::default(),
            event_types: None,
            actor_ids: None,
            actor_emails: None,
            resource_ids: None,
            project_ids: None,
            tenant_only: false,
        }
    }

    /// Whether the page is read upwards (`before`), oldest first, and turned round to be shown.
    pub(crate) fn reads_upwards(&self) -> bool {
        matches!(self.cursor, Some(AuditCursor::Before(_)))
    }
}

/// The user who owns an acting key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorUser {
    /// `user-…`.
    pub id: String,
    /// The user's email.
    pub email: Option<String>,
}

/// One entry as the API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditLogEntry {
    /// `audit_log-…`.
    pub id: String,
    /// A value of [`EVENT_TYPES`].
    pub event_type: String,
    /// Unix seconds, the organization's time of the change.
    pub effective_at: i64,
    /// The project the entry is scoped to: id and (current) name, when the project still exists.
    pub project: Option<(String, Option<String>)>,
    /// The admin key whose request made the change.
    pub actor_key_id: Option<String>,
    /// The owner of that key when the change was made, when it had one (its email then).
    pub actor_user: Option<ActorUser>,
    /// The type's payload fields.
    pub payload: Value,
}

/// One page, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditLogPage {
    /// The entries, newest first.
    pub entries: Vec<AuditLogEntry>,
    /// Whether more entries follow in the direction of the walk (older for a first page or
    /// `after`, newer for `before`).
    pub has_more: bool,
}

/// An entry as a backend reads its row, the payload still the JSON text stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredEntry {
    pub id: String,
    pub event_type: String,
    pub effective_at: i64,
    pub project_id: Option<String>,
    pub project_name: Option<String>,
    pub actor_key_id: Option<String>,
    pub actor_user_id: Option<String>,
    pub actor_email: Option<String>,
    pub payload: String,
}

impl StoredEntry {
    /// The entry of `fields`, copied.
    pub(crate) fn of(fields: &AuditLogFields<'_>) -> Self {
        Self {
            id: fields.id.to_owned(),
            event_type: fields.event_type.to_owned(),
            effective_at: fields.effective_at,
            project_id: fields.project.map(|(id, _)| id.to_owned()),
            project_name: fields.project.and_then(|(_, name)| name.map(str::to_owned)),
            actor_key_id: fields.actor_key_id.map(str::to_owned),
            actor_user_id: fields.actor_user.map(|(id, _)| id.to_owned()),
            actor_email: fields
                .actor_user
                .and_then(|(_, email)| email.map(str::to_owned)),
            payload: fields.payload.to_owned(),
        }
    }

    pub(crate) fn fields(&self) -> AuditLogFields<'_> {
        AuditLogFields {
            id: &self.id,
            event_type: &self.event_type,
            effective_at: self.effective_at,
            project: self
                .project_id
                .as_deref()
                .map(|id| (id, self.project_name.as_deref())),
            actor_key_id: self.actor_key_id.as_deref(),
            actor_user: self
                .actor_user_id
                .as_deref()
                .map(|id| (id, self.actor_email.as_deref())),
            payload: &self.payload,
        }
    }

    fn into_entry(self) -> Result<AuditLogEntry, StoreError> {
        let payload = serde_json::from_str(&self.payload)
            .map_err(|e| anyhow::anyhow!("an audit log payload is not JSON: {e}"))?;
        Ok(AuditLogEntry {
            id: self.id,
            event_type: self.event_type,
            effective_at: self.effective_at,
            project: self.project_id.map(|id| (id, self.project_name)),
            actor_key_id: self.actor_key_id,
            actor_user: self.actor_user_id.map(|id| ActorUser {
                id,
                email: self.actor_email,
            }),
            payload,
        })
    }
}

/// A page read by a backend: at most `limit + 1` rows in reading order, and whether they were
/// read upwards (a `before` page), to be turned round.
pub(crate) struct StoredPage {
    pub rows: Vec<StoredEntry>,
    pub ascending: bool,
}

impl StoredPage {
    /// The distinct projects of the page's entries (the row after them only says whether more
    /// follow): a page names a few, so their names are read once each instead of joined to
    /// every row of the walk.
    pub(crate) fn projects(&self, limit: usize) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for row in self.rows.iter().take(limit) {
            if let Some(id) = &row.project_id
                && !ids.contains(id)
            {
                ids.push(id.clone());
            }
        }
        ids
    }

    /// Gives each entry the name of its project from `names` (id, name); a project not there
    /// is not in the store, and its entries show no name.
    pub(crate) fn name_projects(&mut self, names: &[(String, String)]) {
        for row in &mut self.rows {
            row.project_name = row.project_id.as_ref().and_then(|id| {
                names
                    .iter()
                    .find(|(named, _)| named == id)
                    .map(|(_, name)| name.clone())
            });
        }
    }

    /// The page's entries newest first, and whether more follow.
    fn newest_first(mut self, limit: usize) -> (Vec<StoredEntry>, bool) {
        let has_more = self.rows.len() > limit;
        self.rows.truncate(limit);
        if self.ascending {
            self.rows.reverse();
        }
        (self.rows, has_more)
    }

    /// The page as entries.
    pub(crate) fn into_page(self, limit: usize) -> Result<AuditLogPage, StoreError> {
        let (rows, has_more) = self.newest_first(limit);
        let entries = rows
            .into_iter()
            .map(StoredEntry::into_entry)
            .collect::<Result<_, _>>()?;
        Ok(AuditLogPage { entries, has_more })
    }

    /// The page as the API's JSON body, written straight from the rows: the payloads are copied
    /// as stored, never parsed.
    pub(crate) fn into_json(self, limit: usize) -> Vec<u8> {
        let (rows, has_more) = self.newest_first(limit);
        let size: usize = rows.iter().map(|row| row.payload.len() + 256).sum();
        let mut page = AuditLogListWriter::new(Vec::with_capacity(size + 128));
        for row in &rows {
            page.push(&row.fields());
        }
        page.finish(has_more)
    }
}

/// An event in the spec's terms, as the audit log stores it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SpecEntry {
    /// A value of [`EVENT_TYPES`].
    pub event_type: &'static str,
    /// What `resource_ids` matches.
    pub resource_id: String,
    /// The project the entry is scoped to.
    pub project_id: Option<String>,
    /// The type's payload fields.
    pub payload: Value,
}

/// The field of `payload` named `name`, as a string.
fn text(payload: &Value, name: &str) -> Option<String> {
    payload.get(name).and_then(Value::as_str).map(str::to_owned)
}

/// The `{"id": …}` object with `fields` added.
fn with_id(id: &str, fields: Value) -> Value {
    let mut object = Map::new();
    object.insert("id".into(), Value::from(id));
    if let Value::Object(extra) = fields {
        object.extend(extra);
    }
    Value::Object(object)
}

/// `object` with only the fields in `allowed` (and never null ones).
fn only(object: Option<&Value>, allowed: &[&str]) -> Value {
    let mut kept = Map::new();
    if let Some(Value::Object(fields)) = object {
        for (name, value) in fields {
            if allowed.contains(&name.as_str()) && !value.is_null() {
                kept.insert(name.clone(), value.clone());
            }
        }
    }
    Value::Object(kept)
}

impl SpecEntry {
    /// The spec's entry for `event`: its type (membership events of projects and groups, which
    /// the spec has no types of, become `user.*`, `role.assignment.*` and `group.updated`), its
    /// payload reduced to the type's fields with the `id`, and its project.
    pub(crate) fn of(event: &AuditEvent) -> Self {
        let payload = &event.payload;
        let resource = event.resource_id.as_str();
        let project_of_payload = text(payload, "project_id");
        let entry = |event_type, resource_id: &str, project_id: Option<String>, payload| Self {
            event_type,
            resource_id: resource_id.to_owned(),
            project_id,
            payload,
        };
        match event.event_type {
            "project.created" => entry(
                "project.created",
                resource,
                Some(resource.to_owned()),
                with_id(
                    resource,
                    json!({ "data": { "name": payload.get("name"), "title": payload.get("name") } }),
                ),
            ),
            "project.updated" => entry(
                "project.updated",
                resource,
                Some(resource.to_owned()),
                with_id(
                    resource,
                    json!({ "changes_requested": { "title": payload.get("name") } }),
                ),
            ),
            "project.archived" | "project.deleted" => entry(
                event.event_type,
                resource,
                Some(resource.to_owned()),
                with_id(resource, json!({})),
            ),
            "project.user.added" | "project.user.updated" | "project.user.removed" => {
                let user = text(payload, "user_id").unwrap_or_default();
                let project = project_of_payload.or_else(|| Some(resource.to_owned()));
                let (event_type, fields) = match event.event_type {
                    "project.user.added" => (
                        "user.added",
                        json!({ "data": only(Some(payload), &["role"]) }),
                    ),
                    "project.user.updated" => (
                        "user.updated",
                        json!({ "changes_requested": only(Some(payload), &["role"]) }),
                    ),
                    _ => ("user.deleted", json!({})),
                };
                entry(event_type, &user, project, with_id(&user, fields))
            }
            "project.group.added" | "project.group.removed" => {
                let project = project_of_payload.unwrap_or_else(|| resource.to_owned());
                let group = text(payload, "group_id").unwrap_or_default();
                let event_type = if event.event_type == "project.group.added" {
                    "role.assignment.created"
                } else {
                    "role.assignment.deleted"
                };
                let role_id = text(payload, "role")
                    .map(|role| format!("role-api-project-{role}__api-project__{project}"));
                let mut fields = json!({
                    "principal_id": group,
                    "principal_type": "group",
                    "resource_id": project,
                    "resource_type": "api.project",
                });
                if let (Some(role_id), Value::Object(object)) = (&role_id, &mut fields) {
                    object.insert("id".into(), Value::from(role_id.as_str()));
                }
                entry(
                    event_type,
                    role_id.as_deref().unwrap_or(&group),
                    Some(project),
                    fields,
                )
            }
            "group.user.added" | "group.user.removed" => entry(
                "group.updated",
                resource,
                None,
                with_id(resource, json!({ "changes_requested": {} })),
            ),
            "group.created" => entry(
                "group.created",
                resource,
                None,
                with_id(
                    resource,
                    json!({ "data": { "group_name": payload.get("name") } }),
                ),
            ),
            "group.updated" => entry(
                "group.updated",
                resource,
                None,
                with_id(
                    resource,
                    json!({ "changes_requested": { "group_name": payload.get("name") } }),
                ),
            ),
            "role.created" => entry(
                "role.created",
                resource,
                None,
                with_id(
                    resource,
                    json!({
                        "role_name": payload.get("role_name"),
                        "permissions": payload.get("permissions"),
                        "resource_type": "api.organization",
                    }),
                ),
            ),
            "role.updated" => entry(
                "role.updated",
                resource,
                None,
                with_id(
                    resource,
                    json!({ "changes_requested": only(Some(payload), &["role_name", "description"]) }),
                ),
            ),
            "role.assignment.created" | "role.assignment.deleted" => entry(
                event.event_type,
                resource,
                None,
                json!({
                    "id": payload.get("role_id").cloned().unwrap_or_else(|| Value::from(resource)),
                    "principal_id": payload.get("principal_id"),
                    "principal_type": payload.get("principal_type"),
                    "resource_type": "api.organization",
                }),
            ),
            "user.added" | "invite.sent" | "service_account.created" | "api_key.created" => {
                let allowed: &[&str] = match event.event_type {
                    "invite.sent" => &["email", "role"],
                    "api_key.created" => &["scopes"],
                    _ => &["role"],
                };
                entry(
                    event.event_type,
                    resource,
                    project_of_payload,
                    with_id(
                        resource,
                        json!({ "data": only(payload.get("data"), allowed) }),
                    ),
                )
            }
            "user.updated" | "service_account.updated" => entry(
                event.event_type,
                resource,
                project_of_payload,
                with_id(
                    resource,
                    json!({ "changes_requested": only(payload.get("changes_requested"), &["role"]) }),
                ),
            ),
            other => {
                // The deletions and acceptances carry their id alone. A type no module records
                // today would need its own arm; until then it is shown as the generic
                // `resource.deleted` rather than as a type outside the spec's enum.
                let event_type = EVENT_TYPES
                    .iter()
                    .copied()
                    .find(|known| *known == other)
                    .unwrap_or("resource.deleted");
                entry(
                    event_type,
                    resource,
                    project_of_payload,
                    with_id(resource, json!({})),
                )
            }
        }
    }
}

/// A value bound to a placeholder of [`PageSql::sql`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Bound {
    /// An integer.
    Int(i64),
    /// A string.
    Text(String),
}

/// How a backend spells the statement of a page.
pub(crate) struct Dialect {
    /// The table read: `audit_log`, or SQLite's `audit_log_pending` (entries not yet moved into
    /// it, read by a statement of their own and merged).
    pub table: &'static str,
    /// The column of `audit_log` that names the organization.
    pub org: &'static str,
    /// The payload as text.
    pub payload: &'static str,
    /// The placeholder of the 1-based value number `n` (`?3` for SQLite, `$3` for PostgreSQL).
    pub placeholder: fn(usize) -> String,
    /// Whether the statement names the index it reads (SQLite's `INDEXED BY`). SQLite 3.50,
    /// without statistics, walks the time index for a time range even beside an equality of
    /// another filter, then tests every row of the range; that filter's index holds the same
    /// range within the value.
    pub index_hints: bool,
    /// Whether the table is read whole, unordered (SQLite's waiting entries: a few hundred rows
    /// at most, with no index to read in order): no filter leads, and the rows are sorted and
    /// limited by the caller, which spares SQLite a temporary sort table per read.
    pub unordered: bool,
    /// The table that holds the index by resource when it is not the table's own (SQLite's
    /// file beside the store's, `sqlite::audit_index`): read up to the `seq` it is made
    /// through, joined to the entries, and above it from the entries themselves.
    pub resources_beside: Option<&'static str>,
}

/// The most arms a split filter is read as; a longer list stays one `IN`, where sorting what it
/// matches costs less than that many index walks.
const MAX_ARMS: usize = 16;

/// How a filter's value matches an entry.
#[derive(Debug, Clone, Copy)]
enum Match {
    /// The column equals the value; the index holds each value's rows in list order.
    Column(&'static str, &'static str),
    /// `resource_ids`: the resource equals the value; its index may be beside the table
    /// ([`Dialect::resources_beside`]).
    Resource,
    /// `actor_ids`: the acting key's id or its owner's user id equals the value.
    Actor,
}

impl Match {
    /// How many arms (index walks) one value is read as when the filter leads.
    fn arms_per_value(self) -> usize {
        match self {
            Self::Column(..) | Self::Resource => 1,
            Self::Actor => 2,
        }
    }

    /// The column a one-column filter compares, and the index in the table that holds it.
    fn column(self) -> Option<(&'static str, &'static str)> {
        match self {
            Self::Column(column, index) => Some((column, index)),
            Self::Resource => Some(("a.resource_id", "audit_log_by_resource")),
            Self::Actor => None,
        }
    }
}

/// The statement that reads one page's rows (and the one after it, which says whether more
/// follow), with its values in placeholder order. Its columns are `id, type, effective_at,
/// project_id, actor_key_id, payload, seq, actor_user_id, actor_email`; the project's name is
/// read after, once per page ([`StoredPage::projects`]), instead of a join per row.
///
/// Each value of a filter has its rows in list order in that filter's index (after the range
/// of the cursor and `effective_at`), while several values in an `IN` are not in one order, so
/// the planner walks the time index instead and tests every row. So the first filter of
/// `resource_ids`, `project_ids`, `actor_ids`, `actor_emails`, `event_types` (the most
/// selective first) with 1 to [`MAX_ARMS`] arms leads: one arm is read from its index, several
/// as one arm each, limited in its index's order, and the arms' few rows are merged by the
/// outer `ORDER BY`. An `actor_ids` value is two arms, a key id and a user id (8 values at
/// most). The other filters are tested on the rows read.
pub(crate) struct PageSql {
    /// The statement.
    pub sql: String,
    /// Its values, in placeholder order.
    pub values: Vec<Bound>,
    /// Whether the rows are read upwards (a `before` page), to be turned round.
    pub ascending: bool,
    /// Whether the rows come in the page's order; else the reader sorts them.
    pub ordered: bool,
}

impl PageSql {
    /// The statement of `query`'s page in the organization bound as `org`, `cursor` being the
    /// `(effective_at, seq)` of the entry `query.cursor` names: the lead's arms, if several, as
    /// one compound statement.
    pub(crate) fn of(
        query: &AuditLogQuery,
        org: Bound,
        cursor: Option<(i64, i64)>,
        dialect: &Dialect,
    ) -> Self {
        PageParts::of(query, org, cursor, dialect, None).one()
    }

    /// The statements that read `query`'s page one arm each (one, when no filter leads or its
    /// lead is one arm): each is read from its index in order, and their rows merged give the
    /// page. SQLite runs these rather than [`PageSql::of`]'s compound statement, whose merge
    /// builds temporary sort tables on every read. `beside` is what
    /// [`Dialect::resources_beside`] holds, read when `resource_ids` may lead.
    pub(crate) fn arms(
        query: &AuditLogQuery,
        org: Bound,
        cursor: Option<(i64, i64)>,
        dialect: &Dialect,
        beside: Option<IndexState>,
    ) -> Vec<Self> {
        PageParts::of(query, org, cursor, dialect, beside).split()
    }
}

/// What every statement of one page shares, written once: the select, the conditions of the
/// filters that do not lead and their values, and the arms of the one that leads.
struct PageParts<'d> {
    dialect: &'d Dialect,
    /// The columns read, of the entries as `a`.
    columns: String,
    select: String,
    /// The placeholder of the organization.
    org: String,
    /// The cursor's and the time range's conditions (operator and placeholders), which a read
    /// of the index beside the table repeats on that index's columns.
    position: Position,
    conditions: String,
    values: Vec<Bound>,
    ascending: bool,
    /// The direction and the `LIMIT` placeholder of a read in list order; `None` for a table
    /// read whole.
    order: Option<(&'static str, String)>,
    /// The lead's arms: the index each reads and the condition that keeps it to one value.
    arms: Vec<(&'static str, LeadArm)>,
    /// When `resource_ids` leads and its index is beside the table.
    beside: Option<Beside>,
}

/// What the index beside the table ([`Dialect::resources_beside`]) holds, as a read sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IndexState {
    /// The index holds exactly the entries of the table with `seq` up to this (0: none).
    pub through: i64,
    /// Whether that is every entry of the read's table: none above `through` to read from the
    /// table itself.
    pub holds_all: bool,
}

/// A lead of `resource_ids` whose index is beside the table ([`Dialect::resources_beside`]).
struct Beside {
    /// The index's table.
    table: &'static str,
    /// What it holds.
    indexed: IndexState,
    /// The lead's distinct values.
    resources: Vec<String>,
}

/// The conditions of a page's place in list order, kept apart so that they can be written on
/// the columns of the entries (`a`) or on those of the index beside them (`r`).
#[derive(Default)]
struct Position {
    /// `(effective_at, seq)` beyond the cursor: the operator and the two placeholders.
    cursor: Option<(&'static str, String, String)>,
    /// The bounds of `effective_at`: operator and placeholder.
    range: Vec<(&'static str, String)>,
}

impl Position {
    /// The conditions as ` AND …` on the columns of `alias`.
    fn on(&self, alias: &str) -> String {
        let mut text = String::new();
        if let Some((operator, at, seq)) = &self.cursor {
            text.push_str(&format!(
                " AND ({alias}.effective_at, {alias}.seq) {operator} ({at}, {seq})"
            ));
        }
        for (operator, mark) in &self.range {
            text.push_str(&format!(" AND {alias}.effective_at {operator} {mark}"));
        }
        text
    }
}

impl<'d> PageParts<'d> {
    fn of(
        query: &AuditLogQuery,
        org: Bound,
        cursor: Option<(i64, i64)>,
        dialect: &'d Dialect,
        beside: Option<IndexState>,
    ) -> Self {
        let mut values = Vec::new();
        let org = bind(&mut values, dialect, org);
        let mut position = Position::default();
        // Newest first: the page below a cursor for `after` (and the first page), the page
        // above it for `before`, read upwards and turned round.
        let ascending = query.reads_upwards() && cursor.is_some();
        if let Some((at, seq)) = cursor {
            let operator = if ascending { ">" } else { "<" };
            let at = bind(&mut values, dialect, Bound::Int(at));
            let seq = bind(&mut values, dialect, Bound::Int(seq));
            position.cursor = Some((operator, at, seq));
        }
        let range = query.effective_at;
        for (bound, operator) in [
            (range.gt, ">"),
            (range.gte, ">="),
            (range.lt, "<"),
            (range.lte, "<="),
        ] {
            if let Some(at) = bound {
                position
                    .range
                    .push((operator, bind(&mut values, dialect, Bound::Int(at))));
            }
        }
        let mut conditions = format!("a.{} = {org}{}", dialect.org, position.on("a"));
        let lists = filter_lists(query);
        // The filter whose indexes are read, unless the table is read whole.
        let lead = if dialect.unordered {
            None
        } else {
            Lead::of(&lists)
        };
        for (n, (list, matching)) in lists.iter().enumerate() {
            let Some(list) = list else { continue };
            if lead.as_ref().is_some_and(|lead| lead.list == n) {
                continue;
            }
            let marks: Vec<String> = list
                .iter()
                .map(|value| bind(&mut values, dialect, Bound::Text(value.clone())))
                .collect();
            if marks.is_empty() {
                conditions.push_str(" AND 1 = 0");
                continue;
            }
            let marks = marks.join(", ");
            match matching.column() {
                Some((column, _)) => {
                    conditions.push_str(&format!(" AND {column} IN ({marks})"));
                }
                // Not split, an id matches either column: no one index holds both.
                None => conditions.push_str(&format!(
                    " AND (a.actor_key_id IN ({marks}) OR a.actor_user_id IN ({marks}))"
                )),
            }
        }
        if query.tenant_only {
            // Every entry orgusers writes is scoped to the organization, none to a tenant.
            conditions.push_str(" AND 1 = 0");
        }
        let columns = format!(
            "a.id, a.type, a.effective_at, a.project_id, a.actor_key_id, {} AS payload, \
             a.seq, a.actor_user_id, a.actor_email",
            dialect.payload
        );
        let select = format!("SELECT {columns} FROM {} AS a", dialect.table);
        // Read in list order, each statement stopping after the page and one more; the waiting
        // entries are read whole, and sorted and limited by the caller.
        let order = (!dialect.unordered).then(|| {
            let fetch = i64::try_from(query.limit)
                .unwrap_or(i64::MAX)
                .saturating_add(1);
            let limit = bind(&mut values, dialect, Bound::Int(fetch));
            let direction = if ascending { "ASC" } else { "DESC" };
            (direction, limit)
        });
        let beside = match (&lead, dialect.resources_beside, beside, &order) {
            (Some(lead), Some(table), Some(indexed), Some(_))
                if matches!(lead.matching, Match::Resource) =>
            {
                Some(Beside {
                    table,
                    indexed,
                    resources: lead.values.clone(),
                })
            }
            _ => None,
        };
        Self {
            dialect,
            columns,
            select,
            org,
            position,
            conditions,
            values,
            ascending,
            order,
            arms: lead.map_or_else(Vec::new, |lead| lead.arms()),
            beside,
        }
    }

    /// The reads of a page that `resource_ids` leads with its index beside the table: one per
    /// value from that index, up to `through`, each joined to its entries in list order; and,
    /// unless it holds them all, one of the entries above `through` (the few the index does not
    /// hold yet), read whole by their key and sorted by the caller.
    fn beside_reads(self, beside: Beside) -> Vec<PageSql> {
        let Beside {
            table,
            indexed: IndexState { through, holds_all },
            resources,
        } = beside;
        let Some((order, limit)) = &self.order else {
            return vec![self.one()];
        };
        let (columns, conditions) = (&self.columns, &self.conditions);
        let dialect = self.dialect;
        let mut reads = Vec::with_capacity(resources.len() + 1);
        for resource in &resources {
            let mut values = self.values.clone();
            let through = bind(&mut values, dialect, Bound::Int(through));
            let resource = bind(&mut values, dialect, Bound::Text(resource.clone()));
            // CROSS JOIN keeps the index the outer loop: it is read in list order, and each of
            // its rows finds its entry by key.
            let sql = arm_text(
                reads.len(),
                format!(
                    "SELECT {columns} FROM {table} AS r CROSS JOIN {} AS a ON a.seq = r.seq \
                     WHERE r.org = {} AND r.resource_id = {resource} AND r.seq <= {through}{} \
                     AND {conditions} \
                     ORDER BY r.effective_at {order}, r.seq {order} LIMIT {limit}",
                    dialect.table,
                    self.org,
                    self.position.on("r"),
                ),
            );
            reads.push(PageSql {
                sql,
                values,
                ascending: self.ascending,
                ordered: true,
            });
        }
        if holds_all {
            return reads;
        }
        let mut values = self.values.clone();
        let through = bind(&mut values, dialect, Bound::Int(through));
        let marks: Vec<String> = resources
            .into_iter()
            .map(|resource| bind(&mut values, dialect, Bound::Text(resource)))
            .collect();
        // NOT INDEXED: by the key's range alone (the time index would walk every older entry).
        let sql = format!(
            "SELECT {columns} FROM {} AS a NOT INDEXED WHERE a.seq > {through} AND {conditions} \
             AND a.resource_id IN ({})",
            dialect.table,
            marks.join(", ")
        );
        reads.push(PageSql {
            sql,
            values,
            ascending: self.ascending,
            ordered: false,
        });
        reads
    }

    /// One statement of the page: the shared conditions, then `lead`'s (its values appended to
    /// `values`), in list order.
    fn statement(&self, values: &mut Vec<Bound>, lead: Option<(&str, LeadArm)>) -> String {
        let (select, conditions) = (&self.select, &self.conditions);
        let Some((order, limit)) = &self.order else {
            return format!("{select} WHERE {conditions}");
        };
        let (hint, extra) = match lead {
            None => (String::new(), String::new()),
            Some((index, arm)) => {
                let hint = if self.dialect.index_hints {
                    format!(" INDEXED BY {index}")
                } else {
                    String::new()
                };
                (hint, arm.condition(values, self.dialect))
            }
        };
        format!(
            "{select}{hint} WHERE {conditions}{extra} \
             ORDER BY a.effective_at {order}, a.seq {order} LIMIT {limit}"
        )
    }

    /// The page as one statement: no lead, one arm, or the arms merged by a compound.
    fn one(mut self) -> PageSql {
        let mut values = std::mem::take(&mut self.values);
        let mut arms = std::mem::take(&mut self.arms);
        let sql = match (arms.len(), &self.order) {
            (0 | 1, _) | (_, None) => self.statement(&mut values, arms.pop()),
            (_, Some((order, limit))) => {
                // Each limited arm is a subquery: SQLite takes no ORDER BY or LIMIT on an arm
                // of a compound itself.
                let arms: Vec<String> = arms
                    .into_iter()
                    .enumerate()
                    .map(|(n, lead)| {
                        let arm = self.statement(&mut values, Some(lead));
                        format!("SELECT * FROM ({arm}) AS arm{n}")
                    })
                    .collect();
                format!(
                    "{} ORDER BY effective_at {order}, seq {order} LIMIT {limit}",
                    arms.join(" UNION ALL ")
                )
            }
        };
        PageSql {
            sql,
            values,
            ascending: self.ascending,
            ordered: self.order.is_some(),
        }
    }

    /// The page as a statement per arm of the lead (one, when it has fewer than two).
    fn split(mut self) -> Vec<PageSql> {
        if let Some(beside) = self.beside.take() {
            return self.beside_reads(beside);
        }
        if self.arms.len() <= 1 {
            return vec![self.one()];
        }
        let arms = std::mem::take(&mut self.arms);
        arms.into_iter()
            .enumerate()
            .map(|(n, lead)| {
                let mut values = self.values.clone();
                let sql = arm_text(n, self.statement(&mut values, Some(lead)));
                PageSql {
                    sql,
                    values,
                    ascending: self.ascending,
                    ordered: self.order.is_some(),
                }
            })
            .collect()
    }
}

/// The `n`th arm's statement `sql`, told apart from the others: arms differ only in their
/// values, and a reader holds them open at once, so in a connection's cache of prepared
/// statements (keyed by text) each must be a statement of its own.
fn arm_text(n: usize, sql: String) -> String {
    if n == 0 {
        sql
    } else {
        format!("/* arm {n} */ {sql}")
    }
}

/// Binds `value` as the next of `values`: its placeholder.
fn bind(values: &mut Vec<Bound>, dialect: &Dialect, value: Bound) -> String {
    values.push(value);
    (dialect.placeholder)(values.len())
}

/// The list filters of `query`, in the order they may lead a read, the most selective first:
/// a resource has few entries, a project more, an event type more again; an organization has
/// few admin keys and fewer owners, so one key's (or one owner's) entries are most of the log.
/// `actor_emails` are folded, as the users' `emails` filter compares them.
fn filter_lists(query: &AuditLogQuery) -> [(Option<Vec<String>>, Match); 5] {
    let emails = query
        .actor_emails
        .as_ref()
        .map(|emails| emails.iter().map(|email| fold_email(email)).collect());
    [
        (query.resource_ids.clone(), Match::Resource),
        (
            query.project_ids.clone(),
            Match::Column("a.project_id", "audit_log_by_project"),
        ),
        (
            query.event_types.clone(),
            Match::Column("a.type", "audit_log_by_type"),
        ),
        (
            emails,
            Match::Column("a.actor_email_folded", "audit_log_by_actor_email"),
        ),
        (query.actor_ids.clone(), Match::Actor),
    ]
}

/// The filter whose indexes a read walks: the first of [`filter_lists`] whose distinct values
/// (in the order given: an arm per repeated value would read its rows twice) make 1 to
/// [`MAX_ARMS`] arms.
struct Lead {
    /// Its place in [`filter_lists`].
    list: usize,
    matching: Match,
    values: Vec<String>,
}

impl Lead {
    fn of(lists: &[(Option<Vec<String>>, Match)]) -> Option<Self> {
        lists
            .iter()
            .enumerate()
            .find_map(|(list, (values, matching))| {
                let mut distinct: Vec<String> = Vec::new();
                for value in values.iter().flatten().cloned() {
                    if !distinct.contains(&value) {
                        distinct.push(value);
                    }
                }
                (1..=MAX_ARMS / matching.arms_per_value())
                    .contains(&distinct.len())
                    .then_some(Self {
                        list,
                        matching: *matching,
                        values: distinct,
                    })
            })
    }

    /// The index each arm reads and the condition that keeps it to one value.
    fn arms(&self) -> Vec<(&'static str, LeadArm)> {
        match self.matching.column() {
            Some((column, index)) => self
                .values
                .iter()
                .map(|value| (index, LeadArm::Equal(column, value.clone())))
                .collect(),
            // Each id is read as a key id and as a user id, from each column's index. An entry
            // whose key is one of the ids is its key arm's alone, so that no entry comes twice
            // (a key id that is also a user id).
            None => self
                .values
                .iter()
                .flat_map(|value| {
                    [
                        (
                            "audit_log_by_actor",
                            LeadArm::Equal("a.actor_key_id", value.clone()),
                        ),
                        (
                            "audit_log_by_actor_user",
                            LeadArm::ActorUser(value.clone(), self.values.clone()),
                        ),
                    ]
                })
                .collect(),
        }
    }
}

/// The condition that keeps one arm of a leading filter to one value.
enum LeadArm {
    /// The column equals the value.
    Equal(&'static str, String),
    /// `actor_ids` as a user id: the owner is the value, and the key none of the values (those
    /// entries are the key arms').
    ActorUser(String, Vec<String>),
}

impl LeadArm {
    /// The ` AND …` that keeps an arm to its value, its values appended to `values`.
    fn condition(self, values: &mut Vec<Bound>, dialect: &Dialect) -> String {
        match self {
            Self::Equal(column, value) => {
                format!(
                    " AND {column} = {}",
                    bind(values, dialect, Bound::Text(value))
                )
            }
            Self::ActorUser(value, all) => {
                let mark = bind(values, dialect, Bound::Text(value));
                let all: Vec<String> = all
                    .into_iter()
                    .map(|id| bind(values, dialect, Bound::Text(id)))
                    .collect();
                format!(
                    " AND a.actor_user_id = {mark} AND (a.actor_key_id IS NULL \
                     OR a.actor_key_id NOT IN ({}))",
                    all.join(", ")
                )
            }
        }
    }
}

/// The audit log, per backend.
#[async_trait]
pub trait AuditLogStore: Send + Sync + 'static {
    /// One page of the organization's entries, newest first. A cursor naming no entry of the
    /// organization is a [`StoreError::Conflict`] naming its parameter.
    async fn list_audit_logs(
        &self,
        org: &OrgId,
        query: &AuditLogQuery,
    ) -> Result<AuditLogPage, StoreError>;

    /// The same page as the API's JSON body (`ListAuditLogsResponse`), written straight from
    /// the stored rows.
    async fn list_audit_logs_json(
        &self,
        org: &OrgId,
        query: &AuditLogQuery,
    ) -> Result<Vec<u8>, StoreError>;
}

/// Decisions shared by both backends.
pub mod rules {
    use super::{AuditCursor, EVENT_TYPES};
    use crate::StoreError;

    /// The refusal of a cursor that names no entry of the organization.
    pub fn unknown_cursor(cursor: &AuditCursor) -> StoreError {
        StoreError::conflict(
            Some(cursor.param()),
            format!(
                "Invalid '{}': no audit log entry with id '{}'.",
                cursor.param(),
                cursor.id()
            ),
        )
    }

    /// Whether `name` is a value of the spec's `AuditLogEventType`.
    pub fn is_event_type(name: &str) -> bool {
        EVENT_TYPES.contains(&name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_recorded_type_becomes_a_spec_type() {
        for recorded in [
            "project.created",
            "project.updated",
            "project.archived",
            "project.user.added",
            "project.user.updated",
            "project.user.removed",
            "project.group.added",
            "project.group.removed",
            "group.user.added",
            "group.user.removed",
            "group.created",
            "group.updated",
            "group.deleted",
            "role.created",
            "role.updated",
            "role.deleted",
            "role.assignment.created",
            "role.assignment.deleted",
            "invite.sent",
            "invite.accepted",
            "invite.deleted",
            "user.added",
            "user.updated",
            "user.deleted",
            "service_account.created",
            "service_account.updated",
            "service_account.deleted",
            "api_key.created",
            "api_key.deleted",
        ] {
            let entry = SpecEntry::of(&AuditEvent::new(recorded, "x", json!({})));
            assert!(rules::is_event_type(entry.event_type), "{recorded}");
        }
    }

    #[test]
    fn project_members_become_user_events_of_the_project() {
        let event = AuditEvent::new(
            "project.user.added",
            "proj_a",
            json!({ "project_id": "proj_a", "user_id": "user-b", "role": "owner" }),
        );
        let entry = SpecEntry::of(&event);
        assert_eq!(entry.event_type, "user.added");
        assert_eq!(entry.resource_id, "user-b");
        assert_eq!(entry.project_id.as_deref(), Some("proj_a"));
        assert_eq!(
            entry.payload,
            json!({ "id": "user-b", "data": { "role": "owner" } })
        );
    }

    #[test]
    fn payloads_keep_only_the_spec_fields() {
        let event = AuditEvent::new(
            "service_account.updated",
            "svc_acct_a",
            json!({ "project_id": "proj_a", "changes_requested": { "name": "n", "role": "owner" } }),
        );
        let entry = SpecEntry::of(&event);
        assert_eq!(
            entry.payload,
            json!({ "id": "svc_acct_a", "changes_requested": { "role": "owner" } })
        );
        assert_eq!(entry.project_id.as_deref(), Some("proj_a"));
    }
}
