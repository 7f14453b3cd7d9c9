//! Typed ULID identifiers: 26-character Crockford base32 strings that grow with time.
//!
//! A ULID holds 128 bits, so its first character is at most `7`; a larger one would overflow and
//! wrap onto another id, and is refused. Lowercase is read too; ids are always written uppercase.

use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;

use serde::{Deserialize, Deserializer, Serialize};
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

/// Reads the one spelling of a ULID (either case): 26 characters of Crockford base32 whose first
/// is `0` to `7`, so that the value fits in 128 bits instead of wrapping around.
fn parse_ulid(text: &str) -> Option<Ulid> {
    let first = text.as_bytes().first()?;
    if !(b'0'..=b'7').contains(first) {
        return None;
    }
    Ulid::from_string(text).ok()
}

/// The OpenAPI schema of every id: the one spelling [`parse_ulid`] reads, written uppercase.
fn ulid_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some("^[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}$"))
        .min_length(Some(26))
        .max_length(Some(26))
        .description(Some(
            "A ULID: 26 Crockford base32 characters, the first 0 to 7",
        ))
        .examples(["01JKZ8Q4V3X9T7M2N5P6R8S0AB"])
        .into()
}

/// Deserializes an id through [`parse_ulid`], so stored and sent ids obey the same rule.
struct UlidVisitor;

impl serde::de::Visitor<'_> for UlidVisitor {
    type Value = Ulid;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a ULID: 26 Crockford base32 characters, the first 0 to 7")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Ulid, E> {
        parse_ulid(text).ok_or_else(|| E::invalid_value(serde::de::Unexpected::Str(text), &self))
    }
}

macro_rules! ulid_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, TS)]
        pub struct $name(#[ts(type = "string")] Ulid);

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                ulid_schema()
            }
        }

        impl utoipa::ToSchema for $name {}

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
                parse_ulid(text)
                    .map(Self)
                    .ok_or(ModelError::BadId { kind: stringify!($name) })
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer
                    .deserialize_str(UlidVisitor)
                    .map(Self)
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
    fn refuses_ids_that_overflow_128_bits() {
        let id: ChildId = "01JKZ8M1C2D3E4F5G6H7J8K9MN".parse().unwrap();
        assert_eq!(
            "71JKZ8M1C2D3E4F5G6H7J8K9MN"
                .parse::<ChildId>()
                .map(|id| id.to_string()),
            Ok("71JKZ8M1C2D3E4F5G6H7J8K9MN".to_owned())
        );
        for first in ['8', '9', 'G', 'R', 'Z', 'g', 'z'] {
            let text = format!("{first}1JKZ8M1C2D3E4F5G6H7J8K9MN");
            assert!(text.parse::<ChildId>().is_err(), "{text}");
            assert!(
                serde_json::from_str::<ChildId>(&format!("\"{text}\"")).is_err(),
                "{text}"
            );
        }
        assert_eq!("01jkz8m1c2d3e4f5g6h7j8k9mn".parse::<ChildId>(), Ok(id));
        assert_eq!(
            "01jkz8m1c2d3e4f5g6h7j8k9mn"
                .parse::<ChildId>()
                .unwrap()
                .to_string(),
            "01JKZ8M1C2D3E4F5G6H7J8K9MN"
        );
        assert_eq!(
            serde_json::from_str::<ChildId>("\"01JKZ8M1C2D3E4F5G6H7J8K9MN\"").unwrap(),
            id
        );
        assert!(serde_json::from_str::<ChildId>("7").is_err());
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
