-- Tokens a parent issued for its children's own devices: SHA-256 hashes only, several per child,
-- gone with the child (and so with its parent). A hash is also unique across the parents' tokens,
-- which the store checks when it inserts either kind.
CREATE TABLE child_tokens (
    token_hash bytea PRIMARY KEY,
    family_id text COLLATE "C" NOT NULL,
    child_id text COLLATE "C" NOT NULL,
    FOREIGN KEY (family_id, child_id) REFERENCES children (family_id, id) ON DELETE CASCADE
);

CREATE INDEX child_tokens_by_child ON child_tokens (family_id, child_id);
