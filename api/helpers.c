/* helpers.c: what several handler files share: field lists, query arguments, the actor's name, entries. */
#include "api_private.h"

#include <stdlib.h>
#include <string.h>

/*
 * A list of field names from a JSON array (NULL: none given). 0, or -1 with err 400. An
 * empty array is 400 fields_empty (with the detail empty), never a shorthand for every field:
 * that is what leaving fields out says, where it says anything.
 */
int api_name_list(json_t *a, const char **names, size_t *n, const char *empty, api_err *err)
{
	size_t i;
	json_t *e;

	*n = 0;
	if (a == NULL)
		return 0;
	if (!json_is_array(a) || json_array_size(a) > POLICY_MAX_FIELDS)
		return api_fail(err, API_P_INVALID_INPUT, "fields must be an array of at most 64 field names");
	if (json_array_size(a) == 0)
		return api_fail(err, API_P_FIELDS_EMPTY, "%s", empty);
	json_array_foreach(a, i, e) {
		if (!json_is_string(e) || json_string_length(e) == 0 || json_string_length(e) > POLICY_FIELD_MAX)
			return api_fail(err, API_P_INVALID_INPUT, "fields must be an array of field names");
		names[(*n)++] = json_string_value(e);
	}
	return 0;
}

const char *api_agency_actor(const api_req *r, char buf[POLICY_ID_MAX + 8])
{
	snprintf(buf, POLICY_ID_MAX + 8, "agency:%s", r->caller.agency.id);
	return buf;
}

/* An unsigned integer query argument; def when absent; -1 (err filled) when malformed. */
int64_t api_query_int(api_req *r, const char *name, int64_t def, int64_t min, int64_t max, api_err *err)
{
	const char *s = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return def;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || v < min || v > max || s[0] == '-' || s[0] == '+')
		return api_fail(err, API_P_INVALID_INPUT, "query argument %s must be an integer %lld..%lld", name,
		    (long long)min, (long long)max);
	return v;
}

json_t *api_b64_hashes(const audit_hash *h, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < n; i++) {
		char b64[sodium_base64_ENCODED_LEN(AUDIT_HASH_BYTES, sodium_base64_VARIANT_ORIGINAL)];

		sodium_bin2base64(b64, sizeof b64, h[i].b, AUDIT_HASH_BYTES, sodium_base64_VARIANT_ORIGINAL);
		json_array_append_new(a, json_string(b64));
	}
	return a;
}

/* ---- public ---- */

/* The public view of a stored entry: what, when, who, on which basis. */
json_t *api_entry_view(const char *text, size_t n)
{
	json_t *e = json_loadb(text, n, 0, NULL), *o;
	char when[21];

	if (e == NULL)
		return NULL;
	util_iso8601(json_integer_value(json_object_get(e, "time")), when);
	json_object_set_new(e, "time", json_string(when));
	o = e;
	return o;
}
