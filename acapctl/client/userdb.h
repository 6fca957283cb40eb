/*
 * userdb.h -- the instance's SASL user database (sasldb) for
 * "acapctl user add|passwd|del|list": add, change, delete and list users
 * through libsasl2 under the same per-instance configuration as acapd
 * (acapd/sasl.h), so every mechanism's secrets are stored as it needs.
 * Owns nothing but its handle; new database files are created mode 0600.
 */
#ifndef ACAPCTL_USERDB_H
#define ACAPCTL_USERDB_H

#include <stdbool.h>
#include <stddef.h>

struct sasl_opts;
struct userdb;

/* Length of the passwords userdb_random_password() is meant to make. */
#define USERDB_RANDOM_PASSWORD_LEN	24

/*
 * Open the user database of the instance described by opts (its
 * sasldb_path / statedir, realm, mech_list; pwcheck_method and
 * auxprop_plugin are forced to auxprop/sasldb, since these are the users
 * this manages).  If acapd/sasl.c is already initialised in this process,
 * that configuration is used and opts is ignored.  Does not create the
 * file; userdb_add() does.  Returns 0 with *db_r, or -1 with *errstr_r
 * (static storage, valid until the next userdb_open()).
 */
int userdb_open(const struct sasl_opts *opts, struct userdb **db_r,
    const char **errstr_r);
/*
 * Open the accounts kept in PostgreSQL (acapd's sasl_sql option) at uri,
 * a libpq URI, instead of a sasldb (userdb-pg.c).  The calls below work
 * the same; userdb_path() says where, userdb_realm() is "".
 */
int userdb_open_pg(const char *uri, struct userdb **db_r,
    const char **errstr_r);
/* Close the handle (and libsasl2 if userdb_open() started it); *dbp = NULL. */
void userdb_close(struct userdb **dbp);

/* The sasldb file, owned by db. */
const char *userdb_path(const struct userdb *db);
/* The realm users are stored in, owned by db. */
const char *userdb_realm(const struct userdb *db);

/*
 * Whether name may be given to a new user: 1 to 255 octets of UTF-8
 * without controls, space or '@' (the realm separator), not starting with
 * '-' or '/' (ACL revocation and groups, RFC 2244 §3.5), and not "anyone"
 * (RFC 2244 §3.5) or "anonymous" (the ANONYMOUS mechanism's identity).
 * Returns true, or false with *errstr_r (static storage).
 */
bool userdb_name_ok(const char *name, const char **errstr_r);

/*
 * In all calls below, -1 comes with *errstr_r: a complete sentence for the
 * operator ("user \"bob\" already exists", "cannot read user database
 * /x/sasldb2: Permission denied", ...), owned by db and valid until the
 * next call on db.  It never contains a password.
 */

/* Add a user; fails if the name is taken or invalid, or if the user cannot
 * be read back afterwards.  pass: NUL-terminated,
 * non-empty.  Creates the database file (mode 0600) if needed. */
int userdb_add(struct userdb *db, const char *user, const char *pass,
    const char **errstr_r);
/* Replace an existing user's password; fails if the user is unknown. */
int userdb_passwd(struct userdb *db, const char *user, const char *pass,
    const char **errstr_r);
/* Delete a user and its secrets; fails if the user is unknown. */
int userdb_del(struct userdb *db, const char *user, const char **errstr_r);
/*
 * Take (or, nested, count) the exclusive writers' lock on <path>.lock,
 * waiting up to a minute for another writer, and start a write: the
 * file is copied to <path>.new (same owner and mode) and this process's
 * sasldb reads and writes go to the copy.  userdb_add/passwd/del take it
 * themselves, around their checks, the write and a read-back of the
 * change; hold it across several calls to keep them together.  Readers
 * (acapd) do not take it: they never write, and they open the file for
 * each lookup, so they see the database before or after a write, whole.
 * Returns 0, or -1 with *errstr_r.
 */
int userdb_lock(struct userdb *db, const char **errstr_r);
/*
 * Undo one userdb_lock(); publish false says this part of the write
 * failed.  The last one ends the write -- the copy is synced and renamed
 * over the file when every part succeeded, else dropped, leaving the
 * file as it was -- and releases the lock.  -1 with *errstr_r when the
 * copy could not replace the file (the write is then lost, whole).
 */
int userdb_unlock(struct userdb *db, bool publish, const char **errstr_r);

/* 1 if the user exists, 0 if not (also: no database file yet), -1 error. */
int userdb_exists(struct userdb *db, const char *user, const char **errstr_r);

/*
 * Call cb once per user, sorted by name then realm, with the user's name
 * and realm (strings valid during the call only).  libsasl2 has no listing
 * API and Debian's sasldb is a Berkeley DB 5.3 hash file, so this runs
 * sasldblistusers2 -f PATH (package sasl2-bin) and reads its output.
 * A missing database file lists nothing and succeeds.  Returns 0, or -1
 * (unreadable database, tool missing or failing).
 */
int userdb_list(struct userdb *db,
    void (*cb)(const char *user, const char *realm, void *arg), void *arg,
    const char **errstr_r);
/* Use this sasldblistusers2 binary (NULL: search the usual places). */
void userdb_set_lister(struct userdb *db, const char *path);

/*
 * Add many accounts at once (import): users[i] with passes[i], i < n.
 * Checks every name and password first (nothing is written if one is bad
 * or a name is given twice).  Then, under the writers' lock: lists the
 * existing users and leaves those alone (created[i] = 0: an import run
 * again changes nothing), writes all the others in one open of the
 * database with Berkeley DB's db5.3_load (package db5.3-util; libsasl2
 * opens and closes the file for every record, about 5 ms each), as
 * sasl_setpass() would store them (the userPassword secret; no mechanism
 * of this instance keeps another), sets created[i] = 1, and lists again:
 * any of them missing is an error.  Returns 0, or -1 with *errstr_r; after
 * a failed write some of the new accounts may exist, and running the same
 * import again completes it.
 */
int userdb_add_bulk(struct userdb *db, size_t n, const char *const *users,
    const char *const *passes, unsigned char *created, const char **errstr_r);
/* Use this db_load binary (NULL: search the usual places). */
void userdb_set_loader(struct userdb *db, const char *path);

/*
 * Fill buf with a random password of size - 1 characters (RAND_bytes,
 * unambiguous alphabet; see tls_random_password()).  Pass size
 * USERDB_RANDOM_PASSWORD_LEN + 1.  Returns 0, or -1 (size < 17, RNG error).
 */
int userdb_random_password(char *buf, size_t size);

#endif
