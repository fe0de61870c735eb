/* sqlite_retention.c: the retention sweep's statements on SQLite: what expires, and what is kept no longer. */
#include "policy_private.h"

#include "../vault/sqlite.h"

int policy_store_retention(vault *v, int64_t now, int64_t n[POLICY_SWEEPS], util_err *err)
{
	/* 0: pending requests past their time; 1, 2: consents and decided requests that ended
	 * longer ago than their purpose keeps data */
	static const char *const sweeps[POLICY_SWEEPS] = {
		"UPDATE consent_requests SET status = 'expired', decided_at = ?1 WHERE status = 'pending'"
		" AND expires_at <= ?1",
		"DELETE FROM consents WHERE id IN (SELECT c.id FROM consents c JOIN purposes p ON p.id = c.purpose_id"
		" WHERE (CASE WHEN c.revoked_at > 0 AND c.revoked_at < c.expires_at THEN c.revoked_at"
		" ELSE c.expires_at END) + p.retention_days * 86400 <= ?1)",
		"DELETE FROM consent_requests WHERE status <> 'pending' AND id IN (SELECT r.id FROM"
		" consent_requests r JOIN purposes p ON p.id = r.purpose_id"
		" WHERE coalesce(r.decided_at, r.expires_at) + p.retention_days * 86400 <= ?1)",
		"DELETE FROM request_subjects WHERE expires_at <= ?1", /* the cap's bookkeeping: not counted */
	};
	size_t i;
	int rc;

	for (i = 0; i < POLICY_SWEEPS; i++) {
		sqlite3_stmt *s = vault_sql_stmt(v, sweeps[i], err);

		if (s == NULL)
			return -1;
		sqlite3_bind_int64(s, 1, now);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			return vault_sql_error(v, rc, err, "policy store");
		n[i] = sqlite3_changes(vault_sql_db(v));
	}
	return 0;
}
