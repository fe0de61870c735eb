/* sqlite_lookup.c: the SQLite backend's part of a lookup: what a decision reads, and a use spent. */
#include "policy_private.h"

#include <stdio.h>
#include <string.h>

#include "../audit/audit.h"
#include "../vault/sqlite.h"


/* The newest consents (at most max) of cid for agency's purpose; unreadable field lists are skipped. */
static int read_consents(vault *v, const unsigned char *cid, const char *agency, const char *purpose,
    policy_consent *c, size_t max, size_t *n, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT id, granted_at, expires_at, revoked_at, use_limit, uses, fields FROM"
	                                    " consents WHERE cid = ?1 AND agency_id = ?2 AND purpose_id = ?3"
	                                    " ORDER BY granted_at DESC LIMIT ?4",
	    err);
	int rc;

	*n = 0;
	if (s == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, cid, KEYS_CID_BYTES, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, agency, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, purpose, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, (int)max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		policy_consent *k = &c[*n];

		memset(k, 0, sizeof *k);
		vault_sql_text(s, 0, k->id, sizeof k->id);
		snprintf(k->agency_id, sizeof k->agency_id, "%s", agency);
		snprintf(k->purpose_id, sizeof k->purpose_id, "%s", purpose);
		k->granted_at = sqlite3_column_int64(s, 1);
		k->expires_at = sqlite3_column_int64(s, 2);
		k->revoked_at = sqlite3_column_int64(s, 3);
		k->use_limit = sqlite3_column_int64(s, 4);
		k->uses = sqlite3_column_int64(s, 5);
		if (policy_fields_parse((const char *)sqlite3_column_text(s, 6), k->fields, &k->nfields) != 0)
			continue;
		(*n)++;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : vault_sql_error(v, rc, err, "consents");
}

/*
 * The decision's reads share one read snapshot (a deferred transaction) with the reading of
 * what it releases, and never take the write lock, which the audit writer holds through its
 * fsyncs. The snapshot holds everything committed before the lookup began, so a revocation
 * stops the very next one. One snapshot, not two: each read transaction that begins after
 * another connection's commit drops this connection's page cache, and every page would be
 * read and decrypted again.
 */
int policy_store_lookup_begin(vault *v, const policy_agency *agency, const char *code, const char *nid,
    policy_lookup_state *st, util_err *err)
{
	util_err e2;

	/* the flags and counts only: the purpose and consents (about 23 KiB) are written as read */
	st->purpose_found = st->citizen_found = st->restricted = 0;
	st->nconsents = 0;
	memset(st->cid, 0, sizeof st->cid);
	if (vault_read_begin(v, err) != 0)
		return -1;
	if (policy_purpose_get(v, agency->id, code, NULL, &st->purpose, &e2) == 0)
		st->purpose_found = 1;
	else if (e2.code != UTIL_ENOTFOUND)
		return *err = e2, -1;
	return policy_store_lookup_citizen(v, agency->id, st->purpose_found ? st->purpose.id : NULL, nid, st, err);
}

int policy_store_lookup_citizen(vault *v, const char *agency_id, const char *purpose_id, const char *nid,
    policy_lookup_state *st, util_err *err)
{
	util_err e2;
	int64_t since;

	/* the flags and counts only: the consents are written as read */
	st->citizen_found = st->restricted = 0;
	st->nconsents = 0;
	memset(st->cid, 0, sizeof st->cid);
	if (vault_citizen_find(v, nid, st->cid, &e2) == 0)
		st->citizen_found = 1;
	else if (e2.code != UTIL_ENOTFOUND)
		return *err = e2, -1;
	if (!st->citizen_found)
		return 0;
	if (policy_store_restriction_get(v, st->cid, &st->restricted, &since, err) != 0)
		return -1;
	if (purpose_id != NULL &&
	    read_consents(v, st->cid, agency_id, purpose_id, st->consents, POLICY_LOOKUP_CONSENTS, &st->nconsents, err) != 0)
		return -1;
	return 0;
}

void policy_store_lookup_end(vault *v)
{
	vault_read_end(v);
}

/* Why a use could not be spent: the consent revoked, the processing restricted, or used up. */
static policy_reason why_unspent(vault *v, const char *consent_id, util_err *err, int *failed)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT c.revoked_at <> 0, EXISTS (SELECT 1 FROM restrictions r"
	                                    " WHERE r.cid = c.cid) FROM consents c WHERE c.id = ?1",
	    err);
	policy_reason why = POLICY_DENY_USE_LIMIT_REACHED;

	if (s == NULL) {
		*failed = 1;
		return why;
	}
	sqlite3_bind_text(s, 1, consent_id, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		why = sqlite3_column_int(s, 0)   ? POLICY_DENY_CONSENT_REVOKED
		      : sqlite3_column_int(s, 1) ? POLICY_DENY_RESTRICTED
		                                 : POLICY_DENY_USE_LIMIT_REACHED;
	sqlite3_reset(s);
	return why;
}

/*
 * One write unit: the use is spent with one conditional update (of two lookups only one gets
 * it), and the allowed lookup's entry e appended in the same transaction, so that a use is
 * never spent without its entry, nor logged without being spent. It runs after the lookup's
 * snapshot ends: inside it, the update would have to upgrade a snapshot that any commit to
 * vault.db since it began has made stale (SQLITE_BUSY_SNAPSHOT).
 */
int policy_store_use_spend(vault *v, const char *consent_id, const audit_entry *e, int64_t *seq, policy_reason *lost,
    util_err *err)
{
	sqlite3_stmt *s;
	int mine, ok = 0, rc, failed = 0;

	*seq = 0;
	*lost = POLICY_OK;
	if (vault_tx_begin(v, &mine, err) != 0)
		return -1;
	if ((s = vault_sql_stmt(v, "UPDATE consents SET uses = uses + 1 WHERE id = ?1 AND uses < use_limit"
	                           " AND revoked_at = 0 AND NOT EXISTS (SELECT 1 FROM restrictions r"
	                           " WHERE r.cid = consents.cid)",
	         err)) == NULL)
		goto out;
	sqlite3_bind_text(s, 1, consent_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		vault_sql_error(v, rc, err, "consents");
		goto out;
	}
	if (sqlite3_changes(vault_sql_db(v)) == 0) /* spent by another lookup, or revoked or restricted since */
		*lost = why_unspent(v, consent_id, err, &failed);
	else
		failed = audit_record(v, e, seq, err) != 0;
	ok = !failed;
out:
	return vault_tx_end(v, mine, ok, err) != 0 || !ok ? -1 : 0;
}
