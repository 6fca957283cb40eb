/*
 * fuzz-parser.c -- libFuzzer target for the libacap parser: COMMAND,
 * RESPONSE and SASL_LINE modes with limits taken from the input, fed in
 * random chunks, one octet at a time and in one piece, which must all give
 * the same events.  Also checks the memory bound and the writer round trip.
 *
 * Input layout (HEADER_LEN octets, then the stream):
 *   [0]     bits 0-1 mode (3 = COMMAND); bit 2 switch mode between
 *           commands; bit 3 switch limits between commands; bits 4-5
 *           limit profile: 0/3 from the input, 1 acapd's pre-auth limits,
 *           2 acapd's post-auth limits
 *   [1..8]  limits: line, literal, non-sync literal, command (2 octets
 *           each, little-endian, reduced to small ranges)
 *   [9]     list depth limit, [10] argument count limit
 *   [11..14] seed of the chunk sizes and of the caller's decisions
 *           (continue or reject a literal, next mode, next limits)
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acap-buf.h"
#include "acap-parser.h"
#include "fuzz-common.h"
#include "bounds.h"

#define HEADER_LEN	15
#define LOG_SHOW	400	/* octets of each log printed on a mismatch */

enum feeding {
	FEED_RANDOM,
	FEED_BYTE,
	FEED_WHOLE,
};

struct setup {
	enum acap_parser_mode mode;
	bool switch_mode;
	bool switch_limits;
	struct acap_limits lim[2];	/* [0] from the input, [1] pre-auth */
	uint64_t seed;
};

/* One feeding of the whole stream and what the caller saw. */
struct run {
	const struct setup *su;
	enum feeding feeding;
	struct acap_parser *p;
	struct fuzz_rng chunks;
	struct fuzz_rng decide;
	enum acap_parser_mode mode;	/* of the command being read */
	const struct acap_limits *lim;
	enum acap_parser_mode next_mode;
	const struct acap_limits *next_lim;
	struct acap_buf log;
	size_t peak_memory;
	size_t max_command_seen;	/* the largest max_command in force */
	size_t max_line_seen;
};

static unsigned int
get16(const uint8_t *d)
{
	return (unsigned int)d[0] | (unsigned int)d[1] << 8;
}

static void
preauth_limits(struct acap_limits *lim)
{
	lim->max_line = LIM_PREAUTH_MAX_LINE;
	lim->max_literal = LIM_PREAUTH_MAX_LITERAL;
	lim->max_nonsync_literal = LIM_PREAUTH_MAX_NONSYNC;
	lim->max_command = LIM_PREAUTH_MAX_COMMAND;
	lim->max_depth = LIM_PREAUTH_MAX_DEPTH;
	lim->max_args = LIM_PREAUTH_MAX_ARGS;
}

static void
postauth_limits(struct acap_limits *lim)
{
	lim->max_line = LIM_MAX_LINE;
	lim->max_literal = LIM_MAX_LITERAL;
	lim->max_nonsync_literal = LIM_MAX_LITERAL;
	lim->max_command = LIM_MAX_COMMAND;
	lim->max_depth = LIM_MAX_DEPTH;
	lim->max_args = LIM_MAX_ARGS;
}

static void
read_setup(struct setup *su, const uint8_t *h)
{
	static const enum acap_parser_mode modes[4] = {
		ACAP_PARSER_COMMAND, ACAP_PARSER_RESPONSE,
		ACAP_PARSER_SASL_LINE, ACAP_PARSER_COMMAND,
	};
	struct acap_limits *l = &su->lim[0];

	su->mode = modes[h[0] & 3];
	su->switch_mode = (h[0] & 4) != 0;
	su->switch_limits = (h[0] & 8) != 0;
	switch ((h[0] >> 4) & 3) {
	case 1:
		preauth_limits(l);
		break;
	case 2:
		postauth_limits(l);
		break;
	default:
		/* small limits, so that the edges are reached */
		l->max_line = 1 + get16(h + 1) % 2048;
		l->max_literal = get16(h + 3) % 8192;
		l->max_nonsync_literal = get16(h + 5) % 4096;
		l->max_command = 1 + get16(h + 7) % 16384;
		l->max_depth = h[9] % 8;
		l->max_args = h[10] % 64;
		break;
	}
	preauth_limits(&su->lim[1]);
	su->seed = (uint64_t)h[11] | (uint64_t)h[12] << 8 |
	    (uint64_t)h[13] << 16 | (uint64_t)h[14] << 24;
}

/*
 * What the parser may hold while reading input of total octets: the line
 * buffer (bounded by max_line, or what it keeps between commands), the
 * arena (each argument costs at most a node, an array slot and alignment
 * on top of its octets, and every octet of a command may start an
 * argument; block doubling can waste as much again plus one 64 KiB step).
 */
static size_t
memory_bound(const struct run *r, size_t total)
{
	size_t line = r->max_line_seen < total ? r->max_line_seen : total;
	size_t cmd = r->max_command_seen < total ? r->max_command_seen : total;

	if (line < 128)
		line = 128;
	return 16384 + line + 2 * (256 * (cmd + 2)) + 2 * 65536;
}

static void
apply_limits(struct run *r, const struct acap_limits *lim)
{
	r->next_lim = lim;
	acap_parser_set_limits(r->p, lim);
	if (lim->max_command > r->max_command_seen)
		r->max_command_seen = lim->max_command;
	if (lim->max_line > r->max_line_seen)
		r->max_line_seen = lim->max_line;
}

/* Between commands: the caller may switch mode and limits (§6.3.1). */
static void
next_command(struct run *r)
{
	uint32_t d = fuzz_common_rng_next(&r->decide);

	if (r->su->switch_mode && (d & 3) == 0) {
		r->next_mode = (enum acap_parser_mode)((d >> 2) % 3);
		acap_parser_set_mode(r->p, r->next_mode);
	}
	if (r->su->switch_limits && (d & 0x30) == 0)
		apply_limits(r, &r->su->lim[(d >> 6) & 1]);
	/* they take effect with the next command's first octet */
	r->mode = r->next_mode;
	r->lim = r->next_lim;
}

/*
 * A parsed command written back with the writer must parse to the same
 * tree (only the quoted/literal choice may differ).
 */
static void
round_trip(const struct acap_cmd *cmd, enum acap_parser_mode mode)
{
	struct acap_buf wire = ACAP_BUF_INIT, a = ACAP_BUF_INIT,
	    b = ACAP_BUF_INIT;
	const char *err;
	size_t used;
	int rc;

	fuzz_common_dump_cmd(&a, cmd, false);
	fuzz_common_write_cmd(&wire, cmd);
	rc = fuzz_common_parse_one(mode, wire.data, wire.len, &b, &used,
	    &err);
	FUZZ_CHECK(rc == 1, "written command does not parse (%d, %s): %.200s",
	    rc, err != NULL ? err : "-", wire.data);
	FUZZ_CHECK(used == wire.len, "written command parsed in %zu of %zu",
	    used, wire.len);
	FUZZ_CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0,
	    "round trip changed the command:\n%s%s", a.data, b.data);
	acap_buf_deinit(&wire);
	acap_buf_deinit(&a);
	acap_buf_deinit(&b);
}

static size_t
chunk_size(struct run *r, size_t left)
{
	switch (r->feeding) {
	case FEED_BYTE:
		return 1;
	case FEED_WHOLE:
		return left;
	case FEED_RANDOM:
		break;
	}
	/* mostly small chunks, sometimes big ones */
	if (fuzz_common_rng_below(&r->chunks, 4) == 0)
		return 1 + fuzz_common_rng_below(&r->chunks, (uint32_t)left);
	return 1 + fuzz_common_rng_below(&r->chunks,
	    left < 16 ? (uint32_t)left : 16);
}

static void
log_error(struct run *r)
{
	const char *why, *tag;
	bool fatal;

	why = acap_parser_error(r->p, &tag, &fatal);
	FUZZ_CHECK(why != NULL && why[0] != '\0', "-1 without a reason");
	if (tag != NULL)
		FUZZ_CHECK(strlen(tag) >= 1 && strlen(tag) <= 32,
		    "error tag of %zu octets", strlen(tag));
	acap_buf_printf(&r->log, "E%s|%s|%d\n", why,
	    tag != NULL ? tag : "(none)", fatal);
}

static void
feed_stream(struct run *r, const char *data, size_t len)
{
	const struct acap_cmd *cmd;
	size_t off = 0, n, used, mem, calls = 0;
	const char *why;
	bool fatal;
	int rc;

	while (off < len) {
		n = chunk_size(r, len - off);
		FUZZ_CHECK(++calls <= 4 * len + 16, "no progress");
		rc = acap_parser_feed(r->p, data + off, n, &used, &cmd);
		FUZZ_CHECK(used <= n, "used %zu of %zu", used, n);
		FUZZ_CHECK(used > 0, "feed of %zu octets used none (rc %d)",
		    n, rc);
		off += used;
		mem = acap_parser_memory(r->p);
		if (mem > r->peak_memory)
			r->peak_memory = mem;
		FUZZ_CHECK(mem <= memory_bound(r, len),
		    "parser holds %zu octets after %zu of input", mem, off);
		switch (rc) {
		case 1:
			FUZZ_CHECK(cmd != NULL, "1 without a command");
			fuzz_common_check_cmd(cmd, r->mode, r->lim);
			fuzz_common_dump_cmd(&r->log, cmd, true);
			if (r->feeding == FEED_RANDOM)
				round_trip(cmd, r->mode);
			next_command(r);
			break;
		case -1:
			FUZZ_CHECK(cmd == NULL, "-1 with a command");
			log_error(r);
			why = acap_parser_error(r->p, NULL, &fatal);
			if (fatal) {
				/* out of sync for good: nothing more is read */
				rc = acap_parser_feed(r->p, data + off,
				    len - off, &used, &cmd);
				FUZZ_CHECK(rc == -1 && used == 0 &&
				    acap_parser_error(r->p, NULL, NULL) != NULL,
				    "feed after a fatal error: %d %zu", rc,
				    used);
				acap_buf_addstr(&r->log, "FATAL\n");
				return;
			}
			(void)why;
			next_command(r);
			break;
		case 0:
			FUZZ_CHECK(cmd == NULL, "0 with a command");
			if (!acap_parser_want_continuation(r->p)) {
				FUZZ_CHECK(used == n, "0 with %zu of %zu used",
				    used, n);
				break;
			}
			FUZZ_CHECK(r->mode != ACAP_PARSER_RESPONSE,
			    "continuation wanted in RESPONSE mode");
			acap_buf_printf(&r->log, "W%zu|%s\n",
			    acap_parser_pending_literal(r->p),
			    acap_parser_tag(r->p) != NULL ?
			    acap_parser_tag(r->p) : "(none)");
			if (fuzz_common_rng_below(&r->decide, 4) != 0) {
				acap_parser_continue(r->p);
				FUZZ_CHECK(!acap_parser_want_continuation(r->p),
				    "still waiting after continue");
			} else {
				acap_parser_reject(r->p);
				acap_buf_printf(&r->log, "R|%s\n",
				    acap_parser_tag(r->p) != NULL ?
				    acap_parser_tag(r->p) : "(none)");
				next_command(r);
			}
			break;
		default:
			FUZZ_CHECK(0, "feed returned %d", rc);
		}
	}
	acap_buf_addstr(&r->log, "EOF\n");
}

static void
run_stream(struct run *r, const struct setup *su, enum feeding feeding,
    const char *data, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->su = su;
	r->feeding = feeding;
	acap_buf_init(&r->log);
	fuzz_common_rng_init(&r->chunks, su->seed ^ 0x5eed);
	fuzz_common_rng_init(&r->decide, su->seed);
	r->mode = r->next_mode = su->mode;
	r->lim = r->next_lim = &su->lim[0];
	r->max_command_seen = su->lim[0].max_command;
	r->max_line_seen = su->lim[0].max_line;
	r->p = acap_parser_new(su->mode, &su->lim[0]);
	feed_stream(r, data, len);
	/* a reset keeps at most the first arena block and a small line */
	acap_parser_reset(r->p);
	FUZZ_CHECK(acap_parser_memory(r->p) <= 4096,
	    "%zu octets held after reset", acap_parser_memory(r->p));
	acap_parser_free(&r->p);
	FUZZ_CHECK(r->p == NULL, "acap_parser_free() left the pointer");
}

static void
compare(const struct run *a, const struct run *b, const char *what)
{
	if (a->log.len == b->log.len &&
	    memcmp(a->log.data, b->log.data, a->log.len) == 0)
		return;
	fprintf(stderr, "random chunks:\n%.*s\n%s:\n%.*s\n",
	    (int)(a->log.len < LOG_SHOW ? a->log.len : LOG_SHOW),
	    a->log.data,
	    what, (int)(b->log.len < LOG_SHOW ? b->log.len : LOG_SHOW),
	    b->log.data);
	FUZZ_CHECK(0, "feeding %s gives other events than random chunks",
	    what);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct setup su;
	struct run chunked, bytes, whole;
	const char *stream;
	size_t len;

	if (size < HEADER_LEN)
		return 0;
	read_setup(&su, data);
	stream = (const char *)data + HEADER_LEN;
	len = size - HEADER_LEN;
	if (len == 0)
		return 0;

	run_stream(&chunked, &su, FEED_RANDOM, stream, len);
	run_stream(&bytes, &su, FEED_BYTE, stream, len);
	run_stream(&whole, &su, FEED_WHOLE, stream, len);
	compare(&chunked, &bytes, "one octet at a time");
	compare(&chunked, &whole, "in one piece");
	acap_buf_deinit(&chunked.log);
	acap_buf_deinit(&bytes.log);
	acap_buf_deinit(&whole.log);
	return 0;
}
