/* tokens.c: bearer tokens that can be listed, rotated and revoked; signing out; the admin token's rotation. */
#include "api_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../vault/vault_sql.h"

#define TOKEN_RANDOM 32u

/*
 * A token is "vk_<kind>_" and 43 base64url characters of 32 random bytes; the vault keeps only
 * a keyed hash of it, a public id ("tk_" and 16 hex digits, random: it says nothing about the
 * secret) and its prefix: the kind and the first API_TOKEN_PREFIX_CHARS characters of the
 * secret (36 of its 256 bits), for its holder to tell which token a listing means.
 */
int api_token_new(vault *v, const char *kind, const char *subject, int64_t ttl, char out[API_TOKEN_MAX],
    char id[API_TOKEN_ID_MAX], util_err *err)
{
	unsigned char raw[TOKEN_RANDOM], hash[32], rid[8];
	char b64[sodium_base64_ENCODED_LEN(TOKEN_RANDOM, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
	char tid[API_TOKEN_ID_MAX], hex[17], prefix[API_TOKEN_PREFIX_MAX];
	sqlite3_stmt *s;
	int rc;

	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
	snprintf(out, API_TOKEN_MAX, "vk_%s_%s", kind, b64);
	sodium_memzero(b64, sizeof b64);
	snprintf(prefix, sizeof prefix, "%.*s", (int)(strlen(kind) + 4 + API_TOKEN_PREFIX_CHARS), out);
	randombytes_buf(rid, sizeof rid);
	util_hex_encode(hex, rid, sizeof rid);
	snprintf(tid, sizeof tid, "tk_%s", hex);
	vault_keyed_hash(v, KEYS_RING_TOKEN, out, strlen(out), hash);
	if ((s = vault_sql_stmt(v, "INSERT INTO tokens(hash, kind, subject, expires_at, created_at, id, prefix, last_used)"
	                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)",
	         err)) == NULL) {
		sodium_memzero(out, API_TOKEN_MAX);
		return -1;
	}
	sqlite3_bind_blob(s, 1, hash, sizeof hash, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, subject, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, ttl > 0 ? util_now() + ttl : INT64_MAX);
	sqlite3_bind_int64(s, 5, util_now());
	sqlite3_bind_text(s, 6, tid, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, prefix, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		sodium_memzero(out, API_TOKEN_MAX);
		return vault_sql_error(v, rc, err, "token");
	}
	if (id != NULL)
		memcpy(id, tid, sizeof tid);
	return 0;
}

/*
 * The time of a token's last use, to the minute. A request never writes it: a write would wait
 * for the lock (up to VAULT_BUSY_MS) behind a long one, such as the retention sweep or an
 * import, and hold a worker meanwhile. A request whose token's stored time is older than
 * API_TOKEN_TOUCH_EVERY seconds notes (hash, time) in a bounded table under a mutex; the main
 * thread stores the table in one transaction at each upkeep (api_upkeep) and at stop, and the
 * tokens' listing shows the noted time before then. A full table, or a failed store, only
 * leaves the time older: it is a hint for the token's holder, not a control.
 */
#define TOUCH_SLOTS 1024

typedef struct touch {
	unsigned char hash[32]; /* the token's keyed hash */
	int64_t at;
} touch;

struct api_touches {
	pthread_mutex_t mu;
	size_t n;
	touch e[TOUCH_SLOTS];
};

api_touches *api_touches_new(void)
{
	api_touches *t = calloc(1, sizeof *t);

	if (t != NULL)
		pthread_mutex_init(&t->mu, NULL);
	return t;
}

void api_touches_free(api_touches *t)
{
	if (t == NULL)
		return;
	pthread_mutex_destroy(&t->mu);
	sodium_memzero(t->e, sizeof t->e);
	free(t);
}

/* The slot of hash, or n; t->mu held. */
static size_t touch_find(const api_touches *t, const unsigned char hash[32])
{
	size_t i;

	for (i = 0; i < t->n && memcmp(t->e[i].hash, hash, 32) != 0; i++)
		;
	return i;
}

void api_token_touch(api_req *r)
{
	api_touches *t = r->srv->touches;
	int64_t now = util_now();
	size_t i;

	if (r->caller.last_used > now - API_TOKEN_TOUCH_EVERY || t == NULL)
		return;
	pthread_mutex_lock(&t->mu);
	if ((i = touch_find(t, r->caller.token)) < t->n || t->n < TOUCH_SLOTS) {
		memcpy(t->e[i].hash, r->caller.token, 32);
		t->e[i].at = now;
		t->n += i == t->n;
	}
	pthread_mutex_unlock(&t->mu);
}

/* The later of stored and the noted, not yet stored, last use of the token hash. */
static int64_t touched_at(api_server *s, const void *hash, int64_t stored)
{
	api_touches *t = s->touches;
	size_t i;

	if (t == NULL || hash == NULL)
		return stored;
	pthread_mutex_lock(&t->mu);
	if ((i = touch_find(t, hash)) < t->n && t->e[i].at > stored)
		stored = t->e[i].at;
	pthread_mutex_unlock(&t->mu);
	return stored;
}

/* Stores the noted last uses on the main connection (main thread only); the table is emptied. */
void api_upkeep(api_server *s)
{
	touch e[TOUCH_SLOTS]; /* 40 KiB, on the main thread's stack */
	sqlite3_stmt *st;
	size_t i, n;
	int mine, ok = 1;

	if (s == NULL || s->touches == NULL)
		return;
	pthread_mutex_lock(&s->touches->mu);
	n = s->touches->n;
	memcpy(e, s->touches->e, n * sizeof e[0]);
	sodium_memzero(s->touches->e, n * sizeof e[0]);
	s->touches->n = 0;
	pthread_mutex_unlock(&s->touches->mu);
	if (n == 0)
		return;
	if (vault_sql_begin(s->v, &mine, NULL) != 0) {
		ok = 0;
		goto out;
	}
	if ((st = vault_sql_stmt(s->v, "UPDATE tokens SET last_used = ?2 WHERE hash = ?1 AND last_used < ?2", NULL)) == NULL)
		ok = 0;
	for (i = 0; ok && i < n; i++) {
		sqlite3_bind_blob(st, 1, e[i].hash, 32, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, e[i].at);
		ok = sqlite3_step(st) == SQLITE_DONE;
		sqlite3_reset(st);
	}
	if (vault_sql_end(s->v, mine, ok, NULL) != 0)
		ok = 0;
out:
	sodium_memzero(e, n * sizeof e[0]);
	if (!ok)
		fprintf(stderr, "{\"level\":\"warn\",\"msg\":\"tokens last use not stored\",\"tokens\":%zu}\n", n);
}

/* The tokens' subject of the agency in the path: the admin names any agency, an agency only itself. */
static int token_owner(api_req *r, char subject[API_PARAM_MAX + 8])
{
	policy_agency a;

	if (r->caller.kind == API_AGENCY ? strcmp(r->params[0], r->caller.agency.id) != 0
	                                 : policy_agency_get(r->v, r->params[0], &a, NULL, NULL) != 0) {
		api_problem(r, 404, "not_found", "no such agency");
		return -1;
	}
	snprintf(subject, API_PARAM_MAX + 8, "agency:%s", r->params[0]);
	return 0;
}

static const char *token_actor(const api_req *r, char buf[POLICY_ID_MAX + 8])
{
	if (r->caller.kind != API_AGENCY)
		return "operator";
	snprintf(buf, POLICY_ID_MAX + 8, "agency:%s", r->caller.agency.id);
	return buf;
}

static json_t *time_or_null(int64_t t)
{
	char iso[21];

	if (t <= 0 || t == INT64_MAX)
		return json_null();
	util_iso8601(t, iso);
	return json_string(iso);
}

void api_h_tokens_list(api_req *r)
{
	char subject[API_PARAM_MAX + 8];
	sqlite3_stmt *s;
	json_t *list, *page;
	int64_t after, limit, next;

	/* at most API_TOKENS_PER_AGENCY: read whole, then paged like every list (the cursor an offset) */
	if (token_owner(r, subject) != 0 || api_page_args(r, 0, &after, &limit) != 0)
		return;
	s = vault_sql_stmt(r->v, "SELECT id, prefix, created_at, last_used, expires_at, hash FROM tokens"
	                         " WHERE subject = ?1 AND expires_at > ?2 ORDER BY created_at, id LIMIT ?3",
	    NULL);
	if (s == NULL || (list = json_array()) == NULL) {
		api_problem(r, 500, "internal", "database");
		return;
	}
	sqlite3_bind_text(s, 1, subject, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, util_now());
	sqlite3_bind_int(s, 3, API_TOKENS_PER_AGENCY);
	/* the id, the prefix and times: never the hash, which is as good as the secret for a guess check */
	while (sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(list, json_pack("{s:s, s:s, s:o, s:o, s:o}", "id", sqlite3_column_text(s, 0), "prefix",
		                                sqlite3_column_text(s, 1), "created_at", time_or_null(sqlite3_column_int64(s, 2)),
		                                "last_used_at", time_or_null(touched_at(r->srv, sqlite3_column_blob(s, 5), sqlite3_column_int64(s, 3))), "expires_at",
		                                time_or_null(sqlite3_column_int64(s, 4))));
	sqlite3_reset(s);
	page = api_page_slice(list, after, limit, &next);
	json_decref(list);
	api_reply(r, 200, json_pack("{s:s, s:o, s:o}", "agency_id", r->params[0], "tokens", page, "next",
	                      api_page_next(next >= 0, next)));
}

/* Runs sql with subject (?1) and a time (?2); 0 or -1 (err filled). */
static int tokens_exec(vault *v, const char *sql, const char *subject, int64_t t, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, sql, err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, subject, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, t);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : vault_sql_error(v, rc, err, "token");
}

/* The agency's tokens still valid, after the others' grace ends at until: fewer than the cap, or EEXISTS. */
static int rotate_old(vault *v, const char *subject, int64_t until, util_err *err)
{
	sqlite3_stmt *s;
	int n = API_TOKENS_PER_AGENCY;

	if (tokens_exec(v, "UPDATE tokens SET expires_at = ?2 WHERE subject = ?1 AND expires_at > ?2", subject, until, err) != 0 ||
	    tokens_exec(v, "DELETE FROM tokens WHERE subject = ?1 AND expires_at <= ?2", subject, util_now(), err) != 0 ||
	    (s = vault_sql_stmt(v, "SELECT count(*) FROM tokens WHERE subject = ?1", err)) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, subject, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	return n < API_TOKENS_PER_AGENCY
	           ? 0
	           : util_fail(err, UTIL_EEXISTS, "an agency holds at most %d tokens: revoke one, or rotate with a shorter grace",
	                 API_TOKENS_PER_AGENCY);
}

/*
 * A new token for the agency; every other token of it stays valid for grace_seconds more
 * (default 0: they end now), never longer than it already would. One transaction.
 */
void api_h_tokens_issue(api_req *r)
{
	char subject[API_PARAM_MAX + 8], actor[POLICY_ID_MAX + 8], token[API_TOKEN_MAX], id[API_TOKEN_ID_MAX], note[64];
	char prefix[API_TOKEN_PREFIX_MAX];
	audit_entry e = {.action = "token.issue", .agency_id = r->params[0], .note = note};
	json_int_t grace = 0;
	int64_t now = util_now();
	util_err err;
	int mine, ok;

	if (api_unpack(r, "{s?I}", "grace_seconds", &grace) != 0)
		return;
	if (grace < 0 || grace > API_TOKEN_GRACE_MAX) {
		api_problem(r, 400, "invalid_input", "grace_seconds must be 0..86400");
		return;
	}
	if (token_owner(r, subject) != 0)
		return;
	e.actor = token_actor(r, actor);
	if (vault_sql_begin(r->v, &mine, &err) != 0) {
		api_reply_err(r, &err);
		return;
	}
	ok = rotate_old(r->v, subject, now + grace, &err) == 0 &&
	     api_token_new(r->v, "agency", subject, 0, token, id, &err) == 0;
	if (ok) {
		snprintf(note, sizeof note, "%s grace_seconds=%lld", id, (long long)grace);
		ok = audit_record(r->v, &e, NULL, &err) == 0;
	}
	if (vault_sql_end(r->v, mine, ok, &err) != 0) {
		sodium_memzero(token, sizeof token);
		api_reply_err(r, &err);
		return;
	}
	snprintf(prefix, sizeof prefix, "%.*s", (int)(10 + API_TOKEN_PREFIX_CHARS), token);
	api_reply(r, 201, json_pack("{s:s, s:s, s:s, s:o, s:o}", "id", id, "token", token, "prefix", prefix, "created_at",
	                     time_or_null(now), "others_expire_at", time_or_null(now + grace)));
	sodium_memzero(token, sizeof token);
}

void api_h_token_revoke(api_req *r)
{
	char subject[API_PARAM_MAX + 8], actor[POLICY_ID_MAX + 8];
	audit_entry e = {.action = "token.revoke", .agency_id = r->params[0], .note = r->params[1]};
	sqlite3_stmt *s;
	util_err err;
	int mine, ok = 0;

	if (token_owner(r, subject) != 0)
		return;
	e.actor = token_actor(r, actor);
	if (vault_sql_begin(r->v, &mine, &err) != 0) {
		api_reply_err(r, &err);
		return;
	}
	if ((s = vault_sql_stmt(r->v, "DELETE FROM tokens WHERE id = ?1 AND subject = ?2 AND expires_at > ?3", &err)) != NULL) {
		int rc;

		sqlite3_bind_text(s, 1, r->params[1], -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, subject, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, util_now());
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		ok = rc == SQLITE_DONE && sqlite3_changes(vault_sql_db(r->v)) == 1;
		if (rc != SQLITE_DONE)
			vault_sql_error(r->v, rc, &err, "token");
		else if (!ok)
			util_fail(&err, UTIL_ENOTFOUND, "no such token");
	}
	ok = ok && audit_record(r->v, &e, NULL, &err) == 0;
	if (vault_sql_end(r->v, mine, ok, &err) != 0) {
		api_reply_err(r, &err);
		return;
	}
	api_reply(r, 200, json_pack("{s:s, s:s}", "id", r->params[1], "status", "revoked"));
}

/* Signing out: the session token the request came with ends now. */
void api_h_session_end(api_req *r)
{
	char actor[POLICY_ID_MAX + 16];
	audit_entry e = {.actor = actor, .action = "auth.logout"};
	sqlite3_stmt *s;
	util_err err;
	int mine, ok = 0;

	if (r->caller.kind == API_CITIZEN) {
		snprintf(actor, sizeof actor, "citizen");
		e.cid = r->caller.cid;
	} else {
		snprintf(actor, sizeof actor, "officer:%s", r->caller.officer);
	}
	if (vault_sql_begin(r->v, &mine, &err) != 0) {
		api_reply_err(r, &err);
		return;
	}
	if ((s = vault_sql_stmt(r->v, "DELETE FROM tokens WHERE hash = ?1 AND kind = 'session'", &err)) != NULL) {
		int rc;

		sqlite3_bind_blob(s, 1, r->caller.token, sizeof r->caller.token, SQLITE_STATIC);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (!(ok = rc == SQLITE_DONE))
			vault_sql_error(r->v, rc, &err, "token");
	}
	ok = ok && audit_record(r->v, &e, NULL, &err) == 0;
	if (vault_sql_end(r->v, mine, ok, &err) != 0) {
		api_reply_err(r, &err);
		return;
	}
	api_reply(r, 200, json_pack("{s:s}", "status", "signed_out"));
}

int api_admin_token_rotate(vault *v, char out[API_ADMIN_TOKEN_MAX], util_err *err)
{
	audit_entry e = {.actor = "operator", .action = "token.rotate", .note = "admin"};
	int mine, ok;

	if (vault_sql_begin(v, &mine, err) != 0)
		return -1;
	/* every admin token ends with the transaction: there is one operator, with one token */
	ok = tokens_exec(v, "DELETE FROM tokens WHERE subject = ?1 AND ?2 = ?2", "admin", 0, err) == 0 &&
	     api_token_new(v, "admin", "admin", 0, out, NULL, err) == 0 && audit_record(v, &e, NULL, err) == 0;
	if (!ok)
		sodium_memzero(out, API_ADMIN_TOKEN_MAX);
	return vault_sql_end(v, mine, ok, err);
}
