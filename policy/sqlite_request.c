/* sqlite_request.c: consent requests on SQLite: one made, its status read, a pending one loaded and decided, its consent stored. */
#include "policy_private.h"

#include <stdio.h>

#include "../vault/sqlite.h"


int policy_store_request_put(vault *v, const char *id, const char *agency_id, const char *purpose_id,
    const unsigned char *cid, const char *fields_json, int days, int64_t now, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "INSERT INTO consent_requests(id, agency_id, purpose_id, cid, fields, days,"
	                                    " status, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?8)",
	    err);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, agency_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, purpose_id, -1, SQLITE_STATIC);
	if (cid != NULL)
		sqlite3_bind_blob(s, 4, cid, KEYS_CID_BYTES, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, fields_json, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 6, days);
	sqlite3_bind_int64(s, 7, now);
	sqlite3_bind_int64(s, 8, now + POLICY_REQUEST_TTL);
	return vault_sql_done(v, s, "policy store", err);
}

int policy_store_request_status(vault *v, const char *agency_id, const char *id, char stored[16], int64_t *expires_at,
    policy_consent_life *c, int *has_consent, util_err *err)
{
	/* its consent by the index a lookup reads (cid, agency, purpose): never a scan of every consent */
	sqlite3_stmt *s = vault_sql_stmt(v,
	    "SELECT r.status, r.expires_at, c.id IS NOT NULL, c.expires_at, c.revoked_at, c.use_limit, c.uses"
	    " FROM consent_requests r LEFT JOIN consents c ON c.cid = r.cid AND c.agency_id = r.agency_id"
	    " AND c.purpose_id = r.purpose_id AND c.request_id = r.id WHERE r.id = ?1 AND r.agency_id = ?2",
	    err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, agency_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		vault_sql_text(s, 0, stored, 16);
		*expires_at = sqlite3_column_int64(s, 1);
		*has_consent = sqlite3_column_int(s, 2);
		*c = (policy_consent_life){.expires_at = sqlite3_column_int64(s, 3), .revoked_at = sqlite3_column_int64(s, 4),
			.use_limit = sqlite3_column_int64(s, 5), .uses = sqlite3_column_int64(s, 6)};
	}
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? util_fail(err, UTIL_ENOTFOUND, "no such request") : vault_sql_error(v, rc, err, "request");
}

int policy_store_request_load(vault *v, const unsigned char cid[KEYS_CID_BYTES], const char *id,
    char agency[POLICY_ID_MAX + 1], char purpose[POLICY_ID_MAX + 1], policy_field *f, size_t *nf, int *days,
    util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT agency_id, purpose_id, fields, days FROM consent_requests WHERE id = ?1"
	                                    " AND cid = ?2 AND status = 'pending' AND expires_at > ?3",
	    err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, cid, KEYS_CID_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, util_now());
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		vault_sql_text(s, 0, agency, POLICY_ID_MAX + 1);
		vault_sql_text(s, 1, purpose, POLICY_ID_MAX + 1);
		*days = sqlite3_column_int(s, 3);
		if (policy_fields_parse((const char *)sqlite3_column_text(s, 2), f, nf) != 0)
			rc = SQLITE_CORRUPT;
	}
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? util_fail(err, UTIL_ENOTFOUND, "no such pending request")
	                         : util_fail(err, UTIL_ECORRUPT, "a stored request is malformed");
}

int policy_store_request_decide(vault *v, const char *id, const char *status, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "UPDATE consent_requests SET status = ?2, decided_at = ?3 WHERE id = ?1", err);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, util_now());
	return vault_sql_done(v, s, "policy store", err);
}

int policy_store_consent_put(vault *v, const policy_consent_row *c, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "INSERT INTO consents(id, cid, agency_id, purpose_id, request_id, fields,"
	                                    " granted_at, expires_at, use_limit, receipt)"
	                                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	    err);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, c->id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, c->cid, KEYS_CID_BYTES, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, c->agency_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, c->purpose_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, c->request_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, c->fields_json, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, c->granted_at);
	sqlite3_bind_int64(s, 8, c->expires_at);
	sqlite3_bind_int64(s, 9, c->use_limit);
	sqlite3_bind_text(s, 10, c->receipt_json, -1, SQLITE_STATIC);
	return vault_sql_done(v, s, "policy store", err);
}

int policy_store_consent_receipt(vault *v, const unsigned char cid[KEYS_CID_BYTES], const char *consent_id,
    json_t **receipt, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT receipt FROM consents WHERE id = ?1 AND cid = ?2", err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, consent_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, cid, KEYS_CID_BYTES, SQLITE_STATIC);
	*receipt = NULL;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*receipt = json_loadb((const char *)sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0),
		    JSON_REJECT_DUPLICATES, NULL);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return *receipt != NULL ? 0 : util_fail(err, UTIL_ECORRUPT, "a stored receipt is malformed");
	return rc == SQLITE_DONE ? util_fail(err, UTIL_ENOTFOUND, "no such consent") : vault_sql_error(v, rc, err, "receipt");
}
