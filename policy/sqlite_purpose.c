/* sqlite_purpose.c: an agency's purposes on SQLite: storing one, reading its rule and its descriptions. */
#include "policy_private.h"

#include <stdio.h>
#include <string.h>

#include "../vault/sqlite.h"


int policy_store_purpose_put(vault *v, const char *id, const policy_purpose_def *d, const char *fields_json,
    util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "INSERT INTO purposes(id, agency_id, code, desc_vi, desc_en, basis,"
	                                    " legal_reference, fields, max_days, retention_days, created_at)"
	                                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	    err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, d->agency_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, d->code, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, d->desc_vi, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, d->desc_en, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 6, (int)d->basis);
	if (d->legal_reference != NULL)
		sqlite3_bind_text(s, 7, d->legal_reference, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 8, fields_json, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 9, d->max_days);
	sqlite3_bind_int(s, 10, d->retention_days);
	sqlite3_bind_int64(s, 11, util_now());
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_CONSTRAINT)
		return util_fail(err, UTIL_EEXISTS, "the agency already has a purpose with this code");
	return rc == SQLITE_DONE ? 0 : vault_sql_error(v, rc, err, "purpose");
}

int policy_store_purpose_get(vault *v, const char *agency_id, const char *code, const char *id, policy_purpose *p,
    util_err *err)
{
	sqlite3_stmt *s;
	int rc;

	s = code != NULL ? vault_sql_stmt(v, "SELECT id, agency_id, basis, fields FROM purposes WHERE agency_id = ?1 AND code = ?2",
	                       err)
	                 : vault_sql_stmt(v, "SELECT id, agency_id, basis, fields FROM purposes WHERE id = ?1", err);
	if (s == NULL)
		return -1;
	if (code != NULL) {
		sqlite3_bind_text(s, 1, agency_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, code, -1, SQLITE_STATIC);
	} else {
		sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	}
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return rc == SQLITE_DONE ? util_fail(err, UTIL_ENOTFOUND, "no such purpose") : vault_sql_error(v, rc, err, "purpose");
	}
	memset(p, 0, sizeof *p);
	vault_sql_text(s, 0, p->id, sizeof p->id);
	vault_sql_text(s, 1, p->agency_id, sizeof p->agency_id);
	p->basis = (policy_basis)sqlite3_column_int(s, 2);
	rc = policy_fields_parse((const char *)sqlite3_column_text(s, 3), p->fields, &p->nfields);
	sqlite3_reset(s);
	return rc == 0 ? 0 : util_fail(err, UTIL_ECORRUPT, "a stored purpose is malformed");
}

int policy_store_purpose_info(vault *v, const char *id, policy_purpose_info *pi, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT code, desc_vi, desc_en, legal_reference, max_days, retention_days"
	                                    " FROM purposes WHERE id = ?1",
	    err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		vault_sql_text(s, 0, pi->code, sizeof pi->code);
		vault_sql_text(s, 1, pi->desc_vi, sizeof pi->desc_vi);
		vault_sql_text(s, 2, pi->desc_en, sizeof pi->desc_en);
		vault_sql_text(s, 3, pi->ref, sizeof pi->ref);
		pi->max_days = sqlite3_column_int(s, 4);
		pi->retention_days = sqlite3_column_int(s, 5);
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : util_fail(err, UTIL_ECORRUPT, "a purpose is missing");
}
