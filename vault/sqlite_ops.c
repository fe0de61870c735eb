/* sqlite_ops.c: operator work on a whole vault: KEK rotation, rekey, backup, restore, statistics, counters. */
#include "sqlite_private.h"
#include "sqlite.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REWRAP_BATCH 1000

/* Rewraps up to REWRAP_BATCH DEKs not yet under version `to`, after rowid *after. */
static int rewrap_batch(vault *v, uint32_t to, int64_t *after, uint64_t *done, int *more, util_err *err)
{
	sqlite3_stmt *sel = NULL, *upd = NULL;
	unsigned char *dek = v->work->dek, wrapped[KEYS_WRAPPED_DEK_BYTES];
	int rc, n = 0, ok = 0;

	*more = 0;
	if (vault_begin(v, err) != 0)
		return -1;
	if (vault_kek_sync(v, err) != 0)
		goto out;
	if (sqlite3_prepare_v2(v->db,
	        "SELECT id, cid, kek_version, dek FROM citizens WHERE id > ?1 AND kek_version <> ?2 ORDER BY id LIMIT ?3",
	        -1, &sel, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(v->db, "UPDATE citizens SET kek_version = ?2, dek = ?3 WHERE id = ?1", -1, &upd, NULL) !=
	        SQLITE_OK) {
		vault_sql_fail(v, sqlite3_errcode(v->db), err, "rotate");
		goto out;
	}
	sqlite3_bind_int64(sel, 1, *after);
	sqlite3_bind_int64(sel, 2, to);
	sqlite3_bind_int(sel, 3, REWRAP_BATCH);
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		const unsigned char *cid = sqlite3_column_blob(sel, 1);
		uint32_t got;

		if (sqlite3_column_bytes(sel, 1) != KEYS_CID_BYTES) {
			util_fail(err, UTIL_ECORRUPT, "a citizen row has a bad id");
			goto out;
		}
		pthread_rwlock_rdlock(&v->sh->ring_mu);
		rc = keys_ring_unwrap_dek(v->sh->ring, (uint32_t)sqlite3_column_int64(sel, 2), cid,
		    sqlite3_column_blob(sel, 3), (size_t)sqlite3_column_bytes(sel, 3), dek, err);
		if (rc == 0)
			keys_ring_wrap_dek(v->sh->ring, cid, dek, wrapped, &got);
		pthread_rwlock_unlock(&v->sh->ring_mu);
		sodium_memzero(dek, KEYS_BYTES);
		if (rc != 0)
			goto out;
		sqlite3_reset(upd);
		sqlite3_bind_int64(upd, 1, sqlite3_column_int64(sel, 0));
		sqlite3_bind_int64(upd, 2, got);
		sqlite3_bind_blob(upd, 3, wrapped, sizeof wrapped, SQLITE_STATIC);
		if (sqlite3_step(upd) != SQLITE_DONE) {
			vault_sql_fail(v, sqlite3_errcode(v->db), err, "rewrap");
			goto out;
		}
		*after = sqlite3_column_int64(sel, 0);
		n++;
	}
	if (rc != SQLITE_DONE) {
		vault_sql_fail(v, rc, err, "rotate");
		goto out;
	}
	ok = 1;
out:
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	if (!ok) {
		vault_rollback(v);
		return -1;
	}
	if (vault_commit(v, err) != 0)
		return -1;
	*done += (uint64_t)n;
	*more = n == REWRAP_BATCH;
	return 0;
}

/* Destroys every KEK version but the current one that no DEK is wrapped under. */
static int drop_unused_keks(vault *v, util_err *err)
{
	uint32_t versions[KEYS_MAX_KEKS], cur;
	sqlite3_stmt *used = NULL, *del = NULL;
	size_t i, n;
	int ok = 0;

	if (vault_begin(v, err) != 0)
		return -1;
	if (vault_kek_sync(v, err) != 0)
		goto out;
	pthread_rwlock_rdlock(&v->sh->ring_mu);
	n = keys_ring_kek_versions(v->sh->ring, versions, KEYS_MAX_KEKS);
	cur = keys_ring_current_kek(v->sh->ring);
	pthread_rwlock_unlock(&v->sh->ring_mu);
	if (sqlite3_prepare_v2(v->db, "SELECT 1 FROM citizens WHERE kek_version = ?1 LIMIT 1", -1, &used, NULL) !=
	        SQLITE_OK ||
	    sqlite3_prepare_v2(v->db, "DELETE FROM key_items WHERE name = ?1", -1, &del, NULL) != SQLITE_OK) {
		vault_sql_fail(v, sqlite3_errcode(v->db), err, "drop KEK");
		goto out;
	}
	for (i = 0; i < n; i++) {
		char name[KEYS_ITEM_NAME_MAX];
		int rc;

		if (versions[i] == cur)
			continue;
		sqlite3_reset(used);
		sqlite3_bind_int64(used, 1, versions[i]);
		rc = sqlite3_step(used);
		if (rc == SQLITE_ROW)
			continue;
		if (rc != SQLITE_DONE) {
			vault_sql_fail(v, rc, err, "drop KEK");
			goto out;
		}
		snprintf(name, sizeof name, "kek:%u", (unsigned)versions[i]);
		sqlite3_reset(del);
		sqlite3_bind_text(del, 1, name, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(del) != SQLITE_DONE) {
			vault_sql_fail(v, sqlite3_errcode(v->db), err, "drop KEK");
			goto out;
		}
	}
	ok = 1;
out:
	sqlite3_finalize(used);
	sqlite3_finalize(del);
	if (!ok) {
		vault_rollback(v);
		return -1;
	}
	if (vault_commit(v, err) != 0)
		return -1;
	return vault_ring_reload(v, err);
}

int vault_rotate_kek(vault *v, uint32_t *new_version, uint64_t *rewrapped, util_err *err)
{
	char sql[96];
	int64_t after = 0;
	int more = 1, ok = 0;

	*rewrapped = 0;
	if (v->in_tx)
		return util_fail(err, UTIL_ESTATE, "rotate-kek runs its own transactions");
	/* 1. a new KEK version, stored and made current in one transaction */
	if (vault_begin(v, err) != 0)
		return -1;
	if (vault_kek_sync(v, err) != 0)
		goto fail;
	pthread_rwlock_wrlock(&v->sh->ring_mu);
	ok = keys_ring_add_kek(v->sh->ring, new_version, err) == 0 &&
	     vault_ring_store(v->db, v->sh->ring, v->sh->root, err) == 0;
	pthread_rwlock_unlock(&v->sh->ring_mu);
	if (!ok)
		goto fail;
	snprintf(sql, sizeof sql, "UPDATE meta SET v = %u WHERE k = 'kek_current'", (unsigned)*new_version);
	if (vault_exec(v, sql, err) != 0 || vault_commit(v, err) != 0)
		goto fail;
	/* 2. every DEK rewrapped, a batch per transaction so writers are never held long */
	while (more)
		if (rewrap_batch(v, *new_version, &after, rewrapped, &more, err) != 0)
			return -1;
	/* 3. old versions destroyed once nothing uses them */
	return drop_unused_keks(v, err);
fail:
	vault_rollback(v);
	vault_ring_reload(v, NULL); /* forget a KEK that was never committed */
	return -1;
}

/* ---- rekey ---- */

static int join(char *out, size_t n, const char *dir, const char *name, util_err *err)
{
	if (util_path_join(out, n, dir, name) != 0)
		return util_fail(err, UTIL_EINVAL, "data directory path too long");
	return 0;
}

static void unlink_db(const char *path)
{
	char side[1200];

	unlink(path);
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-journal", path);
	unlink(side);
}

/* Copies the main database of src into a new file path under key (sqlcipher_export). */
static int export_copy(sqlite3 *src, const char *path, const char *key, util_err *err)
{
	sqlite3 *ndb = NULL;
	sqlite3_stmt *att = NULL;
	vault v = {.db = src};
	int rc = -1;

	/* the file made first: ATTACH cannot create it */
	if (vault_db_open(path, key, 1, &ndb, err) != 0)
		return -1;
	sqlite3_close(ndb);
	if (sqlite3_prepare_v2(src, "ATTACH DATABASE ?1 AS rekey KEY ?2", -1, &att, NULL) != SQLITE_OK)
		return vault_sql_fail(&v, sqlite3_errcode(src), err, "rekey");
	sqlite3_bind_text(att, 1, path, -1, SQLITE_STATIC);
	sqlite3_bind_text(att, 2, key, -1, SQLITE_STATIC);
	if (sqlite3_step(att) != SQLITE_DONE) {
		vault_sql_fail(&v, sqlite3_errcode(src), err, "rekey attach");
		goto out;
	}
	if (vault_exec(&v, "SELECT sqlcipher_export('rekey')", err) == 0)
		rc = 0;
	if (vault_exec(&v, "DETACH DATABASE rekey", rc == 0 ? err : NULL) != 0)
		rc = -1;
out:
	sqlite3_finalize(att);
	return rc;
}

/* Folds db's WAL into its file and closes db, whatever happens: the copy must stand alone. */
static int seal_copy(sqlite3 *db, util_err *err)
{
	int rc = sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);

	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : util_fail(err, UTIL_EIO, "cannot checkpoint the copy");
}

/* 2. full copies of every database of v at tmps (vault.db's first) under the new page keys newpk */
static int rekey_copy(vault *v, char tmps[][VAULT_PATH_MAX], int n, const char *newpk, util_err *err)
{
	vault *lv = NULL;
	sqlite3 *ndb;
	int i, rc;

	if (export_copy(v->db, tmps[0], newpk, err) != 0)
		return -1;
	for (i = 1; i < n; i++) {
		const char *key = VAULT_FILE_KEY(newpk, i - 1);

		if (vault_sql_clone_file(&lv, v, vault_file_at(i - 1), err) != 0)
			return -1;
		rc = export_copy(lv->db, tmps[i], key, err);
		vault_close(lv);
		if (rc != 0 || vault_db_open(tmps[i], key, 0, &ndb, err) != 0 || seal_copy(ndb, err) != 0) /* closes ndb */
			return -1;
	}
	return 0;
}

/* 3. in the copy of vault.db (tmp): the schema version, and the keyring wrapped by the new root only */
static int rekey_ring(vault *v, const char *tmp, const char *newpk, const keys_root *nroot, util_err *err)
{
	char sql[64];
	sqlite3 *ndb;
	int ver = 0;

	if (vault_db_open(tmp, newpk, 0, &ndb, err) != 0)
		return -1;
	if (vault_user_version(v->db, &ver) != 0) {
		sqlite3_close(ndb);
		return util_fail(err, UTIL_EIO, "cannot read the schema version");
	}
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", ver);
	if (sqlite3_exec(ndb, "BEGIN IMMEDIATE; DELETE FROM key_items;", NULL, NULL, NULL) != SQLITE_OK ||
	    vault_ring_store(ndb, v->sh->ring, nroot, err) != 0 || sqlite3_exec(ndb, sql, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(ndb, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		if (err != NULL && err->code == UTIL_OK)
			util_fail(err, UTIL_EIO, "cannot rewrap the keyring in the copy");
		sqlite3_exec(ndb, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(ndb);
		return -1;
	}
	return seal_copy(ndb, err); /* closes ndb */
}

/*
 * 5. the switch: one rename of vault.db. Before it the old root opens the vault, after it the
 * new (*switched). The modules' files' renames follow; if a stop falls between them,
 * vault_open finishes them.
 */
static int rekey_switch(char paths[][VAULT_PATH_MAX], char tmps[][VAULT_PATH_MAX], int n, int *switched, util_err *err)
{
	int i;

	if (rename(tmps[0], paths[0]) != 0 || util_fsync_dir(paths[0]) != 0)
		return util_fail(err, UTIL_EIO, "cannot switch to the rekeyed database: %s", strerror(errno));
	*switched = 1;
	for (i = 1; i < n; i++)
		if (rename(tmps[i], paths[i]) != 0 || util_fsync_dir(paths[i]) != 0)
			return util_fail(err, UTIL_EIO, "cannot switch to the rekeyed copy of %s: %s",
			    vault_file_at(i - 1)->what, strerror(errno));
	return 0;
}

/* 1. the new root, described as "next" in vault.meta (its salt must survive a crash), and its page keys */
static int rekey_root(const char *dir, const vault_unlock *nu, keys_root **nroot, char **newpk, int *key_created,
    util_err *err)
{
	char id[VAULT_ID_HEX];

	if (vault_meta_set_next(dir, nu, err) != 0)
		return -1;
	if (nu->key_file != NULL) {
		if (keys_root_create_file(nu->key_file, nroot, err) != 0)
			return -1;
		*key_created = 1;
	} else if (vault_meta_unlock(dir, nu, 1, nroot, id, err) != 0) {
		return -1;
	}
	if ((*newpk = keys_secret_alloc(VAULT_KEYS_STR)) == NULL || vault_page_keys(*nroot, *newpk) != 0)
		return util_fail(err, UTIL_ENOMEM, "out of secret memory");
	return 0;
}

int vault_rekey(const char *dir, const vault_unlock *old, const vault_unlock *nu, util_err *err)
{
	char paths[1 + VAULT_FILES_MAX][VAULT_PATH_MAX], tmps[1 + VAULT_FILES_MAX][VAULT_PATH_MAX], *newpk = NULL;
	vault *v = NULL, *check = NULL;
	keys_root *nroot = NULL;
	int i, n, lockfd = -1, key_created = 0, switched = 0, rc = -1;

	if ((nu->key_file == NULL) == (nu->passphrase == NULL))
		return util_fail(err, UTIL_EINVAL, "give exactly one new key file or new passphrase");
	if ((n = vault_paths(dir, "", paths, err)) < 0 || vault_paths(dir, ".rekey", tmps, err) < 0)
		return -1;
	if (vault_lock(dir, 1, &lockfd, err) != 0)
		return -1;
	if (vault_open(&v, dir, old, err) != 0)
		goto out;
	/* leftovers of an interrupted rekey are never the truth (vault_open finished any switch) */
	for (i = 0; i < n; i++)
		unlink_db(tmps[i]);
	if (rekey_root(dir, nu, &nroot, &newpk, &key_created, err) != 0 || rekey_copy(v, tmps, n, newpk, err) != 0 ||
	    rekey_ring(v, tmps[0], newpk, nroot, err) != 0)
		goto out;
	/* 4. the old files' WALs folded in and removed, so no stale WAL can meet a new file */
	if (vault_exec(v, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;", err) != 0)
		goto out;
	vault_close(v);
	v = NULL;
	if (rekey_switch(paths, tmps, n, &switched, err) != 0)
		goto out;
	key_created = 0;
	/* 6. the new root becomes the current one in vault.meta (vault_open would also do this) */
	if (vault_open(&check, dir, nu, err) != 0)
		goto out;
	vault_close(check);
	rc = 0;
out:
	if (rc != 0 && key_created && !switched)
		unlink(nu->key_file);
	if (rc != 0 && !switched) {
		/* before the switch the copies are worthless; after it, vault_open needs the .rekey files */
		for (i = 0; i < n; i++)
			unlink_db(tmps[i]);
	}
	vault_close(v);
	keys_secret_free(newpk);
	keys_root_free(nroot);
	if (lockfd >= 0)
		close(lockfd);
	return rc;
}

/* ---- backup and restore ---- */

static int copy_file(const char *from, const char *to, util_err *err)
{
	char buf[VAULT_META_MAX];
	size_t n;

	if (util_read_bounded(from, buf, sizeof buf, &n, err) != 0)
		return -1;
	return util_write_new(to, buf, n, 0600, err);
}

/* Copies database schema of src_db (any connection) into path, opened with page_key, online. */
static int backup_db(sqlite3 *src_db, const char *schema, const char *path, const char *page_key, util_err *err)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	int rc;

	if (sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK ||
	    sqlite3_key(dst, page_key, (int)strlen(page_key)) != SQLITE_OK) {
		sqlite3_close(dst);
		return util_fail(err, UTIL_EIO, "cannot create %s", path);
	}
	if ((b = sqlite3_backup_init(dst, "main", src_db, schema)) == NULL) {
		util_fail(err, UTIL_EIO, "backup: %s", sqlite3_errmsg(dst));
		sqlite3_close(dst);
		return -1;
	}
	/* steps of 256 pages let writers in between; a change restarts the copy, as SQLite does */
	while ((rc = sqlite3_backup_step(b, 256)) == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		sqlite3_sleep(rc == SQLITE_OK ? 0 : 5);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		vault v = {.db = dst};

		vault_sql_fail(&v, rc, err, "backup");
		sqlite3_close(dst);
		return -1;
	}
	rc = sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
	sqlite3_close(dst);
	return rc == SQLITE_OK ? 0 : util_fail(err, UTIL_EIO, "cannot finish the backup");
}

/*
 * Every database of v into dir: vault.db first, then each module's file. A module whose file
 * must cover every change in vault.db (the audit log: audit.h) relies on that order: a copy
 * of its file made after vault.db's holds all that copy depends on, and maybe more.
 */
static int backup_all(vault *v, const char *dir, util_err *err)
{
	char to[1 + VAULT_FILES_MAX][VAULT_PATH_MAX];
	int i, n;

	if ((n = vault_paths(dir, "", to, err)) < 0 || backup_db(v->db, "main", to[0], v->sh->page_key, err) != 0)
		return -1;
	for (i = 1; i < n; i++)
		if (backup_db(v->db, vault_file_at(i - 1)->schema, to[i], VAULT_FILE_KEY(v->sh->page_key, i - 1), err) != 0)
			return -1;
	return 0;
}

static void unlink_all(const char *dir)
{
	char to[1 + VAULT_FILES_MAX][VAULT_PATH_MAX];
	int i, n = vault_paths(dir, "", to, NULL);

	for (i = 0; i < n; i++)
		unlink_db(to[i]);
}

int vault_backup(vault *v, const char *dest, util_err *err)
{
	char from[1100], to[1100];
	int rc = -1;

	if (mkdir(dest, 0700) != 0)
		return util_fail(err, errno == EEXIST ? UTIL_EEXISTS : UTIL_EIO, "cannot create %s: %s", dest,
		    strerror(errno));
	if (join(from, sizeof from, v->sh->dir, VAULT_META, err) != 0 || backup_all(v, dest, err) != 0)
		goto out;
	if (join(to, sizeof to, dest, VAULT_META, err) != 0 || copy_file(from, to, err) != 0)
		goto out;
	rc = util_fsync_dir(to) == 0 ? 0 : util_fail(err, UTIL_EIO, "cannot sync %s", dest);
out:
	if (rc != 0) {
		unlink_all(dest);
		if (join(to, sizeof to, dest, VAULT_META, NULL) == 0)
			unlink(to);
		rmdir(dest);
	}
	return rc;
}

int vault_restore(const char *src, const char *dir, const vault_unlock *u, util_err *err)
{
	char from[1100], to[1100], dbs[1 + VAULT_FILES_MAX][VAULT_PATH_MAX];
	struct stat st;
	vault *v = NULL, *check = NULL;
	int i, n, lockfd = -1, rc = -1;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return util_fail(err, UTIL_EIO, "cannot create %s: %s", dir, strerror(errno));
	if ((n = vault_paths(dir, "", dbs, err)) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (lstat(dbs[i], &st) == 0)
			return util_fail(err, UTIL_EEXISTS, "%s already holds a vault: restore into an empty directory", dir);
	if (vault_lock(dir, 1, &lockfd, err) != 0)
		return -1;
	/* open the backup itself, to prove the key fits before anything is written */
	if (vault_open(&v, src, u, err) != 0)
		goto out;
	if (join(from, sizeof from, src, VAULT_META, err) != 0 || join(to, sizeof to, dir, VAULT_META, err) != 0 ||
	    copy_file(from, to, err) != 0)
		goto out;
	if (backup_all(v, dir, err) != 0)
		goto out;
	if (vault_open(&check, dir, u, err) != 0)
		goto out;
	rc = 0;
out:
	vault_close(check);
	vault_close(v);
	if (rc != 0 && err != NULL && err->code != UTIL_EEXISTS) {
		unlink_all(dir);
		if (join(to, sizeof to, dir, VAULT_META, NULL) == 0)
			unlink(to);
	}
	if (lockfd >= 0)
		close(lockfd);
	return rc;
}

int vault_stats_get(vault *v, vault_stats *st, util_err *err)
{
	char paths[1 + VAULT_FILES_MAX][VAULT_PATH_MAX], wal[VAULT_PATH_MAX + 8];
	struct stat fs;
	sqlite3_stmt *s;
	int i, n;

	memset(st, 0, sizeof *st);
	if (sqlite3_prepare_v2(v->db, "SELECT count(*) FROM citizens", -1, &s, NULL) != SQLITE_OK)
		return vault_sql_fail(v, sqlite3_errcode(v->db), err, "stats");
	if (sqlite3_step(s) == SQLITE_ROW)
		st->citizens = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (vault_user_version(v->db, &st->schema_version) != 0)
		return util_fail(err, UTIL_EIO, "cannot read the schema version");
	pthread_rwlock_rdlock(&v->sh->ring_mu);
	st->kek_current = keys_ring_current_kek(v->sh->ring);
	{
		uint32_t vs[KEYS_MAX_KEKS];

		st->kek_versions = keys_ring_kek_versions(v->sh->ring, vs, KEYS_MAX_KEKS);
	}
	pthread_rwlock_unlock(&v->sh->ring_mu);
	if ((n = vault_paths(v->sh->dir, "", paths, err)) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		snprintf(wal, sizeof wal, "%.*s-wal", VAULT_PATH_MAX, paths[i]);
		if (stat(paths[i], &fs) == 0)
			st->db_bytes += (uint64_t)fs.st_size;
		if (stat(wal, &fs) == 0)
			st->wal_bytes += (uint64_t)fs.st_size;
	}
	return 0;
}

/* ---- counters other modules keep in the meta table ---- */

int vault_counter_raise(vault *v, const char *name, int64_t value, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "INSERT OR REPLACE INTO main.meta(k, v) SELECT ?1, ?2"
	                                    " WHERE ?2 > coalesce((SELECT v FROM main.meta WHERE k = ?1), -1)",
	    err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, value);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : vault_sql_error(v, rc, err, "counter");
}

int vault_counter_get(vault *v, const char *name, int64_t *value)
{
	sqlite3_stmt *s;
	int found = 0;

	/* prepared each time: a connection to audit.db alone has no meta table, and says so here */
	if (sqlite3_prepare_v2(v->db, "SELECT v FROM main.meta WHERE k = ?1", -1, &s, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW) {
		*value = sqlite3_column_int64(s, 0);
		found = 1;
	}
	sqlite3_finalize(s);
	return found;
}
