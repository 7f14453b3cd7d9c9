//! The audit line: one tracking event as one line of JSON.

use serde::Deserialize;
use tracking_model::{TrackingEvent, UserId};

use crate::AuditError;

/// The fields of one line, in the order they are written: the event's own fields after its ids
/// ([`encode`] writes these bytes around the event's text).
#[cfg(test)]
#[derive(serde::Serialize)]
struct AuditLine<'a> {
    tracking_event_id: tracking_model::EventId,
    user_id: UserId,
    #[serde(flatten)]
    event: &'a tracking_model::EventBody,
    /// The event's number in its family's sequence: where the writer resumes after a restart.
    family_sequence: u64,
}

/// What the writer reads back from a line: its family sequence number, absent on lines written
/// before lines carried it.
#[derive(Deserialize)]
struct Position {
    family_sequence: Option<u64>,
}

/// The line for `event` in the file of `user`, without its newline.
///
/// JSON escapes every control character inside strings, and U+2028/U+2029 are escaped too, so the
/// text holds no line break of any kind whatever the names in `metadata` contain.
pub(crate) fn encode(
    user: UserId,
    event: &TrackingEvent,
    family_sequence: u64,
) -> Result<String, AuditError> {
    let body = event.body_json()?;
    let mut text = Vec::with_capacity(body.len() + 128);
    text.extend_from_slice(br#"{"tracking_event_id":"#);
    serde_json::to_writer(&mut text, &event.id())?;
    text.extend_from_slice(br#","user_id":"#);
    serde_json::to_writer(&mut text, &user)?;
    text.push(b',');
    text.extend_from_slice(body.as_bytes());
    text.extend_from_slice(br#","family_sequence":"#);
    serde_json::to_writer(&mut text, &family_sequence)?;
    text.push(b'}');
    let text = String::from_utf8(text).map_err(<serde_json::Error as serde::ser::Error>::custom)?;
    Ok(escape_line_separators(text))
}

/// Escapes U+2028 and U+2029, which JSON allows raw inside strings but JavaScript, editors and
/// other tools read as line breaks. They can only occur inside strings, where the escape means
/// the same character.
fn escape_line_separators(text: String) -> String {
    // Both begin with the byte E2 in UTF-8: a byte search rules most lines out at once, where
    // searching for the two characters decodes every one.
    if text.as_bytes().contains(&0xE2) && text.contains(['\u{2028}', '\u{2029}']) {
        text.replace('\u{2028}', "\\u2028")
            .replace('\u{2029}', "\\u2029")
    } else {
        text
    }
}

/// The family sequence number of a whole line; `None` for a line without one (written before
/// lines carried it) or a line that is not an audit line.
pub(crate) fn family_sequence(line: &[u8]) -> Option<u64> {
    serde_json::from_slice::<Position>(line)
        .ok()
        .and_then(|position| position.family_sequence)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_what_serializing_its_fields_writes() {
        use tracking_model::test_support::EventBuilder;
        use tracking_model::{Actor, EventMetadata};

        let user = UserId::generate();
        let named = EventMetadata::named("Quote \" and \u{2028} and \\", Actor::Parent);
        for kind in 0..5 {
            for owner in [Some(user), None] {
                let event = EventBuilder::new()
                    .kind(kind)
                    .user(owner)
                    .metadata(Some(named.clone()))
                    .build();
                let fields = AuditLine {
                    tracking_event_id: event.id(),
                    user_id: user,
                    event: event.body(),
                    family_sequence: kind as u64 + 1,
                };
                let expected = escape_line_separators(serde_json::to_string(&fields).unwrap());
                assert_eq!(encode(user, &event, kind as u64 + 1).unwrap(), expected);
            }
        }
    }

    #[test]
    fn line_and_paragraph_separators_are_escaped() {
        let text =
            escape_line_separators(serde_json::json!({"name": "a\u{2028}b\u{2029}c"}).to_string());
        assert_eq!(text, r#"{"name":"a\u2028b\u2029c"}"#);
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["name"], "a\u{2028}b\u{2029}c");
    }
}
