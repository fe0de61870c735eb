/* sqlite_subject.c: the subjects of pending consent requests (request_subjects) on SQLite: the cap's count, keeping and dropping them. */
#include "policy_private.h"

#include "../vault/sqlite.h"

int policy_pending_cap(vault *v, const char *agency_id, const unsigned char subject[POLICY_SUBJECT_BYTES], int64_t now,
    util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT count(*) FROM request_subjects WHERE agency_id = ?1 AND subject = ?2"
	                                    " AND expires_at > ?3",
	    err);
	int64_t n;
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, agency_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, subject, POLICY_SUBJECT_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now);
	rc = sqlite3_step(s);
	n = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return vault_sql_error(v, rc, err, "pending requests");
	if (n >= POLICY_PENDING_MAX)
		return util_fail(err, UTIL_ESTATE, "this agency already has %d pending requests for this national ID:"
		                                   " wait for an answer or for one to expire",
		    POLICY_PENDING_MAX);
	return 0;
}

int policy_subject_put(vault *v, const char *request_id, const char *agency_id,
    const unsigned char subject[POLICY_SUBJECT_BYTES], int64_t expires_at, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "INSERT INTO request_subjects(id, agency_id, subject, expires_at)"
	                                    " VALUES (?1, ?2, ?3, ?4)",
	    err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, request_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, agency_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, subject, POLICY_SUBJECT_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, expires_at);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : vault_sql_error(v, rc, err, "request subject");
}

int policy_subject_drop(vault *v, const char *request_id, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "DELETE FROM request_subjects WHERE id = ?1", err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, request_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : vault_sql_error(v, rc, err, "request subject");
}
