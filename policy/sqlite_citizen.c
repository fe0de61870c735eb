/* sqlite_citizen.c: what policy keeps about one citizen, on SQLite: a consent revoked, a restriction set or lifted, all of it forgotten. */
#include "policy_private.h"

#include "../vault/sqlite.h"

/* Runs sql (a literal) with cid as ?1, and now as ?2 when it has one. */
static int run_cid(vault *v, const char *sql, const unsigned char cid[KEYS_CID_BYTES], util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, sql, err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, cid, KEYS_CID_BYTES, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(s) >= 2)
		sqlite3_bind_int64(s, 2, util_now());
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : vault_sql_error(v, rc, err, "policy store");
}

int policy_store_restriction(vault *v, const unsigned char cid[KEYS_CID_BYTES], int on, util_err *err)
{
	return on ? run_cid(v, "INSERT OR IGNORE INTO restrictions(cid, since) VALUES (?1, ?2)", cid, err)
	          : run_cid(v, "DELETE FROM restrictions WHERE cid = ?1", cid, err);
}

int policy_store_restriction_get(vault *v, const unsigned char cid[KEYS_CID_BYTES], int *on, int64_t *since,
    util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT since FROM restrictions WHERE cid = ?1", err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, cid, KEYS_CID_BYTES, SQLITE_STATIC);
	rc = sqlite3_step(s);
	*on = rc == SQLITE_ROW;
	*since = *on ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : vault_sql_error(v, rc, err, "restriction");
}

int policy_store_citizen_forget(vault *v, const unsigned char cid[KEYS_CID_BYTES], util_err *err)
{
	static const char *const sql[] = {
		/* their consents go: an approved request reads as one whose consent was revoked */
		"UPDATE consent_requests SET status = 'revoked' WHERE cid = ?1 AND status = 'approved'",
		"DELETE FROM consents WHERE cid = ?1",
		"UPDATE consent_requests SET cid = NULL WHERE cid = ?1", /* as if to nobody: nothing changes for the agency */
		"DELETE FROM restrictions WHERE cid = ?1",
	};
	size_t i;

	for (i = 0; i < sizeof sql / sizeof sql[0]; i++)
		if (run_cid(v, sql[i], cid, err) != 0)
			return -1;
	return 0;
}

int policy_store_consent_revoke(vault *v, const unsigned char cid[KEYS_CID_BYTES], const char *consent_id,
    char agency[POLICY_ID_MAX + 1], char purpose[POLICY_ID_MAX + 1], util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT agency_id, purpose_id FROM consents WHERE id = ?1 AND cid = ?2"
	                                    " AND revoked_at = 0",
	    err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, consent_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, cid, KEYS_CID_BYTES, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		vault_sql_text(s, 0, agency, POLICY_ID_MAX + 1);
		vault_sql_text(s, 1, purpose, POLICY_ID_MAX + 1);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return util_fail(err, UTIL_ENOTFOUND, "no such active consent");
	if ((s = vault_sql_stmt(v, "UPDATE consents SET revoked_at = ?2 WHERE id = ?1", err)) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, consent_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, util_now());
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : vault_sql_error(v, rc, err, "policy store");
}
