/* sqlite_lists.c: a citizen's pages of pending requests and of consents, on SQLite, one row at a time to the caller. */
#include "policy_private.h"

#include <stdio.h>

#include "../vault/sqlite.h"

/*
 * Steps a list's query (rows in rowid order, all after pg->after's, the id in column 0) for one
 * page of pg->limit rows taken: SQLITE_DONE once it is full, pg->next then the id of the last
 * row stepped, or at the end of the rows, pg->next then "".
 */
static int page_step(sqlite3_stmt *s, policy_page *pg, int64_t taken)
{
	int rc = sqlite3_step(s);
	const unsigned char *t;

	if (rc == SQLITE_DONE)
		pg->next[0] = '\0';
	if (rc != SQLITE_ROW || taken >= pg->limit)
		return rc == SQLITE_ROW ? SQLITE_DONE : rc;
	t = sqlite3_column_text(s, 0);
	snprintf(pg->next, sizeof pg->next, "%s", t ? (const char *)t : "");
	return SQLITE_ROW;
}

/* 0 if pg->after is "" or the id of one of cid's rows (sql, the cursor's check); else UTIL_EINVAL. */
static int page_cursor(vault *v, const char *sql, const unsigned char cid[KEYS_CID_BYTES], const policy_page *pg,
    util_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if (pg->after[0] == '\0')
		return 0;
	if ((s = vault_sql_stmt(v, sql, err)) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, pg->after, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, cid, KEYS_CID_BYTES, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? util_fail(err, UTIL_EINVAL, "query argument after is not a next of this list")
	                         : vault_sql_error(v, rc, err, "page");
}

#define TEXT(s, col) ((const char *)sqlite3_column_text((s), (col)))

/* Columns 0..7 (id, agency id and name, purpose id and code, descriptions vi and en, basis) of either list. */
static void row_common(sqlite3_stmt *s, policy_list_row *r)
{
	*r = (policy_list_row){.id = TEXT(s, 0), .agency_id = TEXT(s, 1), .agency_name = TEXT(s, 2),
		.purpose_id = TEXT(s, 3), .code = TEXT(s, 4), .desc_vi = TEXT(s, 5), .desc_en = TEXT(s, 6),
		.basis = (policy_basis)sqlite3_column_int(s, 7)};
}

/* Runs a list's query s, cursor checked by cursor_sql, handing fill's rows to fn one page's worth. */
static int list_run(vault *v, sqlite3_stmt *s, const char *cursor_sql, void (*fill)(sqlite3_stmt *, policy_list_row *),
    const unsigned char cid[KEYS_CID_BYTES], policy_page *pg, policy_list_fn fn, void *ctx, util_err *err)
{
	policy_list_row r;
	int64_t taken = 0;
	int rc;

	if (s == NULL || page_cursor(v, cursor_sql, cid, pg, err) != 0)
		return -1;
	while ((rc = page_step(s, pg, taken)) == SQLITE_ROW) {
		fill(s, &r);
		taken += fn(ctx, &r) > 0;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : vault_sql_error(v, rc, err, "list");
}

static void request_fill(sqlite3_stmt *s, policy_list_row *r)
{
	row_common(s, r);
	r->legal_reference = sqlite3_column_type(s, 8) != SQLITE_NULL ? TEXT(s, 8) : NULL;
	r->fields = TEXT(s, 9);
	r->days = sqlite3_column_int(s, 10);
	r->from = sqlite3_column_int64(s, 11);
	r->until = sqlite3_column_int64(s, 12);
	r->retention_days = sqlite3_column_int(s, 13);
}

int policy_store_requests_pending(vault *v, const unsigned char cid[KEYS_CID_BYTES], policy_page *pg, policy_list_fn fn,
    void *ctx, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v,
	    "SELECT r.id, r.agency_id, a.name, r.purpose_id, p.code, p.desc_vi, p.desc_en, p.basis, p.legal_reference,"
	    " r.fields, r.days, r.created_at, r.expires_at, p.retention_days FROM consent_requests r"
	    " JOIN agencies a ON a.id = r.agency_id JOIN purposes p ON p.id = r.purpose_id WHERE r.cid = ?1 AND r.status = 'pending' AND r.expires_at > ?2"
	    " AND r.rowid > coalesce((SELECT rowid FROM consent_requests WHERE id = ?3 AND cid = ?1), 0) ORDER BY r.rowid",
	    err);

	if (s != NULL) {
		sqlite3_bind_blob(s, 1, cid, KEYS_CID_BYTES, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, util_now());
		sqlite3_bind_text(s, 3, pg->after, -1, SQLITE_STATIC);
	}
	return list_run(v, s, "SELECT 1 FROM consent_requests WHERE id = ?1 AND cid = ?2", request_fill, cid, pg, fn, ctx,
	    err);
}

static void consent_fill(sqlite3_stmt *s, policy_list_row *r)
{
	row_common(s, r);
	r->fields = TEXT(s, 8);
	r->from = sqlite3_column_int64(s, 9);
	r->until = sqlite3_column_int64(s, 10);
	r->revoked_at = sqlite3_column_int64(s, 11);
	r->use_limit = sqlite3_column_int64(s, 12);
	r->uses = sqlite3_column_int64(s, 13);
	r->retention_days = sqlite3_column_int(s, 14);
}

int policy_store_consents_list(vault *v, const unsigned char cid[KEYS_CID_BYTES], policy_page *pg, policy_list_fn fn,
    void *ctx, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v,
	    "SELECT c.id, c.agency_id, a.name, c.purpose_id, p.code, p.desc_vi, p.desc_en, p.basis, c.fields,"
	    " c.granted_at, c.expires_at, c.revoked_at, c.use_limit, c.uses, p.retention_days FROM consents c"
	    " JOIN agencies a ON a.id = c.agency_id JOIN purposes p ON p.id = c.purpose_id WHERE c.cid = ?1"
	    " AND c.rowid > coalesce((SELECT rowid FROM consents WHERE id = ?2 AND cid = ?1), 0) ORDER BY c.rowid",
	    err);

	if (s != NULL) {
		sqlite3_bind_blob(s, 1, cid, KEYS_CID_BYTES, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, pg->after, -1, SQLITE_STATIC);
	}
	return list_run(v, s, "SELECT 1 FROM consents WHERE id = ?1 AND cid = ?2", consent_fill, cid, pg, fn, ctx, err);
}
