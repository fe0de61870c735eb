/* sqlite_search.c: the officers' audit search and the citizens' entry check (SQLite). */
#include "audit.h"

#include "../vault/vault_sql.h"

int audit_search(vault *v, const audit_query *q, audit_report_entry_fn fn, void *arg, int *more, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT seq, entry FROM audit_entries WHERE seq > ?1 AND time >= ?2"
	                                    " AND time <= ?3 AND (?4 IS NULL OR agency_id = ?4)"
	                                    " AND (?5 IS NULL OR decision = ?5) AND (?6 IS NULL OR action = ?6)"
	                                    " ORDER BY seq LIMIT ?7",
	    err);
	int64_t n = 0;
	int rc;

	*more = 0;
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, q->after);
	sqlite3_bind_int64(s, 2, q->from);
	sqlite3_bind_int64(s, 3, q->to);
	if (q->agency_id != NULL)
		sqlite3_bind_text(s, 4, q->agency_id, -1, SQLITE_STATIC);
	if (q->decision != NULL)
		sqlite3_bind_text(s, 5, q->decision, -1, SQLITE_STATIC);
	if (q->action != NULL)
		sqlite3_bind_text(s, 6, q->action, -1, SQLITE_STATIC);
	/* limit + 1 rows are asked for: the extra one only says whether there is a next page */
	sqlite3_bind_int64(s, 7, q->limit + 1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n++ == q->limit) {
			*more = 1;
			rc = SQLITE_DONE;
			break;
		}
		if (fn(arg, sqlite3_column_int64(s, 0), sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1), err) !=
		    0) {
			sqlite3_reset(s);
			return -1;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : vault_sql_error(v, rc, err, "audit log");
}

int audit_entry_is_about(vault *v, int64_t seq, const unsigned char cid[KEYS_CID_BYTES], int *about, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT 1 FROM audit_entries WHERE seq = ?1 AND cid = ?2", err);
	int rc;

	*about = 0;
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, seq);
	sqlite3_bind_blob(s, 2, cid, KEYS_CID_BYTES, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	*about = rc == SQLITE_ROW;
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : vault_sql_error(v, rc, err, "audit log");
}
