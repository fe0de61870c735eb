/* sqlite_private.h: the vault's SQLite connection (struct vault) and what its SQLite files share. */
#ifndef VAULTD_VAULT_SQLITE_PRIVATE_H
#define VAULTD_VAULT_SQLITE_PRIVATE_H

#include <sqlite3.h>

#include "vault_private.h"
#include "sqlite.h"

/* Prepared statements, one set per connection, prepared on first use. */
enum vault_stmt {
	ST_KEK_CURRENT,
	ST_CITIZEN_INSERT,
	ST_CITIZEN_BY_INDEX,
	ST_CITIZEN_GET,
	ST_CITIZEN_GET_ROW,
	ST_CITIZEN_UPDATE,
	ST_CITIZEN_DELETE,
	ST_COUNT
};

#define VAULT_STMT_CACHE 128

/* The page-key strings of a vault: vault.db's, then each registered file's (VAULT_FILE_KEY). */
#define VAULT_KEYS_STR ((1 + VAULT_FILES_MAX) * KEYS_PAGE_KEY_STR)
#define VAULT_FILE_KEY(keys, i) ((keys) + (1 + (i)) * KEYS_PAGE_KEY_STR)

struct vault {
	sqlite3 *db;
	vault_shared *sh;
	int in_tx;
	int in_read; /* a read snapshot is open (vault_read_begin) */
	const vault_file *alone; /* a module's file alone, as the main database (vault_sql_clone_file) */
	vault_commit_check check; /* noted by the open transaction (vault_sql_note_commit_check), or NULL */
	int64_t mark;
	vault_before_commit before; /* noted by the open transaction (vault_sql_before_commit), or NULL */
	int in_group;                /* the open transaction is a group's batch (vault_group_running) */
	vault_commit_check sp_check; /* check and mark as they were when the savepoint opened */
	int64_t sp_mark;
	int turn_fd;     /* this connection's own descriptor of vault.turn, or -1 */
	/* the row vault_citizen_find last found: a read of the same cid goes to it by rowid */
	unsigned char found_cid[KEYS_CID_BYTES];
	int64_t found_row; /* 0: none */
	vault_work *work;
	vault_input *input;       /* vault_citizen_create's, in secret memory, made on first use */
	vault_prepared *prepared; /* likewise */
	sqlite3_stmt *st[ST_COUNT];
	/* statements of the modules above, cached by the address of their (static) SQL text */
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} cache[VAULT_STMT_CACHE];
};

/* Maps a SQLite result to an error code and fills err; returns -1. */
int vault_sql_fail(vault *v, int rc, util_err *err, const char *what);
/* Runs SQL with no parameters and no rows. */
int vault_exec(vault *v, const char *sql, util_err *err);
/* The cached statement id, reset and ready to bind. NULL (err filled) if it cannot prepare. */
sqlite3_stmt *vault_stmt(vault *v, enum vault_stmt id, util_err *err);

/* Opens a raw SQLCipher connection to path with a page-key string; UTIL_EKEY on a wrong key. */
int vault_db_open(const char *path, const char *page_key, int create, sqlite3 **out, util_err *err);
/*
 * A connection to the vault in dir: vault.db with every registered module's file attached,
 * all under keys (VAULT_KEYS_STR). A file is made when create is set, or when vault.db's
 * schema predates it (the module's steps then fill it). UTIL_EKEY when a key does not fit.
 */
int vault_db_connect(const char *dir, const char *keys, int create, sqlite3 **out, util_err *err);

/* Reads every keyring item stored under the root's wrap id into a new ring. */
int vault_ring_load(sqlite3 *db, const keys_root *root, keys_ring **out, util_err *err);
/* Stores every item of ring, wrapped by root (replacing items under the same wrap id). */
int vault_ring_store(sqlite3 *db, const keys_ring *ring, const keys_root *root, util_err *err);

/* PRAGMA user_version of db. */
int vault_user_version(sqlite3 *db, int *out);
/* Runs SQL with no parameters and no rows on db. */
int vault_db_exec(sqlite3 *db, const char *sql, util_err *err);
/* 1, 0, or -1 (err filled) for the one integer sql returns. */
int vault_db_flag(sqlite3 *db, const char *sql, util_err *err);

/*
 * Runs every registered module's steps from db's version up to version upto. v, with the
 * keyring loaded, is needed from VAULT_V_RESEAL on when the vault holds records.
 */
int vault_migrate(sqlite3 *db, vault *v, int upto, util_err *err);

#endif
