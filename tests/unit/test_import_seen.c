/* test_import_seen.c: vaultctl import's set of national IDs seen, in memory and past it, in a spill file. */
#include "support.h"

#include <stdlib.h>
#include <string.h>

#include "../../cmd/ctl_import_seen.h"

typedef struct found {
	size_t line[64];
	size_t n;
} found;

static void note(void *arg, size_t line)
{
	found *f = arg;

	if (f->n < 64)
		f->line[f->n] = line;
	f->n++;
}

/* A blind index of i: uniform bytes, as a keyed hash's are. */
static void index_of(size_t i, unsigned char idx[VAULT_INDEX_BYTES])
{
	crypto_generichash(idx, VAULT_INDEX_BYTES, (const unsigned char *)&i, sizeof i, NULL, 0);
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * 20,000 lines through a set of 1,024 slots: the first 512 are held in memory, the rest spilled.
 * A repeat of a line held in memory is caught at once, wherever it comes; repeats among
 * spilled lines are caught at the end, each once, in rounds; no line that is new is reported.
 */
static void test_repeats_are_found_in_memory_and_past_it(void **state)
{
	enum { N = 20000 };
	unsigned char idx[VAULT_INDEX_BYTES];
	found late = {0};
	ctl_seen s;
	size_t line, at_once = 0, early[8], k = 0;
	util_err err;
	int rc;

	(void)state;
	assert_int_equal(ctl_seen_init(&s, 1024, NULL), 0);
	for (line = 1; line <= N; line++) {
		/* lines 700, 5000 and 19999 repeat line 3 (in memory); 15000 repeats 9000 and 12345 repeats 600 (both spilled) */
		size_t i = line == 700 || line == 5000 || line == 19999 ? 3 : line == 15000 ? 9000 : line == 12345 ? 600 : line;

		index_of(i, idx);
		rc = ctl_seen_add(&s, idx, line, &err);
		assert_true(rc == 0 || rc == 1);
		if (rc == 1 && k < 8)
			early[k++] = line;
		at_once += (size_t)rc;
	}
	assert_int_equal(at_once, 3);
	assert_int_equal(early[0], 700);
	assert_int_equal(early[1], 5000);
	assert_int_equal(early[2], 19999);
	assert_non_null(s.spill);
	assert_true(s.spilled > N - 1024);
	assert_int_equal(ctl_seen_finish(&s, note, &late, &err), 0);
	assert_int_equal(late.n, 2);
	qsort(late.line, late.n, sizeof late.line[0], cmp_size);
	assert_int_equal(late.line[0], 12345);
	assert_int_equal(late.line[1], 15000);
	ctl_seen_free(&s);
}

/* A file that fits the set never spills, and its repeats are all found at once. */
static void test_a_small_file_stays_in_memory(void **state)
{
	unsigned char idx[VAULT_INDEX_BYTES];
	found late = {0};
	ctl_seen s;
	util_err err;
	size_t line, at_once = 0;

	(void)state;
	assert_int_equal(ctl_seen_init(&s, 1u << 20, NULL), 0);
	for (line = 1; line <= 50000; line++) {
		index_of(line % 25000, idx);
		at_once += (size_t)ctl_seen_add(&s, idx, line, &err);
	}
	assert_null(s.spill);
	assert_int_equal(at_once, 25000);
	assert_int_equal(ctl_seen_finish(&s, note, &late, &err), 0);
	assert_int_equal(late.n, 0);
	ctl_seen_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_repeats_are_found_in_memory_and_past_it),
		cmocka_unit_test(test_a_small_file_stays_in_memory),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("import_seen", tests, NULL, NULL);
}
