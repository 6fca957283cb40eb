/*
 * seed.c -- the site layer a fresh instance starts with.  One STORE
 * transaction; nothing happens when /email/site/ already exists, so an
 * administrator's changes are never overwritten.
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>

#include "seed.h"
#include "store.h"

struct seed_attr {
	const char *dataset;
	const char *entry;
	const char *attr;
	const char *fmt;	/* "%s" is replaced by the host name */
};

/* Keep in step with schema/site-template.json and doc/settings.md. */
static const struct seed_attr seed[] = {
	{ "/email/site/", "mail", "email.server.IMAP", "imap://%s:143/" },
	{ "/email/site/", "mail", "email.personality", "/personality/~/mail" },
	{ "/email/site/", "mail", "vendor.acapd.tls", "starttls-required" },
	{ "/email/site/", "mail", "vendor.acapd.idle-ceiling", "1740" },
	{ "/email/site/", "mail", "vendor.acapd.tcp-keepalive", "off" },
	{ "/personality/site/", "mail", "personality.Server.SMTP",
	    "smtp:%s:587" },
	{ "/personality/site/", "mail", "vendor.acapd.tls",
	    "starttls-required" },
	{ "/option/site/", "mua.default.account", "option.value",
	    "/email/~/mail" },
	{ "/option/site/", "mua.default.personality", "option.value",
	    "/personality/~/mail" },
};

#define NSEED (sizeof(seed) / sizeof(seed[0]))

/* fmt with each "%s" replaced by host (no printf on a table string). */
static void
seed_value(char *out, size_t outlen, const char *fmt, const char *host)
{
	size_t o = 0, hl = strlen(host);

	for (; *fmt != '\0' && o + 1 < outlen; fmt++) {
		if (fmt[0] == '%' && fmt[1] == 's' && o + hl + 1 < outlen) {
			memcpy(out + o, host, hl);
			o += hl;
			fmt++;
		} else
			out[o++] = *fmt;
	}
	out[o] = '\0';
}

int
seed_site(struct store *st, const char *host, const char **errstr_r)
{
	static char values[NSEED][512];
	struct store_attr_op aops[NSEED];
	struct store_entry_op eops[NSEED];
	struct store_str strs[NSEED];
	struct store_result res;
	struct store_snap *snap = NULL;
	enum store_err err;
	size_t i, ne = 0;

	err = store_snap_get(st, "/email/site/", &snap);
	store_snap_unref(&snap);
	if (err == STORE_OK)
		return 0;		/* not a first start */
	if (err != STORE_ENOEXIST) {
		*errstr_r = store_err_text(err);
		return -1;
	}
	memset(aops, 0, sizeof(aops));
	memset(eops, 0, sizeof(eops));
	for (i = 0; i < NSEED; i++) {
		seed_value(values[i], sizeof(values[i]), seed[i].fmt, host);
		strs[i].s = values[i];
		strs[i].len = strlen(values[i]);
		aops[i].name = seed[i].attr;
		aops[i].value_op = STORE_OP_SET;
		aops[i].values = &strs[i];
		aops[i].nvalues = 1;
		/* consecutive rows of one entry form one store-entry */
		if (ne > 0 && strcmp(eops[ne - 1].dataset, seed[i].dataset) ==
		    0 && strcmp(eops[ne - 1].entry, seed[i].entry) == 0) {
			eops[ne - 1].nattrs++;
			continue;
		}
		eops[ne].dataset = seed[i].dataset;
		eops[ne].entry = seed[i].entry;
		eops[ne].attrs = &aops[i];
		eops[ne].nattrs = 1;
		ne++;
	}
	memset(&res, 0, sizeof(res));
	if ((err = store_apply(st, eops, ne, &res)) != STORE_OK) {
		*errstr_r = store_err_text(err);
		return -1;
	}
	return 0;
}
