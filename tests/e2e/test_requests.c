/* test_requests.c: what an agency can learn from consent requests, the cap on them, paged lists, proofs, receipts. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../../vault/sqlite.h"

#define PENDING_MAX 5  /* POLICY_PENDING_MAX, as docs/api/contract.md states it */
#define PAGE_MAX 200   /* API_PAGE_MAX, as docs/api/contract.md states it */
#define READS 10       /* a citizen's reads of a proof, in the cadence test */

/* Three kinds of national ID an agency must not be able to tell apart. */
enum { ENROLLED, ERASED, NEVER, NKINDS };
static const char *const kind_name[NKINDS] = {"enrolled", "erased", "never enrolled"};
static const char *const kind_nid[NKINDS] = {"036095000711", "036095000722", "036095000733"};
#define NID_P "036095000744" /* the citizen whose lists are walked */

typedef struct world {
	e2e_server s;
	char *registrar, *hospital, *clinic, *emergency, *officer;
	char *hospital_id, *clinic_id, *emergency_id;
	char *uri_p, *session_p, *erased_cid;
	int64_t last_p, last_officer;
	char *before[NKINDS]; /* a request made before the erasure, per kind */
	char *officer_id, *officer_uri;
	unsigned char pk[32];
} world;

static world W;

static void purpose(const char *agency_id, const char *code, const char *basis, const char *ref)
{
	e2e_resp r;

	E2E_CALL(&W.s, 201, "POST", "/v1/purposes", W.s.admin_token,
	    e2e_body_purpose(agency_id, code, "A purpose of the test", basis, ref,
	        e2e_strings("full_name", "date_of_birth", "blood_type", NULL), 365, 30),
	    &r);
	e2e_resp_free(&r);
}

static char *enrol(const char *nid, char **uri)
{
	e2e_resp r;
	char *cid;

	E2E_CALL(&W.s, 201, "POST", "/v1/citizens", W.registrar,
	    e2e_body_citizen(nid, json_pack("{s:s, s:s, s:s}", "full_name", "Phạm Thị Yêu Cầu", "date_of_birth", "1995-03-04",
	                              "blood_type", "A+")),
	    &r);
	cid = e2e_jdup(r.json, "citizen_id");
	if (uri != NULL)
		*uri = e2e_jdup(r.json, "totp_uri");
	e2e_resp_free(&r);
	return cid;
}

static int setup(void **state)
{
	static const char *const reg[] = {"registrar"}, *const cons[] = {"consumer"},
	                         *const emer[] = {"consumer", "emergency"};
	char code[7], *cid;
	e2e_resp r;

	(void)state;
	if (vault_init() != 0)
		return -1;
	json_set_alloc_funcs(malloc, free); /* the harness frees what jansson allocates with free() */
	if (e2e_start(&W.s) != 0)
		return -1;
	W.registrar = e2e_agency(&W.s, "Registry", reg, 1, &cid);
	free(cid);
	W.hospital = e2e_agency(&W.s, "Hospital", cons, 1, &W.hospital_id);
	W.clinic = e2e_agency(&W.s, "Clinic", cons, 1, &W.clinic_id);
	W.emergency = e2e_agency(&W.s, "Ambulance", emer, 2, &W.emergency_id);
	purpose(W.hospital_id, "treatment", "consent", NULL);
	purpose(W.hospital_id, "billing", "legal_obligation", "Decree 356/2025/ND-CP, Art. 7");
	purpose(W.clinic_id, "checkup", "consent", NULL);
	purpose(W.emergency_id, "emergency_care", "vital_interest", NULL);
	E2E_CALL(&W.s, 201, "POST", "/v1/officers", W.s.admin_token, e2e_body_officer("Officer"), &r);
	W.officer_id = e2e_jdup(r.json, "id");
	W.officer_uri = e2e_jdup(r.json, "totp_uri");
	e2e_resp_free(&r);
	e2e_totp_fresh(W.officer_uri, &W.last_officer, code);
	E2E_CALL(&W.s, 201, "POST", "/v1/sessions", NULL, e2e_body_officer_login(W.officer_id, code), &r);
	W.officer = e2e_jdup(r.json, "token");
	e2e_resp_free(&r);
	E2E_CALL(&W.s, 200, "GET", "/v1/keys", NULL, NULL, &r);
	{
		size_t n = 0;
		const char *b64 = e2e_jstr(r.json, "public_key");

		if (b64 == NULL || sodium_base642bin(W.pk, 32, b64, strlen(b64), NULL, &n, NULL,
		                       sodium_base64_VARIANT_ORIGINAL) != 0 || n != 32)
			fail_msg("no public key: %s", r.body);
	}
	e2e_resp_free(&r);
	free(enrol(kind_nid[ENROLLED], NULL));
	W.erased_cid = enrol(kind_nid[ERASED], NULL);
	free(enrol(NID_P, &W.uri_p));
	e2e_totp_fresh(W.uri_p, &W.last_p, code);
	E2E_CALL(&W.s, 201, "POST", "/v1/sessions", NULL, e2e_body_citizen_login(NID_P, code), &r);
	W.session_p = e2e_jdup(r.json, "token");
	e2e_resp_free(&r);
	return W.registrar && W.hospital && W.officer && W.session_p && W.erased_cid ? 0 : -1;
}

static int teardown(void **state)
{
	size_t i;

	(void)state;
	e2e_stop(&W.s);
	free(W.registrar), free(W.hospital), free(W.clinic), free(W.emergency), free(W.officer);
	free(W.hospital_id), free(W.clinic_id), free(W.emergency_id), free(W.uri_p), free(W.session_p);
	free(W.erased_cid), free(W.officer_id), free(W.officer_uri);
	for (i = 0; i < NKINDS; i++)
		free(W.before[i]);
	return 0;
}

/*
 * 1 if a and b have the same shape: the same type, objects with the same keys, arrays of the
 * same length, and the same strings and numbers, except the values of "id" (modulo ids).
 */
static int same_shape(const json_t *a, const json_t *b, const char *key)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_typeof(a) != json_typeof(b))
		return 0;
	if (json_is_object(a)) {
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_foreach((json_t *)a, k, v)
			if (json_object_get(b, k) == NULL || !same_shape(v, json_object_get(b, k), k))
				return 0;
		return 1;
	}
	if (json_is_array(a)) {
		if (json_array_size(a) != json_array_size(b))
			return 0;
		json_array_foreach((json_t *)a, i, v)
			if (!same_shape(v, json_array_get(b, i), NULL))
				return 0;
		return 1;
	}
	return (key != NULL && strcmp(key, "id") == 0) || json_equal((json_t *)a, (json_t *)b);
}

/* One answer per kind of ID to the same call: the same status, type and shape, else fail. */
static void alike(e2e_resp r[NKINDS], const char *what)
{
	size_t k;

	for (k = 1; k < NKINDS; k++) {
		if (r[k].status != r[0].status || strcmp(r[k].content_type, r[0].content_type) != 0 ||
		    r[k].json == NULL || r[0].json == NULL || !same_shape(r[0].json, r[k].json, NULL))
			fail_msg("%s: the %s ID and the %s ID get different answers:\n  %ld %s\n  %ld %s", what, kind_name[0],
			    kind_name[k], r[0].status, r[0].body, r[k].status, r[k].body);
	}
}

static void free_all(e2e_resp r[NKINDS])
{
	size_t k;

	for (k = 0; k < NKINDS; k++)
		e2e_resp_free(&r[k]);
}

static char *ask(const char *token, const char *nid, const char *code, long want)
{
	e2e_resp r;
	char *id;

	E2E_CALL(&W.s, want, "POST", "/v1/consent-requests", token, e2e_body_consent_request(nid, code, NULL, 30), &r);
	id = e2e_jdup(r.json, "id");
	e2e_resp_free(&r);
	return id;
}

/*
 * Promise 5: an enrolled, an erased and a never-enrolled ID walked through every route an
 * agency has: a request made before the erasure, its status, a new request, a lookup, and the
 * cap on pending requests. Every answer has the same status and shape for the three.
 */
static void test_erased_ids_answer_like_never_enrolled_ones(void **state)
{
	e2e_resp r[NKINDS];
	char path[160];
	int made[NKINDS] = {0};
	size_t k;

	(void)state;
	for (k = 0; k < NKINDS; k++)
		W.before[k] = ask(W.hospital, kind_nid[k], "treatment", 202);
	snprintf(path, sizeof path, "/v1/citizens/%s", W.erased_cid);
	E2E_CALL(&W.s, 200, "DELETE", path, W.registrar, NULL, &r[0]);
	e2e_resp_free(&r[0]);

	/* the request made before the erasure: still there, still pending, for all three */
	for (k = 0; k < NKINDS; k++) {
		snprintf(path, sizeof path, "/v1/consent-requests/%s", W.before[k]);
		e2e_req(&W.s, "GET", path, W.hospital, NULL, &r[k]);
	}
	alike(r, "GET /v1/consent-requests/{id} of a request made before the erasure");
	assert_int_equal(r[0].status, 200);
	assert_str_eq(e2e_jstr(r[ERASED].json, "status"), "pending");
	free_all(r);

	/* a new request */
	for (k = 0; k < NKINDS; k++)
		e2e_req_json(&W.s, "POST", "/v1/consent-requests", W.hospital,
		    e2e_body_consent_request(kind_nid[k], "treatment", NULL, 30), &r[k]);
	alike(r, "POST /v1/consent-requests");
	assert_int_equal(r[0].status, 202);
	free_all(r);

	/* lookups, under consent and under the law */
	for (k = 0; k < NKINDS; k++)
		e2e_req_json(&W.s, "POST", "/v1/lookup", W.hospital, e2e_body_lookup(kind_nid[k], "treatment", NULL, NULL), &r[k]);
	alike(r, "POST /v1/lookup under consent");
	assert_int_equal(r[0].status, 403);
	for (k = 1; k < NKINDS; k++)
		assert_string_equal(r[k].body, r[0].body);
	free_all(r);
	for (k = 1; k < NKINDS; k++) { /* the erased and the never enrolled; the enrolled is released */
		e2e_req_json(&W.s, "POST", "/v1/lookup", W.hospital, e2e_body_lookup(kind_nid[k], "billing", NULL, NULL), &r[k]);
		assert_int_equal(r[k].status, 403);
	}
	assert_string_equal(r[ERASED].body, r[NEVER].body);
	e2e_resp_free(&r[ERASED]), e2e_resp_free(&r[NEVER]);

	/* the cap: as many requests pass for each, then the same refusal, byte for byte */
	for (k = 0; k < NKINDS; k++) {
		for (;;) {
			e2e_req_json(&W.s, "POST", "/v1/consent-requests", W.hospital,
			    e2e_body_consent_request(kind_nid[k], "treatment", NULL, 30), &r[k]);
			if (r[k].status != 202 || made[k] > PENDING_MAX)
				break;
			made[k]++;
			e2e_resp_free(&r[k]);
		}
	}
	alike(r, "POST /v1/consent-requests past the cap");
	for (k = 0; k < NKINDS; k++) {
		E2E_PROBLEM(&r[k], 409, "too_many_pending_requests");
		assert_string_equal(r[k].body, r[0].body);
		assert_int_equal(made[k], PENDING_MAX - 2); /* two were made above */
	}
	free_all(r);
}

/* The cap counts one agency's pending requests about one ID: another agency, or an answer, frees room. */
static void test_pending_requests_are_capped(void **state)
{
	char *ids[PENDING_MAX], path[160];
	e2e_resp r;
	size_t i;

	(void)state;
	for (i = 0; i < PENDING_MAX; i++)
		ids[i] = ask(W.hospital, NID_P, "treatment", 202);
	E2E_CALL(&W.s, 409, "POST", "/v1/consent-requests", W.hospital,
	    e2e_body_consent_request(NID_P, "treatment", NULL, 30), &r);
	E2E_PROBLEM(&r, 409, "too_many_pending_requests");
	assert_null(strstr(r.body, NID_P));
	e2e_resp_free(&r);
	/* per agency: the clinic may still ask */
	free(ask(W.clinic, NID_P, "checkup", 202));
	/* the citizen's answer frees one place, and only one */
	snprintf(path, sizeof path, "/v1/me/consent-requests/%s/deny", ids[0]);
	E2E_CALL(&W.s, 200, "POST", path, W.session_p, NULL, &r);
	e2e_resp_free(&r);
	free(ask(W.hospital, NID_P, "treatment", 202));
	free(ask(W.hospital, NID_P, "treatment", 409));
	for (i = 0; i < PENDING_MAX; i++)
		free(ids[i]);
}

/*
 * Walks a list to its end with limit per page: every page but the last is full and has a next,
 * the last has next null, no item comes twice. Returns how many items it saw.
 */
static size_t walk(const char *path, const char *token, const char *member, size_t limit, int id_cursor)
{
	char url[300], next[64] = "";
	json_t *seen = json_object(), *v, *n;
	size_t total = 0, pages = 0, i;
	e2e_resp r;

	for (;;) {
		if (next[0] == '\0')
			snprintf(url, sizeof url, "%s%slimit=%zu", path, strchr(path, '?') ? "&" : "?", limit);
		else
			snprintf(url, sizeof url, "%s%slimit=%zu&after=%s", path, strchr(path, '?') ? "&" : "?", limit, next);
		E2E_CALL(&W.s, 200, "GET", url, token, NULL, &r);
		if (!json_is_array(e2e_jget(r.json, member)) || json_object_get(r.json, "next") == NULL)
			fail_msg("%s: no %s array or no next: %s", url, member, r.body);
		assert_true(json_array_size(e2e_jget(r.json, member)) <= limit);
		json_array_foreach(e2e_jget(r.json, member), i, v) {
			char *k = json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT); /* items differ: ids, numbers, pairs */

			if (k == NULL || json_object_get(seen, k) != NULL)
				fail_msg("%s: an item came twice: %s", url, k ? k : "?");
			json_object_set_new(seen, k, json_true());
			free(k);
			total++;
		}
		pages++;
		if (json_is_null(json_object_get(r.json, "next"))) {
			e2e_resp_free(&r);
			break;
		}
		n = json_object_get(r.json, "next");
		if (json_array_size(e2e_jget(r.json, member)) != limit || !(id_cursor ? json_is_string(n) : json_is_integer(n)))
			fail_msg("%s: a page that is not the last is full and has an %s next: %s", url,
			    id_cursor ? "id as" : "integer", r.body);
		/* a citizen's cursor is their last item's id: a row number would count the vault's items */
		if (id_cursor && strcmp(json_string_value(n), e2e_or_null(e2e_jstr(json_array_get(e2e_jget(r.json, member),
		                                                       limit - 1), "id"))) != 0)
			fail_msg("%s: next is not the id of the page's last item: %s", url, r.body);
		if (id_cursor)
			snprintf(next, sizeof next, "%s", json_string_value(n));
		else
			snprintf(next, sizeof next, "%lld", (long long)json_integer_value(n));
		e2e_resp_free(&r);
		assert_true(pages < 1000);
	}
	json_decref(seen);
	return total;
}

/* A list's bounds refused as problem+json naming the argument. */
static void refused(const char *path, const char *token, const char *query)
{
	char url[300];
	e2e_resp r;

	snprintf(url, sizeof url, "%s%s%s", path, strchr(path, '?') ? "&" : "?", query);
	E2E_CALL(&W.s, 400, "GET", url, token, NULL, &r);
	E2E_PROBLEM(&r, 400, "invalid_input");
	e2e_resp_free(&r);
}

static char *approve(const char *request_id)
{
	char path[160], code[7];
	e2e_resp r;
	char *receipt_cid;

	snprintf(path, sizeof path, "/v1/me/consent-requests/%s/approve", request_id);
	e2e_totp_fresh(W.uri_p, &W.last_p, code);
	E2E_CALL(&W.s, 201, "POST", path, W.session_p, e2e_body_approve(code, NULL), &r);
	assert_str_eq(e2e_jstr(r.json, "receipt/receipt/version"), "vaultd-consent-receipt/2");
	receipt_cid = e2e_jdup(r.json, "receipt/receipt/citizen_id");
	e2e_resp_free(&r);
	return receipt_cid;
}

/* A pending request of P's from agency token, by id (the first in P's list that it made). */
static char *pending_of(const char *agency_id)
{
	e2e_resp r;
	json_t *v;
	size_t i;
	char *id = NULL;

	E2E_CALL(&W.s, 200, "GET", "/v1/me/consent-requests?limit=200", W.session_p, NULL, &r);
	json_array_foreach(e2e_jget(r.json, "requests"), i, v)
		if (id == NULL && strcmp(e2e_or_null(e2e_jstr(v, "agency/id")), agency_id) == 0)
			id = e2e_jdup(v, "id");
	e2e_resp_free(&r);
	assert_non_null(id);
	return id;
}

/*
 * Consent receipts name the citizen by the agency's pseudonym: one agency's receipts for one
 * citizen share it (and it is what the agency's lookups call the citizen), two agencies' share
 * no id at all.
 */
static void test_receipts_name_the_citizen_per_agency(void **state)
{
	char *h1, *h2, *c1, *id;
	e2e_resp r;

	(void)state;
	id = pending_of(W.hospital_id), h1 = approve(id), free(id);
	id = pending_of(W.hospital_id), h2 = approve(id), free(id);
	id = pending_of(W.clinic_id), c1 = approve(id), free(id);
	assert_non_null(h1), assert_non_null(h2), assert_non_null(c1);
	assert_string_equal(h1, h2);
	assert_string_not_equal(h1, c1);
	/* the hospital's lookups call the citizen by the same pseudonym */
	E2E_CALL(&W.s, 200, "POST", "/v1/lookup", W.hospital, e2e_body_lookup(NID_P, "treatment", NULL, NULL), &r);
	assert_str_eq(e2e_jstr(r.json, "citizen_id"), h1);
	e2e_resp_free(&r);
	/* and the citizen's own id is in neither */
	E2E_CALL(&W.s, 200, "GET", "/v1/me", W.session_p, NULL, &r);
	assert_str_ne(e2e_jstr(r.json, "citizen_id"), h1);
	assert_str_ne(e2e_jstr(r.json, "citizen_id"), c1);
	e2e_resp_free(&r);
	free(h1), free(h2), free(c1);
}

/* Every list route, walked with a small limit; and every list's bounds refused. */
static void test_every_list_is_paged(void **state)
{
	static const char *const bad[] = {"limit=0", "limit=201", "limit=abc", "limit=-1", "after=-5", "after=x"};
	char tokens_path[128], *admin = W.s.admin_token;
	struct {
		const char *path, *member;
		char **token;
		size_t limit, min;
		int id_cursor;
	} lists[] = {
		{"/v1/me/consent-requests", "requests", &W.session_p, 2, 4, 1},
		{"/v1/me/consents", "consents", &W.session_p, 2, 3, 1},
		{"/v1/me/access-log", "entries", &W.session_p, 2, 4, 0},
		{"/v1/reviews", "reviews", &W.officer, 2, 3, 0},
		{"/v1/reports/access?from=0&to=4102444800", "rows", &W.officer, 1, 3, 0},
		{"/v1/audit", "entries", &W.officer, 25, 40, 0},
		{tokens_path, "tokens", &admin, 1, 3, 0},
	};
	e2e_resp r;
	size_t i, j;

	(void)state;
	/* enough of each: P's pending requests (from test_pending_requests_are_capped), three
	 * emergency accesses to review, lookups by three agencies for the report */
	for (i = 0; i < 3; i++) {
		E2E_CALL(&W.s, 200, "POST", "/v1/lookup", W.emergency,
		    e2e_body_lookup(NID_P, "emergency_care", NULL, "found unconscious in the street"), &r);
		e2e_resp_free(&r);
	}
	E2E_CALL(&W.s, 403, "POST", "/v1/lookup", W.clinic, e2e_body_lookup(NID_P, "no_such_purpose", NULL, NULL), &r);
	e2e_resp_free(&r);
	free(ask(W.clinic, NID_P, "checkup", 202));
	free(ask(W.clinic, NID_P, "checkup", 202));
	/* the clinic's tokens: two more, the first still valid for an hour */
	snprintf(tokens_path, sizeof tokens_path, "/v1/agencies/%s/tokens", W.clinic_id);
	for (i = 0; i < 2; i++) {
		E2E_CALL(&W.s, 201, "POST", tokens_path, admin, json_pack("{s:i}", "grace_seconds", 3600), &r);
		e2e_resp_free(&r);
	}
	for (i = 0; i < sizeof lists / sizeof lists[0]; i++) {
		size_t n = walk(lists[i].path, *lists[i].token, lists[i].member, lists[i].limit, lists[i].id_cursor);

		if (n < lists[i].min)
			fail_msg("%s: %zu items, fewer than the %zu the test made", lists[i].path, n, lists[i].min);
		for (j = 0; j < sizeof bad / sizeof bad[0]; j++)
			refused(lists[i].path, *lists[i].token, strcmp(lists[i].path, "/v1/audit") == 0 &&
			                                                strcmp(bad[j], "limit=201") == 0
			                                            ? "limit=1001" /* the audit view's bound */
			                                            : bad[j]);
		if (lists[i].id_cursor) /* a number, or an id of another list, is no cursor of these */
			refused(lists[i].path, *lists[i].token, i == 0 ? "after=2" : "after=xx_0123456789abcdef");
	}
	/* the default page: at most PAGE_MAX items, with next */
	E2E_CALL(&W.s, 200, "GET", "/v1/me/access-log", W.session_p, NULL, &r);
	assert_true(json_array_size(e2e_jget(r.json, "entries")) <= PAGE_MAX);
	assert_non_null(json_object_get(r.json, "next"));
	e2e_resp_free(&r);
}

static int64_t checkpoints(void)
{
	char *key = test_path(W.s.data, "master.key");
	vault_unlock u = {0};
	vault *v = NULL;
	util_err err;
	sqlite3_stmt *s;
	int64_t n = -1;

	u.key_file = key;
	if (vault_open(&v, W.s.data, &u, &err) != 0)
		fail_msg("open the vault beside vaultd: %s", err.msg);
	if (sqlite3_prepare_v2(vault_sql_db(v), "SELECT count(*) FROM audit.audit_checkpoints", -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			n = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	vault_close(v);
	free(key);
	assert_true(n >= 0);
	return n;
}

/*
 * A citizen who reads their record and then the proof of that read, READS times, makes READS
 * entries but no checkpoint of their own: checkpoints keep their cadence (1,000 entries or
 * 60 s; one due by time may fall in the test). Each proof still verifies with the vault's key.
 */
static void test_reading_proofs_keeps_the_checkpoint_cadence(void **state)
{
	int64_t before = checkpoints(), after;
	e2e_resp r, p;
	int i;

	(void)state;
	for (i = 0; i < READS; i++) {
		char path[100];
		unsigned char leaf[32], root[32], *proof;
		long long seq;
		int64_t size;
		size_t n, j;
		const char *entry, *last = NULL;
		json_t *e;

		E2E_CALL(&W.s, 200, "GET", "/v1/me", W.session_p, NULL, &r);
		e2e_resp_free(&r);
		/* the newest entry, the read just made (found whatever the list's order) */
		E2E_CALL(&W.s, 200, "GET", "/v1/me/access-log?limit=200", W.session_p, NULL, &r);
		seq = -1;
		json_array_foreach(e2e_jget(r.json, "entries"), j, e)
			if (e2e_jint(e, "seq") > seq)
				seq = e2e_jint(e, "seq"), last = e2e_jstr(e, "action");
		assert_str_eq(last, "record.read");
		e2e_resp_free(&r);
		snprintf(path, sizeof path, "/v1/me/access-log/%lld/proof", seq);
		E2E_CALL(&W.s, 200, "GET", path, W.session_p, NULL, &p);
		if (e2e_checkpoint_parse(e2e_jstr(p.json, "checkpoint"), W.pk, NULL, 0, &size, root) != 0)
			fail_msg("the proof's checkpoint does not verify: %s", p.body);
		assert_int_equal(e2e_jint(p.json, "tree_size"), size);
		assert_true(size > seq);
		entry = e2e_jstr(p.json, "entry");
		assert_non_null(entry);
		e2e_leaf_hash(entry, strlen(entry), leaf);
		assert_int_equal(e2e_hashes_decode(e2e_jget(p.json, "proof"), &proof, &n), 0);
		if (!e2e_verify_inclusion(seq, size, leaf, proof, n, root))
			fail_msg("the inclusion proof of entry %lld does not verify: %s", seq, p.body);
		free(proof);
		e2e_resp_free(&p);
	}
	after = checkpoints();
	if (after - before > 1)
		fail_msg("%d reads of a proof stored %lld checkpoints", READS, (long long)(after - before));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_erased_ids_answer_like_never_enrolled_ones),
		cmocka_unit_test(test_pending_requests_are_capped),
		cmocka_unit_test(test_receipts_name_the_citizen_per_agency),
		cmocka_unit_test(test_every_list_is_paged),
		cmocka_unit_test(test_reading_proofs_keeps_the_checkpoint_cadence),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
