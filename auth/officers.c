/* officers.c: privacy officers (created with a sealed TOTP secret, deactivated, reactivated) and registrars' pseudonyms. */
#include "auth_private.h"

#include <stdio.h>
#include <string.h>

int auth_officer_create(vault *v, const char *name, char id[AUTH_ID_MAX + 1], unsigned char *secret, util_err *err)
{
	unsigned char sealed[VAULT_TOTP_SECRET_BYTES + VAULT_BOX_OVERHEAD], rnd[8];
	char hex[17], box[AUTH_ID_MAX + 24];

	randombytes_buf(rnd, sizeof rnd);
	util_hex_encode(hex, rnd, sizeof rnd);
	snprintf(id, AUTH_ID_MAX + 1, "of_%s", hex);
	/* the box's label binds the sealed secret to its officer: it opens under no other id */
	snprintf(box, sizeof box, "vaultd/officer-totp/%s", id);
	randombytes_buf(secret, VAULT_TOTP_SECRET_BYTES);
	vault_box_seal(v, box, secret, VAULT_TOTP_SECRET_BYTES, sealed);
	if (auth_db_officer_insert(v, id, name, sealed, sizeof sealed, util_now(), err) != 0) {
		sodium_memzero(secret, VAULT_TOTP_SECRET_BYTES);
		return -1;
	}
	return 0;
}

int auth_officer_active(vault *v, const char *officer_id)
{
	if (strlen(officer_id) > AUTH_ID_MAX)
		return 0;
	return auth_db_officer_active(v, officer_id);
}

int auth_officer_set_active(vault *v, const char *officer_id, int active, util_err *err)
{
	char subject[AUTH_SUBJECT_MAX];

	if (strlen(officer_id) > AUTH_ID_MAX)
		return util_fail(err, UTIL_ENOTFOUND, "no such officer");
	auth_subject_officer(officer_id, subject);
	if (auth_db_officer_set_active(v, officer_id, active, err) != 0)
		return -1;
	return active ? 0 : auth_db_tokens_delete(v, subject, err);
}

/* ---- pseudonyms ---- */

/* The 16 bytes of a pseudonym written as 32 hex digits: 0, or -1. */
static int pid_of(const char *pseudonym, unsigned char pid[16])
{
	return strlen(pseudonym) == 32 && util_hex_decode(pid, 16, pseudonym) == 0 ? 0 : -1;
}

int auth_pseudonym_remember(vault *v, const char *agency_id, const unsigned char cid[KEYS_CID_BYTES],
    const char *pseudonym, int enrolled, util_err *err)
{
	unsigned char pid[16];

	if (pid_of(pseudonym, pid) != 0)
		return util_fail(err, UTIL_ESTATE, "pseudonym");
	return auth_db_pseudonym_insert(v, agency_id, pid, cid, enrolled, err);
}

int auth_pseudonym_find(vault *v, const char *agency_id, const char *pseudonym, int enrolled_only,
    unsigned char cid[KEYS_CID_BYTES])
{
	unsigned char pid[16];

	if (pid_of(pseudonym, pid) != 0)
		return -1;
	return auth_db_pseudonym_find(v, agency_id, pid, enrolled_only, cid);
}

int auth_pseudonyms_forget(vault *v, const unsigned char cid[KEYS_CID_BYTES], util_err *err)
{
	return auth_db_pseudonyms_delete(v, cid, err);
}
