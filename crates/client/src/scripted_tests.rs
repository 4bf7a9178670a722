//! The client against a scripted local server: retries, errors and pagination.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::TryStreamExt;
use serde_json::json;

use crate::{Client, Error, ListParams};

/// One scripted answer: status, extra headers, JSON body.
type Answer = (u16, Vec<(&'static str, &'static str)>, serde_json::Value);

/// Answers with `script[n]` on the n-th request (the last one repeats), counting requests.
#[derive(Clone)]
struct Script {
    answers: Arc<Vec<Answer>>,
    count: Arc<AtomicUsize>,
}

async fn scripted(State(script): State<Script>) -> Response {
    let n = script.count.fetch_add(1, Ordering::SeqCst);
    let (status, headers, body) = &script.answers[n.min(script.answers.len() - 1)];
    let mut response = (
        StatusCode::from_u16(*status).unwrap(),
        axum::Json(body.clone()),
    )
        .into_response();
    for (name, value) in headers {
        response.headers_mut().insert(*name, value.parse().unwrap());
    }
    response
        .headers_mut()
        .insert("x-request-id", format!("req_{n}").parse().unwrap());
    response
}

pub(crate) async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

async fn scripted_server(answers: Vec<Answer>) -> (Client, Arc<AtomicUsize>) {
    let script = Script {
        answers: Arc::new(answers),
        count: Arc::default(),
    };
    let count = Arc::clone(&script.count);
    let app = Router::new()
        .route("/v1/organization/users/{id}", get(scripted))
        .with_state(script);
    let client = Client::builder(serve(app).await, "sk-admin-test")
        .max_retries(2)
        .build()
        .unwrap();
    (client, count)
}

pub(crate) fn user(id: &str) -> serde_json::Value {
    json!({"object": "organization.user", "id": id, "name": null, "email": null, "role": "reader",
           "added_at": 1, "is_default": false, "created": 1, "is_service_account": false,
           "is_scale_tier_authorized_purchaser": null, "is_scim_managed": false,
           "api_key_last_used_at": null, "technical_level": null, "developer_persona": null})
}

fn envelope(message: &str, code: Option<&str>) -> serde_json::Value {
    json!({"error": {"message": message, "type": "invalid_request_error", "param": "user_id", "code": code}})
}

#[tokio::test]
async fn retries_429_honouring_retry_after() {
    let (client, count) = scripted_server(vec![
        (
            429,
            vec![("retry-after-ms", "50")],
            envelope("slow down", Some("rate_limit_exceeded")),
        ),
        (200, vec![], user("u-1")),
    ])
    .await;
    let started = Instant::now();
    let got = client.users().retrieve("u-1").await.unwrap();
    assert_eq!(got.id, "u-1");
    assert_eq!(count.load(Ordering::SeqCst), 2);
    assert!(
        started.elapsed() >= Duration::from_millis(50),
        "waited as asked"
    );
}

#[tokio::test]
async fn retries_5xx_then_gives_up() {
    let (client, count) = scripted_server(vec![
        (500, vec![("retry-after", "0")], envelope("boom", None)),
        (503, vec![("retry-after", "0")], envelope("boom", None)),
        (502, vec![("retry-after", "0")], envelope("still", None)),
    ])
    .await;
    let err = client.users().retrieve("u-1").await.unwrap_err();
    assert_eq!(count.load(Ordering::SeqCst), 3, "one try and two retries");
    assert_eq!(err.status(), Some(502));
    assert_eq!(err.request_id(), Some("req_2"));
    assert_eq!(err.api_error().map(|e| e.message.as_str()), Some("still"));
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let (client, count) = scripted_server(vec![
        (404, vec![], envelope("No such user: u-9", None)),
        (200, vec![], user("u-9")),
    ])
    .await;
    let err = client.users().retrieve("u-9").await.unwrap_err();
    assert_eq!(count.load(Ordering::SeqCst), 1);
    match &err {
        Error::Api {
            status,
            error,
            request_id,
        } => {
            assert_eq!(*status, 404);
            assert_eq!(error.message, "No such user: u-9");
            assert_eq!(error.param.as_deref(), Some("user_id"));
            assert_eq!(request_id.as_deref(), Some("req_0"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "No such user: u-9 (HTTP 404, request req_0)"
    );
}

#[tokio::test]
async fn a_long_retry_after_is_not_waited_for() {
    let (client, count) = scripted_server(vec![
        (
            429,
            vec![("retry-after", "3600")],
            envelope("come back later", None),
        ),
        (200, vec![], user("u-1")),
    ])
    .await;
    assert_eq!(
        client.users().retrieve("u-1").await.unwrap_err().status(),
        Some(429)
    );
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn connection_failures_are_retried_then_reported() {
    // A port with no server behind it: bind, learn the port, close.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    drop(listener);
    let client = Client::builder(base, "k").max_retries(1).build().unwrap();
    let err = client.users().retrieve("u").await.unwrap_err();
    assert!(matches!(err, Error::Http(_)), "{err:?}");
}

/// A server of 7 users that pages by `limit` and `after` and records the queries it saw.
async fn paging_server(seen: Arc<std::sync::Mutex<Vec<String>>>) -> Client {
    async fn list(
        State(seen): State<Arc<std::sync::Mutex<Vec<String>>>>,
        headers: HeaderMap,
        RawQuery(query): RawQuery,
    ) -> axum::Json<serde_json::Value> {
        assert_eq!(headers["authorization"], "Bearer sk-admin-test");
        let query = query.unwrap_or_default();
        seen.lock().unwrap().push(query.clone());
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let get = |k: &str| {
            pairs
                .iter()
                .rev()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        let limit: usize = get("limit").map_or(20, |l| l.parse().unwrap());
        let ids: Vec<String> = (0..7).map(|i| format!("u-{i}")).collect();
        let start = get("after").map_or(0, |a| ids.iter().position(|i| *i == a).unwrap() + 1);
        let page: Vec<_> = ids[start..].iter().take(limit).map(|id| user(id)).collect();
        let has_more = start + page.len() < ids.len();
        axum::Json(
            json!({"object": "list", "first_id": page.first().map(|u| u["id"].clone()),
            "last_id": page.last().map(|u| u["id"].clone()), "has_more": has_more, "data": page}),
        )
    }
    let app = Router::new()
        .route("/v1/organization/users", get(list))
        .with_state(seen);
    Client::builder(serve(app).await, "sk-admin-test")
        .build()
        .unwrap()
}

#[tokio::test]
async fn list_all_walks_every_page() {
    let seen = Arc::default();
    let client = paging_server(Arc::clone(&seen)).await;
    let params = ListParams {
        limit: Some(3),
        emails: vec!["a+b@x.io".into()],
        ..ListParams::default()
    };
    let users: Vec<_> = client.users().list_all(params).try_collect().await.unwrap();
    let ids: Vec<_> = users.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, ["u-0", "u-1", "u-2", "u-3", "u-4", "u-5", "u-6"]);
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "emails%5B%5D=a%2Bb%40x.io&limit=3",
            "emails%5B%5D=a%2Bb%40x.io&limit=3&after=u-2",
            "emails%5B%5D=a%2Bb%40x.io&limit=3&after=u-5",
        ]
    );
}
