-- One-time event tickets (`POST /events/ticket`), kept here so that a ticket issued by one server
-- opens a stream on any other: hashes only, each gone when used or 60 seconds after it was issued.
-- Unlogged: a ticket is worth a minute, so it need not survive a crash of the database (which
-- empties the table) nor cost a write-ahead log record.
CREATE UNLOGGED TABLE event_tickets (
    ticket_hash bytea PRIMARY KEY,
    user_id text COLLATE "C" NOT NULL,
    credential_hash bytea NOT NULL,
    expires_at_ms bigint NOT NULL
);

CREATE INDEX event_tickets_by_user ON event_tickets (user_id, expires_at_ms);
CREATE INDEX event_tickets_by_expiry ON event_tickets (expires_at_ms);
