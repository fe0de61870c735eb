/* paging.c: every list the API returns comes in pages: limit and after in, next out. */
#include "api_private.h"

#include <stdlib.h>
#include <string.h>

/* A decimal query argument in min..max into *out, def when absent; -1 (err: 400) when not. */
static int page_arg(api_req *r, const char *name, int64_t def, int64_t min, int64_t max, int64_t *out, api_err *err)
{
	const char *s = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
	char *end;
	long long v;

	*out = def;
	if (s == NULL)
		return 0;
	v = strtoll(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || strlen(s) > 18 || v < min || v > max) {
		return api_fail(err, API_P_INVALID_INPUT, "query argument %s must be a decimal number in %lld..%lld", name,
		    (long long)min, (long long)max);
	}
	*out = v;
	return 0;
}

int api_page_args(api_req *r, int64_t def_after, int64_t *after, int64_t *limit, api_err *err)
{
	if (page_arg(r, "limit", API_PAGE_DEFAULT, 1, API_PAGE_MAX, limit, err) != 0)
		return -1;
	return page_arg(r, "after", def_after, 0, INT64_MAX, after, err);
}

int api_page_args_id(api_req *r, policy_page *pg, api_err *err)
{
	const char *s = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "after");
	size_t n = s ? strlen(s) : 0;

	pg->after[0] = pg->next[0] = '\0';
	if (page_arg(r, "limit", API_PAGE_DEFAULT, 1, API_PAGE_MAX, &pg->limit, err) != 0)
		return -1;
	/* an id's shape here; whether it is one of the caller's items, the list's query says */
	if (s != NULL && (n == 0 || n > POLICY_ID_MAX || strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") != n))
		return api_fail(err, API_P_INVALID_INPUT, "query argument after must be the next of the page before");
	memcpy(pg->after, s ? s : "", n + 1);
	return 0;
}

json_t *api_page_next(int more, int64_t next)
{
	return more ? json_integer(next) : json_null();
}

json_t *api_page_slice(json_t *all, int64_t offset, int64_t limit, int64_t *next)
{
	json_t *page = json_array();
	size_t i, n = json_array_size(all);

	*next = -1;
	for (i = (size_t)offset; page != NULL && i < n && (int64_t)(i - (size_t)offset) < limit; i++)
		json_array_append(page, json_array_get(all, i));
	if (offset + limit < (int64_t)n)
		*next = offset + limit;
	return page;
}
