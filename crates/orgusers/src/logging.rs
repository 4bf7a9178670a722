//! The log writer: lines are appended to a shared buffer and written out in batches by a thread
//! of their own, so that a request's log line costs an append, not a system call or a thread
//! wake-up.
//!
//! A per-line channel to a writer thread (tracing-appender's design) still woke that thread for
//! nearly every line under load, and at one line per request that cost about as much as writing
//! the line directly (docs/benchmarks.md). Here the writer is woken only when the buffer goes from
//! empty to not empty, then waits [`COALESCE`] for more lines before it writes them all at once.
//! Nothing is dropped: past [`MAX_BUFFERED`] bytes a logging thread waits for the writer, and the
//! [`FlushGuard`] writes out everything still buffered when it is dropped at exit.

use std::io::{self, Write};

use orgusers_server::access_log::{self, AccessEntry, AccessLog};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long the writer waits for more lines once one has arrived: the most a line waits.
const COALESCE: Duration = Duration::from_millis(20);
/// Past this many buffered bytes, a thread that logs waits until the writer has caught up.
const MAX_BUFFERED: usize = 4 * 1024 * 1024;

struct Shared {
    state: Mutex<State>,
    /// Signalled when the buffer gets its first line, and at stop.
    has_lines: Condvar,
    /// Signalled when the writer has taken the buffer.
    drained: Condvar,
}

#[derive(Default)]
struct State {
    buffer: Vec<u8>,
    stopping: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The `MakeWriter` handed to the tracing subscriber.
#[derive(Clone)]
pub struct BatchedWriter {
    shared: Arc<Shared>,
}

/// Writes out every buffered line, then stops the writer thread, when dropped.
pub struct FlushGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// A writer over `out`, and the guard that flushes it at exit.
pub fn batched<W: Write + Send + 'static>(out: W) -> io::Result<(BatchedWriter, FlushGuard)> {
    let shared = Arc::new(Shared {
        state: Mutex::new(State::default()),
        has_lines: Condvar::new(),
        drained: Condvar::new(),
    });
    let for_thread = Arc::clone(&shared);
    let thread = std::thread::Builder::new()
        .name("orgusers-log".to_owned())
        .spawn(move || write_batches(&for_thread, out))?;
    Ok((
        BatchedWriter {
            shared: Arc::clone(&shared),
        },
        FlushGuard {
            shared,
            thread: Some(thread),
        },
    ))
}

fn write_batches<W: Write>(shared: &Shared, mut out: W) {
    let mut batch = Vec::new();
    loop {
        let mut state = shared.lock();
        while state.buffer.is_empty() && !state.stopping {
            state = shared
                .has_lines
                .wait(state)
                .unwrap_or_else(|p| p.into_inner());
        }
        if !state.stopping {
            // Let the lines of the next few milliseconds join this batch.
            drop(state);
            std::thread::sleep(COALESCE);
            state = shared.lock();
        }
        std::mem::swap(&mut batch, &mut state.buffer);
        let stopping = state.stopping;
        drop(state);
        shared.drained.notify_all();
        // A log line that cannot be written has nowhere else to go.
        let _ = out.write_all(&batch).and_then(|()| out.flush());
        batch.clear();
        if batch.capacity() > MAX_BUFFERED {
            batch = Vec::new();
        }
        if stopping && shared.lock().buffer.is_empty() {
            return;
        }
    }
}

impl BatchedWriter {
    /// Appends whole lines, waiting first while the writer is [`MAX_BUFFERED`] behind.
    pub fn append(&self, bytes: &[u8]) {
        let mut state = self.shared.lock();
        while state.buffer.len() > MAX_BUFFERED && !state.stopping {
            state = self
                .shared
                .drained
                .wait(state)
                .unwrap_or_else(|p| p.into_inner());
        }
        let was_empty = state.buffer.is_empty();
        state.buffer.extend_from_slice(bytes);
        drop(state);
        if was_empty {
            self.shared.has_lines.notify_one();
        }
    }
}

impl Write for BatchedWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.append(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for BatchedWriter {
    type Writer = BatchedWriter;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// The request lines, written by hand (in the subscriber's own text or JSON format) straight into
/// the batched writer, skipping `tracing`'s formatting (see `orgusers_server::access_log`).
pub struct LineAccessLog {
    pub out: BatchedWriter,
    pub json: bool,
}

impl AccessLog for LineAccessLog {
    fn record(&self, entry: &AccessEntry<'_>) {
        let mut line = Vec::with_capacity(256);
        let now = std::time::SystemTime::now();
        if self.json {
            access_log::write_json_line(&mut line, now, entry);
        } else {
            access_log::write_text_line(&mut line, now, entry);
        }
        self.out.append(&line);
    }
}

impl Drop for FlushGuard {
    fn drop(&mut self) {
        self.shared.lock().stopping = true;
        self.shared.has_lines.notify_all();
        self.shared.drained.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A writer whose bytes the test can read.
    #[derive(Clone, Default)]
    struct Collected(Arc<Mutex<Vec<u8>>>);

    impl Write for Collected {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_line_is_written_by_the_time_the_guard_is_dropped() {
        let out = Collected::default();
        let (writer, guard) = batched(out.clone()).unwrap();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let mut writer = writer.clone();
                std::thread::spawn(move || {
                    for i in 0..5000 {
                        writer.write_all(format!("{t} {i}\n").as_bytes()).unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        drop(guard);
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 20_000);
        for t in 0..4 {
            let mine: Vec<usize> = text
                .lines()
                .filter_map(|l| l.strip_prefix(&format!("{t} ")))
                .map(|i| i.parse().unwrap())
                .collect();
            assert_eq!(mine, (0..5000).collect::<Vec<_>>(), "thread {t} in order");
        }
    }

    #[test]
    fn a_line_is_written_without_waiting_for_exit() {
        let out = Collected::default();
        let (mut writer, _guard) = batched(out.clone()).unwrap();
        writer.write_all(b"one line\n").unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while out.0.lock().unwrap().is_empty() {
            assert!(std::time::Instant::now() < deadline, "never written");
            std::thread::yield_now();
        }
        assert_eq!(&*out.0.lock().unwrap(), b"one line\n");
    }
}
