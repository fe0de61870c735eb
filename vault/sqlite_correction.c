/* sqlite_correction.c: the corrections table (SQLite): a citizen's requests to correct a field, rows in and out, nothing opened or sealed here. */
#include "sqlite_private.h"

#include <string.h>

#define TEXT(s, col) ((const char *)sqlite3_column_text((s), (col)))
#define COLUMNS "id, cid, field, sealed, state, reason, decided_by, created_at, decided_at"

int vault_row_correction_insert(vault *v, const char *id, const unsigned char cid[KEYS_CID_BYTES], const char *field,
    const unsigned char *sealed, size_t n, int64_t now, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "INSERT INTO corrections(id, cid, field, sealed, state, created_at)"
	                                    " VALUES (?1, ?2, ?3, ?4, 'pending', ?5)",
	    err);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, cid, KEYS_CID_BYTES, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, field, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, sealed, (int)n, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, now);
	return vault_sql_done(v, s, "corrections", err);
}

int vault_row_corrections_pending(vault *v, const unsigned char cid[KEYS_CID_BYTES], int64_t *n, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT count(*) FROM corrections WHERE cid = ?1 AND state = 'pending'", err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, cid, KEYS_CID_BYTES, SQLITE_STATIC);
	rc = sqlite3_step(s);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : vault_sql_fail(v, rc, err, "corrections");
}

/* The current row of s (COLUMNS) to fn. */
static int row_to(sqlite3_stmt *s, vault_correction_row_fn fn, void *arg, util_err *err)
{
	vault_correction_row r = {
		.id = TEXT(s, 0), .cid = sqlite3_column_blob(s, 1), .field = TEXT(s, 2),
		.sealed = sqlite3_column_blob(s, 3), .slen = (size_t)sqlite3_column_bytes(s, 3), .state = TEXT(s, 4),
		.reason = sqlite3_column_type(s, 5) == SQLITE_NULL ? NULL : sqlite3_column_blob(s, 5),
		.rlen = (size_t)sqlite3_column_bytes(s, 5), .decided_by = TEXT(s, 6) ? TEXT(s, 6) : "",
		.created_at = sqlite3_column_int64(s, 7), .decided_at = sqlite3_column_int64(s, 8)};

	if (r.id == NULL || r.field == NULL || r.state == NULL || r.sealed == NULL ||
	    sqlite3_column_bytes(s, 1) != KEYS_CID_BYTES)
		return util_fail(err, UTIL_ECORRUPT, "a correction request is malformed");
	return fn(arg, &r, err);
}

/*
 * Everyone's requests, pending first, then the answered, each in the order they were made; or
 * a citizen's, in that order. ?1 the citizen, ?2 the state or NULL, ?3 the cursor's id or '',
 * ?4 limit + 1.
 */
#define PAGE_SQL                                                                                                       \
	"SELECT " COLUMNS " FROM corrections WHERE (?2 IS NULL OR state = ?2) AND (?3 = '' OR"                           \
	" (state <> 'pending', rowid) > (SELECT state <> 'pending', rowid FROM corrections WHERE id = ?3))"               \
	" ORDER BY state <> 'pending', rowid LIMIT ?4"
#define OWN_PAGE_SQL                                                                                                   \
	"SELECT " COLUMNS " FROM corrections WHERE cid = ?1 AND (?2 IS NULL OR state = ?2)"                              \
	" AND rowid > coalesce((SELECT rowid FROM corrections WHERE id = ?3 AND cid = ?1), 0) ORDER BY rowid LIMIT ?4"

/* 0 when after is "" or a row of the list (cid's when cid is not NULL, of state when not NULL); else UTIL_EINVAL. */
static int cursor_check(vault *v, const unsigned char *cid, const char *state, const char *after, util_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if (after[0] == '\0')
		return 0;
	s = vault_sql_stmt(v, "SELECT 1 FROM corrections WHERE id = ?1 AND (?2 IS NULL OR cid = ?2)"
	                      " AND (?3 IS NULL OR state = ?3)", err);
	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, after, -1, SQLITE_STATIC);
	if (cid != NULL)
		sqlite3_bind_blob(s, 2, cid, KEYS_CID_BYTES, SQLITE_STATIC);
	if (state != NULL)
		sqlite3_bind_text(s, 3, state, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? util_fail(err, UTIL_EINVAL, "query argument after is not a next of this list")
	                         : vault_sql_fail(v, rc, err, "corrections");
}

int vault_row_corrections_page(vault *v, const unsigned char *cid, const char *state, const char *after,
    int64_t limit, vault_correction_row_fn fn, void *arg, int *more, util_err *err)
{
	sqlite3_stmt *s;
	int64_t taken = 0;
	int rc, bad = 0;

	*more = 0;
	if (cursor_check(v, cid, state, after, err) != 0 ||
	    (s = vault_sql_stmt(v, cid != NULL ? OWN_PAGE_SQL : PAGE_SQL, err)) == NULL)
		return -1;
	if (cid != NULL)
		sqlite3_bind_blob(s, 1, cid, KEYS_CID_BYTES, SQLITE_STATIC);
	if (state != NULL)
		sqlite3_bind_text(s, 2, state, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, after, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, limit + 1);
	while (!bad && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (taken == limit) {
			*more = 1;
			break;
		}
		bad = row_to(s, fn, arg, err) != 0;
		taken++;
	}
	sqlite3_reset(s);
	if (bad)
		return -1;
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : vault_sql_fail(v, rc, err, "corrections");
}

int vault_row_correction_get(vault *v, const char *id, vault_correction_row_fn fn, void *arg, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT " COLUMNS " FROM corrections WHERE id = ?1", err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		rc = row_to(s, fn, arg, err) == 0 ? SQLITE_OK : -1;
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return util_fail(err, UTIL_ENOTFOUND, "no such correction request");
	return rc == SQLITE_OK ? 0 : rc == -1 ? -1 : vault_sql_fail(v, rc, err, "corrections");
}

int vault_row_correction_decide(vault *v, const char *id, const char *state, const unsigned char *reason, size_t rlen,
    const char *by, int64_t now, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "UPDATE corrections SET state = ?2, reason = ?3, decided_by = ?4, decided_at = ?5"
	                                    " WHERE id = ?1 AND state = 'pending'",
	    err);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, state, -1, SQLITE_STATIC);
	if (reason != NULL)
		sqlite3_bind_blob(s, 3, reason, (int)rlen, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, now);
	if (vault_sql_done(v, s, "corrections", err) != 0)
		return -1;
	return sqlite3_changes(v->db) == 0 ? util_fail(err, UTIL_ESTATE, "this correction request was already answered") : 0;
}

int vault_row_corrections_delete(vault *v, const unsigned char cid[KEYS_CID_BYTES], util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "DELETE FROM corrections WHERE cid = ?1", err);

	if (s == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, cid, KEYS_CID_BYTES, SQLITE_STATIC);
	return vault_sql_done(v, s, "corrections", err);
}
