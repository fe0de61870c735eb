/* sqlite_reports.c: the registry and the consents in force, as the reports read them (SQLite). */
#include "policy.h"

#include "../vault/sqlite.h"

static const char *col(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? (const char *)t : "";
}

int policy_report_agencies(vault *v, policy_report_agency_fn fn, void *arg, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT id, name, roles, suspended, created_at FROM agencies"
	                                    " ORDER BY created_at, rowid",
	    err);
	int rc;

	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		policy_report_agency a = {.id = col(s, 0), .name = col(s, 1), .roles = (unsigned)sqlite3_column_int(s, 2),
			.suspended = sqlite3_column_int(s, 3), .created_at = sqlite3_column_int64(s, 4)};

		if (fn(arg, &a, err) != 0) {
			sqlite3_reset(s);
			return -1;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : vault_sql_error(v, rc, err, "agencies");
}

int policy_report_purposes(vault *v, policy_report_purpose_fn fn, void *arg, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT id, agency_id, code, desc_vi, desc_en, basis, legal_reference, fields,"
	                                    " max_days, retention_days, created_at FROM purposes ORDER BY created_at, rowid",
	    err);
	int rc;

	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		policy_report_purpose p = {.id = col(s, 0), .agency_id = col(s, 1), .code = col(s, 2), .desc_vi = col(s, 3),
			.desc_en = col(s, 4), .basis = (policy_basis)sqlite3_column_int(s, 5),
			.legal_reference = sqlite3_column_type(s, 6) == SQLITE_NULL ? NULL : col(s, 6), .fields = col(s, 7),
			.max_days = sqlite3_column_int(s, 8), .retention_days = sqlite3_column_int(s, 9),
			.created_at = sqlite3_column_int64(s, 10)};

		if (fn(arg, &p, err) != 0) {
			sqlite3_reset(s);
			return -1;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : vault_sql_error(v, rc, err, "purposes");
}

int policy_report_consents_in_force(vault *v, int64_t now, policy_report_count_fn fn, void *arg, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT purpose_id, count(*) FROM consents WHERE revoked_at = 0"
	                                    " AND expires_at > ?1 AND (use_limit = 0 OR uses < use_limit) GROUP BY purpose_id",
	    err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		fn(arg, col(s, 0), sqlite3_column_int64(s, 1));
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : vault_sql_error(v, rc, err, "consents");
}
