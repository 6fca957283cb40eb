#!/bin/sh
# Domains and addresses (doc/discovery.md): an organisation owns mail
# domains (one organisation each, create-only), the site may have its
# own; users get addresses (by default user@ each domain of their
# organisation) in an index that user del / user move / org del keep
# right; bad input is refused naming the field and the rule.
. "${top_srcdir:-.}/tests/protocol/ctl-lib.sh"

ctl_start
ctl_admin

ok org add acme --domain Acme.Example --domain acme.test
has 'domain acme.example added to organisation acme'
ok org domain list acme
has '^acme.example$'
has '^acme.test$'
# a second organisation cannot take a taken domain, nor create itself
status 1 org add globex --domain acme.example
has 'domain acme.example already belongs to organisation acme'
status 1 org show globex
ok org add globex
status 1 org domain add globex ACME.example
has 'already belongs to organisation acme'
ok org domain add globex globex.example
# bad domains: the field and the rule
status 2 org domain add globex 'bad_domain.example'
has 'domain "bad_domain.example": .*letters, digits'
status 2 org domain add globex localhost
has 'at least two labels'
status 2 org domain add globex "$(printf 'b\303\274cher.example')"
has 'ASCII'
status 2 org domain add globex -x.example
has 'must not start with "-"'
status 2 org domain add globex 'a..example'
has 'empty label'
status 1 org domain add nosuch x.example
has 'no organisation "nosuch"'
status 1 org domain del globex acme.example
has "not globex's"
# the site's own domain
ok site domain add site.example
ok site domain list
has '^site.example$'
hasnt acme
status 1 org domain add acme site.example
has 'belongs to the site'

# addresses: defaults, explicit, checks
ok user add bob --org acme
has 'address bob@acme.example given to user bob'
has 'address bob@acme.test given to user bob'
ok user address list bob
has '^bob@acme.example$'
ok user add carol --org acme --address C.Smith@acme.example
ok user address list carol
has '^c.smith@acme.example$'
hasnt 'carol@'
status 1 user add dave --org acme --address bob@acme.example
has 'address "bob@acme.example" is already taken by user bob'
status 1 org show dave
status 1 user show dave
status 1 user address add carol carol@globex.example
has 'domain globex.example belongs to organisation globex'
status 1 user address add carol carol@nowhere.example
has 'domain nowhere.example is not registered'
status 2 user address add carol 'a b@acme.example'
has 'address "a b@acme.example": a local part'
status 2 user address add carol noat
has 'local-part@domain'
ok user address add carol carol@site.example
status 1 user address del bob carol@site.example
has "not user bob's"
ok user address del carol carol@site.example
ok user address list carol
hasnt site.example
ok --json user show bob
has '"addresses":\["bob@acme.example","bob@acme.test"\]'
ok org discovery acme user
ok --json org show acme
json_has discovery '"user"'
has '"domains":\["acme.example","acme.test"\]'
status 2 org discovery acme everyone
has 'expected "user"'

# user move: the old organisation's addresses go, the new one's come
ok user move bob globex
has 'address bob@acme.example taken from user bob'
has 'address bob@globex.example given to user bob'
ok user address list bob
has '^bob@globex.example$'
hasnt acme
# the index itself (admin read)
ok raw 'SEARCH "/vendor.acapd.address/site/" RETURN ("*") ALL'
has 'bob@globex.example'
hasnt 'bob@acme'
# user del removes its addresses
ok user del bob
ok raw 'SEARCH "/vendor.acapd.address/site/" RETURN ("*") ALL'
hasnt 'bob@'
# org domain del removes the domain's addresses
ok org domain del acme acme.example
ok user address list carol
hasnt 'acme.example'
# org del removes its domains (and they are free again)
ok org del acme --force
ok org domain list globex
ok raw 'SEARCH "/vendor.acapd.domain/site/" RETURN ("*") ALL'
hasnt 'acme.test'
ok org domain add globex acme.test
# registries are the admins': a member reads its organisation's domain
# records (read-only), nothing else
printf 'eve-secret-pw\n' | "$ACAPCTL" -s "$CTL_DIR" user add \
    --password-stdin eve >/dev/null 2>&1 || fail "user add eve"
ok user add eve --org globex
printf 'eve-secret-pw\n' > "$CTL_DIR/eve.pw"
chmod 600 "$CTL_DIR/eve.pw"
CTL_USER=eve
ok raw 'SEARCH "/vendor.acapd.domain/site/" RETURN ("*") ALL'
has 'globex.example'
hasnt 'site.example'
ok raw 'SEARCH "/vendor.acapd.address/site/" RETURN ("*") ALL'
hasnt 'carol'
status 1 raw 'STORE ("/vendor.acapd.domain/site/evil.example" "vendor.acapd.domain.org" "globex")'
CTL_USER=admin
ok raw 'SEARCH "/vendor.acapd.domain/site/" RETURN ("*") ALL'
hasnt evil

# export carries domains, addresses and the discovery choice; import
# brings them back, and a second import changes nothing
ok user address add carol carol@site.example
ok org discovery globex user
ok export --output "$CTL_DIR/exp.json"
grep -q '"name": "globex.example"' "$CTL_DIR/exp.json" || fail "export domain"
grep -q '"address": "carol@site.example"' "$CTL_DIR/exp.json" ||
    fail "export address"
grep -q '"discovery": "user"' "$CTL_DIR/exp.json" || fail "export discovery"
ok user address del carol carol@site.example
ok org domain del globex acme.test
ok import "$CTL_DIR/exp.json"
has 'created +domain acme.test'
has 'created +address carol@site.example'
has 'unchanged +domain globex.example'
ok user address list carol
has '^carol@site.example$'
ok import "$CTL_DIR/exp.json"
hasnt '^created'
# an import never takes a domain from its owner
cat > "$CTL_DIR/steal.json" <<JSON
{"format": "acapctl-export", "version": 1,
 "domains": [{"name": "globex.example", "org": null},
             {"name": "bad..example", "org": null}],
 "addresses": [{"address": "carol@site.example", "user": "eve"}]}
JSON
status 1 import "$CTL_DIR/steal.json"
has 'failed +domain globex.example: taken'
has 'failed +domain bad..example: .*empty label'
has 'failed +address carol@site.example: taken'
ok org domain list globex
has '^globex.example$'
exit 0
