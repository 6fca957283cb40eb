/*
 * profile-json.c -- a mail account's settings as JSON (profile-json.h).
 */
#include "autoconf.h"

#include <stdio.h>

#include "acap-buf.h"
#include "profile.h"
#include "profile-json.h"

/* A JSON string or null (RFC 8259 §7: '"', '\' and controls escaped). */
static void
jstr(struct acap_buf *b, const char *s)
{
	const unsigned char *c;

	if (s == NULL) {
		acap_buf_addstr(b, "null");
		return;
	}
	acap_buf_addch(b, '"');
	for (c = (const unsigned char *)s; *c != '\0'; c++) {
		if (*c == '"' || *c == '\\') {
			acap_buf_addch(b, '\\');
			acap_buf_addch(b, (char)*c);
		} else if (*c < 0x20)
			acap_buf_printf(b, "\\u%04x", *c);
		else
			acap_buf_addch(b, (char)*c);
	}
	acap_buf_addch(b, '"');
}

static void
field(struct acap_buf *b, const char *indent, const char *k, const char *v,
    int last)
{
	acap_buf_printf(b, "%s\"%s\": ", indent, k);
	jstr(b, v);
	acap_buf_addstr(b, last ? "\n" : ",\n");
}

static void
server(struct acap_buf *b, const char *k, const struct profile_server *s)
{
	acap_buf_printf(b, "  \"%s\": ", k);
	if (s->host == NULL) {
		acap_buf_addstr(b, "null,\n");
		return;
	}
	acap_buf_addstr(b, "{\n");
	field(b, "    ", "host", s->host, 0);
	acap_buf_printf(b, "    \"port\": %u,\n", s->port);
	field(b, "    ", "socket", profile_socket_name(s->socket), 0);
	field(b, "    ", "login", s->login, 0);
	field(b, "    ", "auth", s->auth, 1);
	acap_buf_addstr(b, "  },\n");
}

void
profile_json(struct profile *p, const char *device, struct acap_buf *out)
{
	profile_finish(p);
	acap_buf_addstr(out, "{\n");
	field(out, "  ", "format", "acapd-profile", 0);
	acap_buf_addstr(out, "  \"version\": 1,\n");
	field(out, "  ", "device", device, 0);
	field(out, "  ", "email", p->email, 0);
	field(out, "  ", "login", p->login, 0);
	field(out, "  ", "display_name", p->display_name, 0);
	field(out, "  ", "domain", p->domain, 0);
	field(out, "  ", "organisation", p->org_name, 0);
	server(out, "imap", &p->imap);
	server(out, "smtp", &p->smtp);
	if (p->idle_ceiling > 0)
		acap_buf_printf(out, "  \"idle_ceiling\": %ld\n",
		    p->idle_ceiling);
	else
		acap_buf_addstr(out, "  \"idle_ceiling\": null\n");
	acap_buf_addstr(out, "}\n");
}
