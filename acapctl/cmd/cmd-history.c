/*
 * cmd-history.c -- "history [LAYER [ENTRY]] [--since T] [--user U]": the
 * server's audit trail (doc/audit.md), read as the admin-only dataset
 * /vendor.acapd.audit/site/ with a SEARCH whose criteria do the
 * filtering (RFC 2244 §6.4.1), oldest first.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acap-buf.h"
#include "acap-client.h"
#include "cmds.h"
#include "ctl.h"
#include "ds.h"
#include "jsonx.h"
#include "model.h"

#define AUDIT_PATH	"/vendor.acapd.audit/site/"
#define AUDIT_ATTR	"vendor.acapd.audit."

/* "YYYYMMDDhhmmss" of t (UTC) into out. */
static void
acap_time(time_t t, char out[15])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 15, "%Y%m%d%H%M%S", &tm);
}

/*
 * --since: an ACAP time (8 to 14 digits, padded with zeros), an ISO date
 * or date and time (2026-12-01, 2026-12-01T10:30[:00], a blank for the
 * T; UTC, as modtimes are), or a span back from now (7d, 12h, 30m, 2w,
 * 90s).  Returns 0 with out set, or -1.
 */
static int
since_parse(const char *s, time_t now, char out[15])
{
	unsigned long long n;
	int y, mo, d, h = 0, mi = 0, se = 0;
	size_t len = strlen(s), i;
	char *end;

	if (len >= 2 && isdigit((unsigned char)s[0]) &&
	    strchr("smhdw", s[len - 1]) != NULL) {
		n = strtoull(s, &end, 10);
		if (end != s + len - 1 || n > 100ULL * 366 * 86400)
			return -1;
		n *= s[len - 1] == 's' ? 1 : s[len - 1] == 'm' ? 60 :
		    s[len - 1] == 'h' ? 3600 : s[len - 1] == 'd' ? 86400 :
		    604800;
		acap_time(now - (time_t)n, out);
		return 0;
	}
	if (len >= 8 && len <= 14 && strspn(s, "0123456789") == len) {
		memcpy(out, s, len);
		for (i = len; i < 14; i++)
			out[i] = '0';
		out[14] = '\0';
		return 0;
	}
	/* 2026-12-01, 2026-12-01T10:30, 2026-12-01T10:30:00, "Z" allowed */
	if (len > 0 && s[len - 1] == 'Z')
		len--;
	if (len != 10 && len != 16 && len != 19)
		return -1;
	for (i = 0; i < len; i++) {
		char want = i == 4 || i == 7 ? '-' : i == 10 ? 'T' :
		    i == 13 || i == 16 ? ':' : 'd';

		if (want == 'd' ? !isdigit((unsigned char)s[i]) :
		    want == 'T' ? s[i] != 'T' && s[i] != ' ' : s[i] != want)
			return -1;
	}
	y = atoi(s);
	mo = atoi(s + 5);
	d = atoi(s + 8);
	if (len >= 16) {
		h = atoi(s + 11);
		mi = atoi(s + 14);
	}
	if (len == 19)
		se = atoi(s + 17);
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || se > 60 || h < 0 || mi < 0 || se < 0)
		return -1;
	{
		char buf[64];

		snprintf(buf, sizeof(buf), "%04d%02d%02d%02d%02d%02d", y, mo,
		    d, h, mi, se);
		memcpy(out, buf, 14);
		out[14] = '\0';
	}
	return 0;
}

static void
crit_equal(struct ctl *ctl, struct acap_buf *b, const char *attr,
    const char *value)
{
	acap_buf_addstr(b, "EQUAL ");
	acap_client_add_string(ctl->client, b, attr, strlen(attr));
	acap_buf_addstr(b, " \"i;octet\" ");
	acap_client_add_string(ctl->client, b, value, strlen(value));
}

static const char *
field(const struct ds_entry *e, const char *name)
{
	char an[64];
	const struct ds_attr *a;

	snprintf(an, sizeof(an), AUDIT_ATTR "%s", name);
	return (a = ds_entry_get(e, an)) != NULL ? ds_value_str(&a->value) :
	    NULL;
}

static const struct ds_value *
value(const struct ds_entry *e, const char *name)
{
	char an[64];
	const struct ds_attr *a;

	snprintf(an, sizeof(an), AUDIT_ATTR "%s", name);
	return (a = ds_entry_get(e, an)) != NULL ? &a->value : NULL;
}

/* A value for humans: the string, (list), "none", or "(redacted)". */
static void
show_value(struct acap_buf *b, const struct ds_value *v, bool redacted)
{
	if (redacted)
		acap_buf_addstr(b, "(redacted)");
	else if (v == NULL)
		acap_buf_addstr(b, "none");
	else
		ds_value_format(v, b);
}

/* JSON: the value as ds_value_to_json(), null, or {"redacted": true}. */
static json_t *
side_json(const struct ds_value *v, bool redacted)
{
	json_t *o;

	if (redacted) {
		o = json_object();
		jsonx_set_bool(o, "redacted", true);
		return o;
	}
	return v != NULL ? ds_value_to_json(v) : json_null();
}

static void
record(struct ctl *ctl, json_t *list, const struct ds_entry *e)
{
	static const char *const names[] = { "time", "user", "authz",
	    "peer", "session", "op", "dataset", "entry", "attr", "what" };
	const char *t = field(e, "time"), *authz = field(e, "authz");
	const char *what = field(e, "what");
	const char *red = field(e, "redacted");
	bool red_old = red != NULL && strcmp(red, "new") != 0;
	bool red_new = red != NULL && strcmp(red, "old") != 0;
	struct acap_buf b = ACAP_BUF_INIT;
	json_t *o;
	size_t i;

	o = jsonx_add(list, json_object());
	jsonx_set_str(o, "id", e->name);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		jsonx_set_str(o, names[i], field(e, names[i]));
	jsonx_set(o, "old", side_json(value(e, "old"), red_old));
	jsonx_set(o, "new", side_json(value(e, "new"), red_new));
	jsonx_set_bool(o, "redacted", red != NULL);
	if (t == NULL || strlen(t) < 14)
		t = "??????????????";
	acap_buf_addstr(&b, "");
	show_value(&b, value(e, "old"), red_old);
	acap_buf_addstr(&b, " -> ");
	show_value(&b, value(e, "new"), red_new);
	ctl_out(ctl, "%.4s-%.2s-%.2s %.2s:%.2s:%.2s  %s%s%s  %s  %s  %s %s "
	    "%s%s%s  %s\n", t, t + 4, t + 6, t + 8, t + 10, t + 12,
	    field(e, "user") != NULL ? field(e, "user") : "?",
	    authz != NULL ? " as " : "", authz != NULL ? authz : "",
	    field(e, "peer") != NULL ? field(e, "peer") : "?",
	    field(e, "op") != NULL ? field(e, "op") : "?",
	    field(e, "dataset") != NULL ? field(e, "dataset") : "?",
	    field(e, "entry") != NULL ? field(e, "entry") : "?",
	    field(e, "attr") != NULL ? field(e, "attr") : "?",
	    what != NULL && strcmp(what, "acl") == 0 ? " (acl)" : "",
	    "", b.data != NULL ? b.data : "");
	acap_buf_deinit(&b);
}

/*
 * The criteria of cmd_history() applied here, as acapd applies them
 * (RFC 2244 §6.4.1: EQUAL with "i;octet", COMPARE with "+i;octet"): the
 * whole trail is read in pages by name, which acapd serves by its index
 * whatever the trail's length, and filtered by the reader.
 */
static bool
wanted(const struct ds_entry *e, const char *entry, const char *user,
    const char *since)
{
	const char *v;

	if (entry != NULL && ((v = field(e, "entry")) == NULL ||
	    strcmp(v, entry) != 0))
		return false;
	if (user != NULL && ((v = field(e, "user")) == NULL ||
	    strcmp(v, user) != 0) && ((v = field(e, "authz")) == NULL ||
	    strcmp(v, user) != 0))
		return false;
	return since == NULL || ((v = field(e, "time")) != NULL &&
	    strcmp(v, since) >= 0);
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct ds_entry *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

int
cmd_history(struct ctl *ctl, int argc, char **argv)
{
	const char *since = NULL, *user = NULL, *entry = NULL;
	struct ctl_opt opts[] = {
		{ "since", CTL_OPT_ARG, &since },
		{ "user", CTL_OPT_ARG, &user },
		{ NULL, CTL_OPT_FLAG, NULL },
	};
	struct acap_buf crit = ACAP_BUF_INIT, full = ACAP_BUF_INIT;
	struct model_layer layer;
	bool have_layer = false;
	char t[15];
	struct ds *ds[MODEL_NCLASSES];
	const struct ds_entry **all = NULL;
	size_t nds = 0, nall = 0, i, j, nkeys = 0;
	char *paths[MODEL_NCLASSES];
	json_t *list;
	int rc = CTL_OK;

	memset(&layer, 0, sizeof(layer));
	if (ctl_getopt(ctl, &argc, argv, opts) != 0)
		return CTL_USAGE;
	if (since != NULL && since_parse(since, time(NULL), t) == -1)
		return ctl_usage(ctl, "--since \"%s\": expected a date "
		    "(2026-12-01, 2026-12-01T10:30), an ACAP time "
		    "(20261201103000) or a span back from now (7d, 12h, 30m)",
		    since);
	if (argc > 0) {
		if (ctl_take_layer(ctl, &argc, &argv, &layer) != CTL_OK)
			return CTL_USAGE;
		have_layer = true;
	}
	if (argc > 1) {
		model_layer_clear(&layer);
		return ctl_usage(ctl, "history takes [LAYER [ENTRY]]");
	}
	entry = argc == 1 ? argv[0] : NULL;

	/*
	 * Where: a layer's datasets each have their records at the audit
	 * path followed by the dataset's path (read through an index);
	 * without a layer, the whole trail, in pages (ctl_search_paged()),
	 * filtered here (wanted()).
	 */
	if (!have_layer) {
		paths[nds++] = strdup(AUDIT_PATH);
	} else if (layer.kind == MODEL_PATH) {
		paths[nds] = malloc(strlen(AUDIT_PATH) + strlen(layer.name));
		if (paths[nds] != NULL)
			sprintf(paths[nds], "%s%s", AUDIT_PATH, layer.name + 1);
		nds++;
	} else {
		for (i = 0; i < MODEL_NCLASSES; i++) {
			char *dsp = model_dataset(&layer, model_classes[i]);

			paths[nds] = malloc(strlen(AUDIT_PATH) + strlen(dsp));
			if (paths[nds] != NULL)
				sprintf(paths[nds], "%s%s", AUDIT_PATH,
				    dsp + 1);
			free(dsp);
			nds++;
		}
	}
	model_layer_clear(&layer);
	for (i = 0; i < nds; i++)
		if (paths[i] == NULL)
			abort();

	/* what: the criteria, an AND of the keys given (§6.4.1) */
	if (entry != NULL) {
		nkeys++;
		crit_equal(ctl, &crit, AUDIT_ATTR "entry", entry);
	}
	if (user != NULL) {
		if (nkeys++ > 0)
			acap_buf_addch(&crit, ' ');
		acap_buf_addstr(&crit, "OR ");
		crit_equal(ctl, &crit, AUDIT_ATTR "user", user);
		acap_buf_addch(&crit, ' ');
		crit_equal(ctl, &crit, AUDIT_ATTR "authz", user);
	}
	if (since != NULL) {
		if (nkeys++ > 0)
			acap_buf_addch(&crit, ' ');
		acap_buf_addstr(&crit, "COMPARE \"" AUDIT_ATTR "time\" "
		    "\"+i;octet\" ");
		acap_client_add_string(ctl->client, &crit, t, strlen(t));
	}
	if (nkeys == 0)
		acap_buf_addstr(&crit, "ALL");	/* "" goes to ds->mgmt */
	for (i = 1; i < nkeys; i++)
		acap_buf_addstr(&full, "AND ");
	acap_buf_add(&full, crit.data, crit.len);
	acap_buf_deinit(&crit);

	for (i = 0; i < nds; i++)
		ds[i] = NULL;
	for (i = 0; i < nds && rc == CTL_OK; i++) {
		if ((!have_layer ? ctl_search_paged(ctl, paths[i], 0, NULL,
		    &ds[i]) : ctl_search_dataset(ctl, paths[i], 0, full.data,
		    &ds[i])) == -1)
			rc = CTL_FAIL;
		else if (!ds[i]->exists)
			rc = ctl_error(ctl, "no audit trail to read: it is "
			    "for the server's admins (acapd.conf "
			    "\"admins\")");
	}
	acap_buf_deinit(&full);
	if (rc == CTL_OK) {
		/* oldest first: ids are zero-padded, so octet order */
		for (i = 0; i < nds; i++)
			nall += ds[i]->nentries;
		if ((all = calloc(nall + 1, sizeof(*all))) == NULL)
			abort();
		for (nall = 0, i = 0; i < nds; i++)
			for (j = 0; j < ds[i]->nentries; j++)
				if (have_layer || wanted(&ds[i]->entries[j],
				    entry, user, since != NULL ? t : NULL))
					all[nall++] = &ds[i]->entries[j];
		qsort(all, nall, sizeof(*all), entry_cmp);
		list = jsonx_set(ctl_result(ctl), "records", json_array());
		for (i = 0; i < nall; i++)
			record(ctl, list, all[i]);
		if (nall == 0)
			ctl_out(ctl, "no changes recorded%s\n",
			    since != NULL ? " since then" : "");
		free(all);
	}
	for (i = 0; i < nds; i++) {
		ds_free(&ds[i]);
		free(paths[i]);
	}
	return rc;
}
