//! The security headers of every console answer, and the `Origin` check of every console
//! `POST` (login CSRF included: a form on another site cannot sign a browser in to this one).

use axum::extract::Request;
use axum::http::header::{CACHE_CONTROL, HOST, ORIGIN};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::ConsoleError;

/// No inline script or style anywhere: the console's own files only.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the security headers to every console answer (`Cache-Control: no-store` unless the
/// answer set its own, as the assets do), after refusing a `POST` whose `Origin` is not this
/// server.
pub(crate) async fn secure(req: Request, next: Next) -> Response {
    let mut response = if req.method() == Method::POST && !same_origin(&req) {
        ConsoleError::Forbidden.into_response()
    } else {
        next.run(req).await
    };
    let headers = response.headers_mut();
    headers.insert(
        HeaderName::from_static("content-security-policy"),
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        HeaderName::from_static("referrer-policy"),
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        HeaderName::from_static("x-frame-options"),
        HeaderValue::from_static("DENY"),
    );
    if !headers.contains_key(CACHE_CONTROL) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Whether a request's `Origin`, when it has one, names the host it was sent to (`Host`). No
/// `Origin` passes: browsers send one with every cross-site `POST`, and `SameSite=Strict`
/// keeps the session cookie off those anyway. `Origin: null` (a sandboxed or opaque origin)
/// is refused.
fn same_origin(req: &Request) -> bool {
    let Some(origin) = req.headers().get(ORIGIN) else {
        return true;
    };
    let (Ok(origin), Some(host)) = (
        origin.to_str(),
        req.headers().get(HOST).and_then(|h| h.to_str().ok()),
    ) else {
        return false;
    };
    let Some((_, authority)) = origin.split_once("://") else {
        return false;
    };
    authority.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn post(origin: Option<&str>, host: &str) -> Request {
        let mut builder = Request::post("/console/sign-in").header(HOST, host);
        if let Some(origin) = origin {
            builder = builder.header(ORIGIN, origin);
        }
        builder.body(Body::empty()).unwrap()
    }

    #[test]
    fn origins_must_name_the_host() {
        assert!(same_origin(&post(None, "127.0.0.1:8080")));
        assert!(same_origin(&post(
            Some("http://127.0.0.1:8080"),
            "127.0.0.1:8080"
        )));
        assert!(same_origin(&post(
            Some("https://Console.example"),
            "console.example"
        )));
        assert!(!same_origin(&post(
            Some("https://evil.example"),
            "127.0.0.1:8080"
        )));
        assert!(!same_origin(&post(Some("null"), "127.0.0.1:8080")));
        assert!(!same_origin(&post(
            Some("http://127.0.0.1:8081"),
            "127.0.0.1:8080"
        )));
    }
}
