//! Tenant isolation: a key sees only its own organization.

use crate::harness::*;

const USERS: &str = "/v1/organization/users";

on_both_stores!(organizations_do_not_see_each_other);

async fn organizations_do_not_see_each_other(app: TestApp) {
    app.import(&users(3)).await;
    app.import_into(
        &app.other_org,
        &[user_line("mine", "shared@x.io", 5, "owner")],
    )
    .await;
    // Lists show only their own users, even with the other's emails.
    assert_eq!(app.get_as(OTHER_KEY, USERS).await.ids(), ["mine"]);
    assert!(
        app.get_as(OTHER_KEY, &format!("{USERS}?emails[]=user1@example.com"))
            .await
            .ids()
            .is_empty()
    );
    assert_eq!(app.get(USERS).await.ids(), ["u-0000", "u-0001", "u-0002"]);
    // The same email may exist in two organizations.
    assert_eq!(
        app.get(&format!("{USERS}?emails[]=shared@x.io"))
            .await
            .ids()
            .len(),
        0
    );

    let theirs = format!("{USERS}/u-0001");
    let not_found = "No such user: u-0001";
    app.get_as(OTHER_KEY, &theirs)
        .await
        .assert_error(404, Some("user_id"), None, not_found);
    app.post_as(OTHER_KEY, &theirs, r#"{"role":"owner"}"#)
        .await
        .assert_error(404, Some("user_id"), None, not_found);
    app.delete_as(OTHER_KEY, &theirs)
        .await
        .assert_error(404, Some("user_id"), None, not_found);
    app.get_as(OTHER_KEY, &format!("{USERS}?after=u-0001"))
        .await
        .assert_error(
            400,
            Some("after"),
            Some("invalid_value"),
            "Invalid 'after': no user with id 'u-0001'.",
        );
    // Nothing changed for the owner organization.
    let user = app.get(&theirs).await;
    assert_eq!(
        (user.status, user.body["role"].as_str()),
        (200, Some("reader"))
    );
    // And the other way round.
    app.get(&format!("{USERS}/mine")).await.assert_error(
        404,
        Some("user_id"),
        None,
        "No such user: mine",
    );
}
