/*
 * powerloss.c -- LD_PRELOAD shim that lets a test simulate a power loss
 * (tests/reliability/crash.py --powerloss; doc/reliability.md).
 *
 * A kill -9 loses nothing that reached the kernel: the page cache still
 * holds every write() and the data reaches the disk later.  A power loss
 * also loses what was written but not yet synced.  To test that acapd
 * acknowledges a STORE only after it is durable, this shim keeps, for
 * each file named in POWERLOSS_FILES (absolute paths separated by ':'),
 * an undo log "<file>.undo": before every pwrite64() or ftruncate64() of
 * the file it appends the bytes (and the size) that the call is about to
 * replace; when fsync() or fdatasync() of the file returns successfully,
 * the log is emptied, since everything before it is now on the disk.
 * After the process is killed, applying the log backwards (newest record
 * first) turns the file into what the disk would hold had the power
 * failed at that instant without any unsynced write reaching it: the
 * most pessimistic outcome, and a common one.
 *
 * These are the calls SQLite's unix VFS uses for the database and its
 * WAL (it reads through mmap and pread, writes with pwrite64, syncs with
 * fdatasync).  The WAL index (-shm) needs no log: the first connection
 * after a crash rebuilds it from the WAL.
 *
 * Record layout (native byte order, the reader is on the same machine):
 *   char kind[8]   "WRITE" or "TRUNC", NUL-padded
 *   uint64_t pos   WRITE: the write's offset; TRUNC: the new length
 *   uint64_t len   WRITE: the write's length; TRUNC: 0
 *   uint64_t size  the file's size before the call
 *   uint64_t saved octets that follow: the old contents at pos, within
 *                  the old size
 * A record is appended before the call it describes, so a record cut
 * short by the kill describes a call that never happened: the reader
 * drops it.
 *
 * POWERLOSS_LIE=1 makes every sync of a listed file a no-op that reports
 * success (a disk that lies about its write cache): the test's own
 * control, which must then find acknowledged STOREs lost.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

struct undo_rec {
	char kind[8];
	uint64_t pos, len, size, saved;
};

static ssize_t (*real_pwrite64)(int, const void *, size_t, off64_t);
static int (*real_ftruncate64)(int, off64_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void
die(const char *what)
{
	/* the test must not run on with a log that misses a call */
	fprintf(stderr, "powerloss: %s: %s\n", what, strerror(errno));
	abort();
}

static void *
real(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);

	if (f == NULL) {
		fprintf(stderr, "powerloss: no %s\n", name);
		abort();
	}
	return f;
}

__attribute__((constructor)) static void
init(void)
{
	real_pwrite64 = (ssize_t (*)(int, const void *, size_t, off64_t))
	    real("pwrite64");
	real_ftruncate64 = (int (*)(int, off64_t))real("ftruncate64");
	real_fsync = (int (*)(int))real("fsync");
	real_fdatasync = (int (*)(int))real("fdatasync");
}

/*
 * If fd is one of the listed files, put its undo log's path in undo
 * (PATH_MAX) and return 1.
 */
static int
tracked(int fd, char *undo)
{
	const char *list = getenv("POWERLOSS_FILES"), *p, *end;
	char link[64], path[PATH_MAX];
	ssize_t n;
	size_t len;

	if (list == NULL || *list == '\0')
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	/* room for the ".undo" suffix */
	if ((n = readlink(link, path, sizeof(path) - 8)) <= 0)
		return 0;
	path[n] = '\0';
	for (p = list; *p != '\0'; p = *end == ':' ? end + 1 : end) {
		end = strchrnul(p, ':');
		len = (size_t)(end - p);
		if (len == (size_t)n && memcmp(p, path, len) == 0) {
			memcpy(undo, path, len);
			memcpy(undo + len, ".undo", sizeof(".undo"));
			return 1;
		}
	}
	return 0;
}

static void
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			die("undo log write");
		}
		p += n;
		len -= (size_t)n;
	}
}

/*
 * Append a record for a change of [pos, pos + len) of fd (len 0: from
 * pos to the end, a truncation), with the bytes it replaces.
 */
static void
log_change(int fd, const char *undo, const char *kind, uint64_t pos,
    uint64_t len, int truncate)
{
	struct undo_rec r;
	struct stat sb;
	uint64_t end;
	char *old = NULL;
	ssize_t got;
	int u;

	if (fstat(fd, &sb) == -1)
		die("fstat");
	memset(&r, 0, sizeof(r));
	snprintf(r.kind, sizeof(r.kind), "%s", kind);
	r.pos = pos;
	r.len = len;
	r.size = (uint64_t)sb.st_size;
	end = truncate ? r.size : pos + len;
	if (end > r.size)
		end = r.size;
	r.saved = end > pos ? end - pos : 0;
	if (r.saved > 0) {
		if ((old = malloc(r.saved)) == NULL)
			die("malloc");
		got = pread(fd, old, r.saved, (off_t)pos);
		if (got != (ssize_t)r.saved)
			die("pread");
	}
	if ((u = open(undo, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600)) == -1)
		die(undo);
	write_all(u, &r, sizeof(r));
	if (r.saved > 0)
		write_all(u, old, r.saved);
	close(u);
	free(old);
}

ssize_t
pwrite64(int fd, const void *buf, size_t len, off64_t pos)
{
	char undo[PATH_MAX];
	ssize_t n;

	if (!tracked(fd, undo))
		return real_pwrite64(fd, buf, len, pos);
	pthread_mutex_lock(&lock);
	log_change(fd, undo, "WRITE", (uint64_t)pos, len, 0);
	n = real_pwrite64(fd, buf, len, pos);
	pthread_mutex_unlock(&lock);
	return n;
}

/* the same calls under their other names (x86-64: one off_t) */
ssize_t
pwrite(int fd, const void *buf, size_t len, off_t pos)
{
	return pwrite64(fd, buf, len, pos);
}

int
ftruncate(int fd, off_t len)
{
	return ftruncate64(fd, len);
}

int
ftruncate64(int fd, off64_t len)
{
	char undo[PATH_MAX];
	int r;

	if (!tracked(fd, undo))
		return real_ftruncate64(fd, len);
	pthread_mutex_lock(&lock);
	log_change(fd, undo, "TRUNC", (uint64_t)len, 0, 1);
	r = real_ftruncate64(fd, len);
	pthread_mutex_unlock(&lock);
	return r;
}

static int
sync_common(int fd, int (*sync_fn)(int))
{
	char undo[PATH_MAX];
	const char *lie = getenv("POWERLOSS_LIE");
	int r, u;

	if (!tracked(fd, undo))
		return sync_fn(fd);
	if (lie != NULL && strcmp(lie, "1") == 0)
		return 0;
	pthread_mutex_lock(&lock);
	if ((r = sync_fn(fd)) == 0) {
		/* durable now: nothing before this point can be lost */
		if ((u = open(undo, O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC,
		    0600)) == -1)
			die(undo);
		close(u);
	}
	pthread_mutex_unlock(&lock);
	return r;
}

int
fsync(int fd)
{
	return sync_common(fd, real_fsync);
}

int
fdatasync(int fd)
{
	return sync_common(fd, real_fdatasync);
}
