/* problem.c: the one place an error becomes a reply: problem+json with its status, stable code and detail. */
#include "api_private.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/*
 * Each problem the API answers with. detail: what a library error of that kind says (the
 * library's own message is passed on only for invalid input and conflicts, see of_util).
 */
static const struct problem {
	unsigned status;
	const char *code;
	const char *detail;
} problems[API_P_COUNT] = {
	[API_P_INVALID_INPUT] = {400, "invalid_input", "the request is not valid"},
	[API_P_INVALID_JSON] = {400, "invalid_json", "the body must be one JSON object (UTF-8, no duplicate keys)"},
	[API_P_NESTING_TOO_DEEP] = {400, "nesting_too_deep", "JSON nested deeper than 16 levels"},
	[API_P_FIELDS_EMPTY] = {400, "fields_empty", "fields is empty"},
	[API_P_FIELDS_REQUIRED] = {400, "fields_required", "name the fields"},
	[API_P_JUSTIFICATION_NOT_ACCEPTED] = {400, "justification_not_accepted", "the justification is not accepted"},
	[API_P_BAD_FRAMING] = {400, "bad_framing", "the request's framing is in doubt"},
	[API_P_BAD_REQUEST] = {400, "bad_request", "the request is not valid HTTP"},
	[API_P_INVALID_PATH] = {400, "invalid_path", "the path is not valid"},
	[API_P_UNAUTHORIZED] = {401, "unauthorized", "a valid bearer token is required"},
	[API_P_INVALID_TOTP] = {401, "invalid_totp", "the code is wrong, expired or already used"},
	[API_P_TOTP_REUSED] = {409, "totp_reused", "this code was just used: wait for the next one (Retry-After)"},
	[API_P_FORBIDDEN] = {403, "forbidden", "this caller may not do that"},
	[API_P_CSRF_FAILED] = {403, "csrf_failed", "a write with the session cookie needs its X-CSRF-Token and this server's Origin"},
	[API_P_NOT_PERMITTED] = {403, "not_permitted", "not permitted"},
	[API_P_NOT_FOUND] = {404, "not_found", "no such object"},
	[API_P_METHOD_NOT_ALLOWED] = {405, "method_not_allowed", "this path does not take that method"},
	[API_P_CONFLICT] = {409, "conflict", "the object already exists"},
	[API_P_TOO_MANY_PENDING_REQUESTS] = {409, "too_many_pending_requests", "too many pending requests"},
	[API_P_BODY_TOO_LARGE] = {413, "body_too_large", "the body is larger than 64 KiB"},
	[API_P_URI_TOO_LONG] = {414, "uri_too_long", "the request-target is longer than 2048 bytes"},
	[API_P_UNSUPPORTED_MEDIA_TYPE] = {415, "unsupported_media_type", "send the body as application/json"},
	[API_P_RATE_LIMITED] = {429, "rate_limited", "too many failed codes: try again once Retry-After has passed"},
	[API_P_HEADERS_TOO_LARGE] = {431, "headers_too_large", "more than 64 header fields, or more than 8 KiB of them"},
	[API_P_INTERNAL] = {500, "internal", "the request could not be completed"},
	[API_P_STORAGE_FULL] = {503, "storage_full", "the vault's disk is full: nothing was written"},
	[API_P_STORAGE_UNAVAILABLE] = {503, "storage_unavailable",
	    "the vault's storage cannot be written: nothing was written"},
	[API_P_BUSY] = {503, "busy", "the vault is busy: try again"},
};

/*
 * A library error's code as a problem. Only invalid input and conflicts pass the library's
 * message on (it names fields and rules, never values); the others say the problem's own.
 */
static api_prob of_util(util_code code, int *pass_msg)
{
	*pass_msg = code == UTIL_EINVAL || code == UTIL_EEXISTS;
	switch (code) {
	case UTIL_EINVAL: return API_P_INVALID_INPUT;
	case UTIL_ENOTFOUND: return API_P_NOT_FOUND;
	case UTIL_EEXISTS: return API_P_CONFLICT;
	case UTIL_EDENIED: return API_P_FORBIDDEN;
	case UTIL_ENOSPC: return API_P_STORAGE_FULL;
	case UTIL_EIO: return API_P_STORAGE_UNAVAILABLE;
	case UTIL_EBUSY: return API_P_BUSY;
	default: return API_P_INTERNAL;
	}
}

const api_problem_info *api_problems(size_t *n)
{
	static api_problem_info info[API_P_COUNT - 1];
	size_t i;

	*n = API_P_COUNT - 1;
	for (i = 0; i < *n; i++)
		info[i] = (api_problem_info){problems[i + 1].status, problems[i + 1].code};
	return info;
}

int api_fail(api_err *err, api_prob prob, const char *fmt, ...)
{
	char detail[sizeof err->u.msg];
	va_list ap;

	/* formatted apart first: the detail may be the library's message, err->u.msg itself */
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	err->prob = prob;
	err->u.code = UTIL_EINVAL;
	memcpy(err->u.msg, detail, sizeof detail);
	return -1;
}

int api_fail_util(api_err *err, const util_err *u)
{
	err->prob = API_P_UTIL;
	err->u = *u;
	return -1;
}

int api_totp_reused(api_err *err, int64_t retry_after)
{
	err->retry_after = retry_after;
	return api_fail(err, API_P_TOTP_REUSED, "%s", problems[API_P_TOTP_REUSED].detail);
}

int api_rate_limited(api_err *err, int64_t retry_after)
{
	err->retry_after = retry_after;
	return api_fail(err, API_P_RATE_LIMITED, "%s", problems[API_P_RATE_LIMITED].detail);
}

/* The status line's reason phrase, as the problem's title. */
static const char *title_of(unsigned status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 431: return "Request Header Fields Too Large";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

/* The body: {code, detail, status, title, type} (sorted when serialized); NULL when out of memory. */
static json_t *problem_body(unsigned status, const char *code, const char *detail)
{
	char type[128];

	snprintf(type, sizeof type, "https://vaultd.dev/problems/%s", code);
	return json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", type, "title", title_of(status), "status", (int)status,
	    "detail", detail, "code", code);
}

/* The body, keys sorted, compact. */
static void send_problem(api_req *r, unsigned status, const char *code, const char *detail)
{
	json_t *o = problem_body(status, code, detail);
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	json_decref(o);
	if (s == NULL) {
		api_reply_text(r, 500, "application/problem+json", "{\"code\":\"internal\",\"status\":500}", 32);
		return;
	}
	api_reply_text(r, status, "application/problem+json", s, strlen(s));
	vault_json_free(s);
}

/* The problem err is, and whether its message is the detail. */
static api_prob prob_of(const api_err *err, int *pass_msg)
{
	api_prob prob = err->prob;

	*pass_msg = 1;
	if (prob == API_P_UTIL)
		prob = of_util(err->u.code, pass_msg);
	if (prob <= API_P_UTIL || prob >= API_P_COUNT) /* misuse: say nothing more */
		prob = API_P_INTERNAL, *pass_msg = 0;
	return prob;
}

void api_problem_of(const api_err *err, unsigned *status, const char **code, const char **detail)
{
	int pass_msg;
	api_prob prob = prob_of(err, &pass_msg);

	*status = problems[prob].status;
	*code = problems[prob].code;
	*detail = pass_msg ? err->u.msg : problems[prob].detail;
}

void api_reply_problem(api_req *r, const api_err *err)
{
	unsigned status;
	const char *code, *detail;

	api_problem_of(err, &status, &code, &detail);
	if (err->prob == API_P_UTIL && status == 500) /* a library error the API has no answer for */
		util_log(UTIL_LOG_ERROR, r->rid, "request failed", "code=%s", util_code_name(err->u.code));
	if (err->prob == API_P_RATE_LIMITED || err->prob == API_P_TOTP_REUSED)
		r->retry_after = err->retry_after; /* sent as Retry-After (at least 1 s) */
	send_problem(r, status, code, detail);
}

json_t *api_problem_json(const api_err *err)
{
	unsigned status;
	const char *code, *detail;

	api_problem_of(err, &status, &code, &detail);
	return problem_body(status, code, detail);
}

int api_reply_fail(api_req *r, api_prob prob, const char *detail)
{
	api_err e = {0};

	api_fail(&e, prob, "%s", detail);
	api_reply_problem(r, &e);
	return -1;
}

void api_reply_err(api_req *r, const util_err *err)
{
	api_err e = {.prob = API_P_UTIL, .u = *err};

	api_reply_problem(r, &e);
}
