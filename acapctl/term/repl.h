/*
 * repl.h -- the interactive acapctl shell: libedit line editing, history
 * kept in $XDG_DATA_HOME/acapctl/history (~/.local/share/acapctl/history),
 * tab completion of commands, organisation/user/device names, dataset
 * paths, entries and attribute names (the names fetched from the server
 * and cached until the next command), a prompt showing user@host and
 * the current dataset.
 *
 * Owns the editor, the history and the name caches.
 */
#ifndef ACAPCTL_REPL_H
#define ACAPCTL_REPL_H

struct ctl;

/* Run until "quit", "exit" or end of input.  Returns the exit status of
 * the last command (CTL_OK if none ran). */
int repl_run(struct ctl *ctl);

#endif
