/* sqlite_schema.c: auth's tables (tokens, officers, pseudonyms), registered with the vault. */
#include "auth_private.h"

#include "../vault/sqlite.h"

#include <sqlite3.h>
#include <stdio.h>

/* ---- migration 8's columns, added only where missing, so that the migration may run again ---- */

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

static int columns_add(vault_migration *m, util_err *err)
{
	char sql[192];
	size_t i;

	for (i = 0; i < sizeof columns / sizeof columns[0]; i++) {
		if (has_column(m->db, columns[i][0], columns[i][1]))
			continue;
		snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN %s %s", columns[i][0], columns[i][1], columns[i][2]);
		if (sqlite3_exec(m->db, sql, NULL, NULL, NULL) != SQLITE_OK)
			return util_fail(err, UTIL_EIO, "cannot add column %s.%s", columns[i][0], columns[i][1]);
	}
	return 0;
}

static const vault_step auth_steps[] = {
	/* 3: the API's callers: tokens (as keyed hashes), officers, failed logins, pseudonyms */
	{3, "CREATE TABLE tokens(hash BLOB PRIMARY KEY, kind TEXT NOT NULL, subject TEXT NOT NULL,"
	    " expires_at INTEGER NOT NULL, created_at INTEGER NOT NULL) WITHOUT ROWID;"
	    "CREATE INDEX tokens_subject ON tokens(subject);"
	    "CREATE TABLE officers(id TEXT PRIMARY KEY, name TEXT NOT NULL, totp BLOB NOT NULL,"
	    " totp_step INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);"
	    "CREATE TABLE auth_failures(ident BLOB NOT NULL, at INTEGER NOT NULL);"
	    "CREATE INDEX auth_failures_ident ON auth_failures(ident, at);"
	    "CREATE TABLE pseudonyms(agency_id TEXT NOT NULL, pid BLOB NOT NULL, cid BLOB NOT NULL,"
	    " PRIMARY KEY(agency_id, pid)) WITHOUT ROWID;",
	    NULL, NULL},
	/*
	 * 8: credentials that can be listed, rotated and ended. columns_add adds the columns
	 * first (tokens: id, prefix, last_used; officers: active; pseudonyms: enrolled), each only
	 * if missing; tokens made before get an id, and their kind as their prefix.
	 */
	{8, "UPDATE tokens SET id = 'tk_' || lower(hex(randomblob(8))), prefix = 'vk_' || kind || '_' WHERE id IS NULL;"
	    "CREATE UNIQUE INDEX IF NOT EXISTS tokens_id ON tokens(id);",
	    NULL, columns_add},
	/*
	 * 10: failed logins are counted in memory (auth/lockout.c) under a key of their own; the
	 * table that kept them under the token-hashing key, and its rows, go.
	 */
	{10, "DROP TABLE IF EXISTS auth_failures;", NULL, NULL},
};

static const vault_module auth_module = {
	.name = "auth",
	.rank = 20,
	.steps = auth_steps,
	.nsteps = sizeof auth_steps / sizeof auth_steps[0],
};

/* Auth's tables are part of every vault this program opens: registered as the program starts. */
__attribute__((constructor)) static void auth_module_register(void)
{
	vault_module_register(&auth_module);
}
