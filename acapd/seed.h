/*
 * seed.h -- first-start seeding of the site layer (DESIGN §2): when the
 * database holds no /email/site/ dataset and seed_site is on, acapd stores
 * the default mail profile documented in doc/settings.md (the same
 * records as schema/site-template.json, with this host's name).
 */
#ifndef SEED_H
#define SEED_H

struct store;

/* Returns 0 (seeded, or nothing to do) or -1 with *errstr_r. */
int seed_site(struct store *st, const char *host, const char **errstr_r);

#endif
