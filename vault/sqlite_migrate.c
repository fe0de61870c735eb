/* sqlite_migrate.c: the modules' schema steps, registered by each module, run in the order of one global version. */
#include "sqlite_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the registry ---- */

static const vault_module *modules[VAULT_MODULES_MAX];
static int nmodules;
static const vault_file *files[VAULT_FILES_MAX];
static int nfiles;

void vault_module_register(const vault_module *m)
{
	int i;

	for (i = 0; i < nmodules; i++)
		if (modules[i] == m)
			return;
	if (nmodules == VAULT_MODULES_MAX || (m->file != NULL && nfiles == VAULT_FILES_MAX)) {
		fprintf(stderr, "vault_module_register: too many modules or files (%s)\n", m->name);
		abort();
	}
	/* kept in rank order, so that each version's parts run in it */
	for (i = nmodules; i > 0 && modules[i - 1]->rank > m->rank; i--)
		modules[i] = modules[i - 1];
	modules[i] = m;
	nmodules++;
	if (m->file != NULL)
		files[nfiles++] = m->file;
}

int vault_file_count(void)
{
	return nfiles;
}

const vault_file *vault_file_at(int i)
{
	return files[i];
}

/* ---- running the steps ---- */

int vault_user_version(sqlite3 *db, int *out)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL);

	if (rc != SQLITE_OK)
		return -1;
	rc = sqlite3_step(s);
	*out = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
	sqlite3_finalize(s);
	return *out < 0 ? -1 : 0;
}

int vault_db_flag(sqlite3 *db, const char *sql, util_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return util_fail(err, UTIL_EIO, "cannot read the schema");
	rc = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) != 0 : -1;
	sqlite3_finalize(s);
	return rc < 0 ? util_fail(err, UTIL_EIO, "cannot read the schema") : rc;
}

int vault_migration_exec(vault_migration *m, const char *sql, util_err *err)
{
	return vault_db_exec(m->db, sql, err);
}

int vault_migration_flag(vault_migration *m, const char *sql, util_err *err)
{
	return vault_db_flag(m->db, sql, err);
}

/* 0 when every version from 1 to VAULT_SCHEMA has a part and none is beyond it. */
static int steps_check(util_err *err)
{
	unsigned char seen[VAULT_SCHEMA + 1] = {0};
	int i, ver;
	size_t j;

	for (i = 0; i < nmodules; i++) {
		for (j = 0; j < modules[i]->nsteps; j++) {
			ver = modules[i]->steps[j].version;
			if (ver < 1 || ver > VAULT_SCHEMA)
				return util_fail(err, UTIL_ESTATE, "%s has a schema step of version %d, beyond VAULT_SCHEMA (%d)",
				    modules[i]->name, ver, VAULT_SCHEMA);
			seen[ver] = 1;
		}
	}
	for (ver = 1; ver <= VAULT_SCHEMA; ver++)
		if (!seen[ver])
			return util_fail(err, UTIL_ESTATE, "no module has a schema step of version %d", ver);
	return 0;
}

/* Every before of version ver, in rank order. */
static int run_befores(vault_migration *m, int ver, util_err *err)
{
	int i;
	size_t j;

	for (i = 0; i < nmodules; i++)
		for (j = 0; j < modules[i]->nsteps; j++)
			if (modules[i]->steps[j].version == ver && modules[i]->steps[j].before != NULL &&
			    modules[i]->steps[j].before(m, err) != 0)
				return -1;
	return 0;
}

/* Every within, then every sql, of version ver: 0, 1 (run the version again) or -1. */
static int run_parts(vault_migration *m, int ver, util_err *err)
{
	const vault_step *s;
	int i, rc;
	size_t j;

	for (i = 0; i < nmodules; i++) {
		for (j = 0; j < modules[i]->nsteps; j++) {
			s = &modules[i]->steps[j];
			if (s->version == ver && s->within != NULL && (rc = s->within(m, err)) != 0)
				return rc;
		}
	}
	for (i = 0; i < nmodules; i++) {
		for (j = 0; j < modules[i]->nsteps; j++) {
			s = &modules[i]->steps[j];
			if (s->version == ver && s->sql != NULL && vault_db_exec(m->db, s->sql, err) != 0)
				return -1;
		}
	}
	return 0;
}

/*
 * Moves the vault from version ver - 1 to ver: the befores, then one transaction. 1 when
 * another process did it meanwhile or a within asked to run the version again.
 */
static int run_version(vault_migration *m, int ver, util_err *err)
{
	char sql[64];
	int have, rc;

	if (run_befores(m, ver, err) != 0 || vault_db_exec(m->db, "BEGIN IMMEDIATE", err) != 0)
		return -1;
	/* re-read inside the write lock: another process may have migrated meanwhile */
	if (vault_user_version(m->db, &have) != 0 || have >= ver) {
		vault_db_exec(m->db, "ROLLBACK", NULL);
		return 0;
	}
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", ver);
	if ((rc = run_parts(m, ver, err)) != 0 || vault_db_exec(m->db, sql, err) != 0 ||
	    vault_db_exec(m->db, "COMMIT", err) != 0) {
		vault_db_exec(m->db, "ROLLBACK", NULL);
		return rc == 1 ? 1 : -1;
	}
	return 0;
}

int vault_migrate(sqlite3 *db, vault *v, int upto, util_err *err)
{
	vault_migration m = {.db = db, .v = v};
	int have, ver, rc;

	if (steps_check(err) != 0)
		return -1;
	if (vault_user_version(db, &have) != 0)
		return util_fail(err, UTIL_EIO, "cannot read the schema version");
	if (have > VAULT_SCHEMA)
		return util_fail(err, UTIL_ESTATE, "the vault's schema (%d) is newer than this program (%d)", have,
		    VAULT_SCHEMA);
	for (ver = have + 1; ver <= upto; ver++) {
		m.tries = 0;
		while ((rc = run_version(&m, ver, err)) == 1)
			m.tries++;
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* ---- the vault's own steps ---- */

#define RESEAL_BATCH 1000

/*
 * Migration 7's first half: every record of format 1 rewritten, RESEAL_BATCH to a transaction.
 * A vault being made (v NULL) has no records to rewrite.
 */
static int reseal(vault_migration *m, util_err *err)
{
	int64_t after = 0, done;

	if (m->v == NULL)
		return 0;
	do {
		if (vault_db_exec(m->db, "BEGIN IMMEDIATE", err) != 0)
			return -1;
		if (vault_citizen_reseal_v1(m->v, &after, RESEAL_BATCH, &done, err) != 0 ||
		    vault_db_exec(m->db, "COMMIT", err) != 0) {
			vault_db_exec(m->db, "ROLLBACK", NULL);
			return -1;
		}
	} while (done == RESEAL_BATCH);
	return 0;
}

/*
 * Migration 7's second half, inside the transaction that moves the version: whatever format-1
 * record is still there (another process of the old program may have written one meanwhile)
 * is rewritten too, so that none is left once the version says 7.
 */
static int reseal_rest(vault_migration *m, util_err *err)
{
	int64_t after = 0, done;
	int left;

	if (m->v != NULL)
		return vault_citizen_reseal_v1(m->v, &after, INT64_MAX, &done, err) != 0 ? -1 : 0;
	if ((left = vault_db_flag(m->db, "SELECT count(*) FROM citizens WHERE substr(fields, 1, 1) = x'01'", err)) < 0)
		return -1;
	return left ? util_fail(err, UTIL_ESTATE, "records of format 1 need the keyring to be rewritten") : 0;
}

/*
 * The vault's tables (versions 1, 7 and 11). Parts of other modules run after these within a
 * version: policy's (policy/sqlite_schema.c), auth's (auth/sqlite_schema.c), the audit log's
 * (audit/sqlite_schema.c).
 */
static const vault_step vault_steps[] = {
	/* 1: keyring, identity, citizens */
	{1, "CREATE TABLE meta(k TEXT PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID;"
	    "CREATE TABLE key_items(name TEXT NOT NULL, wrap_id BLOB NOT NULL, wrapped BLOB NOT NULL,"
	    " created_at INTEGER NOT NULL, PRIMARY KEY(name, wrap_id)) WITHOUT ROWID;"
	    "CREATE TABLE citizens(id INTEGER PRIMARY KEY, cid BLOB NOT NULL UNIQUE, nid_index BLOB NOT NULL UNIQUE,"
	    " kek_version INTEGER NOT NULL, dek BLOB NOT NULL, dek_version INTEGER NOT NULL, fields BLOB NOT NULL,"
	    " totp BLOB NOT NULL, totp_step INTEGER NOT NULL DEFAULT 0,"
	    " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);",
	    NULL, NULL},
	/*
	 * 7: records sealed as one (record.c, format 2) instead of value by value with their names
	 * in clear (format 1). It needs the keyring: reseal rewrites the records first, in
	 * transactions of RESEAL_BATCH, each row's format byte saying what is left after a stop;
	 * the version moves once no record of format 1 is left.
	 */
	{VAULT_V_RESEAL, NULL, reseal, reseal_rest},
	/*
	 * 11: a citizen's requests to correct a field of their record. The proposed value and the
	 * citizen's note are sealed under the citizen's data key (vault/correction.c), and so is a
	 * registrar's reason; the field's name, the state and the times are in the clear.
	 */
	{11, "CREATE TABLE IF NOT EXISTS corrections(id TEXT PRIMARY KEY, cid BLOB NOT NULL, field TEXT NOT NULL, sealed BLOB NOT NULL,"
	     " state TEXT NOT NULL, reason BLOB, decided_by TEXT, created_at INTEGER NOT NULL,"
	     " decided_at INTEGER NOT NULL DEFAULT 0);"
	     "CREATE INDEX IF NOT EXISTS corrections_cid ON corrections(cid, state);"
	     "CREATE INDEX IF NOT EXISTS corrections_queue ON corrections(state);",
	    NULL, NULL},
};

static const vault_module vault_schema = {
	.name = "vault",
	.rank = 0,
	.steps = vault_steps,
	.nsteps = sizeof vault_steps / sizeof vault_steps[0],
};

void vault_schema_register(void)
{
	vault_module_register(&vault_schema);
}
