/* sqlite_counts.c: the lookups of a period counted for the officers' dashboard: per day, agency and decision; denials by reason (SQLite). */
#include "audit.h"
#include "audit_db.h"

#include <string.h>

#include "../vault/sqlite.h"

/*
 * Each statement names the lookups of a period as `action = 'lookup' AND time >= ?1 AND time <=
 * ?2`, the terms of the partial index audit_lookups (sqlite_schema.c, version 12) on (time,
 * agency_id, decision, action): the per-day count reads that index alone (action is in it so
 * that SQLite need not read the row to check the index's own condition), and the count of
 * reasons reads an entry's bytes only for the denied lookups of the period.
 */
#define LOOKUPS_IN "action = 'lookup' AND time >= ?1 AND time <= ?2"

int audit_lookups_per_day(vault *v, int64_t from, int64_t to, audit_day_count_fn fn, void *arg, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT time / 86400, coalesce(agency_id, ''), decision IS 'allow', count(*)"
	                                    " FROM audit_entries WHERE " LOOKUPS_IN " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
	    err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, from < 0 ? 0 : from);
	sqlite3_bind_int64(s, 2, to);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		fn(arg, sqlite3_column_int64(s, 0), (const char *)sqlite3_column_text(s, 1), sqlite3_column_int(s, 2),
		    sqlite3_column_int64(s, 3));
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : vault_sql_error(v, rc, err, "audit log");
}

/*
 * The value of "reason" in an entry as audit_entry_encode writes it, into out (n bytes), ""
 * when it names none. The encoder escapes every quote inside a value, so only the key itself
 * matches `"reason":"`; a reason is a short name without escapes (a longer one is cut).
 */
static void reason_of(const char *e, size_t len, char *out, size_t n)
{
	static const char key[] = "\"reason\":\"";
	const char *p = e != NULL ? memmem(e, len, key, sizeof key - 1) : NULL, *end;
	size_t k;

	out[0] = '\0';
	if (p == NULL)
		return;
	p += sizeof key - 1;
	if ((end = memchr(p, '"', len - (size_t)(p - e))) == NULL)
		return;
	k = (size_t)(end - p) < n - 1 ? (size_t)(end - p) : n - 1;
	memcpy(out, p, k);
	out[k] = '\0';
}

/* The reasons seen so far with their counts; a reason past the last slot counts as "other". */
typedef struct reason_tally {
	char name[AUDIT_REASONS_MAX][AUDIT_REASON_MAX + 1];
	int64_t n[AUDIT_REASONS_MAX];
	size_t used;
} reason_tally;

static void tally(reason_tally *t, const char *reason)
{
	size_t i;

	for (i = 0; i < t->used; i++)
		if (strcmp(t->name[i], reason) == 0)
			break;
	if (i == t->used) {
		if (t->used == AUDIT_REASONS_MAX)
			i = AUDIT_REASONS_MAX - 1, reason = "other";
		else
			t->used++;
		strcpy(t->name[i], reason);
	}
	t->n[i]++;
}

int audit_denials_by_reason(vault *v, int64_t from, int64_t to, audit_reason_count_fn fn, void *arg, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT entry FROM audit_entries WHERE " LOOKUPS_IN " AND decision = 'deny'", err);
	reason_tally t = {.used = 0};
	char reason[AUDIT_REASON_MAX + 1];
	size_t i;
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, from < 0 ? 0 : from);
	sqlite3_bind_int64(s, 2, to);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		reason_of(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), reason, sizeof reason);
		tally(&t, reason);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return vault_sql_error(v, rc, err, "audit log");
	for (i = 0; i < t.used; i++)
		fn(arg, t.name[i], t.n[i]);
	return 0;
}

/*
 * The allowed lookups on basis in the period. For the vital-interest basis, through the
 * partial index audit_emergency (its condition spelled out, AUDIT_EMERGENCY_SQL), on (time,
 * agency_id): the emergency accesses of the period alone, never an entry's bytes. Any other
 * basis is matched in each allowed lookup's bytes.
 */
int audit_allowed_on_basis_in(vault *v, const char *basis, int64_t from, int64_t to, audit_access_fn fn, void *arg,
    util_err *err)
{
	int emergency = strcmp(basis, AUDIT_EMERGENCY_BASIS) == 0, len, rc, frc = 0;
	sqlite3_stmt *s = emergency
	                      ? vault_sql_stmt(v, "SELECT seq, coalesce(agency_id, '') FROM audit_entries INDEXED BY audit_emergency"
	                                          " WHERE " AUDIT_EMERGENCY_SQL " AND time >= ?1 AND time <= ?2 ORDER BY seq",
	                            err)
	                      : vault_sql_stmt(v, "SELECT seq, coalesce(agency_id, '') FROM audit_entries WHERE " LOOKUPS_IN
	                                          " AND decision = 'allow' AND instr(CAST(entry AS TEXT), ?3) > 0 ORDER BY seq",
	                            err);
	char pat[64];

	if (s == NULL)
		return -1;
	if ((len = snprintf(pat, sizeof pat, "\"basis\":\"%s\"", basis)) <= 0 || (size_t)len >= sizeof pat)
		return util_fail(err, UTIL_EINVAL, "basis too long");
	sqlite3_bind_int64(s, 1, from < 0 ? 0 : from);
	sqlite3_bind_int64(s, 2, to);
	if (!emergency)
		sqlite3_bind_text(s, 3, pat, len, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW &&
	       (frc = fn(arg, sqlite3_column_int64(s, 0), (const char *)sqlite3_column_text(s, 1), err)) == 0)
		;
	sqlite3_reset(s);
	if (frc != 0)
		return -1;
	return rc == SQLITE_DONE ? 0 : vault_sql_error(v, rc, err, "audit log");
}
