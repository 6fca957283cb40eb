/*
 * cmd-help.c -- "help" and "info".
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>

#include "acap-client.h"
#include "cmds.h"
#include "ctl.h"
#include "jsonx.h"

static const char layer_help[] =
    "LAYER is one of: site | org NAME | user NAME | device ID | a dataset\n"
    "path such as /email/site/ (one-word forms: org:NAME, user:NAME,\n"
    "device:ID).  ENTRY is the entry (account) name, e.g. \"corp\";\n"
    "ATTR an attribute such as email.server.IMAP.  The class (email,\n"
    "personality, option) follows from ATTR's prefix; vendor.acapd.*\n"
    "attributes go to email unless --class says otherwise.\n";

static bool
takes_layer(const char *cmd)
{
	static const char *const names[] = { "set", "unset", "reset", "show",
	    "lock", "unlock", "lint", "ls", "cd", NULL };
	size_t i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], cmd) == 0)
			return true;
	return false;
}

static void
usage_line(struct ctl *ctl, const struct cmds_entry *e, bool with_help)
{
	char words[64];

	snprintf(words, sizeof(words), "%s%s%s", e->name,
	    e->sub != NULL ? " " : "", e->sub != NULL ? e->sub : "");
	if (with_help)
		ctl_out(ctl, "  %-14s %s\n  %-14s   %s\n", words, e->args, "",
		    e->help);
	else
		ctl_out(ctl, "usage: %s %s\n  %s\n", words, e->args, e->help);
}

static json_t *
entry_json(const struct cmds_entry *e)
{
	json_t *o = json_object();
	char words[64];

	snprintf(words, sizeof(words), "%s%s%s", e->name,
	    e->sub != NULL ? " " : "", e->sub != NULL ? e->sub : "");
	jsonx_set_str(o, "command", words);
	jsonx_set_str(o, "usage", e->args);
	jsonx_set_str(o, "help", e->help);
	return o;
}

int
cmd_help(struct ctl *ctl, int argc, char **argv)
{
	json_t *list;
	size_t i;
	bool found = false;

	if (ctl_getopt(ctl, &argc, argv, NULL) != 0)
		return CTL_USAGE;
	list = jsonx_set(ctl_result(ctl), "commands",
	    json_array());
	for (i = 0; i < cmds_count; i++) {
		const struct cmds_entry *e = &cmds_table[i];

		if (e->shell_only && !ctl->interactive)
			continue;
		if (argc >= 1 && strcmp(e->name, argv[0]) != 0)
			continue;
		if (argc >= 2 && e->sub != NULL &&
		    strcmp(e->sub, argv[1]) != 0)
			continue;
		if (!found && argc == 0)
			ctl_out(ctl, "Commands:\n");
		found = true;
		usage_line(ctl, e, argc == 0);
		jsonx_add(list, entry_json(e));
	}
	if (!found)
		return ctl_usage(ctl, "no command \"%s\"", argv[0]);
	if (argc == 0)
		ctl_out(ctl, "\n%s\nConnection options, batches and exit "
		    "statuses: see acapctl(1).\n", layer_help);
	else if (takes_layer(argv[0]))
		ctl_out(ctl, "\n%s", layer_help);
	return CTL_OK;
}

int
cmd_info(struct ctl *ctl, int argc, char **argv)
{
	const char *const *mechs;
	json_t *o, *m;
	size_t n, i;
	int bits = 0;
	bool tls;

	if (ctl_getopt(ctl, &argc, argv, NULL) != 0)
		return CTL_USAGE;
	if (argc != 0)
		return ctl_usage(ctl, "info takes no arguments");
	if (ctl_connect(ctl) == -1)
		return CTL_FAIL;
	o = ctl_result(ctl);
	mechs = acap_client_mechs(ctl->client, &n);
	tls = acap_client_tls_active(ctl->client, &bits);
	jsonx_set_str(o, "server", ctl->conf.host != NULL ?
	    ctl->conf.host : "localhost");
	jsonx_set_str(o, "implementation",
	    acap_client_implementation(ctl->client));
	m = jsonx_set(o, "sasl", json_array());
	for (i = 0; i < n; i++)
		jsonx_add(m, jsonx_str(mechs[i]));
	jsonx_set_int(o, "contextlimit",
	    (long long)acap_client_context_limit(ctl->client));
	jsonx_set_bool(o, "tls", tls);
	if (tls)
		jsonx_set_int(o, "tls_bits", bits);
	jsonx_set_str(o, "user", ctl->conf.user);
	jsonx_set_str(o, "mechanism", acap_client_mech(ctl->client));

	ctl_out(ctl, "server:          %s port %s\n", ctl->conf.host != NULL ?
	    ctl->conf.host : "localhost", ctl->conf.port != NULL ?
	    ctl->conf.port : "674");
	ctl_out(ctl, "implementation:  %s\n",
	    acap_client_implementation(ctl->client) != NULL ?
	    acap_client_implementation(ctl->client) : "(not given)");
	ctl_out(ctl, "SASL:           ");
	for (i = 0; i < n; i++)
		ctl_out(ctl, " %s", mechs[i]);
	ctl_out(ctl, "\ncontext limit:   %lu%s\n",
	    acap_client_context_limit(ctl->client),
	    acap_client_context_limit(ctl->client) == 0 ? " (none)" : "");
	if (tls)
		ctl_out(ctl, "TLS:             yes (%d-bit cipher)\n", bits);
	else
		ctl_out(ctl, "TLS:             no\n");
	ctl_out(ctl, "logged in as:    %s (%s)\n", ctl->conf.user,
	    acap_client_mech(ctl->client));
	return CTL_OK;
}
