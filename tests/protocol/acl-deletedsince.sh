#!/bin/sh
# DELETEDSINCE under access control (RFC 2244 §6.6.2, §3.5; doc/acl.md):
# a dataset the caller cannot read looks missing, a caller that reads only
# some of its entries gets NO (PERMISSION), and deletions in a base
# dataset the caller cannot read (a dataset.inherit pointing at somebody
# else's private dataset) are never reported.  A shell script because the
# time argument has to come from the server (a MODTIME taken between the
# STOREs that create and the ones that delete).
. "${top_srcdir:-.}/tests/protocol/ctl-lib.sh"

ctl_start
ctl_admin
for u in alice bob carol; do
	ctl_admin "$u" "$u-secret-pw"
done

# as USER COMMAND: acapctl raw as USER
as() {
	CTL_USER=$1
	shift
	ctl raw "$@"
}
as_ok() {
	as "$@"
	[ "$CTL_STATUS" -eq 0 ] || fail "$1: $2"
}

as_ok alice 'STORE ("/addressbook/~/private/p1" "addressbook.Email" "p1@example.org") ("/addressbook/~/private/p2" "addressbook.Email" "p2@example.org") ("/addressbook/~/shared/s1" "addressbook.Email" "s1@example.org") ("/addressbook/~/shared/s2" "addressbook.Email" "s2@example.org")'
as_ok alice 'SETACL ("/addressbook/~/shared/") "bob" "xr"'
# bob may not point his dataset at one he cannot read (doc/acl.md); an
# admin may, and then it must still reveal nothing
as bob 'STORE ("/addressbook/~/" "dataset.inherit" "/addressbook/user/alice/private/")'
[ "$CTL_STATUS" -ne 0 ] || fail "bob inherits from a dataset he cannot read"
has 'Not permitted to inherit from /addressbook/user/alice/private/'
as_ok admin 'STORE ("/addressbook/user/bob/" "dataset.inherit" "/addressbook/user/alice/private/")'
as_ok bob 'STORE ("/addressbook/~/b1" "addressbook.Email" "b1@example.org") ("/addressbook/~/b2" "addressbook.Email" "b2@example.org")'
as_ok bob 'SEARCH "/addressbook/~/" RETURN ("entry") EQUAL "entry" "i;octet" ""'
T=$(printf '%s\n' "$CTL_OUT" | sed -n 's/.*MODTIME "\([0-9]*\)".*/\1/p')
[ -n "$T" ] || fail "no MODTIME"

as_ok alice 'STORE ("/addressbook/~/private/p1" "entry" NIL) ("/addressbook/~/shared/s1" "entry" NIL)'
as_ok bob 'STORE ("/addressbook/~/b1" "entry" NIL)'

# bob's own dataset inherits from alice's private one: only b1
as_ok bob "DELETEDSINCE \"/addressbook/~/\" \"$T\""
has 'DELETED "b1"'
hasnt 'p1'
# the shared dataset he may read
as_ok bob "DELETEDSINCE \"/addressbook/user/alice/shared/\" \"$T\""
has 'DELETED "s1"'
# once alice lets him read the base, its deletions show through
as_ok alice 'SETACL ("/addressbook/~/private/") "bob" "xr"'
as_ok bob "DELETEDSINCE \"/addressbook/~/\" \"$T\""
has 'DELETED "b1"'
has 'DELETED "p1"'

# carol: alice's private dataset and a missing one answer alike
as carol "DELETEDSINCE \"/addressbook/user/alice/private/\" \"$T\""
[ "$CTL_STATUS" -eq 1 ] || fail "carol read alice's deletions"
has 'NO \(NOEXIST "?/addressbook/user/alice/private/"?\) "DELETEDSINCE failed: no such dataset"'
hasnt 'p1'
as carol "DELETEDSINCE \"/addressbook/user/alice/nosuch/\" \"$T\""
has 'NO \(NOEXIST "?/addressbook/user/alice/nosuch/"?\) "DELETEDSINCE failed: no such dataset"'

# bob reading only the entry p2: the dataset exists for him, but the
# deleted names are not his to see
as_ok alice 'DELETEACL ("/addressbook/~/private/") "bob"'
as_ok alice 'SETACL ("/addressbook/~/private/" "entry" "p2") "bob" "r"'
as_ok bob 'SEARCH "/addressbook/user/alice/private/" RETURN ("entry") NOT EQUAL "entry" "i;octet" ""'
has 'ENTRY "p2"'
as bob "DELETEDSINCE \"/addressbook/user/alice/private/\" \"$T\""
[ "$CTL_STATUS" -eq 1 ] || fail "bob read deletions of a dataset he reads in part"
has 'NO \(PERMISSION \("?/addressbook/user/alice/private/"?\)\)'
hasnt 'p1'
exit 0
