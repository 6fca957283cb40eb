/*
 * userdb.c -- sasldb user management for acapctl: checks, file modes and
 * clear errors around libsasl2's sasl_setpass() (through acapd/sasl.c),
 * and listing through sasldblistusers2, since libsasl2 cannot list.
 */
#include "autoconf.h"

#include <sys/file.h>
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
#include <time.h>
#include <unistd.h>

#include "sasl.h"
#include "tls.h"
#include "userdb.h"
#include "userdb-pg.h"

/* Bound on what we read from sasldblistusers2 (one line per secret). */
#define USERDB_LIST_MAX		(64u * 1024 * 1024)
#define USERDB_NAME_MAX		255
/* As acapd/sasl.c's SASL_MAX_PASSWORD. */
#define USERDB_PASS_MAX		1024
/* How long a writer waits for another one before giving up. */
#define USERDB_LOCK_WAIT_MS	60000

struct userdb {
	bool owns_module;	/* userdb_open() initialised sasl.c */
	char *path;
	char *realm;
	char *lister;		/* NULL: search */
	char *loader;		/* NULL: search */
	char *wpath;		/* <path>.new: the copy a writer changes */
	bool wactive;		/* under the lock: reads and writes go to wpath */
	bool wfailed;		/* a nested write failed: wpath is dropped */
	int lockfd;		/* -1: not locked */
	unsigned lockdepth;	/* nested userdb_lock() calls */
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
	db->lockfd = -1;
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
	if (asprintf(&db->wpath, "%s.new", path) == -1)
		abort();
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
	db->lockfd = -1;
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
	if (db->lockfd != -1)
		close(db->lockfd);
	if (db->owns_module)
		sasl_module_deinit();
	if (db->wactive) {
		sasl_module_redirect_sasldb(NULL);
		unlink(db->wpath);
	}
	free(db->wpath);
	userdb_pg_close(&db->pg);
	free(db->path);
	free(db->realm);
	free(db->lister);
	free(db->loader);
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

void
userdb_set_loader(struct userdb *db, const char *path)
{
	free(db->loader);
	db->loader = userdb_xstrdup(path);
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

/* The file this process reads and writes now: the copy under the lock. */
static const char *
userdb_file(const struct userdb *db)
{
	return db->wactive ? db->wpath : db->path;
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

	fd = open(userdb_file(db), (want_write ? O_RDWR : O_RDONLY) |
	    O_CLOEXEC);
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

/*
 * Copy-on-write.  acapd (libsasl2's sasldb plugin) opens the file for
 * each lookup and reads it without a lock, and Berkeley DB without an
 * environment updates pages in place: a lookup during a write can read
 * a half-written page and fail for a user who exists (seen: one CRAM-MD5
 * authentication in about 1,700 failed while accounts were added).  So
 * a writer, under the lock, copies the file to <path>.new (same owner
 * and mode), sends its reads and writes there, and at the end fsyncs the
 * copy and renames it over the file: a reader opens the old database or
 * the new one, each whole, and a writer killed midway leaves the old
 * file as it was.  Without a file yet, libsasl2 creates <path>.new.
 */
static int
userdb_copy(struct userdb *db, const char **errstr_r)
{
	char buf[65536];
	struct stat st;
	ssize_t n, w, off;
	int in, out = -1;

	if (unlink(db->wpath) == -1 && errno != ENOENT) {
		*errstr_r = userdb_err(db, "cannot remove %s: %s", db->wpath,
		    strerror(errno));
		return -1;
	}
	if ((in = open(db->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		if (errno != ENOENT) {
			*errstr_r = userdb_err(db, "cannot read user database "
			    "%s: %s", db->path, strerror(errno));
			return -1;
		}
		goto redirect;		/* a new file: libsasl2 makes it */
	}
	if (fstat(in, &st) == -1 ||
	    (out = open(db->wpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) == -1) {
		*errstr_r = userdb_err(db, "cannot copy user database %s to "
		    "%s: %s", db->path, db->wpath, strerror(errno));
		goto fail;
	}
	if ((st.st_uid != geteuid() || st.st_gid != getegid()) &&
	    fchown(out, st.st_uid, st.st_gid) == -1) {
		*errstr_r = userdb_err(db, "cannot give the new copy of %s "
		    "the owner of the file: %s", db->path, strerror(errno));
		goto fail;
	}
	if (fchmod(out, st.st_mode & 07777) == -1) {
		*errstr_r = userdb_err(db, "cannot give %s the mode of %s: %s",
		    db->wpath, db->path, strerror(errno));
		goto fail;
	}
	for (;;) {
		if ((n = read(in, buf, sizeof(buf))) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (n == 0)
			break;
		for (off = 0; off < n; off += w)
			if ((w = write(out, buf + off, (size_t)(n - off))) ==
			    -1) {
				if (errno == EINTR) {
					w = 0;
					continue;
				}
				n = -1;
				break;
			}
		if (n == -1)
			break;
	}
	if (n == -1) {
		*errstr_r = userdb_err(db, "cannot copy user database %s to "
		    "%s: %s", db->path, db->wpath, strerror(errno));
		goto fail;
	}
	close(in);
	if (close(out) == -1) {
		out = -1;
		in = -1;
		*errstr_r = userdb_err(db, "cannot copy user database %s to "
		    "%s: %s", db->path, db->wpath, strerror(errno));
		goto fail;
	}
	in = out = -1;
redirect:
	if (sasl_module_redirect_sasldb(db->wpath) == -1) {
		*errstr_r = userdb_err(db, "cannot redirect the user database "
		    "writes to %s", db->wpath);
		goto fail;
	}
	db->wactive = true;
	db->wfailed = false;
	return 0;
fail:
	if (in != -1)
		close(in);
	if (out != -1)
		close(out);
	unlink(db->wpath);
	return -1;
}

/* The end of a write: rename the copy over the file, or drop it. */
static int
userdb_publish(struct userdb *db, bool ok, const char **errstr_r)
{
	char *dir;
	int fd, r = 0;

	db->wactive = false;
	sasl_module_redirect_sasldb(NULL);
	if (!ok) {
		unlink(db->wpath);
		return 0;
	}
	if ((fd = open(db->wpath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		if (errno == ENOENT)
			return 0;	/* nothing was written */
		*errstr_r = userdb_err(db, "cannot open %s: %s", db->wpath,
		    strerror(errno));
		unlink(db->wpath);
		return -1;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		*errstr_r = userdb_err(db, "cannot write %s: %s", db->wpath,
		    strerror(errno));
		unlink(db->wpath);
		return -1;
	}
	if (rename(db->wpath, db->path) == -1) {
		*errstr_r = userdb_err(db, "cannot replace %s with %s: %s",
		    db->path, db->wpath, strerror(errno));
		unlink(db->wpath);
		return -1;
	}
	/* the rename itself survives a crash once the directory is synced */
	dir = sasl_path_dir(db->path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fsync(fd) == -1) {
		*errstr_r = userdb_err(db, "cannot sync directory %s: %s", dir,
		    strerror(errno));
		r = -1;
	}
	if (fd != -1)
		close(fd);
	free(dir);
	return r;
}

/*
 * The writers' lock.  Berkeley DB without an environment (how sasldb opens
 * its file) has no locking of its own: two processes that each open the
 * file, put a record and close it write back their own copies of the
 * pages, and one process's new record is gone -- without an error.  So
 * every writer holds an exclusive flock(2) on <path>.lock from before it
 * looks at the database until it has read its change back.
 */
int
userdb_lock(struct userdb *db, const char **errstr_r)
{
	const char *err;
	int fd;

	if (db->lockdepth > 0) {
		db->lockdepth++;
		return 0;
	}
	if ((fd = sasl_module_sasldb_lock(USERDB_LOCK_WAIT_MS, &err)) == -1) {
		*errstr_r = userdb_err(db, "%s", err);
		return -1;
	}
	db->lockfd = fd;
	db->lockdepth = 1;
	if (userdb_copy(db, errstr_r) == -1) {
		db->lockdepth = 0;
		db->lockfd = -1;
		close(fd);
		return -1;
	}
	return 0;
}

int
userdb_unlock(struct userdb *db, bool publish, const char **errstr_r)
{
	const char *dummy;
	int r = 0;

	if (errstr_r == NULL)
		errstr_r = &dummy;
	if (!publish)
		db->wfailed = true;
	if (db->lockdepth == 0 || --db->lockdepth > 0)
		return 0;
	if (db->wactive)
		r = userdb_publish(db, !db->wfailed, errstr_r);
	db->wfailed = false;
	if (db->lockfd != -1) {
		close(db->lockfd);	/* releases the flock */
		db->lockfd = -1;
	}
	return r;
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
	char *dir = sasl_path_dir(db->path);
	int r = 0;

	if (access(dir, W_OK | X_OK) == -1) {
		*errstr_r = userdb_err(db, "cannot create user database %s: "
		    "%s: %s", db->path, dir, strerror(errno));
		r = -1;
	}
	free(dir);
	return r;
}

/* Read back what a write did: want 1 (the user is there) or 0 (gone). */
static int
userdb_verify(struct userdb *db, const char *user, int want,
    const char **errstr_r)
{
	const char *err;
	int r;

	if ((r = sasl_module_user_exists(user, &err)) == -1) {
		*errstr_r = userdb_err(db, "cannot read back user \"%s\" "
		    "from %s: %s", user, db->path, err);
		return -1;
	}
	if (r != want) {
		*errstr_r = userdb_err(db, "user \"%s\" is %s in %s after "
		    "the write reported success", user, want ? "missing" :
		    "still present", db->path);
		return -1;
	}
	return 0;
}

static int
userdb_add_locked(struct userdb *db, const char *user, const char *pass,
    const char **errstr_r)
{
	const char *err;
	int state, r;

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
	return userdb_verify(db, user, 1, errstr_r);
}

int
userdb_add(struct userdb *db, const char *user, const char *pass,
    const char **errstr_r)
{
	const char *err;
	int r;

	if (!userdb_name_ok(user, &err)) {
		*errstr_r = userdb_err(db, "%s", err);
		return -1;
	}
	if (userdb_check_pass(db, pass, errstr_r) == -1)
		return -1;
	if (db->pg != NULL)
		return userdb_pg_r(db, userdb_pg_add(db->pg, user, pass,
		    db->err, sizeof(db->err)), errstr_r);
	if (userdb_lock(db, errstr_r) == -1)
		return -1;
	r = userdb_add_locked(db, user, pass, errstr_r);
	if (userdb_unlock(db, r == 0, errstr_r) == -1)
		r = -1;
	return r;
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
	int r = -1;

	if (db->pg != NULL && userdb_check_pass(db, pass, errstr_r) == 0)
		return userdb_pg_r(db, userdb_pg_passwd(db->pg, user, pass,
		    db->err, sizeof(db->err)), errstr_r);
	if (userdb_check_pass(db, pass, errstr_r) == -1 ||
	    userdb_lock(db, errstr_r) == -1)
		return -1;
	if (userdb_need_user(db, user, errstr_r) == -1)
		goto out;
	if (sasl_module_setpass(user, pass, strlen(pass), SASL_PW_CHANGE,
	    &err) == -1) {
		*errstr_r = userdb_err(db, "cannot change the password of "
		    "\"%s\": %s", user, err);
		goto out;
	}
	r = userdb_verify(db, user, 1, errstr_r);
out:
	if (userdb_unlock(db, r == 0, errstr_r) == -1)
		r = -1;
	return r;
}

int
userdb_del(struct userdb *db, const char *user, const char **errstr_r)
{
	const char *err;
	int r = -1;

	if (db->pg != NULL)
		return userdb_pg_r(db, userdb_pg_del(db->pg, user, db->err,
		    sizeof(db->err)), errstr_r);
	if (userdb_lock(db, errstr_r) == -1)
		return -1;
	if (userdb_need_user(db, user, errstr_r) == -1)
		goto out;
	if (sasl_module_setpass(user, NULL, 0, SASL_PW_DELETE, &err) == -1) {
		*errstr_r = userdb_err(db, "cannot delete user \"%s\": %s",
		    user, err);
		goto out;
	}
	r = userdb_verify(db, user, 0, errstr_r);
out:
	if (userdb_unlock(db, r == 0, errstr_r) == -1)
		r = -1;
	return r;
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
	if ((status = userdb_run(tool, userdb_file(db), &out, &err)) == -1) {
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

/* ---- bulk add ------------------------------------------------------- */

static const char *
userdb_find_loader(struct userdb *db)
{
	static const char *const places[] = {
		"/usr/bin/db5.3_load",
		"/usr/bin/db_load",
		"/usr/local/bin/db5.3_load",
		"/usr/local/bin/db_load",
		NULL
	};
	size_t i;

	if (db->loader != NULL)
		return access(db->loader, X_OK) == 0 ? db->loader : NULL;
	for (i = 0; places[i] != NULL; i++)
		if (access(places[i], X_OK) == 0)
			return places[i];
	return NULL;
}

/* The names listed in our realm, sorted. */
struct userdb_names {
	const char *realm;
	char **v;
	size_t n, cap;
};

static void
userdb_names_cb(const char *user, const char *realm, void *arg)
{
	struct userdb_names *nm = arg;

	if (strcmp(realm, nm->realm) != 0)
		return;
	if (nm->n == nm->cap) {
		nm->cap = nm->cap == 0 ? 256 : nm->cap * 2;
		if ((nm->v = realloc(nm->v, nm->cap * sizeof(*nm->v))) == NULL)
			abort();
	}
	nm->v[nm->n++] = userdb_xstrdup(user);
}

static int
userdb_strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
userdb_names_has(const struct userdb_names *nm, const char *user)
{
	return nm->n > 0 && bsearch(&user, nm->v, nm->n, sizeof(*nm->v),
	    userdb_strp_cmp) != NULL;
}

static void
userdb_names_free(struct userdb_names *nm)
{
	size_t i;

	for (i = 0; i < nm->n; i++)
		free(nm->v[i]);
	free(nm->v);
	nm->v = NULL;
	nm->n = nm->cap = 0;
}

/* Listing of the users in db's realm, sorted (by userdb_list()). */
static int
userdb_names_read(struct userdb *db, struct userdb_names *nm,
    const char **errstr_r)
{
	nm->realm = db->realm != NULL ? db->realm : "";
	if (userdb_list(db, userdb_names_cb, nm, errstr_r) == -1) {
		userdb_names_free(nm);
		return -1;
	}
	return 0;
}

/* One octet string in db_load -T form: only letters and digits as they
 * are, everything else as a backslash and two hex digits. */
static void
userdb_load_put(FILE *f, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i;

	for (i = 0; i < len; i++) {
		if ((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' &&
		    p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z'))
			putc(p[i], f);
		else {
			putc('\\', f);
			putc(hex[p[i] >> 4], f);
			putc(hex[p[i] & 15], f);
		}
	}
}

/*
 * Write the records of users[i] with todo[i] set through "tool -T -t
 * hash path" in one open of the database.  The key is sasldb's:
 * user NUL realm NUL "userPassword", the value the password, as
 * sasl_setpass() stores it with this instance's mechanisms.
 */
static int
userdb_load(struct userdb *db, const char *tool, size_t n,
    const char *const *users, const char *const *passes,
    const unsigned char *todo, const char **errstr_r)
{
	char *const argv[] = { (char *)tool, (char *)"-T", (char *)"-t",
	    (char *)"hash", (char *)userdb_file(db), NULL };
	char *const envp[] = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
	    (char *)"LC_ALL=C", NULL };
	static const char prop[] = "userPassword";
	const char *realm = db->realm != NULL ? db->realm : "";
	void (*oldpipe)(int);
	char ebuf[256], *nl;
	int inp[2], status, werr = 0;
	FILE *errf, *in;
	size_t i, elen;
	pid_t pid;

	if ((errf = tmpfile()) == NULL) {
		*errstr_r = userdb_err(db, "cannot run %s: tmpfile: %s", tool,
		    strerror(errno));
		return -1;
	}
	if (pipe2(inp, O_CLOEXEC) == -1) {
		*errstr_r = userdb_err(db, "cannot run %s: %s", tool,
		    strerror(errno));
		fclose(errf);
		return -1;
	}
	oldpipe = signal(SIGPIPE, SIG_IGN);
	if ((pid = fork()) == -1) {
		*errstr_r = userdb_err(db, "cannot run %s: %s", tool,
		    strerror(errno));
		close(inp[0]);
		close(inp[1]);
		fclose(errf);
		signal(SIGPIPE, oldpipe);
		return -1;
	}
	if (pid == 0) {
		umask(077);
		if (dup2(inp[0], 0) == -1 || dup2(fileno(errf), 1) == -1 ||
		    dup2(fileno(errf), 2) == -1)
			_exit(127);
		execve(tool, argv, envp);
		_exit(127);
	}
	close(inp[0]);
	if ((in = fdopen(inp[1], "w")) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		if (!todo[i])
			continue;
		userdb_load_put(in, users[i], strlen(users[i]));
		userdb_load_put(in, "", 1);
		userdb_load_put(in, realm, strlen(realm));
		userdb_load_put(in, "", 1);
		userdb_load_put(in, prop, sizeof(prop) - 1);
		putc('\n', in);
		userdb_load_put(in, passes[i], strlen(passes[i]));
		if (putc('\n', in) == EOF) {
			werr = errno;
			break;
		}
	}
	if (fclose(in) == EOF && werr == 0)
		werr = errno;
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			status = -1;
			break;
		}
	signal(SIGPIPE, oldpipe);
	rewind(errf);
	elen = fread(ebuf, 1, sizeof(ebuf) - 1, errf);
	ebuf[elen] = '\0';
	if ((nl = strchr(ebuf, '\n')) != NULL)
		*nl = '\0';
	fclose(errf);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    werr != 0) {
		*errstr_r = userdb_err(db, "cannot write the accounts to %s: "
		    "%s %s", db->path, tool, *ebuf != '\0' ? ebuf :
		    werr != 0 ? strerror(werr) : status != -1 &&
		    WIFEXITED(status) ? "failed" : "was killed");
		return -1;
	}
	return 0;
}

/* Check the names and passwords; the first bad one is the error. */
static int
userdb_bulk_check(struct userdb *db, size_t n, const char *const *users,
    const char *const *passes, const char **errstr_r)
{
	const char **sorted;
	const char *err;
	size_t i;
	int r = 0;

	for (i = 0; i < n; i++) {
		if (!userdb_name_ok(users[i], &err)) {
			*errstr_r = userdb_err(db, "%s", err);
			return -1;
		}
		if (passes[i] == NULL || *passes[i] == '\0' ||
		    strlen(passes[i]) > USERDB_PASS_MAX) {
			*errstr_r = userdb_err(db, "user \"%s\": the password "
			    "must be 1 to %d octets", users[i],
			    USERDB_PASS_MAX);
			return -1;
		}
	}
	if ((sorted = malloc((n + 1) * sizeof(*sorted))) == NULL)
		abort();
	memcpy(sorted, users, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), userdb_strp_cmp);
	for (i = 1; i < n && r == 0; i++)
		if (strcmp(sorted[i - 1], sorted[i]) == 0) {
			*errstr_r = userdb_err(db, "user \"%s\" is given "
			    "twice", sorted[i]);
			r = -1;
		}
	free(sorted);
	return r;
}

static int
userdb_add_bulk_locked(struct userdb *db, size_t n, const char *const *users,
    const char *const *passes, unsigned char *created, const char **errstr_r)
{
	struct userdb_names nm = { NULL, NULL, 0, 0 };
	const char *tool;
	size_t i, first = n, todo = 0;
	int state, r = -1;

	if ((tool = userdb_find_loader(db)) == NULL) {
		*errstr_r = userdb_err(db, "cannot add accounts in bulk: %s "
		    "not found (install the db5.3-util package)",
		    db->loader != NULL ? db->loader : "db5.3_load");
		return -1;
	}
	if ((state = userdb_file_state(db, true, errstr_r)) == -1 ||
	    (state == 1 && userdb_names_read(db, &nm, errstr_r) == -1))
		return -1;
	if (nm.n > 0)
		qsort(nm.v, nm.n, sizeof(*nm.v), userdb_strp_cmp);
	for (i = 0; i < n; i++) {
		created[i] = !userdb_names_has(&nm, users[i]);
		if (created[i] && first == n)
			first = i;
		todo += created[i];
	}
	userdb_names_free(&nm);
	if (todo == 0)
		return 0;
	if (state == 0) {
		/* A new file is made by libsasl2 (mode, owner: sasl.c). */
		if (userdb_add_locked(db, users[first], passes[first],
		    errstr_r) == -1)
			return -1;
		created[first] = 2;	/* written */
	}
	for (i = 0; i < n; i++)
		if (created[i] == 2)
			created[i] = 0;
	r = userdb_load(db, tool, n, users, passes, created, errstr_r);
	if (state == 0)
		created[first] = 1;
	if (r == -1)
		return -1;
	/* Read back: every account must now be there. */
	if (userdb_names_read(db, &nm, errstr_r) == -1)
		return -1;
	if (nm.n > 0)
		qsort(nm.v, nm.n, sizeof(*nm.v), userdb_strp_cmp);
	for (i = 0; i < n && r == 0; i++)
		if (created[i] && !userdb_names_has(&nm, users[i])) {
			*errstr_r = userdb_err(db, "user \"%s\" is missing in "
			    "%s after the write reported success", users[i],
			    db->path);
			r = -1;
		}
	userdb_names_free(&nm);
	return r;
}

/* PostgreSQL: one INSERT per new account (the table's key serialises). */
static int
userdb_add_bulk_pg(struct userdb *db, size_t n, const char *const *users,
    const char *const *passes, unsigned char *created, const char **errstr_r)
{
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		if ((r = userdb_exists(db, users[i], errstr_r)) == -1)
			return -1;
		created[i] = r == 0;
		if (r == 0 && userdb_pg_r(db, userdb_pg_add(db->pg, users[i],
		    passes[i], db->err, sizeof(db->err)), errstr_r) == -1)
			return -1;
	}
	return 0;
}

int
userdb_add_bulk(struct userdb *db, size_t n, const char *const *users,
    const char *const *passes, unsigned char *created, const char **errstr_r)
{
	int r;

	if (n == 0)
		return 0;
	if (userdb_bulk_check(db, n, users, passes, errstr_r) == -1)
		return -1;
	if (db->pg != NULL)
		return userdb_add_bulk_pg(db, n, users, passes, created,
		    errstr_r);
	if (userdb_lock(db, errstr_r) == -1)
		return -1;
	r = userdb_add_bulk_locked(db, n, users, passes, created, errstr_r);
	if (userdb_unlock(db, r == 0, errstr_r) == -1)
		r = -1;
	return r;
}
