/* sqlite_schema.c: the audit log's tables, its file audit.db, and its part in vault_commit, registered with the vault. */
#include "audit.h"

#include "audit_db.h"
#include "../vault/sqlite.h"

#include <sqlite3.h>

/* ---- the log's file ---- */

#define AUDIT_V_FILE 4 /* the schema version that moved the log into audit.db */
#define AUDIT_V_RUNS 6 /* the one that indexes it by citizen in runs */

static const vault_file audit_file = {
	.schema = "audit",
	.name = "audit.db",
	.what = "the audit log",
	.page_key = KEYS_ROOT_AUDIT_PAGE,
	.since = AUDIT_V_FILE,
	.bulk_cache_kib = 32768,
};

int audit_log_clone(vault **out, vault *v, util_err *err)
{
	return vault_sql_clone_file(out, v, &audit_file, err);
}

int audit_log_only(const vault *v)
{
	return vault_sql_file_only(v);
}

/* ---- vault_commit's check: the copy of an entry in vault.db ---- */

/* 1 when row mark of audit_pending is in vault.db as committed: the change stands. */
static int copy_committed(vault *v, int64_t mark)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(vault_sql_db(v), "SELECT 1 FROM main.audit_pending WHERE id = ?1", -1, &s, NULL) !=
	    SQLITE_OK)
		return 0;
	sqlite3_bind_int64(s, 1, mark);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW;
}

void audit_note_copy(vault *v, int64_t id)
{
	vault_sql_note_commit_check(v, copy_committed, id);
}

static int seal_before_commit(vault *v, util_err *err)
{
	return audit_seal(v, 0, err);
}

void audit_seal_at_commit(vault *v)
{
	vault_sql_before_commit(v, seal_before_commit);
}

/* ---- schema steps ---- */

/* Runs sql in a transaction of its own on db. */
static int exec_tx(vault_migration *m, const char *sql, util_err *err)
{
	if (vault_migration_exec(m, "BEGIN IMMEDIATE", err) != 0)
		return -1;
	if (vault_migration_exec(m, sql, err) != 0 || vault_migration_exec(m, "COMMIT", err) != 0) {
		vault_migration_exec(m, "ROLLBACK", NULL);
		return -1;
	}
	return 0;
}

/* Migration 4's first half: the log's tables made in audit.db, then filled from vault.db's. */
static const char make_audit_sql[] =
	"CREATE TABLE audit.audit_entries(seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, cid BLOB, agency_id TEXT,"
	" action TEXT NOT NULL, decision TEXT, entry BLOB NOT NULL);"
	"CREATE INDEX audit.audit_cid ON audit_entries(cid, seq) WHERE cid IS NOT NULL;"
	"CREATE TABLE audit.audit_hashes(idx INTEGER PRIMARY KEY, hash BLOB NOT NULL);"
	"CREATE TABLE audit.audit_checkpoints(size INTEGER PRIMARY KEY, note TEXT NOT NULL, created_at INTEGER NOT NULL);"
	"CREATE TABLE audit.audit_head(id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER NOT NULL, note TEXT NOT NULL);"
	"CREATE TABLE audit.audit_settled(hash BLOB PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;";

static const char copy_audit_sql[] =
	"DELETE FROM audit.audit_entries; DELETE FROM audit.audit_hashes; DELETE FROM audit.audit_checkpoints;"
	"DELETE FROM audit.audit_head;"
	"INSERT INTO audit.audit_entries SELECT * FROM main.audit_entries;"
	"INSERT INTO audit.audit_hashes SELECT * FROM main.audit_hashes;"
	"INSERT INTO audit.audit_checkpoints SELECT * FROM main.audit_checkpoints;"
	"INSERT INTO audit.audit_head SELECT * FROM main.audit_head;";

/* 1 when audit.db's log is vault.db's: as many entries, hashes and checkpoints, the same last entry and signed head. */
static const char same_log_sql[] =
	"SELECT (SELECT count(*) FROM main.audit_entries) = (SELECT count(*) FROM audit.audit_entries)"
	" AND (SELECT count(*) FROM main.audit_hashes) = (SELECT count(*) FROM audit.audit_hashes)"
	" AND (SELECT count(*) FROM main.audit_checkpoints) = (SELECT count(*) FROM audit.audit_checkpoints)"
	" AND (SELECT entry FROM main.audit_entries ORDER BY seq DESC LIMIT 1)"
	" IS (SELECT entry FROM audit.audit_entries ORDER BY seq DESC LIMIT 1)"
	" AND (SELECT note FROM main.audit_head) IS (SELECT note FROM audit.audit_head)";

#define MOVE_TRIES 3

/*
 * Migration 4's first half, a transaction that changes audit.db alone: the log's tables made
 * there if they are not, and filled from vault.db's unless they already hold the same log (a
 * first half that committed before a stop). The second half (the DROP in vault.db) runs only
 * if the two logs still match under its write lock (move_check): a process of the old program
 * may have appended in between, or audit.db may be a stray file.
 */
static int move_audit(vault_migration *m, util_err *err)
{
	int have, same = 0;

	if (vault_migration_exec(m, "BEGIN IMMEDIATE", err) != 0)
		return -1;
	if ((have = vault_migration_flag(m, "SELECT count(*) FROM audit.sqlite_master WHERE name = 'audit_entries'", err)) <
	        0 ||
	    (!have && vault_migration_exec(m, make_audit_sql, err) != 0) ||
	    (have && (same = vault_migration_flag(m, same_log_sql, err)) < 0) ||
	    (!same && vault_migration_exec(m, copy_audit_sql, err) != 0) || vault_migration_exec(m, "COMMIT", err) != 0) {
		vault_migration_exec(m, "ROLLBACK", NULL);
		return -1;
	}
	return 0;
}

/* Migration 4's second half, under vault.db's write lock: the logs still match, or copy again. */
static int move_check(vault_migration *m, util_err *err)
{
	int same = vault_migration_flag(m, same_log_sql, err);

	if (same != 0)
		return same < 0 ? -1 : 0;
	if (m->tries + 1 >= MOVE_TRIES)
		return util_fail(err, UTIL_EBUSY, "the audit log kept changing while it was moved to %s:"
		                                  " stop other programs using the vault and open it again",
		    audit_file.name);
	return 1; /* copy again, then drop */
}

#define AUDIT_RUN_STR "8192"
_Static_assert(AUDIT_RUN_ENTRIES == 8192, "migration 6 builds runs of AUDIT_RUN_STR entries");

/*
 * Migration 6's audit.db half, which may run again after a stop: the runs' tables, the runs a
 * log of this size should have (from where any earlier try got to), and audit_cid dropped.
 */
static const char make_runs_sql[] =
	"CREATE TABLE IF NOT EXISTS audit.audit_runs(run INTEGER NOT NULL, cid BLOB NOT NULL, seq INTEGER NOT NULL,"
	" PRIMARY KEY(run, cid, seq)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS audit.audit_runs_head(id INTEGER PRIMARY KEY CHECK (id = 1), upto INTEGER NOT NULL);"
	"INSERT INTO audit.audit_runs(run, cid, seq) SELECT seq - seq % " AUDIT_RUN_STR ", cid, seq"
	" FROM audit.audit_entries WHERE cid IS NOT NULL"
	" AND seq >= (SELECT coalesce(max(upto), 0) FROM audit.audit_runs_head)"
	" AND seq < (SELECT coalesce(max(seq) + 1, 0) FROM audit.audit_entries) / " AUDIT_RUN_STR
	" * " AUDIT_RUN_STR " ORDER BY 1, 2, 3;"
	"INSERT OR REPLACE INTO audit.audit_runs_head(id, upto)"
	" SELECT 1, (SELECT coalesce(max(seq) + 1, 0) FROM audit.audit_entries) / " AUDIT_RUN_STR
	" * " AUDIT_RUN_STR ";"
	"DROP INDEX IF EXISTS audit.audit_cid;";

static int make_runs(vault_migration *m, util_err *err)
{
	return exec_tx(m, make_runs_sql, err);
}

/*
 * Migration 12: two partial indexes for the officers (sqlite_counts.c, sqlite_reports.c), so
 * that what they read follows the entries they ask about, not the log's size. audit_lookups:
 * the lookups by time, with what a day's counts need, action included (the count reads the
 * index alone: SQLite 3.15 checks a partial index's condition on the row unless the index holds it).
 * audit_emergency: the allowed lookups on the vital-interest basis (the accesses officers
 * review) by time; its condition is AUDIT_EMERGENCY_SQL, which a query must repeat word for
 * word for SQLite to use it. Made in a transaction of audit.db's own, first; IF NOT EXISTS,
 * so it may run again after a stop.
 */
#define AUDIT_V_INDEXES 12
static int make_indexes(vault_migration *m, util_err *err)
{
	return exec_tx(m, "CREATE INDEX IF NOT EXISTS audit.audit_lookups ON audit_entries(time, agency_id, decision, action)"
	                  " WHERE action = 'lookup';"
	                  "CREATE INDEX IF NOT EXISTS audit.audit_emergency ON audit_entries(time, agency_id)"
	                  " WHERE " AUDIT_EMERGENCY_SQL ";",
	    err);
}

static const vault_step audit_steps[] = {
	/* 2: the log, in vault.db (until migration 4) */
	{2, "CREATE TABLE audit_entries(seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, cid BLOB, agency_id TEXT,"
	    " action TEXT NOT NULL, decision TEXT, entry BLOB NOT NULL);"
	    "CREATE INDEX audit_cid ON audit_entries(cid, seq) WHERE cid IS NOT NULL;"
	    "CREATE TABLE audit_hashes(idx INTEGER PRIMARY KEY, hash BLOB NOT NULL);"
	    "CREATE TABLE audit_checkpoints(size INTEGER PRIMARY KEY, note TEXT NOT NULL, created_at INTEGER NOT NULL);"
	    "CREATE TABLE audit_head(id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER NOT NULL, note TEXT NOT NULL);",
	    NULL, NULL},
	/*
	 * 4: the audit log lives in audit.db (move_audit copies it there first), so that the
	 * lookups' group commits stop emptying every connection's page cache of vault.db. An entry
	 * made with a change to vault.db leaves a copy there (audit_pending) until audit_settle
	 * finds it in the log: the two files commit one after the other, not as one. Its ids are
	 * never reused (AUTOINCREMENT): a settle drops the copies up to the last id it looked at,
	 * and a copy made meanwhile must not fall under that id.
	 */
	{AUDIT_V_FILE,
	    "DROP TABLE main.audit_entries; DROP TABLE main.audit_hashes; DROP TABLE main.audit_checkpoints;"
	    "DROP TABLE main.audit_head;"
	    "CREATE TABLE audit_pending(id INTEGER PRIMARY KEY AUTOINCREMENT, entry BLOB NOT NULL);",
	    move_audit, move_check},
	/*
	 * 6: the log's citizen index in sorted runs (audit/log.c) instead of audit_cid. All of it is
	 * in audit.db and made first, by make_runs, in a transaction of its own; the vault's
	 * transaction only moves the version.
	 */
	{AUDIT_V_RUNS, NULL, make_runs, NULL},
	{AUDIT_V_INDEXES, NULL, make_indexes, NULL},
};

static const vault_module audit_module = {
	.name = "audit",
	.rank = 30,
	.steps = audit_steps,
	.nsteps = sizeof audit_steps / sizeof audit_steps[0],
	.file = &audit_file,
};

/* The log is part of every vault this program opens: registered as the program starts. */
__attribute__((constructor)) static void audit_module_register(void)
{
	vault_module_register(&audit_module);
}
