//! Projects: the organization's projects and what lives in one (members, service accounts,
//! API keys, groups with access), through the same store calls as
//! `/v1/organization/projects…`. A project's page has a tab per part:
//! `/console/projects/{id}` (details, rename, archive), `…/members`, `…/service-accounts`,
//! `…/api-keys` and `…/groups`. An archived project is shown read-only: no forms, and a change
//! sent anyway (from a page older than the archiving) gets the store's refusal as a message.
//!
//! A new service account's key value is shown once, in the answer to the form that made it
//! (`Cache-Control: no-store`, never in the session, never behind a redirect).

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use orgusers_store::groups::GroupRecord;
use orgusers_store::ids::{ApiKeyId, GroupId, ProjectId, ServiceAccountId};
use orgusers_store::page::{FirstQuery, ListScope, NextQuery, SortOrder};
use orgusers_store::project_groups::ProjectGroupRecord;
use orgusers_store::project_keys::{KeyOwner, OwnerAccess, ProjectKeyRecord};
use orgusers_store::projects::{
    MemberTarget, NewProject, ProjectChange, ProjectMember, ProjectName, ProjectRecord, ProjectRole,
};
use orgusers_store::service_accounts::{
    NewServiceAccount, ServiceAccountName, ServiceAccountRecord,
};
use orgusers_store::{EmailAddress, Kind, StoreError};

use super::listing::query_value;
use super::widgets::{Confirmation, data_table, empty_note, empty_page};
use super::{
    ConsoleError, Html, PageLinks, PathOf, Section, SignedIn, SignedInForm, alert, csrf, found,
    listed, page, page_status, pagination, refusal_of, segments, time,
};
use crate::AppState;
use crate::extract::QueryString;

mod api_keys;
mod groups;
mod members;
mod service_accounts;

/// Items per page of every list here.
const PAGE_SIZE: usize = 25;

/// Groups the form that grants access offers.
const GROUPS_SHOWN: usize = 1000;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/projects", page(get(list).post(create)))
        .route("/console/projects/{project_id}", page(get(overview)))
        .route("/console/projects/{project_id}/rename", page(post(rename)))
        .route(
            "/console/projects/{project_id}/archive",
            page(get(confirm_archive).post(archive)),
        )
        .merge(members::routes())
        .merge(service_accounts::routes())
        .merge(api_keys::routes())
        .merge(groups::routes())
}

fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn project_href(id: &ProjectId) -> String {
    format!("/console/projects/{}", encode(id.as_str()))
}

fn user_href(id: &str) -> String {
    format!("/console/people/{}", encode(id))
}

/// A sentence from a parser's refusal: capitalized, with a full stop.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let first = chars.next().map(|c| c.to_uppercase().collect::<String>());
    format!("{}{}.", first.unwrap_or_default(), chars.as_str())
}

fn status_of(refusal: Option<&String>) -> StatusCode {
    page_status(refusal.is_some())
}

type OnePath = PathOf<String>;
type TwoPath = PathOf<(String, String)>;

fn one(path: OnePath) -> Result<ProjectId, ConsoleError> {
    segments(path).map(|id| ProjectId::from_request(&id))
}

fn two(path: TwoPath) -> Result<(ProjectId, String), ConsoleError> {
    segments(path).map(|(project, id)| (ProjectId::from_request(&project), id))
}

/// A project of the session's organization, archived or not, or the 404 page.
async fn project_of(
    state: &AppState,
    session: &SignedIn,
    id: &ProjectId,
) -> Result<ProjectRecord, ConsoleError> {
    found(
        state.store.get_project(&session.org, id).await,
        Kind::Project,
    )
}

// ----- The list of projects -----

async fn list(
    State(state): State<AppState>,
    session: SignedIn,
    QueryString(query): QueryString,
) -> Result<Html, ConsoleError> {
    let query = query.as_deref();
    let archived = query_value(query, "archived").is_some_and(|v| v == "true" || v == "1");
    let after = query_value(query, "after");
    list_page(&state, &session, archived, after, None, "").await
}

async fn list_page(
    state: &AppState,
    session: &SignedIn,
    archived: bool,
    after: Option<String>,
    refusal: Option<String>,
    typed_name: &str,
) -> Result<Html, ConsoleError> {
    let query = FirstQuery {
        limit: PAGE_SIZE,
        after: after.clone(),
    };
    let (projects, list_refusal) = listed(
        state
            .store
            .list_projects(&session.org, &query, archived)
            .await,
    )?;
    let refusal = refusal.or(list_refusal);
    let content = html! {
        h1 { "Projects" }
        @if let Some(message) = &refusal {
            (alert(message))
        }
        p {
            @if archived {
                a href="/console/projects" { "Hide archived projects" }
            } @else {
                a href="/console/projects?archived=true" { "Show archived projects" }
            }
        }
        @if let Some(projects) = &projects {
            @if projects.items.is_empty() {
                (empty_page("No projects on this page."))
            } @else {
                @let caption = if archived {
                    "Projects of the organization, archived ones included"
                } else {
                    "Active projects of the organization"
                };
                (data_table("Projects", Some(caption), &["Name", "Id", "Status", "Created"], false, html! {
                    @for project in &projects.items {
                        tr {
                            td data-label="Name" {
                                a href=(project_href(&project.id)) { (project.name) }
                                @if project.is_default { " " span class="badge" { "default" } }
                            }
                            td data-label="Id" { code { (project.id) } }
                            td data-label="Status" { (project.status()) }
                            td data-label="Created" { (time(project.created_at)) }
                        }
                    }
                }))
            }
            @let ids: Vec<&str> = projects.items.iter().map(|p| p.id.as_str()).collect();
            @let links = PageLinks::new(&ids, projects.has_more, after.is_some(), false);
            (pagination(
                "/console/projects",
                &[("archived", if archived { "true" } else { "" })],
                None,
                links.after.as_deref(),
            ))
            @if after.is_some() {
                p {
                    a href=(if archived { "/console/projects?archived=true" } else { "/console/projects" }) {
                        "Back to the first page"
                    }
                }
            }
        }
        section aria-labelledby="create-heading" {
            h2 id="create-heading" { "Create a project" }
            form method="post" action="/console/projects" class="inline-form" {
                (csrf::field(session))
                div class="field" {
                    label for="project-name" { "Name" }
                    input id="project-name" name="name" type="text" required maxlength="255"
                        value=(typed_name);
                }
                button type="submit" { "Create project" }
            }
        }
    };
    Ok(Html(
        status_of(refusal.as_ref()),
        session.page(Section::Projects, "Projects", content),
    ))
}

async fn create(
    State(state): State<AppState>,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let session = &form.session;
    let typed = form.fields.get("name").unwrap_or_default().trim();
    let name = match ProjectName::parse(typed) {
        Ok(name) => name,
        Err(e) => {
            return Ok(
                list_page(&state, session, false, None, Some(sentence(&e.0)), typed)
                    .await?
                    .into_response(),
            );
        }
    };
    let new = NewProject {
        name,
        external_key_id: None,
        residency: None,
    };
    match state.store.create_project(&session.org, &new).await {
        Ok(project) => {
            let message = format!("Created the project {}.", project.name);
            Ok(session
                .done(&state, message, &project_href(&project.id))
                .await)
        }
        Err(e) => {
            let message = refusal_of(e, &[])?;
            Ok(
                list_page(&state, session, false, None, Some(message), typed)
                    .await?
                    .into_response(),
            )
        }
    }
}

/// The answer to a confirmed removal from a project (`done`, the store's answer): back to `to`
/// with `message`, or the confirmation page `again` with the store's refusal (a missing one
/// of `kinds` is the 404 page).
async fn confirmed(
    state: &AppState,
    session: &SignedIn,
    done: Result<(), StoreError>,
    kinds: &[Kind],
    message: String,
    to: &str,
    again: impl FnOnce(Option<&String>) -> Html,
) -> Result<Response, ConsoleError> {
    match done {
        Ok(()) => Ok(session.done(state, message, to).await),
        Err(e) => {
            let refusal = refusal_of(e, kinds)?;
            Ok(again(Some(&refusal)).into_response())
        }
    }
}

// ----- A project's page and its tabs -----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Overview,
    Members,
    ServiceAccounts,
    ApiKeys,
    Groups,
}

impl Tab {
    const ALL: [Self; 5] = [
        Self::Overview,
        Self::Members,
        Self::ServiceAccounts,
        Self::ApiKeys,
        Self::Groups,
    ];

    fn label(self) -> &'static str {
        match self {
            Self::Overview => "Overview",
            Self::Members => "Members",
            Self::ServiceAccounts => "Service accounts",
            Self::ApiKeys => "API keys",
            Self::Groups => "Groups",
        }
    }

    fn href(self, project: &ProjectId) -> String {
        let base = project_href(project);
        match self {
            Self::Overview => base,
            Self::Members => format!("{base}/members"),
            Self::ServiceAccounts => format!("{base}/service-accounts"),
            Self::ApiKeys => format!("{base}/api-keys"),
            Self::Groups => format!("{base}/groups"),
        }
    }
}

/// A page of a project: breadcrumb, name, the archived notice, the tabs, `refusal`, `content`.
fn project_page(
    session: &SignedIn,
    project: &ProjectRecord,
    tab: Tab,
    refusal: Option<&String>,
    content: Markup,
) -> Html {
    let body = html! {
        p class="breadcrumb" { a href="/console/projects" { "Projects" } }
        h1 {
            (project.name)
            @if project.is_default { " " span class="badge" { "default" } }
            @if project.archived_at.is_some() { " " span class="badge" { "archived" } }
        }
        @if let Some(message) = refusal {
            (alert(message))
        }
        @if let Some(at) = project.archived_at {
            p class="archived-notice" {
                strong { "This project was archived on " (time(at)) ": it can be read but not changed." }
            }
        }
        nav class="subnav" aria-label="Project" {
            ul {
                @for t in Tab::ALL {
                    li {
                        @if t == tab {
                            a href=(t.href(&project.id)) aria-current="page" { (t.label()) }
                        } @else {
                            a href=(t.href(&project.id)) { (t.label()) }
                        }
                    }
                }
            }
        }
        (content)
    };
    let title = match tab {
        Tab::Overview => format!("{} · Projects", project.name),
        other => format!("{} · {} · Projects", other.label(), project.name),
    };
    Html(
        status_of(refusal),
        session.page(Section::Projects, &title, body),
    )
}

/// A confirmation page of `project`: `question` as its heading, `text` and a form that posts
/// to `action` with the danger button `button`, or goes back to `back`.
#[allow(clippy::too_many_arguments)]
fn confirm_page(
    session: &SignedIn,
    project: &ProjectRecord,
    question: &str,
    text: Markup,
    action: &str,
    button: &str,
    back: &str,
    refusal: Option<&String>,
) -> Html {
    Confirmation {
        section: Section::Projects,
        title: &format!("{question} · {} · Projects", project.name),
        breadcrumb: html! {
            a href="/console/projects" { "Projects" } " / "
            a href=(project_href(&project.id)) { (project.name) }
        },
        question: html! { (question) },
        refusal: refusal.map(String::as_str),
        text,
        warning: None,
        action,
        data_confirm: None,
        button,
        cancel: back,
    }
    .page(session)
}

async fn overview(
    State(state): State<AppState>,
    path: OnePath,
    session: SignedIn,
) -> Result<Html, ConsoleError> {
    let project = project_of(&state, &session, &one(path)?).await?;
    Ok(overview_page(&session, &project, None))
}

fn overview_page(session: &SignedIn, project: &ProjectRecord, refusal: Option<&String>) -> Html {
    let href = project_href(&project.id);
    let active = project.archived_at.is_none();
    let content = html! {
        dl class="details" {
            dt { "Id" } dd { code { (project.id) } }
            dt { "Name" } dd { (project.name) }
            dt { "Status" } dd { (project.status()) }
            dt { "Created" } dd { (time(project.created_at)) }
            @if let Some(at) = project.archived_at {
                dt { "Archived" } dd { (time(at)) }
            }
            dt { "Residency" } dd { (project.residency.as_deref().unwrap_or("—")) }
            dt { "Encryption key" } dd { (project.external_key_id.as_deref().unwrap_or("—")) }
        }
        @if active {
            section aria-labelledby="rename-heading" {
                h2 id="rename-heading" { "Rename" }
                form method="post" action=(format!("{href}/rename")) class="inline-form" {
                    (csrf::field(session))
                    div class="field" {
                        label for="project-name" { "Name" }
                        input id="project-name" name="name" type="text" required maxlength="255"
                            value=(project.name);
                    }
                    button type="submit" { "Rename project" }
                }
            }
            section aria-labelledby="archive-heading" class="danger-zone" {
                h2 id="archive-heading" { "Archive" }
                @if project.is_default {
                    p { "The Default project cannot be archived." }
                } @else {
                    p { a class="button button-danger" href=(format!("{href}/archive")) { "Archive project" } }
                }
            }
        }
    };
    project_page(session, project, Tab::Overview, refusal, content)
}

async fn rename(
    State(state): State<AppState>,
    path: OnePath,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let session = &form.session;
    let id = one(path)?;
    let typed = form.fields.get("name").unwrap_or_default().trim();
    let name = match ProjectName::parse(typed) {
        Ok(name) => name,
        Err(e) => {
            let project = project_of(&state, session, &id).await?;
            return Ok(overview_page(session, &project, Some(&sentence(&e.0))).into_response());
        }
    };
    let change = ProjectChange {
        name: Some(name),
        external_key_id: None,
    };
    match state.store.modify_project(&session.org, &id, &change).await {
        Ok(project) => {
            let message = format!("Renamed the project to {}.", project.name);
            Ok(session.done(&state, message, &project_href(&id)).await)
        }
        Err(e) => {
            let message = refusal_of(e, &[Kind::Project])?;
            let project = project_of(&state, session, &id).await?;
            Ok(overview_page(session, &project, Some(&message)).into_response())
        }
    }
}

fn archive_confirmation(
    session: &SignedIn,
    project: &ProjectRecord,
    refusal: Option<&String>,
) -> Html {
    let href = project_href(&project.id);
    confirm_page(
        session,
        project,
        &format!("Archive {}?", project.name),
        html! {
            "The project " strong { (project.name) } " " code { (project.id) }
            " will be read-only: no members, service accounts, keys or groups can be changed \
             in it any more. Projects cannot be unarchived."
        },
        &format!("{href}/archive"),
        "Archive project",
        &href,
        refusal,
    )
}

async fn confirm_archive(
    State(state): State<AppState>,
    path: OnePath,
    session: SignedIn,
) -> Result<Html, ConsoleError> {
    let project = project_of(&state, &session, &one(path)?).await?;
    Ok(archive_confirmation(&session, &project, None))
}

async fn archive(
    State(state): State<AppState>,
    path: OnePath,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let session = &form.session;
    let id = one(path)?;
    match state.store.archive_project(&session.org, &id).await {
        Ok(project) => {
            let message = format!("Archived the project {}.", project.name);
            Ok(session.done(&state, message, &project_href(&id)).await)
        }
        Err(e) => {
            let message = refusal_of(e, &[Kind::Project])?;
            let project = project_of(&state, session, &id).await?;
            Ok(archive_confirmation(session, &project, Some(&message)).into_response())
        }
    }
}

/// The project role a form's `role` field names.
fn form_role(form: &SignedInForm) -> Result<ProjectRole, String> {
    form.fields
        .text("role")
        .and_then(ProjectRole::parse)
        .ok_or_else(|| "Choose a project role: member or owner.".to_owned())
}
