/* decoy.c: a TOTP secret sealed for no citizen, opened when a login names a national ID that is not enrolled. */
#include "vault_private.h"
#include "vault_sql.h"

#include <string.h>

#define DECOY_NAME "@totp"  /* the name citizen.c seals TOTP secrets under */
#define DECOY_DEK_VERSION 1 /* a new citizen's */

/* A random citizen id, a DEK wrapped under the current KEK for it, a random secret sealed under that DEK. */
static void decoy_make(vault *v, vault_decoy *d)
{
	unsigned char secret[VAULT_TOTP_SECRET_BYTES];
	vault_work *w = v->work;

	randombytes_buf(d->cid, sizeof d->cid);
	randombytes_buf(secret, sizeof secret);
	keys_dek_generate(w->dek);
	pthread_rwlock_rdlock(&v->sh->ring_mu);
	keys_ring_wrap_dek(v->sh->ring, d->cid, w->dek, d->wrapped, &d->kek);
	pthread_rwlock_unlock(&v->sh->ring_mu);
	vault_field_seal(w->dek, d->cid, DECOY_DEK_VERSION, DECOY_NAME, secret, sizeof secret, d->totp);
	sodium_memzero(secret, sizeof secret);
	vault_work_wipe(v);
	d->made = 1;
}

/* The shared decoy into *d; made first if it is not yet, or again if fresh (its KEK is gone). */
static void decoy_get(vault *v, vault_decoy *d, int fresh)
{
	pthread_mutex_lock(&v->sh->mu);
	*d = v->sh->decoy;
	pthread_mutex_unlock(&v->sh->mu);
	if (d->made && !fresh)
		return;
	decoy_make(v, d);
	pthread_mutex_lock(&v->sh->mu);
	v->sh->decoy = *d;
	pthread_mutex_unlock(&v->sh->mu);
}

/*
 * The work of vault_citizen_totp for a citizen who is not there: the same query (it finds no
 * row), then the decoy's DEK unwrapped and its secret opened into secret, as a citizen's are.
 */
int vault_totp_decoy(vault *v, unsigned char *secret, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT kek_version, dek, dek_version, totp, totp_step FROM citizens"
	                                    " WHERE cid = ?1", err);
	vault_decoy d;
	int rc, tries;

	if (s == NULL)
		return -1;
	decoy_get(v, &d, 0);
	sqlite3_bind_blob(s, 1, d.cid, KEYS_CID_BYTES, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return vault_sql_fail(v, rc, err, "read citizen");
	for (tries = 0;; tries++) {
		pthread_rwlock_rdlock(&v->sh->ring_mu);
		rc = keys_ring_unwrap_dek(v->sh->ring, d.kek, d.cid, d.wrapped, sizeof d.wrapped, v->work->dek, NULL);
		pthread_rwlock_unlock(&v->sh->ring_mu);
		if (rc == 0 || tries == 1)
			break;
		decoy_get(v, &d, 1);
	}
	if (rc == 0)
		rc = vault_field_open(v->work->dek, d.cid, DECOY_DEK_VERSION, DECOY_NAME, d.totp, sizeof d.totp, secret,
		    NULL);
	vault_work_wipe(v);
	return rc;
}
