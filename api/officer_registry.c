/* officer_registry.c: the registry as officers (and the operator) list it: agencies and purposes, in pages. */
#include "api_private.h"

#include <string.h>

static json_t *time_view(int64_t t)
{
	char when[21];

	util_iso8601(t, when);
	return json_string(when);
}

static int add_agency(void *arg, const policy_report_agency *a, util_err *err)
{
	json_t *o = json_pack("{s:s, s:s, s:o, s:s, s:o}", "id", a->id, "name", a->name, "roles", policy_roles_view(a->roles),
	    "status", a->suspended ? "suspended" : "active", "created_at", time_view(a->created_at));

	if (o == NULL || json_array_append_new(arg, o) != 0)
		return util_fail(err, UTIL_ENOMEM, "out of memory");
	return 0;
}

static int add_purpose(void *arg, const policy_report_purpose *p, util_err *err)
{
	json_t *fields = json_loads(p->fields, 0, NULL);
	json_t *o = json_pack("{s:s, s:{s:s, s:s}, s:s, s:{s:s, s:s}, s:s, s:o, s:i, s:i, s:o}", "id", p->id, "agency", "id",
	    p->agency_id, "name", p->agency_name ? p->agency_name : "", "code", p->code, "description", "vi", p->desc_vi,
	    "en", p->desc_en, "legal_basis", policy_basis_name(p->basis), "fields", fields ? fields : json_array(),
	    "max_days", p->max_days, "retention_days", p->retention_days, "created_at", time_view(p->created_at));

	if (o != NULL && p->legal_reference != NULL)
		json_object_set_new(o, "legal_reference", json_string(p->legal_reference));
	if (o == NULL || json_array_append_new(arg, o) != 0)
		return util_fail(err, UTIL_ENOMEM, "out of memory");
	return 0;
}

/* Reads limit and after (a row; 0 when absent) into pg: 0, or -1 with err 400. */
static int list_args(api_req *r, policy_list_page *pg, api_err *err)
{
	*pg = (policy_list_page){0};
	return api_page_args(r, 0, &pg->after, &pg->limit, err);
}

/* Answers a page: {key: items, next}. Takes items. */
static void reply_page(api_req *r, const char *key, json_t *items, const policy_list_page *pg)
{
	api_reply(r, 200, json_pack("{s:o, s:o}", key, items, "next", api_page_next(pg->more, pg->last)));
}

int api_h_agencies(api_req *r, api_err *err)
{
	policy_list_page pg;
	json_t *items;

	if (list_args(r, &pg, err) != 0)
		return -1;
	if ((items = json_array()) == NULL)
		return api_fail(err, API_P_INTERNAL, "out of memory");
	if (policy_agencies_page(r->v, &pg, add_agency, items, &err->u) != 0) {
		json_decref(items);
		return -1;
	}
	reply_page(r, "agencies", items, &pg);
	return 0;
}

int api_h_purposes(api_req *r, api_err *err)
{
	const char *agency = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "agency_id");
	policy_list_page pg;
	json_t *items;

	if (agency != NULL && (strlen(agency) == 0 || strlen(agency) > POLICY_ID_MAX))
		return api_fail(err, API_P_INVALID_INPUT, "query argument agency_id is empty or too long");
	if (list_args(r, &pg, err) != 0)
		return -1;
	if ((items = json_array()) == NULL)
		return api_fail(err, API_P_INTERNAL, "out of memory");
	if (policy_purposes_page(r->v, agency, &pg, add_purpose, items, &err->u) != 0) {
		json_decref(items);
		return -1;
	}
	reply_page(r, "purposes", items, &pg);
	return 0;
}
