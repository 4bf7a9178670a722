//! The request-head guard: every request head on a connection passes through it before hyper
//! parses it.
//!
//! Why it exists: hyper answers a head over its own limits with a bare status and closes the
//! connection, and the `http` crate cannot hold a URI longer than 64 KiB at all, while the
//! contract promises 1000 addresses in `emails` (up to about 776 KB percent-encoded). So the
//! limits are enforced here, in orgusers' own code, with hyper's raised above them:
//!
//! - a head over a limit is replaced by a small synthetic request carrying [`REFUSAL_HEADER`],
//!   which the middleware answers with the OpenAI error envelope (and closes the connection);
//! - a request target over [`LONG_TARGET`] keeps only its path, and its query travels in
//!   [`QUERY_HEADER`], which the middleware moves into a request extension;
//! - a client can never set these internal headers itself: a head that carries one is rewritten
//!   without it.
//!
//! To find where the next head starts, the guard follows each request's framing: a
//! `Content-Length` body is passed through byte for byte. A chunked body is passed through and
//! the connection is closed after its answer (chunked request bodies are rare here, and this
//! keeps the guard from having to follow chunk framing); an upgrade or anything the guard cannot
//! frame leaves the rest of the connection to hyper as it is. Bytes that are not an HTTP head at
//! all go to hyper unchanged, which answers them with its own bare `400` and closes.

use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::http::HeaderName;
use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The longest request line accepted: 1000 addresses of 254 characters, every character
/// percent-encoded, as `emails%5B%5D=…&` (776 bytes each), fit with room to spare.
pub const MAX_REQUEST_LINE: usize = 1024 * 1024;
/// The longest path (the request target before `?`): ids are at most 128 characters.
pub const MAX_PATH: usize = 8 * 1024;
/// The most header fields in one request.
pub const MAX_HEADER_COUNT: usize = 100;
/// The largest header section (every header line, without the request line).
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// The largest head the guard buffers before it refuses one that has not ended.
pub const MAX_HEAD_BYTES: usize = MAX_REQUEST_LINE + MAX_HEADER_BYTES;
/// A request target longer than this has its query moved into [`QUERY_HEADER`]; well under the
/// 65,534 bytes an `http::Uri` can hold.
const LONG_TARGET: usize = 16 * 1024;

/// Carries the query of a request whose target was too long for a URI.
pub const QUERY_HEADER: HeaderName = HeaderName::from_static("x-orgusers-internal-query");
/// Marks a synthetic request that stands for a refused head; its value is a [`Refusal`] name.
pub const REFUSAL_HEADER: HeaderName = HeaderName::from_static("x-orgusers-internal-refusal");
/// Asks the middleware to close the connection after the answer.
pub const CLOSE_HEADER: HeaderName = HeaderName::from_static("x-orgusers-internal-close");
const INTERNAL_PREFIX: &[u8] = b"x-orgusers-internal-";

/// The room made in the buffer of a connection's unread bytes before each read of its socket.
const READ_BYTES: usize = 4096;
/// How long, and how much, a refused connection is read off after its answer, so that the
/// client reads the answer instead of a reset.
const LINGER_TIME: Duration = Duration::from_secs(2);
const LINGER_BYTES: usize = 8 * 1024 * 1024;

/// Why a head was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The request line, or its path, is over its limit.
    RequestLine,
    /// Too many header fields, or too many bytes of them.
    Headers,
}

impl Refusal {
    /// The value of [`REFUSAL_HEADER`] that names this refusal.
    pub fn name(self) -> &'static str {
        match self {
            Self::RequestLine => "request-line",
            Self::Headers => "headers",
        }
    }

    /// The refusal a [`REFUSAL_HEADER`] value names.
    pub fn from_name(name: &[u8]) -> Option<Self> {
        match name {
            b"request-line" => Some(Self::RequestLine),
            b"headers" => Some(Self::Headers),
            _ => None,
        }
    }
}

/// Where the guard is in the byte stream of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// Expecting a request head.
    Head,
    /// Inside a body with this many bytes still to come.
    Body(u64),
    /// Handing everything on unchanged, for the rest of the connection.
    Opaque,
    /// A head was refused: what the client sends next is read off and dropped.
    Refused,
}

/// A connection's I/O with the guard on its read side; writes pass straight through.
pub struct GuardedIo<T> {
    inner: T,
    framing: Framing,
    /// Read from the socket, not yet examined or handed on.
    pending: BytesMut,
    /// How far `pending` was searched for the end of a head.
    scanned: usize,
    /// Examined and ready to hand on to hyper, before anything else.
    ready: Bytes,
    /// The client closed its side.
    eof: bool,
    linger: Option<Linger>,
}

struct Linger {
    deadline: Pin<Box<tokio::time::Sleep>>,
    read: usize,
}

impl<T> GuardedIo<T> {
    /// Guards `inner`.
    pub fn new(inner: T) -> Self {
        Self {
            inner,
            framing: Framing::Head,
            pending: BytesMut::new(),
            scanned: 0,
            ready: Bytes::new(),
            eof: false,
            linger: None,
        }
    }
}

/// What examining the buffered bytes for a head found.
enum Examined {
    /// More bytes are needed.
    Incomplete,
    /// `ready` and `framing` were set.
    Done,
}

impl<T: AsyncRead + Unpin> GuardedIo<T> {
    /// Reads what the socket has into `scratch`, noting the end of the stream.
    fn read_some(&mut self, cx: &mut Context<'_>, scratch: &mut [u8]) -> Poll<io::Result<usize>> {
        let mut buf = ReadBuf::new(scratch);
        ready!(Pin::new(&mut self.inner).poll_read(cx, &mut buf))?;
        let n = buf.filled().len();
        self.eof |= n == 0;
        Poll::Ready(Ok(n))
    }

    /// Reads more of the socket into `pending`; `Ok(false)` at the end of the stream. The bytes
    /// go straight into `pending`'s spare room, never zeroed first (a head is a few hundred
    /// bytes; clearing a buffer the size of the read for each was a tenth of a read's work).
    fn fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<bool>> {
        self.pending.reserve(READ_BYTES);
        let n = ready!(tokio_util::io::poll_read_buf(
            Pin::new(&mut self.inner),
            cx,
            &mut self.pending
        ))?;
        self.eof |= n == 0;
        Poll::Ready(Ok(n > 0))
    }

    /// Reads and drops what the client sends, until it would block or the stream ends.
    fn discard(&mut self, cx: &mut Context<'_>, budget: &mut usize) -> Poll<io::Result<()>> {
        let mut scratch = [0u8; 8192];
        while !self.eof && *budget > 0 {
            let n = ready!(self.read_some(cx, &mut scratch))?;
            *budget = budget.saturating_sub(n);
        }
        Poll::Ready(Ok(()))
    }

    /// Looks for a complete head in `pending` and decides what to hand on.
    fn examine(&mut self) -> Examined {
        let from = self.scanned.saturating_sub(3);
        if head_ends(&self.pending[from..]).next().is_none() {
            self.scanned = self.pending.len();
            if self.pending.len() > MAX_HEAD_BYTES {
                let refusal = if self.pending[..MAX_REQUEST_LINE + 2].contains(&b'\n') {
                    Refusal::Headers
                } else {
                    Refusal::RequestLine
                };
                self.refuse(refusal);
                return Examined::Done;
            }
            return Examined::Incomplete;
        }
        let parsed = {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADER_COUNT + 1];
            let mut request = httparse::Request::new(&mut headers);
            match request.parse(&self.pending) {
                Ok(httparse::Status::Complete(len)) => Ok((decide(&request, len), len)),
                Ok(httparse::Status::Partial) => Err(None),
                Err(httparse::Error::TooManyHeaders) => Err(Some(Refusal::Headers)),
                Err(_) => {
                    // Not HTTP: hyper answers it with its own 400 and closes.
                    self.framing = Framing::Opaque;
                    return Examined::Done;
                }
            }
        };
        match parsed {
            Ok((decision, len)) => self.apply(decision, len),
            Err(Some(refusal)) => self.refuse(refusal),
            // The blank line found was one of the empty lines allowed before a request.
            Err(None) if self.pending.len() <= MAX_HEAD_BYTES => {
                self.scanned = self.pending.len();
                return Examined::Incomplete;
            }
            Err(None) => self.refuse(Refusal::Headers),
        }
        Examined::Done
    }

    fn apply(&mut self, decision: Decision, len: usize) {
        let head = self.pending.split_to(len);
        self.scanned = 0;
        self.ready = match decision.rewrite {
            None => head.freeze(),
            Some(rewrite) => rewrite,
        };
        self.framing = decision.next;
        self.release_buffer();
    }

    fn refuse(&mut self, refusal: Refusal) {
        self.ready = synthetic_refusal(&self.pending, refusal);
        self.framing = Framing::Refused;
        self.pending = BytesMut::new();
        self.scanned = 0;
    }

    /// A buffer grown for one large head is not kept for the rest of the connection.
    fn release_buffer(&mut self) {
        if self.pending.is_empty() && self.pending.capacity() > 64 * 1024 {
            self.pending = BytesMut::new();
        }
    }
}

/// What to do with one complete head.
struct Decision {
    /// The head to hand on instead of the original bytes.
    rewrite: Option<Bytes>,
    /// The framing after the head.
    next: Framing,
}

fn decide(request: &httparse::Request<'_, '_>, len: usize) -> Decision {
    let method = request.method.unwrap_or_default();
    let target = request.path.unwrap_or_default();
    let path_len = target.find('?').unwrap_or(target.len());
    // "METHOD SP target SP HTTP/1.x CRLF"
    let line_len = method.len() + target.len() + 11;
    let refusal = if line_len > MAX_REQUEST_LINE || path_len > MAX_PATH {
        Some(Refusal::RequestLine)
    } else if len.saturating_sub(line_len) > MAX_HEADER_BYTES + 2
        || request.headers.len() > MAX_HEADER_COUNT
    {
        Some(Refusal::Headers)
    } else {
        None
    };
    if let Some(refusal) = refusal {
        return Decision {
            rewrite: Some(synthetic_from(method, &target[..path_len], refusal)),
            next: Framing::Refused,
        };
    }

    let mut internal = false;
    let mut chunked = false;
    let mut upgrade = method.eq_ignore_ascii_case("CONNECT");
    let mut length: Option<u64> = None;
    let mut unframed = false;
    for header in request.headers.iter() {
        let name = header.name.as_bytes();
        if is_internal(name) {
            internal = true;
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            chunked = true;
        } else if name.eq_ignore_ascii_case(b"upgrade") {
            upgrade = true;
        } else if name.eq_ignore_ascii_case(b"content-length") {
            match (content_length(header.value), length) {
                (Some(n), None) => length = Some(n),
                (Some(n), Some(m)) if n == m => {}
                // hyper refuses these and closes; nothing to frame.
                _ => unframed = true,
            }
        }
    }

    let next = if upgrade || unframed {
        Framing::Opaque
    } else if chunked {
        // Passed on unguarded; CLOSE_HEADER ends the connection after the answer.
        Framing::Opaque
    } else {
        match length {
            Some(n) if n > 0 => Framing::Body(n),
            _ => Framing::Head,
        }
    };
    let long_target = target.len() > LONG_TARGET;
    let rewrite = (internal || long_target || (chunked && !upgrade && !unframed))
        .then(|| rebuild(request, long_target, chunked));
    Decision { rewrite, next }
}

/// The head written anew: internal headers dropped, a long query moved into [`QUERY_HEADER`],
/// and [`CLOSE_HEADER`] added for a chunked body.
fn rebuild(request: &httparse::Request<'_, '_>, move_query: bool, close: bool) -> Bytes {
    let method = request.method.unwrap_or_default();
    let target = request.path.unwrap_or_default();
    let (path, query) = match target.split_once('?') {
        Some((path, query)) if move_query => (path, Some(query)),
        _ => (target, None),
    };
    let mut head = Vec::with_capacity(target.len() + 1024);
    head.extend_from_slice(method.as_bytes());
    head.push(b' ');
    head.extend_from_slice(path.as_bytes());
    head.extend_from_slice(if request.version == Some(0) {
        b" HTTP/1.0\r\n"
    } else {
        b" HTTP/1.1\r\n"
    });
    for header in request.headers.iter() {
        let name = header.name.as_bytes();
        if is_internal(name) {
            continue;
        }
        head.extend_from_slice(name);
        head.extend_from_slice(b": ");
        head.extend_from_slice(header.value);
        head.extend_from_slice(b"\r\n");
    }
    if let Some(query) = query {
        head.extend_from_slice(QUERY_HEADER.as_str().as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(query.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    if close {
        head.extend_from_slice(CLOSE_HEADER.as_str().as_bytes());
        head.extend_from_slice(b": 1\r\n");
    }
    head.extend_from_slice(b"\r\n");
    Bytes::from(head)
}

/// Whether a header name is one of orgusers' internal ones, in any letter case.
fn is_internal(name: &[u8]) -> bool {
    name.len() >= INTERNAL_PREFIX.len()
        && name[..INTERNAL_PREFIX.len()].eq_ignore_ascii_case(INTERNAL_PREFIX)
}

/// A `Content-Length` value as hyper reads it: decimal digits, or a comma-separated list of
/// equal ones.
fn content_length(value: &[u8]) -> Option<u64> {
    let mut found: Option<u64> = None;
    for part in value.split(|&b| b == b',') {
        let part = part.trim_ascii();
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let n: u64 = std::str::from_utf8(part).ok()?.parse().ok()?;
        match found {
            Some(m) if m != n => return None,
            _ => found = Some(n),
        }
    }
    found
}

/// Offsets just past each blank line ("\n\n" or "\n\r\n") in `bytes`.
fn head_ends(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes.iter().enumerate().filter_map(move |(i, &b)| {
        if b != b'\n' {
            return None;
        }
        match bytes.get(i + 1) {
            Some(b'\n') => Some(i + 2),
            Some(b'\r') if bytes.get(i + 2) == Some(&b'\n') => Some(i + 3),
            _ => None,
        }
    })
}

/// The synthetic request standing for a refused head, from whatever of the head is readable.
fn synthetic_refusal(head: &[u8], refusal: Refusal) -> Bytes {
    let start = head
        .iter()
        .position(|b| !matches!(b, b'\r' | b'\n'))
        .unwrap_or(head.len());
    let line = &head[start..];
    let method_end = line.iter().position(|&b| b == b' ').unwrap_or(0);
    let method = std::str::from_utf8(&line[..method_end]).unwrap_or_default();
    let rest = line.get(method_end + 1..).unwrap_or_default();
    let path_end = rest
        .iter()
        .position(|&b| matches!(b, b' ' | b'?' | b'\r' | b'\n'))
        .unwrap_or(rest.len());
    let path = std::str::from_utf8(&rest[..path_end]).unwrap_or_default();
    synthetic_from(method, path, refusal)
}

/// `METHOD PATH HTTP/1.1` with the refusal marked and the connection to be closed. The method
/// and path are kept (the path cut short) only so that the log line shows them.
fn synthetic_from(method: &str, path: &str, refusal: Refusal) -> Bytes {
    let method = if !method.is_empty()
        && method.len() <= 16
        && method.bytes().all(|b| b.is_ascii_alphabetic())
    {
        method
    } else {
        "GET"
    };
    let path: String = path
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@/%".contains(*c))
        .take(200)
        .collect();
    let path = if path.starts_with('/') {
        path
    } else {
        "/".to_owned()
    };
    Bytes::from(format!(
        "{method} {path} HTTP/1.1\r\nconnection: close\r\n{REFUSAL_HEADER}: {}\r\n\r\n",
        refusal.name()
    ))
}

impl<T: AsyncRead + Unpin> AsyncRead for GuardedIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        dst: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if !this.ready.is_empty() {
                let n = this.ready.len().min(dst.remaining());
                dst.put_slice(&this.ready.split_to(n));
                return Poll::Ready(Ok(()));
            }
            match this.framing {
                Framing::Opaque => {
                    if !this.pending.is_empty() {
                        this.ready = this.pending.split().freeze();
                        continue;
                    }
                    return Pin::new(&mut this.inner).poll_read(cx, dst);
                }
                Framing::Body(remaining) => {
                    if !this.pending.is_empty() {
                        let n = remaining.min(this.pending.len() as u64) as usize;
                        this.ready = this.pending.split_to(n).freeze();
                        this.framing = next_in_body(remaining, n);
                        continue;
                    }
                    let room = remaining.min(dst.remaining() as u64) as usize;
                    let mut part = ReadBuf::new(dst.initialize_unfilled_to(room));
                    ready!(Pin::new(&mut this.inner).poll_read(cx, &mut part))?;
                    let n = part.filled().len();
                    dst.advance(n);
                    if n == 0 {
                        this.eof = true;
                    } else {
                        this.framing = next_in_body(remaining, n);
                    }
                    return Poll::Ready(Ok(()));
                }
                Framing::Head => {
                    if !this.pending.is_empty()
                        && let Examined::Done = this.examine()
                    {
                        continue;
                    }
                    if this.eof || !ready!(this.fill(cx))? {
                        // The client is gone: whatever it left is hyper's to judge.
                        if this.pending.is_empty() {
                            return Poll::Ready(Ok(()));
                        }
                        this.framing = Framing::Opaque;
                    }
                }
                Framing::Refused => {
                    // Never an end of stream here: hyper would drop the connection before its
                    // answer. The answer closes the connection anyway.
                    let mut budget = LINGER_BYTES;
                    ready!(this.discard(cx, &mut budget))?;
                    return Poll::Pending;
                }
            }
        }
    }
}

fn next_in_body(remaining: u64, read: usize) -> Framing {
    match remaining.saturating_sub(read as u64) {
        0 => Framing::Head,
        left => Framing::Body(left),
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncWrite for GuardedIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    /// After a refusal, the client's side is read off for a while once the answer is out, so
    /// that closing with its bytes unread does not reset the connection before it has read the
    /// answer.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.framing != Framing::Refused {
            return Pin::new(&mut this.inner).poll_shutdown(cx);
        }
        if this.linger.is_none() {
            ready!(Pin::new(&mut this.inner).poll_shutdown(cx))?;
            this.linger = Some(Linger {
                deadline: Box::pin(tokio::time::sleep(LINGER_TIME)),
                read: 0,
            });
        }
        let Some(linger) = this.linger.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        if linger.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Ok(()));
        }
        let mut budget = LINGER_BYTES.saturating_sub(linger.read);
        let before = budget;
        let drained = this.discard(cx, &mut budget);
        if let Some(linger) = this.linger.as_mut() {
            linger.read += before - budget;
        }
        match drained {
            Poll::Ready(Err(_)) => Poll::Ready(Ok(())),
            _ if this.eof || budget == 0 => Poll::Ready(Ok(())),
            _ => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt, duplex};

    /// Feeds `input` to a guard in chunks of `chunk` bytes and returns what it hands on.
    async fn through_guard(input: &[u8], chunk: usize) -> Vec<u8> {
        let (mut client, server) = duplex(4 * 1024 * 1024);
        let input = input.to_vec();
        let writer = tokio::spawn(async move {
            for part in input.chunks(chunk.max(1)) {
                client.write_all(part).await.unwrap();
            }
            client.shutdown().await.unwrap();
            client
        });
        let mut guard = GuardedIo::new(server);
        let mut out = Vec::new();
        let mut buf = vec![0u8; 4096];
        loop {
            let read = tokio::time::timeout(Duration::from_millis(500), guard.read(&mut buf)).await;
            match read {
                Ok(Ok(0)) | Err(_) => break,
                Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
                Ok(Err(e)) => panic!("{e}"),
            }
        }
        drop(writer);
        out
    }

    fn text(bytes: &[u8]) -> String {
        String::from_utf8_lossy(bytes).into_owned()
    }

    #[tokio::test]
    async fn ordinary_requests_pass_unchanged_whatever_the_chunking() {
        let input = b"GET /v1/organization/users?limit=2 HTTP/1.1\r\nhost: x\r\n\r\n\
POST /v1/organization/users/u HTTP/1.1\r\ncontent-length: 13\r\n\r\n{\"role\":\"x\"}\n\
\r\nDELETE /v1/organization/users/u HTTP/1.1\r\n\r\n";
        for chunk in [1, 3, 7, 64, 4096] {
            assert_eq!(
                text(&through_guard(input, chunk).await),
                text(input),
                "chunk {chunk}"
            );
        }
    }

    #[tokio::test]
    async fn a_body_that_looks_like_a_head_is_passed_as_body() {
        let body = b"GET /_orgusers HTTP/1.1\r\nx-orgusers-internal-refusal: headers\r\n\r\n";
        let mut input = format!(
            "POST /v1/x HTTP/1.1\r\ncontent-length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        input.extend_from_slice(body);
        assert_eq!(through_guard(&input, 5).await, input);
    }

    #[tokio::test]
    async fn a_long_query_moves_into_the_internal_header() {
        let query = format!(
            "limit=5&{}",
            "emails%5B%5D=someone%40example.com&".repeat(2000)
        );
        let input = format!("GET /v1/organization/users?{query} HTTP/1.1\r\nhost: x\r\n\r\n");
        let out = text(&through_guard(input.as_bytes(), 8192).await);
        assert_eq!(
            out,
            format!(
                "GET /v1/organization/users HTTP/1.1\r\nhost: x\r\n{QUERY_HEADER}: {query}\r\n\r\n"
            )
        );
    }

    #[tokio::test]
    async fn internal_headers_from_a_client_are_dropped() {
        let input =
            b"GET /v1/organization/users HTTP/1.1\r\nX-Orgusers-Internal-Query: limit=1\r\n\
x-orgusers-internal-refusal: headers\r\nhost: x\r\n\r\n";
        assert_eq!(
            text(&through_guard(input, 4096).await),
            "GET /v1/organization/users HTTP/1.1\r\nhost: x\r\n\r\n"
        );
    }

    #[tokio::test]
    async fn a_chunked_body_is_passed_on_and_the_connection_closed_after_it() {
        let input =
            b"POST /v1/x HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
        let out = text(&through_guard(input, 4096).await);
        assert_eq!(
            out,
            format!(
                "POST /v1/x HTTP/1.1\r\ntransfer-encoding: chunked\r\n{CLOSE_HEADER}: 1\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
            )
        );
    }

    fn refusal_of(out: &[u8]) -> Option<String> {
        let out = text(out);
        out.lines()
            .find_map(|l| l.strip_prefix(&format!("{REFUSAL_HEADER}: ")))
            .map(str::to_owned)
    }

    #[tokio::test]
    async fn oversized_heads_become_synthetic_refusals() {
        let long_path = format!(
            "GET /v1/organization/users/{} HTTP/1.1\r\n\r\n",
            "a".repeat(100_000)
        );
        let long_line = format!(
            "GET /v1/organization/users?q={} HTTP/1.1\r\n\r\n",
            "a".repeat(MAX_REQUEST_LINE)
        );
        let many = format!(
            "GET /v1/x HTTP/1.1\r\n{}\r\n",
            "x-h: 1\r\n".repeat(MAX_HEADER_COUNT + 1)
        );
        let big = format!(
            "GET /v1/x HTTP/1.1\r\nx-big: {}\r\n\r\n",
            "b".repeat(MAX_HEADER_BYTES + 10)
        );
        let endless = format!(
            "GET /v1/x HTTP/1.1\r\nx-big: {}",
            "b".repeat(MAX_HEAD_BYTES + 10)
        );
        for (input, refusal) in [
            (long_path, "request-line"),
            (long_line, "request-line"),
            (many, "headers"),
            (big, "headers"),
            (endless, "headers"),
        ] {
            let out = through_guard(input.as_bytes(), 16 * 1024).await;
            assert_eq!(
                refusal_of(&out).as_deref(),
                Some(refusal),
                "{}",
                text(&out[..out.len().min(200)])
            );
            assert!(
                out.len() < 400,
                "the synthetic head is small: {}",
                text(&out)
            );
            assert!(text(&out).contains("connection: close"));
        }
    }

    #[tokio::test]
    async fn the_limits_themselves_are_accepted() {
        let headers = "x-h: 1\r\n".repeat(MAX_HEADER_COUNT);
        let input = format!("GET /v1/x HTTP/1.1\r\n{headers}\r\n");
        assert_eq!(
            refusal_of(&through_guard(input.as_bytes(), 4096).await),
            None
        );
        let path = format!("/{}", "p".repeat(MAX_PATH - 1));
        let input = format!("GET {path} HTTP/1.1\r\n\r\n");
        assert_eq!(text(&through_guard(input.as_bytes(), 4096).await), input);
    }

    #[tokio::test]
    async fn bytes_that_are_not_http_pass_unchanged() {
        let input = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n";
        assert_eq!(through_guard(input, 4096).await, input);
    }

    #[test]
    fn content_lengths() {
        assert_eq!(content_length(b"12"), Some(12));
        assert_eq!(content_length(b" 12 , 12"), Some(12));
        assert_eq!(content_length(b"12, 13"), None);
        assert_eq!(content_length(b"+12"), None);
        assert_eq!(content_length(b""), None);
    }
}
