//! Typed ULID identifiers: 26-character Crockford base32 strings that grow with time.

use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use ulid::{Generator, Ulid};

use crate::ModelError;

/// Returns a ULID greater than every one this process returned before, even within one millisecond.
fn next_ulid() -> Ulid {
    static GENERATOR: Mutex<Generator> = Mutex::new(Generator::new());
    let mut generator = GENERATOR
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    // The random part overflows only after 2^80 ids in one millisecond; a fresh id is still unique.
    generator.generate().unwrap_or_else(|_| Ulid::generate())
}

macro_rules! ulid_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
        pub struct $name(#[ts(type = "string")] Ulid);

        impl $name {
            /// A new id, greater than every id this process generated before.
            pub fn generate() -> Self {
                Self(next_ulid())
            }

            /// Wraps an existing ULID.
            pub const fn from_ulid(ulid: Ulid) -> Self {
                Self(ulid)
            }

            /// The ULID inside.
            pub const fn ulid(self) -> Ulid {
                self.0
            }
        }

        impl FromStr for $name {
            type Err = ModelError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Ulid::from_string(text)
                    .map(Self)
                    .map_err(|_| ModelError::BadId { kind: stringify!($name) })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };
}

ulid_id!(
    /// Identifies a user (a parent account).
    UserId
);
ulid_id!(
    /// Identifies a child.
    ChildId
);
ulid_id!(
    /// Identifies a task or a penalty.
    TaskId
);
ulid_id!(
    /// Identifies a reward.
    RewardId
);
ulid_id!(
    /// Identifies a reward request.
    RewardRequestId
);
ulid_id!(
    /// Identifies a tracking event.
    EventId
);
ulid_id!(
    /// Identifies the task, penalty or reward a tracking event is about.
    EntityId
);

impl From<TaskId> for EntityId {
    fn from(id: TaskId) -> Self {
        Self(id.0)
    }
}

impl From<RewardId> for EntityId {
    fn from(id: RewardId) -> Self {
        Self(id.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_strictly_increase() {
        let ids: Vec<EventId> = (0..1000).map(|_| EventId::generate()).collect();
        assert!(ids.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn parses_its_own_text_and_refuses_garbage() {
        let id = ChildId::generate();
        assert_eq!(id.to_string().parse::<ChildId>(), Ok(id));
        assert_eq!(id.to_string().len(), 26);
        assert!("not-a-ulid".parse::<ChildId>().is_err());
        assert!("".parse::<ChildId>().is_err());
        assert!("01JKZ8Q4V3X9T7M2N5P6R8S0A".parse::<ChildId>().is_err());
    }

    #[test]
    fn serializes_as_a_plain_string() {
        let id: UserId = "01JKZ8M1C2D3E4F5G6H7J8K9MN".parse().unwrap();
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            "\"01JKZ8M1C2D3E4F5G6H7J8K9MN\""
        );
        assert!(serde_json::from_str::<UserId>("\"nope\"").is_err());
    }
}
