/* keyed.c: what the vault's shared keyring does for the modules above: signatures, sealed boxes, keyed hashes. */
#include "vault_private.h"

#include <stdlib.h>
#include <string.h>

void vault_sign(vault *v, const unsigned char *m, size_t n, unsigned char sig[64])
{
	pthread_rwlock_rdlock(&vault_shared_of(v)->ring_mu);
	keys_ring_sign(vault_shared_of(v)->ring, m, n, sig);
	pthread_rwlock_unlock(&vault_shared_of(v)->ring_mu);
}

void vault_public_key(vault *v, unsigned char pk[32])
{
	pthread_rwlock_rdlock(&vault_shared_of(v)->ring_mu);
	keys_ring_public_key(vault_shared_of(v)->ring, pk);
	pthread_rwlock_unlock(&vault_shared_of(v)->ring_mu);
}

void vault_box_seal(vault *v, const char *label, const unsigned char *m, size_t n, unsigned char *out)
{
	randombytes_buf(out, KEYS_NONCE_BYTES);
	pthread_rwlock_rdlock(&vault_shared_of(v)->ring_mu);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + KEYS_NONCE_BYTES, NULL, m, n, (const unsigned char *)label,
	    strlen(label), NULL, out, keys_ring_key(vault_shared_of(v)->ring, KEYS_RING_BOX));
	pthread_rwlock_unlock(&vault_shared_of(v)->ring_mu);
}

int vault_box_open(vault *v, const char *label, const unsigned char *c, size_t n, unsigned char *out, util_err *err)
{
	int rc;

	if (n < VAULT_BOX_OVERHEAD)
		return util_fail(err, UTIL_ECORRUPT, "a sealed box is too short");
	pthread_rwlock_rdlock(&vault_shared_of(v)->ring_mu);
	rc = crypto_aead_xchacha20poly1305_ietf_decrypt(out, NULL, NULL, c + KEYS_NONCE_BYTES, n - KEYS_NONCE_BYTES,
	    (const unsigned char *)label, strlen(label), c, keys_ring_key(vault_shared_of(v)->ring, KEYS_RING_BOX));
	pthread_rwlock_unlock(&vault_shared_of(v)->ring_mu);
	return rc == 0 ? 0 : util_fail(err, UTIL_ECORRUPT, "a sealed box failed to authenticate");
}

void vault_keyed_hash(vault *v, int which, const void *m, size_t n, unsigned char out[32])
{
	if (which != KEYS_RING_TOKEN && which != KEYS_RING_PSEUDONYM && which != KEYS_RING_LOCKOUT)
		abort(); /* misuse: the blind index has its own function, the box key hashes nothing */
	pthread_rwlock_rdlock(&vault_shared_of(v)->ring_mu);
	crypto_generichash(out, 32, m, n, keys_ring_key(vault_shared_of(v)->ring, which), KEYS_BYTES);
	pthread_rwlock_unlock(&vault_shared_of(v)->ring_mu);
}
