/* sqlite.c: auth's tables (tokens, officers, pseudonyms) on SQLite: every statement of auth/ is here. */
#include "auth_private.h"

#include <stdio.h>
#include <string.h>

#include "../vault/sqlite.h"

/* ---- tokens ---- */

int auth_db_token_insert(vault *v, const unsigned char hash[32], const char *kind, const char *subject,
    int64_t expires_at, const char *id, const char *prefix, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "INSERT INTO tokens(hash, kind, subject, expires_at, created_at, id, prefix, last_used)"
	                                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)",
	    err);

	if (s == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, hash, 32, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, subject, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, expires_at);
	sqlite3_bind_int64(s, 5, util_now());
	sqlite3_bind_text(s, 6, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, prefix, -1, SQLITE_STATIC);
	return vault_sql_done(v, s, "token", err);
}

int auth_db_token_find(vault *v, const unsigned char hash[32], auth_db_token *out)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT hash, kind, subject, expires_at, last_used FROM tokens WHERE hash = ?1", NULL);
	const char *kind, *subject;
	int ok;

	if (s == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, hash, 32, SQLITE_STATIC);
	/* the hash compared again, in constant time: the index found it, this says it is the same */
	ok = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_bytes(s, 0) == 32 &&
	     sodium_memcmp(sqlite3_column_blob(s, 0), hash, 32) == 0 &&
	     (kind = (const char *)sqlite3_column_text(s, 1)) != NULL &&
	     (subject = (const char *)sqlite3_column_text(s, 2)) != NULL && strlen(kind) < sizeof out->kind;
	if (ok) {
		memcpy(out->kind, kind, strlen(kind) + 1);
		snprintf(out->subject, sizeof out->subject, "%s", subject);
		out->expires_at = sqlite3_column_int64(s, 3);
		out->last_used = sqlite3_column_int64(s, 4);
	}
	sqlite3_reset(s);
	return ok ? 0 : -1;
}

int auth_db_token_uses(vault *v, const auth_use *uses, size_t n)
{
	sqlite3_stmt *st;
	size_t i;
	int mine, ok = 1;

	if (vault_tx_begin(v, &mine, NULL) != 0)
		return -1;
	if ((st = vault_sql_stmt(v, "UPDATE tokens SET last_used = ?2 WHERE hash = ?1 AND last_used < ?2", NULL)) == NULL)
		ok = 0;
	for (i = 0; ok && i < n; i++) {
		sqlite3_bind_blob(st, 1, uses[i].hash, 32, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, uses[i].at);
		ok = sqlite3_step(st) == SQLITE_DONE;
		sqlite3_reset(st);
	}
	if (vault_tx_end(v, mine, ok, NULL) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

/* A column's text, or "" for NULL. */
static const char *text_of(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	return t != NULL ? (const char *)t : "";
}

int auth_db_tokens_list(vault *v, const char *subject, int64_t now, auth_token_info *out,
    unsigned char (*hashes)[32], size_t max, size_t *n, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT id, prefix, created_at, last_used, expires_at, hash FROM tokens"
	                                    " WHERE subject = ?1 AND expires_at > ?2 ORDER BY created_at, id LIMIT ?3",
	    err);

	*n = 0;
	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, subject, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_int64(s, 3, (int64_t)max);
	while (*n < max && sqlite3_step(s) == SQLITE_ROW) {
		auth_token_info *t = &out[*n];

		snprintf(t->id, sizeof t->id, "%s", text_of(s, 0));
		snprintf(t->prefix, sizeof t->prefix, "%s", text_of(s, 1));
		t->created_at = sqlite3_column_int64(s, 2);
		t->last_used = sqlite3_column_int64(s, 3);
		t->expires_at = sqlite3_column_int64(s, 4);
		memset(hashes[*n], 0, 32);
		if (sqlite3_column_bytes(s, 5) == 32)
			memcpy(hashes[*n], sqlite3_column_blob(s, 5), 32);
		(*n)++;
	}
	sqlite3_reset(s);
	return 0;
}

/* Runs sql with subject (?1) and a time (?2). */
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

int auth_db_tokens_cut(vault *v, const char *subject, int64_t until, int64_t now, int *left, util_err *err)
{
	sqlite3_stmt *s;

	if (tokens_exec(v, "UPDATE tokens SET expires_at = ?2 WHERE subject = ?1 AND expires_at > ?2", subject, until, err) != 0 ||
	    tokens_exec(v, "DELETE FROM tokens WHERE subject = ?1 AND expires_at <= ?2", subject, now, err) != 0 ||
	    (s = vault_sql_stmt(v, "SELECT count(*) FROM tokens WHERE subject = ?1", err)) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, subject, -1, SQLITE_STATIC);
	*left = INT32_MAX; /* unreadable: counted as full */
	if (sqlite3_step(s) == SQLITE_ROW)
		*left = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	return 0;
}

int auth_db_tokens_delete(vault *v, const char *subject, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "DELETE FROM tokens WHERE subject = ?1", err);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, subject, -1, SQLITE_STATIC);
	return vault_sql_done(v, s, "token", err);
}

int auth_db_token_delete_id(vault *v, const char *subject, const char *id, int64_t now, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "DELETE FROM tokens WHERE id = ?1 AND subject = ?2 AND expires_at > ?3", err);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, subject, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now);
	if (vault_sql_done(v, s, "token", err) != 0)
		return -1;
	return sqlite3_changes(vault_sql_db(v)) == 1 ? 0 : util_fail(err, UTIL_ENOTFOUND, "no such token");
}

int auth_db_session_delete(vault *v, const unsigned char hash[32], util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "DELETE FROM tokens WHERE hash = ?1 AND kind = 'session'", err);

	if (s == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, hash, 32, SQLITE_STATIC);
	return vault_sql_done(v, s, "token", err);
}

/* ---- officers ---- */

int auth_db_officer_insert(vault *v, const char *id, const char *name, const unsigned char *sealed, size_t n,
    int64_t created_at, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "INSERT INTO officers(id, name, totp, created_at) VALUES (?1, ?2, ?3, ?4)", err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, sealed, (int)n, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, created_at);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : util_fail(err, UTIL_EIO, "cannot store the officer");
}

int auth_db_officer_active(vault *v, const char *id)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT active FROM officers WHERE id = ?1", NULL);
	int active = 0;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		active = sqlite3_column_int(s, 0) != 0;
	sqlite3_reset(s);
	return active;
}

int auth_db_officer_set_active(vault *v, const char *id, int active, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "UPDATE officers SET active = ?2 WHERE id = ?1", err);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, active);
	if (vault_sql_done(v, s, "officer", err) != 0)
		return -1;
	return sqlite3_changes(vault_sql_db(v)) == 1 ? 0 : util_fail(err, UTIL_ENOTFOUND, "no such officer");
}

int auth_db_officer_totp(vault *v, const char *id, unsigned char *sealed, size_t cap, size_t *n, int64_t *last,
    util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT totp, totp_step FROM officers WHERE id = ?1", err);
	int ok = 0, rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(s, 0) > 0 && (size_t)sqlite3_column_bytes(s, 0) <= cap) {
		*n = (size_t)sqlite3_column_bytes(s, 0);
		memcpy(sealed, sqlite3_column_blob(s, 0), *n);
		*last = sqlite3_column_int64(s, 1);
		ok = 1;
	} else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		vault_sql_error(v, rc, err, "officer");
	}
	sqlite3_reset(s);
	return ok ? 0 : -1;
}

int auth_db_officer_step(vault *v, const char *id, int64_t step, util_err *err)
{
	sqlite3_stmt *u = vault_sql_stmt(v, "UPDATE officers SET totp_step = ?2 WHERE id = ?1 AND totp_step < ?2", err);

	if (u == NULL)
		return -1;
	sqlite3_bind_text(u, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(u, 2, step);
	if (vault_sql_done(v, u, "officer", err) != 0)
		return -1;
	return sqlite3_changes(vault_sql_db(v)) == 1;
}

/* ---- pseudonyms ---- */

int auth_db_pseudonym_insert(vault *v, const char *agency_id, const unsigned char pid[16],
    const unsigned char cid[KEYS_CID_BYTES], int enrolled, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "INSERT OR IGNORE INTO pseudonyms(agency_id, pid, cid, enrolled) VALUES (?1, ?2, ?3, ?4)",
	    err);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, agency_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, pid, 16, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, cid, KEYS_CID_BYTES, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, enrolled != 0);
	return vault_sql_done(v, s, "pseudonym", err);
}

int auth_db_pseudonym_find(vault *v, const char *agency_id, const unsigned char pid[16], int enrolled_only,
    unsigned char cid[KEYS_CID_BYTES])
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT cid FROM pseudonyms WHERE agency_id = ?1 AND pid = ?2 AND enrolled >= ?3", NULL);
	int rc = -1;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, agency_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, pid, 16, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, enrolled_only);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_bytes(s, 0) == KEYS_CID_BYTES) {
		memcpy(cid, sqlite3_column_blob(s, 0), KEYS_CID_BYTES);
		rc = 0;
	}
	sqlite3_reset(s);
	return rc;
}

int auth_db_pseudonyms_delete(vault *v, const unsigned char cid[KEYS_CID_BYTES], util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "DELETE FROM pseudonyms WHERE cid = ?1", err);

	if (s == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, cid, KEYS_CID_BYTES, SQLITE_STATIC);
	return vault_sql_done(v, s, "pseudonym", err);
}
