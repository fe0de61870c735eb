/* ctl_report_model.c: the model both privacy reports print, read from the live vault in one snapshot. */
#include "ctl_reports.h"
#include "ctl_report_model.h"

#include <string.h>

#include "../audit/audit.h"
#include "../policy/policy.h"

#define ROPA_FORMAT "vaultd-ropa/1"

/* ---- small helpers ---- */

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

/* The model's indexes as it is built: agencies and purposes by id. */
typedef struct model_ix {
	json_t *doc, *agencies, *purposes;
	vault *v;
} model_ix;

static int add_agency(void *arg, const policy_report_agency *r, util_err *err)
{
	model_ix *m = arg;
	json_t *a = json_pack("{s:s, s:o, s:o, s:s, s:o, s:{s:i}, s:[]}", "id", r->id, "name", str_json(r->name), "roles",
	    policy_roles_view(r->roles), "status", r->suspended ? "suspended" : "active", "registered_at", iso_json(r->created_at),
	    "lookups_unregistered_purpose", "denied", 0, "purposes");

	if (a == NULL || json_array_append_new(json_object_get(m->doc, "agencies"), a) != 0 ||
	    json_object_set(m->agencies, r->id, a) != 0)
		return util_fail(err, UTIL_ENOMEM, "out of memory");
	return 0;
}

static int add_purpose(void *arg, const policy_report_purpose *r, util_err *err)
{
	model_ix *m = arg;
	json_t *agency = json_object_get(m->agencies, r->agency_id), *cats, *p;
	const char *basis = policy_basis_name(r->basis);
	int sensitive;

	if (agency == NULL || (cats = categories(m->v, r->fields, &sensitive)) == NULL)
		return util_fail(err, UTIL_ECORRUPT, "purpose %.40s is malformed or has no agency", r->id);
	p = json_pack("{s:s, s:s, s:{s:o, s:o}, s:s, s:o, s:[{s:s, s:O}], s:b, s:o, s:i, s:i, s:o, s:o,"
	              " s:{s:i, s:i}}",
	    "id", r->id, "code", r->code, "description", "vi", str_json(r->desc_vi), "en", str_json(r->desc_en),
	    "legal_basis", basis, "legal_reference", r->legal_reference == NULL ? json_null() : str_json(r->legal_reference),
	    "recipients", "agency_id", r->agency_id, "name", json_object_get(agency, "name"), "sensitive", sensitive,
	    "data_categories", cats, "retention_days", r->retention_days, "max_consent_days", r->max_days,
	    "registered_at", iso_json(r->created_at), "consents_in_force",
	    strcmp(basis, "consent") == 0 ? json_integer(0) : json_null(), "lookups", "allowed", 0, "denied", 0);
	if (p == NULL || json_array_append_new(json_object_get(agency, "purposes"), p) != 0 ||
	    json_object_set(m->purposes, r->id, p) != 0)
		return util_fail(err, UTIL_ENOMEM, "out of memory");
	return 0;
}

/* Consents that would allow a lookup now: not revoked, not expired, not used up. */
static void set_consents(void *arg, const char *purpose_id, int64_t n)
{
	model_ix *m = arg;
	json_t *p = json_object_get(m->purposes, purpose_id);

	if (p != NULL)
		json_object_set_new(p, "consents_in_force", json_integer(n));
}

/*
 * A lookup decision of the period, from the audit log: per purpose, and per agency for the
 * lookups that named a purpose the agency never registered (those entries have no purpose).
 * Only the entry's agency, purpose and decision are read.
 */
static int count_lookup(void *arg, int64_t seq, const void *entry, size_t len, util_err *err)
{
	model_ix *m = arg;
	json_t *e = json_loadb(entry, len, 0, NULL), *owner;
	const char *purpose, *agency, *decision, *k;

	if (!json_is_object(e)) {
		json_decref(e);
		return util_fail(err, UTIL_ECORRUPT, "audit entry %lld is not JSON: run `vaultctl audit verify`",
		    (long long)seq);
	}
	purpose = json_string_value(json_object_get(e, "purpose"));
	agency = json_string_value(json_object_get(e, "agency"));
	decision = json_string_value(json_object_get(e, "decision"));
	k = decision != NULL && strcmp(decision, "allow") == 0 ? "allowed" : "denied";
	if (purpose != NULL && (owner = json_object_get(m->purposes, purpose)) != NULL)
		bump(json_object_get(owner, "lookups"), k);
	else if (agency != NULL && (owner = json_object_get(m->agencies, agency)) != NULL)
		bump(json_object_get(owner, "lookups_unregistered_purpose"), k);
	bump(json_object_get(m->doc, "lookups"), k);
	json_decref(e);
	return 0;
}

json_t *ctl_report_model(vault *v, int64_t from, int64_t to, util_err *err)
{
	model_ix m = {.agencies = json_object(), .purposes = json_object(), .v = v};
	vault_stats st;
	int64_t now = util_now(), pending = 0;
	int mine = !vault_in_read(v), ok = 0; /* a snapshot of the caller's own is left open */

	if (from < 0 || from > to) {
		util_fail(err, UTIL_EINVAL, "the period needs 0 <= from <= to");
		goto out;
	}
	if (m.agencies == NULL || m.purposes == NULL) {
		util_fail(err, UTIL_ENOMEM, "out of memory");
		goto out;
	}
	if (vault_read_begin(v, err) != 0) {
		mine = 0;
		goto out;
	}
	if (vault_stats_get(v, &st, err) != 0 || policy_emergency_pending_count(v, &pending, err) != 0)
		goto out;
	m.doc = json_pack("{s:s, s:s, s:o, s:{s:I, s:o}, s:I, s:{s:i, s:i}, s:I, s:[]}", "format", ROPA_FORMAT, "vault_id",
	    vault_id(v), "generated_at", iso_json(now), "period", "from", (json_int_t)from, "to",
	    to == INT64_MAX ? json_null() : json_integer(to), "citizens", (json_int_t)st.citizens, "lookups", "allowed",
	    0, "denied", 0, "emergency_accesses_awaiting_review", (json_int_t)pending, "agencies");
	if (m.doc == NULL) {
		util_fail(err, UTIL_ENOMEM, "out of memory");
		goto out;
	}
	ok = policy_report_agencies(v, add_agency, &m, err) == 0 && policy_report_purposes(v, add_purpose, &m, err) == 0 &&
	     policy_report_consents_in_force(v, now, set_consents, &m, err) == 0 &&
	     audit_report_lookups(v, from, to, count_lookup, &m, err) == 0;
out:
	if (mine)
		vault_read_end(v);
	json_decref(m.agencies);
	json_decref(m.purposes);
	if (!ok) {
		json_decref(m.doc);
		return NULL;
	}
	return m.doc;
}
