/* subject.c: the ids that policy gives a citizen per agency: pseudonyms, and the subjects of requests. */
#include "policy_private.h"

#include <string.h>

void policy_pseudonym(vault *v, const char *agency_id, const unsigned char cid[KEYS_CID_BYTES], char out[33])
{
	unsigned char m[POLICY_ID_MAX + 1 + KEYS_CID_BYTES], h[32];
	size_t n = strnlen(agency_id, POLICY_ID_MAX);

	memcpy(m, agency_id, n);
	m[n] = 0;
	memcpy(m + n + 1, cid, KEYS_CID_BYTES);
	vault_keyed_hash(v, KEYS_RING_PSEUDONYM, m, n + 1 + KEYS_CID_BYTES, h);
	util_hex_encode(out, h, 16);
	sodium_memzero(h, sizeof h);
}

/* No agency id has a '-' ([a-z0-9_]): this label never reads as the start of a pseudonym's message. */
static const char subject_label[] = "consent-request-subject";

int policy_request_subject(vault *v, const char *agency_id, const char *nid, unsigned char out[POLICY_SUBJECT_BYTES],
    util_err *err)
{
	unsigned char m[sizeof subject_label + POLICY_ID_MAX + 1 + VAULT_INDEX_BYTES], index[VAULT_INDEX_BYTES];
	size_t n = strnlen(agency_id, POLICY_ID_MAX), k = sizeof subject_label;

	if (vault_citizen_index(v, nid, index, err) != 0)
		return -1;
	memcpy(m, subject_label, k); /* with its NUL */
	memcpy(m + k, agency_id, n);
	m[k + n] = 0;
	memcpy(m + k + n + 1, index, sizeof index);
	vault_keyed_hash(v, KEYS_RING_PSEUDONYM, m, k + n + 1 + sizeof index, out);
	sodium_memzero(index, sizeof index);
	sodium_memzero(m, sizeof m);
	return 0;
}
