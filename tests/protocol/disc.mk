# Discovery over acapd's HTTP listener (issue 15, doc/discovery.md):
# autoconfig, Autodiscover, privacy, bounds; the HTTP side is checked by
# tests/protocol/disc-check.py with Python's own HTTP, XML and JSON parsers.
PROTOCOL_TESTS += tests/protocol/disc-http.sh
EXTRA_DIST += tests/protocol/disc-check.py
