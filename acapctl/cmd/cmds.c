/*
 * cmds.c -- the acapctl command table and its lookup.
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>

#include "cmds.h"

const struct cmds_entry cmds_table[] = {
	{ "help", NULL, cmd_help, "[COMMAND]",
	  "list the commands, or explain one", "c", false },
	{ "info", NULL, cmd_info, "",
	  "show the server's greeting and the session", "", false },
	{ "org", "add", cmd_org_add, "NAME [--description TEXT] "
	  "[--domain DOMAIN]...",
	  "create an organisation layer inheriting from the site", "-",
	  false },
	{ "org", "list", cmd_org_list, "",
	  "list organisations", "", false },
	{ "org", "show", cmd_org_show, "NAME",
	  "show an organisation and its users", "o", false },
	{ "org", "del", cmd_org_del, "NAME [--force]",
	  "delete an organisation (--force moves its users to the site)",
	  "o", false },
	{ "org", "domain", cmd_org_domain, "add|del|list ORG [DOMAIN...]",
	  "the mail domains of an organisation (one organisation each)",
	  "-o-", false },
	{ "org", "discovery", cmd_org_discovery, "ORG user|org",
	  "whether discovery answers carry per-user values", "o-", false },
	{ "site", "domain", cmd_site_domain, "add|del|list [DOMAIN...]",
	  "the site's own (default) mail domains", "--", false },
	{ "user", "add", cmd_user_add, "NAME [--org ORG] [--address ADDR]... "
	  "[--password-stdin | "
	  "--password-file FILE | --random-password] [--no-account] "
	  "[--local-only]",
	  "create a user: the SASL account (with -s) and the settings "
	  "layer", "-", false },
	{ "user", "address", cmd_user_address, "add|del|list USER "
	  "[ADDR...]",
	  "the mail addresses of a user (the address index)", "-u-",
	  false },
	{ "user", "passwd", cmd_user_passwd, "NAME [--password-stdin | "
	  "--password-file FILE | --random-password]",
	  "change a user's SASL password (with -s)", "u", false },
	{ "user", "list", cmd_user_list, "[--org ORG] [--local]",
	  "list users (--local: the SASL accounts of -s)", "", false },
	{ "user", "show", cmd_user_show, "NAME",
	  "show a user, its organisation and devices", "u", false },
	{ "user", "move", cmd_user_move, "NAME ORG|site",
	  "make a user inherit from another organisation", "uo", false },
	{ "user", "del", cmd_user_del, "NAME [--keep-account] "
	  "[--local-only]",
	  "delete a user's settings, devices and (with -s) account", "u",
	  false },
	{ "set", NULL, cmd_set_set, "LAYER ENTRY ATTR VALUE... "
	  "[--class CLASS] [--deliberate]",
	  "store a value (several VALUEs: a multi-value)", "Lea-", false },
	{ "unset", NULL, cmd_set_unset, "LAYER ENTRY ATTR [--class CLASS]",
	  "store NIL: hide the inherited value", "Lea", false },
	{ "reset", NULL, cmd_set_reset, "LAYER ENTRY [ATTR] "
	  "[--class CLASS]",
	  "store DEFAULT: inherit again (the whole entry without ATTR)",
	  "Lea", false },
	{ "show", NULL, cmd_set_show, "LAYER [ENTRY] [--effective] "
	  "[--class CLASS]",
	  "show a layer's own values, or the effective ones and their "
	  "origin", "Le", false },
	{ "lock", NULL, cmd_set_lock, "LAYER ENTRY ATTR [--reason TEXT] "
	  "[--class CLASS]",
	  "forbid lower layers to override a setting (ACL)", "Lea", false },
	{ "unlock", NULL, cmd_set_unlock, "LAYER ENTRY ATTR [--class CLASS]",
	  "lift a lock", "Lea", false },
	{ "device", "enrol", cmd_device_enrol, "USER [--id ID] "
	  "[--name TEXT] [--url [--format FORMAT] [--ttl TTL]]",
	  "register a device of a user; prints its id (and a one-time "
	  "enrol URL)", "u", false },
	{ "device", "profile", cmd_device_profile, "ID [--format "
	  "mobileconfig|autoconfig|json] [--output FILE] [--cert FILE "
	  "--key FILE | --unsigned]",
	  "write a device's mail profile from its effective settings", "d",
	  false },
	{ "device", "url", cmd_device_url, "ID [--format FORMAT] "
	  "[--ttl TTL]",
	  "print a one-time URL that serves the device's profile once", "d",
	  false },
	{ "device", "list", cmd_device_list, "[USER]",
	  "list devices (of one user)", "u", false },
	{ "device", "show", cmd_device_show, "ID",
	  "show a device and its own settings", "d", false },
	{ "device", "del", cmd_device_del, "ID",
	  "remove a device and its settings", "d", false },
	{ "device", "clone", cmd_device_clone, "SRC DST [--user USER] "
	  "[--force]",
	  "copy a device's own settings to another device, atomically",
	  "dd", false },
	{ "dns", NULL, cmd_dns, "DOMAIN [--http-host HOST] "
	  "[--acap-host HOST] [--ttl SECONDS]",
	  "print a domain's SRV (RFC 6186, 8314) and CNAME records", "-",
	  false },
	{ "export", NULL, cmd_io_export, "[--output FILE]",
	  "write organisations, users, devices and settings as JSON", "",
	  false },
	{ "import", NULL, cmd_io_import,
	  "FILE [--dry-run] [--progress|--no-progress]",
	  "apply an export file; records already as in the file are left "
	  "alone; users' \"password\"s become SASL accounts (-s)", "f",
	  false },
	{ "history", NULL, cmd_history, "[LAYER [ENTRY]] [--since TIME] "
	  "[--user USER]",
	  "who changed what and when: the audit trail (admins; TIME: "
	  "2026-12-01, 20261201103000 or 7d)", "Le", false },
	{ "stats", NULL, cmd_stats, "[--metrics HOST:PORT]",
	  "summary of a running acapd from its metrics endpoint "
	  "(no login)", "", false },
	{ "lint", NULL, cmd_misc_lint, "[LAYER] [--strict]",
	  "check effective settings against RFC 5383", "L", false },
	{ "watch", NULL, cmd_misc_watch, "DATASET [--timeout SECONDS] "
	  "[--count N]",
	  "follow changes to a dataset (NOTIFY context)", "p", false },
	{ "raw", NULL, cmd_misc_raw, "COMMAND...",
	  "send an ACAP command and print every response", "-", false },
	{ "ls", NULL, cmd_misc_ls, "[LAYER|PATH]",
	  "list the entries of a dataset", "L", false },
	{ "cd", NULL, cmd_misc_cd, "[LAYER|PATH]",
	  "set the current dataset of the shell", "L", true },
	{ "pwd", NULL, cmd_misc_pwd, "",
	  "print the current dataset", "", true },
};

const size_t cmds_count = sizeof(cmds_table) / sizeof(cmds_table[0]);

const struct cmds_entry *
cmds_find(int argc, char **argv, int *used_r, const char **errstr_r)
{
	static char msg[256];
	const char *sub;
	size_t i, n;
	bool group = false;

	sub = argc > 1 ? argv[1] : NULL;
	if (sub != NULL && strcmp(sub, "enroll") == 0)
		sub = "enrol";
	for (i = 0; i < cmds_count; i++) {
		if (strcmp(cmds_table[i].name, argv[0]) != 0)
			continue;
		if (cmds_table[i].sub == NULL) {
			*used_r = 1;
			return &cmds_table[i];
		}
		group = true;
		if (sub != NULL && strcmp(cmds_table[i].sub, sub) == 0) {
			*used_r = 2;
			return &cmds_table[i];
		}
	}
	if (!group) {
		snprintf(msg, sizeof(msg), "unknown command \"%s\" (try "
		    "\"help\")", argv[0]);
		*errstr_r = msg;
		return NULL;
	}
	n = (size_t)snprintf(msg, sizeof(msg), "%s: expected", argv[0]);
	for (i = 0; i < cmds_count && n < sizeof(msg); i++)
		if (strcmp(cmds_table[i].name, argv[0]) == 0)
			n += (size_t)snprintf(msg + n, sizeof(msg) - n, " %s",
			    cmds_table[i].sub);
	*errstr_r = msg;
	return NULL;
}
