/*
 * main.c -- acapd start-up: options, configuration, the privileged steps
 * (raise the fd limit, bind, load keys, open the database), privilege
 * drop, signals, and the event loop.  Owns the listeners and `srv`.
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "config.h"
#include "conn.h"
#include "discovery.h"
#include "enrol.h"
#include "bounds.h"
#include "http.h"
#include "log.h"
#include "metrics-http.h"
#include "sasl-sql.h"
#include "server.h"
#include "startup.h"

#define DEFAULT_CONFIG SYSCONFDIR "/acapd.conf"

static struct server server_state;
static const char *config_path = DEFAULT_CONFIG;
static bool config_explicit;
static char **overrides;
static size_t noverrides;

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: acapd [-dtVh] [-f config] [-o name=value] [-l listen]\n"
	    "             [-s statedir] [--copy-to postgresql://...]\n"
	    "  -f FILE        configuration file (default %s)\n"
	    "  -o NAME=VALUE  override one configuration option\n"
	    "  -l LISTEN      listen addresses, e.g. \"127.0.0.1:674 [::1]:674\"\n"
	    "  -s DIR         state directory (database, sasldb, keys)\n"
	    "  -d             debug logging\n"
	    "  -t             check the configuration and exit\n"
	    "  --copy-to URI  copy the SQLite database into the empty\n"
	    "                 PostgreSQL database URI and exit\n"
	    "  -V             print the version and exit\n"
	    "  -h             this help\n", DEFAULT_CONFIG);
	exit(status);
}

static void
add_override(const char *name, const char *value)
{
	char **n;

	n = realloc(overrides, (noverrides + 1) * sizeof(*overrides));
	if (n == NULL)
		fatal("out of memory");
	overrides = n;
	if (value != NULL) {
		if (asprintf(&overrides[noverrides], "%s=%s", name, value) == -1)
			fatal("out of memory");
	} else if ((overrides[noverrides] = strdup(name)) == NULL)
		fatal("out of memory");
	noverrides++;
}

static int
log_level_from_name(const char *name)
{
	if (strcmp(name, "error") == 0)
		return LOG_ERR;
	if (strcmp(name, "warning") == 0)
		return LOG_WARNING;
	if (strcmp(name, "debug") == 0)
		return LOG_DEBUG;
	return LOG_INFO;
}

static int
load_config(struct config *c, char *errbuf, size_t errlen)
{
	if (config_load(c, config_path, !config_explicit, overrides,
	    noverrides, errbuf, errlen) == -1)
		return -1;
	if (strcmp(c->log_level, "error") != 0 &&
	    strcmp(c->log_level, "warning") != 0 &&
	    strcmp(c->log_level, "info") != 0 &&
	    strcmp(c->log_level, "debug") != 0) {
		snprintf(errbuf, errlen, "option log_level: \"%s\" is not "
		    "error, warning, info or debug", c->log_level);
		return -1;
	}
	if (strcmp(c->tls_min_protocol, "TLSv1.2") != 0 &&
	    strcmp(c->tls_min_protocol, "TLSv1.3") != 0) {
		snprintf(errbuf, errlen, "option tls_min_protocol: \"%s\" is "
		    "not TLSv1.2 or TLSv1.3", c->tls_min_protocol);
		return -1;
	}
	if (metrics_http_check(c->metrics_listen, errbuf, errlen) == -1)
		return -1;
	if ((c->tls_cert[0] == '\0') != (c->tls_key[0] == '\0')) {
		snprintf(errbuf, errlen,
		    "options tls_cert and tls_key go together");
		return -1;
	}
	config_finish(c);
	return 0;
}

/*
 * Accept control.  Over max_connections acapd goes on accepting and
 * refuses each new connection with a BYE greeting (conn_accept()).  So
 * that a flood of those cannot starve the clients being served, at most
 * LIM_REFUSE_BURST are refused before the listeners pause for
 * LIM_REFUSE_PAUSE_MS.  When accept() itself fails (EMFILE, ENFILE,
 * ENOBUFS...) the listening socket stays readable, so the listeners pause
 * for LIM_ACCEPT_RETRY_MS rather than spin; the clients wait in the
 * listen backlog meanwhile.
 */
static struct event *accept_timer;
static unsigned int accept_refusals;	/* refused since the last pause */
static unsigned int accept_failures;	/* accept() errors in a row */

static void
accept_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	size_t i;

	(void)fd;
	(void)what;
	(void)arg;
	if (srv->shutting_down || !srv->accept_paused)
		return;
	for (i = 0; i < srv->nlisteners; i++)
		evconnlistener_enable(srv->listeners[i]);
	srv->accept_paused = false;
}

static void
accept_pause(unsigned int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	size_t i;

	for (i = 0; i < srv->nlisteners; i++)
		evconnlistener_disable(srv->listeners[i]);
	srv->accept_paused = true;
	accept_refusals = 0;
	evtimer_add(accept_timer, &tv);
}

static void
listener_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	(void)l;
	(void)arg;
	if (accept_failures > 0) {
		log_info("accept works again (after %u failed attempts)",
		    accept_failures);
		accept_failures = 0;
	}
	if (!conn_accept(fd, sa, (socklen_t)salen) &&
	    ++accept_refusals >= LIM_REFUSE_BURST)
		accept_pause(LIM_REFUSE_PAUSE_MS);
}

static void
listener_error_cb(struct evconnlistener *l, void *arg)
{
	int e = EVUTIL_SOCKET_ERROR();

	(void)arg;
	(void)l;
	/* Logged once: the retries may go on for as long as it lasts. */
	if (accept_failures++ == 0)
		log_warn("accept: %s: retrying every %u ms",
		    evutil_socket_error_to_string(e), LIM_ACCEPT_RETRY_MS);
	accept_pause(LIM_ACCEPT_RETRY_MS);
}

/*
 * Serve the listening socket fd (non-blocking, close-on-exec): log it and
 * add "ADDRESS PORT" to the port file.  what names it in messages.
 */
static void
add_listener(int fd, const char *what, const char *how, FILE *portfp)
{
	char addr[INET6_ADDRSTRLEN] = "?";
	struct evconnlistener *l;
	unsigned int bound;
	int family;

	if (srv->nlisteners == SERVER_MAX_LISTENERS)
		fatal("too many listen addresses");
	bound = server_sockname(fd, &family, addr, sizeof(addr));
	l = evconnlistener_new(srv->base, listener_cb, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (l == NULL)
		fatal("cannot create listener for %s", what);
	evconnlistener_set_error_cb(l, listener_error_cb);
	srv->listeners[srv->nlisteners++] = l;
	log_info("listening on %s%s%s:%u%s", family == AF_INET6 ? "[" :
	    "", addr, family == AF_INET6 ? "]" : "", bound, how);
	if (portfp != NULL)
		fprintf(portfp, "%s %u\n", addr, bound);
}

/*
 * Socket activation, the protocol of sd_listen_fds(3) without libsystemd:
 * when LISTEN_PID is our process id, LISTEN_FDS listening sockets were
 * passed from descriptor 3 on (acapd.socket, Accept=no).  They replace
 * the "listen" addresses.  The variables are removed so that nothing
 * acapd runs inherits them.  Returns the number of sockets taken.
 */
#define LISTEN_FDS_START	3

static int
activated_listeners(FILE *portfp)
{
	const char *pid_s = getenv("LISTEN_PID"), *n_s = getenv("LISTEN_FDS");
	char what[64], how[64], *end;
	long pid, n, i;
	int fd, type, acc;
	socklen_t len;
	struct sockaddr_storage ss;

	if (pid_s == NULL || n_s == NULL)
		return 0;
	errno = 0;
	pid = strtol(pid_s, &end, 10);
	if (errno != 0 || end == pid_s || *end != '\0' || pid != getpid()) {
		log_info("LISTEN_PID=%s is not acapd's process id: ignoring "
		    "LISTEN_FDS", pid_s);
		n = 0;
	} else {
		n = strtol(n_s, &end, 10);
		if (end == n_s || *end != '\0' || n < 0 ||
		    n > SERVER_MAX_LISTENERS)
			fatal("socket activation: LISTEN_FDS=%s: not a number "
			    "of sockets from 0 to %d", n_s,
			    SERVER_MAX_LISTENERS);
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	for (i = 0; i < n; i++) {
		fd = LISTEN_FDS_START + (int)i;
		snprintf(what, sizeof(what), "descriptor %d", fd);
		len = sizeof(type);
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1)
			fatal("socket activation: %s: %s", what,
			    strerror(errno));
		len = sizeof(acc);
		if (type != SOCK_STREAM || getsockopt(fd, SOL_SOCKET,
		    SO_ACCEPTCONN, &acc, &len) == -1 || !acc)
			fatal("socket activation: %s is not a listening "
			    "stream socket (acapd.socket needs Accept=no)",
			    what);
		len = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1 ||
		    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
			fatal("socket activation: %s is not a TCP socket "
			    "(IPv4 or IPv6)", what);
		if (evutil_make_socket_nonblocking(fd) == -1 ||
		    evutil_make_socket_closeonexec(fd) == -1)
			fatal("socket activation: %s: %s", what,
			    strerror(errno));
		snprintf(how, sizeof(how), " (socket activation, "
		    "descriptor %d)", fd);
		add_listener(fd, what, how, portfp);
	}
	if (n > 0)
		log_info("%ld sockets passed by the service manager: the "
		    "\"listen\" option is not used", n);
	return (int)n;
}

static void
bind_listeners(FILE *portfp)
{
	char *specs, *spec, *save = NULL;
	char host[256], port[32];
	struct addrinfo hints, *res, *ai;
	int fd, one = 1, gai;

	if (activated_listeners(portfp) > 0)
		return;
	if ((specs = strdup(cfg->listen)) == NULL)
		fatal("out of memory");
	for (spec = strtok_r(specs, " \t,", &save); spec != NULL;
	    spec = strtok_r(NULL, " \t,", &save)) {
		/* RFC 2244 §2.1: port 674 */
		if (config_split_hostport(spec, "674", host, sizeof(host),
		    port, sizeof(port)) == -1)
			fatal("listen: cannot parse \"%s\"", spec);
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
		if ((gai = getaddrinfo(host[0] != '\0' ? host : NULL, port,
		    &hints, &res)) != 0)
			fatal("listen %s: %s", spec, gai_strerror(gai));
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			fd = socket(ai->ai_family, ai->ai_socktype |
			    SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
			if (fd == -1) {
				if (ai->ai_family == AF_INET6 &&
				    errno == EAFNOSUPPORT) {
					log_warn("listen %s: no IPv6 here",
					    spec);
					continue;
				}
				fatal("socket: %s", strerror(errno));
			}
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
			    sizeof(one));
			if (ai->ai_family == AF_INET6)
				setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
				    sizeof(one));
			if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
				if (ai->ai_family == AF_INET6 &&
				    (errno == EADDRNOTAVAIL ||
				    errno == EAFNOSUPPORT)) {
					log_warn("listen %s: %s (skipped)",
					    spec, strerror(errno));
					close(fd);
					continue;
				}
				fatal("bind %s: %s", spec, strerror(errno));
			}
			if (listen(fd, 1024) == -1)
				fatal("listen %s: %s", spec, strerror(errno));
			add_listener(fd, spec, "", portfp);
		}
		freeaddrinfo(res);
	}
	free(specs);
	if (srv->nlisteners == 0)
		fatal("no address to listen on");
}

/*
 * The effective max_connections: the configured value, never above what
 * the open-file limit allows (less the reserve).  At start-up and again
 * on SIGHUP; connections over a lowered cap stay, newcomers are refused
 * until the count is below it.
 */
static void
set_max_conns(bool startup)
{
	struct rlimit rl;
	size_t max;

	getrlimit(RLIMIT_NOFILE, &rl);
	max = rl.rlim_cur > LIM_FD_RESERVE ? rl.rlim_cur - LIM_FD_RESERVE :
	    1;
	if (cfg->max_connections != 0 && cfg->max_connections < max)
		max = cfg->max_connections;
	if (startup)
		log_info("open-file limit %llu: up to %zu connections",
		    (unsigned long long)rl.rlim_cur, max);
	else if (max != srv->max_conns)
		log_info("reload: up to %zu connections (were %zu)", max,
		    srv->max_conns);
	srv->max_conns = max;
}

static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("cannot raise the open-file limit: %s",
			    strerror(errno));
	}
	set_max_conns(true);
}

/*
 * The port file says "acapd is ready", and nothing else may: it exists
 * only while acapd serves.  A stale one (a crash) goes at start-up; the
 * file appears complete in one rename() once start-up has succeeded (a
 * reader never sees it empty or partial, and a fatal() before leaves
 * none); and it goes at exit, through exit() or a return from main().
 */
static char *portfile_published;

static void
portfile_remove(void)
{
	const char *path = portfile_published != NULL ? portfile_published :
	    cfg->portfile;

	if (path[0] != '\0' && unlink(path) == -1 && errno != ENOENT)
		log_warn("cannot remove the port file %s: %s", path,
		    strerror(errno));
}

static void
portfile_publish(const char *buf, size_t len)
{
	char *tmp;
	int fd, e = 0;

	if (asprintf(&tmp, "%s.%ld.tmp", cfg->portfile,
	    (long)getpid()) == -1 ||
	    (portfile_published = strdup(cfg->portfile)) == NULL)
		fatal("out of memory");
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1)
		fatal("port file %s: %s", tmp, strerror(errno));
	errno = 0;
	/* not a secret: 0644 in spite of main()'s umask 077 */
	if (fchmod(fd, 0644) == -1)
		e = errno;
	else if (write(fd, buf, len) != (ssize_t)len)
		e = errno != 0 ? errno : EIO;
	if (close(fd) == -1 && e == 0)
		e = errno;
	if (e == 0 && rename(tmp, cfg->portfile) == -1)
		e = errno;
	if (e != 0) {
		unlink(tmp);
		fatal("port file %s: %s", cfg->portfile, strerror(e));
	}
	free(tmp);
	atexit(portfile_remove);
}

static void
drop_privileges(void)
{
	struct passwd *pw;
	struct group *gr;
	gid_t gid;

	if (cfg->user[0] == '\0') {
		if (geteuid() == 0)
			log_warn("running as root: set \"user\" in the "
			    "configuration to drop privileges");
		return;
	}
	if ((pw = getpwnam(cfg->user)) == NULL)
		fatal("user %s: no such user", cfg->user);
	gid = pw->pw_gid;
	if (cfg->group[0] != '\0') {
		if ((gr = getgrnam(cfg->group)) == NULL)
			fatal("group %s: no such group", cfg->group);
		gid = gr->gr_gid;
	}
	if (geteuid() != 0) {
		if (geteuid() != pw->pw_uid)
			fatal("cannot switch to user %s: not root", cfg->user);
		return;
	}
	if (setgroups(1, &gid) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
		fatal("cannot drop privileges to %s: %s", cfg->user,
		    strerror(errno));
	/* Refuse to run on as root if the switch did not stick. */
	if (geteuid() == 0 || getuid() == 0 || setuid(0) != -1)
		fatal("privilege drop to %s failed", cfg->user);
	log_info("running as user %s", cfg->user);
}

static void
signal_term_cb(evutil_socket_t sig, short what, void *arg)
{
	struct timeval tv = { 5, 0 };
	size_t i;

	(void)what;
	(void)arg;
	if (srv->shutting_down) {
		event_base_loopbreak(srv->base);
		return;
	}
	log_info("signal %d: shutting down", (int)sig);
	srv->shutting_down = true;
	for (i = 0; i < srv->nlisteners; i++)
		evconnlistener_disable(srv->listeners[i]);
	http_stop();
	conn_shutdown_all("Server shutting down");
	if (srv->nconns == 0)
		event_base_loopexit(srv->base, NULL);
	else
		event_base_loopexit(srv->base, &tv);	/* slow readers */
}

static void
signal_hup_cb(evutil_socket_t sig, short what, void *arg)
{
	struct config *n;
	char err[512];

	(void)sig;
	(void)what;
	(void)arg;
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return;
	if (load_config(n, err, sizeof(err)) == -1) {
		log_err("reload: %s; keeping the running configuration", err);
		config_clear(n);
		free(n);
		return;
	}
	if (strcmp(n->listen, cfg->listen) != 0 ||
	    strcmp(n->metrics_listen, cfg->metrics_listen) != 0 ||
	    strcmp(n->statedir, cfg->statedir) != 0 ||
	    strcmp(n->database, cfg->database) != 0)
		log_warn("reload: listen, metrics_listen, statedir and "
		    "database changes need a restart");
	if (strcmp(n->http_listen, cfg->http_listen) != 0 ||
	    strcmp(n->https_listen, cfg->https_listen) != 0 ||
	    n->http_max_body_size != cfg->http_max_body_size ||
	    n->http_timeout != cfg->http_timeout)
		log_warn("reload: http_listen, https_listen, "
		    "http_max_body_size and http_timeout changes need a "
		    "restart");
	startup_reload(n);
	config_clear(cfg);
	free(cfg);
	cfg = n;
	log_set_level(log_level_from_name(cfg->log_level));
	set_max_conns(false);
	conn_reconfigure_all();
	log_info("configuration reloaded");
}

int
main(int argc, char *argv[])
{
	struct event *ev_term, *ev_int, *ev_hup;
	bool test_only = false, debug = false;
	FILE *portfp = NULL;
	char *portbuf = NULL;
	size_t portlen = 0;
	char err[512];
	static const struct option longopts[] = {
		{ "copy-to", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 }
	};
	const char *copy_to = NULL;
	int ch;

	while ((ch = getopt_long(argc, argv, "df:hl:o:s:tV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'C':
			copy_to = optarg;
			break;
		case 'd':
			debug = true;
			break;
		case 'f':
			config_path = optarg;
			config_explicit = true;
			break;
		case 'h':
			usage(0);
		case 'l':
			add_override("listen", optarg);
			break;
		case 'o':
			add_override(optarg, NULL);
			break;
		case 's':
			add_override("statedir", optarg);
			break;
		case 't':
			test_only = true;
			break;
		case 'V':
			printf("acapd %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);

	log_init("acapd", false, debug ? LOG_DEBUG : LOG_INFO);
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		fatal("out of memory");
	if (load_config(cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "acapd: %s\n", err);
		return 1;
	}
	if (debug)
		add_override("log_level", "debug");
	log_set_level(debug ? LOG_DEBUG : log_level_from_name(cfg->log_level));
	if (test_only) {
		char **sql;
		const char *sqlerr;

		if (cfg->sasl_sql[0] != '\0') {
			if ((sql = sasl_sql_options(cfg->sasl_sql,
			    &sqlerr)) == NULL) {
				fprintf(stderr, "acapd: sasl_sql: %s\n",
				    sqlerr);
				return 1;
			}
			free(sql);
		}
		if (debug)
			config_dump(cfg, stdout);
		printf("acapd: configuration %s is valid\n",
		    config_explicit || access(config_path, F_OK) == 0 ?
		    config_path : "(defaults)");
		return 0;
	}
	if (copy_to != NULL) {
		int status = startup_copy_to(copy_to);

		config_clear(cfg);
		free(cfg);
		while (noverrides > 0)
			free(overrides[--noverrides]);
		free(overrides);
		return status;
	}
	log_init("acapd", cfg->syslog, log_get_level());
	signal(SIGPIPE, SIG_IGN);
	/*
	 * Whatever acapd creates is private unless it says otherwise: the
	 * database and the -wal and -shm files SQLite adds at any time.
	 */
	umask(077);

	srv = &server_state;
	TAILQ_INIT(&srv->conns);
	if ((srv->base = event_base_new()) == NULL ||
	    (accept_timer = evtimer_new(srv->base, accept_resume_cb,
	    NULL)) == NULL)
		fatal("cannot create the event base");

	raise_fd_limit();
	conn_log_caps();
	portfile_remove();	/* a stale one must not say "ready" */
	startup_statedir();
	/*
	 * The port file says "ready": collect it in memory and publish it
	 * only once start-up has succeeded (portfile_publish()).
	 */
	if (cfg->portfile[0] != '\0' &&
	    (portfp = open_memstream(&portbuf, &portlen)) == NULL)
		fatal("port file: %s", strerror(errno));
	bind_listeners(portfp);
	metrics_http_open();
	startup_open();		/* database, TLS, SASL: still privileged */
	discovery_init();
	enrol_init();		/* reads the instance key: still privileged */
	http_open(portfp);	/* after TLS: https needs the context */
	startup_chown();
	drop_privileges();
	startup_after_drop();

	ev_term = evsignal_new(srv->base, SIGTERM, signal_term_cb, NULL);
	ev_int = evsignal_new(srv->base, SIGINT, signal_term_cb, NULL);
	ev_hup = evsignal_new(srv->base, SIGHUP, signal_hup_cb, NULL);
	evsignal_add(ev_term, NULL);
	evsignal_add(ev_int, NULL);
	evsignal_add(ev_hup, NULL);
	/* Last: once it is there, SIGTERM already stops acapd cleanly. */
	if (portfp != NULL) {
		fclose(portfp);		/* portbuf now holds the lines */
		portfile_publish(portbuf, portlen);
		free(portbuf);
	}

	log_info("acapd %s ready", PACKAGE_VERSION);
	event_base_dispatch(srv->base);
	log_info("acapd stopped");

	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_hup);
	event_free(accept_timer);
	metrics_http_close();
	while (srv->nlisteners > 0)
		evconnlistener_free(srv->listeners[--srv->nlisteners]);
	http_close();
	enrol_close();
	startup_close();
	event_base_free(srv->base);
	config_clear(cfg);
	free(cfg);
	while (noverrides > 0)
		free(overrides[--noverrides]);
	free(overrides);
	return 0;
}
