/*
 * bench-provision.h -- benchmark data: users in sasldb (acapctl/client/userdb.h)
 * and a site -> organisation -> user settings tree stored over ACAP; marker
 * files in the state directory make both steps happen once.  Owns nothing.
 */
#ifndef BENCH_PROVISION_H
#define BENCH_PROVISION_H

#include <stdbool.h>

/* The site entry every user inherits (RFC 5383 account settings). */
#define BENCH_ENTRY		"corp"
#define BENCH_SITE_DATASET	"/email/site/"
/* Attribute the fan-out scenario changes at the site layer. */
#define BENCH_FANOUT_ATTR	"vendor.acapd.bench.fanout"

struct bench_provision {
	const char *statedir;	/* the instance's state directory */
	unsigned int users;	/* users 1..users */
	unsigned int groups;	/* organisations 1..groups; user i is in
				   organisation (i - 1) % groups + 1 */
	unsigned int attrs;	/* extra attributes on the site entry */
	unsigned int depth;	/* organisation layers between user and
				   site; 0 or 1: one (see below) */
	const char *user_prefix; /* user n is <user_prefix><n> */
	const char *pass_prefix; /* with password <pass_prefix><n> */
	const char *admin;	/* admin identity (in "admins") */
	const char *admin_pass;
	unsigned int batch;	/* users per STORE command; 0: 200 */
	bool verbose;		/* progress on stderr */
};

/*
 * Create the admin and users 1..p->users in <statedir>/sasldb2 with
 * libsasl2 (the same per-instance configuration acapd uses), skipping
 * those a previous call recorded in <statedir>/bench-users.  Call it
 * before acapd starts.  Returns 0, or -1 with *errstr_r (static storage).
 */
int bench_provision_users(const struct bench_provision *p,
    const char **errstr_r);

/*
 * Log in to acapd on 127.0.0.1:port as the admin (after STARTTLS when tls
 * is true) and STORE the settings tree:
 *   /email/site/corp               account defaults + p->attrs extras
 *   /email/group/org<g>/           dataset.inherit "/email/site/",
 *                                  corp overriding the IMAP server
 *   /email/user/<user>/            dataset.inherit "/email/group/org<g>/",
 *                                  corp adding the user's address
 * With depth d > 1 the organisation is a chain of d datasets,
 * /email/group/org<g>-l1/ (inheriting the site) ... -l<d-1>/ and finally
 * /email/group/org<g>/, each overriding the IMAP server and adding one
 * attribute, so a user's chain is d + 2 datasets long.
 * unless <statedir>/bench-settings says the same tree is there already.
 * Returns 0, or -1 with *errstr_r (static storage).
 */
int bench_provision_settings(const struct bench_provision *p, int port,
    bool tls, const char **errstr_r);

/*
 * One admin STORE of value to attr of entry path (e.g. the fan-out
 * change), on a connection kept open between calls.  Returns 0 when the
 * server said OK, or -1 with *errstr_r.  bench_provision_close() drops
 * the connection.
 */
int bench_provision_store(const struct bench_provision *p, int port,
    bool tls, const char *path, const char *attr, const char *value,
    const char **errstr_r);
void bench_provision_close(void);

#endif
