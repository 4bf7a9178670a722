//! The emulator: what the control endpoints under `/_orgusers/` do, as pages — reset, snapshots,
//! the organization's clock, injected faults and the request journal — through the same store
//! calls (`reset`, `save_snapshot`, `restore_snapshot`, `delete_snapshot`, `set_clock`) and the
//! same in-memory faults and journal as `control/`. Faults are parsed by `control::faults`'s
//! own parser, fed the body the form stands for. Served only where the control endpoints are
//! (`state.control`); otherwise every page is the 404 page and the nav has no entry.

use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use orgusers_store::clock::ClockSetting;
use orgusers_store::snapshots::SnapshotName;
use orgusers_store::{Kind, StoreError, now};
use serde_json::{Map, Value};

use super::listing::{parse_time, segment, time_of};
use super::widgets::{Confirmation, data_table, empty_note};
use super::{
    ConsoleError, Html, PathOf, Section, SignedIn, SignedInForm, alert, csrf, page, page_status,
    segments, store_message,
};
use crate::AppState;
use crate::control::faults::{METHODS, parse_fault};
use crate::error::ApiError;

const PATH: &str = "/console/emulator";
/// Requests of the journal shown.
const JOURNAL_SHOWN: usize = 100;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(PATH, page(get(overview)))
        .route(
            "/console/emulator/reset",
            page(get(confirm_reset).post(reset)),
        )
        .route("/console/emulator/snapshots", page(post(save_snapshot)))
        .route(
            "/console/emulator/snapshots/{name}/restore",
            page(get(confirm_restore).post(restore_snapshot)),
        )
        .route(
            "/console/emulator/snapshots/{name}/delete",
            page(get(confirm_delete_snapshot).post(delete_snapshot)),
        )
        .route("/console/emulator/clock/set", page(post(set_clock)))
        .route("/console/emulator/clock/advance", page(post(advance_clock)))
        .route("/console/emulator/clock/real", page(post(real_clock)))
        .route("/console/emulator/faults", page(post(add_fault)))
        .route("/console/emulator/faults/clear", page(post(clear_faults)))
        .route(
            "/console/emulator/faults/{fault_id}/remove",
            page(post(remove_fault)),
        )
}

/// The emulator's pages exist only with the control endpoints: else the 404 page, before
/// anything else is looked at.
struct ControlOn;

impl FromRequestParts<AppState> for ControlOn {
    type Rejection = ConsoleError;

    async fn from_request_parts(_: &mut Parts, state: &AppState) -> Result<Self, ConsoleError> {
        if state.control {
            Ok(Self)
        } else {
            Err(ConsoleError::NotFound)
        }
    }
}

/// What the fault form shows again after a refusal.
#[derive(Default)]
struct FaultForm {
    method: String,
    path: String,
    status: String,
    latency_ms: String,
    probability: String,
    count: String,
}

impl FaultForm {
    fn typed(form: &SignedInForm) -> Self {
        let text = |name| form.fields.text(name).unwrap_or_default().to_owned();
        Self {
            method: text("method"),
            path: text("path"),
            status: text("status"),
            latency_ms: text("latency_ms"),
            probability: text("probability"),
            count: text("count"),
        }
    }

    /// The body of `POST /_orgusers/faults` this form stands for: blank fields left out,
    /// numbers as numbers, anything else as the text typed (which the parser then refuses
    /// with its sentence).
    fn body(&self) -> Vec<u8> {
        let mut body = Map::new();
        for (name, value) in [("method", &self.method), ("path", &self.path)] {
            if !value.is_empty() {
                body.insert(name.to_owned(), Value::String(value.clone()));
            }
        }
        for (name, value, integer) in [
            ("status", &self.status, true),
            ("latency_ms", &self.latency_ms, true),
            ("probability", &self.probability, false),
            ("count", &self.count, true),
        ] {
            if value.is_empty() {
                continue;
            }
            let number = if integer {
                value.parse::<i64>().ok().map(Value::from)
            } else {
                value
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
            };
            body.insert(
                name.to_owned(),
                number.unwrap_or_else(|| Value::String(value.clone())),
            );
        }
        serde_json::to_vec(&Value::Object(body)).unwrap_or_default()
    }
}

async fn overview(
    _: ControlOn,
    State(state): State<AppState>,
    session: SignedIn,
) -> Result<Html, ConsoleError> {
    overview_page(&state, &session, None, &FaultForm::default()).await
}

/// The emulator's page, with `refusal` on top (and a 400) and the fault form as typed.
async fn overview_page(
    state: &AppState,
    session: &SignedIn,
    refusal: Option<String>,
    fault_form: &FaultForm,
) -> Result<Html, ConsoleError> {
    let clock = state.store.clock(&session.org).await?;
    let reading = clock.reading(now());
    let snapshots = state.store.list_snapshots(&session.org).await?;
    let faults = state.faults.list(&session.org);
    let requests = state.journal.newest(&session.org, JOURNAL_SHOWN);
    let content = html! {
        h1 { "Emulator" }
        @if let Some(message) = &refusal {
            (alert(message))
        }
        p { "What the control endpoints under " code { "/_orgusers/" } " do, for this organization." }
        section aria-labelledby="clock-heading" {
            h2 id="clock-heading" { "Clock" }
            dl class="details" {
                dt { "Now" } dd { (time_of(reading)) " " code { (reading) } }
                dt { "Frozen" } dd { @if clock.is_frozen() { "yes" } @else { "no" } }
            }
            form method="post" action="/console/emulator/clock/set" class="inline-form" {
                (csrf::field(session))
                div class="field" {
                    label for="clock-now" { "Freeze at (UTC)" }
                    input id="clock-now" name="now" type="text" required
                        placeholder="2024-05-01T12:00:00Z" spellcheck="false"
                        aria-describedby="clock-hint";
                }
                p class="hint" id="clock-hint" { "RFC 3339, YYYY-MM-DDTHH:MM (UTC) or Unix seconds." }
                button type="submit" { "Set clock" }
            }
            form method="post" action="/console/emulator/clock/advance" class="inline-form" {
                (csrf::field(session))
                div class="field" {
                    label for="clock-advance" { "Advance by (seconds)" }
                    input id="clock-advance" name="seconds" type="number" required
                        inputmode="numeric" step="1";
                }
                button type="submit" { "Advance clock" }
            }
            form method="post" action="/console/emulator/clock/real" class="inline-form" {
                (csrf::field(session))
                button type="submit" class="button-secondary" { "Back to real time" }
            }
        }
        section aria-labelledby="snapshots-heading" {
            h2 id="snapshots-heading" { "Snapshots" }
            @if snapshots.is_empty() {
                (empty_note("No snapshots saved."))
            } @else {
                (data_table("Snapshots", Some("Saved snapshots of the organization"), &["Name", "Saved"], true, html! {
                    @for snapshot in &snapshots {
                        @let base = format!("/console/emulator/snapshots/{}", segment(&snapshot.name));
                        tr {
                            td data-label="Name" { code { (snapshot.name) } }
                            td data-label="Saved" { (time_of(snapshot.created_at)) }
                            td data-label="Actions" {
                                a href=(format!("{base}/restore"))
                                    aria-label=(format!("Restore {}", snapshot.name)) { "Restore" }
                                " "
                                a href=(format!("{base}/delete"))
                                    aria-label=(format!("Delete {}", snapshot.name)) { "Delete" }
                            }
                        }
                    }
                }))
            }
            form method="post" action="/console/emulator/snapshots" class="inline-form" {
                (csrf::field(session))
                div class="field" {
                    label for="snapshot-name" { "Snapshot name" }
                    input id="snapshot-name" name="name" type="text" required maxlength="128"
                        pattern="[A-Za-z0-9_.\\-]+" spellcheck="false" aria-describedby="snapshot-hint";
                }
                p class="hint" id="snapshot-hint" { "Letters, digits, '_', '.' or '-'. Saving under an existing name replaces it." }
                button type="submit" { "Save snapshot" }
            }
        }
        (faults_section(session, &faults, fault_form))
        section aria-labelledby="journal-heading" {
            h2 id="journal-heading" { "Request journal" }
            @if requests.is_empty() {
                (empty_note("No /v1 requests recorded yet."))
            } @else {
                p class="hint" { "The last " (requests.len()) " /v1 requests of the organization on this server, newest first." }
                (data_table("Request journal", Some("Last requests, newest first"), &["Time", "Method", "Path", "Query", "Status", "Latency", "Request id"], false, html! {
                    @for request in &requests {
                        tr {
                            td data-label="Time" { (time_of(request.created_at)) }
                            td data-label="Method" { (request.method) }
                            td data-label="Path" { code { (request.path) } }
                            td data-label="Query" {
                                @match &request.query { Some(q) => code { (q) }, None => "—" }
                            }
                            td data-label="Status" { (request.status) }
                            td data-label="Latency" { (request.latency_ms) " ms" }
                            td data-label="Request id" { code { (request.request_id) } }
                        }
                    }
                }))
            }
        }
        section aria-labelledby="reset-heading" class="danger-zone" {
            h2 id="reset-heading" { "Reset" }
            p { "Empties the organization: users, roles, groups, projects, invites and the audit log. Admin keys and snapshots stay." }
            p { a class="button button-danger" href="/console/emulator/reset" { "Reset organization" } }
        }
    };
    let status = page_status(refusal.is_some());
    Ok(Html(
        status,
        session.page(Section::Emulator, "Emulator", content),
    ))
}

fn faults_section(
    session: &SignedIn,
    faults: &[orgusers_api::control::Fault],
    typed: &FaultForm,
) -> Markup {
    let method = if typed.method.is_empty() {
        "*"
    } else {
        typed.method.as_str()
    };
    html! {
        section aria-labelledby="faults-heading" {
            h2 id="faults-heading" { "Faults" }
            @if faults.is_empty() {
                (empty_note("No faults: /v1 requests are answered as usual."))
            } @else {
                (data_table("Faults", Some("Injected faults, oldest first"), &["Method", "Path", "Status", "Latency", "Probability", "Remaining", "Id"], true, html! {
                    @for fault in faults {
                        tr {
                            td data-label="Method" { (fault.method) }
                            td data-label="Path" { code { (fault.path) } }
                            td data-label="Status" {
                                @match fault.status { Some(s) => (s), None => "—" }
                            }
                            td data-label="Latency" { (fault.latency_ms) " ms" }
                            td data-label="Probability" { (fault.probability) }
                            td data-label="Remaining" {
                                @match fault.remaining { Some(n) => (n), None => "unlimited" }
                            }
                            td data-label="Id" { code { (fault.id) } }
                            td data-label="Actions" {
                                form method="post" class="inline"
                                    action=(format!("/console/emulator/faults/{}/remove", segment(&fault.id))) {
                                    (csrf::field(session))
                                    button type="submit" class="button-secondary"
                                        aria-label=(format!("Remove fault {}", fault.id)) { "Remove" }
                                }
                            }
                        }
                    }
                }))
                form method="post" action="/console/emulator/faults/clear" class="inline"
                    data-confirm="Remove every fault?" {
                    (csrf::field(session))
                    button type="submit" class="button-danger" { "Remove all faults" }
                }
            }
            h3 { "Add a fault" }
            form method="post" action="/console/emulator/faults" class="stack" {
                (csrf::field(session))
                div class="field" {
                    label for="fault-method" { "Method" }
                    select id="fault-method" name="method" {
                        @for m in METHODS {
                            option value=(m) selected[*m == method] {
                                @if *m == "*" { "Any method (*)" } @else { (m) }
                            }
                        }
                    }
                }
                div class="field" {
                    label for="fault-path" { "Path" }
                    input id="fault-path" name="path" type="text" required spellcheck="false"
                        placeholder="/v1/organization/users*" value=(typed.path)
                        aria-describedby="fault-path-hint";
                    p class="hint" id="fault-path-hint" { "A /v1/ path; end it with * for every path that starts so." }
                }
                div class="field" {
                    label for="fault-status" { "Status (400–599, optional)" }
                    input id="fault-status" name="status" type="number" min="400" max="599"
                        inputmode="numeric" value=(typed.status);
                }
                div class="field" {
                    label for="fault-latency" { "Latency in ms (optional)" }
                    input id="fault-latency" name="latency_ms" type="number" min="0" max="60000"
                        inputmode="numeric" value=(typed.latency_ms);
                }
                div class="field" {
                    label for="fault-probability" { "Probability (0–1, optional)" }
                    input id="fault-probability" name="probability" type="number" min="0" max="1"
                        step="any" inputmode="decimal" value=(typed.probability);
                }
                div class="field" {
                    label for="fault-count" { "Count (optional; unlimited when empty)" }
                    input id="fault-count" name="count" type="number" min="1"
                        inputmode="numeric" value=(typed.count);
                }
                button type="submit" { "Add fault" }
            }
        }
    }
}

async fn done(state: &AppState, session: &SignedIn, message: String) -> Response {
    session.done(state, message, PATH).await
}

/// A refused store call: the emulator's page with its message, or the 500.
async fn refused(
    state: &AppState,
    session: &SignedIn,
    e: StoreError,
) -> Result<Response, ConsoleError> {
    match e {
        StoreError::Backend(e) => Err(ConsoleError::Internal(e)),
        e => refuse(state, session, store_message(&e)).await,
    }
}

async fn refuse(
    state: &AppState,
    session: &SignedIn,
    message: String,
) -> Result<Response, ConsoleError> {
    Ok(
        overview_page(state, session, Some(message), &FaultForm::default())
            .await?
            .into_response(),
    )
}

/// A confirmation page: `question`, what it does, and the form with `button`.
fn confirm_page(
    session: &SignedIn,
    title: &str,
    explanation: Markup,
    action: &str,
    button: &str,
) -> Html {
    Confirmation {
        section: Section::Emulator,
        title: &format!("{title} · Emulator"),
        breadcrumb: html! { a href=(PATH) { "Emulator" } },
        question: html! { (title) },
        refusal: None,
        text: explanation,
        warning: None,
        action,
        data_confirm: Some(title),
        button,
        cancel: PATH,
    }
    .page(session)
}

async fn confirm_reset(_: ControlOn, session: SignedIn) -> Html {
    confirm_page(
        &session,
        "Reset the organization?",
        html! {
            "Every user, role, group, project, invite and audit log entry of the organization "
            code { (session.org.as_str()) } " is deleted. Admin keys, snapshots and console \
             sessions stay. Save a snapshot first to come back to this state."
        },
        "/console/emulator/reset",
        "Reset organization",
    )
}

async fn reset(
    _: ControlOn,
    State(state): State<AppState>,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let session = &form.session;
    match state.store.reset(&session.org).await {
        Ok(()) => Ok(done(&state, session, "Reset the organization.".to_owned()).await),
        Err(e) => refused(&state, session, e).await,
    }
}

async fn save_snapshot(
    _: ControlOn,
    State(state): State<AppState>,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let session = &form.session;
    let typed = form.fields.get("name").unwrap_or_default().trim();
    let name = match SnapshotName::parse(typed) {
        Ok(name) => name,
        Err(e) => return refuse(&state, session, e.to_string()).await,
    };
    match state.store.save_snapshot(&session.org, &name).await {
        Ok(info) => {
            let message = format!("Saved the snapshot {}.", info.name);
            Ok(done(&state, session, message).await)
        }
        Err(e) => refused(&state, session, e).await,
    }
}

type NamePath = PathOf<String>;

/// A snapshot named in the path, which must exist: else the 404 page.
async fn snapshot_at(
    state: &AppState,
    session: &SignedIn,
    path: NamePath,
) -> Result<SnapshotName, ConsoleError> {
    let name = segments(path)?;
    let Ok(name) = SnapshotName::parse(&name) else {
        return Err(ConsoleError::NotFound);
    };
    let saved = state.store.list_snapshots(&session.org).await?;
    if saved.iter().any(|s| s.name == name.as_str()) {
        Ok(name)
    } else {
        Err(ConsoleError::NotFound)
    }
}

fn snapshot_gone(e: &StoreError) -> bool {
    ConsoleError::is_not_found(e, Kind::Snapshot)
}

async fn confirm_restore(
    _: ControlOn,
    State(state): State<AppState>,
    path: NamePath,
    session: SignedIn,
) -> Result<Html, ConsoleError> {
    let name = snapshot_at(&state, &session, path).await?;
    Ok(confirm_page(
        &session,
        &format!("Restore the snapshot {}?", name.as_str()),
        html! {
            "The organization's state is replaced by the snapshot " code { (name.as_str()) }
            ": what changed since it was saved is lost, the audit log included."
        },
        &format!(
            "/console/emulator/snapshots/{}/restore",
            segment(name.as_str())
        ),
        "Restore snapshot",
    ))
}

async fn restore_snapshot(
    _: ControlOn,
    State(state): State<AppState>,
    path: NamePath,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let session = &form.session;
    let name = snapshot_at(&state, session, path).await?;
    match state.store.restore_snapshot(&session.org, &name).await {
        Ok(info) => {
            let message = format!("Restored the snapshot {}.", info.name);
            Ok(done(&state, session, message).await)
        }
        Err(e) if snapshot_gone(&e) => Err(ConsoleError::NotFound),
        Err(e) => refused(&state, session, e).await,
    }
}

async fn confirm_delete_snapshot(
    _: ControlOn,
    State(state): State<AppState>,
    path: NamePath,
    session: SignedIn,
) -> Result<Html, ConsoleError> {
    let name = snapshot_at(&state, &session, path).await?;
    Ok(confirm_page(
        &session,
        &format!("Delete the snapshot {}?", name.as_str()),
        html! { "The snapshot " code { (name.as_str()) } " is deleted. The organization's state does not change." },
        &format!(
            "/console/emulator/snapshots/{}/delete",
            segment(name.as_str())
        ),
        "Delete snapshot",
    ))
}

async fn delete_snapshot(
    _: ControlOn,
    State(state): State<AppState>,
    path: NamePath,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let session = &form.session;
    let name = snapshot_at(&state, session, path).await?;
    match state.store.delete_snapshot(&session.org, &name).await {
        Ok(()) => {
            let message = format!("Deleted the snapshot {}.", name.as_str());
            Ok(done(&state, session, message).await)
        }
        Err(e) if snapshot_gone(&e) => Err(ConsoleError::NotFound),
        Err(e) => refused(&state, session, e).await,
    }
}

/// Sets the clock as `POST /_orgusers/clock` does, and says where it now stands.
async fn clock_to(
    state: &AppState,
    session: &SignedIn,
    setting: ClockSetting,
) -> Result<Response, ConsoleError> {
    match state.store.set_clock(&session.org, setting).await {
        Ok(clock) => {
            let reading = clock.reading(now());
            let message = format!(
                "The clock now reads {}{}.",
                super::date(reading),
                if clock.is_frozen() { ", frozen" } else { "" }
            );
            Ok(done(state, session, message).await)
        }
        Err(e) => refused(state, session, e).await,
    }
}

async fn set_clock(
    _: ControlOn,
    State(state): State<AppState>,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let session = &form.session;
    let Some(text) = form.fields.text("now") else {
        return refuse(
            &state,
            session,
            "Give the time to freeze the clock at.".to_owned(),
        )
        .await;
    };
    match parse_time(text) {
        Ok((at, _)) => clock_to(&state, session, ClockSetting::FreezeAt(at)).await,
        Err(message) => refuse(&state, session, message).await,
    }
}

async fn advance_clock(
    _: ControlOn,
    State(state): State<AppState>,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let session = &form.session;
    match form.fields.text("seconds").map(str::parse::<i64>) {
        Some(Ok(seconds)) => clock_to(&state, session, ClockSetting::Advance(seconds)).await,
        _ => {
            let message = "Give the seconds to advance the clock by, a whole number.".to_owned();
            refuse(&state, session, message).await
        }
    }
}

async fn real_clock(
    _: ControlOn,
    State(state): State<AppState>,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    clock_to(&state, &form.session, ClockSetting::Real).await
}

async fn add_fault(
    _: ControlOn,
    State(state): State<AppState>,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let session = &form.session;
    let typed = FaultForm::typed(&form);
    let refuse_typed = |message: String| overview_page(&state, session, Some(message), &typed);
    let fault = match parse_fault(&typed.body()) {
        Ok(fault) => fault,
        Err(e) => return Ok(refuse_typed(e.message()).await?.into_response()),
    };
    match state.faults.add(&session.org, fault) {
        Ok(fault) => {
            let message = format!(
                "Added the fault {} on {} {}.",
                fault.id, fault.method, fault.path
            );
            Ok(done(&state, session, message).await)
        }
        Err(ApiError::Conflict { message, .. }) => Ok(refuse_typed(message).await?.into_response()),
        Err(_) => Ok(refuse_typed("The fault could not be added.".to_owned())
            .await?
            .into_response()),
    }
}

async fn clear_faults(_: ControlOn, State(state): State<AppState>, form: SignedInForm) -> Response {
    let removed = state.faults.clear(&form.session.org);
    let message = match removed {
        1 => "Removed 1 fault.".to_owned(),
        n => format!("Removed {n} faults."),
    };
    done(&state, &form.session, message).await
}

async fn remove_fault(
    _: ControlOn,
    State(state): State<AppState>,
    path: NamePath,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    let id = segments(path)?;
    if state.faults.remove(&form.session.org, &id) {
        Ok(done(&state, &form.session, format!("Removed the fault {id}.")).await)
    } else {
        Err(ConsoleError::NotFound)
    }
}
