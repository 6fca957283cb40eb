-- PostgreSQL schema of acapd's shared store, migration 1 (doc/scale-out.md,
-- "Store backend").  Every node keeps the datasets in memory as a replica
-- built from this database: a base image (acap_base, written by
-- `acapd --copy-to`) and the ordered log of committed STORE batches
-- (acap_log).  acap_head is the single row every commit updates
-- conditionally, which orders all commits of all nodes and makes modtimes
-- strictly increase across them.  The version is kept in acap_schema.
CREATE TABLE IF NOT EXISTS acap_schema (
	version integer NOT NULL
);
INSERT INTO acap_schema (version) SELECT 0
	WHERE NOT EXISTS (SELECT 1 FROM acap_schema);

CREATE TABLE acap_head (
	id integer PRIMARY KEY CHECK (id = 1),
	seq bigint NOT NULL,		-- the last log sequence number
	modtime text NOT NULL		-- the highest modtime handed out
);
INSERT INTO acap_head (id, seq, modtime) VALUES (1, 0, '');

-- One row per committed batch: its STOREs, each with its modtime, in the
-- node-independent encoding of acapd/store-pg.c.
CREATE TABLE acap_log (
	seq bigint PRIMARY KEY,
	modtime text NOT NULL,		-- the batch's last modtime
	node text NOT NULL,		-- who committed it (for operators)
	committed timestamptz NOT NULL DEFAULT now(),
	data bytea NOT NULL
);

-- The SQLite image the log starts from (at most one row): seq is the
-- last log row already contained in it.
CREATE TABLE acap_base (
	id integer PRIMARY KEY CHECK (id = 1),
	seq bigint NOT NULL,
	modtime text NOT NULL,
	image bytea NOT NULL
);
