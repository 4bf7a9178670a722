//! Roles: the organization's predefined and custom roles, through the same store calls and
//! rules as `/v1/organization/roles` (names and permissions checked by `RoleName::parse` and
//! `Permissions::parse`, as the API checks them), and who holds a role: users (assigned and
//! unassigned as `/v1/organization/users/{user_id}/roles` does, the last-owner rule included)
//! and groups (as `/v1/organization/groups/{group_id}/roles` does).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use orgusers_api::User;
use orgusers_store::groups::GroupRecord;
use orgusers_store::ids::{GroupId, RoleId};
use orgusers_store::page::{ListBounds, ListScope, NextQuery, SortOrder};
use orgusers_store::roles::{
    NewRole, OWNER_PERMISSIONS, Permissions, RoleChange, RoleName, RoleRecord,
};
use orgusers_store::user_roles::CustomRoleHolders;
use orgusers_store::{Kind, StoreError, UserSearch};

use super::listing::{
    cursor_page, find_user, no_such_user, query_value, segment, time_of, user_label,
};
use super::widgets::{Confirmation, data_table, empty_note, empty_page};
use super::{
    ConsoleError, Html, PathOf, Section, SignedIn, SignedInForm, alert, csrf, found, page,
    page_status, pagination, refusal_of, segments, store_message,
};
use crate::AppState;
use crate::extract::QueryString;

/// Roles per page of the list.
const PAGE_SIZE: usize = 25;
/// The most holders of a predefined role shown (the People page filters by role for more).
const HOLDERS_SHOWN: usize = 50;
/// The most groups offered in the assignment form.
const GROUPS_OFFERED: usize = 200;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/roles", page(get(list).post(create)))
        .route("/console/roles/{role_id}", page(get(detail).post(update)))
        .route(
            "/console/roles/{role_id}/delete",
            page(get(confirm_delete).post(delete)),
        )
        .route("/console/roles/{role_id}/users", page(post(assign_user)))
        .route(
            "/console/roles/{role_id}/users/{user_id}/unassign",
            page(post(unassign_user)),
        )
        .route("/console/roles/{role_id}/groups", page(post(assign_group)))
        .route(
            "/console/roles/{role_id}/groups/{group_id}/unassign",
            page(post(unassign_group)),
        )
}

/// The page of a role.
pub(super) fn role_href(id: &str) -> String {
    format!("/console/roles/{}", segment(id))
}

/// The checkbox field of a permission.
fn permission_field(permission: &str) -> String {
    format!("permission_{permission}")
}

fn permission_id(permission: &str) -> String {
    format!("permission-{}", permission.replace('.', "-"))
}

/// The scope of the roles list's cursors: the API's.
fn scope(session: &SignedIn) -> ListScope<'_> {
    ListScope {
        list: "roles",
        org: &session.org,
        parent: "",
    }
}

/// What the create and edit forms show again after a refusal.
#[derive(Default)]
struct RoleForm {
    name: String,
    description: String,
    permissions: Vec<String>,
}

impl RoleForm {
    fn of(role: &RoleRecord) -> Self {
        Self {
            name: role.name.clone(),
            description: role.description.clone().unwrap_or_default(),
            permissions: role.permissions.clone(),
        }
    }

    fn typed(form: &SignedInForm) -> Self {
        Self {
            name: form.fields.get("name").unwrap_or_default().to_owned(),
            description: form
                .fields
                .get("description")
                .unwrap_or_default()
                .to_owned(),
            permissions: OWNER_PERMISSIONS
                .iter()
                .filter(|p| form.fields.get(&permission_field(p)).is_some())
                .map(|p| (*p).to_owned())
                .collect(),
        }
    }
}

/// The permissions checked, as the API checks a `permissions` array.
fn checked_permissions(typed: &RoleForm) -> Result<Permissions, String> {
    Permissions::parse(&typed.permissions).map_err(|e| format!("Permissions: {e}."))
}

fn role_name(typed: &RoleForm) -> Result<RoleName, String> {
    RoleName::parse(&typed.name).map_err(|e| format!("Name: {e}."))
}

async fn list(
    State(state): State<AppState>,
    session: SignedIn,
    QueryString(query): QueryString,
) -> Result<Html, ConsoleError> {
    let query = query.as_deref();
    list_page(
        &state,
        &session,
        query_value(query, "after"),
        query_value(query, "before"),
        None,
        &RoleForm::default(),
    )
    .await
}

async fn list_page(
    state: &AppState,
    session: &SignedIn,
    after: Option<String>,
    before: Option<String>,
    refusal: Option<String>,
    form: &RoleForm,
) -> Result<Html, ConsoleError> {
    let scope = scope(session);
    let found = cursor_page(
        state,
        &scope,
        ListBounds::ROLES.default_order,
        PAGE_SIZE,
        after.as_deref(),
        before.as_deref(),
        RoleRecord::position,
        |query| async move { state.store.list_roles(&session.org, &query).await },
    )
    .await?;
    let (found, list_refusal) = match found {
        Ok(found) => (Some(found), None),
        Err(message) => (None, Some(message)),
    };
    let status = page_status(refusal.is_some() || list_refusal.is_some());
    let content = html! {
        h1 { "Roles" }
        @if let Some(message) = list_refusal.as_ref() {
            (alert(message))
        }
        @if let Some(found) = &found {
            @if found.items.is_empty() {
                (empty_page("No roles on this page."))
            } @else {
                (data_table("Roles", Some("Roles of the organization"), &["Name", "Description", "Permissions", "Type"], false, html! {
                    @for role in &found.items {
                        tr {
                            td data-label="Name" { a href=(role_href(role.id.as_str())) { (role.name) } }
                            td data-label="Description" { (role.description.as_deref().unwrap_or("—")) }
                            td data-label="Permissions" { (role.permissions.len()) }
                            td data-label="Type" {
                                @if role.predefined.is_some() { "Predefined" } @else { "Custom" }
                            }
                        }
                    }
                }))
                (pagination("/console/roles", &[], found.links.before.as_deref(), found.links.after.as_deref()))
            }
        }
        section aria-labelledby="create-heading" {
            h2 id="create-heading" { "Create a role" }
            @if let Some(message) = refusal.as_ref() {
                (alert(message))
            }
            form method="post" action="/console/roles" class="stack" {
                (csrf::field(session))
                (role_fields(form, true))
                button type="submit" { "Create role" }
            }
        }
    };
    Ok(Html(status, session.page(Section::Roles, "Roles", content)))
}

/// The name, description and permission fields of the create (`with_name`) and edit forms.
fn role_fields(form: &RoleForm, with_name: bool) -> Markup {
    html! {
        @if with_name {
            div class="field" {
                label for="role-name" { "Name" }
                input id="role-name" name="name" type="text" required maxlength="255"
                    value=(form.name);
            }
        }
        div class="field" {
            label for="role-description" { "Description (optional)" }
            input id="role-description" name="description" type="text"
                value=(form.description);
        }
        fieldset {
            legend { "Permissions" }
            @for permission in OWNER_PERMISSIONS {
                div class="field checkbox" {
                    input type="checkbox" id=(permission_id(permission))
                        name=(permission_field(permission))
                        checked[form.permissions.iter().any(|p| p == permission)];
                    " "
                    label for=(permission_id(permission)) { code { (permission) } }
                }
            }
            p class="hint" { "At least one." }
        }
    }
}

async fn create(
    State(state): State<AppState>,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let session = &form.session;
    let typed = RoleForm::typed(&form);
    let refuse = |message: String| list_page(&state, session, None, None, Some(message), &typed);
    let name = match role_name(&typed) {
        Ok(name) => name,
        Err(message) => return Ok(refuse(message).await?.into_response()),
    };
    let permissions = match checked_permissions(&typed) {
        Ok(permissions) => permissions,
        Err(message) => return Ok(refuse(message).await?.into_response()),
    };
    let role = NewRole {
        name,
        permissions,
        description: Some(typed.description.trim().to_owned()).filter(|d| !d.is_empty()),
    };
    match state.store.create_role(&session.org, &role).await {
        Ok(role) => {
            let message = format!("Created the role {}.", role.name);
            Ok(session
                .done(&state, message, &role_href(role.id.as_str()))
                .await)
        }
        Err(e) => Ok(refuse(refusal_of(e, &[])?).await?.into_response()),
    }
}

type RolePath = PathOf<String>;
type PairPath = PathOf<(String, String)>;

/// A role of the session's organization, or the 404 page.
async fn role_of(
    state: &AppState,
    session: &SignedIn,
    id: &str,
) -> Result<RoleRecord, ConsoleError> {
    found(
        state
            .store
            .get_role(&session.org, &RoleId::from_request(id))
            .await,
        Kind::Role,
    )
}

async fn role_at(
    state: &AppState,
    session: &SignedIn,
    path: RolePath,
) -> Result<RoleRecord, ConsoleError> {
    let id = segments(path)?;
    role_of(state, session, &id).await
}

/// Who holds a role: users (directly; for a predefined role, by their `role`) and groups.
struct Holders {
    users: Vec<User>,
    /// Whether more users hold it than are shown.
    more_users: bool,
    groups: Vec<GroupRecord>,
}

/// Every group of the organization, in list order.
async fn all_groups(state: &AppState, session: &SignedIn) -> Result<Vec<GroupRecord>, StoreError> {
    let mut groups = Vec::new();
    let mut query = NextQuery {
        limit: ListBounds::GROUPS.max_limit,
        order: SortOrder::Asc,
        after: None,
    };
    loop {
        let page = state.store.list_groups(&session.org, &query).await?;
        groups.extend(page.items);
        match page.next.filter(|_| page.has_more) {
            Some(next) => query.after = Some(next),
            None => return Ok(groups),
        }
    }
}

async fn holders(
    state: &AppState,
    session: &SignedIn,
    role: &RoleRecord,
) -> Result<Holders, ConsoleError> {
    if let Some(predefined) = role.predefined {
        let search = UserSearch {
            limit: HOLDERS_SHOWN,
            role: Some(predefined),
            ..UserSearch::default()
        };
        let found = state.store.search_users(&session.org, &search).await?;
        return Ok(Holders {
            users: found.users,
            more_users: found.has_more,
            groups: Vec::new(),
        });
    }
    let CustomRoleHolders { users, groups } = state
        .store
        .custom_role_holders(&session.org, &role.id)
        .await?;
    Ok(Holders {
        users,
        more_users: false,
        groups,
    })
}

async fn detail(
    State(state): State<AppState>,
    path: RolePath,
    session: SignedIn,
) -> Result<Html, ConsoleError> {
    let role = role_at(&state, &session, path).await?;
    detail_page(&state, &session, &role, None, None).await
}

/// A role's page, with `refusal` above the forms (and a 400), and the edit form as typed.
async fn detail_page(
    state: &AppState,
    session: &SignedIn,
    role: &RoleRecord,
    refusal: Option<String>,
    typed: Option<RoleForm>,
) -> Result<Html, ConsoleError> {
    let holders = holders(state, session, role).await?;
    let custom = role.predefined.is_none();
    let offered = if custom {
        all_groups(state, session)
            .await?
            .into_iter()
            .filter(|g| !holders.groups.iter().any(|held| held.id == g.id))
            .take(GROUPS_OFFERED)
            .collect()
    } else {
        Vec::new()
    };
    let href = role_href(role.id.as_str());
    let form = typed.unwrap_or_else(|| RoleForm::of(role));
    let content = html! {
        p class="breadcrumb" { a href="/console/roles" { "Roles" } }
        h1 { "Role " (role.name) }
        @if let Some(message) = &refusal {
            (alert(message))
        }
        dl class="details" {
            dt { "Id" } dd { code { (role.id.as_str()) } }
            dt { "Type" } dd { @if custom { "Custom" } @else { "Predefined" } }
            dt { "Description" } dd { (role.description.as_deref().unwrap_or("—")) }
            dt { "Permissions" }
            dd {
                ul class="plain-list" {
                    @for permission in &role.permissions { li { code { (permission) } } }
                }
            }
            @if let Some(at) = role.created_at { dt { "Created" } dd { (time_of(at)) } }
            @if let Some(at) = role.updated_at { dt { "Updated" } dd { (time_of(at)) } }
        }
        @if custom {
            section aria-labelledby="edit-heading" {
                h2 id="edit-heading" { "Edit" }
                form method="post" action=(href) class="stack" {
                    (csrf::field(session))
                    (role_fields(&form, false))
                    button type="submit" { "Save role" }
                }
            }
        } @else {
            p class="hint" { "A predefined role cannot be changed or deleted. Users hold it through their organization role." }
        }
        section aria-labelledby="users-heading" {
            h2 id="users-heading" { "Users with this role" }
            @if holders.users.is_empty() {
                (empty_note("No user holds this role directly."))
            } @else {
                (data_table("Users with this role", None, &["User", "Email"], custom, html! {
                    @for user in &holders.users {
                        @let label = user_label(user.name.as_deref(), user.email.as_deref(), &user.id);
                        tr {
                            td data-label="User" {
                                a href=(format!("/console/people/{}", segment(&user.id))) { (label) }
                            }
                            td data-label="Email" { (user.email.as_deref().unwrap_or("—")) }
                            @if custom {
                                td data-label="Actions" {
                                    form method="post" class="inline"
                                        action=(format!("{href}/users/{}/unassign", segment(&user.id))) {
                                        (csrf::field(session))
                                        button type="submit" class="button-secondary"
                                            aria-label=(format!("Unassign from {label}")) { "Unassign" }
                                    }
                                }
                            }
                        }
                    }
                }))
                @if holders.more_users {
                    @if let Some(predefined) = role.predefined {
                        p { a href=(format!("/console/people?role={}", predefined.as_str())) { "Every user with this role" } }
                    }
                }
            }
            form method="post" action=(format!("{href}/users")) class="inline-form" {
                (csrf::field(session))
                div class="field" {
                    label for="assign-user" { "User email or id" }
                    input id="assign-user" name="user" type="text" required autocomplete="off"
                        spellcheck="false";
                }
                button type="submit" { "Assign to user" }
            }
        }
        @if custom {
            section aria-labelledby="groups-heading" {
                h2 id="groups-heading" { "Groups with this role" }
                @if holders.groups.is_empty() {
                    (empty_note("No group holds this role."))
                } @else {
                    (data_table("Groups with this role", None, &["Group", "Id"], true, html! {
                        @for group in &holders.groups {
                            tr {
                                td data-label="Group" {
                                    a href=(format!("/console/groups/{}", segment(group.id.as_str()))) { (group.name) }
                                }
                                td data-label="Id" { code { (group.id.as_str()) } }
                                td data-label="Actions" {
                                    form method="post" class="inline"
                                        action=(format!("{href}/groups/{}/unassign", segment(group.id.as_str()))) {
                                        (csrf::field(session))
                                        button type="submit" class="button-secondary"
                                            aria-label=(format!("Unassign from group {}", group.name)) { "Unassign" }
                                    }
                                }
                            }
                        }
                    }))
                }
                @if !offered.is_empty() {
                    form method="post" action=(format!("{href}/groups")) class="inline-form" {
                        (csrf::field(session))
                        div class="field" {
                            label for="assign-group" { "Group" }
                            select id="assign-group" name="group_id" {
                                @for group in &offered {
                                    option value=(group.id.as_str()) { (group.name) }
                                }
                            }
                        }
                        button type="submit" { "Assign to group" }
                    }
                }
            }
            section aria-labelledby="delete-heading" class="danger-zone" {
                h2 id="delete-heading" { "Delete" }
                p { a class="button button-danger" href=(format!("{href}/delete")) { "Delete role" } }
            }
        }
    };
    let status = page_status(refusal.is_some());
    let title = format!("Role {} · Roles", role.name);
    Ok(Html(status, session.page(Section::Roles, &title, content)))
}

/// The answer to a refused action on a role's page: the page again with the message, or the
/// 404 page when the role is gone, or the 500 for a backend failure.
async fn refused(
    state: &AppState,
    session: &SignedIn,
    role: &RoleRecord,
    e: StoreError,
) -> Result<Response, ConsoleError> {
    match e {
        StoreError::Backend(e) => Err(ConsoleError::Internal(e)),
        e if ConsoleError::is_not_found(&e, Kind::Role)
            && matches!(&e, StoreError::NotFound { id, .. } if id == role.id.as_str()) =>
        {
            Err(ConsoleError::NotFound)
        }
        e => shown_with(state, session, role, store_message(&e)).await,
    }
}

/// The role's page again, with `message` above the forms (and a 400).
async fn shown_with(
    state: &AppState,
    session: &SignedIn,
    role: &RoleRecord,
    message: String,
) -> Result<Response, ConsoleError> {
    Ok(detail_page(state, session, role, Some(message), None)
        .await?
        .into_response())
}

/// The answer to an action on a role's page: back to the page with the outcome's message, or
/// the refusal.
async fn settled(
    state: &AppState,
    session: &SignedIn,
    role: &RoleRecord,
    outcome: Result<String, StoreError>,
) -> Result<Response, ConsoleError> {
    match outcome {
        Ok(message) => Ok(session
            .done(state, message, &role_href(role.id.as_str()))
            .await),
        Err(e) => refused(state, session, role, e).await,
    }
}

async fn update(
    State(state): State<AppState>,
    path: RolePath,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let session = &form.session;
    let role = role_at(&state, session, path).await?;
    let typed = RoleForm::typed(&form);
    let permissions = match checked_permissions(&typed) {
        Ok(permissions) => permissions,
        Err(message) => {
            return Ok(
                detail_page(&state, session, &role, Some(message), Some(typed))
                    .await?
                    .into_response(),
            );
        }
    };
    let change = RoleChange {
        name: None,
        permissions: Some(permissions),
        description: Some(typed.description.trim().to_owned()),
    };
    let outcome = state
        .store
        .update_role(&session.org, &role.id, &change)
        .await
        .map(|role| format!("Saved the role {}.", role.name));
    settled(&state, session, &role, outcome).await
}

async fn confirm_delete(
    State(state): State<AppState>,
    path: RolePath,
    session: SignedIn,
) -> Result<Html, ConsoleError> {
    let role = role_at(&state, &session, path).await?;
    let href = role_href(role.id.as_str());
    if role.predefined.is_some() {
        return Err(ConsoleError::Refused(
            StatusCode::BAD_REQUEST,
            format!(
                "The predefined role '{}' cannot be changed or deleted.",
                role.name
            ),
        ));
    }
    Ok(Confirmation {
        section: Section::Roles,
        title: &format!("Delete {} · Roles", role.name),
        breadcrumb: html! { a href="/console/roles" { "Roles" } " / " a href=(href) { (role.name) } },
        question: html! { "Delete the role " (role.name) "?" },
        refusal: None,
        text: html! {
            "The role " strong { (role.name) } " " code { (role.id.as_str()) }
            " is removed from every user and group that holds it. This cannot be undone."
        },
        warning: None,
        action: &format!("{href}/delete"),
        data_confirm: Some(&format!("Delete the role {}?", role.name)),
        button: "Delete role",
        cancel: &href,
    }
    .page(&session))
}

async fn delete(
    State(state): State<AppState>,
    path: RolePath,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let session = &form.session;
    let role = role_at(&state, session, path).await?;
    match state.store.delete_role(&session.org, &role.id).await {
        Ok(()) => {
            let message = format!("Deleted the role {}.", role.name);
            Ok(session.done(&state, message, "/console/roles").await)
        }
        Err(e) => refused(&state, session, &role, e).await,
    }
}

async fn assign_user(
    State(state): State<AppState>,
    path: RolePath,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let session = &form.session;
    let role = role_at(&state, session, path).await?;
    let Some(given) = form.fields.text("user") else {
        let message = "Give the email or id of a user.".to_owned();
        return shown_with(&state, session, &role, message).await;
    };
    let Some(user) = find_user(&state, &session.org, given).await? else {
        return shown_with(&state, session, &role, no_such_user(given)).await;
    };
    let outcome = state
        .store
        .assign_user_role(&session.org, &user.id, &role.id)
        .await
        .map(|(user, role)| {
            let label = user_label(user.name.as_deref(), user.email.as_deref(), &user.id);
            format!("Assigned the role {} to {label}.", role.name)
        });
    settled(&state, session, &role, outcome).await
}

async fn unassign_user(
    State(state): State<AppState>,
    path: PairPath,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let (role_id, user) = segments(path)?;
    let session = &form.session;
    let role = role_of(&state, session, &role_id).await?;
    let outcome = state
        .store
        .unassign_user_role(&session.org, &user, &role.id)
        .await
        .map(|()| format!("Unassigned the role {} from {user}.", role.name));
    settled(&state, session, &role, outcome).await
}

async fn assign_group(
    State(state): State<AppState>,
    path: RolePath,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let session = &form.session;
    let role = role_at(&state, session, path).await?;
    let Some(group) = form.fields.text("group_id") else {
        return shown_with(&state, session, &role, "Choose a group.".to_owned()).await;
    };
    let group = GroupId::from_request(group);
    let outcome = state
        .store
        .assign_group_role(&session.org, &group, &role.id)
        .await
        .map(|(group, role)| {
            format!(
                "Assigned the role {} to the group {}.",
                role.name, group.name
            )
        });
    settled(&state, session, &role, outcome).await
}

async fn unassign_group(
    State(state): State<AppState>,
    path: PairPath,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let (role_id, group) = segments(path)?;
    let session = &form.session;
    let role = role_of(&state, session, &role_id).await?;
    let group = GroupId::from_request(&group);
    let outcome = state
        .store
        .unassign_group_role(&session.org, &group, &role.id)
        .await
        .map(|()| {
            format!(
                "Unassigned the role {} from the group {}.",
                role.name,
                group.as_str()
            )
        });
    settled(&state, session, &role, outcome).await
}
