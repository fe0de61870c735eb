/* sqlite_reports.c: what the privacy reports read of the audit log (SQLite). */
#include "audit.h"

#include "../vault/vault_sql.h"

int audit_report_lookups(vault *v, int64_t from, int64_t to, audit_report_entry_fn fn, void *arg, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT seq, entry FROM audit_entries WHERE action = 'lookup'"
	                                    " AND time >= ?1 AND time <= ?2 ORDER BY seq",
	    err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, from);
	sqlite3_bind_int64(s, 2, to);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (fn(arg, sqlite3_column_int64(s, 0), sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1), err) !=
		    0) {
			sqlite3_reset(s);
			return -1;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : vault_sql_error(v, rc, err, "audit log");
}

/* The one integer the statement sql (a literal) returns into *out; 0, or -1 with err filled. */
static int count(vault *v, const char *sql, const char *what, int64_t *out, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, sql, err);
	int rc;

	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : vault_sql_error(v, rc, err, what);
}

int audit_checkpoint_count(vault *v, int64_t *n, util_err *err)
{
	return count(v, "SELECT count(*) FROM audit_checkpoints", "report", n, err);
}
