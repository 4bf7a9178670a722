//! A project's members tab: add a user with a role, change the role, remove after a
//! confirmation.

use super::*;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
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
}

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
