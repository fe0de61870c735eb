/* subject.c: the ids that policy gives a citizen per agency: pseudonyms, and the subjects of requests. */
#include "policy_private.h"

#include <string.h>

#include "../vault/vault_sql.h"

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

int policy_pending_cap(vault *v, const char *agency_id, const unsigned char subject[POLICY_SUBJECT_BYTES], int64_t now,
    util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT count(*) FROM request_subjects WHERE agency_id = ?1 AND subject = ?2"
	                                    " AND expires_at > ?3",
	    err);
	int64_t n;
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, agency_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, subject, POLICY_SUBJECT_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now);
	rc = sqlite3_step(s);
	n = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return vault_sql_error(v, rc, err, "pending requests");
	if (n >= POLICY_PENDING_MAX)
		return util_fail(err, UTIL_ESTATE, "this agency already has %d pending requests for this national ID:"
		                                   " wait for an answer or for one to expire",
		    POLICY_PENDING_MAX);
	return 0;
}

int policy_subject_put(vault *v, const char *request_id, const char *agency_id,
    const unsigned char subject[POLICY_SUBJECT_BYTES], int64_t expires_at, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "INSERT INTO request_subjects(id, agency_id, subject, expires_at)"
	                                    " VALUES (?1, ?2, ?3, ?4)",
	    err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, request_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, agency_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, subject, POLICY_SUBJECT_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, expires_at);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : vault_sql_error(v, rc, err, "request subject");
}

int policy_subject_drop(vault *v, const char *request_id, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "DELETE FROM request_subjects WHERE id = ?1", err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, request_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : vault_sql_error(v, rc, err, "request subject");
}
