/* ring.c: the keyring (derive master, signing key, KEK versions) and per-citizen data keys. */
#include "keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RING_CTX "vaultdix"
#define ITEM_AD "vaultd/item/v1"
#define DEK_AD "vaultd/dek/v1"

/* Everything secret in one sodium_malloc block: one set of guard pages, one wipe on free. */
struct ring_secrets {
	unsigned char derive[KEYS_BYTES];
	unsigned char derived[KEYS_RING_LOCKOUT][KEYS_BYTES]; /* KEYS_RING_BLIND, _TOKEN, _PSEUDONYM, _BOX, _LOCKOUT */
	unsigned char sign_sk[crypto_sign_ed25519_SECRETKEYBYTES];
	unsigned char kek[KEYS_MAX_KEKS][KEYS_BYTES];
};

struct keys_ring {
	struct ring_secrets *s;
	int has_derive, has_sign;
	size_t nkeks;
	uint32_t kek_version[KEYS_MAX_KEKS]; /* parallel to s->kek, ascending */
};

int keys_ring_empty(keys_ring **out, util_err *err)
{
	keys_ring *r = calloc(1, sizeof *r);

	if (r == NULL || (r->s = sodium_malloc(sizeof *r->s)) == NULL) {
		free(r);
		return util_fail(err, UTIL_ENOMEM, "out of memory for the keyring");
	}
	sodium_memzero(r->s, sizeof *r->s);
	*out = r;
	return 0;
}

void keys_ring_free(keys_ring *ring)
{
	if (ring == NULL)
		return;
	sodium_free(ring->s);
	free(ring);
}

static void derive_children(keys_ring *r)
{
	int i;

	for (i = 0; i < KEYS_RING_LOCKOUT; i++)
		crypto_kdf_derive_from_key(r->s->derived[i], KEYS_BYTES, (uint64_t)i + 1, RING_CTX, r->s->derive);
	r->has_derive = 1;
}

static int kek_slot(const keys_ring *r, uint32_t version)
{
	size_t i;

	for (i = 0; i < r->nkeks; i++)
		if (r->kek_version[i] == version)
			return (int)i;
	return -1;
}

/* Inserts a KEK version keeping versions ascending; the caller fills s->kek[slot]. */
static int kek_insert(keys_ring *r, uint32_t version)
{
	size_t i;

	if (r->nkeks == KEYS_MAX_KEKS || version == 0 || kek_slot(r, version) >= 0)
		return -1;
	for (i = r->nkeks; i > 0 && r->kek_version[i - 1] > version; i--) {
		r->kek_version[i] = r->kek_version[i - 1];
		memcpy(r->s->kek[i], r->s->kek[i - 1], KEYS_BYTES);
	}
	r->kek_version[i] = version;
	r->nkeks++;
	return (int)i;
}

int keys_ring_generate(keys_ring **out, util_err *err)
{
	keys_ring *r;
	unsigned char pk[KEYS_SIGN_PK_BYTES];
	int slot;

	if (keys_ring_empty(&r, err) != 0)
		return -1;
	randombytes_buf(r->s->derive, KEYS_BYTES);
	derive_children(r);
	crypto_sign_ed25519_keypair(pk, r->s->sign_sk);
	r->has_sign = 1;
	slot = kek_insert(r, 1);
	randombytes_buf(r->s->kek[slot], KEYS_BYTES);
	*out = r;
	return 0;
}

int keys_ring_check(const keys_ring *ring, util_err *err)
{
	if (!ring->has_derive || !ring->has_sign || ring->nkeks == 0)
		return util_fail(err, UTIL_ECORRUPT, "the keyring is incomplete");
	return 0;
}

size_t keys_ring_item_count(const keys_ring *ring)
{
	return (size_t)(ring->has_derive + ring->has_sign) + ring->nkeks;
}

/* Item i's name and plaintext: derive, sign, then KEKs in version order. */
static int item_at(const keys_ring *r, size_t i, char name[KEYS_ITEM_NAME_MAX], const unsigned char **p,
    size_t *n)
{
	if (r->has_derive && i == 0) {
		snprintf(name, KEYS_ITEM_NAME_MAX, "derive");
		*p = r->s->derive;
		*n = KEYS_BYTES;
		return 0;
	}
	i -= (size_t)r->has_derive;
	if (r->has_sign && i == 0) {
		snprintf(name, KEYS_ITEM_NAME_MAX, "sign");
		*p = r->s->sign_sk;
		*n = sizeof r->s->sign_sk;
		return 0;
	}
	i -= (size_t)r->has_sign;
	if (i >= r->nkeks)
		return -1;
	snprintf(name, KEYS_ITEM_NAME_MAX, "kek:%u", (unsigned)r->kek_version[i]);
	*p = r->s->kek[i];
	*n = KEYS_BYTES;
	return 0;
}

/* Associated data of a wrapped item: a label and the item's name, so items cannot be swapped. */
static size_t item_ad(unsigned char *ad, const char *name)
{
	size_t ln = strlen(ITEM_AD) + 1, nn = strlen(name);

	memcpy(ad, ITEM_AD, ln);
	memcpy(ad + ln, name, nn);
	return ln + nn;
}

int keys_ring_item_seal(const keys_ring *ring, size_t i, const keys_root *root, char name[KEYS_ITEM_NAME_MAX],
    unsigned char out[KEYS_ITEM_MAX], size_t *outlen)
{
	unsigned char ad[sizeof ITEM_AD + KEYS_ITEM_NAME_MAX];
	unsigned char *wrap;
	const unsigned char *p;
	size_t n, adlen;
	unsigned long long clen;

	if (item_at(ring, i, name, &p, &n) != 0)
		return -1;
	if ((wrap = sodium_malloc(KEYS_BYTES)) == NULL)
		return -1;
	keys_root_derive(root, KEYS_ROOT_WRAP, wrap);
	adlen = item_ad(ad, name);
	randombytes_buf(out, KEYS_NONCE_BYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + KEYS_NONCE_BYTES, &clen, p, n, ad, adlen, NULL, out, wrap);
	sodium_free(wrap);
	*outlen = KEYS_NONCE_BYTES + (size_t)clen;
	return 0;
}

static int parse_kek_name(const char *name, uint32_t *version)
{
	char *end;
	unsigned long v;

	if (strncmp(name, "kek:", 4) != 0 || name[4] < '1' || name[4] > '9')
		return -1;
	v = strtoul(name + 4, &end, 10);
	if (*end != '\0' || v == 0 || v > UINT32_MAX)
		return -1;
	*version = (uint32_t)v;
	return 0;
}

int keys_ring_item_open(keys_ring *ring, const keys_root *root, const char *name, const unsigned char *blob,
    size_t n, util_err *err)
{
	unsigned char ad[sizeof ITEM_AD + KEYS_ITEM_NAME_MAX];
	unsigned char *wrap, *plain;
	size_t want, adlen;
	uint32_t version = 0;
	int kind, rc = -1;

	if (strlen(name) >= KEYS_ITEM_NAME_MAX)
		return util_fail(err, UTIL_ECORRUPT, "keyring item name too long");
	if (strcmp(name, "derive") == 0) {
		kind = 0;
		want = KEYS_BYTES;
	} else if (strcmp(name, "sign") == 0) {
		kind = 1;
		want = crypto_sign_ed25519_SECRETKEYBYTES;
	} else if (parse_kek_name(name, &version) == 0) {
		kind = 2;
		want = KEYS_BYTES;
	} else {
		return util_fail(err, UTIL_ECORRUPT, "unknown keyring item");
	}
	if (n != KEYS_NONCE_BYTES + want + KEYS_TAG_BYTES)
		return util_fail(err, UTIL_ECORRUPT, "keyring item %s has the wrong size", name);
	wrap = sodium_malloc(KEYS_BYTES);
	plain = sodium_malloc(want);
	if (wrap == NULL || plain == NULL) {
		util_fail(err, UTIL_ENOMEM, "out of memory for the keyring");
		goto out;
	}
	keys_root_derive(root, KEYS_ROOT_WRAP, wrap);
	adlen = item_ad(ad, name);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, NULL, NULL, blob + KEYS_NONCE_BYTES,
	        n - KEYS_NONCE_BYTES, ad, adlen, blob, wrap) != 0) {
		util_fail(err, UTIL_EKEY, "keyring item %s does not open with this root key", name);
		goto out;
	}
	if (kind == 0) {
		memcpy(ring->s->derive, plain, KEYS_BYTES);
		derive_children(ring);
	} else if (kind == 1) {
		memcpy(ring->s->sign_sk, plain, want);
		ring->has_sign = 1;
	} else {
		int slot = kek_insert(ring, version);

		if (slot < 0) {
			util_fail(err, UTIL_ECORRUPT, "keyring holds %s twice or too many KEKs", name);
			goto out;
		}
		memcpy(ring->s->kek[slot], plain, KEYS_BYTES);
	}
	rc = 0;
out:
	sodium_free(plain);
	sodium_free(wrap);
	return rc;
}

uint32_t keys_ring_current_kek(const keys_ring *ring)
{
	return ring->nkeks ? ring->kek_version[ring->nkeks - 1] : 0;
}

int keys_ring_has_kek(const keys_ring *ring, uint32_t version)
{
	return kek_slot(ring, version) >= 0;
}

size_t keys_ring_kek_versions(const keys_ring *ring, uint32_t *out, size_t max)
{
	size_t i;

	for (i = 0; i < ring->nkeks && i < max; i++)
		out[i] = ring->kek_version[i];
	return i;
}

int keys_ring_add_kek(keys_ring *ring, uint32_t *version, util_err *err)
{
	uint32_t v = keys_ring_current_kek(ring) + 1;
	int slot;

	if (v == 0 || (slot = kek_insert(ring, v)) < 0)
		return util_fail(err, UTIL_ESTATE, "too many KEK versions alive (%u): let old ones be dropped first",
		    KEYS_MAX_KEKS);
	randombytes_buf(ring->s->kek[slot], KEYS_BYTES);
	*version = v;
	return 0;
}

int keys_ring_drop_kek(keys_ring *ring, uint32_t version)
{
	int slot = kek_slot(ring, version);
	size_t i;

	if (slot < 0 || version == keys_ring_current_kek(ring))
		return -1;
	for (i = (size_t)slot; i + 1 < ring->nkeks; i++) {
		ring->kek_version[i] = ring->kek_version[i + 1];
		memcpy(ring->s->kek[i], ring->s->kek[i + 1], KEYS_BYTES);
	}
	ring->nkeks--;
	sodium_memzero(ring->s->kek[ring->nkeks], KEYS_BYTES);
	return 0;
}

void keys_dek_generate(unsigned char dek[KEYS_BYTES])
{
	randombytes_buf(dek, KEYS_BYTES);
}

static size_t dek_ad(unsigned char *ad, const unsigned char cid[KEYS_CID_BYTES], uint32_t version)
{
	memcpy(ad, DEK_AD, sizeof DEK_AD);
	memcpy(ad + sizeof DEK_AD, cid, KEYS_CID_BYTES);
	util_put_u32(ad + sizeof DEK_AD + KEYS_CID_BYTES, version);
	return sizeof DEK_AD + KEYS_CID_BYTES + 4;
}

void keys_ring_wrap_dek(const keys_ring *ring, const unsigned char cid[KEYS_CID_BYTES], const unsigned char dek[KEYS_BYTES],
    unsigned char out[KEYS_WRAPPED_DEK_BYTES], uint32_t *version)
{
	unsigned char ad[sizeof DEK_AD + KEYS_CID_BYTES + 4];
	uint32_t v = keys_ring_current_kek(ring);
	size_t adlen = dek_ad(ad, cid, v);

	randombytes_buf(out, KEYS_NONCE_BYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + KEYS_NONCE_BYTES, NULL, dek, KEYS_BYTES, ad, adlen, NULL, out,
	    ring->s->kek[ring->nkeks - 1]);
	*version = v;
}

int keys_ring_unwrap_dek(const keys_ring *ring, uint32_t version, const unsigned char cid[KEYS_CID_BYTES],
    const unsigned char *wrapped, size_t n, unsigned char dek[KEYS_BYTES], util_err *err)
{
	unsigned char ad[sizeof DEK_AD + KEYS_CID_BYTES + 4];
	int slot = kek_slot(ring, version);
	size_t adlen;

	if (slot < 0)
		return util_fail(err, UTIL_ENOTFOUND, "KEK version %u is not in the keyring", (unsigned)version);
	if (n != KEYS_WRAPPED_DEK_BYTES)
		return util_fail(err, UTIL_ECORRUPT, "a wrapped data key has the wrong size");
	adlen = dek_ad(ad, cid, version);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(dek, NULL, NULL, wrapped + KEYS_NONCE_BYTES,
	        n - KEYS_NONCE_BYTES, ad, adlen, wrapped, ring->s->kek[slot]) != 0) {
		sodium_memzero(dek, KEYS_BYTES);
		return util_fail(err, UTIL_ECORRUPT, "a data key failed to authenticate");
	}
	return 0;
}

const unsigned char *keys_ring_key(const keys_ring *ring, int which)
{
	if (which < KEYS_RING_BLIND || which > KEYS_RING_LOCKOUT || !ring->has_derive)
		abort(); /* programmer misuse */
	return ring->s->derived[which - 1];
}

void keys_ring_public_key(const keys_ring *ring, unsigned char pk[KEYS_SIGN_PK_BYTES])
{
	crypto_sign_ed25519_sk_to_pk(pk, ring->s->sign_sk);
}

void keys_ring_sign(const keys_ring *ring, const unsigned char *m, size_t n, unsigned char sig[KEYS_SIGN_BYTES])
{
	crypto_sign_ed25519_detached(sig, NULL, m, n, ring->s->sign_sk);
}
