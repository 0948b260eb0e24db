-- The catalog: buttons, agents and scenarios as JSON bodies owned by a user,
-- with a never-reused number per kind and a schedule tick.

CREATE TABLE catalog (
    kind        TEXT NOT NULL,
    id          TEXT NOT NULL,
    number      INTEGER NOT NULL,
    owner       TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    next_tick   INTEGER,
    PRIMARY KEY (kind, id)
);

CREATE UNIQUE INDEX catalog_number ON catalog (kind, number);

CREATE TABLE catalog_counters (
    kind  TEXT PRIMARY KEY NOT NULL,
    last  INTEGER NOT NULL
);
