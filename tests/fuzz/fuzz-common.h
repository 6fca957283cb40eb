/*
 * fuzz-common.h -- helpers shared by the libFuzzer targets in tests/fuzz:
 * a deterministic PRNG driven by the input, invariant checks and a
 * canonical dump of parsed commands, and the writer/parser round trip.
 * Nothing here allocates beyond the acap_buf the caller passes in.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acap-buf.h"
#include "acap-parser.h"

/* The libFuzzer entry point every target defines. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * An invariant did not hold: print where and what, then abort() so that
 * libFuzzer (or the replay driver) records the input as a crash.
 */
#define FUZZ_CHECK(cond, ...) do {					\
	if (!(cond))							\
		fuzz_common_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); \
} while (0)

void fuzz_common_fail(const char *file, int line, const char *cond,
    const char *fmt, ...)
    __attribute__((format(printf, 4, 5), noreturn));

/* splitmix64: the same seed always gives the same stream. */
struct fuzz_rng {
	uint64_t state;
};

void fuzz_common_rng_init(struct fuzz_rng *r, uint64_t seed);
uint32_t fuzz_common_rng_next(struct fuzz_rng *r);
/* Uniform-enough value in [0, n); 0 when n is 0. */
uint32_t fuzz_common_rng_below(struct fuzz_rng *r, uint32_t n);

/*
 * Limits big enough that no valid command of a fuzz input hits them (used
 * for round trips, where only the grammar should decide).
 */
void fuzz_common_wide_limits(struct acap_limits *lim);

/*
 * Check what the parser promises about a command it returned (RFC 2244 §8
 * grammar, the limits in lim, NUL-terminated strings, list shape).
 * Aborts through FUZZ_CHECK on a violation.
 */
void fuzz_common_check_cmd(const struct acap_cmd *cmd,
    enum acap_parser_mode mode, const struct acap_limits *lim);

/*
 * Append an unambiguous dump of cmd to b: every argument with its type,
 * length and octets.  with_literal: include whether a string arrived as a
 * literal (a round trip through the writer may change that).
 */
void fuzz_common_dump_cmd(struct acap_buf *b, const struct acap_cmd *cmd,
    bool with_literal);

/*
 * Write cmd back in wire form with the libacap writer (tag, atoms as they
 * are, strings through acap_buf_add_string, lists), ending in CRLF.
 * SASL_LINE commands have no tag.
 */
void fuzz_common_write_cmd(struct acap_buf *b, const struct acap_cmd *cmd);

/*
 * Parse buf[0..len) as exactly one command in the given mode with wide
 * limits, granting every synchronizing literal.  Returns what the last
 * acap_parser_feed() returned (1 when a command was found) and, on 1, its
 * dump (without the literal flag) appended to dump and the number of
 * octets it took in *used_r.  On -1 the reason goes to *err_r (static
 * storage: copied).
 */
int fuzz_common_parse_one(enum acap_parser_mode mode, const char *buf,
    size_t len, struct acap_buf *dump, size_t *used_r, const char **err_r);

#endif
