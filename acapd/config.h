/*
 * config.h -- acapd.conf: one declarative option table (config.c), parsed
 * into a struct config.  Owns the option values; after start-up they are
 * read only through the global `cfg`, which SIGHUP may replace.
 */
#ifndef ACAPD_CONFIG_H
#define ACAPD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct config {
	/* network */
	char *listen;			/* space-separated host:port list */
	bool tcp_keepalive;		/* RFC 5383 §4.2: off by default */
	unsigned int max_connections;	/* 0 = from RLIMIT_NOFILE */
	unsigned int max_connections_per_ip;	/* 0 = derived (conn.c) */
	unsigned int max_unauth_connections;	/* not yet authenticated; ditto */
	unsigned int idle_timeout;	/* seconds, >= 1800 (RFC 2244 §2.4.3) */
	unsigned int preauth_idle_timeout;
	char *metrics_listen;		/* host:port of /metrics; "" or
					   "none": no metrics listener */

	/* discovery over HTTP (http.c, discovery.c; doc/discovery.md) */
	char *http_listen;		/* plain HTTP listen list; "" = off */
	char *https_listen;		/* HTTPS listen list; "" = off */
	unsigned int http_max_header_size;	/* octets, request line too */
	unsigned int http_max_body_size;	/* octets */
	unsigned int http_max_uri;		/* octets of the request target */
	unsigned int http_timeout;		/* s: read/write idle */
	unsigned int http_max_connections_per_ip;

	/* files */
	char *statedir;
	char *database;			/* default <statedir>/acapd.db */
	char *pidfile;
	char *portfile;			/* write bound ports here (tests) */
	char *user;			/* drop privileges to */
	char *group;

	/* logging */
	bool syslog;
	char *log_level;		/* error|warning|info|debug */

	/* TLS */
	char *tls_cert;
	char *tls_key;
	char *tls_ca;			/* verify client certificates */
	char *tls_min_protocol;		/* TLSv1.2 | TLSv1.3 */
	char *tls_ciphers;
	char *tls_ciphersuites;
	bool tls_generate;		/* make a self-signed cert if missing */
	bool require_tls;
	bool require_tls_exempt_loopback;

	/* SASL */
	char *sasl_mech_list;		/* empty: all that are usable */
	char *sasl_pwcheck_method;
	char *sasl_auxprop_plugin;
	char *sasl_sasldb;		/* default <statedir>/sasldb2 */
	char *sasl_saslauthd_path;
	char *sasl_sql;			/* libpq URI: accounts in PostgreSQL */
	bool allow_plaintext;		/* PLAIN/LOGIN without TLS */
	bool allow_anonymous;
	char *admins;			/* space-separated identities */
	char *managed_classes;		/* dataset classes whose layers'
					   dataset.inherit is admin-only */
	char *bootstrap_admin;		/* create this admin on first start */
	unsigned int max_auth_failures;
	unsigned int max_auth_failures_per_ip;	/* per auth_fail_window */
	unsigned int auth_fail_window;		/* seconds */
	unsigned int auth_fail_delay_ms;

	/* limits (bounds.h) */
	unsigned int preauth_max_line;
	unsigned int preauth_max_literal;
	unsigned int preauth_max_nonsync;
	unsigned int preauth_max_command;
	unsigned int max_line;
	unsigned int max_literal;
	unsigned int max_command;
	unsigned int max_depth;
	unsigned int max_args;
	unsigned int max_bad_commands;
	unsigned int max_output;
	unsigned int output_hiwat;
	unsigned int output_timeout;	/* s: a piecewise answer not read */
	unsigned int context_limit;
	unsigned int search_max_datasets;	/* work budget per search */
	unsigned int search_max_entries;
	unsigned int max_literal_inflight;	/* per user, or per address
						   before authentication */

	/* storage */
	unsigned long long quota;	/* bytes per user; 0 = none */
	unsigned int tombstone_days;
	bool integrity_check;
	bool seed_site;			/* seed the site layer on first start */
	unsigned int cache_datasets;	/* dataset snapshots kept in memory */
	unsigned int store_commit_delay_ms;	/* group commit: wait for more
						   STOREs (0: one loop turn) */
	bool store_commit_thread;	/* COMMIT off the event loop */

	/* the audit trail (doc/audit.md) */
	bool audit;			/* record every change */
	unsigned int audit_retention;	/* seconds kept; 0 = for ever */
	char *audit_secret;		/* attribute name patterns redacted */
};

/* The configuration in force.  Never NULL after config_init(). */
extern struct config *cfg;

/*
 * Fill *c with defaults, then read path (NULL: defaults only; a missing
 * file is an error unless missing_ok), then apply "name=value" overrides.
 * Returns 0, or -1 with a message in errbuf naming the file, line and
 * option.  On error *c holds defaults plus what was read.
 */
int config_load(struct config *c, const char *path, bool missing_ok,
    char *const *overrides, size_t noverrides, char *errbuf, size_t errlen);
/* Free strings held by c. */
void config_clear(struct config *c);
/* Print every option with its value in acapd.conf syntax (acapd -t -v). */
void config_dump(const struct config *c, void *fp);
/*
 * Split "host:port", "[v6]:port", "*:port" or ":port" ("*" and "" mean
 * every address: host becomes ""); without a colon, spec is the host and
 * defport the port.  Returns 0, or -1 for a malformed spec.
 */
int config_split_hostport(const char *spec, const char *defport,
    char *host, size_t hostlen, char *port, size_t portlen);
/* Resolve relative file options against statedir; fill derived defaults. */
void config_finish(struct config *c);

#endif
