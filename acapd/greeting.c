/*
 * greeting.c -- the "* ACAP" greeting (RFC 2244 §6.1; RFC 2595 §5.1: sent
 * again after STARTTLS, with the mechanisms then available).
 */
#include "autoconf.h"

#include <stddef.h>

#include "acap-buf.h"
#include "config.h"
#include "conn.h"
#include "greeting.h"
#include "sasl.h"
#include "server.h"
#include "session.h"

void
greeting_send(struct conn *c)
{
	struct sasl_session **sp = (struct sasl_session **)conn_sasl_slot(c);
	struct acap_buf b = ACAP_BUF_INIT;
	const char *const *mechs;
	size_t n, i;

	acap_buf_addstr(&b, "* ACAP (IMPLEMENTATION ");
	acap_buf_add_cstring(&b, "acapd " PACKAGE_VERSION);
	acap_buf_addstr(&b, ") (SASL");
	if (*sp == NULL)
		session_sasl_new(c);
	if (*sp != NULL && sasl_session_mechs(*sp, &mechs, &n) == 0)
		for (i = 0; i < n; i++) {
			acap_buf_addch(&b, ' ');
			acap_buf_add_cstring(&b, mechs[i]);
		}
	acap_buf_addch(&b, ')');
	if (srv->tls != NULL && !conn_tls_active(c))
		acap_buf_addstr(&b, " (STARTTLS)");
	/* §6.1.1: advertised only above the base requirement of 100. */
	if (cfg->context_limit > 100)
		acap_buf_printf(&b, " (CONTEXTLIMIT \"%u\")",
		    cfg->context_limit);
	acap_buf_addstr(&b, "\r\n");
	conn_write(c, b.data, b.len);
	acap_buf_deinit(&b);
}
