//! The console's Invites page: each action read back through the API, audited with the
//! session's key, refused without the CSRF token, emails escaped, pages linked.

use serde_json::json;

use crate::console_support::*;
use crate::harness::*;

on_both_stores!(
    invites_are_sent_listed_and_deleted,
    invites_are_accepted_as_the_control_endpoint_does,
    invite_refusals_are_the_stores,
    forged_invite_forms_change_nothing,
    hostile_invite_emails_are_escaped,
    invite_pages_follow_their_links,
);

const INVITES: &str = "/v1/organization/invites";

async fn invites_are_sent_listed_and_deleted(app: TestApp) {
    let apollo = new_project(&app, "Apollo").await;
    let (browser, key_id, mark) = signed_in_with_new_key(&app, "console").await;
    let page = browser.get("/console/invites").await;
    page.assert_page(200);
    assert!(
        page.body
            .contains(r#"<label for="invite-email">Email</label>"#)
    );
    assert!(
        page.body
            .contains(r#"<label for="invite-role">Organization role</label>"#)
    );
    assert!(page.body.contains(&format!(
        r#"<label for="invite-project-{apollo}">Apollo</label>"#
    )));
    assert!(page.body.contains(">Send invite</button>"));
    let offered = page.input_value_by_name("offered");
    let csrf = page.csrf();
    let apollo_field = format!("project_{apollo}");
    let default = offered
        .split(' ')
        .find(|id| *id != apollo)
        .unwrap()
        .to_owned();
    let default_field = format!("project_{default}");
    let sent = browser
        .post(
            "/console/invites",
            &[
                ("email", "Ada@Example.com"),
                ("role", "owner"),
                ("offered", &offered),
                (&default_field, ""),
                (&apollo_field, "owner"),
                ("csrf", &csrf),
            ],
        )
        .await;
    sent.assert_page(303);
    assert_eq!(sent.location(), Some("/console/invites"));
    let list = app.get(INVITES).await;
    let invite = &list.body["data"][0];
    assert_eq!(invite["email"], "Ada@Example.com");
    assert_eq!(invite["role"], "owner");
    assert_eq!(invite["status"], "pending");
    assert_eq!(
        invite["projects"],
        json!([{ "id": apollo, "role": "owner" }])
    );
    let id = invite["id"].as_str().unwrap().to_owned();
    let page = browser.get("/console/invites").await;
    assert!(
        page.has_status("Invited Ada@Example.com as owner."),
        "{}",
        page.body
    );
    assert!(page.body.contains(">pending</td>"));
    assert!(page.body.contains(">Accept</button>"));

    let confirm = browser.get(&format!("/console/invites/{id}/delete")).await;
    confirm.assert_page(200);
    assert!(confirm.body.contains(">Delete invite</button>"));
    let deleted = browser
        .post(&format!("/console/invites/{id}/delete"), &[("csrf", &csrf)])
        .await;
    deleted.assert_page(303);
    assert_eq!(app.get(&format!("{INVITES}/{id}")).await.status, 404);
    assert!(
        browser
            .get("/console/invites")
            .await
            .has_status("Deleted the invite of Ada@Example.com.")
    );
    assert_audited(
        &events_since(&app, mark).await,
        &["invite.sent", "invite.deleted"],
        &key_id,
    );
    browser
        .get(&format!("/console/invites/{id}/delete"))
        .await
        .assert_page(404);
}

async fn invites_are_accepted_as_the_control_endpoint_does(app: TestApp) {
    let (browser, key_id, mark) = signed_in_with_new_key(&app, "console").await;
    let page = browser.get("/console/invites").await;
    let csrf = page.csrf();
    let offered = page.input_value_by_name("offered");
    // The form's default: the Default project as member, as the API's.
    let sent = browser
        .post(
            "/console/invites",
            &[
                ("email", "grace@example.com"),
                ("role", "reader"),
                ("offered", &offered),
                (&format!("project_{offered}"), "member"),
                ("csrf", &csrf),
            ],
        )
        .await;
    sent.assert_page(303);
    let id = app.get(INVITES).await.ids()[0].clone();
    let accepted = browser
        .post(
            &format!("/console/invites/{id}/accept"),
            &[("name", "Grace Hopper"), ("csrf", &csrf)],
        )
        .await;
    accepted.assert_page(303);
    let to = accepted.location().unwrap().to_owned();
    let user_id = to.strip_prefix("/console/people/").unwrap().to_owned();
    let user = app.get(&format!("/v1/organization/users/{user_id}")).await;
    assert_eq!(user.body["name"], "Grace Hopper");
    assert_eq!(user.body["email"], "grace@example.com");
    let people = browser.get(&to).await;
    people.assert_page(200);
    assert!(
        people.has_status("Accepted the invite of grace@example.com"),
        "{}",
        people.body
    );
    let invite = app.get(&format!("{INVITES}/{id}")).await;
    assert_eq!(invite.body["status"], "accepted");
    let list = browser.get("/console/invites").await;
    assert!(list.body.contains(">accepted</td>"));
    assert!(!list.body.contains(">Accept</button>"));
    // Accepted invites stay, and cannot be accepted again.
    let again = browser
        .post(&format!("/console/invites/{id}/accept"), &[("csrf", &csrf)])
        .await;
    again.assert_page(400);
    assert!(again.has_alert(&format!("Invite {id} has already been accepted.")));
    let refused = browser
        .post(&format!("/console/invites/{id}/delete"), &[("csrf", &csrf)])
        .await;
    refused.assert_page(400);
    assert!(refused.has_alert("cannot be deleted"));
    let events = events_since(&app, mark).await;
    assert_audited(
        &events,
        &["invite.sent", "invite.accepted", "user.added"],
        &key_id,
    );
    // An expired invite shows so, with no Accept button.
    app.post(
        INVITES,
        r#"{"email": "late@example.com", "role": "reader"}"#,
    )
    .await;
    let r = app
        .post(
            "/_orgusers/clock",
            &json!({ "advance_seconds": 8 * 86_400 }).to_string(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let list = browser.get("/console/invites").await;
    assert!(list.body.contains(">expired</td>"), "{}", list.body);
    assert!(!list.body.contains(">Accept</button>"));
}

async fn invite_refusals_are_the_stores(app: TestApp) {
    let apollo = new_project(&app, "Apollo").await;
    let browser = Browser::signed_in(&app.base, KEY).await;
    let page = browser.get("/console/invites").await;
    let csrf = page.csrf();
    let offered = page.input_value_by_name("offered");
    let field = format!("project_{apollo}");
    // Archived since the page was shown: the store's refusal, with the form kept.
    let r = app
        .post(&format!("/v1/organization/projects/{apollo}/archive"), "")
        .await;
    assert_eq!(r.status, 200);
    let refused = browser
        .post(
            "/console/invites",
            &[
                ("email", "kept@example.com"),
                ("role", "reader"),
                ("offered", &offered),
                (&field, "member"),
                ("csrf", &csrf),
            ],
        )
        .await;
    refused.assert_page(400);
    assert!(
        refused.has_alert(&format!(
            "Project {apollo} is archived: an invite can only grant active projects."
        )),
        "{}",
        refused.body
    );
    assert_eq!(
        refused.input_value("invite-email").as_deref(),
        Some("kept@example.com")
    );
    for (email, message) in [
        ("not-an-email", "is not an email address"),
        ("", "Give the email"),
    ] {
        let refused = browser
            .post(
                "/console/invites",
                &[("email", email), ("role", "reader"), ("csrf", &csrf)],
            )
            .await;
        refused.assert_page(400);
        assert!(refused.has_alert(message), "{}", refused.body);
    }
    app.import(&[user_line(
        "user-ada",
        "ada@example.com",
        1_700_000_000,
        "owner",
    )])
    .await;
    let taken = browser
        .post(
            "/console/invites",
            &[
                ("email", "ADA@example.com"),
                ("role", "reader"),
                ("csrf", &csrf),
            ],
        )
        .await;
    taken.assert_page(400);
    assert!(
        taken.has_alert("is already the email of user user-ada"),
        "{}",
        taken.body
    );
    assert!(app.get(INVITES).await.ids().is_empty());
}

async fn forged_invite_forms_change_nothing(app: TestApp) {
    let browser = Browser::signed_in(&app.base, KEY).await;
    app.post(
        INVITES,
        r#"{"email": "kept@example.com", "role": "reader"}"#,
    )
    .await;
    let id = app.get(INVITES).await.ids()[0].clone();
    for (path, fields) in [
        (
            "/console/invites".to_owned(),
            vec![("email", "forged@example.com"), ("role", "owner")],
        ),
        (format!("/console/invites/{id}/delete"), vec![]),
        (
            format!("/console/invites/{id}/accept"),
            vec![("name", "Forged")],
        ),
    ] {
        for csrf in [None, Some("forged")] {
            let mut fields = fields.clone();
            if let Some(csrf) = csrf {
                fields.push(("csrf", csrf));
            }
            browser.post(&path, &fields).await.assert_page(403);
        }
    }
    let invites = app.get(INVITES).await;
    assert_eq!(invites.ids(), [id]);
    assert_eq!(invites.body["data"][0]["status"], "pending");
}

async fn hostile_invite_emails_are_escaped(app: TestApp) {
    app.post(
        INVITES,
        &json!({ "email": "<script>alert(1)</script>@example.com", "role": "reader" }).to_string(),
    )
    .await;
    let id = app.get(INVITES).await.ids()[0].clone();
    let browser = Browser::signed_in(&app.base, KEY).await;
    for path in [
        "/console/invites".to_owned(),
        format!("/console/invites/{id}/delete"),
    ] {
        let page = browser.get(&path).await;
        page.assert_page(200);
        assert!(
            !page.body.contains("<script>alert"),
            "{path}: {}",
            page.body
        );
        assert!(
            page.body
                .contains("&lt;script&gt;alert(1)&lt;/script&gt;@example.com")
        );
    }
}

async fn invite_pages_follow_their_links(app: TestApp) {
    for i in 0..30 {
        let r = app
            .post(
                INVITES,
                &json!({ "email": format!("person{i:02}@example.com"), "role": "reader" })
                    .to_string(),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let browser = Browser::signed_in(&app.base, KEY).await;
    let emails = |page: &Page| page.body.matches("@example.com ").count();
    let first = browser.get("/console/invites").await;
    assert_eq!(emails(&first), 25);
    let next = first.rel_link("next").expect("a next link");
    assert!(next.starts_with("/console/invites?after=invite-"), "{next}");
    let second = browser.get(&next).await;
    second.assert_page(200);
    assert_eq!(emails(&second), 5);
    assert!(second.rel_link("next").is_none());
    let seen: std::collections::BTreeSet<usize> = (0..30)
        .filter(|i| {
            let email = format!("person{i:02}@example.com ");
            first.body.contains(&email) || second.body.contains(&email)
        })
        .collect();
    assert_eq!(seen.len(), 30, "every invite on one of the pages");
}
