/* test_consent_commit.c: consent changes from many callers at once, through vaultd's group commit: each answered, each logged, a revocation still stops the next lookup. */
#include "harness.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CITIZENS 8

typedef struct citizen {
	char nid[13];
	char *uri, *session;
	int64_t last;
	/* what its thread saw: an empty why when every answer was the one expected */
	char why[512];
	char *consent;
} citizen;

typedef struct world {
	e2e_server s;
	char *registrar, *hospital, *hospital_id, *officer;
	citizen cz[CITIZENS];
} world;

static world W;

static void citizen_enrol(citizen *c, int i)
{
	char code[7];
	e2e_resp r;

	snprintf(c->nid, sizeof c->nid, "0360950008%02d", i);
	E2E_CALL(&W.s, 201, "POST", "/v1/citizens", W.registrar,
	    e2e_body_citizen(c->nid, json_pack("{s:s, s:s, s:s}", "full_name", "Lê Văn Đồng Thời", "date_of_birth",
	                                 "1991-02-03", "blood_type", "B+")),
	    &r);
	c->uri = e2e_jdup(r.json, "totp_uri");
	e2e_resp_free(&r);
	e2e_totp_fresh(c->uri, &c->last, code);
	E2E_CALL(&W.s, 201, "POST", "/v1/sessions", NULL, e2e_body_citizen_login(c->nid, code), &r);
	c->session = e2e_jdup(r.json, "token");
	e2e_resp_free(&r);
}

static int setup(void **state)
{
	char code[7], *officer_id, *officer_uri;
	int64_t last = 0;
	e2e_resp r;
	int i;

	(void)state;
	if (vault_init() != 0)
		return -1;
	json_set_alloc_funcs(malloc, free); /* the harness frees what jansson allocates with free() */
	if (e2e_start(&W.s) != 0)
		return -1;
	W.registrar = e2e_agency(&W.s, "Registry", (const char *[]){"registrar"}, 1, NULL);
	W.hospital = e2e_agency(&W.s, "Hospital", (const char *[]){"consumer"}, 1, &W.hospital_id);
	E2E_CALL(&W.s, 201, "POST", "/v1/purposes", W.s.admin_token,
	    e2e_body_purpose(W.hospital_id, "treatment", "Treatment", "consent", NULL,
	        e2e_strings("full_name", "blood_type", NULL), 365, 30),
	    &r);
	e2e_resp_free(&r);
	E2E_CALL(&W.s, 201, "POST", "/v1/officers", W.s.admin_token, e2e_body_officer("Officer"), &r);
	officer_id = e2e_jdup(r.json, "id");
	officer_uri = e2e_jdup(r.json, "totp_uri");
	e2e_resp_free(&r);
	e2e_totp_fresh(officer_uri, &last, code);
	E2E_CALL(&W.s, 201, "POST", "/v1/sessions", NULL, e2e_body_officer_login(officer_id, code), &r);
	W.officer = e2e_jdup(r.json, "token");
	e2e_resp_free(&r);
	free(officer_id);
	free(officer_uri);
	for (i = 0; i < CITIZENS; i++)
		citizen_enrol(&W.cz[i], i);
	return W.registrar && W.hospital && W.officer ? 0 : -1;
}

static int teardown(void **state)
{
	int i;

	(void)state;
	e2e_stop(&W.s);
	for (i = 0; i < CITIZENS; i++) {
		free(W.cz[i].uri);
		free(W.cz[i].session);
		free(W.cz[i].consent);
	}
	free(W.registrar), free(W.hospital), free(W.hospital_id), free(W.officer);
	return 0;
}

/*
 * One request from a thread: no cmocka assertion off the main thread, so a wrong answer is
 * noted in c->why (the first one only). Returns the answer's json (a new reference) or NULL.
 */
static json_t *call(citizen *c, long want, const char *method, const char *path, const char *token, json_t *body)
{
	e2e_resp r;
	json_t *j;
	long got;
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;

	json_decref(body);
	got = e2e_req(&W.s, method, path, token, text, &r);
	free(text);
	if (got != want && c->why[0] == '\0')
		snprintf(c->why, sizeof c->why, "%s %s: %ld, not %ld: %.300s", method, path, got, want, r.body ? r.body : "");
	j = got == want ? json_incref(r.json) : NULL;
	e2e_resp_free(&r);
	return j;
}

static char *dup_of(json_t *j, const char *key)
{
	char *s = e2e_jdup(j, key);

	json_decref(j);
	return s;
}

/* A citizen's changes, while the others make theirs: request, approve, lookup, revoke, lookup; request, deny. */
static void *changes(void *arg)
{
	citizen *c = arg;
	char path[160], code[7], *req, *other;
	json_t *j;

	req = dup_of(call(c, 202, "POST", "/v1/consent-requests", W.hospital,
	                 e2e_body_consent_request(c->nid, "treatment", NULL, 30)),
	    "id");
	snprintf(path, sizeof path, "/v1/me/consent-requests/%s/approve", req ? req : "none");
	e2e_totp_fresh(c->uri, &c->last, code);
	c->consent = dup_of(call(c, 201, "POST", path, c->session, e2e_body_approve(code, NULL)), "consent_id");
	json_decref(call(c, 200, "POST", "/v1/lookup", W.hospital, e2e_body_lookup(c->nid, "treatment", NULL, NULL)));
	snprintf(path, sizeof path, "/v1/me/consents/%s", c->consent ? c->consent : "none");
	json_decref(call(c, 200, "DELETE", path, c->session, NULL));
	/* the very next lookup, right after the answer: refused */
	j = call(c, 403, "POST", "/v1/lookup", W.hospital, e2e_body_lookup(c->nid, "treatment", NULL, NULL));
	if (j != NULL && strcmp(e2e_or_null(e2e_jstr(j, "code")), "not_permitted") != 0 && c->why[0] == '\0')
		snprintf(c->why, sizeof c->why, "the lookup after the revocation: %s", e2e_or_null(e2e_jstr(j, "code")));
	json_decref(j);
	other = dup_of(call(c, 202, "POST", "/v1/consent-requests", W.hospital,
	                   e2e_body_consent_request(c->nid, "treatment", NULL, 30)),
	    "id");
	snprintf(path, sizeof path, "/v1/me/consent-requests/%s/deny", other ? other : "none");
	json_decref(call(c, 200, "POST", path, c->session, NULL));
	free(req);
	free(other);
	return NULL;
}

/* How many entries of the citizen's access log have this action (and, when given, consent). */
static int logged(citizen *c, const char *action, const char *consent)
{
	e2e_resp r;
	json_t *e;
	size_t i;
	int n = 0;

	E2E_CALL(&W.s, 200, "GET", "/v1/me/access-log?limit=200", c->session, NULL, &r);
	json_array_foreach(e2e_jget(r.json, "entries"), i, e)
		n += strcmp(e2e_or_null(e2e_jstr(e, "action")), action) == 0 &&
		     (consent == NULL || strcmp(e2e_or_null(e2e_jstr(e, "consent")), consent) == 0);
	e2e_resp_free(&r);
	return n;
}

static void test_concurrent_changes_each_answered_and_logged(void **state)
{
	pthread_t th[CITIZENS];
	e2e_resp r;
	int i;

	(void)state;
	for (i = 0; i < CITIZENS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, changes, &W.cz[i]), 0);
	for (i = 0; i < CITIZENS; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < CITIZENS; i++) {
		citizen *c = &W.cz[i];

		if (c->why[0] != '\0')
			fail_msg("citizen %d: %s", i, c->why);
		assert_non_null(c->consent);
		assert_int_equal(logged(c, "consent.request", NULL), 2);
		assert_int_equal(logged(c, "consent.approve", c->consent), 1);
		assert_int_equal(logged(c, "consent.revoke", c->consent), 1);
		assert_int_equal(logged(c, "consent.deny", NULL), 1);
	}
	/* the log, with every change in it, verifies */
	E2E_CALL(&W.s, 200, "GET", "/v1/audit/verify", W.officer, NULL, &r);
	assert_int_equal(e2e_jbool(r.json, "ok"), 1);
	e2e_resp_free(&r);
}

/* A wrong code: the step-up's answer, as before, and the request still pending (its unit rolled back). */
static void test_failed_approval_leaves_the_request_pending(void **state)
{
	citizen *c = &W.cz[0];
	char path[160], *req;
	e2e_resp r;

	(void)state;
	E2E_CALL(&W.s, 202, "POST", "/v1/consent-requests", W.hospital, e2e_body_consent_request(c->nid, "treatment", NULL, 30),
	    &r);
	req = e2e_jdup(r.json, "id");
	e2e_resp_free(&r);
	snprintf(path, sizeof path, "/v1/me/consent-requests/%s/approve", req);
	E2E_CALL(&W.s, 401, "POST", path, c->session, e2e_body_approve("000000", NULL), &r);
	E2E_PROBLEM(&r, 401, "invalid_totp");
	e2e_resp_free(&r);
	snprintf(path, sizeof path, "/v1/consent-requests/%s", req);
	E2E_CALL(&W.s, 200, "GET", path, W.hospital, NULL, &r);
	assert_str_eq(e2e_jstr(r.json, "status"), "pending");
	e2e_resp_free(&r);
	free(req);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concurrent_changes_each_answered_and_logged),
		cmocka_unit_test(test_failed_approval_leaves_the_request_pending),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
