/* test_keys.c: root keys, keyring items, DEK wrapping: each good path and each must-fail one. */
#include "support.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../keys/keys.h"

static int setup(void **state)
{
	(void)state;
	return keys_init();
}

static keys_root *file_root(const char *dir, const char *name)
{
	char *p = test_path(dir, name);
	keys_root *r = NULL;
	util_err err;

	assert_int_equal(keys_root_create_file(p, &r, &err), 0);
	free(p);
	return r;
}

static void test_key_file_created_private_and_exclusive(void **state)
{
	char *dir = test_tmpdir(), *p = test_path(dir, "k");
	keys_root *r = NULL, *r2 = NULL;
	struct stat st;
	util_err err;

	(void)state;
	assert_int_equal(keys_root_create_file(p, &r, &err), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 32);
	assert_int_equal(keys_root_create_file(p, &r2, &err), -1);
	assert_int_equal(err.code, UTIL_EEXISTS);
	/* loading gives the same key: same derived subkeys */
	assert_int_equal(keys_root_load_file(p, &r2, &err), 0);
	{
		unsigned char a[32], b[32];

		keys_root_derive(r, KEYS_ROOT_PAGE, a);
		keys_root_derive(r2, KEYS_ROOT_PAGE, b);
		assert_memory_equal(a, b, 32);
		keys_root_derive(r2, KEYS_ROOT_WRAP, b);
		assert_memory_not_equal(a, b, 32); /* one key, one job */
	}
	keys_root_free(r);
	keys_root_free(r2);
	test_rmtree(dir);
	free(p);
	free(dir);
}

static void test_key_file_bad_size_or_mode_refused(void **state)
{
	char *dir = test_tmpdir(), *p = test_path(dir, "k");
	keys_root *r = NULL;
	util_err err;
	unsigned char buf[33] = {0};

	(void)state;
	test_write_file(p, buf, 31);
	assert_int_equal(keys_root_load_file(p, &r, &err), -1);
	test_write_file(p, buf, 33);
	assert_int_equal(keys_root_load_file(p, &r, &err), -1);
	test_write_file(p, buf, 32);
	chmod(p, 0644);
	assert_int_equal(keys_root_load_file(p, &r, &err), -1);
	assert_int_equal(err.code, UTIL_EINVAL);
	chmod(p, 0600);
	assert_int_equal(keys_root_load_file(p, &r, &err), 0);
	keys_root_free(r);
	test_rmtree(dir);
	free(p);
	free(dir);
}

static void test_passphrase_root_depends_on_salt_and_passphrase(void **state)
{
	keys_kdf_params p = {.opslimit = crypto_pwhash_OPSLIMIT_MIN, .memlimit = crypto_pwhash_MEMLIMIT_MIN};
	keys_root *a = NULL, *b = NULL, *c = NULL, *d = NULL;
	unsigned char ka[32], kb[32], kc[32], kd[32];
	util_err err;

	(void)state;
	memset(p.salt, 7, sizeof p.salt);
	assert_int_equal(keys_root_from_passphrase("correct horse", 13, &p, &a, &err), 0);
	assert_int_equal(keys_root_from_passphrase("correct horse", 13, &p, &b, &err), 0);
	assert_int_equal(keys_root_from_passphrase("correct horsf", 13, &p, &c, &err), 0);
	p.salt[0] ^= 1;
	assert_int_equal(keys_root_from_passphrase("correct horse", 13, &p, &d, &err), 0);
	keys_root_derive(a, KEYS_ROOT_PAGE, ka);
	keys_root_derive(b, KEYS_ROOT_PAGE, kb);
	keys_root_derive(c, KEYS_ROOT_PAGE, kc);
	keys_root_derive(d, KEYS_ROOT_PAGE, kd);
	assert_memory_equal(ka, kb, 32);
	assert_memory_not_equal(ka, kc, 32);
	assert_memory_not_equal(ka, kd, 32);
	assert_int_equal(keys_root_from_passphrase("short", 5, &p, &a, &err), -1);
	keys_root_free(a);
	keys_root_free(b);
	keys_root_free(c);
	keys_root_free(d);
}

/* Seals every item of ring under root into a fresh ring opened under root2. */
static int reopen_ring(keys_ring *ring, keys_root *root, keys_root *root2, keys_ring **out, int swap_names)
{
	char names[8][KEYS_ITEM_NAME_MAX];
	unsigned char blobs[8][KEYS_ITEM_MAX];
	size_t lens[8], i, n = keys_ring_item_count(ring);
	util_err err;
	int rc = 0;

	assert_true(n <= 8);
	for (i = 0; i < n; i++)
		assert_int_equal(keys_ring_item_seal(ring, i, root, names[i], blobs[i], &lens[i]), 0);
	if (swap_names) {
		/* derive and kek:1 are both 32-byte items: swap their names */
		char t[KEYS_ITEM_NAME_MAX];

		strcpy(t, names[0]);
		strcpy(names[0], names[2]);
		strcpy(names[2], t);
	}
	assert_int_equal(keys_ring_empty(out, &err), 0);
	for (i = 0; i < n && rc == 0; i++)
		rc = keys_ring_item_open(*out, root2, names[i], blobs[i], lens[i], &err);
	return rc;
}

static void test_ring_items_open_only_under_their_root_and_name(void **state)
{
	char *dir = test_tmpdir();
	keys_root *root = file_root(dir, "a"), *other = file_root(dir, "b");
	keys_ring *ring = NULL, *back = NULL;
	unsigned char pk1[32], pk2[32];
	util_err err;

	(void)state;
	assert_int_equal(keys_ring_generate(&ring, &err), 0);
	assert_int_equal(keys_ring_item_count(ring), 3);
	assert_int_equal(reopen_ring(ring, root, root, &back, 0), 0);
	assert_int_equal(keys_ring_check(back, &err), 0);
	keys_ring_public_key(ring, pk1);
	keys_ring_public_key(back, pk2);
	assert_memory_equal(pk1, pk2, 32);
	assert_memory_equal(keys_ring_key(ring, KEYS_RING_BLIND), keys_ring_key(back, KEYS_RING_BLIND), 32);
	keys_ring_free(back);
	/* the wrong root key opens nothing */
	assert_int_equal(reopen_ring(ring, root, other, &back, 0), -1);
	keys_ring_free(back);
	/* an item stored under another item's name does not open */
	assert_int_equal(reopen_ring(ring, root, root, &back, 1), -1);
	keys_ring_free(back);
	keys_ring_free(ring);
	keys_root_free(root);
	keys_root_free(other);
	test_rmtree(dir);
	free(dir);
}

static void test_dek_wrap_binds_citizen_and_version(void **state)
{
	keys_ring *ring = NULL;
	unsigned char cid[16] = {1}, cid2[16] = {2}, dek[32], out[32], w[KEYS_WRAPPED_DEK_BYTES];
	uint32_t v, v2;
	util_err err;

	(void)state;
	assert_int_equal(keys_ring_generate(&ring, &err), 0);
	keys_dek_generate(dek);
	keys_ring_wrap_dek(ring, cid, dek, w, &v);
	assert_int_equal(v, 1);
	assert_int_equal(keys_ring_unwrap_dek(ring, v, cid, w, sizeof w, out, &err), 0);
	assert_memory_equal(dek, out, 32);
	/* another citizen's id */
	assert_int_equal(keys_ring_unwrap_dek(ring, v, cid2, w, sizeof w, out, &err), -1);
	assert_int_equal(err.code, UTIL_ECORRUPT);
	/* a flipped bit */
	w[30] ^= 1;
	assert_int_equal(keys_ring_unwrap_dek(ring, v, cid, w, sizeof w, out, &err), -1);
	w[30] ^= 1;
	/* a KEK version that does not exist */
	assert_int_equal(keys_ring_unwrap_dek(ring, 9, cid, w, sizeof w, out, &err), -1);
	assert_int_equal(err.code, UTIL_ENOTFOUND);
	/* a new KEK: new wraps use it, old wraps still open until the old KEK is dropped */
	assert_int_equal(keys_ring_add_kek(ring, &v2, &err), 0);
	assert_int_equal(v2, 2);
	assert_int_equal(keys_ring_current_kek(ring), 2);
	assert_int_equal(keys_ring_unwrap_dek(ring, 1, cid, w, sizeof w, out, &err), 0);
	/* the current KEK cannot be dropped; an old one can, and then its wraps are dead */
	assert_int_equal(keys_ring_drop_kek(ring, 2), -1);
	assert_int_equal(keys_ring_drop_kek(ring, 1), 0);
	assert_int_equal(keys_ring_unwrap_dek(ring, 1, cid, w, sizeof w, out, &err), -1);
	/* the same DEK under version 1 cannot pass as version 2 */
	assert_int_equal(keys_ring_unwrap_dek(ring, 2, cid, w, sizeof w, out, &err), -1);
	keys_ring_free(ring);
}

static void test_signature_verifies_with_public_key(void **state)
{
	keys_ring *ring = NULL;
	unsigned char pk[32], sig[64];
	static const unsigned char msg[] = "checkpoint";
	util_err err;

	(void)state;
	assert_int_equal(keys_ring_generate(&ring, &err), 0);
	keys_ring_public_key(ring, pk);
	keys_ring_sign(ring, msg, sizeof msg, sig);
	assert_int_equal(crypto_sign_ed25519_verify_detached(sig, msg, sizeof msg, pk), 0);
	sig[0] ^= 1;
	assert_int_equal(crypto_sign_ed25519_verify_detached(sig, msg, sizeof msg, pk), -1);
	keys_ring_free(ring);
}

/*
 * Token hashes and login budgets use keys of their own: each derived key is crypto_kdf of the
 * ring's derive master with its own id under "vaultdix" (the master read back by opening the
 * sealed "derive" item as keys.h documents it), and the token and lockout keys differ.
 */
static void test_derived_keys_are_their_derivations_and_differ(void **state)
{
	char *dir = test_tmpdir(), name[KEYS_ITEM_NAME_MAX];
	keys_root *root = file_root(dir, "a");
	keys_ring *ring = NULL;
	unsigned char blob[KEYS_ITEM_MAX], ad[64], *wrap = sodium_malloc(KEYS_BYTES), *master = sodium_malloc(KEYS_BYTES),
	    *want = sodium_malloc(KEYS_BYTES);
	size_t n, adlen;
	util_err err;
	int i, j;

	(void)state;
	assert_non_null(wrap);
	assert_non_null(master);
	assert_non_null(want);
	assert_int_equal(keys_ring_generate(&ring, &err), 0);
	assert_int_equal(keys_ring_item_seal(ring, 0, root, name, blob, &n), 0);
	assert_string_equal(name, "derive");
	keys_root_derive(root, KEYS_ROOT_WRAP, wrap);
	memcpy(ad, "vaultd/item/v1", 15); /* the label, its NUL, then the item's name */
	memcpy(ad + 15, name, strlen(name));
	adlen = 15 + strlen(name);
	assert_int_equal(n, KEYS_NONCE_BYTES + KEYS_BYTES + KEYS_TAG_BYTES);
	assert_int_equal(crypto_aead_xchacha20poly1305_ietf_decrypt(master, NULL, NULL, blob + KEYS_NONCE_BYTES,
	                     n - KEYS_NONCE_BYTES, ad, adlen, blob, wrap),
	    0);
	for (i = KEYS_RING_BLIND; i <= KEYS_RING_LOCKOUT; i++) {
		crypto_kdf_derive_from_key(want, KEYS_BYTES, (uint64_t)i, "vaultdix", master);
		assert_memory_equal(keys_ring_key(ring, i), want, KEYS_BYTES);
		for (j = KEYS_RING_BLIND; j < i; j++)
			assert_memory_not_equal(keys_ring_key(ring, i), keys_ring_key(ring, j), KEYS_BYTES);
	}
	assert_memory_not_equal(keys_ring_key(ring, KEYS_RING_TOKEN), keys_ring_key(ring, KEYS_RING_LOCKOUT), KEYS_BYTES);
	sodium_free(want);
	sodium_free(master);
	sodium_free(wrap);
	keys_ring_free(ring);
	keys_root_free(root);
	test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_file_created_private_and_exclusive),
		cmocka_unit_test(test_key_file_bad_size_or_mode_refused),
		cmocka_unit_test(test_passphrase_root_depends_on_salt_and_passphrase),
		cmocka_unit_test(test_ring_items_open_only_under_their_root_and_name),
		cmocka_unit_test(test_dek_wrap_binds_citizen_and_version),
		cmocka_unit_test(test_signature_verifies_with_public_key),
		cmocka_unit_test(test_derived_keys_are_their_derivations_and_differ),
	};

	return cmocka_run_group_tests_name("keys", tests, setup, NULL);
}
