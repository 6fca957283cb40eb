-- 001-init.sql -- the dataset store (RFC 2244 §3.1, §5, §6.6.2, §6.8).
-- Applied by acapd/store.c at start-up; PRAGMA user_version records the
-- number of the last migration applied.  See doc/datasets.md.

-- Store-wide values: 'modtime' = the last modtime handed out (the global
-- generator survives restarts), 'deleted_horizon' = the oldest time for
-- which the DELETEDSINCE log is complete.
CREATE TABLE store_meta (
	key		TEXT PRIMARY KEY,
	value		TEXT NOT NULL
) WITHOUT ROWID;

-- One row per stored dataset.  path is canonical ("/email/user/fred/",
-- trailing "/"); per-owner templates live at "/byowner/<owner>/" with a
-- NULL class.  is_root marks "/<class>/<owner>/" and templates: the rows
-- the virtual directory datasets ("/", "/<class>/user/", ...) list.
-- horizon: the DELETEDSINCE log of this dataset is complete from this
-- modtime on (set at creation, and when dataset.inherit changes, since
-- that changes which entries the dataset shows).
CREATE TABLE dataset (
	id		INTEGER PRIMARY KEY,
	path		TEXT NOT NULL UNIQUE,
	class		TEXT,
	owner_kind	TEXT NOT NULL,		-- site, group, host, user
	owner_name	TEXT NOT NULL,		-- '' for site
	is_root		INTEGER NOT NULL DEFAULT 0,
	horizon		TEXT NOT NULL
);
CREATE INDEX dataset_by_class ON dataset (class, owner_kind, owner_name)
    WHERE is_root;
CREATE INDEX dataset_by_owner ON dataset (owner_kind, owner_name, class)
    WHERE is_root;

-- Entries.  blocked = 1 is an inheritance tombstone: NIL was stored to the
-- "entry" attribute, so the entry of that name in the base dataset is
-- hidden (RFC 2244 §6.6.1); a blocked row has no attributes.
CREATE TABLE entry (
	id		INTEGER PRIMARY KEY,
	dataset_id	INTEGER NOT NULL
			    REFERENCES dataset (id) ON DELETE CASCADE,
	name		TEXT NOT NULL,
	modtime		TEXT NOT NULL,
	blocked		INTEGER NOT NULL DEFAULT 0,
	UNIQUE (dataset_id, name)
);

-- Attributes stored locally in an entry.  kind: 0 = no local value (the
-- row only carries acl metadata; the value is inherited), 1 = NIL stored
-- (masks an inherited value), 2 = single value, 3 = multi-value.  value
-- is the raw octets of a single value, or for a multi-value each item as
-- a 4-octet big-endian length followed by the octets; acl uses the same
-- multi-value encoding and is NULL when the attribute has no acl.
-- bytes = octets charged to the owner's quota for this row.
CREATE TABLE attr (
	entry_id	INTEGER NOT NULL
			    REFERENCES entry (id) ON DELETE CASCADE,
	name		TEXT NOT NULL,
	kind		INTEGER NOT NULL,
	value		BLOB,
	acl		BLOB,
	bytes		INTEGER NOT NULL,
	PRIMARY KEY (entry_id, name)
) WITHOUT ROWID;

-- The DELETEDSINCE log: entry names removed from a dataset (deleted,
-- renamed away, reverted with DEFAULT) and when.  Pruned by age.
CREATE TABLE deleted (
	dataset_id	INTEGER NOT NULL
			    REFERENCES dataset (id) ON DELETE CASCADE,
	name		TEXT NOT NULL,
	modtime		TEXT NOT NULL,
	PRIMARY KEY (dataset_id, name)
) WITHOUT ROWID;
CREATE INDEX deleted_by_modtime ON deleted (modtime);

-- Datasets deleted (a subdataset set to NIL, or renamed away) and when.
-- A dataset inheriting from one of these lost entries without a row in
-- "deleted": DELETEDSINCE before that time answers TOOOLD.  Pruned by age.
CREATE TABLE dropped (
	path		TEXT PRIMARY KEY,
	modtime		TEXT NOT NULL
) WITHOUT ROWID;

-- Per-user quota accounting over the datasets owned by "user/<user>".
-- limit_bytes NULL means the configured default.
CREATE TABLE quota (
	user		TEXT PRIMARY KEY,
	usage		INTEGER NOT NULL DEFAULT 0,
	limit_bytes	INTEGER
) WITHOUT ROWID;
