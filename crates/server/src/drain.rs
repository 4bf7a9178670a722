//! Reading off request bodies that a handler never read.
//!
//! A request refused before its body is read (a bad key, a body over the limit) would otherwise
//! leave the client writing into a connection the server is about to close: it would see a reset
//! instead of its answer. After the handler, the rest of the body is read and discarded, within
//! bounds, so the answer arrives.

use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;

/// At most this much of an unread body is read off; past it the connection is closed.
const MAX_DRAIN_BYTES: usize = 8 * 1024 * 1024;
/// At most this long is spent reading it off.
const MAX_DRAIN_TIME: Duration = Duration::from_secs(5);

/// The request body, shared between the handler (which may read it) and the middleware (which
/// reads off whatever is left).
#[derive(Clone)]
pub struct SharedBody(Arc<Mutex<Option<Body>>>);

impl SharedBody {
    pub fn new(body: Body) -> Self {
        Self(Arc::new(Mutex::new(Some(body))))
    }

    fn lock(&self) -> MutexGuard<'_, Option<Body>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reads and discards what the handler left of the body, within bounds.
    pub async fn drain(&self) {
        let Some(mut body) = self.lock().take() else {
            return;
        };
        let _ = tokio::time::timeout(MAX_DRAIN_TIME, async {
            let mut read = 0usize;
            while let Some(Ok(frame)) = body.frame().await {
                read += frame.data_ref().map_or(0, Bytes::len);
                if read > MAX_DRAIN_BYTES {
                    break;
                }
            }
        })
        .await;
    }
}

impl http_body::Body for SharedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        match self.lock().as_mut() {
            Some(body) => Pin::new(body).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.lock()
            .as_ref()
            .is_none_or(http_body::Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.lock()
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), http_body::Body::size_hint)
    }
}
