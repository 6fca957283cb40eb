/*
 * store-audit.c -- the audit trail's writes (doc/audit.md): one row per
 * changed attribute value or ACL, inserted by the write path inside the
 * STORE's savepoint, so it commits or rolls back with the change; the
 * redaction of secret attributes; pruning by age.  The trail is read as
 * the dataset STORE_AUDIT_PATH (store-snap.c).
 * Owns: st->audit (the context of the STORE being applied, set by
 * store-commit.c), st->audit_on, st->audit_retention, st->audit_secret,
 * st->audit_reader.
 */
#include "autoconf.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "store-int.h"

void
store_set_audit(struct store *st, bool on, uint32_t retention,
    const char *secret)
{
	free(st->audit_secret);
	st->audit_secret = secret != NULL ? st_xstrdup(secret) : NULL;
	st->audit_on = on;
	st->audit_retention = retention;
}

void
store_set_audit_reader(struct store *st, bool full)
{
	st->audit_reader = full;
}

bool
store_audit_secret(const struct store *st, const char *name)
{
	const char *p, *q;
	char pat[256];
	size_t n;

	if (st->audit_secret == NULL)
		return false;
	for (p = st->audit_secret; *p != '\0'; p = q) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		for (q = p; *q != '\0' && *q != ' ' && *q != '\t' &&
		    *q != ','; q++)
			continue;
		if ((n = (size_t)(q - p)) == 0 || n >= sizeof(pat))
			continue;
		memcpy(pat, p, n);
		pat[n] = '\0';
		if (fnmatch(pat, name, 0) == 0)
			return true;
	}
	return false;
}

/* Whether two stored states (kind and value) are the same. */
static bool
same(enum store_vkind ok, const void *o, size_t ol, enum store_vkind nk,
    const void *n, size_t nl)
{
	if (ok != nk)
		return false;
	if (ok != STORE_V_SINGLE && ok != STORE_V_MULTI)
		return true;
	return ol == nl && (ol == 0 || memcmp(o, n, ol) == 0);
}

static void
bind_value(sqlite3_stmt *s, int i, enum store_vkind kind, const void *v,
    size_t len)
{
	if (kind == STORE_V_SINGLE || kind == STORE_V_MULTI)
		sqlite3_bind_blob(s, i, len > 0 ? v : "", (int)len,
		    SQLITE_STATIC);
}

enum store_err
st_audit_change(struct store *st, const char *ds, const char *entry,
    const char *attr, const char *what, enum store_vkind okind,
    const void *old, size_t olen, enum store_vkind nkind, const void *new,
    size_t nlen)
{
	const struct store_audit *a = st->audit;
	sqlite3_stmt *s;
	bool redact;
	int redacted = 0;

	if (a == NULL || !st->audit_on ||
	    same(okind, old, olen, nkind, new, nlen))
		return STORE_OK;
	/* an ACL names identities and rights, never the secret itself */
	redact = strcmp(what, "value") == 0 && store_audit_secret(st, attr);
	/* which sides had a value to hide: 1 old, 2 new */
	if (redact)
		redacted = (okind == STORE_V_SINGLE || okind == STORE_V_MULTI ?
		    1 : 0) | (nkind == STORE_V_SINGLE ||
		    nkind == STORE_V_MULTI ? 2 : 0);
	s = st_stq(st, ST_AUDIT_PUT);
	st_bind_text(s, 1, st->txn_modtime);
	st_bind_text(s, 2, a->user != NULL ? a->user : "");
	if (a->authz != NULL)
		st_bind_text(s, 3, a->authz);
	st_bind_text(s, 4, a->peer != NULL ? a->peer : "");
	st_bind_text(s, 5, a->session != NULL ? a->session : "");
	st_bind_text(s, 6, a->op != NULL ? a->op : "STORE");
	st_bind_text(s, 7, ds);
	st_bind_text(s, 8, entry);
	st_bind_text(s, 9, attr);
	st_bind_text(s, 10, what);
	sqlite3_bind_int(s, 11, (int)okind);
	sqlite3_bind_int(s, 13, (int)nkind);
	if (!redact) {
		bind_value(s, 12, okind, old, olen);
		bind_value(s, 14, nkind, new, nlen);
	}
	sqlite3_bind_int(s, 15, redacted);
	return st_step_done(st, s);
}

enum store_err
st_audit_entry_attrs(struct store *st, const char *ds, const char *entry,
    int64_t eid)
{
	struct acap_buf names = ACAP_BUF_INIT, vals = ACAP_BUF_INIT;
	struct { size_t name, val, len; enum store_vkind kind; } *rows = NULL;
	size_t n = 0, cap = 0, i;
	sqlite3_stmt *s;
	enum store_err r = STORE_OK;
	int rc;

	if (st->audit == NULL || !st->audit_on)
		return STORE_OK;
	/* read them all first: st_audit_change() uses another statement */
	s = st_stq(st, ST_AUDIT_ATTRS);
	sqlite3_bind_int64(s, 1, eid);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		st_grow((void **)&rows, &cap, n + 1, sizeof(*rows));
		rows[n].name = names.len;
		acap_buf_add(&names, sqlite3_column_text(s, 0),
		    (size_t)sqlite3_column_bytes(s, 0) + 1);
		rows[n].kind = (enum store_vkind)sqlite3_column_int(s, 1);
		rows[n].val = vals.len;
		rows[n].len = (size_t)sqlite3_column_bytes(s, 2);
		if (rows[n].len > 0)
			acap_buf_add(&vals, sqlite3_column_blob(s, 2),
			    rows[n].len);
		n++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		r = st_db_fail(st, rc);
	for (i = 0; i < n && r == STORE_OK; i++)
		if (rows[i].kind != STORE_V_INHERIT)
			r = st_audit_change(st, ds, entry,
			    names.data + rows[i].name, "value", rows[i].kind,
			    vals.data != NULL ? vals.data + rows[i].val : "",
			    rows[i].len, STORE_V_INHERIT, NULL, 0);
	free(rows);
	acap_buf_deinit(&names);
	acap_buf_deinit(&vals);
	return r;
}

enum store_err
st_audit_prune(struct store *st)
{
	char cutoff[STORE_MODTIME_LEN + 1];
	struct timespec ts;
	sqlite3_stmt *s;

	if (st->audit_retention == 0 || st->clock_cb(&ts) == -1)
		return STORE_OK;
	st_modtime_format(ts.tv_sec - (time_t)st->audit_retention,
	    ts.tv_nsec / 1000, cutoff);
	s = st_stq(st, ST_AUDIT_PRUNE);
	st_bind_text(s, 1, cutoff);
	return st_step_done(st, s);
}
