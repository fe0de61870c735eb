/* sqlite_pages.c: the registry in pages, as the officers' pages list it: agencies and purposes (SQLite). */
#include "policy.h"

#include "../vault/sqlite.h"

static const char *col(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? (const char *)t : "";
}

/* After a page's walk: resets s and says whether it ended well (rc the last step's). */
static int page_end(vault *v, sqlite3_stmt *s, int rc, const char *what, util_err *err)
{
	sqlite3_reset(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : vault_sql_error(v, rc, err, what);
}

int policy_agencies_page(vault *v, policy_list_page *pg, policy_report_agency_fn fn, void *arg, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT rowid, id, name, roles, suspended, created_at FROM agencies"
	                                    " WHERE rowid > ?1 ORDER BY rowid LIMIT ?2",
	    err);
	int64_t n = 0;
	int rc;

	pg->more = 0;
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, pg->after);
	sqlite3_bind_int64(s, 2, pg->limit + 1); /* one more: is there a next page? */
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && !(pg->more = n++ >= pg->limit)) {
		policy_report_agency a = {.id = col(s, 1), .name = col(s, 2), .roles = (unsigned)sqlite3_column_int(s, 3),
			.suspended = sqlite3_column_int(s, 4), .created_at = sqlite3_column_int64(s, 5)};

		pg->last = sqlite3_column_int64(s, 0);
		if (fn(arg, &a, err) != 0) {
			sqlite3_reset(s);
			return -1;
		}
	}
	return page_end(v, s, rc, "agencies", err);
}

int policy_purposes_page(vault *v, const char *agency_id, policy_list_page *pg, policy_report_purpose_fn fn, void *arg,
    util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT p.rowid, p.id, p.agency_id, a.name, p.code, p.desc_vi, p.desc_en, p.basis,"
	                                    " p.legal_reference, p.fields, p.max_days, p.retention_days, p.created_at"
	                                    " FROM purposes p JOIN agencies a ON a.id = p.agency_id"
	                                    " WHERE p.rowid > ?1 AND (?2 IS NULL OR p.agency_id = ?2) ORDER BY p.rowid LIMIT ?3",
	    err);
	int64_t n = 0;
	int rc;

	pg->more = 0;
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, pg->after);
	if (agency_id != NULL)
		sqlite3_bind_text(s, 2, agency_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, pg->limit + 1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && !(pg->more = n++ >= pg->limit)) {
		policy_report_purpose p = {.id = col(s, 1), .agency_id = col(s, 2), .agency_name = col(s, 3),
			.code = col(s, 4), .desc_vi = col(s, 5), .desc_en = col(s, 6),
			.basis = (policy_basis)sqlite3_column_int(s, 7),
			.legal_reference = sqlite3_column_type(s, 8) == SQLITE_NULL ? NULL : col(s, 8), .fields = col(s, 9),
			.max_days = sqlite3_column_int(s, 10), .retention_days = sqlite3_column_int(s, 11),
			.created_at = sqlite3_column_int64(s, 12)};

		pg->last = sqlite3_column_int64(s, 0);
		if (fn(arg, &p, err) != 0) {
			sqlite3_reset(s);
			return -1;
		}
	}
	return page_end(v, s, rc, "purposes", err);
}
