//! A project's groups tab: grant a group access with a role, and remove it after a
//! confirmation.

use super::*;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/console/projects/{project_id}/groups",
            page(get(groups).post(add_group)),
        )
        .route(
            "/console/projects/{project_id}/groups/{group_id}/remove",
            page(get(confirm_remove_group).post(remove_group)),
        )
}

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
