/*
 * search.h -- SEARCH evaluation (RFC 2244 §6.4): criteria, comparators,
 * sort and RETURN formatting as pure functions over effective entries.
 * (Being written; see the dataset engine issue.)
 */
#ifndef SEARCH_H
#define SEARCH_H

#endif
