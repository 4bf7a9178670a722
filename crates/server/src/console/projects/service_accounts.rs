//! A project's service accounts tab: create one (its key value shown once) and delete one after
//! a confirmation.

use super::*;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/console/projects/{project_id}/service-accounts",
            page(get(service_accounts).post(create_service_account)),
        )
        .route(
            "/console/projects/{project_id}/service-accounts/{account_id}/delete",
            page(get(confirm_delete_service_account).post(delete_service_account)),
        )
}

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
