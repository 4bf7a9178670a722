//! The async-openai crate (`administration` feature) against orgusers.
//!
//! async-openai's `ListUsersQuery` holds `emails` as a `Vec<String>`, which serde_urlencoded
//! cannot serialize ("unsupported value"), so a typed email filter fails before any request is
//! sent. The workaround, shown here, is to pass the query as key/value pairs, repeating
//! `emails[]` as the official SDKs do.

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::traits::RequestOptionsBuilder;
use async_openai::types::admin::users::{ListUsersQuery, UserRoleUpdateRequest};

use crate::harness::*;

fn client(app: &TestApp, key: &str) -> Client<OpenAIConfig> {
    Client::with_config(
        OpenAIConfig::new()
            .with_api_base(format!("{}/v1", app.base))
            .with_api_key(key),
    )
}

/// The API error of a failed call: status, code, param.
fn api_error(
    result: Result<impl std::fmt::Debug, OpenAIError>,
) -> (u16, Option<String>, Option<String>) {
    match result {
        Err(OpenAIError::ApiError(e)) => {
            (e.status_code.as_u16(), e.api_error.code, e.api_error.param)
        }
        other => panic!("expected an API error, got {other:?}"),
    }
}

on_both_stores!(
    async_openai_lists_retrieves_modifies_deletes,
    async_openai_sees_openai_errors,
    async_openai_manages_roles_and_groups
);

async fn async_openai_lists_retrieves_modifies_deletes(app: TestApp) {
    app.import(&users(45)).await;
    let client = client(&app, KEY);

    // Paging with limit and after.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut query = vec![("limit", "10".to_owned())];
        if let Some(a) = &after {
            query.push(("after", a.clone()));
        }
        let page = client
            .admin()
            .users()
            .query(&query)
            .unwrap()
            .list()
            .await
            .unwrap();
        seen.extend(page.data.iter().map(|u| u.id.clone()));
        if !page.has_more {
            break;
        }
        after = page.last_id.clone();
    }
    let expected: Vec<String> = (0..45).map(|i| format!("u-{i:04}")).collect();
    assert_eq!(seen, expected);

    // The typed query with emails cannot be sent...
    let typed = ListUsersQuery {
        limit: None,
        after: None,
        emails: Some(vec!["user1@example.com".into()]),
    };
    assert!(matches!(
        client.admin().users().query(&typed),
        Err(OpenAIError::InvalidArgument(_))
    ));
    // ...but the same filter as pairs can.
    let pairs = [
        ("emails[]", "user1@example.com"),
        ("emails[]", "USER2@example.com"),
    ];
    let filtered = client
        .admin()
        .users()
        .query(&pairs)
        .unwrap()
        .list()
        .await
        .unwrap();
    let ids: Vec<&str> = filtered.data.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, ["u-0001", "u-0002"]);

    let user = client.admin().users().retrieve("u-0003").await.unwrap();
    assert_eq!(
        (
            user.id.as_str(),
            user.email.as_deref(),
            user.role.as_deref()
        ),
        ("u-0003", Some("user3@example.com"), Some("reader"))
    );
    assert_eq!(user.user.as_ref().map(|n| n.id.as_str()), Some("u-0003"));

    let request = UserRoleUpdateRequest {
        role: Some("owner".into()),
        technical_level: Some("expert".into()),
        ..Default::default()
    };
    let modified = client
        .admin()
        .users()
        .modify("u-0003", request)
        .await
        .unwrap();
    assert_eq!(
        (
            modified.role.as_deref(),
            modified.technical_level.as_deref()
        ),
        (Some("owner"), Some("expert"))
    );

    let deleted = client.admin().users().delete("u-0003").await.unwrap();
    assert_eq!((deleted.id.as_str(), deleted.deleted), ("u-0003", true));
}

async fn async_openai_sees_openai_errors(app: TestApp) {
    app.import(&users(3)).await;
    let client = client(&app, KEY);
    assert_eq!(
        api_error(client.admin().users().retrieve("user-nobody").await),
        (404, None, Some("user_id".into()))
    );
    assert_eq!(
        api_error(
            client
                .admin()
                .users()
                .query(&[("limit", "0")])
                .unwrap()
                .list()
                .await
        ),
        (
            400,
            Some("integer_below_min_value".into()),
            Some("limit".into())
        )
    );
    let bad_role = UserRoleUpdateRequest {
        role: Some("boss".into()),
        ..Default::default()
    };
    assert_eq!(
        api_error(client.admin().users().modify("u-0001", bad_role).await),
        (400, Some("invalid_value".into()), Some("role".into()))
    );
    assert_eq!(
        api_error(client.admin().users().delete("u-0000").await),
        (400, None, None)
    );
    let stranger = self::client(&app, "sk-admin-not-a-real-key-000");
    assert_eq!(
        api_error(stranger.admin().users().list().await),
        (401, Some("invalid_api_key".into()), None)
    );
}

/// Roles, users' roles, groups, their members and roles, through async-openai's own calls and
/// types (0.43 has all of them; its lists take no paging parameters, so one page at the
/// defaults).
async fn async_openai_manages_roles_and_groups(app: TestApp) {
    use async_openai::types::admin::groups::{
        CreateGroupBody, CreateGroupUserBody, PublicAssignOrganizationGroupRoleBody,
        UpdateGroupBody,
    };
    use async_openai::types::admin::roles::{
        PublicCreateOrganizationRoleBody, PublicUpdateOrganizationRoleBody,
    };
    use async_openai::types::admin::users::PublicAssignOrganizationUserRoleBody;

    app.import(&users(3)).await;
    let client = client(&app, KEY);
    let admin = client.admin();

    let role = admin
        .roles()
        .create(PublicCreateOrganizationRoleBody {
            role_name: "Support".into(),
            permissions: vec!["api.users.read".into(), "api.groups.read".into()],
            description: Some("Reads people".into()),
        })
        .await
        .unwrap();
    assert!(role.id.starts_with("role_") && !role.predefined_role);
    let roles = admin.roles().list().await.unwrap();
    assert_eq!(roles.data.len(), 3);
    assert!(roles.data[0].predefined_role && !roles.has_more && roles.next.is_none());
    let renamed = admin
        .roles()
        .update(
            &role.id,
            PublicUpdateOrganizationRoleBody {
                role_name: Some("Support desk".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.name, "Support desk");
    assert_eq!(admin.roles().retrieve(&role.id).await.unwrap(), renamed);

    let group = admin
        .groups()
        .create(CreateGroupBody {
            name: "Desk".into(),
        })
        .await
        .unwrap();
    assert!(!group.is_scim_managed);
    let updated = admin
        .groups()
        .update(
            &group.id,
            UpdateGroupBody {
                name: "Front desk".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.name, "Front desk");
    let groups = admin.groups();
    let members = groups.users(&group.id);
    let added = members
        .add(CreateGroupUserBody {
            user_id: "u-0001".into(),
        })
        .await
        .unwrap();
    assert_eq!(
        (added.user_id.as_str(), added.group_id.as_str()),
        ("u-0001", group.id.as_str())
    );
    assert_eq!(members.list().await.unwrap().data.len(), 1);
    assert_eq!(members.retrieve("u-0001").await.unwrap().id, "u-0001");
    let group_roles = groups.roles(&group.id);
    let assigned = group_roles
        .assign(PublicAssignOrganizationGroupRoleBody {
            role_id: role.id.clone(),
        })
        .await
        .unwrap();
    assert_eq!(
        (assigned.group.id.as_str(), assigned.role.id.as_str()),
        (group.id.as_str(), role.id.as_str())
    );
    assert_eq!(group_roles.list().await.unwrap().data.len(), 1);
    assert_eq!(group_roles.retrieve(&role.id).await.unwrap().id, role.id);

    // The user holds the role through the group; a direct assignment adds a source.
    let users = admin.users();
    let user_roles = users.roles("u-0001");
    let held = user_roles.list().await.unwrap();
    assert_eq!(held.data.len(), 2, "the predefined role and the group's");
    let assignment = user_roles
        .assign(PublicAssignOrganizationUserRoleBody {
            role_id: role.id.clone(),
        })
        .await
        .unwrap();
    assert_eq!(assignment.user.id, "u-0001");
    assert_eq!(user_roles.retrieve(&role.id).await.unwrap().id, role.id);
    assert!(user_roles.unassign(&role.id).await.unwrap().deleted);
    assert!(members.remove("u-0001").await.unwrap().deleted);
    assert!(group_roles.unassign(&role.id).await.unwrap().deleted);
    assert!(admin.groups().delete(&group.id).await.unwrap().deleted);
    assert_eq!(
        api_error(admin.groups().retrieve(&group.id).await),
        (404, None, Some("group_id".to_owned()))
    );
    assert!(admin.roles().delete(&role.id).await.unwrap().deleted);
    assert_eq!(
        api_error(admin.roles().retrieve(&role.id).await),
        (404, None, Some("role_id".to_owned()))
    );
}
