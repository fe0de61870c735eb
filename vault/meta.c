/* meta.c: the vault.meta file: the vault's identity and how its root key is made (current, and pending during a rekey). */
#include "vault_private.h"

#include <stdlib.h>
#include <string.h>

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

int vault_meta_path(char *out, size_t n, const char *dir, util_err *err)
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

	if (vault_meta_path(path, sizeof path, dir, err) != 0 || util_read_bounded(path, buf, sizeof buf, &n, err) != 0)
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

	if (vault_meta_path(path, sizeof path, dir, err) != 0)
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


/* A new vault's identity and root, described in a new vault.meta; *key_created when a key file was made. */
int vault_meta_create(const char *dir, const vault_unlock *u, char vault_id[VAULT_ID_HEX], keys_root **root,
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

/*
 * Settles a pending root ("next") once the vault opened: promoted to the current root if it
 * is what opened the vault (a rekey stopped after its switch), dropped if the current root did
 * (a rekey stopped before it, or a key-file rekey, whose description does not change).
 */
int vault_meta_settle(const char *dir, int promote, util_err *err)
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
