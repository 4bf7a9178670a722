//! The web console (`/console/`): sessions and their security, and the People and Admin keys
//! pages, driven over HTTP as a browser without JavaScript would (forms, cookies, redirects
//! not followed so that each answer can be checked).

use std::sync::{Arc, Mutex};

use orgusers_server::{AccessEntry, AccessLog, AppState, Limits};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::HeaderMap;
use serde_json::json;

use crate::harness::*;

on_both_stores!(
    sign_in_sets_a_strict_session_cookie,
    a_bad_key_is_refused_without_a_session,
    sessions_end_when_idle_or_too_old,
    sign_out_ends_the_session,
    a_revoked_key_ends_its_sessions,
    forged_posts_are_refused_and_change_nothing,
    hostile_names_and_emails_are_escaped,
    security_headers_are_on_every_answer,
    sign_in_is_rate_limited,
    people_search_role_filter_and_pages,
    role_change_and_the_last_owner,
    removal_asks_then_removes,
    admin_key_created_shows_its_value_once,
    console_changes_are_audited_with_the_session_key,
);

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// One answer of the console.
#[derive(Debug)]
pub(crate) struct Page {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
}

impl Page {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub(crate) fn location(&self) -> Option<&str> {
        self.header("location")
    }

    /// The value of the hidden `csrf` field of the page.
    pub(crate) fn csrf(&self) -> String {
        let at = self
            .body
            .find(r#"name="csrf" value=""#)
            .unwrap_or_else(|| panic!("no csrf field in {}", self.body));
        let rest = &self.body[at + r#"name="csrf" value=""#.len()..];
        rest[..rest.find('"').unwrap()].to_owned()
    }

    /// The security headers every console answer has.
    #[track_caller]
    pub(crate) fn assert_secure(&self) {
        assert_eq!(
            self.header("content-security-policy"),
            Some(CSP),
            "{self:?}"
        );
        assert_eq!(self.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(self.header("referrer-policy"), Some("same-origin"));
        assert_eq!(self.header("x-frame-options"), Some("DENY"));
    }

    /// A page: HTML, secure, not cached.
    #[track_caller]
    pub(crate) fn assert_page(&self, status: u16) {
        assert_eq!(self.status, status, "{}", self.body);
        self.assert_secure();
        assert_eq!(self.header("cache-control"), Some("no-store"));
        if status != 303 {
            assert_eq!(
                self.header("content-type"),
                Some("text/html; charset=utf-8")
            );
            assert!(self.body.starts_with("<!DOCTYPE html><html lang=\"en\">"));
        }
    }
}

pub(crate) fn form_body(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(name, value)| {
            format!(
                "{}={}",
                utf8_percent_encode(name, NON_ALPHANUMERIC),
                utf8_percent_encode(value, NON_ALPHANUMERIC)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A browser: the console's cookie, if signed in.
pub(crate) struct Browser {
    pub(crate) base: String,
    pub(crate) client: reqwest::Client,
    pub(crate) cookie: Option<String>,
}

impl Browser {
    pub(crate) fn new(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookie: None,
        }
    }

    pub(crate) async fn send(&self, request: reqwest::RequestBuilder) -> Page {
        let request = match &self.cookie {
            Some(cookie) => request.header("cookie", cookie),
            None => request,
        };
        let response = request.send().await.expect("request sent");
        Page {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.text().await.expect("body"),
        }
    }

    pub(crate) async fn get(&self, path: &str) -> Page {
        self.send(self.client.get(format!("{}{path}", self.base)))
            .await
    }

    pub(crate) async fn post_with(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Page {
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(fields));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request).await
    }

    pub(crate) async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.post_with(path, fields, &[]).await
    }

    /// Signs in with `key`; keeps the cookie.
    pub(crate) async fn sign_in(&mut self, key: &str) -> Page {
        let page = self.post("/console/sign-in", &[("key", key)]).await;
        if let Some(set) = page.header("set-cookie") {
            self.cookie = Some(set.split(';').next().unwrap().to_owned());
        }
        page
    }

    /// A signed-in browser.
    pub(crate) async fn signed_in(base: &str, key: &str) -> Self {
        let mut browser = Self::new(base);
        let page = browser.sign_in(key).await;
        assert_eq!(page.status, 303, "{}", page.body);
        assert_eq!(page.location(), Some("/console/people"));
        browser
    }

    /// The CSRF token of the session, from a page that has forms.
    pub(crate) async fn csrf(&self) -> String {
        self.get("/console/people").await.csrf()
    }
}

/// Runs SQL on the test's database (SQLite file or PostgreSQL database).
pub(crate) async fn execute(app: &TestApp, sqlite: &str, postgres: &str) {
    let url = &app.test_store.url;
    if let Some(path) = url.strip_prefix("sqlite://") {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .unwrap();
        conn.execute_batch(sqlite).unwrap();
    } else {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        client.batch_execute(postgres).await.unwrap();
    }
}

async fn session_count(app: &TestApp) -> i64 {
    let url = &app.test_store.url;
    if let Some(path) = url.strip_prefix("sqlite://") {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.query_row("SELECT count(*) FROM console_sessions", [], |r| r.get(0))
            .unwrap()
    } else {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        client
            .query_one("SELECT count(*) FROM console_sessions", &[])
            .await
            .unwrap()
            .get(0)
    }
}

fn people() -> Vec<serde_json::Value> {
    vec![
        json!({"id": "user-ada", "email": "ada@example.com", "name": "Ada Lovelace",
               "added_at": 1_700_000_000, "role": "owner"}),
        json!({"id": "user-bob", "email": "bob@example.com", "name": "Bob Builder",
               "added_at": 1_700_000_001, "role": "reader"}),
        json!({"id": "user-pct", "email": "pct@example.com", "name": "Percent 100% Sure",
               "added_at": 1_700_000_002, "role": "reader"}),
    ]
}

async fn sign_in_sets_a_strict_session_cookie(app: TestApp) {
    let mut browser = Browser::new(&app.base);
    // Signed out: pages send to the sign-in page.
    let page = browser.get("/console/people").await;
    page.assert_page(303);
    assert_eq!(page.location(), Some("/console/sign-in"));
    let page = browser.get("/console/").await;
    assert_eq!(page.location(), Some("/console/sign-in"));
    let form = browser.get("/console/sign-in").await;
    form.assert_page(200);
    assert!(form.body.contains(r#"<label for="key">"#), "{}", form.body);
    assert!(form.body.contains(r#"type="password" autocomplete="off""#));

    let page = browser.sign_in(KEY).await;
    page.assert_page(303);
    assert_eq!(page.location(), Some("/console/people"));
    let cookie = page.header("set-cookie").unwrap();
    assert!(cookie.starts_with("orgusers_console="), "{cookie}");
    assert!(
        cookie.ends_with("; HttpOnly; SameSite=Strict; Path=/console"),
        "{cookie}"
    );
    let token = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("orgusers_console=");
    assert_eq!(token.len(), 43, "32 bytes, base64url: {token}");
    assert!(!cookie.contains("Secure"));
    // Signed in: the root goes to People, and so does the sign-in page.
    assert_eq!(
        browser.get("/console/").await.location(),
        Some("/console/people")
    );
    assert_eq!(
        browser.get("/console/sign-in").await.location(),
        Some("/console/people")
    );
    let people = browser.get("/console/people").await;
    people.assert_page(200);
    assert!(
        people.body.contains(app.org.as_str()),
        "the organization is shown"
    );
    assert!(
        people
            .body
            .contains("<title>People · orgusers console</title>")
    );

    // Behind a TLS proxy, the cookie is Secure.
    let tls = Browser::new(&app.base)
        .post_with(
            "/console/sign-in",
            &[("key", KEY)],
            &[("x-forwarded-proto", "https")],
        )
        .await;
    assert_eq!(tls.status, 303);
    assert!(
        tls.header("set-cookie")
            .unwrap()
            .ends_with("; Path=/console; Secure"),
        "{:?}",
        tls.header("set-cookie")
    );
}

async fn a_bad_key_is_refused_without_a_session(app: TestApp) {
    let browser = Browser::new(&app.base);
    let wrong = "sk-admin-not-a-key-00000000000000000000000000000";
    for key in [wrong, "", OTHER_KEY.trim_end_matches('D')] {
        let page = browser.post("/console/sign-in", &[("key", key)]).await;
        page.assert_page(401);
        assert!(page.header("set-cookie").is_none());
        assert!(page.body.contains("That key is not valid"), "{}", page.body);
        assert!(page.body.contains(r#"role="alert""#));
        if !key.is_empty() {
            assert!(!page.body.contains(key), "the key is not echoed");
        }
        // The form comes back empty.
        assert!(!page.body.contains("value=\"sk-"));
    }
    assert_eq!(session_count(&app).await, 0);
}

async fn sessions_end_when_idle_or_too_old(app: TestApp) {
    // Idle for 31 minutes: ended, and its row deleted.
    let idle = Browser::signed_in(&app.base, KEY).await;
    assert_eq!(idle.get("/console/people").await.status, 200);
    let backdate = "UPDATE console_sessions SET last_seen_at = last_seen_at - 1860";
    execute(&app, backdate, backdate).await;
    let page = idle.get("/console/people").await;
    assert_eq!(page.location(), Some("/console/sign-in"), "{}", page.body);
    assert_eq!(session_count(&app).await, 0);

    // Busy but signed in 12 hours ago: ended too.
    let old = Browser::signed_in(&app.base, KEY).await;
    assert_eq!(old.get("/console/people").await.status, 200);
    let backdate = "UPDATE console_sessions SET created_at = created_at - 43201";
    execute(&app, backdate, backdate).await;
    assert_eq!(
        old.get("/console/people").await.location(),
        Some("/console/sign-in")
    );

    // Used 29 minutes ago: still alive.
    let alive = Browser::signed_in(&app.base, KEY).await;
    let backdate = "UPDATE console_sessions SET last_seen_at = last_seen_at - 1740, \
                    created_at = created_at - 1740";
    execute(&app, backdate, backdate).await;
    assert_eq!(alive.get("/console/people").await.status, 200);
}

async fn sign_out_ends_the_session(app: TestApp) {
    let browser = Browser::signed_in(&app.base, KEY).await;
    let csrf = browser.csrf().await;
    // Without the token: refused, still signed in.
    browser
        .post("/console/sign-out", &[])
        .await
        .assert_page(403);
    assert_eq!(browser.get("/console/people").await.status, 200);

    let page = browser.post("/console/sign-out", &[("csrf", &csrf)]).await;
    page.assert_page(303);
    assert_eq!(page.location(), Some("/console/sign-in"));
    let cleared = page.header("set-cookie").unwrap();
    assert!(cleared.starts_with("orgusers_console=;"), "{cleared}");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    // The old cookie opens nothing.
    assert_eq!(
        browser.get("/console/people").await.location(),
        Some("/console/sign-in")
    );
    assert_eq!(session_count(&app).await, 0);
}

async fn a_revoked_key_ends_its_sessions(app: TestApp) {
    let created = app
        .post(
            "/v1/organization/admin_api_keys",
            r#"{"name": "temporary"}"#,
        )
        .await;
    let value = created.body["value"].as_str().unwrap().to_owned();
    let id = created.body["id"].as_str().unwrap().to_owned();
    let browser = Browser::signed_in(&app.base, &value).await;
    let page = browser.get("/console/people").await;
    assert!(page.body.contains("temporary"), "the key's name is shown");
    assert!(page.body.contains(&id));
    assert!(!page.body.contains(&value), "never its value");

    let deleted = app
        .delete(&format!("/v1/organization/admin_api_keys/{id}"))
        .await;
    assert_eq!(deleted.status, 200);
    assert_eq!(
        browser.get("/console/people").await.location(),
        Some("/console/sign-in")
    );
    assert_eq!(session_count(&app).await, 0);
}

async fn forged_posts_are_refused_and_change_nothing(app: TestApp) {
    app.import(&people()).await;
    let browser = Browser::signed_in(&app.base, KEY).await;
    let csrf = browser.csrf().await;
    let path = "/console/people/user-bob/role";
    for fields in [
        vec![("role", "owner")],
        vec![("role", "owner"), ("csrf", "forged")],
        vec![("role", "owner"), ("csrf", "")],
    ] {
        let page = browser.post(path, &fields).await;
        page.assert_page(403);
        assert!(page.body.contains("Nothing was changed"));
    }
    // The right token from another origin: refused too.
    let origin = browser
        .post_with(
            path,
            &[("role", "owner"), ("csrf", &csrf)],
            &[("origin", "https://evil.example")],
        )
        .await;
    origin.assert_page(403);
    let bob = app.get("/v1/organization/users/user-bob").await;
    assert_eq!(bob.body["role"], "reader", "nothing changed");
    // Sign-in from another origin (login CSRF): refused, no session.
    let login = Browser::new(&app.base)
        .post_with(
            "/console/sign-in",
            &[("key", KEY)],
            &[("origin", "https://evil.example")],
        )
        .await;
    login.assert_page(403);
    assert!(login.header("set-cookie").is_none());
    // From this origin, it works.
    let own_origin = app.base.clone();
    let page = browser
        .post_with(
            path,
            &[("role", "owner"), ("csrf", &csrf)],
            &[("origin", &own_origin)],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let bob = app.get("/v1/organization/users/user-bob").await;
    assert_eq!(bob.body["role"], "owner");
}

async fn hostile_names_and_emails_are_escaped(app: TestApp) {
    app.import(&[json!({"id": "user-evil", "email": "evil@example.com",
                        "name": "<script>alert(1)</script>", "added_at": 1_700_000_000,
                        "role": "owner"})])
        .await;
    // The directory's email rules would refuse this address: it is written into the row, as a
    // store another tool filled might hold it.
    let hostile = r#"UPDATE users SET email = 'x"><img src=x>@example.com' WHERE id = 'user-evil'"#;
    execute(&app, hostile, hostile).await;
    let browser = Browser::signed_in(&app.base, KEY).await;
    for path in [
        "/console/people",
        "/console/people/user-evil",
        "/console/people/user-evil/remove",
        "/console/people?q=%3Cscript%3E",
    ] {
        let page = browser.get(path).await;
        page.assert_page(200);
        assert!(
            !page.body.contains("<script>alert"),
            "{path}: {}",
            page.body
        );
        assert!(!page.body.contains("<img"), "{path}: {}", page.body);
        assert!(
            page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{path}"
        );
    }
    let list = browser.get("/console/people").await;
    assert!(
        list.body
            .contains("x&quot;&gt;&lt;img src=x&gt;@example.com"),
        "{}",
        list.body
    );
    // The search box shows the query escaped too.
    let search = browser.get("/console/people?q=%22%3E%3Cb%3E").await;
    assert!(
        search.body.contains(r#"value="&quot;&gt;&lt;b&gt;""#),
        "{}",
        search.body
    );
}

async fn security_headers_are_on_every_answer(app: TestApp) {
    let anonymous = Browser::new(&app.base);
    anonymous.get("/console/sign-in").await.assert_page(200);
    anonymous.get("/console/people").await.assert_page(303);
    let missing = anonymous.get("/console/no-such-page").await;
    missing.assert_page(404);
    assert!(missing.body.contains("Page not found"));
    anonymous
        .post("/console/sign-in", &[("key", "nope")])
        .await
        .assert_page(401);

    let browser = Browser::signed_in(&app.base, KEY).await;
    browser.get("/console/people").await.assert_page(200);
    browser.get("/console/admin-keys").await.assert_page(200);
    browser
        .get("/console/people/user-none")
        .await
        .assert_page(404);
    browser.get("/console/nothing/here").await.assert_page(404);
    browser
        .post("/console/people/x/role", &[])
        .await
        .assert_page(403);
    let wrong_method = browser
        .send(
            browser
                .client
                .delete(format!("{}/console/people", app.base)),
        )
        .await;
    wrong_method.assert_page(404);

    for (path, content_type) in [
        ("/console/assets/console.css", "text/css; charset=utf-8"),
        (
            "/console/assets/console.js",
            "text/javascript; charset=utf-8",
        ),
    ] {
        let asset = anonymous.get(path).await;
        assert_eq!(asset.status, 200);
        asset.assert_secure();
        assert_eq!(asset.header("content-type"), Some(content_type));
        assert!(asset.header("cache-control").unwrap().contains("max-age="));
    }
    // No inline script or style anywhere.
    let page = browser.get("/console/people").await;
    assert!(!page.body.contains("<style"));
    assert!(!page.body.contains(" style="));
    assert!(
        page.body
            .contains(r#"<script src="/console/assets/console.js" defer></script>"#)
    );
    assert!(
        page.body
            .contains(r##"<a class="skip-link" href="#main">"##)
    );
    assert!(page.body.contains(r#"<main id="main""#));
    assert!(page.body.contains("<nav aria-label=\"Main\">"));
    // The emulator's entry shows with the control endpoints.
    assert!(page.body.contains(r#"href="/console/emulator""#));
}

async fn sign_in_is_rate_limited(app: TestApp) {
    let browser = Browser::new(&app.base);
    for _ in 0..10 {
        let page = browser.post("/console/sign-in", &[("key", "wrong")]).await;
        assert_eq!(page.status, 401);
    }
    let limited = browser.post("/console/sign-in", &[("key", KEY)]).await;
    limited.assert_page(429);
    let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert!(
        limited.header("set-cookie").is_none(),
        "not even the right key"
    );
}

async fn people_search_role_filter_and_pages(app: TestApp) {
    app.import(&people()).await;
    let browser = Browser::signed_in(&app.base, KEY).await;
    let ids = |page: &Page| -> Vec<String> {
        page.body
            .match_indices("href=\"/console/people/")
            .map(|(at, _)| {
                let rest = &page.body[at + "href=\"/console/people/".len()..];
                rest[..rest.find('"').unwrap()].to_owned()
            })
            .collect()
    };
    let all = browser.get("/console/people").await;
    all.assert_page(200);
    assert_eq!(ids(&all), ["user-ada", "user-bob", "user-pct"]);
    assert!(all.body.contains(r#"<label for="q">"#));
    assert!(all.body.contains(r#"<label for="role-filter">"#));
    // Name or email, any case.
    assert_eq!(
        ids(&browser.get("/console/people?q=LOVELACE").await),
        ["user-ada"]
    );
    assert_eq!(
        ids(&browser.get("/console/people?q=bob%40ex").await),
        ["user-bob"]
    );
    // `%` and `_` are letters, not wildcards.
    assert_eq!(
        ids(&browser.get("/console/people?q=%25").await),
        ["user-pct"]
    );
    assert!(ids(&browser.get("/console/people?q=_").await).is_empty());
    let none = browser.get("/console/people?q=nobody").await;
    assert!(none.body.contains("No users match this search."));
    // The role filter, alone and with a search.
    assert_eq!(
        ids(&browser.get("/console/people?role=reader").await),
        ["user-bob", "user-pct"]
    );
    assert_eq!(
        ids(&browser.get("/console/people?role=owner&q=a").await),
        ["user-ada"]
    );
    // The API's list is unchanged.
    assert_eq!(app.get("/v1/organization/users").await.ids().len(), 3);

    // Pages of 25, forwards then back.
    app.import(&users(30)).await;
    let first = browser.get("/console/people?role=reader").await;
    let first_ids = ids(&first);
    assert_eq!(first_ids.len(), 25);
    assert!(!first.body.contains("rel=\"prev\""));
    let next = first
        .body
        .split("rel=\"next\" href=\"")
        .nth(1)
        .map(|rest| rest[..rest.find('"').unwrap()].replace("&amp;", "&"))
        .expect("a next link");
    assert!(
        next.contains("role=reader") && next.contains("after="),
        "{next}"
    );
    let second = browser.get(&next).await;
    let second_ids = ids(&second);
    assert_eq!(
        second_ids.len(),
        31 - 25,
        "30 readers and Bob and Pct, less the owner"
    );
    assert!(!second.body.contains("rel=\"next\""));
    let previous = second
        .body
        .split("rel=\"prev\" href=\"")
        .nth(1)
        .map(|rest| rest[..rest.find('"').unwrap()].replace("&amp;", "&"))
        .expect("a previous link");
    assert!(previous.contains("before="), "{previous}");
    let back = browser.get(&previous).await;
    assert_eq!(ids(&back), first_ids);
    assert!(!back.body.contains("rel=\"prev\""), "back at the start");
}

async fn role_change_and_the_last_owner(app: TestApp) {
    app.import(&people()).await;
    let browser = Browser::signed_in(&app.base, KEY).await;
    let detail = browser.get("/console/people/user-bob").await;
    detail.assert_page(200);
    assert!(
        detail
            .body
            .contains("<title>Bob Builder · People · orgusers console</title>")
    );
    assert!(detail.body.contains(r#"<label for="role">Role</label>"#));
    assert!(detail.body.contains("Change role"));
    let csrf = detail.csrf();

    let page = browser
        .post(
            "/console/people/user-bob/role",
            &[("role", "owner"), ("csrf", &csrf)],
        )
        .await;
    page.assert_page(303);
    assert_eq!(page.location(), Some("/console/people/user-bob"));
    let after = browser.get("/console/people/user-bob").await;
    assert!(
        after
            .body
            .contains(r#"role="status">Bob Builder is now owner.</div>"#),
        "{}",
        after.body
    );
    // The flash shows once.
    let again = browser.get("/console/people/user-bob").await;
    assert!(!again.body.contains("is now owner"));

    // Two owners: Ada can go. Then Bob is the last one.
    let page = browser
        .post(
            "/console/people/user-ada/role",
            &[("role", "reader"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(page.status, 303);
    let refused = browser
        .post(
            "/console/people/user-bob/role",
            &[("role", "reader"), ("csrf", &csrf)],
        )
        .await;
    refused.assert_page(400);
    assert!(
        refused
            .body
            .contains(r#"role="alert">An organization must keep at least one owner.</div>"#),
        "{}",
        refused.body
    );
    let bob = app.get("/v1/organization/users/user-bob").await;
    assert_eq!(bob.body["role"], "owner");
    // A role that is neither.
    let bad = browser
        .post(
            "/console/people/user-bob/role",
            &[("role", "admin"), ("csrf", &csrf)],
        )
        .await;
    bad.assert_page(400);
    assert!(bad.body.contains("Choose a role"));
    // An unknown user.
    browser
        .post(
            "/console/people/user-nobody/role",
            &[("role", "owner"), ("csrf", &csrf)],
        )
        .await
        .assert_page(404);
}

async fn removal_asks_then_removes(app: TestApp) {
    app.import(&people()).await;
    let browser = Browser::signed_in(&app.base, KEY).await;
    let confirm = browser.get("/console/people/user-bob/remove").await;
    confirm.assert_page(200);
    assert!(confirm.body.contains("Remove Bob Builder?"));
    assert!(confirm.body.contains(">Remove user</button>"));
    let csrf = confirm.csrf();
    let page = browser
        .post("/console/people/user-bob/remove", &[("csrf", &csrf)])
        .await;
    page.assert_page(303);
    assert_eq!(page.location(), Some("/console/people"));
    let list = browser.get("/console/people").await;
    assert!(
        list.body
            .contains(r#"role="status">Removed Bob Builder from the organization.</div>"#),
        "{}",
        list.body
    );
    assert!(!list.body.contains("user-bob"));
    assert_eq!(app.get("/v1/organization/users/user-bob").await.status, 404);
    // The last owner cannot be removed: the message says why.
    let refused = browser
        .post("/console/people/user-ada/remove", &[("csrf", &csrf)])
        .await;
    refused.assert_page(400);
    assert!(
        refused
            .body
            .contains("An organization must keep at least one owner.")
    );
    assert_eq!(app.get("/v1/organization/users/user-ada").await.status, 200);
}

async fn admin_key_created_shows_its_value_once(app: TestApp) {
    let browser = Browser::signed_in(&app.base, KEY).await;
    let list = browser.get("/console/admin-keys").await;
    list.assert_page(200);
    assert!(list.body.contains(r#"<label for="key-name">Name</label>"#));
    assert!(list.body.contains(">Create key</button>"));
    let csrf = list.csrf();
    // A refusal keeps the form, and says why.
    let refused = browser
        .post(
            "/console/admin-keys",
            &[
                ("name", "ci"),
                ("expires_in", "400"),
                ("expires_unit", "days"),
                ("csrf", &csrf),
            ],
        )
        .await;
    refused.assert_page(400);
    assert!(refused.body.contains("between 1 second and a year"));

    let created = browser
        .post(
            "/console/admin-keys",
            &[
                ("name", "ci"),
                ("expires_in", "2"),
                ("expires_unit", "days"),
                ("csrf", &csrf),
            ],
        )
        .await;
    created.assert_page(200);
    let marker = r#"id="new-key-value" type="text" readonly value=""#;
    let at = created
        .body
        .find(marker)
        .unwrap_or_else(|| panic!("{}", created.body));
    let rest = &created.body[at + marker.len()..];
    let value = rest[..rest.find('"').unwrap()].to_owned();
    assert!(value.starts_with("sk-admin-"), "{value}");
    // The key works against the API, and the console never shows it again.
    assert_eq!(
        app.get_as(&value, "/v1/organization/users").await.status,
        200
    );
    let list = browser.get("/console/admin-keys").await;
    assert!(!list.body.contains(&value));
    assert!(list.body.contains(">ci"));
    assert!(
        list.body
            .contains(&format!("sk-admin-...{}", &value[value.len() - 4..]))
    );

    // Deletion asks, then the key opens nothing.
    let keys = app.get("/v1/organization/admin_api_keys").await;
    let id = keys.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "ci")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let confirm = browser
        .get(&format!("/console/admin-keys/{id}/delete"))
        .await;
    confirm.assert_page(200);
    assert!(confirm.body.contains(">Delete key</button>"));
    let page = browser
        .post(
            &format!("/console/admin-keys/{id}/delete"),
            &[("csrf", &csrf)],
        )
        .await;
    page.assert_page(303);
    assert_eq!(page.location(), Some("/console/admin-keys"));
    assert!(
        browser
            .get("/console/admin-keys")
            .await
            .body
            .contains("Deleted the admin key ci")
    );
    assert_eq!(
        app.get_as(&value, "/v1/organization/users").await.status,
        401
    );
}

async fn console_changes_are_audited_with_the_session_key(app: TestApp) {
    app.import(&people()).await;
    let created = app
        .post("/v1/organization/admin_api_keys", r#"{"name": "auditor"}"#)
        .await;
    let value = created.body["value"].as_str().unwrap().to_owned();
    let key_id = created.body["id"].as_str().unwrap().to_owned();
    let browser = Browser::signed_in(&app.base, &value).await;
    let csrf = browser.csrf().await;
    let page = browser
        .post(
            "/console/people/user-bob/role",
            &[("role", "owner"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(page.status, 303);
    let org = app.org.as_str().to_owned();
    let url = app.test_store.url.clone();
    let actor: Option<String> = if let Some(path) = url.strip_prefix("sqlite://") {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.query_row(
            "SELECT a.actor_key_id FROM audit_log_entries AS a JOIN organizations AS o ON o.seq = a.org \
             WHERE o.id = ?1 AND a.type = 'user.updated' ORDER BY a.seq DESC LIMIT 1",
            [&org],
            |r| r.get(0),
        )
        .unwrap()
    } else {
        let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        client
            .query_one(
                "SELECT actor_key_id FROM audit_log WHERE org_id = $1 AND type = 'user.updated' \
                 ORDER BY seq DESC LIMIT 1",
                &[&org],
            )
            .await
            .unwrap()
            .get(0)
    };
    assert_eq!(actor.as_deref(), Some(key_id.as_str()));
    // Console requests are not `/v1` requests: the journal has none of them.
    let journal = app.get("/_orgusers/requests").await;
    assert!(
        !journal.body.to_string().contains("/console"),
        "{}",
        journal.body
    );
}

/// Every request line the server writes.
#[derive(Default)]
struct Lines(Mutex<Vec<String>>);

impl AccessLog for Lines {
    fn record(&self, entry: &AccessEntry<'_>) {
        self.0.lock().unwrap().push(format!(
            "{} {} {} {}",
            entry.request_id, entry.method, entry.path, entry.status
        ));
    }
}

/// A server on `store` with `state` made from it, its address.
pub(crate) async fn spawn_with_state(
    store: &TestStore,
    state: impl FnOnce(Arc<dyn orgusers_store::Store>) -> AppState,
) -> (String, tokio::sync::oneshot::Sender<()>) {
    let store = store.open().await;
    let org = store.ensure_organization(None).await.unwrap();
    store
        .ensure_key(&org, &orgusers_store::AdminKey::parse(KEY).unwrap())
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let app = orgusers_server::router(state(store), Limits::default());
    tokio::spawn(async move {
        let _ = orgusers_server::serve(listener, app, Limits::default(), async {
            let _ = rx.await;
        })
        .await;
    });
    (base, tx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_is_in_no_answer_and_no_log_line() {
    let store = TestStore::fresh(StoreKind::Sqlite).await.unwrap();
    let lines = Arc::new(Lines::default());
    let log = Arc::clone(&lines);
    let (base, _stop) =
        spawn_with_state(&store, move |s| AppState::new(s).with_access_log(log)).await;
    let mut browser = Browser::new(&base);
    let mut bodies = vec![browser.get("/console/sign-in").await.body];
    let failed = browser
        .post("/console/sign-in", &[("key", &format!("{KEY}x"))])
        .await;
    bodies.push(failed.body);
    let signed_in = browser.sign_in(KEY).await;
    assert_eq!(signed_in.status, 303);
    assert!(!signed_in.header("set-cookie").unwrap().contains(KEY));
    for path in ["/console/people", "/console/admin-keys", "/console/nope"] {
        bodies.push(browser.get(path).await.body);
    }
    for body in &bodies {
        assert!(!body.contains(KEY), "{body}");
        assert!(!body.contains(&KEY[..20]), "{body}");
    }
    let lines = lines.0.lock().unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("POST /console/sign-in 303")),
        "{lines:?}"
    );
    assert!(lines.iter().all(|l| !l.contains(&KEY[..20])), "{lines:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_console_its_paths_are_unknown() {
    let store = TestStore::fresh(StoreKind::Sqlite).await.unwrap();
    let (base, _stop) = spawn_with_state(&store, |s| AppState::new(s).without_console()).await;
    let browser = Browser::new(&base);
    for path in [
        "/console/",
        "/console/sign-in",
        "/console/assets/console.css",
    ] {
        let page = browser.get(path).await;
        assert_eq!(page.status, 404, "{path}");
        assert!(
            page.body.contains("Invalid URL"),
            "the API's unknown path: {}",
            page.body
        );
    }
    assert_eq!(
        browser
            .post("/console/sign-in", &[("key", KEY)])
            .await
            .status,
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_prints_the_console_and_no_console_removes_it() {
    let store = TestStore::fresh(StoreKind::Sqlite).await.unwrap();
    let mut server = ServerProcess::start(&store.url, &["--admin-key", KEY]);
    let line = (0..10)
        .map(|_| server.next_line())
        .find(|line| line.starts_with("console: "))
        .expect("the console's address");
    assert_eq!(line, format!("console: {}/console/", server.base));
    let page = Browser::new(&server.base).get("/console/sign-in").await;
    assert_eq!(page.status, 200);
    drop(server);

    for (args, env) in [
        (&["--admin-key", KEY, "--no-console"][..], None),
        (
            &["--admin-key", KEY][..],
            Some(("ORGUSERS_NO_CONSOLE", "true")),
        ),
    ] {
        let mut command = orgusers();
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--database", &store.url])
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null());
        if let Some((name, value)) = env {
            command.env(name, value);
        }
        let mut child = command.spawn().unwrap();
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
        let base = first
            .trim()
            .strip_prefix("listening on ")
            .unwrap()
            .to_owned();
        let page = Browser::new(&base).get("/console/sign-in").await;
        assert_eq!(page.status, 404, "{args:?} {env:?}");
        let _ = child.kill();
        let _ = child.wait();
    }
}
