/* root.c: the root key, from a key file or a passphrase, and the subkeys derived from it. */
#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ROOT_CTX "vaultdrt"

struct keys_root {
	unsigned char *key; /* KEYS_BYTES of secret memory, no-access between uses */
};

int keys_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

void *keys_secret_alloc(size_t n)
{
	return sodium_malloc(n);
}

void keys_secret_free(void *p)
{
	if (p != NULL)
		sodium_free(p); /* sodium_free wipes before it unmaps */
}

static int root_alloc(keys_root **out, util_err *err)
{
	keys_root *r = calloc(1, sizeof *r);

	if (r == NULL || (r->key = sodium_malloc(KEYS_BYTES)) == NULL) {
		free(r);
		return util_fail(err, UTIL_ENOMEM, "out of memory for a key");
	}
	*out = r;
	return 0;
}

void keys_root_free(keys_root *root)
{
	if (root == NULL)
		return;
	sodium_free(root->key);
	free(root);
}

void keys_kdf_params_default(keys_kdf_params *p)
{
	randombytes_buf(p->salt, sizeof p->salt);
	p->opslimit = crypto_pwhash_OPSLIMIT_MODERATE;
	p->memlimit = crypto_pwhash_MEMLIMIT_MODERATE;
}

int keys_root_create_file(const char *path, keys_root **out, util_err *err)
{
	keys_root *r;

	if (root_alloc(&r, err) != 0)
		return -1;
	randombytes_buf(r->key, KEYS_BYTES);
	if (util_write_new(path, r->key, KEYS_BYTES, 0600, err) != 0) {
		keys_root_free(r);
		return -1;
	}
	sodium_mprotect_noaccess(r->key);
	*out = r;
	return 0;
}

int keys_root_load_file(const char *path, keys_root **out, util_err *err)
{
	keys_root *r;
	unsigned char *buf;
	size_t len = 0;
	struct stat st;

	if (lstat(path, &st) == 0 && (st.st_mode & 077) != 0)
		return util_fail(err, UTIL_EINVAL, "key file %s is readable by others (mode %03o); chmod 600 it",
		    path, (unsigned)(st.st_mode & 0777));
	/* read one byte more than a key, so that a longer file is caught */
	if ((buf = sodium_malloc(KEYS_BYTES + 1)) == NULL)
		return util_fail(err, UTIL_ENOMEM, "out of memory for a key");
	if (util_read_bounded(path, buf, KEYS_BYTES + 1, &len, err) != 0) {
		sodium_free(buf);
		return -1;
	}
	if (len != KEYS_BYTES) {
		sodium_free(buf);
		return util_fail(err, UTIL_EINVAL, "key file %s is not a 32-byte key", path);
	}
	if (root_alloc(&r, err) != 0) {
		sodium_free(buf);
		return -1;
	}
	memcpy(r->key, buf, KEYS_BYTES);
	sodium_free(buf);
	sodium_mprotect_noaccess(r->key);
	*out = r;
	return 0;
}

int keys_root_from_passphrase(const char *pass, size_t n, const keys_kdf_params *p, keys_root **out,
    util_err *err)
{
	keys_root *r;

	if (n < 8 || n > 1024)
		return util_fail(err, UTIL_EINVAL, "passphrase must be 8 to 1024 bytes");
	if (p->opslimit < crypto_pwhash_OPSLIMIT_MIN || p->opslimit > crypto_pwhash_OPSLIMIT_MAX ||
	    p->memlimit < crypto_pwhash_MEMLIMIT_MIN || p->memlimit > crypto_pwhash_MEMLIMIT_MAX ||
	    p->memlimit > SIZE_MAX)
		return util_fail(err, UTIL_EINVAL, "Argon2id parameters out of range");
	if (root_alloc(&r, err) != 0)
		return -1;
	if (crypto_pwhash(r->key, KEYS_BYTES, pass, n, p->salt, p->opslimit, (size_t)p->memlimit,
	        crypto_pwhash_ALG_ARGON2ID13) != 0) {
		keys_root_free(r);
		return util_fail(err, UTIL_ENOMEM, "Argon2id could not get its memory");
	}
	sodium_mprotect_noaccess(r->key);
	*out = r;
	return 0;
}

void keys_root_derive(const keys_root *root, uint64_t id, unsigned char *out)
{
	sodium_mprotect_readonly(root->key);
	crypto_kdf_derive_from_key(out, KEYS_BYTES, id, ROOT_CTX, root->key);
	sodium_mprotect_noaccess(root->key);
}

int keys_root_wrap_id(const keys_root *root, unsigned char out[KEYS_WRAP_ID_BYTES])
{
	static const unsigned char label[] = "vaultd/wrap-id/v1";
	unsigned char *k = sodium_malloc(KEYS_BYTES);

	if (k == NULL)
		return -1;
	keys_root_derive(root, KEYS_ROOT_WRAP, k);
	crypto_generichash(out, KEYS_WRAP_ID_BYTES, label, sizeof label - 1, k, KEYS_BYTES);
	sodium_free(k);
	return 0;
}

int keys_root_page_key_str(const keys_root *root, int which, char *out)
{
	unsigned char *k;

	if (which != KEYS_ROOT_PAGE && which != KEYS_ROOT_AUDIT_PAGE)
		abort(); /* misuse: the wrapping key is never handed to SQLCipher */
	if ((k = sodium_malloc(KEYS_BYTES)) == NULL)
		return -1;
	keys_root_derive(root, (uint64_t)which, k);
	out[0] = 'x';
	out[1] = '\'';
	util_hex_encode(out + 2, k, KEYS_BYTES);
	out[66] = '\'';
	out[67] = '\0';
	sodium_free(k);
	return 0;
}
