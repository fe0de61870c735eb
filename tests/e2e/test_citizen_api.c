/* test_citizen_api.c: what a citizen's pages read: the restriction in /v1/me, requests explained, consents' states, receipts again, a reused step-up code. */
#include "harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "../../policy/policy.h"

#define NID_P "036095000811" /* the citizen whose pages are read */
#define NID_Q "036095000822" /* another citizen, who must see nothing of P's */

typedef struct world {
	e2e_server s;
	char *registrar, *hospital, *hospital_id;
	char *uri_p, *session_p, *uri_q, *session_q;
	int64_t last_p, last_q;
	unsigned char pk[32];
} world;

static world W;

/* Enrols nid and signs them in: the session token; *uri their TOTP URI, *last the step their login spent. */
static char *citizen(const char *nid, char **uri, int64_t *last)
{
	char code[7], *tok;
	e2e_resp r;

	E2E_CALL(&W.s, 201, "POST", "/v1/citizens", W.registrar,
	    e2e_body_citizen(nid, json_pack("{s:s, s:s, s:s}", "full_name", "Lê Văn Cổng", "date_of_birth", "1988-02-03",
	                              "chronic_conditions", "Hen suyễn")),
	    &r);
	*uri = e2e_jdup(r.json, "totp_uri");
	e2e_resp_free(&r);
	e2e_totp_fresh(*uri, last, code);
	E2E_CALL(&W.s, 201, "POST", "/v1/sessions", NULL, e2e_body_citizen_login(nid, code), &r);
	tok = e2e_jdup(r.json, "token");
	e2e_resp_free(&r);
	return tok;
}

static int setup(void **state)
{
	char *id = NULL;
	e2e_resp r;
	size_t n = 0;

	(void)state;
	if (vault_init() != 0)
		return -1;
	json_set_alloc_funcs(malloc, free); /* the harness frees what jansson allocates with free() */
	if (e2e_start(&W.s) != 0)
		return -1;
	W.registrar = e2e_agency(&W.s, "Registry", (const char *[]){"registrar"}, 1, &id);
	free(id);
	W.hospital = e2e_agency(&W.s, "Bệnh viện Chợ Rẫy", (const char *[]){"consumer"}, 1, &W.hospital_id);
	E2E_CALL(&W.s, 201, "POST", "/v1/purposes", W.s.admin_token,
	    e2e_body_purpose(W.hospital_id, "treatment", "Medical treatment", "consent", NULL,
	        e2e_strings("full_name", "date_of_birth", "chronic_conditions", NULL), 365, 90),
	    &r);
	e2e_resp_free(&r);
	W.session_p = citizen(NID_P, &W.uri_p, &W.last_p);
	W.session_q = citizen(NID_Q, &W.uri_q, &W.last_q);
	E2E_CALL(&W.s, 200, "GET", "/v1/keys", NULL, NULL, &r);
	if (e2e_jstr(r.json, "public_key") == NULL ||
	    sodium_base642bin(W.pk, 32, e2e_jstr(r.json, "public_key"), strlen(e2e_jstr(r.json, "public_key")), NULL, &n,
	        NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    n != 32)
		fail_msg("no public key: %s", r.body);
	e2e_resp_free(&r);
	return W.registrar && W.hospital && W.session_p && W.session_q ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	e2e_stop(&W.s);
	free(W.registrar), free(W.hospital), free(W.hospital_id);
	free(W.uri_p), free(W.session_p), free(W.uri_q), free(W.session_q);
	return 0;
}

/* The hospital asks P for fields (NULL: all of the purpose's) for days: the request's id. */
static char *ask(json_t *fields, int days)
{
	e2e_resp r;
	char *id;

	E2E_CALL(&W.s, 202, "POST", "/v1/consent-requests", W.hospital,
	    e2e_body_consent_request(NID_P, "treatment", fields, days), &r);
	id = e2e_jdup(r.json, "id");
	e2e_resp_free(&r);
	return id;
}

/* P approves request id, every field, with use_limit: the approval's answer (free it). */
static void approve(const char *id, int use_limit, e2e_resp *r)
{
	char path[160], code[7];
	json_t *body;

	snprintf(path, sizeof path, "/v1/me/consent-requests/%s/approve", id);
	e2e_totp_fresh(W.uri_p, &W.last_p, code);
	body = e2e_body_approve(code, NULL);
	if (use_limit > 0)
		json_object_set_new(body, "use_limit", json_integer(use_limit));
	E2E_CALL(&W.s, 201, "POST", path, W.session_p, body, r);
}

/* What the hospital reads of its request id. */
static void request_status_is(const char *id, const char *want)
{
	char path[160];
	e2e_resp r;

	snprintf(path, sizeof path, "/v1/consent-requests/%s", id);
	E2E_CALL(&W.s, 200, "GET", path, W.hospital, NULL, &r);
	assert_str_eq(e2e_jstr(r.json, "status"), want);
	e2e_resp_free(&r);
}

/* P's consent id in P's list: its state, status and uses must be these. */
static void consent_is(const char *id, const char *state, const char *status, long long uses)
{
	e2e_resp r;
	json_t *c, *found = NULL;
	size_t i;

	E2E_CALL(&W.s, 200, "GET", "/v1/me/consents?limit=200", W.session_p, NULL, &r);
	json_array_foreach(e2e_jget(r.json, "consents"), i, c)
		if (strcmp(e2e_or_null(e2e_jstr(c, "id")), id) == 0)
			found = c;
	if (found == NULL)
		fail_msg("consent %s is not in the list: %s", id, r.body);
	assert_str_eq(e2e_jstr(found, "state"), state);
	assert_str_eq(e2e_jstr(found, "status"), status);
	assert_int_equal(e2e_jint(found, "uses"), uses);
	assert_str_eq(e2e_jstr(found, "agency/name"), "Bệnh viện Chợ Rẫy");
	assert_str_eq(e2e_jstr(found, "purpose/description/en"), "Medical treatment");
	assert_int_equal(e2e_jint(found, "retention_days"), 90);
	assert_non_null(e2e_jstr(found, "granted_at"));
	assert_non_null(e2e_jstr(found, "expires_at"));
	assert_int_equal(json_array_size(e2e_jget(found, "fields")), 3);
	e2e_resp_free(&r);
}

static void restrict_p(const char *method)
{
	char code[7];
	e2e_resp r;

	e2e_totp_fresh(W.uri_p, &W.last_p, code);
	E2E_CALL(&W.s, 200, method, "/v1/me/restriction", W.session_p, e2e_body_totp(code), &r);
	e2e_resp_free(&r);
}

/* How many entries of P's access log are reads of their record. */
static size_t record_reads(void)
{
	e2e_resp r;
	json_t *e;
	size_t i, n = 0;

	E2E_CALL(&W.s, 200, "GET", "/v1/me/access-log?limit=200", W.session_p, NULL, &r);
	json_array_foreach(e2e_jget(r.json, "entries"), i, e)
		n += strcmp(e2e_or_null(e2e_jstr(e, "action")), "record.read") == 0;
	e2e_resp_free(&r);
	return n;
}

/* GET /v1/me/restriction: the state /v1/me says too, each time, and no read of the record logged. */
static void restriction_is(int on)
{
	size_t before = record_reads();
	e2e_resp r;
	int i;

	for (i = 0; i < 3; i++) {
		E2E_CALL(&W.s, 200, "GET", "/v1/me/restriction", W.session_p, NULL, &r);
		assert_int_equal(e2e_jbool(r.json, "restricted"), on);
		assert_int_equal(json_is_string(e2e_jget(r.json, "restricted_since")), on);
		assert_int_equal(json_object_size(r.json), 2);
		e2e_resp_free(&r);
	}
	assert_int_equal(record_reads(), before);
}

/*
 * /v1/me says whether processing is restricted and since when; so does GET /v1/me/restriction,
 * which reads nothing of the record and so logs nothing.
 */
static void test_me_carries_the_restriction(void **state)
{
	e2e_resp r;

	(void)state;
	restriction_is(0);
	E2E_CALL(&W.s, 200, "GET", "/v1/me", W.session_p, NULL, &r);
	assert_int_equal(e2e_jbool(r.json, "restricted"), 0);
	assert_true(json_is_null(e2e_jget(r.json, "restricted_since")));
	assert_non_null(e2e_jget(r.json, "fields/full_name")); /* as before */
	e2e_resp_free(&r);
	restrict_p("PUT");
	E2E_CALL(&W.s, 200, "GET", "/v1/me", W.session_p, NULL, &r);
	assert_int_equal(e2e_jbool(r.json, "restricted"), 1);
	assert_non_null(e2e_jstr(r.json, "restricted_since"));
	assert_int_equal(strlen(e2e_jstr(r.json, "restricted_since")), 20); /* 2026-01-02T03:04:05Z */
	e2e_resp_free(&r);
	restriction_is(1);
	/* Q's own state is Q's */
	E2E_CALL(&W.s, 200, "GET", "/v1/me", W.session_q, NULL, &r);
	assert_int_equal(e2e_jbool(r.json, "restricted"), 0);
	e2e_resp_free(&r);
	restrict_p("DELETE");
	E2E_CALL(&W.s, 200, "GET", "/v1/me", W.session_p, NULL, &r);
	assert_int_equal(e2e_jbool(r.json, "restricted"), 0);
	assert_true(json_is_null(e2e_jget(r.json, "restricted_since")));
	e2e_resp_free(&r);
}

/* A pending request says everything a citizen needs to decide, in words, and only to its citizen. */
static void test_pending_request_is_explained(void **state)
{
	char *id = ask(e2e_strings("full_name", "chronic_conditions", NULL), 30);
	e2e_resp r;
	json_t *q = NULL, *v, *f;
	size_t i;

	(void)state;
	E2E_CALL(&W.s, 200, "GET", "/v1/me/consent-requests?limit=200", W.session_p, NULL, &r);
	json_array_foreach(e2e_jget(r.json, "requests"), i, v)
		if (strcmp(e2e_or_null(e2e_jstr(v, "id")), id) == 0)
			q = v;
	if (q == NULL)
		fail_msg("request %s is not in P's list: %s", id, r.body);
	assert_str_eq(e2e_jstr(q, "agency/id"), W.hospital_id);
	assert_str_eq(e2e_jstr(q, "agency/name"), "Bệnh viện Chợ Rẫy");
	assert_str_eq(e2e_jstr(q, "purpose/code"), "treatment");
	assert_str_eq(e2e_jstr(q, "purpose/description/en"), "Medical treatment");
	assert_non_null(e2e_jstr(q, "purpose/description/vi"));
	assert_str_eq(e2e_jstr(q, "legal_basis"), "consent");
	assert_int_equal(e2e_jint(q, "days"), 30);
	assert_int_equal(e2e_jint(q, "retention_days"), 90);
	assert_non_null(e2e_jstr(q, "expires_at"));
	assert_non_null(e2e_jstr(q, "created_at"));
	assert_int_equal(json_array_size(e2e_jget(q, "fields")), 2);
	f = e2e_jget(q, "fields/0");
	assert_str_eq(e2e_jstr(f, "name"), "full_name");
	assert_str_eq(e2e_jstr(f, "description/vi"), "Họ và tên");
	assert_str_eq(e2e_jstr(f, "description/en"), "Full name");
	assert_int_equal(e2e_jbool(f, "sensitive"), 0);
	f = e2e_jget(q, "fields/1");
	assert_str_eq(e2e_jstr(f, "name"), "chronic_conditions");
	assert_int_equal(e2e_jbool(f, "sensitive"), 1); /* health data (the catalog's category) */
	assert_str_eq(e2e_jstr(f, "category"), "sensitive");
	e2e_resp_free(&r);
	/* Q sees no request of P's, and cannot page from one */
	E2E_CALL(&W.s, 200, "GET", "/v1/me/consent-requests", W.session_q, NULL, &r);
	assert_int_equal(json_array_size(e2e_jget(r.json, "requests")), 0);
	assert_null(strstr(r.body, id));
	e2e_resp_free(&r);
	{
		char path[160];

		snprintf(path, sizeof path, "/v1/me/consent-requests?after=%s", id);
		E2E_CALL(&W.s, 400, "GET", path, W.session_q, NULL, &r);
		E2E_PROBLEM(&r, 400, "invalid_input");
		e2e_resp_free(&r);
	}
	free(id);
}

/*
 * A consent through its states, as its citizen and its agency see it: active, restricted (the
 * agency still reads approved: a restriction is the citizen's), used up, revoked.
 */
static void test_consent_states_and_request_status_follow(void **state)
{
	char *once = ask(NULL, 30), *open = NULL, *c_once, *c_open;
	e2e_resp r;

	(void)state;
	approve(once, 1, &r);
	c_once = e2e_jdup(r.json, "consent_id");
	e2e_resp_free(&r);
	request_status_is(once, "approved");
	consent_is(c_once, "active", "active", 0);
	/* used: the one-time consent is used up, and its request says so */
	E2E_CALL(&W.s, 200, "POST", "/v1/lookup", W.hospital, e2e_body_lookup(NID_P, "treatment", NULL, NULL), &r);
	e2e_resp_free(&r);
	consent_is(c_once, "used_up", "used", 1);
	request_status_is(once, "used_up");
	/* another, restricted: the citizen sees restricted, the agency approved */
	open = ask(NULL, 30);
	approve(open, 0, &r);
	c_open = e2e_jdup(r.json, "consent_id");
	e2e_resp_free(&r);
	restrict_p("PUT");
	consent_is(c_open, "restricted", "active", 0);
	consent_is(c_once, "used_up", "used", 1);
	request_status_is(open, "approved");
	restrict_p("DELETE");
	consent_is(c_open, "active", "active", 0);
	/* revoked */
	{
		char path[160];

		snprintf(path, sizeof path, "/v1/me/consents/%s", c_open);
		E2E_CALL(&W.s, 200, "DELETE", path, W.session_p, NULL, &r);
		e2e_resp_free(&r);
	}
	consent_is(c_open, "revoked", "revoked", 0);
	request_status_is(open, "revoked");
	free(once), free(open), free(c_once), free(c_open);
}

/* A receipt fetched again is the approval's answer, byte for byte, and verifies; only its citizen gets it. */
static void test_receipt_fetched_again(void **state)
{
	char *id = ask(NULL, 7), *consent, path[200], *doc;
	e2e_resp a, r;
	util_err err;

	(void)state;
	approve(id, 0, &a);
	consent = e2e_jdup(a.json, "consent_id");
	snprintf(path, sizeof path, "/v1/me/consents/%s/receipt", consent);
	E2E_CALL(&W.s, 200, "GET", path, W.session_p, NULL, &r);
	assert_string_equal(r.body, a.body);
	doc = json_dumps(e2e_jget(r.json, "receipt"), JSON_COMPACT);
	assert_non_null(doc);
	if (policy_receipt_verify(doc, strlen(doc), W.pk, &err) != 0)
		fail_msg("the receipt fetched again does not verify: %s", err.msg);
	free(doc);
	e2e_resp_free(&r);
	/* still there once revoked: the citizen's record of what they agreed to */
	snprintf(path, sizeof path, "/v1/me/consents/%s", consent);
	E2E_CALL(&W.s, 200, "DELETE", path, W.session_p, NULL, &r);
	e2e_resp_free(&r);
	snprintf(path, sizeof path, "/v1/me/consents/%s/receipt", consent);
	E2E_CALL(&W.s, 200, "GET", path, W.session_p, NULL, &r);
	assert_string_equal(r.body, a.body);
	e2e_resp_free(&r);
	/* another citizen, an agency, an unknown or malformed id: nothing */
	E2E_CALL(&W.s, 404, "GET", path, W.session_q, NULL, &r);
	E2E_PROBLEM(&r, 404, "not_found");
	e2e_resp_free(&r);
	E2E_CALL(&W.s, 403, "GET", path, W.hospital, NULL, &r);
	e2e_resp_free(&r);
	E2E_CALL(&W.s, 404, "GET", "/v1/me/consents/co_0123456789abcdef/receipt", W.session_p, NULL, &r);
	E2E_PROBLEM(&r, 404, "not_found");
	e2e_resp_free(&r);
	E2E_CALL(&W.s, 404, "GET", "/v1/me/consents/CO%27x/receipt", W.session_p, NULL, &r);
	e2e_resp_free(&r);
	e2e_resp_free(&a);
	free(id), free(consent);
}

/* One answer read off the socket, for the header the harness does not show. */
typedef struct raw_answer {
	long status;
	long long retry_after; /* -1: no Retry-After */
	char code[48];
	char body[1024];
} raw_answer;

/* method path with a JSON body and a bearer token (may be NULL), over a socket of its own. */
static void raw(const char *method, const char *path, const char *token, const char *body, raw_answer *a)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(W.s.port)};
	char req[2048], buf[4096], *h;
	size_t got = 0;
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM, 0), w;
	json_t *j;

	memset(a, 0, sizeof *a);
	a->retry_after = -1;
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof to) != 0)
		fail_msg("connect to vaultd");
	w = snprintf(req, sizeof req,
	    "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s%s%sContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\n\r\n%s",
	    method, path, token ? "Authorization: Bearer " : "", token ? token : "", token ? "\r\n" : "", strlen(body),
	    body);
	assert_int_equal(write(fd, req, (size_t)w), w);
	while (got < sizeof buf - 1 && (n = read(fd, buf + got, sizeof buf - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = '\0';
	if (sscanf(buf, "HTTP/1.1 %ld", &a->status) != 1)
		fail_msg("%s %s: no status line", method, path);
	if ((h = strcasestr(buf, "\r\nRetry-After:")) != NULL)
		a->retry_after = strtoll(h + 14, NULL, 10);
	if ((h = strstr(buf, "\r\n\r\n")) != NULL) {
		snprintf(a->body, sizeof a->body, "%s", h + 4);
		if ((j = json_loads(a->body, 0, NULL)) != NULL) {
			snprintf(a->code, sizeof a->code, "%s", e2e_or_null(e2e_jstr(j, "code")));
			json_decref(j);
		}
	}
}

/*
 * A step-up with the code just used (the login's, the usual slip) says so, with the seconds
 * until the next code, and costs no attempt: more of them than any budget holds never lead to
 * a 429. A wrong code is still invalid_totp. At a login the same code answers as a wrong one,
 * like an ID that is not enrolled: the login tells nothing by it.
 */
static void test_reused_step_up_code_says_wait(void **state)
{
	char code[7], body[64], next[7];
	raw_answer a, never;
	e2e_resp r;
	int i;

	(void)state;
	e2e_totp_fresh(W.uri_q, &W.last_q, code);
	snprintf(body, sizeof body, "{\"national_id\":\"%s\",\"totp\":\"%s\"}", NID_Q, code);
	raw("POST", "/v1/sessions", NULL, body, &a);
	assert_int_equal(a.status, 201);
	/* the login's code again, at a step-up: more times than the 5 failures a budget holds */
	snprintf(body, sizeof body, "{\"totp\":\"%s\"}", code);
	for (i = 0; i < 8; i++) {
		raw("PUT", "/v1/me/restriction", W.session_q, body, &a);
		if (a.status != 409 || strcmp(a.code, "totp_reused") != 0)
			fail_msg("a reused step-up code answered %ld: %s", a.status, a.body);
		if (a.retry_after < 1 || a.retry_after > 60)
			fail_msg("Retry-After %lld, want 1..60 (the next 30-s step)", a.retry_after);
	}
	E2E_CALL(&W.s, 200, "GET", "/v1/me", W.session_q, NULL, &r);
	assert_int_equal(e2e_jbool(r.json, "restricted"), 0); /* nothing changed */
	e2e_resp_free(&r);
	/* a wrong code is still a wrong code */
	snprintf(body, sizeof body, "{\"totp\":\"%s\"}", strcmp(code, "000000") == 0 ? "999999" : "000000");
	raw("PUT", "/v1/me/restriction", W.session_q, body, &a);
	assert_int_equal(a.status, 401);
	assert_string_equal(a.code, "invalid_totp");
	/* at a login, the spent code is answered as a wrong one, byte for byte as for an ID never enrolled */
	snprintf(body, sizeof body, "{\"national_id\":\"%s\",\"totp\":\"%s\"}", NID_Q, code);
	raw("POST", "/v1/sessions", NULL, body, &a);
	snprintf(body, sizeof body, "{\"national_id\":\"%s\",\"totp\":\"%s\"}", "036095000899", code);
	raw("POST", "/v1/sessions", NULL, body, &never);
	assert_int_equal(a.status, 401);
	assert_string_equal(a.code, "invalid_totp");
	assert_int_equal(a.retry_after, -1);
	assert_int_equal(never.status, 401);
	assert_string_equal(a.body, never.body);
	/* the next code passes: none of the reused ones was counted */
	e2e_totp_fresh(W.uri_q, &W.last_q, next);
	E2E_CALL(&W.s, 200, "PUT", "/v1/me/restriction", W.session_q, e2e_body_totp(next), &r);
	e2e_resp_free(&r);
	e2e_totp_fresh(W.uri_q, &W.last_q, next);
	E2E_CALL(&W.s, 200, "DELETE", "/v1/me/restriction", W.session_q, e2e_body_totp(next), &r);
	e2e_resp_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_me_carries_the_restriction),
		cmocka_unit_test(test_pending_request_is_explained),
		cmocka_unit_test(test_consent_states_and_request_status_follow),
		cmocka_unit_test(test_receipt_fetched_again),
		cmocka_unit_test(test_reused_step_up_code_says_wait),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
