/*
 * metrics.c -- counters and histograms (metrics.h) and their rendering in
 * the Prometheus text exposition format 0.0.4: per family one "# HELP"
 * and one "# TYPE" line, then its samples; counters end in "_total";
 * a histogram has cumulative "_bucket{le=...}" samples ending with
 * le="+Inf", then "_sum" and "_count".
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "metrics.h"

unsigned long long metrics_counters[M__NCOUNTERS];

/* The command table's verbs (commands.c), sorted; then "unknown". */
static const char *const verbs[] = {
	"AUTHENTICATE", "DELETEACL", "DELETEDSINCE", "FREECONTEXT",
	"GETQUOTA", "LANG", "LISTRIGHTS", "LOGOUT", "MYRIGHTS", "NOOP",
	"SEARCH", "SETACL", "STARTTLS", "STORE", "UPDATECONTEXT", "unknown",
};
#define NVERBS (sizeof(verbs) / sizeof(verbs[0]))

/* SASL mechanisms named one by one (sorted); any other is "other". */
static const char *const mechs[] = {
	"ANONYMOUS", "CRAM-MD5", "DIGEST-MD5", "EXTERNAL", "GSSAPI", "LOGIN",
	"OTP", "PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-224", "SCRAM-SHA-256",
	"SCRAM-SHA-384", "SCRAM-SHA-512", "other",
};
#define NMECHS (sizeof(mechs) / sizeof(mechs[0]))

static const char *const results[M__NRESULTS] = { "OK", "NO", "BAD" };

/* Upper bounds of the latency buckets, in microseconds. */
static const long long lat_le[] = {
	100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000,
	250000, 500000, 1000000, 2500000, 5000000, 10000000,
};
#define NLAT (sizeof(lat_le) / sizeof(lat_le[0]))

/* Upper bounds of the batch size buckets (STOREs per commit). */
static const long long batch_le[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256,
    512, 1024 };
#define NBATCH (sizeof(batch_le) / sizeof(batch_le[0]))

/* A histogram: per bucket the count of observations in it (not yet
 * cumulative: that is done when rendering), +Inf last. */
struct hist {
	unsigned long long bucket[NLAT + 1];
	unsigned long long count;
	long long sum;
};

static unsigned long long commands[NVERBS][M__NRESULTS];
static struct hist cmd_latency[NVERBS];
static unsigned long long auth[NMECHS][2];	/* [0] failure, [1] success */
static struct hist commit_latency;
static struct hist batch_size;

static int
name_cmp(const void *key, const void *elem)
{
	return strcasecmp(key, *(const char *const *)elem);
}

/* Index of name in the sorted list[0..n-2], or n-1 (the catch-all). */
static size_t
label_index(const char *const *list, size_t n, const char *name)
{
	const char *const *p;

	if (name == NULL)
		return n - 1;
	p = bsearch(name, list, n - 1, sizeof(*list), name_cmp);
	return p != NULL ? (size_t)(p - list) : n - 1;
}

static void
hist_observe(struct hist *h, const long long *le, size_t nle, long long v)
{
	size_t i;

	if (v < 0)
		v = 0;
	for (i = 0; i < nle && v > le[i]; i++)
		continue;
	h->bucket[i]++;
	h->count++;
	h->sum += v;
}

void
metrics_command(const char *verb, enum metrics_result r, long long start_us)
{
	size_t v = label_index(verbs, NVERBS, verb);

	if ((unsigned)r >= M__NRESULTS)
		return;
	commands[v][r]++;
	if (start_us > 0) {
		hist_observe(&cmd_latency[v], lat_le, NLAT,
		    metrics_now_us() - start_us);
	}
}

void
metrics_auth(const char *mech, bool ok)
{
	auth[label_index(mechs, NMECHS, mech)][ok ? 1 : 0]++;
}

void
metrics_store_commit(size_t stores, long long commit_us, bool ok)
{
	if (!ok) {
		metrics_inc(M_STORE_COMMIT_FAILED);
		return;
	}
	metrics_inc(M_STORE_COMMIT_OK);
	hist_observe(&commit_latency, lat_le, NLAT, commit_us);
	hist_observe(&batch_size, batch_le, NBATCH, (long long)stores);
}

void
metrics_reset(void)
{
	memset(metrics_counters, 0, sizeof(metrics_counters));
	memset(commands, 0, sizeof(commands));
	memset(cmd_latency, 0, sizeof(cmd_latency));
	memset(auth, 0, sizeof(auth));
	memset(&commit_latency, 0, sizeof(commit_latency));
	memset(&batch_size, 0, sizeof(batch_size));
}

/* ---- Rendering ------------------------------------------------------- */

static void
family(FILE *fp, const char *name, const char *type, const char *help)
{
	fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
sample(FILE *fp, const char *name, const char *labels,
    unsigned long long v)
{
	fprintf(fp, "%s%s%s%s %llu\n", name, labels != NULL ? "{" : "",
	    labels != NULL ? labels : "", labels != NULL ? "}" : "", v);
}

/*
 * One histogram's samples.  labels: "" or 'verb="STORE",' (with its
 * comma); scale: divide le and sum by it (1e6: microseconds to seconds).
 */
static void
hist_render(FILE *fp, const char *name, const char *labels,
    const struct hist *h, const long long *le, size_t nle, double scale)
{
	unsigned long long cum = 0;
	size_t i;

	for (i = 0; i < nle; i++) {
		cum += h->bucket[i];
		fprintf(fp, "%s_bucket{%sle=\"%g\"} %llu\n", name, labels,
		    (double)le[i] / scale, cum);
	}
	cum += h->bucket[nle];
	fprintf(fp, "%s_bucket{%sle=\"+Inf\"} %llu\n", name, labels, cum);
	if (labels[0] != '\0')
		fprintf(fp, "%s_sum{%.*s} %.6f\n", name,
		    (int)strlen(labels) - 1, labels, (double)h->sum / scale);
	else
		fprintf(fp, "%s_sum %.6f\n", name, (double)h->sum / scale);
	if (labels[0] != '\0')
		fprintf(fp, "%s_count{%.*s} %llu\n", name,
		    (int)strlen(labels) - 1, labels, h->count);
	else
		fprintf(fp, "%s_count %llu\n", name, h->count);
}

/*
 * The families of plain counters (metrics_counters[]): name, help, and
 * per sample its labels (NULL: none) and counter, in output order.
 */
struct counter_family {
	const char *name;
	const char *help;
	struct {
		const char *labels;
		enum metrics_counter c;
	} s[5];
	size_t n;
};

static const struct counter_family counter_families[] = {
	{ "acapd_connections_accepted_total",
	    "ACAP connections accepted and served.",
	    { { NULL, M_CONN_ACCEPTED } }, 1 },
	{ "acapd_connections_closed_total",
	    "ACAP connections closed (by either side).",
	    { { NULL, M_CONN_CLOSED } }, 1 },
	{ "acapd_connections_refused_total",
	    "ACAP connections refused with a BYE greeting, by the cap reached.",
	    { { "reason=\"max_connections\"", M_CONN_REFUSED_MAX },
	      { "reason=\"max_connections_per_ip\"", M_CONN_REFUSED_PER_IP },
	      { "reason=\"max_unauth_connections\"", M_CONN_REFUSED_UNAUTH },
	      { "reason=\"shutting_down\"", M_CONN_REFUSED_SHUTDOWN } }, 4 },
	{ "acapd_connections_evicted_total",
	    "Unauthenticated connections closed to make room for a new one.",
	    { { NULL, M_CONN_EVICTED_UNAUTH } }, 1 },
	{ "acapd_tls_handshakes_total",
	    "TLS handshakes after STARTTLS, by result.",
	    { { "result=\"ok\"", M_TLS_OK },
	      { "result=\"failed\"", M_TLS_FAILED } }, 2 },
	{ "acapd_contexts_created_total",
	    "Contexts made by SEARCH ... MAKECONTEXT.",
	    { { NULL, M_CONTEXTS_CREATED } }, 1 },
	{ "acapd_notifications_total",
	    "Untagged context notifications written, by kind (RFC 2244 "
	    "sections 6.5.3-6.5.6).",
	    { { "kind=\"ADDTO\"", M_NOTIFY_ADDTO },
	      { "kind=\"REMOVEFROM\"", M_NOTIFY_REMOVEFROM },
	      { "kind=\"CHANGE\"", M_NOTIFY_CHANGE },
	      { "kind=\"MODTIME\"", M_NOTIFY_MODTIME } }, 4 },
	{ "acapd_store_commits_total",
	    "Batch commits of STOREs to the database, by result.",
	    { { "result=\"ok\"", M_STORE_COMMIT_OK },
	      { "result=\"failed\"", M_STORE_COMMIT_FAILED } }, 2 },
};

static void
render_counters(FILE *fp)
{
	const struct counter_family *f;
	size_t i, j;

	for (i = 0; i < sizeof(counter_families) /
	    sizeof(counter_families[0]); i++) {
		f = &counter_families[i];
		family(fp, f->name, "counter", f->help);
		for (j = 0; j < f->n; j++)
			sample(fp, f->name, f->s[j].labels,
			    metrics_counters[f->s[j].c]);
	}
}

/* The gauges read from their owners at scrape time. */
static void
render_gauges(FILE *fp, const struct metrics_gauges *g)
{
	family(fp, "acapd_start_time_seconds", "gauge",
	    "When acapd started, in seconds since the Unix epoch.");
	fprintf(fp, "acapd_start_time_seconds %.3f\n", g->start_time);
	family(fp, "acapd_connections", "gauge",
	    "Open ACAP connections by state (RFC 2244 section 2.3).");
	fprintf(fp, "acapd_connections{state=\"unauthenticated\"} %zu\n",
	    g->conns_unauth);
	fprintf(fp, "acapd_connections{state=\"authenticated\"} %zu\n",
	    g->conns_auth);
	family(fp, "acapd_connections_tls", "gauge",
	    "Open ACAP connections with TLS established (STARTTLS).");
	fprintf(fp, "acapd_connections_tls %zu\n", g->conns_tls);
	family(fp, "acapd_connections_max", "gauge",
	    "The connection cap in force (max_connections or the open-file "
	    "limit).");
	fprintf(fp, "acapd_connections_max %zu\n", g->max_conns);
	family(fp, "acapd_contexts", "gauge",
	    "Contexts open over all connections (RFC 2244 section 3.6).");
	fprintf(fp, "acapd_contexts %zu\n", g->contexts);
}

static void
render_commands(FILE *fp)
{
	char labels[64];
	size_t v, r;

	family(fp, "acapd_commands_total", "counter",
	    "Tagged command completions by verb and result.");
	for (v = 0; v < NVERBS; v++)
		for (r = 0; r < M__NRESULTS; r++) {
			snprintf(labels, sizeof(labels),
			    "verb=\"%s\",result=\"%s\"", verbs[v], results[r]);
			sample(fp, "acapd_commands_total", labels,
			    commands[v][r]);
		}
	family(fp, "acapd_command_duration_seconds", "histogram",
	    "Time from dispatch to the tagged completion, by verb.");
	for (v = 0; v < NVERBS; v++) {
		snprintf(labels, sizeof(labels), "verb=\"%s\",", verbs[v]);
		hist_render(fp, "acapd_command_duration_seconds", labels,
		    &cmd_latency[v], lat_le, NLAT, 1e6);
	}
	family(fp, "acapd_auth_total", "counter",
	    "AUTHENTICATE exchanges that ended, by SASL mechanism and "
	    "result.");
	for (v = 0; v < NMECHS; v++)
		for (r = 0; r < 2; r++) {
			snprintf(labels, sizeof(labels),
			    "mechanism=\"%s\",result=\"%s\"", mechs[v],
			    r == 1 ? "success" : "failure");
			sample(fp, "acapd_auth_total", labels, auth[v][r]);
		}
}

static void
render_store(FILE *fp)
{
	family(fp, "acapd_store_batch_size", "histogram",
	    "STOREs made durable by one commit (group commit).");
	hist_render(fp, "acapd_store_batch_size", "", &batch_size, batch_le,
	    NBATCH, 1);
	family(fp, "acapd_store_commit_duration_seconds", "histogram",
	    "Time of one COMMIT: the WAL write and its fsync.");
	hist_render(fp, "acapd_store_commit_duration_seconds", "",
	    &commit_latency, lat_le, NLAT, 1e6);
}

void
metrics_render(FILE *fp, const struct metrics_gauges *g)
{
	render_gauges(fp, g);
	render_counters(fp);
	render_commands(fp);
	render_store(fp);
}
