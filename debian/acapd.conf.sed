# debian/acapd.conf.sed -- turns doc/acapd.conf.sample into the package's
# /etc/acapd/acapd.conf (debian/rules fails the build if a line set here
# is missing).  Options left commented keep acapd's built-in default.
# The generated certificate and the first admin's password go to the
# state directory: acapd runs as "acapd" and cannot write /etc/acapd.
1c\
# /etc/acapd/acapd.conf -- acapd's configuration, see acapd.conf(5).\
# Installed by the Debian package (a conffile: your changes are kept on\
# upgrades).  The uncommented lines are the package's choices; a\
# commented line shows the built-in default.  After a change:\
#   acapd -t && systemctl reload acapd     (listen/statedir: restart)\
#\
# The state directory holds the database, the SASL user database\
# (sasldb2), the generated certificate and the first admin's password.
s|^#statedir .*|statedir /var/lib/acapd|
s|^#user .*|user acapd|
s|^#group .*|group acapd|
s|^#tls_cert .*|# A self-signed certificate is created at the first start; for a real one,\
# put it in /etc/acapd (key readable by the group acapd), point tls_cert\
# and tls_key at it and set tls_generate no.\
tls_cert /var/lib/acapd/cert.pem|
s|^#tls_key .*|tls_key /var/lib/acapd/key.pem\
tls_generate yes|
s|^#admins .*|# The first start creates "admin" with a random password in\
# /var/lib/acapd/admin-password (mode 0600).\
admins admin\
bootstrap_admin admin|
