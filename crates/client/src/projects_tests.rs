//! Projects, their users, service accounts, API keys and groups against a scripted local
//! server: the requests each call sends, the answers it reads, and the pager of the first/last
//! lists.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::Uri;
use futures_util::{StreamExt, TryStreamExt};
use orgusers_api::projects::{
    ProjectCreate, ProjectUpdate, ProjectUserAdd, ServiceAccountCreate, ServiceAccountKeyCreate,
    ServiceAccountUpdate,
};
use serde_json::{Value, json};

use crate::directory_tests::{list, recording_server, seen};
use crate::scripted_tests::serve;
use crate::{
    Client, Error, FirstLastParams, Order, OwnerProjectAccess, PageParams, ProjectApiKeyListParams,
    ProjectListParams,
};

fn project(id: &str) -> Value {
    json!({"id": id, "object": "organization.project", "name": format!("Project {id}"),
           "created_at": 1_711_471_533, "archived_at": null, "status": "active"})
}

fn project_user(id: &str) -> Value {
    json!({"object": "organization.project.user", "id": id, "name": format!("Name of {id}"),
           "email": format!("{id}@example.com"), "role": "member", "added_at": 1_711_471_533})
}

fn service_account(id: &str) -> Value {
    json!({"object": "organization.project.service_account", "id": id,
           "name": format!("Account {id}"), "role": "member", "created_at": 1_711_471_533})
}

fn secret_key(id: &str) -> Value {
    json!({"object": "organization.project.service_account.api_key",
           "value": "sk-svcacct-abcdefghijklmnopqrstuvwxyz0123456789abcdefghijkl",
           "name": "Secret key", "created_at": 1_711_471_533, "id": id})
}

fn api_key(id: &str) -> Value {
    json!({"object": "organization.project.api_key", "redacted_value": "sk-svcacct-...ijkl",
           "name": "Secret key", "created_at": 1_711_471_533, "last_used_at": null, "id": id,
           "owner_project_access": "active",
           "owner": {"type": "service_account",
                     "service_account": {"id": "svc_acct_a", "name": "Deployer",
                                         "created_at": 1_711_471_533, "role": "member"}}})
}

fn project_group(id: &str) -> Value {
    json!({"object": "project.group", "project_id": "proj_a", "group_id": id,
           "group_name": format!("Group {id}"), "group_type": "group",
           "created_at": 1_711_471_533})
}

/// A first/last page: `first_id` and `last_id` from the items' ids.
fn first_last(data: Vec<Value>, has_more: bool) -> Value {
    json!({"object": "list", "first_id": data.first().map(|item| item["id"].clone()),
           "last_id": data.last().map(|item| item["id"].clone()), "has_more": has_more,
           "data": data})
}

fn deleted(object: &str, id: &str) -> Value {
    json!({"object": object, "id": id, "deleted": true})
}

#[tokio::test]
async fn projects_are_listed_created_renamed_and_archived() {
    let mut archived = project("proj_b");
    archived["status"] = json!("archived");
    archived["archived_at"] = json!(1_711_471_600);
    let (client, log) = recording_server(vec![
        (200, first_last(vec![project("proj_a")], false)),
        (200, project("proj_b")),
        (200, project("proj_b")),
        (200, project("proj_b")),
        (200, archived),
    ])
    .await;
    let projects = client.projects();
    let page = projects
        .list(&ProjectListParams {
            limit: Some(10),
            include_archived: true,
            ..ProjectListParams::default()
        })
        .await
        .unwrap();
    assert_eq!(
        (
            page.data[0].id.as_str(),
            page.last_id.as_deref(),
            page.has_more
        ),
        ("proj_a", Some("proj_a"), false)
    );
    let create = ProjectCreate {
        name: "Billing".into(),
        external_key_id: None,
        residency: None,
    };
    assert_eq!(projects.create(&create).await.unwrap().id, "proj_b");
    let rename = ProjectUpdate {
        name: Some("Invoices".into()),
        ..ProjectUpdate::default()
    };
    projects.modify("proj_b", &rename).await.unwrap();
    assert_eq!(
        projects.retrieve("proj/b").await.unwrap().status.as_deref(),
        Some("active")
    );
    let archived = projects.archive("proj_b").await.unwrap();
    assert_eq!(
        (archived.status.as_deref(), archived.archived_at),
        (Some("archived"), Some(1_711_471_600))
    );
    assert_eq!(
        *log.lock().unwrap(),
        [
            seen(
                "GET",
                "/organization/projects?limit=10&include_archived=true",
                None
            ),
            // Only what is given is sent.
            seen(
                "POST",
                "/organization/projects",
                Some(json!({"name": "Billing"}))
            ),
            seen(
                "POST",
                "/organization/projects/proj_b",
                Some(json!({"name": "Invoices"}))
            ),
            seen("GET", "/organization/projects/proj%2Fb", None),
            // Archiving takes no body.
            seen("POST", "/organization/projects/proj_b/archive", None),
        ]
    );
}

#[tokio::test]
async fn project_users_are_added_by_id_or_email_changed_and_removed() {
    let mut owner = project_user("u-1");
    owner["role"] = json!("owner");
    let (client, log) = recording_server(vec![
        (200, project_user("u-1")),
        (200, project_user("u-2")),
        (200, first_last(vec![project_user("u-1")], true)),
        (200, project_user("u-1")),
        (200, owner),
        (200, deleted("organization.project.user.deleted", "u-1")),
    ])
    .await;
    let users = client.projects().users("proj_a");
    let by_id = ProjectUserAdd {
        user_id: Some("u-1".into()),
        email: None,
        role: "member".into(),
    };
    assert_eq!(users.add(&by_id).await.unwrap().id, "u-1");
    let by_email = ProjectUserAdd {
        user_id: None,
        email: Some("u-2@example.com".into()),
        role: "member".into(),
    };
    assert_eq!(
        users.add(&by_email).await.unwrap().email.as_deref(),
        Some("u-2@example.com")
    );
    let page = users
        .list(&FirstLastParams {
            limit: Some(1),
            after: Some("u-0".into()),
        })
        .await
        .unwrap();
    assert_eq!(
        (page.first_id.as_deref(), page.has_more),
        (Some("u-1"), true)
    );
    assert_eq!(users.retrieve("u 1").await.unwrap().role, "member");
    assert_eq!(users.modify("u-1", "owner").await.unwrap().role, "owner");
    let removed = users.remove("u-1").await.unwrap();
    assert_eq!(
        (
            removed.object.as_str(),
            removed.id.as_str(),
            removed.deleted
        ),
        ("organization.project.user.deleted", "u-1", true)
    );
    assert_eq!(
        *log.lock().unwrap(),
        [
            seen(
                "POST",
                "/organization/projects/proj_a/users",
                Some(json!({"user_id": "u-1", "role": "member"}))
            ),
            seen(
                "POST",
                "/organization/projects/proj_a/users",
                Some(json!({"email": "u-2@example.com", "role": "member"}))
            ),
            seen(
                "GET",
                "/organization/projects/proj_a/users?limit=1&after=u-0",
                None
            ),
            seen("GET", "/organization/projects/proj_a/users/u%201", None),
            seen(
                "POST",
                "/organization/projects/proj_a/users/u-1",
                Some(json!({"role": "owner"}))
            ),
            seen("DELETE", "/organization/projects/proj_a/users/u-1", None),
        ]
    );
}

#[tokio::test]
async fn service_accounts_are_created_with_or_without_a_key_and_get_new_keys() {
    let mut with_key = service_account("svc_acct_a");
    with_key["api_key"] = secret_key("key_a");
    let mut without_key = service_account("svc_acct_b");
    without_key["role"] = json!("none");
    without_key["api_key"] = Value::Null;
    let mut renamed = service_account("svc_acct_a");
    renamed["name"] = json!("Deployer");
    renamed["role"] = json!("owner");
    let (client, log) = recording_server(vec![
        (200, with_key),
        (200, without_key),
        (200, first_last(vec![service_account("svc_acct_a")], false)),
        (200, service_account("svc_acct_a")),
        (200, renamed),
        (200, secret_key("key_b")),
        (
            200,
            deleted("organization.project.service_account.deleted", "svc_acct_a"),
        ),
    ])
    .await;
    let accounts = client.projects().service_accounts("proj_a");
    let created = accounts
        .create(&ServiceAccountCreate {
            name: "Deployer".into(),
            create_service_account_only: None,
        })
        .await
        .unwrap();
    let key = created.api_key.expect("a first key");
    assert_eq!(
        (created.role.as_str(), key.id.as_str()),
        ("member", "key_a")
    );
    assert!(key.value.starts_with("sk-svcacct-"));
    let bare = accounts
        .create(&ServiceAccountCreate {
            name: "Robot".into(),
            create_service_account_only: Some(true),
        })
        .await
        .unwrap();
    assert_eq!((bare.role.as_str(), bare.api_key), ("none", None));
    let page = accounts.list(&FirstLastParams::default()).await.unwrap();
    assert_eq!(page.data[0].id, "svc_acct_a");
    assert_eq!(
        accounts.retrieve("svc_acct_a").await.unwrap().role,
        "member"
    );
    let update = ServiceAccountUpdate {
        name: Some("Deployer".into()),
        role: Some("owner".into()),
    };
    assert_eq!(
        accounts.modify("svc_acct_a", &update).await.unwrap().role,
        "owner"
    );
    let new_key = accounts
        .create_api_key(
            "svc_acct_a",
            &ServiceAccountKeyCreate {
                name: Some("CI".into()),
                scopes: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(new_key.id, "key_b");
    assert_eq!(
        accounts.delete("svc_acct_a").await.unwrap().id,
        "svc_acct_a"
    );
    let accounts_path = "/organization/projects/proj_a/service_accounts";
    assert_eq!(
        *log.lock().unwrap(),
        [
            seen("POST", accounts_path, Some(json!({"name": "Deployer"}))),
            seen(
                "POST",
                accounts_path,
                Some(json!({"name": "Robot", "create_service_account_only": true}))
            ),
            seen("GET", accounts_path, None),
            seen("GET", &format!("{accounts_path}/svc_acct_a"), None),
            seen(
                "POST",
                &format!("{accounts_path}/svc_acct_a"),
                Some(json!({"name": "Deployer", "role": "owner"}))
            ),
            seen(
                "POST",
                &format!("{accounts_path}/svc_acct_a/api_keys"),
                Some(json!({"name": "CI"}))
            ),
            seen("DELETE", &format!("{accounts_path}/svc_acct_a"), None),
        ]
    );
}

#[tokio::test]
async fn project_api_keys_are_listed_shown_and_deleted() {
    let (client, log) = recording_server(vec![
        (200, first_last(vec![api_key("key_a")], false)),
        (200, api_key("key_a")),
        (
            200,
            deleted("organization.project.api_key.deleted", "key_a"),
        ),
    ])
    .await;
    let keys = client.projects().api_keys("proj_a");
    let page = keys
        .list(&ProjectApiKeyListParams {
            owner_project_access: Some(OwnerProjectAccess::Active),
            ..ProjectApiKeyListParams::default()
        })
        .await
        .unwrap();
    let owner = &page.data[0].owner;
    assert_eq!(owner.kind, "service_account");
    assert_eq!(
        owner.service_account.as_ref().map(|a| a.id.as_str()),
        Some("svc_acct_a")
    );
    assert_eq!(
        keys.retrieve("key_a").await.unwrap().redacted_value,
        "sk-svcacct-...ijkl"
    );
    assert!(keys.delete("key_a").await.unwrap().deleted);
    assert_eq!(
        *log.lock().unwrap(),
        [
            seen(
                "GET",
                "/organization/projects/proj_a/api_keys?owner_project_access=active",
                None
            ),
            seen("GET", "/organization/projects/proj_a/api_keys/key_a", None),
            seen(
                "DELETE",
                "/organization/projects/proj_a/api_keys/key_a",
                None
            ),
        ]
    );
}

#[tokio::test]
async fn project_groups_are_granted_listed_shown_and_revoked() {
    let owner_role = "role-api-project-owner__api-project__proj_a";
    let (client, log) = recording_server(vec![
        (200, project_group("group_a")),
        (200, list(vec![project_group("group_a")], Some("cursor-1"))),
        (200, project_group("group_a")),
        (
            200,
            json!({"object": "project.group.deleted", "deleted": true}),
        ),
    ])
    .await;
    let groups = client.projects().groups("proj_a");
    let granted = groups.add("group_a", owner_role).await.unwrap();
    assert_eq!(
        (granted.project_id.as_str(), granted.group_id.as_str()),
        ("proj_a", "group_a")
    );
    let page = groups
        .list(&PageParams {
            limit: Some(100),
            order: Some(Order::Desc),
            after: None,
        })
        .await
        .unwrap();
    assert_eq!(page.next.as_deref(), Some("cursor-1"));
    assert_eq!(
        groups.retrieve("group_a").await.unwrap().group_name,
        "Group group_a"
    );
    assert_eq!(
        groups.remove("group_a").await.unwrap().object,
        "project.group.deleted"
    );
    assert_eq!(
        *log.lock().unwrap(),
        [
            seen(
                "POST",
                "/organization/projects/proj_a/groups",
                Some(json!({"group_id": "group_a", "role": owner_role}))
            ),
            seen(
                "GET",
                "/organization/projects/proj_a/groups?limit=100&order=desc",
                None
            ),
            seen("GET", "/organization/projects/proj_a/groups/group_a", None),
            seen(
                "DELETE",
                "/organization/projects/proj_a/groups/group_a",
                None
            ),
        ]
    );
}

/// A server of 7 items in every first/last list of projects, paged by `limit` (default 2) and
/// `after` (an item's id); the items' shape and ids follow from the path. It records the path
/// and query of every request.
async fn paging_server(seen: Arc<Mutex<Vec<String>>>) -> Client {
    async fn list_items(
        State(seen): State<Arc<Mutex<Vec<String>>>>,
        uri: Uri,
        RawQuery(query): RawQuery,
    ) -> axum::Json<Value> {
        seen.lock()
            .unwrap()
            .push(uri.path_and_query().unwrap().as_str().to_owned());
        let query = query.unwrap_or_default();
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        let (prefix, item): (&str, fn(&str) -> Value) = match uri.path().rsplit('/').next() {
            Some("projects") => ("proj_", project),
            Some("users") => ("u-", project_user),
            Some("service_accounts") => ("svc_acct_", service_account),
            _ => ("key_", api_key),
        };
        let ids: Vec<String> = (0..7).map(|i| format!("{prefix}{i}")).collect();
        let limit: usize = get("limit").map_or(2, |l| l.parse().unwrap());
        let start = get("after").map_or(0, |a| ids.iter().position(|i| *i == a).unwrap() + 1);
        let page: Vec<Value> = ids[start..].iter().take(limit).map(|id| item(id)).collect();
        let has_more = start + page.len() < ids.len();
        axum::Json(first_last(page, has_more))
    }
    let app = Router::new().fallback(list_items).with_state(seen);
    Client::builder(serve(app).await, "sk-admin-test")
        .build()
        .unwrap()
}

#[tokio::test]
async fn list_all_follows_last_id_through_every_first_last_list() {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let client = paging_server(Arc::clone(&seen)).await;
    let projects: Vec<_> = client
        .projects()
        .list_all(ProjectListParams {
            limit: Some(3),
            include_archived: true,
            ..ProjectListParams::default()
        })
        .map_ok(|p| p.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        projects,
        [
            "proj_0", "proj_1", "proj_2", "proj_3", "proj_4", "proj_5", "proj_6"
        ]
    );
    assert_eq!(
        std::mem::take(&mut *seen.lock().unwrap()),
        [
            "/v1/organization/projects?limit=3&include_archived=true",
            "/v1/organization/projects?limit=3&after=proj_2&include_archived=true",
            "/v1/organization/projects?limit=3&after=proj_5&include_archived=true",
        ]
    );

    // From an id on, at the server's page size.
    let users: Vec<_> = client
        .projects()
        .users("proj_0")
        .list_all(FirstLastParams {
            limit: None,
            after: Some("u-2".into()),
        })
        .map_ok(|u| u.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(users, ["u-3", "u-4", "u-5", "u-6"]);
    assert_eq!(
        std::mem::take(&mut *seen.lock().unwrap()),
        [
            "/v1/organization/projects/proj_0/users?after=u-2",
            "/v1/organization/projects/proj_0/users?after=u-4",
        ]
    );

    let accounts: Vec<_> = client
        .projects()
        .service_accounts("proj_0")
        .list_all(FirstLastParams {
            limit: Some(4),
            after: None,
        })
        .try_collect()
        .await
        .unwrap();
    assert_eq!(accounts.len(), 7);
    assert_eq!(accounts[6].id, "svc_acct_6");
    assert_eq!(seen.lock().unwrap().len(), 2);
    seen.lock().unwrap().clear();

    let keys: Vec<_> = client
        .projects()
        .api_keys("proj_0")
        .list_all(ProjectApiKeyListParams {
            limit: Some(5),
            owner_project_access: Some(OwnerProjectAccess::Any),
            ..ProjectApiKeyListParams::default()
        })
        .map_ok(|k| k.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(keys.len(), 7);
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "/v1/organization/projects/proj_0/api_keys?limit=5&owner_project_access=any",
            "/v1/organization/projects/proj_0/api_keys?limit=5&after=key_4&owner_project_access=any",
        ]
    );
}

#[tokio::test]
async fn first_last_walks_stop_at_has_more_false_and_after_an_error() {
    // A `last_id` on the last page is not followed.
    let (client, log) = recording_server(vec![(
        200,
        first_last(vec![project("proj_a"), project("proj_b")], false),
    )])
    .await;
    let all: Vec<_> = client
        .projects()
        .list_all(ProjectListParams::default())
        .collect()
        .await;
    assert_eq!(all.len(), 2);
    assert_eq!(log.lock().unwrap().len(), 1);

    // `has_more` on an empty page (no `last_id` to go on from) ends the walk too.
    let (client, log) = recording_server(vec![(200, first_last(vec![], true))]).await;
    let none: Vec<_> = client
        .projects()
        .users("proj_a")
        .list_all(FirstLastParams::default())
        .try_collect()
        .await
        .unwrap();
    assert!(none.is_empty());
    assert_eq!(log.lock().unwrap().len(), 1);

    // The items of the pages before an error, then the error, then the end.
    let (client, log) = recording_server(vec![
        (
            200,
            first_last(
                vec![service_account("svc_acct_a"), service_account("svc_acct_b")],
                true,
            ),
        ),
        (
            400,
            json!({"error": {"message": "Project proj_a is archived.",
                             "type": "invalid_request_error", "param": null, "code": null}}),
        ),
        (200, first_last(vec![service_account("svc_acct_c")], false)),
    ])
    .await;
    let items: Vec<Result<_, Error>> = client
        .projects()
        .service_accounts("proj_a")
        .list_all(FirstLastParams::default())
        .collect()
        .await;
    assert_eq!(items.len(), 3);
    assert_eq!(items[1].as_ref().unwrap().id, "svc_acct_b");
    assert_eq!(items[2].as_ref().unwrap_err().status(), Some(400));
    assert_eq!(
        log.lock().unwrap().last().unwrap().1,
        "/v1/organization/projects/proj_a/service_accounts?after=svc_acct_b"
    );
}

#[tokio::test]
async fn unknown_projects_report_the_servers_error() {
    let (client, _) = recording_server(vec![(
        404,
        json!({"error": {"message": "No such project: proj_x", "type": "invalid_request_error",
                         "param": "project_id", "code": null}}),
    )])
    .await;
    let err = client.projects().archive("proj_x").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "No such project: proj_x (HTTP 404, request req_0)"
    );
    assert_eq!(
        err.api_error().and_then(|e| e.param.as_deref()),
        Some("project_id")
    );
}
