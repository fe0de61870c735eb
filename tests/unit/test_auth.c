/* test_auth.c: auth/ without HTTP: token forms and checks, rotation, last uses, login budgets, TOTP, officers, pseudonyms. */
#include "support.h"

#include <liboath/oath.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../auth/auth.h"
#include "../../vault/sqlite.h"

typedef struct fx {
	test_vault tv;
	vault *v; /* tv.v */
	auth_lockout *lockout;
	unsigned char cid[KEYS_CID_BYTES], totp[VAULT_TOTP_SECRET_BYTES];
} fx;

static void must(int rc, const util_err *err, const char *what)
{
	if (rc != 0)
		fail_msg("%s: %s", what, err->msg);
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	util_err err;
	json_t *fl;

	if (f == NULL || vault_init() != 0 || oath_init() != OATH_OK)
		return -1;
	test_vault_make(&f->tv);
	f->v = f->tv.v;
	fl = json_pack("{s:s}", "full_name", "Nguyễn Văn An");
	must(vault_citizen_create(f->v, "001090012345", fl, f->cid, f->totp, &err), &err, "citizen");
	json_decref(fl);
	if ((f->lockout = auth_lockout_new()) == NULL)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	auth_lockout_free(f->lockout);
	test_vault_release(&f->tv);
	free(f);
	return 0;
}

/* The code of secret at the current step plus delta steps. */
static void code_at(const unsigned char *secret, size_t n, int delta, char out[7])
{
	assert_int_equal(oath_totp_generate((const char *)secret, n, time(NULL) + 30 * delta, 30, 0, 6, out), OATH_OK);
}

/* Runs sql on the vault's connection (the tests reach under the seam to age rows). */
static void exec_sql(vault *v, const char *sql)
{
	assert_int_equal(sqlite3_exec(vault_sql_db(v), sql, NULL, NULL, NULL), SQLITE_OK);
}

static void test_token_forms(void **state)
{
	static const char ok_admin[] = "vk_admin_0123456789", ok_session[] = "vk_session_x";
	char longest[AUTH_TOKEN_MAX + 1];

	(void)state;
	assert_string_equal(auth_token_kind(ok_admin, strlen(ok_admin)), "admin");
	assert_string_equal(auth_token_kind("vk_agency_abc", 13), "agency");
	assert_string_equal(auth_token_kind(ok_session, strlen(ok_session)), "session");
	/* too short, unknown kind, another case, or a prefix that the length cuts */
	assert_null(auth_token_kind("vk_admin_", 9));
	assert_null(auth_token_kind("vk_citizen_abcdef", 17));
	assert_null(auth_token_kind("VK_ADMIN_abcdef", 15));
	assert_null(auth_token_kind("vk_session_x", 10));
	memset(longest, 'a', sizeof longest);
	memcpy(longest, "vk_admin_", 9);
	assert_string_equal(auth_token_kind(longest, AUTH_TOKEN_MAX - 1), "admin");
	assert_null(auth_token_kind(longest, AUTH_TOKEN_MAX));
}

static void test_subjects_written_and_read(void **state)
{
	static const unsigned char cid[KEYS_CID_BYTES] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa,
		0xbb, 0xcc, 0xdd, 0xee, 0xff};
	char s[AUTH_SUBJECT_MAX], longid[AUTH_ID_MAX + 2];
	auth_subject who;

	(void)state;
	auth_subject_citizen(cid, s);
	assert_string_equal(s, "citizen:00112233445566778899aabbccddeeff");
	assert_int_equal(auth_subject_parse(s, &who), 0);
	assert_int_equal(who.kind, AUTH_CITIZEN);
	assert_memory_equal(who.cid, cid, sizeof cid);
	auth_subject_agency("ag_1", s);
	assert_string_equal(s, "agency:ag_1");
	assert_int_equal(auth_subject_parse(s, &who), 0);
	assert_int_equal(who.kind, AUTH_AGENCY);
	assert_string_equal(who.id, "ag_1");
	auth_subject_officer("of_2", s);
	assert_string_equal(s, "officer:of_2");
	assert_int_equal(auth_subject_parse(s, &who), 0);
	assert_int_equal(who.kind, AUTH_OFFICER);
	assert_string_equal(who.id, "of_2");
	assert_int_equal(auth_subject_parse("admin", &who), 0);
	assert_int_equal(who.kind, AUTH_ADMIN);
	/* no known form: nobody */
	assert_int_equal(auth_subject_parse("administrator", &who), -1);
	assert_int_equal(who.kind, AUTH_NOBODY);
	assert_int_equal(auth_subject_parse("citizen:0011", &who), -1);
	assert_int_equal(auth_subject_parse("citizen:00112233445566778899aabbccddeefg", &who), -1);
	assert_int_equal(auth_subject_parse("officer:", &who), -1);
	assert_int_equal(auth_subject_parse("session:x", &who), -1);
	memset(longid, 'a', sizeof longid - 1);
	longid[sizeof longid - 1] = '\0';
	auth_subject_officer(longid, s);
	assert_int_equal(auth_subject_parse(s, &who), -1);
	longid[AUTH_ID_MAX] = '\0';
	auth_subject_officer(longid, s);
	assert_int_equal(auth_subject_parse(s, &who), 0);
}

static void test_token_checked_by_hash_kind_and_expiry(void **state)
{
	fx *f = *state;
	char tok[AUTH_TOKEN_MAX], id[AUTH_TOKEN_ID_MAX], forged[AUTH_TOKEN_MAX], subject[AUTH_SUBJECT_MAX];
	auth_token t;
	util_err err;

	must(auth_token_new(f->v, "agency", "agency:ag_1", 0, tok, id, &err), &err, "issue");
	assert_int_equal(strncmp(tok, "vk_agency_", 10), 0);
	assert_int_equal(strlen(tok), 10 + 43);
	assert_int_equal(strncmp(id, "tk_", 3), 0);
	assert_int_equal(strlen(id), 19);
	assert_int_equal(auth_token_check(f->v, tok, strlen(tok), &t), 0);
	assert_int_equal(t.who.kind, AUTH_AGENCY);
	assert_string_equal(t.who.id, "ag_1");
	assert_int_equal(t.last_used, 0);
	/* one character changed; the same secret claiming another kind; a prefix of it */
	memcpy(forged, tok, sizeof forged);
	forged[20] = forged[20] == 'A' ? 'B' : 'A';
	assert_int_equal(auth_token_check(f->v, forged, strlen(forged), &t), -1);
	snprintf(forged, sizeof forged, "vk_admin_%s", tok + 10);
	assert_int_equal(auth_token_check(f->v, forged, strlen(forged), &t), -1);
	assert_int_equal(auth_token_check(f->v, tok, strlen(tok) - 1, &t), -1);
	/* stored: the kind and 6 characters of the secret, for a listing; a keyed hash, no secret */
	assert_int_equal(test_sql_int(vault_sql_db(f->v), "SELECT length(prefix) FROM tokens"), 10 + AUTH_TOKEN_PREFIX_CHARS);
	assert_int_equal(test_sql_int(vault_sql_db(f->v), "SELECT length(hash) FROM tokens"), 32);
	/* a row whose subject has no known form names nobody */
	exec_sql(f->v, "UPDATE tokens SET subject = 'agency:'");
	assert_int_equal(auth_token_check(f->v, tok, strlen(tok), &t), -1);
	exec_sql(f->v, "UPDATE tokens SET subject = 'agency:ag_1'");
	/* a row whose kind is not the one the token's form claims */
	exec_sql(f->v, "UPDATE tokens SET kind = 'admin'");
	assert_int_equal(auth_token_check(f->v, tok, strlen(tok), &t), -1);
	exec_sql(f->v, "UPDATE tokens SET kind = 'agency'");
	assert_int_equal(auth_token_check(f->v, tok, strlen(tok), &t), 0);
	/* expired */
	auth_subject_citizen(f->cid, subject);
	must(auth_token_new(f->v, "session", subject, 900, tok, NULL, &err), &err, "session");
	assert_int_equal(auth_token_check(f->v, tok, strlen(tok), &t), 0);
	assert_int_equal(t.who.kind, AUTH_CITIZEN);
	assert_memory_equal(t.who.cid, f->cid, KEYS_CID_BYTES);
	exec_sql(f->v, "UPDATE tokens SET expires_at = 1 WHERE kind = 'session'");
	assert_int_equal(auth_token_check(f->v, tok, strlen(tok), &t), -1);
}

static void test_tokens_revoked_rotated_and_signed_out(void **state)
{
	fx *f = *state;
	char tok[AUTH_TOKEN_MAX], old[AUTH_TOKEN_MAX], id[AUTH_TOKEN_ID_MAX], sess[AUTH_TOKEN_MAX];
	auth_token t;
	util_err err;
	int i;

	must(auth_token_new(f->v, "agency", "agency:ag_1", 0, old, id, &err), &err, "issue");
	/* a rotation with no grace ends the old token now; with one, later */
	must(auth_tokens_rotate(f->v, "agency:ag_1", util_now() + 3600, tok, NULL, &err), &err, "rotate grace");
	assert_int_equal(auth_token_check(f->v, old, strlen(old), &t), 0);
	must(auth_tokens_rotate(f->v, "agency:ag_1", util_now(), tok, id, &err), &err, "rotate");
	assert_int_equal(auth_token_check(f->v, old, strlen(old), &t), -1);
	assert_int_equal(auth_token_check(f->v, tok, strlen(tok), &t), 0);
	/* at most AUTH_TOKENS_PER_AGENCY at once */
	for (i = 1; i < AUTH_TOKENS_PER_AGENCY; i++)
		must(auth_tokens_rotate(f->v, "agency:ag_1", INT64_MAX, old, NULL, &err), &err, "rotate many");
	assert_int_equal(auth_tokens_rotate(f->v, "agency:ag_1", INT64_MAX, old, NULL, &err), -1);
	assert_int_equal(err.code, UTIL_EEXISTS);
	/* revoking by id: only the agency's own, only once */
	assert_int_equal(auth_token_revoke_id(f->v, "agency:ag_2", id, &err), -1);
	assert_int_equal(err.code, UTIL_ENOTFOUND);
	must(auth_token_revoke_id(f->v, "agency:ag_1", id, &err), &err, "revoke id");
	assert_int_equal(auth_token_check(f->v, tok, strlen(tok), &t), -1);
	assert_int_equal(auth_token_revoke_id(f->v, "agency:ag_1", id, &err), -1);
	assert_int_equal(err.code, UTIL_ENOTFOUND);
	/* signing out ends a session, never an agency's token of the same hash's kind */
	must(auth_token_new(f->v, "session", "officer:of_1", 900, sess, NULL, &err), &err, "session");
	assert_int_equal(auth_token_check(f->v, sess, strlen(sess), &t), 0);
	must(auth_session_end(f->v, t.hash, &err), &err, "sign out");
	assert_int_equal(auth_token_check(f->v, sess, strlen(sess), &t), -1);
	must(auth_tokens_revoke(f->v, "agency:ag_1", &err), &err, "revoke all");
	assert_int_equal(test_sql_int(vault_sql_db(f->v), "SELECT count(*) FROM tokens WHERE subject = 'agency:ag_1'"), 0);
}

static void test_admin_token_rotation_ends_the_old_one(void **state)
{
	fx *f = *state;
	char a[AUTH_ADMIN_TOKEN_MAX], b[AUTH_ADMIN_TOKEN_MAX];
	auth_token t;
	util_err err;

	must(auth_admin_token(f->v, a, &err), &err, "admin");
	assert_int_equal(auth_token_check(f->v, a, strlen(a), &t), 0);
	assert_int_equal(t.who.kind, AUTH_ADMIN);
	must(auth_admin_token_rotate(f->v, b, &err), &err, "rotate");
	assert_int_equal(auth_token_check(f->v, a, strlen(a), &t), -1);
	assert_int_equal(auth_token_check(f->v, b, strlen(b), &t), 0);
	assert_int_equal(test_sql_int(vault_sql_db(f->v), "SELECT count(*) FROM audit_entries WHERE action = 'token.rotate'"), 1);
}

static void test_last_use_noted_then_stored(void **state)
{
	fx *f = *state;
	char tok[AUTH_TOKEN_MAX];
	auth_touches *touches = auth_touches_new();
	auth_token_info list[AUTH_TOKENS_PER_AGENCY];
	auth_token t;
	util_err err;
	size_t n;

	assert_non_null(touches);
	must(auth_token_new(f->v, "agency", "agency:ag_1", 0, tok, NULL, &err), &err, "issue");
	assert_int_equal(auth_token_check(f->v, tok, strlen(tok), &t), 0);
	auth_touches_note(touches, &t);
	/* listed with the noted time before it is stored */
	must(auth_tokens_list(f->v, touches, "agency:ag_1", list, &n, &err), &err, "list");
	assert_int_equal(n, 1);
	assert_true(list[0].last_used >= util_now() - 5);
	must(auth_tokens_list(f->v, NULL, "agency:ag_1", list, &n, &err), &err, "list unnoted");
	assert_int_equal(list[0].last_used, 0);
	auth_touches_store(touches, f->v);
	assert_true(test_sql_int(vault_sql_db(f->v), "SELECT last_used FROM tokens") >= util_now() - 5);
	/* a use within AUTH_TOKEN_TOUCH_EVERY of the stored one is not noted again */
	exec_sql(f->v, "UPDATE tokens SET last_used = 7");
	assert_int_equal(auth_token_check(f->v, tok, strlen(tok), &t), 0);
	t.last_used = util_now() - 1;
	auth_touches_note(touches, &t);
	auth_touches_store(touches, f->v);
	assert_int_equal(test_sql_int(vault_sql_db(f->v), "SELECT last_used FROM tokens"), 7);
	auth_touches_free(touches);
}

static struct sockaddr_in addr4(unsigned last)
{
	struct sockaddr_in a = {.sin_family = AF_INET};

	a.sin_addr.s_addr = htonl(0xc0000200u | last); /* 192.0.2.x */
	return a;
}

static void test_lockout_budgets(void **state)
{
	fx *f = *state;
	struct sockaddr_in a1 = addr4(1), a2 = addr4(2);
	auth_lockout_slot s, good;
	int64_t wait = 0;
	int i;

	for (i = 0; i < AUTH_LOCK_FAILURES; i++) {
		auth_lockout_keys(f->v, "citizen:aa", (struct sockaddr *)&a1, &s);
		assert_int_equal(auth_lockout_reserve(f->lockout, &s, &wait), 0);
	}
	auth_lockout_keys(f->v, "citizen:aa", (struct sockaddr *)&a1, &s);
	assert_int_equal(auth_lockout_reserve(f->lockout, &s, &wait), -1);
	assert_true(wait > 0 && wait <= AUTH_LOCK_WINDOW);
	/* another address, or another identity, has its own pair budget */
	auth_lockout_keys(f->v, "citizen:aa", (struct sockaddr *)&a2, &good);
	assert_int_equal(auth_lockout_reserve(f->lockout, &good, &wait), 0);
	auth_lockout_keys(f->v, "citizen:bb", (struct sockaddr *)&a1, &s);
	assert_int_equal(auth_lockout_reserve(f->lockout, &s, &wait), 0);
	/* a slot given back (a storage error) is no failure: it can be taken again */
	auth_lockout_release(f->lockout, &s);
	for (i = 0; i < AUTH_LOCK_FAILURES; i++) {
		auth_lockout_keys(f->v, "citizen:bb", (struct sockaddr *)&a1, &s);
		assert_int_equal(auth_lockout_reserve(f->lockout, &s, &wait), 0);
	}
	/* a registrar's reset empties the identity's budgets */
	auth_lockout_clear(f->lockout, f->v, "citizen:aa");
	auth_lockout_keys(f->v, "citizen:aa", (struct sockaddr *)&a1, &s);
	assert_int_equal(auth_lockout_reserve(f->lockout, &s, &wait), 0);
}

static void test_lockout_known_pair_keeps_its_own_budget(void **state)
{
	fx *f = *state;
	struct sockaddr_in home = addr4(9);
	auth_lockout_slot s;
	int64_t wait;
	unsigned i;

	/* the citizen logs in from home once */
	auth_lockout_keys(f->v, "citizen:cc", (struct sockaddr *)&home, &s);
	assert_int_equal(auth_lockout_reserve(f->lockout, &s, &wait), 0);
	auth_lockout_success(f->lockout, &s);
	/* someone spends the identity's day from many addresses, a few codes from each */
	for (i = 0; i < AUTH_LOCK_IDENT_DAY; i++) {
		struct sockaddr_in a = addr4(100 + i / 4);

		a.sin_addr.s_addr = htonl(0x0a000000u | (i / 4));
		auth_lockout_keys(f->v, "citizen:cc", (struct sockaddr *)&a, &s);
		assert_int_equal(auth_lockout_reserve(f->lockout, &s, &wait), 0);
	}
	auth_lockout_keys(f->v, "citizen:cc", NULL, &s);
	assert_int_equal(auth_lockout_reserve(f->lockout, &s, &wait), -1);
	/* home still gets its codes checked */
	auth_lockout_keys(f->v, "citizen:cc", (struct sockaddr *)&home, &s);
	assert_int_equal(auth_lockout_reserve(f->lockout, &s, &wait), 0);
}

static void test_totp_citizen_good_once_then_wrong_then_limited(void **state)
{
	fx *f = *state;
	struct sockaddr_in a1 = addr4(1);
	auth_attempt a = {.v = f->v, .lockout = f->lockout, .addr = (struct sockaddr *)&a1};
	char code[7], bad[7];
	int i;

	code_at(f->totp, sizeof f->totp, 0, code);
	assert_int_equal(auth_totp_citizen(&a, f->cid, code), AUTH_GOOD);
	/* the same step again is a replay */
	assert_int_equal(auth_totp_citizen(&a, f->cid, code), AUTH_WRONG);
	memcpy(bad, code, sizeof bad);
	bad[0] = bad[0] == '9' ? '0' : (char)(bad[0] + 1);
	assert_int_equal(auth_totp_citizen(&a, f->cid, "12345"), AUTH_WRONG);
	assert_int_equal(auth_totp_citizen(&a, f->cid, "abcdef"), AUTH_WRONG);
	for (i = 3; i < AUTH_LOCK_FAILURES; i++)
		assert_int_equal(auth_totp_citizen(&a, f->cid, bad), AUTH_WRONG);
	/* the budget is spent: even the next good code is not looked at */
	code_at(f->totp, sizeof f->totp, 1, code);
	assert_int_equal(auth_totp_citizen(&a, f->cid, code), AUTH_LIMITED);
	assert_true(a.retry_after > 0);
	/* a reset of the authenticator empties it */
	auth_totp_clear(f->lockout, f->v, f->cid);
	assert_int_equal(auth_totp_citizen(&a, f->cid, code), AUTH_GOOD);
}

static void test_totp_storage_failure_gives_the_slot_back(void **state)
{
	fx *f = *state;
	struct sockaddr_in a1 = addr4(1);
	auth_attempt a = {.v = f->v, .lockout = f->lockout, .addr = (struct sockaddr *)&a1};
	char code[7];
	int i;

	/* the step cannot be spent: no attempt is a failure, however many there are */
	code_at(f->totp, sizeof f->totp, 0, code);
	exec_sql(f->v, "PRAGMA query_only = 1");
	for (i = 0; i <= AUTH_LOCK_FAILURES; i++) {
		assert_int_equal(auth_totp_citizen(&a, f->cid, code), AUTH_UNAVAILABLE);
		assert_int_equal(a.err.code, UTIL_EIO);
	}
	exec_sql(f->v, "PRAGMA query_only = 0");
	/* nothing was spent or counted: the same code is good now */
	assert_int_equal(auth_totp_citizen(&a, f->cid, code), AUTH_GOOD);
}

static void test_totp_unknown_identity_costs_budget_only(void **state)
{
	fx *f = *state;
	auth_attempt a = {.v = f->v, .lockout = f->lockout};
	int i;

	for (i = 0; i < AUTH_LOCK_FAILURES; i++)
		assert_int_equal(auth_totp_unknown(&a, "nid:001090099999", "123456"), AUTH_WRONG);
	assert_int_equal(auth_totp_unknown(&a, "nid:001090099999", "123456"), AUTH_LIMITED);
	assert_int_equal(test_sql_int(vault_sql_db(f->v), "SELECT count(*) FROM audit_entries"), 0);
}

static void test_officer_created_checked_and_deactivated(void **state)
{
	fx *f = *state;
	unsigned char secret[VAULT_TOTP_SECRET_BYTES];
	char id[AUTH_ID_MAX + 1], subject[AUTH_SUBJECT_MAX], tok[AUTH_TOKEN_MAX], code[7], uri[256];
	auth_attempt a = {.v = f->v, .lockout = f->lockout};
	auth_token t;
	util_err err;

	must(auth_officer_create(f->v, "Trần Thị Bình", id, secret, &err), &err, "officer");
	assert_int_equal(strncmp(id, "of_", 3), 0);
	assert_int_equal(auth_officer_active(f->v, id), 1);
	assert_int_equal(auth_officer_active(f->v, "of_nobody"), 0);
	/* the secret is stored sealed: its bytes appear nowhere in the row */
	assert_int_equal(test_sql_int(vault_sql_db(f->v), "SELECT length(totp) FROM officers"),
	    VAULT_TOTP_SECRET_BYTES + VAULT_BOX_OVERHEAD);
	code_at(secret, sizeof secret, 0, code);
	assert_int_equal(auth_totp_officer(&a, "of_nobody", code), AUTH_WRONG);
	assert_int_equal(auth_totp_officer(&a, id, code), AUTH_GOOD);
	assert_int_equal(auth_totp_officer(&a, id, code), AUTH_WRONG);
	auth_totp_uri(id, secret, sizeof secret, uri);
	assert_non_null(strstr(uri, "otpauth://totp/vaultd:of_"));
	/* deactivated: the sessions end, and reactivation does not bring them back */
	snprintf(subject, sizeof subject, "officer:%s", id);
	must(auth_token_new(f->v, "session", subject, 900, tok, NULL, &err), &err, "session");
	must(auth_officer_set_active(f->v, id, 0, &err), &err, "deactivate");
	assert_int_equal(auth_officer_active(f->v, id), 0);
	assert_int_equal(auth_token_check(f->v, tok, strlen(tok), &t), -1);
	must(auth_officer_set_active(f->v, id, 1, &err), &err, "reactivate");
	assert_int_equal(auth_officer_active(f->v, id), 1);
	assert_int_equal(auth_token_check(f->v, tok, strlen(tok), &t), -1);
	assert_int_equal(auth_officer_set_active(f->v, "of_nobody", 0, &err), -1);
	assert_int_equal(err.code, UTIL_ENOTFOUND);
	sodium_memzero(secret, sizeof secret);
}

static void test_pseudonyms_remembered_found_and_forgotten(void **state)
{
	fx *f = *state;
	static const char p1[] = "00112233445566778899aabbccddeeff", p2[] = "ffeeddccbbaa99887766554433221100";
	unsigned char cid[KEYS_CID_BYTES];
	util_err err;

	must(auth_pseudonym_remember(f->v, "ag_reg", f->cid, p1, 1, &err), &err, "enrolled");
	must(auth_pseudonym_remember(f->v, "ag_other", f->cid, p2, 0, &err), &err, "found");
	/* a pseudonym already known keeps what it was */
	must(auth_pseudonym_remember(f->v, "ag_reg", f->cid, p1, 0, &err), &err, "again");
	assert_int_equal(auth_pseudonym_find(f->v, "ag_reg", p1, 1, cid), 0);
	assert_memory_equal(cid, f->cid, sizeof cid);
	assert_int_equal(auth_pseudonym_find(f->v, "ag_other", p2, 0, cid), 0);
	assert_int_equal(auth_pseudonym_find(f->v, "ag_other", p2, 1, cid), -1); /* found, not enrolled */
	assert_int_equal(auth_pseudonym_find(f->v, "ag_other", p1, 0, cid), -1); /* another agency's */
	assert_int_equal(auth_pseudonym_find(f->v, "ag_reg", "00112233", 0, cid), -1);
	assert_int_equal(auth_pseudonym_remember(f->v, "ag_reg", f->cid, "not hex", 1, &err), -1);
	must(auth_pseudonyms_forget(f->v, f->cid, &err), &err, "forget");
	assert_int_equal(auth_pseudonym_find(f->v, "ag_reg", p1, 1, cid), -1);
	assert_int_equal(auth_pseudonym_find(f->v, "ag_other", p2, 0, cid), -1);
}

/*
 * A step-up's right code of a step already spent is AUTH_REUSED with the seconds until the
 * next code, and costs no budget however often it comes; at a login the same code is a wrong
 * one, counted, so that a login never tells a known identity by it.
 */
static void test_totp_reused_at_a_step_up_is_told_not_counted(void **state)
{
	fx *f = *state;
	struct sockaddr_in a1 = addr4(1);
	auth_attempt up = {.v = f->v, .lockout = f->lockout, .addr = (struct sockaddr *)&a1, .step_up = 1};
	auth_attempt login = {.v = f->v, .lockout = f->lockout, .addr = (struct sockaddr *)&a1};
	int64_t now;
	char code[7], older[7], next[7];
	int i;

	do { /* the step the code is of: none ended while it was made */
		now = (int64_t)time(NULL);
		code_at(f->totp, sizeof f->totp, 0, code);
		code_at(f->totp, sizeof f->totp, -1, older);
	} while ((int64_t)time(NULL) / 30 != now / 30);
	assert_int_equal(auth_totp_citizen(&login, f->cid, code), AUTH_GOOD);
	/* more times than any budget holds: each one told, none counted */
	for (i = 0; i < AUTH_LOCK_FAILURES + 2; i++) {
		up.retry_after = 0;
		assert_int_equal(auth_totp_citizen(&up, f->cid, code), AUTH_REUSED);
		assert_in_range(up.retry_after, 1, 30);
		/* the step after the login's, give or take the second that may pass meanwhile */
		assert_in_range(auth_totp_wait(now / 30, (int64_t)time(NULL)) - up.retry_after + 1, 0, 2);
	}
	/* an older code of the window is spent too (a later one was used) */
	assert_int_equal(auth_totp_citizen(&up, f->cid, older), AUTH_REUSED);
	/* the next code is good: nothing was counted against it */
	code_at(f->totp, sizeof f->totp, 1, next);
	assert_int_equal(auth_totp_citizen(&up, f->cid, next), AUTH_GOOD);
	/* at a login, a spent code is a wrong one and counts: the budget runs out */
	for (i = 0; i < AUTH_LOCK_FAILURES; i++)
		assert_int_equal(auth_totp_citizen(&login, f->cid, next), AUTH_WRONG);
	assert_int_equal(auth_totp_citizen(&login, f->cid, next), AUTH_LIMITED);
	/* the wait: to the start of the step after the last one spent, at least a second */
	assert_int_equal(auth_totp_wait(100, 3000), 30);
	assert_int_equal(auth_totp_wait(100, 3029), 1);
	assert_int_equal(auth_totp_wait(100, 3030), 1);
	assert_int_equal(auth_totp_wait(100, 3100), 1);
	assert_int_equal(auth_totp_wait(101, 3001), 59); /* a code of the step ahead was spent */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_forms),
		cmocka_unit_test(test_subjects_written_and_read),
		cmocka_unit_test_setup_teardown(test_token_checked_by_hash_kind_and_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tokens_revoked_rotated_and_signed_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_admin_token_rotation_ends_the_old_one, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_use_noted_then_stored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lockout_budgets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lockout_known_pair_keeps_its_own_budget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_totp_citizen_good_once_then_wrong_then_limited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_totp_storage_failure_gives_the_slot_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_totp_reused_at_a_step_up_is_told_not_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_totp_unknown_identity_costs_budget_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_officer_created_checked_and_deactivated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pseudonyms_remembered_found_and_forgotten, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
