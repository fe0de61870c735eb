/* test_officer_store.c: what the officers' pages read of the stores: the registry in pages, the dashboard's counts, reviews. */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../audit/audit.h"
#include "../../policy/policy.h"

static void must(int rc, const util_err *err, const char *what)
{
	if (rc != 0)
		fail_msg("%s: %s", what, err->msg);
}

/* What a page's walk saw: ids (or codes) and agency names, in order. */
typedef struct seen {
	char id[16][POLICY_ID_MAX + 1];
	char name[16][POLICY_NAME_MAX + 1];
	size_t n;
} seen;

static int see_agency(void *arg, const policy_report_agency *a, util_err *err)
{
	seen *s = arg;

	(void)err;
	assert_true(s->n < 16);
	snprintf(s->id[s->n], sizeof s->id[0], "%s", a->id);
	snprintf(s->name[s->n++], sizeof s->name[0], "%s", a->name);
	return 0;
}

static int see_purpose(void *arg, const policy_report_purpose *p, util_err *err)
{
	seen *s = arg;

	(void)err;
	assert_true(s->n < 16);
	assert_non_null(p->agency_name);
	snprintf(s->id[s->n], sizeof s->id[0], "%s", p->code);
	snprintf(s->name[s->n++], sizeof s->name[0], "%s", p->agency_name);
	return 0;
}

static int stop_walk(void *arg, const policy_report_agency *a, util_err *err)
{
	(void)arg, (void)a;
	return util_fail(err, UTIL_EINVAL, "stopped");
}

static void make_purpose(vault *v, const char *agency, const char *code)
{
	policy_field f = {.name = "full_name"};
	policy_purpose_def d = {.agency_id = agency, .code = code, .desc_vi = "Mục đích", .desc_en = "A purpose",
		.basis = POLICY_BASIS_LEGAL_OBLIGATION, .legal_reference = "Decree 1", .fields = &f, .nfields = 1,
		.max_days = 30, .retention_days = 30};
	char id[POLICY_ID_MAX + 1];
	util_err err;

	must(policy_purpose_create(v, &d, id, &err), &err, "purpose");
}

/* Agencies and purposes come in pages of limit, in the order registered; last and more join the pages up. */
static void test_registry_pages(void **state)
{
	test_vault *f = *state;
	char ids[5][POLICY_ID_MAX + 1], name[32];
	policy_list_page pg = {.after = 0, .limit = 2};
	seen s = {0};
	util_err err;
	int i, pages = 0;

	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof name, "Agency %d", i);
		must(policy_agency_create(f->v, name, POLICY_ROLE_CONSUMER, ids[i], &err), &err, "agency");
	}
	do {
		pg.after = pages == 0 ? 0 : pg.last;
		must(policy_agencies_page(f->v, &pg, see_agency, &s, &err), &err, "agencies");
		pages++;
	} while (pg.more);
	assert_int_equal(pages, 3);
	assert_int_equal(s.n, 5);
	for (i = 0; i < 5; i++) {
		assert_string_equal(s.id[i], ids[i]);
		snprintf(name, sizeof name, "Agency %d", i);
		assert_string_equal(s.name[i], name);
	}
	/* a page that ends the list exactly says no more */
	pg = (policy_list_page){.after = 0, .limit = 5};
	s.n = 0;
	must(policy_agencies_page(f->v, &pg, see_agency, &s, &err), &err, "one page");
	assert_int_equal(s.n, 5);
	assert_false(pg.more);
	/* a callback's error stops the walk */
	pg = (policy_list_page){.after = 0, .limit = 5};
	assert_int_equal(policy_agencies_page(f->v, &pg, stop_walk, NULL, &err), -1);
	assert_int_equal(err.code, UTIL_EINVAL);

	make_purpose(f->v, ids[1], "one");
	make_purpose(f->v, ids[3], "two");
	make_purpose(f->v, ids[1], "three");
	s.n = 0;
	pg = (policy_list_page){.after = 0, .limit = 1};
	must(policy_purposes_page(f->v, ids[1], &pg, see_purpose, &s, &err), &err, "purposes");
	assert_true(pg.more);
	pg.after = pg.last;
	must(policy_purposes_page(f->v, ids[1], &pg, see_purpose, &s, &err), &err, "purposes 2");
	assert_false(pg.more);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.id[0], "one");
	assert_string_equal(s.id[1], "three");
	assert_string_equal(s.name[1], "Agency 1");
	s.n = 0;
	pg = (policy_list_page){.after = 0, .limit = 10};
	must(policy_purposes_page(f->v, NULL, &pg, see_purpose, &s, &err), &err, "all purposes");
	assert_int_equal(s.n, 3);
	assert_string_equal(s.id[1], "two");
	assert_string_equal(s.name[1], "Agency 3");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_registry_pages, test_vault_setup, test_vault_teardown),
	};

	return cmocka_run_group_tests_name("officer stores", tests, NULL, NULL);
}
