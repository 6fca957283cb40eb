/*
 * cmd-lang.c -- LANG (RFC 2244 §6.2.2, §6.2.3).  acapd's messages exist in
 * "i-default" (RFC 2277) and "en", which are the same English texts.  The
 * LANG intermediate response is tagged, as the prose and example have it
 * (ACAP-NOTES §5, OUR CALL).  LANG without arguments (the ABNF's
 * *(SP lang-tag) allows it, the prose wants one or more) is not BAD: it
 * answers with the language in use, as a LANG that matched it would
 * (doc/protocol-notes.md).
 */
#include "autoconf.h"

#include <stdbool.h>
#include <string.h>

#include "acap-arg.h"
#include "acap-buf.h"
#include "commands.h"
#include "comparator.h"
#include "conn.h"

static const char *const lang_tags[] = { "i-default", "en" };

/*
 * §6.2.2: the client's tag must be a prefix of the server's tag that ends
 * at a "-" or at the end of the server's tag.  Tags compare without case
 * (RFC 1766).
 */
static bool
lang_match(const char *client, size_t clen, const char *server)
{
	size_t slen = strlen(server), i;

	if (clen == 0 || clen > slen)
		return false;
	for (i = 0; i < clen; i++) {
		char a = client[i], b = server[i];

		if (a >= 'A' && a <= 'Z')
			a += 'a' - 'A';
		if (b >= 'A' && b <= 'Z')
			b += 'a' - 'A';
		if (a != b)
			return false;
	}
	return clen == slen || server[clen] == '-';
}

enum cmd_status
cmd_lang(struct cmd_ctx *cmd)
{
	const char *chosen = NULL;
	struct acap_buf *b;
	size_t i, j;

	for (i = 0; i < cmd->nargs; i++)
		if (!acap_arg_is_string_utf8(&cmd->args[i]))
			return cmd_bad(cmd,
			    "LANG arguments must be quoted language tags");
	/*
	 * §6.2.2 has no answer for an empty preference list; the grammar
	 * allows one (command-lang = "LANG" *(SP lang-tag)).  Nothing is
	 * asked to change, so the language in use is what matches.
	 */
	if (cmd->nargs == 0)
		chosen = conn_lang(cmd->conn);
	for (i = 0; i < cmd->nargs && chosen == NULL; i++)
		for (j = 0; j < sizeof(lang_tags) / sizeof(lang_tags[0]); j++)
			if (lang_match(cmd->args[i].str, cmd->args[i].len,
			    lang_tags[j])) {
				chosen = lang_tags[j];
				break;
			}
	if (chosen == NULL)
		return cmd_no(cmd, NULL, "No matching language available");
	conn_set_lang(cmd->conn, chosen);
	b = cmd_line_begin(cmd);
	acap_buf_addstr(b, "LANG ");
	acap_buf_add_cstring(b, chosen);
	for (i = 0; comparator_names[i] != NULL; i++) {
		acap_buf_addch(b, ' ');
		acap_buf_add_cstring(b, comparator_names[i]);
	}
	cmd_line_end(cmd);
	return cmd_ok(cmd, NULL, "LANG completed");
}
