//! The idempotency keys of the family state: looked up before a keyed command is checked, stored
//! in the same change as its effect, and dropped 24 hours after they were stored.

use std::collections::{BTreeSet, HashMap};

use tracking_model::{Timestamp, UserId};

use super::{Change, Command, FamilyState, Turn};
use crate::idempotency::KEY_LIFETIME_MILLIS;
use crate::{FamilyError, IdempotencyKey, KeyRecord, Keyed, StoredAnswer};

/// The live keys, by owner and key, and their expiry order.
#[derive(Debug, Default)]
pub(crate) struct Keys {
    records: HashMap<(String, String), KeyRecord>,
    by_age: BTreeSet<(Timestamp, String, String)>,
}

impl Keys {
    /// The record of `owner`'s `key`, if it is still kept at `now`.
    pub(crate) fn get(&self, owner: &str, key: &str, now: Timestamp) -> Option<&KeyRecord> {
        self.records
            .get(&(owner.to_owned(), key.to_owned()))
            .filter(|record| record.is_live(now))
    }

    /// Stores a record, and drops every key expired at the time it was stored: the keys stay as
    /// many as one day brings, and replaying the journal drops the same ones.
    pub(crate) fn insert(&mut self, record: KeyRecord) {
        self.expire(record.stored_at);
        let id = (record.owner.clone(), record.key.clone());
        if let Some(old) = self.records.remove(&id) {
            self.by_age.remove(&(old.stored_at, old.owner, old.key));
        }
        self.by_age
            .insert((record.stored_at, id.0.clone(), id.1.clone()));
        self.records.insert(id, record);
    }

    /// Drops the keys no longer kept at `now`.
    pub(crate) fn expire(&mut self, now: Timestamp) {
        let cutoff = now.unix_millis().saturating_sub(KEY_LIFETIME_MILLIS);
        while let Some(first) = self.by_age.first() {
            if first.0.unix_millis() > cutoff {
                break;
            }
            let (_, owner, key) = self.by_age.pop_first().expect("checked above");
            self.records.remove(&(owner, key));
        }
    }

    /// Drops the keys about a deleted user's family.
    pub(crate) fn forget_family(&mut self, user: UserId) {
        let gone: Vec<(String, String)> = self
            .records
            .iter()
            .filter(|(_, record)| record.family == Some(user))
            .map(|(id, _)| id.clone())
            .collect();
        for id in gone {
            if let Some(record) = self.records.remove(&id) {
                self.by_age
                    .remove(&(record.stored_at, record.owner, record.key));
            }
        }
    }

    /// Every record kept at `now`, oldest first.
    pub(crate) fn live(&self, now: Timestamp) -> Vec<KeyRecord> {
        self.by_age
            .iter()
            .filter_map(|(_, owner, key)| self.records.get(&(owner.clone(), key.clone())))
            .filter(|record| record.is_live(now))
            .cloned()
            .collect()
    }

    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }
}

/// What a keyed command answers before the repository turns a kept refusal into its error.
pub enum KeyedAnswer<A> {
    Keyed(Keyed<A>),
    /// Refused, and the refusal is kept under the key.
    Refused(FamilyError),
}

/// A command under an idempotency key: a repeat replays the key's answer, a reuse for another
/// request is refused, and otherwise the command's change carries the key and its answer.
pub struct KeyedCommand<'a, C: Command> {
    pub command: C,
    pub key: &'a IdempotencyKey,
    pub render: crate::RenderAnswer<C::Answer>,
}

impl<C: Command> Command for KeyedCommand<'_, C>
where
    C::Answer: Sync,
{
    type Answer = KeyedAnswer<C::Answer>;

    fn turn(&self) -> Turn {
        self.command.turn()
    }

    fn numbered(answer: &mut Self::Answer, number: u64) {
        if let KeyedAnswer::Keyed(Keyed::Fresh(answer)) = answer {
            C::numbered(answer, number);
        }
    }

    fn check(self, state: &FamilyState) -> Result<(Option<Change>, Self::Answer), FamilyError> {
        let Self {
            command,
            key,
            render,
        } = self;
        if let Some(found) = state.keys.get(&key.owner, &key.key, key.at) {
            let answer = if found.fingerprint == key.fingerprint {
                Keyed::Replayed(found.answer.clone())
            } else {
                Keyed::Reused
            };
            return Ok((None, KeyedAnswer::Keyed(answer)));
        }
        match command.check(state) {
            Ok((change, answer)) => {
                let change = match render(Ok(&answer)) {
                    Some(stored) => Some(keyed(key, stored, change)),
                    None => change,
                };
                Ok((change, KeyedAnswer::Keyed(Keyed::Fresh(answer))))
            }
            Err(error) => match render(Err(&error)) {
                Some(stored) => Ok((Some(keyed(key, stored, None)), KeyedAnswer::Refused(error))),
                None => Err(error),
            },
        }
    }
}

fn keyed(key: &IdempotencyKey, answer: StoredAnswer, change: Option<Change>) -> Change {
    Change::Keyed {
        idempotency: KeyRecord::new(key, answer),
        change: change.map(Box::new),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StoredAnswer;

    fn record(key: &str, stored_at: i64) -> KeyRecord {
        KeyRecord {
            owner: "user:1".into(),
            key: key.into(),
            fingerprint: "POST /tasks {}".into(),
            family: None,
            stored_at: Timestamp::from_unix_millis(stored_at).unwrap(),
            answer: StoredAnswer {
                status: 201,
                body: "{}".into(),
            },
        }
    }

    #[test]
    fn a_day_of_keys_is_all_that_is_held() {
        let mut keys = Keys::default();
        let hour = KEY_LIFETIME_MILLIS / 24;
        for n in 0..48 {
            keys.insert(record(&format!("key-{n}"), n * hour));
        }
        // Inserting at hour 47 dropped everything stored at hour 23 or before.
        assert_eq!(keys.len(), 24);
        let now = Timestamp::from_unix_millis(47 * hour).unwrap();
        assert!(keys.get("user:1", "key-23", now).is_none());
        assert!(keys.get("user:1", "key-24", now).is_some());
        assert_eq!(keys.live(now).len(), 24);
        let later = Timestamp::from_unix_millis(60 * hour).unwrap();
        assert_eq!(keys.live(later).len(), 11);
        keys.expire(later);
        assert_eq!(keys.len(), 11);
    }

    #[test]
    fn a_key_stored_again_replaces_its_record() {
        let mut keys = Keys::default();
        keys.insert(record("same", 0));
        keys.insert(record("same", KEY_LIFETIME_MILLIS + 5));
        assert_eq!(keys.len(), 1);
        assert_eq!(keys.by_age.len(), 1);
        let now = Timestamp::from_unix_millis(KEY_LIFETIME_MILLIS + 6).unwrap();
        assert!(keys.get("user:1", "same", now).is_some());
    }

    #[test]
    fn a_deleted_family_takes_its_keys() {
        let mut keys = Keys::default();
        let family = UserId::generate();
        keys.insert(KeyRecord {
            family: Some(family),
            ..record("theirs", 0)
        });
        keys.insert(record("other", 0));
        keys.forget_family(family);
        assert_eq!(keys.len(), 1);
        assert_eq!(keys.by_age.len(), 1);
        assert!(
            keys.get("user:1", "other", Timestamp::from_unix_millis(1).unwrap())
                .is_some()
        );
    }
}
