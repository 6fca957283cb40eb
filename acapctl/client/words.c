/*
 * words.c -- sh-like word splitting for acapctl command lines.  Pure.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "acap-buf.h"
#include "words.h"

static void
push(int *argc, char ***argv, struct acap_buf *w)
{
	char **v = realloc(*argv, (size_t)(*argc + 2) * sizeof(*v));

	if (v == NULL)
		abort();
	v[*argc] = strdup(w->data != NULL ? w->data : "");
	if (v[*argc] == NULL)
		abort();
	v[++*argc] = NULL;
	*argv = v;
	acap_buf_reset(w);
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int
words_split(const char *line, bool partial, int *argc_r, char ***argv_r,
    bool *open_r, const char **errstr_r)
{
	struct acap_buf w = ACAP_BUF_INIT;
	const char *p = line;
	char **argv = NULL;
	int argc = 0;
	char q;

	if (open_r != NULL)
		*open_r = false;
	for (;;) {
		while (is_blank(*p))
			p++;
		if (*p == '\0' || *p == '#')
			break;
		while (*p != '\0' && !is_blank(*p)) {
			if (*p == '\'' || *p == '"') {
				q = *p++;
				while (*p != '\0' && *p != q) {
					if (q == '"' && *p == '\\' &&
					    p[1] != '\0') {
						p++;
						acap_buf_addch(&w, *p == 'n' ?
						    '\n' : *p == 't' ? '\t' :
						    *p);
						p++;
						continue;
					}
					acap_buf_addch(&w, *p++);
				}
				if (*p == '\0') {
					if (!partial)
						goto unterminated;
					break;
				}
				p++;
				continue;
			}
			if (*p == '\\') {
				if (p[1] == '\0') {
					if (!partial)
						goto backslash;
					p++;
					break;
				}
				p++;
			}
			acap_buf_addch(&w, *p++);
		}
		push(&argc, &argv, &w);
		if (*p == '\0')
			break;
	}
	if (open_r != NULL) {
		size_t n = strlen(line);

		*open_r = argc > 0 && n > 0 && !is_blank(line[n - 1]);
	}
	if (argv == NULL) {
		if ((argv = calloc(1, sizeof(*argv))) == NULL)
			abort();
	}
	acap_buf_deinit(&w);
	*argc_r = argc;
	*argv_r = argv;
	return 0;
unterminated:
	*errstr_r = "unterminated quote";
	goto fail;
backslash:
	*errstr_r = "backslash at the end of the line";
fail:
	acap_buf_deinit(&w);
	words_free(&argv);
	return -1;
}

void
words_free(char ***argvp)
{
	char **v = *argvp;
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
	*argvp = NULL;
}

void
words_quote(struct acap_buf *out, const char *s)
{
	const char *p;

	if (s[0] != '\0' && strpbrk(s, " \t\r\n'\"\\#") == NULL) {
		acap_buf_addstr(out, s);
		return;
	}
	acap_buf_addch(out, '\'');
	for (p = s; *p != '\0'; p++) {
		if (*p == '\'')
			acap_buf_addstr(out, "'\\''");
		else
			acap_buf_addch(out, *p);
	}
	acap_buf_addch(out, '\'');
}
