/*
 * test_lookups.c: a batch of lookups over a real vault (policy_lookup_batch_*): one snapshot
 * for every item, each item decided and logged as a single lookup would be, uses spent once.
 */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../audit/audit.h"
#include "../../policy/policy.h"
#include "../../vault/sqlite.h"

typedef struct fx {
	test_vault tv;
	char health[POLICY_ID_MAX + 1];
	policy_agency agency; /* health, loaded as the API's authentication loads it */
	unsigned char a[16], b[16];
	vault *other; /* a second connection, for changes committed between two items */
} fx;

static const char NID_A[] = "001090012345", NID_B[] = "079195001122", NID_NOBODY[] = "001090099999";
static const char *const ASKED[] = {"full_name", "blood_type"};

static void must(int rc, const util_err *err, const char *what)
{
	if (rc != 0)
		fail_msg("%s: %s", what, err->msg);
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	util_err err;
	json_t *rec;
	char pid[POLICY_ID_MAX + 1];
	static const policy_field care[] = {{"full_name", 0}, {"blood_type", 0}};
	static const policy_field law[] = {{"full_name", 0}};
	policy_purpose_def d = {.code = "treatment", .desc_vi = "Khám chữa bệnh", .desc_en = "Treatment",
		.basis = POLICY_BASIS_CONSENT, .fields = care, .nfields = 2, .max_days = 365, .retention_days = 30};

	if (vault_init() != 0)
		return -1;
	test_vault_make(&f->tv);
	rec = json_pack("{s:s, s:s}", "full_name", "Nguyễn Văn An", "blood_type", "O+");
	must(vault_citizen_create(f->tv.v, NID_A, rec, f->a, NULL, &err), &err, "citizen a");
	must(vault_citizen_create(f->tv.v, NID_B, rec, f->b, NULL, &err), &err, "citizen b");
	json_decref(rec);
	must(policy_agency_create(f->tv.v, "Bệnh viện Bạch Mai", POLICY_ROLE_CONSUMER, f->health, &err), &err, "agency");
	d.agency_id = f->health;
	must(policy_purpose_create(f->tv.v, &d, pid, &err), &err, "treatment");
	d = (policy_purpose_def){.agency_id = f->health, .code = "statutory", .desc_vi = "Kiểm tra theo luật",
		.desc_en = "Statutory check", .basis = POLICY_BASIS_LEGAL_OBLIGATION,
		.legal_reference = "Law 41/2024/QH15, Art. 35", .fields = law, .nfields = 1, .max_days = 365,
		.retention_days = 30};
	must(policy_purpose_create(f->tv.v, &d, pid, &err), &err, "statutory");
	must(policy_agency_get(f->tv.v, f->health, &f->agency, NULL, &err), &err, "agency");
	must(vault_clone(&f->other, f->tv.v, &err), &err, "clone");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	vault_close(f->other);
	test_vault_release(&f->tv);
	free(f);
	return 0;
}

/* A's consent to the hospital's treatment (full_name and blood_type), with at most limit uses (0: none). */
static void consent(fx *f, int64_t limit, char cons[POLICY_ID_MAX + 1])
{
	char rid[POLICY_ID_MAX + 1];
	json_t *receipt = NULL;
	util_err err;

	must(policy_request_create(f->tv.v, f->health, "treatment", NID_A, ASKED, 2, 30, rid, &err), &err, "request");
	must(policy_request_approve(f->tv.v, f->a, rid, NULL, 0, limit, cons, &receipt, &err), &err, "approve");
	json_decref(receipt);
}

/* A lookup of the batch: code and nid, every field the consent or purpose gives. */
static void ask(policy_lookup_ask *a, policy_lookup *l, const char *code, const char *nid)
{
	memset(a, 0, sizeof *a);
	a->code = code;
	a->nid = nid;
	a->l = l;
}

/* Items of one batch, decided in order between begin and end. */
static void batch(fx *f, policy_lookup_ask *a, size_t n)
{
	policy_lookup_batch *b = calloc(1, sizeof *b);
	size_t i;

	assert_non_null(b);
	policy_lookup_batch_begin(b, f->tv.v, &f->agency, util_now());
	for (i = 0; i < n; i++)
		(void)policy_lookup_batch_item(b, &a[i]);
	policy_lookup_batch_end(b);
	free(b);
}

static const char *field(const policy_lookup *l, const char *name)
{
	return json_string_value(json_object_get(l->fields, name));
}

static void assert_denied(const policy_lookup_ask *a, policy_reason why)
{
	assert_int_equal(a->rc, 0);
	assert_false(a->l->d.allow);
	assert_int_equal(a->l->d.reason, why);
	assert_int_equal(a->l->d.nfields, 0);
	assert_null(a->l->fields);
	assert_string_equal(a->l->entry.decision, "deny");
}

/*
 * Every item reads in the same snapshot: a revocation and a rectification committed by another
 * connection between two items of a batch are seen by none of its items, and by the next
 * lookup. Each item on its own snapshot would see them from the second item on.
 */
static void test_items_share_one_snapshot(void **state)
{
	fx *f = *state;
	policy_lookup_batch *b = calloc(1, sizeof *b);
	policy_lookup l[3], single;
	policy_lookup_ask a[3];
	char cons[POLICY_ID_MAX + 1];
	json_t *change;
	util_err err;
	size_t i;

	consent(f, 0, cons);
	policy_lookup_batch_begin(b, f->tv.v, &f->agency, util_now());
	ask(&a[0], &l[0], "treatment", NID_A);
	assert_int_equal(policy_lookup_batch_item(b, &a[0]), 0);
	must(policy_consent_revoke(f->other, f->a, cons, &err), &err, "revoke");
	change = json_pack("{s:s}", "full_name", "Lê Thị Cúc");
	must(vault_citizen_update(f->other, f->a, change, &err), &err, "update");
	json_decref(change);
	ask(&a[1], &l[1], "treatment", NID_A);
	ask(&a[2], &l[2], "statutory", NID_A);
	assert_int_equal(policy_lookup_batch_item(b, &a[1]), 0);
	assert_int_equal(policy_lookup_batch_item(b, &a[2]), 0);
	policy_lookup_batch_end(b);
	for (i = 0; i < 3; i++) {
		assert_int_equal(a[i].rc, 0);
		assert_true(l[i].d.allow);
		assert_string_equal(field(&l[i], "full_name"), "Nguyễn Văn An");
		policy_lookup_clear(&l[i]);
	}
	assert_string_equal(l[1].d.consent_id, cons);

	/* the next lookup, single or batched, sees both */
	must(policy_lookup_prepare(f->tv.v, &f->agency, "treatment", NID_A, NULL, 0, NULL, util_now(), &single, &err), &err,
	    "single");
	assert_int_equal(single.d.reason, POLICY_DENY_CONSENT_REVOKED);
	policy_lookup_clear(&single);
	ask(&a[0], &l[0], "treatment", NID_A);
	ask(&a[1], &l[1], "statutory", NID_A);
	batch(f, a, 2);
	assert_denied(&a[0], POLICY_DENY_CONSENT_REVOKED);
	assert_true(l[1].d.allow);
	assert_string_equal(field(&l[1], "full_name"), "Lê Thị Cúc");
	policy_lookup_clear(&l[1]);
	free(b);
}

/*
 * A revocation committed before the batch denies every item about that citizen, whoever else
 * the batch asks about, as consent_revoked, with no field: a revocation stops the very next
 * lookup, batched or not.
 */
static void test_revocation_before_the_batch_denies_every_item(void **state)
{
	fx *f = *state;
	policy_lookup l[5];
	policy_lookup_ask a[5];
	char cons[POLICY_ID_MAX + 1];
	util_err err;
	size_t i;

	consent(f, 0, cons);
	for (i = 0; i < 5; i++)
		ask(&a[i], &l[i], "treatment", i == 3 ? NID_B : NID_A);
	batch(f, a, 5);
	for (i = 0; i < 5; i++) {
		assert_int_equal(l[i].d.allow, i != 3);
		policy_lookup_clear(&l[i]);
	}
	must(policy_consent_revoke(f->other, f->a, cons, &err), &err, "revoke");
	for (i = 0; i < 5; i++)
		ask(&a[i], &l[i], i == 3 ? "statutory" : "treatment", i == 3 ? NID_B : NID_A);
	batch(f, a, 5);
	for (i = 0; i < 5; i++) {
		if (i == 3) {
			assert_true(l[i].d.allow);
			policy_lookup_clear(&l[i]);
			continue;
		}
		assert_denied(&a[i], POLICY_DENY_CONSENT_REVOKED);
		assert_string_equal(l[i].entry.reason, "consent_revoked");
		assert_string_equal(l[i].entry.consent_id, cons);
	}
}

static int64_t uses_of(fx *f, const char *consent_id)
{
	char q[128];

	snprintf(q, sizeof q, "SELECT uses FROM consents WHERE id = '%s'", consent_id);
	return test_sql_int(vault_sql_db(f->tv.v), q);
}

/*
 * A one-time consent listed twice in a batch is spent once, with the first item's entry; the
 * second is denied as used up. With an older open consent beside it, the items after the first
 * are allowed on that one, as lookups one after the other would be, and spend nothing.
 */
static void test_one_time_consent_listed_twice_is_spent_once(void **state)
{
	fx *f = *state;
	policy_lookup l[3];
	policy_lookup_ask a[3];
	char once[POLICY_ID_MAX + 1], open[POLICY_ID_MAX + 1], again[POLICY_ID_MAX + 1], q[160];
	size_t i;

	consent(f, 1, once);
	ask(&a[0], &l[0], "treatment", NID_A);
	ask(&a[1], &l[1], "treatment", NID_A);
	batch(f, a, 2);
	assert_true(l[0].d.allow);
	assert_true(l[0].seq > 0); /* written with its use, after the snapshot */
	assert_string_equal(field(&l[0], "blood_type"), "O+");
	policy_lookup_clear(&l[0]);
	assert_denied(&a[1], POLICY_DENY_USE_LIMIT_REACHED);
	assert_int_equal(l[1].seq, 0);
	assert_int_equal(uses_of(f, once), 1);

	/* an open consent granted earlier, and a new one-time one: the first item spends the latter */
	consent(f, 0, open);
	snprintf(q, sizeof q, "UPDATE consents SET granted_at = granted_at - 60 WHERE id = '%s'", open);
	assert_int_equal(sqlite3_exec(vault_sql_db(f->tv.v), q, NULL, NULL, NULL), SQLITE_OK);
	consent(f, 1, again);
	for (i = 0; i < 3; i++)
		ask(&a[i], &l[i], "treatment", NID_A);
	batch(f, a, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(a[i].rc, 0);
		assert_true(l[i].d.allow);
		assert_string_equal(l[i].d.consent_id, i == 0 ? again : open);
		assert_int_equal(l[i].seq > 0, i == 0);
		policy_lookup_clear(&l[i]);
	}
	assert_int_equal(uses_of(f, again), 1);
	assert_int_equal(uses_of(f, open), 0);
	assert_int_equal(uses_of(f, once), 1);
}

/* The canonical JSON of entry e as the log would store it at seq 1, time 1. */
static void encode_entry(const audit_entry *e, char out[AUDIT_ENTRY_MAX])
{
	util_err err;
	size_t len;

	must(audit_entry_encode(e, 1, 1, out, &len, &err), &err, "encode");
}

/*
 * Each item is what a single lookup gives, entry byte for byte: allowed and denied, purposes
 * unknown or more than a batch keeps, an ID never enrolled; bad input is refused as alone,
 * with no entry, and the batch is bounded.
 */
static void test_each_item_is_a_single_lookup(void **state)
{
	static const char *const codes[] = {"treatment", "statutory", "nope", "a.b", "c", "statutory", "d", "treatment",
		"statutory", "treatment"};
	static const char *const nids[] = {NID_A, NID_B, NID_A, NID_B, NID_NOBODY, NID_NOBODY, NID_A, NID_B, NID_A, "12345"};
	fx *f = *state;
	policy_lookup l[10], single;
	policy_lookup_ask a[10];
	char cons[POLICY_ID_MAX + 1], got[AUDIT_ENTRY_MAX], want[AUDIT_ENTRY_MAX];
	policy_lookup_batch *b = calloc(1, sizeof *b);
	util_err err;
	size_t i;

	consent(f, 0, cons);
	for (i = 0; i < 10; i++)
		ask(&a[i], &l[i], codes[i], nids[i]);
	batch(f, a, 10);
	for (i = 0; i < 9; i++) {
		assert_int_equal(a[i].rc, 0);
		must(policy_lookup_prepare(f->tv.v, &f->agency, codes[i], nids[i], NULL, 0, NULL, util_now(), &single, &err),
		    &err, "single");
		assert_int_equal(l[i].d.allow, single.d.allow);
		assert_int_equal(l[i].d.reason, single.d.reason);
		assert_true(json_equal(l[i].fields, single.fields) || (l[i].fields == NULL && single.fields == NULL));
		encode_entry(&l[i].entry, got);
		encode_entry(&single.entry, want);
		assert_string_equal(got, want);
		policy_lookup_clear(&single);
		policy_lookup_clear(&l[i]);
	}
	assert_true(l[0].d.allow && l[1].d.allow && l[8].d.allow);
	assert_int_equal(l[2].d.reason, POLICY_DENY_UNKNOWN_PURPOSE);
	assert_int_equal(l[4].d.reason, POLICY_DENY_UNKNOWN_CITIZEN);
	assert_int_equal(l[7].d.reason, POLICY_DENY_NO_CONSENT);
	assert_int_equal(a[9].rc, -1);
	assert_int_equal(a[9].err.code, UTIL_EINVAL);

	/* a hundred items at most */
	policy_lookup_batch_begin(b, f->tv.v, &f->agency, util_now());
	for (i = 0; i <= POLICY_BATCH_MAX; i++) {
		ask(&a[0], &l[0], "statutory", NID_B);
		(void)policy_lookup_batch_item(b, &a[0]);
		policy_lookup_clear(&l[0]);
		assert_int_equal(a[0].rc, i < POLICY_BATCH_MAX ? 0 : -1);
	}
	assert_int_equal(a[0].err.code, UTIL_EINVAL);
	policy_lookup_batch_end(b);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_items_share_one_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revocation_before_the_batch_denies_every_item, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_time_consent_listed_twice_is_spent_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_each_item_is_a_single_lookup, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
