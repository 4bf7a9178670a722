//! When to try a request again, and after how long.

use std::time::Duration;

/// The first wait; it doubles with each retry.
const INITIAL_BACKOFF: Duration = Duration::from_millis(500);
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// A `retry-after` longer than this is not waited for; the error is returned.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// How long to wait before the next attempt, or `None` to stop: retries follow 429, 5xx and
/// failures to connect or time-outs, at most `max_retries` times, honouring `retry-after-ms` and
/// `retry-after` (in seconds) when the server sends them.
pub(crate) fn decide(
    outcome: &Result<reqwest::Response, reqwest::Error>,
    attempt: u32,
    max_retries: u32,
) -> Option<Duration> {
    if attempt >= max_retries {
        return None;
    }
    let backoff = || {
        let base = INITIAL_BACKOFF
            .saturating_mul(1 << attempt.min(16))
            .min(MAX_BACKOFF);
        // Up to a quarter less, so that many clients do not retry in step.
        base.mul_f64(1.0 - fastrand::f64() * 0.25)
    };
    match outcome {
        Err(e) if e.is_connect() || e.is_timeout() => Some(backoff()),
        Err(_) => None,
        Ok(response) => {
            let status = response.status().as_u16();
            if status != 429 && status < 500 {
                return None;
            }
            match server_asked_wait(response.headers()) {
                Some(wait) if wait <= MAX_RETRY_AFTER => Some(wait),
                Some(_) => None,
                None => Some(backoff()),
            }
        }
    }
}

fn server_asked_wait(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(ms) = header("retry-after-ms").and_then(|v| v.trim().parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    header("retry-after")
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    #[test]
    fn retry_after_headers() {
        let mut h = HeaderMap::new();
        assert_eq!(server_asked_wait(&h), None);
        h.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(server_asked_wait(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after-ms", HeaderValue::from_static("150"));
        assert_eq!(server_asked_wait(&h), Some(Duration::from_millis(150)));
        let mut date = HeaderMap::new();
        date.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(server_asked_wait(&date), None);
    }
}
