/*
 * test_problems.c: the one mapping from an error to its problem (api_problem_of): a library's
 * message reaches a client only where it names fields and rules; and the problems the server
 * answers with (api_problems) are whole and documented.
 */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../api/api_private.h"

/* err's problem is status code, with detail. */
static void expect(const api_err *err, unsigned status, const char *code, const char *detail)
{
	unsigned st;
	const char *c, *d;

	api_problem_of(err, &st, &c, &d);
	assert_int_equal(st, status);
	assert_string_equal(c, code);
	assert_string_equal(d, detail);
}

/* A library error: its code decides; only invalid input and conflicts pass its message on. */
static void test_library_errors(void **state)
{
	static const struct {
		util_code code;
		unsigned status;
		const char *problem, *detail; /* NULL: the library's message */
	} cases[] = {
		{UTIL_EINVAL, 400, "invalid_input", NULL},
		{UTIL_EEXISTS, 409, "conflict", NULL},
		{UTIL_ENOTFOUND, 404, "not_found", "no such object"},
		{UTIL_EDENIED, 403, "forbidden", "this caller may not do that"},
		{UTIL_ENOSPC, 503, "storage_full", "the vault's disk is full: nothing was written"},
		{UTIL_EIO, 503, "storage_unavailable", "the vault's storage cannot be written: nothing was written"},
		{UTIL_EBUSY, 503, "busy", "the vault is busy: try again"},
		{UTIL_EKEY, 500, "internal", "the request could not be completed"},
		{UTIL_ECORRUPT, 500, "internal", "the request could not be completed"},
		{UTIL_ENOMEM, 500, "internal", "the request could not be completed"},
		{UTIL_ESTATE, 500, "internal", "the request could not be completed"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		api_err err = {0};

		util_fail(&err.u, cases[i].code, "the library's words about row %zu", i);
		expect(&err, cases[i].status, cases[i].problem, cases[i].detail ? cases[i].detail : err.u.msg);
	}
}

/* The API's own problems: the table's status and code, the detail given, even when it was err's own message. */
static void test_api_problems(void **state)
{
	api_err err = {0};

	(void)state;
	assert_int_equal(api_fail(&err, API_P_FIELDS_EMPTY, "fields is empty: %s", "name one"), -1);
	expect(&err, 400, "fields_empty", "fields is empty: name one");
	util_fail(&err.u, UTIL_EINVAL, "the justification has a control character");
	api_fail(&err, API_P_JUSTIFICATION_NOT_ACCEPTED, "%s", err.u.msg); /* the detail is the message it replaces */
	expect(&err, 400, "justification_not_accepted", "the justification has a control character");
	api_fail(&err, API_P_TOO_MANY_PENDING_REQUESTS, "five are pending");
	expect(&err, 409, "too_many_pending_requests", "five are pending");
	api_rate_limited(&err, 42);
	expect(&err, 429, "rate_limited", "too many failed codes: try again once Retry-After has passed");
	assert_int_equal(err.retry_after, 42);
	/* a library error after an API problem is the library's again */
	util_fail(&err.u, UTIL_EIO, "disk");
	api_fail_util(&err, &err.u);
	expect(&err, 503, "storage_unavailable", "the vault's storage cannot be written: nothing was written");
	/* a problem out of the table is a 500 that says nothing of its message */
	err.prob = API_P_COUNT;
	expect(&err, 500, "internal", "the request could not be completed");
}

#define CONTRACT_PATH "docs/api/contract.md" /* tests run from the repository root */
#define OPENAPI_PATH "docs/api/openapi.yaml"

/* Every problem has a client-error or server-error status and a code of [a-z_], once. */
static void test_table_is_whole(void **state)
{
	size_t n, i, j;
	const api_problem_info *p = api_problems(&n);

	(void)state;
	assert_true(n >= 20);
	for (i = 0; i < n; i++) {
		assert_non_null(p[i].code);
		assert_true(p[i].code[0] != '\0');
		assert_int_equal(strspn(p[i].code, "abcdefghijklmnopqrstuvwxyz_"), strlen(p[i].code));
		assert_in_range(p[i].status, 400, 599);
		for (j = 0; j < i; j++)
			if (strcmp(p[i].code, p[j].code) == 0)
				fail_msg("problem code %s appears twice", p[i].code);
	}
}

/* How many problems are missing from the document's table of "| status | `code` |" rows (each named). */
static int missing_from(const char *path)
{
	size_t n, i, len;
	const api_problem_info *p = api_problems(&n);
	char *doc = (char *)test_read_file(path, &len);
	int missing = 0;

	if (doc == NULL)
		fail_msg("cannot read %s (tests run from the repository root)", path);
	for (i = 0; i < n; i++) {
		char row[96];

		snprintf(row, sizeof row, "| %u | `%s` |", p[i].status, p[i].code);
		if (strstr(doc, row) == NULL) {
			print_error("%s has no row %s\n", path, row);
			missing++;
		}
	}
	free(doc);
	return missing;
}

/* The reverse: every row of the document's table is a problem the server has. */
static int unknown_in(const char *path)
{
	size_t n, i, len;
	const api_problem_info *p = api_problems(&n);
	char *doc = (char *)test_read_file(path, &len), *line, *save = NULL;
	int unknown = 0;

	if (doc == NULL)
		fail_msg("cannot read %s", path);
	for (line = strtok_r(doc, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		unsigned status;
		char code[64];
		int found = 0;

		line += strspn(line, " ");
		if (sscanf(line, "| %3u | `%63[a-z_]` |", &status, code) != 2)
			continue;
		for (i = 0; i < n && !found; i++)
			found = p[i].status == status && strcmp(p[i].code, code) == 0;
		if (!found) {
			print_error("%s documents %u %s, which the server never answers\n", path, status, code);
			unknown++;
		}
	}
	free(doc);
	return unknown;
}

static void test_contract_documents_every_problem(void **state)
{
	(void)state;
	assert_int_equal(missing_from(CONTRACT_PATH), 0);
	assert_int_equal(unknown_in(CONTRACT_PATH), 0);
}

static void test_openapi_documents_every_problem(void **state)
{
	(void)state;
	assert_int_equal(missing_from(OPENAPI_PATH), 0);
	assert_int_equal(unknown_in(OPENAPI_PATH), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_library_errors),
		cmocka_unit_test(test_api_problems),
		cmocka_unit_test(test_table_is_whole),
		cmocka_unit_test(test_contract_documents_every_problem),
		cmocka_unit_test(test_openapi_documents_every_problem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
