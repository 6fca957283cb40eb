# libacap: the ACAP codec and client, shared by acapd, acapctl and tests.
noinst_LIBRARIES += libacap/libacap.a
libacap_libacap_a_SOURCES = \
	libacap/acap-parser.c libacap/acap-parser.h \
	libacap/acap-arg.c libacap/acap-arg.h \
	libacap/acap-buf.c libacap/acap-buf.h \
	libacap/profile.c libacap/profile.h \
	libacap/profile-apple.c libacap/profile-apple.h \
	libacap/profile-json.c libacap/profile-json.h
# Blocking client connection (acapctl, tests): needs OpenSSL and libsasl2
# at link time, only for programs that use it.
libacap_libacap_a_SOURCES += libacap/acap-client.c libacap/acap-client.h
libacap_libacap_a_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(SASL_CFLAGS)
