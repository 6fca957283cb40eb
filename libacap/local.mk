# libacap: the ACAP codec and client, shared by acapd, acapctl and tests.
noinst_LIBRARIES += libacap/libacap.a
libacap_libacap_a_SOURCES = \
	libacap/acap-parser.c libacap/acap-parser.h \
	libacap/acap-arg.c libacap/acap-arg.h \
	libacap/acap-buf.c libacap/acap-buf.h
