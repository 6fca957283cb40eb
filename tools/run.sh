#!/bin/sh
# Quick start: install what is missing, build (in ./build), and run acapd
# in the foreground on an embedded instance in ./run (SQLite database,
# sasldb, self-signed certificate and an admin account created on first
# start).  Extra arguments go to acapd (e.g. -l 127.0.0.1:1674).
set -e
cd "$(dirname "$0")/.."
sh tools/deps.sh
[ -x configure ] || ./autogen.sh
mkdir -p build
(cd build && { [ -f Makefile ] || ../configure -q; } && make -s -j"$(nproc)")
mkdir -p -m 0700 run	# acapd refuses a state directory others can write
if [ ! -f run/acapd.conf ]; then
	cat > run/acapd.conf <<CONF
# Embedded development instance (see acapd.conf(5)).
listen 0.0.0.0:674 [::]:674
statedir $(pwd)/run
tls_cert cert.pem
tls_key key.pem
tls_generate yes
bootstrap_admin admin
admins admin
# Mail-client discovery (doc/discovery.md): autoconfig and Autodiscover
http_listen 127.0.0.1:8080
https_listen 127.0.0.1:8443
CONF
elif ! grep -q '^http_listen' run/acapd.conf &&
    grep -q '^# Embedded development instance' run/acapd.conf; then
	# an instance made before discovery existed: serve it too
	cat >> run/acapd.conf <<CONF
# Mail-client discovery (doc/discovery.md): autoconfig and Autodiscover
http_listen 127.0.0.1:8080
https_listen 127.0.0.1:8443
CONF
fi
exec ./build/acapd/acapd -f run/acapd.conf "$@"
