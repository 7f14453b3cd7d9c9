-- Idempotency keys with their first answers, kept 24 hours. A key is written in the transaction
-- of the change it answered (or alone, for a kept refusal), so a retry after a crash either finds
-- it or finds nothing done. Deleting the family the answer is about takes the key.
CREATE TABLE idempotency_keys (
    -- The credential's user: `admin`, `user:<id>` or `child:<id>`.
    owner text COLLATE "C" NOT NULL,
    key text COLLATE "C" NOT NULL,
    -- SHA-256 of the request's method, path and body, in hex.
    fingerprint text NOT NULL,
    family_id text COLLATE "C" REFERENCES users (id) ON DELETE CASCADE,
    stored_at_ms bigint NOT NULL,
    status integer NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (owner, key)
);

-- Expired keys are dropped, oldest first, as new ones are stored.
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (stored_at_ms);
