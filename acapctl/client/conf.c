/*
 * conf.c -- acapctl connection settings and configuration file.
 */
#include "autoconf.h"

#include <sys/socket.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

void
conf_init(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->family = AF_UNSPEC;
	c->timeout_s = 30;
	c->tls = CONF_TLS_AUTO;
}

void
conf_clear(struct conf *c)
{
	free(c->host);
	free(c->port);
	free(c->user);
	free(c->authzid);
	free(c->password_file);
	free(c->mech);
	free(c->cafile);
	free(c->tls_name);
	free(c->statedir);
	free(c->sasldb);
	free(c->metrics);
	free(c->enrol_url);
	free(c->profile_cert);
	free(c->profile_key);
	free(c->sasl_sql);
	conf_init(c);
}

static int
set_str(char **dst, const char *value)
{
	char *p = strdup(value);

	if (p == NULL)
		abort();
	free(*dst);
	*dst = p;
	return 0;
}

static int
parse_bool(const char *v, bool *b)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 ||
	    strcmp(v, "on") == 0 || strcmp(v, "1") == 0)
		*b = true;
	else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 ||
	    strcmp(v, "off") == 0 || strcmp(v, "0") == 0)
		*b = false;
	else
		return -1;
	return 0;
}

int
conf_set(struct conf *c, const char *key, const char *value,
    const char **errstr_r)
{
	char *end;
	long n;
	bool b;

	if (strcmp(key, "host") == 0)
		return set_str(&c->host, value);
	if (strcmp(key, "port") == 0) {
		errno = 0;
		n = strtol(value, &end, 10);
		if (value[0] == '\0' || *end != '\0' || errno != 0 || n < 1 ||
		    n > 65535) {
			*errstr_r = "port must be a number 1-65535";
			return -1;
		}
		return set_str(&c->port, value);
	}
	if (strcmp(key, "user") == 0)
		return set_str(&c->user, value);
	if (strcmp(key, "authzid") == 0)
		return set_str(&c->authzid, value);
	if (strcmp(key, "password-file") == 0)
		return set_str(&c->password_file, value);
	if (strcmp(key, "password") == 0) {
		*errstr_r = "passwords are not accepted here; use "
		    "password-file, $ACAPCTL_PASSWORD or the prompt";
		return -1;
	}
	if (strcmp(key, "mech") == 0)
		return set_str(&c->mech, value);
	if (strcmp(key, "cafile") == 0)
		return set_str(&c->cafile, value);
	if (strcmp(key, "tls-name") == 0)
		return set_str(&c->tls_name, value);
	if (strcmp(key, "statedir") == 0)
		return set_str(&c->statedir, value);
	if (strcmp(key, "sasldb") == 0)
		return set_str(&c->sasldb, value);
	if (strcmp(key, "metrics") == 0) {
		if (strchr(value, ':') == NULL) {
			*errstr_r = "metrics is HOST:PORT";
			return -1;
		}
		return set_str(&c->metrics, value);
	}
	if (strcmp(key, "enrol-url") == 0) {
		if (strncmp(value, "https://", 8) != 0 &&
		    strncmp(value, "http://", 7) != 0) {
			*errstr_r = "enrol-url is https://HOST[:PORT] (or "
			    "http://, behind a TLS proxy)";
			return -1;
		}
		return set_str(&c->enrol_url, value);
	}
	if (strcmp(key, "profile-cert") == 0)
		return set_str(&c->profile_cert, value);
	if (strcmp(key, "profile-key") == 0)
		return set_str(&c->profile_key, value);
	if (strcmp(key, "sasl-sql") == 0)
		return set_str(&c->sasl_sql, value);
	if (strcmp(key, "starttls") == 0) {
		if (strcmp(value, "auto") == 0)
			c->tls = CONF_TLS_AUTO;
		else if (parse_bool(value, &b) == 0)
			c->tls = b ? CONF_TLS_REQUIRE : CONF_TLS_OFF;
		else {
			*errstr_r = "starttls is yes, no or auto";
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "insecure") == 0) {
		if (parse_bool(value, &c->insecure) == -1) {
			*errstr_r = "insecure is yes or no";
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "timeout") == 0) {
		errno = 0;
		n = strtol(value, &end, 10);
		if (value[0] == '\0' || *end != '\0' || errno != 0 || n < 0 ||
		    n > 86400) {
			*errstr_r = "timeout is 0-86400 seconds (0: none)";
			return -1;
		}
		c->timeout_s = (int)n;
		return 0;
	}
	if (strcmp(key, "family") == 0) {
		if (strcmp(value, "4") == 0 || strcmp(value, "inet") == 0)
			c->family = AF_INET;
		else if (strcmp(value, "6") == 0 ||
		    strcmp(value, "inet6") == 0)
			c->family = AF_INET6;
		else if (strcmp(value, "any") == 0)
			c->family = AF_UNSPEC;
		else {
			*errstr_r = "family is 4, 6 or any";
			return -1;
		}
		return 0;
	}
	*errstr_r = "unknown setting";
	return -1;
}

int
conf_load(struct conf *c, const char *path, bool must_exist, char *err,
    size_t errlen)
{
	char *line = NULL, *key, *val, *end;
	size_t cap = 0, lineno = 0;
	const char *e;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT && !must_exist)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, fp) != -1) {
		lineno++;
		key = line;
		while (isspace((unsigned char)*key))
			key++;
		if (*key == '#' || *key == '\0')
			continue;
		end = key + strlen(key);
		while (end > key && isspace((unsigned char)end[-1]))
			*--end = '\0';
		val = key;
		while (*val != '\0' && !isspace((unsigned char)*val))
			val++;
		if (*val != '\0')
			*val++ = '\0';
		while (isspace((unsigned char)*val))
			val++;
		if (*val == '\0') {
			snprintf(err, errlen, "%s:%zu: %s: missing value",
			    path, lineno, key);
			goto fail;
		}
		if (conf_set(c, key, val, &e) == -1) {
			snprintf(err, errlen, "%s:%zu: %s: %s", path, lineno,
			    key, e);
			goto fail;
		}
	}
	free(line);
	fclose(fp);
	return 0;
fail:
	free(line);
	fclose(fp);
	return -1;
}

char *
conf_default_path(void)
{
	const char *env, *home;
	char *p;

	if ((env = getenv("ACAPCTL_CONFIG")) != NULL && env[0] != '\0')
		return strdup(env);
	if ((env = getenv("XDG_CONFIG_HOME")) != NULL && env[0] == '/') {
		if (asprintf(&p, "%s/acapctl.conf", env) < 0)
			return NULL;
		return p;
	}
	if ((home = getenv("HOME")) == NULL || home[0] == '\0')
		return NULL;
	if (asprintf(&p, "%s/.config/acapctl.conf", home) < 0)
		return NULL;
	return p;
}
