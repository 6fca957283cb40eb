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

/* Registry attributes. */
#define MODEL_A_ORG_DESC	"vendor.acapd.org.description"
#define MODEL_A_ORG_CREATED	"vendor.acapd.org.created"
#define MODEL_A_USER_ORG	"vendor.acapd.user.org"
#define MODEL_A_USER_CREATED	"vendor.acapd.user.created"
#define MODEL_A_DEV_USER	"vendor.acapd.device.user"
#define MODEL_A_DEV_NAME	"vendor.acapd.device.name"
#define MODEL_A_DEV_ENROLLED	"vendor.acapd.device.enrolled"
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
