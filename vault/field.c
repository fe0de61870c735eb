/* field.c: per-field AEAD under a citizen's data key, bound to citizen, key version and field. */
#include "vault_private.h"

#include <stdlib.h>
#include <string.h>

#define FIELD_FORMAT 1u
#define FIELD_AD "vaultd/field/v1"

/* format || label || citizen id || DEK version || field name */
static size_t field_ad(unsigned char *ad, const unsigned char cid[KEYS_CID_BYTES], uint32_t dek_version,
    const char *name)
{
	size_t nn = strlen(name), off = 0;

	ad[off++] = FIELD_FORMAT;
	memcpy(ad + off, FIELD_AD, sizeof FIELD_AD);
	off += sizeof FIELD_AD;
	memcpy(ad + off, cid, KEYS_CID_BYTES);
	off += KEYS_CID_BYTES;
	util_put_u32(ad + off, dek_version);
	off += 4;
	memcpy(ad + off, name, nn);
	return off + nn;
}

#define AD_MAX (1 + sizeof FIELD_AD + KEYS_CID_BYTES + 4 + VAULT_NAME_MAX)

void vault_field_seal_nonce(const unsigned char dek[KEYS_BYTES], const unsigned char cid[KEYS_CID_BYTES],
    uint32_t dek_version, const char *name, const unsigned char nonce[KEYS_NONCE_BYTES], const unsigned char *plain,
    size_t n, unsigned char *out)
{
	unsigned char ad[AD_MAX];
	size_t adlen;

	if (strlen(name) > VAULT_NAME_MAX)
		abort(); /* names come from the catalog, which bounds them: misuse */
	adlen = field_ad(ad, cid, dek_version, name);
	out[0] = FIELD_FORMAT;
	memcpy(out + 1, nonce, KEYS_NONCE_BYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + 1 + KEYS_NONCE_BYTES, NULL, plain, n, ad, adlen, NULL, out + 1,
	    dek);
}

void vault_field_seal(const unsigned char dek[KEYS_BYTES], const unsigned char cid[KEYS_CID_BYTES],
    uint32_t dek_version, const char *name, const unsigned char *plain, size_t n, unsigned char *out)
{
	unsigned char nonce[KEYS_NONCE_BYTES];

	randombytes_buf(nonce, sizeof nonce);
	vault_field_seal_nonce(dek, cid, dek_version, name, nonce, plain, n, out);
}

int vault_field_open(const unsigned char dek[KEYS_BYTES], const unsigned char cid[KEYS_CID_BYTES],
    uint32_t dek_version, const char *name, const unsigned char *sealed, size_t n, unsigned char *out,
    util_err *err)
{
	unsigned char ad[AD_MAX];
	size_t adlen;

	if (strlen(name) > VAULT_NAME_MAX)
		abort();
	if (n < VAULT_FIELD_OVERHEAD || sealed[0] != FIELD_FORMAT)
		return util_fail(err, UTIL_ECORRUPT, "field %s: unknown ciphertext format", name);
	adlen = field_ad(ad, cid, dek_version, name);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, NULL, NULL, sealed + 1 + KEYS_NONCE_BYTES,
	        n - 1 - KEYS_NONCE_BYTES, ad, adlen, sealed + 1, dek) != 0)
		return util_fail(err, UTIL_ECORRUPT, "field %s failed to authenticate", name);
	return 0;
}
