/*
 * startup.c -- glue between the configuration and the store, TLS and SASL
 * modules, and the privileged start-up steps.  Owns the instance's first
 * start: state directory, self-signed certificate, bootstrap admin.
 */
#include "autoconf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "config.h"
#include "conn.h"
#include "log.h"
#include "sasl.h"
#include "server.h"
#include "startup.h"
#include "store.h"
#include "tls.h"

static char **admin_list;

static void
sasl_log_cb(int prio, const char *msg, void *arg)
{
	(void)arg;
	log_msg(prio, "sasl: %s", msg);
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

void
startup_statedir(void)
{
	struct stat st;

	if (stat(cfg->statedir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			fatal("statedir %s is not a directory", cfg->statedir);
		return;
	}
	if (errno != ENOENT)
		fatal("statedir %s: %s", cfg->statedir, strerror(errno));
	if (mkdir(cfg->statedir, 0700) == -1)
		fatal("cannot create statedir %s: %s", cfg->statedir,
		    strerror(errno));
	log_info("created state directory %s", cfg->statedir);
}

static void
startup_sasl(void)
{
	struct sasl_opts o;
	const char *err;
	const char *extra[4];
	size_t n = 0;

	free_words(&admin_list);
	admin_list = split_words(cfg->admins);
	sasl_opts_init(&o);
	o.statedir = cfg->statedir;
	o.sasldb_path = cfg->sasl_sasldb;
	o.pwcheck_method = cfg->sasl_pwcheck_method;
	o.auxprop_plugin = cfg->sasl_auxprop_plugin;
	o.mech_list = cfg->sasl_mech_list[0] != '\0' ? cfg->sasl_mech_list :
	    NULL;
	o.realm = NULL;
	o.allow_plaintext = cfg->allow_plaintext;
	o.allow_anonymous = cfg->allow_anonymous;
	o.admins = (const char *const *)admin_list;
	if (cfg->sasl_saslauthd_path[0] != '\0') {
		extra[n++] = "saslauthd_path";
		extra[n++] = cfg->sasl_saslauthd_path;
	}
	extra[n] = NULL;
	o.extra = extra;
	o.log_cb = sasl_log_cb;
	if (sasl_module_init(&o, &err) == -1)
		fatal("SASL: %s", err);
	conn_sasl_free_hook = sasl_free_hook;
}

/* First start: an admin account with a generated password. */
static void
startup_bootstrap_admin(void)
{
	char path[1024], pass[64];
	const char *err;
	FILE *fp;
	int fd, r;

	if (cfg->bootstrap_admin[0] == '\0')
		return;
	r = sasl_module_user_exists(cfg->bootstrap_admin, &err);
	if (r == 1)
		return;
	if (r == -1)
		fatal("bootstrap admin: %s", err);
	if (tls_random_password(pass, sizeof(pass)) == -1)
		fatal("bootstrap admin: cannot generate a password");
	if (sasl_module_setpass(cfg->bootstrap_admin, pass, strlen(pass),
	    SASL_PW_CREATE, &err) == -1)
		fatal("bootstrap admin: %s", err);
	snprintf(path, sizeof(path), "%s/admin-password", cfg->statedir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
	if (fd == -1 || (fp = fdopen(fd, "w")) == NULL)
		fatal("%s: %s", path, strerror(errno));
	fprintf(fp, "%s\n", pass);
	fclose(fp);
	explicit_bzero(pass, sizeof(pass));
	log_info("created admin account \"%s\"; its password is in %s "
	    "(readable by its owner only)", cfg->bootstrap_admin, path);
	fprintf(stderr,
	    "\nacapd: first start: admin account \"%s\" created.\n"
	    "       Password: %s (mode 0600)\n"
	    "       Log in:   acapctl -u %s --password-file %s ...\n\n",
	    cfg->bootstrap_admin, path, cfg->bootstrap_admin, path);
}

void
startup_open(void)
{
	startup_store();
	startup_tls();
	startup_sasl();
	startup_bootstrap_admin();
}
