#!/bin/sh
# lint: effective settings against RFC 5383 (IMAP on 143, submission on
# 587, TLS required, idle ceiling under 2 hours and warned above 29
# minutes, TCP keep-alive off), each finding naming its rule; deliberate
# deviations are notes; the exit status reports errors (--strict: also
# warnings).
. "${top_srcdir:-.}/tests/protocol/ctl-lib.sh"

ctl_start
ctl_admin

ok org add acme
ok user add bob --org acme
ok device enrol bob --id phone

ok set site corp email.server.IMAP imap://mail.example.com/
ok set site corp personality.Server.SMTP smtp:mail.example.com:587
ok lint
has '^0 errors, 0 warnings, 0 notes'

# submission without a port means 25: flagged at set time and by lint
ok set org acme corp personality.Server.SMTP smtp:mail.example.com
has 'warning: personality.Server.SMTP: no port given'
ok lint org acme
has '^warning org:acme personality corp: \[submission-port-587\]'
status 1 lint org acme --strict
ok set org acme corp personality.Server.SMTP smtp:mail.example.com:587

# IMAP on another port; deliberately so becomes a note
ok set user bob corp email.server.IMAP imap://mail.example.com:1143/
ok lint user bob
has '\[imap-port-143\] IMAP is on port 1143'
ok set user bob corp email.server.IMAP imap://mail.example.com:1143/ \
    --deliberate
ok lint user bob
has '^note +user:bob email corp: \[imap-port-143\]'
ok reset user bob corp email.server.IMAP

# implicit TLS on 993 is accepted; a policy that contradicts the port
# is an error
ok set user bob corp vendor.acapd.tls implicit
ok set user bob corp email.server.IMAP imaps://mail.example.com/
ok lint user bob
has '^note .*\[imap-port-143\].*implicit TLS'
ok set user bob corp email.server.IMAP imap://mail.example.com:143/
status 1 lint user bob
has '^error .*\[tls-required\] vendor.acapd.tls is implicit but'
ok reset user bob corp vendor.acapd.tls
ok reset user bob corp email.server.IMAP

# optional STARTTLS: warned when set, and by lint
ok set device phone corp vendor.acapd.tls starttls-optional
has 'warning: vendor.acapd.tls: starttls-optional'
ok lint device phone
has '\[tls-required\] STARTTLS is optional'

# idle ceilings: > 29 min warns; >= 2 h is refused unless deliberate,
# then a note
ok set org acme corp vendor.acapd.idle-ceiling 3000
has 'idle-ceiling-29min'
ok lint user bob
has '^warning .*\[idle-ceiling-29min\]'
status 1 set org acme corp vendor.acapd.idle-ceiling 7200
ok set org acme corp vendor.acapd.idle-ceiling 7200 --deliberate
ok lint org acme
has '^note .*\[idle-ceiling-2h\].*deliberately'
# a value stored behind acapctl's back (raw) is still caught
ok raw 'STORE ("/email/site/corp" "vendor.acapd.idle-ceiling" "86400")'
status 1 lint
has '^error +site email corp: \[idle-ceiling-2h\]'
ok raw 'STORE ("/email/site/corp" "vendor.acapd.idle-ceiling" DEFAULT)'

# keep-alive
ok set user bob corp vendor.acapd.tcp-keepalive on
has 'tcp-keepalive-off'
ok lint user bob
has '\[tcp-keepalive-off\]'

# every layer at once, in JSON
ok --json lint --all
has '"rule":"tcp-keepalive-off"'
has '"layer":"device:phone"'
exit 0
