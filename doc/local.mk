# Manual pages and the sample configuration.
dist_man_MANS += doc/acapd.8 doc/acapd.conf.5
dist_pkgdata_DATA += doc/acapd.conf.sample
EXTRA_DIST += doc/protocol-notes.md doc/sasl.md doc/interop.md doc/acl.md doc/datasets.md \
	doc/store-batch.md \
	doc/scale-out.md \
	doc/security.md doc/fuzzing.md \
	contrib/systemd/acapd.service contrib/systemd/acapd.socket \
	contrib/logrotate/acapd
