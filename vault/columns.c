/* columns.c: migration 8's columns, added only where missing, so that the migration may run again. */
#include "vault_private.h"

#include <stdio.h>

/*
 * SQLite (3.15) has no "ADD COLUMN IF NOT EXISTS" and no pragma_table_info() function: a column
 * is there when a statement naming it prepares. A vault whose version was moved back (a test,
 * an operator's repair) keeps the columns, and the migration runs again without failing.
 */
static const char *const columns[][3] = {
	{"tokens", "id", "TEXT"},                                   /* public id, "tk_" + 16 hex */
	{"tokens", "prefix", "TEXT NOT NULL DEFAULT ''"},           /* the first characters, to recognise it */
	{"tokens", "last_used", "INTEGER NOT NULL DEFAULT 0"},      /* unix seconds, to the minute */
	{"officers", "active", "INTEGER NOT NULL DEFAULT 1"},       /* 0: deactivated, cannot sign in */
	{"pseudonyms", "enrolled", "INTEGER NOT NULL DEFAULT 1"},   /* 0: found by a search, not enrolled */
};

static int has_column(sqlite3 *db, const char *table, const char *column)
{
	sqlite3_stmt *s = NULL;
	char sql[128];
	int rc;

	snprintf(sql, sizeof sql, "SELECT %s FROM %s LIMIT 0", column, table);
	rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	sqlite3_finalize(s);
	return rc == SQLITE_OK;
}

int vault_columns_add(sqlite3 *db, util_err *err)
{
	char sql[192];
	size_t i;

	for (i = 0; i < sizeof columns / sizeof columns[0]; i++) {
		if (has_column(db, columns[i][0], columns[i][1]))
			continue;
		snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN %s %s", columns[i][0], columns[i][1], columns[i][2]);
		if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
			return util_fail(err, UTIL_EIO, "cannot add column %s.%s", columns[i][0], columns[i][1]);
	}
	return 0;
}
