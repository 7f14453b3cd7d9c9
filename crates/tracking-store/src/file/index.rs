//! The in-memory index of the history file: a compact entry per event (its order key, filter
//! fields, family sequence number and where its line lies), position lists sorted by the order
//! key, per child, per user and overall, each split by kind, per family (user) a list sorted by
//! the family sequence, and per child running sums of the amounts along each kind list (so a
//! child's summary is a few binary searches). Pages are read from the file.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

use tracking_model::{
    Action, ChildId, EntityType, EventId, RunningTotals, SortOrder, Timestamp, Totals,
    TrackingEvent, TrackingQuery, UserId,
};

use crate::SequenceRead;

/// The (entity type, action) pairs an event can have, each with its own position lists.
const KINDS: [(EntityType, Action); 5] = [
    (EntityType::Task, Action::Activated),
    (EntityType::Penalty, Action::Activated),
    (EntityType::Reward, Action::Requested),
    (EntityType::Reward, Action::Redeemed),
    (EntityType::Reward, Action::Cancelled),
];

/// No user: the event is anonymized.
const NO_USER: u32 = u32::MAX;

/// How many of the latest appended events the index keeps whole: the readers that follow the
/// families' sequences (the audit follower, the live streams) read what was just appended, and
/// take it from here instead of reading and parsing its line; and a line the history writes
/// behind ([`super::group_commit::BEHIND_LINES`]) is read from here until it is in the file.
pub(crate) const RECENT: usize = 4096;

/// The kind number of an (entity type, action) pair, if it is one events can have.
pub(crate) fn kind_of(entity_type: EntityType, action: Action) -> Option<u8> {
    KINDS
        .iter()
        .position(|&kind| kind == (entity_type, action))
        .map(|kind| kind as u8)
}

/// An event as the history file writer hands it to the index.
#[derive(Debug, Clone)]
pub(crate) struct NewEntry {
    pub(crate) id: EventId,
    pub(crate) user: Option<UserId>,
    pub(crate) child: ChildId,
    pub(crate) kind: u8,
    pub(crate) occurred_at: Timestamp,
    pub(crate) created_at: Timestamp,
    /// `|delta|`: what the event adds to its kind's sum in the totals.
    pub(crate) amount: u64,
    pub(crate) offset: u64,
    pub(crate) len: u32,
    /// The event's number in its family's sequence; `None` on a line written before lines
    /// carried it (numbered by [`Index::rebuild_lists`]).
    pub(crate) sequence: Option<u64>,
    /// The event itself, kept among the recent ones once filed; `None` for a line read back.
    pub(crate) event: Option<TrackingEvent>,
}

/// Where a stored event is read from.
#[derive(Debug)]
pub(crate) enum StoredLine {
    /// One of the latest events, whole.
    Recent(TrackingEvent),
    /// Its line in the file: offset and length.
    File(u64, u32),
}

/// The latest appended events with their positions, oldest first, at most [`RECENT`]: positions
/// are given in increasing order, so the list is sorted by them.
#[derive(Debug, Default)]
struct Recent(VecDeque<(u32, TrackingEvent)>);

impl Recent {
    fn keep(&mut self, position: u32, event: TrackingEvent) {
        if self.0.len() == RECENT {
            self.0.pop_front();
        }
        self.0.push_back((position, event));
    }

    fn get(&self, position: u32) -> Option<&TrackingEvent> {
        let at = self
            .0
            .binary_search_by_key(&position, |&(kept, _)| kept)
            .ok()?;
        Some(&self.0[at].1)
    }
}

/// One stored event, in 64 bytes.
#[derive(Debug, Clone, Copy)]
struct Entry {
    occurred_at: i64,
    created_at: i64,
    id_high: u64,
    id_low: u64,
    amount: u64,
    offset: u64,
    /// The family sequence number; 0 until an unnumbered line is numbered.
    sequence: u64,
    len: u32,
    child: u32,
    user: u32,
    kind: u8,
}

type Key = (i64, i64, u64, u64);

/// The order key of an event as the index compares it.
pub(crate) fn key_of(after: (Timestamp, Timestamp, EventId)) -> Key {
    let (high, low) = split(after.2);
    (after.0.unix_millis(), after.1.unix_millis(), high, low)
}

/// Per kind, the running sum of `amount` along a child's kind list: `sums[k][i]` is the sum over
/// the first `i + 1` positions of `kinds[k]`.
type KindSums = [Vec<u64>; KINDS.len()];

impl Entry {
    fn key(&self) -> Key {
        (self.occurred_at, self.created_at, self.id_high, self.id_low)
    }
}

/// Positions into the entries, sorted by the order key: all of them, and split by kind.
#[derive(Debug, Default, PartialEq, Eq)]
struct Lists {
    all: Vec<u32>,
    kinds: [Vec<u32>; KINDS.len()],
}

/// Hashes an id by its low 64 bits, which are random in a ULID, with one multiplication.
#[derive(Debug, Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(byte)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, value: u64) {
        self.0 = value.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn write_u128(&mut self, value: u128) {
        self.write_u64(value as u64);
    }
}

type IdMap = HashMap<u64, u32, BuildHasherDefault<IdHasher>>;
/// Child or user id → its number in the index.
type Numbers<K> = HashMap<K, u32, BuildHasherDefault<IdHasher>>;

/// Where to read a page of events, and the count of all matches.
#[derive(Debug)]
pub(crate) struct PagePlan {
    pub(crate) lines: Vec<StoredLine>,
    pub(crate) total: u64,
}

/// Every stored event, indexed. Positions are the events' order in the file.
#[derive(Debug, Default)]
pub(crate) struct Index {
    entries: Vec<Entry>,
    /// Id → position by the id's low 64 bits; ids whose low bits collide go to `overflow`.
    ids: IdMap,
    overflow: HashMap<u128, u32>,
    all: Lists,
    children: Numbers<ChildId>,
    child_lists: Vec<Lists>,
    child_sums: Vec<KindSums>,
    users: Numbers<UserId>,
    user_lists: Vec<Lists>,
    /// Per user (by the same number as `user_lists`), its events sorted by family sequence.
    family_lists: Vec<Vec<u32>>,
    recent: Recent,
    /// Positions inserted but not filed in the sorted lists yet, oldest first ([`Self::file`]).
    unfiled: VecDeque<u32>,
}

/// `list.partition_point(before)`, searched from the end with doubling steps before a binary
/// search: a new event sorts at or near the end of its lists, so this reads a few entries where a
/// binary search over the whole list would read one per halving, each a cache miss.
fn partition_point_from_end(list: &[u32], before: impl Fn(&u32) -> bool) -> usize {
    let mut upper = list.len();
    let mut step = 1;
    while upper > 0 {
        let probe = upper.saturating_sub(step);
        if before(&list[probe]) {
            return probe + 1 + list[probe + 1..upper].partition_point(&before);
        }
        upper = probe;
        step *= 2;
    }
    0
}

fn split(id: EventId) -> (u64, u64) {
    let bits = id.ulid().0;
    ((bits >> 64) as u64, bits as u64)
}

impl Index {
    /// The number of events.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the event with this id is stored.
    pub(crate) fn contains(&self, id: EventId) -> bool {
        self.position(id).is_some()
    }

    fn position(&self, id: EventId) -> Option<u32> {
        if !self.overflow.is_empty()
            && let Some(&position) = self.overflow.get(&id.ulid().0)
        {
            return Some(position);
        }
        let (high, low) = split(id);
        let position = *self.ids.get(&low)?;
        let entry = &self.entries[position as usize];
        (entry.id_high == high && entry.id_low == low).then_some(position)
    }

    /// Where the event with this id is read from.
    pub(crate) fn line_of(&self, id: EventId) -> Option<StoredLine> {
        self.position(id).map(|position| self.line(position))
    }

    /// The event at `position` whole if it is one of the latest, else where its line lies.
    fn line(&self, position: u32) -> StoredLine {
        match self.recent.get(position) {
            Some(event) => StoredLine::Recent(event.clone()),
            None => {
                let entry = &self.entries[position as usize];
                StoredLine::File(entry.offset, entry.len)
            }
        }
    }

    /// Adds an event at the end of the file order, to be filed in the lists by [`Self::file`];
    /// an id already stored is ignored. Until then its id, line and event are found, but no
    /// list holds it: the history files every event before it reads a list.
    pub(crate) fn insert(&mut self, mut new: NewEntry) -> bool {
        let Some(position) = self.push(&new) else {
            return false;
        };
        if let Some(event) = new.event.take() {
            self.recent.keep(position, event);
        }
        self.unfiled.push_back(position);
        true
    }

    /// Whether every inserted event is filed in the lists.
    pub(crate) fn is_filed(&self) -> bool {
        self.unfiled.is_empty()
    }

    /// Files up to `at_most` of the events inserted and not filed yet, oldest first; true once
    /// none is left.
    pub(crate) fn file(&mut self, at_most: usize) -> bool {
        for _ in 0..at_most {
            let Some(position) = self.unfiled.pop_front() else {
                break;
            };
            self.file_one(position);
        }
        self.unfiled.is_empty()
    }

    /// Files the event at `position` in every list it belongs to, and adds its amount to its
    /// child's sums.
    fn file_one(&mut self, position: u32) {
        let key = self.entries[position as usize].key();
        let entry = self.entries[position as usize];
        let entries = &self.entries;
        let sorted_insert = |list: &mut Vec<u32>| {
            let at = partition_point_from_end(list, |&other| entries[other as usize].key() < key);
            list.insert(at, position);
            at
        };
        if entry.user != NO_USER && entry.sequence != 0 {
            let list = &mut self.family_lists[entry.user as usize];
            let sequence = entry.sequence;
            let at = partition_point_from_end(list, |&other| {
                entries[other as usize].sequence < sequence
            });
            list.insert(at, position);
        }
        let child_at =
            sorted_insert(&mut self.child_lists[entry.child as usize].kinds[entry.kind as usize]);
        sorted_insert(&mut self.child_lists[entry.child as usize].all);
        for lists in [
            Some(&mut self.all),
            if entry.user == NO_USER {
                None
            } else {
                Some(&mut self.user_lists[entry.user as usize])
            },
        ]
        .into_iter()
        .flatten()
        {
            sorted_insert(&mut lists.all);
            sorted_insert(&mut lists.kinds[entry.kind as usize]);
        }
        // A late event (one that orders before others of its child) shifts the sums after it.
        let sums = &mut self.child_sums[entry.child as usize][entry.kind as usize];
        let before = child_at.checked_sub(1).map_or(0, |previous| sums[previous]);
        sums.insert(child_at, before.wrapping_add(entry.amount));
        for later in &mut sums[child_at + 1..] {
            *later = later.wrapping_add(entry.amount);
        }
    }

    /// Adds an event without filing it in the lists; call [`Self::rebuild_lists`] after a batch.
    pub(crate) fn push_unsorted(&mut self, new: &NewEntry) -> bool {
        self.push(new).is_some()
    }

    fn push(&mut self, new: &NewEntry) -> Option<u32> {
        use std::collections::hash_map::Entry as Slot;
        let position = u32::try_from(self.entries.len()).expect("fewer than 2^32 events");
        let (id_high, id_low) = split(new.id);
        // One lookup finds the id stored or reserves its place (ids never leave `ids`, so an id
        // whose low bits are free is not in `overflow` either).
        match self.ids.entry(id_low) {
            Slot::Occupied(slot) => {
                if self.entries[*slot.get() as usize].id_high == id_high {
                    return None;
                }
                match self.overflow.entry(new.id.ulid().0) {
                    Slot::Occupied(_) => return None,
                    Slot::Vacant(slot) => slot.insert(position),
                };
            }
            Slot::Vacant(slot) => {
                slot.insert(position);
            }
        }
        let child = intern(&mut self.children, &mut self.child_lists, new.child);
        if self.child_sums.len() < self.child_lists.len() {
            self.child_sums.push(KindSums::default());
        }
        let user = new.user.map_or(NO_USER, |user| {
            intern(&mut self.users, &mut self.user_lists, user)
        });
        if self.family_lists.len() < self.user_lists.len() {
            self.family_lists
                .resize_with(self.user_lists.len(), Vec::new);
        }
        self.entries.push(Entry {
            occurred_at: new.occurred_at.unix_millis(),
            created_at: new.created_at.unix_millis(),
            id_high,
            id_low,
            amount: new.amount,
            offset: new.offset,
            sequence: new.sequence.unwrap_or(0),
            len: new.len,
            child,
            user,
            kind: new.kind,
        });
        Some(position)
    }

    /// Files every event in the lists again, sorting once. Events without a family sequence
    /// number (lines written before lines carried it) are numbered first: per family, in the
    /// order (`occurred_at`, `created_at`, `id`), from 1 — they are older than every numbered
    /// event, whose numbers were taken after these were, so every open derives the same numbers.
    pub(crate) fn rebuild_lists(&mut self) {
        self.unfiled.clear();
        self.number_the_unnumbered();
        let mut order: Vec<u32> = (0..self.entries.len() as u32).collect();
        let entries = &self.entries;
        order.sort_unstable_by_key(|&position| entries[position as usize].key());
        let mut all = Lists::default();
        let mut child_lists: Vec<Lists> =
            self.child_lists.iter().map(|_| Lists::default()).collect();
        let mut user_lists: Vec<Lists> = self.user_lists.iter().map(|_| Lists::default()).collect();
        for &position in &order {
            let entry = &entries[position as usize];
            let kind = entry.kind as usize;
            all.kinds[kind].push(position);
            let child = &mut child_lists[entry.child as usize];
            child.all.push(position);
            child.kinds[kind].push(position);
            if entry.user != NO_USER {
                let user = &mut user_lists[entry.user as usize];
                user.all.push(position);
                user.kinds[kind].push(position);
            }
        }
        all.all = order;
        let mut family_lists: Vec<Vec<u32>> = self.user_lists.iter().map(|_| Vec::new()).collect();
        for (position, entry) in entries.iter().enumerate() {
            if entry.user != NO_USER && entry.sequence != 0 {
                family_lists[entry.user as usize].push(position as u32);
            }
        }
        for list in &mut family_lists {
            list.sort_unstable_by_key(|&position| entries[position as usize].sequence);
            list.shrink_to_fit();
        }
        self.family_lists = family_lists;
        for lists in child_lists.iter_mut().chain(user_lists.iter_mut()) {
            lists.all.shrink_to_fit();
            lists.kinds.iter_mut().for_each(Vec::shrink_to_fit);
        }
        self.child_sums = child_lists
            .iter()
            .map(|lists| {
                std::array::from_fn(|kind| {
                    let mut sum = 0_u64;
                    lists.kinds[kind]
                        .iter()
                        .map(|&position| {
                            sum = sum.wrapping_add(entries[position as usize].amount);
                            sum
                        })
                        .collect()
                })
            })
            .collect();
        self.all = all;
        self.child_lists = child_lists;
        self.user_lists = user_lists;
    }

    /// Numbers the events without a family sequence number; see [`Self::rebuild_lists`].
    fn number_the_unnumbered(&mut self) {
        let mut unnumbered: Vec<u32> = (0..self.entries.len() as u32)
            .filter(|&position| {
                let entry = &self.entries[position as usize];
                entry.sequence == 0 && entry.user != NO_USER
            })
            .collect();
        if unnumbered.is_empty() {
            return;
        }
        let entries = &self.entries;
        unnumbered.sort_unstable_by_key(|&position| {
            let entry = &entries[position as usize];
            (entry.user, entry.key())
        });
        let mut family = NO_USER;
        let mut next = 1;
        for position in unnumbered {
            let entry = &mut self.entries[position as usize];
            if entry.user != family {
                family = entry.user;
                next = 1;
            }
            entry.sequence = next;
            next += 1;
        }
    }

    /// The last family sequence number stored for each family.
    pub(crate) fn family_heads(&self) -> HashMap<UserId, u64> {
        debug_assert!(self.is_filed(), "a list read before filing");
        self.users
            .iter()
            .filter_map(|(&user, &index)| {
                let last = *self.family_lists[index as usize].last()?;
                Some((user, self.entries[last as usize].sequence))
            })
            .collect()
    }

    /// The family sequence number and line of `family`'s events numbered after `after`, in
    /// number order, at most `limit`: a binary search, then the answer.
    pub(crate) fn family_after(&self, read: SequenceRead) -> Vec<(u64, StoredLine)> {
        debug_assert!(self.is_filed(), "a list read before filing");
        let SequenceRead {
            family,
            after,
            limit,
        } = read;
        let Some(&index) = self.users.get(&family) else {
            return Vec::new();
        };
        let list = &self.family_lists[index as usize];
        let start =
            list.partition_point(|&position| self.entries[position as usize].sequence <= after);
        list[start..]
            .iter()
            .take(limit)
            .map(|&position| {
                (
                    self.entries[position as usize].sequence,
                    self.line(position),
                )
            })
            .collect()
    }

    /// The running totals of one child's events (none for a child without events).
    pub(crate) fn child_totals(&self, child: ChildId) -> ChildTotals<'_> {
        debug_assert!(self.is_filed(), "a list read before filing");
        ChildTotals {
            index: self,
            child: self.children.get(&child).map(|&child| child as usize),
        }
    }

    /// The lines of every event in file order, each with whether it belongs to `user`.
    pub(crate) fn lines_with_user(&self, user: UserId) -> Vec<(u64, u32, bool)> {
        let user = self.users.get(&user).copied();
        self.entries
            .iter()
            .map(|entry| (entry.offset, entry.len, Some(entry.user) == user))
            .collect()
    }

    /// After the file was rewritten: every event's new line, in file order, and `user` gone.
    pub(crate) fn rewritten(&mut self, lines: &[(u64, u32)], user: UserId) {
        debug_assert!(self.is_filed(), "a rewrite before filing");
        self.recent = Recent::default();
        for (entry, &(offset, len)) in self.entries.iter_mut().zip(lines) {
            entry.offset = offset;
            entry.len = len;
        }
        if let Some(index) = self.users.remove(&user) {
            for entry in &mut self.entries {
                if entry.user == index {
                    entry.user = NO_USER;
                }
            }
            self.user_lists[index as usize] = Lists::default();
            self.family_lists[index as usize] = Vec::new();
        }
    }

    /// Plans the page `query` asks for: which lines to read, in order, and the total.
    pub(crate) fn plan(&self, query: &TrackingQuery) -> PagePlan {
        self.plan_after(query, None)
    }

    /// Plans the page `query` asks for among the matches that follow `after` in its order
    /// (a keyset: what a reader that has seen everything up to `after` reads next).
    pub(crate) fn plan_after(&self, query: &TrackingQuery, after: Option<Key>) -> PagePlan {
        debug_assert!(self.is_filed(), "a list read before filing");
        let empty = PagePlan {
            lines: Vec::new(),
            total: 0,
        };
        let (lists, residual_user) = match (query.child_id, query.user_id) {
            (Some(child), user) => match self.children.get(&child) {
                Some(&index) => (&self.child_lists[index as usize], user),
                None => return empty,
            },
            (None, Some(user)) => match self.users.get(&user) {
                Some(&index) => (&self.user_lists[index as usize], None),
                None => return empty,
            },
            (None, None) => (&self.all, None),
        };
        let chosen: Vec<&[u32]> = if query.entity_type.is_none() && query.action.is_none() {
            vec![&lists.all]
        } else {
            KINDS
                .iter()
                .zip(&lists.kinds)
                .filter(|((entity_type, action), _)| {
                    query
                        .entity_type
                        .is_none_or(|wanted| wanted == *entity_type)
                        && query.action.is_none_or(|wanted| wanted == *action)
                })
                .map(|(_, list)| list.as_slice())
                .collect()
        };
        let ranges: Vec<&[u32]> = chosen
            .into_iter()
            .map(|list| self.date_range(list, query.from, query.to))
            .map(|range| self.after_key(range, after, query.order()))
            .filter(|range| !range.is_empty())
            .collect();
        let positions = match residual_user {
            Some(user) => {
                let Some(&user) = self.users.get(&user) else {
                    return empty;
                };
                let mut matching: Vec<u32> = ranges
                    .iter()
                    .flat_map(|range| range.iter().copied())
                    .filter(|&position| self.entries[position as usize].user == user)
                    .collect();
                matching.sort_unstable_by_key(|&position| self.entries[position as usize].key());
                self.page_of(&[&matching], query)
            }
            None => self.page_of(&ranges, query),
        };
        PagePlan {
            lines: positions
                .0
                .into_iter()
                .map(|position| self.line(position))
                .collect(),
            total: positions.1,
        }
    }

    /// The part of a sorted range that follows `after` in `order`.
    fn after_key<'a>(&self, range: &'a [u32], after: Option<Key>, order: SortOrder) -> &'a [u32] {
        let Some(after) = after else { return range };
        let key = |position: &u32| self.entries[*position as usize].key();
        match order {
            SortOrder::Asc => &range[range.partition_point(|position| key(position) <= after)..],
            SortOrder::Desc => &range[..range.partition_point(|position| key(position) < after)],
        }
    }

    /// The part of a sorted list with `from <= occurred_at < to`.
    fn date_range<'a>(
        &self,
        list: &'a [u32],
        from: Option<Timestamp>,
        to: Option<Timestamp>,
    ) -> &'a [u32] {
        let occurred = |position: &u32| self.entries[*position as usize].occurred_at;
        let start = from.map_or(0, |from| {
            list.partition_point(|position| occurred(position) < from.unix_millis())
        });
        let end = to.map_or(list.len(), |to| {
            list.partition_point(|position| occurred(position) < to.unix_millis())
        });
        &list[start..end.max(start)]
    }

    /// The page of the merged order of `ranges`, and their total.
    fn page_of(&self, ranges: &[&[u32]], query: &TrackingQuery) -> (Vec<u32>, u64) {
        let total: usize = ranges.iter().map(|range| range.len()).sum();
        let offset = usize::try_from(query.offset()).unwrap_or(usize::MAX);
        let limit = query.limit() as usize;
        let (start, end) = match query.order() {
            SortOrder::Asc => (offset.min(total), offset.saturating_add(limit).min(total)),
            SortOrder::Desc => {
                let end = total.saturating_sub(offset);
                (end.saturating_sub(limit), end)
            }
        };
        let mut page = self.merged(ranges, start, end - start);
        if query.order() == SortOrder::Desc {
            page.reverse();
        }
        (page, total as u64)
    }

    /// `count` positions of the merged order of `ranges`, from rank `start`.
    fn merged(&self, ranges: &[&[u32]], start: usize, count: usize) -> Vec<u32> {
        let key = |position: u32| self.entries[position as usize].key();
        if let [range] = ranges {
            return range[start..start + count].to_vec();
        }
        let mut cursors = self.select(ranges, start);
        let mut page = Vec::with_capacity(count);
        while page.len() < count {
            let next = (0..ranges.len())
                .filter(|&list| cursors[list] < ranges[list].len())
                .min_by_key(|&list| key(ranges[list][cursors[list]]));
            let Some(list) = next else { break };
            page.push(ranges[list][cursors[list]]);
            cursors[list] += 1;
        }
        page
    }

    /// Split points in each sorted range such that exactly `rank` positions lie before them
    /// and every one of those orders before every one after: O(k² log² n), never a walk.
    fn select(&self, ranges: &[&[u32]], rank: usize) -> Vec<usize> {
        let key = |position: u32| self.entries[position as usize].key();
        let mut low = vec![0_usize; ranges.len()];
        let mut high: Vec<usize> = ranges.iter().map(|range| range.len()).collect();
        let mut need = rank;
        loop {
            let Some((widest, width)) = (0..ranges.len())
                .map(|list| (list, high[list] - low[list]))
                .max_by_key(|&(_, width)| width)
            else {
                return low;
            };
            if need == 0 || width == 0 {
                return low;
            }
            let middle = low[widest] + width / 2;
            let pivot = key(ranges[widest][middle]);
            let cuts: Vec<usize> = (0..ranges.len())
                .map(|list| {
                    low[list]
                        + ranges[list][low[list]..high[list]]
                            .partition_point(|&position| key(position) < pivot)
                })
                .collect();
            let below: usize = cuts.iter().zip(&low).map(|(cut, low)| cut - low).sum();
            match below.cmp(&need) {
                std::cmp::Ordering::Equal => return cuts,
                std::cmp::Ordering::Less => {
                    need -= below + 1;
                    low = cuts;
                    low[widest] = middle + 1;
                }
                std::cmp::Ordering::Greater => high = cuts,
            }
        }
    }

    /// Roughly how many bytes the index holds on the heap.
    pub(crate) fn heap_bytes(&self) -> usize {
        let lists = |lists: &Lists| {
            (lists.all.capacity() + lists.kinds.iter().map(Vec::capacity).sum::<usize>()) * 4
        };
        self.entries.capacity() * size_of::<Entry>()
            + self.ids.capacity() * 17
            + self.overflow.capacity() * 33
            + lists(&self.all)
            + self.child_lists.iter().map(lists).sum::<usize>()
            + self.user_lists.iter().map(lists).sum::<usize>()
            + self.family_lists.iter().map(Vec::capacity).sum::<usize>() * 4
            + self
                .child_sums
                .iter()
                .flat_map(|sums| sums.iter().map(Vec::capacity))
                .sum::<usize>()
                * 8
            + (self.children.capacity() + self.users.capacity()) * 21
            + self.unfiled.capacity() * 4
    }
}

fn intern<K: std::hash::Hash + Eq>(map: &mut Numbers<K>, lists: &mut Vec<Lists>, key: K) -> u32 {
    *map.entry(key).or_insert_with(|| {
        lists.push(Lists::default());
        (lists.len() - 1) as u32
    })
}

/// One child's running totals, read from the index under its lock.
#[derive(Debug)]
pub(crate) struct ChildTotals<'a> {
    index: &'a Index,
    child: Option<usize>,
}

impl ChildTotals<'_> {
    /// The totals of the child's events whose `occurred_at` is before `at` (all with `None`).
    fn until(&self, at: Option<Timestamp>) -> Totals {
        let Some(child) = self.child else {
            return Totals::ZERO;
        };
        let lists = &self.index.child_lists[child];
        let sums = &self.index.child_sums[child];
        let mut counts = [0_u64; KINDS.len()];
        let mut amounts = [0_u64; KINDS.len()];
        for kind in 0..KINDS.len() {
            let list = &lists.kinds[kind];
            let count = at.map_or(list.len(), |at| {
                list.partition_point(|&position| {
                    self.index.entries[position as usize].occurred_at < at.unix_millis()
                })
            });
            counts[kind] = count as u64;
            amounts[kind] = count.checked_sub(1).map_or(0, |last| sums[kind][last]);
        }
        // In the order of `KINDS`.
        Totals {
            earned: amounts[0],
            lost: amounts[1],
            spent: amounts[3],
            tasks_activated: counts[0],
            penalties_activated: counts[1],
            rewards_requested: counts[2],
            rewards_redeemed: counts[3],
            rewards_cancelled: counts[4],
        }
    }
}

impl RunningTotals for ChildTotals<'_> {
    fn before(&self, at: Timestamp) -> Totals {
        self.until(Some(at))
    }

    fn total(&self) -> Totals {
        self.until(None)
    }

    fn span(&self) -> Option<(Timestamp, Timestamp)> {
        let all = &self.index.child_lists[self.child?].all;
        let occurred = |position: &u32| {
            Timestamp::from_unix_millis(self.index.entries[*position as usize].occurred_at).ok()
        };
        Some((occurred(all.first()?)?, occurred(all.last()?)?))
    }
}

#[cfg(test)]
mod tests {
    use tracking_model::test_support::EventBuilder;
    use ulid::Ulid;

    use super::*;

    fn entry(id: u128, offset: u64) -> NewEntry {
        let event = EventBuilder::new()
            .id(EventId::from_ulid(Ulid(id)))
            .user(UserId::generate())
            .build();
        NewEntry {
            id: event.id(),
            user: event.user_id(),
            child: event.child_id(),
            kind: 0,
            occurred_at: event.occurred_at(),
            created_at: event.created_at(),
            amount: 1,
            offset,
            len: 10,
            sequence: Some(offset + 1),
            event: None,
        }
    }

    #[test]
    fn ids_whose_low_bits_collide_are_told_apart() {
        let mut index = Index::default();
        let first = 7_u128 << 64 | 42;
        let second = 9_u128 << 64 | 42;
        assert!(index.insert(entry(first, 0)));
        assert!(index.insert(entry(second, 10)));
        assert!(!index.insert(entry(first, 20)));
        assert!(!index.insert(entry(second, 30)));
        assert_eq!(index.len(), 2);
        for (id, offset) in [(first, 0), (second, 10)] {
            assert!(matches!(
                index.line_of(EventId::from_ulid(Ulid(id))),
                Some(StoredLine::File(at, 10)) if at == offset
            ));
        }
        assert!(!index.contains(EventId::from_ulid(Ulid(11_u128 << 64 | 42))));
    }

    /// Events of 3 children of 2 users (and anonymized ones), every kind, times out of order
    /// and with ties, each user's numbers in order.
    fn mixed_entries() -> Vec<NewEntry> {
        let users = [Some(UserId::generate()), Some(UserId::generate()), None];
        let children = [
            ChildId::generate(),
            ChildId::generate(),
            ChildId::generate(),
        ];
        let mut numbers = [0_u64; 3];
        (0..300_u64)
            .map(|at| {
                let owner = (at % 3) as usize;
                let at_millis = tracking_model::test_support::BASE_MILLIS + (at * 37 % 50) as i64;
                let event = EventBuilder::new()
                    .user(users[owner])
                    .child(children[(at / 2 % 3) as usize])
                    .kind((at % 5) as usize)
                    .occurred_at(Timestamp::from_unix_millis(at_millis).unwrap())
                    .build();
                numbers[owner] += 1;
                NewEntry {
                    id: event.id(),
                    user: event.user_id(),
                    child: event.child_id(),
                    kind: kind_of(event.entity_type(), event.action()).unwrap(),
                    occurred_at: event.occurred_at(),
                    created_at: event.created_at(),
                    amount: event.delta().unsigned_abs(),
                    offset: at * 100,
                    len: 99,
                    sequence: users[owner].map(|_| numbers[owner]),
                    event: None,
                }
            })
            .collect()
    }

    #[test]
    fn events_filed_a_few_at_a_time_are_filed_as_a_rebuild_files_them() {
        let entries = mixed_entries();
        let mut rebuilt = Index::default();
        for entry in &entries {
            assert!(rebuilt.push_unsorted(entry));
        }
        rebuilt.rebuild_lists();
        let mut filed = Index::default();
        for (at, entry) in entries.into_iter().enumerate() {
            assert!(filed.insert(entry));
            assert!(!filed.is_filed());
            if at % 40 == 39 {
                while !filed.file(7) {}
                assert!(filed.is_filed());
            }
        }
        assert!(filed.file(usize::MAX));
        assert_eq!(filed.all, rebuilt.all);
        assert_eq!(filed.child_lists, rebuilt.child_lists);
        assert_eq!(filed.user_lists, rebuilt.user_lists);
        assert_eq!(filed.family_lists, rebuilt.family_lists);
        assert_eq!(filed.child_sums, rebuilt.child_sums);
    }

    #[test]
    fn the_search_from_the_end_finds_what_a_binary_search_finds() {
        for len in 0..70u32 {
            for repeats in 1..4 {
                let list: Vec<u32> = (0..len).map(|at| at / repeats).collect();
                for value in 0..=len / repeats + 1 {
                    assert_eq!(
                        partition_point_from_end(&list, |&other| other < value),
                        list.partition_point(|&other| other < value),
                        "{list:?} {value}"
                    );
                }
            }
        }
    }
}
