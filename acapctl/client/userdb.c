/*
 * userdb.c -- sasldb user management for acapctl: checks, file modes and
 * clear errors around libsasl2's sasl_setpass() (through acapd/sasl.c),
 * and listing through sasldblistusers2, since libsasl2 cannot list.
 */
#include "autoconf.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "sasl.h"
#include "tls.h"
#include "userdb.h"
#include "userdb-pg.h"

/* Bound on what we read from sasldblistusers2 (one line per secret). */
#define USERDB_LIST_MAX		(64u * 1024 * 1024)
#define USERDB_NAME_MAX		255

struct userdb {
	bool owns_module;	/* userdb_open() initialised sasl.c */
	char *path;
	char *realm;
	char *lister;		/* NULL: search */
	struct userdb_pg *pg;	/* accounts in PostgreSQL (userdb-pg.c) */
	char err[512];
};

/* One listed user. */
struct userdb_entry {
	char *user;
	char *realm;
};

static char userdb_static_err[512];

static const char *userdb_err(struct userdb *db, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static const char *
userdb_err(struct userdb *db, const char *fmt, ...)
{
	char *buf = db != NULL ? db->err : userdb_static_err;
	size_t size = db != NULL ? sizeof(db->err) : sizeof(userdb_static_err);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return buf;
}

static char *
userdb_xstrdup(const char *s)
{
	char *p;

	if (s == NULL)
		return NULL;
	if ((p = strdup(s)) == NULL)
		abort();	/* out of memory */
	return p;
}

int
userdb_open(const struct sasl_opts *opts, struct userdb **db_r,
    const char **errstr_r)
{
	struct sasl_opts o;
	struct userdb *db;
	const char *err, *path;

	*db_r = NULL;
	if ((db = calloc(1, sizeof(*db))) == NULL)
		abort();
	if (!sasl_module_active()) {
		o = *opts;
		o.pwcheck_method = "auxprop";
		o.auxprop_plugin = "sasldb";
		if (sasl_module_init(&o, &err) == -1) {
			*errstr_r = userdb_err(NULL, "%s", err);
			free(db);
			return -1;
		}
		db->owns_module = true;
	}
	if ((path = sasl_module_sasldb_path()) == NULL) {
		*errstr_r = userdb_err(NULL, "user management needs the "
		    "sasldb auxprop plugin, which this instance does not use");
		userdb_close(&db);
		return -1;
	}
	db->path = userdb_xstrdup(path);
	db->realm = userdb_xstrdup(sasl_module_realm());
	*db_r = db;
	return 0;
}

int
userdb_open_pg(const char *uri, struct userdb **db_r, const char **errstr_r)
{
	struct userdb *db;

	*db_r = NULL;
	if ((db = calloc(1, sizeof(*db))) == NULL)
		abort();
	if (userdb_pg_open(uri, &db->pg, db->err, sizeof(db->err)) == -1) {
		*errstr_r = userdb_err(NULL, "%s", db->err);
		free(db);
		return -1;
	}
	db->path = userdb_xstrdup(userdb_pg_where(db->pg));
	db->realm = userdb_xstrdup("");
	*db_r = db;
	return 0;
}

/* A userdb-pg.c result: its message is in db->err. */
static int
userdb_pg_r(struct userdb *db, int r, const char **errstr_r)
{
	if (r == -1)
		*errstr_r = db->err;
	return r;
}

void
userdb_close(struct userdb **dbp)
{
	struct userdb *db = *dbp;

	if (db == NULL)
		return;
	if (db->owns_module)
		sasl_module_deinit();
	userdb_pg_close(&db->pg);
	free(db->path);
	free(db->realm);
	free(db->lister);
	free(db);
	*dbp = NULL;
}

const char *
userdb_path(const struct userdb *db)
{
	return db->path;
}

const char *
userdb_realm(const struct userdb *db)
{
	return db->realm;
}

void
userdb_set_lister(struct userdb *db, const char *path)
{
	free(db->lister);
	db->lister = userdb_xstrdup(path);
}

int
userdb_random_password(char *buf, size_t size)
{
	return tls_random_password(buf, size);
}

/* Length of the well-formed UTF-8 sequence at s, or 0 (RFC 3629 §4). */
static size_t
userdb_utf8_len(const unsigned char *s)
{
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* No overlong forms, surrogates or code points past U+10FFFF. */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

bool
userdb_name_ok(const char *name, const char **errstr_r)
{
	const unsigned char *p;
	size_t len, n;

	if (name == NULL || (len = strlen(name)) == 0) {
		*errstr_r = userdb_err(NULL, "empty user name");
		return false;
	}
	if (len > USERDB_NAME_MAX) {
		*errstr_r = userdb_err(NULL, "user name longer than %d octets",
		    USERDB_NAME_MAX);
		return false;
	}
	for (p = (const unsigned char *)name; *p != '\0'; p += n) {
		if (*p <= 0x20 || *p == 0x7f) {
			*errstr_r = userdb_err(NULL, "user name \"%s\" "
			    "contains a space or control character", name);
			return false;
		}
		if (*p == '@') {
			*errstr_r = userdb_err(NULL, "user name \"%s\" "
			    "contains '@', which separates the realm", name);
			return false;
		}
		if ((n = userdb_utf8_len(p)) == 0) {
			*errstr_r = userdb_err(NULL, "user name is not valid "
			    "UTF-8");
			return false;
		}
	}
	if (name[0] == '-' || name[0] == '/') {
		/* RFC 2244 §3.5: "-" revokes rights, "/" names groups. */
		*errstr_r = userdb_err(NULL, "user name \"%s\" may not start "
		    "with '%c' (reserved in ACLs)", name, name[0]);
		return false;
	}
	if (strcasecmp(name, "anyone") == 0 ||
	    strcasecmp(name, "anonymous") == 0) {
		*errstr_r = userdb_err(NULL, "user name \"%s\" is reserved",
		    name);
		return false;
	}
	return true;
}

/*
 * Whether the database file exists: 1 yes and readable, 0 no such file,
 * -1 cannot be read (error set on db).  want_write also asks that it can
 * be written.
 */
static int
userdb_file_state(struct userdb *db, bool want_write, const char **errstr_r)
{
	int fd;

	fd = open(db->path, (want_write ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			return 0;
		*errstr_r = userdb_err(db, "cannot %s user database %s: %s",
		    want_write ? "write" : "read", db->path, strerror(errno));
		return -1;
	}
	close(fd);
	return 1;
}

int
userdb_exists(struct userdb *db, const char *user, const char **errstr_r)
{
	const char *err;
	int r;

	if (db->pg != NULL)
		return userdb_pg_r(db, userdb_pg_exists(db->pg, user, db->err,
		    sizeof(db->err)), errstr_r);
	if ((r = userdb_file_state(db, false, errstr_r)) != 1)
		return r;
	if ((r = sasl_module_user_exists(user, &err)) == -1)
		*errstr_r = userdb_err(db, "cannot read user database %s: %s",
		    db->path, err);
	return r;
}

static int
userdb_check_pass(struct userdb *db, const char *pass, const char **errstr_r)
{
	if (pass == NULL || *pass == '\0') {
		*errstr_r = userdb_err(db, "the password must not be empty");
		return -1;
	}
	return 0;
}

/* The directory that will hold path: must be writable to create it. */
static int
userdb_check_dir(struct userdb *db, const char **errstr_r)
{
	char *dir = userdb_xstrdup(db->path), *slash;
	int r = 0;

	if ((slash = strrchr(dir, '/')) == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (access(dir, W_OK | X_OK) == -1) {
		*errstr_r = userdb_err(db, "cannot create user database %s: "
		    "%s: %s", db->path, dir, strerror(errno));
		r = -1;
	}
	free(dir);
	return r;
}

int
userdb_add(struct userdb *db, const char *user, const char *pass,
    const char **errstr_r)
{
	const char *err;
	int state, r;

	if (!userdb_name_ok(user, &err)) {
		*errstr_r = userdb_err(db, "%s", err);
		return -1;
	}
	if (userdb_check_pass(db, pass, errstr_r) == -1)
		return -1;
	if (db->pg != NULL)
		return userdb_pg_r(db, userdb_pg_add(db->pg, user, pass,
		    db->err, sizeof(db->err)), errstr_r);
	if ((state = userdb_file_state(db, true, errstr_r)) == -1)
		return -1;
	if (state == 0 && userdb_check_dir(db, errstr_r) == -1)
		return -1;
	if (state == 1) {
		if ((r = userdb_exists(db, user, errstr_r)) == -1)
			return -1;
		if (r == 1) {
			*errstr_r = userdb_err(db, "user \"%s\" already exists",
			    user);
			return -1;
		}
	}
	/* sasl.c creates a new file mode 0600 (owned as its directory). */
	r = sasl_module_setpass(user, pass, strlen(pass), SASL_PW_CREATE,
	    &err);
	if (r == -1) {
		*errstr_r = userdb_err(db, "cannot add user \"%s\" to %s: %s",
		    user, db->path, err);
		return -1;
	}
	return 0;
}

/* The user must exist for passwd and del. */
static int
userdb_need_user(struct userdb *db, const char *user, const char **errstr_r)
{
	int r;

	if (user == NULL || *user == '\0') {
		*errstr_r = userdb_err(db, "empty user name");
		return -1;
	}
	if ((r = userdb_file_state(db, true, errstr_r)) == -1)
		return -1;
	if (r == 1 && (r = userdb_exists(db, user, errstr_r)) == -1)
		return -1;
	if (r == 0) {
		*errstr_r = userdb_err(db, "no such user \"%s\" in %s", user,
		    db->path);
		return -1;
	}
	return 0;
}

int
userdb_passwd(struct userdb *db, const char *user, const char *pass,
    const char **errstr_r)
{
	const char *err;

	if (db->pg != NULL && userdb_check_pass(db, pass, errstr_r) == 0)
		return userdb_pg_r(db, userdb_pg_passwd(db->pg, user, pass,
		    db->err, sizeof(db->err)), errstr_r);
	if (userdb_check_pass(db, pass, errstr_r) == -1 ||
	    userdb_need_user(db, user, errstr_r) == -1)
		return -1;
	if (sasl_module_setpass(user, pass, strlen(pass), SASL_PW_CHANGE,
	    &err) == -1) {
		*errstr_r = userdb_err(db, "cannot change the password of "
		    "\"%s\": %s", user, err);
		return -1;
	}
	return 0;
}

int
userdb_del(struct userdb *db, const char *user, const char **errstr_r)
{
	const char *err;

	if (db->pg != NULL)
		return userdb_pg_r(db, userdb_pg_del(db->pg, user, db->err,
		    sizeof(db->err)), errstr_r);
	if (userdb_need_user(db, user, errstr_r) == -1)
		return -1;
	if (sasl_module_setpass(user, NULL, 0, SASL_PW_DELETE, &err) == -1) {
		*errstr_r = userdb_err(db, "cannot delete user \"%s\": %s",
		    user, err);
		return -1;
	}
	return 0;
}

/* ---- listing --------------------------------------------------------- */

static const char *
userdb_find_lister(struct userdb *db)
{
	static const char *const places[] = {
		"/usr/sbin/sasldblistusers2",
		"/usr/bin/sasldblistusers2",
		"/usr/local/sbin/sasldblistusers2",
		"/usr/local/bin/sasldblistusers2",
		"/sbin/sasldblistusers2",
		NULL
	};
	size_t i;

	if (db->lister != NULL)
		return access(db->lister, X_OK) == 0 ? db->lister : NULL;
	for (i = 0; places[i] != NULL; i++)
		if (access(places[i], X_OK) == 0)
			return places[i];
	return NULL;
}

/* Append what fd has to *buf; 1 more to come, 0 EOF, -1 error/too much. */
static int
userdb_drain(int fd, char **buf, size_t *len, size_t *cap)
{
	ssize_t n;

	if (*cap - *len < 4096) {
		if (*cap >= USERDB_LIST_MAX)
			return -1;
		*cap = *cap == 0 ? 8192 : *cap * 2;
		if ((*buf = realloc(*buf, *cap + 1)) == NULL)
			abort();
	}
	n = read(fd, *buf + *len, *cap - *len);
	if (n == -1)
		return errno == EINTR || errno == EAGAIN ? 1 : -1;
	if (n == 0)
		return 0;
	*len += (size_t)n;
	return 1;
}

/*
 * Run tool -f path with stdout and stderr captured.  Returns the wait
 * status, or -1 with errno.  *out_r and *err_r are NUL-terminated and
 * malloc'd.
 */
static int
userdb_run(const char *tool, const char *path, char **out_r, char **err_r)
{
	char *const argv[] = { (char *)tool, (char *)"-f", (char *)path, NULL };
	char *const envp[] = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
	    (char *)"LC_ALL=C", NULL };
	size_t olen = 0, ocap = 0, elen = 0, ecap = 0;
	char *obuf = NULL, *ebuf = NULL;
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	struct pollfd pfd[2];
	int status, r, saved;
	pid_t pid;

	if (pipe2(outp, O_CLOEXEC) == -1 || pipe2(errp, O_CLOEXEC) == -1)
		goto fail;
	if ((pid = fork()) == -1)
		goto fail;
	if (pid == 0) {
		if (dup2(outp[1], 1) == -1 || dup2(errp[1], 2) == -1)
			_exit(127);
		execve(tool, argv, envp);
		_exit(127);
	}
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;
	pfd[0].fd = outp[0];
	pfd[1].fd = errp[0];
	pfd[0].events = pfd[1].events = POLLIN;
	while (pfd[0].fd != -1 || pfd[1].fd != -1) {
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents != 0) {
			r = userdb_drain(pfd[0].fd, &obuf, &olen, &ocap);
			if (r <= 0)
				pfd[0].fd = -1;
			if (r == -1)
				kill(pid, SIGTERM);
		}
		if (pfd[1].revents != 0) {
			r = userdb_drain(pfd[1].fd, &ebuf, &elen, &ecap);
			if (r <= 0)
				pfd[1].fd = -1;
		}
	}
	close(outp[0]);
	close(errp[0]);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			goto fail_nopipes;
	if (obuf == NULL && (obuf = malloc(1)) == NULL)
		abort();
	if (ebuf == NULL && (ebuf = malloc(1)) == NULL)
		abort();
	obuf[olen] = '\0';
	ebuf[elen] = '\0';
	*out_r = obuf;
	*err_r = ebuf;
	return status;
fail:
	saved = errno;
	if (outp[0] != -1)
		close(outp[0]);
	if (outp[1] != -1)
		close(outp[1]);
	if (errp[0] != -1)
		close(errp[0]);
	if (errp[1] != -1)
		close(errp[1]);
	errno = saved;
fail_nopipes:
	free(obuf);
	free(ebuf);
	return -1;
}

static int
userdb_entry_cmp(const void *a, const void *b)
{
	const struct userdb_entry *x = a, *y = b;
	int c;

	if ((c = strcmp(x->user, y->user)) != 0)
		return c;
	return strcmp(x->realm, y->realm);
}

/*
 * Parse "authid@realm: property" lines into unique entries.  The property
 * never holds ": "; the realm never holds '@', so split at the last ones.
 */
static size_t
userdb_parse(char *out, struct userdb_entry **entries_r)
{
	struct userdb_entry *v = NULL;
	size_t n = 0, cap = 0, i, j;
	char *line, *save = NULL, *colon, *at, *p;

	for (line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		colon = NULL;
		for (p = line; (p = strstr(p, ": ")) != NULL; p++)
			colon = p;
		if (colon == NULL)
			continue;
		*colon = '\0';
		at = strrchr(line, '@');
		if (at != NULL)
			*at = '\0';
		if (*line == '\0')
			continue;
		if (n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if ((v = realloc(v, cap * sizeof(*v))) == NULL)
				abort();
		}
		v[n].user = line;
		v[n].realm = at != NULL ? at + 1 : (char *)"";
		n++;
	}
	if (n > 0)
		qsort(v, n, sizeof(*v), userdb_entry_cmp);
	for (i = j = 0; i < n; i++)
		if (j == 0 || userdb_entry_cmp(&v[j - 1], &v[i]) != 0)
			v[j++] = v[i];
	*entries_r = v;
	return j;
}

int
userdb_list(struct userdb *db,
    void (*cb)(const char *user, const char *realm, void *arg), void *arg,
    const char **errstr_r)
{
	struct userdb_entry *entries = NULL;
	char *out = NULL, *err = NULL, *nl;
	const char *tool;
	size_t n, i;
	int state, status;

	if (db->pg != NULL)
		return userdb_pg_r(db, userdb_pg_list(db->pg, cb, arg, db->err,
		    sizeof(db->err)), errstr_r);
	if ((state = userdb_file_state(db, false, errstr_r)) != 1)
		return state;		/* 0: no file, no users */
	if ((tool = userdb_find_lister(db)) == NULL) {
		*errstr_r = userdb_err(db, "cannot list users: %s not found "
		    "(install the sasl2-bin package)", db->lister != NULL ?
		    db->lister : "sasldblistusers2");
		return -1;
	}
	if ((status = userdb_run(tool, db->path, &out, &err)) == -1) {
		*errstr_r = userdb_err(db, "cannot run %s: %s", tool,
		    strerror(errno));
		return -1;
	}
	/* sasldblistusers2 exits 0 even when it fails; it says so on
	 * stderr ("listusers failed"), so any complaint is an error. */
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || *err != '\0') {
		if ((nl = strchr(err, '\n')) != NULL)
			*nl = '\0';
		*errstr_r = userdb_err(db, "cannot list users in %s: %s %s",
		    db->path, tool, *err != '\0' ? err : WIFEXITED(status) ?
		    "failed" : "was killed");
		free(out);
		free(err);
		return -1;
	}
	n = userdb_parse(out, &entries);
	for (i = 0; i < n; i++)
		cb(entries[i].user, entries[i].realm, arg);
	free(entries);
	free(out);
	free(err);
	return 0;
}
