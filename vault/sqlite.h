/* sqlite.h: for the modules above the vault that keep their own tables in it (policy, audit). */
#ifndef VAULTD_VAULT_SQLITE_H
#define VAULTD_VAULT_SQLITE_H

#include <sqlite3.h>

#include "vault.h"

/*
 * The SQLite backend's seam. Each module that stores state keeps its SQL in files of its
 * own (policy/store.c, audit/log.c) and reaches the database only through these calls; a
 * second backend replaces those files together with vault/sqlite*.c. Each module registers
 * its own schema steps and files (vault_module_register).
 */

/* The connection of v: used by one thread at a time, like v. */
sqlite3 *vault_sql_db(vault *v) UTIL_NONNULL(1);

/*
 * A prepared statement for sql, cached on v by the address of sql, which must therefore be a
 * string literal (or otherwise live as long as v). Returned reset, with bindings cleared; do
 * not finalize it. NULL (err filled) if it does not prepare.
 */
sqlite3_stmt *vault_sql_stmt(vault *v, const char *sql, util_err *err) UTIL_NONNULL(1, 2);

/*
 * The one integer that sql (a literal, no parameters) returns into *out: 0, or -1 with err
 * filled (what names the read in the message).
 */
int vault_sql_int(vault *v, const char *sql, const char *what, int64_t *out, util_err *err) UTIL_WARN_UNUSED
    UTIL_NONNULL(1, 2, 3, 4);

/* Steps s (bound, returning no rows) once and resets it: 0 at SQLITE_DONE, else -1 with err
 * filled (what names the table or the step). */
int vault_sql_done(vault *v, sqlite3_stmt *s, const char *what, util_err *err) UTIL_NONNULL(1, 2, 3);

/* Column col of s's current row as text into dst (n bytes, always NUL-terminated; "" for NULL). */
void vault_sql_text(sqlite3_stmt *s, int col, char *dst, size_t n) UTIL_NONNULL(1, 3);

/* Fills err from a SQLite result code (full disk, busy, constraint, ...); returns -1. */
int vault_sql_error(vault *v, int rc, util_err *err, const char *what);

/*
 * What a module stores beside vault.db, registered once per process (vault_module_register)
 * before any vault opens. The vault runs every module's schema steps in the order of the one
 * global schema version (PRAGMA user_version, VAULT_SCHEMA), and attaches every module's own
 * database file to each connection; it knows neither the tables nor what they hold.
 */

/* A migration in progress: the connection, and the vault once its keyring is loaded. */
typedef struct vault_migration {
	sqlite3 *db;
	vault *v;  /* NULL while a vault is made, or before its keyring is loaded */
	int tries; /* how many times `within` asked for this version to run again */
} vault_migration;

/* Runs sql (no parameters, no rows) on m's connection; fills err from SQLite's result. */
int vault_migration_exec(vault_migration *m, const char *sql, util_err *err) UTIL_NONNULL(1, 2);
/* 1, 0, or -1 (err filled) for the one integer sql returns on m's connection. */
int vault_migration_flag(vault_migration *m, const char *sql, util_err *err) UTIL_NONNULL(1, 2);

/*
 * One module's part of one schema version. Every version's parts run by module rank, in one
 * transaction (BEGIN IMMEDIATE ... PRAGMA user_version = version; COMMIT): first each part's
 * within, then its sql. A part's before runs ahead of that transaction, in transactions of its
 * own, and may run again after a stop. within returns 0 to go on, 1 to give up the
 * transaction and run the version again from the befores, -1 (err filled) on failure.
 */
typedef struct vault_step {
	int version; /* 1 .. VAULT_SCHEMA */
	const char *sql;
	int (*before)(vault_migration *m, util_err *err);
	int (*within)(vault_migration *m, util_err *err);
} vault_step;

/*
 * A database file of a module's own beside vault.db, attached to every connection under
 * schema, under the root's page key page_key (keys_root_page_key_str). A vault.db of a schema
 * older than since has none yet: it is made empty when such a vault opens, for the module's
 * steps of version since to fill.
 */
typedef struct vault_file {
	const char *schema;  /* "audit" */
	const char *name;    /* "audit.db" */
	const char *what;    /* for errors: "the audit log" */
	int page_key;
	int since;
	int bulk_cache_kib;  /* its page cache in bulk mode (vault_bulk_begin) */
} vault_file;

typedef struct vault_module {
	const char *name;
	int rank; /* parts of one version run in rank order */
	const vault_step *steps;
	size_t nsteps;
	const vault_file *file; /* NULL: tables in vault.db only */
} vault_module;

#define VAULT_MODULES_MAX 8
#define VAULT_FILES_MAX 2

/*
 * Registers m (static storage) for every vault this process opens or makes. Call it before
 * the first vault_open or vault_create, from one thread (a module does it from a constructor).
 * Aborts on misuse: more modules or files than the tables hold.
 */
void vault_module_register(const vault_module *m) UTIL_NONNULL(1);

/*
 * Called when a COMMIT of v failed and the transaction was rolled back, with the mark the
 * transaction noted: 1 when the part of the transaction in vault.db committed all the same
 * (SQLite commits vault.db before the attached files), so the change stands.
 */
typedef int (*vault_commit_check)(vault *v, int64_t mark);

/*
 * Notes, within v's open transaction, a check that vault_commit runs if its COMMIT fails
 * (audit_append's copy of its entry in vault.db: see audit.h). When check says the change
 * stands, vault_commit reports success. The note ends with the transaction.
 */
void vault_sql_note_commit_check(vault *v, vault_commit_check check, int64_t mark) UTIL_NONNULL(1, 2);

/*
 * Notes, within v's open transaction, work that vault_commit does once, just before its
 * COMMIT, in the transaction (the audit log's seal, once for a group's batch: see
 * audit_record). If it fails, the transaction is rolled back and vault_commit fails. The
 * note ends with the transaction; a rollback to a savepoint keeps it (the work must be
 * harmless when nothing it covers is left).
 */
typedef int (*vault_before_commit)(vault *v, util_err *err);
void vault_sql_before_commit(vault *v, vault_before_commit fn) UTIL_NONNULL(1, 2);

/*
 * A connection to f's file alone, as its main database, nothing of vault.db. Its
 * transactions lock that file only (the audit writer's group commits never hold vault.db's
 * write lock). vault_sql_file_only tells such a connection.
 */
int vault_sql_clone_file(vault **out, vault *v, const vault_file *f, util_err *err) UTIL_WARN_UNUSED;
int vault_sql_file_only(const vault *v) UTIL_NONNULL(1);

#endif
