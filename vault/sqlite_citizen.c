/* sqlite_citizen.c: the citizens table (SQLite): rows in and out, nothing opened or sealed here. */
#include "sqlite_private.h"

#include <string.h>

/* Copies the wrapped DEK of column col; ECORRUPT when it is not one. */
static int copy_keys(sqlite3_stmt *s, int kek_col, vault_row_keys *k, util_err *err)
{
	size_t n = (size_t)sqlite3_column_bytes(s, kek_col + 1);

	if (n != KEYS_WRAPPED_DEK_BYTES)
		return util_fail(err, UTIL_ECORRUPT, "a citizen's wrapped key is malformed");
	k->kek = (uint32_t)sqlite3_column_int64(s, kek_col);
	memcpy(k->wrapped, sqlite3_column_blob(s, kek_col + 1), n);
	k->dek_version = (uint32_t)sqlite3_column_int64(s, kek_col + 2);
	return 0;
}

/* Copies blob column col (at most max bytes) into out. */
static int copy_blob(sqlite3_stmt *s, int col, unsigned char *out, size_t max, size_t *n, util_err *err)
{
	*n = (size_t)sqlite3_column_bytes(s, col);
	if (*n > max)
		return util_fail(err, UTIL_ECORRUPT, "a record is larger than any catalog allows");
	memcpy(out, sqlite3_column_blob(s, col), *n);
	return 0;
}

int vault_row_insert(vault *v, const vault_row_new *r, util_err *err)
{
	sqlite3_stmt *s = vault_stmt(v, ST_CITIZEN_INSERT, err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, r->cid, KEYS_CID_BYTES, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, r->index, VAULT_INDEX_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, r->kek);
	sqlite3_bind_blob(s, 4, r->wrapped, KEYS_WRAPPED_DEK_BYTES, SQLITE_STATIC);
	sqlite3_bind_blob(s, 5, r->record, (int)r->rlen, SQLITE_STATIC);
	sqlite3_bind_blob(s, 6, r->totp, (int)r->tlen, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, r->now);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_CONSTRAINT) /* a unique index: the national ID (a cid collision at 2^-128 would land here too) */
		return util_fail(err, UTIL_EEXISTS, "this national ID is already enrolled");
	return rc == SQLITE_DONE ? 0 : vault_sql_fail(v, rc, err, "enrol");
}

int vault_row_find(vault *v, const unsigned char index[VAULT_INDEX_BYTES], unsigned char cid[KEYS_CID_BYTES],
    util_err *err)
{
	sqlite3_stmt *s = vault_stmt(v, ST_CITIZEN_BY_INDEX, err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, index, VAULT_INDEX_BYTES, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(s, 0) == KEYS_CID_BYTES) {
		memcpy(cid, sqlite3_column_blob(s, 0), KEYS_CID_BYTES);
		/* the next load of this citizen goes by rowid (vault_row_load) */
		memcpy(v->found_cid, cid, KEYS_CID_BYTES);
		v->found_row = sqlite3_column_int64(s, 1);
		sqlite3_reset(s);
		return 0;
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return util_fail(err, UTIL_ENOTFOUND, "no such citizen");
	return vault_sql_fail(v, rc, err, "find citizen");
}

int vault_row_load(vault *v, const unsigned char cid[KEYS_CID_BYTES], vault_row_keys *k, unsigned char *record,
    size_t max, size_t *rlen, util_err *err)
{
	sqlite3_stmt *s;
	int rc, by_row = v->found_row > 0 && memcmp(v->found_cid, cid, KEYS_CID_BYTES) == 0;

again:
	/* just found (a lookup): by rowid, one B-tree instead of the cid index and then the table */
	if ((s = vault_stmt(v, by_row ? ST_CITIZEN_GET_ROW : ST_CITIZEN_GET, err)) == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, cid, KEYS_CID_BYTES, SQLITE_STATIC);
	if (by_row)
		sqlite3_bind_int64(s, 2, v->found_row);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE && by_row) { /* not there any more: by the cid, which is the truth */
		sqlite3_reset(s);
		v->found_row = by_row = 0;
		goto again;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return rc == SQLITE_DONE ? util_fail(err, UTIL_ENOTFOUND, "no such citizen")
		                         : vault_sql_fail(v, rc, err, "read citizen");
	}
	rc = copy_keys(s, 0, k, err) != 0 || copy_blob(s, 3, record, max, rlen, err) != 0 ? -1 : 0;
	sqlite3_reset(s);
	return rc;
}

int vault_row_set_record(vault *v, const unsigned char cid[KEYS_CID_BYTES], const unsigned char *record, size_t n,
    int64_t now, util_err *err)
{
	sqlite3_stmt *s = vault_stmt(v, ST_CITIZEN_UPDATE, err);

	if (s == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, cid, KEYS_CID_BYTES, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, record, (int)n, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now);
	return vault_sql_done(v, s, "rectify", err);
}

int vault_row_delete(vault *v, const unsigned char cid[KEYS_CID_BYTES], util_err *err)
{
	sqlite3_stmt *s = vault_stmt(v, ST_CITIZEN_DELETE, err);

	if (s == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, cid, KEYS_CID_BYTES, SQLITE_STATIC);
	if (vault_sql_done(v, s, "erase", err) != 0)
		return -1;
	return sqlite3_changes(v->db) == 0 ? util_fail(err, UTIL_ENOTFOUND, "no such citizen") : 0;
}

int vault_rows_v1(vault *v, int64_t after, int64_t limit, vault_row_fn fn, void *arg, util_err *err)
{
	/* the rows' own format byte says which are left: a stopped migration resumes where it was */
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT id, cid, kek_version, dek, dek_version, fields FROM citizens"
	                                    " WHERE id > ?1 AND substr(fields, 1, 1) = x'01' ORDER BY id LIMIT ?2", err);
	vault_work *w = v->work;
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int64(s, 2, limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		unsigned char cid[KEYS_CID_BYTES];
		vault_row_keys k;
		size_t n;

		if (sqlite3_column_bytes(s, 1) != KEYS_CID_BYTES) {
			sqlite3_reset(s);
			return util_fail(err, UTIL_ECORRUPT, "a citizen's row is malformed");
		}
		memcpy(cid, sqlite3_column_blob(s, 1), KEYS_CID_BYTES);
		if (copy_keys(s, 2, &k, err) != 0 || copy_blob(s, 5, w->blob, VAULT_REC_MAX, &n, err) != 0 ||
		    fn(arg, sqlite3_column_int64(s, 0), cid, &k, n, err) != 0) {
			sqlite3_reset(s);
			return -1;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : vault_sql_fail(v, rc, err, "read records of format 1");
}

int vault_row_set_record_at(vault *v, int64_t id, const unsigned char *record, size_t n, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "UPDATE citizens SET fields = ?2 WHERE id = ?1", err);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_blob(s, 2, record, (int)n, SQLITE_STATIC);
	return vault_sql_done(v, s, "rewrite a record", err);
}

int vault_row_totp(vault *v, const unsigned char cid[KEYS_CID_BYTES], vault_row_keys *k,
    unsigned char sealed[VAULT_TOTP_SECRET_BYTES + VAULT_FIELD_OVERHEAD], int64_t *last_step, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT kek_version, dek, dek_version, totp, totp_step FROM citizens"
	                                    " WHERE cid = ?1", err);
	size_t n;
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, cid, KEYS_CID_BYTES, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return rc == SQLITE_DONE ? util_fail(err, UTIL_ENOTFOUND, "no such citizen")
		                         : vault_sql_fail(v, rc, err, "read citizen");
	}
	*last_step = sqlite3_column_int64(s, 4);
	rc = copy_keys(s, 0, k, err);
	if (rc == 0 && sqlite3_column_bytes(s, 3) != VAULT_TOTP_SECRET_BYTES + VAULT_FIELD_OVERHEAD)
		rc = util_fail(err, UTIL_ECORRUPT, "a TOTP secret has the wrong size");
	if (rc == 0)
		rc = copy_blob(s, 3, sealed, VAULT_TOTP_SECRET_BYTES + VAULT_FIELD_OVERHEAD, &n, err);
	sqlite3_reset(s);
	return rc;
}

int vault_row_totp_use(vault *v, const unsigned char cid[KEYS_CID_BYTES], int64_t step, util_err *err)
{
	/* one statement: two requests with the same code cannot both pass */
	sqlite3_stmt *s = vault_sql_stmt(v, "UPDATE citizens SET totp_step = ?2 WHERE cid = ?1 AND totp_step < ?2", err);

	if (s == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, cid, KEYS_CID_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, step);
	if (vault_sql_done(v, s, "totp", err) != 0)
		return -1;
	return sqlite3_changes(v->db) == 1 ? 0 : util_fail(err, UTIL_ESTATE, "this code was already used");
}

int vault_row_totp_set(vault *v, const unsigned char cid[KEYS_CID_BYTES],
    const unsigned char sealed[VAULT_TOTP_SECRET_BYTES + VAULT_FIELD_OVERHEAD], util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "UPDATE citizens SET totp = ?2, totp_step = 0 WHERE cid = ?1", err);

	if (s == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, cid, KEYS_CID_BYTES, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, sealed, VAULT_TOTP_SECRET_BYTES + VAULT_FIELD_OVERHEAD, SQLITE_STATIC);
	return vault_sql_done(v, s, "totp", err);
}
