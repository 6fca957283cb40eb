/*
 * profile-json.h -- one mail account's settings as a JSON object, for
 * scripts and device management tools (doc/discovery.md "Device
 * profiles"):
 *
 *   {"format": "acapd-profile", "version": 1, "device": "phone",
 *    "email": ..., "login": ..., "display_name": ..., "domain": ...,
 *    "organisation": ...,
 *    "imap": {"host": ..., "port": 993, "socket": "SSL", "auth": ...},
 *    "smtp": {...}, "idle_ceiling": 1740}
 *
 * Absent values are null; socket is "plain", "STARTTLS" or "SSL".
 * Written without a JSON library (acapd links none); strings escaped as
 * RFC 8259 §7 says.  Owns nothing.
 */
#ifndef ACAP_PROFILE_JSON_H
#define ACAP_PROFILE_JSON_H

struct acap_buf;
struct profile;

void profile_json(struct profile *p, const char *device,
    struct acap_buf *out);

#endif
