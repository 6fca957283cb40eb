#!/bin/sh
# Regenerate the seed corpora under tests/fuzz/corpus/<target>/ from the
# protocol scenarios: the client lines ("C:" and "R:") of each
# tests/protocol/*.acap script become parser and writer seeds, the exact
# server lines ("S:") response-mode seeds, and the quoted dataset names of
# the scenarios and unit suites dspath seeds.  Run it after adding
# scenarios and commit the result; the fuzzers only read these files.
# Usage: tests/fuzz/make-corpus.sh [SRCDIR]
set -e
src=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
out=$src/tests/fuzz/corpus
mkdir -p "$out/fuzz-parser" "$out/fuzz-writer" "$out/fuzz-dspath" \
    "$out/fuzz-comparator" "$out/fuzz-command"

# The driver's escapes (\0 \r \n \t \\ \xHH) decoded, CRLF after C: lines.
# $1: which lines (C for client, S for server); prints the raw stream.
stream() {
	perl -ne '
		BEGIN { $want = shift @ARGV; }
		chomp; s/\r$//;
		my ($kind, $text);
		if (/^([CRS]):(?: (.*))?$/) { ($kind, $text) = ($1, $2 // ""); }
		else { next; }
		next if $want eq "C" && $kind eq "S";
		next if $want eq "S" && $kind ne "S";
		my %e = ("0" => "\0", "r" => "\r", "n" => "\n", "t" => "\t",
		    "\\" => "\\");
		$text =~ s/\\(x([0-9A-Fa-f]{2})|[0rnt\\])/
		    defined $2 ? chr(hex $2) : $e{$1}/ge;
		print $text;
		print "\r\n" unless $kind eq "R";
	' "$1" "$2"
}

# fuzz-parser header (see fuzz-parser.c): mode/flags octet; limits line
# 1025, literal 4096, non-sync 1024, command 12289, depth 3, 40 arguments
# (used by profile 0 only); 4 seed octets.
header() {
	printf "\\$(printf '%03o' "$1")"
	printf '\000\004\000\020\000\004\000\060\003\050'
	printf '\001\002\003\004'
}

for script in "$src"/tests/protocol/*.acap; do
	name=$(basename "$script" .acap)
	client=$(mktemp)
	stream C "$script" > "$client"
	if [ -s "$client" ]; then
		# COMMAND mode, acapd's pre-auth limits
		{ header 16; cat "$client"; } > "$out/fuzz-parser/$name-preauth"
		# COMMAND mode, small limits, switching mode and limits
		{ header 12; cat "$client"; } > "$out/fuzz-parser/$name-switch"
		# SASL_LINE mode
		{ header 18; cat "$client"; } > "$out/fuzz-parser/$name-sasl"
		# writer: each client line as one string
		perl -ne 'chomp; s/\r$//; next unless s/^[CR]: ?//;
		    print pack("v", length), $_;' "$script" \
		    > "$out/fuzz-writer/$name"
	fi
	# fuzz-command ops (see fuzz-command.c): each client line is sent
	# (op 0, at most 256 octets a time) and acapd run until idle (op
	# 3); "login" is op 4 (admin: 12), "tls" op 5; all connections of
	# the script are played on one
	perl -ne '
		BEGIN { my %e; }
		chomp; s/\r$//;
		sub send_ops {
			my ($t) = @_;
			while (length $t) {
				my $c = substr($t, 0, 256, "");
				print "\0", chr(length($c) - 1), $c;
			}
		}
		if (/^([CR]):(?: (.*))?$/) {
			my ($k, $t) = ($1, $2 // "");
			$t =~ s/\\(x([0-9A-Fa-f]{2})|[0rnt\\])/
			    defined $2 ? chr(hex $2) : {"0" => "\0",
			    "r" => "\r", "n" => "\n", "t" => "\t",
			    "\\" => "\\"}->{$1}/ge;
			$t .= "\r\n" if $k eq "C";
			send_ops($t);
			print "\3";
		} elsif (/^login (\S+)/) {
			print $1 =~ /admin/ ? "\014" : "\4";
		} elsif (/^tls\b/) {
			print "\5";
		}
	' "$script" > "$out/fuzz-command/$name"
	[ -s "$out/fuzz-command/$name" ] || rm -f "$out/fuzz-command/$name"
	server=$(mktemp)
	stream S "$script" > "$server"
	if [ -s "$server" ]; then
		# RESPONSE mode, acapd's post-auth limits
		{ header 33; cat "$server"; } \
		    > "$out/fuzz-parser/$name-response"
	fi
	rm -f "$client" "$server"
done

# fuzz-command: commands no .acap scenario sends yet, after a login
cmd_seed() {
	perl -e '
		print "\4";
		for my $l (@ARGV) {
			$l .= "\r\n";
			print "\0", chr(length($l) - 1), $l, "\3";
		}
	' "$@"
}
cmd_seed 'a STORE ("/option/~/x" "option.value" "1")' \
    'b GETQUOTA "/option/~/"' \
    'c DELETEDSINCE "/option/~/" "19700101000000000000"' \
    'd STORE ("/option/~/x" "option.value" NIL)' \
    'e DELETEDSINCE "/option/~/" "19700101000000000000"' \
    'f SEARCH "/option/~/" RETURN ("*") SORT ("entry" "i;octet") ALL' \
    > "$out/fuzz-command/hand-quota-deletedsince"

# dataset names quoted in the scenarios and unit suites; the first octet
# is the user-name length ("fred"), 0xff for none; files are named by
# content so that regenerating does not rename them
rm -f "$out"/fuzz-dspath/name-*
grep -ho '"/[^"\\]*"' "$src"/tests/protocol/*.acap "$src"/tests/unit/*.c \
    2>/dev/null | sort -u | sed 's/^"//; s/"$//' | while IFS= read -r n; do
	for u in fred none; do
		f=$(mktemp)
		if [ $u = fred ]; then
			printf '\004fred%s' "$n" > "$f"
		else
			printf '\377%s' "$n" > "$f"
		fi
		h=$(sha1sum < "$f" | cut -c1-12)
		mv "$f" "$out/fuzz-dspath/name-$h"
	done
done

# comparator: kind, then three length-prefixed values, then a name
cmp_seed() {
	perl -e '
		my ($kind, $a, $b, $c, $name) = @ARGV;
		print chr($kind);
		print pack("v", length $_), $_ for ($a, $b, $c);
		print $name;
	' "$@"
}
cmp_seed 0 "abc" "abd" "ab" "i;octet" > "$out/fuzz-comparator/octet"
cmp_seed 1 "Fred" "fRED" "fredx" "-I;ASCII-CASEMAP" \
    > "$out/fuzz-comparator/casemap"
cmp_seed 2 "0042" "42abc" "x" "+i;ascii-numeric" \
    > "$out/fuzz-comparator/numeric"
cmp_seed 2 "123456789012345678901234567890" "99" "" "i;nope" \
    > "$out/fuzz-comparator/numeric-long"
cmp_seed 1 "aaaaaaaaab" "aaab" "AAB" "i;octet" \
    > "$out/fuzz-comparator/substring"
echo "make-corpus.sh: $(find "$out" -type f | wc -l) seeds in $out"
