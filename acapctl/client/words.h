/*
 * words.h -- splitting a command line into words for batch files and the
 * interactive shell, with sh-like quoting: blanks separate words; '...'
 * keeps everything literally; "..." allows \" \\ \n \t escapes; a
 * backslash outside quotes escapes the next character; "#" at the start
 * of a word begins a comment.
 *
 * Owns the vectors it returns.  Pure.
 */
#ifndef ACAPCTL_WORDS_H
#define ACAPCTL_WORDS_H

#include <stdbool.h>

/*
 * Split line.  *argv_r is NULL-terminated, *argc_r words long; free it
 * with words_free().  partial (for completion) accepts an unterminated
 * quote and sets *open_r (may be NULL) when the last word is unfinished
 * (the line does not end in a blank).  Returns 0, or -1 with *errstr_r
 * (static) for an unterminated quote or trailing backslash.
 */
int words_split(const char *line, bool partial, int *argc_r, char ***argv_r,
    bool *open_r, const char **errstr_r);
void words_free(char ***argvp);

/* Append s to out quoted so that words_split() gives it back. */
struct acap_buf;
void words_quote(struct acap_buf *out, const char *s);

#endif
