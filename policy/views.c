/* views.c: what a citizen sees of what policy keeps about them: pending requests, consents and their state, a receipt again, the restriction. */
#include "policy_private.h"

#include <string.h>

json_t *policy_fields_view(vault *v, const policy_field *f, size_t n, int sensitive)
{
	json_t *a = json_array(), *o;
	size_t i;

	for (i = 0; a != NULL && i < n; i++) {
		const vault_field_def *d = vault_catalog_find(vault_catalog_of(v), f[i].name, strlen(f[i].name));

		o = json_pack("{s:s, s:s, s:b, s:{s:s, s:s}}", "name", f[i].name, "category",
		    d && d->sensitive ? "sensitive" : "basic", "masked", f[i].masked, "description", "vi", d ? d->desc_vi : "",
		    "en", d ? d->desc_en : "");
		if (o != NULL && sensitive)
			json_object_set_new(o, "sensitive", json_boolean(d && d->sensitive));
		json_array_append_new(a, o);
	}
	return a;
}

/*
 * The part a request and a consent show alike: id, agency, purpose (with how long its agency
 * keeps what it reads), legal basis and fields. NULL if the stored field list is malformed.
 */
static json_t *row_view(vault *v, const policy_list_row *r)
{
	policy_field f[POLICY_MAX_FIELDS];
	size_t nf;

	if (policy_fields_parse(r->fields, f, &nf) != 0)
		return NULL;
	return json_pack("{s:s, s:{s:s, s:s}, s:{s:s, s:s, s:{s:s, s:s}}, s:s, s:i, s:o}", "id", r->id, "agency", "id",
	    r->agency_id, "name", r->agency_name, "purpose", "id", r->purpose_id, "code", r->code, "description", "vi",
	    r->desc_vi, "en", r->desc_en, "legal_basis", policy_basis_name(r->basis), "retention_days", r->retention_days,
	    "fields", policy_fields_view(v, f, nf, 1));
}

/* What a list's rows go to: the vault (for the catalog), the page being built, now, and the citizen's restriction. */
typedef struct list_ctx {
	vault *v;
	json_t *list;
	int64_t now;
	int restricted;
} list_ctx;

static void set_time(json_t *o, const char *key, int64_t t)
{
	char s[21];

	util_iso8601(t, s);
	json_object_set_new(o, key, json_string(s));
}

static int request_row(void *ctx, const policy_list_row *r)
{
	list_ctx *c = ctx;
	json_t *o = row_view(c->v, r);

	if (o == NULL)
		return 0;
	json_object_set_new(o, "days", json_integer(r->days));
	set_time(o, "created_at", r->from);
	set_time(o, "expires_at", r->until);
	if (r->legal_reference != NULL)
		json_object_set_new(json_object_get(o, "purpose"), "legal_reference", json_string(r->legal_reference));
	json_array_append_new(c->list, o);
	return 1;
}

int policy_requests_pending(vault *v, const unsigned char cid[KEYS_CID_BYTES], policy_page *pg, json_t **out,
    util_err *err)
{
	list_ctx c = {.v = v, .list = json_array(), .now = util_now()};

	if (c.list == NULL)
		return util_fail(err, UTIL_ENOMEM, "out of memory");
	if (policy_store_requests_pending(v, cid, pg, request_row, &c, err) != 0) {
		json_decref(c.list);
		return -1;
	}
	*out = c.list;
	return 0;
}

/* The status the list always had ("used" for a used-up consent); state says it the new way. */
static const char *consent_status(policy_consent_state s)
{
	switch (s) {
	case POLICY_CONSENT_REVOKED: return "revoked";
	case POLICY_CONSENT_EXPIRED: return "expired";
	case POLICY_CONSENT_USED_UP: return "used";
	default: return "active";
	}
}

static int consent_row(void *ctx, const policy_list_row *r)
{
	list_ctx *c = ctx;
	policy_consent_life life = {.expires_at = r->until, .revoked_at = r->revoked_at, .use_limit = r->use_limit,
		.uses = r->uses};
	policy_consent_state st = policy_consent_state_of(&life, c->restricted, c->now);
	json_t *o = row_view(c->v, r);

	if (o == NULL)
		return 0;
	set_time(o, "granted_at", r->from);
	set_time(o, "expires_at", r->until);
	if (r->revoked_at != 0)
		set_time(o, "revoked_at", r->revoked_at);
	else
		json_object_set_new(o, "revoked_at", json_null());
	json_object_set_new(o, "status", json_string(consent_status(st)));
	json_object_set_new(o, "state", json_string(policy_consent_state_name(st)));
	json_object_set_new(o, "use_limit", json_integer(r->use_limit));
	json_object_set_new(o, "uses", json_integer(r->uses));
	json_array_append_new(c->list, o);
	return 1;
}

int policy_consents_list(vault *v, const unsigned char cid[KEYS_CID_BYTES], policy_page *pg, json_t **out,
    util_err *err)
{
	list_ctx c = {.v = v, .list = json_array(), .now = util_now()};
	int64_t since;
	int mine = !vault_in_tx(v) && !vault_in_read(v), rc = -1;

	if (c.list == NULL)
		return util_fail(err, UTIL_ENOMEM, "out of memory");
	/* the restriction and the consents of one state of the vault */
	if (mine && vault_read_begin(v, err) != 0)
		goto out;
	if (policy_store_restriction_get(v, cid, &c.restricted, &since, err) != 0 ||
	    policy_store_consents_list(v, cid, pg, consent_row, &c, err) != 0)
		goto out;
	*out = c.list;
	rc = 0;
out:
	if (mine)
		vault_read_end(v);
	if (rc != 0)
		json_decref(c.list);
	return rc;
}

static int id_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n > 0 && n <= POLICY_ID_MAX && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

int policy_consent_receipt(vault *v, const unsigned char cid[KEYS_CID_BYTES], const char *consent_id, json_t **receipt,
    util_err *err)
{
	if (!id_ok(consent_id))
		return util_fail(err, UTIL_ENOTFOUND, "no such consent");
	return policy_store_consent_receipt(v, cid, consent_id, receipt, err);
}

int policy_restriction_get(vault *v, const unsigned char cid[KEYS_CID_BYTES], int *on, int64_t *since, util_err *err)
{
	return policy_store_restriction_get(v, cid, on, since, err);
}

json_t *policy_roles_view(unsigned roles)
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
