/*
 * sasl.h -- the server side of SASL for acapd, over Cyrus libsasl2.
 *
 * Owns: the process-wide libsasl2 server state (one instance configuration,
 * answered entirely from struct sasl_opts, never from /etc/sasl2) and one
 * libsasl2 connection per ACAP session.  Writes no protocol text: callers
 * quote mechanism names, challenges and response codes themselves.
 * ACAP carries SASL data as raw octets (RFC 2244 §6.3.1), so nothing here
 * is base64.  No SASL security layer is ever negotiated; TLS provides one.
 */
#ifndef ACAPD_SASL_H
#define ACAPD_SASL_H

#include <stdbool.h>
#include <stddef.h>

/* SASL service name registered for ACAP (RFC 2244 §6.3.1). */
#define SASL_SERVICE_NAME	"acap"

/* Mechanisms offered when sasl_opts.mech_list is NULL. */
#define SASL_DEFAULT_MECH_LIST \
	"SCRAM-SHA-256 SCRAM-SHA-1 CRAM-MD5 DIGEST-MD5 PLAIN EXTERNAL ANONYMOUS"

/*
 * Per-instance configuration.  All-zero (see sasl_opts_init()) means the
 * defaults given below; an empty string counts as unset.
 * sasl_module_init() copies every string, so the struct and what it
 * points to may be freed afterwards.
 */
struct sasl_opts {
	/* Base for defaults below; may be NULL if both paths are set. */
	const char *statedir;
	/* sasldb file.  NULL: <statedir>/sasldb2. */
	const char *sasldb_path;
	/* Cyrus "pwcheck_method".  NULL: "auxprop". */
	const char *pwcheck_method;
	/* Cyrus "auxprop_plugin".  NULL: "sasldb". */
	const char *auxprop_plugin;
	/* Space-separated mechanisms.  NULL: SASL_DEFAULT_MECH_LIST. */
	const char *mech_list;
	/* Host name given to mechanisms.  NULL: this host's name. */
	const char *server_fqdn;
	/* Realm users live in.  NULL: server_fqdn (as saslpasswd2 does). */
	const char *realm;
	/*
	 * Directory handed to libsasl2 as its config path.  No file is ever
	 * read from it (config files are refused); it only keeps libsasl2
	 * away from /etc/sasl2.  NULL: statedir.  Must not contain ':'.
	 */
	const char *conf_dir;
	/* Plugin directory.  NULL: libsasl2's built-in default. */
	const char *plugin_dir;
	/* Allow PLAIN/LOGIN without TLS (RFC 2595 §6 says no).  Default no. */
	bool allow_plaintext;
	/* Allow the ANONYMOUS mechanism.  Default no. */
	bool allow_anonymous;
	/*
	 * NULL-terminated list of identities allowed to authorize as another
	 * user (authzid != authcid).  NULL: nobody.
	 */
	const char *const *admins;
	/*
	 * NULL-terminated list of name, value pairs answered to libsasl2 as
	 * further options (saslauthd_path, ldapdb_uri, sql_*, log_level ...).
	 * The named fields above win over the same name here.
	 */
	const char *const *extra;
	/*
	 * Log sink for libsasl2 and for this module; prio is a syslog(3)
	 * priority.  NULL: messages are dropped.  Never given passwords:
	 * libsasl2's password trace level is discarded before the call.
	 */
	void (*log_cb)(int prio, const char *msg, void *arg);
	void *log_arg;
};

/* Fill *o with the defaults (all zero). */
void sasl_opts_init(struct sasl_opts *o);

/*
 * Initialise libsasl2 for this process with the given configuration:
 * loads the plugins and checks that at least one mechanism is usable.
 * Once per process (until sasl_module_deinit()).  Returns 0, or -1 with
 * *errstr_r set (static storage, valid until the next call here).
 */
int sasl_module_init(const struct sasl_opts *opts, const char **errstr_r);
/*
 * SIGHUP: take the policy options from opts -- admins, allow_plaintext,
 * allow_anonymous, log_cb/log_arg -- without restarting libsasl2.  The
 * others (paths, mechanisms, libsasl2 options) need a restart and are
 * ignored here.  New sessions get the new policy; admins apply at once.
 * Returns 0, or -1 if the module is not active.
 */
int sasl_module_reload(const struct sasl_opts *opts);
/* Release libsasl2's server state.  All sessions must be freed first. */
void sasl_module_deinit(void);
/* Whether sasl_module_init() has succeeded and not been undone. */
bool sasl_module_active(void);
/*
 * The sasldb file in use, or NULL when the module is inactive or the
 * auxprop plugin is not sasldb.  Owned by the module.
 */
const char *sasl_module_sasldb_path(void);
/*
 * The sasldb writers' lock: an exclusive flock(2) on <sasldb>.lock beside
 * the file (created 0600, given to the directory's owner when root makes
 * it), waiting up to wait_ms for another writer.  Every writer of the
 * file takes it -- acapctl (userdb.c) and acapd's first-start admin
 * account -- since Berkeley DB without an environment has no locking
 * of its own.  The lock's descriptor (close it to release), or -1 with
 * *errstr_r (static storage).
 */
int sasl_module_sasldb_lock(unsigned int wait_ms, const char **errstr_r);
/* The directory part of path (".", "/" or the part before the last
 * "/"), malloc'd; aborts when out of memory. */
char *sasl_path_dir(const char *path);
/*
 * Send libsasl2's sasldb reads and writes of this process to another file
 * (path; NULL: back to the configured one) until the next call.  acapctl
 * writes a copy of the sasldb and renames it over the file (userdb.c), so
 * that acapd, which opens the file for each lookup, reads either the old
 * or the new database, never a half-written page.  The module keeps its
 * own copy of path.  0, or -1 when inactive or out of memory.
 */
int sasl_module_redirect_sasldb(const char *path);
/* The realm users are created in.  Owned by the module; NULL if inactive. */
const char *sasl_module_realm(void);

/* What sasl_module_setpass() does. */
enum sasl_pw_op {
	SASL_PW_CREATE,		/* new user (libsasl2 SASL_SET_CREATE) */
	SASL_PW_CHANGE,		/* replace an existing user's secrets */
	SASL_PW_DELETE		/* remove the user (SASL_SET_DISABLE) */
};

/*
 * Store (or delete, pass NULL) a user's password through libsasl2, so that
 * every mechanism's secrets are written as that mechanism needs them.
 * Does not check whether the user exists; see sasl_module_user_exists().
 * A sasldb file this creates gets mode 0600 and, when run as root, the
 * owner of its directory (the state directory's owner runs acapd).
 * Returns 0, or -1 with *errstr_r (static storage, valid until the next
 * call here; never contains the password).
 */
int sasl_module_setpass(const char *user, const char *pass, size_t passlen,
    enum sasl_pw_op op, const char **errstr_r);
/*
 * 1 if the user has a password in the auxprop user database (sasldb by
 * default; asked even when pwcheck_method is saslauthd), 0 if not, -1
 * error with *errstr_r (static storage).
 */
int sasl_module_user_exists(const char *user, const char **errstr_r);
/*
 * Check a plaintext password with the instance's pwcheck_method (what
 * PLAIN would check; HTTP Basic of the discovery endpoints): 1 right, 0
 * wrong or no such user, -1 error with *errstr_r (static storage).  With
 * saslauthd this waits for it.
 */
int sasl_module_checkpass(const char *user, const char *pass,
    const char **errstr_r);

/* One ACAP connection's SASL state.  Owned by the connection. */
struct sasl_session;

/*
 * New session.  remote/local are "a.b.c.d;port" / "[v6];port" address
 * strings as libsasl2 wants them, or NULL.  Returns 0, or -1 with
 * *errstr_r (static storage).
 */
int sasl_session_new(const char *remote, const char *local,
    struct sasl_session **s_r, const char **errstr_r);
/* Free the session and everything returned from it; sets *sp = NULL. */
void sasl_session_free(struct sasl_session **sp);

/*
 * TLS is up: ssf is the cipher's strength in bits (> 1), ext_authid the
 * identity from a verified client certificate (enables EXTERNAL) or NULL.
 * Enables PLAIN (RFC 2595 §6).  Call before any exchange starts.
 * Returns 0, or -1 with *errstr_r (static storage).
 */
int sasl_session_set_tls(struct sasl_session *s, unsigned ssf,
    const char *ext_authid, const char **errstr_r);

/*
 * Mechanisms to advertise in the greeting's (SASL ...) capability for the
 * session's present state (RFC 2244 §6.1.1; RFC 2595 §5.1: re-read after
 * STARTTLS).  *mechs_r is a NULL-terminated array of *count_r names, owned
 * by the session and valid until the next call on it.  Returns 0 or -1.
 */
int sasl_session_mechs(struct sasl_session *s, const char *const **mechs_r,
    size_t *count_r);

/*
 * Begin AUTHENTICATE "mech" [initial-response] (RFC 2244 §6.3.1).
 * ir is NULL when the command had no initial response (an empty string is
 * ir != NULL, irlen 0); one is refused for mechanisms where the server
 * speaks first.
 *   1  done: authenticated.  *out_r, *outlen_r hold final server data for
 *      the (SASL ...) response code, or *out_r is NULL if there is none.
 *   0  continue: send *out_r, *outlen_r (possibly empty) as the "+"
 *      challenge and pass the client's answer to sasl_session_step().
 *  -1  failed: see sasl_session_code() and sasl_session_reason().  The
 *      client may start again with another mechanism.
 * Output bytes are owned by the session, valid until its next call.
 */
int sasl_session_start(struct sasl_session *s, const char *mech,
    const void *ir, size_t irlen, const void **out_r, size_t *outlen_r);
/* The client's next answer; results as for sasl_session_start(). */
int sasl_session_step(struct sasl_session *s, const void *in, size_t inlen,
    const void **out_r, size_t *outlen_r);
/*
 * The client cancelled ("*" line, RFC 2244 §6.3.1): drop the exchange in
 * progress.  The caller answers BAD; the session can start again.
 */
void sasl_session_cancel(struct sasl_session *s);

/*
 * After -1: the ACAP response code for the NO ("AUTH-TOO-WEAK",
 * "ENCRYPT-NEEDED", "TRANSITION-NEEDED", "TRYLATER"), or NULL for none.
 * Static string.
 */
const char *sasl_session_code(const struct sasl_session *s);
/*
 * After -1: a short reason that is safe to send to the client (it never
 * echoes client data or says whether a user exists).  Static string.
 */
const char *sasl_session_reason(const struct sasl_session *s);

/* Whether an exchange has completed successfully. */
bool sasl_session_done(const struct sasl_session *s);
/*
 * After success: the authorization identity -- the user the session acts
 * as -- without the instance's own "@realm".  Owned by the session.
 */
const char *sasl_session_user(const struct sasl_session *s);
/* After success: the authentication identity (who proved it). */
const char *sasl_session_authid(const struct sasl_session *s);
/* After success: the mechanism used (canonical upper-case name). */
const char *sasl_session_mech(const struct sasl_session *s);
/* After success: whether the session is anonymous (ANONYMOUS mech). */
bool sasl_session_anonymous(const struct sasl_session *s);

#endif
