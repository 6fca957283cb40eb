/*
 * cmds.h -- the table of acapctl commands and their handlers.
 *
 * Owns nothing.  Each handler gets the arguments after the command words
 * (argv[argc] == NULL), returns CTL_OK / CTL_FAIL / CTL_USAGE, and
 * reports through ctl.h.  Handlers live in cmd-<group>.c.
 */
#ifndef ACAPCTL_CMDS_H
#define ACAPCTL_CMDS_H

#include <stdbool.h>
#include <stddef.h>

struct ctl;

struct cmds_entry {
	const char *name;		/* "org" */
	const char *sub;		/* "add", or NULL */
	int (*run)(struct ctl *ctl, int argc, char **argv);
	const char *args;		/* usage after the command words */
	const char *help;		/* one line */
	/*
	 * What each positional argument is, for completion: L layer,
	 * o organisation, u user, d device id, e entry, a attribute,
	 * p dataset path, c command, f file, - anything.
	 */
	const char *complete;
	bool shell_only;
};

extern const struct cmds_entry cmds_table[];
extern const size_t cmds_count;

/*
 * The entry for argv ("org add ...", "set ..."); *used_r words were the
 * command's name.  NULL with *errstr_r (static or thread-unsafe buffer)
 * for an unknown command.
 */
const struct cmds_entry *cmds_find(int argc, char **argv, int *used_r,
    const char **errstr_r);

/* cmd-help.c */
int cmd_help(struct ctl *ctl, int argc, char **argv);
int cmd_info(struct ctl *ctl, int argc, char **argv);

/* cmd-org.c */
int cmd_org_add(struct ctl *ctl, int argc, char **argv);
int cmd_org_list(struct ctl *ctl, int argc, char **argv);
int cmd_org_show(struct ctl *ctl, int argc, char **argv);
int cmd_org_del(struct ctl *ctl, int argc, char **argv);

/* cmd-domain.c */
int cmd_org_domain(struct ctl *ctl, int argc, char **argv);
int cmd_org_discovery(struct ctl *ctl, int argc, char **argv);
int cmd_site_domain(struct ctl *ctl, int argc, char **argv);
int cmd_user_address(struct ctl *ctl, int argc, char **argv);
/*
 * For org add and user add: check and add to st new domains v[0..n) of
 * org (NULL: the site; their lowercase forms into doms, new strings the
 * caller frees) / new addresses of user in org (lowercase forms appended
 * to added).  CTL_OK, or the error recorded.
 */
struct ds_store;
struct json_t;
int cmd_domains_add(struct ctl *ctl, const char *org, const char *const *v,
    size_t n, struct ds_store *st, char **doms);
int cmd_addresses_add(struct ctl *ctl, const char *user, const char *org,
    const char *const *v, size_t n, struct ds_store *st,
    struct json_t *added);
/* After a create-only STORE refused MODIFIED: "WHAT was taken ...". */
int cmd_domains_raced(struct ctl *ctl, const char *what);

/* cmd-user.c */
int cmd_user_add(struct ctl *ctl, int argc, char **argv);
int cmd_user_passwd(struct ctl *ctl, int argc, char **argv);
int cmd_user_list(struct ctl *ctl, int argc, char **argv);
int cmd_user_show(struct ctl *ctl, int argc, char **argv);
int cmd_user_move(struct ctl *ctl, int argc, char **argv);
int cmd_user_del(struct ctl *ctl, int argc, char **argv);

/* cmd-set.c */
int cmd_set_set(struct ctl *ctl, int argc, char **argv);
int cmd_set_unset(struct ctl *ctl, int argc, char **argv);
int cmd_set_reset(struct ctl *ctl, int argc, char **argv);
int cmd_set_show(struct ctl *ctl, int argc, char **argv);
int cmd_set_lock(struct ctl *ctl, int argc, char **argv);
int cmd_set_unlock(struct ctl *ctl, int argc, char **argv);

/* cmd-device.c */
int cmd_device_enrol(struct ctl *ctl, int argc, char **argv);
int cmd_device_list(struct ctl *ctl, int argc, char **argv);
int cmd_device_show(struct ctl *ctl, int argc, char **argv);
int cmd_device_del(struct ctl *ctl, int argc, char **argv);
int cmd_device_clone(struct ctl *ctl, int argc, char **argv);

/* cmd-io.c */
int cmd_io_export(struct ctl *ctl, int argc, char **argv);
int cmd_io_import(struct ctl *ctl, int argc, char **argv);
/*
 * Write data to path as a new file of mode 0600 (mkstemp in the same
 * directory, fsync, rename): a reader never sees a partial file.
 * Returns 0, or -1 with a message in why; then path is untouched.
 */
int cmd_io_write_file(const char *path, const void *data, size_t len,
    char *why, size_t whylen);

/* cmd-profile.c */
int cmd_device_profile(struct ctl *ctl, int argc, char **argv);
int cmd_device_url(struct ctl *ctl, int argc, char **argv);
/*
 * A one-time enrol URL for device id (format "mobileconfig",
 * "autoconfig" or "json"; ttl in seconds): stores the token's hash in
 * the enrol registry, prints the URL and sets "url" in the result.
 * CTL_OK, or the error recorded.
 */
int cmd_enrol_url(struct ctl *ctl, const char *id, const char *format,
    const char *ttl);
int cmd_dns(struct ctl *ctl, int argc, char **argv);

/* cmd-history.c */
int cmd_history(struct ctl *ctl, int argc, char **argv);
/* cmd-stats.c */
int cmd_stats(struct ctl *ctl, int argc, char **argv);

/* cmd-misc.c */
int cmd_misc_lint(struct ctl *ctl, int argc, char **argv);
int cmd_misc_watch(struct ctl *ctl, int argc, char **argv);
int cmd_misc_raw(struct ctl *ctl, int argc, char **argv);
int cmd_misc_ls(struct ctl *ctl, int argc, char **argv);
int cmd_misc_cd(struct ctl *ctl, int argc, char **argv);
int cmd_misc_pwd(struct ctl *ctl, int argc, char **argv);

#endif
