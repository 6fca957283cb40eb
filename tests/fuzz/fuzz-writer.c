/*
 * fuzz-writer.c -- libFuzzer target for the libacap writer: strings written
 * with acap_buf_add_string() (quoted or literal, RFC 2244 §2.6.3) must come
 * back octet for octet through the parser, in RESPONSE mode (server to
 * client) and in COMMAND mode (client to server, continuations granted);
 * acap_buf_add_text() must always give one legal quoted string.
 *
 * Input: a sequence of strings, each a 2-octet little-endian length
 * (taken modulo what is left) followed by its octets.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acap-arg.h"
#include "acap-buf.h"
#include "acap-parser.h"
#include "fuzz-common.h"

#define MAX_STRINGS	64
#define QUOTED_MAX	1024	/* RFC 2244 §2.6.3 */

struct piece {
	const char *s;
	size_t len;
};

/* Independent statement of when a quoted string is impossible (§2.6.3). */
static bool
must_be_literal(const char *s, size_t len)
{
	size_t i, wire = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '\0' || s[i] == '\r' || s[i] == '\n')
			return true;
		wire += s[i] == '"' || s[i] == '\\' ? 2 : 1;
	}
	return wire > QUOTED_MAX;
}

/* Parse wire as one command/response and return its arguments' dump. */
static const struct acap_cmd *
parse_all(struct acap_parser *p, const struct acap_buf *wire)
{
	const struct acap_cmd *cmd = NULL;
	const char *why;
	size_t off = 0, used;
	int rc = 0;

	while (off < wire->len) {
		rc = acap_parser_feed(p, wire->data + off, wire->len - off,
		    &used, &cmd);
		off += used;
		if (rc != 0)
			break;
		FUZZ_CHECK(acap_parser_want_continuation(p) ||
		    off == wire->len, "parser stopped early");
		if (acap_parser_want_continuation(p))
			acap_parser_continue(p);
	}
	why = rc == -1 ? acap_parser_error(p, NULL, NULL) : NULL;
	FUZZ_CHECK(rc == 1, "writer output does not parse: %s",
	    why != NULL ? why : "incomplete");
	FUZZ_CHECK(off == wire->len, "parsed %zu of %zu octets", off,
	    wire->len);
	return cmd;
}

static void
check_string(const struct acap_arg *a, const struct piece *pc)
{
	FUZZ_CHECK(a->type == ACAP_ARG_STRING, "type %d for a string",
	    (int)a->type);
	FUZZ_CHECK(a->len == pc->len && memcmp(a->str, pc->s, pc->len) == 0,
	    "string of %zu octets came back as %zu different ones", pc->len,
	    a->len);
	FUZZ_CHECK(a->literal == must_be_literal(pc->s, pc->len),
	    "%s chosen for a string of %zu octets",
	    a->literal ? "literal" : "quoted", pc->len);
}

/*
 * "T1 X s0 s1 (s2 s3) NIL" and so on: every other pair of strings goes
 * into a list, so that literals are also tested inside lists.
 */
static void
round_trip(enum acap_parser_mode mode, const struct piece *pcs, size_t n)
{
	struct acap_limits lim;
	struct acap_buf wire = ACAP_BUF_INIT;
	struct acap_parser *p;
	const struct acap_cmd *cmd;
	const struct acap_arg *a, *list;
	size_t i, k;

	acap_buf_addstr(&wire, "T1 X");
	for (i = 0; i < n; i++) {
		acap_buf_addch(&wire, ' ');
		if (i % 4 == 2)
			acap_buf_addch(&wire, '(');
		acap_buf_add_string(&wire, pcs[i].s, pcs[i].len);
		FUZZ_CHECK(acap_string_needs_literal(pcs[i].s, pcs[i].len) ==
		    must_be_literal(pcs[i].s, pcs[i].len),
		    "acap_string_needs_literal wrong for %zu octets",
		    pcs[i].len);
		if (i % 4 == 3 || (i % 4 == 2 && i + 1 == n))
			acap_buf_addch(&wire, ')');
	}
	acap_buf_addch(&wire, ' ');
	acap_buf_add_nstring(&wire, NULL, 0);
	acap_buf_addstr(&wire, "\r\n");

	fuzz_common_wide_limits(&lim);
	p = acap_parser_new(mode, &lim);
	cmd = parse_all(p, &wire);
	fuzz_common_check_cmd(cmd, mode, &lim);
	FUZZ_CHECK(strcmp(cmd->tag, "T1") == 0, "tag");
	a = cmd->args + 1;
	for (i = 0; i < n; i++) {
		if (i % 4 == 2) {
			list = a++;
			FUZZ_CHECK(list->type == ACAP_ARG_LIST, "no list");
			FUZZ_CHECK(list->count == (i + 1 < n ? 2u : 1u),
			    "list of %zu", list->count);
			for (k = 0; k < list->count; k++)
				check_string(&list->list[k], &pcs[i + k]);
			i += list->count - 1;
			continue;
		}
		check_string(a++, &pcs[i]);
	}
	FUZZ_CHECK(a->type == ACAP_ARG_NIL, "NIL did not come back");
	FUZZ_CHECK((size_t)(a - cmd->args) + 1 == cmd->nargs,
	    "%zu arguments for %zu strings", cmd->nargs, n);
	acap_parser_free(&p);
	acap_buf_deinit(&wire);
}

/* Length of the well-formed UTF-8 sequence at s, or 0. */
static size_t
utf8_len(const unsigned char *s, size_t left)
{
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	n = s[0] >= 0xf0 && s[0] <= 0xf7 ? 4 : s[0] >= 0xe0 &&
	    s[0] <= 0xef ? 3 : s[0] >= 0xc0 && s[0] <= 0xdf ? 2 : 0;
	if (n == 0 || n > left)
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/*
 * resp-body text (RFC 2244 §8 "quoted", ACAP-NOTES §5): one quoted string
 * of at most 1024 octets as sent; CR and LF become spaces; the text is the
 * input up to its first NUL, possibly cut, never inside a character.
 */
static void
check_text(const struct piece *pc)
{
	struct acap_limits lim;
	struct acap_buf wire = ACAP_BUF_INIT, want = ACAP_BUF_INIT;
	struct acap_parser *p;
	const struct acap_cmd *cmd;
	const struct acap_arg *a;
	const unsigned char *u;
	size_t i, k, n = 1, cost, wirelen;
	char *s;

	s = malloc(pc->len + 1);
	FUZZ_CHECK(s != NULL, "out of memory");
	memcpy(s, pc->s, pc->len);
	s[pc->len] = '\0';
	acap_buf_addstr(&wire, "* OK ");
	acap_buf_add_text(&wire, s);
	wirelen = wire.len - 5;
	FUZZ_CHECK(wirelen >= 2 && wirelen - 2 <= QUOTED_MAX,
	    "text of %zu octets between the quotes", wirelen - 2);
	acap_buf_addstr(&wire, "\r\n");

	fuzz_common_wide_limits(&lim);
	p = acap_parser_new(ACAP_PARSER_RESPONSE, &lim);
	cmd = parse_all(p, &wire);
	FUZZ_CHECK(cmd->nargs == 2, "text is %zu arguments", cmd->nargs - 1);
	a = &cmd->args[1];
	FUZZ_CHECK(a->type == ACAP_ARG_STRING && !a->literal,
	    "text is not a quoted string");

	/* what it should be if nothing were cut */
	for (i = 0; s[i] != '\0'; i++)
		acap_buf_addch(&want, s[i] == '\r' || s[i] == '\n' ? ' ' :
		    s[i]);
	FUZZ_CHECK(a->len <= want.len && (a->len == 0 ||
	    memcmp(a->str, want.data, a->len) == 0),
	    "text is not a prefix of the input");
	if (a->len < want.len) {
		/* never inside a character: walk the input's characters */
		u = (const unsigned char *)want.data;
		for (i = 0; i < a->len; i += n) {
			n = utf8_len(u + i, want.len - i);
			if (n == 0)
				n = 1;
		}
		FUZZ_CHECK(i == a->len, "text cut inside a character");
		/* and only when the next character would not fit */
		n = utf8_len(u + i, want.len - i);
		for (cost = 0, k = 0; k < (n == 0 ? 1 : n); k++)
			cost += u[i + k] == '"' || u[i + k] == '\\' ? 2 : 1;
		FUZZ_CHECK(wirelen - 2 + cost > QUOTED_MAX,
		    "text cut at %zu of %zu with room left", a->len,
		    want.len);
	}
	if (acap_utf8_valid(want.data, want.len))
		FUZZ_CHECK(acap_utf8_valid(a->str, a->len),
		    "valid UTF-8 text became invalid");
	acap_parser_free(&p);
	acap_buf_deinit(&wire);
	acap_buf_deinit(&want);
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct piece pcs[MAX_STRINGS];
	struct acap_buf b = ACAP_BUF_INIT;
	size_t off = 0, n = 0, len, i;

	while (off + 2 <= size && n < MAX_STRINGS) {
		len = (size_t)data[off] | (size_t)data[off + 1] << 8;
		off += 2;
		len = size - off == 0 ? 0 : len % (size - off + 1);
		pcs[n].s = (const char *)data + off;
		pcs[n].len = len;
		n++;
		off += len;
	}
	if (n == 0)
		return 0;
	round_trip(ACAP_PARSER_RESPONSE, pcs, n);
	round_trip(ACAP_PARSER_COMMAND, pcs, n);
	for (i = 0; i < n; i++)
		check_text(&pcs[i]);

	/* the buffer itself: reset keeps at most 4 KiB */
	for (i = 0; i < n; i++)
		acap_buf_add(&b, pcs[i].s, pcs[i].len);
	FUZZ_CHECK(b.data == NULL || b.data[b.len] == '\0',
	    "buffer not NUL-terminated");
	acap_buf_reset(&b);
	FUZZ_CHECK(b.len == 0 && b.cap <= 4096, "reset kept %zu", b.cap);
	acap_buf_deinit(&b);
	FUZZ_CHECK(b.data == NULL && b.len == 0 && b.cap == 0, "deinit");
	return 0;
}
