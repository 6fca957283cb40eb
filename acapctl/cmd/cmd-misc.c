/*
 * cmd-misc.c -- "lint" (RFC 5383 checks of effective settings), "watch"
 * (a NOTIFY context, RFC 2244 §6.4.1 MAKECONTEXT, §6.5), "raw" (any ACAP
 * command), and the dataset browsing commands "ls", "cd", "pwd".
 */
#include "autoconf.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "acap-buf.h"
#include "acap-client.h"
#include "cmds.h"
#include "ctl.h"
#include "ds.h"
#include "jsonx.h"
#include "lint.h"
#include "model.h"
#include "registry.h"

static char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		abort();
	return p;
}

/* lint */

static int
lint_layer(struct ctl *ctl, const struct model_layer *l, json_t *list,
    struct lint_report *total)
{
	struct ds *email = NULL, *pers = NULL;
	struct lint_report rep = { NULL, 0 };
	json_t *f;
	char *path, *lstr;
	size_t i;
	int rc = -1;

	path = model_dataset(l, "email");
	if (ctl_read_dataset(ctl, path, 0, NULL, &email) == -1)
		goto out;
	free(path);
	path = model_dataset(l, "personality");
	if (ctl_read_dataset(ctl, path, 0, NULL, &pers) == -1)
		goto out;
	lint_run(email, pers, &rep);
	lstr = model_layer_string(l);
	for (i = 0; i < rep.n; i++) {
		const struct lint_finding *x = &rep.f[i];

		f = jsonx_add(list, json_object());
		jsonx_set_str(f, "layer", lstr);
		jsonx_set_str(f, "severity",
		    lint_severity_name(x->severity));
		jsonx_set_str(f, "rule", x->rule);
		jsonx_set_str(f, "reference", x->ref);
		jsonx_set_str(f, "class", x->cls);
		jsonx_set_str(f, "entry", x->entry);
		jsonx_set_str(f, "attribute", x->attr);
		jsonx_set_str(f, "message", x->message);
		ctl_out(ctl, "%-7s %s %s %s: [%s] %s (%s)\n",
		    lint_severity_name(x->severity), lstr, x->cls, x->entry,
		    x->rule, x->message, x->ref);
	}
	if (email->nentries == 0 && l->kind == MODEL_SITE)
		ctl_out(ctl, "note    site: no email accounts at the site "
		    "layer\n");
	free(lstr);
	/* hand the findings over to the total */
	for (i = 0; i < rep.n; i++) {
		struct lint_finding *p = realloc(total->f,
		    (total->n + 1) * sizeof(*p));

		if (p == NULL)
			abort();
		total->f = p;
		total->f[total->n++] = rep.f[i];
	}
	free(rep.f);
	rc = 0;
out:
	free(path);
	ds_free(&email);
	ds_free(&pers);
	return rc;
}

int
cmd_misc_lint(struct ctl *ctl, int argc, char **argv)
{
	bool strict = false, all = false;
	struct ctl_opt opts[] = {
		{ "strict", CTL_OPT_FLAG, &strict },
		{ "all", CTL_OPT_FLAG, &all },
		{ NULL, CTL_OPT_FLAG, NULL },
	};
	struct model_layer l = { MODEL_SITE, NULL }, *below = NULL;
	struct lint_report total = { NULL, 0 };
	json_t *list;
	size_t nbelow = 0, i, nerr, nwarn, nnote;
	int rc = CTL_FAIL;

	if (ctl_getopt(ctl, &argc, argv, opts) != 0)
		return CTL_USAGE;
	if (argc > 0 && ctl_take_layer(ctl, &argc, &argv, &l) != CTL_OK)
		return CTL_USAGE;
	if (argc != 0) {
		model_layer_clear(&l);
		return ctl_usage(ctl, "lint takes at most a layer");
	}
	if (l.kind == MODEL_PATH) {
		model_layer_clear(&l);
		return ctl_usage(ctl, "lint checks a layer (site, org, user, "
		    "device), not a path");
	}
	list = jsonx_set(ctl_result(ctl), "findings", json_array());
	if (lint_layer(ctl, &l, list, &total) == -1)
		goto out;
	if (all) {
		if (registry_below(ctl, (int)l.kind, l.name, &below,
		    &nbelow) == -1)
			goto out;
		for (i = 0; i < nbelow; i++)
			if (lint_layer(ctl, &below[i], list, &total) == -1)
				goto out;
	}
	nerr = lint_count(&total, LINT_ERROR);
	nwarn = lint_count(&total, LINT_WARNING) - nerr;
	nnote = total.n - nerr - nwarn;
	jsonx_set_int(ctl_result(ctl), "errors", (long long)nerr);
	jsonx_set_int(ctl_result(ctl), "warnings", (long long)nwarn);
	jsonx_set_int(ctl_result(ctl), "notes", (long long)nnote);
	ctl_out(ctl, "%zu error%s, %zu warning%s, %zu note%s\n", nerr,
	    nerr == 1 ? "" : "s", nwarn, nwarn == 1 ? "" : "s", nnote,
	    nnote == 1 ? "" : "s");
	if (nerr > 0 || (strict && nwarn > 0))
		ctl_error(ctl, "settings do not pass RFC 5383 checks%s",
		    strict && nerr == 0 ? " (--strict: warnings count)" : "");
	else
		rc = CTL_OK;
out:
	for (i = 0; i < nbelow; i++)
		model_layer_clear(&below[i]);
	free(below);
	lint_report_clear(&total);
	model_layer_clear(&l);
	return rc;
}

/* Rendering responses (raw, watch). */

static json_t *
arg_json(const struct acap_arg *a)
{
	json_t *j;
	size_t i;

	switch (a->type) {
	case ACAP_ARG_NIL:
		return json_null();
	case ACAP_ARG_ATOM:
	case ACAP_ARG_STRING:
		return jsonx_strn(a->str, a->len);
	case ACAP_ARG_LIST:
		break;
	}
	j = json_array();
	for (i = 0; i < a->count; i++)
		jsonx_add(j, arg_json(&a->list[i]));
	return j;
}

static json_t *
resp_json(const struct acap_client_resp *r)
{
	json_t *o = json_object(), *args;
	size_t i;

	jsonx_set_bool(o, "tagged", r->tagged);
	jsonx_set_str(o, "name", r->name);
	args = jsonx_set(o, "args", json_array());
	for (i = 0; i < r->nargs; i++)
		jsonx_add(args, arg_json(&r->args[i]));
	return o;
}

static void
print_resp(const struct acap_client_resp *r, const char *lead)
{
	struct acap_buf b = ACAP_BUF_INIT;

	acap_buf_printf(&b, "%s%s", lead, r->name);
	if (r->nargs > 0) {
		acap_buf_addch(&b, ' ');
		acap_client_args_format(&b, r->args, r->nargs);
	}
	printf("%s\n", b.data);
	acap_buf_deinit(&b);
}

/* raw */

struct raw_ctx {
	struct ctl *ctl;
	json_t *list;
};

static void
raw_cb(const struct acap_client_resp *r, void *arg)
{
	struct raw_ctx *rc = arg;

	jsonx_add(rc->list, resp_json(r));
	if (!rc->ctl->json)
		print_resp(r, r->tagged ? "- " : "* ");
}

int
cmd_misc_raw(struct ctl *ctl, int argc, char **argv)
{
	struct acap_buf b = ACAP_BUF_INIT;
	const struct acap_completion *c;
	struct raw_ctx rc;
	json_t *comp, *codeargs;
	size_t i;
	int r, k;

	/* no option parsing: the command is passed through as given */
	if (argc > 0 && strcmp(argv[0], "--json") == 0) {
		ctl->json = true;
		argc--;
		argv++;
	}
	if (argc == 0)
		return ctl_usage(ctl, "raw needs an ACAP command (without "
		    "tag), e.g. raw 'SEARCH \"/email/site/\" RETURN (\"*\") "
		    "ALL'");
	for (k = 0; k < argc; k++) {
		if (k > 0)
			acap_buf_addch(&b, ' ');
		acap_buf_addstr(&b, argv[k]);
	}
	if (strchr(b.data, '\n') != NULL || strchr(b.data, '\r') != NULL) {
		acap_buf_deinit(&b);
		return ctl_usage(ctl, "raw: the command must be one line");
	}
	rc.ctl = ctl;
	rc.list = jsonx_set(ctl_result(ctl), "responses",
	    json_array());
	r = ctl_run(ctl, &b, raw_cb, &rc);
	acap_buf_deinit(&b);
	if (r == -1)
		return CTL_FAIL;
	c = ctl_completion(ctl);
	comp = jsonx_set(ctl_result(ctl), "completion",
	    json_object());
	jsonx_set_str(comp, "status", c->status == ACAP_STATUS_OK ?
	    "OK" : c->status == ACAP_STATUS_NO ? "NO" : "BAD");
	jsonx_set_str(comp, "code", c->code);
	codeargs = jsonx_set(comp, "code_args", json_array());
	for (i = 0; i < c->ncode_args; i++)
		jsonx_add(codeargs, jsonx_str(c->code_args[i]));
	jsonx_set_str(comp, "text", c->text);
	if (!ctl->json) {
		printf("%s", c->status == ACAP_STATUS_OK ? "OK" :
		    c->status == ACAP_STATUS_NO ? "NO" : "BAD");
		if (c->code != NULL) {
			printf(" (%s", c->code);
			for (i = 0; i < c->ncode_args; i++)
				printf(" %s", c->code_args[i]);
			printf(")");
		}
		printf(" \"%s\"\n", c->text);
	}
	if (r == 1)
		return ctl_error(ctl, "the server answered %s",
		    c->status == ACAP_STATUS_NO ? "NO" : "BAD");
	return CTL_OK;
}

/* watch */

static volatile sig_atomic_t watch_stop;

static void
watch_sigint(int sig)
{
	(void)sig;
	watch_stop = 1;
}

struct watch_ctx {
	struct ctl *ctl;
	const char *context;
	json_t *events;
	unsigned long changes;
	bool initial;
};

static void
watch_cb(const struct acap_client_resp *r, void *arg)
{
	struct watch_ctx *w = arg;
	struct acap_buf b = ACAP_BUF_INIT;
	json_t *ev;
	const char *what;

	if (w->initial) {
		/* the SEARCH's own ENTRY responses: the starting state */
		if (!r->tagged || strcmp(r->name, "ENTRY") != 0 ||
		    r->nargs < 1 || r->args[0].str == NULL ||
		    r->args[0].str[0] == '\0')
			return;	/* the "" entry is management (§5) */
		ev = jsonx_add(w->events, resp_json(r));
		if (!w->ctl->json)
			printf("entry %s\n", r->args[0].str != NULL ?
			    r->args[0].str : "?");
		return;
	}
	if (strcmp(r->name, "ADDTO") == 0)
		what = "added";
	else if (strcmp(r->name, "REMOVEFROM") == 0)
		what = "removed";
	else if (strcmp(r->name, "CHANGE") == 0)
		what = "changed";
	else if (strcmp(r->name, "MODTIME") == 0)
		what = "modtime";
	else
		what = NULL;
	if (what != NULL && strcmp(what, "modtime") != 0)
		w->changes++;
	ev = resp_json(r);
	if (w->ctl->json) {
		jsonx_write(ev, &b, false);
		printf("%s\n", b.data);
	} else if (what != NULL && r->nargs >= 2) {
		/* args: context entry ... (RFC 2244 §6.5.3-6) */
		acap_client_args_format(&b, r->args + 1, r->nargs - 1);
		printf("%-8s %s\n", what, b.data);
	} else
		print_resp(r, "* ");
	fflush(stdout);
	json_decref(ev);
	acap_buf_deinit(&b);
}

int
cmd_misc_watch(struct ctl *ctl, int argc, char **argv)
{
	const char *timeout_s = NULL, *count_s = NULL;
	struct ctl_opt opts[] = {
		{ "timeout", CTL_OPT_ARG, &timeout_s },
		{ "count", CTL_OPT_ARG, &count_s },
		{ NULL, CTL_OPT_FLAG, NULL },
	};
	struct acap_buf b = ACAP_BUF_INIT;
	struct sigaction sa, old;
	struct watch_ctx w;
	struct model_layer l;
	char context[64], *path = NULL, *end;
	const char *err;
	long timeout = 0, count = 0;
	time_t deadline = 0;
	int r, rc = CTL_FAIL;

	if (ctl_getopt(ctl, &argc, argv, opts) != 0)
		return CTL_USAGE;
	if (timeout_s != NULL &&
	    ((timeout = strtol(timeout_s, &end, 10)) <= 0 || *end != '\0'))
		return ctl_usage(ctl, "--timeout is a number of seconds");
	if (count_s != NULL && ((count = strtol(count_s, &end, 10)) <= 0 ||
	    *end != '\0'))
		return ctl_usage(ctl, "--count is a positive number");
	if (argc == 0 && ctl->cwd != NULL)
		path = xstrdup(ctl->cwd);
	else {
		if (ctl_take_layer(ctl, &argc, &argv, &l) != CTL_OK)
			return CTL_USAGE;
		path = l.kind == MODEL_PATH ? xstrdup(l.name) :
		    model_dataset(&l, "email");
		model_layer_clear(&l);
		if (argc != 0) {
			free(path);
			return ctl_usage(ctl, "watch takes one dataset");
		}
	}
	if (ctl_connect(ctl) == -1)
		goto out;
	/* context names are client-chosen, never starting with "/" (§3.3) */
	snprintf(context, sizeof(context), "acapctl-watch-%ld",
	    (long)getpid());
	memset(&w, 0, sizeof(w));
	w.ctl = ctl;
	w.context = context;
	w.initial = true;
	w.events = jsonx_set(ctl_result(ctl), "initial",
	    json_array());
	acap_buf_addstr(&b, "SEARCH ");
	acap_client_add_string(ctl->client, &b, path, strlen(path));
	acap_buf_addstr(&b, " MAKECONTEXT NOTIFY ");
	acap_client_add_string(ctl->client, &b, context, strlen(context));
	acap_buf_addstr(&b, " RETURN (\"*\") ALL");
	r = ctl_run(ctl, &b, watch_cb, &w);
	if (r == -1)
		goto out;
	if (r == 1) {
		ctl_refused(ctl, "watch %s: the server made no NOTIFY context",
		    path);
		goto out;
	}
	jsonx_set_str(ctl_result(ctl), "dataset", path);
	jsonx_set_str(ctl_result(ctl), "context", context);
	/* on stderr even with --json: scripts wait for it */
	fprintf(stderr, "acapctl: watching %s (Ctrl-C to stop)\n", path);
	w.initial = false;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = watch_sigint;
	sigaction(SIGINT, &sa, &old);
	watch_stop = 0;
	if (timeout > 0)
		deadline = time(NULL) + timeout;
	while (!watch_stop) {
		if (count > 0 && w.changes >= (unsigned long)count)
			break;
		if (deadline != 0 && time(NULL) >= deadline)
			break;
		/* short slices so that Ctrl-C and --timeout are noticed */
		r = acap_client_wait(ctl->client, 250, watch_cb, &w, &err);
		if (r == -1) {
			sigaction(SIGINT, &old, NULL);
			ctl_error(ctl, "watch: %s", err);
			acap_client_free(&ctl->client);
			goto out;
		}
	}
	sigaction(SIGINT, &old, NULL);
	jsonx_set_int(ctl_result(ctl), "changes", (long long)w.changes);
	acap_buf_reset(&b);
	acap_buf_addstr(&b, "FREECONTEXT ");
	acap_client_add_string(ctl->client, &b, context, strlen(context));
	w.initial = false;
	if (ctl_run(ctl, &b, watch_cb, &w) == -1)
		goto out;
	rc = CTL_OK;
out:
	acap_buf_deinit(&b);
	free(path);
	return rc;
}

/* ls, cd, pwd */

int
cmd_misc_ls(struct ctl *ctl, int argc, char **argv)
{
	const char *cls_opt = NULL;
	struct ctl_opt opts[] = {
		{ "class", CTL_OPT_ARG, &cls_opt },
		{ NULL, CTL_OPT_FLAG, NULL },
	};
	struct model_layer l = { MODEL_SITE, NULL };
	json_t *list, *o;
	struct ds *ds;
	char *path;
	size_t i, j;
	int rc = CTL_OK;

	if (ctl_getopt(ctl, &argc, argv, opts) != 0)
		return CTL_USAGE;
	if (argc == 0) {
		if (ctl->cwd == NULL)
			return ctl_usage(ctl, "ls needs a layer or a dataset "
			    "path (or cd first)");
		l.kind = MODEL_PATH;
		l.name = xstrdup(ctl->cwd);
	} else if (ctl_take_layer(ctl, &argc, &argv, &l) != CTL_OK)
		return CTL_USAGE;
	if (argc != 0) {
		model_layer_clear(&l);
		return ctl_usage(ctl, "ls takes one layer or path");
	}
	list = jsonx_set(ctl_result(ctl), "entries", json_array());
	for (i = 0; i < MODEL_NCLASSES && rc == CTL_OK; i++) {
		const char *cls = cls_opt != NULL ? cls_opt : model_classes[i];

		path = model_dataset(&l, cls);
		if (ctl_read_dataset(ctl, path, CTL_NOINHERIT, NULL,
		    &ds) == -1) {
			free(path);
			rc = CTL_FAIL;
			break;
		}
		for (j = 0; j < ds->nentries; j++) {
			o = jsonx_add(list, json_object());
			jsonx_set_str(o, "dataset", path);
			jsonx_set_str(o, "name", ds->entries[j].name);
			jsonx_set_int(o, "attributes",
			    (long long)ds->entries[j].nattrs);
			ctl_out(ctl, "%s%s\t(%zu attribute%s)\n", path,
			    ds->entries[j].name, ds->entries[j].nattrs,
			    ds->entries[j].nattrs == 1 ? "" : "s");
		}
		ds_free(&ds);
		free(path);
		if (l.kind == MODEL_PATH || cls_opt != NULL)
			break;
	}
	model_layer_clear(&l);
	return rc;
}

int
cmd_misc_cd(struct ctl *ctl, int argc, char **argv)
{
	const char *cls_opt = NULL;
	struct ctl_opt opts[] = {
		{ "class", CTL_OPT_ARG, &cls_opt },
		{ NULL, CTL_OPT_FLAG, NULL },
	};
	struct model_layer l;

	if (ctl_getopt(ctl, &argc, argv, opts) != 0)
		return CTL_USAGE;
	if (argc == 0) {
		free(ctl->cwd);
		ctl->cwd = NULL;
		return CTL_OK;
	}
	if (ctl_take_layer(ctl, &argc, &argv, &l) != CTL_OK)
		return CTL_USAGE;
	if (argc != 0) {
		model_layer_clear(&l);
		return ctl_usage(ctl, "cd takes one layer or path");
	}
	free(ctl->cwd);
	ctl->cwd = model_dataset(&l, cls_opt != NULL ? cls_opt : "email");
	model_layer_clear(&l);
	jsonx_set_str(ctl_result(ctl), "cwd", ctl->cwd);
	return CTL_OK;
}

int
cmd_misc_pwd(struct ctl *ctl, int argc, char **argv)
{
	if (ctl_getopt(ctl, &argc, argv, NULL) != 0)
		return CTL_USAGE;
	jsonx_set_str(ctl_result(ctl), "cwd", ctl->cwd);
	ctl_out(ctl, "%s\n", ctl->cwd != NULL ? ctl->cwd : "(none)");
	return CTL_OK;
}
