/*
 * cmd-starttls.c -- STARTTLS (RFC 2595 §5): only in non-authenticated
 * state (the table enforces that), only once, only with a certificate.
 * The handshake and the second greeting are conn.c's job.
 */
#include "autoconf.h"

#include "commands.h"
#include "conn.h"
#include "server.h"

enum cmd_status
cmd_starttls(struct cmd_ctx *cmd)
{
	if (cmd->nargs != 0)
		return cmd_bad(cmd, "STARTTLS takes no arguments");
	if (conn_tls_active(cmd->conn))
		return cmd_bad(cmd, "TLS is already active");
	if (srv->tls == NULL)
		return cmd_bad(cmd, "STARTTLS is not available");
	cmd_ok(cmd, NULL, "Begin TLS negotiation now");
	conn_start_tls(cmd->conn);
	return CMD_DONE;
}
