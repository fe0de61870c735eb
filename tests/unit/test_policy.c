/* test_policy.c: consents end to end over a real vault: request, approve, look up, revoke, restrict. */
#include "support.h"

#include <stdlib.h>
#include <string.h>

#include "../../audit/audit.h"
#include "../../policy/policy.h"
#include "../../vault/sqlite.h"

typedef struct fx {
	test_vault tv;
	char health[POLICY_ID_MAX + 1], bank[POLICY_ID_MAX + 1], police[POLICY_ID_MAX + 1];
	char pu_health[POLICY_ID_MAX + 1];
	unsigned char a[16], b[16];
} fx;

static const char NID_A[] = "001090012345", NID_B[] = "079195001122", NID_NOBODY[] = "001090099999";
/* one page that holds every item these tests make */
static policy_page all_page = {.limit = 1000};

static void must(int rc, const util_err *err, const char *what)
{
	if (rc != 0)
		fail_msg("%s: %s", what, err->msg);
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	char pid[POLICY_ID_MAX + 1];
	util_err err;
	json_t *fl;
	static const policy_field health_fields[] = {
		{"full_name", 0}, {"date_of_birth", 0}, {"phone", 1}, {"blood_type", 0}, {"chronic_conditions", 0},
		{"religion", 0},
	};
	static const policy_field tax_fields[] = {{"full_name", 0}, {"annual_income", 0}, {"tax_code", 0}};

	if (vault_init() != 0)
		return -1;
	test_vault_make(&f->tv);
	fl = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s}", "full_name", "Nguyễn Văn An", "date_of_birth",
	    "1990-05-01", "phone", "0912345678", "blood_type", "O+", "chronic_conditions", "Hen phế quản", "religion",
	    "Phật giáo", "annual_income", (json_int_t)150000000, "tax_code", "8123456789");
	must(vault_citizen_create(f->tv.v, NID_A, fl, f->a, NULL, &err), &err, "citizen a");
	must(vault_citizen_create(f->tv.v, NID_B, fl, f->b, NULL, &err), &err, "citizen b");
	json_decref(fl);
	must(policy_agency_create(f->tv.v, "Bệnh viện Bạch Mai", POLICY_ROLE_CONSUMER, f->health, &err), &err, "agency");
	must(policy_agency_create(f->tv.v, "Ngân hàng X", POLICY_ROLE_CONSUMER, f->bank, &err), &err, "agency");
	must(policy_agency_create(f->tv.v, "Cục Thuế", POLICY_ROLE_CONSUMER | POLICY_ROLE_EMERGENCY, f->police, &err), &err,
	    "agency");
	{
		policy_purpose_def d = {.agency_id = f->health, .code = "treatment", .desc_vi = "Khám chữa bệnh",
			.desc_en = "Medical treatment", .basis = POLICY_BASIS_CONSENT, .fields = health_fields, .nfields = 6,
			.max_days = 365, .retention_days = 30};

		must(policy_purpose_create(f->tv.v, &d, f->pu_health, &err), &err, "purpose");
	}
	{
		policy_purpose_def d = {.agency_id = f->police, .code = "tax-audit", .desc_vi = "Thanh tra thuế",
			.desc_en = "Tax audit", .basis = POLICY_BASIS_LEGAL_OBLIGATION,
			.legal_reference = "Law on Tax Administration 38/2019/QH14, Art. 17", .fields = tax_fields, .nfields = 3,
			.max_days = 30, .retention_days = 365};

		must(policy_purpose_create(f->tv.v, &d, pid, &err), &err, "purpose");
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	test_vault_release(&f->tv);
	free(f);
	return 0;
}

/* Asks for consent and approves it as the citizen would; returns the consent id. */
static void consent(fx *f, const char *const *req, size_t nreq, const char *const *ok, size_t nok, int64_t limit,
    char cons[POLICY_ID_MAX + 1], json_t **receipt)
{
	char rid[POLICY_ID_MAX + 1];
	json_t *r = NULL;
	util_err err;

	must(policy_request_create(f->tv.v, f->health, "treatment", NID_A, req, nreq, 30, rid, &err), &err, "request");
	must(policy_request_approve(f->tv.v, f->a, rid, ok, nok, limit, cons, &r, &err), &err, "approve");
	if (receipt)
		*receipt = r;
	else
		json_decref(r);
}

/* A lookup prepared as the API prepares it: the agency loaded first, by its id. */
static void prepare_on(vault *v, const char *agency, const char *code, const char *nid, const char *const *fields,
    size_t n, policy_lookup *l)
{
	policy_agency a;
	util_err err;

	must(policy_agency_get(v, agency, &a, NULL, &err), &err, "agency");
	must(policy_lookup_prepare(v, &a, code, nid, fields, n, NULL, util_now(), l, &err), &err, "lookup");
}

/* The decision only: what it released is dropped. */
static policy_lookup lookup(fx *f, const char *agency, const char *code, const char *nid, const char *const *fields,
    size_t n)
{
	policy_lookup l;

	prepare_on(f->tv.v, agency, code, nid, fields, n, &l);
	policy_lookup_clear(&l);
	return l;
}

/* Checks that got holds exactly the fields of want, with the same values. */
static void assert_same_fields(const json_t *got, const json_t *want)
{
	assert_non_null(got);
	assert_true(json_equal((json_t *)got, (json_t *)want));
}

static void test_consent_story(void **state)
{
	fx *f = *state;
	static const char *const req[] = {"full_name", "phone", "blood_type", "chronic_conditions"};
	static const char *const ok[] = {"full_name", "phone", "blood_type"}; /* not the sensitive one */
	char cons[POLICY_ID_MAX + 1], status[16];
	json_t *pending = NULL, *got = NULL;
	policy_lookup l;
	util_err err;

	/* deny by default */
	l = lookup(f, f->health, "treatment", NID_A, NULL, 0);
	assert_false(l.d.allow);
	assert_int_equal(l.d.reason, POLICY_DENY_NO_CONSENT);

	/* the citizen sees each requested field with its category before approving */
	{
		char rid[POLICY_ID_MAX + 1];

		must(policy_request_create(f->tv.v, f->health, "treatment", NID_A, req, 4, 30, rid, &err), &err, "request");
		must(policy_requests_pending(f->tv.v, f->a, &all_page, &pending, &err), &err, "pending");
		assert_int_equal(json_array_size(pending), 1);
		{
			json_t *fields = json_object_get(json_array_get(pending, 0), "fields");

			assert_int_equal(json_array_size(fields), 4);
			assert_string_equal(json_string_value(json_object_get(json_array_get(fields, 3), "category")), "sensitive");
			assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(pending, 0), "agency"),
			                        "name")),
			    "Bệnh viện Bạch Mai");
		}
		json_decref(pending);
		must(policy_request_status(f->tv.v, f->health, rid, status, &err), &err, "status");
		assert_string_equal(status, "pending");
		/* another agency cannot see it */
		assert_int_equal(policy_request_status(f->tv.v, f->bank, rid, status, &err), -1);
		assert_int_equal(err.code, UTIL_ENOTFOUND);
		/* approving a field that was not requested is refused */
		{
			static const char *const extra[] = {"religion"};
			json_t *r = NULL;

			assert_int_equal(policy_request_approve(f->tv.v, f->a, rid, extra, 1, 0, cons, &r, &err), -1);
			assert_int_equal(err.code, UTIL_EINVAL);
			/* an empty list is refused, not read as every requested field (only NULL is) */
			assert_int_equal(policy_request_approve(f->tv.v, f->a, rid, extra, 0, 0, cons, &r, &err), -1);
			assert_int_equal(err.code, UTIL_EINVAL);
			/* nor can citizen B approve A's request */
			assert_int_equal(policy_request_approve(f->tv.v, f->b, rid, ok, 3, 0, cons, &r, &err), -1);
			assert_int_equal(err.code, UTIL_ENOTFOUND);
			must(policy_request_approve(f->tv.v, f->a, rid, ok, 3, 0, cons, &r, &err), &err, "approve");
			json_decref(r);
		}
		must(policy_request_status(f->tv.v, f->health, rid, status, &err), &err, "status");
		assert_string_equal(status, "approved");
	}

	/* exactly the approved subset, the phone masked as the purpose says, already read by
	 * prepare: the record's values, the masked one masked */
	prepare_on(f->tv.v, f->health, "treatment", NID_A, req, 4, &l);
	assert_true(l.d.allow);
	assert_int_equal(l.d.nfields, 3);
	assert_int_equal(l.d.nwithheld, 1);
	assert_string_equal(l.d.withheld[0], "chronic_conditions");
	assert_non_null(l.fields);
	assert_int_equal(json_object_size(l.fields), 3);
	assert_string_equal(json_string_value(json_object_get(l.fields, "phone")), "*******678");
	assert_string_equal(json_string_value(json_object_get(l.fields, "full_name")), "Nguyễn Văn An");
	assert_null(json_object_get(l.fields, "chronic_conditions"));
	{
		static const char *const unmasked[] = {"full_name", "blood_type"};

		must(vault_citizen_read(f->tv.v, f->a, unmasked, 2, &got, &err), &err, "read");
		json_object_set_new(got, "phone", json_string("*******678"));
		assert_same_fields(l.fields, got);
		json_decref(got);
	}
	policy_lookup_clear(&l);
	assert_null(l.fields);
	assert_true(l.d.allow); /* the decision stays */

	/* another citizen, another agency: nothing */
	l = lookup(f, f->health, "treatment", NID_B, NULL, 0);
	assert_false(l.d.allow);
	l = lookup(f, f->bank, "treatment", NID_A, NULL, 0);
	assert_false(l.d.allow);

	/* revoked: the very next lookup is refused */
	must(policy_consent_revoke(f->tv.v, f->a, cons, &err), &err, "revoke");
	l = lookup(f, f->health, "treatment", NID_A, NULL, 0);
	assert_false(l.d.allow);
	assert_int_equal(l.d.reason, POLICY_DENY_CONSENT_REVOKED);
	assert_int_equal(policy_consent_revoke(f->tv.v, f->a, cons, &err), -1); /* twice */
	{
		json_t *list = NULL;

		must(policy_consents_list(f->tv.v, f->a, &all_page, &list, &err), &err, "list");
		assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "status")), "revoked");
		json_decref(list);
	}
}

static void test_one_time_consent_spent_once(void **state)
{
	fx *f = *state;
	static const char *const req[] = {"blood_type"};
	char cons[POLICY_ID_MAX + 1];
	policy_lookup l;

	consent(f, req, 1, NULL, 0, 1, cons, NULL);
	l = lookup(f, f->health, "treatment", NID_A, NULL, 0);
	assert_true(l.d.allow);
	l = lookup(f, f->health, "treatment", NID_A, NULL, 0);
	assert_false(l.d.allow);
	assert_int_equal(l.d.reason, POLICY_DENY_USE_LIMIT_REACHED);
}

/*
 * What a lookup releases is what its decision saw: a record changed or erased through another
 * connection after prepare does not change it (lookup_finish sends it only after the audit
 * entry is durable, long after the decision).
 */
static void test_lookup_releases_the_snapshot_it_decided_on(void **state)
{
	fx *f = *state;
	static const char *const req[] = {"full_name", "phone", "blood_type"};
	char cons[POLICY_ID_MAX + 1];
	json_t *before = NULL, *change;
	policy_lookup l, later;
	vault *other;
	util_err err;

	consent(f, req, 3, NULL, 0, 0, cons, NULL);
	prepare_on(f->tv.v, f->health, "treatment", NID_A, req, 3, &l);
	assert_true(l.d.allow);
	assert_non_null(l.fields);
	before = json_deep_copy(l.fields);
	assert_string_equal(json_string_value(json_object_get(before, "full_name")), "Nguyễn Văn An");
	assert_string_equal(json_string_value(json_object_get(before, "phone")), "*******678");

	/* rectified through another connection: a new lookup sees it, the prepared one does not */
	must(vault_clone(&other, f->tv.v, &err), &err, "clone");
	change = json_pack("{s:s, s:s, s:s}", "full_name", "Lê Thị Cúc", "phone", "0987654321", "blood_type", "AB-");
	must(vault_citizen_update(other, f->a, change, &err), &err, "update");
	json_decref(change);
	prepare_on(f->tv.v, f->health, "treatment", NID_A, req, 3, &later);
	assert_true(later.d.allow);
	assert_string_equal(json_string_value(json_object_get(later.fields, "full_name")), "Lê Thị Cúc");
	assert_string_equal(json_string_value(json_object_get(later.fields, "phone")), "*******321");
	policy_lookup_clear(&later);
	assert_same_fields(l.fields, before);

	/* erased: a new lookup is denied, the prepared one still holds what it decided on */
	must(policy_citizen_erase(other, f->a, "operator", &err), &err, "erase");
	prepare_on(f->tv.v, f->health, "treatment", NID_A, req, 3, &later);
	assert_false(later.d.allow);
	assert_int_equal(later.d.reason, POLICY_DENY_UNKNOWN_CITIZEN);
	assert_null(later.fields);
	assert_same_fields(l.fields, before);

	policy_lookup_clear(&l);
	json_decref(before);
	vault_close(other);
}

/*
 * The fields come from the very snapshot the decision was made in, not from a later read: a
 * change committed while a snapshot is open is staged with one opened before it, which the
 * lookup joins (a nested begin is a no-op; the lookup's end ends it).
 */
static void test_lookup_reads_fields_in_the_decisions_snapshot(void **state)
{
	fx *f = *state;
	static const char *const req[] = {"full_name", "blood_type"};
	char cons[POLICY_ID_MAX + 1];
	json_t *change;
	policy_lookup l;
	sqlite3_stmt *s;
	vault *other;
	util_err err;

	consent(f, req, 2, NULL, 0, 0, cons, NULL);
	must(vault_clone(&other, f->tv.v, &err), &err, "clone");

	/* rectified after the snapshot began: released as it was when decided */
	must(vault_read_begin(f->tv.v, &err), &err, "snapshot");
	assert_int_equal(sqlite3_prepare_v2(vault_sql_db(f->tv.v), "SELECT count(*) FROM citizens", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW); /* the snapshot starts at its first read */
	sqlite3_finalize(s);
	change = json_pack("{s:s}", "full_name", "Lê Thị Cúc");
	must(vault_citizen_update(other, f->a, change, &err), &err, "update");
	json_decref(change);
	prepare_on(f->tv.v, f->health, "treatment", NID_A, req, 2, &l);
	vault_read_end(f->tv.v);
	assert_true(l.d.allow);
	assert_string_equal(json_string_value(json_object_get(l.fields, "full_name")), "Nguyễn Văn An");
	policy_lookup_clear(&l);

	/* erased after the snapshot began: allowed on what it saw, and that is what it holds */
	must(vault_read_begin(f->tv.v, &err), &err, "snapshot");
	assert_int_equal(sqlite3_prepare_v2(vault_sql_db(f->tv.v), "SELECT count(*) FROM citizens", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	sqlite3_finalize(s);
	must(policy_citizen_erase(other, f->a, "operator", &err), &err, "erase");
	prepare_on(f->tv.v, f->health, "treatment", NID_A, req, 2, &l);
	vault_read_end(f->tv.v);
	assert_true(l.d.allow);
	assert_string_equal(json_string_value(json_object_get(l.fields, "full_name")), "Lê Thị Cúc");
	assert_string_equal(json_string_value(json_object_get(l.fields, "blood_type")), "O+");
	policy_lookup_clear(&l);
	vault_close(other);
}

/* A denied lookup carries nothing, and clearing it (or a zeroed one, or twice) is harmless. */
static void test_denied_lookup_carries_no_fields(void **state)
{
	fx *f = *state;
	policy_lookup l, zero;

	prepare_on(f->tv.v, f->health, "treatment", NID_A, NULL, 0, &l); /* no consent */
	assert_false(l.d.allow);
	assert_int_equal(l.d.reason, POLICY_DENY_NO_CONSENT);
	assert_null(l.fields);
	policy_lookup_clear(&l);
	policy_lookup_clear(&l);
	assert_null(l.fields);
	prepare_on(f->tv.v, f->health, "treatment", NID_NOBODY, NULL, 0, &l);
	assert_false(l.d.allow);
	assert_null(l.fields);
	policy_lookup_clear(&l);
	memset(&zero, 0, sizeof zero);
	policy_lookup_clear(&zero);
	assert_null(zero.fields);
}

/*
 * Two lookups race for the last use of a one-time consent: both decisions allow, the
 * conditional update lets one through; the loser is denied and keeps none of the fields it
 * read. The race is staged with a read snapshot opened before the winner spends the use, which
 * the loser's decision joins (a nested begin is a no-op; its end ends the snapshot, so the
 * loser's update runs on the current state).
 */
static void test_one_time_consent_lost_race_keeps_no_fields(void **state)
{
	fx *f = *state;
	static const char *const req[] = {"blood_type"};
	char cons[POLICY_ID_MAX + 1];
	policy_lookup won, lost;
	sqlite3_stmt *s;
	vault *other;
	util_err err;

	consent(f, req, 1, NULL, 0, 1, cons, NULL);
	must(vault_clone(&other, f->tv.v, &err), &err, "clone");
	must(vault_read_begin(f->tv.v, &err), &err, "snapshot");
	assert_int_equal(sqlite3_prepare_v2(vault_sql_db(f->tv.v), "SELECT count(*) FROM consents", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW); /* the snapshot starts at its first read */
	sqlite3_finalize(s);

	prepare_on(other, f->health, "treatment", NID_A, NULL, 0, &won);
	assert_true(won.d.allow);
	assert_string_equal(json_string_value(json_object_get(won.fields, "blood_type")), "O+");
	policy_lookup_clear(&won);

	prepare_on(f->tv.v, f->health, "treatment", NID_A, NULL, 0, &lost);
	assert_false(lost.d.allow);
	assert_int_equal(lost.d.reason, POLICY_DENY_USE_LIMIT_REACHED);
	assert_int_equal(lost.d.nfields, 0);
	assert_null(lost.fields);
	policy_lookup_clear(&lost);
	vault_read_end(f->tv.v);
	vault_close(other);
}

/*
 * A one-time consent revoked, or the citizen's processing restricted, after a lookup's
 * snapshot began but before it spends the use: the lookup is denied, for that reason, keeps
 * none of the fields it read, and the use stays unspent.
 */
static void test_one_time_consent_revoked_before_its_use_is_spent(void **state)
{
	fx *f = *state;
	static const char *const req[] = {"blood_type"};
	char cons[POLICY_ID_MAX + 1];
	policy_lookup l;
	sqlite3_stmt *s;
	vault *other;
	util_err err;
	int round;

	must(vault_clone(&other, f->tv.v, &err), &err, "clone");
	for (round = 0; round < 2; round++) {
		consent(f, req, 1, NULL, 0, 1, cons, NULL);
		must(vault_read_begin(f->tv.v, &err), &err, "snapshot");
		assert_int_equal(sqlite3_prepare_v2(vault_sql_db(f->tv.v), "SELECT count(*) FROM consents", -1, &s, NULL),
		    SQLITE_OK);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW); /* the snapshot starts at its first read */
		sqlite3_finalize(s);
		if (round == 0)
			must(policy_consent_revoke(other, f->a, cons, &err), &err, "revoke");
		else
			must(policy_restrict(other, f->a, 1, &err), &err, "restrict");
		prepare_on(f->tv.v, f->health, "treatment", NID_A, NULL, 0, &l);
		assert_false(l.d.allow);
		assert_int_equal(l.d.reason, round == 0 ? POLICY_DENY_CONSENT_REVOKED : POLICY_DENY_RESTRICTED);
		assert_int_equal(l.d.nfields, 0);
		assert_null(l.fields);
		policy_lookup_clear(&l);
		vault_read_end(f->tv.v);
	}
	assert_int_equal(test_sql_int(vault_sql_db(f->tv.v), "SELECT sum(uses) FROM consents"), 0);
	vault_close(other);
}

/* The canonical JSON of entry e as the log would store it at seq 1, time 1. */
static void encode_entry(const audit_entry *e, char out[AUDIT_ENTRY_MAX])
{
	util_err err;
	size_t len;

	must(audit_entry_encode(e, 1, 1, out, &len, &err), &err, "encode");
}

/*
 * Policy builds a lookup's audit entry from its own decision: the released fields when
 * allowed, the asked ones when denied, the reason, basis and consent; the caller only writes it.
 */
static void test_lookup_entry_is_built_by_policy(void **state)
{
	fx *f = *state;
	static const char *const req[] = {"blood_type", "phone"}, *const asked[] = {"religion"};
	char cons[POLICY_ID_MAX + 1], want[600], got[AUDIT_ENTRY_MAX];
	policy_lookup l;

	consent(f, req, 2, NULL, 0, 0, cons, NULL);
	prepare_on(f->tv.v, f->health, "treatment", NID_A, NULL, 0, &l);
	assert_true(l.d.allow);
	assert_int_equal(l.seq, 0);
	encode_entry(&l.entry, got);
	snprintf(want, sizeof want, "\"actor\":\"agency:%s\"", f->health);
	assert_non_null(strstr(got, want));
	snprintf(want, sizeof want, "\"consent\":\"%s\"", cons);
	assert_non_null(strstr(got, want));
	assert_non_null(strstr(got, "\"decision\":\"allow\""));
	assert_non_null(strstr(got, "\"fields\":[\"phone\",\"blood_type\"]"));
	assert_null(strstr(got, "0912345678")); /* names, never values */
	policy_lookup_clear(&l);

	prepare_on(f->tv.v, f->health, "treatment", NID_A, asked, 1, &l);
	assert_false(l.d.allow);
	encode_entry(&l.entry, got);
	assert_non_null(strstr(got, "\"decision\":\"deny\""));
	assert_non_null(strstr(got, "\"fields\":[\"religion\"]"));
	assert_non_null(strstr(got, "\"reason\":\"no_field_granted\""));
	policy_lookup_clear(&l);
}

/*
 * A use-limited consent's use is spent in the same transaction as its entry: after the
 * lookup the log holds the entry (l.seq) and the consent one use; a lookup that finds the use
 * gone writes nothing itself (its denial goes to the writer like any other).
 */
static void test_use_commits_with_its_entry(void **state)
{
	fx *f = *state;
	static const char *const req[] = {"blood_type"};
	char cons[POLICY_ID_MAX + 1], got[AUDIT_ENTRY_MAX];
	int64_t before, after;
	policy_lookup l;
	util_err err;
	size_t len;

	consent(f, req, 1, NULL, 0, 1, cons, NULL);
	must(audit_size(f->tv.v, &before, &err), &err, "size");
	prepare_on(f->tv.v, f->health, "treatment", NID_A, NULL, 0, &l);
	assert_true(l.d.allow);
	assert_true(l.seq > 0);
	must(audit_size(f->tv.v, &after, &err), &err, "size");
	assert_int_equal(after, before + 1);
	must(audit_entry_get(f->tv.v, l.seq, got, &len, &err), &err, "entry");
	assert_non_null(strstr(got, "\"action\":\"lookup\""));
	assert_non_null(strstr(got, "\"decision\":\"allow\""));
	assert_non_null(strstr(got, cons));
	assert_int_equal(test_sql_int(vault_sql_db(f->tv.v), "SELECT sum(uses) FROM consents"), 1);
	policy_lookup_clear(&l);

	prepare_on(f->tv.v, f->health, "treatment", NID_A, NULL, 0, &l);
	assert_false(l.d.allow);
	assert_int_equal(l.seq, 0);
	must(audit_size(f->tv.v, &before, &err), &err, "size");
	assert_int_equal(before, after);
	encode_entry(&l.entry, got);
	assert_non_null(strstr(got, "\"decision\":\"deny\""));
	policy_lookup_clear(&l);
}

/* A review is stored once, with its entry in the same transaction; a second is refused. */
static void test_review_recorded_once_with_its_entry(void **state)
{
	fx *f = *state;
	policy_review rv = {.seq = 7, .agency_id = f->police, .purpose_id = "pu_x", .outcome = "justified",
		.officer = "of_1"};
	char got[AUDIT_ENTRY_MAX], outcome[16];
	int64_t before, after, at;
	util_err err;
	size_t len;

	/* not reviewed yet: what a citizen's access log shows as pending */
	assert_int_equal(policy_review_get(f->tv.v, 7, outcome, &at, &err), -1);
	assert_int_equal(err.code, UTIL_ENOTFOUND);
	must(audit_size(f->tv.v, &before, &err), &err, "size");
	must(policy_review_record(f->tv.v, &rv, &err), &err, "review");
	must(policy_review_get(f->tv.v, 7, outcome, &at, &err), &err, "review read");
	assert_string_equal(outcome, "justified");
	assert_true(at > 0 && at <= util_now());
	must(audit_size(f->tv.v, &after, &err), &err, "size");
	assert_int_equal(after, before + 1);
	must(audit_entry_get(f->tv.v, before, got, &len, &err), &err, "entry");
	assert_non_null(strstr(got, "\"action\":\"review.record\""));
	assert_non_null(strstr(got, "\"actor\":\"officer:of_1\""));
	assert_non_null(strstr(got, "\"note\":\"justified\""));
	assert_int_equal(test_sql_int(vault_sql_db(f->tv.v), "SELECT count(*) FROM reviews WHERE seq = 7"), 1);
	rv.outcome = "unjustified";
	assert_int_equal(policy_review_record(f->tv.v, &rv, &err), -1);
	assert_int_equal(err.code, UTIL_EEXISTS);
	must(audit_size(f->tv.v, &before, &err), &err, "size");
	assert_int_equal(before, after); /* nothing of the refused one */
	must(policy_review_get(f->tv.v, 7, outcome, &at, &err), &err, "review read");
	assert_string_equal(outcome, "justified"); /* the first stands */
}

static void test_restriction_blocks_consent_not_statute(void **state)
{
	fx *f = *state;
	char cons[POLICY_ID_MAX + 1];
	policy_lookup l;
	util_err err;
	int64_t since;
	int on;

	consent(f, NULL, 0, NULL, 0, 0, cons, NULL);
	must(policy_restriction_get(f->tv.v, f->a, &on, &since, &err), &err, "state");
	assert_int_equal(on, 0);
	assert_int_equal(since, 0);
	must(policy_restrict(f->tv.v, f->a, 1, &err), &err, "restrict");
	must(policy_restriction_get(f->tv.v, f->a, &on, &since, &err), &err, "state");
	assert_int_equal(on, 1);
	assert_true(since > 0 && since <= util_now());
	l = lookup(f, f->health, "treatment", NID_A, NULL, 0);
	assert_false(l.d.allow);
	assert_int_equal(l.d.reason, POLICY_DENY_RESTRICTED);
	/* a legal obligation still applies, on its own basis */
	l = lookup(f, f->police, "tax-audit", NID_A, NULL, 0);
	assert_true(l.d.allow);
	assert_int_equal(l.d.basis, POLICY_BASIS_LEGAL_OBLIGATION);
	must(policy_restrict(f->tv.v, f->a, 0, &err), &err, "lift");
	must(policy_restriction_get(f->tv.v, f->a, &on, &since, &err), &err, "state");
	assert_int_equal(on, 0);
	l = lookup(f, f->health, "treatment", NID_A, NULL, 0);
	assert_true(l.d.allow);
}

static void test_unknown_citizen_request_looks_the_same(void **state)
{
	fx *f = *state;
	char r1[POLICY_ID_MAX + 1], r2[POLICY_ID_MAX + 1], s1[16], s2[16];
	policy_lookup l;
	util_err err;

	must(policy_request_create(f->tv.v, f->health, "treatment", NID_A, NULL, 0, 30, r1, &err), &err, "request");
	must(policy_request_create(f->tv.v, f->health, "treatment", NID_NOBODY, NULL, 0, 30, r2, &err), &err, "request");
	assert_int_equal(strlen(r1), strlen(r2));
	must(policy_request_status(f->tv.v, f->health, r1, s1, &err), &err, "status");
	must(policy_request_status(f->tv.v, f->health, r2, s2, &err), &err, "status");
	assert_string_equal(s1, s2);
	l = lookup(f, f->health, "treatment", NID_NOBODY, NULL, 0);
	assert_false(l.d.allow);
	assert_int_equal(l.d.reason, POLICY_DENY_UNKNOWN_CITIZEN);
}

/*
 * After an erasure the agency's request about the erased ID keeps its answer, like one about a
 * never-enrolled ID; and the cap on pending requests lets exactly as many through for an
 * enrolled, an erased and a never-enrolled ID, per agency.
 */
static void test_erased_id_requests_and_cap_look_the_same(void **state)
{
	fx *f = *state;
	const char *nids[3] = {NID_B, NID_A, NID_NOBODY}; /* enrolled, erased below, never enrolled */
	char r[3][POLICY_ID_MAX + 1], status[16];
	util_err err;
	int i, made;

	for (i = 0; i < 3; i++)
		must(policy_request_create(f->tv.v, f->health, "treatment", nids[i], NULL, 0, 30, r[i], &err), &err, "request");
	must(policy_citizen_erase(f->tv.v, f->a, "test", &err), &err, "erase");
	for (i = 0; i < 3; i++) {
		must(policy_request_status(f->tv.v, f->health, r[i], status, &err), &err, "status");
		assert_string_equal(status, "pending");
	}
	assert_int_equal(test_sql_int(vault_sql_db(f->tv.v), "SELECT count(*) FROM consent_requests WHERE cid IS NOT NULL"), 1);
	for (i = 0; i < 3; i++) {
		char id[POLICY_ID_MAX + 1];

		for (made = 1; policy_request_create(f->tv.v, f->health, "treatment", nids[i], NULL, 0, 30, id, &err) == 0; made++)
			assert_true(made < 100);
		assert_int_equal(err.code, UTIL_ESTATE);
		assert_int_equal(made, POLICY_PENDING_MAX);
	}
	/* another agency has a cap of its own */
	{
		policy_purpose_def d = {.agency_id = f->bank, .code = "loan", .desc_vi = "Vay", .desc_en = "Loan",
			.basis = POLICY_BASIS_CONSENT, .fields = (policy_field[]){{"full_name", 0}}, .nfields = 1, .max_days = 30,
			.retention_days = 30};
		char pid[POLICY_ID_MAX + 1], id[POLICY_ID_MAX + 1];

		must(policy_purpose_create(f->tv.v, &d, pid, &err), &err, "purpose");
		must(policy_request_create(f->tv.v, f->bank, "loan", NID_NOBODY, NULL, 0, 30, id, &err), &err, "request");
	}
}

/*
 * Lists come in pages: every item once, next "" on the last page. The cursor is the id of the
 * page's last item, never a row number (which would count the vault's requests), and only the
 * citizen's own items are cursors of their list.
 */
static void test_lists_are_paged(void **state)
{
	fx *f = *state;
	char id[POLICY_ID_MAX + 1], first[POLICY_ID_MAX + 1] = "";
	policy_page pg = {.limit = 2};
	json_t *list;
	util_err err;
	size_t seen = 0, pages = 0;
	int i;

	for (i = 0; i < POLICY_PENDING_MAX; i++)
		must(policy_request_create(f->tv.v, f->health, "treatment", NID_A, NULL, 0, 30, id, &err), &err, "request");
	do {
		must(policy_requests_pending(f->tv.v, f->a, &pg, &list, &err), &err, "pending");
		assert_true(json_array_size(list) <= 2);
		seen += json_array_size(list);
		pages++;
		assert_true(pg.next[0] == '\0' || json_array_size(list) == 2);
		if (pg.next[0] != '\0')
			assert_string_equal(pg.next, json_string_value(json_object_get(json_array_get(list, 1), "id")));
		if (first[0] == '\0')
			snprintf(first, sizeof first, "%s", pg.next);
		json_decref(list);
		memcpy(pg.after, pg.next, sizeof pg.after);
	} while (pg.next[0] != '\0');
	assert_int_equal(seen, POLICY_PENDING_MAX);
	assert_int_equal(pages, 3);
	/* A's cursor is no cursor in B's list, nor is a number, nor a consent's id in the requests' */
	memcpy(pg.after, first, sizeof pg.after);
	assert_int_equal(policy_requests_pending(f->tv.v, f->b, &pg, &list, &err), -1);
	assert_int_equal(err.code, UTIL_EINVAL);
	snprintf(pg.after, sizeof pg.after, "2");
	assert_int_equal(policy_requests_pending(f->tv.v, f->a, &pg, &list, &err), -1);
	assert_int_equal(err.code, UTIL_EINVAL);
	memcpy(pg.after, first, sizeof pg.after);
	assert_int_equal(policy_consents_list(f->tv.v, f->a, &pg, &list, &err), -1);
	assert_int_equal(err.code, UTIL_EINVAL);
}

/* The second an id was made in, read back from its 8 hex digits after the prefix; -1 if absent. */
static int64_t id_second(const char *id, const char *prefix)
{
	size_t n = strlen(prefix);
	unsigned char b[4];
	char hex[9];

	if (strncmp(id, prefix, n) != 0 || id[n] != '_' || strlen(id) != n + 1 + 8 + 16)
		return -1;
	memcpy(hex, id + n + 1, 8);
	hex[8] = '\0';
	if (util_hex_decode(b, sizeof b, hex) != 0)
		return -1;
	return (int64_t)b[0] << 24 | (int64_t)b[1] << 16 | (int64_t)b[2] << 8 | b[3];
}

/*
 * Ids begin with the second they are made in, so a table's new rows go to the right edge of its
 * B-tree; two made in the same second still differ in their random part.
 */
static void test_ids_sort_by_the_second_they_are_made_in(void **state)
{
	fx *f = *state;
	char ag[POLICY_ID_MAX + 1], ag2[POLICY_ID_MAX + 1], rid[POLICY_ID_MAX + 1], cons[POLICY_ID_MAX + 1];
	const char *rc;
	json_t *r = NULL;
	int64_t t0 = util_now(), t1;
	util_err err;

	must(policy_agency_create(f->tv.v, "Sở Y tế", POLICY_ROLE_CONSUMER, ag, &err), &err, "agency");
	must(policy_agency_create(f->tv.v, "Sở Y tế 2", POLICY_ROLE_CONSUMER, ag2, &err), &err, "agency");
	must(policy_request_create(f->tv.v, f->health, "treatment", NID_A, NULL, 0, 30, rid, &err), &err, "request");
	must(policy_request_approve(f->tv.v, f->a, rid, NULL, 0, 0, cons, &r, &err), &err, "approve");
	t1 = util_now();
	rc = json_string_value(json_object_get(json_object_get(r, "receipt"), "receipt_id"));
	assert_non_null(rc);
	assert_true(id_second(ag, "ag") >= t0 && id_second(ag, "ag") <= t1);
	assert_true(id_second(rid, "cr") >= t0 && id_second(rid, "cr") <= t1);
	assert_true(id_second(cons, "co") >= t0 && id_second(cons, "co") <= t1);
	assert_true(id_second(rc, "rc") >= t0 && id_second(rc, "rc") <= t1);
	assert_true(id_second(f->pu_health, "pu") >= 0 && id_second(f->pu_health, "pu") <= t0);
	assert_string_not_equal(ag, ag2);
	json_decref(r);
}

static void test_receipt_verifies_and_tampering_fails(void **state)
{
	fx *f = *state;
	char cons[POLICY_ID_MAX + 1];
	unsigned char pk[32], other[32], sk[64];
	json_t *r = NULL;
	char *text, *p, pn[33];
	util_err err;

	consent(f, NULL, 0, NULL, 0, 0, cons, &r);
	vault_public_key(f->tv.v, pk);
	/* version 2: the citizen named by the agency's pseudonym, never by the vault's own id */
	policy_pseudonym(f->tv.v, f->health, f->a, pn);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "receipt"), "version")),
	    "vaultd-consent-receipt/2");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "receipt"), "citizen_id")), pn);
	/* it tells the citizen how to withdraw in the portal's words, Vietnamese first, not only by an API call */
	p = (char *)json_string_value(json_object_get(json_object_get(json_object_get(r, "receipt"), "revocation"), "how"));
	assert_non_null(p);
	assert_true(strncmp(p, "Cổng vaultd: Đồng ý của tôi > Rút lại đồng ý", strlen("Cổng vaultd: Đồng ý của tôi > Rút lại đồng ý")) == 0);
	text = json_dumps(r, JSON_INDENT(2)); /* re-formatted: the signature is over canonical JSON */
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "receipt"), "consent_id")), cons);
	assert_int_equal(json_array_size(json_object_get(json_object_get(r, "receipt"), "fields")), 6);
	assert_int_equal(policy_receipt_verify(text, strlen(text), pk, &err), 0);
	crypto_sign_ed25519_keypair(other, sk);
	assert_int_equal(policy_receipt_verify(text, strlen(text), other, &err), -1);
	assert_non_null(p = strstr(text, "\"treatment\""));
	memcpy(p, "\"treatmenT\"", 11);
	assert_int_equal(policy_receipt_verify(text, strlen(text), pk, &err), -1);
	assert_int_equal(err.code, UTIL_ECORRUPT);
	vault_json_free(text);
	json_decref(r);
}

/*
 * Known answer: the receipt below, in canonical JSON (sorted keys, compact, UTF-8 as is), was
 * signed with plain libsodium by the Ed25519 key of seed 40 41 .. 5f. Verification must accept
 * it re-formatted (indented, keys in another order): it re-derives the same canonical bytes.
 * A change to the canonical form breaks this test, as it would break every receipt issued.
 */
static const char receipt_canonical[] =
    "{\"agency\":{\"id\":\"ag_00000000000000aa\",\"name\":\"Bệnh viện Bạch Mai\"},"
    "\"citizen_id\":\"0123456789abcdef0123456789abcdef\",\"consent_id\":\"co_00000000000000bb\","
    "\"expires_at\":\"2027-01-01T00:00:00Z\",\"fields\":[{\"category\":\"basic\",\"description\":"
    "{\"en\":\"Full name\",\"vi\":\"Họ và tên\"},\"masked\":false,\"name\":\"full_name\"},"
    "{\"category\":\"sensitive\",\"description\":{\"en\":\"Chronic conditions (health status in medical "
    "records)\",\"vi\":\"Bệnh mãn tính (tình trạng sức khỏe trong hồ sơ bệnh án)\"},\"masked\":false,"
    "\"name\":\"chronic_conditions\"}],\"granted_at\":\"2026-12-02T00:00:00Z\",\"issued_at\":"
    "\"2026-12-02T00:00:00Z\",\"jurisdiction\":\"VN\",\"laws\":[\"Law 91/2025/QH15\",\"Decree 356/2025/ND-CP\"],"
    "\"legal_basis\":\"consent\",\"purpose\":{\"code\":\"treatment\",\"description\":{\"en\":\"Medical "
    "treatment\",\"vi\":\"Khám chữa bệnh\"},\"id\":\"pu_00000000000000cc\"},\"receipt_id\":\"rc_00000000000000dd\","
    "\"revocation\":{\"effect\":\"the next lookup under this consent is refused\",\"how\":\"DELETE "
    "/v1/me/consents/{consent_id}, or ask the vault's operator\"},\"use_limit\":0,\"vault_id\":"
    "\"00112233445566778899aabbccddeeff\",\"version\":\"vaultd-consent-receipt/1\"}";
static const char receipt_signature[] =
    "dnLJG3fyozG9u1acio2PWEefTHFTZ130OZ4LvtKnfv/IKbfkMCmZjOc7EQhV1vhGGlyxfEDcZaJ7o4IeTdTlCQ==";
static const char receipt_pk_hex[] = "2543b92ff1095511476adc8369db6ddc933665a11978dda1404ee1066ca9559d";

static void test_receipt_known_answer(void **state)
{
	unsigned char pk[32], seed[32], pk2[32], sk[64];
	json_t *r = json_loads(receipt_canonical, 0, NULL), *doc;
	char *canon, *text, *p;
	util_err err;
	int i;

	(void)state;
	assert_int_equal(util_hex_decode(pk, 32, receipt_pk_hex), 0);
	/* the pinned key is the one of the stated seed */
	for (i = 0; i < 32; i++)
		seed[i] = (unsigned char)(0x40 + i);
	crypto_sign_ed25519_seed_keypair(pk2, sk, seed);
	assert_memory_equal(pk, pk2, 32);
	/* our canonical form of the parsed receipt is byte for byte the signed one */
	assert_non_null(r);
	canon = json_dumps(r, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(canon, receipt_canonical);
	vault_json_free(canon);
	/* delivered indented, keys out of order: still verifies */
	doc = json_pack("{s:s, s:s, s:o}", "signature", receipt_signature, "alg", "Ed25519", "receipt", r);
	text = json_dumps(doc, JSON_INDENT(3) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	assert_int_equal(policy_receipt_verify(text, strlen(text), pk, &err), 0);
	/* one changed character of content does not */
	assert_non_null(p = strstr(text, "chronic_conditions"));
	p[0] = 'C';
	assert_int_equal(policy_receipt_verify(text, strlen(text), pk, &err), -1);
	vault_json_free(text);
}

static void test_every_change_is_audited(void **state)
{
	fx *f = *state;
	char cons[POLICY_ID_MAX + 1];
	audit_report rep;
	util_err err;
	int64_t n0, n1;
	sqlite3_stmt *s;
	const char *want[] = {"consent.request", "consent.approve", "consent.revoke", "restriction.set", "record.erase"};
	size_t i;

	must(audit_size(f->tv.v, &n0, &err), &err, "size");
	consent(f, NULL, 0, NULL, 0, 0, cons, NULL);
	must(policy_consent_revoke(f->tv.v, f->a, cons, &err), &err, "revoke");
	must(policy_restrict(f->tv.v, f->a, 1, &err), &err, "restrict");
	must(policy_citizen_erase(f->tv.v, f->a, "operator", &err), &err, "erase");
	must(audit_size(f->tv.v, &n1, &err), &err, "size");
	assert_int_equal(n1 - n0, 5);
	for (i = 0; i < 5; i++) {
		assert_int_equal(sqlite3_prepare_v2(vault_sql_db(f->tv.v), "SELECT action FROM audit_entries WHERE seq = ?1", -1,
		                     &s, NULL),
		    SQLITE_OK);
		sqlite3_bind_int64(s, 1, n0 + (int64_t)i);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(s, 0), want[i]);
		sqlite3_finalize(s);
	}
	/* the erasure took the consents with it, and no entry holds a value */
	{
		json_t *list = NULL;
		char hex[33], where[256];

		must(policy_consents_list(f->tv.v, f->a, &all_page, &list, &err), &err, "list");
		assert_int_equal(json_array_size(list), 0);
		json_decref(list);
		util_hex_encode(hex, f->a, 16);
		(void)where;
		assert_int_equal(sqlite3_prepare_v2(vault_sql_db(f->tv.v),
		                     "SELECT count(*) FROM audit_entries WHERE entry LIKE '%Nguyễn%' OR entry LIKE '%0912345678%'"
		                     " OR entry LIKE '%001090012345%'",
		                     -1, &s, NULL),
		    SQLITE_OK);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(s, 0), 0);
		sqlite3_finalize(s);
	}
	must(audit_verify(f->tv.v, &rep, &err), &err, "verify");
	assert_true(rep.ok);
}

/* The state and status of consent list's item i (of a fresh list). */
static void consent_state_is(fx *f, size_t i, const char *state, const char *status)
{
	json_t *list = NULL;
	util_err err;

	must(policy_consents_list(f->tv.v, f->a, &all_page, &list, &err), &err, "list");
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, i), "state")), state);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, i), "status")), status);
	json_decref(list);
}

static void request_status_is(fx *f, const char *rid, const char *want)
{
	char status[16];
	util_err err;

	must(policy_request_status(f->tv.v, f->health, rid, status, &err), &err, "status");
	assert_string_equal(status, want);
}

/*
 * A consent's state as its citizen sees it (restricted, expired, used up, revoked), and the
 * status its agency reads of the request that asked for it, which follows it; an erasure
 * reads as a revocation. The stored receipt comes back as the approval gave it, to its
 * citizen only.
 */
static void test_consent_state_and_request_status_follow(void **state)
{
	fx *f = *state;
	static const char *const one[] = {"blood_type"};
	char rid[2][POLICY_ID_MAX + 1], cons[2][POLICY_ID_MAX + 1];
	json_t *receipt[2] = {NULL, NULL}, *again = NULL;
	policy_lookup l;
	util_err err;
	int64_t since;
	int on, i;

	/* 0: one-time, used at once; 1: no limit */
	for (i = 0; i < 2; i++) {
		must(policy_request_create(f->tv.v, f->health, "treatment", NID_A, one, 1, 30, rid[i], &err), &err, "request");
		must(policy_request_approve(f->tv.v, f->a, rid[i], NULL, 0, 1 - i, cons[i], &receipt[i], &err), &err, "approve");
		if (i == 0) {
			l = lookup(f, f->health, "treatment", NID_A, NULL, 0);
			assert_true(l.d.allow);
		}
	}
	consent_state_is(f, 0, "used_up", "used");
	request_status_is(f, rid[0], "used_up");
	request_status_is(f, rid[1], "approved");
	consent_state_is(f, 1, "active", "active");
	/* the receipt again: the very document the approval returned, and only to its citizen */
	must(policy_consent_receipt(f->tv.v, f->a, cons[1], &again, &err), &err, "receipt");
	assert_true(json_equal(again, receipt[1]));
	json_decref(again);
	assert_int_equal(policy_consent_receipt(f->tv.v, f->b, cons[1], &again, &err), -1);
	assert_int_equal(err.code, UTIL_ENOTFOUND);
	assert_int_equal(policy_consent_receipt(f->tv.v, f->a, "co_'; --", &again, &err), -1);
	assert_int_equal(err.code, UTIL_ENOTFOUND);
	/* restricted: the citizen sees it; the agency's request stays approved */
	must(policy_restriction_get(f->tv.v, f->a, &on, &since, &err), &err, "restriction");
	assert_int_equal(on, 0), assert_int_equal(since, 0);
	must(policy_restrict(f->tv.v, f->a, 1, &err), &err, "restrict");
	must(policy_restriction_get(f->tv.v, f->a, &on, &since, &err), &err, "restriction");
	assert_int_equal(on, 1), assert_true(since > 0 && since <= util_now());
	consent_state_is(f, 1, "restricted", "active");
	consent_state_is(f, 0, "used_up", "used");
	request_status_is(f, rid[1], "approved");
	/* past its time: expired, for both, even while restricted */
	assert_int_equal(sqlite3_exec(vault_sql_db(f->tv.v), "UPDATE consents SET expires_at = 1000", NULL, NULL, NULL), SQLITE_OK);
	consent_state_is(f, 1, "expired", "expired");
	request_status_is(f, rid[1], "expired");
	/* revoked outranks the rest */
	must(policy_consent_revoke(f->tv.v, f->a, cons[1], &err), &err, "revoke");
	consent_state_is(f, 1, "revoked", "revoked");
	request_status_is(f, rid[1], "revoked");
	/* the receipt of a revoked consent is still its citizen's to read */
	must(policy_consent_receipt(f->tv.v, f->a, cons[1], &again, &err), &err, "receipt");
	json_decref(again);
	/* erased: every approved request reads revoked, as the consents are gone */
	assert_int_equal(sqlite3_exec(vault_sql_db(f->tv.v), "UPDATE consents SET expires_at = 4102444800, uses = 0", NULL,
	                     NULL, NULL),
	    SQLITE_OK);
	request_status_is(f, rid[0], "approved");
	must(policy_citizen_erase(f->tv.v, f->a, "test", &err), &err, "erase");
	request_status_is(f, rid[0], "revoked");
	request_status_is(f, rid[1], "revoked");
	for (i = 0; i < 2; i++)
		json_decref(receipt[i]);
	/* the status reads its consent by the lookups' index, never by a scan of every consent */
	{
		sqlite3_stmt *s;
		int scans = 0;

		assert_int_equal(sqlite3_prepare_v2(vault_sql_db(f->tv.v),
		                     "EXPLAIN QUERY PLAN SELECT r.status, c.id FROM consent_requests r LEFT JOIN consents c"
		                     " ON c.cid = r.cid AND c.agency_id = r.agency_id AND c.purpose_id = r.purpose_id"
		                     " AND c.request_id = r.id WHERE r.id = 'x' AND r.agency_id = 'y'",
		                     -1, &s, NULL),
		    SQLITE_OK);
		while (sqlite3_step(s) == SQLITE_ROW)
			scans += strstr((const char *)sqlite3_column_text(s, 3), "SCAN") != NULL;
		sqlite3_finalize(s);
		assert_int_equal(scans, 0);
	}
}

static void test_retention_sweep(void **state)
{
	fx *f = *state;
	char cons[POLICY_ID_MAX + 1];
	int64_t changed;
	util_err err;
	json_t *list = NULL;

	consent(f, NULL, 0, NULL, 0, 0, cons, NULL);
	must(policy_consent_revoke(f->tv.v, f->a, cons, &err), &err, "revoke");
	/* within the purpose's 30 days of retention: kept */
	must(policy_retention_sweep(f->tv.v, util_now() + 29 * 86400, &changed, &err), &err, "sweep");
	must(policy_consents_list(f->tv.v, f->a, &all_page, &list, &err), &err, "list");
	assert_int_equal(json_array_size(list), 1);
	json_decref(list);
	/* past it: removed, and the sweep logged */
	must(policy_retention_sweep(f->tv.v, util_now() + 31 * 86400, &changed, &err), &err, "sweep");
	assert_true(changed >= 1);
	must(policy_consents_list(f->tv.v, f->a, &all_page, &list, &err), &err, "list");
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
}

static void test_bad_registry_input_refused(void **state)
{
	fx *f = *state;
	static const policy_field bad_mask[] = {{"religion", 1}}; /* religion has no masked view */
	static const policy_field unknown[] = {{"shoe_size", 0}};
	static const policy_field ok[] = {{"full_name", 0}};
	char id[POLICY_ID_MAX + 1];
	util_err err;
	policy_purpose_def d = {.agency_id = f->health, .code = "x", .desc_vi = "x", .desc_en = "x",
		.basis = POLICY_BASIS_CONSENT, .fields = ok, .nfields = 1, .max_days = 10, .retention_days = 1};

	d.fields = bad_mask;
	assert_int_equal(policy_purpose_create(f->tv.v, &d, id, &err), -1);
	d.fields = unknown;
	assert_int_equal(policy_purpose_create(f->tv.v, &d, id, &err), -1);
	d.fields = ok;
	d.basis = POLICY_BASIS_LEGAL_OBLIGATION; /* without the reference it cites */
	assert_int_equal(policy_purpose_create(f->tv.v, &d, id, &err), -1);
	d.basis = POLICY_BASIS_CONSENT;
	d.code = "Bad Code";
	assert_int_equal(policy_purpose_create(f->tv.v, &d, id, &err), -1);
	d.code = "treatment"; /* already the agency's */
	assert_int_equal(policy_purpose_create(f->tv.v, &d, id, &err), -1);
	assert_int_equal(err.code, UTIL_EEXISTS);
	d.agency_id = "ag_nonexistent";
	d.code = "fresh";
	assert_int_equal(policy_purpose_create(f->tv.v, &d, id, &err), -1);
	assert_int_equal(policy_agency_create(f->tv.v, "", POLICY_ROLE_CONSUMER, id, &err), -1);
	assert_int_equal(policy_agency_create(f->tv.v, "x", 0, id, &err), -1);
	/* a request beyond the purpose's longest duration */
	assert_int_equal(policy_request_create(f->tv.v, f->health, "treatment", NID_A, NULL, 0, 366, id, &err), -1);
	/* suspended: no requests, no lookups */
	must(policy_agency_suspend(f->tv.v, f->health, &err), &err, "suspend");
	assert_int_equal(policy_request_create(f->tv.v, f->health, "treatment", NID_A, NULL, 0, 30, id, &err), -1);
	assert_int_equal(err.code, UTIL_EDENIED);
	assert_false(lookup(f, f->health, "treatment", NID_A, NULL, 0).d.allow);
}

/* ---- stored field lists ---- */

static json_malloc_t prev_malloc;
static json_free_t prev_free;
static int json_allocs;

static void *counting_malloc(size_t n)
{
	json_allocs++;
	return prev_malloc(n);
}

/* Parses s, counting jansson's allocations meanwhile. */
static int parse_counted(const char *s, policy_field *f, size_t *n, int *allocs)
{
	int rc;

	json_get_alloc_funcs(&prev_malloc, &prev_free);
	json_set_alloc_funcs(counting_malloc, prev_free);
	json_allocs = 0;
	rc = policy_fields_parse(s, f, n);
	*allocs = json_allocs;
	json_set_alloc_funcs(prev_malloc, prev_free);
	return rc;
}

static void test_stored_field_lists(void **state)
{
	static const char *const bad[] = {
		"", "[", "]", "{}", "[{\"name\":\"phone\",\"masked\":false}]x", "[{\"name\":\"phone\",\"masked\":false},]",
		"[{\"name\":\"phone\",\"masked\":fals}]", "[{\"name\":\"\",\"masked\":false}]x", "[\"phone\"]",
		"[{\"name\":\"a23456789012345678901234567890123\",\"masked\":false}]", /* 33 characters */
	};
	policy_field f[POLICY_MAX_FIELDS];
	char many[POLICY_MAX_FIELDS * 40 + 64];
	size_t n, i, off;
	int allocs;

	(void)state;
	/* the form policy writes: read without jansson */
	assert_int_equal(parse_counted("[{\"name\":\"phone\",\"masked\":true},{\"name\":\"full_name\",\"masked\":false}]", f,
	                     &n, &allocs),
	    0);
	assert_int_equal(allocs, 0);
	assert_int_equal(n, 2);
	assert_string_equal(f[0].name, "phone");
	assert_int_equal(f[0].masked, 1);
	assert_string_equal(f[1].name, "full_name");
	assert_int_equal(f[1].masked, 0);
	assert_int_equal(parse_counted("[]", f, &n, &allocs), 0);
	assert_int_equal(n, 0);
	assert_int_equal(allocs, 0);
	/* the same list written otherwise: the general parser, the same result */
	assert_int_equal(parse_counted("[ {\"masked\": true, \"name\": \"ph\\u006fne\"} ]", f, &n, &allocs), 0);
	assert_true(allocs > 0);
	assert_int_equal(n, 1);
	assert_string_equal(f[0].name, "phone");
	assert_int_equal(f[0].masked, 1);
	/* a name of 32 characters fits; the 64-field limit holds on both paths */
	assert_int_equal(policy_fields_parse("[{\"name\":\"a2345678901234567890123456789012\",\"masked\":false}]", f, &n), 0);
	assert_int_equal(strlen(f[0].name), 32);
	off = (size_t)snprintf(many, sizeof many, "[");
	for (i = 0; i < POLICY_MAX_FIELDS; i++)
		off += (size_t)snprintf(many + off, sizeof many - off, "%s{\"name\":\"f%zu\",\"masked\":false}", i ? "," : "", i);
	snprintf(many + off, sizeof many - off, "]");
	assert_int_equal(parse_counted(many, f, &n, &allocs), 0);
	assert_int_equal(n, POLICY_MAX_FIELDS);
	assert_int_equal(allocs, 0);
	snprintf(many + off, sizeof many - off, ",{\"name\":\"one_more\",\"masked\":false}]");
	assert_int_equal(policy_fields_parse(many, f, &n), -1);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (policy_fields_parse(bad[i], f, &n) != -1)
			fail_msg("bad list %zu was read", i);
	assert_int_equal(policy_fields_parse(NULL, f, &n), -1);
}

/* ---- emergency accesses: the officers' queue, their reviews, and the reports' count ---- */

typedef struct seen_entries {
	int64_t seq[8];
	size_t n;
} seen_entries;

static int note_entry(void *arg, int64_t seq, const void *entry, size_t len, util_err *err)
{
	seen_entries *s = arg;

	(void)err;
	assert_non_null(memmem(entry, len, "\"action\":\"lookup\"", 17));
	assert_true(s->n < 8);
	s->seq[s->n++] = seq;
	return 0;
}

/* Appends one lookup entry of agency ag_e on basis (allowed when allow); returns its seq. */
static int64_t lookup_entry(vault *v, const char *basis, int allow)
{
	audit_entry e = {.actor = "agency:ag_e", .action = "lookup", .agency_id = "ag_e", .purpose_id = "pu_e",
		.decision = allow ? "allow" : "deny", .basis = basis, .justification = basis ? "unconscious" : NULL};
	int64_t seq;
	util_err err;

	must(audit_record(v, &e, &seq, &err), &err, "record");
	return seq;
}

static void test_emergency_accesses_and_their_reviews(void **state)
{
	test_vault *f = *state;
	int64_t vital[3], consent, denied, n;
	seen_entries seen = {0};
	policy_review rv;
	int64_t size;
	util_err err;
	int more, i;

	for (i = 0; i < 3; i++)
		vital[i] = lookup_entry(f->v, "vital_interest", 1);
	consent = lookup_entry(f->v, "consent", 1);
	denied = lookup_entry(f->v, "vital_interest", 0);
	must(policy_emergency_pending_count(f->v, &n, &err), &err, "count");
	assert_int_equal(n, 3);
	/* a page of two, then the rest; neither the consent lookup nor the denied one is in it */
	must(policy_emergency_pending(f->v, -1, 2, note_entry, &seen, &more, &err), &err, "page 1");
	assert_int_equal(seen.n, 2);
	assert_true(more);
	assert_int_equal(seen.seq[0], vital[0]);
	assert_int_equal(seen.seq[1], vital[1]);
	must(policy_emergency_pending(f->v, vital[1], 2, note_entry, &seen, &more, &err), &err, "page 2");
	assert_int_equal(seen.n, 3);
	assert_false(more);
	assert_int_equal(seen.seq[2], vital[2]);
	/* one access, reviewed or not; never a lookup of another kind */
	must(policy_emergency_get(f->v, vital[0], note_entry, &seen, &err), &err, "get");
	assert_int_equal(seen.seq[3], vital[0]);
	assert_int_equal(policy_emergency_get(f->v, consent, note_entry, &seen, &err), -1);
	assert_int_equal(err.code, UTIL_ENOTFOUND);
	assert_int_equal(policy_emergency_get(f->v, denied, note_entry, &seen, &err), -1);
	assert_int_equal(err.code, UTIL_ENOTFOUND);
	/* a reviewed access leaves the queue and the count, and can still be read; once only */
	must(audit_size(f->v, &size, &err), &err, "size");
	rv = (policy_review){.seq = vital[1], .agency_id = "ag_e", .purpose_id = "pu_e", .outcome = "justified",
		.officer = "off_1"};
	must(policy_review_record(f->v, &rv, &err), &err, "review");
	rv.outcome = "unjustified";
	assert_int_equal(policy_review_record(f->v, &rv, &err), -1);
	assert_int_equal(err.code, UTIL_EEXISTS);
	must(audit_size(f->v, &n, &err), &err, "size");
	assert_int_equal(n, size + 1); /* the review's entry, and none for the refused one */
	must(policy_emergency_pending_count(f->v, &n, &err), &err, "count");
	assert_int_equal(n, 2);
	seen.n = 0;
	must(policy_emergency_pending(f->v, -1, 10, note_entry, &seen, &more, &err), &err, "queue");
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.seq[0], vital[0]);
	assert_int_equal(seen.seq[1], vital[2]);
	must(policy_emergency_get(f->v, vital[1], note_entry, &seen, &err), &err, "get reviewed");
}

/* Only an allowed lookup whose basis is vital_interest itself is an emergency access: not a
 * basis that LIKE's '_' would match, nor a quoted basis inside another value. */
static void test_emergency_queue_matches_the_basis_exactly(void **state)
{
	test_vault *f = *state;
	audit_entry e = {.actor = "agency:ag_e", .action = "lookup", .agency_id = "ag_e", .purpose_id = "pu_e",
		.decision = "allow", .basis = "vitalXinterest", .justification = "x"};
	seen_entries seen = {0};
	int64_t vital, n;
	util_err err;
	int more;

	must(audit_record(f->v, &e, NULL, &err), &err, "record");
	e.basis = "consent";
	e.justification = "x\",\"basis\":\"vital_interest";
	must(audit_record(f->v, &e, NULL, &err), &err, "record");
	vital = lookup_entry(f->v, "vital_interest", 1);
	must(policy_emergency_pending_count(f->v, &n, &err), &err, "count");
	assert_int_equal(n, 1);
	must(policy_emergency_pending(f->v, -1, 10, note_entry, &seen, &more, &err), &err, "queue");
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.seq[0], vital);
	assert_false(more);
	/* a page that is exactly full says there is no more */
	must(policy_emergency_pending(f->v, -1, 1, note_entry, &seen, &more, &err), &err, "queue");
	assert_int_equal(seen.n, 2);
	assert_false(more);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_consent_story, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emergency_queue_matches_the_basis_exactly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_time_consent_spent_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_entry_is_built_by_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_use_commits_with_its_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_review_recorded_once_with_its_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_releases_the_snapshot_it_decided_on, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_reads_fields_in_the_decisions_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_denied_lookup_carries_no_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_time_consent_lost_race_keeps_no_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_time_consent_revoked_before_its_use_is_spent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restriction_blocks_consent_not_statute, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_citizen_request_looks_the_same, setup, teardown),
		cmocka_unit_test_setup_teardown(test_erased_id_requests_and_cap_look_the_same, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lists_are_paged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receipt_verifies_and_tampering_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ids_sort_by_the_second_they_are_made_in, setup, teardown),
		cmocka_unit_test(test_receipt_known_answer),
		cmocka_unit_test(test_stored_field_lists),
		cmocka_unit_test_setup_teardown(test_every_change_is_audited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retention_sweep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_consent_state_and_request_status_follow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_registry_input_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emergency_accesses_and_their_reviews, test_vault_setup,
		    test_vault_teardown),
	};

	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
