//! A value's JSON, written once on demand and shared by the value's clones: an event is written
//! to the journal, the history, the answer and the audit file, each time the same text.

use std::fmt;
use std::sync::{Arc, OnceLock};

/// The cached JSON text of the value that holds it. It takes no part in the value's equality:
/// two equal values are equal whether or not either has been written yet.
#[derive(Clone, Default)]
pub(crate) struct RenderedJson(OnceLock<Arc<str>>);

impl RenderedJson {
    /// The text, written by `render` on the first call.
    pub(crate) fn get_or_render(
        &self,
        render: impl FnOnce() -> serde_json::Result<String>,
    ) -> serde_json::Result<&str> {
        if let Some(text) = self.0.get() {
            return Ok(text);
        }
        let text: Arc<str> = render()?.into();
        Ok(self.0.get_or_init(|| text))
    }

    /// Forgets the text (the value changed, or it is kept long and the text is not wanted).
    pub(crate) fn clear(&mut self) {
        self.0 = OnceLock::new();
    }
}

impl PartialEq for RenderedJson {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl fmt::Debug for RenderedJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "RenderedJson(written)"
        } else {
            "RenderedJson(not written)"
        })
    }
}
