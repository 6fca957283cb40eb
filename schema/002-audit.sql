-- The audit trail (doc/audit.md): one row per changed attribute value or
-- ACL, written by the store's write path inside the STORE's own savepoint,
-- so a change and its record commit together or not at all.
-- time: the STORE's modtime.  user: the authenticated identity; authz: the
-- authorization identity when it differs (else NULL).  peer: the client's
-- address; session: the connection id as the log prints it.  op: STORE,
-- SETACL or DELETEACL.  what: 'value' (old/new are the attribute's value)
-- or 'acl' (old/new are its ACL metadata).  old_kind/new_kind as attr.kind
-- (0 none, 1 NIL, 2 single, 3 multi); old/new as attr.value (a multi-value
-- or an ACL: 4-octet big-endian lengths + octets).  redacted: values of a
-- secret attribute that were not recorded (old/new NULL): 1 the old one,
-- 2 the new one, 3 both.
-- Pruned by age (audit_retention).
CREATE TABLE audit (
	id		INTEGER PRIMARY KEY,
	time		TEXT NOT NULL,
	user		TEXT NOT NULL,
	authz		TEXT,
	peer		TEXT NOT NULL,
	session		TEXT NOT NULL,
	op		TEXT NOT NULL,
	dataset		TEXT NOT NULL,
	entry		TEXT NOT NULL,
	attr		TEXT NOT NULL,
	what		TEXT NOT NULL,
	old_kind	INTEGER NOT NULL,
	old		BLOB,
	new_kind	INTEGER NOT NULL,
	new		BLOB,
	redacted	INTEGER NOT NULL DEFAULT 0
);
-- Only the time is indexed (pruning; rows are appended in time order, so
-- this index grows at its end).  An index by dataset would put one more
-- random page into every commit (doc/performance.md: +35 us of CPU per
-- STORE against +10 us without it); the per-dataset view scans instead.
CREATE INDEX audit_by_time ON audit (time);
