/*
 * fuzz-dspath.c -- libFuzzer target for acapd/dspath.c: dataset-name
 * canonicalisation, entry-path split, owner parsing and the entry and
 * attribute name checks (RFC 2244 §3.1, §4.1, §4.3), against properties
 * and an independent statement of the name rules.
 *
 * Input: [0] length of the user name (0xff: no user), the user name, then
 * the name under test (may hold any octet, NUL included).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acap-arg.h"
#include "dspath.h"
#include "fuzz-common.h"

static char *
copy(const char *s, size_t len)
{
	char *r = malloc(len + 1);

	FUZZ_CHECK(r != NULL, "out of memory");
	memcpy(r, s, len);
	r[len] = '\0';
	return r;
}

/* RFC 2244 §3.1: UTF-8 without NUL, no "/", not starting with ".". */
static bool
entry_ok(const char *s, size_t len)
{
	return (len == 0 || s[0] != '.') && memchr(s, '/', len) == NULL &&
	    memchr(s, '\0', len) == NULL && acap_utf8_valid(s, len);
}

/*
 * RFC 2244 §3.1: attribute names are UTF-8 without NUL, "*" or "%", made
 * of dot-separated non-empty components.
 */
static bool
attr_ok(const char *s, size_t len)
{
	size_t i, comp = 0;

	if (len == 0 || memchr(s, '\0', len) != NULL ||
	    !acap_utf8_valid(s, len))
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] == '*' || s[i] == '%')
			return false;
		if (s[i] == '.') {
			if (comp == 0)
				return false;
			comp = 0;
		} else {
			comp++;
		}
	}
	return comp > 0;
}

/* The shape every canonical dataset name has. */
static void
check_canonical_shape(const char *c)
{
	size_t len = strlen(c), i, depth = 0;

	FUZZ_CHECK(len >= 1 && c[0] == '/' && c[len - 1] == '/',
	    "canonical \"%s\" not /.../", c);
	FUZZ_CHECK(acap_utf8_valid(c, len), "canonical not UTF-8");
	for (i = 1; i < len; i++) {
		if (c[i - 1] != '/')
			continue;
		depth++;
		FUZZ_CHECK(c[i] != '/' && c[i] != '.',
		    "empty or dot component in \"%s\"", c);
	}
	FUZZ_CHECK(depth <= DSPATH_MAX_DEPTH, "%zu components in \"%s\"",
	    depth, c);
}

static void check_parse(const char *c, bool canonical);

static void
check_canonical(const char *name, size_t len, const char *user)
{
	char *c, *again, *slashed;

	if ((c = dspath_canonical(name, len, user)) == NULL) {
		/* invalid names stay invalid with a trailing "/" added */
		if (len > 0 && name[len - 1] != '/' && len < 4096) {
			slashed = malloc(len + 2);
			FUZZ_CHECK(slashed != NULL, "out of memory");
			memcpy(slashed, name, len);
			slashed[len] = '/';
			again = dspath_canonical(slashed, len + 1, user);
			FUZZ_CHECK(again == NULL, "\"%.*s\" rejected but "
			    "accepted with a trailing /", (int)len, name);
			free(slashed);
		}
		return;
	}
	check_canonical_shape(c);
	/* a canonical name is its own canonical form */
	again = dspath_canonical(c, strlen(c), user);
	FUZZ_CHECK(again != NULL && strcmp(again, c) == 0,
	    "not idempotent: \"%.*s\" -> \"%s\" -> \"%s\"", (int)len, name,
	    c, again != NULL ? again : "(invalid)");
	free(again);
	/* ACAP-NOTES §20.19: the trailing "/" is optional */
	if (name[len - 1] != '/') {
		slashed = malloc(len + 2);
		FUZZ_CHECK(slashed != NULL, "out of memory");
		memcpy(slashed, name, len);
		slashed[len] = '/';
		again = dspath_canonical(slashed, len + 1, user);
		FUZZ_CHECK(again != NULL && strcmp(again, c) == 0,
		    "\"%.*s\" and its /-form differ", (int)len, name);
		free(again);
		free(slashed);
	}
	check_parse(c, true);
	free(c);
}

/*
 * dspath_parse(): sane pieces for any input; on a canonical name they
 * rebuild its start.
 */
static void
check_parse(const char *c, bool canonical)
{
	char *class, *owner, *user, *prefix;
	size_t n;

	if (dspath_parse(c, &class, &owner, &user) == -1) {
		FUZZ_CHECK(class == NULL && owner == NULL && user == NULL,
		    "outputs set on failure");
		return;
	}
	FUZZ_CHECK(class != NULL && owner != NULL, "missing pieces");
	FUZZ_CHECK(class[0] != '\0' && strchr(class, '/') == NULL,
	    "class \"%s\"", class);
	FUZZ_CHECK(strcmp(owner, "site") == 0 || strcmp(owner, "~") == 0 ||
	    strncmp(owner, "group/", 6) == 0 ||
	    strncmp(owner, "host/", 5) == 0 ||
	    strncmp(owner, "user/", 5) == 0, "owner \"%s\"", owner);
	if (strncmp(owner, "user/", 5) == 0)
		FUZZ_CHECK(user != NULL && strcmp(user, owner + 5) == 0,
		    "user \"%s\" of owner \"%s\"", user ? user : "-", owner);
	else
		FUZZ_CHECK(user == NULL, "user for owner \"%s\"", owner);
	n = strlen(class) + strlen(owner) + 4;
	if (!canonical)
		goto out;
	prefix = malloc(n);
	FUZZ_CHECK(prefix != NULL, "out of memory");
	snprintf(prefix, n, "/%s/%s/", class, owner);
	FUZZ_CHECK(strncmp(c, prefix, strlen(prefix)) == 0,
	    "\"%s\" does not start with \"%s\"", c, prefix);
	free(prefix);
out:
	free(class);
	free(owner);
	free(user);
}

static void
check_split(const char *path, const char *user)
{
	const char *entry, *slash;
	char *dataset, *want;

	if (dspath_split_entry(path, user, &dataset, &entry) == -1) {
		FUZZ_CHECK(dataset == NULL && entry == NULL,
		    "outputs set on failure");
		return;
	}
	slash = strrchr(path, '/');
	FUZZ_CHECK(slash != NULL && entry == slash + 1,
	    "entry does not point after the last /");
	FUZZ_CHECK(entry_ok(entry, strlen(entry)), "bad entry \"%s\"",
	    entry);
	want = dspath_canonical(path, (size_t)(slash - path) + 1, user);
	FUZZ_CHECK(want != NULL && strcmp(want, dataset) == 0,
	    "dataset \"%s\" for \"%s\"", dataset, path);
	free(want);
	free(dataset);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *name;
	char *user = NULL, *cname;
	size_t ulen, len;

	if (size < 1)
		return 0;
	ulen = data[0];
	if (ulen != 0xff) {
		if (ulen > size - 1)
			ulen = size - 1;
		user = copy((const char *)data + 1, ulen);
		data += ulen;
		size -= ulen;
	}
	name = (const char *)data + 1;
	len = size - 1;

	FUZZ_CHECK(dspath_entry_name_valid(name, len) == entry_ok(name, len),
	    "entry name check disagrees on \"%.*s\"", (int)len, name);
	FUZZ_CHECK(dspath_attr_name_valid(name, len) == attr_ok(name, len),
	    "attribute name check disagrees on \"%.*s\"", (int)len, name);
	check_canonical(name, len, user);
	cname = copy(name, len);
	check_split(cname, user);
	check_parse(cname, false);
	free(cname);
	free(user);
	return 0;
}
