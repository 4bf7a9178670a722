//! Invites: the organization's invites, through the same store calls as
//! `/v1/organization/invites` (list, create, delete), and, where the control endpoints are
//! served, their acceptance as `POST /_orgusers/invites/{invite_id}/accept` does it.
//!
//! The create form lists the organization's active projects (up to [`PROJECTS_SHOWN`]), each
//! with a select `project_<id>` of `""` (not granted), `member` or `owner`; the Default project
//! starts as `member`, which is what the API grants when `projects` is left out. The form
//! always sends its list, so the invite grants exactly what the form shows.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use orgusers_store::ids::{InviteId, ProjectId};
use orgusers_store::invites::{InviteGrant, InviteProjects, InviteRecord, InviteStatus, NewInvite};
use orgusers_store::page::FirstQuery;
use orgusers_store::projects::{ProjectRecord, ProjectRole};
use orgusers_store::{EmailAddress, Kind, Role};

use super::listing::query_value;
use super::widgets::{Confirmation, data_table, empty_page};
use super::{
    ConsoleError, Html, PageLinks, PathOf, Section, SignedIn, SignedInForm, alert, csrf, found,
    listed, page, pagination, refusal_of, segments, time,
};
use crate::AppState;
use crate::extract::QueryString;

/// Invites per page of the list.
const PAGE_SIZE: usize = 25;

/// Active projects the create form offers.
pub(super) const PROJECTS_SHOWN: usize = 100;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/invites", page(get(list).post(create)))
        .route(
            "/console/invites/{invite_id}/delete",
            page(get(confirm_delete).post(delete)),
        )
        .route("/console/invites/{invite_id}/accept", page(post(accept)))
}

fn invite_href(id: &str, action: &str) -> String {
    let encoded: String = form_urlencoded::byte_serialize(id.as_bytes()).collect();
    format!("/console/invites/{encoded}/{action}")
}

/// The form field of a project's grant.
fn project_field(id: &ProjectId) -> String {
    format!("project_{id}")
}

/// What the create form shows again after a refusal.
#[derive(Default)]
struct CreateForm {
    email: String,
    role: Option<Role>,
    /// `(project id, role chosen)`, for the projects the form sent.
    grants: Option<SentGrants>,
}

async fn list(
    State(state): State<AppState>,
    session: SignedIn,
    QueryString(query): QueryString,
) -> Result<Html, ConsoleError> {
    let after = query_value(query.as_deref(), "after");
    list_page(
        &state,
        &session,
        after,
        StatusCode::OK,
        None,
        CreateForm::default(),
    )
    .await
}

/// The list page: a page of invites after `after`, the create form, and `refusal` above it.
async fn list_page(
    state: &AppState,
    session: &SignedIn,
    after: Option<String>,
    status: StatusCode,
    refusal: Option<String>,
    form: CreateForm,
) -> Result<Html, ConsoleError> {
    let query = FirstQuery {
        limit: PAGE_SIZE,
        after: after.clone(),
    };
    let (invites, list_refusal) = listed(state.store.list_invites(&session.org, &query).await)?;
    let projects = state
        .store
        .list_projects(
            &session.org,
            &FirstQuery {
                limit: PROJECTS_SHOWN,
                after: None,
            },
            false,
        )
        .await?;
    let status = if list_refusal.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        status
    };
    let content = html! {
        h1 { "Invites" }
        @if let Some(message) = refusal.as_ref().or(list_refusal.as_ref()) {
            (alert(message))
        }
        @if let Some(invites) = &invites {
            @if invites.items.is_empty() {
                (empty_page(if after.is_some() { "No invites on this page." } else { "No invites yet." }))
            } @else {
                (data_table("Invites", Some("Invites to the organization"), &["Email", "Role", "Status", "Invited", "Expires", "Projects"], true, html! {
                    @for invite in &invites.items {
                        (invite_row(session, invite))
                    }
                }))
            }
            @let ids: Vec<&str> = invites.items.iter().map(|i| i.id.as_str()).collect();
            @let links = PageLinks::new(&ids, invites.has_more, after.is_some(), false);
            (pagination("/console/invites", &[], None, links.after.as_deref()))
            @if after.is_some() {
                p { a href="/console/invites" { "Back to the first page" } }
            }
        }
        (create_form(session, &projects.items, projects.has_more, &form))
    };
    Ok(Html(
        status,
        session.page(Section::Invites, "Invites", content),
    ))
}

fn invite_row(session: &SignedIn, invite: &InviteRecord) -> Markup {
    let pending = invite.status == InviteStatus::Pending;
    html! {
        tr {
            td data-label="Email" { (invite.email) " " code class="visually-hidden" { (invite.id) } }
            td data-label="Role" { (invite.role.as_str()) }
            td data-label="Status" { (invite.status.as_str()) }
            td data-label="Invited" { (time(invite.created_at)) }
            td data-label="Expires" { (time(invite.expires_at)) }
            td data-label="Projects" {
                @if invite.projects.is_empty() {
                    "—"
                } @else {
                    @for (i, grant) in invite.projects.iter().enumerate() {
                        @if i > 0 { ", " }
                        code { (grant.project_id) } " (" (grant.role.as_str()) ")"
                    }
                }
            }
            td data-label="Actions" {
                @if session.control && pending {
                    @let field = format!("accept-name-{}", invite.id);
                    form method="post" action=(invite_href(invite.id.as_str(), "accept"))
                        class="inline-form" {
                        (csrf::field(session))
                        div class="field" {
                            label for=(field) { "Name (optional)" }
                            input id=(field) name="name" type="text" maxlength="256";
                        }
                        button type="submit" aria-label=(format!("Accept the invite of {}", invite.email)) {
                            "Accept"
                        }
                    }
                }
                @if invite.status != InviteStatus::Accepted {
                    a href=(invite_href(invite.id.as_str(), "delete"))
                        aria-label=(format!("Delete the invite of {}", invite.email)) { "Delete" }
                }
            }
        }
    }
}

fn create_form(
    session: &SignedIn,
    projects: &[ProjectRecord],
    more_projects: bool,
    form: &CreateForm,
) -> Markup {
    // The role each project shows: as sent, else member for the Default project only.
    let chosen = |project: &ProjectRecord| -> String {
        match &form.grants {
            Some(grants) => grants
                .iter()
                .find(|(id, _)| id == project.id.as_str())
                .map(|(_, role)| role.clone())
                .unwrap_or_default(),
            None if project.is_default => "member".to_owned(),
            None => String::new(),
        }
    };
    html! {
        section aria-labelledby="create-heading" {
            h2 id="create-heading" { "Invite someone" }
            form method="post" action="/console/invites" class="stack" {
                (csrf::field(session))
                div class="field" {
                    label for="invite-email" { "Email" }
                    input id="invite-email" name="email" type="email" required maxlength="320"
                        autocomplete="off" value=(form.email);
                }
                div class="field" {
                    label for="invite-role" { "Organization role" }
                    select id="invite-role" name="role" {
                        option value="reader" selected[form.role != Some(Role::Owner)] { "Reader" }
                        option value="owner" selected[form.role == Some(Role::Owner)] { "Owner" }
                    }
                }
                @let offered: Vec<&str> = projects.iter().map(|p| p.id.as_str()).collect();
                input type="hidden" name="offered" value=(offered.join(" "));
                fieldset {
                    legend { "Projects" }
                    @if projects.is_empty() {
                        p class="hint" { "The organization has no active projects." }
                    }
                    @for project in projects {
                        @let id = format!("invite-project-{}", project.id);
                        @let role = chosen(project);
                        div class="field" {
                            label for=(id) { (project.name) }
                            select id=(id) name=(project_field(&project.id)) {
                                option value="" selected[role.is_empty()] { "Not a member" }
                                option value="member" selected[role == "member"] { "Member" }
                                option value="owner" selected[role == "owner"] { "Owner" }
                            }
                        }
                    }
                    @if more_projects {
                        p class="hint" {
                            "Only the first " (PROJECTS_SHOWN) " active projects are offered here."
                        }
                    }
                    p class="hint" { "The projects the invited user joins on acceptance, with their role there." }
                }
                button type="submit" { "Send invite" }
            }
        }
    }
}

/// `(project id, role)` as a form sent them, `""` for none.
type SentGrants = Vec<(String, String)>;

/// The grants the form asks for: the `project_<id>` field with a role of each project the form
/// offered (its hidden field `offered`, the ids separated by spaces), in form order.
fn grants(form: &SignedInForm) -> Result<(Vec<InviteGrant>, SentGrants), String> {
    let mut grants = Vec::new();
    let mut sent = Vec::new();
    let offered = form.fields.get("offered").unwrap_or_default();
    for id in offered.split_ascii_whitespace() {
        let value = form
            .fields
            .get(&format!("project_{id}"))
            .unwrap_or_default()
            .trim();
        sent.push((id.to_owned(), value.to_owned()));
        if value.is_empty() {
            continue;
        }
        let role = ProjectRole::parse(value)
            .ok_or_else(|| format!("Choose a role for project {id}: member or owner."))?;
        grants.push(InviteGrant {
            project_id: ProjectId::from_request(id),
            role,
        });
    }
    Ok((grants, sent))
}

async fn create(
    State(state): State<AppState>,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let session = &form.session;
    let role = form.fields.text("role").and_then(Role::parse);
    let mut typed = CreateForm {
        email: form
            .fields
            .get("email")
            .unwrap_or_default()
            .trim()
            .to_owned(),
        role,
        grants: None,
    };
    let refuse = |message: String, typed: CreateForm| {
        list_page(
            &state,
            session,
            None,
            StatusCode::BAD_REQUEST,
            Some(message),
            typed,
        )
    };
    let (grants, sent) = match grants(&form) {
        Ok(grants) => grants,
        Err(message) => return Ok(refuse(message, typed).await?.into_response()),
    };
    typed.grants = Some(sent);
    let email = match EmailAddress::parse(&typed.email) {
        Ok(email) => email,
        Err(_) if typed.email.is_empty() => {
            return Ok(refuse("Give the email to invite.".to_owned(), typed)
                .await?
                .into_response());
        }
        Err(e) => {
            return Ok(refuse(format!("The email: {e}."), typed)
                .await?
                .into_response());
        }
    };
    let Some(role) = role else {
        return Ok(refuse("Choose a role: owner or reader.".to_owned(), typed)
            .await?
            .into_response());
    };
    let projects = match InviteProjects::listed(grants) {
        Ok(projects) => projects,
        Err((_, why)) => return Ok(refuse(format!("{why}."), typed).await?.into_response()),
    };
    let new = NewInvite {
        email,
        role,
        projects,
    };
    match state.store.create_invite(&session.org, &new).await {
        Ok(invite) => {
            let message = format!("Invited {} as {}.", invite.email, invite.role.as_str());
            Ok(session.done(&state, message, "/console/invites").await)
        }
        Err(e) => Ok(refuse(refusal_of(e, &[])?, typed).await?.into_response()),
    }
}

type InvitePath = PathOf<String>;

async fn invite_of(
    state: &AppState,
    session: &SignedIn,
    path: InvitePath,
) -> Result<InviteRecord, ConsoleError> {
    let id = segments(path)?;
    found(
        state
            .store
            .get_invite(&session.org, &InviteId::from_request(&id))
            .await,
        Kind::Invite,
    )
}

fn delete_page(session: &SignedIn, invite: &InviteRecord, refusal: Option<&str>) -> Html {
    Confirmation {
        section: Section::Invites,
        title: &format!("Delete the invite of {} · Invites", invite.email),
        breadcrumb: html! { a href="/console/invites" { "Invites" } },
        question: html! { "Delete the invite of " (invite.email) "?" },
        refusal,
        text: html! {
            "The invite " code { (invite.id) } " of " strong { (invite.email) }
            " (" (invite.role.as_str()) ", " (invite.status.as_str()) ") "
            "can no longer be accepted. This cannot be undone."
        },
        warning: None,
        action: &invite_href(invite.id.as_str(), "delete"),
        data_confirm: None,
        button: "Delete invite",
        cancel: "/console/invites",
    }
    .page(session)
}

async fn confirm_delete(
    State(state): State<AppState>,
    path: InvitePath,
    session: SignedIn,
) -> Result<Html, ConsoleError> {
    let invite = invite_of(&state, &session, path).await?;
    Ok(delete_page(&session, &invite, None))
}

async fn delete(
    State(state): State<AppState>,
    path: InvitePath,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let session = &form.session;
    let invite = invite_of(&state, session, path).await?;
    match state.store.delete_invite(&session.org, &invite.id).await {
        Ok(()) => {
            let message = format!("Deleted the invite of {}.", invite.email);
            Ok(session.done(&state, message, "/console/invites").await)
        }
        Err(e) => {
            let message = refusal_of(e, &[Kind::Invite])?;
            Ok(delete_page(session, &invite, Some(&message)).into_response())
        }
    }
}

/// Accepts a pending invite as the control endpoint does (the same store call), then shows
/// the new user's page. Without the control endpoints there is no such page.
async fn accept(
    State(state): State<AppState>,
    path: InvitePath,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let session = &form.session;
    if !state.control {
        return Err(ConsoleError::NotFound);
    }
    let invite = invite_of(&state, session, path).await?;
    let name = form.fields.text("name").map(str::to_owned);
    match state
        .store
        .accept_invite(&session.org, &invite.id, name)
        .await
    {
        Ok(user) => {
            let message = format!(
                "Accepted the invite of {}: the user {} joined the organization.",
                invite.email, user.id
            );
            let encoded: String = form_urlencoded::byte_serialize(user.id.as_bytes()).collect();
            Ok(session
                .done(&state, message, &format!("/console/people/{encoded}"))
                .await)
        }
        Err(e) => Ok(list_page(
            &state,
            session,
            None,
            StatusCode::BAD_REQUEST,
            Some(refusal_of(e, &[Kind::Invite])?),
            CreateForm::default(),
        )
        .await?
        .into_response()),
    }
}
