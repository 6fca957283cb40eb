/*
 * profile-apple.h -- the Apple configuration profile of one mail account
 * (a "Configuration" profile holding one com.apple.mail.managed payload,
 * XML property list), and its CMS SignedData envelope, as iOS and macOS
 * install it (content type application/x-apple-aspen-config).
 *
 * The PayloadUUID and PayloadIdentifier are derived from the instance
 * and the device id alone (name-based UUID version 5, RFC 9562 §5.5,
 * SHA-1 through OpenSSL), so a new download of a device's profile
 * replaces the one installed before instead of adding a second account.
 *
 * Owns nothing: writes into the caller's buffer.  Uses OpenSSL (libcrypto).
 */
#ifndef ACAP_PROFILE_APPLE_H
#define ACAP_PROFILE_APPLE_H

#include <stddef.h>

struct acap_buf;
struct profile;

#define PROFILE_APPLE_TYPE	"application/x-apple-aspen-config"

/*
 * The name-based UUID (version 5, in the URL namespace of RFC 9562
 * Appendix A) of name, lowercase text into out.  0, or -1 when the hash
 * fails.
 */
int profile_uuid5(const char *name, char out[37]);

/*
 * The unsigned profile of p for device id (instance: the server's host
 * name, as an admin and the enrol URL name it).  Values are XML-escaped.
 * Returns 0, or -1 (hash failure).
 */
int profile_apple_plist(struct profile *p, const char *instance,
    const char *device, struct acap_buf *out);

/*
 * The signing identity: certificate, key and the chain after the
 * certificate, read from PEM files (the certificate file may hold the
 * chain).  Opaque to keep OpenSSL types out of this header.
 */
struct profile_signer;
struct profile_signer *profile_signer_load(const char *certfile,
    const char *keyfile, char *why, size_t whylen);
void profile_signer_free(struct profile_signer **sp);

/*
 * CMS SignedData (DER) of data with the signer's certificate and chain,
 * the content attached (RFC 5652 §5).  Returns 0, or -1 with why.
 */
int profile_apple_sign(const struct profile_signer *s, const void *data,
    size_t len, struct acap_buf *out, char *why, size_t whylen);

#endif
