#!/bin/sh
# The interactive shell on a pseudo-terminal: prompt with user@host and
# the current dataset, Tab completion of commands, subcommands, names
# fetched from the server, attribute names and options, "help", and the
# persistent history file.  Needs python3 for the pty (tools/deps.sh).
. "${top_srcdir:-.}/tests/protocol/ctl-lib.sh"

command -v python3 >/dev/null 2>&1 ||
    fail "no python3 for the pty (tools/deps.sh installs it)"
ctl_start
ctl_admin
ok org add acme
ok user add bob --org acme
ok set site corp email.server.IMAP imap://mail.example.com/

cat > "$CTL_DIR/drive.py" <<'PY'
import os, pty, re, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b''
errors = []
def read(t):
    global out
    end = time.time() + t
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                d = os.read(fd, 4096)
            except OSError:
                return
            if not d:
                return
            out += d
def wait(want, mark=0, t=20):
    # until want shows in the output after mark: a slow server (valgrind,
    # a loaded machine) must not make the next keys arrive too early;
    # not showing within t seconds is a failure, not a silent go-ahead
    end = time.time() + t
    while want.encode() not in out[mark:] and time.time() < end:
        read(0.05)
    if want.encode() not in out[mark:]:
        errors.append("no %r within %d s after %r" %
                      (want, t, out[mark:mark + 200]))
def send(s, want=None):
    mark = len(out)
    os.write(fd, s.encode())
    if want is None:
        read(0.7)
    else:
        wait(want, mark)
    return mark
def complete(s, want):
    # Tab completion: what the terminal shows right after the keys (the
    # echo of s, then the completion) must begin with s + want exactly:
    # text from earlier "help" or "show" output cannot satisfy it
    # (libedit redraws: the bell, carriage returns and cursor moves
    # such as ESC [ 23 G are dropped before comparing)
    mark = send(s, want)
    got = re.sub(rb'\x1b\[[0-9;]*[A-Za-z]|[\r\x07]', b'', out[mark:])
    if not got.startswith((s.replace('\t', '') + want).encode()):
        errors.append("%r completed to %r, want %r" %
                      (s, got[:80], s.replace('\t', '') + want))
PROMPT = "admin@127.0.0.1> "
wait(PROMPT)
send("help org\n", PROMPT)
complete("org l\t", "ist ")             # -> "org list "
send("\n", PROMPT)
complete("show us\t", "er ")            # -> "show user "
complete("b\t", "ob ")                  # -> "show user bob "
complete("--eff\t", "ective ")          # -> "--effective "
send("\n", PROMPT)
complete("set org acme co\t", "rp ")    # inherited entry -> "corp "
complete("email.server.I\t", "MAP ")    # catalogue -> "email.server.IMAP "
send("\x15")                # kill the line
send("cd user bob\n", "/email/user/bob/> ")
send("pwd\n", "/email/user/bob/> ")
send("frobnicate\n", "unknown command")
os.write(fd, b"quit\n")
read(20)                    # until acapctl exits (EOF)
sys.stdout.write(out.decode('utf-8', 'replace').replace('\r', ''))
for e in errors:
    sys.stdout.write("DRIVE-ERROR: %s\n" % e)
sys.exit(1 if errors else 0)
PY
CTL_OUT=$(python3 "$CTL_DIR/drive.py" "$ACAPCTL" -H 127.0.0.1 \
    -p "$CTL_PORT" -u admin --password-file "$CTL_DIR/admin.pw" \
    --cafile "$CTL_DIR/cert.pem" 2>&1) || fail "the shell failed"
has 'admin@127.0.0.1> '
has 'org add +NAME'
has '^acme'
has 'chain: user:bob -> org:acme -> site'
has 'email.server.IMAP = "imap://mail.example.com/".*\(site\)'
has 'admin@127.0.0.1:/email/user/bob/> '
has '^/email/user/bob/$'
has 'unknown command "frobnicate"'
hist="$XDG_DATA_HOME/acapctl/history"
[ -f "$hist" ] || fail "no history file $hist"
grep -q 'cd\\040user\\040bob' "$hist" || fail "history lacks the cd line"
exit 0
