//! `gx.v1.WatchService`: WatchFilings streams the store's events ([`crate::store::Follow`])
//! of one subtree of bodies, from a cursor.
//!
//! Each call runs one task: it takes the next durable events from the store, keeps those of
//! bodies within the watched one (the hierarchy as it is when the event is sent) and sends
//! them in cursor order. A slow client only slows its own task: the task waits to send,
//! and reads on from its cursor afterwards (nothing is queued for it, nothing skipped).
//! When gxd shuts down, every stream ends with `UNAVAILABLE` (resume with the last cursor).
//!
//! Who may watch: any token (the events say what `ListReports`/`GetOrg` say to any token),
//! but a token even when gxd serves reads publicly: a stream holds resources for as long as
//! it lasts ([`crate::auth::need`]).

use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::{mpsc, watch};
use tokio_stream::Stream;
use tonic::Status;

use super::calls::calls;
use super::convert::timestamp;
use super::status::{ServiceError, Violation};
use crate::pb;
use crate::store::{Event, EventKind, Follow, Store, StoreError};

/// Log entries read per step (a step's events are sent before the next is read).
const BATCH: usize = 256;
/// Events buffered per stream before its task waits for the client.
const BUFFER: usize = 64;

/// The events of a call, as the service answers them.
pub type WatchStream =
    Pin<Box<dyn Stream<Item = Result<pb::WatchFilingsResponse, Status>> + Send + 'static>>;

/// The service.
#[derive(Debug, Clone)]
pub struct Watch {
    store: Store,
    stopping: watch::Receiver<bool>,
    stop: Arc<watch::Sender<bool>>,
}

/// Ends every stream of a [`Watch`] (gxd calls it when it begins to shut down).
#[derive(Debug, Clone)]
pub struct StopWatchers(Arc<watch::Sender<bool>>);

impl StopWatchers {
    pub fn stop(&self) {
        self.0.send_replace(true);
    }
}

impl Watch {
    pub fn new(store: Store) -> Watch {
        let (stop, stopping) = watch::channel(false);
        Watch {
            store,
            stopping,
            stop: Arc::new(stop),
        }
    }

    /// What ends the streams.
    pub fn stopper(&self) -> StopWatchers {
        StopWatchers(self.stop.clone())
    }

    async fn watch_filings(
        &self,
        req: pb::WatchFilingsRequest,
    ) -> Result<WatchStream, ServiceError> {
        let org = req.org;
        tracing::Span::current().record("org", org.as_str());
        if let Err(description) = crate::orgs::check_id(&org) {
            return Err(ServiceError::BadRequest(vec![Violation {
                field: "org".into(),
                description,
            }]));
        }
        if self.store.org(&org).is_none() {
            return Err(ServiceError::NotFound(format!(
                "no body {org:?} is registered (gxctl org list)"
            )));
        }
        let head = self.store.event_head();
        let cursor = parse_cursor(&req.from_cursor, head)?;
        let until = req.replay_only.then_some(head);
        let follow = self.store.follow(cursor).ok_or(ServiceError::CursorAhead {
            cursor,
            end: self.store.event_head(),
        })?;
        let (tx, rx) = mpsc::channel(BUFFER);
        tokio::spawn(stream_events(
            follow,
            self.store.clone(),
            org,
            until,
            tx,
            self.stopping.clone(),
        ));
        Ok(Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx)))
    }
}

/// A `from_cursor`: "" or "0" (from the first event), "now" (from the durable head `head`)
/// or a sequence number.
fn parse_cursor(s: &str, head: u64) -> Result<u64, ServiceError> {
    match s.trim() {
        "" => Ok(0),
        "now" => Ok(head),
        t => t.parse().map_err(|_| {
            ServiceError::BadRequest(vec![Violation {
                field: "from_cursor".into(),
                description: format!(
                    "{s:?} is not a cursor: give the `cursor` of an event as it was sent, \"\" for every event, or \"now\""
                ),
            }])
        }),
    }
}

fn shutting_down() -> Status {
    ServiceError::Store(StoreError::Closed).into()
}

/// The task of one stream (see the module docs).
async fn stream_events(
    mut follow: Follow,
    store: Store,
    org: String,
    until: Option<u64>,
    tx: mpsc::Sender<Result<pb::WatchFilingsResponse, Status>>,
    mut stopping: watch::Receiver<bool>,
) {
    let until = until.unwrap_or(u64::MAX);
    while follow.cursor() < until {
        let next = tokio::select! {
            _ = stopping.wait_for(|s| *s) => {
                let _ = tx.try_send(Err(shutting_down()));
                return;
            }
            () = tx.closed() => return,
            next = follow.next(BATCH) => next,
        };
        let batch = match next {
            Ok(Some(batch)) => batch,
            Ok(None) => {
                let _ = tx.send(Err(shutting_down())).await;
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, "watching: reading the events failed");
                let _ = tx.send(Err(ServiceError::Store(e).into())).await;
                return;
            }
        };
        let mine: Vec<Arc<Event>> = store.with_directory(|d| {
            batch
                .into_iter()
                .filter(|e| e.cursor <= until && d.is_within(&e.org_id, &org))
                .collect()
        });
        for e in mine {
            tokio::select! {
                _ = stopping.wait_for(|s| *s) => {
                    let _ = tx.try_send(Err(shutting_down()));
                    return;
                }
                sent = tx.send(Ok(pb::WatchFilingsResponse { event: Some(event_pb(&e)) })) => if sent.is_err() { return },
            }
        }
    }
}

/// An event on the wire.
pub fn event_pb(e: &Event) -> pb::FilingEvent {
    let kind = match e.kind {
        EventKind::Filed => pb::FilingEventKind::Filed,
        EventKind::BodyRegistered => pb::FilingEventKind::BodyRegistered,
        EventKind::BodyChanged => pb::FilingEventKind::BodyChanged,
        EventKind::Accepted => pb::FilingEventKind::Accepted,
        EventKind::Returned => pb::FilingEventKind::Returned,
    };
    pb::FilingEvent {
        cursor: e.cursor.to_string(),
        kind: kind as i32,
        org_id: e.org_id.clone(),
        org_name: e.org_name.clone(),
        year: e.year,
        revision: e.revision,
        actor: e.actor.clone(),
        time: Some(timestamp(e.at)),
        reason: e.reason.clone(),
        parent_id: e.parent.clone(),
        cells: e
            .cells
            .iter()
            .map(|c| pb::CellNote {
                cell: c.cell.clone(),
                note: c.note.clone(),
            })
            .collect(),
    }
}

calls! {
    impl pb::watch_service_server::WatchService for Watch {
        type WatchFilingsStream = WatchStream;
        fn watch_filings(pb::WatchFilingsRequest) -> WatchStream = watch_filings;
    }
}
