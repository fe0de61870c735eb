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

static int db_exec(sqlite3 *db, const char *sql, util_err *err)
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
	return db_exec(v->db, sql, err);
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
	v->copy_id = 0;
	return 0;
}

/* 1 when row id of audit_pending is in vault.db as committed. */
static int copy_committed(vault *v, int64_t id)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(v->db, "SELECT 1 FROM main.audit_pending WHERE id = ?1", -1, &s, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW;
}

int vault_commit(vault *v, util_err *err)
{
	int64_t copy = v->copy_id;

	if (!v->in_tx)
		return util_fail(err, UTIL_ESTATE, "no transaction is open");
	v->copy_id = 0;
	if (exec_cached(v, "COMMIT", err) != 0) {
		vault_rollback(v);
		/* vault.db commits first: if its part is there, the change stands (see vault_sql.h) */
		if (copy > 0 && copy_committed(v, copy)) {
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
	v->copy_id = 0;
	if (v->in_tx) {
		sqlite3_exec(v->db, "ROLLBACK", NULL, NULL, NULL);
		v->in_tx = 0;
	}
}

int vault_bulk_begin(vault *v, util_err *err)
{
	/* both files stay synchronous = FULL: the order of their commits must survive a power cut
	 * (audit_settle drops copies only once the log holds them), and at a batch of thousands a
	 * transaction, one fsync a commit costs next to nothing */
	return vault_exec(v, "PRAGMA wal_autocheckpoint = 16384; PRAGMA main.cache_size = -262144;"
	                     " PRAGMA audit.cache_size = -65536;",
	    err);
}

int vault_bulk_end(vault *v, util_err *err)
{
	return vault_exec(v, "PRAGMA wal_autocheckpoint = 1000; PRAGMA main.cache_size = -2000;"
	                     " PRAGMA audit.cache_size = -2000; PRAGMA main.wal_checkpoint(FULL);"
	                     " PRAGMA audit.wal_checkpoint(FULL);",
	    err);
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
	if (db_exec(db,
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
	return keys_root_page_key_str(root, KEYS_ROOT_PAGE, keys) == 0 &&
	               keys_root_page_key_str(root, KEYS_ROOT_AUDIT_PAGE, VAULT_AUDIT_KEY(keys)) == 0
	           ? 0
	           : -1;
}

static int attach_audit(sqlite3 *db, const char *path, const char *key, util_err *err)
{
	sqlite3_stmt *s = NULL;
	vault v = {.db = db};
	int rc;

	if (sqlite3_prepare_v2(db, "ATTACH DATABASE ?1 AS audit KEY ?2", -1, &s, NULL) != SQLITE_OK)
		return vault_sql_fail(&v, sqlite3_errcode(db), err, "attach the audit log");
	sqlite3_bind_text(s, 1, path, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return vault_sql_fail(&v, rc, err, "attach the audit log");
	rc = sqlite3_exec(db, "SELECT count(*) FROM audit.sqlite_master", NULL, NULL, NULL);
	if (rc == SQLITE_NOTADB) {
		db_exec(db, "DETACH DATABASE audit", NULL);
		return util_fail(err, UTIL_EKEY, "the key does not open %s", path);
	}
	/* WAL again after a restore or a stopped rekey, which leave the file in rollback mode */
	if (rc != SQLITE_OK || db_exec(db,
	                           "PRAGMA audit.journal_mode = WAL; PRAGMA audit.synchronous = FULL;"
	                           " PRAGMA audit.secure_delete = ON;",
	                           err) != 0) {
		if (rc != SQLITE_OK)
			vault_sql_fail(&v, rc, err, "open the audit log");
		db_exec(db, "DETACH DATABASE audit", NULL);
		return -1;
	}
	return 0;
}

/* Makes an empty audit.db at path (WAL, under key), unless a file is there. */
static int make_audit(const char *path, const char *key, util_err *err)
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
 * A rekey switches vault.db, then audit.db, each by a rename. If it stopped between the two,
 * vault.db opens with the new root and audit.db.rekey holds the log under the new root's key:
 * finish the switch, after checking that key opens it.
 */
static int finish_audit_rekey(const char *dir, const char *path, const char *key, util_err *err)
{
	char tmp[1100];
	struct stat st;
	sqlite3 *db;

	if (db_path(tmp, sizeof tmp, dir, VAULT_AUDIT_DB ".rekey", err) != 0)
		return -1;
	if (lstat(tmp, &st) != 0)
		return -1; /* nothing to finish: err stays as it was */
	if (vault_db_open(tmp, key, 0, &db, err) != 0)
		return -1;
	sqlite3_close(db);
	if (rename(tmp, path) != 0 || util_fsync_dir(path) != 0)
		return util_fail(err, UTIL_EIO, "cannot finish switching the audit log to the new key: %s", strerror(errno));
	return 0;
}

int vault_db_connect(const char *dir, const char *keys, int create, sqlite3 **out, util_err *err)
{
	char path[1100], apath[1100];
	sqlite3 *db = NULL;
	util_err e2;
	int ver = 0;

	if (db_path(path, sizeof path, dir, VAULT_DB, err) != 0 || db_path(apath, sizeof apath, dir, VAULT_AUDIT_DB, err) != 0)
		return -1;
	if (vault_db_open(path, keys, create, &db, err) != 0)
		return -1;
	/* vault.db from before audit.db (schema 3 or less): migration 4 fills a new one */
	if (create || (vault_user_version(db, &ver) == 0 && ver < 4)) {
		if (make_audit(apath, VAULT_AUDIT_KEY(keys), err) != 0)
			goto fail;
	}
	if (attach_audit(db, apath, VAULT_AUDIT_KEY(keys), &e2) != 0) {
		util_err e3 = {0};

		/* a rekey that stopped between its two renames: finish it, then attach again */
		if (e2.code != UTIL_EKEY || finish_audit_rekey(dir, apath, VAULT_AUDIT_KEY(keys), &e3) != 0) {
			if (err != NULL)
				*err = e3.code != UTIL_OK ? e3 : e2; /* why the finish failed, if it was tried */
			goto fail;
		}
		if (attach_audit(db, apath, VAULT_AUDIT_KEY(keys), err) != 0)
			goto fail;
	}
	*out = db;
	return 0;
fail:
	sqlite3_close(db);
	return -1;
}

/* Schema migrations, applied in order on open; PRAGMA user_version records how far. */
static const char *const migrations[] = {
	/* 1: keyring, identity, citizens */
	"CREATE TABLE meta(k TEXT PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE key_items(name TEXT NOT NULL, wrap_id BLOB NOT NULL, wrapped BLOB NOT NULL,"
	" created_at INTEGER NOT NULL, PRIMARY KEY(name, wrap_id)) WITHOUT ROWID;"
	"CREATE TABLE citizens(id INTEGER PRIMARY KEY, cid BLOB NOT NULL UNIQUE, nid_index BLOB NOT NULL UNIQUE,"
	" kek_version INTEGER NOT NULL, dek BLOB NOT NULL, dek_version INTEGER NOT NULL, fields BLOB NOT NULL,"
	" totp BLOB NOT NULL, totp_step INTEGER NOT NULL DEFAULT 0,"
	" created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);",
	/* 2: the registry (agencies, purposes), consents, restrictions, the audit log, reviews */
	"CREATE TABLE agencies(id TEXT PRIMARY KEY, name TEXT NOT NULL, roles INTEGER NOT NULL,"
	" suspended INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);"
	"CREATE TABLE purposes(id TEXT PRIMARY KEY, agency_id TEXT NOT NULL REFERENCES agencies(id), code TEXT NOT NULL,"
	" desc_vi TEXT NOT NULL, desc_en TEXT NOT NULL, basis INTEGER NOT NULL, legal_reference TEXT,"
	" fields TEXT NOT NULL, max_days INTEGER NOT NULL, retention_days INTEGER NOT NULL,"
	" created_at INTEGER NOT NULL, UNIQUE(agency_id, code));"
	"CREATE TABLE consent_requests(id TEXT PRIMARY KEY, agency_id TEXT NOT NULL, purpose_id TEXT NOT NULL,"
	" cid BLOB, fields TEXT NOT NULL, days INTEGER NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL, decided_at INTEGER);"
	"CREATE INDEX consent_requests_cid ON consent_requests(cid, status);"
	"CREATE TABLE consents(id TEXT PRIMARY KEY, cid BLOB NOT NULL, agency_id TEXT NOT NULL,"
	" purpose_id TEXT NOT NULL, request_id TEXT, fields TEXT NOT NULL, granted_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL, revoked_at INTEGER NOT NULL DEFAULT 0, use_limit INTEGER NOT NULL DEFAULT 0,"
	" uses INTEGER NOT NULL DEFAULT 0, receipt TEXT NOT NULL);"
	"CREATE INDEX consents_lookup ON consents(cid, agency_id, purpose_id);"
	"CREATE TABLE restrictions(cid BLOB PRIMARY KEY, since INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE audit_entries(seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, cid BLOB, agency_id TEXT,"
	" action TEXT NOT NULL, decision TEXT, entry BLOB NOT NULL);"
	"CREATE INDEX audit_cid ON audit_entries(cid, seq) WHERE cid IS NOT NULL;"
	"CREATE TABLE audit_hashes(idx INTEGER PRIMARY KEY, hash BLOB NOT NULL);"
	"CREATE TABLE audit_checkpoints(size INTEGER PRIMARY KEY, note TEXT NOT NULL, created_at INTEGER NOT NULL);"
	"CREATE TABLE audit_head(id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER NOT NULL, note TEXT NOT NULL);"
	"CREATE TABLE reviews(seq INTEGER PRIMARY KEY, agency_id TEXT NOT NULL, purpose_id TEXT NOT NULL,"
	" outcome TEXT, note TEXT, reviewed_by TEXT, reviewed_at INTEGER);",
	/* 3: the API's callers: tokens (as keyed hashes), officers, failed logins, pseudonyms */
	"CREATE TABLE tokens(hash BLOB PRIMARY KEY, kind TEXT NOT NULL, subject TEXT NOT NULL,"
	" expires_at INTEGER NOT NULL, created_at INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX tokens_subject ON tokens(subject);"
	"CREATE TABLE officers(id TEXT PRIMARY KEY, name TEXT NOT NULL, totp BLOB NOT NULL,"
	" totp_step INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);"
	"CREATE TABLE auth_failures(ident BLOB NOT NULL, at INTEGER NOT NULL);"
	"CREATE INDEX auth_failures_ident ON auth_failures(ident, at);"
	"CREATE TABLE pseudonyms(agency_id TEXT NOT NULL, pid BLOB NOT NULL, cid BLOB NOT NULL,"
	" PRIMARY KEY(agency_id, pid)) WITHOUT ROWID;",
	/*
	 * 4: the audit log lives in audit.db (move_audit copies it there first), so that the
	 * lookups' group commits stop emptying every connection's page cache of vault.db. An entry
	 * made with a change to vault.db leaves a copy there (audit_pending) until audit_settle
	 * finds it in the log: the two files commit one after the other, not as one. Its ids are
	 * never reused (AUTOINCREMENT): a settle drops the copies up to the last id it looked at,
	 * and a copy made meanwhile must not fall under that id.
	 */
	"DROP TABLE main.audit_entries; DROP TABLE main.audit_hashes; DROP TABLE main.audit_checkpoints;"
	"DROP TABLE main.audit_head;"
	"CREATE TABLE audit_pending(id INTEGER PRIMARY KEY AUTOINCREMENT, entry BLOB NOT NULL);",
	/*
	 * 5: a lookup's decision reads its consents from the index alone. The rows also hold the
	 * signed receipts, so each one is a page of its own to read and decrypt, at random.
	 */
	"CREATE INDEX IF NOT EXISTS consents_decide ON consents(cid, agency_id, purpose_id, granted_at, expires_at,"
	" revoked_at, use_limit, uses, id, fields);"
	"DROP INDEX IF EXISTS consents_lookup;",
	/*
	 * 6: the log's citizen index in sorted runs (audit/log.c) instead of audit_cid. All of it is
	 * in audit.db and made first, by make_runs, in a transaction of its own; here only the
	 * version moves.
	 */
	"SELECT 1;",
	/*
	 * 7: records sealed as one (record.c, format 2) instead of value by value with their names
	 * in clear (format 1). It needs the keyring: reseal rewrites the records first, in
	 * transactions of RESEAL_BATCH, each row's format byte saying what is left after a stop;
	 * here only the version moves, once no record of format 1 is left.
	 */
	"SELECT 1;",
	/*
	 * 8: credentials that can be listed, rotated and ended. vault_columns_add adds the columns
	 * first (tokens: id, prefix, last_used; officers: active; pseudonyms: enrolled), each only
	 * if missing; tokens made before get an id, and their kind as their prefix.
	 */
	("UPDATE tokens SET id = 'tk_' || lower(hex(randomblob(8))), prefix = 'vk_' || kind || '_' WHERE id IS NULL;"
	 "CREATE UNIQUE INDEX IF NOT EXISTS tokens_id ON tokens(id);"),
	/*
	 * 9: the subject of each pending consent request, a keyed per-agency tag of the national ID
	 * asked about (policy_request_subject), kept only while the request is pending: the cap on
	 * pending requests per agency and ID counts by it, alike for enrolled, erased and
	 * never-enrolled IDs. Requests made before it have none and expire within 7 days.
	 */
	"CREATE TABLE IF NOT EXISTS request_subjects(id TEXT PRIMARY KEY, agency_id TEXT NOT NULL, subject BLOB NOT NULL,"
	" expires_at INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS request_subjects_cap ON request_subjects(agency_id, subject, expires_at);",
	/*
	 * 10: failed logins are counted in memory (api/lockout.c) under a key of their own; the
	 * table that kept them under the token-hashing key, and its rows, go.
	 */
	"DROP TABLE IF EXISTS auth_failures;",
};

#define MAKE_RUNS 5 /* the index of migration 6 */
#define RESEAL 6    /* the index of migration 7 */
#define CREDS 7     /* the index of migration 8 */
#define RESEAL_BATCH 1000

/*
 * Migration 6's audit.db half, which may run again after a stop: the runs' tables, the runs a
 * log of this size should have (from where any earlier try got to), and audit_cid dropped.
 */
static const char make_runs_sql[] =
	"CREATE TABLE IF NOT EXISTS audit.audit_runs(run INTEGER NOT NULL, cid BLOB NOT NULL, seq INTEGER NOT NULL,"
	" PRIMARY KEY(run, cid, seq)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS audit.audit_runs_head(id INTEGER PRIMARY KEY CHECK (id = 1), upto INTEGER NOT NULL);"
	"INSERT INTO audit.audit_runs(run, cid, seq) SELECT seq - seq % " VAULT_AUDIT_RUN_STR ", cid, seq"
	" FROM audit.audit_entries WHERE cid IS NOT NULL"
	" AND seq >= (SELECT coalesce(max(upto), 0) FROM audit.audit_runs_head)"
	" AND seq < (SELECT coalesce(max(seq) + 1, 0) FROM audit.audit_entries) / " VAULT_AUDIT_RUN_STR
	" * " VAULT_AUDIT_RUN_STR " ORDER BY 1, 2, 3;"
	"INSERT OR REPLACE INTO audit.audit_runs_head(id, upto)"
	" SELECT 1, (SELECT coalesce(max(seq) + 1, 0) FROM audit.audit_entries) / " VAULT_AUDIT_RUN_STR
	" * " VAULT_AUDIT_RUN_STR ";"
	"DROP INDEX IF EXISTS audit.audit_cid;";

static int make_runs(sqlite3 *db, util_err *err)
{
	if (db_exec(db, "BEGIN IMMEDIATE", err) != 0)
		return -1;
	if (db_exec(db, make_runs_sql, err) != 0 || db_exec(db, "COMMIT", err) != 0) {
		db_exec(db, "ROLLBACK", NULL);
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

#define MOVE_AUDIT 3 /* the index of migration 4 */
#define MOVE_TRIES 3

/* 1, 0, or -1 (err filled) for the one integer sql returns. */
static int db_flag(sqlite3 *db, const char *sql, util_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return util_fail(err, UTIL_EIO, "cannot read the audit log's schema");
	rc = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) != 0 : -1;
	sqlite3_finalize(s);
	return rc < 0 ? util_fail(err, UTIL_EIO, "cannot read the audit log's schema") : rc;
}

/*
 * Migration 4's first half, a transaction that changes audit.db alone: the log's tables made
 * there if they are not, and filled from vault.db's unless they already hold the same log (a
 * first half that committed before a stop). The second half (the DROP in vault.db) runs only
 * if the two logs still match under its write lock: a process of the old program may have
 * appended in between, or audit.db may be a stray file.
 */
static int move_audit(sqlite3 *db, util_err *err)
{
	int have, same = 0;

	if (db_exec(db, "BEGIN IMMEDIATE", err) != 0)
		return -1;
	if ((have = db_flag(db, "SELECT count(*) FROM audit.sqlite_master WHERE name = 'audit_entries'", err)) < 0 ||
	    (!have && db_exec(db, make_audit_sql, err) != 0) || (have && (same = db_flag(db, same_log_sql, err)) < 0) ||
	    (!same && db_exec(db, copy_audit_sql, err) != 0) || db_exec(db, "COMMIT", err) != 0) {
		db_exec(db, "ROLLBACK", NULL);
		return -1;
	}
	return 0;
}

#define MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))
_Static_assert(MIGRATIONS == VAULT_SCHEMA, "VAULT_SCHEMA (vault.h) is the number of migrations");

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

/*
 * Migration 7's first half: every record of format 1 rewritten, RESEAL_BATCH to a transaction.
 * A vault being made (v NULL) has no records to rewrite.
 */
static int reseal(sqlite3 *db, vault *v, util_err *err)
{
	int64_t after = 0, done;

	if (v == NULL)
		return 0;
	do {
		if (db_exec(db, "BEGIN IMMEDIATE", err) != 0)
			return -1;
		if (vault_citizen_reseal_v1(v, &after, RESEAL_BATCH, &done, err) != 0 || db_exec(db, "COMMIT", err) != 0) {
			db_exec(db, "ROLLBACK", NULL);
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
static int reseal_rest(sqlite3 *db, vault *v, util_err *err)
{
	int64_t after = 0, done;
	int left;

	if (v != NULL)
		return vault_citizen_reseal_v1(v, &after, INT64_MAX, &done, err);
	if ((left = db_flag(db, "SELECT count(*) FROM citizens WHERE substr(fields, 1, 1) = x'01'", err)) < 0)
		return -1;
	return left ? util_fail(err, UTIL_ESTATE, "records of format 1 need the keyring to be rewritten") : 0;
}

/*
 * Applies the migrations from the vault's version up to (not including) index upto. v, with
 * the keyring loaded, is needed from migration 7 on (RESEAL) when the vault holds records.
 */
static int migrate(sqlite3 *db, vault *v, int upto, util_err *err)
{
	char sql[64];
	int have, i, same, tries = 0;

	if (vault_user_version(db, &have) != 0)
		return util_fail(err, UTIL_EIO, "cannot read the schema version");
	if (have > MIGRATIONS)
		return util_fail(err, UTIL_ESTATE, "the vault's schema (%d) is newer than this program (%d)", have,
		    MIGRATIONS);
	for (i = have; i < upto; i++) {
		if (i == MOVE_AUDIT && move_audit(db, err) != 0)
			return -1;
		if (i == MAKE_RUNS && make_runs(db, err) != 0)
			return -1;
		if (i == RESEAL && reseal(db, v, err) != 0)
			return -1;
		if (db_exec(db, "BEGIN IMMEDIATE", err) != 0)
			return -1;
		/* re-read inside the write lock: another process may have migrated meanwhile */
		if (vault_user_version(db, &have) != 0 || have > i) {
			db_exec(db, "ROLLBACK", NULL);
			continue;
		}
		if (i == MOVE_AUDIT && (same = db_flag(db, same_log_sql, err)) != 1) {
			db_exec(db, "ROLLBACK", NULL);
			if (same < 0)
				return -1;
			if (++tries == MOVE_TRIES)
				return util_fail(err, UTIL_EBUSY, "the audit log kept changing while it was moved to %s:"
				                                  " stop other programs using the vault and open it again",
				    VAULT_AUDIT_DB);
			i--; /* copy again, then drop */
			continue;
		}
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d", i + 1);
		if ((i == RESEAL && reseal_rest(db, v, err) != 0) || (i == CREDS && vault_columns_add(db, err) != 0) ||
		    db_exec(db, migrations[i], err) != 0 ||
		    db_exec(db, sql, err) != 0 || db_exec(db, "COMMIT", err) != 0) {
			db_exec(db, "ROLLBACK", NULL);
			return -1;
		}
	}
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


int vault_create(const char *dir, const vault_unlock *u, const char *catalog_json, char vault_id[VAULT_ID_HEX],
    util_err *err)
{
	char path[1100], apath[1100], meta_file[1100];
	unsigned char id[16];
	char *pk = NULL;
	json_t *m = NULL, *desc = NULL;
	keys_root *root = NULL;
	keys_ring *ring = NULL;
	vault_catalog *cat = NULL;
	sqlite3 *db = NULL;
	int key_created = 0, meta_created = 0, rc = -1;
	struct stat st;
	unsigned char one[4];

	if ((u->key_file == NULL) == (u->passphrase == NULL))
		return util_fail(err, UTIL_EINVAL, "give exactly one of a key file or a passphrase");
	if (catalog_json == NULL)
		catalog_json = vault_default_catalog;
	if (vault_catalog_parse(catalog_json, strlen(catalog_json), &cat, err) != 0)
		return -1;
	vault_catalog_free(cat);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return util_fail(err, UTIL_EIO, "cannot create %s: %s", dir, strerror(errno));
	if (db_path(path, sizeof path, dir, VAULT_DB, err) != 0 || db_path(apath, sizeof apath, dir, VAULT_AUDIT_DB, err) != 0 ||
	    meta_path(meta_file, sizeof meta_file, dir, err) != 0)
		return -1;
	if (lstat(path, &st) == 0 || lstat(apath, &st) == 0 || lstat(meta_file, &st) == 0)
		return util_fail(err, UTIL_EEXISTS, "%s already holds a vault", dir);

	randombytes_buf(id, sizeof id);
	util_hex_encode(vault_id, id, sizeof id);
	if ((desc = unlock_desc(u, err)) == NULL)
		goto out;
	m = json_pack("{s:i, s:s, s:O}", "format", 1, "vault_id", vault_id, "root", desc);
	if (m == NULL) {
		util_fail(err, UTIL_ENOMEM, "out of memory");
		goto out;
	}
	if (u->key_file != NULL) {
		if (keys_root_create_file(u->key_file, &root, err) != 0)
			goto out;
		key_created = 1;
	} else if (root_from_desc(desc, u, &root, err) != 0) {
		goto out;
	}
	if (meta_write(dir, m, 1, err) != 0)
		goto out;
	meta_created = 1;
	if ((pk = keys_secret_alloc(VAULT_KEYS_STR)) == NULL || vault_page_keys(root, pk) != 0) {
		util_fail(err, UTIL_ENOMEM, "out of secret memory");
		goto out;
	}
	if (vault_db_connect(dir, pk, 1, &db, err) != 0 || migrate(db, NULL, MIGRATIONS, err) != 0)
		goto out;
	if (keys_ring_generate(&ring, err) != 0)
		goto out;
	util_put_u32(one, 1);
	if (db_exec(db, "BEGIN IMMEDIATE", err) != 0)
		goto out;
	if (meta_put(db, "vault_id", vault_id, strlen(vault_id), err) != 0 ||
	    meta_put(db, "catalog", catalog_json, strlen(catalog_json), err) != 0 ||
	    db_exec(db, "INSERT INTO meta(k, v) VALUES ('kek_current', 1)", err) != 0 ||
	    vault_ring_store(db, ring, root, err) != 0 || db_exec(db, "COMMIT", err) != 0) {
		db_exec(db, "ROLLBACK", NULL);
		goto out;
	}
	rc = 0;
out:
	sqlite3_close(db);
	if (rc != 0) {
		/* leave no half-made vault behind */
		char side[1200];

		const char *made[] = {path, apath};
		size_t i;

		for (i = 0; i < 2; i++) {
			if (lstat(made[i], &st) != 0)
				continue;
			unlink(made[i]);
			snprintf(side, sizeof side, "%s-wal", made[i]);
			unlink(side);
			snprintf(side, sizeof side, "%s-shm", made[i]);
			unlink(side);
		}
		if (meta_created)
			unlink(meta_file);
		if (key_created)
			unlink(u->key_file);
	}
	keys_secret_free(pk);
	keys_ring_free(ring);
	keys_root_free(root);
	json_decref(desc);
	json_decref(m);
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
	if (migrate(v->db, NULL, RESEAL, err) != 0)
		goto fail;
	if (meta_get(v->db, "vault_id", &vid, &vlen, err) != 0 || meta_get(v->db, "catalog", &catj, &clen, err) != 0)
		goto fail;
	if (strcmp(vid, sh->id) != 0) {
		util_fail(err, UTIL_ECORRUPT, "vault.meta and vault.db belong to different vaults");
		goto fail;
	}
	if (vault_catalog_parse(catj, clen, &sh->cat, err) != 0 || vault_ring_load(v->db, sh->root, &sh->ring, err) != 0 ||
	    migrate(v->db, v, MIGRATIONS, err) != 0)
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

/* A second connection to v's vault: both files, or (log_only) audit.db alone as its main database. */
static int connect_again(vault **out, vault *v, int log_only, util_err *err)
{
	char path[1100];
	vault *c;
	int rc, kib;

	if (log_only && db_path(path, sizeof path, v->sh->dir, VAULT_AUDIT_DB, err) != 0)
		return -1;
	if ((c = conn_new(err)) == NULL)
		return -1;
	rc = log_only ? vault_db_open(path, VAULT_AUDIT_KEY(v->sh->page_key), 0, &c->db, err)
	              : vault_db_connect(v->sh->dir, v->sh->page_key, 0, &c->db, err);
	pthread_mutex_lock(&v->sh->mu);
	kib = v->sh->conn_cache_kib;
	pthread_mutex_unlock(&v->sh->mu);
	if (rc == 0 && kib > 0) {
		char q[64];

		snprintf(q, sizeof q, "PRAGMA main.cache_size = -%d", kib);
		if ((rc = db_exec(c->db, q, err)) != 0)
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
	c->log_only = log_only;
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
	return connect_again(out, v, 0, err);
}

int vault_sql_clone_log(vault **out, vault *v, util_err *err)
{
	return connect_again(out, v, 1, err);
}

int vault_sql_log_only(const vault *v)
{
	return v->log_only;
}

int vault_sql_in_tx(const vault *v)
{
	return v->in_tx;
}

int vault_sql_in_read(const vault *v)
{
	return v->in_read;
}

void vault_sql_note_copy(vault *v, int64_t id)
{
	v->copy_id = id;
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
