//! `GET /v1/organization/audit_logs`: one entry per change, in the spec's terms, newest first,
//! with every filter and both walks.

use serde_json::{Value, json};

use crate::harness::*;

const AUDIT_LOGS: &str = "/v1/organization/audit_logs";
const CLOCK: &str = "/_orgusers/clock";

on_both_stores!(
    every_change_writes_one_entry_in_spec_terms,
    refused_changes_write_none,
    filters_narrow_and_combine,
    filters_are_checked,
    pages_walk_both_ways,
    entries_stay_in_their_organization,
    the_organization_clock_dates_entries,
    the_cli_lists_and_filters_entries,
    snapshots_and_reset_carry_the_log,
);

/// The id of the admin key of `org` whose value ends like `key`.
async fn key_id(app: &TestApp, org: &str, key: &str) -> String {
    app.store
        .list_keys()
        .await
        .unwrap()
        .into_iter()
        .find(|k| k.org.as_str() == org && k.last4 == key[key.len() - 4..])
        .expect("the key")
        .id
}

/// Every entry of the organization of `key`, newest first, walking pages of `limit`.
async fn all_entries_as(app: &TestApp, key: &str, query: &str, limit: usize) -> Vec<Value> {
    let mut entries = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let cursor = after
            .as_deref()
            .map(|a| format!("&after={a}"))
            .unwrap_or_default();
        let page = app
            .get_as(key, &format!("{AUDIT_LOGS}?limit={limit}{query}{cursor}"))
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        let data = page.body["data"].as_array().unwrap().clone();
        assert_eq!(page.body["object"], "list");
        assert_eq!(
            page.body["first_id"],
            data.first().map_or(Value::Null, |e| e["id"].clone())
        );
        assert_eq!(
            page.body["last_id"],
            data.last().map_or(Value::Null, |e| e["id"].clone())
        );
        entries.extend(data);
        if page.body["has_more"] != true {
            return entries;
        }
        after = page.body["last_id"].as_str().map(str::to_owned);
    }
}

async fn all_entries(app: &TestApp, query: &str) -> Vec<Value> {
    all_entries_as(app, KEY, query, 100).await
}

/// `(type, payload)` of each entry, oldest first.
fn events(entries: &[Value]) -> Vec<(String, Value)> {
    entries
        .iter()
        .rev()
        .map(|e| {
            let event_type = e["type"].as_str().unwrap().to_owned();
            (event_type.clone(), e[&event_type].clone())
        })
        .collect()
}

fn ids(entries: &[Value]) -> Vec<String> {
    entries
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

#[track_caller]
fn ok(reply: &Reply) -> Value {
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body.clone()
}

fn id(body: &Value) -> String {
    body["id"].as_str().unwrap().to_owned()
}

async fn every_change_writes_one_entry_in_spec_terms(app: TestApp) {
    app.import(&[
        user_line("owner", "owner@example.com", 1_700_000_000, "owner"),
        user_line("ada", "ada@example.com", 1_700_000_000, "reader"),
        user_line("bob", "bob@example.com", 1_700_000_000, "reader"),
    ])
    .await;
    assert_eq!(
        all_entries(&app, "").await,
        Vec::<Value>::new(),
        "imports write none"
    );
    let actor = key_id(&app, app.org.as_str(), KEY).await;

    // Users.
    ok(&app
        .post("/v1/organization/users/ada", r#"{"role":"owner"}"#)
        .await);
    ok(&app.delete("/v1/organization/users/bob").await);
    // Invites.
    let kept = id(&ok(&app
        .post(
            "/v1/organization/invites",
            r#"{"email":"cy@example.com","role":"reader"}"#,
        )
        .await));
    let dropped = id(&ok(&app
        .post(
            "/v1/organization/invites",
            r#"{"email":"di@example.com","role":"owner"}"#,
        )
        .await));
    ok(&app
        .delete(&format!("/v1/organization/invites/{dropped}"))
        .await);
    let cy = id(&ok(&app
        .post(&format!("/_orgusers/invites/{kept}/accept"), "{}")
        .await));
    // Projects and their members.
    let project = id(&ok(&app
        .post("/v1/organization/projects", r#"{"name":"Apollo"}"#)
        .await));
    let p = format!("/v1/organization/projects/{project}");
    ok(&app.post(&p, r#"{"name":"Artemis"}"#).await);
    ok(&app
        .post(
            &format!("{p}/users"),
            r#"{"user_id":"ada","role":"member"}"#,
        )
        .await);
    ok(&app
        .post(&format!("{p}/users/ada"), r#"{"role":"owner"}"#)
        .await);
    ok(&app.delete(&format!("{p}/users/ada")).await);
    // Service accounts and their keys.
    let account = ok(&app
        .post(&format!("{p}/service_accounts"), r#"{"name":"bot"}"#)
        .await);
    let account_id = id(&account);
    let key = account["api_key"]["id"].as_str().unwrap().to_owned();
    ok(&app
        .post(
            &format!("{p}/service_accounts/{account_id}"),
            r#"{"role":"owner"}"#,
        )
        .await);
    ok(&app.delete(&format!("{p}/api_keys/{key}")).await);
    ok(&app
        .delete(&format!("{p}/service_accounts/{account_id}"))
        .await);
    // Roles and assignments.
    let role = id(&ok(&app
        .post(
            "/v1/organization/roles",
            r#"{"role_name":"Auditors","permissions":["api.audit_logs.read"]}"#,
        )
        .await));
    ok(&app
        .post(
            &format!("/v1/organization/roles/{role}"),
            r#"{"role_name":"Readers"}"#,
        )
        .await);
    ok(&app
        .post(
            "/v1/organization/users/ada/roles",
            &json!({"role_id": role}).to_string(),
        )
        .await);
    ok(&app
        .delete(&format!("/v1/organization/users/ada/roles/{role}"))
        .await);
    // Groups and memberships.
    let group = id(&ok(&app
        .post("/v1/organization/groups", r#"{"name":"Crew"}"#)
        .await));
    let g = format!("/v1/organization/groups/{group}");
    ok(&app.post(&g, r#"{"name":"Flight crew"}"#).await);
    ok(&app
        .post(&format!("{g}/users"), r#"{"user_id":"ada"}"#)
        .await);
    ok(&app.delete(&format!("{g}/users/ada")).await);
    let member_role = format!("role-api-project-member__api-project__{project}");
    ok(&app
        .post(
            &format!("{p}/groups"),
            &json!({"group_id": group, "role": member_role}).to_string(),
        )
        .await);
    ok(&app.delete(&format!("{p}/groups/{group}")).await);
    ok(&app.delete(&g).await);
    ok(&app.post(&format!("{p}/archive"), "").await);
    ok(&app.delete(&format!("/v1/organization/roles/{role}")).await);

    let entries = all_entries(&app, "").await;
    let org_role = |principal: &str, kind: &str| {
        json!({"id": role, "principal_id": principal, "principal_type": kind,
               "resource_type": "api.organization"})
    };
    let expected: Vec<(&str, Value)> = vec![
        (
            "user.updated",
            json!({"id": "ada", "changes_requested": {"role": "owner"}}),
        ),
        ("user.deleted", json!({"id": "bob"})),
        (
            "invite.sent",
            json!({"id": kept, "data": {"email": "cy@example.com", "role": "reader"}}),
        ),
        (
            "invite.sent",
            json!({"id": dropped, "data": {"email": "di@example.com", "role": "owner"}}),
        ),
        ("invite.deleted", json!({"id": dropped})),
        ("invite.accepted", json!({"id": kept})),
        ("user.added", json!({"id": cy, "data": {"role": "reader"}})),
        (
            "project.created",
            json!({"id": project, "data": {"name": "Apollo", "title": "Apollo"}}),
        ),
        (
            "project.updated",
            json!({"id": project, "changes_requested": {"title": "Artemis"}}),
        ),
        (
            "user.added",
            json!({"id": "ada", "data": {"role": "member"}}),
        ),
        (
            "user.updated",
            json!({"id": "ada", "changes_requested": {"role": "owner"}}),
        ),
        ("user.deleted", json!({"id": "ada"})),
        (
            "service_account.created",
            json!({"id": account_id, "data": {"role": "member"}}),
        ),
        (
            "api_key.created",
            json!({"id": key, "data": {"scopes": "(any)"}}),
        ),
        (
            "service_account.updated",
            json!({"id": account_id, "changes_requested": {"role": "owner"}}),
        ),
        ("api_key.deleted", json!({"id": key})),
        ("service_account.deleted", json!({"id": account_id})),
        (
            "role.created",
            json!({"id": role, "role_name": "Auditors",
            "permissions": ["api.audit_logs.read"], "resource_type": "api.organization"}),
        ),
        (
            "role.updated",
            json!({"id": role, "changes_requested": {"role_name": "Readers"}}),
        ),
        ("role.assignment.created", org_role("ada", "user")),
        ("role.assignment.deleted", org_role("ada", "user")),
        (
            "group.created",
            json!({"id": group, "data": {"group_name": "Crew"}}),
        ),
        (
            "group.updated",
            json!({"id": group, "changes_requested": {"group_name": "Flight crew"}}),
        ),
        (
            "group.updated",
            json!({"id": group, "changes_requested": {}}),
        ),
        (
            "group.updated",
            json!({"id": group, "changes_requested": {}}),
        ),
        (
            "role.assignment.created",
            json!({"id": member_role, "principal_id": group,
            "principal_type": "group", "resource_id": project, "resource_type": "api.project"}),
        ),
        (
            "role.assignment.deleted",
            json!({"principal_id": group, "principal_type": "group",
            "resource_id": project, "resource_type": "api.project"}),
        ),
        ("group.deleted", json!({"id": group})),
        ("project.archived", json!({"id": project})),
        ("role.deleted", json!({"id": role})),
    ];
    let got = events(&entries);
    let got: Vec<(&str, Value)> = got.iter().map(|(t, p)| (t.as_str(), p.clone())).collect();
    // The api key's scopes are whatever the key was made with; compare the rest field by field.
    assert_eq!(got.len(), expected.len(), "{got:#?}");
    for (i, (got, want)) in got.iter().zip(&expected).enumerate() {
        if want.0 == "api_key.created" {
            // The key's scopes are whatever a service account's key is made with.
            assert_eq!((got.0, &got.1["id"]), (want.0, &want.1["id"]), "entry {i}");
            assert!(got.1["data"]["scopes"].is_array(), "entry {i}: {}", got.1);
            continue;
        }
        assert_eq!(got, want, "entry {i}");
    }
    // Every entry: an id, the acting key, and the project when it is about one.
    let in_project = [
        "project.created",
        "project.updated",
        "project.archived",
        "service_account.created",
        "service_account.updated",
        "service_account.deleted",
        "api_key.created",
        "api_key.deleted",
    ];
    for (i, entry) in entries.iter().rev().enumerate() {
        assert!(entry["id"].as_str().unwrap().starts_with("audit_log-"));
        assert!(entry["effective_at"].as_i64().unwrap() > 1_700_000_000);
        assert_eq!(
            entry["actor"],
            json!({"type": "api_key", "api_key": {"id": actor, "type": "user"}}),
        );
        let scoped = in_project.contains(&entry["type"].as_str().unwrap())
            || (9..=11).contains(&i)
            || (25..=26).contains(&i);
        if scoped {
            assert_eq!(
                entry["project"],
                json!({"id": project, "name": "Artemis"}),
                "entry {i}"
            );
        } else {
            assert!(entry.get("project").is_none(), "entry {i}: {entry}");
        }
    }
}

async fn refused_changes_write_none(app: TestApp) {
    app.import(&[user_line(
        "owner",
        "owner@example.com",
        1_700_000_000,
        "owner",
    )])
    .await;
    assert_eq!(
        app.post("/v1/organization/groups", r#"{"name":""}"#)
            .await
            .status,
        400
    );
    assert_eq!(
        app.post("/v1/organization/users/owner", r#"{"role":"reader"}"#)
            .await
            .status,
        400
    );
    assert_eq!(
        app.delete("/v1/organization/invites/invite-nothing")
            .await
            .status,
        404
    );
    assert_eq!(all_entries(&app, "").await, Vec::<Value>::new());
}

/// Writes a small history at known times: returns the project id and group id.
async fn history(app: &TestApp) -> (String, String) {
    app.import(&[user_line("ada", "ada@example.com", 1_700_000_000, "owner")])
        .await;
    freeze(app, 4_000_000_000).await;
    let project = id(&ok(&app
        .post("/v1/organization/projects", r#"{"name":"Apollo"}"#)
        .await));
    advance(app, 10).await;
    let group = id(&ok(&app
        .post("/v1/organization/groups", r#"{"name":"Crew"}"#)
        .await));
    advance(app, 10).await;
    let p = format!("/v1/organization/projects/{project}");
    ok(&app
        .post(
            &format!("{p}/users"),
            r#"{"user_id":"ada","role":"member"}"#,
        )
        .await);
    advance(app, 10).await;
    ok(&app.post(&p, r#"{"name":"Artemis"}"#).await);
    ok(&app
        .post(
            &format!("/v1/organization/groups/{group}"),
            r#"{"name":"Team"}"#,
        )
        .await);
    (project, group)
}

async fn freeze(app: &TestApp, at: i64) {
    ok(&app.post(CLOCK, &json!({"now": at}).to_string()).await);
}

async fn advance(app: &TestApp, seconds: i64) {
    ok(&app
        .post(CLOCK, &json!({"advance_seconds": seconds}).to_string())
        .await);
}

fn types(entries: &[Value]) -> Vec<&str> {
    entries
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect()
}

async fn filters_narrow_and_combine(app: TestApp) {
    let (project, group) = history(&app).await;
    let everything = all_entries(&app, "").await;
    assert_eq!(
        types(&everything),
        [
            "group.updated",
            "project.updated",
            "user.added",
            "group.created",
            "project.created"
        ],
        "newest first; ties by insertion"
    );
    let t0 = 4_000_000_000_i64;
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            format!("&effective_at[gt]={t0}"),
            vec![
                "group.updated",
                "project.updated",
                "user.added",
                "group.created",
            ],
        ),
        (
            format!("&effective_at[gte]={}", t0 + 20),
            vec!["group.updated", "project.updated", "user.added"],
        ),
        (
            format!("&effective_at[lt]={}", t0 + 20),
            vec!["group.created", "project.created"],
        ),
        (
            format!("&effective_at%5Blte%5D={}", t0 + 10),
            vec!["group.created", "project.created"],
        ),
        (
            format!("&effective_at[gt]={t0}&effective_at[lt]={}", t0 + 30),
            vec!["user.added", "group.created"],
        ),
        (
            "&event_types[]=project.created&event_types[]=group.updated".into(),
            vec!["group.updated", "project.created"],
        ),
        ("&event_types=user.added".into(), vec!["user.added"]),
        (
            format!("&resource_ids[]={project}"),
            vec!["project.updated", "project.created"],
        ),
        (
            format!("&resource_ids={group}&resource_ids=ada"),
            vec!["group.updated", "user.added", "group.created"],
        ),
        (
            format!("&project_ids[]={project}"),
            vec!["project.updated", "user.added", "project.created"],
        ),
        (
            format!("&project_ids%5B%5D={project}&event_types[]=user.added"),
            vec!["user.added"],
        ),
        (
            format!("&project_ids[]={project}&effective_at[gte]={}", t0 + 30),
            vec!["project.updated"],
        ),
        ("&project_ids[]=proj_nothing".into(), vec![]),
        ("&actor_ids[]=key_nothing".into(), vec![]),
        ("&actor_emails[]=ada@example.com".into(), vec![]),
    ];
    for (query, expected) in cases {
        assert_eq!(types(&all_entries(&app, &query).await), expected, "{query}");
    }
    let actor = key_id(&app, app.org.as_str(), KEY).await;
    assert_eq!(
        all_entries(&app, &format!("&actor_ids[]={actor}"))
            .await
            .len(),
        5
    );
    assert_eq!(
        types(
            &all_entries(
                &app,
                &format!("&actor_ids={actor}&event_types[]=group.created")
            )
            .await
        ),
        ["group.created"]
    );
    // Filters walk in pages too.
    assert_eq!(
        ids(&all_entries_as(&app, KEY, &format!("&project_ids[]={project}"), 1).await),
        ids(&all_entries(&app, &format!("&project_ids[]={project}")).await),
    );
}

async fn filters_are_checked(app: TestApp) {
    let bad_time = app
        .get(&format!("{AUDIT_LOGS}?effective_at[gt]=soon"))
        .await;
    bad_time.assert_error(
        400,
        Some("effective_at[gt]"),
        Some("invalid_type"),
        "Invalid type for 'effective_at[gt]': expected an integer, but got 'soon' instead.",
    );
    let bad_type = app
        .get(&format!("{AUDIT_LOGS}?event_types[]=project.exploded"))
        .await;
    assert_eq!(bad_type.status, 400);
    assert_eq!(bad_type.body["error"]["param"], "event_types");
    assert_eq!(bad_type.body["error"]["code"], "invalid_value");
    assert!(
        bad_type.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("project.exploded")
    );
    for (query, param) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=x", "limit"),
    ] {
        let r = app.get(&format!("{AUDIT_LOGS}?{query}")).await;
        assert_eq!(
            (r.status, r.body["error"]["param"].as_str()),
            (400, Some(param)),
            "{query}"
        );
    }
    for param in ["after", "before"] {
        let r = app
            .get(&format!("{AUDIT_LOGS}?{param}=audit_log-nothing"))
            .await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert_eq!(r.body["error"]["param"], param);
    }
}

async fn pages_walk_both_ways(app: TestApp) {
    app.import(&[user_line("ada", "ada@example.com", 1_700_000_000, "owner")])
        .await;
    freeze(&app, 4_000_000_000).await;
    for i in 0..7 {
        ok(&app
            .post(
                "/v1/organization/groups",
                &json!({"name": format!("g{i}")}).to_string(),
            )
            .await);
        if i % 2 == 0 {
            advance(&app, 1).await;
        }
    }
    let everything = all_entries(&app, "").await;
    assert_eq!(everything.len(), 7);
    let names: Vec<&str> = everything
        .iter()
        .map(|e| e["group.created"]["data"]["group_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["g6", "g5", "g4", "g3", "g2", "g1", "g0"]);
    let all_ids = ids(&everything);
    let first = app.get(&format!("{AUDIT_LOGS}?limit=3")).await;
    assert_eq!(first.ids(), all_ids[..3]);
    assert_eq!(first.body["has_more"], true);
    assert_eq!(ids(&all_entries_as(&app, KEY, "", 3).await), all_ids);
    let last = app
        .get(&format!("{AUDIT_LOGS}?limit=3&after={}", all_ids[5]))
        .await;
    assert_eq!(
        (last.ids(), &last.body["has_more"]),
        (all_ids[6..].to_vec(), &json!(false))
    );
    // `before` gives the newer entries next to the cursor, still newest first.
    let newer = app
        .get(&format!("{AUDIT_LOGS}?limit=2&before={}", all_ids[4]))
        .await;
    assert_eq!(newer.ids(), all_ids[2..4]);
    assert_eq!(newer.body["has_more"], true);
    let newest = app
        .get(&format!("{AUDIT_LOGS}?limit=5&before={}", all_ids[2]))
        .await;
    assert_eq!(newest.ids(), all_ids[..2]);
    assert_eq!(newest.body["has_more"], false);
    let none = app
        .get(&format!("{AUDIT_LOGS}?before={}", all_ids[0]))
        .await;
    assert_eq!(none.ids(), Vec::<String>::new());
    assert_eq!(none.body["first_id"], Value::Null);
}

async fn entries_stay_in_their_organization(app: TestApp) {
    ok(&app
        .post("/v1/organization/groups", r#"{"name":"Ours"}"#)
        .await);
    ok(&app
        .post_as(OTHER_KEY, "/v1/organization/groups", r#"{"name":"Theirs"}"#)
        .await);
    let ours = all_entries(&app, "").await;
    let theirs = all_entries_as(&app, OTHER_KEY, "", 20).await;
    assert_eq!(ours.len(), 1);
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0]["group.created"]["data"]["group_name"], "Theirs");
    let their_key = key_id(&app, OTHER_ORG, OTHER_KEY).await;
    assert_eq!(theirs[0]["actor"]["api_key"]["id"], their_key);
    // Another organization's entry is no cursor here.
    let foreign = app
        .get(&format!(
            "{AUDIT_LOGS}?after={}",
            theirs[0]["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(foreign.status, 400);
    assert_eq!(
        all_entries(&app, &format!("&actor_ids[]={their_key}"))
            .await
            .len(),
        0
    );
}

async fn the_organization_clock_dates_entries(app: TestApp) {
    freeze(&app, 4_000_000_000).await;
    ok(&app.post("/v1/organization/groups", r#"{"name":"A"}"#).await);
    advance(&app, 60).await;
    ok(&app.post("/v1/organization/groups", r#"{"name":"B"}"#).await);
    let entries = all_entries(&app, "").await;
    let times: Vec<i64> = entries
        .iter()
        .map(|e| e["effective_at"].as_i64().unwrap())
        .collect();
    assert_eq!(times, [4_000_000_060, 4_000_000_000]);
}

async fn the_cli_lists_and_filters_entries(app: TestApp) {
    use crate::cli_directory::{cli, jsonl, ok};

    let (project, _group) = history(&app).await;
    let every = jsonl(&ok(&cli(
        &app,
        &["audit-logs", "list", "--all", "--format", "jsonl"],
    )));
    assert_eq!(ids(&every), ids(&all_entries(&app, "").await));
    let filtered = jsonl(&ok(&cli(
        &app,
        &[
            "audit-logs",
            "list",
            "--project",
            &project,
            "--type",
            "user.added",
            "--type",
            "project.created",
            "--since",
            "4000000000",
            "--until",
            "2096-10-02T07:07:00Z",
            "--limit",
            "1",
            "--all",
            "--format",
            "jsonl",
        ],
    )));
    assert_eq!(types(&filtered), ["user.added", "project.created"]);
    let output = cli(&app, &["audit-logs", "list", "--limit", "2"]);
    let table = ok(&output);
    assert!(table.contains("TYPE"), "{table}");
    assert!(table.contains("group.updated"), "{table}");
    assert!(table.contains("2096-10-02T07:07:10Z"), "{table}");
    let csv = ok(&cli(
        &app,
        &[
            "audit-logs",
            "list",
            "--format",
            "csv",
            "--type",
            "group.created",
        ],
    ));
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("id,effective_at,type,actor_key_id,resource_id,project_id,payload")
    );
    assert_eq!(csv.lines().count(), 2, "{csv}");
    let refused = cli(&app, &["audit-logs", "list", "--type", "project.exploded"]);
    assert!(!refused.status.success());
}

async fn snapshots_and_reset_carry_the_log(app: TestApp) {
    let project = id(&ok(&app
        .post("/v1/organization/projects", r#"{"name":"Apollo"}"#)
        .await));
    ok(&app
        .post("/_orgusers/snapshots", r#"{"name":"before"}"#)
        .await);
    ok(&app
        .post("/v1/organization/groups", r#"{"name":"Crew"}"#)
        .await);
    assert_eq!(all_entries(&app, "").await.len(), 2);
    ok(&app.post("/_orgusers/snapshots/before/restore", "").await);
    let restored = all_entries(&app, &format!("&project_ids[]={project}")).await;
    assert_eq!(types(&restored), ["project.created"]);
    assert_eq!(
        restored[0]["project"],
        json!({"id": project, "name": "Apollo"})
    );
    assert_eq!(all_entries(&app, "").await.len(), 1);
    ok(&app.post("/_orgusers/reset", "").await);
    assert_eq!(all_entries(&app, "").await, Vec::<Value>::new());
}
