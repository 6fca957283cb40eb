/*
 * bench-server.h -- the acapd under test: owns the child process, started on
 * 127.0.0.1 with an ephemeral port, and the files it writes in the state
 * directory (acapd.conf, port, acapd.log).
 */
#ifndef BENCH_SERVER_H
#define BENCH_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct bench_server_opts {
	const char *acapd;		/* the acapd binary */
	const char *statedir;		/* must exist */
	const char *admin;		/* put in "admins" */
	unsigned int per_ip;		/* max_connections_per_ip; 0: default */
	const char *const *extra;	/* further acapd.conf lines */
	size_t nextra;
	int cpu;			/* pin acapd to this CPU; -1: no */
	int start_timeout_ms;		/* 0: 30 s */
};

struct bench_server;

/*
 * Write <statedir>/acapd.conf and start acapd -f on it, with stdout
 * and stderr going to <statedir>/acapd.log; wait until the port file
 * names the listening port.  Returns 0 with *srv_r, or -1 with *errstr_r
 * (static storage).  opts is copied; its strings must outlive the server.
 */
int bench_server_start(const struct bench_server_opts *opts,
    struct bench_server **srv_r, const char **errstr_r);

/*
 * SIGTERM, wait up to 10 s (then SIGKILL), free; sets *srvp = NULL.
 * Returns the exit status as waitpid() gives it, or -1.
 */
int bench_server_stop(struct bench_server **srvp);

/* The acapd process (-1 once it has exited and been reaped). */
pid_t bench_server_pid(const struct bench_server *srv);
/* The port it listens on, on 127.0.0.1. */
int bench_server_port(const struct bench_server *srv);
/* Whether the process is still running (reaps it if not). */
bool bench_server_alive(struct bench_server *srv);
/* Path of the log file; owned by srv. */
const char *bench_server_log(const struct bench_server *srv);

#endif
