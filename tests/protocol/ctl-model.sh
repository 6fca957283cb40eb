#!/bin/sh
# The settings model through acapctl: organisations and users wired into
# dataset.inherit chains (site <- org <- user), values set at each layer,
# effective values with their origin, NIL (unset) and DEFAULT (reset),
# changing a default for everyone, moving and deleting users and orgs.
. "${top_srcdir:-.}/tests/protocol/ctl-lib.sh"

ctl_start
ctl_admin

ok org add acme --description 'Acme Corp'
ok org add globex
status 1 org add acme
has 'already exists'
status 2 org add '.hidden'
ok org list
has '^acme	Acme Corp'
has '^globex'

# users: registered and wired; a user in an unknown org is refused
ok user add bob --org acme
ok user add eve
status 1 user add mallory --org nosuch
has 'no organisation'
ok user list
has '^bob	acme'
has '^eve	\(site\)'
ok user list --org acme
hasnt '^eve'
ok show user bob --class email
has '/email/user/bob/ \(inherits from /email/group/acme/\)'
ok show org acme --class option
has '/option/group/acme/ \(inherits from /option/site/\)'
ok show user eve --class personality
has 'inherits from /personality/site/'

# values at three layers; the effective view names their origin
ok set site corp email.server.IMAP imap://mail.example.com/
ok set site corp vendor.acapd.tls starttls-required
ok set org acme corp vendor.acapd.idle-ceiling 900
ok set user bob corp personality.Server.SMTP smtp:mail.example.com:587
ok set user bob corp email.boring-headers X-Spam Received
ok show user bob --class email
has 'email.boring-headers = \("X-Spam" "Received"\)'
hasnt 'email.server.IMAP'
ok show user bob --effective
has 'chain: user:bob -> org:acme -> site'
has 'email.server.IMAP = "imap://mail.example.com/".*\(site\)'
has 'vendor.acapd.idle-ceiling = "900".*\(org:acme\)'
has 'personality.Server.SMTP = "smtp:mail.example.com:587".*\(user:bob\)'
ok --json show user bob --effective --class email
has '"vendor.acapd.idle-ceiling":\{"value":"900","from":"org:acme"\}'
ok show user eve --effective --class email
hasnt 'idle-ceiling'

# validation names the attribute and the rule
status 1 set site corp vendor.acapd.tls maybe
has 'vendor.acapd.tls.*not a TLS policy'
status 1 set site corp vendor.acapd.idle-ceiling 9000
has 'idle-ceiling-2h'
status 1 set site corp email.connection-type satellite
status 2 set site corp x-corp.thing v
has 'class'
ok set site corp x-corp.thing v --class email
status 2 set site corp dataset.inherit /x/
status 2 set site 'bad/entry' email.server.IMAP imap://h/

# unset (NIL) hides the inherited value; reset (DEFAULT) brings it back
ok unset user bob corp vendor.acapd.idle-ceiling
ok show user bob --effective --class email
has 'vendor.acapd.idle-ceiling: masked'
ok reset user bob corp vendor.acapd.idle-ceiling
ok show user bob --effective --class email
has 'vendor.acapd.idle-ceiling = "900".*\(org:acme\)'

# a user override survives a new default, unless --everyone
ok set user bob corp email.server.IMAP imap://bob.example.com/
ok set site corp email.server.IMAP imap://mail2.example.com/
ok show user bob --effective --class email
has 'imap://bob.example.com/.*\(user:bob\)'
ok show user eve --effective --class email
has 'imap://mail2.example.com/.*\(site\)'
ok set site corp email.server.IMAP imap://mail3.example.com/ --everyone
has 'overrides reset to inherit: user:bob'
ok show user bob --effective --class email
has 'imap://mail3.example.com/.*\(site\)'

# reset of a whole entry at the user layer
ok set user eve corp email.check-interval 60
ok reset user eve corp --class email
ok show user eve --class email
hasnt 'check-interval'

# move: bob leaves acme, loses its idle ceiling
ok user move bob globex
ok user show bob
has 'org: +globex'
ok show user bob --effective --class email
hasnt 'idle-ceiling'
ok user move bob acme
status 1 user move bob nosuch

# dataset paths work as layers too
ok show /email/group/acme/
has 'vendor.acapd.idle-ceiling = "900"'
ok ls /email/site/
has '/email/site/corp'

# deleting: an org with users needs --force; a user goes with its devices
status 1 org del acme
has 'has 1 user'
ok org del globex
ok org list
hasnt globex
ok device enrol bob --id bobphone
ok user del bob
ok user list
hasnt '^bob'
ok device list
hasnt bobphone
ok user add bob2 --org acme
ok org del acme --force
ok user show bob2
has 'inherits from the site'
exit 0
