/* helpers.c: what several handler files share: the problem for a library error, field lists, query arguments, entries. */
#include "api_private.h"

#include <stdlib.h>
#include <string.h>

/*
 * A list of field names from a JSON array (NULL: none given). 0, or -1 after replying 400. An
 * empty array is 400 fields_empty (with the detail empty), never a shorthand for every field:
 * that is what leaving fields out says, where it says anything.
 */
int api_name_list(api_req *r, json_t *a, const char **names, size_t *n, const char *empty)
{
	size_t i;
	json_t *e;

	*n = 0;
	if (a == NULL)
		return 0;
	if (!json_is_array(a) || json_array_size(a) > POLICY_MAX_FIELDS) {
		api_problem(r, 400, "invalid_input", "fields must be an array of at most 64 field names");
		return -1;
	}
	if (json_array_size(a) == 0) {
		api_problem(r, 400, "fields_empty", empty);
		return -1;
	}
	json_array_foreach(a, i, e) {
		if (!json_is_string(e) || json_string_length(e) == 0 || json_string_length(e) > POLICY_FIELD_MAX) {
			api_problem(r, 400, "invalid_input", "fields must be an array of field names");
			return -1;
		}
		names[(*n)++] = json_string_value(e);
	}
	return 0;
}

/* Maps a library error to a problem reply. Messages name fields and rules, never values. */
void api_reply_err(api_req *r, const util_err *err)
{
	switch (err->code) {
	case UTIL_EINVAL:
		api_problem(r, 400, "invalid_input", err->msg);
		break;
	case UTIL_ENOTFOUND:
		api_problem(r, 404, "not_found", "no such object");
		break;
	case UTIL_EEXISTS:
		api_problem(r, 409, "conflict", err->msg);
		break;
	case UTIL_EDENIED:
		api_problem(r, 403, "forbidden", "this caller may not do that");
		break;
	case UTIL_ENOSPC:
		api_problem(r, 503, "storage_full", "the vault's disk is full: nothing was written");
		break;
	case UTIL_EIO:
		api_problem(r, 503, "storage_unavailable", "the vault's storage cannot be written: nothing was written");
		break;
	case UTIL_EBUSY:
		api_problem(r, 503, "busy", "the vault is busy: try again");
		break;
	default:
		fprintf(stderr, "{\"level\":\"error\",\"msg\":\"request failed\",\"code\":\"%s\"}\n", util_code_name(err->code));
		api_problem(r, 500, "internal", "the request could not be completed");
	}
}

const char *api_agency_actor(const api_req *r, char buf[POLICY_ID_MAX + 8])
{
	snprintf(buf, POLICY_ID_MAX + 8, "agency:%s", r->caller.agency.id);
	return buf;
}

/* An unsigned integer query argument; def when absent; -1 (after replying) when malformed. */
int64_t api_query_int(api_req *r, const char *name, int64_t def, int64_t min, int64_t max)
{
	const char *s = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return def;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || v < min || v > max || s[0] == '-' || s[0] == '+') {
		char detail[96];

		snprintf(detail, sizeof detail, "query argument %s must be an integer %lld..%lld", name, (long long)min,
		    (long long)max);
		api_problem(r, 400, "invalid_input", detail);
		return -1;
	}
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
