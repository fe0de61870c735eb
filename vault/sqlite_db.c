/* sqlite_db.c: the SQLCipher connection: opening files under their keys, statements, transactions and the write turnstile, the seam's calls. */
#include "sqlite_private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- process start-up ---- */

/* jansson frees without a size: keep it in a header so every freed JSON value is wiped. */
#define WIPE_HDR 16u

static void *wipe_malloc(size_t n)
{
	unsigned char *p;

	if (n > SIZE_MAX - WIPE_HDR || (p = malloc(n + WIPE_HDR)) == NULL)
		return NULL;
	memcpy(p, &n, sizeof n);
	return p + WIPE_HDR;
}

static void wipe_free(void *q)
{
	unsigned char *p;
	size_t n;

	if (q == NULL)
		return;
	p = (unsigned char *)q - WIPE_HDR;
	memcpy(&n, p, sizeof n);
	sodium_memzero(q, n);
	free(p);
}

void vault_json_free(void *p)
{
	void (*f)(void *) = NULL;

	json_get_alloc_funcs(NULL, &f);
	if (f != NULL)
		f(p);
}

int vault_init(void)
{
	sqlite3 *db;
	int rc;

	if (keys_init() != 0)
		return -1;
	vault_schema_register();
	json_set_alloc_funcs(wipe_malloc, wipe_free);
	/* process-wide SQLCipher default: 4 KiB pages for every database this process opens */
	if (sqlite3_open(":memory:", &db) != SQLITE_OK)
		return -1;
	rc = sqlite3_exec(db, "PRAGMA cipher_default_page_size = 4096;", NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

/* ---- errors and statements ---- */

int vault_sql_fail(vault *v, int rc, util_err *err, const char *what)
{
	util_code code;

	switch (rc & 0xff) {
	case SQLITE_FULL:
		code = UTIL_ENOSPC;
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		code = UTIL_EBUSY;
		break;
	case SQLITE_NOTADB:
		code = UTIL_EKEY;
		break;
	case SQLITE_CORRUPT:
		code = UTIL_ECORRUPT;
		break;
	case SQLITE_CONSTRAINT:
		code = UTIL_EEXISTS;
		break;
	case SQLITE_NOMEM:
		code = UTIL_ENOMEM;
		break;
	default:
		code = UTIL_EIO;
	}
	/* SQLite's messages name tables and columns, never bound values */
	return util_fail(err, code, "%s: %s", what, v && v->db ? sqlite3_errmsg(v->db) : sqlite3_errstr(rc));
}

int vault_db_exec(sqlite3 *db, const char *sql, util_err *err)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK) {
		vault v = {.db = db};

		return vault_sql_fail(&v, rc, err, "database");
	}
	return 0;
}

int vault_exec(vault *v, const char *sql, util_err *err)
{
	return vault_db_exec(v->db, sql, err);
}

static const char *const stmt_sql[ST_COUNT] = {
	[ST_KEK_CURRENT] = "SELECT v FROM meta WHERE k = 'kek_current'",
	[ST_CITIZEN_INSERT] = ("INSERT INTO citizens(cid, nid_index, kek_version, dek, dek_version, fields, totp, "
			       "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, ?7, ?7)"),
	[ST_CITIZEN_BY_INDEX] = "SELECT cid, id FROM citizens WHERE nid_index = ?1",
	[ST_CITIZEN_GET] = "SELECT kek_version, dek, dek_version, fields FROM citizens WHERE cid = ?1",
	/* the cid is checked again: the row may have gone, or been another citizen's, since it was found */
	[ST_CITIZEN_GET_ROW] = "SELECT kek_version, dek, dek_version, fields FROM citizens WHERE id = ?2 AND cid = ?1",
	[ST_CITIZEN_UPDATE] = "UPDATE citizens SET fields = ?2, updated_at = ?3 WHERE cid = ?1",
	[ST_CITIZEN_DELETE] = "DELETE FROM citizens WHERE cid = ?1",
};

sqlite3_stmt *vault_stmt(vault *v, enum vault_stmt id, util_err *err)
{
	sqlite3_stmt *s = v->st[id];
	int rc;

	if (s == NULL) {
		rc = sqlite3_prepare_v2(v->db, stmt_sql[id], -1, &v->st[id], NULL);
		if (rc != SQLITE_OK) {
			vault_sql_fail(v, rc, err, "prepare");
			return NULL;
		}
		return v->st[id];
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

/* ---- transactions ---- */

/*
 * The write turnstile. SQLite's write lock is not a queue: the audit writer, committing a
 * batch every millisecond or so under load, takes it again within microseconds of letting it
 * go, and a consent change polling for it in another thread or process waited tens to
 * hundreds of milliseconds (the benchmark's churn: 12 to 23 cycles a second). Whoever wants
 * the write lock first takes an exclusive flock on DIR/vault.turn (each connection its own
 * descriptor, so threads queue too), holds it only until BEGIN IMMEDIATE returns, and lets it
 * go. A writer that finds the turnstile taken waits there, so the waiting side gets the lock
 * at the next gap. Without vault.turn (a read-only directory) writers go straight to SQLite.
 */
void vault_turn_open(vault *v)
{
	char path[1100];

	v->turn_fd = -1;
	if (util_path_join(path, sizeof path, v->sh->dir, VAULT_TURN) == 0)
		v->turn_fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
}

static void turn(vault *v, int op)
{
	if (v->turn_fd < 0)
		return;
	while (flock(v->turn_fd, op) != 0 && errno == EINTR)
		;
}

/*
 * A one-step statement (BEGIN, COMMIT) from the connection's cache: sqlite3_exec parses its
 * text again at every call, twice per lookup and per audit batch.
 */
static int exec_cached(vault *v, const char *sql, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, sql, err);
	int rc;

	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : vault_sql_fail(v, rc, err, "database");
}

vault_shared *vault_shared_of(vault *v)
{
	return v->sh;
}

vault_work *vault_work_of(vault *v)
{
	return v->work;
}

vault_input **vault_input_slot(vault *v)
{
	return &v->input;
}

vault_prepared **vault_prepared_slot(vault *v)
{
	return &v->prepared;
}

int vault_sql_done(vault *v, sqlite3_stmt *s, const char *what, util_err *err)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : vault_sql_fail(v, rc, err, what);
}

void vault_sql_text(sqlite3_stmt *s, int col, char *dst, size_t n)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(dst, n, "%s", t ? (const char *)t : "");
}

int vault_sql_int(vault *v, const char *sql, const char *what, int64_t *out, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, sql, err);
	int rc;

	*out = 0;
	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : vault_sql_fail(v, rc, err, what);
}

int vault_writers_waiting(vault *v)
{
	int rc;

	if (v->turn_fd < 0)
		return 0;
	/* a writer waiting for SQLite's write lock holds the turnstile until it has it */
	while ((rc = flock(v->turn_fd, LOCK_EX | LOCK_NB)) != 0 && errno == EINTR)
		;
	if (rc != 0)
		return errno == EWOULDBLOCK;
	turn(v, LOCK_UN);
	return 0;
}

int vault_begin(vault *v, util_err *err)
{
	int rc;

	if (v->in_tx)
		return util_fail(err, UTIL_ESTATE, "a transaction is already open");
	turn(v, LOCK_EX);
	rc = exec_cached(v, "BEGIN IMMEDIATE", err);
	turn(v, LOCK_UN);
	if (rc != 0)
		return -1;
	v->in_tx = 1;
	v->check = NULL;
	v->before = NULL;
	v->mark = 0;
	return 0;
}

void vault_sql_note_commit_check(vault *v, vault_commit_check check, int64_t mark)
{
	v->check = check;
	v->mark = mark;
}

void vault_sql_before_commit(vault *v, vault_before_commit fn)
{
	v->before = fn;
}

void vault_group_running(vault *v, int on)
{
	v->in_group = on;
}

int vault_in_group(const vault *v)
{
	return v->in_group && v->in_tx;
}

int vault_commit(vault *v, util_err *err)
{
	vault_before_commit before = v->before;
	vault_commit_check check;
	int64_t mark;

	if (!v->in_tx)
		return util_fail(err, UTIL_ESTATE, "no transaction is open");
	v->before = NULL;
	if (before != NULL && before(v, err) != 0) {
		vault_rollback(v);
		return -1;
	}
	check = v->check; /* read after the work, which may note its own */
	mark = v->mark;
	v->check = NULL;
	if (exec_cached(v, "COMMIT", err) != 0) {
		vault_rollback(v);
		/* vault.db commits first: if its part is there, the change stands (see vault/sqlite.h) */
		if (check != NULL && check(v, mark)) {
			util_err_clear(err);
			return 0;
		}
		return -1;
	}
	v->in_tx = 0;
	return 0;
}

void vault_rollback(vault *v)
{
	v->check = NULL;
	v->before = NULL;
	if (v->in_tx) {
		sqlite3_exec(v->db, "ROLLBACK", NULL, NULL, NULL);
		v->in_tx = 0;
	}
}

/*
 * A unit's savepoint (group.c). The commit check (vault_sql_note_commit_check) is the
 * connection's, not the database's: a unit rolled back takes its note with it, so that a
 * failed COMMIT is not judged by a row that was never to be written.
 */
int vault_savepoint(vault *v, util_err *err)
{
	if (!v->in_tx)
		return util_fail(err, UTIL_ESTATE, "a savepoint needs an open transaction");
	if (exec_cached(v, "SAVEPOINT vault_unit", err) != 0)
		return -1;
	v->sp_check = v->check;
	v->sp_mark = v->mark;
	return 0;
}

int vault_savepoint_release(vault *v, util_err *err)
{
	return exec_cached(v, "RELEASE vault_unit", err);
}

int vault_savepoint_rollback(vault *v, util_err *err)
{
	/* SQLite ends the whole transaction on some errors (a full disk, I/O): nothing to go back to */
	if (!v->in_tx || sqlite3_get_autocommit(v->db)) {
		vault_rollback(v);
		v->in_tx = 0;
		return util_fail(err, UTIL_EIO, "the transaction was lost");
	}
	if (exec_cached(v, "ROLLBACK TO vault_unit", err) != 0 || exec_cached(v, "RELEASE vault_unit", err) != 0) {
		vault_rollback(v);
		return -1;
	}
	v->check = v->sp_check;
	v->mark = v->sp_mark;
	return 0;
}

enum { FILES_CACHE_BULK, FILES_CACHE_DEFAULT, FILES_CHECKPOINT };

/* For each module's attached file: its bulk or default page cache, or a full checkpoint. */
static int files_pragma(vault *v, int what, util_err *err)
{
	char sql[256];
	int i;

	for (i = 0; i < vault_file_count(); i++) {
		const vault_file *f = vault_file_at(i);

		if (what == FILES_CHECKPOINT)
			snprintf(sql, sizeof sql, "PRAGMA %s.wal_checkpoint(FULL);", f->schema);
		else
			snprintf(sql, sizeof sql, "PRAGMA %s.cache_size = -%d;", f->schema,
			    what == FILES_CACHE_BULK ? f->bulk_cache_kib : 2000);
		if (vault_exec(v, sql, err) != 0)
			return -1;
	}
	return 0;
}

int vault_bulk_begin(vault *v, util_err *err)
{
	/* every file stays synchronous = FULL: the order of their commits must survive a power cut
	 * (audit_settle drops copies only once the log holds them), and at a batch of thousands a
	 * transaction, one fsync a commit costs next to nothing */
	if (vault_exec(v, "PRAGMA wal_autocheckpoint = 16384; PRAGMA main.cache_size = -131072;", err) != 0)
		return -1;
	return files_pragma(v, FILES_CACHE_BULK, err);
}

int vault_bulk_end(vault *v, util_err *err)
{
	if (vault_exec(v, "PRAGMA wal_autocheckpoint = 1000; PRAGMA main.cache_size = -2000;", err) != 0 ||
	    files_pragma(v, FILES_CACHE_DEFAULT, err) != 0 || vault_exec(v, "PRAGMA main.wal_checkpoint(FULL);", err) != 0)
		return -1;
	return files_pragma(v, FILES_CHECKPOINT, err);
}

int vault_tx_begin(vault *v, int *mine, util_err *err)
{
	*mine = !v->in_tx;
	return *mine ? vault_begin(v, err) : 0;
}

int vault_tx_end(vault *v, int mine, int ok, util_err *err)
{
	if (!mine)
		return ok ? 0 : -1;
	if (!ok) {
		vault_rollback(v);
		return -1;
	}
	return vault_commit(v, err);
}


/* ---- connections ---- */

/*
 * Every connection's busy handler: poll every VAULT_BUSY_POLL_US for up to VAULT_BUSY_MS.
 * SQLite's own (sqlite3_busy_timeout) backs off to 100 ms sleeps, and never queues: against a
 * writer that commits all the time (the audit writer, an import) the waiting side kept losing
 * the lock for seconds. Polling finds the gaps between its commits.
 */
static int busy_poll(void *ctx, int count)
{
	(void)ctx;
	if ((int64_t)count * VAULT_BUSY_POLL_US >= (int64_t)VAULT_BUSY_MS * 1000)
		return 0;
	usleep(VAULT_BUSY_POLL_US);
	return 1;
}

int vault_db_path(char *out, size_t n, const char *dir, const char *name, util_err *err)
{
	if (util_path_join(out, n, dir, name) != 0)
		return util_fail(err, UTIL_EINVAL, "data directory path too long");
	return 0;
}

int vault_db_open(const char *path, const char *page_key, int create, sqlite3 **out, util_err *err)
{
	sqlite3 *db = NULL;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
	int rc;

	rc = sqlite3_open_v2(path, &db, flags, NULL);
	if (rc != SQLITE_OK) {
		util_fail(err, rc == SQLITE_CANTOPEN ? UTIL_ENOTFOUND : UTIL_EIO, "cannot open %s: %s", path,
		    sqlite3_errstr(rc));
		goto fail;
	}
	/* the raw-key form skips SQLCipher's PBKDF2: our key is already a uniform 256-bit key */
	if (sqlite3_key(db, page_key, (int)strlen(page_key)) != SQLITE_OK) {
		util_fail(err, UTIL_EIO, "cannot set the database key");
		goto fail;
	}
	sqlite3_busy_handler(db, busy_poll, NULL);
	rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
	if (rc == SQLITE_NOTADB) {
		util_fail(err, UTIL_EKEY, "the key does not open %s (wrong key, or not a vault)", path);
		goto fail;
	}
	if (rc != SQLITE_OK) {
		vault v = {.db = db};

		vault_sql_fail(&v, rc, err, "open");
		goto fail;
	}
	if (vault_db_exec(db,
	        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA secure_delete = ON;"
	        "PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;",
	        err) != 0)
		goto fail;
	*out = db;
	return 0;
fail:
	sqlite3_close(db);
	return -1;
}

int vault_page_keys(const keys_root *root, char *keys)
{
	int i;

	if (keys_root_page_key_str(root, KEYS_ROOT_PAGE, keys) != 0)
		return -1;
	for (i = 0; i < vault_file_count(); i++)
		if (keys_root_page_key_str(root, vault_file_at(i)->page_key, VAULT_FILE_KEY(keys, i)) != 0)
			return -1;
	return 0;
}

/* Detaches f's schema from db, whatever state it is in. */
static void detach_file(sqlite3 *db, const vault_file *f)
{
	char sql[128];

	snprintf(sql, sizeof sql, "DETACH DATABASE %s", f->schema);
	sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static int attach_file(sqlite3 *db, const vault_file *f, const char *path, const char *key, util_err *err)
{
	sqlite3_stmt *s = NULL;
	vault v = {.db = db};
	char what[128], sql[256];
	int rc;

	snprintf(what, sizeof what, "attach %s", f->what);
	snprintf(sql, sizeof sql, "ATTACH DATABASE ?1 AS %s KEY ?2", f->schema);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return vault_sql_fail(&v, sqlite3_errcode(db), err, what);
	sqlite3_bind_text(s, 1, path, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return vault_sql_fail(&v, rc, err, what);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s.sqlite_master", f->schema);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	if (rc == SQLITE_NOTADB) {
		detach_file(db, f);
		return util_fail(err, UTIL_EKEY, "the key does not open %s", path);
	}
	/* WAL again after a restore or a stopped rekey, which leave the file in rollback mode */
	snprintf(sql, sizeof sql, "PRAGMA %s.journal_mode = WAL; PRAGMA %s.synchronous = FULL; PRAGMA %s.secure_delete = ON;",
	    f->schema, f->schema, f->schema);
	if (rc != SQLITE_OK || vault_db_exec(db, sql, err) != 0) {
		if (rc != SQLITE_OK) {
			snprintf(what, sizeof what, "open %s", f->what);
			vault_sql_fail(&v, rc, err, what);
		}
		detach_file(db, f);
		return -1;
	}
	return 0;
}

/* Makes an empty database at path (WAL, under key), unless a file is there. */
static int make_file(const char *path, const char *key, util_err *err)
{
	struct stat st;
	sqlite3 *db;

	if (lstat(path, &st) == 0)
		return 0;
	if (vault_db_open(path, key, 1, &db, err) != 0)
		return -1;
	sqlite3_close(db);
	return 0;
}

/*
 * A rekey switches vault.db, then each module's file, each by a rename. If it stopped between
 * them, vault.db opens with the new root and <file>.rekey holds the file under the new root's
 * key: finish the switch, after checking that key opens it.
 */
static int finish_file_rekey(const char *dir, const vault_file *f, const char *path, const char *key, util_err *err)
{
	char tmp[1100], name[256];
	struct stat st;
	sqlite3 *db;

	snprintf(name, sizeof name, "%s.rekey", f->name);
	if (vault_db_path(tmp, sizeof tmp, dir, name, err) != 0)
		return -1;
	if (lstat(tmp, &st) != 0)
		return -1; /* nothing to finish: err stays as it was */
	if (vault_db_open(tmp, key, 0, &db, err) != 0)
		return -1;
	sqlite3_close(db);
	if (rename(tmp, path) != 0 || util_fsync_dir(path) != 0)
		return util_fail(err, UTIL_EIO, "cannot finish switching %s to the new key: %s", f->what, strerror(errno));
	return 0;
}

/* Attaches module file i to db, made first if the vault is new or predates it. */
static int connect_file(sqlite3 *db, const char *dir, const char *keys, int i, int create, util_err *err)
{
	const vault_file *f = vault_file_at(i);
	const char *key = VAULT_FILE_KEY(keys, i);
	char path[1100];
	util_err e2;
	int ver = 0;

	if (vault_db_path(path, sizeof path, dir, f->name, err) != 0)
		return -1;
	/* vault.db from before the file (schema below f->since): the module's steps fill a new one */
	if (create || (vault_user_version(db, &ver) == 0 && ver < f->since)) {
		if (make_file(path, key, err) != 0)
			return -1;
	}
	if (attach_file(db, f, path, key, &e2) != 0) {
		util_err e3 = {0};

		/* a rekey that stopped between its renames: finish it, then attach again */
		if (e2.code != UTIL_EKEY || finish_file_rekey(dir, f, path, key, &e3) != 0) {
			if (err != NULL)
				*err = e3.code != UTIL_OK ? e3 : e2; /* why the finish failed, if it was tried */
			return -1;
		}
		if (attach_file(db, f, path, key, err) != 0)
			return -1;
	}
	return 0;
}

int vault_db_connect(const char *dir, const char *keys, int create, sqlite3 **out, util_err *err)
{
	char path[1100];
	sqlite3 *db = NULL;
	int i;

	if (vault_db_path(path, sizeof path, dir, VAULT_DB, err) != 0)
		return -1;
	if (vault_db_open(path, keys, create, &db, err) != 0)
		return -1;
	for (i = 0; i < vault_file_count(); i++) {
		if (connect_file(db, dir, keys, i, create, err) != 0) {
			sqlite3_close(db);
			return -1;
		}
	}
	*out = db;
	return 0;
}


/* ---- the seam for modules that keep tables in the vault (vault/sqlite.h) ---- */

sqlite3 *vault_sql_db(vault *v)
{
	return v->db;
}

sqlite3_stmt *vault_sql_stmt(vault *v, const char *sql, util_err *err)
{
	int i, rc;

	for (i = 0; i < VAULT_STMT_CACHE && v->cache[i].sql != NULL; i++) {
		if (v->cache[i].sql == sql) {
			sqlite3_reset(v->cache[i].st);
			sqlite3_clear_bindings(v->cache[i].st);
			return v->cache[i].st;
		}
	}
	if (i == VAULT_STMT_CACHE)
		abort(); /* more distinct statements than the cache holds: raise VAULT_STMT_CACHE */
	rc = sqlite3_prepare_v2(v->db, sql, -1, &v->cache[i].st, NULL);
	if (rc != SQLITE_OK) {
		vault_sql_fail(v, rc, err, "prepare");
		return NULL;
	}
	v->cache[i].sql = sql;
	return v->cache[i].st;
}

int vault_sql_error(vault *v, int rc, util_err *err, const char *what)
{
	return vault_sql_fail(v, rc, err, what);
}

int vault_read_begin(vault *v, util_err *err)
{
	if (v->in_tx || v->in_read)
		return 0;
	if (exec_cached(v, "BEGIN DEFERRED", err) != 0)
		return -1;
	v->in_read = 1;
	return 0;
}

void vault_read_end(vault *v)
{
	if (v->in_read) {
		(void)exec_cached(v, "COMMIT", NULL);
		v->in_read = 0;
	}
}


