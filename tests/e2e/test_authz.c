/* test_authz.c: the authorization matrix: every route of the contract x every kind of caller, as data. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- callers ---- */

enum {
	C_NONE,       /* no Authorization header */
	C_BAD,        /* vk_agency_ + garbage */
	C_ADMIN,
	C_REGISTRAR,
	C_CONSUMER,   /* role consumer: owns the consent request used below */
	C_EMERGENCY,  /* roles consumer + emergency */
	C_CONSUMER2,  /* another consumer */
	C_CIT_A,      /* owns the consents, requests and log entries used below */
	C_CIT_B,
	C_OFFICER,
	C_SUSPENDED,  /* a suspended agency's token (it had every role) */
	C_EXPIRED,    /* a well-formed session token the vault never issued or no longer knows */
	NCALLERS
};

static const char *const caller_name[NCALLERS] = {"no token", "bad token", "admin", "registrar", "consumer", "emergency",
	"another consumer", "citizen A", "citizen B", "officer", "suspended agency", "expired session"};

/* ---- who may call a route, and whose object it acts on ---- */

/* SESSION: a citizen's or an officer's session; AGENCY_ADMIN: the admin, or any agency for its own objects;
   OFFICER_ADMIN: an officer or the admin */
enum { PUBLIC, ADMIN, REGISTRAR, CONSUMER, CITIZEN, OFFICER, SESSION, AGENCY_ADMIN, OFFICER_ADMIN, NOROUTE, BADMETHOD };
enum { OWN_NONE, OWN_CONSUMER, OWN_CIT_A };

typedef struct mx mx;
/* Fills the {} of the path (id) and the body for this caller; may create fresh objects. */
typedef void (*prep_fn)(mx *m, int caller, char *id, size_t idn, json_t **body);

typedef struct row {
	const char *method, *path; /* "{}" stands for the id prep gives */
	int access, owner;
	long ok;                   /* the status an allowed caller gets */
	int consumes;              /* a success uses the object up: prep makes another */
	prep_fn prep;
	char name[96];
} row;

/*
 * The rule, from the contract: public routes need no token (and ignore a bad one); on every
 * other route no, a bad, an expired or a suspended agency's token is 401; a valid caller of
 * the wrong kind or role is 403; a caller of the right kind acting on another's object is 404.
 */
static long expected(const row *w, int c)
{
	int agency_consumer = c == C_CONSUMER || c == C_EMERGENCY || c == C_CONSUMER2;
	int session = c == C_CIT_A || c == C_CIT_B || c == C_OFFICER;
	int in_class;

	if (w->access == NOROUTE)
		return 404;
	if (w->access == BADMETHOD)
		return 405;
	if (w->access == PUBLIC)
		return w->ok;
	if (c == C_NONE || c == C_BAD || c == C_SUSPENDED || c == C_EXPIRED)
		return 401;
	in_class = (w->access == ADMIN && c == C_ADMIN) || (w->access == REGISTRAR && c == C_REGISTRAR) ||
	           (w->access == CONSUMER && agency_consumer) || (w->access == CITIZEN && (c == C_CIT_A || c == C_CIT_B)) ||
	           (w->access == OFFICER && c == C_OFFICER) || (w->access == SESSION && session) ||
	           (w->access == OFFICER_ADMIN && (c == C_OFFICER || c == C_ADMIN)) ||
	           (w->access == AGENCY_ADMIN && (c == C_ADMIN || c == C_REGISTRAR || agency_consumer));
	if (!in_class)
		return 403;
	/* the admin reaches every agency's objects on the routes it may call */
	if ((w->owner == OWN_CONSUMER && c != C_CONSUMER && c != C_ADMIN) || (w->owner == OWN_CIT_A && c != C_CIT_A))
		return 404;
	return w->ok;
}

/* Explicit exceptions to the rule: none so far. {row path, method, caller, status}. */
static const struct {
	const char *method, *path;
	int caller;
	long status;
} exceptions[] = {
	{NULL, NULL, 0, 0},
};

static long expected_for(const row *w, int c)
{
	size_t i;

	for (i = 0; i < sizeof exceptions / sizeof exceptions[0]; i++)
		if (exceptions[i].method && strcmp(exceptions[i].method, w->method) == 0 &&
		    strcmp(exceptions[i].path, w->path) == 0 && exceptions[i].caller == c)
			return exceptions[i].status;
	return expected(w, c);
}

/* ---- the world the matrix runs in ---- */

#define NID_A "001190004271"
#define NID_B "079085112233"
#define NID_T "048201123456"

struct mx {
	e2e_server s;
	char *token[NCALLERS];
	char *consumer_id, *officer_id, *officer_uri;
	char *uri_a, *uri_b, *uri_t, *reg_cid_a, *reg_cid_t;
	int64_t last_a, last_b, last_officer;
	unsigned serial;     /* for fresh national IDs, names and codes */
	/* objects that a successful call uses up, made again when needed */
	char *agency_to_suspend, *citizen_to_delete, *request_for_approve, *request_for_deny, *consent_of_a;
	char *request_of_consumer, *seq_of_a, *access_to_review;
	char *token_to_revoke, *officer_to_deactivate, *officer_to_reactivate;
	char *correction_to_answer;
	char *kept[NCALLERS]; /* a caller's token while a row signs out a fresh session of theirs */
};

static mx M;

static json_t *some_fields(void)
{
	return json_pack("{s:s, s:s, s:s}", "full_name", "Đặng Thị Ma Trận", "date_of_birth", "1990-01-01", "blood_type",
	    "O+");
}

/* A fresh, well-formed national ID: province 079, born 1995, a serial of our own. */
static void fresh_nid(char out[13])
{
	snprintf(out, 13, "079095%06u", 100000 + M.serial++);
}

/* Enrols a new citizen through the registrar; returns its pseudonym, *uri (may be NULL) its TOTP. */
static char *enrol(const char *nid, char **uri)
{
	e2e_resp r;
	char *cid;

	E2E_CALL(&M.s, 201, "POST", "/v1/citizens", M.token[C_REGISTRAR], e2e_body_citizen(nid, some_fields()), &r);
	cid = e2e_jdup(r.json, "citizen_id");
	if (uri)
		*uri = e2e_jdup(r.json, "totp_uri");
	e2e_resp_free(&r);
	return cid;
}

static char *make_agency(const char *name, const char *const *roles, size_t n, char **id)
{
	e2e_resp r;
	char *tok;

	E2E_CALL(&M.s, 201, "POST", "/v1/agencies", M.s.admin_token, e2e_body_agency(name, roles, n), &r);
	tok = e2e_jdup(r.json, "token");
	if (id)
		*id = e2e_jdup(r.json, "id");
	e2e_resp_free(&r);
	return tok;
}

static void make_purposes(const char *agency_id)
{
	e2e_resp r;

	E2E_CALL(&M.s, 201, "POST", "/v1/purposes", M.s.admin_token,
	    e2e_body_purpose(agency_id, "treatment", "Treatment", "consent", NULL, e2e_strings("full_name", "blood_type", NULL),
	        365, 30),
	    &r);
	e2e_resp_free(&r);
	E2E_CALL(&M.s, 201, "POST", "/v1/purposes", M.s.admin_token,
	    e2e_body_purpose(agency_id, "statutory", "A duty in law", "legal_obligation", "Decree 356/2025/ND-CP, Art. 7",
	        e2e_strings("full_name", NULL), 365, 30),
	    &r);
	e2e_resp_free(&r);
}

static char *citizen_login(const char *nid, const char *uri, int64_t *last)
{
	char code[7];
	e2e_resp r;
	char *tok;

	e2e_totp_fresh(uri, last, code);
	E2E_CALL(&M.s, 201, "POST", "/v1/sessions", NULL, e2e_body_citizen_login(nid, code), &r);
	tok = e2e_jdup(r.json, "token");
	e2e_resp_free(&r);
	return tok;
}

/* A pending request from the consumer to citizen A. */
static char *request_to_a(void)
{
	e2e_resp r;
	char *id;

	E2E_CALL(&M.s, 202, "POST", "/v1/consent-requests", M.token[C_CONSUMER],
	    e2e_body_consent_request(NID_A, "treatment", NULL, 30), &r);
	id = e2e_jdup(r.json, "id");
	e2e_resp_free(&r);
	return id;
}

/* A TOTP code for the body: a fresh one of the calling citizen, else any well-formed code. */
static void code_for(int c, char code[7])
{
	if (c == C_CIT_A)
		e2e_totp_fresh(M.uri_a, &M.last_a, code);
	else if (c == C_CIT_B)
		e2e_totp_fresh(M.uri_b, &M.last_b, code);
	else
		strcpy(code, "123456");
}

/* ---- preparers, one per route that needs an id or a body ---- */

static void p_sessions(mx *m, int c, char *id, size_t idn, json_t **body)
{
	char nid[13], *uri = NULL, *cid;
	int64_t last = 0;
	char code[7];

	(void)m, (void)c, (void)id, (void)idn;
	fresh_nid(nid);
	cid = enrol(nid, &uri); /* a citizen of its own: each login spends a code */
	e2e_totp_fresh(uri, &last, code);
	*body = e2e_body_citizen_login(nid, code);
	free(cid);
	free(uri);
}

static void p_agency(mx *m, int c, char *id, size_t idn, json_t **body)
{
	static const char *const roles[] = {"consumer"};
	char name[64];

	(void)c, (void)id, (void)idn;
	snprintf(name, sizeof name, "Matrix Agency %u", m->serial++);
	*body = e2e_body_agency(name, roles, 1);
}

static void p_suspend(mx *m, int c, char *id, size_t idn, json_t **body)
{
	static const char *const roles[] = {"consumer"};

	(void)c, (void)body;
	if (m->agency_to_suspend == NULL)
		free(make_agency("To Be Suspended", roles, 1, &m->agency_to_suspend));
	snprintf(id, idn, "%s", m->agency_to_suspend);
}

static void p_purpose(mx *m, int c, char *id, size_t idn, json_t **body)
{
	char code[32];

	(void)c, (void)id, (void)idn;
	snprintf(code, sizeof code, "matrix_%u", m->serial++);
	*body = e2e_body_purpose(m->consumer_id, code, "A matrix purpose", "consent", NULL, e2e_strings("full_name", NULL), 30,
	    30);
}

static void p_officer(mx *m, int c, char *id, size_t idn, json_t **body)
{
	(void)m, (void)c, (void)id, (void)idn;
	*body = e2e_body_officer("Matrix Officer");
}

static void p_citizen(mx *m, int c, char *id, size_t idn, json_t **body)
{
	char nid[13];

	(void)m, (void)c, (void)id, (void)idn;
	fresh_nid(nid);
	*body = e2e_body_citizen(nid, some_fields());
}

static void p_patch(mx *m, int c, char *id, size_t idn, json_t **body)
{
	(void)c;
	snprintf(id, idn, "%s", m->reg_cid_a);
	*body = e2e_body_rectify(json_pack("{s:s}", "blood_type", "O+"));
}

static void p_delete_citizen(mx *m, int c, char *id, size_t idn, json_t **body)
{
	char nid[13];

	(void)c, (void)body;
	if (m->citizen_to_delete == NULL) {
		fresh_nid(nid);
		m->citizen_to_delete = enrol(nid, NULL);
	}
	snprintf(id, idn, "%s", m->citizen_to_delete);
}

static void p_totp_reissue(mx *m, int c, char *id, size_t idn, json_t **body)
{
	(void)c, (void)body;
	snprintf(id, idn, "%s", m->reg_cid_t);
}

static void p_request(mx *m, int c, char *id, size_t idn, json_t **body)
{
	(void)m, (void)c, (void)id, (void)idn;
	*body = e2e_body_consent_request(NID_A, "treatment", NULL, 30);
}

static void p_request_get(mx *m, int c, char *id, size_t idn, json_t **body)
{
	(void)c, (void)body;
	if (m->request_of_consumer == NULL)
		m->request_of_consumer = request_to_a();
	snprintf(id, idn, "%s", m->request_of_consumer);
}

static void p_lookup(mx *m, int c, char *id, size_t idn, json_t **body)
{
	(void)m, (void)c, (void)id, (void)idn;
	*body = e2e_body_lookup(NID_A, "statutory", NULL, NULL);
}

static void p_lookups(mx *m, int c, char *id, size_t idn, json_t **body)
{
	(void)m, (void)c, (void)id, (void)idn;
	*body = json_pack("{s:[o]}", "lookups", e2e_body_lookup(NID_A, "statutory", NULL, NULL));
}

static void p_approve(mx *m, int c, char *id, size_t idn, json_t **body)
{
	char code[7];

	if (m->request_for_approve == NULL)
		m->request_for_approve = request_to_a();
	snprintf(id, idn, "%s", m->request_for_approve);
	code_for(c, code);
	*body = e2e_body_approve(code, NULL);
}

static void p_deny(mx *m, int c, char *id, size_t idn, json_t **body)
{
	(void)c, (void)body;
	if (m->request_for_deny == NULL)
		m->request_for_deny = request_to_a();
	snprintf(id, idn, "%s", m->request_for_deny);
}

static void p_revoke(mx *m, int c, char *id, size_t idn, json_t **body)
{
	(void)c, (void)body;
	if (m->consent_of_a == NULL) {
		char *req = request_to_a(), path[160], code[7];
		e2e_resp r;

		snprintf(path, sizeof path, "/v1/me/consent-requests/%s/approve", req);
		e2e_totp_fresh(m->uri_a, &m->last_a, code);
		E2E_CALL(&m->s, 201, "POST", path, m->token[C_CIT_A], e2e_body_approve(code, NULL), &r);
		m->consent_of_a = e2e_jdup(r.json, "consent_id");
		e2e_resp_free(&r);
		free(req);
	}
	snprintf(id, idn, "%s", m->consent_of_a);
}

static void p_restriction(mx *m, int c, char *id, size_t idn, json_t **body)
{
	char code[7];

	(void)m, (void)id, (void)idn;
	code_for(c, code);
	*body = e2e_body_totp(code);
}

static void p_proof(mx *m, int c, char *id, size_t idn, json_t **body)
{
	(void)c, (void)body;
	if (m->seq_of_a == NULL) {
		e2e_resp r;
		char buf[32];
		size_t n;

		E2E_CALL(&m->s, 200, "GET", "/v1/me/access-log", m->token[C_CIT_A], NULL, &r);
		n = json_array_size(e2e_jget(r.json, "entries"));
		assert_true(n > 0);
		snprintf(buf, sizeof buf, "%lld", e2e_jint(json_array_get(e2e_jget(r.json, "entries"), n - 1), "seq"));
		m->seq_of_a = strdup(buf);
		e2e_resp_free(&r);
	}
	snprintf(id, idn, "%s", m->seq_of_a);
}

static void p_review(mx *m, int c, char *id, size_t idn, json_t **body)
{
	(void)c;
	if (m->access_to_review == NULL) {
		e2e_resp r;
		char buf[32];

		E2E_CALL(&m->s, 200, "POST", "/v1/lookup", m->token[C_EMERGENCY],
		    e2e_body_lookup(NID_A, "emergency_care", NULL, "found unconscious, matrix test"), &r);
		snprintf(buf, sizeof buf, "%lld", e2e_jint(r.json, "access_id"));
		m->access_to_review = strdup(buf);
		e2e_resp_free(&r);
	}
	snprintf(id, idn, "%s", m->access_to_review);
	*body = e2e_body_review("justified", NULL);
}

static void p_correction_new(mx *m, int c, char *id, size_t idn, json_t **body)
{
	(void)m, (void)c, (void)id, (void)idn;
	*body = json_pack("{s:s, s:s}", "field", "blood_type", "value", "B+");
}

static void p_correction_answer(mx *m, int c, char *id, size_t idn, json_t **body)
{
	(void)c;
	if (m->correction_to_answer == NULL) {
		e2e_resp r;

		E2E_CALL(&m->s, 201, "POST", "/v1/me/corrections", m->token[C_CIT_A],
		    json_pack("{s:s, s:s}", "field", "blood_type", "value", "AB-"), &r);
		m->correction_to_answer = e2e_jdup(r.json, "id");
		e2e_resp_free(&r);
	}
	snprintf(id, idn, "%s", m->correction_to_answer);
	*body = json_pack("{s:s, s:s}", "outcome", "rejected", "reason", "matrix test");
}

/* A fresh session of the caller's kind (a new citizen, a new officer), used in place of its own by the sign-out row. */
static void p_signout(mx *m, int c, char *id, size_t idn, json_t **body)
{
	char nid[13], code[7], *uri = NULL, *officer = NULL, *tok;
	int64_t last = 0;
	e2e_resp r;

	(void)id, (void)idn, (void)body;
	if (c != C_CIT_A && c != C_CIT_B && c != C_OFFICER)
		return;
	if (c == C_OFFICER) {
		E2E_CALL(&m->s, 201, "POST", "/v1/officers", m->s.admin_token, e2e_body_officer("Signing Out"), &r);
		officer = e2e_jdup(r.json, "id");
		uri = e2e_jdup(r.json, "totp_uri");
		e2e_resp_free(&r);
		e2e_totp_fresh(uri, &last, code);
		E2E_CALL(&m->s, 201, "POST", "/v1/sessions", NULL, e2e_body_officer_login(officer, code), &r);
	} else {
		fresh_nid(nid);
		free(enrol(nid, &uri));
		e2e_totp_fresh(uri, &last, code);
		E2E_CALL(&m->s, 201, "POST", "/v1/sessions", NULL, e2e_body_citizen_login(nid, code), &r);
	}
	tok = e2e_jdup(r.json, "token");
	e2e_resp_free(&r);
	m->kept[c] = m->token[c];
	m->token[c] = tok;
	free(officer);
	free(uri);
}

static void p_tokens(mx *m, int c, char *id, size_t idn, json_t **body)
{
	(void)c, (void)body;
	snprintf(id, idn, "%s", m->consumer_id);
}

static void p_tokens_issue(mx *m, int c, char *id, size_t idn, json_t **body)
{
	p_tokens(m, c, id, idn, body);
	*body = json_pack("{s:i}", "grace_seconds", 86400); /* every caller's token keeps working */
}

/* "agency token": the consumer's, and one of its tokens (made by the admin) to revoke. */
static void p_token_revoke(mx *m, int c, char *id, size_t idn, json_t **body)
{
	(void)c, (void)body;
	if (m->token_to_revoke == NULL) {
		char path[128];
		e2e_resp r;

		snprintf(path, sizeof path, "/v1/agencies/%s/tokens", m->consumer_id);
		E2E_CALL(&m->s, 201, "POST", path, m->s.admin_token, json_pack("{s:i}", "grace_seconds", 86400), &r);
		m->token_to_revoke = e2e_jdup(r.json, "id");
		e2e_resp_free(&r);
	}
	snprintf(id, idn, "%s %s", m->consumer_id, m->token_to_revoke);
}

static char *new_officer(mx *m)
{
	e2e_resp r;
	char *id;

	E2E_CALL(&m->s, 201, "POST", "/v1/officers", m->s.admin_token, e2e_body_officer("Matrix Officer"), &r);
	id = e2e_jdup(r.json, "id");
	e2e_resp_free(&r);
	return id;
}

static void p_officer_deactivate(mx *m, int c, char *id, size_t idn, json_t **body)
{
	(void)c, (void)body;
	if (m->officer_to_deactivate == NULL)
		m->officer_to_deactivate = new_officer(m);
	snprintf(id, idn, "%s", m->officer_to_deactivate);
}

static void p_officer_reactivate(mx *m, int c, char *id, size_t idn, json_t **body)
{
	(void)c, (void)body;
	if (m->officer_to_reactivate == NULL) {
		char path[128];
		e2e_resp r;

		m->officer_to_reactivate = new_officer(m);
		snprintf(path, sizeof path, "/v1/officers/%s/deactivate", m->officer_to_reactivate);
		E2E_CALL(&m->s, 200, "POST", path, m->s.admin_token, NULL, &r);
		e2e_resp_free(&r);
	}
	snprintf(id, idn, "%s", m->officer_to_reactivate);
}

static void p_search(mx *m, int c, char *id, size_t idn, json_t **body)
{
	(void)m, (void)c, (void)id, (void)idn;
	*body = json_pack("{s:s}", "national_id", NID_A);
}

/* After a successful call, the object it used up is made again next time. */
static void used_up(prep_fn p)
{
	char **slot = p == p_suspend ? &M.agency_to_suspend
	              : p == p_delete_citizen ? &M.citizen_to_delete
	              : p == p_approve ? &M.request_for_approve
	              : p == p_deny ? &M.request_for_deny
	              : p == p_revoke ? &M.consent_of_a
	              : p == p_review ? &M.access_to_review
	              : p == p_correction_answer ? &M.correction_to_answer
	              : p == p_token_revoke ? &M.token_to_revoke
	              : p == p_officer_deactivate ? &M.officer_to_deactivate
	                              : NULL;

	if (slot != NULL) {
		free(*slot);
		*slot = NULL;
	}
}

/* ---- the table: every route of docs/api/contract.md, then paths and methods it does not have ---- */

static row rows[] = {
	{"GET", "/healthz", PUBLIC, OWN_NONE, 200, 0, NULL, ""},
	{"GET", "/metrics", PUBLIC, OWN_NONE, 200, 0, NULL, ""},
	{"GET", "/v1/keys", PUBLIC, OWN_NONE, 200, 0, NULL, ""},
	{"GET", "/v1/checkpoint", PUBLIC, OWN_NONE, 200, 0, NULL, ""},
	{"GET", "/v1/checkpoint/consistency?from=1&to=2", PUBLIC, OWN_NONE, 200, 0, NULL, ""},
	{"POST", "/v1/sessions", PUBLIC, OWN_NONE, 201, 0, p_sessions, ""},
	{"DELETE", "/v1/sessions/current", SESSION, OWN_NONE, 200, 0, p_signout, ""},
	{"GET", "/v1/agencies", OFFICER_ADMIN, OWN_NONE, 200, 0, NULL, ""},
	{"POST", "/v1/agencies", ADMIN, OWN_NONE, 201, 0, p_agency, ""},
	{"POST", "/v1/agencies/{}/suspend", ADMIN, OWN_NONE, 200, 1, p_suspend, ""},
	{"GET", "/v1/agencies/{}/tokens", AGENCY_ADMIN, OWN_CONSUMER, 200, 0, p_tokens, ""},
	{"POST", "/v1/agencies/{}/tokens", AGENCY_ADMIN, OWN_CONSUMER, 201, 0, p_tokens_issue, ""},
	{"DELETE", "/v1/agencies/{}/tokens/{}", AGENCY_ADMIN, OWN_CONSUMER, 200, 1, p_token_revoke, ""},
	{"GET", "/v1/purposes", OFFICER_ADMIN, OWN_NONE, 200, 0, NULL, ""},
	{"POST", "/v1/purposes", ADMIN, OWN_NONE, 201, 0, p_purpose, ""},
	{"POST", "/v1/officers", ADMIN, OWN_NONE, 201, 0, p_officer, ""},
	{"POST", "/v1/officers/{}/deactivate", ADMIN, OWN_NONE, 200, 1, p_officer_deactivate, ""},
	{"POST", "/v1/officers/{}/reactivate", ADMIN, OWN_NONE, 200, 0, p_officer_reactivate, ""},
	{"POST", "/v1/citizens", REGISTRAR, OWN_NONE, 201, 0, p_citizen, ""},
	{"POST", "/v1/citizens/search", REGISTRAR, OWN_NONE, 200, 0, p_search, ""},
	{"PATCH", "/v1/citizens/{}", REGISTRAR, OWN_NONE, 200, 0, p_patch, ""},
	{"DELETE", "/v1/citizens/{}", REGISTRAR, OWN_NONE, 200, 1, p_delete_citizen, ""},
	{"POST", "/v1/citizens/{}/totp", REGISTRAR, OWN_NONE, 201, 0, p_totp_reissue, ""},
	{"POST", "/v1/consent-requests", CONSUMER, OWN_NONE, 202, 0, p_request, ""},
	{"GET", "/v1/consent-requests/{}", CONSUMER, OWN_CONSUMER, 200, 0, p_request_get, ""},
	{"POST", "/v1/lookup", CONSUMER, OWN_NONE, 200, 0, p_lookup, ""},
	{"POST", "/v1/lookups", CONSUMER, OWN_NONE, 200, 0, p_lookups, ""},
	{"GET", "/v1/me", CITIZEN, OWN_NONE, 200, 0, NULL, ""},
	{"GET", "/v1/me/consent-requests", CITIZEN, OWN_NONE, 200, 0, NULL, ""},
	{"POST", "/v1/me/consent-requests/{}/approve", CITIZEN, OWN_CIT_A, 201, 1, p_approve, ""},
	{"POST", "/v1/me/consent-requests/{}/deny", CITIZEN, OWN_CIT_A, 200, 1, p_deny, ""},
	{"GET", "/v1/me/consents", CITIZEN, OWN_NONE, 200, 0, NULL, ""},
	{"DELETE", "/v1/me/consents/{}", CITIZEN, OWN_CIT_A, 200, 1, p_revoke, ""},
	{"PUT", "/v1/me/restriction", CITIZEN, OWN_NONE, 200, 0, p_restriction, ""},
	{"DELETE", "/v1/me/restriction", CITIZEN, OWN_NONE, 200, 0, p_restriction, ""},
	{"GET", "/v1/me/access-log", CITIZEN, OWN_NONE, 200, 0, NULL, ""},
	{"GET", "/v1/me/access-log/{}/proof", CITIZEN, OWN_CIT_A, 200, 0, p_proof, ""},
	{"GET", "/v1/me/export", CITIZEN, OWN_NONE, 200, 0, NULL, ""},
	{"GET", "/v1/me/corrections", CITIZEN, OWN_NONE, 200, 0, NULL, ""},
	{"POST", "/v1/me/corrections", CITIZEN, OWN_NONE, 201, 0, p_correction_new, ""},
	{"GET", "/v1/corrections", REGISTRAR, OWN_NONE, 200, 0, NULL, ""},
	{"POST", "/v1/corrections/{}", REGISTRAR, OWN_NONE, 200, 1, p_correction_answer, ""},
	{"GET", "/v1/audit", OFFICER, OWN_NONE, 200, 0, NULL, ""},
	{"GET", "/v1/audit/verify", OFFICER, OWN_NONE, 200, 0, NULL, ""},
	{"GET", "/v1/reports/access?from=0&to=4102444800", OFFICER, OWN_NONE, 200, 0, NULL, ""},
	{"GET", "/v1/reports/dashboard?from=2026-01-01&to=2026-12-31", OFFICER, OWN_NONE, 200, 0, NULL, ""},
	{"GET", "/v1/reviews?state=all", OFFICER, OWN_NONE, 200, 0, NULL, ""},
	{"GET", "/v1/reviews", OFFICER, OWN_NONE, 200, 0, NULL, ""},
	{"POST", "/v1/reviews/{}", OFFICER, OWN_NONE, 200, 1, p_review, ""},
	{"GET", "/v1/no-such-route", NOROUTE, OWN_NONE, 404, 0, NULL, ""},
	{"DELETE", "/v1/keys", BADMETHOD, OWN_NONE, 405, 0, NULL, ""},
	{"PUT", "/v1/agencies", BADMETHOD, OWN_NONE, 405, 0, NULL, ""},
	{"GET", "/v1/citizens/{}", BADMETHOD, OWN_NONE, 405, 0, p_totp_reissue, ""},
	{"PUT", "/v1/me/consents/{}", BADMETHOD, OWN_NONE, 405, 0, p_request_get, ""},
};
#define NROWS (sizeof rows / sizeof rows[0])

static const char *const problem_code[] = {
	[401 - 400] = "unauthorized", [403 - 400] = "forbidden", [404 - 400] = "not_found", [405 - 400] = "method_not_allowed"};

static int owner_of(const row *w)
{
	return w->owner == OWN_CONSUMER ? C_CONSUMER : w->owner == OWN_CIT_A ? C_CIT_A : -1;
}

/* One route, every caller; the owner of the object last, so that its success uses nothing up early. */
static void test_route(void **state)
{
	row *w = *state;
	int order[NCALLERS], n = 0, i, bad = 0;

	for (i = 0; i < NCALLERS; i++)
		if (i != owner_of(w))
			order[n++] = i;
	if (owner_of(w) >= 0)
		order[n++] = owner_of(w);
	for (i = 0; i < n; i++) {
		int c = order[i];
		char id[128] = "", path[512], why[300] = "", *second;
		json_t *body = NULL;
		const char *brace;
		long want = expected_for(w, c), got;
		e2e_resp r;
		char *text;
		int ok;

		if (w->prep)
			w->prep(&M, c, id, sizeof id, &body);
		/* an id "A B" fills two {}: the first with A, the second with B */
		if ((second = strchr(id, ' ')) != NULL)
			*second++ = '\0';
		if ((brace = strstr(w->path, "{}")) != NULL)
			snprintf(path, sizeof path, "%.*s%s%s", (int)(brace - w->path), w->path, id, brace + 2);
		else
			snprintf(path, sizeof path, "%s", w->path);
		if (second != NULL && (brace = strstr(w->path, "{}")) != NULL && (brace = strstr(brace + 2, "{}")) != NULL)
			snprintf(path + strlen(path) - strlen(brace), sizeof path - (strlen(path) - strlen(brace)), "%s%s", second,
			    brace + 2);
		text = body ? json_dumps(body, JSON_COMPACT) : NULL;
		json_decref(body);
		got = e2e_req(&M.s, w->method, path, M.token[c], text, &r);
		ok = got == want;
		if (ok && want >= 401 && want <= 405 && problem_code[want - 400] != NULL &&
		    e2e_problem_check(&r, want, problem_code[want - 400], why, sizeof why) != 0)
			ok = 0;
		if (!ok) {
			fprintf(stderr, "MISMATCH %-44s as %-16s: expected %ld, got %ld%s%s: %.300s\n", w->name, caller_name[c], want,
			    got, why[0] ? ", " : "", why, r.body ? r.body : "");
			bad++;
		}
		if (got >= 200 && got < 300 && w->consumes)
			used_up(w->prep);
		if (M.kept[c] != NULL) { /* the caller's own token again, after a fresh one was used */
			free(M.token[c]);
			M.token[c] = M.kept[c];
			M.kept[c] = NULL;
		}
		free(text);
		e2e_resp_free(&r);
	}
	if (bad)
		fail_msg("%s: %d of %d callers got another answer than the contract's", w->name, bad, n);
}

static int matrix_setup(void **state)
{
	static const char *const reg[] = {"registrar"}, *const cons[] = {"consumer"},
	                         *const emer[] = {"consumer", "emergency"},
	                         *const all[] = {"registrar", "consumer", "emergency"};
	char *emergency_id = NULL, *consumer2_id = NULL, *suspended_id = NULL, path[128], code[7];
	e2e_resp r;

	(void)state;
	if (e2e_start(&M.s) != 0)
		return -1;
	M.token[C_NONE] = NULL;
	M.token[C_BAD] = strdup("vk_agency_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	M.token[C_EXPIRED] = strdup("vk_session_q7Jc0Zx1Bv9Lw2Tn8Rr5Ys3Ua6Mk4Pd0Ee1Ff2Gg3Hh");
	M.token[C_ADMIN] = strdup(M.s.admin_token);
	M.token[C_REGISTRAR] = make_agency("Matrix Registrar", reg, 1, NULL);
	M.token[C_CONSUMER] = make_agency("Matrix Hospital", cons, 1, &M.consumer_id);
	M.token[C_EMERGENCY] = make_agency("Matrix Emergency", emer, 2, &emergency_id);
	M.token[C_CONSUMER2] = make_agency("Matrix Clinic", cons, 1, &consumer2_id);
	M.token[C_SUSPENDED] = make_agency("Matrix Suspended", all, 3, &suspended_id);
	make_purposes(M.consumer_id);
	make_purposes(emergency_id);
	make_purposes(consumer2_id);
	E2E_CALL(&M.s, 201, "POST", "/v1/purposes", M.s.admin_token,
	    e2e_body_purpose(emergency_id, "emergency_care", "Emergency care", "vital_interest", NULL,
	        e2e_strings("full_name", "blood_type", NULL), 1, 30),
	    &r);
	e2e_resp_free(&r);
	/* the suspended agency's token worked before it was suspended (404: no such request, but known caller) */
	E2E_CALL(&M.s, 404, "GET", "/v1/consent-requests/cr_0000000000000000", M.token[C_SUSPENDED], NULL, &r);
	e2e_resp_free(&r);
	snprintf(path, sizeof path, "/v1/agencies/%s/suspend", suspended_id);
	E2E_CALL(&M.s, 200, "POST", path, M.s.admin_token, NULL, &r);
	assert_str_eq(e2e_jstr(r.json, "status"), "suspended");
	e2e_resp_free(&r);

	M.reg_cid_a = enrol(NID_A, &M.uri_a);
	free(enrol(NID_B, &M.uri_b));
	M.reg_cid_t = enrol(NID_T, &M.uri_t);
	M.token[C_CIT_A] = citizen_login(NID_A, M.uri_a, &M.last_a);
	M.token[C_CIT_B] = citizen_login(NID_B, M.uri_b, &M.last_b);

	E2E_CALL(&M.s, 201, "POST", "/v1/officers", M.s.admin_token, e2e_body_officer("Matrix DPO"), &r);
	M.officer_id = e2e_jdup(r.json, "id");
	M.officer_uri = e2e_jdup(r.json, "totp_uri");
	e2e_resp_free(&r);
	e2e_totp_fresh(M.officer_uri, &M.last_officer, code);
	E2E_CALL(&M.s, 201, "POST", "/v1/sessions", NULL, e2e_body_officer_login(M.officer_id, code), &r);
	M.token[C_OFFICER] = e2e_jdup(r.json, "token");
	e2e_resp_free(&r);
	/* something about A on the log, for the proof row */
	E2E_CALL(&M.s, 200, "POST", "/v1/lookup", M.token[C_CONSUMER], e2e_body_lookup(NID_A, "statutory", NULL, NULL), &r);
	e2e_resp_free(&r);
	free(emergency_id);
	free(consumer2_id);
	free(suspended_id);
	return 0;
}

static int matrix_teardown(void **state)
{
	int i;

	(void)state;
	e2e_stop(&M.s);
	for (i = 0; i < NCALLERS; i++)
		free(M.token[i]);
	free(M.consumer_id), free(M.officer_id), free(M.officer_uri), free(M.uri_a), free(M.uri_b), free(M.uri_t);
	free(M.reg_cid_a), free(M.reg_cid_t), free(M.agency_to_suspend), free(M.citizen_to_delete);
	free(M.request_for_approve), free(M.request_for_deny), free(M.consent_of_a), free(M.request_of_consumer);
	free(M.seq_of_a), free(M.access_to_review), free(M.token_to_revoke), free(M.officer_to_deactivate);
	free(M.officer_to_reactivate), free(M.correction_to_answer);
	return 0;
}

int main(void)
{
	struct CMUnitTest tests[NROWS];
	size_t i;

	for (i = 0; i < NROWS; i++) {
		snprintf(rows[i].name, sizeof rows[i].name, "%s %s", rows[i].method, rows[i].path);
		tests[i] = (struct CMUnitTest){rows[i].name, test_route, NULL, NULL, &rows[i]};
	}
	return cmocka_run_group_tests_name("authorization matrix", tests, matrix_setup, matrix_teardown);
}
