//! The audit line: one tracking event as one line of JSON.

use serde::{Deserialize, Serialize};
use tracking_model::{EventBody, EventId, TrackingEvent, UserId};

use crate::AuditError;

/// The fields of one line, in the order they are written: the event's own fields after its ids.
#[derive(Serialize)]
struct AuditLine<'a> {
    tracking_event_id: EventId,
    user_id: UserId,
    #[serde(flatten)]
    event: &'a EventBody,
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
    let line = AuditLine {
        tracking_event_id: event.id(),
        user_id: user,
        event: event.body(),
        family_sequence,
    };
    let text = serde_json::to_string(&line)?;
    Ok(escape_line_separators(text))
}

/// Escapes U+2028 and U+2029, which JSON allows raw inside strings but JavaScript, editors and
/// other tools read as line breaks. They can only occur inside strings, where the escape means
/// the same character.
fn escape_line_separators(text: String) -> String {
    if text.contains(['\u{2028}', '\u{2029}']) {
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
    fn line_and_paragraph_separators_are_escaped() {
        let text =
            escape_line_separators(serde_json::json!({"name": "a\u{2028}b\u{2029}c"}).to_string());
        assert_eq!(text, r#"{"name":"a\u2028b\u2029c"}"#);
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["name"], "a\u{2028}b\u{2029}c");
    }
}
