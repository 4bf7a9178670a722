//! People: the organization's users. The list with search and role filter, a user's page
//! (details, projects, groups, roles), the change of role and the removal, through the same
//! store calls as `/v1/organization/users`.

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{Markup, html};
use orgusers_api::User;
use orgusers_store::{Kind, Role, UserChange, UserSearch};

use super::listing::query_value;
use super::widgets::{Confirmation, data_table, empty_note, empty_page};
use super::{
    ConsoleError, Html, PageLinks, PathOf, Section, SignedIn, SignedInForm, alert, csrf, found,
    listed, page, page_status, pagination, refusal_of, segments, time,
};
use crate::AppState;
use crate::extract::QueryString;

/// Users per page of the list.
const PAGE_SIZE: usize = 25;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/people", page(get(list)))
        .route("/console/people/{user_id}", page(get(detail)))
        .route(
            "/console/people/{user_id}/role",
            page(axum::routing::post(change_role)),
        )
        .route(
            "/console/people/{user_id}/remove",
            page(get(confirm_remove).post(remove)),
        )
}

/// What a user is called on the page: the name, else the email, else the id.
fn label(user: &User) -> &str {
    user.name
        .as_deref()
        .filter(|n| !n.is_empty())
        .or(user.email.as_deref())
        .unwrap_or(&user.id)
}

fn user_href(id: &str) -> String {
    let encoded: String = form_urlencoded::byte_serialize(id.as_bytes()).collect();
    format!("/console/people/{encoded}")
}

async fn list(
    State(state): State<AppState>,
    session: SignedIn,
    QueryString(query): QueryString,
) -> Result<Html, ConsoleError> {
    let query = query.as_deref();
    let text = query_value(query, "q");
    let role_param = query_value(query, "role");
    let role = role_param.as_deref().and_then(Role::parse);
    let search = UserSearch {
        limit: PAGE_SIZE,
        after: query_value(query, "after"),
        before: query_value(query, "before"),
        text: text.clone(),
        role,
    };
    let (page_users, refusal) = listed(state.store.search_users(&session.org, &search).await)?;
    let text = text.unwrap_or_default();
    let role_value = role.map_or("", Role::as_str);
    let content = html! {
        h1 { "People" }
        (search_form(&text, role))
        @if let Some(message) = &refusal {
            (alert(message))
        }
        @if let Some(found) = &page_users {
            @if found.users.is_empty() {
                (empty_page(if text.is_empty() && role.is_none() {
                    "The organization has no users yet."
                } else {
                    "No users match this search."
                }))
            } @else {
                (data_table("Users", Some("Users of the organization"), &["Name", "Email", "Role", "Added"], false, html! {
                    @for user in &found.users {
                        tr {
                            td data-label="Name" {
                                a href=(user_href(&user.id)) { (label(user)) }
                            }
                            td data-label="Email" { (user.email.as_deref().unwrap_or("—")) }
                            td data-label="Role" { (user.role.as_deref().unwrap_or("—")) }
                            td data-label="Added" { (time(user.added_at)) }
                        }
                    }
                }))
                @let ids: Vec<&str> = found.users.iter().map(|u| u.id.as_str()).collect();
                @let links = PageLinks::new(
                    &ids,
                    found.has_more,
                    search.after.is_some() || search.before.is_some(),
                    search.backwards(),
                );
                (pagination(
                    "/console/people",
                    &[("q", &text), ("role", role_value)],
                    links.before.as_deref(),
                    links.after.as_deref(),
                ))
            }
        }
    };
    let status = page_status(refusal.is_some());
    Ok(Html(
        status,
        session.page(Section::People, "People", content),
    ))
}

fn search_form(text: &str, role: Option<Role>) -> Markup {
    html! {
        form method="get" action="/console/people" class="filters" role="search" {
            div class="field" {
                label for="q" { "Search by name or email" }
                input id="q" name="q" type="search" value=(text);
            }
            div class="field" {
                label for="role-filter" { "Role" }
                select id="role-filter" name="role" {
                    option value="" selected[role.is_none()] { "Any role" }
                    option value="owner" selected[role == Some(Role::Owner)] { "Owner" }
                    option value="reader" selected[role == Some(Role::Reader)] { "Reader" }
                }
            }
            button type="submit" { "Search" }
        }
    }
}

/// The `{user_id}` of the path; a segment that is not UTF-8 names no user.
type UserPath = PathOf<String>;

fn user_id(path: UserPath) -> Result<String, ConsoleError> {
    segments(path)
}

/// A user of the session's organization, or the 404 page.
async fn user_of(state: &AppState, session: &SignedIn, id: &str) -> Result<User, ConsoleError> {
    found(state.store.get_user(&session.org, id).await, Kind::User)
}

async fn detail(
    State(state): State<AppState>,
    path: UserPath,
    session: SignedIn,
) -> Result<Html, ConsoleError> {
    let id = user_id(path)?;
    let user = user_of(&state, &session, &id).await?;
    detail_page(&state, &session, &user, None).await
}

/// A user's page, with `refusal` as an alert above the forms (and its status).
async fn detail_page(
    state: &AppState,
    session: &SignedIn,
    user: &User,
    refusal: Option<String>,
) -> Result<Html, ConsoleError> {
    let groups = state.store.groups_of_user(&session.org, &user.id).await?;
    let roles = state
        .store
        .user_holdings(&session.org, &user.id)
        .await?
        .roles(&session.org, &user.id);
    let projects = user
        .projects
        .as_ref()
        .map(|p| p.data.as_slice())
        .unwrap_or_default();
    let role = user.role.as_deref().and_then(Role::parse);
    let href = user_href(&user.id);
    let content = html! {
        p class="breadcrumb" { a href="/console/people" { "People" } }
        h1 { (label(user)) }
        @if let Some(message) = &refusal {
            (alert(message))
        }
        dl class="details" {
            dt { "Id" } dd { code { (user.id) } }
            dt { "Name" } dd { (user.name.as_deref().unwrap_or("—")) }
            dt { "Email" } dd { (user.email.as_deref().unwrap_or("—")) }
            dt { "Role" } dd { (user.role.as_deref().unwrap_or("—")) }
            dt { "Added" } dd { (time(user.added_at)) }
        }
        section aria-labelledby="role-heading" {
            h2 id="role-heading" { "Organization role" }
            form method="post" action=(format!("{href}/role")) class="inline-form" {
                (csrf::field(session))
                div class="field" {
                    label for="role" { "Role" }
                    select id="role" name="role" {
                        option value="owner" selected[role == Some(Role::Owner)] { "Owner" }
                        option value="reader" selected[role == Some(Role::Reader)] { "Reader" }
                    }
                }
                button type="submit" { "Change role" }
            }
        }
        section aria-labelledby="projects-heading" {
            h2 id="projects-heading" { "Projects" }
            @if projects.is_empty() {
                (empty_note("Not a member of any project."))
            } @else {
                (data_table("Projects", None, &["Project", "Project role"], false, html! {
                    @for project in projects {
                        tr {
                            td data-label="Project" {
                                (project.name.as_deref().or(project.id.as_deref()).unwrap_or("—"))
                            }
                            td data-label="Project role" { (project.role.as_deref().unwrap_or("—")) }
                        }
                    }
                }))
            }
        }
        section aria-labelledby="groups-heading" {
            h2 id="groups-heading" { "Groups" }
            @if groups.is_empty() {
                (empty_note("Not a member of any group."))
            } @else {
                ul class="plain-list" {
                    @for group in &groups {
                        li { (group.name) " " code { (group.id.as_str()) } }
                    }
                }
            }
        }
        section aria-labelledby="roles-heading" {
            h2 id="roles-heading" { "Assigned roles" }
            (data_table("Assigned roles", None, &["Role", "Held through"], false, html! {
                @for (held, sources) in &roles {
                    tr {
                        td data-label="Role" { (held.name) }
                        td data-label="Held through" {
                            @for (i, source) in sources.iter().enumerate() {
                                @if i > 0 { ", " }
                                @if source.principal_type == "user" {
                                    "directly"
                                } @else {
                                    "group " code { (source.principal_id) }
                                }
                            }
                        }
                    }
                }
            }))
        }
        section aria-labelledby="remove-heading" class="danger-zone" {
            h2 id="remove-heading" { "Remove" }
            p { a class="button button-danger" href=(format!("{href}/remove")) { "Remove from organization" } }
        }
    };
    let status = page_status(refusal.is_some());
    let title = format!("{} · People", label(user));
    Ok(Html(status, session.page(Section::People, &title, content)))
}

async fn change_role(
    State(state): State<AppState>,
    path: UserPath,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let id = user_id(path)?;
    let session = &form.session;
    let Some(role) = form.fields.text("role").and_then(Role::parse) else {
        let user = user_of(&state, session, &id).await?;
        let refusal = "Choose a role: owner or reader.".to_owned();
        return Ok(detail_page(&state, session, &user, Some(refusal))
            .await?
            .into_response());
    };
    let change = UserChange {
        role: Some(role),
        ..UserChange::default()
    };
    match state.store.update_user(&session.org, &id, &change).await {
        Ok(user) => {
            let message = format!("{} is now {}.", label(&user), role.as_str());
            Ok(session.done(&state, message, &user_href(&id)).await)
        }
        Err(e) => {
            let message = refusal_of(e, &[Kind::User])?;
            let user = user_of(&state, session, &id).await?;
            Ok(detail_page(&state, session, &user, Some(message))
                .await?
                .into_response())
        }
    }
}

fn remove_page(session: &SignedIn, user: &User, refusal: Option<&str>) -> Html {
    let href = user_href(&user.id);
    Confirmation {
        section: Section::People,
        title: &format!("Remove {} · People", label(user)),
        breadcrumb: html! { a href="/console/people" { "People" } " / " a href=(href) { (label(user)) } },
        question: html! { "Remove " (label(user)) "?" },
        refusal,
        text: html! {
            "This removes " strong { (label(user)) }
            @if let Some(email) = &user.email { " (" (email) ")" }
            " from the organization, with its project memberships, groups and roles. \
             It cannot be undone."
        },
        warning: None,
        action: &format!("{href}/remove"),
        data_confirm: None,
        button: "Remove user",
        cancel: &href,
    }
    .page(session)
}

async fn confirm_remove(
    State(state): State<AppState>,
    path: UserPath,
    session: SignedIn,
) -> Result<Html, ConsoleError> {
    let id = user_id(path)?;
    let user = user_of(&state, &session, &id).await?;
    Ok(remove_page(&session, &user, None))
}

async fn remove(
    State(state): State<AppState>,
    path: UserPath,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let id = user_id(path)?;
    let session = &form.session;
    let user = user_of(&state, session, &id).await?;
    match state.store.delete_user(&session.org, &id).await {
        Ok(()) => {
            let message = format!("Removed {} from the organization.", label(&user));
            Ok(session.done(&state, message, "/console/people").await)
        }
        Err(e) => {
            let message = refusal_of(e, &[Kind::User])?;
            Ok(remove_page(session, &user, Some(&message)).into_response())
        }
    }
}
