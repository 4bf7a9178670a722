//! The one log line per request: what it carries, and where it goes.
//!
//! By default it is a `tracing` event at `INFO` ([`TracingAccessLog`]). A server that writes its
//! log to a file or a pipe can hand the middleware an [`AccessLog`] that writes the same line
//! itself ([`write_text_line`], [`write_json_line`]): formatting through `tracing`'s field
//! visitors and timestamp code cost more than the rest of a request's logging together
//! (docs/benchmarks.md).

use std::io::Write as _;
use std::time::SystemTime;

use axum::http::Method;

/// One answered request, as logged.
#[derive(Debug, Clone, Copy)]
pub struct AccessEntry<'a> {
    /// The request id sent back in `x-request-id`.
    pub request_id: &'a str,
    /// The request method.
    pub method: &'a Method,
    /// The path, without the query (which may carry addresses).
    pub path: &'a str,
    /// The answer's status.
    pub status: u16,
    /// From the head's arrival to the answer.
    pub latency_us: u64,
}

/// Where the request lines go.
pub trait AccessLog: Send + Sync + 'static {
    /// Logs one answered request.
    fn record(&self, entry: &AccessEntry<'_>);
}

/// The request line as a `tracing` event at `INFO`, formatted by whatever subscriber is set.
#[derive(Debug, Default, Clone, Copy)]
pub struct TracingAccessLog;

impl AccessLog for TracingAccessLog {
    fn record(&self, e: &AccessEntry<'_>) {
        tracing::info!(
            request_id = %e.request_id,
            method = %e.method,
            path = %e.path,
            status = e.status,
            latency_us = e.latency_us,
            "request"
        );
    }
}

/// Appends `entry` to `out` as `tracing-subscriber`'s plain text format prints that event
/// (without target or colours), stamped `at`.
pub fn write_text_line(out: &mut Vec<u8>, at: SystemTime, e: &AccessEntry<'_>) {
    write_timestamp(out, at);
    out.extend_from_slice(b"  INFO request request_id=");
    out.extend_from_slice(e.request_id.as_bytes());
    out.extend_from_slice(b" method=");
    out.extend_from_slice(e.method.as_str().as_bytes());
    out.extend_from_slice(b" path=");
    out.extend_from_slice(e.path.as_bytes());
    out.extend_from_slice(b" status=");
    out.extend_from_slice(itoa::Buffer::new().format(e.status).as_bytes());
    out.extend_from_slice(b" latency_us=");
    out.extend_from_slice(itoa::Buffer::new().format(e.latency_us).as_bytes());
    out.push(b'\n');
}

/// Appends `entry` to `out` as `tracing-subscriber`'s JSON format prints that event with its
/// fields flattened (without target), stamped `at`.
pub fn write_json_line(out: &mut Vec<u8>, at: SystemTime, e: &AccessEntry<'_>) {
    out.extend_from_slice(b"{\"timestamp\":\"");
    write_timestamp(out, at);
    out.extend_from_slice(b"\",\"level\":\"INFO\",\"message\":\"request\",\"request_id\":");
    json_string(out, e.request_id);
    out.extend_from_slice(b",\"method\":");
    json_string(out, e.method.as_str());
    out.extend_from_slice(b",\"path\":");
    json_string(out, e.path);
    out.extend_from_slice(b",\"status\":");
    out.extend_from_slice(itoa::Buffer::new().format(e.status).as_bytes());
    out.extend_from_slice(b",\"latency_us\":");
    out.extend_from_slice(itoa::Buffer::new().format(e.latency_us).as_bytes());
    out.extend_from_slice(b"}\n");
}

fn json_string(out: &mut Vec<u8>, s: &str) {
    // Writing JSON into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// `2026-12-01T07:57:54.358102Z`: RFC 3339 in UTC with microseconds, as `tracing-subscriber`
/// writes it.
fn write_timestamp(out: &mut Vec<u8>, at: SystemTime) {
    let since = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since.as_secs();
    let (year, month, day) = civil_from_days((secs / 86_400) as i64);
    let of_day = secs % 86_400;
    let _ = write!(
        out,
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60,
        since.subsec_micros()
    );
}

/// The proleptic Gregorian date of a day counted from 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use tracing_subscriber::fmt::format::Writer;
    use tracing_subscriber::fmt::time::FormatTime;

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// One fixed moment, for `tracing-subscriber`'s lines to compare with ours.
    struct At(SystemTime);

    impl FormatTime for At {
        fn format_time(&self, w: &mut Writer<'_>) -> std::fmt::Result {
            let mut stamp = Vec::new();
            write_timestamp(&mut stamp, self.0);
            w.write_str(&String::from_utf8_lossy(&stamp))
        }
    }

    fn moment() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_micros(1_764_575_874_358_102)
    }

    /// What `tracing-subscriber` prints for the entry, as the server's subscriber is set up.
    fn through_tracing(json: bool, entry: &AccessEntry<'_>) -> String {
        let captured = Captured::default();
        let sink = captured.clone();
        let builder = tracing_subscriber::fmt()
            .with_writer(move || sink.clone())
            .with_ansi(false)
            .with_target(false)
            .with_timer(At(moment()));
        let dispatch = if json {
            tracing::Dispatch::new(builder.json().flatten_event(true).finish())
        } else {
            tracing::Dispatch::new(builder.finish())
        };
        tracing::dispatcher::with_default(&dispatch, || TracingAccessLog.record(entry));
        let bytes = captured.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    #[test]
    fn hand_written_lines_are_tracing_subscribers_lines() {
        let method = Method::DELETE;
        let entry = AccessEntry {
            request_id: "req_0123456789abcdef0123456789abcdef",
            method: &method,
            path: "/v1/organization/users/user-\"q\"\\x",
            status: 404,
            latency_us: 1234,
        };
        for json in [false, true] {
            let mut ours = Vec::new();
            if json {
                write_json_line(&mut ours, moment(), &entry);
            } else {
                write_text_line(&mut ours, moment(), &entry);
            }
            assert_eq!(
                String::from_utf8_lossy(&ours),
                through_tracing(json, &entry),
                "json: {json}"
            );
        }
    }

    #[test]
    fn timestamps() {
        let mut out = Vec::new();
        write_timestamp(&mut out, moment());
        assert_eq!(out, b"2025-12-01T07:57:54.358102Z");
        out.clear();
        write_timestamp(&mut out, SystemTime::UNIX_EPOCH);
        assert_eq!(out, b"1970-01-01T00:00:00.000000Z");
        out.clear();
        // A leap day.
        write_timestamp(
            &mut out,
            SystemTime::UNIX_EPOCH + Duration::from_secs(951_782_400),
        );
        assert_eq!(out, b"2000-02-29T00:00:00.000000Z");
    }
}
