/*
 * fuzz-discovery.c -- libFuzzer target for the request side of discovery
 * (acapd/disc-req.c) and the XML the answers are written in
 * (libacap/profile.c).
 *
 * Input: [0] selects the function, the rest is its input.
 *   0: an Autodiscover request body (expat, DOCTYPE refused): on success
 *      the address is there, short, without NUL; never a crash or leak.
 *   1: [1] name length n, n octets of name, then a query string: a found
 *      value is NUL-free and no longer than the query.
 *   2: a Host header: a domain comes out lowercase, of letters, digits,
 *      '-' and '.', at most 253 octets, and is a fixed point.
 *   3: an address: the normalised form is a fixed point and ends in "@"
 *      and the domain.
 *   4: NUL-separated values for the profile (IMAP URL, SMTP URL, real
 *      name, address, organisation): when they are valid UTF-8, both
 *      generated documents are well-formed XML (expat parses them).
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "acap-arg.h"
#include "disc-req.h"
#include "fuzz-common.h"
#include "profile.h"

static char *
copy(const uint8_t *s, size_t len)
{
	char *r = malloc(len + 1);

	FUZZ_CHECK(r != NULL, "out of memory");
	memcpy(r, s, len);
	r[len] = '\0';
	return r;
}

static void
well_formed(const struct acap_buf *b, const char *what)
{
	XML_Parser p = XML_ParserCreate(NULL);
	enum XML_Status st;

	FUZZ_CHECK(p != NULL, "out of memory");
	st = XML_Parse(p, b->data, (int)b->len, XML_TRUE);
	FUZZ_CHECK(st == XML_STATUS_OK, "%s is not well-formed: %s\n%s", what,
	    XML_ErrorString(XML_GetErrorCode(p)), b->data);
	XML_ParserFree(p);
}

static void
do_profile(const uint8_t *data, size_t size)
{
	static const char *const attrs[] = { "email.server.IMAP",
	    "personality.Server.SMTP", "personality.Real-Name",
	    "personality.Return-Address", "vendor.acapd.tls" };
	struct acap_buf b = ACAP_BUF_INIT;
	struct profile p;
	const uint8_t *s = data, *e = data + size, *z;
	size_t i;
	char *v;

	if (!acap_utf8_valid((const char *)data, size))
		return;
	profile_init(&p);
	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]) && s <= e; i++) {
		z = memchr(s, '\0', (size_t)(e - s));
		if (z == NULL)
			z = e;
		v = copy(s, (size_t)(z - s));
		profile_set_attr(&p, i == 0 ? PROFILE_EMAIL :
		    PROFILE_PERSONALITY, attrs[i], v);
		if (i == 4)
			profile_set_str(&p.org_name, v);
		if (i == 3)
			profile_set_str(&p.domain, v);
		free(v);
		s = z + 1;
	}
	profile_autoconfig_xml(&p, &b);
	well_formed(&b, "autoconfig");
	acap_buf_reset(&b);
	profile_autodiscover_xml(&p, &b);
	well_formed(&b, "autodiscover");
	acap_buf_reset(&b);
	profile_autodiscover_error_xml(&b, 600, p.display_name != NULL ?
	    p.display_name : "x");
	well_formed(&b, "autodiscover error");
	acap_buf_deinit(&b);
	profile_free(&p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[DISCREQ_MAX_ADDRESS + 1], dom[DISCREQ_MAX_ADDRESS + 1];
	char out2[DISCREQ_MAX_ADDRESS + 1], dom2[DISCREQ_MAX_ADDRESS + 1];
	char *a, *b, *in;
	const char *err;
	size_t i, n;

	if (size < 1)
		return 0;
	switch (data[0] % 5) {
	case 0:
		if (discreq_autodiscover((const char *)data + 1, size - 1, &a,
		    &b, &err) == 0) {
			FUZZ_CHECK(a != NULL && strlen(a) <= 320, "address");
			FUZZ_CHECK(b == NULL || strlen(b) <= 320, "schema");
			free(a);
			free(b);
		} else
			FUZZ_CHECK(err != NULL && a == NULL && b == NULL,
			    "error without a reason");
		break;
	case 1:
		if (size < 2 || (n = data[1]) > size - 2)
			return 0;
		a = copy(data + 2, n);
		in = copy(data + 2 + n, size - 2 - n);
		b = discreq_query_param(in, a);
		FUZZ_CHECK(b == NULL || strlen(b) <= strlen(in), "value");
		free(a);
		free(b);
		free(in);
		break;
	case 2:
		in = copy(data + 1, size - 1);
		if (discreq_host_domain(in, out, sizeof(out)) == 0) {
			n = strlen(out);
			FUZZ_CHECK(n >= 1 && n <= DISCREQ_MAX_DOMAIN, "length");
			for (i = 0; i < n; i++)
				FUZZ_CHECK((out[i] >= 'a' && out[i] <= 'z') ||
				    (out[i] >= '0' && out[i] <= '9') ||
				    out[i] == '-' || out[i] == '.', "octet");
			FUZZ_CHECK(discreq_host_domain(out, out2,
			    sizeof(out2)) == 0 && strcmp(out, out2) == 0,
			    "not a fixed point");
		}
		free(in);
		break;
	case 3:
		in = copy(data + 1, size - 1);
		if (discreq_address(in, out, dom, sizeof(out)) == 0) {
			n = strlen(out);
			i = strlen(dom);
			FUZZ_CHECK(n > i && out[n - i - 1] == '@' &&
			    strcmp(out + n - i, dom) == 0, "domain");
			FUZZ_CHECK(discreq_address(out, out2, dom2,
			    sizeof(out2)) == 0 && strcmp(out, out2) == 0,
			    "not a fixed point");
		}
		free(in);
		break;
	default:
		do_profile(data + 1, size - 1);
		break;
	}
	return 0;
}
