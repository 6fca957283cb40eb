/*
 * model.c -- layers, classes, dataset paths and name rules of the
 * mail-settings model (doc/settings.md).  No I/O except the RNG.
 */
#include "autoconf.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "acap-arg.h"
#include "model.h"

const char *const model_classes[MODEL_NCLASSES] = {
	"email", "personality", "option",
};

static char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		abort();
	return p;
}

static char *__attribute__((format(printf, 1, 2)))
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		abort();
	return s;
}

void
model_layer_clear(struct model_layer *l)
{
	free(l->name);
	l->name = NULL;
	l->kind = MODEL_SITE;
}

void
model_layer_copy(struct model_layer *dst, const struct model_layer *src)
{
	dst->kind = src->kind;
	dst->name = src->name != NULL ? xstrdup(src->name) : NULL;
}

bool
model_is_class(const char *cls)
{
	size_t i;

	for (i = 0; i < MODEL_NCLASSES; i++)
		if (strcmp(model_classes[i], cls) == 0)
			return true;
	return false;
}

static int
kind_of(const char *word, enum model_kind *k)
{
	if (strcmp(word, "site") == 0)
		*k = MODEL_SITE;
	else if (strcmp(word, "org") == 0 || strcmp(word, "group") == 0)
		*k = MODEL_ORG;
	else if (strcmp(word, "user") == 0)
		*k = MODEL_USER;
	else if (strcmp(word, "device") == 0 || strcmp(word, "host") == 0)
		*k = MODEL_DEVICE;
	else
		return -1;
	return 0;
}

static int
check_name(enum model_kind k, const char *name, const char **errstr_r)
{
	if (k == MODEL_DEVICE)
		return model_device_id_ok(name, errstr_r) ? 0 : -1;
	return model_name_ok(name, errstr_r) ? 0 : -1;
}

static char *
path_normalise(const char *s)
{
	size_t n = strlen(s);

	/* RFC 2244 §3.1: dataset names end in "/" (OUR CALL: add it) */
	if (n > 0 && s[n - 1] == '/')
		return xstrdup(s);
	return xasprintf("%s/", s);
}

int
model_layer_from_string(const char *s, struct model_layer *l,
    const char **errstr_r)
{
	const char *colon;
	char word[16];
	size_t n;

	l->kind = MODEL_SITE;
	l->name = NULL;
	if (s[0] == '/') {
		if (strstr(s, "//") != NULL) {
			*errstr_r = "a dataset path has no empty components";
			return -1;
		}
		l->kind = MODEL_PATH;
		l->name = path_normalise(s);
		return 0;
	}
	if (strcmp(s, "site") == 0)
		return 0;
	if ((colon = strchr(s, ':')) == NULL ||
	    (n = (size_t)(colon - s)) >= sizeof(word)) {
		*errstr_r = "a layer is site, org:NAME, user:NAME, "
		    "device:ID or a dataset path";
		return -1;
	}
	memcpy(word, s, n);
	word[n] = '\0';
	if (kind_of(word, &l->kind) == -1 || l->kind == MODEL_SITE) {
		*errstr_r = "a layer is site, org:NAME, user:NAME, "
		    "device:ID or a dataset path";
		return -1;
	}
	if (check_name(l->kind, colon + 1, errstr_r) == -1)
		return -1;
	l->name = xstrdup(colon + 1);
	return 0;
}

int
model_layer_parse(int argc, char **argv, struct model_layer *l, int *used_r,
    const char **errstr_r)
{
	enum model_kind k;

	l->kind = MODEL_SITE;
	l->name = NULL;
	if (argc < 1) {
		*errstr_r = "missing layer (site, org NAME, user NAME, "
		    "device ID or a dataset path)";
		return -1;
	}
	if (strchr(argv[0], ':') != NULL || argv[0][0] == '/' ||
	    strcmp(argv[0], "site") == 0) {
		*used_r = 1;
		return model_layer_from_string(argv[0], l, errstr_r);
	}
	if (kind_of(argv[0], &k) == -1) {
		*errstr_r = "unknown layer: expected site, org NAME, "
		    "user NAME, device ID or a dataset path";
		return -1;
	}
	if (argc < 2) {
		*errstr_r = k == MODEL_DEVICE ? "missing device id" :
		    k == MODEL_ORG ? "missing organisation name" :
		    "missing user name";
		return -1;
	}
	if (check_name(k, argv[1], errstr_r) == -1)
		return -1;
	l->kind = k;
	l->name = xstrdup(argv[1]);
	*used_r = 2;
	return 0;
}

char *
model_layer_string(const struct model_layer *l)
{
	switch (l->kind) {
	case MODEL_SITE:
		return xstrdup("site");
	case MODEL_ORG:
		return xasprintf("org:%s", l->name);
	case MODEL_USER:
		return xasprintf("user:%s", l->name);
	case MODEL_DEVICE:
		return xasprintf("device:%s", l->name);
	case MODEL_PATH:
		break;
	}
	return xstrdup(l->name);
}

char *
model_dataset(const struct model_layer *l, const char *cls)
{
	switch (l->kind) {
	case MODEL_SITE:
		return xasprintf("/%s/site/", cls);
	case MODEL_ORG:
		return xasprintf("/%s/group/%s/", cls, l->name);
	case MODEL_USER:
		return xasprintf("/%s/user/%s/", cls, l->name);
	case MODEL_DEVICE:
		return xasprintf("/%s/host/%s/", cls, l->name);
	case MODEL_PATH:
		break;
	}
	return xstrdup(l->name);
}

char *
model_class_of_dataset(const char *path)
{
	const char *e;

	if (path[0] != '/' || (e = strchr(path + 1, '/')) == NULL ||
	    e == path + 1)
		return NULL;
	return strndup(path + 1, (size_t)(e - path - 1));
}

int
model_layer_of_dataset(const char *path, struct model_layer *l,
    char **cls_r)
{
	static const struct {
		const char *prefix;
		enum model_kind kind;
	} owners[] = {
		{ "group/", MODEL_ORG },
		{ "user/", MODEL_USER },
		{ "host/", MODEL_DEVICE },
	};
	const char *rest, *slash;
	char *cls;
	size_t i, n;

	if ((cls = model_class_of_dataset(path)) == NULL)
		return -1;
	rest = path + strlen(cls) + 2;
	l->name = NULL;
	if (strcmp(rest, "site/") == 0) {
		l->kind = MODEL_SITE;
		goto ok;
	}
	for (i = 0; i < sizeof(owners) / sizeof(owners[0]); i++) {
		n = strlen(owners[i].prefix);
		if (strncmp(rest, owners[i].prefix, n) != 0)
			continue;
		rest += n;
		slash = strchr(rest, '/');
		if (slash == NULL || slash == rest || slash[1] != '\0')
			break;
		l->kind = owners[i].kind;
		l->name = strndup(rest, (size_t)(slash - rest));
		goto ok;
	}
	free(cls);
	return -1;
ok:
	if (cls_r != NULL)
		*cls_r = cls;
	else
		free(cls);
	return 0;
}

const char *
model_class_of_attr(const char *attr)
{
	size_t i, n;

	for (i = 0; i < MODEL_NCLASSES; i++) {
		n = strlen(model_classes[i]);
		if (strncmp(attr, model_classes[i], n) == 0 && attr[n] == '.')
			return model_classes[i];
	}
	if (strncmp(attr, "vendor.acapd.", 13) == 0)
		return "email";
	return NULL;
}

char *
model_device_registry(const char *user)
{
	return xasprintf("/" MODEL_DEVICE_CLASS "/user/%s/", user);
}

bool
model_name_ok(const char *name, const char **errstr_r)
{
	size_t len = strlen(name), i;

	if (len == 0 || len > 255) {
		*errstr_r = "a name has 1 to 255 octets";
		return false;
	}
	if (name[0] == '.') {
		*errstr_r = "a name must not start with \".\" "
		    "(RFC 2244 §4.3 dname-component)";
		return false;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '/' || c == '*' || c == '%' || c < 0x20 ||
		    c == 0x7f) {
			*errstr_r = "a name must not contain \"/\", \"*\", "
			    "\"%\" or control characters (RFC 2244 §3.1, "
			    "§4.3)";
			return false;
		}
	}
	if (!acap_utf8_valid(name, len)) {
		*errstr_r = "a name must be valid UTF-8 (RFC 2244 §3.1)";
		return false;
	}
	return true;
}

bool
model_domain_ok(const char *domain, char *out, const char **errstr_r)
{
	size_t len = strlen(domain), i, label = 0, labels = 1;
	unsigned char c;

	if (len == 0 || len > 253) {
		*errstr_r = "a domain has 1 to 253 characters";
		return false;
	}
	for (i = 0; i <= len; i++) {
		c = (unsigned char)domain[i];
		if (c == '.' || c == '\0') {
			if (label == 0) {
				*errstr_r = "a domain has no empty label (no "
				    "leading, trailing or doubled \".\")";
				return false;
			}
			if (domain[i - 1] == '-') {
				*errstr_r = "a label must not end with \"-\"";
				return false;
			}
			if (c == '.')
				labels++;
			out[i] = (char)c;
			label = 0;
			continue;
		}
		if (c >= 0x80) {
			*errstr_r = "a domain must be ASCII (give an "
			    "internationalised domain in its \"xn--\" "
			    "A-label form)";
			return false;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-')) {
			*errstr_r = "a domain has only letters, digits, "
			    "\"-\" and \".\" (RFC 1035 §2.3.1)";
			return false;
		}
		if (c == '-' && label == 0) {
			*errstr_r = "a label must not start with \"-\"";
			return false;
		}
		if (++label > 63) {
			*errstr_r = "a label has at most 63 characters";
			return false;
		}
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	if (labels < 2) {
		*errstr_r = "a mail domain has at least two labels "
		    "(\"example.org\")";
		return false;
	}
	return true;
}

bool
model_address_ok(const char *addr, char *out, const char **errstr_r)
{
	/* RFC 5322 atext without "/", which no ACAP entry name holds */
	static const char atext[] = "!#$%&'*+-=?^_`{|}~";
	const char *at = strrchr(addr, '@');
	size_t llen, i;
	unsigned char c;

	if (at == NULL || at == addr) {
		*errstr_r = "an address is local-part@domain";
		return false;
	}
	llen = (size_t)(at - addr);
	if (llen > 64) {
		*errstr_r = "a local part has at most 64 characters "
		    "(RFC 5321 §4.5.3.1.1)";
		return false;
	}
	for (i = 0; i < llen; i++) {
		c = (unsigned char)addr[i];
		if (c == '.' && (i == 0 || i + 1 == llen ||
		    addr[i + 1] == '.')) {
			*errstr_r = "a local part is a dot-atom: no leading, "
			    "trailing or doubled \".\" (RFC 5322 §3.2.3)";
			return false;
		}
		if (c != '.' && !((c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr(atext, c) != NULL)) {
			*errstr_r = "a local part has only letters, digits "
			    "and !#$%&'*+-=?^_`{|}~ (RFC 5322 §3.2.3 "
			    "dot-atom; no quoted local parts)";
			return false;
		}
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	out[llen] = '@';
	return model_domain_ok(at + 1, out + llen + 1, errstr_r);
}

bool
model_device_id_ok(const char *id, const char **errstr_r)
{
	size_t len = strlen(id), i;

	if (len == 0 || len > 64) {
		*errstr_r = "a device id has 1 to 64 characters";
		return false;
	}
	for (i = 0; i < len; i++) {
		char c = id[i];
		bool alnum = (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (i == 0 && !alnum) {
			*errstr_r = "a device id starts with a letter or "
			    "digit";
			return false;
		}
		if (!alnum && c != '.' && c != '_' && c != '-') {
			*errstr_r = "a device id holds only letters, digits, "
			    "\".\", \"_\" and \"-\"";
			return false;
		}
	}
	return true;
}

int
model_device_id_new(char *buf, size_t size)
{
	unsigned char rnd[10];
	size_t i, got = 0;
	ssize_t n;
	int fd;

	if (size < 22)
		return -1;
	if ((fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while (got < sizeof(rnd)) {
		n = read(fd, rnd + got, sizeof(rnd) - got);
		if (n <= 0) {
			close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	buf[0] = 'd';
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(buf + 1 + 2 * i, 3, "%02x", rnd[i]);
	return 0;
}

bool
model_entry_ok(const char *name, const char **errstr_r)
{
	size_t len = strlen(name);

	if (len == 0) {
		*errstr_r = "an entry name must not be empty";
		return false;
	}
	if (name[0] == '.' || strchr(name, '/') != NULL) {
		*errstr_r = "an entry name must not contain \"/\" or start "
		    "with \".\" (RFC 2244 §3.1)";
		return false;
	}
	if (!acap_utf8_valid(name, len)) {
		*errstr_r = "an entry name must be valid UTF-8 "
		    "(RFC 2244 §3.1)";
		return false;
	}
	return true;
}

bool
model_attr_ok(const char *name, const char **errstr_r)
{
	size_t len = strlen(name);

	if (len == 0 || strchr(name, '.') == NULL) {
		*errstr_r = "an attribute name contains a dot (names without "
		    "one are reserved, RFC 2244 §3.1.1)";
		return false;
	}
	if (strchr(name, '*') != NULL || strchr(name, '%') != NULL) {
		*errstr_r = "an attribute name must not contain \"*\" or "
		    "\"%\" (RFC 2244 §3.1)";
		return false;
	}
	if (name[0] == '.' || name[len - 1] == '.' ||
	    strstr(name, "..") != NULL) {
		*errstr_r = "an attribute name has no empty dot-separated "
		    "components";
		return false;
	}
	if (!acap_utf8_valid(name, len)) {
		*errstr_r = "an attribute name must be valid UTF-8 "
		    "(RFC 2244 §3.1)";
		return false;
	}
	return true;
}

void
model_time_now(char buf[15])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 15, "%Y%m%d%H%M%S", &tm);
}
