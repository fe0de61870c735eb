/* sqlite_reports.c: what the reports and the officers' queue read of the audit log (SQLite). */
#include "audit.h"

#include "../vault/vault_sql.h"

/*
 * An emergency access: an allowed lookup on the vital-interest basis. The basis is only in
 * the entry's JSON, so it is matched there; this is the one place that says how.
 */
#define EMERGENCY_ACCESS                                                                                    \
	"e.action = 'lookup' AND e.decision = 'allow'"                                                          \
	" AND CAST(e.entry AS TEXT) LIKE '%\"basis\":\"vital_interest\"%'"

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

int audit_emergency_pending_count(vault *v, int64_t *n, util_err *err)
{
	return count(v,
	    "SELECT count(*) FROM audit_entries e LEFT JOIN reviews r ON r.seq = e.seq WHERE " EMERGENCY_ACCESS
	    " AND r.seq IS NULL",
	    "report", n, err);
}

int audit_emergency_pending(vault *v, int64_t after, int64_t limit, audit_report_entry_fn fn, void *arg, int *more,
    util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v,
	    "SELECT e.seq, e.entry FROM audit_entries e LEFT JOIN reviews r ON r.seq = e.seq WHERE " EMERGENCY_ACCESS
	    " AND r.seq IS NULL AND e.seq > ?1 ORDER BY e.seq LIMIT ?2",
	    err);
	int64_t n = 0;
	int rc;

	*more = 0;
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int64(s, 2, limit + 1); /* one more: is there a next page? */
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && !(*more = n++ >= limit)) {
		if (fn(arg, sqlite3_column_int64(s, 0), sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1), err) !=
		    0) {
			sqlite3_reset(s);
			return -1;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : vault_sql_error(v, rc, err, "audit log");
}

int audit_emergency_get(vault *v, int64_t seq, audit_report_entry_fn fn, void *arg, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT e.seq, e.entry FROM audit_entries e WHERE e.seq = ?1 AND " EMERGENCY_ACCESS,
	    err);
	int rc, frc = 0;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, seq);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		frc = fn(arg, sqlite3_column_int64(s, 0), sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1), err);
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return util_fail(err, UTIL_ENOTFOUND, "no such emergency access");
	if (rc != SQLITE_ROW)
		return vault_sql_error(v, rc, err, "audit log");
	return frc == 0 ? 0 : -1;
}
