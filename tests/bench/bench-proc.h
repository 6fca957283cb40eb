/*
 * bench-proc.h -- what acap-bench reads from /proc: a process's memory and
 * CPU time, the kernel's TCP socket memory, and this process's own CPU.
 * Owns nothing; every call reads the files afresh.  Linux only.
 */
#ifndef BENCH_PROC_H
#define BENCH_PROC_H

#include <stdint.h>
#include <sys/types.h>

/* One sample of a process.  Memory in KiB, CPU in seconds. */
struct bench_proc_sample {
	uint64_t t_ns;		/* CLOCK_MONOTONIC when taken */
	uint64_t rss_kb;	/* VmRSS */
	uint64_t rss_anon_kb;	/* RssAnon: heap, stacks, anonymous maps */
	uint64_t hwm_kb;	/* VmHWM: peak RSS */
	uint64_t pss_kb;	/* Pss from smaps_rollup; 0 if unreadable */
	double cpu_user;	/* utime */
	double cpu_sys;		/* stime */
	unsigned int fds;	/* open file descriptors (0 if unreadable) */
};

/*
 * Sample pid.  Returns 0, or -1 when the process is gone or /proc is
 * unreadable (errno set).
 */
int bench_proc_sample(pid_t pid, struct bench_proc_sample *s_r);

/*
 * Kernel-wide TCP memory from /proc/net/sockstat ("mem", in pages,
 * converted to KiB) and the number of TCP sockets in use.  Both ends of
 * a loopback connection count.  Returns 0 or -1.
 */
int bench_proc_tcp_mem(uint64_t *kb_r, uint64_t *inuse_r);

/*
 * Kernel slab memory (/proc/meminfo "Slab", KiB): socket, inode and
 * epoll objects of every connection live there, outside any RSS.
 * Returns 0 or -1.
 */
int bench_proc_slab(uint64_t *kb_r);

/* CPU seconds (user + system) used so far by the calling process. */
double bench_proc_self_cpu(void);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_proc_now_ns(void);

#endif
