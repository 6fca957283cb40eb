# acapd: the daemon.
sbin_PROGRAMS += acapd/acapd
acapd_acapd_SOURCES = acapd/main.c
acapd_acapd_LDADD = libacap/libacap.a
