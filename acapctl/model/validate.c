/*
 * validate.c -- known settings attributes and client-side value checks.
 * Pure functions; the rules are documented in doc/settings.md.
 */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "validate.h"

#define EMAIL	"draft-ietf-acap-email-06 §6.2"
#define PERS	"draft-ietf-acap-pers-06 §6.2"
#define OPTION	"draft-ietf-acap-option-05 §3"
#define OURS	"acapd (doc/settings.md)"

/* Sorted by name (strcmp). */
static const struct validate_attr catalogue[] = {
	{ "email.boring-headers", "email", "multi-value", NULL, EMAIL,
	  "site", "header prefixes a client may hide" },
	{ "email.check-interval", "email", "number", NULL, EMAIL,
	  "user", "seconds between polls; 0 = no automatic checks" },
	{ "email.connection-type", "email", "LAN|cable-modem|phone-modem|"
	  "mobile-phone", NULL, EMAIL, "device", "kind of link" },
	{ "email.imap.download-type", "email", "headers|structure|body|"
	  "inline|attachments", NULL, EMAIL, "device",
	  "what to fetch when synchronising a mailbox" },
	{ "email.leave-on-server.days", "email", "number", NULL, EMAIL,
	  "user", "days POP mail stays on the server; 0 = for ever" },
	{ "email.leave-on-server.flag", "email", "0|1", NULL, EMAIL, "user",
	  "leave POP mail on the server" },
	{ "email.mailbox-prefix", "email", "string", NULL, EMAIL, "org",
	  "prefix of the account's IMAP folders" },
	{ "email.maximum.download-size", "email", "number", "0 (no limit)",
	  EMAIL, "device", "largest message (octets) to download" },
	{ "email.personality", "email", "url", NULL, EMAIL, "user",
	  "default personality (ACAP URL) for mail of this account" },
	{ "email.server.IMAP", "email", "imap-url", "port 143", EMAIL,
	  "site", "IMAP server (RFC 5092 URL); RFC 5383 §3: port 143" },
	{ "email.server.Local", "email", "0|1", "0", EMAIL, "device",
	  "mail store on the client itself" },
	{ "email.server.POP", "email", "pop-url", "port 110", EMAIL, "site",
	  "POP server (RFC 2384 URL)" },
	{ "email.sieve.capability", "email", "multi-value", NULL, EMAIL,
	  "site", "Sieve extensions of the delivery agent" },
	{ "email.sieve.script", "email", "string", NULL, EMAIL, "user",
	  "active Sieve script" },
	{ "option.value", "option", "string or multi-value", NULL, OPTION,
	  "user", "value of a scalar option (entry = option name, e.g. "
	  "mua.default.account, draft-ietf-acap-email §4)" },
	{ "personality.Auto.Encrypt", "personality", "0|1", "0", PERS,
	  "user", "encrypt new messages" },
	{ "personality.Auto.Sign", "personality", "0|1", "0", PERS, "user",
	  "sign new messages" },
	{ "personality.Cert-DN", "personality", "string", NULL, PERS, "user",
	  "certificate used to sign/encrypt" },
	{ "personality.Charset", "personality", "charset", NULL, PERS,
	  "org", "default character set" },
	{ "personality.File-Into.IMAP", "personality", "imap-url", NULL,
	  PERS, "user", "folder for copies of sent mail" },
	{ "personality.File-Into.Local", "personality", "string", NULL, PERS,
	  "device", "local folder for copies of sent mail" },
	{ "personality.Header.BCC", "personality", "addresses", NULL, PERS,
	  "user", "default Bcc" },
	{ "personality.Header.CC", "personality", "addresses", NULL, PERS,
	  "user", "default Cc" },
	{ "personality.Header.Extra", "personality", "multi-value", NULL,
	  PERS, "org", "extra header fields" },
	{ "personality.Header.Reply-To", "personality", "address", NULL,
	  PERS, "user", "default Reply-To" },
	{ "personality.Language", "personality", "language tag", NULL, PERS,
	  "user", "default language" },
	{ "personality.MIME.Composition-Type", "personality", "MIME type",
	  NULL, PERS, "org", "MIME type for composed text" },
	{ "personality.PGP.Key-ID.bin", "personality", "octets", NULL, PERS,
	  "user", "PGP key id" },
	{ "personality.Real-Name", "personality", "string", NULL, PERS,
	  "user", "display name in From" },
	{ "personality.Return-Address", "personality", "addr-spec", NULL,
	  PERS, "user", "address in From" },
	{ "personality.Server.SMTP", "personality", "smtp-url", "port 25 "
	  "(URL default)", PERS, "site", "submission server (SMTP URL, "
	  "draft-ietf-acap-pers §8); RFC 5383 §3: port 587" },
	{ "personality.Signature.Text", "personality", "string", NULL, PERS,
	  "user", "signature" },
	{ "vendor.acapd.deliberate.*", "email", "string", NULL, OURS,
	  "any", "marks the attribute named by the suffix as deliberately "
	  "set against RFC 5383 (acapctl set --deliberate); lint reports "
	  "it as a note" },
	{ "vendor.acapd.idle-ceiling", "email", "seconds", "1740", OURS
	  "; RFC 5383 §4.1", "site", "longest silence before the client "
	  "sends something; under 2 hours, 29 minutes recommended" },
	{ "vendor.acapd.tcp-keepalive", "email", "off|on", "off", OURS
	  "; RFC 5383 §4.2", "site", "TCP keep-alive socket option" },
	{ "vendor.acapd.tls", "email", "starttls-required|starttls-optional|"
	  "implicit", "starttls-required", OURS "; RFC 8314, RFC 2595",
	  "site", "TLS policy of the account's connections" },
};

const struct validate_attr *
validate_catalogue(size_t *n_r)
{
	*n_r = sizeof(catalogue) / sizeof(catalogue[0]);
	return catalogue;
}

const struct validate_attr *
validate_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(catalogue) / sizeof(catalogue[0]); i++)
		if (strcmp(catalogue[i].name, name) == 0)
			return &catalogue[i];
	return NULL;
}

bool
validate_tls_policy_ok(const char *s)
{
	return strcmp(s, "starttls-required") == 0 ||
	    strcmp(s, "starttls-optional") == 0 ||
	    strcmp(s, "implicit") == 0;
}

int
validate_parse_seconds(const char *s, long *secs_r)
{
	char *end;
	long v;

	if (s[0] == '\0' || !isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > INT_MAX)
		return -1;
	*secs_r = v;
	return 0;
}

static const struct {
	const char *scheme;
	unsigned int port;
	bool tls;
} schemes[] = {
	{ "imap", 143, false },
	{ "imaps", 993, true },
	{ "pop", 110, false },
	{ "pops", 995, true },
	{ "smtp", 25, false },
	{ "smtps", 465, true },
	{ "submission", 587, false },
};

int
validate_parse_url(const char *s, struct validate_url *u,
    const char **errstr_r)
{
	const char *p, *colon, *host, *hend, *at, *end;
	size_t i, n;
	unsigned long port;

	memset(u, 0, sizeof(*u));
	if ((colon = strchr(s, ':')) == NULL || colon == s ||
	    (size_t)(colon - s) >= sizeof(u->scheme)) {
		*errstr_r = "not a URL (expected scheme:...)";
		return -1;
	}
	for (i = 0; s + i < colon; i++)
		u->scheme[i] = (char)tolower((unsigned char)s[i]);
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strcmp(schemes[i].scheme, u->scheme) == 0)
			break;
	if (i == sizeof(schemes) / sizeof(schemes[0])) {
		*errstr_r = "unknown URL scheme";
		return -1;
	}
	u->port = schemes[i].port;
	u->implicit_tls = schemes[i].tls;
	p = colon + 1;
	if (strncmp(p, "//", 2) == 0)
		p += 2;
	/* the server part ends at the path or query */
	end = p + strcspn(p, "/?#");
	for (at = NULL, host = p; host < end; host++)
		if (*host == '@')
			at = host;
	host = at != NULL ? at + 1 : p;
	if (host < end && *host == '[') {
		if ((hend = memchr(host, ']', (size_t)(end - host))) == NULL) {
			*errstr_r = "unterminated [IPv6] address";
			return -1;
		}
		hend++;
	} else
		for (hend = host; hend < end && *hend != ':'; hend++)
			;
	n = (size_t)(hend - host);
	if (n == 0) {
		*errstr_r = "the URL names no host";
		return -1;
	}
	if (n >= sizeof(u->host)) {
		*errstr_r = "host name too long";
		return -1;
	}
	memcpy(u->host, host, n);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)u->host[i];

		if (c <= 0x20 || c == 0x7f || c == '"' || c == '<' ||
		    c == '>' || c == '\\') {
			*errstr_r = "invalid character in the host name";
			return -1;
		}
	}
	if (hend < end) {	/* ":" port */
		const char *q = hend + 1;
		char *pe;

		if (q == end || !isdigit((unsigned char)*q)) {
			*errstr_r = "the port must be a number 1-65535";
			return -1;
		}
		errno = 0;
		port = strtoul(q, &pe, 10);
		if (errno != 0 || pe != end || port < 1 || port > 65535) {
			*errstr_r = "the port must be a number 1-65535";
			return -1;
		}
		u->port = (unsigned int)port;
		u->port_given = true;
	}
	return 0;
}

static enum validate_level __attribute__((format(printf, 4, 5)))
say(enum validate_level lv, char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
	return lv;
}

static bool
is_number(const char *v)
{
	size_t i;

	if (v[0] == '\0' || strlen(v) > 18)
		return false;
	for (i = 0; v[i] != '\0'; i++)
		if (!isdigit((unsigned char)v[i]))
			return false;
	return true;
}

static bool
one_of(const char *v, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(v, *set) == 0)
			return true;
	return false;
}

static enum validate_level
check_url(const char *attr, const char *v, const char *const *ok_schemes,
    char *msg, size_t msglen)
{
	struct validate_url u;
	const char *err;

	if (validate_parse_url(v, &u, &err) == -1)
		return say(VALIDATE_REFUSE, msg, msglen, "%s: \"%s\": %s",
		    attr, v, err);
	if (!one_of(u.scheme, ok_schemes))
		return say(VALIDATE_REFUSE, msg, msglen, "%s: the URL scheme "
		    "must be %s%s%s", attr, ok_schemes[0],
		    ok_schemes[1] != NULL ? " or " : "",
		    ok_schemes[1] != NULL ? ok_schemes[1] : "");
	return VALIDATE_OK;
}

enum validate_level
validate_value(const char *attr, const char *value, size_t len,
    bool deliberate, char *msg, size_t msglen)
{
	static const char *const imap[] = { "imap", "imaps", NULL };
	static const char *const pop[] = { "pop", "pops", NULL };
	static const char *const smtp[] = { "smtp", "smtps", "submission",
	    NULL };
	static const char *const flag01[] = { "0", "1", NULL };
	static const char *const conn[] = { "LAN", "cable-modem",
	    "phone-modem", "mobile-phone", NULL };
	static const char *const dload[] = { "headers", "structure", "body",
	    "inline", "attachments", NULL };
	static const char *const keepalive[] = { "off", "on", NULL };
	struct validate_url u;
	const char *err;
	long secs;

	msg[0] = '\0';
	if (memchr(value, '\0', len) != NULL) {
		/* binary values are only legal for .bin attributes */
		if (strlen(attr) >= 4 &&
		    strcmp(attr + strlen(attr) - 4, ".bin") == 0)
			return VALIDATE_OK;
		return say(VALIDATE_REFUSE, msg, msglen, "%s: the value "
		    "contains a NUL octet; only \".bin\" attributes hold "
		    "binary data (draft-ietf-acap-email §6)", attr);
	}
	if (strcmp(attr, "email.server.IMAP") == 0 ||
	    strcmp(attr, "personality.File-Into.IMAP") == 0)
		return check_url(attr, value, imap, msg, msglen);
	if (strcmp(attr, "email.server.POP") == 0)
		return check_url(attr, value, pop, msg, msglen);
	if (strcmp(attr, "personality.Server.SMTP") == 0) {
		enum validate_level lv = check_url(attr, value, smtp, msg,
		    msglen);

		if (lv != VALIDATE_OK)
			return lv;
		validate_parse_url(value, &u, &err);
		if (!u.port_given && strcmp(u.scheme, "smtp") == 0)
			return say(VALIDATE_WARN, msg, msglen, "%s: no port "
			    "given, so clients use 25 (draft-ietf-acap-pers "
			    "§8); RFC 5383 §3 wants submission on 587: write "
			    "smtp:%s:587", attr, u.host);
		return VALIDATE_OK;
	}
	if (strcmp(attr, "vendor.acapd.tls") == 0) {
		if (!validate_tls_policy_ok(value))
			return say(VALIDATE_REFUSE, msg, msglen, "%s: \"%s\" "
			    "is not a TLS policy; use starttls-required, "
			    "starttls-optional or implicit", attr, value);
		if (strcmp(value, "starttls-optional") == 0 && !deliberate)
			return say(VALIDATE_WARN, msg, msglen, "%s: "
			    "starttls-optional lets an attacker strip TLS "
			    "(rule tls-required, RFC 8314 §3); prefer "
			    "starttls-required", attr);
		return VALIDATE_OK;
	}
	if (strcmp(attr, "vendor.acapd.idle-ceiling") == 0) {
		if (validate_parse_seconds(value, &secs) == -1)
			return say(VALIDATE_REFUSE, msg, msglen, "%s: \"%s\" "
			    "is not a number of seconds (1-%d)", attr, value,
			    INT_MAX);
		if (secs >= VALIDATE_IDLE_HARD && !deliberate)
			return say(VALIDATE_REFUSE, msg, msglen, "%s: %ld s "
			    "is 2 hours or more; RFC 5383 §4.1 (rule "
			    "idle-ceiling-2h) allows that only as a "
			    "deliberate configuration: repeat with "
			    "--deliberate", attr, secs);
		if (secs > VALIDATE_IDLE_MAX_DEFAULT)
			return say(VALIDATE_WARN, msg, msglen, "%s: %ld s is "
			    "over 29 minutes (rule idle-ceiling-29min): NATs "
			    "and IMAP servers may drop the connection first",
			    attr, secs);
		return VALIDATE_OK;
	}
	if (strcmp(attr, "vendor.acapd.tcp-keepalive") == 0) {
		if (!one_of(value, keepalive))
			return say(VALIDATE_REFUSE, msg, msglen, "%s: use off "
			    "or on", attr);
		if (strcmp(value, "on") == 0 && !deliberate)
			return say(VALIDATE_WARN, msg, msglen, "%s: RFC 5383 "
			    "§4.2 (rule tcp-keepalive-off): clients SHOULD "
			    "NOT set TCP keep-alive; it wakes dormant "
			    "devices", attr);
		return VALIDATE_OK;
	}
	if (strcmp(attr, "email.check-interval") == 0 ||
	    strcmp(attr, "email.leave-on-server.days") == 0 ||
	    strcmp(attr, "email.maximum.download-size") == 0) {
		if (!is_number(value))
			return say(VALIDATE_REFUSE, msg, msglen, "%s: \"%s\" "
			    "is not a decimal number (1*DIGIT, "
			    "draft-ietf-acap-email §6.2)", attr, value);
		return VALIDATE_OK;
	}
	if (strcmp(attr, "email.leave-on-server.flag") == 0 ||
	    strcmp(attr, "email.server.Local") == 0 ||
	    strcmp(attr, "personality.Auto.Encrypt") == 0 ||
	    strcmp(attr, "personality.Auto.Sign") == 0) {
		if (!one_of(value, flag01))
			return say(VALIDATE_REFUSE, msg, msglen, "%s: a flag "
			    "is \"0\" or \"1\"", attr);
		return VALIDATE_OK;
	}
	if (strcmp(attr, "email.connection-type") == 0) {
		if (!one_of(value, conn))
			return say(VALIDATE_REFUSE, msg, msglen, "%s: use LAN, "
			    "cable-modem, phone-modem or mobile-phone "
			    "(draft-ietf-acap-email §6.2)", attr);
		return VALIDATE_OK;
	}
	if (strcmp(attr, "email.imap.download-type") == 0) {
		if (!one_of(value, dload))
			return say(VALIDATE_REFUSE, msg, msglen, "%s: use "
			    "headers, structure, body, inline or attachments "
			    "(draft-ietf-acap-email §6.2)", attr);
		return VALIDATE_OK;
	}
	return VALIDATE_OK;
}
