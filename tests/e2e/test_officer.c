/* test_officer.c: what an officer's pages read: the registry in pages, the audit log with names, the dashboard, reviews. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NID_A "001190004271"
#define NID_B "079085112233"
#define JUST "patient unconscious on arrival; blood type needed"

typedef struct agency {
	const char *name;
	char *id, *token;
} agency;

/* The world: a registrar, a hospital (consumer), an ambulance service (emergency), a suspended one. */
static struct world {
	e2e_server s;
	agency registrar, hospital, ambulance, closed;
	char *officer, *officer_uri, *session, *citizen_uri, *citizen_session;
	int64_t officer_last, citizen_last;
} W = {
	.registrar = {.name = "Sở Tư pháp Hà Nội"},
	.hospital = {.name = "Bệnh viện Chợ Rẫy"},
	.ambulance = {.name = "Trung tâm Cấp cứu 115"},
	.closed = {.name = "Phòng khám đã đóng"},
};

static void make_agency(agency *a, const char *const *roles, size_t n)
{
	e2e_resp r;

	E2E_CALL(&W.s, 201, "POST", "/v1/agencies", W.s.admin_token, e2e_body_agency(a->name, roles, n), &r);
	a->id = e2e_jdup(r.json, "id");
	a->token = e2e_jdup(r.json, "token");
	e2e_resp_free(&r);
}

static void make_purpose(const agency *a, const char *code, const char *desc, const char *basis, const char *ref,
    json_t *fields)
{
	e2e_resp r;

	E2E_CALL(&W.s, 201, "POST", "/v1/purposes", W.s.admin_token,
	    e2e_body_purpose(a->id, code, desc, basis, ref, fields, 365, 30), &r);
	e2e_resp_free(&r);
}

static char *session_of(const char *path_body_kind, const char *id, const char *uri, int64_t *last)
{
	char code[7];
	e2e_resp r;
	char *tok;

	e2e_totp_fresh(uri, last, code);
	E2E_CALL(&W.s, 201, "POST", "/v1/sessions", NULL,
	    strcmp(path_body_kind, "officer") == 0 ? e2e_body_officer_login(id, code) : e2e_body_citizen_login(id, code), &r);
	tok = e2e_jdup(r.json, "token");
	e2e_resp_free(&r);
	return tok;
}

/* A lookup by a, answered with want. */
static void lookup(const agency *a, long want, const char *nid, const char *code, const char *just)
{
	e2e_resp r;

	E2E_CALL(&W.s, want, "POST", "/v1/lookup", a->token, e2e_body_lookup(nid, code, NULL, just), &r);
	e2e_resp_free(&r);
}

static int setup(void **state)
{
	static const char *const reg[] = {"registrar"}, *const cons[] = {"consumer"},
	                         *const emer[] = {"consumer", "emergency"};
	char path[128];
	e2e_resp r;

	(void)state;
	if (e2e_start(&W.s) != 0)
		return -1;
	make_agency(&W.registrar, reg, 1);
	make_agency(&W.hospital, cons, 1);
	make_agency(&W.ambulance, emer, 2);
	make_agency(&W.closed, cons, 1);
	make_purpose(&W.hospital, "treatment", "Treatment", "consent", NULL, e2e_strings("full_name", "blood_type", NULL));
	make_purpose(&W.hospital, "statutory", "A duty in law", "legal_obligation", "Decree 356/2025/ND-CP, Art. 7",
	    e2e_strings("full_name", NULL));
	make_purpose(&W.ambulance, "emergency_care", "Emergency care", "vital_interest", NULL,
	    e2e_strings("full_name", "blood_type", NULL));
	snprintf(path, sizeof path, "/v1/agencies/%s/suspend", W.closed.id);
	E2E_CALL(&W.s, 200, "POST", path, W.s.admin_token, NULL, &r);
	e2e_resp_free(&r);
	E2E_CALL(&W.s, 201, "POST", "/v1/citizens", W.registrar.token,
	    e2e_body_citizen(NID_A, json_pack("{s:s, s:s}", "full_name", "Nguyễn Thị Thu Hà", "blood_type", "O+")), &r);
	W.citizen_uri = e2e_jdup(r.json, "totp_uri");
	e2e_resp_free(&r);
	E2E_CALL(&W.s, 201, "POST", "/v1/officers", W.s.admin_token, e2e_body_officer("Officer Page"), &r);
	W.officer = e2e_jdup(r.json, "id");
	W.officer_uri = e2e_jdup(r.json, "totp_uri");
	e2e_resp_free(&r);
	W.session = session_of("officer", W.officer, W.officer_uri, &W.officer_last);
	W.citizen_session = session_of("citizen", NID_A, W.citizen_uri, &W.citizen_last);
	/* the log gets lookups: allowed, denied, emergency */
	lookup(&W.hospital, 200, NID_A, "statutory", "annual statutory check");
	lookup(&W.hospital, 403, NID_A, "treatment", NULL);
	lookup(&W.hospital, 403, NID_B, "statutory", "annual statutory check");
	lookup(&W.ambulance, 200, NID_A, "emergency_care", JUST);
	lookup(&W.ambulance, 200, NID_A, "emergency_care", JUST);
	return 0;
}

static int teardown(void **state)
{
	agency *all[] = {&W.registrar, &W.hospital, &W.ambulance, &W.closed};
	size_t i;

	(void)state;
	e2e_stop(&W.s);
	for (i = 0; i < sizeof all / sizeof all[0]; i++)
		free(all[i]->id), free(all[i]->token);
	free(W.officer), free(W.officer_uri), free(W.session), free(W.citizen_uri), free(W.citizen_session);
	return 0;
}

/*
 * Every page of a list at path (with a query of its own, or none), limit items at a time, into
 * one array (a new reference): each page's next is the following page's after, and the last's null.
 */
static json_t *all_pages(const char *path, const char *key, const char *token, int limit)
{
	json_t *all = json_array();
	char url[512], after[32] = "";
	int pages = 0;

	for (;;) {
		e2e_resp r;
		json_t *next;

		snprintf(url, sizeof url, "%s%slimit=%d%s%s", path, strchr(path, '?') ? "&" : "?", limit, after[0] ? "&after=" : "",
		    after);
		E2E_CALL(&W.s, 200, "GET", url, token, NULL, &r);
		assert_true(json_array_size(e2e_jget(r.json, key)) <= (size_t)limit);
		json_array_extend(all, e2e_jget(r.json, key));
		next = e2e_jget(r.json, "next");
		assert_non_null(next);
		if (json_is_null(next)) {
			e2e_resp_free(&r);
			break;
		}
		assert_true(json_is_integer(next));
		assert_int_equal(json_array_size(e2e_jget(r.json, key)), limit); /* only the last page is short */
		snprintf(after, sizeof after, "%lld", (long long)json_integer_value(next));
		e2e_resp_free(&r);
		assert_true(++pages < 100);
	}
	return all;
}

/* The item of list whose key is value, or NULL. */
static json_t *find(json_t *list, const char *key, const char *value)
{
	size_t i;
	json_t *e;

	json_array_foreach(list, i, e)
		if (strcmp(e2e_or_null(json_string_value(json_object_get(e, key))), value) == 0)
			return e;
	return NULL;
}

/* ---- the registry ---- */

/* Agencies in pages, in the order registered, with names, roles and status; the operator reads them too. */
static void test_agencies_in_pages(void **state)
{
	json_t *all = all_pages("/v1/agencies", "agencies", W.session, 3), *a;
	json_t *by_admin = all_pages("/v1/agencies", "agencies", W.s.admin_token, 1);
	const agency *made[] = {&W.registrar, &W.hospital, &W.ambulance, &W.closed};
	size_t i;

	(void)state;
	assert_int_equal(json_array_size(all), 4);
	assert_true(json_equal(all, by_admin));
	for (i = 0; i < 4; i++) {
		assert_str_eq(e2e_jstr(json_array_get(all, i), "id"), made[i]->id);
		assert_str_eq(e2e_jstr(json_array_get(all, i), "name"), made[i]->name);
	}
	a = find(all, "id", W.ambulance.id);
	assert_int_equal(json_array_size(e2e_jget(a, "roles")), 2);
	assert_true(e2e_jarray_has(a, "roles", "consumer") && e2e_jarray_has(a, "roles", "emergency"));
	assert_str_eq(e2e_jstr(a, "status"), "active");
	assert_non_null(e2e_jstr(a, "created_at"));
	assert_str_eq(e2e_jstr(find(all, "id", W.closed.id), "status"), "suspended");
	assert_true(e2e_jarray_has(find(all, "id", W.registrar.id), "roles", "registrar"));
	json_decref(all);
	json_decref(by_admin);
}

/* Purposes in pages, with their agency's name, descriptions, basis, fields and limits; filtered by agency. */
static void test_purposes_in_pages(void **state)
{
	json_t *all = all_pages("/v1/purposes", "purposes", W.session, 2), *p;
	json_t *mine;
	char path[128];

	(void)state;
	assert_int_equal(json_array_size(all), 3);
	p = find(all, "code", "statutory");
	assert_non_null(p);
	assert_str_eq(e2e_jstr(p, "agency/id"), W.hospital.id);
	assert_str_eq(e2e_jstr(p, "agency/name"), W.hospital.name);
	assert_str_eq(e2e_jstr(p, "description/en"), "A duty in law");
	assert_non_null(e2e_jstr(p, "description/vi"));
	assert_str_eq(e2e_jstr(p, "legal_basis"), "legal_obligation");
	assert_str_eq(e2e_jstr(p, "legal_reference"), "Decree 356/2025/ND-CP, Art. 7");
	assert_str_eq(e2e_jstr(p, "fields/0/name"), "full_name");
	assert_int_equal(e2e_jint(p, "max_days"), 365);
	assert_int_equal(e2e_jint(p, "retention_days"), 30);
	assert_null(e2e_jget(find(all, "code", "treatment"), "legal_reference"));
	assert_str_eq(e2e_jstr(find(all, "code", "emergency_care"), "agency/name"), W.ambulance.name);

	snprintf(path, sizeof path, "/v1/purposes?agency_id=%s", W.ambulance.id);
	mine = all_pages(path, "purposes", W.s.admin_token, 1);
	assert_int_equal(json_array_size(mine), 1);
	assert_str_eq(e2e_jstr(json_array_get(mine, 0), "code"), "emergency_care");
	json_decref(mine);
	mine = all_pages("/v1/purposes?agency_id=ag_nobody", "purposes", W.session, 5);
	assert_int_equal(json_array_size(mine), 0);
	json_decref(mine);
	json_decref(all);
}

/* Only officers and the operator read the registry lists; bad paging is 400 invalid_input. */
static void test_registry_callers_and_bounds(void **state)
{
	static const char *const paths[] = {"/v1/agencies", "/v1/purposes"};
	char long_id[64];
	e2e_resp r;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		E2E_CALL(&W.s, 403, "GET", paths[i], W.hospital.token, NULL, &r);
		E2E_PROBLEM(&r, 403, "forbidden");
		e2e_resp_free(&r);
		E2E_CALL(&W.s, 403, "GET", paths[i], W.citizen_session, NULL, &r);
		e2e_resp_free(&r);
		E2E_CALL(&W.s, 401, "GET", paths[i], NULL, NULL, &r);
		e2e_resp_free(&r);
	}
	E2E_CALL(&W.s, 400, "GET", "/v1/agencies?limit=0", W.session, NULL, &r);
	E2E_PROBLEM(&r, 400, "invalid_input");
	e2e_resp_free(&r);
	E2E_CALL(&W.s, 400, "GET", "/v1/purposes?limit=201", W.session, NULL, &r);
	E2E_PROBLEM(&r, 400, "invalid_input");
	e2e_resp_free(&r);
	E2E_CALL(&W.s, 400, "GET", "/v1/agencies?after=-1", W.session, NULL, &r);
	E2E_PROBLEM(&r, 400, "invalid_input");
	e2e_resp_free(&r);
	memset(long_id, 'a', 41);
	snprintf(long_id + 41, sizeof long_id - 41, "%s", "");
	{
		char path[128];

		snprintf(path, sizeof path, "/v1/purposes?agency_id=%s", long_id);
		E2E_CALL(&W.s, 400, "GET", path, W.session, NULL, &r);
		E2E_PROBLEM(&r, 400, "invalid_input");
		e2e_resp_free(&r);
	}
}

/* ---- the audit log, with names ---- */

/* A page of /v1/audit at query (after "/v1/audit?"), as officer: the entries (a new reference); *next, *names too. */
static json_t *audit_page3(const char *query, json_t **next, json_t **names)
{
	char path[512];
	e2e_resp r;
	json_t *e;

	snprintf(path, sizeof path, "/v1/audit?%s", query);
	E2E_CALL(&W.s, 200, "GET", path, W.session, NULL, &r);
	e = json_incref(e2e_jget(r.json, "entries"));
	if (next)
		*next = json_incref(e2e_jget(r.json, "next"));
	if (names)
		*names = json_incref(e2e_jget(r.json, "names"));
	e2e_resp_free(&r);
	return e;
}

static json_t *audit_page(const char *query, json_t **next)
{
	return audit_page3(query, next, NULL);
}

/* Every entry /v1/audit gives for query, page after page (a new reference). */
static json_t *audit_all(const char *query)
{
	char q[512];

	snprintf(q, sizeof q, "/v1/audit%s%s", query[0] ? "?" : "", query);
	return all_pages(q, "entries", W.session, 2);
}

/*
 * A page names the agencies and purposes its entries name, beside them: the entries stay as
 * stored, so a client still recomputes each one's bytes (and its leaf hash) from its view.
 */
static void test_audit_names(void **state)
{
	char q[256], path[128];
	json_t *lookups, *e, *stored, *view, *names, *purposes, *pu;
	const char *pid;
	e2e_resp r;
	size_t i;

	(void)state;
	snprintf(q, sizeof q, "action=lookup&agency_id=%s", W.hospital.id);
	lookups = audit_page3(q, NULL, &names);
	assert_int_equal(json_array_size(lookups), 3);
	assert_non_null(names);
	assert_int_equal(json_object_size(e2e_jget(names, "agencies")), 1); /* only the ids on the page */
	json_array_foreach(lookups, i, e) {
		assert_str_eq(e2e_jstr(e, "agency"), W.hospital.id);
		assert_null(json_object_get(e, "names"));
	}
	assert_str_eq(json_string_value(json_object_get(e2e_jget(names, "agencies"), W.hospital.id)), W.hospital.name);
	e = json_array_get(lookups, 0); /* the allowed statutory lookup about A */
	pid = e2e_jstr(e, "purpose");
	assert_non_null(pid);
	purposes = e2e_jget(names, "purposes");
	pu = json_object_get(purposes, pid);
	assert_str_eq(e2e_jstr(pu, "code"), "statutory");
	assert_str_eq(e2e_jstr(pu, "description/en"), "A duty in law");
	assert_non_null(e2e_jstr(pu, "description/vi"));

	/* the same entry as stored (the bytes its proof covers), through the citizen's own proof */
	snprintf(path, sizeof path, "/v1/me/access-log/%lld/proof", e2e_jint(e, "seq"));
	E2E_CALL(&W.s, 200, "GET", path, W.citizen_session, NULL, &r);
	stored = json_loads(e2e_jstr(r.json, "entry"), 0, NULL);
	assert_non_null(stored);
	view = json_deep_copy(e);
	json_object_del(view, "time");
	json_object_del(stored, "time");
	assert_true(json_equal(view, stored));
	json_decref(view);
	json_decref(stored);
	e2e_resp_free(&r);
	json_decref(names);

	/* a page whose entries name no agency names none */
	json_decref(lookups);
	lookups = audit_page3("action=officer.create", NULL, &names);
	assert_true(json_array_size(lookups) >= 1);
	assert_int_equal(json_object_size(e2e_jget(names, "agencies")), 0);
	assert_int_equal(json_object_size(e2e_jget(names, "purposes")), 0);
	json_decref(names);
	json_decref(lookups);
}

/* The filters: agency, action, decision, time, and paging by after. */
static void test_audit_filters(void **state)
{
	json_t *all = audit_all(""), *deny, *allow, *mine, *none, *e, *next, *page;
	char q[256];
	size_t i;
	long long t0;

	(void)state;
	assert_true(json_array_size(all) > 10);
	for (i = 1; i < json_array_size(all); i++) /* pages join up: every seq once, in order */
		assert_int_equal(e2e_jint(json_array_get(all, i), "seq"), e2e_jint(json_array_get(all, i - 1), "seq") + 1);
	deny = audit_all("decision=deny&action=lookup");
	assert_int_equal(json_array_size(deny), 2);
	json_array_foreach(deny, i, e) {
		assert_str_eq(e2e_jstr(e, "decision"), "deny");
		assert_non_null(e2e_jstr(e, "reason"));
	}
	allow = audit_all("decision=allow&action=lookup");
	assert_int_equal(json_array_size(allow), 3);
	snprintf(q, sizeof q, "agency_id=%s&action=lookup", W.ambulance.id);
	mine = audit_all(q);
	assert_int_equal(json_array_size(mine), 2);
	json_array_foreach(mine, i, e)
		assert_str_eq(e2e_jstr(e, "basis"), "vital_interest");
	/* time: every entry is at or after the first one's second, none is in 2100 */
	page = audit_page("limit=1", NULL);
	t0 = 0;
	{
		const char *iso = e2e_jstr(json_array_get(page, 0), "time");
		struct tm tm = {0};

		assert_non_null(iso);
		assert_non_null(strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm));
		t0 = (long long)timegm(&tm);
	}
	json_decref(page);
	snprintf(q, sizeof q, "from=%lld&action=lookup", t0);
	none = audit_all(q);
	assert_int_equal(json_array_size(none), 5);
	json_decref(none);
	none = audit_all("from=4102444800");
	assert_int_equal(json_array_size(none), 0);
	json_decref(none);
	snprintf(q, sizeof q, "to=%lld", t0 - 1);
	none = audit_all(q);
	assert_int_equal(json_array_size(none), 0);
	json_decref(none);
	/* after: the entries past it */
	snprintf(q, sizeof q, "action=lookup&limit=1&after=%lld", e2e_jint(json_array_get(allow, 0), "seq"));
	page = audit_page(q, &next);
	assert_int_equal(json_array_size(page), 1);
	assert_true(e2e_jint(json_array_get(page, 0), "seq") > e2e_jint(json_array_get(allow, 0), "seq"));
	assert_true(json_is_integer(next));
	json_decref(page);
	json_decref(next);
	json_decref(all), json_decref(deny), json_decref(allow), json_decref(mine);
}

/* Bad filters are 400 invalid_input naming the argument. */
static void test_audit_filter_bounds(void **state)
{
	static const char *const bad[] = {"decision=maybe", "decision=", "action=", "agency_id=", "from=-1", "to=x",
		"limit=0", "limit=1001", "after=-5"};
	char path[128];
	e2e_resp r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(path, sizeof path, "/v1/audit?%s", bad[i]);
		E2E_CALL(&W.s, 400, "GET", path, W.session, NULL, &r);
		E2E_PROBLEM(&r, 400, "invalid_input");
		e2e_resp_free(&r);
	}
}

/* ---- the emergency accesses: pending, decided, all ---- */

/* GET /v1/reviews?query as officer, into *r (the caller frees it). */
static void reviews(const char *query, e2e_resp *r)
{
	char path[256];

	snprintf(path, sizeof path, "/v1/reviews%s%s", query[0] ? "?" : "", query);
	E2E_CALL(&W.s, 200, "GET", path, W.session, NULL, r);
}

/* The access ids of the ambulance's two emergency accesses, from the log. */
static void emergency_ids(long long ids[2])
{
	char q[256];
	json_t *mine;

	snprintf(q, sizeof q, "action=lookup&decision=allow&agency_id=%s", W.ambulance.id);
	mine = audit_all(q);
	assert_int_equal(json_array_size(mine), 2);
	ids[0] = e2e_jint(json_array_get(mine, 0), "seq");
	ids[1] = e2e_jint(json_array_get(mine, 1), "seq");
	json_decref(mine);
}

/* Decided accesses stay visible, with their outcome, note, reviewer and time; pending is the default. */
static void test_reviews_pending_decided_all(void **state)
{
	long long ids[2];
	char path[64], *first = NULL;
	e2e_resp r;

	(void)state;
	emergency_ids(ids);
	reviews("", &r);
	assert_int_equal(json_array_size(e2e_jget(r.json, "reviews")), 2);
	assert_int_equal(e2e_jint(r.json, "reviews/0/access_id"), ids[0]);
	assert_str_eq(e2e_jstr(r.json, "reviews/0/state"), "pending");
	assert_null(e2e_jget(r.json, "reviews/0/review"));
	assert_str_eq(e2e_jstr(r.json, "reviews/0/entry/basis"), "vital_interest");
	assert_str_eq(json_string_value(json_object_get(e2e_jget(r.json, "names/agencies"), W.ambulance.id)),
	    W.ambulance.name);
	first = e2e_jdup(r.json, "reviews/0/entry/purpose");
	assert_str_eq(e2e_jstr(json_object_get(e2e_jget(r.json, "names/purposes"), first), "code"), "emergency_care");
	e2e_resp_free(&r);

	snprintf(path, sizeof path, "/v1/reviews/%lld", ids[0]);
	E2E_CALL(&W.s, 200, "POST", path, W.session, e2e_body_review("justified", "called the ambulance crew"), &r);
	e2e_resp_free(&r);

	reviews("state=pending", &r); /* the decided one leaves the queue */
	assert_int_equal(json_array_size(e2e_jget(r.json, "reviews")), 1);
	assert_int_equal(e2e_jint(r.json, "reviews/0/access_id"), ids[1]);
	e2e_resp_free(&r);
	reviews("state=decided", &r); /* and stays visible, with its review */
	assert_int_equal(json_array_size(e2e_jget(r.json, "reviews")), 1);
	assert_int_equal(e2e_jint(r.json, "reviews/0/access_id"), ids[0]);
	assert_str_eq(e2e_jstr(r.json, "reviews/0/state"), "decided");
	assert_str_eq(e2e_jstr(r.json, "reviews/0/review/outcome"), "justified");
	assert_str_eq(e2e_jstr(r.json, "reviews/0/review/note"), "called the ambulance crew");
	assert_str_eq(e2e_jstr(r.json, "reviews/0/review/reviewer"), W.officer);
	assert_non_null(e2e_jstr(r.json, "reviews/0/review/reviewed_at"));
	assert_str_eq(e2e_jstr(r.json, "reviews/0/entry/agency"), W.ambulance.id);
	assert_str_eq(json_string_value(json_object_get(e2e_jget(r.json, "names/agencies"), W.ambulance.id)),
	    W.ambulance.name);
	assert_true(json_is_null(e2e_jget(r.json, "next")));
	e2e_resp_free(&r);

	/* all, a page of one at a time: decided, then pending, then no more */
	reviews("state=all&limit=1", &r);
	assert_int_equal(e2e_jint(r.json, "reviews/0/access_id"), ids[0]);
	assert_str_eq(e2e_jstr(r.json, "reviews/0/state"), "decided");
	assert_int_equal(e2e_jint(r.json, "next"), ids[0]);
	e2e_resp_free(&r);
	snprintf(path, sizeof path, "state=all&limit=1&after=%lld", ids[0]);
	reviews(path, &r);
	assert_int_equal(json_array_size(e2e_jget(r.json, "reviews")), 1);
	assert_int_equal(e2e_jint(r.json, "reviews/0/access_id"), ids[1]);
	assert_str_eq(e2e_jstr(r.json, "reviews/0/state"), "pending");
	assert_true(json_is_null(e2e_jget(r.json, "next")));
	e2e_resp_free(&r);

	E2E_CALL(&W.s, 400, "GET", "/v1/reviews?state=done", W.session, NULL, &r);
	E2E_PROBLEM(&r, 400, "invalid_input");
	e2e_resp_free(&r);
	E2E_CALL(&W.s, 400, "GET", "/v1/reviews?state=", W.session, NULL, &r);
	E2E_PROBLEM(&r, 400, "invalid_input");
	e2e_resp_free(&r);
	free(first);
}

/* ---- the dashboard ---- */

/* The counts of obj's key plus n. */
static void bump(json_t *obj, const char *key, long long n)
{
	json_object_set_new(obj, key, json_integer(json_integer_value(json_object_get(obj, key)) + n));
}

/*
 * The dashboard of the last 30 days (the default) equals what /v1/audit and /v1/reviews show
 * of the same period: per agency and day, allowed and denied; denials by reason; emergency
 * accesses by review state.
 */
static void test_dashboard_equals_the_log(void **state)
{
	json_t *dash, *entries, *e, *want_agencies = json_object(), *want_reasons = json_object(), *want_em = json_object();
	json_t *states = json_object(), *row, *all;
	char q[256], from[11], to[11];
	long long allowed = 0, denied = 0;
	e2e_resp r, rv;
	size_t i;
	struct tm tm = {0};
	time_t t0;

	(void)state;
	E2E_CALL(&W.s, 200, "GET", "/v1/reports/dashboard", W.session, NULL, &r);
	dash = r.json;
	snprintf(from, sizeof from, "%s", e2e_or_null(e2e_jstr(dash, "from")));
	snprintf(to, sizeof to, "%s", e2e_or_null(e2e_jstr(dash, "to")));
	assert_int_equal(e2e_jint(dash, "days"), 30);
	assert_non_null(strptime(from, "%Y-%m-%d", &tm));
	t0 = timegm(&tm);

	/* review states, from the reviews list */
	reviews("state=all&limit=200", &rv);
	json_array_foreach(e2e_jget(rv.json, "reviews"), i, e) {
		const char *out = e2e_jstr(e, "review/outcome");

		snprintf(q, sizeof q, "%lld", e2e_jint(e, "access_id"));
		json_object_set_new(states, q, json_string(out ? out : "pending"));
	}
	e2e_resp_free(&rv);

	/* the log's lookups of the same period */
	snprintf(q, sizeof q, "action=lookup&from=%lld&to=%lld", (long long)t0, (long long)t0 + 30 * 86400 - 1);
	entries = audit_all(q);
	assert_int_equal(json_array_size(entries), 5);
	json_array_foreach(entries, i, e) {
		const char *ag = e2e_jstr(e, "agency"), *decision = e2e_jstr(e, "decision");
		int ok = strcmp(e2e_or_null(decision), "allow") == 0;
		char day[11];

		snprintf(day, sizeof day, "%.10s", e2e_or_null(e2e_jstr(e, "time")));
		if ((row = json_object_get(want_agencies, ag)) == NULL) {
			row = json_pack("{s:i, s:i, s:{}, s:{s:i, s:i, s:i}}", "allowed", 0, "denied", 0, "days", "emergency",
			    "pending", 0, "justified", 0, "unjustified", 0);
			json_object_set_new(want_agencies, ag, row);
		}
		bump(row, ok ? "allowed" : "denied", 1);
		if (json_object_get(json_object_get(row, "days"), day) == NULL)
			json_object_set_new(json_object_get(row, "days"), day, json_pack("{s:i, s:i}", "allowed", 0, "denied", 0));
		bump(json_object_get(json_object_get(row, "days"), day), ok ? "allowed" : "denied", 1);
		ok ? allowed++ : denied++;
		if (!ok)
			bump(want_reasons, e2e_jstr(e, "reason"), 1);
		if (ok && strcmp(e2e_or_null(e2e_jstr(e, "basis")), "vital_interest") == 0) {
			char seq[32];
			const char *st;

			snprintf(seq, sizeof seq, "%lld", e2e_jint(e, "seq"));
			st = json_string_value(json_object_get(states, seq));
			assert_non_null(st);
			bump(json_object_get(row, "emergency"), st, 1);
			bump(want_em, st, 1);
			bump(want_em, "total", 1);
		}
	}
	assert_int_equal(e2e_jint(dash, "lookups/allowed"), allowed);
	assert_int_equal(e2e_jint(dash, "lookups/denied"), denied);
	assert_true(json_equal(e2e_jget(dash, "denials_by_reason"), want_reasons));
	assert_int_equal(e2e_jint(dash, "emergency/total"), json_integer_value(json_object_get(want_em, "total")));
	assert_int_equal(e2e_jint(dash, "emergency/justified"), json_integer_value(json_object_get(want_em, "justified")));
	assert_int_equal(e2e_jint(dash, "emergency/pending"), json_integer_value(json_object_get(want_em, "pending")));
	assert_int_equal(e2e_jint(dash, "emergency/unjustified"),
	    json_integer_value(json_object_get(want_em, "unjustified")));
	assert_int_equal(e2e_jint(dash, "emergency/pending"), 1); /* the test before reviewed one of the two */
	assert_int_equal(e2e_jint(dash, "emergency/justified"), 1);

	all = e2e_jget(dash, "agencies");
	assert_int_equal(json_array_size(all), json_object_size(want_agencies));
	json_array_foreach(all, i, row) {
		const char *id = e2e_jstr(row, "agency/id");
		json_t *want = json_object_get(want_agencies, id), *d;
		size_t k;

		assert_non_null(want);
		assert_str_eq(e2e_jstr(row, "agency/name"), strcmp(id, W.hospital.id) == 0 ? W.hospital.name : W.ambulance.name);
		assert_int_equal(e2e_jint(row, "allowed"), json_integer_value(json_object_get(want, "allowed")));
		assert_int_equal(e2e_jint(row, "denied"), json_integer_value(json_object_get(want, "denied")));
		assert_true(json_equal(e2e_jget(row, "emergency"), json_object_get(want, "emergency")));
		assert_int_equal(json_array_size(e2e_jget(row, "days")), json_object_size(json_object_get(want, "days")));
		json_array_foreach(e2e_jget(row, "days"), k, d) {
			json_t *wd = json_object_get(json_object_get(want, "days"), e2e_jstr(d, "day"));

			assert_non_null(wd);
			assert_int_equal(e2e_jint(d, "allowed"), json_integer_value(json_object_get(wd, "allowed")));
			assert_int_equal(e2e_jint(d, "denied"), json_integer_value(json_object_get(wd, "denied")));
		}
	}
	json_decref(entries), json_decref(want_agencies), json_decref(want_reasons), json_decref(want_em);
	json_decref(states);
	e2e_resp_free(&r);
}

/* A period in the far past counts nothing; bad or too long periods are 400 invalid_input. */
static void test_dashboard_periods(void **state)
{
	static const char *const bad[] = {"from=2026-03-02&to=2026-03-01", "from=2025-01-01&to=2026-01-02",
		"from=2026-02-30&to=2026-03-01", "from=2026-1-01", "to=20260301", "from=", "to=1969-12-31",
		"from=2026-03-01T00:00:00Z"};
	char path[128];
	e2e_resp r;
	size_t i;

	(void)state;
	E2E_CALL(&W.s, 200, "GET", "/v1/reports/dashboard?from=2020-01-01&to=2020-12-31", W.session, NULL, &r);
	assert_int_equal(e2e_jint(r.json, "days"), 366);
	assert_str_eq(e2e_jstr(r.json, "from"), "2020-01-01");
	assert_int_equal(e2e_jint(r.json, "lookups/allowed"), 0);
	assert_int_equal(json_array_size(e2e_jget(r.json, "agencies")), 0);
	assert_int_equal(e2e_jint(r.json, "emergency/total"), 0);
	e2e_resp_free(&r);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(path, sizeof path, "/v1/reports/dashboard?%s", bad[i]);
		E2E_CALL(&W.s, 400, "GET", path, W.session, NULL, &r);
		E2E_PROBLEM(&r, 400, "invalid_input");
		e2e_resp_free(&r);
	}
	E2E_CALL(&W.s, 403, "GET", "/v1/reports/dashboard", W.s.admin_token, NULL, &r);
	e2e_resp_free(&r);
	E2E_CALL(&W.s, 403, "GET", "/v1/reports/dashboard", W.ambulance.token, NULL, &r);
	e2e_resp_free(&r);
}

/* A second review: both decided now, none pending, each with its own outcome. */
static void test_reviews_all_decided(void **state)
{
	long long ids[2];
	char path[64];
	e2e_resp r;

	(void)state;
	emergency_ids(ids);
	snprintf(path, sizeof path, "/v1/reviews/%lld", ids[1]);
	E2E_CALL(&W.s, 200, "POST", path, W.session, e2e_body_review("unjustified", NULL), &r);
	e2e_resp_free(&r);
	reviews("", &r);
	assert_int_equal(json_array_size(e2e_jget(r.json, "reviews")), 0);
	e2e_resp_free(&r);
	reviews("state=decided", &r);
	assert_int_equal(json_array_size(e2e_jget(r.json, "reviews")), 2);
	assert_str_eq(e2e_jstr(r.json, "reviews/0/review/outcome"), "justified");
	assert_str_eq(e2e_jstr(r.json, "reviews/1/review/outcome"), "unjustified");
	assert_null(e2e_jget(r.json, "reviews/1/review/note"));
	e2e_resp_free(&r);
	E2E_CALL(&W.s, 200, "GET", "/v1/reports/dashboard", W.session, NULL, &r);
	assert_int_equal(e2e_jint(r.json, "emergency/unjustified"), 1);
	assert_int_equal(e2e_jint(r.json, "emergency/pending"), 0);
	e2e_resp_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agencies_in_pages),
		cmocka_unit_test(test_purposes_in_pages),
		cmocka_unit_test(test_registry_callers_and_bounds),
		cmocka_unit_test(test_audit_names),
		cmocka_unit_test(test_audit_filters),
		cmocka_unit_test(test_audit_filter_bounds),
		cmocka_unit_test(test_reviews_pending_decided_all),
		cmocka_unit_test(test_dashboard_equals_the_log),
		cmocka_unit_test(test_dashboard_periods),
		cmocka_unit_test(test_reviews_all_decided),
	};

	return cmocka_run_group_tests_name("officer pages", tests, setup, teardown);
}
