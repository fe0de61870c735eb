/* ctl_report_model.c: the model both privacy reports print, read from the live vault in one snapshot. */
#include "ctl_reports.h"
#include "ctl_report_model.h"

#include <string.h>

#include "../audit/audit.h"
#include "../policy/policy.h"
#include "../vault/vault_sql.h"

#define ROPA_FORMAT "vaultd-ropa/1"

/* ---- small helpers ---- */

static const char *col(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? (const char *)t : "";
}

/* A JSON string of registry text; the registry checks lengths, not UTF-8, so guard against it. */
static json_t *str_json(const char *s)
{
	json_t *j = json_string(s ? s : "");

	return j ? j : json_string("(not valid UTF-8)");
}

static json_t *iso_json(int64_t t)
{
	char buf[21];

	util_iso8601(t, buf);
	return json_string(buf);
}

static void bump(json_t *o, const char *k)
{
	json_object_set_new(o, k, json_integer(json_integer_value(json_object_get(o, k)) + 1));
}

static json_t *roles_json(unsigned roles)
{
	json_t *a = json_array();

	if (a == NULL)
		return NULL;
	if (roles & POLICY_ROLE_REGISTRAR)
		json_array_append_new(a, json_string("registrar"));
	if (roles & POLICY_ROLE_CONSUMER)
		json_array_append_new(a, json_string("consumer"));
	if (roles & POLICY_ROLE_EMERGENCY)
		json_array_append_new(a, json_string("emergency"));
	return a;
}

int ctl_report_scalar(vault *v, const char *sql, int64_t *out, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, sql, err);
	int rc;

	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : vault_sql_error(v, rc, err, "report");
}

void ctl_report_pragma(vault *v, const char *sql, char *out, size_t n)
{
	sqlite3_stmt *s = vault_sql_stmt(v, sql, NULL);

	out[0] = '\0';
	if (s == NULL)
		return;
	if (sqlite3_step(s) == SQLITE_ROW)
		snprintf(out, n, "%s", col(s, 0));
	sqlite3_reset(s);
}

/* ---- the model ---- */

/*
 * The fields of a purpose (stored as [{"name", "masked"}]) with their category and
 * descriptions from the catalog. *sensitive is set when any is sensitive. NULL if malformed.
 */
static json_t *categories(vault *v, const char *stored, int *sensitive)
{
	const vault_catalog *cat = vault_catalog_of(v);
	json_t *in = json_loads(stored, 0, NULL), *out = json_array(), *e;
	size_t i;

	*sensitive = 0;
	if (!json_is_array(in) || out == NULL)
		goto bad;
	json_array_foreach(in, i, e) {
		const char *name = json_string_value(json_object_get(e, "name"));
		int masked = json_is_true(json_object_get(e, "masked"));
		const vault_field_def *d;
		json_t *f;

		if (name == NULL)
			goto bad;
		d = vault_catalog_find(cat, name, strlen(name));
		if (d != NULL && d->sensitive)
			*sensitive = 1;
		f = json_pack("{s:o, s:s, s:s, s:{s:o, s:o}}", "name", str_json(name), "category",
		    d == NULL ? "unknown" : d->sensitive ? "sensitive" : "basic", "view", masked ? "masked" : "full",
		    "description", "vi", str_json(d ? d->desc_vi : ""), "en", str_json(d ? d->desc_en : ""));
		if (f != NULL && masked && d != NULL)
			json_object_set_new(f, "mask", json_string(d->mask));
		if (f == NULL || json_array_append_new(out, f) != 0)
			goto bad;
	}
	json_decref(in);
	return out;
bad:
	json_decref(in);
	json_decref(out);
	return NULL;
}

static int load_agencies(vault *v, json_t *list, json_t *ix, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT id, name, roles, suspended, created_at FROM agencies"
	                                    " ORDER BY created_at, rowid",
	    err);
	int rc;

	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_t *a = json_pack("{s:s, s:o, s:o, s:s, s:o, s:{s:i}, s:[]}", "id", col(s, 0), "name",
		    str_json(col(s, 1)), "roles", roles_json((unsigned)sqlite3_column_int(s, 2)), "status",
		    sqlite3_column_int(s, 3) ? "suspended" : "active", "registered_at", iso_json(sqlite3_column_int64(s, 4)),
		    "lookups_unregistered_purpose", "denied", 0, "purposes");

		if (a == NULL || json_array_append_new(list, a) != 0 || json_object_set(ix, col(s, 0), a) != 0) {
			sqlite3_reset(s);
			return util_fail(err, UTIL_ENOMEM, "out of memory");
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : vault_sql_error(v, rc, err, "agencies");
}

static int load_purposes(vault *v, json_t *agencies, json_t *ix, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT id, agency_id, code, desc_vi, desc_en, basis, legal_reference, fields,"
	                                    " max_days, retention_days, created_at FROM purposes ORDER BY created_at, rowid",
	    err);
	int rc;

	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_t *agency = json_object_get(agencies, col(s, 1)), *cats, *p;
		const char *basis = policy_basis_name((policy_basis)sqlite3_column_int(s, 5));
		int sensitive;

		if (agency == NULL || (cats = categories(v, col(s, 7), &sensitive)) == NULL) {
			sqlite3_reset(s);
			return util_fail(err, UTIL_ECORRUPT, "purpose %.40s is malformed or has no agency", col(s, 0));
		}
		p = json_pack("{s:s, s:s, s:{s:o, s:o}, s:s, s:o, s:[{s:s, s:O}], s:b, s:o, s:i, s:i, s:o, s:o,"
		              " s:{s:i, s:i}}",
		    "id", col(s, 0), "code", col(s, 2), "description", "vi", str_json(col(s, 3)), "en", str_json(col(s, 4)),
		    "legal_basis", basis, "legal_reference",
		    sqlite3_column_type(s, 6) == SQLITE_NULL ? json_null() : str_json(col(s, 6)), "recipients", "agency_id",
		    col(s, 1), "name", json_object_get(agency, "name"), "sensitive", sensitive, "data_categories", cats,
		    "retention_days", sqlite3_column_int(s, 9), "max_consent_days", sqlite3_column_int(s, 8),
		    "registered_at", iso_json(sqlite3_column_int64(s, 10)), "consents_in_force",
		    strcmp(basis, "consent") == 0 ? json_integer(0) : json_null(), "lookups", "allowed", 0, "denied", 0);
		if (p == NULL || json_array_append_new(json_object_get(agency, "purposes"), p) != 0 ||
		    json_object_set(ix, col(s, 0), p) != 0) {
			sqlite3_reset(s);
			return util_fail(err, UTIL_ENOMEM, "out of memory");
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : vault_sql_error(v, rc, err, "purposes");
}

/* Consents that would allow a lookup now: not revoked, not expired, not used up. */
static int count_consents(vault *v, json_t *purposes, int64_t now, util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT purpose_id, count(*) FROM consents WHERE revoked_at = 0"
	                                    " AND expires_at > ?1 AND (use_limit = 0 OR uses < use_limit) GROUP BY purpose_id",
	    err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_t *p = json_object_get(purposes, col(s, 0));

		if (p != NULL)
			json_object_set_new(p, "consents_in_force", json_integer(sqlite3_column_int64(s, 1)));
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : vault_sql_error(v, rc, err, "consents");
}

/*
 * Lookup decisions in [from, to], from the audit log: per purpose, and per agency for the
 * lookups that named a purpose the agency never registered (those entries have no purpose).
 * Only the entry's agency, purpose and decision are read.
 */
static int count_lookups(vault *v, json_t *doc, json_t *agencies, json_t *purposes, int64_t from, int64_t to,
    util_err *err)
{
	sqlite3_stmt *s = vault_sql_stmt(v, "SELECT seq, entry FROM audit_entries WHERE action = 'lookup'"
	                                    " AND time >= ?1 AND time <= ?2 ORDER BY seq",
	    err);
	json_t *totals = json_object_get(doc, "lookups");
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, from);
	sqlite3_bind_int64(s, 2, to);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_t *e = json_loadb(sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1), 0, NULL), *owner;
		const char *purpose, *agency, *decision, *k;

		if (!json_is_object(e)) {
			json_decref(e);
			util_fail(err, UTIL_ECORRUPT, "audit entry %lld is not JSON: run `vaultctl audit verify`",
			    (long long)sqlite3_column_int64(s, 0));
			sqlite3_reset(s);
			return -1;
		}
		purpose = json_string_value(json_object_get(e, "purpose"));
		agency = json_string_value(json_object_get(e, "agency"));
		decision = json_string_value(json_object_get(e, "decision"));
		k = decision != NULL && strcmp(decision, "allow") == 0 ? "allowed" : "denied";
		if (purpose != NULL && (owner = json_object_get(purposes, purpose)) != NULL)
			bump(json_object_get(owner, "lookups"), k);
		else if (agency != NULL && (owner = json_object_get(agencies, agency)) != NULL)
			bump(json_object_get(owner, "lookups_unregistered_purpose"), k);
		bump(totals, k);
		json_decref(e);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : vault_sql_error(v, rc, err, "audit log");
}

/* A read transaction for a consistent snapshot, when the caller has none open. */
static int snapshot_begin(vault *v, int *mine, util_err *err)
{
	int rc;

	*mine = 0;
	if (!sqlite3_get_autocommit(vault_sql_db(v)))
		return 0;
	rc = sqlite3_exec(vault_sql_db(v), "BEGIN", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return vault_sql_error(v, rc, err, "report snapshot");
	*mine = 1;
	return 0;
}

static void snapshot_end(vault *v, int mine)
{
	if (mine)
		sqlite3_exec(vault_sql_db(v), "COMMIT", NULL, NULL, NULL);
}

json_t *ctl_report_model(vault *v, int64_t from, int64_t to, util_err *err)
{
	json_t *doc = NULL, *aix = json_object(), *pix = json_object();
	vault_stats st;
	int64_t now = util_now(), pending = 0;
	int mine = 0, ok = 0;

	if (from < 0 || from > to) {
		util_fail(err, UTIL_EINVAL, "the period needs 0 <= from <= to");
		goto out;
	}
	if (aix == NULL || pix == NULL) {
		util_fail(err, UTIL_ENOMEM, "out of memory");
		goto out;
	}
	if (snapshot_begin(v, &mine, err) != 0)
		goto out;
	if (vault_stats_get(v, &st, err) != 0 ||
	    ctl_report_scalar(v, "SELECT count(*) FROM audit_entries e LEFT JOIN reviews r ON r.seq = e.seq WHERE e.action = 'lookup'"
	              " AND e.decision = 'allow' AND CAST(e.entry AS TEXT) LIKE '%\"basis\":\"vital_interest\"%'"
	              " AND r.seq IS NULL",
	        &pending, err) != 0)
		goto out;
	doc = json_pack("{s:s, s:s, s:o, s:{s:I, s:o}, s:I, s:{s:i, s:i}, s:I, s:[]}", "format", ROPA_FORMAT, "vault_id",
	    vault_id(v), "generated_at", iso_json(now), "period", "from", (json_int_t)from, "to",
	    to == INT64_MAX ? json_null() : json_integer(to), "citizens", (json_int_t)st.citizens, "lookups", "allowed",
	    0, "denied", 0, "emergency_accesses_awaiting_review", (json_int_t)pending, "agencies");
	if (doc == NULL) {
		util_fail(err, UTIL_ENOMEM, "out of memory");
		goto out;
	}
	ok = load_agencies(v, json_object_get(doc, "agencies"), aix, err) == 0 && load_purposes(v, aix, pix, err) == 0 &&
	     count_consents(v, pix, now, err) == 0 && count_lookups(v, doc, aix, pix, from, to, err) == 0;
out:
	snapshot_end(v, mine);
	json_decref(aix);
	json_decref(pix);
	if (!ok) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}
