/*
 * acap-buf.h -- growable byte buffer and the ACAP output writer.
 *
 * Owns its data array.  The writer functions decide how a value goes on the
 * wire (RFC 2244 §2.6): strings as quoted when they are at most 1024 octets
 * and hold no NUL, CR or LF, otherwise as a {n} literal; never as an atom.
 */
#ifndef ACAP_BUF_H
#define ACAP_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct acap_buf {
	char *data;		/* always NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
};

#define ACAP_BUF_INIT { NULL, 0, 0 }

void acap_buf_init(struct acap_buf *b);
/* Free the data; the buffer is empty and reusable afterwards. */
void acap_buf_deinit(struct acap_buf *b);
/* Empty the buffer, keeping (at most 4 KiB of) its allocation. */
void acap_buf_reset(struct acap_buf *b);

void acap_buf_add(struct acap_buf *b, const void *data, size_t len);
void acap_buf_addstr(struct acap_buf *b, const char *s);
void acap_buf_addch(struct acap_buf *b, char c);
void acap_buf_printf(struct acap_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void acap_buf_vprintf(struct acap_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* A "string": quoted or {n} literal, whichever is legal (see above). */
void acap_buf_add_string(struct acap_buf *b, const char *s, size_t len);
void acap_buf_add_cstring(struct acap_buf *b, const char *s);
/* A string, or NIL when s is NULL. */
void acap_buf_add_nstring(struct acap_buf *b, const char *s, size_t len);
/*
 * The human-readable text of a response (resp-body, RFC 2244 §8): always a
 * quoted string, so CR/LF/NUL become spaces and text past 1024 octets is cut.
 */
void acap_buf_add_text(struct acap_buf *b, const char *s);

/* Whether s needs a literal (length or forbidden octets). */
int acap_string_needs_literal(const char *s, size_t len);

#endif
