/*
 * enrol.h -- one-time enrol URLs (doc/discovery.md "Devices"):
 * GET /enrol/<token> on acapd's HTTP listener serves the profile of the
 * device the token was made for, once.
 *
 * acapctl ("device url", "device enrol --url") stores only the SHA-256 of
 * the token, in the admin-only registry /vendor.acapd.enrol/site/ (entry:
 * the hash in lowercase hex; attributes vendor.acapd.enrol.device,
 * .format, .expires as an ACAP time).  The route deletes the entry in a
 * STORE of its own, committed before anything is answered, so a token is
 * served at most once even when two requests race; an unknown, used or
 * expired token gets the same 404.
 *
 * Owns: the profile signing identity (the instance certificate and key,
 * read at start-up while still privileged).
 */
#ifndef ACAPD_ENROL_H
#define ACAPD_ENROL_H

/* Register the route and read the signing identity (before http_open()). */
void enrol_init(void);
/* Free the signing identity. */
void enrol_close(void);

#endif
