/*
 * bench-client.h -- one acap-bench worker: owns many ACAP client connections
 * (greeting, STARTTLS, AUTHENTICATE, optional MAKECONTEXT NOTIFY, a repeated
 * request) and their histograms; talks to the master in SEQPACKET messages.
 */
#ifndef BENCH_CLIENT_H
#define BENCH_CLIENT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_MAX_ROLES		4
#define BENCH_PIPE_MAX		16	/* requests in flight per connection */
#define BENCH_ERR_LEN		256

/*
 * What one group of connections does.  Templates are command bodies
 * without tag and CRLF; "{user}" becomes the connection's user name,
 * "{n}" a per-connection sequence number, "{conn}" the connection's
 * global index.
 */
struct bench_role {
	const char *name;		/* "idle", "setup", "store" ... */
	unsigned int nconns;		/* this worker's connections */
	const char *context_cmd;	/* sent once after login; NULL: none */
	const char *request;		/* repeated under load; NULL: idle */
	double rate;			/* this worker's requests/s; 0: closed
					   loop, as fast as replies come */
	unsigned int pipeline;		/* closed loop: in flight per
					   connection, 1..BENCH_PIPE_MAX */
};

/* Everything a worker needs; the strings must outlive the worker. */
struct bench_load {
	struct sockaddr_in server;	/* a 127.0.0.0/8 address */
	unsigned int per_source;	/* connections per source address
					   127.0.0.1, .2, ...; 0: let the
					   kernel choose */
	unsigned int first_conn;	/* global index of the first one */
	unsigned int users;		/* connection i logs in as user
					   (i % users) + 1 */
	const char *user_prefix;	/* user n is <user_prefix><n> */
	const char *pass_prefix;	/* with password <pass_prefix><n> */
	bool tls;			/* STARTTLS before AUTHENTICATE */
	bool cram;			/* CRAM-MD5 instead of PLAIN */
	unsigned int concurrency;	/* connections in set-up at once */
	unsigned int setup_timeout_ms;	/* per connection */
	struct bench_role roles[BENCH_MAX_ROLES];
	size_t nroles;
};

/* ---- Control messages (one per SEQPACKET datagram) ------------------ */

enum bench_msg_type {
	BENCH_MSG_READY = 1,	/* W->M: set-up over; bench_msg_ready + hist */
	BENCH_MSG_RUN,		/* M->W: bench_msg_run */
	BENCH_MSG_REPORT,	/* W->M: bench_msg_report + per role
				   (bench_msg_role + hist) */
	BENCH_MSG_ARM,		/* M->W: forget notification marks */
	BENCH_MSG_ARMED,	/* W->M */
	BENCH_MSG_NOTIFIED,	/* W->M: every context has been notified */
	BENCH_MSG_COLLECT,	/* M->W: bench_msg_collect */
	BENCH_MSG_FANOUT,	/* W->M: bench_msg_fanout + hist */
	BENCH_MSG_PING,		/* M->W: NOOP on every ready connection */
	BENCH_MSG_PONG,		/* W->M: bench_msg_pong */
	BENCH_MSG_QUIT,		/* M->W: close everything and exit */
};

struct bench_msg_ready {
	uint32_t type;
	uint32_t ok;			/* connections ready */
	uint32_t failed;
	uint32_t pad;
	double cpu;			/* worker CPU seconds so far */
	char error[BENCH_ERR_LEN];	/* first failure, or "" */
	/* followed by the set-up time histogram (connect to ready) */
};

struct bench_msg_run {
	uint32_t type;
	uint32_t pad;
	uint64_t start_ns;	/* CLOCK_MONOTONIC: measuring starts */
	uint64_t end_ns;	/* and ends; requests stop there */
};

struct bench_msg_report {
	uint32_t type;
	uint32_t nroles;
	double cpu;			/* worker CPU seconds in the window */
	uint64_t lost;			/* ready connections that closed */
	char error[BENCH_ERR_LEN];	/* first NO/BAD or loss, or "" */
};

/*
 * Per role: counters, then the latency histogram (from the scheduled
 * send time in open loop), then the histogram of send lag (how late the
 * worker sent each request after its scheduled time: the client's own
 * share), then the service time (actual send to completion).
 */
struct bench_msg_role {
	uint64_t completed;	/* completions inside the window */
	uint64_t errors;	/* NO/BAD completions inside the window */
	uint64_t entries;	/* intermediate responses (ENTRY...) */
	uint64_t notifications;	/* ADDTO/CHANGE/REMOVEFROM, whole run */
	uint64_t bytes_in;	/* octets received inside the window */
	uint32_t hist_len;	/* octets of latency histogram that follow */
	uint32_t lag_len;	/* then octets of send-lag histogram */
	uint32_t svc_len;	/* then octets of service-time histogram */
	uint32_t pad;
};

struct bench_msg_collect {
	uint32_t type;
	uint32_t pad;
	uint64_t t0_ns;		/* when the STORE was sent */
};

struct bench_msg_fanout {
	uint32_t type;
	uint32_t contexts;	/* ready connections with a context */
	uint32_t notified;	/* of them notified since ARM */
	uint32_t pad;
	/* followed by the histogram of notification delays after t0 */
};

struct bench_msg_pong {
	uint32_t type;
	uint32_t alive;		/* connections that answered the NOOP */
	uint32_t dead;		/* open connections that did not */
	uint32_t lost;		/* closed by the server since set-up */
};

/*
 * Run a worker: raise the open-file limit, open every connection of
 * load (load->roles[i].nconns of each role, in role order), report
 * BENCH_MSG_READY, then obey control messages on ctl_fd until
 * BENCH_MSG_QUIT or until the master goes away.  Returns the process exit
 * status (0 on a clean quit).  Meant to be called in a forked child.
 */
int bench_client_worker(const struct bench_load *load, int ctl_fd);

/*
 * Expand a request template (see struct bench_role) into out, which has
 * room for size octets; returns the length, or -1 if it does not fit.
 * Exposed for the unit test.
 */
int bench_client_expand(const char *tmpl, const char *user,
    unsigned long n, unsigned int conn, char *out, size_t size);

#endif
