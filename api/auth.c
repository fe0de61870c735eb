/* auth.c: bearer tokens stored as keyed hashes, TOTP with replay refusal and budgets (lockout.c). */
#include "api_private.h"

#include <liboath/oath.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../vault/vault_sql.h"

int api_token_issue(vault *v, const char *kind, const char *subject, int64_t ttl, char out[API_TOKEN_MAX],
    util_err *err)
{
	return api_token_new(v, kind, subject, ttl, out, NULL, err);
}

int api_admin_token(vault *v, char out[API_ADMIN_TOKEN_MAX], util_err *err)
{
	audit_entry e = {.actor = "operator", .action = "token.issue", .note = "admin"};
	int mine, ok;

	if (vault_sql_begin(v, &mine, err) != 0)
		return -1;
	ok = api_token_issue(v, "admin", "admin", 0, out, err) == 0 && audit_record(v, &e, NULL, err) == 0;
	return vault_sql_end(v, mine, ok, err);
}

int api_tokens_revoke(vault *v, const char *subject, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "DELETE FROM tokens WHERE subject = ?1", err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, subject, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : vault_sql_error(v, rc, err, "token");
}

static int unauthorized(api_req *r)
{
	api_problem(r, 401, "unauthorized", "a valid bearer token is required");
	return -1;
}

static int authenticate(api_req *r)
{
	const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Authorization");
	const char *tok, *kind;
	char subject[POLICY_ID_MAX + 16];
	unsigned char hash[32];
	sqlite3_stmt *s;
	int64_t expires;
	size_t n;
	int rc;

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0) /* the scheme is case-insensitive (RFC 9110) */
		return unauthorized(r);
	tok = h + 7;
	n = strlen(tok);
	if (n < 10 || n >= API_TOKEN_MAX)
		return unauthorized(r);
	if (strncmp(tok, "vk_admin_", 9) == 0)
		kind = "admin";
	else if (strncmp(tok, "vk_agency_", 10) == 0)
		kind = "agency";
	else if (strncmp(tok, "vk_session_", 11) == 0)
		kind = "session";
	else
		return unauthorized(r);
	/* the lookup is by a keyed hash of the token: no byte of the secret is compared */
	vault_keyed_hash(r->v, KEYS_RING_TOKEN, tok, n, hash);
	if ((s = vault_sql_stmt(r->v, "SELECT hash, kind, subject, expires_at, last_used FROM tokens WHERE hash = ?1", NULL)) == NULL)
		return unauthorized(r);
	sqlite3_bind_blob(s, 1, hash, sizeof hash, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW || sqlite3_column_bytes(s, 0) != 32 ||
	    sodium_memcmp(sqlite3_column_blob(s, 0), hash, 32) != 0 ||
	    strcmp((const char *)sqlite3_column_text(s, 1), kind) != 0) {
		sqlite3_reset(s);
		return unauthorized(r);
	}
	snprintf(subject, sizeof subject, "%s", (const char *)sqlite3_column_text(s, 2));
	expires = sqlite3_column_int64(s, 3);
	r->caller.last_used = sqlite3_column_int64(s, 4);
	memcpy(r->caller.token, hash, sizeof hash);
	sqlite3_reset(s);
	if (expires <= util_now())
		return unauthorized(r);
	if (strcmp(subject, "admin") == 0) {
		r->caller.kind = API_ADMIN;
	} else if (strncmp(subject, "agency:", 7) == 0) {
		if (policy_agency_get(r->v, subject + 7, &r->caller.agency, NULL, NULL) != 0 || r->caller.agency.suspended)
			return unauthorized(r);
		r->caller.kind = API_AGENCY;
	} else if (strncmp(subject, "citizen:", 8) == 0) {
		if (util_hex_decode(r->caller.cid, KEYS_CID_BYTES, subject + 8) != 0)
			return unauthorized(r);
		r->caller.kind = API_CITIZEN;
	} else if (strncmp(subject, "officer:", 8) == 0) {
		if (strlen(subject + 8) > POLICY_ID_MAX || !api_officer_active(r->v, subject + 8))
			return unauthorized(r);
		memcpy(r->caller.officer, subject + 8, strlen(subject + 8) + 1);
		r->caller.kind = API_OFFICER;
	} else {
		return unauthorized(r);
	}
	return 0;
}

/*
 * The token's row and its agency's are read in one snapshot, not one each: a read transaction
 * costs a pair of WAL read locks (fcntl) and SQLite's checks. On the bench vault an agency's
 * two reads took 6.5 to 7.5 µs in two transactions and 3.9 to 5.0 µs in one.
 */
int api_authenticate(api_req *r)
{
	int mine = !vault_sql_in_tx(r->v) && !vault_sql_in_read(r->v), rc;

	if (mine && vault_sql_read_begin(r->v, NULL) != 0)
		mine = 0; /* each read then runs on its own, as it would have */
	rc = authenticate(r);
	if (mine)
		vault_sql_read_end(r->v);
	if (rc == 0)
		api_token_touch(r);
	return rc;
}

/* ---- the answers of an attempt ---- */

/* One failure for the identity's own log, written by the audit writer later: the answer waits for nothing. */
typedef struct note {
	audit_entry e;
	char actor[POLICY_ID_MAX + 16];
	unsigned char cid[KEYS_CID_BYTES];
} note;

static void note_done(void *ctx, int rc, int64_t seq, const util_err *err)
{
	(void)seq;
	if (rc != 0)
		fprintf(stderr, "{\"level\":\"error\",\"msg\":\"audit\",\"code\":\"%s\"}\n",
		    util_code_name(err ? err->code : UTIL_EIO));
	free(ctx);
}

static void note_failure(api_req *r, const char *actor, const unsigned char *cid)
{
	note *n = calloc(1, sizeof *n);
	util_err err;

	if (n == NULL)
		return;
	snprintf(n->actor, sizeof n->actor, "%s", actor);
	n->e.actor = n->actor;
	/* a login has no caller yet; a step-up comes from the citizen's session */
	n->e.action = r->caller.kind == API_NONE ? "auth.login_failed" : "auth.step_up_failed";
	if (cid != NULL) {
		memcpy(n->cid, cid, KEYS_CID_BYTES);
		n->e.cid = n->cid;
	}
	/* not now: the writer's work would make a known identity's wrong code slower than an unknown one's */
	if (audit_writer_submit_later(r->srv->writer, &n->e, note_done, n, &err) != 0)
		free(n);
}

int api_lockout_take(api_req *r, const char *label, auth_lockout_slot *slot)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	int64_t wait;

	auth_lockout_keys(r->v, label, ci ? ci->client_addr : NULL, slot);
	if (auth_lockout_reserve(r->srv->lockout, slot, &wait) == 0)
		return 0;
	r->retry_after = wait;
	api_problem(r, 429, "rate_limited", "too many failed codes: try again once Retry-After has passed");
	return -1;
}

int api_lockout_wrong(api_req *r, const char *actor, const unsigned char *cid)
{
	if (actor != NULL)
		note_failure(r, actor, cid);
	api_problem(r, 401, "invalid_totp", "the code is wrong, expired or already used");
	return -1;
}

int api_lockout_storage(const util_err *err)
{
	return err->code == UTIL_ENOSPC || err->code == UTIL_EIO || err->code == UTIL_EBUSY;
}

int api_lockout_unavailable(api_req *r, const auth_lockout_slot *slot, const util_err *err)
{
	auth_lockout_release(r->srv->lockout, slot);
	if (err->code == UTIL_ENOSPC)
		api_problem(r, 503, "storage_full", "the vault's disk is full: nothing was written");
	else if (err->code == UTIL_EBUSY)
		api_problem(r, 503, "busy", "the vault is busy: try again");
	else
		api_problem(r, 503, "storage_unavailable", "the vault's storage cannot be written: nothing was written");
	return -1;
}

/* ---- TOTP ---- */

static int ct_compare(void *handle, const char *test_otp)
{
	return sodium_memcmp(handle, test_otp, 6) == 0 ? 0 : 1;
}

/* Checks code against secret within one step either way; *step gets the step it matched. */
static int totp_match(const unsigned char *secret, size_t n, const char *code, int64_t *step)
{
	uint64_t counter = 0;
	size_t i;
	int rc;

	if (code == NULL || strlen(code) != 6)
		return -1;
	for (i = 0; i < 6; i++)
		if (code[i] < '0' || code[i] > '9')
			return -1;
	rc = oath_totp_validate3_callback((const char *)secret, n, time(NULL), OATH_TOTP_DEFAULT_TIME_STEP_SIZE, 0, 6, 1,
	    NULL, &counter, ct_compare, (void *)code);
	if (rc < 0)
		return -1;
	*step = (int64_t)counter;
	return 0;
}

static void citizen_label(const unsigned char cid[KEYS_CID_BYTES], char label[48])
{
	char hex[2 * KEYS_CID_BYTES + 1];

	util_hex_encode(hex, cid, KEYS_CID_BYTES);
	snprintf(label, 48, "citizen:%s", hex);
}

int api_totp_unknown(api_req *r, const char *ident_label, const char *code)
{
	unsigned char *secret;
	auth_lockout_slot slot;
	util_err err = {0};
	int64_t step;

	if (api_lockout_take(r, ident_label, &slot) != 0)
		return -1;
	if ((secret = keys_secret_alloc(VAULT_TOTP_SECRET_BYTES)) == NULL) {
		auth_lockout_release(r->srv->lockout, &slot);
		api_problem(r, 500, "internal", "out of memory");
		return -1;
	}
	/* the work a known identity's check does: the same read, unwrap and open, of a decoy */
	if (vault_totp_decoy(r->v, secret, &err) == 0)
		(void)totp_match(secret, VAULT_TOTP_SECRET_BYTES, code, &step);
	keys_secret_free(secret);
	if (api_lockout_storage(&err))
		return api_lockout_unavailable(r, &slot, &err);
	/* the same answer a known identity with a wrong code gets; nothing is kept but the budget */
	return api_lockout_wrong(r, NULL, NULL);
}

int api_totp_citizen(api_req *r, const unsigned char cid[KEYS_CID_BYTES], const char *code)
{
	unsigned char *secret;
	char label[48];
	auth_lockout_slot slot;
	int64_t last = 0, step;
	util_err err = {0};
	int ok;

	citizen_label(cid, label);
	if (api_lockout_take(r, label, &slot) != 0)
		return -1;
	if ((secret = keys_secret_alloc(VAULT_TOTP_SECRET_BYTES)) == NULL) {
		auth_lockout_release(r->srv->lockout, &slot);
		api_problem(r, 500, "internal", "out of memory");
		return -1;
	}
	ok = vault_citizen_totp(r->v, cid, secret, &last, &err) == 0 &&
	     totp_match(secret, VAULT_TOTP_SECRET_BYTES, code, &step) == 0 && step > last &&
	     vault_citizen_totp_use(r->v, cid, step, &err) == 0;
	keys_secret_free(secret);
	if (!ok)
		return api_lockout_storage(&err) ? api_lockout_unavailable(r, &slot, &err)
		                                 : api_lockout_wrong(r, "citizen", cid);
	auth_lockout_success(r->srv->lockout, &slot);
	return 0;
}

/* The officer's secret and last step into secret, *last: 0; -1 unknown or unreadable (err when storage). */
static int officer_secret(api_req *r, const char *officer_id, unsigned char *secret, int64_t *last, util_err *err)
{
	char box[POLICY_ID_MAX + 24];
	sqlite3_stmt *s;
	int ok = 0, rc;

	snprintf(box, sizeof box, "vaultd/officer-totp/%s", officer_id);
	if ((s = vault_sql_stmt(r->v, "SELECT totp, totp_step FROM officers WHERE id = ?1", err)) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, officer_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && (size_t)sqlite3_column_bytes(s, 0) == VAULT_TOTP_SECRET_BYTES + VAULT_BOX_OVERHEAD &&
	    vault_box_open(r->v, box, sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), secret, NULL) == 0) {
		*last = sqlite3_column_int64(s, 1);
		ok = 1;
	} else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		vault_sql_error(r->v, rc, err, "officer");
	}
	sqlite3_reset(s);
	return ok ? 0 : -1;
}

int api_totp_officer(api_req *r, const char *officer_id, const char *code)
{
	unsigned char secret[VAULT_TOTP_SECRET_BYTES];
	char label[POLICY_ID_MAX + 16];
	auth_lockout_slot slot;
	sqlite3_stmt *u;
	int64_t last = 0, step;
	util_err err = {0};
	int ok, rc;

	snprintf(label, sizeof label, "officer:%s", officer_id);
	if (api_lockout_take(r, label, &slot) != 0)
		return -1;
	ok = officer_secret(r, officer_id, secret, &last, &err) == 0 &&
	     totp_match(secret, sizeof secret, code, &step) == 0 && step > last;
	sodium_memzero(secret, sizeof secret);
	if (ok && (u = vault_sql_stmt(r->v, "UPDATE officers SET totp_step = ?2 WHERE id = ?1 AND totp_step < ?2", &err)) !=
	              NULL) {
		sqlite3_bind_text(u, 1, officer_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(u, 2, step);
		rc = sqlite3_step(u);
		ok = rc == SQLITE_DONE && sqlite3_changes(vault_sql_db(r->v)) == 1;
		sqlite3_reset(u);
		if (rc != SQLITE_DONE)
			vault_sql_error(r->v, rc, &err, "officer");
	} else if (ok) {
		ok = 0;
	}
	if (!ok)
		return api_lockout_storage(&err) ? api_lockout_unavailable(r, &slot, &err)
		                                 : api_lockout_wrong(r, label, NULL);
	auth_lockout_success(r->srv->lockout, &slot);
	return 0;
}

void api_totp_clear(api_req *r, const unsigned char cid[KEYS_CID_BYTES])
{
	char label[48];

	citizen_label(cid, label);
	auth_lockout_clear(r->srv->lockout, r->v, label);
}

void api_totp_uri(const char *label, const unsigned char *secret, size_t n, char out[256])
{
	char b32[64];

	util_base32_encode(b32, secret, n);
	snprintf(out, 256, "otpauth://totp/vaultd:%s?secret=%s&issuer=vaultd&algorithm=SHA1&digits=6&period=30", label,
	    b32);
	sodium_memzero(b32, sizeof b32);
}
