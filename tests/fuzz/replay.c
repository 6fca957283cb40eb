/*
 * replay.c -- a main() for the fuzz targets without libFuzzer: runs
 * LLVMFuzzerTestOneInput() once on each file named (directories are read,
 * not recursively, in name order).  Lets any compiler, sanitizer build or
 * valgrind replay the seed corpora and the regression inputs.
 */
#include "autoconf.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz-common.h"

static size_t replayed;

/* Optional one-time set-up, as libFuzzer calls it before the first input. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* Read path whole; returns 0, or -1 with errno set. */
static int
slurp(const char *path, uint8_t **data_r, size_t *len_r)
{
	FILE *fp;
	uint8_t *data = NULL, *n;
	size_t len = 0, cap = 0, got;

	if ((fp = fopen(path, "rb")) == NULL)
		return -1;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap == 0 ? 8192 : cap * 2;
			if ((n = realloc(data, cap)) == NULL) {
				free(data);
				fclose(fp);
				errno = ENOMEM;
				return -1;
			}
			data = n;
		}
		got = fread(data + len, 1, cap - len, fp);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(fp)) {
		free(data);
		fclose(fp);
		errno = EIO;
		return -1;
	}
	fclose(fp);
	*data_r = data;
	*len_r = len;
	return 0;
}

static int
replay_file(const char *path)
{
	uint8_t *data;
	size_t len;

	if (slurp(path, &data, &len) == -1) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* named first, so that a crash shows which input it was */
	fprintf(stderr, "replay: %s (%zu octets)\n", path, len);
	/* a copy of exactly len octets, as libFuzzer passes it */
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	replayed++;
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
replay_dir(const char *dir)
{
	struct dirent *de;
	char **names = NULL, **n, path[4096];
	size_t count = 0, i;
	int rc = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((n = realloc(names, (count + 1) * sizeof(*names))) ==
		    NULL || (n[count] = strdup(de->d_name)) == NULL) {
			fprintf(stderr, "replay: out of memory\n");
			exit(2);
		}
		names = n;
		count++;
	}
	closedir(d);
	if (count > 0)
		qsort(names, count, sizeof(*names), name_cmp);
	for (i = 0; i < count; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (replay_file(path) == -1)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct stat st;
	int i, rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR ...\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == -1) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
			    strerror(errno));
			rc = 1;
		} else if (S_ISDIR(st.st_mode)) {
			if (replay_dir(argv[i]) == -1)
				rc = 1;
		} else if (replay_file(argv[i]) == -1) {
			rc = 1;
		}
	}
	if (rc == 0)
		printf("replay: %zu inputs, no invariant failed\n", replayed);
	return rc;
}
