/*
 * ctl.c -- one acapctl run: the server connection (connect, STARTTLS,
 * SASL), running ACAP commands, reading datasets and storing, the local
 * user database, per-command options, errors and output.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "acap-buf.h"
#include "acap-client.h"
#include "cmds.h"
#include "ctl.h"
#include "words.h"
#include "ds.h"
#include "jsonx.h"
#include "model.h"
#include "sasl.h"
#include "userdb.h"

#define SECRET_MAX	1024

static struct userdb *local_db;

void
ctl_init(struct ctl *ctl)
{
	const char *env = getenv("ACAPCTL_PAGE_SIZE");
	char *end;
	unsigned long n;

	memset(ctl, 0, sizeof(*ctl));
	conf_init(&ctl->conf);
	ctl->page_size = CTL_PAGE_SIZE;
	if (env != NULL && env[0] != '\0') {
		n = strtoul(env, &end, 10);
		if (*end == '\0' && n <= 1000000)
			ctl->page_size = n;
	}
}

static void
wipe_password(struct ctl *ctl)
{
	if (ctl->password != NULL) {
		explicit_bzero(ctl->password, strlen(ctl->password));
		free(ctl->password);
		ctl->password = NULL;
	}
}

static void
command_reset(struct ctl *ctl)
{
	free(ctl->cmdname);
	ctl->cmdname = NULL;
	json_decref(ctl->result);
	ctl->result = NULL;
	json_decref(ctl->warnings);
	ctl->warnings = NULL;
	free(ctl->error);
	ctl->error = NULL;
	free(ctl->error_code);
	ctl->error_code = NULL;
	ctl->usage_error = false;
}

void
ctl_deinit(struct ctl *ctl)
{
	if (ctl->client != NULL) {
		if (acap_client_is_open(ctl->client))
			(void)acap_client_logout(ctl->client);
		acap_client_free(&ctl->client);
	}
	if (local_db != NULL)
		userdb_close(&local_db);
	wipe_password(ctl);
	command_reset(ctl);
	free(ctl->cwd);
	conf_clear(&ctl->conf);
}

/* Errors and output. */

static char *
vfmt(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	return s;
}

static void
set_error(struct ctl *ctl, char *msg)
{
	/* the first error is the cause; later ones are consequences */
	if (ctl->error == NULL)
		ctl->error = msg;
	else
		free(msg);
}

int
ctl_error(struct ctl *ctl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_error(ctl, vfmt(fmt, ap));
	va_end(ap);
	return CTL_FAIL;
}

int
ctl_usage(struct ctl *ctl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_error(ctl, vfmt(fmt, ap));
	va_end(ap);
	ctl->usage_error = true;
	return CTL_USAGE;
}

const struct acap_completion *
ctl_completion(const struct ctl *ctl)
{
	return ctl->client != NULL ? acap_client_completion(ctl->client) :
	    NULL;
}

static int refused(struct ctl *ctl, const struct acap_completion *c,
    const char *prefix);

int
ctl_refused(struct ctl *ctl, const char *fmt, ...)
{
	va_list ap;
	char *prefix;
	int r;

	va_start(ap, fmt);
	prefix = vfmt(fmt, ap);
	va_end(ap);
	r = refused(ctl, ctl_completion(ctl), prefix);
	free(prefix);
	return r;
}

/* The error "prefix: server said NO (CODE args) "text"" from c. */
static int
refused(struct ctl *ctl, const struct acap_completion *c, const char *prefix)
{
	struct acap_buf b = ACAP_BUF_INIT;
	size_t i;

	acap_buf_addstr(&b, prefix);
	if (c != NULL) {
		acap_buf_printf(&b, ": server said %s",
		    c->status == ACAP_STATUS_NO ? "NO" :
		    c->status == ACAP_STATUS_BAD ? "BAD" : "OK");
		if (c->code != NULL) {
			acap_buf_printf(&b, " (%s", c->code);
			for (i = 0; i < c->ncode_args; i++)
				acap_buf_printf(&b, " %s", c->code_args[i]);
			acap_buf_addch(&b, ')');
			if (ctl->error_code == NULL &&
			    (ctl->error_code = strdup(c->code)) == NULL)
				abort();
		}
		if (c->text[0] != '\0')
			acap_buf_printf(&b, " \"%s\"", c->text);
	}
	set_error(ctl, strdup(b.data));
	acap_buf_deinit(&b);
	return CTL_FAIL;
}

void
ctl_warn(struct ctl *ctl, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = vfmt(fmt, ap);
	va_end(ap);
	if (ctl->json) {
		if (ctl->warnings == NULL)
			ctl->warnings = json_array();
		jsonx_add(ctl->warnings, jsonx_str(msg));
	} else
		fprintf(stderr, "acapctl: warning: %s\n", msg);
	free(msg);
}

void
ctl_out(struct ctl *ctl, const char *fmt, ...)
{
	va_list ap;

	if (ctl->json)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

json_t *
ctl_result(struct ctl *ctl)
{
	if (ctl->result == NULL)
		ctl->result = json_object();
	return ctl->result;
}

/* Options. */

int
ctl_getopt(struct ctl *ctl, int *argc, char **argv, const struct ctl_opt *opts)
{
	const struct ctl_opt *o;
	struct ctl_list *list;
	int i, out = 0;
	const char *name, *eq, *val;
	size_t nlen;
	bool done = false;

	for (i = 0; i < *argc; i++) {
		if (done || strncmp(argv[i], "--", 2) != 0 ||
		    argv[i][2] == '\0') {
			if (!done && strcmp(argv[i], "--") == 0) {
				done = true;
				continue;
			}
			argv[out++] = argv[i];
			continue;
		}
		name = argv[i] + 2;
		eq = strchr(name, '=');
		nlen = eq != NULL ? (size_t)(eq - name) : strlen(name);
		if (nlen == 4 && strncmp(name, "json", 4) == 0 && eq == NULL) {
			ctl->json = true;
			continue;
		}
		for (o = opts; o != NULL && o->name != NULL; o++)
			if (strlen(o->name) == nlen &&
			    strncmp(o->name, name, nlen) == 0)
				break;
		if (o == NULL || o->name == NULL)
			return ctl_usage(ctl, "unknown option --%.*s",
			    (int)nlen, name);
		if (o->type == CTL_OPT_FLAG) {
			if (eq != NULL)
				return ctl_usage(ctl, "--%s takes no value",
				    o->name);
			*(bool *)o->dst = true;
			continue;
		}
		if (eq != NULL)
			val = eq + 1;
		else if (i + 1 < *argc)
			val = argv[++i];
		else
			return ctl_usage(ctl, "--%s needs a value", o->name);
		if (o->type == CTL_OPT_ARG) {
			*(const char **)o->dst = val;
			continue;
		}
		list = o->dst;
		if (list->n == CTL_LIST_MAX)
			return ctl_usage(ctl, "--%s: at most %d times",
			    o->name, CTL_LIST_MAX);
		list->v[list->n++] = val;
	}
	argv[out] = NULL;
	*argc = out;
	return 0;
}

/* Passwords. */

int
ctl_read_secret(const char *prompt, char *buf, size_t size)
{
	struct termios old, noecho;
	struct sigaction sa, oint;
	size_t n = 0;
	bool restore;
	char c;
	int fd;

	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) == -1)
		return -1;
	(void)!write(fd, prompt, strlen(prompt));
	restore = tcgetattr(fd, &old) == 0;
	if (restore) {
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		noecho.c_lflag |= ECHONL;
		/* Ctrl-C must not leave the terminal without echo */
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_IGN;
		sigaction(SIGINT, &sa, &oint);
		tcsetattr(fd, TCSAFLUSH, &noecho);
	}
	while (read(fd, &c, 1) == 1 && c != '\n' && c != '\r') {
		if (n + 1 < size)
			buf[n++] = c;
	}
	buf[n] = '\0';
	if (restore) {
		tcsetattr(fd, TCSAFLUSH, &old);
		sigaction(SIGINT, &oint, NULL);
	}
	close(fd);
	explicit_bzero(&c, sizeof(c));
	return 0;
}

/* First line of a file or stream, without its newline.  NULL on error. */
static char *
read_first_line(FILE *fp)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if ((n = getline(&line, &cap, fp)) == -1) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

static char *
password_from_file(struct ctl *ctl, const char *path)
{
	struct stat st;
	char *pw;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		ctl_error(ctl, "password file %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(fp), &st) == 0 && (st.st_mode & 0044) != 0)
		ctl_warn(ctl, "password file %s is readable by others", path);
	pw = read_first_line(fp);
	fclose(fp);
	if (pw == NULL || pw[0] == '\0') {
		free(pw);
		ctl_error(ctl, "password file %s is empty", path);
		return NULL;
	}
	return pw;
}

char *
ctl_new_password(struct ctl *ctl, bool from_stdin, const char *file)
{
	char a[SECRET_MAX], b[SECRET_MAX], *pw;

	if (from_stdin) {
		if (ctl->stdin_busy) {
			ctl_error(ctl, "--password-stdin: standard input "
			    "carries the commands");
			return NULL;
		}
		if ((pw = read_first_line(stdin)) == NULL || pw[0] == '\0') {
			free(pw);
			ctl_error(ctl, "no password on standard input");
			return NULL;
		}
		return pw;
	}
	if (file != NULL)
		return password_from_file(ctl, file);
	if (ctl_read_secret("New password: ", a, sizeof(a)) == -1) {
		ctl_error(ctl, "no terminal to ask for the password: use "
		    "--password-stdin or --password-file");
		return NULL;
	}
	if (ctl_read_secret("Again: ", b, sizeof(b)) == -1 ||
	    strcmp(a, b) != 0) {
		explicit_bzero(a, sizeof(a));
		explicit_bzero(b, sizeof(b));
		ctl_error(ctl, "the passwords differ");
		return NULL;
	}
	explicit_bzero(b, sizeof(b));
	if (a[0] == '\0') {
		ctl_error(ctl, "empty password");
		return NULL;
	}
	if ((pw = strdup(a)) == NULL)
		abort();
	explicit_bzero(a, sizeof(a));
	return pw;
}

/* The login password: cached, file, $ACAPCTL_PASSWORD or the terminal. */
static const char *
login_password(struct ctl *ctl)
{
	char buf[SECRET_MAX], prompt[512];
	const char *env;

	if (ctl->password != NULL)
		return ctl->password;
	if (ctl->conf.password_file != NULL) {
		ctl->password = password_from_file(ctl,
		    ctl->conf.password_file);
		return ctl->password;
	}
	if ((env = getenv("ACAPCTL_PASSWORD")) != NULL && env[0] != '\0') {
		if ((ctl->password = strdup(env)) == NULL)
			abort();
		return ctl->password;
	}
	snprintf(prompt, sizeof(prompt), "Password for %s@%s: ",
	    ctl->conf.user, ctl->conf.host != NULL ? ctl->conf.host :
	    "localhost");
	if (ctl_read_secret(prompt, buf, sizeof(buf)) == -1) {
		ctl_error(ctl, "no password: use --password-file, "
		    "$ACAPCTL_PASSWORD or run on a terminal");
		return NULL;
	}
	if ((ctl->password = strdup(buf)) == NULL)
		abort();
	explicit_bzero(buf, sizeof(buf));
	return ctl->password;
}

/* Connection. */

static const char *
cred_authname(void *arg)
{
	struct ctl *ctl = arg;

	return ctl->conf.user;
}

static const char *
cred_authzid(void *arg)
{
	struct ctl *ctl = arg;

	return ctl->conf.authzid;
}

static const char *
cred_password(void *arg)
{
	return login_password(arg);
}

static void
trace_cb(char dir, const char *data, size_t len, void *arg)
{
	(void)arg;
	fprintf(stderr, "%c: %.*s\n", dir, (int)len, data);
}

bool
ctl_server_configured(const struct ctl *ctl)
{
	return ctl->conf.host != NULL || ctl->conf.port != NULL;
}

static int open_client(struct ctl *ctl, struct acap_client **cp);

int
ctl_connect(struct ctl *ctl)
{
	if (ctl->client != NULL && acap_client_is_open(ctl->client) &&
	    acap_client_authenticated(ctl->client))
		return 0;
	acap_client_free(&ctl->client);
	return open_client(ctl, &ctl->client);
}

int
ctl_connect_another(struct ctl *ctl, struct acap_client **c_r)
{
	*c_r = NULL;
	return open_client(ctl, c_r);
}

void
ctl_close_another(struct acap_client **cp)
{
	if (*cp != NULL && acap_client_is_open(*cp) &&
	    !acap_client_in_flight(*cp))
		(void)acap_client_logout(*cp);
	acap_client_free(cp);
}

/* Connect, STARTTLS and authenticate a new connection into *cp. */
static int
open_client(struct ctl *ctl, struct acap_client **cp)
{
	struct acap_client_opts o;
	struct acap_client_tls tls;
	struct acap_client_creds cr;
	const char *err;

	if (ctl->conf.user == NULL) {
		ctl_error(ctl, "no user to log in as: give -u USER or "
		    "\"user\" in %s", "the configuration file");
		return -1;
	}
	acap_client_opts_init(&o);
	o.host = ctl->conf.host != NULL ? ctl->conf.host : "localhost";
	if (ctl->conf.port != NULL)
		o.port = ctl->conf.port;
	o.family = ctl->conf.family;
	o.timeout_ms = ctl->conf.timeout_s * 1000;
	if (ctl->verbose)
		o.trace_cb = trace_cb;
	if (acap_client_connect(&o, cp, &err) == -1) {
		ctl_error(ctl, "%s", err);
		return -1;
	}
	if (ctl->conf.tls != CONF_TLS_OFF) {
		if (acap_client_has_starttls(*cp)) {
			memset(&tls, 0, sizeof(tls));
			tls.cafile = ctl->conf.cafile;
			tls.verify_name = ctl->conf.tls_name;
			tls.insecure = ctl->conf.insecure;
			if (acap_client_starttls(*cp, &tls,
			    &err) == -1) {
				ctl_error(ctl, "%s: %s", o.host, err);
				goto fail;
			}
		} else if (ctl->conf.tls == CONF_TLS_REQUIRE) {
			ctl_error(ctl, "%s does not offer STARTTLS (and "
			    "--starttls requires it)", o.host);
			goto fail;
		}
	}
	cr.authname_cb = cred_authname;
	cr.authzid_cb = ctl->conf.authzid != NULL ? cred_authzid : NULL;
	cr.password_cb = cred_password;
	cr.arg = ctl;
	if (acap_client_authenticate(*cp, ctl->conf.mech, &cr,
	    &err) == -1) {
		/* a refused password must not be retried silently */
		if (acap_client_completion(*cp) != NULL)
			wipe_password(ctl);
		ctl_error(ctl, "%s as %s: %s", o.host, ctl->conf.user, err);
		goto fail;
	}
	return 0;
fail:
	acap_client_free(cp);
	return -1;
}

struct run_ctx {
	struct ctl *ctl;
	acap_client_resp_cb *cb;
	void *arg;
};

static void
run_cb(const struct acap_client_resp *r, void *arg)
{
	struct run_ctx *rc = arg;
	const char *text;

	if (!r->tagged && (strcmp(r->name, "ALERT") == 0 ||
	    strcmp(r->name, "NO") == 0)) {
		text = r->nargs > 0 && r->args[r->nargs - 1].str != NULL ?
		    r->args[r->nargs - 1].str : "";
		/* RFC 2244 §6.2.9: an ALERT MUST reach the user */
		if (strcmp(r->name, "ALERT") == 0)
			fprintf(stderr, "acapctl: ALERT from server: %s\n",
			    text);
		else
			ctl_warn(rc->ctl, "server warning: %s", text);
		return;
	}
	if (rc->cb != NULL)
		rc->cb(r, rc->arg);
}

int
ctl_run(struct ctl *ctl, const struct acap_buf *body,
    acap_client_resp_cb *cb, void *arg)
{
	struct run_ctx rc = { ctl, cb, arg };
	const struct acap_completion *c;
	const char *err;

	if (ctl_connect(ctl) == -1)
		return -1;
	if (acap_client_command(ctl->client, body->data, body->len, run_cb,
	    &rc, &err) == -1) {
		ctl_error(ctl, "%s", err);
		acap_client_free(&ctl->client);
		return -1;
	}
	c = acap_client_completion(ctl->client);
	return c->status == ACAP_STATUS_OK ? 0 : 1;
}

int
ctl_store_send(struct ctl *ctl, struct acap_client *c,
    const struct ds_store *st)
{
	struct acap_buf b = ACAP_BUF_INIT;
	const char *err;
	int r;

	ds_store_format(st, c, &b);
	if ((r = acap_client_send(c, b.data, b.len, &err)) == -1)
		ctl_error(ctl, "%s", err);
	acap_buf_deinit(&b);
	return r;
}

int
ctl_store_finish(struct ctl *ctl, struct acap_client *c, const char *what)
{
	struct run_ctx rc = { ctl, NULL, NULL };
	const struct acap_completion *comp;
	const char *err;

	if (acap_client_finish(c, run_cb, &rc, &err) == -1) {
		ctl_error(ctl, "%s", err);
		return -1;
	}
	comp = acap_client_completion(c);
	if (comp->status == ACAP_STATUS_OK)
		return 0;
	refused(ctl, comp, what);
	return 1;
}

struct read_ctx {
	struct ds *ds;
	bool bad;
	size_t count;		/* ENTRY responses */
	char *last;		/* the last one's name (paging) */
};

static void
read_cb(const struct acap_client_resp *r, void *arg)
{
	struct read_ctx *rc = arg;
	struct ds_entry e;

	if (!r->tagged || strcmp(r->name, "ENTRY") != 0)
		return;
	if (ds_entry_parse(r->args, r->nargs, &e) == -1) {
		rc->bad = true;
		return;
	}
	rc->count++;
	free(rc->last);
	if ((rc->last = strdup(e.name)) == NULL)
		abort();
	ds_add_entry(rc->ds, &e);
}

int
ctl_read_dataset(struct ctl *ctl, const char *path, unsigned int flags,
    const char *entry, struct ds **ds_r)
{
	struct acap_buf crit = ACAP_BUF_INIT;
	int r;

	*ds_r = NULL;
	if (ctl_connect(ctl) == -1)
		return -1;
	if (entry == NULL)
		return ctl_search_paged(ctl, path, flags, NULL, ds_r);
	acap_buf_addstr(&crit, "EQUAL \"entry\" \"i;octet\" ");
	acap_client_add_string(ctl->client, &crit, entry, strlen(entry));
	r = ctl_search_dataset(ctl, path, flags, crit.data, ds_r);
	acap_buf_deinit(&crit);
	return r;
}

/*
 * A page: SEARCH path [NOINHERIT] RETURN ("*") SORT ("entry" "i;octet")
 * LIMIT n n, criteria the entries named after "after" (all of them when
 * NULL) and the caller's (when not NULL); n 0: no SORT, no LIMIT (one
 * SEARCH).  ctl_run()'s result.
 */
static int
search_page(struct ctl *ctl, const char *path, unsigned int flags,
    const char *criteria, const char *after, size_t n, struct read_ctx *rc)
{
	struct acap_buf b = ACAP_BUF_INIT;
	int r;

	acap_buf_addstr(&b, "SEARCH ");
	acap_client_add_string(ctl->client, &b, path, strlen(path));
	if (flags & CTL_NOINHERIT)
		acap_buf_addstr(&b, " NOINHERIT");
	acap_buf_addstr(&b, " RETURN (\"*\") ");
	if (n > 0)
		acap_buf_printf(&b, "SORT (\"entry\" \"i;octet\") "
		    "LIMIT %zu %zu ", n, n);
	if (after != NULL && criteria != NULL)
		acap_buf_addstr(&b, "AND ");
	if (after != NULL) {
		/* RFC 2244 §3.4, §6.4.1: "+" order, strictly later names */
		acap_buf_addstr(&b, "COMPARESTRICT \"entry\" \"+i;octet\" ");
		acap_client_add_string(ctl->client, &b, after, strlen(after));
		if (criteria != NULL)
			acap_buf_addch(&b, ' ');
	}
	if (criteria != NULL)
		acap_buf_addstr(&b, criteria);
	else if (after == NULL)
		acap_buf_addstr(&b, "ALL");
	r = ctl_run(ctl, &b, read_cb, rc);
	acap_buf_deinit(&b);
	return r;
}

/* ctl_search_paged() in pages of n entries; n 0: ctl_search_dataset(). */
static int
search_read(struct ctl *ctl, const char *path, unsigned int flags,
    const char *criteria, size_t n, struct ds **ds_r)
{
	const struct acap_completion *c;
	struct read_ctx rc;
	char *after = NULL;
	int r;

	*ds_r = NULL;
	if (ctl_connect(ctl) == -1)
		return -1;
	memset(&rc, 0, sizeof(rc));
	rc.ds = ds_new(path);
	for (;;) {
		rc.count = 0;
		r = search_page(ctl, path, flags, criteria, after, n, &rc);
		if (r == -1)
			goto fail;
		if (r == 1) {
			c = ctl_completion(ctl);
			if (c->status == ACAP_STATUS_NO && c->code != NULL &&
			    strcmp(c->code, "NOEXIST") == 0 && after == NULL) {
				rc.ds->exists = false;
				break;
			}
			/* over the server's work budget: smaller pages */
			if (c->status == ACAP_STATUS_NO && c->code != NULL &&
			    strcmp(c->code, "WAYTOOMANY/WORK") == 0 &&
			    rc.count == 0 && n > 1) {
				n /= 2;
				continue;
			}
			ctl_refused(ctl, "reading %s", path);
			goto fail;
		}
		if (rc.bad) {
			ctl_error(ctl, "reading %s: the server sent an ENTRY "
			    "acapctl cannot read", path);
			goto fail;
		}
		if (n == 0 || rc.count < n || rc.last == NULL)
			break;		/* the last page */
		free(after);
		after = rc.last;
		rc.last = NULL;
	}
	free(after);
	free(rc.last);
	ds_sort(rc.ds);
	*ds_r = rc.ds;
	return 0;
fail:
	free(after);
	free(rc.last);
	ds_free(&rc.ds);
	return -1;
}

int
ctl_search_dataset(struct ctl *ctl, const char *path, unsigned int flags,
    const char *criteria, struct ds **ds_r)
{
	return search_read(ctl, path, flags, criteria, 0, ds_r);
}

int
ctl_search_paged(struct ctl *ctl, const char *path, unsigned int flags,
    const char *criteria, struct ds **ds_r)
{
	/* ACAPCTL_PAGE_SIZE=0: one SEARCH */
	return search_read(ctl, path, flags, criteria, ctl->page_size, ds_r);
}

int
ctl_store(struct ctl *ctl, const struct ds_store *st, const char *what)
{
	return ctl_store_cb(ctl, st, what, NULL, NULL);
}

int
ctl_store_cb(struct ctl *ctl, const struct ds_store *st, const char *what,
    acap_client_resp_cb *cb, void *arg)
{
	struct acap_buf b = ACAP_BUF_INIT;
	int r;

	if (ds_store_count(st) == 0)
		return 0;
	if (ctl_connect(ctl) == -1)
		return -1;
	ds_store_format(st, ctl->client, &b);
	r = ctl_run(ctl, &b, cb, arg);
	acap_buf_deinit(&b);
	if (r == 1)
		ctl_refused(ctl, "%s", what);
	return r;
}

int
ctl_take_layer(struct ctl *ctl, int *argc, char ***argv,
    struct model_layer *l)
{
	const char *err;
	int used;

	if (*argc > 0 && strcmp((*argv)[0], ".") == 0) {
		if (ctl->cwd == NULL)
			return ctl_usage(ctl, "no current dataset (use cd)");
		l->kind = MODEL_PATH;
		if ((l->name = strdup(ctl->cwd)) == NULL)
			abort();
		used = 1;
	} else if (model_layer_parse(*argc, *argv, l, &used, &err) == -1)
		return ctl_usage(ctl, "%s", err);
	*argc -= used;
	*argv += used;
	return CTL_OK;
}

/* Local user database. */

bool
ctl_userdb_configured(const struct ctl *ctl)
{
	return ctl->conf.statedir != NULL || ctl->conf.sasldb != NULL ||
	    ctl->conf.sasl_sql != NULL;
}

int
ctl_userdb(struct ctl *ctl, struct userdb **db_r)
{
	struct sasl_opts o;
	const char *err;
	char *dircopy = NULL;

	if (local_db != NULL) {
		*db_r = local_db;
		return 0;
	}
	if (!ctl_userdb_configured(ctl)) {
		ctl_error(ctl, "managing SASL accounts needs the instance: "
		    "run on the server host with -s STATEDIR or --sasldb "
		    "PATH, or give --sasl-sql URI");
		return -1;
	}
	if (ctl->conf.sasl_sql != NULL) {
		if (userdb_open_pg(ctl->conf.sasl_sql, &local_db, &err) ==
		    -1) {
			ctl_error(ctl, "user database: %s", err);
			return -1;
		}
		*db_r = local_db;
		return 0;
	}
	sasl_opts_init(&o);
	o.statedir = ctl->conf.statedir;
	o.sasldb_path = ctl->conf.sasldb;
	if (o.statedir == NULL) {
		if ((dircopy = strdup(ctl->conf.sasldb)) == NULL)
			abort();
		o.conf_dir = dirname(dircopy);
	}
	if (userdb_open(&o, &local_db, &err) == -1) {
		free(dircopy);
		ctl_error(ctl, "user database: %s", err);
		return -1;
	}
	free(dircopy);
	*db_r = local_db;
	return 0;
}

/* Running one command line. */

static void
finish(struct ctl *ctl, int status, const struct cmds_entry *ce)
{
	struct acap_buf b = ACAP_BUF_INIT;
	json_t *o;

	if (!ctl->json) {
		if (ctl->error != NULL)
			fprintf(stderr, "acapctl: %s\n", ctl->error);
		if (ctl->usage_error && ce != NULL)
			fprintf(stderr, "usage: acapctl %s%s%s %s\n",
			    ce->name, ce->sub != NULL ? " " : "",
			    ce->sub != NULL ? ce->sub : "", ce->args);
		fflush(stdout);
		return;
	}
	o = json_object();
	jsonx_set_str(o, "command", ctl->cmdname);
	jsonx_set_bool(o, "ok", status == CTL_OK);
	jsonx_set_int(o, "status", status);
	if (ctl->result != NULL) {
		jsonx_set(o, "result", ctl->result);
		ctl->result = NULL;
	}
	if (ctl->error != NULL)
		jsonx_set_str(o, "error", ctl->error);
	if (ctl->error_code != NULL)
		jsonx_set_str(o, "code", ctl->error_code);
	if (ctl->warnings != NULL) {
		jsonx_set(o, "warnings", ctl->warnings);
		ctl->warnings = NULL;
	}
	jsonx_write(o, &b, false);
	printf("%s\n", b.data);
	fflush(stdout);
	acap_buf_deinit(&b);
	json_decref(o);
}

int
ctl_exec(struct ctl *ctl, int argc, char **argv)
{
	const struct cmds_entry *ce;
	const char *err;
	bool json = ctl->json;
	int used, r;

	command_reset(ctl);
	if (argc == 0)
		return CTL_OK;
	ce = cmds_find(argc, argv, &used, &err);
	if (ctl->cmdname == NULL) {
		if (asprintf(&ctl->cmdname, "%s%s%s", argv[0],
		    ce != NULL && ce->sub != NULL ? " " : "",
		    ce != NULL && ce->sub != NULL ? ce->sub : "") < 0)
			abort();
	}
	if (ce == NULL) {
		/* --json among the words still selects JSON output */
		for (used = 0; used < argc; used++)
			if (strcmp(argv[used], "--json") == 0)
				ctl->json = true;
		r = ctl_usage(ctl, "%s", err);
		finish(ctl, r, NULL);
		ctl->json = json;
		return r;
	}
	if (ce->shell_only && !ctl->interactive) {
		r = ctl_usage(ctl, "\"%s\" is a command of the interactive "
		    "shell", ce->name);
		finish(ctl, r, NULL);
		return r;
	}
	r = ce->run(ctl, argc - used, argv + used);
	finish(ctl, r, ce);
	ctl->json = json;	/* a --json inside one command is for it */
	return r;
}

int
ctl_exec_words(struct ctl *ctl, int argc, char ***argvp)
{
	char **all;
	int r;

	if ((all = calloc((size_t)argc + 1, sizeof(*all))) == NULL)
		abort();
	memcpy(all, *argvp, ((size_t)argc + 1) * sizeof(*all));
	r = ctl_exec(ctl, argc, *argvp);
	free(*argvp);
	*argvp = all;
	words_free(argvp);
	return r;
}
