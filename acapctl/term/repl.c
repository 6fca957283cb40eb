/*
 * repl.c -- the interactive shell over libedit: prompt, persistent
 * history, and completion from the command table and from names read on
 * the server (cached until the next command runs).
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <histedit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acap-buf.h"
#include "cmds.h"
#include "ctl.h"
#include "ds.h"
#include "model.h"
#include "repl.h"
#include "validate.h"
#include "words.h"

#define HISTORY_SIZE	2000

/* A sorted, unique list of candidate words. */
struct names {
	char **v;
	size_t n;
	bool loaded;
};

struct repl {
	struct ctl *ctl;
	EditLine *el;
	History *hist;
	char prompt[512];
	struct names orgs, users, devices;
	bool offline;		/* the server could not be reached */
};

static void
names_add(struct names *nm, const char *s)
{
	char **v;
	size_t i;

	for (i = 0; i < nm->n; i++)
		if (strcmp(nm->v[i], s) == 0)
			return;
	if ((v = realloc(nm->v, (nm->n + 1) * sizeof(*v))) == NULL)
		abort();
	nm->v = v;
	if ((nm->v[nm->n++] = strdup(s)) == NULL)
		abort();
}

static void
names_clear(struct names *nm)
{
	size_t i;

	for (i = 0; i < nm->n; i++)
		free(nm->v[i]);
	free(nm->v);
	memset(nm, 0, sizeof(*nm));
}

/* Quietly read a dataset for completion; NULL when it cannot be. */
static struct ds *
quiet_read(struct repl *r, const char *path, unsigned int flags)
{
	struct ctl *ctl = r->ctl;
	struct ds *ds = NULL;

	if (r->offline)
		return NULL;
	if (ctl->client == NULL && (ctl->conf.user == NULL ||
	    ctl_connect(ctl) == -1)) {
		r->offline = true;
		free(ctl->error);
		ctl->error = NULL;
		return NULL;
	}
	if (ctl_read_dataset(ctl, path, flags, NULL, &ds) == -1) {
		free(ctl->error);
		ctl->error = NULL;
		return NULL;
	}
	return ds;
}

static void
load_registry(struct repl *r, struct names *nm, const char *path)
{
	struct ds *ds;
	size_t i;

	if (nm->loaded)
		return;
	nm->loaded = true;
	if ((ds = quiet_read(r, path, CTL_NOINHERIT)) == NULL)
		return;
	for (i = 0; i < ds->nentries; i++)
		names_add(nm, ds->entries[i].name);
	ds_free(&ds);
}

static void
forget(struct repl *r)
{
	names_clear(&r->orgs);
	names_clear(&r->users);
	names_clear(&r->devices);
}

/* Dataset paths of every known layer. */
static void
add_paths(struct repl *r, struct names *out)
{
	char buf[600];
	size_t i, j;

	load_registry(r, &r->orgs, MODEL_ORG_REGISTRY);
	load_registry(r, &r->users, MODEL_USER_REGISTRY);
	load_registry(r, &r->devices, MODEL_DEVICE_INDEX);
	for (i = 0; i < MODEL_NCLASSES; i++) {
		snprintf(buf, sizeof(buf), "/%s/site/", model_classes[i]);
		names_add(out, buf);
		snprintf(buf, sizeof(buf), "/%s/~/", model_classes[i]);
		names_add(out, buf);
		for (j = 0; j < r->orgs.n; j++) {
			snprintf(buf, sizeof(buf), "/%s/group/%s/",
			    model_classes[i], r->orgs.v[j]);
			names_add(out, buf);
		}
		for (j = 0; j < r->users.n; j++) {
			snprintf(buf, sizeof(buf), "/%s/user/%s/",
			    model_classes[i], r->users.v[j]);
			names_add(out, buf);
		}
		for (j = 0; j < r->devices.n; j++) {
			snprintf(buf, sizeof(buf), "/%s/host/%s/",
			    model_classes[i], r->devices.v[j]);
			names_add(out, buf);
		}
	}
	names_add(out, MODEL_ORG_REGISTRY);
	names_add(out, MODEL_USER_REGISTRY);
	names_add(out, MODEL_DEVICE_INDEX);
}

/*
 * Entries (and their attributes into attrs) of a layer, all classes, as
 * the layer sees them (inherited ones included).
 */
static void
add_entries(struct repl *r, const struct model_layer *l, struct names *out,
    struct names *attrs)
{
	struct ds *ds;
	char *path;
	size_t i, j, k;

	for (i = 0; i < MODEL_NCLASSES; i++) {
		path = model_dataset(l, model_classes[i]);
		ds = quiet_read(r, path, 0);
		free(path);
		if (ds == NULL)
			continue;
		for (j = 0; j < ds->nentries; j++) {
			if (out != NULL)
				names_add(out, ds->entries[j].name);
			for (k = 0; attrs != NULL &&
			    k < ds->entries[j].nattrs; k++)
				names_add(attrs, ds->entries[j].attrs[k].name);
		}
		ds_free(&ds);
		if (l->kind == MODEL_PATH)
			break;
	}
}

/*
 * Candidates for word number idx of argv (the words before the cursor).
 */
/* "--name" options named in a usage string. */
static void
add_options(const char *usage, struct names *out)
{
	const char *p = usage, *e;
	char opt[64];

	while ((p = strstr(p, "--")) != NULL) {
		e = p + 2;
		while ((*e >= 'a' && *e <= 'z') || *e == '-')
			e++;
		if ((size_t)(e - p) < sizeof(opt) && e > p + 2) {
			memcpy(opt, p, (size_t)(e - p));
			opt[e - p] = '\0';
			names_add(out, opt);
		}
		p = e;
	}
	names_add(out, "--json");
}

/* Whether the usage string shows option opt ("--org") with a value. */
static bool
takes_value(const char *usage, const char *opt)
{
	size_t n = strlen(opt);
	const char *p = usage;

	while ((p = strstr(p, opt)) != NULL) {
		p += n;
		if (*p == ' ' && p[1] >= 'A' && p[1] <= 'Z')
			return true;
	}
	return false;
}

static void
candidates(struct repl *r, int argc, char **argv, int idx, const char *word,
    struct names *out)
{
	const struct cmds_entry *ce;
	struct model_layer layer = { MODEL_SITE, NULL };
	const struct validate_attr *cat;
	const char *spec, *err;
	char **pos;
	int used, npos = 0, p, i, li;
	bool have_layer = false;
	size_t k, ncat;

	if (idx == 0) {
		for (k = 0; k < cmds_count; k++)
			names_add(out, cmds_table[k].name);
		names_add(out, "quit");
		names_add(out, "exit");
		return;
	}
	if (idx == 1) {
		for (k = 0; k < cmds_count; k++)
			if (strcmp(cmds_table[k].name, argv[0]) == 0 &&
			    cmds_table[k].sub != NULL)
				names_add(out, cmds_table[k].sub);
		if (out->n > 0)
			return;
	}
	if ((ce = cmds_find(argc, argv, &used, &err)) == NULL)
		return;
	if (strncmp(word, "--", 2) == 0 || strcmp(word, "-") == 0) {
		add_options(ce->args, out);
		return;
	}
	/* positional words so far, options (and their values) left out */
	if ((pos = calloc((size_t)argc + 1, sizeof(*pos))) == NULL)
		abort();
	for (i = used; i < idx && i < argc; i++) {
		if (strncmp(argv[i], "--", 2) == 0) {
			if (takes_value(ce->args, argv[i]) && i + 1 < idx)
				i++;
			continue;
		}
		pos[npos++] = argv[i];
	}
	if (idx > 0 && idx <= argc && argv[idx - 1] != NULL &&
	    strncmp(argv[idx - 1], "--", 2) == 0 &&
	    takes_value(ce->args, argv[idx - 1])) {
		/* the value of an option: --org, --user, --class complete */
		if (strcmp(argv[idx - 1], "--org") == 0) {
			load_registry(r, &r->orgs, MODEL_ORG_REGISTRY);
			for (k = 0; k < r->orgs.n; k++)
				names_add(out, r->orgs.v[k]);
		} else if (strcmp(argv[idx - 1], "--user") == 0) {
			load_registry(r, &r->users, MODEL_USER_REGISTRY);
			for (k = 0; k < r->users.n; k++)
				names_add(out, r->users.v[k]);
		} else if (strcmp(argv[idx - 1], "--class") == 0) {
			for (k = 0; k < MODEL_NCLASSES; k++)
				names_add(out, model_classes[k]);
		}
		free(pos);
		return;
	}
	/* walk the spec over the positional words to find our slot */
	spec = ce->complete;
	p = 0;
	while (*spec != '\0' && p < npos) {
		if (*spec == 'L') {
			li = p;
			if (strcmp(pos[p], "org") == 0 ||
			    strcmp(pos[p], "user") == 0 ||
			    strcmp(pos[p], "device") == 0) {
				if (p + 1 == npos) {
					/* the name of the layer is next */
					spec = strcmp(pos[p], "org") == 0 ?
					    "o" : strcmp(pos[p], "user") == 0 ?
					    "u" : "d";
					p = npos;
					break;
				}
				p++;
			}
			model_layer_clear(&layer);
			have_layer = model_layer_parse(p - li + 1, pos + li,
			    &layer, &used, &err) == 0;
		}
		p++;
		spec++;
	}
	if (*spec == '\0' && p >= npos && spec != ce->complete &&
	    spec[-1] == '-')
		spec--;		/* "VALUE...": keep offering nothing */
	switch (*spec) {
	case 'L':
		names_add(out, "site");
		names_add(out, "org");
		names_add(out, "user");
		names_add(out, "device");
		if (r->ctl->cwd != NULL)
			names_add(out, ".");
		add_paths(r, out);
		break;
	case 'o':
		load_registry(r, &r->orgs, MODEL_ORG_REGISTRY);
		for (k = 0; k < r->orgs.n; k++)
			names_add(out, r->orgs.v[k]);
		if (strcmp(ce->name, "user") == 0)
			names_add(out, "site");
		break;
	case 'u':
		load_registry(r, &r->users, MODEL_USER_REGISTRY);
		for (k = 0; k < r->users.n; k++)
			names_add(out, r->users.v[k]);
		break;
	case 'd':
		load_registry(r, &r->devices, MODEL_DEVICE_INDEX);
		for (k = 0; k < r->devices.n; k++)
			names_add(out, r->devices.v[k]);
		break;
	case 'p':
		add_paths(r, out);
		break;
	case 'e':
		if (have_layer)
			add_entries(r, &layer, out, NULL);
		break;
	case 'a':
		cat = validate_catalogue(&ncat);
		for (k = 0; k < ncat; k++)
			names_add(out, cat[k].name);
		if (have_layer)
			add_entries(r, &layer, NULL, out);
		break;
	case 'c':
		for (k = 0; k < cmds_count; k++)
			names_add(out, cmds_table[k].name);
		break;
	default:
		break;
	}
	model_layer_clear(&layer);
	free(pos);
}

static unsigned char
complete_cb(EditLine *el, int ch)
{
	struct names cands = { NULL, 0, false }, match = { NULL, 0, false };
	struct acap_buf ins = ACAP_BUF_INIT;
	const LineInfo *li = el_line(el);
	struct repl *r;
	const char *word, *err;
	char *prefix, **argv;
	size_t wl, common, i;
	int argc, idx;
	bool open;
	unsigned char rc = CC_ERROR;

	(void)ch;
	el_get(el, EL_CLIENTDATA, &r);
	prefix = strndup(li->buffer, (size_t)(li->cursor - li->buffer));
	if (prefix == NULL)
		abort();
	if (words_split(prefix, true, &argc, &argv, &open, &err) == -1) {
		free(prefix);
		return CC_ERROR;
	}
	idx = open ? argc - 1 : argc;
	word = open ? argv[argc - 1] : "";
	candidates(r, argc, argv, idx, word, &cands);
	wl = strlen(word);
	for (i = 0; i < cands.n; i++)
		if (strncmp(cands.v[i], word, wl) == 0)
			names_add(&match, cands.v[i]);
	if (match.n == 1) {
		acap_buf_addstr(&ins, match.v[0] + wl);
		if (match.v[0][strlen(match.v[0]) - 1] != '/')
			acap_buf_addch(&ins, ' ');
		el_insertstr(el, ins.data);
		rc = CC_REFRESH;
	} else if (match.n > 1) {
		common = strlen(match.v[0]);
		for (i = 1; i < match.n; i++) {
			size_t k = 0;

			while (k < common && match.v[i][k] == match.v[0][k])
				k++;
			common = k;
		}
		if (common > wl) {
			acap_buf_add(&ins, match.v[0] + wl, common - wl);
			el_insertstr(el, ins.data);
			rc = CC_REFRESH;
		} else {
			fputc('\n', stdout);
			for (i = 0; i < match.n; i++)
				printf("%s%s", match.v[i], (i + 1) % 4 == 0 ||
				    i + 1 == match.n ? "\n" : "\t");
			rc = CC_REDISPLAY;
		}
	}
	acap_buf_deinit(&ins);
	names_clear(&cands);
	names_clear(&match);
	words_free(&argv);
	free(prefix);
	return rc;
}

static char *
prompt_cb(EditLine *el)
{
	struct repl *r;
	struct ctl *ctl;

	el_get(el, EL_CLIENTDATA, &r);
	ctl = r->ctl;
	snprintf(r->prompt, sizeof(r->prompt), "%s%s%s%s%s> ",
	    ctl->conf.user != NULL ? ctl->conf.user : "",
	    ctl->conf.user != NULL ? "@" : "",
	    ctl->conf.host != NULL ? ctl->conf.host : "localhost",
	    ctl->cwd != NULL ? ":" : "", ctl->cwd != NULL ? ctl->cwd : "");
	return r->prompt;
}

/* $XDG_DATA_HOME/acapctl/history, the directory created (0700). */
static char *
history_path(void)
{
	const char *base = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	char *dir, *path;

	if (base != NULL && base[0] == '/') {
		if (asprintf(&dir, "%s/acapctl", base) < 0)
			return NULL;
	} else if (home != NULL && home[0] != '\0') {
		if (asprintf(&dir, "%s/.local/share/acapctl", home) < 0)
			return NULL;
	} else
		return NULL;
	/* mkdir -p for the last three levels */
	{
		char *p;

		for (p = dir + 1; *p != '\0'; p++)
			if (*p == '/') {
				*p = '\0';
				(void)mkdir(dir, 0700);
				*p = '/';
			}
		if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
			free(dir);
			return NULL;
		}
	}
	if (asprintf(&path, "%s/history", dir) < 0)
		path = NULL;
	free(dir);
	return path;
}

int
repl_run(struct ctl *ctl)
{
	struct repl r;
	HistEvent ev;
	const char *line, *err;
	char *hpath, **argv;
	int count, argc, status = CTL_OK;

	memset(&r, 0, sizeof(r));
	r.ctl = ctl;
	ctl->interactive = true;
	r.el = el_init("acapctl", stdin, stdout, stderr);
	r.hist = history_init();
	if (r.el == NULL || r.hist == NULL) {
		fprintf(stderr, "acapctl: cannot start the line editor\n");
		return CTL_FAIL;
	}
	history(r.hist, &ev, H_SETSIZE, HISTORY_SIZE);
	history(r.hist, &ev, H_SETUNIQUE, 1);
	hpath = history_path();
	if (hpath != NULL)
		history(r.hist, &ev, H_LOAD, hpath);
	el_set(r.el, EL_CLIENTDATA, &r);
	el_set(r.el, EL_EDITOR, "emacs");
	el_set(r.el, EL_SIGNAL, 1);
	el_set(r.el, EL_HIST, history, r.hist);
	el_set(r.el, EL_PROMPT, prompt_cb);
	el_set(r.el, EL_ADDFN, "acapctl-complete", "complete a word",
	    complete_cb);
	el_set(r.el, EL_BIND, "^I", "acapctl-complete", NULL);
	el_source(r.el, NULL);
	printf("acapctl %s -- \"help\" lists the commands, Tab completes, "
	    "Ctrl-D quits.\n", PACKAGE_VERSION);
	while ((line = el_gets(r.el, &count)) != NULL && count > 0) {
		if (words_split(line, false, &argc, &argv, NULL, &err) == -1) {
			fprintf(stderr, "acapctl: %s\n", err);
			continue;
		}
		if (argc == 0) {
			words_free(&argv);
			continue;
		}
		history(r.hist, &ev, H_ENTER, line);
		if (strcmp(argv[0], "quit") == 0 ||
		    strcmp(argv[0], "exit") == 0) {
			words_free(&argv);
			break;
		}
		status = ctl_exec_words(ctl, argc, &argv);
		forget(&r);		/* names may have changed */
		r.offline = false;
	}
	if (hpath != NULL) {
		history(r.hist, &ev, H_SAVE, hpath);
		(void)chmod(hpath, 0600);
		free(hpath);
	}
	forget(&r);
	history_end(r.hist);
	el_end(r.el);
	ctl->interactive = false;
	if (line == NULL)
		putchar('\n');
	return status;
}
