-- The child's and the family's indexes in the history's order also carry what the filters and
-- the summaries read of each event (entity_type, action; delta on the child's), so that `total`
-- under a kind filter (child_id + entity_type + from/to, say) and a child's summary are read from
-- the index alone (index-only scans) instead of visiting the row of every event in the range, one
-- heap page each; a page of events then visits only its matches' rows. Rebuilding them blocks
-- writes to the history for as long as it takes (seconds per million events).
DROP INDEX IF EXISTS tracking_events_child;
CREATE INDEX tracking_events_child ON tracking_events (child_id, occurred_at_ms, created_at_ms, id)
    INCLUDE (entity_type, action, delta);
DROP INDEX IF EXISTS tracking_events_family;
CREATE INDEX tracking_events_family ON tracking_events (family_id, occurred_at_ms, created_at_ms, id)
    INCLUDE (entity_type, action);
