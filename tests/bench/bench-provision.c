/*
 * bench-provision.c -- users into sasldb (acapctl/client/userdb.h) and the
 * settings tree over ACAP (libacap/acap-client.h) for acap-bench.
 * Keeps one admin connection open for bench_provision_store().
 */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acap-buf.h"
#include "acap-client.h"
#include "bench-proc.h"
#include "bench-provision.h"
#include "sasl.h"
#include "userdb.h"

#define PROVISION_BATCH	200

static char provision_err[1024];
static struct acap_client *admin_conn;

static const char *
provision_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static const char *
provision_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(provision_err, sizeof(provision_err), fmt, ap);
	va_end(ap);
	return provision_err;
}

/* First line of a marker file into buf; 0, or -1 if absent. */
static int
marker_read(const char *statedir, const char *name, char *buf, size_t size)
{
	char path[1024];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", statedir, name);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	if (fgets(buf, (int)size, fp) == NULL)
		buf[0] = '\0';
	fclose(fp);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int
marker_write(const char *statedir, const char *name, const char *text)
{
	char path[1024];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", statedir, name);
	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	fprintf(fp, "%s\n", text);
	return fclose(fp);
}

int
bench_provision_users(const struct bench_provision *p,
    const char **errstr_r)
{
	char buf[256], user[128], pass[128];
	struct sasl_opts o;
	struct userdb *db;
	const char *err;
	unsigned int done = 0, i;
	uint64_t t0 = bench_proc_now_ns();
	int r;

	if (marker_read(p->statedir, "bench-users", buf, sizeof(buf)) == 0)
		done = (unsigned int)strtoul(buf, NULL, 10);
	if (done >= p->users && done > 0)
		return 0;
	sasl_opts_init(&o);
	o.statedir = p->statedir;
	if (userdb_open(&o, &db, &err) == -1) {
		*errstr_r = provision_fail("user database: %s", err);
		return -1;
	}
	if (p->admin != NULL &&
	    (r = userdb_exists(db, p->admin, &err)) != 1) {
		if (r == -1 || userdb_add(db, p->admin, p->admin_pass,
		    &err) == -1) {
			*errstr_r = provision_fail("admin %s: %s", p->admin,
			    err);
			userdb_close(&db);
			return -1;
		}
	}
	for (i = done + 1; i <= p->users; i++) {
		snprintf(user, sizeof(user), "%s%u", p->user_prefix, i);
		snprintf(pass, sizeof(pass), "%s%u", p->pass_prefix, i);
		if (userdb_add(db, user, pass, &err) == -1) {
			/* a run interrupted before the marker was written */
			if (userdb_exists(db, user, &err) == 1 &&
			    userdb_passwd(db, user, pass, &err) == 0)
				continue;
			*errstr_r = provision_fail("user %s: %s", user, err);
			userdb_close(&db);
			return -1;
		}
		if (i % 10000 == 0) {
			snprintf(buf, sizeof(buf), "%u", i);
			(void)marker_write(p->statedir, "bench-users", buf);
			if (p->verbose)
				fprintf(stderr, "acap-bench: %u users "
				    "(%.0f s)\n", i,
				    (double)(bench_proc_now_ns() - t0) / 1e9);
		}
	}
	userdb_close(&db);
	snprintf(buf, sizeof(buf), "%u", p->users);
	if (marker_write(p->statedir, "bench-users", buf) != 0) {
		*errstr_r = provision_fail("cannot write %s/bench-users: %s",
		    p->statedir, strerror(errno));
		return -1;
	}
	if (p->verbose)
		fprintf(stderr, "acap-bench: %u users in sasldb (%.1f s)\n",
		    p->users, (double)(bench_proc_now_ns() - t0) / 1e9);
	return 0;
}

/* ---- Over ACAP ------------------------------------------------------ */

static const char *
creds_name(void *arg)
{
	return ((const struct bench_provision *)arg)->admin;
}

static const char *
creds_pass(void *arg)
{
	return ((const struct bench_provision *)arg)->admin_pass;
}

static int
admin_connect(const struct bench_provision *p, int port, bool tls,
    const char **errstr_r)
{
	struct acap_client_opts o;
	struct acap_client_tls t;
	struct acap_client_creds cr;
	char portstr[16];
	const char *err;

	if (admin_conn != NULL && acap_client_is_open(admin_conn))
		return 0;
	acap_client_free(&admin_conn);
	snprintf(portstr, sizeof(portstr), "%d", port);
	acap_client_opts_init(&o);
	o.host = "127.0.0.1";
	o.port = portstr;
	o.timeout_ms = 120000;
	if (acap_client_connect(&o, &admin_conn, &err) == -1) {
		*errstr_r = provision_fail("connect: %s", err);
		return -1;
	}
	if (tls) {
		memset(&t, 0, sizeof(t));
		t.insecure = true;	/* the instance's throw-away cert */
		if (acap_client_starttls(admin_conn, &t, &err) == -1) {
			*errstr_r = provision_fail("STARTTLS: %s", err);
			acap_client_free(&admin_conn);
			return -1;
		}
	}
	memset(&cr, 0, sizeof(cr));
	cr.authname_cb = creds_name;
	cr.password_cb = creds_pass;
	cr.arg = (void *)(uintptr_t)p;
	if (acap_client_authenticate(admin_conn, tls ? "PLAIN" : "CRAM-MD5",
	    &cr, &err) == -1) {
		*errstr_r = provision_fail("AUTHENTICATE as %s: %s", p->admin,
		    err);
		acap_client_free(&admin_conn);
		return -1;
	}
	return 0;
}

void
bench_provision_close(void)
{
	if (admin_conn != NULL && acap_client_is_open(admin_conn))
		(void)acap_client_logout(admin_conn);
	acap_client_free(&admin_conn);
}

/* Run body; 0 when the completion is OK. */
static int
admin_run(const struct acap_buf *body, const char **errstr_r)
{
	const struct acap_completion *comp;
	const char *err;

	if (acap_client_command(admin_conn, body->data, body->len, NULL, NULL,
	    &err) == -1) {
		*errstr_r = provision_fail("%s", err);
		return -1;
	}
	comp = acap_client_completion(admin_conn);
	if (comp->status != ACAP_STATUS_OK) {
		*errstr_r = provision_fail("%s%s%s%s",
		    comp->status == ACAP_STATUS_NO ? "NO " : "BAD ",
		    comp->code != NULL ? comp->code : "",
		    comp->code != NULL ? " " : "", comp->text);
		return -1;
	}
	return 0;
}

/* ("path" "attr" "value" ...): one store-entry (RFC 2244 §6.6.1). */
static void
add_store_entry(struct acap_buf *b, const char *path, const char *const *av,
    size_t n)
{
	size_t i;

	acap_buf_addstr(b, " (");
	acap_client_add_nstring(admin_conn, b, path);
	for (i = 0; i < n; i++) {
		acap_buf_addch(b, ' ');
		acap_client_add_nstring(admin_conn, b, av[i]);
	}
	acap_buf_addch(b, ')');
}

/* The site entry: account defaults plus p->attrs extra attributes, all
   in one store-entry (an entry path may appear once per STORE). */
static int
store_site(const struct bench_provision *p, const char **errstr_r)
{
	static const char *const base[] = {
		"email.server.IMAP", "imap://imap.example.com/",
		"vendor.acapd.tls", "starttls-required",
		"vendor.acapd.idle-ceiling", "1740",
		"vendor.acapd.tcp-keepalive", "off",
		BENCH_FANOUT_ATTR, "0",
	};
	struct acap_buf b = ACAP_BUF_INIT;
	char name[64], value[64];
	unsigned int i;
	int r;

	acap_buf_addstr(&b, "STORE (");
	acap_client_add_nstring(admin_conn, &b,
	    BENCH_SITE_DATASET BENCH_ENTRY);
	for (i = 0; i < sizeof(base) / sizeof(base[0]); i++) {
		acap_buf_addch(&b, ' ');
		acap_client_add_nstring(admin_conn, &b, base[i]);
	}
	for (i = 1; i <= p->attrs; i++) {
		snprintf(name, sizeof(name), "vendor.acapd.bench.a%u", i);
		snprintf(value, sizeof(value), "site default value %u", i);
		acap_buf_addch(&b, ' ');
		acap_client_add_nstring(admin_conn, &b, name);
		acap_buf_addch(&b, ' ');
		acap_client_add_nstring(admin_conn, &b, value);
	}
	acap_buf_addch(&b, ')');
	r = admin_run(&b, errstr_r);
	acap_buf_deinit(&b);
	return r;
}

/* Dataset of organisation g at layer k of depth (the last one is what
   users inherit from). */
static void
group_dataset(char *buf, size_t size, unsigned int g, unsigned int k,
    unsigned int depth)
{
	if (k >= depth)
		snprintf(buf, size, "/email/group/org%u/", g);
	else
		snprintf(buf, size, "/email/group/org%u-l%u/", g, k);
}

static int
store_groups(const struct bench_provision *p, const char **errstr_r)
{
	struct acap_buf b = ACAP_BUF_INIT;
	char ds[128], base[128], path[160], imap[128], attr[64];
	const char *av[4];
	unsigned int g, k, n = 0, depth = p->depth > 1 ? p->depth : 1;
	int r = 0;

	for (g = 1; g <= p->groups && r == 0; g++) {
		for (k = 1; k <= depth && r == 0; k++) {
			if (b.len == 0)
				acap_buf_addstr(&b, "STORE");
			group_dataset(ds, sizeof(ds), g, k, depth);
			if (k == 1)
				snprintf(base, sizeof(base), "%s",
				    BENCH_SITE_DATASET);
			else
				group_dataset(base, sizeof(base), g, k - 1,
				    depth);
			av[0] = "dataset.inherit";
			av[1] = base;
			add_store_entry(&b, ds, av, 2);
			snprintf(path, sizeof(path), "%s%s", ds, BENCH_ENTRY);
			snprintf(imap, sizeof(imap),
			    "imap://imap%u.org%u.example.com/", k, g);
			av[0] = "email.server.IMAP";
			av[1] = imap;
			snprintf(attr, sizeof(attr), "vendor.acapd.bench.l%u",
			    k);
			av[2] = attr;
			av[3] = ds;
			add_store_entry(&b, path, av, depth > 1 ? 4 : 2);
			if (++n % PROVISION_BATCH == 0) {
				r = admin_run(&b, errstr_r);
				acap_buf_reset(&b);
			}
		}
	}
	if (r == 0 && b.len > 0)
		r = admin_run(&b, errstr_r);
	acap_buf_deinit(&b);
	return r;
}

static int
store_users(const struct bench_provision *p, const char **errstr_r)
{
	struct acap_buf b = ACAP_BUF_INIT;
	char user[128], ds[256], path[300], grp[128], addr[256];
	const char *av[2];
	unsigned int i, g, batch = p->batch > 0 ? p->batch : PROVISION_BATCH;
	uint64_t t0 = bench_proc_now_ns();
	int r = 0;

	for (i = 1; i <= p->users && r == 0; i++) {
		if (b.len == 0)
			acap_buf_addstr(&b, "STORE");
		snprintf(user, sizeof(user), "%s%u", p->user_prefix, i);
		g = (i - 1) % p->groups + 1;
		snprintf(ds, sizeof(ds), "/email/user/%s/", user);
		snprintf(grp, sizeof(grp), "/email/group/org%u/", g);
		av[0] = "dataset.inherit";
		av[1] = grp;
		add_store_entry(&b, ds, av, 2);
		snprintf(path, sizeof(path), "%s%s", ds, BENCH_ENTRY);
		snprintf(addr, sizeof(addr), "%s@org%u.example.com", user, g);
		av[0] = "email.address";
		av[1] = addr;
		add_store_entry(&b, path, av, 2);
		if (i % batch == 0 || i == p->users) {
			r = admin_run(&b, errstr_r);
			acap_buf_reset(&b);
		}
		if (p->verbose && i % 10000 == 0)
			fprintf(stderr, "acap-bench: settings of %u users "
			    "(%.0f s)\n", i,
			    (double)(bench_proc_now_ns() - t0) / 1e9);
	}
	acap_buf_deinit(&b);
	return r;
}

int
bench_provision_settings(const struct bench_provision *p, int port,
    bool tls, const char **errstr_r)
{
	char want[128], have[128];
	uint64_t t0 = bench_proc_now_ns();

	snprintf(want, sizeof(want), "%u %u %u", p->users, p->groups,
	    p->attrs);
	if (p->depth > 1)
		snprintf(want + strlen(want), sizeof(want) - strlen(want),
		    " %u", p->depth);
	if (marker_read(p->statedir, "bench-settings", have,
	    sizeof(have)) == 0 && strcmp(have, want) == 0)
		return 0;
	if (admin_connect(p, port, tls, errstr_r) == -1)
		return -1;
	if (store_site(p, errstr_r) == -1) {
		provision_fail("site settings: %s", *errstr_r);
		*errstr_r = provision_err;
		return -1;
	}
	if (store_groups(p, errstr_r) == -1 || store_users(p, errstr_r) == -1)
		return -1;
	if (marker_write(p->statedir, "bench-settings", want) != 0) {
		*errstr_r = provision_fail("cannot write %s/bench-settings",
		    p->statedir);
		return -1;
	}
	if (p->verbose)
		fprintf(stderr, "acap-bench: settings for %u users in %u "
		    "organisations stored (%.1f s)\n", p->users, p->groups,
		    (double)(bench_proc_now_ns() - t0) / 1e9);
	return 0;
}

int
bench_provision_store(const struct bench_provision *p, int port, bool tls,
    const char *path, const char *attr, const char *value,
    const char **errstr_r)
{
	struct acap_buf b = ACAP_BUF_INIT;
	const char *av[2];
	int r;

	if (admin_connect(p, port, tls, errstr_r) == -1)
		return -1;
	acap_buf_addstr(&b, "STORE");
	av[0] = attr;
	av[1] = value;
	add_store_entry(&b, path, av, 2);
	r = admin_run(&b, errstr_r);
	acap_buf_deinit(&b);
	return r;
}
