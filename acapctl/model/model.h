/*
 * model.h -- the mail-settings model of doc/settings.md as ACAP dataset
 * paths: layers (site, organisation, user, device), the dataset classes
 * that carry settings, the registries of organisations, users and
 * devices, and the rules for their names.
 *
 * Owns nothing beyond the strings it returns.  Pure functions (no I/O)
 * except model_device_id_new(), which reads the system RNG.
 */
#ifndef ACAPCTL_MODEL_H
#define ACAPCTL_MODEL_H

#include <stdbool.h>
#include <stddef.h>

/* Settings classes, in the order they are shown (DESIGN §2). */
#define MODEL_NCLASSES	3
extern const char *const model_classes[MODEL_NCLASSES];

/*
 * Registries (our vendor classes, RFC 2244 §4.2): one entry per
 * organisation / user / device, named by it.
 */
#define MODEL_ORG_REGISTRY	"/vendor.acapd.org/site/"
#define MODEL_USER_REGISTRY	"/vendor.acapd.user/site/"
#define MODEL_DEVICE_INDEX	"/vendor.acapd.device/site/"
#define MODEL_DEVICE_CLASS	"vendor.acapd.device"
/*
 * Discovery registries (doc/discovery.md): mail domains (entry: the
 * lowercase domain; no organisation attribute: a domain of the site),
 * the address index (entry: the lowercase address), and one-time
 * enrolment tokens (entry: hex SHA-256 of the token).  Admins only.
 */
#define MODEL_DOMAIN_REGISTRY	"/vendor.acapd.domain/site/"
#define MODEL_ADDRESS_INDEX	"/vendor.acapd.address/site/"
#define MODEL_ENROL_REGISTRY	"/vendor.acapd.enrol/site/"

/* Registry attributes. */
#define MODEL_A_ORG_DESC	"vendor.acapd.org.description"
#define MODEL_A_ORG_CREATED	"vendor.acapd.org.created"
#define MODEL_A_USER_ORG	"vendor.acapd.user.org"
#define MODEL_A_USER_CREATED	"vendor.acapd.user.created"
#define MODEL_A_DEV_USER	"vendor.acapd.device.user"
#define MODEL_A_DEV_NAME	"vendor.acapd.device.name"
#define MODEL_A_DEV_ENROLLED	"vendor.acapd.device.enrolled"
#define MODEL_A_ORG_DISCOVERY	"vendor.acapd.org.discovery"
#define MODEL_A_DOMAIN_ORG	"vendor.acapd.domain.org"
#define MODEL_A_DOMAIN_CREATED	"vendor.acapd.domain.created"
#define MODEL_A_ADDR_USER	"vendor.acapd.address.user"
#define MODEL_A_ENROL_DEVICE	"vendor.acapd.enrol.device"
#define MODEL_A_ENROL_FORMAT	"vendor.acapd.enrol.format"
#define MODEL_A_ENROL_EXPIRES	"vendor.acapd.enrol.expires"
/*
 * "vendor.acapd.deliberate." ATTR on a settings entry: ATTR was set
 * against an RFC 5383 recommendation on purpose (lint reports it as a
 * note).  One marker per attribute, so that markers inherit one by one
 * like the values they qualify (RFC 2244 §5.1).
 */
#define MODEL_A_DELIBERATE_PREFIX	"vendor.acapd.deliberate."
/* Prefix of the lock reason attribute: "vendor.acapd.lock." ATTR. */
#define MODEL_A_LOCK_PREFIX	"vendor.acapd.lock."

enum model_kind {
	MODEL_SITE,
	MODEL_ORG,
	MODEL_USER,
	MODEL_DEVICE,
	MODEL_PATH,	/* a dataset path given as such, any class */
};

/* A layer; name is an org, user, device id or dataset path (not SITE). */
struct model_layer {
	enum model_kind kind;
	char *name;
};

void model_layer_clear(struct model_layer *l);	/* frees name */
void model_layer_copy(struct model_layer *dst, const struct model_layer *src);

/*
 * Read a layer from the front of an argument vector: "site", "org NAME",
 * "user NAME", "device ID", the one-word forms "org:NAME" etc., or a
 * dataset path starting with "/" (MODEL_PATH; a trailing "/" is added).
 * Consumes 1 or 2 arguments (*used_r).  Returns 0, or -1 with *errstr_r
 * (static string).
 */
int model_layer_parse(int argc, char **argv, struct model_layer *l,
    int *used_r, const char **errstr_r);
/* The same for one word ("site", "org:acme", "/email/site/"). */
int model_layer_from_string(const char *s, struct model_layer *l,
    const char **errstr_r);
/* "site", "org:acme", "user:bob", "device:d1", or the path.  Free it. */
char *model_layer_string(const struct model_layer *l);

/*
 * Dataset of layer l in class cls: "/email/site/", "/email/group/acme/",
 * "/email/user/bob/", "/email/host/d1/" (RFC 2244 §4.1 owners).  For
 * MODEL_PATH the path itself (cls ignored).  Returns a new string.
 */
char *model_dataset(const struct model_layer *l, const char *cls);
/*
 * Reverse of model_dataset(): which layer and class a dataset path is.
 * Returns 0 (fills *l, and *cls_r with a new string if cls_r != NULL), or
 * -1 when the path is not a settings dataset of our model.
 */
int model_layer_of_dataset(const char *path, struct model_layer *l,
    char **cls_r);
/* Class of a dataset path ("/email/..." -> "email"), new string or NULL. */
char *model_class_of_dataset(const char *path);

/*
 * The settings class an attribute belongs in: "email.*" -> email,
 * "personality.*" -> personality, "option.*" -> option; the policy
 * attributes "vendor.acapd.*" default to email.  NULL when unknown.
 */
const char *model_class_of_attr(const char *attr);
bool model_is_class(const char *cls);

/* Device registry dataset of a user: "/vendor.acapd.device/user/U/". */
char *model_device_registry(const char *user);

/*
 * Names of organisations and users: a dname-component (RFC 2244 §4.3:
 * valid UTF-8, no "/", not starting with "."), 1-255 octets, no control
 * characters, no '*' or '%' (RFC 2244 §3.1 patterns).  Returns true or
 * false with *errstr_r (static).
 */
bool model_name_ok(const char *name, const char **errstr_r);
/*
 * Device ids: safe as a path component everywhere: 1-64 characters of
 * [A-Za-z0-9._-], starting with a letter or digit.
 */
bool model_device_id_ok(const char *id, const char **errstr_r);
/*
 * Mail domains: ASCII only (an IDN is given in its A-label form,
 * "xn--..."; IDNA conversion is out of scope), 1-253 octets, at least
 * two labels of 1-63 letters, digits and "-" (not first or last in a
 * label; RFC 1035 §2.3.1, RFC 1123 §2.1).  Writes the lowercase form to
 * out (size >= 254).  Returns true, or false with *errstr_r (static).
 */
bool model_domain_ok(const char *domain, char *out, const char **errstr_r);
/*
 * Mail addresses local@domain: a dot-atom local part of 1-64 octets
 * (RFC 5322 §3.2.3; quoted local parts are refused) and a domain as
 * model_domain_ok().  Writes the lowercase form to out (size >= 320).
 */
#define MODEL_ADDRESS_MAX	320
bool model_address_ok(const char *addr, char *out, const char **errstr_r);
/* A fresh random id ("d" + 20 hex digits) in buf (size >= 22).  0/-1. */
int model_device_id_new(char *buf, size_t size);

/*
 * Entry names (RFC 2244 §3.1): UTF-8, no "/", not starting with ".",
 * no NUL; empty only for the dataset's own "" entry (not allowed here).
 */
bool model_entry_ok(const char *name, const char **errstr_r);
/*
 * Attribute names (RFC 2244 §3.1.1, §4.2): dot-separated UTF-8 without
 * '*', '%' or NUL, containing a dot (names without one are the
 * protocol's).  Returns true or false with *errstr_r.
 */
bool model_attr_ok(const char *name, const char **errstr_r);

/* The current time as an ACAP time string (RFC 2244 §8 "time"), UTC. */
void model_time_now(char buf[15]);

#endif
