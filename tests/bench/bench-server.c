/*
 * bench-server.c -- start and stop the acapd under test.  Listens on
 * 127.0.0.1 only, port 0 (the kernel picks one; acapd writes it to the
 * port file once it is ready, as tests/protocol/acap-script.c relies on).
 */
#include "autoconf.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench-proc.h"
#include "bench-server.h"

struct bench_server {
	pid_t pid;
	int port;
	int status;
	char conf[1024];
	char portfile[1024];
	char log[1024];
};

static char server_err[8192];

static int
server_write_config(const struct bench_server_opts *o,
    struct bench_server *s)
{
	FILE *fp;
	size_t i;

	if ((fp = fopen(s->conf, "w")) == NULL) {
		snprintf(server_err, sizeof(server_err), "%s: %s", s->conf,
		    strerror(errno));
		return -1;
	}
	/* Loopback only, ephemeral port; TLS with a generated throw-away
	   certificate; PLAIN allowed without TLS for the --no-tls runs. */
	fprintf(fp,
	    "listen 127.0.0.1:0\n"
	    "statedir %s\n"
	    "portfile %s\n"
	    "tls_generate yes\n"
	    "tls_cert cert.pem\n"
	    "tls_key key.pem\n"
	    "allow_plaintext yes\n"
	    "auth_fail_delay_ms 0\n"
	    "seed_site no\n"
	    "log_level warning\n",
	    o->statedir, s->portfile);
	if (o->admin != NULL)
		fprintf(fp, "admins %s\n", o->admin);
	if (o->per_ip > 0)
		fprintf(fp, "max_connections_per_ip %u\n", o->per_ip);
	for (i = 0; i < o->nextra; i++)
		fprintf(fp, "%s\n", o->extra[i]);
	if (fclose(fp) != 0) {
		snprintf(server_err, sizeof(server_err), "%s: %s", s->conf,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* The port file holds "ADDR PORT" lines; acapd writes it when ready. */
static int
server_read_port(const char *path)
{
	char line[256], *sp;
	FILE *fp;
	int port = -1;

	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	if (fgets(line, sizeof(line), fp) != NULL &&
	    strchr(line, '\n') != NULL && (sp = strrchr(line, ' ')) != NULL)
		port = atoi(sp + 1);
	fclose(fp);
	return port > 0 ? port : -1;
}

int
bench_server_start(const struct bench_server_opts *o,
    struct bench_server **srv_r, const char **errstr_r)
{
	struct bench_server *s;
	uint64_t deadline;
	int st, fd;
	pid_t pid;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		abort();
	snprintf(s->conf, sizeof(s->conf), "%s/acapd.conf", o->statedir);
	snprintf(s->portfile, sizeof(s->portfile), "%s/port", o->statedir);
	snprintf(s->log, sizeof(s->log), "%s/acapd.log", o->statedir);
	unlink(s->portfile);
	if (server_write_config(o, s) == -1)
		goto fail;
	if ((pid = fork()) == -1) {
		snprintf(server_err, sizeof(server_err), "fork: %s",
		    strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		struct rlimit rl;

		/* acapd raises its own limit too; this keeps it explicit */
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
			rl.rlim_cur = rl.rlim_max;
			(void)setrlimit(RLIMIT_NOFILE, &rl);
		}
		if (o->cpu >= 0) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(o->cpu, &set);
			(void)sched_setaffinity(0, sizeof(set), &set);
		}
		fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		/* keep a terminal ^C aimed at acap-bench away from acapd */
		setsid();
		/* no -d: that is debug logging, not "stay in the foreground"
		   (acapd never daemonizes); log_level comes from the config */
		execl(o->acapd, "acapd", "-f", s->conf, (char *)NULL);
		_exit(127);
	}
	s->pid = pid;
	deadline = bench_proc_now_ns() + (uint64_t)(o->start_timeout_ms > 0 ?
	    o->start_timeout_ms : 30000) * 1000000u;
	for (;;) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			snprintf(server_err, sizeof(server_err),
			    "acapd exited during start-up (status %d); see %s",
			    st, s->log);
			s->pid = -1;
			goto fail;
		}
		if ((s->port = server_read_port(s->portfile)) > 0)
			break;
		if (bench_proc_now_ns() > deadline) {
			snprintf(server_err, sizeof(server_err),
			    "acapd did not write %s in time; see %s",
			    s->portfile, s->log);
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			s->pid = -1;
			goto fail;
		}
		usleep(20000);
	}
	*srv_r = s;
	return 0;
fail:
	free(s);
	*errstr_r = server_err;
	return -1;
}

bool
bench_server_alive(struct bench_server *s)
{
	if (s->pid <= 0)
		return false;
	if (waitpid(s->pid, &s->status, WNOHANG) == s->pid) {
		s->pid = -1;
		return false;
	}
	return true;
}

int
bench_server_stop(struct bench_server **sp)
{
	struct bench_server *s = *sp;
	uint64_t deadline;
	int st = -1;

	if (s == NULL)
		return -1;
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		deadline = bench_proc_now_ns() + 10000000000ull;
		for (;;) {
			if (waitpid(s->pid, &st, WNOHANG) == s->pid)
				break;
			if (bench_proc_now_ns() > deadline) {
				kill(s->pid, SIGKILL);
				waitpid(s->pid, &st, 0);
				break;
			}
			usleep(20000);
		}
	} else
		st = s->status;
	free(s);
	*sp = NULL;
	return st;
}

pid_t
bench_server_pid(const struct bench_server *s)
{
	return s->pid;
}

int
bench_server_port(const struct bench_server *s)
{
	return s->port;
}

const char *
bench_server_log(const struct bench_server *s)
{
	return s->log;
}
