/*
 * acl.c -- rights math for ACAP ACLs (RFC 2244 §3.5).  No state.
 */
#include "autoconf.h"

#include <string.h>

#include "acl.h"

int
acl_rights_parse(const char *s, size_t len, unsigned int *rights_r)
{
	unsigned int r = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case 'x': r |= ACL_R_SEARCH; break;
		case 'r': r |= ACL_R_READ; break;
		case 'w': r |= ACL_R_WRITE; break;
		case 'i': r |= ACL_R_INSERT; break;
		case 'a': r |= ACL_R_ADMIN; break;
		default:
			if (s[i] >= '0' && s[i] <= '9') {
				r |= ACL_R_DIGIT(s[i] - '0');
				break;
			}
			return -1;
		}
	}
	*rights_r = r;
	return 0;
}

char *
acl_rights_format(unsigned int rights, char *buf, size_t buflen)
{
	static const char letters[] = "xrwia";
	size_t n = 0;
	int i;

	for (i = 0; i < 5 && n + 1 < buflen; i++)
		if (rights & (1u << i))
			buf[n++] = letters[i];
	for (i = 0; i < 10 && n + 1 < buflen; i++)
		if (rights & ACL_R_DIGIT(i))
			buf[n++] = (char)('0' + i);
	buf[n] = '\0';
	return buf;
}

int
acl_item_parse(const char *item, size_t len, const char **ident_r,
    size_t *identlen_r, bool *negative_r, unsigned int *rights_r)
{
	const char *tab = memchr(item, '\t', len), *ident = item;
	size_t identlen, rlen;
	bool neg = false;

	if (tab == NULL)
		return -1;
	identlen = (size_t)(tab - item);
	rlen = len - identlen - 1;
	if (identlen > 0 && item[0] == '-') {
		neg = true;
		ident++;
		identlen--;
	}
	/* The identifier is non-empty and holds no TAB or NUL (§3.5). */
	if (identlen == 0 || memchr(ident, '\0', identlen) != NULL)
		return -1;
	if (acl_rights_parse(tab + 1, rlen, rights_r) == -1)
		return -1;
	*ident_r = ident;
	*identlen_r = identlen;
	*negative_r = neg;
	return 0;
}

static bool
str_eq(const char *a, size_t alen, const char *b)
{
	return strlen(b) == alen && memcmp(a, b, alen) == 0;
}

bool
acl_ident_matches(const struct acl_identity *who, const char *ident,
    size_t len)
{
	size_t i, plen = strlen(ACL_GROUP_PREFIX);

	if (str_eq(ident, len, ACL_ANYONE))
		return true;
	if (who->user == NULL)
		return false;
	if (str_eq(ident, len, who->user))
		return true;
	if (len > plen && memcmp(ident, ACL_GROUP_PREFIX, plen) == 0)
		for (i = 0; i < who->ngroups; i++)
			if (str_eq(ident + plen, len - plen, who->groups[i]))
				return true;
	return false;
}

unsigned int
acl_rights(const struct acl_identity *who, const char *const *items,
    const size_t *lens, size_t nitems)
{
	unsigned int pos = 0, neg = 0, r;
	const char *ident;
	size_t identlen, i;
	bool negative;

	if (who->admin)
		return ACL_R_ALL;
	for (i = 0; i < nitems; i++) {
		if (acl_item_parse(items[i], lens[i], &ident, &identlen,
		    &negative, &r) == -1)
			continue;
		if (!acl_ident_matches(who, ident, identlen))
			continue;
		if (negative)
			neg |= r;
		else
			pos |= r;
	}
	return pos & ~neg;
}

unsigned int
acl_implicit_rights(const struct acl_identity *who, const char *path)
{
	const char *p, *user;
	size_t ulen;

	if (who->user == NULL || path[0] != '/')
		return 0;
	/* "/<class>/user/<me>/..." */
	p = strchr(path + 1, '/');
	if (p == NULL || strncmp(p, "/user/", 6) != 0)
		return 0;
	user = p + 6;
	ulen = strlen(who->user);
	if (strncmp(user, who->user, ulen) == 0 && user[ulen] == '/')
		return ACL_R_READ | ACL_R_ADMIN;
	return 0;
}
