/*
 * test_batch.c: POST /v1/lookups: up to 100 lookups in one request, each decided, logged and
 * answered as a single lookup would be, in the order asked.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define NID_A "001090012345" /* enrolled; consents to the hospital once (use_limit 1) */
#define NID_B "001090054321" /* enrolled; no consent */
#define NID_NONE "001090099999" /* never enrolled */

typedef struct batch_fx {
	e2e_server s;
	char *hospital, *registrar, *uri_a;
	int64_t last_a; /* the last TOTP step A used */
} batch_fx;

static batch_fx fx;

static char *agency(const char *name, const char *role)
{
	e2e_resp r;
	char *token;

	E2E_CALL(&fx.s, 201, "POST", "/v1/agencies", fx.s.admin_token, e2e_body_agency(name, &role, 1), &r);
	token = e2e_jdup(r.json, "token");
	if (strcmp(role, "consumer") == 0) {
		char *id = e2e_jdup(r.json, "id");
		e2e_resp p;

		E2E_CALL(&fx.s, 201, "POST", "/v1/purposes", fx.s.admin_token,
		    e2e_body_purpose(id, "treatment", "Treatment", "consent", NULL,
		        e2e_strings("full_name", "blood_type", NULL), 365, 30),
		    &p);
		e2e_resp_free(&p);
		E2E_CALL(&fx.s, 201, "POST", "/v1/purposes", fx.s.admin_token,
		    e2e_body_purpose(id, "statutory", "Statutory check", "legal_obligation", "Law 41/2024/QH15, Art. 35",
		        e2e_strings("full_name", NULL), 365, 30),
		    &p);
		e2e_resp_free(&p);
		free(id);
	}
	e2e_resp_free(&r);
	return token;
}

static char *enrol(const char *nid, const char *name)
{
	e2e_resp r;
	char *uri;

	E2E_CALL(&fx.s, 201, "POST", "/v1/citizens", fx.registrar,
	    e2e_body_citizen(nid, json_pack("{s:s, s:s}", "full_name", name, "blood_type", "O+")), &r);
	uri = e2e_jdup(r.json, "totp_uri");
	e2e_resp_free(&r);
	return uri;
}

/* A asks nothing: the hospital asks, A approves a one-time consent to full_name and blood_type. */
static void consent_once(void)
{
	char code[7], path[160], *session, *request;
	e2e_resp r;

	E2E_CALL(&fx.s, 202, "POST", "/v1/consent-requests", fx.hospital,
	    e2e_body_consent_request(NID_A, "treatment", NULL, 30), &r);
	request = e2e_jdup(r.json, "id");
	e2e_resp_free(&r);
	e2e_totp_fresh(fx.uri_a, &fx.last_a, code);
	E2E_CALL(&fx.s, 201, "POST", "/v1/sessions", NULL, e2e_body_citizen_login(NID_A, code), &r);
	session = e2e_jdup(r.json, "token");
	e2e_resp_free(&r);
	e2e_totp_fresh(fx.uri_a, &fx.last_a, code);
	snprintf(path, sizeof path, "/v1/me/consent-requests/%s/approve", request);
	E2E_CALL(&fx.s, 201, "POST", path, session,
	    json_pack("{s:s, s:b, s:i}", "totp", code, "all_fields", 1, "use_limit", 1), &r);
	e2e_resp_free(&r);
	free(session);
	free(request);
}

static int setup(void **state)
{
	(void)state;
	if (vault_init() != 0)
		return -1;
	json_set_alloc_funcs(malloc, free);
	if (e2e_start(&fx.s) != 0)
		return -1;
	fx.registrar = agency("Civil Registry", "registrar");
	fx.hospital = agency("Bach Mai Hospital", "consumer");
	fx.uri_a = enrol(NID_A, "Nguyen Van A");
	free(enrol(NID_B, "Tran Thi B"));
	consent_once();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	e2e_stop(&fx.s);
	free(fx.hospital), free(fx.registrar), free(fx.uri_a);
	return 0;
}

/* A metric's value from /metrics (a counter line "name value"). */
static long long metric(const char *name)
{
	e2e_resp r;
	const char *p;
	long long v = -1;

	E2E_CALL(&fx.s, 200, "GET", "/metrics", NULL, NULL, &r);
	if ((p = strstr(r.body, name)) != NULL)
		v = strtoll(p + strlen(name), NULL, 10);
	e2e_resp_free(&r);
	return v;
}

/* The body of a single lookup, serialized with sorted keys (NULL fields: the consented). */
static char *single(const char *nid, const char *purpose, long want)
{
	e2e_resp r;
	char *s;

	E2E_CALL(&fx.s, want, "POST", "/v1/lookup", fx.hospital, e2e_body_lookup(nid, purpose, NULL, NULL), &r);
	s = json_dumps(r.json, JSON_COMPACT | JSON_SORT_KEYS);
	e2e_resp_free(&r);
	return s;
}

static char *dump(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
}

static void test_each_lookup_answered_as_alone(void **state)
{
	long long allow0 = metric("vaultd_decisions_total{outcome=\"allow\"} "),
	          deny0 = metric("vaultd_decisions_total{outcome=\"deny\"} ");
	char *denied = single(NID_B, "treatment", 403), *bad = single("12345", "treatment", 400), *s;
	json_t *body, *res;
	e2e_resp r;

	(void)state;
	/* A's one-time consent twice, B (no consent), a never-enrolled ID, an ID of the wrong form,
	 * an item of the wrong shape, A and B under a legal obligation */
	body = json_pack("{s:[o, o, o, o, o, {s:s}, o, o]}", "lookups", e2e_body_lookup(NID_A, "treatment", NULL, NULL),
	    e2e_body_lookup(NID_A, "treatment", NULL, NULL), e2e_body_lookup(NID_B, "treatment", NULL, NULL),
	    e2e_body_lookup(NID_NONE, "treatment", NULL, NULL), e2e_body_lookup("12345", "treatment", NULL, NULL),
	    "national_id", NID_A, e2e_body_lookup(NID_A, "statutory", NULL, NULL),
	    e2e_body_lookup(NID_B, "statutory", NULL, NULL));
	E2E_CALL(&fx.s, 200, "POST", "/v1/lookups", fx.hospital, body, &r);
	res = e2e_jget(r.json, "results");
	assert_int_equal(json_array_size(res), 8);
	/* the one-time consent is spent once, by the first */
	assert_str_eq(e2e_jstr(json_array_get(res, 0), "fields/full_name"), "Nguyen Van A");
	assert_str_eq(e2e_jstr(json_array_get(res, 0), "fields/blood_type"), "O+");
	assert_str_eq(e2e_jstr(json_array_get(res, 0), "basis"), "consent");
	assert_true(e2e_jint(json_array_get(res, 0), "access_id") > 0);
	/* every denial is the single lookup's denial, byte for byte: spent, no consent, never enrolled */
	s = dump(json_array_get(res, 1)), assert_str_eq(s, denied), free(s);
	s = dump(json_array_get(res, 2)), assert_str_eq(s, denied), free(s);
	s = dump(json_array_get(res, 3)), assert_str_eq(s, denied), free(s);
	/* bad input: the single lookup's 400, and a wrong shape names its key */
	s = dump(json_array_get(res, 4)), assert_str_eq(s, bad), free(s);
	assert_str_eq(e2e_jstr(json_array_get(res, 5), "code"), "invalid_input");
	assert_int_equal(e2e_jint(json_array_get(res, 5), "status"), 400);
	assert_non_null(strstr(e2e_or_null(e2e_jstr(json_array_get(res, 5), "detail")), "purpose"));
	/* the law's basis: both allowed, each with its own entry, named by the agency's pseudonym */
	assert_str_eq(e2e_jstr(json_array_get(res, 6), "basis"), "legal_obligation");
	assert_str_eq(e2e_jstr(json_array_get(res, 6), "fields/full_name"), "Nguyen Van A");
	assert_str_eq(e2e_jstr(json_array_get(res, 7), "fields/full_name"), "Tran Thi B");
	assert_null(e2e_jget(json_array_get(res, 7), "fields/blood_type"));
	assert_str_eq(e2e_jstr(json_array_get(res, 0), "citizen_id"), e2e_jstr(json_array_get(res, 6), "citizen_id"));
	assert_str_ne(e2e_jstr(json_array_get(res, 6), "citizen_id"), e2e_jstr(json_array_get(res, 7), "citizen_id"));
	assert_true(e2e_jint(json_array_get(res, 6), "access_id") != e2e_jint(json_array_get(res, 0), "access_id"));
	assert_true(e2e_jint(json_array_get(res, 7), "access_id") != e2e_jint(json_array_get(res, 6), "access_id"));
	/* no national ID in the answer */
	assert_null(strstr(r.body, NID_A));
	assert_null(strstr(r.body, NID_B));
	assert_null(strstr(r.body, NID_NONE));
	e2e_resp_free(&r);
	/* six decisions (3 allowed, 3 denied, and one for each single lookup above), none for bad input */
	assert_int_equal(metric("vaultd_decisions_total{outcome=\"allow\"} ") - allow0, 3);
	assert_int_equal(metric("vaultd_decisions_total{outcome=\"deny\"} ") - deny0, 1 + 3);
	free(denied);
	free(bad);
}

/* Each allowed item is an access in the citizen's log: its access_id is an entry about A. */
static void test_each_item_is_in_the_log(void **state)
{
	char code[7], path[96], *session;
	long long id[3];
	json_t *body;
	e2e_resp r;
	int i;

	(void)state;
	body = json_pack("{s:[o, o, o]}", "lookups", e2e_body_lookup(NID_A, "statutory", NULL, NULL),
	    e2e_body_lookup(NID_A, "statutory", NULL, NULL), e2e_body_lookup(NID_A, "statutory", NULL, NULL));
	E2E_CALL(&fx.s, 200, "POST", "/v1/lookups", fx.hospital, body, &r);
	for (i = 0; i < 3; i++)
		id[i] = e2e_jint(json_array_get(e2e_jget(r.json, "results"), (size_t)i), "access_id");
	e2e_resp_free(&r);
	assert_true(id[0] > 0 && id[1] > id[0] && id[2] > id[1]);
	e2e_totp_fresh(fx.uri_a, &fx.last_a, code);
	E2E_CALL(&fx.s, 201, "POST", "/v1/sessions", NULL, e2e_body_citizen_login(NID_A, code), &r);
	session = e2e_jdup(r.json, "token");
	e2e_resp_free(&r);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "/v1/me/access-log/%lld/proof", id[i]);
		E2E_CALL(&fx.s, 200, "GET", path, session, NULL, &r);
		e2e_resp_free(&r);
	}
	free(session);
}

static void test_the_batch_itself_is_bounded(void **state)
{
	json_t *list = json_array();
	e2e_resp r;
	int i;

	(void)state;
	E2E_CALL(&fx.s, 400, "POST", "/v1/lookups", fx.hospital, json_pack("{s:[]}", "lookups"), &r);
	E2E_PROBLEM(&r, 400, "invalid_input");
	e2e_resp_free(&r);
	E2E_CALL(&fx.s, 400, "POST", "/v1/lookups", fx.hospital, json_pack("{s:s}", "lookups", "x"), &r);
	E2E_PROBLEM(&r, 400, "invalid_input");
	e2e_resp_free(&r);
	E2E_CALL(&fx.s, 400, "POST", "/v1/lookups", fx.hospital, e2e_body_lookup(NID_A, "statutory", NULL, NULL), &r);
	E2E_PROBLEM(&r, 400, "invalid_input");
	e2e_resp_free(&r);
	for (i = 0; i < 101; i++)
		json_array_append_new(list, e2e_body_lookup(NID_B, "statutory", NULL, NULL));
	E2E_CALL(&fx.s, 400, "POST", "/v1/lookups", fx.hospital, json_pack("{s:O}", "lookups", list), &r);
	E2E_PROBLEM(&r, 400, "invalid_input");
	e2e_resp_free(&r);
	/* a hundred is the most */
	json_array_remove(list, 0);
	E2E_CALL(&fx.s, 200, "POST", "/v1/lookups", fx.hospital, json_pack("{s:o}", "lookups", list), &r);
	assert_int_equal(json_array_size(e2e_jget(r.json, "results")), 100);
	assert_str_eq(e2e_jstr(json_array_get(e2e_jget(r.json, "results"), 99), "fields/full_name"), "Tran Thi B");
	e2e_resp_free(&r);
	/* no token: the batch is refused whole */
	E2E_CALL(&fx.s, 401, "POST", "/v1/lookups", NULL, json_pack("{s:[]}", "lookups"), &r);
	e2e_resp_free(&r);
}

/* A session of A's, signed in with a fresh code. */
static char *session_a(void)
{
	char code[7], *session;
	e2e_resp r;

	e2e_totp_fresh(fx.uri_a, &fx.last_a, code);
	E2E_CALL(&fx.s, 201, "POST", "/v1/sessions", NULL, e2e_body_citizen_login(NID_A, code), &r);
	session = e2e_jdup(r.json, "token");
	e2e_resp_free(&r);
	return session;
}

/* A batch of the hospital's: A's treatment three times, B's statutory check in between. */
static json_t *batch_of_a(void)
{
	return json_pack("{s:[o, o, o, o]}", "lookups", e2e_body_lookup(NID_A, "treatment", NULL, NULL),
	    e2e_body_lookup(NID_A, "treatment", NULL, NULL), e2e_body_lookup(NID_B, "statutory", NULL, NULL),
	    e2e_body_lookup(NID_A, "treatment", NULL, NULL));
}

/*
 * A revocation stops the very next lookup, batched too: A approves an open consent, a batch is
 * allowed on it; A revokes it (answered), and in the very next batch every item about A is
 * denied, as consent_revoked in A's log, while B's item is allowed.
 */
static void test_a_revocation_stops_the_very_next_batch(void **state)
{
	char code[7], path[160], *session = session_a(), *request, *consent, *denied = single(NID_B, "treatment", 403), *s;
	json_t *res, *entries, *e;
	e2e_resp r;
	size_t i, k = 0;

	(void)state;
	E2E_CALL(&fx.s, 202, "POST", "/v1/consent-requests", fx.hospital,
	    e2e_body_consent_request(NID_A, "treatment", NULL, 30), &r);
	request = e2e_jdup(r.json, "id");
	e2e_resp_free(&r);
	e2e_totp_fresh(fx.uri_a, &fx.last_a, code);
	snprintf(path, sizeof path, "/v1/me/consent-requests/%s/approve", request);
	E2E_CALL(&fx.s, 201, "POST", path, session, json_pack("{s:s, s:b}", "totp", code, "all_fields", 1), &r);
	consent = e2e_jdup(r.json, "consent_id");
	e2e_resp_free(&r);
	E2E_CALL(&fx.s, 200, "POST", "/v1/lookups", fx.hospital, batch_of_a(), &r);
	for (i = 0; i < 4; i++)
		assert_str_eq(e2e_jstr(json_array_get(e2e_jget(r.json, "results"), i), "fields/full_name"),
		    i == 2 ? "Tran Thi B" : "Nguyen Van A");
	e2e_resp_free(&r);

	snprintf(path, sizeof path, "/v1/me/consents/%s", consent);
	E2E_CALL(&fx.s, 200, "DELETE", path, session, NULL, &r);
	e2e_resp_free(&r);
	E2E_CALL(&fx.s, 200, "POST", "/v1/lookups", fx.hospital, batch_of_a(), &r);
	res = e2e_jget(r.json, "results");
	for (i = 0; i < 4; i++) {
		if (i == 2) {
			assert_str_eq(e2e_jstr(json_array_get(res, i), "fields/full_name"), "Tran Thi B");
			continue;
		}
		s = dump(json_array_get(res, i)), assert_str_eq(s, denied), free(s);
	}
	e2e_resp_free(&r);

	/* A's log, newest first: the three denials, each as revoked, on that consent */
	E2E_CALL(&fx.s, 200, "GET", "/v1/me/access-log?limit=20", session, NULL, &r);
	entries = e2e_jget(r.json, "entries");
	for (i = 0; i < json_array_size(entries) && k < 3; i++) {
		e = json_array_get(entries, i);
		if (strcmp(e2e_or_null(e2e_jstr(e, "action")), "lookup") != 0)
			continue;
		assert_str_eq(e2e_jstr(e, "decision"), "deny");
		assert_str_eq(e2e_jstr(e, "reason"), "consent_revoked");
		assert_str_eq(e2e_jstr(e, "consent"), consent);
		k++;
	}
	assert_int_equal(k, 3);
	e2e_resp_free(&r);
	free(session), free(request), free(consent), free(denied);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_lookup_answered_as_alone),
		cmocka_unit_test(test_each_item_is_in_the_log),
		cmocka_unit_test(test_the_batch_itself_is_bounded),
		cmocka_unit_test(test_a_revocation_stops_the_very_next_batch),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
