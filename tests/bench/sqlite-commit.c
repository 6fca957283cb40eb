/*
 * sqlite-commit.c -- the store benchmark's baseline: durable single-row
 * SQLite commits per second (WAL, synchronous=FULL, as acapd), one writer.
 * Owns its database file.  usage: sqlite-commit [-d s] [-k keys] [--json] [DIR]
 */
#include "autoconf.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#define COMMIT_MAX_SAMPLES	(1u << 24)

static uint64_t
commit_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
commit_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double
commit_quantile_ms(const uint64_t *v, size_t n, double q)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(q * (double)n);
	if (i >= n)
		i = n - 1;
	return (double)v[i] / 1e6;
}

static void __attribute__((noreturn))
commit_die(sqlite3 *db, const char *what)
{
	fprintf(stderr, "sqlite-commit: %s: %s\n", what,
	    db != NULL ? sqlite3_errmsg(db) : strerror(errno));
	exit(1);
}

static void
commit_exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "sqlite-commit: %s: %s\n", sql, err);
		exit(1);
	}
}

int
main(int argc, char *argv[])
{
	const char *dir = "/tmp";
	double seconds = 10;
	unsigned int keys = 1000;
	bool json = false;
	char path[4096], value[64], key[32];
	sqlite3 *db = NULL;
	sqlite3_stmt *st;
	uint64_t *lat, t0, t1, end, n = 0;
	double elapsed;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-d") == 0 && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (strcmp(argv[i], "-k") == 0 && i + 1 < argc)
			keys = (unsigned int)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (argv[i][0] != '-')
			dir = argv[i];
		else {
			fprintf(stderr, "usage: sqlite-commit [-d seconds] "
			    "[-k keys] [--json] [DIR]\n");
			return 2;
		}
	}
	if (seconds <= 0 || keys == 0) {
		fprintf(stderr, "sqlite-commit: bad -d or -k\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/sqlite-commit-%d.db", dir,
	    (int)getpid());
	if ((lat = malloc(COMMIT_MAX_SAMPLES * sizeof(*lat))) == NULL)
		commit_die(NULL, "malloc");
	if (sqlite3_open(path, &db) != SQLITE_OK)
		commit_die(db, path);
	/* acapd's settings (acapd/store.h: store_open) */
	commit_exec(db, "PRAGMA journal_mode=WAL");
	commit_exec(db, "PRAGMA synchronous=FULL");
	commit_exec(db, "CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT)");
	if (sqlite3_prepare_v2(db, "INSERT INTO kv (k, v) VALUES (?, ?) "
	    "ON CONFLICT (k) DO UPDATE SET v = excluded.v", -1, &st,
	    NULL) != SQLITE_OK)
		commit_die(db, "prepare");
	t0 = commit_now_ns();
	end = t0 + (uint64_t)(seconds * 1e9);
	do {
		/* one row, one implicit transaction, one fsync (WAL) */
		t1 = commit_now_ns();
		snprintf(key, sizeof(key), "k%llu",
		    (unsigned long long)(n % keys));
		snprintf(value, sizeof(value), "value %llu",
		    (unsigned long long)n);
		sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE)
			commit_die(db, "insert");
		sqlite3_reset(st);
		if (n < COMMIT_MAX_SAMPLES)
			lat[n] = commit_now_ns() - t1;
		n++;
	} while (commit_now_ns() < end);
	elapsed = (double)(commit_now_ns() - t0) / 1e9;
	sqlite3_finalize(st);
	sqlite3_close(db);
	unlink(path);
	snprintf(path + strlen(path), sizeof(path) - strlen(path), "-wal");
	unlink(path);
	path[strlen(path) - 4] = '\0';
	snprintf(path + strlen(path), sizeof(path) - strlen(path), "-shm");
	unlink(path);
	if (n > COMMIT_MAX_SAMPLES)
		n = COMMIT_MAX_SAMPLES;
	qsort(lat, (size_t)n, sizeof(*lat), commit_cmp);
	if (json)
		printf("{\n  \"scenario\": \"sqlite-commit\",\n"
		    "  \"sqlite\": \"%s\",\n  \"commits\": %llu,\n"
		    "  \"seconds\": %.3f,\n  \"throughput\": %.1f,\n"
		    "  \"p50_ms\": %.3f,\n  \"p99_ms\": %.3f,\n"
		    "  \"p999_ms\": %.3f\n}\n", sqlite3_libversion(),
		    (unsigned long long)n, elapsed, (double)n / elapsed,
		    commit_quantile_ms(lat, (size_t)n, 0.5),
		    commit_quantile_ms(lat, (size_t)n, 0.99),
		    commit_quantile_ms(lat, (size_t)n, 0.999));
	else
		printf("sqlite-commit: SQLite %s, WAL, synchronous=FULL, in "
		    "%s: %llu commits in %.1f s = %.0f/s; p50 %.3f ms, "
		    "p99 %.3f ms, p99.9 %.3f ms\n", sqlite3_libversion(), dir,
		    (unsigned long long)n, elapsed, (double)n / elapsed,
		    commit_quantile_ms(lat, (size_t)n, 0.5),
		    commit_quantile_ms(lat, (size_t)n, 0.99),
		    commit_quantile_ms(lat, (size_t)n, 0.999));
	free(lat);
	return 0;
}
