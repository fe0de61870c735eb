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

/* ---- the dashboard, against a log built by hand ---- */

#define DAY0 20513 /* 2026-03-01 */
#define T0 ((int64_t)DAY0 * 86400)

/* Appends a lookup entry at time t; returns its seq. */
static int64_t put_lookup(vault *v, int64_t t, const char *agency, const char *decision, const char *reason,
    const char *basis, const char *just)
{
	audit_entry e = {.time = t, .actor = "agency:x", .action = "lookup", .agency_id = agency, .purpose_id = "pu_x",
		.decision = decision, .reason = reason, .basis = basis, .justification = just};
	int64_t seq;
	util_err err;

	must(audit_record(v, &e, &seq, &err), &err, "lookup entry");
	return seq;
}

static void review(vault *v, int64_t seq, const char *agency, const char *outcome)
{
	policy_review rv = {.seq = seq, .agency_id = agency, .purpose_id = "pu_x", .outcome = outcome, .note = "checked",
		.officer = "of_1"};
	util_err err;

	must(policy_review_record(v, &rv, &err), &err, "review");
}

/*
 * Two days, two agencies: lookups allowed and denied on each; emergency accesses reviewed each
 * way and one not; around them what must not count: entries of the day before and after (to
 * the second), other actions, a denied vital-interest lookup, and justifications whose text
 * looks like a reason or a basis.
 */
static void test_dashboard_counts_a_hand_built_log(void **state)
{
	test_vault *f = *state;
	char a[POLICY_ID_MAX + 1], b[POLICY_ID_MAX + 1], *want_text, *got_text;
	audit_entry other = {.time = T0 + 100, .actor = "citizen", .action = "consent.approve", .decision = "allow"};
	int64_t e1, e2, e3, late;
	json_t *got, *want, *row_a, *row_b;
	util_err err;

	must(policy_agency_create(f->v, "Bệnh viện A", POLICY_ROLE_CONSUMER, a, &err), &err, "agency a");
	must(policy_agency_create(f->v, "Cấp cứu B", POLICY_ROLE_CONSUMER | POLICY_ROLE_EMERGENCY, b, &err), &err, "b");
	other.agency_id = a;
	/* outside: the day before, to the second */
	put_lookup(f->v, T0 - 1, a, "allow", NULL, "consent", NULL);
	put_lookup(f->v, T0 - 1, b, "allow", NULL, "vital_interest", "before");
	/* day 0 */
	put_lookup(f->v, T0, a, "allow", NULL, "consent", NULL);
	put_lookup(f->v, T0 + 3600, a, "allow", NULL, "legal_obligation", "\"reason\":\"fake\" \"basis\":\"vital_interest\"");
	put_lookup(f->v, T0 + 7200, a, "deny", "no_consent", NULL, NULL);
	must(audit_record(f->v, &other, NULL, &err), &err, "other action");
	e1 = put_lookup(f->v, T0 + 9000, b, "allow", NULL, "vital_interest", "unconscious");
	/* day 1 */
	put_lookup(f->v, T0 + 86400 + 5, a, "deny", "consent_revoked", "consent", "\"reason\":\"fake\"");
	put_lookup(f->v, T0 + 86400 + 6, a, "deny", "no_consent", NULL, NULL);
	e2 = put_lookup(f->v, T0 + 86400 + 7, b, "allow", NULL, "vital_interest", "bleeding");
	e3 = put_lookup(f->v, T0 + 2 * 86400 - 1, b, "allow", NULL, "vital_interest", "unconscious");
	put_lookup(f->v, T0 + 86400 + 8, b, "deny", "justification_missing", "vital_interest", NULL);
	/* outside: the day after */
	late = put_lookup(f->v, T0 + 2 * 86400, b, "allow", NULL, "vital_interest", "after");
	review(f->v, e1, b, "justified");
	review(f->v, e2, b, "unjustified");
	review(f->v, late, b, "unjustified");
	(void)e3; /* pending */

	must(policy_dashboard(f->v, DAY0, DAY0 + 1, &got, &err), &err, "dashboard");
	row_a = json_pack("{s:{s:s, s:s}, s:i, s:i, s:[{s:s, s:i, s:i}, {s:s, s:i, s:i}], s:{s:i, s:i, s:i}}", "agency",
	    "id", a, "name", "Bệnh viện A", "allowed", 2, "denied", 3, "days", "day", "2026-03-01", "allowed", 2, "denied", 1,
	    "day", "2026-03-02", "allowed", 0, "denied", 2, "emergency", "pending", 0, "justified", 0, "unjustified", 0);
	row_b = json_pack("{s:{s:s, s:s}, s:i, s:i, s:[{s:s, s:i, s:i}, {s:s, s:i, s:i}], s:{s:i, s:i, s:i}}", "agency",
	    "id", b, "name", "Cấp cứu B", "allowed", 3, "denied", 1, "days", "day", "2026-03-01", "allowed", 1, "denied", 0,
	    "day", "2026-03-02", "allowed", 2, "denied", 1, "emergency", "pending", 1, "justified", 1, "unjustified", 1);
	/* both first appear on day 0: in order of id */
	want = json_pack("{s:s, s:s, s:i, s:{s:i, s:i}, s:[{s:s, s:i, s:i}, {s:s, s:i, s:i}], s:[o, o], s:{s:i, s:i, s:i},"
	                 " s:{s:i, s:i, s:i, s:i}}",
	    "from", "2026-03-01", "to", "2026-03-02", "days", 2, "lookups", "allowed", 5, "denied", 4, "per_day", "day",
	    "2026-03-01", "allowed", 3, "denied", 1, "day", "2026-03-02", "allowed", 2, "denied", 3, "agencies",
	    strcmp(a, b) < 0 ? row_a : row_b, strcmp(a, b) < 0 ? row_b : row_a, "denials_by_reason", "no_consent", 2,
	    "consent_revoked", 1, "justification_missing", 1, "emergency", "total", 3, "pending", 1, "justified", 1,
	    "unjustified", 1);
	assert_non_null(want);
	if (!json_equal(want, got)) { /* the texts go with the failed test (jansson's allocator is the vault's) */
		want_text = json_dumps(want, JSON_SORT_KEYS | JSON_INDENT(1));
		got_text = json_dumps(got, JSON_SORT_KEYS | JSON_INDENT(1));
		fail_msg("dashboard:\n%s\nwanted:\n%s", got_text, want_text);
	}
	json_decref(want);
	json_decref(got);
}
/* ---- the emergency accesses, pending, decided or all ---- */

typedef struct listed {
	int64_t seq[16];
	char outcome[16][16]; /* "" when pending */
	char note[16][32];
	size_t n;
} listed;

static int note_access(void *arg, int64_t seq, const void *entry, size_t len, const policy_review_info *ri,
    util_err *err)
{
	listed *l = arg;

	(void)err;
	assert_true(l->n < 16);
	assert_non_null(entry);
	assert_non_null(memmem(entry, len, "vital_interest", 14));
	l->seq[l->n] = seq;
	snprintf(l->outcome[l->n], sizeof l->outcome[0], "%s", ri ? ri->outcome : "");
	snprintf(l->note[l->n++], sizeof l->note[0], "%.31s", ri ? ri->note : "");
	if (ri != NULL)
		assert_string_equal(ri->officer, "of_1");
	return 0;
}

/* Lists all of state st, page by page of limit; returns how many pages it took. */
static int list_all(vault *v, policy_review_state st, int64_t limit, listed *l)
{
	int64_t after = -1;
	int more, pages = 0;
	util_err err;

	l->n = 0;
	do {
		must(policy_reviews_list(v, st, after, limit, note_access, l, &more, &err), &err, "reviews");
		pages++;
		if (l->n > 0)
			after = l->seq[l->n - 1];
	} while (more);
	return pages;
}

static void test_reviews_pending_decided_all(void **state)
{
	test_vault *f = *state;
	policy_review rv = {.agency_id = "ag_b", .purpose_id = "pu_x", .outcome = "unjustified", .officer = "of_1"};
	int64_t s[4];
	listed l;
	util_err err;
	int i;

	for (i = 0; i < 4; i++)
		s[i] = put_lookup(f->v, T0 + i, "ag_b", "allow", NULL, "vital_interest", "unconscious");
	put_lookup(f->v, T0 + 9, "ag_b", "allow", NULL, "consent", NULL);
	put_lookup(f->v, T0 + 9, "ag_b", "deny", "no_consent", "vital_interest", NULL);
	review(f->v, s[1], "ag_b", "justified");
	rv.seq = s[3];
	must(policy_review_record(f->v, &rv, &err), &err, "review without a note");

	assert_int_equal(list_all(f->v, POLICY_REVIEWS_PENDING, 10, &l), 1);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.seq[0], s[0]);
	assert_int_equal(l.seq[1], s[2]);
	assert_string_equal(l.outcome[0], "");

	assert_int_equal(list_all(f->v, POLICY_REVIEWS_DECIDED, 1, &l), 2);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.seq[0], s[1]);
	assert_string_equal(l.outcome[0], "justified");
	assert_string_equal(l.note[0], "checked");
	assert_int_equal(l.seq[1], s[3]);
	assert_string_equal(l.outcome[1], "unjustified");
	assert_string_equal(l.note[1], "");

	assert_int_equal(list_all(f->v, POLICY_REVIEWS_ALL, 3, &l), 2);
	assert_int_equal(l.n, 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(l.seq[i], s[i]);
	assert_string_equal(l.outcome[1], "justified");
	assert_string_equal(l.outcome[2], "");
	assert_string_equal(l.outcome[3], "unjustified");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_registry_pages, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_dashboard_counts_a_hand_built_log, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_reviews_pending_decided_all, test_vault_setup, test_vault_teardown),
	};

	return cmocka_run_group_tests_name("officer stores", tests, NULL, NULL);
}
