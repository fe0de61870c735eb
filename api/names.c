/* names.c: the ids of an officer's answers resolved to names: an agency's name, a purpose's code and descriptions. */
#include "api_private.h"

#include <string.h>

void api_names_init(api_names *n, vault *v)
{
	n->v = v;
	n->agencies = json_object();
	n->purposes = json_object();
}

void api_names_free(api_names *n)
{
	json_decref(n->agencies);
	json_decref(n->purposes);
	n->agencies = n->purposes = NULL;
}

/* The cached value of id in cache, or NULL (not looked up yet). An unknown id is cached as null. */
static json_t *cached(json_t *cache, const char *id)
{
	return cache != NULL ? json_object_get(cache, id) : NULL;
}

json_t *api_names_agency(api_names *n, const char *id)
{
	char name[POLICY_NAME_MAX + 1];
	policy_agency a;
	util_err err;
	json_t *v;

	if (id == NULL || strlen(id) > POLICY_ID_MAX)
		return NULL;
	if ((v = cached(n->agencies, id)) == NULL) {
		v = policy_agency_get(n->v, id, &a, name, &err) == 0 ? json_string(name) : json_null();
		if (n->agencies == NULL || json_object_set_new(n->agencies, id, v) != 0)
			return NULL;
	}
	return json_is_null(v) ? NULL : v;
}

json_t *api_names_purpose(api_names *n, const char *id)
{
	policy_purpose_info pi;
	util_err err;
	json_t *v;

	if (id == NULL || strlen(id) > POLICY_ID_MAX)
		return NULL;
	if ((v = cached(n->purposes, id)) == NULL) {
		v = policy_purpose_info_get(n->v, id, &pi, &err) == 0
		        ? json_pack("{s:s, s:{s:s, s:s}}", "code", pi.code, "description", "vi", pi.desc_vi, "en", pi.desc_en)
		        : json_null();
		if (v == NULL || n->purposes == NULL || json_object_set_new(n->purposes, id, v) != 0)
			return NULL;
	}
	return json_is_null(v) ? NULL : v;
}

void api_names_note(api_names *n, const json_t *entry)
{
	(void)api_names_agency(n, json_string_value(json_object_get(entry, "agency")));
	(void)api_names_purpose(n, json_string_value(json_object_get(entry, "purpose")));
}

/* cache without its nulls (the ids that name nothing), a new object. */
static json_t *known(json_t *cache)
{
	json_t *o = json_object(), *v;
	const char *id;

	if (o != NULL && cache != NULL)
		json_object_foreach(cache, id, v)
			if (!json_is_null(v))
				json_object_set(o, id, v);
	return o;
}

json_t *api_names_view(api_names *n)
{
	return json_pack("{s:o, s:o}", "agencies", known(n->agencies), "purposes", known(n->purposes));
}
