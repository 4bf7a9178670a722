//! The console's Projects pages: each action read back through the API, audited with the
//! session's key, refused without the CSRF token, names escaped, pages linked.

use serde_json::json;

use crate::console_support::*;
use crate::harness::*;

on_both_stores!(
    create_rename_archive_and_the_archived_refusal,
    members_are_added_changed_and_removed,
    service_account_key_is_shown_once_and_keys_deleted,
    groups_are_given_and_lose_access,
    forged_project_forms_change_nothing,
    hostile_project_names_are_escaped,
    project_pages_follow_their_links,
);

const PROJECTS: &str = "/v1/organization/projects";

fn people() -> Vec<serde_json::Value> {
    vec![
        user_line("user-ada", "ada@example.com", 1_700_000_000, "owner"),
        user_line("user-bob", "bob@example.com", 1_700_000_001, "reader"),
    ]
}

async fn create_rename_archive_and_the_archived_refusal(app: TestApp) {
    app.import(&people()).await;
    let (browser, key_id, mark) = signed_in_with_new_key(&app, "console").await;
    let list = browser.get("/console/projects").await;
    list.assert_page(200);
    assert!(
        list.body
            .contains(r#"<label for="project-name">Name</label>"#)
    );
    assert!(list.body.contains(">Create project</button>"));
    let csrf = list.csrf();
    // A name the API refuses is refused here, with the form kept.
    let refused = browser
        .post("/console/projects", &[("name", " "), ("csrf", &csrf)])
        .await;
    refused.assert_page(400);
    assert!(refused.has_alert("1 to 255 characters"), "{}", refused.body);

    let created = browser
        .post("/console/projects", &[("name", "Apollo"), ("csrf", &csrf)])
        .await;
    created.assert_page(303);
    let href = created.location().unwrap().to_owned();
    let id = href.strip_prefix("/console/projects/").unwrap().to_owned();
    assert_eq!(
        app.get(&format!("{PROJECTS}/{id}")).await.body["name"],
        "Apollo"
    );
    let overview = browser.get(&href).await;
    overview.assert_page(200);
    assert!(overview.has_status("Created the project Apollo."));
    assert!(overview.body.contains(">Rename project</button>"));

    let renamed = browser
        .post(
            &format!("{href}/rename"),
            &[("name", "Artemis"), ("csrf", &csrf)],
        )
        .await;
    renamed.assert_page(303);
    assert_eq!(renamed.location(), Some(href.as_str()));
    assert_eq!(
        app.get(&format!("{PROJECTS}/{id}")).await.body["name"],
        "Artemis"
    );

    // Archiving asks first.
    let confirm = browser.get(&format!("{href}/archive")).await;
    confirm.assert_page(200);
    assert!(confirm.body.contains("Archive Artemis?"));
    assert!(confirm.body.contains(">Archive project</button>"));
    let archived = browser
        .post(&format!("{href}/archive"), &[("csrf", &csrf)])
        .await;
    archived.assert_page(303);
    let project = app.get(&format!("{PROJECTS}/{id}")).await;
    assert_eq!(project.body["status"], "archived");
    // Read-only now: no forms.
    let overview = browser.get(&href).await;
    assert!(overview.has_status("Archived the project Artemis."));
    assert!(overview.body.contains("it can be read but not changed"));
    assert!(!overview.body.contains("Rename project"));
    let members = browser.get(&format!("{href}/members")).await;
    assert!(!members.body.contains("Add member"));
    // A form from before the archiving: the store's refusal, as a message.
    let late = browser
        .post(
            &format!("{href}/rename"),
            &[("name", "Late"), ("csrf", &csrf)],
        )
        .await;
    late.assert_page(400);
    assert!(
        late.has_alert(&format!(
            "Project {id} is archived: it can be read but not changed."
        )),
        "{}",
        late.body
    );
    let late = browser
        .post(
            &format!("{href}/members"),
            &[
                ("user", "bob@example.com"),
                ("role", "member"),
                ("csrf", &csrf),
            ],
        )
        .await;
    late.assert_page(400);
    assert!(late.has_alert("is archived"), "{}", late.body);
    // Archived projects are listed only when asked.
    let active = browser.get("/console/projects").await;
    assert!(!active.body.contains(&id));
    assert!(
        active
            .body
            .contains(r#"href="/console/projects?archived=true""#)
    );
    let all = browser.get("/console/projects?archived=true").await;
    assert!(all.body.contains(&id));
    assert!(all.body.contains("Hide archived projects"));
    // The Default project cannot be archived: the page says so.
    let default_id = app.get(PROJECTS).await.ids()[0].clone();
    let default = browser
        .get(&format!("/console/projects/{default_id}"))
        .await;
    assert!(
        default
            .body
            .contains("The Default project cannot be archived.")
    );
    let refused = browser
        .post(
            &format!("/console/projects/{default_id}/archive"),
            &[("csrf", &csrf)],
        )
        .await;
    refused.assert_page(400);
    assert!(refused.has_alert("The Default project cannot be archived."));

    assert_audited(
        &events_since(&app, mark).await,
        &["project.created", "project.updated", "project.archived"],
        &key_id,
    );
    browser
        .get("/console/projects/proj_nothing")
        .await
        .assert_page(404);
}

async fn members_are_added_changed_and_removed(app: TestApp) {
    app.import(&people()).await;
    let id = new_project(&app, "Apollo").await;
    let (browser, key_id, mark) = signed_in_with_new_key(&app, "console").await;
    let base = format!("/console/projects/{id}/members");
    let page = browser.get(&base).await;
    page.assert_page(200);
    assert!(
        page.body
            .contains(r#"<label for="member-user">Email or user id</label>"#)
    );
    assert!(
        page.body
            .contains(r#"<label for="member-role">Project role</label>"#)
    );
    let csrf = page.csrf();
    // By email (any case) and by id.
    let added = browser
        .post(
            &base,
            &[
                ("user", "BOB@example.com"),
                ("role", "member"),
                ("csrf", &csrf),
            ],
        )
        .await;
    added.assert_page(303);
    assert_eq!(added.location(), Some(base.as_str()));
    let added = browser
        .post(
            &base,
            &[("user", "user-ada"), ("role", "owner"), ("csrf", &csrf)],
        )
        .await;
    added.assert_page(303);
    let ada = app.get(&format!("{PROJECTS}/{id}/users/user-ada")).await;
    assert_eq!(ada.body["role"], "owner");
    let bob = app.get(&format!("{PROJECTS}/{id}/users/user-bob")).await;
    assert_eq!(bob.body["role"], "member");
    let page = browser.get(&base).await;
    assert!(
        page.has_status("Added Name of user-ada to the project as owner."),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(r#"<label for="member-role-user-bob" class="visually-hidden">"#)
    );
    // Refusals are the store's.
    let again = browser
        .post(
            &base,
            &[("user", "user-bob"), ("role", "member"), ("csrf", &csrf)],
        )
        .await;
    again.assert_page(400);
    assert!(
        again.has_alert("is already a member of project"),
        "{}",
        again.body
    );
    let stranger = browser
        .post(
            &base,
            &[
                ("user", "nobody@example.com"),
                ("role", "member"),
                ("csrf", &csrf),
            ],
        )
        .await;
    stranger.assert_page(400);
    assert!(stranger.has_alert("'nobody@example.com' is not a user of this organization."));

    let changed = browser
        .post(
            &format!("{base}/user-bob/role"),
            &[("role", "owner"), ("csrf", &csrf)],
        )
        .await;
    changed.assert_page(303);
    let bob = app.get(&format!("{PROJECTS}/{id}/users/user-bob")).await;
    assert_eq!(bob.body["role"], "owner");

    let confirm = browser.get(&format!("{base}/user-bob/remove")).await;
    confirm.assert_page(200);
    assert!(confirm.body.contains(">Remove member</button>"));
    let removed = browser
        .post(&format!("{base}/user-bob/remove"), &[("csrf", &csrf)])
        .await;
    removed.assert_page(303);
    assert_eq!(
        app.get(&format!("{PROJECTS}/{id}/users/user-bob"))
            .await
            .status,
        404
    );
    browser
        .get(&format!("{base}/user-bob/remove"))
        .await
        .assert_page(404);
    assert_audited(
        &events_since(&app, mark).await,
        &["user.added", "user.added", "user.updated", "user.deleted"],
        &key_id,
    );
}

async fn service_account_key_is_shown_once_and_keys_deleted(app: TestApp) {
    let id = new_project(&app, "Apollo").await;
    let (browser, key_id, mark) = signed_in_with_new_key(&app, "console").await;
    let base = format!("/console/projects/{id}/service-accounts");
    let page = browser.get(&base).await;
    page.assert_page(200);
    assert!(
        page.body
            .contains(r#"<label for="account-name">Name</label>"#)
    );
    let csrf = page.csrf();
    let created = browser
        .post(&base, &[("name", "deployer"), ("csrf", &csrf)])
        .await;
    created.assert_page(200);
    assert_eq!(created.header("cache-control"), Some("no-store"));
    assert!(
        created.has_status("Created the service account"),
        "{}",
        created.body
    );
    let value = created
        .input_value("new-key-value")
        .expect("the key's value");
    assert!(value.starts_with("sk-svcacct-"), "{value}");

    let accounts = app.get(&format!("{PROJECTS}/{id}/service_accounts")).await;
    assert_eq!(accounts.body["data"][0]["name"], "deployer");
    let account = accounts.ids()[0].clone();
    let keys = app.get(&format!("{PROJECTS}/{id}/api_keys")).await;
    let key = keys.ids()[0].clone();
    let redacted = keys.body["data"][0]["redacted_value"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        redacted,
        format!("sk-svcacct-...{}", &value[value.len() - 4..])
    );
    // Shown once: no list shows it again.
    for path in [base.clone(), format!("/console/projects/{id}/api-keys")] {
        let page = browser.get(&path).await;
        page.assert_page(200);
        assert!(!page.body.contains(&value), "{path}");
    }
    let keys_page = browser
        .get(&format!("/console/projects/{id}/api-keys"))
        .await;
    assert!(keys_page.body.contains(&redacted));
    assert!(keys_page.body.contains("service account deployer"));

    // The key goes, after a confirmation; then the account.
    let key_path = format!("/console/projects/{id}/api-keys/{key}/delete");
    let confirm = browser.get(&key_path).await;
    confirm.assert_page(200);
    assert!(confirm.body.contains(">Delete API key</button>"));
    browser
        .post(&key_path, &[("csrf", &csrf)])
        .await
        .assert_page(303);
    assert_eq!(
        app.get(&format!("{PROJECTS}/{id}/api_keys/{key}"))
            .await
            .status,
        404
    );
    let account_path = format!("{base}/{account}/delete");
    let confirm = browser.get(&account_path).await;
    confirm.assert_page(200);
    assert!(confirm.body.contains(">Delete service account</button>"));
    let deleted = browser.post(&account_path, &[("csrf", &csrf)]).await;
    deleted.assert_page(303);
    assert_eq!(deleted.location(), Some(base.as_str()));
    assert!(
        browser
            .get(&base)
            .await
            .has_status("Deleted the service account deployer.")
    );
    assert_eq!(
        app.get(&format!("{PROJECTS}/{id}/service_accounts/{account}"))
            .await
            .status,
        404
    );
    assert_audited(
        &events_since(&app, mark).await,
        &[
            "service_account.created",
            "api_key.created",
            "api_key.deleted",
            "service_account.deleted",
        ],
        &key_id,
    );
}

async fn groups_are_given_and_lose_access(app: TestApp) {
    let id = new_project(&app, "Apollo").await;
    let group = app
        .post("/v1/organization/groups", r#"{"name": "Crew"}"#)
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (browser, key_id, mark) = signed_in_with_new_key(&app, "console").await;
    let base = format!("/console/projects/{id}/groups");
    let page = browser.get(&base).await;
    page.assert_page(200);
    assert!(
        page.body
            .contains(r#"<label for="grant-group">Group</label>"#)
    );
    assert!(page.body.contains(">Give access</button>"));
    let csrf = page.csrf();
    let given = browser
        .post(
            &base,
            &[("group", &group), ("role", "owner"), ("csrf", &csrf)],
        )
        .await;
    given.assert_page(303);
    let grants = app.get(&format!("{PROJECTS}/{id}/groups")).await;
    assert_eq!(grants.body["data"][0]["group_id"], group.as_str());
    let page = browser.get(&base).await;
    assert!(page.has_status("The group Crew has access to the project as owner."));
    let unknown = browser
        .post(
            &base,
            &[("group", "group_nope"), ("role", "owner"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(unknown.status, 400, "{}", unknown.body);
    let remove = format!("{base}/{group}/remove");
    let confirm = browser.get(&remove).await;
    confirm.assert_page(200);
    assert!(confirm.body.contains(">Remove access</button>"));
    browser
        .post(&remove, &[("csrf", &csrf)])
        .await
        .assert_page(303);
    let grants = app.get(&format!("{PROJECTS}/{id}/groups")).await;
    assert_eq!(grants.body["data"].as_array().unwrap().len(), 0);
    assert_audited(
        &events_since(&app, mark).await,
        &["role.assignment.created", "role.assignment.deleted"],
        &key_id,
    );
}

async fn forged_project_forms_change_nothing(app: TestApp) {
    app.import(&people()).await;
    let id = new_project(&app, "Apollo").await;
    let browser = Browser::signed_in(&app.base, KEY).await;
    let base = format!("/console/projects/{id}");
    for (path, fields) in [
        ("/console/projects".to_owned(), vec![("name", "Forged")]),
        (format!("{base}/rename"), vec![("name", "Forged")]),
        (format!("{base}/archive"), vec![]),
        (
            format!("{base}/members"),
            vec![("user", "user-bob"), ("role", "owner")],
        ),
        (format!("{base}/service-accounts"), vec![("name", "Forged")]),
    ] {
        for csrf in [None, Some("forged")] {
            let mut fields = fields.clone();
            if let Some(csrf) = csrf {
                fields.push(("csrf", csrf));
            }
            let page = browser.post(&path, &fields).await;
            page.assert_page(403);
            assert!(page.body.contains("Nothing was changed"), "{path}");
        }
    }
    let project = app.get(&format!("{PROJECTS}/{id}")).await;
    assert_eq!(
        (
            project.body["name"].as_str(),
            project.body["status"].as_str()
        ),
        (Some("Apollo"), Some("active"))
    );
    assert_eq!(app.get(PROJECTS).await.ids().len(), 2, "Default and Apollo");
    assert!(
        app.get(&format!("{PROJECTS}/{id}/users"))
            .await
            .ids()
            .is_empty()
    );
    assert!(
        app.get(&format!("{PROJECTS}/{id}/service_accounts"))
            .await
            .ids()
            .is_empty()
    );
}

async fn hostile_project_names_are_escaped(app: TestApp) {
    let hostile = "<script>alert(1)</script>";
    let id = new_project(&app, hostile).await;
    app.post(
        &format!("{PROJECTS}/{id}/service_accounts"),
        &json!({ "name": "\"><img src=x>" }).to_string(),
    )
    .await;
    let browser = Browser::signed_in(&app.base, KEY).await;
    for path in [
        "/console/projects".to_owned(),
        format!("/console/projects/{id}"),
        format!("/console/projects/{id}/archive"),
        format!("/console/projects/{id}/members"),
        format!("/console/projects/{id}/service-accounts"),
        format!("/console/projects/{id}/api-keys"),
        format!("/console/projects/{id}/groups"),
        "/console/invites".to_owned(),
    ] {
        let page = browser.get(&path).await;
        page.assert_page(200);
        assert!(
            !page.body.contains("<script>alert"),
            "{path}: {}",
            page.body
        );
        assert!(!page.body.contains("<img"), "{path}");
        assert!(
            page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{path}: {}",
            page.body
        );
    }
    let accounts = browser
        .get(&format!("/console/projects/{id}/service-accounts"))
        .await;
    assert!(accounts.body.contains("&quot;&gt;&lt;img src=x&gt;"));
}

async fn project_pages_follow_their_links(app: TestApp) {
    for i in 0..30 {
        new_project(&app, &format!("Project {i:02}")).await;
    }
    let browser = Browser::signed_in(&app.base, KEY).await;
    let names = |page: &Page| -> Vec<String> {
        page.body
            .match_indices(">Project ")
            .map(|(at, _)| page.body[at + 1..at + 11].to_owned())
            .collect()
    };
    let first = browser.get("/console/projects").await;
    first.assert_page(200);
    assert_eq!(names(&first).len(), 24, "the Default project, then 24");
    let next = first.rel_link("next").expect("a next link");
    assert!(next.starts_with("/console/projects?after=proj_"), "{next}");
    let second = browser.get(&next).await;
    second.assert_page(200);
    assert_eq!(names(&second).len(), 6);
    assert!(second.rel_link("next").is_none());
    assert!(second.body.contains("Back to the first page"));
    // The API's order (created, then id), every project once.
    let mut seen = names(&first);
    seen.extend(names(&second));
    let api: Vec<String> = app.get(&format!("{PROJECTS}?limit=100")).await.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .filter(|name| name.starts_with("Project "))
        .collect();
    assert_eq!(seen, api);
    // The toggle keeps to its list.
    let archived = browser.get("/console/projects?archived=true").await;
    let next = archived.rel_link("next").unwrap();
    assert!(
        next.contains("archived=true") && next.contains("after="),
        "{next}"
    );
    // An unknown cursor says so.
    let unknown = browser.get("/console/projects?after=proj_nothing").await;
    unknown.assert_page(400);
    assert!(unknown.has_alert("That page of the list is no longer available"));
}
