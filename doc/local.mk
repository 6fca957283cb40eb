# Manual pages and the sample configuration.
dist_man_MANS += doc/acapd.8 doc/acapd.conf.5
dist_pkgdata_DATA += doc/acapd.conf.sample
EXTRA_DIST += doc/protocol-notes.md doc/sasl.md doc/interop.md doc/acl.md doc/datasets.md \
	doc/store-batch.md \
	doc/security.md doc/fuzzing.md doc/audit.md doc/discovery.md \
	doc/packaging.md \
	doc/scale-out.md \
	contrib/systemd/acapd.service contrib/systemd/acapd.socket \
	contrib/logrotate/acapd
