/* sqlite_review.c: an officer's review of an emergency access, stored with its entry (SQLite). */
#include "policy_private.h"

#include <stdio.h>

#include "../audit/audit.h"
#include "../vault/sqlite.h"

static int review_insert(vault *v, const policy_review *rv, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "INSERT INTO reviews(seq, agency_id, purpose_id, outcome, note, reviewed_by,"
	                                    " reviewed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	    err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, rv->seq);
	sqlite3_bind_text(s, 2, rv->agency_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, rv->purpose_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, rv->outcome, -1, SQLITE_STATIC);
	if (rv->note != NULL)
		sqlite3_bind_text(s, 5, rv->note, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, rv->officer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, util_now());
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_CONSTRAINT)
		return util_fail(err, UTIL_EEXISTS, "this access was already reviewed");
	return rc == SQLITE_DONE ? 0 : util_fail(err, UTIL_EIO, "cannot store the review");
}

int policy_review_exists(vault *v, int64_t seq, int *yes, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT 1 FROM reviews WHERE seq = ?1", err);
	int rc;

	*yes = 0;
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, seq);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	*yes = rc == SQLITE_ROW;
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : vault_sql_error(v, rc, err, "reviews");
}

int policy_review_record(vault *v, const policy_review *rv, util_err *err)
{
	char actor[POLICY_ID_MAX + 16];
	audit_entry e = {.actor = actor, .action = "review.record", .agency_id = rv->agency_id,
		.purpose_id = rv->purpose_id, .note = rv->outcome};
	int mine, ok;

	snprintf(actor, sizeof actor, "officer:%s", rv->officer);
	if (vault_tx_begin(v, &mine, err) != 0)
		return -1;
	ok = review_insert(v, rv, err) == 0 && audit_record(v, &e, NULL, err) == 0;
	return vault_tx_end(v, mine, ok, err);
}

int policy_review_get(vault *v, int64_t seq, char outcome[16], int64_t *reviewed_at, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT outcome, reviewed_at FROM reviews WHERE seq = ?1", err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, seq);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		vault_sql_text(s, 0, outcome, 16);
		*reviewed_at = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return util_fail(err, UTIL_ENOTFOUND, "this access is not reviewed yet");
	return rc == SQLITE_ROW ? 0 : vault_sql_error(v, rc, err, "reviews");
}

/* ---- reviews as officers list them ---- */

/* The review of s's row (seq, outcome, note, reviewed_by, reviewed_at) into ri. */
static void review_row(sqlite3_stmt *s, policy_review_info *ri)
{
	vault_sql_text(s, 1, ri->outcome, sizeof ri->outcome);
	vault_sql_text(s, 2, ri->note, sizeof ri->note);
	vault_sql_text(s, 3, ri->officer, sizeof ri->officer);
	ri->reviewed_at = sqlite3_column_int64(s, 4);
}

int policy_store_review_load(vault *v, int64_t seq, policy_review_info *ri, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT seq, outcome, note, reviewed_by, reviewed_at FROM reviews WHERE seq = ?1",
	    err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, seq);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		review_row(s, ri);
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return util_fail(err, UTIL_ENOTFOUND, "not reviewed");
	return rc == SQLITE_ROW ? 0 : vault_sql_error(v, rc, err, "reviews");
}

int policy_store_reviews_after(vault *v, int64_t after, policy_store_review_fn fn, void *arg, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT seq, outcome, note, reviewed_by, reviewed_at FROM reviews WHERE seq > ?1"
	                                    " ORDER BY seq",
	    err);
	policy_review_info ri;
	int rc, frc = 0;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, after);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		review_row(s, &ri);
		if ((frc = fn(arg, sqlite3_column_int64(s, 0), &ri, err)) != 0)
			break;
	}
	sqlite3_reset(s);
	if (frc != 0)
		return frc > 0 ? 0 : -1;
	return rc == SQLITE_DONE ? 0 : vault_sql_error(v, rc, err, "reviews");
}
