/* sqlite_reports.c: what the privacy reports, officers and citizens read of the audit log (SQLite). */
#include "audit.h"
#include "audit_db.h"

#include <string.h>

#include "../vault/sqlite.h"

/*
 * Steps s, whose rows are (seq, entry), handing each to fn: at most limit rows (limit < 0: all),
 * *more (may be NULL) set when another row follows. Resets s. 0, or -1 with err filled.
 */
static int walk(vault *v, sqlite3_stmt *s, int64_t limit, audit_report_entry_fn fn, void *arg, int *more, util_err *err)
{
	int64_t n = 0;
	int rc;

	if (more != NULL)
		*more = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (limit >= 0 && n++ >= limit) {
			if (more != NULL)
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

int audit_report_lookups(vault *v, int64_t from, int64_t to, audit_report_entry_fn fn, void *arg, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT seq, entry FROM audit_entries WHERE action = 'lookup'"
	                                    " AND time >= ?1 AND time <= ?2 ORDER BY seq",
	    err);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, from);
	sqlite3_bind_int64(s, 2, to);
	return walk(v, s, -1, fn, arg, NULL, err);
}

int audit_checkpoint_count(vault *v, int64_t *n, util_err *err)
{
	return vault_sql_int(v, "SELECT count(*) FROM audit_checkpoints", "report", n, err);
}

/* ---- the officers' search and the citizens' entry check ---- */

int audit_search(vault *v, const audit_query *q, audit_report_entry_fn fn, void *arg, int *more, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT seq, entry FROM audit_entries WHERE seq > ?1 AND time >= ?2"
	                                    " AND time <= ?3 AND (?4 IS NULL OR agency_id = ?4)"
	                                    " AND (?5 IS NULL OR decision = ?5) AND (?6 IS NULL OR action = ?6)"
	                                    " ORDER BY seq LIMIT ?7",
	    err);

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
	return walk(v, s, q->limit, fn, arg, more, err);
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

/* ---- allowed lookups on one legal basis (the officers' emergency queue) ---- */

/*
 * An entry is an allowed lookup on a basis when its action and decision say so and its JSON
 * holds "basis":"<basis>" (the encoder escapes every quote inside a value, so only the key
 * itself can match). instr, not LIKE: a basis has '_', a LIKE wildcard.
 */
#define ON_BASIS "action = 'lookup' AND decision = 'allow' AND instr(CAST(entry AS TEXT), ?1) > 0"

/*
 * sql's statement, its ?1 bound to basis's pattern and ?2 to n; NULL with err filled. For the
 * vital-interest basis, emergency's instead: the same query with the condition of the partial
 * index audit_emergency spelled out (AUDIT_EMERGENCY_SQL), which reads the emergency accesses
 * alone rather than every entry after n.
 */
static sqlite3_stmt *basis_stmt(vault *v, const char *sql, const char *emergency, const char *basis, int64_t n,
    util_err *err)
{
	sqlite3_stmt *s;
	char pat[64];
	int len = snprintf(pat, sizeof pat, "\"basis\":\"%s\"", basis);

	if (len <= 0 || (size_t)len >= sizeof pat) {
		util_fail(err, UTIL_EINVAL, "basis too long");
		return NULL;
	}
	if (strcmp(basis, AUDIT_EMERGENCY_BASIS) == 0) {
		if ((s = vault_sql_stmt(v, emergency, err)) != NULL)
			sqlite3_bind_int64(s, 2, n);
		return s;
	}
	if ((s = vault_sql_stmt(v, sql, err)) == NULL)
		return NULL;
	sqlite3_bind_text(s, 1, pat, len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, n);
	return s;
}

int audit_allowed_on_basis(vault *v, const char *basis, int64_t after, audit_report_entry_fn fn, void *arg,
    util_err *err)
{
	sqlite3_stmt *s = basis_stmt(v, "SELECT seq, entry FROM audit_entries WHERE seq > ?2 AND " ON_BASIS " ORDER BY seq",
	    "SELECT seq, entry FROM audit_entries INDEXED BY audit_emergency WHERE seq > ?2 AND " AUDIT_EMERGENCY_SQL
	    " ORDER BY seq",
	    basis, after, err);
	int rc, frc = 0;

	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW &&
	       (frc = fn(arg, sqlite3_column_int64(s, 0), sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1),
	            err)) == 0)
		;
	sqlite3_reset(s);
	if (frc != 0)
		return frc > 0 ? 0 : -1;
	return rc == SQLITE_DONE ? 0 : vault_sql_error(v, rc, err, "audit log");
}

int audit_allowed_on_basis_get(vault *v, const char *basis, int64_t seq, audit_report_entry_fn fn, void *arg,
    util_err *err)
{
	sqlite3_stmt *s = basis_stmt(v, "SELECT seq, entry FROM audit_entries WHERE seq = ?2 AND " ON_BASIS,
	    "SELECT seq, entry FROM audit_entries WHERE seq = ?2 AND " AUDIT_EMERGENCY_SQL, basis, seq, err);
	int rc, frc = 0;

	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		frc = fn(arg, sqlite3_column_int64(s, 0), sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1), err);
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return util_fail(err, UTIL_ENOTFOUND, "no such entry");
	if (rc != SQLITE_ROW)
		return vault_sql_error(v, rc, err, "audit log");
	return frc < 0 ? -1 : 0;
}
