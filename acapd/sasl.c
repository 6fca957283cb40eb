/*
 * sasl.c -- libsasl2 server glue: one process-wide instance configuration
 * answered from struct sasl_opts (never from /etc/sasl2), the mechanism
 * policy (TLS for plaintext mechanisms, ANONYMOUS, admins as proxies) and
 * the per-session exchange state.  Writes no protocol text.
 *
 * One file (about 1,300 lines): libsasl2 keeps its callbacks and options
 * process-wide, so the configuration answers, the mechanism policy and
 * the sessions that use them share one static module state.
 */
#include "autoconf.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <sasl/sasl.h>
#include <sasl/saslplug.h>

#include "metrics.h"
#include "sasl.h"

/* Largest client message accepted in one step (ACAP literals are bounded
 * far below this before authentication anyway). */
#define SASL_MAX_CLIENT_DATA	65536
/* Passwords longer than this are refused (sasldb reads values <= 8 KiB). */
#define SASL_MAX_PASSWORD	1024
/*
 * libsasl2 stores every callback as int (*)(void); going through
 * void (*)(void) keeps -Wcast-function-type quiet about that design.
 */
#define SASL_CB_PROC(fn)	((sasl_callback_ft)(void (*)(void))&(fn))
/* Number of global callbacks, SASL_CB_LIST_END included. */
#define SASL_NCALLBACKS		8

/* One mechanism that is both loaded and enabled by mech_list. */
struct sasl_mech {
	char *name;
	unsigned security_flags;	/* SASL_SEC_* */
	unsigned features;		/* SASL_FEAT_* */
};

/* The instance configuration, resolved and copied. */
static struct {
	bool active;
	char *sasldb_path;
	char *sasldb_redirect;	/* sasl_module_redirect_sasldb(); NULL: none */
	char *pwcheck_method;
	char *auxprop_plugin;
	char *mech_list;	/* as handed to libsasl2 */
	char *server_fqdn;
	char *realm;
	char *conf_dir;
	char *plugin_dir;
	bool allow_plaintext;
	bool allow_anonymous;
	char **admins;		/* NULL-terminated */
	char **extra;		/* NULL-terminated name, value pairs */
	void (*log_cb)(int, const char *, void *);
	void *log_arg;
	struct sasl_mech *mechs;
	size_t nmechs;
	sasl_callback_t callbacks[SASL_NCALLBACKS];
} mod;

static char sasl_errbuf[512];

enum sasl_state {
	SASL_ST_IDLE,		/* no exchange in progress */
	SASL_ST_STEP,		/* waiting for the client's next answer */
	SASL_ST_DONE		/* authenticated; final */
};

struct sasl_session {
	sasl_conn_t *conn;	/* NULL until needed; dropped after failure */
	char *remote;
	char *local;
	unsigned ssf;		/* external (TLS) strength, 0 without TLS */
	char *ext_authid;	/* verified client certificate identity */
	enum sasl_state state;
	const struct sasl_mech *mech;
	const char *code;	/* ACAP response code after failure */
	const char *reason;	/* client-safe text after failure */
	char *user;
	char *authid;
	bool anonymous;
	char *mechbuf;		/* storage behind mechv */
	const char **mechv;
	size_t nmechv;
};

static void sasl_logf(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static const char *sasl_seterr(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static void
sasl_logf(int prio, const char *fmt, ...)
{
	char msg[1024], *p;
	va_list ap;

	if (mod.log_cb == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Identities come from clients: no control characters in logs. */
	for (p = msg; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	mod.log_cb(prio, msg, mod.log_arg);
}

static const char *
sasl_seterr(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sasl_errbuf, sizeof(sasl_errbuf), fmt, ap);
	va_end(ap);
	return sasl_errbuf;
}

static char *
sasl_xstrdup(const char *s)
{
	char *p;

	if (s == NULL)
		return NULL;
	if ((p = strdup(s)) == NULL)
		abort();	/* out of memory: as xmalloc would */
	return p;
}

static void *
sasl_xcalloc(size_t n, size_t size)
{
	void *p;

	if ((p = calloc(n == 0 ? 1 : n, size)) == NULL)
		abort();
	return p;
}

static char *
sasl_xasprintf(const char *a, const char *b)
{
	char *p;

	if (asprintf(&p, "%s%s", a, b) == -1)
		abort();
	return p;
}

static char **
sasl_strv_dup(const char *const *v)
{
	char **copy;
	size_t n = 0, i;

	while (v != NULL && v[n] != NULL)
		n++;
	copy = sasl_xcalloc(n + 1, sizeof(*copy));
	for (i = 0; i < n; i++)
		copy[i] = sasl_xstrdup(v[i]);
	return copy;
}

static void
sasl_strv_free(char ***vp)
{
	char **v = *vp;
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
	*vp = NULL;
}

/* Whether the space-separated list holds name (case-insensitive). */
static bool
sasl_list_has(const char *list, const char *name)
{
	size_t len = strlen(name), n;
	const char *p = list;

	while (*p != '\0') {
		p += strspn(p, " \t,");
		n = strcspn(p, " \t,");
		if (n == len && n > 0 && strncasecmp(p, name, n) == 0)
			return true;
		p += n;
	}
	return false;
}

/* ---- libsasl2 callbacks --------------------------------------------- */

/*
 * The value of a libsasl2 option, or NULL for "not set" (libsasl2's own
 * default).  With configuration files refused (sasl_verifyfile_cb), this
 * is the only source of options.
 */
static const char *
sasl_option_value(const char *option)
{
	size_t i;

	if (strcmp(option, "sasldb_path") == 0)
		return mod.sasldb_redirect != NULL ? mod.sasldb_redirect :
		    mod.sasldb_path;
	if (strcmp(option, "pwcheck_method") == 0)
		return mod.pwcheck_method;
	if (strcmp(option, "auxprop_plugin") == 0)
		return mod.auxprop_plugin;
	if (strcmp(option, "mech_list") == 0)
		return mod.mech_list;
	for (i = 0; mod.extra != NULL && mod.extra[i] != NULL &&
	    mod.extra[i + 1] != NULL; i += 2)
		if (strcmp(mod.extra[i], option) == 0)
			return mod.extra[i + 1];
	return NULL;
}

static int
sasl_getopt_cb(void *context, const char *plugin_name, const char *option,
    const char **result, unsigned *len)
{
	const char *v;

	(void)context;
	(void)plugin_name;
	if (option == NULL || result == NULL)
		return SASL_BADPARAM;
	if ((v = sasl_option_value(option)) == NULL)
		return SASL_FAIL;
	*result = v;
	if (len != NULL)
		*len = (unsigned)strlen(v);
	return SASL_OK;
}

static int
sasl_getconfpath_cb(void *context, char **path)
{
	(void)context;
	if (path == NULL)
		return SASL_BADPARAM;
	/*
	 * Borrowed: sasl.h says the library frees it, but libsasl2 2.1.27
	 * and later (load_config) treat it as const and never do.
	 */
	*path = mod.conf_dir;
	return SASL_OK;
}

static int
sasl_getpath_cb(void *context, const char **path)
{
	(void)context;
	if (path == NULL)
		return SASL_BADPARAM;
	*path = mod.plugin_dir;
	return SASL_OK;
}

/*
 * Refuse every configuration file: our options come only from
 * sasl_getopt_cb.  Plugins and the password database are allowed.
 */
static int
sasl_verifyfile_cb(void *context, const char *file, sasl_verify_type_t type)
{
	(void)context;
	if (type == SASL_VRFY_CONF) {
		sasl_logf(LOG_DEBUG, "sasl: not reading config file %s",
		    file != NULL ? file : "(null)");
		return SASL_CONTINUE;
	}
	return SASL_OK;
}

static int
sasl_log_cb(void *context, int level, const char *message)
{
	int prio;

	(void)context;
	if (message == NULL)
		return SASL_OK;
	switch (level) {
	case SASL_LOG_ERR:
		prio = LOG_ERR;
		break;
	case SASL_LOG_FAIL:
		prio = LOG_NOTICE;
		break;
	case SASL_LOG_WARN:
		prio = LOG_WARNING;
		break;
	case SASL_LOG_NOTE:
		prio = LOG_INFO;
		break;
	case SASL_LOG_DEBUG:
		prio = LOG_DEBUG;
		break;
	default:
		/* SASL_LOG_TRACE and SASL_LOG_PASS may carry secrets. */
		return SASL_OK;
	}
	sasl_logf(prio, "sasl: %s", message);
	return SASL_OK;
}

/* Length of id without a trailing "@<our realm>". */
static size_t
sasl_id_len(const char *id, size_t len)
{
	size_t rlen;

	if (mod.realm == NULL || (rlen = strlen(mod.realm)) == 0)
		return len;
	if (len > rlen + 1 && id[len - rlen - 1] == '@' &&
	    memcmp(id + len - rlen, mod.realm, rlen) == 0)
		return len - rlen - 1;
	return len;
}

static bool
sasl_is_admin(const char *id, size_t len)
{
	size_t i;

	len = sasl_id_len(id, len);
	for (i = 0; mod.admins != NULL && mod.admins[i] != NULL; i++)
		if (strlen(mod.admins[i]) == len &&
		    memcmp(mod.admins[i], id, len) == 0)
			return true;
	return false;
}

/*
 * Authorization as another identity (authzid != authcid) is allowed only
 * for the configured admins.  Nobody may become "anyone", which names
 * every identity in ACLs (RFC 2244 §3.5).
 */
static int
sasl_proxy_policy_cb(sasl_conn_t *conn, void *context,
    const char *requested_user, unsigned rlen, const char *auth_identity,
    unsigned alen, const char *def_realm, unsigned urlen,
    struct propctx *propctx)
{
	char msg[300];
	size_t rl, al;

	(void)context;
	(void)def_realm;
	(void)urlen;
	(void)propctx;
	if (requested_user == NULL || auth_identity == NULL)
		return SASL_BADPARAM;
	rl = sasl_id_len(requested_user, rlen);
	al = sasl_id_len(auth_identity, alen);
	if (rl == strlen("anyone") &&
	    memcmp(requested_user, "anyone", rl) == 0) {
		sasl_seterror(conn, 0, "identity \"anyone\" is reserved");
		return SASL_NOAUTHZ;
	}
	if (rl == al && memcmp(requested_user, auth_identity, rl) == 0)
		return SASL_OK;
	if (sasl_is_admin(auth_identity, alen))
		return SASL_OK;
	/* sasl_seterror() has its own small formatter: no "%.*s". */
	snprintf(msg, sizeof(msg), "%.*s may not authorize as %.*s",
	    (int)al, auth_identity, (int)rl, requested_user);
	sasl_seterror(conn, 0, "%s", msg);
	return SASL_NOAUTHZ;
}

/* ---- module ---------------------------------------------------------- */

void
sasl_opts_init(struct sasl_opts *o)
{
	memset(o, 0, sizeof(*o));
}

/*
 * The host name as libsasl2 would find it when given none (and as
 * saslpasswd2 uses for its default realm): the canonical name of
 * gethostname() if it resolves, else gethostname() itself.  Resolved once
 * here so that sessions never wait for DNS.
 */
static char *
sasl_host_name(void)
{
	char host[256];
	struct addrinfo hints, *ai = NULL;
	char *name;

	if (gethostname(host, sizeof(host)) == -1)
		return sasl_xstrdup("localhost");
	host[sizeof(host) - 1] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_flags = AI_CANONNAME;
	if (getaddrinfo(host, NULL, &hints, &ai) == 0 && ai != NULL &&
	    ai->ai_canonname != NULL)
		name = sasl_xstrdup(ai->ai_canonname);
	else
		name = sasl_xstrdup(host);
	if (ai != NULL)
		freeaddrinfo(ai);
	return name;
}

/*
 * mech_list as handed to libsasl2: names separated by single spaces.
 * ANONYMOUS stays even when not allowed, so that asking for it gets the
 * policy's AUTH-TOO-WEAK rather than "not supported"; the security
 * properties (SASL_SEC_NOANONYMOUS) and sasl_mech_allowed() refuse it.
 */
static char *
sasl_effective_mech_list(const char *list)
{
	char *out = sasl_xcalloc(strlen(list) + 1, 1), *o = out;
	const char *p = list;
	size_t n;

	while (*p != '\0') {
		p += strspn(p, " \t,");
		n = strcspn(p, " \t,");
		if (n == 0)
			break;
		if (o != out)
			*o++ = ' ';
		memcpy(o, p, n);
		o += n;
		p += n;
	}
	*o = '\0';
	return out;
}

static void
sasl_module_clear(void)
{
	size_t i;

	free(mod.sasldb_path);
	free(mod.sasldb_redirect);
	free(mod.pwcheck_method);
	free(mod.auxprop_plugin);
	free(mod.mech_list);
	free(mod.server_fqdn);
	free(mod.realm);
	free(mod.conf_dir);
	free(mod.plugin_dir);
	sasl_strv_free(&mod.admins);
	sasl_strv_free(&mod.extra);
	for (i = 0; i < mod.nmechs; i++)
		free(mod.mechs[i].name);
	free(mod.mechs);
	memset(&mod, 0, sizeof(mod));
}

static void
sasl_plugin_info_cb(server_sasl_mechanism_t *m,
    sasl_info_callback_stage_t stage, void *rock)
{
	struct sasl_mech *mm;
	size_t i;

	(void)rock;
	if (stage != SASL_INFO_LIST_MECH || m == NULL || m->plug == NULL ||
	    m->plug->mech_name == NULL)
		return;
	if (!sasl_list_has(mod.mech_list, m->plug->mech_name))
		return;
	for (i = 0; i < mod.nmechs; i++)
		if (strcasecmp(mod.mechs[i].name, m->plug->mech_name) == 0)
			return;
	mod.mechs = realloc(mod.mechs, (mod.nmechs + 1) * sizeof(*mod.mechs));
	if (mod.mechs == NULL)
		abort();
	mm = &mod.mechs[mod.nmechs++];
	mm->name = sasl_xstrdup(m->plug->mech_name);
	mm->security_flags = m->plug->security_flags;
	mm->features = m->plug->features;
}

/* An option string, or def when it is unset or empty. */
static const char *
sasl_opt(const char *s, const char *def)
{
	return s != NULL && *s != '\0' ? s : def;
}

/* Resolve defaults and copy opts into mod.  Returns 0 or -1. */
static int
sasl_module_configure(const struct sasl_opts *opts, const char **errstr_r)
{
	const char *statedir = sasl_opt(opts->statedir, NULL), *dir, *fqdn;
	char *slash;

	mod.pwcheck_method = sasl_xstrdup(sasl_opt(opts->pwcheck_method,
	    "auxprop"));
	mod.auxprop_plugin = sasl_xstrdup(sasl_opt(opts->auxprop_plugin,
	    "sasldb"));
	if ((dir = sasl_opt(opts->sasldb_path, NULL)) != NULL)
		mod.sasldb_path = sasl_xstrdup(dir);
	else if (statedir != NULL)
		mod.sasldb_path = sasl_xasprintf(statedir, "/sasldb2");
	else if (sasl_list_has(mod.auxprop_plugin, "sasldb")) {
		*errstr_r = sasl_seterr("sasl: neither sasldb_path nor "
		    "statedir is set");
		return -1;
	}
	if ((dir = sasl_opt(opts->conf_dir, statedir)) != NULL)
		mod.conf_dir = sasl_xstrdup(dir);
	else if (mod.sasldb_path != NULL) {
		/* The sasldb's directory. */
		mod.conf_dir = sasl_xstrdup(mod.sasldb_path);
		if ((slash = strrchr(mod.conf_dir, '/')) != NULL)
			*(slash == mod.conf_dir ? slash + 1 : slash) = '\0';
		else
			strcpy(mod.conf_dir, ".");
	} else
		mod.conf_dir = sasl_xstrdup("/nonexistent");
	/* libsasl2 splits the config path at ':' and would search on. */
	if (strchr(mod.conf_dir, ':') != NULL) {
		*errstr_r = sasl_seterr("sasl: conf_dir must not contain ':'");
		return -1;
	}
	if ((dir = sasl_opt(opts->plugin_dir, NULL)) != NULL) {
		if (strchr(dir, ':') != NULL) {
			*errstr_r = sasl_seterr("sasl: plugin_dir must not "
			    "contain ':'");
			return -1;
		}
		mod.plugin_dir = sasl_xstrdup(dir);
	}
	mod.mech_list = sasl_effective_mech_list(sasl_opt(opts->mech_list,
	    SASL_DEFAULT_MECH_LIST));
	if (mod.mech_list[0] == '\0') {
		*errstr_r = sasl_seterr("sasl: mech_list enables no mechanism");
		return -1;
	}
	fqdn = sasl_opt(opts->server_fqdn, NULL);
	mod.server_fqdn = fqdn != NULL ? sasl_xstrdup(fqdn) : sasl_host_name();
	mod.realm = sasl_xstrdup(sasl_opt(opts->realm, mod.server_fqdn));
	mod.allow_plaintext = opts->allow_plaintext;
	mod.allow_anonymous = opts->allow_anonymous;
	mod.admins = sasl_strv_dup(opts->admins);
	mod.extra = sasl_strv_dup(opts->extra);
	mod.log_cb = opts->log_cb;
	mod.log_arg = opts->log_arg;
	return 0;
}

static void
sasl_module_callbacks(void)
{
	sasl_callback_t *cb = mod.callbacks;

	cb->id = SASL_CB_GETOPT;
	cb->proc = SASL_CB_PROC(sasl_getopt_cb);
	cb++;
	cb->id = SASL_CB_GETCONFPATH;
	cb->proc = SASL_CB_PROC(sasl_getconfpath_cb);
	cb++;
	cb->id = SASL_CB_VERIFYFILE;
	cb->proc = SASL_CB_PROC(sasl_verifyfile_cb);
	cb++;
	cb->id = SASL_CB_LOG;
	cb->proc = SASL_CB_PROC(sasl_log_cb);
	cb++;
	cb->id = SASL_CB_PROXY_POLICY;
	cb->proc = SASL_CB_PROC(sasl_proxy_policy_cb);
	cb++;
	if (mod.plugin_dir != NULL) {
		cb->id = SASL_CB_GETPATH;
		cb->proc = SASL_CB_PROC(sasl_getpath_cb);
		cb++;
	}
	cb->id = SASL_CB_LIST_END;
	cb->proc = NULL;
}

int
sasl_module_init(const struct sasl_opts *opts, const char **errstr_r)
{
	const char *dummy;
	size_t i;
	int r;

	if (errstr_r == NULL)
		errstr_r = &dummy;
	if (mod.active) {
		*errstr_r = sasl_seterr("sasl: already initialised");
		return -1;
	}
	memset(&mod, 0, sizeof(mod));
	if (sasl_module_configure(opts, errstr_r) == -1) {
		sasl_module_clear();
		return -1;
	}
	sasl_module_callbacks();
	if ((r = sasl_server_init(mod.callbacks, "acapd")) != SASL_OK) {
		*errstr_r = sasl_seterr("sasl: initialisation failed: %s",
		    sasl_errstring(r, NULL, NULL));
		sasl_module_clear();
		return -1;
	}
	(void)sasl_server_plugin_info(NULL, &sasl_plugin_info_cb, NULL);
	if (mod.nmechs == 0) {
		*errstr_r = sasl_seterr("sasl: none of the mechanisms \"%s\" "
		    "is available (plugins missing?)", mod.mech_list);
		sasl_server_done();
		sasl_module_clear();
		return -1;
	}
	mod.active = true;
	for (i = 0; i < mod.nmechs; i++)
		sasl_logf(LOG_DEBUG, "sasl: mechanism %s loaded",
		    mod.mechs[i].name);
	return 0;
}

int
sasl_module_reload(const struct sasl_opts *opts)
{
	if (!mod.active)
		return -1;
	sasl_strv_free(&mod.admins);
	mod.admins = sasl_strv_dup(opts->admins);
	mod.allow_plaintext = opts->allow_plaintext;
	mod.allow_anonymous = opts->allow_anonymous;
	mod.log_cb = opts->log_cb;
	mod.log_arg = opts->log_arg;
	return 0;
}

void
sasl_module_deinit(void)
{
	if (!mod.active)
		return;
	sasl_server_done();
	sasl_module_clear();
}

bool
sasl_module_active(void)
{
	return mod.active;
}

const char *
sasl_module_sasldb_path(void)
{
	if (!mod.active || !sasl_list_has(mod.auxprop_plugin, "sasldb"))
		return NULL;
	return mod.sasldb_path;
}

char *
sasl_path_dir(const char *path)
{
	char *dir = sasl_xstrdup(path), *slash;

	if ((slash = strrchr(dir, '/')) == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	return dir;
}

int
sasl_module_sasldb_lock(unsigned int wait_ms, const char **errstr_r)
{
	struct timespec ts = { 0, 2 * 1000 * 1000 };	/* 2 ms */
	const char *path = sasl_module_sasldb_path();
	struct stat st, dst;
	unsigned int waited = 0;
	char *lockpath, *dir;
	int fd;

	if (path == NULL) {
		*errstr_r = sasl_seterr("sasl: no sasldb in use");
		return -1;
	}
	lockpath = sasl_xasprintf(path, ".lock");
	fd = open(lockpath, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		*errstr_r = sasl_seterr("cannot open the user database's lock "
		    "file %s: %s", lockpath, strerror(errno));
		goto fail;
	}
	/* Made by root (acapd's first start, acapctl run as root): give it
	 * to the owner of the directory, who runs acapd, as the database. */
	if (geteuid() == 0 && fstat(fd, &st) == 0 && st.st_uid == 0) {
		dir = sasl_path_dir(lockpath);
		if (stat(dir, &dst) == 0 && dst.st_uid != 0 &&
		    fchown(fd, dst.st_uid, dst.st_gid) == -1) {
			*errstr_r = sasl_seterr("cannot give %s to the owner "
			    "of %s: %s", lockpath, dir, strerror(errno));
			free(dir);
			goto fail;
		}
		free(dir);
	}
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			*errstr_r = sasl_seterr("cannot lock %s: %s", lockpath,
			    strerror(errno));
			goto fail;
		}
		if (waited >= wait_ms) {
			*errstr_r = sasl_seterr("the user database %s is still "
			    "locked by another process after %u s (lock file "
			    "%s)", path, wait_ms / 1000, lockpath);
			goto fail;
		}
		nanosleep(&ts, NULL);
		waited += 2;
	}
	free(lockpath);
	return fd;
fail:
	if (fd != -1)
		close(fd);
	free(lockpath);
	return -1;
}

int
sasl_module_redirect_sasldb(const char *path)
{
	char *copy = NULL;

	if (!mod.active || (path != NULL && (copy = strdup(path)) == NULL))
		return -1;
	free(mod.sasldb_redirect);
	mod.sasldb_redirect = copy;
	return 0;
}

const char *
sasl_module_realm(void)
{
	return mod.active ? mod.realm : NULL;
}

/*
 * Connections for user management ask the auxprop user database, even
 * when plaintext passwords normally go to saslauthd: whether "alice"
 * exists is a question about sasldb, not about PAM.  Other options fall
 * through to sasl_getopt_cb.
 */
static int
sasl_userdb_getopt_cb(void *context, const char *plugin_name,
    const char *option, const char **result, unsigned *len)
{
	(void)context;
	(void)plugin_name;
	if (option == NULL || result == NULL ||
	    strcmp(option, "pwcheck_method") != 0)
		return SASL_FAIL;
	*result = "auxprop";
	if (len != NULL)
		*len = (unsigned)strlen(*result);
	return SASL_OK;
}

static int
sasl_module_conn(sasl_conn_t **conn_r, const char **errstr_r)
{
	static sasl_callback_t cbs[] = {
		{ SASL_CB_GETOPT, SASL_CB_PROC(sasl_userdb_getopt_cb), NULL },
		{ SASL_CB_LIST_END, NULL, NULL }
	};
	int r;

	r = sasl_server_new(SASL_SERVICE_NAME, mod.server_fqdn, mod.realm,
	    NULL, NULL, cbs, 0, conn_r);
	if (r != SASL_OK) {
		*errstr_r = sasl_seterr("sasl: cannot create a connection: %s",
		    sasl_errstring(r, NULL, NULL));
		return -1;
	}
	return 0;
}

/*
 * sasl_setpass() has just created the sasldb file at path: make it 0600
 * and, when root made it (first start before dropping privileges, or
 * acapctl run as root), give it to the owner of its directory -- the
 * state directory's owner is the user acapd runs as.
 */
static int
sasl_sasldb_created(const char *path, const char **errstr_r)
{
	struct stat st, dst;
	char *dir;
	int r = 0;

	if (stat(path, &st) == -1)
		return 0;		/* not created after all (an error) */
	if ((st.st_mode & 07777) != 0600 && chmod(path, 0600) == -1) {
		*errstr_r = sasl_seterr("cannot make %s private: %s", path,
		    strerror(errno));
		return -1;
	}
	if (geteuid() != 0)
		return 0;
	dir = sasl_path_dir(path);
	if (stat(dir, &dst) == 0 && dst.st_uid != 0 &&
	    (st.st_uid != dst.st_uid || st.st_gid != dst.st_gid) &&
	    chown(path, dst.st_uid, dst.st_gid) == -1) {
		*errstr_r = sasl_seterr("cannot give %s to the owner of %s: %s",
		    path, dir, strerror(errno));
		r = -1;
	}
	free(dir);
	return r;
}

int
sasl_module_setpass(const char *user, const char *pass, size_t passlen,
    enum sasl_pw_op op, const char **errstr_r)
{
	sasl_conn_t *conn;
	unsigned flags = 0;
	const char *dummy, *path;
	struct stat st;
	bool created;
	mode_t old;
	int r;

	if (errstr_r == NULL)
		errstr_r = &dummy;
	if (!mod.active) {
		*errstr_r = sasl_seterr("sasl: not initialised");
		return -1;
	}
	if (user == NULL || *user == '\0') {
		*errstr_r = sasl_seterr("empty user name");
		return -1;
	}
	if (op == SASL_PW_DELETE) {
		pass = NULL;
		passlen = 0;
		flags = SASL_SET_DISABLE;
	} else {
		if (pass == NULL || passlen == 0 ||
		    memchr(pass, '\0', passlen) != NULL) {
			*errstr_r = sasl_seterr("the password must not be "
			    "empty or contain NUL");
			return -1;
		}
		if (passlen > SASL_MAX_PASSWORD) {
			*errstr_r = sasl_seterr("the password is longer than "
			    "%d octets", SASL_MAX_PASSWORD);
			return -1;
		}
		if (op == SASL_PW_CREATE)
			flags = SASL_SET_CREATE;
	}
	if (sasl_module_conn(&conn, errstr_r) == -1)
		return -1;
	path = sasl_module_sasldb_path();
	if (path != NULL && mod.sasldb_redirect != NULL)
		path = mod.sasldb_redirect;	/* the file written */
	created = path != NULL && stat(path, &st) == -1 && errno == ENOENT;
	/* A new sasldb (and Berkeley DB's temporary file beside it) is
	 * private from the start, whatever the caller's umask. */
	old = umask(077);
	r = sasl_setpass(conn, user, pass, (unsigned)passlen, NULL, 0, flags);
	umask(old);
	sasl_dispose(&conn);
	if (created && sasl_sasldb_created(path, errstr_r) == -1)
		return -1;
	if (r != SASL_OK && r != SASL_NOCHANGE) {
		*errstr_r = sasl_seterr("cannot %s the password of %s: %s",
		    op == SASL_PW_DELETE ? "remove" : "store", user,
		    sasl_errstring(r, NULL, NULL));
		return -1;
	}
	sasl_logf(LOG_INFO, "sasl: %s %s",
	    op == SASL_PW_DELETE ? "removed" : op == SASL_PW_CREATE ?
	    "created" : "changed password of", user);
	return 0;
}

int
sasl_module_user_exists(const char *user, const char **errstr_r)
{
	sasl_conn_t *conn;
	const char *dummy;
	int r;

	if (errstr_r == NULL)
		errstr_r = &dummy;
	if (!mod.active) {
		*errstr_r = sasl_seterr("sasl: not initialised");
		return -1;
	}
	if (sasl_module_conn(&conn, errstr_r) == -1)
		return -1;
	r = sasl_user_exists(conn, SASL_SERVICE_NAME, mod.realm, user);
	sasl_dispose(&conn);
	if (r == SASL_OK)
		return 1;
	if (r == SASL_NOUSER)
		return 0;
	*errstr_r = sasl_seterr("cannot look up %s: %s", user,
	    sasl_errstring(r, NULL, NULL));
	return -1;
}

int
sasl_module_checkpass(const char *user, const char *pass,
    const char **errstr_r)
{
	sasl_conn_t *conn;
	int r;

	if (!mod.active) {
		*errstr_r = sasl_seterr("sasl: not initialised");
		return -1;
	}
	/* the instance's own pwcheck_method: what PLAIN would check */
	r = sasl_server_new(SASL_SERVICE_NAME, mod.server_fqdn, mod.realm,
	    NULL, NULL, NULL, 0, &conn);
	if (r != SASL_OK) {
		*errstr_r = sasl_seterr("sasl: cannot create a connection: %s",
		    sasl_errstring(r, NULL, NULL));
		return -1;
	}
	r = sasl_checkpass(conn, user, (unsigned)strlen(user), pass,
	    (unsigned)strlen(pass));
	sasl_dispose(&conn);
	if (r == SASL_OK)
		return 1;
	if (r == SASL_BADAUTH || r == SASL_NOUSER || r == SASL_DISABLED ||
	    r == SASL_NOVERIFY)
		return 0;
	*errstr_r = sasl_seterr("cannot check the password of %s: %s", user,
	    sasl_errstring(r, NULL, NULL));
	return -1;
}

/* ---- sessions -------------------------------------------------------- */

static const struct sasl_mech *
sasl_mech_find(const char *name)
{
	size_t i;

	for (i = 0; i < mod.nmechs; i++)
		if (strcasecmp(mod.mechs[i].name, name) == 0)
			return &mod.mechs[i];
	return NULL;
}

static bool
sasl_session_tls(const struct sasl_session *s)
{
	return s->ssf > 1;
}

/*
 * Our policy for one mechanism in this session.  Returns true if it may
 * be used; otherwise sets *code_r and *reason_r.
 */
static bool
sasl_mech_allowed(const struct sasl_session *s, const struct sasl_mech *m,
    const char **code_r, const char **reason_r)
{
	*code_r = NULL;
	if (m == NULL) {
		*reason_r = "mechanism not supported";
		return false;
	}
	if (!(m->security_flags & SASL_SEC_NOANONYMOUS) &&
	    !mod.allow_anonymous) {
		*code_r = "AUTH-TOO-WEAK";
		*reason_r = "anonymous login is not allowed";
		return false;
	}
	/* RFC 2595 §6: no plaintext passwords without a strong layer. */
	if (!(m->security_flags & SASL_SEC_NOPLAINTEXT) &&
	    !sasl_session_tls(s) && !mod.allow_plaintext) {
		*code_r = "ENCRYPT-NEEDED";
		*reason_r = "this mechanism needs TLS: use STARTTLS first";
		return false;
	}
	if (strcasecmp(m->name, "EXTERNAL") == 0 && s->ext_authid == NULL) {
		*reason_r = "EXTERNAL needs a verified TLS client certificate";
		return false;
	}
	return true;
}

static int
sasl_session_conn(struct sasl_session *s, const char **errstr_r)
{
	sasl_security_properties_t sp;
	sasl_ssf_t ssf;
	int r;

	if (s->conn != NULL)
		return 0;
	r = sasl_server_new(SASL_SERVICE_NAME, mod.server_fqdn, mod.realm,
	    s->local, s->remote, NULL, SASL_SUCCESS_DATA, &s->conn);
	if (r != SASL_OK) {
		s->conn = NULL;
		*errstr_r = sasl_seterr("sasl: cannot create a connection: %s",
		    sasl_errstring(r, NULL, NULL));
		return -1;
	}
	/* No SASL security layer: max_ssf and maxbufsize 0.  TLS is ours. */
	memset(&sp, 0, sizeof(sp));
	sp.min_ssf = 0;
	sp.max_ssf = 0;
	sp.maxbufsize = 0;
	sp.security_flags = 0;
	if (!mod.allow_plaintext)
		sp.security_flags |= SASL_SEC_NOPLAINTEXT;
	if (!mod.allow_anonymous)
		sp.security_flags |= SASL_SEC_NOANONYMOUS;
	r = sasl_setprop(s->conn, SASL_SEC_PROPS, &sp);
	if (r == SASL_OK && s->ssf > 0) {
		ssf = s->ssf;
		r = sasl_setprop(s->conn, SASL_SSF_EXTERNAL, &ssf);
	}
	if (r == SASL_OK && s->ext_authid != NULL)
		r = sasl_setprop(s->conn, SASL_AUTH_EXTERNAL, s->ext_authid);
	if (r != SASL_OK) {
		*errstr_r = sasl_seterr("sasl: cannot set properties: %s",
		    sasl_errstring(r, NULL, NULL));
		sasl_dispose(&s->conn);
		return -1;
	}
	return 0;
}

int
sasl_session_new(const char *remote, const char *local,
    struct sasl_session **s_r, const char **errstr_r)
{
	struct sasl_session *s;
	const char *dummy;

	if (errstr_r == NULL)
		errstr_r = &dummy;
	*s_r = NULL;
	if (!mod.active) {
		*errstr_r = sasl_seterr("sasl: not initialised");
		return -1;
	}
	s = sasl_xcalloc(1, sizeof(*s));
	s->remote = sasl_xstrdup(remote);
	s->local = sasl_xstrdup(local);
	/* Create the libsasl2 connection now to report bad addresses. */
	if (sasl_session_conn(s, errstr_r) == -1) {
		sasl_session_free(&s);
		return -1;
	}
	*s_r = s;
	return 0;
}

static void
sasl_session_clear_mechs(struct sasl_session *s)
{
	free(s->mechbuf);
	free(s->mechv);
	s->mechbuf = NULL;
	s->mechv = NULL;
	s->nmechv = 0;
}

void
sasl_session_free(struct sasl_session **sp)
{
	struct sasl_session *s = *sp;

	if (s == NULL)
		return;
	if (s->conn != NULL)
		sasl_dispose(&s->conn);
	free(s->remote);
	free(s->local);
	free(s->ext_authid);
	free(s->user);
	free(s->authid);
	sasl_session_clear_mechs(s);
	free(s);
	*sp = NULL;
}

int
sasl_session_set_tls(struct sasl_session *s, unsigned ssf,
    const char *ext_authid, const char **errstr_r)
{
	const char *dummy;

	if (errstr_r == NULL)
		errstr_r = &dummy;
	if (s->state != SASL_ST_IDLE) {
		*errstr_r = sasl_seterr("sasl: TLS set during or after "
		    "authentication");
		return -1;
	}
	if (ext_authid != NULL && *ext_authid == '\0')
		ext_authid = NULL;
	s->ssf = ssf;
	free(s->ext_authid);
	s->ext_authid = sasl_xstrdup(ext_authid);
	/* Properties go on a fresh libsasl2 connection. */
	if (s->conn != NULL)
		sasl_dispose(&s->conn);
	return sasl_session_conn(s, errstr_r);
}

int
sasl_session_mechs(struct sasl_session *s, const char *const **mechs_r,
    size_t *count_r)
{
	const char *list, *code, *reason, *errstr;
	unsigned len;
	int count, r;
	char *p, *tok, *save = NULL;

	sasl_session_clear_mechs(s);
	*mechs_r = NULL;
	*count_r = 0;
	if (sasl_session_conn(s, &errstr) == -1) {
		sasl_logf(LOG_ERR, "%s", errstr);
		return -1;
	}
	r = sasl_listmech(s->conn, NULL, "", " ", "", &list, &len, &count);
	if (r != SASL_OK && r != SASL_NOMECH) {
		sasl_logf(LOG_ERR, "sasl: cannot list mechanisms: %s",
		    sasl_errstring(r, NULL, NULL));
		return -1;
	}
	if (r == SASL_NOMECH || list == NULL)
		list = "";
	s->mechbuf = sasl_xstrdup(list);
	(void)count;
	s->mechv = sasl_xcalloc(strlen(s->mechbuf) / 2 + 2,
	    sizeof(*s->mechv));
	for (p = s->mechbuf; (tok = strtok_r(p, " ", &save)) != NULL;
	    p = NULL) {
		/* libsasl2's view, narrowed by our own policy and mech_list */
		if (!sasl_mech_allowed(s, sasl_mech_find(tok), &code, &reason))
			continue;
		s->mechv[s->nmechv++] = tok;
	}
	s->mechv[s->nmechv] = NULL;
	*mechs_r = s->mechv;
	*count_r = s->nmechv;
	return 0;
}

static void
sasl_session_reset(struct sasl_session *s)
{
	if (s->conn != NULL)
		sasl_dispose(&s->conn);
	s->state = SASL_ST_IDLE;
	s->mech = NULL;
}

static int
sasl_session_fail(struct sasl_session *s, const char *code,
    const char *reason)
{
	s->code = code;
	s->reason = reason;
	sasl_session_reset(s);
	return -1;
}

/* Map a libsasl2 failure to what the client is told. */
static int
sasl_session_fail_sasl(struct sasl_session *s, int r)
{
	const char *detail;

	detail = s->conn != NULL ? sasl_errdetail(s->conn) : NULL;
	sasl_logf(LOG_NOTICE, "sasl: %s authentication failed: %s",
	    s->mech != NULL ? s->mech->name : "?",
	    detail != NULL ? detail : sasl_errstring(r, NULL, NULL));
	switch (r) {
	case SASL_TOOWEAK:
		return sasl_session_fail(s, "AUTH-TOO-WEAK",
		    "mechanism too weak for this user");
	case SASL_ENCRYPT:
		return sasl_session_fail(s, "ENCRYPT-NEEDED",
		    "this mechanism needs an encrypted connection");
	case SASL_TRANS:
		/* RFC 2595 §6 example: PLAIN over TLS once seeds secrets. */
		return sasl_session_fail(s, "TRANSITION-NEEDED",
		    "authenticate once with PLAIN over TLS to enable "
		    "this mechanism");
	case SASL_NOAUTHZ:
		return sasl_session_fail(s, NULL, "authorization failed");
	case SASL_NOMECH:
		return sasl_session_fail(s, NULL, "mechanism not available");
	case SASL_BADPROT:
	case SASL_BADPARAM:
	case SASL_BUFOVER:
		return sasl_session_fail(s, NULL, "invalid SASL message");
	case SASL_FAIL:
	case SASL_NOMEM:
	case SASL_UNAVAIL:
	case SASL_TRYAGAIN:
		return sasl_session_fail(s, "TRYLATER",
		    "temporary failure, try again later");
	default:
		/*
		 * SASL_BADAUTH, SASL_NOUSER, SASL_NOVERIFY, SASL_DISABLED,
		 * SASL_EXPIRED ...: one answer, so that nobody learns which
		 * user names exist.
		 */
		return sasl_session_fail(s, NULL, "authentication failed");
	}
}

static char *
sasl_strip_realm(const char *id)
{
	size_t len = strlen(id);
	char *p;

	len = sasl_id_len(id, len);
	p = sasl_xcalloc(len + 1, 1);
	memcpy(p, id, len);
	return p;
}

static int
sasl_session_success(struct sasl_session *s)
{
	const void *user = NULL, *authid = NULL;

	if (sasl_getprop(s->conn, SASL_USERNAME, &user) != SASL_OK ||
	    user == NULL) {
		sasl_logf(LOG_ERR, "sasl: no user name after success");
		return sasl_session_fail(s, "TRYLATER",
		    "temporary failure, try again later");
	}
	if (sasl_getprop(s->conn, SASL_AUTHUSER, &authid) != SASL_OK ||
	    authid == NULL)
		authid = user;
	free(s->user);
	free(s->authid);
	s->user = sasl_strip_realm(user);
	s->authid = sasl_strip_realm(authid);
	if (s->user[0] == '\0' || s->user[0] == '-' || s->user[0] == '/' ||
	    strcmp(s->user, "anyone") == 0) {
		/*
		 * RFC 2244 §3.5: "anyone" names everybody, "-" revokes and
		 * "/" names groups in ACLs; none can be a user.
		 */
		free(s->user);
		free(s->authid);
		s->user = s->authid = NULL;
		return sasl_session_fail(s, NULL, "authentication failed");
	}
	s->anonymous = strcasecmp(s->mech->name, "ANONYMOUS") == 0;
	s->state = SASL_ST_DONE;
	s->code = s->reason = NULL;
	sasl_logf(LOG_INFO, "sasl: %s authenticated as %s by %s",
	    s->authid, s->user, s->mech->name);
	return 1;
}

static int
sasl_session_result(struct sasl_session *s, int r, const char *out,
    unsigned outlen, const void **out_r, size_t *outlen_r)
{
	const char *mech = s->mech != NULL ? s->mech->name : NULL;

	*out_r = NULL;
	*outlen_r = 0;
	switch (r) {
	case SASL_OK:
		if (sasl_session_success(s) != 1) {
			metrics_auth(mech, false);
			return -1;
		}
		metrics_auth(mech, true);
		if (out != NULL && outlen > 0) {
			*out_r = out;
			*outlen_r = outlen;
		}
		return 1;
	case SASL_CONTINUE:
		s->state = SASL_ST_STEP;
		*out_r = out != NULL ? out : "";
		*outlen_r = out != NULL ? outlen : 0;
		return 0;
	default:
		metrics_auth(mech, false);
		return sasl_session_fail_sasl(s, r);
	}
}

int
sasl_session_start(struct sasl_session *s, const char *mech,
    const void *ir, size_t irlen, const void **out_r, size_t *outlen_r)
{
	const struct sasl_mech *m;
	const char *code, *reason, *errstr, *out = NULL;
	unsigned outlen = 0;
	int r;

	*out_r = NULL;
	*outlen_r = 0;
	if (s->state == SASL_ST_DONE) {
		/* RFC 2244 §6.3: no way back to non-authenticated state. */
		s->code = NULL;
		s->reason = "already authenticated";
		return -1;
	}
	if (s->state == SASL_ST_STEP)
		sasl_session_reset(s);
	m = mech != NULL ? sasl_mech_find(mech) : NULL;
	if (!sasl_mech_allowed(s, m, &code, &reason))
		return sasl_session_fail(s, code, reason);
	/* RFC 2244 §6.3.1: an initial response only if the client speaks
	 * first; a server-first mechanism given one is a failure. */
	if (ir != NULL && (m->features & SASL_FEAT_SERVER_FIRST))
		return sasl_session_fail(s, NULL,
		    "this mechanism does not take an initial response");
	if (irlen > SASL_MAX_CLIENT_DATA)
		return sasl_session_fail(s, NULL, "SASL message too long");
	if (sasl_session_conn(s, &errstr) == -1) {
		sasl_logf(LOG_ERR, "%s", errstr);
		return sasl_session_fail(s, "TRYLATER",
		    "temporary failure, try again later");
	}
	s->mech = m;
	/* ir NULL (no initial response) differs from ir "" (empty one). */
	r = sasl_server_start(s->conn, m->name, ir, (unsigned)irlen, &out,
	    &outlen);
	return sasl_session_result(s, r, out, outlen, out_r, outlen_r);
}

int
sasl_session_step(struct sasl_session *s, const void *in, size_t inlen,
    const void **out_r, size_t *outlen_r)
{
	const char *out = NULL;
	unsigned outlen = 0;
	int r;

	*out_r = NULL;
	*outlen_r = 0;
	if (s->state != SASL_ST_STEP)
		return sasl_session_fail(s, NULL,
		    "no authentication in progress");
	if (inlen > SASL_MAX_CLIENT_DATA)
		return sasl_session_fail(s, NULL, "SASL message too long");
	r = sasl_server_step(s->conn, in != NULL ? in : "", (unsigned)inlen,
	    &out, &outlen);
	return sasl_session_result(s, r, out, outlen, out_r, outlen_r);
}

void
sasl_session_cancel(struct sasl_session *s)
{
	if (s->state != SASL_ST_STEP)
		return;
	s->code = NULL;
	s->reason = "authentication cancelled";
	sasl_session_reset(s);
}

const char *
sasl_session_code(const struct sasl_session *s)
{
	return s->code;
}

const char *
sasl_session_reason(const struct sasl_session *s)
{
	return s->reason;
}

bool
sasl_session_done(const struct sasl_session *s)
{
	return s->state == SASL_ST_DONE;
}

const char *
sasl_session_user(const struct sasl_session *s)
{
	return s->state == SASL_ST_DONE ? s->user : NULL;
}

const char *
sasl_session_authid(const struct sasl_session *s)
{
	return s->state == SASL_ST_DONE ? s->authid : NULL;
}

const char *
sasl_session_mech(const struct sasl_session *s)
{
	return s->state == SASL_ST_DONE && s->mech != NULL ?
	    s->mech->name : NULL;
}

bool
sasl_session_anonymous(const struct sasl_session *s)
{
	return s->state == SASL_ST_DONE && s->anonymous;
}
