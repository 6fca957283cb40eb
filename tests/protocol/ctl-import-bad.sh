#!/bin/sh
# Malformed import files are refused whole, with a message naming the
# place (line and column from the JSON parser, or the record and field),
# and change nothing on the server: truncated text, wrong types (after
# valid records that would otherwise be stored), duplicate keys, nesting
# past the parser's depth limit, invalid UTF-8, NUL in a name, and a
# 100 MB file (over the import limit, from a file and from a pipe).
# The server state is compared through acapctl export before and after.
. "${top_srcdir:-.}/tests/protocol/ctl-lib.sh"

ctl_start
ctl_admin

ok org add acme --description 'Acme Corp'
ok user add bob --org acme
ok device enrol bob --id phone --name Phone
ok set site corp email.server.IMAP imap://mail.example.com/
ok set user bob corp email.boring-headers X-Spam Received

snapshot() {	# file
	ok export --output "$CTL_DIR/snap.json"
	grep -v '"exported":' "$CTL_DIR/snap.json" > "$1"
}
snapshot "$CTL_DIR/before.json"

# refused FILE REGEX: import fails with REGEX in the message, nothing
# stored (also not with --dry-run's twin, the real run)
refused() {
	status 1 import "$1"
	has "$2"
	hasnt '^created|^updated'
	snapshot "$CTL_DIR/after.json"
	cmp -s "$CTL_DIR/before.json" "$CTL_DIR/after.json" ||
	    fail "$(basename "$1") changed the server: $(diff \
	    "$CTL_DIR/before.json" "$CTL_DIR/after.json")"
}

B=$CTL_DIR/bad.json
HEAD='"format": "acapctl-export", "version": 1'
# records that would be created if anything were stored
NEWORG='{"name": "neworg", "description": "New"}'
NEWUSER='{"name": "newuser", "org": "neworg"}'

# truncated: a valid export cut short
ok export --output "$CTL_DIR/full.json"
head -c 300 "$CTL_DIR/full.json" > "$B"
refused "$B" 'bad.json: line [0-9]+ column [0-9]+: '
printf '{%s, "orgs": [%s' "$HEAD" "$NEWORG" > "$B"
refused "$B" 'line 1 column [0-9]+: .*end of file'

# wrong types, each after records that are valid
printf '{%s, "orgs": [%s], "users": {"name": "x"}}' "$HEAD" "$NEWORG" > "$B"
refused "$B" '"users" must be an array; nothing imported'
printf '{%s, "orgs": [%s], "users": [%s, {"name": "u2", "org": 5}]}' \
    "$HEAD" "$NEWORG" "$NEWUSER" > "$B"
refused "$B" 'users\[1\]: "org" must be a string or null'
printf '{%s, "orgs": [%s], "devices": [{"id": "d1"}]}' \
    "$HEAD" "$NEWORG" > "$B"
refused "$B" 'devices\[0\]: "user" must be a string'
printf '{%s, "orgs": [%s, "acme"]}' "$HEAD" "$NEWORG" > "$B"
refused "$B" 'orgs\[1\]: a record must be an object'
printf '{%s, "orgs": [%s], "settings": [{"layer": "site", "class": "email", "entry": "corp", "attributes": ["x"]}]}' \
    "$HEAD" "$NEWORG" > "$B"
refused "$B" 'settings\[0\]: "attributes" must be an object'
printf '{%s, "orgs": [%s], "settings": [{"layer": "site", "class": "email", "entry": "corp", "attributes": {"email.x": "ok", "email.y": true}}]}' \
    "$HEAD" "$NEWORG" > "$B"
refused "$B" 'settings\[0\]: attribute "email.y": a value is a string'
printf '{"format": "acapctl-export", "version": "1", "orgs": [%s]}' \
    "$NEWORG" > "$B"
refused "$B" '"version" must be 1'
printf '[%s]' "$NEWORG" > "$B"
refused "$B" 'not an acapctl export'
printf '{%s, "orgs": [{"name": "a\\u0000b"}]}' "$HEAD" > "$B"
refused "$B" 'orgs\[0\]: "name" must not contain NUL'

# duplicate keys, in a record and at the top
printf '{%s,\n "orgs": [{"name": "dup1",\n   "name": "dup2"}]}' "$HEAD" > "$B"
refused "$B" 'line 3 column [0-9]+: duplicate object key'
printf '{%s, "orgs": [%s],\n"orgs": []}' "$HEAD" "$NEWORG" > "$B"
refused "$B" 'line 2 column [0-9]+: duplicate object key'

# nesting past the parser's limit (2048) inside an attribute value
awk -v h="$HEAD" -v o="$NEWORG" 'BEGIN {
	printf "{%s, \"orgs\": [%s], \"settings\": [{\"layer\": \"site\", ", h, o
	printf "\"class\": \"email\", \"entry\": \"corp\", \"attributes\": "
	printf "{\"email.x\": "
	for (i = 0; i < 3000; i++) printf "["
	for (i = 0; i < 3000; i++) printf "]"
	printf "}}]}\n"
}' > "$B"
refused "$B" 'line 1 column [0-9]+: maximum parsing depth reached'

# invalid UTF-8: a lone 0xff, and a truncated two-octet sequence
printf '{%s, "orgs": [%s,\n {"name": "x\377y"}]}' "$HEAD" "$NEWORG" > "$B"
refused "$B" 'line 2 column [0-9]+: unable to decode byte 0xff'
printf '{%s, "orgs": [{"name": "x", "description": "caf\303"}]}' \
    "$HEAD" > "$B"
refused "$B" 'line 1 column [0-9]+: '

# 100 MB: refused by its size before it is read (a sparse file: fast),
# and from a pipe once the limit has been read
BIG=$CTL_DIR/big.json
printf '{%s, "orgs": [%s, ' "$HEAD" "$NEWORG" > "$BIG"
truncate -s 100M "$BIG" || skip "no truncate"
refused "$BIG" 'big.json: 104857600 bytes, larger than the import limit of 16 MiB'
CTL_OUT=$(cat "$BIG" | { ctl import -; printf '%s\nstatus=%s\n' \
    "$CTL_OUT" "$CTL_STATUS"; })
has '^status=1$'
has 'larger than the import limit of 16 MiB'
snapshot "$CTL_DIR/after.json"
cmp -s "$CTL_DIR/before.json" "$CTL_DIR/after.json" ||
    fail "the piped 100 MB file changed the server"
rm -f "$BIG"

# a file at the limit is read and parsed (padding is white space)
printf '{%s, "orgs": [%s]}' "$HEAD" "$NEWORG" > "$B"
awk 'BEGIN { for (i = 0; i < 16384; i++) printf "%1023s\n", "" }' |
    head -c $((16 * 1048576 - $(wc -c < "$B"))) >> "$B"
[ "$(wc -c < "$B")" -eq 16777216 ] || fail "padding: $(wc -c < "$B")"
ok import "$B" --dry-run
has 'dry run: 1 created'
exit 0
