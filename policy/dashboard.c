/*
 * dashboard.c: the officers' dashboard over a period of UTC days: lookups per agency per day,
 * allowed and denied; denials by reason; emergency accesses by the state of their review.
 * The audit log counts its entries (audit/sqlite_counts.c), policy's reviews say how each
 * emergency access was judged, and policy's registry names the agencies: no module reads
 * another's table.
 */
#include "policy_private.h"

#include <string.h>

/* What the walks add up, as JSON: the agencies' rows by id (and in order), and the totals. */
typedef struct dash {
	vault *v;
	json_t *out;
	json_t *agencies; /* the answer's array of rows */
	json_t *by_id;    /* agency id -> its row (borrowed from agencies) */
	json_t *per_day;  /* the answer's array: one row per day with lookups, in order */
} dash;

/* "YYYY-MM-DD" of day (days since the epoch) into out. */
static void day_name(int64_t day, char out[11])
{
	char iso[21];

	util_iso8601(day * 86400, iso);
	memcpy(out, iso, 10);
	out[10] = '\0';
}

static void add_to(json_t *o, const char *key, int64_t n)
{
	json_object_set_new(o, key, json_integer(json_integer_value(json_object_get(o, key)) + n));
}

/* The row of agency id, made (with its name, null when unregistered) the first time it is named. */
static json_t *agency_row(dash *d, const char *id)
{
	char name[POLICY_NAME_MAX + 1];
	policy_agency a;
	util_err err;
	json_t *row = json_object_get(d->by_id, id);

	if (row != NULL)
		return row;
	row = json_pack("{s:{s:s, s:o}, s:i, s:i, s:[], s:{s:i, s:i, s:i}}", "agency", "id", id, "name",
	    policy_store_agency_get(d->v, id, &a, name, &err) == 0 ? json_string(name) : json_null(), "allowed", 0, "denied",
	    0, "days", "emergency", "pending", 0, "justified", 0, "unjustified", 0);
	if (row == NULL || json_array_append_new(d->agencies, row) != 0)
		return NULL;
	json_object_set(d->by_id, id, row);
	return row;
}

/* The last row of days if it is day's, else a new one appended. */
static json_t *day_row(json_t *days, int64_t day)
{
	json_t *last = json_array_get(days, json_array_size(days) - 1);
	char name[11];

	day_name(day, name);
	if (last != NULL && strcmp(json_string_value(json_object_get(last, "day")), name) == 0)
		return last;
	last = json_pack("{s:s, s:i, s:i}", "day", name, "allowed", 0, "denied", 0);
	if (last != NULL && json_array_append_new(days, last) != 0)
		return NULL;
	return last;
}

/* Rows come in order of day, then agency: each agency's days and the period's days stay in order. */
static void count_day(void *arg, int64_t day, const char *agency_id, int allowed, int64_t n)
{
	dash *d = arg;
	const char *key = allowed ? "allowed" : "denied";
	json_t *row = agency_row(d, agency_id), *dr = day_row(d->per_day, day);

	if (row != NULL) {
		add_to(row, key, n);
		if ((row = day_row(json_object_get(row, "days"), day)) != NULL)
			add_to(row, key, n);
	}
	if (dr != NULL)
		add_to(dr, key, n);
	add_to(json_object_get(d->out, "lookups"), key, n);
}

static void count_reason(void *arg, const char *reason, int64_t n)
{
	dash *d = arg;

	add_to(json_object_get(d->out, "denials_by_reason"), reason, n);
}

/* One emergency access: counted by its review's outcome, or as pending. */
static int count_access(void *arg, int64_t seq, const char *agency_id, util_err *err)
{
	dash *d = arg;
	policy_review_info ri;
	const char *state = "pending";
	json_t *row = agency_row(d, agency_id), *total = json_object_get(d->out, "emergency");

	if (policy_store_review_load(d->v, seq, &ri, err) == 0)
		state = ri.outcome;
	else if (err->code != UTIL_ENOTFOUND)
		return -1;
	if (row != NULL)
		add_to(json_object_get(row, "emergency"), state, 1);
	add_to(total, state, 1);
	add_to(total, "total", 1);
	return 0;
}

/* The three walks over [from, to], in v's snapshot. */
static int walks(dash *d, int64_t from, int64_t to, util_err *err)
{
	if (audit_lookups_per_day(d->v, from, to, count_day, d, err) != 0 ||
	    audit_denials_by_reason(d->v, from, to, count_reason, d, err) != 0)
		return -1;
	return audit_allowed_on_basis_in(d->v, policy_basis_name(POLICY_BASIS_VITAL_INTEREST), from, to, count_access, d,
	    err);
}

int policy_dashboard(vault *v, int64_t first, int64_t last, json_t **out, util_err *err)
{
	char from[11], to[11];
	dash d = {.v = v};
	int rc;

	*out = NULL;
	if (first < 0 || last < first || last - first >= POLICY_DASHBOARD_DAYS || last > INT64_MAX / 86400 - 1)
		return util_fail(err, UTIL_EINVAL, "the period must be 1..%d days", POLICY_DASHBOARD_DAYS);
	day_name(first, from);
	day_name(last, to);
	d.out = json_pack("{s:s, s:s, s:I, s:{s:i, s:i}, s:[], s:[], s:{}, s:{s:i, s:i, s:i, s:i}}", "from", from, "to", to,
	    "days", (json_int_t)(last - first + 1), "lookups", "allowed", 0, "denied", 0, "per_day", "agencies",
	    "denials_by_reason", "emergency", "total", 0, "pending", 0, "justified", 0, "unjustified", 0);
	d.by_id = json_object();
	if (d.out == NULL || d.by_id == NULL) {
		json_decref(d.out);
		json_decref(d.by_id);
		return util_fail(err, UTIL_ENOMEM, "out of memory");
	}
	d.agencies = json_object_get(d.out, "agencies");
	d.per_day = json_object_get(d.out, "per_day");
	if ((rc = vault_read_begin(v, err)) == 0) {
		rc = walks(&d, first * 86400, last * 86400 + 86399, err);
		vault_read_end(v);
	}
	json_decref(d.by_id);
	if (rc != 0) {
		json_decref(d.out);
		return -1;
	}
	*out = d.out;
	return 0;
}
