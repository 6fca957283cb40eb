/*
 * cmd-stats.c -- "stats": a summary of a running acapd from its metrics
 * endpoint (acapd.conf metrics_listen; acapctl --metrics or the
 * configuration file's "metrics"), no ACAP login needed.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmds.h"
#include "conf.h"
#include "ctl.h"
#include "jsonx.h"
#include "scrape.h"

/* The verbs and mechanisms with a nonzero count, as "NAME n (k NO, ...)". */
static void
stats_by_label(struct ctl *ctl, const struct scrape *sc, const char *name,
    const char *key, json_t *obj, const char *title)
{
	char label[64], seen[64][64];
	size_t nseen = 0, i, j;

	for (i = 0; i < sc->n && nseen < 64; i++) {
		if (strcmp(sc->s[i].name, name) != 0 || sc->s[i].value == 0)
			continue;
		scrape_label(&sc->s[i], key, label, sizeof(label));
		for (j = 0; j < nseen && strcmp(seen[j], label) != 0; j++)
			continue;
		if (j == nseen)
			snprintf(seen[nseen++], sizeof(seen[0]), "%s", label);
	}
	if (nseen > 0)
		ctl_out(ctl, "%s\n", title);
	for (j = 0; j < nseen; j++) {
		char match[256];
		json_t *o = jsonx_set(obj, seen[j], json_object());
		const char *const *r, *const *results;
		static const char *const cmd_results[] = { "OK", "NO", "BAD",
		    NULL };
		static const char *const auth_results[] = { "success",
		    "failure", NULL };

		results = strcmp(key, "verb") == 0 ? cmd_results :
		    auth_results;
		ctl_out(ctl, "  %-16s", seen[j]);
		for (r = results; *r != NULL; r++) {
			double v;

			snprintf(match, sizeof(match),
			    "%.32s=\"%.63s\",result=\"%.16s\"", key, seen[j],
			    *r);
			v = scrape_sum(sc, name, match);
			jsonx_set_int(o, *r, (long long)v);
			ctl_out(ctl, " %10.0f %s", v, *r);
		}
		ctl_out(ctl, "\n");
	}
}

int
cmd_stats(struct ctl *ctl, int argc, char **argv)
{
	const char *addr = NULL;
	const struct ctl_opt opts[] = {
		{ "metrics", CTL_OPT_ARG, &addr },
		{ NULL, 0, NULL },
	};
	struct scrape sc;
	char err[512];
	double up, ncmd, commits, stores, ctime_sum, ctime_n;
	json_t *o, *x;

	if (ctl_getopt(ctl, &argc, argv, opts) != 0)
		return CTL_USAGE;
	if (argc != 0)
		return ctl_usage(ctl, "stats takes no arguments");
	if (addr == NULL)
		addr = ctl->conf.metrics != NULL ? ctl->conf.metrics :
		    CONF_METRICS_DEFAULT;
	if (scrape_fetch(addr, ctl->conf.timeout_s, &sc, err,
	    sizeof(err)) == -1)
		return ctl_error(ctl, "cannot read the metrics: %s", err);
	if (scrape_sum(&sc, "acapd_start_time_seconds", NULL) == 0) {
		scrape_free(&sc);
		return ctl_error(ctl, "%s does not serve acapd's metrics",
		    addr);
	}
	o = ctl_result(ctl);
	up = (double)time(NULL) - scrape_sum(&sc, "acapd_start_time_seconds",
	    NULL);
	if (up < 1)
		up = 1;
	jsonx_set_str(o, "metrics", addr);
	jsonx_set_int(o, "uptime_seconds", (long long)up);
	ctl_out(ctl, "acapd at %s, up %.0f s\n", addr, up);

	x = jsonx_set(o, "connections", json_object());
	jsonx_set_int(x, "unauthenticated", (long long)scrape_sum(&sc,
	    "acapd_connections", "state=\"unauthenticated\""));
	jsonx_set_int(x, "authenticated", (long long)scrape_sum(&sc,
	    "acapd_connections", "state=\"authenticated\""));
	jsonx_set_int(x, "tls", (long long)scrape_sum(&sc,
	    "acapd_connections_tls", NULL));
	jsonx_set_int(x, "accepted", (long long)scrape_sum(&sc,
	    "acapd_connections_accepted_total", NULL));
	jsonx_set_int(x, "refused", (long long)scrape_sum(&sc,
	    "acapd_connections_refused_total", NULL));
	ctl_out(ctl, "connections:     %.0f open (%.0f authenticated, %.0f "
	    "with TLS), %.0f accepted, %.0f refused\n",
	    scrape_sum(&sc, "acapd_connections", NULL),
	    scrape_sum(&sc, "acapd_connections",
	    "state=\"authenticated\""),
	    scrape_sum(&sc, "acapd_connections_tls", NULL),
	    scrape_sum(&sc, "acapd_connections_accepted_total", NULL),
	    scrape_sum(&sc, "acapd_connections_refused_total", NULL));
	ctl_out(ctl, "TLS handshakes:  %.0f ok, %.0f failed\n",
	    scrape_sum(&sc, "acapd_tls_handshakes_total", "result=\"ok\""),
	    scrape_sum(&sc, "acapd_tls_handshakes_total",
	    "result=\"failed\""));
	jsonx_set_int(x, "tls_handshakes_ok", (long long)scrape_sum(&sc,
	    "acapd_tls_handshakes_total", "result=\"ok\""));
	jsonx_set_int(x, "tls_handshakes_failed", (long long)scrape_sum(&sc,
	    "acapd_tls_handshakes_total", "result=\"failed\""));

	ncmd = scrape_sum(&sc, "acapd_commands_total", NULL);
	x = jsonx_set(o, "commands", json_object());
	jsonx_set_int(x, "total", (long long)ncmd);
	jsonx_set(x, "per_second", json_real(ncmd / up));
	ctl_out(ctl, "commands:        %.0f (%.2f/s since start), %.0f NO, "
	    "%.0f BAD\n", ncmd, ncmd / up,
	    scrape_sum(&sc, "acapd_commands_total", "result=\"NO\""),
	    scrape_sum(&sc, "acapd_commands_total", "result=\"BAD\""));
	stats_by_label(ctl, &sc, "acapd_commands_total", "verb",
	    jsonx_set(x, "by_verb", json_object()), "  by verb:");

	x = jsonx_set(o, "authentication", json_object());
	jsonx_set_int(x, "success", (long long)scrape_sum(&sc,
	    "acapd_auth_total", "result=\"success\""));
	jsonx_set_int(x, "failure", (long long)scrape_sum(&sc,
	    "acapd_auth_total", "result=\"failure\""));
	ctl_out(ctl, "authentication:  %.0f succeeded, %.0f failed\n",
	    scrape_sum(&sc, "acapd_auth_total", "result=\"success\""),
	    scrape_sum(&sc, "acapd_auth_total", "result=\"failure\""));
	stats_by_label(ctl, &sc, "acapd_auth_total", "mechanism",
	    jsonx_set(x, "by_mechanism", json_object()), "  by mechanism:");

	commits = scrape_sum(&sc, "acapd_store_commits_total",
	    "result=\"ok\"");
	stores = scrape_sum(&sc, "acapd_store_batch_size_sum", NULL);
	ctime_sum = scrape_sum(&sc, "acapd_store_commit_duration_seconds_sum",
	    NULL);
	ctime_n = scrape_sum(&sc,
	    "acapd_store_commit_duration_seconds_count", NULL);
	x = jsonx_set(o, "store", json_object());
	jsonx_set_int(x, "commits", (long long)commits);
	jsonx_set_int(x, "commits_failed", (long long)scrape_sum(&sc,
	    "acapd_store_commits_total", "result=\"failed\""));
	jsonx_set_int(x, "stores", (long long)stores);
	jsonx_set(x, "commit_seconds_mean",
	    json_real(ctime_n > 0 ? ctime_sum / ctime_n : 0));
	ctl_out(ctl, "store:           %.0f commits of %.0f STOREs (%.1f per "
	    "commit, %.2f ms each), %.0f failed\n", commits, stores,
	    commits > 0 ? stores / commits : 0,
	    ctime_n > 0 ? 1000 * ctime_sum / ctime_n : 0,
	    scrape_sum(&sc, "acapd_store_commits_total",
	    "result=\"failed\""));

	x = jsonx_set(o, "contexts", json_object());
	jsonx_set_int(x, "open", (long long)scrape_sum(&sc, "acapd_contexts",
	    NULL));
	jsonx_set_int(x, "created", (long long)scrape_sum(&sc,
	    "acapd_contexts_created_total", NULL));
	jsonx_set_int(x, "notifications", (long long)scrape_sum(&sc,
	    "acapd_notifications_total", NULL));
	ctl_out(ctl, "contexts:        %.0f open, %.0f created, %.0f "
	    "notifications sent\n", scrape_sum(&sc, "acapd_contexts", NULL),
	    scrape_sum(&sc, "acapd_contexts_created_total", NULL),
	    scrape_sum(&sc, "acapd_notifications_total", NULL));
	scrape_free(&sc);
	return CTL_OK;
}
