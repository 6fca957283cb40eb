#!/bin/sh
# watch: a NOTIFY context (RFC 2244 §6.4.1 MAKECONTEXT NOTIFY, §6.5)
# reports changes made by another connection while acapctl sits idle;
# --count and --timeout end it, and the context is freed.
. "${top_srcdir:-.}/tests/protocol/ctl-lib.sh"

ctl_start
ctl_admin

ok set site corp email.server.IMAP imap://mail.example.com/
ok user add bob

ctl watch /email/site/ --timeout 1
[ "$CTL_STATUS" -eq 0 ] || fail "watch --timeout 1 exited $CTL_STATUS"
has '^entry corp'

watch_bg() {
	rm -f "$CTL_DIR/watch.out" "$CTL_DIR/watch.err"
	"$ACAPCTL" -H 127.0.0.1 -p "$CTL_PORT" -u admin \
	    --password-file "$CTL_DIR/admin.pw" --cafile "$CTL_DIR/cert.pem" \
	    "$@" > "$CTL_DIR/watch.out" 2> "$CTL_DIR/watch.err" &
	WATCH_PID=$!
	n=0
	until grep -q watching "$CTL_DIR/watch.err" 2>/dev/null; do
		n=$((n + 1))
		[ $n -lt 100 ] || fail "watch did not start"
		kill -0 $WATCH_PID 2>/dev/null ||
		    { CTL_OUT=$(cat "$CTL_DIR/watch.err"); fail "watch died"; }
		sleep 0.1
	done
}

watch_wait() {
	n=0
	while kill -0 $WATCH_PID 2>/dev/null; do
		n=$((n + 1))
		[ $n -lt 150 ] || { kill $WATCH_PID; fail "watch did not end"; }
		sleep 0.1
	done
	wait $WATCH_PID
	WATCH_STATUS=$?
	CTL_OUT=$(cat "$CTL_DIR/watch.out" "$CTL_DIR/watch.err")
}

# a changed value, then a new entry, seen by the idle watcher
watch_bg watch /email/site/ --count 2 --timeout 15
ok set site corp email.server.IMAP imap://mail2.example.com/
ok set site other email.server.IMAP imap://other.example.com/
watch_wait
[ "$WATCH_STATUS" -eq 0 ] || fail "watch exited $WATCH_STATUS"
has '^changed +"corp"'
has '^added +"other"'

# inherited changes reach a watcher of a lower layer
watch_bg watch user bob --count 1 --timeout 15
ok set site corp vendor.acapd.idle-ceiling 1200
watch_wait
has '^changed +"corp"'

# removal, in JSON: one object per notification, then the summary
watch_bg --json watch /email/site/ --count 1 --timeout 15
ok reset site other --class email
watch_wait
has '"name":"REMOVEFROM"'
has '"command":"watch","ok":true'
has '"changes":1'

# --timeout alone ends a quiet watch
watch_bg watch /email/site/ --timeout 1
watch_wait
[ "$WATCH_STATUS" -eq 0 ] || fail "quiet watch exited $WATCH_STATUS"
hasnt '^changed'
exit 0
