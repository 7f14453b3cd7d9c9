//! The resume cursor of a live stream: a family and a number of its sequence, written as an
//! opaque token (`Last-Event-ID`) that clients store and send back but never read.

use std::fmt;

use tracking_model::UserId;

/// The version tag every cursor starts with; a cursor of another version is unknown.
const VERSION: &str = "c1";
/// The hex digits of the family (a 128-bit id) and of the sequence number.
const FAMILY_DIGITS: usize = 32;
const SEQUENCE_DIGITS: usize = 16;
/// The length of every cursor: the version tag, the family, the sequence number.
const LEN: usize = VERSION.len() + FAMILY_DIGITS + SEQUENCE_DIGITS;
/// Mixed into the digits so that the family's id does not stand in the cursor as it is: a cursor
/// is a position, not an identity a client should pick apart.
const MASK: u128 = 0x5d2c_8e41_b7a3_f690_1c4e_2b8d_7f31_a65e;

/// "After the family's event number `sequence`": where a stream resumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub(crate) family: UserId,
    pub(crate) sequence: u64,
}

impl Cursor {
    /// Reads a cursor this server wrote; anything else (another version, a typo, a made-up
    /// value) is `None`.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        if text.len() != LEN || !text.is_ascii() {
            return None;
        }
        let (version, digits) = text.split_at(VERSION.len());
        if version != VERSION {
            return None;
        }
        let (family, sequence) = digits.split_at(FAMILY_DIGITS);
        let lowercase_hex =
            |part: &str| part.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !lowercase_hex(family) || !lowercase_hex(sequence) {
            return None;
        }
        let family = u128::from_str_radix(family, 16).ok()? ^ MASK;
        let sequence = u64::from_str_radix(sequence, 16).ok()? ^ (family as u64);
        Some(Self {
            family: UserId::from_ulid(ulid::Ulid(family)),
            sequence,
        })
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let family = self.family.ulid().0;
        write!(
            f,
            "{VERSION}{:032x}{:016x}",
            family ^ MASK,
            self.sequence ^ (family as u64)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_as_itself_and_is_short_printable_ascii() {
        for sequence in [0, 1, 41, u64::MAX] {
            let cursor = Cursor {
                family: UserId::generate(),
                sequence,
            };
            let text = cursor.to_string();
            assert!(text.len() <= 128);
            assert!(text.bytes().all(|b| b.is_ascii_graphic()));
            assert!(!text.contains(&cursor.family.to_string()));
            assert_eq!(Cursor::parse(&text), Some(cursor));
        }
    }

    #[test]
    fn anything_else_is_no_cursor() {
        let text = Cursor {
            family: UserId::generate(),
            sequence: 7,
        }
        .to_string();
        let upper = text.to_uppercase();
        let other_version = format!("c2{}", &text[2..]);
        let longer = format!("{text}0");
        let not_hex = format!("{}g", &text[..text.len() - 1]);
        for bad in [
            "",
            "7",
            "01JKZ8Q4V3X9T7M2N5P6R8S0AB",
            upper.as_str(),
            other_version.as_str(),
            longer.as_str(),
            &text[..text.len() - 1],
            not_hex.as_str(),
            "c1+0000000000000000000000000000000000000000000000",
        ] {
            assert_eq!(Cursor::parse(bad), None, "{bad}");
        }
    }
}
