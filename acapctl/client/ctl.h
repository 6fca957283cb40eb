/*
 * ctl.h -- the state of one acapctl run and the services every command
 * uses: the (lazily opened, authenticated) server connection, running
 * ACAP commands, reading datasets and storing, the local user database,
 * option parsing, and output (text, or one JSON object per command).
 *
 * Owns: the connection, the cached login password (wiped on exit), the
 * per-command result and error.  Commands (cmd-*.c) never print errors
 * themselves: they return ctl_error()/ctl_usage()/ctl_refused().
 */
#ifndef ACAPCTL_CTL_H
#define ACAPCTL_CTL_H

#include <stdbool.h>
#include <stddef.h>

#include "acap-client.h"
#include "conf.h"

/* Exit statuses (acapctl(1)). */
#define CTL_OK		0
#define CTL_FAIL	1	/* refused by the server, or failed */
#define CTL_USAGE	2

struct acap_buf;
struct ds;
struct ds_store;
struct json_t;
struct userdb;

struct ctl {
	struct conf conf;
	bool json;		/* --json */
	bool keep_going;	/* -k: batches go on after a failure */
	bool verbose;		/* -v: protocol trace on stderr */
	bool interactive;	/* the libedit shell is running */
	bool stdin_busy;	/* stdin carries commands: no
				   --password-stdin */
	struct acap_client *client;
	char *password;		/* login password, once known */
	char *cwd;		/* shell: current dataset, or NULL */

	/* the command in progress */
	char *cmdname;
	struct json_t *result;
	struct json_t *warnings;
	char *error;
	char *error_code;
	bool usage_error;

	size_t page_size;	/* entries per SEARCH reading a whole
				   dataset (ctl_search_paged); 0: one
				   SEARCH.  ACAPCTL_PAGE_SIZE */
};

/* The default page of ctl_search_paged(). */
#define CTL_PAGE_SIZE	1000

void ctl_init(struct ctl *ctl);
/* Log out, close, wipe the password, free everything. */
void ctl_deinit(struct ctl *ctl);

/*
 * Run one command line (argv[0] is the command name).  Prints its output
 * (text as it goes, or one JSON object at the end) and any error.
 * Returns CTL_OK, CTL_FAIL or CTL_USAGE.
 */
int ctl_exec(struct ctl *ctl, int argc, char **argv);
/*
 * ctl_exec() on a line's words from words_split(), which it then frees
 * (*argvp set to NULL): the option parser may reorder or drop pointers
 * of argv, so every word is freed from a copy of the array taken before.
 */
int ctl_exec_words(struct ctl *ctl, int argc, char ***argvp);

/* Errors: record a message for the running command and return a status. */
int ctl_error(struct ctl *ctl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int ctl_usage(struct ctl *ctl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * The server refused the last command: message = the formatted prefix,
 * then the completion ("NO (NOEXIST \"/x/\") text").  Returns CTL_FAIL.
 */
int ctl_refused(struct ctl *ctl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A warning: stderr in text mode, the "warnings" array in JSON. */
void ctl_warn(struct ctl *ctl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Text output (stdout), suppressed with --json. */
void ctl_out(struct ctl *ctl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The command's JSON result object (created on first use). */
struct json_t *ctl_result(struct ctl *ctl);

/*
 * Command options: "--name" flags and "--name VALUE" / "--name=VALUE",
 * anywhere among the arguments ("--" ends them).  Recognised options are
 * removed from argv (*argc updated).  "--json" is always accepted.
 * Returns 0, or CTL_USAGE (error recorded) for an unknown option or a
 * missing value.  Values point into argv.
 */
enum ctl_opt_type { CTL_OPT_FLAG, CTL_OPT_ARG, CTL_OPT_LIST };
struct ctl_opt {
	const char *name;		/* without "--"; NULL ends the table */
	enum ctl_opt_type type;
	void *dst;			/* bool *, const char ** or
					   struct ctl_list * */
};
/* A repeatable option ("--domain a --domain b"), in the order given. */
#define CTL_LIST_MAX	32
struct ctl_list {
	const char *v[CTL_LIST_MAX];
	size_t n;
};
int ctl_getopt(struct ctl *ctl, int *argc, char **argv,
    const struct ctl_opt *opts);

/*
 * Open, STARTTLS and authenticate the server connection unless it is
 * already up.  Returns 0, or -1 (error recorded).
 */
int ctl_connect(struct ctl *ctl);
/*
 * Open another authenticated connection to the same server (same
 * options and credentials), for commands in flight at the same time;
 * the caller closes it with ctl_close_another() (logs out unless a
 * command is in flight, frees, sets *cp to NULL).  Returns 0, or -1
 * (error recorded).
 */
int ctl_connect_another(struct ctl *ctl, struct acap_client **c_r);
void ctl_close_another(struct acap_client **cp);
/* Whether a server was named (-H, -p or the configuration file). */
bool ctl_server_configured(const struct ctl *ctl);

/*
 * Run an ACAP command (body after the tag).  Untagged ALERTs are shown
 * to the user (RFC 2244 §6.2.9 MUST); everything else goes to cb.
 * Returns 0 for OK, 1 for NO/BAD (nothing recorded: see ctl_completion()
 * and ctl_refused()), -1 on connection failure (error recorded).
 */
int ctl_run(struct ctl *ctl, const struct acap_buf *body,
    acap_client_resp_cb *cb, void *arg);
const struct acap_completion *ctl_completion(const struct ctl *ctl);

#define CTL_NOINHERIT	0x01
/*
 * SEARCH path [NOINHERIT] RETURN ("*") ALL into a new dataset, page by
 * page (ctl_search_paged()), or only the entry named entry (EQUAL
 * "entry" "i;octet" ..., RFC 2244 §6.4.1) when entry != NULL.  A NO (NOEXIST) gives an empty dataset with
 * exists == false.  Returns 0, or -1 (error recorded).
 */
int ctl_read_dataset(struct ctl *ctl, const char *path, unsigned int flags,
    const char *entry, struct ds **ds_r);
/*
 * The same with search criteria of the caller's (RFC 2244 §6.4.1, wire
 * form: strings already quoted with acap_client_add_string()).
 */
int ctl_search_dataset(struct ctl *ctl, const char *path,
    unsigned int flags, const char *criteria, struct ds **ds_r);
/*
 * The same read in pages of ctl->page_size entries in name order, so
 * that a dataset of any size is read within the server's work budget
 * (doc/protocol-notes.md "Paging"): SORT ("entry" "i;octet") LIMIT n n
 * with ALL, then COMPARESTRICT "entry" "+i;octet" <the last name read>
 * (AND the criteria when not NULL), until a page has fewer than n
 * entries.  A page over the server's budget (NO (WAYTOOMANY/WORK)) is
 * asked again half as large.  Not one snapshot: an entry created or
 * removed during the read may be there or not.
 */
int ctl_search_paged(struct ctl *ctl, const char *path, unsigned int flags,
    const char *criteria, struct ds **ds_r);

/*
 * Run the STORE in st (atomic, RFC 2244 §6.6.1).  Returns 0 for OK,
 * 1 when refused (error recorded, naming what), -1 on failure.
 */
int ctl_store(struct ctl *ctl, const struct ds_store *st, const char *what);
/* The same, passing intermediate responses (ENTRY after DEFAULT) to cb. */
int ctl_store_cb(struct ctl *ctl, const struct ds_store *st,
    const char *what, acap_client_resp_cb *cb, void *arg);

/*
 * A STORE in flight (pipelining, acap_client_send()) on a connection of
 * ctl_connect_another(): ctl_store_send() sends st and returns 0, 1 when
 * it cannot go without waiting (run it with ctl_store() then), -1 on
 * failure (error recorded); ctl_store_finish() waits for its completion
 * and returns as ctl_store().
 */
int ctl_store_send(struct ctl *ctl, struct acap_client *c,
    const struct ds_store *st);
int ctl_store_finish(struct ctl *ctl, struct acap_client *c,
    const char *what);

/*
 * Take a layer from the front of *argv (model_layer_parse(); "." is the
 * shell's current dataset) and advance argc and argv past it.  Returns
 * CTL_OK, or CTL_USAGE (error recorded).
 */
struct model_layer;
int ctl_take_layer(struct ctl *ctl, int *argc, char ***argv,
    struct model_layer *l);

/*
 * The local SASL user database selected by -s STATEDIR / --sasldb.
 * Opened on first use and kept.  Returns 0, or -1 (error recorded).
 */
int ctl_userdb(struct ctl *ctl, struct userdb **db_r);
bool ctl_userdb_configured(const struct ctl *ctl);

/*
 * Read a new password for a user account: from stdin (--password-stdin,
 * one line), a file (first line), or the terminal (asked twice, no
 * echo).  Returns a new string (caller wipes and frees), or NULL (error
 * recorded).
 */
char *ctl_new_password(struct ctl *ctl, bool from_stdin, const char *file);

/*
 * Read a line without echo from the terminal (/dev/tty).  Returns 0, or
 * -1 when there is no terminal.  buf is NUL-terminated, newline removed.
 */
int ctl_read_secret(const char *prompt, char *buf, size_t size);

#endif
