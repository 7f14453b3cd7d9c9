//! What both storage benchmarks share: the event rows, the SQLite peer and the data set.

#![allow(dead_code)]

use std::io::{BufWriter, Write};
use std::path::Path;

use rusqlite::{Connection, params};
use tracking_model::test_support::{EventBuilder, KINDS};
use tracking_model::{
    Actor, ChildId, EntityId, EntityType, EventId, EventMetadata, Page, Timestamp, TrackingEvent,
    TrackingEventParts, TrackingQuery, UserId,
};
use tracking_store::HISTORY_FILE;
use ulid::Ulid;

/// The first instant of the data set; one event a minute after it.
pub const START_MILLIS: i64 = 1_700_000_000_000;

/// The ids of a data set's children (and of their parents, two children each).
#[derive(Debug)]
pub struct Family {
    pub children: Vec<ChildId>,
    pub users: Vec<UserId>,
}

impl Family {
    pub fn new(children: usize) -> Self {
        Self {
            children: (0..children).map(|_| ChildId::generate()).collect(),
            users: (0..children.div_ceil(2))
                .map(|_| UserId::generate())
                .collect(),
        }
    }

    /// Event number `n` of the data set: children in turn, kinds in turn, a minute apart.
    pub fn event(&self, n: usize) -> TrackingEvent {
        let child = n % self.children.len();
        let kind = (n / self.children.len()) % KINDS.len();
        let occurred_at = Timestamp::from_unix_millis(START_MILLIS + n as i64 * 60_000).unwrap();
        let mut event = event(
            Some(self.users[child / 2]),
            self.children[child],
            kind,
            occurred_at,
        )
        .into_parts();
        // The same ids on every call, so that both stores hold the very same rows.
        let millis = occurred_at.unix_millis() as u64;
        event.id = EventId::from_ulid(Ulid::from_parts(millis, n as u128));
        event.entity_id = EntityId::from_ulid(Ulid::from_parts(0, (child * 8 + kind) as u128));
        TrackingEvent::new(event).unwrap()
    }
}

/// A realistic event (about 400 bytes of JSON) of kind `kind` (an index into [`KINDS`]).
pub fn event(
    user: Option<UserId>,
    child: ChildId,
    kind: usize,
    occurred_at: Timestamp,
) -> TrackingEvent {
    let metadata = EventMetadata {
        points: Some(5),
        is_good: Some(true),
        ..EventMetadata::named("Make the bed", Actor::Parent)
    };
    EventBuilder::new()
        .user(user)
        .child(child)
        .kind(kind)
        .points_before(100)
        .occurred_at(occurred_at)
        .metadata(Some(metadata))
        .build()
}

/// Writes `count` events of `family` straight into a history file in `dir`.
pub fn write_history(dir: &Path, family: &Family, count: usize) {
    let file = std::fs::File::create(dir.join(HISTORY_FILE)).unwrap();
    let mut out = BufWriter::with_capacity(1 << 20, file);
    for n in 0..count {
        serde_json::to_writer(&mut out, &family.event(n)).unwrap();
        out.write_all(b"\n").unwrap();
    }
    out.into_inner().unwrap().sync_all().unwrap();
}

/// SQLite as a user would set it up: WAL, the same rows, an index on (child_id, occurred_at).
pub fn sqlite(path: &Path, synchronous: &str) -> Connection {
    let db = Connection::open(path).unwrap();
    db.execute_batch(&format!(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = {synchronous};
         CREATE TABLE IF NOT EXISTS tracking_events (
             id TEXT PRIMARY KEY,
             user_id TEXT,
             child_id TEXT NOT NULL,
             entity_type TEXT NOT NULL,
             entity_id TEXT NOT NULL,
             action TEXT NOT NULL,
             points_before INTEGER NOT NULL,
             points_after INTEGER NOT NULL,
             delta INTEGER NOT NULL,
             occurred_at TEXT NOT NULL,
             created_at TEXT NOT NULL,
             metadata TEXT
         );
         CREATE INDEX IF NOT EXISTS tracking_events_child_time
             ON tracking_events (child_id, occurred_at);"
    ))
    .unwrap();
    db
}

const INSERT: &str = "INSERT OR IGNORE INTO tracking_events VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";

/// Inserts one event in its own transaction (autocommit).
pub fn sqlite_insert(db: &Connection, event: &TrackingEvent) {
    let mut statement = db.prepare_cached(INSERT).unwrap();
    bind_insert(&mut statement, event);
}

fn bind_insert(statement: &mut rusqlite::CachedStatement<'_>, event: &TrackingEvent) {
    let metadata = event
        .metadata()
        .map(|metadata| serde_json::to_string(metadata).unwrap());
    statement
        .execute(params![
            event.id().to_string(),
            event.user_id().map(|id| id.to_string()),
            event.child_id().to_string(),
            event.entity_type().as_str(),
            event.entity_id().to_string(),
            event.action().as_str(),
            event.points_before(),
            event.points_after(),
            event.delta(),
            event.occurred_at().to_string(),
            event.created_at().to_string(),
            metadata,
        ])
        .unwrap();
}

/// Loads `count` events of `family` in one transaction.
pub fn sqlite_load(db: &mut Connection, family: &Family, count: usize) {
    let tx = db.transaction().unwrap();
    {
        let mut statement = tx.prepare_cached(INSERT).unwrap();
        for n in 0..count {
            bind_insert(&mut statement, &family.event(n));
        }
    }
    tx.commit().unwrap();
}

/// The page and total of `query` (child, entity type, date range) from SQLite, as events.
pub fn sqlite_query(db: &Connection, query: &TrackingQuery) -> Page<TrackingEvent> {
    let child = query.child_id.unwrap().to_string();
    let entity_type = query.entity_type.unwrap().as_str();
    let from = query.from.unwrap().to_string();
    let to = query.to.unwrap().to_string();
    let filter =
        "WHERE child_id = ?1 AND entity_type = ?2 AND occurred_at >= ?3 AND occurred_at < ?4";
    let total: i64 = db
        .prepare_cached(&format!("SELECT COUNT(*) FROM tracking_events {filter}"))
        .unwrap()
        .query_row(params![child, entity_type, from, to], |row| row.get(0))
        .unwrap();
    let mut statement = db
        .prepare_cached(&format!(
            "SELECT id, user_id, child_id, entity_type, entity_id, action, points_before,
                    points_after, delta, occurred_at, created_at, metadata
             FROM tracking_events {filter}
             ORDER BY occurred_at, created_at, id LIMIT ?5 OFFSET ?6"
        ))
        .unwrap();
    let items = statement
        .query_map(
            params![
                child,
                entity_type,
                from,
                to,
                query.limit(),
                query.offset() as i64
            ],
            |row| {
                let text = |index: usize| row.get::<_, String>(index);
                let parts = TrackingEventParts {
                    id: text(0)?.parse().unwrap(),
                    user_id: row
                        .get::<_, Option<String>>(1)?
                        .map(|id| id.parse().unwrap()),
                    child_id: text(2)?.parse().unwrap(),
                    entity_type: serde_json::from_value(text(3)?.into()).unwrap(),
                    entity_id: text(4)?.parse().unwrap(),
                    action: serde_json::from_value(text(5)?.into()).unwrap(),
                    points_before: row.get(6)?,
                    points_after: row.get(7)?,
                    delta: row.get(8)?,
                    occurred_at: Timestamp::parse(&text(9)?).unwrap(),
                    created_at: Timestamp::parse(&text(10)?).unwrap(),
                    metadata: row
                        .get::<_, Option<String>>(11)?
                        .map(|json| serde_json::from_str(&json).unwrap()),
                };
                Ok(TrackingEvent::new(parts).unwrap())
            },
        )
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    Page {
        items,
        total: total as u64,
        limit: query.limit(),
        offset: query.offset(),
    }
}

/// The benchmark's query for child number `n`: one entity type over the middle half of time.
pub fn page_query(
    family: &Family,
    n: usize,
    events: usize,
    entity_type: EntityType,
) -> TrackingQuery {
    let span = events as i64 * 60_000;
    TrackingQuery {
        child_id: Some(family.children[n % family.children.len()]),
        entity_type: Some(entity_type),
        from: Some(Timestamp::from_unix_millis(START_MILLIS + span / 4).unwrap()),
        to: Some(Timestamp::from_unix_millis(START_MILLIS + span * 3 / 4).unwrap()),
        limit: Some(50),
        ..TrackingQuery::default()
    }
}

/// This process's resident memory in bytes, from `/proc/self/status`.
pub fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}
