/*
 * startup.h -- the privileged start-up steps and the glue that hands
 * configuration to the store, TLS and SASL modules (startup.c).  Fatal
 * errors here end the process with a clear message; after start-up only
 * startup_reload() runs.
 */
#ifndef STARTUP_H
#define STARTUP_H

struct config;
struct conn;

/* Create the state directory (mode 0700) if missing; fatal unless it
 * belongs to the user acapd runs as (or root, when started as root) and
 * has no group or other write permission. */
void startup_statedir(void);
/* Open the database, load or create the certificate, initialise SASL,
 * create the bootstrap admin: all before privileges are dropped. */
void startup_open(void);
/* chown the state directory's files to the configured user (as root). */
void startup_chown(void);
/* Give files created as root to the unprivileged user; final checks. */
void startup_after_drop(void);
/*
 * acapd --copy-to URI: copy the configured SQLite database into the
 * PostgreSQL database URI (doc/scale-out.md).  Returns the exit status.
 */
int startup_copy_to(const char *url);
/* SIGHUP: apply what can change at run time (TLS, SASL options). */
void startup_reload(const struct config *next);
/* Release everything startup_open() created. */
void startup_close(void);

#endif
