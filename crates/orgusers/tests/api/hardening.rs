//! Hostile and oversized requests: every answer to a well-formed HTTP request is a success or
//! an OpenAI envelope with a request id.

use std::time::{Duration, Instant};

use orgusers_server::Limits;
use orgusers_server::head::{MAX_HEADER_BYTES, MAX_HEADER_COUNT, MAX_REQUEST_LINE};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::*;

const USERS: &str = "/v1/organization/users";
const LINE_TOO_LONG: &str = "Request line too long.";
const HEADERS_TOO_LARGE: &str = "Request header fields too large.";
const AMBIGUOUS: &str = "Your request carried more than one Authorization header. Send your API key in exactly one (i.e. Authorization: Bearer YOUR_KEY).";

/// What the SDKs leave unencoded in a query value: RFC 3986's unreserved characters.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// An address of exactly 254 characters, distinct for each `i`.
fn long_address(i: usize) -> String {
    let domain = "@example.com";
    let local = format!("user{i:04}.{}", "x".repeat(254 - domain.len() - 9));
    let address = format!("{local}{domain}");
    assert_eq!(address.len(), 254);
    address
}

/// `GET path` with the test key, as raw bytes.
fn get_request(target: &str, extra_headers: &str) -> Vec<u8> {
    format!(
        "GET {target} HTTP/1.1\r\nhost: test\r\nauthorization: Bearer {KEY}\r\n{extra_headers}\r\n"
    )
    .into_bytes()
}

#[track_caller]
fn assert_closes(reply: &Reply) {
    assert_eq!(
        reply.header("connection"),
        Some("close"),
        "{:?}",
        reply.headers
    );
    assert!(
        reply
            .header("x-request-id")
            .is_some_and(is_generated_request_id)
    );
}

on_both_stores!(
    a_thousand_longest_addresses_are_accepted,
    duplicate_authorization_headers_are_refused
);

async fn a_thousand_longest_addresses_are_accepted(app: TestApp) {
    let addresses: Vec<String> = (0..1000).map(long_address).collect();
    app.import(&[
        user_line("u-owner", "owner@example.com", 1, "owner"),
        user_line("u-a", &addresses[7], 2, "reader"),
        user_line("u-b", &addresses[999], 3, "reader"),
    ])
    .await;
    // Encoded as the Python and Node SDKs encode them: `emails%5B%5D=…`, `@` as `%40`.
    let query: Vec<String> = addresses
        .iter()
        .map(|a| format!("emails%5B%5D={}", utf8_percent_encode(a, QUERY_VALUE)))
        .collect();
    let target = format!("{USERS}?limit=100&{}", query.join("&"));
    assert!(target.len() > 256 * 1000, "{}", target.len());

    // Two requests on one connection: the long one, then an ordinary one after it.
    let mut connection = RawConnection::open(app.addr()).await;
    connection.send(&get_request(&target, "")).await;
    connection
        .send(&get_request(&format!("{USERS}?limit=1"), ""))
        .await;
    let long = connection.reply().await;
    assert_eq!(long.status, 200, "{}", long.body);
    assert_eq!(long.ids(), ["u-a", "u-b"]);
    assert_eq!(long.body["has_more"], false);
    let short = connection.reply().await;
    assert_eq!(short.status, 200, "{}", short.body);
    assert_eq!(short.ids(), ["u-owner"]);

    // Through the checked path too, and with repeated `emails=`.
    let repeated: Vec<String> = addresses
        .iter()
        .map(|a| format!("emails={}", utf8_percent_encode(a, QUERY_VALUE)))
        .collect();
    let target = format!("{USERS}?{}", repeated.join("&"));
    let reply = app.raw(USERS, &get_request(&target, "")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.ids(), ["u-a", "u-b"]);

    // 1001 of them is the contract's own refusal, not a refusal of the request line.
    let mut too_many = query.clone();
    too_many.push("emails%5B%5D=one.more%40example.com".to_owned());
    let target = format!("{USERS}?{}", too_many.join("&"));
    let reply = app.raw(USERS, &get_request(&target, "")).await;
    reply.assert_error(400, Some("emails"), Some("array_above_max_length"),
        "Invalid 'emails': array too long. Expected an array with maximum length 1000, but got 1001 instead.");
}

async fn duplicate_authorization_headers_are_refused(app: TestApp) {
    app.import(&[user_line("u-1", "one@example.com", 1, "owner")])
        .await;
    let pairs = [
        (KEY, "sk-admin-not-a-key-at-all-0000000000"),
        ("sk-admin-not-a-key-at-all-0000000000", KEY),
        (KEY, OTHER_KEY),
        (OTHER_KEY, KEY),
        (KEY, KEY),
    ];
    for (first, second) in pairs {
        let request = format!(
            "GET {USERS} HTTP/1.1\r\nhost: t\r\nauthorization: Bearer {first}\r\nAuthorization: Bearer {second}\r\n\r\n"
        );
        let reply = app.raw(USERS, request.as_bytes()).await;
        reply.assert_error(400, None, None, AMBIGUOUS);
        assert!(
            reply.header("openai-organization").is_none(),
            "no organization was opened"
        );
    }
    // Through an HTTP client too, and on a write, which must change nothing.
    let reply = app
        .send(
            reqwest::Method::POST,
            &format!("{USERS}/u-1"),
            Some(OTHER_KEY),
            Some(br#"{"role":"reader"}"#.to_vec()),
            &[("authorization", &format!("Bearer {KEY}"))],
        )
        .await;
    reply.assert_error(400, None, None, AMBIGUOUS);
    assert_eq!(app.get(&format!("{USERS}/u-1")).await.body["role"], "owner");
    // The route is checked first, as for every request.
    let request = format!(
        "GET /v1/nowhere HTTP/1.1\r\nhost: t\r\nauthorization: Bearer {KEY}\r\nauthorization: Bearer {KEY}\r\n\r\n"
    );
    let reply = app.raw("/v1/nowhere", request.as_bytes()).await;
    reply.assert_error(404, None, None, "Invalid URL (GET /v1/nowhere)");
}

async fn sqlite_app() -> TestApp {
    TestApp::spawn(StoreKind::Sqlite)
        .await
        .expect("SQLite is always available")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_request_lines_get_the_envelope() {
    let app = sqlite_app().await;
    let long_id = format!("{USERS}/{}", "a".repeat(100 * 1024));
    let long_line = format!("{USERS}?q={}", "a".repeat(MAX_REQUEST_LINE));
    for target in [long_id, long_line] {
        let reply = app.raw(USERS, &get_request(&target, "")).await;
        reply.assert_error(414, None, None, LINE_TOO_LONG);
        assert_closes(&reply);
    }
    // A long path that fits is an unknown user, answered as usual.
    let id = "b".repeat(4000);
    let reply = app
        .raw(USERS, &get_request(&format!("{USERS}/{id}"), ""))
        .await;
    reply.assert_error(404, Some("user_id"), None, &format!("No such user: {id}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_header_sections_get_the_envelope() {
    let app = sqlite_app().await;
    let thousand = (0..1000)
        .map(|i| format!("x-header-{i}: {i}\r\n"))
        .collect::<String>();
    let megabyte = format!("x-big: {}\r\n", "m".repeat(1024 * 1024));
    let just_over = format!("x-big: {}\r\n", "o".repeat(MAX_HEADER_BYTES));
    for extra in [thousand, megabyte, just_over] {
        let reply = app.raw(USERS, &get_request(USERS, &extra)).await;
        reply.assert_error(431, None, None, HEADERS_TOO_LARGE);
        assert_closes(&reply);
    }
    // At the limits: answered as usual.
    let many = (0..MAX_HEADER_COUNT - 3)
        .map(|i| format!("x-h-{i}: {i}\r\n"))
        .collect::<String>();
    let reply = app.raw(USERS, &get_request(USERS, &many)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let big = format!("x-big: {}\r\n", "f".repeat(MAX_HEADER_BYTES - 200));
    let reply = app.raw(USERS, &get_request(USERS, &big)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    // An incoming request id is echoed on ordinary answers; internal names cannot be spoofed.
    let spoof = "x-request-id: abc-123\r\nx-orgusers-internal-refusal: headers\r\nx-orgusers-internal-query: limit=0\r\n";
    let reply = app
        .raw(USERS, &get_request(&format!("{USERS}?limit=1"), spoof))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.header("x-request-id"), Some("abc-123"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_parameters_are_an_ordinary_request() {
    let app = sqlite_app().await;
    let params = (0..10_000)
        .map(|i| format!("p{i}=v"))
        .collect::<Vec<_>>()
        .join("&");
    let reply = app
        .raw(
            USERS,
            &get_request(&format!("{USERS}?{params}&limit=3"), ""),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let emails = (0..10_000)
        .map(|i| format!("emails[]=u{i}%40x.io"))
        .collect::<Vec<_>>()
        .join("&");
    let reply = app
        .raw(USERS, &get_request(&format!("{USERS}?{emails}"), ""))
        .await;
    reply.assert_error(400, Some("emails"), Some("array_above_max_length"),
        "Invalid 'emails': array too long. Expected an array with maximum length 1000, but got 10000 instead.");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_is_a_408_at_the_body_timeout() {
    let body_read = Duration::from_millis(800);
    let limits = Limits {
        body_read,
        ..Limits::default()
    };
    let app = TestApp::spawn_with(StoreKind::Sqlite, limits)
        .await
        .expect("SQLite is always available");
    app.import(&[user_line("u-1", "one@example.com", 1, "owner")])
        .await;
    let mut connection = RawConnection::open(app.addr()).await;
    let started = Instant::now();
    let head = format!(
        "POST {USERS}/u-1 HTTP/1.1\r\nhost: t\r\nauthorization: Bearer {KEY}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"role\":"
    );
    connection.send(head.as_bytes()).await;
    let reply = connection.reply().await;
    let waited = started.elapsed();
    reply.assert_error(408, None, None, "Request timeout.");
    assert_closes(&reply);
    assert!(
        waited >= body_read,
        "answered after {waited:?}, before the body timeout"
    );
    // Not the old behaviour: the timeout, then five more seconds reading off the body.
    assert!(
        waited < body_read + Duration::from_secs(3),
        "answered after {waited:?}"
    );
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(
        Duration::from_secs(5),
        connection.stream.read_to_end(&mut rest),
    )
    .await;
    assert!(
        matches!(closed, Ok(Ok(_))),
        "the connection is closed after a 408"
    );
    assert_eq!(app.get(&format!("{USERS}/u-1")).await.body["role"], "owner");

    // A body that arrives in time, slowly, is read as usual.
    let body = json!({"technical_level": "expert"}).to_string();
    let mut connection = RawConnection::open(app.addr()).await;
    let head = format!(
        "POST {USERS}/u-1 HTTP/1.1\r\nhost: t\r\nauthorization: Bearer {KEY}\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    connection.send(head.as_bytes()).await;
    for part in body.as_bytes().chunks(4) {
        connection.send(part).await;
    }
    let reply = connection.reply().await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["technical_level"], "expert");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunked_body_is_read_and_its_connection_closed_after_the_answer() {
    let app = sqlite_app().await;
    app.import(&[user_line("u-1", "one@example.com", 1, "owner")])
        .await;
    let body = json!({"technical_level": "expert"}).to_string();
    let (first, second) = body.split_at(10);
    let request = format!(
        "POST {USERS}/u-1 HTTP/1.1\r\nhost: t\r\nauthorization: Bearer {KEY}\r\ntransfer-encoding: chunked\r\n\r\n\
         {:x}\r\n{first}\r\n{:x}\r\n{second}\r\n0\r\n\r\n",
        first.len(),
        second.len()
    );
    let mut connection = RawConnection::open(app.addr()).await;
    connection.send(request.as_bytes()).await;
    let reply = connection.reply().await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["technical_level"], "expert");
    assert_eq!(reply.header("connection"), Some("close"));
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(
        Duration::from_secs(5),
        connection.stream.read_to_end(&mut rest),
    )
    .await;
    assert!(
        matches!(closed, Ok(Ok(0))),
        "closed after the answer: {closed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_that_are_not_http_get_a_bare_400() {
    let app = sqlite_app().await;
    let mut stream = tokio::net::TcpStream::connect(app.addr()).await.unwrap();
    stream
        .write_all(b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    assert!(matches!(read, Ok(Ok(_))), "closed by the server");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
}
