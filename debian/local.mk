# The Debian packaging (doc/packaging.md) is in the release tarball, so
# that "dpkg-buildpackage -us -uc -b" works in an unpacked acapd-X.Y.Z
# as in a checkout (the source format is 3.0 (native)).
EXTRA_DIST += debian/changelog debian/control debian/copyright \
	debian/rules debian/source/format debian/local.mk \
	debian/acapd.conf.sed debian/acapd.dirs debian/acapd.docs \
	debian/acapd.postinst debian/acapd.postrm \
	debian/acapd.lintian-overrides \
	debian/acapd.service debian/acapd.socket
