-- The PostgreSQL store's first schema. Every table of the family data leads with `family_id` (the
-- parent's user id), the key a distributed PostgreSQL would shard by (docs/storage.md).
-- Ids are ULIDs in their 26-character text form; with the "C" collation their order is the
-- ULIDs' order (oldest first). Times are Unix milliseconds, as the model keeps them.

CREATE TABLE users (
    id text COLLATE "C" PRIMARY KEY,
    name text NOT NULL,
    created_at_ms bigint NOT NULL,
    -- SHA-256 of the bearer token; the token itself is never stored.
    token_hash bytea NOT NULL UNIQUE
);

-- Deleted users whose history is not yet confirmed anonymized.
CREATE TABLE users_to_anonymize (
    user_id text COLLATE "C" PRIMARY KEY
);

-- The last number each family's sequence gave out; kept when the family is deleted.
CREATE TABLE family_sequences (
    family_id text COLLATE "C" PRIMARY KEY,
    last_number bigint NOT NULL
);

CREATE TABLE children (
    family_id text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    id text COLLATE "C" NOT NULL,
    name text NOT NULL,
    points bigint NOT NULL,
    created_at_ms bigint NOT NULL,
    -- When the child's last event happened, so that its next one orders after it.
    last_occurred_at_ms bigint,
    last_created_at_ms bigint,
    PRIMARY KEY (family_id, id)
);

CREATE TABLE tasks (
    family_id text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    id text COLLATE "C" NOT NULL,
    name text NOT NULL,
    points bigint NOT NULL,
    is_good boolean NOT NULL,
    created_at_ms bigint NOT NULL,
    PRIMARY KEY (family_id, id)
);

CREATE TABLE rewards (
    family_id text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    id text COLLATE "C" NOT NULL,
    name text NOT NULL,
    cost bigint NOT NULL,
    created_at_ms bigint NOT NULL,
    PRIMARY KEY (family_id, id)
);

-- Pending reward requests only: a redeemed or cancelled request is gone (its event stays).
CREATE TABLE reward_requests (
    family_id text COLLATE "C" NOT NULL,
    id text COLLATE "C" NOT NULL,
    child_id text COLLATE "C" NOT NULL,
    reward_id text COLLATE "C" NOT NULL,
    requested_at_ms bigint NOT NULL,
    PRIMARY KEY (family_id, id),
    UNIQUE (family_id, child_id, reward_id),
    FOREIGN KEY (family_id, child_id) REFERENCES children (family_id, id) ON DELETE CASCADE,
    FOREIGN KEY (family_id, reward_id) REFERENCES rewards (family_id, id) ON DELETE CASCADE
);

-- Events committed by a tracked mutation and not yet confirmed in the history. `position` is the
-- commit order across families; within a family the sequence number is.
CREATE TABLE outbox (
    family_id text COLLATE "C" NOT NULL,
    family_sequence bigint NOT NULL,
    position bigserial NOT NULL,
    event_id text COLLATE "C" NOT NULL,
    event jsonb NOT NULL,
    PRIMARY KEY (family_id, family_sequence)
);
CREATE INDEX outbox_position ON outbox (position);
CREATE INDEX outbox_event ON outbox (event_id);

-- The append-only history. `event` is the event as the API shows it; the other columns repeat
-- what the filters, the order and the summaries read. `family_id` is the event's `user_id`:
-- anonymization sets both to null, and that is the only change a row ever sees.
CREATE TABLE tracking_events (
    id text COLLATE "C" PRIMARY KEY,
    family_id text COLLATE "C",
    family_sequence bigint NOT NULL,
    child_id text COLLATE "C" NOT NULL,
    entity_type text NOT NULL,
    action text NOT NULL,
    delta bigint NOT NULL,
    occurred_at_ms bigint NOT NULL,
    created_at_ms bigint NOT NULL,
    event jsonb NOT NULL
);
-- Following a family by its sequence.
CREATE UNIQUE INDEX tracking_events_family_sequence ON tracking_events (family_id, family_sequence);
-- The history's order, alone and after each filter of GET /admin/tracking.
CREATE INDEX tracking_events_order ON tracking_events (occurred_at_ms, created_at_ms, id);
CREATE INDEX tracking_events_child ON tracking_events (child_id, occurred_at_ms, created_at_ms, id);
CREATE INDEX tracking_events_family ON tracking_events (family_id, occurred_at_ms, created_at_ms, id);
CREATE INDEX tracking_events_kind ON tracking_events (entity_type, action, occurred_at_ms, created_at_ms, id);
CREATE INDEX tracking_events_action ON tracking_events (action, occurred_at_ms, created_at_ms, id);

-- No DELETE, and no UPDATE but the anonymization (family id and the event's user id to null).
CREATE FUNCTION tracking_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the tracking history is append-only';
    END IF;
    IF NEW.family_id IS NOT NULL
        OR NEW.event -> 'user_id' <> 'null'::jsonb
        OR (NEW.event - 'user_id') <> (OLD.event - 'user_id')
        OR (NEW.id, NEW.family_sequence, NEW.child_id, NEW.entity_type, NEW.action, NEW.delta,
            NEW.occurred_at_ms, NEW.created_at_ms)
           IS DISTINCT FROM
           (OLD.id, OLD.family_sequence, OLD.child_id, OLD.entity_type, OLD.action, OLD.delta,
            OLD.occurred_at_ms, OLD.created_at_ms)
    THEN
        RAISE EXCEPTION 'the tracking history is append-only: only anonymization may change an event';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER tracking_events_append_only
    BEFORE UPDATE OR DELETE ON tracking_events
    FOR EACH ROW EXECUTE FUNCTION tracking_events_append_only();
