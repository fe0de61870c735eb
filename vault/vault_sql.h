/* vault_sql.h: for the modules above the vault that keep their own tables in it (policy, audit). */
#ifndef VAULTD_VAULT_SQL_H
#define VAULTD_VAULT_SQL_H

#include <sqlite3.h>

#include "vault.h"

/*
 * The SQLite backend's seam. Each module that stores state keeps its SQL in one file of its
 * own (policy/store.c, audit/log.c) and reaches the database only through these calls; a
 * second backend replaces those files together with vault/store.c. The schema of every
 * module is in the one ordered migration list in vault/store.c.
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
 * A read snapshot (a deferred transaction) when no transaction is open: the reads between
 * begin and end see one state of the database and take no write lock. Inside an open
 * transaction both do nothing.
 */
int vault_sql_read_begin(vault *v, util_err *err) UTIL_WARN_UNUSED;
void vault_sql_read_end(vault *v);

/* Fills err from a SQLite result code (full disk, busy, constraint, ...); returns -1. */
int vault_sql_error(vault *v, int rc, util_err *err, const char *what);

/* Joins v's transaction or opens one (BEGIN IMMEDIATE); end commits only what it opened. */
int vault_sql_begin(vault *v, int *mine, util_err *err) UTIL_WARN_UNUSED;
int vault_sql_end(vault *v, int mine, int ok, util_err *err) UTIL_WARN_UNUSED;

/* Entries per run of the audit log's citizen index (audit/log.c; the schema's migration 6). */
#define VAULT_AUDIT_RUN 8192
#define VAULT_AUDIT_RUN_STR "8192"

/* 1 while v has a write transaction open. */
int vault_sql_in_tx(const vault *v) UTIL_NONNULL(1);
/* 1 inside a read snapshot (vault_sql_read_begin). */
int vault_sql_in_read(const vault *v) UTIL_NONNULL(1);

/*
 * Notes that v's open transaction wrote row id of audit_pending (audit_append's copy of its
 * entry). SQLite commits vault.db before audit.db; when a COMMIT then fails, vault_commit looks
 * for that row: if it is there, vault.db's part committed, the change stands (its entry waits
 * as a copy for audit_settle), and vault_commit reports success.
 */
void vault_sql_note_copy(vault *v, int64_t id) UTIL_NONNULL(1);

/*
 * A connection to v's audit log alone: audit.db as its main database, nothing of vault.db.
 * Its transactions lock audit.db only, so the group-commit writer never holds vault.db's
 * write lock. vault_sql_log_only tells such a connection.
 */
int vault_sql_clone_log(vault **out, vault *v, util_err *err) UTIL_WARN_UNUSED;
int vault_sql_log_only(const vault *v) UTIL_NONNULL(1);

#endif
