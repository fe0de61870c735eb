/* test_problems.c: the problems the server answers with (api_problems) are whole and documented. */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../api/api.h"

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
		cmocka_unit_test(test_table_is_whole),
		cmocka_unit_test(test_contract_documents_every_problem),
		cmocka_unit_test(test_openapi_documents_every_problem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
