#!/bin/sh
# Install the Debian packages acapd needs to build and test (as root, or
# through sudo).  Installs nothing that is already there.
set -e
PKGS="build-essential autoconf automake pkg-config libevent-dev libexpat1-dev \
libsqlite3-dev libssl-dev libsasl2-dev libsasl2-modules \
libsasl2-modules-db sasl2-bin db5.3-util libedit-dev libjansson-dev check \
openssl libxml2-utils \
socat sqlite3 \
postgresql libpq-dev libsasl2-modules-sql \
emacs-nox wl tmux python3"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps.sh: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
