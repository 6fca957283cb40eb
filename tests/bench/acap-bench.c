/*
 * acap-bench.c -- the benchmark driver: prepares an instance, forks the
 * client workers (bench-client.c), runs one scenario, samples acapd from
 * /proc and prints text or JSON.  Loopback addresses only.
 */
#include "autoconf.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "acap-buf.h"
#include "bench-client.h"
#include "bench-hist.h"
#include "bench-json.h"
#include "bench-proc.h"
#include "bench-provision.h"
#include "bench-server.h"

#define BENCH_ADMIN		"benchadmin"
#define BENCH_ADMIN_PASS	"bench-admin-secret"
#define BENCH_MAX_WORKERS	64
#define BENCH_MAX_SAMPLES	4096
#define BENCH_MAX_ROUNDS	256
#define BENCH_MSG_MAX		(1u << 20)
#define BENCH_PATH_MAX		4096

/* The query a mail client makes at set-up: all of its effective account
   settings (RFC 2244 §6.4.1; inheritance resolved by the server). */
#define DEFAULT_QUERY \
	"SEARCH \"/email/~/\" RETURN (\"*\") " \
	"NOT EQUAL \"entry\" \"i;octet\" \"\""
/* Each client stores to its own user dataset (RFC 2244 §6.6.1); another
   class than the settings, so that setup queries stay the same. */
#define DEFAULT_STORE \
	"STORE (\"/option/user/{user}/bench\" \"option.bench.n\" \"{n}\")"
/* What a phone keeps open: its settings, with change notification. */
#define DEFAULT_CONTEXT \
	"SEARCH \"/email/~/\" MAKECONTEXT NOTIFY \"settings\" " \
	"RETURN (\"*\") ALL"

enum scenario {
	SCEN_IDLE,
	SCEN_SETUP,
	SCEN_STORE,
	SCEN_FANOUT,
	SCEN_MIXED,
	SCEN_PROVISION,
};

static const char *const scenario_names[] = {
	"idle", "setup", "store", "fanout", "mixed", "provision",
};

struct options {
	enum scenario scen;
	unsigned int conns;
	unsigned int workers;
	unsigned int users;
	unsigned int groups;
	unsigned int attrs;
	unsigned int depth;
	bool tls;
	bool cram;
	int context;			/* -1: scenario default */
	double duration;
	double warmup;
	double rate;
	double store_rate;
	unsigned int pipeline;
	double hold;
	unsigned int rounds;
	double interval;
	double sample;
	unsigned int mix[3];		/* idle, setup, store shares */
	const char *query;
	const char *store;
	const char *ctx;
	unsigned int per_source;
	unsigned int concurrency;
	unsigned int setup_timeout;
	const char *statedir;
	bool keep;
	const char *acapd;
	int connect_port;
	pid_t server_pid;
	const char *admin;
	const char *admin_pass;
	const char **extra;
	size_t nextra;
	bool pin;
	bool json;
	bool verbose;
	const char *label;
};

struct worker {
	pid_t pid;
	int fd;
	bool answered;
	struct bench_load load;
};

/* Figures of one role, merged over the workers. */
struct role_result {
	const char *name;
	unsigned int conns;
	double rate;			/* target requests/s; 0: closed loop */
	uint64_t completed, errors, entries, notifications, bytes_in;
	struct bench_hist *hist;
	struct bench_hist *lag;
	struct bench_hist *svc;
};

struct fanout_round {
	unsigned int contexts, notified;
	double store_ms;		/* STORE sent to its OK */
	uint64_t p50, p99, max;		/* notification delay, ns */
	double server_cpu_ms;		/* acapd CPU, STORE to last notified */
};

struct sample {
	double t;			/* seconds since the run began */
	struct bench_proc_sample s;
	uint64_t tcp_kb;
};

struct results {
	/* set-up */
	unsigned int ready, failed;
	double setup_s;
	struct bench_hist *setup_hist;
	char error[BENCH_ERR_LEN];
	double client_setup_cpu;
	/* server figures */
	bool have_server;
	struct bench_proc_sample base, connected, held, end, run0, run1;
	uint64_t tcp_base_kb, tcp_conn_kb, tcp_held_kb;
	uint64_t slab_base_kb, slab_held_kb;
	unsigned int alive, dead, lost_idle;
	bool pinged;
	/* load */
	size_t nroles;
	struct role_result roles[BENCH_MAX_ROLES];
	double window_s;
	double client_cpu;
	uint64_t lost;
	char run_error[BENCH_ERR_LEN];
	/* fan-out */
	size_t nrounds;
	struct fanout_round rounds[BENCH_MAX_ROUNDS];
	struct bench_hist *fanout_hist;
	/* mixed */
	size_t nsamples;
	struct sample samples[BENCH_MAX_SAMPLES];
};

static struct options opt;
static char loadavg_start[64];
static struct worker workers[BENCH_MAX_WORKERS];
static unsigned int nworkers;
static struct bench_server *server;
static pid_t server_pid = -1;
static int server_port;
static char statedir_buf[BENCH_PATH_MAX];
static bool statedir_temp;
static struct bench_provision prov;
static struct results res;
static volatile sig_atomic_t interrupted;
static char msgbuf[BENCH_MSG_MAX];

static void __attribute__((format(printf, 1, 2), noreturn))
die(const char *fmt, ...)
{
	va_list ap;
	unsigned int i;

	fprintf(stderr, "acap-bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	for (i = 0; i < nworkers; i++)
		if (workers[i].pid > 0)
			kill(workers[i].pid, SIGKILL);
	if (server != NULL) {
		fprintf(stderr, "acap-bench: acapd log: %s\n",
		    bench_server_log(server));
		bench_server_stop(&server);
	}
	exit(1);
}

static void
note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
note(const char *fmt, ...)
{
	va_list ap;

	if (!opt.verbose)
		return;
	fprintf(stderr, "acap-bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void
sleep_until(uint64_t t)
{
	uint64_t now;
	struct timespec ts;

	while (!interrupted && (now = bench_proc_now_ns()) < t) {
		ts.tv_sec = (time_t)((t - now) / 1000000000u);
		ts.tv_nsec = (long)((t - now) % 1000000000u);
		nanosleep(&ts, NULL);
	}
}

static uint64_t
secs_ns(double s)
{
	return s <= 0 ? 0 : (uint64_t)(s * 1e9);
}

/* ---- Usage and options ---------------------------------------------- */

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
"usage: acap-bench [options] idle|setup|store|fanout|mixed|provision\n"
"\n"
"Scenarios\n"
"  idle       open N authenticated connections (each with a NOTIFY context\n"
"             unless --no-context), hold them, report acapd memory per\n"
"             connection\n"
"  setup      N clients each repeating the effective-settings SEARCH\n"
"  store      N clients each STOREing to their own user dataset\n"
"  fanout     N connections with NOTIFY contexts; time one STORE at the\n"
"             site layer until every context is notified\n"
"  mixed      idle + setup + store + periodic fan-out for --duration,\n"
"             sampling acapd memory\n"
"  provision  only create users and settings (with --statedir --keep)\n"
"\n"
"Load\n"
"  -c, --connections N   client connections (default 100; idle 1000)\n"
"  -w, --workers N       client processes (default: 2, or one per 5000\n"
"                        connections)\n"
"  -u, --users N         provisioned users (default: N connections)\n"
"      --groups N        organisations (default: users / 1000, >= 1)\n"
"      --attrs N         extra attributes on the site entry (default 8)\n"
"      --depth N         organisation layers between user and site (1)\n"
"      --tls, --no-tls   STARTTLS on every connection (default on)\n"
"      --cram            AUTHENTICATE CRAM-MD5 instead of PLAIN\n"
"      --context, --no-context\n"
"                        MAKECONTEXT NOTIFY after login (idle default on)\n"
"  -d, --duration S      measuring window (default 30; mixed 600)\n"
"      --warmup S        load before measuring (default 5)\n"
"      --rate R          total requests/s, open loop (default: closed\n"
"                        loop); in mixed, the setup clients' rate\n"
"      --store-rate R    mixed: the store clients' rate (default 100)\n"
"      --pipeline D      closed loop: requests in flight per connection\n"
"      --hold S          idle: seconds to hold before measuring (10)\n"
"      --rounds K        fanout: STOREs to time (default 5)\n"
"      --interval S      seconds between fan-out STOREs (fanout 2,\n"
"                        mixed 30)\n"
"      --sample S        mixed: seconds between memory samples (10)\n"
"      --mix I:S:W       mixed: shares of idle, setup and store\n"
"                        connections (default 90:5:5)\n"
"      --query CMD       setup request (default: %s)\n"
"      --store CMD       store request\n"
"      --ctx CMD         context command\n"
"                        templates may use {user}, {n}, {conn}\n"
"      --per-source N    connections per source address 127.0.0.x\n"
"                        (default 1000; 0: kernel's choice)\n"
"      --concurrency N   connections in set-up at once per worker (64)\n"
"\n"
"Server\n"
"      --statedir DIR    instance directory (default: a fresh temporary\n"
"                        one); users and settings are provisioned once\n"
"      --keep            keep the temporary state directory\n"
"      --acapd PATH      binary (default: $ACAPD or ../../acapd/acapd\n"
"                        next to acap-bench)\n"
"      --config LINE     extra acapd.conf line (repeatable)\n"
"      --connect PORT    use an acapd already on 127.0.0.1:PORT\n"
"      --server-pid PID  its process, for the /proc figures\n"
"      --admin USER:PASS its admin (settings, fan-out STOREs)\n"
"      --pin             acapd on CPU 0, workers on the other CPUs\n"
"\n"
"Output\n"
"      --json            JSON instead of text\n"
"      --label TEXT      copied into the output\n"
"  -v, --verbose         progress on stderr\n",
	    DEFAULT_QUERY);
	exit(status);
}

static double
parse_double(const char *s, const char *what)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || !isfinite(v))
		die("bad %s: %s", what, s);
	return v;
}

static unsigned int
parse_uint(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > UINT_MAX ||
	    s[0] == '-')
		die("bad %s: %s", what, s);
	return (unsigned int)v;
}

enum {
	OPT_GROUPS = 256, OPT_ATTRS, OPT_TLS, OPT_NO_TLS, OPT_CRAM,
	OPT_CONTEXT, OPT_NO_CONTEXT, OPT_WARMUP, OPT_RATE, OPT_STORE_RATE,
	OPT_PIPELINE, OPT_HOLD, OPT_ROUNDS, OPT_INTERVAL, OPT_SAMPLE,
	OPT_MIX, OPT_QUERY, OPT_STORE, OPT_CTX, OPT_PER_SOURCE,
	OPT_CONCURRENCY, OPT_STATEDIR, OPT_KEEP, OPT_ACAPD, OPT_CONFIG,
	OPT_CONNECT, OPT_SERVER_PID, OPT_ADMIN, OPT_PIN, OPT_JSON, OPT_LABEL,
	OPT_SETUP_TIMEOUT, OPT_DEPTH,
};

static const struct option long_options[] = {
	{ "connections", required_argument, NULL, 'c' },
	{ "workers", required_argument, NULL, 'w' },
	{ "users", required_argument, NULL, 'u' },
	{ "groups", required_argument, NULL, OPT_GROUPS },
	{ "attrs", required_argument, NULL, OPT_ATTRS },
	{ "depth", required_argument, NULL, OPT_DEPTH },
	{ "tls", no_argument, NULL, OPT_TLS },
	{ "no-tls", no_argument, NULL, OPT_NO_TLS },
	{ "cram", no_argument, NULL, OPT_CRAM },
	{ "context", no_argument, NULL, OPT_CONTEXT },
	{ "no-context", no_argument, NULL, OPT_NO_CONTEXT },
	{ "duration", required_argument, NULL, 'd' },
	{ "warmup", required_argument, NULL, OPT_WARMUP },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "store-rate", required_argument, NULL, OPT_STORE_RATE },
	{ "pipeline", required_argument, NULL, OPT_PIPELINE },
	{ "hold", required_argument, NULL, OPT_HOLD },
	{ "rounds", required_argument, NULL, OPT_ROUNDS },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "sample", required_argument, NULL, OPT_SAMPLE },
	{ "mix", required_argument, NULL, OPT_MIX },
	{ "query", required_argument, NULL, OPT_QUERY },
	{ "store", required_argument, NULL, OPT_STORE },
	{ "ctx", required_argument, NULL, OPT_CTX },
	{ "per-source", required_argument, NULL, OPT_PER_SOURCE },
	{ "concurrency", required_argument, NULL, OPT_CONCURRENCY },
	{ "setup-timeout", required_argument, NULL, OPT_SETUP_TIMEOUT },
	{ "statedir", required_argument, NULL, OPT_STATEDIR },
	{ "keep", no_argument, NULL, OPT_KEEP },
	{ "acapd", required_argument, NULL, OPT_ACAPD },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "connect", required_argument, NULL, OPT_CONNECT },
	{ "server-pid", required_argument, NULL, OPT_SERVER_PID },
	{ "admin", required_argument, NULL, OPT_ADMIN },
	{ "pin", no_argument, NULL, OPT_PIN },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "label", required_argument, NULL, OPT_LABEL },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void
parse_options(int argc, char *argv[])
{
	bool have_conns = false, have_duration = false,
	    have_interval = false;
	char *colon;
	size_t i;
	int ch;

	opt.conns = 100;
	opt.attrs = 8;
	opt.depth = 1;
	opt.tls = true;
	opt.context = -1;
	opt.duration = 30;
	opt.warmup = 5;
	opt.store_rate = 100;
	opt.pipeline = 1;
	opt.hold = 10;
	opt.rounds = 5;
	opt.interval = 2;
	opt.sample = 10;
	opt.mix[0] = 90;
	opt.mix[1] = 5;
	opt.mix[2] = 5;
	opt.query = DEFAULT_QUERY;
	opt.store = DEFAULT_STORE;
	opt.ctx = DEFAULT_CONTEXT;
	opt.per_source = 1000;
	opt.concurrency = 64;
	opt.setup_timeout = 120;
	opt.admin = BENCH_ADMIN;
	opt.admin_pass = BENCH_ADMIN_PASS;
	while ((ch = getopt_long(argc, argv, "c:w:u:d:vh", long_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			opt.conns = parse_uint(optarg, "connections");
			have_conns = true;
			break;
		case 'w':
			opt.workers = parse_uint(optarg, "workers");
			break;
		case 'u':
			opt.users = parse_uint(optarg, "users");
			break;
		case OPT_GROUPS:
			opt.groups = parse_uint(optarg, "groups");
			break;
		case OPT_ATTRS:
			opt.attrs = parse_uint(optarg, "attrs");
			break;
		case OPT_DEPTH:
			opt.depth = parse_uint(optarg, "depth");
			if (opt.depth < 1 || opt.depth > 16)
				die("--depth must be 1..16");
			break;
		case OPT_TLS:
			opt.tls = true;
			break;
		case OPT_NO_TLS:
			opt.tls = false;
			break;
		case OPT_CRAM:
			opt.cram = true;
			break;
		case OPT_CONTEXT:
			opt.context = 1;
			break;
		case OPT_NO_CONTEXT:
			opt.context = 0;
			break;
		case 'd':
			opt.duration = parse_double(optarg, "duration");
			have_duration = true;
			break;
		case OPT_WARMUP:
			opt.warmup = parse_double(optarg, "warm-up");
			break;
		case OPT_RATE:
			opt.rate = parse_double(optarg, "rate");
			break;
		case OPT_STORE_RATE:
			opt.store_rate = parse_double(optarg, "store rate");
			break;
		case OPT_PIPELINE:
			opt.pipeline = parse_uint(optarg, "pipeline");
			if (opt.pipeline < 1 || opt.pipeline > BENCH_PIPE_MAX)
				die("--pipeline must be 1..%d",
				    BENCH_PIPE_MAX);
			break;
		case OPT_HOLD:
			opt.hold = parse_double(optarg, "hold");
			break;
		case OPT_ROUNDS:
			opt.rounds = parse_uint(optarg, "rounds");
			if (opt.rounds > BENCH_MAX_ROUNDS)
				die("at most %d rounds", BENCH_MAX_ROUNDS);
			break;
		case OPT_INTERVAL:
			opt.interval = parse_double(optarg, "interval");
			have_interval = true;
			break;
		case OPT_SAMPLE:
			opt.sample = parse_double(optarg, "sample");
			if (opt.sample < 0.1)
				die("--sample must be at least 0.1");
			break;
		case OPT_MIX:
			if (sscanf(optarg, "%u:%u:%u", &opt.mix[0],
			    &opt.mix[1], &opt.mix[2]) != 3 ||
			    opt.mix[0] + opt.mix[1] + opt.mix[2] == 0)
				die("bad --mix (want I:S:W): %s", optarg);
			break;
		case OPT_QUERY:
			opt.query = optarg;
			break;
		case OPT_STORE:
			opt.store = optarg;
			break;
		case OPT_CTX:
			opt.ctx = optarg;
			break;
		case OPT_PER_SOURCE:
			opt.per_source = parse_uint(optarg, "per-source");
			break;
		case OPT_CONCURRENCY:
			opt.concurrency = parse_uint(optarg, "concurrency");
			if (opt.concurrency == 0)
				die("--concurrency must be at least 1");
			break;
		case OPT_SETUP_TIMEOUT:
			opt.setup_timeout = parse_uint(optarg,
			    "setup-timeout");
			break;
		case OPT_STATEDIR:
			opt.statedir = optarg;
			break;
		case OPT_KEEP:
			opt.keep = true;
			break;
		case OPT_ACAPD:
			opt.acapd = optarg;
			break;
		case OPT_CONFIG:
			opt.extra = realloc(opt.extra, (opt.nextra + 1) *
			    sizeof(*opt.extra));
			if (opt.extra == NULL)
				abort();
			opt.extra[opt.nextra++] = optarg;
			break;
		case OPT_CONNECT:
			opt.connect_port = (int)parse_uint(optarg, "port");
			if (opt.connect_port < 1 || opt.connect_port > 65535)
				die("bad port: %s", optarg);
			break;
		case OPT_SERVER_PID:
			opt.server_pid = (pid_t)parse_uint(optarg, "pid");
			break;
		case OPT_ADMIN:
			if ((colon = strchr(optarg, ':')) == NULL)
				die("--admin wants USER:PASS");
			*colon = '\0';
			opt.admin = optarg;
			opt.admin_pass = colon + 1;
			break;
		case OPT_PIN:
			opt.pin = true;
			break;
		case OPT_JSON:
			opt.json = true;
			break;
		case OPT_LABEL:
			opt.label = optarg;
			break;
		case 'v':
			opt.verbose = true;
			break;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (optind + 1 != argc)
		usage(2);
	for (i = 0; i < sizeof(scenario_names) / sizeof(*scenario_names);
	    i++)
		if (strcmp(argv[optind], scenario_names[i]) == 0)
			break;
	if (i == sizeof(scenario_names) / sizeof(*scenario_names))
		usage(2);
	opt.scen = (enum scenario)i;
	if (!have_conns && (opt.scen == SCEN_IDLE || opt.scen == SCEN_FANOUT ||
	    opt.scen == SCEN_MIXED))
		opt.conns = 1000;
	if (!have_duration && opt.scen == SCEN_MIXED)
		opt.duration = 600;
	if (!have_interval && opt.scen == SCEN_MIXED)
		opt.interval = 30;
	if (opt.context == -1)
		opt.context = opt.scen != SCEN_SETUP && opt.scen != SCEN_STORE;
	if (opt.users == 0)
		opt.users = opt.conns > 0 ? opt.conns : 1;
	if (opt.groups == 0)
		opt.groups = (opt.users + 999) / 1000;
	if (opt.conns == 0 && opt.scen != SCEN_PROVISION)
		die("need at least one connection");
	if (opt.workers == 0) {
		opt.workers = (opt.conns + 4999) / 5000;
		if (opt.workers < 2)
			opt.workers = 2;
	}
	if (opt.workers > opt.conns && opt.conns > 0)
		opt.workers = opt.conns;
	if (opt.workers > BENCH_MAX_WORKERS)
		die("at most %d workers", BENCH_MAX_WORKERS);
	if (opt.per_source > 0 &&
	    (opt.conns + opt.per_source - 1) / opt.per_source > 250)
		die("more than 250 source addresses needed; raise "
		    "--per-source");
	if (opt.connect_port > 0 && opt.statedir == NULL &&
	    opt.scen == SCEN_PROVISION)
		die("provision needs --statedir");
}

/* ---- Instance ------------------------------------------------------- */

static void
remove_tree(const char *path)
{
	pid_t pid;
	int st;

	if ((pid = fork()) == 0) {
		execlp("rm", "rm", "-rf", "--", path, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, &st, 0);
}

static const char *
default_acapd(const char *argv0)
{
	static char path[BENCH_PATH_MAX + 32];
	char self[BENCH_PATH_MAX], *slash;
	ssize_t n;

	if (opt.acapd != NULL)
		return opt.acapd;
	if (getenv("ACAPD") != NULL)
		return getenv("ACAPD");
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL)
			*slash = '\0';
		snprintf(path, sizeof(path), "%s/../../acapd/acapd", self);
		if (access(path, X_OK) == 0)
			return path;
	}
	(void)argv0;
	return "acapd";
}

static bool
scenario_needs_settings(void)
{
	return opt.scen == SCEN_SETUP || opt.scen == SCEN_STORE ||
	    opt.scen == SCEN_FANOUT || opt.scen == SCEN_MIXED ||
	    opt.scen == SCEN_PROVISION || opt.context;
}

static void
instance_prepare(const char *argv0)
{
	struct bench_server_opts so;
	const char *err;

	if (opt.statedir != NULL) {
		snprintf(statedir_buf, sizeof(statedir_buf), "%s",
		    opt.statedir);
		if (mkdir(statedir_buf, 0700) == -1 && errno != EEXIST)
			die("%s: %s", statedir_buf, strerror(errno));
	} else {
		snprintf(statedir_buf, sizeof(statedir_buf),
		    "/tmp/acap-bench.XXXXXX");
		if (mkdtemp(statedir_buf) == NULL)
			die("mkdtemp: %s", strerror(errno));
		statedir_temp = true;
	}
	memset(&prov, 0, sizeof(prov));
	prov.statedir = statedir_buf;
	prov.users = opt.users;
	prov.groups = opt.groups;
	prov.attrs = opt.attrs;
	prov.depth = opt.depth;
	prov.user_prefix = "u";
	prov.pass_prefix = "pw-";
	prov.admin = opt.admin;
	prov.admin_pass = opt.admin_pass;
	prov.verbose = opt.verbose;
	if (opt.connect_port == 0 || opt.statedir != NULL) {
		note("provisioning %u users in %s/sasldb2", opt.users,
		    statedir_buf);
		if (bench_provision_users(&prov, &err) == -1)
			die("%s", err);
	}
	if (opt.connect_port > 0) {
		server_port = opt.connect_port;
		server_pid = opt.server_pid > 0 ? opt.server_pid : -1;
	} else {
		memset(&so, 0, sizeof(so));
		so.acapd = default_acapd(argv0);
		so.statedir = statedir_buf;
		so.admin = opt.admin;
		/* room for the admin connection next to a full address */
		so.per_ip = opt.per_source > 0 ? opt.per_source + 16 :
		    opt.conns + 16;
		so.extra = opt.extra;
		so.nextra = opt.nextra;
		so.cpu = opt.pin ? 0 : -1;
		note("starting %s", so.acapd);
		if (bench_server_start(&so, &server, &err) == -1)
			die("%s", err);
		server_port = bench_server_port(server);
		server_pid = bench_server_pid(server);
		note("acapd pid %d on 127.0.0.1:%d", (int)server_pid,
		    server_port);
	}
	if (scenario_needs_settings()) {
		note("provisioning settings (%u users, %u organisations, "
		    "%u extra attributes)", opt.users, opt.groups,
		    opt.attrs);
		if (bench_provision_settings(&prov, server_port, opt.tls,
		    &err) == -1)
			die("provisioning settings: %s", err);
	}
	/* workers must not inherit the admin connection */
	bench_provision_close();
}

static void
instance_finish(void)
{
	if (server != NULL) {
		int st = bench_server_stop(&server);

		if (st != 0 && !opt.json)
			fprintf(stderr, "acap-bench: acapd exited with "
			    "status %d\n", st);
	}
	if (statedir_temp && !opt.keep)
		remove_tree(statedir_buf);
	else if (statedir_temp)
		fprintf(stderr, "acap-bench: kept %s\n", statedir_buf);
}

/* The first three fields of /proc/loadavg (other work on the machine). */
static void
read_loadavg(char *buf, size_t size)
{
	FILE *fp;
	int n = 0;

	buf[0] = '\0';
	if ((fp = fopen("/proc/loadavg", "r")) == NULL)
		return;
	if (fgets(buf, (int)size, fp) != NULL) {
		char *p = buf;

		while (*p != '\0' && n < 3)
			if (*p++ == ' ')
				n++;
		if (n == 3)
			p[-1] = '\0';
	}
	fclose(fp);
}

static bool
server_sample(struct bench_proc_sample *s)
{
	if (server_pid <= 0)
		return false;
	if (bench_proc_sample(server_pid, s) == -1) {
		if (server != NULL && !bench_server_alive(server))
			die("acapd has exited");
		return false;
	}
	res.have_server = true;
	return true;
}

/* ---- Workers -------------------------------------------------------- */

/* Share of n for worker i of w (the first n % w get one more). */
static unsigned int
share(unsigned int n, unsigned int i, unsigned int w)
{
	return n / w + (i < n % w ? 1 : 0);
}

static void
workers_start(const struct bench_role *roles, size_t nroles)
{
	unsigned int i, first = 0;
	int sv[2];
	size_t r;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	nworkers = opt.workers;
	for (i = 0; i < nworkers; i++) {
		struct worker *wk = &workers[i];
		struct bench_load *l = &wk->load;
		unsigned int total = 0;

		memset(wk, 0, sizeof(*wk));
		memset(&l->server, 0, sizeof(l->server));
		l->server.sin_family = AF_INET;
		l->server.sin_port = htons((uint16_t)server_port);
		l->server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		l->per_source = opt.per_source;
		l->users = opt.users;
		l->user_prefix = prov.user_prefix;
		l->pass_prefix = prov.pass_prefix;
		l->tls = opt.tls;
		l->cram = opt.cram;
		l->concurrency = opt.concurrency;
		l->setup_timeout_ms = opt.setup_timeout * 1000;
		l->nroles = nroles;
		l->first_conn = first;
		for (r = 0; r < nroles; r++) {
			l->roles[r] = roles[r];
			l->roles[r].nconns = share(roles[r].nconns, i,
			    nworkers);
			if (roles[r].rate > 0 && roles[r].nconns > 0)
				l->roles[r].rate = roles[r].rate *
				    l->roles[r].nconns / roles[r].nconns;
			total += l->roles[r].nconns;
		}
		first += total;
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
		    sv) == -1)
			die("socketpair: %s", strerror(errno));
		fflush(NULL);
		if ((wk->pid = fork()) == -1)
			die("fork: %s", strerror(errno));
		if (wk->pid == 0) {
			unsigned int j;

			close(sv[0]);
			for (j = 0; j < i; j++)
				close(workers[j].fd);
			signal(SIGINT, SIG_IGN);
			signal(SIGTERM, SIG_DFL);
			if (opt.pin && ncpu > 1) {
				cpu_set_t set;
				long c;

				CPU_ZERO(&set);
				for (c = 1; c < ncpu; c++)
					CPU_SET((int)c, &set);
				(void)sched_setaffinity(0, sizeof(set), &set);
			}
			_exit(bench_client_worker(l, sv[1]));
		}
		close(sv[1]);
		wk->fd = sv[0];
	}
}

static void
workers_send(const void *msg, size_t len)
{
	unsigned int i;

	for (i = 0; i < nworkers; i++) {
		workers[i].answered = false;
		if (send(workers[i].fd, msg, len, MSG_NOSIGNAL) == -1)
			die("worker %u: %s", i, strerror(errno));
	}
}

typedef void gather_cb(unsigned int wi, const void *msg, size_t len);

/*
 * Wait until every worker has sent a message of this type (others are
 * dropped) or until timeout_ms; returns how many answered.
 */
static unsigned int
workers_gather(uint32_t type, int timeout_ms, gather_cb *cb)
{
	struct pollfd pfd[BENCH_MAX_WORKERS];
	unsigned int i, n, got = 0, map[BENCH_MAX_WORKERS];
	uint64_t deadline = bench_proc_now_ns() +
	    (uint64_t)timeout_ms * 1000000u;
	uint64_t now;
	ssize_t len;
	uint32_t t;

	for (i = 0; i < nworkers; i++)
		workers[i].answered = false;
	while (got < nworkers) {
		now = bench_proc_now_ns();
		if (now >= deadline || interrupted)
			break;
		for (i = 0, n = 0; i < nworkers; i++) {
			if (workers[i].answered)
				continue;
			pfd[n].fd = workers[i].fd;
			pfd[n].events = POLLIN;
			map[n++] = i;
		}
		if (poll(pfd, n, (int)((deadline - now) / 1000000u) + 1) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			if ((pfd[i].revents & (POLLIN | POLLHUP)) == 0)
				continue;
			len = recv(pfd[i].fd, msgbuf, sizeof(msgbuf), 0);
			if (len <= 0)
				die("worker %u died", map[i]);
			if ((size_t)len < sizeof(t))
				continue;
			memcpy(&t, msgbuf, sizeof(t));
			if (t != type)
				continue;
			workers[map[i]].answered = true;
			got++;
			if (cb != NULL)
				cb(map[i], msgbuf, (size_t)len);
		}
	}
	return got;
}

static void
workers_stop(void)
{
	uint32_t t = BENCH_MSG_QUIT;
	unsigned int i;
	int st;

	for (i = 0; i < nworkers; i++) {
		(void)send(workers[i].fd, &t, sizeof(t), MSG_NOSIGNAL);
		close(workers[i].fd);
	}
	for (i = 0; i < nworkers; i++) {
		if (waitpid(workers[i].pid, &st, 0) == -1 ||
		    !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			fprintf(stderr, "acap-bench: worker %u ended badly "
			    "(status %d)\n", i, st);
		workers[i].pid = 0;
	}
	nworkers = 0;
}

static void
on_ready(unsigned int wi, const void *msg, size_t len)
{
	struct bench_msg_ready m;

	(void)wi;
	if (len < sizeof(m))
		return;
	memcpy(&m, msg, sizeof(m));
	res.ready += m.ok;
	res.failed += m.failed;
	res.client_setup_cpu += m.cpu;
	if (res.error[0] == '\0' && m.error[0] != '\0')
		snprintf(res.error, sizeof(res.error), "%.*s",
		    (int)sizeof(m.error), m.error);
	if (bench_hist_decode_merge(res.setup_hist,
	    (const char *)msg + sizeof(m), len - sizeof(m)) == -1)
		die("bad READY message");
}

/* Start the workers and wait until every connection is set up. */
static void
connect_all(const struct bench_role *roles, size_t nroles)
{
	uint64_t t0;
	int timeout;

	t0 = bench_proc_now_ns();
	workers_start(roles, nroles);
	timeout = (int)(opt.setup_timeout * 1000 + opt.conns * 20u + 60000);
	note("connecting %u clients (%s) over %u workers", opt.conns,
	    opt.tls ? "TLS" : "plain", nworkers);
	if (workers_gather(BENCH_MSG_READY, timeout, on_ready) != nworkers)
		die("workers did not finish connecting");
	res.setup_s = (double)(bench_proc_now_ns() - t0) / 1e9;
	note("%u ready, %u failed in %.1f s", res.ready, res.failed,
	    res.setup_s);
	if (res.failed > 0)
		note("first failure: %s", res.error);
}

static void
on_report(unsigned int wi, const void *msg, size_t len)
{
	struct bench_msg_report m;
	struct bench_msg_role mr;
	size_t off, r;

	(void)wi;
	if (len < sizeof(m))
		die("bad REPORT message");
	memcpy(&m, msg, sizeof(m));
	res.client_cpu += m.cpu;
	res.lost += m.lost;
	if (res.run_error[0] == '\0' && m.error[0] != '\0')
		snprintf(res.run_error, sizeof(res.run_error), "%.*s",
		    (int)sizeof(m.error), m.error);
	off = sizeof(m);
	for (r = 0; r < m.nroles && r < res.nroles; r++) {
		struct role_result *rr = &res.roles[r];

		if (len - off < sizeof(mr))
			die("short REPORT message");
		memcpy(&mr, (const char *)msg + off, sizeof(mr));
		off += sizeof(mr);
		if (len - off < mr.hist_len ||
		    bench_hist_decode_merge(rr->hist, (const char *)msg + off,
		    mr.hist_len) == -1)
			die("bad histogram in REPORT message");
		off += mr.hist_len;
		if (len - off < mr.lag_len ||
		    bench_hist_decode_merge(rr->lag, (const char *)msg + off,
		    mr.lag_len) == -1)
			die("bad histogram in REPORT message");
		off += mr.lag_len;
		if (len - off < mr.svc_len ||
		    bench_hist_decode_merge(rr->svc, (const char *)msg + off,
		    mr.svc_len) == -1)
			die("bad histogram in REPORT message");
		off += mr.svc_len;
		rr->completed += mr.completed;
		rr->errors += mr.errors;
		rr->entries += mr.entries;
		rr->notifications += mr.notifications;
		rr->bytes_in += mr.bytes_in;
	}
}

static void
roles_init(const struct bench_role *roles, size_t nroles)
{
	size_t r;

	res.nroles = nroles;
	for (r = 0; r < nroles; r++) {
		res.roles[r].name = roles[r].name;
		res.roles[r].conns = roles[r].nconns;
		res.roles[r].rate = roles[r].rate;
		res.roles[r].hist = bench_hist_new();
		res.roles[r].lag = bench_hist_new();
		res.roles[r].svc = bench_hist_new();
	}
}

/* ---- Fan-out rounds ------------------------------------------------- */

static struct bench_hist *round_hist;
static unsigned int round_contexts, round_notified;

static void
on_fanout(unsigned int wi, const void *msg, size_t len)
{
	struct bench_msg_fanout m;

	(void)wi;
	if (len < sizeof(m))
		die("bad FANOUT message");
	memcpy(&m, msg, sizeof(m));
	round_contexts += m.contexts;
	round_notified += m.notified;
	if (bench_hist_decode_merge(round_hist, (const char *)msg + sizeof(m),
	    len - sizeof(m)) == -1)
		die("bad histogram in FANOUT message");
}

/* One STORE at the site layer, timed until every context saw it. */
static void
fanout_round(unsigned int k, int wait_ms)
{
	struct bench_msg_collect c;
	struct fanout_round *fr;
	char value[64];
	const char *err;
	uint32_t t = BENCH_MSG_ARM;
	uint64_t t0, t1;
	struct bench_proc_sample p0, p1;
	bool cpu = false;

	if (res.nrounds == BENCH_MAX_ROUNDS)
		return;
	workers_send(&t, sizeof(t));
	if (workers_gather(BENCH_MSG_ARMED, 10000, NULL) != nworkers)
		die("workers did not arm");
	snprintf(value, sizeof(value), "round %u", k);
	if (server_pid > 0)
		cpu = bench_proc_sample(server_pid, &p0) == 0;
	t0 = bench_proc_now_ns();
	if (bench_provision_store(&prov, server_port, opt.tls,
	    BENCH_SITE_DATASET BENCH_ENTRY, BENCH_FANOUT_ATTR, value,
	    &err) == -1)
		die("fan-out STORE: %s", err);
	t1 = bench_proc_now_ns();
	(void)workers_gather(BENCH_MSG_NOTIFIED, wait_ms, NULL);
	cpu = cpu && bench_proc_sample(server_pid, &p1) == 0;
	memset(&c, 0, sizeof(c));
	c.type = BENCH_MSG_COLLECT;
	c.t0_ns = t0;
	round_hist = bench_hist_new();
	round_contexts = round_notified = 0;
	workers_send(&c, sizeof(c));
	if (workers_gather(BENCH_MSG_FANOUT, 10000, on_fanout) != nworkers)
		die("workers did not report the fan-out");
	fr = &res.rounds[res.nrounds++];
	fr->contexts = round_contexts;
	fr->notified = round_notified;
	fr->store_ms = (double)(t1 - t0) / 1e6;
	fr->p50 = bench_hist_quantile(round_hist, 0.5);
	fr->p99 = bench_hist_quantile(round_hist, 0.99);
	fr->max = bench_hist_max(round_hist);
	fr->server_cpu_ms = cpu ? (p1.cpu_user + p1.cpu_sys - p0.cpu_user -
	    p0.cpu_sys) * 1e3 : -1;
	bench_hist_merge(res.fanout_hist, round_hist);
	bench_hist_free(&round_hist);
	note("fan-out %u: %u/%u contexts notified, last after %.1f ms "
	    "(STORE took %.1f ms)", k, fr->notified, fr->contexts,
	    (double)fr->max / 1e6, fr->store_ms);
}

/* ---- Scenarios ------------------------------------------------------ */

static void
on_pong(unsigned int wi, const void *msg, size_t len)
{
	struct bench_msg_pong m;

	(void)wi;
	if (len < sizeof(m))
		return;
	memcpy(&m, msg, sizeof(m));
	res.alive += m.alive;
	res.dead += m.dead;
	res.lost_idle += m.lost;
}

static void
scen_idle(void)
{
	struct bench_role role;
	uint32_t t = BENCH_MSG_PING;
	uint64_t inuse;

	memset(&role, 0, sizeof(role));
	role.name = "idle";
	role.nconns = opt.conns;
	role.context_cmd = opt.context ? opt.ctx : NULL;
	roles_init(&role, 1);
	server_sample(&res.base);
	(void)bench_proc_tcp_mem(&res.tcp_base_kb, &inuse);
	(void)bench_proc_slab(&res.slab_base_kb);
	connect_all(&role, 1);
	server_sample(&res.connected);
	(void)bench_proc_tcp_mem(&res.tcp_conn_kb, &inuse);
	note("holding %u connections for %.0f s", res.ready, opt.hold);
	sleep_until(bench_proc_now_ns() + secs_ns(opt.hold));
	server_sample(&res.held);
	(void)bench_proc_tcp_mem(&res.tcp_held_kb, &inuse);
	(void)bench_proc_slab(&res.slab_held_kb);
	/* every connection answers a NOOP: the held ones are real */
	workers_send(&t, sizeof(t));
	res.pinged = true;
	if (workers_gather(BENCH_MSG_PONG, 60000, on_pong) != nworkers)
		die("workers did not answer the liveness check");
	server_sample(&res.end);
	if (res.lost_idle > 0)
		fprintf(stderr, "acap-bench: warning: the server closed %u "
		    "connections during the hold (see %s)\n", res.lost_idle,
		    server != NULL ? bench_server_log(server) : "its log");
}

static void
run_window(uint64_t *start_r, uint64_t *end_r)
{
	struct bench_msg_run m;
	uint64_t now = bench_proc_now_ns();

	memset(&m, 0, sizeof(m));
	m.type = BENCH_MSG_RUN;
	m.start_ns = now + secs_ns(opt.warmup);
	m.end_ns = m.start_ns + secs_ns(opt.duration);
	*start_r = m.start_ns;
	*end_r = m.end_ns;
	res.window_s = opt.duration;
	workers_send(&m, sizeof(m));
}

static void
collect_reports(uint64_t end)
{
	uint64_t now = bench_proc_now_ns();
	int timeout = 30000 + (end > now ? (int)((end - now) / 1000000u) : 0);

	if (workers_gather(BENCH_MSG_REPORT, timeout, on_report) != nworkers)
		die("workers did not report");
}

static void
scen_load(void)
{
	struct bench_role role;
	uint64_t start, end;

	memset(&role, 0, sizeof(role));
	role.name = opt.scen == SCEN_SETUP ? "setup" : "store";
	role.nconns = opt.conns;
	role.context_cmd = opt.context ? opt.ctx : NULL;
	role.request = opt.scen == SCEN_SETUP ? opt.query : opt.store;
	role.rate = opt.rate;
	role.pipeline = opt.pipeline;
	roles_init(&role, 1);
	server_sample(&res.base);
	connect_all(&role, 1);
	server_sample(&res.connected);
	if (res.ready == 0)
		die("no connection could be set up: %s", res.error);
	note("%s: %.0f s warm-up, %.0f s measured", role.name, opt.warmup,
	    opt.duration);
	run_window(&start, &end);
	sleep_until(start);
	server_sample(&res.run0);
	sleep_until(end);
	server_sample(&res.run1);
	collect_reports(end);
	server_sample(&res.end);
}

static void
scen_fanout(void)
{
	struct bench_role role;
	unsigned int k;

	memset(&role, 0, sizeof(role));
	role.name = "idle";
	role.nconns = opt.conns;
	role.context_cmd = opt.ctx;
	roles_init(&role, 1);
	server_sample(&res.base);
	connect_all(&role, 1);
	server_sample(&res.connected);
	if (res.ready == 0)
		die("no connection could be set up: %s", res.error);
	for (k = 1; k <= opt.rounds && !interrupted; k++) {
		server_sample(&res.run0);
		fanout_round(k, 10000);
		server_sample(&res.run1);
		if (k < opt.rounds)
			sleep_until(bench_proc_now_ns() +
			    secs_ns(opt.interval));
	}
	server_sample(&res.end);
}

static void
take_sample(uint64_t t_begin)
{
	struct sample *s;
	uint64_t inuse;

	if (res.nsamples == BENCH_MAX_SAMPLES)
		return;
	s = &res.samples[res.nsamples];
	if (!server_sample(&s->s))
		return;
	(void)bench_proc_tcp_mem(&s->tcp_kb, &inuse);
	s->t = (double)(s->s.t_ns - t_begin) / 1e9;
	res.nsamples++;
}

static void
scen_mixed(void)
{
	struct bench_role roles[3];
	unsigned int total = opt.mix[0] + opt.mix[1] + opt.mix[2], k = 0;
	uint64_t start, end, t_begin, next_sample, next_fanout, now;

	memset(roles, 0, sizeof(roles));
	roles[0].name = "idle";
	roles[0].nconns = (unsigned int)((uint64_t)opt.conns * opt.mix[0] /
	    total);
	roles[0].context_cmd = opt.context ? opt.ctx : NULL;
	roles[1].name = "setup";
	roles[1].nconns = (unsigned int)((uint64_t)opt.conns * opt.mix[1] /
	    total);
	roles[1].request = opt.query;
	roles[1].rate = opt.rate > 0 ? opt.rate : 1000;
	roles[1].pipeline = 1;
	roles[2].name = "store";
	roles[2].nconns = opt.conns - roles[0].nconns - roles[1].nconns;
	roles[2].request = opt.store;
	roles[2].rate = opt.store_rate > 0 ? opt.store_rate : 100;
	roles[2].pipeline = 1;
	roles_init(roles, 3);
	server_sample(&res.base);
	connect_all(roles, 3);
	server_sample(&res.connected);
	if (res.ready == 0)
		die("no connection could be set up: %s", res.error);
	run_window(&start, &end);
	t_begin = bench_proc_now_ns();
	take_sample(t_begin);
	sleep_until(start);
	server_sample(&res.run0);
	next_sample = start;
	next_fanout = start + secs_ns(opt.interval) / 2;
	while (!interrupted && (now = bench_proc_now_ns()) < end) {
		if (now >= next_sample) {
			take_sample(t_begin);
			next_sample += secs_ns(opt.sample);
		}
		if (opt.context && opt.interval > 0 && now >= next_fanout &&
		    roles[0].nconns > 0) {
			fanout_round(++k, 5000);
			next_fanout += secs_ns(opt.interval);
			continue;
		}
		sleep_until(next_sample < end ? next_sample : end);
	}
	take_sample(t_begin);
	server_sample(&res.run1);
	collect_reports(end);
	server_sample(&res.end);
}

/* ---- Output --------------------------------------------------------- */

/* Connections open when the "held" sample was taken. */
static unsigned int
held_conns(void)
{
	return res.ready > res.lost_idle ? res.ready - res.lost_idle : 0;
}

static double
kib_per(uint64_t after_kb, uint64_t before_kb, unsigned int n)
{
	if (n == 0)
		return 0.0;
	return ((double)after_kb - (double)before_kb) / n;
}

static double
cpu_of(const struct bench_proc_sample *s)
{
	return s->cpu_user + s->cpu_sys;
}

/* Least-squares slope of RSS over the samples past warm-up, KiB/min. */
static double
rss_slope(void)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0, n = 0, x, y;
	size_t i;

	for (i = 0; i < res.nsamples; i++) {
		if (res.samples[i].t < opt.warmup)
			continue;
		x = res.samples[i].t / 60.0;
		y = (double)res.samples[i].s.rss_kb;
		sx += x;
		sy += y;
		sxx += x * x;
		sxy += x * y;
		n++;
	}
	if (n < 2 || n * sxx - sx * sx == 0)
		return 0.0;
	return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

static void
json_hist(struct bench_json *j, const char *key, const struct bench_hist *h)
{
	bench_json_open(j, key);
	bench_json_uint(j, "count", bench_hist_count(h));
	bench_json_num(j, "mean_ms", bench_hist_mean(h) / 1e6);
	bench_json_num(j, "min_ms", (double)bench_hist_min(h) / 1e6);
	bench_json_num(j, "p50_ms", (double)bench_hist_quantile(h, 0.5) / 1e6);
	bench_json_num(j, "p90_ms", (double)bench_hist_quantile(h, 0.9) / 1e6);
	bench_json_num(j, "p99_ms",
	    (double)bench_hist_quantile(h, 0.99) / 1e6);
	bench_json_num(j, "p999_ms",
	    (double)bench_hist_quantile(h, 0.999) / 1e6);
	bench_json_num(j, "max_ms", (double)bench_hist_max(h) / 1e6);
	bench_json_close(j);
}

static void
json_sample(struct bench_json *j, const char *key,
    const struct bench_proc_sample *s)
{
	bench_json_open(j, key);
	bench_json_uint(j, "rss_kb", s->rss_kb);
	bench_json_uint(j, "rss_anon_kb", s->rss_anon_kb);
	bench_json_uint(j, "pss_kb", s->pss_kb);
	bench_json_uint(j, "hwm_kb", s->hwm_kb);
	bench_json_num(j, "cpu_s", cpu_of(s));
	bench_json_uint(j, "fds", s->fds);
	bench_json_close(j);
}

static void
print_json(void)
{
	struct bench_json *j = bench_json_new();
	double srv_cpu = cpu_of(&res.run1) - cpu_of(&res.run0);
	char la[64];
	size_t i;

	bench_json_open(j, NULL);
	bench_json_str(j, "scenario", scenario_names[opt.scen]);
	if (opt.label != NULL)
		bench_json_str(j, "label", opt.label);
	bench_json_open(j, "config");
	bench_json_uint(j, "connections", opt.conns);
	bench_json_uint(j, "workers", nworkers > 0 ? nworkers : opt.workers);
	bench_json_uint(j, "users", opt.users);
	bench_json_uint(j, "groups", opt.groups);
	bench_json_uint(j, "attrs", opt.attrs);
	bench_json_uint(j, "depth", opt.depth);
	bench_json_bool(j, "tls", opt.tls);
	bench_json_str(j, "mech", opt.cram ? "CRAM-MD5" : "PLAIN");
	bench_json_bool(j, "context", opt.context);
	bench_json_num(j, "duration_s", opt.duration);
	bench_json_num(j, "warmup_s", opt.warmup);
	bench_json_num(j, "rate", opt.rate);
	bench_json_uint(j, "pipeline", opt.pipeline);
	bench_json_uint(j, "per_source", opt.per_source);
	bench_json_bool(j, "pinned", opt.pin);
	bench_json_uint(j, "cpus", (uint64_t)sysconf(_SC_NPROCESSORS_ONLN));
	bench_json_close(j);
	bench_json_str(j, "loadavg_start", loadavg_start);
	read_loadavg(la, sizeof(la));
	bench_json_str(j, "loadavg_end", la);
	bench_json_open(j, "setup");
	bench_json_uint(j, "ready", res.ready);
	bench_json_uint(j, "failed", res.failed);
	bench_json_num(j, "seconds", res.setup_s);
	bench_json_num(j, "client_cpu_s", res.client_setup_cpu);
	json_hist(j, "connect_to_ready", res.setup_hist);
	bench_json_str(j, "first_error", res.error);
	bench_json_close(j);
	if (res.have_server) {
		bench_json_open(j, "server");
		bench_json_uint(j, "pid", (uint64_t)server_pid);
		json_sample(j, "before", &res.base);
		json_sample(j, "connected", &res.connected);
		if (opt.scen == SCEN_IDLE)
			json_sample(j, "held", &res.held);
		json_sample(j, "end", &res.end);
		bench_json_num(j, "setup_cpu_s",
		    cpu_of(&res.connected) - cpu_of(&res.base));
		if (opt.scen != SCEN_IDLE) {
			bench_json_num(j, "window_cpu_s", srv_cpu);
			bench_json_num(j, "window_cpu_pct", res.window_s > 0 ?
			    100.0 * srv_cpu / res.window_s : 0);
		}
		bench_json_close(j);
	}
	if (opt.scen == SCEN_IDLE) {
		const struct bench_proc_sample *h = &res.held;

		bench_json_open(j, "idle");
		bench_json_num(j, "hold_s", opt.hold);
		bench_json_num(j, "rss_kib_per_conn",
		    kib_per(h->rss_kb, res.base.rss_kb, held_conns()));
		bench_json_num(j, "anon_kib_per_conn",
		    kib_per(h->rss_anon_kb, res.base.rss_anon_kb,
		    held_conns()));
		bench_json_num(j, "pss_kib_per_conn",
		    kib_per(h->pss_kb, res.base.pss_kb, held_conns()));
		bench_json_num(j, "kernel_tcp_kib_per_socket",
		    kib_per(res.tcp_held_kb, res.tcp_base_kb,
		    2 * held_conns()));
		bench_json_num(j, "kernel_slab_kib_per_conn",
		    kib_per(res.slab_held_kb, res.slab_base_kb, held_conns()));
		bench_json_uint(j, "held", held_conns());
		bench_json_uint(j, "alive", res.alive);
		bench_json_uint(j, "dead", res.dead);
		bench_json_uint(j, "closed_by_server", res.lost_idle);
		bench_json_close(j);
	}
	if (res.nroles > 0 && opt.scen != SCEN_IDLE &&
	    opt.scen != SCEN_FANOUT) {
		bench_json_open_array(j, "roles");
		for (i = 0; i < res.nroles; i++) {
			const struct role_result *r = &res.roles[i];

			bench_json_open(j, NULL);
			bench_json_str(j, "role", r->name);
			bench_json_uint(j, "connections", r->conns);
			bench_json_num(j, "target_rate", r->rate);
			bench_json_uint(j, "completed", r->completed);
			bench_json_uint(j, "errors", r->errors);
			bench_json_num(j, "throughput", res.window_s > 0 ?
			    (double)r->completed / res.window_s : 0);
			bench_json_num(j, "entries_per_response",
			    r->completed > 0 ? (double)r->entries /
			    (double)r->completed : 0);
			bench_json_uint(j, "notifications", r->notifications);
			bench_json_uint(j, "bytes_in", r->bytes_in);
			json_hist(j, "latency", r->hist);
			if (r->rate > 0) {
				json_hist(j, "send_lag", r->lag);
				json_hist(j, "service", r->svc);
			}
			bench_json_close(j);
		}
		bench_json_close_array(j);
		bench_json_num(j, "client_cpu_s", res.client_cpu);
		bench_json_uint(j, "lost", res.lost);
		bench_json_str(j, "first_error", res.run_error);
		if (opt.scen != SCEN_MIXED && res.roles[0].completed > 0)
			bench_json_num(j, "server_cpu_us_per_request",
			    srv_cpu * 1e6 / (double)res.roles[0].completed);
	}
	if (res.nrounds > 0) {
		bench_json_open_array(j, "fanout");
		for (i = 0; i < res.nrounds; i++) {
			const struct fanout_round *fr = &res.rounds[i];

			bench_json_open(j, NULL);
			bench_json_uint(j, "contexts", fr->contexts);
			bench_json_uint(j, "notified", fr->notified);
			bench_json_num(j, "store_ms", fr->store_ms);
			bench_json_num(j, "p50_ms", (double)fr->p50 / 1e6);
			bench_json_num(j, "p99_ms", (double)fr->p99 / 1e6);
			bench_json_num(j, "last_ms", (double)fr->max / 1e6);
			if (fr->server_cpu_ms >= 0 && fr->notified > 0) {
				bench_json_num(j, "server_cpu_ms",
				    fr->server_cpu_ms);
				bench_json_num(j, "server_cpu_us_per_context",
				    fr->server_cpu_ms * 1e3 / fr->notified);
			}
			bench_json_close(j);
		}
		bench_json_close_array(j);
		json_hist(j, "fanout_delay", res.fanout_hist);
	}
	if (res.nsamples > 0) {
		bench_json_num(j, "rss_slope_kib_per_min", rss_slope());
		bench_json_open_array(j, "samples");
		for (i = 0; i < res.nsamples; i++) {
			const struct sample *s = &res.samples[i];

			bench_json_open(j, NULL);
			bench_json_num(j, "t", s->t);
			bench_json_uint(j, "rss_kb", s->s.rss_kb);
			bench_json_uint(j, "rss_anon_kb", s->s.rss_anon_kb);
			bench_json_num(j, "cpu_s", cpu_of(&s->s));
			bench_json_uint(j, "tcp_kb", s->tcp_kb);
			bench_json_close(j);
		}
		bench_json_close_array(j);
	}
	bench_json_close(j);
	fputs(bench_json_text(j), stdout);
	bench_json_free(&j);
}

static void
text_hist(const char *what, const struct bench_hist *h)
{
	printf("  %s: p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms "
	    "(mean %.3f ms, n=%llu)\n", what,
	    (double)bench_hist_quantile(h, 0.5) / 1e6,
	    (double)bench_hist_quantile(h, 0.99) / 1e6,
	    (double)bench_hist_quantile(h, 0.999) / 1e6,
	    (double)bench_hist_max(h) / 1e6, bench_hist_mean(h) / 1e6,
	    (unsigned long long)bench_hist_count(h));
}

static void
print_text(void)
{
	double srv_cpu = cpu_of(&res.run1) - cpu_of(&res.run0);
	size_t i;

	printf("acap-bench %s: %u connections (%s, %s%s) over %u workers, "
	    "%u source address%s\n", scenario_names[opt.scen], opt.conns,
	    opt.tls ? "TLS" : "no TLS", opt.cram ? "CRAM-MD5" : "PLAIN",
	    opt.context ? ", NOTIFY context" : "", opt.workers,
	    opt.per_source > 0 ? (opt.conns + opt.per_source - 1) /
	    opt.per_source : 1, opt.per_source > 0 && opt.conns >
	    opt.per_source ? "es" : "");
	if (opt.label != NULL)
		printf("  label: %s\n", opt.label);
	printf("  load average at the start: %s\n", loadavg_start);
	printf("  set-up: %u ready, %u failed in %.1f s (%.0f/s)\n",
	    res.ready, res.failed, res.setup_s, res.setup_s > 0 ?
	    res.ready / res.setup_s : 0);
	if (res.error[0] != '\0')
		printf("  first set-up failure: %s\n", res.error);
	text_hist("connect to ready", res.setup_hist);
	if (res.have_server)
		printf("  acapd: RSS %.1f MiB before, %.1f MiB connected; "
		    "set-up CPU %.2f s (%.0f us per connection)\n",
		    res.base.rss_kb / 1024.0, res.connected.rss_kb / 1024.0,
		    cpu_of(&res.connected) - cpu_of(&res.base),
		    res.ready > 0 ? 1e6 * (cpu_of(&res.connected) -
		    cpu_of(&res.base)) / res.ready : 0);
	if (opt.scen == SCEN_IDLE) {
		const struct bench_proc_sample *h = &res.held;

		if (res.have_server) {
			printf("  after %.0f s: RSS %.1f MiB (peak %.1f MiB)\n",
			    opt.hold, h->rss_kb / 1024.0,
			    h->hwm_kb / 1024.0);
			printf("  per connection: %.2f KiB RSS, %.2f KiB "
			    "anonymous, %.2f KiB PSS\n",
			    kib_per(h->rss_kb, res.base.rss_kb, held_conns()),
			    kib_per(h->rss_anon_kb, res.base.rss_anon_kb,
			    held_conns()), kib_per(h->pss_kb, res.base.pss_kb,
			    held_conns()));
		}
		printf("  kernel: TCP buffers %.2f KiB per socket; slab %.2f "
		    "KiB per connection (both ends, whole machine)\n",
		    kib_per(res.tcp_held_kb, res.tcp_base_kb,
		    2 * held_conns()), kib_per(res.slab_held_kb,
		    res.slab_base_kb, held_conns()));
		printf("  liveness: %u answered NOOP, %u did not, %u closed "
		    "by the server during the hold\n", res.alive, res.dead,
		    res.lost_idle);
	}
	if (opt.scen == SCEN_SETUP || opt.scen == SCEN_STORE ||
	    opt.scen == SCEN_MIXED) {
		for (i = 0; i < res.nroles; i++) {
			const struct role_result *r = &res.roles[i];

			if (r->conns == 0 || (opt.scen == SCEN_MIXED &&
			    i == 0))
				continue;
			printf("  %s (%u connections, %s): %llu requests, "
			    "%.0f/s, %llu errors, %.1f responses each\n",
			    r->name, r->conns, r->rate > 0 ? "open loop" :
			    "closed loop", (unsigned long long)r->completed,
			    res.window_s > 0 ? r->completed / res.window_s :
			    0, (unsigned long long)r->errors, r->completed > 0 ?
			    (double)r->entries / r->completed : 0);
			text_hist("latency", r->hist);
			if (r->rate > 0) {
				text_hist("send lag (client side)", r->lag);
				text_hist("service (sent to reply)", r->svc);
			}
		}
		if (res.have_server && res.window_s > 0)
			printf("  acapd CPU: %.0f%% of one core; RSS %.1f "
			    "MiB at the end\n", 100.0 * srv_cpu /
			    res.window_s, res.end.rss_kb / 1024.0);
		if (opt.scen != SCEN_MIXED && res.roles[0].completed > 0 &&
		    res.have_server)
			printf("  acapd CPU per request: %.1f us\n",
			    srv_cpu * 1e6 / res.roles[0].completed);
		printf("  client CPU: %.0f%% of one core (%u workers)\n",
		    res.window_s > 0 ? 100.0 * res.client_cpu /
		    res.window_s : 0, opt.workers);
		if (res.lost > 0 || res.run_error[0] != '\0')
			printf("  lost connections: %llu; first error: %s\n",
			    (unsigned long long)res.lost, res.run_error);
	}
	for (i = 0; i < res.nrounds; i++) {
		const struct fanout_round *fr = &res.rounds[i];

		printf("  fan-out %zu: %u of %u contexts notified; p50 %.1f ms,"
		    " p99 %.1f ms, last %.1f ms; STORE %.1f ms", i + 1,
		    fr->notified, fr->contexts, (double)fr->p50 / 1e6,
		    (double)fr->p99 / 1e6, (double)fr->max / 1e6,
		    fr->store_ms);
		if (fr->server_cpu_ms >= 0 && fr->notified > 0)
			printf("; acapd CPU %.0f ms (%.1f us per context)",
			    fr->server_cpu_ms,
			    fr->server_cpu_ms * 1e3 / fr->notified);
		printf("\n");
	}
	if (res.nrounds > 1)
		text_hist("fan-out delay, all rounds", res.fanout_hist);
	if (res.nsamples > 1) {
		printf("  acapd RSS: %.1f MiB first sample, %.1f MiB last, "
		    "slope %.1f KiB/min after warm-up\n",
		    res.samples[0].s.rss_kb / 1024.0,
		    res.samples[res.nsamples - 1].s.rss_kb / 1024.0,
		    rss_slope());
	}
}

/* ---- Main ----------------------------------------------------------- */

int
main(int argc, char *argv[])
{
	struct rlimit rl;
	struct sigaction sa;
	size_t r;

	parse_options(argc, argv);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	res.setup_hist = bench_hist_new();
	res.fanout_hist = bench_hist_new();
	read_loadavg(loadavg_start, sizeof(loadavg_start));
	instance_prepare(argv[0]);
	switch (opt.scen) {
	case SCEN_IDLE:
		scen_idle();
		break;
	case SCEN_SETUP:
	case SCEN_STORE:
		scen_load();
		break;
	case SCEN_FANOUT:
		scen_fanout();
		break;
	case SCEN_MIXED:
		scen_mixed();
		break;
	case SCEN_PROVISION:
		break;
	}
	if (nworkers > 0)
		workers_stop();
	bench_provision_close();
	if (opt.scen != SCEN_PROVISION) {
		if (opt.json)
			print_json();
		else
			print_text();
	}
	instance_finish();
	for (r = 0; r < res.nroles; r++) {
		bench_hist_free(&res.roles[r].hist);
		bench_hist_free(&res.roles[r].lag);
		bench_hist_free(&res.roles[r].svc);
	}
	bench_hist_free(&res.setup_hist);
	bench_hist_free(&res.fanout_hist);
	free(opt.extra);
	return interrupted ? 130 : 0;
}
