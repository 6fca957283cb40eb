/*
 * bounds.h -- every default bound of acapd in one place.  Each can be
 * overridden in acapd.conf (see config.c and acapd.conf(5)); the names
 * there match these without the LIM_ prefix, in lower case.
 *
 * Not "limits.h": GCC's own <limits.h> does #include_next <limits.h>,
 * which finds a limits.h in an -iquote directory (acapd/) before
 * glibc's, so every <limits.h> lost glibc's definitions and builds with
 * -D_FORTIFY_SOURCE (Debian packages, Ubuntu's default) stopped with
 * "Assumed value of MB_LEN_MAX wrong".
 */
#ifndef BOUNDS_H
#define BOUNDS_H

/* Command framing, before authentication (STYLE §2.5). */
#define LIM_PREAUTH_MAX_LINE		8192
#define LIM_PREAUTH_MAX_LITERAL		16384
#define LIM_PREAUTH_MAX_NONSYNC		4096
#define LIM_PREAUTH_MAX_COMMAND		32768
#define LIM_PREAUTH_MAX_DEPTH		1
#define LIM_PREAUTH_MAX_ARGS		16

/*
 * ... and after. A whole attribute value always fits in one literal.
 * max_line 0: a line has no bound of its own after authentication, only
 * the command's (max_command), so a command within max_command is
 * accepted however it is framed -- 3,000 attributes quoted on one line
 * as well as one 4 MiB literal (issue 17).  Line octets beyond 64 KiB
 * count toward max_literal_inflight like literal octets.
 */
#define LIM_MAX_LINE			0
#define LIM_MAX_LITERAL			4194304		/* 4 MiB */
#define LIM_MAX_COMMAND			8388608		/* 8 MiB */
#define LIM_MAX_DEPTH			16
#define LIM_MAX_ARGS			100000

#define LIM_MAX_BAD_COMMANDS		20
/*
 * Output queued for one connection before it is dropped (slow reader):
 * notifications and answers written in one go.  A large SEARCH answer is
 * written in pieces instead, each once the output is below half of
 * output_hiwat, so it never counts against this.
 */
#define LIM_MAX_OUTPUT			4194304		/* 4 MiB */
/* Stop reading a connection's commands while this much output waits. */
#define LIM_OUTPUT_HIWAT		262144		/* 256 KiB */
/* Seconds a connection may leave a piecewise answer unread (BYE). */
#define LIM_OUTPUT_TIMEOUT		300

/*
 * RFC 2244 §2.4.3: an autologout timer MUST be at least 30 minutes.
 * RFC 5383 §4.1: by default a connection should not stay idle 2 hours.
 */
#define LIM_IDLE_TIMEOUT		3600
#define LIM_IDLE_TIMEOUT_MIN		1800
#define LIM_PREAUTH_IDLE_TIMEOUT	120

#define LIM_MAX_CONNECTIONS		0	/* 0: derived from RLIMIT_NOFILE */
/*
 * 0: half of the effective max_connections (conn.c), so that neither one
 * address nor clients that have not authenticated (all addresses
 * together) can take every place; per address never more than
 * LIM_MAX_CONNECTIONS_PER_IP_DERIVED (many phones may share one NAT).
 */
#define LIM_MAX_CONNECTIONS_PER_IP	0
#define LIM_MAX_CONNECTIONS_PER_IP_DERIVED	1000
#define LIM_MAX_UNAUTH_CONNECTIONS	0
/* Over that cap, the oldest waiting this long is closed for a newcomer. */
#define LIM_UNAUTH_EVICT_MS		1000
/*
 * fds kept for DB, logs, listeners -- and for the connection refused with
 * a BYE greeting over max_connections, which holds one for a moment.
 */
#define LIM_FD_RESERVE			64
/* BYE refusals in a row before accept pauses (a flood bounded, main.c). */
#define LIM_REFUSE_BURST		32
#define LIM_REFUSE_PAUSE_MS		10
/* accept() failing (EMFILE, ENFILE...): pause, then try again. */
#define LIM_ACCEPT_RETRY_MS		250

#define LIM_MAX_AUTH_FAILURES		5
#define LIM_AUTH_FAIL_DELAY_MS		1000

/* RFC 2244 §3.3: at least 100; advertised as CONTEXTLIMIT when above. */
#define LIM_CONTEXT_LIMIT		200

/*
 * The work one search may do -- a SEARCH, a MAKECONTEXT, each
 * re-evaluation of a NOTIFY context -- so that none holds the event loop
 * for long (about 50 ms at the default on a 2020 laptop core:
 * doc/reliability.md "Bounded work"): datasets it opens and entries it
 * looks at.  Over it, NO (WAYTOOMANY/WORK), never a truncated answer.
 */
#define LIM_SEARCH_MAX_DATASETS		2000
#define LIM_SEARCH_MAX_ENTRIES		20000
/*
 * Octets of literals announced and not yet part of a complete command,
 * summed over one user's connections (before authentication: over one
 * address's).  At least max_command, so one whole command always fits.
 */
#define LIM_MAX_LITERAL_INFLIGHT	16777216	/* 16 MiB */

/* Discovery over HTTP (http.c): bounds of one request and connection. */
#define LIM_HTTP_MAX_HEADER_SIZE	8192	/* libevent answers 413 past it */
#define LIM_HTTP_MAX_BODY_SIZE		16384	/* an Autodiscover request is < 1 KiB */
#define LIM_HTTP_MAX_URI		2048	/* 414 past it */
#define LIM_HTTP_MAX_HEADERS		64	/* 431 past it */
#define LIM_HTTP_TIMEOUT		20	/* s without progress: closed */
#define LIM_HTTP_MAX_CONNECTIONS_PER_IP	32	/* 429 past it */

#endif
