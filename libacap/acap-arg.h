/*
 * acap-arg.h -- typed getters over parsed ACAP arguments.
 *
 * Pure functions: no allocation, no I/O.  They decide what the RFC 2244 §8
 * grammar accepts in each position, so command handlers never look at raw
 * token types.
 */
#ifndef ACAP_ARG_H
#define ACAP_ARG_H

#include <stdbool.h>
#include <stdint.h>

#include "acap-parser.h"

/* Atom equal to kw, ignoring ASCII case (keywords are case-insensitive). */
bool acap_arg_is_atom(const struct acap_arg *a, const char *kw);
/* STRING (quoted or literal); the grammar's "string". */
bool acap_arg_is_string(const struct acap_arg *a);
/* STRING that is valid UTF-8 without NUL: the grammar's "string-utf8". */
bool acap_arg_is_string_utf8(const struct acap_arg *a);
bool acap_arg_is_nil(const struct acap_arg *a);
bool acap_arg_is_list(const struct acap_arg *a);

/*
 * "number" (RFC 2244 §2.6.2): an atom of 1-10 digits whose value fits in
 * 32 bits.  Returns 0 and the value in *n_r, or -1.
 */
int acap_arg_get_number(const struct acap_arg *a, uint32_t *n_r);
/* "nz-number": like number, but not 0. */
int acap_arg_get_nz_number(const struct acap_arg *a, uint32_t *n_r);

/* RFC 3629 UTF-8 check (no overlongs, no surrogates, <= U+10FFFF). */
bool acap_utf8_valid(const char *s, size_t len);

#endif
