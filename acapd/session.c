/*
 * session.c -- a connection's SASL session (session.h).
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

#include "conn.h"
#include "sasl.h"
#include "session.h"
#include "tls.h"

/* "address;port", as libsasl2 wants ipremoteport/iplocalport. */
static void
sasl_addr(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	buf[0] = '\0';
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s;%u", host, ntohs(s4->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "%s;%u", host, ntohs(s6->sin6_port));
	}
}

void
session_sasl_new(struct conn *c)
{
	struct sasl_session **sp = (struct sasl_session **)conn_sasl_slot(c);
	char remote[80], local[80];
	struct sockaddr_storage ss;
	socklen_t sl;
	const char *err;
	int fd = conn_fd(c);

	sl = sizeof(ss);
	remote[0] = local[0] = '\0';
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0)
		sasl_addr((struct sockaddr *)&ss, remote, sizeof(remote));
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		sasl_addr((struct sockaddr *)&ss, local, sizeof(local));
	if (sasl_session_new(remote[0] ? remote : NULL,
	    local[0] ? local : NULL, sp, &err) == -1) {
		conn_log(c, LOG_ERR, "SASL session: %s", err);
		*sp = NULL;
	}
}

void
session_tls_ready(struct conn *c, struct ssl_st *ssl)
{
	struct sasl_session **sp = (struct sasl_session **)conn_sasl_slot(c);
	const char *err;
	char *cn;

	/* Fresh SASL state: whatever happened in clear text is forgotten. */
	sasl_session_free(sp);
	session_sasl_new(c);
	if (*sp == NULL)
		return;
	cn = tls_peer_cn(ssl);
	if (sasl_session_set_tls(*sp, tls_ssl_ssf(ssl), cn, &err) == -1)
		conn_log(c, LOG_ERR, "SASL over TLS: %s", err);
	free(cn);
}
