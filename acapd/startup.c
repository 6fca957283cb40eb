/*
 * startup.c -- glue between the configuration and the store, TLS and SASL
 * modules, and the privileged start-up steps.  Owns the instance's first
 * start: state directory, self-signed certificate, bootstrap admin.
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "commands.h"
#include "config.h"
#include "conn.h"
#include "context.h"
#include "greeting.h"
#include "inherit.h"
#include "log.h"
#include "sasl.h"
#include "sasl-sql.h"
#include "seed.h"
#include "session.h"
#include "upgrade.h"
#include "server.h"
#include "startup.h"
#include "store.h"
#include "tls.h"

/* While the database cannot be written: how often to check again. */
#define STORE_RETRY_SECONDS	5

static char **admin_list;

static void startup_store(void);
static void startup_tls(void);

static void
sasl_log_cb(int prio, const char *msg, void *arg)
{
	(void)arg;
	log_msg(prio, "%s", msg);
}

static void
sasl_free_hook(void **slot)
{
	sasl_session_free((struct sasl_session **)slot);
}

extern void (*conn_sasl_free_hook)(void **slot);

static char **
split_words(const char *s)
{
	char **v = NULL, *copy, *w, *save = NULL;
	size_t n = 0;

	if ((copy = strdup(s)) == NULL)
		fatal("out of memory");
	for (w = strtok_r(copy, " \t,", &save); w != NULL;
	    w = strtok_r(NULL, " \t,", &save)) {
		if ((v = realloc(v, (n + 2) * sizeof(*v))) == NULL ||
		    (v[n] = strdup(w)) == NULL)
			fatal("out of memory");
		n++;
	}
	if (v == NULL && (v = calloc(1, sizeof(*v))) == NULL)
		fatal("out of memory");
	v[n] = NULL;
	free(copy);
	return v;
}

static void
free_words(char ***vp)
{
	size_t i;

	if (*vp == NULL)
		return;
	for (i = 0; (*vp)[i] != NULL; i++)
		free((*vp)[i]);
	free(*vp);
	*vp = NULL;
}

/*
 * The uid acapd runs as once start-up is over: the configured user's
 * when started as root, else its own (drop_privileges() refuses any other
 * combination).  *name_r names it for messages.
 */
static uid_t
run_uid(const char **name_r)
{
	static char self[64];
	struct passwd *pw;

	if (cfg->user[0] != '\0' && geteuid() == 0) {
		if ((pw = getpwnam(cfg->user)) == NULL)
			fatal("user %s: no such user", cfg->user);
		*name_r = cfg->user;
		return pw->pw_uid;
	}
	if ((pw = getpwuid(geteuid())) != NULL)
		snprintf(self, sizeof(self), "%s", pw->pw_name);
	else
		snprintf(self, sizeof(self), "uid %lu",
		    (unsigned long)geteuid());
	*name_r = self;
	return geteuid();
}

/* Whether uid is acapd now (root before the drop) or the user it becomes. */
static bool
owned_by_acapd(uid_t uid)
{
	const char *name;

	return uid == geteuid() || uid == run_uid(&name);
}

static const char *
uid_name(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw;

	if ((pw = getpwuid(uid)) != NULL)
		snprintf(buf, len, "%s (uid %lu)", pw->pw_name,
		    (unsigned long)uid);
	else
		snprintf(buf, len, "uid %lu", (unsigned long)uid);
	return buf;
}

/*
 * Nobody but acapd may write the state directory: it holds the database,
 * the sasldb, the TLS key and the bootstrap admin's password, and another
 * user able to create or replace names in it could plant a file that
 * receives a secret.  So it must belong to the user acapd runs as (or to
 * root, when acapd starts as root: startup_chown() then gives it to that
 * user) and have no group or other write permission.
 */
static void
statedir_check(const struct stat *st)
{
	const char *runner;
	char owner[96];
	uid_t uid = run_uid(&runner);

	if (!S_ISDIR(st->st_mode))
		fatal("statedir %s is not a directory", cfg->statedir);
	if (st->st_uid != geteuid() && st->st_uid != uid)
		fatal("statedir %s belongs to %s: it must belong to %s, the "
		    "user acapd runs as%s (chown %s %s)", cfg->statedir,
		    uid_name(st->st_uid, owner, sizeof(owner)), runner,
		    geteuid() == 0 && uid != 0 ? ", or to root" : "", runner,
		    cfg->statedir);
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0)
		fatal("statedir %s is writable by %s (mode %04o): the state "
		    "directory must be writable by its owner only "
		    "(chmod go-w %s)", cfg->statedir,
		    (st->st_mode & S_IWGRP) == 0 ? "others" :
		    (st->st_mode & S_IWOTH) == 0 ? "its group" :
		    "its group and others",
		    (unsigned)(st->st_mode & 07777), cfg->statedir);
}

void
startup_statedir(void)
{
	struct stat st;

	if (stat(cfg->statedir, &st) == -1) {
		if (errno != ENOENT)
			fatal("statedir %s: %s", cfg->statedir,
			    strerror(errno));
		if (mkdir(cfg->statedir, 0700) == -1)
			fatal("cannot create statedir %s: %s", cfg->statedir,
			    strerror(errno));
		log_info("created state directory %s", cfg->statedir);
		if (stat(cfg->statedir, &st) == -1)
			fatal("statedir %s: %s", cfg->statedir,
			    strerror(errno));
	}
	statedir_check(&st);
}

/* saslauthd_path and the sql plugin's options (sasl_sql), then NULL. */
static const char *sasl_extra[2 + 24];
static char **sasl_sql_list;

/*
 * SASL options from a configuration (admin_list is rebuilt).  Returns 0,
 * or -1 with *errstr_r when sasl_sql cannot be used.
 */
static int
sasl_opts_from_cfg(const struct config *c, struct sasl_opts *o,
    const char **errstr_r)
{
	const char *err = NULL;
	size_t n = 0, i;
	int r = 0;

	free_words(&admin_list);
	admin_list = split_words(c->admins);
	sasl_opts_init(o);
	o->statedir = c->statedir;
	o->sasldb_path = c->sasl_sasldb;
	o->pwcheck_method = c->sasl_pwcheck_method;
	o->auxprop_plugin = c->sasl_auxprop_plugin;
	o->mech_list = c->sasl_mech_list[0] != '\0' ? c->sasl_mech_list :
	    NULL;
	o->allow_plaintext = c->allow_plaintext;
	o->allow_anonymous = c->allow_anonymous;
	o->admins = (const char *const *)admin_list;
	if (c->sasl_saslauthd_path[0] != '\0') {
		sasl_extra[n++] = "saslauthd_path";
		sasl_extra[n++] = c->sasl_saslauthd_path;
	}
	/* Accounts in PostgreSQL, shared by every node (sasl-sql.h). */
	free(sasl_sql_list);
	sasl_sql_list = NULL;
	if (c->sasl_sql[0] != '\0') {
		if ((sasl_sql_list = sasl_sql_options(c->sasl_sql, &err)) ==
		    NULL)
			r = -1;
		o->auxprop_plugin = "sql";
		for (i = 0; sasl_sql_list != NULL && sasl_sql_list[i] != NULL &&
		    n + 1 < sizeof(sasl_extra) / sizeof(sasl_extra[0]); i++)
			sasl_extra[n++] = sasl_sql_list[i];
	}
	sasl_extra[n] = NULL;
	o->extra = sasl_extra;
	o->log_cb = sasl_log_cb;
	*errstr_r = err;
	return r;
}

static void
startup_sasl(void)
{
	struct sasl_opts o;
	const char *err;

	if (sasl_opts_from_cfg(cfg, &o, &err) == -1)
		fatal("sasl_sql: %s", err);
	if (sasl_module_init(&o, &err) == -1)
		fatal("SASL: %s", err);
	conn_sasl_free_hook = sasl_free_hook;
}

/* Whether the store opened degraded (read-only): see store.h. */
static bool
store_degraded(void)
{
	return srv->store != NULL &&
	    store_write_state(srv->store) != STORE_OK;
}

/*
 * An admin-password file already there when a new password is due.  One
 * that a previous first start wrote (its account was removed since) is a
 * regular file of acapd's user with no group or other permissions: it is
 * replaced.  Anything else was not written by acapd and acapd refuses to
 * start rather than put a password near it.  Returns 0 when path is free.
 */
static int
admin_password_free(const char *path, char *why, size_t whylen)
{
	char owner[96];
	struct stat st;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode))
		fatal("bootstrap admin: %s exists and is not a regular file "
		    "(a symbolic link, a directory...): acapd did not create "
		    "it and does not write a password there; remove it and "
		    "start acapd again", path);
	if (!owned_by_acapd(st.st_uid))
		fatal("bootstrap admin: %s exists and belongs to %s: acapd "
		    "did not create it and does not write a password there; "
		    "remove it and start acapd again", path,
		    uid_name(st.st_uid, owner, sizeof(owner)));
	if ((st.st_mode & 077) != 0)
		fatal("bootstrap admin: %s exists with mode %04o, not 0600: "
		    "acapd did not create it and does not write a password "
		    "there; remove it and start acapd again", path,
		    (unsigned)(st.st_mode & 07777));
	/* a fresh file below, never the old inode */
	if (unlink(path) == -1) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	log_info("replacing %s, left by an earlier first start", path);
	return 0;
}

/*
 * Write pass into a new file path, mode 0600 whatever the umask.  Returns
 * 0, or -1 with why set and no file left.
 */
static int
admin_password_write(const char *path, const char *pass, char *why,
    size_t whylen)
{
	size_t len = strlen(pass);
	int fd, e = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	errno = 0;
	if (fchmod(fd, 0600) == -1 || write(fd, pass, len) != (ssize_t)len ||
	    write(fd, "\n", 1) != 1 || fsync(fd) == -1)
		e = errno != 0 ? errno : EIO;
	if (close(fd) == -1 && e == 0)
		e = errno;
	if (e != 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(e));
		unlink(path);
		return -1;
	}
	return 0;
}

/* How long the first start waits for acapctl's write of the sasldb. */
#define BOOTSTRAP_LOCK_WAIT_MS	60000

/*
 * First start: an admin account with a generated password.  The password
 * file is written first, so that a full disk never leaves an account
 * whose password nobody knows.  On a degraded (read-only) start a failure
 * is logged, not fatal: the account is created at the next start.
 */
static void
startup_bootstrap_admin(void)
{
	char path[1024], pass[64], why[1200];
	const char *err;
	int r, lockfd = -1;

	if (cfg->bootstrap_admin[0] == '\0')
		return;
	if ((r = sasl_module_user_exists(cfg->bootstrap_admin, &err)) == 1)
		return;
	if (r == -1)
		fatal("bootstrap admin: %s", err);
	/* acapctl may be adding accounts already: without the writers'
	 * lock its copy of the file, renamed over it, would drop this one
	 * (and with it, the check above is made again under the lock) */
	if (sasl_module_sasldb_path() != NULL) {
		if ((lockfd = sasl_module_sasldb_lock(BOOTSTRAP_LOCK_WAIT_MS,
		    &err)) == -1) {
			snprintf(why, sizeof(why), "%s", err);
			goto fail;
		}
		if ((r = sasl_module_user_exists(cfg->bootstrap_admin,
		    &err)) == 1)
			goto out;
		if (r == -1)
			fatal("bootstrap admin: %s", err);
	}
	snprintf(path, sizeof(path), "%s/admin-password", cfg->statedir);
	if (admin_password_free(path, why, sizeof(why)) == -1)
		goto fail;
	if (tls_random_password(pass, sizeof(pass)) == -1)
		fatal("bootstrap admin: cannot generate a password");
	if (admin_password_write(path, pass, why, sizeof(why)) == -1)
		goto fail;
	if (sasl_module_setpass(cfg->bootstrap_admin, pass, strlen(pass),
	    SASL_PW_CREATE, &err) == -1) {
		snprintf(why, sizeof(why), "%s", err);
		unlink(path);
		goto fail;
	}
	explicit_bzero(pass, sizeof(pass));
	log_info("created admin account \"%s\"; its password is in %s "
	    "(readable by its owner only)", cfg->bootstrap_admin, path);
	fprintf(stderr,
	    "\nacapd: first start: admin account \"%s\" created.\n"
	    "       Password: %s (mode 0600)\n"
	    "       Log in:   acapctl -u %s --password-file %s ...\n\n",
	    cfg->bootstrap_admin, path, cfg->bootstrap_admin, path);
	goto out;
fail:
	explicit_bzero(pass, sizeof(pass));
	if (!store_degraded())
		fatal("bootstrap admin: %s", why);
	log_err("bootstrap admin \"%s\" not created (%s): the database is "
	    "read-only; it is created at the next start",
	    cfg->bootstrap_admin, why);
out:
	if (lockfd != -1)
		close(lockfd);		/* releases the writers' lock */
}

void
startup_open(void)
{
	static const struct conn_handlers handlers = {
		.command = commands_dispatch,
		.sasl_line = commands_sasl_line,
		.sasl_abort = commands_sasl_abort,
		.tls_ready = session_tls_ready,
		.greeting = greeting_send,
	};

	conn_set_handlers(&handlers);
	startup_store();
	startup_tls();
	startup_sasl();
	startup_bootstrap_admin();
}

static struct event *maintain_ev;
static struct event *retry_ev;
/* PostgreSQL: the other nodes' commits (store_peer_poll()) */
static struct event *peer_ev, *peer_timer;
static int peer_fd = -1;

static void
maintain_cb(evutil_socket_t fd, short what, void *arg)
{
	enum store_err err;

	(void)fd;
	(void)what;
	(void)arg;
	if ((err = store_maintain(srv->store)) != STORE_OK)
		log_warn("store maintenance: %s", store_err_text(err));
}

/*
 * The walls of an older provisioning (upgrade.h), then, with seed_site
 * on, the site layer of a new database.  Waits, with a warning, while the
 * database is read-only; fatal otherwise at start-up.
 */
static void
startup_seed(bool at_start)
{
	char host[256];
	const char *err;

	switch (upgrade_walls(srv->store, cfg->managed_classes, &err)) {
	case 1:
		log_info("walls between tenants: registries, organisation "
		    "and device layers of an older provisioning upgraded");
		break;
	case -1:
		if (at_start && !store_degraded())
			fatal("upgrading the ACLs of the provisioning: %s",
			    err);
		log_warn("ACLs of the provisioning not upgraded (%s): "
		    "retried once writes work", err);
		break;
	}
	if (!cfg->seed_site)
		return;
	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	if (seed_site(srv->store, host, &err) == 0)
		return;
	if (store_degraded())
		log_warn("site layer not seeded (%s): the database is "
		    "read-only; it is seeded once writes work again", err);
	else if (at_start)
		fatal("seeding the site layer: %s", err);
	else
		log_err("seeding the site layer: %s", err);
}

/* Degraded start: check every STORE_RETRY_SECONDS whether writes work. */
static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	enum store_err err;

	(void)fd;
	(void)what;
	(void)arg;
	err = store_retry_writes(srv->store);
	if (err == STORE_EFULL || err == STORE_EROFS) {
		log_debug("database %s still cannot be written: %s",
		    cfg->database, store_last_error(srv->store));
		return;
	}
	if (err != STORE_OK) {
		log_warn("database %s: checking for writes: %s", cfg->database,
		    store_last_error(srv->store));
		return;
	}
	event_del(retry_ev);
	log_info("database %s takes writes again: read-only mode ended",
	    cfg->database);
	startup_seed(false);
}

/*
 * The database did not exist and cannot be created: remove what this
 * attempt left (an empty file, a WAL or its index), so that the next start
 * creates it afresh, and name the cause an operator can act on.
 */
static const char *const db_suffix[] = { "", "-wal", "-shm", "-journal" };
#define DB_FILES (sizeof(db_suffix) / sizeof(db_suffix[0]))

static void __attribute__((noreturn))
startup_create_failed(const bool existed[DB_FILES], const char *err)
{
	char path[4096], dir[4096], *slash;
	const char *why = "";
	struct statvfs sv;
	size_t i;

	for (i = 0; i < DB_FILES; i++) {
		snprintf(path, sizeof(path), "%s%s", cfg->database,
		    db_suffix[i]);
		if (!existed[i])
			unlink(path);
	}
	snprintf(dir, sizeof(dir), "%s", cfg->database);
	if ((slash = strrchr(dir, '/')) != NULL)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	if (statvfs(dir, &sv) == 0) {
		if (sv.f_flag & ST_RDONLY)
			why = "the file system is read-only";
		/* as store-stmt.c's st_write_refusal(): a few blocks may be left */
		else if ((geteuid() == 0 ? sv.f_bfree : sv.f_bavail) *
		    (unsigned long long)sv.f_frsize < 1048576)
			why = "the file system is full (no space left)";
	}
	fatal("database %s cannot be created: %s%s%s; nothing was left "
	    "behind, start acapd again once %s is writable", cfg->database,
	    err, why[0] != '\0' ? "; " : "", why, dir);
}

/*
 * Existing database files become 0600, whatever an earlier version or an
 * operator left: the data is the users' settings.  New ones are 0600 by
 * main()'s umask, and SQLite gives the -wal and -shm the mode of the
 * database.  A file that cannot be changed (read-only mount) is a warning:
 * the degraded start still serves reads.  Runs before store_open(): closing
 * a descriptor of the database would drop SQLite's POSIX locks on it.
 */
static void
startup_db_private(void)
{
	char path[4096];
	struct stat st;
	size_t i;
	int fd;

	for (i = 0; i < DB_FILES; i++) {
		snprintf(path, sizeof(path), "%s%s", cfg->database,
		    db_suffix[i]);
		fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (fd == -1) {
			if (errno != ENOENT)
				log_warn("database file %s: %s", path,
				    strerror(errno));
			continue;
		}
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    (st.st_mode & 07777) != 0600) {
			if (fchmod(fd, 0600) == -1)
				log_warn("cannot make %s private (mode %04o): "
				    "%s", path, (unsigned)(st.st_mode & 07777),
				    strerror(errno));
			else
				log_info("%s: mode %04o changed to 0600",
				    path, (unsigned)(st.st_mode & 07777));
		}
		close(fd);
	}
}

/* exit() before startup_close(): close the database (its memory freed). */
static void
store_at_exit(void)
{
	if (srv->store != NULL)
		store_free(&srv->store);
}

static void peer_cb(evutil_socket_t fd, short what, void *arg);

/* Watch the store's change-feed descriptor, which changes on reconnect. */
static void
peer_watch(void)
{
	int fd = store_peer_fd(srv->store);

	if (fd == peer_fd)
		return;
	if (peer_ev != NULL)
		event_free(peer_ev);
	peer_ev = NULL;
	peer_fd = fd;
	if (fd >= 0 && ((peer_ev = event_new(srv->base, fd, EV_READ |
	    EV_PERSIST, peer_cb, NULL)) == NULL || event_add(peer_ev,
	    NULL) == -1))
		fatal("cannot watch the PostgreSQL change feed");
}

static void
peer_cb(evutil_socket_t fd, short what, void *arg)
{
	const char *note;

	(void)fd;
	(void)what;
	(void)arg;
	if ((note = store_peer_poll(srv->store)) != NULL)
		log_warn("%s", note);
	peer_watch();
}

static void
startup_store(void)
{
	static const struct timeval hour = { 3600, 0 };
	static const struct timeval retry = { STORE_RETRY_SECONDS, 0 };
	struct store_config sc;
	bool existed[DB_FILES];
	char path[4096];
	const char *err;
	size_t i;

	memset(&sc, 0, sizeof(sc));
	sc.path = cfg->database;
	sc.integrity_check = cfg->integrity_check;
	sc.quota_bytes = cfg->quota;
	sc.deleted_retention = cfg->tombstone_days * 86400u;
	sc.cache_datasets = cfg->cache_datasets;
	sc.view = &inherit_store_view_ops;
	sc.audit = cfg->audit;
	sc.audit_retention = cfg->audit_retention;
	sc.audit_secret = cfg->audit_secret;
	for (i = 0; i < DB_FILES; i++) {
		snprintf(path, sizeof(path), "%s%s", cfg->database,
		    db_suffix[i]);
		existed[i] = store_database_remote(cfg->database) ||
		    access(path, F_OK) == 0;
	}
	if (!store_database_remote(cfg->database))
		startup_db_private();
	if (store_open(&sc, &srv->store, &err) == -1) {
		if (!existed[0])
			startup_create_failed(existed, err);
		fatal("database %s: %s", cfg->database, err);
	}
	/* a fatal() later in start-up still closes the database cleanly */
	atexit(store_at_exit);
	if (store_degraded()) {
		/* reads and logins work; STOREs get NO (TRYLATER) */
		log_err("database %s cannot be written: %s; starting "
		    "read-only: STOREs are refused until writes work again "
		    "(checked every %d s)", cfg->database,
		    store_last_error(srv->store), STORE_RETRY_SECONDS);
		if ((retry_ev = event_new(srv->base, -1, EV_PERSIST, retry_cb,
		    NULL)) == NULL || event_add(retry_ev, &retry) == -1)
			fatal("cannot schedule the database write check");
	} else
		log_info("database %s open", cfg->database);
	if (store_database_remote(cfg->database)) {
		/* other nodes' commits: on input, and polled (reconnects) */
		static const struct timeval tick = { 0, 100000 };

		peer_watch();
		if ((peer_timer = event_new(srv->base, -1, EV_PERSIST,
		    peer_cb, NULL)) == NULL || event_add(peer_timer,
		    &tick) == -1)
			fatal("cannot schedule the PostgreSQL change feed");
	}
	startup_seed(true);
	context_init(srv->store);
	/* Prune the DELETEDSINCE log every hour, not only at start-up. */
	if ((maintain_ev = event_new(srv->base, -1, EV_PERSIST, maintain_cb,
	    NULL)) == NULL || event_add(maintain_ev, &hour) == -1)
		fatal("cannot schedule store maintenance");
}

static void
tls_opts_from_cfg(const struct config *c, struct tls_opts *o)
{
	tls_opts_init(o);
	o->cert_file = c->tls_cert;
	o->key_file = c->tls_key;
	o->ca_file = c->tls_ca[0] != '\0' ? c->tls_ca : NULL;
	o->min_protocol = c->tls_min_protocol;
	o->ciphers = c->tls_ciphers[0] != '\0' ? c->tls_ciphers : NULL;
	o->ciphersuites = c->tls_ciphersuites[0] != '\0' ?
	    c->tls_ciphersuites : NULL;
}

static void
startup_tls(void)
{
	struct tls_opts o;
	const char *err;

	if (cfg->tls_cert[0] == '\0') {
		log_warn("no tls_cert configured: STARTTLS is not offered");
		return;
	}
	if (cfg->tls_generate && access(cfg->tls_cert, F_OK) == -1 &&
	    access(cfg->tls_key, F_OK) == -1) {
		char host[256];

		if (gethostname(host, sizeof(host)) == -1)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		if (tls_selfsigned_create(cfg->tls_cert, cfg->tls_key, host,
		    TLS_KEY_EC_P256, &err) == -1)
			fatal("self-signed certificate: %s", err);
		log_info("created a self-signed certificate %s for %s",
		    cfg->tls_cert, host);
	}
	tls_opts_from_cfg(cfg, &o);
	if (tls_ctx_new(&o, &srv->tls, &err) == -1)
		fatal("TLS: %s", err);
}

/* Files created while root belong to the unprivileged user. */
static void
chown_statedir(uid_t uid, gid_t gid)
{
	struct dirent *de;
	DIR *d;

	if (chown(cfg->statedir, uid, gid) == -1)
		log_warn("chown %s: %s", cfg->statedir, strerror(errno));
	if ((d = opendir(cfg->statedir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (fchownat(dirfd(d), de->d_name, uid, gid,
		    AT_SYMLINK_NOFOLLOW) == -1)
			log_warn("chown %s/%s: %s", cfg->statedir, de->d_name,
			    strerror(errno));
	}
	closedir(d);
}

void
startup_chown(void)
{
	struct passwd *pw;
	struct group *gr;
	gid_t gid;

	if (cfg->user[0] == '\0' || geteuid() != 0)
		return;
	if ((pw = getpwnam(cfg->user)) == NULL)
		fatal("user %s: no such user", cfg->user);
	gid = pw->pw_gid;
	if (cfg->group[0] != '\0' && (gr = getgrnam(cfg->group)) != NULL)
		gid = gr->gr_gid;
	chown_statedir(pw->pw_uid, gid);
}

int
startup_copy_to(const char *url)
{
	char err[512];

	if (store_database_remote(cfg->database)) {
		log_err("--copy-to: the configured database %s is not a "
		    "SQLite file", cfg->database);
		return 1;
	}
	if (access(cfg->database, R_OK) == -1) {
		log_err("--copy-to: %s: %s", cfg->database, strerror(errno));
		return 1;
	}
	if (store_copy_to(cfg->database, url, err, sizeof(err)) == -1) {
		log_err("--copy-to: %s", err);
		return 1;
	}
	log_info("copied %s into %s", cfg->database, url);
	return 0;
}

void
startup_after_drop(void)
{
	/*
	 * The database and sasldb must be usable by who we are now.  On a
	 * degraded start the database is known not to take writes.
	 */
	if (!store_database_remote(cfg->database) &&
	    access(cfg->database, store_degraded() ? R_OK : R_OK | W_OK) == -1)
		fatal("database %s is not %s after dropping privileges: %s",
		    cfg->database, store_degraded() ? "readable" : "writable",
		    strerror(errno));
	cmd_store_init();	/* the commit thread, as who we are now */
}

void
startup_reload(const struct config *next)
{
	struct sasl_opts so;
	struct tls_opts o;
	const char *err;

	store_set_default_quota(srv->store, next->quota);
	store_set_audit(srv->store, next->audit, next->audit_retention,
	    next->audit_secret);
	/* Admins and the allow_* policies change; mechanisms need a restart. */
	if (sasl_opts_from_cfg(next, &so, &err) == -1)
		log_err("reload: sasl_sql: %s (it needs a restart anyway)",
		    err);
	if (sasl_module_reload(&so) == -1)
		log_err("reload: SASL options not applied");

	if (srv->tls != NULL && next->tls_cert[0] != '\0') {
		tls_opts_from_cfg(next, &o);
		if (tls_ctx_reload(srv->tls, &o, &err) == -1)
			log_err("reload: TLS: %s; keeping the old certificate",
			    err);
		else
			log_info("reload: TLS certificate and key reloaded");
	}
}

void
startup_close(void)
{
	if (srv->tls != NULL)
		tls_ctx_free(&srv->tls);
	if (maintain_ev != NULL)
		event_free(maintain_ev);
	maintain_ev = NULL;
	if (retry_ev != NULL)
		event_free(retry_ev);
	retry_ev = NULL;
	if (peer_ev != NULL)
		event_free(peer_ev);
	peer_ev = NULL;
	peer_fd = -1;
	if (peer_timer != NULL)
		event_free(peer_timer);
	peer_timer = NULL;
	if (srv->store != NULL)
		store_free(&srv->store);
	if (sasl_module_active())
		sasl_module_deinit();
	free_words(&admin_list);
	free(sasl_sql_list);
	sasl_sql_list = NULL;
}

