/*
 * acap-script.c -- scenario driver for protocol tests.
 *
 * Starts a real acapd on 127.0.0.1 (port 0: the kernel picks a free port,
 * acapd writes it to a port file) in a fresh temporary directory, then
 * plays a script of client lines and expected server lines over one or
 * more connections, exactly.  Only loopback addresses are ever used.
 *
 * Script syntax (one directive per line; "#" lines and blank lines are
 * ignored):
 *   config NAME VALUE   extra acapd.conf line (before the server starts)
 *   reconfig NAME VALUE add or replace a config line and rewrite the file
 *                       (acapd sees it after "signal HUP" or a restart)
 *   start               start acapd (done implicitly by the first connect)
 *   rcvbuf BYTES        receive buffer for connections opened from now on
 *                       (a small one makes a slow reader quickly)
 *   connect [NAME]      open a connection named NAME (default "main") and
 *                       make it current; "use NAME" switches without opening
 *   C: TEXT             send TEXT + CRLF (escapes: \0 \r \n \t \\ \xHH)
 *   R: TEXT             send TEXT raw, no CRLF appended (same escapes)
 *   S: TEXT             the next server line must equal TEXT (escapes too)
 *   S~ REGEX            the next server line must match the POSIX ERE
 *   skip REGEX          read lines until one matches REGEX
 *   repeat N TEXT       send N lines TEXT + CRLF, each "%d" (or "%0Wd",
 *                       zero-padded to W digits) in TEXT replaced by the
 *                       line's number (1..N); escapes as in C:
 *   R-repeat N TEXT     as repeat, without the CRLF: N pieces of one
 *                       line (a long line built from a short script line)
 *   lines N REGEX       the next N server lines must each match REGEX
 *   for A B             a block: the "S:" / "S~" lines up to "end" are
 *                       expected for each number from A to B in turn,
 *                       "%d" / "%0Wd" in them replaced as in "repeat"
 *   interleave A B      a block like "for", but each number's lines form
 *                       one stream, and the streams may interleave in any
 *                       order: every stream must arrive whole and in its
 *                       own order (e.g. one ADDTO then one MODTIME per
 *                       context); a line is taken by the lowest-numbered
 *                       stream whose next line it matches.  Long values:
 *                       an exact "S: \[59996]x%04d" is cheap, a regular
 *                       expression like (x{250}){239} is slow to compile
 *   end                 ends a "for" or "interleave" block
 *   unordered N         the next N "S:" / "S~" directives describe a set:
 *                       the next N server lines must match them one to
 *                       one, in any order (the order in which the server
 *                       sends a set of lines is not specified)
 *   eof                 the server must close the connection (no more data)
 *   drain               read and discard until the server closes the
 *                       connection, which it must do within 5 s (a
 *                       dropped reader; what it got first is checked
 *                       with "S:" lines before)
 *   nothing MS          no data may arrive within MS milliseconds
 *   tls                 TLS handshake on the current connection (the
 *                       instance's certificate is trusted)
 *   close               close the current connection
 *   useradd USER PASS   create a SASL user in the instance's sasldb
 *   login USER PASS     AUTHENTICATE "PLAIN" (needs TLS or allow_plaintext)
 *   cram USER PASS      AUTHENTICATE "CRAM-MD5", computed by the driver
 *   sasl MECH USER PASS AUTHENTICATE with any mechanism, through the
 *                       libsasl2 client (SCRAM-SHA-256, DIGEST-MD5, ...);
 *                       must end in OK
 *   sleep MS
 *   mark                note the time, for "elapsed"
 *   elapsed MIN MAX     between MIN and MAX ms must have passed since the
 *                       last "mark" (put right after an expectation: it
 *                       bounds when that line arrived; a timer that
 *                       restarts or fires early fails)
 *   signal NAME         send TERM, HUP or KILL to acapd
 *   wait-exit CODE      acapd must exit with CODE within 10 s
 *   restart             start acapd again on the same state directory
 *                       (a running acapd is stopped with SIGTERM first and
 *                       must exit 0)
 *   garbage N SEED      send N lines of random bytes (no CR/LF), then
 *                       "zz NOOP"; every line must get exactly one BAD and
 *                       the NOOP its OK
 *   many N              open N connections at once; each must get the
 *                       greeting and answer a NOOP; then close them all
 *   require-root        skip the scenario (exit 77) unless run as root
 *   require-program P   skip the scenario unless program P is on PATH
 *   exec CMD            run CMD with sh -c in the instance directory
 *                       ($ACAPD_DIR, $ACAPD_PORT, $ACAPD_CONF, $ACAPD_PID
 *                       are set);
 *                       it must exit 0
 * At the end of the script every open connection must have nothing left
 * to read: a server line no directive expected (within UNREAD_MS of the
 * last directive) fails the script, as does one still unread when
 * "close" drops a connection.  An "S~" pattern matches anywhere in the
 * line unless anchored: write "S~ ^a1 OK " or "lines N ^\* ENTRY ".
 * ACAP_SCRIPT_TRACE=1 prints every server line read (its length and
 * first 60 octets) on stderr; ACAP_SCRIPT_KEEP=1 keeps the directory;
 * ACAPD_TEST_DATABASE=VALUE adds "database VALUE" to acapd.conf (the
 * scenarios against PostgreSQL, tests/pg/scenarios.sh).
 * Exit status: 0 when every expectation held, 1 otherwise (the failing
 * line, what was expected and what arrived are printed), 77 to skip.
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>
#include <sasl/sasl.h>

#define MAX_CONNS 64
#define READ_TIMEOUT_MS 5000
#define UNREAD_MS 100
#define MAX_UNORDERED 64

struct tconn {
	char name[32];
	int fd;
	SSL *ssl;
	char buf[65536];
	size_t len;
};

static const char *script_path;
static unsigned int lineno;
static char dir[256];
static char conf_path[300];
static const char *acapd_path;
static const char *acapctl_path;
static pid_t acapd_pid = -1;
static int port;
static struct tconn conns[MAX_CONNS];
static size_t nconns;
static struct tconn *cur;
static char **extra_config;
static size_t nextra;
static SSL_CTX *client_ctx;
static int tag_seq;
static int rcvbuf;
static long long mark_ms = -1;
/* "unordered N": the expectations collected so far, and their lines */
static int unordered_want;
static size_t unordered_n;
static char *unordered_text[MAX_UNORDERED];
static bool unordered_regex[MAX_UNORDERED];
static unsigned int unordered_line[MAX_UNORDERED];

static void cleanup_dir(void);
static void printable(const char *s, size_t len, char *out, size_t outlen);

static void __attribute__((format(printf, 1, 2), noreturn))
fail(const char *fmt, ...)
{
	char logpath[400], line[1024];
	va_list ap;
	FILE *fp;

	fprintf(stderr, "%s:%u: FAIL: ", script_path, lineno);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	snprintf(logpath, sizeof(logpath), "%s/acapd.log", dir);
	if ((fp = fopen(logpath, "r")) != NULL) {
		fprintf(stderr, "--- acapd log ---\n");
		while (fgets(line, sizeof(line), fp) != NULL)
			fputs(line, stderr);
		fclose(fp);
	}
	if (acapd_pid > 0)
		kill(acapd_pid, SIGKILL);
	exit(1);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Decode the escapes \0 \r \n \t \\ \xHH and \[N]c (N copies of the
 * octet c) into out; returns the length.
 */
static size_t
unescape(const char *in, char *out, size_t outlen)
{
	size_t n = 0;

	while (*in != '\0' && n < outlen) {
		if (*in != '\\') {
			out[n++] = *in++;
			continue;
		}
		in++;
		switch (*in) {
		case '0': out[n++] = '\0'; in++; break;
		case 'r': out[n++] = '\r'; in++; break;
		case 'n': out[n++] = '\n'; in++; break;
		case 't': out[n++] = '\t'; in++; break;
		case '[': {
			char *end;
			unsigned long cnt = strtoul(in + 1, &end, 10);

			if (*end == ']' && end[1] != '\0') {
				while (cnt-- > 0 && n < outlen)
					out[n++] = end[1];
				in = end + 2;
				break;
			}
			out[n++] = '\\';
			break;
		}
		case '\\': out[n++] = '\\'; in++; break;
		case 'x':
			if (isxdigit((unsigned char)in[1]) &&
			    isxdigit((unsigned char)in[2])) {
				char hex[3] = { in[1], in[2], 0 };

				out[n++] = (char)strtol(hex, NULL, 16);
				in += 3;
				break;
			}
			/* FALLTHROUGH */
		default:
			out[n++] = '\\';
		}
	}
	return n;
}

static void
write_config(void)
{
	FILE *fp;
	size_t i;

	if ((fp = fopen(conf_path, "w")) == NULL)
		fail("%s: %s", conf_path, strerror(errno));
	fprintf(fp, "listen 127.0.0.1:0\nstatedir %s\nportfile %s/port\n"
	    "tls_generate yes\ntls_cert cert.pem\ntls_key key.pem\n"
	    "auth_fail_delay_ms 0\nseed_site no\n", dir, dir);
	/* The same scenarios against another store (tests/pg/scenarios.sh). */
	if (getenv("ACAPD_TEST_DATABASE") != NULL)
		fprintf(fp, "database %s\n", getenv("ACAPD_TEST_DATABASE"));
	for (i = 0; i < nextra; i++)
		fprintf(fp, "%s\n", extra_config[i]);
	fclose(fp);
}

static void server_wait_exit(int expect);

static void
server_start(void)
{
	char portpath[300], logpath[300], line[128];
	long long deadline;
	FILE *fp;
	pid_t pid;

	if (acapd_pid > 0) {
		/*
		 * "restart" while acapd runs: a clean SIGTERM shutdown first,
		 * never a second acapd on the same state directory (the first
		 * one would outlive the scenario).
		 */
		kill(acapd_pid, SIGTERM);
		server_wait_exit(0);
	}
	snprintf(portpath, sizeof(portpath), "%s/port", dir);
	snprintf(logpath, sizeof(logpath), "%s/acapd.log", dir);
	unlink(portpath);
	write_config();
	if ((pid = fork()) == -1)
		fail("fork: %s", strerror(errno));
	if (pid == 0) {
		int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0600);

		if (fd != -1) {
			dup2(fd, 2);
			dup2(fd, 1);
		}
		execl(acapd_path, "acapd", "-d", "-f", conf_path,
		    (char *)NULL);
		_exit(127);
	}
	acapd_pid = pid;
	deadline = now_ms() + 20000;
	for (;;) {
		int st;

		if (waitpid(pid, &st, WNOHANG) == pid) {
			acapd_pid = -1;
			fail("acapd exited during start-up (status %d)", st);
		}
		/* acapd writes and closes the port file when it is ready. */
		if ((fp = fopen(portpath, "r")) != NULL) {
			if (fgets(line, sizeof(line), fp) != NULL &&
			    strchr(line, '\n') != NULL) {
				char *sp = strchr(line, ' ');

				fclose(fp);
				if (sp != NULL && (port = atoi(sp + 1)) > 0) {
					/* port file complete; wait for close */
					usleep(50000);
					break;
				}
			} else
				fclose(fp);
		}
		if (now_ms() > deadline)
			fail("acapd did not start within 20 s");
		usleep(20000);
	}
	{
		char p[16];

		snprintf(p, sizeof(p), "%d", port);
		setenv("ACAPD_PORT", p, 1);
		snprintf(p, sizeof(p), "%d", (int)acapd_pid);
		setenv("ACAPD_PID", p, 1);
	}
}

static void
server_wait_exit(int expect)
{
	long long deadline = now_ms() + 10000;
	int st;

	if (acapd_pid <= 0)
		fail("acapd is not running");
	for (;;) {
		pid_t r = waitpid(acapd_pid, &st, WNOHANG);

		if (r == acapd_pid)
			break;
		if (now_ms() > deadline)
			fail("acapd did not exit within 10 s");
		usleep(20000);
	}
	acapd_pid = -1;
	if (WIFSIGNALED(st)) {
		if (expect != -WTERMSIG(st))
			fail("acapd died of signal %d", WTERMSIG(st));
		return;
	}
	if (WEXITSTATUS(st) != expect)
		fail("acapd exited %d, expected %d", WEXITSTATUS(st), expect);
}

static struct tconn *
conn_find(const char *name)
{
	size_t i;

	for (i = 0; i < nconns; i++)
		if (conns[i].fd != -1 && strcmp(conns[i].name, name) == 0)
			return &conns[i];
	return NULL;
}

static void
conn_open(const char *name)
{
	struct sockaddr_in sin;
	struct tconn *t;
	size_t i;
	int fd, one = 1;

	if (acapd_pid <= 0)
		server_start();
	if ((t = conn_find(name)) != NULL)
		fail("connection %s is already open", name);
	for (i = 0; i < nconns; i++)
		if (conns[i].fd == -1)
			break;
	if (i == nconns) {
		if (nconns == MAX_CONNS)
			fail("too many connections");
		nconns++;
	}
	t = &conns[i];
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		fail("socket: %s", strerror(errno));
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		fail("connect 127.0.0.1:%d: %s", port, strerror(errno));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	t->fd = fd;
	cur = t;
}

static void
conn_drop(struct tconn *t)
{
	if (t->ssl != NULL) {
		SSL_free(t->ssl);
		t->ssl = NULL;
	}
	if (t->fd != -1)
		close(t->fd);
	t->fd = -1;
	if (cur == t)
		cur = NULL;
}

static void
send_bytes(const char *data, size_t len)
{
	size_t off = 0;
	ssize_t n;

	if (cur == NULL)
		fail("no current connection");
	while (off < len) {
		if (cur->ssl != NULL) {
			int r = SSL_write(cur->ssl, data + off, (int)(len - off));

			if (r <= 0)
				fail("TLS write failed");
			n = r;
		} else {
			n = write(cur->fd, data + off, len - off);
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1)
				fail("write: %s", strerror(errno));
		}
		off += (size_t)n;
	}
}

/* Read more bytes into cur->buf; returns 0 on EOF, -1 on timeout. */
static int
fill(int timeout_ms)
{
	struct pollfd pfd;
	ssize_t n;

	if (cur->len == sizeof(cur->buf))
		fail("server line longer than %zu bytes", sizeof(cur->buf));
	if (cur->ssl != NULL && SSL_pending(cur->ssl) > 0)
		goto doread;
	pfd.fd = cur->fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, timeout_ms) <= 0)
		return -1;
doread:
	if (cur->ssl != NULL) {
		int r = SSL_read(cur->ssl, cur->buf + cur->len,
		    (int)(sizeof(cur->buf) - cur->len));

		if (r <= 0) {
			int e = SSL_get_error(cur->ssl, r);

			if (e == SSL_ERROR_WANT_READ)
				return fill(timeout_ms);
			return 0;
		}
		n = r;
	} else {
		n = read(cur->fd, cur->buf + cur->len,
		    sizeof(cur->buf) - cur->len);
		if (n == -1 && errno == EINTR)
			return fill(timeout_ms);
		if (n <= 0)
			return 0;
	}
	cur->len += (size_t)n;
	return 1;
}

/*
 * Next server line without its CRLF into line (NUL-terminated; *len_r
 * holds the real length).  Returns 1, 0 on EOF, -1 on timeout.
 */
static int
read_line(char *line, size_t linelen, size_t *len_r, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	char *crlf;
	size_t n;
	int r;

	for (;;) {
		crlf = cur->len > 0 ? memmem(cur->buf, cur->len, "\r\n", 2) :
		    NULL;
		if (crlf != NULL)
			break;
		r = fill((int)(deadline - now_ms() > 0 ?
		    deadline - now_ms() : 0));
		if (r <= 0)
			return r;
	}
	n = (size_t)(crlf - cur->buf);
	if (n >= linelen)
		n = linelen - 1;
	memcpy(line, cur->buf, n);
	line[n] = '\0';
	*len_r = n;
	if (getenv("ACAP_SCRIPT_TRACE") != NULL) {
		char pw[200];

		printable(line, n < 160 ? n : 160, pw, sizeof(pw));
		fprintf(stderr, "%s:%u %s: [%zu] %s", script_path, lineno,
		    cur->name, n, pw);
		if (n > 160) {
			printable(line + n - 20, 20, pw, sizeof(pw));
			fprintf(stderr, " ... %s", pw);
		}
		fputc('\n', stderr);
	}
	n = (size_t)(crlf - cur->buf) + 2;
	memmove(cur->buf, cur->buf + n, cur->len - n);
	cur->len -= n;
	return 1;
}

static void
printable(const char *s, size_t len, char *out, size_t outlen)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 5 < outlen; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 0x20 && ch < 0x7f)
			out[o++] = (char)ch;
		else
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", ch);
	}
	out[o] = '\0';
}

static void
expect_line(const char *want, bool regex)
{
	static char line[1 << 20];
	char pw[2048], wantb[8192];
	size_t len, wlen;
	regex_t re;
	int r;

	r = read_line(line, sizeof(line), &len, READ_TIMEOUT_MS);
	if (r == 0)
		fail("expected \"%s\", got end of connection", want);
	if (r < 0)
		fail("expected \"%s\", got nothing within %d ms", want,
		    READ_TIMEOUT_MS);
	printable(line, len, pw, sizeof(pw));
	if (regex) {
		if (regcomp(&re, want, REG_EXTENDED | REG_NOSUB) != 0)
			fail("bad regular expression: %s", want);
		r = regexec(&re, line, 0, NULL, 0);
		regfree(&re);
		if (r != 0 || strlen(line) != len)
			fail("expected /%s/\n       got  \"%s\"", want, pw);
		return;
	}
	wlen = unescape(want, wantb, sizeof(wantb));
	if (wlen != len || memcmp(wantb, line, len) != 0)
		fail("expected \"%s\"\n       got      \"%s\"", want, pw);
}

/* Does line (len octets) satisfy the "S:" or "S~" expectation want? */
static bool
line_matches(const char *line, size_t len, const char *want, bool regex)
{
	char wantb[8192];
	size_t wlen;
	regex_t re;
	int r;

	if (regex) {
		if (regcomp(&re, want, REG_EXTENDED | REG_NOSUB) != 0)
			fail("bad regular expression: %s", want);
		r = regexec(&re, line, 0, NULL, 0);
		regfree(&re);
		return r == 0 && strlen(line) == len;
	}
	wlen = unescape(want, wantb, sizeof(wantb));
	return wlen == len && memcmp(wantb, line, len) == 0;
}

/*
 * Assign each of the n lines to a distinct expectation (backtracking:
 * a regular expression may match more lines than the one meant for it).
 * ok[i][j]: line i satisfies expectation j.  Returns true when a perfect
 * matching exists.
 */
static bool
assign(bool ok[][MAX_UNORDERED], size_t n, size_t i, bool *used)
{
	size_t j;

	if (i == n)
		return true;
	for (j = 0; j < n; j++) {
		if (used[j] || !ok[i][j])
			continue;
		used[j] = true;
		if (assign(ok, n, i + 1, used))
			return true;
		used[j] = false;
	}
	return false;
}

/* The set collected by "unordered N" is complete: read and match it. */
static void
expect_unordered(void)
{
	static char lines[MAX_UNORDERED][4096];
	static bool ok[MAX_UNORDERED][MAX_UNORDERED];
	size_t lens[MAX_UNORDERED], i, j, n = unordered_n;
	bool used[MAX_UNORDERED];
	char pw[2048];
	int r;

	for (i = 0; i < n; i++) {
		r = read_line(lines[i], sizeof(lines[i]), &lens[i],
		    READ_TIMEOUT_MS);
		if (r == 0)
			fail("unordered set: got end of connection after %zu "
			    "of %zu lines", i, n);
		if (r < 0)
			fail("unordered set: got %zu of %zu lines within %d ms",
			    i, n, READ_TIMEOUT_MS);
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			ok[i][j] = line_matches(lines[i], lens[i],
			    unordered_text[j], unordered_regex[j]);
	memset(used, 0, sizeof(used));
	if (!assign(ok, n, 0, used)) {
		fprintf(stderr, "%s: unordered set of %zu lines; arrived:\n",
		    script_path, n);
		for (i = 0; i < n; i++) {
			printable(lines[i], lens[i], pw, sizeof(pw));
			fprintf(stderr, "       \"%s\"\n", pw);
		}
		for (j = 0; j < n; j++) {
			for (i = 0; i < n; i++)
				if (ok[i][j])
					break;
			if (i == n)
				fprintf(stderr, "%s:%u: no line for %s%s%s\n",
				    script_path, unordered_line[j],
				    unordered_regex[j] ? "/" : "\"",
				    unordered_text[j],
				    unordered_regex[j] ? "/" : "\"");
		}
		fail("the lines do not match the set one to one");
	}
	for (j = 0; j < n; j++)
		free(unordered_text[j]);
	unordered_n = 0;
	unordered_want = 0;
}

/* Collect one expectation of an "unordered N" set. */
static void
collect_unordered(const char *want, bool regex)
{
	unordered_text[unordered_n] = strdup(want);
	unordered_regex[unordered_n] = regex;
	unordered_line[unordered_n] = lineno;
	if (++unordered_n == (size_t)unordered_want)
		expect_unordered();
}

/*
 * Fail if connection t has output nobody read: what is buffered, and
 * what arrives within ms milliseconds.
 */
static void
check_unread(struct tconn *t, int ms)
{
	struct tconn *save = cur;
	char pw[256];
	int r;

	cur = t;
	if (t->len == 0) {
		r = fill(ms);
		if (r == 0) {
			/* the server closed it: that is no unread line */
			cur = save;
			return;
		}
	}
	if (t->len > 0) {
		char *crlf = memmem(t->buf, t->len, "\r\n", 2);
		size_t n = crlf != NULL ? (size_t)(crlf - t->buf) : t->len;

		printable(t->buf, n < 120 ? n : 120, pw, sizeof(pw));
		fail("connection %s: unread server output \"%s\"%s", t->name,
		    pw, t->len > n + 2 ? " (and more)" : "");
	}
	cur = save;
}

static void
skip_until(const char *pattern)
{
	static char line[1 << 20];
	size_t len;
	regex_t re;
	int r;

	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
		fail("bad regular expression: %s", pattern);
	for (;;) {
		r = read_line(line, sizeof(line), &len, READ_TIMEOUT_MS);
		if (r <= 0)
			fail("no line matching /%s/ arrived", pattern);
		if (regexec(&re, line, 0, NULL, 0) == 0)
			break;
	}
	regfree(&re);
}

static void
expect_eof(void)
{
	long long deadline = now_ms() + READ_TIMEOUT_MS;
	char pw[256];
	int r;

	for (;;) {
		if (cur->len > 0) {
			printable(cur->buf, cur->len < 80 ? cur->len : 80, pw,
			    sizeof(pw));
			fail("expected end of connection, got \"%s\"", pw);
		}
		r = fill((int)(deadline - now_ms() > 0 ?
		    deadline - now_ms() : 0));
		if (r == 0)
			break;
		if (r < 0)
			fail("connection still open after %d ms",
			    READ_TIMEOUT_MS);
	}
	conn_drop(cur);
}

static void
drain_to_eof(void)
{
	long long deadline = now_ms() + READ_TIMEOUT_MS;
	size_t total = 0;
	int r;

	for (;;) {
		total += cur->len;
		cur->len = 0;
		r = fill((int)(deadline - now_ms() > 0 ?
		    deadline - now_ms() : 0));
		if (r == 0)
			break;
		if (r < 0)
			fail("connection still open after %d ms (%zu octets "
			    "read)", READ_TIMEOUT_MS, total);
	}
	conn_drop(cur);
}

static void
expect_nothing(int ms)
{
	char pw[256];
	int r;

	if (cur->len == 0) {
		r = fill(ms);
		if (r == 0)
			fail("connection closed, expected silence");
		if (r < 0)
			return;
	}
	printable(cur->buf, cur->len < 80 ? cur->len : 80, pw, sizeof(pw));
	fail("expected no data, got \"%s\"", pw);
}

static void
start_tls(void)
{
	char cafile[300];
	int r;

	if (client_ctx == NULL) {
		client_ctx = SSL_CTX_new(TLS_client_method());
		snprintf(cafile, sizeof(cafile), "%s/cert.pem", dir);
		if (SSL_CTX_load_verify_locations(client_ctx, cafile,
		    NULL) != 1)
			fail("cannot load %s", cafile);
		SSL_CTX_set_verify(client_ctx, SSL_VERIFY_PEER, NULL);
	}
	if (cur->len != 0)
		fail("data pending before TLS handshake");
	cur->ssl = SSL_new(client_ctx);
	SSL_set_fd(cur->ssl, cur->fd);
	SSL_set1_host(cur->ssl, "localhost");
	if ((r = SSL_connect(cur->ssl)) != 1) {
		char err[256];

		ERR_error_string_n(ERR_get_error(), err, sizeof(err));
		fail("TLS handshake failed: %s", err);
	}
}

static void
do_login(const char *user, const char *pass)
{
	char msg[1024], line[256], tag[32];
	size_t ulen = strlen(user), plen = strlen(pass), n;

	snprintf(tag, sizeof(tag), "L%d", ++tag_seq);
	n = (size_t)snprintf(line, sizeof(line),
	    "%s AUTHENTICATE \"PLAIN\" {%zu+}\r\n", tag, ulen + plen + 2);
	send_bytes(line, n);
	msg[0] = '\0';
	memcpy(msg + 1, user, ulen);
	msg[1 + ulen] = '\0';
	memcpy(msg + 2 + ulen, pass, plen);
	memcpy(msg + 2 + ulen + plen, "\r\n", 2);
	send_bytes(msg, ulen + plen + 4);
	snprintf(line, sizeof(line), "%s OK .*", tag);
	expect_line(line, true);
}

static void
do_cram(const char *user, const char *pass)
{
	static char line[4096];
	char tag[32], out[1024], hex[EVP_MAX_MD_SIZE * 2 + 1];
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen, i;
	size_t len;
	char *q, *e;

	snprintf(tag, sizeof(tag), "C%d", ++tag_seq);
	len = (size_t)snprintf(out, sizeof(out),
	    "%s AUTHENTICATE \"CRAM-MD5\"\r\n", tag);
	send_bytes(out, len);
	if (read_line(line, sizeof(line), &len, READ_TIMEOUT_MS) != 1)
		fail("no CRAM-MD5 challenge");
	if (strncmp(line, "+ \"", 3) != 0 ||
	    (e = strrchr(line, '"')) == line + 2)
		fail("bad CRAM-MD5 challenge: %s", line);
	q = line + 3;
	*e = '\0';
	HMAC(EVP_md5(), pass, (int)strlen(pass), (unsigned char *)q,
	    strlen(q), mac, &maclen);
	for (i = 0; i < maclen; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	len = (size_t)snprintf(out, sizeof(out), "\"%s %s\"\r\n", user, hex);
	send_bytes(out, len);
	snprintf(out, sizeof(out), "%s OK .*", tag);
	expect_line(out, true);
}

static const char *sasl_user, *sasl_pass;

static int
sasl_simple_cb(void *ctx, int id, const char **result, unsigned *len)
{
	(void)ctx;
	*result = sasl_user;
	if (len != NULL)
		*len = (unsigned)strlen(sasl_user);
	(void)id;
	return SASL_OK;
}

static int
sasl_pass_cb(sasl_conn_t *conn, void *ctx, int id, sasl_secret_t **psecret)
{
	static union {
		sasl_secret_t s;
		char buf[sizeof(sasl_secret_t) + 1024];
	} u;
	size_t n = strlen(sasl_pass);

	(void)conn;
	(void)ctx;
	(void)id;
	if (n > 1000)
		return SASL_FAIL;
	u.s.len = n;
	memcpy(u.s.data, sasl_pass, n + 1);
	*psecret = &u.s;
	return SASL_OK;
}

/* Send SASL client data as a non-synchronizing literal line. */
static void
sasl_send(const char *prefix, const char *data, unsigned len)
{
	static char buf[8192];
	int n;

	n = snprintf(buf, sizeof(buf), "%s{%u+}\r\n", prefix, len);
	if (n < 0 || (size_t)n + len + 2 > sizeof(buf))
		fail("SASL data too long");
	memcpy(buf + n, data, len);
	memcpy(buf + n + len, "\r\n", 2);
	send_bytes(buf, (size_t)n + len + 2);
}

/* Decode a quoted string at s (ACAP escapes) into out; returns length. */
static size_t
unquote(const char *s, char *out, size_t outlen)
{
	size_t n = 0;

	if (*s++ != '"')
		fail("expected a quoted string: %s", s - 1);
	while (*s != '\0' && *s != '"' && n < outlen) {
		if (*s == '\\' && s[1] != '\0')
			s++;
		out[n++] = *s++;
	}
	return n;
}

static void
do_sasl(const char *mech, const char *user, const char *pass)
{
	static sasl_callback_t cbs[] = {
		{ SASL_CB_USER, (int (*)(void))(void (*)(void))sasl_simple_cb, NULL },
		{ SASL_CB_AUTHNAME, (int (*)(void))(void (*)(void))sasl_simple_cb, NULL },
		{ SASL_CB_PASS, (int (*)(void))(void (*)(void))sasl_pass_cb, NULL },
		{ SASL_CB_LIST_END, NULL, NULL },
	};
	static bool inited;
	static char line[8192], in[8192];
	sasl_conn_t *conn;
	const char *out, *chosen;
	unsigned outlen;
	char prefix[128], tag[32];
	size_t len, inlen;
	int r;

	sasl_user = user;
	sasl_pass = pass;
	if (!inited) {
		if (sasl_client_init(NULL) != SASL_OK)
			fail("sasl_client_init failed");
		inited = true;
	}
	if (sasl_client_new("acap", "localhost", NULL, NULL, cbs, 0,
	    &conn) != SASL_OK)
		fail("sasl_client_new failed");
	r = sasl_client_start(conn, mech, NULL, &out, &outlen, &chosen);
	if (r != SASL_OK && r != SASL_CONTINUE)
		fail("sasl_client_start(%s): %s", mech, sasl_errdetail(conn));
	snprintf(tag, sizeof(tag), "S%d", ++tag_seq);
	if (out != NULL) {
		snprintf(prefix, sizeof(prefix), "%s AUTHENTICATE \"%s\" ", tag,
		    mech);
		sasl_send(prefix, out, outlen);
	} else {
		len = (size_t)snprintf(line, sizeof(line),
		    "%s AUTHENTICATE \"%s\"\r\n", tag, mech);
		send_bytes(line, len);
	}
	for (;;) {
		if (read_line(line, sizeof(line), &len, READ_TIMEOUT_MS) != 1)
			fail("no answer during %s authentication", mech);
		if (strncmp(line, "+ ", 2) == 0) {
			inlen = unquote(line + 2, in, sizeof(in));
			r = sasl_client_step(conn, in, (unsigned)inlen, NULL,
			    &out, &outlen);
			if (r != SASL_OK && r != SASL_CONTINUE)
				fail("%s step: %s", mech, sasl_errdetail(conn));
			sasl_send("", out != NULL ? out : "", out != NULL ?
			    outlen : 0);
			continue;
		}
		if (strncmp(line, tag, strlen(tag)) == 0 &&
		    strncmp(line + strlen(tag), " OK", 3) == 0)
			break;
		fail("%s authentication: %s", mech, line);
	}
	sasl_dispose(&conn);
}

static void
run_shell(const char *cmd)
{
	char full[4096];
	int st;

	snprintf(full, sizeof(full), "cd '%s' && %s", dir, cmd);
	st = system(full);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail("command failed (status %d): %s", st, cmd);
}

static void
do_useradd(const char *user, const char *pass)
{
	char cmd[1024];

	/* acapctl reads the password from stdin when it is not a tty. */
	snprintf(cmd, sizeof(cmd),
	    "printf '%%s\\n' '%s' | '%s' -s '%s' user add --password-stdin "
	    "'%s' >/dev/null", pass, acapctl_path, dir, user);
	run_shell(cmd);
}

static void
do_garbage(int n, unsigned int seed)
{
	static char line[1 << 16];
	static char buf[1 << 20];
	size_t len, off = 0;
	int i, j, bads = 0, r;

	srand(seed);
	for (i = 0; i < n; i++) {
		int l = rand() % 200;

		for (j = 0; j < l; j++) {
			char ch;

			do
				ch = (char)(rand() % 256);
			while (ch == '\r' || ch == '\n');
			buf[off++] = ch;
		}
		buf[off++] = '\r';
		buf[off++] = '\n';
		if (off > sizeof(buf) - 512) {
			send_bytes(buf, off);
			off = 0;
		}
	}
	memcpy(buf + off, "zz NOOP\r\n", 9);
	send_bytes(buf, off + 9);
	for (;;) {
		r = read_line(line, sizeof(line), &len, READ_TIMEOUT_MS * 4);
		if (r <= 0)
			fail("after %d BAD replies: %s", bads,
			    r == 0 ? "connection closed" : "timeout");
		if (strcmp(line, "zz OK \"NOOP completed\"") == 0)
			break;
		if (strstr(line, " BAD \"") == NULL)
			fail("expected a BAD reply, got \"%.80s\"", line);
		bads++;
	}
	if (bads != n)
		fail("%d lines of garbage got %d BAD replies", n, bads);
}

static void
do_many(int n)
{
	static char line[4096];
	struct tconn *save = cur;
	char name[32];
	size_t len;
	int i;

	if (n > MAX_CONNS - (int)nconns - 1 && n > 0) {
		/* Beyond the named-connection table: raw sockets. */
		int *fds = calloc((size_t)n, sizeof(int));
		struct tconn t;

		for (i = 0; i < n; i++) {
			struct sockaddr_in sin;

			if ((fds[i] = socket(AF_INET, SOCK_STREAM, 0)) == -1)
				fail("socket: %s", strerror(errno));
			memset(&sin, 0, sizeof(sin));
			sin.sin_family = AF_INET;
			sin.sin_port = htons(port);
			sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			if (connect(fds[i], (struct sockaddr *)&sin,
			    sizeof(sin)) == -1)
				fail("connection %d: %s", i, strerror(errno));
		}
		for (i = 0; i < n; i++) {
			memset(&t, 0, sizeof(t));
			t.fd = fds[i];
			cur = &t;
			if (read_line(line, sizeof(line), &len,
			    READ_TIMEOUT_MS) != 1 ||
			    strncmp(line, "* ACAP ", 7) != 0)
				fail("connection %d: no greeting", i);
			send_bytes("m NOOP\r\n", 8);
			if (read_line(line, sizeof(line), &len,
			    READ_TIMEOUT_MS) != 1 ||
			    strcmp(line, "m OK \"NOOP completed\"") != 0)
				fail("connection %d: NOOP failed", i);
		}
		for (i = 0; i < n; i++)
			close(fds[i]);
		free(fds);
		cur = save;
		return;
	}
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "many%d", i);
		conn_open(name);
	}
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "many%d", i);
		cur = conn_find(name);
		expect_line("^\\* ACAP ", true);
	}
	(void)len;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "many%d", i);
		cur = conn_find(name);
		conn_drop(cur);
	}
	cur = save;
}

/*
 * Copy tmpl to out with each "%d" replaced by i, each "%0Wd" by i
 * zero-padded to W digits (W 1-9).
 */
static void
expand_number(const char *tmpl, int i, char *out, size_t outlen)
{
	const char *t;
	size_t o = 0;

	for (t = tmpl; *t != '\0' && o < outlen - 16; t++) {
		if (t[0] == '%' && t[1] == 'd') {
			o += (size_t)snprintf(out + o, outlen - o, "%d", i);
			t++;
		} else if (t[0] == '%' && t[1] == '0' && t[2] >= '1' &&
		    t[2] <= '9' && t[3] == 'd') {
			o += (size_t)snprintf(out + o, outlen - o, "%0*d",
			    t[2] - '0', i);
			t += 3;
		} else
			out[o++] = *t;
	}
	out[o] = '\0';
}

/*
 * "for A B" / "interleave A B" ... "end": a block of "S:" / "S~"
 * templates, expanded for each number from A to B.
 */
#define MAX_BLOCK 16
static struct {
	bool active, interleave;
	int first, last;
	size_t n;
	char *text[MAX_BLOCK];
	bool regex[MAX_BLOCK];
	unsigned int line[MAX_BLOCK];
	unsigned int start_line;
} block;

/*
 * interleave: the streams (one per number, each the block's lines in
 * order) may interleave in any way; each server line goes to the
 * lowest-numbered stream whose next line it matches.
 */
static void
run_interleave(void)
{
	static char line[1 << 16];
	size_t m = (size_t)(block.last - block.first + 1), n = block.n;
	size_t total = m * n, got, k, lo = 0, len;
	char **exp = calloc(total, sizeof(*exp));
	size_t *elen = calloc(total, sizeof(*elen));
	regex_t *re = calloc(total, sizeof(*re));
	bool *compiled = calloc(total, sizeof(*compiled));
	size_t *pos = calloc(m, sizeof(*pos));
	char buf[8192], pw[2048];
	int r;

	if (exp == NULL || elen == NULL || re == NULL || compiled == NULL ||
	    pos == NULL)
		fail("out of memory");
	/* "S:" lines unescaped once, "S~" ones compiled when first needed */
	for (k = 0; k < m; k++) {
		size_t j;

		for (j = 0; j < n; j++) {
			size_t idx = k * n + j;

			expand_number(block.text[j], block.first + (int)k, buf,
			    sizeof(buf));
			if (block.regex[j]) {
				exp[idx] = strdup(buf);
				continue;
			}
			if ((exp[idx] = malloc(sizeof(line))) == NULL)
				fail("out of memory");
			elen[idx] = unescape(buf, exp[idx], sizeof(line));
		}
	}
	for (got = 0; got < total; got++) {
		r = read_line(line, sizeof(line), &len, READ_TIMEOUT_MS);
		if (r == 0)
			fail("interleave %d %d: end of connection after %zu of "
			    "%zu lines", block.first, block.last, got, total);
		if (r < 0)
			fail("interleave %d %d: %zu of %zu lines within %d ms",
			    block.first, block.last, got, total,
			    READ_TIMEOUT_MS);
		while (lo < m && pos[lo] == n)
			lo++;
		for (k = lo; k < m; k++) {
			size_t idx = k * n + pos[k];
			size_t j = pos[k];

			if (j == n)
				continue;
			if (block.regex[j]) {
				if (!compiled[idx]) {
					if (regcomp(&re[idx], exp[idx],
					    REG_EXTENDED | REG_NOSUB) != 0)
						fail("bad regular expression: "
						    "%s", exp[idx]);
					compiled[idx] = true;
				}
				if (regexec(&re[idx], line, 0, NULL, 0) == 0 &&
				    strlen(line) == len)
					break;
			} else if (elen[idx] == len &&
			    memcmp(exp[idx], line, len) == 0)
				break;
		}
		if (k == m) {
			printable(line, len < 200 ? len : 200, pw, sizeof(pw));
			fail("interleave %d %d (from line %u): line %zu \"%s\" "
			    "is the next line of no stream", block.first,
			    block.last, block.start_line, got + 1, pw);
		}
		pos[k]++;
	}
	for (k = 0; k < total; k++) {
		if (compiled[k])
			regfree(&re[k]);
		free(exp[k]);
	}
	free(exp);
	free(elen);
	free(re);
	free(compiled);
	free(pos);
}

static void
run_block(void)
{
	char buf[8192];
	size_t j;
	int i;

	if (block.n == 0)
		fail("empty block");
	if (block.interleave)
		run_interleave();
	else {
		unsigned int end_line = lineno;

		for (i = block.first; i <= block.last; i++)
			for (j = 0; j < block.n; j++) {
				expand_number(block.text[j], i, buf,
				    sizeof(buf));
				lineno = block.line[j];
				expect_line(buf, block.regex[j]);
			}
		lineno = end_line;
	}
	for (j = 0; j < block.n; j++)
		free(block.text[j]);
	memset(&block, 0, sizeof(block));
}

static void
directive(char *line)
{
	char *arg, *a2;

	if (strncmp(line, "C: ", 3) == 0 || strcmp(line, "C:") == 0) {
		char buf[65536];
		size_t n = unescape(line[2] ? line + 3 : "", buf,
		    sizeof(buf) - 2);

		buf[n++] = '\r';
		buf[n++] = '\n';
		send_bytes(buf, n);
		return;
	}
	if (strncmp(line, "R: ", 3) == 0) {
		char buf[65536];
		size_t n = unescape(line + 3, buf, sizeof(buf));

		send_bytes(buf, n);
		return;
	}
	if (strncmp(line, "S: ", 3) == 0 || strncmp(line, "S~ ", 3) == 0) {
		bool regex = line[1] == '~';

		if (cur == NULL)
			fail("no current connection");
		if (block.active) {
			if (block.n == MAX_BLOCK)
				fail("more than %d lines in a block",
				    MAX_BLOCK);
			block.text[block.n] = strdup(line + 3);
			block.regex[block.n] = regex;
			block.line[block.n++] = lineno;
		} else if (unordered_want > 0)
			collect_unordered(line + 3, regex);
		else
			expect_line(line + 3, regex);
		return;
	}
	if (block.active) {
		if (strcmp(line, "end") != 0)
			fail("only \"S:\" and \"S~\" lines up to \"end\" in "
			    "a block, not \"%s\"", line);
		run_block();
		return;
	}
	if (unordered_want > 0)
		fail("\"unordered %d\" needs %d more \"S:\" or \"S~\" "
		    "lines before \"%s\"", unordered_want,
		    unordered_want - (int)unordered_n, line);
	arg = strchr(line, ' ');
	if (arg != NULL)
		*arg++ = '\0';
	a2 = arg != NULL ? strchr(arg, ' ') : NULL;
	if (strcmp(line, "config") == 0 && arg != NULL) {
		extra_config = realloc(extra_config,
		    (nextra + 1) * sizeof(*extra_config));
		extra_config[nextra++] = strdup(arg);
	} else if (strcmp(line, "reconfig") == 0 && a2 != NULL) {
		size_t i, nlen = (size_t)(a2 - arg);

		for (i = 0; i < nextra; i++)
			if (strncmp(extra_config[i], arg, nlen + 1) == 0)
				break;
		if (i == nextra)
			extra_config = realloc(extra_config,
			    (++nextra) * sizeof(*extra_config));
		else
			free(extra_config[i]);
		extra_config[i] = strdup(arg);
		write_config();
	} else if (strcmp(line, "start") == 0 || strcmp(line, "restart") == 0) {
		server_start();
	} else if (strcmp(line, "connect") == 0) {
		conn_open(arg != NULL ? arg : "main");
	} else if (strcmp(line, "use") == 0 && arg != NULL) {
		if ((cur = conn_find(arg)) == NULL)
			fail("no connection named %s", arg);
	} else if (strcmp(line, "rcvbuf") == 0 && arg != NULL) {
		rcvbuf = atoi(arg);
	} else if ((strcmp(line, "repeat") == 0 ||
	    strcmp(line, "R-repeat") == 0) && a2 != NULL) {
		bool crlf = line[0] != 'R';
		int i, n = atoi(arg);

		for (i = 1; i <= n; i++) {
			static char raw[1 << 20];
			char out[8192];
			size_t rn;

			expand_number(a2 + 1, i, out, sizeof(out));
			rn = unescape(out, raw, sizeof(raw) - 2);
			if (crlf) {
				raw[rn++] = '\r';
				raw[rn++] = '\n';
			}
			send_bytes(raw, rn);
		}
	} else if (strcmp(line, "lines") == 0 && a2 != NULL) {
		int i, n = atoi(arg);

		for (i = 0; i < n; i++)
			expect_line(a2 + 1, true);
	} else if (strcmp(line, "skip") == 0 && arg != NULL) {
		skip_until(arg);
	} else if (strcmp(line, "eof") == 0) {
		expect_eof();
	} else if (strcmp(line, "drain") == 0) {
		if (cur == NULL)
			fail("no current connection");
		drain_to_eof();
	} else if (strcmp(line, "nothing") == 0 && arg != NULL) {
		expect_nothing(atoi(arg));
	} else if (strcmp(line, "tls") == 0) {
		start_tls();
	} else if ((strcmp(line, "for") == 0 ||
	    strcmp(line, "interleave") == 0) && a2 != NULL) {
		if (cur == NULL)
			fail("no current connection");
		block.active = true;
		block.interleave = line[0] == 'i';
		block.first = atoi(arg);
		block.last = atoi(a2 + 1);
		block.start_line = lineno;
		if (block.last < block.first)
			fail("%s %d %d: an empty range", line, block.first,
			    block.last);
	} else if (strcmp(line, "unordered") == 0 && arg != NULL) {
		unordered_want = atoi(arg);
		unordered_n = 0;
		if (unordered_want < 1 || unordered_want > MAX_UNORDERED)
			fail("unordered: 1 to %d lines", MAX_UNORDERED);
	} else if (strcmp(line, "close") == 0) {
		if (cur != NULL) {
			check_unread(cur, 0);
			conn_drop(cur);
		}
	} else if (strcmp(line, "sasl") == 0 && a2 != NULL) {
		char *user = a2 + 1, *pass = strchr(user, ' ');

		*a2 = '\0';
		if (pass == NULL)
			fail("usage: sasl MECH USER PASS");
		*pass++ = '\0';
		do_sasl(arg, user, pass);
	} else if ((strcmp(line, "login") == 0 || strcmp(line, "cram") == 0 ||
	    strcmp(line, "useradd") == 0) && a2 != NULL) {
		*a2++ = '\0';
		if (strcmp(line, "useradd") == 0) {
			if (acapd_pid <= 0)
				server_start();
			do_useradd(arg, a2);
		} else if (line[0] == 'l')
			do_login(arg, a2);
		else
			do_cram(arg, a2);
	} else if (strcmp(line, "mark") == 0) {
		mark_ms = now_ms();
	} else if (strcmp(line, "elapsed") == 0 && a2 != NULL) {
		long long lo = atoll(arg), hi = atoll(a2 + 1), t;

		if (mark_ms < 0)
			fail("elapsed without a mark");
		t = now_ms() - mark_ms;
		if (t < lo || t > hi)
			fail("%lld ms since the mark, expected %lld to %lld",
			    t, lo, hi);
	} else if (strcmp(line, "sleep") == 0 && arg != NULL) {
		usleep((useconds_t)atoi(arg) * 1000);
	} else if (strcmp(line, "signal") == 0 && arg != NULL) {
		int sig = strcmp(arg, "TERM") == 0 ? SIGTERM :
		    strcmp(arg, "HUP") == 0 ? SIGHUP :
		    strcmp(arg, "KILL") == 0 ? SIGKILL : 0;

		if (sig == 0 || acapd_pid <= 0)
			fail("cannot send signal %s", arg);
		kill(acapd_pid, sig);
	} else if (strcmp(line, "wait-exit") == 0 && arg != NULL) {
		server_wait_exit(atoi(arg));
	} else if (strcmp(line, "require-root") == 0) {
		if (geteuid() != 0) {
			fprintf(stderr, "%s: skipped: needs root\n",
			    script_path);
			cleanup_dir();
			exit(77);
		}
	} else if (strcmp(line, "require-program") == 0 && arg != NULL) {
		char cmd[512];

		snprintf(cmd, sizeof(cmd), "command -v '%s' >/dev/null", arg);
		if (system(cmd) != 0) {
			fprintf(stderr, "%s: skipped: %s is not installed\n",
			    script_path, arg);
			cleanup_dir();
			exit(77);
		}
	} else if (strcmp(line, "garbage") == 0 && a2 != NULL) {
		do_garbage(atoi(arg), (unsigned int)atoi(a2 + 1));
	} else if (strcmp(line, "many") == 0 && arg != NULL) {
		if (acapd_pid <= 0)
			server_start();
		do_many(atoi(arg));
	} else if (strcmp(line, "exec") == 0 && arg != NULL) {
		if (acapd_pid <= 0)
			server_start();
		run_shell(arg);
	} else
		fail("unknown directive \"%s\"", line);
}

static void
cleanup_dir(void)
{
	char cmd[400];

	if (getenv("ACAP_SCRIPT_KEEP") != NULL) {
		fprintf(stderr, "kept %s\n", dir);
		return;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)!system(cmd);
}

int
main(int argc, char *argv[])
{
	static char line[65536];
	const char *top;
	char path[1024];
	FILE *fp;
	size_t i;
	int st;

	if (argc != 2) {
		fprintf(stderr, "usage: acap-script SCRIPT\n");
		return 2;
	}
	script_path = argv[1];
	signal(SIGPIPE, SIG_IGN);
	top = getenv("top_builddir");
	if (top == NULL)
		top = ".";
	snprintf(path, sizeof(path), "%s/acapd/acapd", top);
	acapd_path = strdup(getenv("ACAPD") != NULL ? getenv("ACAPD") : path);
	snprintf(path, sizeof(path), "%s/acapctl/acapctl", top);
	acapctl_path = strdup(getenv("ACAPCTL") != NULL ? getenv("ACAPCTL") :
	    path);
	snprintf(dir, sizeof(dir), "/tmp/acap-script.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(conf_path, sizeof(conf_path), "%s/acapd.conf", dir);
	setenv("ACAPD_DIR", dir, 1);
	setenv("ACAPD_CONF", conf_path, 1);
	setenv("ACAPCTL", acapctl_path, 1);
	/* A tester's ~/.config/acapctl.conf must not point acapctl elsewhere. */
	setenv("ACAPCTL_CONFIG", "/dev/null", 1);
	setenv("ACAPD", acapd_path, 1);
	if ((fp = fopen(script_path, "r")) == NULL) {
		perror(script_path);
		return 1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		size_t n = strlen(line);

		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		directive(line);
	}
	fclose(fp);
	lineno++;
	if (unordered_want > 0)
		fail("end of script inside \"unordered %d\"", unordered_want);
	if (block.active)
		fail("end of script inside a block: no \"end\"");
	/* Nothing may be left unread: a line no directive expected. */
	if (nconns > 0)
		usleep(UNREAD_MS * 1000);
	for (i = 0; i < nconns; i++)
		if (conns[i].fd != -1)
			check_unread(&conns[i], 0);
	for (i = 0; i < nconns; i++)
		if (conns[i].fd != -1)
			conn_drop(&conns[i]);
	if (acapd_pid > 0) {
		/* A clean SIGTERM shutdown is part of every scenario. */
		kill(acapd_pid, SIGTERM);
		server_wait_exit(0);
	}
	(void)st;
	cleanup_dir();
	return 0;
}
