/* sqlite_registry.c: the registry's agencies on SQLite: storing, reading and suspending one. */
#include "policy_private.h"

#include <stdio.h>
#include <string.h>

#include "../vault/sqlite.h"

int policy_store_agency_put(vault *v, const char *id, const char *name, unsigned roles, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "INSERT INTO agencies(id, name, roles, created_at) VALUES (?1, ?2, ?3, ?4)", err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, (int)roles);
	sqlite3_bind_int64(s, 4, util_now());
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : vault_sql_error(v, rc, err, "policy store");
}

int policy_store_agency_get(vault *v, const char *id, policy_agency *a, char name[POLICY_NAME_MAX + 1], util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT name, roles, suspended FROM agencies WHERE id = ?1", err);
	const unsigned char *t;
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return rc == SQLITE_DONE ? util_fail(err, UTIL_ENOTFOUND, "no such agency") : vault_sql_error(v, rc, err, "agency");
	}
	memset(a, 0, sizeof *a);
	snprintf(a->id, sizeof a->id, "%s", id);
	a->roles = (unsigned)sqlite3_column_int(s, 1);
	a->suspended = sqlite3_column_int(s, 2);
	if (name != NULL) {
		t = sqlite3_column_text(s, 0);
		snprintf(name, POLICY_NAME_MAX + 1, "%s", t ? (const char *)t : "");
	}
	sqlite3_reset(s);
	return 0;
}

int policy_store_agency_suspend(vault *v, const char *id, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "UPDATE agencies SET suspended = 1 WHERE id = ?1", err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return vault_sql_error(v, rc, err, "policy store");
	return sqlite3_changes(vault_sql_db(v)) == 0 ? util_fail(err, UTIL_ENOTFOUND, "no such agency") : 0;
}
