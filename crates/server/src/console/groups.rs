//! Groups: the organization's groups, their members and the roles they hold, through the same
//! store calls and rules as `/v1/organization/groups…` (names checked by `GroupName::parse`;
//! only custom roles are assignable, `groups::rules`).

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::html;
use orgusers_store::groups::{GroupName, GroupRecord, MemberRecord};
use orgusers_store::ids::{GroupId, RoleId};
use orgusers_store::page::{ListBounds, ListScope, NextQuery, SortOrder};
use orgusers_store::roles::RoleRecord;
use orgusers_store::{Kind, StoreError};

use super::listing::{
    cursor_page, find_user, no_such_user, query_value, segment, time_of, user_label,
};
use super::roles::role_href;
use super::widgets::{Confirmation, data_table, empty_note, empty_page};
use super::{
    ConsoleError, Html, PathOf, Section, SignedIn, SignedInForm, alert, csrf, found, page,
    page_status, pagination, refusal_of, segments, store_message,
};
use crate::AppState;
use crate::extract::QueryString;

/// Groups per page of the list, and members per page of a group.
const PAGE_SIZE: usize = 25;
/// The most custom roles offered in the assignment form.
const ROLES_OFFERED: usize = 200;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/groups", page(get(list).post(create)))
        .route("/console/groups/{group_id}", page(get(detail).post(rename)))
        .route(
            "/console/groups/{group_id}/delete",
            page(get(confirm_delete).post(delete)),
        )
        .route("/console/groups/{group_id}/members", page(post(add_member)))
        .route(
            "/console/groups/{group_id}/members/{user_id}/remove",
            page(post(remove_member)),
        )
        .route("/console/groups/{group_id}/roles", page(post(assign_role)))
        .route(
            "/console/groups/{group_id}/roles/{role_id}/unassign",
            page(post(unassign_role)),
        )
}

fn group_href(id: &str) -> String {
    format!("/console/groups/{}", segment(id))
}

fn name_of(text: &str) -> Result<GroupName, String> {
    GroupName::parse(text).map_err(|e| format!("Name: {e}."))
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
        "",
    )
    .await
}

async fn list_page(
    state: &AppState,
    session: &SignedIn,
    after: Option<String>,
    before: Option<String>,
    refusal: Option<String>,
    typed: &str,
) -> Result<Html, ConsoleError> {
    let scope = ListScope {
        list: "groups",
        org: &session.org,
        parent: "",
    };
    let found = cursor_page(
        state,
        &scope,
        ListBounds::GROUPS.default_order,
        PAGE_SIZE,
        after.as_deref(),
        before.as_deref(),
        GroupRecord::position,
        |query| async move { state.store.list_groups(&session.org, &query).await },
    )
    .await?;
    let (found, list_refusal) = match found {
        Ok(found) => (Some(found), None),
        Err(message) => (None, Some(message)),
    };
    let status = page_status(refusal.is_some() || list_refusal.is_some());
    let content = html! {
        h1 { "Groups" }
        @if let Some(message) = list_refusal.as_ref() {
            (alert(message))
        }
        @if let Some(found) = &found {
            @if found.items.is_empty() {
                (empty_page("No groups on this page."))
            } @else {
                (data_table("Groups", Some("Groups of the organization"), &["Name", "Id", "Created"], false, html! {
                    @for group in &found.items {
                        tr {
                            td data-label="Name" { a href=(group_href(group.id.as_str())) { (group.name) } }
                            td data-label="Id" { code { (group.id.as_str()) } }
                            td data-label="Created" { (time_of(group.created_at)) }
                        }
                    }
                }))
                (pagination("/console/groups", &[], found.links.before.as_deref(), found.links.after.as_deref()))
            }
        }
        section aria-labelledby="create-heading" {
            h2 id="create-heading" { "Create a group" }
            @if let Some(message) = refusal.as_ref() {
                (alert(message))
            }
            form method="post" action="/console/groups" class="stack" {
                (csrf::field(session))
                div class="field" {
                    label for="group-name" { "Name" }
                    input id="group-name" name="name" type="text" required maxlength="255"
                        value=(typed);
                }
                button type="submit" { "Create group" }
            }
        }
    };
    Ok(Html(
        status,
        session.page(Section::Groups, "Groups", content),
    ))
}

async fn create(
    State(state): State<AppState>,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let session = &form.session;
    let typed = form.fields.get("name").unwrap_or_default();
    let refuse = |message: String| list_page(&state, session, None, None, Some(message), typed);
    let name = match name_of(typed) {
        Ok(name) => name,
        Err(message) => return Ok(refuse(message).await?.into_response()),
    };
    match state.store.create_group(&session.org, &name).await {
        Ok(group) => {
            let message = format!("Created the group {}.", group.name);
            Ok(session
                .done(&state, message, &group_href(group.id.as_str()))
                .await)
        }
        Err(e) => Ok(refuse(refusal_of(e, &[])?).await?.into_response()),
    }
}

type GroupPath = PathOf<String>;
type PairPath = PathOf<(String, String)>;

async fn group_of(
    state: &AppState,
    session: &SignedIn,
    id: &str,
) -> Result<GroupRecord, ConsoleError> {
    found(
        state
            .store
            .get_group(&session.org, &GroupId::from_request(id))
            .await,
        Kind::Group,
    )
}

async fn group_at(
    state: &AppState,
    session: &SignedIn,
    path: GroupPath,
) -> Result<GroupRecord, ConsoleError> {
    let id = segments(path)?;
    group_of(state, session, &id).await
}

async fn detail(
    State(state): State<AppState>,
    path: GroupPath,
    session: SignedIn,
    QueryString(query): QueryString,
) -> Result<Html, ConsoleError> {
    let group = group_at(&state, &session, path).await?;
    let query = query.as_deref();
    let cursors = (query_value(query, "after"), query_value(query, "before"));
    detail_page(&state, &session, &group, cursors, None).await
}

/// The custom roles the organization has, up to [`ROLES_OFFERED`].
async fn custom_roles(state: &AppState, session: &SignedIn) -> Result<Vec<RoleRecord>, StoreError> {
    let query = NextQuery {
        limit: ROLES_OFFERED + 2,
        order: SortOrder::Asc,
        after: None,
    };
    let page = state.store.list_roles(&session.org, &query).await?;
    Ok(page
        .items
        .into_iter()
        .filter(|role| role.predefined.is_none())
        .take(ROLES_OFFERED)
        .collect())
}

/// A group's page: details, rename, members (a page of them, from the cursors `after` or
/// `before`), roles, with `refusal` above the forms (and a 400).
async fn detail_page(
    state: &AppState,
    session: &SignedIn,
    group: &GroupRecord,
    (after, before): (Option<String>, Option<String>),
    refusal: Option<String>,
) -> Result<Html, ConsoleError> {
    let href = group_href(group.id.as_str());
    let id = group.id.as_str().to_owned();
    let scope = ListScope {
        list: "group.users",
        org: &session.org,
        parent: &id,
    };
    let members = cursor_page(
        state,
        &scope,
        ListBounds::GROUP_USERS.default_order,
        PAGE_SIZE,
        after.as_deref(),
        before.as_deref(),
        MemberRecord::position,
        |query| async move {
            state
                .store
                .list_group_users(&session.org, &group.id, &query)
                .await
        },
    )
    .await?;
    let (members, members_refusal) = match members {
        Ok(members) => (Some(members), None),
        Err(message) => (None, Some(message)),
    };
    let roles = state.store.group_roles(&session.org, &group.id).await?;
    let offered: Vec<RoleRecord> = custom_roles(state, session)
        .await?
        .into_iter()
        .filter(|role| !roles.iter().any(|held| held.id == role.id))
        .collect();
    let content = html! {
        p class="breadcrumb" { a href="/console/groups" { "Groups" } }
        h1 { "Group " (group.name) }
        @if let Some(message) = refusal.as_ref().or(members_refusal.as_ref()) {
            (alert(message))
        }
        dl class="details" {
            dt { "Id" } dd { code { (group.id.as_str()) } }
            dt { "Name" } dd { (group.name) }
            dt { "Created" } dd { (time_of(group.created_at)) }
        }
        section aria-labelledby="rename-heading" {
            h2 id="rename-heading" { "Rename" }
            form method="post" action=(href) class="inline-form" {
                (csrf::field(session))
                div class="field" {
                    label for="group-name" { "Name" }
                    input id="group-name" name="name" type="text" required maxlength="255"
                        value=(group.name);
                }
                button type="submit" { "Rename group" }
            }
        }
        section aria-labelledby="members-heading" {
            h2 id="members-heading" { "Members" }
            @if let Some(members) = &members {
                @if members.items.is_empty() {
                    (empty_note("No members on this page."))
                } @else {
                    (data_table("Members", Some("Members of the group"), &["User", "Email", "Added"], true, html! {
                        @for member in &members.items {
                            @let label = user_label(member.name.as_deref(), member.email.as_deref(), &member.user_id);
                            tr {
                                td data-label="User" {
                                    a href=(format!("/console/people/{}", segment(&member.user_id))) { (label) }
                                }
                                td data-label="Email" { (member.email.as_deref().unwrap_or("—")) }
                                td data-label="Added" { (time_of(member.added_at)) }
                                td data-label="Actions" {
                                    form method="post" class="inline"
                                        action=(format!("{href}/members/{}/remove", segment(&member.user_id))) {
                                        (csrf::field(session))
                                        button type="submit" class="button-secondary"
                                            aria-label=(format!("Remove {label} from the group")) { "Remove" }
                                    }
                                }
                            }
                        }
                    }))
                    (pagination(&href, &[], members.links.before.as_deref(), members.links.after.as_deref()))
                }
            }
            form method="post" action=(format!("{href}/members")) class="inline-form" {
                (csrf::field(session))
                div class="field" {
                    label for="member-user" { "User email or id" }
                    input id="member-user" name="user" type="text" required autocomplete="off"
                        spellcheck="false";
                }
                button type="submit" { "Add member" }
            }
        }
        section aria-labelledby="roles-heading" {
            h2 id="roles-heading" { "Roles" }
            @if roles.is_empty() {
                (empty_note("The group holds no roles."))
            } @else {
                (data_table("Roles of the group", None, &["Role", "Permissions"], true, html! {
                    @for role in &roles {
                        tr {
                            td data-label="Role" { a href=(role_href(role.id.as_str())) { (role.name) } }
                            td data-label="Permissions" { (role.permissions.len()) }
                            td data-label="Actions" {
                                form method="post" class="inline"
                                    action=(format!("{href}/roles/{}/unassign", segment(role.id.as_str()))) {
                                    (csrf::field(session))
                                    button type="submit" class="button-secondary"
                                        aria-label=(format!("Unassign the role {}", role.name)) { "Unassign" }
                                }
                            }
                        }
                    }
                }))
            }
            @if offered.is_empty() {
                p class="hint" { "Groups hold custom roles: create one on the " a href="/console/roles" { "Roles" } " page." }
            } @else {
                form method="post" action=(format!("{href}/roles")) class="inline-form" {
                    (csrf::field(session))
                    div class="field" {
                        label for="group-role" { "Role" }
                        select id="group-role" name="role_id" {
                            @for role in &offered {
                                option value=(role.id.as_str()) { (role.name) }
                            }
                        }
                    }
                    button type="submit" { "Assign role" }
                }
            }
        }
        section aria-labelledby="delete-heading" class="danger-zone" {
            h2 id="delete-heading" { "Delete" }
            p { a class="button button-danger" href=(format!("{href}/delete")) { "Delete group" } }
        }
    };
    let status = page_status(refusal.is_some() || members_refusal.is_some());
    let title = format!("Group {} · Groups", group.name);
    Ok(Html(status, session.page(Section::Groups, &title, content)))
}

/// The answer to a refused action on a group's page.
async fn refused(
    state: &AppState,
    session: &SignedIn,
    group: &GroupRecord,
    e: StoreError,
) -> Result<Response, ConsoleError> {
    match e {
        StoreError::Backend(e) => Err(ConsoleError::Internal(e)),
        StoreError::NotFound {
            kind: Kind::Group,
            ref id,
        } if id == group.id.as_str() => Err(ConsoleError::NotFound),
        e => shown_with(state, session, group, store_message(&e)).await,
    }
}

/// The group's page again, with `message` above the forms (and a 400).
async fn shown_with(
    state: &AppState,
    session: &SignedIn,
    group: &GroupRecord,
    message: String,
) -> Result<Response, ConsoleError> {
    Ok(
        detail_page(state, session, group, (None, None), Some(message))
            .await?
            .into_response(),
    )
}

/// The answer to an action on a group's page: back to the page with the outcome's message,
/// or the refusal.
async fn settled(
    state: &AppState,
    session: &SignedIn,
    group: &GroupRecord,
    outcome: Result<String, StoreError>,
) -> Result<Response, ConsoleError> {
    match outcome {
        Ok(message) => Ok(session
            .done(state, message, &group_href(group.id.as_str()))
            .await),
        Err(e) => refused(state, session, group, e).await,
    }
}

async fn rename(
    State(state): State<AppState>,
    path: GroupPath,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let session = &form.session;
    let group = group_at(&state, session, path).await?;
    let name = match name_of(form.fields.get("name").unwrap_or_default()) {
        Ok(name) => name,
        Err(message) => return shown_with(&state, session, &group, message).await,
    };
    let outcome = state
        .store
        .rename_group(&session.org, &group.id, &name)
        .await
        .map(|renamed| format!("Renamed the group {} to {}.", group.name, renamed.name));
    settled(&state, session, &group, outcome).await
}

async fn confirm_delete(
    State(state): State<AppState>,
    path: GroupPath,
    session: SignedIn,
) -> Result<Html, ConsoleError> {
    let group = group_at(&state, &session, path).await?;
    let href = group_href(group.id.as_str());
    Ok(Confirmation {
        section: Section::Groups,
        title: &format!("Delete {} · Groups", group.name),
        breadcrumb: html! { a href="/console/groups" { "Groups" } " / " a href=(href) { (group.name) } },
        question: html! { "Delete the group " (group.name) "?" },
        refusal: None,
        text: html! {
            "The group " strong { (group.name) } " " code { (group.id.as_str()) }
            " is deleted with its memberships and role assignments; its members lose the \
             roles they held through it. This cannot be undone."
        },
        warning: None,
        action: &format!("{href}/delete"),
        data_confirm: Some(&format!("Delete the group {}?", group.name)),
        button: "Delete group",
        cancel: &href,
    }
    .page(&session))
}

async fn delete(
    State(state): State<AppState>,
    path: GroupPath,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let session = &form.session;
    let group = group_at(&state, session, path).await?;
    match state.store.delete_group(&session.org, &group.id).await {
        Ok(()) => {
            let message = format!("Deleted the group {}.", group.name);
            Ok(session.done(&state, message, "/console/groups").await)
        }
        Err(e) => refused(&state, session, &group, e).await,
    }
}

async fn add_member(
    State(state): State<AppState>,
    path: GroupPath,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let session = &form.session;
    let group = group_at(&state, session, path).await?;
    let Some(given) = form.fields.text("user") else {
        let message = "Give the email or id of a user.".to_owned();
        return shown_with(&state, session, &group, message).await;
    };
    let Some(user) = find_user(&state, &session.org, given).await? else {
        return shown_with(&state, session, &group, no_such_user(given)).await;
    };
    let outcome = state
        .store
        .add_group_user(&session.org, &group.id, &user.id)
        .await
        .map(|()| {
            let label = user_label(user.name.as_deref(), user.email.as_deref(), &user.id);
            format!("Added {label} to the group {}.", group.name)
        });
    settled(&state, session, &group, outcome).await
}

async fn remove_member(
    State(state): State<AppState>,
    path: PairPath,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let (group, user) = segments(path)?;
    let session = &form.session;
    let group = group_of(&state, session, &group).await?;
    let outcome = state
        .store
        .remove_group_user(&session.org, &group.id, &user)
        .await
        .map(|()| format!("Removed {user} from the group {}.", group.name));
    settled(&state, session, &group, outcome).await
}

async fn assign_role(
    State(state): State<AppState>,
    path: GroupPath,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let session = &form.session;
    let group = group_at(&state, session, path).await?;
    let Some(role) = form.fields.text("role_id") else {
        return shown_with(&state, session, &group, "Choose a role.".to_owned()).await;
    };
    let role = RoleId::from_request(role);
    let outcome = state
        .store
        .assign_group_role(&session.org, &group.id, &role)
        .await
        .map(|(group, role)| {
            format!(
                "Assigned the role {} to the group {}.",
                role.name, group.name
            )
        });
    settled(&state, session, &group, outcome).await
}

async fn unassign_role(
    State(state): State<AppState>,
    path: PairPath,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let (group, role) = segments(path)?;
    let session = &form.session;
    let group = group_of(&state, session, &group).await?;
    let role = RoleId::from_request(&role);
    let outcome = state
        .store
        .unassign_group_role(&session.org, &group.id, &role)
        .await
        .map(|()| {
            format!(
                "Unassigned the role {} from the group {}.",
                role.as_str(),
                group.name
            )
        });
    settled(&state, session, &group, outcome).await
}
