/* record.c: a citizen's record sealed as one: its entries, padded to a bucket, under one AEAD. */
#include "vault_private.h"

#include <stdlib.h>
#include <string.h>

/*
 * Stored form (format 2):
 *   u8 format || nonce (24) || XChaCha20-Poly1305(plaintext) || tag (16)
 *   plaintext = { u8 name length || name || u16 value length || value }* || 0x80 || 0x00*
 * The plaintext is padded (ISO/IEC 7816-4, sodium_pad) to its bucket: the smallest of 1 KiB,
 * 2 KiB, 4 KiB, ... (capped at VAULT_RECORD_PLAIN_MAX) that holds it. Names and exact lengths
 * are inside the ciphertext, so the page key shows a record's bucket and nothing finer: records
 * that differ in an enum value, or in which optional fields they hold, have the same size as long
 * as they stay in one bucket, and a typical record of the default catalog fills a quarter to a
 * half of the first one. One AEAD per record costs a lookup one decryption of about 1 KiB,
 * less than the several small ones per-field sealing took (each with its own key setup).
 */
#define RECORD_AD "vaultd/record/v2"
#define RECORD_AD_LEN (1 + sizeof RECORD_AD + KEYS_CID_BYTES + 4)

/* format || label || citizen id || DEK version: a record moved to another citizen or key does not open */
static void record_ad(unsigned char ad[RECORD_AD_LEN], const unsigned char cid[KEYS_CID_BYTES], uint32_t dek_version)
{
	ad[0] = VAULT_RECORD_FORMAT;
	memcpy(ad + 1, RECORD_AD, sizeof RECORD_AD);
	memcpy(ad + 1 + sizeof RECORD_AD, cid, KEYS_CID_BYTES);
	util_put_u32(ad + 1 + sizeof RECORD_AD + KEYS_CID_BYTES, dek_version);
}

size_t vault_record_bucket(size_t need)
{
	size_t b = VAULT_RECORD_BUCKET_MIN;

	while (b < need && b < VAULT_RECORD_PLAIN_MAX)
		b *= 2;
	return b < VAULT_RECORD_PLAIN_MAX ? b : VAULT_RECORD_PLAIN_MAX;
}

size_t vault_record_put(unsigned char *plain, size_t off, const char *name, size_t nlen, const void *value,
    size_t vlen)
{
	/* one byte stays free for the padding's marker */
	if (nlen == 0 || nlen > VAULT_NAME_MAX || vlen > VAULT_VALUE_MAX ||
	    off + 3 + nlen + vlen > VAULT_RECORD_PLAIN_MAX - 1)
		return 0;
	plain[off] = (unsigned char)nlen;
	memcpy(plain + off + 1, name, nlen);
	util_put_u16(plain + off + 1 + nlen, (uint16_t)vlen);
	memcpy(plain + off + 3 + nlen, value, vlen);
	return off + 3 + nlen + vlen;
}

size_t vault_record_seal(const unsigned char dek[KEYS_BYTES], const unsigned char cid[KEYS_CID_BYTES],
    uint32_t dek_version, const unsigned char nonce[KEYS_NONCE_BYTES], unsigned char *blob, size_t len)
{
	unsigned char ad[RECORD_AD_LEN], *plain = blob + VAULT_RECORD_HEAD;
	size_t padded, bucket = vault_record_bucket(len + 1);

	if (len >= VAULT_RECORD_PLAIN_MAX || sodium_pad(&padded, plain, len, bucket, VAULT_RECORD_PLAIN_MAX) != 0 ||
	    padded != bucket)
		abort(); /* vault_record_put keeps len below the bound: misuse */
	record_ad(ad, cid, dek_version);
	blob[0] = VAULT_RECORD_FORMAT;
	memcpy(blob + 1, nonce, KEYS_NONCE_BYTES);
	/* in place: the plaintext is where its ciphertext goes */
	crypto_aead_xchacha20poly1305_ietf_encrypt(plain, NULL, plain, padded, ad, sizeof ad, NULL, blob + 1, dek);
	return VAULT_RECORD_OVERHEAD + padded;
}

int vault_record_open(const unsigned char dek[KEYS_BYTES], const unsigned char cid[KEYS_CID_BYTES],
    uint32_t dek_version, unsigned char *blob, size_t n, size_t *len, util_err *err)
{
	unsigned char ad[RECORD_AD_LEN], *plain = blob + VAULT_RECORD_HEAD;
	size_t padded;

	if (n < VAULT_RECORD_OVERHEAD || blob[0] != VAULT_RECORD_FORMAT)
		return util_fail(err, UTIL_ECORRUPT, "a record has an unknown format");
	padded = n - VAULT_RECORD_OVERHEAD;
	if (padded == 0 || vault_record_bucket(padded) != padded)
		return util_fail(err, UTIL_ECORRUPT, "a record has a size no bucket has");
	record_ad(ad, cid, dek_version);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, NULL, NULL, plain, padded + KEYS_TAG_BYTES, ad, sizeof ad,
	        blob + 1, dek) != 0)
		return util_fail(err, UTIL_ECORRUPT, "a record failed to authenticate");
	if (sodium_unpad(len, plain, padded, padded) != 0) {
		sodium_memzero(plain, padded);
		return util_fail(err, UTIL_ECORRUPT, "a record's padding is malformed");
	}
	return 0;
}

int vault_record_entries(const unsigned char *plain, size_t n, vault_rec_entry *e, size_t *count)
{
	size_t off = 0, k = 0, i;

	while (off < n) {
		if (k == VAULT_RECORD_ENTRIES_MAX || off + 1 > n)
			return -1;
		e[k].nlen = plain[off++];
		if (e[k].nlen == 0 || e[k].nlen > VAULT_NAME_MAX || off + e[k].nlen + 2 > n)
			return -1;
		e[k].name = (const char *)plain + off;
		off += e[k].nlen;
		e[k].vlen = util_get_u16(plain + off);
		off += 2;
		if (e[k].vlen > VAULT_VALUE_MAX || off + e[k].vlen > n)
			return -1;
		e[k].value = plain + off;
		off += e[k].vlen;
		/* a name once: a rectification replaces an entry, it never adds a second */
		for (i = 0; i < k; i++)
			if (e[i].nlen == e[k].nlen && memcmp(e[i].name, e[k].name, e[k].nlen) == 0)
				return -1;
		k++;
	}
	*count = k;
	return 0;
}
