/*
 * userdb-pg.h -- SASL accounts in PostgreSQL for "acapctl user" (the
 * sasl_sql option of acapd, acapd/sasl-sql.h): the same operations as
 * userdb.h on the table every node's libsasl2 sql auxprop reads.  One
 * row per user holds its password (property userPassword), as sasldb
 * holds it today; the realm is not used.  userdb.c dispatches here when
 * acapctl is given --sasl-sql.  Owns its connection.
 */
#ifndef ACAPCTL_USERDB_PG_H
#define ACAPCTL_USERDB_PG_H

struct userdb_pg;

/*
 * Connect to uri (a libpq URI) and create the table if it is missing.
 * Returns 0 with *pg_r, or -1 with a message in err.
 */
int userdb_pg_open(const char *uri, struct userdb_pg **pg_r, char *err,
    size_t errlen);
void userdb_pg_close(struct userdb_pg **pgp);
/* The URI without its password, for messages.  Owned by pg. */
const char *userdb_pg_where(const struct userdb_pg *pg);

/* As userdb_add() etc. (names and passwords already checked): 0, or -1
 * with a message in err ("user \"bob\" already exists", ...). */
int userdb_pg_add(struct userdb_pg *pg, const char *user, const char *pass,
    char *err, size_t errlen);
int userdb_pg_passwd(struct userdb_pg *pg, const char *user,
    const char *pass, char *err, size_t errlen);
int userdb_pg_del(struct userdb_pg *pg, const char *user, char *err,
    size_t errlen);
/* 1 exists, 0 not, -1 error. */
int userdb_pg_exists(struct userdb_pg *pg, const char *user, char *err,
    size_t errlen);
/* cb once per user, sorted by name; realm is "". */
int userdb_pg_list(struct userdb_pg *pg,
    void (*cb)(const char *user, const char *realm, void *arg), void *arg,
    char *err, size_t errlen);

#endif
