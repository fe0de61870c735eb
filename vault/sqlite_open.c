/* sqlite_open.c: making, opening and closing a vault: its keyring and meta rows in vault.db, connections that share one unlock. */
#include "sqlite_private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

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
		if (vault_db_path(paths[i], VAULT_PATH_MAX, dir, name, err) != 0)
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
	if ((n = vault_paths(dir, "", paths, err)) < 0 || vault_meta_path(meta_file, sizeof meta_file, dir, err) != 0)
		return -1;
	for (i = 0; i < n; i++)
		if (lstat(paths[i], &st) == 0)
			return util_fail(err, UTIL_EEXISTS, "%s already holds a vault", dir);
	if (lstat(meta_file, &st) == 0)
		return util_fail(err, UTIL_EEXISTS, "%s already holds a vault", dir);
	if (vault_meta_create(dir, u, vault_id, &root, &key_created, err) == 0 &&
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
				return vault_meta_settle(dir, pending, err);
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
	vault_turn_open(v);
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
		else if (vault_db_path(path, sizeof path, v->sh->dir, alone->name, err) == 0)
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
	vault_turn_open(c);
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

int vault_in_tx(const vault *v)
{
	return v->in_tx;
}

int vault_in_read(const vault *v)
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
