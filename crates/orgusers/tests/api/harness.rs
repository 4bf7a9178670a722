//! The test harness: a real server on a random loopback port with its own fresh store, helpers for
//! each endpoint, and validation of every response against the official schemas.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::{Arc, LazyLock};

use orgusers_server::{AppState, Limits};
use orgusers_store::{AdminKey, DatabaseUrl, ImportRecord, OrgId, Store};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value;
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;

/// The admin key of the default organization in every test app.
pub const KEY: &str = "sk-admin-test-key-0000000000000000WXYZ";
/// The admin key of a second organization, for isolation tests.
pub const OTHER_KEY: &str = "sk-admin-other-key-111111111111111ABCD";
/// The second organization.
pub const OTHER_ORG: &str = "org-other";
/// Set to a PostgreSQL URL to run every test against PostgreSQL too.
pub const POSTGRES_ENV: &str = "ORGUSERS_TEST_POSTGRES_URL";

/// Which store a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    Sqlite,
    Postgres,
}

/// A fresh, empty store for one test: a SQLite file in a temporary folder, or a new PostgreSQL
/// database.
pub struct TestStore {
    pub url: String,
    pub dir: TempDir,
    /// The PostgreSQL server and database to drop at the end, for PostgreSQL stores.
    postgres: Option<(String, String)>,
}

impl Drop for TestStore {
    fn drop(&mut self) {
        let Some((server, name)) = self.postgres.take() else {
            return;
        };
        // Drop cannot await; a small runtime on its own thread does the clean-up.
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async move {
                let (client, connection) =
                    tokio_postgres::connect(&server, tokio_postgres::NoTls).await?;
                tokio::spawn(connection);
                client
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
            })?;
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        });
        if let Ok(Err(e)) = cleanup.join() {
            eprintln!("could not drop test database {e}");
        }
    }
}

impl TestStore {
    /// `None` when the kind is PostgreSQL and no server is configured (the test is skipped).
    pub async fn fresh(kind: StoreKind) -> Option<Self> {
        let dir = tempfile::tempdir().expect("temporary folder");
        let mut postgres = None;
        let url = match kind {
            StoreKind::Sqlite => format!("sqlite://{}", dir.path().join("orgusers.db").display()),
            StoreKind::Postgres => {
                let Ok(base) = std::env::var(POSTGRES_ENV) else {
                    assert!(
                        std::env::var_os("ORGUSERS_TEST_REQUIRE_POSTGRES").is_none(),
                        "ORGUSERS_TEST_REQUIRE_POSTGRES is set but {POSTGRES_ENV} is not"
                    );
                    eprintln!(
                        "skipped: set {POSTGRES_ENV}=postgres://USER@HOST:PORT/DB to run PostgreSQL tests"
                    );
                    return None;
                };
                let (url, name) = fresh_postgres_database(&base).await;
                postgres = Some((base, name));
                url
            }
        };
        Some(Self { url, dir, postgres })
    }

    pub fn database_url(&self) -> DatabaseUrl {
        DatabaseUrl::parse(&self.url).expect("test database URL")
    }

    pub async fn open(&self) -> Arc<dyn Store> {
        orgusers_store::open(&self.database_url())
            .await
            .expect("open the test store")
    }
}

/// Creates `orgusers_test_<random>` on the server `base` names; returns its URL and name.
async fn fresh_postgres_database(base: &str) -> (String, String) {
    let (client, connection) = tokio_postgres::connect(base, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {POSTGRES_ENV}: {e}"));
    tokio::spawn(connection);
    let name = format!("orgusers_test_{:016x}", rand::random::<u64>());
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create a test database");
    let (without_query, query) = match base.split_once('?') {
        Some((u, q)) => (u, format!("?{q}")),
        None => (base, String::new()),
    };
    let authority_end = without_query.find("://").map_or(0, |i| i + 3);
    let prefix = match without_query[authority_end..].find('/') {
        Some(slash) => &without_query[..authority_end + slash],
        None => without_query,
    };
    (format!("{prefix}/{name}{query}"), name)
}

/// Runs each named `async fn name(app: TestApp)` of the calling module on both stores, as tests
/// `name::sqlite` and `name::postgres`. The bodies stay ordinary functions, which rustfmt formats.
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let app = $crate::harness::TestApp::spawn($crate::harness::StoreKind::Sqlite).await;
                    super::$name(app.expect("SQLite is always available")).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(app) = $crate::harness::TestApp::spawn($crate::harness::StoreKind::Postgres).await {
                        super::$name(app).await
                    }
                }
            }
        )*
    };
}
pub(crate) use on_both_stores;

/// Runs each named `async fn name(store: TestStore)` of the calling module on a fresh store of
/// each kind, as tests `name::sqlite` and `name::postgres`.
macro_rules! on_fresh_stores {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let store = $crate::harness::TestStore::fresh($crate::harness::StoreKind::Sqlite).await;
                    super::$name(store.expect("SQLite is always available")).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(store) = $crate::harness::TestStore::fresh($crate::harness::StoreKind::Postgres).await {
                        super::$name(store).await
                    }
                }
            }
        )*
    };
}
pub(crate) use on_fresh_stores;

/// A running server with its own store.
pub struct TestApp {
    pub base: String,
    pub store: Arc<dyn Store>,
    pub org: OrgId,
    pub other_org: OrgId,
    pub test_store: Arc<TestStore>,
    client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// One answer, its body already validated against the schema its endpoint promises.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the OpenAI error envelope, field by field.
    #[track_caller]
    pub fn assert_error(
        &self,
        status: u16,
        param: Option<&str>,
        code: Option<&str>,
        message: &str,
    ) {
        assert_eq!(self.status, status, "status of {}", self.body);
        let e = &self.body["error"];
        assert_eq!(e["message"], message, "message of {}", self.body);
        let expected_type = if status >= 500 {
            "server_error"
        } else {
            "invalid_request_error"
        };
        assert_eq!(e["type"], expected_type, "type of {}", self.body);
        assert_eq!(e["param"].as_str(), param, "param of {}", self.body);
        assert_eq!(e["code"].as_str(), code, "code of {}", self.body);
        assert!(e["param"].is_null() || e["param"].is_string());
        assert!(e["code"].is_null() || e["code"].is_string());
    }

    /// The ids of a list page, in order.
    pub fn ids(&self) -> Vec<String> {
        self.body["data"]
            .as_array()
            .expect("a list body")
            .iter()
            .map(|u| u["id"].as_str().expect("an id").to_owned())
            .collect()
    }
}

impl TestApp {
    /// A server on a fresh store with the default organization (key [`KEY`]) and a second one
    /// ([`OTHER_ORG`], key [`OTHER_KEY`]). `None` when the store kind is not available.
    pub async fn spawn(kind: StoreKind) -> Option<Self> {
        Self::spawn_with(kind, Limits::default()).await
    }

    /// [`TestApp::spawn`] with other time limits.
    pub async fn spawn_with(kind: StoreKind, limits: Limits) -> Option<Self> {
        orgusers_client::install_tls_provider();
        let test_store = TestStore::fresh(kind).await?;
        Some(Self::spawn_on_with(Arc::new(test_store), limits).await)
    }

    /// A server on an existing store, which several servers may share.
    pub async fn spawn_on(test_store: Arc<TestStore>) -> Self {
        Self::spawn_on_with(test_store, Limits::default()).await
    }

    async fn spawn_on_with(test_store: Arc<TestStore>, limits: Limits) -> Self {
        orgusers_client::install_tls_provider();
        let store = test_store.open().await;
        let org = store
            .ensure_organization(None)
            .await
            .expect("default organization");
        store
            .ensure_key(&org, &AdminKey::parse(KEY).expect("key"))
            .await
            .expect("key");
        let other_org = OrgId::parse(OTHER_ORG).expect("org id");
        store
            .ensure_organization(Some(&other_org))
            .await
            .expect("other organization");
        store
            .ensure_key(&other_org, &AdminKey::parse(OTHER_KEY).expect("key"))
            .await
            .expect("key");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let (tx, rx) = oneshot::channel::<()>();
        let app = orgusers_server::router(AppState::new(Arc::clone(&store)), limits);
        tokio::spawn(async move {
            let _ = orgusers_server::serve(listener, app, limits, async {
                let _ = rx.await;
            })
            .await;
        });
        Self {
            base,
            store,
            org,
            other_org,
            test_store,
            client: reqwest::Client::new(),
            shutdown: Some(tx),
        }
    }

    /// Imports JSON Lines into an organization through the store, as `orgusers import` does.
    pub async fn import_into(&self, org: &OrgId, lines: &[Value]) {
        let records: Vec<_> = lines
            .iter()
            .enumerate()
            .map(|(i, v)| ImportRecord::from_json_line(i + 1, &v.to_string()))
            .collect();
        self.store
            .import_users(org, Box::new(records.into_iter()))
            .await
            .expect("import");
    }

    pub async fn import(&self, lines: &[Value]) {
        self.import_into(&self.org, lines).await;
    }

    /// Sends a request with `key` (none when `None`) and an optional raw body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Vec<u8>>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = self
            .client
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(key) = key {
            request = request.header("authorization", format!("Bearer {key}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body");
        let body: Value = if method == Method::HEAD {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|e| panic!("{method} {path}: body is not JSON ({e}): {bytes:?}"))
        };
        let reply = Reply {
            status,
            headers,
            body,
        };
        check_headers(&method, path, &reply);
        if method != Method::HEAD {
            validate_body(&method, path, &reply);
        }
        reply
    }

    /// The server's address, for raw connections.
    pub fn addr(&self) -> &str {
        self.base.trim_start_matches("http://")
    }

    /// Writes `request` as it is on a new connection and reads one answer, checked like every
    /// other (headers, body against its schema). `path` names the endpoint for the checks.
    pub async fn raw(&self, path: &str, request: &[u8]) -> Reply {
        let mut connection = RawConnection::open(self.addr()).await;
        connection.send(request).await;
        let reply = connection.reply().await;
        check_headers(&Method::GET, path, &reply);
        validate_body(&Method::GET, path, &reply);
        reply
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, Some(KEY), None, &[]).await
    }

    pub async fn get_as(&self, key: &str, path: &str) -> Reply {
        self.send(Method::GET, path, Some(key), None, &[]).await
    }

    pub async fn post(&self, path: &str, body: &str) -> Reply {
        self.send(
            Method::POST,
            path,
            Some(KEY),
            Some(body.as_bytes().to_vec()),
            &[],
        )
        .await
    }

    pub async fn post_as(&self, key: &str, path: &str, body: &str) -> Reply {
        self.send(
            Method::POST,
            path,
            Some(key),
            Some(body.as_bytes().to_vec()),
            &[],
        )
        .await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, path, Some(KEY), None, &[]).await
    }

    pub async fn delete_as(&self, key: &str, path: &str) -> Reply {
        self.send(Method::DELETE, path, Some(key), None, &[]).await
    }

    /// Walks a cursor-style list (`path` may carry a query) at page size `limit`, following
    /// `next`, checking each envelope; returns every item in order.
    pub async fn walk_next(&self, path: &str, limit: usize) -> Vec<Value> {
        let joiner = if path.contains('?') { '&' } else { '?' };
        let mut items = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut page_path = format!("{path}{joiner}limit={limit}");
            if let Some(a) = &after {
                page_path.push_str(&format!("&after={a}"));
            }
            let page = self.get(&page_path).await;
            assert_eq!(page.status, 200, "{page_path}: {}", page.body);
            let data = page.body["data"].as_array().expect("data").clone();
            assert!(data.len() <= limit);
            items.extend(data.iter().cloned());
            let has_more = page.body["has_more"].as_bool().expect("has_more");
            let next = page.body["next"].as_str().map(str::to_owned);
            if !has_more {
                assert_eq!(next, None, "the last page has no next");
                return items;
            }
            assert_eq!(data.len(), limit, "a page with more after it is full");
            after = Some(next.expect("a page with more after it has a next"));
        }
    }

    /// Walks every page of `query` (without `after`/`limit`) at page size `limit`, checking each
    /// envelope, and returns all ids in order.
    pub async fn walk(&self, limit: usize, query: &str) -> Vec<String> {
        let mut ids = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut path = format!("/v1/organization/users?limit={limit}{query}");
            if let Some(a) = &after {
                path.push_str(&format!("&after={a}"));
            }
            let page = self.get(&path).await;
            assert_eq!(page.status, 200, "{}", page.body);
            let page_ids = page.ids();
            assert!(page_ids.len() <= limit);
            ids.extend(page_ids.iter().cloned());
            if !page.body["has_more"].as_bool().expect("has_more") {
                return ids;
            }
            assert_eq!(page_ids.len(), limit, "a page with more after it is full");
            after = page_ids.last().cloned();
        }
    }
}

fn schemas_file(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../schemas")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("schemas are JSON")
}

/// The facts of every schema of the directory spec.
static SCHEMAS: LazyLock<Value> =
    LazyLock::new(|| schemas_file("organization-directory.schemas.json"));

fn validator_of(schemas: &Value, def: &str) -> jsonschema::Validator {
    let mut schema = schemas.clone();
    schema["$ref"] = Value::String(format!("#/$defs/{def}"));
    jsonschema::options()
        .should_validate_formats(false)
        .build(&schema)
        .unwrap_or_else(|e| panic!("schema {def}: {e}"))
}

/// Any JSON: for answers whose schema the spec writes inline (see [`schema_for`]).
static INLINE: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    jsonschema::options()
        .build(&serde_json::json!({}))
        .unwrap_or_else(|e| panic!("the empty schema: {e}"))
});

/// The error envelope, as the users file states it: all four keys, nothing else.
static ERROR: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    validator_of(
        &schemas_file("organization-users.schemas.json"),
        "ErrorResponse",
    )
});

/// One operation of the spec and the schema of each status it answers (`schemas/routes.json`,
/// derived from the spec by `schemas/routes_from_spec.py`).
struct SpecRoute {
    segments: Vec<String>,
    method: String,
    responses: Vec<(u16, jsonschema::Validator)>,
}

impl SpecRoute {
    /// Whether a concrete `/v1/...` path is this route (`{param}` matches one segment).
    fn matches(&self, method: &Method, path: &str) -> bool {
        let Some(path) = path.strip_prefix("/v1") else {
            return false;
        };
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        self.method == method.as_str()
            && segments.len() == self.segments.len()
            && self
                .segments
                .iter()
                .zip(&segments)
                .all(|(want, got)| want.starts_with('{') || want == got)
    }
}

static ROUTES: LazyLock<Vec<SpecRoute>> = LazyLock::new(|| {
    let routes = schemas_file("routes.json");
    routes["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .map(|route| SpecRoute {
            segments: route["path"]
                .as_str()
                .expect("path")
                .trim_start_matches('/')
                .split('/')
                .map(str::to_owned)
                .collect(),
            method: route["method"].as_str().expect("method").to_owned(),
            responses: route["responses"]
                .as_object()
                .expect("responses")
                .iter()
                .map(|(status, name)| {
                    (
                        status.parse().expect("status"),
                        validator_of(&SCHEMAS, name.as_str().expect("schema name")),
                    )
                })
                .collect(),
        })
        .collect()
});

/// The schema the spec names for this method, path and status. Error statuses the spec does
/// not list answer in the error envelope.
fn schema_for(method: &Method, path: &str, status: u16) -> &'static jsonschema::Validator {
    let route = ROUTES.iter().find(|route| route.matches(method, path));
    let named = route.and_then(|route| {
        route
            .responses
            .iter()
            .find(|(s, _)| *s == status)
            .map(|(_, v)| v)
    });
    match named {
        Some(validator) => validator,
        None if status >= 400 => &ERROR,
        // The spec writes this answer's schema inline, so routes.json names none (the admin
        // key deletion); its test checks the body field by field.
        None if route.is_some_and(|route| route.responses.is_empty()) => &INLINE,
        None => panic!("{method} {path} answered {status}, which the spec does not give it"),
    }
}

/// A raw HTTP/1.1 connection: requests written as bytes, answers read one at a time.
pub struct RawConnection {
    pub stream: tokio::net::TcpStream,
    /// Read but not yet part of an answer returned.
    buf: Vec<u8>,
}

impl RawConnection {
    pub async fn open(addr: &str) -> Self {
        let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        Self {
            stream,
            buf: Vec::new(),
        }
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        self.stream
            .write_all(bytes)
            .await
            .expect("write the request");
    }

    /// Reads the next answer, which must have a `Content-Length` JSON body.
    pub async fn reply(&mut self) -> Reply {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            let parsed = {
                let mut headers = [httparse::EMPTY_HEADER; 64];
                let mut response = httparse::Response::new(&mut headers);
                match response.parse(&self.buf).expect("an HTTP answer") {
                    httparse::Status::Complete(len) => {
                        let mut map = HeaderMap::new();
                        for h in response.headers.iter() {
                            map.append(
                                reqwest::header::HeaderName::from_bytes(h.name.as_bytes())
                                    .expect("name"),
                                reqwest::header::HeaderValue::from_bytes(h.value).expect("value"),
                            );
                        }
                        Some((len, response.code.expect("a status"), map))
                    }
                    httparse::Status::Partial => None,
                }
            };
            if let Some((len, status, headers)) = parsed {
                let length: usize = headers
                    .get("content-length")
                    .and_then(|v| v.to_str().ok()?.parse().ok())
                    .expect("a content-length");
                while self.buf.len() < len + length {
                    let n = self.stream.read(&mut chunk).await.expect("read the body");
                    assert!(n > 0, "the connection closed inside the body");
                    self.buf.extend_from_slice(&chunk[..n]);
                }
                let answer: Vec<u8> = self.buf.drain(..len + length).collect();
                let body = serde_json::from_slice(&answer[len..]).unwrap_or_else(|e| {
                    panic!(
                        "body is not JSON ({e}): {:?}",
                        String::from_utf8_lossy(&answer)
                    )
                });
                return Reply {
                    status,
                    headers,
                    body,
                };
            }
            let n = self.stream.read(&mut chunk).await.expect("read the head");
            assert!(
                n > 0,
                "the connection closed before an answer: {:?}",
                String::from_utf8_lossy(&self.buf)
            );
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

/// Validates a body against the schema its endpoint promises.
pub fn validate_body(method: &Method, path: &str, reply: &Reply) {
    let path = path.split('?').next().unwrap_or(path);
    if path == "/health" && reply.status < 400 {
        assert_eq!(reply.body, serde_json::json!({"status": "ok"}));
        return;
    }
    // The emulator's own endpoints have no schema in the spec; their errors still answer in
    // the error envelope.
    if path.starts_with("/_orgusers/") && reply.status < 400 {
        return;
    }
    let validator = schema_for(method, path, reply.status);
    let errors: Vec<String> = validator
        .iter_errors(&reply.body)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {path}: body does not match the schema: {errors:?}\n{}",
        reply.body
    );
    // Beyond the schema: every user carries every field (projects aside).
    let users: Vec<&Value> = if path == "/v1/organization/users" && reply.status == 200 {
        reply.body["data"]
            .as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default()
    } else if reply.status == 200 && reply.body["object"] == "organization.user" {
        vec![&reply.body]
    } else if reply.status == 200 && reply.body["object"] == "user.role" {
        vec![&reply.body["user"]]
    } else {
        vec![]
    };
    for user in users {
        assert_full_user(user);
    }
}

/// Every field of the spec's `User`, nested `user` included, is present.
pub fn assert_full_user(user: &Value) {
    for field in [
        "object",
        "id",
        "name",
        "email",
        "role",
        "added_at",
        "is_default",
        "created",
        "user",
        "is_service_account",
        "is_scale_tier_authorized_purchaser",
        "is_scim_managed",
        "api_key_last_used_at",
        "technical_level",
        "developer_persona",
    ] {
        assert!(user.get(field).is_some(), "user lacks {field}: {user}");
    }
    for field in [
        "object",
        "id",
        "email",
        "name",
        "picture",
        "enabled",
        "banned",
        "banned_at",
    ] {
        assert!(
            user["user"].get(field).is_some(),
            "nested user lacks {field}: {user}"
        );
    }
    assert_eq!(user["user"]["id"], user["id"]);
    assert_eq!(user["user"]["email"], user["email"]);
    assert_eq!(user["user"]["name"], user["name"]);
    // CONTRACT.md: the user's projects are on every user object.
    assert_eq!(
        user["projects"]["object"], "list",
        "user lacks projects: {user}"
    );
    assert!(
        user["projects"]["data"].is_array(),
        "projects lack data: {user}"
    );
}

/// The headers every response carries.
fn check_headers(method: &Method, path: &str, reply: &Reply) {
    let rid = reply
        .header("x-request-id")
        .unwrap_or_else(|| panic!("{method} {path}: no x-request-id"));
    assert!(!rid.is_empty() && rid.len() <= 200, "{rid}");
    assert_eq!(
        reply.header("openai-version"),
        Some("2020-10-01"),
        "{method} {path}"
    );
    let ms = reply
        .header("openai-processing-ms")
        .unwrap_or_else(|| panic!("{method} {path}: no openai-processing-ms"));
    assert!(ms.parse::<u64>().is_ok(), "openai-processing-ms {ms:?}");
    if *method != Method::HEAD {
        assert_eq!(
            reply.header("content-type"),
            Some("application/json"),
            "{method} {path}"
        );
    }
}

/// A generated request id: `req_` + 32 hex digits.
pub fn is_generated_request_id(id: &str) -> bool {
    id.len() == 36 && id.starts_with("req_") && id[4..].chars().all(|c| c.is_ascii_hexdigit())
}

/// A user line for imports.
pub fn user_line(id: &str, email: &str, added_at: i64, role: &str) -> Value {
    serde_json::json!({"id": id, "email": email, "name": format!("Name of {id}"), "added_at": added_at, "role": role})
}

/// `n` users `u-0000`… with distinct emails; the first is an owner. Several share an `added_at`
/// so ties exercise the id order.
pub fn users(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let role = if i == 0 { "owner" } else { "reader" };
            user_line(
                &format!("u-{i:04}"),
                &format!("user{i}@example.com"),
                1_700_000_000 + (i as i64 / 3),
                role,
            )
        })
        .collect()
}

/// The `orgusers` binary.
pub fn orgusers() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_orgusers"));
    cmd.env_remove("ORGUSERS_DATABASE_URL")
        .env_remove("ORGUSERS_LISTEN")
        .env("ORGUSERS_LOG", "warn");
    cmd
}

/// A server process; killed on drop.
pub struct ServerProcess {
    pub child: Child,
    pub base: String,
    pub stdout: BufReader<ChildStdout>,
}

impl ServerProcess {
    /// Starts `orgusers serve` on a free port with `args` and waits for its first line.
    pub fn start(database: &str, args: &[&str]) -> Self {
        let mut child = orgusers()
            .args(["serve", "--listen", "127.0.0.1:0", "--database", database])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn orgusers serve");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut first = String::new();
        stdout.read_line(&mut first).expect("first line");
        let base = first
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .to_owned();
        assert!(base.starts_with("http://127.0.0.1:"), "{base}");
        Self {
            child,
            base,
            stdout,
        }
    }

    pub fn next_line(&mut self) -> String {
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("a line");
        line.trim_end().to_owned()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A blocking GET for binary tests.
pub async fn http_get(base: &str, path: &str, key: &str) -> (u16, Value) {
    orgusers_client::install_tls_provider();
    let response = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(key)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}
