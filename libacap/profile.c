/*
 * profile.c -- struct profile, its mapping from ACAP attributes, and the
 * Mozilla autoconfig and Autodiscover POX generators.
 *
 * Owns nothing global.  The formats: Mozilla autoconfig clientConfig 1.1
 * (wiki.mozilla.org/Thunderbird:Autoconfiguration:ConfigFileFormat) and
 * Autodiscover for Outlook, response schema 2006a ([MS-OXDSCLI] §2.2.4).
 */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acap-arg.h"
#include "profile.h"

#define ADS_NS	"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
#define ADS_NS_A \
	"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"

static char *
xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		abort();
	return d;
}

void
profile_set_str(char **field, const char *value)
{
	free(*field);
	*field = value != NULL ? xstrdup(value) : NULL;
}

static void
server_clear(struct profile_server *s)
{
	enum profile_tls tls = s->tls;

	free(s->host);
	free(s->login);
	free(s->auth);
	memset(s, 0, sizeof(*s));
	s->tls = tls;
}

void
profile_init(struct profile *p)
{
	memset(p, 0, sizeof(*p));
}

void
profile_free(struct profile *p)
{
	free(p->email);
	free(p->login);
	free(p->display_name);
	free(p->domain);
	free(p->org_name);
	free(p->org_description);
	server_clear(&p->imap);
	server_clear(&p->smtp);
	memset(p, 0, sizeof(*p));
}

/* Percent-decode [s, e) into a new string (RFC 3986 §2.1). */
static char *
pct_decode(const char *s, const char *e)
{
	char *d = malloc((size_t)(e - s) + 1), *o = d;

	if (d == NULL)
		abort();
	while (s < e) {
		if (*s == '%' && e - s >= 3 && isxdigit((unsigned char)s[1]) &&
		    isxdigit((unsigned char)s[2])) {
			char hex[3] = { s[1], s[2], '\0' };

			*o++ = (char)strtol(hex, NULL, 16);
			s += 3;
		} else
			*o++ = *s++;
	}
	*o = '\0';
	return d;
}

/*
 * An IMAP (RFC 5092 §3), SMTP (draft-ietf-acap-pers §8: smtp:host[:port])
 * or submission URL: scheme, optional user[;AUTH=mech]@, host, port.
 */
static int
parse_server_url(struct profile_server *s, const char *url,
    const char *const *schemes)
{
	const char *colon, *auth, *at, *host, *hend, *end, *c;
	size_t n, i;

	server_clear(s);
	if ((colon = strchr(url, ':')) == NULL ||
	    (n = (size_t)(colon - url)) == 0 || n >= sizeof(s->scheme))
		return -1;
	for (i = 0; i < n; i++)
		s->scheme[i] = (char)tolower((unsigned char)url[i]);
	s->scheme[n] = '\0';
	for (i = 0; schemes[i] != NULL; i++)
		if (strcmp(schemes[i], s->scheme) == 0)
			break;
	if (schemes[i] == NULL)
		goto bad;
	c = colon + 1;
	if (c[0] == '/' && c[1] == '/')
		c += 2;
	end = c + strcspn(c, "/?#");
	at = NULL;
	for (host = c; host < end; host++)
		if (*host == '@')
			at = host;
	if (at != NULL) {
		for (auth = c; auth < at && *auth != ';'; auth++)
			;
		if (auth > c)
			s->login = pct_decode(c, auth);
		if (auth < at && strncasecmp(auth, ";AUTH=", 6) == 0 &&
		    at - auth > 6 && !(at - auth == 7 && auth[6] == '*'))
			s->auth = pct_decode(auth + 6, at);
		host = at + 1;
	} else
		host = c;
	if (*host == '[') {
		hend = memchr(host, ']', (size_t)(end - host));
		if (hend == NULL)
			goto bad;
		hend++;
	} else
		hend = host + strcspn(host, ":/?#");
	if (hend > end)
		hend = end;
	if (hend == host)
		goto bad;
	for (c = host; c < hend; c++)
		if ((unsigned char)*c <= 0x20 || *c == 0x7f)
			goto bad;
	s->host = malloc((size_t)(hend - host) + 1);
	if (s->host == NULL)
		abort();
	memcpy(s->host, host, (size_t)(hend - host));
	s->host[hend - host] = '\0';
	if (hend < end && *hend == ':') {
		char *pe;
		unsigned long port;

		errno = 0;
		port = strtoul(hend + 1, &pe, 10);
		if (errno != 0 || pe != end || pe == hend + 1 || port < 1 ||
		    port > 65535 || !isdigit((unsigned char)hend[1]))
			goto bad;
		s->port = (unsigned int)port;
		s->port_given = 1;
	}
	return 0;
bad:
	server_clear(s);
	return -1;
}

static enum profile_tls
parse_tls(const char *v)
{
	if (v == NULL)
		return PROFILE_TLS_UNSET;
	if (strcmp(v, "starttls-required") == 0)
		return PROFILE_TLS_STARTTLS_REQUIRED;
	if (strcmp(v, "starttls-optional") == 0)
		return PROFILE_TLS_STARTTLS_OPTIONAL;
	if (strcmp(v, "implicit") == 0)
		return PROFILE_TLS_IMPLICIT;
	return PROFILE_TLS_UNSET;
}

int
profile_set_attr(struct profile *p, enum profile_class cls, const char *attr,
    const char *value)
{
	static const char *const imap[] = { "imap", "imaps", NULL };
	static const char *const smtp[] = { "smtp", "smtps", "submission",
	    "submissions", NULL };
	struct profile_server *srv = cls == PROFILE_EMAIL ? &p->imap : &p->smtp;

	p->finished = 0;
	if (strcmp(attr, "vendor.acapd.tls") == 0) {
		srv->tls = parse_tls(value);
		return value == NULL || srv->tls != PROFILE_TLS_UNSET ? 1 : -1;
	}
	if (cls == PROFILE_EMAIL) {
		if (strcmp(attr, "email.server.IMAP") == 0) {
			if (value == NULL) {
				server_clear(&p->imap);
				return 1;
			}
			return parse_server_url(&p->imap, value, imap) == 0 ?
			    1 : -1;
		}
		if (strcmp(attr, "vendor.acapd.idle-ceiling") == 0) {
			char *e;
			long v;

			p->idle_ceiling = 0;
			if (value == NULL)
				return 1;
			errno = 0;
			v = strtol(value, &e, 10);
			if (errno != 0 || *e != '\0' || e == value || v < 1 ||
			    v > INT_MAX)
				return -1;
			p->idle_ceiling = v;
			return 1;
		}
		return 0;
	}
	if (strcmp(attr, "personality.Server.SMTP") == 0) {
		if (value == NULL) {
			server_clear(&p->smtp);
			return 1;
		}
		return parse_server_url(&p->smtp, value, smtp) == 0 ? 1 : -1;
	}
	if (strcmp(attr, "personality.Real-Name") == 0) {
		profile_set_str(&p->display_name, value);
		return 1;
	}
	if (strcmp(attr, "personality.Return-Address") == 0) {
		if (p->email == NULL && value != NULL)
			profile_set_str(&p->email, value);
		return 1;
	}
	return 0;
}

static void
server_finish(struct profile_server *s, unsigned int plain_port,
    unsigned int ssl_port)
{
	int implicit_scheme = strcmp(s->scheme, "imaps") == 0 ||
	    strcmp(s->scheme, "smtps") == 0 ||
	    strcmp(s->scheme, "submissions") == 0;

	if (implicit_scheme || s->tls == PROFILE_TLS_IMPLICIT)
		s->socket = PROFILE_SOCKET_SSL;
	else
		s->socket = PROFILE_SOCKET_STARTTLS;
	if (!s->port_given) {
		if (s->socket == PROFILE_SOCKET_SSL)
			s->port = ssl_port;
		else if (strcmp(s->scheme, "submission") == 0)
			s->port = 587;
		else
			s->port = plain_port;
	}
}

void
profile_finish(struct profile *p)
{
	if (p->finished)
		return;
	server_finish(&p->imap, 143, 993);
	/* draft-ietf-acap-pers §8: an smtp: URL without a port means 25 */
	server_finish(&p->smtp, 25, 465);
	p->finished = 1;
}

const char *
profile_socket_name(enum profile_socket s)
{
	switch (s) {
	case PROFILE_SOCKET_PLAIN:
		return "plain";
	case PROFILE_SOCKET_STARTTLS:
		return "STARTTLS";
	case PROFILE_SOCKET_SSL:
		return "SSL";
	}
	return "plain";
}

const char *
profile_auth_autoconfig(const char *mech)
{
	if (mech == NULL || strcasecmp(mech, "PLAIN") == 0 ||
	    strcasecmp(mech, "LOGIN") == 0)
		return "password-cleartext";
	if (strcasecmp(mech, "CRAM-MD5") == 0 ||
	    strcasecmp(mech, "DIGEST-MD5") == 0 ||
	    strncasecmp(mech, "SCRAM-", 6) == 0)
		return "password-encrypted";
	if (strcasecmp(mech, "GSSAPI") == 0)
		return "GSSAPI";
	if (strcasecmp(mech, "NTLM") == 0)
		return "NTLM";
	if (strcasecmp(mech, "EXTERNAL") == 0)
		return "TLS-client-cert";
	if (strcasecmp(mech, "XOAUTH2") == 0 ||
	    strcasecmp(mech, "OAUTHBEARER") == 0)
		return "OAuth2";
	return "password-cleartext";
}

/*
 * One UTF-8 character at c (c[0] >= 0x80): copied when valid and an XML
 * character (XML 1.0 §2.2 excludes U+FFFE and U+FFFF), else U+FFFD.
 * Returns the octets consumed.
 */
static size_t
utf8_char(struct acap_buf *b, const unsigned char *c)
{
	size_t n = c[0] >= 0xf0 ? 4 : c[0] >= 0xe0 ? 3 : c[0] >= 0xc0 ? 2 : 1;
	size_t i;

	for (i = 1; i < n; i++)
		if (c[i] == '\0')
			break;
	if (i == n && n > 1 && acap_utf8_valid((const char *)c, n)) {
		if (n == 3 && c[0] == 0xef && c[1] == 0xbf && c[2] >= 0xbe)
			acap_buf_addstr(b, "\xef\xbf\xbd");
		else
			acap_buf_add(b, c, n);
		return n;
	}
	acap_buf_addstr(b, "\xef\xbf\xbd");
	return 1;
}

void
profile_xml_escape(struct acap_buf *b, const char *s)
{
	const unsigned char *c;

	for (c = (const unsigned char *)s; *c != '\0'; c++) {
		const unsigned char *run = c;

		/* plain ASCII goes in one copy */
		while (*c >= 0x20 && *c < 0x80 && *c != '&' && *c != '<' &&
		    *c != '>' && *c != '"' && *c != '\'')
			c++;
		if (c > run)
			acap_buf_add(b, run, (size_t)(c - run));
		if (*c == '\0')
			break;
		switch (*c) {
		case '&':
			acap_buf_addstr(b, "&amp;");
			break;
		case '<':
			acap_buf_addstr(b, "&lt;");
			break;
		case '>':
			acap_buf_addstr(b, "&gt;");
			break;
		case '"':
			acap_buf_addstr(b, "&quot;");
			break;
		case '\'':
			acap_buf_addstr(b, "&apos;");
			break;
		default:
			if (*c >= 0x80) {
				c += utf8_char(b, c) - 1;
				break;
			}
			/* XML 1.0 §2.2: no C0 controls but TAB, LF, CR */
			acap_buf_addch(b, *c < 0x20 && *c != '\t' &&
			    *c != '\n' && *c != '\r' ? ' ' : (char)*c);
		}
	}
}

/* <name>escaped value</name> with indentation */
static void
elem(struct acap_buf *b, int indent, const char *name, const char *value)
{
	static const char spaces[] = "                ";

	acap_buf_add(b, spaces, (size_t)indent < sizeof(spaces) - 1 ?
	    (size_t)indent : sizeof(spaces) - 1);
	acap_buf_addch(b, '<');
	acap_buf_addstr(b, name);
	acap_buf_addch(b, '>');
	profile_xml_escape(b, value);
	acap_buf_addstr(b, "</");
	acap_buf_addstr(b, name);
	acap_buf_addstr(b, ">\n");
}

static void
elem_uint(struct acap_buf *b, int indent, const char *name, unsigned int v)
{
	acap_buf_printf(b, "%*s<%s>%u</%s>\n", indent, "", name, v, name);
}

static const char *
login_of(const struct profile *p, const struct profile_server *s)
{
	if (s->login != NULL)
		return s->login;
	if (p->login != NULL)
		return p->login;
	return p->email;
}

static void
autoconfig_server(struct acap_buf *b, const struct profile *p,
    const struct profile_server *s, const char *tag, const char *type)
{
	const char *login = login_of(p, s);

	acap_buf_printf(b, "    <%s type=\"%s\">\n", tag, type);
	elem(b, 6, "hostname", s->host);
	elem_uint(b, 6, "port", s->port);
	elem(b, 6, "socketType", profile_socket_name(s->socket));
	elem(b, 6, "username", login != NULL ? login : "%EMAILADDRESS%");
	elem(b, 6, "authentication", profile_auth_autoconfig(s->auth));
	acap_buf_printf(b, "    </%s>\n", tag);
}

void
profile_autoconfig_xml(struct profile *p, struct acap_buf *out)
{
	const char *domain = p->domain != NULL ? p->domain : "";
	const char *name = p->org_description != NULL ? p->org_description :
	    p->org_name != NULL ? p->org_name : domain;

	profile_finish(p);
	acap_buf_addstr(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<clientConfig version=\"1.1\">\n  <emailProvider id=\"");
	profile_xml_escape(out, domain);
	acap_buf_addstr(out, "\">\n");
	elem(out, 4, "domain", domain);
	elem(out, 4, "displayName", name);
	elem(out, 4, "displayShortName",
	    p->org_name != NULL ? p->org_name : domain);
	if (p->imap.host != NULL)
		autoconfig_server(out, p, &p->imap, "incomingServer", "imap");
	if (p->smtp.host != NULL)
		autoconfig_server(out, p, &p->smtp, "outgoingServer", "smtp");
	acap_buf_addstr(out, "  </emailProvider>\n</clientConfig>\n");
}

static void
autodiscover_protocol(struct acap_buf *b, const struct profile *p,
    const struct profile_server *s, const char *type)
{
	const char *login = s->login != NULL ? s->login : p->login;
	const char *auth = profile_auth_autoconfig(s->auth);

	/* Autodiscover has no placeholders: Outlook then uses the address */
	if (login != NULL && strstr(login, "%EMAIL") != NULL)
		login = NULL;

	acap_buf_addstr(b, "      <Protocol>\n");
	elem(b, 8, "Type", type);
	elem(b, 8, "Server", s->host);
	elem_uint(b, 8, "Port", s->port);
	elem(b, 8, "DomainRequired", "off");
	if (login != NULL)
		elem(b, 8, "LoginName", login);
	elem(b, 8, "SPA", strcmp(auth, "NTLM") == 0 ? "on" : "off");
	/* [MS-OXDSCLI] §2.2.4.1.1.2.8.x: Encryption overrides SSL */
	elem(b, 8, "SSL", s->socket == PROFILE_SOCKET_PLAIN ? "off" : "on");
	elem(b, 8, "Encryption", s->socket == PROFILE_SOCKET_SSL ? "SSL" :
	    s->socket == PROFILE_SOCKET_STARTTLS ? "TLS" : "None");
	elem(b, 8, "AuthRequired", "on");
	if (strcmp(type, "SMTP") == 0) {
		elem(b, 8, "UsePOPAuth", "off");
		elem(b, 8, "SMTPLast", "off");
	}
	acap_buf_addstr(b, "      </Protocol>\n");
}

void
profile_autodiscover_xml(struct profile *p, struct acap_buf *out)
{
	profile_finish(p);
	acap_buf_addstr(out, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	    "<Autodiscover xmlns=\"" ADS_NS "\">\n"
	    "  <Response xmlns=\"" ADS_NS_A "\">\n");
	if (p->display_name != NULL) {
		acap_buf_addstr(out, "    <User>\n");
		elem(out, 6, "DisplayName", p->display_name);
		acap_buf_addstr(out, "    </User>\n");
	}
	acap_buf_addstr(out, "    <Account>\n"
	    "      <AccountType>email</AccountType>\n"
	    "      <Action>settings</Action>\n");
	if (p->imap.host != NULL)
		autodiscover_protocol(out, p, &p->imap, "IMAP");
	if (p->smtp.host != NULL)
		autodiscover_protocol(out, p, &p->smtp, "SMTP");
	acap_buf_addstr(out, "    </Account>\n  </Response>\n</Autodiscover>\n");
}

void
profile_autodiscover_error_xml(struct acap_buf *out, int code,
    const char *message)
{
	acap_buf_addstr(out, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	    "<Autodiscover xmlns=\"" ADS_NS "\">\n"
	    "  <Response>\n    <Error Id=\"0\">\n");
	acap_buf_printf(out, "      <ErrorCode>%d</ErrorCode>\n", code);
	elem(out, 6, "Message", message);
	acap_buf_addstr(out, "      <DebugData />\n    </Error>\n"
	    "  </Response>\n</Autodiscover>\n");
}
