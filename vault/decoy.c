/* decoy.c: a TOTP secret sealed for no citizen, opened when a login names a national ID that is not enrolled. */
#include "vault_private.h"

#include <string.h>

#define DECOY_NAME "@totp"  /* the name citizen.c seals TOTP secrets under */
#define DECOY_DEK_VERSION 1 /* a new citizen's */

/* A random citizen id, a DEK wrapped under the current KEK for it, a random secret sealed under that DEK. */
static void decoy_make(vault *v, vault_decoy *d)
{
	unsigned char secret[VAULT_TOTP_SECRET_BYTES];
	vault_work *w = vault_work_of(v);

	randombytes_buf(d->cid, sizeof d->cid);
	randombytes_buf(secret, sizeof secret);
	keys_dek_generate(w->dek);
	pthread_rwlock_rdlock(&vault_shared_of(v)->ring_mu);
	keys_ring_wrap_dek(vault_shared_of(v)->ring, d->cid, w->dek, d->wrapped, &d->kek);
	pthread_rwlock_unlock(&vault_shared_of(v)->ring_mu);
	vault_field_seal(w->dek, d->cid, DECOY_DEK_VERSION, DECOY_NAME, secret, sizeof secret, d->totp);
	sodium_memzero(secret, sizeof secret);
	vault_work_wipe(v);
	d->made = 1;
}

/* The shared decoy into *d; made first if it is not yet, or again if fresh (its KEK is gone). */
static void decoy_get(vault *v, vault_decoy *d, int fresh)
{
	pthread_mutex_lock(&vault_shared_of(v)->mu);
	*d = vault_shared_of(v)->decoy;
	pthread_mutex_unlock(&vault_shared_of(v)->mu);
	if (d->made && !fresh)
		return;
	decoy_make(v, d);
	pthread_mutex_lock(&vault_shared_of(v)->mu);
	vault_shared_of(v)->decoy = *d;
	pthread_mutex_unlock(&vault_shared_of(v)->mu);
}

/*
 * The work of vault_citizen_totp for a citizen who is not there: the same query (it finds no
 * row), then the decoy's DEK unwrapped and its secret opened into secret, as a citizen's are.
 */
int vault_totp_decoy(vault *v, unsigned char *secret, util_err *err)
{
	unsigned char sealed[VAULT_TOTP_SECRET_BYTES + VAULT_FIELD_OVERHEAD];
	vault_row_keys k;
	vault_decoy d;
	util_err e2;
	int64_t step;
	int rc, tries;

	decoy_get(v, &d, 0);
	/* the same read as a citizen's (vault_row_totp), which finds no row */
	if (vault_row_totp(v, d.cid, &k, sealed, &step, &e2) != 0 && e2.code != UTIL_ENOTFOUND) {
		if (err != NULL)
			*err = e2;
		return -1;
	}
	for (tries = 0;; tries++) {
		pthread_rwlock_rdlock(&vault_shared_of(v)->ring_mu);
		rc = keys_ring_unwrap_dek(vault_shared_of(v)->ring, d.kek, d.cid, d.wrapped, sizeof d.wrapped,
		    vault_work_of(v)->dek, NULL);
		pthread_rwlock_unlock(&vault_shared_of(v)->ring_mu);
		if (rc == 0 || tries == 1)
			break;
		decoy_get(v, &d, 1);
	}
	if (rc == 0)
		rc = vault_field_open(vault_work_of(v)->dek, d.cid, DECOY_DEK_VERSION, DECOY_NAME, d.totp, sizeof d.totp, secret,
		    NULL);
	vault_work_wipe(v);
	return rc;
}
