//! Roles, users' roles and groups against a scripted local server: the requests each call sends,
//! the answers it reads, and the pager of the cursor-style lists.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::{StreamExt, TryStreamExt};
use orgusers_api::roles::{RoleCreate, RoleUpdate};
use serde_json::{Value, json};

use crate::scripted_tests::{serve, user};
use crate::{Client, Error, Order, PageParams};

/// One request as the server saw it: method, path and query as sent, JSON body if any.
pub(crate) type Seen = (String, String, Option<Value>);

#[derive(Clone, Default)]
struct Recorder {
    /// Answered in turn, one per request (status, body); the last one repeats.
    answers: Arc<Vec<(u16, Value)>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

async fn record(
    State(recorder): State<Recorder>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    assert_eq!(headers["authorization"], "Bearer sk-admin-test");
    let body = (!body.is_empty()).then(|| {
        assert_eq!(headers["content-type"], "application/json");
        serde_json::from_slice(&body).unwrap()
    });
    let target = uri.path_and_query().unwrap().as_str().to_owned();
    let n = {
        let mut seen = recorder.seen.lock().unwrap();
        seen.push((method.to_string(), target, body));
        seen.len() - 1
    };
    let (status, answer) = &recorder.answers[n.min(recorder.answers.len() - 1)];
    let mut response = (
        StatusCode::from_u16(*status).unwrap(),
        axum::Json(answer.clone()),
    )
        .into_response();
    response
        .headers_mut()
        .insert("x-request-id", format!("req_{n}").parse().unwrap());
    response
}

/// A server that answers `answers` in turn to any request and records what it was sent.
pub(crate) async fn recording_server(
    answers: Vec<(u16, Value)>,
) -> (Client, Arc<Mutex<Vec<Seen>>>) {
    let recorder = Recorder {
        answers: Arc::new(answers),
        seen: Arc::default(),
    };
    let seen = Arc::clone(&recorder.seen);
    let app = Router::new().fallback(record).with_state(recorder);
    let client = Client::builder(serve(app).await, "sk-admin-test")
        .max_retries(0)
        .build()
        .unwrap();
    (client, seen)
}

pub(crate) fn seen(method: &str, target: &str, body: Option<Value>) -> Seen {
    (method.to_owned(), format!("/v1{target}"), body)
}

fn role(id: &str) -> Value {
    json!({"object": "role", "id": id, "name": format!("Role {id}"), "description": null,
           "permissions": ["api.users.read"], "resource_type": "api.organization",
           "predefined_role": false})
}

fn assigned(id: &str) -> Value {
    json!({"id": id, "name": format!("Role {id}"), "permissions": ["api.users.read"],
           "resource_type": "api.organization", "predefined_role": false, "description": null,
           "created_at": 1, "updated_at": 1, "created_by": null, "created_by_user_obj": null,
           "metadata": {},
           "assignment_sources": [{"principal_id": "u-1", "principal_type": "user"}]})
}

fn group(id: &str) -> Value {
    json!({"id": id, "name": format!("Group {id}"), "created_at": 7, "is_scim_managed": false,
           "group_type": "group"})
}

pub(crate) fn list(data: Vec<Value>, next: Option<&str>) -> Value {
    json!({"object": "list", "data": data, "has_more": next.is_some(), "next": next})
}

#[tokio::test]
async fn roles_are_listed_created_changed_and_deleted() {
    let (client, log) = recording_server(vec![
        (200, list(vec![role("role_a")], None)),
        (200, role("role_b")),
        (200, role("role_b")),
        (200, role("role_b")),
        (
            200,
            json!({"object": "role.deleted", "id": "role_b", "deleted": true}),
        ),
    ])
    .await;
    let roles = client.roles();
    let page = roles
        .list(&PageParams {
            limit: Some(10),
            ..PageParams::default()
        })
        .await
        .unwrap();
    assert_eq!((page.data[0].id.as_str(), page.has_more), ("role_a", false));
    let create = RoleCreate {
        role_name: "Support".into(),
        permissions: vec!["api.users.read".into(), "api.groups.read".into()],
        description: Some("Answers tickets".into()),
    };
    assert_eq!(roles.create(&create).await.unwrap().id, "role_b");
    let update = RoleUpdate {
        permissions: Some(vec!["api.users.write".into()]),
        ..RoleUpdate::default()
    };
    roles.update("role_b", &update).await.unwrap();
    assert_eq!(roles.retrieve("role/b").await.unwrap().name, "Role role_b");
    let deleted = roles.delete("role_b").await.unwrap();
    assert!(deleted.deleted && deleted.id == "role_b");
    assert_eq!(
        *log.lock().unwrap(),
        [
            seen("GET", "/organization/roles?limit=10", None),
            seen(
                "POST",
                "/organization/roles",
                Some(
                    json!({"role_name": "Support", "permissions": ["api.users.read", "api.groups.read"],
                            "description": "Answers tickets"})
                )
            ),
            // Only what changes is sent.
            seen(
                "POST",
                "/organization/roles/role_b",
                Some(json!({"permissions": ["api.users.write"]}))
            ),
            seen("GET", "/organization/roles/role%2Fb", None),
            seen("DELETE", "/organization/roles/role_b", None),
        ]
    );
}

#[tokio::test]
async fn user_roles_are_assigned_listed_and_unassigned() {
    let (client, log) = recording_server(vec![
        (
            200,
            json!({"object": "user.role", "user": user("u 1"), "role": role("role_a")}),
        ),
        (200, list(vec![assigned("role_a")], Some("cursor-1"))),
        (200, assigned("role_a")),
        (200, json!({"object": "user.role.deleted", "deleted": true})),
    ])
    .await;
    let roles = client.users().roles("u 1");
    let assignment = roles.assign("role_a").await.unwrap();
    assert_eq!(
        (assignment.user.id.as_str(), assignment.role.id.as_str()),
        ("u 1", "role_a")
    );
    let page = roles
        .list(&PageParams {
            order: Some(Order::Desc),
            ..PageParams::default()
        })
        .await
        .unwrap();
    assert_eq!(page.next.as_deref(), Some("cursor-1"));
    let sources = page.data[0].assignment_sources.as_ref().unwrap();
    assert_eq!(sources[0].principal_type, "user");
    assert_eq!(roles.retrieve("role_a").await.unwrap().id, "role_a");
    assert!(roles.unassign("role_a").await.unwrap().deleted);
    assert_eq!(
        *log.lock().unwrap(),
        [
            seen(
                "POST",
                "/organization/users/u%201/roles",
                Some(json!({"role_id": "role_a"}))
            ),
            seen("GET", "/organization/users/u%201/roles?order=desc", None),
            seen("GET", "/organization/users/u%201/roles/role_a", None),
            seen("DELETE", "/organization/users/u%201/roles/role_a", None),
        ]
    );
}

#[tokio::test]
async fn groups_are_created_renamed_and_deleted() {
    let (client, log) = recording_server(vec![
        (200, group("group_a")),
        (
            200,
            json!({"id": "group_a", "name": "Ops", "created_at": 7, "is_scim_managed": false}),
        ),
        (
            404,
            json!({"error": {"message": "No such group: group_x", "type": "invalid_request_error",
                             "param": "group_id", "code": null}}),
        ),
        (
            200,
            json!({"object": "group.deleted", "id": "group_a", "deleted": true}),
        ),
    ])
    .await;
    let groups = client.groups();
    assert_eq!(groups.create("Support").await.unwrap().id, "group_a");
    assert_eq!(groups.rename("group_a", "Ops").await.unwrap().name, "Ops");
    let err = groups.retrieve("group_x").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "No such group: group_x (HTTP 404, request req_2)"
    );
    assert_eq!(
        err.api_error().and_then(|e| e.param.as_deref()),
        Some("group_id")
    );
    assert_eq!(groups.delete("group_a").await.unwrap().id, "group_a");
    assert_eq!(
        *log.lock().unwrap(),
        [
            seen(
                "POST",
                "/organization/groups",
                Some(json!({"name": "Support"}))
            ),
            seen(
                "POST",
                "/organization/groups/group_a",
                Some(json!({"name": "Ops"}))
            ),
            seen("GET", "/organization/groups/group_x", None),
            seen("DELETE", "/organization/groups/group_a", None),
        ]
    );
}

#[tokio::test]
async fn group_members_are_added_shown_listed_and_removed() {
    let (client, log) = recording_server(vec![
        (
            200,
            json!({"object": "group.user", "user_id": "u-1", "group_id": "group_a"}),
        ),
        (
            200,
            json!({"id": "u-1", "name": "Ada", "email": "ada@x.io", "picture": null,
                   "is_service_account": false, "user_type": "user"}),
        ),
        (
            200,
            list(
                vec![json!({"id": "u-1", "name": "Ada", "email": "ada@x.io"})],
                None,
            ),
        ),
        (
            200,
            json!({"object": "group.user.deleted", "deleted": true}),
        ),
    ])
    .await;
    let members = client.groups().users("group_a");
    let added = members.add("u-1").await.unwrap();
    assert_eq!(
        (added.user_id.as_str(), added.group_id.as_str()),
        ("u-1", "group_a")
    );
    assert_eq!(members.retrieve("u-1").await.unwrap().user_type, "user");
    let page = members
        .list(&PageParams {
            after: Some("c".into()),
            ..PageParams::default()
        })
        .await
        .unwrap();
    assert_eq!(page.data[0].email.as_deref(), Some("ada@x.io"));
    assert_eq!(
        members.remove("u-1").await.unwrap().object,
        "group.user.deleted"
    );
    assert_eq!(
        *log.lock().unwrap(),
        [
            seen(
                "POST",
                "/organization/groups/group_a/users",
                Some(json!({"user_id": "u-1"}))
            ),
            seen("GET", "/organization/groups/group_a/users/u-1", None),
            seen("GET", "/organization/groups/group_a/users?after=c", None),
            seen("DELETE", "/organization/groups/group_a/users/u-1", None),
        ]
    );
}

#[tokio::test]
async fn group_roles_are_assigned_shown_and_unassigned() {
    let (client, log) = recording_server(vec![
        (
            200,
            json!({"object": "group.role", "role": role("role_a"),
                   "group": {"object": "group", "id": "group_a", "name": "Ops", "created_at": 7,
                             "scim_managed": false}}),
        ),
        (200, assigned("role_a")),
        (
            200,
            json!({"object": "group.role.deleted", "deleted": true}),
        ),
    ])
    .await;
    let roles = client.groups().roles("group_a");
    let assignment = roles.assign("role_a").await.unwrap();
    assert_eq!(
        (assignment.group.id.as_str(), assignment.role.id.as_str()),
        ("group_a", "role_a")
    );
    assert_eq!(roles.retrieve("role_a").await.unwrap().name, "Role role_a");
    assert!(roles.unassign("role_a").await.unwrap().deleted);
    assert_eq!(
        *log.lock().unwrap(),
        [
            seen(
                "POST",
                "/organization/groups/group_a/roles",
                Some(json!({"role_id": "role_a"}))
            ),
            seen("GET", "/organization/groups/group_a/roles/role_a", None),
            seen("DELETE", "/organization/groups/group_a/roles/role_a", None),
        ]
    );
}

/// A server of 7 groups, paged by `limit`, `order` and an opaque `after` cursor (`cursor-N`
/// names the N-th group of the order asked for); it records the queries it saw.
async fn paging_server(seen: Arc<Mutex<Vec<String>>>) -> Client {
    async fn list_groups(
        State(seen): State<Arc<Mutex<Vec<String>>>>,
        RawQuery(query): RawQuery,
    ) -> axum::Json<Value> {
        let query = query.unwrap_or_default();
        seen.lock().unwrap().push(query.clone());
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        let limit: usize = get("limit").map_or(2, |l| l.parse().unwrap());
        let mut ids: Vec<String> = (0..7).map(|i| format!("group_{i}")).collect();
        if get("order").as_deref() == Some("desc") {
            ids.reverse();
        }
        let start = get("after").map_or(0, |a| {
            a.strip_prefix("cursor-").unwrap().parse::<usize>().unwrap() + 1
        });
        let page: Vec<Value> = ids[start..]
            .iter()
            .take(limit)
            .map(|id| group(id))
            .collect();
        let end = start + page.len();
        let next = (end < ids.len()).then(|| format!("cursor-{}", end - 1));
        axum::Json(list(page, next.as_deref()))
    }
    let app = Router::new()
        .route("/v1/organization/groups", get(list_groups))
        .with_state(seen);
    Client::builder(serve(app).await, "sk-admin-test")
        .build()
        .unwrap()
}

#[tokio::test]
async fn list_all_follows_next_until_has_more_is_false() {
    let seen = Arc::default();
    let client = paging_server(Arc::clone(&seen)).await;
    let params = PageParams {
        limit: Some(3),
        order: Some(Order::Desc),
        after: None,
    };
    let groups: Vec<_> = client
        .groups()
        .list_all(params)
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<_> = groups.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "group_6", "group_5", "group_4", "group_3", "group_2", "group_1", "group_0"
        ]
    );
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "limit=3&order=desc",
            "limit=3&order=desc&after=cursor-2",
            "limit=3&order=desc&after=cursor-5",
        ]
    );

    // From a cursor on, at the server's page size.
    seen.lock().unwrap().clear();
    let rest: Vec<_> = client
        .groups()
        .list_all(PageParams {
            after: Some("cursor-3".into()),
            ..PageParams::default()
        })
        .map_ok(|g| g.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rest, ["group_4", "group_5", "group_6"]);
    assert_eq!(*seen.lock().unwrap(), ["after=cursor-3", "after=cursor-5"]);
}

#[tokio::test]
async fn list_all_stops_at_has_more_false_and_after_an_error() {
    // A `next` on the last page is not followed.
    let (client, log) = recording_server(vec![(
        200,
        json!({"object": "list", "data": [group("group_a")], "has_more": false,
               "next": "cursor-x"}),
    )])
    .await;
    let all: Vec<_> = client
        .groups()
        .users("group_a")
        .list_all(PageParams::default())
        .collect()
        .await;
    assert_eq!(all.len(), 1);
    assert_eq!(log.lock().unwrap().len(), 1);

    // `has_more` without a `next` (as `limit=0` answers) ends the walk too.
    let (client, log) = recording_server(vec![(
        200,
        json!({"object": "list", "data": [], "has_more": true, "next": null}),
    )])
    .await;
    let none: Vec<_> = client
        .roles()
        .list_all(PageParams {
            limit: Some(0),
            ..PageParams::default()
        })
        .try_collect()
        .await
        .unwrap();
    assert!(none.is_empty());
    assert_eq!(log.lock().unwrap().len(), 1);

    // The items of the pages before an error, then the error, then the end.
    let (client, log) = recording_server(vec![
        (
            200,
            list(vec![assigned("role_a"), assigned("role_b")], Some("c-1")),
        ),
        (
            400,
            json!({"error": {"message": "Invalid 'after': not a cursor of this list.",
                             "type": "invalid_request_error", "param": "after", "code": null}}),
        ),
        (200, list(vec![assigned("role_c")], None)),
    ])
    .await;
    let items: Vec<Result<_, Error>> = client
        .groups()
        .roles("group_a")
        .list_all(PageParams::default())
        .collect()
        .await;
    assert_eq!(items.len(), 3);
    assert_eq!(items[1].as_ref().unwrap().id, "role_b");
    assert_eq!(items[2].as_ref().unwrap_err().status(), Some(400));
    assert_eq!(
        log.lock().unwrap().last().unwrap().1,
        "/v1/organization/groups/group_a/roles?after=c-1"
    );
}
