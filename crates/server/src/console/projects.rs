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
        .route(
            "/console/projects/{project_id}/members",
            page(get(members).post(add_member)),
        )
        .route(
            "/console/projects/{project_id}/members/{user_id}/role",
            page(post(change_member_role)),
        )
        .route(
            "/console/projects/{project_id}/members/{user_id}/remove",
            page(get(confirm_remove_member).post(remove_member)),
        )
        .route(
            "/console/projects/{project_id}/service-accounts",
            page(get(service_accounts).post(create_service_account)),
        )
        .route(
            "/console/projects/{project_id}/service-accounts/{account_id}/delete",
            page(get(confirm_delete_service_account).post(delete_service_account)),
        )
        .route(
            "/console/projects/{project_id}/api-keys",
            page(get(api_keys)),
        )
        .route(
            "/console/projects/{project_id}/api-keys/{key_id}/delete",
            page(get(confirm_delete_api_key).post(delete_api_key)),
        )
        .route(
            "/console/projects/{project_id}/groups",
            page(get(groups).post(add_group)),
        )
        .route(
            "/console/projects/{project_id}/groups/{group_id}/remove",
            page(get(confirm_remove_group).post(remove_group)),
        )
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

// ----- Members -----

fn member_label(member: &ProjectMember) -> &str {
    member
        .name
        .as_deref()
        .filter(|n| !n.is_empty())
        .or(member.email.as_deref())
        .unwrap_or(&member.user_id)
}

async fn members(
    State(state): State<AppState>,
    path: OnePath,
    session: SignedIn,
    QueryString(query): QueryString,
) -> Result<Html, ConsoleError> {
    let project = project_of(&state, &session, &one(path)?).await?;
    let after = query_value(query.as_deref(), "after");
    members_page(&state, &session, &project, after, None).await
}

async fn members_page(
    state: &AppState,
    session: &SignedIn,
    project: &ProjectRecord,
    after: Option<String>,
    refusal: Option<String>,
) -> Result<Html, ConsoleError> {
    let query = FirstQuery {
        limit: PAGE_SIZE,
        after: after.clone(),
    };
    let (found, list_refusal) = listed(
        state
            .store
            .list_project_users(&session.org, &project.id, &query)
            .await,
    )?;
    let refusal = refusal.or(list_refusal);
    let active = project.archived_at.is_none();
    let base = Tab::Members.href(&project.id);
    let content = html! {
        h2 { "Members" }
        @if let Some(found) = &found {
            @if found.items.is_empty() {
                (empty_page("No members on this page."))
            } @else {
                (data_table("Members", Some("Direct members of the project"), &["Name", "Email", "Project role", "Added"], active, html! {
                    @for member in &found.items {
                        @let href = format!("{base}/{}", encode(&member.user_id));
                        @let label = member_label(member);
                        tr {
                            td data-label="Name" { a href=(user_href(&member.user_id)) { (label) } }
                            td data-label="Email" { (member.email.as_deref().unwrap_or("—")) }
                            td data-label="Project role" {
                                @if active {
                                    @let field = format!("member-role-{}", member.user_id);
                                    form method="post" action=(format!("{href}/role")) class="inline-form" {
                                        (csrf::field(session))
                                        label for=(field) class="visually-hidden" { "Project role of " (label) }
                                        select id=(field) name="role" {
                                            option value="member" selected[member.role == ProjectRole::Member] { "Member" }
                                            option value="owner" selected[member.role == ProjectRole::Owner] { "Owner" }
                                        }
                                        button type="submit" class="button-secondary"
                                            aria-label=(format!("Change role of {label}")) { "Change role" }
                                    }
                                } @else {
                                    (member.role.as_str())
                                }
                            }
                            td data-label="Added" { (time(member.added_at)) }
                            @if active {
                                td data-label="Actions" {
                                    a href=(format!("{href}/remove"))
                                        aria-label=(format!("Remove {label} from the project")) { "Remove" }
                                }
                            }
                        }
                    }
                }))
            }
            @let ids: Vec<&str> = found.items.iter().map(|m| m.user_id.as_str()).collect();
            @let links = PageLinks::new(&ids, found.has_more, after.is_some(), false);
            (pagination(&base, &[], None, links.after.as_deref()))
            @if after.is_some() { p { a href=(base) { "Back to the first page" } } }
        }
        @if active {
            section aria-labelledby="add-member-heading" {
                h3 id="add-member-heading" { "Add a member" }
                form method="post" action=(base) class="inline-form" {
                    (csrf::field(session))
                    div class="field" {
                        label for="member-user" { "Email or user id" }
                        input id="member-user" name="user" type="text" required
                            autocomplete="off" spellcheck="false" aria-describedby="member-user-hint";
                    }
                    div class="field" {
                        label for="member-role" { "Project role" }
                        select id="member-role" name="role" {
                            option value="member" { "Member" }
                            option value="owner" { "Owner" }
                        }
                    }
                    button type="submit" { "Add member" }
                    p class="hint" id="member-user-hint" { "A user of the organization, by email (user@example.com) or id (user-…)." }
                }
            }
        }
    };
    Ok(project_page(
        session,
        project,
        Tab::Members,
        refusal.as_ref(),
        content,
    ))
}

/// The project role a form's `role` field names.
fn form_role(form: &SignedInForm) -> Result<ProjectRole, String> {
    form.fields
        .text("role")
        .and_then(ProjectRole::parse)
        .ok_or_else(|| "Choose a project role: member or owner.".to_owned())
}

/// Who the `user` field names: an email (it has an `@`) or a user id, as the API's `email` or
/// `user_id`.
fn member_target(form: &SignedInForm) -> Result<MemberTarget, String> {
    let Some(user) = form.fields.text("user") else {
        return Err("Give the user to add, by email or id.".to_owned());
    };
    if user.contains('@') {
        let email = EmailAddress::parse(user).map_err(|e| sentence(&e.0))?;
        Ok(MemberTarget {
            user_id: None,
            email: Some(email.folded().to_owned()),
        })
    } else {
        Ok(MemberTarget {
            user_id: Some(user.to_owned()),
            email: None,
        })
    }
}

async fn add_member(
    State(state): State<AppState>,
    path: OnePath,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let session = &form.session;
    let id = one(path)?;
    let parsed = member_target(&form).and_then(|t| Ok((t, form_role(&form)?)));
    let message = match parsed {
        Err(message) => message,
        Ok((target, role)) => {
            match state
                .store
                .add_project_user(&session.org, &id, &target, role)
                .await
            {
                Ok(member) => {
                    let message = format!(
                        "Added {} to the project as {}.",
                        member_label(&member),
                        member.role.as_str()
                    );
                    return Ok(session.done(&state, message, &Tab::Members.href(&id)).await);
                }
                Err(e) => refusal_of(e, &[Kind::Project])?,
            }
        }
    };
    let project = project_of(&state, session, &id).await?;
    Ok(members_page(&state, session, &project, None, Some(message))
        .await?
        .into_response())
}

async fn change_member_role(
    State(state): State<AppState>,
    path: TwoPath,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let session = &form.session;
    let (id, user) = two(path)?;
    let message = match form_role(&form) {
        Err(message) => message,
        Ok(role) => match state
            .store
            .modify_project_user(&session.org, &id, &user, role)
            .await
        {
            Ok(member) => {
                let message = format!(
                    "{} is now {} of the project.",
                    member_label(&member),
                    member.role.as_str()
                );
                return Ok(session.done(&state, message, &Tab::Members.href(&id)).await);
            }
            Err(e) => refusal_of(e, &[Kind::Project, Kind::User])?,
        },
    };
    let project = project_of(&state, session, &id).await?;
    Ok(members_page(&state, session, &project, None, Some(message))
        .await?
        .into_response())
}

async fn member_of(
    state: &AppState,
    session: &SignedIn,
    project: &ProjectId,
    user: &str,
) -> Result<ProjectMember, ConsoleError> {
    match state
        .store
        .get_project_user(&session.org, project, user)
        .await
    {
        Ok(member) => Ok(member),
        Err(e) => Err(ConsoleError::of_lookup(e, &[Kind::Project, Kind::User])),
    }
}

fn remove_member_confirmation(
    session: &SignedIn,
    project: &ProjectRecord,
    member: &ProjectMember,
    refusal: Option<&String>,
) -> Html {
    let href = format!(
        "{}/{}/remove",
        Tab::Members.href(&project.id),
        encode(&member.user_id)
    );
    confirm_page(
        session,
        project,
        &format!("Remove {} from {}?", member_label(member), project.name),
        html! {
            strong { (member_label(member)) }
            @if let Some(email) = &member.email { " (" (email) ")" }
            " will no longer be a direct member of the project " strong { (project.name) } "."
        },
        &href,
        "Remove member",
        &Tab::Members.href(&project.id),
        refusal,
    )
}

async fn confirm_remove_member(
    State(state): State<AppState>,
    path: TwoPath,
    session: SignedIn,
) -> Result<Html, ConsoleError> {
    let (id, user) = two(path)?;
    let project = project_of(&state, &session, &id).await?;
    let member = member_of(&state, &session, &id, &user).await?;
    Ok(remove_member_confirmation(
        &session, &project, &member, None,
    ))
}

async fn remove_member(
    State(state): State<AppState>,
    path: TwoPath,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let session = &form.session;
    let (id, user) = two(path)?;
    let project = project_of(&state, session, &id).await?;
    let member = member_of(&state, session, &id, &user).await?;
    let done = state
        .store
        .remove_project_user(&session.org, &id, &user)
        .await;
    let message = format!(
        "Removed {} from the project {}.",
        member_label(&member),
        project.name
    );
    confirmed(
        &state,
        session,
        done,
        &[Kind::Project, Kind::User],
        message,
        &Tab::Members.href(&id),
        |refusal| remove_member_confirmation(session, &project, &member, refusal),
    )
    .await
}

// ----- Service accounts -----

async fn service_accounts(
    State(state): State<AppState>,
    path: OnePath,
    session: SignedIn,
    QueryString(query): QueryString,
) -> Result<Html, ConsoleError> {
    let project = project_of(&state, &session, &one(path)?).await?;
    let after = query_value(query.as_deref(), "after");
    service_accounts_page(&state, &session, &project, after, None, "").await
}

async fn service_accounts_page(
    state: &AppState,
    session: &SignedIn,
    project: &ProjectRecord,
    after: Option<String>,
    refusal: Option<String>,
    typed_name: &str,
) -> Result<Html, ConsoleError> {
    let query = FirstQuery {
        limit: PAGE_SIZE,
        after: after.clone(),
    };
    let (found, list_refusal) = listed(
        state
            .store
            .list_service_accounts(&session.org, &project.id, &query)
            .await,
    )?;
    let refusal = refusal.or(list_refusal);
    let active = project.archived_at.is_none();
    let base = Tab::ServiceAccounts.href(&project.id);
    let content = html! {
        h2 { "Service accounts" }
        @if let Some(found) = &found {
            @if found.items.is_empty() {
                (empty_page("No service accounts on this page."))
            } @else {
                (data_table("Service accounts", Some("Service accounts of the project"), &["Name", "Id", "Role", "Created"], active, html! {
                    @for account in &found.items {
                        (account_row(&base, account, active))
                    }
                }))
            }
            @let ids: Vec<&str> = found.items.iter().map(|a| a.id.as_str()).collect();
            @let links = PageLinks::new(&ids, found.has_more, after.is_some(), false);
            (pagination(&base, &[], None, links.after.as_deref()))
            @if after.is_some() { p { a href=(base) { "Back to the first page" } } }
        }
        @if active {
            section aria-labelledby="create-account-heading" {
                h3 id="create-account-heading" { "Create a service account" }
                form method="post" action=(base) class="inline-form" {
                    (csrf::field(session))
                    div class="field" {
                        label for="account-name" { "Name" }
                        input id="account-name" name="name" type="text" required
                            value=(typed_name);
                    }
                    button type="submit" { "Create service account" }
                    p class="hint" { "The account gets the role member and an API key, whose value is shown once." }
                }
            }
        }
    };
    Ok(project_page(
        session,
        project,
        Tab::ServiceAccounts,
        refusal.as_ref(),
        content,
    ))
}

fn account_row(base: &str, account: &ServiceAccountRecord, active: bool) -> Markup {
    html! {
        tr {
            td data-label="Name" { (account.name) }
            td data-label="Id" { code { (account.id) } }
            td data-label="Role" { (account.role.as_str()) }
            td data-label="Created" { (time(account.created_at)) }
            @if active {
                td data-label="Actions" {
                    a href=(format!("{base}/{}/delete", encode(account.id.as_str())))
                        aria-label=(format!("Delete the service account {}", account.name)) { "Delete" }
                }
            }
        }
    }
}

async fn create_service_account(
    State(state): State<AppState>,
    path: OnePath,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let session = &form.session;
    let id = one(path)?;
    let typed = form.fields.get("name").unwrap_or_default().trim();
    let message = match ServiceAccountName::parse(typed) {
        Err(e) => sentence(&e.0),
        Ok(name) => {
            let new = NewServiceAccount {
                name,
                without_key: false,
            };
            match state
                .store
                .create_service_account(&session.org, &id, &new)
                .await
            {
                Ok(created) => {
                    let project = project_of(&state, session, &id).await?;
                    return Ok(created_page(
                        session,
                        &project,
                        &created.account,
                        created.key.as_ref(),
                    ));
                }
                Err(e) => refusal_of(e, &[Kind::Project])?,
            }
        }
    };
    let project = project_of(&state, session, &id).await?;
    Ok(
        service_accounts_page(&state, session, &project, None, Some(message), typed)
            .await?
            .into_response(),
    )
}

/// The answer to the form that made a service account: its key's value, once.
fn created_page(
    session: &SignedIn,
    project: &ProjectRecord,
    account: &ServiceAccountRecord,
    key: Option<&orgusers_store::project_keys::NewKey>,
) -> Response {
    let base = Tab::ServiceAccounts.href(&project.id);
    let content = html! {
        p class="breadcrumb" {
            a href="/console/projects" { "Projects" } " / "
            a href=(project_href(&project.id)) { (project.name) } " / "
            a href=(base) { "Service accounts" }
        }
        h1 { "Service account created" }
        div class="flash flash-status" role="status" {
            "Created the service account " strong { (account.name) } " " code { (account.id) }
            " in the project " (project.name) "."
        }
        @if let Some(key) = key {
            p { strong { "Copy the API key now: it is shown only once." } }
            div class="secret" {
                label for="new-key-value" { "API key of " (account.name) }
                input id="new-key-value" type="text" readonly value=(key.secret.reveal())
                    autocomplete="off" spellcheck="false" data-select-on-focus;
                button type="button" class="button-secondary" data-copy="new-key-value" hidden {
                    "Copy to clipboard"
                }
            }
            dl class="details" {
                dt { "Key" } dd { (key.name.as_str()) " " code { (key.id) } }
            }
        }
        p { a href=(base) { "Back to the service accounts" } }
    };
    let mut response = Html(
        StatusCode::OK,
        session.page(Section::Projects, "Service account created", content),
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn account_of(
    state: &AppState,
    session: &SignedIn,
    project: &ProjectId,
    id: &ServiceAccountId,
) -> Result<ServiceAccountRecord, ConsoleError> {
    match state
        .store
        .get_service_account(&session.org, project, id)
        .await
    {
        Ok(account) => Ok(account),
        Err(e) => Err(ConsoleError::of_lookup(
            e,
            &[Kind::Project, Kind::ServiceAccount],
        )),
    }
}

fn delete_account_confirmation(
    session: &SignedIn,
    project: &ProjectRecord,
    account: &ServiceAccountRecord,
    refusal: Option<&String>,
) -> Html {
    let base = Tab::ServiceAccounts.href(&project.id);
    confirm_page(
        session,
        project,
        &format!("Delete the service account {}?", account.name),
        html! {
            "The service account " strong { (account.name) } " " code { (account.id) }
            " and its API keys will be deleted: the keys open nothing from now on. \
             This cannot be undone."
        },
        &format!("{base}/{}/delete", encode(account.id.as_str())),
        "Delete service account",
        &base,
        refusal,
    )
}

async fn confirm_delete_service_account(
    State(state): State<AppState>,
    path: TwoPath,
    session: SignedIn,
) -> Result<Html, ConsoleError> {
    let (id, account) = two(path)?;
    let project = project_of(&state, &session, &id).await?;
    let account = account_of(
        &state,
        &session,
        &id,
        &ServiceAccountId::from_request(&account),
    )
    .await?;
    Ok(delete_account_confirmation(
        &session, &project, &account, None,
    ))
}

async fn delete_service_account(
    State(state): State<AppState>,
    path: TwoPath,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let session = &form.session;
    let (id, account) = two(path)?;
    let project = project_of(&state, session, &id).await?;
    let account = account_of(
        &state,
        session,
        &id,
        &ServiceAccountId::from_request(&account),
    )
    .await?;
    let done = state
        .store
        .delete_service_account(&session.org, &id, &account.id)
        .await;
    let message = format!("Deleted the service account {}.", account.name);
    confirmed(
        &state,
        session,
        done,
        &[Kind::Project, Kind::ServiceAccount],
        message,
        &Tab::ServiceAccounts.href(&id),
        |refusal| delete_account_confirmation(session, &project, &account, refusal),
    )
    .await
}

// ----- API keys -----

/// Who owns a key, for the page: a user (linked) or a service account of the project.
fn owner_cell(owner: &KeyOwner) -> Markup {
    match owner {
        KeyOwner::User {
            id, name, email, ..
        } => {
            let label = name
                .as_deref()
                .filter(|n| !n.is_empty())
                .or(email.as_deref())
                .unwrap_or(id);
            html! { "user " a href=(user_href(id)) { (label) } }
        }
        KeyOwner::ServiceAccount { id, name, .. } => {
            html! { "service account " (name) " " code { (id) } }
        }
    }
}

fn key_owner_label(owner: &KeyOwner) -> String {
    match owner {
        KeyOwner::User {
            id, name, email, ..
        } => name
            .as_deref()
            .filter(|n| !n.is_empty())
            .or(email.as_deref())
            .unwrap_or(id)
            .to_owned(),
        KeyOwner::ServiceAccount { name, .. } => name.clone(),
    }
}

async fn api_keys(
    State(state): State<AppState>,
    path: OnePath,
    session: SignedIn,
    QueryString(query): QueryString,
) -> Result<Html, ConsoleError> {
    let project = project_of(&state, &session, &one(path)?).await?;
    let after = query_value(query.as_deref(), "after");
    let query = FirstQuery {
        limit: PAGE_SIZE,
        after: after.clone(),
    };
    let (found, refusal) = listed(
        state
            .store
            .list_project_keys(&session.org, &project.id, &query, None)
            .await,
    )?;
    let active = project.archived_at.is_none();
    let base = Tab::ApiKeys.href(&project.id);
    let content = html! {
        h2 { "API keys" }
        @if let Some(found) = &found {
            @if found.items.is_empty() {
                (empty_page("No API keys on this page."))
            } @else {
                (data_table("API keys", Some("API keys of the project"), &["Name", "Value", "Owner", "Owner access", "Created", "Last used"], active, html! {
                    @for key in &found.items {
                        (key_row(&base, key, active))
                    }
                }))
            }
            @let ids: Vec<&str> = found.items.iter().map(|k| k.id.as_str()).collect();
            @let links = PageLinks::new(&ids, found.has_more, after.is_some(), false);
            (pagination(&base, &[], None, links.after.as_deref()))
            @if after.is_some() { p { a href=(base) { "Back to the first page" } } }
        }
        p class="hint" { "Keys are made with their service account, on the Service accounts tab." }
    };
    Ok(project_page(
        &session,
        &project,
        Tab::ApiKeys,
        refusal.as_ref(),
        content,
    ))
}

fn key_row(base: &str, key: &ProjectKeyRecord, active: bool) -> Markup {
    html! {
        tr {
            td data-label="Name" { (key.name) " " code { (key.id) } }
            td data-label="Value" { code { (key.redacted_value) } }
            td data-label="Owner" { (owner_cell(&key.owner)) }
            td data-label="Owner access" { (OwnerAccess::of(&key.owner).as_str()) }
            td data-label="Created" { (time(key.created_at)) }
            td data-label="Last used" {
                @match key.last_used_at { Some(at) => (time(at)), None => "never" }
            }
            @if active {
                td data-label="Actions" {
                    a href=(format!("{base}/{}/delete", encode(key.id.as_str())))
                        aria-label=(format!("Delete the API key {} of {}", key.name, key_owner_label(&key.owner))) { "Delete" }
                }
            }
        }
    }
}

async fn key_of(
    state: &AppState,
    session: &SignedIn,
    project: &ProjectId,
    id: &ApiKeyId,
) -> Result<ProjectKeyRecord, ConsoleError> {
    match state.store.get_project_key(&session.org, project, id).await {
        Ok(key) => Ok(key),
        Err(e) => Err(ConsoleError::of_lookup(e, &[Kind::Project, Kind::ApiKey])),
    }
}

fn delete_key_confirmation(
    session: &SignedIn,
    project: &ProjectRecord,
    key: &ProjectKeyRecord,
    refusal: Option<&String>,
) -> Html {
    let base = Tab::ApiKeys.href(&project.id);
    confirm_page(
        session,
        project,
        &format!("Delete the API key {}?", key.name),
        html! {
            "The key " strong { (key.name) } " " code { (key.id) } " (" code { (key.redacted_value) } ") of "
            (key_owner_label(&key.owner))
            " will open nothing from now on. This cannot be undone."
        },
        &format!("{base}/{}/delete", encode(key.id.as_str())),
        "Delete API key",
        &base,
        refusal,
    )
}

async fn confirm_delete_api_key(
    State(state): State<AppState>,
    path: TwoPath,
    session: SignedIn,
) -> Result<Html, ConsoleError> {
    let (id, key) = two(path)?;
    let project = project_of(&state, &session, &id).await?;
    let key = key_of(&state, &session, &id, &ApiKeyId::from_request(&key)).await?;
    Ok(delete_key_confirmation(&session, &project, &key, None))
}

async fn delete_api_key(
    State(state): State<AppState>,
    path: TwoPath,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let session = &form.session;
    let (id, key) = two(path)?;
    let project = project_of(&state, session, &id).await?;
    let key = key_of(&state, session, &id, &ApiKeyId::from_request(&key)).await?;
    let done = state
        .store
        .delete_project_key(&session.org, &id, &key.id)
        .await;
    let message = format!("Deleted the API key {} ({}).", key.name, key.id);
    confirmed(
        &state,
        session,
        done,
        &[Kind::Project, Kind::ApiKey],
        message,
        &Tab::ApiKeys.href(&id),
        |refusal| delete_key_confirmation(session, &project, &key, refusal),
    )
    .await
}

// ----- Groups with access -----

async fn groups(
    State(state): State<AppState>,
    path: OnePath,
    session: SignedIn,
    QueryString(query): QueryString,
) -> Result<Html, ConsoleError> {
    let project = project_of(&state, &session, &one(path)?).await?;
    let after = query_value(query.as_deref(), "after");
    groups_page(&state, &session, &project, after, None).await
}

/// The scope of a project's groups' cursors: the API's, so that a cursor is one list's only.
fn groups_scope<'a>(session: &'a SignedIn, project: &'a ProjectRecord) -> ListScope<'a> {
    ListScope {
        list: "project.groups",
        org: &session.org,
        parent: project.id.as_str(),
    }
}

async fn groups_page(
    state: &AppState,
    session: &SignedIn,
    project: &ProjectRecord,
    after: Option<String>,
    refusal: Option<String>,
) -> Result<Html, ConsoleError> {
    let scope = groups_scope(session, project);
    let key = state.store.cursor_key();
    let start = match &after {
        None => Ok(None),
        Some(cursor) => key.check(&scope, cursor).map(Some),
    };
    let (found, list_refusal) = match start {
        Err(_) => (
            None,
            Some(
                "That page of the list is no longer available: start again from the first page."
                    .to_owned(),
            ),
        ),
        Ok(start) => {
            let query = NextQuery {
                limit: PAGE_SIZE,
                order: SortOrder::Asc,
                after: start,
            };
            listed(
                state
                    .store
                    .list_project_groups(&session.org, &project.id, &query)
                    .await,
            )?
        }
    };
    let refusal = refusal.or(list_refusal);
    let active = project.archived_at.is_none();
    let offered = if active {
        let query = NextQuery {
            limit: GROUPS_SHOWN,
            order: SortOrder::Asc,
            after: None,
        };
        Some(state.store.list_groups(&session.org, &query).await?)
    } else {
        None
    };
    let base = Tab::Groups.href(&project.id);
    let content = html! {
        h2 { "Groups with access" }
        @if let Some(found) = &found {
            @if found.items.is_empty() {
                (empty_page("No groups on this page."))
            } @else {
                (data_table("Groups with access", Some("Groups with access to the project"), &["Group", "Id", "Project role", "Granted"], active, html! {
                    @for grant in &found.items {
                        (grant_row(&base, grant, active))
                    }
                }))
            }
            @let next = found.next.as_ref().map(|p| key.issue(&scope, p));
            (pagination(&base, &[], None, next.as_deref()))
            @if after.is_some() { p { a href=(base) { "Back to the first page" } } }
        }
        @if let Some(offered) = &offered {
            (grant_form(session, &base, &offered.items, offered.has_more))
        }
    };
    Ok(project_page(
        session,
        project,
        Tab::Groups,
        refusal.as_ref(),
        content,
    ))
}

fn grant_row(base: &str, grant: &ProjectGroupRecord, active: bool) -> Markup {
    html! {
        tr {
            td data-label="Group" { (grant.group_name) }
            td data-label="Id" { code { (grant.group_id) } }
            td data-label="Project role" { (grant.role.as_str()) }
            td data-label="Granted" { (time(grant.created_at)) }
            @if active {
                td data-label="Actions" {
                    a href=(format!("{base}/{}/remove", encode(grant.group_id.as_str())))
                        aria-label=(format!("Remove the access of {}", grant.group_name)) { "Remove" }
                }
            }
        }
    }
}

fn grant_form(session: &SignedIn, base: &str, groups: &[GroupRecord], more: bool) -> Markup {
    html! {
        section aria-labelledby="add-group-heading" {
            h3 id="add-group-heading" { "Give a group access" }
            @if groups.is_empty() {
                (empty_note("The organization has no groups."))
            } @else {
                form method="post" action=(base) class="inline-form" {
                    (csrf::field(session))
                    div class="field" {
                        label for="grant-group" { "Group" }
                        select id="grant-group" name="group" required {
                            @for group in groups {
                                option value=(group.id) { (group.name) }
                            }
                        }
                    }
                    div class="field" {
                        label for="grant-role" { "Project role" }
                        select id="grant-role" name="role" {
                            option value="member" { "Member" }
                            option value="owner" { "Owner" }
                        }
                    }
                    button type="submit" { "Give access" }
                    @if more {
                        p class="hint" { "Only the first " (GROUPS_SHOWN) " groups are offered here." }
                    }
                }
            }
        }
    }
}

async fn add_group(
    State(state): State<AppState>,
    path: OnePath,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let session = &form.session;
    let id = one(path)?;
    let group = form.fields.text("group").map(GroupId::from_request);
    let message = match (group, form_role(&form)) {
        (None, _) => "Choose a group.".to_owned(),
        (_, Err(message)) => message,
        (Some(group), Ok(role)) => {
            // The API names the role by its id: the project's predefined role.
            let role_id = role.role_id(&id);
            match state
                .store
                .add_project_group(&session.org, &id, &group, &role_id)
                .await
            {
                Ok(grant) => {
                    let message = format!(
                        "The group {} has access to the project as {}.",
                        grant.group_name,
                        grant.role.as_str()
                    );
                    return Ok(session.done(&state, message, &Tab::Groups.href(&id)).await);
                }
                Err(e) => refusal_of(e, &[Kind::Project])?,
            }
        }
    };
    let project = project_of(&state, session, &id).await?;
    Ok(groups_page(&state, session, &project, None, Some(message))
        .await?
        .into_response())
}

async fn grant_of(
    state: &AppState,
    session: &SignedIn,
    project: &ProjectId,
    group: &GroupId,
) -> Result<ProjectGroupRecord, ConsoleError> {
    match state
        .store
        .get_project_group(&session.org, project, group)
        .await
    {
        Ok(grant) => Ok(grant),
        Err(e) => Err(ConsoleError::of_lookup(e, &[Kind::Project, Kind::Group])),
    }
}

fn remove_group_confirmation(
    session: &SignedIn,
    project: &ProjectRecord,
    grant: &ProjectGroupRecord,
    refusal: Option<&String>,
) -> Html {
    let base = Tab::Groups.href(&project.id);
    confirm_page(
        session,
        project,
        &format!("Remove the access of {}?", grant.group_name),
        html! {
            "The members of the group " strong { (grant.group_name) } " " code { (grant.group_id) }
            " will no longer have access to the project " strong { (project.name) }
            " through it."
        },
        &format!("{base}/{}/remove", encode(grant.group_id.as_str())),
        "Remove access",
        &base,
        refusal,
    )
}

async fn confirm_remove_group(
    State(state): State<AppState>,
    path: TwoPath,
    session: SignedIn,
) -> Result<Html, ConsoleError> {
    let (id, group) = two(path)?;
    let project = project_of(&state, &session, &id).await?;
    let grant = grant_of(&state, &session, &id, &GroupId::from_request(&group)).await?;
    Ok(remove_group_confirmation(&session, &project, &grant, None))
}

async fn remove_group(
    State(state): State<AppState>,
    path: TwoPath,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let session = &form.session;
    let (id, group) = two(path)?;
    let project = project_of(&state, session, &id).await?;
    let grant = grant_of(&state, session, &id, &GroupId::from_request(&group)).await?;
    let done = state
        .store
        .remove_project_group(&session.org, &id, &grant.group_id)
        .await;
    let message = format!(
        "Removed the access of the group {} to the project.",
        grant.group_name
    );
    confirmed(
        &state,
        session,
        done,
        &[Kind::Project, Kind::Group],
        message,
        &Tab::Groups.href(&id),
        |refusal| remove_group_confirmation(session, &project, &grant, refusal),
    )
    .await
}
