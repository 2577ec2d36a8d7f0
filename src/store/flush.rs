//! Group commit: one flusher thread calls sled's blocking `flush()` (sled 0.34's
//! `flush_async` deadlocks under concurrent use); each write takes a ticket and waits for a
//! flush that started after it (see the module docs of [`super`]).

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use super::log::{Log, LogHead};
use super::{Result, Store, StoreError};

/// What a waiter learns: its write is on disk under this log head, or why not.
type FlushResult = std::result::Result<LogHead, Arc<str>>;

#[derive(Debug, Default)]
struct Requests {
    issued: u64,
    stop: bool,
    /// Submissions waiting for their ticket to be flushed, in ticket order.
    waiters: std::collections::VecDeque<(u64, oneshot::Sender<FlushResult>)>,
}

/// The flusher thread and the tickets it serves. Each flush wakes exactly the submissions it
/// made durable (no thundering herd of waiters re-checking a shared watermark).
#[derive(Debug)]
pub(super) struct Flusher {
    requests: Mutex<Requests>,
    wake: Condvar,
}

impl Flusher {
    pub(super) fn start(
        db: sled::Db,
        log: Arc<Log>,
    ) -> std::io::Result<(Arc<Flusher>, JoinHandle<()>)> {
        let flusher = Arc::new(Flusher {
            requests: Mutex::new(Requests::default()),
            wake: Condvar::new(),
        });
        let f = flusher.clone();
        let handle = std::thread::Builder::new()
            .name("gx-flusher".into())
            .spawn(move || f.run(&db, &log))?;
        Ok((flusher, handle))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Requests> {
        // The lock guards plain counters and a queue; a panic elsewhere cannot leave them
        // inconsistent.
        self.requests.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn run(&self, db: &sled::Db, log: &Log) {
        let mut flushed = 0u64;
        loop {
            let target = {
                let mut r = self.lock();
                while r.issued == flushed && !r.stop {
                    r = self.wake.wait(r).unwrap_or_else(|p| p.into_inner());
                }
                if r.stop && r.issued == flushed {
                    break;
                }
                r.issued
            };
            // Every ticket <= target was issued after its write and its log entry: this
            // flush covers them, and so does this head.
            let head = log.current();
            let started = std::time::Instant::now();
            let mut sled_micros = 0;
            let result = db.flush().map_err(|e| e.to_string()).and_then(|bytes| {
                sled_micros = started.elapsed().as_micros() as u64;
                let written = log.commit(head).map_err(|e| format!("the log: {e}"))?;
                Ok((bytes, written))
            });
            tracing::debug!(
                tickets = target - flushed,
                bytes = result.as_ref().map_or(0, |r| r.0),
                micros = started.elapsed().as_micros() as u64,
                sled_micros,
                "flushed"
            );
            flushed = target;
            let outcome: FlushResult = match &result {
                Ok((_, written)) => Ok(*written),
                Err(e) => {
                    tracing::error!(error = %e, "flush failed");
                    Err(e.as_str().into())
                }
            };
            let done: Vec<_> = {
                let mut r = self.lock();
                let n = r.waiters.partition_point(|(t, _)| *t <= target);
                r.waiters.drain(..n).collect()
            };
            for (_, tx) in done {
                let _ = tx.send(outcome.clone());
            }
        }
        // Stopped: whoever still waits learns that the store closed.
        let rest: Vec<_> = self.lock().waiters.drain(..).collect();
        for (_, tx) in rest {
            let _ = tx.send(Err("the store closed".into()));
        }
    }

    /// A ticket for everything written so far, and the receiver its flush answers.
    pub(super) fn ticket(&self) -> Result<oneshot::Receiver<FlushResult>> {
        let (tx, rx) = oneshot::channel();
        let mut r = self.lock();
        if r.stop {
            return Err(StoreError::Closed);
        }
        r.issued += 1;
        let ticket = r.issued;
        r.waiters.push_back((ticket, tx));
        self.wake.notify_one();
        Ok(rx)
    }

    /// Waits until the ticket's write is on disk; returns the log head that covers it.
    pub(super) async fn wait(rx: oneshot::Receiver<FlushResult>) -> Result<LogHead> {
        match rx.await {
            Ok(Ok(head)) => Ok(head),
            Ok(Err(e)) => Err(StoreError::Flush(e.to_string())),
            Err(_) => Err(StoreError::Closed),
        }
    }

    pub(super) fn stop(&self) {
        self.lock().stop = true;
        self.wake.notify_one();
    }
}

impl Store {
    /// Waits until everything written so far is on disk; returns the log head that covers it.
    pub(super) async fn durable(&self) -> Result<LogHead> {
        let ticket = self.inner.flusher.ticket()?;
        Flusher::wait(ticket).await
    }
}
