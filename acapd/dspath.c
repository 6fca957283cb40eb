/*
 * dspath.c -- ACAP names: entry and attribute name checks, dataset path
 * canonicalisation ("~", "/byowner/", trailing "/"), entry-path split and
 * owner parsing (RFC 2244 §3.1, §4.1, §4.3).  Owns only what it returns.
 */
#include "autoconf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "acap-arg.h"
#include "dspath.h"

/* A slice of the caller's name. */
struct comp {
	const char *s;
	size_t len;
};

/* Components of a rewritten path: the owner may add one ("user/<me>"). */
#define COMPS_MAX	(DSPATH_MAX_DEPTH + 2)

static bool
comp_is(const struct comp *c, const char *word)
{
	return c->len == strlen(word) && memcmp(c->s, word, c->len) == 0;
}

/* RFC 2244 §3.1: valid UTF-8 without NUL. */
static bool
utf8_name(const char *s, size_t len)
{
	return memchr(s, '\0', len) == NULL && acap_utf8_valid(s, len);
}

bool
dspath_entry_name_valid(const char *s, size_t len)
{
	/* RFC 2244 §3.1: no "/", not beginning with "."; "" is allowed */
	if (s == NULL)
		return false;
	if (len > 0 && s[0] == '.')
		return false;
	return memchr(s, '/', len) == NULL && utf8_name(s, len);
}

bool
dspath_attr_name_valid(const char *s, size_t len)
{
	size_t i;

	/* RFC 2244 §3.1: no "*" or "%"; dot-separated components */
	if (s == NULL || len == 0 || !utf8_name(s, len))
		return false;
	if (s[0] == '.' || s[len - 1] == '.')
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] == '*' || s[i] == '%')
			return false;
		/* s[len - 1] is not ".", so s[i + 1] is inside the name */
		if (s[i] == '.' && s[i + 1] == '.')
			return false;
	}
	return true;
}

/*
 * dname-component = 1*UTF8-CHAR, MUST NOT begin with "." or contain "/"
 * (RFC 2244 §4.3).
 */
static bool
dname_valid(const char *s, size_t len)
{
	return len > 0 && s[0] != '.' && memchr(s, '/', len) == NULL &&
	    utf8_name(s, len);
}

/*
 * Split "/a/b/c" or "/a/b/c/" into components.  Returns the count, or -1
 * when the name does not begin with "/", has an empty or invalid
 * component, or is too deep.  "/" has no components.
 */
static int
split(const char *name, size_t len, struct comp *v, int max)
{
	size_t i = 1, start;
	int n = 0;

	if (name == NULL || len == 0 || name[0] != '/')
		return -1;
	while (i < len) {
		start = i;
		while (i < len && name[i] != '/')
			i++;
		if (n == max || !dname_valid(name + start, i - start))
			return -1;
		v[n].s = name + start;
		v[n].len = i - start;
		n++;
		i++;		/* the "/" (or past the end) */
	}
	return n;
}

/*
 * owner = "site" / "group/" x / "host/" x / "user/" x / "~" (RFC 2244
 * §4.3).  At v[0..n): returns how many components the owner takes (1 or
 * 2), 0 for a bare owner prefix ("user" at the end: the directory listing
 * of §4.1), or -1 when v[0] is not an owner.
 */
static int
owner_len(const struct comp *v, int n)
{
	if (comp_is(&v[0], "site") || comp_is(&v[0], "~"))
		return 1;
	if (comp_is(&v[0], "group") || comp_is(&v[0], "host") ||
	    comp_is(&v[0], "user"))
		return n >= 2 ? 2 : 0;
	return -1;
}

static char *
join(const struct comp *v, int n)
{
	size_t len = 1, off = 1;
	char *s;
	int i;

	for (i = 0; i < n; i++)
		len += v[i].len + 1;
	if ((s = malloc(len + 1)) == NULL)
		abort();
	s[0] = '/';
	for (i = 0; i < n; i++) {
		memcpy(s + off, v[i].s, v[i].len);
		off += v[i].len;
		s[off++] = '/';
	}
	s[off] = '\0';
	return s;
}

/*
 * Append the owner found at in[0..olen) to out, expanding "~" to
 * "user/<user>" when the user is known (RFC 2244 §4.1).  Returns false
 * when user is not usable as a path component.
 */
static bool
put_owner(struct comp *out, int *np, const struct comp *in, int olen,
    const char *user)
{
	int i;

	if (olen == 1 && comp_is(&in[0], "~") && user != NULL) {
		if (!dname_valid(user, strlen(user)))
			return false;
		out[(*np)++] = (struct comp){ "user", 4 };
		out[(*np)++] = (struct comp){ user, strlen(user) };
		return true;
	}
	for (i = 0; i < olen; i++)
		out[(*np)++] = in[i];
	return true;
}

/*
 * dataset-class = name-component / vendor-token (RFC 2244 §4.3, RFC 6075):
 * name-component = 1*UTF8-CHAR without ".", "/", "%" or "*";
 * vendor-token = "vendor." name-component.  OUR CALL: after "vendor." we
 * also accept several dot-separated name-components ("vendor.acapd.user"),
 * the way vendor attributes are named (§4.2); each must be non-empty.
 */
static bool
class_valid(const struct comp *c)
{
	const char *s = c->s;
	size_t len = c->len, i;
	bool vendor = false;

	if (len > 7 && memcmp(s, "vendor.", 7) == 0) {
		s += 7;
		len -= 7;
		vendor = true;
	}
	if (len == 0 || s[0] == '.' || s[len - 1] == '.')
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] == '%' || s[i] == '*')
			return false;
		if (s[i] == '.' && (!vendor || s[i + 1] == '.'))
			return false;
	}
	return true;
}

/*
 * dataset-name = byowner / dataset-normal (RFC 2244 §4.3), plus "/<class>/"
 * (the RFC's own examples search it) and "/byowner/" alone.
 */
char *
dspath_canonical(const char *name, size_t len, const char *user)
{
	struct comp in[COMPS_MAX], out[COMPS_MAX];
	int n, m = 0, i = 0, olen;
	bool byowner;

	n = split(name, len, in, DSPATH_MAX_DEPTH + 1);
	if (n < 0)
		return NULL;
	if (n == 0)
		return join(in, 0);			/* "/" */
	byowner = comp_is(&in[0], "byowner");
	if (byowner) {
		/* "/byowner/" owner "/" [class "/" rest] */
		if (n == 1)
			return join(in, 1);
		if ((olen = owner_len(in + 1, n - 1)) < 0)
			return NULL;
		if (olen == 0)
			return join(in, n);		/* "/byowner/user/" */
		i = 1 + olen;
		if (i == n) {
			out[m++] = in[0];
			if (!put_owner(out, &m, in + 1, olen, user))
				return NULL;
		} else {
			/* the same dataset by its normal name; "byowner"
			   is no class (§4.1: the name is reserved) */
			if (comp_is(&in[i], "byowner") || !class_valid(&in[i]))
				return NULL;
			out[m++] = in[i++];		/* class */
			if (!put_owner(out, &m, in + 1, olen, user))
				return NULL;
		}
	} else {
		/* "/" class "/" [owner-prefix / owner "/" rest] */
		if (!class_valid(&in[0]))
			return NULL;
		out[m++] = in[i++];
		if (i < n) {
			if ((olen = owner_len(in + i, n - i)) < 0)
				return NULL;
			if (olen == 0)
				olen = 1;		/* "/<class>/user/" */
			if (!put_owner(out, &m, in + i, olen, user))
				return NULL;
			i += olen;
		}
	}
	while (i < n)
		out[m++] = in[i++];
	if (m > DSPATH_MAX_DEPTH)
		return NULL;
	return join(out, m);
}

int
dspath_split_entry(const char *path, const char *user, char **dataset_r,
    const char **entry_r)
{
	const char *slash;

	*dataset_r = NULL;
	*entry_r = NULL;
	if (path == NULL || path[0] != '/')
		return -1;
	slash = strrchr(path, '/');
	if (!dspath_entry_name_valid(slash + 1, strlen(slash + 1)))
		return -1;
	if ((*dataset_r = dspath_canonical(path, (size_t)(slash - path) + 1,
	    user)) == NULL)
		return -1;
	*entry_r = slash + 1;
	return 0;
}

static char *
dup_comp(const struct comp *c)
{
	char *s;

	if ((s = malloc(c->len + 1)) == NULL)
		abort();
	memcpy(s, c->s, c->len);
	s[c->len] = '\0';
	return s;
}

int
dspath_parse(const char *canonical, char **class_r, char **owner_r,
    char **user_r)
{
	struct comp v[COMPS_MAX], owner;
	int n, olen;

	if (class_r != NULL)
		*class_r = NULL;
	if (owner_r != NULL)
		*owner_r = NULL;
	if (user_r != NULL)
		*user_r = NULL;
	if (canonical == NULL)
		return -1;
	n = split(canonical, strlen(canonical), v, COMPS_MAX);
	if (n < 2 || comp_is(&v[0], "byowner"))
		return -1;
	if ((olen = owner_len(v + 1, n - 1)) <= 0)
		return -1;
	/* "group/x": one slice of the canonical string */
	owner.s = v[1].s;
	owner.len = (size_t)(v[olen].s + v[olen].len - v[1].s);
	if (class_r != NULL)
		*class_r = dup_comp(&v[0]);
	if (owner_r != NULL)
		*owner_r = dup_comp(&owner);
	if (user_r != NULL && olen == 2 && comp_is(&v[1], "user"))
		*user_r = dup_comp(&v[2]);
	return 0;
}

/* Whether canonical dataset a is b or one of b's ancestors. */
static bool
is_prefix_dataset(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen <= blen && memcmp(a, b, alen) == 0 &&
	    (alen == blen || (alen > 0 && a[alen - 1] == '/'));
}

bool
dspath_inherit_allowed(const char *dataset, const char *target)
{
	size_t dlen = strlen(dataset), tlen = strlen(target);

	return !is_prefix_dataset(target, tlen, dataset, dlen) &&
	    !is_prefix_dataset(dataset, dlen, target, tlen);
}
