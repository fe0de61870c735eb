/* store.c: opening the SQLCipher vault: meta file, unlocking, migrations, keyring, connections. */
#include "vault_private.h"
#include "vault_sql.h"

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
static void turn_open(vault *v)
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
	v->mark = 0;
	return 0;
}

void vault_sql_note_commit_check(vault *v, vault_commit_check check, int64_t mark)
{
	v->check = check;
	v->mark = mark;
}

int vault_commit(vault *v, util_err *err)
{
	vault_commit_check check = v->check;
	int64_t mark = v->mark;

	if (!v->in_tx)
		return util_fail(err, UTIL_ESTATE, "no transaction is open");
	v->check = NULL;
	if (exec_cached(v, "COMMIT", err) != 0) {
		vault_rollback(v);
		/* vault.db commits first: if its part is there, the change stands (see vault_sql.h) */
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
	if (v->in_tx) {
		sqlite3_exec(v->db, "ROLLBACK", NULL, NULL, NULL);
		v->in_tx = 0;
	}
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
	if (vault_exec(v, "PRAGMA wal_autocheckpoint = 16384; PRAGMA main.cache_size = -262144;", err) != 0)
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

/* ---- the meta file: identity and how the root key is made ---- */

static json_t *unlock_desc(const vault_unlock *u, util_err *err)
{
	keys_kdf_params p;
	char salt[2 * KEYS_SALT_BYTES + 1];

	if (u->key_file != NULL)
		return json_pack("{s:s}", "kind", "key_file");
	keys_kdf_params_default(&p);
	if (u->kdf_ops)
		p.opslimit = u->kdf_ops;
	if (u->kdf_mem)
		p.memlimit = u->kdf_mem;
	if (p.opslimit < crypto_pwhash_OPSLIMIT_MIN || p.memlimit < crypto_pwhash_MEMLIMIT_MIN) {
		util_fail(err, UTIL_EINVAL, "Argon2id limits below libsodium's minimum");
		return NULL;
	}
	util_hex_encode(salt, p.salt, sizeof p.salt);
	return json_pack("{s:s, s:s, s:s, s:I, s:I}", "kind", "passphrase", "kdf", "argon2id13", "salt", salt, "ops",
	    (json_int_t)p.opslimit, "mem", (json_int_t)p.memlimit);
}

static int meta_path(char *out, size_t n, const char *dir, util_err *err)
{
	if (util_path_join(out, n, dir, VAULT_META) != 0)
		return util_fail(err, UTIL_EINVAL, "data directory path too long");
	return 0;
}

static json_t *meta_read(const char *dir, util_err *err)
{
	char path[1100], buf[VAULT_META_MAX];
	size_t n;
	json_t *m;
	json_error_t je;

	if (meta_path(path, sizeof path, dir, err) != 0 || util_read_bounded(path, buf, sizeof buf, &n, err) != 0)
		return NULL;
	m = json_loadb(buf, n, JSON_REJECT_DUPLICATES, &je);
	if (m == NULL || !json_is_object(m) || json_integer_value(json_object_get(m, "format")) != 1) {
		json_decref(m);
		util_fail(err, UTIL_ECORRUPT, "%s is not a vault meta file", path);
		return NULL;
	}
	return m;
}

static int meta_write(const char *dir, json_t *m, int create, util_err *err)
{
	char path[1100], *s;
	int rc;

	if (meta_path(path, sizeof path, dir, err) != 0)
		return -1;
	if ((s = json_dumps(m, JSON_SORT_KEYS | JSON_INDENT(2))) == NULL)
		return util_fail(err, UTIL_ENOMEM, "out of memory");
	rc = create ? util_write_new(path, s, strlen(s), 0600, err) : util_write_replace(path, s, strlen(s), 0600, err);
	vault_json_free(s);
	return rc;
}

/* The root made from u as desc (a meta "root" or "next" object) says. */
static int root_from_desc(const json_t *desc, const vault_unlock *u, keys_root **root, util_err *err)
{
	const char *kind = json_string_value(json_object_get(desc, "kind"));
	keys_kdf_params p;

	if (kind == NULL)
		return util_fail(err, UTIL_ECORRUPT, "vault meta has no root kind");
	if (strcmp(kind, "key_file") == 0) {
		if (u->key_file == NULL)
			return util_fail(err, UTIL_EKEY, "this vault is unlocked with a key file, not a passphrase");
		return keys_root_load_file(u->key_file, root, err);
	}
	if (strcmp(kind, "passphrase") != 0)
		return util_fail(err, UTIL_ECORRUPT, "vault meta has an unknown root kind");
	if (u->passphrase == NULL)
		return util_fail(err, UTIL_EKEY, "this vault is unlocked with a passphrase, not a key file");
	if (util_hex_decode(p.salt, sizeof p.salt, json_string_value(json_object_get(desc, "salt")) ?: "") != 0 ||
	    !json_is_integer(json_object_get(desc, "ops")) || !json_is_integer(json_object_get(desc, "mem")))
		return util_fail(err, UTIL_ECORRUPT, "vault meta has bad Argon2id parameters");
	p.opslimit = (uint64_t)json_integer_value(json_object_get(desc, "ops"));
	p.memlimit = (uint64_t)json_integer_value(json_object_get(desc, "mem"));
	return keys_root_from_passphrase(u->passphrase, u->passphrase_len, &p, root, err);
}

int vault_meta_unlock(const char *dir, const vault_unlock *u, int pending, keys_root **root, char id[VAULT_ID_HEX],
    util_err *err)
{
	json_t *m = meta_read(dir, err), *desc;
	const char *vid;
	int rc = -1;

	if (m == NULL)
		return -1;
	vid = json_string_value(json_object_get(m, "vault_id"));
	desc = json_object_get(m, pending ? "next" : "root");
	if (vid == NULL || strlen(vid) != VAULT_ID_HEX - 1) {
		util_fail(err, UTIL_ECORRUPT, "vault meta has no vault id");
	} else if (desc == NULL) {
		util_fail(err, UTIL_ENOTFOUND, "no pending root key");
	} else {
		strcpy(id, vid);
		rc = root_from_desc(desc, u, root, err);
	}
	json_decref(m);
	return rc;
}

int vault_meta_set_next(const char *dir, const vault_unlock *nu, util_err *err)
{
	json_t *m = meta_read(dir, err), *desc;
	int rc = -1;

	if (m == NULL)
		return -1;
	if ((desc = unlock_desc(nu, err)) != NULL && json_object_set_new(m, "next", desc) == 0)
		rc = meta_write(dir, m, 0, err);
	json_decref(m);
	return rc;
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

static int db_path(char *out, size_t n, const char *dir, const char *name, util_err *err)
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
	if (db_path(tmp, sizeof tmp, dir, name, err) != 0)
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

	if (db_path(path, sizeof path, dir, f->name, err) != 0)
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

	if (db_path(path, sizeof path, dir, VAULT_DB, err) != 0)
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

/* ---- keyring storage ---- */

int vault_ring_store(sqlite3 *db, const keys_ring *ring, const keys_root *root, util_err *err)
{
	unsigned char wid[KEYS_WRAP_ID_BYTES], blob[KEYS_ITEM_MAX];
	char name[KEYS_ITEM_NAME_MAX];
	sqlite3_stmt *s = NULL;
	size_t i, n;
	int rc = -1;

	if (keys_root_wrap_id(root, wid) != 0)
		return util_fail(err, UTIL_ENOMEM, "out of secret memory");
	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO key_items(name, wrap_id, wrapped, created_at) VALUES (?1, ?2, ?3, ?4)",
	        -1, &s, NULL) != SQLITE_OK)
		return util_fail(err, UTIL_EIO, "cannot store the keyring");
	for (i = 0; i < keys_ring_item_count(ring); i++) {
		if (keys_ring_item_seal(ring, i, root, name, blob, &n) != 0) {
			util_fail(err, UTIL_ENOMEM, "cannot seal a keyring item");
			goto out;
		}
		sqlite3_reset(s);
		sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_blob(s, 2, wid, sizeof wid, SQLITE_TRANSIENT);
		sqlite3_bind_blob(s, 3, blob, (int)n, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 4, util_now());
		if (sqlite3_step(s) != SQLITE_DONE) {
			vault v = {.db = db};

			vault_sql_fail(&v, sqlite3_errcode(db), err, "store keyring");
			goto out;
		}
	}
	rc = 0;
out:
	sqlite3_finalize(s);
	return rc;
}

int vault_ring_load(sqlite3 *db, const keys_root *root, keys_ring **out, util_err *err)
{
	unsigned char wid[KEYS_WRAP_ID_BYTES];
	sqlite3_stmt *s = NULL;
	keys_ring *ring = NULL;
	int rc;

	if (keys_root_wrap_id(root, wid) != 0)
		return util_fail(err, UTIL_ENOMEM, "out of secret memory");
	if (keys_ring_empty(&ring, err) != 0)
		return -1;
	if (sqlite3_prepare_v2(db, "SELECT name, wrapped FROM key_items WHERE wrap_id = ?1", -1, &s, NULL) != SQLITE_OK) {
		util_fail(err, UTIL_EIO, "cannot read the keyring");
		goto fail;
	}
	sqlite3_bind_blob(s, 1, wid, sizeof wid, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);

		if (name == NULL || keys_ring_item_open(ring, root, name, sqlite3_column_blob(s, 1),
		                        (size_t)sqlite3_column_bytes(s, 1), err) != 0) {
			if (name == NULL)
				util_fail(err, UTIL_ECORRUPT, "keyring item without a name");
			goto fail;
		}
	}
	if (rc != SQLITE_DONE) {
		vault v = {.db = db};

		vault_sql_fail(&v, rc, err, "read keyring");
		goto fail;
	}
	if (keys_ring_check(ring, err) != 0)
		goto fail;
	sqlite3_finalize(s);
	*out = ring;
	return 0;
fail:
	sqlite3_finalize(s);
	keys_ring_free(ring);
	return -1;
}

int vault_ring_reload(vault *v, util_err *err)
{
	keys_ring *fresh;

	if (vault_ring_load(v->db, v->sh->root, &fresh, err) != 0)
		return -1;
	pthread_rwlock_wrlock(&v->sh->ring_mu);
	keys_ring_free(v->sh->ring);
	v->sh->ring = fresh;
	pthread_rwlock_unlock(&v->sh->ring_mu);
	return 0;
}

int vault_kek_sync(vault *v, util_err *err)
{
	sqlite3_stmt *s = vault_stmt(v, ST_KEK_CURRENT, err);
	uint32_t want, have;

	if (s == NULL)
		return -1;
	if (sqlite3_step(s) != SQLITE_ROW)
		return vault_sql_fail(v, sqlite3_errcode(v->db), err, "read current KEK");
	want = (uint32_t)sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	pthread_rwlock_rdlock(&v->sh->ring_mu);
	have = keys_ring_current_kek(v->sh->ring);
	pthread_rwlock_unlock(&v->sh->ring_mu);
	if (want == have)
		return 0;
	if (vault_ring_reload(v, err) != 0)
		return -1;
	pthread_rwlock_rdlock(&v->sh->ring_mu);
	have = keys_ring_current_kek(v->sh->ring);
	pthread_rwlock_unlock(&v->sh->ring_mu);
	return want == have ? 0 : util_fail(err, UTIL_ECORRUPT, "the current KEK is missing from the keyring");
}

/* ---- meta rows ---- */

static int meta_put(sqlite3 *db, const char *k, const void *val, size_t n, util_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta(k, v) VALUES (?1, ?2)", -1, &s, NULL) != SQLITE_OK)
		return util_fail(err, UTIL_EIO, "cannot write meta");
	sqlite3_bind_text(s, 1, k, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, val, (int)n, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		vault v = {.db = db};

		return vault_sql_fail(&v, rc, err, "write meta");
	}
	return 0;
}

/* Reads meta value k into a new NUL-terminated string (*out, caller frees). */
static int meta_get(sqlite3 *db, const char *k, char **out, size_t *len, util_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT v FROM meta WHERE k = ?1", -1, &s, NULL) != SQLITE_OK)
		return util_fail(err, UTIL_EIO, "cannot read meta");
	sqlite3_bind_text(s, 1, k, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(s);
		return util_fail(err, UTIL_ECORRUPT, "the vault has no %s", k);
	}
	*len = (size_t)sqlite3_column_bytes(s, 0);
	*out = malloc(*len + 1);
	if (*out == NULL) {
		sqlite3_finalize(s);
		return util_fail(err, UTIL_ENOMEM, "out of memory");
	}
	if (*len)
		memcpy(*out, sqlite3_column_blob(s, 0), *len);
	(*out)[*len] = '\0';
	sqlite3_finalize(s);
	return 0;
}

/* ---- create, open, close ---- */

int vault_paths(const char *dir, const char *suffix, char paths[][VAULT_PATH_MAX], util_err *err)
{
	char name[256];
	int i;

	for (i = 0; i <= vault_file_count(); i++) {
		snprintf(name, sizeof name, "%s%s", i == 0 ? VAULT_DB : vault_file_at(i - 1)->name, suffix);
		if (db_path(paths[i], VAULT_PATH_MAX, dir, name, err) != 0)
			return -1;
	}
	return i;
}

/* Removes the database at path with its WAL and shared-memory files. */
static void unlink_made(const char *path)
{
	char side[VAULT_PATH_MAX + 16];

	unlink(path);
	snprintf(side, sizeof side, "%.*s-wal", VAULT_PATH_MAX, path);
	unlink(side);
	snprintf(side, sizeof side, "%.*s-shm", VAULT_PATH_MAX, path);
	unlink(side);
}

/* A new vault's identity and root, described in a new vault.meta; *key_created when a key file was made. */
static int create_root(const char *dir, const vault_unlock *u, char vault_id[VAULT_ID_HEX], keys_root **root,
    int *key_created, util_err *err)
{
	unsigned char id[16];
	json_t *desc, *m = NULL;
	int rc = -1;

	randombytes_buf(id, sizeof id);
	util_hex_encode(vault_id, id, sizeof id);
	if ((desc = unlock_desc(u, err)) == NULL)
		return -1;
	if ((m = json_pack("{s:i, s:s, s:O}", "format", 1, "vault_id", vault_id, "root", desc)) == NULL) {
		util_fail(err, UTIL_ENOMEM, "out of memory");
		goto out;
	}
	if (u->key_file != NULL) {
		if (keys_root_create_file(u->key_file, root, err) != 0)
			goto out;
		*key_created = 1;
	} else if (root_from_desc(desc, u, root, err) != 0) {
		goto out;
	}
	rc = meta_write(dir, m, 1, err);
out:
	json_decref(desc);
	json_decref(m);
	return rc;
}

/* A new vault's databases: every module's schema, then its identity, catalog and keyring. */
static int create_db(const char *dir, const keys_root *root, const char *vault_id, const char *catalog_json,
    util_err *err)
{
	char *pk;
	keys_ring *ring = NULL;
	sqlite3 *db = NULL;
	int rc = -1;

	if ((pk = keys_secret_alloc(VAULT_KEYS_STR)) == NULL || vault_page_keys(root, pk) != 0) {
		util_fail(err, UTIL_ENOMEM, "out of secret memory");
		goto out;
	}
	if (vault_db_connect(dir, pk, 1, &db, err) != 0 || vault_migrate(db, NULL, VAULT_SCHEMA, err) != 0 ||
	    keys_ring_generate(&ring, err) != 0 || vault_db_exec(db, "BEGIN IMMEDIATE", err) != 0)
		goto out;
	if (meta_put(db, "vault_id", vault_id, strlen(vault_id), err) != 0 ||
	    meta_put(db, "catalog", catalog_json, strlen(catalog_json), err) != 0 ||
	    vault_db_exec(db, "INSERT INTO meta(k, v) VALUES ('kek_current', 1)", err) != 0 ||
	    vault_ring_store(db, ring, root, err) != 0 || vault_db_exec(db, "COMMIT", err) != 0) {
		vault_db_exec(db, "ROLLBACK", NULL);
		goto out;
	}
	rc = 0;
out:
	sqlite3_close(db);
	keys_secret_free(pk);
	keys_ring_free(ring);
	return rc;
}

int vault_create(const char *dir, const vault_unlock *u, const char *catalog_json, char vault_id[VAULT_ID_HEX],
    util_err *err)
{
	char paths[1 + VAULT_FILES_MAX][VAULT_PATH_MAX], meta_file[VAULT_PATH_MAX];
	keys_root *root = NULL;
	vault_catalog *cat = NULL;
	int i, n, key_created = 0, rc = -1;
	struct stat st;

	if ((u->key_file == NULL) == (u->passphrase == NULL))
		return util_fail(err, UTIL_EINVAL, "give exactly one of a key file or a passphrase");
	if (catalog_json == NULL)
		catalog_json = vault_default_catalog;
	if (vault_catalog_parse(catalog_json, strlen(catalog_json), &cat, err) != 0)
		return -1;
	vault_catalog_free(cat);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return util_fail(err, UTIL_EIO, "cannot create %s: %s", dir, strerror(errno));
	if ((n = vault_paths(dir, "", paths, err)) < 0 || meta_path(meta_file, sizeof meta_file, dir, err) != 0)
		return -1;
	for (i = 0; i < n; i++)
		if (lstat(paths[i], &st) == 0)
			return util_fail(err, UTIL_EEXISTS, "%s already holds a vault", dir);
	if (lstat(meta_file, &st) == 0)
		return util_fail(err, UTIL_EEXISTS, "%s already holds a vault", dir);
	if (create_root(dir, u, vault_id, &root, &key_created, err) == 0 &&
	    (rc = create_db(dir, root, vault_id, catalog_json, err)) != 0)
		unlink(meta_file); /* leave no half-made vault behind */
	if (rc != 0) {
		for (i = 0; i < n; i++)
			if (lstat(paths[i], &st) == 0)
				unlink_made(paths[i]);
		if (key_created)
			unlink(u->key_file);
	}
	keys_root_free(root);
	return rc;
}

static vault *conn_new(util_err *err)
{
	vault *v = calloc(1, sizeof *v);

	if (v == NULL || (v->work = keys_secret_alloc(sizeof *v->work)) == NULL) {
		free(v);
		util_fail(err, UTIL_ENOMEM, "out of memory");
		return NULL;
	}
	v->work->used = sizeof v->work->blob;
	v->turn_fd = -1;
	vault_work_wipe(v);
	return v;
}

void vault_work_wipe(vault *v)
{
	vault_work *w = v->work;

	sodium_memzero(w->rnd, sizeof w->rnd);
	sodium_memzero(w->dek, sizeof w->dek);
	sodium_memzero(w->value, sizeof w->value);
	sodium_memzero(w->blob, w->used);
	sodium_memzero(w->fresh, w->used);
	w->used = 0;
}

static void shared_release(vault_shared *sh)
{
	int last;

	pthread_mutex_lock(&sh->mu);
	last = --sh->refs == 0;
	pthread_mutex_unlock(&sh->mu);
	if (!last)
		return;
	keys_secret_free(sh->page_key);
	keys_ring_free(sh->ring);
	keys_root_free(sh->root);
	vault_catalog_free(sh->cat);
	pthread_rwlock_destroy(&sh->ring_mu);
	pthread_mutex_destroy(&sh->mu);
	free(sh);
}

/*
 * Settles a pending root ("next") once the vault opened: promoted to the current root if it
 * is what opened the vault (a rekey stopped after its switch), dropped if the current root did
 * (a rekey stopped before it, or a key-file rekey, whose description does not change).
 */
static int meta_settle(const char *dir, int promote, util_err *err)
{
	json_t *m = meta_read(dir, err);
	int rc = 0;

	if (m == NULL)
		return -1;
	if (json_object_get(m, "next") != NULL) {
		if (promote)
			json_object_set(m, "root", json_object_get(m, "next"));
		json_object_del(m, "next");
		rc = meta_write(dir, m, 0, err);
	}
	json_decref(m);
	return rc;
}

/* Unlocks dir: the current root, or the pending one if a rekey stopped after its switch. */
static int unlock_db(const char *dir, const vault_unlock *u, keys_root **root, char *id, char **pk, sqlite3 **db,
    util_err *err)
{
	util_err first;
	int pending;

	for (pending = 0; pending < 2; pending++) {
		util_err *e = pending ? err : &first;

		if (vault_meta_unlock(dir, u, pending, root, id, e) == 0) {
			if ((*pk = keys_secret_alloc(VAULT_KEYS_STR)) == NULL || vault_page_keys(*root, *pk) != 0) {
				keys_secret_free(*pk);
				*pk = NULL;
				keys_root_free(*root);
				*root = NULL;
				return util_fail(err, UTIL_ENOMEM, "out of secret memory");
			}
			if (vault_db_connect(dir, *pk, 0, db, e) == 0)
				return meta_settle(dir, pending, err);
			keys_secret_free(*pk);
			*pk = NULL;
			keys_root_free(*root);
			*root = NULL;
		}
		if (!pending && first.code != UTIL_EKEY)
			break;
	}
	/* report why the current root failed: the pending one is only a fallback */
	*err = first;
	return -1;
}

int vault_open(vault **out, const char *dir, const vault_unlock *u, util_err *err)
{
	char *vid = NULL, *catj = NULL;
	size_t vlen, clen;
	vault_shared *sh;
	vault *v;

	if ((u->key_file == NULL) == (u->passphrase == NULL))
		return util_fail(err, UTIL_EINVAL, "give exactly one of a key file or a passphrase");
	if (strlen(dir) >= sizeof sh->dir)
		return util_fail(err, UTIL_EINVAL, "data directory path too long");
	if ((sh = calloc(1, sizeof *sh)) == NULL)
		return util_fail(err, UTIL_ENOMEM, "out of memory");
	if ((v = conn_new(err)) == NULL) {
		free(sh);
		return -1;
	}
	pthread_mutex_init(&sh->mu, NULL);
	pthread_rwlock_init(&sh->ring_mu, NULL);
	sh->refs = 1;
	strcpy(sh->dir, dir);
	v->sh = sh;
	turn_open(v);
	if (unlock_db(dir, u, &sh->root, sh->id, &sh->page_key, &v->db, err) != 0)
		goto fail;
	/* up to the migrations that need the keyring, which is read from the migrated schema */
	if (vault_migrate(v->db, NULL, VAULT_V_RESEAL - 1, err) != 0)
		goto fail;
	if (meta_get(v->db, "vault_id", &vid, &vlen, err) != 0 || meta_get(v->db, "catalog", &catj, &clen, err) != 0)
		goto fail;
	if (strcmp(vid, sh->id) != 0) {
		util_fail(err, UTIL_ECORRUPT, "vault.meta and vault.db belong to different vaults");
		goto fail;
	}
	if (vault_catalog_parse(catj, clen, &sh->cat, err) != 0 || vault_ring_load(v->db, sh->root, &sh->ring, err) != 0 ||
	    vault_migrate(v->db, v, VAULT_SCHEMA, err) != 0)
		goto fail;
	free(vid);
	free(catj);
	*out = v;
	return 0;
fail:
	free(vid);
	free(catj);
	vault_close(v);
	return -1;
}

/* A second connection to v's vault: all its files, or (alone) one module's file alone as its main database. */
static int connect_again(vault **out, vault *v, const vault_file *alone, util_err *err)
{
	char path[VAULT_PATH_MAX];
	vault *c;
	int rc = -1, kib, i;

	if ((c = conn_new(err)) == NULL)
		return -1;
	if (alone == NULL) {
		rc = vault_db_connect(v->sh->dir, v->sh->page_key, 0, &c->db, err);
	} else {
		for (i = 0; i < vault_file_count() && vault_file_at(i) != alone; i++)
			;
		if (i == vault_file_count())
			util_fail(err, UTIL_EINVAL, "%s is not a registered file", alone->name);
		else if (db_path(path, sizeof path, v->sh->dir, alone->name, err) == 0)
			rc = vault_db_open(path, VAULT_FILE_KEY(v->sh->page_key, i), 0, &c->db, err);
	}
	pthread_mutex_lock(&v->sh->mu);
	kib = v->sh->conn_cache_kib;
	pthread_mutex_unlock(&v->sh->mu);
	if (rc == 0 && kib > 0) {
		char q[64];

		snprintf(q, sizeof q, "PRAGMA main.cache_size = -%d", kib);
		if ((rc = vault_db_exec(c->db, q, err)) != 0)
			sqlite3_close(c->db);
	}
	if (rc != 0) {
		keys_secret_free(c->work);
		free(c);
		return -1;
	}
	pthread_mutex_lock(&v->sh->mu);
	v->sh->refs++;
	pthread_mutex_unlock(&v->sh->mu);
	c->sh = v->sh;
	c->alone = alone;
	turn_open(c);
	*out = c;
	return 0;
}

void vault_set_conn_cache(vault *v, int kib)
{
	pthread_mutex_lock(&v->sh->mu);
	v->sh->conn_cache_kib = kib > 0 ? kib : 0;
	pthread_mutex_unlock(&v->sh->mu);
}

int vault_clone(vault **out, vault *v, util_err *err)
{
	return connect_again(out, v, NULL, err);
}

int vault_sql_clone_file(vault **out, vault *v, const vault_file *f, util_err *err)
{
	return connect_again(out, v, f, err);
}

int vault_sql_file_only(const vault *v)
{
	return v->alone != NULL;
}

int vault_sql_in_tx(const vault *v)
{
	return v->in_tx;
}

int vault_sql_in_read(const vault *v)
{
	return v->in_read;
}

void vault_close(vault *v)
{
	int i;

	if (v == NULL)
		return;
	vault_rollback(v);
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(v->st[i]);
	for (i = 0; i < VAULT_STMT_CACHE; i++)
		sqlite3_finalize(v->cache[i].st);
	sqlite3_close(v->db);
	if (v->turn_fd >= 0)
		close(v->turn_fd);
	shared_release(v->sh);
	keys_secret_free(v->work);
	keys_secret_free(v->input);
	vault_prepared_free(v->prepared);
	free(v);
}

const vault_catalog *vault_catalog_of(const vault *v)
{
	return v->sh->cat;
}

const char *vault_id(const vault *v)
{
	return v->sh->id;
}

const keys_ring *vault_ring(const vault *v)
{
	return v->sh->ring;
}

int vault_lock(const char *dir, int exclusive, int *fd, util_err *err)
{
	char path[1100];
	int f;

	if (util_path_join(path, sizeof path, dir, VAULT_LOCK) != 0)
		return util_fail(err, UTIL_EINVAL, "data directory path too long");
	f = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (f < 0) {
		int e = errno;

		if (e == ENOENT)
			return util_fail(err, UTIL_ENOTFOUND, "no vault in %s", dir);
		return util_fail(err, UTIL_EIO, "cannot open the vault's lock file in %s: %s", dir, strerror(e));
	}
	if (flock(f, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
		close(f);
		return util_fail(err, UTIL_EBUSY, "the vault in %s is in use%s", dir,
		    exclusive ? " (stop vaultd first)" : " by an exclusive operation");
	}
	*fd = f;
	return 0;
}

/* ---- the seam for modules that keep tables in the vault (vault_sql.h) ---- */

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

int vault_sql_read_begin(vault *v, util_err *err)
{
	if (v->in_tx || v->in_read)
		return 0;
	if (exec_cached(v, "BEGIN DEFERRED", err) != 0)
		return -1;
	v->in_read = 1;
	return 0;
}

void vault_sql_read_end(vault *v)
{
	if (v->in_read) {
		(void)exec_cached(v, "COMMIT", NULL);
		v->in_read = 0;
	}
}

int vault_sql_begin(vault *v, int *mine, util_err *err)
{
	return vault_tx_begin(v, mine, err);
}

int vault_sql_end(vault *v, int mine, int ok, util_err *err)
{
	return vault_tx_end(v, mine, ok, err);
}

void vault_sign(vault *v, const unsigned char *m, size_t n, unsigned char sig[64])
{
	pthread_rwlock_rdlock(&v->sh->ring_mu);
	keys_ring_sign(v->sh->ring, m, n, sig);
	pthread_rwlock_unlock(&v->sh->ring_mu);
}

void vault_public_key(vault *v, unsigned char pk[32])
{
	pthread_rwlock_rdlock(&v->sh->ring_mu);
	keys_ring_public_key(v->sh->ring, pk);
	pthread_rwlock_unlock(&v->sh->ring_mu);
}

void vault_box_seal(vault *v, const char *label, const unsigned char *m, size_t n, unsigned char *out)
{
	randombytes_buf(out, KEYS_NONCE_BYTES);
	pthread_rwlock_rdlock(&v->sh->ring_mu);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + KEYS_NONCE_BYTES, NULL, m, n, (const unsigned char *)label,
	    strlen(label), NULL, out, keys_ring_key(v->sh->ring, KEYS_RING_BOX));
	pthread_rwlock_unlock(&v->sh->ring_mu);
}

int vault_box_open(vault *v, const char *label, const unsigned char *c, size_t n, unsigned char *out, util_err *err)
{
	int rc;

	if (n < VAULT_BOX_OVERHEAD)
		return util_fail(err, UTIL_ECORRUPT, "a sealed box is too short");
	pthread_rwlock_rdlock(&v->sh->ring_mu);
	rc = crypto_aead_xchacha20poly1305_ietf_decrypt(out, NULL, NULL, c + KEYS_NONCE_BYTES, n - KEYS_NONCE_BYTES,
	    (const unsigned char *)label, strlen(label), c, keys_ring_key(v->sh->ring, KEYS_RING_BOX));
	pthread_rwlock_unlock(&v->sh->ring_mu);
	return rc == 0 ? 0 : util_fail(err, UTIL_ECORRUPT, "a sealed box failed to authenticate");
}

void vault_keyed_hash(vault *v, int which, const void *m, size_t n, unsigned char out[32])
{
	if (which != KEYS_RING_TOKEN && which != KEYS_RING_PSEUDONYM && which != KEYS_RING_LOCKOUT)
		abort(); /* misuse: the blind index has its own function, the box key hashes nothing */
	pthread_rwlock_rdlock(&v->sh->ring_mu);
	crypto_generichash(out, 32, m, n, keys_ring_key(v->sh->ring, which), KEYS_BYTES);
	pthread_rwlock_unlock(&v->sh->ring_mu);
}
