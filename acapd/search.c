/*
 * search.c -- SEARCH evaluation (RFC 2244 §6.4).  Being written.
 */
#include "autoconf.h"

#include "search.h"

/* Keeps the translation unit non-empty until the module lands. */
int search_placeholder(void);

int
search_placeholder(void)
{
	return 0;
}
