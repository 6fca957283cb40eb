/*
 * access.c -- rights of a connection's user (RFC 2244 §3.5).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "access.h"
#include "acl.h"
#include "conn.h"
#include "store.h"

void
access_identity(struct conn *c, struct acl_identity *who_r)
{
	memset(who_r, 0, sizeof(*who_r));
	who_r->user = conn_user(c);
	who_r->admin = conn_is_admin(c);
	who_r->groups = conn_groups(c, &who_r->ngroups);
}

unsigned int
access_rights(struct conn *c, const char *dataset,
    const struct store_str *acl, size_t nacl)
{
	struct acl_identity who;
	const char *stack_items[16];
	size_t stack_lens[16];
	const char **items = stack_items;
	size_t *lens = stack_lens, i;
	unsigned int r;

	access_identity(c, &who);
	if (who.admin)
		return ACL_R_ALL;
	if (nacl > 16) {
		items = malloc(nacl * sizeof(*items));
		lens = malloc(nacl * sizeof(*lens));
		if (items == NULL || lens == NULL) {
			free(items);
			free(lens);
			return 0;	/* fail closed */
		}
	}
	for (i = 0; i < nacl; i++) {
		items[i] = acl[i].s;
		lens[i] = acl[i].len;
	}
	r = acl_rights(&who, items, lens, nacl);
	if (items != stack_items) {
		free(items);
		free(lens);
	}
	return (r | acl_implicit_rights(&who, dataset)) & ACL_R_ALL;
}

static unsigned int
access_cb(void *arg, const char *dataset, const struct store_str *acl,
    size_t nacl)
{
	return access_rights(arg, dataset, acl, nacl);
}

void
access_for_conn(struct conn *c, struct search_access *acc_r)
{
	acc_r->rights = access_cb;
	acc_r->arg = c;
	acc_r->all = conn_is_admin(c);
}

void
access_audit(struct conn *c, const char *op, struct store_audit *a_r,
    char sid[ACCESS_SID_LEN + 1])
{
	snprintf(sid, ACCESS_SID_LEN + 1, "%016llx",
	    (unsigned long long)conn_id(c));
	memset(a_r, 0, sizeof(*a_r));
	a_r->op = op;
	/* SASL: the authentication identity acts as the authorization one */
	a_r->user = conn_authid(c) != NULL ? conn_authid(c) : conn_user(c);
	a_r->authz = conn_authid(c) != NULL ? conn_user(c) : NULL;
	a_r->peer = conn_peer(c);
	a_r->session = sid;
}

/* Append the values of attribute name of e to the list (C strings). */
static void
groups_add(const struct store_entry *e, const char *name, char ***v,
    size_t *n)
{
	const struct store_attr *a = store_entry_attr(e, name);
	size_t i;
	char **nv;

	if (a == NULL || (a->kind != STORE_V_SINGLE &&
	    a->kind != STORE_V_MULTI))
		return;
	for (i = 0; i < a->nvalues; i++) {
		if ((nv = realloc(*v, (*n + 1) * sizeof(**v))) == NULL)
			return;
		*v = nv;
		/* values may hold NUL: copy up to it */
		if (((*v)[*n] = strndup(a->values[i].s, a->values[i].len)) !=
		    NULL)
			(*n)++;
	}
}

void
access_load_groups(struct conn *c)
{
	struct store_snap *snap = NULL;
	const struct store_entry *e;
	char **v = NULL;
	size_t i, n = 0;

	conn_set_groups(c, NULL, 0);
	if (conn_user(c) == NULL ||
	    store_snap_get(conn_store(c), ACCESS_USERS_DS, &snap) != STORE_OK)
		return;
	if ((e = store_snap_find(snap, conn_user(c))) != NULL) {
		/* the organisation is a group; others may be listed too */
		groups_add(e, ACCESS_ORG_ATTR, &v, &n);
		groups_add(e, ACCESS_GROUPS_ATTR, &v, &n);
	}
	store_snap_unref(&snap);
	conn_set_groups(c, (const char *const *)v, n);
	conn_log(c, LOG_DEBUG, "member of %zu group(s)", n);
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
