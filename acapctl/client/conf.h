/*
 * conf.h -- acapctl connection settings: defaults, the configuration file
 * (~/.config/acapctl.conf or $ACAPCTL_CONFIG) and the command-line
 * options that override it.
 *
 * Owns the strings in struct conf.  The file holds "key value" lines with
 * the same names as the long options (host, port, user, authzid,
 * password-file, mech, starttls, cafile, tls-name, insecure, timeout,
 * family, statedir, sasldb, sasl-sql, metrics, enrol-url, profile-cert,
 * profile-key); "#" starts a comment.  A password itself is
 * never accepted there, nor on the command line.
 */
#ifndef ACAPCTL_CONF_H
#define ACAPCTL_CONF_H

#include <stdbool.h>
#include <stddef.h>

enum conf_tls {
	CONF_TLS_AUTO,		/* STARTTLS when offered */
	CONF_TLS_REQUIRE,	/* fail unless STARTTLS succeeds */
	CONF_TLS_OFF,		/* never */
};

struct conf {
	char *host;		/* NULL: not configured ("localhost" used) */
	char *port;		/* NULL: 674 */
	char *user;
	char *authzid;
	char *password_file;
	char *mech;		/* SASL preference list */
	char *cafile;
	char *tls_name;		/* name the certificate must carry */
	char *statedir;		/* local instance (sasldb) */
	char *sasldb;
	char *metrics;		/* acapd's metrics_listen; NULL:
				   CONF_METRICS_DEFAULT */
	/* discovery (doc/discovery.md): the base of enrol URLs
	   ("https://HOST[:PORT]") and the profile signing identity */
	char *enrol_url;
	char *profile_cert;
	char *profile_key;
	char *sasl_sql;		/* accounts in PostgreSQL: libpq URI */
	int family;		/* AF_UNSPEC / AF_INET / AF_INET6 */
	int timeout_s;
	enum conf_tls tls;
	bool insecure;
};

/* acapd's default metrics_listen (acapd.conf(5)). */
#define CONF_METRICS_DEFAULT "127.0.0.1:9674"

void conf_init(struct conf *c);
void conf_clear(struct conf *c);

/*
 * Set one setting by name (value copied).  Returns 0, or -1 with
 * *errstr_r (static) for an unknown key or a bad value.
 */
int conf_set(struct conf *c, const char *key, const char *value,
    const char **errstr_r);

/*
 * Read a configuration file.  A missing file is fine unless must_exist.
 * A file readable by others while naming a password-file is accepted
 * (it holds no secret itself).  Returns 0, or -1 with a message
 * ("FILE:LINE: ...") in err.
 */
int conf_load(struct conf *c, const char *path, bool must_exist, char *err,
    size_t errlen);

/*
 * The file to read: $ACAPCTL_CONFIG if set, else
 * $XDG_CONFIG_HOME/acapctl.conf, else ~/.config/acapctl.conf.  New
 * string, or NULL when no home directory is known.
 */
char *conf_default_path(void);

#endif
