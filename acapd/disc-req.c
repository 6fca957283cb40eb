/*
 * disc-req.c -- parsing discovery requests (see disc-req.h).
 *
 * The Autodiscover body is parsed by expat with a DOCTYPE handler that
 * stops the parse: no entity is ever declared, so neither the "billion
 * laughs" expansion nor an external entity (XXE) can happen, whatever
 * expat's own defaults are.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <expat.h>

#include "disc-req.h"

#define TEXT_MAX	320	/* an element's text we keep */
#define DEPTH_MAX	16

enum ad_field { AD_NONE, AD_EMAIL, AD_SCHEMA };

struct ad_state {
	XML_Parser parser;
	unsigned int depth;
	bool in_request;		/* inside <Request> */
	enum ad_field field;		/* collecting this element's text */
	char text[TEXT_MAX + 1];
	size_t len;
	bool overflow;
	char *email, *schema;
	const char *err;
};

/* Element name without its namespace (expat gives "uri|local"). */
static const char *
local_name(const char *name)
{
	const char *bar = strrchr(name, '|');

	return bar != NULL ? bar + 1 : name;
}

static void
ad_stop(struct ad_state *st, const char *err)
{
	if (st->err == NULL)
		st->err = err;
	XML_StopParser(st->parser, XML_FALSE);
}

static void XMLCALL
ad_start(void *arg, const XML_Char *name, const XML_Char **atts)
{
	struct ad_state *st = arg;
	const char *ln = local_name(name);

	(void)atts;
	if (++st->depth > DEPTH_MAX) {
		ad_stop(st, "the request is nested too deeply");
		return;
	}
	if (st->depth == 1) {
		if (strcmp(ln, "Autodiscover") != 0)
			ad_stop(st, "the root element is not Autodiscover");
		return;
	}
	if (st->depth == 2 && strcmp(ln, "Request") == 0) {
		st->in_request = true;
		return;
	}
	if (st->depth == 3 && st->in_request) {
		if (strcmp(ln, "EMailAddress") == 0)
			st->field = AD_EMAIL;
		else if (strcmp(ln, "AcceptableResponseSchema") == 0)
			st->field = AD_SCHEMA;
		st->len = 0;
		st->overflow = false;
	}
}

static char *
trimmed_copy(const char *s, size_t len)
{
	char *d;

	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if ((d = malloc(len + 1)) == NULL)
		abort();
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

static void XMLCALL
ad_end(void *arg, const XML_Char *name)
{
	struct ad_state *st = arg;
	char **slot;

	(void)name;
	if (st->depth == 3 && st->field != AD_NONE) {
		slot = st->field == AD_EMAIL ? &st->email : &st->schema;
		if (st->overflow)
			ad_stop(st, "an element of the request is too long");
		else if (*slot != NULL)
			ad_stop(st, "an element of the request is repeated");
		else
			*slot = trimmed_copy(st->text, st->len);
		st->field = AD_NONE;
	}
	if (st->depth == 2)
		st->in_request = false;
	st->depth--;
}

static void XMLCALL
ad_text(void *arg, const XML_Char *s, int len)
{
	struct ad_state *st = arg;

	if (st->field == AD_NONE || len <= 0)
		return;
	if (st->len + (size_t)len > TEXT_MAX) {
		st->overflow = true;
		return;
	}
	memcpy(st->text + st->len, s, (size_t)len);
	st->len += (size_t)len;
}

static void XMLCALL
ad_doctype(void *arg, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal_subset)
{
	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal_subset;
	ad_stop(arg, "a DOCTYPE is not allowed in the request");
}

int
discreq_autodiscover(const char *body, size_t len, char **email_r,
    char **schema_r, const char **err_r)
{
	struct ad_state st;
	enum XML_Status r;

	memset(&st, 0, sizeof(st));
	*email_r = *schema_r = NULL;
	if (len > 0x7fffffff) {
		*err_r = "the request is too long";
		return -1;
	}
	if ((st.parser = XML_ParserCreateNS(NULL, '|')) == NULL)
		abort();
	XML_SetUserData(st.parser, &st);
	XML_SetElementHandler(st.parser, ad_start, ad_end);
	XML_SetCharacterDataHandler(st.parser, ad_text);
	/* the DOCTYPE comes before any declaration: stop there */
	XML_SetStartDoctypeDeclHandler(st.parser, ad_doctype);
	XML_SetParamEntityParsing(st.parser, XML_PARAM_ENTITY_PARSING_NEVER);
	r = XML_Parse(st.parser, body, (int)len, XML_TRUE);
	if (r != XML_STATUS_OK && st.err == NULL)
		st.err = "the request is not well-formed XML";
	if (st.err == NULL && st.email == NULL)
		st.err = "the request has no Request/EMailAddress";
	XML_ParserFree(st.parser);
	if (st.err != NULL) {
		free(st.email);
		free(st.schema);
		*err_r = st.err;
		return -1;
	}
	*email_r = st.email;
	*schema_r = st.schema;
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

char *
discreq_query_param(const char *query, const char *name)
{
	size_t nlen = strlen(name);
	const char *p, *end, *v;
	char *out, *o;

	for (p = query; p != NULL && *p != '\0';
	    p = *end != '\0' ? end + 1 : end) {
		end = p + strcspn(p, "&;");
		if ((size_t)(end - p) <= nlen || p[nlen] != '=' ||
		    strncasecmp(p, name, nlen) != 0)
			continue;
		if ((out = malloc((size_t)(end - p))) == NULL)
			abort();
		for (o = out, v = p + nlen + 1; v < end; v++) {
			if (*v == '+')
				*o++ = ' ';
			else if (*v == '%' && end - v >= 3 &&
			    hexval((unsigned char)v[1]) >= 0 &&
			    hexval((unsigned char)v[2]) >= 0) {
				*o = (char)(hexval((unsigned char)v[1]) * 16 +
				    hexval((unsigned char)v[2]));
				if (*o == '\0') {
					free(out);
					return NULL;
				}
				o++;
				v += 2;
			} else
				*o++ = *v;
		}
		*o = '\0';
		return out;
	}
	return NULL;
}

/* Validate and lowercase a domain of len octets into out. */
static int
domain_norm(const char *s, size_t len, char *out, size_t outlen)
{
	size_t i, label = 0;
	bool alpha = false;

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len > DISCREQ_MAX_DOMAIN || len >= outlen)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0)
				return -1;
			label = 0;
			out[i] = '.';
			continue;
		}
		if (!isalnum(c) && c != '-')
			return -1;
		if (isalpha(c))
			alpha = true;
		if (++label > 63)
			return -1;
		out[i] = (char)tolower(c);
	}
	if (label == 0 || !alpha)	/* an IPv4 literal is no mail domain */
		return -1;
	out[len] = '\0';
	return 0;
}

int
discreq_host_domain(const char *host, char *out, size_t outlen)
{
	const char *colon;
	size_t len;

	if (host == NULL || host[0] == '[')
		return -1;
	colon = strchr(host, ':');
	len = colon != NULL ? (size_t)(colon - host) : strlen(host);
	if (colon != NULL && strspn(colon + 1, "0123456789") !=
	    strlen(colon + 1))
		return -1;
	return domain_norm(host, len, out, outlen);
}

int
discreq_address(const char *addr, char *addr_out, char *domain_out,
    size_t outlen)
{
	const char *at = strrchr(addr, '@'), *c;
	size_t llen;

	if (at == NULL || at == addr || strlen(addr) > DISCREQ_MAX_ADDRESS ||
	    outlen <= DISCREQ_MAX_ADDRESS)
		return -1;
	for (c = addr; c < at; c++)
		if ((unsigned char)*c <= 0x20 || *c == 0x7f || *c == '<' ||
		    *c == '>' || *c == '"' || *c == '\\' || *c == '@' ||
		    *c == '/')
			return -1;
	if (domain_norm(at + 1, strlen(at + 1), domain_out, outlen) == -1)
		return -1;
	llen = (size_t)(at - addr);
	for (c = addr; c < at; c++)
		addr_out[c - addr] = (char)tolower((unsigned char)*c);
	addr_out[llen] = '@';
	strcpy(addr_out + llen + 1, domain_out);
	return 0;
}
