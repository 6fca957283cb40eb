#!/bin/sh
# Issue 14, finding 9: "acapctl export --output F" writes a new 0600 file
# through a temporary one in F's directory and renames it onto F: a
# symbolic link at F is replaced, never followed; a file there gets the
# new content and mode 0600; on an error F is untouched and no temporary
# is left (acapctl(1)).
. "${top_srcdir:-.}/tests/protocol/ctl-lib.sh"

ctl_start
ctl_admin
umask 022

O=$CTL_DIR/out
mkdir "$O"
no_temporaries() {
	left=$(ls -A "$O" | grep -v -x -e export.json -e target -e dir -e keep)
	[ -z "$left" ] || fail "$1: left behind in $O: $left"
}

# a symbolic link at F: the link is replaced, its target is unchanged
printf 'precious\n' > "$O/target"
chmod 0644 "$O/target"
ln -s target "$O/export.json"
ok export --output "$O/export.json"
[ "$(cat "$O/target")" = precious ] || fail "the link's target was written"
[ "$(stat -c %a "$O/target")" = 644 ] || fail "the link's target mode changed"
[ ! -L "$O/export.json" ] && [ -f "$O/export.json" ] ||
    fail "$O/export.json is not a regular file now"
[ "$(stat -c %a "$O/export.json")" = 600 ] ||
    fail "export file is $(stat -c %a "$O/export.json"), not 600"
grep -q '"format": "acapctl-export"' "$O/export.json" || fail "export content"
no_temporaries "symlink"

# a dangling link: nothing is created where it points
rm -f "$O/export.json"
ln -s "$O/nowhere" "$O/export.json"
ok export --output "$O/export.json"
[ ! -e "$O/nowhere" ] || fail "a file was created through a dangling link"
[ -f "$O/export.json" ] && [ ! -L "$O/export.json" ] || fail "dangling link kept"

# an existing 0644 file: new content, mode 0600
printf 'old\n' > "$O/export.json"
chmod 0644 "$O/export.json"
ok export --output "$O/export.json"
[ "$(stat -c %a "$O/export.json")" = 600 ] || fail "existing file kept 644"
grep -q '"format": "acapctl-export"' "$O/export.json" || fail "not replaced"
no_temporaries "existing file"

# a relative name (the temporary goes in the current directory)
(cd "$O" && ok export --output export.json) || exit 1
[ "$(stat -c %a "$O/export.json")" = 600 ] || fail "relative name"
no_temporaries "relative name"

# errors: F a directory (the rename fails), F in a missing directory
mkdir "$O/dir"
: > "$O/dir/keep"
status 1 export --output "$O/dir"
has "$O/dir: Is a directory"
[ -f "$O/dir/keep" ] || fail "the directory was touched"
no_temporaries "directory"
status 1 export --output "$O/missing/export.json"
has "cannot create a file in $O/missing"
[ ! -e "$O/missing" ] || fail "the missing directory was created"
echo "ctl-export-file: ok"
