//! Storage for the family data and the tracking history: repository traits and a durable JSON-file store.
