//! Invites: creation and its refusals, reads, the list walk, deletion, expiry by the
//! organization's clock, and acceptance through the control endpoint.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::*;

const INVITES: &str = "/v1/organization/invites";
const PROJECTS: &str = "/v1/organization/projects";
const CLOCK: &str = "/_orgusers/clock";
/// A moment well ahead of real time, so that freezing there never moves the clock back.
const AHEAD: i64 = 4_000_000_000;
const WEEK: i64 = 7 * 24 * 3600;

fn invite_path(id: &str) -> String {
    format!("{INVITES}/{id}")
}

fn accept_path(id: &str) -> String {
    format!("/_orgusers/invites/{id}/accept")
}

fn id_of(body: &Value) -> String {
    body["id"].as_str().expect("an id").to_owned()
}

/// Sends an invite as `key`; the whole answer, which must be a 200.
async fn invite_as(app: &TestApp, key: &str, body: Value) -> Value {
    let r = app.post_as(key, INVITES, &body.to_string()).await;
    assert_eq!(r.status, 200, "{body}: {}", r.body);
    r.body
}

async fn invite(app: &TestApp, body: Value) -> Value {
    invite_as(app, KEY, body).await
}

async fn project(app: &TestApp, name: &str) -> String {
    let r = app.post(PROJECTS, &json!({"name": name}).to_string()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    id_of(&r.body)
}

async fn default_project_as(app: &TestApp, key: &str) -> String {
    let list = app.get_as(key, PROJECTS).await;
    let data = list.body["data"].as_array().unwrap();
    let default = data.iter().find(|p| p["name"] == "Default project");
    id_of(default.expect("a Default project"))
}

async fn default_project(app: &TestApp) -> String {
    default_project_as(app, KEY).await
}

async fn archive(app: &TestApp, project: &str) {
    let r = app.post(&format!("{PROJECTS}/{project}/archive"), "").await;
    assert_eq!(r.status, 200, "{}", r.body);
}

/// Freezes the organization's clock of `key` at `at`.
async fn freeze_as(app: &TestApp, key: &str, at: i64) {
    let r = app
        .post_as(key, CLOCK, &json!({ "now": at }).to_string())
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

async fn advance(app: &TestApp, seconds: i64) {
    let r = app
        .post(CLOCK, &json!({ "advance_seconds": seconds }).to_string())
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

/// The status of an invite as retrieve and the list both read it.
async fn status_of(app: &TestApp, id: &str) -> String {
    let read = app.get(&invite_path(id)).await;
    assert_eq!(read.status, 200, "{}", read.body);
    let list = app.get(&format!("{INVITES}?limit=100")).await;
    let listed = list.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .cloned()
        .expect("listed");
    assert_eq!(listed, read.body, "the list and retrieve agree");
    read.body["status"].as_str().unwrap().to_owned()
}

/// Accepts an invite through the control endpoint with a raw body (`None`: no body and no
/// Content-Type).
async fn accept_as(app: &TestApp, key: &str, id: &str, body: Option<&str>) -> Reply {
    app.send(
        Method::POST,
        &accept_path(id),
        Some(key),
        body.map(|b| b.as_bytes().to_vec()),
        &[],
    )
    .await
}

async fn accept(app: &TestApp, id: &str, body: Option<&str>) -> Reply {
    accept_as(app, KEY, id, body).await
}

on_both_stores!(
    invites_are_sent_with_their_projects,
    invite_bodies_are_checked,
    invites_are_refused_by_the_state,
    invites_are_read_or_not_found,
    invite_lists_walk_under_deletions,
    invites_are_deleted_unless_accepted,
    invites_expire_by_the_organization_clock,
    accepting_makes_the_user,
    acceptance_is_refused_when_it_cannot_happen,
    acceptance_bodies_are_checked,
    invites_stay_in_their_organization,
);

async fn invites_are_sent_with_their_projects(app: TestApp) {
    freeze_as(&app, KEY, AHEAD).await;
    let default = default_project(&app).await;
    let sent = invite(&app, json!({"email": "Ada@Example.com", "role": "reader"})).await;
    let id = id_of(&sent);
    let tail = id.strip_prefix("invite-").unwrap();
    assert!(
        tail.len() == 24 && tail.chars().all(|c| c.is_ascii_alphanumeric()),
        "{id}"
    );
    assert_eq!(
        sent,
        json!({
            "object": "organization.invite",
            "id": id,
            "email": "Ada@Example.com",
            "role": "reader",
            "status": "pending",
            "created_at": AHEAD,
            "expires_at": AHEAD + WEEK,
            "accepted_at": null,
            "projects": [{"id": default, "role": "member"}],
        })
    );
    assert_eq!(app.get(&invite_path(&id)).await.body, sent);

    // `projects: null` is the same as leaving it out; `[]` grants nothing.
    let null = invite(
        &app,
        json!({"email": "nul@example.com", "role": "owner", "projects": null}),
    )
    .await;
    assert_eq!(null["projects"], json!([{"id": default, "role": "member"}]));
    assert_eq!(null["role"], "owner");
    let none = invite(
        &app,
        json!({"email": "none@example.com", "role": "reader", "projects": []}),
    )
    .await;
    assert_eq!(none["projects"], json!([]));

    // Listed projects keep their order and roles.
    let search = project(&app, "Search").await;
    let listed = json!([
        {"id": search, "role": "owner"},
        {"id": default, "role": "member"},
    ]);
    let explicit = invite(
        &app,
        json!({"email": "grace@example.com", "role": "reader", "projects": listed}),
    )
    .await;
    assert_eq!(explicit["projects"], listed);
    assert_eq!(
        app.get(&invite_path(&id_of(&explicit))).await.body,
        explicit
    );

    let all = app.get(INVITES).await;
    assert_eq!(all.body["data"].as_array().unwrap().len(), 4);
    assert_eq!(all.body["has_more"], false);
    let mut expected = vec![id.clone(), id_of(&null), id_of(&none), id_of(&explicit)];
    expected.sort();
    assert_eq!(
        all.ids(),
        expected,
        "one second: ties in byte order of the id"
    );
}

async fn invite_bodies_are_checked(app: TestApp) {
    let search = project(&app, "Search").await;
    let cases: Vec<(Value, Option<&str>, Option<&str>, String)> = vec![
        (
            json!({"email": "nope", "role": "reader"}),
            Some("email"),
            Some("invalid_value"),
            "Invalid 'email': \"nope\" is not an email address.".into(),
        ),
        (
            json!({"email": "a@", "role": "reader"}),
            Some("email"),
            Some("invalid_value"),
            "Invalid 'email': \"a@\" is not an email address.".into(),
        ),
        (
            json!({"role": "reader"}),
            Some("email"),
            Some("missing_required_parameter"),
            "Missing required parameter: 'email'.".into(),
        ),
        (
            json!({"email": "a@x.io"}),
            Some("role"),
            Some("missing_required_parameter"),
            "Missing required parameter: 'role'.".into(),
        ),
        (
            json!({"email": "a@x.io", "role": "admin"}),
            Some("role"),
            Some("invalid_value"),
            "Invalid 'role': expected one of 'owner' or 'reader', but got 'admin' instead.".into(),
        ),
        (
            json!({"email": "a@x.io", "role": "member"}),
            Some("role"),
            Some("invalid_value"),
            "Invalid 'role': expected one of 'owner' or 'reader', but got 'member' instead."
                .into(),
        ),
        (
            json!({"email": 5, "role": "reader"}),
            Some("email"),
            Some("invalid_type"),
            "Invalid type for 'email': expected a string, but got an integer instead.".into(),
        ),
        (
            json!({"email": null, "role": "reader"}),
            Some("email"),
            Some("invalid_type"),
            "Invalid type for 'email': expected a string, but got null instead.".into(),
        ),
        (
            json!({"email": "a@x.io", "role": true}),
            Some("role"),
            Some("invalid_type"),
            "Invalid type for 'role': expected a string, but got a boolean instead.".into(),
        ),
        (
            json!({"email": "a@x.io", "role": "reader", "projects": "proj_x"}),
            Some("projects"),
            Some("invalid_type"),
            "Invalid type for 'projects': expected an array, but got a string instead.".into(),
        ),
        (
            json!({"email": "a@x.io", "role": "reader", "projects": [search]}),
            Some("projects[0]"),
            Some("invalid_type"),
            "Invalid type for 'projects[0]': expected an object, but got a string instead.".into(),
        ),
        (
            json!({"email": "a@x.io", "role": "reader", "projects": [{"id": search}]}),
            Some("projects[0].role"),
            Some("missing_required_parameter"),
            "Missing required parameter: 'projects[0].role'.".into(),
        ),
        (
            json!({"email": "a@x.io", "role": "reader", "projects": [{"role": "member"}]}),
            Some("projects[0].id"),
            Some("missing_required_parameter"),
            "Missing required parameter: 'projects[0].id'.".into(),
        ),
        (
            json!({"email": "a@x.io", "role": "reader",
                   "projects": [{"id": search, "role": "member"}, {"id": 7, "role": "member"}]}),
            Some("projects[1].id"),
            Some("invalid_type"),
            "Invalid type for 'projects[1].id': expected a string, but got an integer instead."
                .into(),
        ),
        (
            json!({"email": "a@x.io", "role": "reader", "projects": [{"id": search, "role": "reader"}]}),
            Some("projects[0].role"),
            Some("invalid_value"),
            "Invalid 'projects[0].role': expected one of 'owner' or 'member', but got 'reader' instead."
                .into(),
        ),
        (
            json!({"email": "a@x.io", "role": "reader",
                   "projects": [{"id": search, "role": "member", "name": "Search"}]}),
            Some("projects[0].name"),
            None,
            "Unrecognized request argument supplied: projects[0].name".into(),
        ),
        (
            json!({"email": "a@x.io", "role": "reader",
                   "projects": [{"id": search, "role": "member"}, {"id": search, "role": "owner"}]}),
            Some("projects"),
            Some("invalid_value"),
            format!("Invalid 'projects': project {search} is listed twice."),
        ),
        (
            json!({"email": "a@x.io", "role": "reader", "status": "accepted"}),
            Some("status"),
            None,
            "Unrecognized request argument supplied: status".into(),
        ),
    ];
    for (body, param, code, message) in &cases {
        app.post(INVITES, &body.to_string())
            .await
            .assert_error(400, *param, *code, message);
    }
    for bad in ["", "[]", "not json", r#""a@x.io""#] {
        app.post(INVITES, bad).await.assert_error(
            400,
            None,
            None,
            "We could not parse the JSON body of your request. The API expects a JSON payload.",
        );
    }
    // Nothing refused was written.
    assert!(app.get(INVITES).await.ids().is_empty());
}

async fn invites_are_refused_by_the_state(app: TestApp) {
    app.import(&[user_line("ada", "ada@example.com", 1_700_000_000, "owner")])
        .await;
    let taken = app
        .post(INVITES, r#"{"email":"ADA@Example.COM","role":"reader"}"#)
        .await;
    taken.assert_error(
        400,
        Some("email"),
        None,
        "'ADA@Example.COM' is already the email of user ada of this organization.",
    );

    let first = invite(
        &app,
        json!({"email": "grace@example.com", "role": "reader"}),
    )
    .await;
    let again = app
        .post(INVITES, r#"{"email":"Grace@EXAMPLE.com","role":"owner"}"#)
        .await;
    again.assert_error(
        400,
        Some("email"),
        None,
        &format!(
            "'Grace@EXAMPLE.com' already has a pending invite: {}.",
            id_of(&first)
        ),
    );

    let archived = project(&app, "Old").await;
    archive(&app, &archived).await;
    let body = json!({"email": "new@example.com", "role": "reader",
                      "projects": [{"id": archived, "role": "member"}]});
    app.post(INVITES, &body.to_string()).await.assert_error(
        400,
        Some("projects"),
        None,
        &format!("Project {archived} is archived: an invite can only grant active projects."),
    );
    let other_orgs = default_project_as(&app, OTHER_KEY).await;
    for unknown in ["proj_nope", other_orgs.as_str()] {
        let body = json!({"email": "new@example.com", "role": "reader",
                          "projects": [{"id": unknown, "role": "member"}]});
        app.post(INVITES, &body.to_string()).await.assert_error(
            400,
            Some("projects"),
            Some("invalid_value"),
            &format!("Invalid 'projects': no project with id '{unknown}' in this organization."),
        );
    }
    assert_eq!(app.get(INVITES).await.ids(), [id_of(&first)]);

    // Once the pending invite is gone (expired, or deleted), the address may be invited again.
    advance(&app, WEEK).await;
    let second = invite(
        &app,
        json!({"email": "grace@example.com", "role": "reader"}),
    )
    .await;
    assert_eq!(status_of(&app, &id_of(&first)).await, "expired");
    let deleted = app.delete(&invite_path(&id_of(&second))).await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    invite(&app, json!({"email": "GRACE@example.com", "role": "owner"})).await;
    // An accepted invite's user holds the address.
    let accepted = invite(
        &app,
        json!({"email": "hopper@example.com", "role": "reader"}),
    )
    .await;
    assert_eq!(accept(&app, &id_of(&accepted), None).await.status, 200);
    app.post(INVITES, r#"{"email":"hopper@example.com","role":"reader"}"#)
        .await
        .assert_error(
            400,
            Some("email"),
            None,
            &format!(
                "'hopper@example.com' is already the email of user {} of this organization.",
                app.get("/v1/organization/users?emails=hopper@example.com")
                    .await
                    .ids()[0]
            ),
        );
}

async fn invites_are_read_or_not_found(app: TestApp) {
    for id in ["invite-nope", "x", "invite-%20"] {
        let shown = id.replace("%20", " ");
        let message = format!("No such invite: {shown}");
        app.get(&invite_path(id))
            .await
            .assert_error(404, Some("invite_id"), None, &message);
        app.delete(&invite_path(id))
            .await
            .assert_error(404, Some("invite_id"), None, &message);
        accept(&app, id, None)
            .await
            .assert_error(404, Some("invite_id"), None, &message);
    }
    // Trailing slashes and unknown methods are unknown URLs.
    app.get(&format!("{INVITES}/")).await.assert_error(
        404,
        None,
        None,
        "Invalid URL (GET /v1/organization/invites/)",
    );
    app.post(&invite_path("invite-x"), "{}").await.assert_error(
        404,
        None,
        None,
        "Invalid URL (POST /v1/organization/invites/invite-x)",
    );
    let empty = app.get(INVITES).await;
    assert_eq!(
        empty.body,
        json!({"object": "list", "data": [], "first_id": null, "last_id": null, "has_more": false})
    );
}

async fn invite_lists_walk_under_deletions(app: TestApp) {
    freeze_as(&app, KEY, AHEAD).await;
    let mut sent = Vec::new();
    for i in 0..7 {
        // Two invites a second: ties are ordered by id.
        if i % 2 == 0 {
            advance(&app, 1).await;
        }
        let body = invite(
            &app,
            json!({"email": format!("u{i}@example.com"), "role": "reader"}),
        )
        .await;
        sent.push((body["created_at"].as_i64().unwrap(), id_of(&body)));
    }
    sent.sort();
    let order: Vec<String> = sent.into_iter().map(|(_, id)| id).collect();
    for limit in [1, 2, 3, 7, 100] {
        let walked: Vec<String> = walk_first(&app, INVITES, limit)
            .await
            .iter()
            .map(id_of)
            .collect();
        assert_eq!(walked, order, "limit {limit}");
    }
    let page = app
        .get(&format!("{INVITES}?limit=2&after={}", order[2]))
        .await;
    assert_eq!(page.ids(), order[3..5]);
    assert_eq!(page.body["has_more"], true);
    assert_eq!(page.body["first_id"], order[3].as_str());
    assert_eq!(page.body["last_id"], order[4].as_str());
    // The invite an `after` names is deleted: the walk goes on where it was.
    assert_eq!(app.delete(&invite_path(&order[2])).await.status, 200);
    let again = app
        .get(&format!("{INVITES}?limit=2&after={}", order[2]))
        .await;
    assert_eq!(again.ids(), order[3..5]);
    let rest = walk_first_from(&app, INVITES, 2, Some(order[2].clone())).await;
    assert_eq!(rest.iter().map(id_of).collect::<Vec<_>>(), order[3..]);

    app.get(&format!("{INVITES}?after=invite-nope"))
        .await
        .assert_error(
            400,
            Some("after"),
            Some("invalid_value"),
            "Invalid 'after': no invite with id 'invite-nope'.",
        );
    let last = app.get(&format!("{INVITES}?after={}", order[6])).await;
    assert_eq!(last.ids(), Vec::<String>::new());
    assert_eq!(last.body["has_more"], false);
    assert_eq!(last.body["first_id"], Value::Null);
    for (query, param) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=x", "limit"),
    ] {
        let r = app.get(&format!("{INVITES}?{query}")).await;
        assert_eq!(r.status, 400, "{query}: {}", r.body);
        assert_eq!(r.body["error"]["param"], param);
    }
}

/// Walks a first/last list from the start.
async fn walk_first(app: &TestApp, path: &str, limit: usize) -> Vec<Value> {
    walk_first_from(app, path, limit, None).await
}

/// Walks a first/last list at page size `limit` from after `after`, checking each envelope.
async fn walk_first_from(
    app: &TestApp,
    path: &str,
    limit: usize,
    mut after: Option<String>,
) -> Vec<Value> {
    let mut items = Vec::new();
    loop {
        let mut page_path = format!("{path}?limit={limit}");
        if let Some(a) = &after {
            page_path.push_str(&format!("&after={a}"));
        }
        let page = app.get(&page_path).await;
        assert_eq!(page.status, 200, "{page_path}: {}", page.body);
        let data = page.body["data"].as_array().unwrap().clone();
        match (data.first(), data.last()) {
            (Some(f), Some(l)) => assert_eq!(
                (&page.body["first_id"], &page.body["last_id"]),
                (&f["id"], &l["id"])
            ),
            _ => assert_eq!(page.body["first_id"], Value::Null),
        }
        items.extend(data.iter().cloned());
        if page.body["has_more"] != true {
            return items;
        }
        assert_eq!(data.len(), limit);
        after = Some(page.body["last_id"].as_str().unwrap().to_owned());
    }
}

async fn invites_are_deleted_unless_accepted(app: TestApp) {
    let pending = invite(&app, json!({"email": "p@example.com", "role": "reader"})).await;
    let path = invite_path(&id_of(&pending));
    let deleted = app.delete(&path).await;
    assert_eq!(
        deleted.body,
        json!({"object": "organization.invite.deleted", "id": id_of(&pending), "deleted": true})
    );
    let gone = format!("No such invite: {}", id_of(&pending));
    app.get(&path)
        .await
        .assert_error(404, Some("invite_id"), None, &gone);
    app.delete(&path)
        .await
        .assert_error(404, Some("invite_id"), None, &gone);
    accept(&app, &id_of(&pending), None)
        .await
        .assert_error(404, Some("invite_id"), None, &gone);
    assert!(app.get(INVITES).await.ids().is_empty());

    // The SDKs send a JSON Content-Type and an empty body with a delete: ignored.
    let expired = invite(&app, json!({"email": "e@example.com", "role": "reader"})).await;
    let accepted = invite(&app, json!({"email": "a@example.com", "role": "owner"})).await;
    assert_eq!(accept(&app, &id_of(&accepted), None).await.status, 200);
    advance(&app, WEEK).await;
    assert_eq!(status_of(&app, &id_of(&expired)).await, "expired");
    let deleted = app
        .send(
            Method::DELETE,
            &invite_path(&id_of(&expired)),
            Some(KEY),
            Some(Vec::new()),
            &[],
        )
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert_eq!(deleted.body["object"], "organization.invite.deleted");

    let accepted_path = invite_path(&id_of(&accepted));
    app.delete(&accepted_path).await.assert_error(
        400,
        None,
        None,
        &format!(
            "Invite {} has been accepted and cannot be deleted.",
            id_of(&accepted)
        ),
    );
    assert_eq!(status_of(&app, &id_of(&accepted)).await, "accepted");
    assert_eq!(app.get(INVITES).await.ids(), [id_of(&accepted)]);
}

async fn invites_expire_by_the_organization_clock(app: TestApp) {
    freeze_as(&app, KEY, AHEAD).await;
    let sent = invite(&app, json!({"email": "late@example.com", "role": "reader"})).await;
    let id = id_of(&sent);
    assert_eq!(sent["expires_at"], AHEAD + WEEK);
    // The other organization's clock runs apart.
    let elsewhere = invite_as(
        &app,
        OTHER_KEY,
        json!({"email": "late@example.com", "role": "reader"}),
    )
    .await;
    advance(&app, WEEK - 1).await;
    assert_eq!(status_of(&app, &id).await, "pending");
    advance(&app, 1).await;
    assert_eq!(status_of(&app, &id).await, "expired");
    let read = app.get(&invite_path(&id)).await.body;
    assert_eq!(
        (&read["expires_at"], &read["accepted_at"]),
        (&json!(AHEAD + WEEK), &Value::Null)
    );
    let other = app
        .get_as(OTHER_KEY, &invite_path(&id_of(&elsewhere)))
        .await;
    assert_eq!(other.body["status"], "pending");

    accept(&app, &id, None).await.assert_error(
        400,
        None,
        None,
        &format!(
            "Invite {id} expired at {} and can no longer be accepted.",
            AHEAD + WEEK
        ),
    );
    assert_eq!(status_of(&app, &id).await, "expired");
    assert!(
        app.get("/v1/organization/users?emails=late@example.com")
            .await
            .ids()
            .is_empty()
    );
}

async fn accepting_makes_the_user(app: TestApp) {
    app.import(&users(2)).await;
    freeze_as(&app, KEY, AHEAD).await;
    let default = default_project(&app).await;
    let search = project(&app, "Search").await;
    let docs = project(&app, "Docs").await;
    let sent = invite(
        &app,
        json!({"email": "Zoë@Example.com", "role": "owner", "projects": [
            {"id": search, "role": "owner"},
            {"id": docs, "role": "member"},
            {"id": default, "role": "member"},
        ]}),
    )
    .await;
    // A project archived after the invite was sent is left out of the memberships.
    archive(&app, &docs).await;
    advance(&app, 3600).await;
    let accepted_at = AHEAD + 3600;

    let r = accept(&app, &id_of(&sent), Some(r#"{"name":"Zoë Kim"}"#)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let user = r.body;
    assert_full_user(&user);
    let user_id = id_of(&user);
    let tail = user_id.strip_prefix("user-").unwrap();
    assert!(
        tail.len() == 24 && tail.chars().all(|c| c.is_ascii_alphanumeric()),
        "{user_id}"
    );
    assert_eq!(user["object"], "organization.user");
    assert_eq!(user["email"], "Zoë@Example.com");
    assert_eq!(user["name"], "Zoë Kim");
    assert_eq!(user["role"], "owner");
    assert_eq!(user["added_at"], accepted_at);
    assert_eq!(user["created"], accepted_at);
    assert_eq!(user["is_default"], false);
    assert_eq!(user["user"]["enabled"], true);
    assert_eq!(user["user"]["banned"], false);
    // Projects oldest first: the Default project, then Search.
    assert_eq!(
        user["projects"],
        json!({"object": "list", "data": [
            {"id": default, "name": "Default project", "role": "member"},
            {"id": search, "name": "Search", "role": "owner"},
        ]})
    );
    let read = app.get(&format!("/v1/organization/users/{user_id}")).await;
    assert_eq!(
        read.body, user,
        "the answer is the user as retrieve shows it"
    );
    let listed = app
        .get("/v1/organization/users?emails=zoë@example.com")
        .await;
    assert_eq!(listed.body["data"], json!([user]));

    let members = app.get(&format!("{PROJECTS}/{search}/users")).await;
    let member = members.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == user_id.as_str())
        .cloned()
        .expect("a member of Search");
    assert_eq!(
        member,
        json!({"object": "organization.project.user", "id": user_id, "name": "Zoë Kim",
               "email": "Zoë@Example.com", "role": "owner", "added_at": accepted_at})
    );
    let docs_members = app.get(&format!("{PROJECTS}/{docs}/users?limit=100")).await;
    assert!(!docs_members.ids().contains(&user_id));

    let invite_now = app.get(&invite_path(&id_of(&sent))).await.body;
    let mut expected = sent.clone();
    expected["status"] = "accepted".into();
    expected["accepted_at"] = accepted_at.into();
    assert_eq!(invite_now, expected, "the invite keeps what it granted");
    assert_eq!(status_of(&app, &id_of(&sent)).await, "accepted");

    accept(&app, &id_of(&sent), None).await.assert_error(
        400,
        None,
        None,
        &format!("Invite {} has already been accepted.", id_of(&sent)),
    );
    // Still accepted after the week: an accepted invite never expires.
    advance(&app, WEEK).await;
    assert_eq!(status_of(&app, &id_of(&sent)).await, "accepted");

    // Without a name, with the SDKs' empty JSON body, or `{}`.
    for (n, body) in [None, Some(""), Some("{}"), Some(r#"{"name":null}"#)]
        .into_iter()
        .enumerate()
    {
        let email = format!("quiet{n}@example.com");
        let sent = invite(
            &app,
            json!({"email": email, "role": "reader", "projects": []}),
        )
        .await;
        let r = accept(&app, &id_of(&sent), body).await;
        assert_eq!(r.status, 200, "{body:?}: {}", r.body);
        assert_full_user(&r.body);
        assert_eq!(r.body["name"], Value::Null);
        assert_eq!(r.body["role"], "reader");
        assert_eq!(r.body["email"], email.as_str());
        assert_eq!(r.body["projects"], json!({"object": "list", "data": []}));
    }
}

async fn acceptance_is_refused_when_it_cannot_happen(app: TestApp) {
    let sent = invite(&app, json!({"email": "ada@example.com", "role": "reader"})).await;
    // The address became a user's after the invite was sent.
    app.import(&[
        user_line("owner", "owner@example.com", 1_700_000_000, "owner"),
        user_line("ada", "ADA@example.com", 1_700_000_000, "reader"),
    ])
    .await;
    accept(&app, &id_of(&sent), None).await.assert_error(
        400,
        None,
        None,
        "'ada@example.com' is already the email of user ada of this organization.",
    );
    assert_eq!(status_of(&app, &id_of(&sent)).await, "pending");
    // Once that user is deleted, the invite can be accepted.
    assert_eq!(app.delete("/v1/organization/users/ada").await.status, 200);
    let r = accept(&app, &id_of(&sent), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_ne!(r.body["id"], "ada");
}

async fn acceptance_bodies_are_checked(app: TestApp) {
    let sent = invite(&app, json!({"email": "ada@example.com", "role": "reader"})).await;
    let id = id_of(&sent);
    let cases: [(&str, Option<&str>, Option<&str>, &str); 5] = [
        (
            "[]",
            None,
            None,
            "We could not parse the JSON body of your request. The API expects a JSON payload.",
        ),
        (
            "not json",
            None,
            None,
            "We could not parse the JSON body of your request. The API expects a JSON payload.",
        ),
        (
            r#"{"name":5}"#,
            Some("name"),
            Some("invalid_type"),
            "Invalid type for 'name': expected a string, but got an integer instead.",
        ),
        (
            r#"{"name":["Ada"]}"#,
            Some("name"),
            Some("invalid_type"),
            "Invalid type for 'name': expected a string, but got an array instead.",
        ),
        (
            r#"{"name":"Ada","role":"owner"}"#,
            Some("role"),
            None,
            "Unrecognized request argument supplied: role",
        ),
    ];
    for (body, param, code, message) in cases {
        accept(&app, &id, Some(body))
            .await
            .assert_error(400, param, code, message);
    }
    // A body is checked before the invite is looked up.
    accept(&app, "invite-nope", Some("[]")).await.assert_error(
        400,
        None,
        None,
        "We could not parse the JSON body of your request. The API expects a JSON payload.",
    );
    assert_eq!(status_of(&app, &id).await, "pending");
    // Without a key: 401.
    let r = app
        .send(Method::POST, &accept_path(&id), None, None, &[])
        .await;
    assert_eq!(r.status, 401, "{}", r.body);
}

async fn invites_stay_in_their_organization(app: TestApp) {
    let mine = invite(&app, json!({"email": "ada@example.com", "role": "reader"})).await;
    let id = id_of(&mine);
    let message = format!("No such invite: {id}");
    app.get_as(OTHER_KEY, &invite_path(&id)).await.assert_error(
        404,
        Some("invite_id"),
        None,
        &message,
    );
    app.delete_as(OTHER_KEY, &invite_path(&id))
        .await
        .assert_error(404, Some("invite_id"), None, &message);
    accept_as(&app, OTHER_KEY, &id, None).await.assert_error(
        404,
        Some("invite_id"),
        None,
        &message,
    );
    assert!(app.get_as(OTHER_KEY, INVITES).await.ids().is_empty());
    app.get_as(OTHER_KEY, &format!("{INVITES}?after={id}"))
        .await
        .assert_error(
            400,
            Some("after"),
            Some("invalid_value"),
            &format!("Invalid 'after': no invite with id '{id}'."),
        );
    // The same address may be invited in each organization.
    let theirs = invite_as(
        &app,
        OTHER_KEY,
        json!({"email": "ada@example.com", "role": "owner"}),
    )
    .await;
    assert_eq!(
        theirs["projects"],
        json!([{"id": default_project_as(&app, OTHER_KEY).await, "role": "member"}])
    );
    let r = accept_as(&app, OTHER_KEY, &id_of(&theirs), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(status_of(&app, &id).await, "pending");
    assert_eq!(app.get(INVITES).await.ids(), [id]);
    assert!(
        app.get("/v1/organization/users?emails=ada@example.com")
            .await
            .ids()
            .is_empty()
    );
}
