//! The tracking history on disk: `tracking_events.jsonl`, one event per line (with its family
//! sequence number), appended with group commit, indexed in memory, and rewritten whole only to
//! anonymize a deleted user.

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use parking_lot::{Mutex, RwLock, RwLockReadGuard, RwLockUpgradableReadGuard, RwLockWriteGuard};
use serde::Deserialize;
use tracking_model::{
    Action, ChildId, ChildSummary, EntityType, EventId, Page, SequencedEvent, SummaryParams,
    Timestamp, TrackingEvent, TrackingQuery, UserId, summarize_running,
};

use super::group_commit::{AfterRound, BEHIND_LINES, Broken, Log, LogConfig, Wait};
use super::index::{Index, NewEntry, RECENT, StoredLine, key_of, kind_of};
use super::lines::{ReadOutcome, open_lines, read_lines};
use super::{Durability, FileStore, OpenError, sync_dir};
use crate::{Appended, HistoryError, OrderKey, SequenceRead, TrackingRepository};

/// The name of the history file in the data directory.
pub const HISTORY_FILE: &str = "tracking_events.jsonl";

// Every line out of the file is among the latest events the index keeps whole.
const _: () = assert!(2 * BEHIND_LINES < RECENT as u64);

/// The fields of a stored event that the index keeps; the rest of the line is skipped on open.
#[derive(Deserialize)]
struct IndexedFields {
    id: EventId,
    user_id: Option<UserId>,
    child_id: ChildId,
    entity_type: EntityType,
    action: Action,
    delta: i64,
    occurred_at: Timestamp,
    created_at: Timestamp,
    #[serde(default)]
    family_sequence: Option<u64>,
}

/// A line as written: the event's fields, then its family sequence number ([`encode`] writes
/// these bytes around the event's text).
#[cfg(test)]
#[derive(serde::Serialize)]
struct LineOut<'a> {
    #[serde(flatten)]
    event: &'a TrackingEvent,
    #[serde(skip_serializing_if = "Option::is_none")]
    family_sequence: Option<u64>,
}

/// A line as read back; lines written before lines carried the number have none.
#[derive(Deserialize)]
struct LineIn {
    #[serde(flatten)]
    event: TrackingEvent,
    #[serde(default)]
    family_sequence: Option<u64>,
}

/// How many events the history's syncer files in the index's lists under one hold of its lock.
const FILING_STEP: usize = 64;

/// Files the events appended since in the index's lists, a step at a time, on the history's
/// syncer thread: an append only adds its event to the index, and leaves sorting it into the
/// lists to this (or to the first read of a list, which files whatever is left).
fn file_between_rounds(index: Arc<RwLock<Index>>) -> AfterRound {
    Box::new(move || {
        loop {
            let mut guard = index.write();
            let done = guard.file(FILING_STEP);
            RwLockWriteGuard::unlock_fair(guard);
            if done {
                return;
            }
        }
    })
}

/// The event's line, its newline included.
fn encode(event: &TrackingEvent, family_sequence: Option<u64>) -> io::Result<Vec<u8>> {
    let text = event.json()?;
    let mut line = Vec::with_capacity(text.len() + 32);
    match family_sequence {
        Some(number) => {
            // The event's object, reopened for one more field.
            line.extend_from_slice(&text.as_bytes()[..text.len() - 1]);
            line.extend_from_slice(br#","family_sequence":"#);
            serde_json::to_writer(&mut line, &number)?;
            line.push(b'}');
        }
        None => line.extend_from_slice(text.as_bytes()),
    }
    line.push(b'\n');
    Ok(line)
}

/// The history file, its index and its writer.
#[derive(Debug)]
pub(crate) struct History {
    dir: PathBuf,
    path: PathBuf,
    index: Arc<RwLock<Index>>,
    /// A read handle on the current file; replaced together with the index's offsets.
    reader: Arc<RwLock<Arc<File>>>,
    log: Log<NewEntry>,
    durability: Durability,
    /// One anonymization at a time.
    rewriting: Mutex<()>,
}

impl History {
    /// Opens (or creates) the history file and indexes it.
    pub(crate) fn open(
        dir: &Path,
        durability: Durability,
    ) -> Result<(Self, ReadOutcome), OpenError> {
        let path = dir.join(HISTORY_FILE);
        let mut file = open_lines(&path)?;
        let mut index = Index::default();
        let mut duplicates = 0_u64;
        let outcome = read_lines(&mut file, &path, |_, offset, line| {
            let entry = parse_entry(line, offset)?;
            if !index.push_unsorted(&entry) {
                duplicates += 1;
            }
            Ok(())
        })?;
        if duplicates > 0 {
            log::warn!(
                "{}: {duplicates} repeated event ids were skipped",
                path.display()
            );
        }
        index.rebuild_lists();
        let reader = Arc::new(RwLock::new(Arc::new(
            File::open(&path).map_err(OpenError::io(&path))?,
        )));
        let index = Arc::new(RwLock::new(index));
        let publish = {
            let index = Arc::clone(&index);
            Box::new(move |entries: Vec<NewEntry>| {
                let mut index = index.write();
                for entry in entries {
                    index.insert(entry);
                }
            })
        };
        let log = Log::start(LogConfig {
            name: "history",
            file,
            path: path.clone(),
            len: outcome.len,
            seq: 0,
            // Until its line is in the file, a read takes the event from the index's latest.
            write_behind: true,
            durability,
            publish,
            maintain: None,
            after_round: Some(file_between_rounds(Arc::clone(&index))),
        })
        .map_err(OpenError::io(&path))?;
        Ok((
            Self {
                dir: dir.to_owned(),
                path,
                index,
                reader,
                log,
                durability,
                rewriting: Mutex::new(()),
            },
            outcome,
        ))
    }

    /// The index with every event filed in its lists, for a read of the lists: the events the
    /// syncer has not filed yet are filed first.
    fn filed(&self) -> RwLockReadGuard<'_, Index> {
        let index = self.index.upgradable_read();
        if index.is_filed() {
            return RwLockUpgradableReadGuard::downgrade(index);
        }
        let mut index = RwLockUpgradableReadGuard::upgrade(index);
        index.file(usize::MAX);
        RwLockWriteGuard::downgrade(index)
    }

    /// The number of stored events.
    pub(crate) fn len(&self) -> usize {
        self.index.read().len()
    }

    /// The length of the history file in bytes.
    pub(crate) fn bytes(&self) -> u64 {
        self.log.state().len
    }

    /// Whether the event with this id is stored.
    pub(crate) fn contains(&self, id: EventId) -> bool {
        self.index.read().contains(id)
    }

    /// Roughly how many bytes the index holds on the heap.
    pub(crate) fn index_heap_bytes(&self) -> usize {
        self.index.read().heap_bytes()
    }

    /// Waits for a running anonymization, syncs the file and refuses every later write.
    pub(crate) fn close(&self) -> io::Result<()> {
        let _no_rewrite = self.rewriting.lock();
        self.log.close()
    }

    /// The last family sequence number stored for each family.
    pub(crate) fn family_heads(&self) -> std::collections::HashMap<UserId, u64> {
        self.filed().family_heads()
    }

    /// Appends the event's line, idempotent by id; returns once it is durable, or at once
    /// (published to every read) per `wait`.
    pub(crate) async fn append(
        &self,
        sequenced: &SequencedEvent,
        wait: Wait,
    ) -> Result<(), HistoryError> {
        let event = &sequenced.event;
        let id = event.id();
        let line = encode(event, Some(sequenced.sequence))?;
        let kind = kind_of(event.entity_type(), event.action())
            .ok_or_else(|| HistoryError::Corrupt("an event of no known kind".into()))?;
        let index = &self.index;
        self.log
            .append(wait, |state| {
                if index.read().contains(id) || state.staged.iter().any(|entry| entry.id == id) {
                    return Ok(None);
                }
                let entry = NewEntry {
                    id,
                    user: event.user_id(),
                    child: event.child_id(),
                    kind,
                    occurred_at: event.occurred_at(),
                    created_at: event.created_at(),
                    amount: event.delta().unsigned_abs(),
                    offset: state.len,
                    len: (line.len() - 1) as u32,
                    sequence: Some(sequenced.sequence),
                    event: Some(event.clone()),
                };
                Ok(Some((line, entry)))
            })
            .await?;
        Ok(())
    }

    /// Returns once every line written so far is durable.
    pub(crate) async fn sync(&self) -> Result<(), HistoryError> {
        self.log.append(Wait::Durable, |_| Ok(None)).await?;
        Ok(())
    }

    /// What an append that did not wait leaves to [`Self::sync`]: nothing in the interval mode,
    /// whose appends never wait.
    fn unsynced(&self) -> Appended {
        match self.durability {
            Durability::Durable => Appended::Visible,
            Durability::Interval(_) => Appended::Durable,
        }
    }

    pub(crate) fn get(&self, id: EventId) -> Result<TrackingEvent, HistoryError> {
        let index = self.index.read();
        let line = index.line_of(id).ok_or(HistoryError::NotFound)?;
        let file = Arc::clone(&self.reader.read());
        self.read_event(&file, line)
    }

    pub(crate) fn summary(
        &self,
        child: ChildId,
        params: &SummaryParams,
    ) -> Result<ChildSummary, HistoryError> {
        let index = self.filed();
        Ok(summarize_running(
            child,
            0,
            params,
            &index.child_totals(child),
        )?)
    }

    pub(crate) fn query_after(
        &self,
        query: &TrackingQuery,
        after: Option<OrderKey>,
    ) -> Result<Vec<TrackingEvent>, HistoryError> {
        let query = TrackingQuery {
            offset: None,
            ..query.clone()
        };
        let index = self.filed();
        let plan = index.plan_after(&query, after.map(key_of));
        let file = Arc::clone(&self.reader.read());
        drop(index);
        plan.lines
            .into_iter()
            .map(|line| self.read_event(&file, line))
            .collect()
    }

    pub(crate) fn query(&self, query: &TrackingQuery) -> Result<Page<TrackingEvent>, HistoryError> {
        let index = self.filed();
        let plan = index.plan(query);
        let file = Arc::clone(&self.reader.read());
        let items = plan
            .lines
            .into_iter()
            .map(|line| self.read_event(&file, line))
            .collect::<Result<_, _>>()?;
        drop(index);
        Ok(Page::answering(query, items, plan.total))
    }

    /// The events of `family` numbered after `after`, in number order, at most `limit`.
    pub(crate) fn family_events(
        &self,
        read: SequenceRead,
    ) -> Result<Vec<SequencedEvent>, HistoryError> {
        let index = self.filed();
        let lines = index.family_after(read);
        let file = Arc::clone(&self.reader.read());
        let events = lines
            .into_iter()
            .map(|(sequence, line)| {
                let event = self.read_event(&file, line)?;
                Ok(SequencedEvent { sequence, event })
            })
            .collect();
        drop(index);
        events
    }

    /// The event itself if the index keeps it, else its line read from `file` and parsed.
    fn read_event(&self, file: &File, line: StoredLine) -> Result<TrackingEvent, HistoryError> {
        let (offset, len) = match line {
            StoredLine::Recent(event) => return Ok(event),
            StoredLine::File(offset, len) => (offset, len),
        };
        let mut line = vec![0_u8; len as usize];
        file.read_exact_at(&mut line, offset)?;
        serde_json::from_slice::<LineIn>(&line)
            .map(|line| line.event)
            .map_err(|err| {
                HistoryError::Corrupt(format!("{} at byte {offset}: {err}", self.path.display()))
            })
    }

    /// Rewrites the file with `user` cleared: copies it to a temporary file without stopping
    /// appends, then, with appends held, copies what they added meanwhile, syncs, renames the
    /// copy over the file, syncs the directory and points the index at the new lines.
    pub(crate) fn anonymize(&self, user: UserId) -> Result<u64, HistoryError> {
        let _one_at_a_time = self.rewriting.lock();
        let lines = {
            // The copy reads every line from the file: the lines written behind go there first.
            let _no_rounds = self.log.exclusive();
            let mut state = self.log.state();
            state.check()?;
            state.write_behind()?;
            self.index.read().lines_with_user(user)
        };
        if !lines.iter().any(|&(_, _, mine)| mine) {
            return Ok(0);
        }
        let temporary = self.dir.join(format!("{HISTORY_FILE}.tmp"));
        let mut copy = Copy::create(&temporary, user)?;
        // A handle of its own: reading through the shared one would move its offset, and a failed
        // attempt would leave the next one reading from wherever this one stopped.
        let source = File::open(&self.path)?;
        let mut reader = BufReader::with_capacity(1 << 20, &source);
        let mut new_lines = Vec::with_capacity(lines.len());
        let mut expected = 0_u64;
        for &(offset, len, mine) in &lines {
            if offset < expected {
                return Err(HistoryError::Corrupt(format!(
                    "{}: the index does not match the file at byte {offset}",
                    self.path.display()
                )));
            }
            // A gap is a line the index skipped (a repeated id); the copy leaves it out.
            io::copy(&mut (&mut reader).take(offset - expected), &mut io::sink())?;
            let mut line = vec![0_u8; len as usize + 1];
            reader.read_exact(&mut line)?;
            line.pop();
            new_lines.push(copy.line(&line, mine, offset)?);
            expected = offset + u64::from(len) + 1;
        }
        copy.writer.flush()?;
        copy.writer.get_ref().sync_data()?;

        let _no_rounds = self.log.exclusive();
        let mut state = self.log.state();
        state.write_behind()?;
        let mut index = self.index.write();
        index.file(usize::MAX);
        // Events published or staged while the copy ran: their lines follow the copied ones.
        let published = index.lines_with_user(user);
        for &(offset, len, mine) in &published[lines.len()..] {
            let line = read_line(&source, offset, len)?;
            new_lines.push(copy.line(&line, mine, offset)?);
        }
        let mut staged_moves = Vec::with_capacity(state.staged.len());
        for entry in &state.staged {
            let line = read_line(&source, entry.offset, entry.len)?;
            let mine = entry.user == Some(user);
            let (offset, len) = copy.line(&line, mine, entry.offset)?;
            staged_moves.push((offset, len, mine));
        }
        let (file, len, changed) = copy.finish()?;
        // Handles on the copy before it takes the history's name: they follow the file.
        let appender = OpenOptions::new().write(true).read(true).open(&temporary)?;
        let new_reader = File::open(&temporary)?;
        drop(file);
        std::fs::rename(&temporary, &self.path)?;
        // The copy is the history now: switch everything to it before anything else can fail,
        // so that no later append lands in the replaced file.
        for (entry, (offset, len, mine)) in state.staged.iter_mut().zip(staged_moves) {
            entry.offset = offset;
            entry.len = len;
            if mine {
                entry.user = None;
                entry.event = None;
            }
        }
        *self.reader.write() = Arc::new(new_reader);
        state.replace_file(appender, len);
        index.rewritten(&new_lines, user);
        if let Err(err) = sync_dir(&self.dir) {
            // The rename may not survive a crash: refuse writes until the store is reopened.
            let reason = Broken::Rename(Arc::new(err));
            state.fail(reason.clone());
            return Err(HistoryError::Io(io::Error::other(reason)));
        }
        Ok(changed)
    }
}

/// The temporary copy an anonymization writes.
struct Copy {
    writer: BufWriter<File>,
    user: UserId,
    len: u64,
    changed: u64,
}

impl Copy {
    fn create(path: &Path, user: UserId) -> io::Result<Self> {
        let file = private_fs::open_options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        Ok(Self {
            writer: BufWriter::with_capacity(1 << 20, file),
            user,
            len: 0,
            changed: 0,
        })
    }

    /// Copies one line, anonymized when `mine`; returns where it now lies.
    fn line(
        &mut self,
        line: &[u8],
        mine: bool,
        old_offset: u64,
    ) -> Result<(u64, u32), HistoryError> {
        let mut rewritten;
        let bytes = if mine {
            let read: LineIn = serde_json::from_slice(line).map_err(|err| {
                HistoryError::Corrupt(format!("{HISTORY_FILE} at byte {old_offset}: {err}"))
            })?;
            debug_assert_eq!(read.event.user_id(), Some(self.user));
            rewritten = encode(&read.event.anonymized(), read.family_sequence)?;
            // Every line's newline is written below.
            rewritten.pop();
            self.changed += 1;
            rewritten.as_slice()
        } else {
            line
        };
        let offset = self.len;
        self.writer.write_all(bytes)?;
        self.writer.write_all(b"\n")?;
        self.len += bytes.len() as u64 + 1;
        Ok((offset, bytes.len() as u32))
    }

    fn finish(self) -> io::Result<(File, u64, u64)> {
        let file = self.writer.into_inner().map_err(|err| err.into_error())?;
        file.sync_all()?;
        Ok((file, self.len, self.changed))
    }
}

fn read_line(file: &File, offset: u64, len: u32) -> io::Result<Vec<u8>> {
    let mut line = vec![0_u8; len as usize];
    file.read_exact_at(&mut line, offset)?;
    Ok(line)
}

/// Reads the index fields of one stored line.
fn parse_entry(line: &[u8], offset: u64) -> Result<NewEntry, String> {
    let fields: IndexedFields =
        serde_json::from_slice(line).map_err(|err| format!("not a tracking event: {err}"))?;
    let kind = kind_of(fields.entity_type, fields.action).ok_or_else(|| {
        format!(
            "a {} cannot be {}",
            fields.entity_type.as_str(),
            fields.action.as_str()
        )
    })?;
    Ok(NewEntry {
        id: fields.id,
        user: fields.user_id,
        child: fields.child_id,
        kind,
        occurred_at: fields.occurred_at,
        created_at: fields.created_at,
        amount: fields.delta.unsigned_abs(),
        offset,
        len: line.len() as u32,
        sequence: fields.family_sequence,
        event: None,
    })
}

#[async_trait]
impl TrackingRepository for FileStore {
    async fn append(&self, event: &SequencedEvent) -> Result<(), HistoryError> {
        self.history.append(event, Wait::Durable).await
    }

    async fn append_unsynced(&self, event: &SequencedEvent) -> Result<Appended, HistoryError> {
        self.history.append(event, Wait::Lazy).await?;
        Ok(self.history.unsynced())
    }

    async fn sync(&self) -> Result<(), HistoryError> {
        self.history.sync().await
    }

    async fn family_events(&self, read: SequenceRead) -> Result<Vec<SequencedEvent>, HistoryError> {
        self.history.family_events(read)
    }

    async fn get(&self, id: EventId) -> Result<TrackingEvent, HistoryError> {
        self.history.get(id)
    }

    async fn query(&self, query: &TrackingQuery) -> Result<Page<TrackingEvent>, HistoryError> {
        self.history.query(query)
    }

    async fn query_after(
        &self,
        query: &TrackingQuery,
        after: Option<OrderKey>,
    ) -> Result<Vec<TrackingEvent>, HistoryError> {
        self.history.query_after(query, after)
    }

    async fn events_summary(
        &self,
        child: ChildId,
        params: &SummaryParams,
    ) -> Result<ChildSummary, HistoryError> {
        self.history.summary(child, params)
    }

    async fn anonymize_user(&self, user: UserId) -> Result<u64, HistoryError> {
        let history = Arc::clone(&self.history);
        tokio::task::spawn_blocking(move || history.anonymize(user))
            .await
            .map_err(|err| HistoryError::Io(io::Error::other(err)))?
    }
}

#[cfg(test)]
mod tests {
    use tracking_model::test_support::EventBuilder;
    use tracking_model::{Actor, EventMetadata, UserId};

    use super::super::Durability;
    use super::super::lines::json_line;
    use super::*;

    #[tokio::test]
    async fn the_syncer_files_what_was_appended_once_a_round_ran() {
        let dir = tempfile::tempdir().unwrap();
        let (history, _) = History::open(dir.path(), Durability::Durable).unwrap();
        let family = UserId::generate();
        for sequence in 1..=200 {
            let event = EventBuilder::new().user(family).build();
            history
                .append(&SequencedEvent { sequence, event }, Wait::Lazy)
                .await
                .unwrap();
        }
        assert!(!history.index.read().is_filed());
        history.sync().await.unwrap();
        // The syncer files after answering the round's waiters: wait for it, reading no list.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while !history.index.read().is_filed() {
            assert!(std::time::Instant::now() < deadline, "never filed");
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert_eq!(history.family_heads().get(&family), Some(&200));
        history.close().unwrap();
    }

    #[test]
    fn a_line_is_what_serializing_the_event_and_its_number_writes() {
        let named = EventMetadata::named("Quote \" and \u{2028} and \\", Actor::Child);
        for (kind, family_sequence) in (0..5).zip([Some(1), None, Some(u64::MAX), Some(7), None]) {
            let event = EventBuilder::new()
                .kind(kind)
                .user(UserId::generate())
                .metadata(Some(named.clone()))
                .build();
            let expected = json_line(&LineOut {
                event: &event,
                family_sequence,
            })
            .unwrap();
            assert_eq!(encode(&event, family_sequence).unwrap(), expected);
            let anonymized = event.anonymized();
            let expected = json_line(&LineOut {
                event: &anonymized,
                family_sequence,
            })
            .unwrap();
            assert_eq!(encode(&anonymized, family_sequence).unwrap(), expected);
        }
    }
}
