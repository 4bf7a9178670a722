//! Admin keys: the organization's admin API keys, through the same store calls as
//! `/v1/organization/admin_api_keys`. A new key's value is shown once, in the answer to the
//! form that made it (never stored in the session, never behind a redirect).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{Markup, html};
use orgusers_store::Kind;
use orgusers_store::keys::{AdminKeyRecord, KeyLifetime, MAX_EXPIRES_IN_SECONDS};
use orgusers_store::page::{FirstQuery, SortOrder};

use super::listing::query_value;
use super::widgets::{Confirmation, data_table, empty_page};
use super::{
    ConsoleError, Html, PageLinks, PathOf, Section, SignedIn, SignedInForm, alert, csrf, found,
    page, pagination, refusal_of, segments, time,
};
use crate::AppState;
use crate::extract::QueryString;

/// Keys per page of the list.
const PAGE_SIZE: usize = 25;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/admin-keys", page(get(list).post(create)))
        .route(
            "/console/admin-keys/{key_id}/delete",
            page(get(confirm_delete).post(delete)),
        )
}

fn key_href(id: &str) -> String {
    let encoded: String = form_urlencoded::byte_serialize(id.as_bytes()).collect();
    format!("/console/admin-keys/{encoded}/delete")
}

async fn list(
    State(state): State<AppState>,
    session: SignedIn,
    QueryString(query): QueryString,
) -> Result<Html, ConsoleError> {
    let query = query.as_deref();
    let after = query_value(query, "after");
    let before = query_value(query, "before");
    list_page(
        &state,
        &session,
        after,
        before,
        StatusCode::OK,
        None,
        CreateForm::default(),
    )
    .await
}

/// What the create form shows again after a refusal: the name and expiry as typed (not
/// secrets), never a key.
#[derive(Default)]
struct CreateForm {
    name: String,
    expires_in: String,
    unit_seconds: bool,
}

/// The list page: a page of keys (forwards from `after`, or backwards from `before`, read as
/// the list in the other order), the create form, and `refusal` above it.
async fn list_page(
    state: &AppState,
    session: &SignedIn,
    after: Option<String>,
    before: Option<String>,
    status: StatusCode,
    refusal: Option<String>,
    form: CreateForm,
) -> Result<Html, ConsoleError> {
    let backwards = after.is_none() && before.is_some();
    let (cursor, order) = if backwards {
        (before.clone(), SortOrder::Desc)
    } else {
        (after.clone(), SortOrder::Asc)
    };
    let query = FirstQuery {
        limit: PAGE_SIZE,
        after: cursor.clone(),
    };
    let (keys, list_refusal) = match state
        .store
        .list_admin_keys(&session.org, &query, order)
        .await
    {
        Ok(mut page) => {
            if backwards {
                page.items.reverse();
            }
            (Some(page), None)
        }
        Err(e) => (None, Some(refusal_of(e, &[])?)),
    };
    let status = if list_refusal.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        status
    };
    let content = html! {
        h1 { "Admin keys" }
        @if let Some(message) = refusal.as_ref().or(list_refusal.as_ref()) {
            (alert(message))
        }
        @if let Some(keys) = &keys {
            @if keys.items.is_empty() {
                (empty_page("No admin keys on this page."))
            } @else {
                (data_table("Admin keys", Some("Admin keys of the organization"), &["Name", "Id", "Value", "Created", "Last used", "Expires"], true, html! {
                    @for key in &keys.items {
                        (key_row(session, key))
                    }
                }))
                @let ids: Vec<&str> = keys.items.iter().map(|k| k.id.as_str()).collect();
                @let links = PageLinks::new(&ids, keys.has_more, cursor.is_some(), backwards);
                (pagination(
                    "/console/admin-keys",
                    &[],
                    links.before.as_deref(),
                    links.after.as_deref(),
                ))
            }
        }
        (create_form(session, &form))
    };
    Ok(Html(
        status,
        session.page(Section::AdminKeys, "Admin keys", content),
    ))
}

fn key_row(session: &SignedIn, key: &AdminKeyRecord) -> Markup {
    html! {
        tr {
            td data-label="Name" {
                (key.name)
                @if key.id == session.key_id { " " span class="badge" { "this session" } }
            }
            td data-label="Id" { code { (key.id) } }
            td data-label="Value" { code { (key.redacted_value) } }
            td data-label="Created" { (time(key.created_at)) }
            td data-label="Last used" {
                @match key.last_used_at { Some(at) => (time(at)), None => "never" }
            }
            td data-label="Expires" {
                @match key.expires_at { Some(at) => (time(at)), None => "never" }
            }
            td data-label="Actions" {
                a href=(key_href(&key.id)) aria-label=(format!("Delete {}", key.name)) { "Delete" }
            }
        }
    }
}

fn create_form(session: &SignedIn, form: &CreateForm) -> Markup {
    html! {
        section aria-labelledby="create-heading" {
            h2 id="create-heading" { "Create an admin key" }
            form method="post" action="/console/admin-keys" class="stack" {
                (csrf::field(session))
                div class="field" {
                    label for="key-name" { "Name" }
                    input id="key-name" name="name" type="text" required maxlength="256"
                        value=(form.name);
                }
                fieldset {
                    legend { "Expiry (optional)" }
                    div class="field" {
                        label for="expires-in" { "Expires in" }
                        input id="expires-in" name="expires_in" type="number" min="1"
                            inputmode="numeric" value=(form.expires_in);
                    }
                    div class="field" {
                        label for="expires-unit" { "Unit" }
                        select id="expires-unit" name="expires_unit" {
                            option value="days" selected[!form.unit_seconds] { "days" }
                            option value="seconds" selected[form.unit_seconds] { "seconds" }
                        }
                    }
                    p class="hint" { "Leave empty for a key that never expires; at most a year." }
                }
                button type="submit" { "Create key" }
            }
        }
    }
}

/// The lifetime the form asks for: `expires_in` in `expires_unit` (days or seconds).
fn lifetime(form: &SignedInForm) -> Result<Option<KeyLifetime>, String> {
    let Some(amount) = form.fields.text("expires_in") else {
        return Ok(None);
    };
    let unit_seconds = form.fields.get("expires_unit") == Some("seconds");
    let amount: i64 = amount
        .parse()
        .map_err(|_| "The expiry must be a whole number.".to_owned())?;
    let seconds = if unit_seconds {
        amount
    } else {
        amount.saturating_mul(86_400)
    };
    KeyLifetime::parse(seconds).map(Some).map_err(|_| {
        format!(
            "The expiry must be between 1 second and a year ({} days, {MAX_EXPIRES_IN_SECONDS} seconds).",
            MAX_EXPIRES_IN_SECONDS / 86_400
        )
    })
}

async fn create(
    State(state): State<AppState>,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let session = &form.session;
    let typed = CreateForm {
        name: form.fields.get("name").unwrap_or_default().to_owned(),
        expires_in: form.fields.get("expires_in").unwrap_or_default().to_owned(),
        unit_seconds: form.fields.get("expires_unit") == Some("seconds"),
    };
    let refuse = |message: String, typed: CreateForm| {
        list_page(
            &state,
            session,
            None,
            None,
            StatusCode::BAD_REQUEST,
            Some(message),
            typed,
        )
    };
    let Some(name) = form.fields.text("name") else {
        return Ok(refuse("Give the key a name.".to_owned(), typed)
            .await?
            .into_response());
    };
    let lifetime = match lifetime(&form) {
        Ok(lifetime) => lifetime,
        Err(message) => return Ok(refuse(message, typed).await?.into_response()),
    };
    let (record, key) = match state
        .store
        .create_admin_key(&session.org, name, lifetime)
        .await
    {
        Ok(created) => created,
        Err(e) => return Ok(refuse(refusal_of(e, &[])?, typed).await?.into_response()),
    };
    // The value, once: this answer is `no-store` as every page, and nothing keeps it.
    let content = html! {
        p class="breadcrumb" { a href="/console/admin-keys" { "Admin keys" } }
        h1 { "Admin key created" }
        div class="flash flash-status" role="status" {
            "Created the admin key " strong { (record.name) } " " code { (record.id) } "."
        }
        p { strong { "Copy the key now: it is shown only once." } }
        div class="secret" {
            label for="new-key-value" { "New admin key" }
            input id="new-key-value" type="text" readonly value=(key.expose())
                autocomplete="off" spellcheck="false" data-select-on-focus;
            button type="button" class="button-secondary" data-copy="new-key-value" hidden {
                "Copy to clipboard"
            }
        }
        dl class="details" {
            dt { "Expires" }
            dd { @match record.expires_at { Some(at) => (time(at)), None => "never" } }
        }
        p { a href="/console/admin-keys" { "Back to admin keys" } }
    };
    Ok(Html(
        StatusCode::OK,
        session.page(Section::AdminKeys, "Admin key created", content),
    )
    .into_response())
}

type KeyPath = PathOf<String>;

async fn key_of(
    state: &AppState,
    session: &SignedIn,
    path: KeyPath,
) -> Result<AdminKeyRecord, ConsoleError> {
    let id = segments(path)?;
    found(
        state.store.get_admin_key(&session.org, &id).await,
        Kind::AdminApiKey,
    )
}

async fn confirm_delete(
    State(state): State<AppState>,
    path: KeyPath,
    session: SignedIn,
) -> Result<Html, ConsoleError> {
    let key = key_of(&state, &session, path).await?;
    let own = key.id == session.key_id;
    Ok(Confirmation {
        section: Section::AdminKeys,
        title: &format!("Delete {} · Admin keys", key.name),
        breadcrumb: html! { a href="/console/admin-keys" { "Admin keys" } },
        question: html! { "Delete admin key " (key.name) "?" },
        refusal: None,
        text: html! {
            "The key " strong { (key.name) } " " code { (key.id) } " (" code { (key.redacted_value) } ") "
            "will open nothing from now on. This cannot be undone."
        },
        warning: own.then_some("This is the key of this session: deleting it signs you out."),
        action: &key_href(&key.id),
        data_confirm: None,
        button: "Delete key",
        cancel: "/console/admin-keys",
    }
    .page(&session))
}

async fn delete(
    State(state): State<AppState>,
    path: KeyPath,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let session = &form.session;
    let key = key_of(&state, session, path).await?;
    match state.store.delete_admin_key(&session.org, &key.id).await {
        Ok(()) => {}
        Err(e) if ConsoleError::is_not_found(&e, Kind::AdminApiKey) => {
            return Err(ConsoleError::NotFound);
        }
        Err(e) => return Err(e.into()),
    }
    // As the API: this server stops trusting the key at once.
    state.keys.forget(&key.id);
    let message = format!("Deleted the admin key {} ({}).", key.name, key.id);
    Ok(session.done(&state, message, "/console/admin-keys").await)
}
