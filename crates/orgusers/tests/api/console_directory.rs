//! The console's Roles, Groups and Audit log pages: each action read back through the API,
//! audited with the session's key (and shown on the audit-log page, which its filters narrow),
//! refused without the CSRF token, hostile names escaped, lists paged.

use serde_json::json;

use crate::console_support::*;
use crate::harness::*;

on_both_stores!(
    roles_are_created_edited_assigned_and_deleted,
    role_refusals_are_the_stores,
    groups_are_created_renamed_filled_and_deleted,
    the_audit_log_shows_console_changes_and_filters_them,
    the_audit_log_and_the_lists_page,
    forged_directory_forms_change_nothing,
    hostile_role_and_group_names_are_escaped,
);

/// The path of a 303's `Location`, which must start with `prefix`.
#[track_caller]
fn redirected(page: &Page, prefix: &str) -> String {
    page.assert_page(303);
    let to = page.location().unwrap().to_owned();
    assert!(to.starts_with(prefix), "{to}");
    to
}

/// The page at `href`, after an action, shows `status`.
async fn says(browser: &Browser, href: &str, status: &str) {
    let page = browser.get(href).await;
    assert!(page.has_status(status), "{status}: {}", page.body);
}

async fn group(app: &TestApp, name: &str) -> String {
    let created = app
        .post(
            "/v1/organization/groups",
            &json!({ "name": name }).to_string(),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    created.body["id"].as_str().unwrap().to_owned()
}

fn role_ids(reply: &Reply) -> Vec<String> {
    reply.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn roles_are_created_edited_assigned_and_deleted(app: TestApp) {
    app.import(&ada_and_bob()).await;
    let reviewers = group(&app, "Reviewers").await;
    let (browser, key_id, mark) = signed_in_with_new_key(&app, "console").await;

    let page = browser.get("/console/roles").await;
    page.assert_page(200);
    assert!(page.body.contains("Predefined") && page.body.contains(">owner</a>"));
    assert!(page.body.contains(r#"<label for="role-name">Name</label>"#));
    assert!(
        page.body.contains(
            r#"<label for="permission-api-users-read"><code>api.users.read</code></label>"#
        )
    );
    assert!(page.body.contains(">Create role</button>"));
    let csrf = page.csrf();
    let created = browser
        .post(
            "/console/roles",
            &[
                ("name", "Auditors"),
                ("description", "Read the log"),
                ("permission_api.audit_logs.read", "on"),
                ("permission_api.users.read", "on"),
                ("csrf", &csrf),
            ],
        )
        .await;
    let href = redirected(&created, "/console/roles/role_");
    let role_id = href.trim_start_matches("/console/roles/").to_owned();
    let role = app.get(&format!("/v1/organization/roles/{role_id}")).await;
    assert_eq!(role.body["name"], "Auditors");
    assert_eq!(role.body["description"], "Read the log");
    assert_eq!(
        role.body["permissions"],
        json!(["api.users.read", "api.audit_logs.read"])
    );
    let page = browser.get(&href).await;
    page.assert_page(200);
    assert!(
        page.has_status("Created the role Auditors."),
        "{}",
        page.body
    );
    assert!(page.body.contains(">Save role</button>"));

    // Edit: description and permissions.
    let edited = browser
        .post(
            &href,
            &[
                ("description", "Reads groups"),
                ("permission_api.groups.read", "on"),
                ("csrf", &csrf),
            ],
        )
        .await;
    redirected(&edited, &href);
    says(&browser, &href, "Saved the role Auditors.").await;
    let role = app.get(&format!("/v1/organization/roles/{role_id}")).await;
    assert_eq!(role.body["description"], "Reads groups");
    assert_eq!(role.body["permissions"], json!(["api.groups.read"]));

    // Assign to a user by email, to another by id, and to a group.
    for (user, who) in [
        ("ADA@example.com", "Ada Lovelace"),
        ("user-bob", "Bob Builder"),
    ] {
        let assigned = browser
            .post(&format!("{href}/users"), &[("user", user), ("csrf", &csrf)])
            .await;
        redirected(&assigned, &href);
        let page = browser.get(&href).await;
        assert!(
            page.has_status(&format!("Assigned the role Auditors to {who}.")),
            "{}",
            page.body
        );
    }
    let held = app.get("/v1/organization/users/user-ada/roles").await;
    assert!(role_ids(&held).contains(&role_id), "{}", held.body);
    let assigned = browser
        .post(
            &format!("{href}/groups"),
            &[("group_id", &reviewers), ("csrf", &csrf)],
        )
        .await;
    redirected(&assigned, &href);
    says(
        &browser,
        &href,
        "Assigned the role Auditors to the group Reviewers.",
    )
    .await;
    let held = app
        .get(&format!("/v1/organization/groups/{reviewers}/roles"))
        .await;
    assert_eq!(role_ids(&held), [role_id.as_str()]);
    let page = browser.get(&href).await;
    assert!(page.body.contains(">Ada Lovelace</a>"), "{}", page.body);
    assert!(page.body.contains(">Reviewers</a>"), "{}", page.body);
    assert!(
        page.body
            .contains(r#"aria-label="Unassign from Ada Lovelace""#)
    );

    // Unassign both.
    let unassigned = browser
        .post(
            &format!("{href}/users/user-ada/unassign"),
            &[("csrf", &csrf)],
        )
        .await;
    redirected(&unassigned, &href);
    says(
        &browser,
        &href,
        "Unassigned the role Auditors from user-ada.",
    )
    .await;
    let held = app.get("/v1/organization/users/user-ada/roles").await;
    assert!(!role_ids(&held).contains(&role_id));
    let unassigned = browser
        .post(
            &format!("{href}/groups/{reviewers}/unassign"),
            &[("csrf", &csrf)],
        )
        .await;
    redirected(&unassigned, &href);
    let status = format!("Unassigned the role Auditors from the group {reviewers}.");
    says(&browser, &href, &status).await;
    let held = app
        .get(&format!("/v1/organization/groups/{reviewers}/roles"))
        .await;
    assert!(role_ids(&held).is_empty());

    // A form sent with its field empty, or naming nobody, is answered on the page.
    for (action, field, value, alert) in [
        ("users", "user", "", "Give the email or id of a user."),
        (
            "users",
            "user",
            "nobody@example.com",
            "no user with the email or id",
        ),
        ("groups", "group_id", "", "Choose a group."),
    ] {
        let refused = browser
            .post(
                &format!("{href}/{action}"),
                &[(field, value), ("csrf", &csrf)],
            )
            .await;
        refused.assert_page(400);
        assert!(refused.has_alert(alert), "{alert}: {}", refused.body);
    }

    // Delete, after a confirmation.
    let confirm = browser.get(&format!("{href}/delete")).await;
    confirm.assert_page(200);
    assert!(confirm.body.contains(">Delete role</button>"));
    assert!(confirm.body.contains("Delete the role Auditors?"));
    let deleted = browser
        .post(&format!("{href}/delete"), &[("csrf", &csrf)])
        .await;
    assert_eq!(redirected(&deleted, "/console/roles"), "/console/roles");
    let gone = app.get(&format!("/v1/organization/roles/{role_id}")).await;
    assert_eq!(gone.status, 404);
    assert_eq!(browser.get(&href).await.status, 404);

    // create, update, 2 user assignments, group assignment, 2 unassignments, delete.
    assert_audited(
        &events_since(&app, mark).await,
        &[
            "role.created",
            "role.updated",
            "role.assignment.created",
            "role.assignment.created",
            "role.assignment.created",
            "role.assignment.deleted",
            "role.assignment.deleted",
            "role.deleted",
        ],
        &key_id,
    );
}

async fn role_refusals_are_the_stores(app: TestApp) {
    app.import(&ada_and_bob()).await;
    let browser = Browser::signed_in(&app.base, KEY).await;
    let csrf = browser.csrf().await;
    // No permission: the API's rule, the form shown again as typed.
    let page = browser
        .post(
            "/console/roles",
            &[("name", "Empty"), ("description", "kept"), ("csrf", &csrf)],
        )
        .await;
    page.assert_page(400);
    assert!(
        page.has_alert("a role needs at least one permission"),
        "{}",
        page.body
    );
    assert_eq!(page.input_value("role-name").as_deref(), Some("Empty"));
    // A predefined name is taken.
    let page = browser
        .post(
            "/console/roles",
            &[
                ("name", "Owner"),
                ("permission_api.users.read", "on"),
                ("csrf", &csrf),
            ],
        )
        .await;
    page.assert_page(400);
    assert!(
        page.has_alert("A role named &#39;Owner&#39; already exists")
            || page.has_alert("A role named 'Owner' already exists"),
        "{}",
        page.body
    );
    let roles = app.get("/v1/organization/roles").await;
    assert_eq!(roles.body["data"].as_array().unwrap().len(), 2);

    // Predefined roles: no edit form, no deletion; their holders are users by role.
    let reader = format!(
        "role-api-organization-reader__api-organization__{}",
        app.org.as_str()
    );
    let page = browser.get(&format!("/console/roles/{reader}")).await;
    page.assert_page(200);
    assert!(!page.body.contains(">Save role</button>"));
    assert!(page.body.contains(">Bob Builder</a>"), "{}", page.body);
    assert_eq!(
        browser
            .get(&format!("/console/roles/{reader}/delete"))
            .await
            .status,
        400
    );
    let refused = browser
        .post(
            &format!("/console/roles/{reader}/delete"),
            &[("csrf", &csrf)],
        )
        .await;
    refused.assert_page(400);
    assert!(
        refused.has_alert("cannot be changed or deleted"),
        "{}",
        refused.body
    );
    // The last owner keeps the owner role: assigning reader to Ada is refused.
    let refused = browser
        .post(
            &format!("/console/roles/{reader}/users"),
            &[("user", "ada@example.com"), ("csrf", &csrf)],
        )
        .await;
    refused.assert_page(400);
    assert!(
        refused.has_alert("An organization must keep at least one owner."),
        "{}",
        refused.body
    );
    let ada = app.get("/v1/organization/users/user-ada").await;
    assert_eq!(ada.body["role"], "owner");
    // Assigning the predefined owner role to Bob switches his role, as the API does.
    let owner = format!(
        "role-api-organization-owner__api-organization__{}",
        app.org.as_str()
    );
    let assigned = browser
        .post(
            &format!("/console/roles/{owner}/users"),
            &[("user", "user-bob"), ("csrf", &csrf)],
        )
        .await;
    redirected(&assigned, "/console/roles/");
    let bob = app.get("/v1/organization/users/user-bob").await;
    assert_eq!(bob.body["role"], "owner");
    // An unknown user, an unknown role.
    let refused = browser
        .post(
            &format!("/console/roles/{owner}/users"),
            &[("user", "nobody@example.com"), ("csrf", &csrf)],
        )
        .await;
    refused.assert_page(400);
    assert!(
        refused.has_alert("no user with the email or id"),
        "{}",
        refused.body
    );
    assert_eq!(browser.get("/console/roles/role_nope").await.status, 404);
}

async fn groups_are_created_renamed_filled_and_deleted(app: TestApp) {
    app.import(&ada_and_bob()).await;
    let role = app
        .post(
            "/v1/organization/roles",
            &json!({ "role_name": "Reviewer", "permissions": ["api.groups.read"] }).to_string(),
        )
        .await;
    let role_id = role.body["id"].as_str().unwrap().to_owned();
    let (browser, key_id, mark) = signed_in_with_new_key(&app, "console").await;
    let page = browser.get("/console/groups").await;
    page.assert_page(200);
    assert!(
        page.body
            .contains(r#"<label for="group-name">Name</label>"#)
    );
    assert!(page.body.contains(">Create group</button>"));
    let csrf = page.csrf();
    let created = browser
        .post("/console/groups", &[("name", "Reviewers"), ("csrf", &csrf)])
        .await;
    let href = redirected(&created, "/console/groups/group_");
    let group_id = href.trim_start_matches("/console/groups/").to_owned();
    let group = app
        .get(&format!("/v1/organization/groups/{group_id}"))
        .await;
    assert_eq!(group.body["name"], "Reviewers");
    let page = browser.get(&href).await;
    assert!(
        page.has_status("Created the group Reviewers."),
        "{}",
        page.body
    );
    for button in [
        ">Rename group<",
        ">Add member<",
        ">Assign role<",
        ">Delete group<",
    ] {
        assert!(page.body.contains(button), "{button}: {}", page.body);
    }

    let renamed = browser
        .post(&href, &[("name", "Readers"), ("csrf", &csrf)])
        .await;
    redirected(&renamed, &href);
    says(&browser, &href, "Renamed the group Reviewers to Readers.").await;
    let group = app
        .get(&format!("/v1/organization/groups/{group_id}"))
        .await;
    assert_eq!(group.body["name"], "Readers");

    for (user, who) in [
        ("ada@example.com", "Ada Lovelace"),
        ("user-bob", "Bob Builder"),
    ] {
        let added = browser
            .post(
                &format!("{href}/members"),
                &[("user", user), ("csrf", &csrf)],
            )
            .await;
        redirected(&added, &href);
        let status = format!("Added {who} to the group Readers.");
        says(&browser, &href, &status).await;
    }
    let members = app
        .get(&format!("/v1/organization/groups/{group_id}/users"))
        .await;
    let mut ids: Vec<&str> = members.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, ["user-ada", "user-bob"]);
    let page = browser.get(&href).await;
    assert!(
        page.body
            .contains(r#"aria-label="Remove Ada Lovelace from the group""#)
    );
    let removed = browser
        .post(
            &format!("{href}/members/user-ada/remove"),
            &[("csrf", &csrf)],
        )
        .await;
    redirected(&removed, &href);
    says(&browser, &href, "Removed user-ada from the group Readers.").await;
    let members = app
        .get(&format!("/v1/organization/groups/{group_id}/users"))
        .await;
    assert_eq!(members.body["data"].as_array().unwrap().len(), 1);
    let refused = browser
        .post(
            &format!("{href}/members"),
            &[("user", "nobody@example.com"), ("csrf", &csrf)],
        )
        .await;
    refused.assert_page(400);
    assert!(refused.has_alert("no user with the email or id"));

    let assigned = browser
        .post(
            &format!("{href}/roles"),
            &[("role_id", &role_id), ("csrf", &csrf)],
        )
        .await;
    redirected(&assigned, &href);
    says(
        &browser,
        &href,
        "Assigned the role Reviewer to the group Readers.",
    )
    .await;
    let held = app
        .get(&format!("/v1/organization/groups/{group_id}/roles"))
        .await;
    assert_eq!(role_ids(&held), [role_id.as_str()]);
    // Bob holds it through the group now.
    let bob = app.get("/v1/organization/users/user-bob/roles").await;
    assert!(role_ids(&bob).contains(&role_id));
    // A predefined role is refused with the store's sentence.
    let owner = format!(
        "role-api-organization-owner__api-organization__{}",
        app.org.as_str()
    );
    let refused = browser
        .post(
            &format!("{href}/roles"),
            &[("role_id", &owner), ("csrf", &csrf)],
        )
        .await;
    refused.assert_page(400);
    assert!(
        refused.has_alert("cannot be assigned to a group"),
        "{}",
        refused.body
    );
    let unassigned = browser
        .post(
            &format!("{href}/roles/{role_id}/unassign"),
            &[("csrf", &csrf)],
        )
        .await;
    redirected(&unassigned, &href);
    let status = format!("Unassigned the role {role_id} from the group Readers.");
    says(&browser, &href, &status).await;
    let held = app
        .get(&format!("/v1/organization/groups/{group_id}/roles"))
        .await;
    assert!(role_ids(&held).is_empty());
    // A form sent with its field empty is answered on the page, and changes nothing.
    for (action, field, alert) in [
        ("members", "user", "Give the email or id of a user."),
        ("roles", "role_id", "Choose a role."),
    ] {
        let refused = browser
            .post(&format!("{href}/{action}"), &[(field, ""), ("csrf", &csrf)])
            .await;
        refused.assert_page(400);
        assert!(refused.has_alert(alert), "{alert}: {}", refused.body);
    }

    let confirm = browser.get(&format!("{href}/delete")).await;
    confirm.assert_page(200);
    assert!(confirm.body.contains(">Delete group</button>"));
    let deleted = browser
        .post(&format!("{href}/delete"), &[("csrf", &csrf)])
        .await;
    assert_eq!(redirected(&deleted, "/console/groups"), "/console/groups");
    let gone = app
        .get(&format!("/v1/organization/groups/{group_id}"))
        .await;
    assert_eq!(gone.status, 404);
    assert_eq!(browser.get(&href).await.status, 404);
    // create, rename, 2 additions, removal, assignment, unassignment, delete.
    assert_audited(
        &events_since(&app, mark).await,
        &[
            "group.created",
            "group.updated",
            "group.updated",
            "group.updated",
            "group.updated",
            "role.assignment.created",
            "role.assignment.deleted",
            "group.deleted",
        ],
        &key_id,
    );
}

async fn the_audit_log_shows_console_changes_and_filters_them(app: TestApp) {
    let (browser, key_id, _) = signed_in_with_new_key(&app, "console").await;
    let page = browser.get("/console/audit-log").await;
    page.assert_page(200);
    for label in [
        r#"<label for="event-type">Event type</label>"#,
        r#"<label for="actor">Actor (admin key id)</label>"#,
        r#"<label for="resource">Resource id</label>"#,
        r#"<label for="project">Project id</label>"#,
        r#"<label for="since">Since (UTC)</label>"#,
        r#"<label for="until">Until (UTC)</label>"#,
    ] {
        assert!(page.body.contains(label), "{label}");
    }
    assert!(page.body.contains(r#"<option value="role.created">"#));
    let csrf = page.csrf();
    let created = browser
        .post("/console/groups", &[("name", "Auditors"), ("csrf", &csrf)])
        .await;
    let href = redirected(&created, "/console/groups/");
    let group_id = href.trim_start_matches("/console/groups/").to_owned();
    let role = browser
        .post(
            "/console/roles",
            &[
                ("name", "Watcher"),
                ("permission_api.audit_logs.read", "on"),
                ("csrf", &csrf),
            ],
        )
        .await;
    redirected(&role, "/console/roles/");
    // One change over the API, with the test's key.
    group(&app, "Other").await;

    let page = browser.get("/console/audit-log").await;
    page.assert_page(200);
    assert!(page.body.contains("<code>group.created</code>"));
    assert!(page.body.contains("<code>role.created</code>"));
    assert!(page.body.contains(&format!("<code>{key_id}</code>")));
    assert!(page.body.contains(&format!("<code>{group_id}</code>")));
    assert!(page.body.contains("<time datetime=\""));
    assert!(page.body.contains("<summary>Payload</summary>"));
    // Newest first: the API's group, then the role, then the console's group.
    let other = page.body.find("&quot;Other&quot;").unwrap();
    let watcher = page.body.find("&quot;Watcher&quot;").unwrap();
    assert!(other < watcher, "{}", page.body);

    let count = |page: &Page, text: &str| page.body.matches(text).count();
    let by_type = browser
        .get("/console/audit-log?event_type=group.created")
        .await;
    by_type.assert_page(200);
    assert_eq!(count(&by_type, "<code>group.created</code>"), 2);
    assert_eq!(count(&by_type, "<code>role.created</code>"), 0);
    assert!(
        by_type
            .body
            .contains(r#"<option value="group.created" selected>"#)
    );
    let by_actor = browser
        .get(&format!(
            "/console/audit-log?event_type=group.created&actor={key_id}"
        ))
        .await;
    assert_eq!(count(&by_actor, "<code>group.created</code>"), 1);
    let by_resource = browser
        .get(&format!("/console/audit-log?resource={group_id}"))
        .await;
    assert_eq!(
        count(&by_resource, "<tr><td data-label=\"Time\">"),
        1,
        "{}",
        by_resource.body
    );
    let by_two_types = browser
        .get("/console/audit-log?event_type=group.created&event_type=role.created")
        .await;
    assert_eq!(count(&by_two_types, "<tr><td data-label=\"Time\">"), 3);
    // Time bounds: nothing since the far future, everything until it, in each accepted form.
    let future = browser
        .get("/console/audit-log?since=2999-01-01T00:00")
        .await;
    future.assert_page(200);
    assert!(future.body.contains("No entries match these filters."));
    assert!(future.body.contains(r#"value="2999-01-01T00:00:00""#));
    for until in ["2999-01-01T00:00", "2999-01-01T00:00:00Z", "32472144000"] {
        let page = browser
            .get(&format!(
                "/console/audit-log?event_type=group.created&until={until}"
            ))
            .await;
        assert_eq!(count(&page, "<code>group.created</code>"), 2, "{until}");
    }
    let past = browser
        .get("/console/audit-log?until=2000-01-01T00:00:00Z")
        .await;
    assert!(past.body.contains("No entries match these filters."));
    // Refusals: an unknown type, a time that is none, a cursor that names nothing.
    let refused = browser
        .get("/console/audit-log?event_type=group.exploded")
        .await;
    refused.assert_page(400);
    assert!(
        refused.has_alert("is not an event type"),
        "{}",
        refused.body
    );
    let refused = browser.get("/console/audit-log?since=soon").await;
    refused.assert_page(400);
    assert!(refused.has_alert("is not a time"));
    let refused = browser.get("/console/audit-log?after=audit_log-nope").await;
    refused.assert_page(400);
    assert!(refused.has_alert("no audit log entry"), "{}", refused.body);
}

async fn the_audit_log_and_the_lists_page(app: TestApp) {
    for n in 0..30 {
        group(&app, &format!("Group {n:02}")).await;
    }
    let browser = Browser::signed_in(&app.base, KEY).await;
    // Groups: 25 a page (list order: creation, ties by id), forwards and back.
    let names = |page: &Page| -> Vec<String> {
        page.body
            .split(">Group ")
            .skip(1)
            .map(|rest| rest[..2].to_owned())
            .collect()
    };
    let first = browser.get("/console/groups").await;
    first.assert_page(200);
    assert_eq!(names(&first).len(), 25);
    assert!(first.rel_link("prev").is_none());
    let next = first.rel_link("next").unwrap();
    let second = browser.get(&next).await;
    second.assert_page(200);
    assert_eq!(names(&second).len(), 5);
    let mut all = names(&first);
    all.extend(names(&second));
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 30);
    assert!(second.rel_link("next").is_none());
    let back = browser.get(&second.rel_link("prev").unwrap()).await;
    assert_eq!(names(&back), names(&first));
    assert!(back.rel_link("prev").is_none());
    assert!(back.rel_link("next").is_some());
    let foreign = browser.get("/console/groups?after=forged").await;
    foreign.assert_page(400);
    assert!(foreign.has_alert("no longer available"));

    // The audit log: 30 entries, 25 a page, newest first, filters kept in the links.
    let first = browser
        .get("/console/audit-log?event_type=group.created")
        .await;
    assert!(first.body.contains("&quot;Group 29&quot;"));
    assert!(!first.body.contains("&quot;Group 04&quot;"));
    let next = first.rel_link("next").unwrap();
    assert!(next.contains("event_type=group.created"), "{next}");
    let second = browser.get(&next).await;
    second.assert_page(200);
    assert!(second.body.contains("&quot;Group 04&quot;"));
    assert!(second.body.contains("&quot;Group 00&quot;"));
    assert!(!second.body.contains("&quot;Group 05&quot;"));
    assert!(second.rel_link("next").is_none());
    let back = browser.get(&second.rel_link("prev").unwrap()).await;
    assert!(
        back.body.contains("&quot;Group 29&quot;") && back.body.contains("&quot;Group 05&quot;")
    );
    assert!(back.rel_link("prev").is_none());
}

async fn forged_directory_forms_change_nothing(app: TestApp) {
    app.import(&ada_and_bob()).await;
    let group_id = group(&app, "Reviewers").await;
    let role = app
        .post(
            "/v1/organization/roles",
            &json!({ "role_name": "Reviewer", "permissions": ["api.groups.read"] }).to_string(),
        )
        .await;
    let role_id = role.body["id"].as_str().unwrap().to_owned();
    let browser = Browser::signed_in(&app.base, KEY).await;
    let mark = events_of(&app, app.org.as_str()).await.len();
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/console/roles".into(),
            vec![("name", "X"), ("permission_api.users.read", "on")],
        ),
        (
            format!("/console/roles/{role_id}"),
            vec![("permission_api.users.read", "on")],
        ),
        (format!("/console/roles/{role_id}/delete"), vec![]),
        (
            format!("/console/roles/{role_id}/users"),
            vec![("user", "user-bob")],
        ),
        (
            format!("/console/roles/{role_id}/groups"),
            vec![("group_id", &group_id)],
        ),
        ("/console/groups".into(), vec![("name", "X")]),
        (
            format!("/console/groups/{group_id}"),
            vec![("name", "Renamed")],
        ),
        (format!("/console/groups/{group_id}/delete"), vec![]),
        (
            format!("/console/groups/{group_id}/members"),
            vec![("user", "user-bob")],
        ),
        (
            format!("/console/groups/{group_id}/roles"),
            vec![("role_id", &role_id)],
        ),
    ];
    for (path, fields) in &forms {
        for csrf in [None, Some("forged")] {
            let mut fields = fields.clone();
            if let Some(csrf) = csrf {
                fields.push(("csrf", csrf));
            }
            let page = browser.post(path, &fields).await;
            page.assert_page(403);
            assert!(page.body.contains("Nothing was changed"), "{path}");
        }
    }
    assert!(events_since(&app, mark).await.is_empty());
    let group = app
        .get(&format!("/v1/organization/groups/{group_id}"))
        .await;
    assert_eq!(group.body["name"], "Reviewers");
    let roles = app.get("/v1/organization/roles").await;
    assert_eq!(roles.body["data"].as_array().unwrap().len(), 3);
}

async fn hostile_role_and_group_names_are_escaped(app: TestApp) {
    let hostile = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>";
    let group_id = group(&app, hostile).await;
    let role = app
        .post(
            "/v1/organization/roles",
            &json!({ "role_name": hostile, "description": hostile,
                     "permissions": ["api.groups.read"] })
            .to_string(),
        )
        .await;
    let role_id = role.body["id"].as_str().unwrap().to_owned();
    app.post(
        &format!("/v1/organization/groups/{group_id}/roles"),
        &json!({ "role_id": role_id }).to_string(),
    )
    .await;
    let browser = Browser::signed_in(&app.base, KEY).await;
    for path in [
        "/console/roles".to_owned(),
        format!("/console/roles/{role_id}"),
        format!("/console/roles/{role_id}/delete"),
        "/console/groups".to_owned(),
        format!("/console/groups/{group_id}"),
        format!("/console/groups/{group_id}/delete"),
        "/console/audit-log".to_owned(),
        format!("/console/audit-log?resource={}", "%3Cscript%3E"),
    ] {
        let page = browser.get(&path).await;
        assert!(page.status == 200, "{path}: {}", page.status);
        assert!(
            !page.body.contains("<script>alert"),
            "{path}: {}",
            page.body
        );
        assert!(!page.body.contains("<img src=x"), "{path}");
        assert!(
            page.body.contains("&lt;script&gt;") || path.contains("resource"),
            "{path}"
        );
    }
}
