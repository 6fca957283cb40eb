/*
 * check_sasl.c -- acapd/sasl.c and acapctl/client/userdb.c against the real
 * libsasl2: users made with userdb, then in-process exchanges driven by
 * libsasl2's client API, all in a mkdtemp directory under /tmp.
 */
#include "autoconf.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <sasl/sasl.h>

#include "check_skip.h"
#include "sasl.h"
#include "userdb.h"

#define FQDN		"acap.test"
/* RFC 2244 §10: passwords of 64 characters and more SHOULD work. */
#define LONG_PASS \
	"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" \
	"-_=+!.,;:0123456789"

static char tmpdir[64];
static char dbpath[128];
static char logbuf[65536];
static const char *const admins[] = { "admin", NULL };

/* ---- fixture ---------------------------------------------------------- */

static void
log_cb(int prio, const char *msg, void *arg)
{
	size_t n = strlen(logbuf);

	(void)prio;
	(void)arg;
	snprintf(logbuf + n, sizeof(logbuf) - n, "%s\n", msg);
}

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
}

static void
base_opts(struct sasl_opts *o)
{
	sasl_opts_init(o);
	o->sasldb_path = dbpath;
	o->conf_dir = tmpdir;
	o->server_fqdn = FQDN;
	o->admins = admins;
	o->log_cb = log_cb;
}

static void
make_tmpdir(void)
{
	char path[128];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/acapd-check-sasl-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(dbpath, sizeof(dbpath), "%s/sasldb2", tmpdir);
	logbuf[0] = '\0';
	/*
	 * libsasl2 would read <confpath>/<appname>.conf.  Put a config there
	 * that breaks everything if it is ever read: it must not be.
	 */
	snprintf(path, sizeof(path), "%s/acapd.conf", tmpdir);
	write_file(path, "sasldb_path: /nonexistent/sasldb2\n"
	    "pwcheck_method: bogus\nauxprop_plugin: bogus\n"
	    "mech_list: ANONYMOUS\n");
	snprintf(path, sizeof(path), "%s/acap.conf", tmpdir);
	write_file(path, "mech_list: ANONYMOUS\n");
}

static void
add_user(const char *user, const char *pass)
{
	struct userdb *db;
	const char *err = NULL;
	struct sasl_opts o;

	base_opts(&o);
	ck_assert_int_eq(userdb_open(&o, &db, &err), 0);
	if (userdb_add(db, user, pass, &err) != 0)
		ck_abort_msg("userdb_add %s: %s", user, err);
	userdb_close(&db);
	ck_assert_ptr_null(db);
}

static void
setup_opts(const struct sasl_opts *o)
{
	const char *err = NULL;

	if (sasl_module_init(o, &err) != 0)
		ck_abort_msg("sasl_module_init: %s", err);
	ck_assert_int_eq(sasl_client_init(NULL), SASL_OK);
	add_user("alice", "tulips");
	add_user("bob", "bobpw");
	add_user("admin", "adminpw");
	add_user("longpw", LONG_PASS);
}

static void
setup(void)
{
	struct sasl_opts o;

	make_tmpdir();
	base_opts(&o);
	setup_opts(&o);
}

static void
setup_anon(void)
{
	struct sasl_opts o;

	make_tmpdir();
	base_opts(&o);
	o.allow_anonymous = true;
	setup_opts(&o);
}

static void
setup_saslauthd(void)
{
	static const char *const extra[] = {
		"saslauthd_path", "/nonexistent/saslauthd/mux", NULL
	};
	struct sasl_opts o;

	make_tmpdir();
	base_opts(&o);
	o.pwcheck_method = "saslauthd";
	o.extra = extra;
	setup_opts(&o);
}

static void
teardown(void)
{
	sasl_client_done();
	sasl_module_deinit();
	nftw(tmpdir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
}

/* ---- a libsasl2 client ------------------------------------------------ */

struct cred {
	const char *authname;
	const char *authzid;	/* NULL: same as authname */
	const char *pass;
	const char *external;	/* client certificate identity, or NULL */
	unsigned ssf;
};

static struct {
	const struct cred *cred;
	sasl_secret_t *secret;
} cl;

static int
cl_simple(void *ctx, int id, const char **result, unsigned *len)
{
	(void)ctx;
	if (id == SASL_CB_AUTHNAME)
		*result = cl.cred->authname;
	else if (id == SASL_CB_USER)
		*result = cl.cred->authzid != NULL ? cl.cred->authzid : "";
	else
		return SASL_BADPARAM;
	if (len != NULL)
		*len = (unsigned)strlen(*result);
	return SASL_OK;
}

static int
cl_pass(sasl_conn_t *conn, void *ctx, int id, sasl_secret_t **psecret)
{
	size_t len = strlen(cl.cred->pass);

	(void)conn;
	(void)ctx;
	(void)id;
	free(cl.secret);
	cl.secret = malloc(sizeof(*cl.secret) + len);
	ck_assert_ptr_nonnull(cl.secret);
	cl.secret->len = len;
	memcpy(cl.secret->data, cl.cred->pass, len + 1);
	*psecret = cl.secret;
	return SASL_OK;
}

static int
cl_realm(void *ctx, int id, const char **avail, const char **result)
{
	(void)ctx;
	(void)id;
	*result = avail != NULL && avail[0] != NULL ? avail[0] : FQDN;
	return SASL_OK;
}

#define CB(fn)	((int (*)(void))(void (*)(void))&(fn))

/* How an exchange ended. */
enum outcome {
	OUT_OK,			/* server said done, client accepted it */
	OUT_SERVER_FAIL,	/* server said -1 */
	OUT_CLIENT_FAIL		/* libsasl2 client gave up */
};

/*
 * Run mech between a libsasl2 client and session s.  *final_r tells
 * whether the server sent final data (which the client then checked).
 */
static enum outcome
exchange(struct sasl_session *s, const char *mech, const struct cred *c,
    bool *final_r)
{
	sasl_callback_t cbs[] = {
		{ SASL_CB_AUTHNAME, CB(cl_simple), NULL },
		{ SASL_CB_USER, CB(cl_simple), NULL },
		{ SASL_CB_PASS, CB(cl_pass), NULL },
		{ SASL_CB_GETREALM, CB(cl_realm), NULL },
		{ SASL_CB_LIST_END, NULL, NULL }
	};
	sasl_security_properties_t sp;
	sasl_conn_t *cc;
	const char *cout = NULL, *used = NULL;
	unsigned coutlen = 0;
	const void *sout = NULL;
	size_t soutlen = 0;
	sasl_ssf_t ssf;
	int r, cr;

	cl.cred = c;
	if (final_r != NULL)
		*final_r = false;
	ck_assert_int_eq(sasl_client_new("acap", FQDN, NULL, NULL, cbs, 0,
	    &cc), SASL_OK);
	memset(&sp, 0, sizeof(sp));
	sp.max_ssf = 0;		/* no security layer, as the server */
	ck_assert_int_eq(sasl_setprop(cc, SASL_SEC_PROPS, &sp), SASL_OK);
	if (c->ssf > 0) {
		ssf = c->ssf;
		ck_assert_int_eq(sasl_setprop(cc, SASL_SSF_EXTERNAL, &ssf),
		    SASL_OK);
	}
	if (c->external != NULL)
		ck_assert_int_eq(sasl_setprop(cc, SASL_AUTH_EXTERNAL,
		    c->external), SASL_OK);
	cr = sasl_client_start(cc, mech, NULL, &cout, &coutlen, &used);
	if (cr != SASL_OK && cr != SASL_CONTINUE) {
		sasl_dispose(&cc);
		return OUT_CLIENT_FAIL;
	}
	r = sasl_session_start(s, mech, cout, cout != NULL ? coutlen : 0,
	    &sout, &soutlen);
	while (r == 0) {
		ck_assert_ptr_nonnull(sout);
		cout = NULL;
		coutlen = 0;
		cr = sasl_client_step(cc, sout, (unsigned)soutlen, NULL, &cout,
		    &coutlen);
		if (cr != SASL_OK && cr != SASL_CONTINUE) {
			sasl_session_cancel(s);
			sasl_dispose(&cc);
			return OUT_CLIENT_FAIL;
		}
		r = sasl_session_step(s, cout != NULL ? cout : "", coutlen,
		    &sout, &soutlen);
	}
	if (r == -1) {
		sasl_dispose(&cc);
		return OUT_SERVER_FAIL;
	}
	ck_assert_int_eq(r, 1);
	if (sout != NULL) {
		/* (SASL ...) data: the client must accept it (SCRAM checks
		 * the server's signature here). */
		if (final_r != NULL)
			*final_r = true;
		cr = sasl_client_step(cc, sout, (unsigned)soutlen, NULL, &cout,
		    &coutlen);
		if (cr != SASL_OK) {
			sasl_dispose(&cc);
			return OUT_CLIENT_FAIL;
		}
	}
	sasl_dispose(&cc);
	return OUT_OK;
}

static struct sasl_session *
new_session(void)
{
	struct sasl_session *s = NULL;
	const char *err = NULL;

	if (sasl_session_new("127.0.0.1;40000", "127.0.0.1;674", &s, &err) !=
	    0)
		ck_abort_msg("sasl_session_new: %s", err);
	ck_assert_ptr_nonnull(s);
	return s;
}

static struct sasl_session *
new_tls_session(const char *ext)
{
	struct sasl_session *s = new_session();
	const char *err = NULL;

	ck_assert_int_eq(sasl_session_set_tls(s, 256, ext, &err), 0);
	return s;
}

/* Authenticate with mech; assert success as user/authid. */
static void
auth_ok(struct sasl_session *s, const char *mech, const struct cred *c,
    const char *user)
{
	enum outcome o = exchange(s, mech, c, NULL);

	if (o != OUT_OK)
		ck_abort_msg("%s as %s: outcome %d, %s", mech, c->authname, o,
		    sasl_session_reason(s) != NULL ? sasl_session_reason(s) :
		    "(client)");
	ck_assert(sasl_session_done(s));
	ck_assert_str_eq(sasl_session_user(s), user);
	ck_assert_str_eq(sasl_session_authid(s), c->authname);
	ck_assert_str_eq(sasl_session_mech(s), mech);
	ck_assert(!sasl_session_anonymous(s));
}

static bool
has_mech(struct sasl_session *s, const char *mech)
{
	const char *const *v;
	size_t n, i;

	ck_assert_int_eq(sasl_session_mechs(s, &v, &n), 0);
	ck_assert_ptr_null(v[n]);
	for (i = 0; i < n; i++)
		if (strcmp(v[i], mech) == 0)
			return true;
	return false;
}

/* ---- mechanisms ------------------------------------------------------- */

static const struct cred alice = { "alice", NULL, "tulips", NULL, 0 };
static const struct cred alice_bad = { "alice", NULL, "wrong", NULL, 0 };
static const struct cred nobody = { "nobody", NULL, "tulips", NULL, 0 };

START_TEST(test_cram_md5)
{
	struct sasl_session *s = new_session();

	auth_ok(s, "CRAM-MD5", &alice, "alice");
	sasl_session_free(&s);
	ck_assert_ptr_null(s);
}
END_TEST

START_TEST(test_scram_sha256)
{
	struct sasl_session *s = new_session();
	bool final;

	ck_assert_int_eq(exchange(s, "SCRAM-SHA-256", &alice, &final), OUT_OK);
	/* The server signature travels as final data in (SASL ...). */
	ck_assert(final);
	ck_assert_str_eq(sasl_session_user(s), "alice");
	sasl_session_free(&s);
}
END_TEST

START_TEST(test_scram_sha1)
{
	struct sasl_session *s = new_session();

	auth_ok(s, "SCRAM-SHA-1", &alice, "alice");
	sasl_session_free(&s);
}
END_TEST

START_TEST(test_digest_md5)
{
	struct sasl_session *s = new_session();

	auth_ok(s, "DIGEST-MD5", &alice, "alice");
	sasl_session_free(&s);
}
END_TEST

START_TEST(test_plain_tls)
{
	struct sasl_session *s = new_tls_session(NULL);

	ck_assert(has_mech(s, "PLAIN"));
	auth_ok(s, "PLAIN", &alice, "alice");
	sasl_session_free(&s);
}
END_TEST

START_TEST(test_plain_without_tls)
{
	struct sasl_session *s = new_session();
	const void *out;
	size_t outlen;

	/* RFC 2595 §6: PLAIN neither advertised nor accepted. */
	ck_assert(!has_mech(s, "PLAIN"));
	ck_assert_int_eq(sasl_session_start(s, "PLAIN", "\0alice\0tulips", 13,
	    &out, &outlen), -1);
	ck_assert_str_eq(sasl_session_code(s), "ENCRYPT-NEEDED");
	ck_assert(!sasl_session_done(s));
	ck_assert_ptr_null(sasl_session_user(s));
	sasl_session_free(&s);
}
END_TEST

START_TEST(test_mech_list)
{
	struct sasl_session *s = new_session();

	ck_assert(has_mech(s, "CRAM-MD5"));
	ck_assert(has_mech(s, "SCRAM-SHA-256"));
	ck_assert(has_mech(s, "SCRAM-SHA-1"));
	ck_assert(has_mech(s, "DIGEST-MD5"));
	ck_assert(!has_mech(s, "PLAIN"));
	ck_assert(!has_mech(s, "LOGIN"));	/* not in the default list */
	ck_assert(!has_mech(s, "NTLM"));
	ck_assert(!has_mech(s, "ANONYMOUS"));
	ck_assert(!has_mech(s, "EXTERNAL"));	/* no client certificate */
	sasl_session_free(&s);
}
END_TEST

static void
assert_bad_password(const char *mech, bool tls, const struct cred *c)
{
	struct sasl_session *s = tls ? new_tls_session(NULL) : new_session();
	enum outcome o = exchange(s, mech, c, NULL);

	if (o != OUT_SERVER_FAIL)
		ck_abort_msg("%s with a bad password: outcome %d", mech, o);
	ck_assert_ptr_null(sasl_session_code(s));
	ck_assert_str_eq(sasl_session_reason(s), "authentication failed");
	ck_assert(!sasl_session_done(s));
	ck_assert_ptr_null(sasl_session_user(s));
	/* The client may try again on the same session. */
	auth_ok(s, mech, &alice, "alice");
	sasl_session_free(&s);
}

START_TEST(test_wrong_password)
{
	assert_bad_password("CRAM-MD5", false, &alice_bad);
	assert_bad_password("SCRAM-SHA-256", false, &alice_bad);
	assert_bad_password("SCRAM-SHA-1", false, &alice_bad);
	assert_bad_password("DIGEST-MD5", false, &alice_bad);
	assert_bad_password("PLAIN", true, &alice_bad);
}
END_TEST

START_TEST(test_unknown_user)
{
	/* Same answer as a wrong password: user names stay secret. */
	assert_bad_password("CRAM-MD5", false, &nobody);
	assert_bad_password("SCRAM-SHA-256", false, &nobody);
	assert_bad_password("PLAIN", true, &nobody);
}
END_TEST

START_TEST(test_password_never_logged)
{
	struct sasl_session *s = new_tls_session(NULL);

	ck_assert_int_eq(exchange(s, "PLAIN", &alice_bad, NULL),
	    OUT_SERVER_FAIL);
	auth_ok(s, "PLAIN", &alice, "alice");
	sasl_session_free(&s);
	/* Something was logged, and none of it is a password. */
	ck_assert(strstr(logbuf, "authentication failed") != NULL);
	ck_assert(strstr(logbuf, "wrong") == NULL);
	ck_assert_msg(strstr(logbuf, "tulips") == NULL, "%s", logbuf);
	ck_assert(strstr(logbuf, "adminpw") == NULL);
}
END_TEST

START_TEST(test_anonymous_refused)
{
	struct sasl_session *s = new_session();
	const void *out;
	size_t outlen;

	ck_assert(!has_mech(s, "ANONYMOUS"));
	ck_assert_int_eq(sasl_session_start(s, "ANONYMOUS", "trace", 5, &out,
	    &outlen), -1);
	ck_assert_str_eq(sasl_session_code(s), "AUTH-TOO-WEAK");
	ck_assert_ptr_nonnull(sasl_session_reason(s));
	ck_assert(!sasl_session_done(s));
	sasl_session_free(&s);
}
END_TEST

START_TEST(test_anonymous_allowed)
{
	struct sasl_session *s = new_session();
	const void *out;
	size_t outlen;

	ck_assert(has_mech(s, "ANONYMOUS"));
	ck_assert_int_eq(sasl_session_start(s, "ANONYMOUS", "trace@x", 7,
	    &out, &outlen), 1);
	ck_assert(sasl_session_anonymous(s));
	ck_assert_str_eq(sasl_session_user(s), "anonymous");
	sasl_session_free(&s);
}
END_TEST

START_TEST(test_proxy_refused)
{
	static const struct cred c = { "alice", "bob", "tulips", NULL, 0 };
	struct sasl_session *s = new_tls_session(NULL);

	ck_assert_int_eq(exchange(s, "PLAIN", &c, NULL), OUT_SERVER_FAIL);
	ck_assert_str_eq(sasl_session_reason(s), "authorization failed");
	ck_assert(!sasl_session_done(s));
	ck_assert_int_eq(exchange(s, "SCRAM-SHA-256", &c, NULL),
	    OUT_SERVER_FAIL);
	ck_assert(!sasl_session_done(s));
	sasl_session_free(&s);
}
END_TEST

START_TEST(test_proxy_admin)
{
	static const struct cred c = { "admin", "alice", "adminpw", NULL, 0 };
	struct sasl_session *s = new_tls_session(NULL);

	auth_ok(s, "PLAIN", &c, "alice");
	sasl_session_free(&s);
	s = new_session();
	auth_ok(s, "SCRAM-SHA-256", &c, "alice");
	sasl_session_free(&s);
}
END_TEST

START_TEST(test_reload_policy)
{
	static const char *const more[] = { "admin", "alice", NULL };
	static const struct cred c = { "alice", "bob", "tulips", NULL, 0 };
	struct sasl_session *s;
	struct sasl_opts o;

	base_opts(&o);
	o.admins = more;
	o.allow_plaintext = true;
	ck_assert_int_eq(sasl_module_reload(&o), 0);
	/* alice is an admin now, and PLAIN works without TLS. */
	s = new_session();
	ck_assert(has_mech(s, "PLAIN"));
	auth_ok(s, "PLAIN", &c, "bob");
	sasl_session_free(&s);
	base_opts(&o);
	ck_assert_int_eq(sasl_module_reload(&o), 0);
	s = new_session();
	ck_assert(!has_mech(s, "PLAIN"));
	ck_assert_int_eq(exchange(s, "SCRAM-SHA-256", &c, NULL),
	    OUT_SERVER_FAIL);
	sasl_session_free(&s);
}
END_TEST

START_TEST(test_proxy_anyone)
{
	/* Not even an admin becomes "anyone" (RFC 2244 §3.5). */
	static const struct cred c = { "admin", "anyone", "adminpw", NULL, 0 };
	struct sasl_session *s = new_tls_session(NULL);

	ck_assert_int_eq(exchange(s, "PLAIN", &c, NULL), OUT_SERVER_FAIL);
	sasl_session_free(&s);
}
END_TEST

START_TEST(test_cancel)
{
	struct sasl_session *s = new_session();
	const void *out;
	size_t outlen;

	ck_assert_int_eq(sasl_session_start(s, "CRAM-MD5", NULL, 0, &out,
	    &outlen), 0);
	ck_assert_uint_gt(outlen, 0);		/* the <...> challenge */
	ck_assert_int_eq(((const char *)out)[0], '<');
	sasl_session_cancel(s);
	ck_assert(!sasl_session_done(s));
	ck_assert_int_eq(sasl_session_step(s, "alice 00", 8, &out, &outlen),
	    -1);
	auth_ok(s, "CRAM-MD5", &alice, "alice");
	sasl_session_free(&s);
}
END_TEST

START_TEST(test_long_password)
{
	static const struct cred c = { "longpw", NULL, LONG_PASS, NULL, 0 };
	struct sasl_session *s;

	ck_assert_uint_ge(strlen(LONG_PASS), 64);
	s = new_session();
	auth_ok(s, "CRAM-MD5", &c, "longpw");
	sasl_session_free(&s);
	s = new_session();
	auth_ok(s, "SCRAM-SHA-256", &c, "longpw");
	sasl_session_free(&s);
	s = new_tls_session(NULL);
	auth_ok(s, "PLAIN", &c, "longpw");
	sasl_session_free(&s);
}
END_TEST

START_TEST(test_initial_response_server_first)
{
	struct sasl_session *s = new_session();
	const void *out;
	size_t outlen;

	/* CRAM-MD5: the server speaks first, so no initial response. */
	ck_assert_int_eq(sasl_session_start(s, "CRAM-MD5", "alice x", 7, &out,
	    &outlen), -1);
	ck_assert(!sasl_session_done(s));
	sasl_session_free(&s);
}
END_TEST

START_TEST(test_client_first_without_ir)
{
	struct sasl_session *s = new_tls_session(NULL);
	const void *out;
	size_t outlen;

	/* PLAIN without initial response: empty challenge, then data. */
	ck_assert_int_eq(sasl_session_start(s, "PLAIN", NULL, 0, &out,
	    &outlen), 0);
	ck_assert_uint_eq(outlen, 0);
	ck_assert_int_eq(sasl_session_step(s, "\0alice\0tulips", 13, &out,
	    &outlen), 1);
	ck_assert_str_eq(sasl_session_user(s), "alice");
	sasl_session_free(&s);
}
END_TEST

START_TEST(test_unknown_mech)
{
	struct sasl_session *s = new_session();
	const void *out;
	size_t outlen;

	ck_assert_int_eq(sasl_session_start(s, "X-NOPE", NULL, 0, &out,
	    &outlen), -1);
	ck_assert_str_eq(sasl_session_reason(s), "mechanism not supported");
	/* In libsasl2 but not in our mech_list. */
	ck_assert_int_eq(sasl_session_start(s, "NTLM", NULL, 0, &out,
	    &outlen), -1);
	sasl_session_free(&s);
}
END_TEST

START_TEST(test_already_authenticated)
{
	struct sasl_session *s = new_session();
	const void *out;
	size_t outlen;

	auth_ok(s, "CRAM-MD5", &alice, "alice");
	ck_assert_int_eq(sasl_session_start(s, "CRAM-MD5", NULL, 0, &out,
	    &outlen), -1);
	/* RFC 2244 §6.3: still authenticated, as the same user. */
	ck_assert(sasl_session_done(s));
	ck_assert_str_eq(sasl_session_user(s), "alice");
	sasl_session_free(&s);
}
END_TEST

START_TEST(test_external)
{
	static const struct cred c = { "alice", NULL, "", "alice", 256 };
	static const struct cred other = { "alice", "bob", "", "alice", 256 };
	struct sasl_session *s = new_session();

	ck_assert(!has_mech(s, "EXTERNAL"));
	sasl_session_free(&s);
	s = new_tls_session("alice");
	ck_assert(has_mech(s, "EXTERNAL"));
	ck_assert_int_eq(exchange(s, "EXTERNAL", &c, NULL), OUT_OK);
	ck_assert_str_eq(sasl_session_user(s), "alice");
	sasl_session_free(&s);
	s = new_tls_session("alice");
	ck_assert_int_eq(exchange(s, "EXTERNAL", &other, NULL),
	    OUT_SERVER_FAIL);
	sasl_session_free(&s);
}
END_TEST

START_TEST(test_no_system_config)
{
	char needle[160];
	struct sasl_session *s = new_session();

	/*
	 * The fixture left <tmpdir>/acapd.conf with options that would
	 * break authentication.  libsasl2 was pointed at tmpdir (not
	 * /etc/sasl2), asked about that file, and told to skip it.
	 */
	snprintf(needle, sizeof(needle),
	    "not reading config file %s/acapd.conf", tmpdir);
	ck_assert_msg(strstr(logbuf, needle) != NULL, "log: %s", logbuf);
	ck_assert(strstr(logbuf, "/etc/sasl2") == NULL);
	auth_ok(s, "CRAM-MD5", &alice, "alice");
	ck_assert(!has_mech(s, "ANONYMOUS"));
	sasl_session_free(&s);
}
END_TEST

START_TEST(test_database_gone)
{
	struct sasl_session *s = new_session();
	enum outcome o;

	/* The sasldb vanished under a running server: a clean NO that
	 * says no more than for a wrong password. */
	ck_assert_int_eq(unlink(dbpath), 0);
	o = exchange(s, "CRAM-MD5", &alice, NULL);
	ck_assert_int_eq(o, OUT_SERVER_FAIL);
	ck_assert_str_eq(sasl_session_reason(s), "authentication failed");
	ck_assert(!sasl_session_done(s));
	sasl_session_free(&s);
}
END_TEST

START_TEST(test_saslauthd_unreachable)
{
	struct sasl_session *s = new_tls_session(NULL);

	/* PLAIN goes to saslauthd (passed through as an extra option),
	 * which is not there: a temporary failure, not a wrong password. */
	ck_assert_int_eq(exchange(s, "PLAIN", &alice, NULL), OUT_SERVER_FAIL);
	ck_assert_str_eq(sasl_session_code(s), "TRYLATER");
	ck_assert_msg(strstr(logbuf, "cannot connect to saslauthd") != NULL,
	    "%s", logbuf);
	/* Mechanisms using sasldb secrets still work. */
	auth_ok(s, "CRAM-MD5", &alice, "alice");
	sasl_session_free(&s);
}
END_TEST

START_TEST(test_module_errors)
{
	struct sasl_opts o;
	const char *err = NULL;

	/* Already initialised by the fixture. */
	base_opts(&o);
	ck_assert_int_eq(sasl_module_init(&o, &err), -1);
	ck_assert_ptr_nonnull(err);
	ck_assert(sasl_module_active());
	ck_assert_str_eq(sasl_module_sasldb_path(), dbpath);
	ck_assert_str_eq(sasl_module_realm(), FQDN);
}
END_TEST

START_TEST(test_module_bad_opts)
{
	struct sasl_opts o;
	const char *err = NULL;

	base_opts(&o);
	o.conf_dir = "/etc/sasl2:/tmp";
	ck_assert_int_eq(sasl_module_init(&o, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "conf_dir"));
	base_opts(&o);
	o.mech_list = "X-NONE-SUCH";
	ck_assert_int_eq(sasl_module_init(&o, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "X-NONE-SUCH"));
	ck_assert(!sasl_module_active());
	base_opts(&o);
	o.sasldb_path = NULL;
	ck_assert_int_eq(sasl_module_init(&o, &err), -1);
	base_opts(&o);
	ck_assert_int_eq(sasl_module_init(&o, &err), 0);
	sasl_module_deinit();
	ck_assert(!sasl_module_active());
}
END_TEST

static void
setup_dir_only(void)
{
	make_tmpdir();
}

static void
teardown_dir_only(void)
{
	sasl_module_deinit();
	nftw(tmpdir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
}

/* ---- userdb ----------------------------------------------------------- */

struct listed {
	char names[16][64];
	char realms[16][64];
	size_t n;
};

static void
list_cb(const char *user, const char *realm, void *arg)
{
	struct listed *l = arg;

	ck_assert_uint_lt(l->n, 16);
	snprintf(l->names[l->n], sizeof(l->names[0]), "%s", user);
	snprintf(l->realms[l->n], sizeof(l->realms[0]), "%s", realm);
	l->n++;
}

static struct userdb *
open_db(void)
{
	struct userdb *db = NULL;
	const char *err = NULL;
	struct sasl_opts o;

	base_opts(&o);
	if (userdb_open(&o, &db, &err) != 0)
		ck_abort_msg("userdb_open: %s", err);
	return db;
}

START_TEST(test_userdb_create_mode)
{
	struct userdb *db;
	const char *err = NULL;
	struct stat st;
	mode_t old;

	/* A permissive umask must not leak into the new file's mode. */
	old = umask(0);
	db = open_db();
	ck_assert_int_eq(stat(dbpath, &st), -1);
	ck_assert_int_eq(userdb_add(db, "carol", "pw", &err), 0);
	ck_assert_int_eq(stat(dbpath, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_str_eq(userdb_path(db), dbpath);
	ck_assert_str_eq(userdb_realm(db), FQDN);
	userdb_close(&db);
	umask(old);
}
END_TEST

START_TEST(test_userdb_duplicate)
{
	struct userdb *db = open_db();
	const char *err = NULL;

	ck_assert_int_eq(userdb_add(db, "alice", "other", &err), -1);
	ck_assert_str_eq(err, "user \"alice\" already exists");
	/* Her password did not change. */
	ck_assert_int_eq(userdb_exists(db, "alice", &err), 1);
	userdb_close(&db);
	{
		struct sasl_session *s = new_session();

		auth_ok(s, "CRAM-MD5", &alice, "alice");
		sasl_session_free(&s);
	}
}
END_TEST

/*
 * Writers serialise on <sasldb>.lock: while another process holds it, an
 * add waits, then succeeds (without the lock, concurrent writers of the
 * Berkeley DB file lose records: tests/protocol/ctl-useradd-race.sh).
 */
START_TEST(test_userdb_lock_waits)
{
	struct userdb *db = open_db();
	const char *err = NULL;
	struct timespec a, b;
	char lock[1100];
	int fd, p[2], status;
	double waited;
	pid_t pid;
	char c;

	snprintf(lock, sizeof(lock), "%s.lock", userdb_path(db));
	ck_assert_int_eq(pipe(p), 0);
	if ((pid = fork()) == 0) {
		fd = open(lock, O_RDONLY | O_CREAT, 0600);
		if (fd == -1 || flock(fd, LOCK_EX) == -1)
			_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		usleep(400 * 1000);
		_exit(0);	/* the lock goes with the process */
	}
	ck_assert_int_gt(pid, 0);
	close(p[1]);
	ck_assert_int_eq(read(p[0], &c, 1), 1);	/* the child holds it */
	close(p[0]);
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (userdb_add(db, "waiter", "w8", &err) != 0)
		ck_abort_msg("userdb_add: %s", err);
	clock_gettime(CLOCK_MONOTONIC, &b);
	waited = (double)(b.tv_sec - a.tv_sec) +
	    (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	ck_assert_msg(waited > 0.2, "the add did not wait for the lock "
	    "(%.3f s)", waited);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(userdb_exists(db, "waiter", &err), 1);
	/* nested: held across calls, released by the last unlock */
	ck_assert_int_eq(userdb_lock(db, &err), 0);
	ck_assert_int_eq(userdb_add(db, "inside", "in", &err), 0);
	ck_assert_int_eq(userdb_unlock(db, true, &err), 0);
	fd = open(lock, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
	close(fd);
	ck_assert_int_eq(userdb_exists(db, "inside", &err), 1);
	userdb_close(&db);
}
END_TEST

/*
 * Copy-on-write: a write changes <sasldb>.new and renames it over the
 * file, so acapd (which opens the file for each lookup, without the
 * lock) never reads a half-written page.  The file is replaced, not
 * changed in place (an fd opened before the write still reads the old
 * database), owner and mode are kept, no copy is left behind, and a
 * write that fails leaves the file as it was.
 */
START_TEST(test_userdb_copy_on_write)
{
	struct userdb *db = open_db();
	const char *err = NULL;
	struct stat before, after, old_fd;
	char newpath[1100];
	int fd;

	if (userdb_add(db, "first", "f1", &err) != 0)
		ck_abort_msg("userdb_add: %s", err);
	snprintf(newpath, sizeof(newpath), "%s.new", userdb_path(db));
	ck_assert_int_eq(chmod(userdb_path(db), 0640), 0);
	ck_assert_int_eq(stat(userdb_path(db), &before), 0);
	fd = open(userdb_path(db), O_RDONLY);
	ck_assert_int_ge(fd, 0);
	if (userdb_add(db, "second", "s2", &err) != 0)
		ck_abort_msg("userdb_add: %s", err);
	ck_assert_int_eq(stat(userdb_path(db), &after), 0);
	ck_assert_int_ne(before.st_ino, after.st_ino);	/* renamed over */
	ck_assert_int_eq(after.st_mode & 07777, 0640);
	ck_assert_int_eq(after.st_uid, before.st_uid);
	ck_assert_int_eq(after.st_gid, before.st_gid);
	ck_assert_int_eq(fstat(fd, &old_fd), 0);
	ck_assert_int_eq(old_fd.st_ino, before.st_ino);	/* untouched */
	close(fd);
	ck_assert_int_eq(access(newpath, F_OK), -1);
	ck_assert_int_eq(userdb_exists(db, "second", &err), 1);
	/* a write that fails as a whole: nothing of it reaches the file */
	ck_assert_int_eq(stat(userdb_path(db), &before), 0);
	ck_assert_int_eq(userdb_lock(db, &err), 0);
	ck_assert_int_eq(userdb_add(db, "ghost", "g3", &err), 0);
	ck_assert_int_eq(userdb_exists(db, "ghost", &err), 1);	/* the copy */
	ck_assert_int_eq(userdb_unlock(db, false, &err), 0);
	ck_assert_int_eq(stat(userdb_path(db), &after), 0);
	ck_assert_int_eq(before.st_ino, after.st_ino);
	ck_assert_int_eq(userdb_exists(db, "ghost", &err), 0);
	ck_assert_int_eq(userdb_exists(db, "second", &err), 1);
	ck_assert_int_eq(access(newpath, F_OK), -1);
	/* a copy left by a writer killed midway is replaced, not used */
	fd = open(newpath, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "junk", 4), 4);
	close(fd);
	if (userdb_add(db, "third", "t4", &err) != 0)
		ck_abort_msg("userdb_add after a stale copy: %s", err);
	ck_assert_int_eq(userdb_exists(db, "first", &err), 1);
	ck_assert_int_eq(userdb_exists(db, "third", &err), 1);
	ck_assert_int_eq(access(newpath, F_OK), -1);
	userdb_close(&db);
}
END_TEST

/* Bulk add (import): new accounts authenticate with every mechanism,
 * existing ones are left alone, a bad batch writes nothing. */
START_TEST(test_userdb_add_bulk)
{
	static const struct cred carol = { "carol", NULL, "c a\\r/ol\xc3\xa9",
	    NULL, 0 };
	const char *users[] = { "carol", "alice", "dave" };
	const char *passes[] = { "c a\\r/ol\xc3\xa9", "changed", "d" };
	const char *dup[] = { "erin", "erin" };
	const char *bad[] = { "frank", "bad@realm" };
	unsigned char created[3];
	struct userdb *db = open_db();
	struct sasl_session *s;
	const char *err = NULL;

	if (userdb_add_bulk(db, 3, users, passes, created, &err) != 0)
		ck_abort_msg("userdb_add_bulk: %s", err);
	ck_assert_int_eq(created[0], 1);
	ck_assert_int_eq(created[1], 0);	/* alice existed */
	ck_assert_int_eq(created[2], 1);
	ck_assert_int_eq(userdb_add_bulk(db, 2, dup, passes, created, &err),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "\"erin\" is given twice"));
	ck_assert_int_eq(userdb_add_bulk(db, 2, bad, passes, created, &err),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "bad@realm"));
	ck_assert_int_eq(userdb_exists(db, "frank", &err), 0);
	userdb_close(&db);
	s = new_session();
	auth_ok(s, "CRAM-MD5", &carol, "carol");
	sasl_session_free(&s);
	s = new_session();
	auth_ok(s, "SCRAM-SHA-256", &carol, "carol");
	sasl_session_free(&s);
	s = new_session();
	auth_ok(s, "CRAM-MD5", &alice, "alice");	/* unchanged */
	sasl_session_free(&s);
}
END_TEST

START_TEST(test_userdb_passwd)
{
	static const struct cred newpw = { "alice", NULL, "n3w", NULL, 0 };
	struct userdb *db = open_db();
	struct sasl_session *s;
	const char *err = NULL;

	ck_assert_int_eq(userdb_passwd(db, "zed", "x", &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "no such user \"zed\""));
	ck_assert_int_eq(userdb_passwd(db, "alice", "", &err), -1);
	ck_assert_int_eq(userdb_passwd(db, "alice", "n3w", &err), 0);
	userdb_close(&db);
	s = new_session();
	ck_assert_int_eq(exchange(s, "CRAM-MD5", &alice, NULL),
	    OUT_SERVER_FAIL);
	auth_ok(s, "CRAM-MD5", &newpw, "alice");
	sasl_session_free(&s);
	s = new_session();
	auth_ok(s, "SCRAM-SHA-256", &newpw, "alice");
	sasl_session_free(&s);
}
END_TEST

START_TEST(test_userdb_del)
{
	struct userdb *db = open_db();
	struct sasl_session *s;
	const char *err = NULL;

	ck_assert_int_eq(userdb_del(db, "zed", &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "no such user \"zed\""));
	ck_assert_int_eq(userdb_del(db, "alice", &err), 0);
	ck_assert_int_eq(userdb_exists(db, "alice", &err), 0);
	ck_assert_int_eq(userdb_del(db, "alice", &err), -1);
	userdb_close(&db);
	s = new_session();
	ck_assert_int_eq(exchange(s, "CRAM-MD5", &alice, NULL),
	    OUT_SERVER_FAIL);
	sasl_session_free(&s);
}
END_TEST

START_TEST(test_userdb_list)
{
	struct userdb *db = open_db();
	struct listed l;
	const char *err = NULL;

	/* sasl2-bin is installed by tools/deps.sh: missing is a failure */
	ck_assert_msg(access("/usr/sbin/sasldblistusers2", X_OK) == 0 ||
	    access("/usr/bin/sasldblistusers2", X_OK) == 0,
	    "sasldblistusers2 not installed (Debian sasl2-bin, tools/deps.sh)");
	memset(&l, 0, sizeof(l));
	if (userdb_list(db, list_cb, &l, &err) != 0)
		ck_abort_msg("userdb_list: %s", err);
	ck_assert_uint_eq(l.n, 4);
	ck_assert_str_eq(l.names[0], "admin");
	ck_assert_str_eq(l.names[1], "alice");
	ck_assert_str_eq(l.names[2], "bob");
	ck_assert_str_eq(l.names[3], "longpw");
	ck_assert_str_eq(l.realms[0], FQDN);
	ck_assert_int_eq(userdb_del(db, "bob", &err), 0);
	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(userdb_list(db, list_cb, &l, &err), 0);
	ck_assert_uint_eq(l.n, 3);
	ck_assert_str_eq(l.names[2], "longpw");
	userdb_close(&db);
}
END_TEST

START_TEST(test_userdb_list_no_tool)
{
	struct userdb *db = open_db();
	char tool[160];
	struct listed l;
	const char *err = NULL;

	memset(&l, 0, sizeof(l));
	userdb_set_lister(db, "/nonexistent/sasldblistusers2");
	ck_assert_int_eq(userdb_list(db, list_cb, &l, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "sasl2-bin"));
	/* sasldblistusers2 complains on stderr and still exits 0. */
	snprintf(tool, sizeof(tool), "%s/fake-lister", tmpdir);
	write_file(tool, "#!/bin/sh\necho 'alice@x: userPassword'\n"
	    "echo 'listusers failed' >&2\nexit 0\n");
	ck_assert_int_eq(chmod(tool, 0700), 0);
	userdb_set_lister(db, tool);
	ck_assert_int_eq(userdb_list(db, list_cb, &l, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "listusers failed"));
	ck_assert_uint_eq(l.n, 0);
	userdb_close(&db);
}
END_TEST

START_TEST(test_userdb_owner)
{
	struct userdb *db = NULL;
	struct sasl_opts o;
	const char *err = NULL;
	char dir[128], path[192];
	struct stat st;

	if (geteuid() != 0)
		CK_SKIP("not root: only root creates files for others");
	/* The state directory belongs to the user acapd runs as. */
	snprintf(dir, sizeof(dir), "%s/state", tmpdir);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert_int_eq(chown(dir, 65534, 65534), 0);
	snprintf(path, sizeof(path), "%s/sasldb2", dir);
	base_opts(&o);
	o.sasldb_path = path;
	ck_assert_int_eq(userdb_open(&o, &db, &err), 0);
	ck_assert_int_eq(userdb_add(db, "carol", "pw", &err), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_uid, 65534);
	ck_assert_uint_eq(st.st_gid, 65534);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	userdb_close(&db);
}
END_TEST

START_TEST(test_userdb_no_file)
{
	struct userdb *db = open_db();
	struct listed l;
	const char *err = NULL;

	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(userdb_exists(db, "alice", &err), 0);
	ck_assert_int_eq(userdb_list(db, list_cb, &l, &err), 0);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_int_eq(userdb_del(db, "alice", &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "no such user"));
	userdb_close(&db);
	/* userdb_open() started libsasl2, userdb_close() ended it. */
	ck_assert(!sasl_module_active());
}
END_TEST

START_TEST(test_userdb_unreadable)
{
	struct userdb *db = NULL;
	struct sasl_opts o;
	const char *err = NULL;
	char path[256], file[160];

	/* A path through a regular file cannot be read, even by root. */
	snprintf(file, sizeof(file), "%s/plainfile", tmpdir);
	write_file(file, "x");
	snprintf(path, sizeof(path), "%s/sasldb2", file);
	base_opts(&o);
	o.sasldb_path = path;
	ck_assert_int_eq(userdb_open(&o, &db, &err), 0);
	ck_assert_int_eq(userdb_exists(db, "alice", &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "cannot read user database"));
	ck_assert_ptr_nonnull(strstr(err, "Not a directory"));
	ck_assert_int_eq(userdb_add(db, "alice", "pw", &err), -1);
	ck_assert_ptr_nonnull(strstr(err, path));
	userdb_close(&db);
	if (geteuid() != 0) {
		base_opts(&o);
		ck_assert_int_eq(userdb_open(&o, &db, &err), 0);
		ck_assert_int_eq(userdb_add(db, "alice", "pw", &err), 0);
		ck_assert_int_eq(chmod(dbpath, 0), 0);
		ck_assert_int_eq(userdb_exists(db, "alice", &err), -1);
		ck_assert_ptr_nonnull(strstr(err, "Permission denied"));
		userdb_close(&db);
	}
}
END_TEST

START_TEST(test_userdb_names)
{
	const char *err = NULL;

	ck_assert(userdb_name_ok("alice", &err));
	ck_assert(userdb_name_ok("j\xc3\xb6rg.m-1", &err));
	ck_assert(!userdb_name_ok("", &err));
	ck_assert(!userdb_name_ok("anyone", &err));
	ck_assert_ptr_nonnull(strstr(err, "reserved"));
	ck_assert(!userdb_name_ok("Anonymous", &err));
	ck_assert(!userdb_name_ok("-alice", &err));
	ck_assert(!userdb_name_ok("/group", &err));
	ck_assert(!userdb_name_ok("a@b", &err));
	ck_assert(!userdb_name_ok("a b", &err));
	ck_assert(!userdb_name_ok("a\tb", &err));
	ck_assert(!userdb_name_ok("bad\xc3", &err));
	ck_assert(!userdb_name_ok("\xc0\xaf", &err));	/* overlong '/' */
}
END_TEST

START_TEST(test_userdb_random_password)
{
	char a[USERDB_RANDOM_PASSWORD_LEN + 1], b[sizeof(a)], small[16];
	size_t i;

	ck_assert_int_eq(userdb_random_password(a, sizeof(a)), 0);
	ck_assert_int_eq(userdb_random_password(b, sizeof(b)), 0);
	ck_assert_uint_eq(strlen(a), USERDB_RANDOM_PASSWORD_LEN);
	ck_assert_str_ne(a, b);
	for (i = 0; a[i] != '\0'; i++)
		ck_assert_ptr_null(strchr("0O1lI", a[i]));
	ck_assert_int_eq(userdb_random_password(small, sizeof(small)), -1);
}
END_TEST

static Suite *
sasl_suite(void)
{
	Suite *s = suite_create("sasl");
	TCase *tc;

	tc = tcase_create("mechanisms");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_cram_md5);
	tcase_add_test(tc, test_scram_sha256);
	tcase_add_test(tc, test_scram_sha1);
	tcase_add_test(tc, test_digest_md5);
	tcase_add_test(tc, test_plain_tls);
	tcase_add_test(tc, test_plain_without_tls);
	tcase_add_test(tc, test_mech_list);
	tcase_add_test(tc, test_wrong_password);
	tcase_add_test(tc, test_unknown_user);
	tcase_add_test(tc, test_password_never_logged);
	tcase_add_test(tc, test_anonymous_refused);
	tcase_add_test(tc, test_proxy_refused);
	tcase_add_test(tc, test_proxy_admin);
	tcase_add_test(tc, test_proxy_anyone);
	tcase_add_test(tc, test_reload_policy);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_long_password);
	tcase_add_test(tc, test_initial_response_server_first);
	tcase_add_test(tc, test_client_first_without_ir);
	tcase_add_test(tc, test_unknown_mech);
	tcase_add_test(tc, test_already_authenticated);
	tcase_add_test(tc, test_external);
	tcase_add_test(tc, test_no_system_config);
	tcase_add_test(tc, test_module_errors);
	tcase_add_test(tc, test_database_gone);
	suite_add_tcase(s, tc);

	tc = tcase_create("anonymous");
	tcase_add_checked_fixture(tc, setup_anon, teardown);
	tcase_add_test(tc, test_anonymous_allowed);
	suite_add_tcase(s, tc);

	tc = tcase_create("saslauthd");
	tcase_add_checked_fixture(tc, setup_saslauthd, teardown);
	tcase_add_test(tc, test_saslauthd_unreachable);
	suite_add_tcase(s, tc);

	tc = tcase_create("module");
	tcase_add_checked_fixture(tc, setup_dir_only, teardown_dir_only);
	tcase_add_test(tc, test_module_bad_opts);
	tcase_add_test(tc, test_userdb_create_mode);
	tcase_add_test(tc, test_userdb_owner);
	tcase_add_test(tc, test_userdb_no_file);
	tcase_add_test(tc, test_userdb_unreadable);
	tcase_add_test(tc, test_userdb_names);
	tcase_add_test(tc, test_userdb_random_password);
	suite_add_tcase(s, tc);

	tc = tcase_create("userdb");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_userdb_duplicate);
	tcase_add_test(tc, test_userdb_lock_waits);
	tcase_add_test(tc, test_userdb_copy_on_write);
	tcase_add_test(tc, test_userdb_add_bulk);
	tcase_add_test(tc, test_userdb_passwd);
	tcase_add_test(tc, test_userdb_del);
	tcase_add_test(tc, test_userdb_list);
	tcase_add_test(tc, test_userdb_list_no_tool);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(sasl_suite());
	int failed;

	/* one line per test (tools/summary.sh counts them) */
	srunner_run_all(sr, CK_VERBOSE);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
