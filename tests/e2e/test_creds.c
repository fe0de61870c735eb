/* test_creds.c: credentials that end: agency tokens rotated, listed and revoked; the admin token; officers; signing out; a registrar's search. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../vault/sqlite.h"

static e2e_server S;
static char *auditor;        /* an officer's session, to read the audit log */
static unsigned serial;

static const char *const REG[] = {"registrar"}, *const CONS[] = {"consumer"};

/* A fresh, well-formed national ID: province 001, born 1990, a serial of our own. */
static void fresh_nid(char out[13])
{
	snprintf(out, 13, "001090%06u", 200000 + serial++);
}

/* A new agency with these roles: its token and (in *id) its id, both malloc'd. */
static char *agency(const char *const *roles, char **id)
{
	char name[64];
	e2e_resp r;
	char *tok;

	snprintf(name, sizeof name, "Creds Agency %u", serial++);
	E2E_CALL(&S, 201, "POST", "/v1/agencies", S.admin_token, e2e_body_agency(name, roles, 1), &r);
	tok = e2e_jdup(r.json, "token");
	*id = e2e_jdup(r.json, "id");
	e2e_resp_free(&r);
	return tok;
}

static long status_of(const char *method, const char *path, const char *token)
{
	e2e_resp r;
	long st = e2e_req(&S, method, path, token, NULL, &r);

	e2e_resp_free(&r);
	return st;
}

static void tokens_path(char *out, size_t n, const char *agency_id)
{
	snprintf(out, n, "/v1/agencies/%s/tokens", agency_id);
}

/* POST /v1/agencies/{id}/tokens with this grace (-1: none given); the new token, malloc'd; *tid its id. */
static char *rotate(const char *agency_id, const char *token, int grace, char **tid)
{
	char path[128];
	const char *prefix;
	e2e_resp r;
	char *tok;

	tokens_path(path, sizeof path, agency_id);
	E2E_CALL(&S, 201, "POST", path, token, grace < 0 ? json_object() : json_pack("{s:i}", "grace_seconds", grace), &r);
	tok = e2e_jdup(r.json, "token");
	prefix = e2e_jstr(r.json, "prefix");
	assert_non_null(tok);
	assert_non_null(prefix);
	assert_true(strlen(prefix) < strlen(tok) && strncmp(tok, prefix, strlen(prefix)) == 0);
	if (tid)
		*tid = e2e_jdup(r.json, "id");
	e2e_resp_free(&r);
	return tok;
}

/* The audit entries of this action (and agency, if not NULL), as the auditor reads them. */
static void audit_of(const char *action, const char *agency_id, e2e_resp *r)
{
	char q[200];

	if (agency_id)
		snprintf(q, sizeof q, "/v1/audit?action=%s&agency_id=%s", action, agency_id);
	else
		snprintf(q, sizeof q, "/v1/audit?action=%s", action);
	E2E_CALL(&S, 200, "GET", q, auditor, NULL, r);
}

static char *officer_login(const char *id, const char *uri, int64_t *last)
{
	char code[7];
	e2e_resp r;
	char *tok;

	e2e_totp_fresh(uri, last, code);
	E2E_CALL(&S, 201, "POST", "/v1/sessions", NULL, e2e_body_officer_login(id, code), &r);
	tok = e2e_jdup(r.json, "token");
	e2e_resp_free(&r);
	return tok;
}

/* The listed token whose id is (want 1) or is not (want 0) tid. */
static json_t *listed(json_t *list, const char *tid, int want)
{
	json_t *t;
	size_t i;

	json_array_foreach(list, i, t)
		if ((strcmp(e2e_or_null(e2e_jstr(t, "id")), tid) == 0) == want)
			return t;
	fail_msg("no listed token %s %s", want ? "is" : "is other than", tid);
	return NULL;
}

/* Grace 0 (the default): the token in use ends at once and the new one works; the entry names no secret. */
static void test_rotate_without_grace_ends_the_old_token_now(void **state)
{
	char *id, *old = agency(CONS, &id), *tok, *tid, path[128];
	e2e_resp r;

	(void)state;
	tokens_path(path, sizeof path, id);
	assert_int_equal(status_of("GET", path, old), 200);
	tok = rotate(id, old, -1, &tid);
	assert_str_ne(tok, old);
	assert_int_equal(status_of("GET", path, old), 401);
	assert_int_equal(status_of("GET", "/v1/consent-requests/cr_0000000000000000", old), 401);
	assert_int_equal(status_of("GET", path, tok), 200);
	assert_int_equal(status_of("GET", "/v1/consent-requests/cr_0000000000000000", tok), 404); /* known caller */
	/* audited, as the agency's act, naming the new token's id and never a token */
	audit_of("token.issue", id, &r);
	assert_int_equal(json_array_size(e2e_jget(r.json, "entries")), 1);
	snprintf(path, sizeof path, "agency:%s", id);
	assert_str_eq(e2e_jstr(r.json, "entries/0/actor"), path);
	assert_non_null(strstr(e2e_or_null(e2e_jstr(r.json, "entries/0/note")), tid));
	assert_null(strstr(r.body, tok + 10));
	assert_null(strstr(r.body, old + 10));
	e2e_resp_free(&r);
	free(id), free(old), free(tok), free(tid);
}

/* With a grace, the old token keeps working until the grace ends, then is refused. */
static void test_rotate_with_grace_keeps_the_old_token_until_then(void **state)
{
	char *id, *old = agency(CONS, &id), *tok, path[128];
	e2e_resp r;

	(void)state;
	tokens_path(path, sizeof path, id);
	tok = rotate(id, S.admin_token, 4, NULL); /* the operator rotates it for the agency */
	assert_int_equal(status_of("GET", path, old), 200);
	assert_int_equal(status_of("GET", path, tok), 200);
	sleep(5); /* past the grace, whatever the second the rotation fell in */
	assert_int_equal(status_of("GET", path, old), 401);
	assert_int_equal(status_of("GET", path, tok), 200);
	/* a grace out of bounds, or not a number, is refused before anything changes */
	E2E_CALL(&S, 400, "POST", path, tok, json_pack("{s:i}", "grace_seconds", 86401), &r);
	E2E_PROBLEM(&r, 400, "invalid_input");
	e2e_resp_free(&r);
	E2E_CALL(&S, 400, "POST", path, tok, json_pack("{s:i}", "grace_seconds", -1), &r);
	e2e_resp_free(&r);
	E2E_CALL(&S, 400, "POST", path, tok, json_pack("{s:s}", "grace_seconds", "10"), &r);
	e2e_resp_free(&r);
	assert_int_equal(status_of("GET", path, tok), 200);
	free(id), free(old), free(tok);
}

/* The list: id, prefix, created, last used, expiry of each live token; never a secret or a hash. */
static void test_list_shows_no_secret(void **state)
{
	char *id, *old = agency(CONS, &id), *tok, *tid, path[128];
	json_t *list, *t;
	e2e_resp r;
	size_t i;

	(void)state;
	tokens_path(path, sizeof path, id);
	tok = rotate(id, old, 3600, &tid);
	E2E_CALL(&S, 200, "GET", path, tok, NULL, &r);
	list = e2e_jget(r.json, "tokens");
	assert_int_equal(json_array_size(list), 2);
	json_array_foreach(list, i, t) {
		const char *k;
		json_t *val;

		json_object_foreach(t, k, val)
			if (strcmp(k, "id") != 0 && strcmp(k, "prefix") != 0 && strcmp(k, "created_at") != 0 &&
			    strcmp(k, "last_used_at") != 0 && strcmp(k, "expires_at") != 0)
				fail_msg("a listed token has the member %s", k);
		assert_int_equal(strncmp(e2e_or_null(e2e_jstr(t, "id")), "tk_", 3), 0);
		assert_true(strlen(e2e_or_null(e2e_jstr(t, "prefix"))) <= 16);
	}
	/* the new token, in use right now, shows its last use and no expiry; the old one ends within the hour */
	t = listed(list, tid, 1);
	assert_non_null(e2e_jstr(t, "last_used_at"));
	assert_true(json_is_null(e2e_jget(t, "expires_at")));
	assert_int_equal(strncmp(tok, e2e_jstr(t, "prefix"), strlen(e2e_jstr(t, "prefix"))), 0);
	t = listed(list, tid, 0);
	assert_non_null(e2e_jstr(t, "expires_at"));
	assert_non_null(e2e_jstr(t, "last_used_at")); /* it made the rotation */
	assert_int_equal(strncmp(old, e2e_jstr(t, "prefix"), strlen(e2e_jstr(t, "prefix"))), 0);
	assert_null(strstr(r.body, tok + 16)); /* no more of either secret than its prefix */
	assert_null(strstr(r.body, old + 16));
	assert_null(strstr(r.body, "hash"));
	e2e_resp_free(&r);
	free(id), free(old), free(tok), free(tid);
}

/* The vault beside a running (or stopped) vaultd of data, opened with its key file. */
static vault *open_beside(const char *data)
{
	char *key = test_path(data, "master.key");
	vault_unlock u = {0};
	vault *v = NULL;
	util_err err;

	u.key_file = key;
	if (vault_open(&v, data, &u, &err) != 0)
		fail_msg("open the vault beside vaultd: %s", err.msg);
	free(key);
	return v;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * A request never writes a token's last use: while another connection holds the vault's write
 * lock (as the retention sweep or an import would), a request whose token was never used
 * answers at once, not after the busy timeout (10 s), and its listing already shows the use;
 * the use is stored by vaultd itself, at the latest when it stops.
 */
static void test_a_request_answers_while_the_vault_is_locked(void **state)
{
	e2e_server L = {0};
	char name[64], path[128], *tok, *id;
	sqlite3_stmt *s;
	e2e_resp r;
	double t0, took;
	vault *v;
	int64_t stored = -1;

	(void)state;
	assert_int_equal(e2e_start(&L), 0);
	snprintf(name, sizeof name, "Locked Agency %u", serial++);
	E2E_CALL(&L, 201, "POST", "/v1/agencies", L.admin_token, e2e_body_agency(name, CONS, 1), &r);
	tok = e2e_jdup(r.json, "token");
	id = e2e_jdup(r.json, "id");
	e2e_resp_free(&r);
	tokens_path(path, sizeof path, id);
	v = open_beside(L.data);
	assert_int_equal(sqlite3_exec(vault_sql_db(v), "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	t0 = mono_s();
	E2E_CALL(&L, 200, "GET", path, tok, NULL, &r);
	took = mono_s() - t0;
	assert_int_equal(json_array_size(e2e_jget(r.json, "tokens")), 1);
	assert_non_null(e2e_jstr(json_array_get(e2e_jget(r.json, "tokens"), 0), "last_used_at"));
	e2e_resp_free(&r);
	assert_int_equal(sqlite3_exec(vault_sql_db(v), "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	vault_close(v);
	if (took > 5.0)
		fail_msg("the request took %.1f s behind the write lock", took);
	/* stopped, vaultd has stored the last use it noted */
	assert_int_equal(e2e_halt(&L), 0);
	v = open_beside(L.data);
	assert_int_equal(sqlite3_prepare_v2(vault_sql_db(v), "SELECT last_used FROM tokens WHERE subject = 'agency:' || ?1",
	                     -1, &s, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		stored = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	vault_close(v);
	assert_true(stored > 0);
	e2e_stop(&L);
	free(tok), free(id);
}

/* Revoking one token ends it at once and leaves the others; an agency reaches only its own tokens. */
static void test_revoke_one_token(void **state)
{
	char *id, *old = agency(CONS, &id), *tok, *tid, *old_id = NULL, path[200], *other_id, *other = agency(CONS, &other_id);
	e2e_resp r;

	(void)state;
	tokens_path(path, sizeof path, id);
	tok = rotate(id, old, 3600, &tid);
	E2E_CALL(&S, 200, "GET", path, tok, NULL, &r);
	old_id = e2e_jdup(listed(e2e_jget(r.json, "tokens"), tid, 0), "id");
	e2e_resp_free(&r);
	assert_non_null(old_id);
	/* another agency cannot see, rotate or revoke these tokens: to it they do not exist */
	assert_int_equal(status_of("GET", path, other), 404);
	snprintf(path, sizeof path, "/v1/agencies/%s/tokens/%s", id, old_id);
	assert_int_equal(status_of("DELETE", path, other), 404);
	E2E_CALL(&S, 200, "DELETE", path, tok, NULL, &r);
	assert_str_eq(e2e_jstr(r.json, "status"), "revoked");
	e2e_resp_free(&r);
	tokens_path(path, sizeof path, id);
	assert_int_equal(status_of("GET", path, old), 401);
	assert_int_equal(status_of("GET", path, tok), 200);
	snprintf(path, sizeof path, "/v1/agencies/%s/tokens/%s", id, old_id);
	E2E_CALL(&S, 404, "DELETE", path, S.admin_token, NULL, &r); /* already gone */
	E2E_PROBLEM(&r, 404, "not_found");
	e2e_resp_free(&r);
	audit_of("token.revoke", id, &r);
	assert_int_equal(json_array_size(e2e_jget(r.json, "entries")), 1);
	assert_str_eq(e2e_jstr(r.json, "entries/0/note"), old_id);
	e2e_resp_free(&r);
	free(id), free(old), free(tok), free(tid), free(old_id), free(other), free(other_id);
}

/* `vaultctl admin-token rotate`, while vaultd runs: the old admin token is refused, the new one accepted. */
static void test_admin_token_rotate(void **state)
{
	char *argv[] = {S.vaultctl, "admin-token", "rotate", "--data", S.data, NULL};
	char *out = NULL, *err = NULL, body_name[64];
	const char *tok;
	json_t *o;
	e2e_resp r;
	static const char *const roles[] = {"consumer"};

	(void)state;
	assert_int_equal(test_run(argv, NULL, &out, &err), 0);
	o = json_loads(out, 0, NULL);
	tok = json_string_value(json_object_get(o, "admin_token"));
	assert_non_null(tok);
	assert_int_equal(strncmp(tok, "vk_admin_", 9), 0);
	assert_str_ne(tok, S.admin_token);
	snprintf(body_name, sizeof body_name, "After Rotation %u", serial++);
	E2E_CALL(&S, 401, "POST", "/v1/agencies", S.admin_token, e2e_body_agency(body_name, roles, 1), &r);
	E2E_PROBLEM(&r, 401, "unauthorized");
	e2e_resp_free(&r);
	E2E_CALL(&S, 201, "POST", "/v1/agencies", tok, e2e_body_agency(body_name, roles, 1), &r);
	e2e_resp_free(&r);
	snprintf(S.admin_token, sizeof S.admin_token, "%s", tok);
	json_decref(o);
	free(out), free(err);
	/* audited, without the token */
	audit_of("token.rotate", NULL, &r);
	assert_int_equal(json_array_size(e2e_jget(r.json, "entries")), 1);
	assert_str_eq(e2e_jstr(r.json, "entries/0/actor"), "operator");
	assert_null(strstr(r.body, S.admin_token + 9));
	e2e_resp_free(&r);
	/* anything but "rotate" is a usage error */
	argv[2] = "show";
	assert_int_equal(test_run(argv, NULL, NULL, NULL), 2);
}

/*
 * A deactivated officer's sessions end, and a login with a good code gets the answer a wrong
 * code gets; reactivated, the officer signs in again.
 */
static void test_officer_deactivate_and_reactivate(void **state)
{
	char *id, *uri, *sess, path[128], code[7];
	int64_t last = 0;
	e2e_resp r, wrong;

	(void)state;
	E2E_CALL(&S, 201, "POST", "/v1/officers", S.admin_token, e2e_body_officer("Creds Officer"), &r);
	id = e2e_jdup(r.json, "id");
	uri = e2e_jdup(r.json, "totp_uri");
	e2e_resp_free(&r);
	sess = officer_login(id, uri, &last);
	assert_int_equal(status_of("GET", "/v1/audit/verify", sess), 200);
	snprintf(path, sizeof path, "/v1/officers/%s/deactivate", id);
	E2E_CALL(&S, 200, "POST", path, S.admin_token, NULL, &r);
	assert_str_eq(e2e_jstr(r.json, "status"), "deactivated");
	e2e_resp_free(&r);
	assert_int_equal(status_of("GET", "/v1/audit/verify", sess), 401);
	e2e_totp_fresh(uri, &last, code);
	E2E_CALL(&S, 401, "POST", "/v1/sessions", NULL, e2e_body_officer_login(id, code), &r);
	E2E_CALL(&S, 401, "POST", "/v1/sessions", NULL, e2e_body_officer_login(id, "000000"), &wrong);
	E2E_PROBLEM(&r, 401, "invalid_totp");
	assert_str_eq(e2e_jstr(r.json, "detail"), e2e_jstr(wrong.json, "detail"));
	e2e_resp_free(&r);
	e2e_resp_free(&wrong);
	snprintf(path, sizeof path, "/v1/officers/%s/reactivate", id);
	E2E_CALL(&S, 200, "POST", path, S.admin_token, NULL, &r);
	assert_str_eq(e2e_jstr(r.json, "status"), "active");
	e2e_resp_free(&r);
	free(sess);
	sess = officer_login(id, uri, &last);
	assert_int_equal(status_of("GET", "/v1/audit/verify", sess), 200);
	assert_int_equal(status_of("POST", "/v1/officers/of_0000000000000000/deactivate", S.admin_token), 404);
	audit_of("officer.deactivate", NULL, &r);
	assert_true(json_array_size(e2e_jget(r.json, "entries")) >= 1);
	assert_str_eq(e2e_jstr(r.json, "entries/0/note"), id);
	e2e_resp_free(&r);
	free(id), free(uri), free(sess);
}

/* DELETE /v1/sessions/current ends the session at once, for a citizen and for an officer. */
static void test_sign_out(void **state)
{
	char *reg_id, *reg = agency(REG, &reg_id), nid[13], code[7], *uri, *sess, *other;
	int64_t last = 0;
	e2e_resp r;

	(void)state;
	fresh_nid(nid);
	E2E_CALL(&S, 201, "POST", "/v1/citizens", reg, e2e_body_citizen(nid, json_pack("{s:s}", "full_name", "Lê Văn Ra")),
	    &r);
	uri = e2e_jdup(r.json, "totp_uri");
	e2e_resp_free(&r);
	e2e_totp_fresh(uri, &last, code);
	E2E_CALL(&S, 201, "POST", "/v1/sessions", NULL, e2e_body_citizen_login(nid, code), &r);
	sess = e2e_jdup(r.json, "token");
	e2e_resp_free(&r);
	e2e_totp_fresh(uri, &last, code);
	E2E_CALL(&S, 201, "POST", "/v1/sessions", NULL, e2e_body_citizen_login(nid, code), &r);
	other = e2e_jdup(r.json, "token");
	e2e_resp_free(&r);
	assert_int_equal(status_of("GET", "/v1/me", sess), 200);
	E2E_CALL(&S, 200, "DELETE", "/v1/sessions/current", sess, NULL, &r);
	assert_str_eq(e2e_jstr(r.json, "status"), "signed_out");
	e2e_resp_free(&r);
	assert_int_equal(status_of("GET", "/v1/me", sess), 401);
	assert_int_equal(status_of("DELETE", "/v1/sessions/current", sess), 401);
	assert_int_equal(status_of("GET", "/v1/me", other), 200); /* only that session */
	/* the officer's own session likewise; the auditor's too */
	assert_int_equal(status_of("DELETE", "/v1/sessions/current", S.admin_token), 403);
	assert_int_equal(status_of("DELETE", "/v1/sessions/current", reg), 403);
	{
		char *auditor_was = auditor;

		assert_int_equal(status_of("DELETE", "/v1/sessions/current", auditor), 200);
		assert_int_equal(status_of("GET", "/v1/audit/verify", auditor_was), 401);
	}
	free(reg), free(reg_id), free(uri), free(sess), free(other);
}

/*
 * A citizen enrolled by `vaultctl import`: another registrar finds them by national ID (in the
 * body), rectifies the record and resets the authenticator; the citizen sees the reset in
 * their access log. Erasure stays with whoever enrolled them.
 */
static void test_registrar_finds_an_imported_citizen(void **state)
{
	char nid[13], line[256], *in = test_path(S.dir, "creds.jsonl"), *enr = test_path(S.dir, "creds-enrol.jsonl");
	char *argv[] = {S.vaultctl, "import", in, "--enrolments", enr, "--data", S.data, NULL};
	char *reg_id, *reg = agency(REG, &reg_id), *uri, *new_uri, *cid, *sess, path[160], code[7], unknown[13];
	unsigned char *text;
	int64_t last = 0, last_new = 0;
	json_t *o, *entries, *e;
	size_t n, i;
	int reset_seen = 0, search_seen = 0;
	e2e_resp r;

	(void)state;
	fresh_nid(nid);
	snprintf(line, sizeof line, "{\"national_id\":\"%s\",\"fields\":{\"full_name\":\"Trần Thị Nhập\"}}\n", nid);
	test_write_file(in, line, strlen(line));
	assert_int_equal(test_run(argv, NULL, NULL, NULL), 0);
	text = test_read_file(enr, &n);
	o = json_loadb((const char *)text, n, JSON_DISABLE_EOF_CHECK, NULL);
	uri = e2e_jdup(o, "totp_uri");
	json_decref(o);
	free(text);
	assert_non_null(uri);
	/* the imported citizen can sign in */
	e2e_totp_fresh(uri, &last, code);
	E2E_CALL(&S, 201, "POST", "/v1/sessions", NULL, e2e_body_citizen_login(nid, code), &r);
	e2e_resp_free(&r);
	/* the registrar finds them by the ID in the body */
	E2E_CALL(&S, 200, "POST", "/v1/citizens/search", reg, json_pack("{s:s}", "national_id", nid), &r);
	cid = e2e_jdup(r.json, "citizen_id");
	e2e_resp_free(&r);
	assert_non_null(cid);
	snprintf(path, sizeof path, "/v1/citizens/%s", cid);
	E2E_CALL(&S, 200, "PATCH", path, reg, e2e_body_rectify(json_pack("{s:s}", "full_name", "Trần Thị Sửa")), &r);
	e2e_resp_free(&r);
	snprintf(path, sizeof path, "/v1/citizens/%s/totp", cid);
	E2E_CALL(&S, 201, "POST", path, reg, NULL, &r);
	new_uri = e2e_jdup(r.json, "totp_uri");
	e2e_resp_free(&r);
	/* the old authenticator no longer signs in; the new one does */
	e2e_totp_fresh(uri, &last, code);
	E2E_CALL(&S, 401, "POST", "/v1/sessions", NULL, e2e_body_citizen_login(nid, code), &r);
	e2e_resp_free(&r);
	e2e_totp_fresh(new_uri, &last_new, code);
	E2E_CALL(&S, 201, "POST", "/v1/sessions", NULL, e2e_body_citizen_login(nid, code), &r);
	sess = e2e_jdup(r.json, "token");
	e2e_resp_free(&r);
	E2E_CALL(&S, 200, "GET", "/v1/me/access-log", sess, NULL, &r);
	entries = e2e_jget(r.json, "entries");
	json_array_foreach(entries, i, e) {
		const char *action = e2e_jstr(e, "action");

		if (action && strcmp(action, "totp.reset") == 0 && e2e_or_null(e2e_jstr(e, "agency")) &&
		    strcmp(e2e_jstr(e, "agency"), reg_id) == 0)
			reset_seen = 1;
		if (action && strcmp(action, "record.search") == 0)
			search_seen = 1;
	}
	assert_true(reset_seen);
	assert_true(search_seen);
	assert_null(strstr(r.body, nid));
	e2e_resp_free(&r);
	/* erasure is not the finder's: only the registrar that enrolled a citizen erases them */
	snprintf(path, sizeof path, "/v1/citizens/%s", cid);
	E2E_CALL(&S, 404, "DELETE", path, reg, NULL, &r);
	e2e_resp_free(&r);
	/* an ID nobody enrolled: 404, audited without a citizen; a malformed one: 400 */
	fresh_nid(unknown);
	E2E_CALL(&S, 404, "POST", "/v1/citizens/search", reg, json_pack("{s:s}", "national_id", unknown), &r);
	E2E_PROBLEM(&r, 404, "not_found");
	e2e_resp_free(&r);
	E2E_CALL(&S, 400, "POST", "/v1/citizens/search", reg, json_pack("{s:s}", "national_id", "12345"), &r);
	E2E_PROBLEM(&r, 400, "invalid_input");
	e2e_resp_free(&r);
	audit_of("record.search", reg_id, &r);
	assert_int_equal(json_array_size(e2e_jget(r.json, "entries")), 2);
	assert_null(strstr(r.body, nid));
	assert_null(strstr(r.body, unknown));
	e2e_resp_free(&r);
	free(in), free(enr), free(reg), free(reg_id), free(uri), free(new_uri), free(cid), free(sess);
}

static int setup(void **state)
{
	e2e_resp r;
	char *id, *uri;
	int64_t last = 0;

	(void)state;
	if (vault_init() != 0) /* for open_beside */
		return -1;
	json_set_alloc_funcs(malloc, free); /* the harness frees what jansson allocates with free() */
	if (e2e_start(&S) != 0)
		return -1;
	if (e2e_req(&S, "POST", "/v1/officers", S.admin_token, "{\"name\":\"Creds DPO\"}", &r) != 201)
		return -1;
	id = e2e_jdup(r.json, "id");
	uri = e2e_jdup(r.json, "totp_uri");
	e2e_resp_free(&r);
	auditor = officer_login(id, uri, &last);
	free(id), free(uri);
	return auditor ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	e2e_stop(&S);
	free(auditor);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rotate_without_grace_ends_the_old_token_now),
		cmocka_unit_test(test_rotate_with_grace_keeps_the_old_token_until_then),
		cmocka_unit_test(test_list_shows_no_secret),
		cmocka_unit_test(test_a_request_answers_while_the_vault_is_locked),
		cmocka_unit_test(test_revoke_one_token),
		cmocka_unit_test(test_admin_token_rotate),
		cmocka_unit_test(test_officer_deactivate_and_reactivate),
		cmocka_unit_test(test_registrar_finds_an_imported_citizen),
		cmocka_unit_test(test_sign_out), /* last: it ends the auditor's session */
	};

	return cmocka_run_group_tests_name("credentials", tests, setup, teardown);
}
