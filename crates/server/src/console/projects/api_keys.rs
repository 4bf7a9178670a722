//! A project's API keys tab: the keys of its users and service accounts, and deleting one after
//! a confirmation.

use super::*;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/console/projects/{project_id}/api-keys",
            page(get(api_keys)),
        )
        .route(
            "/console/projects/{project_id}/api-keys/{key_id}/delete",
            page(get(confirm_delete_api_key).post(delete_api_key)),
        )
}

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
