/*
 * bench-proc.c -- /proc readers for acap-bench: VmRSS/RssAnon/VmHWM from
 * status, Pss from smaps_rollup, utime/stime from stat, socket memory from
 * /proc/net/sockstat.  Nothing is cached.
 */
#include "autoconf.h"

#include <sys/resource.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench-proc.h"

uint64_t
bench_proc_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* "Name:   1234 kB" lines of a status-like file. */
static int
proc_read_kb_fields(const char *path, const char *const *names,
    uint64_t *const *vals, size_t n)
{
	char line[256];
	FILE *fp;
	size_t i, len;

	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL) {
		for (i = 0; i < n; i++) {
			len = strlen(names[i]);
			if (strncmp(line, names[i], len) == 0 &&
			    line[len] == ':') {
				*vals[i] = strtoull(line + len + 1, NULL, 10);
				break;
			}
		}
	}
	fclose(fp);
	return 0;
}

/* utime and stime (fields 14 and 15) of /proc/PID/stat, in ticks. */
static int
proc_read_cpu(pid_t pid, double *user_r, double *sys_r)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	long hz = sysconf(_SC_CLK_TCK);
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	/* the command name may hold spaces: skip past its ')' */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	/* after ')': state(3) ppid pgrp session tty tpgid flags minflt
	   cminflt majflt cmajflt utime(14) stime(15) */
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
	    "%llu %llu", &ut, &st) != 2)
		return -1;
	if (hz <= 0)
		hz = 100;
	*user_r = (double)ut / (double)hz;
	*sys_r = (double)st / (double)hz;
	return 0;
}

static unsigned int
proc_count_fds(pid_t pid)
{
	char path[64];
	struct dirent *de;
	unsigned int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

int
bench_proc_sample(pid_t pid, struct bench_proc_sample *s)
{
	static const char *const status_names[] = {
		"VmRSS", "RssAnon", "VmHWM"
	};
	static const char *const rollup_names[] = { "Pss" };
	uint64_t *status_vals[3], *rollup_vals[1];
	char path[64];

	memset(s, 0, sizeof(*s));
	s->t_ns = bench_proc_now_ns();
	status_vals[0] = &s->rss_kb;
	status_vals[1] = &s->rss_anon_kb;
	status_vals[2] = &s->hwm_kb;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (proc_read_kb_fields(path, status_names, status_vals, 3) == -1)
		return -1;
	rollup_vals[0] = &s->pss_kb;
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	(void)proc_read_kb_fields(path, rollup_names, rollup_vals, 1);
	if (proc_read_cpu(pid, &s->cpu_user, &s->cpu_sys) == -1)
		return -1;
	s->fds = proc_count_fds(pid);
	return 0;
}

int
bench_proc_tcp_mem(uint64_t *kb_r, uint64_t *inuse_r)
{
	char line[256];
	unsigned long long inuse, mem;
	long page = sysconf(_SC_PAGESIZE);
	FILE *fp;
	char *p;
	int found = -1;

	if ((fp = fopen("/proc/net/sockstat", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "TCP:", 4) != 0)
			continue;
		if ((p = strstr(line, "inuse ")) == NULL ||
		    sscanf(p, "inuse %llu", &inuse) != 1)
			break;
		if ((p = strstr(line, " mem ")) == NULL ||
		    sscanf(p, " mem %llu", &mem) != 1)
			break;
		*inuse_r = inuse;
		*kb_r = mem * (unsigned long long)(page > 0 ? page : 4096) /
		    1024;
		found = 0;
		break;
	}
	fclose(fp);
	return found;
}

int
bench_proc_slab(uint64_t *kb_r)
{
	static const char *const names[] = { "Slab" };
	uint64_t *vals[1];

	*kb_r = 0;
	vals[0] = kb_r;
	return proc_read_kb_fields("/proc/meminfo", names, vals, 1);
}

double
bench_proc_self_cpu(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) == -1)
		return 0.0;
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}
