/*
 * cmd-io.c -- "export" and "import": organisations, users, devices and
 * the own settings of every layer as one JSON document (format in
 * doc/settings.md).  Import compares each record with the server before
 * storing, so a second run of the same file changes nothing, and reports
 * a result per record.  SASL accounts are not exported (no passwords).
 *
 * One file of about 1,000 lines: export and import are two halves of
 * one format (doc/settings.md §7), each record kind read back by the
 * import beside the code that writes it, and the whole-file shape check
 * shares the record tables.
 */
#include "autoconf.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "acap-buf.h"
#include "cmds.h"
#include "ctl.h"
#include "domains.h"
#include "ds.h"
#include "jsonx.h"
#include "model.h"
#include "registry.h"
#include "userdb.h"
#include "validate.h"

#define EXPORT_FORMAT	"acapctl-export"
#define EXPORT_VERSION	1
/*
 * The largest import file (acapctl(1)).  Parsing builds the whole tree:
 * about 15 times the text for an export (a 14 MiB file of 350,000 users
 * takes 210 MB), 45 times at worst (16 MiB of "[]," takes 760 MB), so
 * the limit bounds memory while leaving room for far larger sites than
 * acapd serves.
 */
#define IMPORT_MAX	(16u << 20)
/*
 * New users created by one STORE (atomic, RFC 2244 §6.6.1): about 1.5 KB
 * of command each, far below acapd's max_command (8 MiB).  50 measured
 * faster than 150 or 500 (doc/performance.md "Import"), and one STORE
 * stays well inside acapctl's --timeout.
 */
#define IMPORT_BATCH	50
/*
 * STOREs of users in flight at once, one per extra connection: while
 * acapd commits one, the others wait and are then applied in one
 * transaction (group commit).  100,000 users: 2 took 178 us of acapd
 * CPU per user and 32.7 s, 4 143 us and 23.4 s (doc/performance.md).
 */
#define IMPORT_FLIGHT	4
/* Progress on a terminal: redrawn this often. */
#define PROGRESS_MS	250

static const char *
attr_str(const struct ds_entry *e, const char *attr)
{
	const struct ds_attr *a = ds_entry_get(e, attr);

	return a != NULL ? ds_value_str(&a->value) : NULL;
}

/* Own settings of one layer, all classes, appended to list. */
static int
export_layer(struct ctl *ctl, const struct model_layer *l, json_t *list)
{
	json_t *rec, *attrs;
	struct ds *ds;
	char *path, *lstr;
	size_t i, j, k;

	lstr = model_layer_string(l);
	for (i = 0; i < MODEL_NCLASSES; i++) {
		path = model_dataset(l, model_classes[i]);
		if (ctl_read_dataset(ctl, path, CTL_NOINHERIT, NULL,
		    &ds) == -1) {
			free(path);
			free(lstr);
			return -1;
		}
		for (j = 0; j < ds->nentries; j++) {
			rec = jsonx_add(list, json_object());
			jsonx_set_str(rec, "layer", lstr);
			jsonx_set_str(rec, "class", model_classes[i]);
			jsonx_set_str(rec, "entry", ds->entries[j].name);
			attrs = jsonx_set(rec, "attributes",
			    json_object());
			for (k = 0; k < ds->entries[j].nattrs; k++)
				jsonx_set(attrs,
				    ds->entries[j].attrs[k].name,
				    ds_value_to_json(
				    &ds->entries[j].attrs[k].value));
		}
		ds_free(&ds);
		free(path);
	}
	free(lstr);
	return 0;
}

/*
 * A registry as doc[key]: [{namekey: entry, attrkey: attr's value}];
 * left out when empty, so that an instance without domains exports what
 * an older acapctl wrote.
 */
static int
export_registry(struct ctl *ctl, json_t *doc, const char *key,
    const char *dataset, const char *namekey, const char *attrkey,
    const char *attr)
{
	json_t *list, *o;
	struct ds *ds;
	size_t i;

	if (ctl_read_dataset(ctl, dataset, CTL_NOINHERIT, NULL, &ds) == -1)
		return -1;
	list = ds->nentries > 0 ? jsonx_set(doc, key, json_array()) : NULL;
	for (i = 0; i < ds->nentries; i++) {
		o = jsonx_add(list, json_object());
		jsonx_set_str(o, namekey, ds->entries[i].name);
		jsonx_set_str(o, attrkey, attr_str(&ds->entries[i], attr));
	}
	ds_free(&ds);
	return 0;
}

/*
 * Write data to path as a new file of mode 0600: into a temporary file in
 * the same directory (created O_EXCL by mkstemp, so never through a link),
 * synced, then renamed onto path.  A symbolic link at path is replaced,
 * not followed; a reader never sees a partial file.  Returns 0, or -1
 * with a message in why; then path is untouched and no temporary is left.
 */
int
cmd_io_write_file(const char *path, const void *data, size_t len,
    char *why, size_t whylen)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash != NULL ? slash + 1 : path;
	char *tmp = NULL, *dir = NULL;
	int fd, dfd, e = 0, rc = -1;

	if (*base == '\0') {
		snprintf(why, whylen, "%s: not a file name", path);
		return -1;
	}
	if (slash == NULL)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (dir == NULL || asprintf(&tmp, "%s/.%s.XXXXXX", dir, base) == -1) {
		free(dir);
		snprintf(why, whylen, "%s: out of memory", path);
		return -1;
	}
	if ((fd = mkstemp(tmp)) == -1) {
		snprintf(why, whylen, "cannot create a file in %s: %s", dir,
		    strerror(errno));
		goto out;
	}
	errno = 0;
	if (fchmod(fd, 0600) == -1 || write(fd, data, len) != (ssize_t)len ||
	    fsync(fd) == -1)
		e = errno != 0 ? errno : EIO;
	if (close(fd) == -1 && e == 0)
		e = errno;
	if (e == 0 && rename(tmp, path) == -1)
		e = errno;
	if (e != 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(e));
		unlink(tmp);
		goto out;
	}
	/* the rename itself survives a crash once the directory is synced */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	rc = 0;
out:
	free(tmp);
	free(dir);
	return rc;
}

int
cmd_io_export(struct ctl *ctl, int argc, char **argv)
{
	const char *output = NULL;
	struct ctl_opt opts[] = {
		{ "output", CTL_OPT_ARG, &output },
		{ NULL, CTL_OPT_FLAG, NULL },
	};
	struct ds *orgs = NULL, *users = NULL, *devs = NULL;
	json_t *doc, *list, *o, *settings;
	struct acap_buf b = ACAP_BUF_INIT;
	struct model_layer l;
	char now[15], why[4200];
	size_t i;
	int rc = CTL_FAIL;

	if (ctl_getopt(ctl, &argc, argv, opts) != 0)
		return CTL_USAGE;
	if (argc != 0)
		return ctl_usage(ctl, "export takes no arguments");
	if (ctl_read_dataset(ctl, MODEL_ORG_REGISTRY, CTL_NOINHERIT, NULL,
	    &orgs) == -1 ||
	    ctl_read_dataset(ctl, MODEL_USER_REGISTRY, CTL_NOINHERIT, NULL,
	    &users) == -1 ||
	    ctl_read_dataset(ctl, MODEL_DEVICE_INDEX, CTL_NOINHERIT, NULL,
	    &devs) == -1)
		goto out;
	doc = json_object();
	model_time_now(now);
	jsonx_set_str(doc, "format", EXPORT_FORMAT);
	jsonx_set_int(doc, "version", EXPORT_VERSION);
	jsonx_set_str(doc, "exported", now);
	list = jsonx_set(doc, "orgs", json_array());
	for (i = 0; i < orgs->nentries; i++) {
		o = jsonx_add(list, json_object());
		jsonx_set_str(o, "name", orgs->entries[i].name);
		if (attr_str(&orgs->entries[i], MODEL_A_ORG_DESC) != NULL)
			jsonx_set_str(o, "description",
			    attr_str(&orgs->entries[i], MODEL_A_ORG_DESC));
		if (attr_str(&orgs->entries[i], MODEL_A_ORG_DISCOVERY) != NULL)
			jsonx_set_str(o, "discovery",
			    attr_str(&orgs->entries[i],
			    MODEL_A_ORG_DISCOVERY));
	}
	if (export_registry(ctl, doc, "domains", MODEL_DOMAIN_REGISTRY,
	    "name", "org", MODEL_A_DOMAIN_ORG) == -1 ||
	    export_registry(ctl, doc, "addresses", MODEL_ADDRESS_INDEX,
	    "address", "user", MODEL_A_ADDR_USER) == -1) {
		json_decref(doc);
		goto out;
	}
	list = jsonx_set(doc, "users", json_array());
	for (i = 0; i < users->nentries; i++) {
		o = jsonx_add(list, json_object());
		jsonx_set_str(o, "name", users->entries[i].name);
		jsonx_set_str(o, "org",
		    attr_str(&users->entries[i], MODEL_A_USER_ORG));
	}
	list = jsonx_set(doc, "devices", json_array());
	for (i = 0; i < devs->nentries; i++) {
		struct ds_entry reg;
		char *rpath;
		const char *u = attr_str(&devs->entries[i], MODEL_A_DEV_USER);

		o = jsonx_add(list, json_object());
		jsonx_set_str(o, "id", devs->entries[i].name);
		jsonx_set_str(o, "user", u);
		if (u == NULL)
			continue;
		rpath = model_device_registry(u);
		if (registry_get(ctl, rpath, devs->entries[i].name,
		    &reg) == 1) {
			if (attr_str(&reg, MODEL_A_DEV_NAME) != NULL)
				jsonx_set_str(o, "name",
				    attr_str(&reg, MODEL_A_DEV_NAME));
			ds_entry_clear(&reg);
		}
		free(rpath);
	}
	settings = jsonx_set(doc, "settings", json_array());
	l.kind = MODEL_SITE;
	l.name = NULL;
	if (export_layer(ctl, &l, settings) == -1)
		goto fail;
	for (i = 0; i < orgs->nentries; i++) {
		l.kind = MODEL_ORG;
		l.name = orgs->entries[i].name;
		if (export_layer(ctl, &l, settings) == -1)
			goto fail;
	}
	for (i = 0; i < users->nentries; i++) {
		l.kind = MODEL_USER;
		l.name = users->entries[i].name;
		if (export_layer(ctl, &l, settings) == -1)
			goto fail;
	}
	for (i = 0; i < devs->nentries; i++) {
		l.kind = MODEL_DEVICE;
		l.name = devs->entries[i].name;
		if (export_layer(ctl, &l, settings) == -1)
			goto fail;
	}
	if (output == NULL && ctl->json) {
		/* the document is the command's result */
		jsonx_set(ctl_result(ctl), "export", doc);
		rc = CTL_OK;
		goto out;
	}
	jsonx_write(doc, &b, true);
	acap_buf_addch(&b, '\n');
	if (output == NULL || strcmp(output, "-") == 0)
		fwrite(b.data, 1, b.len, stdout);
	else {
		if (cmd_io_write_file(output, b.data, b.len, why,
		    sizeof(why)) == -1) {
			ctl_error(ctl, "%s", why);
			goto fail;
		}
		jsonx_set_str(ctl_result(ctl), "output", output);
		fprintf(stderr, "acapctl: exported %zu organisations, %zu "
		    "users, %zu devices, %zu settings records to %s\n",
		    orgs->nentries, users->nentries, devs->nentries,
		    json_array_size(settings), output);
	}
	rc = CTL_OK;
fail:
	json_decref(doc);
out:
	acap_buf_deinit(&b);
	ds_free(&orgs);
	ds_free(&users);
	ds_free(&devs);
	return rc;
}

/* Import. */

/* A progress line on stderr ("users 12000/100000  5100/s"). */
struct progress {
	bool on;
	const char *what;
	size_t total;
	struct timespec start, last;
};

struct import {
	struct ctl *ctl;
	bool dry_run;
	json_t *results;
	size_t created, updated, unchanged, failed;
	struct progress pg;
};

static double
elapsed(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	    (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void
progress_start(struct progress *pg, const char *what, size_t total)
{
	pg->what = what;
	pg->total = total;
	clock_gettime(CLOCK_MONOTONIC, &pg->start);
	pg->last = pg->start;
}

/* Redraw when PROGRESS_MS have passed, or always when final. */
static void
progress_show(struct progress *pg, size_t done, bool final)
{
	struct timespec now;
	double t;

	if (!pg->on || pg->total == 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!final && elapsed(&pg->last, &now) * 1000 < PROGRESS_MS)
		return;
	pg->last = now;
	t = elapsed(&pg->start, &now);
	fprintf(stderr, "\r%s %zu/%zu  %.0f/s\033[K%s", pg->what, done,
	    pg->total, t > 0 ? (double)done / t : 0.0, final ? "\n" : "");
	fflush(stderr);
}

enum outcome {
	R_CREATED,
	R_UPDATED,
	R_UNCHANGED,
	R_FAILED,
};

static void
result(struct import *im, const char *kind, const char *what,
    enum outcome oc, const char *detail)
{
	static const char *const names[] = { "created", "updated",
	    "unchanged", "failed" };
	json_t *o;

	/* the records list is only printed with --json: not built else
	   (200,000 objects for 100,000 users with accounts) */
	if (im->ctl->json) {
		o = jsonx_add(im->results, json_object());
		jsonx_set_str(o, "record", kind);
		jsonx_set_str(o, "name", what);
		jsonx_set_str(o, "result", names[oc]);
		if (detail != NULL)
			jsonx_set_str(o, oc == R_FAILED ? "error" : "detail",
			    detail);
		jsonx_set_bool(o, "dry_run", im->dry_run);
	}
	switch (oc) {
	case R_CREATED: im->created++; break;
	case R_UPDATED: im->updated++; break;
	case R_UNCHANGED: im->unchanged++; break;
	case R_FAILED: im->failed++; break;
	}
	ctl_out(im->ctl, "%-9s %s %s%s%s\n", names[oc], kind, what,
	    detail != NULL ? ": " : "", detail != NULL ? detail : "");
}

/*
 * Run st for one record, or not (dry run).  Returns 0, or -1 with the
 * failure reported as the record's result.
 */
static int
apply(struct import *im, struct ds_store *st, const char *kind,
    const char *what)
{
	struct ctl *ctl = im->ctl;
	int r;

	if (im->dry_run)
		return 0;
	r = ctl_store(ctl, st, "storing");
	if (r == 0)
		return 0;
	result(im, kind, what, R_FAILED, ctl->error != NULL ? ctl->error :
	    "store failed");
	/* the record failed; the error belongs to it, not the command */
	free(ctl->error);
	ctl->error = NULL;
	return -1;
}

static const char *
jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Fails the record when a read fails; returns -1 then. */
static int
read_failed(struct import *im, const char *kind, const char *what)
{
	result(im, kind, what, R_FAILED, im->ctl->error);
	free(im->ctl->error);
	im->ctl->error = NULL;
	return -1;
}

static void
import_org(struct import *im, const json_t *o)
{
	const char *name = jstr(o, "name"), *desc = jstr(o, "description");
	const char *disc = jstr(o, "discovery"), *err, *cur, *curd;
	struct ds_store *st;
	struct ds_entry e;
	char now[15], *ep;
	int r;

	if (name == NULL || !model_name_ok(name, &err)) {
		result(im, "org", name != NULL ? name : "?", R_FAILED,
		    name != NULL ? err : "no \"name\"");
		return;
	}
	if (disc != NULL && strcmp(disc, "user") != 0 &&
	    strcmp(disc, "org") != 0) {
		result(im, "org", name, R_FAILED, "\"discovery\" is \"user\" "
		    "or \"org\"");
		return;
	}
	if ((r = registry_get(im->ctl, MODEL_ORG_REGISTRY, name, &e)) == -1) {
		read_failed(im, "org", name);
		return;
	}
	st = ds_store_new();
	ep = ds_entry_path(MODEL_ORG_REGISTRY, name);
	if (r == 1) {
		cur = attr_str(&e, MODEL_A_ORG_DESC);
		curd = attr_str(&e, MODEL_A_ORG_DISCOVERY);
		if (((desc == NULL && cur == NULL) || (desc != NULL &&
		    cur != NULL && strcmp(desc, cur) == 0)) &&
		    (disc == NULL || (curd != NULL &&
		    strcmp(disc, curd) == 0))) {
			result(im, "org", name, R_UNCHANGED, NULL);
		} else {
			ds_store_set_str(st, ep, MODEL_A_ORG_DESC, desc);
			if (disc != NULL)
				ds_store_set_str(st, ep,
				    MODEL_A_ORG_DISCOVERY, disc);
			registry_org_walls(st, name);
			if (apply(im, st, "org", name) == 0)
				result(im, "org", name, R_UPDATED,
				    "description");
		}
		ds_entry_clear(&e);
	} else {
		model_time_now(now);
		ds_store_modifiers(st, ep, DS_CREATE_ONLY);
		ds_store_set_str(st, ep, MODEL_A_ORG_CREATED, now);
		if (desc != NULL)
			ds_store_set_str(st, ep, MODEL_A_ORG_DESC, desc);
		if (disc != NULL)
			ds_store_set_str(st, ep, MODEL_A_ORG_DISCOVERY, disc);
		registry_org_walls(st, name);
		registry_wire(st, MODEL_ORG, name, MODEL_SITE, NULL);
		if (apply(im, st, "org", name) == 0)
			result(im, "org", name, R_CREATED, NULL);
	}
	free(ep);
	ds_store_free(&st);
}

/* Into st: the new user's registry entry (create-only) and layer. */
static void
user_create(struct ds_store *st, const char *name, const char *org,
    const char *now)
{
	char *ep = ds_entry_path(MODEL_USER_REGISTRY, name);

	ds_store_modifiers(st, ep, DS_CREATE_ONLY);
	ds_store_set_str(st, ep, MODEL_A_USER_CREATED, now);
	if (org != NULL)
		ds_store_set_str(st, ep, MODEL_A_USER_ORG, org);
	registry_entry_walls(st, MODEL_USER_REGISTRY, name, name);
	registry_wire(st, MODEL_USER, name, org != NULL ? MODEL_ORG :
	    MODEL_SITE, org);
	free(ep);
}

static void
import_user(struct import *im, const json_t *o)
{
	const char *name = jstr(o, "name"), *org = jstr(o, "org"), *err;
	const char *cur;
	struct ds_store *st;
	struct ds_entry e;
	char now[15], *ep;
	int r;

	if (name == NULL || !model_name_ok(name, &err)) {
		result(im, "user", name != NULL ? name : "?", R_FAILED,
		    name != NULL ? err : "no \"name\"");
		return;
	}
	if (org != NULL && !model_name_ok(org, &err)) {
		result(im, "user", name, R_FAILED, err);
		return;
	}
	if ((r = registry_get(im->ctl, MODEL_USER_REGISTRY, name, &e)) == -1) {
		read_failed(im, "user", name);
		return;
	}
	st = ds_store_new();
	ep = ds_entry_path(MODEL_USER_REGISTRY, name);
	if (r == 1) {
		cur = attr_str(&e, MODEL_A_USER_ORG);
		if ((org == NULL && cur == NULL) || (org != NULL &&
		    cur != NULL && strcmp(org, cur) == 0))
			result(im, "user", name, R_UNCHANGED, NULL);
		else {
			ds_store_set_str(st, ep, MODEL_A_USER_ORG, org);
			registry_entry_walls(st, MODEL_USER_REGISTRY, name,
			    name);
			registry_wire(st, MODEL_USER, name, org != NULL ?
			    MODEL_ORG : MODEL_SITE, org);
			if (apply(im, st, "user", name) == 0)
				result(im, "user", name, R_UPDATED,
				    org != NULL ? "moved to its organisation" :
				    "moved to the site");
		}
		ds_entry_clear(&e);
	} else {
		model_time_now(now);
		user_create(st, name, org, now);
		if (apply(im, st, "user", name) == 0)
			result(im, "user", name, R_CREATED, NULL);
	}
	free(ep);
	ds_store_free(&st);
}

/* Whether a users[] record's names are well-formed, silently. */
static bool
user_names_ok(const json_t *o)
{
	const char *name = jstr(o, "name"), *org = jstr(o, "org"), *err;

	return name != NULL && model_name_ok(name, &err) &&
	    (org == NULL || model_name_ok(org, &err));
}

/* Whether a users[] record is well-formed (else failed with the reason). */
static bool
user_record_ok(struct import *im, const json_t *o)
{
	const char *name = jstr(o, "name"), *org = jstr(o, "org"), *err;

	if (name == NULL || !model_name_ok(name, &err)) {
		result(im, "user", name != NULL ? name : "?", R_FAILED,
		    name != NULL ? err : "no \"name\"");
		return false;
	}
	if (org != NULL && !model_name_ok(org, &err)) {
		result(im, "user", name, R_FAILED, err);
		return false;
	}
	return true;
}

/*
 * The results of the batch of records [start, end) after its STORE:
 * r == 0 stored (all created), 1 refused or a dry run: the records go
 * one by one through import_user() on the main connection, which
 * compares with the server and reports each.  Returns -1 when the main
 * connection is lost, else 0.
 */
static int
batch_results(struct import *im, const json_t *sec, size_t start,
    size_t end, int r)
{
	struct ctl *ctl = im->ctl;
	const json_t *o;
	size_t j;

	free(ctl->error);	/* a refused batch: one by one */
	ctl->error = NULL;
	for (j = start; j < end; j++) {
		o = json_array_get(sec, j);
		if (r == 1)
			import_user(im, o);
		else if (user_record_ok(im, o))
			result(im, "user", jstr(o, "name"), R_CREATED, NULL);
		if (ctl->client == NULL)
			return -1;
	}
	progress_show(&im->pg, end, false);
	return 0;
}

/* A batch's STORE in flight on a connection of its own. */
struct flight {
	struct acap_client *c;
	size_t start, end;	/* its records */
	bool busy;
};

/* Wait for f's STORE and report its records.  Returns 0 or -1 (lost). */
static int
flight_land(struct import *im, const json_t *sec, struct flight *f)
{
	int r;

	if (!f->busy)
		return 0;
	f->busy = false;
	if ((r = ctl_store_finish(im->ctl, f->c, "storing")) == -1)
		return -1;
	return batch_results(im, sec, f->start, f->end, r);
}

/* Land every batch in flight, the oldest first (the order sent). */
static int
flights_land(struct import *im, const json_t *sec, struct flight *fl,
    size_t nfl)
{
	struct flight *oldest;
	size_t k;

	for (;;) {
		oldest = NULL;
		for (k = 0; k < nfl; k++)
			if (fl[k].busy && (oldest == NULL ||
			    fl[k].start < oldest->start))
				oldest = &fl[k];
		if (oldest == NULL)
			return 0;
		if (flight_land(im, sec, oldest) == -1)
			return -1;
	}
}

struct name_at {
	const char *name;
	size_t i;
};

static int
name_at_cmp(const void *a, const void *b)
{
	const struct name_at *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/*
 * For each record of sec, whether its name is given more than once in
 * the section (sorted once: cheaper than comparing every batch with the
 * ones in flight).  A new array, the caller's to free.
 */
static unsigned char *
names_repeated(const json_t *sec)
{
	size_t n = json_array_size(sec), i, m = 0;
	struct name_at *v;
	unsigned char *rep;
	const char *name;

	if ((rep = calloc(n + 1, 1)) == NULL ||
	    (v = calloc(n + 1, sizeof(*v))) == NULL)
		abort();
	for (i = 0; i < n; i++)
		if ((name = jstr(json_array_get(sec, i), "name")) != NULL) {
			v[m].name = name;
			v[m++].i = i;
		}
	qsort(v, m, sizeof(*v), name_at_cmp);
	for (i = 1; i < m; i++)
		if (strcmp(v[i - 1].name, v[i].name) == 0)
			rep[v[i - 1].i] = rep[v[i].i] = 1;
	free(v);
	return rep;
}

/*
 * Whether a record of [start, end) names a user of a batch in flight: a
 * name given twice in the file must be stored in the file's order, as
 * one connection would.  rep: names_repeated().
 */
static bool
flights_share_name(const json_t *sec, const unsigned char *rep,
    const struct flight *fl, size_t nfl, size_t start, size_t end)
{
	const char *a, *b;
	size_t i, j, k;

	for (i = start; i < end && !rep[i]; i++)
		;
	if (i == end)
		return false;	/* no name here is given twice */
	for (k = 0; k < nfl; k++) {
		if (!fl[k].busy)
			continue;
		for (i = start; i < end; i++) {
			if (!rep[i])
				continue;
			a = jstr(json_array_get(sec, i), "name");
			for (j = fl[k].start; a != NULL && j < fl[k].end; j++)
				if ((b = jstr(json_array_get(sec, j),
				    "name")) != NULL && strcmp(a, b) == 0)
					return true;
		}
	}
	return false;
}

/*
 * The users section, many new users per STORE: a batch stores every new
 * user's registry entry (create-only) and layer at once; when acapd
 * refuses it (one of them exists already, or a record is bad), the
 * batch's records go one by one through import_user(), which compares
 * with the server and reports each.  A first import of many users thus
 * costs one round trip per IMPORT_BATCH users; an import run again costs
 * one per user, as before, and changes nothing.
 *
 * IMPORT_FLIGHT batches are in flight at once, each on a connection of
 * its own: acapd answers a connection's commands in order and applies
 * the next only after the last one's commit, so a second connection lets
 * it apply one batch while the one before is being made durable (group
 * commit).  Results are still reported in the file's order: the oldest
 * batch is landed before its connection takes the next one.  Without
 * the extra connections (refused, or a dry run) the batches go one by
 * one on the main connection.  Returns 0, or -1 when a connection was
 * lost (error recorded; the batches in flight are not reported).
 */
static int
import_users(struct import *im, const json_t *sec)
{
	struct ctl *ctl = im->ctl;
	size_t n = json_array_size(sec), i, start, k = 0, nfl = 0;
	struct flight fl[IMPORT_FLIGHT];
	struct ds_store *st = NULL;
	unsigned char *rep = NULL;
	const json_t *o;
	char now[15];
	int r, rc = 0;

	memset(fl, 0, sizeof(fl));
	if (!im->dry_run && n > IMPORT_BATCH) {
		for (nfl = 0; nfl < IMPORT_FLIGHT; nfl++)
			if (ctl_connect_another(ctl, &fl[nfl].c) == -1)
				break;
		if (nfl < IMPORT_FLIGHT) {
			/* one connection is enough: not an error */
			free(ctl->error);
			ctl->error = NULL;
			while (nfl > 0)
				ctl_close_another(&fl[--nfl].c);
		} else
			rep = names_repeated(sec);
	}
	progress_start(&im->pg, "users", n);
	for (start = 0; start < n && ctl->client != NULL; start = i) {
		model_time_now(now);
		st = ds_store_new();
		for (i = start; i < n && i - start < IMPORT_BATCH; i++) {
			o = json_array_get(sec, i);
			if (user_names_ok(o))
				user_create(st, jstr(o, "name"),
				    jstr(o, "org"), now);
		}
		if (nfl > 0) {
			/* the connection of the oldest batch in flight */
			if (flight_land(im, sec, &fl[k]) == -1)
				goto lost;
			if (ds_store_count(st) > 0 &&
			    !flights_share_name(sec, rep, fl, nfl, start,
			    i)) {
				if ((r = ctl_store_send(ctl, fl[k].c,
				    st)) == -1)
					goto lost;
				if (r == 0) {
					fl[k].start = start;
					fl[k].end = i;
					fl[k].busy = true;
					k = (k + 1) % nfl;
					ds_store_free(&st);
					continue;
				}
			}
			/* on the main connection, after those in flight */
			if (flights_land(im, sec, fl, nfl) == -1)
				goto lost;
		}
		r = im->dry_run ? 1 : ctl_store(ctl, st, "storing");
		ds_store_free(&st);
		if (r == -1 || batch_results(im, sec, start, i, r) == -1)
			goto lost;
	}
	if (flights_land(im, sec, fl, nfl) == -1)
		goto lost;
	progress_show(&im->pg, n, true);
	goto out;
lost:
	ds_store_free(&st);
	rc = -1;
out:
	while (nfl > 0)
		ctl_close_another(&fl[--nfl].c);
	free(rep);
	return rc;
}

/*
 * The users' SASL accounts ("password"), written while their settings
 * layers are stored: all at once through userdb_add_bulk() (one write of
 * the database under the writers' lock, read back; existing accounts are
 * left alone and reported unchanged), in a child process started before
 * the users' STOREs and collected after them, so that the database load
 * and acapd's work overlap.  Without a child (a dry run, fork() failing)
 * they are written after the settings layers, as before.  A failure
 * fails the import: it names the user or the database error.
 */
struct accounts {
	size_t k;			/* accounts to write */
	const char **users, **passes;
	unsigned char *created;
	struct userdb *db;
	pid_t pid;			/* the writer, or -1 */
	int fd;				/* its answer: status, created[],
					   error text */
};

/* Pick the records with a password.  Returns 0, or -1 (error recorded). */
static int
accounts_prepare(struct import *im, const json_t *sec, struct accounts *a)
{
	size_t n = json_array_size(sec), i;
	const json_t *o;

	memset(a, 0, sizeof(*a));
	a->pid = -1;
	a->fd = -1;
	if ((a->users = calloc(n + 1, sizeof(*a->users))) == NULL ||
	    (a->passes = calloc(n + 1, sizeof(*a->passes))) == NULL ||
	    (a->created = calloc(n + 1, 1)) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		o = json_array_get(sec, i);
		if (jstr(o, "password") != NULL && user_names_ok(o)) {
			a->users[a->k] = jstr(o, "name");
			a->passes[a->k++] = jstr(o, "password");
		}
	}
	if (a->k == 0)
		return 0;
	if (ctl_userdb(im->ctl, &a->db) == -1)
		return -1;
	if (im->pg.on)
		fprintf(stderr, "accounts: writing %zu to %s\n", a->k,
		    userdb_path(a->db));
	return 0;
}

static void
accounts_free(struct accounts *a)
{
	free(a->users);
	free(a->passes);
	free(a->created);
	if (a->fd != -1)
		close(a->fd);
	a->fd = -1;
}

/* Write everything to fd (the writer's pipe); errors are the reader's. */
static void
write_all(int fd, const void *p, size_t len)
{
	const char *c = p;
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, c, len)) == -1) {
			if (errno == EINTR)
				continue;
			return;
		}
		c += w;
		len -= (size_t)w;
	}
}

/* Start the writer process (nothing when there is nothing to write). */
static void
accounts_start(struct import *im, struct accounts *a)
{
	const char *err = "";
	int p[2], r;
	char st;

	if (a->k == 0 || im->dry_run || pipe(p) == -1)
		return;
	fflush(NULL);
	if ((a->pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		return;		/* written after the settings instead */
	}
	if (a->pid == 0) {
		/* the child: the database only, never the connections */
		close(p[0]);
		r = userdb_add_bulk(a->db, a->k, a->users, a->passes,
		    a->created, &err);
		st = r == 0 ? 0 : 1;
		write_all(p[1], &st, 1);
		write_all(p[1], a->created, a->k);
		write_all(p[1], err, strlen(err));
		_exit(0);
	}
	close(p[1]);
	a->fd = p[0];
}

/*
 * Collect the writer's answer (or write the accounts now when there is
 * no writer) and report every account.  Returns 0 or -1 (error
 * recorded).
 */
static int
accounts_finish(struct import *im, struct accounts *a)
{
	struct ctl *ctl = im->ctl;
	size_t i, len = 0, size;
	char *buf = NULL, *err = NULL;
	const char *errs;
	int r = 0, status;
	ssize_t got;

	if (a->k == 0)
		return 0;
	if (a->pid > 0) {
		size = 1 + a->k + 1024;
		if ((buf = malloc(size + 1)) == NULL)
			abort();
		while (len < size && ((got = read(a->fd, buf + len,
		    size - len)) > 0 || (got == -1 && errno == EINTR)))
			len += got > 0 ? (size_t)got : 0;
		buf[len] = '\0';
		while (waitpid(a->pid, &status, 0) == -1 && errno == EINTR)
			;
		a->pid = -1;
		if (len < 1 + a->k) {
			r = -1;
			err = "the process writing them ended early";
		} else if (buf[0] != 0) {
			r = -1;
			err = buf + 1 + a->k;
		} else
			memcpy(a->created, buf + 1, a->k);
	} else if (im->dry_run) {
		for (i = 0; i < a->k && r == 0; i++) {
			if ((r = userdb_exists(a->db, a->users[i],
			    &errs)) == -1)
				ctl_error(ctl, "%s", errs);
			else
				a->created[i] = r == 0;
			r = r == -1 ? -1 : 0;
		}
	} else if ((r = userdb_add_bulk(a->db, a->k, a->users, a->passes,
	    a->created, &errs)) == -1)
		err = (char *)errs;
	if (err != NULL)
		ctl_error(ctl, "accounts: %s; the settings layers are "
		    "stored, run the import again to complete it", err);
	for (i = 0; i < a->k && r == 0; i++)
		result(im, "account", a->users[i], a->created[i] ? R_CREATED :
		    R_UNCHANGED, NULL);
	free(buf);
	return r;
}

static void
import_device(struct import *im, const json_t *o)
{
	const char *id = jstr(o, "id"), *user = jstr(o, "user");
	const char *name = jstr(o, "name"), *err, *cur;
	struct ds_store *st;
	struct ds_entry e;
	char now[15], *owner = NULL, *reg, *ep;
	int r;

	if (id == NULL || !model_device_id_ok(id, &err)) {
		result(im, "device", id != NULL ? id : "?", R_FAILED,
		    id != NULL ? err : "no \"id\"");
		return;
	}
	if (user == NULL || !model_name_ok(user, &err)) {
		result(im, "device", id, R_FAILED, user != NULL ? err :
		    "no \"user\"");
		return;
	}
	if ((r = registry_device_user(im->ctl, id, &owner)) == -1) {
		read_failed(im, "device", id);
		return;
	}
	if (r == 1 && strcmp(owner, user) != 0) {
		char msg[300];

		snprintf(msg, sizeof(msg), "the id belongs to user %s", owner);
		result(im, "device", id, R_FAILED, msg);
		free(owner);
		return;
	}
	free(owner);
	reg = model_device_registry(user);
	st = ds_store_new();
	ep = ds_entry_path(reg, id);
	if (r == 1) {
		if (registry_get(im->ctl, reg, id, &e) == -1) {
			read_failed(im, "device", id);
			goto out;
		}
		cur = attr_str(&e, MODEL_A_DEV_NAME);
		if ((name == NULL && cur == NULL) || (name != NULL &&
		    cur != NULL && strcmp(name, cur) == 0))
			result(im, "device", id, R_UNCHANGED, NULL);
		else {
			ds_store_set_str(st, ep, MODEL_A_DEV_NAME, name);
			if (apply(im, st, "device", id) == 0)
				result(im, "device", id, R_UPDATED, "name");
		}
		ds_entry_clear(&e);
	} else {
		model_time_now(now);
		free(ep);
		ep = ds_entry_path(MODEL_DEVICE_INDEX, id);
		ds_store_modifiers(st, ep, DS_CREATE_ONLY);
		ds_store_set_str(st, ep, MODEL_A_DEV_USER, user);
		free(ep);
		registry_entry_walls(st, MODEL_DEVICE_INDEX, id, user);
		ep = ds_entry_path(reg, id);
		ds_store_set_str(st, ep, MODEL_A_DEV_USER, user);
		ds_store_set_str(st, ep, MODEL_A_DEV_ENROLLED, now);
		if (name != NULL)
			ds_store_set_str(st, ep, MODEL_A_DEV_NAME, name);
		registry_wire(st, MODEL_DEVICE, id, MODEL_USER, user);
		if (apply(im, st, "device", id) == 0)
			result(im, "device", id, R_CREATED, NULL);
	}
out:
	free(ep);
	free(reg);
	ds_store_free(&st);
}

static void
import_setting(struct import *im, const json_t *o)
{
	const char *layer = jstr(o, "layer"), *cls = jstr(o, "class");
	const char *entry = jstr(o, "entry"), *err, *aname;
	json_t *attrs = json_object_get(o, "attributes"), *aval;
	const struct ds_entry *own_e, *eff_e;
	const struct ds_attr *cur;
	struct ds *own = NULL, *eff = NULL;
	struct model_layer l = { MODEL_SITE, NULL };
	struct acap_buf what = ACAP_BUF_INIT, changed = ACAP_BUF_INIT;
	struct ds_store *st = NULL;
	struct ds_value v;
	char *path = NULL, *ep = NULL, msg[512];
	size_t nchanged = 0;
	bool deliberate;

	acap_buf_printf(&what, "%s %s %s", layer != NULL ? layer : "?",
	    cls != NULL ? cls : "?", entry != NULL ? entry : "?");
	if (layer == NULL || cls == NULL || entry == NULL ||
	    !json_is_object(attrs)) {
		result(im, "setting", what.data, R_FAILED, "needs \"layer\", "
		    "\"class\", \"entry\" and an \"attributes\" object");
		goto out;
	}
	if (model_layer_from_string(layer, &l, &err) == -1 ||
	    !model_entry_ok(entry, &err) || cls[0] == '\0' ||
	    cls[0] == '.' || strchr(cls, '/') != NULL) {
		result(im, "setting", what.data, R_FAILED, cls[0] == '\0' ||
		    cls[0] == '.' || strchr(cls, '/') != NULL ?
		    "bad class" : err);
		goto out;
	}
	path = model_dataset(&l, cls);
	if (ctl_read_dataset(im->ctl, path, CTL_NOINHERIT, entry,
	    &own) == -1 ||
	    ctl_read_dataset(im->ctl, path, 0, entry, &eff) == -1) {
		read_failed(im, "setting", what.data);
		goto out;
	}
	own_e = ds_find(own, entry);
	eff_e = ds_find(eff, entry);
	ep = ds_entry_path(path, entry);
	st = ds_store_new();
	json_object_foreach(attrs, aname, aval) {
		if (!model_attr_ok(aname, &err) ||
		    strncmp(aname, "dataset.", 8) == 0) {
			snprintf(msg, sizeof(msg), "attribute \"%s\": %s",
			    aname, strncmp(aname, "dataset.", 8) == 0 ?
			    "dataset management is not imported" : err);
			result(im, "setting", what.data, R_FAILED, msg);
			goto out;
		}
		if (ds_value_from_json(aval, &v) == -1) {
			snprintf(msg, sizeof(msg), "attribute \"%s\": a value "
			    "is a string, an array of strings, null or "
			    "{\"default\": true}", aname);
			result(im, "setting", what.data, R_FAILED, msg);
			goto out;
		}
		if (v.kind == DS_SINGLE) {
			char marker[512];

			snprintf(marker, sizeof(marker), "%s%s",
			    MODEL_A_DELIBERATE_PREFIX, aname);
			deliberate = json_object_get(attrs, marker) != NULL;
			if (validate_value(aname, v.v[0], v.len[0],
			    deliberate, msg, sizeof(msg)) ==
			    VALIDATE_REFUSE) {
				ds_value_free(&v);
				result(im, "setting", what.data, R_FAILED,
				    msg);
				goto out;
			}
		}
		/*
		 * Compare before storing: a value against the layer's own;
		 * NIL (masked) and DEFAULT (inherit) against what is seen.
		 */
		cur = own_e != NULL ? ds_entry_get(own_e, aname) : NULL;
		if ((v.kind == DS_SINGLE || v.kind == DS_MULTI) &&
		    cur != NULL && ds_value_equal(&cur->value, &v)) {
			ds_value_free(&v);
			continue;
		}
		if (v.kind == DS_NIL && (eff_e == NULL ||
		    ds_entry_get(eff_e, aname) == NULL)) {
			ds_value_free(&v);
			continue;
		}
		if (v.kind == DS_DEFAULT && cur == NULL) {
			ds_value_free(&v);
			continue;
		}
		ds_store_set(st, ep, aname, &v);
		acap_buf_printf(&changed, "%s%s", nchanged > 0 ? ", " : "",
		    aname);
		nchanged++;
		ds_value_free(&v);
	}
	if (nchanged == 0)
		result(im, "setting", what.data, R_UNCHANGED, NULL);
	else if (apply(im, st, "setting", what.data) == 0)
		result(im, "setting", what.data, own_e == NULL ? R_CREATED :
		    R_UPDATED, changed.data);
out:
	model_layer_clear(&l);
	ds_free(&own);
	ds_free(&eff);
	ds_store_free(&st);
	free(path);
	free(ep);
	acap_buf_deinit(&what);
	acap_buf_deinit(&changed);
}

/*
 * A domain (owner: "org", null for the site) or an address (owner:
 * "user"): created when absent, unchanged when the owner is the same,
 * failed when another owns it (an import never takes one away).
 */
static void
import_owned(struct import *im, const json_t *o, bool address)
{
	const char *kind = address ? "address" : "domain";
	const char *name = jstr(o, address ? "address" : "name");
	const char *owner = jstr(o, address ? "user" : "org"), *err;
	char norm[MODEL_ADDRESS_MAX + 1], *cur = NULL, *org = NULL;
	struct ds_store *st;
	int r;

	if (name == NULL || strlen(name) >= MODEL_ADDRESS_MAX - 1 ||
	    !(address ? model_address_ok(name, norm, &err) :
	    strlen(name) <= 253 && model_domain_ok(name, norm, &err))) {
		result(im, kind, name != NULL ? name : "?", R_FAILED,
		    name == NULL ? "no name" : strlen(name) >=
		    MODEL_ADDRESS_MAX - 1 || (!address && strlen(name) > 253) ?
		    "too long" : err);
		return;
	}
	r = address ? addresses_user(im->ctl, norm, &cur) :
	    domains_owner(im->ctl, norm, &cur);
	if (r == -1) {
		read_failed(im, kind, norm);
		return;
	}
	if (r == 1) {
		if ((cur == NULL && owner == NULL) || (cur != NULL &&
		    owner != NULL && strcmp(cur, owner) == 0))
			result(im, kind, norm, R_UNCHANGED, NULL);
		else
			result(im, kind, norm, R_FAILED, cur != NULL ?
			    "taken by another owner (its owner in the file "
			    "differs)" : "a domain of the site");
		free(cur);
		return;
	}
	st = ds_store_new();
	if (address) {
		if (owner == NULL || (r = registry_user_org(im->ctl, owner,
		    &org)) != 1 || addresses_check(im->ctl, norm, owner,
		    org) == -1) {
			if (owner == NULL || r == 0)
				result(im, kind, norm, R_FAILED,
				    "no such user");
			else
				read_failed(im, kind, norm);
			free(org);
			ds_store_free(&st);
			return;
		}
		free(org);
		addresses_store_add(st, norm, owner);
	} else {
		if (owner != NULL && (r = registry_get(im->ctl,
		    MODEL_ORG_REGISTRY, owner, NULL)) != 1) {
			if (r == 0)
				result(im, kind, norm, R_FAILED,
				    "no such organisation");
			else
				read_failed(im, kind, norm);
			ds_store_free(&st);
			return;
		}
		domains_store_add(st, norm, owner);
	}
	if (apply(im, st, kind, norm) == 0)
		result(im, kind, norm, R_CREATED, NULL);
	ds_store_free(&st);
}

static void
import_domain(struct import *im, const json_t *o)
{
	import_owned(im, o, false);
}

static void
import_address(struct import *im, const json_t *o)
{
	import_owned(im, o, true);
}

/*
 * The shape of an import file, checked whole before anything is stored,
 * so a file that is not what export writes changes nothing.  Rules
 * (doc/settings.md §7): each section an array of objects; names, ids,
 * layers, classes and entries strings without NUL; descriptions, a user's
 * org and a device's name a string or null; attributes an object of
 * values (a string, a number, an array of them, null or {"default":
 * true}).  Unknown keys are ignored.  What a record's values mean (a
 * name's syntax, a value's rules) is checked per record at import.
 */
enum field_rule {
	F_REQUIRED,	/* a string */
	F_OPTIONAL,	/* a string, null or absent */
};

struct field {
	const char *key;
	enum field_rule rule;
};

static const struct field org_fields[] = {
	{ "name", F_REQUIRED }, { "description", F_OPTIONAL },
	{ "discovery", F_OPTIONAL }, { NULL, 0 },
};
static const struct field domain_fields[] = {
	{ "name", F_REQUIRED }, { "org", F_OPTIONAL }, { NULL, 0 },
};
static const struct field address_fields[] = {
	{ "address", F_REQUIRED }, { "user", F_REQUIRED }, { NULL, 0 },
};
static const struct field user_fields[] = {
	{ "name", F_REQUIRED }, { "org", F_OPTIONAL },
	{ "password", F_OPTIONAL }, { NULL, 0 },
};
static const struct field device_fields[] = {
	{ "id", F_REQUIRED }, { "user", F_REQUIRED }, { "name", F_OPTIONAL },
	{ NULL, 0 },
};
static const struct field setting_fields[] = {
	{ "layer", F_REQUIRED }, { "class", F_REQUIRED },
	{ "entry", F_REQUIRED }, { NULL, 0 },
};

static const struct section {
	const char *name;
	const struct field *fields;
	void (*import)(struct import *, const json_t *);
} sections[] = {
	/* in dependency order: orgs before users before devices; domains
	   after orgs, addresses after users (both optional sections) */
	{ "orgs", org_fields, import_org },
	{ "domains", domain_fields, import_domain },
	{ "users", user_fields, import_user },
	{ "addresses", address_fields, import_address },
	{ "devices", device_fields, import_device },
	{ "settings", setting_fields, import_setting },
};

static bool
has_passwords(const json_t *users)
{
	size_t i;

	for (i = 0; i < json_array_size(users); i++)
		if (jstr(json_array_get(users, i), "password") != NULL)
			return true;
	return false;
}

static int
check_record(const struct section *sec, size_t i, const json_t *o,
    char *why, size_t whylen)
{
	const struct field *f;
	const json_t *v;
	const char *aname;
	json_t *aval;
	struct ds_value dv;

	if (!json_is_object(o)) {
		snprintf(why, whylen, "%s[%zu]: a record must be an object",
		    sec->name, i);
		return -1;
	}
	for (f = sec->fields; f->key != NULL; f++) {
		v = json_object_get(o, f->key);
		if (f->rule == F_OPTIONAL && (v == NULL || json_is_null(v)))
			continue;
		if (!json_is_string(v)) {
			snprintf(why, whylen, "%s[%zu]: \"%s\" must be a "
			    "string%s", sec->name, i, f->key,
			    f->rule == F_OPTIONAL ? " or null" : "");
			return -1;
		}
		if (strlen(json_string_value(v)) != json_string_length(v)) {
			snprintf(why, whylen, "%s[%zu]: \"%s\" must not "
			    "contain NUL", sec->name, i, f->key);
			return -1;
		}
	}
	if (sec->fields != setting_fields)
		return 0;
	v = json_object_get(o, "attributes");
	if (!json_is_object(v)) {
		snprintf(why, whylen, "%s[%zu]: \"attributes\" must be an "
		    "object", sec->name, i);
		return -1;
	}
	json_object_foreach((json_t *)v, aname, aval) {
		if (ds_value_from_json(aval, &dv) == -1) {
			snprintf(why, whylen, "%s[%zu]: attribute \"%.200s\": "
			    "a value is a string, an array of strings, null "
			    "or {\"default\": true}", sec->name, i, aname);
			return -1;
		}
		ds_value_free(&dv);
	}
	return 0;
}

static int
import_check(const json_t *doc, char *why, size_t whylen)
{
	const json_t *sec, *version;
	const char *fmt;
	size_t s, i;

	fmt = json_string_value(json_object_get(doc, "format"));
	if (fmt == NULL || strcmp(fmt, EXPORT_FORMAT) != 0) {
		snprintf(why, whylen, "not an acapctl export (\"format\": "
		    "\"%s\" missing)", EXPORT_FORMAT);
		return -1;
	}
	version = json_object_get(doc, "version");
	if (!json_is_integer(version) ||
	    json_integer_value(version) != EXPORT_VERSION) {
		snprintf(why, whylen, "unsupported version (\"version\" must "
		    "be %d: this acapctl reads version %d)", EXPORT_VERSION,
		    EXPORT_VERSION);
		return -1;
	}
	for (s = 0; s < sizeof(sections) / sizeof(sections[0]); s++) {
		sec = json_object_get(doc, sections[s].name);
		if (sec == NULL)
			continue;
		if (!json_is_array(sec)) {
			snprintf(why, whylen, "\"%s\" must be an array",
			    sections[s].name);
			return -1;
		}
		for (i = 0; i < json_array_size(sec); i++)
			if (check_record(&sections[s], i,
			    json_array_get(sec, i), why, whylen) == -1)
				return -1;
	}
	return 0;
}

/*
 * Read the whole file, refusing one larger than IMPORT_MAX before it is
 * parsed: a regular file by its size, without reading it; a pipe once
 * that much has been read.
 */
static int
read_file(struct ctl *ctl, const char *path, struct acap_buf *out)
{
	char buf[65536];
	struct stat sb;
	size_t n;
	FILE *fp;
	int rc = CTL_FAIL;

	if (strcmp(path, "-") == 0) {
		if (ctl->stdin_busy)
			return ctl_error(ctl, "standard input carries the "
			    "commands; give a file");
		fp = stdin;
	} else if ((fp = fopen(path, "r")) == NULL)
		return ctl_error(ctl, "%s: %s", path, strerror(errno));
	if (fstat(fileno(fp), &sb) == 0 && S_ISREG(sb.st_mode) &&
	    sb.st_size > (off_t)IMPORT_MAX) {
		ctl_error(ctl, "%s: %lld bytes, larger than the import limit "
		    "of %u MiB", path, (long long)sb.st_size, IMPORT_MAX >> 20);
		goto out;
	}
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
		if (out->len + n > IMPORT_MAX) {
			ctl_error(ctl, "%s: larger than the import limit of "
			    "%u MiB", path, IMPORT_MAX >> 20);
			goto out;
		}
		acap_buf_add(out, buf, n);
	}
	if (ferror(fp)) {
		ctl_error(ctl, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = CTL_OK;
out:
	if (fp != stdin)
		fclose(fp);
	return rc;
}

int
cmd_io_import(struct ctl *ctl, int argc, char **argv)
{
	bool dry_run = false, progress = false, no_progress = false;
	struct ctl_opt opts[] = {
		{ "dry-run", CTL_OPT_FLAG, &dry_run },
		{ "progress", CTL_OPT_FLAG, &progress },
		{ "no-progress", CTL_OPT_FLAG, &no_progress },
		{ NULL, CTL_OPT_FLAG, NULL },
	};
	struct acap_buf text = ACAP_BUF_INIT;
	json_t *doc = NULL, *sec, *res;
	struct accounts acc;
	struct import im;
	char err[512], *err0;
	size_t s, i;
	int r, rc = CTL_FAIL;

	if (ctl_getopt(ctl, &argc, argv, opts) != 0)
		return CTL_USAGE;
	if (argc != 1)
		return ctl_usage(ctl, "import needs one file (\"-\": stdin)");
	if (read_file(ctl, argv[0], &text) != CTL_OK)
		goto out;
	if ((doc = jsonx_parse(text.data != NULL ? text.data : "", text.len,
	    err, sizeof(err))) == NULL) {
		ctl_error(ctl, "%s: %s", argv[0], err);
		goto out;
	}
	acap_buf_deinit(&text);	/* the tree is all that is needed */
	if (import_check(doc, err, sizeof(err)) == -1) {
		ctl_error(ctl, "%s: %s; nothing imported", argv[0], err);
		goto out;
	}
	if (has_passwords(json_object_get(doc, "users")) &&
	    !ctl_userdb_configured(ctl)) {
		ctl_error(ctl, "%s: users with a \"password\" need the "
		    "instance for their SASL accounts (-s STATEDIR, "
		    "--sasldb PATH or --sasl-sql URI); nothing imported", argv[0]);
		goto out;
	}
	if (ctl_connect(ctl) == -1)
		goto out;
	memset(&im, 0, sizeof(im));
	im.ctl = ctl;
	im.dry_run = dry_run;
	/* a progress line only for a person watching (or when asked) */
	im.pg.on = !no_progress && (progress || isatty(STDERR_FILENO));
	res = ctl_result(ctl);
	im.results = jsonx_set(res, "records", json_array());
	for (s = 0; s < sizeof(sections) / sizeof(sections[0]); s++) {
		sec = json_object_get(doc, sections[s].name);
		if (sections[s].import == import_user) {
			if (accounts_prepare(&im, sec, &acc) == -1) {
				accounts_free(&acc);
				goto out;
			}
			accounts_start(&im, &acc);
			r = import_users(&im, sec);
			if (r == 0 && ctl->client == NULL)
				r = -1;
			if (r == -1 && ctl->error == NULL)
				ctl_error(ctl, "connection lost");
			if (r == 0)
				r = accounts_finish(&im, &acc);
			else if (acc.pid > 0) {
				/* the import fails with the lost
				   connection; the writer is collected
				   and its accounts reported */
				err0 = ctl->error;
				ctl->error = NULL;
				if (accounts_finish(&im, &acc) == -1)
					ctl_warn(ctl, "%s", ctl->error);
				free(ctl->error);
				ctl->error = err0;
			}
			accounts_free(&acc);
			if (r == -1)
				goto out;
		} else
			for (i = 0; i < json_array_size(sec) &&
			    ctl->client != NULL; i++)
				sections[s].import(&im,
				    json_array_get(sec, i));
		if (ctl->client == NULL) {
			ctl_error(ctl, "connection lost");
			goto out;
		}
	}
	jsonx_set_int(res, "created", (long long)im.created);
	jsonx_set_int(res, "updated", (long long)im.updated);
	jsonx_set_int(res, "unchanged", (long long)im.unchanged);
	jsonx_set_int(res, "failed", (long long)im.failed);
	ctl_out(ctl, "%s%zu created, %zu updated, %zu unchanged, %zu failed\n",
	    dry_run ? "dry run: " : "", im.created, im.updated, im.unchanged,
	    im.failed);
	if (im.failed > 0)
		ctl_error(ctl, "%zu record%s failed", im.failed,
		    im.failed == 1 ? "" : "s");
	else
		rc = CTL_OK;
out:
	json_decref(doc);
	acap_buf_deinit(&text);
	return rc;
}
