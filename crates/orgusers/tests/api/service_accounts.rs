//! Service accounts of a project and the keys made for them.

use serde_json::{Value, json};

use crate::harness::*;

pub const PROJECTS: &str = "/v1/organization/projects";

/// A new active project; its id.
pub async fn project(app: &TestApp, name: &str) -> String {
    project_as(app, KEY, name).await
}

/// A new active project of the organization `key` opens; its id.
pub async fn project_as(app: &TestApp, key: &str, name: &str) -> String {
    let r = app
        .post_as(key, PROJECTS, &json!({"name": name}).to_string())
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

/// `/v1/organization/projects/{project}/service_accounts`.
pub fn accounts_of(project: &str) -> String {
    format!("{PROJECTS}/{project}/service_accounts")
}

/// A new service account with its key; the whole answer.
pub async fn account(app: &TestApp, project: &str, name: &str) -> Value {
    let r = app
        .post(&accounts_of(project), &json!({"name": name}).to_string())
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

/// The id of an answer.
pub fn id_of(body: &Value) -> String {
    body["id"].as_str().expect("an id").to_owned()
}

fn ids(items: &[Value]) -> Vec<String> {
    items.iter().map(id_of).collect()
}

/// Walks a first/last list (`path` may carry a query) at page size `limit`, following
/// `last_id`, checking each envelope; returns every item in order.
pub async fn walk_first(app: &TestApp, path: &str, limit: usize) -> Vec<Value> {
    walk_first_from(app, path, limit, None).await
}

/// [`walk_first`] from after `after`.
pub async fn walk_first_from(
    app: &TestApp,
    path: &str,
    limit: usize,
    mut after: Option<String>,
) -> Vec<Value> {
    let joiner = if path.contains('?') { '&' } else { '?' };
    let mut items = Vec::new();
    loop {
        let mut page_path = format!("{path}{joiner}limit={limit}");
        if let Some(a) = &after {
            page_path.push_str(&format!("&after={a}"));
        }
        let page = app.get(&page_path).await;
        assert_eq!(page.status, 200, "{page_path}: {}", page.body);
        let data = page.body["data"].as_array().expect("data").clone();
        assert!(data.len() <= limit);
        let (first, last) = (&page.body["first_id"], &page.body["last_id"]);
        match (data.first(), data.last()) {
            (Some(f), Some(l)) => assert_eq!((first, last), (&f["id"], &l["id"])),
            _ => assert_eq!((first, last), (&Value::Null, &Value::Null)),
        }
        items.extend(data.iter().cloned());
        if !page.body["has_more"].as_bool().expect("has_more") {
            return items;
        }
        assert_eq!(data.len(), limit, "a page with more after it is full");
        after = Some(last.as_str().expect("last_id").to_owned());
    }
}

/// The keys of a project.
pub async fn key_ids(app: &TestApp, project: &str) -> Vec<String> {
    ids(&walk_first(app, &format!("{PROJECTS}/{project}/api_keys"), 100).await)
}

fn assert_secret(value: &Value) -> String {
    let value = value.as_str().expect("a secret").to_owned();
    let tail = value.strip_prefix("sk-svcacct-").expect("the prefix");
    assert_eq!(tail.len(), 48, "{value}");
    assert!(tail.chars().all(|c| c.is_ascii_alphanumeric()), "{value}");
    value
}

on_both_stores!(
    service_accounts_live_and_die,
    accounts_can_be_made_without_a_key,
    account_bodies_are_checked,
    key_bodies_are_checked,
    unknown_ids_are_not_found,
    archived_projects_refuse_changes,
    accounts_walk_under_deletions,
    accounts_are_per_organization,
    account_keys_do_not_open_the_admin_api,
);

async fn service_accounts_live_and_die(app: TestApp) {
    let p = project(&app, "Apps").await;
    let accounts = accounts_of(&p);
    assert_eq!(
        app.get(&accounts).await.body,
        json!({"object": "list", "data": [], "first_id": null, "last_id": null, "has_more": false})
    );
    let created = account(&app, &p, "Production App").await;
    let id = id_of(&created);
    let tail = id.strip_prefix("svc_acct_").unwrap();
    assert!(
        tail.len() == 24 && tail.chars().all(|c| c.is_ascii_alphanumeric()),
        "{id}"
    );
    assert_eq!(created["object"], "organization.project.service_account");
    assert_eq!(
        (created["name"].as_str(), created["role"].as_str()),
        (Some("Production App"), Some("member"))
    );
    let key = &created["api_key"];
    assert_eq!(
        key["object"],
        "organization.project.service_account.api_key"
    );
    assert_eq!(key["name"], "Secret key");
    assert_eq!(key["created_at"], created["created_at"]);
    let key_id = id_of(key);
    assert!(key_id.starts_with("key_") && key_id.len() == 28, "{key_id}");
    assert_secret(&key["value"]);

    let path = format!("{accounts}/{id}");
    let read = app.get(&path).await;
    let mut expected = created.clone();
    expected.as_object_mut().unwrap().remove("api_key");
    assert_eq!(read.body, expected);
    let list = app.get(&accounts).await;
    assert_eq!(list.body["data"], json!([expected]));
    assert_eq!(
        (
            list.body["first_id"].as_str(),
            list.body["last_id"].as_str()
        ),
        (Some(id.as_str()), Some(id.as_str()))
    );
    assert_eq!(key_ids(&app, &p).await, std::slice::from_ref(&key_id));

    // Modify: any subset of name and role; `{}` changes nothing.
    assert_eq!(app.post(&path, "{}").await.body, expected);
    let renamed = app.post(&path, r#"{"name":"Renamed"}"#).await;
    assert_eq!(renamed.body["name"], "Renamed");
    assert_eq!(renamed.body["role"], "member");
    let promoted = app.post(&path, r#"{"role":"owner"}"#).await;
    assert_eq!(
        promoted.body,
        json!({"object": "organization.project.service_account", "id": id, "name": "Renamed", "role": "owner", "created_at": created["created_at"]})
    );
    let both = app.post(&path, r#"{"name":"Both","role":"member"}"#).await;
    assert_eq!(
        (both.body["name"].as_str(), both.body["role"].as_str()),
        (Some("Both"), Some("member"))
    );
    assert_eq!(app.get(&path).await.body, both.body);
    assert_eq!(app.get(&accounts).await.body["data"], json!([both.body]));

    // More keys: named and scoped, or by default "Secret key"; each shows its secret once.
    let keys = format!("{path}/api_keys");
    let named = app
        .post(
            &keys,
            r#"{"name":"Deploy","scopes":["api.responses.write"]}"#,
        )
        .await;
    assert_eq!(named.status, 200, "{}", named.body);
    assert_eq!(named.body["name"], "Deploy");
    assert_eq!(
        named.body["object"],
        "organization.project.service_account.api_key"
    );
    let named_value = assert_secret(&named.body["value"]);
    assert_ne!(named_value, key["value"].as_str().unwrap());
    let unnamed = app.post(&keys, "{}").await;
    assert_eq!(unnamed.body["name"], "Secret key");
    let all_keys = key_ids(&app, &p).await;
    assert_eq!(all_keys.len(), 3);
    for k in [&key_id, &id_of(&named.body), &id_of(&unnamed.body)] {
        assert!(all_keys.contains(k), "{k}");
    }

    // Deleting the account deletes its keys.
    let deleted = app.delete(&path).await;
    assert_eq!(
        deleted.body,
        json!({"object": "organization.project.service_account.deleted", "id": id, "deleted": true})
    );
    assert!(key_ids(&app, &p).await.is_empty());
    app.get(&format!("{PROJECTS}/{p}/api_keys/{key_id}"))
        .await
        .assert_error(
            404,
            Some("api_key_id"),
            None,
            &format!("No such API key: {key_id}"),
        );
    let gone = format!("No such service account: {id}");
    app.get(&path)
        .await
        .assert_error(404, Some("service_account_id"), None, &gone);
    app.post(&path, r#"{"name":"x"}"#).await.assert_error(
        404,
        Some("service_account_id"),
        None,
        &gone,
    );
    app.delete(&path)
        .await
        .assert_error(404, Some("service_account_id"), None, &gone);
    app.post(&keys, "{}")
        .await
        .assert_error(404, Some("service_account_id"), None, &gone);
    assert!(app.get(&accounts).await.ids().is_empty());
}

async fn accounts_can_be_made_without_a_key(app: TestApp) {
    let p = project(&app, "Bots").await;
    let accounts = accounts_of(&p);
    let bare = app
        .post(
            &accounts,
            r#"{"name":"Bare","create_service_account_only":true}"#,
        )
        .await;
    assert_eq!(bare.status, 200, "{}", bare.body);
    assert_eq!(
        (bare.body["role"].as_str(), &bare.body["api_key"]),
        (Some("none"), &Value::Null)
    );
    assert!(bare.body.as_object().unwrap().contains_key("api_key"));
    assert!(key_ids(&app, &p).await.is_empty());
    assert_eq!(
        app.get(&format!("{accounts}/{}", id_of(&bare.body)))
            .await
            .body["role"],
        "none"
    );

    for flag in ["false", "null"] {
        let keyed = app
            .post(
                &accounts,
                &format!(r#"{{"name":"Keyed","create_service_account_only":{flag}}}"#),
            )
            .await;
        assert_eq!(keyed.body["role"], "member", "{flag}");
        assert_secret(&keyed.body["api_key"]["value"]);
    }
    assert_eq!(key_ids(&app, &p).await.len(), 2);

    // A key made later for the bare account; the account's role stays as it was.
    let path = format!("{accounts}/{}", id_of(&bare.body));
    let key = app.post(&format!("{path}/api_keys"), "").await;
    assert_eq!(key.status, 200, "{}", key.body);
    assert_secret(&key.body["value"]);
    assert_eq!(app.get(&path).await.body["role"], "none");
    let read = app
        .get(&format!("{PROJECTS}/{p}/api_keys/{}", id_of(&key.body)))
        .await;
    assert_eq!(read.body["owner"]["service_account"]["role"], "none");
    assert_eq!(read.body["owner_project_access"], "active");
    // Promoting it works like for any account.
    assert_eq!(
        app.post(&path, r#"{"role":"member"}"#).await.body["role"],
        "member"
    );
}

async fn account_bodies_are_checked(app: TestApp) {
    let p = project(&app, "Checks").await;
    let accounts = accounts_of(&p);
    let long = "é".repeat(256);
    let name_cases: [(String, Option<&str>, Option<&str>, &str); 4] = [
        (
            r#"{"name":""}"#.into(),
            Some("name"),
            Some("invalid_value"),
            "Invalid 'name': a service account name must have 1 to 255 characters.",
        ),
        (
            json!({"name": long}).to_string(),
            Some("name"),
            Some("invalid_value"),
            "Invalid 'name': a service account name must have 1 to 255 characters.",
        ),
        (
            r#"{"name":null}"#.into(),
            Some("name"),
            Some("invalid_type"),
            "Invalid type for 'name': expected a string, but got null instead.",
        ),
        (
            r#"{"name":"a","owner":true}"#.into(),
            Some("owner"),
            None,
            "Unrecognized request argument supplied: owner",
        ),
    ];
    let created = account(&app, &p, &"é".repeat(255)).await;
    let path = format!("{accounts}/{}", id_of(&created));
    for (body, param, code, message) in &name_cases {
        app.post(&accounts, body)
            .await
            .assert_error(400, *param, *code, message);
        app.post(&path, body)
            .await
            .assert_error(400, *param, *code, message);
    }
    app.post(&accounts, "{}").await.assert_error(
        400,
        Some("name"),
        Some("missing_required_parameter"),
        "Missing required parameter: 'name'.",
    );
    app.post(&accounts, r#"{"name":"x","create_service_account_only":"yes"}"#)
        .await
        .assert_error(
            400,
            Some("create_service_account_only"),
            Some("invalid_type"),
            "Invalid type for 'create_service_account_only': expected a boolean, but got a string instead.",
        );
    for bad in ["", "[]", "not json", r#""name""#] {
        for target in [&accounts, &path] {
            app.post(target, bad).await.assert_error(
                400,
                None,
                None,
                "We could not parse the JSON body of your request. The API expects a JSON payload.",
            );
        }
    }
    app.post(&path, r#"{"role":"none"}"#).await.assert_error(
        400,
        Some("role"),
        Some("invalid_value"),
        "Invalid 'role': expected one of 'owner' or 'member', but got 'none' instead.",
    );
    app.post(&path, r#"{"role":null}"#).await.assert_error(
        400,
        Some("role"),
        Some("invalid_type"),
        "Invalid type for 'role': expected a string, but got null instead.",
    );
    app.post(&path, r#"{"role":1}"#).await.assert_error(
        400,
        Some("role"),
        Some("invalid_type"),
        "Invalid type for 'role': expected a string, but got an integer instead.",
    );
    // Nothing refused was written.
    assert_eq!(app.get(&accounts).await.ids(), [id_of(&created)]);
    assert_eq!(app.get(&path).await.body["role"], "member");
    assert_eq!(key_ids(&app, &p).await.len(), 1);
}

async fn key_bodies_are_checked(app: TestApp) {
    let p = project(&app, "Key checks").await;
    let created = account(&app, &p, "bot").await;
    let keys = format!("{}/{}/api_keys", accounts_of(&p), id_of(&created));
    let cases: [(&str, Option<&str>, Option<&str>, &str); 7] = [
        (
            r#"{"name":""}"#,
            Some("name"),
            Some("invalid_value"),
            "Invalid 'name': a key name must have 1 to 255 characters.",
        ),
        (
            r#"{"name":5}"#,
            Some("name"),
            Some("invalid_type"),
            "Invalid type for 'name': expected a string, but got an integer instead.",
        ),
        (
            r#"{"scopes":"api.model.read"}"#,
            Some("scopes"),
            Some("invalid_type"),
            "Invalid type for 'scopes': expected an array, but got a string instead.",
        ),
        (
            r#"{"scopes":["ok",3]}"#,
            Some("scopes[1]"),
            Some("invalid_type"),
            "Invalid type for 'scopes[1]': expected a string, but got an integer instead.",
        ),
        (
            r#"{"scopes":["ok",""]}"#,
            Some("scopes[1]"),
            Some("invalid_value"),
            "Invalid 'scopes[1]': a scope must have 1 to 255 characters and no whitespace.",
        ),
        (
            r#"{"value":"sk-mine"}"#,
            Some("value"),
            None,
            "Unrecognized request argument supplied: value",
        ),
        (
            "[]",
            None,
            None,
            "We could not parse the JSON body of your request. The API expects a JSON payload.",
        ),
    ];
    for (body, param, code, message) in cases {
        app.post(&keys, body)
            .await
            .assert_error(400, param, code, message);
    }
    assert_eq!(
        key_ids(&app, &p).await.len(),
        1,
        "nothing refused was written"
    );
    // No body, a null name and null scopes are all the defaults.
    for body in ["", r#"{"name":null,"scopes":null}"#, r#"{"scopes":[]}"#] {
        let made = app.post(&keys, body).await;
        assert_eq!(made.status, 200, "{body}: {}", made.body);
        assert_eq!(made.body["name"], "Secret key");
    }
    assert_eq!(key_ids(&app, &p).await.len(), 4);
}

async fn unknown_ids_are_not_found(app: TestApp) {
    let p = project(&app, "Here").await;
    let other = project(&app, "Elsewhere").await;
    let created = account(&app, &p, "bot").await;
    let id = id_of(&created);

    // An unknown project, on every route.
    let nowhere = "proj_nowhere";
    let no_project = format!("No such project: {nowhere}");
    let accounts = accounts_of(nowhere);
    let one = format!("{accounts}/{id}");
    for reply in [
        app.get(&accounts).await,
        app.post(&accounts, r#"{"name":"x"}"#).await,
        app.get(&one).await,
        app.post(&one, "{}").await,
        app.delete(&one).await,
        app.post(&format!("{one}/api_keys"), "{}").await,
    ] {
        reply.assert_error(404, Some("project_id"), None, &no_project);
    }

    // A known project, and an account that is not one of its own.
    for (project, account) in [
        (p.as_str(), "svc_acct_nobody"),
        (other.as_str(), id.as_str()),
    ] {
        let path = format!("{}/{account}", accounts_of(project));
        let gone = format!("No such service account: {account}");
        for reply in [
            app.get(&path).await,
            app.post(&path, r#"{"role":"owner"}"#).await,
            app.delete(&path).await,
            app.post(&format!("{path}/api_keys"), "{}").await,
        ] {
            reply.assert_error(404, Some("service_account_id"), None, &gone);
        }
    }
    // The body is checked before the account is looked for.
    app.post(
        &format!("{}/svc_acct_nobody", accounts_of(&p)),
        r#"{"role":"x"}"#,
    )
    .await
    .assert_error(
        400,
        Some("role"),
        Some("invalid_value"),
        "Invalid 'role': expected one of 'owner' or 'member', but got 'x' instead.",
    );
    // Nothing changed.
    assert_eq!(
        app.get(&format!("{}/{id}", accounts_of(&p))).await.body["role"],
        "member"
    );
    assert!(app.get(&accounts_of(&other)).await.ids().is_empty());
}

async fn archived_projects_refuse_changes(app: TestApp) {
    let p = project(&app, "Old").await;
    let accounts = accounts_of(&p);
    let created = account(&app, &p, "bot").await;
    let id = id_of(&created);
    let key_id = id_of(&created["api_key"]);
    let archived = app.post(&format!("{PROJECTS}/{p}/archive"), "").await;
    assert_eq!(archived.status, 200, "{}", archived.body);

    let refusal = format!("Project {p} is archived: it can be read but not changed.");
    let path = format!("{accounts}/{id}");
    for reply in [
        app.post(&accounts, r#"{"name":"new"}"#).await,
        app.post(
            &accounts,
            r#"{"name":"new","create_service_account_only":true}"#,
        )
        .await,
        app.post(&path, r#"{"name":"renamed"}"#).await,
        app.post(&path, "{}").await,
        app.delete(&path).await,
        app.post(&format!("{path}/api_keys"), "{}").await,
        app.delete(&format!("{PROJECTS}/{p}/api_keys/{key_id}"))
            .await,
    ] {
        reply.assert_error(400, None, None, &refusal);
    }
    // Reads still work, and show nothing changed.
    let mut expected = created.clone();
    expected.as_object_mut().unwrap().remove("api_key");
    assert_eq!(app.get(&path).await.body, expected);
    assert_eq!(app.get(&accounts).await.body["data"], json!([expected]));
    assert_eq!(key_ids(&app, &p).await, std::slice::from_ref(&key_id));
    assert_eq!(
        app.get(&format!("{PROJECTS}/{p}/api_keys/{key_id}"))
            .await
            .status,
        200
    );
    // Not found comes before the refusal.
    let nobody = format!("{accounts}/svc_acct_nobody");
    app.delete(&nobody).await.assert_error(
        404,
        Some("service_account_id"),
        None,
        "No such service account: svc_acct_nobody",
    );
    app.delete(&format!("{PROJECTS}/{p}/api_keys/key_nothing"))
        .await
        .assert_error(
            404,
            Some("api_key_id"),
            None,
            "No such API key: key_nothing",
        );
}

async fn accounts_walk_under_deletions(app: TestApp) {
    let p = project(&app, "Many").await;
    let accounts = accounts_of(&p);
    let mut created = Vec::new();
    for i in 0..12 {
        let body = if i % 3 == 0 {
            json!({"name": format!("A{i}"), "create_service_account_only": true})
        } else {
            json!({"name": format!("A{i}")})
        };
        let r = app.post(&accounts, &body.to_string()).await;
        created.push(id_of(&r.body));
    }
    let in_order = ids(&walk_first(&app, &accounts, 100).await);
    let mut sorted = in_order.clone();
    sorted.sort();
    created.sort();
    assert_eq!(sorted, created);
    for limit in [1, 5, 12, 100] {
        assert_eq!(
            ids(&walk_first(&app, &accounts, limit).await),
            in_order,
            "limit {limit}"
        );
    }
    for (query, param, code, message) in [
        (
            "limit=0",
            "limit",
            "integer_below_min_value",
            "Invalid 'limit': integer below minimum value. Expected a value >= 1, but got 0 instead.",
        ),
        (
            "limit=101",
            "limit",
            "integer_above_max_value",
            "Invalid 'limit': integer above maximum value. Expected a value <= 100, but got 101 instead.",
        ),
        (
            "limit=x",
            "limit",
            "invalid_type",
            "Invalid 'limit': expected an integer, but got 'x' instead.",
        ),
        (
            "after=svc_acct_never",
            "after",
            "invalid_value",
            "Invalid 'after': no service account with id 'svc_acct_never'.",
        ),
    ] {
        app.get(&format!("{accounts}?{query}")).await.assert_error(
            400,
            Some(param),
            Some(code),
            message,
        );
    }
    // An account of another project is no place in this list.
    let other = project(&app, "Other").await;
    let stranger = id_of(&account(&app, &other, "stranger").await);
    app.get(&format!("{accounts}?after={stranger}"))
        .await
        .assert_error(
            400,
            Some("after"),
            Some("invalid_value"),
            &format!("Invalid 'after': no service account with id '{stranger}'."),
        );

    // A walk with deletions (the cursor's own account among them) and a creation between pages.
    let first = app.get(&format!("{accounts}?limit=5")).await;
    let mut seen = first.ids();
    let cursor = first.body["last_id"].as_str().unwrap().to_owned();
    assert_eq!(cursor, in_order[4]);
    for gone in [&in_order[4], &in_order[9]] {
        assert_eq!(app.delete(&format!("{accounts}/{gone}")).await.status, 200);
    }
    let late = id_of(&account(&app, &p, "Late").await);
    seen.extend(ids(&walk_first_from(
        &app,
        &accounts,
        3,
        Some(cursor.clone()),
    )
    .await));
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no account twice");
    for (i, id) in in_order.iter().enumerate() {
        assert_eq!(seen.contains(id), i != 9, "{i}: {id}");
    }
    // The deleted cursor keeps its place for later walks too. (The account created during the
    // walk may sort anywhere within its second: it is left out of the comparison.)
    let rest: Vec<String> = ids(&walk_first_from(&app, &accounts, 100, Some(cursor)).await)
        .into_iter()
        .filter(|id| *id != late)
        .collect();
    let expected: Vec<String> = in_order[5..]
        .iter()
        .filter(|id| **id != in_order[9])
        .cloned()
        .collect();
    assert_eq!(rest, expected);
}

async fn accounts_are_per_organization(app: TestApp) {
    let mine = project(&app, "Mine").await;
    let created = account(&app, &mine, "bot").await;
    let id = id_of(&created);
    let theirs = project_as(&app, OTHER_KEY, "Theirs").await;

    // The other organization does not see this project, nor this account in its own project.
    let no_project = format!("No such project: {mine}");
    let accounts = accounts_of(&mine);
    let path = format!("{accounts}/{id}");
    for reply in [
        app.get_as(OTHER_KEY, &accounts).await,
        app.post_as(OTHER_KEY, &accounts, r#"{"name":"x"}"#).await,
        app.get_as(OTHER_KEY, &path).await,
        app.post_as(OTHER_KEY, &path, r#"{"name":"x"}"#).await,
        app.delete_as(OTHER_KEY, &path).await,
        app.post_as(OTHER_KEY, &format!("{path}/api_keys"), "{}")
            .await,
    ] {
        reply.assert_error(404, Some("project_id"), None, &no_project);
    }
    let foreign = format!("{}/{id}", accounts_of(&theirs));
    app.get_as(OTHER_KEY, &foreign).await.assert_error(
        404,
        Some("service_account_id"),
        None,
        &format!("No such service account: {id}"),
    );
    app.get_as(OTHER_KEY, &format!("{}?after={id}", accounts_of(&theirs)))
        .await
        .assert_error(
            400,
            Some("after"),
            Some("invalid_value"),
            &format!("Invalid 'after': no service account with id '{id}'."),
        );
    // And this organization does not see theirs.
    app.get(&accounts_of(&theirs)).await.assert_error(
        404,
        Some("project_id"),
        None,
        &format!("No such project: {theirs}"),
    );
    // Nothing of either leaked into the other.
    let other_account = app
        .post_as(OTHER_KEY, &accounts_of(&theirs), r#"{"name":"theirs"}"#)
        .await;
    assert_eq!(other_account.status, 200);
    assert_eq!(app.get(&accounts).await.ids(), std::slice::from_ref(&id));
    assert_eq!(app.get(&path).await.body["name"], "bot");
}

async fn account_keys_do_not_open_the_admin_api(app: TestApp) {
    let p = project(&app, "Secrets").await;
    let created = account(&app, &p, "bot").await;
    let first = created["api_key"]["value"].as_str().unwrap().to_owned();
    let later = app
        .post(
            &format!("{}/{}/api_keys", accounts_of(&p), id_of(&created)),
            "{}",
        )
        .await;
    let second = later.body["value"].as_str().unwrap().to_owned();
    for secret in [&first, &second] {
        let masked = format!(
            "Incorrect API key provided: {}{}{}.",
            &secret[..6],
            "*".repeat(secret.len() - 10),
            &secret[secret.len() - 4..]
        );
        for path in [
            "/v1/organization/users".to_owned(),
            format!("{PROJECTS}/{p}/api_keys"),
            accounts_of(&p),
        ] {
            app.get_as(secret, &path).await.assert_error(
                401,
                None,
                Some("invalid_api_key"),
                &masked,
            );
        }
    }
    // The admin key still works, and nothing shows either secret again.
    let keys = app.get(&format!("{PROJECTS}/{p}/api_keys")).await;
    assert_eq!(keys.status, 200);
    for secret in [&first, &second] {
        assert!(!keys.body.to_string().contains(secret.as_str()));
    }
}
