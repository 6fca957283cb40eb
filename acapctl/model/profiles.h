/*
 * profiles.h -- the struct profile (libacap/profile.h) of a layer of the
 * model, from its effective settings (RFC 2244 §5.1 inheritance, read as
 * "show --effective" reads them): for a device the account its user's
 * mail client sets up, for an organisation or the site what a domain's
 * records point at.
 *
 * The account is the email entry that the option
 * "mua.default.account" names ("/email/~/NAME"), else the entry "mail",
 * else the first entry with email.server.IMAP; its personality the one
 * its email.personality names, else "mail", else the first with
 * personality.Server.SMTP (the layout of schema/site-template.json).
 *
 * Owns nothing across calls.  Reads through ctl.h.
 */
#ifndef ACAPCTL_PROFILES_H
#define ACAPCTL_PROFILES_H

struct ctl;
struct model_layer;
struct profile;

/*
 * Fill p (profile_init()ed) from the effective settings of layer l.
 * Returns 0, or -1 (error recorded).
 */
int profiles_layer(struct ctl *ctl, const struct model_layer *l,
    struct profile *p);

/*
 * The profile of device id: its layer's settings, the user's first
 * address as email (the user name as login), its organisation and the
 * organisation's first domain when the user has no address.  *user_r:
 * the device's user (new string).  Returns 0, or -1 (error recorded;
 * an unknown device is an error).
 */
int profiles_device(struct ctl *ctl, const char *id, struct profile *p,
    char **user_r);

#endif
