//! The web console: server-rendered HTML pages at `/console/`, over the same store and rules as
//! the API (issue #15). Plain forms that work without JavaScript; `assets/console.js` only
//! enhances (confirmations, copy to clipboard). Templates are `maud` macros (every value escaped
//! by construction), the stylesheet and the script are compiled in with `include_str!`.
//!
//! The parts:
//!
//! - this file: the routes, the shared layout ([`SignedIn::page`], [`bare_page`]), the
//!   pagination component ([`pagination`]), the HTML answer ([`Html`]) and error pages
//!   ([`ConsoleError`]), small formatters ([`date`]), and what every handler does with the
//!   store's answers ([`found`], [`listed`], [`refusal_of`], [`page_status`], [`segments`]);
//! - `session.rs`: sign-in, sign-out, the session cookie, the [`SignedIn`] and [`SignedInForm`]
//!   extractors (session → admin key authenticated again through the key cache → the request's
//!   acting key, so that changes are audited with it), flash messages, the sign-in rate limit;
//! - `csrf.rs`: the per-session token every state-changing form carries ([`csrf::field`]);
//! - `headers.rs`: the security headers of every console answer and the `Origin` check of
//!   every console `POST`;
//! - `widgets.rs`: what every page family's pages are made of: the table of a list
//!   ([`widgets::data_table`]), the note of an empty list ([`widgets::empty_page`]), the page
//!   confirming a deletion ([`widgets::Confirmation`]);
//! - one file per page family: `people.rs`, `admin_keys.rs`.
//!
//! # Adding a page family
//!
//! Write `console/reports.rs` with `pub(super) fn routes() -> Router<AppState>` (full paths,
//! `/console/reports…`), handlers that take [`SignedIn`] (pages) or [`SignedInForm`] (a `POST`,
//! CSRF already checked), render with `session.page(Section::Reports, "Reports", content)` and
//! answer a `POST` with `session.done(&state, message, "/console/reports").await` (post,
//! redirect, get); every form gets `(csrf::field(&session))`. Lists show in
//! [`widgets::data_table`] and page with [`PageLinks`] and [`pagination`]. Then add `mod reports;` and one `.merge(reports::routes())` line in
//! [`routes`]; add its entry to [`Section`]. Store errors become a message on the
//! page with [`store_message`] / [`ConsoleError::from_store`]. Invites, projects, roles, groups,
//! the audit log and the emulator's pages go in `invites.rs`, `projects.rs`, `roles.rs`,
//! `groups.rs`, `audit_log.rs` and `emulator.rs`.
//!
//! Console requests pass through the same `stamp` middleware as the API (request id, access log
//! of method, path and status only: never a query's or a body's values), but they are not
//! `/v1` requests: no injected faults, no journal entry.

mod admin_keys;
mod audit_log;
pub(crate) mod csrf;
mod emulator;
mod groups;
mod headers;
mod invites;
mod listing;
mod people;
mod projects;
mod roles;
pub(crate) mod session;
mod widgets;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, get};
use maud::{DOCTYPE, Markup, html};
use orgusers_store::console_sessions::{Flash, FlashKind};
use orgusers_store::{Kind, StoreError};

use crate::AppState;
use crate::error::InternalErrorDetail;
pub(crate) use session::{SignInLimiter, SignedIn, SignedInForm};

const CSS: &str = include_str!("assets/console.css");
const JS: &str = include_str!("assets/console.js");

/// Every route of the console, each with the console's own answers for an unknown method, and
/// a catch-all that answers unknown `/console/…` paths with the HTML 404 page.
pub(crate) fn routes() -> Router<AppState> {
    let console = Router::new()
        .route("/console", page(get(root)))
        .route("/console/", page(get(root)))
        .route("/console/assets/console.css", page(get(css)))
        .route("/console/assets/console.js", page(get(js)))
        .merge(session::routes())
        .merge(people::routes())
        .merge(admin_keys::routes())
        .merge(invites::routes())
        .merge(projects::routes())
        .merge(roles::routes())
        .merge(groups::routes())
        .merge(audit_log::routes())
        .merge(emulator::routes())
        .route("/console/{*rest}", page(get(not_found).post(not_found)));
    console.layer(axum::middleware::from_fn(headers::secure))
}

/// A console route: an unknown method answers the console's 404 page, not the API's envelope.
pub(crate) fn page(route: MethodRouter<AppState>) -> MethodRouter<AppState> {
    route.fallback(not_found)
}

async fn root(session: Option<SignedIn>) -> Response {
    match session {
        Some(_) => see_other("/console/people"),
        None => see_other("/console/sign-in"),
    }
}

async fn not_found() -> ConsoleError {
    ConsoleError::NotFound
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            // Compiled into the binary: a new binary is a new URL only if the name changes, so
            // a day, not a year.
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400, immutable"),
            ),
        ],
        body,
    )
        .into_response()
}

async fn css() -> Response {
    asset("text/css; charset=utf-8", CSS)
}

async fn js() -> Response {
    asset("text/javascript; charset=utf-8", JS)
}

/// `303 See Other` to `to`: the answer to every successful form.
pub(crate) fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// An HTML page with its status.
pub(crate) struct Html(pub StatusCode, pub Markup);

impl IntoResponse for Html {
    fn into_response(self) -> Response {
        (
            self.0,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            )],
            self.1.into_string(),
        )
            .into_response()
    }
}

/// The status of a page that may show a refusal: `400` when it does (the form is shown again
/// with what was wrong), else `200`.
pub(crate) fn page_status(refused: bool) -> StatusCode {
    if refused {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    }
}

/// The sections of the nav, in order. A page family's pages name theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    People,
    Invites,
    Projects,
    Roles,
    Groups,
    AuditLog,
    AdminKeys,
    Emulator,
}

impl Section {
    const ALL: [Self; 8] = [
        Self::People,
        Self::Invites,
        Self::Projects,
        Self::Roles,
        Self::Groups,
        Self::AuditLog,
        Self::AdminKeys,
        Self::Emulator,
    ];

    fn label(self) -> &'static str {
        match self {
            Self::People => "People",
            Self::Invites => "Invites",
            Self::Projects => "Projects",
            Self::Roles => "Roles",
            Self::Groups => "Groups",
            Self::AuditLog => "Audit log",
            Self::AdminKeys => "Admin keys",
            Self::Emulator => "Emulator",
        }
    }

    fn href(self) -> &'static str {
        match self {
            Self::People => "/console/people",
            Self::Invites => "/console/invites",
            Self::Projects => "/console/projects",
            Self::Roles => "/console/roles",
            Self::Groups => "/console/groups",
            Self::AuditLog => "/console/audit-log",
            Self::AdminKeys => "/console/admin-keys",
            Self::Emulator => "/console/emulator",
        }
    }
}

/// The document around every page: head, skip link, and `body`.
fn document(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · orgusers console" }
                link rel="stylesheet" href="/console/assets/console.css";
                script src="/console/assets/console.js" defer {}
            }
            body {
                a class="skip-link" href="#main" { "Skip to main content" }
                (body)
            }
        }
    }
}

/// A page without the signed-in chrome: sign-in, errors.
pub(crate) fn bare_page(title: &str, content: Markup) -> Markup {
    document(
        title,
        html! {
            header class="site-header" {
                div class="brand" { a href="/console/" { "orgusers console" } }
            }
            main id="main" tabindex="-1" {
                (content)
            }
        },
    )
}

/// A flash message: `role="status"` for news, `role="alert"` for a refusal.
pub(crate) fn flash_message(flash: &Flash) -> Markup {
    match flash.kind {
        FlashKind::Status => {
            html! { div class="flash flash-status" role="status" { (flash.message) } }
        }
        FlashKind::Alert => {
            html! { div class="flash flash-alert" role="alert" { (flash.message) } }
        }
    }
}

/// An error message on the page it concerns (`role="alert"`).
pub(crate) fn alert(message: &str) -> Markup {
    html! { div class="flash flash-alert" role="alert" { (message) } }
}

impl SignedIn {
    /// A page of `section` titled `title` (unique per page: say what it shows), with the
    /// header (organization, signed-in key), the nav, the sign-out button and the session's
    /// flash message above `content`.
    pub(crate) fn page(&self, section: Section, title: &str, content: Markup) -> Markup {
        document(
            title,
            html! {
                header class="site-header" {
                    div class="brand" { a href="/console/people" { "orgusers console" } }
                    div class="identity" {
                        span class="org" { "Organization " code { (self.org.as_str()) } }
                        span class="key" {
                            "Signed in with " strong { (self.key_name) } " " code { (self.key_id) }
                        }
                        form method="post" action="/console/sign-out" class="inline" {
                            (csrf::field(self))
                            button type="submit" class="button-secondary" { "Sign out" }
                        }
                    }
                    nav aria-label="Main" {
                        ul {
                            @for s in Section::ALL {
                                @if s != Section::Emulator || self.control {
                                    li {
                                        @if s == section {
                                            a href=(s.href()) aria-current="page" { (s.label()) }
                                        } @else {
                                            a href=(s.href()) { (s.label()) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                main id="main" tabindex="-1" {
                    @if let Some(flash) = &self.flash {
                        (flash_message(flash))
                    }
                    (content)
                }
            },
        )
    }
}

/// Links to the previous and next pages of a list: `before=FIRST` and `after=LAST` added to
/// `path` with the list's other parameters `params` (empty values left out). `None` where
/// there is no such page.
pub(crate) fn pagination(
    path: &str,
    params: &[(&str, &str)],
    before: Option<&str>,
    after: Option<&str>,
) -> Markup {
    let link = |cursor: (&str, &str)| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in params {
            if !value.is_empty() {
                query.append_pair(name, value);
            }
        }
        query.append_pair(cursor.0, cursor.1);
        format!("{path}?{}", query.finish())
    };
    html! {
        @if before.is_some() || after.is_some() {
            nav class="pagination" aria-label="Pagination" {
                @if let Some(first) = before {
                    a rel="prev" href=(link(("before", first))) { "Previous" }
                }
                @if let Some(last) = after {
                    a rel="next" href=(link(("after", last))) { "Next" }
                }
            }
        }
    }
}

/// A page of a list read in either direction, ready for [`pagination`].
pub(crate) struct PageLinks {
    /// The first item's id, when a page comes before.
    pub before: Option<String>,
    /// The last item's id, when a page comes after.
    pub after: Option<String>,
}

impl PageLinks {
    /// The links of a page of `ids` (list order) read forwards from `after` (`backwards`
    /// false) or backwards from `before`, where `has_more` says whether more come in the
    /// direction read and `from_cursor` whether the page was asked from a cursor.
    pub(crate) fn new(ids: &[&str], has_more: bool, from_cursor: bool, backwards: bool) -> Self {
        let (first, last) = (ids.first(), ids.last());
        let (more_before, more_after) = if backwards {
            (has_more, from_cursor)
        } else {
            (from_cursor, has_more)
        };
        Self {
            before: first.filter(|_| more_before).map(|s| (*s).to_owned()),
            after: last.filter(|_| more_after).map(|s| (*s).to_owned()),
        }
    }
}

/// Unix seconds as `YYYY-MM-DD HH:MM UTC`.
pub(crate) fn date(at: i64) -> String {
    let days = at.div_euclid(86_400);
    let seconds = at.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        seconds / 3600,
        seconds % 3600 / 60
    )
}

/// A `<time>` of Unix seconds.
pub(crate) fn time(at: i64) -> Markup {
    html! { time datetime=(at) { (date(at)) } }
}

/// What a refused store call says on the page. The sentences are the API's where it has one.
pub(crate) fn store_message(e: &StoreError) -> String {
    match e {
        StoreError::LastOwner => "An organization must keep at least one owner.".to_owned(),
        StoreError::NotFound { kind, id } => format!("No such {}: {id}.", kind.noun()),
        StoreError::UnknownCursor { .. } => {
            "That page of the list is no longer available: start again from the first page."
                .to_owned()
        }
        other => other.to_string(),
    }
}

/// A store call's error on a page: a missing `kind` is the 404 page, a backend failure the
/// 500, anything else the store's sentence for the page to show.
pub(crate) fn refusal_of(e: StoreError, kinds: &[Kind]) -> Result<String, ConsoleError> {
    match e {
        e if kinds.iter().any(|k| ConsoleError::is_not_found(&e, *k)) => {
            Err(ConsoleError::NotFound)
        }
        StoreError::Backend(e) => Err(ConsoleError::Internal(e)),
        e => Ok(store_message(&e)),
    }
}

/// A list read for a page: the page, or no page and the store's sentence to show in its
/// place (every list page keeps its forms usable when its list is refused). A backend
/// failure is the 500.
pub(crate) fn listed<T>(
    read: Result<T, StoreError>,
) -> Result<(Option<T>, Option<String>), ConsoleError> {
    match read {
        Ok(page) => Ok((Some(page), None)),
        Err(e) => Ok((None, Some(refusal_of(e, &[])?))),
    }
}

/// The `{…}` segments of a route's path as its handlers take them: the extractor's result, so
/// that a segment that is not UTF-8 is the console's 404 page, not the API's answer.
pub(crate) type PathOf<T> = Result<axum::extract::Path<T>, axum::extract::rejection::PathRejection>;

/// The segments of `path`, or the 404 page.
pub(crate) fn segments<T>(path: PathOf<T>) -> Result<T, ConsoleError> {
    path.map(|axum::extract::Path(segments)| segments)
        .map_err(|_| ConsoleError::NotFound)
}

/// What a page is about, read from the store: a missing `kind` is the 404 page, any other
/// error the usual refusal ([`ConsoleError::from_store`]).
pub(crate) fn found<T>(read: Result<T, StoreError>, kind: Kind) -> Result<T, ConsoleError> {
    read.map_err(|e| {
        if ConsoleError::is_not_found(&e, kind) {
            ConsoleError::NotFound
        } else {
            e.into()
        }
    })
}

/// Why a console request failed, answered as an HTML page.
#[derive(Debug)]
pub(crate) enum ConsoleError {
    /// An unknown path, method or object.
    NotFound,
    /// A refusal that is the client's doing, with the sentence shown and its status.
    Refused(StatusCode, String),
    /// A form without the session's CSRF token, or a `POST` from another origin.
    Forbidden,
    /// Too many sign-in attempts from one address; try again after this many seconds.
    RateLimited(u64),
    /// Anything unexpected: logged with the request id, answered as a bare 500.
    Internal(anyhow::Error),
}

impl ConsoleError {
    /// A refused store call: its message and a 4xx, or the bare 500 for a backend failure.
    pub(crate) fn from_store(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { .. } => Self::Refused(StatusCode::NOT_FOUND, store_message(&e)),
            StoreError::Backend(e) => Self::Internal(e),
            other => Self::Refused(StatusCode::BAD_REQUEST, store_message(&other)),
        }
    }

    /// A refused look-up of what a page is about: a missing `kind` is the 404 page, a
    /// backend failure the 500, anything else the request refused (400) with its sentence.
    pub(crate) fn of_lookup(e: StoreError, kinds: &[Kind]) -> Self {
        match refusal_of(e, kinds) {
            Ok(message) => Self::Refused(StatusCode::BAD_REQUEST, message),
            Err(e) => e,
        }
    }

    /// Whether this is the store's "no such `kind`".
    pub(crate) fn is_not_found(e: &StoreError, of: Kind) -> bool {
        matches!(e, StoreError::NotFound { kind, .. } if *kind == of)
    }
}

impl From<StoreError> for ConsoleError {
    fn from(e: StoreError) -> Self {
        Self::from_store(e)
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let page = |status: StatusCode, title: &str, text: &str| {
            Html(
                status,
                bare_page(
                    title,
                    html! {
                        h1 { (title) }
                        p role=(if status.is_server_error() { "alert" } else { "status" }) { (text) }
                        p { a href="/console/" { "Back to the console" } }
                    },
                ),
            )
            .into_response()
        };
        match self {
            Self::NotFound => page(
                StatusCode::NOT_FOUND,
                "Page not found",
                "There is no such page in the console.",
            ),
            Self::Refused(status, message) => Html(
                status,
                bare_page(
                    "Request refused",
                    html! {
                        h1 { "Request refused" }
                        (alert(&message))
                        p { a href="/console/" { "Back to the console" } }
                    },
                ),
            )
            .into_response(),
            Self::Forbidden => page(
                StatusCode::FORBIDDEN,
                "Forbidden",
                "This form was not sent from this console's page, or its page is too old. \
                 Nothing was changed: go back, reload the page, and try again.",
            ),
            Self::RateLimited(after) => {
                let mut response = page(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too many sign-in attempts",
                    "Too many sign-in attempts from this address. Wait a minute, then try again.",
                );
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(after));
                response
            }
            Self::Internal(detail) => {
                let mut response = page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The server could not answer this request. It has been logged.",
                );
                response
                    .extensions_mut()
                    .insert(InternalErrorDetail(format!("{detail:#}")));
                response
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc() {
        assert_eq!(date(0), "1970-01-01 00:00 UTC");
        assert_eq!(date(1_700_000_000), "2023-11-14 22:13 UTC");
        assert_eq!(date(951_782_400), "2000-02-29 00:00 UTC");
    }

    #[test]
    fn page_links_follow_the_direction_read() {
        let ids = ["a", "b"];
        let first = PageLinks::new(&ids, true, false, false);
        assert_eq!((first.before, first.after.as_deref()), (None, Some("b")));
        let middle = PageLinks::new(&ids, true, true, false);
        assert_eq!(middle.before.as_deref(), Some("a"));
        let back_to_start = PageLinks::new(&ids, false, true, true);
        assert_eq!(
            (back_to_start.before, back_to_start.after.as_deref()),
            (None, Some("b"))
        );
    }

    #[test]
    fn values_are_escaped() {
        let page = bare_page("<x>", html! { p { ("\"><img src=x>") } });
        let page = page.into_string();
        assert!(!page.contains("<img"), "{page}");
        assert!(page.contains("&lt;x&gt;"));
    }
}
